"""What an intervention is: a named, parameterised change of model variables over a time window.

An intervention kind (:class:`Kind`) declares its parameters as a table of
:class:`~depnet.quantities.Parameter` (value with unit, source, range), the regions it needs,
and a function from its settings to :class:`Block` s: time windows in each of which a set of
:class:`Effect` s holds. An effect sets, adds to or scales one variable of the built circuit:

``serotonin``
    a shared variable of the [5-HT] compartments (``ssri_occupancy``, ``agonist_5ht1a``, the
    slow clock's ``time_compression``);
``<population>``
    a per-cell variable of a population (``dlpfc_exc``: ``I_stim``, ``nmda_block``,
    ``stim_gain_a``, ``tau_ampa``, or a cell parameter such as ``g_girk_max``), optionally of a
    fraction of its cells;
``structural`` / ``structural.<pattern>``
    a shared variable of every population that carries structural plasticity (``stress``,
    ``bdnf_external``, ``bdnf_secretion``, ``mtor_block``, the slow clock's
    ``time_compression``), or of those matching the pattern (``structural.ca*``);
``plastic``
    a shared variable of every plastic projection that has it (``eta``, ``g_bdnf``);
``stimulator.a`` / ``stimulator.b``
    a pulse-train channel (:mod:`depnet.circuits.stimulation`).

Every effect acts on a variable that exists in every build, so scenarios that differ only in
their interventions share one compiled network. Effects of several interventions on one
variable compose: ``value = base * product(scales) + sum(adds)``, unless one ``set`` s it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import brian2 as b2

from depnet.circuits.neuron import receptor_interval
from depnet.circuits.protocol import CLOCK
from depnet.quantities import (
    DAY,
    DEFAULT_COMPRESSED_DAY,
    Parameter,
    QuantityError,
    format_quantity,
    parse_quantity,
)

Value = b2.Quantity | float


@dataclass(frozen=True)
class Effect:
    """One change of one circuit variable while a block lasts."""

    target: str
    variable: str
    value: Value
    op: Literal["set", "add", "scale"] = "set"
    #: Share of the population's cells affected, as (first, last) fractions of its index range.
    cells: tuple[float, float] = (0.0, 1.0)


@dataclass(frozen=True)
class Block:
    """Effects that hold from ``start`` to ``stop`` (simulated time)."""

    start: b2.Quantity
    stop: b2.Quantity
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class Window:
    """Where an intervention sits in its run: its window, the run's length and time step, and
    the scenario's slow clock (``day``: the simulated time that stands for one day), on which a
    course counts its days and a drug's hours pass."""

    start: b2.Quantity
    stop: b2.Quantity
    duration: b2.Quantity
    dt: b2.Quantity
    day: b2.Quantity = field(default_factory=lambda: DEFAULT_COMPRESSED_DAY)

    def slow(self, span: b2.Quantity) -> b2.Quantity:
        """The simulated time that a biological ``span`` (``2 * HOUR``) lasts on the slow clock,
        rounded to the protocol's grid (:func:`~depnet.circuits.neuron.receptor_interval`), on
        which every block starts and stops."""
        grid = receptor_interval(self.dt)
        return round(float(span * (self.day / DAY) / grid)) * grid


Settings = Mapping[str, Any]


@dataclass(frozen=True)
class Kind:
    """An intervention kind: its parameters, the regions it acts on and its blocks."""

    name: str
    summary: str
    parameters: dict[str, Parameter]
    blocks: Callable[[Settings, Window], list[Block]]
    #: Regions that must be built for the intervention to act (empty: any circuit).
    regions: Callable[[Settings], tuple[str, ...]] = lambda settings: ()
    #: Choices for string-valued settings (``{"pattern": ("train", "itbs")}``).
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Whether it is a trait (a property of the subject, present for the whole run).
    trait: bool = False
    #: Whether it drives the stimulator (at most one at a time may).
    stimulates: bool = False
    #: Checks of settings against each other: called with the settings (defaults filled in)
    #: and the keys the scenario gave; raises ValueError with a one-line message.
    check: Callable[[Settings, frozenset[str]], None] | None = None
    #: Further lines ``depnet interventions`` shows (a drug table with its sources).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Intervention:
    """A validated intervention of a scenario: its kind, window and settings."""

    kind: Kind
    start: b2.Quantity
    stop: b2.Quantity | None
    settings: dict[str, Any]

    def window(
        self,
        duration: b2.Quantity,
        dt: b2.Quantity,
        compressed_day: b2.Quantity,
    ) -> Window:
        stop = duration if self.stop is None else self.stop
        return Window(self.start, stop, duration, dt, compressed_day)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: quantities as strings that load back."""
        data: dict[str, Any] = {
            "kind": self.kind.name,
            "start": format_quantity(self.start),
            "stop": None if self.stop is None else format_quantity(self.stop),
        }
        for key, value in self.settings.items():
            data[key] = value if isinstance(value, str) else format_quantity(value)
        return data


def check_settings(kind: Kind, table: Mapping[str, Any]) -> dict[str, Any]:
    """A kind's settings with defaults filled in; unknown keys and bad values raise ValueError."""
    settings: dict[str, Any] = {}
    for key, raw in table.items():
        if key in kind.choices:
            if raw not in kind.choices[key]:
                raise ValueError(f"{key}: choose from {', '.join(kind.choices[key])}, got {raw!r}")
            settings[key] = raw
            continue
        if key not in kind.parameters:
            known = ", ".join([*kind.choices, *kind.parameters]) or "none"
            raise ValueError(f"{key}: unknown setting of {kind.name} (known: {known})")
        if isinstance(raw, bool):
            raise ValueError(f"{key}: expected a number or a quantity, got {raw!r}")
        try:
            settings[key] = kind.parameters[key].check(parse_quantity(raw))
        except QuantityError as err:
            raise ValueError(f"{key}: {err}") from None
    for key, options in kind.choices.items():
        settings.setdefault(key, options[0])
    for key, p in kind.parameters.items():
        settings.setdefault(key, p.value)
    if kind.check is not None:
        kind.check(settings, frozenset(table))
    return settings


def hold(target: str, variable: str, setting: str, op: str = "set"):
    """Blocks of a kind that holds one setting on one variable for its whole window."""

    def blocks(settings: Settings, window: Window) -> list[Block]:
        effect = Effect(target, variable, settings[setting], op=op)
        return [Block(window.start, window.stop, (effect,))]

    return blocks


def session_clock(
    starts: list[b2.Quantity],
    simulated: b2.Quantity,
    clinical: b2.Quantity,
    period: b2.Quantity,
    w: Window,
    setting: str,
) -> list[Block]:
    """The slow clock of a treatment course: each session runs it at its clinical length.

    A session keeps its real pulse timing for ``simulated`` (its sample of the clinical session)
    and stands for the whole session, ``clinical`` of biological time: while it lasts the slow
    clock runs at ``clinical / simulated`` biological seconds per simulated second, so that the
    calcium and BDNF traces, structural change, receptor desensitization and the SSRI level see
    the session's spikes as ``clinical`` of firing (at the scenario's rate they would count as
    ``simulated / compressed_day`` days of it). The rest of each ``period`` (from one session's
    start to the next's) runs the clock at the rate that gives the period as many days as the
    scenario's rate would, so the days of a course keep their place on the scenario's calendar:
    exact at every period's end, behind (or, on a clock slower than the session's, ahead) by at
    most the difference between ``simulated`` at the scenario's rate and ``clinical`` within
    it. The last period's rest runs on after the window. A session cut short by the window's
    end stands for the same share of the clinical one. The blocks' edges are the sessions'
    rounded to the protocol's grid (:func:`~depnet.circuits.neuron.receptor_interval`), on which
    a pulse train's sessions need not start. Interventions whose windows are set in simulated
    time at the scenario's rate (ketamine's block) do not follow this clock. (The engine checks
    that a structural update in the faster rest still spans at most
    :data:`~depnet.spec.MAX_DAYS_PER_UPDATE` days.)

    Raises
    ------
    ValueError
        ``setting: ...`` (one line) when a session is not shorter than its period, or its
        clinical length does not fit in the biological time of one period.
    """
    grid = receptor_interval(w.dt)

    def on_grid(t: b2.Quantity) -> b2.Quantity:
        return round(float(t / grid)) * grid

    rate = float(DAY / w.day)  # the scenario's slow clock, biological s per simulated s
    blocks = []
    for start in starts:
        length = min(simulated, w.stop - start)
        biological = float(clinical / b2.second) * float(length / simulated)
        first, last, end = on_grid(start), on_grid(start + length), on_grid(start + period)
        sampled, rest = float((last - first) / b2.second), float((end - last) / b2.second)
        span = float((end - first) / b2.second) * rate  # biological seconds of the period
        if sampled <= 0 or rest <= 0 or biological >= span:
            raise ValueError(
                f"{setting}: a session of {format_quantity(simulated)} standing for "
                f"{format_quantity(clinical)} does not fit its period of "
                f"{format_quantity(period)} on the slow clock: it must be shorter than the "
                "period and stand for less than the period's biological time"
            )
        blocks.append(Block(first, last, _clock_effects(biological / sampled)))
        blocks.append(Block(last, end, _clock_effects((span - biological) / rest)))
    return blocks


def _clock_effects(rate: float) -> tuple[Effect, ...]:
    return tuple(Effect(target, CLOCK, rate) for target in ("structural", "serotonin"))


def steps(duration: b2.Quantity, dt: b2.Quantity) -> int:
    """Whole time steps in ``duration`` (at least one)."""
    return max(1, int(round(float(duration / dt))))
