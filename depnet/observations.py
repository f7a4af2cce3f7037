"""The published observations the model is checked against (VALIDATION.md), as data.

Each row has the id that parameters, tests and reports cite (``R1``, ``C5``, ``P8``), what was
observed, the band a model run must fall in, its source, and where the model checks it. Whether a
row is a *calibration* (a parameter was sized so that it passes) or *held-out* is not stated here:
it is read off the parameters that name it (:attr:`depnet.quantities.Parameter.calibrated_to`,
``[scenario] calibrated_to``) by :func:`depnet.scenarios.calibration.row_labels`.

The table is VALIDATION.md's (kept beside the repository, ``../shared/VALIDATION.md``), abridged;
"[check]" marks a number recalled rather than read in the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from depnet.errors import ScenarioError

#: How the model treats a row: ``checked`` by a test against its band; ``input`` when the row's
#: numbers are a parameter's literature value rather than an outcome; ``reported`` for contested
#: rows (the measure is reported, no direction asserted); ``limitation`` when the model is run
#: and measured for the row but does not reproduce it (a listed limitation, its band not
#: claimed); ``not checked`` yet.
Status = Literal["checked", "input", "reported", "limitation", "not checked"]


@dataclass(frozen=True)
class Observation:
    """One row of VALIDATION.md.

    Parameters
    ----------
    id
        The row's id: R (raphe and serotonin), C (cortex, hippocampus, DMN), P (plasticity and
        treatments) and a number; ``frame`` for the [5-HT] reference frame that VALIDATION.md
        asks the model to pick.
    observation, band, source
        What was observed, what a model run must give, and where it was published.
    status
        How the model treats the row (:data:`Status`).
    checked_in
        The tests that check it (``tests/...``), or why it is not checked.
    """

    id: str
    observation: str
    band: str
    source: str
    status: Status
    checked_in: str


_ROWS = (
    Observation(
        "frame", "basal extracellular 5-HT in the chosen reference frame (VALIDATION.md's "
        "preamble: pick voltammetry or microdialysis)",
        "FSCAV voltammetry: ~65 nM basal in hippocampus",
        "Abdalla et al. 2017",
        "checked", "tests/validation/test_healthy_baseline.py",
    ),
    Observation(
        "R1", "DRN 5-HT neurons fire slowly and regularly, awake",
        "mean 0.5-3 Hz; >= 80% of cells with ISI CV < 0.5",
        "Lydic, McCarley & Hobson 1984 Am J Physiol 247:R135; Mlinar et al. 2016",
        "checked", "tests/validation/test_healthy_baseline.py",
    ),
    Observation(
        "R2", "acute SSRI suppresses DRN firing via 5-HT1A autoreceptors",
        "firing falls by 40-100% at high SERT occupancy",
        "Czachura & Rasmussen 2000 Naunyn-Schmiedeberg's 362:266",
        "checked", "tests/validation/test_serotonin_pharmacology.py",
    ),
    Observation(
        "R3", "chronic SSRI: firing recovers as autoreceptors desensitize; 5-HT stays raised",
        "firing back within 25% of baseline; [5-HT] >= acute level",
        "Czachura & Rasmussen 2000; Le Poul et al. 1995",
        "checked", "tests/validation/test_serotonin_pharmacology.py",
    ),
    Observation(
        "R4", "5-HT1A agonist (8-OH-DPAT) silences DRN; antagonist (WAY-100635) reverses",
        ">= 90% suppression at full agonist occupancy; reversal to within 20% of baseline",
        "Martin-Ruiz et al. 2001 J Neurosci 21:9856",
        "checked", "tests/validation/test_serotonin_pharmacology.py",
    ),
    Observation(
        "R5", "after chronic SSRI the agonist's EC50 for inhibiting firing shifts right",
        "EC50 ratio 2.5-6 (10.7 -> 46.2 nM reported)",
        "chronic paroxetine 10 mg/kg 21 d (abstract; confirm authors)",
        "checked", "tests/validation/test_serotonin_pharmacology.py (slow)",
    ),
    Observation(
        "R6", "SSRI raises extracellular 5-HT, dose-dependently",
        "hippocampus +50% to +250%; order raphe > hippocampus > frontal cortex",
        "Invernizzi et al. 1995 Brain Res; Malagie et al. 1995 Eur J Pharmacol 286:213",
        "checked", "tests/validation/test_serotonin_pharmacology.py",
    ),
    Observation(
        "R7", "SERT kinetics and SSRI occupancy: Km ~60 nM, competitive SSRI block; ~80% SERT "
        "occupancy at minimum therapeutic doses, rising hyperbolically with dose",
        "Km ~ 60 nM (an input: serotonin.km_sert); competitive block; mean occupancy 76-85% "
        "at the minimum therapeutic dose of each SSRI",
        "Best, Nijhout & Reed 2010 Theor Biol Med Model 7:34; Meyer et al. 2004 Am J "
        "Psychiatry 161:826 ([11C]DASB PET after 4 weeks)",
        "checked", "tests/validation/test_serotonin_pharmacology.py (slow; SSRIs by dose, "
        "depnet.scenarios.interventions.pharmacokinetics)",
    ),
    Observation(
        "C1", "PFC baseline rates, awake rat",
        "pyramidal 1-5 Hz; fast-spiking interneurons 10-20 Hz",
        "Homayoun & Moghaddam 2007 J Neurosci 27:11496 [check]",
        "checked", "tests/validation/test_healthy_baseline.py",
    ),
    Observation(
        "C2", "MDD as slower glutamate decay in sgACC: sustained activity that DLPFC cannot "
        "switch off; graded mild/moderate/severe",
        "the switching failure and its rescue by SSRI-like hyperpolarization and ~130 Hz DBS "
        "onto sgACC interneurons",
        "Ramirez-Mahaluf, Roxin, Mayberg & Compte 2017 Cereb Cortex 27:660",
        "checked", "tests/validation/test_switching.py (in scenarios/sgacc_switching.toml's "
        "own sgACC column)",
    ),
    Observation(
        "C3", "5-HT level and PFC working memory follow an inverted U",
        "qualitative: too little and too much 5-HT both degrade a delay-activity measure",
        "Cano-Colino et al. 2013 Cereb Cortex",
        "limitation", "tests/validation/test_delay_activity.py: a cue into a selective group "
        "of DLPFC pyramids leaves no delay activity at any 5-HT level (the shared column has "
        "no attractor), so there is no inverted U",
    ),
    Observation(
        "C4", "hippocampal rhythms",
        "theta peak 6-10 Hz in CA1 population activity; slow gamma 25-50 Hz above a shuffled "
        "baseline",
        "Colgin et al. 2009 Nature [check]",
        "checked", "tests/validation/test_healthy_baseline.py",
    ),
    Observation(
        "C5", "hippocampal volume in MDD is smaller, modestly",
        "grey-matter proxy (active-synapse density) -1% to -7% vs healthy",
        "Schmaal et al. 2016 Mol Psychiatry 21:806; Espinoza Oyarce et al. 2020",
        "checked", "tests/validation/test_treatments.py",
    ),
    Observation(
        "C6", "DMN connectivity in MDD",
        "CONTESTED: hyper- vs slightly reduced connectivity; report the index, no direction",
        "Greicius et al. 2007 [check]; REST-meta-MDD (g = -0.25)",
        "reported", "docs/results/clinical_readouts (DMN BOLD FC over seeds)",
    ),
    Observation(
        "P1", "additive STDP with many Poisson inputs gives a bimodal weight distribution",
        "bimodal: >= 80% of weights within 10% of a bound",
        "Song, Miller & Abbott 2000 Nat Neurosci 3:919",
        "checked", "tests/test_stdp.py",
    ),
    Observation(
        "P2", "homeostatic structural plasticity reaches the set-point rate",
        "rate within 20% of set point; Ca and element counts within 1% of the exact solution",
        "Butz & van Ooyen 2013 PLoS Comput Biol 9:e1003259; NEST test_growth_curves.py",
        "checked", "tests/test_structural_plasticity.py",
    ),
    Observation(
        "P3", "chronic stress shrinks PFC spines and retracts dendrites",
        "PFC active-synapse density -5% to -30%",
        "Radley et al. 2006 [check]; Li et al. 2011 Biol Psychiatry",
        "checked", "tests/validation/test_treatments.py",
    ),
    Observation(
        "P4", "ketamine: NMDA block lowers interneuron firing, later raises pyramidal firing",
        "interneurons down, pyramidal up after a delay",
        "Homayoun & Moghaddam 2007; Moghaddam et al. 1997 J Neurosci 17:2921",
        "checked", "tests/validation/test_treatments.py",
    ),
    Observation(
        "P5", "ketamine raises mPFC spine synapses via mTOR; rapamycin blocks it; spines stay "
        "raised for up to 2 weeks through more formation",
        "density +10% to +50%; with rapamycin the rise is < 25% of the unblocked rise",
        "Li et al. 2010 Science 329:959 [check magnitude/time]; Phoumthipphavong et al. 2016 "
        "eNeuro",
        "checked", "tests/validation/test_treatments.py",
    ),
    Observation(
        "P6", "rTMS rewires networks through homeostatic structural plasticity; feedback "
        "inhibition blunts it",
        "10 Hz stimulation changes DLPFC connectivity; stronger inhibition -> smaller change",
        "Anil, Lu, Rotter & Vlachos 2023 PLoS Comput Biol 19:e1011027",
        "limitation", "tests/validation/test_stimulation.py: two daily sessions lower DLPFC "
        "recurrent connectivity by less than the -10% the row asks (stronger inhibition "
        "blunts it)",
    ),
    Observation(
        "P7", "5-HT7 -> MMP-9 remodels spines; its activation induced depressive-like behaviour",
        "CONTESTED sign: the mechanism is a parameter; no claim that it is antidepressant",
        "Bijata et al. 2017 Cell Rep; Bijata et al. 2022 Cell Rep 38:110532",
        "reported", "tests/test_structural_plasticity.py (both signs run)",
    ),
    Observation(
        "P8", "SSRI + anodal tDCS improves memory while either alone does not",
        "combination > each alone on a plasticity / delay-activity measure",
        "seed editorial ref 58",
        "checked", "tests/validation/test_combination.py",
    ),
    Observation(
        "P9", "depressed subjects show reduced PAS-induced plasticity in DLPFC",
        "PAS response in the MDD scenario < healthy",
        "seed editorial ref 38",
        "checked", "tests/validation/test_treatments.py",
    ),
    Observation(
        "P10", "ECT/rTMS raise hippocampal volume",
        "ECT SMD 1.10; rTMS: no quantitative source",
        "Wilkinson et al. 2017",
        "limitation", "tests/validation/test_stimulation.py: the model's ECT leaves "
        "hippocampal synapse density unchanged (within the seeds' spread); rTMS onto the "
        "hippocampus not modelled",
    ),
)  # fmt: skip

#: Every row by id, in VALIDATION.md's order.
OBSERVATIONS: dict[str, Observation] = {row.id: row for row in _ROWS}


def check_row_ids(ids: tuple[str, ...] | list[str], what: str) -> tuple[str, ...]:
    """``ids`` as a tuple if each names a row of :data:`OBSERVATIONS`, else a one-line error
    naming ``what`` cites it.

    Raises
    ------
    ScenarioError
        If an id is not a row.
    """
    unknown = [i for i in ids if i not in OBSERVATIONS]
    if unknown:
        raise ScenarioError(
            f"{what}: {', '.join(map(repr, unknown))} is not a VALIDATION row "
            f"(rows: {', '.join(OBSERVATIONS)})"
        )
    return tuple(ids)
