"""How depnet reads the end of a Slurm task, from sacct where accounting is on (real clusters;
the tests' Slurm has none, so a stand-in ``sacct`` prints what Slurm 22.05 prints)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

from depnet.cluster import slurm

SACCT = """12_0|TIMEOUT|0:0
12_1|CANCELLED by 0|0:15
12_2|FAILED|1:0
12_3|COMPLETED|0:0
12_4|OUT_OF_MEMORY|0:125
12_5|RUNNING|0:0
13|NODE_FAIL|0:0
"""


def test_sacct_tells_timeout_oom_node_failure_and_cancellation_apart(tmp_path, monkeypatch):
    sacct = tmp_path / "sacct"
    sacct.write_text(f"#!/bin/sh\ncat <<'END'\n{SACCT}END\n")
    sacct.chmod(sacct.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert slurm.finished_states({"12", "13"}) == {
        "12_0": "TIMEOUT",
        "12_1": "CANCELLED",
        "12_2": "FAILED (exit 1:0)",
        "12_3": "COMPLETED",
        "12_4": "OUT_OF_MEMORY",
        "13": "NODE_FAIL",
    }


def test_without_accounting_the_controller_is_asked(tmp_path, monkeypatch):
    """sacct fails where accounting is off; ``scontrol show job`` knows finished jobs for
    MinJobAge (its one-line format, an array task per line)."""
    (tmp_path / "sacct").write_text(
        "#!/bin/sh\necho 'sacct: error: Slurm accounting storage is disabled' >&2\nexit 1\n"
    )
    (tmp_path / "scontrol").write_text(
        "#!/bin/sh\ncat <<'END'\n"
        "JobId=21 ArrayJobId=20 ArrayTaskId=1 JobName=x JobState=TIMEOUT Reason=TimeLimit "
        "ExitCode=0:0\n"
        "JobId=22 ArrayJobId=20 ArrayTaskId=2 JobName=x JobState=FAILED Reason=NonZeroExitCode "
        "ExitCode=0:9\n"
        "JobId=20 ArrayJobId=20 ArrayTaskId=3-5%2 JobName=x JobState=PENDING Reason=None "
        "ExitCode=0:0\n"
        "END\n"
    )
    for name in ("sacct", "scontrol"):
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert slurm.finished_states({"20"}) == {
        "20_1": "TIMEOUT, TimeLimit",
        "20_2": "FAILED (exit 0:9), NonZeroExitCode",
    }


def _append(root: str, who: int, ready, start) -> None:
    from types import SimpleNamespace

    from depnet.cluster import submit

    ready.release()
    start.wait(60)  # both at once, once both have imported depnet
    for k in range(150):
        submit._record(SimpleNamespace(root=Path(root)), [{"who": who, "k": k}])


def test_two_submitters_at_once_keep_every_record(tmp_path):
    """``submissions.json`` is read, extended and replaced under a lock: two ``depnet sweep``
    commands on one folder at the same moment lose none of each other's jobs."""
    context = multiprocessing.get_context("spawn")
    ready, start = context.Semaphore(0), context.Event()
    workers = [
        context.Process(target=_append, args=(str(tmp_path), who, ready, start)) for who in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        assert ready.acquire(timeout=120)
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    records = json.loads((tmp_path / "submissions.json").read_text())
    expected = [(who, k) for who in (1, 2) for k in range(150)]
    assert sorted((r["who"], r["k"]) for r in records) == expected
