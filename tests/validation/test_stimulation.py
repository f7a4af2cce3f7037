"""Brain stimulation on the whole circuit with learning (VALIDATION.md P6), run as the treatment
library runs it: ``scenarios/healthy_plastic.toml`` with ``[[interventions]]``.

Structural change runs on compressed time (one simulated second is one day); stimulation pulses
keep their real timing. Every comparison is paired: the same network, seed, parameters and time
window with and without the stimulation (sham), so the network's own drift cancels.
"""

from __future__ import annotations

import pytest

from depnet.analysis.synapses import synapse_density, weight_statistics

pytestmark = pytest.mark.slow

DAYS = "6 s"  # 3 days to settle, 2 days with a 10 Hz train, 1 day after it
RTMS = {"kind": "rtms", "pattern": "10hz", "start": "3 s", "stop": "5 s"}
AFTER = 6.0  # s: the end of the run (last sample 5.9 s), about a day after the train
RECURRENT = "dlpfc_exc_to_dlpfc_exc"
# Stronger feedback inhibition of DLPFC pyramids: their GABA weight 4 nS -> 6 nS (+50%), in both
# the stimulated and the sham run.
STRONGER_INHIBITION = {"projections__dlpfc_inh_to_dlpfc_exc__w_gaba": "6 nS"}


def _connectivity(tree) -> tuple[float, float, float]:
    """DLPFC recurrent excitatory connectivity at ``AFTER``: (summed weight, density, mean weight).

    The summed weight of the present recurrent synapses per potential synapse is the density
    (present / pool, structural plasticity) times the mean weight of the present synapses (STDP).
    """
    density = float(synapse_density(tree).sel(region="dlpfc").sel(time=AFTER, method="nearest"))
    w = weight_statistics(tree)["w_mean"].sel(projection=RECURRENT)
    w_mean = float(w.sel(time=AFTER, method="nearest"))
    return density * w_mean, density, w_mean


def _rtms_change(treatment, **parameters) -> tuple[float, float, float]:
    """Relative change of (summed weight, density, mean weight) by rTMS against paired sham."""
    stimulated = _connectivity(treatment(DAYS, (RTMS,), **parameters))
    sham = _connectivity(treatment(DAYS, (), **parameters))
    return tuple(s / r - 1 for s, r in zip(stimulated, sham, strict=True))


def test_rtms_rewires_dlpfc_and_stronger_inhibition_blunts_it(treatment):
    """P6: rTMS rewires networks through homeostatic structural plasticity, and feedback
    inhibition blunts it (Anil, Lu, Rotter & Vlachos 2023 PLoS Comput Biol 19:e1011027).

    Two compressed days of a 10 Hz train drive the DLPFC pyramids far above their structural set
    point (about 11 Hz against 2.35 Hz): their calcium rises above ``eps_Ca``, the homeostatic
    growth curve turns negative and synapses retract, while the synchronous volleys depress the
    recurrent weights (STDP), which leaves more of them weak and prune-prone. One day after the
    train the DLPFC recurrent connectivity (summed weight of the present synapses) is well below
    the paired sham's. With stronger inhibition onto the pyramids (GABA 6 nS instead of 4 nS, in
    both runs) the train drives them less (about 8.5 Hz) and the change is smaller.

    Measured (cpp, seed 1, at 6 s; rTMS vs sham):

    ==================  ==============  ===============  ==============
    inhibition          summed weight   synapse density  mean weight
    ==================  ==============  ===============  ==============
    default (4 nS)      -29.0%          -14.7%           -16.8%
    stronger (6 nS)     -22.4%          -15.0%           -8.7%
    ==================  ==============  ===============  ==============

    The blunting is in the weights: the density (the structural part alone) falls about as
    much with stronger inhibition, because that network sits below its set point (pyramids
    ~0.9 Hz) and its sham grows (density 0.58 against 0.53), so the row is asserted on the
    summed weight, with the default change required beyond -10%.
    """
    default = _rtms_change(treatment)
    stronger = _rtms_change(treatment, **STRONGER_INHIBITION)
    assert default[0] <= -0.10, default
    assert abs(stronger[0]) < abs(default[0]), (stronger, default)
