"""Functional connectivity: correlation of binned activity between populations or regions.

The "rumination" index of the default-mode network (DMN) is the mean functional connectivity
among its excitatory populations (Hamilton et al. 2015: within-DMN connectivity rises with
rumination in depression). Two populations that share a fraction c of their spikes (each a merge
of a common Poisson train and its own) have FC ``c`` when their rates are equal; independent ones
have FC 0 (``tests/test_analysis_connectivity.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from depnet.analysis.rates import rate_time_course

#: Regions of the default-mode network whose excitatory populations enter :func:`dmn_index`.
DMN_REGIONS = ("pcc", "mpfc")


def region_activity(rate: xr.DataArray) -> xr.DataArray:
    """Rate of each region: its populations' rates weighted by their numbers of neurons (Hz)."""
    weights = rate["n_neurons"]
    total = (rate * weights).groupby("region").sum("population")
    out = total / weights.groupby("region").sum("population")
    out = out.sel(region=list(dict.fromkeys(rate["region"].values)))  # the store's order
    out.attrs = {**rate.attrs, "long_name": "region firing rate"}
    return out.rename("rate")


def correlation_matrix(activity: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Pearson correlation between the rows of ``activity`` (NaN for a row that never varies)."""
    (unit,) = (d for d in activity.dims if d != dim)
    x = activity.transpose(unit, dim).values.astype(float)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = x / np.where(norm > 0, norm, np.nan)[:, None]
    labels = activity[unit].values
    return xr.DataArray(
        z @ z.T,
        dims=(unit, f"{unit}_b"),
        coords={unit: labels, f"{unit}_b": labels},
        name="fc",
        attrs={"units": "1", "long_name": "functional connectivity (Pearson r of binned rates)"},
    )


def functional_connectivity(
    tree: xr.DataTree,
    by: str = "population",
    bin_width: float = 0.05,
    start: float | None = None,
    stop: float | None = None,
) -> xr.DataArray:
    """Functional connectivity of a run: correlation of binned rates after warmup.

    Parameters
    ----------
    by
        ``"population"`` (every recorded population) or ``"region"`` (populations pooled).
    bin_width
        Bin of the rates in seconds.

    Returns
    -------
    xarray.DataArray
        ``fc(population, population_b)`` or ``fc(region, region_b)``, dimensionless, with the
        region and kind of each population as coordinates.
    """
    rate = rate_time_course(tree, bin_width, start, stop)
    if by == "region":
        fc = correlation_matrix(region_activity(rate))
    elif by == "population":
        fc = correlation_matrix(rate)
        fc = fc.assign_coords(
            region=("population", rate["region"].values),
            kind=("population", rate["kind"].values),
        )
    else:
        raise ValueError(f"by must be 'population' or 'region', got {by!r}")
    fc.attrs["bin_width_s"] = bin_width
    return fc


def dmn_index(
    tree: xr.DataTree,
    regions: Sequence[str] = DMN_REGIONS,
    kind: str = "exc",
    bin_width: float = 0.05,
    start: float | None = None,
    stop: float | None = None,
) -> xr.DataArray:
    """DMN connectivity ("rumination") index: mean FC among the DMN's excitatory populations.

    Returns
    -------
    xarray.DataArray
        A scalar, dimensionless. NaN when the run has fewer than two populations of ``kind`` in
        ``regions`` (a circuit without a DMN), with the reason in ``attrs["message"]``.
    """
    fc = functional_connectivity(tree, "population", bin_width, start, stop)
    chosen = [
        str(p) for p, r, k in zip(fc.population.values, fc.region.values, fc.kind.values,
                                  strict=True)
        if r in regions and k == kind
    ]  # fmt: skip
    attrs = {
        "units": "1",
        "long_name": "within-DMN functional connectivity (rumination index)",
        "dmn_regions": list(regions),
        "populations": chosen,
        "bin_width_s": bin_width,
    }
    if len(chosen) < 2:
        attrs["message"] = (
            f"no DMN: the run has {len(chosen)} {kind!r} population(s) in regions "
            f"{', '.join(regions)} (need 2)"
        )
        return xr.DataArray(np.nan, name="dmn_index", attrs=attrs)
    sub = fc.sel(population=chosen, population_b=chosen).values
    value = float(np.nanmean(sub[np.triu_indices(len(chosen), k=1)]))
    return xr.DataArray(value, name="dmn_index", attrs=attrs)
