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

from depnet.analysis.connectivity import dmn_index, functional_connectivity
from depnet.analysis.load import open_run
from depnet.analysis.serotonin import serotonin_summary
from depnet.analysis.spectra import band_powers, population_spectra
from depnet.analysis.spiking import spike_statistics
from depnet.analysis.sweep import map_points
from depnet.analysis.synapses import synapse_density


def run_summary(tree: xr.DataTree) -> xr.Dataset:
    """Headline measures of one run after its warmup.

    Returns
    -------
    xarray.Dataset
        On ``population`` (with coordinates ``population_region``, ``kind``, ``n_neurons``):
        ``rate`` (Hz), ``isi_cv``, ``fano_factor``, ``correlation``,
        ``synchrony``, ``theta_power`` and ``gamma_power`` (Hz^2) and their relative shares.
        On ``region``: mean ``c_5ht`` (nM) and receptor occupancies (and their ``_std``),
        ``final_synapse_density`` where the run has plastic projections. Scalars:
        ``dmn_index`` (NaN without a DMN, reason in its ``message`` attribute) and
        ``mean_fc`` (mean FC between distinct regions).
    """
    # A population's region is a coordinate on population; here ``region`` is a dimension.
    per_population = xr.merge(
        [spike_statistics(tree), band_powers(population_spectra(tree))],
        compat="override", join="outer", combine_attrs="drop_conflicts",
    ).rename_vars(region="population_region")  # fmt: skip
    out = xr.merge(
        [per_population, serotonin_summary(tree)],
        compat="override", join="outer", combine_attrs="drop_conflicts",
    )  # fmt: skip
    density = synapse_density(tree)
    if density.sizes["region"]:
        out["final_synapse_density"] = density.isel(time=-1, drop=True).assign_attrs(
            units="1", long_name="active-synapse density at the end of the run"
        )
    out["dmn_index"] = dmn_index(tree)
    fc = functional_connectivity(tree, by="region").values
    pairs = fc[np.triu_indices_from(fc, k=1)]
    mean_fc = float(np.nanmean(pairs)) if np.isfinite(pairs).any() else np.nan
    out["mean_fc"] = xr.DataArray(
        mean_fc, attrs={"units": "1", "long_name": "mean FC between regions"}
    )
    out.attrs = {"duration_s": tree.attrs.get("duration_s"),
                 "warmup_s": tree.attrs.get("warmup_s")}  # fmt: skip
    return out


def compare_runs(runs: Mapping[str, xr.DataTree | str]) -> xr.Dataset:
    """:func:`run_summary` of named runs (trees or store paths) stacked along ``condition``."""
    summaries = [
        run_summary(open_run(run) if not isinstance(run, xr.DataTree) else run)
        for run in runs.values()
    ]
    stacked = xr.concat(summaries, "condition", join="outer", combine_attrs="drop_conflicts")
    return stacked.assign_coords(condition=list(runs))


def sweep_summary(sweep: xr.DataTree) -> xr.Dataset:
    """:func:`run_summary` of every point of a sweep, along ``point`` with the varied settings."""
    return map_points(sweep, run_summary)
