"""Sweep files shared by the Slurm and local executor tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from depnet.analysis import open_run
from depnet.cluster.collect import collect_sweep
from depnet.cluster.plan import Plan
from tests.conftest import ROOT

RESOURCES = """
[resources]
gpus = 1
cpus_per_task = 1
mem = "1G"
time = "00:20:00"
array_throttle = 2
build_cpus = 2
"""


KETAMINE_SCENARIO = f"""
extends = "{ROOT / "scenarios" / "raphe_pfc_plastic.toml"}"
[scenario]
name = "loop_ketamine"
duration = "0.6 s"
warmup = "0.1 s"
scale = 0.5
[[interventions]]
kind = "ketamine"
start = "0.2 s"
"""


def ketamine_grid(tmp_path: Path) -> Path:
    """A sweep of ketamine x onset x three seeds on a half-scale plastic raphe-PFC loop, the
    dose as its block on interneurons (the shortcut, whose effect on their firing is large)."""
    (tmp_path / "loop_ketamine.toml").write_text(KETAMINE_SCENARIO)
    sweep = tmp_path / "ketamine.toml"
    sweep.write_text(
        textwrap.dedent(
            """
            [sweep]
            name = "ketamine"
            scenario = "loop_ketamine.toml"
            seeds = [1, 2, 3]
            segment = "0.3 s"

            [axes]
            "interventions.ketamine.block_interneurons" = [0.3, 0.6]   # the block (shortcut)
            "interventions.ketamine.start" = ["0.2 s", "0.3 s"]        # the onset
            """
        )
        + RESOURCES
    )
    return sweep


def check_ketamine_grid(plan: Plan) -> None:
    """The grid collected: one build, axes as coordinates with units, the dose in the binary."""
    assert len(plan.groups) == 1 and len(plan.points) == 12
    data = collect_sweep(plan)
    assert data["rate"].dims == ("ketamine.block_interneurons", "ketamine.start", "seed",
                                 "population")  # fmt: skip
    np.testing.assert_allclose(data["ketamine.block_interneurons"].values, [0.3, 0.6])
    np.testing.assert_allclose(data["ketamine.start"].values, [0.2, 0.3])
    assert data["ketamine.start"].attrs["units"] == "s"
    assert (data["status"] == "done").all() and np.isfinite(data["rate"]).all()
    builds = {open_run(plan.store_path(p)).attrs["run"]["build_dir"] for p in plan.points}
    assert len(builds) == 1
    # the dose reached the binary: more NMDA block, less interneuron firing after the onset
    inh = data["rate"].sel(population="sgacc_inh")
    assert (inh.sel({"ketamine.block_interneurons": 0.6})
            < inh.sel({"ketamine.block_interneurons": 0.3})).mean() > 0.5  # fmt: skip
