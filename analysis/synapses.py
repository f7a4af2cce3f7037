"""Plastic synapses: active-synapse density per region over time and weight distributions.

The store keeps, per plastic projection (``/synapses/<pre>_to_<post>``), the number of synapses
present out of its pool over time and the final weights. Density per region, the model's stand-in
for grey-matter volume, pools the projections onto the region's populations: synapses sit on the
postsynaptic cell's dendrites, so they count for the target region. A run without plastic
projections has none: the functions then return empty results with a message in ``attrs``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.load import populations, region_of

NO_SYNAPSES = "no plastic projections recorded (the scenario has no [plasticity] tables)"


def projections(tree: xr.DataTree) -> list[str]:
    """Plastic projections recorded in the store."""
    return list(tree["synapses"].children) if "synapses" in tree.children else []


def projection_target(tree: xr.DataTree, projection: str) -> str | None:
    """The postsynaptic population of ``<pre>_to_<post>`` (a recorded population), or None."""
    targets = [p for p in populations(tree) if projection.endswith(f"_to_{p}")]
    return max(targets, key=len) if targets else None


def synapse_density(tree: xr.DataTree) -> xr.DataArray:
    """Share of potential synapses present per region over time (grey-matter proxy).

    Returns
    -------
    xarray.DataArray
        ``density(region, time)``, dimensionless: summed ``n_present`` over summed pool size of
        the structural projections onto the region (STDP-only projections, always complete,
        would dilute it); ``time`` in s. Empty (no regions) for a run without plastic
        projections, with ``attrs["message"]``.
    """
    present: dict[str, list[xr.DataArray]] = {}
    pool: dict[str, int] = {}
    rules = {
        name: table.get("rules", ())
        for name, table in tree.attrs.get("scenario", {}).get("plasticity", {}).items()
    }
    for name in projections(tree):
        if name in rules and "structural" not in rules[name]:
            continue
        target = projection_target(tree, name)
        region = region_of(tree, target) if target else "unknown"
        node = tree["synapses"][name]
        present.setdefault(region, []).append(node["n_present"].astype(float))
        pool[region] = pool.get(region, 0) + int(node.attrs["pool_size"])
    attrs = {"units": "1", "long_name": "active-synapse density (present / potential)"}
    if not present:
        empty = xr.DataArray(np.zeros((0, 0)), dims=("region", "time"), name="density")
        return empty.assign_attrs(attrs, message=NO_SYNAPSES)
    rows = [
        (sum(xr.align(*arrays, join="inner")) / max(pool[region], 1)).expand_dims(region=[region])
        for region, arrays in present.items()
    ]
    density = xr.concat(rows, "region", join="inner").rename("density")
    density["time"].attrs["units"] = "s"
    return density.assign_attrs(attrs, pool_size=[pool[r] for r in present])


def weight_statistics(tree: xr.DataTree) -> xr.Dataset:
    """Per plastic projection over time: density, mean and std of present weights (S).

    Empty (no ``projection``) for a run without plastic projections.
    """
    names = projections(tree)
    if not names:
        return xr.Dataset(attrs={"message": NO_SYNAPSES})
    parts = []
    for name in names:
        node = tree["synapses"][name]
        ds = node.to_dataset()[["density", "w_mean", "w_std"]]
        target = projection_target(tree, name)
        parts.append(ds.expand_dims(projection=[name]).assign_coords(
            target=("projection", [target or "unknown"])))  # fmt: skip
    return xr.concat(parts, "projection", join="outer")


def weight_distribution(tree: xr.DataTree, projection: str, bins: int = 30) -> xr.DataArray:
    """Probability density of the final weights of the synapses present in one projection.

    Returns
    -------
    xarray.DataArray
        ``density(weight)`` in 1/S (integrates to 1 over weight); ``weight`` the bin centres in S.
        ``attrs`` hold the mean, standard deviation and number of present synapses.
    """
    node = tree["synapses"][projection]
    w = node["w_final"].values
    present = node["present_final"].values.astype(bool)
    w = w[present]
    if w.size == 0:
        raise ValueError(f"{projection}: no synapse present at the end of the run")
    low, high = float(w.min()), float(w.max())
    if high <= low:
        high = low + max(abs(low), 1e-12) * 1e-3
    density, edges = np.histogram(w, bins=bins, range=(low, high), density=True)
    return xr.DataArray(
        density,
        dims="weight",
        coords={"weight": ("weight", (edges[:-1] + edges[1:]) / 2, {"units": "S"}),
                "projection": projection},
        name="weight_density",
        attrs={"units": "1/S", "long_name": "final weight distribution (present synapses)",
               "mean": float(w.mean()), "std": float(w.std()), "n_synapses": int(w.size)},
    )  # fmt: skip
