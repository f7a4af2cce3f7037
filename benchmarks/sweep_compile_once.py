"""Wall time of an N-point parameter sweep: compile once + run_args, against recompiling per point.

Three ways to run the same N points (one seed, C++ standalone, the shipped raphe_pfc scenario,
``serotonin.ssri_occupancy`` from 0 to 0.8), each from a cold build cache and each point in a
fresh interpreter, as a user would run them:

compile once
    ``depnet sweep --executor local``: one build, then every point runs the same binary with
    its values passed through ``device.run(run_args=...)`` (plan, build and tasks all counted).
recompile per point, cached folder
    ``depnet run --set parameters.serotonin.ssri_occupancy=...`` per point into one build folder:
    the values are literals in the generated ``main``, so each point regenerates and recompiles
    it (``make`` reuses the other objects).
recompile per point, fresh folder
    The same with a new build folder per point: a full build per point.

Usage: ``python benchmarks/sweep_compile_once.py [--points N] [--duration "0.5 s"]``; prints one
table with the ratios. Results on the project's 2-core CPU machines:
``benchmarks/results/sweep_compile_once-cpu-2core.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path


def _depnet(*args: str, env: dict) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "depnet", *args], capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        raise SystemExit(f"depnet {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--duration", default="0.5 s")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--no-fresh", action="store_true", help="skip the full-build baseline")
    args = parser.parse_args()
    doses = [round(0.8 * k / max(args.points - 1, 1), 4) for k in range(args.points)]
    settings = {
        "scenario.duration": args.duration,
        "scenario.warmup": "0.1 s",
        "scenario.scale": args.scale,
    }
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="depnet-bench-") as tmp:
        root = Path(tmp)
        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}

        # compile once, run many
        env = {**base_env, "DEPNET_BUILD_ROOT": str(root / "cache-once")}
        sweep = root / "bench.toml"
        lines = "\n".join(f'"{k}" = {v!r}'.replace("'", '"') for k, v in settings.items())
        sweep.write_text(
            textwrap.dedent(
                """
                [sweep]
                name = "bench"
                scenario = "raphe_pfc"
                seeds = [1]
                """
            )
            + f'\n[settings]\n{lines}\n\n[axes]\n"serotonin.ssri_occupancy" = {doses}\n'
        )
        start = time.perf_counter()
        _depnet("sweep", str(sweep), "--executor", "local", "--out", str(root / "once"), env=env)
        timings["compile once + run_args"] = time.perf_counter() - start
        print(f"compile once: {timings['compile once + run_args']:.1f} s", file=sys.stderr)

        sets = [f"{k}={v}" for k, v in settings.items()]
        for label, fresh in (("recompile per point, cached folder", False),
                             ("recompile per point, fresh folder", True)):  # fmt: skip
            if fresh and args.no_fresh:
                continue
            env = {**base_env, "DEPNET_BUILD_ROOT": str(root / f"cache-{fresh}")}
            start = time.perf_counter()
            for k, dose in enumerate(doses):
                extra = ["--build-dir", str(root / f"fresh-{k}")] if fresh else []
                store = root / f"{'fresh' if fresh else 'cached'}-{k}.zarr"
                _depnet(
                    "run", str(_scenario()), "--quiet",
                    *[a for s in sets for a in ("--set", s)],
                    "--set", f"parameters.serotonin.ssri_occupancy={dose}",
                    "--out", str(store), *extra, env=env,
                )  # fmt: skip
            timings[label] = time.perf_counter() - start
            print(f"{label}: {timings[label]:.1f} s", file=sys.stderr, flush=True)

    once = timings["compile once + run_args"]
    print(f"sweep of {args.points} points (serotonin.ssri_occupancy {doses}), raphe_pfc at scale "
          f"{args.scale}, {args.duration} simulated per point, cpp target")  # fmt: skip
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(f"{'method':40s} {'wall s':>8s} {'vs compile once':>16s}")
    for label, seconds in timings.items():
        print(f"{label:40s} {seconds:8.1f} {seconds / once:15.2f}x")


def _scenario() -> Path:
    from depnet.scenarios import scenario_path

    return scenario_path("raphe_pfc")


if __name__ == "__main__":
    main()
