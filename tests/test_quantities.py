"""Quantities in scenario files: numbers with Brian2 units, never code."""

import pytest
from brian2 import Hz, mM, ms, nM, nS, second

from depnet.quantities import (
    DAY,
    HOUR,
    Parameter,
    QuantityError,
    display_quantity,
    format_quantity,
    parse_quantity,
    same_dimensions,
)


def same(a, b) -> bool:
    return same_dimensions(a, b) and float(a) == pytest.approx(float(b))


@pytest.mark.parametrize(
    "text, value",
    [("0.1 ms", 0.1 * ms), ("65 nM", 65 * nM), ("2.5 nS", 2.5 * nS), ("60 nM/s", 60 * nM / second),
     ("1e3 Hz", 1000 * Hz), ("1 mM", 1 * mM), ("3", 3.0)],
)  # fmt: skip
def test_parse(text, value):
    assert same(parse_quantity(text), value)


@pytest.mark.parametrize("text", ["1 furlong", "ms", "1 ms ms", "1 (lambda: 0)()", "1 os.system"])
def test_parse_rejects(text):
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize("value", [0.1 * ms, 65 * nM, 6 * nS, 60 * nM / second, 0 * nS, 0.8])
def test_format_reads_back(value):
    assert same(parse_quantity(format_quantity(value)), value)


@pytest.mark.parametrize(
    "value, shown",
    [(10 * DAY, "864000 s (10 days)"), (2.5 * HOUR, "9000 s (2.5 h)"),
     (30 * HOUR, "108000 s (30 h)"), (2 * DAY, "172800 s (2 days)"),
     (2400 * second, "2400 s (40 min)"), (25 / DAY, "2.893518519e-07 kHz (25 per day)"),
     (0.1 / DAY, "1.157407407e-09 kHz (0.1 per day)"), (10 * Hz, "10 Hz"), (30 * second, "30 s"),
     (6 * nS, "6 nS"), (0.5, "0.5")],
)  # fmt: skip
def test_slow_values_are_shown_in_days_hours_and_per_day_and_still_load_back(value, shown):
    """``depnet params`` and ``depnet interventions`` print the slow clock's values as a
    biologist reads them, after a value that ``--set`` takes."""
    assert display_quantity(value) == shown
    assert same(parse_quantity(shown.split(" (")[0]), value)


def test_parameter_checks_units_and_range():
    p = Parameter(6 * nS, "chosen", low=0 * nS)
    assert p.check(3 * nS) == 3 * nS
    with pytest.raises(QuantityError, match="wrong units"):
        p.check(3 * ms)
    with pytest.raises(QuantityError, match="below"):
        p.check(-1 * nS)
