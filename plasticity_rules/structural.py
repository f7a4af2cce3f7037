"""Structural plasticity on a bounded pool of potential synapses, for every Brian2 target.

Brian2's standalone targets (C++ and brian2cuda) cannot create synapses during a run, so each
structural projection is built once as a **pool of potential synapses**: every postsynaptic cell
gets a fixed number ``pool_size = pool_factor * in_degree`` of candidate inputs, drawn with numpy
on the host (never all-to-all), and each candidate carries a presence flag ``present`` (0 or 1)
that gates transmission (``g_ampa_post += w * present``). Every ``update_interval`` a
``run_regularly`` operation flips flags with probabilities computed from the postsynaptic cell's
state; nothing is created or destroyed, so the same code runs on runtime, C++ and CUDA.

Rules, per pool synapse and update of length ``structural_dt`` (``C = time_compression``):

Formation (an absent synapse becomes present, with weight ``w_new``)::

    p_form = (1 - mtor_block) * clip(dz+ + C * structural_dt * r_form * drive, 0, 1)
    drive  = max(0, 1 + g_bdnf * (bdnf + bdnf_external - 1) + g_5ht7 * occupancy_5ht7)

Removal (a present synapse becomes absent)::

    p_prune = clip(dz- + C * structural_dt * r_prune * stress * weak(w), 0, 1)
    weak(w) = 1 / (1 + exp((w - w_prune) / w_prune_width))

- ``dz = z_elem - z_elem_ref`` is the change over the last interval of the postsynaptic cell's
  synaptic-element count, ``dz_elem/dt = C * nu_z * G(Ca)`` with a homeostatic growth curve ``G``
  of its calcium trace (Butz & van Ooyen 2013 PLoS Comput Biol 9:e1003259; see
  :mod:`depnet.plasticity_rules.growth_curves`); ``dz+ = max(dz, 0)``, ``dz- = max(-dz, 0)``.
  Each absent slot forms with probability ``dz+`` and each present synapse is removed with
  probability ``dz-``, so the mean present count obeys
  ``dN/dt = C nu_z G(Ca) (pool_size - N)`` while growing and ``-C nu_z |G(Ca)| N`` while shrinking:
  a mean-field form of Butz & van Ooyen's element matching with the same fixed point
  ``G(Ca) = 0``, i.e. the set-point rate. (Exact element matching would need the per-cell count
  of present synapses, a summed variable recomputed over the whole pool at every time step.)
- ``bdnf`` is a BDNF-like trace of the postsynaptic cell (1 at the reference rate): each spike
  adds to it (activity-dependent release), and so does the cell's NMDA block, at
  ``bdnf_translation * nmda_block`` per unit of biological time, whether the cell fires or not.
  This is the model's choice among the proposed routes to ketamine's BDNF: NMDA block at rest
  lets BDNF be translated (Autry et al. 2011 Nature 475:91); the disinhibition and glutamate
  surge (Li et al. 2010) and NMDA-independent metabolites (Zanos et al. 2016) are the others.
  So ketamine's BDNF follows its block and no block gives none; ``bdnf_secretion`` (per unit of
  biological time) adds to the trace as the block does (anodal tDCS's release during its
  sessions), and ``bdnf_external`` is a scripted level beside the trace (stress's loss,
  exercise's gain).
- ``occupancy_5ht7`` is the cell's 5-HT7 receptor occupancy (5-HT7 -> MMP-9 spine remodeling,
  Bijata et al. 2017 Cell Rep); its gain ``g_5ht7`` is SIGNED and 0 by default because the sign is
  contested (VALIDATION P7; Bijata et al. 2022 Cell Rep 38:110532).
- ``mtor_block`` is rapamycin's block of mTOR, which ketamine-induced synaptogenesis needs (Li et
  al. 2010 Science 329:959): it multiplies all formation by ``1 - mtor_block``.
- ``stress`` (>= 1 under chronic stress: glucocorticoid- and microglia-driven elimination of weak
  spines, Radley et al. 2006; Li et al. 2011 Biol Psychiatry) multiplies weight-dependent pruning.
- **The slow clock.** Structural change takes days. Every slow process of the model runs on the
  scenario's one slow clock (``[scenario] compressed_day``, :mod:`depnet.spec`): here
  ``time_compression`` (biological seconds per simulated second, ``1 day / compressed_day``;
  86400 by default, one simulated second per day) multiplies every structural rate (``r_form``,
  ``r_prune``, ``nu_z``) and the decay of the calcium and BDNF traces, whose time constants are
  given in biological time. Spikes stay in real time, so a simulated second of firing stands for
  ``time_compression`` seconds of it: each spike adds ``time_compression * beta`` to a trace, and
  a trace's mean is ``beta * tau * rate`` (NEST's convention) whatever the clock.

Variables (names are API). Postsynaptic cell (:func:`structural_neuron_block`): ``Ca``,
``z_elem``, ``z_elem_ref``, ``growth``, ``bdnf`` and the shared ``tau_Ca``, ``beta_Ca``,
``eps_Ca``, ``eta_Ca``/``psi_Ca`` (by curve), ``nu_z``, ``tau_bdnf``, ``beta_bdnf``,
``bdnf_translation``, ``bdnf_secretion``, ``bdnf_external``, ``stress``, ``mtor_block`` and
the clock's ``time_compression`` (a protocol variable: a treatment session runs it at its
clinical length); the cell must also have ``occupancy_5ht7`` and ``nmda_block`` (the shared
neuron of :mod:`depnet.circuits.neuron` with its protocol variables has them).
Pool synapse (:func:`structural_synapse_model`): ``w``, ``present`` and the shared ``r_form``,
``r_prune``, ``w_prune``, ``w_prune_width``, ``w_new``, ``g_bdnf``, ``g_5ht7``, ``structural_dt``.

Use::

    block = structural_neuron_block("linear")
    group = b2.NeuronGroup(n, EQUATIONS + block.equations, reset="v = V_r; " + block.reset, ...)
    install_neuron_block(group, block, {"stress": 2.0}, time_compression=86400.0)
    pool = build_pool(len(source), n, in_degree=80, rng=rng)
    synapses = make_structural_projection(source, group, pool, structural_synapse_model(),
                                          name="sgacc_exc_to_sgacc_exc")

Pools update at the start of a time step (``order=0``), the group's element reference after them
(``order=1``); every pool onto a group must use the group's update interval. Without STDP the
density settles within about five compressed days (new synapses fill a transient, prune-prone
pool): start interventions after such a warm-up.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import brian2 as b2
import numpy as np
from brian2 import Hz, ms, nS, second

from depnet.circuits.projections import fixed_in_degree
from depnet.plasticity_rules import growth_curves
from depnet.quantities import DAY, Parameter, declaration

#: Parameters of the postsynaptic side (shared variables of the target group).
NEURON_PARAMETERS: dict[str, Parameter] = {
    **{k: v for k, v in growth_curves.PARAMETERS.items() if k not in ("nu_z", "tau_Ca", "beta_Ca")},
    "tau_Ca": Parameter(
        10 * DAY,
        "chosen: the NEST example's 10 s calcium trace (Butz & van Ooyen 2013) read on the "
        "default slow clock (one simulated second per day): the homeostatic sensor averages "
        "about ten days of firing; P10's sign depends on it (docs/model/validation.md)",
        low=1 * second,
    ),
    "beta_Ca": Parameter(
        1e-3 * (10 * second) / (10 * DAY),
        "chosen: the NEST example's beta_Ca * tau_Ca (1e-3 per spike x 10 s) kept, so that "
        "eps_Ca = beta_Ca * tau_Ca * rate reads as in NEST (0.05: 5 Hz)",
        low=0,
    ),
    "nu_z": Parameter(
        0.1 / DAY,
        "chosen: the growth rate of the NEST example (1e-4 elements/ms, Butz & van Ooyen 2013) "
        "is already in compressed simulated time; kept as 0.1 per simulated second at the "
        "default slow clock, i.e. 0.1 per day; read dz as a probability per pool slot",
        low=0 / DAY,
    ),
    "tau_bdnf": Parameter(
        10 * DAY,
        "chosen: activity-dependent BDNF trace on the time scale of the calcium trace",
        low=1 * second,
    ),
    "beta_bdnf": Parameter(
        1 / (10 * DAY * 5 * Hz),
        "chosen: 1/(tau_bdnf * 5 Hz), so that bdnf = 1 at the 5 Hz set point",
        low=0.0,
    ),
    "bdnf_translation": Parameter(
        25 / DAY,
        "chosen: 25 per day: BDNF made per day per unit of NMDA block, in units of the basal "
        "level, after the proposal that NMDA block at rest silences eEF2 kinase and lets BDNF "
        "be translated within hours (Autry et al. 2011 Nature 475:91; one of the proposed "
        "routes, the model's choice); sized for P5 "
        "(calibration, seed 1: ketamine's DLPFC density +14% a day after the dose, peak +47% "
        "4-5 days after it; 20/day gave +11% and +42%)",
        low=0 / DAY,
        calibrated_to=("P5",),
    ),
    "bdnf_external": Parameter(
        0.0, "chosen: no scripted BDNF unless stated (stress's loss, exercise's gain)"
    ),
    "bdnf_secretion": Parameter(
        0 / DAY,
        "chosen: none unless stated; BDNF secreted into the cells' trace, in units of the basal "
        "level per unit of biological time, while a session that releases it lasts (anodal "
        "tDCS: its bdnf_release over the session's clinical length)",
        low=0 / DAY,
    ),
    "stress": Parameter(
        1.0,
        "chosen: 1 = unstressed; >= 1 under chronic stress (glucocorticoid/microglia pruning; "
        "Radley et al. 2006; Li et al. 2011 Biol Psychiatry), 3 gives P3's -5% to -30%",
        low=0.0,
    ),
    "mtor_block": Parameter(
        0.0,
        "chosen: 0 = no rapamycin; 1 = full mTOR block of formation (Li et al. 2010 Science "
        "329:959: rapamycin abolishes ketamine-induced synaptogenesis)",
        low=0.0,
        high=1.0,
    ),
}

#: Parameters of a pool projection (shared variables of the Synapses).
SYNAPSE_PARAMETERS: dict[str, Parameter] = {
    "r_form": Parameter(
        0.1 / DAY,
        "chosen: per absent slot; with pool_factor 2 about 10% of the present count forms per "
        "day and, with r_prune, transient spines are ~20% of all, the order of adult cortical "
        "spine turnover (Holtmaat et al. 2005 Neuron 45:279; Trachtenberg et al. 2002 Nature "
        "420:788) [check magnitudes]",
        low=0 / DAY,
    ),
    "r_prune": Parameter(
        0.5 / DAY,
        "chosen: most new (small) spines vanish within days (Holtmaat et al. 2005; "
        "Trachtenberg et al. 2002); per weak present synapse",
        low=0 / DAY,
    ),
    "w_prune": Parameter(
        0.15 * nS,
        "chosen: half the PFC E->E AMPA weight (0.3 nS): synapses below it are weak",
        low=0 * nS,
    ),
    "w_prune_width": Parameter(
        0.02 * nS,
        "chosen: soft threshold w_prune / 7.5: new synapses (w_new) are 92% weak, the "
        "PFC E->E weight (0.3 nS) 0.05% weak",
        low=1e-6 * nS,
    ),
    "w_new": Parameter(
        0.1 * nS,
        "chosen: new spines are small (Holtmaat et al. 2005): a third of the PFC E->E AMPA "
        "weight, below w_prune, so they stay prune-prone unless potentiated",
        low=0 * nS,
    ),
    "g_bdnf": Parameter(
        1.0, "chosen: formation proportional to the BDNF level (drive = bdnf level)", low=0.0
    ),
    "g_5ht7": Parameter(
        0.0,
        "chosen: off; SIGNED gain of 5-HT7 occupancy on formation, sign contested (5-HT7 -> "
        "MMP-9 remodeling, Bijata et al. 2017 Cell Rep; depressive-like effect, Bijata et al. "
        "2022 Cell Rep 38:110532; VALIDATION P7)",
    ),
}

#: Pool parameters that may change during a run (a BDNF genotype scales ``g_bdnf``), so not
#: declared constant.
SYNAPSE_RUN_TIME = ("g_bdnf",)

#: Parameters of the pool itself (used on the host when the pool is drawn).
POOL_PARAMETERS: dict[str, Parameter] = {
    "pool_factor": Parameter(
        2.0,
        "chosen: potential synapses per cell = 2 x expected in-degree: room for a doubling "
        "of density (ketamine: +10-50%, P5) at bounded memory, never all-to-all",
        low=1.0,
    ),
    "update_interval": Parameter(
        100 * ms,
        "chosen: 0.1 compressed day per update at the default time_compression; much "
        "shorter than every structural time constant",
        low=1 * ms,
    ),
    "w_cv": Parameter(
        0.0,
        "chosen: equal initial weights, so that without STDP only new synapses are weak and "
        "the density settles (after a few compressed days) instead of drifting; > 0 draws "
        "lognormal weights (Song et al. 2005 PLoS Biol 3:e68)",
        low=0.0,
    ),
}


@dataclass(frozen=True)
class NeuronBlock:
    """Postsynaptic side of structural plasticity, to append to a NeuronGroup's definition.

    Attributes
    ----------
    curve
        Growth curve of ``z_elem`` (``"linear"``, ``"gaussian"``, ``"sigmoid"``).
    equations
        Equation lines (traces, elements, shared parameters) to append to the group's equations.
    reset
        Statements to append to the group's reset (each spike adds ``time_compression * beta``
        to the calcium and BDNF traces).
    growth_code
        ``run_regularly`` code of the group, run every time step just before its state update:
        Brian2's forward-Euler step of ``dz_elem/dt = time_compression * nu_z * growth`` from
        the calcium the state update starts from.
    update_code
        ``run_regularly`` code of the group (``z_elem_ref = z_elem``), run every update interval
        after the pools have read ``z_elem - z_elem_ref``.
    parameters
        Parameter table of the shared variables declared in ``equations``.
    """

    curve: str
    equations: str
    reset: str
    growth_code: str
    update_code: str
    parameters: Mapping[str, Parameter] = field(repr=False)


@dataclass(frozen=True)
class StructuralModel:
    """Synapse side of structural plasticity: strings and parameters for ``b2.Synapses``.

    Attributes
    ----------
    model
        Synaptic model (``w``, ``present`` and the shared rule parameters).
    on_pre
        Transmission gated by presence (``g_ampa_post += w * present``).
    update_code
        ``run_regularly`` code that forms and prunes synapses.
    update_interval
        How often ``update_code`` runs (simulated time); equals ``structural_dt``.
    target_var
        Postsynaptic conductance that spikes increment.
    parameters
        Parameter table of the shared variables declared in ``model``.
    """

    model: str
    on_pre: str
    update_code: str
    update_interval: b2.Quantity
    target_var: str
    parameters: dict[str, Parameter] = field(repr=False)


@dataclass(frozen=True)
class Pool:
    """A drawn pool of potential synapses: indices, initial flags and weights.

    Attributes
    ----------
    i, j
        Presynaptic and postsynaptic indices (``int32``), ``pool_size`` per postsynaptic cell.
    present
        Initial presence flags (0.0 or 1.0), exactly ``n_present_initial`` per postsynaptic cell.
    w
        Initial weights in siemens (plain floats).
    pool_size
        Potential synapses per postsynaptic cell.
    n_post
        Number of postsynaptic cells.
    """

    i: np.ndarray
    j: np.ndarray
    present: np.ndarray
    w: np.ndarray
    pool_size: int
    n_post: int

    @property
    def n_present_initial(self) -> int:
        """Present synapses per postsynaptic cell at the start."""
        return int(round(self.present.sum() / max(self.n_post, 1)))


def _declarations(table: Mapping[str, Parameter], names, flags: str = "shared, constant") -> str:
    return "".join(declaration(name, table[name].value, flags) + "\n" for name in names)


#: Neuron-side values that a scenario or intervention changes during a run (not constant): the
#: state the cells are in (stress, rapamycin, a scripted BDNF), not parameters of the rule.
NEURON_SETTABLE = ("bdnf_external", "stress", "mtor_block", "bdnf_secretion")


@functools.cache
def structural_neuron_block(curve: str = "linear") -> NeuronBlock:
    """Equations, reset and update code of the postsynaptic side.

    Built once per curve and shared, read-only (its ``parameters`` a read-only mapping, which
    does not pickle): Brian2 derives the Euler step in ~15 ms, and the parameter tables of every
    run ask for the block of each population.

    Parameters
    ----------
    curve
        Homeostatic growth curve of the synaptic elements (see :data:`growth_curves.CURVES`).

    Returns
    -------
    NeuronBlock
        Append ``equations`` to the group's equations and ``reset`` to its reset, then call
        :func:`install_neuron_block` on the created group.
    """
    if curve not in growth_curves.CURVES:
        raise ValueError(f"unknown growth curve {curve!r}; choose from {growth_curves.CURVES}")
    used = ["tau_Ca", "beta_Ca", *growth_curves.curve_parameter_names(curve), "nu_z"]
    used += ["tau_bdnf", "beta_bdnf", "bdnf_translation"]
    table = {k: NEURON_PARAMETERS[k] for k in [*used, *NEURON_SETTABLE]}
    growth = f"growth = {growth_curves.growth_expression(curve, 'Ca')} : 1\n"
    element_growth = "dz_elem/dt = time_compression * nu_z * growth : 1\n" + growth
    equations = (
        "dCa/dt = -time_compression * Ca / tau_Ca : 1\n" + growth + "z_elem : 1\n"
        "z_elem_ref : 1\n"
        "dbdnf/dt = time_compression * (bdnf_translation * nmda_block + bdnf_secretion"
        " - bdnf / tau_bdnf) : 1\n"
        + _declarations(table, used)
        + "time_compression : 1 (shared)\n"
        + _declarations(table, NEURON_SETTABLE, "shared")
    )
    return NeuronBlock(
        curve=curve,
        equations=equations,
        reset="Ca += time_compression * beta_Ca; bdnf += time_compression * beta_bdnf",
        # Brian2's own Euler step of the equation, so that the arithmetic is what the cells'
        # state update did when the equation was one of theirs (see install_neuron_block)
        growth_code=b2.euler(b2.Equations(element_growth)),
        update_code="z_elem_ref = z_elem",
        parameters=MappingProxyType(table),
    )


def _resolve(
    table: Mapping[str, Parameter], values: Mapping[str, b2.Quantity | float] | None
) -> dict[str, b2.Quantity | float]:
    values = dict(values or {})
    unknown = set(values) - set(table)
    if unknown:
        raise KeyError(f"unknown structural-plasticity parameters: {sorted(unknown)}")
    return {k: p.check(values[k]) if k in values else p.value for k, p in table.items()}


def install_neuron_block(
    group: b2.NeuronGroup,
    block: NeuronBlock,
    values: Mapping[str, b2.Quantity | float] | None = None,
    *,
    time_compression: float,
    update_interval: b2.Quantity = POOL_PARAMETERS["update_interval"].value,
) -> b2.Group:
    """Set the block's parameters on ``group`` and add its ``run_regularly`` operations: the
    elements' growth every time step and the reference update every ``update_interval``.

    Parameters
    ----------
    group
        A NeuronGroup whose equations and reset include ``block.equations`` and ``block.reset``.
    block
        From :func:`structural_neuron_block`.
    values
        Overrides of :data:`NEURON_PARAMETERS` (checked for units and range).
    time_compression
        The slow clock: biological seconds per simulated second (``1 day / compressed_day``).
    update_interval
        Must equal the pools' update interval. The update runs at the start of a time step with
        ``order=1``, after the pools' updates (``order=0``), so that they read the element
        change over the full interval.

    Returns
    -------
    brian2.Group
        The reference update's ``run_regularly`` operation (both operations are contained in
        ``group``, so they join any Network that holds ``group``).
    """
    if not (math.isfinite(time_compression) and time_compression > 0):
        raise ValueError(f"time_compression must be positive and finite, got {time_compression}")
    resolved = _resolve(block.parameters, values)
    for name, value in resolved.items():
        setattr(group, name, value)
    group.time_compression = float(time_compression)
    # The growth curve's exp is a libm call, which keeps gcc from vectorizing a loop that holds
    # it: inside the state update it held every equation of the cells to one cell a step. In a
    # loop of its own, run just before the state update (one order earlier in the same slot)
    # from the same calcium, it is the expression the state update computed for the elements
    # when the group integrates by Euler, as every group of the circuit does (with another
    # method the elements still take forward-Euler steps).
    group.run_regularly(
        block.growth_code,
        when="groups",
        order=group.order - 1,
        name=f"{group.name}_element_growth",
    )
    return group.run_regularly(
        block.update_code,
        clock=b2.Clock(update_interval, name=f"{group.name}_elements_clock"),
        when="start",
        order=1,
        name=f"{group.name}_elements",
    )


def structural_synapse_model(
    target_var: str = "g_ampa",
    update_interval: b2.Quantity = POOL_PARAMETERS["update_interval"].value,
) -> StructuralModel:
    """Model, transmission and update code of a pool projection.

    Parameters
    ----------
    target_var
        Postsynaptic conductance that a presynaptic spike increments by ``w * present``.
    update_interval
        Interval of the structural update (simulated time).

    Returns
    -------
    StructuralModel
        Pass ``model`` and ``on_pre`` to ``b2.Synapses`` (or use
        :func:`make_structural_projection`, which does all of it).
    """
    names = list(SYNAPSE_PARAMETERS)
    model = (
        "w : siemens\npresent : 1\n"
        + _declarations(SYNAPSE_PARAMETERS, [n for n in names if n not in SYNAPSE_RUN_TIME])
        + _declarations(SYNAPSE_PARAMETERS, SYNAPSE_RUN_TIME, "shared")
        + "structural_dt : second (shared, constant)\n"
    )
    update_code = "\n".join(
        [
            "dz_struct = z_elem_post - z_elem_ref_post",
            "drive = clip(1 + g_bdnf * (bdnf_post + bdnf_external_post - 1)"
            " + g_5ht7 * occupancy_5ht7_post, 0, inf)",
            "compressed_dt = time_compression_post * structural_dt",
            "p_form = (1 - mtor_block_post) * clip(clip(dz_struct, 0, 1)"
            " + compressed_dt * r_form * drive, 0, 1)",
            "weak = 1 / (1 + exp((w - w_prune) / w_prune_width))",
            "p_prune = clip(clip(-dz_struct, 0, 1)"
            " + compressed_dt * r_prune * stress_post * weak, 0, 1)",
            "u_struct = rand()",
            "formed = int(present < 0.5) * int(u_struct < p_form)",
            "pruned = int(present > 0.5) * int(u_struct < p_prune)",
            "present = present + formed - pruned",
            "w = w + formed * (w_new - w)",
        ]
    )
    return StructuralModel(
        model=model,
        on_pre=f"{target_var}_post += w * present",
        update_code=update_code,
        update_interval=update_interval,
        target_var=target_var,
        parameters=dict(SYNAPSE_PARAMETERS),
    )


def build_pool(
    n_pre: int,
    n_post: int,
    in_degree: int,
    rng: np.random.Generator,
    *,
    pool_factor: float = POOL_PARAMETERS["pool_factor"].value,
    initial_present: float | None = None,
    w_mean: b2.Quantity = 0.3 * nS,
    w_cv: float = POOL_PARAMETERS["w_cv"].value,
    no_self: bool = False,
) -> Pool:
    """Draw a pool of potential synapses with a fixed pool size per postsynaptic cell.

    Parameters
    ----------
    n_pre, n_post
        Population sizes.
    in_degree
        Expected number of present inputs per cell (the projection's in-degree).
    rng
        numpy generator (the scenario seed), so every target gets the same pool.
    pool_factor
        ``pool_size = round(pool_factor * in_degree)``, capped at the available sources.
    initial_present
        Fraction of each cell's pool present at the start (exactly
        ``round(initial_present * pool_size)`` per cell); default ``in_degree / pool_size``.
    w_mean, w_cv
        Mean and coefficient of variation of the lognormal initial weights (``w_cv = 0``: all
        equal to ``w_mean``).
    no_self
        Exclude autapses (recurrent projections).

    Returns
    -------
    Pool
    """
    pool_size = int(round(pool_factor * in_degree))
    i, j = fixed_in_degree(n_pre, n_post, pool_size, rng, no_self=no_self)
    pool_size = len(i) // n_post if n_post else 0
    fraction = in_degree / pool_size if initial_present is None else initial_present
    if not 0 <= fraction <= 1:
        raise ValueError(f"initial_present must lie in [0, 1], got {fraction}")
    n_on = int(round(fraction * pool_size))
    present = np.zeros((n_post, pool_size))
    for row in present:
        row[rng.choice(pool_size, size=n_on, replace=False)] = 1.0
    mean = float(w_mean)
    if w_cv > 0:
        sigma = np.sqrt(np.log1p(w_cv**2))
        w = mean * np.exp(sigma * rng.standard_normal(len(i)) - sigma**2 / 2)
    else:
        w = np.full(len(i), mean)
    return Pool(i=i, j=j, present=present.ravel(), w=w, pool_size=pool_size, n_post=n_post)


def make_structural_projection(
    source: b2.Group,
    target: b2.NeuronGroup,
    pool: Pool,
    model: StructuralModel,
    values: Mapping[str, b2.Quantity | float] | None = None,
    *,
    name: str,
    delay: b2.Quantity = 1 * ms,
) -> b2.Synapses:
    """Create the Synapses of a pool projection, connect the pool and add the structural update.

    Parameters
    ----------
    source, target
        Presynaptic group and postsynaptic NeuronGroup (``target`` must carry the neuron block,
        installed with the same update interval, and an ``occupancy_5ht7`` variable).
    pool
        From :func:`build_pool`.
    model
        From :func:`structural_synapse_model`.
    values
        Overrides of :data:`SYNAPSE_PARAMETERS`.
    name
        Name of the Synapses object (the update is ``<name>_structural``).
    delay
        Transmission delay.

    Returns
    -------
    brian2.Synapses
        With ``present`` and ``w`` initialised from the pool; its structural update runs at the
        start of a time step with ``order=0``.
    """
    resolved = _resolve(model.parameters, values)
    synapses = b2.Synapses(
        source, target, model=model.model, on_pre=model.on_pre, delay=delay, name=name
    )
    synapses.connect(i=pool.i, j=pool.j)
    synapses.present = pool.present
    synapses.w = pool.w * b2.siemens
    for key, value in resolved.items():
        setattr(synapses, key, value)
    synapses.structural_dt = model.update_interval
    synapses.run_regularly(
        model.update_code,
        clock=b2.Clock(model.update_interval, name=f"{name}_structural_clock"),
        when="start",
        order=0,
        name=f"{name}_structural",
    )
    return synapses


def present_counts(present: np.ndarray, j: np.ndarray, n_post: int) -> np.ndarray:
    """Present synapses per postsynaptic cell from flags (last axis: synapses) and targets.

    Parameters
    ----------
    present
        Flags of one time point (``n_syn``) or a recording (``n_syn`` x ``n_times``, as
        ``StateMonitor.present`` gives it).
    j
        Postsynaptic index of each synapse.
    n_post
        Number of postsynaptic cells.
    """
    present = np.asarray(present)
    if present.ndim == 1:
        return np.bincount(j, weights=present, minlength=n_post)
    return np.stack([np.bincount(j, weights=col, minlength=n_post) for col in present.T], axis=1)


def all_parameters() -> dict[str, dict[str, Parameter]]:
    """Every structural-plasticity parameter with its source, by table."""
    return {
        "neuron": dict(NEURON_PARAMETERS),
        "synapse": dict(SYNAPSE_PARAMETERS),
        "pool": dict(POOL_PARAMETERS),
    }


__all__ = [
    "DAY",
    "NEURON_PARAMETERS",
    "POOL_PARAMETERS",
    "SYNAPSE_PARAMETERS",
    "NeuronBlock",
    "Pool",
    "StructuralModel",
    "all_parameters",
    "build_pool",
    "install_neuron_block",
    "make_structural_projection",
    "present_counts",
    "structural_neuron_block",
    "structural_synapse_model",
]
