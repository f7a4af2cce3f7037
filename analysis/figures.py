"""Figures of a run, of runs compared, and of a sweep (matplotlib, Agg; no global pyplot state).

Every function returns a :class:`matplotlib.figure.Figure` drawn by Agg (shown as an image by
Jupyter, saved with ``fig.savefig``), or ``None`` when the run has nothing to draw (no plastic
projections).
Axes carry units. Populations and regions come from the store, in its order.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from depnet.analysis.connectivity import dmn_index, functional_connectivity
from depnet.analysis.load import n_neurons, populations, spike_blocks
from depnet.analysis.rates import rate_time_course
from depnet.analysis.spectra import GAMMA, THETA, population_spectra
from depnet.analysis.spiking import sample_neurons
from depnet.analysis.synapses import projections, synapse_density, weight_distribution

COLORS = matplotlib.color_sequences["tab10"]


def _colors(n: int) -> list:
    """Distinct colours for ``n`` lines (tab10, or tab20 beyond ten)."""
    return list(COLORS if n <= 10 else matplotlib.color_sequences["tab20"])


def _new_figure(**kwargs) -> Figure:
    """A figure drawn by Agg, outside pyplot (nothing global; Jupyter still shows it)."""
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _shade_warmup(ax, tree: xr.DataTree) -> None:
    warmup = float(tree.attrs.get("warmup_s", 0) or 0)
    if warmup > 0:
        ax.axvspan(0, warmup, color="0.9", zorder=0, label="warmup")


def raster_figure(
    tree: xr.DataTree,
    max_neurons: int = 100,
    start: float = 0.0,
    stop: float | None = None,
    bin_width: float | None = None,
) -> Figure:
    """Spike raster (up to ``max_neurons`` cells per population) above population rates.

    The warmup is shaded grey; each population has its own colour and band of rows.
    """
    stop = float(tree.attrs["duration_s"]) if stop is None else stop
    names = populations(tree)
    colors = _colors(len(names))
    fig = _new_figure(figsize=(11, 5 + 0.2 * len(names)), layout="constrained")
    ax_raster, ax_rate = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    offset, ticks = 0, []
    for k, name in enumerate(names):
        chosen = sample_neurons(n_neurons(tree, name), max_neurons)
        row = np.full(n_neurons(tree, name), -1)
        row[chosen] = np.arange(len(chosen))
        for neuron, time in spike_blocks(tree, name):
            keep = (time >= start) & (time < stop) & (row[neuron] >= 0)
            ax_raster.scatter(time[keep], offset + row[neuron[keep]], s=6, marker="|",
                              color=colors[k % len(colors)], linewidths=0.8)  # fmt: skip
        ticks.append(offset + len(chosen) / 2)
        offset += len(chosen) + max(2, max_neurons // 20)
    ax_raster.set_yticks(ticks, names)
    ax_raster.set_ylim(-1, offset)
    ax_raster.invert_yaxis()
    ax_raster.set_ylabel(f"population (≤{max_neurons} neurons each)")
    ax_raster.set_title(f"{_title(tree)}: spikes")
    _shade_warmup(ax_raster, tree)
    rate = rate_time_course(tree, bin_width, start, stop)
    for k, name in enumerate(names):
        ax_rate.plot(rate.time, rate.sel(population=name), color=colors[k % len(colors)],
                     label=name, lw=1)  # fmt: skip
    _shade_warmup(ax_rate, tree)
    ax_rate.set_xlabel("time (s)")
    ax_rate.set_ylabel(f"rate (Hz), {rate.attrs['bin_width_s'] * 1e3:g} ms bins")
    ax_rate.set_xlim(start, stop)
    ax_rate.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small",
                   ncols=1 + len(names) // 10)  # fmt: skip
    return fig


def _title(tree: xr.DataTree) -> str:
    name = tree.attrs.get("scenario", {}).get("scenario", {}).get("name", "run")
    return f"{name} ({tree.attrs.get('device', '?')}, seed {tree.attrs.get('seed', '?')})"


def serotonin_figure(tree: xr.DataTree) -> Figure:
    """[5-HT] (nM) per region over time, then one panel per group of receptor and transporter
    variables.

    Variables in nM go to the first panel; the others (fractions) are grouped by the word before
    their first underscore (``occupancy_sert``, ``occupancy_5ht1a`` and ``occupancy_5ht7`` share
    a panel, shown first), one colour per region and one line style per variable.
    """
    data = tree["serotonin"].to_dataset()
    concentration = [v for v in data.data_vars if data[v].attrs.get("units") == "nM"]
    groups: dict[str, list[str]] = {}
    for v in sorted(v for v in data.data_vars if v not in concentration):
        groups.setdefault(str(v).split("_", 1)[0], []).append(str(v))
    groups = dict(sorted(groups.items(), key=lambda g: (g[0] != "occupancy", g[0])))
    fig = _new_figure(figsize=(10, 3 + 2.4 * len(groups)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1 + len(groups), 1, sharex=True))
    styles = ["-", "--", ":", "-."]
    regions = [str(r) for r in data.region.values]
    for k, region in enumerate(regions):
        color = COLORS[k % len(COLORS)]
        for v in concentration:
            axes[0].plot(data.time, data[v].sel(region=region), color=color, label=region)
        for ax, names in zip(axes[1:], groups.values(), strict=True):
            for j, v in enumerate(names):
                ax.plot(data.time, data[v].sel(region=region), color=color,
                        ls=styles[j % len(styles)], label=f"{region} {v}")  # fmt: skip
    for ax in axes:
        _shade_warmup(ax, tree)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small",
                  ncols=1 + len(regions) // 8)  # fmt: skip
    axes[0].set_ylabel("extracellular [5-HT] (nM)")
    axes[0].set_title(f"{_title(tree)}: serotonin")
    for ax, group in zip(axes[1:], groups, strict=True):
        ax.set_ylabel(f"{group}\n(fraction)")  # receptors' and SERT's (occupancy_sert)
        ax.set_ylim(0, 1)
    axes[-1].set_xlabel("time (s)")
    return fig


def spectra_figure(tree: xr.DataTree, bin_width: float = 0.002) -> Figure:
    """Power spectra of population rates after warmup, theta and slow-gamma bands shaded."""
    psd = population_spectra(tree, bin_width)
    fig = _new_figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    keep = psd.frequency > 0
    for k, name in enumerate(psd.population.values):
        ax.semilogy(psd.frequency[keep], psd.sel(population=name)[keep],
                    color=COLORS[k % len(COLORS)], label=str(name))  # fmt: skip
    ax.axvspan(*THETA, color="tab:green", alpha=0.12, label="theta 6-10 Hz")
    ax.axvspan(*GAMMA, color="tab:purple", alpha=0.12, label="slow gamma 25-50 Hz")
    ax.set_xlim(0, 100)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("PSD of population rate (Hz²/Hz)")
    ax.set_title(f"{_title(tree)}: spectra ({psd.attrs['segment_s']:g} s Welch segments)")
    ax.legend(fontsize="small", ncols=2)
    return fig


def fc_figure(tree: xr.DataTree, bin_width: float = 0.05) -> Figure:
    """Functional connectivity between populations and between regions (Pearson r)."""
    n = len(populations(tree))
    fig = _new_figure(figsize=(11 + 0.3 * max(0, n - 8), 4.8 + 0.2 * max(0, n - 8)),
                      layout="constrained")  # fmt: skip
    axes = fig.subplots(1, 2)
    for ax, by in zip(axes, ("population", "region"), strict=True):
        fc = functional_connectivity(tree, by, bin_width)
        labels = [str(x) for x in fc[by].values]
        image = ax.imshow(fc.values, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel(by)
        ax.set_ylabel(by)
        ax.set_title(f"FC by {by} ({bin_width * 1e3:g} ms bins)")
        for i in range(len(labels) if len(labels) <= 10 else 0):  # values, where legible
            for j in range(len(labels)):
                if np.isfinite(fc.values[i, j]):
                    ax.text(j, i, f"{fc.values[i, j]:.2f}", ha="center", va="center",
                            fontsize="x-small")  # fmt: skip
    fig.colorbar(image, ax=axes, label="Pearson r of binned rates", shrink=0.8)
    index = dmn_index(tree, bin_width=bin_width)
    dmn = index.attrs.get("message", f"DMN index {float(index):.2f}")
    fig.suptitle(f"{_title(tree)}: functional connectivity; {dmn}")
    return fig


def field_figure(tree: xr.DataTree) -> Figure:
    """Spectra of the LFP proxy of each region and of the EEG proxy at each sensor (after
    warmup), the clinical bands marked (:mod:`depnet.analysis.lfp`)."""
    from depnet.analysis.lfp import CLINICAL_BANDS, eeg_proxy, lfp_spectra
    from depnet.analysis.spectra import power_spectrum

    fig = _new_figure(figsize=(12, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    lfp = lfp_spectra(tree)
    keep = (lfp.frequency >= 1) & (lfp.frequency <= 100)
    colors = _colors(lfp.sizes["region"])
    for k, region in enumerate(lfp.region.values):
        left.loglog(lfp.frequency[keep], lfp.sel(region=region)[keep], color=colors[k],
                    label=str(region))  # fmt: skip
    left.set_ylabel("PSD of LFP proxy (A²/Hz)")
    left.set_title(f"LFP proxy per region ({lfp.attrs['segment_s']:g} s Welch segments)")
    try:
        eeg = eeg_proxy(tree)
        spectrum = power_spectrum(eeg, lfp.attrs["segment_s"])
        for k, sensor in enumerate(spectrum.sensor.values):
            right.loglog(spectrum.frequency[keep], spectrum.sel(sensor=sensor)[keep],
                         color=COLORS[k % len(COLORS)], label=str(sensor))  # fmt: skip
        right.set_title("EEG proxy (cortical dipoles, stated geometry)")
    except ValueError as err:
        right.text(0.5, 0.5, str(err), ha="center", va="center", wrap=True,
                   transform=right.transAxes)  # fmt: skip
    right.set_ylabel("PSD of EEG proxy (A²/Hz, relative)")
    for ax in (left, right):
        for k, (name, (low, high)) in enumerate(CLINICAL_BANDS.items()):
            ax.axvspan(low, high, color="0.5", alpha=0.06 + 0.06 * (k % 2), lw=0)
            ax.text(np.sqrt(low * high), 1.0, name, transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize="x-small", color="0.3")  # fmt: skip
        ax.set_xlabel("frequency (Hz)")
        ax.set_xlim(1, 100)
        ax.legend(fontsize="x-small", ncols=2, loc="lower left")
    fig.suptitle(f"{_title(tree)}: field potentials (Mazzoni et al. 2015 proxy)")
    return fig


def bold_figure(tree: xr.DataTree, tr: float = 2.0) -> Figure | None:
    """Each region's BOLD over the window after warmup, and their FC in 0.01-0.1 Hz (or, for a
    run too short to resolve the band, why it is not shown); None when the window after warmup
    holds fewer than two TRs beyond the hemodynamic model's settling."""
    from depnet.analysis.clinical import (
        BOLD_SETTLE,
        bold_fc,
        minimum_bold_window,
        region_bold,
    )
    from depnet.analysis.load import window

    t0, t1 = window(tree)
    if t1 - t0 < BOLD_SETTLE + 2 * tr:
        return None
    fig = _new_figure(figsize=(13, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.6, 1))
    bold = region_bold(tree, tr)
    colors = _colors(bold.sizes["region"])
    for k, region in enumerate(bold.region.values):
        left.plot(bold.time, 100 * bold.sel(region=region), color=colors[k], lw=1,
                  label=str(region))  # fmt: skip
    left.set_xlabel("time (s)")
    left.set_ylabel("BOLD (% signal change)")
    left.set_title(f"BOLD per region (Balloon-Windkessel, TR {tr:g} s)")
    left.legend(fontsize="x-small", ncols=2)
    if t1 - t0 >= minimum_bold_window():
        fc = bold_fc(tree, tr)
        labels = [str(x) for x in fc.region.values]
        image = right.imshow(fc.values, vmin=-1, vmax=1, cmap="RdBu_r")
        right.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        right.set_yticks(range(len(labels)), labels)
        for i in range(len(labels)):
            for j in range(len(labels)):
                right.text(j, i, f"{fc.values[i, j]:.2f}", ha="center", va="center",
                           fontsize="x-small")  # fmt: skip
        fig.colorbar(image, ax=right, label="Pearson r", shrink=0.8)
        right.set_title("BOLD FC, 0.01-0.1 Hz (DMN rows contested: reported)")
    else:
        right.set_axis_off()
        right.text(0.5, 0.5, f"BOLD FC needs {minimum_bold_window():g} s after warmup;\n"
                   f"this run has {t1 - t0:g} s", ha="center", va="center")  # fmt: skip
    fig.suptitle(f"{_title(tree)}: BOLD from synaptic activity")
    return fig


def synapse_figure(tree: xr.DataTree) -> Figure | None:
    """Active-synapse density per region over time and final weight distributions.

    ``None`` for a run without plastic projections.
    """
    names = projections(tree)
    if not names:
        return None
    density = synapse_density(tree)
    fig = _new_figure(figsize=(11, 4.5), layout="constrained")
    ax_d, ax_w = fig.subplots(1, 2)
    for k, region in enumerate(density.region.values):
        ax_d.plot(density.time, 100 * density.sel(region=region), marker=".",
                  color=COLORS[k % len(COLORS)], label=str(region))  # fmt: skip
    ax_d.set_xlabel("time (s)")
    ax_d.set_ylabel("synapses present (% of potential)")
    ax_d.set_title("active-synapse density per region (grey-matter proxy)")
    ax_d.legend(fontsize="small")
    for k, name in enumerate(names):
        try:
            dist = weight_distribution(tree, name)
        except ValueError:
            continue
        ax_w.step(dist.weight * 1e9, dist / 1e9, where="mid", color=COLORS[k % len(COLORS)],
                  label=f"{name} (n={dist.attrs['n_synapses']})")  # fmt: skip
    ax_w.set_xlabel("final weight (nS)")
    ax_w.set_ylabel("probability density (1/nS)")
    ax_w.set_title("weight distributions, present synapses")
    ax_w.legend(fontsize="x-small")
    return fig


def comparison_figure(summary: xr.Dataset, dim: str | None = None) -> Figure:
    """Runs side by side: rates per population, [5-HT] and 5-HT1A occupancy per region, DMN/FC.

    Parameters
    ----------
    summary
        Stacked run summaries (:func:`depnet.analysis.compare.compare_runs` along
        ``condition``, or :func:`~depnet.analysis.compare.sweep_summary` along ``point``).
    dim
        The coordinate to put on the x axis: default ``condition``, or for a sweep the first
        numeric varied setting (so a dose-response is a line), else ``point``.
    """
    summary, x_name, x, numeric = _x_axis(summary, dim)
    panels = [("rate", "population", "mean rate (Hz)")]
    for var, label in (("c_5ht", "[5-HT] (nM)"), ("occupancy_5ht1a", "5-HT1A occupancy")):
        if var in summary:
            panels.append((var, "region", label))
    fig = _new_figure(figsize=(4.2 * (len(panels) + 1), 4.5), layout="constrained")
    axes = fig.subplots(1, len(panels) + 1)
    for ax, (var, over, label) in zip(axes, panels, strict=False):
        _grouped(ax, summary[var], over, x, numeric, x_name)
        ax.set_ylabel(label)
    ax = axes[-1]
    # The DMN index is contested in depression (VALIDATION C6): say so wherever it is drawn.
    legend = {"mean_fc": "mean_fc", "dmn_index": "dmn_index (contested, reported only)"}
    for k, var in enumerate(v for v in ("mean_fc", "dmn_index") if v in summary):
        values = summary[var].values.astype(float)
        if numeric:
            ax.plot(x, values, marker="o", color=COLORS[k], label=legend[var])
        else:
            ax.bar(np.arange(len(x)) + 0.4 * k - 0.2, np.nan_to_num(values), width=0.4,
                   color=COLORS[k], label=legend[var])  # fmt: skip
    if not numeric:
        ax.set_xticks(range(len(x)), [str(v) for v in x], rotation=20)
    ax.set_xlabel(x_name)
    ax.set_ylabel("functional connectivity (Pearson r)")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.legend(fontsize="small")
    ax.set_title("FC between regions; DMN index (NaN: no DMN)", fontsize="small")
    return fig


def _x_axis(summary: xr.Dataset, dim: str | None) -> tuple[xr.Dataset, str, np.ndarray, bool]:
    if dim is None:
        if "condition" in summary.dims:
            dim = "condition"
        else:
            varied = [
                c for c in summary.coords
                if summary[c].dims == ("point",) and c not in ("point", "store")
                and np.issubdtype(summary[c].dtype, np.number)
            ]  # fmt: skip
            dim = varied[0] if varied else "point"
    numeric = np.issubdtype(summary[dim].dtype, np.number) and dim != "condition"
    if numeric:  # a dose-response line, left to right
        summary = summary.sortby(summary[dim])
    units = summary[dim].attrs.get("units")
    label = f"{dim} ({units})" if units and units != "1" else dim
    return summary, label, summary[dim].values, numeric


def _grouped(ax, data: xr.DataArray, over: str, x: Sequence, numeric: bool, x_name: str) -> None:
    """One line (numeric x) or one bar group per label of ``over``."""
    labels = [str(v) for v in data[over].values]
    run_dim = next(d for d in data.dims if d != over)
    width = 0.8 / max(len(labels), 1)
    for k, label in enumerate(labels):
        values = data.sel({over: label}).transpose(run_dim).values.astype(float)
        color = COLORS[k % len(COLORS)]
        if numeric:
            ax.plot(x, values, marker="o", color=color, label=label)
        else:
            ax.bar(np.arange(len(x)) + (k - (len(labels) - 1) / 2) * width, values, width=width,
                   color=color, label=label)  # fmt: skip
    if not numeric:
        ax.set_xticks(range(len(x)), [str(v) for v in x], rotation=20)
    ax.set_xlabel(x_name)
    ax.set_title(f"per {over}", fontsize="small")
    ax.legend(fontsize="x-small", ncols=2)


def sweep_serotonin_figure(sweep: xr.DataTree) -> Figure:
    """[5-HT] over time in every region, one line per sweep point."""
    data = sweep["serotonin"]["c_5ht"]
    regions = [str(r) for r in data.region.values]
    fig = _new_figure(figsize=(5 * len(regions), 4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(regions), sharey=True))
    varied = list(sweep.attrs.get("varied", []))
    for ax, region in zip(axes, regions, strict=True):
        for p in range(data.sizes["point"]):
            label = ", ".join(f"{v}={sweep[v].values[p]:g}" if np.issubdtype(
                sweep[v].dtype, np.number) else f"{v}={sweep[v].values[p]}"
                for v in varied) or f"point {p}"  # fmt: skip
            ax.plot(data.time, data.sel(region=region).isel(point=p),
                    color=COLORS[p % len(COLORS)], label=label, lw=1)  # fmt: skip
        ax.set_title(f"{region}")
        ax.set_xlabel("time (s)")
        ax.legend(fontsize="x-small")
    axes[0].set_ylabel("extracellular [5-HT] (nM)")
    fig.suptitle("serotonin across the sweep")
    return fig


def outcome_figure(outcomes: xr.Dataset) -> Figure:
    """The outcome table of runs compared as bar charts: one panel per group of measures.

    Parameters
    ----------
    outcomes
        :func:`depnet.analysis.outcomes.outcome_table`: ``value(measure, condition)`` with the
        ``group`` and ``short`` (tick label) of each measure.

    Firing rates take the top row; [5-HT], synapse density, its change, the DMN index and the PAS
    response follow, three panels a row. Bars are coloured by condition only (never by the sign
    of a change): contested measures (the DMN index) are titled so and drawn like the others.
    Groups that no run measured are left out; a missing value is marked ``-`` at the panel's foot.
    """
    from depnet.analysis.outcomes import GROUPS, group_title

    names = [str(c) for c in outcomes["condition"].values]
    groups = [
        g for g in GROUPS
        if np.isfinite(outcomes["value"].where(outcomes["group"] == g).values).any()
    ]  # fmt: skip
    rest = [g for g in groups if g != "rate"]
    rows = [rest[i : i + 3] for i in range(0, len(rest), 3)]
    mosaic = ([["rate"] * 3] if "rate" in groups else []) + [r + ["."] * (3 - len(r)) for r in rows]
    fig = _new_figure(figsize=(15, 4.2 * len(mosaic)), layout="constrained")
    axes = fig.subplot_mosaic(mosaic, empty_sentinel=".")
    colors = _colors(len(names))
    width = 0.8 / max(len(names), 1)
    for group, ax in axes.items():
        part = outcomes.sel(measure=outcomes["group"] == group)
        ticks = [str(s) for s in part["short"].values]
        for k, name in enumerate(names):
            values = part["value"].sel(condition=name).values.astype(float)
            x = np.arange(len(ticks)) + (k - (len(names) - 1) / 2) * width
            ax.bar(x, values, width=width, color=colors[k % len(colors)], label=name)
            for xi in x[~np.isfinite(values)]:  # at the foot of the panel, whatever the scale
                ax.text(xi, 0.02, "-", transform=ax.get_xaxis_transform(), ha="center",
                        va="bottom", color="0.4")  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.5)
        ax.set_xlim(-0.5, len(ticks) - 0.5)  # NaN bars do not count in autoscaling
        ax.set_xticks(range(len(ticks)), ticks, rotation=20 if len(ticks) > 4 else 0)
        ax.set_title(group_title(group, outcomes), fontsize="small")
    first = axes["rate"] if "rate" in axes else next(iter(axes.values()))
    first.legend(title="condition", fontsize="small", loc="upper left",
                 bbox_to_anchor=(1.005, 1))  # fmt: skip
    title = f"outcomes of {len(names)} condition(s)"
    if "density change" in groups:
        title += f"; synapse density change relative to {names[0]}"
    fig.suptitle(title)
    return fig
