"""The MDD state and its treatments on the whole circuit with learning (VALIDATION.md C5, P3,
P4, P5, P9), run as the treatment library runs them: ``scenarios/healthy_plastic.toml`` with
``[[interventions]]``.

Structural change runs on compressed time (one simulated second is one day). Every comparison is
paired: the same network, seed and time window with and without the intervention, so the slow
drift of the healthy network's own structural turnover cancels.
"""

from __future__ import annotations

import pytest

from depnet.analysis.outcomes import pas_response
from depnet.analysis.synapses import synapse_density, weight_statistics

pytestmark = pytest.mark.slow

STRESS = {"kind": "chronic_stress", "start": "3 s"}
DAYS = "10 s"  # 3 healthy days, then 7 days of stress


def _density(tree, region: str, at: float) -> float:
    return float(synapse_density(tree).sel(region=region).sel(time=at, method="nearest"))


def _change(tree, reference, region: str, at: float) -> float:
    """Relative change of a region's synapse density against the paired reference run."""
    return _density(tree, region, at) / _density(reference, region, at) - 1


def _rate(tree, population: str, start: float, stop: float) -> float:
    rate = tree["rates"].ds.rate.sel(population=population)
    return float(rate.sel(time=slice(start, stop)).mean())


@pytest.fixture(scope="module")
def healthy(treatment):
    return treatment(DAYS)


@pytest.fixture(scope="module")
def stressed(treatment):
    return treatment(DAYS, (STRESS,))


def test_chronic_stress_lowers_pfc_synapse_density(healthy, stressed):
    """P3: chronic stress shrinks PFC spines, -5% to -30% (Radley et al. 2006: ~16% apical spine
    loss; Li et al. 2011 Biol Psychiatry: 21 d CUS). After 7 compressed days of stress."""
    change = _change(stressed, healthy, "dlpfc", 10.0)
    assert -0.30 <= change <= -0.05, change


def test_chronic_stress_lowers_hippocampal_synapse_density(healthy, stressed):
    """C5: hippocampal volume in MDD is smaller, but only modestly: -1.24% (d = -0.14) in the
    ENIGMA mega-analysis (Schmaal et al. 2016 Mol Psychiatry 21:806), -6.8% in a meta-analysis
    (Espinoza Oyarce et al. 2020). The grey-matter proxy, active-synapse density, falls by -1% to
    -7% after the same 7 compressed days of stress that prune the PFC (P3).

    The proxy is CA1's: the Schaffer collaterals (CA3 -> CA1) are the only hippocampal projection
    with structural plasticity in ``healthy_plastic.toml``, so CA1 is the one hippocampal region
    whose synapse density can change (DG and CA3 connectivity is fixed).
    """
    change = _change(stressed, healthy, "ca1", 10.0)
    assert -0.07 <= change <= -0.01, change


KETAMINE = {"kind": "ketamine", "start": "5 s"}  # NMDA block 5-7 s, BDNF pulse 5-6 s
RAPAMYCIN = {"kind": "rapamycin", "start": "4.5 s", "stop": "7 s"}


@pytest.fixture(scope="module")
def ketamine(treatment):
    return treatment(DAYS, (KETAMINE,))


@pytest.fixture(scope="module")
def ketamine_rapamycin(treatment):
    return treatment(DAYS, (RAPAMYCIN, KETAMINE))


def test_ketamine_disinhibits_pfc(healthy, ketamine):
    """P4: ketamine's NMDA block lowers interneuron firing and raises most pyramidal cells'
    firing (Homayoun & Moghaddam 2007 J Neurosci 27:11496): direction only, paired windows."""
    assert _rate(ketamine, "dlpfc_inh", 5, 7) < _rate(healthy, "dlpfc_inh", 5, 7)
    assert _rate(ketamine, "dlpfc_exc", 5, 7) > _rate(healthy, "dlpfc_exc", 5, 7)


def test_ketamine_raises_pfc_density_unless_rapamycin_blocks_mtor(
    healthy, ketamine, ketamine_rapamycin
):
    """P5: ketamine raises PFC spine synapses via mTOR, +10% to +50% in the compressed window;
    with rapamycin the rise is < 25% of the unblocked one (Li et al. 2010 Science 329:959).
    Measured one compressed day after the dose."""
    rise = _change(ketamine, healthy, "dlpfc", 6.0)
    assert 0.10 <= rise <= 0.50, rise
    blocked = _change(ketamine_rapamycin, healthy, "dlpfc", 6.0)
    assert blocked < 0.25 * rise, (blocked, rise)


PAS = {"kind": "pas", "start": "5 s", "stop": "8 s"}


def _pas_induced(with_pas, without) -> float:
    """PAS-induced plasticity: the PAS block's relative change of the DLPFC recurrent weights
    (``depnet compare``'s PAS response) minus the paired run's change over the same window."""
    weights = weight_statistics(without)["w_mean"].sel(projection="dlpfc_exc_to_dlpfc_exc")
    start, stop = (float(weights.sel(time=t, method="nearest")) for t in (5.0, 8.0))
    return pas_response(with_pas) - 100 * (stop / start - 1)


def test_pas_induced_plasticity_is_reduced_in_the_mdd_state(treatment, healthy, stressed):
    """P9: depressed subjects show reduced PAS-induced plasticity in DLPFC (seed editorial ref
    38): its magnitude in the MDD state (chronic stress) is below healthy.

    The model's PAS is depression-like: the two volleys fire large groups of DLPFC pyramids
    synchronously, and their recurrent synapses, reached one conduction delay after the
    postsynaptic spike, depress; the paired conditioning -> test synapses potentiate but are
    fewer. The row compares magnitudes (as the band does) and the test states the sign it sees.
    """
    in_health = _pas_induced(treatment(DAYS, (PAS,)), healthy)
    in_mdd = _pas_induced(treatment(DAYS, (STRESS, PAS)), stressed)
    assert in_health != 0
    assert abs(in_mdd) < abs(in_health), (in_mdd, in_health)
