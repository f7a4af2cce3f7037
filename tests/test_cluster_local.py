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
    ("cpus", "cpus_per_task", "throttle", "tasks", "workers"),
    [(16, 4, 16, 12, 4), (16, 1, 2, 12, 2), (2, 1, 8, 12, 2), (2, 4, 8, 12, 1), (16, 1, 8, 3, 3)],
)
def test_the_local_executor_runs_as_many_tasks_at_once_as_the_cpus_hold(
    cpus, cpus_per_task, throttle, tasks, workers
):
    """At cpus_per_task each, never more than array_throttle (Slurm's %N) or the tasks there are."""
    resources = {"cpus_per_task": cpus_per_task, "array_throttle": throttle}
    assert local_workers(resources, tasks, cpus) == workers
