"""Cost of recording: a run with the scenario's monitors and its zarr store / one with no monitors.

Two C++ standalone builds (single-threaded) of the same scenario, seed and duration in this one
process:

no monitors
    The circuit alone (:func:`depnet.circuits.build.build_circuit`, as
    :func:`depnet.run.build_network` builds it, without :func:`depnet.recording.attach_monitors`),
    Brian2's own build of it; its binary is run alone.
scenario's record
    What ``depnet run`` does, through the run engine (:func:`depnet.run.run_scenario`): the
    circuit with the monitors of the scenario's own ``[record]`` table (every spike of every cell,
    the traces it names, [5-HT] and receptor occupancies), the binary run and its results read
    back into numpy (the engine's run time), then the store written
    (:func:`depnet.store.write_run`).

Both binaries are launched alike (:func:`depnet.standalone.run_binary`, the engine's launcher,
which polls the binary every 0.2 s: run times are rounded up alike), alternately, ``--repeats``
times, and the best of each is kept. The ratio is (run + zarr write)
with recording / run without monitors, per simulated second; the simulation loops alone (each
binary's own timer) are compared too. ``--trace-neurons`` overrides the number of cells per
population whose traces are kept (e.g. a large number for every cell), to see what heavier
recording costs. The unmonitored build has the circuit's base protocol, so scenarios with
interventions or traits are refused.

Usage::

    .venv/bin/python benchmarks/recording_overhead.py [--scenario healthy] [--duration "4 s"]
        [--repeats 3] [--trace-neurons N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import brian2 as b2
from brian2 import ms

from depnet import devices
from depnet.run import build_network, run_attributes, run_scenario, work_folder
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario
from depnet.standalone import run_binary
from depnet.store import write_run


def _scenario_file(name: str) -> Path:
    """A shipped scenario by name, or a scenario file by path."""
    path = Path(name)
    return path if path.suffix == ".toml" else scenario_path(name)


def build_bare(spec: Scenario, build_dir: Path) -> float:
    """Compile the scenario's circuit without monitors (Brian2's own build); build seconds."""
    started = time.perf_counter()
    with devices.activated("cpp", build_dir):
        _, _, net = build_network(spec, record=False)
        net.run(spec.scenario.duration)
        b2.get_device().build(directory=str(build_dir), compile=True, run=False)
    return time.perf_counter() - started


def run_bare(build_dir: Path) -> tuple[float, float]:
    """One run of the unmonitored binary: wall seconds of the binary and of its loop."""
    started = time.perf_counter()
    loop_s = run_binary(devices.binary_path(build_dir), build_dir, build_dir / "results", [])
    return time.perf_counter() - started, loop_s


def _folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def measure(spec: Scenario, root: Path, repeats: int) -> dict:
    """Build both variants, then run them alternately; seconds of each stage per repeat."""
    bare_dir, cache = root / "bare", root / "cache"
    rows: dict = {"bare": [], "bare_loop": [], "run": [], "loop": [], "write": []}
    bare_build = build_bare(spec, bare_dir)
    started = time.perf_counter()
    run_scenario(spec, device="cpp", root=cache, compile_only=True, progress=False)
    rows["build"] = (bare_build, time.perf_counter() - started)
    for k in range(repeats):  # alternate, so that load from others hits both alike
        bare_s, bare_loop = run_bare(bare_dir)
        rows["bare"].append(bare_s)
        rows["bare_loop"].append(bare_loop)
        # a fresh store path each time: the engine would resume a finished run's work folder
        store = root / f"run-{k}.zarr"
        t0 = time.perf_counter()
        result = run_scenario(
            spec, device="cpp", out=store, root=cache, write=False, progress=False
        )
        t1 = time.perf_counter()
        # the engine's own store write (depnet.run.run_and_store), timed apart from the run
        attrs = run_attributes(spec, "cpp", result.timings, t1 - t0) | {"run": result.info}
        write_run(store, result.data, attrs)
        t2 = time.perf_counter()
        rows["run"].append(result.timings.run_s)
        rows["loop"].append(result.info["wall_time_loop_s"])
        rows["write"].append(t2 - t1)
        rows["store_mb"] = _folder_mb(store)
        rows["spikes"] = sum(len(s.time) for s in result.data.spikes.values())
        rows["trace_cells"] = sum(len(t.neuron) for t in result.data.traces.values())
        shutil.rmtree(store)
        shutil.rmtree(work_folder(store), ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="healthy", help="shipped name or TOML file")
    parser.add_argument("--duration", help="simulated time per run (default: the scenario's)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant (best)")
    parser.add_argument("--trace-neurons", type=int, help="cells per population with traces")
    args = parser.parse_args()

    settings: dict = {"scenario.warmup": "0 s"}  # summaries are not computed here
    if args.duration:
        settings["scenario.duration"] = args.duration
    if args.trace_neurons is not None:
        settings["record.trace_neurons"] = args.trace_neurons
    spec = load_scenario(_scenario_file(args.scenario), settings)
    if spec.interventions or spec.traits:
        sys.exit(
            f"recording_overhead: {spec.name} has interventions or traits; the unmonitored build "
            "runs the circuit without them, so choose a scenario without any"
        )
    simulated = float(spec.scenario.duration / b2.second)
    with tempfile.TemporaryDirectory(prefix="depnet-bench-") as tmp:
        rows = measure(spec, Path(tmp), args.repeats)

    k_bare = rows["bare"].index(min(rows["bare"]))
    bare_s, bare_loop = rows["bare"][k_bare], rows["bare_loop"][k_bare]
    bare = bare_s / simulated
    totals = [sum(parts) for parts in zip(rows["run"], rows["write"], strict=True)]
    best = totals.index(min(totals))
    run_s, loop_s, written = (rows[k][best] for k in ("run", "loop", "write"))
    record = spec.record
    sizes = spec.population_sizes()
    traced = (
        "every cell"
        if record.trace_neurons >= max(sizes.values())
        else f"{record.trace_neurons} cells per population"
    )
    print(
        f"measured {datetime.date.today()} on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, brian2 {b2.__version__}, cpp single-threaded"
    )
    print(
        f"{spec.name} scenario, {sum(sizes.values())} neurons, {simulated:g} s simulated, best of "
        f"{args.repeats}; record: every spike, traces {list(record.traces)} of {traced} at "
        f"{record.trace_dt / ms:g} ms, [5-HT] at {record.serotonin_dt / ms:g} ms"
    )
    print(
        "loop s: the simulation loop (the binary's own timer); run s: the binary, and for the "
        "engine reading its results back into numpy; write s: the zarr store"
    )
    print(
        f"{'variant':<20}{'loop s':>8}{'run s':>8}{'write s':>9}{'total s / sim s':>17}"
        f"{'x none':>8}{'build s':>9}"
    )
    print(f"{'no monitors':<20}{bare_loop:>8.2f}{bare_s:>8.2f}{'':>9}{bare:>17.3f}{1:>8.2f}"
          f"{rows['build'][0]:>9.1f}")  # fmt: skip
    total = (run_s + written) / simulated
    print(f"{'scenario + store':<20}{loop_s:>8.2f}{run_s:>8.2f}{written:>9.2f}{total:>17.3f}"
          f"{total / bare:>8.2f}{rows['build'][1]:>9.1f}")  # fmt: skip
    print(
        f"recording costs {total / bare:.2f}x the unmonitored run, the simulation loop alone "
        f"{loop_s / bare_loop:.2f}x ({rows['spikes']} spikes, {rows['trace_cells']} traced "
        f"cells, store {rows['store_mb']:.1f} MB on disk)"
    )


if __name__ == "__main__":
    main()
