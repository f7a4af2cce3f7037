"""The zarr store of one run: the only module that knows paths inside a store.

A run is read as an :class:`xarray.DataTree` with one node per population (what
:func:`build_tree` arranges and :func:`open_run` returns)::

    /                     attrs: status, scenario, parameters, seed, device, versions, git
                          commit, wall times, store_version
    /spikes/<population>  neuron(spike), time(spike); attrs n_neurons
    /rates                rate(population, time) in Hz, binned
    /traces/<population>  <variable>(time, neuron), chunked along time
    /serotonin            c_5ht(region, time) in nM, occupancy_5ht1a / occupancy_5ht7(region, time)
    /synapses/<projection>  plastic projections only: n_present, density, w_mean, w_std (time);
                          pre, post, w_final, present_final (synapse): the final weights; attrs
                          pool_size
    /lfp                  i_ampa, i_gaba(region, time) in A: AMPA and GABA_A currents onto each
                          region's principal cells, summed (the LFP proxy's and BOLD's inputs)

On disk (``store_version`` 2) every kind of record is one group whatever the number of
populations or projections, so that a store has ~20 arrays, not ~100: zarr and xarray spend a
fixed ~2 ms on each array they write or open (metadata, codecs, event loop), which was most of
a run's write time. :func:`pack` and :func:`unpack` turn one layout into the other::

    /spikes      neuron(spike), time(spike): every population's spikes, population by population
                 (each in time order); population(population), first(population) and
                 count(population): where each population's spikes lie; n_neurons(population)
    /rates       as read
    /traces      <variable>(time, cell): every traced cell, population by population, chunked
                 along time and cells; population(cell) and neuron(cell) name each cell
    /serotonin   as read
    /synapses    n_present, density, w_mean, w_std (projection, time); pre, post, w_final,
                 present_final (synapse): every projection's final synapses, projection by
                 projection; projection, first, count and pool_size (projection)
    /lfp         as read

Stores of ``store_version`` 1 (the read layout itself, on disk) open as they are.

The packed groups are CF contiguous ragged arrays: ``count`` carries ``sample_dimension`` (the
dimension it partitions) and each group a ``description``; the store format page of the docs
shows how plain xarray reads them.

A store is written under a temporary name (``<name>.partial-<pid>``) with status ``writing``,
marked ``complete`` only after every array is on disk, and then renamed into place: a run that
is killed or fails never leaves a store at the requested path, and a leftover partial store
never opens as complete.

A store of up to :data:`BUFFER_BYTES` of array data is built in memory first, then written as
plain files, one write per file: through zarr's ``LocalStore`` each array and group costs several
file operations (its metadata written, then rewritten with its attributes, each through a
temporary file and a rename, and existence checks, each handed to a worker thread). The files
are the same, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr
from zarr.core.buffer import Buffer
from zarr.storage import MemoryStore

from depnet.errors import StoreError
from depnet.rundata import LFP_CURRENTS, SEROTONIN_VARIABLES, UNITS, RunData, binned_rates

#: 3: as 2, with ``/synapses`` ``pre``/``post`` as cell indices in the populations (2: in the
#: NeuronGroups).
STORE_VERSION = 3
COMPLETE = "complete"
#: Trace chunks along time (with TRACE_CELLS cells: 1 MB of float32 per chunk).
TRACE_CHUNK = 8192
#: Trace chunks along cells (traced cells of every population side by side).
TRACE_CELLS = 32
#: Stores with at most this much array data (before compression) are built in memory, then
#: written file by file; larger ones, and lazy (dask) data, stream to disk chunk by chunk.
BUFFER_BYTES = 64 * 2**20


def _spikes_node(spikes) -> xr.Dataset:
    return xr.Dataset(
        {
            "neuron": ("spike", spikes.neuron, {"long_name": "neuron index in population"}),
            "time": ("spike", spikes.time, {"units": "s", "long_name": "spike time"}),
        },
        attrs={"n_neurons": int(spikes.n_neurons)},
    )


def _rates_node(data: RunData) -> xr.Dataset:
    populations = list(data.spikes)
    rates, centres = [], None
    for name in populations:
        rate, centres = binned_rates(data.spikes[name], data.duration, data.rate_bin)
        rates.append(rate)
    return xr.Dataset(
        {"rate": (("population", "time"), np.array(rates), {"units": "Hz"})},
        coords={
            "population": populations,
            "time": ("time", centres, {"units": "s", "long_name": "bin centre"}),
        },
        attrs={"bin_width_s": data.rate_bin},
    )


def _traces_node(traces) -> xr.Dataset:
    return xr.Dataset(
        {v: (("time", "neuron"), x, {"units": UNITS[v]}) for v, x in traces.values.items()},
        coords={"time": ("time", traces.time, {"units": "s"}), "neuron": traces.neuron},
    )


def _serotonin_node(data: RunData) -> xr.Dataset:
    return xr.Dataset(
        {
            name: (("region", "time"), data.serotonin[name], {"units": unit})
            for name, (unit, _) in SEROTONIN_VARIABLES.items()
        },
        coords={
            "region": data.regions,
            "time": ("time", data.serotonin_time, {"units": "s"}),
        },
        attrs={"reference_frame": "FSCAV voltammetry (basal ~65 nM, Abdalla et al. 2017)"},
    )


#: What each LFP sum is (``/lfp``).
_LFP_NAMES = {
    "i_ampa": "AMPA current onto the region's principal cells, summed",
    "i_gaba": "GABA_A current onto the region's principal cells, summed",
}


def _lfp_node(data: RunData) -> xr.Dataset:
    # float32: sums of nA-scale currents need no more than 7 significant digits, and minutes
    # of 1 ms samples per region add up
    return xr.Dataset(
        {
            v: (("region", "time"), data.lfp[v].astype(np.float32),
                {"units": "A", "long_name": _LFP_NAMES[v]})
            for v in LFP_CURRENTS
        },
        coords={"region": data.regions, "time": ("time", data.lfp_time, {"units": "s"})},
        attrs={
            "description": "synaptic currents onto each region's principal cells (interneurons "
            "excluded), summed in the generated code; positive depolarizes. The inputs of the "
            "LFP proxy of Mazzoni et al. (2015) and of the BOLD model (depnet.analysis.lfp, "
            "depnet.analysis.hemodynamics)"
        },
    )  # fmt: skip


def _synapses_node(record) -> xr.Dataset:
    return xr.Dataset(
        {
            "n_present": ("time", record.n_present, {"long_name": "synapses present"}),
            "density": (
                "time", record.n_present / max(record.pool_size, 1),
                {"units": "1", "long_name": "present / potential synapses (grey-matter proxy)"},
            ),
            "w_mean": ("time", record.w_mean, {"units": "S", "long_name": "mean weight, present"}),
            "w_std": ("time", record.w_std, {"units": "S"}),
            "pre": ("synapse", record.pre),
            "post": ("synapse", record.post),
            "w_final": ("synapse", record.w_final, {"units": "S"}),
            "present_final": ("synapse", record.present_final),
        },
        coords={"time": ("time", record.time, {"units": "s"})},
        attrs={"pool_size": int(record.pool_size)},
    )  # fmt: skip


def build_tree(data: RunData, attrs: Mapping[str, Any]) -> xr.DataTree:
    """Arrange a run's data as :func:`open_run` returns it: one node per population.

    Not yet written; :func:`pack` gives the layout on disk.
    """
    nodes: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs=dict(attrs))}
    for name, spikes in data.spikes.items():
        nodes[f"/spikes/{name}"] = _spikes_node(spikes)
    nodes["/rates"] = _rates_node(data)
    for name, traces in data.traces.items():
        nodes[f"/traces/{name}"] = _traces_node(traces)
    nodes["/serotonin"] = _serotonin_node(data)
    for name, record in data.synapses.items():
        nodes[f"/synapses/{name}"] = _synapses_node(record)
    if data.lfp:
        nodes["/lfp"] = _lfp_node(data)
    return xr.DataTree.from_dict(nodes)


#: Names the packed layout gives each member's stretch of a concatenated dimension.
FIRST, COUNT = "first", "count"
#: Packed groups: node -> (dimension whose members are concatenated, label of a member).
RAGGED = {"spikes": ("spike", "population"), "synapses": ("synapse", "projection")}


def pack(tree: xr.DataTree) -> xr.DataTree:
    """The on-disk layout (``store_version`` 2) of a run tree as :func:`build_tree` arranges it.

    Spikes and final synapses are concatenated member by member, with each member's first index
    and count; traces of one variable become one ``(time, cell)`` array; time series of plastic
    projections are stacked along ``projection``; its attributes (``n_neurons``, ``pool_size``)
    become arrays along the member dimension. :func:`unpack` gives ``tree`` back.
    """
    nodes = {"/": tree.to_dataset(inherit=False)}
    for name, child in tree.children.items():
        members = {key: node.to_dataset(inherit=False) for key, node in child.children.items()}
        if name in RAGGED and members:
            nodes[f"/{name}"] = _pack_ragged(members, *RAGGED[name])
        elif name == "traces" and members:
            nodes["/traces"] = _pack_traces(members)
        else:
            nodes[f"/{name}"] = child.to_dataset(inherit=False)
    return xr.DataTree.from_dict(nodes)


def unpack(tree: xr.DataTree) -> xr.DataTree:
    """The run tree (one node per population) of a store in the on-disk layout of :func:`pack`.

    Members are slices of the packed arrays: a lazily opened store stays lazy (only what is
    indexed is read) and dask arrays stay dask arrays.
    """
    nodes = {"/": tree.to_dataset(inherit=False)}
    for name, child in tree.children.items():
        packed = child.to_dataset(inherit=False)
        if name in RAGGED:
            members = _unpack_ragged(packed, *RAGGED[name])
        elif name == "traces":
            members = _unpack_traces(packed)
        else:
            nodes[f"/{name}"] = packed
            continue
        nodes.update({f"/{name}/{key}": member for key, member in members.items()})
    return xr.DataTree.from_dict(nodes)


def _pack_ragged(members: Mapping[str, xr.Dataset], dim: str, label: str) -> xr.Dataset:
    """Members' variables along ``dim`` concatenated; the others stacked along ``label``."""
    names = list(members)
    parts = list(members.values())
    counts = np.array([part.sizes.get(dim, 0) for part in parts], dtype=np.int64)
    bare = [part.drop_attrs(deep=False) for part in parts]  # attrs become arrays below
    along = [part[[v for v in part.data_vars if dim in part[v].dims]] for part in bare]
    rest = [part.drop_dims(dim, errors="ignore") for part in bare]
    options: dict[str, Any] = {"join": "exact", "coords": "minimal", "compat": "identical"}
    packed = xr.concat(along, dim, data_vars="all", **options)
    packed = packed.merge(xr.concat(rest, label, data_vars="all", **options))
    per_member = {key: [part.attrs[key] for part in parts] for key in parts[0].attrs}
    # CF's contiguous ragged array: ``count`` names the dimension it partitions
    # (``sample_dimension``), so readers that know CF, and people, can slice a member out.
    index = {
        FIRST: (label, np.cumsum(counts) - counts,
                {"long_name": f"index along {dim} of the first {dim} of each {label}"}),
        COUNT: (label, counts,
                {"long_name": f"number of {dim}s of each {label}", "sample_dimension": dim}),
    }  # fmt: skip
    packed = packed.assign(
        index | {key: (label, np.asarray(values)) for key, values in per_member.items()}
    ).assign_coords({label: names})
    packed.attrs = {
        "description": f"every {label}'s {dim}s, {label} after {label}: those of {label} k are "
        f"{dim}s first[k] to first[k] + count[k] - 1 (a CF contiguous ragged array)"
    }
    return _uniform_chunks(packed)


def _unpack_ragged(packed: xr.Dataset, dim: str, label: str) -> dict[str, xr.Dataset]:
    """Each member of a :func:`_pack_ragged` dataset, its stretch of ``dim`` sliced lazily."""
    first, count = packed[FIRST].values, packed[COUNT].values
    per_member = {
        key: packed[key].values
        for key, var in packed.data_vars.items()
        if var.dims == (label,) and key not in (FIRST, COUNT)
    }
    body = packed.drop_vars([FIRST, COUNT, *per_member]).drop_attrs(deep=False)
    members = {}
    for k, name in enumerate(packed[label].values):
        part = body.isel({label: k, dim: slice(int(first[k]), int(first[k] + count[k]))})
        part = part.drop_vars(label)
        part.attrs = {key: values[k].item() for key, values in per_member.items()}
        members[str(name)] = part
    return members


def _pack_traces(members: Mapping[str, xr.Dataset]) -> xr.Dataset:
    """Every population's traced cells side by side along ``cell``, on their shared time axis."""
    parts = [
        part.drop_indexes("neuron")
        .rename_dims(neuron="cell")
        .assign_coords(population=("cell", [name] * part.sizes["neuron"]))
        for name, part in members.items()
    ]
    packed = xr.concat(parts, "cell", join="exact", coords="minimal", compat="identical")
    sizes = packed.sizes
    chunks = (min(TRACE_CHUNK, max(sizes["time"], 1)), min(TRACE_CELLS, max(sizes["cell"], 1)))
    for var in packed.data_vars.values():
        var.encoding = {"chunks": chunks} if var.chunks is None else {}
    packed.attrs = {
        "description": "every traced cell of every population side by side along cell; "
        "population(cell) and neuron(cell) name each cell"
    }
    return _uniform_chunks(packed)


def _unpack_traces(packed: xr.Dataset) -> dict[str, xr.Dataset]:
    """Each population's traces, ``(time, neuron)``, sliced lazily out of a packed trace."""
    population = packed["population"].values.astype(str)
    members = {}
    for name in dict.fromkeys(population):  # populations are contiguous, in packed order
        cells = np.flatnonzero(population == name)
        part = packed.isel(cell=slice(int(cells[0]), int(cells[-1]) + 1))
        members[str(name)] = (
            part.drop_vars("population").swap_dims(cell="neuron").drop_attrs(deep=False)
        )
    return members


def _uniform_chunks(packed: xr.Dataset) -> xr.Dataset:
    """Dask arrays rechunked where concatenation left uneven chunks (zarr needs even ones)."""
    rechunked = {}
    for name, var in packed.data_vars.items():
        uneven = {
            dim: max(sizes)
            for dim, sizes in (var.chunksizes or {}).items()
            if len(set(sizes[:-1])) > 1 or sizes[-1] > sizes[0]
        }
        if uneven:
            rechunked[name] = var.chunk(uneven)
    return packed.assign(rechunked)


def partial_path(path: Path) -> Path:
    """Where a store is written before it is complete."""
    return path.with_name(f"{path.name}.partial-{os.getpid()}")


def check_writable(path: Path, overwrite: bool = False) -> None:
    """Fail early (before a long run) if a store cannot be written at ``path``."""
    if path.exists() and not overwrite:
        raise StoreError(f"{path}: already exists (use --overwrite to replace it)")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise StoreError(f"{parent}: folder is not writable")


def write_run(path: str | Path, data: RunData, attrs: Mapping[str, Any], overwrite=False) -> Path:
    """Write a run's store atomically; returns its path.

    Raises
    ------
    StoreError
        If ``path`` exists (and not ``overwrite``) or the disk refuses the write; nothing is left
        at ``path`` then, and the partial store is removed.
    """
    path = Path(path)
    check_writable(path, overwrite)
    tree = pack(build_tree(data, {**attrs, "status": "writing", "store_version": STORE_VERSION}))

    def complete(store: Path | MemoryStore) -> None:
        zarr.open_group(store, mode="r+").attrs["status"] = COMPLETE
        _consolidate(store)

    return _atomically(path, lambda tmp: _to_zarr(tree, tmp, complete))


def _to_zarr(
    obj: xr.DataTree | xr.Dataset,
    path: Path,
    finish: Callable[[Path | MemoryStore], None],
) -> None:
    """Write ``obj`` as a new zarr v3 store at ``path``, in memory first when it is small.

    ``finish`` (given the store: ``path``, or the store in memory) runs once every array is
    written. In memory, its changes to the root metadata reach the disk last (until then the
    root metadata on disk is the first version's); a store written straight to disk (too large
    for memory) gets them in place, once its arrays are there.
    """
    if not _fits_in_memory(obj):
        obj.to_zarr(path, mode="w", consolidated=False, zarr_format=3)
        finish(path)
        return
    files: dict[str, Buffer] = {}  # as MemoryStore keeps them
    store = MemoryStore(files)
    obj.to_zarr(store, mode="w", consolidated=False, zarr_format=3)
    first_root = files["zarr.json"]
    finish(store)
    _write_files(path, files, first_root)


def _consolidate(store: Path | MemoryStore) -> None:
    """Copy every group's and array's metadata into the root's, once the store is final: plain
    ``xr.open_datatree(path, engine="zarr")`` and ``xr.open_zarr`` then open it in one read and
    without falling back (and warning). Consolidated metadata is zarr-python's extension of
    format 3, which zarr-python warns of; readers without it read the metadata file by file."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Consolidated metadata", category=UserWarning)
        zarr.consolidate_metadata(store, zarr_format=3)


def _fits_in_memory(obj: xr.DataTree | xr.Dataset) -> bool:
    """Whether ``obj`` is all numpy (not lazy) and holds at most :data:`BUFFER_BYTES`."""
    if isinstance(obj, xr.DataTree):
        variables = [
            var for node in obj.subtree for var in node.to_dataset(inherit=False).variables.values()
        ]
    else:
        variables = list(obj.variables.values())
    if any(var.chunks is not None for var in variables):  # dask: written chunk by chunk
        return False
    return sum(var.nbytes for var in variables) <= BUFFER_BYTES


def _write_files(root: Path, files: Mapping[str, Buffer], first_root: Buffer) -> None:
    """Write the keys of an in-memory zarr store as the files a ``LocalStore`` would hold.

    ``first_root`` (the root metadata as first written, status ``writing``) goes first, so that
    a writer killed part-way leaves a store that says so (as the xarray writer does), not a
    folder of anonymous chunks; the store's own root metadata, where it differs, goes last.
    """
    keys = [key for key in files if key != "zarr.json"]
    for folder in sorted({(root / key).parent for key in keys} | {root}):
        folder.mkdir(parents=True, exist_ok=True)
    (root / "zarr.json").write_bytes(first_root.as_buffer_like())
    for key in keys:
        (root / key).write_bytes(files[key].as_buffer_like())
    if files["zarr.json"] is not first_root:
        (root / "zarr.json").write_bytes(files["zarr.json"].as_buffer_like())


def _atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write`` into the partial path, then rename the result into place.

    An existing store at ``path`` is moved aside only once the new one is whole; a failed or
    interrupted write removes the partial store and leaves ``path`` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write(tmp)
        if path.exists():
            old = path.with_name(f"{path.name}.old-{os.getpid()}")
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StoreError(f"{path}: could not write store: {err.strerror or err}") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_attrs(path: str | Path) -> dict[str, Any]:
    """Root attributes of a store, whatever its status."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no such store")
    try:
        return dict(zarr.open_group(path, mode="r").attrs)
    except (zarr.errors.GroupNotFoundError, FileNotFoundError, ValueError) as err:
        raise StoreError(f"{path}: not a depnet store ({err.__class__.__name__})") from None


def open_run(path: str | Path, *, chunks: dict | None = None) -> xr.DataTree:
    """Open a complete run store as an :class:`xarray.DataTree`.

    Arrays are read lazily (when indexed); ``chunks={}`` makes them dask arrays with the store's
    chunks instead.

    Stores of every ``store_version`` up to :data:`STORE_VERSION` open in the same layout (one
    node per population, see the module's docstring).

    Raises
    ------
    StoreError
        If there is no store at ``path``, it is incomplete (a run that was killed or failed), it
        was written by a newer depnet (a ``store_version`` above :data:`STORE_VERSION`), or
        arrays its layout needs are missing.
    """
    attrs = read_attrs(path)
    if attrs.get("status") != COMPLETE:
        raise StoreError(
            f"{path}: store is incomplete (status {attrs.get('status', 'missing')!r}); "
            "the run that wrote it did not finish"
        )
    version = attrs.get("store_version", 1)
    if version not in (1, 2, STORE_VERSION):
        newer = isinstance(version, int) and version > STORE_VERSION
        raise StoreError(
            f"{path}: store version {version!r}, this depnet reads versions 1 to {STORE_VERSION}"
            + ("; it was written by a newer depnet: upgrade depnet to open it" if newer else "")
        )
    # metadata file by file, not the consolidated copy: an array lost from a damaged copy of
    # the store is then an error here, where the copy would list it and read fill values
    tree = xr.open_datatree(path, engine="zarr", consolidated=False, zarr_format=3, chunks=chunks)
    if version == 1:
        return tree
    try:
        return unpack(tree)
    except (KeyError, ValueError, IndexError) as err:
        raise StoreError(f"{path}: damaged store, {err.__class__.__name__}: {err}") from None


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a zarr v3 group carrying a depnet status (complete or not)."""
    try:
        return "status" in read_attrs(path)
    except StoreError:
        return False


def find_stores(folder: str | Path) -> tuple[list[Path], list[Path]]:
    """Run stores directly inside ``folder``: the complete ones and the others, sorted by name.

    Partial stores of a writer still at work (``*.partial-<pid>``) are left out.

    Raises
    ------
    StoreError
        If ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise StoreError(f"{folder}: no such folder")
    complete, other = [], []
    for child in sorted(folder.iterdir()):
        if ".partial-" in child.name or not child.is_dir() or not is_store(child):
            continue
        (complete if read_attrs(child).get("status") == COMPLETE else other).append(child)
    return complete, other


def write_dataset(path: str | Path, dataset: xr.Dataset) -> Path:
    """Write a flat dataset (a collected sweep, for instance) as a zarr v3 store, atomically.

    Replaces an existing store at ``path`` only once the new one is whole.
    """

    return _atomically(Path(path), lambda tmp: _to_zarr(dataset, tmp, _consolidate))
