"""Submitting a sweep (Slurm or local), and what became of its points.

A submission skips every point whose store is complete and every point that a previous
submission still has queued or running, so submitting a sweep again is how it is resumed: after
a preemption, a failure, or a change of resources. The local executor runs the same worker
commands on this machine, as many at once as its CPUs hold (:func:`local_workers`), with the
same logs and exit statuses.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from depnet import devices, memory
from depnet.cluster import slurm
from depnet.cluster.errors import SubmitError, SweepError
from depnet.cluster.plan import Plan, make_plan
from depnet.cluster.worker import EXIT_OK, is_complete

STATES = ("done", "running", "pending", "failed", "missing")


@dataclass
class Submission:
    """What one call of :func:`submit` did (or, for a dry run, would do)."""

    plan: Plan
    executor: str
    jobs: list[dict] = field(default_factory=list)
    skipped_done: int = 0
    skipped_active: int = 0
    scripts: dict[str, str] = field(default_factory=dict)  # file name -> text


def _submissions_path(plan: Plan) -> Path:
    return plan.root / "submissions.json"


def submissions(plan: Plan) -> list[dict]:
    try:
        return json.loads(_submissions_path(plan).read_text())
    except FileNotFoundError:
        return []


def _record(plan: Plan, jobs: list[dict]) -> None:
    """Append ``jobs`` to the sweep's submissions, under a lock: two ``depnet sweep`` commands
    on one sweep folder (two shells, two login nodes) keep both their records."""
    path = _submissions_path(plan)
    with open(path.with_name(f"{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(submissions(plan) + jobs, indent=1))
        tmp.replace(path)


def _consistent(plan: Plan) -> Plan:
    """The plan to use: the one already in the sweep folder, if the sweep file is unchanged."""
    existing = plan.root / "plan.json"
    if not existing.exists():
        return plan
    old = Plan.load(plan.root)
    if old.sweep_digest != plan.sweep_digest or [p.id for p in old.points] != [
        p.id for p in plan.points
    ]:
        raise SweepError(
            f"{plan.sweep_file}: changed since it was first submitted to {plan.root}; "
            "give the changed sweep another out folder"
        )
    return old


def point_states(plan: Plan, strict: bool = False) -> dict[str, str]:
    """``done``, ``running``, ``pending``, ``failed`` or ``missing`` for every point (see
    :func:`point_status`)."""
    return {point: state for point, (state, _) in point_status(plan, strict).items()}


def point_status(plan: Plan, strict: bool = False) -> dict[str, tuple[str, str]]:
    """The state of every point and, for a failed one, why.

    ``done``: its store is complete. ``running``, ``pending``: a submission of it is in Slurm's
    queue. ``failed``: its error record (the run raised), or its latest Slurm task ended without
    a store (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, CANCELLED, FAILED: read from sacct or
    the controller). ``missing``: never submitted, or ended so long ago that Slurm forgot how.
    ``depnet sweep`` again submits the failed and missing points, which resume from their
    completed segments.

    Where Slurm's queue cannot be read, points are judged from the files alone, unless
    ``strict`` (before a submission): then a SubmitError, so that nothing queued is submitted
    twice.
    """
    active: dict[str, str] = {}
    ended: dict[str, str] = {}
    records = [s for s in submissions(plan) if s.get("executor") == "slurm"]
    latest = {}  # point -> its task in the latest submission of it
    for record in records:
        for index, point_id in enumerate(record["points"]):
            latest[point_id] = (record["array_job"], f"{record['array_job']}_{index}")
    unsettled = [p for p in plan.points if not is_complete(plan.store_path(p))]
    if records and unsettled:
        jobs = {s["array_job"] for s in records} | {s["build_job"] for s in records}
        try:
            queue = slurm.queue_states(jobs)
        except SubmitError as err:
            if strict:
                raise SubmitError(
                    f"{err}; nothing submitted (queued points might run twice)"
                ) from None
            queue = {}  # no Slurm here: judge from the files alone
        for record in records:
            for index, point_id in enumerate(record["points"]):
                state = queue.get(f"{record['array_job']}_{index}")
                if state in slurm.ACTIVE:
                    active[point_id] = "running" if state == "RUNNING" else "pending"
        gone = {latest[p.id] for p in unsettled if p.id in latest and p.id not in active}
        try:
            finished = slurm.finished_states({job for job, _ in gone})
        except SubmitError:
            finished = {}
        for point_id, (_, task) in latest.items():
            how = finished.get(task, "")
            if point_id not in active and how and not how.startswith("COMPLETED"):
                ended[point_id] = f"Slurm: {how}"
    status = {}
    for point in plan.points:
        if is_complete(plan.store_path(point)):
            status[point.id] = ("done", "")
        elif point.id in active:
            status[point.id] = (active[point.id], "")
        elif plan.error_path(point).exists():
            status[point.id] = ("failed", _error_of(plan, point))
        elif point.id in ended:
            status[point.id] = ("failed", ended[point.id])
        else:
            status[point.id] = ("missing", "")
    return status


def _error_of(plan: Plan, point) -> str:
    try:
        return json.loads(plan.error_path(point).read_text()).get("error", "")
    except (OSError, json.JSONDecodeError):
        return "(unreadable error record)"


def submit(
    sweep_file: str | Path,
    *,
    executor: str = "slurm",
    out: str | Path | None = None,
    dry_run: bool = False,
) -> Submission:
    """Plan a sweep and submit the points that are neither complete nor queued.

    Raises
    ------
    SweepError
        A malformed sweep file, or one that changed since it was first submitted to ``out``.
    SubmitError
        Slurm refused a job.
    """
    if executor not in ("slurm", "local"):
        raise SweepError(f"unknown executor {executor!r}; choose slurm or local")
    plan = make_plan(sweep_file, out)
    if dry_run:
        return _submit(plan, executor, {p.id: "missing" for p in plan.points}, dry_run=True)
    # One submission at a time per sweep folder: two `depnet sweep` commands at once would both
    # find a point missing and both submit it.
    plan.root.mkdir(parents=True, exist_ok=True)
    with open(plan.root / "submit.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        plan = _consistent(plan)
        return _submit(plan, executor, point_states(plan, strict=executor == "slurm"))


def _submit(plan: Plan, executor: str, states: dict[str, str], dry_run: bool = False) -> Submission:
    result = Submission(plan, executor)
    result.skipped_done = sum(s == "done" for s in states.values())
    result.skipped_active = sum(s in ("running", "pending") for s in states.values())
    todo = {g.id: [p for p in plan.points if p.group == g.id and states[p.id] in
                   ("missing", "failed")] for g in plan.groups}  # fmt: skip
    if not any(todo.values()):
        return result
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    if not dry_run:
        plan.save()
        (plan.slurm_dir / "logs").mkdir(parents=True, exist_ok=True)
    for group in plan.groups:
        points = todo[group.id]
        if not points:
            continue
        tag = f"{group.id}-{stamp}"
        task_list = plan.slurm_dir / f"{tag}.tasks.json"
        build = slurm.build_script(plan, group)
        array = slurm.array_script(plan, group, task_list, len(points))
        result.scripts[f"{group.id}-build.sbatch"] = build
        result.scripts[f"{tag}.sbatch"] = array
        job = {
            "tag": tag, "executor": executor, "group": group.id, "points": [p.id for p in points],
            "task_list": str(task_list), "submitted": dt.datetime.now(dt.UTC).isoformat(),
        }  # fmt: skip
        result.jobs.append(job)
        if dry_run:
            continue
        for point in points:  # a new attempt: the old error record no longer describes it
            plan.error_path(point).unlink(missing_ok=True)
        task_list.write_text(json.dumps(job["points"]))
        build_path = plan.slurm_dir / f"{tag}.build.sbatch"
        array_path = plan.slurm_dir / f"{tag}.sbatch"
        build_path.write_text(build)
        array_path.write_text(array)
        if executor == "slurm":
            job["build_job"] = slurm.sbatch(build_path)
            job["array_job"] = slurm.sbatch(array_path, dependency=job["build_job"])
        else:
            job["exit_statuses"] = _run_locally(plan, group.id, task_list, len(points), tag)
        _record(plan, [job])
    return result


def local_workers(
    resources: dict,
    n_tasks: int,
    *,
    cpus: int | None = None,
    gpus: int | None = None,
    host_bytes: float | None = None,
) -> int:
    """How many tasks the local executor runs at once: as many as this machine holds, each
    taking ``max(cpus_per_task, threads)`` of its ``cpus``, ``mem`` of its ``host_bytes``
    and, where ``gpus`` is given (a cuda sweep: the GPUs here), ``gpus`` of them; at most
    ``array_throttle`` (as Slurm's ``%N``); at least one."""
    cpus = cpus if cpus is not None else len(os.sched_getaffinity(0))
    per_task = max(resources.get("cpus_per_task", 1), resources.get("threads", 0) or 1)
    caps = [cpus // per_task, resources.get("array_throttle", n_tasks), n_tasks]
    if gpus is not None and resources.get("gpus", 0) > 0:
        caps.append(gpus // resources["gpus"])
    if host_bytes is not None and resources.get("mem"):
        mem = resources["mem"] + ("M" if resources["mem"].isdigit() else "")  # Slurm's unit: MB
        caps.append(int(host_bytes // memory.parse_size(mem)))
    return max(1, min(caps))


def _run_locally(plan: Plan, group: str, task_list: Path, n: int, tag: str) -> list[int]:
    """The local executor: the build, then the tasks, :func:`local_workers` at a time, each in
    a fresh interpreter (as on a node: a task that crashes takes nothing else down)."""
    logs = plan.slurm_dir / "logs"
    worker = [sys.executable, "-m", "depnet.cluster.worker"]

    def run(args: list[str], log: Path) -> int:
        with open(log, "a") as handle:
            return subprocess.run(
                args, stdout=handle, stderr=subprocess.STDOUT, cwd=plan.out
            ).returncode

    status = run([*worker, "build", plan.out, group], logs / f"{tag}-build.out")
    if status != EXIT_OK:
        raise SubmitError(f"build of group {group} failed; see {logs / f'{tag}-build.out'}")

    def task(i: int) -> int:
        return run([*worker, "task", plan.out, str(task_list), str(i)], logs / f"{tag}_{i}.out")

    host = memory.host_limit()
    gpus = len(devices.detect_compute_capabilities()) if plan.target == "cuda" else None
    workers = local_workers(plan.resources, n, gpus=gpus, host_bytes=host.bytes if host else None)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(task, range(n)))


def describe(result: Submission) -> str:
    """The plan and the jobs of a submission, for people (``depnet sweep --dry-run``)."""
    plan = result.plan
    structural = _structure_axes(plan)
    segments = f"segments of {plan.segment}" if plan.segment else "the scenario's segments"
    lines = [
        f"sweep {plan.name}: {len(plan.points)} points ({_grid(plan)} x {len(plan.seeds)} seeds), "
        f"{len(plan.groups)} structure groups, {plan.target}, {segments}",
        f"out: {plan.out}",
    ]
    for group in plan.groups:
        ref = plan.combination_values(group.reference)
        label = ", ".join(f"{k}={ref[k]}" for k in structural) or "one structure"
        lines.append(
            f"  {group.id} [{label}]: {len(group.combinations)} parameter points x "
            f"{len(plan.seeds)} seeds; one build ({group.fingerprint})"
        )
    if result.skipped_done or result.skipped_active:
        lines.append(f"skipped: {result.skipped_done} done, {result.skipped_active} queued/running")
    if not result.jobs:
        lines.append("nothing to submit")
    for job in result.jobs:
        ids = f" (build {job['build_job']}, array {job['array_job']})" if "build_job" in job else ""
        lines.append(f"job: {job['group']}: build + array of {len(job['points'])} tasks{ids}")
    return "\n".join(lines)


def _grid(plan: Plan) -> str:
    return " x ".join(str(len(v)) for v in plan.axes.values())


def _structure_axes(plan: Plan) -> list[str]:
    """Axes whose values differ between groups' reference points."""
    refs = [plan.combination_values(g.reference) for g in plan.groups]
    return [k for k in plan.axes if len({repr(r[k]) for r in refs}) > 1]


def status_table(plan: Plan) -> str:
    """Counts per state, and every failed point with why it failed."""
    status = point_status(plan)
    counts = {s: sum(v == s for v, _ in status.values()) for s in STATES}
    lines = [f"sweep {plan.name}: " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    for point in plan.points:
        state, why = status[point.id]
        if state == "failed":
            lines.append(f"  failed {point.id} {point.values} seed {point.seed}: {why}")
    return "\n".join(lines)


def open_plan(sweep: str | Path) -> Plan:
    """The plan of a sweep, given its folder or its sweep file."""
    path = Path(sweep)
    if path.is_dir():
        return Plan.load(path)
    if path.is_file():
        from depnet.cluster.plan import default_out
        from depnet.cluster.sweep_spec import load_sweep

        return Plan.load(default_out(load_sweep(path)))
    raise SweepError(f"{path}: no such sweep file or folder")
