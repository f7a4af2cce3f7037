"""Fresh interpreters for independent measurements (seeds of ``depnet validation``, points of
``depnet sensitivity``) that stop with the command that started them.

Each worker is a new interpreter (``spawn``): no Brian2 state is shared with the parent or
between workers. A Ctrl-C reaches every process of the terminal's group, but a scheduler's or a
user's SIGTERM reaches only the parent; without help the workers would carry on with their
simulation binaries and temporary folders after the command has given up. :func:`worker_pool`
forwards the stop: when the block it guards ends with an exception (a SIGTERM arrives as
``KeyboardInterrupt`` in ``depnet``'s CLI), each worker gets SIGTERM.

A worker that gets SIGTERM or SIGINT leaves: an idle one at once; a busy one has its task
interrupted exactly as in a single-process run (its binary is terminated, its temporary folders
removed) and leaves when that clean-up is done. Signals after the first are ignored, so that a
Ctrl-C followed by the parent's SIGTERM (or a scheduler's repeated signals) cannot cut a clean-up
short. Tasks not begun are never run.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import active_children, get_context
from typing import Any

from depnet.errors import DepnetError

#: The one line for a worker that left on its own.
LOST = (
    "a worker interpreter stopped before its task ended (killed, or out of memory); the others "
    "were stopped too"
)
#: Whether this worker is running a task, and whether it was told to stop.
_busy = False
_stopping = False


def _leave_on_signal() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _terminated)


def _terminated(signum: int, frame: object) -> None:
    global _stopping
    if _stopping:
        return  # told already: the task's clean-up runs to its end
    _stopping = True
    if _busy:
        raise KeyboardInterrupt  # unwinds the task: binaries terminated, folders removed
    os._exit(1)  # idle: nothing to clean up, and no task is to start


def _task(fn: Callable[..., Any], *args: Any) -> Any:
    global _busy
    _busy = True
    try:
        return fn(*args)
    finally:
        _busy = False
        if _stopping:  # the task was interrupted and has cleaned up: no other starts here
            os._exit(1)


class WorkerPool:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of spawned interpreters whose tasks can
    be interrupted by SIGTERM (see the module's docstring); made by :func:`worker_pool`."""

    def __init__(self, jobs: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"), initializer=_leave_on_signal
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` in a worker (``fn`` and ``args`` must pickle)."""
        return self._pool.submit(_task, fn, *args)

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]:
        """``futures`` as they complete. Every second it checks that no worker has left on its
        own (killed, out of memory, signalled alone) and raises :class:`DepnetError` if one
        has: the executor marks the futures of a broken pool failed itself, but CPython 3.12's
        sometimes waits forever instead (seen after a SIGKILL of one worker of two)."""
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            yield from done
            if pending and any(
                p.exitcode is not None for p in list((self._pool._processes or {}).values())
            ):
                raise DepnetError(LOST)


@contextmanager
def worker_pool(jobs: int) -> Iterator[WorkerPool]:
    """A pool of ``jobs`` worker interpreters for the block. The block ending normally waits for
    the tasks submitted; ending with an exception (``KeyboardInterrupt`` included) drops the
    queued tasks, interrupts the running ones and waits until every worker has cleaned up and
    left. A worker that leaves on its own (killed, out of memory) breaks the pool: the block's
    exception (:class:`~concurrent.futures.process.BrokenProcessPool` from a future, or
    :meth:`WorkerPool.as_completed`'s) then ends as a one-line :class:`DepnetError` once the
    others are stopped."""
    existing = {p.pid for p in active_children()}
    pool = WorkerPool(jobs)

    def stop() -> None:
        for child in active_children():
            if child.pid not in existing:
                child.terminate()
        pool._pool.shutdown(wait=True, cancel_futures=True)

    try:
        yield pool
    except BaseException as err:
        # A broken pool means a worker died on its own, whatever the block saw of it (here:
        # BrokenProcessPool from a future; as_completed's DepnetError where the pool hung).
        broken = pool._pool._broken and not isinstance(err, KeyboardInterrupt)
        stop()
        if broken:
            raise DepnetError(LOST) from err
        raise
    pool._pool.shutdown(wait=True)
