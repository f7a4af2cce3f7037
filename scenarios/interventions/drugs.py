"""Drugs: SSRI, 5-HT1A agonist and antagonist, ketamine and rapamycin.

An SSRI named by its drug and dose follows one-compartment kinetics on the scenario's slow
clock (``[scenario] compressed_day``; :mod:`depnet.scenarios.interventions.pharmacokinetics`):
its level rises over days while dosed and washes out after. Ketamine's block lasts days of that
clock, and the BDNF its block makes pyramidal cells translate is theirs
(:mod:`depnet.plasticity_rules.structural`). The other drugs, and the ``generic`` SSRI (given
by its SERT occupancy), hold a constant level within their window: their kinetics (minutes to
hours) are instantaneous on the slow clock (by default one simulated second = one day of
autoreceptor desensitization and structural change).
"""

from __future__ import annotations

from brian2 import mgram, nM, second

from depnet.quantities import DAY, Parameter, format_quantity
from depnet.scenarios.interventions.base import Block, Effect, Kind, Settings, Window, hold
from depnet.scenarios.interventions.nmda_block import (
    RACEMIC_KETAMINE,
    WashoutTooLong,
    block_steps,
    washout_edges,
)
from depnet.scenarios.interventions.pharmacokinetics import DRUGS

#: Principal cells of cortex and hippocampus, and their interneurons (the raphe is left out:
#: ketamine's antidepressant action is cortical, Moghaddam et al. 1997).
PRINCIPAL = ("*_exc", "dg_granule")
INTERNEURONS = ("*_inh",)


def _check_ssri(s: Settings, given: frozenset[str]) -> None:
    # By value, not by key: a stored intervention lists every setting, defaults included.
    dosed = [k for k in ("daily_dose", "plasma_concentration") if s[k] > 0 * s[k]]
    if s["drug"] == GENERIC:
        if dosed:
            raise ValueError(f"{dosed[0]}: name the drug (drug = one of {', '.join(DRUGS)})")
        return
    if "occupancy" in given and s["occupancy"] != SSRI_OCCUPANCY.value:
        raise ValueError(
            f"occupancy: {s['drug']} is given by daily_dose or plasma_concentration; "
            "occupancy is the shortcut of drug = 'generic'"
        )
    if not dosed:
        raise ValueError(f"drug: {s['drug']} needs a daily_dose or a plasma_concentration above 0")
    if len(dosed) > 1:
        raise ValueError(
            "plasma_concentration: give a daily_dose or a plasma_concentration, not both"
        )


def _ssri_blocks(s: Settings, w: Window) -> list[Block]:
    if s["drug"] == GENERIC:
        return hold("serotonin", "ssri_occupancy", "occupancy")(s, w)
    drug = DRUGS[s["drug"]]
    # _check_ssri let exactly one of the two through above zero
    dosed = s["daily_dose"] > 0 * mgram
    plasma = drug.steady_plasma(s["daily_dose"]) if dosed else s["plasma_concentration"]
    elimination = Effect("serotonin", "ssri_elimination", drug.elimination_rate())
    dosing = (Effect("serotonin", "ssri_steady_load", drug.load(plasma)), elimination)
    blocks = [Block(w.start, w.stop, dosing)]
    if w.stop < w.duration:  # washout at the same rate after the last dose
        blocks.append(Block(w.stop, w.duration, (elimination,)))
    return blocks


#: The SSRI given by its SERT occupancy (the shortcut), not by dose.
GENERIC = "generic"
SSRI_OCCUPANCY = Parameter(
    0.8,
    "drug = generic: fixed share of SERT blocked; Meyer et al. 2004 Am J Psychiatry 161:826: "
    "~80% striatal SERT occupancy at minimum therapeutic doses of five SSRIs",
    low=0.0,
    high=1.0,
)

SSRI = Kind(
    name="ssri",
    summary=(
        "selective serotonin reuptake inhibitor: a named drug by daily oral dose or plasma "
        "level (one-compartment kinetics on the slow clock, competitive SERT binding), or "
        "'generic' by SERT occupancy"
    ),
    parameters={
        "occupancy": SSRI_OCCUPANCY,
        "daily_dose": Parameter(
            0 * mgram,
            "named drug: oral dose once a day, human; minimum therapeutic doses (Meyer et al. "
            "2004): "
            + ", ".join(
                f"{d.name} {format_quantity(d.minimum_therapeutic_dose)}" for d in DRUGS.values()
            ),
            low=0 * mgram,
        ),
        "plasma_concentration": Parameter(
            0 * nM,
            "named drug, instead of a dose: the total plasma concentration the dosing sustains",
            low=0 * nM,
        ),
    },
    blocks=_ssri_blocks,
    choices={"drug": (GENERIC, *DRUGS)},
    check=_check_ssri,
    notes=tuple(line for d in DRUGS.values() for line in d.lines()),
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


def _check_ketamine(s: Settings, given: frozenset[str]) -> None:
    # By value, not by key, as _check_ssri: a stored intervention lists every setting.
    by = s["given_by"]
    if 0 < s["dose_mg_per_kg"] < MIN_DOSE:
        raise ValueError(
            f"dose_mg_per_kg: {s['dose_mg_per_kg']:g} is below {MIN_DOSE:g}; give mg per kg as a "
            "plain number (0.5), since a Brian2 'mg/kg' has no units"
        )
    for key in ("dose_mg_per_kg", "plasma_concentration"):
        if key != by and s[key] > 0 * s[key]:
            raise ValueError(f"{key}: ketamine is given_by = '{by}'; set given_by = '{key}'")
    if by == BY_BLOCK:
        return
    if s["infusion_duration"] <= 0 * second:
        raise ValueError(f"infusion_duration: ketamine by {by} needs an infusion longer than 0 s")
    for key in SHORTCUT:
        if key in given and s[key] != KETAMINE.parameters[key].value:
            raise ValueError(
                f"{key}: ketamine given by {by} takes its block from the drug level; "
                f"{', '.join(SHORTCUT)} are the shortcut of given_by = '{BY_BLOCK}'"
            )
    try:
        washout_edges(_plasma_course(s), s["infusion_duration"])
    except WashoutTooLong as err:
        raise ValueError(f"{by}: {err}") from None


def _plasma_course(s: Settings):
    """Biological seconds from the infusion's start -> total plasma level (molar floats)."""
    infusion = s["infusion_duration"]
    if s["given_by"] == "dose_mg_per_kg":
        return lambda t: RACEMIC_KETAMINE.dose_plasma(s["dose_mg_per_kg"], infusion, t)
    return lambda t: RACEMIC_KETAMINE.held_plasma(s["plasma_concentration"], infusion, t)


def _ketamine_blocks(s: Settings, w: Window) -> list[Block]:
    # the drug's time course is in biological time, laid on the scenario's slow clock; the BDNF
    # that follows is the cells' own (structural.bdnf_translation acts on nmda_block)
    if s["given_by"] != BY_BLOCK:
        return _ketamine_dose_blocks(s, w)
    nmda_stop = min(w.stop, w.start + w.slow(s["nmda_duration"]))
    block = [Effect(p, "nmda_block", s["block_interneurons"]) for p in INTERNEURONS]
    block += [Effect(p, "nmda_block", s["block_principal"]) for p in PRINCIPAL]
    return [Block(w.start, nmda_stop, tuple(block))]


def _ketamine_dose_blocks(s: Settings, w: Window) -> list[Block]:
    if s[s["given_by"]] <= 0 * s[s["given_by"]]:
        return []  # no drug: nothing to block, and no epochs used
    to_simulated = float(w.day / DAY)

    def snap(t: float) -> float:
        # an edge on the protocol grid, from the dose's start (so that rounding does not add
        # up), and the biological time that grid point stands for
        return float(w.slow(t * second) / second) / to_simulated

    end = float((w.stop - w.start) / second) / to_simulated
    steps = block_steps(_plasma_course(s), s["infusion_duration"], snap=snap, end=end)
    if not steps:
        raise ValueError(
            f"{s['given_by']}: ketamine's block lasts less than one protocol step on a slow "
            f"clock of {format_quantity(w.day)} a day; use a longer compressed_day"
        )
    blocks = []
    for step in steps:
        start = w.start + w.slow(step.start * second)
        stop = w.start + w.slow(step.stop * second)
        effects = [Effect(p, "nmda_block", step.block["interneurons"]) for p in INTERNEURONS]
        effects += [Effect(p, "nmda_block", step.block["principal"]) for p in PRINCIPAL]
        blocks.append(Block(start, stop, tuple(effects)))
    return blocks


#: Smallest dose in mg per kg that a scenario may give (below it, a 'mg/kg' quantity was
#: most likely written, which Brian2 reads as a plain 1e-6).
MIN_DOSE = 1e-3
#: The settings that give ketamine's block without a dose.
SHORTCUT = ("block_interneurons", "block_principal", "nmda_duration")
#: Ketamine given by its block (the shortcut), the default of ``given_by``.
BY_BLOCK = "block"

KETAMINE = Kind(
    name="ketamine",
    summary=(
        "subanaesthetic ketamine: NMDA block, stronger on interneurons (disinhibition); blocked "
        "cells with structural plasticity (pyramidal ones) make BDNF, which drives "
        "mTOR-dependent synapse formation. given_by: its block (the shortcut, default), an i.v. "
        "dose or a plasma level (one-compartment kinetics on the slow clock, channel block with "
        "IC50s in Mg2+)"
    ),
    parameters={
        "dose_mg_per_kg": Parameter(
            0.0,
            "given_by = 'dose_mg_per_kg': human i.v. dose in mg per kg, a plain number (0: no "
            "drug); the "
            f"antidepressant dose is {RACEMIC_KETAMINE.antidepressant_dose:g} mg/kg over 40 min "
            "(Berman et al. 2000 Biol Psychiatry 47:351; Zarate et al. 2006 Arch Gen Psychiatry "
            "63:856)",
            low=0.0,
            high=10.0,
        ),
        "plasma_concentration": Parameter(
            0 * nM,
            "given_by = 'plasma_concentration': the total plasma level a target-controlled "
            "infusion holds over infusion_duration, washed out after",
            low=0 * nM,
        ),
        "infusion_duration": Parameter(
            RACEMIC_KETAMINE.antidepressant_infusion,
            "by dose or plasma level: how long the infusion runs (biological time, on the slow "
            "clock); 40 min in Berman et al. 2000 and Zarate et al. 2006",
            low=0 * second,
        ),
        "block_interneurons": Parameter(
            0.6,
            "shortcut: fast-spiking interneurons depend more on NMDA drive and lose firing first "
            "(Homayoun & Moghaddam 2007 J Neurosci 27:11496, VALIDATION.md P4); chosen, far "
            "above the ~0.08 the antidepressant dose gives by its kinetics",
            low=0.0,
            high=1.0,
        ),
        "block_principal": Parameter(
            0.15,
            "shortcut: chosen, weaker block on pyramidal cells at low doses; times "
            "plasticity.<population>.bdnf_translation, the BDNF they make",
            low=0.0,
            high=1.0,
        ),
        "nmda_duration": Parameter(
            2 * DAY,
            "shortcut: chosen, the acute block, 2 days on the slow clock (2 s at the default), "
            "long enough in simulated time to see the delayed pyramidal rise; ketamine's plasma "
            "half-life is ~2-3 h, so the block lasts far longer than a dose's (a limitation; "
            "the dose route's block lasts hours)",
            low=0 * second,
        ),
    },
    blocks=_ketamine_blocks,
    choices={"given_by": (BY_BLOCK, "dose_mg_per_kg", "plasma_concentration")},
    check=_check_ketamine,
    notes=tuple(RACEMIC_KETAMINE.lines()),
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
