"""Worker interpreters stop with the command: ``depnet validation --jobs N`` and ``depnet
sensitivity --jobs N`` killed with SIGTERM leave no simulation binary running and no temporary
folder behind."""

import os
import signal
import stat
import tempfile
import time
from multiprocessing import active_children
from pathlib import Path

import pytest

from depnet.errors import DepnetError
from depnet.standalone import run_binary
from depnet.workers import worker_pool


def _simulate(record: str, n: int, clean_up_s: float = 0.0) -> None:
    """A stand-in for one seed's runs: a 'binary' that runs for minutes, in a temporary folder;
    its clean-up takes ``clean_up_s`` and leaves a mark when it ends."""
    with tempfile.TemporaryDirectory(prefix="worker-", dir=record) as folder:
        binary = Path(folder) / "main"
        binary.write_text(f"#!/bin/sh\necho $$ > {record}/binary_{n}.pid\nexec sleep 300\n")
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
        try:
            run_binary(binary, Path(folder), Path(folder) / "results", [])
        finally:
            time.sleep(clean_up_s)
            (Path(record) / f"cleaned_{n}").touch()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_the_binaries_under_way_and_drops_the_queued_ones(tmp_path):
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):  # what SIGTERM raises in depnet's CLI
        with worker_pool(2) as pool:
            for n in range(4):
                pool.submit(_simulate, str(tmp_path), n)
            while len(list(tmp_path.glob("binary_*.pid"))) < 2:
                assert time.monotonic() - started < 120, "the workers never started"
                time.sleep(0.05)
            raise KeyboardInterrupt
    pids = [int(p.read_text()) for p in tmp_path.glob("binary_*.pid")]
    assert len(pids) == 2, "a queued task started after the stop"
    assert not [pid for pid in pids if _alive(pid)], "a binary outlived its worker"
    assert not list(tmp_path.glob("worker-*")), "a temporary folder was left behind"
    assert time.monotonic() - started < 120  # the binaries' 300 s were not waited for


def test_ctrl_c_then_sigterm_lets_every_clean_up_finish(tmp_path):
    """Ctrl-C reaches every worker (SIGINT to the terminal's group), then the parent's stop
    sends SIGTERM: the second signal lands in the busy workers' clean-up and must not cut it
    short; the idle worker leaves at once, and the pool still shuts down."""
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with worker_pool(3) as pool:
            for n in range(2):
                pool.submit(_simulate, str(tmp_path), n, 1.0)
            while len(list(tmp_path.glob("binary_*.pid"))) < 2:
                assert time.monotonic() - started < 120, "the workers never started"
                time.sleep(0.05)
            for child in active_children():
                os.kill(child.pid, signal.SIGINT)
            time.sleep(0.2)  # inside the 1 s clean-ups
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.glob("cleaned_*")) == ["cleaned_0", "cleaned_1"]
    pids = [int(p.read_text()) for p in tmp_path.glob("binary_*.pid")]
    assert not [pid for pid in pids if _alive(pid)], "a binary outlived its worker"
    assert not list(tmp_path.glob("worker-*")), "a temporary folder was left behind"
    assert not active_children(), "a worker outlived the pool"


def test_a_pool_that_ends_normally_returns_every_result():
    with worker_pool(2) as pool:
        futures = [pool.submit(pow, 2, n) for n in range(5)]
    assert [f.result() for f in futures] == [1, 2, 4, 8, 16]


def test_a_worker_killed_alone_ends_the_command_with_one_line(tmp_path):
    """A worker that dies on its own (the kernel's OOM killer, a stray kill -9) is not a
    traceback: the pool stops the other and says what happened."""
    with pytest.raises(DepnetError, match="a worker interpreter stopped before its task ended"):
        with worker_pool(2) as pool:
            futures = [pool.submit(_simulate, str(tmp_path), n) for n in range(2)]
            while len(list(tmp_path.glob("binary_*.pid"))) < 2:
                time.sleep(0.05)
            os.kill(active_children()[0].pid, signal.SIGKILL)
            for future in pool.as_completed(futures):
                future.result()
    for pid in [int(p.read_text()) for p in tmp_path.glob("binary_*.pid")]:
        if _alive(pid):  # the killed worker could not stop its binary: this test does
            os.kill(pid, signal.SIGKILL)
    assert not active_children(), "a worker outlived the pool"
