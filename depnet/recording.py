"""Monitors chosen by a scenario's ``[record]`` table, and their data as a :class:`RunData`.

Recording knows Brian2 monitors; :mod:`depnet.store` knows where arrays go in a store. Between
the two travels :class:`~depnet.rundata.RunData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import brian2 as b2
import numpy as np

from depnet import standalone
from depnet.circuits.build import Circuit, Layout, region_of
from depnet.circuits.plasticity import weight_sums
from depnet.circuits.projections import PROJECTIONS
from depnet.rundata import (
    LFP_CURRENTS,
    SEROTONIN_VARIABLES,
    RunData,
    Spikes,
    SynapseRecord,
    Traces,
)
from depnet.spec import RecordSection


@dataclass
class Monitors:
    """The monitors of one run, kept so that their data can be collected after it."""

    spikes: dict[str, b2.SpikeMonitor]
    traces: dict[str, b2.StateMonitor]
    serotonin: b2.StateMonitor
    record: RecordSection
    synapses: dict[str, b2.StateMonitor] = field(default_factory=dict)
    #: Per NeuronGroup with principal cells: its population sums (a group of one row per region,
    #: the Synapses that sum into it, the monitor that records the sums).
    lfp: dict[str, tuple[b2.NeuronGroup, b2.Synapses, b2.StateMonitor]] = field(
        default_factory=dict
    )

    @property
    def lfp_monitors(self) -> dict[str, b2.StateMonitor]:
        return {group: monitor for group, (_, _, monitor) in self.lfp.items()}

    @property
    def monitors(self) -> list:
        """The monitors, whose arrays a run reads back."""
        return [
            *self.spikes.values(), *self.traces.values(), self.serotonin, *self.synapses.values(),
            *self.lfp_monitors.values(),
        ]  # fmt: skip

    @property
    def objects(self) -> list:
        """Everything recording adds to the network: the monitors and the groups and synapses
        that compute the LFP sums."""
        return [*self.monitors, *(obj for g, s, _ in self.lfp.values() for obj in (g, s))]


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
                    group, list(record.traces), record=rows, name=f"traces_{name}",
                    clock=b2.Clock(record.trace_dt, name=f"traces_{name}_clock"),
                )  # fmt: skip
    serotonin = b2.StateMonitor(
        circuit.compartments, list(SEROTONIN_VARIABLES), record=True, name="serotonin_monitor",
        clock=b2.Clock(record.serotonin_dt, name="serotonin_monitor_clock"),
    )  # fmt: skip
    synapses = {name: _weight_sums_monitor(circuit, name, record) for name in circuit.plastic}
    lfp = _attach_lfp_sums(circuit, record) if record.lfp else {}
    return Monitors(spikes, traces, serotonin, record, synapses, lfp)


def _weight_sums_monitor(circuit: Circuit, name: str, record: RecordSection) -> b2.StateMonitor:
    """A plastic projection's weight sums on its target cells (:func:`depnet.circuits.plasticity
    .weight_sums`), computed and recorded every ``record.synapse_dt``.

    The sums are taken at the start of a sampled step, after the step's structural update (the
    ``start`` slot; see :func:`depnet.standalone.sample_summed_variables`), so a sample holds the
    synapses as they enter that step. Recording sums per target cell instead of every synapse's
    weight keeps the recording (and the binary's memory) proportional to cells, not synapses.
    """
    syn = circuit.plastic[name]
    clock = b2.Clock(record.synapse_dt, name=f"synapses_{name}_clock")
    standalone.sample_summed_variables(syn, clock)
    target = circuit.placements[PROJECTIONS[name].target]
    sums = weight_sums(name, "present" in syn.variables)
    return b2.StateMonitor(
        target.group, list(sums.values()), record=np.arange(target.start, target.stop),
        clock=clock, when="start", order=1, name=f"synapses_{name}",
    )  # fmt: skip


#: Kinds of population that are not principal cells (the LFP proxy sums principal cells only).
INTERNEURON_KINDS = ("inh", "gaba")

#: The population sums of the LFP proxy: one row per region, set by summed variables every
#: ``lfp_dt`` (:func:`_attach_lfp_sums`).
LFP_EQUATIONS = "\n".join(f"{name} : amp" for name in LFP_CURRENTS)

#: Each principal cell's AMPA and GABA_A currents (positive depolarizes, as in ``I_syn``),
#: summed into its region's row: the currents of the LFP proxy of Mazzoni et al. (2015) PLoS
#: Comput Biol 11:e1004584. The NMDA current is left out: its Mg2+ block is an exponential per
#: cell that this loop, unlike the neurons' state update, cannot vectorize, and with it the sums
#: cost about twice as much.
LFP_SUM_EQUATIONS = """
i_ampa_post = g_ampa_pre * (E_ampa_pre - v_pre) : amp (summed)
i_gaba_post = g_gaba_pre * (E_gaba_pre - v_pre) : amp (summed)
"""


def principal_populations(circuit: Circuit) -> list[str]:
    """The populations whose synaptic currents make a region's LFP proxy: all but
    interneurons (pyramidal cells, dentate granule cells, raphe 5-HT cells)."""
    return [
        name for name in circuit.populations
        if name.removeprefix(f"{region_of(name)}_") not in INTERNEURON_KINDS
    ]  # fmt: skip


def _attach_lfp_sums(
    circuit: Circuit, record: RecordSection
) -> dict[str, tuple[b2.NeuronGroup, b2.Synapses, b2.StateMonitor]]:
    """Per NeuronGroup holding principal cells, the sums of their synaptic currents by region.

    The sum is computed by the generated code (a summed variable, on the sums' clock of
    ``record.lfp_dt``) and recorded as one row per region: recording it costs one pass over the
    principal cells every ``lfp_dt``, about what a rate monitor costs, not a trace per cell.
    """
    principal = set(principal_populations(circuit))
    rows: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for name, place in circuit.placements.items():
        if name in principal:
            cells, regions = rows.setdefault(place.group.name, ([], []))
            cells.append(np.arange(place.start, place.stop))
            regions.append(np.full(place.n, circuit.regions.index(region_of(name))))
    sums = {}
    for group_name, (cells, regions) in rows.items():
        clock = b2.Clock(record.lfp_dt, name=f"lfp_{group_name}_clock")
        target = b2.NeuronGroup(
            len(circuit.regions), LFP_EQUATIONS, clock=clock, name=f"lfp_{group_name}"
        )
        summing = b2.Synapses(
            circuit.groups[group_name], target, LFP_SUM_EQUATIONS, name=f"lfp_sum_{group_name}"
        )
        summing.connect(i=np.concatenate(cells), j=np.concatenate(regions))
        # at the end of the step, so that the sums recorded at t are those of the state at t
        monitor = b2.StateMonitor(
            target, list(LFP_CURRENTS), record=True, clock=clock, when="end",
            name=f"lfp_{group_name}_monitor",
        )  # fmt: skip
        sums[group_name] = (target, summing, monitor)
    return sums


def _trace_rows(circuit: Circuit, group: str, per_population: int) -> np.ndarray:
    """Rows of a group to record: the first cells of each of its populations (not drives)."""
    rows = [
        np.arange(p.start, p.start + min(per_population, p.n))
        for name, p in circuit.placements.items()
        if p.group.name == group and name in circuit.populations
    ]
    return np.concatenate(rows).astype(int) if rows else np.zeros(0, dtype=int)


#: A run's recorded arrays, by monitor, as the binary writes them or the runtime target holds
#: them (SI units; 2-D arrays time-major)::
#:
#:     {"spikes": {group: {"i", "t"}},
#:      "traces": {group: {"t", "rows", <variable>: (time, row)}},
#:      "serotonin": {"t", <variable>: (time, region)},
#:      "synapses": {projection: {"t", "w_sum_<projection>": (time, target cell),
#:                                "w2_sum_<projection>", ["n_sum_<projection>"], "pre", "post",
#:                                "w_final", ["present_final"]}},
#:      "lfp": {group: {"t", <current>: (time, region)}}}
MonitorArrays = dict[str, Any]


def read_monitors(monitors: Monitors, circuit: Circuit) -> MonitorArrays:
    """The arrays of a run's monitors, after a run on the runtime target."""
    arrays: MonitorArrays = {"spikes": {}, "traces": {}, "synapses": {}, "lfp": {}}
    for group, m in monitors.spikes.items():
        arrays["spikes"][group] = {"i": _copy(m.i[:]), "t": _copy(m.t_[:])}
    for group, m in monitors.traces.items():
        arrays["traces"][group] = {"t": _copy(m.t_[:]), "rows": _copy(m.record)} | {
            v: _copy(getattr(m, v + "_")).T for v in m.record_variables
        }
    s = monitors.serotonin
    arrays["serotonin"] = {"t": _copy(s.t_[:])} | {
        v: _copy(getattr(s, v + "_")).T for v in SEROTONIN_VARIABLES
    }
    for name, m in monitors.synapses.items():
        syn = circuit.plastic[name]
        record = {"t": _copy(m.t_[:])} | {
            v: _copy(getattr(m, v + "_")).T for v in m.record_variables
        }
        record |= {"pre": _copy(syn.i[:]), "post": _copy(syn.j[:])}
        record["w_final"] = _copy(syn.w_[:])
        if "present" in syn.variables:
            record["present_final"] = _copy(syn.present_[:])
        arrays["synapses"][name] = record
    for group, m in monitors.lfp_monitors.items():
        arrays["lfp"][group] = {"t": _copy(m.t_[:])} | {
            v: _copy(getattr(m, v + "_")).T for v in LFP_CURRENTS
        }
    return arrays


def _copy(values) -> np.ndarray:
    # Brian2's runtime arrays are views into buffers freed with the network: keep copies.
    return np.array(values, copy=True)


def assemble(
    arrays: MonitorArrays, layout: Layout, record: RecordSection, start: float, stop: float
) -> RunData:
    """A :class:`RunData` of the run from ``start`` to ``stop`` (s), one entry per population,
    from the arrays its monitors recorded (:data:`MonitorArrays`)."""
    spikes = {}
    for name, (group, first, last) in layout.placements.items():
        i, t = arrays["spikes"][group]["i"].astype(np.int64), arrays["spikes"][group]["t"]
        mine = (i >= first) & (i < last)
        spikes[name] = Spikes(
            neuron=(i[mine] - first).astype(np.int32),
            time=np.asarray(t[mine], dtype=np.float64),
            n_neurons=last - first,
        )
    traces = {}
    for group, recorded in arrays["traces"].items():
        rows = np.asarray(recorded["rows"])
        for name, (owner, first, last) in layout.placements.items():
            mine = (rows >= first) & (rows < last)
            if owner == group and mine.any():
                traces[name] = Traces(
                    time=np.asarray(recorded["t"], dtype=np.float64),
                    neuron=(rows[mine] - first).astype(np.int32),
                    values={
                        v: np.asarray(recorded[v][:, mine], dtype=np.float32) for v in record.traces
                    },
                )
    s = arrays["serotonin"]
    serotonin = {
        v: np.asarray(s[v], dtype=np.float64).T / factor
        for v, (_, factor) in SEROTONIN_VARIABLES.items()
    }
    synapses = {
        name: _synapse_record(name, rec, *_first_cells(layout, name))
        for name, rec in arrays["synapses"].items()
    }
    lfp_time, lfp = _lfp_sums(arrays.get("lfp", {}), len(layout.regions))
    return RunData(
        synapses=synapses,
        duration=float(stop - start),
        spikes=spikes,
        traces=traces,
        serotonin_time=np.asarray(s["t"], dtype=np.float64),
        regions=list(layout.regions),
        serotonin=serotonin,
        rate_bin=float(record.rate_bin / b2.second),
        lfp_time=lfp_time,
        lfp=lfp,
    )


def _lfp_sums(
    per_group: dict[str, dict[str, np.ndarray]], n_regions: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The LFP sums of every group added up by region: ``current -> (region, time)``."""
    if not per_group:
        return np.zeros(0), {}
    time = np.asarray(next(iter(per_group.values()))["t"], dtype=np.float64)
    total = {v: np.zeros((n_regions, len(time))) for v in LFP_CURRENTS}
    for recorded in per_group.values():
        for v in LFP_CURRENTS:
            total[v] += np.asarray(recorded[v], dtype=np.float64).T
    return time, total


def _first_cells(layout: Layout, projection: str) -> tuple[int, int]:
    """Group index of the first cell of a projection's source and of its target population."""
    spec = PROJECTIONS[projection]
    return layout.placements[spec.source][1], layout.placements[spec.target][1]


def _synapse_record(
    name: str, recorded: dict[str, np.ndarray], source_start: int = 0, target_start: int = 0
) -> SynapseRecord:
    """The recorded synapses of a projection: its weight statistics from the per-cell weight
    sums (:func:`_weight_sums_monitor`), the mean and s.d. over the present synapses; ``pre``/
    ``post`` become cell indices in the source and target populations (the binary records them
    in the NeuronGroups)."""
    pooled = "present_final" in recorded
    sums = weight_sums(name, pooled)
    w_sum = np.asarray(recorded[sums["w"]], dtype=np.float64).sum(axis=1)  # over target cells
    w2_sum = np.asarray(recorded[sums["w2"]], dtype=np.float64).sum(axis=1)
    pre = (np.asarray(recorded["pre"], dtype=np.int64) - source_start).astype(np.int32)
    if pooled:
        n_present = np.asarray(recorded[sums["n"]], dtype=np.float64).sum(axis=1)
    else:  # every synapse counts (a silenced one with its weight 0)
        n_present = np.full(len(w_sum), float(len(pre)))
    with np.errstate(invalid="ignore", divide="ignore"):
        w_mean = w_sum / n_present
        w_std = np.sqrt(np.maximum(w2_sum / n_present - w_mean**2, 0))
    return SynapseRecord(
        time=np.asarray(recorded["t"], dtype=np.float64),
        n_present=n_present,
        pool_size=len(pre),
        w_mean=w_mean,
        w_std=w_std,
        pre=pre,
        post=(np.asarray(recorded["post"], dtype=np.int64) - target_start).astype(np.int32),
        w_final=np.asarray(recorded["w_final"], dtype=np.float64),
        present_final=np.asarray(recorded["present_final"]) if pooled else np.ones(len(pre)),
    )
