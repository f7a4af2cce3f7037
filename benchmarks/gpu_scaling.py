"""Benchmark 5: the whole circuit on the GPU (cuda) against the CPU (cpp, one thread), by scale.

Each scale of ``scenarios/healthy.toml`` (scale s multiplies every population and keeps the
in-degrees: scale 1 is ~6,800 neurons and ~0.86 million synapses, scale ~150 is 10^6 neurons)
runs once per target through the run engine (:func:`depnet.run.run_scenario`), from a fresh
build cache, in this process. Reported per scale and target:

- neurons, and synapses of every Synapses object;
- ``net s``: Python building the network (connectivity is drawn on the host with numpy), timed
  once per scale on the runtime device, where the synapses and out-degrees are read;
- ``build s``: the engine's preparation, everything before the run: the network as data (built
  in Python again), code generation and compilation;
- ``run s``: the engine's run (``Timings.run_s``): the simulation binary (loading arrays, setting
  up synapses and queues, simulating, writing results) and reading its results back;
- ``loop s / sim s``: wall time of the simulation loop alone, as the binary measures it (Brian2's
  timer, the run's ``wall_time_loop_s``), per simulated second: the real-time factor (1 = real
  time);
- ``events / s``: synaptic events per second of loop time: every spike times the out-degree of its
  cell, summed over all Synapses (the Poisson background, a ``PoissonInput``, is not counted).

The speed ratio is cpp's loop time per simulated second over cuda's (above 1: cuda is faster),
at every scale both ran. Single-threaded cpp needs minutes per simulated second at large scales,
so it runs only up to ``--cpp-max-scale`` and for the shorter ``--cpp-duration``; the summary line
uses the largest scale both ran. Results go to ``OUT/gpu_scaling.txt``, rewritten after every
measurement, so that a run cut short keeps what it measured. It refuses to run where no GPU
answers.

Usage::

    python benchmarks/gpu_scaling.py --out DIR [--scales 1 15 150] [--duration "1 s"]
        [--cpp-max-scale 15] [--cpp-duration "0.2 s"]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2.groups.subgroup import Subgroup

from depnet import devices
from depnet.run import build_network, run_scenario
from depnet.rundata import RunData
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario

RESULT_FILE = "gpu_scaling.txt"


@dataclass
class Connectivity:
    """A scale's network as synaptic events are counted on it."""

    #: Seconds Python took to build the network.
    network_s: float
    synapses: int
    #: Source NeuronGroup -> synapses per presynaptic cell, summed over Synapses objects.
    out_degree: dict[str, np.ndarray]
    #: Population or drive -> (NeuronGroup, first row, last row + 1).
    placements: dict[str, tuple[str, int, int]]


def _spec(scale: float, duration: str) -> Scenario:
    return load_scenario(
        scenario_path("healthy"),
        {"scenario.scale": scale, "scenario.duration": duration, "scenario.warmup": "0 s"},
    )


def connectivity(spec: Scenario) -> Connectivity:
    """Build the scenario's network on the runtime device (not run); its out-degrees.

    Connectivity is drawn on the host from the seed, so it is the network the engine builds for
    cpp and cuda; the engine keeps no Brian2 objects to read it from.
    """
    started = time.perf_counter()
    with devices.activated("runtime"):
        circuit, monitors, net = build_network(spec)
        network_s = time.perf_counter() - started
        synapses, out_degree = 0, {}
        for obj in net.objects:
            if not isinstance(obj, b2.Synapses):
                continue
            source = obj.source
            group, offset = (source.source, source.start) if isinstance(source, Subgroup) else (
                source, 0,
            )  # fmt: skip
            pre = np.asarray(obj.i[:]) + offset
            synapses += len(pre)
            degree = out_degree.setdefault(group.name, np.zeros(len(group), dtype=np.int64))
            degree += np.bincount(pre, minlength=len(group))
        placements = dict(circuit.layout.placements)
    del circuit, monitors, net
    gc.collect()  # Brian2's objects hold reference cycles; at scale 150 they hold GBs
    return Connectivity(network_s, synapses, out_degree, placements)


def synaptic_events(data: RunData, network: Connectivity) -> int:
    """Synaptic events of a run: per source group, each cell's spikes times its out-degree."""
    events = 0
    for group, degree in network.out_degree.items():
        counts = np.zeros(len(degree), dtype=np.int64)
        for name, (owner, first, last) in network.placements.items():
            if owner == group and name in data.spikes:
                counts[first:last] += np.bincount(
                    np.asarray(data.spikes[name].neuron), minlength=last - first
                )
        events += int(degree @ counts)
    return events


def measure(target: str, spec: Scenario, network: Connectivity, root: Path) -> dict:
    """Run the scenario on ``target`` with the build cache ``root``; one result row."""
    simulated = float(spec.scenario.duration / b2.second)
    started = time.perf_counter()
    # cpp: no OpenMP (threads=0), one thread
    result = run_scenario(
        spec, device=target, out=root / "run.zarr", root=root, write=False, progress=False
    )
    total_s = time.perf_counter() - started
    loop_s = result.info["wall_time_loop_s"]
    events = synaptic_events(result.data, network)
    return {
        "target": target,
        "scale": spec.scenario.scale,
        "neurons": sum(spec.population_sizes().values()),
        "synapses": network.synapses,
        "simulated_s": simulated,
        "network_s": network.network_s,
        "build_s": total_s - result.timings.run_s,
        "run_s": result.timings.run_s,
        "rtf": loop_s / simulated,
        "events_per_s": events / loop_s if loop_s > 0 else float("nan"),
    }


def speed_ratios(rows: list[dict]) -> dict[float, float]:
    """cpp loop time per simulated second over cuda's, at each scale both measured."""
    by = {(r["target"], r["scale"]): r for r in rows if "rtf" in r}
    return {
        scale: by["cpp", scale]["rtf"] / by["cuda", scale]["rtf"]
        for (target, scale) in sorted(by)
        if target == "cuda" and ("cpp", scale) in by
    }


def _machine() -> str:
    gpu = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
        capture_output=True, text=True,
    ).stdout.strip().splitlines()  # fmt: skip
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    cpu = names[0] if names else cpu
    nvcc = shutil.which("nvcc")
    version = (
        subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout if nvcc else ""
    )
    release = next((line for line in version.splitlines() if "release" in line), "no nvcc")
    return (
        f"GPU: {gpu[0] if gpu else '?'}; CPU: {cpu}, {os.cpu_count()} cores; "
        f"{release.strip()}; brian2 {b2.__version__}"
    )


def report(rows: list[dict], args: argparse.Namespace, header: str) -> str:
    """The result table and ratios as text."""
    lines = [
        f"benchmark 5 (gpu_scaling), measured {datetime.date.today()} on {platform.node()}",
        header,
        f"healthy scenario; cuda {args.duration} simulated per scale, cpp (single-threaded, no "
        f"OpenMP) {args.cpp_duration} up to scale {args.cpp_max_scale:g}; through the run "
        "engine, fresh build cache per run",
        "loop s / sim s: simulation loop alone (binary's own timer) per simulated second = "
        "real-time factor; run s: the whole binary (setup, loop, writing results) and reading "
        "its results back",
        "",
        f"{'target':<7}{'scale':>6}{'neurons':>10}{'synapses':>13}{'net s':>8}{'build s':>9}"
        f"{'run s':>10}{'loop s / sim s':>16}{'events / s':>12}",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['target']:<7}{r['scale']:>6g}  FAILED: {r['error']}")
            continue
        lines.append(
            f"{r['target']:<7}{r['scale']:>6g}{r['neurons']:>10d}{r['synapses']:>13d}"
            f"{r['network_s']:>8.1f}{r['build_s']:>9.1f}{r['run_s']:>10.1f}"
            f"{r['rtf']:>16.3f}{r['events_per_s']:>12.3g}"
        )
    ratios = speed_ratios(rows)
    lines.append("")
    for scale, ratio in ratios.items():
        lines.append(f"cuda/cpp speed (loop time per simulated second) at scale {scale:g}: "
                     f"x{ratio:.1f}")  # fmt: skip
    if ratios:
        largest = max(ratios)
        lines.append(
            f"summary: at the largest scale both ran ({largest:g}; cpp stops at "
            f"--cpp-max-scale {args.cpp_max_scale:g}), cuda simulates x{ratios[largest]:.1f} "
            "faster than single-threaded cpp"
        )
    else:
        lines.append("no scale was measured on both targets: no speed ratio")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu_scaling.txt")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 15.0, 150.0])
    parser.add_argument("--duration", default="1 s", help="simulated time per cuda run")
    parser.add_argument("--cpp-max-scale", type=float, default=15.0)
    parser.add_argument("--cpp-duration", default="0.2 s", help="simulated time per cpp run")
    parser.add_argument("--build-root", type=Path, help="where builds go (default: a temp dir)")
    args = parser.parse_args()
    if not devices.gpu_available():
        sys.exit(
            "gpu_scaling: no GPU answers here (nvidia-smi -L lists none); this benchmark "
            "compares cuda with cpp and must run on a GPU node"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    header = _machine()
    print(header, flush=True)
    plan = []
    for scale in sorted(args.scales):
        plan.append(("cuda", scale, args.duration))
        if scale <= args.cpp_max_scale:
            plan.append(("cpp", scale, args.cpp_duration))
    rows: list[dict] = []
    networks: dict[float, Connectivity] = {}  # by scale: cuda and cpp share one
    with tempfile.TemporaryDirectory(dir=args.build_root) as tmp:
        for target, scale, duration in plan:
            root = Path(tmp) / f"{target}-s{scale:g}"
            print(f"--- {target} at scale {scale:g}, {duration} ...", flush=True)
            try:
                spec = _spec(scale, duration)
                if scale not in networks:
                    networks[scale] = connectivity(spec)
                rows.append(measure(target, spec, networks[scale], root))
            except Exception as err:  # one failed scale (memory, a build) must not lose the rest
                traceback.print_exc()
                message = str(err).strip().splitlines()
                rows.append(
                    {"target": target, "scale": scale, "error": message[-1] if message else err}
                )
            finally:
                shutil.rmtree(root, ignore_errors=True)  # scale 150 writes GBs of arrays
            text = report(rows, args, header)
            (args.out / RESULT_FILE).write_text(text)
            print(text, flush=True)


if __name__ == "__main__":
    main()
