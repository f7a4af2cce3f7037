"""First measures on a stored run: mean rates, raphe regularity, mean [5-HT], and a text summary.

All take the :class:`xarray.DataTree` that :func:`depnet.store.open_run` returns and skip the
scenario's warmup unless told otherwise.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from depnet.analysis.load import kind_of, populations, window
from depnet.analysis.rates import mean_rates
from depnet.analysis.spiking import isi_cv


def _window(tree: xr.DataTree, start: float | None) -> tuple[float, float]:
    return window(tree, start)


def population_rates(tree: xr.DataTree, start: float | None = None) -> xr.DataArray:
    """Mean firing rate per population (Hz) from ``start`` (default: after warmup) to the end.

    Counted block by block from the spikes (see :func:`depnet.analysis.rates.mean_rates`).
    """
    return mean_rates(tree, start)


def serotonergic_populations(tree: xr.DataTree) -> list[str]:
    """Populations of kind ``5ht`` (the raphe's serotonergic cells), as the store names them."""
    return [p for p in populations(tree) if kind_of(tree, p) == "5ht"]


def raphe_regularity(
    tree: xr.DataTree, start: float | None = None, population: str | None = None
) -> float:
    """Share of raphe 5-HT cells firing regularly (ISI CV < 0.5; Mlinar et al. 2016).

    ``population`` defaults to the store's first population of kind ``5ht``; NaN if there is
    none or no cell fired three spikes.
    """
    if population is None:
        found = serotonergic_populations(tree)
        if not found:
            return float("nan")
        population = found[0]
    cv = isi_cv(tree, population, start).values
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
