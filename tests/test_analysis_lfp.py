"""The LFP and EEG proxies and clinical band powers, against inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis.lfp import (
    AMPA_DELAY,
    CLINICAL_BANDS,
    GABA_WEIGHT,
    eeg_proxy,
    eeg_weights,
    lfp_band_powers,
    lfp_proxy,
    synaptic_activity,
)
from depnet.analysis.synthetic import poisson_trains, synthetic_run

DT = 1e-3


def _run(currents: dict[str, np.ndarray], regions: list[str], duration: float, warmup=0.0):
    rng = np.random.default_rng(0)
    spikes = {f"{r}_exc": poisson_trains(1.0, duration, 2, rng) for r in regions}
    return synthetic_run(spikes, duration, regions=regions, lfp=currents, warmup=warmup)


def test_the_lfp_proxy_is_mazzonis_weighted_sum_of_delayed_ampa_and_gaba():
    """RWS of Mazzoni et al. 2015: |AMPA(t - 6 ms)| - 1.65 |GABA(t)|, exactly, sample by sample
    (AMPA positive and GABA negative as the model's currents are, and the other signs too)."""
    t = np.arange(0, 2.0, DT)
    ampa = np.stack([2e-9 + 1e-9 * np.sin(2 * np.pi * 7 * t), -3e-9 * np.cos(2 * np.pi * 3 * t)])
    gaba = np.stack([-1e-9 * (1 + t), 0.5e-9 * np.sin(2 * np.pi * 40 * t)])
    tree = _run({"i_ampa": ampa, "i_gaba": gaba}, ["dlpfc", "sgacc"], 2.0)
    lfp = lfp_proxy(tree)
    shift = round(AMPA_DELAY / DT)
    expected = np.abs(ampa[:, :-shift]) - GABA_WEIGHT * np.abs(gaba[:, shift:])
    assert lfp.dims == ("region", "time") and lfp.attrs["units"] == "A"
    np.testing.assert_allclose(lfp["time"].values, t[shift:])
    # float32 in the store: 7 digits of the nA-scale terms
    np.testing.assert_allclose(lfp.values, expected, rtol=1e-6, atol=1e-15)


def test_the_lfp_proxy_starts_after_the_warmup():
    t = np.arange(0, 1.0, DT)
    tree = _run({"i_ampa": np.ones((1, t.size)) * 1e-9}, ["dlpfc"], 1.0, warmup=0.25)
    lfp = lfp_proxy(tree)
    assert lfp["time"].values[0] == pytest.approx(0.25)
    np.testing.assert_allclose(lfp.values, 1e-9, rtol=1e-6)


def test_synaptic_activity_adds_the_magnitudes_of_the_ampa_and_gaba_currents():
    t = np.arange(0, 1.0, DT)
    n = t.size
    tree = _run({"i_ampa": np.full((1, n), 2e-9), "i_gaba": np.full((1, n), -3e-9)}, ["pcc"], 1.0)
    np.testing.assert_allclose(synaptic_activity(tree).values, 5e-9, rtol=1e-6)


def test_a_theta_rhythm_in_the_currents_puts_the_lfp_power_in_the_theta_band():
    """A 6 Hz modulation of the AMPA current gives an LFP whose power lies in theta (4-8 Hz),
    its variance (amplitude^2 / 2) recovered by the band power."""
    t = np.arange(0, 20.0, DT)
    amplitude = 1e-9
    ampa = (5e-9 + amplitude * np.sin(2 * np.pi * 6.0 * t))[None, :]
    tree = _run({"i_ampa": ampa, "i_gaba": np.full_like(ampa, -1e-9)}, ["sgacc"], 20.0)
    bands = lfp_band_powers(tree)
    theta = float(bands["theta_power"].sel(region="sgacc"))
    assert theta == pytest.approx(amplitude**2 / 2, rel=0.05)
    assert float(bands["relative_theta_power"].sel(region="sgacc")) > 0.95
    for band in set(CLINICAL_BANDS) - {"theta"}:
        assert float(bands[f"relative_{band}_power"].sel(region="sgacc")) < 0.03


def test_the_eeg_proxy_weights_near_regions_more_and_leaves_deep_ones_out():
    weights = eeg_weights(["dlpfc", "pcc", "ca1", "drn"])
    assert float(np.abs(weights).max()) == pytest.approx(1.0)
    assert (weights.sel(region=["ca1", "drn"]) == 0).all()
    # the frontal sensors see the prefrontal dipole more than the parietal one, and Pz the reverse
    assert abs(weights.sel(sensor="F3", region="dlpfc")) > abs(
        weights.sel(sensor="F3", region="pcc")
    )
    assert abs(weights.sel(sensor="Pz", region="pcc")) > abs(
        weights.sel(sensor="Pz", region="dlpfc")
    )


def test_the_eeg_proxy_is_the_weighted_sum_of_the_regions_lfp():
    t = np.arange(0, 1.0, DT)
    ampa = np.stack([np.full(t.size, 1e-9), np.full(t.size, 2e-9), np.full(t.size, 5e-9)])
    tree = _run({"i_ampa": ampa}, ["dlpfc", "pcc", "ca1"], 1.0)
    eeg = eeg_proxy(tree)
    w = eeg_weights(["dlpfc", "pcc", "ca1"])
    expected = w.sel(region="dlpfc") * 1e-9 + w.sel(region="pcc") * 2e-9  # ca1 weighs 0
    np.testing.assert_allclose(eeg.isel(time=10).values, expected.values, rtol=1e-6)


def test_a_run_without_lfp_sums_says_so():
    tree = synthetic_run({"dlpfc_exc": poisson_trains(1.0, 1.0, 2, np.random.default_rng(0))}, 1.0)
    with pytest.raises(ValueError, match="this run has no /lfp"):
        lfp_proxy(tree)


def test_the_eeg_proxy_needs_a_cortical_region():
    t = np.arange(0, 1.0, DT)
    tree = _run({"i_ampa": np.ones((1, t.size))}, ["drn"], 1.0)
    with pytest.raises(ValueError, match="no cortical region for the EEG proxy among drn"):
        eeg_proxy(tree)
