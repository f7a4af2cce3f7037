"""Interventions and traits: documented, parameterised changes of the circuit over time.

A scenario declares them in TOML::

    [[interventions]]
    kind = "ssri"            # one of KINDS
    start = "2 s"            # default: the run's start
    stop = "10 s"            # default: the run's end
    occupancy = 0.8          # the kind's settings (`depnet interventions` lists them)

    [traits]
    bdnf_val66met = "met/met"

Each kind lives in one module (:mod:`.drugs`, :mod:`.stress`, :mod:`.stimulation`,
:mod:`.traits`); :mod:`depnet.scenarios.schedule` turns a scenario's interventions into the
variable settings of each stretch of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import brian2 as b2

from depnet.quantities import QuantityError, format_quantity, parse_quantity, same_dimensions
from depnet.scenarios.interventions import drugs, stimulation, stress, traits
from depnet.scenarios.interventions.base import (
    Block,
    Effect,
    Intervention,
    Kind,
    Window,
    check_settings,
)

KINDS: dict[str, Kind] = {k.name: k for m in (drugs, stress, stimulation) for k in m.KINDS}
TRAITS: dict[str, Kind] = {k.name: k for k in traits.KINDS}

__all__ = [
    "KINDS",
    "TRAITS",
    "Block",
    "Effect",
    "Intervention",
    "Kind",
    "Window",
    "parse_intervention",
    "parse_trait",
]


def _time(raw: Any, key: str) -> b2.Quantity:
    try:
        value = parse_quantity(raw) if isinstance(raw, str) else None
    except QuantityError as err:
        raise ValueError(f"{key}: {err}") from None
    if value is None or not same_dimensions(value, b2.second):
        raise ValueError(f"{key}: expected a time such as '2 s', got {raw!r}")
    return value


def parse_intervention(table: Any) -> Intervention:
    """Validate one ``[[interventions]]`` table (ValueError with a one-line message)."""
    if not isinstance(table, Mapping):
        raise ValueError("must be a table with a kind")
    if "kind" not in table:
        raise ValueError(f"kind: required; choose from {', '.join(KINDS)}")
    name = table["kind"]
    if name not in KINDS:
        hint = " (a trait: declare it under [traits])" if name in TRAITS else ""
        raise ValueError(f"kind: unknown intervention {name!r}{hint}; known: {', '.join(KINDS)}")
    kind = KINDS[name]
    start = _time(table.get("start", "0 s"), "start")
    stop = None if table.get("stop") is None else _time(table["stop"], "stop")
    if start < 0 * b2.second:
        raise ValueError("start: must not be negative")
    if stop is not None and not stop > start:
        raise ValueError(f"stop: must come after start ({format_quantity(start)})")
    rest = {k: v for k, v in table.items() if k not in ("kind", "start", "stop")}
    return Intervention(kind, start, stop, check_settings(kind, rest))


def parse_trait(name: str, value: Any) -> Intervention:
    """Validate one entry of ``[traits]`` (``bdnf_val66met = "met/met"``)."""
    if name not in TRAITS:
        raise ValueError(f"{name}: unknown trait; known: {', '.join(TRAITS)}")
    kind = TRAITS[name]
    (setting,) = kind.choices
    try:
        settings = check_settings(kind, {setting: value})
    except ValueError as err:
        raise ValueError(f"{name}: {str(err).removeprefix(setting + ': ')}") from None
    return Intervention(kind, 0 * b2.second, None, settings)


def trait_value(trait: Intervention) -> str:
    """The single choice a trait was given (``"met/met"``)."""
    (setting,) = trait.kind.choices
    return trait.settings[setting]


def overrides(items: list[Intervention]) -> dict[str, float]:
    """Parameter factors that traits apply before the build, multiplied where two meet
    (interventions change nothing here: they reach the network as a schedule)."""
    factors: dict[str, float] = {}
    for item in items:
        for path, factor in traits.trait_overrides(item.kind.name, item.settings).items():
            factors[path] = factors.get(path, 1.0) * factor
    return factors
