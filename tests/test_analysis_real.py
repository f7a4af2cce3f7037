"""Analysis of real runs of the raphe-sgACC loop: healthy, SSRI, stronger autoreceptors, and a
small SSRI dose-response sweep. The stores are made once per test session (one C++ build, 2 s
runs) by :func:`real_stores`, which the report, notebook and compare tests share."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from depnet.analysis import (
    dmn_index,
    n_neurons,
    open_run,
    open_sweep,
    populations,
    rate_time_course,
    spike_blocks,
)
from depnet.analysis.compare import run_summary
from depnet.analysis.figures import raster_figure
from depnet.analysis.spiking import sample_neurons
from tests.conftest import small_scenario

#: Conditions of the default scenario, as parameter overrides (scenario files for stress and
#: ketamine come with the scenarios issue).
CONDITIONS = {
    "healthy": {},
    "ssri": {"serotonin__ssri_occupancy": 0.8},
    "autoreceptor": {"drn_5ht__g_girk_max": "12 nS"},
    "ssri-0.4": {"serotonin__ssri_occupancy": 0.4},
}
#: The dose-response sweep: SERT occupancy -> the condition's store.
SWEEP = {"0.0": "healthy", "0.4": "ssri-0.4", "0.8": "ssri"}


def real_stores(shared_runs, tmp_path_factory) -> dict[str, Path]:
    """Stores of :data:`CONDITIONS` and a sweep folder of them, made once per session.

    The runs are shared by every test module and xdist worker that asks (``shared_runs``: one
    build, a lock per run); the sweep folder is made once, under a lock too.
    """
    stores = {
        name: shared_runs(small_scenario("2 s", "1 s", **overrides))
        for name, overrides in CONDITIONS.items()
    }
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent  # shared by the workers
    sweep = root / "ssri-sweep"
    with open(root / "ssri-sweep.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not sweep.exists():
            partial = root / "ssri-sweep.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            for occupancy, name in SWEEP.items():
                shutil.copytree(stores[name], partial / f"occupancy-{occupancy}.zarr")
            partial.rename(sweep)
    stores["sweep"] = sweep
    return stores


@pytest.fixture(scope="module")
def stores(shared_runs, tmp_path_factory) -> dict[str, Path]:
    return real_stores(shared_runs, tmp_path_factory)


def test_summary_of_the_default_scenario_is_complete_and_finite(stores):
    tree = open_run(stores["healthy"])
    summary = run_summary(tree)
    assert set(summary.population.values) == set(populations(tree))
    assert (summary.rate > 0).all() and np.isfinite(summary.c_5ht).all()
    assert ((summary.occupancy_5ht1a > 0) & (summary.occupancy_5ht1a < 1)).all()
    index = dmn_index(tree)
    assert np.isfinite(float(index)) or "no DMN" in index.attrs["message"]


def test_an_ssri_raises_serotonin_in_every_region(stores):
    """SERT 80% blocked: less clearance, so [5-HT] rises wherever it is measured."""
    healthy = run_summary(open_run(stores["healthy"]))
    ssri = run_summary(open_run(stores["ssri"]))
    assert (ssri.c_5ht > healthy.c_5ht).all()


def test_the_raster_draws_every_spike_of_the_neurons_it_shows(stores):
    tree = open_run(stores["healthy"])
    fig = raster_figure(tree, max_neurons=50)
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    expected = 0
    for name in populations(tree):
        shown = np.zeros(n_neurons(tree, name), bool)
        shown[sample_neurons(n_neurons(tree, name), 50)] = True
        expected += sum(int(shown[neuron].sum()) for neuron, _ in spike_blocks(tree, name))
    assert drawn == expected > 0


def test_the_dose_response_sweep_stacks_runs_by_ssri_occupancy(stores):
    """[5-HT] rises with SERT occupancy (time-mean after warmup, every region)."""
    sweep = open_sweep(stores["sweep"])
    assert sweep.attrs["varied"] == ["serotonin.ssri_occupancy"]
    np.testing.assert_allclose(sweep["serotonin.ssri_occupancy"], [0.0, 0.4, 0.8])
    c = sweep["serotonin"]["c_5ht"].sel(time=slice(1.0, None)).mean("time")
    assert (c.diff("point") > 0).all()
    rates = rate_time_course(open_run(stores["healthy"]))
    np.testing.assert_allclose(
        sweep["rates"]["rate"].isel(point=0).sel(population=rates.population), rates, rtol=1e-9
    )
