"""Worker interpreters stop with the command: ``depnet validation --jobs N`` and ``depnet
sensitivity --jobs N`` killed with SIGTERM leave no simulation binary running and no temporary
folder behind."""

import os
import stat
import tempfile
import time
from pathlib import Path

import pytest

from depnet.standalone import run_binary
from depnet.workers import worker_pool


def _simulate(record: str, n: int) -> None:
    """A stand-in for one seed's runs: a 'binary' that runs for minutes, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="worker-", dir=record) as folder:
        binary = Path(folder) / "main"
        binary.write_text(f"#!/bin/sh\necho $$ > {record}/binary_{n}.pid\nexec sleep 300\n")
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
        run_binary(binary, Path(folder), Path(folder) / "results", [])


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


def test_a_pool_that_ends_normally_returns_every_result():
    with worker_pool(2) as pool:
        futures = [pool.submit(pow, 2, n) for n in range(5)]
    assert [f.result() for f in futures] == [1, 2, 4, 8, 16]
