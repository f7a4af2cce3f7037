"""SSRI with anodal tDCS of DLPFC (VALIDATION.md P8), run as the treatment library runs them:
``scenarios/healthy_plastic.toml`` with ``[[interventions]]``, paired runs (same network, seed
and time window with and without each treatment) so the healthy network's own structural
turnover cancels. One simulated second is one compressed day of structural change.
"""

from __future__ import annotations

import pytest

from depnet.validation import CHECKS

pytestmark = pytest.mark.slow


def test_ssri_with_anodal_tdcs_beats_either_alone(validation_runs):
    """P8: SSRI with anodal tDCS improves memory while either alone does not (seed editorial
    ref 58); citalopram enhances and prolongs the LTP-like excitability rise after anodal tDCS
    (Nitsche et al. 2009 J Physiol 587:5063). Band: combination > each alone on a plasticity
    measure.

    Measure: DLPFC active-synapse density (the recurrent E->E pool) one compressed day after
    a two-day anodal tDCS course (one session a day, 0.4 s of current standing on the slow
    clock for a 30 min session), relative to the paired sham run.

    A calibration: tDCS's BDNF release (the tdcs kind's ``bdnf_release``, the BDNF a session
    adds to the DLPFC cells' trace; Fritsch et al. 2010 Neuron 66:198) was sized for this row.
    Over 5 seeds (docs/results/validation), against the paired sham: SSRI alone +5.43 +- 0.23%,
    anodal tDCS alone +0.71 +- 0.17%, both +6.16 +- 0.23%. SSRI raises density through its
    5-HT1A (GIRK) hyperpolarization of DLPFC pyramids, which drives homeostatic synapse growth;
    tDCS through the BDNF it releases. The two add: the model meets the band but has no synergy,
    and SSRI alone is not ineffective as in ref 58.
    """
    check = CHECKS["P8"]
    runs = validation_runs(*check.runs)
    assert not check.out_of_band(runs), check.measure(runs)
