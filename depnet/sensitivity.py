"""One-at-a-time sensitivity of the checked VALIDATION rows to the circuit's chosen parameters.

Every parameter whose source is "chosen: ..." (not taken from a paper) is changed by a factor
(``1 - step`` and ``1 + step``; 20% by default) with everything else at its default, the runs the
rows need (:data:`depnet.validation.RUNS`) are made on one seed, and each row is measured as
``depnet validation`` measures it. A row **flips** when it passes at the default values on that
seed and fails with the change, or the other way round. The same seed for every change (common
random numbers) makes a difference between two points the parameter's doing, not the noise's;
the default point's spread over seeds (``depnet validation``) says how large noise is.

Parameters come in **families**: the same quantity in each population (``*.g_girk_max``: 8
values), in each projection (``projections.*.w_ampa``) or in each region
(``serotonin.innervation.*``). By default a family is changed as one (all its members by the same
factor): a reviewer's question "does the result depend on the GIRK conductance chosen?" in 80
points (16 minutes with two jobs on 2 cores). ``each=True`` changes every member on its own
instead (561 points), as does a selection that keeps only some members of a family. Members
whose default is zero are left out (a relative change of zero is nothing), as are the parameters
that every run of the rows sets itself (:func:`run_set_parameters`); a changed value outside a
parameter's range is clipped to it and the point says so. Counts (in-degrees, background inputs)
are rounded.

Potentials are **shifted**, not scaled: a membrane or reversal potential has no natural zero, so
"20% of -50 mV" is not a property of the cell (it would put a reset above the threshold).
They move by ``step`` times :data:`VOLTAGE_SCALE` (10 mV: +-2 mV at the default 20%, about the
spread of resting and threshold potentials measured within one cell type; chosen).

The rows are those of the static circuit by default (:data:`DEFAULT_ROWS`: their runs are of
``scenarios/healthy.toml``, which has no plasticity, intervention or trait, so only the circuit's
parameters act on them). The treatment rows can be named too (minutes per point): their runs are
of the circuit with learning, so the learning rules' chosen parameters change too (families such
as ``plasticity.*.r_form``). Every parameter changes from the value the rows' scenario gives it
(its ``[parameters]``, such as the RM2017 column of ``sgacc_switching.toml`` that C2 runs; its
default otherwise: :func:`scenario_parameters`). The interventions' own parameters are not
changed: they are the treatments, not the circuit.

Results are written after every point (``sensitivity.json``, with the commit each point ran at and
the bands it was judged by), and a rerun with the same settings skips the points already there,
so a killed job loses at most the points under way.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from depnet.errors import ScenarioError
from depnet.quantities import Parameter, format_quantity
from depnet.validation import CHECKS, RUNS, Band, measure_seed, provenance, seed_in_band
from depnet.workers import worker_pool

#: The default relative change.
STEP = 0.2
#: A potential moves by ``step`` times this (chosen: +-2 mV at 20%, see the module docstring).
VOLTAGE_SCALE_MV = 10.0
#: Parameters that count things: rounded after scaling.
COUNTS = ("in_degree", "background_n")
FILE = "sensitivity.json"


@dataclass(frozen=True)
class Change:
    """One point: the members of a family and the values they take (as text with units), how
    they were changed (``label``: ``x0.8`` or ``-2 mV``); ``clipped`` lists the members held at
    a bound of their range."""

    family: str
    label: str
    values: Mapping[str, str]
    clipped: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.family} {self.label}"


#: The rows the sensitivity measures by default: those read off the static circuit
#: (``scenarios/healthy.toml``), whose runs take seconds, but R5, whose dose-responses take 14
#: runs a point (name it with ``--rows`` to include it).
DEFAULT_ROWS = [
    row
    for row, check in CHECKS.items()
    if all(RUNS[n].scenario == "healthy" and not RUNS[n].interventions for n in check.runs)
    and row != "R5"
]


def scenario_parameters(rows: Iterable[str] = DEFAULT_ROWS) -> dict[str, Parameter | None]:
    """The parameters whose value the scenarios of the runs of ``rows`` set: their own
    ``[parameters]`` values (as parameters chosen by that scenario) and, in circuits with
    learning, the learning rules' parameters (``plasticity.<projection or population>.<name>``,
    at their defaults unless the scenario sets them). ``None`` for a parameter the scenarios
    do not all have, or give different values: there is no one value to change by a factor,
    and it is not changed. The values interventions set during a run (the state the cells are
    in: :data:`~depnet.plasticity_rules.structural.NEURON_SETTABLE`) are not parameters of a
    rule and are left out."""
    from dataclasses import replace

    from depnet.circuits.parameters import DEFAULT_PARAMETERS, plasticity_parameter_table
    from depnet.plasticity_rules.structural import NEURON_SETTABLE
    from depnet.scenarios import scenario_path
    from depnet.spec import load_scenario

    names = {RUNS[name].scenario for row in rows for name in CHECKS[row].runs}
    tables = []
    for name in sorted(names):
        path = scenario_path(name)
        spec = load_scenario(path)
        rules = plasticity_parameter_table(spec.plasticity_specs())
        table = {k: p for k, p in rules.items() if k.rsplit(".", 1)[-1] not in NEURON_SETTABLE}
        for key, value in spec.parameters.items():
            base = table.get(key, DEFAULT_PARAMETERS.get(key))
            if base is not None:
                table[key] = replace(base, value=value, source=f"chosen: set by {path.name}")
        tables.append(table)
    found: dict[str, Parameter | None] = {}
    for key in dict.fromkeys(k for table in tables for k in table):
        first = tables[0].get(key)
        agree = first is not None and all(
            key in t and t[key].value == first.value for t in tables[1:]
        )
        found[key] = first if agree else None
    return found


def run_set_parameters(rows: Iterable[str] = DEFAULT_ROWS) -> set[str]:
    """Parameters that every run of ``rows`` sets itself: changing their defaults changes
    nothing. (A parameter only some runs set is changed in the others.)"""
    names = {name for row in rows for name in CHECKS[row].runs}
    sets = [set(RUNS[name].parameters) for name in names]
    return set.intersection(*sets) if sets else set()


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
    >>> family_of("plasticity.dlpfc_exc.tau_Ca", [], [])
    'plasticity.*.tau_Ca'
    """
    parts = path.split(".")
    if parts[0] in ("projections", "plasticity") and len(parts) == 3:
        return f"{parts[0]}.*.{parts[2]}"
    if parts[0] in set(populations):
        return ".".join(["*", *parts[1:]])
    if len(parts) == 3 and parts[2] in set(regions):
        return f"{parts[0]}.{parts[1]}.*"
    return path


def chosen_parameters(
    parameters: Mapping[str, Parameter | None] | None = None, rows: Iterable[str] = DEFAULT_ROWS
) -> dict[str, Parameter]:
    """The chosen parameters that a change can act on: source "chosen: ...", a non-zero
    default, and not set by every run of ``rows``. By default the circuit's, and the learning
    rules' where the rows' runs have learning, at the values the rows' scenarios give them
    (:func:`scenario_parameters`; one they disagree on is ``None`` there, and left out)."""
    if parameters is None:
        from depnet.circuits.parameters import DEFAULT_PARAMETERS

        parameters = {**DEFAULT_PARAMETERS, **scenario_parameters(rows)}
    skip = run_set_parameters(rows)
    return {
        path: p
        for path, p in parameters.items()
        if p is not None  # the rows' scenarios disagree on it
        and p.source.startswith("chosen")
        and float(p.value) != 0
        and path not in skip
    }


def families(
    parameters: Mapping[str, Parameter] | None = None, rows: Iterable[str] = DEFAULT_ROWS
) -> dict[str, list[str]]:
    """Family -> member paths, for :func:`chosen_parameters`."""
    from depnet.circuits.parameters import REGIONS

    populations = [f"{region}_{kind}" for region, kinds in REGIONS.items() for kind in kinds]
    found: dict[str, list[str]] = {}
    for path in chosen_parameters(parameters, rows):
        found.setdefault(family_of(path, populations, REGIONS), []).append(path)
    return found


def is_potential(p: Parameter) -> bool:
    """Whether ``p`` is a potential (shifted, not scaled)."""
    from depnet.quantities import parse_quantity, same_dimensions

    return same_dimensions(p.value, parse_quantity("1 mV"))


def scaled(p: Parameter, step: float, count: bool = False) -> tuple[object, bool]:
    """``p``'s default changed by ``step`` (signed; a potential shifted by ``step`` times
    :data:`VOLTAGE_SCALE_MV`, anything else scaled by ``1 + step``; a count rounded), clipped to
    its range, and whether it was clipped."""
    if is_potential(p):
        from depnet.quantities import parse_quantity

        value = p.value + step * VOLTAGE_SCALE_MV * parse_quantity("1 mV")
    else:
        value = p.value * (1 + step)
    if count:
        value = float(round(float(value)))
    clipped = False
    if p.low is not None and value < p.low:
        value, clipped = p.low, True
    if p.high is not None and value > p.high:
        value, clipped = p.high, True
    return value, clipped


def label(p: Parameter, step: float) -> str:
    """How a change of ``step`` reads: ``x0.8`` or, for a potential, ``-2 mV``."""
    if is_potential(p):
        return f"{step * VOLTAGE_SCALE_MV:+g} mV"
    return f"x{round(1 + step, 10):g}"


def changes(
    step: float = STEP,
    select: Iterable[str] = (),
    each: bool = False,
    parameters: Mapping[str, Parameter] | None = None,
    rows: Iterable[str] = DEFAULT_ROWS,
) -> list[Change]:
    """The points to run: each family (or, with ``each``, each member) at ``-step`` and
    ``+step``. ``select``: only families or paths starting with one of these prefixes; the
    members a selection keeps of a family it does not name whole are changed one by one.

    Raises
    ------
    ScenarioError
        If ``step`` is not in (0, 1) or ``select`` matches nothing.
    """
    if not (0 < step < 1) or not math.isfinite(step):
        raise ScenarioError(f"the relative change must lie between 0 and 1, got {step}")
    rows = list(rows)
    chosen = chosen_parameters(parameters, rows)
    groups = families(parameters, rows)
    select = list(select)
    if select:
        kept: dict[str, list[str]] = {}
        for name, members in groups.items():
            if any(name.startswith(s) for s in select):
                kept[name] = members
            else:  # part of a family: each member on its own, named by its path
                kept |= {m: [m] for m in members if any(m.startswith(s) for s in select)}
        groups = kept
        if not groups:
            raise ScenarioError(
                f"no chosen parameter matches {', '.join(select)} (`depnet params` lists them)"
            )
    if each:
        groups = {path: [path] for members in groups.values() for path in members}
    points = []
    for name, members in groups.items():
        for signed in (-step, step):
            values, clipped = {}, []
            for path in members:
                count = path.rsplit(".", 1)[-1] in COUNTS
                value, was_clipped = scaled(chosen[path], signed, count)
                values[path] = format_quantity(value)
                if was_clipped:
                    clipped.append(path)
            if all(values[m] == format_quantity(chosen[m].value) for m in members):
                continue  # every member at a bound already: nothing to change
            points.append(Change(name, label(chosen[members[0]], signed), values, tuple(clipped)))
    return points


# -- running ------------------------------------------------------------------------------------
def measure_point(
    values: Mapping[str, str], seed: int, rows: list[str], device: str = "cpp"
) -> dict[str, dict[str, float]]:
    """Every row's measures on ``seed`` with the parameters set to ``values`` (row -> measure
    -> value): :func:`depnet.validation.measure_seed`."""
    return measure_seed(rows, seed, device, values)


def _passes(row: str, values: Mapping[str, float]) -> bool:
    """The row's verdict on one seed, as ``depnet validation`` judges a seed."""
    return seed_in_band(CHECKS[row].bands, values)


def _bands(rows: Iterable[str]) -> dict[str, dict[str, dict]]:
    return {row: {n: asdict(b) for n, b in CHECKS[row].bands.items()} for row in rows}


def _with_defaults(bands: object) -> object:
    """Stored bands with the fields that a results file written before they existed lacks
    (``claimed``, true for every band then), so that such a file compares as it was judged."""
    if not isinstance(bands, dict):
        return bands
    return {
        row: {n: {"claimed": True, **b} if isinstance(b, dict) else b for n, b in named.items()}
        if isinstance(named, dict)
        else named
        for row, named in bands.items()
    }


def _settings(seed: int, rows: list[str], device: str) -> dict:
    """What the points of one results file share: a point is comparable with the default
    point only under the same seed, rows, device and bands."""
    ordered = [row for row in CHECKS if row in rows]  # the same whatever order they came in
    return {"seed": seed, "rows": ordered, "device": device, "bands": _bands(ordered)}


def read(path: Path) -> dict:
    """A results file, checked for its shape (one-line errors, never a traceback).

    Raises
    ------
    ScenarioError
        If the file is not JSON, or not a sensitivity results file.
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ScenarioError(f"cannot read {path} ({err}); remove it or use another --out") from err
    ok = (
        isinstance(data, dict)
        and isinstance(data.get("settings"), dict)
        and isinstance(data.get("points"), dict)
        and all(
            isinstance(p, dict) and {"family", "label", "values", "measures", "error"} <= set(p)
            for p in data["points"].values()
        )
    )
    if not ok:
        raise ScenarioError(f"{path} is not a `depnet sensitivity` results file")
    rows = data["settings"].get("rows", [])
    if unknown := [r for r in rows if r not in CHECKS]:
        raise ScenarioError(f"{path} holds rows this version does not check: {', '.join(unknown)}")
    if _with_defaults(data["settings"].get("bands")) != _bands(rows):
        raise ScenarioError(
            f"the bands of the rows in {path} are not this version's: its verdicts would be "
            "judged by other bands; rerun into another --out"
        )
    return data


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
    after each and return its content. Points already in that file (same seed, rows, device
    and bands, same values) are not run again, except those that failed. The default point is
    measured first, in this process; the others in ``jobs`` fresh interpreters (or here, for
    one job).

    Raises
    ------
    ScenarioError
        If ``out`` holds results made with other settings or is locked by another
        ``depnet sensitivity``, ``out`` is not a folder, ``jobs`` < 1, or the default point
        cannot run.
    """
    rows = list(rows or DEFAULT_ROWS)
    if jobs < 1:
        raise ScenarioError(f"--jobs must be at least 1, got {jobs}")
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".sensitivity.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise ScenarioError(f"another `depnet sensitivity` is writing into {out}") from err
        return _run(out, points, seed, rows, jobs, device, log, measure)


def _run(out, points, seed, rows, jobs, device, log, measure) -> dict:  # noqa: ANN001
    path = out / FILE
    settings = _settings(seed, rows, device)
    data = {"meta": {}, "settings": settings, "default": None, "planned": [], "points": {}}
    if path.exists():
        data = read(path)
        if data["settings"] != settings:
            theirs = {k: v for k, v in data["settings"].items() if k != "bands"}
            raise ScenarioError(
                f"{path} holds results for {theirs}, not seed {seed}, rows {' '.join(rows)}, "
                f"device {device}: use another --out"
            )
    data["meta"] = provenance([seed], device, rows)
    commit = data["meta"]["commit"]
    data["planned"] = list(dict.fromkeys([*data.get("planned", []), *(c.key for c in points)]))

    def finished(change: Change) -> bool:  # a point that failed is tried again
        done = data["points"].get(change.key)
        return bool(done) and not done["error"] and done["values"] == dict(change.values)

    def save() -> None:
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(partial, path)

    if not data["default"]:
        if log:
            log("default values")
        ((_, measured, error),) = _measured([None], measure, seed, rows, device, 1)
        if error:
            raise ScenarioError(f"the default point failed: {error}")
        data["default"] = measured
        data["default_commit"] = commit
        save()
    todo = [c for c in points if not finished(c)]
    if log and (done := len(points) - len(todo)):
        log(f"{done} of {len(points)} points already in {path}: not run again")
    started = time.perf_counter()
    # closing: an interrupt while a point is saved stops the workers now, not when collected
    with closing(_measured(todo, measure, seed, rows, device, jobs)) as results:
        for n, (change, measured, error) in enumerate(results, 1):
            data["points"][change.key] = {
                "family": change.family, "label": change.label, "values": dict(change.values),
                "clipped": list(change.clipped), "measures": measured, "error": error,
                "commit": commit,
            }  # fmt: skip
            save()
            if log:
                elapsed = time.perf_counter() - started
                left = elapsed / n * (len(todo) - n)
                note = f": {error}" if error else ""
                log(f"[{n}/{len(todo)}] {change.key}{note} ({elapsed:.0f} s, ~{left:.0f} s left)")
    return data


def _measured(todo, measure, seed, rows, device, jobs):  # noqa: ANN001, ANN202
    """(change, measures or None, error or None) for each point of ``todo``, as they finish:
    one after the other in this process for one job, else in ``jobs`` fresh interpreters."""

    def failed(err: Exception) -> str:
        return f"{type(err).__name__}: {err}".splitlines()[0]

    def values(change: Change | None) -> dict:
        return dict(change.values) if change else {}

    if jobs == 1:
        for change in todo:
            try:
                yield change, measure(values(change), seed, rows, device), None
            except Exception as err:  # noqa: BLE001 (a point that cannot run is a result)
                yield change, None, failed(err)
        return
    # On Ctrl-C, SIGTERM or an error here: drop the queued points, stop those under way.
    with worker_pool(jobs) as pool:
        futures = {pool.submit(measure, values(c), seed, rows, device): c for c in todo}
        for future in pool.as_completed(futures):
            try:
                measured = future.result()
            except BrokenProcessPool:
                raise  # a worker died: the pool ends the command in one line, not every point
            except Exception as err:  # noqa: BLE001
                yield futures[future], None, failed(err)
            else:
                yield futures[future], measured, None


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


def _judged(row: str) -> dict[str, Band]:
    """The bounded bands that decide the row's verdict on a seed, as :func:`_passes` judges:
    its claimed ones, or in a row that claims nothing, its published ones. (An unbounded band
    fails a seed only on a non-finite value, which :func:`flips` reports.)"""
    bands = CHECKS[row].bands
    claims = any(b.claims for b in bands.values())
    return {
        name: band
        for name, band in bands.items()
        if (band.claims if claims else band.low is not None or band.high is not None)
    }


def _distances(band: Band, value: float) -> list[float]:
    """How far ``value`` lies inside ``band`` from each of its bounded edges (negative
    beyond it; ``-inf`` for a non-finite value)."""
    below = [] if band.low is None else [value - band.low]
    above = [] if band.high is None else [band.high - value]
    if not math.isfinite(value):
        return [-math.inf] * len(below + above)
    return below + above


def margin_left(default: Mapping, measures: Mapping) -> tuple[str, float]:
    """The judged measure (``"row: name"``) that came nearest to an edge of its band, and
    what is left of its default distance to that edge (a fraction: 1 where it did not move,
    above 1 where it moved away, negative once beyond it). Edges the default value sits on
    (or beyond) have no distance to share and are left out; ``("", inf)`` when no edge is
    left."""
    best, left = "", math.inf
    for row, values in measures.items():
        for name, band in _judged(row).items():
            before = _distances(band, default[row][name])
            after = _distances(band, values[name])
            for b, a in zip(before, after, strict=True):
                if b > 0 and a / b < left:
                    best, left = f"{row}: {name}", a / b
    return best, left


def largest_change(default: Mapping, measures: Mapping) -> tuple[str, float]:
    """The judged measure (``"row: name"``, one with a band that decides its row's verdict)
    that moved most, relative to its default value (absolute where the default is zero, as
    for a comparison that did not hold), and by how much (a fraction; ``inf`` when a measure
    became non-finite). Measures only reported are left out (their defaults can be near zero,
    which makes any relative change large), as are those whose default is not finite;
    ``("", 0.0)`` when nothing moved."""
    best, size = "", 0.0
    for row, values in measures.items():
        for name in _judged(row):
            value, base = values[name], default[row][name]
            if not math.isfinite(base):
                continue
            if not math.isfinite(value):
                change = math.inf
            else:
                change = abs(value - base) / (abs(base) if base else 1.0)
            if change > size:
                best, size = f"{row}: {name}", change
    return best, size


def _measured_points(data: Mapping) -> dict[str, dict]:
    return {k: p for k, p in data["points"].items() if p["measures"] and not p["error"]}


def coverage(data: Mapping) -> str:
    """How many points were measured, of how many planned, and how many failed: a results
    file of a killed or failed job says so."""
    measured = len(_measured_points(data))
    failed = sum(1 for p in data["points"].values() if p["error"])
    planned = len(data.get("planned") or data["points"])
    text = f"{measured} of {planned} planned points measured"
    if failed:
        text += f", {failed} did not run"
    if missing := planned - measured - failed:
        text += f", {missing} not run yet (the same command resumes)"
    return text


def commits(data: Mapping) -> dict[str, int]:
    """Commit -> how many measured points ran at it (the default point's commit first)."""
    found: dict[str, int] = {data.get("default_commit") or data["meta"].get("commit", "?"): 0}
    for point in _measured_points(data).values():
        commit = point.get("commit") or "?"
        found[commit] = found.get(commit, 0) + 1
    return found


def table_lines(data: Mapping) -> list[str]:
    """The sensitivity table as text: per point, the rows that flip, the judged measure that
    moved most and the one left nearest its band's edge; then per row the points that flip
    it."""
    default = data["default"]
    lines = [
        f"one-at-a-time sensitivity, seed {data['settings']['seed']}, rows "
        f"{', '.join(data['settings']['rows'])}; {coverage(data)}; the default point passes: "
        + (", ".join(r for r in default if _passes(r, default[r])) or "none")
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
        moved = f"largest change {size:.0%} ({name})" if name else "no judged measure moved"
        nearest, left = margin_left(default, measures)
        edge = (
            f"; nearest its band's edge: {nearest}, {left:.0%} of its margin left"
            if left < 1
            else ""
        )
        lines.append(
            f"{key} ({members} value{'s' if members > 1 else ''}{clipped}): {what}; {moved}{edge}"
        )
    n = len(_measured_points(data))
    nearest = nearest_by_row(data)
    for row, keys in flips_by_row(data).items():
        lines.append(
            f"{row} flips under {len(keys)} of {n} measured points: {', '.join(keys) or '-'}; "
            + _nearest_text(row, default[row], nearest.get(row))
        )
    return lines


def nearest_by_row(data: Mapping) -> dict[str, tuple[str, str, float]]:
    """Row -> the measured point that left the least of a judged measure's default margin
    without flipping the row: ``(point, measure, fraction left)``, as :func:`margin_left`;
    rows that no point moved toward a band's edge, and rows that fail at the default point,
    are left out."""
    found: dict[str, tuple[str, str, float]] = {}
    default = data["default"]
    for key, point in _measured_points(data).items():
        flipped = {f.row for f in flips(default, point["measures"])}
        for row, values in point["measures"].items():
            if row in flipped or not _passes(row, default[row]):
                continue
            name, left = margin_left(default, {row: values})
            if left < min(1.0, found.get(row, ("", "", 1.0))[2]):
                found[row] = (key, name.split(": ", 1)[1], left)
    return found


def _nearest_text(row: str, default: Mapping[str, float], nearest: tuple | None) -> str:
    """How near the measured points came to flipping ``row`` (``nearest``: from
    :func:`nearest_by_row`), given its values at the default point."""
    if not _passes(row, default):
        if not any(b.claims for b in CHECKS[row].bands.values()):
            return (
                "a listed limitation, out of its published band at the default point (a flip "
                "would reproduce it)"
            )
        return "fails at the default point (a flip is a pass)"
    if not margin_left({row: default}, {row: default})[0]:  # no edge with a distance to lose
        return "its judged measures have no margin (comparisons that hold, or values on an edge)"
    if nearest is None:
        return "no point moved a judged measure toward its band's edge"
    key, name, left = nearest
    return f"nearest to flipping: {key} ({name}, {left:.0%} of its margin left)"


def flips_by_row(data: Mapping) -> dict[str, list[str]]:
    """Row -> the measured points that flip it."""
    found: dict[str, list[str]] = {row: [] for row in data["settings"]["rows"]}
    for key, point in _measured_points(data).items():
        for flip in flips(data["default"], point["measures"]):
            found[flip.row].append(key)
    return found


def load(out: Path) -> dict | None:
    """The sensitivity results in ``out`` (``None`` when there are none, or not even the
    default point's).

    Raises
    ------
    ScenarioError
        As :func:`read`.
    """
    path = out / FILE
    if not path.exists():
        return None
    data = read(path)
    return data if data.get("default") else None


def load_all(out: Path) -> list[dict]:
    """Every set of sensitivity results for a report in ``out``: its own (``out/sensitivity.json``,
    the static circuit's rows by default) first, then those of its subfolders (for example
    ``out/treatments``: other rows, which need other runs), by folder name.

    Raises
    ------
    ScenarioError
        As :func:`read`.
    """
    folders = [out, *sorted(p for p in out.iterdir() if p.is_dir())] if out.is_dir() else []
    return [data for folder in folders if (data := load(folder))]


def table_html(data: Mapping, report_commit: str | None = None) -> str:
    """The sensitivity table as an HTML section (for the validation report); a warning when
    its points ran at another commit than ``report_commit``."""
    import html

    e = html.escape
    settings, default = data["settings"], data["default"]
    rows = settings["rows"]
    by_row = flips_by_row(data)
    nearest = nearest_by_row(data)
    n = len(_measured_points(data))
    made = commits(data)
    made_text = ", ".join(f"{c} ({k} points)" if k else c for c, k in made.items())
    labels = sorted({p["label"] for p in data["points"].values()})
    parts = [
        f"<h2>Sensitivity of {e(', '.join(rows))}: chosen parameters changed one at a time "
        f"({e(', '.join(labels))})</h2>",
        f"<p>{e(coverage(data))}, on seed {settings['seed']} (the same seed for every point, so "
        "a difference is the parameter's, not noise's; the seed spread above says how large "
        "noise is). A family is the same quantity in every population, projection or region, "
        "changed together; a member's own path is a point for it alone; members whose default "
        "is zero are not changed; potentials are shifted by millivolts, not scaled. A cell "
        "names the row's verdict on this seed when it differs from the default point's (hover "
        "for the values). The last columns are the judged measure (one whose band decides its "
        "row's verdict) that moved most, relative to its default value, and the one left "
        "nearest an edge of its band, with the part of its default distance to that edge that "
        "is left (0%: on the edge; below 0: beyond it; '-': no judged measure moved toward an "
        "edge). Made by "
        f"<code>depnet sensitivity</code> at commit {e(made_text)}.</p>",
    ]
    if report_commit and set(made) != {report_commit}:
        parts.append(
            f"<p class='fail'>These points ran at commit {e(made_text)}, not this report's "
            f"{e(report_commit)}: check with <code>git diff</code> that the model did not change "
            "between them.</p>"
        )
    parts.append("<ul>")
    for row in rows:
        keys = by_row[row]
        text = ", ".join(keys) if keys else f"none of the {n} measured points"
        near = _nearest_text(row, default[row], nearest.get(row))
        parts.append(f"<li><b>{e(row)}</b> flips under: {e(text)}; {e(near)}</li>")
    parts.append("</ul><table><tr><th>point</th><th>values</th>")
    parts += [f"<th>{e(r)}</th>" for r in rows]
    parts.append("<th>largest change</th><th>nearest its band's edge</th></tr>")
    for key, point in data["points"].items():
        values = "; ".join(f"{k} = {v}" for k, v in point["values"].items())
        cells = [f"<td>{e(key)}</td><td title='{e(values)}'>{len(point['values'])}</td>"]
        if point["error"] or not point["measures"]:
            cells.append(f"<td colspan={len(rows) + 2}>did not run: {e(str(point['error']))}</td>")
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
            nearest, left = margin_left(default, point["measures"])
            edge = f"{left:.0%} <small>{e(nearest)}</small>" if left < 1 else "-"
            cells.append(f"<td>{moved}</td><td>{edge}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</table>")
    return "\n".join(parts)
