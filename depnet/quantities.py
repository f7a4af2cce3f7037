"""Physical quantities written as strings ("0.1 ms", "65 nM") and model parameters with sources.

Scenario files and parameter tables write quantities the way Brian2 prints them. Parsing is
restricted to a number followed by a product/quotient of Brian2 unit names (with integer powers),
so a scenario file can never execute code.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import brian2
from brian2.units.allunits import all_units
from brian2.units.fundamentalunits import (
    DIMENSIONLESS,
    Quantity,
    Unit,
    get_dimensions,
    have_same_dimensions,
)

from depnet.observations import check_row_ids

_UNITS: dict[str, Unit] = {str(u): u for u in all_units}
_UNITS.update(
    {"nM": brian2.nM, "uM": brian2.uM, "mM": brian2.mM, "M": brian2.molar, "Hz": brian2.Hz}
)
#: Biological time spans, for rates per day and half-lives in hours.
MINUTE = 60 * brian2.second
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Spans as pharmacology and scenario files give them ("40 min", "2.5 h", "2 day").
_UNITS.update({"min": MINUTE, "h": HOUR, "day": DAY})
#: The slow clock's default: one simulated second stands for one day (``[scenario]
#: compressed_day``). Chosen: structural change, receptor desensitization and drug levels take
#: days to weeks (spine turnover, Holtmaat et al. 2005 Neuron 45:279; autoreceptor
#: desensitization over 3-21 days, Le Poul et al. 1995), seconds of spiking per day keep a course
#: of weeks within minutes of simulation.
DEFAULT_COMPRESSED_DAY = 1 * brian2.second


def time_compression(compressed_day: Quantity) -> float:
    """Biological seconds per simulated second on a slow clock whose day lasts ``compressed_day``
    of simulated time (``1 s`` -> 86400; ``86400 s`` -> 1, real time)."""
    return float(DAY / compressed_day)


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class QuantityError(ValueError):
    """A string that is not a number with a known unit."""


def _eval_unit(node: ast.AST) -> Quantity:
    if isinstance(node, ast.Name):
        if node.id not in _UNITS:
            raise QuantityError(f"unknown unit {node.id!r}")
        return _UNITS[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = _eval_unit(node.left), _eval_unit(node.right)
        return left * right if isinstance(node.op, ast.Mult) else left / right
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Pow)
        and isinstance(node.right, ast.Constant)
        and isinstance(node.right.value, int)
    ):
        return _eval_unit(node.left) ** node.right.value
    raise QuantityError("a unit must be unit names joined by '*', '/' and integer '**'")


def parse_quantity(text: str | int | float) -> Quantity | float:
    """Parse ``"0.1 ms"`` into a Brian2 quantity; bare numbers stay dimensionless floats.

    Examples
    --------
    >>> parse_quantity("0.1 ms")
    100. * usecond
    >>> parse_quantity("2.5 nS/ms")
    2.5 * nsiemens / msecond
    """
    if isinstance(text, bool):
        raise QuantityError("expected a number with a unit, got a boolean")
    if isinstance(text, int | float):
        return float(text)
    match = _NUMBER.match(text)
    if match is None:
        raise QuantityError(f"{text!r} is not a number followed by a unit (e.g. '10 ms')")
    number, unit_text = float(match.group(1)), match.group(2)
    if not unit_text:
        return number
    try:
        tree = ast.parse(unit_text.replace("^", "**"), mode="eval")
    except SyntaxError as err:
        raise QuantityError(f"cannot read unit {unit_text!r}") from err
    return number * _eval_unit(tree.body)


#: Units a person expects to read, by kind of quantity, smallest first.
_DISPLAY = [
    ("us", "ms", "s"),
    ("pS", "nS", "uS", "mS", "S"),
    ("uV", "mV", "V"),
    ("fA", "pA", "nA", "uA", "A"),
    ("fF", "pF", "nF", "uF", "F"),
    ("pM", "nM", "uM", "mM", "M"),
    ("Hz", "kHz"),
    ("ug", "mg", "g"),  # drug doses
]
_DISPLAY += [tuple(f"{u}/s" for u in _DISPLAY[5])]  # concentration rates (SERT Vmax)


@functools.cache
def _display_units() -> dict[object, tuple[tuple[str, float], ...]]:
    """``_DISPLAY`` by dimensions, each name with its size in SI units, parsed once (a store's
    attributes format ~1,000 quantities)."""
    table: dict[object, tuple[tuple[str, float], ...]] = {}
    for names in _DISPLAY:
        units = [(n, parse_quantity(f"1 {n}")) for n in names]
        table.setdefault(get_dimensions(units[0][1]), tuple((n, float(u)) for n, u in units))
    return table


def _display_unit(value: Quantity) -> tuple[str, float] | None:
    units = _display_units().get(get_dimensions(value))
    if units is None:
        return None
    si = float(value)
    chosen = units[1] if len(units) > 1 else units[0]  # zero reads best in the usual unit
    for name, size in units:
        if si != 0 and abs(si / size) >= 1:
            chosen = (name, size)
    return chosen


def format_quantity(value: Quantity | float) -> str:
    """Inverse of :func:`parse_quantity` (``"2.5 nS"``), for attributes and resolved specs."""
    if isinstance(value, Quantity) and not value.is_dimensionless:
        display = _display_unit(value)
        if display is None:
            return f"{float(value):.10g} {value.get_best_unit().dim}"
        name, size = display
        return f"{float(value) / size:.10g} {name}"
    return f"{float(value):.10g}"


#: Slow quantities that read better in a pharmacology table's or a biologist's units, as
#: (unit, name), largest first: :func:`display_quantity` adds the first that gives at least 1.
_SLOW_GLOSS = [
    (DAY, "days"), (HOUR, "h"), (MINUTE, "min"),
    (1 / DAY, "per day"),
    (brian2.liter / HOUR, "l/h"), (brian2.liter / HOUR / brian2.kgram, "l/h/kg"),
]  # fmt: skip


def slow_gloss(value: Quantity | float) -> str:
    """The slow clock's or pharmacology's reading of ``value`` where it reads better than SI
    (``"10 days"``, ``"25 per day"``, ``"36 l/h"``), else ``""``."""
    if not isinstance(value, Quantity) or value.is_dimensionless or float(value) == 0:
        return ""
    for unit, name in _SLOW_GLOSS:
        if not same_dimensions(value, unit):
            continue
        shown = f"{float(value / unit):.4g} {name}"
        if name == "per day":  # a slow rate; a fast one reads best in Hz
            return shown if abs(float(value)) < 1e-3 else ""
        if name == "days" and abs(float(value / unit)) < 2:
            continue  # a day and a half reads best as 36 h, as pharmacology tables give it
        if name.startswith("l/h") or abs(float(value / unit)) >= 1:
            return shown
    return ""


def display_quantity(value: Quantity | float) -> str:
    """``value`` for a table of values that are not settings: its :func:`slow_gloss` where it
    has one (``"30 h"``, ``"36 l/h"``), else :func:`format_quantity`."""
    return slow_gloss(value) or format_quantity(value)


def setting_line(key: str, value: Quantity | float, comment: str) -> str:
    """``key = value    # comment`` as ``depnet params`` and ``depnet interventions`` print a
    setting: a value that ``--set`` takes, its :func:`slow_gloss` leading the comment
    (``tau_bdnf = 864000 s    # 10 days; chosen: ...``)."""
    gloss = slow_gloss(value)
    return f"{key} = {format_quantity(value)}    # {gloss + '; ' if gloss else ''}{comment}"


def declaration(name: str, value: Quantity | float, flags: str = "shared, constant") -> str:
    """A Brian2 equation line declaring ``name`` in the SI unit of ``value``.

    >>> declaration("g_L", 25 * brian2.nS)
    'g_L : siemens (shared, constant)'
    """
    dim = get_dimensions(value)
    unit = "1" if dim is DIMENSIONLESS else repr(brian2.get_unit(dim))
    return f"{name} : {unit} ({flags})" if flags else f"{name} : {unit}"


def si_value(value: Quantity | float) -> tuple[float, str]:
    """A value in SI units and the name of its unit (``"1"`` when dimensionless): how stores and
    collected sweeps carry quantities for readers without Brian2."""
    if isinstance(value, Quantity) and not value.is_dimensionless:
        return float(value), str(brian2.get_unit(value.dim))
    return float(value), "1"


def same_dimensions(a: Quantity | float, b: Quantity | float) -> bool:
    """Whether two values have the same physical dimensions (floats are dimensionless)."""
    return have_same_dimensions(a, b)


def parse_time(text: object) -> Quantity:
    """Parse a time with its unit (``"2 s"``, ``"500 ms"``); a quantity passes through.

    A bare number is refused, not read as seconds: a guessed unit could silently misplace a
    window by a factor of 1000.

    Raises
    ------
    QuantityError
        When ``text`` is not a number with a unit of time.
    """
    if isinstance(text, Quantity):
        value = text
    elif isinstance(text, str):
        value = parse_quantity(text)
    else:
        raise QuantityError(f"expected a time with a unit such as '2 s', got {text!r}")
    if not same_dimensions(value, brian2.second):
        raise QuantityError(f"wrong units: expected a time such as '2 s', got {text!r}")
    return value


@dataclass(frozen=True)
class Parameter:
    """A model parameter: its value with units, where the value comes from, and allowed range.

    Parameters
    ----------
    value
        Default value, a Brian2 quantity (or a float for dimensionless values).
    source
        Paper the value is taken from, or "chosen: <reason>".
    low, high
        Inclusive bounds in the units of ``value``; ``None`` means unbounded.
    calibrated_to
        The VALIDATION rows (:data:`depnet.observations.OBSERVATIONS` ids) this value was sized
        so that they pass: those rows are then calibrations, not validations. Empty for a value
        taken from the literature or chosen without looking at a row.
    """

    value: Quantity | float
    source: str
    low: Quantity | float | None = None
    high: Quantity | float | None = None
    calibrated_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_row_ids(self.calibrated_to, f"parameter sourced {self.source[:40]!r}...")

    def check(self, value: Quantity | float) -> Quantity | float:
        """Return ``value`` if it has this parameter's dimensions and lies in range, else raise."""
        if not same_dimensions(value, self.value):
            expected = (
                "a plain number"
                if get_dimensions(self.value) is DIMENSIONLESS
                else f"a value like {format_quantity(self.value)}"
            )
            raise QuantityError(f"wrong units: expected {expected}, got {format_quantity(value)}")
        if self.low is not None and value < self.low:
            raise QuantityError(f"{format_quantity(value)} is below {format_quantity(self.low)}")
        if self.high is not None and value > self.high:
            raise QuantityError(f"{format_quantity(value)} is above {format_quantity(self.high)}")
        return value


def subtable(values: Mapping[str, Quantity | float], prefix: str) -> dict:
    """The values under ``prefix.`` with the prefix removed (one level deep)."""
    n = len(prefix) + 1
    return {
        path[n:]: v
        for path, v in values.items()
        if path.startswith(prefix + ".") and "." not in path[n:]
    }
