"""[5-HT], occupancy and synapse summaries against time courses and pools of known statistics."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import serotonin_summary, synapse_density, weight_distribution
from depnet.analysis.serotonin import hill_occupancy
from depnet.analysis.synapses import projection_target, weight_statistics
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.rundata import SynapseRecord


def test_serotonin_summary_of_a_sinusoidal_concentration_is_its_offset_and_amplitude():
    """[5-HT] = 100 + 20 sin(2 pi 2 t) nM sampled every ms over whole periods: mean 100 nM and
    s.d. 20/sqrt(2) = 14.14 nM, exact up to rounding (1e-9). Occupancy sits at its EC50 (0.5)."""
    t = np.arange(0, 3.0, 0.001)
    c = np.stack([100 + 20 * np.sin(2 * np.pi * 2 * t), np.full_like(t, 60.0)])
    occupancy = hill_occupancy(np.full_like(c, 80.0), ec50=80.0)
    rng = np.random.default_rng(0)
    tree = synthetic_run(
        {"drn_5ht": poisson_trains(1.0, 3.0, 10, rng), "mpfc_exc": poisson_trains(1.0, 3.0, 10,
                                                                                  rng)},
        3.0, serotonin={"c_5ht": c, "occupancy_5ht1a": occupancy}, serotonin_time=t, warmup=1.0,
    )  # fmt: skip
    summary = serotonin_summary(tree)
    assert summary.attrs["window_s"] == [1.0, 3.0]
    assert summary.c_5ht.attrs["units"] == "nM"
    assert float(summary.c_5ht.sel(region="drn")) == pytest.approx(100.0, abs=1e-9)
    assert float(summary.c_5ht_std.sel(region="drn")) == pytest.approx(20 / np.sqrt(2), rel=1e-9)
    assert float(summary.c_5ht.sel(region="mpfc")) == pytest.approx(60.0)
    np.testing.assert_allclose(summary.occupancy_5ht1a.values, 0.5)


def test_hill_occupancy_is_half_at_ec50_and_follows_the_hill_equation():
    assert hill_occupancy(80.0, 80.0) == pytest.approx(0.5)
    assert hill_occupancy(240.0, 80.0, hill=2.0) == pytest.approx(9 / 10)
    assert hill_occupancy(0.0, 80.0) == 0.0


def _record(pool, present_over_time, weights=None, present_final=None):
    t = np.arange(len(present_over_time)) * 0.1
    weights = np.full(pool, 1e-9) if weights is None else weights
    present_final = np.ones(pool) if present_final is None else present_final
    return SynapseRecord(
        time=t, n_present=np.asarray(present_over_time, float), pool_size=pool,
        w_mean=np.full(t.size, 1e-9), w_std=np.zeros(t.size), pre=np.zeros(pool, np.int32),
        post=np.zeros(pool, np.int32), w_final=weights, present_final=present_final,
    )  # fmt: skip


def test_synapse_density_pools_the_projections_onto_each_region():
    """ctx receives two projections (pools 100 and 300; 50 and 150 present: density 0.5 at
    every time); ca1 one of pool 200 losing synapses linearly from 200 to 100 (density 1 -> 0.5).
    The densities are ratios of counts: exact."""
    rng = np.random.default_rng(1)
    spikes = {name: poisson_trains(1.0, 1.0, 10, rng) for name in ("ctx_exc", "ctx_inh",
                                                                    "ca1_exc")}  # fmt: skip
    synapses = {
        "ctx_exc_to_ctx_exc": _record(100, [50] * 11),
        "ctx_inh_to_ctx_exc": _record(300, [150] * 11),
        "ctx_exc_to_ca1_exc": _record(200, np.linspace(200, 100, 11)),
    }
    tree = synthetic_run(spikes, 1.0, synapses=synapses)
    assert projection_target(tree, "ctx_exc_to_ca1_exc") == "ca1_exc"
    density = synapse_density(tree)
    assert density.dims == ("region", "time") and density.attrs["units"] == "1"
    assert list(density.region.values) == ["ctx", "ca1"]
    np.testing.assert_allclose(density.sel(region="ctx"), 0.5)
    np.testing.assert_allclose(density.sel(region="ca1"), np.linspace(1.0, 0.5, 11))
    stats = weight_statistics(tree)
    assert list(stats.target.values) == ["ctx_exc", "ctx_exc", "ca1_exc"]


def test_a_run_without_plastic_projections_has_an_empty_density_with_a_reason():
    tree = synthetic_run({"ctx_exc": poisson_trains(1.0, 1.0, 5, np.random.default_rng(2))}, 1.0)
    density = synapse_density(tree)
    assert density.sizes == {"region": 0, "time": 0}
    assert "no plastic projections" in density.attrs["message"]


def test_weight_distribution_of_uniform_weights_is_flat_and_ignores_absent_synapses():
    """10,000 present weights uniform on [0, 1] nS: density 1/nS in every one of 20 bins (each bin
    holds ~500, scattering by sqrt(500)/500 = 4.5%; tolerance 20% for the worst of 20 bins), mean
    0.5 nS (s.e. 0.29/100 nS; tolerance 0.01 nS). 1000 absent synapses at 5 nS are left out."""
    rng = np.random.default_rng(3)
    weights = np.concatenate([rng.uniform(0, 1e-9, 10_000), np.full(1000, 5e-9)])
    present = np.concatenate([np.ones(10_000), np.zeros(1000)])
    tree = synthetic_run(
        {"ctx_exc": poisson_trains(1.0, 1.0, 5, rng)}, 1.0,
        synapses={"ctx_exc_to_ctx_exc": _record(11_000, [10_000], weights, present)},
    )  # fmt: skip
    dist = weight_distribution(tree, "ctx_exc_to_ctx_exc", bins=20)
    assert dist.attrs["units"] == "1/S" and dist.weight.attrs["units"] == "S"
    assert dist.attrs["n_synapses"] == 10_000
    assert float(dist.weight.max()) < 1e-9
    np.testing.assert_allclose(dist.values * 1e-9, 1.0, rtol=0.2)
    assert dist.attrs["mean"] == pytest.approx(0.5e-9, abs=0.01e-9)
