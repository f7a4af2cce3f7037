"""The local executor: the same worker tasks run here; a failing point does not stop the others."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from depnet.cluster.collect import collect_sweep
from depnet.cluster.submit import local_workers, open_plan, point_states, submit
from tests.conftest import depnet_cli
from tests.sweep_files import check_ketamine_grid, ketamine_grid


def test_a_diverging_point_fails_with_its_error_and_the_others_complete(tmp_path):
    sweep = tmp_path / "local.toml"
    sweep.write_text(
        textwrap.dedent(
            """
            [sweep]
            name = "local"
            scenario = "raphe_pfc"
            seeds = [1]
            segment = "0.2 s"

            [settings]
            "scenario.duration" = "0.4 s"
            "scenario.warmup" = "0.1 s"
            "scenario.scale" = 0.2
            # A non-integer Hill coefficient is fine for any [5-HT] >= 0 ...
            "serotonin.hill_5ht1a" = 1.5

            [axes]
            "serotonin.ssri_occupancy" = [0.0, 0.8]
            # ... but a SERT Vmax this large passes validation (no upper bound) and makes the
            # explicit Euler step overshoot [5-HT] below zero: the run diverges (NaN occupancy).
            "serotonin.vmax_sert" = ["180 nM/s", "1e9 nM/s"]
            """
        )
    )
    out = tmp_path / "out"
    cli = depnet_cli("sweep", str(sweep), "--executor", "local", "--out", str(out))
    assert cli.returncode == 1, cli.stderr
    assert "2 point(s) failed" in cli.stdout
    plan = open_plan(out)
    states = point_states(plan)
    assert states == {"p0000-s1": "done", "p0001-s1": "failed",
                      "p0002-s1": "done", "p0003-s1": "failed"}  # fmt: skip
    record = json.loads(plan.error_path(plan.point("p0001-s1")).read_text())
    assert record["error"].startswith("raphe_pfc: simulation diverged: occupancy_5ht1a is not")
    assert record["values"]["parameters.serotonin.vmax_sert"] == "1e9 nM/s"
    assert not plan.store_path(plan.point("p0001-s1")).exists()
    status = depnet_cli("status", str(out))
    assert "2 done, 0 running, 0 pending, 2 failed" in status.stdout
    assert "failed p0001-s1" in status.stdout and "simulation diverged" in status.stdout

    data = collect_sweep(plan)
    assert data["status"].dims == ("serotonin.ssri_occupancy", "serotonin.vmax_sert", "seed")
    # coordinates in SI units (mol/m^3/s), with the unit beside them
    np.testing.assert_allclose(data["serotonin.vmax_sert"].values, [1.8e-4, 1e3])
    assert data["serotonin.vmax_sert"].attrs["units"]
    assert np.isnan(data["rate"].isel({"serotonin.vmax_sert": 1})).all()
    assert np.isfinite(data["rate"].isel({"serotonin.vmax_sert": 0})).all()


def test_a_ketamine_dose_by_onset_grid_over_three_seeds_locally(tmp_path):
    result = submit(ketamine_grid(tmp_path), executor="local", out=tmp_path / "local")
    assert all(s == 0 for job in result.jobs for s in job["exit_statuses"])
    check_ketamine_grid(result.plan)


@pytest.mark.parametrize(
    ("resources", "tasks", "workers"),
    [
        ({"cpus_per_task": 4, "array_throttle": 16}, 12, 4),  # 16 CPUs at 4 each
        ({"cpus_per_task": 1, "array_throttle": 2}, 12, 2),  # Slurm's %2
        ({"cpus_per_task": 1, "threads": 8}, 12, 2),  # OpenMP threads count as CPUs
        ({"cpus_per_task": 32}, 12, 1),  # more than there are: one at a time
        ({"cpus_per_task": 1}, 3, 3),  # no more than there are tasks
        ({"cpus_per_task": 1, "mem": "20G"}, 12, 3),  # 64 GiB at 20 GiB each
        ({"cpus_per_task": 1, "mem": "40960"}, 12, 1),  # Slurm's unit: MB
        ({"cpus_per_task": 1, "gpus": 1}, 12, 2),  # a cuda sweep on 2 GPUs
    ],
)
def test_the_local_executor_runs_as_many_tasks_at_once_as_the_machine_holds(
    resources, tasks, workers
):
    """At cpus_per_task (or threads) CPUs, mem and gpus each, never more than array_throttle
    (Slurm's %N) or the tasks there are; here 16 CPUs, 64 GiB and 2 GPUs."""
    found = local_workers(resources, tasks, cpus=16, gpus=2, host_bytes=64 * 2**30)
    assert found == workers
