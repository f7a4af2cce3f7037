"""The MDD state and its treatments on the whole circuit with learning (VALIDATION.md C5, P3,
P4, P5, P9), run as the treatment library runs them: ``scenarios/healthy_plastic.toml`` with
``[[interventions]]``.

Structural change runs on compressed time (one simulated second is one day). Every comparison is
paired: the same network, seed and time window with and without the intervention, so the slow
drift of the healthy network's own structural turnover cancels. The runs, measures and bands are
``depnet validation``'s (:data:`depnet.validation.RUNS`, :data:`depnet.validation.CHECKS`), here
on seed 1; the committed report has them over 5 seeds.
"""

from __future__ import annotations

import pytest

from depnet.validation import CHECKS

pytestmark = pytest.mark.slow


def _holds(validation_runs, row: str) -> None:
    check = CHECKS[row]
    assert not check.out_of_band(validation_runs(*check.runs)), check.measure(
        validation_runs(*check.runs)
    )


def test_chronic_stress_lowers_pfc_synapse_density(validation_runs):
    """P3: chronic stress shrinks PFC spines, -5% to -30% (Radley et al. 2006: ~16% apical spine
    loss; Li et al. 2011 Biol Psychiatry: 21 d CUS). After 7 compressed days of stress."""
    _holds(validation_runs, "P3")


def test_chronic_stress_lowers_hippocampal_synapse_density(validation_runs):
    """C5: hippocampal volume in MDD is smaller, but only modestly: -1.24% (d = -0.14) in the
    ENIGMA mega-analysis (Schmaal et al. 2016 Mol Psychiatry 21:806), -6.8% in a meta-analysis
    (Espinoza Oyarce et al. 2020). The grey-matter proxy, active-synapse density, falls by -1% to
    -7% after the same 7 compressed days of stress that prune the PFC (P3).

    The proxy is CA1's: the Schaffer collaterals (CA3 -> CA1) are the only hippocampal projection
    with structural plasticity in ``healthy_plastic.toml``, so CA1 is the one hippocampal region
    whose synapse density can change (DG and CA3 connectivity is fixed).
    """
    _holds(validation_runs, "C5")


def test_ketamine_disinhibits_pfc(validation_runs):
    """P4: ketamine's NMDA block lowers interneuron firing and raises most pyramidal cells'
    firing (Homayoun & Moghaddam 2007 J Neurosci 27:11496): direction only, paired windows
    (the 2 s of the block)."""
    _holds(validation_runs, "P4")


def test_ketamine_raises_pfc_density_unless_rapamycin_blocks_mtor(validation_runs):
    """P5: ketamine raises PFC spine synapses via mTOR, +10% to +50% in the compressed window;
    with rapamycin the rise is < 25% of the unblocked one (Li et al. 2010 Science 329:959).
    Measured one compressed day after the dose, and still raised a week after (Li et al.: for
    up to two weeks)."""
    _holds(validation_runs, "P5")


def test_ketamine_bdnf_is_its_block_s_not_the_disinhibited_firing_s(validation_runs):
    """The BDNF behind P5 is made by the pyramidal cells whose NMDA receptors ketamine blocks
    (Autry et al. 2011 Nature 475:91). With interneurons blocked alone, pyramidal firing rises
    (P4's disinhibition) but density moves less than a tenth of ketamine's rise. Measured (seed
    1): +13.7% with both blocks, -0.1% with interneurons alone."""
    values = CHECKS["P5"].measure(validation_runs(*CHECKS["P5"].runs))
    rise = values["DLPFC density rise, a day after"]
    alone = values["rise a day after, interneurons blocked alone"]
    assert rise > 0.10 and abs(alone) < 0.1 * rise, values


def test_pas25_potentiates_the_conditioned_pathway_and_less_in_the_mdd_state(validation_runs):
    """P9: depressed subjects show reduced PAS-induced plasticity in DLPFC (seed editorial ref
    38), and PAS25 potentiates in health (Stefan et al. 2000 Brain 123:572). PAS25: the
    peripheral stimulus 25 ms before the TMS pulse, its volley reaching cortex after the N20
    latency (20 ms), so the conditioned cells fire 5 ms before the TMS-fired ones. Measured, as
    an MEP reads it, on the conditioned pathway (conditioned cells onto TMS-fired cells) against
    the paired run without PAS: it potentiates in health, by the STDP rule's pre-before-post
    window, and less in the MDD state (chronic stress). Nothing was sized for this row.
    """
    _holds(validation_runs, "P9")
    measured = CHECKS["P9"].measure(validation_runs(*CHECKS["P9"].runs))
    assert measured["PAS25, conditioned pathway, health (%)"] > 0
    assert measured["MDD / health"] < 1
