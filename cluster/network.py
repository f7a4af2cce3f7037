"""What a built network is made of: its structure (what compiles) and its values (what runs).

A standalone binary folds into its code the equations, the connectivity, delays and constants
(a PoissonInput's rate and weight, for instance); every other value lives in an array that
``device.run(run_args=...)`` can replace at start-up. Two networks with the same
:func:`fingerprint` therefore run on one binary, fed with their own :func:`settable_values`.

Both are read off a network built in Brian2's runtime mode (cheap: no code is generated), so no
rule here names a population or a parameter: whatever the circuits build is classified by what
Brian2 does with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

import brian2 as b2
import numpy as np
from brian2.core.variables import ArrayVariable, Constant, Subexpression
from brian2.utils.logger import BrianLogger

from depnet import devices
from depnet.run import build_network
from depnet.spec import Scenario

# Networks built only to be read (never run) are collected on purpose.
BrianLogger.suppress_name("unused_brian_object")

#: Variables holding times relative to the clock, which restarts at 0 in every segment.
TIME_STAMPS = ("lastspike", "lastupdate")
#: Array variables that a run cannot replace: indices, sizes and clocks, and delays (spike
#: queues are prepared from them before the run-time values are applied).
_FIXED = {"i", "j", "t", "dt", "t_in_timesteps", "N", "N_incoming", "N_outgoing"}
#: Attributes of Brian2 objects that end up in generated code.
_CODE_ATTRIBUTES = (
    "abstract_code", "equations", "events", "event_codes", "_refractory", "method_choice",
    "record_variables", "record", "_N", "_rate", "_weight", "_target_var", "when", "order",
)  # fmt: skip


def _objects(objects: Iterable) -> Iterator:
    for obj in objects:
        yield obj
        yield from _objects(getattr(obj, "contained_objects", ()))


def _is_state_owner(obj) -> bool:
    return isinstance(obj, b2.NeuronGroup | b2.Synapses)


def _settable(obj, name: str, var) -> bool:
    return (
        _is_state_owner(obj)
        and isinstance(var, ArrayVariable)
        and not name.startswith("_")
        and name not in _FIXED
        and "delay" not in name
        and not var.read_only
        and var.owner is not None
        and var.owner.name == obj.name  # not a linked or referenced variable of another group
    )


def _digest(value) -> str:
    array = np.ascontiguousarray(value)
    return f"{array.dtype}{array.shape}" + hashlib.sha256(array.tobytes()).hexdigest()[:16]


def _describe(obj) -> list[str]:
    variables = getattr(obj, "variables", None) or {}
    # Brian2 numbers helper functions after the live ones ("poissoninput_binomial_4"), which
    # depends on what else the process built: leave the number out.
    functions = {
        name: re.sub(r"_\d+$", "", name)
        for name, var in variables.items()
        if not isinstance(var, ArrayVariable | Constant | Subexpression)
    }
    lines = [f"{type(obj).__name__} {obj.name} dt={float(obj.clock.dt)!r}"]
    if isinstance(obj, b2.Synapses | b2.NeuronGroup):
        lines.append(f"size {len(obj)}")
    for attribute in _CODE_ATTRIBUTES:
        value = getattr(obj, attribute, None)
        if value is None:
            continue
        if isinstance(value, np.ndarray):
            value = _digest(value)
        elif isinstance(value, set | frozenset):  # set order varies with the process's hash seed
            value = sorted(value, key=str)
        text = str(value)
        for name, base in functions.items():
            text = re.sub(rf"\b{name}\b", base, text)
        lines.append(f"{attribute}={text}")
    for name in sorted(variables):
        var = variables[name]
        if name in functions:
            lines.append(f"{functions[name]} {type(var).__name__}")
            continue
        if isinstance(var, Constant):
            lines.append(f"{name} constant {var.value!r}")
        elif isinstance(var, Subexpression):
            lines.append(f"{name} = {var.expr}")
        elif isinstance(var, ArrayVariable) and getattr(var.owner, "name", None) != obj.name:
            # another object's variable (pre/post, a clock, a monitored source): its owner
            # describes it, and which references exist (Brian2 adds some on demand, in an order
            # that varies between processes) follows from the code
            continue
        elif isinstance(var, ArrayVariable):
            kind = f"{name} {var.dtype} scalar={var.scalar} constant={var.constant}"
            if isinstance(obj, b2.SpikeMonitor | b2.StateMonitor) or name == "_spikespace":
                lines.append(kind)  # recorded or scratch values: not part of the structure
            elif _settable(obj, name, var):
                lines.append(f"{kind} size={var.size}")
            else:
                lines.append(f"{kind} values={_digest(var.get_value())}")
        else:
            lines.append(f"{name} {type(var).__name__}")
    return lines


def fingerprint(net: b2.Network) -> str:
    """A digest of everything in ``net`` that a standalone build compiles in.

    Equal fingerprints mean one binary serves both networks: they differ at most in the values
    of :func:`settable_values`. Connectivity and delays are part of it, so it depends on the seed
    (connectivity is drawn on the host from it) as well as on sizes and code-folded constants.
    """
    described = sorted("\n".join(_describe(obj)) for obj in _objects(net.objects))
    return hashlib.sha256("\n\n".join(described).encode()).hexdigest()[:16]


def settable_values(net: b2.Network) -> dict[tuple[str, str], np.ndarray]:
    """Initial values of every variable that ``run_args`` can set, by (object name, variable).

    Values are plain arrays in SI units, as Brian2 stores them.
    """
    values = {}
    for obj in _objects(net.objects):
        for name, var in (getattr(obj, "variables", None) or {}).items():
            if _settable(obj, name, var):
                values[(obj.name, name)] = np.array(var.get_value(), copy=True)
    return values


def runtime_network(spec: Scenario) -> tuple[str, dict[tuple[str, str], np.ndarray], list[float]]:
    """Build ``spec``'s network in runtime mode: its fingerprint, settable values, clock steps."""
    with devices.activated("runtime"):
        _, _, net, _, _ = build_network(spec)
        clocks = sorted({float(obj.clock.dt) for obj in _objects(net.objects)})
        return fingerprint(net), settable_values(net), clocks


def changed_variables(
    reference: dict[tuple[str, str], np.ndarray], other: dict[tuple[str, str], np.ndarray]
) -> list[str]:
    """``object.variable`` names whose values differ between two networks of one structure.

    What a sweep axis moves once it is compiled (the map from a dotted parameter path to Brian2
    variables, read off the networks rather than from a table).
    """
    return sorted(
        f"{obj}.{name}"
        for (obj, name), value in other.items()
        if (obj, name) not in reference or not np.array_equal(reference[(obj, name)], value)
    )


def run_args(net: b2.Network, values: dict[tuple[str, str], np.ndarray]) -> dict:
    """``device.run(run_args=...)`` for ``values``, addressed to the objects of ``net``."""
    owners = {obj.name: obj for obj in _objects(net.objects)}
    args = {}
    for (owner, name), value in values.items():
        group = owners[owner]
        var = group.variables[name]
        args[getattr(group, name)] = b2.Quantity(value, dim=var.dim) if var.dim else value
    return args
