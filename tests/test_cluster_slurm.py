"""Sweeps on a real single-node Slurm: job arrays per structure group, resubmission, resume.

The session starts Slurm itself (tests/slurm_fixture.py). Builds are shared through the session's
build cache: both structure groups (scale 0.2 and 0.3) compile once per seed for all tests here
and in test_cluster_local.py.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import numpy as np
import pytest

from depnet.analysis import mean_serotonin, open_run, population_rates
from depnet.cluster.collect import collect_sweep
from depnet.cluster.plan import Plan
from depnet.cluster.submit import point_states, submit
from depnet.cluster.worker import completed_segments
from tests.conftest import depnet_cli
from tests.slurm_fixture import slurm_cluster  # noqa: F401  (session fixture)

RESOURCES = """
[resources]
gpus = 1
cpus_per_task = 1
mem = "1G"
time = "00:20:00"
array_throttle = 2
build_cpus = 2
"""


def write_sweep(path, name, axes, seeds="[1, 2]", duration="0.4 s"):
    path.write_text(
        textwrap.dedent(
            f"""
            [sweep]
            name = "{name}"
            scenario = "raphe_pfc"
            seeds = {seeds}
            segment = "0.2 s"

            [settings]
            "scenario.duration" = "{duration}"
            "scenario.warmup" = "0.1 s"

            [axes]
            """
        )
        + textwrap.dedent(axes)
        + RESOURCES
    )
    return path


def wait_until_settled(plan: Plan, timeout: float = 600) -> dict[str, str]:
    """Poll until no point is pending or running (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = point_states(plan)
        if not any(s in ("pending", "running") for s in states.values()):
            return states
        time.sleep(2)
    raise AssertionError(f"sweep did not settle in {timeout} s: {point_states(plan)}")


@pytest.fixture(scope="module")
def grid(slurm_cluster, tmp_path_factory):  # noqa: F811
    """2 structure groups (scale) x 3 SSRI doses x 2 seeds, submitted to Slurm and finished."""
    folder = tmp_path_factory.mktemp("grid")
    sweep = write_sweep(
        folder / "grid.toml", "grid",
        """
        "scenario.scale" = [0.2, 0.3]
        "serotonin.ssri_occupancy" = [0.0, 0.4, 0.8]
        """,
    )  # fmt: skip
    started = time.monotonic()
    result = submit(sweep, executor="slurm", out=folder / "out")
    states = wait_until_settled(result.plan)
    return sweep, result, states, time.monotonic() - started


def test_grid_runs_as_one_job_array_per_structure_group(grid):
    sweep, result, states, _ = grid
    plan = result.plan
    assert len(plan.groups) == 2 and len(plan.points) == 12
    assert set(states.values()) == {"done"}, states
    assert [len(job["points"]) for job in result.jobs] == [6, 6]
    for job in result.jobs:
        script = (plan.slurm_dir / f"{job['tag']}.sbatch").read_text()
        assert "#SBATCH --array=0-5%2" in script and "#SBATCH --gres=gpu:1" in script
        logs = sorted((plan.slurm_dir / "logs").glob(f"{job['group']}-{job['array_job']}_*.out"))
        assert len(logs) == 6  # one log per task
        assert all("store written" in log.read_text() for log in logs)
    # every point ran on the binary of its group and seed: one build per (group, seed)
    builds = {open_run(plan.store_path(p)).attrs["sweep"]["build_dir"] for p in plan.points}
    assert len(builds) == 4


def test_collect_gives_the_sweep_axes_as_coordinates(grid):
    _, result, _, _ = grid
    data = collect_sweep(result.plan)
    assert data["rate"].dims == ("scenario.scale", "serotonin.ssri_occupancy", "seed", "population")
    np.testing.assert_allclose(data["scenario.scale"].values, [0.2, 0.3])
    np.testing.assert_allclose(data["serotonin.ssri_occupancy"].values, [0.0, 0.4, 0.8])
    assert list(data["seed"].values) == [1, 2]
    assert (data["status"] == "done").all()
    assert np.isfinite(data["rate"]).all() and np.isfinite(data["c_5ht"]).all()
    # run_args reached the binary: blocking SERT raises [5-HT] at every scale and seed
    c = data["c_5ht"].mean("region")
    assert (
        c.sel({"serotonin.ssri_occupancy": 0.8}) > c.sel({"serotonin.ssri_occupancy": 0.0})
    ).all()
    cli = depnet_cli("collect", str(result.plan.out))
    assert cli.returncode == 0 and "12 of 12 points" in cli.stdout
    status = depnet_cli("status", str(result.plan.out))
    assert status.returncode == 0 and "12 done, 0 running, 0 pending, 0 failed" in status.stdout


def test_a_second_submission_submits_nothing(grid):
    sweep, result, _, _ = grid
    again = submit(sweep, executor="slurm", out=result.plan.out)
    assert again.jobs == [] and again.skipped_done == 12
    assert len(json.loads((result.plan.root / "submissions.json").read_text())) == 2


def _schema(tree) -> dict:
    return {
        node.path: {name: var.shape for name, var in node.dataset.variables.items()}
        for node in tree.subtree
    }


def test_a_killed_task_resumes_from_its_last_segment(slurm_cluster, tmp_path):  # noqa: F811
    sweep = write_sweep(
        tmp_path / "resume.toml", "resume", '"serotonin.ssri_occupancy" = [0.4]\n'
        '"scenario.scale" = [0.2]\n', seeds="[1]", duration="4 s",
    )  # fmt: skip
    first = submit(sweep, executor="slurm", out=tmp_path / "killed")
    plan = first.plan
    (point,) = plan.points
    work = plan.work_dir(point)
    deadline = time.monotonic() + 400
    while completed_segments(work, plan.n_segments) < 3:
        assert time.monotonic() < deadline, "the task never got past its third segment"
        assert point_states(plan)[point.id] != "done", "finished before it could be killed"
        time.sleep(0.2)
    # SIGKILL, the worst case: no handler runs, a segment may be half written
    pid = int((work / ".lock").read_text().split()[1])
    os.kill(pid, signal.SIGKILL)
    states = wait_until_settled(plan, timeout=120)
    assert states[point.id] == "missing"  # no store, no error record: killed
    assert not plan.store_path(point).exists()
    done_before = completed_segments(work, plan.n_segments)
    assert 3 <= done_before < plan.n_segments

    second = submit(sweep, executor="slurm", out=plan.out)
    assert [j["points"] for j in second.jobs] == [[point.id]]
    assert wait_until_settled(plan)[point.id] == "done"
    resumed = open_run(plan.store_path(point))
    assert resumed.attrs["sweep"]["resumed_from_segment"] >= done_before
    log = (plan.slurm_dir / "logs" / f"g0-{second.jobs[0]['array_job']}_0.out").read_text()
    assert f"resuming after segment {resumed.attrs['sweep']['resumed_from_segment'] - 1}" in log

    # The same point, uninterrupted (same build, local executor): same store, same statistics.
    local = submit(sweep, executor="local", out=tmp_path / "uninterrupted")
    whole = open_run(local.plan.store_path(local.plan.points[0]))
    assert whole.attrs["status"] == resumed.attrs["status"] == "complete"
    assert _schema(whole) == _schema(resumed)
    assert set(whole.attrs) == set(resumed.attrs)
    np.testing.assert_allclose(population_rates(resumed), population_rates(whole), rtol=1e-6)
    np.testing.assert_allclose(mean_serotonin(resumed), mean_serotonin(whole), rtol=1e-6)
