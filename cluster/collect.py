"""One dataset from a sweep's stores: the sweep's axes and the seed as coordinates.

Per point: the mean rate of every population and the mean [5-HT] of every region after the
warmup (:mod:`depnet.analysis`), and the point's state. Points that are not done are NaN, so
a partial sweep collects too (its ``status`` variable says which points are missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from depnet.analysis import mean_serotonin, open_run, population_rates
from depnet.cluster.plan import Plan
from depnet.cluster.submit import point_states
from depnet.quantities import QuantityError, parse_quantity, si_value
from depnet.store import write_dataset


def dimension_name(key: str) -> str:
    """A sweep key as a dimension name: parameter paths without ``parameters.``, intervention
    settings as ``<kind or position>.<setting>`` (``ketamine.start``), traits by name."""
    for prefix in ("parameters.", "interventions.", "traits."):
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def _coordinate(key: str, values: list[Any]) -> xr.Variable:
    attrs = {"scenario_key": key}
    try:
        parsed = [parse_quantity(v) for v in values]
    except (QuantityError, TypeError):
        return xr.Variable(dimension_name(key), [str(v) for v in values], attrs)
    si = [si_value(v) for v in parsed]
    if si[0][1] != "1":
        attrs["units"] = si[0][1]
    return xr.Variable(dimension_name(key), np.array([value for value, _ in si]), attrs)


def collect_sweep(plan: Plan) -> xr.Dataset:
    """The sweep as one dataset: ``rate(axes..., seed, population)``, ``c_5ht(axes..., seed,
    region)`` and ``status(axes..., seed)``."""
    dims = [dimension_name(k) for k in plan.axes] + ["seed"]
    coords = {dimension_name(k): _coordinate(k, v) for k, v in plan.axes.items()}
    coords["seed"] = xr.Variable("seed", np.array(plan.seeds))
    shape = [len(v) for v in plan.axes.values()] + [len(plan.seeds)]
    states = point_states(plan)
    status = np.full(shape, "missing", dtype=object)
    rates: dict[tuple, xr.DataArray] = {}
    serotonin: dict[tuple, xr.DataArray] = {}
    for point in plan.points:
        index = tuple(
            [list(map(repr, values)).index(repr(point.values[k])) for k, values in
             plan.axes.items()] + [plan.seeds.index(point.seed)]
        )  # fmt: skip
        status[index] = states[point.id]
        if states[point.id] == "done":
            tree = open_run(plan.store_path(point))
            rates[index] = population_rates(tree).load()
            serotonin[index] = mean_serotonin(tree).load()
    data = {"status": (dims, status.astype(str))}
    if rates:
        populations = sorted({str(p) for r in rates.values() for p in r["population"].values})
        regions = sorted({str(r) for s in serotonin.values() for r in s["region"].values})
        rate = np.full([*shape, len(populations)], np.nan)
        c_5ht = np.full([*shape, len(regions)], np.nan)
        for index, r in rates.items():
            for p, value in zip(r["population"].values, r.values, strict=True):
                rate[(*index, populations.index(str(p)))] = value
        for index, s in serotonin.items():
            for region, value in zip(s["region"].values, s.values, strict=True):
                c_5ht[(*index, regions.index(str(region)))] = value
        coords["population"] = xr.Variable("population", populations)
        coords["region"] = xr.Variable("region", regions)
        data["rate"] = ([*dims, "population"], rate, {"units": "Hz", "long_name":
                        "mean population rate after warmup"})  # fmt: skip
        data["c_5ht"] = ([*dims, "region"], c_5ht, {"units": "nM", "long_name":
                         "mean extracellular 5-HT after warmup"})  # fmt: skip
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "sweep": plan.name, "sweep_file": plan.sweep_file, "scenario_file": plan.scenario_file,
            "device": plan.target, "duration_s": plan.duration_s, "n_points": len(plan.points),
            "n_done": int(np.sum(status == "done")),
        },
    )  # fmt: skip


def collect_to(plan: Plan, out: str | Path | None = None) -> tuple[xr.Dataset, Path]:
    """Collect a sweep and write the dataset (default ``<sweep folder>/collected.zarr``)."""
    dataset = collect_sweep(plan)
    path = Path(out) if out is not None else plan.root / "collected.zarr"
    return dataset, write_dataset(path, dataset)
