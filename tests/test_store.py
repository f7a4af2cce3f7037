"""The run store: layout read back as xarray, and never a store that looks complete but is not."""

from __future__ import annotations

import errno
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr

from depnet import store as depnet_store
from depnet.analysis import open_run, population_rates, rate_time_course
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.errors import StoreError
from depnet.run import run_scenario
from depnet.rundata import SEROTONIN_VARIABLES, RunData, Spikes, SynapseRecord, Traces
from depnet.store import STORE_VERSION, build_tree, pack, partial_path, write_dataset, write_run
from tests.conftest import ROOT, small_scenario

POPULATIONS = {"drn_5ht", "drn_gaba", "sgacc_exc", "sgacc_inh"}


@pytest.fixture(scope="module")
def stored_run(shared_runs):
    """A store of the raphe-sgACC loop (1 s on cpp, shared with the other tests), and the data
    of the same run."""
    spec = small_scenario("1 s", "0.5 s")
    data = run_scenario(spec, device="cpp", write=False, progress=False).data
    return SimpleNamespace(store=shared_runs(spec), data=data)


def test_store_opens_as_a_datatree_with_named_dimensions_and_units(stored_run):
    tree = open_run(stored_run.store)
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


def test_store_is_zarr_v3(stored_run):
    assert (stored_run.store / "zarr.json").is_file()
    assert (stored_run.store / "spikes" / "time" / "zarr.json").is_file()
    assert open_run(stored_run.store).attrs["store_version"] == STORE_VERSION


def test_a_store_reads_without_depnet_as_the_docs_show(stored_run):
    """The docs' example (store format page: plain xarray and CF ragged-array metadata) run on a
    real store: it gives the raphe's spikes that depnet's own reader gives, and xarray opens the
    store from its consolidated metadata, without a warning."""
    import doctest

    page = ROOT / "docs" / "store-format.md"
    blocks = re.findall(r"```pycon\n(.*?)```", page.read_text(), re.DOTALL)
    example = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {"path": stored_run.store}, page.name, str(page), 0
    )
    assert example.examples
    runner = doctest.DocTestRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback from consolidated metadata, no other
        runner.run(example, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0
    plain = example.globs["drn_5ht"]
    ours = open_run(stored_run.store)["spikes/drn_5ht"].to_dataset()
    assert plain.sizes["spike"] == ours.sizes["spike"] > 0
    np.testing.assert_array_equal(plain["neuron"].values, ours["neuron"].values)
    np.testing.assert_array_equal(plain["time"].values, ours["time"].values)
    packed = xr.open_datatree(stored_run.store, engine="zarr", zarr_format=3, consolidated=False)
    for group, dim in (("spikes", "spike"), ("synapses", "synapse")):
        if group in packed.children:
            assert packed[group]["count"].attrs["sample_dimension"] == dim
            assert "contiguous ragged array" in packed[group].attrs["description"]


def test_store_attributes_hold_what_reproduces_the_run(stored_run):
    attrs = open_run(stored_run.store).attrs
    assert attrs["status"] == "complete"
    assert attrs["device"] == "cpp" and attrs["seed"] == 1
    assert attrs["scenario"]["scenario"]["name"] == "raphe_pfc"
    assert attrs["parameters"]["serotonin.km_sert"] == "60 nM"
    assert "Best" in attrs["parameter_sources"]["serotonin.km_sert"]
    assert attrs["versions"]["brian2"] == "2.10.1"
    assert attrs["wall_time_run_s"] > 0 and attrs["wall_time_build_s"] >= 0
    assert attrs["git_commit"]


def test_binned_rates_agree_with_spike_counts(stored_run):
    tree = open_run(stored_run.store)
    binned = tree["rates"]["rate"].sel(population="sgacc_exc")
    from_spikes = population_rates(tree, start=0.0).sel(population="sgacc_exc")
    assert float(binned.mean()) == pytest.approx(float(from_spikes), rel=1e-6)


def test_missing_store_is_one_line(tmp_path):
    with pytest.raises(StoreError, match="no such store"):
        open_run(tmp_path / "absent.zarr")


def test_existing_store_is_not_overwritten(stored_run):
    with pytest.raises(StoreError, match="already exists"):
        run_scenario(small_scenario("0.1 s", "0 s"), device="runtime", out=stored_run.store)


def test_partial_store_of_a_killed_writer_does_not_open(stored_run, tmp_path):
    """What a writer killed mid-way leaves: the partial folder, status 'writing'."""
    partial = partial_path(tmp_path / "run.zarr")
    tree = pack(build_tree(stored_run.data, {"status": "writing", "store_version": 2}))
    tree.to_zarr(partial, mode="w", consolidated=False, zarr_format=3)
    with pytest.raises(StoreError, match="incomplete"):
        open_run(partial)
    assert not (tmp_path / "run.zarr").exists()


def test_a_writer_stopped_between_its_files_leaves_a_store_that_says_writing(
    stored_run, tmp_path, monkeypatch
):
    """The store is made complete and consolidated in memory, but on disk the complete root
    metadata is the last file written: a writer that stops before it leaves status 'writing'."""
    written: list[str] = []

    def write_bytes(self, data):
        if len(written) == 12:  # part-way through the arrays' files
            raise KeyboardInterrupt
        written.append(self.name)
        with open(self, "wb") as handle:
            handle.write(data)

    def complete(store) -> None:
        zarr.open_group(store, mode="r+").attrs["status"] = "complete"

    tree = pack(build_tree(stored_run.data, {"status": "writing", "store_version": STORE_VERSION}))
    folder = tmp_path / "run.zarr"
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(KeyboardInterrupt):
        depnet_store._to_zarr(tree, folder, complete)
    monkeypatch.undo()
    assert written[0] == "zarr.json"
    assert depnet_store.read_attrs(folder)["status"] == "writing"
    with pytest.raises(StoreError, match="incomplete"):
        open_run(folder)


def test_full_disk_leaves_nothing_behind(stored_run, tmp_path, monkeypatch):
    def disk_full(self, store, **kwargs):
        some = xr.Dataset({"x": ("a", np.zeros(3))})
        some.to_zarr(store, mode="w", consolidated=False)  # some bytes landed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xr.DataTree, "to_zarr", disk_full)
    target = tmp_path / "run.zarr"
    with pytest.raises(StoreError, match="No space left on device"):
        write_run(target, stored_run.data, {})
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_the_files_are_written_leaves_nothing_behind(
    stored_run, tmp_path, monkeypatch
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
        write_run(tmp_path / "run.zarr", stored_run.data, {})
    assert len(written) == 5 and written[0].name == "zarr.json"  # the root metadata first
    assert list(tmp_path.iterdir()) == []


def _files(root: Path) -> dict[str, bytes | None]:
    """Every folder (None) and file (its bytes) under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in root.rglob("*")
    }


def test_stores_built_in_memory_are_the_files_zarr_writes(stored_run, tmp_path, monkeypatch):
    """The same folders and bytes as a store streamed to disk by xarray's own writer."""
    attrs = {"seed": 1, "scenario": {"name": "raphe_pfc"}}
    buffered = write_run(tmp_path / "buffered.zarr", stored_run.data, attrs)
    monkeypatch.setattr(depnet_store, "BUFFER_BYTES", 0)  # too big to buffer: streamed
    streamed = write_run(tmp_path / "streamed.zarr", stored_run.data, attrs)
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


def test_a_collected_sweep_opens_in_plain_xarray_without_a_warning(tmp_path):
    """`depnet collect` writes a dataset that an analyst opens with ``xr.open_zarr``: its
    metadata is consolidated, so xarray does not fall back (with a RuntimeWarning) to reading
    it file by file."""
    dataset = xr.Dataset({"rate": ("point", [1.0, 2.0])}, attrs={"n_points": 2})
    written = write_dataset(tmp_path / "collected.zarr", dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = xr.open_zarr(written)
    assert opened.attrs["n_points"] == 2 and list(opened["rate"].values) == [1.0, 2.0]


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
        assert "interrupted; the running scenario's store was not written" in proc.stderr.read()
    assert not out.exists()
    for leftover in tmp_path.iterdir():
        with pytest.raises(StoreError):
            open_run(leftover)


# -- the layout on disk: one group per kind of record, read back per population ----------------
DURATION = 2.0


def _traces(n_cells: int, rng: np.random.Generator, first: int = 0) -> Traces:
    """Traces of ``v`` and ``g_girk`` of ``n_cells`` cells (indices from ``first``), every 1 ms."""
    time = np.arange(0, DURATION, 1e-3)
    return Traces(
        time=time,
        neuron=np.arange(first, first + n_cells, dtype=np.int32),
        values={v: rng.normal(size=(time.size, n_cells)).astype(np.float32)
                for v in ("v", "g_girk")},
    )  # fmt: skip


def _projection(n_synapses: int, rng: np.random.Generator) -> SynapseRecord:
    """A plastic projection's record: counts and weight statistics every 100 ms, final weights."""
    time = np.arange(0, DURATION, 0.1)
    return SynapseRecord(
        time=time, n_present=rng.integers(0, n_synapses, time.size).astype(float),
        pool_size=2 * n_synapses, w_mean=rng.random(time.size), w_std=rng.random(time.size),
        pre=rng.integers(0, 50, n_synapses, dtype=np.int32),
        post=rng.integers(0, 50, n_synapses, dtype=np.int32),
        w_final=rng.random(n_synapses), present_final=np.ones(n_synapses),
    )  # fmt: skip


def _recorded(n_populations: int = 3, seed: int = 0) -> dict:
    """What a run of ``n_populations`` populations records: spikes (the second population never
    fires), traces of a different number of cells per population, two plastic projections."""
    rng = np.random.default_rng(seed)
    spikes = {f"r{k}_exc": poisson_trains(5.0 + k, DURATION, 10 + 7 * k, rng)
              for k in range(n_populations)}  # fmt: skip
    spikes["r1_exc"] = Spikes(np.zeros(0, np.int32), np.zeros(0), spikes["r1_exc"].n_neurons)
    traces = {name: _traces(2 + k, rng, first=k) for k, name in enumerate(spikes)}
    synapses = {"r0_exc_to_r0_exc": _projection(30, rng), "r2_exc_to_r0_exc": _projection(5, rng)}
    return {"spikes": spikes, "traces": traces, "synapses": synapses}


def test_a_runs_spikes_come_back_per_population_as_they_were_recorded(tmp_path):
    """Every spike of every population, in its order, with its neuron index; a population that
    never fired comes back with no spikes, and each keeps its number of neurons."""
    recorded = _recorded()
    tree = synthetic_run(recorded["spikes"], DURATION, path=tmp_path / "run.zarr")
    assert set(tree["spikes"].children) == set(recorded["spikes"])
    for name, spikes in recorded["spikes"].items():
        node = tree["spikes"][name]
        np.testing.assert_array_equal(node["neuron"].values, spikes.neuron)
        np.testing.assert_array_equal(node["time"].values, spikes.time)
        assert node["neuron"].dtype == np.int32 and node["time"].attrs["units"] == "s"
        assert node.attrs["n_neurons"] == spikes.n_neurons
    assert tree["spikes"]["r1_exc"]["time"].sizes == {"spike": 0}


def test_traces_of_populations_of_different_sizes_come_back_per_population(tmp_path):
    """Each population's traces as ``(time, neuron)`` with its own recorded cells, whatever the
    number of cells traced in the others."""
    recorded = _recorded()
    tree = synthetic_run(
        recorded["spikes"], DURATION, traces=recorded["traces"], path=tmp_path / "run.zarr"
    )
    for name, traces in recorded["traces"].items():
        node = tree[f"traces/{name}"]
        np.testing.assert_array_equal(node["neuron"].values, traces.neuron)
        np.testing.assert_array_equal(node["time"].values, traces.time)
        for variable, values in traces.values.items():
            assert node[variable].dims == ("time", "neuron")
            np.testing.assert_array_equal(node[variable].values, values)
        assert node["v"].attrs["units"] == "V" and node["g_girk"].attrs["units"] == "S"


def test_plastic_projections_come_back_per_projection(tmp_path):
    """Synapse counts and weights over time, and each projection's own final synapses."""
    recorded = _recorded()
    tree = synthetic_run(
        recorded["spikes"], DURATION, synapses=recorded["synapses"], path=tmp_path / "run.zarr"
    )
    for name, record in recorded["synapses"].items():
        node = tree[f"synapses/{name}"]
        assert node.attrs["pool_size"] == record.pool_size
        for field in ("n_present", "w_mean", "w_std", "time"):
            np.testing.assert_array_equal(node[field].values, getattr(record, field))
        np.testing.assert_allclose(node["density"], record.n_present / record.pool_size)
        for field in ("pre", "post", "w_final", "present_final"):
            np.testing.assert_array_equal(node[field].values, getattr(record, field))


def test_a_store_opens_as_the_tree_that_was_written(tmp_path):
    """Read back, lazily and through dask, a store is the tree :func:`build_tree` arranged."""
    recorded = _recorded()
    in_memory = synthetic_run(recorded["spikes"], DURATION, traces=recorded["traces"],
                              synapses=recorded["synapses"])  # fmt: skip
    synthetic_run(recorded["spikes"], DURATION, traces=recorded["traces"],
                  synapses=recorded["synapses"], path=tmp_path / "run.zarr")  # fmt: skip
    for chunks in (None, {}):
        tree = open_run(tmp_path / "run.zarr", chunks=chunks)
        assert sorted(node.path for node in tree.subtree) == sorted(
            node.path for node in in_memory.subtree
        )
        for node in in_memory.subtree:
            expected = node.to_dataset(inherit=False)
            if node.is_root:
                expected.attrs["store_version"] = STORE_VERSION
            read = tree[node.path].to_dataset(inherit=False)
            xr.testing.assert_identical(read.compute(), expected)


def test_opening_a_store_reads_no_spikes_or_traces(tmp_path):
    """Spikes and traces stay on disk until indexed (they can be far larger than memory)."""
    recorded = _recorded()
    synthetic_run(recorded["spikes"], DURATION, traces=recorded["traces"],
                  path=tmp_path / "run.zarr")  # fmt: skip
    tree = open_run(tmp_path / "run.zarr")
    for name in recorded["spikes"]:
        assert not tree["spikes"][name]["time"].variable._in_memory
    for name in recorded["traces"]:
        assert not tree["traces"][name]["v"].variable._in_memory


def _arrays(store: Path) -> int:
    """Number of zarr arrays in a store (every node that is not a group)."""
    return sum('"node_type": "array"' in p.read_text() for p in store.rglob("zarr.json"))


def test_a_store_has_as_many_arrays_for_three_populations_as_for_thirty(tmp_path):
    """Each array costs zarr and xarray ~2 ms to write and to open: their number must not grow
    with the circuit (populations traced or not, plastic projections)."""
    counts = []
    for n in (3, 30):
        recorded = _recorded(n)
        store = tmp_path / f"{n}.zarr"
        synthetic_run(recorded["spikes"], DURATION, traces=recorded["traces"],
                      synapses=recorded["synapses"], path=store)  # fmt: skip
        counts.append(_arrays(store))
    assert counts[0] == counts[1] <= 40


def _run_data(recorded: dict) -> RunData:
    """The :class:`RunData` that :func:`synthetic_run` writes for ``recorded``."""
    time = np.arange(0, DURATION, 1e-3)
    regions = list(dict.fromkeys(name.split("_", 1)[0] for name in recorded["spikes"]))
    return RunData(
        duration=DURATION, spikes=recorded["spikes"], traces=recorded["traces"],
        serotonin_time=time, regions=regions,
        serotonin={v: np.zeros((len(regions), time.size)) for v in SEROTONIN_VARIABLES},
        rate_bin=0.01, synapses=recorded["synapses"],
    )  # fmt: skip


def test_a_version_1_store_opens_as_it_did(tmp_path):
    """Stores written before the packed layout (one group per population on disk, as read)
    open as the same tree as a store of today."""
    recorded = _recorded()
    current = synthetic_run(recorded["spikes"], DURATION, traces=recorded["traces"],
                            synapses=recorded["synapses"], path=tmp_path / "v2.zarr")  # fmt: skip
    v1_attrs = {**current.attrs, "store_version": 1}
    build_tree(_run_data(recorded), v1_attrs).to_zarr(
        tmp_path / "v1.zarr", mode="w", consolidated=False, zarr_format=3
    )  # what the version-1 writer wrote
    assert (tmp_path / "v1.zarr" / "spikes" / "r0_exc" / "zarr.json").is_file()
    old = open_run(tmp_path / "v1.zarr")
    assert old.attrs == v1_attrs
    assert sorted(n.path for n in old.subtree) == sorted(n.path for n in current.subtree)
    for node in current.subtree:
        if not node.is_root:
            xr.testing.assert_identical(
                old[node.path].to_dataset(inherit=False).compute(),
                node.to_dataset(inherit=False).compute(),
            )
    np.testing.assert_array_equal(
        rate_time_course(old, start=0.0).values, rate_time_course(current, start=0.0).values
    )


def test_a_store_of_a_newer_version_is_refused_in_one_line(tmp_path):
    store = synthetic_run(_recorded()["spikes"], DURATION, path=tmp_path / "run.zarr")
    zarr.open_group(tmp_path / "run.zarr", mode="r+").attrs["store_version"] = STORE_VERSION + 1
    with pytest.raises(StoreError, match="newer depnet") as err:
        open_run(tmp_path / "run.zarr")
    assert "\n" not in str(err.value)
    assert store.attrs["store_version"] == STORE_VERSION


def test_a_store_missing_an_array_of_its_layout_is_one_line(tmp_path):
    """A packed store whose per-population index was lost (a hand-edited or damaged copy)."""
    synthetic_run(_recorded()["spikes"], DURATION, path=tmp_path / "run.zarr")
    shutil.rmtree(tmp_path / "run.zarr" / "spikes" / "first")
    with pytest.raises(StoreError, match="damaged store") as err:
        open_run(tmp_path / "run.zarr")
    assert "\n" not in str(err.value)
