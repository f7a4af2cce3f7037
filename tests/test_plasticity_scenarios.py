"""Learning rules wired into scenarios: any projection carries rules chosen by name."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import open_run, population_rates
from depnet.run import run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario

PLASTIC = {"sgacc_exc_to_sgacc_exc", "sgacc_exc_to_sgacc_inh", "sgacc_exc_to_drn_5ht"}


@pytest.fixture(scope="module")
def plastic_runs(tmp_path_factory):
    """The plastic scenario for 1.5 s on runtime and on cpp, same seed."""
    folder = tmp_path_factory.mktemp("plastic")
    spec = load_scenario(
        scenario_path("raphe_pfc_plastic"),
        {"scenario.duration": "1.5 s", "scenario.warmup": "0.5 s"},
    )
    return {
        target: open_run(
            run_scenario(spec, device=target, out=folder / f"{target}.zarr", progress=False).store
        )
        for target in ("runtime", "cpp")
    }


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


def test_stdp_moves_weights_within_their_bounds(plastic_runs):
    tree = plastic_runs["cpp"]
    for name, w_max in [("sgacc_exc_to_sgacc_inh", 2e-9), ("sgacc_exc_to_sgacc_exc", 0.6e-9)]:
        node = tree[f"synapses/{name}"]
        w = node["w_final"].values
        assert np.all((w >= 0) & (w <= w_max * (1 + 1e-9)))
        assert node["w_std"].values[-1] > 0, f"{name}: STDP left every weight equal"


def test_plastic_scenario_runs_alike_on_runtime_and_cpp(plastic_runs):
    """Same graph, same seed: rates within 10%, synapse density and mean weights within 5%."""
    runtime, cpp = plastic_runs["runtime"], plastic_runs["cpp"]
    np.testing.assert_allclose(
        population_rates(cpp).values, population_rates(runtime).values, rtol=0.10
    )
    for name in PLASTIC:
        a, b = runtime[f"synapses/{name}"], cpp[f"synapses/{name}"]
        np.testing.assert_allclose(b["density"].values, a["density"].values, rtol=0.05)
        np.testing.assert_allclose(b["w_mean"].values, a["w_mean"].values, rtol=0.05)
