"""Power spectra of population activity (Welch's method) and theta / slow-gamma band power.

A population rate ``r(t) = r0 (1 + m sin 2 pi f t)`` has variance ``(r0 m)^2 / 2`` at ``f``: the
PSD integrated over a band around ``f`` returns it. N independent Poisson neurons of rate r0 add a
flat one-sided floor of ``2 r0 / N`` Hz^2/Hz (shot noise). Both are checked in
``tests/test_analysis_spectra.py``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.rates import rate_time_course

#: Hippocampal theta (Hz).
THETA = (6.0, 10.0)
#: Slow gamma (Hz).
GAMMA = (25.0, 50.0)
#: Bands reported by :func:`band_powers`.
BANDS = {"theta": THETA, "gamma": GAMMA}


def power_spectrum(signal: xr.DataArray, segment: float = 1.0, dim: str = "time") -> xr.DataArray:
    """One-sided power spectral density along ``dim`` (Welch, Hann window, half overlap).

    Parameters
    ----------
    signal
        Evenly sampled along ``dim``, whose coordinate is in seconds.
    segment
        Welch segment length in seconds (its inverse is the frequency resolution); shortened to
        the signal's length if longer.

    Returns
    -------
    xarray.DataArray
        ``psd(..., frequency)`` in ``<signal units>^2/Hz``; ``frequency`` in Hz. The mean is
        removed (``detrend="constant"``).
    """
    import scipy.signal  # on use: ~1 s to import, and `depnet run` imports this module

    t = signal[dim].values
    if t.size < 4:
        raise ValueError(f"need at least 4 samples along {dim!r}, got {t.size}")
    step = float(np.median(np.diff(t)))
    fs = 1.0 / step
    nperseg = int(min(t.size, max(4, round(segment * fs))))
    axis = signal.get_axis_num(dim)
    freq, psd = scipy.signal.welch(
        signal.values, fs=fs, nperseg=nperseg, axis=axis, detrend="constant", scaling="density"
    )
    dims = list(signal.dims)
    dims[axis] = "frequency"
    coords = {k: v for k, v in signal.coords.items() if dim not in v.dims}
    units = signal.attrs.get("units", "1")
    return xr.DataArray(
        psd,  # welch keeps the frequency axis where time was
        dims=dims,
        coords={**coords, "frequency": ("frequency", freq, {"units": "Hz"})},
        name="psd",
        attrs={"units": f"{units}^2/Hz", "long_name": "power spectral density",
               "segment_s": nperseg / fs, "sampling_hz": fs},
    )  # fmt: skip


def band_power(spectrum: xr.DataArray, band: tuple[float, float]) -> xr.DataArray:
    """Power in ``[low, high]`` Hz: the PSD summed over the band's frequencies times their step."""
    low, high = band
    f = spectrum["frequency"].values
    df = float(f[1] - f[0]) if f.size > 1 else 0.0
    inside = spectrum.sel(frequency=(spectrum.frequency >= low) & (spectrum.frequency <= high))
    power = inside.sum("frequency") * df
    units = spectrum.attrs.get("units", "1").removesuffix("/Hz")
    power.attrs = {
        "units": units,
        "band_hz": [low, high],
        "long_name": f"power {low:g}-{high:g} Hz",
    }
    return power.rename("band_power")


def population_spectra(
    tree: xr.DataTree,
    bin_width: float = 0.002,
    segment: float | None = None,
    start: float | None = None,
    stop: float | None = None,
) -> xr.DataArray:
    """PSD of every population's rate (binned at ``bin_width`` s) after warmup, in Hz^2/Hz.

    ``segment`` (s) defaults to 1 s (1 Hz resolution) for windows of 4 s or more, else to a
    quarter of the window but at least 0.25 s, so that short runs still average a few segments.
    """
    rate = rate_time_course(tree, bin_width, start, stop)
    if segment is None:
        length = rate.sizes["time"] * bin_width
        segment = 1.0 if length >= 4 else max(0.25, length / 4)
    return power_spectrum(rate, segment)


def band_powers(
    spectrum: xr.DataArray, bands: dict[str, tuple[float, float]] | None = None
) -> xr.Dataset:
    """Band power per band (default theta 6-10 Hz and slow gamma 25-50 Hz) as a Dataset.

    Each variable is named ``<band>_power``; ``relative_<band>_power`` is its share of the total
    power above 1 Hz.
    """
    bands = BANDS if bands is None else bands
    total = band_power(spectrum, (1.0, float(spectrum.frequency.max())))
    out = xr.Dataset()
    for name, band in bands.items():
        power = band_power(spectrum, band)
        out[f"{name}_power"] = power
        rel = power / total.where(total > 0)
        rel.attrs = {"units": "1", "band_hz": list(band)}
        out[f"relative_{name}_power"] = rel
    return out
