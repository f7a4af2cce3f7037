"""From a scenario's interventions and traits to the values of its network's protocol tables.

The run is cut into **epochs** at every start and stop of an intervention's (or trait's) blocks;
in each epoch every protocol variable (:mod:`depnet.circuits.protocol`) holds its base value
combined with the effects active then, so a variable returns to its base when its block ends.
:func:`schedule` computes those values as plain arrays, one table per protocol variable: data
that the run passes to the compiled network, which never changes with the scenario.

Effects compose as ``value = base * product(scales) + sum(adds)``, unless one ``set`` s it.
Interventions act on protocol variables only; traits, present for the whole run, also change
parameters (:func:`depnet.scenarios.interventions.overrides`), which reach the network as its
initial values.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import brian2 as b2
import numpy as np

from depnet.circuits import protocol
from depnet.circuits.build import Layout
from depnet.circuits.neuron import receptor_interval
from depnet.errors import ScenarioError
from depnet.quantities import time_compression
from depnet.scenarios.interventions import Block, Effect, Intervention

Value = b2.Quantity | float

#: Protocol variables by the effect target that addresses them (a target not listed is a
#: population name or pattern: its per-cell variables).
_TARGET_VARIABLES = {
    "serotonin": protocol.SEROTONIN,
    "stimulator": protocol.STIMULATOR,
    "structural": protocol.STRUCTURAL,
    "plastic": protocol.PLASTIC,
}


@dataclass(frozen=True)
class Epoch:
    """A stretch of the run between two consecutive cuts (seconds)."""

    start: float
    stop: float


@dataclass
class Schedule:
    """What a run of one scenario puts into its network's protocol tables.

    Attributes
    ----------
    epochs
        The run's epochs, in order (at most :data:`~depnet.circuits.protocol.MAX_EPOCHS`).
    tables
        TimedArray name -> values in SI units, shape ``(MAX_EPOCHS, rows)``; ``protocol_starts``
        -> the epochs' start times (s), each half a time step early, unused ones
        :data:`~depnet.circuits.protocol.NEVER`.
    rows
        NeuronGroup name -> each cell's row in the group's per-cell tables (its cell class).
    warnings
        Effects that found nothing to act on in this circuit (the run goes on without them).
    """

    epochs: list[Epoch]
    tables: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)


def blocks_of(
    items: Iterable[Intervention],
    duration: b2.Quantity,
    dt: b2.Quantity,
    compressed_day: b2.Quantity,
) -> list[Block]:
    """Every block of the interventions and traits, clipped to the run; ``compressed_day`` is the
    scenario's slow clock, on which treatment courses count their days."""
    out = []
    for item in items:
        for block in item.kind.blocks(item.settings, item.window(duration, dt, compressed_day)):
            stop = min(block.stop, duration)
            if stop > block.start:
                out.append(Block(block.start, stop, block.effects))
    return out


def epoch_cuts(
    interventions: Sequence[Intervention],
    traits: Sequence[Intervention],
    duration: b2.Quantity,
    dt: b2.Quantity,
    compressed_day: b2.Quantity,
) -> list[float]:
    """The epochs' start times (s), checked against the protocol's bounds.

    Raises
    ------
    ScenarioError
        (its message without a file name: the caller adds it) when a block starts or stops off
        the protocol grid (:func:`~depnet.circuits.neuron.receptor_interval`), when an
        intervention acts on a variable that cannot change during a run, or when the run needs
        more than :data:`~depnet.circuits.protocol.MAX_EPOCHS` epochs.
    """
    grid = float(receptor_interval(dt) / b2.second)
    end = float(duration / b2.second)
    cuts = {0.0}
    for where, item in _labelled(interventions, traits):
        try:
            blocks = blocks_of([item], duration, dt, compressed_day)
        except ValueError as err:  # a setting that does not fit the run's clock
            raise ScenarioError(f"{where}.{err}") from None
        for block in blocks:
            for effect in block.effects:
                _check_variable(effect, where, item)
            for t in (float(block.start / b2.second), float(block.stop / b2.second)):
                if t >= end:
                    continue
                if abs(t / grid - round(t / grid)) > 1e-6:
                    raise ScenarioError(
                        f"{where}: {item.kind.name} starts or stops at {t:g} s, which is not a "
                        f"whole number of the protocol step ({grid * 1e3:g} ms)"
                    )
                cuts.add(round(t / grid) * grid)
    ordered = sorted(cuts)
    if len(ordered) > protocol.MAX_EPOCHS:
        raise ScenarioError(
            f"interventions: they cut the run into {len(ordered)} epochs; a build holds at most "
            f"{protocol.MAX_EPOCHS} (depnet.circuits.protocol.MAX_EPOCHS)"
        )
    return ordered


def _labelled(interventions: Sequence[Intervention], traits: Sequence[Intervention]):
    for i, item in enumerate(interventions):
        yield f"interventions.{i}", item
    for item in traits:
        yield f"traits.{item.kind.name}", item


def _check_variable(effect: Effect, where: str, item: Intervention) -> None:
    """An effect must act on a protocol variable: nothing else can change during a run."""
    family = effect.target.split(".", 1)[0]
    allowed = _TARGET_VARIABLES.get(family, protocol.PER_CELL)
    if effect.variable not in allowed:
        raise ScenarioError(
            f"{where}: {item.kind.name} changes {effect.variable} on {effect.target}, which cannot "
            f"change during a run (protocol variables there: {', '.join(allowed)})"
        )


def schedule(
    interventions: Sequence[Intervention],
    traits: Sequence[Intervention],
    layout: Layout,
    values: Mapping[str, Value],
    duration: b2.Quantity,
    dt: b2.Quantity,
    compressed_day: b2.Quantity,
) -> Schedule:
    """The protocol tables of one run of a network laid out as ``layout``.

    Parameters
    ----------
    interventions, traits
        The scenario's (validated; see :func:`epoch_cuts` for what is refused).
    layout
        The network's :class:`~depnet.circuits.build.Layout`.
    values
        Every parameter value (what base values are taken from).
    duration, dt
        The run's length and time step.
    compressed_day
        The scenario's slow clock (``[scenario] compressed_day``).

    Raises
    ------
    ScenarioError
        See :func:`epoch_cuts`; and when a group's cells need more than
        :data:`~depnet.circuits.protocol.MAX_CELL_CLASSES` classes.
    """
    cuts = epoch_cuts(interventions, traits, duration, dt, compressed_day)
    clock = time_compression(compressed_day)
    end = float(duration / b2.second)
    epochs = [Epoch(a, b) for a, b in zip(cuts, [*cuts[1:], end], strict=True)]
    blocks = blocks_of([*interventions, *traits], duration, dt, compressed_day)
    slots = {(s.owner, s.variable): s for s in layout.slots}
    # every effect, with the slots it reaches (and the cells of a per-cell slot)
    reaches: list[tuple[Block, Effect, list[tuple[protocol.Slot, tuple[int, int] | None]]]] = []
    reached: dict[tuple[str, str], bool] = {}
    for block in blocks:
        for effect in block.effects:
            found = list(_targets(effect, layout, slots))
            reaches.append((block, effect, found))
            family = (effect.target.split(".")[0], effect.variable)
            reached[family] = reached.get(family, False) or bool(found)
    warnings = [f"{variable} on {target}: nothing to act on in this circuit"
                for (target, variable), hit in reached.items() if not hit]  # fmt: skip

    # each slot's effects, in the order of ``reaches`` (the order effects combine in), with
    # their blocks' bounds in plain seconds: ``active`` runs for every epoch and slot, and
    # Brian2's unit arithmetic there would cost more than the rest of the schedule
    by_slot: dict[protocol.Slot, list[tuple[float, float, Effect, tuple[int, int] | None]]] = {}
    for block, effect, found in reaches:
        start, stop = float(block.start / b2.second), float(block.stop / b2.second)
        for s, cells in found:
            by_slot.setdefault(s, []).append((start, stop, effect, cells))

    def active(epoch: Epoch, slot: protocol.Slot) -> list[tuple[Effect, tuple[int, int] | None]]:
        return [
            (effect, cells)
            for start, stop, effect, cells in by_slot.get(slot, ())
            if start <= epoch.start + 1e-12 and stop >= epoch.stop - 1e-12
        ]

    half_step = 0.5 * float(dt / b2.second)
    starts = np.full(protocol.MAX_EPOCHS, protocol.NEVER)
    starts[: len(epochs)] = [e.start - half_step if k else 0.0 for k, e in enumerate(epochs)]
    tables: dict[str, np.ndarray] = {protocol.STARTS: starts}
    rows: dict[str, np.ndarray] = {}
    by_group: dict[str, list[protocol.Slot]] = {}
    for slot in layout.slots:
        if slot.per_cell:
            by_group.setdefault(slot.owner, []).append(slot)
            continue
        base = protocol.base_value(slot, values, clock)
        column = []
        for epoch in epochs:
            effects = [e for e, _ in active(epoch, slot)]
            if slot.variable == protocol.CLOCK and len(effects) > 1:
                raise ScenarioError(
                    f"interventions: two treatment courses run the slow clock at once "
                    f"({epoch.start:g}-{epoch.stop:g} s; a course runs it until the end of its "
                    "last session's period): start the later one after that"
                )
            column.append(_si(_combine(base, effects)))
        tables[slot.table] = _pad(np.array(column)[:, None])
    for group, group_slots in by_group.items():
        tables_of_group, rows[group] = _cell_classes(
            group, layout.groups[group], group_slots, epochs, active, values, clock
        )
        tables |= tables_of_group
    return Schedule(epochs, tables, rows, sorted(set(warnings)))


def _cell_classes(group, n, group_slots, epochs, active, values, clock):
    """Per-cell tables of one group and each cell's row: cells treated alike share a row."""
    edges = {0, n}
    for slot in group_slots:
        for epoch in epochs:
            for _, cells in active(epoch, slot):
                edges.update(cells or (0, n))
    bounds = sorted(edges)
    pieces = list(zip(bounds[:-1], bounds[1:], strict=True))
    # one value sequence (every slot, every epoch) per piece of the group
    signatures = []
    for first, _ in pieces:
        signature = []
        for slot in group_slots:
            base = protocol.base_value(slot, values, clock)
            for epoch in epochs:
                effects = [e for e, cells in active(epoch, slot)
                           if cells is None or cells[0] <= first < cells[1]]  # fmt: skip
                signature.append(_si(_combine(base, effects)))
        signatures.append(tuple(signature))
    classes = list(dict.fromkeys(signatures))
    if len(classes) > protocol.MAX_CELL_CLASSES:
        raise ScenarioError(
            f"interventions: they treat the cells of {group} in {len(classes)} different ways; a "
            f"build holds at most {protocol.MAX_CELL_CLASSES} "
            "(depnet.circuits.protocol.MAX_CELL_CLASSES)"
        )
    row_of_cell = np.zeros(n, dtype=np.int32)
    for (first, last), signature in zip(pieces, signatures, strict=True):
        row_of_cell[first:last] = classes.index(signature)
    tables = {}
    for k, slot in enumerate(group_slots):
        values_by_class = np.zeros((len(epochs), protocol.MAX_CELL_CLASSES))
        for c, signature in enumerate(classes):
            values_by_class[:, c] = signature[k * len(epochs) : (k + 1) * len(epochs)]
        values_by_class[:, len(classes) :] = values_by_class[:, :1]
        tables[slot.table] = _pad(values_by_class)
    return tables, row_of_cell


def _pad(per_epoch: np.ndarray) -> np.ndarray:
    """``(epochs, rows)`` values to the table's ``MAX_EPOCHS`` rows (the last one repeated)."""
    table = np.empty((protocol.MAX_EPOCHS, per_epoch.shape[1]))
    table[: len(per_epoch)] = per_epoch
    table[len(per_epoch) :] = per_epoch[-1]
    return table


def _targets(effect: Effect, layout: Layout, slots: Mapping[tuple[str, str], protocol.Slot]):
    """The slots an effect acts on, each with its rows in the group (None: all of it)."""
    target, var = effect.target, effect.variable
    if target == "serotonin":
        if ("serotonin", var) in slots:
            yield slots[("serotonin", var)], None
    elif target.startswith("stimulator."):
        owner = "stimulator_" + target.split(".", 1)[1]
        if (owner, var) in slots:
            yield slots[(owner, var)], None
    elif target == "structural" or target.startswith("structural."):
        pattern = target.partition(".")[2] or "*"
        for population in layout.placements:
            if fnmatch.fnmatch(population, pattern) and (population, var) in slots:
                yield slots[(population, var)], None
    elif target == "plastic":
        for name in layout.plastic:
            if (name, var) in slots:
                yield slots[(name, var)], None
    else:
        for population in fnmatch.filter(layout.populations, target):
            group, start, stop = layout.placements[population]
            if (group, var) not in slots:
                continue
            first, last = effect.cells
            n = stop - start
            yield slots[(group, var)], (start + round(first * n), start + round(last * n))


def _combine(base: Value, effects: Iterable[Effect]) -> Value:
    scale, add, fixed = 1.0, 0.0 * base, None
    for e in effects:
        if e.op == "set":
            fixed = e.value
        elif e.op == "scale":
            scale = scale * e.value
        else:
            add = add + e.value
    return fixed if fixed is not None else base * scale + add


def _si(value: Value) -> float:
    return float(np.asarray(value))
