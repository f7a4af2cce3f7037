"""Spike-timing-dependent plasticity (STDP) with a learning rate gated by 5-HT receptors.

Three rules, all with event-driven traces (exact between spikes, so they cost nothing between
events and run unchanged on the runtime, C++ standalone and brian2cuda targets):

``stdp_additive``
    Pair STDP with all-to-all spike interactions and additive updates clipped to
    ``[0, w_max]`` (Song, Miller & Abbott 2000 Nat Neurosci 3:919). Under uncorrelated Poisson
    input the weights split towards the two bounds: a bimodal distribution.
``stdp_multiplicative``
    The same pair window with soft bounds: potentiation proportional to ``w_max - w`` and
    depression proportional to ``w`` (depression as in van Rossum, Bi & Turrigiano 2000
    J Neurosci 20:8812; soft upper bound as in Rubin, Lee & Sompolinsky 2001 Phys Rev Lett
    86:364). The weights settle in one peak between the bounds.
``stdp_triplet``
    Triplet STDP (Pfister & Gerstner 2006 J Neurosci 26:9673, all-to-all): potentiation at a
    postsynaptic spike grows with the postsynaptic trace ``o2`` of earlier postsynaptic spikes,
    which gives the frequency dependence of Sjostrom et al. 2001. Defaults are the paper's
    minimal all-to-all visual cortex fit (Table 3); updates are additive, clipped to
    ``[0, w_max]``.

Traces are named as in Pfister & Gerstner 2006: ``r1``, ``r2`` presynaptic, ``o1``, ``o2``
postsynaptic (the pair rules use ``r1`` and ``o1`` only). Every amplitude is a fraction of
``w_max`` per spike pair (or triplet), as ``A_plus = 0.005`` is in Song et al. 2000.

**5-HT gate.** Every weight change (potentiation and depression alike) is multiplied by

    learning_rate = eta * max(0, 1 + gain_5ht7 * occupancy_5ht7 - gain_5ht1a * occupancy_5ht1a)

with the receptor occupancies of the postsynaptic cell: 5-HT7 (Gs) facilitates plasticity and
5-HT1A (Gi/o) depresses it. The occupancies are read either from the postsynaptic group's
``occupancy_5ht7`` / ``occupancy_5ht1a`` variables (``occupancy="post"``; plain variables, or
linked ones without an index) or, for depnet's neurons, whose occupancies are linked with an index
to the region's serotonin compartment (Brian2 cannot read such variables through a synapse), from
linked variables of the synapses themselves (``occupancy="compartments"``, then
:func:`link_occupancy`).

Every parameter is a ``(shared, constant)`` synaptic variable, so that one compiled binary can
serve a sweep (``device.run(run_args=...)``). Nothing here creates synapses or needs a
``network_operation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
from brian2 import ms, nS

from depnet.quantities import Parameter, declaration

RULES = ("stdp_additive", "stdp_multiplicative", "stdp_triplet")
#: Postsynaptic variable that a presynaptic spike increments by ``w``, per receptor.
RECEPTORS: dict[str, str] = {"ampa": "g_ampa_post", "nmda": "s_nmda_post"}
#: Where the 5-HT gate reads receptor occupancy (see the module docstring).
OCCUPANCY_SOURCES = ("post", "compartments")

_SONG = "Song, Miller & Abbott 2000 Nat Neurosci 3:919"
_PFISTER = (
    "Pfister & Gerstner 2006 J Neurosci 26:9673, Table 3 (visual cortex, minimal, all-to-all)"
)

#: Shared by all rules: weight bound and learning-rate scale.
COMMON_PARAMETERS: dict[str, Parameter] = {
    "w_max": Parameter(
        0.5 * nS,
        "chosen: ~0.015 g_L of a 25 nS PFC pyramid (Song et al. 2000 use g_max = 0.015 in leak "
        "units), near the 0.3 nS recurrent AMPA weight of depnet.circuits.projections",
        low=0 * nS,
    ),
    "eta": Parameter(
        1.0, "chosen: published amplitudes unscaled; raise only to converge faster", low=0.0
    ),
}

#: Pair rule (additive and multiplicative): the exponential STDP window of Song et al. 2000.
PAIR_PARAMETERS: dict[str, Parameter] = {
    "tau_plus": Parameter(20 * ms, _SONG, low=0.01 * ms),
    "tau_minus": Parameter(20 * ms, _SONG, low=0.01 * ms),
    "A_plus": Parameter(0.005, f"{_SONG} (fraction of w_max per pair)", low=0.0),
    "A_minus": Parameter(
        0.00525, f"{_SONG}: A_minus / A_plus = 1.05, so that depression dominates", low=0.0
    ),
    **COMMON_PARAMETERS,
}

#: Triplet rule: minimal all-to-all fit to the visual cortex data of Sjostrom et al. 2001.
TRIPLET_PARAMETERS: dict[str, Parameter] = {
    "tau_plus": Parameter(16.8 * ms, f"{_PFISTER}, fixed from Bi & Poo 2001", low=0.01 * ms),
    "tau_minus": Parameter(33.7 * ms, f"{_PFISTER}, fixed from Bi & Poo 2001", low=0.01 * ms),
    "tau_x": Parameter(
        101 * ms,
        "Pfister & Gerstner 2006, full all-to-all visual cortex model (unused while A3_minus = 0)",
        low=0.01 * ms,
    ),
    "tau_y": Parameter(114 * ms, _PFISTER, low=0.01 * ms),
    "A2_plus": Parameter(0.0, _PFISTER, low=0.0),
    "A3_plus": Parameter(6.5e-3, _PFISTER, low=0.0),
    "A2_minus": Parameter(7.1e-3, _PFISTER, low=0.0),
    "A3_minus": Parameter(0.0, _PFISTER, low=0.0),
    **COMMON_PARAMETERS,
}

#: 5-HT gate of the learning rate. Signs encode direction; the defaults are >= 0.
GATE_PARAMETERS: dict[str, Parameter] = {
    "gain_5ht7": Parameter(
        1.0,
        "chosen: full 5-HT7 occupancy doubles the learning rate; direction from the impaired "
        "hippocampal LTP of 5-HT7 knockout mice (Roberts et al. 2004 Eur J Neurosci)",
    ),
    "gain_5ht1a": Parameter(
        1.0,
        "chosen: full 5-HT1A occupancy alone abolishes plasticity; direction from 5-HT1A "
        "inhibition of LTP (Sakai & Tanaka 1993 Brain Res)",
    ),
}

_TRACES = {
    "pair": """
dr1/dt = -r1 / tau_plus : 1 (event-driven)
do1/dt = -o1 / tau_minus : 1 (event-driven)
""",
    "triplet": """
dr1/dt = -r1 / tau_plus : 1 (event-driven)
dr2/dt = -r2 / tau_x : 1 (event-driven)
do1/dt = -o1 / tau_minus : 1 (event-driven)
do2/dt = -o2 / tau_y : 1 (event-driven)
""",
}

_CLIP = "clip({}, 0*siemens, w_max)"

#: Weight updates at a presynaptic spike (after transmission) and at a postsynaptic spike.
_UPDATES = {
    "stdp_additive": (
        ["r1 += 1", "w = " + _CLIP.format("w - learning_rate * A_minus * w_max * o1")],
        ["o1 += 1", "w = " + _CLIP.format("w + learning_rate * A_plus * w_max * r1")],
    ),
    "stdp_multiplicative": (
        ["r1 += 1", "w = " + _CLIP.format("w - learning_rate * A_minus * w * o1")],
        ["o1 += 1", "w = " + _CLIP.format("w + learning_rate * A_plus * (w_max - w) * r1")],
    ),
    # Pfister & Gerstner 2006 eqs. 3-4: r2 and o2 enter before their own spike's increment.
    "stdp_triplet": (
        [
            "w = " + _CLIP.format("w - learning_rate * w_max * o1 * (A2_minus + A3_minus * r2)"),
            "r1 += 1",
            "r2 += 1",
        ],
        [
            "w = " + _CLIP.format("w + learning_rate * w_max * r1 * (A2_plus + A3_plus * o2)"),
            "o1 += 1",
            "o2 += 1",
        ],
    ),
}

_GATE = {
    "post": "1 + gain_5ht7 * occupancy_5ht7_post - gain_5ht1a * occupancy_5ht1a_post",
    "compartments": "1 + gain_5ht7 * occ_5ht7 - gain_5ht1a * occ_5ht1a",
}
_COMPARTMENT_LINKS = """
occ_5ht7 : 1 (linked)
occ_5ht1a : 1 (linked)
region_row : integer (constant)
"""


@dataclass(frozen=True)
class SynapseModel:
    """Equations of a plastic projection, ready for ``brian2.Synapses(model=, on_pre=, on_post=)``.

    Attributes
    ----------
    rule
        One of :data:`RULES`.
    receptor
        ``"ampa"`` or ``"nmda"``: the postsynaptic variable that ``w`` is added to.
    gated
        Whether the learning rate is gated by 5-HT receptor occupancy.
    occupancy
        Where the gate reads occupancy: ``"post"`` or ``"compartments"``.
    model
        Synaptic equations: the weight ``w`` (siemens), event-driven traces, the
        ``learning_rate`` subexpression and one ``(shared, constant)`` line per parameter.
    on_pre, on_post
        Statements at a presynaptic spike (transmission, then depression) and at a
        postsynaptic spike (potentiation).
    parameters
        Names of the shared parameters to set (see :func:`set_stdp_parameters`).
    """

    rule: str
    receptor: str
    gated: bool
    occupancy: str
    model: str
    on_pre: str
    on_post: str
    parameters: tuple[str, ...]


#: Parameters that may change during a run (chronic stress impairs LTP: a factor on ``eta``),
#: so not declared constant.
RUN_TIME = ("eta",)


def stdp_parameters(rule: str, gated: bool = True) -> dict[str, Parameter]:
    """Parameter table (values with units, sources, ranges) of a rule.

    Parameters
    ----------
    rule
        One of :data:`RULES`.
    gated
        Include the 5-HT gate gains.
    """
    if rule not in RULES:
        raise ValueError(f"unknown plasticity rule {rule!r}; choose from {', '.join(RULES)}")
    table = dict(TRIPLET_PARAMETERS if rule == "stdp_triplet" else PAIR_PARAMETERS)
    if gated:
        table.update(GATE_PARAMETERS)
    return table


def stdp_synapse_model(
    rule: str, receptor: str = "ampa", gated: bool = True, *, occupancy: str = "post"
) -> SynapseModel:
    """Synaptic equations of a plastic excitatory projection.

    Parameters
    ----------
    rule
        One of :data:`RULES`.
    receptor
        ``"ampa"`` (``g_ampa_post += w``) or ``"nmda"`` (``s_nmda_post += w``).
    gated
        Multiply every weight change by the 5-HT gate (``learning_rate = eta * gate``);
        without it ``learning_rate = eta``.
    occupancy
        ``"post"``: the gate reads ``occupancy_5ht7_post`` and ``occupancy_5ht1a_post``.
        ``"compartments"``: it reads synaptic linked variables, to be pointed at the serotonin
        compartments with :func:`link_occupancy` after ``connect``; use this with depnet's
        neurons, whose occupancies are index-linked.

    Returns
    -------
    SynapseModel
        Strings for ``brian2.Synapses`` and the names of its shared parameters.

    Examples
    --------
    >>> m = stdp_synapse_model("stdp_additive", "ampa")
    >>> m.on_pre.splitlines()[0]
    'g_ampa_post += w'
    """
    if receptor not in RECEPTORS:
        raise ValueError(f"unknown receptor {receptor!r}; choose from {', '.join(RECEPTORS)}")
    if occupancy not in OCCUPANCY_SOURCES:
        raise ValueError(
            f"unknown occupancy source {occupancy!r}; choose from {', '.join(OCCUPANCY_SOURCES)}"
        )
    table = stdp_parameters(rule, gated)
    traces = _TRACES["triplet" if rule == "stdp_triplet" else "pair"]
    if gated:
        rate = f"learning_rate = eta * clip({_GATE[occupancy]}, 0, inf) : 1"
        links = _COMPARTMENT_LINKS if occupancy == "compartments" else ""
    else:
        rate, links = "learning_rate = eta : 1", ""
    declarations = "\n".join(
        declaration(name, p.value, "shared" if name in RUN_TIME else "shared, constant")
        for name, p in table.items()
    )
    model = f"w : siemens\n{traces.strip()}\n{rate}\n{links.strip()}\n{declarations}".replace(
        "\n\n", "\n"
    )
    on_pre, on_post = _UPDATES[rule]
    return SynapseModel(
        rule=rule,
        receptor=receptor,
        gated=gated,
        occupancy=occupancy,
        model=model,
        on_pre="\n".join([f"{RECEPTORS[receptor]} += w", *on_pre]),
        on_post="\n".join(on_post),
        parameters=tuple(table),
    )


def set_stdp_parameters(
    synapses: b2.Synapses, model: SynapseModel, **overrides: b2.Quantity | float
) -> dict[str, b2.Quantity | float]:
    """Set a rule's shared parameters on built synapses: defaults, then checked overrides.

    Parameters
    ----------
    synapses
        Synapses created from ``model``.
    model
        The :class:`SynapseModel` the synapses were built with.
    **overrides
        Values replacing the defaults (e.g. ``eta=4.0``, ``w_max=0.1 * nS``), checked for units
        and range.

    Returns
    -------
    dict
        The values set, by parameter name.
    """
    table = stdp_parameters(model.rule, model.gated)
    unknown = sorted(set(overrides) - set(table))
    if unknown:
        raise ValueError(f"{model.rule}: unknown parameters {', '.join(unknown)}")
    values = {}
    for name, parameter in table.items():
        values[name] = parameter.check(overrides[name]) if name in overrides else parameter.value
        setattr(synapses, name, values[name])
    return values


def link_occupancy(synapses: b2.Synapses, compartments: b2.NeuronGroup, region_row: int) -> None:
    """Point the 5-HT gate of ``occupancy="compartments"`` synapses at a region's compartment.

    Call after ``synapses.connect``. The postsynaptic population lies in one region, so every
    synapse reads row ``region_row`` of ``compartments`` (the group of
    :func:`depnet.circuits.serotonin.make_compartments`, with ``occupancy_5ht7`` and
    ``occupancy_5ht1a``).
    """
    synapses.region_row = region_row
    synapses.occ_5ht7 = b2.linked_var(compartments, "occupancy_5ht7", index="region_row")
    synapses.occ_5ht1a = b2.linked_var(compartments, "occupancy_5ht1a", index="region_row")
