"""The network-data cache's size: least recently used entries go when it grows past a limit.

Every distinct parameter set and seed gets its own entry under ``<build root>/data/`` (its
connectivity and initial values, ~30 MB at scale 1, ~0.5 GB at scale 15), so a sweep or a
sensitivity analysis would otherwise fill the disk. After a new entry is written, entries are
removed, least recently used first, until the cache is within :func:`limit_bytes`. An entry is
never removed while a run holds it (:func:`held`, a shared lock on its lock file), nor within
:data:`GRACE_S` of its last use (a process between loading an entry and running on it), nor the
entry just written. Builds are not evicted: there is one per network structure, not per value.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from depnet.errors import ScenarioError

#: Default limit of the network-data cache, in GB (chosen: a few hundred scale-1 entries, a
#: handful at scale 15). ``$DEPNET_DATA_CACHE_GB`` sets another; ``inf`` turns eviction off.
DEFAULT_LIMIT_GB = 5.0
#: An entry used (loaded) less than this long ago is kept whatever the cache's size (chosen:
#: longer than most builds, the step between loading an entry and running on it; a run whose
#: entry went meanwhile makes it again). Entries made faster than this can outgrow the limit.
GRACE_S = 600.0
#: The file whose modification time is an entry's last use.
STAMP = "data.json"
#: The lock file of the process that is evicting entries.
EVICTING = "evicting.lock"


def limit_bytes() -> float:
    """The cache's limit in bytes, from ``$DEPNET_DATA_CACHE_GB`` or :data:`DEFAULT_LIMIT_GB`.

    Raises
    ------
    ScenarioError
        If the variable is not a positive number of GB.
    """
    text = os.environ.get("DEPNET_DATA_CACHE_GB", "").strip()
    if not text:
        return DEFAULT_LIMIT_GB * 1e9
    try:
        gb = float(text)
    except ValueError:
        gb = math.nan
    if not gb > 0:  # NaN fails too
        raise ScenarioError(f"DEPNET_DATA_CACHE_GB={text!r}: expected a positive number of GB")
    return gb * 1e9


def lock_path(entry: Path) -> Path:
    """The lock file of an entry (of its key, for a partial one): exclusive while the entry is
    written or removed, shared while a run uses it."""
    return entry.with_name(entry.name.split(".")[0] + ".lock")


def touch(entry: Path) -> None:
    """Mark an entry as used now (a read-only cache stays as it is)."""
    with contextlib.suppress(OSError):
        os.utime(entry / STAMP)


@contextlib.contextmanager
def held(entry: Path) -> Iterator[None]:
    """Keep an entry from eviction while the block runs (a shared lock: many runs may hold it),
    marked as used. In a cache this user cannot write, which this user cannot evict either, the
    lock is taken where the file can be read, else none is."""
    try:  # readable: NFS's flock emulation takes a shared lock as a read lock
        handle = open(lock_path(entry), "a+")
    except PermissionError:
        try:
            handle = open(lock_path(entry))
        except OSError:
            handle = None
    with handle or contextlib.nullcontext():  # closing the file releases the lock
        if handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
        touch(entry)
        yield


def size(folder: Path) -> int:
    """Bytes of the files under ``folder`` (those another process removes meanwhile: none)."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


def entries(data_root: Path) -> list[Path]:
    """The cache's entries (complete or left partial by a killed process), oldest use first."""
    if not data_root.is_dir():
        return []
    found = [p for p in data_root.iterdir() if p.is_dir()]
    return sorted(found, key=_last_use)


def _last_use(entry: Path) -> float:
    stamp = entry / STAMP
    try:
        return (stamp if stamp.exists() else entry).stat().st_mtime
    except FileNotFoundError:  # removed by another process meanwhile
        return 0.0


def evict(data_root: Path, limit: float, keep: Path | None = None) -> list[tuple[Path, int]]:
    """Remove least recently used entries until the cache is within ``limit`` bytes.

    Skipped: ``keep``, entries used within :data:`GRACE_S`, entries another process holds or
    is writing (their lock is taken). One process evicts at a time: another that finds the
    cache being evicted leaves it (two at once would each remove what the limit asks for).
    Returns the removed entries and their sizes.
    """
    if not math.isfinite(limit) or not data_root.is_dir():
        return []
    with open(data_root / EVICTING, "a") as handle:  # closing it releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []
        return _evict(data_root, limit, keep)


def _evict(data_root: Path, limit: float, keep: Path | None) -> list[tuple[Path, int]]:
    found = entries(data_root)
    sizes = {entry: size(entry) for entry in found}
    total = sum(sizes.values())
    removed: list[tuple[Path, int]] = []
    for entry in found:
        if total <= limit:
            break
        if entry == keep:
            continue
        if _remove(entry):
            removed.append((entry, sizes[entry]))
            total -= sizes[entry]
    return removed


def _remove(entry: Path) -> bool:
    """Remove an entry unless another process holds or writes it, or loaded it meanwhile."""
    with open(lock_path(entry), "a") as handle:  # closing it releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # in use, or being written
        if time.time() - _last_use(entry) < GRACE_S:  # loaded since it was listed
            return False
        # Renamed first, so that no reader finds a half-removed entry.
        doomed = entry.with_name(f"{entry.name}.evicted-{os.getpid()}")
        try:
            entry.rename(doomed)
        except FileNotFoundError:  # removed by another process
            return False
        shutil.rmtree(doomed, ignore_errors=True)
        return True
