"""Opening runs and sweeps: names come from the store, a folder of stores stacks along point."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
import zarr

from depnet.analysis import (
    map_points,
    mean_rates,
    open_sweep,
    path_from_env,
    population_info,
    region_of,
)
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.errors import StoreError


def test_regions_and_kinds_are_read_from_the_store_whatever_the_circuit():
    """Populations of regions the code has never heard of, one region name a prefix of another."""
    rng = np.random.default_rng(0)
    names = ["dlpfc_exc", "dlpfc_inh", "sgacc_exc", "ca1_exc", "ca3_exc", "pcc_exc", "mpfc_exc",
             "pfc_exc"]  # fmt: skip
    regions = ["dlpfc", "sgacc", "ca1", "ca3", "pcc", "mpfc", "pfc"]
    tree = synthetic_run({n: poisson_trains(1.0, 1.0, 3, rng) for n in names}, 1.0, regions=regions)
    info = population_info(tree)
    assert list(info.population.values) == names
    assert list(info.region.values) == ["dlpfc", "dlpfc", "sgacc", "ca1", "ca3", "pcc", "mpfc",
                                        "pfc"]  # fmt: skip
    assert list(info.kind.values) == ["exc", "inh", "exc", "exc", "exc", "exc", "exc", "exc"]
    assert region_of(tree, "mpfc_exc") == "mpfc"


def test_a_notebook_without_its_store_variable_says_what_to_set(monkeypatch):
    monkeypatch.delenv("DEPNET_STORE", raising=False)
    with pytest.raises(StoreError, match="DEPNET_STORE is not set"):
        path_from_env("DEPNET_STORE")
    monkeypatch.setenv("DEPNET_STORE", "runs/x.zarr")
    assert str(path_from_env("DEPNET_STORE")) == "runs/x.zarr"


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    """Three runs at SSRI occupancy 0, 0.4, 0.8 (rates 5, 7, 9 Hz), one run that never finished,
    and the partial store of a writer still at work."""
    folder = tmp_path_factory.mktemp("sweep")
    rng = np.random.default_rng(1)
    for k, (occupancy, rate) in enumerate([("0", 5.0), ("0.4", 7.0), ("0.8", 9.0)]):
        synthetic_run(
            {"ctx_exc": poisson_trains(rate, 10.0, 100, rng)}, 10.0, path=folder / f"p{k}.zarr",
            attrs={"parameters": {"serotonin.ssri_occupancy": occupancy,
                                  "drn_5ht.g_girk_max": "6 nS"}},
        )  # fmt: skip
    synthetic_run({"ctx_exc": poisson_trains(1.0, 1.0, 5, rng)}, 1.0, path=folder / "p3.zarr")
    zarr.open_group(folder / "p3.zarr", mode="r+").attrs["status"] = "writing"
    synthetic_run({"ctx_exc": poisson_trains(1.0, 1.0, 5, rng)}, 1.0,
                  path=folder / "p4.zarr.partial-999")  # fmt: skip
    return folder


def test_a_sweep_stacks_its_runs_along_point_with_the_varied_parameter(sweep_folder):
    with pytest.warns(UserWarning, match="left out 1 incomplete store"):
        sweep = open_sweep(sweep_folder)
    assert sweep.sizes["point"] == 3
    assert sweep.attrs["varied"] == ["serotonin.ssri_occupancy"]  # 6 nS everywhere: not varied
    np.testing.assert_allclose(sweep["serotonin.ssri_occupancy"].values, [0, 0.4, 0.8])
    assert sweep.attrs["incomplete"][0].endswith("p3.zarr")
    rate = sweep["rates"]["rate"]
    assert rate.dims == ("point", "population", "time")
    np.testing.assert_allclose(rate.mean("time").sel(population="ctx_exc"), [5, 7, 9], atol=0.3)


def test_a_measure_maps_over_the_points_of_a_sweep(sweep_folder):
    """Mean rates 5, 7, 9 Hz of 100 neurons x 10 s: s.d. <= 0.03 Hz, tolerance 0.15 Hz."""
    with pytest.warns(UserWarning):
        sweep = open_sweep(sweep_folder)
    rates = map_points(sweep, mean_rates, start=0.0)
    assert rates.dims == ("point", "population")
    assert "serotonin.ssri_occupancy" in rates.coords
    np.testing.assert_allclose(rates.sel(population="ctx_exc"), [5, 7, 9], atol=0.15)


def test_what_is_not_a_sweep_is_a_one_line_error(sweep_folder, tmp_path):
    with pytest.raises(StoreError, match="no such sweep folder"):
        open_sweep(tmp_path / "absent")
    with pytest.raises(StoreError, match="holds no complete run store"):
        open_sweep(tmp_path)
    with pytest.raises(StoreError, match="one run store, not a sweep"):
        open_sweep(sweep_folder / "p0.zarr")


def test_a_cluster_sweeps_output_folder_is_opened_through_its_points(tmp_path):
    """``depnet sweep`` writes ``<out>/points/<id>.zarr`` beside ``work/`` and a collected
    dataset; the output folder opens as the sweep of its points."""
    rng = np.random.default_rng(2)
    for k, occupancy in enumerate(["0", "0.8"]):
        synthetic_run(
            {"ctx_exc": poisson_trains(5.0, 2.0, 20, rng)}, 2.0,
            path=tmp_path / "points" / f"p{k}.zarr",
            attrs={"parameters": {"serotonin.ssri_occupancy": occupancy}},
        )  # fmt: skip
    (tmp_path / "work").mkdir()
    sweep = open_sweep(tmp_path)
    np.testing.assert_allclose(sweep["serotonin.ssri_occupancy"].values, [0, 0.8])


def test_a_collected_dataset_opens_as_it_was_written(tmp_path):
    collected = xr.Dataset(
        {"rate": (("serotonin.ssri_occupancy", "seed"), np.ones((2, 1)), {"units": "Hz"})},
        coords={"serotonin.ssri_occupancy": [0.0, 0.8], "seed": [1]},
    )
    collected.to_zarr(tmp_path / "collected.zarr", zarr_format=3, consolidated=False)
    opened = open_sweep(tmp_path / "collected.zarr")
    np.testing.assert_array_equal(opened["rate"].values, collected["rate"].values)
