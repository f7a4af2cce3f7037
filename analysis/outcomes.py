"""Outcome measures of runs side by side: one row per question a modeller asks, one column a run.

:func:`outcome_table` turns named runs into ``value(measure, condition)``, the table that
``depnet compare`` prints and writes: firing rates per region (principal cells and interneurons,
and the raphe's 5-HT cells), mean extracellular [5-HT] per region, active-synapse density (the
grey-matter proxy) and its change relative to the first condition, the DMN connectivity index and
the PAS response. Rates and [5-HT] are time means over a window, by default from each run's
warmup to its end (:func:`run_summary`), and the density is read at the window's end.

Two measures are **contested** in depression and are reported without a direction (VALIDATION.md):
the DMN index (C6: hyper- vs slightly reduced connectivity) and any 5-HT7 measure (P7). Rows carry
a ``contested`` flag; nothing here (or in the figure) computes a change or colour for them.

Populations are classed by their kind (what follows the region in ``<region>_<kind>``, see
:mod:`depnet.analysis.load`): :data:`PRINCIPAL_KINDS`, :data:`INTERNEURON_KINDS` and
:data:`SEROTONERGIC_KIND`; other kinds (the septal theta pacemakers) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from depnet.analysis.compare import run_summary
from depnet.analysis.load import open_run, region_of, regions, seconds
from depnet.analysis.synapses import projection_target, projections, weight_statistics

#: Kinds of excitatory (principal) cells: cortical pyramids and dentate granule cells.
PRINCIPAL_KINDS = ("exc", "granule")
#: Kinds of inhibitory interneurons: cortical and hippocampal ``inh``, the raphe's ``gaba``.
INTERNEURON_KINDS = ("inh", "gaba")
#: Kind of the raphe's serotonergic cells (reported on their own rows, per population).
SEROTONERGIC_KIND = "5ht"

#: Blocks of the table, in order; also the panels of the figure.
GROUPS = ("rate", "serotonin", "density", "density change", "dmn", "bold", "eeg", "pas")
#: What a group's values are, with units (figure panel titles, see :func:`group_title`):
#: ``{over}`` is the window of the time means, ``{at}`` the time of the density sample.
GROUP_TITLES = {
    "rate": "firing rate {over} (Hz)",
    "serotonin": "mean extracellular [5-HT] {over} (nM)",
    "density": "active-synapse density, {at} (present / potential)",
    "density change": "synapse density change vs the first condition (%)",
    "dmn": "DMN index, within-DMN FC (Pearson r): contested (C6), reported only",
    "bold": "BOLD FC in 0.01-0.1 Hz (Pearson r): contested (C6), reported only",
    "eeg": "LFP/EEG proxies: sgACC relative theta, frontal theta/alpha (ratios)",
    "pas": "PAS response: mean weight change over the block (%)",
}

DMN_LABEL = "DMN index (contested, reported only)"
#: Rows of the clinical readouts (:func:`depnet.analysis.clinical.biomarkers`): variable,
#: label, tick label, group, contested.
CLINICAL_ROWS = (
    ("dmn_bold_fc", "DMN BOLD FC, PCC-mPFC (contested, reported only)", "PCC-mPFC", "bold",
     True),
    ("sgacc_dmn_bold_fc", "sgACC-DMN BOLD FC (contested, reported only)", "sgACC-DMN", "bold",
     True),
    ("sgacc_theta", "sgACC relative theta power (LFP proxy)", "sgACC theta", "eeg", False),
    ("frontal_theta_alpha", "frontal theta/alpha power (EEG proxy, Fz)", "Fz theta/alpha",
     "eeg", False),
)  # fmt: skip
PAS_LABEL = "PAS response (% weight change)"
#: What the table shows for the PAS response of a run without a PAS block.
NO_PAS = "no PAS block"


@dataclass(frozen=True)
class Measure:
    """One row of the outcome table.

    ``label`` (with units) names the row; ``short`` is its tick label in a figure panel; ``region``
    and ``rank`` order the rows within a group; ``digits`` and ``signed`` say how it is printed.
    """

    label: str
    group: str
    units: str
    short: str = ""
    region: str = ""
    rank: int = 0
    digits: int = 2
    signed: bool = False
    contested: bool = False


def window_words(start: float | None, stop: float | None) -> dict[str, str]:
    """How the table names its window: ``over`` (the time means) and ``at`` (the density).

    Examples
    --------
    >>> window_words(None, None)["over"]
    "after each run's warmup"
    >>> window_words(9.0, 12.0)
    {'over': 'over 9-12 s', 'at': 'at 12 s'}
    """
    if start is None:
        over = (
            "after each run's warmup" if stop is None else f"from each run's warmup to {stop:g} s"
        )
    else:
        over = (
            f"from {start:g} s to each run's end" if stop is None else f"over {start:g}-{stop:g} s"
        )
    return {"over": over, "at": "end of run" if stop is None else f"at {stop:g} s"}


def group_title(group: str, outcomes: xr.Dataset) -> str:
    """The title of a group of measures (a figure panel) for the window of ``outcomes``."""
    words = {k: outcomes.attrs.get(k, v) for k, v in window_words(None, None).items()}
    return GROUP_TITLES.get(group, group).format(**words)


def pas_block(tree: xr.DataTree) -> dict | None:
    """The run's paired-associative-stimulation block, or None.

    Interventions are listed in the scenario (root attribute ``scenario``, key ``interventions``:
    dicts with ``kind``, ``start``, ``stop`` and kind-specific keys). The first of kind ``pas`` is
    returned; a run with several is measured on its first.
    """
    interventions = tree.attrs.get("scenario", {}).get("interventions") or []
    blocks = [
        dict(block) for block in interventions
        if isinstance(block, Mapping) and str(block.get("kind", "")).lower() == "pas"
    ]  # fmt: skip
    return blocks[0] if blocks else None


def pas_outcome(tree: xr.DataTree) -> tuple[float, str]:
    """:func:`pas_response` with the reason it is NaN (empty when it is a number)."""
    block = pas_block(tree)
    if block is None:
        return math.nan, NO_PAS
    projection = block.get("projection")
    if not projection:
        return math.nan, "the PAS block names no projection"
    if projection not in projections(tree):
        return math.nan, f"{projection} is not a recorded plastic projection"
    try:
        start = seconds(block.get("start", "0 s"), "start")
        stop_value = block.get("stop")
        stop = (float(tree.attrs["duration_s"]) if stop_value is None
                else seconds(stop_value, "stop"))  # fmt: skip
    except ValueError as err:
        return math.nan, f"PAS block: {err}"
    w = weight_statistics(tree)["w_mean"].sel(projection=projection).dropna("time")
    if w.sizes["time"] < 2:
        return math.nan, f"{projection}: fewer than two weight samples"
    times = w["time"].values
    first = int(np.argmin(np.abs(times - start)))
    last = int(np.argmin(np.abs(times - stop)))
    # A block shorter than the sampling interval would compare a sample with itself (0%).
    if last <= first:
        return math.nan, (
            f"the PAS block ({start:g}-{stop:g} s) spans no weight sample interval of {projection}"
        )
    w0, w1 = float(w.values[first]), float(w.values[last])
    if not w0 > 0:
        return math.nan, f"{projection}: no weight at the block's start"
    return 100.0 * (w1 - w0) / w0, ""


def pas_response(tree: xr.DataTree) -> float:
    """Plasticity induced by a paired-associative-stimulation block (%), NaN without one.

    The relative change of the probed projection's mean synaptic weight over the block: from the
    weight sample nearest the block's ``start`` to the sample nearest its ``stop`` (the end of
    the run when ``stop`` is null), ``100 * (w_stop - w_start) / w_start``. The mean is over the
    synapses present at each sample (``w_mean`` of ``/synapses/<projection>``, see
    :func:`depnet.analysis.synapses.weight_statistics`); the projection is the block's
    ``projection`` key and must carry a learning rule (only plastic projections are recorded).

    Returns
    -------
    float
        The response in %; NaN when the run has no PAS block (see :func:`pas_block`), when its
        projection is not recorded, or when the block lies within one weight sample interval
        (:func:`pas_outcome` gives the reason).

    Examples
    --------
    Mean weights of 1.0, 1.0, 1.2 and 1.5 nS sampled at 0, 1, 2 and 3 s and a block from
    ``"1 s"`` to ``"3 s"`` give ``100 * (1.5 - 1.0) / 1.0 = 50`` (%).
    """
    return pas_outcome(tree)[0]


#: The first store version whose synapses' ``pre``/``post`` are cell indices in the populations.
_CELL_INDEXED = 3


def pas_pathway_change(with_pas: xr.DataTree, without: xr.DataTree) -> float:
    """PAS-induced change (%) of the conditioned pathway, from a pair of runs.

    The conditioned pathway is what an MEP reads after human PAS: the synapses from the cells
    that the conditioning volley reaches (the first ``pre_fraction`` of the probed projection's
    population) onto the cells that the TMS pulse fires (the others). The change is measured
    against a paired run (the same network and seed, without the PAS block), so that the
    network's own drift cancels: the mean final weight of the pathway's synapses present at the
    end of both runs, ``100 * (w_with / w_without - 1)``. The whole projection's change over the
    block (:func:`pas_response`) mixes this pathway with the reverse one (TMS-fired cells onto
    conditioned ones, paired in the depressing order) and with cells fired together.

    Raises
    ------
    ValueError
        If ``with_pas`` has no PAS block, its projection is not recorded in both runs, the runs
        are not paired (different synapses or lengths), or a store is older than version 3 (its
        synapses indexed in the NeuronGroups).
    """
    block = pas_block(with_pas)
    if block is None:
        raise ValueError(NO_PAS)
    projection = block.get("projection", "")
    for tree in (with_pas, without):
        if int(tree.attrs.get("store_version", _CELL_INDEXED)) < _CELL_INDEXED:
            raise ValueError(
                f"store version {tree.attrs['store_version']}: its synapses' pre/post are "
                f"NeuronGroup indices (cell indices from version {_CELL_INDEXED}); rerun it"
            )
        if projection not in projections(tree):
            raise ValueError(f"{projection!r} is not a recorded plastic projection of both runs")
    a, b = with_pas["synapses"][projection], without["synapses"][projection]
    ends = [float(tree.attrs["duration_s"]) for tree in (with_pas, without)]
    if ends[0] != ends[1]:
        raise ValueError(
            f"the runs are not paired: they end at {ends[0]:g} and {ends[1]:g} s (the final "
            "weights are compared)"
        )
    pre, post = a["pre"].values, a["post"].values
    if not (np.array_equal(pre, b["pre"].values) and np.array_equal(post, b["post"].values)):
        raise ValueError(f"{projection}: the runs are not paired (their synapses differ)")
    population = projection_target(with_pas, projection)
    n = int(with_pas["spikes"][population].attrs["n_neurons"])
    first_tms = round(float(block.get("pre_fraction", 0.25)) * n)  # as the schedule splits cells
    present = (a["present_final"].values > 0.5) & (b["present_final"].values > 0.5)
    pathway = (pre < first_tms) & (post >= first_tms) & present
    if not pathway.any():
        raise ValueError(f"{projection}: no synapse of the conditioned pathway is present")
    w_with, w_without = a["w_final"].values[pathway].mean(), b["w_final"].values[pathway].mean()
    return 100.0 * (w_with / w_without - 1.0)


def unique_names(names: list[str]) -> list[str]:
    """Names made distinct: a repeated name gets ``-2``, ``-3``, ... in order of appearance."""
    out: list[str] = []
    for name in names:
        candidate, k = name, 1
        while candidate in out or (candidate != name and candidate in names):
            k += 1
            candidate = f"{name}-{k}"
        out.append(candidate)
    return out


def _mean_rate(rate: xr.DataArray, chosen: np.ndarray) -> float:
    """Mean rate over the cells of the chosen populations (each weighted by its cell count)."""
    n = rate["n_neurons"].values[chosen].astype(float)
    return float(np.sum(rate.values[chosen] * n) / n.sum()) if n.sum() > 0 else math.nan


def _run_rows(tree: xr.DataTree, summary: xr.Dataset) -> list[tuple[Measure, float, str]]:
    """The measures of one run (density change and condition names come later)."""
    rows: list[tuple[Measure, float, str]] = []
    rate = summary["rate"]
    home = rate["population_region"].values.astype(str)
    kind = rate["kind"].values.astype(str)
    for region in dict.fromkeys([*regions(tree), *home]):
        here = home == region
        for p in np.flatnonzero(here & (kind == SEROTONERGIC_KIND)):
            population = str(rate["population"].values[p])
            measure = Measure(f"raphe 5-HT rate, {population} (Hz)", "rate", "Hz",
                              f"{population} (5-HT)", region, 0)  # fmt: skip
            rows.append((measure, float(rate.values[p]), ""))
        for rank, (kinds, what) in enumerate(
            ((PRINCIPAL_KINDS, "principal-cell"), (INTERNEURON_KINDS, "interneuron")), start=1
        ):
            chosen = here & np.isin(kind, kinds)
            if chosen.any():
                measure = Measure(f"{region} {what} rate (Hz)", "rate", "Hz",
                                  f"{region} {what.split('-')[0]}", region, rank)  # fmt: skip
                rows.append((measure, _mean_rate(rate, chosen), ""))
    if "c_5ht" in summary:
        for region, value in zip(summary["region"].values, summary["c_5ht"].values, strict=True):
            measure = Measure(f"{region} [5-HT] (nM)", "serotonin", "nM", str(region),
                              str(region), digits=1)  # fmt: skip
            rows.append((measure, float(value), ""))
    for region, value in _structural_density(tree, summary).items():
        measure = Measure(f"{region} synapse density (present/potential)", "density", "1",
                          region, region, digits=3)  # fmt: skip
        rows.append((measure, value, ""))
    dmn = summary["dmn_index"]
    measure = Measure(DMN_LABEL, "dmn", "1", "DMN index", digits=3, contested=True)
    rows.append((measure, float(dmn), ""))
    for variable, label, short, group, contested in CLINICAL_ROWS:
        if variable in summary:
            reading = summary[variable]
            measure = Measure(label, group, "1", short, digits=3, contested=contested)
            rows.append((measure, float(reading), reading.attrs.get("message", "")))
    value, note = pas_outcome(tree)
    measure = Measure(PAS_LABEL, "pas", "%", "PAS response", digits=1, signed=True)
    rows.append((measure, value, note))
    return rows


def _structural_density(tree: xr.DataTree, summary: xr.Dataset) -> dict[str, float]:
    """Final synapse density of the regions whose plastic projections include structural ones.

    ``final_synapse_density`` counts every plastic projection onto a region; projections with
    STDP alone keep all their synapses (density 1 throughout), so a region reached only by those
    has no grey-matter proxy and is left out (NaN, "-", in the table).
    """
    if "final_synapse_density" not in summary:
        return {}
    tables = tree.attrs.get("scenario", {}).get("plasticity") or {}
    structural = {
        name for name, table in tables.items()
        if isinstance(table, Mapping) and "structural" in (table.get("rules") or ())
    }  # fmt: skip
    wanted = set()
    for name in projections(tree):
        target = projection_target(tree, name)
        # Without the scenario's plasticity tables (older or synthetic stores) every recorded
        # projection counts: a pool that changed size is what structural plasticity leaves.
        if target and (name in structural or not tables):
            wanted.add(region_of(tree, target))
    density = summary["final_synapse_density"]
    return {
        str(r): float(v)
        for r, v in zip(density["region"].values, density.values, strict=True)
        if str(r) in wanted and np.isfinite(v)
    }


def outcome_table(
    runs: Mapping[str, xr.DataTree | str | Path],
    start: float | None = None,
    stop: float | None = None,
) -> xr.Dataset:
    """Outcome measures of named runs, one column (``condition``) per run, in the given order.

    Parameters
    ----------
    runs
        Condition name -> run (an opened tree or a store path). The first is the reference of
        the synapse density change.
    start, stop
        The window in seconds, the same for every run (default: from each run's warmup to its
        end): rates, [5-HT] and the DMN index are computed over it, the synapse density is the
        last sample at or before ``stop``. The PAS response is measured over its own block.

    Returns
    -------
    xarray.Dataset
        ``value(measure, condition)`` (float; NaN where a run lacks the measure) and
        ``note(measure, condition)`` (what the table shows instead of a NaN, e.g.
        :data:`NO_PAS`; empty otherwise). ``measure`` is the row label (with units); its
        coordinates ``group`` (one of :data:`GROUPS`), ``units``, ``short`` (figure tick label),
        ``digits``, ``signed`` and ``contested`` describe each row. ``attrs``: ``reference``
        (the first condition), ``footnotes`` (reasons for missing values), and ``over`` and
        ``at``, the window in words (:func:`window_words`).

    Raises
    ------
    ValueError
        Naming the condition, when the window is empty or outside a run.
    """
    names = list(runs)
    if not names:
        raise ValueError("no runs to compare")
    measures: dict[str, Measure] = {}
    cells: dict[str, dict[str, tuple[float, str]]] = {}
    region_order: list[str] = []
    # Why values are missing, once per reason: (row, reason) -> conditions.
    missing: dict[tuple[str, str], list[str]] = {}
    for name in names:
        run = runs[name]
        tree = run if isinstance(run, xr.DataTree) else open_run(run)
        try:
            summary = run_summary(tree, start, stop)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
        if "message" in summary["dmn_index"].attrs:
            missing.setdefault(("DMN index", summary["dmn_index"].attrs["message"]), []).append(
                name
            )
        for measure, value, note in _run_rows(tree, summary):
            measures.setdefault(measure.label, measure)
            if note and note != NO_PAS:  # a reason too long for a cell: "-" and a footnote
                missing.setdefault((measure.short, note), []).append(name)
                note = ""
            cells.setdefault(measure.label, {})[name] = (value, note)
            if measure.region and measure.region not in region_order:
                region_order.append(measure.region)
    reference = names[0]
    for label, measure in list(measures.items()):
        if measure.group != "density":
            continue
        ref = cells[label].get(reference, (math.nan, ""))[0]
        change = Measure(f"{measure.region} synapse density change vs {reference} (%)",
                         "density change", "%", measure.region, measure.region, digits=1,
                         signed=True)  # fmt: skip
        measures[change.label] = change
        cells[change.label] = {
            name: (100.0 * (value - ref) / ref if ref > 0 else math.nan, "")
            for name, (value, _) in cells[label].items()
        }

    def position(label: str) -> tuple:
        m = measures[label]
        region = region_order.index(m.region) if m.region else -1
        return GROUPS.index(m.group), region, m.rank, label

    labels = sorted(measures, key=position)
    rows = [measures[label] for label in labels]
    empty = (math.nan, "")
    value = np.array([[cells[label].get(n, empty)[0] for n in names] for label in labels], float)
    note = np.array([[cells[label].get(n, empty)[1] for n in names] for label in labels], object)
    return xr.Dataset(
        {
            "value": (("measure", "condition"), value.reshape(len(labels), len(names))),
            "note": (("measure", "condition"), note.reshape(len(labels), len(names))),
        },
        coords={
            "measure": labels,
            "condition": names,
            "group": ("measure", [m.group for m in rows]),
            "units": ("measure", [m.units for m in rows]),
            "short": ("measure", [m.short or m.label for m in rows]),
            "digits": ("measure", [m.digits for m in rows]),
            "signed": ("measure", [m.signed for m in rows]),
            "contested": ("measure", [m.contested for m in rows]),
        },
        attrs={
            "reference": reference,
            **window_words(start, stop),
            "footnotes": [f"{what} in {', '.join(who)}: {why}" for (what, why), who in
                          missing.items()],
        },
    )  # fmt: skip


def _cell(value: float, note: str, digits: int, signed: bool) -> str:
    if not math.isfinite(value):
        return note or "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def format_outcomes(outcomes: xr.Dataset) -> str:
    """The outcome table as text: a row per measure, a right-aligned column per condition.

    Missing values print as ``-`` (or their note, e.g. ``no PAS block``); a legend and the
    reasons for missing values follow the table.
    """
    labels = [str(m) for m in outcomes["measure"].values]
    names = [str(c) for c in outcomes["condition"].values]
    body = [
        [_cell(float(outcomes["value"].values[i, j]), str(outcomes["note"].values[i, j] or ""),
               int(outcomes["digits"].values[i]), bool(outcomes["signed"].values[i]))
         for j in range(len(names))]
        for i in range(len(labels))
    ]  # fmt: skip
    first = max(len("measure"), *(len(label) for label in labels))
    widths = [max(len(name), *(len(row[j]) for row in body)) for j, name in enumerate(names)]

    def line(head: str, row: list[str]) -> str:
        return "  ".join(
            [head.ljust(first), *(c.rjust(w) for c, w in zip(row, widths, strict=True))]
        )

    lines = [line("measure", names)]
    lines += [line(label, row) for label, row in zip(labels, body, strict=True)]
    over = outcomes.attrs.get("over", window_words(None, None)["over"])
    lines += [
        f"rates and [5-HT]: time means {over}; '-': not measured in that run",
        "principal cells: populations of kind exc or granule; interneurons: inh or gaba",
    ]
    if outcomes["contested"].values.any():
        lines.append(
            "DMN index: contested in depression (VALIDATION C6: hyper- vs slightly reduced "
            "connectivity); reported, no direction asserted"
        )
    lines += outcomes.attrs.get("footnotes", [])
    return "\n".join(lines)


def write_csv(outcomes: xr.Dataset, path: str | Path) -> Path:
    """Write ``value(measure, condition)`` as CSV: a ``measure`` column, then one per condition.

    Missing values are empty cells; numbers keep full precision.
    """
    path = Path(path)
    frame = outcomes["value"].to_pandas()
    frame.to_csv(path, index_label="measure", na_rep="")
    return path
