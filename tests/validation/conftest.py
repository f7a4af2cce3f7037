"""The whole circuit (scenarios/healthy.toml) run on the C++ target, once per parameter set.

Every validation test asks the session-wide ``whole_circuit`` runner for a run with parameter
overrides; runs are cached, and they share one build (parameters and durations change only
``main``, an incremental rebuild of seconds).
"""

from __future__ import annotations

import pytest
import xarray as xr

from depnet.analysis import open_run
from depnet.run import run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario
from depnet.validation import RUNS, FromRun, resolve_run, scenario_runner
from tests.conftest import with_interventions


@pytest.fixture(scope="session")
def whole_circuit(tmp_path_factory):
    """``run(duration, warmup, **parameters) -> DataTree`` of the healthy scenario (cached).

    Parameter names use ``__`` for dots: ``serotonin__ssri_occupancy=0.8``; ``compressed_day``
    sets the slow clock (``[scenario] compressed_day``).
    """
    folder = tmp_path_factory.mktemp("validation")
    cache: dict[tuple, xr.DataTree] = {}

    def run(duration: str = "4 s", warmup: str = "1 s", **parameters) -> xr.DataTree:
        key = (duration, warmup, tuple(sorted(parameters.items())))
        if key not in cache:
            settings = {"scenario.duration": duration, "scenario.warmup": warmup}
            for name, value in parameters.items():
                where = "scenario." if name == "compressed_day" else "parameters."
                settings[where + name.replace("__", ".")] = value
            spec = load_scenario(scenario_path("healthy"), settings)
            out = folder / f"run{len(cache)}.zarr"
            cache[key] = open_run(run_scenario(spec, device="cpp", out=out, progress=False).store)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def validation_runs(whole_circuit, tmp_path_factory):
    """``runs(*names) -> {name: DataTree}``: the runs of :data:`depnet.validation.RUNS` that
    ``depnet validation`` measures, on seed 1, cached: those of the static circuit through
    :func:`whole_circuit` (shared with the tests that call it), the treatments' by name; a
    value read off another run (R5's desensitization) after that run."""
    runner = scenario_runner(tmp_path_factory.mktemp("validation_runs"))
    cache: dict[str, xr.DataTree] = {}

    def runs(*names: str) -> dict[str, xr.DataTree]:
        out = {}
        for name in names:
            run = RUNS[name]
            sources = [v.run for v in run.parameters.values() if isinstance(v, FromRun)]
            run = resolve_run(run, runs(*sources))
            if run.scenario == "healthy" and not run.interventions:
                parameters = {k.replace(".", "__"): v for k, v in run.parameters.items()}
                if run.compressed_day is not None:
                    parameters["compressed_day"] = run.compressed_day
                out[name] = whole_circuit(run.duration, run.warmup, **parameters)
            else:
                if name not in cache:
                    cache[name] = runner(name, run, 1)
                out[name] = cache[name]
        return out

    return runs


def intervention_runner(folder, scenario: str):
    """``run(duration, interventions, **parameters) -> DataTree`` of a shipped scenario with
    further ``[[interventions]]`` tables (dicts) and parameter overrides (``__`` for dots),
    cached; every run shares one build (interventions and parameters change only ``main``)."""
    import json

    cache: dict[str, xr.DataTree] = {}

    def run(duration: str, interventions: tuple = (), **parameters) -> xr.DataTree:
        key = json.dumps([duration, interventions, sorted(parameters.items())], default=str)
        if key not in cache:
            overrides = {name.replace("__", "."): value for name, value in parameters.items()}
            spec = with_interventions(
                scenario,
                interventions,
                overrides,
                name=f"{scenario}{len(cache)}",
                duration=duration,
            )
            out = folder / f"run{len(cache)}.zarr"
            cache[key] = open_run(run_scenario(spec, device="cpp", out=out, progress=False).store)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def static_treatment(tmp_path_factory):
    """The static whole circuit (``scenarios/healthy.toml``) with interventions: see
    :func:`intervention_runner`."""
    return intervention_runner(tmp_path_factory.mktemp("static_treatments"), "healthy")
