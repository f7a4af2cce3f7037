"""Brian2 targets: the one module that touches Brian2 devices and preferences.

Three targets share one network description:

``runtime``
    Brian2's runtime mode with numpy code generation: starts at once, runs slowly; small tests.
``cpp``
    C++ standalone (the default): compiled once per build folder, OpenMP threads optional.
``cuda``
    brian2cuda standalone, with CUDA 12 or 13, for compute capabilities from 7.0 (Volta) to the
    newest the installed nvcc lists (Hopper 9.0, Blackwell 10.x and 12.x). Builds without a GPU
    (the compute capability is then given or the default, not detected; cuRAND from the
    ``nvidia-curand`` wheel), runs where one answers. The choices (C++ dialect, architecture,
    heap, parallel make) are small pure functions (:func:`cuda_build_flags` and its helpers) so
    that they can be tested without a GPU.

``auto`` picks ``cuda`` where ``nvidia-smi -L`` lists a GPU, else ``cpp``. Every session starts
from Brian2's default preferences and a fresh device, and leaves the runtime device active, so
several runs can happen in one process.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2

from depnet import standalone
from depnet.errors import DeviceError

TARGETS = ("runtime", "cpp", "cuda")
#: Compute capability assumed for CUDA builds on a machine without a GPU (H100/H200).
DEFAULT_COMPUTE_CAPABILITY = 9.0
#: The lowest compute capability depnet builds for (Volta, 7.0); the highest is whatever the
#: installed nvcc lists (``nvcc --list-gpu-code``: Blackwell's 10.x and 12.x with CUDA 12.8+ and
#: 13). CUDA 13 itself no longer compiles for 7.0/7.2.
MIN_COMPUTE_CAPABILITY = 7.0
#: nvcc major versions depnet builds with.
NVCC_MAJORS = (12, 13)
#: Device heap (``malloc`` in kernels), in MB. brian2cuda keeps there the spike queues of
#: synapses with heterogeneous delays (every merged Synapses of the circuit), which grow with the
#: spikes in flight: at 10^6 neurons (scale 150), ~5 Hz and 20 ms of delay that is ~1.3e7 int32
#: entries, 50 MB, held in vectors that double when full, one per delay slot and block. Its
#: default, 128 MB, is too small there. 2047 is the most brian2cuda's main.cu can take: it computes
#: ``size_t limit = {gpu_heap_size} * 1024 * 1024`` in int, which overflows from 2048 on.
GPU_HEAP_MB = 2047


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds spent building (code generation + compilation) and running."""

    build_s: float
    run_s: float


def gpu_available() -> bool:
    """Whether an NVIDIA GPU answers here (``nvidia-smi -L`` lists one)."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def resolve_target(name: str) -> str:
    """Turn a target name (``runtime``, ``cpp``, ``cuda`` or ``auto``) into a concrete one."""
    if name == "auto":
        return "cuda" if gpu_available() else "cpp"
    if name not in TARGETS:
        raise DeviceError(f"unknown device {name!r}; choose from runtime, cpp, cuda, auto")
    return name


#: gcc vectorizes a loop over arrays it cannot prove distinct only behind run-time overlap
#: checks, at most 10 by default; the neuron update reads and writes ~25 per-cell arrays (~100
#: checks, once per call). Brian2's local ``__restrict`` pointers do not count as proof. Brian2
#: test-compiles every flag and drops those the compiler refuses (clang, say).
VECTORIZING_FLAGS = ("--param=vect-max-version-for-alias-checks=256",)

#: C headers shipped with depnet (``depnet/native``).
NATIVE = Path(__file__).resolve().parent / "native"


def _allocate_arrays_from_heap(device: b2.devices.Device) -> None:
    """Have the C++ binary take its state arrays from the heap: page-aligned arrays thrash one
    cache set in the neuron update (``depnet/native/depnet_heap_arrays.h`` says why)."""
    device.include_dirs.append(str(NATIVE))
    device.headers.append('"depnet_heap_arrays.h"')
    device.insert_code("before_start", "depnet_arrays_from_heap();")


#: Brian2's own ``defaultclock.dt`` (what a fresh process starts with).
BRIAN_DEFAULT_DT = 0.1 * b2.ms


def restore_defaults() -> None:
    """Give Brian2 its state of a fresh process back: no standalone project, the runtime device,
    default preferences, ``defaultclock.dt`` of 0.1 ms and an unseeded random stream.

    Every global that a build sets (:func:`activated`, :func:`depnet.run.build_network`) is in
    this list, so that what one build or test sets never reaches the next. (Objects' names do
    not depend on what else lives in the process: every object of a network is named.)
    """
    device = b2.get_device()
    if hasattr(device, "reinit"):
        device.reinit()
    b2.set_device("runtime")
    b2.prefs.reset_to_defaults()
    b2.defaultclock.dt = BRIAN_DEFAULT_DT
    b2.seed(None)


@dataclass(frozen=True)
class CudaBuildFlags:
    """What a CUDA build is compiled with (see :func:`cuda_build_flags`)."""

    #: Compute capability given to brian2cuda, which turns it into ``-arch=sm_XY``.
    compute_capability: float
    #: Extra nvcc arguments (after brian2cuda's own ``-std=c++11``: nvcc takes the last ``-std``).
    nvcc: tuple[str, ...]
    #: Host compiler arguments (brian2's defaults pass ``-std=c++11`` and ``-march=native``).
    host: tuple[str, ...]
    #: Device heap in MB.
    heap_mb: int


def parse_nvcc_version(text: str) -> tuple[int, int]:
    """``(major, minor)`` from the output of ``nvcc --version``.

    Raises
    ------
    DeviceError
        When the output has no ``release X.Y`` line.
    """
    match = re.search(r"release (\d+)\.(\d+)", text)
    if match is None:
        raise DeviceError("cuda: cannot read the CUDA version from 'nvcc --version'")
    return int(match[1]), int(match[2])


def parse_compute_capabilities(text: str) -> list[float]:
    """Compute capabilities from ``nvidia-smi --query-gpu=compute_cap --format=csv,noheader``."""
    caps = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            caps.append(float(line.strip()))
    return caps


def resolve_compute_capability(
    detected: Collection[float], requested: float | None
) -> tuple[float, str]:
    """The compute capability to build for, and where it came from.

    A requested value first (a sweep builds on a CPU node for its GPU nodes, and finds its
    build there by that value); else the GPUs that answer here (a binary built here runs here):
    the lowest of them, so that on a node with mixed GPUs the binary's PTX runs on all of them;
    else :data:`DEFAULT_COMPUTE_CAPABILITY`.
    """
    if requested is not None:
        return float(requested), "requested"
    if detected:
        return min(detected), "detected"
    return DEFAULT_COMPUTE_CAPABILITY, "default"


def check_compute_capability(cc: float, nvcc_codes: Collection[str] | None = None) -> float:
    """``cc`` if depnet and the installed nvcc can build for it, else a one-line DeviceError.

    Parameters
    ----------
    cc
        Compute capability, e.g. 9.0.
    nvcc_codes
        What ``nvcc --list-gpu-code`` lists (``sm_75``, ...); ``None`` skips that check.
    """
    if not cc >= MIN_COMPUTE_CAPABILITY:
        raise DeviceError(
            f"cuda: compute capability {cc:.1f} is not supported; depnet builds for "
            f"{MIN_COMPUTE_CAPABILITY:.1f} (Volta) and newer, as far as the installed nvcc goes"
        )
    code = sm_code(cc)
    if nvcc_codes is not None and code not in nvcc_codes:
        known = ", ".join(sorted(c for c in nvcc_codes if c.startswith("sm_")))
        raise DeviceError(
            f"cuda: the installed nvcc cannot build for compute capability {cc:.1f} ({code}); "
            f"it builds for {known}"
        )
    return cc


def sm_code(cc: float) -> str:
    """nvcc's name of a compute capability: 9.0 -> ``sm_90`` (as brian2cuda spells it)."""
    return "sm_" + f"{cc:.1f}".replace(".", "")


def cxx_standard(nvcc_major: int) -> str:
    """The C++ dialect for a CUDA major version.

    CUDA 13's Thrust/CUB/libcu++ (CCCL 3) require C++17. CUDA 12's (CCCL 2) deprecate C++11,
    which brian2cuda's makefile passes, and accept C++14 and 17: C++17 there too, so that the
    generated code is compiled in one dialect whichever toolkit builds it.

    Raises
    ------
    DeviceError
        For a CUDA major version other than those of :data:`NVCC_MAJORS`.
    """
    if nvcc_major not in NVCC_MAJORS:
        raise DeviceError(
            f"cuda: nvcc from CUDA {nvcc_major} found; depnet builds with CUDA "
            + " or ".join(str(m) for m in NVCC_MAJORS)
        )
    return "c++17"


def cuda_build_flags(nvcc_major: int, compute_capability: float) -> CudaBuildFlags:
    """Compiler settings of a CUDA build for a CUDA major version and compute capability.

    No ``-march=native`` in the host flags: the binary may be built on a CPU machine and run on a
    GPU node.
    """
    std = f"-std={cxx_standard(nvcc_major)}"
    check_compute_capability(compute_capability)
    return CudaBuildFlags(
        compute_capability=float(compute_capability),
        nvcc=("-w", "-use_fast_math", std),
        host=("-w", "-O3", "-ffast-math", "-fno-finite-math-only", std),
        heap_mb=GPU_HEAP_MB,
    )


def make_jobs() -> int:
    """Parallel make jobs: the CPUs this process may use (a Slurm allocation, not the node)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def detect_compute_capabilities() -> list[float]:
    """Compute capabilities of the GPUs that answer here; empty without a GPU or driver."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_compute_capabilities(out.stdout) if out.returncode == 0 else []


def parse_memory_totals(text: str) -> list[float]:
    """GPU memory in bytes from ``nvidia-smi --query-gpu=memory.total --format=csv,noheader,
    nounits`` (MiB, one line per GPU)."""
    totals = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            totals.append(float(line.strip()) * 2**20)
    return totals


@functools.cache
def gpu_memory() -> float | None:
    """Memory of the GPU a cuda run uses, in bytes; None without a GPU or driver.

    The smallest of the GPUs that answer: brian2cuda runs on the first visible one
    (``CUDA_VISIBLE_DEVICES``), whose index nvidia-smi does not follow, and a node's GPUs are
    usually alike. Asked once per process (it does not change while one runs).
    """
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    totals = parse_memory_totals(out.stdout) if out.returncode == 0 else []
    return min(totals) if totals else None


def _nvcc() -> str:
    """The nvcc that brian2cuda will use: ``$CUDA_PATH/bin/nvcc``, else the one on PATH."""
    if cuda_path := os.environ.get("CUDA_PATH"):
        candidate = Path(cuda_path, "bin", "nvcc")
        if candidate.is_file():
            return str(candidate)
    if found := shutil.which("nvcc"):
        return found
    raise DeviceError("cuda: nvcc not found; put the CUDA toolkit on PATH or set CUDA_PATH")


def detect_nvcc() -> tuple[tuple[int, int], set[str] | None]:
    """The installed nvcc's ``(major, minor)`` version and the ``sm_XY`` codes it can build."""
    nvcc = _nvcc()
    try:
        version = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=60)
        codes = subprocess.run(
            [nvcc, "--list-gpu-code"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DeviceError(f"cuda: cannot run {nvcc}: {err}") from err
    listed = set(codes.stdout.split()) if codes.returncode == 0 else None
    return parse_nvcc_version(version.stdout), listed or None


def _curand_dirs(build_root: Path) -> tuple[str, str]:
    """Include and library folders of cuRAND from the nvidia-curand wheel.

    The wheel has ``libcurand.so.10`` only. The linker wants a bare ``libcurand.so`` and the
    binary then asks the loader for ``libcurand.so.10`` along its run path: link both names in a
    folder of our own (the run path) instead of writing into site-packages.
    """
    spec = importlib.util.find_spec("nvidia")
    roots = list(spec.submodule_search_locations) if spec else []
    for root in roots:
        for cu in ("cu13", "cu12", "curand"):
            include, lib = Path(root, cu, "include"), Path(root, cu, "lib")
            if (include / "curand.h").is_file():
                libraries = sorted(lib.glob("libcurand.so.*"))
                if not libraries:
                    continue
                target = libraries[0].resolve()
                shim = build_root / "curand-lib"
                shim.mkdir(parents=True, exist_ok=True)
                for name in ("libcurand.so", target.name):
                    _symlink(shim / name, target)
                return str(include), str(shim)
    raise DeviceError(
        "cuda: cuRAND headers not found; install the 'nvidia-curand' package "
        "(pip install 'depnet[cuda]')"
    )


def _symlink(link: Path, target: Path) -> None:
    """Point ``link`` at ``target``; a stale or dangling link is replaced atomically, since
    concurrent builds may share the folder."""
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    temp = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    temp.symlink_to(target)
    os.replace(temp, link)


def _drop_stale_objects(build_dir: Path, settings: dict) -> None:
    """Delete the objects and binary of ``build_dir`` if they were built with other settings.

    Brian2 rewrites only the generated files whose text changed, and make compares file times
    only: after a change of compute capability, dialect or nvcc, old objects would be linked as
    they are. A stamp file records the settings of the objects in the folder.
    """
    stamp = build_dir / ".depnet-cuda-settings.json"
    text = json.dumps(settings, sort_keys=True)
    if stamp.is_file() and stamp.read_text() == text:
        return
    if build_dir.is_dir():
        for obj in build_dir.rglob("*.o"):
            obj.unlink()
        with contextlib.suppress(FileNotFoundError):
            binary_path(build_dir).unlink()
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(text)


def _configure_cuda(build_dir: Path, compute_capability: float | None, jobs: int) -> CudaBuildFlags:
    """Set brian2cuda's preferences for a build in ``build_dir``; the flags chosen.

    The compute capability is ``compute_capability`` where given, else the GPU's where one
    answers, else :data:`DEFAULT_COMPUTE_CAPABILITY` (:func:`resolve_compute_capability`); the
    C++ dialect follows nvcc's major version.
    """
    import brian2cuda  # noqa: F401  (registers the cuda_standalone device)

    (major, minor), codes = detect_nvcc()
    detected = detect_compute_capabilities()
    cc, _ = resolve_compute_capability(detected, compute_capability)
    if detected and min(detected) < cc:
        print(
            f"cuda: building for compute capability {cc:.1f} as requested; the GPU here "
            f"({min(detected):.1f}) cannot run that binary",
            file=sys.stderr,
        )
    check_compute_capability(cc, codes)
    flags = cuda_build_flags(major, cc)
    cuda = b2.prefs.devices.cuda_standalone.cuda_backend
    # Detected above: brian2cuda's own detection needs nvidia-smi -L (or deviceQuery) and
    # fails on a machine without a GPU.
    cuda.detect_gpus = False
    cuda.gpu_id = 0  # the first visible GPU (CUDA_VISIBLE_DEVICES)
    cuda.compute_capability = flags.compute_capability
    cuda.cuda_runtime_version = float(f"{major}.{minor}")
    cuda.gpu_heap_size = flags.heap_mb
    cuda.extra_compile_args_nvcc = list(flags.nvcc)
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(flags.host)
    include, lib = _curand_dirs(build_dir.parent)
    b2.prefs.codegen.cpp.include_dirs = [*b2.prefs.codegen.cpp.include_dirs, include]
    b2.prefs.codegen.cpp.library_dirs = [*b2.prefs.codegen.cpp.library_dirs, lib]
    b2.prefs.codegen.cpp.runtime_library_dirs = [
        *b2.prefs.codegen.cpp.runtime_library_dirs, str(Path(lib).resolve()),
    ]  # fmt: skip
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{jobs}"]
    _drop_stale_objects(
        build_dir,
        {"nvcc": [major, minor], "arch": sm_code(cc), "nvcc_flags": flags.nvcc,
         "host_flags": flags.host},
    )  # fmt: skip
    b2.set_device("cuda_standalone", build_on_run=False, directory=str(build_dir))
    return flags


@contextlib.contextmanager
def activated(
    target: str,
    build_dir: Path | None = None,
    *,
    threads: int = 0,
    compute_capability: float | None = None,
) -> Iterator[str]:
    """Make ``target`` the current Brian2 device for the duration of a ``with`` block.

    Parameters
    ----------
    target
        ``runtime``, ``cpp`` or ``cuda``.
    build_dir
        Folder of the standalone project (needed for ``cpp`` and ``cuda``).
    threads
        OpenMP threads for ``cpp`` (0: no OpenMP).
    compute_capability
        CUDA compute capability to compile for where no GPU answers (where one does, its own
        is used); ``None``: :data:`DEFAULT_COMPUTE_CAPABILITY`.
    """
    # Brian2 names the code objects it makes after the live ones ("<owner>_codeobject_1"); the
    # previous network's live on in reference cycles until collected, so collect them first:
    # then a network generates the same code in any process.
    gc.collect()
    restore_defaults()
    jobs = make_jobs()
    try:
        if target == "runtime":
            b2.prefs.codegen.target = "numpy"
        elif target == "cpp":
            assert build_dir is not None
            b2.prefs.devices.cpp_standalone.openmp_threads = threads
            b2.prefs.devices.cpp_standalone.extra_make_args_unix = [
                f"-j{jobs}", *standalone.make_arguments(),
            ]  # fmt: skip
            b2.prefs.codegen.cpp.extra_compile_args_gcc = [
                *b2.prefs.codegen.cpp.extra_compile_args_gcc, *VECTORIZING_FLAGS,
            ]  # fmt: skip
            b2.set_device("cpp_standalone", build_on_run=False, directory=str(build_dir))
            _allocate_arrays_from_heap(b2.get_device())
        elif target == "cuda":
            assert build_dir is not None
            _configure_cuda(build_dir, compute_capability, jobs)
        else:
            raise DeviceError(f"unknown device {target!r}")
        yield target
    finally:
        restore_defaults()


def run_network(
    net: b2.Network, duration: b2.Quantity, target: str, build_dir: Path | None = None
) -> None:
    """Run a network built on the active target (see :func:`activated`) for ``duration``.

    For networks that are not a scenario's (tests of one learning rule, benchmarks of a
    reference network): in this process on ``runtime``, else Brian2's own build and run of a
    standalone project in ``build_dir``. A scenario runs through the engine
    (:func:`depnet.run.run_scenario`) instead.
    """
    net.run(duration)
    if target != "runtime":
        assert build_dir is not None
        b2.get_device().build(directory=str(build_dir), compile=True, run=True, with_output=False)


def binary_path(build_dir: Path) -> Path:
    """The compiled simulation binary of a standalone build folder."""
    return build_dir / "main"
