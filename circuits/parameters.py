"""The parameter table of the whole circuit, addressed by dotted path.

Paths are ``<population>.<name>`` (``drn_5ht.g_girk_max``, also the septal drive
``ms_theta.f_theta``), ``synaptic.<name>``,
``serotonin.<name>``, ``serotonin.innervation.<region>``, ``serotonin.sert_density.<region>``
and ``projections.<projection>.<name>``.
Scenario files override values by these paths; :func:`resolve` checks units and ranges.
"""

from __future__ import annotations

from collections.abc import Mapping

import brian2 as b2

from depnet.circuits import dmn, hippocampus, pfc, plasticity, projections, raphe, serotonin
from depnet.circuits.neuron import SYNAPTIC_PARAMETERS
from depnet.quantities import Parameter

_MODULES = (raphe, pfc, hippocampus, dmn)
#: Regions of the circuit and their populations' sizes at scale 1 (``kind -> count``).
REGIONS: dict[str, dict[str, int]] = {r: k for m in _MODULES for r, k in m.REGIONS.items()}
CELL_TYPES: dict[str, dict[str, Parameter]] = {
    name: table for m in _MODULES for name, table in m.CELL_TYPES.items()
}
#: Drives that are not neurons of the shared model (the septal theta pacemakers), by name.
DRIVES: dict[str, dict[str, Parameter]] = {hippocampus.SEPTUM: hippocampus.SEPTUM_PARAMETERS}


def _flatten() -> dict[str, Parameter]:
    table: dict[str, Parameter] = {}
    for name, p in SYNAPTIC_PARAMETERS.items():
        table[f"synaptic.{name}"] = p
    for population, cell in CELL_TYPES.items():
        for name, p in cell.items():
            table[f"{population}.{name}"] = p
    for drive, params in DRIVES.items():
        for name, p in params.items():
            table[f"{drive}.{name}"] = p
    for name, p in serotonin.PARAMETERS.items():
        table[f"serotonin.{name}"] = p
    for region, p in serotonin.INNERVATION.items():
        table[f"serotonin.innervation.{region}"] = p
    for region, p in serotonin.SERT_DENSITY.items():
        table[f"serotonin.sert_density.{region}"] = p
    for projection, params in projections.PARAMETERS.items():
        for name, p in params.items():
            table[f"projections.{projection}.{name}"] = p
    return table


#: Every parameter of the circuit by dotted path.
DEFAULT_PARAMETERS: dict[str, Parameter] = _flatten()


class UnknownParameterError(KeyError):
    """A dotted path that names no parameter."""


def resolve(overrides: Mapping[str, b2.Quantity | float]) -> dict[str, b2.Quantity | float]:
    """All parameter values, defaults replaced by ``overrides`` (checked for units and range)."""
    values = {path: p.value for path, p in DEFAULT_PARAMETERS.items()}
    for path, value in overrides.items():
        if path not in DEFAULT_PARAMETERS:
            raise UnknownParameterError(path)
        values[path] = DEFAULT_PARAMETERS[path].check(value)
    return values


def plasticity_parameter_table(specs: Mapping[str, Mapping]) -> dict[str, Parameter]:
    """Parameters of the learning rules that projections carry (``plasticity.<...>`` paths)."""
    return plasticity.parameter_table(specs)
