"""Cost of recording: a run with the scenario's monitors and its zarr store / one with no monitors.

Two C++ standalone builds (single-threaded) of the same scenario, seed and duration in this one
process:

no monitors
    The circuit alone (:func:`depnet.circuits.build.build_circuit`, as
    :func:`depnet.run.build_network` builds it, without :func:`depnet.recording.attach_monitors`);
    its binary is timed alone.
scenario's record
    What ``depnet run`` does: the circuit with the monitors of the scenario's own ``[record]``
    table (every spike of every cell, the traces it names, [5-HT] and receptor occupancies), the
    binary run through Brian2 (``device.run``), then the monitors' data read back into numpy
    (:func:`depnet.recording.collect`) and the store written (:func:`depnet.store.write_run`).

The two are run alternately, ``--repeats`` times, and the best of each is kept. The ratio is
(binary + collect + zarr write) with recording / binary without monitors, per simulated second.
``--trace-neurons`` overrides the number of cells per population whose traces are kept (e.g. a
large number for every cell), to see what heavier recording costs.

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
import subprocess
import tempfile
import time
from pathlib import Path

import brian2 as b2
from brian2 import ms

from depnet import devices
from depnet.circuits.build import build_circuit
from depnet.rundata import collect
from depnet.run import build_network, run_attributes
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario
from depnet.store import write_run


def _scenario_file(name: str) -> Path:
    """A shipped scenario by name, or a scenario file by path."""
    path = Path(name)
    return path if path.suffix == ".toml" else scenario_path(name)


def build_bare(spec: Scenario, build_dir: Path) -> float:
    """Compile the scenario's circuit without monitors; build seconds."""
    with devices.activated("cpp", build_dir):
        # build_network's steps, less attach_monitors (it always attaches them)
        b2.defaultclock.dt = spec.scenario.dt
        b2.seed(spec.scenario.seed)
        circuit = build_circuit(
            spec.population_sizes(), spec.parameter_values(), spec.scenario.seed,
            spec.plasticity_specs(),
        )  # fmt: skip
        net = b2.Network(circuit.objects)
        timings = devices.simulate(net, spec.scenario.duration, "cpp", build_dir, compile_only=True)
        return timings.build_s


def _time_binary(build_dir: Path) -> float:
    """Wall seconds of one run of a standalone binary, alone (not Python, not the compiler)."""
    started = time.perf_counter()
    subprocess.run(
        [str(devices.binary_path(build_dir))], cwd=build_dir, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def _folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def measure(spec: Scenario, root: Path, repeats: int) -> dict:
    """Build both variants, then time them alternately; seconds of each stage per repeat."""
    bare_dir, recorded_dir = root / "bare", root / "recorded"
    bare_build = build_bare(spec, bare_dir)
    rows: dict = {"bare": [], "binary": [], "collect": [], "write": []}
    with devices.activated("cpp", recorded_dir):
        circuit, monitors, net, sizes, values = build_network(spec)
        duration = spec.scenario.duration
        timings = devices.simulate(net, duration, "cpp", recorded_dir, compile_only=True)
        rows["build"] = (bare_build, timings.build_s)
        device = b2.get_device()
        for k in range(repeats):  # alternate, so that load from others hits both alike
            rows["bare"].append(_time_binary(bare_dir))
            t0 = time.perf_counter()
            device.run(directory=str(recorded_dir), with_output=False)
            t1 = time.perf_counter()
            data = collect(monitors, circuit, duration)
            t2 = time.perf_counter()
            attrs = run_attributes(
                spec, "cpp", sizes, values, devices.Timings(timings.build_s, t1 - t0), t2 - t0
            )
            store = write_run(root / f"run-{k}.zarr", data, attrs)
            t3 = time.perf_counter()
            rows["binary"].append(t1 - t0)
            rows["collect"].append(t2 - t1)
            rows["write"].append(t3 - t2)
            rows["store_mb"] = _folder_mb(store)
            rows["spikes"] = sum(len(s.time) for s in data.spikes.values())
            rows["trace_cells"] = sum(len(t.neuron) for t in data.traces.values())
            shutil.rmtree(store)
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
    simulated = float(spec.scenario.duration / b2.second)
    with tempfile.TemporaryDirectory(prefix="depnet-bench-") as tmp:
        rows = measure(spec, Path(tmp), args.repeats)

    bare = min(rows["bare"]) / simulated
    totals = [
        sum(parts) for parts in zip(rows["binary"], rows["collect"], rows["write"], strict=True)
    ]
    best = totals.index(min(totals))
    binary, collected, written = (rows[k][best] for k in ("binary", "collect", "write"))
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
        f"{'variant':<20}{'binary s':>9}{'collect s':>10}{'write s':>9}{'total s / sim s':>17}"
        f"{'x none':>8}{'build s':>9}"
    )
    print(f"{'no monitors':<20}{bare * simulated:>9.2f}{'':>10}{'':>9}{bare:>17.3f}{1:>8.2f}"
          f"{rows['build'][0]:>9.1f}")  # fmt: skip
    print(f"{'monitors only':<20}{binary:>9.2f}{'':>10}{'':>9}{binary / simulated:>17.3f}"
          f"{binary / simulated / bare:>8.2f}{rows['build'][1]:>9.1f}")  # fmt: skip
    total = (binary + collected + written) / simulated
    print(f"{'monitors + store':<20}{binary:>9.2f}{collected:>10.2f}{written:>9.2f}{total:>17.3f}"
          f"{total / bare:>8.2f}")  # fmt: skip
    print(
        f"recording costs {total / bare:.2f}x the unmonitored run ({rows['spikes']} spikes, "
        f"{rows['trace_cells']} traced cells, store {rows['store_mb']:.1f} MB on disk)"
    )


if __name__ == "__main__":
    main()
