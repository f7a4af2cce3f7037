"""Learning rules wired into scenarios: any projection carries rules chosen by name."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import open_run
from depnet.run import network_data, run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario

PLASTIC = {"sgacc_exc_to_sgacc_exc", "sgacc_exc_to_sgacc_inh", "sgacc_exc_to_drn_5ht"}


@pytest.fixture(scope="module")
def plastic_runs(shared_runs):
    """The plastic scenario for 1.5 s on cpp."""
    spec = load_scenario(
        scenario_path("raphe_pfc_plastic"),
        {"scenario.duration": "1.5 s", "scenario.warmup": "0.5 s"},
    )
    return {"cpp": open_run(shared_runs(spec))}


def test_store_records_each_plastic_projection(plastic_runs):
    tree = plastic_runs["cpp"]
    assert set(tree["synapses"].children) == PLASTIC
    pool = tree["synapses/sgacc_exc_to_sgacc_exc"]
    # structural: a pool of pool_factor (2) x in-degree (80) potential inputs per pyramidal cell
    assert pool.attrs["pool_size"] == 2 * 80 * 400
    assert set(np.unique(pool["present_final"].values)) <= {0.0, 1.0}
    n = pool["n_present"].values
    assert np.all((n >= 0) & (n <= pool.attrs["pool_size"]))  # present + absent = pool
    assert pool["density"].values[0] == pytest.approx(0.5, abs=0.01)  # in-degree / pool size


def test_stored_synapses_name_cells_by_their_index_in_the_populations(plastic_runs):
    """``pre``/``post`` of /synapses are cell indices in the projection's source and target
    populations, as ``neuron`` of /spikes (store version 3), not in the NeuronGroups: sources
    lie in their population's range and every target cell of every projection is reached
    (fixed in-degree), sgacc_exc_to_sgacc_inh's too, whose targets do not start their
    NeuronGroup."""
    tree = plastic_runs["cpp"]
    spec = load_scenario(scenario_path("raphe_pfc_plastic"))
    placements = network_data(spec, "cpp").layout.placements
    assert placements["sgacc_inh"][1] > 0  # the subtraction matters for this projection
    for name in PLASTIC:
        source, target = name.split("_to_")
        node = tree[f"synapses/{name}"]
        pre, post = np.unique(node["pre"].values), np.unique(node["post"].values)
        assert pre.min() >= 0 and pre.max() < tree[f"spikes/{source}"].attrs["n_neurons"], name
        # fixed in-degree: every target cell has inputs
        assert np.array_equal(post, np.arange(tree[f"spikes/{target}"].attrs["n_neurons"])), name


def test_stdp_moves_weights_within_their_bounds(plastic_runs):
    tree = plastic_runs["cpp"]
    for name, w_max in [("sgacc_exc_to_sgacc_inh", 2e-9), ("sgacc_exc_to_sgacc_exc", 0.6e-9)]:
        node = tree[f"synapses/{name}"]
        w = node["w_final"].values
        assert np.all((w >= 0) & (w <= w_max * (1 + 1e-9)))
        assert node["w_std"].values[-1] > 0, f"{name}: STDP left every weight equal"


def test_plastic_scenario_runs_alike_on_runtime_and_cpp():
    """Same graph, same seed, the same rand() stream for the structural update: every learning
    rule gives the same spikes, synapse counts and weights on both targets (0.4 s)."""
    spec = load_scenario(
        scenario_path("raphe_pfc_plastic"), {"scenario.duration": "0.4 s", "scenario.warmup": "0 s"}
    )
    runtime, cpp = (
        run_scenario(spec, device=target, write=False, progress=False).data
        for target in ("runtime", "cpp")
    )
    for name, spikes in cpp.spikes.items():
        np.testing.assert_array_equal(spikes.time, runtime.spikes[name].time, err_msg=name)
        np.testing.assert_array_equal(spikes.neuron, runtime.spikes[name].neuron, err_msg=name)
    assert set(cpp.synapses) == PLASTIC
    for name, record in cpp.synapses.items():
        np.testing.assert_array_equal(record.n_present, runtime.synapses[name].n_present)
        np.testing.assert_allclose(record.w_final, runtime.synapses[name].w_final, rtol=1e-9)
