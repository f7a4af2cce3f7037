"""Shared fixtures: a build cache for the session, the shipped scenario, small variants of it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from depnet.scenarios import scenario_path
from depnet.spec import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the checks marked slow (minutes each: the whole circuit against "
        "VALIDATION.md, CUDA compiles); .ci/run runs them after the default suite",
    )
    parser.addoption(
        "--exhaustive",
        action="store_true",
        help="also run the checks marked exhaustive (the CUDA compiles of the network structures "
        "beyond CI's one: ~45 min more on 2 cores); CI leaves them out for its time",
    )


#: Each test file's layer (README, "Tests, CI, benchmarks"): ``unit`` (seconds, no compiler),
#: ``integration`` (compiles or runs a standalone build), ``validation`` (the whole circuit against
#: VALIDATION.md), ``cluster`` (sweeps on the executors, real Slurm). A file takes the layer of its
#: heaviest tests; ``cuda`` (brian2cuda generation and nvcc) and ``gpu`` mark single tests.
LAYERS = {
    "validation": ("validation/",),
    "cluster": (
        "test_cluster_slurm.py", "test_cluster_local.py", "test_cluster_scripts.py", "test_api.py",
    ),
    "integration": (
        "test_engine.py", "test_standalone.py", "test_devices.py", "test_cli.py",
        "test_store.py", "test_compare.py", "test_interventions.py", "test_stdp.py",
        "test_structural_plasticity.py", "test_plasticity_scenarios.py", "test_counter_rng.py",
        "test_serotonin_feedback.py", "test_analysis_real.py", "test_report.py",
        "test_notebooks.py", "test_analysis_sweep.py", "test_cluster_spec.py",
        "test_cuda_settings.py", "test_cuda_parity.py", "test_packaging.py",
        "test_lfp_recording.py",
    ),
}  # fmt: skip
#: Wall-time budget of one test per layer (s; pytest-timeout): a hang fails in minutes, not
#: CI's 90. A cold build of the whole plastic circuit takes ~2 min on CI's 2 cores, an nvcc
#: compile of a network ~10-20 min.
BUDGETS = {"unit": 120, "integration": 900, "cluster": 1200, "validation": 1800}
CUDA_COMPILE_BUDGET = 3600


def layer_of(item: pytest.Item) -> str:
    """The layer of a test: that of its file (:data:`LAYERS`), else ``unit``."""
    path = Path(str(item.fspath)).relative_to(Path(__file__).parent).as_posix()
    for layer, files in LAYERS.items():
        if any(path == f or path.startswith(f) for f in files):
            return layer
    return "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test gets its layer's marker and time budget; checks marked ``slow``
    (``exhaustive``) are skipped, with the way to run them, unless ``--slow``
    (``--exhaustive``) is given."""
    for item in items:
        layer = layer_of(item)
        item.add_marker(getattr(pytest.mark, layer))
        if item.get_closest_marker("timeout") is None:
            compile_ = "cuda" in item.keywords and "slow" in item.keywords
            item.add_marker(
                pytest.mark.timeout(CUDA_COMPILE_BUDGET if compile_ else BUDGETS[layer])
            )
    skips = {
        "slow": pytest.mark.skip(reason="slow check: run with --slow (.ci/run does)"),
        "exhaustive": pytest.mark.skip(reason="exhaustive check: run with --exhaustive"),
    }
    for marker, skip in skips.items():
        if config.getoption(f"--{marker}"):
            continue
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


#: The tests' build cache: network data and compiled builds, keyed by content (the network's
#: fingerprint, the code that builds it, the versions), so it is safe to keep between sessions;
#: ``DEPNET_TEST_CACHE`` moves it. Ignored by git.
TEST_CACHE = Path(os.environ.get("DEPNET_TEST_CACHE", ROOT / ".test-cache"))


@pytest.fixture(scope="session", autouse=True)
def build_root() -> Path:
    """Builds of every test session go to one cache folder (see :data:`TEST_CACHE`), shared by
    its tests and by its pytest-xdist workers (a lock per build): each network is compiled once,
    and a later session finds it compiled."""
    root = TEST_CACHE / "build"
    root.mkdir(parents=True, exist_ok=True)
    os.environ["DEPNET_BUILD_ROOT"] = str(root)
    return root


@pytest.fixture(scope="session", autouse=True)
def child_tmpdir(tmp_path_factory) -> Iterator[Path]:
    """Processes the tests start (``depnet`` commands, Slurm jobs) keep their temporary files in
    the session's own folder: a child killed on purpose (the resume tests) cannot delete Brian2's
    debug log, which would otherwise be left in the host's /tmp."""
    folder = tmp_path_factory.mktemp("child-tmp")
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = previous


@contextlib.contextmanager
def standalone_folder(name: str) -> Iterator[Path]:
    """A lasting folder (in :data:`TEST_CACHE`) for a test's own standalone project, one that
    is not a scenario's: Brian2 rewrites only the files whose content changed and its makefile
    recompiles only those, so a later session compiles nothing that did not change.

    Kept per host, compiler and Brian2 version (objects built with ``-march=native`` or by
    another Brian2 are not reused); emptied unless the block that last used it completed (a
    compile killed part-way may leave an object file newer than its source); one session at a
    time (a lock).
    """
    import brian2

    compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
    machine = f"{platform.node()} {platform.machine()} {brian2.__version__} {compiler}"
    key = hashlib.sha256(machine.encode()).hexdigest()[:12]
    folder = TEST_CACHE / "standalone" / f"{name}-{key}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = folder / ".complete"
        if not complete.exists():
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(exist_ok=True)
        complete.unlink(missing_ok=True)
        yield folder
        complete.touch()


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory, build_root) -> Callable[..., Path]:
    """``run(spec, device="cpp") -> store``: a scenario's store, run once per session and
    shared by every test and xdist worker that asks for the same run (same scenario, same
    device): the workers take turns (a lock per run), the second finds the store written."""
    from depnet.run import run_identity, run_scenario

    base = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        base = base.parent  # the workers' own folders sit side by side in the session's
    folder = base / "shared-runs"
    folder.mkdir(exist_ok=True)

    def run(spec, device: str = "cpp") -> Path:
        key = hashlib.sha256(json.dumps(run_identity(spec, device), sort_keys=True).encode())
        store = folder / f"{spec.name}-{device}-{key.hexdigest()[:16]}.zarr"
        with open(folder / f"{store.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not store.exists():
                run_scenario(spec, device=device, out=store, progress=False, root=build_root)
        return store

    return run


@pytest.fixture(autouse=True)
def fresh_brian2():
    """Every test starts from Brian2's defaults, whatever the test before it on this worker set
    (``defaultclock.dt``, the device, preferences, the seed): no test depends on file order."""
    from depnet import devices

    devices.restore_defaults()
    yield
    devices.restore_defaults()


@pytest.fixture(scope="session")
def default_scenario_file() -> Path:
    return scenario_path("raphe_pfc")


def small_scenario(duration: str = "2 s", warmup: str = "1 s", **parameters):
    """The default scenario, shorter, with parameter overrides (``serotonin__ssri_occupancy``)
    and its slow clock (``compressed_day="86400 s"``)."""
    settings = {"scenario.duration": duration, "scenario.warmup": warmup}
    for key, value in parameters.items():
        where = "scenario." if key == "compressed_day" else "parameters."
        settings[where + key.replace("__", ".")] = value
    return load_scenario(scenario_path("raphe_pfc"), settings)


def with_interventions(
    scenario: str, interventions: tuple | list = (), parameters: dict | None = None, **settings
):
    """A shipped scenario with further ``[[interventions]]`` tables (dicts, after its own),
    ``[scenario]`` settings (``duration="0.4 s"``) and ``[parameters]`` overrides (dotted names)."""
    from depnet.spec import parse_scenario, read_scenario_document

    doc = read_scenario_document(scenario_path(scenario))
    doc["scenario"].update(settings)
    doc["interventions"] = [*doc.get("interventions", ()), *map(dict, interventions)]
    doc.setdefault("parameters", {}).update(parameters or {})
    return parse_scenario(doc, scenario)


@pytest.fixture
def cli(monkeypatch):
    """``depnet`` in this process (fast), with the handlers it installs put back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    previous = signal.getsignal(signal.SIGTERM)
    from depnet.cli import main

    yield main
    signal.signal(signal.SIGTERM, previous)


def depnet_cli(*args: str, cwd: Path | None = None, timeout: float = 600):
    """Run the ``depnet`` command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "depnet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
