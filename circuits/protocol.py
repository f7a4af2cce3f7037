"""Protocols as data: what interventions change during a run lives in tables of the network.

A scenario's interventions (drugs, stress, stimulation) change some variables of the circuit
in time windows. Rather than assignments between runs, which would make every schedule new
generated code, every build holds fixed-shape tables that the run fills with values
(:mod:`depnet.scenarios.schedule` computes them, the engine passes them through Brian2's
``run_args``):

- the run is cut into at most :data:`MAX_EPOCHS` **epochs**, at every start and stop of an
  intervention's effects; ``protocol_starts`` (a TimedArray over the epoch number) holds their
  start times;
- each **protocol variable** (:data:`PER_CELL`, :data:`SEROTONIN`, :data:`STIMULATOR`,
  :data:`STRUCTURAL`, :data:`PLASTIC`) takes in each epoch a value from its table, a 2-D
  TimedArray ``protocol_<owner>_<variable>`` of shape ``(MAX_EPOCHS, rows)``;
- the cells of a group that every epoch treats alike share a table row (a **cell class**, at
  most :data:`MAX_CELL_CLASSES` per group); each cell's row is its ``protocol_row``. Shared
  variables and one-row groups read row 0.

An owner's protocol update (:func:`update_code`) finds the current epoch from ``t`` (into its
shared :data:`EPOCH`, which its equations declare) and sets its protocol variables from their
tables. It runs at the start of a time step, before anything reads
them: inside the receptor update of the neuron groups (every
:func:`depnet.circuits.neuron.receptor_interval`, 1 ms), the serotonin binding and the
stimulator's pulse test (every step), and in a run_regularly of its own for plastic projections
(every receptor interval). Epoch boundaries therefore lie on the receptor interval's grid
(:func:`depnet.scenarios.schedule.schedule` checks it). A variable that no intervention changes
holds its base value in every epoch: healthy and treated scenarios run the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import brian2 as b2
import numpy as np

#: Epochs a build can hold (a scenario that needs more is refused with one line): a treatment
#: course takes two a session, so a run holds about 30 sessions.
MAX_EPOCHS = 64
#: Cell classes per group: distinct sequences of per-cell protocol values over the epochs.
MAX_CELL_CLASSES = 16
#: The TimedArray holding each epoch's start time (s); unused epochs start at :data:`NEVER`.
STARTS = "protocol_starts"
#: Start of an unused epoch (s): later than any run.
NEVER = 1e15
#: Per-cell variable holding a cell's row in its group's tables.
ROW = "protocol_row"
#: Shared variable holding the current epoch (Brian2 treats a temporary as per cell); a
#: Synapses object's (:data:`SYNAPTIC_EPOCH`) must not shadow its groups' one.
EPOCH = "protocol_epoch"
SYNAPTIC_EPOCH = "protocol_epoch_syn"


def epoch_declaration(epoch: str = EPOCH) -> str:
    """What an owner of protocol variables adds to its equations."""
    return f"{epoch} : integer (shared)"


#: Per-cell protocol variables of the neuron groups and their units: a polarizing current (tDCS;
#: the loss of raphe excitability under stress), the share of NMDA channels blocked (ketamine),
#: the conductance kick per pulse of stimulator channel a or b (rTMS, DBS, PAS) and the AMPA decay
#: time (slower glutamate clearance in sgACC, Ramirez-Mahaluf et al. 2017). Outside
#: interventions they are 0, and the AMPA decay the synaptic table's ``tau_ampa``.
PER_CELL: dict[str, str] = {
    "I_stim": "amp",
    "nmda_block": "1",
    "stim_gain_a": "siemens",
    "stim_gain_b": "siemens",
    "tau_ampa": "second",
}
#: The slow clock's rate, biological seconds per simulated second (``1 day / compressed_day``
#: outside treatment sessions): a shared protocol variable of every owner with slow processes,
#: so that a session can run the slow clock at its clinical length
#: (:func:`depnet.scenarios.interventions.base.session_clock`).
CLOCK = "time_compression"
#: Shared protocol variables of the serotonin compartments (drug levels; an SSRI given by dose
#: sets the level its dosing sustains and its elimination rate) and the slow clock.
SEROTONIN: dict[str, str] = {
    "ssri_occupancy": "1",
    "ssri_steady_load": "1",
    "ssri_elimination": "hertz",
    "agonist_5ht1a": "mmolar",
    "antagonist_5ht1a": "mmolar",
    CLOCK: "1",
}
#: Protocol variables of a stimulator channel (a one-row group; integers but ``enabled``).
STIMULATOR: dict[str, str] = {
    "enabled": "1",
    "start_step": "integer",
    "phase_steps": "integer",
    "period_steps": "integer",
    "burst_pulses": "integer",
    "burst_period_steps": "integer",
    "train_steps": "integer",
    "train_period_steps": "integer",
}
#: Shared protocol variables of a population that carries structural plasticity (BDNF secreted
#: into its trace during a tDCS session, ``bdnf_secretion``, per biological second) and the slow
#: clock.
STRUCTURAL: dict[str, str] = {
    "stress": "1",
    "bdnf_external": "1",
    "mtor_block": "1",
    "bdnf_secretion": "hertz",
    CLOCK: "1",
}
#: Shared protocol variables of a plastic projection (those its rules declare).
PLASTIC: dict[str, str] = {"eta": "1", "g_bdnf": "1"}


@dataclass(frozen=True)
class Slot:
    """One protocol variable of one object: its table has ``rows`` columns."""

    owner: str
    variable: str
    unit: str  # a Brian2 unit name, "1" or "integer"
    rows: int  # 1 (shared variable, one-row group) or MAX_CELL_CLASSES (per cell)

    @property
    def table(self) -> str:
        """The name of the slot's TimedArray."""
        return table_name(self.owner, self.variable)

    @property
    def per_cell(self) -> bool:
        return self.rows > 1


def table_name(owner: str, variable: str) -> str:
    """``protocol_<owner>_<variable>``: the TimedArray of a protocol variable."""
    return f"protocol_{owner}_{variable}"


def _brian_unit(unit: str) -> b2.Unit | float:
    return 1.0 if unit in ("1", "integer") else getattr(b2, unit)


def make_starts() -> b2.TimedArray:
    """The epochs' start times, every epoch unused (the run fills them)."""
    return b2.TimedArray(np.full(MAX_EPOCHS, NEVER) * b2.second, dt=1 * b2.second, name=STARTS)


def make_table(slot: Slot) -> b2.TimedArray:
    """A slot's table, all zeros (the run fills it)."""
    values = np.zeros((MAX_EPOCHS, slot.rows)) * _brian_unit(slot.unit)
    return b2.TimedArray(values, dt=1 * b2.second, name=slot.table)


def epoch_statements(epoch: str = EPOCH) -> list[str]:
    """Statements that set the shared ``epoch`` to the current epoch (0 .. MAX_EPOCHS - 1) from
    ``t``: the number of later epochs begun.

    The starts are in order (unused ones at :data:`NEVER`), so a binary search finds it: one
    table lookup per halving, log2(MAX_EPOCHS) in all, where counting every start would take
    MAX_EPOCHS - 1 lookups at every update of every owner. Epoch 0 starts with the run; the
    table holds each start shifted half a time step early
    (:func:`depnet.scenarios.schedule.schedule`), so that ``t`` on any clock whose ticks include
    the start compares safely.
    """
    if MAX_EPOCHS & (MAX_EPOCHS - 1):
        raise ValueError(f"MAX_EPOCHS must be a power of two, got {MAX_EPOCHS}")
    lines = [f"{epoch} = 0"]
    step = MAX_EPOCHS // 2
    while step:
        lines.append(f"{epoch} = {epoch} + {step} * int(t > {STARTS}(({epoch} + {step}) * second))")
        step //= 2
    return lines


def update_code(slots: Iterable[Slot], epoch: str = EPOCH) -> str:
    """Statements that set each slot's variable from its table for the current epoch (held in
    the owner's shared variable ``epoch``)."""
    lines = epoch_statements(epoch)
    for slot in sorted(slots, key=lambda s: s.per_cell):  # Brian2: shared writes come first
        row = ROW if slot.per_cell else "0"
        value = f"{slot.table}({epoch} * second, {row})"
        if slot.unit == "integer":
            value = f"int({value})"
        lines.append(f"{slot.variable} = {value}")
    return "\n".join(lines)


#: Stimulator channel values outside any stimulation: off, and a valid train (no modulo by 0).
STIMULATOR_BASE: dict[str, float] = {"enabled": 0.0, "start_step": 0, "phase_steps": 0} | {
    name: 1 for name in STIMULATOR if name not in ("enabled", "start_step", "phase_steps")
}


def base_value(
    slot: Slot, values: Mapping[str, b2.Quantity | float], time_compression: float
) -> b2.Quantity | float:
    """What a protocol variable holds where no intervention acts, from the parameter values and
    the scenario's slow clock (``time_compression``, biological seconds per simulated second).

    Per-cell variables are off (0) but the AMPA decay, the synaptic table's ``tau_ampa``; drug
    levels, structural and plastic variables are their parameters; a stimulator channel is off;
    the slow clock runs at the scenario's rate.
    """
    if slot.variable == CLOCK:
        return float(time_compression)
    if slot.variable in PER_CELL:
        if slot.variable == "tau_ampa":
            return values["synaptic.tau_ampa"]
        return 0.0 * _brian_unit(PER_CELL[slot.variable])
    if slot.variable in SEROTONIN and slot.owner == "serotonin":
        return values[f"serotonin.{slot.variable}"]
    if slot.variable in STIMULATOR:
        return STIMULATOR_BASE[slot.variable]
    return values[f"plasticity.{slot.owner}.{slot.variable}"]


class Tables:
    """The protocol tables of one circuit: its slots and their TimedArrays, by owner.

    The circuit's builders register the protocol variables of each object they make
    (:meth:`add`) and put :meth:`namespace` into that object's namespace, so that its update
    code finds the tables.
    """

    def __init__(self) -> None:
        self.starts = make_starts()
        self.slots: list[Slot] = []
        self.arrays: dict[str, b2.TimedArray] = {STARTS: self.starts}

    def add(self, owner: str, variables: Mapping[str, str], *, per_cell: bool) -> list[Slot]:
        """Register protocol variables of ``owner``; returns their slots."""
        rows = MAX_CELL_CLASSES if per_cell else 1
        added = [Slot(owner, name, unit, rows) for name, unit in variables.items()]
        for slot in added:
            self.slots.append(slot)
            self.arrays[slot.table] = make_table(slot)
        return added

    def fill_base(self, values: Mapping[str, b2.Quantity | float], time_compression: float) -> None:
        """Every table at its :func:`base_value` in every epoch, epoch 0 alone in use: the
        circuit without interventions (what a run's schedule replaces)."""
        self.starts.values[:] = NEVER
        self.starts.values[0] = 0.0
        for slot in self.slots:
            value = base_value(slot, values, time_compression)
            self.arrays[slot.table].values[:] = float(value)

    def namespace(self, slots: Iterable[Slot]) -> dict[str, b2.TimedArray]:
        """What update code of ``slots`` refers to: their tables and the epoch starts."""
        return {STARTS: self.starts} | {s.table: self.arrays[s.table] for s in slots}
