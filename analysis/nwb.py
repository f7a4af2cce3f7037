"""Export a run to Neurodata Without Borders (NWB 2, HDF5) for tools outside depnet.

Optional: needs ``pynwb`` (``pip install 'depnet[nwb]'``). NWB's zarr backend (hdmf-zarr) needs
zarr < 3, so the export is HDF5 only. What goes where:

- every neuron of every population is a row of the ``units`` table, with its spike times and
  columns ``population``, ``region`` and ``neuron`` (its index in the population);
- ``processing/serotonin``: one ``TimeSeries`` per serotonin variable, data ``(time, region)``;
- ``processing/rates``: the binned population rates, data ``(time, population)`` in Hz;
- ``processing/synapses``: active-synapse density per plastic projection over time;
- ``processing/lfp`` (runs that recorded ``/lfp``): one ``TimeSeries`` per summed synaptic
  current the store holds (``i_ampa``, ``i_gaba``, ...), data ``(time, region)`` in A;
- the resolved scenario (JSON) in the file's ``notes``; seed, device and git commit in its
  description fields.

The units table is written column by column, never row by row, and its spike times never whole
in memory (runs of 10^6 neurons and 10^9 spikes export like small ones). NWB stores the spike
times of all units as one array, unit after unit (each unit's in time order), with a ragged index
``spike_times_index`` (where each unit's spikes end); the store holds each population's spikes
in time order. The export reorders them in bounded memory, in three passes that each handle at
most ``block`` spikes at a time:

1. counts: ``np.bincount`` of each block's neuron indices gives every unit's spike count, hence
   the index (its cumulative sum) and where each unit's spikes go in the NWB array. Units (in
   table order) are grouped into *buckets* of consecutive units holding at most ``block`` spikes
   together (a unit with more spikes is a bucket of its own).
2. distribution: each block's spikes, sorted by unit, are appended bucket by bucket to two
   scratch files (spike time and unit), each bucket at its own stretch of the NWB array's
   positions: one contiguous write per bucket a block touches.
3. writing: ``pynwb`` writes ``spike_times`` from an ``hdmf`` ``AbstractDataChunkIterator``
   that reads one bucket back, sorts it by unit then time, and hands it over as one
   ``DataChunk`` (a bucket of a single unit larger than a block goes through in pieces of a
   block, in the store's order: time order).

Why scratch files rather than filling the HDF5 dataset in place: putting each spike straight at
its final position is a scatter write (h5py point selections, or one write per unit a block
touches: up to every unit for every block), and a bucket's spikes arrive from every block in time
order, mixed across its units, so they must be held somewhere until the last block before they
can be sorted. The scratch files (12 bytes a spike; 16 with more than 2^31 units) lie in a
temporary folder beside the NWB file, so on the same disk, not in a ``/tmp`` that may be memory,
and are removed when the export ends, whether it succeeds or not.

The other columns (``population``, ``region``, ``neuron``) are iterators too, written in pieces
of :data:`SPIKE_CHUNK` units; only the index and the ids are whole arrays.

Memory bound: about 50 bytes per spike of a block (pass 2: the block's neuron and time arrays,
their global unit indices, the sort order and the sorted copies; pass 3 needs less), plus about
40 bytes per unit (spike counts, the index in int64 and in the smallest unsigned type that
holds it, the ids), plus a few MB for ``pynwb`` and h5py. With the default block (about
``depnet.analysis.load.BLOCK_SPIKES``, 1 Mi spikes) and 10^6 neurons that is about 100 MB,
whatever the number of spikes. A ``block`` smaller than the store's chunks still makes zarr
decode whole chunks. ``tests/test_analysis_nwb.py`` checks the bound with ``tracemalloc``: 2
million spikes exported in blocks of 2^15 peak at about 1.2 MiB of traced allocations (holding
the spike times once would take 16 MB). The rates, serotonin, synapse and LFP series are per
population, region or projection, not per neuron, and are read whole.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import xarray as xr

from depnet.analysis.load import (
    block_size,
    n_neurons,
    open_run,
    populations,
    region_of,
    spike_blocks,
)
from depnet.errors import StoreError

#: Elements per HDF5 chunk (and per piece written) of the units table's columns: 512 KiB of
#: spike times, within h5py's default chunk cache.
SPIKE_CHUNK = 1 << 16


def _start_time(attrs: dict) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(attrs["created"])
    except (KeyError, TypeError, ValueError):
        return dt.datetime.now(dt.UTC)


def _series(name: str, data: xr.DataArray, description: str):
    from pynwb import TimeSeries

    time = data["time"].values
    return TimeSeries(
        name=name,
        data=np.asarray(data.transpose("time", ...).values),
        timestamps=time,
        unit=str(data.attrs.get("units", "1")),
        description=description,
    )


def _neuron_blocks(tree: xr.DataTree, population: str, block: int) -> Iterator[np.ndarray]:
    """A population's neuron indices (not its times) in blocks of ``block`` spikes."""
    neuron = tree["spikes"][population]["neuron"]
    for i in range(0, neuron.shape[0], block):
        yield np.asarray(neuron[i : i + block].values)


def _counts(tree: xr.DataTree, population: str, n: int, block: int) -> np.ndarray:
    """Spikes of each neuron of a population (pass 1)."""
    counts = np.zeros(n, np.int64)
    for neuron in _neuron_blocks(tree, population, block):
        if neuron.size == 0:
            continue
        if int(neuron.min()) < 0 or int(neuron.max()) >= n:
            raise StoreError(
                f"spikes of {population}: neuron index outside 0 to {n - 1} (n_neurons {n})"
            )
        counts += np.bincount(neuron, minlength=n)
    return counts


def _buckets(ends: np.ndarray, block: int) -> np.ndarray:
    """First unit of each bucket, and the number of units at the end.

    Buckets are runs of consecutive units whose spikes, together, number at most ``block``
    (a unit with more spikes is a bucket of its own); ``ends`` is the cumulative spike count.
    """
    firsts = [0]
    n_units = ends.size
    while firsts[-1] < n_units:
        u = firsts[-1]
        start = int(ends[u - 1]) if u else 0
        last = int(np.searchsorted(ends, start + block, side="right"))  # units u..last-1 fit
        firsts.append(max(last, u + 1))
    return np.asarray(firsts, np.int64)


class _Scratch:
    """Spike times and units in bucket order, on disk: the buckets' stretches of the NWB array.

    Two files in ``folder``, sized by :meth:`allocate`; a context manager that closes them.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.files: dict[str, BinaryIO] = {}
        self.dtypes = {"time": np.dtype(np.float64), "unit": np.dtype(np.int64)}

    def allocate(self, total: int, n_units: int) -> None:
        if n_units <= np.iinfo(np.int32).max:
            self.dtypes["unit"] = np.dtype(np.int32)
        for key, dtype in self.dtypes.items():
            self.files[key] = open(self.folder / key, "w+b")  # closed on exit
            self.files[key].truncate(total * dtype.itemsize)

    def write(self, position: int, **values: np.ndarray) -> None:
        for key, array in values.items():
            dtype = self.dtypes[key]
            self.files[key].seek(position * dtype.itemsize)
            array.astype(dtype, copy=False).tofile(self.files[key])

    def read(self, key: str, start: int, stop: int) -> np.ndarray:
        dtype = self.dtypes[key]
        self.files[key].seek(start * dtype.itemsize)
        return np.fromfile(self.files[key], dtype, stop - start)

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc) -> None:
        for file in self.files.values():
            file.close()


def _distribute(
    tree: xr.DataTree,
    names: list[str],
    first_unit: np.ndarray,
    buckets: np.ndarray,
    bounds: np.ndarray,
    scratch: _Scratch,
    block: int,
) -> None:
    """Append every block's spikes to their buckets' stretches of the scratch files (pass 2)."""
    filled = bounds[:-1].copy()  # next free position in each bucket's stretch
    for k, name in enumerate(names):
        lo, hi = int(first_unit[k]), int(first_unit[k + 1])
        # the buckets holding this population's units, and where each starts (units)
        b0 = int(np.searchsorted(buckets, lo, side="right")) - 1
        b1 = int(np.searchsorted(buckets, hi, side="left"))
        starts = np.maximum(buckets[b0 : b1 + 1], lo)
        for neuron, time in spike_blocks(tree, name, block):
            unit = neuron.astype(np.int64) + lo
            order = np.argsort(unit, kind="stable")  # each unit's spikes keep their order
            unit, time = unit[order], time[order]
            del order
            cuts = np.searchsorted(unit, starts)
            for j in range(b1 - b0):
                a, b = int(cuts[j]), int(cuts[j + 1])
                if b > a:
                    bucket = b0 + j
                    scratch.write(int(filled[bucket]), time=time[a:b], unit=unit[a:b])
                    filled[bucket] += b - a
    if not np.array_equal(filled, bounds[1:]):
        raise StoreError("spikes changed while being exported (counts differ between passes)")


def _spike_time_pieces(
    scratch: _Scratch, bounds: np.ndarray, block: int
) -> Iterator[tuple[int, np.ndarray]]:
    """The units table's spike times, bucket by bucket, sorted by unit then time (pass 3)."""
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if stop - start > block:  # one unit, in the store's (time) order: pieces of a block
            for a in range(start, stop, block):
                yield a, scratch.read("time", a, min(a + block, stop))
        elif stop > start:
            time, unit = scratch.read("time", start, stop), scratch.read("unit", start, stop)
            yield start, time[np.lexsort((time, unit))]


def _label_pieces(
    values: list, sizes: np.ndarray, dtype: type = object
) -> Iterator[tuple[int, np.ndarray]]:
    """A per-unit column that is ``values[k]`` over population ``k``, in pieces of a chunk."""
    start = 0
    for value, size in zip(values, sizes.tolist(), strict=True):
        for a in range(0, size, SPIKE_CHUNK):
            n = min(SPIKE_CHUNK, size - a)
            piece = np.arange(a, a + n) if value is None else np.full(n, value, dtype)
            yield start + a, piece
        start += size


def _chunked(pieces: Iterator[tuple[int, np.ndarray]], total: int, dtype):
    """A 1-D dataset of ``total`` (> 0) elements that ``pynwb`` writes piece by piece.

    ``pieces`` gives ``(first index, values)``; an ``hdmf`` ``AbstractDataChunkIterator``.
    """
    from hdmf.data_utils import AbstractDataChunkIterator, DataChunk

    class Chunked(AbstractDataChunkIterator):
        def __iter__(self):
            return self

        def __next__(self):
            start, values = next(pieces)
            return DataChunk(data=values, selection=slice(start, start + len(values)))

        def __len__(self):  # hdmf's VectorIndex sizes its integers by its target's length
            return total

        def recommended_chunk_shape(self):
            return (min(SPIKE_CHUNK, total),)

        def recommended_data_shape(self):
            return (total,)

        @property
        def dtype(self):
            return np.dtype(dtype)

        @property
        def maxshape(self):
            return (total,)

    return Chunked()


def _units_table(tree: xr.DataTree, block: int | None, scratch: _Scratch):
    """The ``units`` table, its columns built from the packed spike arrays; ``None`` if no neuron.

    Its columns are iterators (spike times over ``scratch``), read when the file is written.
    """
    import h5py
    from hdmf.common import VectorData, VectorIndex
    from pynwb.misc import Units

    names = populations(tree)
    sizes = np.array([n_neurons(tree, name) for name in names], np.int64)
    first_unit = np.concatenate([[0], np.cumsum(sizes)])
    n_units = int(first_unit[-1])
    if n_units == 0:
        return None
    step = block or max(block_size(tree["spikes"][name]["time"]) for name in names)
    counts = np.concatenate(
        [_counts(tree, name, int(n), step) for name, n in zip(names, sizes, strict=True)]
    )
    ends = np.cumsum(counts)  # spike_times_index: where each unit's spikes end
    del counts
    total = int(ends[-1])
    spike_data: object = np.zeros(0)  # HDF5 has no chunked dataset of fixed size 0
    if total:
        buckets = _buckets(ends, step)
        bounds = np.concatenate([[0], ends])[buckets]  # each bucket's stretch of the NWB array
        scratch.allocate(total, n_units)
        _distribute(tree, names, first_unit, buckets, bounds, scratch, step)
        spike_data = _chunked(_spike_time_pieces(scratch, bounds, step), total, np.float64)
    spike_times = VectorData(
        name="spike_times", description="the spike times for each unit in seconds", data=spike_data
    )
    text = h5py.string_dtype()
    regions = [region_of(tree, name) for name in names]
    columns = [  # an index before its target, as hdmf orders them
        VectorIndex(name="spike_times_index", data=ends, target=spike_times),  # made uint
        spike_times,
        VectorData(
            name="population",
            description="population the neuron belongs to",
            data=_chunked(_label_pieces(names, sizes), n_units, text),
        ),
        VectorData(
            name="region",
            description="region of the population",
            data=_chunked(_label_pieces(regions, sizes), n_units, text),
        ),
        VectorData(
            name="neuron",
            description="index of the neuron in its population",
            data=_chunked(_label_pieces([None] * len(names), sizes), n_units, np.int64),
        ),
    ]
    return Units(
        name="units",
        description="every neuron of every population, population after population",
        id=np.arange(n_units, dtype=np.int64),
        columns=columns,
        colnames=["spike_times", "population", "region", "neuron"],
    )


def export_nwb(
    run: xr.DataTree | str | Path, path: str | Path, *, block: int | None = None
) -> Path:
    """Write a run (a tree or a store path) as an NWB file at ``path``; returns the path.

    Parameters
    ----------
    run
        The run: a tree as ``depnet.analysis.load.open_run`` returns it, or a store path.
    path
        The NWB file to write (replaced if it exists).
    block
        Spikes read and sorted at a time (default: whole store chunks, about
        ``depnet.analysis.load.BLOCK_SPIKES``); memory grows with it, see the module's
        docstring. Scratch files of 12 bytes a spike are kept beside ``path`` while it is
        written.

    Raises
    ------
    depnet.errors.StoreError
        If ``pynwb`` is not installed, the spikes are inconsistent (a neuron index outside its
        population) or the file cannot be written (no partial file is left then).
    ValueError
        If ``block`` is not a positive number.
    """
    try:
        from pynwb import NWBHDF5IO, NWBFile
    except ImportError:
        raise StoreError("NWB export needs pynwb: pip install 'depnet[nwb]'") from None
    if block is not None and block < 1:
        raise ValueError(f"block must be a positive number of spikes, not {block}")
    tree = run if isinstance(run, xr.DataTree) else open_run(run)
    attrs = dict(tree.attrs)
    scenario = attrs.get("scenario", {})
    meta = scenario.get("scenario", {})
    nwb = NWBFile(
        session_description=meta.get("description") or "depnet run",
        identifier=str(uuid.uuid4()),
        session_start_time=_start_time(attrs),
        experiment_description=f"depnet scenario {meta.get('name', '?')}, simulated "
        f"{attrs.get('duration_s')} s on {attrs.get('device')}",
        session_id=f"seed {attrs.get('seed')}",
        source_script=f"depnet {attrs.get('versions', {}).get('depnet', '')}, git "
        f"{attrs.get('git_commit', 'unknown')}",
        source_script_file_name="depnet",
        notes=json.dumps(scenario, default=str),
    )
    if "serotonin" in tree.children:
        module = nwb.create_processing_module("serotonin", "extracellular 5-HT and receptors")
        regions = ", ".join(str(r) for r in tree["serotonin"]["region"].values)
        for var, data in tree["serotonin"].to_dataset().data_vars.items():
            module.add(_series(str(var), data, f"{var} per region (columns: {regions})"))
    if "rates" in tree.children:
        module = nwb.create_processing_module("rates", "binned population firing rates")
        rate = tree["rates"]["rate"]
        names = ", ".join(str(p) for p in rate["population"].values)
        module.add(_series("population_rate", rate, f"rate per population (columns: {names})"))
    if "synapses" in tree.children:
        module = nwb.create_processing_module("synapses", "plastic projections over time")
        for name, node in tree["synapses"].children.items():
            module.add(_series(f"{name}_density", node["density"], "present / potential"))
    if "lfp" in tree.children:
        module = nwb.create_processing_module(
            "lfp", "synaptic currents onto each region's principal cells, summed (LFP proxy input)"
        )
        lfp = tree["lfp"].to_dataset()
        regions = ", ".join(str(r) for r in lfp["region"].values)
        for var, data in lfp.data_vars.items():
            what = data.attrs.get("long_name", str(var))
            module.add(_series(str(var), data, f"{what} (columns: {regions})"))
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as folder,
            _Scratch(Path(folder)) as scratch,
        ):
            units = _units_table(tree, block, scratch)
            if units is not None:
                nwb.units = units
            try:
                with NWBHDF5IO(str(path), "w") as io:
                    io.write(nwb)
            except BaseException:
                path.unlink(missing_ok=True)  # a half-written file reads as a broken NWB file
                raise
    except OSError as err:
        raise StoreError(f"{path}: could not write NWB file: {err.strerror or err}") from err
    return path
