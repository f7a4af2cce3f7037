"""What runs on a node: build a group once, run one point through ``run_args``, in segments.

Entry points (what the batch scripts call)::

    python -m depnet.cluster.worker build SWEEP_DIR GROUP
    python -m depnet.cluster.worker task SWEEP_DIR TASK_LIST [INDEX]   # INDEX: $SLURM_ARRAY_TASK_ID

Exit status: 0 the point is complete (or already was), 1 the point failed (its error record is
written beside its store), 2 bad input (no such sweep folder, task or group), 3 a build failed,
75 interrupted (SIGTERM: preemption, time limit, scancel; completed segments are kept and a
requeued or resubmitted task resumes from them).

Segments: a point's run is cut into ``n_segments`` runs of the same binary (compiled for one
segment). At each segment's end every settable variable is saved and fed back through
``run_args`` to the next; on the C++ target the random generator and the spike queues (spikes in
flight along delays) are carried over too, by code inserted into the build, so a segmented run
continues the random stream instead of repeating it. A resumed point recomputes nothing that a
completed segment holds, and its final store is assembled from the same segment files as an
uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
import os
import pickle
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import brian2 as b2
import numpy as np

from depnet import devices
from depnet.cluster import network
from depnet.cluster.errors import PointError, SweepError
from depnet.cluster.plan import Group, Plan, Point
from depnet.errors import DepnetError, DeviceError
from depnet.recording import RunData, collect
from depnet.run import build_network, run_attributes
from depnet.store import COMPLETE, StoreError, read_attrs, write_run

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 75
BUILD_INFO = "depnet-build.json"
_RESUME_PREFIX = "resume_"


# -- small helpers -------------------------------------------------------------------------
def _log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (flock works on local disks and most cluster filesystems).

    The holder's host and PID are written into the file, for people (and tests) to find it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(f"{platform.node()} {os.getpid()}\n")
        handle.flush()
        yield


def _atomic_pickle(path: Path, value) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def is_complete(store: Path) -> bool:
    """Whether a complete store is at ``store``."""
    try:
        return read_attrs(store).get("status") == COMPLETE
    except StoreError:
        return False


def _segment_seconds(plan: Plan) -> float:
    return plan.segment_s or plan.duration_s


# -- resume code in the build ----------------------------------------------------------------
def _insert_resume_code(net: b2.Network) -> None:
    """C++ that reloads the random generator and spike queues a previous segment left.

    Brian2's C++ standalone writes both at the end of a run (``random_generator_state``,
    ``<pathway>_queue`` in the results folder) and can read them back with ``operator>>``; the
    code runs after the queues are prepared and before the run, and does nothing when the files
    are absent (the first segment). Not available on brian2cuda (cuRAND, device queues).
    """
    pathways = sorted(
        path.name for obj in net.objects if isinstance(obj, b2.Synapses) for path in obj._pathways
    )
    lines = [
        "{  // depnet: continue a segmented run",
        f'    std::ifstream _rng((brian::results_dir + "{_RESUME_PREFIX}random_generator_state")'
        ".c_str());",
        "    if (_rng.is_open())",
        "        for (size_t _k = 0; _k < brian::_random_generators.size(); _k++)",
        "            _rng >> brian::_random_generators[_k];",
    ]
    for name in pathways:
        lines += [
            f'    std::ifstream _q_{name}((brian::results_dir + "{_RESUME_PREFIX}{name}_queue")'
            ".c_str());",
            f"    if (_q_{name}.is_open())",
            f"        for (size_t _k = 0; _k < brian::{name}.queue.size(); _k++)",
            f"            _q_{name} >> *brian::{name}.queue[_k];",
        ]
    lines.append("}")
    b2.get_device().insert_code("before_network_run", "\n".join(lines))


def _prepare(plan: Plan, spec, net: b2.Network) -> None:
    if plan.target == "cpp":
        _insert_resume_code(net)


# -- build -------------------------------------------------------------------------------
def _build_info(folder: Path) -> dict | None:
    try:
        return json.loads((folder / BUILD_INFO).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _compile_here(plan: Plan, spec, folder: Path, segment: b2.Quantity, threads: int) -> None:
    with devices.activated(plan.target, folder, threads=threads):
        _, _, net, _, _ = build_network(spec)
        _prepare(plan, spec, net)
        devices.simulate(net, segment, plan.target, folder, compile_only=True)


def _compile_child(*args) -> None:
    try:
        _compile_here(*args)
    except DepnetError as err:
        print(f"depnet: error: {err}", file=sys.stderr, flush=True)
        os._exit(EXIT_BUILD_FAILED)
    except BaseException:  # noqa: BLE001 - reported, then the child's exit status says it
        traceback.print_exc()
        os._exit(EXIT_BUILD_FAILED)
    os._exit(EXIT_OK)


def _compile(plan: Plan, spec, folder: Path, segment: b2.Quantity, threads: int) -> None:
    """Compile in a forked child: a fresh Brian2 per build.

    Brian2 numbers objects and helper functions after those still alive in the process
    ("poissoninput_binomial_4"); a second build in one process would get other names, other
    generated code and a needless recompilation of it.
    """
    child = multiprocessing.get_context("fork").Process(
        target=_compile_child, args=(plan, spec, folder, segment, threads)
    )
    child.start()
    try:
        child.join()
    except BaseException:
        child.terminate()
        child.join()
        raise
    if child.exitcode != EXIT_OK:
        raise DeviceError(f"build of {folder} failed (exit status {child.exitcode})")


def build_group(plan: Plan, group: Group) -> list[Path]:
    """Compile a group's network once per seed; skip builds that are already there.

    The first seed is a full build (unless a build of the same structure exists); every further
    seed starts from a copy of the previous one (timestamps kept), so ``make`` recompiles little
    more than ``main``, where Brian2 writes the seed.
    """
    folders: list[Path] = []
    threads = int(plan.resources.get("threads", 0))
    segment = _segment_seconds(plan) * b2.second
    for seed in group.seeds:
        spec = plan.reference_scenario(group, seed)
        digest = network.runtime_network(spec)[0]
        folder = plan.build_dir(digest)
        with _locked(folder.with_name(folder.name + ".lock")):
            info = _build_info(folder)
            if info and info["fingerprint"] == digest and (folder / "main").exists():
                _log(f"{group.id} seed {seed}: build is up to date in {folder}")
            else:
                if folders and not (folder / "main").exists():
                    shutil.rmtree(folder, ignore_errors=True)
                    shutil.copytree(
                        folders[-1], folder, symlinks=True,
                        ignore=shutil.ignore_patterns("results", "init_*", BUILD_INFO),
                    )  # fmt: skip
                started = time.perf_counter()
                _compile(plan, spec, folder, segment, threads)
                info = {
                    "fingerprint": digest, "seed": seed, "target": plan.target,
                    "segment_s": float(segment / b2.second),
                    "build_s": time.perf_counter() - started, "host": platform.node(),
                }  # fmt: skip
                (folder / BUILD_INFO).write_text(json.dumps(info, indent=1))
                _log(f"{group.id} seed {seed}: built in {info['build_s']:.1f} s ({folder})")
        folders.append(folder)
    return folders


# -- segments ----------------------------------------------------------------------------
def _segment_dir(work: Path, k: int) -> Path:
    return work / f"seg-{k:03d}"


def completed_segments(work: Path, n_segments: int) -> int:
    """How many leading segments of a point are complete (their folder was renamed into place)."""
    k = 0
    while k < n_segments and (_segment_dir(work, k) / "state.pkl").exists():
        k += 1
    return k


def _keep_resume_files(results: Path, keep: Path) -> None:
    """Keep what the next segment reloads; drop the bulk of Brian2's result arrays."""
    for child in results.iterdir():
        if child.name == "random_generator_state" or child.name.endswith("_queue"):
            child.rename(keep / child.name)
    shutil.rmtree(results, ignore_errors=True)


def _shift_times(state: dict, seconds: float) -> dict:
    # The clock restarts at 0 in every segment: times of last spikes/updates move back with it.
    return {
        key: (value - seconds if key[1] in network.TIME_STAMPS else value)
        for key, value in state.items()
    }


def _run_segments(
    plan: Plan, point: Point, spec, build: Path, work: Path, initial: dict
) -> tuple[float, int]:
    """Run the point's remaining segments; returns (run seconds, first segment run here).

    ``initial`` holds the point's initial values (:func:`network.settable_values` of its runtime
    network: Brian2 cannot read values set by expressions on a standalone device before a run).
    """
    n, seconds = plan.n_segments, _segment_seconds(plan)
    first = completed_segments(work, n)
    if first == n:
        return 0.0, first
    if first:
        _log(f"{point.id}: resuming after segment {first - 1} of {n}")
        with open(_segment_dir(work, first - 1) / "state.pkl", "rb") as handle:
            state = pickle.load(handle)
    else:
        state = initial
    run_s = 0.0
    threads = int(plan.resources.get("threads", 0))
    with tempfile.TemporaryDirectory(prefix="project-", dir=work) as scratch:
        with devices.activated(plan.target, Path(scratch), threads=threads):
            circuit, monitors, net, _, _ = build_network(spec)
            _prepare(plan, spec, net)
            devices.generate_project(net, seconds * b2.second, Path(scratch))
            for k in range(first, n):
                partial = work / f"seg-{k:03d}.partial"
                shutil.rmtree(partial, ignore_errors=True)
                (partial / "results").mkdir(parents=True)
                if k > 0:
                    for child in _segment_dir(work, k - 1).iterdir():
                        if child.name == "random_generator_state" or child.name.endswith("_queue"):
                            shutil.copy(child, partial / "results" / (_RESUME_PREFIX + child.name))
                run_s += devices.run_prebuilt(
                    build, partial / "results", network.run_args(net, state)
                )
                data = collect(monitors, circuit, seconds * b2.second)
                check_finite(data)  # a diverged point fails at its first bad segment
                state = _shift_times(network.settable_values(net), seconds)
                _keep_resume_files(partial / "results", partial)
                _atomic_pickle(partial / "data.pkl", data)
                _atomic_pickle(partial / "state.pkl", state)
                shutil.rmtree(_segment_dir(work, k), ignore_errors=True)
                partial.rename(_segment_dir(work, k))
                _log(f"{point.id}: segment {k + 1}/{n} done")
    return run_s, first


def _concatenate(parts: list[RunData], seconds: float) -> RunData:
    """One run's data from its segments, times shifted by each segment's start.

    Built with ``dataclasses.replace``: fields this does not know about are kept (from the first
    segment for the run, from the last for final snapshots).
    """
    first, last = parts[0], parts[-1]
    offsets = [k * seconds for k in range(len(parts))]

    def cat(get, shift: bool = False, axis: int = 0) -> np.ndarray:
        return np.concatenate(
            [get(p) + (o if shift else 0) for p, o in zip(parts, offsets, strict=True)], axis=axis
        )

    spikes = {
        name: replace(
            s,
            neuron=cat(lambda p, n=name: p.spikes[n].neuron),
            time=cat(lambda p, n=name: p.spikes[n].time, shift=True),
        )
        for name, s in first.spikes.items()
    }
    traces = {
        name: replace(
            tr,
            time=cat(lambda p, n=name: p.traces[n].time, shift=True),
            values={v: cat(lambda p, n=name, v=v: p.traces[n].values[v]) for v in tr.values},
        )
        for name, tr in first.traces.items()
    }
    synapses = {
        name: replace(
            rec,  # final weights and presence: the last segment's
            time=cat(lambda p, n=name: p.synapses[n].time, shift=True),
            n_present=cat(lambda p, n=name: p.synapses[n].n_present),
            w_mean=cat(lambda p, n=name: p.synapses[n].w_mean),
            w_std=cat(lambda p, n=name: p.synapses[n].w_std),
        )
        for name, rec in last.synapses.items()
    }
    return replace(
        first,
        duration=seconds * len(parts),
        spikes=spikes,
        traces=traces,
        serotonin_time=cat(lambda p: p.serotonin_time, shift=True),
        serotonin={v: cat(lambda p, v=v: p.serotonin[v], axis=1) for v in first.serotonin},
        synapses=synapses,
    )


def check_finite(data: RunData) -> None:
    """Fail a run whose state diverged (NaN or infinity in [5-HT] or a recorded trace)."""
    for variable, values in data.serotonin.items():
        bad = ~np.isfinite(values)
        if bad.any():
            region, step = np.argwhere(bad)[0]
            raise PointError(
                f"simulation diverged: {variable} is not finite in region "
                f"{data.regions[region]} from t = {data.serotonin_time[step]:.4g} s"
            )
    for population, traces in data.traces.items():
        for variable, values in traces.values.items():
            bad = ~np.isfinite(values)
            if bad.any():
                step = np.argwhere(bad)[0][0]
                raise PointError(
                    f"simulation diverged: {population}.{variable} is not finite from "
                    f"t = {traces.time[step]:.4g} s"
                )


# -- one point ---------------------------------------------------------------------------
def run_point(plan: Plan, point: Point) -> str:
    """Simulate one point and write its store; ``"skipped"`` if it is complete already.

    Raises
    ------
    PointError
        If the point's build is missing or has another structure, or the run fails or diverges.
    """
    store = plan.store_path(point)
    if is_complete(store):
        _log(f"{point.id}: complete already ({store})")
        return "skipped"
    started = time.perf_counter()
    spec = plan.point_scenario(point)
    # The build is found by the point's own structure: a point can only run on a binary
    # compiled from a network with the same fingerprint.
    digest, initial, _ = network.runtime_network(spec)
    build = plan.build_dir(digest)
    info = _build_info(build)
    if info is None or info["fingerprint"] != digest or not (build / "main").exists():
        raise PointError(
            f"no build of its network structure (group {point.group}, seed {point.seed}) in "
            f"{build}: its group's build failed or has not run, or two axes change the "
            "structure only together (then plan them in separate sweeps)"
        )
    work = plan.work_dir(point)
    work.mkdir(parents=True, exist_ok=True)
    with _locked(work / ".lock"):  # a duplicate task (requeue + resubmission) waits, then skips
        if is_complete(store):
            return "skipped"
        run_s, resumed_from = _run_segments(plan, point, spec, build, work, initial)
        parts = []
        for k in range(plan.n_segments):
            with open(_segment_dir(work, k) / "data.pkl", "rb") as handle:
                parts.append(pickle.load(handle))
        data = _concatenate(parts, _segment_seconds(plan))
        check_finite(data)
        sizes, values = spec.population_sizes(), spec.parameter_values()
        timings = devices.Timings(build_s=float(info.get("build_s", 0.0)), run_s=run_s)
        attrs = run_attributes(spec, plan.target, sizes, values, timings,
                               time.perf_counter() - started)  # fmt: skip
        attrs["sweep"] = {
            "name": plan.name, "point": point.id, "group": point.group, "seed": point.seed,
            "values": point.values, "segments": plan.n_segments,
            "resumed_from_segment": resumed_from, "build_dir": str(build),
            "slurm_job": os.environ.get("SLURM_JOB_ID"),
        }  # fmt: skip
        write_run(store, data, attrs, overwrite=True)
    shutil.rmtree(work, ignore_errors=True)
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


# -- entry points ------------------------------------------------------------------------
def task_points(plan: Plan, task_list: Path) -> list[str]:
    try:
        return json.loads(Path(task_list).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SweepError(f"{task_list}: unreadable task list: {err}") from None


def run_task(plan: Plan, point_id: str) -> int:
    """Run one point as a task; the exit status of the worker (see the module docstring)."""
    point = plan.point(point_id)
    _log(f"{point.id}: group {point.group}, seed {point.seed}, {point.values}")
    try:
        run_point(plan, point)
        return EXIT_OK
    except KeyboardInterrupt:
        _log(f"{point.id}: interrupted; completed segments are kept for the resume")
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - any failure of one point is recorded, not raised
        record = write_error(plan, point, err)
        _log(f"{point.id}: FAILED: {err} (record: {record})")
        return EXIT_FAILED


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sys.excepthook = sys.__excepthook__
    from brian2.utils.logger import BrianLogger

    BrianLogger.log_level_warn()
    signal.signal(signal.SIGTERM, _terminated)
    try:
        if len(args) == 3 and args[0] == "build":
            plan = Plan.load(args[1])
            try:
                build_group(plan, plan.group(args[2]))
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED
            except DepnetError as err:
                print(f"depnet: error: {err}", file=sys.stderr)
                return EXIT_BUILD_FAILED
            return EXIT_OK
        if len(args) in (3, 4) and args[0] == "task":
            plan = Plan.load(args[1])
            index = args[3] if len(args) == 4 else os.environ.get("SLURM_ARRAY_TASK_ID")
            if index is None:
                raise SweepError("no task index (give one, or run as a Slurm array task)")
            points = task_points(plan, Path(args[2]))
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
