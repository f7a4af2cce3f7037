"""The run store: layout read back as xarray, and never a store that looks complete but is not."""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from depnet import store as depnet_store
from depnet.analysis import open_run, population_rates
from depnet.errors import StoreError
from depnet.run import run_scenario
from depnet.store import build_tree, partial_path, write_dataset, write_run
from tests.conftest import small_scenario

POPULATIONS = {"drn_5ht", "drn_gaba", "sgacc_exc", "sgacc_inh"}


@pytest.fixture(scope="module")
def runtime_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "run.zarr"
    result = run_scenario(small_scenario("1 s", "0.5 s"), device="runtime", out=out, progress=False)
    return result


def test_store_opens_as_a_datatree_with_named_dimensions_and_units(runtime_run):
    tree = open_run(runtime_run.store)
    assert set(tree["spikes"].children) == POPULATIONS
    spikes = tree["spikes/drn_5ht"]
    assert spikes["time"].dims == ("spike",) and spikes["time"].attrs["units"] == "s"
    assert spikes.attrs["n_neurons"] == 100
    rates = tree["rates"]["rate"]
    assert rates.dims == ("population", "time") and rates.attrs["units"] == "Hz"
    assert set(rates.population.values) == POPULATIONS
    v = tree["traces/sgacc_exc"]["v"]
    assert v.dims == ("time", "neuron") and v.attrs["units"] == "V"
    c5ht = tree["serotonin"]["c_5ht"]
    assert c5ht.dims == ("region", "time") and c5ht.attrs["units"] == "nM"
    assert list(c5ht.region.values) == ["drn", "sgacc"]


def test_store_is_zarr_v3(runtime_run):
    assert (runtime_run.store / "zarr.json").is_file()
    assert (runtime_run.store / "spikes" / "drn_5ht" / "zarr.json").is_file()


def test_store_attributes_hold_what_reproduces_the_run(runtime_run):
    attrs = open_run(runtime_run.store).attrs
    assert attrs["status"] == "complete"
    assert attrs["device"] == "runtime" and attrs["seed"] == 1
    assert attrs["scenario"]["scenario"]["name"] == "raphe_pfc"
    assert attrs["parameters"]["serotonin.km_sert"] == "60 nM"
    assert "Best" in attrs["parameter_sources"]["serotonin.km_sert"]
    assert attrs["versions"]["brian2"] == "2.10.1"
    assert attrs["wall_time_run_s"] > 0 and attrs["wall_time_build_s"] >= 0
    assert attrs["git_commit"]


def test_binned_rates_agree_with_spike_counts(runtime_run):
    tree = open_run(runtime_run.store)
    binned = tree["rates"]["rate"].sel(population="sgacc_exc")
    from_spikes = population_rates(tree, start=0.0).sel(population="sgacc_exc")
    assert float(binned.mean()) == pytest.approx(float(from_spikes), rel=1e-6)


def test_missing_store_is_one_line(tmp_path):
    with pytest.raises(StoreError, match="no such store"):
        open_run(tmp_path / "absent.zarr")


def test_existing_store_is_not_overwritten(runtime_run):
    with pytest.raises(StoreError, match="already exists"):
        run_scenario(small_scenario("0.1 s", "0 s"), device="runtime", out=runtime_run.store)


def test_partial_store_of_a_killed_writer_does_not_open(runtime_run, tmp_path):
    """What a writer killed mid-way leaves: the partial folder, status 'writing'."""
    partial = partial_path(tmp_path / "run.zarr")
    tree = build_tree(runtime_run.data, {"status": "writing"})
    tree.to_zarr(partial, mode="w", consolidated=False, zarr_format=3)
    with pytest.raises(StoreError, match="incomplete"):
        open_run(partial)
    assert not (tmp_path / "run.zarr").exists()


def test_full_disk_leaves_nothing_behind(runtime_run, tmp_path, monkeypatch):
    def disk_full(self, store, **kwargs):
        xr.Dataset({"x": ("a", np.zeros(3))}).to_zarr(store, mode="w")  # some bytes landed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xr.DataTree, "to_zarr", disk_full)
    target = tmp_path / "run.zarr"
    with pytest.raises(StoreError, match="No space left on device"):
        write_run(target, runtime_run.data, {})
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_the_files_are_written_leaves_nothing_behind(
    runtime_run, tmp_path, monkeypatch
):
    """A small store is built in memory, then written file by file: the disk fills mid-way."""
    write_bytes, written = Path.write_bytes, []

    def fill_up(self, data):
        if len(written) == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(self)
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", fill_up)
    with pytest.raises(StoreError, match="No space left on device"):
        write_run(tmp_path / "run.zarr", runtime_run.data, {})
    assert len(written) == 5 and written[0].name == "zarr.json"  # the root metadata first
    assert list(tmp_path.iterdir()) == []


def _files(root: Path) -> dict[str, bytes | None]:
    """Every folder (None) and file (its bytes) under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in root.rglob("*")
    }


def test_stores_built_in_memory_are_the_files_zarr_writes(runtime_run, tmp_path, monkeypatch):
    """The same folders and bytes as a store streamed to disk by xarray's own writer."""
    attrs = {"seed": 1, "scenario": {"name": "raphe_pfc"}}
    buffered = write_run(tmp_path / "buffered.zarr", runtime_run.data, attrs)
    monkeypatch.setattr(depnet_store, "BUFFER_BYTES", 0)  # too big to buffer: streamed
    streamed = write_run(tmp_path / "streamed.zarr", runtime_run.data, attrs)
    assert _files(buffered) == _files(streamed)
    assert open_run(buffered).attrs["status"] == "complete"


def test_lazy_and_large_data_are_streamed_not_buffered(tmp_path, monkeypatch):
    """Dask arrays are written chunk by chunk (bounded memory), never gathered in memory."""
    lazy = xr.Dataset({"x": ("a", da.arange(10, chunks=5))})
    assert not depnet_store._fits_in_memory(lazy)
    assert depnet_store._fits_in_memory(lazy.compute())
    monkeypatch.setattr(depnet_store, "BUFFER_BYTES", 79)
    assert not depnet_store._fits_in_memory(lazy.compute())  # 80 bytes
    written = write_dataset(tmp_path / "lazy.zarr", lazy)
    assert (xr.open_zarr(written, consolidated=False)["x"].values == np.arange(10)).all()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_run_leaves_no_store_that_opens(tmp_path, signum):
    """SIGKILL (the OOM killer) and SIGTERM (scancel, preemption) part-way through a run."""
    out = tmp_path / "killed.zarr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "depnet", "run", "scenarios/raphe_pfc.toml", "--device", "runtime",
         "--set", "scenario.duration=60 s", "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline and "simulated" not in seen:  # the progress bar is up
        seen += proc.stderr.read(1)
    assert "simulated" in seen, seen
    time.sleep(2)
    proc.send_signal(signum)
    proc.wait(timeout=30)
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # unwound cleanly, with a one-line message
        assert proc.returncode == 130
        assert "interrupted; no store was written" in proc.stderr.read()
    assert not out.exists()
    for leftover in tmp_path.iterdir():
        with pytest.raises(StoreError):
            open_run(leftover)
