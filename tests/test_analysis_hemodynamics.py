"""The Balloon-Windkessel BOLD model against its rest state, steady state, linearization and an
adaptive ODE solver; BOLD connectivity against regions with and without a shared slow drive."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import xarray as xr

from depnet.analysis.hemodynamics import (
    DEFAULT_BALLOON,
    BalloonParameters,
    balloon_windkessel,
    bold_connectivity,
    bold_signal,
    hrf,
)

P = DEFAULT_BALLOON


def _drive(values, step=0.01, region=None):
    """A drive sampled every ``step`` s at bin centres, one row per region if ``region``."""
    values = np.asarray(values, dtype=float)
    t = (np.arange(values.shape[-1]) + 0.5) * step
    if region is None:
        return xr.DataArray(values, dims="time", coords={"time": t})
    return xr.DataArray(values, dims=("region", "time"), coords={"region": region, "time": t})


def _bold(v, q, p=P):
    return p.v0 * (p.k1 * (1 - q) + p.k2 * (1 - q / v) + p.k3 * (1 - v))


def _slow_noise(rng, n, step, cutoff=0.1):
    """Gaussian noise of unit variance with a flat spectrum from 0 to ``cutoff`` Hz."""
    freq = np.fft.rfftfreq(n, step)
    keep = (freq > 0) & (freq <= cutoff)
    z = np.fft.irfft((rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * keep, n)
    return z / z.std()


def test_the_revised_coefficients_of_stephan_2007_at_1_5_tesla():
    """k1 = 4.3 nu0 E0 TE = 4.3 x 40.3 x 0.4 x 0.04 = 2.773, k2 = epsilon r0 E0 TE = 0.4 and
    k3 = 1 - epsilon = 0 with epsilon = 1; the parameters are frozen and checked."""
    assert P.k1 == pytest.approx(2.77264)
    assert P.k2 == pytest.approx(0.4)
    assert P.k3 == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        P.kappa = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="e0"):
        BalloonParameters(e0=1.2)


def test_without_input_every_region_stays_at_rest_exactly():
    """x = 0: s = 0, f = v = q = 1 is a fixed point of the equations, and of the integrator to
    the last bit, so the BOLD is exactly 0."""
    out = balloon_windkessel(_drive(np.zeros((2, 3000)), region=["pcc", "mpfc"]))
    assert np.all(out.s.values == 0) and np.all(out.bold.values == 0)
    for name in ("f", "v", "q"):
        assert np.all(out[name].values == 1)


def test_a_brief_burst_gives_the_hemodynamic_response_a_peak_then_an_undershoot():
    """x = 1 for 0.5 s: the canonical shape of the hemodynamic response (Buxton et al. 1998;
    Friston et al. 2000): the BOLD peaks 4-6 s after the onset (here 4.5 s), falls below rest
    (here at 10.7 s) and undershoots (here by 7 % of the peak at 12.7 s), back to rest by 30 s.
    The flow, a damped oscillator (kappa^2 / 4 < gamma), drives it; q lags it by about the
    transit time."""
    bold = hrf(width=0.5)
    t, y = bold.time.values, bold.values
    peak = int(y.argmax())
    assert bold.attrs["units"] == "1"
    assert 4.0 < t[peak] < 6.0
    assert 0.01 < y[peak] < 0.03  # 1-3 % signal change for a doubling of activity
    after = t > t[peak]
    trough = int(np.argmin(np.where(after, y, np.inf)))
    assert 10.0 < t[trough] < 16.0
    assert y[trough] < -0.03 * y[peak]  # an undershoot, not a return to rest
    assert 8.0 < t[after & (y < 0)][0] < 12.0
    assert abs(y[-1]) < 0.02 * y[peak]


def test_a_weak_input_follows_the_linearized_model_solved_by_matrix_exponential():
    """x = 1e-3 for 10 ms is in the linear regime: the response is the impulse response of the
    model linearized about rest, z' = A z with z = (s, f-1, v-1, q-1), computed exactly as
    exp(A t) (integrated over the 10 ms input), to the integrator's 1e-5 of its peak."""
    c = np.log1p(-P.e0)
    a = 1 + c * (1 - P.e0) / P.e0  # d(f E(f) / E0) / df at f = 1
    A = np.array([
        [-P.kappa, -P.gamma, 0, 0],
        [1, 0, 0, 0],
        [0, 1 / P.tau, -1 / (P.alpha * P.tau), 0],
        [0, a / P.tau, -(1 / P.alpha - 1) / P.tau, -1 / P.tau],
    ])  # fmt: skip
    g = P.v0 * np.array([0, 0, P.k2 - P.k3, -P.k1 - P.k2])  # linearized BOLD equation
    amp, width, step = 1e-3, 0.01, 0.01
    out = balloon_windkessel(_drive(np.where(np.arange(2500) < 1, amp, 0.0), step))
    expected = [
        amp * g @ (scipy.linalg.expm(A * max(t - width, 0.0))
                   @ np.linalg.solve(A, scipy.linalg.expm(A * min(t, width)) - np.eye(4)))[:, 0]
        for t in out.time.values
    ]  # fmt: skip
    assert np.max(np.abs(out.bold.values - expected)) < 1e-4 * np.max(expected)


def test_a_strong_burst_matches_an_adaptive_ode_solver_on_the_original_equations():
    """The nonlinear response to x = 1 for 0.5 s, against scipy's RK45 on s, f, v, q themselves
    (not their logarithms) at a tolerance of 1e-10: equal to 1e-4 of the peak."""

    def rhs(t, y, x):
        s, f, v, q = y
        extraction = 1 - (1 - P.e0) ** (1 / f)
        outflow = v ** (1 / P.alpha)
        return [x - P.kappa * s - P.gamma * (f - 1), s, (f - outflow) / P.tau,
                (f * extraction / P.e0 - outflow * q / v) / P.tau]  # fmt: skip

    bold = hrf(duration=20.0, width=0.5)
    t = bold.time.values
    tol = {"rtol": 1e-10, "atol": 1e-12}
    during = scipy.integrate.solve_ivp(rhs, (0, 0.5), [0, 1, 1, 1], args=(1.0,), **tol)
    late = t > 0.5
    after = scipy.integrate.solve_ivp(
        rhs, (0.5, 20), during.y[:, -1], args=(0.0,), t_eval=t[late], **tol
    )
    s, f, v, q = after.y
    assert np.max(np.abs(bold.values[late] - _bold(v, q))) < 1e-4 * float(bold.max())


def test_a_sustained_input_settles_on_the_steady_state_of_the_equations():
    """x = x0 held: ds/dt = 0 gives f = 1 + x0 / gamma, dv/dt = 0 gives v = f^alpha, dq/dt = 0
    gives q = v E(f) / E0; the BOLD plateau follows from them. After 60 s the slowest mode
    (the flow oscillator, decaying at kappa / 2 = 0.33/s) is gone to 1e-8: equal to 1e-6."""
    x0 = 0.3
    out = balloon_windkessel(_drive(np.full(6000, x0))).isel(time=-1)
    f = 1 + x0 / P.gamma
    v = f**P.alpha
    q = v * (1 - (1 - P.e0) ** (1 / f)) / P.e0
    assert float(out.s) == pytest.approx(0.0, abs=1e-7)
    assert float(out.f) == pytest.approx(f, rel=1e-6)
    assert float(out.v) == pytest.approx(v, rel=1e-6)
    assert float(out.q) == pytest.approx(q, rel=1e-6)
    assert float(out.bold) == pytest.approx(_bold(v, q), rel=1e-6)
    assert 0.02 < float(out.bold) < 0.05  # a 30 % rise in activity: 3 % BOLD


def test_regions_are_integrated_independently_and_keep_dims_and_coordinates():
    """A (time, region) drive: each region's output equals its own run alone; the dims, their
    order and the region labels are kept, whatever the internal step."""
    x = np.zeros((2, 2000))
    x[1, :50] = 1.0
    drive = _drive(x, region=["pcc", "mpfc"]).transpose("time", "region")
    out = balloon_windkessel(drive, dt=0.005)
    assert out.bold.dims == ("time", "region")
    assert list(out.region.values) == ["pcc", "mpfc"]
    assert np.all(out.bold.sel(region="pcc").values == 0)
    alone = balloon_windkessel(drive.sel(region="mpfc"), dt=0.005)
    np.testing.assert_allclose(out.bold.sel(region="mpfc").values, alone.bold.values, rtol=1e-12)
    assert out.bold.attrs["units"] == "1" and out.attrs["dt_s"] == pytest.approx(0.005)


def test_a_finely_sampled_drive_gives_the_same_bold_as_a_coarse_one():
    """The same 0.5 s burst sampled every 1 ms (averaged over the 10 ms internal step) and every
    50 ms (five 10 ms steps per sample): the same response at common times, to 1e-4 of its peak
    (the half-step offset between the bin centres is interpolated)."""
    fine = balloon_windkessel(_drive(np.where(np.arange(20000) < 500, 1.0, 0.0), 0.001)).bold
    coarse = balloon_windkessel(_drive(np.where(np.arange(400) < 10, 1.0, 0.0), 0.05)).bold
    common = coarse.time.values[coarse.time.values < 19.9]
    diff = fine.interp(time=common).values - coarse.sel(time=common).values
    assert np.max(np.abs(diff)) < 1e-4 * float(coarse.max())


def test_bold_is_read_every_tr_after_the_discarded_transient():
    """TR = 2 s, discard 10 s of a 60 s drive: samples at 10.005, 12.005, ... s (the first bin
    centre is 5 ms), the model's BOLD at those times."""
    rng = np.random.default_rng(0)
    drive = _drive(0.1 * rng.standard_normal((2, 6000)), region=["pcc", "mpfc"])
    bold = bold_signal(drive, tr=2.0, normalize=False, discard=10.0)
    np.testing.assert_allclose(bold.time.values, 10.005 + 2.0 * np.arange(25))
    full = balloon_windkessel(drive).bold
    np.testing.assert_allclose(bold.values, full.interp(time=bold.time.values).values, rtol=1e-12)
    assert bold.dims == ("region", "time") and bold.attrs["tr_s"] == 2.0


def test_normalizing_a_rate_makes_its_mean_rest_and_its_units_irrelevant():
    """normalize: x = (r - mean r) / mean r, so a rate in Hz or in kHz gives one BOLD, the same as
    the fractional change passed without normalization."""
    rng = np.random.default_rng(1)
    rate = _drive(8.0 * (1 + 0.1 * rng.standard_normal((1, 3000))), region=["pcc"])
    bold_hz = bold_signal(rate, tr=1.0)
    np.testing.assert_allclose(bold_signal(rate / 1000, tr=1.0).values, bold_hz.values,
                               rtol=1e-9, atol=1e-15)  # fmt: skip
    mean = rate.mean("time")
    manual = bold_signal((rate - mean) / mean, tr=1.0, normalize=False)
    np.testing.assert_allclose(manual.values, bold_hz.values, rtol=1e-12, atol=1e-15)


def test_bold_fc_is_high_for_regions_sharing_a_slow_drive_and_near_zero_otherwise():
    """Four regions firing at 10 Hz modulated by 5 % slow noise (flat to 0.1 Hz), 400 s at 10 ms:
    pcc and mpfc share a component S with private parts half as large (x = S + N/2), hip and
    amy are independent. In the linear regime the hemodynamics filter both regions alike, so
    the band-passed BOLD correlates as the drives do, 1 / (1 + 0.25) = 0.8 (the estimate over
    ~70 degrees of freedom scatters by ~0.05 about it); independent pairs have r = 0 with a
    scatter of ~0.12 (seed fixed)."""
    rng = np.random.default_rng(0)
    step, n = 0.01, 40000
    shared = _slow_noise(rng, n, step)
    own = [_slow_noise(rng, n, step) for _ in range(4)]
    x = np.stack([shared + 0.5 * own[0], shared + 0.5 * own[1], own[2], own[3]])
    regions = ["pcc", "mpfc", "hip", "amy"]
    rate = _drive(10.0 * (1 + 0.05 * x), step, regions)
    fc = bold_connectivity(bold_signal(rate, tr=2.0, discard=20.0))
    assert fc.dims == ("region", "region_b") and list(fc.region_b.values) == regions
    assert fc.attrs["band_hz"] == [0.01, 0.1]
    assert float(fc.sel(region="pcc", region_b="mpfc")) == pytest.approx(0.8, abs=0.1)
    others = np.abs(fc.values[np.triu_indices(4, k=1)][1:])  # every pair but (pcc, mpfc)
    assert np.all(others < 0.3)


def _bold_series(duration, tr, regions=("pcc", "mpfc")):
    rng = np.random.default_rng(2)
    n = int(duration / tr)
    return xr.DataArray(rng.standard_normal((len(regions), n)), dims=("region", "time"),
                        coords={"region": list(regions), "time": np.arange(n) * tr})  # fmt: skip


def test_bad_input_is_refused_with_a_message_naming_the_problem():
    drive = _drive(np.zeros(100))
    with pytest.raises(ValueError, match="non-finite"):
        balloon_windkessel(drive.where(drive.time > 0.5))  # NaN in the first samples
    with pytest.raises(ValueError, match="evenly sampled"):
        balloon_windkessel(drive.assign_coords(time=np.r_[0.0, np.arange(1, 100) * 0.01 + 0.5]))
    with pytest.raises(ValueError, match="inflow"):
        balloon_windkessel(_drive(np.full(3000, -1.0)))  # a silent region: x = -1 held
    with pytest.raises(ValueError, match="mean activity is 0"):
        bold_signal(drive)
    with pytest.raises(ValueError, match="too short for the band"):
        bold_connectivity(_bold_series(150.0, 2.0))  # < 2 cycles of 0.01 Hz (200 s)
    with pytest.raises(ValueError, match="too coarsely"):
        bold_connectivity(_bold_series(600.0, 6.0))  # Nyquist 0.083 Hz < 0.1 Hz
    with pytest.raises(ValueError, match="non-finite"):
        bold_connectivity(_bold_series(600.0, 2.0).where(lambda b: b.time != 10.0))
