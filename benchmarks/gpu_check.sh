#!/usr/bin/env bash
# The GPU checks in one prepared script, for a GPU node with Python 3.12 (python3), the CUDA
# toolkit and no package index: the CUDA settings tests, the CUDA-vs-cpp parity test (-m gpu) and
# benchmark 5 (benchmarks/gpu_scaling.py). Run from the project root:
#
#   benchmarks/gpu_check.sh [--no-gpu] OUTDIR
#
# (on the project's lent GPU machines: the command `bash benchmarks/gpu_check.sh "$OUT"` with
# carry [".whl", ".gpu-builds"] and a timeout of about 560 s).
#
# Before, on a CPU machine with network and nvcc (the project's; about 20 minutes of nvcc on 2 cores):
#   bash ../shared/tools/gpu-wheels.sh                                   # .whl/, 8.9 MiB
#   nice .venv/bin/python benchmarks/gpu_prebuild.py --scales 1 15 40 --parity   # .gpu-builds/, 9.0 MiB
# Carried: 18 MiB of the device tool's 64 MiB. .gpu-builds holds the CUDA binaries (compute
# capability 9.0: H100/H200) of the parity test's loop and of the benchmark's scales, so the GPU
# machine only runs them; without it (or for another GPU) it builds them itself, 45-95 s each.
#
# It needs the project's wheels in .whl/ (git-ignored, so carried to the node). The node's image
# already has numpy, scipy, xarray, matplotlib, pytest and nvidia-curand. depnet itself is not
# installed: its top-level folders are mapped into depnet.* by package-dir in pyproject.toml, so a
# temporary folder holds a copy of depnet/ with links to those folders, first on PYTHONPATH.
#
# OUTDIR (flat, 7 files): gpu_check.log (everything, with timings), env.txt (nvidia-smi, versions),
# settings.txt and parity.txt (pytest), gpu_scaling.log and gpu_scaling.txt (benchmark 5),
# summary.txt (one line per step: ok / FAILED / TIMEOUT, seconds).
#
# Time: at most CHECK_BUDGET_S (8 minutes), every step bounded by `timeout`; meant for one H100/H200
# node (16 cores). Measured on H200s in two sessions on 2026-12-04, building there
# (benchmarks/results/gpu_check-nvidia-h200.txt): ~30 s to start the machine, 10 s of set-up,
# settings tests 13 s, parity 68-73 s (a cuda and a cpp build of the raphe-sgACC loop and their
# runs), cuda builds of the whole circuit 44-56 s at scale 1, 57-72 s at 15 and 93 s at 40, cpp
# builds 9-24 s, cuda runs 3 s (scale 1), 12-16 s (15) and 38 s (40), network data 0.5, 5 and
# 20 s. Expected with .gpu-builds (none of those cuda builds; not yet measured on a GPU):
# set-up ~15 s, settings 13 s, parity ~25 s, benchmark 5 at scales 1 15 40 ~3 minutes (cuda runs
# and network data as above; cpp single-threaded and on 16 OpenMP threads at 1 and 15: four cpp
# builds, ~60 s), in all ~4.5 minutes of device time with the machine's start, which leaves a
# rerun within a 15-minute lease. Rehearsed here with --no-gpu (benchmarks/results/
# gpu_check-rehearsal-cpu-2core.txt): 165 s on 2 cores, the carried builds found at every scale.
# The builds match only the commit they were made at (network, engine code, versions): make
# .gpu-builds from the commit that is carried.
# Scale 150 (10^6 neurons) builds here too (gpu_prebuild.py --scales 1 15 40 150 --parity: ~11.4
# MiB; 411 s of build for 150, 11.8 GB of memory) but does not fit after the others: run it as a
# second call on the warm machine, CHECK_BUDGET_S=400 BENCH_SCALES=150 (network data ~80 s there,
# the cuda run's start-up and 1 s simulated not yet measured).
# Benchmark 5 runs, per scale, cuda then cpp (one thread, then all cores) up to
# BENCH_CPP_MAX_SCALE, and cuda alone above it. The benchmark gets what is left of CHECK_BUDGET_S
# and rewrites its table after every run, so that a timeout loses only the runs not yet done.
# Override with the variables below.
#
# --no-gpu rehearses the check on a machine without a GPU (with nvcc): everything but the CUDA
# runs. The parity test is skipped (it runs cuda), benchmark 5 builds cuda at each scale (or finds
# the carried builds) and runs only cpp. PYTHON names the interpreter (default python3; here:
# PYTHON=.venv/bin/python, which also supplies what the GPU image has preinstalled).
set -uo pipefail

CHECK_BUDGET_S=${CHECK_BUDGET_S:-480}      # whole script
PARITY_TIMEOUT_S=${PARITY_TIMEOUT_S:-180}  # raphe-sgACC loop: a cuda and a cpp build and runs
BENCH_SCALES=${BENCH_SCALES:-}       # default "1 15 40" with .gpu-builds, "1 15" without
BENCH_DURATION=${BENCH_DURATION:-"1 s"}
BENCH_CPP_MAX_SCALE=${BENCH_CPP_MAX_SCALE:-15}
BENCH_CPP_DURATION=${BENCH_CPP_DURATION:-"0.2 s"}

no_gpu=""
if [ "${1:-}" = "--no-gpu" ]; then
  no_gpu="--no-gpu"
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: benchmarks/gpu_check.sh [--no-gpu] OUTDIR" >&2
  exit 2
fi
PYTHON=${PYTHON:-python3}
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
  echo "## python"; "$PYTHON" --version 2>&1
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
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl \
  || fail "pip install of .whl/*.whl failed"
# depnet as it would be installed: a copy of depnet/ plus each mapped folder of package-dir
# (read from pyproject.toml, so that a new mapping needs no change here), as symbolic links.
cp -r depnet "$pkg/depnet" || fail "cannot copy depnet/"
"$PYTHON" - "$pkg" << 'EOF' || fail "cannot map the package-dir folders into depnet"
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
curand_lib=$("$PYTHON" -c 'import nvidia, glob, os
hits = [os.path.dirname(p) for r in nvidia.__path__ for p in glob.glob(r + "/*/lib/libcurand.so.*")]
print(hits[0] if hits else "")' 2> /dev/null)
[ -n "$curand_lib" ] || fail "no nvidia-curand package in $PYTHON (cuRAND headers and library)"
export LD_LIBRARY_PATH="$curand_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$PYTHON" -c 'import depnet.circuits, depnet.analysis, depnet.scenarios, brian2, brian2cuda, zarr
print("imports ok: depnet", depnet.__file__, "brian2", brian2.__version__, "zarr", zarr.__version__)' \
  || fail "imports failed"
# The CUDA runtime of the toolkit, for binaries built elsewhere (their run path is that machine's).
nvcc_bin=$(command -v nvcc || true)
if [ -n "$nvcc_bin" ]; then
  cuda_home=$(cd "$(dirname "$nvcc_bin")/.." && pwd)
  export LD_LIBRARY_PATH="$cuda_home/lib64:$cuda_home/lib:$LD_LIBRARY_PATH"
fi
# CUDA builds made beforehand on a CPU machine (benchmarks/gpu_prebuild.py; carry .gpu-builds):
# the benchmark's cuda runs find them in this build root and only run.
prebuilt=()
if [ -f .gpu-builds/builds.tar.xz ]; then
  mkdir -p "$DEPNET_BUILD_ROOT" && tar -xJf .gpu-builds/builds.tar.xz -C "$DEPNET_BUILD_ROOT" \
    || fail "cannot unpack .gpu-builds/builds.tar.xz"
  prebuilt=(--prebuilt "$DEPNET_BUILD_ROOT")
  BENCH_SCALES=${BENCH_SCALES:-"1 15 40"}
  log "prebuilt cuda builds: $(cat .gpu-builds/prebuilt.txt 2> /dev/null | tr '\n' ' ')"
else
  log "no .gpu-builds/builds.tar.xz: cuda builds are made here (45-95 s per scale)"
  BENCH_SCALES=${BENCH_SCALES:-"1 15"}  # scale 40's build does not fit after them
fi
log "setup done (PYTHONPATH=$PYTHONPATH, cuRAND $curand_lib)"

# --- checks ------------------------------------------------------------------------------
status=0
step "cuda settings tests" 60 settings.txt \
  "$PYTHON" -m pytest -p no:cacheprovider -rA tests/test_cuda_settings.py || status=1
if [ -n "$no_gpu" ]; then
  log "cuda vs cpp parity: skipped (--no-gpu: it runs cuda)"
  echo "cuda vs cpp parity (-m gpu): SKIPPED (--no-gpu)" >> "$out/summary.txt"
else
  step "cuda vs cpp parity (-m gpu)" "$PARITY_TIMEOUT_S" parity.txt \
    "$PYTHON" -m pytest -p no:cacheprovider -rA -m gpu tests/test_cuda_parity.py || status=1
fi
left=$((CHECK_BUDGET_S - (SECONDS - started) - 20))
if [ "$left" -lt 60 ]; then
  log "benchmark 5: skipped, ${left}s left of ${CHECK_BUDGET_S}s"
  echo "benchmark 5: SKIPPED, ${left} s left" >> "$out/summary.txt"
  status=1
else
  # shellcheck disable=SC2086  # BENCH_SCALES is a list
  step "benchmark 5 (gpu_scaling)" "$left" gpu_scaling.log \
    "$PYTHON" benchmarks/gpu_scaling.py --out "$out" --scales $BENCH_SCALES \
    --duration "$BENCH_DURATION" --cpp-max-scale "$BENCH_CPP_MAX_SCALE" \
    --cpp-duration "$BENCH_CPP_DURATION" --build-root "$pkg" "${prebuilt[@]}" $no_gpu || status=1
fi
[ -f "$out/gpu_scaling.txt" ] && cat "$out/gpu_scaling.txt"
log "done in $((SECONDS - started))s; summary:"
cat "$out/summary.txt"
exit "$status"
