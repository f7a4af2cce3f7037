"""Chronic stress (the MDD state), slowed sgACC glutamate clearance, and exercise."""

from __future__ import annotations

from brian2 import pA

from depnet.quantities import Parameter
from depnet.scenarios.interventions.base import Block, Effect, Kind, Settings, Window, hold

#: Structural targets by region group: stress prunes PFC spines and lowers their BDNF more than it
#: shrinks the hippocampus (VALIDATION.md P3 -5% to -30% vs C5 -1% to -7%).
CORTEX = ("dlpfc_*", "sgacc_*", "pcc_*", "mpfc_*")
HIPPOCAMPUS = ("dg_*", "ca3_*", "ca1_*")


def _stress_blocks(s: Settings, w: Window) -> list[Block]:
    structural = [
        effect
        for patterns, pruning, bdnf_loss in (
            (CORTEX, s["pruning"], s["bdnf_loss"]),
            (HIPPOCAMPUS, s["pruning_hippocampus"], s["bdnf_loss_hippocampus"]),
        )
        for p in patterns
        for effect in (
            Effect(f"structural.{p}", "stress", pruning),
            Effect(f"structural.{p}", "bdnf_external", -bdnf_loss, op="add"),
        )
    ]
    effects = (
        *structural,
        Effect("plastic", "eta", s["ltp_scale"], op="scale"),
        Effect("drn_5ht", "I_stim", -s["raphe_current_loss"], op="add"),
    )
    return [Block(w.start, w.stop, effects)]


CHRONIC_STRESS = Kind(
    name="chronic_stress",
    summary=(
        "chronic stress: glucocorticoid-driven pruning, less BDNF, impaired LTP and "
        "TNF-alpha-driven loss of raphe 5-HT excitability"
    ),
    parameters={
        "pruning": Parameter(
            3.0,
            "chosen: factor on weight-dependent pruning in cortex (structural `stress`); "
            "glucocorticoid and microglia-driven elimination of weak spines (Radley et al. 2006; "
            "Li et al. 2011 Biol Psychiatry); sized for P3's -5% to -30% PFC density",
            low=1.0,
            calibrated_to=("P3",),
        ),
        "pruning_hippocampus": Parameter(
            1.2,
            "chosen: milder in the hippocampus, whose volume falls only 1-7% in MDD (Schmaal et "
            "al. 2016 Mol Psychiatry 21:806: -1.24%; VALIDATION.md C5), though CA3 dendrites "
            "retract under chronic stress (Magarinos & McEwen 1995 Neuroscience 69:89); with "
            "bdnf_loss_hippocampus sized for C5 (CA1 density -4.1% after 7 compressed days)",
            low=1.0,
            calibrated_to=("C5",),
        ),
        "bdnf_loss": Parameter(
            0.3,
            "chosen: BDNF falls in hippocampus and PFC under chronic stress (Duman & Monteggia "
            "2006 Biol Psychiatry 59:1116); in units of the basal activity-dependent level; "
            "cortex (the hippocampus has its own, bdnf_loss_hippocampus)",
            low=0.0,
            high=1.0,
        ),
        "bdnf_loss_hippocampus": Parameter(
            0.15,
            "chosen: stress lowers hippocampal BDNF mRNA (Smith et al. 1995 J Neurosci 15:1768), "
            "here half the cortical loss so that hippocampal grey matter falls only modestly "
            "(VALIDATION.md C5: -1% to -7%; CA1 density -4.1% with pruning_hippocampus 1.2, "
            "against -7.5% at 1.5 and 0.3); in units of the basal activity-dependent level",
            low=0.0,
            high=1.0,
            calibrated_to=("C5",),
        ),
        "ltp_scale": Parameter(
            0.5,
            "chosen: chronic stress impairs LTP in hippocampus and PFC (Kim & Diamond 2002 Nat "
            "Rev Neurosci 3:453; Cerqueira et al. 2007 J Neurosci 27:2781); factor on STDP eta",
            low=0.0,
            high=1.0,
        ),
        "raphe_current_loss": Parameter(
            4 * pA,
            "chosen: hyperpolarizing current standing for the TNF-alpha-driven loss of 5-HT "
            "neuron excitability (raised SERT activity and reduced firing under inflammation, "
            "Zhu et al. 2010 Neuropsychopharmacology 35:2510)",
            low=0 * pA,
        ),
    },
    blocks=_stress_blocks,
    regions=lambda s: ("drn",),
)

#: tau_AMPA factors of Ramirez-Mahaluf et al. 2017 (VALIDATION.md C2): +2.5/5/7.5%.
SEVERITY = {"mild": 1.025, "moderate": 1.05, "severe": 1.075}

SGACC_GLUTAMATE = Kind(
    name="sgacc_glutamate_decay",
    summary=(
        "MDD as slower glutamate clearance in subgenual ACC: longer AMPA decay there "
        "(Ramirez-Mahaluf et al. 2017 Cereb Cortex 27:660)"
    ),
    parameters={},
    choices={"severity": ("moderate", "mild", "severe")},
    blocks=lambda s, w: [
        Block(
            w.start,
            w.stop,
            tuple(
                Effect(p, "tau_ampa", SEVERITY[s["severity"]], op="scale")
                for p in ("sgacc_exc", "sgacc_inh")
            ),
        )
    ],
    regions=lambda s: ("sgacc",),
)

EXERCISE = Kind(
    name="exercise",
    summary="exercise / enriched environment: activity-dependent BDNF up",
    parameters={
        "bdnf_gain": Parameter(
            0.3,
            "chosen: voluntary running raises hippocampal BDNF (Cotman & Berchtold 2002 Trends "
            "Neurosci 25:295); in units of the basal activity-dependent level",
            low=0.0,
        )
    },
    blocks=hold("structural", "bdnf_external", "bdnf_gain", op="add"),
)

KINDS = (CHRONIC_STRESS, SGACC_GLUTAMATE, EXERCISE)
