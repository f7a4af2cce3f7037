"""Peak memory of computing population rates from a store, against the size of its spikes.

Writes synthetic run stores of increasing size (one population of Poisson neurons, spikes in
time order as Brian2 records them, written chunk by chunk from dask arrays through the ordinary
store writer, :func:`depnet.store.write_run`), then in a fresh interpreter per store computes
the binned population rate two ways and reports the peak of Python-tracked memory (tracemalloc,
which sees numpy's buffers) and the process's peak RSS:

- ``chunked``: :func:`depnet.analysis.rate_time_course` (reads spikes block by block);
- ``whole``: reads all spike times into memory (``.values``) and histograms them, for contrast.

Spike bytes are 12 per spike (float64 time + int32 neuron), before compression.

Usage::

    .venv/bin/python benchmarks/store_memory.py [--sizes 0.01 0.1 1] [--dir /tmp/stores] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np

from depnet.analysis.synthetic import synthetic_run
from depnet.rundata import Spikes

N_NEURONS = 10_000
RATE_HZ = 10.0
CHUNK = 1 << 20  # spikes per chunk (12 MiB uncompressed)
BYTES_PER_SPIKE = 12


def _block(block_id, k: int, t_block: float, n: int, seed: int, which: str) -> np.ndarray:
    """Spikes of chunk ``k``: sorted uniform times in its stretch of time, random neurons."""
    rng = np.random.default_rng([seed, k])
    times = np.sort(rng.uniform(k * t_block, (k + 1) * t_block, n))
    neurons = rng.integers(0, N_NEURONS, n, dtype=np.int32)
    return times if which == "time" else neurons


def lazy_spikes(n_spikes: int, seed: int = 0) -> tuple[Spikes, float]:
    """Time-ordered Poisson-like spikes as dask arrays, generated chunk by chunk on demand."""
    n_chunks = max(1, -(-n_spikes // CHUNK))
    n_spikes = n_chunks * CHUNK
    duration = n_spikes / (N_NEURONS * RATE_HZ)
    t_block = duration / n_chunks
    parts = {}
    for which, dtype in (("time", np.float64), ("neuron", np.int32)):
        blocks = [
            da.from_delayed(
                dask.delayed(_block)(None, k, t_block, CHUNK, seed, which), (CHUNK,), dtype
            )
            for k in range(n_chunks)
        ]
        parts[which] = da.concatenate(blocks)
    return Spikes(neuron=parts["neuron"], time=parts["time"], n_neurons=N_NEURONS), duration


def write_store(path: Path, size_gb: float) -> tuple[int, float, float]:
    """Write a store with ``size_gb`` GB of spikes; returns spikes, duration s, write s."""
    n_spikes = int(size_gb * 1e9 / BYTES_PER_SPIKE)
    spikes, duration = lazy_spikes(n_spikes)
    started = time.perf_counter()
    with dask.config.set(scheduler="synchronous"):  # one core, one chunk at a time
        synthetic_run(
            {"ctx_exc": spikes}, duration, regions=["ctx"],
            serotonin_time=np.arange(0, duration, 1.0), path=path,
        )  # fmt: skip
    return int(spikes.time.shape[0]), duration, time.perf_counter() - started


MEASURE = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
from depnet.analysis import open_run, rate_time_course
tree = open_run(sys.argv[1])
how = sys.argv[2]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t = time.perf_counter()
if how == "chunked":
    rate = rate_time_course(tree, bin_width=0.01)
    centre, end = rate.time.values, tree.attrs["duration_s"]
    width = np.minimum(centre + 0.005, end) - (centre - 0.005)  # the last bin is cut short
    n = tree["spikes"]["ctx_exc"].attrs["n_neurons"]
    total = float(np.round((rate.values[0] * width).sum() * n))
else:
    times = tree["spikes"]["ctx_exc"]["time"].values
    counts, _ = np.histogram(times, bins=np.arange(0, tree.attrs["duration_s"] + 0.01, 0.01))
    total = float(counts.sum())
elapsed = time.perf_counter() - t
_, peak = tracemalloc.get_traced_memory()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mb": peak / 1e6, "rss_mb": rss1 / 1e3, "rss_before_mb": rss0 / 1e3,
                  "seconds": elapsed, "total": total}))
"""


def measure(path: Path, how: str) -> dict:
    """Peak memory of one rate computation, in a fresh interpreter (ru_maxrss is per process)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), how],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.01, 0.1, 1.0],
                        help="spike bytes per store in GB (12 bytes per spike)")  # fmt: skip
    parser.add_argument("--dir", type=Path, help="where to write the stores (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-array contrast")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="depnet-store-memory-"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"measured {datetime.date.today()} on {platform.node()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; one population of {N_NEURONS} neurons at "
        f"{RATE_HZ:g} Hz, {CHUNK} spikes per chunk, rates in 10 ms bins"
    )
    header = (
        f"{'spike GB':>8} {'spikes':>11} {'on disk MB':>10} {'write s':>8} "
        f"{'chunked: peak MB':>16} {'RSS MB':>7} {'s':>6}   "
        f"{'whole: peak MB':>14} {'RSS MB':>7} {'s':>6}"
    )
    print(header, flush=True)
    try:
        for size in args.sizes:
            path = root / f"spikes-{size:g}GB.zarr"
            n_spikes, _, write_s = write_store(path, size)
            chunked = measure(path, "chunked")
            line = (
                f"{n_spikes * BYTES_PER_SPIKE / 1e9:8.3f} {n_spikes:11d} {folder_mb(path):10.0f} "
                f"{write_s:8.1f} {chunked['peak_mb']:16.1f} {chunked['rss_mb']:7.0f} "
                f"{chunked['seconds']:6.1f}   "
            )
            if not args.no_whole:
                whole = measure(path, "whole")
                assert whole["total"] == chunked["total"] == n_spikes
                line += f"{whole['peak_mb']:14.1f} {whole['rss_mb']:7.0f} {whole['seconds']:6.1f}"
            print(line, flush=True)
            if not args.keep:
                shutil.rmtree(path)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(
        "peak MB: Python-tracked allocations during the computation (tracemalloc); RSS MB: the "
        "process's peak resident memory (includes the interpreter and libraries, ~0.3 GB)"
    )


if __name__ == "__main__":
    main()
