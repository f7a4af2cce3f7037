"""The one conductance-based integrate-and-fire neuron that every population shares.

Leaky integrate-and-fire membrane with AMPA, NMDA (with the Jahr & Stevens 1990 Mg2+ block, so
that NMDA antagonists such as ketamine have something to act on), GABA_A, a GIRK potassium
conductance opened by 5-HT1A receptor occupancy, a depolarizing Ih-like conductance driven by
5-HT7 occupancy, and a spike-triggered slow afterhyperpolarization (sAHP, the pacemaker brake of
raphe 5-HT cells). Cell types differ only in parameter values, which live next to each cell type
(``depnet.circuits.raphe``, ``depnet.circuits.pfc``) with their units and sources.

Every parameter is a shared Brian2 variable of the group rather than a constant folded into the
code, so that one compiled binary can serve a whole parameter sweep (``device.run(run_args=...)``).
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
from brian2 import Hz, mM, ms, mV, nS, pA, pF
from brian2.units.fundamentalunits import DIMENSIONLESS

from depnet.circuits import protocol
from depnet.circuits.counter_rng import counter_uniform
from depnet.circuits.simd_exp import simd_exp
from depnet.quantities import Parameter, declaration

#: Membrane and synaptic equations shared by all cell types. Receptor occupancies are linked
#: variables pointing at the cell's region row of the serotonin compartments.
#:
#: ``inv_C_m = 1 / C_m`` and ``inv_tau_ahp = 1 / tau_ahp`` are per-cell constants computed on the
#: host (:data:`DERIVED`): the state update runs for every cell and step, and a division there
#: costs several times a multiplication that the compiler cannot hoist (the values are per cell).
#: The equations are those with ``/ C_m`` and ``/ tau_ahp`` (to rounding); ``C_m`` and
#: ``tau_ahp`` remain the parameters.
#:
#: ``g_girk`` (5-HT1A) and ``g_h`` (5-HT7) are set from the region's receptor occupancies every
#: :data:`RECEPTOR_INTERVAL` (:data:`RECEPTOR_CODE`), after the serotonin compartments' binding:
#: the state update then reads per-cell arrays only, no occupancy gathered through an index
#: array, which gcc cannot vectorize.
#:
#: Refractoriness is written out rather than Brian2's ``(unless refractory)``: a spike sets
#: ``t_free`` (the end of the period) and ``v`` stands still until then. The cells are refractory
#: in the same steps (see :func:`derived_columns`), and the update has no branch per cell, which
#: together with :func:`~depnet.circuits.simd_exp.simd_exp` lets gcc vectorize the loop.
#:
#: NMDA gating saturates per presynaptic cell when its ``nmda_saturation`` is above 0 (see
#: :data:`NMDA_RELEASE_CODE`): ``nmda_gate`` is the cell's gating variable ``s`` (0..1) just
#: after its last spike and ``nmda_release`` the share ``1 - s`` of its NMDA weight that its
#: latest spike delivers, read by every glutamatergic synapse it makes (:data:`NMDA_RELEASE`).
NEURON_EQUATIONS = """
dv/dt = (I_leak + I_syn + I_k + I_h + I_bias + I_stim) * inv_C_m * int(t >= t_free) : volt
I_leak = g_L * (E_L - v) : amp
I_syn = g_ampa * (E_ampa - v) + g_nmda * nmda_open * (E_nmda - v) + g_gaba * (E_gaba - v) : amp
nmda_open = mg_block * (1 - nmda_block) : 1
mg_block = 1 / (1 + Mg / (3.57 * mM) * simd_exp(-0.062 * v / mV)) : 1
I_k = (g_girk + g_ahp) * (E_K - v) : amp
I_h = g_h * (E_h - v) : amp
g_girk : siemens
g_h : siemens
dg_ampa/dt = -g_ampa / tau_ampa : siemens
dg_gaba/dt = -g_gaba / tau_gaba : siemens
ds_nmda/dt = -s_nmda / tau_nmda_decay : siemens
dg_nmda/dt = (s_nmda - g_nmda) / tau_nmda_rise : siemens
dg_ahp/dt = -g_ahp * inv_tau_ahp : siemens
t_free : second
nmda_gate : 1
nmda_release : 1
I_bias : amp (constant)
occupancy_5ht1a : 1 (linked)
occupancy_5ht7 : 1 (linked)
pulse_a : 1 (linked)
pulse_b : 1 (linked)
"""

#: The receptor-gated conductances from the occupancies (``run_regularly`` at the start of a
#: step, after ``serotonin_binding``, every :data:`RECEPTOR_INTERVAL`).
RECEPTOR_CODE = """
g_girk = g_girk_max * occupancy_5ht1a
g_h = g_5ht7_max * occupancy_5ht7
"""

#: How often the receptor-gated conductances follow the occupancies (held in between). The
#: occupancies move with [5-HT], whose clearance acts over ~1.5 s (``vmax_sert``), and the
#: conductances they gate open through G-protein cascades far slower than 1 ms; the update
#: reads each cell's occupancy through its region index (a gather gcc does not vectorize) and
#: cost ~11% of the whole circuit's run time when done every 0.1 ms step.
RECEPTOR_INTERVAL = Parameter(
    1 * ms,
    "chosen: well below GIRK activation by 5-HT1A (tens of ms; Luscher et al. 1997 Neuron "
    "19:687) and the seconds over which [5-HT] changes",
)


def receptor_interval(dt: b2.Quantity) -> b2.Quantity:
    """:data:`RECEPTOR_INTERVAL` as a whole number of time steps ``dt`` (at least one), so that
    the receptor clock ticks with the network's."""
    return max(1, round(float(RECEPTOR_INTERVAL.value / dt))) * dt


#: Saturating NMDA gating per presynaptic cell, applied at its spike (in the reset, so that
#: synapses, whose delays are all at least one step by default, read the new value). As in
#: Wang (1999) J Neurosci 19:9587 and Ramirez-Mahaluf et al. (2017), each cell has a gating
#: variable ``s`` that decays with ``tau_nmda_decay`` and that a spike raises by
#: ``nmda_saturation * (1 - s)``
#: (the fast rise, ``alpha * tau_x`` = 0.5 kHz x 2 ms, integrated: ``1 - exp(-1)`` = 0.63).
#: A spike gives each of the cell's synapses ``w_nmda * (1 - s)`` of ``s_nmda``, so a synapse's
#: NMDA conductance is ``w_nmda / nmda_saturation * s``: ``w_nmda`` for an isolated spike, at
#: most ``w_nmda / nmda_saturation`` at high rates. The decay is computed from the time of the
#: previous spike (``t_free - refractory_window``), so nothing is integrated between spikes.
#: With ``nmda_saturation`` 0 the gate stays 0 and every spike delivers its whole weight
#: (``nmda_release`` 1): the linear NMDA of the other cells, the same numbers bit for bit.
NMDA_RELEASE_CODE = (
    "nmda_gate *= exp(-(t - t_free + refractory_window) / tau_nmda_decay); "
    "nmda_release = 1 - nmda_gate; "
    "nmda_gate += nmda_saturation * nmda_release"
)

#: The factor of a presynaptic spike's NMDA increment (``s_nmda_post += w_nmda * ...``).
NMDA_RELEASE = "nmda_release_pre"

#: Parameters common to all cell types: reversal potentials, synaptic kinetics, Mg2+.
SYNAPTIC_PARAMETERS: dict[str, Parameter] = {
    "E_ampa": Parameter(0 * mV, "Ramirez-Mahaluf et al. 2017 Cereb Cortex 27:660"),
    "E_nmda": Parameter(0 * mV, "Ramirez-Mahaluf et al. 2017"),
    "E_gaba": Parameter(-70 * mV, "Ramirez-Mahaluf et al. 2017"),
    "E_K": Parameter(-90 * mV, "chosen: K+ reversal at physiological [K+]o (GIRK and sAHP)"),
    "E_h": Parameter(-35 * mV, "chosen: mixed-cation Ih reversal, -30 to -45 mV in most cells"),
    "tau_ampa": Parameter(2 * ms, "Ramirez-Mahaluf et al. 2017", low=0.01 * ms),
    "tau_nmda_rise": Parameter(2 * ms, "Ramirez-Mahaluf et al. 2017", low=0.01 * ms),
    "tau_nmda_decay": Parameter(100 * ms, "Ramirez-Mahaluf et al. 2017", low=0.01 * ms),
    "tau_gaba": Parameter(10 * ms, "Ramirez-Mahaluf et al. 2017", low=0.01 * ms),
    "Mg": Parameter(
        1 * mM, "Jahr & Stevens 1990 J Neurosci 10:3178 (1 mM extracellular)", low=0 * mM
    ),
}


def cell_parameters(
    *,
    C_m: b2.Quantity,
    g_L: b2.Quantity,
    E_L: b2.Quantity,
    V_th: b2.Quantity,
    V_reset: b2.Quantity,
    t_ref: b2.Quantity,
    sources: str,
    **extra: Parameter,
) -> dict[str, Parameter]:
    """Parameter table for a cell type: membrane values from ``sources``, plus cell-specific ones.

    Conductances a cell type lacks (GIRK, Ih, sAHP, tonic drive) default to zero, so that every
    population runs the same equations and an intervention can switch them on.
    """
    table = {
        "C_m": Parameter(C_m, sources, low=1 * pF),
        "g_L": Parameter(g_L, sources, low=0.01 * nS),
        "E_L": Parameter(E_L, sources),
        "V_th": Parameter(V_th, sources),
        "V_reset": Parameter(V_reset, sources),
        "t_ref": Parameter(t_ref, sources, low=0 * ms),
        "g_girk_max": Parameter(0 * nS, "chosen: no 5-HT1A receptors unless stated", low=0 * nS),
        "g_5ht7_max": Parameter(0 * nS, "chosen: no 5-HT7 receptors unless stated", low=0 * nS),
        "delta_g_ahp": Parameter(0 * nS, "chosen: no sAHP unless stated", low=0 * nS),
        "tau_ahp": Parameter(100 * ms, "chosen: unused while delta_g_ahp is 0", low=0.1 * ms),
        "nmda_saturation": Parameter(
            0.0,
            "chosen: linear NMDA (no saturation) unless stated; 0.63 is the saturating gate of "
            "Wang 1999 J Neurosci 19:9587 and Ramirez-Mahaluf et al. 2017 (1 - exp(-1))",
            low=0,
            high=1,
        ),
        "I_bias_mean": Parameter(0 * pA, "chosen: no tonic drive unless stated"),
        "I_bias_sd": Parameter(0 * pA, "chosen: homogeneous drive unless stated", low=0 * pA),
        "background_rate": Parameter(
            0 * Hz, "chosen: no background input unless stated", low=0 * Hz
        ),
        "background_n": Parameter(1000.0, "chosen: number of background Poisson inputs", low=0),
        "background_weight": Parameter(0 * nS, "chosen: no background input", low=0 * nS),
    }
    table.update(extra)
    return table


_RM2017 = "Ramirez-Mahaluf et al. 2017 Cereb Cortex 27:660"


def fast_spiking_interneuron(**extra: Parameter) -> dict[str, Parameter]:
    """Fast-spiking interneuron membrane of the Ramirez-Mahaluf et al. (2017) model."""
    return cell_parameters(
        C_m=200 * pF, g_L=20 * nS, E_L=-70 * mV, V_th=-50 * mV, V_reset=-55 * mV, t_ref=1 * ms,
        sources=f"{_RM2017} (interneurons)", **extra,
    )  # fmt: skip


def cortical_background(weight: Parameter) -> dict[str, Parameter]:
    """The 1800 Hz aggregate Poisson background of Ramirez-Mahaluf et al. (2017) onto AMPA."""
    return {
        "background_rate": Parameter(1.8 * Hz, f"{_RM2017}: 1000 inputs x 1.8 Hz", low=0 * Hz),
        "background_n": Parameter(1000.0, f"{_RM2017}: 1000 inputs x 1.8 Hz", low=0),
        "background_weight": weight,
    }


#: Variables of the cell types that a scenario may record as traces.
TRACEABLE = ("v", "g_ampa", "g_nmda", "g_gaba", "g_girk", "g_ahp", "I_syn")

#: Cell-type parameters that become per-neuron constants, so that cells of several types share
#: one NeuronGroup (one set of code objects: what keeps CUDA builds and kernel launches few).
PER_CELL = (
    "C_m g_L E_L V_th V_reset t_ref g_girk_max g_5ht7_max tau_ahp delta_g_ahp nmda_saturation "
    "background_rate background_n background_weight"
).split()

#: Background input: the number of Poisson afferent spikes in a step is Poisson distributed
#: (the sum of ``background_n`` Poisson trains), each adding ``background_weight`` to AMPA.
#: It is drawn by inversion with one uniform number per cell and step: the count is the number
#: of the cell's cumulative Poisson probabilities ``background_cdf_k = P(X <= k)`` (for
#: ``lambda = background_n * background_rate * dt``, computed on the host at build, see
#: :func:`background_thresholds`) that the draw exceeds. Brian2's ``poisson()`` costs an
#: ``exp()`` and ``1 + X`` uniform draws per cell and step (about 40% of the whole circuit's run
#: time on cpp); this costs one draw and ``BACKGROUND_TERMS`` comparisons, for the same
#: distribution up to the cap below. The uniform number is
#: :func:`~depnet.circuits.counter_rng.counter_uniform` of the cell, the time step and the group's
#: ``background_key`` (set from the scenario's seed by the circuit builder): a hash, not a draw
#: from Brian2's serial ``rand()`` stream, so gcc vectorizes the loop and every target (runtime,
#: cpp, CUDA) gives the same input for the same seed.
#: Stimulation pulses (rTMS, DBS, PAS) arrive the same way, as a conductance kick per pulse of the
#: stimulator channel (``pulse_a``/``pulse_b`` are 1 in the step a pulse starts).
#:
#: ``BACKGROUND_TERMS`` caps the count of a step at that many afferent spikes; the probability
#: moved onto the cap, ``P(X > BACKGROUND_TERMS)``, must stay below ``BACKGROUND_TAIL`` for every
#: cell, or the build raises. With 6 terms that holds for lambda < 0.4998. The circuit's largest
#: lambda is the cortical background's 1000 x 1.8 Hz x 0.1 ms = 0.18 (5 terms would do, up to
#: 0.313; the raphe 5-HT cells' 100 x 2 Hz x 0.1 ms = 0.02 needs 3); the sixth leaves room for
#: sweeps and scenarios that raise the background rate by up to 2.7x or use dt up to 0.25 ms.
#: Each term costs one per-cell array read and one comparison per step.
BACKGROUND_TERMS = 6
BACKGROUND_TAIL = 1e-6
BACKGROUND_CDF = tuple(f"background_cdf_{k}" for k in range(BACKGROUND_TERMS))
BACKGROUND_CODE = (
    "background_u = counter_uniform(i, t_in_timesteps, background_key)\n"
    "g_ampa += background_weight * ("
    + " + ".join(f"int(background_u > {name})" for name in BACKGROUND_CDF)
    + ") + stim_gain_a * pulse_a + stim_gain_b * pulse_b"
)


def background_thresholds(lam: np.ndarray) -> np.ndarray:
    """Cumulative Poisson probabilities ``P(X <= k)``, ``k < BACKGROUND_TERMS``, per cell.

    Parameters
    ----------
    lam
        Mean afferent spike count per cell and step (``background_n * background_rate * dt``).

    Returns
    -------
    numpy.ndarray
        Shape ``(BACKGROUND_TERMS, len(lam))``. A uniform draw ``u`` in [0, 1) exceeds the first
        ``X`` of them with ``P(X = k)`` the Poisson probability of ``k`` for ``k <
        BACKGROUND_TERMS`` (and ``P(X >= BACKGROUND_TERMS)`` for the cap).

    Raises
    ------
    ValueError
        Where a cell's ``P(X > BACKGROUND_TERMS)`` is ``BACKGROUND_TAIL`` or more (a background
        too strong for the cap: raise ``BACKGROUND_TERMS``).
    """
    lam = np.asarray(lam, dtype=float)
    if np.any(lam < 0) or not np.all(np.isfinite(lam)):
        raise ValueError("background_n * background_rate * dt must be finite and >= 0")
    k = np.arange(BACKGROUND_TERMS + 1)[:, None]
    # pmf by the recurrence p_k = p_(k-1) * lam / k (no factorials, exact at lam = 0)
    factors = np.where(k == 0, np.exp(-lam), lam / np.maximum(k, 1))
    cdf = np.cumsum(np.cumprod(factors, axis=0), axis=0)
    tail = 1.0 - cdf[-1]  # P(X > BACKGROUND_TERMS)
    if np.any(tail >= BACKGROUND_TAIL):
        worst = float(lam[np.argmax(tail)])
        raise ValueError(
            f"background Poisson mean per step {worst:.4g} (background_n * background_rate * dt) "
            f"needs more than BACKGROUND_TERMS = {BACKGROUND_TERMS} terms for a tail below "
            f"{BACKGROUND_TAIL:g}; raise depnet.circuits.neuron.BACKGROUND_TERMS"
        )
    return cdf[:-1]


#: Per-cell constants computed on the host from the cell-type parameters (see
#: :func:`derived_columns`): name -> (Brian2 unit, the parameters they are computed from). They are
#: not parameters: scenarios and sweeps set the parameters, and a sweep's ``run_args`` carry the
#: recomputed constants along (they are settable values of the built network). A change of a
#: source parameter during a run would leave them stale, so interventions may not target one
#: (:data:`DERIVED_SOURCES`; checked in ``depnet.scenarios.schedule``).
DERIVED: dict[str, tuple[b2.Unit | float, tuple[str, ...]]] = {
    **{name: (1.0, ("background_n", "background_rate")) for name in BACKGROUND_CDF},
    "inv_C_m": (1 / b2.farad, ("C_m",)),
    "inv_tau_ahp": (Hz, ("tau_ahp",)),
    "refractory_window": (b2.second, ("t_ref",)),
}
DERIVED_SOURCES = frozenset(source for _, sources in DERIVED.values() for source in sources)


def derived_columns(columns: dict[str, np.ndarray], dt: float) -> dict[str, np.ndarray]:
    """Per-cell values of :data:`DERIVED` from the cell-type parameter columns (SI values).

    Parameters
    ----------
    columns
        Per-cell values of at least the :data:`DERIVED_SOURCES`, as plain arrays in SI units.
    dt
        Time step of the group's clock, in seconds.
    """
    lam = columns["background_n"] * columns["background_rate"] * dt
    derived = dict(zip(BACKGROUND_CDF, background_thresholds(lam), strict=True))
    derived["inv_C_m"] = 1.0 / columns["C_m"]
    derived["inv_tau_ahp"] = 1.0 / columns["tau_ahp"]
    # Brian2's refractoriness for a period t_ref: a cell is refractory while
    # timestep(t - lastspike, dt) < timestep(t_ref, dt), with timestep(x, dt) =
    # int((x + 1e-3 * dt) / dt), two divisions and two conversions per cell and step. As
    # t - lastspike is a whole number of steps (to rounding far below dt / 2), that is
    # t - lastspike < (timestep(t_ref, dt) - 0.5) * dt: the same steps, one comparison. The
    # reset sets t_free = t + refractory_window, so a cell is refractory while t < t_free.
    steps = np.floor((columns["t_ref"] + 1e-3 * dt) / dt)
    derived["refractory_window"] = (steps - 0.5) * dt
    return derived


def make_neuron_group(
    name: str,
    cells: list[tuple[int, dict[str, b2.Quantity | float]]],
    synaptic: dict[str, b2.Quantity | float],
    rng: np.random.Generator,
    block=None,
    tables: protocol.Tables | None = None,
    sums: str = "",
) -> b2.NeuronGroup:
    """Create one NeuronGroup holding consecutive blocks of cells of several types.

    Parameters
    ----------
    name
        Group name.
    cells
        ``(count, parameter values)`` per cell type, in the order they occupy the group.
    synaptic
        Resolved values of the shared synaptic table (reversal potentials, kinetics, Mg2+).
    rng
        Source of the initial membrane potentials and tonic-drive heterogeneity; drawn on the
        host so that every target starts from the same state.
    block
        Extra equations and reset of the postsynaptic side of structural plasticity
        (a :class:`depnet.plasticity_rules.structural.NeuronBlock`), or None.
    tables
        The circuit's protocol tables: the group's per-cell protocol variables
        (:data:`depnet.circuits.protocol.PER_CELL`: a polarizing current, the share of NMDA
        channels blocked, the conductance kick per stimulator pulse, the AMPA decay time) and,
        with ``block``, its structural ones follow them, set in the receptor update. None: a
        group for tests, whose protocol variables keep the values they are given.
    sums
        Declarations of the per-cell weight sums that plastic projections onto the group keep
        (:func:`depnet.circuits.plasticity.weight_sum_declarations`).
    """
    declarations = [declaration(k, synaptic[k]) for k in SYNAPTIC_PARAMETERS if k != "tau_ampa"]
    declarations += [f"{k} : {unit}" for k, unit in protocol.PER_CELL.items()]
    declarations += [f"{protocol.ROW} : integer (constant)", protocol.epoch_declaration()]
    first = cells[0][1]
    declarations += [declaration(k, first[k], flags="constant") for k in PER_CELL]
    declarations += [declaration(k, unit, flags="constant") for k, (unit, _) in DERIVED.items()]
    declarations.append("background_key : integer (constant, shared)")
    equations = NEURON_EQUATIONS + "\n".join(declarations) + (f"\n{sums}" if sums else "")
    # The NMDA gate reads the previous spike's time from t_free, so it comes first.
    reset = f"{NMDA_RELEASE_CODE}; v = V_reset; g_ahp += delta_g_ahp; "
    reset += "t_free = t + refractory_window"
    if block is not None:
        equations, reset = equations + "\n" + block.equations, f"{reset}; {block.reset}"
    n_total = sum(n for n, _ in cells)
    receptor_code = RECEPTOR_CODE
    namespace = {"simd_exp": simd_exp, "counter_uniform": counter_uniform}
    if tables is not None:
        slots = tables.add(name, protocol.PER_CELL, per_cell=True)
        if block is not None:
            slots += tables.add(name, protocol.STRUCTURAL, per_cell=False)
        receptor_code = protocol.update_code(slots) + "\n" + RECEPTOR_CODE
        namespace |= tables.namespace(slots)
    group = b2.NeuronGroup(
        n_total, equations, threshold="v > V_th and t >= t_free", reset=reset,
        method="euler", name=name, namespace=namespace,
    )  # fmt: skip
    for key in SYNAPTIC_PARAMETERS:
        setattr(group, key, synaptic[key])
    # A synapse with no delay reads the release before its cell's reset: let the first spike
    # deliver its whole weight then too (later ones read the previous spike's value).
    group.nmda_release = 1
    columns = {key: np.empty(n_total) for key in [*PER_CELL, "v", "I_bias"]}
    start = 0
    for n, cell in cells:
        rows = slice(start, start + n)
        for key in PER_CELL:
            columns[key][rows] = float(cell[key])
        v_th, v_reset = float(cell["V_th"]), float(cell["V_reset"])
        columns["v"][rows] = v_reset + rng.random(n) * (v_th - v_reset)
        columns["I_bias"][rows] = float(cell["I_bias_mean"]) + float(
            cell["I_bias_sd"]
        ) * rng.standard_normal(n)
        start += n
    units = {key: _unit(first[key]) for key in PER_CELL} | {"v": b2.volt, "I_bias": b2.amp}
    for key, column in columns.items():
        setattr(group, key, column * units[key])
    for key, column in derived_columns(columns, float(group.clock.dt)).items():
        setattr(group, key, column * DERIVED[key][0])
    receptor_clock = b2.Clock(receptor_interval(group.clock.dt), name=f"{name}_receptors_clock")
    group.run_regularly(
        receptor_code, clock=receptor_clock, when="start", order=-9, name=f"{name}_receptors"
    )
    group.run_regularly(BACKGROUND_CODE, when="synapses", name=f"{name}_background")
    return group


def _unit(value: b2.Quantity | float) -> b2.Unit | float:
    dim = b2.get_dimensions(value)
    return 1.0 if dim is DIMENSIONLESS else b2.get_unit(dim)
