"""The measures depression studies take of people, taken of a run: EEG band powers, sgACC theta,
a frontal theta/alpha ratio, and BOLD functional connectivity of the default-mode network.

Each is computed from the run's field potentials (:mod:`depnet.analysis.lfp`) or its BOLD
(:mod:`depnet.analysis.hemodynamics`, driven by each region's synaptic activity) and carries its
definition and source in its attributes. They are reported, not asserted: the clinical findings
behind them are modest (EEG markers of antidepressant response replicate poorly; Widge et al.
2019 Am J Psychiatry 176:44) or contested in direction (DMN connectivity in MDD: raised in
Greicius et al. 2007 Biol Psychiatry 62:429, lowered in REST-meta-MDD, Yan et al. 2019 PNAS
116:9078).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.hemodynamics import BOLD_BAND, bold_connectivity, bold_signal
from depnet.analysis.lfp import CLINICAL_BANDS, eeg_proxy, lfp_band_powers, synaptic_activity
from depnet.analysis.load import window
from depnet.analysis.spectra import band_power, power_spectrum

#: Repetition time of the BOLD (s) unless told otherwise: that of most resting-state fMRI,
#: REST-meta-MDD's sites included.
DEFAULT_TR = 2.0
#: Seconds of BOLD dropped at the start of the analysis window while the hemodynamic model
#: settles to the drive (see ``depnet.analysis.hemodynamics.bold_signal``).
BOLD_SETTLE = 10.0
#: BOLD FC needs this many cycles of the band's lowest frequency in its window.
BOLD_CYCLES = 2
#: Default-mode network regions whose BOLD FC is reported, and the region studied against them.
DMN_REGIONS = ("pcc", "mpfc")
SGACC = "sgacc"
#: Shortest analysis window (s) for band powers: Welch segments of a quarter of it resolve the
#: 4 Hz wide theta band in at least 4 frequency bins.
MINIMUM_SPECTRAL_WINDOW = 4.0
#: The sensor of the frontal EEG measures.
FRONTAL_SENSOR = "Fz"


def region_bold(
    tree: xr.DataTree,
    tr: float = DEFAULT_TR,
    start: float | None = None,
    stop: float | None = None,
) -> xr.DataArray:
    """Each region's BOLD signal (fractional change), sampled every ``tr`` s.

    The Balloon-Windkessel model is driven by the region's synaptic activity
    (:func:`depnet.analysis.lfp.synaptic_activity`) as its fractional change about its mean over
    the window; the first :data:`BOLD_SETTLE` seconds of the window are dropped.
    """
    drive = synaptic_activity(tree, start, stop)
    return bold_signal(drive, tr=tr, discard=BOLD_SETTLE)


def bold_fc(
    tree: xr.DataTree,
    tr: float = DEFAULT_TR,
    start: float | None = None,
    stop: float | None = None,
) -> xr.DataArray:
    """Functional connectivity of the regions' BOLD in 0.01-0.1 Hz (``fc(region, region_b)``).

    Raises
    ------
    ValueError
        When the window is too short to resolve the band (the message says how long it must be).
    """
    return bold_connectivity(region_bold(tree, tr, start, stop), BOLD_BAND)


def minimum_bold_window() -> float:
    """Shortest analysis window (s) for BOLD FC: :data:`BOLD_CYCLES` cycles of 0.01 Hz after
    the hemodynamic model settles."""
    return BOLD_SETTLE + BOLD_CYCLES / BOLD_BAND[0]


def _scalar(value: float, long_name: str, definition: str, source: str, units="1", **extra):
    attrs = {"units": units, "long_name": long_name, "definition": definition, "source": source}
    return xr.DataArray(float(value), attrs=attrs | extra)


def biomarkers(
    tree: xr.DataTree,
    start: float | None = None,
    stop: float | None = None,
    tr: float = DEFAULT_TR,
) -> xr.Dataset:
    """The clinical readouts of a run over a window (default: after its warmup).

    Returns
    -------
    xarray.Dataset
        On ``region``: ``lfp_<band>_power`` (A^2) and ``lfp_relative_<band>_power`` of the LFP
        proxy for the bands of :data:`depnet.analysis.lfp.CLINICAL_BANDS`. Scalars: ``sgacc_theta``
        (relative theta power of the sgACC LFP proxy), ``frontal_theta_alpha`` (theta / alpha
        power of the EEG proxy at Fz), ``dmn_bold_fc`` (BOLD FC between PCC and mPFC) and
        ``sgacc_dmn_bold_fc`` (mean BOLD FC of sgACC with PCC and mPFC). A measure the run cannot
        give (a region missing, a window too short for BOLD FC) is NaN with the reason in its
        ``message`` attribute.
    """
    t0, t1 = window(tree, start, stop)
    bands = lfp_band_powers(tree, t0, t1)
    out = bands.rename({v: f"lfp_{v}" for v in bands.data_vars})
    regions = [str(r) for r in out["region"].values]
    short = ""
    if t1 - t0 < MINIMUM_SPECTRAL_WINDOW:
        short = (
            f"band powers need an analysis window of at least {MINIMUM_SPECTRAL_WINDOW:g} s; "
            f"this one is {t1 - t0:g} s"
        )
        out = out.map(lambda v: v.where(False), keep_attrs=True).assign_attrs(message=short)

    sgacc_source = (
        "Pizzagalli et al. 2018 JAMA Psychiatry 75:547 (EMBARC: pretreatment rostral ACC theta "
        "predicted improvement); here the sgACC column's LFP proxy, 4-8 Hz"
    )
    if SGACC in regions and not short:
        value = out["lfp_relative_theta_power"].sel(region=SGACC).item()
        out["sgacc_theta"] = _scalar(
            value, "sgACC relative theta power",
            "theta (4-8 Hz) power of the sgACC LFP proxy / its power above 1 Hz", sgacc_source,
        )  # fmt: skip
    else:
        out["sgacc_theta"] = _scalar(
            np.nan, "sgACC relative theta power", "", sgacc_source,
            message=short or "no sgACC in this run",
        )  # fmt: skip

    frontal_source = (
        "frontal theta and alpha are the most studied EEG markers of MDD and of antidepressant "
        "response; none replicates well (Widge et al. 2019 Am J Psychiatry 176:44)"
    )
    try:
        if short:
            raise ValueError(short)
        eeg = eeg_proxy(tree, t0, t1).sel(sensor=FRONTAL_SENSOR)
        step = float(np.median(np.diff(eeg["time"].values)))
        spectrum = power_spectrum(eeg, segment=min(2.0, eeg.sizes["time"] * step / 4))
        theta, alpha = (band_power(spectrum, CLINICAL_BANDS[b]).item() for b in ("theta", "alpha"))
        ratio, message = (theta / alpha if alpha > 0 else np.nan), {}
    except ValueError as err:
        ratio, message = np.nan, {"message": str(err)}
    out["frontal_theta_alpha"] = _scalar(
        ratio, "frontal theta/alpha power ratio",
        f"theta (4-8 Hz) / alpha (8-13 Hz) power of the EEG proxy at {FRONTAL_SENSOR}",
        frontal_source, **message,
    )  # fmt: skip

    dmn_source = (
        "BOLD FC in 0.01-0.1 Hz (Greicius et al. 2007 Biol Psychiatry 62:429: sgACC-DMN FC "
        "raised in MDD; Yan et al. 2019 PNAS 116:9078, REST-meta-MDD: DMN FC lowered in "
        "recurrent MDD). Contested: reported, not asserted"
    )
    fc, reason = None, ""
    if t1 - t0 < minimum_bold_window():
        reason = (
            f"BOLD FC needs an analysis window of at least {minimum_bold_window():g} s "
            f"({BOLD_CYCLES} cycles of {BOLD_BAND[0]:g} Hz after {BOLD_SETTLE:g} s of "
            f"hemodynamic settling); this one is {t1 - t0:g} s"
        )
    elif not all(r in regions for r in DMN_REGIONS):
        reason = f"the run lacks a default-mode region ({', '.join(DMN_REGIONS)})"
    else:
        fc = bold_fc(tree, tr, t0, t1)
    pcc, mpfc = DMN_REGIONS
    dmn = fc.sel(region=pcc, region_b=mpfc).item() if fc is not None else np.nan
    out["dmn_bold_fc"] = _scalar(
        dmn, "DMN BOLD FC (PCC-mPFC)", f"Pearson r of PCC and mPFC BOLD at TR {tr:g} s",
        dmn_source, **({"message": reason} if reason else {}),
    )  # fmt: skip
    if fc is not None and SGACC in regions:
        sg = float(fc.sel(region=SGACC, region_b=list(DMN_REGIONS)).mean())
        sg_reason = ""
    else:
        sg, sg_reason = np.nan, reason or "no sgACC in this run"
    out["sgacc_dmn_bold_fc"] = _scalar(
        sg, "sgACC-DMN BOLD FC", f"mean Pearson r of sgACC BOLD with PCC and mPFC at TR {tr:g} s",
        dmn_source, **({"message": sg_reason} if sg_reason else {}),
    )  # fmt: skip
    out.attrs = {"window_s": [t0, t1], "tr_s": tr}
    return out
