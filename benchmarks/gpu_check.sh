#!/usr/bin/env bash
# The GPU checks in one prepared script, for a GPU node with Python 3.12 (python3), the CUDA
# toolkit and no package index: the CUDA settings tests, the CUDA-vs-cpp parity test (-m gpu) and
# benchmark 5 (benchmarks/gpu_scaling.py). Run from the project root:
#
#   benchmarks/gpu_check.sh OUTDIR
#
# (on the project's lent GPU machines: the command `bash benchmarks/gpu_check.sh "$OUT"` with
# carry [".whl"] and a timeout of about 560 s).
#
# It needs the project's wheels in .whl/ (made beforehand, with network, by
# ../shared/tools/gpu-wheels.sh; .whl/ is git-ignored, so carry it to the node). The node's image
# already has numpy, scipy, xarray, matplotlib, pytest and nvidia-curand. depnet itself is not
# installed: its top-level folders are mapped into depnet.* by package-dir in pyproject.toml, so a
# temporary folder holds a copy of depnet/ with links to those folders, first on PYTHONPATH.
#
# OUTDIR (flat, 7 files): gpu_check.log (everything, with timings), env.txt (nvidia-smi, versions),
# settings.txt and parity.txt (pytest), gpu_scaling.log and gpu_scaling.txt (benchmark 5),
# summary.txt (one line per step: ok / FAILED / TIMEOUT, seconds).
#
# Time: at most CHECK_BUDGET_S (8 minutes), every step bounded by `timeout`; meant for one H100/H200
# node (16 cores). Measured on H200s in two sessions on 2026-12-04
# (benchmarks/results/gpu_check-nvidia-h200.txt): ~30 s to start the machine, 10 s of set-up,
# settings tests 13 s, parity 68-73 s (a cuda and a cpp build of the raphe-sgACC loop and their
# runs; 19 s when a warm machine still has those builds); in benchmark 5 a cuda build of the whole
# circuit took 44-56 s at scale 1, 57-72 s at scale 15 and 93 s at scale 40 with 16 nvcc jobs
# (sizes are compiled in, so every scale is a full build), cpp builds 9-24 s, runs seconds.
# Benchmark 5 runs, in this order, cuda at 1, cpp at 1, cuda at 15, cpp at 15, then cuda at the
# larger scales: scales 1 and 15 give the cuda/cpp ratio (single-threaded cpp: 14 s per simulated
# second at 15, hence its 0.2 s there) and take ~4-4.5 minutes; scale 40 (~2.5 minutes: 20 s of
# network, 93 s build, 38 s run) does not fit after them in a 15-minute lease's first call, so run
# it as a second call on the warm machine: CHECK_BUDGET_S=375 BENCH_SCALES=40. The benchmark gets
# what is left of CHECK_BUDGET_S and rewrites its table after every run, so that a timeout loses
# only the runs not yet done. Override with the variables below.
set -uo pipefail

CHECK_BUDGET_S=${CHECK_BUDGET_S:-480}      # whole script
PARITY_TIMEOUT_S=${PARITY_TIMEOUT_S:-180}  # raphe-sgACC loop: a cuda and a cpp build and runs
BENCH_SCALES=${BENCH_SCALES:-"1 15"}    # scale 40: a second call, see above
BENCH_DURATION=${BENCH_DURATION:-"1 s"}
BENCH_CPP_MAX_SCALE=${BENCH_CPP_MAX_SCALE:-15}
BENCH_CPP_DURATION=${BENCH_CPP_DURATION:-"0.2 s"}

if [ $# -ne 1 ]; then
  echo "usage: benchmarks/gpu_check.sh OUTDIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
started=$SECONDS
exec > >(tee -a "$out/gpu_check.log") 2>&1
: > "$out/summary.txt"

log() { echo "[gpu_check +$((SECONDS - started))s] $*"; }

# step NAME TIMEOUT_S LOGFILE COMMAND...: run with a time limit, record its status and duration.
step() {
  local name=$1 limit=$2 file=$3 t0=$SECONDS rc status
  shift 3
  log "$name: start (limit ${limit}s)"
  timeout --kill-after=15 "$limit" "$@" > "$out/$file" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status=TIMEOUT ;;
    *) status="FAILED (exit $rc)" ;;
  esac
  tail -n 40 "$out/$file"
  log "$name: $status after $((SECONDS - t0))s"
  # the log's last line: pytest's "1 passed" / "1 skipped", the benchmark's summary
  echo "$name: $status, $((SECONDS - t0)) s, log $file: $(tail -n 1 "$out/$file")" \
    >> "$out/summary.txt"
  return "$rc"
}

fail() {
  log "$*"
  echo "setup: FAILED: $*" >> "$out/summary.txt"
  exit 1
}

# --- environment -------------------------------------------------------------------------
if ! command -v nvcc > /dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
{
  echo "## nvidia-smi"; nvidia-smi 2>&1
  echo "## nvidia-smi compute capability"
  nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv 2>&1
  echo "## nvcc"; nvcc --version 2>&1
  echo "## host compiler"; g++ --version 2>&1 | head -n 1
  echo "## python"; python3 --version 2>&1
  echo "## CPU"; nproc; grep -m1 "model name" /proc/cpuinfo
  echo "## memory"; free -g 2>&1 | head -n 2
  echo "## project"; git -C "$root" log -1 --format="%H %s" 2>&1; git -C "$root" status --short 2>&1
} > "$out/env.txt" 2>&1
cat "$out/env.txt"

# --- packages ----------------------------------------------------------------------------
compgen -G ".whl/*.whl" > /dev/null || fail "no wheels in $root/.whl (make them with ../shared/tools/gpu-wheels.sh and carry .whl)"
site=$(mktemp -d)
pkg=$(mktemp -d)
trap 'rm -rf "$site" "$pkg"' EXIT
python3 -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl \
  || fail "pip install of .whl/*.whl failed"
# depnet as it would be installed: a copy of depnet/ plus each mapped folder of package-dir
# (read from pyproject.toml, so that a new mapping needs no change here), as symbolic links.
cp -r depnet "$pkg/depnet" || fail "cannot copy depnet/"
python3 - "$pkg" << 'EOF' || fail "cannot map the package-dir folders into depnet"
import os, sys, tomllib

with open("pyproject.toml", "rb") as f:
    package_dir = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
for package, folder in package_dir.items():
    parts = package.split(".")
    if parts[0] != "depnet" or len(parts) != 2:
        continue  # subpackages (depnet.x.y) come with their parent's folder
    link = os.path.join(sys.argv[1], *parts)
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(folder), link)
    print(f"{package} -> {folder}")
EOF
# $root last: tests/ import from it; the assembled depnet comes first. PYTHONSAFEPATH keeps
# python3 -c / -m from putting the working folder, whose depnet/ lacks the mapped folders, first.
export PYTHONPATH="$pkg:$site:$root"
export PYTHONSAFEPATH=1
export DEPNET_BUILD_ROOT="$pkg/build"
# cuRAND from the image's nvidia-curand: depnet links it into the binaries' run path; the loader
# path is set too, for binaries built elsewhere.
curand_lib=$(python3 -c 'import nvidia, glob, os
hits = [os.path.dirname(p) for r in nvidia.__path__ for p in glob.glob(r + "/*/lib/libcurand.so.*")]
print(hits[0] if hits else "")' 2> /dev/null)
[ -n "$curand_lib" ] || fail "no nvidia-curand package in python3 (cuRAND headers and library)"
export LD_LIBRARY_PATH="$curand_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python3 -c 'import depnet.circuits, depnet.analysis, depnet.scenarios, brian2, brian2cuda, zarr
print("imports ok: depnet", depnet.__file__, "brian2", brian2.__version__, "zarr", zarr.__version__)' \
  || fail "imports failed"
log "setup done (PYTHONPATH=$PYTHONPATH, cuRAND $curand_lib)"

# --- checks ------------------------------------------------------------------------------
status=0
step "cuda settings tests" 60 settings.txt \
  python3 -m pytest -p no:cacheprovider -rA tests/test_cuda_settings.py || status=1
step "cuda vs cpp parity (-m gpu)" "$PARITY_TIMEOUT_S" parity.txt \
  python3 -m pytest -p no:cacheprovider -rA -m gpu tests/test_cuda_parity.py || status=1
left=$((CHECK_BUDGET_S - (SECONDS - started) - 20))
if [ "$left" -lt 60 ]; then
  log "benchmark 5: skipped, ${left}s left of ${CHECK_BUDGET_S}s"
  echo "benchmark 5: SKIPPED, ${left} s left" >> "$out/summary.txt"
  status=1
else
  # shellcheck disable=SC2086  # BENCH_SCALES is a list
  step "benchmark 5 (gpu_scaling)" "$left" gpu_scaling.log \
    python3 benchmarks/gpu_scaling.py --out "$out" --scales $BENCH_SCALES \
    --duration "$BENCH_DURATION" --cpp-max-scale "$BENCH_CPP_MAX_SCALE" \
    --cpp-duration "$BENCH_CPP_DURATION" --build-root "$pkg" || status=1
fi
[ -f "$out/gpu_scaling.txt" ] && cat "$out/gpu_scaling.txt"
log "done in $((SECONDS - started))s; summary:"
cat "$out/summary.txt"
exit "$status"
