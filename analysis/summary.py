"""First measures on a stored run: mean rates, raphe regularity, mean [5-HT], and a text summary.

All take the :class:`xarray.DataTree` that :func:`depnet.store.open_run` returns and skip the
scenario's warmup unless told otherwise.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def _window(tree: xr.DataTree, start: float | None) -> tuple[float, float]:
    attrs = tree.attrs
    return (attrs.get("warmup_s", 0.0) if start is None else start), attrs["duration_s"]


def populations(tree: xr.DataTree) -> list[str]:
    """Population names in the circuit's order (raphe first), as the run recorded them."""
    recorded = set(tree["spikes"].children)
    return [p for p in tree.attrs.get("population_sizes", sorted(recorded)) if p in recorded]


def population_rates(tree: xr.DataTree, start: float | None = None) -> xr.DataArray:
    """Mean firing rate per population (Hz) from ``start`` (default: after warmup) to the end."""
    t0, t1 = _window(tree, start)
    rates = {}
    for name in populations(tree):
        node = tree["spikes"][name]
        times = node["time"].values
        rates[name] = np.count_nonzero(times >= t0) / (node.attrs["n_neurons"] * (t1 - t0))
    return xr.DataArray(
        list(rates.values()),
        dims="population",
        coords={"population": list(rates)},
        name="rate",
        attrs={"units": "Hz", "window_s": [t0, t1]},
    )


def isi_cv(tree: xr.DataTree, population: str, start: float | None = None) -> xr.DataArray:
    """Coefficient of variation of inter-spike intervals per neuron (NaN with < 3 spikes)."""
    t0, _ = _window(tree, start)
    node = tree["spikes"][population]
    neuron, times = node["neuron"].values, node["time"].values
    keep = times >= t0
    neuron, times = neuron[keep], times[keep]
    order = np.lexsort((times, neuron))
    neuron, times = neuron[order], times[order]
    cv = np.full(node.attrs["n_neurons"], np.nan)
    for i in np.unique(neuron):
        isi = np.diff(times[neuron == i])
        if len(isi) >= 2:
            cv[i] = isi.std() / isi.mean()
    return xr.DataArray(cv, dims="neuron", name="isi_cv", attrs={"units": "1"})


def raphe_regularity(tree: xr.DataTree, start: float | None = None) -> float:
    """Share of raphe 5-HT cells firing regularly (ISI CV < 0.5; Mlinar et al. 2016)."""
    cv = isi_cv(tree, "drn_5ht", start).values
    fired = ~np.isnan(cv)
    return float(np.mean(cv[fired] < 0.5)) if fired.any() else float("nan")


def mean_serotonin(
    tree: xr.DataTree, variable: str = "c_5ht", start: float | None = None
) -> xr.DataArray:
    """Time-averaged [5-HT] (nM) or receptor occupancy per region after ``start``."""
    t0, _ = _window(tree, start)
    data = tree["serotonin"][variable]
    return data.sel(time=slice(t0, None)).mean("time")


def summarize(tree: xr.DataTree) -> str:
    """A few lines a person reads after a run: what ran, rates, regularity, [5-HT], wall times."""
    a = tree.attrs
    rates = population_rates(tree)
    c5ht = mean_serotonin(tree)
    occ = mean_serotonin(tree, "occupancy_5ht1a")
    lines = [
        f"scenario {a['scenario']['scenario']['name']} on {a['device']}, seed {a['seed']}, "
        f"{a['duration_s']:g} s simulated (summary after {a['warmup_s']:g} s warmup)",
        "firing rates: "
        + ", ".join(
            f"{p} {r:.2f} Hz" for p, r in zip(rates.population.values, rates.values, strict=True)
        ),
        f"raphe regularity: {raphe_regularity(tree):.0%} of 5-HT cells with ISI CV < 0.5",
        "[5-HT]: "
        + ", ".join(
            f"{r} {c:.1f} nM (5-HT1A occupancy {o:.2f})"
            for r, c, o in zip(c5ht.region.values, c5ht.values, occ.values, strict=True)
        ),
        *_plasticity_lines(tree),
        f"wall time: build {a['wall_time_build_s']:.1f} s, run {a['wall_time_run_s']:.1f} s",
    ]
    return "\n".join(lines)


def _plasticity_lines(tree: xr.DataTree) -> list[str]:
    if "synapses" not in tree.children:
        return []
    lines = []
    for name, node in tree["synapses"].children.items():
        density, w = node["density"].values, node["w_mean"].values * 1e9
        lines.append(
            f"{name}: synapse density {density[0]:.3f} -> {density[-1]:.3f}, "
            f"mean weight {w[0]:.3f} -> {w[-1]:.3f} nS"
        )
    return lines
