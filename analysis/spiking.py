"""Spike-train statistics: ISI variability, count variability, pairwise correlation, synchrony.

Count statistics take the ``count(neuron, time)`` arrays of
:func:`depnet.analysis.rates.spike_counts`; :func:`spike_statistics` computes them all per
population of a run. Definitions (and the answers for known inputs, checked in
``tests/test_analysis_spiking.py``):

- ISI CV: std / mean of a neuron's inter-spike intervals (Poisson 1, gamma of order k 1/sqrt k).
- Fano factor: variance / mean of a neuron's counts over bins (Poisson 1; renewal trains CV^2
  for bins much longer than the ISI).
- Spike-count correlation: Pearson correlation of two neurons' counts over bins.
- Synchrony: Golomb's chi, ``sqrt(Var_t[mean_i n_i] / mean_i Var_t[n_i])``; 1 for identical
  trains, ``1/sqrt(N)`` for N independent ones (Golomb 2007, Scholarpedia 2:1347).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.load import n_neurons, population_info, populations, spike_blocks, window
from depnet.analysis.rates import mean_rates, spike_counts


def _window_spikes(tree, population, t0, t1) -> tuple[np.ndarray, np.ndarray]:
    neurons, times = [], []
    for neuron, time in spike_blocks(tree, population):
        keep = (time >= t0) & (time < t1)
        neurons.append(neuron[keep])
        times.append(time[keep])
    if not neurons:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(neurons).astype(np.int64), np.concatenate(times)


def isi_cv(
    tree: xr.DataTree, population: str, start: float | None = None, stop: float | None = None
) -> xr.DataArray:
    """Coefficient of variation of each neuron's inter-spike intervals in the window.

    Reads the population's spikes in the window (one population at a time).

    Returns
    -------
    xarray.DataArray
        ``isi_cv(neuron)``, dimensionless; NaN for a neuron with fewer than 3 spikes.
    """
    t0, t1 = window(tree, start, stop)
    n = n_neurons(tree, population)
    neuron, time = _window_spikes(tree, population, t0, t1)
    order = np.lexsort((time, neuron))
    neuron, time = neuron[order], time[order]
    same = neuron[1:] == neuron[:-1]
    isi, owner = np.diff(time)[same], neuron[1:][same]
    count = np.bincount(owner, minlength=n)[:n].astype(float)
    total = np.bincount(owner, weights=isi, minlength=n)[:n]
    squares = np.bincount(owner, weights=isi**2, minlength=n)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(squares / count - mean**2, 0))
        cv = np.where(count >= 2, std / mean, np.nan)
    return xr.DataArray(
        cv,
        dims="neuron",
        coords={"neuron": np.arange(n), "population": population},
        name="isi_cv",
        attrs={"units": "1", "long_name": "ISI coefficient of variation", "window_s": [t0, t1]},
    )


def fano_factor(counts: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Variance over mean of each neuron's spike counts along ``dim`` (NaN for silent neurons)."""
    mean = counts.mean(dim)
    fano = (counts.var(dim, ddof=1) / mean.where(mean > 0)).rename("fano_factor")
    fano.attrs = {
        "units": "1",
        "long_name": "Fano factor of spike counts",
        "bin_width_s": counts.attrs.get("bin_width_s"),
    }
    return fano


def spike_count_correlation(counts: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Pearson correlation of spike counts between every pair of neurons.

    Returns
    -------
    xarray.DataArray
        ``correlation(neuron, neuron_b)``; rows and columns of neurons that never fired are NaN.
    """
    other = [d for d in counts.dims if d != dim]
    if len(other) != 1:
        raise ValueError(f"expected counts with one dimension besides {dim!r}, got {counts.dims}")
    (unit,) = other
    x = counts.transpose(unit, dim).values.astype(float)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = x / np.where(norm > 0, norm, np.nan)[:, None]
    corr = z @ z.T
    labels = counts[unit].values
    return xr.DataArray(
        corr,
        dims=(unit, f"{unit}_b"),
        coords={unit: labels, f"{unit}_b": labels},
        name="correlation",
        attrs={"units": "1", "long_name": "spike-count correlation",
               "bin_width_s": counts.attrs.get("bin_width_s")},
    )  # fmt: skip


def mean_pairwise_correlation(counts: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Mean spike-count correlation over distinct pairs of neurons that fired (scalar)."""
    corr = spike_count_correlation(counts, dim).values
    upper = corr[np.triu_indices_from(corr, k=1)]
    upper = upper[~np.isnan(upper)]
    value = float(upper.mean()) if upper.size else np.nan
    return xr.DataArray(
        value,
        name="correlation",
        attrs={"units": "1", "long_name": "mean pairwise spike-count correlation",
               "n_pairs": int(upper.size), "bin_width_s": counts.attrs.get("bin_width_s")},
    )  # fmt: skip


def synchrony_index(counts: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Golomb's synchrony measure chi from binned spike counts (scalar, 0 to 1).

    ``chi^2 = Var_t[mean_i n_i(t)] / mean_i Var_t[n_i(t)]``: 1 when all neurons fire together,
    ``1/N`` for N independent neurons (so chi is about ``1/sqrt(N)``), and ``c + (1 - c)/N`` when
    neurons share a fraction c of their spikes.
    """
    units = [d for d in counts.dims if d != dim]
    population_signal = counts.mean(units)
    individual = float(counts.var(dim).mean())
    chi2 = float(population_signal.var(dim)) / individual if individual > 0 else np.nan
    return xr.DataArray(
        np.sqrt(chi2),
        name="synchrony",
        attrs={
            "units": "1",
            "long_name": "synchrony index chi (Golomb 2007)",
            "bin_width_s": counts.attrs.get("bin_width_s"),
            "n_neurons": int(np.prod([counts.sizes[d] for d in units])),
        },
    )


def sample_neurons(n: int, max_neurons: int | None) -> np.ndarray:
    """Up to ``max_neurons`` indices spread evenly over ``0..n-1`` (all if ``None``)."""
    if max_neurons is None or n <= max_neurons:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_neurons).round().astype(np.int64))


def spike_statistics(
    tree: xr.DataTree,
    count_bin: float = 0.05,
    sync_bin: float = 0.005,
    max_neurons: int | None = 200,
    start: float | None = None,
    stop: float | None = None,
) -> xr.Dataset:
    """Rate, ISI CV, Fano factor, spike-count correlation and synchrony of every population.

    Parameters
    ----------
    count_bin
        Bin (s) of the counts for the Fano factor and correlations.
    sync_bin
        Bin (s) of the counts for the synchrony index (close to the time scale of synchrony).
    max_neurons
        Count statistics use at most this many neurons per population (spread evenly).

    Returns
    -------
    xarray.Dataset
        On ``population``: ``rate`` (Hz), ``isi_cv`` (median over neurons with >= 3 spikes),
        ``fano_factor`` (mean over neurons that fired), ``correlation`` (mean pairwise) and
        ``synchrony``.
    """
    names = populations(tree)
    rows: dict[str, list[float]] = {k: [] for k in ("isi_cv", "fano_factor", "correlation",
                                                   "synchrony")}  # fmt: skip
    for name in names:
        chosen = sample_neurons(n_neurons(tree, name), max_neurons)
        counts = spike_counts(tree, name, count_bin, start, stop, neurons=chosen)
        fine = spike_counts(tree, name, sync_bin, start, stop, neurons=chosen)
        cv = isi_cv(tree, name, start, stop)
        rows["isi_cv"].append(float(cv.median(skipna=True)) if cv.notnull().any() else np.nan)
        fano = fano_factor(counts)
        rows["fano_factor"].append(float(fano.mean(skipna=True)) if fano.notnull().any()
                                   else np.nan)  # fmt: skip
        rows["correlation"].append(float(mean_pairwise_correlation(counts)))
        rows["synchrony"].append(float(synchrony_index(fine)))
    units = {"isi_cv": "1", "fano_factor": "1", "correlation": "1", "synchrony": "1"}
    data = {k: ("population", v, {"units": units[k]}) for k, v in rows.items()}
    ds = xr.Dataset(data, coords=population_info(tree).coords)
    ds["rate"] = mean_rates(tree, start, stop)
    ds.attrs = {"count_bin_s": count_bin, "sync_bin_s": sync_bin, "max_neurons": max_neurons}
    return ds
