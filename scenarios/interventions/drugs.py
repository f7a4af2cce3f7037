"""Drugs: SSRI, 5-HT1A agonist and antagonist, ketamine and rapamycin.

Drug kinetics (minutes to hours) are instantaneous on the compressed time of the slow processes
(one simulated second = one day of autoreceptor desensitization and structural change), so a
drug's effect holds at a constant level within its window.
"""

from __future__ import annotations

from brian2 import nM, second

from depnet.quantities import Parameter
from depnet.scenarios.interventions.base import Block, Effect, Kind, Settings, Window, hold

#: Principal cells of cortex and hippocampus, and their interneurons (the raphe is left out:
#: ketamine's antidepressant action is cortical, Moghaddam et al. 1997).
PRINCIPAL = ("*_exc", "dg_granule")
INTERNEURONS = ("*_inh",)


SSRI = Kind(
    name="ssri",
    summary="selective serotonin reuptake inhibitor: blocks a fraction of SERT",
    parameters={
        "occupancy": Parameter(
            0.8,
            "Meyer et al. 2004 Am J Psychiatry 161:826: ~80% striatal SERT occupancy at minimum "
            "therapeutic doses of five SSRIs",
            low=0.0,
            high=1.0,
        )
    },
    blocks=hold("serotonin", "ssri_occupancy", "occupancy"),
)

AGONIST_5HT1A = Kind(
    name="agonist_5ht1a",
    summary="full 5-HT1A agonist (8-OH-DPAT-like) at the receptors",
    parameters={
        "concentration": Parameter(
            10 * nM, "chosen: ~10 x Ki, near-full occupancy (VALIDATION.md R4)", low=0 * nM
        )
    },
    blocks=hold("serotonin", "agonist_5ht1a", "concentration"),
)

ANTAGONIST_5HT1A = Kind(
    name="antagonist_5ht1a",
    summary="silent 5-HT1A antagonist (WAY-100635-like) at the receptors",
    parameters={
        "concentration": Parameter(
            10 * nM, "chosen: ~10 x Ki (Martin-Ruiz et al. 2001 J Neurosci 21:9856)", low=0 * nM
        )
    },
    blocks=hold("serotonin", "antagonist_5ht1a", "concentration"),
)


def _ketamine_blocks(s: Settings, w: Window) -> list[Block]:
    nmda_stop = min(w.stop, w.start + s["nmda_duration"])
    bdnf_start = min(w.stop, w.start + s["bdnf_delay"])
    bdnf_stop = min(w.stop, bdnf_start + s["bdnf_duration"])
    block = [Effect(p, "nmda_block", s["block_interneurons"]) for p in INTERNEURONS]
    block += [Effect(p, "nmda_block", s["block_principal"]) for p in PRINCIPAL]
    blocks = [Block(w.start, nmda_stop, tuple(block))]
    if bdnf_stop > bdnf_start:
        pulse = Effect("structural", "bdnf_external", s["bdnf_pulse"], op="add")
        blocks.append(Block(bdnf_start, bdnf_stop, (pulse,)))
    return blocks


KETAMINE = Kind(
    name="ketamine",
    summary=(
        "subanaesthetic ketamine: NMDA block, stronger on interneurons (disinhibition), then a "
        "BDNF pulse that drives mTOR-dependent synapse formation"
    ),
    parameters={
        "block_interneurons": Parameter(
            0.6,
            "chosen: fast-spiking interneurons depend more on NMDA drive and lose firing first "
            "(Homayoun & Moghaddam 2007 J Neurosci 27:11496, VALIDATION.md P4)",
            low=0.0,
            high=1.0,
        ),
        "block_principal": Parameter(
            0.15, "chosen: weaker block on pyramidal cells at low doses", low=0.0, high=1.0
        ),
        "nmda_duration": Parameter(
            2 * second,
            "chosen: the acute block, long enough in simulated time to see the delayed "
            "pyramidal rise; ketamine's plasma half-life is ~2-3 h",
            low=0 * second,
        ),
        "bdnf_delay": Parameter(
            0 * second,
            "chosen: BDNF release follows the glutamate surge within the first hour (Autry et "
            "al. 2011 Nature 475:91), instantaneous on the compressed day",
            low=0 * second,
        ),
        "bdnf_duration": Parameter(
            1 * second,
            "chosen: one compressed day, the window of mTOR signalling and spine formation "
            "after one dose (Li et al. 2010 Science 329:959)",
            low=0 * second,
        ),
        "bdnf_pulse": Parameter(
            2.0,
            "chosen: evoked BDNF, in units of the basal activity-dependent level; sized for "
            "P5's +10-50% density (calibration, seed 1: +12% DLPFC density one compressed day "
            "after the dose; 1.5 gave +8.7%)",
            low=0.0,
            calibrated_to=("P5",),
        ),
    },
    blocks=_ketamine_blocks,
)

RAPAMYCIN = Kind(
    name="rapamycin",
    summary="mTOR inhibitor: blocks activity- and BDNF-driven synapse formation",
    parameters={
        "mtor_block": Parameter(
            0.9,
            "chosen: rapamycin pretreatment abolished ketamine's spine increase (Li et al. 2010 "
            "Science 329:959); P5 asks < 25% of the unblocked rise",
            low=0.0,
            high=1.0,
        )
    },
    blocks=hold("structural", "mtor_block", "mtor_block"),
)

KINDS = (SSRI, AGONIST_5HT1A, ANTAGONIST_5HT1A, KETAMINE, RAPAMYCIN)
