"""Sweeps on a real single-node Slurm: job arrays per structure group, resubmission, resume.

The session starts Slurm itself where it is installed (tests/slurm_fixture.py). Builds are shared
through the tests' build cache: each structure group (scale 0.2 and 0.3) compiles once, for
every parameter, intervention, trait and seed of it, for all tests here and in
test_cluster_local.py.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time

import numpy as np
import pytest

from depnet.analysis import mean_serotonin, open_run
from depnet.cluster.collect import collect_sweep
from depnet.cluster.errors import SubmitError
from depnet.cluster.plan import Plan
from depnet.cluster.slurm import finished_states, slurm_environment
from depnet.cluster.submit import point_states, point_status, submit
from depnet.run import completed_segments, segments, work_lock
from tests.conftest import ROOT, depnet_cli
from tests.slurm_fixture import cancel_own_jobs, own_jobs, slurm_cluster  # noqa: F401
from tests.sweep_files import RESOURCES, check_ketamine_grid, ketamine_grid


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
    """Poll until no point is pending or running, twice in a row with Slurm's queue read (a
    requeued task passes through states for a moment; a busy controller may not answer), or
    fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    settled = None
    while time.monotonic() < deadline:
        try:
            states = point_states(plan, strict=True)
        except SubmitError:
            states = None
        if states is not None and not any(s in ("pending", "running") for s in states.values()):
            if states == settled:
                return states
            settled = states
        else:
            settled = None
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
        silent = {log.name: log.read_text()[-1500:] for log in logs
                  if "store written" not in log.read_text()}  # fmt: skip
        assert not silent, silent
    # every point ran on the binary of its group, whatever its dose and seed: one build a group
    builds = {open_run(plan.store_path(p)).attrs["run"]["build_dir"] for p in plan.points}
    assert len(builds) == 2


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


def _spikes(tree) -> dict:
    return {
        pop: (node.dataset["neuron"].values, node.dataset["time"].values)
        for pop, node in tree["spikes"].children.items()
    }


def test_a_killed_task_resumes_from_its_last_segment(slurm_cluster, tmp_path):  # noqa: F811
    """SIGKILL of a task part-way (``scancel --signal=KILL``): the point shows as failed with how
    Slurm saw it end; on resubmission the task resumes after its last complete segment, and its
    store equals an uninterrupted run's, spike for spike."""
    sweep = write_sweep(
        tmp_path / "resume.toml", "resume", '"serotonin.ssri_occupancy" = [0.4]\n'
        '"scenario.scale" = [0.2]\n', seeds="[1]", duration="4 s",
    )  # fmt: skip
    first = submit(sweep, executor="slurm", out=tmp_path / "killed")
    plan = first.plan
    (point,) = plan.points
    work = plan.work_dir(point)
    n = len(segments(plan.point_scenario(point)))
    deadline = time.monotonic() + 400
    while completed_segments(work, n) < 3:
        assert time.monotonic() < deadline, "the task never got past its third segment"
        assert point_states(plan)[point.id] != "done", "finished before it could be killed"
        time.sleep(0.2)
    # SIGKILL, the worst case: no handler runs, a segment may be half written
    assert work_lock(work).read_text().split()[1].isdigit()  # the task holds its work folder
    task = f"{first.jobs[0]['array_job']}_0"
    subprocess.run(
        ["scancel", "--full", "--signal=KILL", task], check=True, env=slurm_environment()
    )
    wait_until_settled(plan, timeout=120)
    state, why = point_status(plan)[point.id]
    assert state == "failed" and why.startswith("Slurm: "), (state, why)  # how it ended
    assert not plan.store_path(point).exists()
    status = depnet_cli("status", str(plan.out))
    assert f"failed {point.id}" in status.stdout and why in status.stdout, status.stdout
    done_before = completed_segments(work, n)
    assert 3 <= done_before < n

    second = submit(sweep, executor="slurm", out=plan.out)
    assert [j["points"] for j in second.jobs] == [[point.id]]
    assert wait_until_settled(plan)[point.id] == "done"
    resumed = open_run(plan.store_path(point))
    assert resumed.attrs["run"]["resumed_from_segment"] >= done_before
    log = (plan.slurm_dir / "logs" / f"g0-{second.jobs[0]['array_job']}_0.out").read_text()
    assert f"resuming after segment {resumed.attrs['run']['resumed_from_segment']} of {n}" in log

    # The same point, uninterrupted (same build, local executor): the same store.
    local = submit(sweep, executor="local", out=tmp_path / "uninterrupted")
    whole = open_run(local.plan.store_path(local.plan.points[0]))
    assert whole.attrs["status"] == resumed.attrs["status"] == "complete"
    assert _schema(whole) == _schema(resumed)
    for pop, (neuron, t) in _spikes(whole).items():
        np.testing.assert_array_equal(_spikes(resumed)[pop][0], neuron)
        np.testing.assert_array_equal(_spikes(resumed)[pop][1], t)
    np.testing.assert_array_equal(mean_serotonin(resumed), mean_serotonin(whole))


@pytest.mark.slow  # minutes of simulated work across two allocations: the slow stage of .ci/run
def test_a_task_that_reaches_its_time_limit_requeues_itself_and_finishes(slurm_cluster, tmp_path):  # noqa: F811
    """Slurm warns a task ``warning_s`` before its time limit (SIGUSR1 to the batch shell that
    the worker replaced): the task keeps its completed segments and requeues itself, and the next
    allocation resumes from them. A point longer than one allocation (here a 3-minute limit,
    warned 60 s before it: Slurm warns 60 to 120 s into each allocation, as it may warn up to
    60 s early) completes without a resubmission."""
    sweep = tmp_path / "long.toml"
    sweep.write_text(
        textwrap.dedent(
            """
            [sweep]
            name = "long"
            scenario = "raphe_pfc"
            seeds = [1]
            segment = "10 s"

            [settings]
            "scenario.duration" = "3200 s"  # ~200 s of work: outlasts the latest first warning
            "scenario.warmup" = "1 s"
            "record.rate_bin" = "100 ms"
            "record.trace_dt" = "100 ms"
            "record.serotonin_dt" = "100 ms"

            [axes]
            "serotonin.ssri_occupancy" = [0.4]

            [resources]
            cpus_per_task = 1
            mem = "2G"
            time = "00:03:00"
            warning_s = 60
            build_cpus = 2
            """
        )
    )
    result = submit(sweep, executor="slurm", out=tmp_path / "out")
    script = (result.plan.slurm_dir / f"{result.jobs[0]['tag']}.sbatch").read_text()
    assert "#SBATCH --signal=B:USR1@60" in script
    (point,) = result.plan.points
    assert wait_until_settled(result.plan, timeout=1100)[point.id] == "done"
    assert len(json.loads((result.plan.root / "submissions.json").read_text())) == 1  # no resubmit
    log = (result.plan.slurm_dir / "logs" / f"g0-{result.jobs[0]['array_job']}_0.out").read_text()
    assert "time limit near; completed segments are kept; requeued" in log, log[-2000:]
    tree = open_run(result.plan.store_path(point))
    assert tree.attrs["run"]["resumed_from_segment"] > 0
    assert tree.attrs["duration_s"] == 3200.0


@pytest.mark.slow  # the same grid runs locally in the default suite (test_cluster_local.py)
def test_a_ketamine_dose_by_onset_grid_over_three_seeds_on_slurm(slurm_cluster, tmp_path):  # noqa: F811
    """Sweeps take interventions: 2 doses x 2 onsets x 3 seeds, one build, one job array."""
    result = submit(ketamine_grid(tmp_path), executor="slurm", out=tmp_path / "slurm")
    assert set(wait_until_settled(result.plan).values()) == {"done"}
    check_ketamine_grid(result.plan)


def test_the_fixture_cancels_only_its_own_jobs_by_id(slurm_cluster, tmp_path):  # noqa: F811
    """At the end of the session the fixture cancels, by id, the jobs its own controller knows
    (it was started for this session with an empty state), never all jobs of a user."""
    script = tmp_path / "sleep.sbatch"
    script.write_text(
        "#!/bin/bash\n#SBATCH --time=00:05:00\n#SBATCH --output=/dev/null\nsleep 300\n"
    )
    submitted = subprocess.run(
        ["sbatch", "--parsable", str(script)], capture_output=True, text=True,
        env=slurm_environment(),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip()
    conf = slurm_cluster / "slurm.conf"
    assert job in own_jobs(conf)
    assert job in cancel_own_jobs(conf)
    deadline = time.monotonic() + 30
    while job in own_jobs(conf):
        assert time.monotonic() < deadline, "the job was not cancelled"
        time.sleep(0.5)


def test_a_second_slurm_beside_the_sessions_leaves_it_running(slurm_cluster, tmp_path):  # noqa: F811
    """Two test sessions (two xdist workers with a Slurm test file each) start a Slurm each: each
    has its own ports and munge socket, so stopping one leaves the other taking jobs."""
    env = slurm_environment()
    other = tmp_path / "other"
    started = subprocess.run(
        [str(ROOT / ".ci" / "slurm.sh"), "start", str(other)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        ours = (slurm_cluster / "slurm.conf").read_text()
        theirs = (other / "slurm.conf").read_text()
        for key in ("SlurmctldPort=", "SlurmdPort=", "AuthInfo="):
            line = next(x for x in ours.splitlines() if x.startswith(key))
            assert line not in theirs.splitlines(), line
    finally:
        subprocess.run([str(ROOT / ".ci" / "slurm.sh"), "stop", str(other)], timeout=60, env=env)
    script = tmp_path / "true.sbatch"
    script.write_text("#!/bin/bash\n#SBATCH --time=00:01:00\n#SBATCH --output=/dev/null\ntrue\n")
    submitted = subprocess.run(
        ["sbatch", "--parsable", str(script)], capture_output=True, text=True, env=env
    )
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip()
    deadline = time.monotonic() + 90
    while (ended := finished_states({job})).get(job) != "COMPLETED":  # our slurmd ran it
        assert time.monotonic() < deadline, f"job {job} did not complete: {ended}"
        time.sleep(1)
