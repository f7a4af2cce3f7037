"""The runner: scenario spec -> network -> device -> store."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
from tqdm import tqdm

from depnet import devices
from depnet.circuits.build import Circuit, build_circuit
from depnet.circuits.parameters import DEFAULT_PARAMETERS
from depnet.quantities import format_quantity
from depnet.recording import Monitors, RunData, attach_monitors, collect
from depnet.scenarios.schedule import Epoch, epochs
from depnet.spec import Scenario
from depnet.store import check_writable, write_run


@dataclass
class RunResult:
    """What a run produced: the store (None for --compile-only), the build and its timings."""

    target: str
    build_dir: Path | None
    timings: devices.Timings
    store: Path | None = None
    data: RunData | None = None


def build_root() -> Path:
    """Where standalone builds are cached (``$DEPNET_BUILD_ROOT``, else the user cache)."""
    if root := os.environ.get("DEPNET_BUILD_ROOT"):
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "depnet" / "build"


#: ``[scenario]`` keys that a standalone build does not depend on, or only through values that
#: Brian2 writes into a few generated files (the seed and the duration are literals in ``main``).
_RUN_TIME_SCENARIO_KEYS = ("name", "description", "seed", "duration", "warmup", "device")
#: Top-level scenario tables left out of the structure key: parameter values, and interventions
#: (drugs, stimulation, stress), whose strengths and time courses are run-time variables of a
#: network that always contains them (DESIGN.md: an absent intervention is present with zero
#: strength), so that healthy and treated scenarios of one scale share one build.
_RUN_TIME_TABLES = ("parameters", "interventions", "traits")


def structure_key(spec: Scenario, target: str) -> str:
    """A short digest of what a standalone build of ``spec`` for ``target`` depends on.

    Kept: ``scenario.dt``, ``scale`` and ``regions``, the region sizes, ``[plasticity]`` and
    ``[record]`` (monitors are part of the network), the target and the depnet and Brian2
    versions. Left out: the scenario's name, description, seed, duration, warmup and device, its
    ``[parameters]``, ``interventions`` and ``traits``. Scenarios that differ only in
    what is left out map to one build folder; where a left-out value is compiled in all the same
    (a parameter folded into code, the seed), Brian2 rewrites the generated files that changed
    and make recompiles only those.

    Parameters
    ----------
    spec
        A validated scenario.
    target
        ``cpp`` or ``cuda`` (or ``runtime``, which has no build).

    Returns
    -------
    str
        12 hexadecimal digits.
    """
    structure = spec.to_dict()
    for table in _RUN_TIME_TABLES:
        structure.pop(table, None)
    for key in _RUN_TIME_SCENARIO_KEYS:
        structure["scenario"].pop(key, None)
    # sort_keys: tables written in another order in the file are the same structure
    text = json.dumps(structure, sort_keys=True)
    key = f"{text}|{target}|{_version('depnet')}|{b2.__version__}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def default_build_dir(spec: Scenario, target: str) -> Path:
    """The build folder of ``spec`` on ``target``: one per target and :func:`structure_key`.

    Scenarios of one structure (say healthy and SSRI at one scale) share the folder, where a
    change of parameter values, seed or duration recompiles only the files that changed (seconds
    instead of a full build); runs that share it take turns (a lock per folder).
    """
    return build_root() / f"{target}-{structure_key(spec, target)}"


def default_store_path(spec: Scenario, target: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{spec.name}-{target}-{stamp}.zarr"


def build_network(spec: Scenario) -> tuple[Circuit, Monitors, b2.Network, dict, dict]:
    """The scenario's circuit, its monitors and their Network on the active device.

    What :func:`run_scenario` simulates, and what callers that drive the device themselves
    build (:mod:`depnet.cluster` builds once and runs many points).
    Returns ``(circuit, monitors, network, population sizes, parameter values)``.
    """
    b2.defaultclock.dt = spec.scenario.dt
    b2.seed(spec.scenario.seed)
    sizes = spec.population_sizes()
    values = spec.parameter_values()
    circuit = build_circuit(sizes, values, spec.scenario.seed, spec.plasticity_specs())
    monitors = attach_monitors(circuit, spec.record)
    return circuit, monitors, b2.Network(circuit.objects, monitors.objects), sizes, values


def intervention_epochs(
    spec: Scenario, circuit: Circuit, values: dict
) -> tuple[list[Epoch], list[str]]:
    """The scenario's run cut at its interventions' starts and stops (one epoch without any)."""
    items = [*spec.interventions, *spec.traits]
    return epochs(items, circuit, values, spec.scenario.duration, spec.scenario.dt)


@contextlib.contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    """One process at a time per build folder (standalone projects are not shareable)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_scenario(
    spec: Scenario,
    *,
    device: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    compile_only: bool = False,
    build_dir: str | Path | None = None,
    threads: int = 0,
    compute_capability: float | None = None,
    progress: bool = True,
    write: bool = True,
) -> RunResult:
    """Simulate a scenario and write its store.

    Parameters
    ----------
    spec
        A validated scenario (see :func:`depnet.spec.load_scenario`).
    device
        ``runtime``, ``cpp``, ``cuda`` or ``auto``; default: the scenario's own.
    out
        Store path; default ``runs/<name>-<device>-<timestamp>.zarr``.
    compile_only
        Build the standalone project (and its binary) without running it.
    write
        Whether to write a store (``False`` keeps the data in memory only, for tests).
    """
    target = devices.resolve_target(device or spec.scenario.device)
    store = Path(out) if out is not None else default_store_path(spec, target)
    if write and not compile_only:
        check_writable(store, overwrite)
    folder = None
    if target != "runtime":
        folder = Path(build_dir) if build_dir else default_build_dir(spec, target)
    lock = _locked(folder) if folder else contextlib.nullcontext()
    started = time.perf_counter()
    with (
        lock,
        devices.activated(target, folder, threads=threads, compute_capability=compute_capability),
    ):
        circuit, monitors, net, sizes, values = build_network(spec)
        stretches, warnings = intervention_epochs(spec, circuit, values)
        for line in warnings:
            print(f"{spec.name}: warning: {line}", file=sys.stderr)
        with _progress_bar(spec, target, enabled=progress and not compile_only) as bar:
            timings = devices.simulate(
                net, spec.scenario.duration, target, folder, compile_only=compile_only,
                progress=bar, stretches=stretches,
            )  # fmt: skip
        if compile_only:
            return RunResult(target, folder, timings)
        data = collect(monitors, circuit, spec.scenario.duration)
    result = RunResult(target, folder, timings, data=data)
    if write:
        attrs = run_attributes(spec, target, sizes, values, timings, time.perf_counter() - started)
        attrs["intervention_warnings"] = warnings
        result.store = write_run(store, data, attrs, overwrite=overwrite)
    return result


@contextlib.contextmanager
def _progress_bar(spec: Scenario, target: str, enabled: bool):
    """A progress bar over simulated time, shown from the first report (after the build)."""
    if not enabled:
        yield None
        return
    total = float(spec.scenario.duration / b2.second)
    print(f"{spec.name}: building for {target} ...", file=sys.stderr, flush=True)
    bars: list[tqdm] = []

    def update(fraction: float) -> None:
        if not bars:
            bars.append(
                tqdm(
                    total=total,
                    unit="s",
                    desc=f"{spec.name} [{target}]",
                    file=sys.stderr,
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.2f}/{total:.2f} s "
                    "simulated [{elapsed}<{remaining}]",
                )  # fmt: skip
            )
        bars[0].n = min(total, fraction * total)
        bars[0].refresh()

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    """The depnet source tree's git commit (with ``-dirty`` if it has local changes)."""
    here = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def run_attributes(spec, target, sizes, values, timings, total_s) -> dict:
    """Root attributes of a run's store: everything needed to reproduce and audit it."""
    return {
        "scenario": spec.to_dict(),
        "scenario_file": spec.source,
        "parameters": {path: format_quantity(v) for path, v in values.items()},
        "parameter_sources": {path: p.source for path, p in DEFAULT_PARAMETERS.items()},
        "population_sizes": sizes,
        "seed": spec.scenario.seed,
        "device": target,
        "duration_s": float(spec.scenario.duration / b2.second),
        "warmup_s": float(spec.scenario.warmup / b2.second),
        "dt_s": float(spec.scenario.dt / b2.second),
        "wall_time_build_s": timings.build_s,
        "wall_time_run_s": timings.run_s,
        "wall_time_total_s": total_s,
        "versions": {
            p: _version(p) for p in ("depnet", "brian2", "brian2cuda", "numpy", "xarray", "zarr")
        }
        | {"python": platform.python_version()},
        "git_commit": git_commit(),
        "host": platform.node(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
