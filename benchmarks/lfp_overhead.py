"""Cost of the LFP sums: a run recording them (``record.lfp = true``, the default) / one without.

Two C++ standalone builds (single-threaded) of one scenario, seed and duration, run through the
run engine (:func:`depnet.run.run_scenario`) alternately, ``--repeats`` times, in this one
process; the best of each is kept. Compared: the simulation loop (the binary's own timer) and
the run (the binary and its results read back into numpy). The issue's target: the LFP proxy
adds at most 10% to a run's wall time.

Usage::

    .venv/bin/python benchmarks/lfp_overhead.py [--scenario healthy] [--duration "10 s"]
        [--repeats 3] > benchmarks/results/lfp_overhead-cpu-2core.txt
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import tempfile
from pathlib import Path

import brian2 as b2
from brian2 import ms

from depnet.run import run_scenario, work_folder
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="healthy", help="shipped name or TOML file")
    parser.add_argument("--duration", default="10 s", help="simulated time per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant (best)")
    args = parser.parse_args()
    path = Path(args.scenario)
    path = path if path.suffix == ".toml" else scenario_path(args.scenario)
    base = {"scenario.duration": args.duration, "scenario.warmup": "0 s"}
    specs = {
        "without LFP sums": load_scenario(path, base | {"record.lfp": False}),
        "with LFP sums": load_scenario(path, base | {"record.lfp": True}),
    }
    simulated = float(specs["with LFP sums"].scenario.duration / b2.second)
    times: dict[str, dict[str, list[float]]] = {k: {"loop": [], "run": []} for k in specs}
    with tempfile.TemporaryDirectory(prefix="depnet-bench-") as tmp:
        cache = Path(tmp) / "cache"
        for spec in specs.values():
            run_scenario(spec, device="cpp", root=cache, compile_only=True, progress=False)
        for k in range(args.repeats):  # alternate, so that load from others hits both alike
            for name, spec in specs.items():
                store = Path(tmp) / f"{k}-{name.replace(' ', '_')}.zarr"
                result = run_scenario(
                    spec, device="cpp", out=store, root=cache, write=False, progress=False
                )
                times[name]["loop"].append(result.info["wall_time_loop_s"])
                times[name]["run"].append(result.timings.run_s)
                shutil.rmtree(work_folder(store), ignore_errors=True)
    spec = specs["with LFP sums"]
    print(
        f"measured {datetime.date.today()} on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, brian2 {b2.__version__}, cpp single-threaded"
    )
    print(
        f"{spec.name} scenario, {sum(spec.population_sizes().values())} neurons, {simulated:g} s "
        f"simulated, best of {args.repeats}, alternating; LFP sums every "
        f"{spec.record.lfp_dt / ms:g} ms over every principal cell"
    )
    print(f"{'variant':<20}{'loop s':>8}{'run s':>8}")
    best = {name: {k: min(v) for k, v in t.items()} for name, t in times.items()}
    for name, b in best.items():
        print(f"{name:<20}{b['loop']:>8.2f}{b['run']:>8.2f}")
    without, with_ = best["without LFP sums"], best["with LFP sums"]
    print(
        f"the LFP sums add {100 * (with_['loop'] / without['loop'] - 1):+.1f}% to the simulation "
        f"loop and {100 * (with_['run'] / without['run'] - 1):+.1f}% to the run (target: <= 10%)"
    )


if __name__ == "__main__":
    main()
