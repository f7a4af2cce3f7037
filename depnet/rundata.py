"""What a run recorded, as plain arrays: the data that travels from a run to its store.

:class:`RunData` holds numpy arrays in SI units (concentrations in the units of
:data:`SEROTONIN_VARIABLES`), with the unit names beside them. It needs neither Brian2 nor the
model: :mod:`depnet.recording` fills it from a run, :mod:`depnet.store` writes and reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

#: SI units of the recordable variables (what their arrays hold).
UNITS = {
    "v": "V",
    "g_ampa": "S",
    "g_nmda": "S",
    "g_gaba": "S",
    "g_girk": "S",
    "g_ahp": "S",
    "I_syn": "A",
}
#: Serotonin compartment variables: the unit they are stored in, and its value in SI units
#: (Brian2 keeps concentrations in mol/m^3, i.e. mM).
SEROTONIN_VARIABLES = {
    "c_5ht": ("nM", 1e-6),
    "occupancy_sert": ("1", 1),  # share of SERT bound by an SSRI
    "occupancy_5ht1a": ("1", 1),  # bound and G-protein-coupled: what opens GIRK channels
    "occupancy_5ht7": ("1", 1),
    "bound_5ht1a": ("1", 1),  # bound by 5-HT or an agonist, coupled or not
    "desensitized_5ht1a": ("1", 1),  # share of autoreceptors uncoupled (chronic SSRI)
}

#: Synaptic currents summed over each region's principal cells (the LFP proxy's inputs), in A.
LFP_CURRENTS = ("i_ampa", "i_gaba")


@dataclass
class Spikes:
    neuron: np.ndarray  # int32 index within the population
    time: np.ndarray  # seconds
    n_neurons: int


@dataclass
class Traces:
    time: np.ndarray  # seconds
    neuron: np.ndarray  # recorded indices
    values: dict[str, np.ndarray]  # variable -> (time, neuron), SI units


@dataclass
class SynapseRecord:
    """A plastic projection over time: counts and weight statistics, and the final weights."""

    time: np.ndarray  # seconds
    n_present: np.ndarray  # (time,) synapses transmitting
    pool_size: int  # potential synapses (= all synapses without structural plasticity)
    w_mean: np.ndarray  # (time,) siemens, over present synapses
    w_std: np.ndarray  # (time,) siemens
    pre: np.ndarray  # (synapse,) final snapshot
    post: np.ndarray
    w_final: np.ndarray  # siemens
    present_final: np.ndarray


@dataclass
class RunData:
    """Everything a run recorded, as numpy arrays in SI units."""

    duration: float  # seconds
    spikes: dict[str, Spikes]
    traces: dict[str, Traces]
    serotonin_time: np.ndarray
    regions: list[str]
    serotonin: dict[str, np.ndarray]  # variable -> (region, time), units of SEROTONIN_VARIABLES
    rate_bin: float
    synapses: dict[str, SynapseRecord] = field(default_factory=dict)
    #: Sample times of the LFP sums (s), and each current of :data:`LFP_CURRENTS` as
    #: ``(region, time)`` in A; empty when the run did not record them.
    lfp_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lfp: dict[str, np.ndarray] = field(default_factory=dict)


def concatenate(parts: list[RunData]) -> RunData:
    """One run's data from the data of its consecutive segments (times are the run's own).

    Final weights and presence are the last segment's; the rest is joined along time.
    """
    first, last = parts[0], parts[-1]

    def cat(get, axis: int = 0) -> np.ndarray:
        return np.concatenate([get(p) for p in parts], axis=axis)

    spikes = {
        name: replace(
            s,
            neuron=cat(lambda p, n=name: p.spikes[n].neuron),
            time=cat(lambda p, n=name: p.spikes[n].time),
        )
        for name, s in first.spikes.items()
    }
    traces = {
        name: replace(
            tr,
            time=cat(lambda p, n=name: p.traces[n].time),
            values={v: cat(lambda p, n=name, v=v: p.traces[n].values[v]) for v in tr.values},
        )
        for name, tr in first.traces.items()
    }
    synapses = {
        name: replace(
            rec,
            time=cat(lambda p, n=name: p.synapses[n].time),
            n_present=cat(lambda p, n=name: p.synapses[n].n_present),
            w_mean=cat(lambda p, n=name: p.synapses[n].w_mean),
            w_std=cat(lambda p, n=name: p.synapses[n].w_std),
        )
        for name, rec in last.synapses.items()
    }
    return replace(
        first,
        duration=sum(p.duration for p in parts),
        spikes=spikes,
        traces=traces,
        serotonin_time=cat(lambda p: p.serotonin_time),
        serotonin={v: cat(lambda p, v=v: p.serotonin[v], axis=1) for v in first.serotonin},
        synapses=synapses,
        lfp_time=cat(lambda p: p.lfp_time),
        lfp={v: cat(lambda p, v=v: p.lfp[v], axis=1) for v in first.lfp},
    )


def check_finite(data: RunData) -> str | None:
    """Where a run diverged (NaN or infinity in [5-HT] or a recorded trace), or None."""
    for variable, values in data.serotonin.items():
        bad = ~np.isfinite(values)
        if bad.any():
            region, step = np.argwhere(bad)[0]
            return (
                f"simulation diverged: {variable} is not finite in region "
                f"{data.regions[region]} from t = {data.serotonin_time[step]:.4g} s"
            )
    for current, values in data.lfp.items():
        bad = ~np.isfinite(values)
        if bad.any():
            region, step = np.argwhere(bad)[0]
            return (
                f"simulation diverged: the LFP sum {current} is not finite in region "
                f"{data.regions[region]} from t = {data.lfp_time[step]:.4g} s"
            )
    for population, traces in data.traces.items():
        for variable, values in traces.values.items():
            bad = ~np.isfinite(values)
            if bad.any():
                step = np.argwhere(bad)[0][0]
                return (
                    f"simulation diverged: {population}.{variable} is not finite from "
                    f"t = {traces.time[step]:.4g} s"
                )
    return None


#: Spike times lie on the time grid, and so do bin edges when the bin is a whole number of
#: steps: a spike on an edge belongs to the bin that starts there, whichever way ``t / bin_width``
#: rounds. The tolerance (a fraction of a bin) is far below any time step.
BIN_EDGE_TOLERANCE = 1e-6


def spike_bins(time: np.ndarray, t0: float, bin_width: float) -> np.ndarray:
    """Index of the bin ``[t0 + k * bin_width, t0 + (k + 1) * bin_width)`` of each spike time.

    The one binning of spike times that the store's ``/rates`` and the analysis functions share,
    so that they count the same spikes in the same bins.
    """
    return np.floor((time - t0) / bin_width + BIN_EDGE_TOLERANCE).astype(np.int64)


def binned_rates(
    spikes: Spikes, duration: float, bin_width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Population rate in Hz per bin, and the bin centres in seconds."""
    n_bins = max(1, int(np.ceil(duration / bin_width - 1e-9)))
    edges = np.arange(n_bins + 1) * bin_width
    # recorded spikes lie in [0, duration); no boolean mask, so that lazy (dask) times stay lazy
    index = np.clip(spike_bins(spikes.time, 0.0, bin_width), 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    widths = np.diff(np.minimum(edges, duration))
    rate = counts / (max(spikes.n_neurons, 1) * np.where(widths > 0, widths, bin_width))
    return rate, edges[:-1] + bin_width / 2
