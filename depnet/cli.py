"""The ``depnet`` command: run, validate, info, report, compare, params, sweep, status, collect.

Problems the user can fix are printed as one line, ``depnet: error: ...``, with exit status 2 for
bad input (scenario, store, arguments) and 1 for failures while building or running.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from depnet.errors import DepnetError, DeviceError, ScenarioError, StoreError

if TYPE_CHECKING:
    from depnet.spec import Scenario


def _setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:  # a TOML value (number, boolean, quoted string, list) ...
        parsed = tomllib.loads(f"x = {value}")["x"]
    except tomllib.TOMLDecodeError:  # ... or a bare string such as 5 s
        parsed = value.strip()
    return key.strip(), parsed


def _seconds(text: str) -> float:
    """A time option (``"9 s"``, ``"500 ms"``) in seconds, at least 0."""
    from brian2 import second

    from depnet.quantities import QuantityError, parse_time

    try:
        seconds = float(parse_time(text) / second)
    except QuantityError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"a time before the run's start: {text!r}")
    return seconds


COMPARE_MEASURES = """\
outcome measures (rows; rates and [5-HT] are time means over the window: by default
after each run's warmup, else --start to --stop):
  raphe 5-HT rate, <pop> (Hz)   the raphe's serotonergic cells (populations of kind 5ht)
  <region> principal-cell rate  mean over the region's excitatory cells (kinds exc, granule)
  <region> interneuron rate     mean over its interneurons (kinds inh, gaba)
  <region> [5-HT] (nM)          extracellular serotonin (FSCAV frame)
  <region> synapse density      present / potential synapses at the window's end (the last
                                sample at or before it; the grey-matter proxy); '-' without
                                structural plasticity there
  ... density change vs FIRST   relative to the first condition (%)
  DMN index                     mean functional connectivity (Pearson r) among the DMN's
                                excitatory populations (pcc, mpfc). CONTESTED in depression
                                (VALIDATION C6: hyper- vs slightly reduced connectivity):
                                reported only, no direction asserted or coloured
  PAS response (%)              change of the probed projection's mean weight over a paired-
                                associative-stimulation block (scenario intervention of kind
                                pas): sample nearest its start -> sample nearest its stop;
                                'no PAS block' when the run has none; the window does
                                not apply
Scenario files are validated before anything runs; runs go to --runs, one new store each
unless --reuse finds one of the same scenario and device."""


ENVIRONMENT = """\
environment:
  DEPNET_BUILD_ROOT        builds and network data (default ~/.cache/depnet/build)
  DEPNET_DATA_CACHE_GB     size of its network-data cache; least recently used entries go
                           beyond it (default 5; inf: no limit)
  DEPNET_MEMORY_LIMIT      host memory a run may use (default: this machine's or the job's;
                           off: no check), e.g. 23GiB
  DEPNET_GPU_MEMORY_LIMIT  GPU memory a cuda run may use (default: the GPU's)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="depnet",
        description="Spiking network model of the circuits implicated in major depression.",
        epilog=ENVIRONMENT, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="simulate a scenario and write its zarr store",
        description="Simulate scenarios and write a zarr store for each. Several scenario "
        "files run one after another in one process: every file is checked before the first "
        "runs, Brian2 is loaded once, and scenarios that share a network share its build.",
    )  # fmt: skip
    run.add_argument(
        "scenarios", type=Path, nargs="+", metavar="scenario", help="scenario file (TOML)"
    )
    run.add_argument(
        "--device", choices=["runtime", "cpp", "cuda", "auto"],
        help="target (default: the scenario's; auto = cuda where a GPU answers, else cpp)",
    )  # fmt: skip
    run.add_argument(
        "--out", type=Path,
        help="store path (default runs/<name>-<device>-<time>.zarr); one scenario only",
    )  # fmt: skip
    run.add_argument("--overwrite", action="store_true", help="replace an existing store")
    run.add_argument(
        "--set", dest="settings", action="append", default=[], type=_setting, metavar="KEY=VALUE",
        help="override a scenario key, e.g. scenario.duration='5 s' or "
        "parameters.serotonin.ssri_occupancy=0.8 (repeatable)",
    )  # fmt: skip
    run.add_argument(
        "--compile-only", action="store_true",
        help="build the standalone project and binary without running it (cpp, cuda)",
    )  # fmt: skip
    run.add_argument(
        "--segment", type=str, metavar="TIME",
        help="cut the run into segments this long, e.g. '2 s' (default: the scenario's "
        "scenario.segment, else 60 s); a killed run resumes from its last complete segment",
    )  # fmt: skip
    run.add_argument(
        "--restart", action="store_true",
        help="discard the completed segments of an unfinished run of this scenario instead of "
        "resuming it (running the same command again resumes)",
    )  # fmt: skip
    run.add_argument("--threads", type=int, default=0, help="OpenMP threads for cpp (0: none)")
    run.add_argument(
        "--compute-capability", type=float,
        help="CUDA compute capability to build for (default: detected, else 9.0)",
    )  # fmt: skip
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+")

    info = sub.add_parser("info", help="print a summary of a stored run")
    info.add_argument("store", type=Path)

    validation = sub.add_parser(
        "validation",
        help="check VALIDATION rows over seeds and write an HTML report (calibration or "
        "held-out, mean +- s.d., share of seeds in band)",
        description="Runs what the rows need for each seed (on cpp: one build of the static\n"
        "circuit, ~25 s of runs per seed for its rows; one of the circuit with learning, ~5 min\n"
        "of runs per seed for the treatment rows), measures every row, and writes\n"
        "validation.html and validation.json (with a table of `depnet sensitivity`'s results in\n"
        "OUT and in each of OUT's subfolders). A row passes when every measure's mean is in its\n"
        "band and at least 4 of 5 seeds (80%) are; a row that claims no band is a listed\n"
        "limitation (its published band shown, neither pass nor fail). Exit status 1 when a row\n"
        "fails.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validation.add_argument(
        "--seeds", type=int, default=5, help="number of seeds, 1..N (default: 5)"
    )
    validation.add_argument(
        "--rows", nargs="+", metavar="ROW", help="rows to check (default: all that have a check)"
    )
    validation.add_argument(
        "--out", type=Path, default=Path("validation"), help="report folder (default: validation)"
    )
    validation.add_argument("--device", default="cpp", choices=("cpp", "cuda"))
    validation.add_argument(
        "--jobs", type=int, default=1, help="seeds run at once, one process each (default: 1)"
    )
    validation.add_argument(
        "--report-only", action="store_true",
        help="rewrite the HTML page from OUT's validation.json (and the sensitivity results) "
        "without running anything",
    )  # fmt: skip

    sensitivity = sub.add_parser(
        "sensitivity",
        help="one-at-a-time +-20%% sensitivity of the checked rows to the chosen parameters",
        description="Changes each family of chosen parameters (the same quantity in every\n"
        "population, projection or region; --each: every parameter on its own) by -STEP and\n"
        "+STEP from the value the rows' scenario gives it, the rest unchanged, runs what the\n"
        "rows need on one seed, and lists the rows whose pass or fail changes, the judged\n"
        "measure that moved most and how near each row came to flipping. Results go to\n"
        "OUT/sensitivity.json after every point; the same command again resumes. `depnet\n"
        "validation --out DIR` adds the table to its report when OUT is DIR or a subfolder of\n"
        "it (rows of other runs: --out DIR/treatments). 80 points (families) or 561 (--each),\n"
        "~23 s each on one core for the default rows; the treatment rows take minutes a point.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sensitivity.add_argument(
        "--step", type=float, default=0.2, help="relative change (default: 0.2, i.e. +-20%%)"
    )
    sensitivity.add_argument("--seed", type=int, default=1, help="the seed (default: 1)")
    sensitivity.add_argument(
        "--only", nargs="+", metavar="PREFIX", default=(),
        help="only families or parameters starting with these (e.g. serotonin. '*.g_girk')",
    )  # fmt: skip
    sensitivity.add_argument(
        "--each", action="store_true", help="every parameter on its own, not by family"
    )
    sensitivity.add_argument(
        "--rows", nargs="+", metavar="ROW",
        help="rows to check (default: the static circuit's: frame R1 C1 C4 R2 R6 R3 R4)",
    )  # fmt: skip
    sensitivity.add_argument(
        "--jobs", type=int, default=1, help="points run at once, one process each (default: 1)"
    )
    sensitivity.add_argument(
        "--out", type=Path, default=Path("validation"), help="results folder (default: validation)"
    )
    sensitivity.add_argument("--device", default="cpp", choices=("cpp", "cuda"))
    sensitivity.add_argument(
        "--list", action="store_true", help="print the points and their values; run nothing"
    )

    report = sub.add_parser(
        "report", help="write an HTML report (figures and tables) of a run store or a sweep folder"
    )
    report.add_argument("store", type=Path, help="run store, or a folder of run stores (sweep)")
    report.add_argument(
        "--out", type=Path, default=Path("."), help="folder for <name>-report.html (default: .)"
    )

    compare = sub.add_parser(
        "compare", help="outcome measures of runs or scenarios side by side (table and figure)",
        description="Compare conditions. Each RUN is a run store (a .zarr folder written by\n"
        "`depnet run`) or a scenario file (.toml), which is run first. Prints one column per\n"
        "condition (named by the run's scenario) and one row per outcome measure, and writes\n"
        "a figure (PNG) and, with --table, the table as CSV.",
        epilog=COMPARE_MEASURES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    compare.add_argument(
        "inputs", type=Path, nargs="+", metavar="RUN", help="run store (.zarr) or scenario (.toml)"
    )
    compare.add_argument(
        "--runs", dest="runs_dir", type=Path, default=Path("runs"), metavar="DIR",
        help="folder for the stores of scenario files, <name>-<device>-<time>.zarr (default runs)",
    )  # fmt: skip
    compare.add_argument(
        "--reuse", action="store_true",
        help="compare the newest complete store in --runs of the same scenario (content and "
        "device) instead of running a scenario file again",
    )  # fmt: skip
    compare.add_argument(
        "--device", choices=["runtime", "cpp", "cuda", "auto"],
        help="target for scenario files (default: each scenario's own)",
    )  # fmt: skip
    compare.add_argument(
        "--figure", type=Path, default=Path("compare.png"), metavar="PATH",
        help="figure of the table, PNG (default compare.png)",
    )  # fmt: skip
    compare.add_argument("--table", type=Path, metavar="PATH", help="also write the table as CSV")
    compare.add_argument(
        "--start", type=_seconds, metavar="TIME",
        help="start of the window of every measure, e.g. '9 s' (default: each run's warmup)",
    )  # fmt: skip
    compare.add_argument(
        "--stop", type=_seconds, metavar="TIME",
        help="end of the window, e.g. '12 s' (default: each run's end)",
    )  # fmt: skip

    params = sub.add_parser(
        "params",
        help="list model parameters with units and sources (the circuit's, the learning rules' "
        "as plasticity.<projection>. and plasticity.<population>., the interventions' and "
        "traits'), and which VALIDATION rows each was sized for (calibrations)",
    )
    params.add_argument("prefix", nargs="?", default="", help="only paths starting with this")
    params.add_argument(
        "--rows",
        action="store_true",
        help="list the VALIDATION rows instead: each one's status, whether it is a calibration "
        "or held-out, and what was sized for it",
    )

    kinds = sub.add_parser(
        "interventions", help="list intervention kinds and traits with their settings and sources"
    )
    kinds.add_argument("kind", nargs="?", default="", help="only kinds starting with this")

    sweep = sub.add_parser(
        "sweep", help="submit a parameter sweep (Slurm job arrays, or locally), one store a point"
    )
    sweep.add_argument("sweep", type=Path, help="sweep file (TOML)")
    sweep.add_argument(
        "--executor", choices=["slurm", "local"], default="slurm",
        help="slurm: sbatch a build job and a job array per structure group; "
        "local: run the same tasks here, as many at once as the CPUs hold at cpus_per_task "
        "each (at most array_throttle)",
    )  # fmt: skip
    sweep.add_argument("--out", type=Path, help="sweep folder (default: the sweep file's out)")
    sweep.add_argument(
        "--dry-run", action="store_true",
        help="print the plan (points, groups, jobs, batch scripts); submit nothing",
    )  # fmt: skip

    status = sub.add_parser("status", help="done / running / pending / failed points of a sweep")
    status.add_argument("sweep", type=Path, help="sweep folder or sweep file")

    collect = sub.add_parser("collect", help="one zarr dataset from a sweep's stores")
    collect.add_argument("sweep", type=Path, help="sweep folder or sweep file")
    collect.add_argument("--out", type=Path, help="dataset path (default <sweep>/collected.zarr)")
    return parser


def _run(args: argparse.Namespace) -> int:
    from depnet.spec import load_scenario

    if args.threads < 0:
        raise ScenarioError(f"--threads must be >= 0, got {args.threads}")
    if args.out is not None and len(args.scenarios) > 1:
        raise ScenarioError(
            f"--out names one store, and {len(args.scenarios)} scenarios were given; "
            "without --out each goes to runs/<name>-<device>-<time>.zarr"
        )
    settings = dict(args.settings)
    if args.segment is not None:
        settings["scenario.segment"] = args.segment
    specs = [load_scenario(path, settings) for path in args.scenarios]  # all, before any runs
    names = [spec.name for spec in specs]
    if twice := sorted({name for name in names if names.count(name) > 1}):
        raise ScenarioError(f"scenario {twice[0]!r} given twice (its stores would collide)")
    for spec in specs:
        _run_one(spec, args)  # one scenario's data in memory at a time
    return 0


def _run_one(spec: Scenario, args: argparse.Namespace) -> None:
    """Run one scenario of ``depnet run`` and print its store and summary."""
    from depnet.analysis import open_run, summarize
    from depnet.run import run_scenario
    from depnet.store import build_tree, read_attrs

    result = run_scenario(
        spec, device=args.device, out=args.out, overwrite=args.overwrite,
        compile_only=args.compile_only, threads=args.threads,
        compute_capability=args.compute_capability, progress=not args.quiet,
        restart=args.restart,
    )  # fmt: skip
    if args.compile_only:
        from depnet.devices import binary_path

        print(
            f"built {result.target} project in {result.build_dir} ({result.timings.build_s:.1f} s)"
        )
        print(f"binary: {binary_path(result.build_dir)}")
        return
    print(f"store: {result.store}")
    if result.data is None:  # another process completed this store while this one waited
        tree = open_run(result.store)
    else:  # the data just written, with the store's attributes: open_run's tree, not re-read
        tree = build_tree(result.data, read_attrs(result.store))
    print(summarize(tree), flush=True)


def _validate(args: argparse.Namespace) -> int:
    from depnet.quantities import format_quantity
    from depnet.spec import load_scenario

    for path in args.scenarios:
        spec = load_scenario(path)
        duration = format_quantity(spec.scenario.duration)
        print(f"{path}: ok ({spec.name}, {duration} on {spec.scenario.device})")
    return 0


def _info(args: argparse.Namespace) -> int:
    from depnet.analysis import open_run, summarize

    tree = open_run(args.store)
    print(f"store: {args.store} (git {tree.attrs.get('git_commit')}, {tree.attrs.get('created')})")
    print(summarize(tree))
    return 0


def _report(args: argparse.Namespace) -> int:
    from depnet.analysis.report import write_report

    print(f"report: {write_report(args.store, args.out)}")
    return 0


def _compare_inputs(args: argparse.Namespace) -> list[tuple[Path, Scenario | None]]:
    """Each argument as (path, spec) for a scenario file or (path, None) for a run store.

    Everything is checked before anything runs, the window against every run too: a bad third
    argument should not surface after two long runs.
    """
    from brian2 import second

    from depnet.analysis import open_run
    from depnet.spec import load_scenario
    from depnet.store import is_store

    if args.start is not None and args.stop is not None and not args.stop > args.start:
        raise ScenarioError(f"--stop {args.stop:g} s is not after --start {args.start:g} s")
    inputs = []
    for path in args.inputs:
        if not path.exists():
            raise StoreError(f"{path}: no such run store or scenario file")
        if path.is_dir() and is_store(path):
            attrs = open_run(path).attrs  # refuses an incomplete store
            inputs.append((path, None))
            _check_window(path, float(attrs["duration_s"]), float(attrs.get("warmup_s", 0.0)), args)
        elif path.is_file() and path.suffix == ".toml":
            spec = load_scenario(path)
            inputs.append((path, spec))
            times = spec.scenario.duration / second, spec.scenario.warmup / second
            _check_window(path, *map(float, times), args)
        else:
            raise StoreError(
                f"{path}: neither a run store (a .zarr folder written by `depnet run`) nor a "
                "scenario file (.toml)"
            )
    return inputs


def _check_window(path: Path, duration: float, warmup: float, args: argparse.Namespace) -> None:
    """Refuse a window (--start, --stop; s) that is empty or outside a run of ``duration`` s."""
    if args.stop is not None and args.stop > duration * (1 + 1e-9):
        raise ScenarioError(
            f"{path}: --stop {args.stop:g} s is after the run's end ({duration:g} s)"
        )
    if args.start is not None and args.stop is None and not duration > args.start:
        raise ScenarioError(
            f"{path}: --start {args.start:g} s is not before the run's end ({duration:g} s)"
        )
    if args.start is None and args.stop is not None and not args.stop > warmup:
        raise ScenarioError(
            f"{path}: --stop {args.stop:g} s is not after the run's warmup ({warmup:g} s); "
            "give --start too"
        )


def _same_scenario(store: Path, spec: Scenario, target: str) -> bool:
    """Whether a complete store holds a run of this scenario (same content) on this target."""
    import json

    from depnet.store import COMPLETE, read_attrs

    try:
        attrs = read_attrs(store)
    except DepnetError:
        return False
    same = json.dumps(attrs.get("scenario"), sort_keys=True) == spec.to_json()
    return attrs.get("status") == COMPLETE and attrs.get("device") == target and same


def _scenario_store(path: Path, spec: Scenario, args: argparse.Namespace, step: str) -> Path:
    """The store of a scenario file: one reused (--reuse) or a new run written under --runs."""
    import datetime as dt

    from depnet.devices import resolve_target
    from depnet.run import run_scenario

    target = resolve_target(args.device or spec.scenario.device)
    found = sorted(
        (p for p in args.runs_dir.glob("*.zarr") if _same_scenario(p, spec, target)),
        key=lambda p: p.stat().st_mtime,
    )  # fmt: skip
    if found and args.reuse:
        print(f"{step} {path}: reusing {found[-1]}", file=sys.stderr, flush=True)
        return found[-1]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out, k = args.runs_dir / f"{spec.name}-{target}-{stamp}.zarr", 1
    while out.exists():  # two runs of one scenario within a second
        k += 1
        out = args.runs_dir / f"{spec.name}-{target}-{stamp}-{k}.zarr"
    hint = f" (--reuse would compare {found[-1]})" if found else ""
    print(f"{step} {path}: running {spec.name} on {target} -> {out}{hint}", file=sys.stderr,
          flush=True)  # fmt: skip
    try:
        result = run_scenario(spec, device=args.device, out=out)
    except DepnetError as err:
        raise type(err)(f"{path}: run failed: {err}") from err
    except Exception as err:  # a Brian2 or compiler error: its root cause, on one line
        cause = err
        while cause.__cause__ is not None:
            cause = cause.__cause__
        first = (str(cause).strip().splitlines() or [""])[0]
        raise DeviceError(f"{path}: run failed: {type(cause).__name__}: {first}") from err
    timings = result.timings
    print(f"{step} {path}: wrote {out} (build {timings.build_s:.1f} s, run {timings.run_s:.1f} s)",
          file=sys.stderr, flush=True)  # fmt: skip
    return out


def _compare(args: argparse.Namespace) -> int:
    from depnet.analysis import open_run
    from depnet.analysis.figures import outcome_figure
    from depnet.analysis.outcomes import format_outcomes, outcome_table, unique_names, write_csv

    inputs = _compare_inputs(args)
    stores: list[Path] = []
    ran: dict[str, Path] = {}  # a scenario given twice runs once
    for k, (path, spec) in enumerate(inputs, start=1):
        if spec is None:
            stores.append(path)
            continue
        if spec.to_json() not in ran:
            ran[spec.to_json()] = _scenario_store(path, spec, args, f"[{k}/{len(inputs)}]")
        stores.append(ran[spec.to_json()])
    trees = [open_run(store) for store in stores]
    names = unique_names(
        [str(t.attrs.get("scenario", {}).get("scenario", {}).get("name", s.stem))
         for t, s in zip(trees, stores, strict=True)]
    )  # fmt: skip
    print(f"summarising {len(trees)} run(s) ...", file=sys.stderr, flush=True)
    outcomes = outcome_table(dict(zip(names, trees, strict=True)), args.start, args.stop)
    print(format_outcomes(outcomes))
    for name, store in zip(names, stores, strict=True):
        print(f"{name}: {store}")
    _write(args.figure, outcome_figure(outcomes).savefig)
    print(f"figure: {args.figure}")
    if args.table is not None:
        _write(args.table, lambda path: write_csv(outcomes, path))
        print(f"table: {args.table}")
    return 0


def _write(path: Path, write: Callable[[Path], object]) -> None:
    """Write an output file, its folder made if missing; a refusal is one line (exit status 2)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as err:
        raise StoreError(f"{path}: cannot write: {err.strerror or err}") from None


def _calibrated(p) -> str:
    """The tag ``depnet params`` and ``depnet interventions`` put after a calibrated value."""
    return f"    [calibration of {', '.join(p.calibrated_to)}]" if p.calibrated_to else ""


def _params(args: argparse.Namespace) -> int:
    from depnet.quantities import setting_line
    from depnet.scenarios.calibration import all_parameters

    if args.rows:
        return _rows(args.prefix)
    for path, p in all_parameters():
        if path.startswith(args.prefix):
            print(setting_line(path, p.value, p.source + _calibrated(p)))
    return 0


def _rows(prefix: str) -> int:
    from depnet.observations import OBSERVATIONS
    from depnet.scenarios.calibration import calibrations, label, summarize

    sized = calibrations()
    for row in OBSERVATIONS.values():
        if not row.id.startswith(prefix):
            continue
        print(f"{row.id}: {row.observation}")
        print(f"    band: {row.band}  ({row.source})")
        print(f"    {row.status}: {row.checked_in}")
        what = f": sized for it: {summarize(sized[row.id])}" if sized[row.id] else ""
        print(f"    {label(row.id, sized[row.id])}{what}")
    return 0


def _validation(args: argparse.Namespace) -> int:
    from depnet.errors import ScenarioError
    from depnet.validation import (
        provenance,
        read_results,
        run_validation,
        text_table,
        write_report,
    )

    if args.report_only:
        meta, results = read_results(args.out / "validation.json")
        page, table = write_report(results, args.out, meta, data_too=False)
        print(text_table(results))
        print(f"report: {page} (data: {table})")
        return 1 if any(r.failed for r in results) else 0
    if args.seeds < 1:
        raise ScenarioError(f"--seeds must be at least 1, got {args.seeds}")
    if args.out.is_dir():  # the page will include OUT's sensitivity tables: refuse them before runs
        from depnet.sensitivity import load_all

        load_all(args.out)
    seeds = list(range(1, args.seeds + 1))
    results = run_validation(
        args.rows, seeds, args.device, log=lambda line: print(line, flush=True), jobs=args.jobs
    )
    page, table = write_report(results, args.out, provenance(seeds, args.device, args.rows))
    print(text_table(results))
    print(f"report: {page} (data: {table})")
    return 1 if any(r.failed for r in results) else 0


def _sensitivity(args: argparse.Namespace) -> int:
    from depnet.sensitivity import (
        DEFAULT_ROWS,
        FILE,
        changes,
        coverage,
        run_sensitivity,
        table_lines,
    )
    from depnet.validation import require_checks

    require_checks(list(args.rows or ()))
    points = changes(args.step, args.only, args.each, rows=args.rows or DEFAULT_ROWS)
    if args.list:
        for c in points:
            clipped = f"  (clipped to range: {', '.join(c.clipped)})" if c.clipped else ""
            values = ", ".join(f"{k} = {v}" for k, v in c.values.items())
            print(f"{c.key}: {values}{clipped}")
        return 0
    data = run_sensitivity(
        args.out, points, args.seed, args.rows, args.jobs, args.device,
        log=lambda line: print(line, flush=True),
    )  # fmt: skip
    text = "\n".join(table_lines(data)) + "\n"
    (args.out / "sensitivity.txt").write_text(text)
    print(text, end="")
    print(f"results: {args.out / FILE} (table: {args.out / 'sensitivity.txt'})")
    incomplete = any(data["points"].get(c.key, {}).get("error", True) for c in points)
    if incomplete:
        print(f"depnet: {coverage(data)}", file=sys.stderr)
    return 1 if incomplete else 0


def _interventions(args: argparse.Namespace) -> int:
    from depnet.quantities import setting_line
    from depnet.scenarios.interventions import KINDS, TRAITS

    for table, title in ((KINDS, "[[interventions]] kind"), (TRAITS, "[traits]")):
        for name, kind in table.items():
            if not name.startswith(args.kind):
                continue
            print(f"{title} = {name}: {kind.summary}")
            for key, options in kind.choices.items():
                print(f"    {key} = {' | '.join(options)}")
            for key, p in kind.parameters.items():
                print("    " + setting_line(key, p.value, p.source + _calibrated(p)))
            for line in kind.notes:
                print(f"    {line}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from depnet.cluster.submit import describe, submit

    result = submit(args.sweep, executor=args.executor, out=args.out, dry_run=args.dry_run)
    print(describe(result))
    if args.dry_run:
        for name, text in result.scripts.items():
            print(f"\n# --- {name} ---\n{text}", end="")
        return 0
    failed = sum(status != 0 for job in result.jobs for status in job.get("exit_statuses", ()))
    if failed:  # local executor: the points ran here
        print(f"{failed} point(s) failed; `depnet status {result.plan.out}` lists them")
        return 1
    return 0


def _status(args: argparse.Namespace) -> int:
    from depnet.cluster.submit import open_plan, status_table

    print(status_table(open_plan(args.sweep)))
    return 0


def _collect(args: argparse.Namespace) -> int:
    from depnet.cluster.collect import collect_to
    from depnet.cluster.submit import open_plan

    dataset, path = collect_to(open_plan(args.sweep), args.out)
    print(f"dataset: {path} ({dataset.attrs['n_done']} of {dataset.attrs['n_points']} points)")
    print(dataset)
    return 0


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Brian2 installs an excepthook that asks users to file a Brian2 bug for any error.
    sys.excepthook = sys.__excepthook__
    # Brian2's INFO messages (preferences, code generation) are noise on a user's console.
    from brian2.utils.logger import BrianLogger

    BrianLogger.log_level_warn()
    # A scheduler's SIGTERM (scancel, preemption) unwinds like Ctrl-C: partial stores are removed.
    signal.signal(signal.SIGTERM, _terminated)
    handler = {
        "run": _run, "validate": _validate, "info": _info, "params": _params, "report": _report
    }  # fmt: skip
    handler |= {"compare": _compare, "interventions": _interventions, "validation": _validation}
    handler |= {"sweep": _sweep, "status": _status, "collect": _collect}
    handler |= {"sensitivity": _sensitivity}
    try:
        return handler[args.command](args)
    except DepnetError as err:
        print(f"depnet: error: {err}", file=sys.stderr)
        return err.exit_status
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except KeyboardInterrupt:
        # The interrupted run's store is not written; a standalone run keeps its completed
        # segments in <store>.work. Stores already printed (depnet run of several) are complete.
        print(
            "depnet: interrupted; the running scenario's store was not written (the same "
            "command resumes a standalone run from its last complete segment)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
