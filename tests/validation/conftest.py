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


@pytest.fixture(scope="session")
def whole_circuit(tmp_path_factory):
    """``run(duration, warmup, **parameters) -> DataTree`` of the healthy scenario (cached).

    Parameter names use ``__`` for dots: ``serotonin__ssri_occupancy=0.8``.
    """
    folder = tmp_path_factory.mktemp("validation")
    cache: dict[tuple, xr.DataTree] = {}

    def run(duration: str = "4 s", warmup: str = "1 s", **parameters) -> xr.DataTree:
        key = (duration, warmup, tuple(sorted(parameters.items())))
        if key not in cache:
            settings = {"scenario.duration": duration, "scenario.warmup": warmup}
            for name, value in parameters.items():
                settings["parameters." + name.replace("__", ".")] = value
            spec = load_scenario(scenario_path("healthy"), settings)
            out = folder / f"run{len(cache)}.zarr"
            cache[key] = open_run(run_scenario(spec, device="cpp", out=out, progress=False).store)
        return cache[key]

    return run
