"""What a run costs before its first time step, per 10^6 synapses, and what it will cost at 10^6
neurons (scale 150): the set-up of issue 25, part 1.

For each scale the healthy scenario goes through the run engine on cpp in a fresh build cache:

- **network data** (Python, once per structure and seed, then cached): building the network on
  the standalone device, drawing its connectivity and writing the arrays the binary loads
  (:func:`depnet.run.network_data`, its ``setup_s``); "of which drawing" is the time inside
  :func:`depnet.circuits.projections.fixed_in_degree` (one ``Generator.choice`` per target cell).
- **binary start-up, cpp**: a run's whole binary (loading the arrays, creating the synapses,
  preparing the spike queues, writing and reading back its results) less its simulation loop,
  for a short run (``--duration``).
- **CUDA's search for repeated pairs, before and after**: brian2cuda 1.0b1's synapse creation
  inserts every (pre, post) pair into a ``std::map`` on one host core (brian2cuda issue #88).
  depnet's CUDA builds no longer do (:func:`depnet.standalone.skip_duplicate_pair_checks`);
  "before" is that search timed here on the scale's own pairs (the connectivity files of the
  network data), by a small C++ program compiled with ``g++ -O3`` that performs the same map
  insertions; "after" is nothing: the code is gone. The search runs on the host, so this CPU
  times it as a GPU node's CPU would (within the speed of the two processors).

The table gives seconds per 10^6 synapses (``s / M``), and the projection multiplies them by
the synapses of scale 150 (synapses grow linearly with scale at fixed in-degrees).

Usage::

    nice -n 10 .venv/bin/python benchmarks/setup_cost.py [--scales 1 2 4 8 16]
        [--out benchmarks/results/setup_cost-cpu-2core.txt]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import brian2 as b2

from depnet.circuits import projections
from depnet.run import network_data, run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario

#: Scale of 10^6 neurons (6,825 neurons at scale 1).
TARGET_SCALE = 150

#: The same map insertions as brian2cuda's synapses_create_array, over each Synapses' pairs.
SEARCH_CPP = r"""
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

static std::vector<int32_t> load(const char* path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    std::vector<int32_t> v(in.tellg() / sizeof(int32_t));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), v.size() * sizeof(int32_t));
    return v;
}

int main(int argc, char** argv) {  // sources targets [sources targets ...]
    double total = 0;
    long pairs = 0, repeated = 0;
    for (int a = 1; a + 1 < argc; a += 2) {
        std::vector<int32_t> pre = load(argv[a]), post = load(argv[a + 1]);
        auto start = std::chrono::steady_clock::now();
        std::map<std::pair<int32_t, int32_t>, int32_t> count;
        for (size_t k = 0; k < pre.size(); k++) {
            if (++count[std::make_pair(pre[k], post[k])] > 1) { repeated++; break; }
        }
        total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        pairs += pre.size();
    }
    std::printf("%ld %ld %.6f\n", pairs, repeated, total);
    return repeated != 0;
}
"""


def _spec(scale: float, duration: str) -> Scenario:
    return load_scenario(
        scenario_path("healthy"),
        {"scenario.scale": scale, "scenario.duration": duration, "scenario.warmup": "0 s"},
    )


class _DrawTimer:
    """Seconds spent in :func:`projections.fixed_in_degree` while active (a wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._original = projections.fixed_in_degree

    def __enter__(self) -> _DrawTimer:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        projections.fixed_in_degree = timed
        return self

    def __exit__(self, *exc) -> None:
        projections.fixed_in_degree = self._original


def _compile_search(folder: Path) -> Path:
    source, binary = folder / "search.cpp", folder / "search"
    source.write_text(SEARCH_CPP)
    subprocess.run(["g++", "-O3", "-std=c++17", str(source), "-o", str(binary)], check=True)
    return binary


def _search_seconds(search: Path, arrays: Path) -> tuple[int, float]:
    """Pairs searched and seconds, over every Synapses of the network data in ``arrays``."""
    files = []
    for sources in sorted(arrays.glob("_static_array__array_*_sources")):
        targets = sources.with_name(sources.name.removesuffix("_sources") + "_targets")
        files += [str(sources), str(targets)]
    out = subprocess.run([str(search), *files], check=True, capture_output=True, text=True)
    pairs, repeated, seconds = out.stdout.split()
    assert int(repeated) == 0, "repeated pairs: the skipped search would have found them"
    return int(pairs), float(seconds)


def measure(scale: float, duration: str, root: Path, search: Path) -> dict:
    spec = _spec(scale, duration)
    cache = root / f"s{scale:g}"
    with _DrawTimer() as draws:
        data = network_data(spec, "cpp", cache)
    synapses, search_s = _search_seconds(search, data.arrays_folder)
    run_scenario(spec, device="cpp", compile_only=True, root=cache, progress=False)
    result = run_scenario(spec, device="cpp", root=cache, write=False, progress=False)
    row = {
        "scale": scale,
        "synapses": synapses,
        "data_s": data.setup_s,
        "draw_s": draws.seconds,
        "binary_s": result.timings.run_s - result.info["wall_time_loop_s"],
        "search_s": search_s,
    }
    shutil.rmtree(cache, ignore_errors=True)  # gigabytes at the larger scales
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0, 16.0])
    parser.add_argument("--duration", default="20 ms", help="simulated time of the short run")
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        search = _compile_search(Path(tmp))
        rows = []
        for scale in args.scales:
            rows.append(measure(scale, args.duration, Path(tmp), search))
            print(f"scale {scale:g} done", flush=True)
    lines = [
        f"measured {datetime.date.today()} on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"brian2 {b2.__version__}, cpp single-threaded",
        "healthy scenario; seconds per 10^6 synapses (s / M). network data: Python, once per "
        "structure and seed (cached), 'drawing' the part in fixed_in_degree; binary start-up: "
        f"a cpp run of {args.duration} less its loop; CUDA pair search: brian2cuda's std::map "
        "search for repeated pairs on the host, before (timed here on the same pairs) and after "
        "(removed from depnet's CUDA builds)",
        f"{'scale':>6}{'synapses':>11}{'data s':>8}{'s / M':>7}{'drawing s / M':>15}"
        f"{'cpp start-up s / M':>20}{'CUDA search before s / M':>26}{'after':>7}",
    ]
    for r in rows:
        m = r["synapses"] / 1e6
        lines.append(
            f"{r['scale']:>6g}{r['synapses']:>11d}{r['data_s']:>8.1f}{r['data_s'] / m:>7.2f}"
            f"{r['draw_s'] / m:>15.2f}{r['binary_s'] / m:>20.2f}{r['search_s'] / m:>26.2f}"
            f"{0.0:>7.2f}"
        )
    largest = rows[-1]
    per_scale = largest["synapses"] / largest["scale"]
    m150 = per_scale * TARGET_SCALE / 1e6
    per_m = {k: largest[k] / (largest["synapses"] / 1e6) for k in ("data_s", "draw_s", "search_s")}
    lines.append(
        f"projection to scale {TARGET_SCALE} ({m150 * 1e6:.3g} synapses, from scale "
        f"{largest['scale']:g}'s costs per synapse): network data {per_m['data_s'] * m150:.0f} s "
        f"once per structure and seed (drawing {per_m['draw_s'] * m150:.0f} s of it); CUDA's pair "
        f"search {per_m['search_s'] * m150:.0f} s of every run's start-up before, 0 s after"
    )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
