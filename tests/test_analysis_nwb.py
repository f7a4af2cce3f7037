"""NWB export: every spike, population and serotonin sample comes back from the file."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis.nwb import export_nwb
from depnet.analysis.synthetic import poisson_trains, synthetic_run

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
