"""The serotonin system: per-region extracellular [5-HT], SERT clearance and receptor occupancy.

Reference frame: fast-scan adsorption voltammetry (FSCAV), where basal extracellular 5-HT is
~65 nM (64.9 nM in mouse hippocampus, Abdalla et al. 2017 Anal Chem). Microdialysis reports
~0.8 nM (Yang et al. 2013), about 80 times less; all concentrations here are in the FSCAV frame.

Each region is one row of a compartment group. Raphe 5-HT spikes raise [5-HT] in every region in
proportion to its innervation density (volume transmission); SERT clears it with Michaelis-Menten
kinetics, and an SSRI blocks a fraction ``ssri_occupancy`` of the transporters. Receptor
occupancy is a Hill function of [5-HT], read by neurons through linked variables.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
from brian2 import nM, second

from depnet.quantities import Parameter

COMPARTMENT_EQUATIONS = """
dc_5ht/dt = -vmax_sert * (1 - ssri_occupancy) * c_5ht / (km_sert + c_5ht) : mmolar
occupancy_5ht1a = (c_5ht / ec50_5ht1a)**hill_5ht1a / (1 + (c_5ht / ec50_5ht1a)**hill_5ht1a) : 1
occupancy_5ht7 = (c_5ht / ec50_5ht7)**hill_5ht7 / (1 + (c_5ht / ec50_5ht7)**hill_5ht7) : 1
innervation : 1 (constant)
release_per_spike : mmolar (shared, constant)
vmax_sert : mmolar / second (shared, constant)
km_sert : mmolar (shared, constant)
ssri_occupancy : 1 (shared, constant)
ec50_5ht1a : mmolar (shared, constant)
ec50_5ht7 : mmolar (shared, constant)
hill_5ht1a : 1 (shared, constant)
hill_5ht7 : 1 (shared, constant)
"""

PARAMETERS: dict[str, Parameter] = {
    "km_sert": Parameter(
        60 * nM,
        "Best, Nijhout & Reed 2010 Theor Biol Med Model 7:34 (VALIDATION.md R7)",
        low=0.001 * nM,
    ),
    "vmax_sert": Parameter(
        180 * nM / second,
        "chosen: linearized clearance time constant (km + c)^2 / (vmax * km) ~1.5 s around basal "
        "[5-HT], the seconds-scale clearance seen with in vivo chronoamperometry (Daws et al. "
        "1998 Ann NY Acad Sci 861:217)",
        low=0 * nM / second,
    ),
    "release_per_spike": Parameter(
        0.5 * nM,
        "chosen: puts basal PFC [5-HT] near the FSCAV basal level of ~65 nM (Abdalla et al. "
        "2017) with 100 5-HT cells firing at ~1.8 Hz; divided by the scale so [5-HT] does not "
        "grow with network size",
        low=0 * nM,
    ),
    "ssri_occupancy": Parameter(
        0.0, "chosen: no SSRI; fraction of SERT blocked (0.8 = clinical dose)", low=0.0, high=1.0
    ),
    "ec50_5ht1a": Parameter(
        80 * nM,
        "chosen: places basal 5-HT1A occupancy near 0.4 in the FSCAV frame",
        low=0.001 * nM,
    ),
    "ec50_5ht7": Parameter(
        150 * nM, "chosen: 5-HT7 less occupied than 5-HT1A at basal [5-HT]", low=0.001 * nM
    ),
    "hill_5ht1a": Parameter(1.0, "chosen: single-site binding", low=0.1, high=10.0),
    "hill_5ht7": Parameter(1.0, "chosen: single-site binding", low=0.1, high=10.0),
    "c_5ht_initial": Parameter(
        70 * nM,
        "chosen: between the basal PFC (~65 nM) and raphe (~110 nM) steady states, so short runs "
        "start nearly settled",
        low=0 * nM,
    ),
}

#: Relative 5-HT innervation density per region (release per raphe spike scales with it).
INNERVATION: dict[str, Parameter] = {
    "drn": Parameter(
        1.3,
        "chosen: somatodendritic release makes raphe [5-HT] the highest (R6 order); kept low "
        "enough that raphe SERT is not saturated at basal firing (basal ~110 nM)",
        low=0.0,
    ),
    "pfc": Parameter(1.0, "chosen: reference region", low=0.0),
}

_SHARED = (
    "release_per_spike vmax_sert km_sert ssri_occupancy ec50_5ht1a ec50_5ht7 "
    "hill_5ht1a hill_5ht7".split()
)


def make_compartments(
    regions: list[str],
    values: dict[str, b2.Quantity | float],
    innervation: dict[str, float],
    n_5ht_at_scale_1: int,
    n_5ht: int,
) -> b2.NeuronGroup:
    """One [5-HT] compartment per region, in the order of ``regions``."""
    group = b2.NeuronGroup(len(regions), COMPARTMENT_EQUATIONS, method="euler", name="serotonin")
    for key in _SHARED:
        setattr(group, key, values[key])
    # Release per spike is defined for the scale-1 raphe: keep total release per second
    # independent of how many 5-HT cells the scaled network has.
    group.release_per_spike = values["release_per_spike"] * (n_5ht_at_scale_1 / n_5ht)
    group.innervation = np.array([float(innervation[r]) for r in regions])
    group.c_5ht = values["c_5ht_initial"]
    return group


def make_release(raphe_5ht: b2.NeuronGroup, compartments: b2.NeuronGroup) -> b2.Synapses:
    """Volume transmission: every 5-HT spike adds to every region's [5-HT] by its innervation."""
    release = b2.Synapses(
        raphe_5ht,
        compartments,
        on_pre="c_5ht_post += release_per_spike_post * innervation_post",
        name="serotonin_release",
    )
    release.connect()
    return release


def link_occupancy(group: b2.NeuronGroup, compartments: b2.NeuronGroup, region_row: int) -> None:
    """Point a population's receptor occupancies at its region's compartment."""
    index = np.full(len(group), region_row, dtype=int)  # brian2 wants the default int
    group.occupancy_5ht1a = b2.linked_var(compartments, "occupancy_5ht1a", index=index)
    group.occupancy_5ht7 = b2.linked_var(compartments, "occupancy_5ht7", index=index)
