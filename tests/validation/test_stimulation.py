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


def test_rtms_rewires_dlpfc_and_stronger_inhibition_blunts_it(validation_runs):
    """P6: rTMS rewires networks through homeostatic structural plasticity, and feedback
    inhibition blunts it (Anil, Lu, Rotter & Vlachos 2023 PLoS Comput Biol 19:e1011027).

    A course of one session a day on days 3 and 4 (each 0.4 s of the 10 Hz protocol on the
    slow clock) drives the DLPFC pyramids far above their structural set point while it lasts
    (about 11 Hz against 2.35 Hz): their calcium rises above ``eps_Ca``, the homeostatic growth
    curve turns negative and synapses retract, while the synchronous volleys depress the
    recurrent weights (STDP), which leaves more of them weak and prune-prone. On day 6 the DLPFC
    recurrent connectivity (summed weight of the present synapses) is well below the paired
    sham's. With stronger inhibition onto the pyramids (GABA 6 nS instead of 4 nS, in both
    runs) the sessions drive them less (about 8.3 Hz) and the change is smaller.

    Measured (cpp, seed 1, at 6 s; rTMS vs sham; the summed weight over 5 seeds is in
    docs/results/validation: -14.9 +- 0.1% and -7.0 +- 0.2%):

    ==================  ==============  ===============  ==============
    inhibition          summed weight   synapse density  mean weight
    ==================  ==============  ===============  ==============
    default (4 nS)      -14.7%          -9.0%            -6.4%
    stronger (6 nS)     -6.9%           -5.3%            -1.6%
    ==================  ==============  ===============  ==============

    Both parts are blunted by the stronger inhibition; that network sits below its set point
    (pyramids ~0.9 Hz before the sessions) and its sham grows (density 0.58 against 0.53). The
    row is asserted on the summed weight, with the default change required beyond -10%.
    """
    check = CHECKS["P6"]
    runs = validation_runs(*check.runs)
    assert not check.out_of_band(runs), check.measure(runs)


def test_ect_lowers_hippocampal_synapse_density_a_listed_limitation(validation_runs):
    """P10: ECT raises hippocampal volume (Wilkinson et al. 2017: SMD 1.10). The model does not
    reproduce it, and this test keeps that limitation's listing true: if a change makes the
    model's ECT raise CA1 density, it fails, and README, docs/model/validation.md and the row
    (``CHECKS["P10"]``, whose band is published, not claimed) must be updated.

    A course of three sessions a week from day 3 (sessions on days 3, 5.3 and 7.6, each half a
    compressed day of 10 Hz volleys in every cortical and hippocampal population) drives CA1
    pyramids from ~3.5 Hz to ~11 Hz in each session. Their calcium trace (tau 10 s, i.e. ten
    compressed days) stays above the homeostatic set point for days after it, so the growth
    curve retracts synapses faster than the raised BDNF trace forms them. Measured (cpp, day 10
    against the paired run, 5 seeds, docs/results/validation): CA1 -14.9 +- 0.3%, DLPFC
    -22.1 +- 0.1%; a fifth of the seizure (0.1 s) or 3 Hz volleys still lower CA1 (-3.1%,
    -5.5%, seed 1).
    """
    check = CHECKS["P10"]
    runs = validation_runs(*check.runs)
    values = check.measure(runs)
    assert values["CA1 synapse density change, day 10"] < 0, values
    assert values["DLPFC synapse density change, day 10"] < 0, values
