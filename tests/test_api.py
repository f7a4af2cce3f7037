"""The package's verbs as a notebook uses them: the examples of ``depnet``'s docstrings, run.

Each example is executed as a doctest in a fresh folder (runs go to its ``runs/``), with the
sweep file it names copied there, on the tests' build cache.
"""

from __future__ import annotations

import doctest
import shutil

import depnet
from tests.conftest import ROOT


def _examples(obj) -> doctest.DocTest:
    (test,) = doctest.DocTestFinder(recurse=False).find(obj, obj.__name__, globs={})
    return test


def _run(test: doctest.DocTest) -> doctest.TestResults:
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    return runner.summarize(verbose=False)


def test_every_verb_is_documented_with_an_example():
    for name in depnet.__all__:
        verb = getattr(depnet, name)
        assert verb.__doc__ and verb.__module__ == "depnet", name
    for verb in (depnet, depnet.load_scenario, depnet.sweep):
        assert _examples(verb).examples, verb.__name__


def test_the_verbs_stay_verbs_after_the_engine_is_imported():
    """Importing a submodule binds its name on the package: no verb may share a module's name,
    or ``depnet.<verb>`` would turn into the module after the first call."""
    import depnet.analysis
    import depnet.cluster.submit
    import depnet.run
    import depnet.spec  # noqa: F401

    for name in depnet.__all__:
        assert callable(getattr(depnet, name)) and getattr(depnet, name).__module__ == "depnet"


def test_a_scenario_runs_from_python_and_gives_the_tree_of_its_store(tmp_path, monkeypatch):
    """The module's example: load a shipped scenario with overrides, run it on cpp, and find
    what opening its store gives."""
    monkeypatch.chdir(tmp_path)
    results = _run(_examples(depnet))
    assert results.attempted >= 5 and results.failed == 0, results


def test_load_scenario_takes_a_shipped_name_and_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = _run(_examples(depnet.load_scenario))
    assert results.attempted >= 2 and results.failed == 0, results


def test_a_sweep_plans_runs_and_opens_from_python(tmp_path, monkeypatch):
    """The sweep example: a dry run plans two points of one build, the local executor runs
    them, and the sweep opens with the SSRI occupancy as a coordinate."""
    (tmp_path / "sweeps").mkdir()
    shutil.copy(ROOT / "sweeps" / "ssri_quick.toml", tmp_path / "sweeps")
    monkeypatch.chdir(tmp_path)
    results = _run(_examples(depnet.sweep))
    assert results.attempted >= 4 and results.failed == 0, results
