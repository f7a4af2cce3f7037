"""Fresh interpreters for independent measurements (seeds of ``depnet validation``, points of
``depnet sensitivity``) that stop with the command that started them.

Each worker is a new interpreter (``spawn``): no Brian2 state is shared with the parent or
between workers. A Ctrl-C reaches every process of the terminal's group, but a scheduler's or a
user's SIGTERM reaches only the parent; without help the workers would carry on with their
simulation binaries and temporary folders after the command has given up. :func:`worker_pool`
forwards the stop: when the block it guards ends with an exception (a SIGTERM arrives as
``KeyboardInterrupt`` in ``depnet``'s CLI), each worker gets SIGTERM, which interrupts the task it
is running exactly as in a single-process run (its binary is terminated, its temporary folders
removed), and queued tasks are dropped.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import active_children, get_context
from typing import Any

#: Whether this worker is running a task, and whether it was told to stop (it then starts no
#: other: a task already handed to it, but not begun, ends at once).
_busy = False
_stopping = False


def _stop_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: object) -> None:
    global _stopping
    _stopping = True
    if _busy:
        raise KeyboardInterrupt  # unwinds the task: binaries terminated, folders removed


def _task(fn: Callable[..., Any], *args: Any) -> Any:
    global _busy
    _busy = True
    try:
        if _stopping:
            raise KeyboardInterrupt
        return fn(*args)
    finally:
        _busy = False


class WorkerPool:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of spawned interpreters whose tasks can
    be interrupted by SIGTERM (see the module's docstring); made by :func:`worker_pool`."""

    def __init__(self, jobs: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"), initializer=_stop_on_sigterm
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` in a worker (``fn`` and ``args`` must pickle)."""
        return self._pool.submit(_task, fn, *args)


@contextmanager
def worker_pool(jobs: int) -> Iterator[WorkerPool]:
    """A pool of ``jobs`` worker interpreters for the block. The block ending normally waits for
    the tasks submitted; ending with an exception (``KeyboardInterrupt`` included) drops the
    queued tasks, interrupts the running ones and waits until every worker has cleaned up."""
    existing = {p.pid for p in active_children()}
    pool = WorkerPool(jobs)
    try:
        yield pool
    except BaseException:
        for child in active_children():
            if child.pid not in existing:
                child.terminate()
        pool._pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool._pool.shutdown(wait=True)
