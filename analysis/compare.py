"""One summary Dataset per run, and runs or sweep points side by side along one dimension.

:func:`run_summary` gathers the headline measures of a run (after warmup) on the run's own
dimensions (``population``, ``region``); :func:`compare_runs` stacks the summaries of named runs
along ``condition``, and :func:`sweep_summary` those of a sweep along ``point`` with the varied
settings as coordinates. The figures and the report draw from these.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from depnet.analysis.clinical import biomarkers
from depnet.analysis.connectivity import dmn_index, functional_connectivity
from depnet.analysis.load import open_run, window
from depnet.analysis.serotonin import serotonin_summary
from depnet.analysis.spectra import band_powers, population_spectra
from depnet.analysis.spiking import spike_statistics
from depnet.analysis.sweep import map_points
from depnet.analysis.synapses import synapse_density


def run_summary(
    tree: xr.DataTree, start: float | None = None, stop: float | None = None
) -> xr.Dataset:
    """Headline measures of one run over a window (default: after its warmup, to its end).

    Parameters
    ----------
    start, stop
        The window in seconds (see :func:`depnet.analysis.load.window`): every time mean, count
        statistic, spectrum and correlation is computed over it, and the synapse density is the
        last sample at or before ``stop``.

    Returns
    -------
    xarray.Dataset
        On ``population`` (with coordinates ``population_region``, ``kind``, ``n_neurons``):
        ``rate`` (Hz), ``isi_cv``, ``fano_factor``, ``correlation``,
        ``synchrony``, ``theta_power`` and ``gamma_power`` (Hz^2) and their relative shares.
        On ``region``: mean ``c_5ht`` (nM) and receptor occupancies (and their ``_std``),
        ``final_synapse_density`` where the run has plastic projections. Scalars:
        ``dmn_index`` (NaN without a DMN, reason in its ``message`` attribute) and
        ``mean_fc`` (mean FC between distinct regions). Where the run recorded its LFP sums,
        the clinical readouts of :func:`depnet.analysis.clinical.biomarkers` (LFP band powers
        on ``region``; ``sgacc_theta``, ``frontal_theta_alpha``, ``dmn_bold_fc``,
        ``sgacc_dmn_bold_fc``). ``attrs``: ``duration_s``,
        ``warmup_s`` and ``window_s`` (the window's start and stop).
    """
    t0, t1 = window(tree, start, stop)
    # A population's region is a coordinate on population; here ``region`` is a dimension.
    per_population = xr.merge(
        [spike_statistics(tree, start=t0, stop=t1),
         band_powers(population_spectra(tree, start=t0, stop=t1))],
        compat="override", join="outer", combine_attrs="drop_conflicts",
    ).rename_vars(region="population_region")  # fmt: skip
    out = xr.merge(
        [per_population, serotonin_summary(tree, t0, t1)],
        compat="override", join="outer", combine_attrs="drop_conflicts",
    )  # fmt: skip
    density = synapse_density(tree)
    sampled = np.flatnonzero(density["time"].values <= t1 * (1 + 1e-9))  # up to the window's end
    if density.sizes["region"] and sampled.size:
        out["final_synapse_density"] = density.isel(time=sampled[-1], drop=True).assign_attrs(
            units="1", long_name="active-synapse density at the end of the window"
        )
    out["dmn_index"] = dmn_index(tree, start=t0, stop=t1)
    fc = functional_connectivity(tree, by="region", start=t0, stop=t1).values
    pairs = fc[np.triu_indices_from(fc, k=1)]
    mean_fc = float(np.nanmean(pairs)) if np.isfinite(pairs).any() else np.nan
    out["mean_fc"] = xr.DataArray(
        mean_fc, attrs={"units": "1", "long_name": "mean FC between regions"}
    )
    if "lfp" in tree.children:
        readouts = biomarkers(tree, t0, t1)
        out = xr.merge(
            [out, readouts], compat="override", join="outer", combine_attrs="drop_conflicts"
        )
    out.attrs = {"duration_s": tree.attrs.get("duration_s"),
                 "warmup_s": tree.attrs.get("warmup_s"), "window_s": [t0, t1]}  # fmt: skip
    return out


def compare_runs(
    runs: Mapping[str, xr.DataTree | str], start: float | None = None, stop: float | None = None
) -> xr.Dataset:
    """:func:`run_summary` of named runs (trees or store paths) stacked along ``condition``."""
    summaries = [
        run_summary(open_run(run) if not isinstance(run, xr.DataTree) else run, start, stop)
        for run in runs.values()
    ]
    stacked = xr.concat(summaries, "condition", join="outer", combine_attrs="drop_conflicts")
    return stacked.assign_coords(condition=list(runs))


def sweep_summary(sweep: xr.DataTree) -> xr.Dataset:
    """:func:`run_summary` of every point of a sweep, along ``point`` with the varied settings."""
    return map_points(sweep, run_summary)
