"""NWB export: every spike, population and serotonin sample comes back from the file."""

from __future__ import annotations

import tracemalloc

import h5py
import numpy as np
import pytest

from depnet.analysis.nwb import export_nwb
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.rundata import Spikes

pynwb = pytest.importorskip("pynwb")


def test_a_run_exported_to_nwb_reads_back_spike_for_spike(tmp_path):
    rng = np.random.default_rng(0)
    spikes = {"dg_granule": poisson_trains(5.0, 2.0, 30, rng),
              "pcc_exc": poisson_trains(10.0, 2.0, 20, rng)}  # fmt: skip
    t = np.arange(0, 2.0, 0.001)
    c = np.stack([60 + 10 * np.sin(t), 80 + 0 * t])
    tree = synthetic_run(spikes, 2.0, serotonin={"c_5ht": c}, serotonin_time=t)
    path = export_nwb(tree, tmp_path / "run.nwb")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert len(units) == 50
        assert list(units.population.unique()) == ["dg_granule", "pcc_exc"]
        assert list(units.region.unique()) == ["dg", "pcc"]
        for name, trains in spikes.items():
            for i in (0, 7, 19):
                expected = np.sort(trains.time[trains.neuron == i])
                row = units[(units.population == name) & (units.neuron == i)].iloc[0]
                np.testing.assert_array_equal(row.spike_times, expected)
        series = nwb.processing["serotonin"]["c_5ht"]
        assert series.unit == "nM"
        np.testing.assert_allclose(series.data[:], c.T)
        assert nwb.processing["rates"]["population_rate"].unit == "Hz"


def _trains(rates: np.ndarray, duration: float, rng: np.random.Generator) -> Spikes:
    """Poisson trains of one rate per neuron (0: silent), in time order as a store keeps them."""
    counts = rng.poisson(rates * duration)
    neuron = np.repeat(np.arange(rates.size), counts)
    time = rng.uniform(0, duration, neuron.size)
    order = np.argsort(time, kind="stable")
    return Spikes(neuron[order].astype(np.int32), time[order], rates.size)


def _uneven_run(rng: np.random.Generator, path=None):
    """Populations of uneven rates: silent neurons, one silent population, one busy neuron."""
    exc = rng.gamma(0.5, 8.0, 120)  # skewed rates, many near zero
    exc[rng.choice(120, 30, replace=False)] = 0.0
    inh = np.full(40, 20.0)
    inh[5] = 400.0  # more spikes than a block: a bucket of its own
    spikes = {
        "drn_5ht": _trains(np.r_[np.zeros(3), np.full(9, 2.0)], 2.0, rng),
        "pfc_exc": _trains(exc, 2.0, rng),
        "pfc_silent": _trains(np.zeros(7), 2.0, rng),
        "pfc_inh": _trains(inh, 2.0, rng),
    }
    return spikes, synthetic_run(spikes, 2.0, regions=["drn", "pfc"], path=path)


@pytest.mark.parametrize(
    ("on_disk", "block"),
    [(False, None), (False, 53), (True, 256)],
    ids=["whole", "blocks", "store"],
)
def test_every_unit_gets_exactly_its_spikes_in_time_order(tmp_path, on_disk, block):
    spikes, tree = _uneven_run(np.random.default_rng(1), tmp_path / "run.zarr" if on_disk else None)
    path = export_nwb(tree, tmp_path / "run.nwb", block=block)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # scratch gone
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units
        population = units["population"].data[:].astype(str)
        neuron = units["neuron"].data[:]
        assert list(units.id.data[:]) == list(range(sum(s.n_neurons for s in spikes.values())))
        assert units["spike_times"].target.data.shape == (
            sum(s.time.size for s in spikes.values()),
        )
        row = 0
        for name, trains in spikes.items():
            assert list(population[row : row + trains.n_neurons]) == [name] * trains.n_neurons
            np.testing.assert_array_equal(neuron[row : row + trains.n_neurons],
                                          np.arange(trains.n_neurons))  # fmt: skip
            for i in range(trains.n_neurons):
                got = np.asarray(units["spike_times"][row + i])
                expected = trains.time[trains.neuron == i]
                np.testing.assert_array_equal(got, expected)
                assert np.all(np.diff(got) >= 0)
            row += trains.n_neurons
        assert set(units["region"].data[:].astype(str)) == {"drn", "pfc"}


def test_a_run_without_spikes_exports_empty_units(tmp_path):
    rng = np.random.default_rng(2)
    tree = synthetic_run({"pfc_exc": _trains(np.zeros(4), 1.0, rng)}, 1.0)
    with pynwb.NWBHDF5IO(str(export_nwb(tree, tmp_path / "run.nwb")), "r") as io:
        units = io.read().units
        assert len(units) == 4
        assert all(len(units["spike_times"][i]) == 0 for i in range(4))


def test_export_memory_is_bounded_by_a_block_not_by_the_spikes(tmp_path):
    rng = np.random.default_rng(3)
    n, per_neuron, duration = 2000, 1000, 10.0
    neuron = np.repeat(np.arange(n, dtype=np.int32), per_neuron)
    time = rng.uniform(0, duration, neuron.size)
    order = np.argsort(time)
    trains = Spikes(neuron[order], time[order], n)
    del neuron, time, order
    tree = synthetic_run({"pfc_exc": trains}, duration, serotonin_time=np.arange(0, duration, 0.1))
    all_times = trains.time.nbytes  # 16 MB: what holding the spike times once would cost
    # once before measuring: pynwb and hdmf load their schemas and caches on first use
    export_nwb(
        synthetic_run({"pfc_exc": poisson_trains(5.0, 0.1, 3, rng)}, 0.1), tmp_path / "w.nwb"
    )
    tracemalloc.start()
    try:
        export_nwb(tree, tmp_path / "run.nwb", block=1 << 15)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < all_times / 4, f"peak {peak / 2**20:.1f} MiB"
    with h5py.File(tmp_path / "run.nwb", "r") as f:
        index = f["units/spike_times_index"][:]
        np.testing.assert_array_equal(index, np.arange(1, n + 1) * per_neuron)
        unit_7 = f["units/spike_times"][7 * per_neuron : 8 * per_neuron]
    np.testing.assert_array_equal(unit_7, trains.time[trains.neuron == 7])


def test_lfp_is_exported_when_the_run_recorded_it(tmp_path):
    rng = np.random.default_rng(4)
    t = np.arange(0, 0.5, 0.001)
    lfp = {"i_ampa": -1e-9 * rng.uniform(size=(2, t.size)), "i_gaba": 1e-9 * np.ones((2, t.size))}
    spikes = {
        "dg_granule": poisson_trains(5.0, 0.5, 3, rng),
        "pcc_exc": poisson_trains(5.0, 0.5, 3, rng),
    }
    tree = synthetic_run(spikes, 0.5, lfp=lfp, lfp_time=t)
    with pynwb.NWBHDF5IO(str(export_nwb(tree, tmp_path / "run.nwb")), "r") as io:
        module = io.read().processing["lfp"]
        assert set(module.data_interfaces) == set(tree["lfp"].data_vars)
        for name, values in lfp.items():
            series = module[name]
            assert series.unit == "A"
            np.testing.assert_array_equal(series.timestamps[:], t)
            np.testing.assert_allclose(series.data[:], values.T, rtol=1e-6)  # float32 in store
    plain = synthetic_run(spikes, 0.5)
    with pynwb.NWBHDF5IO(str(export_nwb(plain, tmp_path / "plain.nwb")), "r") as io:
        assert "lfp" not in io.read().processing
