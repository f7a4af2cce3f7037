"""The zarr store of one run: the only module that knows paths inside a store.

Layout (zarr v3, one group per node, read back as an :class:`xarray.DataTree`)::

    /                     attrs: status, scenario, parameters, seed, device, versions, git
                          commit, wall times, store_version
    /spikes/<population>  neuron(spike), time(spike); attrs n_neurons
    /rates                rate(population, time) in Hz, binned
    /traces/<population>  <variable>(time, neuron), chunked along time
    /serotonin            c_5ht(region, time) in nM, occupancy_5ht1a / occupancy_5ht7(region, time)
    /synapses/<projection>  plastic projections only: n_present, density, w_mean, w_std (time);
                          pre, post, w_final, present_final (synapse): the final weights

A store is written under a temporary name (``<name>.partial-<pid>``) with status ``writing``,
marked ``complete`` only after every array is on disk, and then renamed into place: a run that
is killed or fails never leaves a store at the requested path, and a leftover partial store
never opens as complete.

A store of up to :data:`BUFFER_BYTES` of array data is built in memory first, then written as
plain files, one write per file: through zarr's ``LocalStore`` each of the ~130 arrays and groups
of a run costs several file operations (its metadata written, then rewritten with its
attributes, each through a temporary file and a rename, and existence checks, each handed to
a worker thread), ~1 s per run whatever its length. The files are the same, byte for byte.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr
from zarr.storage import MemoryStore

from depnet.errors import StoreError
from depnet.recording import SEROTONIN_VARIABLES, UNITS, RunData, binned_rates

STORE_VERSION = 1
COMPLETE = "complete"
#: Trace chunks along time: ~1 MB per chunk at 32 recorded neurons of float32.
TRACE_CHUNK = 8192
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
    chunk = (min(TRACE_CHUNK, max(len(traces.time), 1)), max(len(traces.neuron), 1))
    variables = {}
    for name, values in traces.values.items():
        var = xr.Variable(("time", "neuron"), values, {"units": UNITS[name]})
        var.encoding["chunks"] = chunk
        variables[name] = var
    return xr.Dataset(
        variables,
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
    """Arrange a run's data in the store layout (not yet written)."""
    nodes: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs=dict(attrs))}
    for name, spikes in data.spikes.items():
        nodes[f"/spikes/{name}"] = _spikes_node(spikes)
    nodes["/rates"] = _rates_node(data)
    for name, traces in data.traces.items():
        nodes[f"/traces/{name}"] = _traces_node(traces)
    nodes["/serotonin"] = _serotonin_node(data)
    for name, record in data.synapses.items():
        nodes[f"/synapses/{name}"] = _synapses_node(record)
    return xr.DataTree.from_dict(nodes)


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
    tree = build_tree(data, {**attrs, "status": "writing", "store_version": STORE_VERSION})

    def write(tmp: Path) -> None:
        _to_zarr(tree, tmp)
        zarr.open_group(tmp, mode="r+").attrs["status"] = COMPLETE

    return _atomically(path, write)


def _to_zarr(obj: xr.DataTree | xr.Dataset, path: Path) -> None:
    """Write ``obj`` as a new zarr v3 store at ``path``, in memory first when it is small."""
    if not _fits_in_memory(obj):
        obj.to_zarr(path, mode="w", consolidated=False, zarr_format=3)
        return
    files: dict[str, Any] = {}  # key -> zarr Buffer, as MemoryStore keeps them
    obj.to_zarr(MemoryStore(files), mode="w", consolidated=False, zarr_format=3)
    _write_files(path, files)


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


def _write_files(root: Path, files: Mapping[str, Any]) -> None:
    """Write the keys of an in-memory zarr store as the files a ``LocalStore`` would hold.

    The root metadata goes first, so that a writer killed part-way leaves a store whose status
    says ``writing`` (as the xarray writer does), not a folder of anonymous chunks.
    """
    keys = sorted(files, key=lambda key: key != "zarr.json")
    for folder in sorted({(root / key).parent for key in keys}):
        folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        (root / key).write_bytes(files[key].as_buffer_like())


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

    Raises
    ------
    StoreError
        If there is no store at ``path``, or it is incomplete (a run that was killed or failed).
    """
    attrs = read_attrs(path)
    if attrs.get("status") != COMPLETE:
        raise StoreError(
            f"{path}: store is incomplete (status {attrs.get('status', 'missing')!r}); "
            "the run that wrote it did not finish"
        )
    return xr.open_datatree(path, engine="zarr", consolidated=False, zarr_format=3, chunks=chunks)


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
    return _atomically(Path(path), lambda tmp: _to_zarr(dataset, tmp))
