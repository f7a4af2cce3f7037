"""Field potentials from the circuit: an LFP proxy per region, an EEG-like signal, band powers.

A run records, every ``record.lfp_dt`` (1 ms by default), the AMPA and GABA_A currents onto each
region's principal cells (interneurons excluded), summed by the generated code (the store's
``/lfp``). From them:

- the **LFP proxy** of Mazzoni et al. (2015) PLoS Comput Biol 11:e1004584, their "reference
  weighted sum" (RWS): ``LFP(t) = |I_AMPA(t - 6 ms)| - 1.65 |I_GABA(t)|``, the currents summed
  over the principal cells. It explained most of the variance of the LFP that the same
  network's currents produced in morphologically detailed pyramidal cells; it is a proxy for
  the field of a region whose pyramidal cells are aligned (cortex, hippocampus), and it says
  little about the raphe, whose cells have no such geometry. Units: A.
- an **EEG proxy** at a few scalp positions: each cortical region a current dipole at its MNI
  centre (:data:`REGION_CENTRES`), radial to the head centre, whose moment follows its LFP
  proxy; the potential of a dipole in an infinite homogeneous conductor weights it at each
  sensor (:func:`eeg_weights`). Hippocampal and raphe sources are deep and largely closed-field
  and are left out. A stated geometry, not a head model: its sensor signals are for spectra and
  ratios, not for amplitudes or topographies.
- **band powers** in the clinical EEG bands (:data:`CLINICAL_BANDS`).

``tests/test_analysis_lfp.py`` checks each against inputs with known answers.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.load import window
from depnet.analysis.spectra import band_powers, power_spectrum

#: Delay of the AMPA term of the proxy (s): Mazzoni et al. 2015, RWS.
AMPA_DELAY = 0.006
#: Weight of the GABA term of the proxy: Mazzoni et al. 2015, RWS.
GABA_WEIGHT = 1.65

#: The clinical EEG bands (Hz), as used by the depression EEG literature (e.g. Widge et al. 2019
#: Am J Psychiatry 176:44, whose meta-analysis of these markers is the sober reading of them).
CLINICAL_BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 80.0),
}

#: MNI centres (mm) of the cortical regions, the EEG proxy's dipole positions.
REGION_CENTRES = {
    "dlpfc": (-44.0, 40.0, 29.0),  # left BA46 rTMS target: Fox et al. 2012 Biol Psychiatry 72:595
    "sgacc": (6.0, 16.0, -10.0),  # sgACC seed: Fox et al. 2012
    "pcc": (-5.0, -49.0, 40.0),  # PCC seed: Fox et al. 2005 PNAS 102:9673
    "mpfc": (-1.0, 47.0, -4.0),  # medial prefrontal seed: Fox et al. 2005
}
#: Centre (MNI, mm) and radius (mm) of the spherical head the sensors sit on: chosen, a sphere
#: about the size of the MNI template's upper head (a stated geometry, not fitted to a scalp).
HEAD_CENTRE = (0.0, -18.0, 10.0)
HEAD_RADIUS = 92.0
#: Sensors of the EEG proxy: 10-20 positions as (polar, azimuth) angles in degrees on the head
#: sphere (polar from the vertex; azimuth from the midline, positive to the right). On the
#: midline each 10-20 step is 36 degrees from Cz (20% of the nasion-inion half circle); F3/F4
#: are placed halfway between Fz and the 10-20 F7/F8 (chosen, to about 1 cm).
SENSORS = {
    "Fpz": (72.0, 0.0),
    "Fz": (36.0, 0.0),
    "Cz": (0.0, 0.0),
    "Pz": (36.0, 180.0),
    "F3": (54.0, -39.0),
    "F4": (54.0, 39.0),
}


def lfp_currents(tree: xr.DataTree) -> xr.Dataset:
    """The store's summed synaptic currents (``i_ampa``, ``i_gaba``; region x time, in A).

    Raises
    ------
    ValueError
        When the run has no ``/lfp`` (recorded with ``record.lfp = false``, or stored before the
        LFP sums existed).
    """
    if "lfp" not in tree.children:
        raise ValueError(
            "this run has no /lfp: it was recorded with record.lfp = false, or before depnet "
            "recorded the LFP sums; run it again to get field potentials"
        )
    return tree["lfp"].to_dataset()


def _step(time: xr.DataArray) -> float:
    t = time.values
    if t.size < 2:
        raise ValueError("the LFP sums have fewer than 2 samples")
    return float(np.median(np.diff(t)))


def lfp_proxy(
    tree: xr.DataTree,
    start: float | None = None,
    stop: float | None = None,
    delay: float = AMPA_DELAY,
    gaba_weight: float = GABA_WEIGHT,
) -> xr.DataArray:
    """The LFP proxy of each region (Mazzoni et al. 2015, RWS) over the analysis window.

    ``|I_AMPA(t - delay)| - gaba_weight * |I_GABA(t)|``, the currents summed over the region's
    principal cells; samples earlier than ``delay`` into the run are dropped (their AMPA term
    is not recorded). The window defaults to the run after its warmup (see
    ``depnet.analysis.load.window``).

    Returns
    -------
    xarray.DataArray
        ``lfp(region, time)`` in A.
    """
    sums = lfp_currents(tree)
    t0, t1 = window(tree, start, stop)
    shift = int(round(delay / _step(sums["time"])))
    ampa = np.abs(sums["i_ampa"].astype(np.float64)).shift(time=shift)
    proxy = ampa - gaba_weight * np.abs(sums["i_gaba"].astype(np.float64))
    t = sums["time"].values
    keep = (t >= max(t0, t[0] + shift * _step(sums["time"]) - 1e-12)) & (t < t1 - 1e-12)
    proxy = proxy.isel(time=np.flatnonzero(keep))
    proxy.attrs = {
        "units": "A",
        "long_name": "LFP proxy",
        "definition": f"|I_AMPA(t - {delay * 1e3:g} ms)| - {gaba_weight:g} |I_GABA(t)|, summed "
        "over the region's principal cells (Mazzoni et al. 2015 PLoS Comput Biol 11:e1004584)",
    }
    return proxy.rename("lfp")


def synaptic_activity(
    tree: xr.DataTree, start: float | None = None, stop: float | None = None
) -> xr.DataArray:
    """Synaptic activity of each region's principal cells, ``|I_AMPA| + |I_GABA|`` (A): the
    neural drive of the BOLD model (BOLD follows synaptic activity and the LFP more closely than
    spiking; Logothetis et al. 2001 Nature 412:150). The NMDA current is not recorded (see
    ``depnet.recording.LFP_SUM_EQUATIONS``)."""
    sums = lfp_currents(tree)
    t0, t1 = window(tree, start, stop)
    total = np.abs(sums["i_ampa"].astype(np.float64)) + np.abs(sums["i_gaba"].astype(np.float64))
    t = sums["time"].values
    total = total.isel(time=np.flatnonzero((t >= t0 - 1e-12) & (t < t1 - 1e-12)))
    total.attrs = {"units": "A", "long_name": "synaptic activity (|AMPA| + |GABA|)"}
    return total.rename("synaptic_activity")


def _sensor_positions(sensors: dict[str, tuple[float, float]]) -> np.ndarray:
    polar, azimuth = (np.radians([s[k] for s in sensors.values()]) for k in (0, 1))
    # x: right, y: anterior, z: superior; azimuth 0 is anterior on the midline
    unit = np.stack(
        [np.sin(polar) * np.sin(azimuth), np.sin(polar) * np.cos(azimuth), np.cos(polar)], axis=1
    )
    return np.asarray(HEAD_CENTRE) + HEAD_RADIUS * unit


def eeg_weights(
    regions: list[str] | None = None, sensors: dict[str, tuple[float, float]] | None = None
) -> xr.DataArray:
    """How much each region's LFP proxy counts at each sensor (sensor x region).

    A radial current dipole at the region's centre (:data:`REGION_CENTRES`) in an infinite
    homogeneous conductor gives the potential ``u . d / |d|^3`` at a sensor ``d`` away (``u``
    the unit radial direction); the weights are these values scaled so that the largest is 1.
    Regions without a centre (hippocampus, raphe) weigh 0.
    """
    regions = list(REGION_CENTRES) if regions is None else list(regions)
    sensors = SENSORS if sensors is None else sensors
    positions = _sensor_positions(sensors)
    weights = np.zeros((len(sensors), len(regions)))
    for k, region in enumerate(regions):
        if region not in REGION_CENTRES:
            continue
        centre = np.asarray(REGION_CENTRES[region])
        radial = centre - np.asarray(HEAD_CENTRE)
        radial /= np.linalg.norm(radial)
        d = positions - centre
        weights[:, k] = d @ radial / np.linalg.norm(d, axis=1) ** 3
    largest = np.abs(weights).max()
    return xr.DataArray(
        weights / largest if largest > 0 else weights,
        dims=("sensor", "region"),
        coords={"sensor": list(sensors), "region": regions},
        name="eeg_weight",
        attrs={"units": "1", "long_name": "dipole weight of a region's LFP at a sensor"},
    )


def eeg_proxy(
    tree: xr.DataTree,
    start: float | None = None,
    stop: float | None = None,
    sensors: dict[str, tuple[float, float]] | None = None,
) -> xr.DataArray:
    """The EEG proxy at each sensor: the cortical regions' LFP proxies weighted by
    :func:`eeg_weights` (``eeg(sensor, time)``, in A of weighted LFP proxy; a relative signal).

    Raises
    ------
    ValueError
        When the run has none of the cortical regions of :data:`REGION_CENTRES`.
    """
    lfp = lfp_proxy(tree, start, stop)
    regions = [str(r) for r in lfp["region"].values]
    if not any(r in REGION_CENTRES for r in regions):
        raise ValueError(
            f"no cortical region for the EEG proxy among {', '.join(regions)} "
            f"(it needs one of {', '.join(REGION_CENTRES)})"
        )
    weights = eeg_weights(regions, sensors)
    eeg = xr.dot(weights, lfp, dim="region")
    eeg.attrs = {
        "units": "A",
        "long_name": "EEG proxy",
        "definition": "cortical LFP proxies weighted by radial dipoles at their MNI centres "
        "(depnet.analysis.lfp.eeg_weights); relative amplitudes only",
    }
    return eeg.rename("eeg").transpose("sensor", "time")


def default_segment(length: float) -> float:
    """Welch segment (s) for a signal ``length`` s long: 2 s (0.5 Hz resolution, enough to
    separate delta from theta) when the signal holds 8 of them, else a quarter of it."""
    return 2.0 if length >= 16.0 else max(length / 4, 0.05)


def lfp_spectra(
    tree: xr.DataTree,
    start: float | None = None,
    stop: float | None = None,
    segment: float | None = None,
) -> xr.DataArray:
    """Power spectral density of each region's LFP proxy (Welch; ``psd(region, frequency)`` in
    A^2/Hz); ``segment`` (s) defaults to :func:`default_segment`."""
    lfp = lfp_proxy(tree, start, stop)
    length = lfp.sizes["time"] * _step(lfp["time"])
    return power_spectrum(lfp, default_segment(length) if segment is None else segment)


def lfp_band_powers(
    tree: xr.DataTree,
    start: float | None = None,
    stop: float | None = None,
    bands: dict[str, tuple[float, float]] | None = None,
) -> xr.Dataset:
    """Power of each region's LFP proxy in the clinical bands (:data:`CLINICAL_BANDS`), absolute
    (A^2) and relative to the power above 1 Hz (``<band>_power``, ``relative_<band>_power``)."""
    return band_powers(lfp_spectra(tree, start, stop), CLINICAL_BANDS if bands is None else bands)
