"""From resolved sizes and parameter values to the Brian2 objects of the circuit."""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2 as b2
import numpy as np

from depnet.circuits import neuron, plasticity, projections, serotonin
from depnet.circuits.parameters import REGIONS
from depnet.quantities import subtable


@dataclass
class Circuit:
    """The Brian2 objects of one network, with handles that recording needs."""

    populations: dict[str, b2.NeuronGroup]
    compartments: b2.NeuronGroup
    regions: list[str]
    objects: list = field(default_factory=list)
    plastic: dict[str, b2.Synapses] = field(default_factory=dict)


def population_sizes(scale: float, overrides: dict[str, dict[str, int]]) -> dict[str, int]:
    """Number of neurons per population: scale-1 sizes (or overrides) times ``scale``."""
    sizes = {}
    for region, kinds in REGIONS.items():
        for kind, n in kinds.items():
            n = overrides.get(region, {}).get(kind, n)
            sizes[f"{region}_{kind}"] = max(1, int(round(n * scale)))
    return sizes


def region_of(population: str) -> str:
    """The region a population belongs to (``"drn_5ht" -> "drn"``)."""
    return population.split("_", 1)[0]


def build_circuit(
    sizes: dict[str, int],
    values: dict[str, b2.Quantity | float],
    seed: int,
    learning: dict[str, dict] | None = None,
) -> Circuit:
    """Build the raphe-PFC loop.

    Parameters
    ----------
    sizes
        Neurons per population (see :func:`population_sizes`).
    values
        Every parameter by dotted path (see :func:`depnet.circuits.parameters.resolve`).
    seed
        Seeds the host-side draws (connectivity, initial state, drive heterogeneity).
    learning
        Learning rules by projection (the scenario's ``[plasticity]`` tables), or None.
    """
    learning = learning or {}
    rng = np.random.default_rng(seed)
    synaptic = subtable(values, "synaptic")
    regions = list(REGIONS)
    innervation = subtable(values, "serotonin.innervation")
    compartments = serotonin.make_compartments(
        regions,
        subtable(values, "serotonin"),
        innervation,
        n_5ht_at_scale_1=REGIONS["drn"]["5ht"],
        n_5ht=sizes["drn_5ht"],
    )
    populations = {}
    objects: list = [compartments]
    for name, n in sizes.items():
        cell = subtable(values, name)
        block = plasticity.neuron_block(name, learning)
        group = neuron.make_population(name, n, cell, synaptic, rng, block)
        serotonin.link_occupancy(group, compartments, regions.index(region_of(name)))
        plasticity.install_neuron_block(group, learning, values)
        populations[name] = group
        objects += [group, *neuron.make_background(group, cell)]
    plastic = {}
    for name, proj in projections.PROJECTIONS.items():
        source, target = populations[proj.source], populations[proj.target]
        own = subtable(values, f"projections.{name}")
        if name in learning:
            row = regions.index(region_of(proj.target))
            synapses = plasticity.make_plastic_projection(
                name, learning[name], source, target, values, own, compartments, row, rng
            )
            plastic[name] = synapses
        else:
            synapses = projections.make_projection(name, source, target, own, rng)
        objects.append(synapses)
    objects.append(serotonin.make_release(populations["drn_5ht"], compartments))
    return Circuit(populations, compartments, regions, objects, plastic)
