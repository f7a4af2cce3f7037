"""Sweeps: many runs of one circuit opened together, stacked along a ``point`` dimension.

A sweep is a folder of run stores, one per point, or the output folder of a cluster sweep whose
run stores are in its ``points/`` subfolder (``depnet sweep`` writes them so)::

    sweeps/ssri_dose/                  or  sweeps/ssri_dose/points/
        occ-0.zarr   occ-0.4.zarr   ...        <point id>.zarr ...

:func:`open_sweep` stacks what every run has on the same axes (``/rates``, ``/serotonin``,
``/synapses/<projection>``) along ``point``. The scenario settings that differ between the runs
(resolved parameters, seed, scenario name, duration) become coordinates on ``point``, numbers in
SI units with the unit in ``attrs``; the path of each store is the ``store`` coordinate. Spikes
are not stacked (each run has its own number): :func:`map_points` applies a measure to every
run's own tree and stacks the results the same way.

A path that is one zarr group but not a run store (a dataset collected from a sweep by
``depnet collect``, whose dimensions are the sweep's axes and seed) is opened as it is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from depnet import store
from depnet.analysis.load import compressed_day, open_run
from depnet.errors import StoreError

#: Subfolder of a cluster sweep's output folder that holds its run stores.
POINTS = "points"
#: Nodes stacked along ``point`` (each run has them on the same axes).
STACKED = ("rates", "serotonin")


def _settings(tree: xr.DataTree) -> dict[str, Any]:
    a = tree.attrs
    scenario = a.get("scenario", {}).get("scenario", {})
    flat = {"scenario": scenario.get("name"), "seed": a.get("seed"),
            "duration": scenario.get("duration"), "device": a.get("device"),
            "compressed_day": scenario.get("compressed_day"), "scale": scenario.get("scale"),
            "dt": scenario.get("dt")}  # fmt: skip
    flat.update(a.get("parameters", {}))
    return flat


def _si(tree: xr.DataTree) -> dict[str, tuple[float, str]]:
    """Settings in SI units, ``name -> (value, unit)``, as the run's store carries them."""
    a = tree.attrs
    si = {name: (float(v), str(u)) for name, (v, u) in a.get("parameters_si", {}).items()}
    if a.get("duration_s") is not None:
        si["duration"] = (float(a["duration_s"]), "s")
    if (a.get("scenario", {}).get("scenario", {})).get("compressed_day") is not None:
        si["compressed_day"] = (compressed_day(tree), "s")
    return si


def _coordinate(
    name: str, values: list[Any], si: list[tuple[float, str] | None]
) -> tuple[str, np.ndarray, dict[str, str]]:
    """Numbers where all values are numbers; in SI units, with the unit in ``attrs``, where every
    run's store gives the setting in SI (``parameters_si``, ``duration_s``); else strings."""
    if all(s is not None for s in si) and len({unit for _, unit in si}) == 1:
        return "point", np.asarray([v for v, _ in si]), {"units": si[0][1], "long_name": name}
    numbers = [_number(v) for v in values]
    if all(n is not None for n in numbers):
        return "point", np.asarray(numbers, float), {"units": "1"}
    return "point", np.asarray([str(v) for v in values]), {"long_name": name}


def _number(value: Any) -> float | None:
    """A plain number (``0.4``, ``"0.4"``), else None."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def varied_settings(trees: list[xr.DataTree]) -> dict[str, list[Any]]:
    """Scenario settings (dotted parameter paths, seed, ...) whose values differ between runs."""
    settings = [_settings(t) for t in trees]
    keys = list(dict.fromkeys(k for s in settings for k in s))
    return {
        k: [s.get(k) for s in settings] for k in keys if len({repr(s.get(k)) for s in settings}) > 1
    }


def _stack(datasets: list[xr.Dataset]) -> xr.Dataset:
    stacked = xr.concat(datasets, "point", join="outer", combine_attrs="drop_conflicts")
    return stacked.drop_vars([c for c in stacked.coords if c == "point"])


def open_sweep(path: str | Path) -> xr.DataTree:
    """Open a sweep: a folder of run stores, stacked along ``point``.

    Returns
    -------
    xarray.DataTree
        For a folder of runs, root coordinates ``point`` (0..n-1), ``store`` (path of each run)
        and one per varied setting (e.g. ``serotonin.ssri_occupancy``); ``attrs["varied"]``
        lists them and ``attrs["incomplete"]`` the stores left out because their run did not
        finish. Children
        ``rates``, ``serotonin`` and ``synapses/<projection>`` hold the runs' arrays with a
        leading ``point`` dimension (dask arrays, read when computed; NaN where a run lacks a
        time or a population). For a collected dataset: the dataset as written.

    Raises
    ------
    depnet.errors.StoreError
        If ``path`` is missing, is a single run store, or holds no complete run store (neither
        itself nor its ``points/`` subfolder).
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no such sweep folder")
    if (path / "zarr.json").is_file():
        if store.is_store(path):
            raise StoreError(f"{path}: is one run store, not a sweep (use open_run)")
        return xr.open_datatree(path, engine="zarr", consolidated=False, zarr_format=3)
    complete, incomplete = store.find_stores(path)
    if not complete and not incomplete and (path / POINTS).is_dir():
        complete, incomplete = store.find_stores(path / POINTS)
    if not complete:
        raise StoreError(f"{path}: holds no complete run store")
    if incomplete:
        warnings.warn(
            f"{path}: left out {len(incomplete)} incomplete store(s): "
            + ", ".join(p.name for p in incomplete),
            stacklevel=2,
        )
    trees = [open_run(p, chunks={}) for p in complete]  # dask: stacking stays lazy
    varied = varied_settings(trees)
    coords: dict[str, Any] = {"point": np.arange(len(trees)),
                              "store": ("point", [str(p) for p in complete])}  # fmt: skip
    sis = [_si(t) for t in trees]
    for name, values in varied.items():
        dim, data, attrs = _coordinate(name, values, [si.get(name) for si in sis])
        coords[name] = (dim, data, attrs)
    root = xr.Dataset(
        coords=coords,
        attrs={"varied": list(varied), "incomplete": [str(p) for p in incomplete],
               "scenario": trees[0].attrs.get("scenario", {}),
               "duration_s": trees[0].attrs.get("duration_s"),
               "warmup_s": trees[0].attrs.get("warmup_s")},
    )  # fmt: skip
    nodes: dict[str, xr.Dataset] = {"/": root}
    for name in STACKED:
        if all(name in t.children for t in trees):
            nodes[f"/{name}"] = _stack([t[name].to_dataset() for t in trees])
    shared = set.intersection(*(set(t["synapses"].children) if "synapses" in t.children else set()
                                for t in trees))  # fmt: skip
    for name in sorted(shared):
        nodes[f"/synapses/{name}"] = _stack(
            [t["synapses"][name].to_dataset().drop_dims("synapse") for t in trees]
        )
    return xr.DataTree.from_dict(nodes)


def map_points(
    sweep: xr.DataTree, measure: Callable[..., xr.DataArray | xr.Dataset], **kwargs: Any
) -> xr.DataArray | xr.Dataset:
    """Apply ``measure(run_tree, **kwargs)`` to every run of a sweep; stack along ``point``.

    >>> rates = map_points(sweep, mean_rates)            # doctest: +SKIP
    >>> rates.sel(population=...).plot(x="serotonin.ssri_occupancy")  # doctest: +SKIP
    """
    results = [measure(open_run(p), **kwargs) for p in sweep["store"].values]
    stacked = xr.concat(results, "point", join="outer", combine_attrs="drop_conflicts")
    point_coords = {k: v for k, v in sweep.coords.items() if v.dims == ("point",)}
    return stacked.assign_coords(point_coords)
