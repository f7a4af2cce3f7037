"""How the whole circuit's cost grows with scale on C++ standalone: wall time and memory.

For each scale the healthy scenario is built once (compile only), then its binary is run on its
own under ``/usr/bin/time``, so that wall time and peak resident memory are the simulation's
alone (not Python's, not the compiler's). Two wall times per scale: the simulation loop's
(Brian2's own timing of ``network.run``, ``results/last_run_info.txt``: the cost per simulated
second) and the whole binary's (adds loading the connectivity from disk, the spike queues'
set-up and writing the results: a cost per run, which the page cache makes noisy on a shared
machine). Neurons come from the scenario, synapses from the binary's connectivity arrays. The
growth exponents are least-squares slopes on log-log axes: 1 means linear in synapse count.

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
import subprocess
import tempfile
import time
from pathlib import Path

import brian2 as b2
import numpy as np

from depnet import devices
from depnet.run import run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario


def _synapse_count(build_dir: Path) -> int:
    """Synapses of every Synapses object, from the int32 presynaptic index arrays on disk."""
    files = (build_dir / "results").glob("*_synaptic_pre*")
    return sum(f.stat().st_size // 4 for f in files if "serotonin_release" not in f.name)


def measure(scale: float, duration: str, root: Path) -> dict:
    spec = load_scenario(
        scenario_path("healthy"),
        {"scenario.scale": scale, "scenario.duration": duration, "scenario.warmup": "0 s"},
    )
    started = time.perf_counter()
    result = run_scenario(spec, device="cpp", compile_only=True, build_dir=root / f"s{scale}")
    build_s = time.perf_counter() - started
    binary = devices.binary_path(result.build_dir)
    timed = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", str(binary)], cwd=result.build_dir,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall, kbytes = timed.stderr.strip().splitlines()[-1].split()
    # "<seconds> <completed fraction>" of the last network.run: the healthy scenario has one
    loop_s = float((result.build_dir / "results" / "last_run_info.txt").read_text().split()[0])
    simulated = float(spec.scenario.duration / b2.second)
    return {
        "scale": scale,
        "neurons": sum(spec.population_sizes().values()),
        "synapses": _synapse_count(result.build_dir),
        "build_s": build_s,
        "loop_per_sim_s": loop_s / simulated,
        "wall_per_sim_s": float(wall) / simulated,
        "peak_mb": int(kbytes) / 1024,
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
        f"healthy scenario, {args.duration} simulated per scale; wall and peak memory of the "
        "simulation binary alone (loop: network.run; binary: the whole process)"
    )
    print(f"{'scale':>6}{'neurons':>9}{'synapses':>11}{'build s':>9}{'loop s / sim s':>16}"
          f"{'binary s / sim s':>18}{'peak MB':>9}")  # fmt: skip
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
              f"binary {wall:.2f}, memory {memory:.2f} (1 = linear)")  # fmt: skip
        largest, smallest = rows[-1], rows[0]
        print(f"x{largest['synapses'] / smallest['synapses']:.1f} synapses cost "
              f"x{largest['loop_per_sim_s'] / smallest['loop_per_sim_s']:.1f} loop time, "
              f"x{largest['wall_per_sim_s'] / smallest['wall_per_sim_s']:.1f} binary time and "
              f"x{largest['peak_mb'] / smallest['peak_mb']:.1f} memory")  # fmt: skip


if __name__ == "__main__":
    main()
