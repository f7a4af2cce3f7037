"""What runs on a node: build a group once, run one point, in segments, with the run engine.

Entry points (what the batch scripts call)::

    python -m depnet.cluster.worker build SWEEP_DIR GROUP
    python -m depnet.cluster.worker task SWEEP_DIR TASK_LIST [INDEX]   # INDEX: $SLURM_ARRAY_TASK_ID

Exit status: 0 the point is complete (or already was), 1 the point failed (its error record is
written beside its store), 2 bad input (no such sweep folder, task or group), 3 a build failed,
75 interrupted (SIGTERM: preemption, time limit, scancel; SIGUSR1: Slurm's warning before the
time limit, after which the task requeues itself; completed segments are kept and a requeued or
resubmitted task resumes from them).

A point runs exactly as ``depnet run`` runs a scenario (:func:`depnet.run.run_point`): the
group's binary, the point's network data and schedule, segments that each continue the last
and are kept in ``work/<point>/`` until the store is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import sys
import time
import traceback
from pathlib import Path

from depnet import devices
from depnet.cluster import slurm
from depnet.cluster.errors import PointError, SweepError
from depnet.cluster.plan import Group, Plan, Point
from depnet.errors import DepnetError
from depnet.run import ensure_build, find_build, is_complete, network_data, run_and_store

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 75


def _log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def build_group(plan: Plan, group: Group) -> Path:
    """Compile a group's network (once for all its points and seeds); skip an existing build."""
    spec = plan.reference_scenario(group)
    root = Path(plan.build_root)
    data = network_data(spec, plan.target, root)
    if data.fingerprint != group.fingerprint:
        raise SweepError(f"group {group.id}: its reference network changed since it was planned")
    started = time.perf_counter()
    build = ensure_build(spec, data, plan.options, root, log=_log)
    _log(f"{group.id}: build ready in {build.folder} ({time.perf_counter() - started:.1f} s)")
    return build.folder


def run_point_of_plan(plan: Plan, point: Point) -> str:
    """Simulate one point and write its store; ``"skipped"`` if it is complete already.

    Raises
    ------
    PointError
        If the point's build is missing or has another structure.
    """
    store = plan.store_path(point)
    if is_complete(store):
        _log(f"{point.id}: complete already ({store})")
        return "skipped"
    started = time.perf_counter()
    spec = plan.point_scenario(point)
    root = Path(plan.build_root)
    data = network_data(spec, plan.target, root)
    build = find_build(data, plan.options, root)
    cc = plan.options.compute_capability
    gpus = devices.detect_compute_capabilities() if cc is not None else []
    if gpus and min(gpus) < cc:
        raise PointError(
            f"the GPU here has compute capability {min(gpus):.1f}; the sweep builds for "
            f"{cc:.1f}: set resources.compute_capability"
        )
    if build is None:
        raise PointError(
            f"no build of its network structure (group {point.group}) under {root}: its group's "
            "build failed or has not run, or two axes change the structure only together (then "
            "plan them in separate sweeps)"
        )
    sweep = {
        "name": plan.name, "point": point.id, "group": point.group, "seed": point.seed,
        "values": point.values, "slurm_job": os.environ.get("SLURM_JOB_ID"),
    }  # fmt: skip
    run_and_store(
        spec, build, data, plan.work_dir(point), store, log=_log, overwrite=True,
        discard_other=True,  # segments of an older build cannot resume: start the point again
        started=started, attrs={"sweep": sweep},
    )  # fmt: skip
    plan.error_path(point).unlink(missing_ok=True)
    _log(f"{point.id}: store written ({store})")
    return "done"


def write_error(plan: Plan, point: Point, err: BaseException) -> Path:
    """The error record of a failed point, beside where its store would be (atomic)."""
    path = plan.error_path(point)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "point": point.id, "group": point.group, "seed": point.seed, "values": point.values,
        "error": str(err) or type(err).__name__, "type": type(err).__name__,
        "traceback": traceback.format_exc(limit=-8)[-4000:],
        "host": platform.node(), "slurm_job": os.environ.get("SLURM_JOB_ID"),
        "slurm_array_task": os.environ.get("SLURM_ARRAY_TASK_ID"),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1, default=str))
    tmp.replace(path)
    return path


def task_points(task_list: Path) -> list[str]:
    try:
        return json.loads(Path(task_list).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SweepError(f"{task_list}: unreadable task list: {err}") from None


def run_task(plan: Plan, point_id: str) -> int:
    """Run one point as a task; the exit status of the worker (see the module docstring)."""
    point = plan.point(point_id)
    _log(f"{point.id}: group {point.group}, seed {point.seed}, {point.values}")
    try:
        run_point_of_plan(plan, point)
        return EXIT_OK
    except KeyboardInterrupt:
        if _warned:
            # the time limit is near: run on in a new allocation, from the completed segments
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # Slurm ends this run of the task
            then = "requeued" if slurm.requeue_self() else "not requeued: `depnet sweep` resumes it"
            _log(f"{point.id}: time limit near; completed segments are kept; {then}")
        else:
            _log(f"{point.id}: interrupted; completed segments are kept for the resume")
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - any failure of one point is recorded, not raised
        record = write_error(plan, point, err)
        _log(f"{point.id}: FAILED: {err} (record: {record})")
        return EXIT_FAILED


_warned = False  # SIGUSR1 arrived: Slurm's warning that the time limit is near


def _terminated(signum, frame) -> None:
    global _warned
    _warned = _warned or signum == signal.SIGUSR1
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sys.excepthook = sys.__excepthook__
    from brian2.utils.logger import BrianLogger

    BrianLogger.log_level_warn()
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGUSR1, _terminated)
    try:
        if len(args) == 3 and args[0] == "build":
            plan = Plan.load(args[1])
            try:
                build_group(plan, plan.group(args[2]))
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED
            except SweepError:
                raise
            except DepnetError as err:
                print(f"depnet: error: {err}", file=sys.stderr)
                return EXIT_BUILD_FAILED
            return EXIT_OK
        if len(args) in (3, 4) and args[0] == "task":
            plan = Plan.load(args[1])
            index = args[3] if len(args) == 4 else os.environ.get("SLURM_ARRAY_TASK_ID")
            if index is None:
                raise SweepError("no task index (give one, or run as a Slurm array task)")
            points = task_points(Path(args[2]))
            if not 0 <= int(index) < len(points):
                raise SweepError(f"task index {index} outside 0..{len(points) - 1}")
            return run_task(plan, points[int(index)])
    except DepnetError as err:
        print(f"depnet: error: {err}", file=sys.stderr)
        return err.exit_status
    print("usage: worker build SWEEP_DIR GROUP | task SWEEP_DIR TASK_LIST [INDEX]", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
