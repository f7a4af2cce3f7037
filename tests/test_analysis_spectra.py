"""Power spectra and band power against sinusoids and Poisson noise of known power."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from depnet.analysis import band_power, band_powers, population_spectra, power_spectrum
from depnet.analysis.spectra import GAMMA, THETA
from depnet.analysis.synthetic import modulated_poisson_trains, synthetic_run


def test_a_sinusoid_of_amplitude_a_has_power_a_squared_over_2_at_its_frequency():
    """x(t) = 3 sin(2 pi 8 t): variance 4.5, all of it at 8 Hz. With 1 s Hann segments the peak
    spreads over +-2 bins of 1 Hz, all inside 6-10 Hz; Welch's density scaling integrates back to
    the variance to rounding (1e-3 relative allows for the window's finite side lobes)."""
    t = np.arange(0, 20, 0.001)
    x = xr.DataArray(3 * np.sin(2 * np.pi * 8 * t), dims="time", coords={"time": t},
                     attrs={"units": "Hz"})  # fmt: skip
    psd = power_spectrum(x)
    assert psd.dims == ("frequency",) and psd.attrs["units"] == "Hz^2/Hz"
    assert float(psd.idxmax("frequency")) == pytest.approx(8.0)
    assert float(band_power(psd, THETA)) == pytest.approx(4.5, rel=1e-3)
    assert float(band_power(psd, GAMMA)) < 1e-6 * 4.5


def _modulated_population(frequency, r0=20.0, depth=0.5, n=1000, duration=20.0, seed=0):
    trains = modulated_poisson_trains(
        r0, depth, frequency, duration, n, np.random.default_rng(seed)
    )
    return synthetic_run({"hip_exc": trains}, duration)


def test_theta_modulated_population_has_theta_power_r0_m_squared_over_2():
    """Rate 20 Hz (1 + 0.5 sin 2 pi 8 t) in 1000 Poisson neurons, binned at 2 ms: the sinusoid
    carries (r0 m)^2 / 2 = 50 Hz^2 (2 ms bins attenuate 8 Hz by sinc^2 = 0.9992), the Poisson
    floor 2 r0 / N = 0.04 Hz^2/Hz adds 0.2 Hz^2 over the 5 bins of 6-10 Hz: 50.2 Hz^2 expected.
    The estimate scatters through the cross term of sinusoid and noise in its bins,
    2 sqrt(50 Hz^2 x 0.06 Hz^2 / 39 segments) = 0.55 Hz^2 (1.1%); tolerance 5%."""
    psd = population_spectra(_modulated_population(8.0), bin_width=0.002, start=0.0)
    theta = band_powers(psd).sel(population="hip_exc")
    attenuation = np.sinc(8.0 * 0.002) ** 2
    assert float(theta.theta_power) == pytest.approx(50 * attenuation + 0.04 * 5, rel=0.05)
    assert theta.theta_power.attrs["units"] == "Hz^2"


def test_poisson_noise_floor_sets_gamma_power_of_a_theta_modulated_population():
    """Independent Poisson counts in bins are white: one-sided PSD 2 r0 / N = 0.04 Hz^2/Hz, so
    25-50 Hz (26 bins of 1 Hz) holds 1.04 Hz^2. 39 half-overlapping segments make each bin's
    estimate scatter by ~16%, the sum of 26 bins (neighbours correlated by the Hann window) by
    ~4%; tolerance 15%."""
    psd = population_spectra(_modulated_population(8.0, seed=1), bin_width=0.002, start=0.0)
    gamma = band_power(psd.sel(population="hip_exc"), GAMMA)
    assert float(gamma) == pytest.approx(2 * 20.0 / 1000 * 26, rel=0.15)


def test_gamma_modulated_population_has_gamma_power_r0_m_squared_over_2():
    """Modulation at 40 Hz: 50 Hz^2 attenuated by the 2 ms bins (sinc^2(0.08) = 0.979) plus the
    floor over 26 bins (1.04 Hz^2); theta then holds only the floor (0.2 Hz^2). Tolerances: 5%
    for gamma (the signal-noise cross term scatters by ~1%, as at theta), 50% for the theta floor
    alone (its 5 bins sum to within ~10%; what matters is that the 50 Hz^2 stays out of theta)."""
    psd = population_spectra(_modulated_population(40.0, seed=2), bin_width=0.002, start=0.0)
    bands = band_powers(psd).sel(population="hip_exc")
    expected = 50 * np.sinc(40.0 * 0.002) ** 2 + 0.04 * 26
    assert float(bands.gamma_power) == pytest.approx(expected, rel=0.05)
    assert float(bands.theta_power) == pytest.approx(0.04 * 5, rel=0.5)
    assert float(bands.relative_gamma_power) > 0.5
