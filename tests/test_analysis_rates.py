"""Firing rates from spikes: known rates come back, and counting block by block changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import (
    load,
    mean_rates,
    neuron_rates,
    open_run,
    rate_time_course,
    spike_counts,
)
from depnet.analysis.synthetic import modulated_poisson_trains, poisson_trains, synthetic_run
from depnet.rundata import Spikes


def test_a_poisson_population_at_10_hz_fires_at_10_hz():
    """200 neurons x 20 s at 10 Hz: 40,000 spikes expected, so the mean-rate estimate has a
    standard deviation of sqrt(40000) / (200 * 20 s) = 0.05 Hz; the tolerance is 4 of them."""
    rng = np.random.default_rng(1)
    tree = synthetic_run({"ctx_exc": poisson_trains(10.0, 20.0, 200, rng)}, 20.0)
    rate = mean_rates(tree, start=0.0)
    assert rate.attrs["units"] == "Hz"
    assert float(rate.sel(population="ctx_exc")) == pytest.approx(10.0, abs=0.2)
    per_neuron = neuron_rates(tree, "ctx_exc", start=0.0)
    assert float(per_neuron.mean()) == pytest.approx(float(rate.sel(population="ctx_exc")))


def test_rate_time_course_follows_a_sinusoidally_modulated_rate():
    """r(t) = 20 Hz (1 + 0.5 sin 2 pi 2 t) in 1000 neurons, 10 ms bins: each bin's estimate is the
    bin-averaged r(t) plus Poisson noise of s.d. sqrt(r / (N dt)) ~ 1.4 Hz. Over 1000 bins the
    residual's mean is within 4 s.e. of 0 (0.18 Hz) and its RMS within 10% of the Poisson s.d.
    (the RMS of 1000 samples scatters by ~2%)."""
    rng = np.random.default_rng(2)
    r0, depth, f, n, bw = 20.0, 0.5, 2.0, 1000, 0.01
    tree = synthetic_run({"ctx_exc": modulated_poisson_trains(r0, depth, f, 10.0, n, rng)}, 10.0)
    rate = rate_time_course(tree, bin_width=bw).sel(population="ctx_exc")
    assert rate.dims == ("time",) and rate.time.attrs["units"] == "s"
    lo, hi = rate.time.values - bw / 2, rate.time.values + bw / 2
    expected = r0 * (1 + depth * (np.cos(2 * np.pi * f * lo) - np.cos(2 * np.pi * f * hi))
                     / (2 * np.pi * f * bw))  # fmt: skip
    residual = rate.values - expected
    noise = np.sqrt(expected / (n * bw))
    assert abs(residual.mean()) < 4 * np.sqrt(np.mean(noise**2) / residual.size)
    assert np.sqrt(np.mean(residual**2)) == pytest.approx(np.sqrt(np.mean(noise**2)), rel=0.1)


def test_counting_block_by_block_equals_counting_all_spikes_at_once(monkeypatch):
    """Blocks of 1000 spikes (many blocks) give exactly the histogram of all spike times."""
    rng = np.random.default_rng(3)
    spikes = poisson_trains(15.0, 5.0, 300, rng)
    tree = synthetic_run({"ctx_exc": spikes}, 5.0)
    monkeypatch.setattr(load, "BLOCK_SPIKES", 1000)
    assert len(list(load.spike_blocks(tree, "ctx_exc"))) == -(-spikes.time.size // 1000)
    rate = rate_time_course(tree, bin_width=0.01).sel(population="ctx_exc")
    counts, _ = np.histogram(spikes.time, bins=np.linspace(0, 5.0, 501))
    np.testing.assert_array_equal(np.round(rate.values * 300 * 0.01).astype(int), counts)


def test_rates_from_spikes_equal_the_rates_the_store_wrote():
    """The store's /rates node (binned when the run was written) and the rates counted from its
    spikes are the same numbers, including a last bin cut short by the end of the run."""
    rng = np.random.default_rng(4)
    spikes = {
        "a_exc": poisson_trains(8.0, 2.005, 50, rng),
        "b_inh": poisson_trains(30.0, 2.005, 20, rng),
    }
    tree = synthetic_run(spikes, 2.005, rate_bin=0.01)
    stored = tree["rates"]["rate"]
    computed = rate_time_course(tree)
    np.testing.assert_allclose(computed.values, stored.values, rtol=1e-12)
    np.testing.assert_allclose(computed.time.values, stored.time.values)


def test_spike_counts_per_neuron_add_up_to_each_neurons_spikes():
    rng = np.random.default_rng(5)
    tree = synthetic_run({"ctx_exc": poisson_trains(10.0, 4.0, 40, rng)}, 4.0)
    counts = spike_counts(tree, "ctx_exc", bin_width=0.1, start=0.0, neurons=[3, 7, 11])
    assert counts.dims == ("neuron", "time") and counts.sizes == {"neuron": 3, "time": 40}
    per_neuron = neuron_rates(tree, "ctx_exc", start=0.0) * 4.0
    np.testing.assert_allclose(counts.sum("time").values, per_neuron.sel(neuron=[3, 7, 11]))


def test_a_store_read_lazily_or_through_dask_gives_the_same_rates(tmp_path):
    """The same store opened three ways (in memory, lazily from disk, as dask arrays)."""
    rng = np.random.default_rng(6)
    spikes = {"ctx_exc": poisson_trains(10.0, 3.0, 100, rng)}
    in_memory = synthetic_run(spikes, 3.0)
    synthetic_run(spikes, 3.0, path=tmp_path / "run.zarr")
    lazy = open_run(tmp_path / "run.zarr")
    through_dask = open_run(tmp_path / "run.zarr", chunks={})
    assert through_dask["spikes"]["ctx_exc"]["time"].chunks is not None
    expected = rate_time_course(in_memory)
    for tree in (lazy, through_dask):
        np.testing.assert_array_equal(rate_time_course(tree).values, expected.values)


def test_spikes_on_bin_edges_fall_in_the_bin_they_start_in_the_store_and_the_analysis():
    """Spike times are whole steps (dt 0.1 ms) and 10 ms bins start on steps: a spike at step
    100 k belongs to bin k, whichever way k * 0.01 rounds, in the store's /rates (written at
    record time) and in ``rate_time_course`` (recomputed from the spikes) alike."""
    steps = np.arange(100, 20_000, 100)  # one spike on every bin edge after the first
    time = steps * 1e-4
    tree = synthetic_run({"ctx_exc": Spikes(np.zeros(len(steps), dtype=np.int32), time, 1)}, 2.0)
    recomputed = rate_time_course(tree).sel(population="ctx_exc").values
    stored = tree["rates"]["rate"].sel(population="ctx_exc").values
    expected = np.r_[0.0, np.full(199, 100.0)]  # 1 spike per 10 ms bin, from bin 1 on
    np.testing.assert_allclose(recomputed, expected, rtol=1e-12)
    np.testing.assert_allclose(stored, expected, rtol=1e-12)
