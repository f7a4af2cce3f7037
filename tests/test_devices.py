"""Targets: runtime and C++ standalone agree; the CUDA target builds without a GPU."""

from __future__ import annotations

import os

import numpy as np
import pytest

from depnet import devices
from depnet.analysis import mean_serotonin, open_run, population_rates
from depnet.errors import DeviceError
from depnet.run import run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario
from tests.conftest import small_scenario

#: Runtime and cpp run the same graph (drawn on the host) from the same seed; Brian2 2.10 also
#: draws the same random numbers on both, so rates agree closely. The stated tolerance leaves room
#: for float differences between numpy and compiled C++ that change individual spike times.
RATE_TOLERANCE = 0.10  # relative, per population
SEROTONIN_TOLERANCE = 0.05  # relative, per region


def test_runtime_and_cpp_give_the_same_population_rates_in_one_process(tmp_path):
    spec = small_scenario("1.5 s", "0.5 s")
    stores = [
        run_scenario(spec, device=target, out=tmp_path / f"{k}-{target}.zarr", progress=False).store
        for k, target in enumerate(("runtime", "cpp", "runtime"))  # runtime after cpp: reset works
    ]
    runtime, cpp, runtime_again = (open_run(s) for s in stores)
    assert runtime_again.attrs["device"] == "runtime"
    assert population_rates(runtime_again).equals(population_rates(runtime))
    assert runtime.attrs["device"] == "runtime" and cpp.attrs["device"] == "cpp"
    r_rt, r_cpp = population_rates(runtime), population_rates(cpp)
    np.testing.assert_allclose(r_cpp.values, r_rt.sel(population=r_cpp.population).values,
                               rtol=RATE_TOLERANCE)  # fmt: skip
    np.testing.assert_allclose(mean_serotonin(cpp).values, mean_serotonin(runtime).values,
                               rtol=SEROTONIN_TOLERANCE)  # fmt: skip


def test_auto_picks_cuda_only_where_a_gpu_answers():
    assert devices.resolve_target("auto") == ("cuda" if devices.gpu_available() else "cpp")


def test_compile_only_needs_a_standalone_device():
    with pytest.raises(DeviceError, match="standalone"):
        run_scenario(small_scenario("0.1 s", "0 s"), device="runtime", compile_only=True)


@pytest.mark.slow
def test_cuda_compile_only_produces_a_binary_without_a_gpu(tmp_path):
    """The whole circuit (every region) with every learning rule (STDP x3, structural) builds
    for brian2cuda."""
    # Needs the CUDA toolkit (nvcc), not a GPU; deselect with -m "not slow" where it is missing.
    result = run_scenario(
        load_scenario(
            scenario_path("healthy_plastic"),
            {"scenario.duration": "0.5 s", "scenario.warmup": "0 s"},
        ),
        device="cuda", compile_only=True,
        build_dir=tmp_path / "cuda", progress=False,
    )  # fmt: skip
    binary = devices.binary_path(result.build_dir)
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert binary.stat().st_size > 100_000
    assert result.store is None
