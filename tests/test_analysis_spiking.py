"""Spike-train statistics against trains whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from depnet.analysis import (
    fano_factor,
    isi_cv,
    mean_pairwise_correlation,
    spike_counts,
    spike_statistics,
    synchrony_index,
)
from depnet.analysis.synthetic import (
    gamma_trains,
    poisson_trains,
    shared_poisson_trains,
    synthetic_run,
)
from depnet.rundata import Spikes


def _run(spikes, duration):
    return synthetic_run({"ctx_exc": spikes}, duration)


def test_a_poisson_train_has_isi_cv_1():
    """Exponential ISIs have s.d. = mean. 200 neurons x ~200 ISIs: each neuron's CV scatters by
    ~1/sqrt(200) = 0.07, the mean over 200 neurons by ~0.005; the tolerance 0.03 also covers the
    estimator's small-sample bias (O(1/n))."""
    tree = _run(poisson_trains(10.0, 20.0, 200, np.random.default_rng(10)), 20.0)
    cv = isi_cv(tree, "ctx_exc", start=0.0)
    assert cv.dims == ("neuron",) and cv.attrs["units"] == "1"
    assert float(cv.mean()) == pytest.approx(1.0, abs=0.03)


def test_a_gamma_train_of_order_4_has_isi_cv_one_half():
    """Gamma ISIs of shape k have CV 1/sqrt(k) = 0.5; same sample sizes as the Poisson case,
    scatter of the mean ~0.003, tolerance 0.02."""
    tree = _run(gamma_trains(10.0, 4.0, 20.0, 200, np.random.default_rng(11)), 20.0)
    assert float(isi_cv(tree, "ctx_exc", start=0.0).mean()) == pytest.approx(0.5, abs=0.02)


def test_a_clock_like_train_has_isi_cv_0_and_silent_neurons_have_none():
    """Spikes every 100 ms exactly: every ISI is equal (CV 0 to rounding); a neuron with fewer
    than three spikes has no CV (NaN)."""
    times = np.arange(0.05, 10.0, 0.1)
    spikes = Spikes(np.zeros(times.size, np.int32), times, n_neurons=2)
    cv = isi_cv(_run(spikes, 10.0), "ctx_exc", start=0.0)
    assert float(cv[0]) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(float(cv[1]))


def test_poisson_counts_have_fano_factor_1():
    """Poisson counts have variance = mean. 100 ms bins at 10 Hz, 200 bins per neuron: each
    neuron's Fano factor scatters by sqrt(2/199) = 0.1, the mean over 200 neurons by 0.007;
    tolerance 0.05."""
    tree = _run(poisson_trains(10.0, 20.0, 200, np.random.default_rng(12)), 20.0)
    fano = fano_factor(spike_counts(tree, "ctx_exc", 0.1, start=0.0))
    assert fano.dims == ("neuron",)
    assert float(fano.mean()) == pytest.approx(1.0, abs=0.05)


def test_gamma_counts_in_long_windows_have_fano_factor_1_over_k():
    """A renewal process's Fano factor tends to CV^2 = 1/k for windows much longer than the ISI
    (Cox 1962); at 50 ISIs per 5 s window the finite-window correction is below 0.005 for k = 4.
    500 neurons x 20 windows: the mean scatters by ~0.004; tolerance 0.02."""
    tree = _run(gamma_trains(10.0, 4.0, 100.0, 500, np.random.default_rng(13)), 100.0)
    fano = fano_factor(spike_counts(tree, "ctx_exc", 5.0, start=0.0))
    assert float(fano.mean()) == pytest.approx(0.25, abs=0.02)


def test_independent_poisson_neurons_have_zero_count_correlation():
    """Independent trains: the sample correlation of 1000 bins scatters by 1/sqrt(1000) = 0.03
    per pair and far less averaged over 1225 independent pairs; tolerance 0.01."""
    tree = _run(poisson_trains(20.0, 50.0, 50, np.random.default_rng(14)), 50.0)
    corr = mean_pairwise_correlation(spike_counts(tree, "ctx_exc", 0.05, start=0.0))
    assert corr.attrs["n_pairs"] == 50 * 49 // 2
    assert float(corr) == pytest.approx(0.0, abs=0.01)


def test_neurons_sharing_30_percent_of_their_spikes_have_count_correlation_0_3():
    """Each neuron = a common Poisson train (rate c r) + its own (rate (1 - c) r): the count
    covariance of two neurons is c r T and each variance r T, so the correlation is c = 0.3.
    Pairs share the common train's sampling error, so the mean scatters like one pair's
    correlation, at most (1 - c^2) / sqrt(1000 bins) = 0.03 (0.015 seen over six seeds);
    tolerance 0.05."""
    trains = shared_poisson_trains(20.0, 0.3, 50.0, 50, np.random.default_rng(15))
    counts = spike_counts(_run(trains, 50.0), "ctx_exc", 0.05, start=0.0)
    assert float(mean_pairwise_correlation(counts)) == pytest.approx(0.3, abs=0.05)


def test_perfectly_synchronous_trains_have_synchrony_1():
    """Identical trains: the population mean equals each neuron's signal, so chi = 1 exactly."""
    trains = shared_poisson_trains(10.0, 1.0, 10.0, 40, np.random.default_rng(16))
    counts = spike_counts(_run(trains, 10.0), "ctx_exc", 0.005, start=0.0)
    assert float(synchrony_index(counts)) == pytest.approx(1.0, abs=1e-12)
    assert float(mean_pairwise_correlation(counts)) == pytest.approx(1.0, abs=1e-12)


def test_independent_neurons_have_synchrony_1_over_sqrt_n_and_shared_ones_in_between():
    """chi^2 = c + (1 - c) / N for neurons sharing a fraction c of spikes: 1/N = 0.01 for
    N = 100 independent ones (chi 0.1), 0.505 for c = 0.5 (chi 0.711). The variance ratio over
    4000 bins of 5 ms scatters by a few per cent; tolerances are 10% relative."""
    rng = np.random.default_rng(17)
    independent = spike_counts(_run(poisson_trains(20.0, 20.0, 100, rng), 20.0), "ctx_exc",
                               0.005, start=0.0)  # fmt: skip
    assert float(synchrony_index(independent)) == pytest.approx(0.1, rel=0.1)
    shared = spike_counts(_run(shared_poisson_trains(20.0, 0.5, 20.0, 100, rng), 20.0),
                          "ctx_exc", 0.005, start=0.0)  # fmt: skip
    assert float(synchrony_index(shared)) == pytest.approx(np.sqrt(0.5 + 0.5 / 100), rel=0.1)


def test_spike_statistics_gathers_every_population():
    """A Poisson population and a synchronous one side by side, each with its own answers."""
    rng = np.random.default_rng(18)
    tree = synthetic_run(
        {"a_exc": poisson_trains(10.0, 20.0, 100, rng),
         "b_exc": shared_poisson_trains(10.0, 1.0, 20.0, 30, rng)},
        20.0,
    )  # fmt: skip
    stats = spike_statistics(tree, start=0.0)
    assert list(stats.population.values) == ["a_exc", "b_exc"]
    assert list(stats.region.values) == ["a", "b"]
    a, b = stats.sel(population="a_exc"), stats.sel(population="b_exc")
    assert float(a.rate) == pytest.approx(10.0, abs=0.3)
    assert float(a.isi_cv) == pytest.approx(1.0, abs=0.05)
    assert float(a.fano_factor) == pytest.approx(1.0, abs=0.1)
    assert float(b.synchrony) == pytest.approx(1.0, abs=1e-9)
    assert float(b.correlation) == pytest.approx(1.0, abs=1e-9)
