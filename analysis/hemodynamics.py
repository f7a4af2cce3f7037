"""BOLD signal from neural activity: the Balloon-Windkessel hemodynamic model, and BOLD FC.

The neural drive ``x(t)`` of a region (dimensionless, 0 at rest) dilates its vessels through a
vasodilatory signal ``s``; the inflow ``f``, venous volume ``v`` and deoxyhemoglobin content
``q`` (each normalized to 1 at rest) follow the Balloon-Windkessel model (Buxton et al. 1998;
Friston et al. 2000, NeuroImage 12:466)::

    ds/dt     = x - kappa s - gamma (f - 1)
    df/dt     = s
    tau dv/dt = f - v^(1/alpha)
    tau dq/dt = f E(f) / E0 - v^(1/alpha) q / v,      E(f) = 1 - (1 - E0)^(1/f)

and the BOLD signal, a fractional change of the MR signal, is the non-linear equation with the
revised coefficients of Stephan et al. (2007, NeuroImage 38:387, "Comparing hemodynamic models
with DCM")::

    y = V0 (k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v))
    k1 = 4.3 nu0 E0 TE,   k2 = epsilon r0 E0 TE,   k3 = 1 - epsilon

Values and their sources are those of ``BalloonParameters``. With them a 0.5 s burst of activity
gives the canonical shape of the hemodynamic response: a peak 4.5 s after its onset, a zero
crossing at ~10.7 s and an undershoot of ~7 % of the peak near 12.7 s. A sustained drive
``x0`` settles on the steady state ``f = 1 + x0/gamma``,
``v = f^alpha``, ``q = v E(f)/E0`` (``tests/test_analysis_hemodynamics.py``).

Resting-state functional connectivity is the Pearson correlation of the BOLD of two regions
band-passed to 0.01-0.1 Hz (``bold_connectivity``), the band of spontaneous BOLD fluctuations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from depnet.analysis.connectivity import correlation_matrix

#: Internal integration step (s) of ``balloon_windkessel`` unless told otherwise.
DEFAULT_STEP = 0.01
#: Band of resting-state BOLD fluctuations (Hz) that ``bold_connectivity`` keeps.
BOLD_BAND = (0.01, 0.1)


@dataclass(frozen=True)
class BalloonParameters:
    """Parameters of the Balloon-Windkessel model and of its BOLD signal equation.

    The hemodynamic constants are the revised priors of Stephan et al. (2007), with which
    dynamic causal modelling (SPM12, ``spm_fx_fmri``) integrates the model: a transit time of
    2 s rather than the ~1 s that Friston et al. (2000) estimated, so that the response peaks
    at 4-6 s as measured BOLD responses do. The constants of the BOLD equation are those of
    Stephan et al. (2007) for a 1.5 T scanner at an echo time of 40 ms (``spm_gx_fmri``).
    ``k1``, ``k2`` and ``k3`` follow from them.
    """

    #: Rate of decay of the vasodilatory signal, 1/s (Stephan et al. 2007; Friston et al. 2000
    #: estimated 0.65).
    kappa: float = 0.64
    #: Rate of flow-dependent elimination (autoregulatory feedback), 1/s (Stephan et al. 2007;
    #: Friston et al. 2000: 0.41).
    gamma: float = 0.32
    #: Hemodynamic transit time through the venous balloon, s (Stephan et al. 2007; Friston et
    #: al. 2000: 0.98).
    tau: float = 2.0
    #: Grubb's exponent, stiffness of the balloon: ``v = f^alpha`` at rest (Friston et al. 2000;
    #: Stephan et al. 2007).
    alpha: float = 0.32
    #: Resting oxygen extraction fraction (Stephan et al. 2007; SPM12 uses it in the state
    #: equation as well; Friston et al. 2000 estimated 0.34).
    e0: float = 0.4
    #: Resting venous blood volume fraction (Stephan et al. 2007: 4 %).
    v0: float = 0.04
    #: Frequency offset at the outer surface of magnetized vessels, 1/s (1.5 T; Stephan 2007).
    nu0: float = 40.3
    #: Slope of the intravascular relaxation rate against oxygen saturation, 1/s (1.5 T;
    #: Stephan et al. 2007).
    r0: float = 25.0
    #: Echo time, s (Stephan et al. 2007).
    te: float = 0.04
    #: Ratio of intra- to extravascular signal (Stephan et al. 2007 estimate it per region;
    #: 1 is the prior mean of DCM, ``exp(0)`` in SPM12).
    epsilon: float = 1.0

    def __post_init__(self) -> None:
        for name in ("kappa", "gamma", "tau", "alpha", "v0", "nu0", "r0", "te", "epsilon"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.e0 < 1:
            raise ValueError(f"e0 must lie in (0, 1), got {self.e0}")

    @property
    def k1(self) -> float:
        """Weight of the intravascular deoxyhemoglobin term, ``4.3 nu0 E0 TE``."""
        return 4.3 * self.nu0 * self.e0 * self.te

    @property
    def k2(self) -> float:
        """Weight of the intravascular signal term, ``epsilon r0 E0 TE``."""
        return self.epsilon * self.r0 * self.e0 * self.te

    @property
    def k3(self) -> float:
        """Weight of the volume term, ``1 - epsilon``."""
        return 1.0 - self.epsilon


#: The parameters used when none are given.
DEFAULT_BALLOON = BalloonParameters()


def _sampling_step(signal: xr.DataArray, what: str) -> float:
    """The constant sample spacing (s) of ``signal`` along ``time``; raises if uneven."""
    if "time" not in signal.dims:
        raise ValueError(f"{what} has no 'time' dimension (dims {signal.dims})")
    t = np.asarray(signal["time"].values, dtype=float)
    if t.size < 2:
        raise ValueError(f"{what} needs at least 2 samples along 'time', got {t.size}")
    steps = np.diff(t)
    step = float(t[-1] - t[0]) / (t.size - 1)
    if not step > 0 or np.any(np.abs(steps - step) > 1e-6 * step):
        raise ValueError(f"{what} must be evenly sampled along 'time' in increasing order")
    return step


def _check_finite(signal: xr.DataArray, what: str) -> None:
    if not np.all(np.isfinite(signal.values)):
        raise ValueError(f"{what} contains non-finite values (NaN or inf)")


def _flow_filter(params: BalloonParameters, step: float) -> tuple[np.ndarray, np.ndarray]:
    """IIR filters (numerators for s and f - 1, shared denominator) that advance ``(s, f)``.

    ``(s, f - 1)`` obeys a linear system driven by ``x``; for ``x`` constant over each ``step``
    its exact solution is a second-order recursion (zero-order-hold discretization).
    """
    import scipy.signal  # on use: ~1 s to import, and `depnet run` imports this module

    a = np.array([[-params.kappa, -params.gamma], [1.0, 0.0]])
    b = np.array([[1.0], [0.0]])
    phi, gam, *_ = scipy.signal.cont2discrete(
        (a, b, np.eye(2), np.zeros((2, 1))), step, method="zoh"
    )
    num, den = scipy.signal.ss2tf(phi, gam, np.eye(2), np.zeros((2, 1)))
    return num, den


def _integrate(x: np.ndarray, step: float, params: BalloonParameters, h: float) -> np.ndarray:
    """States ``(s, f, v, q)`` at the centres of ``x``'s samples, shape ``(4, rows, samples)``.

    ``x`` is ``(rows, samples)``, each sample the mean drive over a bin of width ``step`` centred
    on it; the state is at rest at the start of the first bin. ``h`` is the internal step.
    """
    import scipy.signal  # on use: ~1 s to import, and `depnet run` imports this module

    rows, n = x.shape
    n_steps = int(np.ceil(n * step / h - 1e-9))
    # The drive integrated from the first bin's start: exact at bin edges (x is constant inside a
    # bin), so the mean over any half step is a difference of interpolated values.
    pad = int(np.ceil(h / step)) + 1
    xp = np.concatenate([x, np.repeat(x[:, -1:], pad, axis=1)], axis=1)
    edges = np.arange(xp.shape[1] + 1) * step
    cum = np.concatenate([np.zeros((rows, 1)), np.cumsum(xp, axis=1) * step], axis=1)
    half = np.arange(2 * n_steps + 1) * (h / 2)
    k = np.minimum(np.searchsorted(edges, half, side="right") - 1, edges.size - 2)
    w = (half - edges[k]) / step
    at_half = cum[:, k] * (1 - w) + cum[:, k + 1] * w
    x_half = np.diff(at_half, axis=1) / (h / 2)

    # (s, f) exactly at every half step: state j follows inputs 0..j-1, hence the trailing 0.
    num, den = _flow_filter(params, h / 2)
    x_in = np.concatenate([x_half, np.zeros((rows, 1))], axis=1)
    s = scipy.signal.lfilter(num[0], den, x_in, axis=1)
    f = 1.0 + scipy.signal.lfilter(num[1], den, x_in, axis=1)
    if not np.all(f > 0):
        worst = float(np.min(f))
        raise ValueError(
            f"blood inflow f fell to {worst:.3g} (must stay > 0): the drive is too negative for "
            f"the Balloon model (a sustained x below -gamma = {-params.gamma:g} stops the flow); "
            "scale the drive down"
        )

    # (v, q) in logs (Stephan et al. 2007), so that they stay positive, by classical RK4 on
    # the internal grid with f at the half steps. The extraction is divided by E(1) rather than
    # E0, equal in exact arithmetic, so that the rest state is a fixed point to the last bit.
    c = np.log1p(-params.e0)
    extraction = -np.expm1(c / f) / -np.expm1(c)
    drive_vq = np.stack([f.T, (f * extraction).T], axis=1)  # (half steps, 2, rows)
    power = 1.0 / params.alpha - 1.0

    def rate(y: np.ndarray, p: np.ndarray) -> np.ndarray:
        # tau d(log v)/dt = f/v - v^(1/alpha - 1);  tau d(log q)/dt = f E/(E0 q) - v^(1/alpha - 1)
        out = np.exp(-y)
        out *= p
        out -= np.exp(power * y[0])
        return out

    hs = h / params.tau  # the step in units of tau, which the rates above leave out
    y = np.zeros((2, rows))
    log_vq = np.empty((n_steps + 1, 2, rows))
    log_vq[0] = y
    for i in range(n_steps):
        p0, p1, p2 = drive_vq[2 * i], drive_vq[2 * i + 1], drive_vq[2 * i + 2]
        r1 = rate(y, p0)
        r2 = rate(y + (hs / 2) * r1, p1)
        r3 = rate(y + (hs / 2) * r2, p1)
        r4 = rate(y + hs * r3, p2)
        y = y + (hs / 6) * (r1 + 2 * (r2 + r3) + r4)
        log_vq[i + 1] = y

    # Linear interpolation from the internal grid to the bin centres, whose error (h^2/8 times
    # the curvature, ~1e-5 of a response's peak at h = 10 ms) exceeds that of RK4.
    grid = np.stack([s[:, ::2], f[:, ::2], np.exp(log_vq[:, 0].T), np.exp(log_vq[:, 1].T)])
    centres = (np.arange(n) + 0.5) * step
    j = np.minimum((centres // h).astype(int), n_steps - 1)
    u = (centres - j * h) / h
    return grid[:, :, j] * (1 - u) + grid[:, :, j + 1] * u


def balloon_windkessel(
    drive: xr.DataArray, params: BalloonParameters = DEFAULT_BALLOON, dt: float = DEFAULT_STEP
) -> xr.Dataset:
    """Hemodynamic states and BOLD signal of each region driven by ``drive``.

    Parameters
    ----------
    drive
        Neural drive ``x`` (dimensionless, 0 at rest), evenly sampled along ``time`` (seconds).
        Each sample is taken as the mean drive over a bin of the sample spacing centred on its
        time, as ``rate_time_course`` bins rates. Any other dimensions (``region``, ...) are
        kept and integrated independently.
    params
        Model parameters; default ``DEFAULT_BALLOON``.
    dt
        Largest internal step (s). The step used divides the sample spacing, or is a multiple
        of it when the spacing is finer than ``dt`` (the drive is then averaged over the step).
        ``(s, f)`` is integrated exactly (a linear system under a drive constant over half
        steps), ``(log v, log q)`` by fourth-order Runge-Kutta (the fastest rate,
        ``1/(alpha tau)`` = 3.2/s, times 10 ms is 0.03), and the states are interpolated
        linearly onto the sample times. At 10 ms the error is ~1e-5 of the response's peak,
        mostly from that interpolation; it falls as ``dt^2``.

    Returns
    -------
    xarray.Dataset
        ``s`` (1/s), ``f``, ``v``, ``q`` (1 at rest) and ``bold`` (``units`` "1", a fractional
        signal change; 0.01 is 1 %), with the dimensions and coordinates of ``drive``. The model
        starts at rest at the start of the first bin; for a drive that is not 0 at first, the
        first ~10 s are the model settling.

    Raises
    ------
    ValueError
        If ``drive`` has no evenly sampled ``time``, holds NaN or inf, or is so negative that the
        inflow ``f`` would stop (``f <= 0``, outside the model's validity).
    """
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt}")
    step = _sampling_step(drive, "drive")
    _check_finite(drive, "drive")
    h = step / np.ceil(step / dt - 1e-9) if step >= dt else step * np.floor(dt / step + 1e-9)

    others = [d for d in drive.dims if d != "time"]
    x = drive.transpose(*others, "time").values.astype(float)
    shape = x.shape
    states = _integrate(x.reshape(-1, shape[-1]), step, params, float(h))
    s, f, v, q = (a.reshape(shape) for a in states)
    bold = params.v0 * (params.k1 * (1 - q) + params.k2 * (1 - q / v) + params.k3 * (1 - v))

    def variable(values: np.ndarray, units: str, long_name: str) -> xr.DataArray:
        attrs = {"units": units, "long_name": long_name}
        return xr.DataArray(values, dims=(*others, "time"), attrs=attrs).transpose(*drive.dims)

    return xr.Dataset(
        {
            "s": variable(s, "1/s", "vasodilatory signal"),
            "f": variable(f, "1", "blood inflow (1 at rest)"),
            "v": variable(v, "1", "venous blood volume (1 at rest)"),
            "q": variable(q, "1", "deoxyhemoglobin content (1 at rest)"),
            "bold": variable(bold, "1", "BOLD signal (fractional change)"),
        },
        coords=drive.coords,
        attrs={"model": "Balloon-Windkessel (Friston et al. 2000; Stephan et al. 2007)",
               "dt_s": float(h)},
    )  # fmt: skip


def bold_signal(
    drive: xr.DataArray,
    tr: float = 2.0,
    params: BalloonParameters = DEFAULT_BALLOON,
    dt: float = DEFAULT_STEP,
    normalize: bool = True,
    discard: float = 0.0,
) -> xr.DataArray:
    """BOLD signal of each region sampled every ``tr`` seconds, as a scanner would acquire it.

    Parameters
    ----------
    drive
        Neural activity along ``time`` (seconds), evenly sampled, e.g. a region's firing rate
        or synaptic activity; see ``balloon_windkessel``.
    tr
        Repetition time (s): the BOLD is read every ``tr`` s from the start of the kept window.
    params, dt
        As for ``balloon_windkessel``.
    normalize
        If true (default), the drive of each region becomes ``x = (a - mean a) / mean a``, the
        fractional change of its activity ``a`` about its mean over the whole ``drive``: the
        region's mean activity maps to rest (``x = 0``), and doubling its activity gives
        ``x = 1``. The result does not depend on the units of ``a``. If false, ``drive`` is
        ``x`` itself.
    discard
        Seconds dropped from the start. The model starts at rest and takes ~10 s to settle to
        the drive (its slowest mode, the flow oscillator, decays as ``exp(-kappa t / 2)``: 4 %
        is left after 10 s); how much to discard is the caller's choice.

    Returns
    -------
    xarray.DataArray
        ``bold(..., time)``, dimensionless (fractional signal change), at times
        ``t0 + discard + k tr`` (``t0`` the first sample's time) up to the last sample, read
        off the model's signal without further filtering.

    Raises
    ------
    ValueError
        As ``balloon_windkessel``; also if ``tr`` is not positive, ``discard`` leaves no
        sample, or ``normalize`` meets a region whose mean activity is 0.
    """
    if not tr > 0:
        raise ValueError(f"tr must be positive, got {tr}")
    if not discard >= 0:
        raise ValueError(f"discard must be >= 0 s, got {discard}")
    _sampling_step(drive, "drive")
    _check_finite(drive, "drive")
    if normalize:
        mean = drive.mean("time")
        if np.any(mean.values == 0):
            raise ValueError("cannot normalize the drive: a region's mean activity is 0")
        drive = (drive - mean) / mean
    fine = balloon_windkessel(drive, params, dt)["bold"]

    t = fine["time"].values
    span = t[-1] - t[0]
    if discard > span:
        raise ValueError(f"discard = {discard:g} s leaves no sample of a {span:g} s long drive")
    count = int(np.floor((span - discard) / tr + 1e-9)) + 1
    times = np.minimum(t[0] + discard + np.arange(count) * tr, t[-1])
    bold = fine.interp(time=times, assume_sorted=True)
    bold["time"].attrs = {"units": "s", "long_name": "acquisition time"}
    bold.attrs = {
        "units": "1",
        "long_name": "BOLD signal (fractional change)",
        "tr_s": float(tr),
        "discard_s": float(discard),
        "normalized": bool(normalize),
        "dt_s": fine.attrs.get("dt_s", float(dt)),
    }
    return bold.rename("bold")


def bold_connectivity(
    bold: xr.DataArray, band: tuple[float, float] = BOLD_BAND, order: int = 2
) -> xr.DataArray:
    """Functional connectivity of BOLD: Pearson r between regions of the band-passed signal.

    Parameters
    ----------
    bold
        ``bold(region, time)`` (any one dimension besides ``time``), evenly sampled, e.g. from
        ``bold_signal``.
    band
        Pass band (Hz), default 0.01-0.1 Hz, that of resting-state fluctuations.
    order
        Order of the Butterworth band-pass, applied forward and backward (zero phase,
        ``scipy.signal.sosfiltfilt``), so the gain is its square.

    Returns
    -------
    xarray.DataArray
        ``fc(region, region_b)``, dimensionless, as ``functional_connectivity`` names them; NaN
        for a region whose band-passed BOLD is flat.

    Raises
    ------
    ValueError
        If ``bold`` holds NaN or inf, is shorter than two cycles of the band's lower edge, too
        short for the filter's edge padding, or sampled too coarsely for its upper edge
        (``1 / (2 tr) <= band[1]``).
    """
    import scipy.signal  # on use: ~1 s to import, and `depnet run` imports this module

    low, high = (float(b) for b in band)
    if not 0 < low < high:
        raise ValueError(f"band must be (low, high) with 0 < low < high, got {band}")
    others = [d for d in bold.dims if d != "time"]
    if len(others) != 1:
        raise ValueError(
            f"bold must have one dimension besides 'time' (e.g. 'region'), got {bold.dims}"
        )
    step = _sampling_step(bold, "bold")
    _check_finite(bold, "bold")
    n = bold.sizes["time"]
    if n * step < 2 / low:
        raise ValueError(
            f"bold too short for the band: {n * step:g} s holds fewer than 2 cycles of its lower "
            f"edge {low:g} Hz (need >= {2 / low:g} s)"
        )
    if high >= 0.5 / step:
        raise ValueError(
            f"bold sampled too coarsely for the band: Nyquist {0.5 / step:g} Hz (sampling every "
            f"{step:g} s) is not above its upper edge {high:g} Hz"
        )
    sos = scipy.signal.butter(order, (low, high), btype="bandpass", fs=1 / step, output="sos")
    padlen = 3 * (2 * len(sos) + 1)  # sosfiltfilt's default edge padding, or just above it
    if n <= padlen:
        raise ValueError(f"bold too short for the filter: {n} samples, need more than {padlen}")
    axis = bold.get_axis_num("time")
    filtered = bold.copy(data=scipy.signal.sosfiltfilt(sos, bold.values, axis=axis))
    fc = correlation_matrix(filtered, "time")
    fc.attrs = {
        "units": "1",
        "long_name": f"BOLD functional connectivity (Pearson r, {low:g}-{high:g} Hz)",
        "band_hz": [low, high],
    }
    return fc


def hrf(
    params: BalloonParameters = DEFAULT_BALLOON,
    duration: float = 30.0,
    dt: float = DEFAULT_STEP,
    width: float = 0.5,
) -> xr.DataArray:
    """Hemodynamic response: the BOLD after a brief burst of neural activity.

    Parameters
    ----------
    params
        Model parameters.
    duration
        Seconds of response computed after the onset.
    dt
        Sampling interval and internal step (s).
    width
        Duration (s) of the burst, ``x = 1`` from 0 to ``width`` (rounded to whole ``dt``). For a
        short burst the response is ``width`` times the model's impulse response (first-order
        kernel), up to a correction of order ``width^2``.

    Returns
    -------
    xarray.DataArray
        ``bold(time)``, dimensionless, ``time`` the centres of the ``dt`` bins from the onset.
    """
    if not 0 < width < duration:
        raise ValueError(f"width must lie in (0, duration), got {width}")
    t = (np.arange(int(round(duration / dt))) + 0.5) * dt
    x = np.where(np.arange(t.size) < max(1, int(round(width / dt))), 1.0, 0.0)
    drive = xr.DataArray(x, dims="time", coords={"time": ("time", t, {"units": "s"})})
    bold = balloon_windkessel(drive, params, dt)["bold"]
    bold.attrs["long_name"] = f"BOLD response to a {width:g} s burst (x = 1)"
    bold.attrs["burst_s"] = float(width)
    return bold.rename("bold")
