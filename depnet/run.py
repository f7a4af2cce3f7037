"""The run engine: every run, single or swept, on every target, goes through this module.

A scenario becomes a store in four steps, once it is known to fit in the memory here
(:func:`check_memory`, from an estimate made before anything is built: :mod:`depnet.memory`):

1. **Network data** (:func:`network_data`): the scenario's network is built on the target's
   standalone device but not run; what its ``main`` would set (connectivity, initial values,
   parameters) is kept as data (:func:`depnet.standalone.initial_values`), with the network's
   fingerprint: everything the generated code depends on. Cached by the values it depends on.
2. **Build** (:func:`ensure_build`): one standalone project per fingerprint and target, compiled
   once; its ``main`` runs the network for a duration, from a start time and with a seed read at
   run time (:func:`depnet.standalone.insert_run_control`).
3. **Schedule** (:func:`depnet.scenarios.schedule.schedule`): the interventions' and traits'
   values of the network's protocol tables.
4. **Segments** (:func:`run_point`): the binary runs the scenario's duration in segments, each
   continuing the previous one's state, time, random generators and spike queues; a completed
   segment is kept in the run's work folder, so a killed run resumes from its last one.

So a scenario's interventions, traits, parameters, seed and duration reach the binary as data
(static arrays and ``run_args``), never as code: a treatment library of one network is one build,
on cpp and on cuda. ``depnet run`` is a one-point sweep: the sweep workers
(:mod:`depnet.cluster.worker`) run their points with :func:`run_point` too. The ``runtime``
target (Brian2's runtime mode, for small tests) builds the same network with the same schedule
and runs it in one piece (:func:`run_runtime`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import inspect
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2.utils.logger import BrianLogger
from tqdm import tqdm

from depnet import cache, devices, memory, standalone
from depnet.circuits import protocol
from depnet.circuits.build import Circuit, Layout, build_circuit
from depnet.circuits.parameters import DEFAULT_PARAMETERS
from depnet.errors import DepnetError, DeviceError, ScenarioError, StoreError
from depnet.quantities import DAY, format_quantity, si_value
from depnet.recording import Monitors, assemble, attach_monitors, read_monitors
from depnet.rundata import RunData, check_finite, concatenate
from depnet.scenarios.schedule import Schedule, schedule
from depnet.spec import DEFAULT_SEGMENT, MAX_DAYS_PER_UPDATE, Scenario
from depnet.store import COMPLETE, check_writable, read_attrs, write_run

# Networks built only to be read (network data) are collected without ever running.
BrianLogger.suppress_name("unused_brian_object")

#: The Network's name (it names its C++ object in the generated code).
NETWORK_NAME = "depnet_network"
#: How often a running binary reports its progress (wall time).
REPORT_PERIOD = 1 * b2.second
#: Version of the build manifest and network data layouts (a change rebuilds).
ENGINE_VERSION = 1


class RunError(DepnetError):
    """A run that failed or diverged (exit status 1)."""

    exit_status = 1


@dataclass
class RunResult:
    """What a run produced: the store (None for --compile-only), the build and its timings."""

    target: str
    build_dir: Path | None
    timings: devices.Timings
    store: Path | None = None
    data: RunData | None = None
    info: dict = field(default_factory=dict)


def build_root() -> Path:
    """Where builds and network data are cached (``$DEPNET_BUILD_ROOT``, else the user cache)."""
    if root := os.environ.get("DEPNET_BUILD_ROOT"):
        return Path(root).resolve()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return (Path(cache) / "depnet" / "build").resolve()


def default_store_path(spec: Scenario, target: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{spec.name}-{target}-{stamp}.zarr"


def build_network(
    spec: Scenario, *, record: bool = True
) -> tuple[Circuit, Monitors | None, b2.Network]:
    """The scenario's circuit, its monitors and their Network on the active device.

    ``record=False`` leaves the monitors out (benchmarks of what recording costs).
    """
    b2.defaultclock.dt = spec.scenario.dt
    b2.seed(spec.scenario.seed)
    circuit = build_circuit(
        spec.population_sizes(), spec.parameter_values(), spec.scenario.seed,
        spec.plasticity_specs(), compressed_day=spec.scenario.compressed_day,
    )  # fmt: skip
    monitors = attach_monitors(circuit, spec.record) if record else None
    net = b2.Network(circuit.objects, *(monitors.objects if monitors else ()), name=NETWORK_NAME)
    return circuit, monitors, net


def check_memory(spec: Scenario, target: str) -> memory.MemoryEstimate:
    """Refuse a scenario that cannot fit in the memory here, before anything is built.

    The estimate (:func:`depnet.memory.estimate`) is compared with the host's memory
    (:func:`depnet.memory.host_limit`: physical memory or the job's cgroup limit, or
    ``$DEPNET_MEMORY_LIMIT``) and, for cuda, with the GPU's (:func:`depnet.devices.gpu_memory`,
    or ``$DEPNET_GPU_MEMORY_LIMIT``; no GPU here and no variable: the host only, as for a
    ``--compile-only`` build on a CPU machine).

    Raises
    ------
    ScenarioError
        One line naming the scenario, the memory it needs and the memory here (exit status 2).
    """
    estimate = memory.estimate(spec, target)
    gpu = memory.gpu_limit(devices.gpu_memory) if target == "cuda" else None
    if problem := memory.refusal(estimate, memory.host_limit(), gpu):
        raise ScenarioError(problem)
    return estimate


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (flock: local disks and most cluster filesystems); the
    holder's host and process are written into it, for people to find."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(f"{platform.node()} {os.getpid()}\n")
        handle.flush()
        yield


def _digest(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source_digest() -> str:
    """A digest of depnet's own source (every module of the package): network data depend on
    the code that builds the network, whatever its version number says."""
    global _SOURCE_DIGEST
    if _SOURCE_DIGEST is None:
        import depnet

        digest = hashlib.sha256()
        roots = [Path(p) for p in depnet.__path__]
        roots += [Path(m.__path__[0]) for m in _subpackages()]
        for root in roots:
            for path in sorted(root.rglob("*.py")) + sorted(root.rglob("*.h")):
                digest.update(path.name.encode() + path.read_bytes())
        _SOURCE_DIGEST = digest.hexdigest()[:16]
    return _SOURCE_DIGEST


_SOURCE_DIGEST: str | None = None


def _subpackages():
    import depnet.circuits
    import depnet.plasticity_rules
    import depnet.scenarios

    return [depnet.circuits, depnet.plasticity_rules, depnet.scenarios]


#: The packages whose versions decide a build's code (and so its binary): depnet's and the code
#: generators'. numpy, xarray, zarr and Python reach only the network data and the store.
CODE_PACKAGES = ("depnet", "brian2", "brian2cuda")


def code_versions() -> dict[str, str]:
    """Versions of :data:`CODE_PACKAGES`; depnet's from the package itself, which a copy on
    ``PYTHONPATH`` without installed metadata has too (benchmarks/gpu_check.sh on a GPU node)."""
    import depnet

    return {"depnet": depnet.__version__} | {p: _version(p) for p in CODE_PACKAGES[1:]}


def versions() -> dict[str, str]:
    """Versions of depnet and the packages its runs depend on."""
    found = {p: _version(p) for p in ("numpy", "xarray", "zarr")}
    return code_versions() | found | {"python": platform.python_version()}


# -- 1. network data ------------------------------------------------------------------------------
def value_key(spec: Scenario, target: str) -> str:
    """A digest of what a scenario's network and its initial values depend on.

    Sizes, parameter values (traits' included), the slow clock, seed, time step, learning rules
    and recording, the target and the versions: not the name, duration, segment or
    interventions, which reach the network as a schedule. Scenarios of one key share their
    :func:`network_data`.
    """
    values = {k: format_quantity(v) for k, v in spec.parameter_values().items()}
    content = {
        "sizes": spec.population_sizes(), "values": values, "seed": spec.scenario.seed,
        "compressed_day": format_quantity(spec.scenario.compressed_day),
        "dt": format_quantity(spec.scenario.dt), "plasticity": spec.plasticity_specs(),
        "record": spec.record.model_dump(mode="json"), "target": target,
        "versions": versions(), "source": source_digest(), "engine": ENGINE_VERSION,
    }  # fmt: skip
    return _digest(json.dumps(content, sort_keys=True, default=str))


@dataclass(frozen=True)
class NetworkData:
    """What a scenario's network is made of and starts from (see :func:`network_data`)."""

    folder: Path
    fingerprint: str
    layout: Layout
    #: ``owner.variable`` -> value text: initial values ``run_args`` set.
    literals: dict[str, str]
    #: Static arrays of the network: connectivity and initial values, in ``static_arrays/``.
    static_arrays: list[str]
    #: Wall seconds it took to make them (the network's set-up in Python: connectivity drawn,
    #: initial values), measured when the entry was made, perhaps by another process.
    setup_s: float = 0.0

    @property
    def arrays_folder(self) -> Path:
        return self.folder / "static_arrays"


def network_data(spec: Scenario, target: str, root: Path | None = None) -> NetworkData:
    """The scenario's network as data: its fingerprint, layout and initial values (cached).

    Built on the target's standalone device without running it; the cache (under the build
    root's ``data/``) is shared by every process that runs a scenario of the same
    :func:`value_key`. A new entry makes room for itself by removing the least recently used
    ones past ``$DEPNET_DATA_CACHE_GB`` (:mod:`depnet.cache`).

    Raises
    ------
    ScenarioError
        If the scenario cannot fit in the memory here (:func:`check_memory`), or
        ``$DEPNET_DATA_CACHE_GB`` is not a positive number, before anything is built.
    """
    check_memory(spec, target)  # every run, sweep task and sweep plan comes here first
    limit = cache.limit_bytes()  # a bad $DEPNET_DATA_CACHE_GB fails before anything is built
    folder = (root or build_root()) / "data" / value_key(spec, target)
    with contextlib.suppress(FileNotFoundError):  # missing, or evicted while being read
        return _load_data(folder)
    with _locked(cache.lock_path(folder)):  # eviction takes this lock too
        if (folder / "data.json").exists():
            return _read_data(folder)  # not _load_data: its shared lock would wait for ours
        partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "static_arrays").mkdir(parents=True)
        try:
            setup_started = time.perf_counter()
            # On the C++ device for every target: its main-file operations are brian2cuda's
            # too (ensure_build checks the fingerprint), and a GPU node needs no nvcc for it.
            with devices.activated("cpp", partial / "project"):
                circuit, _, net, initial, fingerprint = _standalone_network(spec)
                for name, values in initial.static_arrays.items():
                    values.tofile(partial / "static_arrays" / name)
                layout = circuit.layout
            shutil.rmtree(partial / "project", ignore_errors=True)
            content = {
                "fingerprint": fingerprint, "layout": layout.to_dict(),
                "literals": initial.literals, "static_arrays": sorted(initial.static_arrays),
                "scenario": spec.to_dict(), "target": target,
                "setup_s": time.perf_counter() - setup_started,
            }  # fmt: skip
            (partial / "data.json").write_text(json.dumps(content, indent=1))
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    if removed := cache.evict(folder.parent, limit, keep=folder):
        gb = sum(size for _, size in removed) / 1e9
        _stderr(
            f"network-data cache over {limit / 1e9:g} GB ($DEPNET_DATA_CACHE_GB): "
            f"removed the {len(removed)} least recently used entries ({gb:.2f} GB)"
        )
    return _load_data(folder)


def _load_data(folder: Path) -> NetworkData:
    """The network data in ``folder``, marked as used now, read under the entry's shared lock:
    no eviction between the two (see :mod:`depnet.cache`)."""
    with cache.held(folder):
        return _read_data(folder)


def _read_data(folder: Path) -> NetworkData:
    content = json.loads((folder / "data.json").read_text())
    return NetworkData(
        folder, content["fingerprint"], Layout.from_dict(content["layout"]), content["literals"],
        content["static_arrays"], content.get("setup_s", 0.0),
    )  # fmt: skip


def _standalone_network(spec: Scenario):
    """The scenario's network on the active standalone device, its ``run_args`` applied before
    anything reads them, what its ``main`` sets and its fingerprint: what network data and
    builds both start from. Returns ``(circuit, monitors, net, initial values, fingerprint)``."""
    circuit, monitors, net = build_network(spec)
    if unnamed := standalone.unnamed(net):
        raise DeviceError(
            f"objects without explicit names would make the generated code depend on what else "
            f"this process built: {', '.join(unnamed)}"
        )
    device = b2.get_device()
    device.apply_run_args()  # before the spike queues are prepared from delays and indices
    initial = standalone.initial_values(device, net)
    fingerprint = _digest("\n".join(standalone.describe_network(net, initial)))
    return circuit, monitors, net, initial, fingerprint


# -- 2. builds ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """What a build depends on besides the network: the target and its settings."""

    target: str
    threads: int = 0
    compute_capability: float | None = None

    def key(self) -> str:
        """What the build depends on: for cuda the compute capability it is built for (the
        requested one, else the GPU's where one answers here, else the default)."""
        cc = None
        if self.target == "cuda":
            detected = devices.detect_compute_capabilities()
            cc = devices.resolve_compute_capability(detected, self.compute_capability)[0]
        return json.dumps([self.target, self.threads, cc])


@dataclass(frozen=True)
class Build:
    """A compiled standalone project and what runs need to know of it (its manifest)."""

    folder: Path
    manifest: dict

    @property
    def binary(self) -> Path:
        return devices.binary_path(self.folder)

    @property
    def target(self) -> str:
        return self.manifest["target"]

    def state(self) -> dict[str, standalone.ArrayFile]:
        return {k: standalone.ArrayFile(*v) for k, v in self.manifest["state"].items()}

    def recordings(self) -> dict[str, dict[str, standalone.ArrayFile]]:
        return {
            monitor: {k: standalone.ArrayFile(*v) for k, v in files.items()}
            for monitor, files in self.manifest["recordings"].items()
        }


MANIFEST = "depnet-build.json"


def build_folder(data: NetworkData, options: Options, root: Path | None = None) -> Path:
    """The build of a network fingerprint for a target and its settings, by the code that makes
    a build of it (the run control, the compiler settings, the native headers) and the versions
    of :data:`CODE_PACKAGES`: a build made on one machine serves another with other numpy,
    xarray, zarr or Python (a GPU node's image; ``benchmarks/gpu_prebuild.py``)."""
    key = "|".join(
        [
            data.fingerprint,
            options.key(),
            json.dumps(code_versions()),
            _build_code(),
            str(ENGINE_VERSION),
        ]
    )
    return (root or build_root()) / f"{options.target}-{_digest(key)}"


def _build_code() -> str:
    """A digest of what a build's code comes from besides the network: the run control
    (:mod:`depnet.standalone`), the targets' compiler settings (:mod:`depnet.devices`), the C
    headers the generated code includes and the makefile that compiles it with them, and
    :func:`generate_project`, which applies them."""
    native = sorted(p for p in devices.NATIVE.iterdir() if p.suffix in (".h", ".mk"))
    paths = [Path(standalone.__file__), Path(devices.__file__), *native]
    texts = [path.read_text() for path in paths] + [inspect.getsource(generate_project)]
    return _digest("".join(texts))


def find_build(data: NetworkData, options: Options, root: Path | None = None) -> Build | None:
    """The complete build of ``data``'s network, if there is one."""
    folder = build_folder(data, options, root)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    build = Build(folder, manifest)
    return build if build.binary.exists() and manifest["fingerprint"] == data.fingerprint else None


def ensure_build(
    spec: Scenario,
    data: NetworkData,
    options: Options,
    root: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Build:
    """The build of ``spec``'s network (``data``), compiled here if it is not there yet.

    Raises
    ------
    DeviceError
        If the compiler fails, or the network built here differs from ``data``'s.
    """
    if (build := find_build(data, options, root)) is not None:
        return build
    folder = build_folder(data, options, root)
    with _locked(folder.with_name(folder.name + ".lock")):
        if (build := find_build(data, options, root)) is not None:
            return build
        if log:
            log(f"building {spec.name}'s network for {options.target} in {folder}")
        started = time.perf_counter()
        (folder / MANIFEST).unlink(missing_ok=True)
        manifest = generate_project(spec, data, options, folder, compile=True)
        manifest["build_s"] = time.perf_counter() - started
        manifest["host"] = platform.node()
        tmp = folder / f"{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=1))
        tmp.replace(folder / MANIFEST)
        return Build(folder, manifest)


def generate_project(
    spec: Scenario, data: NetworkData, options: Options, folder: Path, *, compile: bool = False
) -> dict:
    """Write (and with ``compile``, compile) the standalone project of ``spec``'s network into
    ``folder``; returns its manifest (what runs need to know of it).

    Raises
    ------
    DeviceError
        If the compiler fails, or the network built here differs from ``data``'s.
    """
    with devices.activated(
        options.target, folder, threads=options.threads,
        compute_capability=options.compute_capability,
    ):  # fmt: skip
        device = b2.get_device()
        circuit, monitors, net, _, fingerprint = _standalone_network(spec)
        if fingerprint != data.fingerprint:
            raise DeviceError(f"{spec.name}: its network differs from its cached data")
        if options.target == "cuda":
            standalone.skip_duplicate_pair_checks(device)
        standalone.insert_run_control(net, options.target, REPORT_PERIOD)
        net.run(0 * b2.second, report=standalone.REPORT_CODE, report_period=REPORT_PERIOD)
        standalone.drop_precompiled_header(folder)  # one a killed build left is not read
        try:
            device.build(directory=str(folder), compile=compile, run=False)
        except Exception as err:  # compiler errors surface as RuntimeError and the like
            raise DeviceError(f"{options.target}: build failed in {folder}: {err}") from err
        standalone.drop_precompiled_header(folder)
        return _manifest(device, circuit, monitors, net, data, options)


def _manifest(device, circuit, monitors, net, data: NetworkData, options: Options) -> dict:
    def files(entries):
        return {k: [f.file, f.dtype, f.columns] for k, f in entries.items()}

    recordings = {m.name: files(standalone.recorded_files(device, m)) for m in monitors.monitors}
    for name, syn in circuit.plastic.items():
        recordings[f"final_{name}"] = files(standalone.final_synapses(device, syn))
    variables = standalone.state_variables(net)
    state = {k: standalone.array_file(device, v) for k, v in variables.items()}
    return {
        "engine": ENGINE_VERSION, "fingerprint": data.fingerprint, "target": options.target,
        "options": options.key(), "versions": versions(),
        "static_arrays": standalone.static_array_names(device), "state": files(state),
        "recordings": recordings, "pathways": standalone.pathways(net),
        "trace_rows": {g: np.asarray(m.record).tolist() for g, m in monitors.traces.items()},
        "spike_monitors": {g: m.name for g, m in monitors.spikes.items()},
        "trace_monitors": {g: m.name for g, m in monitors.traces.items()},
        "synapse_monitors": {g: m.name for g, m in monitors.synapses.items()},
        "serotonin_monitor": monitors.serotonin.name,
        "lfp_monitors": {g: m.name for g, m in monitors.lfp_monitors.items()},
    }  # fmt: skip


# -- 4. segments ----------------------------------------------------------------------------------
def segments(spec: Scenario) -> list[tuple[float, float]]:
    """The run's segments, ``(start, stop)`` in seconds on the time-step grid.

    ``scenario.segment`` long each (default :data:`DEFAULT_SEGMENT`), the last one shorter.
    """
    step = float(spec.scenario.dt / b2.second)
    total = int(round(float(spec.scenario.duration / spec.scenario.dt)))
    length = spec.scenario.segment if spec.scenario.segment is not None else DEFAULT_SEGMENT
    per = max(1, int(round(float(length / spec.scenario.dt))))
    bounds = [*range(0, total, per), total]
    return [(a * step, b * step) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _segment_dir(work: Path, k: int) -> Path:
    return work / f"seg-{k:03d}"


def completed_segments(work: Path, n: int) -> int:
    """How many leading segments of a run are complete in its work folder."""
    k = 0
    while k < n and (_segment_dir(work, k) / "data.pkl").exists():
        k += 1
    return k


def run_identity(spec: Scenario, target: str) -> dict:
    """What makes a run this run: its scenario (all of it) and target."""
    return {"scenario": spec.to_dict(), "target": target, "engine": ENGINE_VERSION}


def _work_identity(spec: Scenario, build: Build, data: NetworkData) -> dict:
    """What a work folder's segments were made with: the run, its network, its build (the code,
    the settings, the threads) and its segments. A resume needs all of them unchanged."""
    return {
        "run": run_identity(spec, build.target), "fingerprint": data.fingerprint,
        "build": build.folder.name, "segments": [list(b) for b in segments(spec)],
    }  # fmt: skip


def _claim_work(
    work: Path, identity: dict, *, discard: bool = False, log: Callable[[str], None] | None = None
) -> None:
    """Record what a work folder holds; refuse one that holds other segments (``discard``:
    remove them instead, saying so)."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "run.json"
    try:
        held = json.loads(path.read_text())
    except FileNotFoundError:
        held = None
    except json.JSONDecodeError:
        held = {}  # half written: its segments cannot be trusted either
    if held is not None and held != identity and discard:
        if log:
            log(f"{work}: discarding segments made otherwise (another build or segmentation)")
        shutil.rmtree(work)
        work.mkdir(parents=True)
        held = None
    if held is not None and held != identity:
        raise ScenarioError(
            f"{work}: holds the segments of another run (another scenario, target, network, "
            "build or segmentation): run with --restart to discard them, or give another --out"
        )
    if held is None:
        _write_atomically(path, json.dumps(identity, indent=1, sort_keys=True))


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def work_lock(work: Path) -> Path:
    """The lock file of a work folder (beside it, in ``.locks/``; never removed, so that a
    process waiting on it and a newcomer lock the same file)."""
    return work.parent / ".locks" / f"{work.name}.lock"


@dataclass
class PointResult:
    """What :func:`run_point` did: the run's data, and times."""

    data: RunData
    loop_s: float
    run_s: float
    resumed_from: int
    segments: int


def run_point(
    spec: Scenario,
    build: Build,
    data: NetworkData,
    work: Path,
    plan: Schedule,
    progress: Callable[[float], None] | None = None,
    log: Callable[[str], None] | None = None,
    *,
    discard_other: bool = False,
) -> PointResult:
    """Run a scenario on a build, segment by segment, in its work folder; resume from it.

    The caller holds the work folder's lock (:func:`work_lock`). Each segment's binary starts
    from the previous segment's final state (the results files themselves) and time; on cpp it
    reloads the random generators and spike queues too (brian2cuda keeps them on the GPU: there
    a segment reseeds and starts with no spikes in flight). A segment is complete once its data
    is kept (``seg-NNN/data.pkl``).

    Raises
    ------
    ScenarioError
        If the work folder holds segments made otherwise (:func:`_work_identity`), unless
        ``discard_other`` (then they are removed: a sweep point's folder after an upgrade).
    RunError
        If a segment diverges (NaN or infinity in [5-HT] or a recorded trace).
    DeviceError
        If the binary fails.
    """
    if not (data.folder / "data.json").exists():  # evicted since it was loaded: made again
        data = network_data(spec, build.target, data.folder.parent.parent)
    with cache.held(data.folder):  # the binary reads its arrays at every segment's start
        if not (data.folder / "data.json").exists():
            raise DeviceError(
                f"{spec.name}: its network data ({data.folder}) left the cache before the run "
                f"started; run it again"
            )
        return _run_segments(spec, build, data, work, plan, progress, log, discard_other)


def _run_segments(spec, build, data, work, plan, progress, log, discard_other) -> PointResult:
    target = build.target
    bounds = segments(spec)
    _claim_work(work, _work_identity(spec, build, data), discard=discard_other, log=log)
    first = completed_segments(work, len(bounds))
    if first and log:
        log(f"{spec.name}: resuming after segment {first} of {len(bounds)} ({work})")
    standalone.link_static_arrays(
        work, build.folder / "static_arrays", data.arrays_folder, build.manifest["static_arrays"]
    )
    fixed_args = _fixed_args(data, plan, work)
    state = build.state()
    total = float(spec.scenario.duration / b2.second)
    loop_s, started, parts = 0.0, time.perf_counter(), {}
    for k in range(first, len(bounds)):
        t0, t1 = bounds[k]
        partial = work / f"seg-{k:03d}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        results = partial / "results"
        results.mkdir(parents=True)
        args = list(fixed_args)
        if k > 0:
            previous = _segment_dir(work, k - 1) / "results"
            args += [f"{name}={previous / f.file}" for name, f in state.items()]
            if target == "cpp":
                standalone.resume_files(previous, results, build.manifest["pathways"])
        standalone.write_control(results, t0, t1 - t0, spec.scenario.seed, k, k > 0)

        def report(fraction: float, t0: float = t0, t1: float = t1) -> None:
            if progress:
                progress((t0 + fraction * (t1 - t0)) / total)

        loop_s += standalone.run_binary(build.binary, work, results, args, report)
        parts[k] = _read_segment(build, data.layout, spec, results, t0, t1)
        if problem := check_finite(parts[k]):
            raise RunError(f"{spec.name}: {problem}")
        with open(partial / "data.pkl", "wb") as handle:
            pickle.dump(parts[k], handle, protocol=pickle.HIGHEST_PROTOCOL)
        shutil.rmtree(_segment_dir(work, k), ignore_errors=True)
        partial.rename(_segment_dir(work, k))
        if k > 0:  # the previous segment's state has served: keep only its data
            shutil.rmtree(_segment_dir(work, k - 1) / "results", ignore_errors=True)
        if log and len(bounds) > 1:
            log(f"{spec.name}: segment {k + 1}/{len(bounds)} done ({t1:g} s)")
    for k in range(first):  # the segments of an earlier, interrupted run
        with open(_segment_dir(work, k) / "data.pkl", "rb") as handle:
            parts[k] = pickle.load(handle)
    data_of_run = concatenate([parts[k] for k in range(len(bounds))])
    return PointResult(data_of_run, loop_s, time.perf_counter() - started, first, len(bounds))


def _fixed_args(data: NetworkData, plan: Schedule, work: Path) -> list[str]:
    """``run_args`` every segment gets: the network's literals, the schedule's tables and each
    cell's table row (written once into the work folder)."""
    args_dir = work / "args"
    args_dir.mkdir(exist_ok=True)
    args = [f"{name}={value}" for name, value in data.literals.items()]
    for name, values in plan.tables.items():
        args.append(standalone.write_run_arg(args_dir, f"{name}.values", values))
    for group, rows in plan.rows.items():
        args.append(standalone.write_run_arg(args_dir, f"{group}.{protocol.ROW}", rows))
    return args


def scenario_schedule(spec: Scenario, layout: Layout) -> Schedule:
    """The protocol tables of ``spec`` on a network laid out as ``layout``.

    Raises
    ------
    ScenarioError
        See :func:`~depnet.scenarios.schedule.schedule`; and when a treatment course runs the
        slow clock so fast between its sessions that a structural update would span more than
        :data:`~depnet.spec.MAX_DAYS_PER_UPDATE` days.
    """
    values = spec.parameter_values()
    try:
        plan = schedule(
            spec.interventions, spec.traits, layout, values,
            spec.scenario.duration, spec.scenario.dt, spec.scenario.compressed_day,
        )  # fmt: skip
        _check_structural_updates(plan, values)
    except ScenarioError as err:
        raise ScenarioError(f"{spec.source or spec.name}: {err}") from None
    return plan


def _check_structural_updates(plan: Schedule, values: Mapping[str, b2.Quantity | float]) -> None:
    """A structural update must span at most ``MAX_DAYS_PER_UPDATE`` days at the fastest the
    schedule runs the slow clock (the spec checks the scenario's own rate)."""
    clocks = [t[: len(plan.epochs)] for name, t in plan.tables.items()
              if name.endswith(f"_{protocol.CLOCK}")]  # fmt: skip
    if not clocks:
        return
    fastest = max(float(np.max(t)) for t in clocks)
    for key, interval in values.items():
        if not key.endswith(".update_interval"):
            continue
        days = float(interval * fastest / DAY)
        if days > MAX_DAYS_PER_UPDATE:
            raise ScenarioError(
                f"parameters.{key}: between a course's sessions the slow clock runs at "
                f"{float(fastest * b2.second / DAY):g} days per simulated second, so one update "
                f"spans {days:g} "
                f"days; at most {MAX_DAYS_PER_UPDATE:g}: shorten the update interval or the "
                "sessions' simulated part"
            )


def _read_segment(
    build: Build, layout: Layout, spec: Scenario, results: Path, t0: float, t1: float
) -> RunData:
    recordings = build.recordings()
    manifest = build.manifest

    def read(monitor: str) -> dict[str, np.ndarray]:
        return {k: f.read(results) for k, f in recordings[monitor].items()}

    arrays = {
        "spikes": {g: read(m) for g, m in manifest["spike_monitors"].items()},
        "traces": {
            g: read(m) | {"rows": np.asarray(manifest["trace_rows"][g])}
            for g, m in manifest["trace_monitors"].items()
        },
        "serotonin": read(manifest["serotonin_monitor"]),
        "synapses": {
            name: read(monitor) | read(f"final_{name}")
            for name, monitor in manifest["synapse_monitors"].items()
        },
        "lfp": {g: read(m) for g, m in manifest.get("lfp_monitors", {}).items()},
    }
    return assemble(arrays, layout, spec.record, t0, t1)


# -- the runtime target ---------------------------------------------------------------------------
def run_runtime(
    spec: Scenario, progress: Callable[[float], None] | None = None
) -> tuple[RunData, devices.Timings, Schedule]:
    """Run a scenario on Brian2's runtime target (numpy), in one piece, with its schedule."""
    with devices.activated("runtime"):
        started = time.perf_counter()
        circuit, monitors, net = build_network(spec)
        plan = scenario_schedule(spec, circuit.layout)
        for name, values in plan.tables.items():
            circuit.tables.arrays[name].values[:] = values
        for group, rows in plan.rows.items():
            circuit.groups[group].variables[protocol.ROW].set_value(rows)
        net.run(0 * b2.second)  # code generation, kept apart from the run's wall time
        built = time.perf_counter()
        duration = spec.scenario.duration

        def report(elapsed, completed, start, total) -> None:
            if progress:
                progress(float(completed))

        net.run(duration, report=report if progress else None, report_period=REPORT_PERIOD)
        ran = time.perf_counter()
        data = assemble(
            read_monitors(monitors, circuit), circuit.layout, spec.record, 0.0,
            float(duration / b2.second),
        )  # fmt: skip
    if problem := check_finite(data):
        raise RunError(f"{spec.name}: {problem}")
    return data, devices.Timings(built - started, ran - built), plan


# -- one scenario, as `depnet run` runs it --------------------------------------------------------
def work_folder(store: Path) -> Path:
    """Where the segments of a run that writes ``store`` are kept until the store is written."""
    return store.with_name(store.name + ".work")


def unfinished_run(folder: Path, spec: Scenario, target: str) -> Path | None:
    """The store path of an unfinished run of this scenario and target in ``folder``, if any
    (its work folder is there): what running the same command again resumes."""
    identity = run_identity(spec, target)
    for path in sorted(Path(folder).glob("*.work/run.json")):
        with contextlib.suppress(OSError, json.JSONDecodeError, AttributeError):
            if json.loads(path.read_text()).get("run") == identity and not _in_use(path.parent):
                return path.parent.with_name(path.parent.name.removesuffix(".work"))
    return None


def _in_use(work: Path) -> bool:
    """Whether another process holds a work folder's lock (a run still going)."""
    lock = work_lock(work)
    if not lock.exists():
        return False
    with open(lock, "a") as handle:  # writable: NFS's flock emulation needs it
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def run_scenario(
    spec: Scenario,
    *,
    device: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    compile_only: bool = False,
    threads: int = 0,
    compute_capability: float | None = None,
    progress: bool = True,
    write: bool = True,
    restart: bool = False,
    root: Path | None = None,
) -> RunResult:
    """Simulate a scenario and write its store (a one-point sweep: see the module docstring).

    Parameters
    ----------
    spec
        A validated scenario (see :func:`depnet.spec.load_scenario`).
    device
        ``runtime``, ``cpp``, ``cuda`` or ``auto``; default: the scenario's own.
    out
        Store path; default ``runs/<name>-<device>-<timestamp>.zarr``, or the store of an
        unfinished run of the same scenario in ``runs/``, which is resumed.
    compile_only
        Build the standalone project (and its binary) without running it.
    write
        Whether to write a store (``False`` keeps the data in memory only, for tests).
    restart
        Discard the completed segments of an unfinished run instead of resuming it.
    root
        Build cache (default :func:`build_root`).

    Raises
    ------
    ScenarioError
        If the scenario cannot fit in the memory here (:func:`check_memory`): nothing is built
        or written.
    """
    target = devices.resolve_target(device or spec.scenario.device)
    check_memory(spec, target)  # before anything is built or written (network_data checks too)
    if out is not None:
        store = Path(out)
    else:
        store = unfinished_run(Path("runs"), spec, target) or default_store_path(spec, target)
    if write and not compile_only:
        check_writable(store, overwrite)
    started = time.perf_counter()
    if target == "runtime" and compile_only:
        raise DeviceError("--compile-only needs a standalone device (cpp or cuda)")
    bar = _ProgressBar(spec, target) if progress and not compile_only else None
    try:
        if target == "runtime":
            data, timings, plan = run_runtime(spec, bar.update if bar else None)
            result = RunResult(target, None, timings, data=data, info=_run_info(plan))
            if write:
                result.store = _write(store, spec, result, plan, started, overwrite)
            return result
        log = _stderr
        data = network_data(spec, target, root)
        build_started = time.perf_counter()
        options = Options(target, threads, compute_capability)
        build = ensure_build(spec, data, options, root, log=log)
        build_s = time.perf_counter() - build_started
        if compile_only:
            return RunResult(target, build.folder, devices.Timings(build_s, 0.0))
        # without a store there is nothing to resume into: segments go to a temporary folder
        return run_and_store(
            spec, build, data, work_folder(store) if write else None, store if write else None,
            progress=bar.update if bar else None, log=log, overwrite=overwrite,
            restart=restart, build_s=build_s, started=started,
        )  # fmt: skip
    finally:
        if bar:
            bar.close()


def run_and_store(
    spec: Scenario,
    build: Build,
    data: NetworkData,
    work: Path | None,
    store: Path | None,
    *,
    progress: Callable[[float], None] | None = None,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
    restart: bool = False,
    discard_other: bool = False,
    build_s: float | None = None,
    started: float | None = None,
    attrs: dict | None = None,
) -> RunResult:
    """Run a scenario on a build (:func:`run_point`) and write its store; what ``depnet run``
    and every sweep task do.

    ``work`` holds the run's completed segments until its store is written (None: a temporary
    folder, removed whatever happens). ``store`` None keeps the data in memory only. The work
    folder is locked throughout (:func:`work_lock`): a second process on the same run waits;
    if the first wrote the store meanwhile, the second returns it without running. ``restart``
    discards the segments first; ``discard_other`` discards segments made otherwise (another
    build) instead of refusing them.

    Raises
    ------
    DeviceError
        If the build is for CUDA and no GPU answers here, or the binary fails.
    """
    started = time.perf_counter() if started is None else started
    if build.target == "cuda" and not devices.gpu_available():
        raise DeviceError("cuda: no GPU answers here; use --compile-only or another device")
    plan = scenario_schedule(spec, data.layout)
    temporary = Path(tempfile.mkdtemp(prefix="depnet-run-")) if work is None else None
    work = (temporary / "work" if temporary else Path(work)).resolve()
    complete_before = store is not None and is_complete(store)
    try:
        with _locked(work_lock(work)):
            if store is not None and not complete_before and is_complete(store):
                if log:  # another process on the same run finished it while this one waited
                    log(f"{spec.name}: {store} was completed by another process meanwhile")
                timings = devices.Timings(0.0, 0.0)
                return RunResult(build.target, build.folder, timings, store=Path(store))
            if restart:
                shutil.rmtree(work, ignore_errors=True)
            point = run_point(
                spec, build, data, work, plan, progress, log, discard_other=discard_other
            )
            build_s = float(build.manifest.get("build_s", 0.0)) if build_s is None else build_s
            info = _run_info(plan) | {
                "build_dir": str(build.folder), "fingerprint": data.fingerprint,
                "segments": point.segments, "resumed_from_segment": point.resumed_from,
                "wall_time_loop_s": point.loop_s, "wall_time_segments_s": point.run_s,
                "wall_time_network_data_s": data.setup_s,
            }  # fmt: skip
            result = RunResult(
                build.target, build.folder, devices.Timings(build_s, point.run_s),
                data=point.data, info=info,
            )  # fmt: skip
            if store is not None:
                result.store = _write(store, spec, result, plan, started, overwrite, attrs)
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if temporary:  # the work folder and its lock
            shutil.rmtree(temporary, ignore_errors=True)
    return result


def _run_info(plan: Schedule) -> dict:
    epochs = [[e.start, e.stop] for e in plan.epochs]
    return {"segments": 1, "resumed_from_segment": 0, "epochs": epochs}


def _write(store, spec, result, plan, started, overwrite, extra=None) -> Path:
    attrs = run_attributes(spec, result.target, result.timings, time.perf_counter() - started)
    attrs["run"] = result.info
    attrs["intervention_warnings"] = plan.warnings
    attrs |= extra or {}
    return write_run(store, result.data, attrs, overwrite=overwrite)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _ProgressBar:
    """A progress bar over simulated time, shown from the first report (after the build)."""

    def __init__(self, spec: Scenario, target: str) -> None:
        self.total = float(spec.scenario.duration / b2.second)
        self.label = f"{spec.name} [{target}]"
        self.bar: tqdm | None = None
        print(f"{spec.name}: preparing for {target} ...", file=sys.stderr, flush=True)

    def update(self, fraction: float) -> None:
        if self.bar is None:
            self.bar = tqdm(
                total=self.total, unit="s", desc=self.label, file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.2f}/{total:.2f} s "
                "simulated [{elapsed}<{remaining}]",
            )  # fmt: skip
        self.bar.n = min(self.total, fraction * self.total)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def git_commit() -> str:
    """The depnet source tree's git commit (with ``-dirty`` if it has local changes)."""
    here = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=10,
        )  # fmt: skip
        if commit.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def run_attributes(spec: Scenario, target: str, timings: devices.Timings, total_s: float) -> dict:
    """Root attributes of a run's store: everything needed to reproduce and audit it."""
    values = spec.parameter_values()
    return {
        "scenario": spec.to_dict(),
        "scenario_file": spec.source,
        "parameters": {path: format_quantity(v) for path, v in values.items()},
        # the same in SI units, [value, unit]: analysis reads them without parsing units
        "parameters_si": {path: list(si_value(v)) for path, v in values.items()},
        "parameter_sources": {path: p.source for path, p in DEFAULT_PARAMETERS.items()},
        "population_sizes": spec.population_sizes(),
        "seed": spec.scenario.seed,
        "device": target,
        "duration_s": float(spec.scenario.duration / b2.second),
        "warmup_s": float(spec.scenario.warmup / b2.second),
        "dt_s": float(spec.scenario.dt / b2.second),
        "wall_time_build_s": timings.build_s,
        "wall_time_run_s": timings.run_s,
        "wall_time_total_s": total_s,
        "versions": versions(),
        "git_commit": git_commit(),
        "host": platform.node(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def is_complete(store: Path) -> bool:
    """Whether a complete store is at ``store``."""
    try:
        return read_attrs(store).get("status") == COMPLETE
    except StoreError:
        return False


__all__ = [
    "Build",
    "NetworkData",
    "Options",
    "RunResult",
    "build_network",
    "check_memory",
    "ensure_build",
    "network_data",
    "run_point",
    "run_scenario",
]
