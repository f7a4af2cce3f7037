"""Wall time per simulated second of the default scenario: Brian2 runtime vs C++ standalone.

The default scenario is ``healthy``, the whole circuit (about 6,800 neurons). Both targets run in
this one process, one after the other, on the same scenario and seed (warmup set to 0: it only
affects summaries), so the ratio is measured side by side on the same machine. Both run through
the run engine (:func:`depnet.run.run_scenario`); what is timed is the simulation itself: on
runtime the network's run (``Timings.run_s``), on cpp the simulation loop as the binary times it
(the run's ``wall_time_loop_s``; the engine's run time adds loading, writing and reading the
results, and its 0.2 s polling of the binary would dominate short runs). Each run also writes its
store, which is not counted; build time (code generation and compilation) is reported apart: the
first run's and the last repeat's (runtime generates its code again; cpp finds its build in the
engine's build cache). The default duration is short because the runtime target is slow (about
15x cpp on the whole circuit).

Usage::

    .venv/bin/python benchmarks/runtime_vs_cpp.py [--scenario healthy] [--duration "0.5 s"]
        [--repeats 2]

``--scenario`` takes a shipped scenario's name or a TOML file.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
from pathlib import Path

import brian2 as b2

from depnet.run import run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="0.5 s", help="simulated time per run")
    parser.add_argument("--repeats", type=int, default=2, help="runs per target (best is kept)")
    parser.add_argument("--scenario", default="healthy", help="shipped name or TOML file")
    args = parser.parse_args()

    path = Path(args.scenario)
    scenario = path if path.suffix == ".toml" else scenario_path(args.scenario)
    settings = {"scenario.duration": args.duration, "scenario.warmup": "0 s"}
    spec = load_scenario(scenario, settings)
    simulated = float(spec.scenario.duration / b2.second)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for target in ("runtime", "cpp"):
            walls, builds = [], []
            for k in range(args.repeats):
                out = Path(tmp) / f"{target}-{k}.zarr"
                result = run_scenario(
                    spec, device=target, out=out, root=Path(tmp) / "build", progress=False
                )
                run_s = result.info.get("wall_time_loop_s", result.timings.run_s)
                walls.append(run_s / simulated)
                builds.append(result.timings.build_s)
            rows[target] = (min(walls), builds[0], builds[-1])

    print(f"measured {datetime.date.today()} on {platform.node()}")
    print(f"scenario {spec.name} ({sum(spec.population_sizes().values())} neurons), "
          f"{simulated:g} s simulated, best of {args.repeats}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, brian2 {b2.__version__}")  # fmt: skip
    print(f"{'target':<9}{'wall s / sim s':>16}{'first build s':>15}{'rebuild s':>11}")
    for target, (wall, first, last) in rows.items():
        print(f"{target:<9}{wall:>16.3f}{first:>15.1f}{last:>11.1f}")
    ratio = rows["runtime"][0] / rows["cpp"][0]
    print(f"cpp is {ratio:.1f}x faster than runtime per simulated second (run time only)")


if __name__ == "__main__":
    main()
