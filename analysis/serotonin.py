"""Extracellular serotonin ([5-HT], nM) and 5-HT receptor occupancy per region.

Whatever variables the store's ``/serotonin`` node holds (``c_5ht``, ``occupancy_5ht1a``,
``occupancy_5ht7`` today) are summarised; none is named here except in docs.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.load import window


def serotonin_time_course(tree: xr.DataTree) -> xr.Dataset:
    """The run's serotonin variables over time: ``<variable>(region, time)`` with units."""
    return tree["serotonin"].to_dataset()


def serotonin_summary(
    tree: xr.DataTree, start: float | None = None, stop: float | None = None
) -> xr.Dataset:
    """Time mean and standard deviation of every serotonin variable per region in the window.

    Returns
    -------
    xarray.Dataset
        On ``region``: ``<variable>`` (mean) and ``<variable>_std`` for each variable, in the
        variable's units; ``attrs["window_s"]`` is the window (default: after warmup).
    """
    t0, t1 = window(tree, start, stop)
    data = serotonin_time_course(tree)
    inside = data.sel(time=(data.time >= t0) & (data.time < t1))
    out = xr.Dataset(attrs={"window_s": [t0, t1]})
    for name, var in inside.data_vars.items():
        units = var.attrs.get("units", "1")
        out[name] = var.mean("time").assign_attrs(units=units, long_name=f"mean {name}")
        out[f"{name}_std"] = var.std("time").assign_attrs(units=units, long_name=f"std of {name}")
    return out


def hill_occupancy(
    concentration: xr.DataArray | np.ndarray | float, ec50: float, hill: float = 1.0
) -> xr.DataArray | np.ndarray | float:
    """Receptor occupancy ``c^n / (c^n + EC50^n)`` (concentration and EC50 in the same units)."""
    c = np.maximum(concentration, 0)
    return c**hill / (c**hill + ec50**hill)
