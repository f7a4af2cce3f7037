"""The serotonin system: per-region extracellular [5-HT], SERT clearance and receptor occupancy.

Reference frame: fast-scan adsorption voltammetry (FSCAV), where basal extracellular 5-HT is
~65 nM (64.9 nM in mouse hippocampus, Abdalla et al. 2017 Anal Chem). Microdialysis reports
~0.8 nM (Yang et al. 2013), about 80 times less; all concentrations here are in the FSCAV frame.

Each region is one row of a compartment group. Raphe 5-HT spikes raise [5-HT] in every region in
proportion to its innervation density (volume transmission); SERT clears it with Michaelis-Menten
kinetics scaled by the region's SERT density; a slower SERT-independent route (diffusion out of
the region, low-affinity transporters) clears the rest. An SSRI occupies a share
``occupancy_sert`` of the transporters, given in one of two ways:

- by dose (:mod:`depnet.scenarios.interventions.pharmacokinetics`): the drug's free concentration
  over its affinity, ``ssri_load`` = C_free / Ki, approaches the level its daily dose sustains
  (``ssri_steady_load``) at its elimination rate (``ssri_elimination``, ln 2 over its half-life)
  on the scenario's slow clock (``time_compression``), and washes out at that
  rate when dosing stops. The drug binds SERT competitively with 5-HT (VALIDATION.md R7):
  occupancy = L / (1 + L + [5-HT]/Km), so uptake by the free transporters,
  (1 - occupancy) * Vmax [5-HT] / (Km + [5-HT]), is exactly the competitive-inhibition rate
  Vmax [5-HT] / (Km (1 + L) + [5-HT]); as [5-HT] rises, it displaces some of the drug;
- as a shortcut, a fixed share ``ssri_occupancy`` (the PET figure of a clinical dose), which
  does not depend on [5-HT]; the two add (at most 1).

The share of clearance that SERT carries sets how much an SSRI raises [5-HT] in a region: most
in the raphe (densest SERT), then hippocampus, then frontal cortex (VALIDATION.md R6). Receptor
occupancy is a Hill function of [5-HT], read by neurons through linked variables.

5-HT1A receptors also bind a full agonist (8-OH-DPAT-like) and a silent antagonist
(WAY-100635-like) competitively. ``occupancy_5ht1a``, the signal that opens GIRK channels, counts
bound receptors that are still coupled to their G protein: when that signal stays above its set
point, the raphe's somatodendritic autoreceptors uncouple (desensitize) over days, which brings
the signal back towards the set point (agonist-driven desensitization acts as homeostasis),
while postsynaptic heteroreceptors do not (Le Poul et al. 1995 Naunyn-Schmiedeberg's Arch
Pharmacol 352:141: desensitized share ~40% after 3 days and 60-80% after 21 days of SSRI).
That slow process runs on the scenario's one slow clock (``[scenario] compressed_day``, as
``time_compression``, biological seconds per simulated second: 86400 by default, one simulated
second per day), like structural plasticity and the drug levels; an acute experiment sets
``compressed_day = "86400 s"`` (real time), in which days of desensitization do not happen.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
from brian2 import Hz, nM, second

from depnet.circuits import protocol
from depnet.quantities import Parameter

COMPARTMENT_EQUATIONS = """
dc_5ht/dt = -sert_capacity * c_5ht / (km_sert + c_5ht) - c_5ht / tau_other : mmolar
sert_capacity = sert_density * vmax_sert * (1 - occupancy_sert) : mmolar / second
occupancy_sert : 1
dssri_load/dt = (ssri_steady_load - ssri_load) * ssri_elimination * time_compression : 1
bound_5ht1a : 1
occupancy_5ht1a : 1
occupancy_5ht7 : 1
ddesensitized_5ht1a/dt = (desensitized_target - desensitized_5ht1a) * desensitization_rate : 1
desensitization_rate = autoreceptors * time_compression / tau_desensitization : hertz
desensitized_target = desensitization_max * clip(excess_5ht1a / desensitization_width, 0, 1) : 1
excess_5ht1a = occupancy_5ht1a - desensitization_threshold : 1
innervation : 1 (constant)
sert_density : 1 (constant)
autoreceptors : 1 (constant)
release_per_spike : mmolar (shared, constant)
vmax_sert : mmolar / second (shared, constant)
km_sert : mmolar (shared, constant)
ssri_occupancy : 1 (shared)
ssri_steady_load : 1 (shared)
ssri_elimination : hertz (shared)
ec50_5ht1a : mmolar (shared, constant)
ec50_5ht7 : mmolar (shared, constant)
hill_5ht1a : 1 (shared, constant)
hill_5ht7 : 1 (shared, constant)
agonist_5ht1a : mmolar (shared)
ki_agonist_5ht1a : mmolar (shared, constant)
antagonist_5ht1a : mmolar (shared)
ki_antagonist_5ht1a : mmolar (shared, constant)
tau_other : second (shared, constant)
tau_desensitization : second (shared, constant)
desensitization_max : 1 (shared, constant)
desensitization_threshold : 1 (shared, constant)
desensitization_width : 1 (shared, constant)
time_compression : 1 (shared)
"""
#: Receptor binding, evaluated once per time step for each region (then read by every cell of
#: the region through linked variables): as subexpressions, the powers and divisions would be
#: evaluated by every neuron at every step, which cost most of the simulation's time.
OCCUPANCY_CODE = """
occupancy_sert = clip(ssri_occupancy + ssri_load / (1 + ssri_load + c_5ht / km_sert), 0, 1)
ligand_5ht1a = (c_5ht / ec50_5ht1a)**hill_5ht1a + agonist_5ht1a / ki_agonist_5ht1a
bound_5ht1a = ligand_5ht1a / (1 + ligand_5ht1a + antagonist_5ht1a / ki_antagonist_5ht1a)
occupancy_5ht1a = bound_5ht1a * (1 - desensitized_5ht1a)
ratio_5ht7 = (c_5ht / ec50_5ht7)**hill_5ht7
occupancy_5ht7 = ratio_5ht7 / (1 + ratio_5ht7)
"""

PARAMETERS: dict[str, Parameter] = {
    "km_sert": Parameter(
        60 * nM,
        "Best, Nijhout & Reed 2010 Theor Biol Med Model 7:34 (VALIDATION.md R7)",
        low=0.001 * nM,
    ),
    "vmax_sert": Parameter(
        180 * nM / second,
        "chosen: at SERT density 1, linearized clearance time constant (km + c)^2 / (vmax * km) "
        "~1.5 s around basal [5-HT], the seconds-scale clearance seen with in vivo "
        "chronoamperometry (Daws et al. 1998 Ann NY Acad Sci 861:217)",
        low=0 * nM / second,
    ),
    "tau_other": Parameter(
        8 * second,
        "chosen: SERT-independent clearance (diffusion, low-affinity transporters such as OCT3 "
        "and PMAT; Daws 2009 Pharmacol Ther 121:89 [check]), slower than SERT's; it bounds "
        "[5-HT] when SERT is blocked",
        low=0.01 * second,
    ),
    "release_per_spike": Parameter(
        0.5 * nM,
        "chosen: with the innervation densities below, puts basal hippocampal [5-HT] near the "
        "FSCAV basal level of ~65 nM (Abdalla et al. 2017) with 100 5-HT cells firing at "
        "~1.8 Hz; divided by the scale so [5-HT] does not grow with network size",
        low=0 * nM,
    ),
    "ssri_occupancy": Parameter(
        0.0,
        "chosen: no SSRI; shortcut: a fixed share of SERT blocked (0.8 = clinical dose)",
        low=0.0,
        high=1.0,
    ),
    "ssri_steady_load": Parameter(
        0.0,
        "chosen: no SSRI; free drug concentration over its SERT Ki that the dosing sustains "
        "(set by an ssri intervention's dose)",
        low=0.0,
    ),
    "ssri_elimination": Parameter(
        0 * Hz,
        "chosen: no SSRI; the drug's elimination rate, ln 2 / half-life in biological time "
        "(set by an ssri intervention's drug)",
        low=0 * Hz,
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
    "agonist_5ht1a": Parameter(
        0 * nM,
        "chosen: no 5-HT1A agonist; concentration of a full agonist (8-OH-DPAT) at the receptors",
        low=0 * nM,
    ),
    "ki_agonist_5ht1a": Parameter(
        1 * nM,
        "chosen: of the order of 8-OH-DPAT's 5-HT1A affinity: Ki 1.9-13 nM for 8-OH-DPAT "
        "and three other agonists at [3H]8-OH-DPAT sites of rat brain (Smith & Peroutka 1986 "
        "Pharmacol Biochem Behav 24:1513 [check]); EC50 2.5 nM (pEC50 8.6) for R(+)-8-OH-DPAT "
        "on cAMP at cloned human receptors (Sharif et al. 2004 J Pharm Pharmacol 56:1267 "
        "[check])",
        low=0.001 * nM,
    ),
    "antagonist_5ht1a": Parameter(
        0 * nM,
        "chosen: no 5-HT1A antagonist; concentration of a silent antagonist (WAY-100635)",
        low=0 * nM,
    ),
    "ki_antagonist_5ht1a": Parameter(
        1 * nM,
        "chosen: of the order of WAY-100635's 5-HT1A affinity: IC50 1.35 nM (pIC50 8.87) "
        "against [3H]8-OH-DPAT in rat hippocampus (Forster et al. 1995 Eur J Pharmacol 281:81); "
        "pKi 10.2 at cloned human receptors labelled by the agonist (Sharif et al. 2004 "
        "[check]); R4's antagonist concentration is solved with this value, so it sets only "
        "the concentration scale",
        low=0.001 * nM,
    ),
    "tau_desensitization": Parameter(
        4 * 86400 * second,
        "chosen: 4 days, a first-order fit to Le Poul et al. 1995 (~40% desensitized at day 3, "
        "60-80% at day 21 of SSRI: 0.7 * (1 - exp(-3/4)) = 0.37); biological time",
        low=1 * second,
    ),
    "desensitization_max": Parameter(
        0.8, "Le Poul et al. 1995: at most 60-80% of autoreceptor responses lost", low=0, high=1
    ),
    "desensitization_threshold": Parameter(
        0.62,
        "chosen: coupled autoreceptor occupancy above which receptors uncouple; just above the "
        "basal raphe occupancy (~0.59) so that a healthy baseline does not desensitize",
        low=0,
        high=1,
    ),
    "desensitization_width": Parameter(
        0.05,
        "chosen: coupled-occupancy excess over which the desensitized share grows to its "
        "maximum; narrow, so that desensitization holds the autoreceptor signal near its "
        "set point and raphe firing recovers under chronic SSRI (VALIDATION.md R3)",
        low=0.001,
        high=1,
        calibrated_to=("R3",),
    ),
    "desensitized_5ht1a_initial": Parameter(
        0.0,
        "chosen: healthy autoreceptors start coupled; a chronic-SSRI scenario may start from "
        "its desensitized state instead of simulating the weeks to get there",
        low=0,
        high=1,
    ),
    "c_5ht_initial": Parameter(
        70 * nM,
        "chosen: between the basal PFC (~65 nM) and raphe (~110 nM) steady states, so short runs "
        "start nearly settled",
        low=0 * nM,
    ),
}

#: The basal [5-HT] frame (FSCAV) that the innervation densities are sized to.
_FRAME = ("frame",)
_TUNED = (
    "chosen: with the SERT densities, puts basal [5-HT] at ~110 nM in the raphe, ~70 nM in "
    "hippocampus (FSCAV: 65 nM, Abdalla et al. 2017) and ~55 nM in cortex"
)
#: Relative 5-HT innervation density per region (release per raphe spike scales with it).
INNERVATION: dict[str, Parameter] = {
    "drn": Parameter(
        2.77, _TUNED + "; somatodendritic release in the raphe", low=0.0, calibrated_to=_FRAME
    ),
    **{r: Parameter(1.73, _TUNED, low=0.0, calibrated_to=_FRAME) for r in ("dg", "ca3", "ca1")},
    **{r: Parameter(1.04, _TUNED, low=0.0, calibrated_to=_FRAME) for r in ("dlpfc", "sgacc")},
    **{
        r: Parameter(
            1.04,
            _TUNED + "; raise it to strengthen the DMN's coupling to 5-HT",
            low=0.0,
            calibrated_to=_FRAME,
        )
        for r in ("pcc", "mpfc")
    },
}

_SERT = (
    "chosen: relative SERT density, highest in the raphe, lower in hippocampus and lowest in "
    "frontal cortex, the order of [3H]paroxetine binding in rat autoradiography (De Souza & "
    "Kuyatt 1987 Synapse 1(5); Gobbi et al. 1990 Neurochem Int [check]: a ranking, no ratios "
    "read), sized to give the order of SSRI-induced rises, raphe > hippocampus > frontal cortex "
    "(VALIDATION.md R6)"
)
#: Relative SERT density per region (scales vmax_sert).
SERT_DENSITY: dict[str, Parameter] = {
    "drn": Parameter(2.0, _SERT, low=0.0, calibrated_to=("R6",)),
    **{r: Parameter(1.5, _SERT, low=0.0, calibrated_to=("R6",)) for r in ("dg", "ca3", "ca1")},
    **{
        r: Parameter(1.0, _SERT, low=0.0, calibrated_to=("R6",))
        for r in ("dlpfc", "sgacc", "pcc", "mpfc")
    },
}

#: Regions whose 5-HT1A receptors are somatodendritic autoreceptors (they desensitize).
AUTORECEPTOR_REGIONS = ("drn",)

#: Parameters that become shared variables of the compartment group.
_SHARED = [k for k in PARAMETERS if not k.endswith("_initial")]


def make_compartments(
    regions: list[str],
    values: dict[str, b2.Quantity | float],
    innervation: dict[str, float],
    sert_density: dict[str, float],
    n_5ht_at_scale_1: int,
    n_5ht: int,
    tables: protocol.Tables | None = None,
    *,
    time_compression: float,
) -> b2.NeuronGroup:
    """One [5-HT] compartment per region, in the order of ``regions``.

    ``time_compression`` is the slow clock (biological seconds per simulated second) on which
    the autoreceptors desensitize and the drug levels change.

    With ``tables``, the drug levels (:data:`depnet.circuits.protocol.SEROTONIN`) follow the
    run's protocol, set before the binding in every step.
    """
    code, namespace = OCCUPANCY_CODE, {}
    if tables is not None:
        slots = tables.add("serotonin", protocol.SEROTONIN, per_cell=False)
        code, namespace = protocol.update_code(slots) + "\n" + code, tables.namespace(slots)
    equations = COMPARTMENT_EQUATIONS + protocol.epoch_declaration()
    group = b2.NeuronGroup(
        len(regions), equations, method="euler", name="serotonin", namespace=namespace
    )
    for key in _SHARED:
        setattr(group, key, values[key])
    group.time_compression = float(time_compression)
    # Release per spike is defined for the scale-1 raphe: keep total release per second
    # independent of how many 5-HT cells the scaled network has.
    group.release_per_spike = values["release_per_spike"] * (n_5ht_at_scale_1 / n_5ht)
    group.innervation = np.array([float(innervation[r]) for r in regions])
    group.sert_density = np.array([float(sert_density[r]) for r in regions])
    autoreceptors = np.array([float(r in AUTORECEPTOR_REGIONS) for r in regions])
    group.autoreceptors = autoreceptors
    group.desensitized_5ht1a = autoreceptors * float(values["desensitized_5ht1a_initial"])
    group.c_5ht = values["c_5ht_initial"]
    # First in every step, before neurons and synapses read the occupancies.
    group.run_regularly(code, when="start", order=-10, name="serotonin_binding")
    return group


def make_release(raphe_5ht, compartments: b2.NeuronGroup) -> b2.Synapses:
    """Volume transmission: every 5-HT spike adds to every region's [5-HT] by its innervation.

    ``raphe_5ht`` is the :class:`~depnet.circuits.projections.Placement` of the 5-HT cells.
    """
    release = b2.Synapses(
        raphe_5ht.group,
        compartments,
        on_pre="c_5ht_post += release_per_spike_post * innervation_post",
        name="serotonin_release",
    )
    cells = np.arange(raphe_5ht.start, raphe_5ht.stop)
    rows = np.arange(len(compartments))
    release.connect(i=np.repeat(cells, len(rows)), j=np.tile(rows, len(cells)))
    return release


def link_occupancy(
    group: b2.NeuronGroup, compartments: b2.NeuronGroup, region_rows: np.ndarray
) -> None:
    """Point each cell's receptor occupancies at its region's compartment (one row per cell)."""
    index = np.asarray(region_rows, dtype=int)  # brian2 wants the default int
    group.occupancy_5ht1a = b2.linked_var(compartments, "occupancy_5ht1a", index=index)
    group.occupancy_5ht7 = b2.linked_var(compartments, "occupancy_5ht7", index=index)
