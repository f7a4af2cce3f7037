"""From a scenario's interventions to what each stretch of the run sets in the built circuit.

The run is cut at every start and stop of an intervention's blocks into epochs; at the start of
each epoch every variable that any intervention touches is set to its base value combined with
the effects active in that epoch (so a variable returns to its base when its block ends). In
standalone mode these settings become a few lines of the generated ``main`` between runs: every
scenario of one structure shares the compiled code objects.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import brian2 as b2

from depnet.circuits.build import Circuit
from depnet.circuits.neuron import DERIVED_SOURCES, INTERVENABLE
from depnet.circuits.stimulation import CHANNELS
from depnet.scenarios.interventions import Block, Effect, Intervention

Value = b2.Quantity | float


@dataclass(frozen=True)
class Slot:
    """One settable place: a variable of a Brian2 object, whole or a range of cells."""

    owner: object
    variable: str
    rows: slice | None = None

    @property
    def key(self) -> tuple:
        rows = self.rows
        span = (rows.start, rows.stop) if isinstance(rows, slice) else rows
        return (self.owner.name, self.variable, span)

    def assign(self, value: Value) -> None:
        if self.rows is None:
            setattr(self.owner, self.variable, value)
        else:  # a range of cells
            getattr(self.owner, self.variable)[self.rows] = value


@dataclass
class Epoch:
    """A stretch of the run and the values its start sets."""

    start: b2.Quantity
    stop: b2.Quantity
    settings: list[tuple[Slot, Value]] = field(default_factory=list)

    @property
    def duration(self) -> b2.Quantity:
        return self.stop - self.start

    def apply(self) -> None:
        for slot, value in self.settings:
            slot.assign(value)


_STIMULATOR_BASE = {"enabled": 0.0, "start_step": 0, "phase_steps": 0}


def _slots(effect: Effect, circuit: Circuit, values: Mapping[str, Value]):
    """The places an effect acts on, each with its base value."""
    target, var = effect.target, effect.variable
    if target == "serotonin":
        yield Slot(circuit.compartments, var), values[f"serotonin.{var}"]
    elif target.startswith("stimulator."):
        channel = target.split(".", 1)[1]
        if channel not in CHANNELS:
            raise ValueError(f"no stimulator channel {channel!r} (channels: {', '.join(CHANNELS)})")
        yield Slot(circuit.stimulator[channel], var), _STIMULATOR_BASE.get(var, 1)
    elif target == "structural" or target.startswith("structural."):
        pattern = target.partition(".")[2] or "*"
        for population, p in circuit.placements.items():
            path = f"plasticity.{population}.{var}"
            if (
                path in values
                and p.group.name == population
                and fnmatch.fnmatch(population, pattern)
            ):
                yield Slot(p.group, var), values[path]
    elif target == "plastic":
        for name, synapses in circuit.plastic.items():
            if f"plasticity.{name}.{var}" in values:
                yield Slot(synapses, var), values[f"plasticity.{name}.{var}"]
    else:
        if var in DERIVED_SOURCES:
            # per-cell constants computed from it at build time would go stale
            raise ValueError(
                f"{var} on {target}: interventions cannot change a parameter that per-cell "
                "constants are derived from at build (see depnet.circuits.neuron.DERIVED)"
            )
        for population in fnmatch.filter(circuit.populations, target):
            p = circuit.placements[population]
            first, last = effect.cells
            rows = slice(p.start + round(first * p.n), p.start + round(last * p.n))
            yield Slot(p.group, var, rows), _cell_base(population, var, values)


def _cell_base(population: str, var: str, values: Mapping[str, Value]) -> Value:
    if var == "tau_ampa":
        return values["synaptic.tau_ampa"]
    if var in INTERVENABLE:
        return 0.0 if INTERVENABLE[var] == "1" else 0.0 * getattr(b2, INTERVENABLE[var])
    return values[f"{population}.{var}"]


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


def blocks_of(items: Iterable[Intervention], duration: b2.Quantity, dt: b2.Quantity) -> list[Block]:
    """Every block of the interventions and traits, clipped to the run."""
    out = []
    for item in items:
        for block in item.kind.blocks(item.settings, item.window(duration, dt)):
            stop = min(block.stop, duration)
            if stop > block.start:
                out.append(Block(block.start, stop, block.effects))
    return out


def epochs(
    items: Iterable[Intervention],
    circuit: Circuit,
    values: Mapping[str, Value],
    duration: b2.Quantity,
    dt: b2.Quantity,
) -> tuple[list[Epoch], list[str]]:
    """The run's epochs with what each sets, and warnings for effects that found nothing.

    A warning names an intervention whose effect has nothing to act on in this circuit (a
    density effect without structural plasticity, say): the run goes on without it, and the
    warning is printed and stored with the run.
    """
    blocks = blocks_of(items, duration, dt)
    cuts = sorted({0.0, float(duration)} | {float(t) for b in blocks for t in (b.start, b.stop)})
    slots: dict[tuple, tuple[Slot, Value]] = {}
    found: dict[int, list[tuple]] = {}  # by id: effects hold unhashable quantities
    warnings = []
    reached: dict[tuple[str, str], bool] = {}  # (target family, variable) -> acted on anything
    for block in blocks:
        for effect in block.effects:
            keys = []
            for slot, base in _slots(effect, circuit, values):
                slots.setdefault(slot.key, (slot, base))
                keys.append(slot.key)
            found[id(effect)] = keys
            family = (effect.target.split(".")[0], effect.variable)
            reached[family] = reached.get(family, False) or bool(keys)
    for (target, variable), hit in reached.items():
        if not hit:
            warnings.append(f"{variable} on {target}: nothing to act on in this circuit")
    result = []
    for t0, t1 in zip(cuts[:-1], cuts[1:], strict=True):
        active = [e for b in blocks if float(b.start) <= t0 and float(b.stop) >= t1
                  for e in b.effects]  # fmt: skip
        per_slot: dict[tuple, list[Effect]] = {key: [] for key in slots}
        for effect in active:
            for key in found[id(effect)]:
                per_slot[key].append(effect)
        settings = [(slot, _combine(base, per_slot[key])) for key, (slot, base) in slots.items()]
        result.append(Epoch(t0 * b2.second, t1 * b2.second, settings))
    return result, sorted(set(warnings))
