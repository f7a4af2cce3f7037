"""From resolved sizes and parameter values to the Brian2 objects of the circuit.

Cells of every population live in few NeuronGroups: one, ``neurons``, for all cells of the
shared model, plus one per population that carries the postsynaptic side of structural
plasticity (it has extra equations). Populations are index ranges of these groups
(:class:`~depnet.circuits.projections.Placement`; not Brian2 subgroups, which cannot hold the
index-linked receptor occupancies), and fixed projections are merged per pair of groups and
transmitter
(:func:`depnet.circuits.projections.make_static_projections`). A circuit of 16 populations and
48 projections thus compiles to a few dozen code objects rather than hundreds, which is what
keeps CUDA builds short and kernel launches per time step few.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2 as b2
import numpy as np

from depnet.circuits import (
    counter_rng,
    hippocampus,
    neuron,
    plasticity,
    projections,
    protocol,
    serotonin,
    stimulation,
)
from depnet.circuits.parameters import DRIVES, REGIONS
from depnet.circuits.projections import Placement
from depnet.quantities import subtable, time_compression

#: The NeuronGroup that holds every cell without extra equations.
SHARED_GROUP = "neurons"


@dataclass(frozen=True)
class Layout:
    """Where things are in a built circuit, as plain data (what runs and stores need of it).

    The same for every scenario of one network structure: a run's schedule
    (:mod:`depnet.scenarios.schedule`) and its recording are computed from it without Brian2.
    """

    #: Population or drive -> (NeuronGroup name, first row, last row + 1).
    placements: dict[str, tuple[str, int, int]]
    #: NeuronGroup name -> number of cells.
    groups: dict[str, int]
    regions: list[str]
    #: Plastic projection -> (source group, target group, whether it has a pool of synapses).
    plastic: dict[str, tuple[str, str, bool]]
    #: Fixed projection -> (merged Synapses object's name, first synapse, last + 1).
    spans: dict[str, tuple[str, int, int]]
    #: Protocol variables (:mod:`depnet.circuits.protocol`).
    slots: list[protocol.Slot]

    @property
    def populations(self) -> list[str]:
        """Populations of the shared neuron model (drives excluded), in circuit order."""
        return [name for name in self.placements if name not in DRIVES]

    def to_dict(self) -> dict:
        """JSON-ready (see :meth:`from_dict`)."""
        return {
            "placements": {k: list(v) for k, v in self.placements.items()},
            "groups": dict(self.groups),
            "regions": list(self.regions),
            "plastic": {k: list(v) for k, v in self.plastic.items()},
            "spans": {k: list(v) for k, v in self.spans.items()},
            "slots": [[s.owner, s.variable, s.unit, s.rows] for s in self.slots],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Layout:
        return cls(
            placements={k: tuple(v) for k, v in data["placements"].items()},
            groups=dict(data["groups"]),
            regions=list(data["regions"]),
            plastic={k: tuple(v) for k, v in data["plastic"].items()},
            spans={k: tuple(v) for k, v in data["spans"].items()},
            slots=[protocol.Slot(*s) for s in data["slots"]],
        )


@dataclass
class Circuit:
    """The Brian2 objects of one network, with handles that recording needs."""

    placements: dict[str, Placement]  # population or drive -> group and slice
    compartments: b2.NeuronGroup
    regions: list[str]
    stimulator: dict[str, b2.NeuronGroup]
    objects: list = field(default_factory=list)
    plastic: dict[str, b2.Synapses] = field(default_factory=dict)
    #: Fixed projections: name -> (merged Synapses object's name, first synapse, last + 1).
    spans: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: The protocol tables (what interventions change during a run).
    tables: protocol.Tables = field(default_factory=protocol.Tables)

    @property
    def layout(self) -> Layout:
        """The circuit as plain data (see :class:`Layout`)."""
        return Layout(
            placements={n: (p.group.name, p.start, p.stop) for n, p in self.placements.items()},
            groups={name: len(group) for name, group in self.groups.items()},
            regions=list(self.regions),
            plastic={
                name: (s.source.name, s.target.name, "present" in s.variables)
                for name, s in self.plastic.items()
            },
            spans=dict(self.spans),
            slots=list(self.tables.slots),
        )

    @property
    def groups(self) -> dict[str, b2.NeuronGroup]:
        """The NeuronGroups that hold the populations and drives."""
        return {p.group.name: p.group for p in self.placements.values()}

    @property
    def populations(self) -> list[str]:
        """Populations of the shared neuron model (drives excluded), in circuit order."""
        return [name for name in self.placements if name not in DRIVES]


#: Regions whose presence brings the septal theta drive.
_HIPPOCAMPAL = tuple(hippocampus.REGIONS)


def population_sizes(
    scale: float,
    overrides: dict[str, dict[str, int]],
    regions: tuple[str, ...] | None = None,
) -> dict[str, int]:
    """Number of cells per population (and drive units): scale-1 sizes times ``scale``.

    ``overrides`` replaces scale-1 sizes (``{"drn": {"5ht": 200}}``); ``regions`` selects the
    regions to build (all when None). The septal theta drive comes with any hippocampal region.
    """
    chosen = tuple(REGIONS) if regions is None else regions
    sizes = {}
    for region in chosen:
        for kind, n in REGIONS[region].items():
            n = overrides.get(region, {}).get(kind, n)
            sizes[f"{region}_{kind}"] = max(1, int(round(n * scale)))
    if any(r in _HIPPOCAMPAL for r in chosen):
        sizes[hippocampus.SEPTUM] = max(1, int(round(hippocampus.SEPTUM_SIZE * scale)))
    return sizes


def region_of(population: str) -> str:
    """The region a population belongs to (``"drn_5ht" -> "drn"``)."""
    return population.split("_", 1)[0]


def build_circuit(
    sizes: dict[str, int],
    values: dict[str, b2.Quantity | float],
    seed: int,
    learning: dict[str, dict] | None = None,
    *,
    compressed_day: b2.Quantity,
) -> Circuit:
    """Build the circuit of the regions that ``sizes`` names.

    Projections are built between every pair of present populations that
    :data:`depnet.circuits.projections.PROJECTIONS` connects; the raphe must be present (it is
    the source of 5-HT).

    Parameters
    ----------
    sizes
        Cells per population and drive (see :func:`population_sizes`).
    values
        Every parameter by dotted path (see :func:`depnet.circuits.parameters.resolve`).
    seed
        Seeds the host-side draws (connectivity, initial state, drive heterogeneity) and keys
        each group's background input (:func:`depnet.circuits.counter_rng.stream_key`).
    learning
        Learning rules by projection (the scenario's ``[plasticity]`` tables), or None.
    compressed_day
        The slow clock: the simulated time that stands for one day of every slow process
        (receptor desensitization, drug levels, structural change and the traces that drive it).
    """
    slow = time_compression(compressed_day)
    learning = learning or {}
    rng = np.random.default_rng(seed)
    tables = protocol.Tables()
    cells = {name: n for name, n in sizes.items() if name not in DRIVES}
    regions = [r for r in REGIONS if any(region_of(name) == r for name in cells)]
    compartments = serotonin.make_compartments(
        regions,
        subtable(values, "serotonin"),
        subtable(values, "serotonin.innervation"),
        subtable(values, "serotonin.sert_density"),
        n_5ht_at_scale_1=REGIONS["drn"]["5ht"],
        n_5ht=sizes["drn_5ht"],
        tables=tables,
        time_compression=slow,
    )
    placements = _make_groups(cells, values, rng, learning, tables)
    groups = list({p.group.name: p.group for p in placements.values()}.values())
    stimulator = stimulation.make_stimulator(tables)
    for group in groups:
        group.background_key = counter_rng.stream_key(seed, group.name)
        stimulation.link_pulses(group, stimulator)
        rows = [regions.index(region_of(name)) for name, p in placements.items()
                if p.group is group for _ in range(p.n)]  # fmt: skip
        serotonin.link_occupancy(group, compartments, np.array(rows))
        plasticity.install_neuron_block(group, learning, values, slow)
    objects: list = [compartments, *stimulator.values(), *groups]
    if hippocampus.SEPTUM in sizes:
        septum = hippocampus.make_septal_drive(
            sizes[hippocampus.SEPTUM], subtable(values, hippocampus.SEPTUM)
        )
        placements[septum.name] = Placement(septum, 0, len(septum))
        objects.append(septum)
    present = [name for name, proj in projections.PROJECTIONS.items()
               if proj.source in placements and proj.target in placements]  # fmt: skip
    static, spans = projections.make_static_projections(
        [n for n in present if n not in learning], placements, values, rng, seed
    )
    objects += static
    plastic = {}
    for name in (n for n in present if n in learning):
        proj = projections.PROJECTIONS[name]
        source, target = placements[proj.source], placements[proj.target]
        own = subtable(values, f"projections.{name}")
        row = regions.index(region_of(proj.target))
        plastic[name] = plasticity.make_plastic_projection(
            name, learning[name], source, target, values, own, compartments, row, rng, tables,
            seed,
        )  # fmt: skip
        objects.append(plastic[name])
    release = serotonin.make_release(placements["drn_5ht"], compartments)
    objects.append(release)
    tables.fill_base(values, slow)
    return Circuit(placements, compartments, regions, stimulator, objects, plastic, spans, tables)


def _make_groups(
    cells: dict[str, int],
    values: dict[str, b2.Quantity | float],
    rng: np.random.Generator,
    learning: dict[str, dict],
    tables: protocol.Tables,
) -> dict[str, Placement]:
    """NeuronGroups for the populations: one shared, one per structural-plasticity target."""
    synaptic = subtable(values, "synaptic")
    own = [name for name in cells if plasticity.neuron_block(name, learning) is not None]
    shared = [name for name in cells if name not in own]
    placements: dict[str, Placement] = {}
    layout = [(SHARED_GROUP, shared)] if shared else []
    layout += [(name, [name]) for name in own]
    for group_name, members in layout:
        block = (
            plasticity.neuron_block(members[0], learning) if group_name != SHARED_GROUP else None
        )
        group = neuron.make_neuron_group(
            group_name, [(cells[m], subtable(values, m)) for m in members], synaptic, rng, block,
            tables, sums=plasticity.weight_sum_declarations(members, learning),
        )  # fmt: skip
        start = 0
        for m in members:
            placements[m] = Placement(group, start, start + cells[m])
            start += cells[m]
    return {name: placements[name] for name in cells}  # circuit order
