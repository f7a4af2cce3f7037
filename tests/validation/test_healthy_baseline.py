"""The healthy whole circuit against published baseline observations (VALIDATION.md).

One 5 s run of scenarios/healthy.toml at scale 1 (~7,000 neurons) on cpp, seed 1, measured after
its 1 s warmup. The measures and bands are those of ``depnet validation``
which runs the same rows over 5 seeds; rows marked calibration there had a parameter sized for
them (``depnet params --rows``).
"""

from __future__ import annotations

import pytest

from depnet.validation import CHECKS


@pytest.fixture(scope="module")
def baseline(validation_runs):
    return validation_runs("baseline")


def test_raphe_5ht_cells_fire_slowly_and_regularly(baseline):
    """R1: DRN 5-HT cells fire at 0.5-3 Hz awake (Lydic, McCarley & Hobson 1984 Am J Physiol
    247:R135) and >= 80% have ISI CV < 0.5 (Mlinar et al. 2016: 97% in slices). A calibration:
    the raphe's drive was sized for it."""
    assert not CHECKS["R1"].out_of_band(baseline)


def test_prefrontal_pyramids_and_interneurons_fire_at_awake_rates(baseline):
    """C1: DLPFC and sgACC pyramidal cells 1-5 Hz, fast-spiking interneurons 10-20 Hz in the
    awake rat (Homayoun & Moghaddam 2007 J Neurosci 27:11496). A calibration: the local weights
    and backgrounds were tuned for it."""
    assert not CHECKS["C1"].out_of_band(baseline)


def test_basal_serotonin_sits_in_the_voltammetry_frame(baseline):
    """The model's 5-HT frame is FSCAV voltammetry: basal hippocampal [5-HT] ~65 nM (Abdalla et
    al. 2017), not microdialysis (~0.8 nM, Yang et al. 2013). Band: within a factor of 2 of
    65 nM (32.5-130 nM); raphe > CA1 > DLPFC (somatodendritic release in the raphe)."""
    assert not CHECKS["frame"].out_of_band(baseline)


def test_ca1_population_activity_peaks_in_theta_and_carries_slow_gamma(baseline):
    """C4: CA1 population activity has its theta peak at 6-10 Hz and slow-gamma (25-50 Hz) power
    above twice a shuffled baseline (Colgin et al. 2009 Nature 462:353), below theta's. The
    baseline rotates each cell's spike train by a random offset: rates and ISIs kept,
    cross-cell timing destroyed. The theta peak follows the 8 Hz septal drive (a calibration)."""
    assert not CHECKS["C4"].out_of_band(baseline)
