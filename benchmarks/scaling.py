"""How the whole circuit's cost grows with scale on C++ standalone: wall time and memory.

For each scale the healthy scenario is built once through the run engine (compile only, in a
fresh build cache), then run through the engine (:func:`depnet.run.run_scenario`) on that
build, while a thread samples the simulation binary's peak resident memory (``VmHWM`` in
``/proc``, every 20 ms): the binary's alone, not Python's, not the compiler's. Two wall times
per scale: the simulation loop's (Brian2's own timing of the network run, the run's
``wall_time_loop_s``: the cost per simulated second) and the whole run's (adds the binary's
loading the connectivity from disk, the spike queues' set-up and writing the results, and
reading them back into numpy: a cost per run, which the page cache makes noisy on a shared
machine; the engine polls the binary every 0.2 s, so short runs are rounded up). Neurons come
from the scenario, synapses (the serotonin release's excluded) from its network built on the
runtime device (not run; connectivity is drawn on the host from the seed). The growth exponents
are least-squares slopes on log-log axes: 1 means linear in synapse count.

Usage::

    .venv/bin/python benchmarks/scaling.py [--scales 0.25 1 2 4 8] [--duration "1 s"]

Scale 8 (about 55,000 neurons, 6.9 million synapses) costs about 8x scale 1 per simulated second
(wall time grows linearly with synapses) and well under 1 GB (scale 4 peaked at 291 MB), hence
the short default duration.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import brian2 as b2
import numpy as np

from depnet import devices
from depnet.run import build_network, run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario

#: Synapses from cells to the serotonin compartments: not synapses between cells.
RELEASE = "serotonin_release"


def _spec(scale: float, duration: str) -> Scenario:
    return load_scenario(
        scenario_path("healthy"),
        {"scenario.scale": scale, "scenario.duration": duration, "scenario.warmup": "0 s"},
    )


def _synapse_count(spec: Scenario) -> int:
    """Synapses of every Synapses object but the serotonin release, on the runtime device."""
    with devices.activated("runtime"):
        _, _, net = build_network(spec)
        return sum(
            len(obj) for obj in net.objects if isinstance(obj, b2.Synapses) and obj.name != RELEASE
        )


class PeakMemory:
    """Peak resident memory (KiB) of this process's children that run ``binary``, sampled
    every ``period`` seconds inside a ``with`` block (0 if none was seen)."""

    def __init__(self, binary: Path, period: float = 0.02) -> None:
        self.binary = binary.resolve()
        self.period = period
        self.peak_kib = 0
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
            for pid in _children():
                try:
                    if Path(f"/proc/{pid}/exe").resolve() != self.binary:
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):  # the high-water mark: a peak, not a sample
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except (OSError, ValueError):  # it exited meanwhile
                    continue


def _children() -> list[str]:
    """Process ids of this process's children (those of each of its threads)."""
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += (task / "children").read_text().split()
        except OSError:
            continue
    return pids


def measure(scale: float, duration: str, root: Path) -> dict:
    spec = _spec(scale, duration)
    synapses = _synapse_count(spec)
    cache = root / f"s{scale:g}"
    started = time.perf_counter()
    build = run_scenario(spec, device="cpp", compile_only=True, root=cache, progress=False)
    build_s = time.perf_counter() - started
    with PeakMemory(devices.binary_path(build.build_dir)) as memory:
        result = run_scenario(
            spec, device="cpp", out=cache / "run.zarr", root=cache, write=False, progress=False
        )
    simulated = float(spec.scenario.duration / b2.second)
    return {
        "scale": scale,
        "neurons": sum(spec.population_sizes().values()),
        "synapses": synapses,
        "build_s": build_s,
        "loop_per_sim_s": result.info["wall_time_loop_s"] / simulated,
        "wall_per_sim_s": result.timings.run_s / simulated,
        "peak_mb": memory.peak_kib / 1024 if memory.peak_kib else float("nan"),
    }


def _slope(x: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 1.0, 2.0, 4.0, 8.0])
    parser.add_argument("--duration", default="1 s", help="simulated time per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(s, args.duration, Path(tmp)) for s in args.scales]
    print(f"measured {datetime.date.today()} on {platform.node()}: "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"brian2 {b2.__version__}, cpp single-threaded")  # fmt: skip
    print(
        f"healthy scenario, {args.duration} simulated per scale, through the run engine; peak "
        "memory of the simulation binary alone (loop: network.run; run: the binary and reading "
        "its results back)"
    )
    print(f"{'scale':>6}{'neurons':>9}{'synapses':>11}{'build s':>9}{'loop s / sim s':>16}"
          f"{'run s / sim s':>18}{'peak MB':>9}")  # fmt: skip
    for r in rows:
        print(f"{r['scale']:>6g}{r['neurons']:>9d}{r['synapses']:>11d}{r['build_s']:>9.1f}"
              f"{r['loop_per_sim_s']:>16.2f}{r['wall_per_sim_s']:>18.2f}"
              f"{r['peak_mb']:>9.0f}")  # fmt: skip
    if len(rows) > 1:
        synapses = [r["synapses"] for r in rows]
        loop, wall, memory = (
            _slope(synapses, [r[key] for r in rows])
            for key in ("loop_per_sim_s", "wall_per_sim_s", "peak_mb")
        )
        print(f"growth with synapse count (log-log slope): simulation loop {loop:.2f}, whole "
              f"run {wall:.2f}, memory {memory:.2f} (1 = linear)")  # fmt: skip
        largest, smallest = rows[-1], rows[0]
        print(f"x{largest['synapses'] / smallest['synapses']:.1f} synapses cost "
              f"x{largest['loop_per_sim_s'] / smallest['loop_per_sim_s']:.1f} loop time, "
              f"x{largest['wall_per_sim_s'] / smallest['wall_per_sim_s']:.1f} run time and "
              f"x{largest['peak_mb'] / smallest['peak_mb']:.1f} memory")  # fmt: skip


if __name__ == "__main__":
    main()
