"""Monitors chosen by a scenario's ``[record]`` table, and their data as plain arrays.

Recording knows Brian2 monitors; :mod:`depnet.store` knows where arrays go in a store. Between
the two travels :class:`RunData`: numpy arrays in SI units, with the unit names beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2 as b2
import numpy as np

from depnet.circuits.build import Circuit
from depnet.spec import RecordSection

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
#: Serotonin compartment variables: the unit they are stored in, and its Brian2 value.
SEROTONIN_VARIABLES = {
    "c_5ht": ("nM", b2.nM),
    "occupancy_5ht1a": ("1", 1),  # bound and G-protein-coupled: what opens GIRK channels
    "occupancy_5ht7": ("1", 1),
    "bound_5ht1a": ("1", 1),  # bound by 5-HT or an agonist, coupled or not
    "desensitized_5ht1a": ("1", 1),  # share of autoreceptors uncoupled (chronic SSRI)
}


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


@dataclass
class Monitors:
    """The monitors of one run, kept so that their data can be collected after it."""

    spikes: dict[str, b2.SpikeMonitor]
    traces: dict[str, b2.StateMonitor]
    serotonin: b2.StateMonitor
    record: RecordSection
    synapses: dict[str, b2.StateMonitor] = field(default_factory=dict)

    @property
    def objects(self) -> list:
        return [
            *self.spikes.values(), *self.traces.values(), self.serotonin, *self.synapses.values()
        ]  # fmt: skip


def attach_monitors(circuit: Circuit, record: RecordSection) -> Monitors:
    """Create the monitors that ``record`` asks for: one per NeuronGroup, split on collection."""
    groups = circuit.groups
    spikes = {name: b2.SpikeMonitor(g, name=f"spikes_{name}") for name, g in groups.items()}
    traces = {}
    if record.traces and record.trace_neurons > 0:
        for name, group in groups.items():
            rows = _trace_rows(circuit, name, record.trace_neurons)
            if len(rows):
                traces[name] = b2.StateMonitor(
                    group, list(record.traces), record=rows, dt=record.trace_dt,
                    name=f"traces_{name}",
                )  # fmt: skip
    serotonin = b2.StateMonitor(
        circuit.compartments, list(SEROTONIN_VARIABLES), record=True, dt=record.serotonin_dt,
        name="serotonin_monitor",
    )  # fmt: skip
    synapses = {
        name: b2.StateMonitor(
            syn,
            ["w", "present"] if "present" in syn.variables else ["w"],
            record=True,
            dt=record.synapse_dt,
            name=f"synapses_{name}",
        )  # fmt: skip
        for name, syn in circuit.plastic.items()
    }
    return Monitors(spikes, traces, serotonin, record, synapses)


def _trace_rows(circuit: Circuit, group: str, per_population: int) -> np.ndarray:
    """Rows of a group to record: the first cells of each of its populations (not drives)."""
    rows = [
        np.arange(p.start, p.start + min(per_population, p.n))
        for name, p in circuit.placements.items()
        if p.group.name == group and name in circuit.populations
    ]
    return np.concatenate(rows).astype(int) if rows else np.zeros(0, dtype=int)


def collect(monitors: Monitors, circuit: Circuit, duration: b2.Quantity) -> RunData:
    """Read every monitor into a :class:`RunData` (after the run), one entry per population."""
    by_group = {
        name: (np.asarray(m.i[:], dtype=np.int64), np.asarray(m.t[:] / b2.second))
        for name, m in monitors.spikes.items()
    }
    spikes = {}
    for name, p in circuit.placements.items():
        i, t = by_group[p.group.name]
        mine = (i >= p.start) & (i < p.stop)
        spikes[name] = Spikes(
            neuron=(i[mine] - p.start).astype(np.int32),
            time=t[mine].astype(np.float64),
            n_neurons=p.n,
        )
    traces = {}
    for group, m in monitors.traces.items():
        rows = np.asarray(m.record)
        values = {v: np.asarray(getattr(m, v)[:]).T.astype(np.float32) for v in m.record_variables}
        for name, p in circuit.placements.items():
            mine = (rows >= p.start) & (rows < p.stop)
            if p.group.name == group and mine.any():
                traces[name] = Traces(
                    time=np.asarray(m.t[:] / b2.second),
                    neuron=(rows[mine] - p.start).astype(np.int32),
                    values={v: x[:, mine] for v, x in values.items()},
                )
    s = monitors.serotonin
    serotonin = {
        v: np.asarray(getattr(s, v)[:] / unit, dtype=np.float64)
        for v, (_, unit) in SEROTONIN_VARIABLES.items()
    }
    synapses = {
        name: _synapse_record(m, circuit.plastic[name]) for name, m in monitors.synapses.items()
    }
    return RunData(
        synapses=synapses,
        duration=float(duration / b2.second),
        spikes=spikes,
        traces=traces,
        serotonin_time=np.asarray(s.t[:] / b2.second),
        regions=list(circuit.regions),
        serotonin=serotonin,
        rate_bin=float(monitors.record.rate_bin / b2.second),
    )


def _synapse_record(monitor: b2.StateMonitor, synapses: b2.Synapses) -> SynapseRecord:
    w = np.asarray(monitor.w[:] / b2.siemens)  # (synapse, time)
    pooled = "present" in synapses.variables
    present = np.asarray(monitor.present[:]) if pooled else np.ones_like(w)
    n_present = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_mean = (w * present).sum(axis=0) / n_present
        w_std = np.sqrt(np.maximum((w**2 * present).sum(axis=0) / n_present - w_mean**2, 0))
    final_present = np.asarray(synapses.present[:]) if pooled else np.ones(len(synapses))
    return SynapseRecord(
        time=np.asarray(monitor.t[:] / b2.second),
        n_present=n_present,
        pool_size=len(synapses),
        w_mean=w_mean,
        w_std=w_std,
        pre=np.asarray(synapses.i[:], dtype=np.int32),
        post=np.asarray(synapses.j[:], dtype=np.int32),
        w_final=np.asarray(synapses.w[:] / b2.siemens),
        present_final=final_present,
    )


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
