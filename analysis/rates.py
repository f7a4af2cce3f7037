"""Firing rates from spikes, counted block by block (never all of a population's spikes at once).

Every function reads ``/spikes/<population>`` through :func:`depnet.analysis.load.spike_blocks`
and reduces each block to counts with :func:`numpy.bincount`, so peak memory is one block plus the
counts, whatever the size of the store (``benchmarks/store_memory.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from depnet.analysis.load import n_neurons, population_info, populations, spike_blocks, window
from depnet.rundata import spike_bins


def _bins(t0: float, t1: float, bin_width: float) -> tuple[int, np.ndarray]:
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    n_bins = max(1, int(np.ceil((t1 - t0) / bin_width - 1e-9)))
    edges = t0 + np.arange(n_bins + 1) * bin_width
    return n_bins, edges


def _bin_index(time: np.ndarray, t0: float, t1: float, bin_width: float, n_bins: int):
    keep = (time >= t0) & (time < t1)
    index = spike_bins(time[keep], t0, bin_width)
    return keep, np.minimum(index, n_bins - 1)


def _default_bin(tree: xr.DataTree) -> float:
    if "rates" in tree.children:
        return float(tree["rates"].attrs.get("bin_width_s", 0.01))
    return 0.01


def rate_time_course(
    tree: xr.DataTree,
    bin_width: float | None = None,
    start: float | None = 0.0,
    stop: float | None = None,
    population: Sequence[str] | None = None,
) -> xr.DataArray:
    """Population firing rate (spikes per neuron per second) in time bins.

    Parameters
    ----------
    tree
        A run, as :func:`depnet.analysis.open_run` returns it.
    bin_width
        Seconds; default the bin of the store's ``/rates`` (the scenario's ``record.rate_bin``).
    start, stop
        Window in seconds (default: the whole run, warmup included; ``None`` for ``start`` skips
        the warmup).
    population
        Populations to count (default: all).

    Returns
    -------
    xarray.DataArray
        ``rate(population, time)`` in Hz, ``time`` the bin centres in s. A last bin cut short by
        ``stop`` is divided by its own width.
    """
    bin_width = _default_bin(tree) if bin_width is None else float(bin_width)
    t0, t1 = window(tree, start, stop)
    n_bins, edges = _bins(t0, t1, bin_width)
    names = list(population) if population is not None else populations(tree)
    widths = np.diff(np.minimum(edges, t1))
    rates = np.zeros((len(names), n_bins))
    for row, name in enumerate(names):
        counts = np.zeros(n_bins, dtype=np.int64)
        for _, time in spike_blocks(tree, name, neurons=False):
            _, index = _bin_index(time, t0, t1, bin_width, n_bins)
            counts += np.bincount(index, minlength=n_bins)
        rates[row] = counts / (max(n_neurons(tree, name), 1) * widths)
    info = population_info(tree).sel(population=names)
    return xr.DataArray(
        rates,
        dims=("population", "time"),
        coords={
            **info.coords,
            "time": ("time", edges[:-1] + bin_width / 2, {"units": "s", "long_name": "bin centre"}),
        },
        name="rate",
        attrs={"units": "Hz", "long_name": "population firing rate", "bin_width_s": bin_width},
    )


def mean_rates(
    tree: xr.DataTree, start: float | None = None, stop: float | None = None
) -> xr.DataArray:
    """Mean firing rate per population (Hz) over the window (default: after warmup)."""
    t0, t1 = window(tree, start, stop)
    names = populations(tree)
    values = []
    for name in names:
        count = 0
        for _, time in spike_blocks(tree, name, neurons=False):
            count += int(np.count_nonzero((time >= t0) & (time < t1)))
        values.append(count / (max(n_neurons(tree, name), 1) * (t1 - t0)))
    return xr.DataArray(
        values,
        dims="population",
        coords=population_info(tree).coords,
        name="rate",
        attrs={"units": "Hz", "long_name": "mean firing rate", "window_s": [t0, t1]},
    )


def neuron_rates(
    tree: xr.DataTree, population: str, start: float | None = None, stop: float | None = None
) -> xr.DataArray:
    """Firing rate of every neuron of one population (Hz) over the window."""
    t0, t1 = window(tree, start, stop)
    n = n_neurons(tree, population)
    counts = np.zeros(n, dtype=np.int64)
    for neuron, time in spike_blocks(tree, population):
        keep = (time >= t0) & (time < t1)
        counts += np.bincount(neuron[keep], minlength=n)[:n]
    return xr.DataArray(
        counts / (t1 - t0),
        dims="neuron",
        coords={"neuron": np.arange(n), "population": population},
        name="rate",
        attrs={"units": "Hz", "window_s": [t0, t1]},
    )


def spike_counts(
    tree: xr.DataTree,
    population: str,
    bin_width: float,
    start: float | None = None,
    stop: float | None = None,
    neurons: Sequence[int] | np.ndarray | None = None,
) -> xr.DataArray:
    """Spike counts per neuron and time bin: the input of the count statistics.

    Parameters
    ----------
    neurons
        Neuron indices to keep (default: all); the result holds ``len(neurons) x n_bins`` counts.

    Returns
    -------
    xarray.DataArray
        ``count(neuron, time)`` (integer), ``time`` the bin centres in s. Only whole bins are kept
        (a last bin cut short by the window is dropped), so every bin has width ``bin_width``.
    """
    t0, t1 = window(tree, start, stop)
    n_bins = int(np.floor((t1 - t0) / bin_width + 1e-9))
    if n_bins < 1:
        raise ValueError(f"window [{t0:g}, {t1:g}] s is shorter than one {bin_width:g} s bin")
    t1 = t0 + n_bins * bin_width
    n = n_neurons(tree, population)
    chosen = np.arange(n) if neurons is None else np.asarray(neurons, dtype=np.int64)
    row = np.full(n, -1, dtype=np.int64)
    row[chosen] = np.arange(len(chosen))
    counts = np.zeros(len(chosen) * n_bins, dtype=np.int64)
    for neuron, time in spike_blocks(tree, population):
        keep, index = _bin_index(time, t0, t1, bin_width, n_bins)
        r = row[neuron[keep]]
        mine = r >= 0
        counts += np.bincount(r[mine] * n_bins + index[mine], minlength=counts.size)
    return xr.DataArray(
        counts.reshape(len(chosen), n_bins),
        dims=("neuron", "time"),
        coords={
            "neuron": chosen,
            "time": ("time", t0 + (np.arange(n_bins) + 0.5) * bin_width, {"units": "s"}),
            "population": population,
        },
        name="count",
        attrs={"units": "1", "long_name": "spike count", "bin_width_s": bin_width},
    )
