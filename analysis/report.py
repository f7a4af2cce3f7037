"""A self-contained HTML report of a run or a sweep: figures (PNG, base64) and summary tables.

``depnet report STORE|SWEEP [--out DIR]`` writes ``DIR/<name>-report.html``. One file, no
external resources: it opens anywhere and can be mailed. A run's report has the raster with
population rates, serotonin and occupancy, spectra, functional connectivity and (for plastic runs)
synapse density and weights; a sweep's compares its points.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from depnet import store
from depnet.analysis import figures
from depnet.analysis.compare import run_summary, sweep_summary
from depnet.analysis.load import open_run
from depnet.analysis.sweep import open_sweep
from depnet.errors import StoreError

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.label, th.label { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
.note { color: #555; }
"""


def png_base64(fig: Figure, dpi: int = 100) -> str:
    """A figure as base64-encoded PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_html(fig: Figure, caption: str) -> str:
    return (
        f'<figure><img alt="{html.escape(caption)}" '
        f'src="data:image/png;base64,{png_base64(fig)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _number(value) -> str:
    if isinstance(value, str | np.str_):
        return html.escape(str(value))
    value = float(value)
    if not np.isfinite(value):
        return "–"
    return f"{value:.3g}"


def table_html(data: xr.Dataset, dim: str, variables: Iterable[str] | None = None) -> str:
    """One row per label of ``dim``, one column per variable on ``dim`` (with its units)."""
    names = [v for v in (variables or data.data_vars) if v in data and data[v].dims == (dim,)]
    head = "".join(
        f"<th>{html.escape(v)}"
        + (f" ({html.escape(u)})" if (u := data[v].attrs.get("units")) and u != "1" else "")
        + "</th>"
        for v in names
    )
    rows = []
    for i, label in enumerate(data[dim].values):
        cells = "".join(f"<td>{_number(data[v].values[i])}</td>" for v in names)
        rows.append(f'<tr><td class="label">{html.escape(str(label))}</td>{cells}</tr>')
    return f'<table><tr><th class="label">{html.escape(dim)}</th>{head}</tr>{"".join(rows)}</table>'


def _metadata_html(attrs: dict) -> str:
    scenario = attrs.get("scenario", {}).get("scenario", {})
    items = [
        ("scenario", scenario.get("name")),
        ("description", scenario.get("description")),
        ("device", attrs.get("device")),
        ("seed", attrs.get("seed")),
        ("simulated", f"{attrs.get('duration_s')} s (warmup {attrs.get('warmup_s')} s)"),
        ("git commit", attrs.get("git_commit")),
        ("created", attrs.get("created")),
        ("wall time (build, run)",
         f"{attrs.get('wall_time_build_s', float('nan')):.1f} s, "
         f"{attrs.get('wall_time_run_s', float('nan')):.1f} s"),
        ("parameter overrides", ", ".join(
            f"{k} = {v}" for k, v in attrs.get("scenario", {}).get("parameters", {}).items())
         or "none"),
    ]  # fmt: skip
    rows = "".join(
        f'<tr><th class="label">{html.escape(k)}</th><td class="label">{html.escape(str(v))}</td>'
        "</tr>"
        for k, v in items
    )
    return f"<table>{rows}</table>"


def _page(title: str, body: list[str]) -> str:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        + "\n".join(body)
        + f"<p class='note'>Written by depnet report at {stamp}.</p></body></html>\n"
    )


def run_report(tree: xr.DataTree, title: str) -> str:
    """The HTML of one run's report."""
    summary = run_summary(tree)
    window = "{:g}-{:g} s".format(*summary.attrs["window_s"])
    body = ["<h2>Run</h2>", _metadata_html(dict(tree.attrs))]
    body += [
        f"<h2>Summary (after warmup, {window})</h2>",
        table_html(summary, "population", ["rate", "isi_cv", "fano_factor", "correlation",
                                           "synchrony", "theta_power", "gamma_power"]),
        table_html(summary, "region", sorted(
            (v for v in summary.data_vars if summary[v].dims == ("region",)),
            key=lambda v: summary[v].attrs.get("units") != "nM")),
    ]  # fmt: skip
    dmn = summary["dmn_index"]
    body.append(
        f"<p>DMN (rumination) index: {_number(dmn.values)}"
        + (f" <span class='note'>({html.escape(dmn.attrs['message'])})</span>"
           if "message" in dmn.attrs else "")
        + f"; mean FC between regions: {_number(summary['mean_fc'].values)}</p>"
    )  # fmt: skip
    body.append("<h2>Figures</h2>")
    drawn = [
        (figures.raster_figure(tree), "Spike raster (up to 100 neurons per population) and "
         "population rates; grey: warmup."),
        (figures.serotonin_figure(tree), "Extracellular [5-HT] (nM) and receptor occupancy "
         "per region over time."),
        (figures.spectra_figure(tree), "Power spectra of population rates after warmup; "
         "theta (6-10 Hz) and slow gamma (25-50 Hz) shaded."),
        (figures.fc_figure(tree), "Functional connectivity (Pearson r of 50 ms binned rates) "
         "between populations and regions."),
        (figures.synapse_figure(tree), "Active-synapse density per region (grey-matter "
         "proxy) and final weight distributions."),
    ]  # fmt: skip
    body += [_figure_html(fig, caption) for fig, caption in drawn if fig is not None]
    if drawn[-1][0] is None:
        body.append("<p class='note'>No synapse figure: the run has no plastic projections.</p>")
    if "lfp" in tree.children:
        body += _readouts_html(tree, summary)
    else:
        body.append("<p class='note'>No field potentials or BOLD: the run did not record its "
                    "LFP sums (record.lfp).</p>")  # fmt: skip
    return _page(title, body)


def _readouts_html(tree: xr.DataTree, summary: xr.Dataset) -> list[str]:
    """The clinical readouts: biomarker table, field-potential spectra, BOLD and its FC."""
    from depnet.analysis.outcomes import CLINICAL_ROWS

    rows = []
    for variable, label, _, _, _ in CLINICAL_ROWS:
        reading = summary[variable]
        why = reading.attrs.get("message", "")
        rows.append(
            f"<tr><td class='label'>{html.escape(label)}</td><td>{_number(reading.values)}</td>"
            f"<td class='label'>{html.escape(why or reading.attrs.get('definition', ''))}</td>"
            f"<td class='label'>{html.escape(reading.attrs.get('source', ''))}</td></tr>"
        )
    bands = [v for v in summary.data_vars if v.startswith("lfp_relative_")]
    bold = figures.bold_figure(tree)
    return [
        "<h2>Clinical readouts (LFP/EEG proxies and BOLD)</h2>",
        "<table><tr><th class='label'>readout</th><th>value</th><th class='label'>definition "
        "or why missing</th><th class='label'>source</th></tr>" + "".join(rows) + "</table>",
        "<p>Relative power of the LFP proxy per band (share of the power above 1 Hz):</p>",
        table_html(summary, "region", bands),
        _figure_html(figures.field_figure(tree), "Spectra of the LFP proxy (|AMPA(t - 6 ms)| - "
                     "1.65 |GABA|, summed over principal cells; Mazzoni et al. 2015) and of the "
                     "EEG proxy; clinical bands marked."),
        _figure_html(bold, "BOLD of each region (Balloon-Windkessel, Stephan et al. 2007, "
                     "driven by synaptic activity) and its functional connectivity in "
                     "0.01-0.1 Hz.") if bold is not None else
        "<p class='note'>No BOLD figure: the run is too short after its warmup for the "
        "hemodynamic model to settle.</p>",
    ]  # fmt: skip


def sweep_report(sweep: xr.DataTree, title: str) -> str:
    """The HTML of a sweep's report."""
    summary = sweep_summary(sweep)
    varied = list(sweep.attrs.get("varied", []))
    table = xr.Dataset(coords={"point": summary.point.values})
    for name in varied:
        table[name] = ("point", sweep[name].values, sweep[name].attrs)
    for population in summary.population.values:
        table[f"rate {population}"] = ("point", summary.rate.sel(population=population).values,
                                       {"units": "Hz"})  # fmt: skip
    for var in ("c_5ht", "occupancy_5ht1a"):
        for region in summary.region.values if var in summary else []:
            table[f"{var} {region}"] = ("point", summary[var].sel(region=region).values,
                                        summary[var].attrs)  # fmt: skip
    for var in ("dmn_index", "mean_fc"):
        table[var] = ("point", summary[var].values, {"units": "1"})
    body = [
        "<h2>Sweep</h2>",
        f"<p>{sweep.sizes['point']} complete runs; varied: "
        f"{html.escape(', '.join(varied) or 'nothing')}.</p>",
    ]
    if sweep.attrs.get("incomplete"):
        body.append(
            "<p class='note'>Left out (incomplete): "
            + html.escape(", ".join(sweep.attrs["incomplete"]))
            + "</p>"
        )
    body += ["<h2>Summary per point (after warmup)</h2>", table_html(table, "point")]
    body.append("<h2>Figures</h2>")
    body.append(
        _figure_html(
            figures.comparison_figure(summary),
            "Mean rates, [5-HT], 5-HT1A occupancy and FC across the sweep.",
        )
    )
    body.append(_figure_html(figures.sweep_serotonin_figure(sweep),
                             "[5-HT] over time per region, one line per point."))  # fmt: skip
    return _page(title, body)


def write_report(path: str | Path, out: str | Path = ".") -> Path:
    """Write the report of a run store or a sweep folder into ``out``; returns the HTML's path.

    Raises
    ------
    depnet.errors.StoreError
        If ``path`` is neither a complete run store nor a sweep, or ``out`` cannot be written.
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no such store or sweep folder")
    name = path.name.removesuffix(".zarr") or "report"
    if store.is_store(path):
        page = run_report(open_run(path), f"depnet report: {path.name}")
    else:
        sweep = open_sweep(path)
        if "store" not in sweep.coords:
            raise StoreError(
                f"{path}: a collected dataset holds no figures' data; report on the sweep's "
                "folder of run stores instead"
            )
        page = sweep_report(sweep, f"depnet sweep report: {path.name}")
    out = Path(out)
    target = out / f"{name}-report.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    except OSError as err:
        raise StoreError(f"{target}: could not write report: {err.strerror or err}") from err
    return target
