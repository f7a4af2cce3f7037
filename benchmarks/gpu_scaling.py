"""Benchmark 5: the whole circuit on the GPU (cuda) against the CPU (cpp, one thread and all cores).

Each scale of ``scenarios/healthy.toml`` (scale s multiplies every population and keeps the
in-degrees: scale 1 is ~6,800 neurons and ~0.86 million synapses, scale ~150 is 10^6 neurons)
runs once per target through the run engine (:func:`depnet.run.run_scenario`), from a fresh
build cache, in this process. Reported per scale and target:

- neurons, and synapses of every Synapses object;
- ``net s``: Python building the network (connectivity is drawn on the host with numpy), timed
  once per scale on the runtime device, where the synapses and out-degrees are read;
- ``build s``: the engine's preparation, everything before the run: the network as data (built
  in Python again), code generation and compilation, or only finding the build where
  ``--prebuilt`` holds it (made elsewhere by ``benchmarks/gpu_prebuild.py``; the row says so);
- ``run s``: the engine's run (``Timings.run_s``): the simulation binary (loading arrays, setting
  up synapses and queues, simulating, writing results) and reading its results back;
- ``setup s``: ``run s`` less the simulation loop: the binary's start-up (arrays, synapse
  creation, spike queues) and its results written and read back (for the same simulated time
  on both targets, a fair comparison of start-up);
- ``loop s / sim s``: wall time of the simulation loop alone, as the binary measures it (Brian2's
  timer, the run's ``wall_time_loop_s``), per simulated second: the real-time factor (1 = real
  time);
- ``events / s``: synaptic events per second of loop time: every spike times the out-degree of its
  cell, summed over all Synapses (the Poisson background, a ``PoissonInput``, is not counted).

cpp runs twice per scale: single-threaded, and with OpenMP on ``--cpp-threads`` threads (default:
every core here), the baseline a GPU node's CPU offers. The speed ratios are cpp's loop time per
simulated second over cuda's (above 1: cuda is faster), at every scale both ran, against each
cpp baseline. cpp needs minutes per simulated second at large scales, so it runs only up to
``--cpp-max-scale`` and for the shorter ``--cpp-duration``; the summary line uses the largest
scale both ran. Results go to ``OUT/gpu_scaling.txt``, rewritten after every measurement, so that
a run cut short keeps what it measured.

It refuses to run where no GPU answers, unless ``--no-gpu`` (the rehearsal on a CPU machine):
everything but cuda's runs, whose builds are made (``--compile-only``) and timed.

Usage::

    python benchmarks/gpu_scaling.py --out DIR [--scales 1 15 150] [--duration "1 s"]
        [--cpp-max-scale 15] [--cpp-duration "0.2 s"] [--cpp-threads N] [--no-gpu]
        [--prebuilt BUILD_ROOT]
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
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2.groups.subgroup import Subgroup

from depnet import devices
from depnet.run import MANIFEST, build_network, run_scenario
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


def measure(
    target: str, spec: Scenario, network: Connectivity, root: Path, threads: int = 0,
    *, compile_only: bool = False, prebuilt: Collection[Path] = (),
) -> dict:  # fmt: skip
    """Run the scenario on ``target`` (cpp: ``threads`` OpenMP threads, 0 for none) with the build
    cache ``root``; one result row. ``compile_only``: build, do not run (the row has no times
    of a run). ``prebuilt``: build folders that were there before (the row says whether its
    build was one of them)."""
    simulated = float(spec.scenario.duration / b2.second)
    row = {
        "target": target,
        "threads": max(threads, 1),
        "scale": spec.scenario.scale,
        "neurons": sum(spec.population_sizes().values()),
        "synapses": network.synapses,
        "simulated_s": simulated,
        "network_s": network.network_s,
    }
    started = time.perf_counter()
    result = run_scenario(
        spec, device=target, out=root / "run.zarr", root=root, write=False, progress=False,
        threads=threads, compile_only=compile_only,
    )  # fmt: skip
    total_s = time.perf_counter() - started
    row["prebuilt"] = result.build_dir.resolve() in prebuilt
    if compile_only:
        return row | {"build_s": total_s}
    loop_s = result.info["wall_time_loop_s"]
    events = synaptic_events(result.data, network)
    return row | {
        "build_s": total_s - result.timings.run_s,
        "run_s": result.timings.run_s,
        "setup_s": result.timings.run_s - loop_s,
        "rtf": loop_s / simulated,
        "events_per_s": events / loop_s if loop_s > 0 else float("nan"),
    }


def speed_ratios(rows: list[dict], threads: int = 1) -> dict[float, float]:
    """cpp's (on ``threads`` threads) loop time per simulated second over cuda's, at each scale
    both measured."""
    cpp = {
        r["scale"]: r
        for r in rows
        if "rtf" in r and r["target"] == "cpp" and r["threads"] == threads
    }
    cuda = {r["scale"]: r for r in rows if "rtf" in r and r["target"] == "cuda"}
    return {scale: cpp[scale]["rtf"] / cuda[scale]["rtf"] for scale in sorted(cuda) if scale in cpp}


def _machine() -> str:
    gpu = []
    if shutil.which("nvidia-smi"):
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
        f"GPU: {gpu[0] if gpu else 'none'}; CPU: {cpu}, {os.cpu_count()} cores; "
        f"{release.strip()}; brian2 {b2.__version__}"
    )


def report(rows: list[dict], args: argparse.Namespace, header: str) -> str:
    """The result table and ratios as text."""
    lines = [
        f"benchmark 5 (gpu_scaling), measured {datetime.date.today()} on {platform.node()}",
        header,
        f"healthy scenario; cuda {args.duration} simulated per scale, cpp {args.cpp_duration} up "
        f"to scale {args.cpp_max_scale:g}, single-threaded and with OpenMP on "
        f"{args.cpp_threads} threads; through the run engine, "
        + ("cuda's builds carried (--prebuilt), cpp's" if args.prebuilt else "a")
        + " fresh build cache per run",
        "loop s / sim s: simulation loop alone (binary's own timer) per simulated second = "
        "real-time factor; run s: the whole binary (setup, loop, writing results) and reading "
        "its results back; setup s: run s less the loop",
    ]
    if args.no_gpu:
        lines.append("--no-gpu (a rehearsal on a CPU machine): cuda is built, not run")
    lines += [
        "",
        f"{'target':<7}{'threads':>8}{'scale':>6}{'neurons':>10}{'synapses':>13}{'net s':>8}"
        f"{'build s':>9}{'run s':>10}{'setup s':>9}{'loop s / sim s':>16}{'events / s':>12}",
    ]
    for r in rows:
        threads = str(r.get("threads", 1)) if r["target"] == "cpp" else "-"
        first = f"{r['target']:<7}{threads:>8}{r['scale']:>6g}"
        if "error" in r:
            lines.append(f"{first}  FAILED: {r['error']}")
            continue
        built = f"{first}{r['neurons']:>10d}{r['synapses']:>13d}{r['network_s']:>8.1f}"
        built += f"{r['build_s']:>9.1f}"
        note = "  (build carried here: prebuilt)" if r.get("prebuilt") else ""
        if args.prebuilt and r["target"] == "cuda" and not r.get("prebuilt"):
            note = "  (not among the carried builds: built here)"
        if "rtf" not in r:
            lines.append(f"{built}{'(not run)':>35}{note}")
            continue
        lines.append(
            f"{built}{r['run_s']:>10.1f}{r['setup_s']:>9.1f}"
            f"{r['rtf']:>16.3f}{r['events_per_s']:>12.3g}{note}"
        )
    lines.append("")
    summary = []
    for threads in sorted({1, args.cpp_threads}):
        ratios = speed_ratios(rows, threads)
        for scale, ratio in ratios.items():
            lines.append(f"cuda/cpp speed (loop time per simulated second) at scale {scale:g}, "
                         f"cpp on {threads} thread(s): x{ratio:.1f}")  # fmt: skip
        if ratios:
            largest = max(ratios)
            summary.append(
                f"x{ratios[largest]:.1f} against cpp on {threads} thread(s) at scale {largest:g}"
            )
    if summary:
        lines.append(
            f"summary: at the largest scale both ran (cpp stops at --cpp-max-scale "
            f"{args.cpp_max_scale:g}), cuda simulates " + ", ".join(summary)
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
    parser.add_argument(
        "--cpp-threads", type=int, default=os.cpu_count() or 1,
        help="OpenMP threads of the second cpp baseline (default: every core here)",
    )  # fmt: skip
    parser.add_argument(
        "--no-gpu", action="store_true",
        help="rehearse on a machine without a GPU: build cuda, do not run it",
    )  # fmt: skip
    parser.add_argument("--build-root", type=Path, help="where builds go (default: a temp dir)")
    parser.add_argument(
        "--prebuilt", type=Path,
        help="build root holding cuda builds made elsewhere (benchmarks/gpu_prebuild.py): cuda "
        "runs use it, and build only what it lacks",
    )  # fmt: skip
    args = parser.parse_args()
    if args.cpp_threads < 1:
        sys.exit(f"gpu_scaling: --cpp-threads must be at least 1, not {args.cpp_threads}")
    if not args.no_gpu and not devices.gpu_available():
        sys.exit(
            "gpu_scaling: no GPU answers here (nvidia-smi -L lists none); this benchmark "
            "compares cuda with cpp and must run on a GPU node (--no-gpu rehearses it)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    header = _machine()
    print(header, flush=True)
    plan = []  # (target, OpenMP threads, scale, duration)
    for scale in sorted(args.scales):
        plan.append(("cuda", 0, scale, args.duration))
        if scale <= args.cpp_max_scale:
            plan.append(("cpp", 0, scale, args.cpp_duration))
            if args.cpp_threads > 1:
                plan.append(("cpp", args.cpp_threads, scale, args.cpp_duration))
    rows: list[dict] = []
    networks: dict[float, Connectivity] = {}  # by scale: cuda and cpp share one
    prebuilt = (
        [m.parent.resolve() for m in args.prebuilt.glob(f"*/{MANIFEST}")] if args.prebuilt else []
    )
    with tempfile.TemporaryDirectory(dir=args.build_root) as tmp:
        for target, threads, scale, duration in plan:
            root = Path(tmp) / f"{target}{threads}-s{scale:g}"
            if target == "cuda" and args.prebuilt:
                root = args.prebuilt
            print(f"--- {target} ({max(threads, 1)} thread(s)) at scale {scale:g}, {duration} ...",
                  flush=True)  # fmt: skip
            try:
                spec = _spec(scale, duration)
                if scale not in networks:
                    networks[scale] = connectivity(spec)
                compile_only = target == "cuda" and args.no_gpu
                rows.append(measure(
                    target, spec, networks[scale], root, threads, compile_only=compile_only,
                    prebuilt=prebuilt,
                ))  # fmt: skip
            except Exception as err:  # one failed scale (memory, a build) must not lose the rest
                traceback.print_exc()
                message = str(err).strip().splitlines()
                rows.append({
                    "target": target, "threads": max(threads, 1), "scale": scale,
                    "error": message[-1] if message else err,
                })  # fmt: skip
            finally:  # scale 150 writes GBs of arrays; builds carried here stay
                shutil.rmtree(root / "data" if root == args.prebuilt else root, ignore_errors=True)
            text = report(rows, args, header)
            (args.out / RESULT_FILE).write_text(text)
            print(text, flush=True)


if __name__ == "__main__":
    main()
