"""The memory estimate (:mod:`depnet.memory`) against what C++ builds of the circuit hold.

For each scenario and scale the network is built for cpp through the run engine (compile only,
in one build cache, in a fresh interpreter), then run for a short time (``--duration``, one
segment) by the engine's :func:`depnet.run.run_point` in another fresh interpreter, with the
segment's results folder kept. Measured, against the estimate of the same scenario:

- **arrays**: the bytes of every array the binary holds: each array's final state, which the
  binary writes to its results folder (``_array_*``, ``_dynamic_array_*``: connectivity, state,
  delays, monitors' recordings), plus the static arrays it loads at start and keeps
  (``static_arrays/``). Estimate: :attr:`~depnet.memory.MemoryEstimate.arrays_bytes` (state,
  static arrays, one segment's recording).
- **binary**: the simulation binary's peak resident memory (its ``VmHWM`` in ``/proc``, sampled
  every 10 ms while it runs, as ``benchmarks/scaling.py`` does: ``ru_maxrss`` of a child counts
  the forked interpreter's pages before ``exec``). Estimate:
  :attr:`~depnet.memory.MemoryEstimate.binary_bytes` (arrays, spike queues, the recording at
  its grown capacity, the binary's code); the growth between the smallest and the largest scale
  is compared too, where fixed costs cancel.
- **build**: the peak resident memory of the interpreter that built the network (network data
  and the project; the compiler's processes are not counted). Estimate:
  :data:`~depnet.memory.PYTHON_BASE` + :attr:`~depnet.memory.MemoryEstimate.build_bytes`.
- **read** (the recording check): healthy_plastic at scale 1 recording its plastic synapses
  every 1 ms for 0.2 s: the run interpreter's peak (reading the segment back) against
  :data:`~depnet.memory.PYTHON_BASE` + :attr:`~depnet.memory.MemoryEstimate.read_bytes`.

Usage::

    nice -n 10 .venv/bin/python benchmarks/memory_estimate.py [--scales 0.5 1 2]
        [--scenarios healthy healthy_plastic] [--duration "10 ms"] [--cache DIR]
        [--out benchmarks/results/memory_estimate-cpu-2core.txt]

Each build compiles for about a minute on 2 cores; the runs take seconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "memory_estimate-cpu-2core.txt"
#: The recording check: plastic synapses' weights and presence every 1 ms for 0.2 s.
RECORDING = {"record.synapse_dt": "1 ms", "scenario.duration": "200 ms"}


def _settings(scale: float, duration: str, extra: dict | None = None) -> dict:
    return {"scenario.scale": scale, "scenario.duration": duration, "scenario.warmup": "0 s"} | (
        extra or {}
    )


def _spec(name: str, settings: dict):
    from depnet.scenarios import scenario_path
    from depnet.spec import load_scenario

    return load_scenario(scenario_path(name), settings)


class PeakMemory:
    """The peak resident memory (bytes) of this process's children that run ``binary``,
    sampled every ``period`` seconds inside a ``with`` block: their high-water marks
    (``VmHWM``), so any sample after the peak sees it. A child between ``fork`` and ``exec`` is
    still a copy of this interpreter, hence the check of what it runs."""

    def __init__(self, binary: Path, period: float = 0.01) -> None:
        self.binary = binary.resolve()
        self.period = period
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.period):
            for task in Path("/proc/self/task").iterdir():
                try:
                    children = (task / "children").read_text().split()
                except OSError:
                    continue
                for pid in children:
                    try:
                        if Path(f"/proc/{pid}/exe").resolve() != self.binary:
                            continue
                        status = Path(f"/proc/{pid}/status").read_text().splitlines()
                    except OSError:  # it exited meanwhile
                        continue
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.peak = max(self.peak, int(line.split()[1]) * 1024)


# -- the two children ---------------------------------------------------------------------------
def child_build(name: str, settings: dict, cache: Path) -> dict:
    """Compile the scenario's network (fresh interpreter): the Python build's peak."""
    from depnet.run import run_scenario

    spec = _spec(name, settings)
    result = run_scenario(spec, device="cpp", compile_only=True, root=cache, progress=False)
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"build_dir": str(result.build_dir), "build_peak": self_kib * 1024}


def child_run(name: str, settings: dict, cache: Path, work: Path) -> dict:
    """Run one segment on the build (fresh interpreter): array files, the binary's peak and the
    interpreter's own peak (reading the segment back)."""
    from depnet.run import Options, find_build, network_data, run_point, scenario_schedule

    spec = _spec(name, settings)
    data = network_data(spec, "cpp", cache)
    build = find_build(data, Options("cpp"), cache)
    if build is None:
        raise SystemExit(f"no build of {name} in {cache}")
    plan = scenario_schedule(spec, data.layout)
    shutil.rmtree(work, ignore_errors=True)
    with PeakMemory(build.binary) as peak:
        run_point(spec, build, data, work, plan)
    results = work / "seg-000" / "results"
    arrays = sum(
        f.stat().st_size
        for f in results.iterdir()
        if f.name.startswith(("_array_", "_dynamic_array_"))
    )
    # the static arrays the binary loaded: the point's own or the build's (linked by run_point)
    static = sum(
        (work / "static_arrays" / n).stat().st_size for n in build.manifest["static_arrays"]
    )
    return {
        "results_bytes": arrays,
        "static_bytes": static,
        "binary_peak": peak.peak,
        "read_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _child(*args: str) -> dict:
    command = [sys.executable, __file__, "--child", *args]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the comparison -----------------------------------------------------------------------------
def measure(name: str, scale: float, duration: str, cache: Path, extra: dict | None = None) -> dict:
    from depnet.memory import PYTHON_BASE, estimate

    settings = _settings(scale, duration, extra)
    built = _child("build", name, json.dumps(settings), str(cache))
    ran = _child("run", name, json.dumps(settings), str(cache), str(cache / "work"))
    e = estimate(_spec(name, settings))
    return {
        "name": name, "scale": scale, "neurons": e.neurons, "synapses": e.n_synapses,
        "arrays_est": e.arrays_bytes, "arrays": ran["results_bytes"] + ran["static_bytes"],
        "static": ran["static_bytes"], "binary_est": e.binary_bytes, "binary": ran["binary_peak"],
        "build_est": PYTHON_BASE + e.build_bytes, "build": built["build_peak"],
        "read_est": PYTHON_BASE + e.recorded_run_bytes + e.read_bytes,
        "read": ran["read_peak"], "recording_est": e.recording_bytes,
    }  # fmt: skip


def _mib(n: float) -> str:
    return f"{n / 2**20:.1f}"


def report(rows: list[dict], recording: dict | None, args: argparse.Namespace) -> list[str]:
    import brian2

    lines = [
        f"measured {datetime.date.today()} on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"brian2 {brian2.__version__}, cpp single-threaded, {args.duration} per run (one segment)",
        "MiB; est = depnet.memory.estimate, ratio = est / measured",
        f"{'scenario':<16}{'scale':>6}{'cells':>8}{'synapses':>10}"
        f"{'arrays est':>11}{'measured':>9}{'ratio':>6}"
        f"{'binary est':>11}{'peak':>9}{'ratio':>6}"
        f"{'build est':>10}{'peak':>8}{'ratio':>6}",
    ]
    for r in rows:
        columns = "".join(
            f"{_mib(r[key + '_est']):>{width}}{_mib(r[key]):>{width - 2}}"
            f"{r[key + '_est'] / r[key]:>6.2f}"
            for key, width in (("arrays", 11), ("binary", 11), ("build", 10))
        )
        head = f"{r['name']:<16}{r['scale']:>6g}{r['neurons']:>8d}{r['synapses']:>10d}"
        lines.append(head + columns)
    lines.append(
        "growth from the smallest to the largest scale (est / measured; fixed costs cancel):"
    )
    for name in dict.fromkeys(r["name"] for r in rows):
        mine = [r for r in rows if r["name"] == name]
        if len(mine) < 2:
            continue
        a, b = mine[0], mine[-1]
        growth = {
            key: (b[f"{key}_est"] - a[f"{key}_est"]) / (b[key] - a[key])
            for key in ("arrays", "binary", "build")
        }
        lines.append(
            f"  {name} {a['scale']:g} -> {b['scale']:g}: "
            + ", ".join(f"{key} {value:.2f}" for key, value in growth.items())
        )
    if recording is not None:
        r = recording
        lines += [
            f"recording check: {r['name']} at scale {r['scale']:g}, "
            f"{RECORDING['scenario.duration']} recording plastic synapses every "
            f"{RECORDING['record.synapse_dt']}: recording est {_mib(r['recording_est'])} MiB; "
            f"arrays est {_mib(r['arrays_est'])} / measured {_mib(r['arrays'])} "
            f"({r['arrays_est'] / r['arrays']:.2f}); binary est {_mib(r['binary_est'])} / peak "
            f"{_mib(r['binary'])} ({r['binary_est'] / r['binary']:.2f}); reading it back est "
            f"{_mib(r['read_est'])} / interpreter peak {_mib(r['read'])} "
            f"({r['read_est'] / r['read']:.2f})",
        ]
    lines.append(
        "(arrays: the results folder's array files after the run plus the static arrays the "
        "binary loads; binary: the simulation binary's peak RSS (VmHWM); build: the building "
        "interpreter's peak RSS, compiler excluded; reading: the running interpreter's peak RSS)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["healthy", "healthy_plastic"])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--duration", default="10 ms", help="simulated time per run")
    parser.add_argument("--no-recording", dest="recording", action="store_false",
                        help="leave out the recording check (one more build)")  # fmt: skip
    parser.add_argument("--cache", type=Path, help="build cache (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, name, settings, cache, *rest = args.child
        settings = json.loads(settings)
        if what == "build":
            result = child_build(name, settings, Path(cache))
        else:
            result = child_run(name, settings, Path(cache), Path(rest[0]))
        print(json.dumps(result))
        return
    temporary = None if args.cache else tempfile.mkdtemp(prefix="depnet-memory-")
    cache = args.cache or Path(temporary)
    try:
        rows = []
        for name in args.scenarios:
            for scale in args.scales:
                rows.append(measure(name, scale, args.duration, cache))
                print(rows[-1], file=sys.stderr, flush=True)
        recording = None
        if args.recording:
            recording = measure("healthy_plastic", 1.0, "200 ms", cache, RECORDING)
            print(recording, file=sys.stderr, flush=True)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    lines = report(rows, recording, args)
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
