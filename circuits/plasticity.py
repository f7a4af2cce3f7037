"""Learning rules on projections: STDP and structural plasticity composed onto one Synapses.

A scenario names the rules a projection carries (``[plasticity.<projection>]``); this module
turns that into Brian2 objects with the rules of :mod:`depnet.plasticity_rules`:

- an STDP rule makes the projection's weight on one receptor (``w``) plastic, gated by the
  5-HT receptor occupancy of the postsynaptic region's compartment;
- ``structural`` replaces the fixed in-degree graph by a pool of potential synapses
  (``pool_factor`` x in-degree per cell) with a ``present`` flag that gates transmission on every
  receptor; the postsynaptic population then carries calcium, element and BDNF traces.

Parameters are addressed as ``plasticity.<projection>.<name>`` (rule and pool parameters) and
``plasticity.<population>.<name>`` (the postsynaptic side of structural plasticity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import brian2 as b2
import numpy as np

from depnet.circuits import protocol
from depnet.circuits.neuron import NMDA_RELEASE, receptor_interval
from depnet.circuits.projections import PROJECTIONS, Placement, fixed_in_degree, silenced
from depnet.plasticity_rules import stdp, structural
from depnet.quantities import Parameter, subtable

PLASTICITY_RULES = (*stdp.RULES, "structural")
_RECEPTOR_VARIABLE = {"ampa": "g_ampa", "nmda": "s_nmda", "gaba": "g_gaba"}


def stdp_rule(spec: Mapping[str, Any]) -> str | None:
    """The STDP rule among a projection's rules, if any."""
    return next((r for r in spec["rules"] if r in stdp.RULES), None)


def structural_targets(plasticity: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Populations that receive a structural projection, with their growth curve."""
    curves: dict[str, str] = {}
    for name, spec in plasticity.items():
        if "structural" in spec["rules"]:
            target = PROJECTIONS[name].target
            if curves.setdefault(target, spec["growth_curve"]) != spec["growth_curve"]:
                raise ValueError(f"{name}: all structural projections onto {target} need one curve")
    return curves


def parameter_table(plasticity: Mapping[str, Mapping[str, Any]]) -> dict[str, Parameter]:
    """Parameters of the rules that the scenario's projections carry, by dotted path."""
    table: dict[str, Parameter] = {}
    for name, spec in plasticity.items():
        prefix = f"plasticity.{name}."
        if rule := stdp_rule(spec):
            table |= {prefix + k: p for k, p in stdp.stdp_parameters(rule, spec["gated"]).items()}
        if "structural" in spec["rules"]:
            pool = {**structural.SYNAPSE_PARAMETERS, **structural.POOL_PARAMETERS}
            table |= {prefix + k: p for k, p in pool.items()}
    for population, curve in structural_targets(plasticity).items():
        block = structural.structural_neuron_block(curve)
        table |= {f"plasticity.{population}.{k}": p for k, p in block.parameters.items()}
    return table


def neuron_block(population: str, plasticity: Mapping[str, Mapping[str, Any]]):
    """The structural neuron block a population needs, or None."""
    curve = structural_targets(plasticity).get(population)
    return structural.structural_neuron_block(curve) if curve else None


def install_neuron_block(
    group: b2.NeuronGroup,
    plasticity: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
    time_compression: float,
) -> None:
    """Set the structural block's parameters on a population and add its update;
    ``time_compression`` is the slow clock (biological seconds per simulated second)."""
    block = neuron_block(group.name, plasticity)
    if block is None:
        return
    intervals = [
        values[f"plasticity.{name}.update_interval"]
        for name, spec in plasticity.items()
        if "structural" in spec["rules"] and PROJECTIONS[name].target == group.name
    ]
    if any(i != intervals[0] for i in intervals):
        raise ValueError(f"structural projections onto {group.name} need one update_interval")
    own = subtable(values, f"plasticity.{group.name}")
    structural.install_neuron_block(
        group, block, own, time_compression=time_compression, update_interval=intervals[0]
    )
    # Start the activity traces where a cell firing at the set-point rate keeps them, so that a
    # network at its set point begins in structural equilibrium instead of growing for a few
    # tau_Ca while the calcium trace fills up from zero.
    set_point_rate = own["eps_Ca"] / (own["beta_Ca"] * own["tau_Ca"])
    group.Ca = own["eps_Ca"]
    group.bdnf = own["beta_bdnf"] * own["tau_bdnf"] * set_point_rate


def weight_sums(name: str, pooled: bool) -> dict[str, str]:
    """The per-cell sums a plastic projection keeps on its target cells, from which its weight
    statistics are read (:func:`depnet.recording.attach_monitors`): of its (present) synapses
    onto each cell, the summed weight ``w``, squared weight ``w2`` and, for a structural pool,
    the number ``n`` present. Keys ``w``, ``w2`` (and ``n``); values the target group's
    variables."""
    names = {"w": f"w_sum_{name}", "w2": f"w2_sum_{name}"}
    return names | ({"n": f"n_sum_{name}"} if pooled else {})


_SUM_UNITS = {"w": "siemens", "w2": "siemens**2", "n": "1"}


def weight_sum_declarations(populations: list[str], plasticity: Mapping[str, Mapping]) -> str:
    """Declarations of the :func:`weight_sums` that the plastic projections onto any of
    ``populations`` (one NeuronGroup's) keep on its cells."""
    lines = []
    for name, spec in plasticity.items():
        if PROJECTIONS[name].target in populations:
            sums = weight_sums(name, "structural" in spec["rules"])
            lines += [f"{variable} : {_SUM_UNITS[key]}" for key, variable in sums.items()]
    return "\n".join(lines)


_OCCUPANCY_LINKS = """
occ_5ht7 : 1 (linked)
occ_5ht1a : 1 (linked)
region_row : integer (constant)
"""


def _release(receptor: str) -> str:
    """The factor of a spike's increment for ``receptor``: NMDA's saturating presynaptic
    release (:data:`depnet.circuits.neuron.NMDA_RELEASE`), nothing for the others."""
    return f" * {NMDA_RELEASE}" if receptor == "nmda" else ""


def make_plastic_projection(
    name: str,
    spec: Mapping[str, Any],
    source: Placement,
    target: Placement,
    values: Mapping[str, Any],
    projection_values: Mapping[str, Any],
    compartments: b2.NeuronGroup,
    region_row: int,
    rng: np.random.Generator,
    tables: protocol.Tables | None = None,
    seed: int = 0,
) -> b2.Synapses:
    """Build a projection that carries STDP and/or structural plasticity.

    Parameters
    ----------
    name, spec
        Projection name and its ``[plasticity.<name>]`` table (rules, receptor, gated, curve).
    source, target
        Where the presynaptic and postsynaptic populations sit (group and slice).
    values
        Every parameter by dotted path (rule parameters under ``plasticity.<name>.``).
    projection_values
        The projection's own parameters (in-degree, delay, weights).
    compartments, region_row
        Serotonin compartments and the target region's row, read by the 5-HT gates.
    tables
        The circuit's protocol tables: the learning rate ``eta`` (STDP) and the BDNF gain
        ``g_bdnf`` (structural) follow the run's protocol, every receptor interval.
    seed
        Draws which synapses a ``density`` below 1 silences (absent from a pool; weight 0).
    """
    proj = PROJECTIONS[name]
    plastic = spec["receptor"]
    rule, pooled = stdp_rule(spec), "structural" in spec["rules"]
    own = subtable(values, f"plasticity.{name}")
    gate = " * present" if pooled else ""
    model, on_pre, on_post = [_OCCUPANCY_LINKS], [], ""
    if rule:
        m = stdp.stdp_synapse_model(rule, plastic, spec["gated"], occupancy="compartments")
        links = set(_OCCUPANCY_LINKS.strip().splitlines())
        model.append("\n".join(ln for ln in m.model.splitlines() if ln.strip() not in links))
        transmit, *updates = m.on_pre.splitlines()
        on_pre += [transmit + _release(plastic) + gate, *updates]
        on_post = m.on_post
    else:
        model.append("w : siemens")
        on_pre.append(f"{_RECEPTOR_VARIABLE[plastic]}_post += w{_release(plastic)}{gate}")
    for receptor in proj.receptors:  # the other receptors keep fixed shared weights
        if receptor != plastic:
            model.append(f"w_{receptor} : siemens (shared, constant)")
            on_pre.append(
                f"{_RECEPTOR_VARIABLE[receptor]}_post += w_{receptor}{_release(receptor)}{gate}"
            )
    if pooled:
        s = structural.structural_synapse_model(_RECEPTOR_VARIABLE[plastic], own["update_interval"])
        model.append(s.model.replace("w : siemens\n", ""))
        update = s.update_code.replace("occupancy_5ht7_post", "occ_5ht7")
    sums = weight_sums(name, pooled)
    model.append(f"{sums['w']}_post = w{gate} : siemens (summed)")
    model.append(f"{sums['w2']}_post = w * w{gate} : siemens**2 (summed)")
    if pooled:
        model.append(f"{sums['n']}_post = present : 1 (summed)")
    slots, namespace = [], {}
    if tables is not None:
        run_time = {"eta": rule is not None, "g_bdnf": pooled}
        variables = {v: unit for v, unit in protocol.PLASTIC.items() if run_time[v]}
        slots = tables.add(name, variables, per_cell=False)
        namespace = tables.namespace(slots)
        model.append(protocol.epoch_declaration(protocol.SYNAPTIC_EPOCH))
    synapses = b2.Synapses(
        source.group, target.group, model="\n".join(model), on_pre="\n".join(on_pre),
        on_post=on_post, delay=projection_values["delay"], name=name, namespace=namespace,
    )  # fmt: skip
    in_degree = int(round(float(projection_values["in_degree"])))
    w0 = projection_values[f"w_{plastic}"]
    if pooled:
        pool = structural.build_pool(
            source.n, target.n, in_degree, rng, pool_factor=float(own["pool_factor"]),
            w_mean=w0, w_cv=float(own["w_cv"]), no_self=source == target,
        )  # fmt: skip
        synapses.connect(i=pool.i + source.start, j=pool.j + target.start)
        present = np.array(pool.present, dtype=float)
        now = np.flatnonzero(present > 0.5)
        present[now[silenced(len(now), projection_values["density"], seed, name)]] = 0.0
        synapses.present = present
        synapses.w = pool.w * b2.siemens
        for key in structural.SYNAPSE_PARAMETERS:
            setattr(synapses, key, own[key])
        synapses.structural_dt = own["update_interval"]
        synapses.run_regularly(
            update,
            clock=b2.Clock(own["update_interval"], name=f"{name}_structural_clock"),
            when="start",
            order=0,
            name=f"{name}_structural",
        )
    else:
        i, j = fixed_in_degree(source.n, target.n, in_degree, rng, no_self=source == target)
        synapses.connect(i=i + source.start, j=j + target.start)
        transmits = ~silenced(len(i), projection_values["density"], seed, name)
        synapses.w = np.where(transmits, float(w0), 0.0) * b2.siemens
    if rule:
        for key in stdp.stdp_parameters(rule, spec["gated"]):
            setattr(synapses, key, own[key])
    for receptor in proj.receptors:
        if receptor != plastic:
            setattr(synapses, f"w_{receptor}", projection_values[f"w_{receptor}"])
    synapses.region_row = region_row
    synapses.occ_5ht7 = b2.linked_var(compartments, "occupancy_5ht7", index="region_row")
    synapses.occ_5ht1a = b2.linked_var(compartments, "occupancy_5ht1a", index="region_row")
    if slots:
        synapses.run_regularly(
            protocol.update_code(slots, protocol.SYNAPTIC_EPOCH),
            clock=b2.Clock(receptor_interval(synapses.clock.dt), name=f"{name}_protocol_clock"),
            when="start", order=-20, name=f"{name}_protocol",
        )  # fmt: skip
    return synapses
