"""Traits: properties of the subject that modify any scenario, present for the whole run.

Declared in a scenario's ``[traits]`` table (``bdnf_val66met = "met/met"``).
"""

from __future__ import annotations

from depnet.scenarios.interventions.base import Block, Effect, Kind, Settings

#: Activity-dependent BDNF release relative to Val/Val: Met reduces regulated secretion
#: (Egan et al. 2003 Cell 112:257, ~30% in Met/Met neurons; chosen halfway for Val/Met).
BDNF_RELEASE = {"val/val": 1.0, "val/met": 0.85, "met/met": 0.7}
#: 5-HT1A autoreceptor expression relative to C/C: the G allele of C(-1019)G removes
#: NUDR/Deaf-1 repression (Lemonde et al. 2003 J Neurosci 23:8788); magnitudes chosen.
AUTORECEPTOR_EXPRESSION = {"c/c": 1.0, "c/g": 1.25, "g/g": 1.5}
#: Baseline hippocampal (CA3 -> CA1) synapse density after early-life stress, relative to none:
#: chosen within the -1% to -7% of hippocampal volume in MDD (VALIDATION.md C5).
EARLY_LIFE_DENSITY = {"none": 1.0, "moderate": 0.97, "severe": 0.94}


BDNF_VAL66MET = Kind(
    name="bdnf_val66met",
    summary="BDNF Val66Met: Met carriers release less activity-dependent BDNF, so exercise and "
    "ketamine form fewer synapses",
    parameters={},
    choices={"genotype": tuple(BDNF_RELEASE)},
    blocks=lambda s, w: [
        Block(w.start, w.stop, (Effect("plastic", "g_bdnf", BDNF_RELEASE[s["genotype"]], "scale"),))
    ],
    trait=True,
)

HTR1A_C1019G = Kind(
    name="htr1a_c1019g",
    summary="5-HT1A promoter C(-1019)G: the G allele over-expresses raphe autoreceptors "
    "(stronger self-inhibition)",
    parameters={},
    choices={"genotype": tuple(AUTORECEPTOR_EXPRESSION)},
    blocks=lambda s, w: [],
    regions=lambda s: ("drn",),
    trait=True,
)

EARLY_LIFE_STRESS = Kind(
    name="early_life_stress",
    summary="early-life stress: lower baseline hippocampal synapse density",
    parameters={},
    choices={"severity": tuple(EARLY_LIFE_DENSITY)},
    blocks=lambda s, w: [],
    trait=True,
)


def trait_overrides(name: str, settings: Settings) -> dict[str, float]:
    """Parameter factors of a trait, present for the whole run: initial values of the network,
    not its structure (what the scenario's other parameters are)."""
    if name == "early_life_stress":
        return {"projections.ca3_exc_to_ca1_exc.density": EARLY_LIFE_DENSITY[settings["severity"]]}
    if name == "htr1a_c1019g":
        return {"drn_5ht.g_girk_max": AUTORECEPTOR_EXPRESSION[settings["genotype"]]}
    return {}


KINDS = (BDNF_VAL66MET, HTR1A_C1019G, EARLY_LIFE_STRESS)
