"""Cost of each learning rule: wall time per simulated second with the rule / without it.

Every variant is the default raphe-PFC scenario with one rule set on the PFC recurrent excitatory
projection (sgacc_exc -> sgacc_exc, 32,000 synapses in the raphe-sgACC loop), run through the run
engine on the same target one after the other in this one process, each variant its own build (a
rule changes the network's code). Wall time is the simulation's: on cpp and cuda the simulation
loop as the binary times it (the run's ``wall_time_loop_s``), on runtime the network's run
(``Timings.run_s``); build time is reported apart. Structural plasticity doubles the
projection's synapses (a pool of 2 x in-degree potential synapses per cell) and its cost includes
the absent ones, which still receive every presynaptic spike.

Usage::

    .venv/bin/python benchmarks/plasticity_cost.py [--duration "5 s"] [--device cpp]
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

VARIANTS: dict[str, list[str]] = {
    "static": [],
    "stdp_additive": ["stdp_additive"],
    "stdp_multiplicative": ["stdp_multiplicative"],
    "stdp_triplet": ["stdp_triplet"],
    "structural": ["structural"],
    "stdp_additive+structural": ["stdp_additive", "structural"],
}


def spec_for(rules: list[str], duration: str):
    settings = {"scenario.duration": duration, "scenario.name": "plasticity_cost"}
    if rules:
        settings["plasticity.sgacc_exc_to_sgacc_exc.rules"] = rules
        if any(r.startswith("stdp") for r in rules):
            settings["parameters.plasticity.sgacc_exc_to_sgacc_exc.w_max"] = "0.6 nS"
    return load_scenario(scenario_path("raphe_pfc"), settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="5 s", help="simulated time per run")
    parser.add_argument("--device", default="cpp", choices=["runtime", "cpp", "cuda"])
    args = parser.parse_args()

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, rules in VARIANTS.items():
            spec = spec_for(rules, args.duration)
            simulated = float(spec.scenario.duration / b2.second)
            # out: the work folder of a run that writes no store stays there (here: in tmp)
            result = run_scenario(
                spec, device=args.device, out=Path(tmp) / f"{name}.zarr",
                root=Path(tmp) / "build", write=False, progress=False,
            )  # fmt: skip
            run_s = result.info.get("wall_time_loop_s", result.timings.run_s)
            rows[name] = (run_s / simulated, result.timings.build_s)

    print(
        f"measured {datetime.date.today()} on {platform.node()}, {os.cpu_count()} cores, "
        f"{args.device}, {args.duration} simulated per variant, brian2 {b2.__version__}"
    )
    print(
        f"{'rule on sgacc_exc_to_sgacc_exc':<31}{'wall s / sim s':>16}{'x static':>10}"
        f"{'build s':>9}"
    )
    base = rows["static"][0]
    for name, (wall, build) in rows.items():
        print(f"{name:<28}{wall:>16.3f}{wall / base:>10.2f}{build:>9.1f}")


if __name__ == "__main__":
    main()
