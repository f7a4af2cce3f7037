"""Slurm: batch scripts for a group's build and its job array, and the few commands we call.

Slurm is the engine: each structure group is one build job and one job array over its points
(throttled with ``%N``), the array waiting for the build (``--dependency=afterok``). Every task
writes its own log, asks for its GPUs with ``--gres``, is requeued on preemption (``--requeue``,
log appended), and gets SIGUSR1 ``warning_s`` (default 120 s) before its time limit
(``--signal=B:USR1@...``: ``B:`` sends it to the batch shell, which the worker replaces; without it
Slurm signals job steps only): the worker stops its segment, keeps the completed ones and
requeues itself (:func:`requeue`), so that a point longer than one allocation still finishes.
SIGTERM (``scancel``, preemption) stops it the same way without a requeue.

Point states come from ``squeue`` while a task is queued or running, and afterwards from
``sacct``, or from ``scontrol show job`` where accounting is off (it keeps finished jobs for
``MinJobAge``): a task that ended as TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, CANCELLED or
FAILED without a store is told apart from one never submitted.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from depnet.cluster.errors import SubmitError
from depnet.cluster.plan import Group, Plan

#: States squeue reports for work that is not finished yet.
ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"}


def _python(plan: Plan) -> str:
    # With setup lines (module load, source .venv/bin/activate) the node's own python is meant;
    # without, the interpreter that submits (a shared filesystem is assumed either way).
    if plan.resources.get("python"):
        return plan.resources["python"]
    return "python" if plan.resources.get("setup") else sys.executable


def directive(option: str, value: str | int | None = None) -> str:
    """One ``#SBATCH`` line. Slurm splits a directive on blanks unless they are in double quotes,
    so a value with blanks is quoted; values are checked when the sweep file is read (no control
    characters, double quotes or ``%`` in paths; names, times and sizes by their patterns), and a
    directive line is a comment to bash whatever it holds."""
    if value is None:
        return f"#SBATCH {option}"
    text = str(value)
    return (
        f'#SBATCH {option}="{text}"'
        if any(c.isspace() for c in text)
        else f"#SBATCH {option}={text}"
    )


def _common(plan: Plan, cpus: int, time: str, partition: str | None) -> list[str]:
    res = plan.resources
    # Run in the sweep folder, not wherever sbatch was called: `python -m` puts the working
    # directory first on sys.path, and a source checkout there would shadow the installed depnet.
    lines = [directive("--chdir", plan.out)]
    lines += [directive("--cpus-per-task", cpus), directive("--mem", res["mem"])]
    lines.append(directive("--time", time))
    if partition:
        lines.append(directive("--partition", partition))
    if res.get("account"):
        lines.append(directive("--account", res["account"]))
    if res.get("qos"):
        lines.append(directive("--qos", res["qos"]))
    return lines


def _body(plan: Plan, command: list[str], threads: int) -> list[str]:
    res = plan.resources
    lines = ["set -eo pipefail", *res.get("setup", ())]
    # OpenMP threads of the C++ target; brian2 sets them itself when asked for more than 0.
    lines.append(f"export OMP_NUM_THREADS={max(threads, 1)}")
    lines.append("exec " + " ".join(shlex.quote(c) for c in command))
    return lines


def build_script(plan: Plan, group: Group) -> str:
    """The batch script that compiles ``group`` (once per seed) on a CPU node."""
    res = plan.resources
    logs = plan.slurm_dir / "logs"
    header = [
        "#!/bin/bash",
        directive("--job-name", f"depnet-{plan.name}-{group.id}-build"),
        directive("--output", f"{logs}/{group.id}-build-%j.out"),
        *_common(
            plan,
            res["build_cpus"],
            res["build_time"],
            res.get("build_partition") or res.get("partition"),
        ),  # fmt: skip
        *(directive(option) for option in res.get("extra_sbatch", ())),
    ]
    command = [_python(plan), "-m", "depnet.cluster.worker", "build", plan.out, group.id]
    return "\n".join([*header, "", *_body(plan, command, res["build_cpus"])]) + "\n"


def array_script(plan: Plan, group: Group, task_list: Path, n_tasks: int) -> str:
    """The batch script of one job array: task ``i`` runs the ``i``-th point of ``task_list``."""
    res = plan.resources
    logs = plan.slurm_dir / "logs"
    throttle = min(res["array_throttle"], n_tasks)
    header = [
        "#!/bin/bash",
        directive("--job-name", f"depnet-{plan.name}-{group.id}"),
        directive("--array", f"0-{n_tasks - 1}%{throttle}"),
        directive("--output", f"{logs}/{group.id}-%A_%a.out"),
        *_common(plan, res["cpus_per_task"], res["time"], res.get("partition")),
    ]
    if res["gpus"]:
        kind = f"{res['gpu_type']}:" if res.get("gpu_type") else ""
        header.append(directive("--gres", f"gpu:{kind}{res['gpus']}"))
    header += [
        directive("--kill-on-invalid-dep", "yes"),  # a failed build cancels its array
        directive("--requeue"),
        directive("--open-mode", "append"),
        directive("--signal", f"B:USR1@{res['warning_s']}"),
        *(directive(option) for option in res.get("extra_sbatch", ())),
    ]
    command = [_python(plan), "-m", "depnet.cluster.worker", "task", plan.out, str(task_list)]
    body = _body(plan, [*command, "$SLURM_ARRAY_TASK_ID"], res["threads"])
    body[-1] = body[-1].replace("'$SLURM_ARRAY_TASK_ID'", '"$SLURM_ARRAY_TASK_ID"')
    return "\n".join([*header, "", *body]) + "\n"


def slurm_environment() -> dict[str, str]:
    """This process's environment for Slurm commands, without ``LD_BIND_NOW``.

    Brian2 sets ``LD_BIND_NOW=1`` in its own process after any standalone run (its default
    ``run_environment_variables``); Slurm loads plugins whose symbols resolve only lazily
    (Debian 12's ``prep_script.so``), so daemons and commands started with it fail.
    """
    return {k: v for k, v in os.environ.items() if k != "LD_BIND_NOW"}


def _command(args: list[str], what: str) -> str:
    if shutil.which(args[0]) is None:
        raise SubmitError(f"{args[0]} not found: is this a Slurm login node?")
    try:
        out = subprocess.run(
            args, capture_output=True, text=True, timeout=120, env=slurm_environment()
        )
    except subprocess.TimeoutExpired:
        raise SubmitError(f"{what}: {args[0]} did not answer in 120 s") from None
    if out.returncode != 0:
        message = (out.stderr or out.stdout).strip().splitlines()
        raise SubmitError(f"{what}: {message[-1] if message else f'exit {out.returncode}'}")
    return out.stdout


def sbatch(script: Path, dependency: str | None = None) -> str:
    """Submit a batch script; its job id."""
    args = ["sbatch", "--parsable"]
    if dependency:
        args.append(f"--dependency=afterok:{dependency}")
    out = _command([*args, str(script)], f"sbatch {script.name}")
    return out.strip().split(";")[0]


def queue_states(job_ids: set[str]) -> dict[str, str]:
    """States of the queued or running tasks of ``job_ids``: ``"<job>_<task>"`` or ``"<job>"``.

    Finished jobs are not listed (squeue forgets them); a pending array is expanded per task.
    """
    if not job_ids:
        return {}
    out = _command(["squeue", "-h", "-r", "-o", "%i|%A|%T"], "squeue")
    states = {}
    for line in out.splitlines():
        task, job, state = (line.split("|") + ["", ""])[:3]
        base = task.split("_")[0]
        if base in job_ids or job in job_ids:
            states[task] = state
    return states


def requeue_self() -> bool:
    """Requeue the Slurm job (or array task) this process runs in; False outside Slurm or if
    Slurm refused (the task then ends, and ``depnet sweep`` again resumes it)."""
    job = os.environ.get("SLURM_JOB_ID")
    if not job:
        return False
    array_job, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    target = f"{array_job}_{task}" if array_job and task else job
    try:
        _command(["scontrol", "requeue", target], f"requeue {target}")
    except SubmitError:
        return False
    return True


#: How a finished task that left no store ended, in Slurm's words (sacct or scontrol).
ENDED = {"TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "CANCELLED", "FAILED",
         "BOOT_FAIL", "DEADLINE", "COMPLETED"}  # fmt: skip


def finished_states(job_ids: set[str]) -> dict[str, str]:
    """How the finished tasks of ``job_ids`` ended: ``"<job>_<task>"`` (or ``"<job>"``) ->
    ``"TIMEOUT"``, ``"FAILED (exit 1:0)"``, ... From ``sacct``; where accounting is off, from
    ``scontrol show job``, which knows jobs for ``MinJobAge`` after they end."""
    if not job_ids:
        return {}
    try:
        out = _command(
            [
                "sacct",
                "-n",
                "-P",
                "-X",
                "-o",
                "JobID,State,ExitCode",
                "-j",
                ",".join(sorted(job_ids)),
            ],
            "sacct",
        )
        states = {}
        for line in out.splitlines():
            task, state, code = (line.split("|") + ["", ""])[:3]
            state = state.split()[0] if state else ""  # "CANCELLED by 0"
            if state in ENDED:
                states[task] = f"{state} (exit {code})" if state == "FAILED" else state
        return states
    except SubmitError:
        pass  # accounting is off here: ask the controller
    states = {}
    for job in sorted(job_ids):
        try:
            out = _command(["scontrol", "-o", "show", "job", job], f"scontrol show job {job}")
        except SubmitError:
            continue  # forgotten (older than MinJobAge)
        for line in out.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            state, task = fields.get("JobState", ""), fields.get("ArrayTaskId", "")
            if state not in ENDED:
                continue
            key = f"{fields.get('ArrayJobId', job)}_{task}" if task.isdigit() else fields["JobId"]
            reason = fields.get("Reason", "None")
            detail = f" (exit {fields.get('ExitCode', '?')})" if state == "FAILED" else ""
            states[key] = state + detail + (f", {reason}" if reason not in ("None", "") else "")
    return states
