"""The LFP sums that the generated code computes equal the sums of the cells' own currents."""

from __future__ import annotations

import numpy as np

from depnet.analysis import open_run
from depnet.rundata import LFP_CURRENTS
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario

#: E_ampa and E_gaba of every cell type (depnet.circuits.neuron.SYNAPTIC_PARAMETERS).
E_AMPA, E_GABA = 0.0, -70e-3


def _every_cell_traced(duration: str = "0.2 s"):
    return load_scenario(
        scenario_path("raphe_pfc"),
        {"scenario.duration": duration, "scenario.warmup": "0.1 s", "scenario.scale": 0.2,
         "record.traces": ["v", "g_ampa", "g_gaba"], "record.trace_neurons": 100_000,
         "record.trace_dt": "1 ms", "record.lfp_dt": "1 ms"},
    )  # fmt: skip


def test_the_lfp_sums_are_the_ampa_and_gaba_currents_of_the_principal_cells(shared_runs):
    """Every 1 ms, the recorded sums of each region equal g_ampa (E_ampa - v) and
    g_gaba (E_gaba - v) added over the region's principal cells (not its interneurons), from
    traces of every cell taken at the same times (cpp; the runtime target's sums equal cpp's:
    tests/test_devices.py)."""
    tree = open_run(shared_runs(_every_cell_traced(), "cpp"))
    lfp = tree["lfp"]
    assert set(lfp.data_vars) == set(LFP_CURRENTS)
    assert lfp["i_ampa"].attrs["units"] == "A"
    traces = tree["traces"]
    for region, principal, interneurons in (("drn", "drn_5ht", "drn_gaba"),
                                            ("sgacc", "sgacc_exc", "sgacc_inh")):  # fmt: skip
        cells = traces[principal]
        np.testing.assert_allclose(cells["time"].values, lfp["time"].values)
        v = cells["v"].values.astype(np.float64)
        expected = {
            "i_ampa": (cells["g_ampa"].values * (E_AMPA - v)).sum(axis=1),
            "i_gaba": (cells["g_gaba"].values * (E_GABA - v)).sum(axis=1),
        }
        assert cells.sizes["neuron"] == tree["spikes"][principal].attrs["n_neurons"]
        for current, values in expected.items():
            recorded = lfp[current].sel(region=region).values.astype(np.float64)
            scale = np.abs(values).max()
            assert scale > 0, (region, current)  # the check has something to compare
            # traces and sums are stored as float32: ~1e-7 of each cell's term
            np.testing.assert_allclose(recorded, values, rtol=0, atol=1e-5 * scale)
        # the interneurons' currents are not in the sum: with them the AMPA sum would differ
        inh = traces[interneurons]
        theirs = (inh["g_ampa"].values * (E_AMPA - inh["v"].values)).sum(axis=1)
        assert np.abs(theirs).max() > 1e-3 * np.abs(expected["i_ampa"]).max()


def test_a_run_without_lfp_sums_has_no_lfp_group(shared_runs):
    spec = load_scenario(
        scenario_path("raphe_pfc"),
        {"scenario.duration": "0.2 s", "scenario.warmup": "0.1 s", "scenario.scale": 0.2,
         "record.lfp": False},
    )  # fmt: skip
    tree = open_run(shared_runs(spec, "cpp"))
    assert "lfp" not in tree.children
