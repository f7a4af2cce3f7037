"""Opening stores and reading what a run recorded, without knowing its circuit.

Nothing here names a population or a region: they are read from the store. A population is
called ``<region>_<kind>`` (``drn_5ht``, ``dlpfc_exc``); its region is the longest region of the
store (the ``/serotonin`` region coordinate and the scenario's ``[regions]`` tables) that prefixes
its name, and its kind is what follows (``exc``, ``inh``, ``5ht``, ...).

Spikes are read in blocks of whole zarr chunks (:func:`spike_blocks`), so measures that reduce
spikes to counts (rates, spike counts per bin) never hold a population's spikes in memory at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from depnet import store
from depnet.errors import StoreError

#: Spikes read per block (a whole number of zarr chunks near this): 1 Mi spikes, 12 MB.
BLOCK_SPIKES = 1 << 20


def open_run(path: str | Path, *, chunks: dict | None = None) -> xr.DataTree:
    """Open a complete run store lazily as an :class:`xarray.DataTree`.

    Parameters
    ----------
    path
        The run's zarr store.
    chunks
        ``None`` (default): arrays are read from disk when indexed, and only the part indexed.
        ``{}``: every array is a dask array with the store's chunks, for dask-based work.

    Raises
    ------
    depnet.errors.StoreError
        If there is no store at ``path`` or it is incomplete.
    """
    return store.open_run(path, chunks=chunks)


def path_from_env(variable: str, what: str = "a run store") -> Path:
    """The store path an environment variable names (notebooks read their inputs this way).

    Raises
    ------
    depnet.errors.StoreError
        If the variable is unset or empty, with a line that says how to set it.
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        raise StoreError(
            f"environment variable {variable} is not set: set it to {what}, e.g. "
            f"{variable}=runs/raphe_pfc.zarr (make one with `depnet run scenarios/raphe_pfc.toml "
            "--out runs/raphe_pfc.zarr`)"
        )
    return Path(value)


def populations(tree: xr.DataTree) -> list[str]:
    """Recorded populations in the circuit's order (as ``population_sizes`` lists them)."""
    recorded = list(tree["spikes"].children) if "spikes" in tree.children else []
    order = list(tree.attrs.get("population_sizes", {}))
    return [p for p in order if p in recorded] + sorted(p for p in recorded if p not in order)


def regions(tree: xr.DataTree) -> list[str]:
    """Regions of the run: the serotonin compartments, then any other scenario region."""
    found: list[str] = []
    if "serotonin" in tree.children:
        found += [str(r) for r in tree["serotonin"]["region"].values]
    scenario_regions = tree.attrs.get("scenario", {}).get("regions", {})
    found += [r for r in scenario_regions if r not in found]
    return found


def region_of(tree: xr.DataTree, population: str) -> str:
    """The region a population belongs to (longest known region prefixing ``<region>_``)."""
    matches = [r for r in regions(tree) if population.startswith(f"{r}_")]
    return max(matches, key=len) if matches else population.split("_", 1)[0]


def kind_of(tree: xr.DataTree, population: str) -> str:
    """What follows the region in a population's name (``exc``, ``inh``, ``5ht``, ...)."""
    region = region_of(tree, population)
    return population[len(region) + 1 :] if population.startswith(f"{region}_") else population


def population_info(tree: xr.DataTree) -> xr.Dataset:
    """Per population: region, kind and number of neurons, as coordinates on ``population``."""
    names = populations(tree)
    return xr.Dataset(
        coords={
            "population": names,
            "region": ("population", [region_of(tree, p) for p in names]),
            "kind": ("population", [kind_of(tree, p) for p in names]),
            "n_neurons": ("population", [n_neurons(tree, p) for p in names]),
        }
    )


def n_neurons(tree: xr.DataTree, population: str) -> int:
    """Number of neurons in a recorded population."""
    return int(tree["spikes"][population].attrs["n_neurons"])


def window(
    tree: xr.DataTree, start: float | None = None, stop: float | None = None
) -> tuple[float, float]:
    """Analysis window in seconds: from ``start`` (default: end of warmup) to ``stop`` (end).

    Raises
    ------
    ValueError
        When the window is empty or reaches outside the run (0 to ``duration_s``): a time mean
        over seconds the run never simulated would understate every rate.
    """
    duration = float(tree.attrs["duration_s"])
    t0 = float(tree.attrs.get("warmup_s", 0.0)) if start is None else float(start)
    t1 = duration if stop is None else float(stop)
    if not t1 > t0:
        raise ValueError(f"empty analysis window [{t0:g}, {t1:g}] s")
    if t0 < 0 or t1 > duration * (1 + 1e-9):  # the tolerance: a stop parsed from "x ms"
        raise ValueError(
            f"analysis window [{t0:g}, {t1:g}] s reaches outside the run (0 to {duration:g} s)"
        )
    return t0, t1


def block_size(variable: xr.DataArray) -> int:
    """How many elements to read of ``variable`` at a time: a whole number of its stored chunks
    (or dask chunks), about :data:`BLOCK_SPIKES`."""
    chunks = variable.encoding.get("chunks") or variable.encoding.get("preferred_chunks")
    if isinstance(chunks, dict):
        chunks = tuple(chunks.values())
    if variable.chunks:  # dask
        chunks = (max(variable.chunks[0]),)
    chunk = int(chunks[0]) if chunks else BLOCK_SPIKES
    return max(chunk, (BLOCK_SPIKES // chunk) * chunk)


def spike_blocks(
    tree: xr.DataTree, population: str, block: int | None = None, neurons: bool = True
) -> Iterator[tuple[np.ndarray | None, np.ndarray]]:
    """Spikes of one population as ``(neuron, time)`` numpy blocks, read block by block.

    A block is a whole number of the store's chunks (about :data:`BLOCK_SPIKES` spikes), so
    memory stays bounded whatever the number of spikes; with a tree held in memory the blocks are
    views. With ``neurons=False`` only times are read (``neuron`` is then ``None``).
    """
    node = tree["spikes"][population]
    neuron, time = node["neuron"], node["time"]
    step = block or block_size(time)
    for i in range(0, time.shape[0], step):
        part = slice(i, i + step)
        yield (np.asarray(neuron[part].values) if neurons else None), np.asarray(time[part].values)


#: Seconds per time unit as :func:`depnet.quantities.format_quantity` and scenario files
#: write them (``"1 s"``, ``"500 ms"``, ``"86400 s"``), read without Brian2.
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0}


def seconds(value: object, what: str) -> float:
    """A time from a run's scenario in seconds (``"2 s"``, ``"500 ms"``; a bare number is
    seconds).

    Raises
    ------
    ValueError
        If ``value`` is not a time; the message names ``what``.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\w+)\s*", str(value))
    if match is None or match[2] not in _TIME_UNITS:
        raise ValueError(f"{what} {value!r} is not a time (expected e.g. '2 s')")
    return float(match[1]) * _TIME_UNITS[match[2]]


def compressed_day(tree: xr.DataTree) -> float:
    """The run's slow clock: seconds of simulated time that stand for one day (its scenario's
    ``[scenario] compressed_day``; 1.0 for a store written before the clock was a setting).

    Raises
    ------
    StoreError
        If the stored value is not a time.
    """
    scenario = tree.attrs.get("scenario") or {}
    text = str((scenario.get("scenario") or {}).get("compressed_day", "1 s"))
    try:
        return seconds(text, "compressed_day")
    except ValueError:
        raise StoreError(f"the store's compressed_day {text!r} is not a time") from None


def in_days(data: xr.DataArray | xr.Dataset, tree: xr.DataTree):
    """``data`` with a ``day`` coordinate along its ``time`` (s): days of the run's slow clock
    (:func:`compressed_day`), for time courses of slow processes (synapse density, [5-HT]
    under a drug, desensitization); ``data.swap_dims(time="day")`` plots against it."""
    return data.assign_coords(day=("time", np.asarray(data["time"]) / compressed_day(tree)))
