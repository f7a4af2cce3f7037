"""One-at-a-time sensitivity of the checked VALIDATION rows to the circuit's chosen parameters.

Every parameter whose source is "chosen: ..." (not taken from a paper) is changed by a factor
(``1 - step`` and ``1 + step``; 20% by default) with everything else at its default, the runs the
rows need (:data:`depnet.validation.RUNS`) are made on one seed, and each row is measured as
``depnet validation`` measures it. A row **flips** when it passes at the default values on that
seed and fails with the change, or the other way round. The same seed for every change (common
random numbers) makes a difference between two points the parameter's doing, not the noise's;
the default point's spread over seeds (``depnet validation``) says how large noise is.

Parameters come in **families**: the same quantity in each population (``*.g_girk_max``: 16
values), in each projection (``projections.*.w_ampa``) or in each region
(``serotonin.innervation.*``). By default a family is changed as one (all its members by the same
factor): a reviewer's question "does the result depend on the GIRK conductance chosen?" in about
100 points (about 20 minutes on 2 cores). ``each=True`` changes every member on its own instead
(about 600 points). Members whose default is zero are left out (a relative change of zero is
nothing), as are the parameters the runs themselves set (:func:`run_set_parameters`); a changed
value outside a parameter's range is clipped to it and the point says so. Integer parameters
(in-degrees) are rounded.

The rows are those of the static circuit by default (:data:`DEFAULT_ROWS`: their runs are of
``scenarios/healthy.toml``, which has no plasticity, intervention or trait, so only the circuit's
parameters act on them). The treatment rows can be named too (minutes per point); the learning
rules' and interventions' own parameters are not changed.

Results are written after every point (``sensitivity.json``), and a rerun with the same settings
skips the points already there, so a killed job loses at most the points under way.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from depnet.errors import ScenarioError
from depnet.quantities import Parameter, format_quantity
from depnet.validation import CHECKS, RUNS, measure_seed, provenance

#: The default relative change.
STEP = 0.2
FILE = "sensitivity.json"


@dataclass(frozen=True)
class Change:
    """One point: the members of a family and the values they take (as text with units);
    ``clipped`` lists the members held at a bound of their range."""

    family: str
    factor: float
    values: Mapping[str, str]
    clipped: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.family} x{self.factor:g}"


#: The rows the sensitivity measures by default: those read off the static circuit
#: (``scenarios/healthy.toml``), whose runs take seconds.
DEFAULT_ROWS = [
    row for row, check in CHECKS.items() if all(RUNS[n].scenario == "healthy" for n in check.runs)
]


def run_set_parameters(rows: Iterable[str] = DEFAULT_ROWS) -> set[str]:
    """Parameters that the runs of ``rows`` set themselves (drugs, the slow clock): changing
    their defaults changes nothing in the runs that use them."""
    names = {name for row in rows for name in CHECKS[row].runs}
    return {path for name in names for path in RUNS[name].parameters}


def family_of(path: str, populations: Iterable[str], regions: Iterable[str]) -> str:
    """The family of a parameter path: the population, projection or region replaced by ``*``.

    >>> family_of("drn_5ht.g_girk_max", ["drn_5ht"], ["drn"])
    '*.g_girk_max'
    >>> family_of("projections.dlpfc_exc_to_sgacc_inh.w_ampa", [], [])
    'projections.*.w_ampa'
    >>> family_of("serotonin.innervation.ca1", [], ["ca1"])
    'serotonin.innervation.*'
    >>> family_of("serotonin.vmax_sert", [], [])
    'serotonin.vmax_sert'
    """
    parts = path.split(".")
    if parts[0] == "projections" and len(parts) == 3:
        return f"projections.*.{parts[2]}"
    if parts[0] in set(populations):
        return ".".join(["*", *parts[1:]])
    if len(parts) == 3 and parts[2] in set(regions):
        return f"{parts[0]}.{parts[1]}.*"
    return path


def chosen_parameters(
    parameters: Mapping[str, Parameter] | None = None,
) -> dict[str, Parameter]:
    """The circuit's chosen parameters that a change can act on: source "chosen: ...", a
    non-zero default, and not set by the runs themselves."""
    if parameters is None:
        from depnet.circuits.parameters import DEFAULT_PARAMETERS as parameters
    skip = run_set_parameters()
    return {
        path: p
        for path, p in parameters.items()
        if p.source.startswith("chosen") and float(p.value) != 0 and path not in skip
    }


def families(parameters: Mapping[str, Parameter] | None = None) -> dict[str, list[str]]:
    """Family -> member paths, for :func:`chosen_parameters`."""
    from depnet.circuits.parameters import REGIONS

    populations = [f"{region}_{kind}" for region, kinds in REGIONS.items() for kind in kinds]
    found: dict[str, list[str]] = {}
    for path in chosen_parameters(parameters):
        found.setdefault(family_of(path, populations, REGIONS), []).append(path)
    return found


def scaled(p: Parameter, factor: float) -> tuple[object, bool]:
    """``p``'s default times ``factor`` (rounded for an integer, clipped to its range) and
    whether it was clipped."""
    value = p.value * factor
    if isinstance(p.value, int) and not isinstance(p.value, bool):
        value = round(value)
    clipped = False
    if p.low is not None and value < p.low:
        value, clipped = p.low, True
    if p.high is not None and value > p.high:
        value, clipped = p.high, True
    return value, clipped


def changes(
    step: float = STEP,
    select: Iterable[str] = (),
    each: bool = False,
    parameters: Mapping[str, Parameter] | None = None,
) -> list[Change]:
    """The points to run: each family (or, with ``each``, each member) at ``1 - step`` and
    ``1 + step``. ``select``: only families or paths starting with one of these prefixes.

    Raises
    ------
    ScenarioError
        If ``step`` is not in (0, 1) or ``select`` matches nothing.
    """
    if not (0 < step < 1) or not math.isfinite(step):
        raise ScenarioError(f"the relative change must lie between 0 and 1, got {step}")
    chosen = chosen_parameters(parameters)
    groups = families(parameters)
    select = list(select)
    if select:
        groups = {
            name: [m for m in members if any(m.startswith(s) for s in select)]
            if not any(name.startswith(s) for s in select)
            else members
            for name, members in groups.items()
        }
        groups = {name: members for name, members in groups.items() if members}
        if not groups:
            raise ScenarioError(
                f"no chosen parameter matches {', '.join(select)} (`depnet params` lists them)"
            )
    if each:
        groups = {path: [path] for members in groups.values() for path in members}
    points = []
    for name, members in groups.items():
        for factor in (1 - step, 1 + step):
            values, clipped = {}, []
            for path in members:
                value, was_clipped = scaled(chosen[path], factor)
                values[path] = format_quantity(value)
                if was_clipped:
                    clipped.append(path)
            if all(values[m] == format_quantity(chosen[m].value) for m in members):
                continue  # every member at a bound already: nothing to change
            points.append(Change(name, round(factor, 10), values, tuple(clipped)))
    return points


# -- running ------------------------------------------------------------------------------------
def measure_point(
    values: Mapping[str, str], seed: int, rows: list[str], device: str = "cpp"
) -> dict[str, dict[str, float]]:
    """Every row's measures on ``seed`` with the parameters set to ``values`` (row -> measure
    -> value): :func:`depnet.validation.measure_seed`."""
    return measure_seed(rows, seed, device, values)


def _passes(row: str, values: Mapping[str, float]) -> bool:
    return all(band.holds(values[name]) for name, band in CHECKS[row].bands.items())


def run_sensitivity(
    out: Path,
    points: list[Change],
    seed: int = 1,
    rows: Iterable[str] | None = None,
    jobs: int = 1,
    device: str = "cpp",
    log: Callable[[str], None] | None = print,
    measure: Callable[..., dict[str, dict[str, float]]] = measure_point,
) -> dict:
    """Measure the default point and every change in ``points``; write ``out/sensitivity.json``
    after each and return its content. Points already in that file (same seed, rows, device)
    are not run again.

    Raises
    ------
    ScenarioError
        If ``out`` holds results made with other settings, or ``jobs`` < 1.
    """
    rows = list(rows or DEFAULT_ROWS)
    if jobs < 1:
        raise ScenarioError(f"--jobs must be at least 1, got {jobs}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE
    settings = {"seed": seed, "rows": rows, "device": device}
    data = {"meta": {}, "settings": settings, "default": None, "points": {}}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ScenarioError(f"{path} is not readable JSON ({err}); remove it") from err
        if data.get("settings") != settings:
            raise ScenarioError(
                f"{path} holds results for {data.get('settings')}, not {settings}: "
                "use another --out"
            )
    data["meta"] = provenance([seed], device, rows)

    def finished(change: Change) -> bool:  # a point that failed is tried again
        return change.key in data["points"] and not data["points"][change.key]["error"]

    todo: list[Change | None] = [] if data["default"] else [None]
    todo += [c for c in points if not finished(c)]
    if log and (done := sum(map(finished, points))):
        log(f"{done} of {len(points)} points already in {path}: not run again")

    def save() -> None:
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(partial, path)

    started = time.perf_counter()
    for n, (change, measured, error) in enumerate(
        _measured(todo, measure, seed, rows, device, jobs), 1
    ):
        if change is None:
            if error:
                raise ScenarioError(f"the default point failed: {error}")
            data["default"] = measured
        else:
            data["points"][change.key] = {
                "family": change.family,
                "factor": change.factor,
                "values": dict(change.values),
                "clipped": list(change.clipped),
                "measures": measured,
                "error": error,
            }
        save()
        if log:
            elapsed = time.perf_counter() - started
            left = elapsed / n * (len(todo) - n)
            what = change.key if change else "default values"
            note = f": {error}" if error else ""
            log(f"[{n}/{len(todo)}] {what}{note} ({elapsed:.0f} s, ~{left:.0f} s left)")
    return data


def _measured(todo, measure, seed, rows, device, jobs):  # noqa: ANN001, ANN202
    """(change, measures or None, error or None) for each point of ``todo``, as they finish:
    one after the other in this process for one job, else in ``jobs`` fresh interpreters."""

    def failed(err: Exception) -> str:
        return f"{type(err).__name__}: {err}".splitlines()[0]

    if jobs == 1:
        for change in todo:
            try:
                yield (
                    change,
                    measure(dict(change.values) if change else {}, seed, rows, device),
                    None,
                )
            except Exception as err:  # noqa: BLE001 (a point that cannot run is a result)
                yield change, None, failed(err)
        return
    context = get_context("spawn")  # a fresh interpreter: no Brian2 state shared with this one
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(measure, dict(c.values) if c else {}, seed, rows, device): c for c in todo
        }
        for future in as_completed(futures):
            try:
                yield futures[future], future.result(), None
            except Exception as err:  # noqa: BLE001
                yield futures[future], None, failed(err)


# -- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flip:
    """A row whose verdict on the seed changed with a point, and its measures' values."""

    row: str
    passes: bool
    measures: Mapping[str, tuple[float, float]]  # name -> (default, changed)

    def text(self) -> str:
        moved = [
            f"{name} {_n(a)} -> {_n(b)}"
            for name, (a, b) in self.measures.items()
            if not CHECKS[self.row].bands[name].holds(b if not self.passes else a)
        ]
        verb = "passes" if self.passes else "fails"
        return f"{self.row} {verb} ({'; '.join(moved)})"


def _n(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def flips(default: Mapping, measures: Mapping) -> list[Flip]:
    """Rows whose pass or fail on the seed differs between the default point and a change."""
    found = []
    for row, values in measures.items():
        before, after = _passes(row, default[row]), _passes(row, values)
        if before != after:
            pairs = {name: (default[row][name], v) for name, v in values.items()}
            found.append(Flip(row, after, pairs))
    return found


def largest_change(default: Mapping, measures: Mapping) -> tuple[str, float]:
    """The measure (``"row: name"``) that moved most, relative to its default value, and by how
    much (a fraction; comparisons that hold or not count as 0 or 1)."""
    best, size = "", 0.0
    for row, values in measures.items():
        for name, value in values.items():
            base = default[row][name]
            if not (math.isfinite(value) and math.isfinite(base)):
                change = math.inf
            elif base == 0:
                change = 0.0 if value == 0 else math.inf
            else:
                change = abs(value - base) / abs(base)
            if change > size:
                best, size = f"{row}: {name}", change
    return best, size


def table_lines(data: Mapping) -> list[str]:
    """The sensitivity table as text: per family and direction, the rows that flip and the
    measure that moved most."""
    default = data["default"]
    lines = [
        f"one-at-a-time sensitivity, seed {data['settings']['seed']}, rows "
        f"{', '.join(data['settings']['rows'])}; the default point passes: "
        + ", ".join(r for r in default if _passes(r, default[r]))
    ]
    for key, point in data["points"].items():
        if point["error"]:
            lines.append(f"{key}: did not run ({point['error']})")
            continue
        measures = point["measures"]
        flipped = flips(default, measures)
        name, size = largest_change(default, measures)
        clipped = f"; clipped: {len(point['clipped'])}" if point["clipped"] else ""
        members = len(point["values"])
        what = "; ".join(f.text() for f in flipped) if flipped else "no row flips"
        moved = f"largest change {size:.0%} ({name})" if name else "no measure moved"
        lines.append(
            f"{key} ({members} value{'s' if members > 1 else ''}{clipped}): {what}; {moved}"
        )
    n = len(data["points"])
    for row, keys in flips_by_row(data).items():
        lines.append(f"{row} flips under {len(keys)} of {n} points: {', '.join(keys) or '-'}")
    return lines


def flips_by_row(data: Mapping) -> dict[str, list[str]]:
    """Row -> the points (``family xfactor``) that flip it."""
    found: dict[str, list[str]] = {row: [] for row in data["settings"]["rows"]}
    for key, point in data["points"].items():
        if point["measures"]:
            for flip in flips(data["default"], point["measures"]):
                found[flip.row].append(key)
    return found


def load(out: Path) -> dict | None:
    """The sensitivity results in ``out`` (``None`` when there are none, or not even the
    default point's)."""
    path = out / FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ScenarioError(f"{path} is not readable JSON ({err})") from err
    return data if data.get("default") else None


def table_html(data: Mapping) -> str:
    """The sensitivity table as an HTML section (for the validation report)."""
    import html

    e = html.escape
    settings, default = data["settings"], data["default"]
    rows = settings["rows"]
    by_row = flips_by_row(data)
    n = len(data["points"])
    factors = sorted({point["factor"] for point in data["points"].values()})
    parts = [
        f"<h2>Sensitivity: chosen parameters at x{' and x'.join(map(str, factors))}</h2>",
        f"<p>{n} points on seed {settings['seed']} (the same seed for every point, so a "
        "difference is the parameter's, not noise's; the seed spread above says how large noise "
        "is). A family is the same quantity in every population, projection or region, changed "
        "together; members whose default is zero are not changed. A cell names the row's verdict "
        "on this seed when it differs from the default point's (hover for the values); the last "
        f"column is the measure that moved most. Commit {e(str(data['meta'].get('commit', '')))}, "
        f"{e(str(data['meta'].get('date', '')))}; made by <code>depnet sensitivity</code>.</p>",
        "<ul>",
    ]
    for row in rows:
        keys = by_row[row]
        text = ", ".join(keys) if keys else f"none of the {n} points"
        parts.append(f"<li><b>{e(row)}</b> flips under: {e(text)}</li>")
    parts.append("</ul><table><tr><th>point</th><th>values</th>")
    parts += [f"<th>{e(r)}</th>" for r in rows]
    parts.append("<th>largest change</th></tr>")
    for key, point in data["points"].items():
        values = "; ".join(f"{k} = {v}" for k, v in point["values"].items())
        cells = [f"<td>{e(key)}</td><td title='{e(values)}'>{len(point['values'])}</td>"]
        if point["error"]:
            cells.append(f"<td colspan={len(rows) + 1}>did not run: {e(point['error'])}</td>")
        else:
            flipped = {f.row: f for f in flips(default, point["measures"])}
            for row in rows:
                if row in flipped:
                    f = flipped[row]
                    verdict = "passes" if f.passes else "fails"
                    css = "pass" if f.passes else "fail"
                    cells.append(f"<td class='{css}' title='{e(f.text())}'>{verdict}</td>")
                else:
                    cells.append("<td></td>")
            name, size = largest_change(default, point["measures"])
            moved = f"{size:.0%} <small>{e(name)}</small>" if name else "none"
            cells.append(f"<td>{moved}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</table>")
    return "\n".join(parts)
