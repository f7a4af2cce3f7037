"""Quantities in scenario files: numbers with Brian2 units, never code."""

import pytest
from brian2 import Hz, mM, ms, nM, nS, second

from depnet.quantities import (
    DAY,
    HOUR,
    Parameter,
    QuantityError,
    format_quantity,
    parse_quantity,
    same_dimensions,
    setting_line,
    slow_gloss,
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
    "value, gloss",
    [(10 * DAY, "10 days"), (2.5 * HOUR, "2.5 h"), (2400 * second, "40 min"),
     (30 * HOUR, "30 h"), (2 * DAY, "2 days"), (25 / DAY, "25 per day"),
     (0.1 / DAY, "0.1 per day"), (10 * Hz, ""), (30 * second, ""), (6 * nS, ""), (0.5, "")],
)  # fmt: skip
def test_slow_values_are_glossed_in_days_hours_and_per_day_after_a_value_that_loads(value, gloss):
    """``depnet params`` and ``depnet interventions`` print the slow clock's values as a
    biologist reads them, in the comment after a value that ``--set`` takes."""
    assert slow_gloss(value) == gloss
    line = setting_line("tau", value, "chosen")
    assert line == f"tau = {format_quantity(value)}    # {gloss + '; ' if gloss else ''}chosen"
    assert same(parse_quantity(line.split(" = ")[1].split("    #")[0]), value)


@pytest.mark.parametrize(
    "text, value",
    [("40 min", 2400 * second), ("2.5 h", 9000 * second), ("2 day", 172800 * second),
     ("0.5 h", 1800 * second)],
)  # fmt: skip
def test_scenario_files_may_give_spans_in_minutes_hours_and_days(text, value):
    assert same(parse_quantity(text), value)


def test_parameter_checks_units_and_range():
    p = Parameter(6 * nS, "chosen", low=0 * nS)
    assert p.check(3 * nS) == 3 * nS
    with pytest.raises(QuantityError, match="wrong units"):
        p.check(3 * ms)
    with pytest.raises(QuantityError, match="below"):
        p.check(-1 * nS)
