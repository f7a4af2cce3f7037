"""Brian2 targets: the one module that touches Brian2 devices and preferences.

Three targets share one network description:

``runtime``
    Brian2's runtime mode with numpy code generation: starts at once, runs slowly; small tests.
``cpp``
    C++ standalone (the default): compiled once per build folder, OpenMP threads optional.
``cuda``
    brian2cuda standalone. Builds without a GPU (compute capability given, not detected; the
    cuRAND headers from the ``nvidia-curand`` wheel; C++17 for CUDA 13), runs where one answers.

``auto`` picks ``cuda`` where ``nvidia-smi -L`` lists a GPU, else ``cpp``. Every session starts
from Brian2's default preferences and a fresh device, and leaves the runtime device active, so
several runs can happen in one process.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2

from depnet.errors import DeviceError

TARGETS = ("runtime", "cpp", "cuda")
#: Compute capability assumed for CUDA builds on a machine without a GPU (H100/H200).
DEFAULT_COMPUTE_CAPABILITY = 9.0
#: Device heap for brian2cuda's spike monitors and queues, in MB (brian2cuda's default is 128,
#: which long recordings exceed).
GPU_HEAP_MB = 1024
_PROGRESS_TAG = "DEPNET_PROGRESS"
#: C++ progress report: one machine-readable line per report period, parsed while the binary
#: runs (brian2's standalone ``report`` accepts the body of the report function).
_REPORT_CODE = f'std::cout << "{_PROGRESS_TAG} " << completed << " " << elapsed << std::endl;'


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


def reset() -> None:
    """Forget any standalone project and make the runtime device current again."""
    # Brian2 names objects after the live ones ("poissoninput_1", ...): collect the previous
    # network first, so that an unchanged network gets the same names, the same generated files
    # and therefore no recompilation.
    gc.collect()
    device = b2.get_device()
    if hasattr(device, "reinit"):
        device.reinit()
    b2.set_device("runtime")
    b2.prefs.reset_to_defaults()


def _curand_dirs(build_root: Path) -> tuple[str, str]:
    """Include and library folders of cuRAND from the nvidia-curand wheel.

    The linker wants a bare ``libcurand.so``, which the wheel lacks: link it in a folder of our own
    instead of writing into site-packages.
    """
    spec = importlib.util.find_spec("nvidia")
    roots = list(spec.submodule_search_locations) if spec else []
    for root in roots:
        for cu in ("cu13", "cu12", "curand"):
            include, lib = Path(root, cu, "include"), Path(root, cu, "lib")
            if (include / "curand.h").is_file():
                shim = build_root / "curand-lib"
                shim.mkdir(parents=True, exist_ok=True)
                target = next(lib.glob("libcurand.so.*"))
                link = shim / "libcurand.so"
                if not link.exists():
                    link.symlink_to(target)
                return str(include), str(shim)
    raise DeviceError(
        "cuda: cuRAND headers not found; install the 'nvidia-curand' package "
        "(pip install 'depnet[cuda]')"
    )


def _configure_cuda(build_dir: Path, compute_capability: float | None, jobs: int) -> None:
    import brian2cuda  # noqa: F401  (registers the cuda_standalone device)

    cuda = b2.prefs.devices.cuda_standalone.cuda_backend
    if shutil.which("nvcc") is None and not os.environ.get("CUDA_PATH"):
        raise DeviceError("cuda: nvcc not found; put the CUDA toolkit on PATH or set CUDA_PATH")
    has_gpu = gpu_available()
    cuda.detect_gpus = has_gpu and compute_capability is None
    if not cuda.detect_gpus:
        cuda.gpu_id = 0
        cuda.compute_capability = float(compute_capability or DEFAULT_COMPUTE_CAPABILITY)
    cuda.gpu_heap_size = GPU_HEAP_MB
    # CUDA 13's Thrust/CUB need C++17; brian2cuda and brian2 default to C++11.
    cuda.extra_compile_args_nvcc = ["-w", "-use_fast_math", "-std=c++17"]
    b2.prefs.codegen.cpp.extra_compile_args_gcc = [
        "-w", "-O3", "-ffast-math", "-fno-finite-math-only", "-std=c++17",
    ]  # fmt: skip
    include, lib = _curand_dirs(build_dir.parent)
    b2.prefs.codegen.cpp.include_dirs = [*b2.prefs.codegen.cpp.include_dirs, include]
    b2.prefs.codegen.cpp.library_dirs = [*b2.prefs.codegen.cpp.library_dirs, lib]
    b2.prefs.codegen.cpp.runtime_library_dirs = [
        *b2.prefs.codegen.cpp.runtime_library_dirs, str(Path(lib).resolve()),
    ]  # fmt: skip
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{jobs}"]
    b2.set_device("cuda_standalone", build_on_run=False, directory=str(build_dir))


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
        CUDA compute capability to compile for; ``None`` detects it where a GPU answers, else
        uses :data:`DEFAULT_COMPUTE_CAPABILITY`.
    """
    reset()
    jobs = max(1, os.cpu_count() or 1)
    try:
        if target == "runtime":
            b2.prefs.codegen.target = "numpy"
        elif target == "cpp":
            assert build_dir is not None
            b2.prefs.devices.cpp_standalone.openmp_threads = threads
            b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{jobs}"]
            b2.set_device("cpp_standalone", build_on_run=False, directory=str(build_dir))
        elif target == "cuda":
            assert build_dir is not None
            _configure_cuda(build_dir, compute_capability, jobs)
        else:
            raise DeviceError(f"unknown device {target!r}")
        yield target
    finally:
        reset()


ProgressCallback = Callable[[float], None]


def simulate(
    net: b2.Network,
    duration: b2.Quantity,
    target: str,
    build_dir: Path | None = None,
    *,
    compile_only: bool = False,
    progress: ProgressCallback | None = None,
    report_period: b2.Quantity = 1 * b2.second,
) -> Timings:
    """Build and run ``net`` for ``duration`` on the active ``target``.

    ``progress`` receives the completed fraction (0..1) during the run. With ``compile_only``
    the standalone project is built but not run (``run_s`` is 0).
    """
    if target == "runtime":
        if compile_only:
            raise DeviceError("--compile-only needs a standalone device (cpp or cuda)")
        start = time.perf_counter()
        net.run(0 * b2.second)  # code generation, kept apart from the run's wall time
        built = time.perf_counter()

        def report(elapsed, completed, start_t, total):
            if progress:
                progress(float(completed))

        net.run(duration, report=report if progress else None, report_period=report_period)
        return Timings(built - start, time.perf_counter() - built)

    assert build_dir is not None
    net.run(duration, report=_REPORT_CODE, report_period=report_period)
    device = b2.get_device()
    start = time.perf_counter()
    try:
        device.build(directory=str(build_dir), compile=True, run=False)
    except Exception as err:  # compiler errors surface as RuntimeError/CalledProcessError
        raise DeviceError(f"{target}: build failed in {build_dir}: {err}") from err
    built = time.perf_counter()
    if compile_only:
        return Timings(built - start, 0.0)
    _run_with_progress(device, build_dir, progress)
    return Timings(built - start, time.perf_counter() - built)


def generate_project(
    net: b2.Network,
    duration: b2.Quantity,
    directory: Path,
    *,
    report_period: b2.Quantity = 1 * b2.second,
) -> None:
    """Write ``net``'s standalone project into ``directory`` without compiling it.

    For compile-once-run-many: the Python side needs the project's objects to address variables
    (``run_args``) and read results, while the binary that runs is one built earlier, from the
    same structure, in another folder (see :func:`run_prebuilt`). Generating into a private
    folder keeps concurrent runs from rewriting the shared build's files under a running binary.
    """
    net.run(duration, report=_REPORT_CODE, report_period=report_period)
    b2.get_device().build(directory=str(directory), compile=False, run=False)


def run_prebuilt(
    build_dir: Path,
    results_dir: Path,
    run_args: dict | None = None,
    progress: ProgressCallback | None = None,
) -> float:
    """Run the binary built in ``build_dir`` with its results in ``results_dir``; wall seconds.

    ``run_args`` maps variables of the active project (``group.var`` views) to values that
    replace their initial ones (Brian2's ``device.run(run_args=...)``). The active project must
    have the same structure as the build (see :func:`generate_project`).
    """
    device = b2.get_device()
    # run_args arrays go to <project_dir>/static_arrays, where the binary (cwd build_dir) reads them
    device.project_dir = str(build_dir)
    start = time.perf_counter()
    _run_with_progress(device, build_dir, progress, results_dir=results_dir, run_args=run_args)
    return time.perf_counter() - start


def _run_with_progress(
    device,
    build_dir: Path,
    progress: ProgressCallback | None,
    *,
    results_dir: Path | None = None,
    run_args: dict | None = None,
) -> None:
    """Run the built binary, following its progress lines while it runs."""
    if type(device).__name__ == "CUDAStandaloneDevice" and not gpu_available():
        raise DeviceError("cuda: no GPU answers here; use --compile-only or another device")
    results = Path(results_dir) if results_dir is not None else build_dir / "results"
    results.mkdir(parents=True, exist_ok=True)
    stdout = results / "stdout.txt"
    stdout.write_text("")
    failure: list[BaseException] = []
    # Brian2 wants the results folder relative to the project folder.
    relative = os.path.relpath(results.resolve(), Path(build_dir).resolve())

    def run() -> None:
        try:
            device.run(
                directory=str(build_dir), results_directory=relative, with_output=False,
                run_args=run_args,
            )  # fmt: skip
        except BaseException as err:  # re-raised in the caller's thread
            failure.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.2)
        if progress:
            fraction = _last_progress(stdout)
            if fraction is not None:
                progress(fraction)
    if failure:
        tail = stdout.read_text()[-2000:] if stdout.exists() else ""
        raise DeviceError(f"simulation binary failed in {build_dir}: {tail.strip() or failure[0]}")
    if progress:
        progress(1.0)


def _last_progress(stdout: Path) -> float | None:
    try:
        lines = stdout.read_text().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith(_PROGRESS_TAG):
            try:
                return float(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def binary_path(build_dir: Path) -> Path:
    """The compiled simulation binary of a standalone build folder."""
    return build_dir / "main"
