"""Functional connectivity and the DMN ("rumination") index against populations of known
correlation; region and population names come from the store, never from the code."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import dmn_index, functional_connectivity
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.rundata import Spikes


def _sharing(names, shared, rate=10.0, n=100, duration=60.0, seed=0) -> dict[str, Spikes]:
    """Populations whose spikes are a common Poisson train (population rate shared * n * rate,
    each spike given to a random neuron) merged with their own (rate (1 - shared) * n * rate).
    Binned counts of two of them then have covariance shared * R dt and variance R dt: their
    correlation is ``shared``."""
    rng = np.random.default_rng(seed)
    common = poisson_trains(shared * n * rate, duration, 1, rng).time
    out = {}
    for name in names:
        own = poisson_trains((1 - shared) * rate, duration, n, rng)
        neuron = np.concatenate([rng.integers(0, n, common.size), own.neuron])
        time = np.concatenate([common, own.time])
        order = np.argsort(time, kind="stable")
        out[name] = Spikes(neuron[order].astype(np.int32), time[order], n)
    return out


def test_populations_sharing_half_their_spikes_have_fc_one_half():
    """c = 0.5 with 1200 bins of 50 ms: the sample correlation scatters by (1 - c^2)/sqrt(1200)
    = 0.02; tolerance 0.08 (4 s.d.). An independent third population has FC 0 within 4/sqrt(1200)
    = 0.12."""
    spikes = _sharing(["dlpfc_exc", "sgacc_exc"], 0.5)
    spikes["ca1_exc"] = poisson_trains(10.0, 60.0, 100, np.random.default_rng(9))
    fc = functional_connectivity(synthetic_run(spikes, 60.0), start=0.0)
    assert fc.dims == ("population", "population_b")
    assert list(fc.region.values) == ["dlpfc", "sgacc", "ca1"]
    np.testing.assert_allclose(np.diag(fc.values), 1.0)
    assert float(fc.sel(population="dlpfc_exc", population_b="sgacc_exc")) == pytest.approx(
        0.5, abs=0.08
    )
    assert abs(float(fc.sel(population="dlpfc_exc", population_b="ca1_exc"))) < 0.12


def test_region_fc_pools_each_regions_populations():
    """Regions pool their populations (neuron-weighted mean rate). pcc = (S + I) / 2 with S its
    exc population, I an independent inh one of equal variance; mpfc = a copy of S. Then
    r(pcc, mpfc) = 1/sqrt(2) = 0.71; over 1200 bins it scatters by ~0.015, tolerance 0.08."""
    spikes = _sharing(["pcc_exc", "mpfc_exc"], 1.0, seed=2)
    spikes["pcc_inh"] = poisson_trains(10.0, 60.0, 100, np.random.default_rng(3))
    fc = functional_connectivity(synthetic_run(spikes, 60.0), by="region", start=0.0)
    assert list(fc.region.values) == ["pcc", "mpfc"]
    assert float(fc.sel(region="pcc", region_b="mpfc")) == pytest.approx(1 / np.sqrt(2), abs=0.08)


def test_dmn_index_is_the_fc_among_dmn_excitatory_populations():
    """pcc_exc and mpfc_exc share 40% of spikes (FC 0.4, s.d. 0.025 over 1200 bins; tolerance
    0.1); an inhibitory DMN population and a non-DMN one do not enter the index."""
    spikes = _sharing(["pcc_exc", "mpfc_exc"], 0.4, seed=4)
    spikes["pcc_inh"] = poisson_trains(10.0, 60.0, 100, np.random.default_rng(5))
    spikes["dlpfc_exc"] = spikes["pcc_exc"]  # perfectly correlated with pcc, but not DMN
    index = dmn_index(synthetic_run(spikes, 60.0), start=0.0)
    assert index.attrs["populations"] == ["pcc_exc", "mpfc_exc"]
    assert float(index) == pytest.approx(0.4, abs=0.1)
    assert "message" not in index.attrs


def test_a_circuit_without_a_dmn_has_a_nan_index_with_a_reason():
    spikes = _sharing(["drn_5ht", "dlpfc_exc"], 0.5, duration=5.0)
    index = dmn_index(synthetic_run(spikes, 5.0), start=0.0)
    assert np.isnan(float(index))
    assert "no DMN" in index.attrs["message"] and "pcc" in index.attrs["message"]
