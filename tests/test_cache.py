"""The network-data cache stays within its size: least recently used entries go, never one that
a run holds, that was just loaded or that another process is writing."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import depnet.run
from depnet import cache
from depnet.errors import ScenarioError
from depnet.run import NetworkData, network_data, run_point
from tests.conftest import small_scenario

MB = 1_000_000
HOUR = 3600.0


def _entry(root: Path, key: str, age_s: float, mb: int = 1, complete: bool = True) -> Path:
    """A fake cache entry of ``mb`` MB last used ``age_s`` ago."""
    folder = root / key
    (folder / "static_arrays").mkdir(parents=True)
    (folder / "static_arrays" / "weights").write_bytes(b"\0" * (mb * MB))
    used = time.time() - age_s
    if complete:
        (folder / cache.STAMP).write_text("{}")
        os.utime(folder / cache.STAMP, (used, used))
    os.utime(folder, (used, used))
    return folder


def test_least_recently_used_entries_go_first_until_the_cache_fits(tmp_path):
    entries = [_entry(tmp_path, f"k{i}", age_s=(5 - i) * HOUR) for i in range(4)]  # k0 oldest
    removed = cache.evict(tmp_path, limit=2.5 * MB)
    assert [(p.name, size // MB) for p, size in removed] == [("k0", 1), ("k1", 1)]
    assert [p.exists() for p in entries] == [False, False, True, True]
    assert cache.evict(tmp_path, limit=2.5 * MB) == []  # within the limit: nothing more goes


def test_an_entry_held_by_a_run_just_loaded_or_just_written_stays(tmp_path):
    held = _entry(tmp_path, "held", age_s=9 * HOUR)
    recent = _entry(tmp_path, "recent", age_s=cache.GRACE_S / 2)
    new = _entry(tmp_path, "new", age_s=8 * HOUR)
    old = _entry(tmp_path, "old", age_s=7 * HOUR)
    with cache.held(held):
        assert (time.time() - held.joinpath(cache.STAMP).stat().st_mtime) < 60  # marked as used
        os.utime(held / cache.STAMP, (0, 0))  # as if long ago: only the lock keeps it
        removed = cache.evict(tmp_path, limit=0, keep=new)
    assert [p.name for p, _ in removed] == ["old"]
    assert held.exists() and recent.exists() and new.exists() and not old.exists()


def test_a_partial_entry_goes_when_its_writer_is_gone_not_while_it_writes(tmp_path):
    abandoned = _entry(tmp_path, "a1.partial-99", age_s=3 * HOUR, complete=False)
    writing = _entry(tmp_path, "b2.partial-98", age_s=3 * HOUR, complete=False)
    with open(cache.lock_path(writing), "a") as lock:  # network_data's lock while it writes
        fcntl.flock(lock, fcntl.LOCK_EX)
        removed = cache.evict(tmp_path, limit=0)
    assert [p.name for p, _ in removed] == ["a1.partial-99"]
    assert not abandoned.exists() and writing.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["b2.partial-98"]


@pytest.mark.parametrize("value", ["-1", "0", "nan", "five"])
def test_a_limit_that_is_not_a_positive_size_is_a_one_line_error(monkeypatch, value):
    monkeypatch.setenv("DEPNET_DATA_CACHE_GB", value)
    with pytest.raises(ScenarioError, match=f"DEPNET_DATA_CACHE_GB='{value}': expected a positive"):
        cache.limit_bytes()


def test_the_default_limit_and_no_limit(monkeypatch):
    monkeypatch.delenv("DEPNET_DATA_CACHE_GB", raising=False)
    assert cache.limit_bytes() == cache.DEFAULT_LIMIT_GB * 1e9
    monkeypatch.setenv("DEPNET_DATA_CACHE_GB", "inf")
    assert cache.limit_bytes() == float("inf")


def test_a_new_entry_makes_room_by_removing_old_ones(monkeypatch, tmp_path, capfd):
    """network_data, past the limit, removes old entries and says so; the new one stays."""
    data_root = tmp_path / "build" / "data"
    old = [_entry(data_root, f"old{i}", age_s=(9 - i) * HOUR, mb=2) for i in range(3)]
    monkeypatch.setenv("DEPNET_DATA_CACHE_GB", "0.003")  # 3 MB
    data = network_data(small_scenario(), "cpp", tmp_path / "build")
    assert (data.folder / cache.STAMP).exists()
    assert not any(p.exists() for p in old)
    assert "network-data cache over 0.003 GB ($DEPNET_DATA_CACHE_GB): removed the 3 least " in (
        capfd.readouterr().err
    )


def test_a_run_whose_network_data_left_the_cache_makes_them_again(monkeypatch, tmp_path):
    """Evicted between loading and running (a build longer than GRACE_S): the same key, the
    same data, made again before the run holds them."""
    spec = small_scenario()
    data = network_data(spec, "cpp", tmp_path)
    shutil.rmtree(data.folder)
    seen = []
    monkeypatch.setattr(
        depnet.run, "_run_segments", lambda spec, build, data, *a: seen.append(data)
    )
    build = SimpleNamespace(target="cpp")
    run_point(spec, build, data, tmp_path / "w", None)  # type: ignore[arg-type]
    (made,) = seen
    assert (made.folder, made.fingerprint) == (data.folder, data.fingerprint)
    assert (data.folder / cache.STAMP).exists()


def test_a_running_point_holds_its_network_data(monkeypatch, tmp_path):
    """While run_point runs segments its entry cannot go, however old; afterwards it can."""
    entry = _entry(tmp_path, "k0", age_s=9 * HOUR)
    data = NetworkData(entry, "f", None, {}, [])  # type: ignore[arg-type]

    def segments(*args):
        os.utime(entry / cache.STAMP, (0, 0))  # as if loaded long ago
        return cache.evict(tmp_path, limit=0)

    monkeypatch.setattr(depnet.run, "_run_segments", segments)
    assert run_point(small_scenario(), None, data, tmp_path / "w", None) == []  # type: ignore[arg-type]
    assert [p.name for p, _ in cache.evict(tmp_path, limit=0)] == ["k0"]


def test_one_process_evicts_at_a_time(tmp_path):
    """Two at once would each remove what the limit asks for: the second leaves it."""
    entries = [_entry(tmp_path, f"k{i}", age_s=(5 - i) * HOUR) for i in range(4)]
    with open(tmp_path / cache.EVICTING, "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        assert cache.evict(tmp_path, limit=0) == []
    assert all(p.exists() for p in entries)
    assert len(cache.evict(tmp_path, limit=0)) == 4


def test_the_set_up_time_of_the_network_data_is_kept(tmp_path):
    """Measured when the entry is made and read back by every later load (a store's
    ``run.wall_time_network_data_s``)."""
    spec = small_scenario()
    made = network_data(spec, "cpp", tmp_path)
    assert made.setup_s > 0
    assert network_data(spec, "cpp", tmp_path).setup_s == made.setup_s
