"""Brain stimulation on the whole circuit with learning (VALIDATION.md P6, P10), run as the
treatment library runs it: ``scenarios/healthy_plastic.toml`` with ``[[interventions]]``.

Structural change runs on compressed time (one simulated second is one day); stimulation pulses
keep their real timing. Every comparison is paired: the same network, seed, parameters and time
window with and without the stimulation (sham), so the network's own drift cancels. Runs,
measures and bands: ``depnet validation``'s (:data:`depnet.validation.RUNS`, ``CHECKS["P6"]``):
3 compressed days to settle, 2 days of a 10 Hz train, 1 day after it; stronger feedback
inhibition is the DLPFC pyramids' GABA weight at 6 nS instead of 4 nS, in both runs.
"""

from __future__ import annotations

import pytest

from depnet.validation import CHECKS

pytestmark = pytest.mark.slow


def test_rtms_rewires_dlpfc_less_than_the_row_asks_a_listed_limitation(validation_runs):
    """P6: rTMS rewires networks through homeostatic structural plasticity, and feedback
    inhibition blunts it (Anil, Lu, Rotter & Vlachos 2023 PLoS Comput Biol 19:e1011027). The
    row asks for a change of DLPFC recurrent connectivity (summed weight of the present
    synapses) beyond -10% (a threshold chosen for the row) and a smaller one under stronger
    inhibition. The model misses the first, and this test keeps that listing true: if a change
    makes the course lower connectivity by 10% or more, it fails, and README,
    docs/model/validation.md and the row (``CHECKS["P6"]``) must be updated.

    A course of one session a day on days 3 and 4, each 0.4 s of the 10 Hz protocol (4 pulses)
    standing on the slow clock for the 300 s that a clinical session's trains are on
    (:func:`depnet.scenarios.interventions.base.session_clock`), measured on day 6 against the
    paired sham (cpp, seed 1): -6.3%, and -4.2% with stronger inhibition onto the pyramids
    (GABA 6 nS instead of 4 nS, in both runs), so the blunting holds (ratio 0.67). Over 5 seeds
    (docs/results/validation): -6.26 +- 0.08% and -4.33 +- 0.13%, ratio 0.69 +- 0.02.
    """
    check = CHECKS["P6"]
    runs = validation_runs(*check.runs)
    values = check.measure(runs)
    assert values["DLPFC recurrent connectivity change"] > -0.10, values
    assert values["|stronger| / |default|"] < 1, values


def test_ect_does_not_raise_hippocampal_synapse_density_a_listed_limitation(validation_runs):
    """P10: ECT raises hippocampal volume (Wilkinson et al. 2017: SMD 1.10). The model does not
    reproduce it, and this test keeps that limitation's listing true: if a change makes the
    model's ECT raise CA1 density, it fails, and README, docs/model/validation.md and the row
    (``CHECKS["P10"]``, whose band is published, not claimed) must be updated.

    A course of three sessions a week from day 3 (sessions on days 3, 5.3 and 7.6, each 0.5 s
    of 10 Hz volleys in every cortical and hippocampal population, standing on the slow clock
    for a 40 s seizure) drives CA1 pyramids from ~3.5 Hz to ~11 Hz in each session; 40 s of
    that firing moves the calcium and BDNF traces (10 days) too little to rewire CA1. Measured
    (cpp, day 10 against the paired run): CA1 -0.19%, DLPFC -1.2% on seed 1; over 5 seeds
    (docs/results/validation) CA1 -0.04 +- 0.17%, DLPFC -1.3 +- 0.2%. A rise is a CA1 change
    above +0.5%, three times the seeds' spread (chosen for this test: the row claims nothing).
    """
    check = CHECKS["P10"]
    runs = validation_runs(*check.runs)
    values = check.measure(runs)
    assert values["CA1 synapse density change, day 10"] < 0.005, values
    assert values["DLPFC synapse density change, day 10"] < 0, values
