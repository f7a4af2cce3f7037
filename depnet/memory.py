"""How much memory a scenario needs on the host and on the GPU, estimated from its spec alone.

:func:`estimate` counts what a build of the scenario will hold, without building anything: the
synapses of every Synapses object (population sizes x in-degrees, pools x pool size, exactly as
:mod:`depnet.circuits.build` draws them), the cells of every NeuronGroup, and for each the arrays
Brian2's C++ standalone code and brian2cuda keep per synapse and per cell. The run engine
(:func:`depnet.run.check_memory`) compares the estimate with the memory here before it builds,
and refuses a scenario that cannot fit with one line (exit status 2).

What is counted (bytes per synapse of each :class:`SynapseKind`, see :data:`KINDS`)

- **state**: the arrays a binary keeps and updates: ``_synaptic_pre``/``_synaptic_post`` and
  the ``sources``/``targets`` arrays that ``connect(i=, j=)`` fills (int32), per-synapse delays,
  weights, STDP traces and ``lastupdate``, ``present``, the index of the 5-HT compartment
  (``region_row``). brian2cuda keeps every one of them twice:
  on the device (``dev_dynamic_array_*``, ``dev_array_*``) and on the host
  (``thrust::host_vector``, brian2cuda ``templates/objects.cu``).
- **static**: the static arrays the binary loads from ``static_arrays/`` at its start and keeps
  until it exits (Brian2 ``cpp_standalone/templates/objects.cpp``: ``_load_arrays`` allocates
  them, ``_dealloc_arrays`` frees them): the indices given to ``connect`` and every value set
  from an array. Host only.
- **queues** (host): Brian2's C++ spike queue (``brian2/synapses/spikequeue.h``) holds, per
  pathway (``on_pre``, and ``on_post`` for STDP), each synapse's id in a ``vector<int>`` per
  source cell (4 bytes, grown by doubling: 1.5x on average) and, where the pathway has a
  per-synapse delay array, the delay in steps (an ``int``). brian2cuda sorts the same
  connectivity on the host before it copies it to the GPU (``synapses_push_spikes.cu``); it is
  counted the same. Estimated, not measured on its own (the binary's peak includes it).
- **connectivity** (device, brian2cuda ``templates/synapses_push_spikes.cu``): the synapse ids
  of every pathway (int32 per synapse) and, per source cell and pathway, the number of synapses
  and a pointer (or, for per-synapse delays, a bundle per delay value: number, offset and delay,
  3 int32), with brian2cuda's default of one parallel block (``parallel_blocks``, which depnet
  leaves); the spike eventspaces (``(N + 1)`` int32 per cell, one per delay step of a uniformly
  delayed pathway); the cuRAND buffers of code that calls ``rand()`` (``templates/rand.cu``: at
  least 50 MiB each, 8 bytes per element beyond); a CUDA context (:data:`CUDA_CONTEXT`).
  Estimated from the templates, not measured (no GPU was at hand).
- **cells**: the shared neuron model's per-cell arrays (:data:`NEURON_STATE`), its per-cell
  static arrays (:data:`NEURON_STATIC`), the spike monitor's counts, ``N_incoming`` and
  ``N_outgoing`` (int32 per cell of the target and source group of every Synapses object), and
  the weight sums each plastic projection keeps on every cell of its target group
  (:attr:`SynapseKind.sums`, float64).
- **recording**: what the binary records in one segment (spikes of every cell at an assumed
  mean rate :data:`RATE_HZ`, 12 bytes each; the plastic projections' weight sums per target
  cell every ``record.synapse_dt``; traces, [5-HT], LFP sums), held at a capacity up to twice that
  (:data:`GROWTH_FACTOR`); reading it back in Python; and what the Python process keeps of the
  whole run until it writes the store (every spike, twice while the segments are concatenated).
- **Python**: the process that builds the network holds about :data:`BUILD_COPIES` copies of
  every static array at its peak (depnet's drawn arrays, their concatenation, Brian2's copy in
  ``device.static_arrays``), besides the interpreter with Brian2 (:data:`PYTHON_BASE`).

``benchmarks/memory_estimate.py`` checks the estimate of the arrays (state, static, recording)
against the sizes of a C++ build's arrays, and the estimates of the binary's, the build's and
the reading's peak memory against their measured peak resident sets, at several scales.

Host memory needed = :data:`PYTHON_BASE` + the larger of the Python build and the run (the run's
data kept in Python, plus the binary or, after it, reading its segment back). Device memory
needed (cuda) = :data:`CUDA_CONTEXT` + state + connectivity + recording of a segment.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from brian2 import second

from depnet.circuits import hippocampus, plasticity
from depnet.circuits.build import SHARED_GROUP, region_of
from depnet.circuits.parameters import DRIVES
from depnet.circuits.projections import PROJECTIONS
from depnet.errors import ScenarioError
from depnet.rundata import LFP_CURRENTS, SEROTONIN_VARIABLES
from depnet.spec import DEFAULT_SEGMENT, Scenario

#: Bytes of one element of Brian2's arrays: indices and counts are int32; every state variable
#: is float64 (``core.default_float_dtype``), as are the int64 index arrays of linked variables.
I32, F64 = 4, 8

# -- per synapse ------------------------------------------------------------------------------
#: A spike queue's synapse id (Brian2 ``spikequeue.h``: ``vector<vector<int>> synapses``, one
#: ``vector<int>`` per source cell filled by ``push_back``): 4 bytes, times 1.5 for the capacity
#: that doubling leaves unused on average (between 1x and 2x).
QUEUE_ID = I32 * 1.5
#: A spike queue's delay in steps, for a pathway with a per-synapse delay array (``spikequeue.h``:
#: ``delays = new int[n_delays]``).
QUEUE_DELAY = I32
#: brian2cuda's synapse ids of one pathway on the device (``synapses_push_spikes.cu``:
#: ``d_ptr_synapse_ids``, ``sizeof(int32_t) * syn_N``).
CUDA_SYNAPSE_ID = I32
#: brian2cuda's random numbers for ``rand()`` in synaptic code: one float64 per synapse and step
#: of the buffer (``rand.cu``: ``num_per_cycle = N * rng_calls``), at least
#: :data:`CUDA_RAND_BUFFER` per code object.
CUDA_RAND = F64
CUDA_RAND_BUFFER = 50 * 2**20  # rand.cu: mb_per_obj = 50

# -- per cell -----------------------------------------------------------------------------------
#: Arrays of one cell of the shared neuron model (:mod:`depnet.circuits.neuron`; counted on the
#: built group, tests/test_memory.py checks the count): ``i``, ``protocol_row`` and the
#: ``_spikespace`` (int32), and 42 eight-byte arrays: 8 state variables (``v``, ``g_ampa``,
#: ``g_nmda``, ``s_nmda``, ``g_gaba``, ``g_ahp``, ``g_girk``, ``g_h``), ``t_free``, the NMDA
#: release state, the per-cell parameters (``PER_CELL``, derived ``inv_C_m``/``inv_tau_ahp``,
#: stimulation gains, background-drive tables) and the two int64 index arrays of the linked
#: 5-HT occupancies.
NEURON_STATE = 3 * I32 + 42 * F64
#: The postsynaptic side of structural plasticity adds ``Ca``, ``z_elem``, ``z_elem_ref`` and
#: ``bdnf`` per cell (:func:`depnet.plasticity_rules.structural.structural_neuron_block`).
STRUCTURAL_CELL = 4 * F64
#: Per-cell values drawn on the host that ``main`` sets from static arrays: 28 arrays
#: (initial ``v``, the heterogeneous parameters, background tables, occupancy indices).
NEURON_STATIC = 28 * F64
#: A septal theta unit (:func:`depnet.circuits.hippocampus.make_septal_drive`): ``i`` and its
#: ``_spikespace`` entry; its parameters are shared.
SEPTUM_STATE = 2 * I32
#: A spike monitor's ``_source_idx`` and ``count`` per cell of its group.
SPIKE_MONITOR_CELL = 2 * I32
#: ``N_incoming`` / ``N_outgoing`` of a Synapses object, per cell of its target / source group
#: (Brian2 ``synapses_create_array``: resized to ``N_post`` / ``N_pre``).
SYNAPSES_CELL = I32
#: A C++ spike queue's ``vector<int>`` per cell of its pathway's source group (``spikequeue.h``:
#: ``synapses.resize(source_end - source_start)``; 24 bytes each on 64-bit Linux).
QUEUE_CELL = 24
#: brian2cuda, per cell of a pathway's source group: the number of its synapses and a pointer to
#: them (int32 + pointer) or, with per-synapse delays, a bundle per delay value (number, offset
#: and delay: 3 int32) and its first bundle's id (int32): ``synapses_push_spikes.cu``.
CUDA_PATHWAY_CELL = I32 + 8
CUDA_BUNDLE = 3 * I32
#: brian2cuda's spike eventspace, per cell of a group and delay step of a uniformly delayed
#: pathway from it (``synapses_push_spikes.cu``: ``(N + 1)`` int32 per eventspace).
CUDA_EVENTSPACE_CELL = I32

# -- recording ----------------------------------------------------------------------------------
#: A recorded spike: the cell's index (int32) and its time (float64) in the spike monitor's
#: ``i`` and ``t`` arrays (C++ ``std::vector``, brian2cuda ``thrust::device_vector``).
SPIKE = I32 + F64
#: Assumed mean firing rate of every cell, for the spikes a run records (an assumption, not a
#: model output: pyramidal cells fire at 1-5 Hz and fast-spiking interneurons at 10-20 Hz in
#: VALIDATION.md C1, 5-HT cells at 0.5-3 Hz; interneurons are a fifth of the cells).
#: Scenarios that drive the circuit harder record more.
RATE_HZ = 5.0
#: Growth of a monitor's arrays in the C++ binary (Brian2 ``brianlib/dynamic_array.h``:
#: ``DynamicArray1D`` and ``DynamicArray2D`` grow their capacity to ``max(needed, 2 x capacity +
#: 1)`` and copy into a new, zeroed buffer): a monitor of ``n`` samples holds ``2^k - 1 >= n``,
#: and while it grows the old buffer is held too (:func:`_grown`). brian2cuda allocates its state
#: monitors for the whole run at once; its spike monitors grow alike (thrust ``resize``).
GROWTH_FACTOR = 2
#: brian2cuda's host object (a ``thrust::device_vector``) per recorded index and variable of a
#: StateMonitor (``objects.cu``: ``new thrust::device_vector<T>[n_indices]``).
CUDA_MONITOR_INDEX = 32

# -- processes ------------------------------------------------------------------------------
#: Resident memory of a Python process that has imported the run engine (Brian2, sympy, numpy,
#: xarray, zarr): 189 MiB measured on Linux x86-64 with Python 3.12 (``ru_maxrss`` after
#: ``import depnet.run``); rounded up.
PYTHON_BASE = 200 * 2**20
#: Copies of every static array the Python build holds at its peak (:mod:`depnet.run`'s
#: ``network_data`` and ``generate_project``): depnet's per-projection arrays
#: (``circuits/projections.py``: the pending batches), their concatenation passed to
#: ``connect`` and ``setattr``, and Brian2's own copy (``cpp_standalone/device.py``:
#: ``static_array`` stores ``arr.copy()``).
BUILD_COPIES = 3
#: The simulation binary's own code, C++ runtime and stack: the intercept of its measured peak
#: resident memory against the estimate of its arrays (benchmarks/memory_estimate.py: 5.7 to
#: 9.4 MiB over scales 0.5 to 2).
BINARY_BASE = 6 * 2**20
#: A CUDA context, the kernels' code and cuRAND's generator state on the device: estimated
#: (not measured here), ~0.5 GiB on recent GPUs and drivers.
CUDA_CONTEXT = 2**29


@dataclass(frozen=True)
class SynapseKind:
    """The arrays of one kind of Synapses object, in bytes per synapse.

    Attributes
    ----------
    name, description
        Its name in :data:`KINDS` and what it is.
    state
        Arrays the binary keeps and updates (host; brian2cuda: host and device).
    static
        Static arrays the binary loads at start and keeps (host only).
    pathways
        Spike queues: ``on_pre``, and ``on_post`` for STDP.
    delay_arrays
        Pathways with a per-synapse delay array (the C++ queue then stores each delay).
    sums
        float64 weight sums a plastic projection keeps per cell of its target group and records
        for its target population every ``record.synapse_dt`` (weight, squared weight, and for
        a pool the synapses present: :func:`depnet.circuits.plasticity.weight_sums`).
    draws
        Whether a ``run_regularly`` operation draws ``rand()`` for every synapse (brian2cuda
        keeps a buffer of random numbers for it).
    projection
        Whether it is a projection of the circuit (else a helper: LFP sums, 5-HT release).
    """

    name: str
    description: str
    state: int
    static: int
    pathways: int
    delay_arrays: int = 0
    sums: int = 0
    draws: bool = False
    projection: bool = True

    @property
    def queue(self) -> float:
        """Host bytes per synapse of its spike queues (C++; brian2cuda's host-side sorting)."""
        return self.pathways * QUEUE_ID + self.delay_arrays * QUEUE_DELAY

    @property
    def host(self) -> float:
        """Host bytes per synapse: state, static arrays and spike queues (without recording)."""
        return self.state + self.static + self.queue

    @property
    def device(self) -> float:
        """Device bytes per synapse (brian2cuda): state, synapse ids of each pathway and random
        numbers (without recording and per-cell tables)."""
        return self.state + self.pathways * CUDA_SYNAPSE_ID + (CUDA_RAND if self.draws else 0)


#: ``_synaptic_pre``, ``_synaptic_post``, and the ``sources`` / ``targets`` arrays that
#: ``connect(i=, j=)`` fills from static arrays and Brian2 keeps (``_array_<name>_sources``).
_INDICES = 4 * I32
_CONNECT = 2 * I32  # the static arrays of connect's sources and targets
_PLASTIC = I32  # region_row (index of the 5-HT compartment)
_PLASTIC_STATIC = F64  # w set from an array
_POST_DELAY = F64  # the on_post pathway's per-synapse delay (0: Synapses(delay=) sets on_pre's)
_STDP = 4 * F64  # w, r1, o1 and lastupdate (event-driven traces)
_TRIPLET = 6 * F64  # w, r1, r2, o1, o2 and lastupdate
_POOL = 2 * F64  # w and present
#: Every kind of Synapses object a circuit builds (see the module docstring for what each
#: column counts; ``circuits/projections.py`` merges static projections by transmitter,
#: ``circuits/plasticity.py`` builds one object per plastic projection).
KINDS: dict[str, SynapseKind] = {
    kind.name: kind
    for kind in (
        SynapseKind(
            "static_glutamate", "static AMPA+NMDA (merged, per-synapse delay)",
            state=_INDICES + 3 * F64, static=_CONNECT + 3 * F64, pathways=1, delay_arrays=1,
        ),  # delay, w_ampa, w_nmda: set from arrays, so each is static too
        SynapseKind(
            "static_gaba", "static GABA_A (merged, per-synapse delay)",
            state=_INDICES + 2 * F64, static=_CONNECT + 2 * F64, pathways=1, delay_arrays=1,
        ),  # delay, w_gaba
        SynapseKind(
            "stdp", "pair STDP (additive or multiplicative)",
            state=_INDICES + _STDP + _PLASTIC + _POST_DELAY, static=_CONNECT + _PLASTIC_STATIC,
            pathways=2, delay_arrays=1, sums=2,
        ),  # sums: w, w2
        SynapseKind(
            "triplet", "triplet STDP",
            state=_INDICES + _TRIPLET + _PLASTIC + _POST_DELAY, static=_CONNECT + _PLASTIC_STATIC,
            pathways=2, delay_arrays=1, sums=2,
        ),
        SynapseKind(
            "structural", "structural pool (potential synapses with present)",
            state=_INDICES + _POOL + _PLASTIC, static=_CONNECT + _POOL, pathways=1,
            sums=3, draws=True,
        ),  # w and present set from arrays; sums: w, w2, n
        SynapseKind(
            "structural_stdp", "structural pool with pair STDP",
            state=_INDICES + _STDP + F64 + _PLASTIC + _POST_DELAY, static=_CONNECT + _POOL,
            pathways=2, delay_arrays=1, sums=3, draws=True,
        ),  # + present
        SynapseKind(
            "structural_triplet", "structural pool with triplet STDP",
            state=_INDICES + _TRIPLET + F64 + _PLASTIC + _POST_DELAY,
            static=_CONNECT + _POOL, pathways=2, delay_arrays=1, sums=3, draws=True,
        ),
        SynapseKind(
            "lfp_sum", "LFP sums: one per principal cell (depnet.recording)",
            state=_INDICES, static=_CONNECT, pathways=0, projection=False,
        ),
        SynapseKind(
            "release", "5-HT release: one per 5-HT cell and region (circuits/serotonin.py)",
            state=_INDICES + F64, static=_CONNECT, pathways=1, delay_arrays=1, projection=False,
        ),  # no delay given: a per-synapse delay array of zeros
    )
}  # fmt: skip

#: Kinds of population that are not principal cells (as :data:`depnet.recording
#: .INTERNEURON_KINDS`, which this model-layer module may not import).
_INTERNEURON_KINDS = ("inh", "gaba")


@dataclass(frozen=True)
class SynapseObject:
    """One Synapses object of the circuit, as :mod:`depnet.circuits.build` would make it.

    ``source`` and ``target`` are its NeuronGroups (``source_cells``, ``target_cells`` their
    sizes); ``delays`` the distinct delays (in steps) of its ``on_pre`` pathway, None where it is
    one constant (``Synapses(delay=)``).
    """

    name: str
    kind: str
    synapses: int
    source: str
    target: str
    source_cells: int
    target_cells: int
    projections: tuple[str, ...] = ()
    delays: tuple[int, ...] | None = None
    #: Cells of each projection's source population (brian2cuda's bundles), by projection.
    bundle_cells: int = 0


@dataclass(frozen=True)
class MemoryEstimate:
    """A scenario's memory needs (bytes), estimated by :func:`estimate`.

    Attributes
    ----------
    name
        The scenario.
    synapses
        Synapses per kind (:data:`KINDS`), helpers (LFP sums, 5-HT release) included.
    neurons
        Cells of the circuit (septal drive units included).
    objects
        The Synapses objects, as the circuit builds them.
    state_bytes, static_bytes, queue_bytes
        The binary's arrays (synapses' and cells'), its static arrays and spike queues (host).
    recording_bytes
        What the binary records in one segment (``segment_s``): the monitors' arrays.
    recording_peak_bytes
        What the binary holds of them at its peak: grown capacity and the buffer a growing
        array copies from (:data:`GROWTH_FACTOR`).
    binary_bytes
        The simulation binary's peak: state, static arrays, spike queues, recording at its
        peak and :data:`BINARY_BASE` (brian2cuda's host side: an object per recorded cell and
        variable).
    read_bytes
        Reading a segment back in Python (``depnet.run._read_segment``): every recorded array,
        and the largest temporary (a recorded array's copy, or the spikes' copy per
        population).
    recorded_run_bytes
        What the Python process holds of the whole run until it writes the store.
    build_bytes
        The Python build's peak, besides :data:`PYTHON_BASE`.
    host_bytes
        Host memory the run needs (see the module docstring).
    device_bytes
        GPU memory a cuda run needs.
    segment_s
        Length of the segment the recording is counted for (s).
    """

    name: str
    synapses: dict[str, int]
    neurons: int
    objects: tuple[SynapseObject, ...] = field(repr=False)
    state_bytes: float
    static_bytes: float
    queue_bytes: float
    recording_bytes: float
    recording_peak_bytes: float
    binary_bytes: float
    read_bytes: float
    recorded_run_bytes: float
    build_bytes: float
    host_bytes: float
    device_bytes: float
    segment_s: float

    @property
    def n_synapses(self) -> int:
        """Synapses of the circuit's projections (helpers left out)."""
        return sum(n for kind, n in self.synapses.items() if KINDS[kind].projection)

    @property
    def arrays_bytes(self) -> float:
        """The binary's arrays: state, static arrays and one segment's recording (what a C++
        build writes to ``results/`` and ``static_arrays/``)."""
        return self.state_bytes + self.static_bytes + self.recording_bytes

    def describe(self) -> str:
        """One line: cells, synapses, host and GPU memory."""
        kinds = ", ".join(
            f"{kind} {format_count(n)}"
            for kind, n in self.synapses.items()
            if KINDS[kind].projection and n
        )
        return (
            f"{self.name}: {self.neurons:,} cells, {format_count(self.n_synapses)} synapses "
            f"({kinds}); "
            f"host ~{format_bytes(self.host_bytes)} (arrays {format_bytes(self.arrays_bytes)}, "
            f"recording {format_bytes(self.recording_bytes)} per {self.segment_s:g} s segment), "
            f"GPU ~{format_bytes(self.device_bytes)}"
        )


def format_bytes(n: float) -> str:
    """``412 GiB``, ``1.3 GiB``, ``56 MiB``: binary units, as ``free`` and ``nvidia-smi`` count
    (an H200's 141 GB are 140 GiB), two significant digits at most."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{n:.0f} B"


def format_count(n: float) -> str:
    """``1.3e8``, ``8.6e5``, ``420``: a count to two significant digits."""
    return f"{n:.0f}" if n < 1000 else f"{n:.2g}".replace("e+0", "e").replace("e+", "e")


def _kind(rules: tuple[str, ...] | list[str]) -> str:
    rule = next((r for r in rules if r.startswith("stdp")), None)
    stdp = {None: "", "stdp_triplet": "triplet"}.get(rule, "stdp")
    if "structural" in rules:
        return f"structural_{stdp}" if stdp else "structural"
    return stdp


def synapse_objects(spec: Scenario) -> list[SynapseObject]:
    """The Synapses objects the scenario's circuit will have, with their sizes, counted the way
    :func:`depnet.circuits.build.build_circuit` draws them (nothing is built)."""
    sizes = spec.population_sizes()
    values = spec.parameter_values()
    learning = spec.plasticity_specs()
    dt = float(spec.scenario.dt / second)
    own = set(plasticity.structural_targets(learning))
    cells = {name: n for name, n in sizes.items() if name not in DRIVES}
    group = {name: name if name in own else SHARED_GROUP for name in cells}
    group |= {name: name for name in sizes if name in DRIVES}
    group_cells: dict[str, int] = {}
    for name, n in sizes.items():
        group_cells[group[name]] = group_cells.get(group[name], 0) + n

    objects: list[SynapseObject] = []
    merged: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
    for name, proj in PROJECTIONS.items():
        if proj.source not in sizes or proj.target not in sizes:
            continue
        n_pre, n_post = sizes[proj.source], sizes[proj.target]
        k = int(round(float(values[f"projections.{name}.in_degree"])))
        available = n_pre - 1 if proj.source == proj.target else n_pre  # no autapses
        rules = tuple(learning[name]["rules"]) if name in learning else ()
        if "structural" in rules:  # a pool of potential synapses (structural.build_pool)
            k = int(round(float(values[f"plasticity.{name}.pool_factor"]) * k))
        n = n_post * max(0, min(k, available))  # projections.fixed_in_degree caps k
        source, target = group[proj.source], group[proj.target]
        if rules:
            objects.append(SynapseObject(
                name, _kind(rules), n, source, target, group_cells[source], group_cells[target],
                (name,), None, n_pre,
            ))  # fmt: skip
        else:
            transmitter = "gaba" if proj.receptors == ("gaba",) else "glutamate"
            merged.setdefault((source, target, transmitter), []).append((name, n))
    for (source, target, transmitter), members in merged.items():
        names = tuple(name for name, _ in members)
        objects.append(SynapseObject(
            f"{transmitter}_{source}_to_{target}", f"static_{transmitter}",
            sum(n for _, n in members), source, target, group_cells[source], group_cells[target],
            names, tuple(sorted({_delay_steps(values, name, dt) for name in names})),
            sum(sizes[PROJECTIONS[name].source] for name in names),
        ))  # fmt: skip
    regions = {region_of(name) for name in cells}
    principal: dict[str, int] = {}
    for name, n in cells.items():
        if name.removeprefix(f"{region_of(name)}_") not in _INTERNEURON_KINDS:
            principal[group[name]] = principal.get(group[name], 0) + n
    for g, n in principal.items():
        objects.append(SynapseObject(
            f"lfp_sum_{g}", "lfp_sum", n, g, f"lfp_{g}", group_cells[g], len(regions),
        ))  # fmt: skip
    raphe = group["drn_5ht"]
    objects.append(SynapseObject(
        "serotonin_release", "release", sizes["drn_5ht"] * len(regions), raphe, "serotonin",
        group_cells[raphe], len(regions), delays=(0,), bundle_cells=sizes["drn_5ht"],
    ))  # fmt: skip
    return objects


def _samples(length_s: float, step) -> int:
    """Samples a monitor records over ``length_s`` seconds every ``step`` (Brian2 records at
    t = 0, step, ... before the end)."""
    return max(1, math.ceil(length_s / float(step / second) - 1e-9))


def _grown(arrays: list[tuple[float, int, float]]) -> tuple[float, float]:
    """Bytes of monitor arrays ``(elements per sample, bytes each, samples)`` at their grown
    capacity, and the largest old buffer held while one grows (:data:`GROWTH_FACTOR`)."""
    grown, copying = 0.0, 0.0
    for n, size, samples in arrays:
        if samples < 1:
            continue
        capacity = GROWTH_FACTOR ** math.ceil(math.log(samples + 1, GROWTH_FACTOR)) - 1
        grown += n * size * capacity
        copying = max(copying, n * size * (capacity - 1) / GROWTH_FACTOR)
    return grown, copying


def segment_length(spec: Scenario) -> float:
    """The longest segment of a run of ``spec`` (s): ``scenario.segment`` or
    :data:`depnet.spec.DEFAULT_SEGMENT`, at most the duration."""
    length = spec.scenario.segment if spec.scenario.segment is not None else DEFAULT_SEGMENT
    return float(min(length, spec.scenario.duration) / second)


def estimate(spec: Scenario, target: str = "cpp") -> MemoryEstimate:
    """Host and device memory a run of ``spec`` needs, from its spec alone (see the module
    docstring for what is counted, and from which arrays).

    Parameters
    ----------
    spec
        A validated scenario.
    target
        ``cpp``, ``cuda`` or ``runtime``: brian2cuda's host adds an object per recorded cell.

    Returns
    -------
    MemoryEstimate
    """
    objects = synapse_objects(spec)
    sizes = spec.population_sizes()
    values = spec.parameter_values()
    learning = spec.plasticity_specs()
    record = spec.record
    dt = float(spec.scenario.dt / second)
    segment = segment_length(spec)
    duration = float(spec.scenario.duration / second)
    own = set(plasticity.structural_targets(learning))
    cells = {name: n for name, n in sizes.items() if name not in DRIVES}
    septum = sizes.get(hippocampus.SEPTUM, 0)
    n_cells = sum(sizes.values())
    regions = {region_of(name) for name in cells}

    # cells: the neuron groups' arrays and their spike monitors (host and device alike)
    cell_state = sum(n * NEURON_STATE for n in cells.values()) + septum * SEPTUM_STATE
    cell_state += sum(sizes[name] * STRUCTURAL_CELL for name in own)
    cell_state += n_cells * SPIKE_MONITOR_CELL
    # the plastic projections' weight sums on every cell of their target groups
    cell_state += sum(KINDS[o.kind].sums * o.target_cells for o in objects) * F64
    state, static = float(cell_state), float(sum(cells.values()) * NEURON_STATIC)
    queues, device = 0.0, float(CUDA_CONTEXT + cell_state)
    eventspaces: dict[str, int] = {}  # group -> delay steps of its uniformly delayed pathways
    group_cells: dict[str, int] = {}
    by_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
    for obj in objects:
        kind = KINDS[obj.kind]
        by_kind[obj.kind] += obj.synapses
        group_cells[obj.source], group_cells[obj.target] = obj.source_cells, obj.target_cells
        counts = SYNAPSES_CELL * (obj.source_cells + obj.target_cells)  # N_outgoing, N_incoming
        state += obj.synapses * kind.state + counts
        static += obj.synapses * kind.static
        queues += obj.synapses * kind.queue
        device += obj.synapses * kind.device + counts
        if kind.draws:  # brian2cuda's buffer of random numbers: at least CUDA_RAND_BUFFER
            device += max(0.0, CUDA_RAND_BUFFER - obj.synapses * CUDA_RAND)
        if not kind.pathways:
            continue
        # C++: a vector per source cell of every pathway (on_post's source is the target)
        queues += QUEUE_CELL * (obj.source_cells + (kind.pathways - 1) * obj.target_cells)
        # brian2cuda: per source cell, a count and a pointer, or a bundle per delay value
        uniform = obj.delays is None or len(obj.delays) == 1
        if uniform:
            device += CUDA_PATHWAY_CELL * obj.source_cells
            delay = _delay_steps(values, obj.name, dt) if obj.delays is None else obj.delays[0]
            eventspaces[obj.source] = max(eventspaces.get(obj.source, 0), delay)
        else:
            device += I32 * obj.source_cells + CUDA_BUNDLE * obj.bundle_cells
        device += CUDA_PATHWAY_CELL * (kind.pathways - 1) * obj.target_cells  # on_post: delay 0
    if septum:  # the septum's threshold draws rand() for every unit
        device += max(CUDA_RAND_BUFFER, septum * CUDA_RAND)
    for group, n in group_cells.items():
        device += CUDA_EVENTSPACE_CELL * (n + 1) * (eventspaces.get(group, 0) + 1)

    # recording of one segment: spikes of every cell, plastic synapses, traces, [5-HT], LFP;
    # each monitor array as (elements per sample, bytes per element, samples)
    spikes = n_cells * RATE_HZ * segment
    arrays = [(1, I32, spikes), (1, F64, spikes)]  # the spike monitors' i and t
    monitored = 0  # recorded weight sums: cells x variables
    for obj in objects:
        if sums := KINDS[obj.kind].sums:
            target = sizes[PROJECTIONS[obj.name].target]
            samples = _samples(segment, record.synapse_dt)
            arrays += [(target, F64, samples)] * sums + [(1, F64, samples)]
            monitored += sums * target
            state += target * I32  # the monitor's record indices
            static += target * I32
    rows = sum(min(record.trace_neurons, n) for n in cells.values()) if record.traces else 0
    traced = rows * len(record.traces)
    if traced:
        samples = _samples(segment, record.trace_dt)
        arrays += [(rows, F64, samples)] * len(record.traces) + [(1, F64, samples)]
    samples = _samples(segment, record.serotonin_dt)
    arrays += [(len(regions), F64, samples)] * len(SEROTONIN_VARIABLES) + [(1, F64, samples)]
    if record.lfp:
        samples = _samples(segment, record.lfp_dt)
        for _ in (obj for obj in objects if obj.kind == "lfp_sum"):
            arrays += [(len(regions), F64, samples)] * len(LFP_CURRENTS) + [(1, F64, samples)]
    recording = sum(n * size * samples for n, size, samples in arrays)
    grown, copying = _grown(arrays)
    recording_peak = grown + copying
    spike_arrays = arrays[:2]
    spikes_peak = sum(_grown(spike_arrays))  # brian2cuda: grown spike monitors, exact others
    # reading it back: the largest temporary is a recorded array's copy or the spikes' copy per
    # population
    largest = max((n * size * k for n, size, k in arrays[2:] if n > 1), default=0.0)
    read = recording + max(largest, spikes * SPIKE)
    device += recording - sum(n * size * k for n, size, k in spike_arrays) + spikes_peak

    # the Python process keeps the whole run's spikes (int32 cells, float64 times) and traces
    # (float32) until it writes the store: twice while its segments are concatenated
    spikes_run = n_cells * RATE_HZ * duration * SPIKE
    recorded_run = 2 * (spikes_run + _samples(duration, record.trace_dt) * traced * 4)
    host_monitors = monitored * CUDA_MONITOR_INDEX if target == "cuda" else 0
    binary = BINARY_BASE + state + static + queues + recording_peak + host_monitors
    build = BUILD_COPIES * static
    run = recorded_run + max(binary, read)
    return MemoryEstimate(
        name=spec.name, synapses={k: n for k, n in by_kind.items() if n}, neurons=n_cells,
        objects=tuple(objects), state_bytes=state, static_bytes=static, queue_bytes=queues,
        recording_bytes=recording, recording_peak_bytes=recording_peak, binary_bytes=binary,
        read_bytes=read, recorded_run_bytes=recorded_run, build_bytes=build,
        host_bytes=PYTHON_BASE + max(build, run), device_bytes=device, segment_s=segment,
    )  # fmt: skip


def _delay_steps(values: Mapping, projection: str, dt: float) -> int:
    """A projection's delay in time steps (as Brian2 rounds it: ``delay / dt + 0.5``)."""
    return int(float(values[f"projections.{projection}.delay"] / second) / dt + 0.5)


# -- the memory here ----------------------------------------------------------------------------
#: Environment variables that replace the memory a run may use: the host's and the GPU's. A
#: size (``23GiB``, ``23G``, ``25GB``, ``1e9``: :func:`parse_size`), or ``off`` for no check.
HOST_LIMIT_VARIABLE = "DEPNET_MEMORY_LIMIT"
GPU_LIMIT_VARIABLE = "DEPNET_GPU_MEMORY_LIMIT"
_UNITS = {
    "": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
    "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
}  # fmt: skip


@dataclass(frozen=True)
class Limit:
    """Memory a run may use: its size in bytes and where it comes from (for the message)."""

    bytes: float
    where: str  # "this machine has", "the GPU here has", "DEPNET_MEMORY_LIMIT is"


def parse_size(text: str) -> float:
    """A memory size in bytes: ``"23GiB"``, ``"23G"`` (binary, as Slurm's ``--mem`` and
    ``free -g``), ``"25GB"`` (decimal), ``"1e9"`` (bytes).

    Raises
    ------
    ValueError
        For anything else.
    """
    found = re.fullmatch(r"\s*([0-9.]+(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*", text)
    if not found or found.group(2).lower() not in _UNITS:
        raise ValueError(f"not a memory size: {text!r} (e.g. 23GiB, 23G, 25GB, 1e9)")
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def _override(variable: str) -> Limit | None | bool:
    """The limit an environment variable sets: a Limit, False for ``off``, None if unset."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    if text.lower() in ("off", "none", "no"):
        return False
    try:
        return Limit(parse_size(text), f"{variable} is")
    except ValueError as err:
        raise ScenarioError(f"${variable}: {err}") from None


def host_limit() -> Limit | None:
    """The host memory a run may use: :data:`HOST_LIMIT_VARIABLE` if set, else the machine's
    physical memory (``SC_PHYS_PAGES`` x ``SC_PAGE_SIZE``), or the memory limit of this process's
    control group (a Slurm job's ``--mem``) where that is lower. None: no check.

    Physical memory rather than ``MemAvailable``: what is free changes with whatever else runs
    (page cache, other simulations), and the refusal is meant for scenarios that cannot fit
    here at all, the same answer every time, not for ones that fit later.
    """
    if (found := _override(HOST_LIMIT_VARIABLE)) is not None:
        return found or None
    try:
        physical = float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None
    limit = cgroup_limit()
    if limit is not None and limit < physical:
        return Limit(limit, "this job's memory limit (cgroup) is")
    return Limit(physical, "this machine has")


def cgroup_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The memory limit of this process's control group (cgroup v2 ``memory.max``, v1
    ``memory.limit_in_bytes``), or None where there is none."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    candidates = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2
            candidates += [root / path.lstrip("/") / "memory.max", root / "memory.max"]
        elif "memory" in controllers.split(","):  # v1
            base = root / "memory"
            candidates += [base / path.lstrip("/") / "memory.limit_in_bytes",
                           base / "memory.limit_in_bytes"]  # fmt: skip
    for path in candidates:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # v1 writes ~2**63 for no limit, v2 "max"
            return float(text)
        if text == "max" or text.isdigit():
            return None
    return None


def gpu_limit(query: Callable[[], float | None]) -> Limit | None:
    """The GPU memory a cuda run may use: :data:`GPU_LIMIT_VARIABLE` if set, else what
    ``query`` answers (the GPU's total memory in bytes, None where no GPU answers)."""
    if (found := _override(GPU_LIMIT_VARIABLE)) is not None:
        return found or None
    total = query()
    return Limit(total, "the GPU here has") if total else None


def refusal(estimate: MemoryEstimate, host: Limit | None, gpu: Limit | None = None) -> str | None:
    """The one-line refusal of a scenario that does not fit, or None if it fits.

    ``host`` and ``gpu`` are the memory here (None: not checked).
    """
    hint = _hint(estimate)
    for needed, limit, what in (
        (estimate.device_bytes, gpu, "GPU memory"),
        (estimate.host_bytes, host, "host memory"),
    ):
        if limit is not None and needed > limit.bytes:
            return (
                f"{estimate.name}: needs ~{format_bytes(needed)} of {what} "
                f"({format_count(estimate.n_synapses)} synapses), {limit.where} "
                f"{format_bytes(limit.bytes)}; {hint}"
            )
    return None


def _hint(estimate: MemoryEstimate) -> str:
    """What to lower: the scale, or what records most (the segment, or the duration)."""
    network = estimate.state_bytes + estimate.static_bytes + estimate.queue_bytes
    if estimate.recording_bytes > network:
        return (
            f"lower scenario.scale, or shorten scenario.segment ({estimate.segment_s:g} s "
            "recorded in memory at a time) or raise record.synapse_dt"
        )
    if estimate.recorded_run_bytes > network:
        return "lower scenario.scale or shorten scenario.duration (its spikes are kept in memory)"
    return "lower scenario.scale"


__all__ = [
    "KINDS",
    "Limit",
    "MemoryEstimate",
    "SynapseKind",
    "SynapseObject",
    "estimate",
    "format_bytes",
    "gpu_limit",
    "host_limit",
    "parse_size",
    "refusal",
    "synapse_objects",
]
