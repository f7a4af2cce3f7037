"""Ketamine by dose: plasma levels over an i.v. infusion, NMDA channel block per cell class, and
the block's steps on the slow clock.

What the dose does to the whole circuit (firing in its first hours, DLPFC density a day and a
week after) is reported by P4 and P5 in ``depnet validation``; these check the pharmacology and
the schedule it makes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import second, umolar

from depnet.errors import ScenarioError
from depnet.quantities import HOUR
from depnet.run import network_data, scenario_schedule
from depnet.scenarios.interventions.nmda_block import (
    RACEMIC_KETAMINE,
    WASHOUT_STEP,
    WashoutTooLong,
    block_steps,
    washout_edges,
)
from depnet.spec import parse_scenario

KETAMINE = RACEMIC_KETAMINE
INFUSION = KETAMINE.antidepressant_infusion
MINUTES_40 = float(INFUSION / second)


def test_the_antidepressant_infusion_peaks_within_krystal_1994s_range():
    """0.5 mg/kg over 40 min: 100-250 ng/ml at the end of the infusion (Krystal et al. 1994
    Arch Gen Psychiatry 51:199, as tabled by Zanos et al. 2018 Pharmacol Rev 70:621; Zarate et
    al. 2006 measured 185 ng/ml). Held-out: the clearance comes from anaesthetic infusions
    (Idvall et al. 1979) and the half-life from elsewhere; the one-compartment model, without
    the fast distribution phase, sits in the range's lower part (115 ng/ml)."""
    peak = KETAMINE.ng_per_ml(KETAMINE.dose_plasma(0.5, INFUSION, np.array([MINUTES_40])))[0]
    assert 100 <= peak <= 250
    assert peak == pytest.approx(115, abs=1)
    # the peak is at the infusion's end
    times = np.linspace(0, 6 * 3600, 601)
    assert times[np.argmax(KETAMINE.dose_plasma(0.5, INFUSION, times))] == pytest.approx(
        MINUTES_40, abs=40
    )


def test_levels_are_linear_in_dose_and_halve_every_half_life_after_the_infusion():
    times = np.array([600.0, MINUTES_40, MINUTES_40 + 2.5 * 3600, MINUTES_40 + 5 * 3600])
    half, whole = (KETAMINE.dose_plasma(d, INFUSION, times) for d in (0.25, 0.5))
    np.testing.assert_allclose(whole, 2 * half, rtol=1e-12)
    assert whole[2] / whole[1] == pytest.approx(0.5, rel=1e-12)  # t1/2 2.5 h
    assert whole[3] / whole[1] == pytest.approx(0.25, rel=1e-12)
    assert float(KETAMINE.elimination_rate() * KETAMINE.half_life.value) == pytest.approx(
        math.log(2)
    )
    # at steady infusion the level would be rate / clearance: 0.75 mg/kg/h / 1.1 l/h/kg
    long = KETAMINE.dose_plasma(0.75 * 100, 100 * HOUR, np.array([100 * 3600.0]))
    assert KETAMINE.ng_per_ml(long)[0] == pytest.approx(750 / 1.1, rel=1e-9)


def test_the_block_is_the_free_level_over_its_ic50_and_interneurons_block_first():
    """An open-channel blocker in 1 mM Mg2+ (Kotermanski & Johnson 2009): half the current
    blocked where the free level equals the IC50; GluN2D-carrying interneurons (2.95 uM) block
    at lower levels than GluN2A/2B pyramidal cells (5.2 uM)."""
    for cells in ("principal", "interneurons"):
        ic50 = float(KETAMINE.ic50[cells].value / umolar) * 1e-6
        total = ic50 / KETAMINE.free_fraction.value
        assert KETAMINE.block(np.array([total]), cells)[0] == pytest.approx(0.5, rel=1e-12)
    levels = np.geomspace(1e-8, 1e-4, 9)
    assert np.all(KETAMINE.block(levels, "interneurons") > KETAMINE.block(levels, "principal"))
    # the antidepressant dose blocks far less than the shortcut's 0.6 and 0.15
    peak = KETAMINE.dose_plasma(0.5, INFUSION, np.array([MINUTES_40]))
    assert KETAMINE.block(peak, "interneurons")[0] == pytest.approx(0.076, abs=0.001)
    assert KETAMINE.block(peak, "principal")[0] == pytest.approx(0.044, abs=0.001)


def test_the_steps_hold_the_block_s_mean_until_it_washes_out():
    steps = block_steps(lambda t: KETAMINE.dose_plasma(0.5, INFUSION, t), INFUSION)
    assert steps[0].start == 0 and steps[0].stop == MINUTES_40
    hour = float(WASHOUT_STEP / second)
    assert all(s.stop - s.start == pytest.approx(hour) for s in steps[1:])
    inh = [s.block["interneurons"] for s in steps]
    assert inh[1] == max(inh) and all(a > b for a, b in zip(inh[1:], inh[2:], strict=False))
    # the mean over the first washout hour lies between the hour's end points
    ends = np.array([MINUTES_40, MINUTES_40 + hour])
    edges = KETAMINE.block(KETAMINE.dose_plasma(0.5, INFUSION, ends), "interneurons")
    assert edges[1] < inh[1] < edges[0]
    # the staircase stops once the block is negligible: ~11 h for the antidepressant dose
    assert len(steps) == 11 and inh[-1] >= 0.005


def _ketamine(compressed_day: str = "1 s", **settings) -> dict:
    doc = {
        "scenario": {
            "name": "dose", "duration": "4 s", "regions": ["drn", "sgacc"],
            "compressed_day": compressed_day,
        },
        "regions": {"sgacc": {"n_exc": 400, "n_inh": 100}},
        "interventions": [{"kind": "ketamine", "start": "1 s", **settings}],
    }  # fmt: skip
    return parse_scenario(doc)


def _nmda_block(spec) -> tuple[list[tuple[float, float]], np.ndarray, np.ndarray]:
    """The epochs and the NMDA block over them of sgACC's pyramids and interneurons."""
    layout = network_data(spec, "cpp").layout
    schedule = scenario_schedule(spec, layout)
    table = schedule.tables["protocol_neurons_nmda_block"]
    group, exc, _ = layout.placements["sgacc_exc"]
    _, inh, _ = layout.placements["sgacc_inh"]
    rows = schedule.rows[group]
    epochs = [(e.start, e.stop) for e in schedule.epochs]
    n = len(epochs)
    return epochs, table[:n, rows[exc]], table[:n, rows[inh]]


def _exposure(epochs, block) -> float:
    """Block times simulated time over the epochs (s)."""
    return float(sum((b - a) * v for (a, b), v in zip(epochs, block, strict=True) if b < 1e9))


def test_a_dose_blocks_nmda_in_steps_on_the_slow_clock_and_washes_out():
    """0.5 mg/kg from day 1: the infusion's 40 min last 27.8 ms of a 1 s day (28 ms on the 1 ms
    grid), each washout hour 41.7 ms; interneurons are blocked more than pyramids in every step;
    after ~11 h nothing is blocked. The steps hold the block's means over what their rounded
    edges stand for, so the exposure (block times time) is the drug's: on a 1 s day, and on a
    10 ms day, where most steps round to nothing and merge (less the tail past the last grid
    point)."""
    epochs, exc, inh = _nmda_block(_ketamine(given_by="dose_mg_per_kg", dose_mg_per_kg=0.5))
    assert epochs[1] == (1.0, pytest.approx(1.028, abs=1e-9))
    assert epochs[2][1] - epochs[2][0] == pytest.approx(1 / 24, abs=1e-3)
    steps = block_steps(lambda t: KETAMINE.dose_plasma(0.5, INFUSION, t), INFUSION)
    np.testing.assert_allclose(inh[1 : len(steps) + 1], [s.block["interneurons"] for s in steps],
                               rtol=0.03)  # fmt: skip
    assert exc[0] == inh[0] == 0 and exc[-1] == inh[-1] == 0
    assert np.all(inh[1:-1] > exc[1:-1])
    hours = np.linspace(0, steps[-1].stop, 20001)
    exact = np.trapezoid(KETAMINE.block(KETAMINE.dose_plasma(0.5, INFUSION, hours), "principal"),
                         hours) / 86400  # fmt: skip
    assert _exposure(epochs[:-1], exc[:-1]) == pytest.approx(exact, rel=1e-3)
    short = _ketamine("10 ms", given_by="dose_mg_per_kg", dose_mg_per_kg=0.5)
    short_epochs, short_exc, _ = _nmda_block(short)
    assert len(short_epochs) < len(epochs)
    # within 3%: the tail past the last grid point (4 ms for 4.4 ms of washout) is dropped
    assert _exposure(short_epochs[:-1], short_exc[:-1]) / 0.01 == pytest.approx(exact, rel=0.04)
    twice_epochs, twice_exc, _ = _nmda_block(_ketamine("2 s", given_by="dose_mg_per_kg",
                                                      dose_mg_per_kg=0.5))  # fmt: skip
    assert twice_epochs[2][1] - twice_epochs[2][0] == pytest.approx(2 / 24, abs=1e-3)
    assert _exposure(twice_epochs[:-1], twice_exc[:-1]) / 2 == pytest.approx(exact, rel=1e-3)


def test_a_held_plasma_level_blocks_by_its_free_share_over_the_ic50():
    """A target-controlled infusion holding 1 uM for 40 min: interneurons' block 0.5 uM free
    over (0.5 + 2.95) uM, pyramids' 0.5 / (0.5 + 5.2)."""
    _, exc, inh = _nmda_block(
        _ketamine(given_by="plasma_concentration", plasma_concentration="1 uM")
    )
    # (the infusion's 40 min round to 28 ms of a 1 s day: the step's mean takes in 19 s of
    # washout)
    assert inh[1] == pytest.approx(0.5 / 3.45, rel=1e-4)
    assert exc[1] == pytest.approx(0.5 / 5.7, rel=1e-4)


def test_by_default_the_shortcut_blocks_for_two_days_and_a_zero_dose_blocks_nothing():
    epochs, exc, inh = _nmda_block(_ketamine())
    assert epochs[1] == (1.0, 3.0) and inh[1] == 0.6 and exc[1] == 0.15 and inh[2] == 0
    # a dose axis's zero is no drug, not the shortcut
    _, exc, inh = _nmda_block(_ketamine(given_by="dose_mg_per_kg", dose_mg_per_kg=0))
    assert not exc.any() and not inh.any()


def test_a_dose_too_brief_for_the_slow_clock_is_refused_in_one_line():
    """On a day of 1 ms the whole washout (~11 h) is less than one protocol step."""
    with pytest.raises(ScenarioError) as error:
        _nmda_block(_ketamine("1 ms", given_by="dose_mg_per_kg", dose_mg_per_kg=0.5))
    assert "lasts less than one protocol step" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_level_that_never_washes_out_is_refused():
    """The washout's steps double after 16 hours, up to 142 hours in all: a level that does not
    fall (not one the kinetics give) is refused rather than cut off."""
    with pytest.raises(WashoutTooLong, match="stays above 0.005 for more than 142 h"):
        washout_edges(lambda t: np.full_like(t, 1e-3), INFUSION)


def test_a_stored_dosed_ketamine_reads_back():
    """A stored scenario lists every setting (defaults too): it must load back as it ran."""
    spec = _ketamine(given_by="dose_mg_per_kg", dose_mg_per_kg=0.5)
    again = parse_scenario(spec.to_dict())
    assert again.to_dict() == spec.to_dict()
    assert _nmda_block(again)[1].tolist() == _nmda_block(spec)[1].tolist()


DOSE = {"given_by": "dose_mg_per_kg"}


@pytest.mark.parametrize(
    "settings, message",
    [
        ({**DOSE, "dose_mg_per_kg": 0.5, "plasma_concentration": "1 uM"},
         "plasma_concentration: ketamine is given_by = 'dose_mg_per_kg'"),
        ({"dose_mg_per_kg": 0.5}, "set given_by = 'dose_mg_per_kg'"),
        ({**DOSE, "dose_mg_per_kg": 0.5, "block_interneurons": 0.3}, "block_interneurons: keta"),
        ({**DOSE, "dose_mg_per_kg": "0.5 mg/kg"}, "give mg per kg as a plain number"),
        ({**DOSE, "dose_mg_per_kg": -1}, "-1 is below 0"),
        ({**DOSE, "dose_mg_per_kg": 50}, "50 is above 10"),
        ({**DOSE, "dose_mg_per_kg": "0.5 mg"}, "wrong units"),
        ({"given_by": "plasma_concentration", "plasma_concentration": "-1 uM"}, "is below 0"),
        ({**DOSE, "dose_mg_per_kg": 0.5, "infusion_duration": "0 s"}, "needs an infusion longer"),
        ({**DOSE, "dose_mg_per_kg": "nan"}, "dose_mg_per_kg"),
        ({"given_by": "mg"}, "given_by: choose from block, dose_mg_per_kg, plasma_concentration"),
    ],
)  # fmt: skip
def test_malformed_ketamine_doses_are_refused_in_one_line(settings, message):
    with pytest.raises(ScenarioError) as error:
        _ketamine(**settings)
    assert message in str(error.value) and "\n" not in str(error.value)
