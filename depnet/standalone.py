"""Brian2's insides: every use of a private Brian2 or brian2cuda API, and the binary's protocol.

:mod:`depnet.run` compiles a network once and runs the binary many times with other values,
other durations and in segments that resume. That needs a few things Brian2 does not offer as
public API; each is one named function here, and ``tests/test_standalone.py`` fails when the
upstream behaviour it relies on changes:

- :func:`initial_values`: what the generated ``main`` sets before a run, read from the device's
  queue of main-file operations (``device.main_queue``): values from static arrays (data files
  the binary loads at start, replaceable per run) and literals (replaced per run by
  ``run_args``), and what stays compiled in (the rest: part of the network's fingerprint);
- :func:`describe_network`: what a build compiles in, read off the objects (private attributes
  such as ``_refractory`` and ``_pathways``);
- :func:`insert_run_control`: C++ inserted after the (zero-length) run that the project
  compiles, which runs the network for a duration read at run time, from a start time that
  continues the previous segment (``Network::t``, the clocks), with the random generators seeded
  or reloaded and the spike queues reloaded (``brian::_random_generators``,
  ``brian::<pathway>.queue``; brian2cuda: ``random_number_buffer.set_seed``);
- :func:`state_variables`, :func:`recorded_files`: the file names of arrays in a results folder
  (``device.get_array_filename``) and how 2-D monitor arrays are laid out there;
- :func:`sample_summed_variables`: a summed variable computed on a clock of its own, not its
  target group's (the updaters' ``_clock``);
- :func:`skip_duplicate_pair_checks`: brian2cuda's synapse creation without its host-side
  search for repeated (pre, post) pairs (rendered code of the ``synapses_create_array`` code
  objects, edited in place before the project is written, as brian2cuda edits its own);
- :func:`make_arguments`: a cpp build's ``make`` reads Brian2's generated ``makefile`` through
  ``depnet/native/depnet.mk``, which relies on its ``OBJS``, ``CXXFLAGS`` and ``all`` goal to
  compile every source with a precompiled header of the standard library;
- :func:`run_binary`: the binary's command line (``--results_dir`` and ``name=value``
  arguments, values read from files relative to the working folder, ``static_arrays/`` too;
  brian2cuda lowercases every value, file names included: :func:`lowercase_safe_args`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2.core.variables import ArrayVariable, Constant, DynamicArrayVariable, Subexpression

from depnet.errors import DeviceError

#: Name of the run-control file in a results folder (read by the inserted C++).
CONTROL_FILE = "depnet_control.txt"
#: Prefix of the files a resumed segment reloads (the previous segment's generator and queues).
RESUME_PREFIX = "depnet_resume_"
#: Brian2's files of the generator state and of a pathway's queue, in a results folder.
GENERATOR_STATE = "random_generator_state"
PROGRESS_TAG = "DEPNET_PROGRESS"
#: C++ body of the report function: the completed fraction of the segment, one line a period.
REPORT_CODE = f'std::cout << "{PROGRESS_TAG} " << completed << " " << elapsed << std::endl;'
#: Attributes of Brian2 objects that end up in generated code.
_CODE_ATTRIBUTES = (
    "abstract_code", "equations", "events", "event_codes", "_refractory", "method_choice",
    "record_variables", "record", "_N", "when", "order",
)  # fmt: skip


def objects(net_objects: Iterable) -> Iterator:
    """Every object of a network, contained ones (state updaters, run_regularly) included."""
    for obj in net_objects:
        yield obj
        yield from objects(getattr(obj, "contained_objects", ()))


def arg_name(var: ArrayVariable) -> str:
    """``owner.variable``: how the binary's command line names a variable."""
    return f"{var.owner.name}.{var.name}"


def is_state(obj, name: str, var) -> bool:
    """Whether a variable belongs to the state a run carries over (and ``run_args`` can set):
    an array of a NeuronGroup or Synapses, its own, writable, not an internal one."""
    return (
        isinstance(obj, b2.NeuronGroup | b2.Synapses)
        and isinstance(var, ArrayVariable)
        and not name.startswith("_")
        and not var.read_only
        and var.owner is not None
        and var.owner.name == obj.name
    )


def state_variables(net: b2.Network) -> dict[str, ArrayVariable]:
    """Every state variable of ``net`` (:func:`is_state`) by :func:`arg_name`."""
    found = {}
    for obj in objects(net.objects):
        for name, var in (getattr(obj, "variables", None) or {}).items():
            if is_state(obj, name, var):
                found[arg_name(var)] = var
    return found


# -- what main sets: data or code ------------------------------------------------------------
@dataclass
class InitialValues:
    """What the generated ``main`` sets before the run, split into run-time data and code.

    Attributes
    ----------
    static_arrays
        Static array name -> values: files the binary loads from ``static_arrays/`` at start.
    literals
        ``owner.variable`` -> value text: literals in ``main`` that ``run_args`` replace.
    compiled
        Operations that stay in the code whatever ``run_args`` say (their kind, array and, for
        a literal that cannot be replaced, its value): part of the network's fingerprint.
    """

    static_arrays: dict[str, np.ndarray]
    literals: dict[str, str]
    compiled: list[str]


def _arrays_by_name(device, net: b2.Network) -> dict[str, ArrayVariable]:
    found = {}
    for obj in objects(net.objects):
        for var in (getattr(obj, "variables", None) or {}).values():
            if isinstance(var, ArrayVariable):
                try:
                    found[device.get_array_name(var, access_data=False)] = var
                    found[device.get_array_name(var)] = var
                except (KeyError, TypeError):
                    continue
    return found


def initial_values(device, net: b2.Network) -> InitialValues:
    """Read the device's queue of main-file operations after ``net`` was built (not run).

    A literal assigned to a whole array (or to a one-element array) becomes a ``run_args``
    literal if the binary can set that variable (:func:`is_state`); a static array stays data;
    every other operation, and any literal that cannot be replaced, is code.

    Raises
    ------
    DeviceError
        For an operation this module does not know (a newer Brian2): check what it does first.
    """
    arrays = _arrays_by_name(device, net)
    literals: dict[str, str] = {}
    compiled: list[str] = []
    for kind, args in device.main_queue:  # private: Brian2's list of main-file operations
        if kind in ("set_by_constant", "set_by_single_value"):
            # (array, value, is_dynamic) and (array, item, value)
            name, value = args[0], args[1] if kind == "set_by_constant" else args[2]
            var = arrays.get(name)
            whole = kind == "set_by_constant" or (var is not None and var.size == 1)
            number = _number(value)
            if var is not None and whole and _replaceable(var) and number is not None:
                literals[arg_name(var)] = number
                compiled.append(f"{kind} {name}")
            else:
                compiled.append(f"{kind} {args!r}")
        elif kind == "set_by_array":
            name, static, _ = args
            var = arrays.get(name)
            if var is not None:
                literals.pop(arg_name(var), None)  # an array set later wins over a literal
            compiled.append(f"{kind} {name} {static}")
        elif kind in ("resize_array", "set_array_by_array"):
            compiled.append(f"{kind} {args!r}")
        elif kind in ("run_code_object", "before_run_code_object", "after_run_code_object"):
            # Brian2 numbers code objects after the live ones: the number is not the network's
            compiled.append(f"{kind} {re.sub(r'_codeobject_\d+$', '_codeobject', args[0].name)}")
        elif kind == "seed":
            compiled.append("seed")  # the run control seeds the generators
        elif kind == "insert_code":
            compiled.append(f"{kind} {args}")
        else:
            raise DeviceError(f"unknown Brian2 main-file operation {kind!r}: depnet cannot run it")
    return InitialValues(dict(device.static_arrays), literals, compiled)


def _number(value) -> str | None:
    """A literal of ``main`` (Brian2 queues numbers and their text) as the binary's command line
    reads it, or None if it is not a finite number."""
    text = "".join(str(value).split())  # Brian2 writes a negative number as '- 0.07'
    if text in ("True", "False", "true", "false"):
        return "1" if text.lower() == "true" else "0"
    if re.fullmatch(r"-?\d+", text):  # an integer stays exact
        return text
    try:
        number = float(text)
    except ValueError:
        return None
    return repr(number) if np.isfinite(number) else None


def _replaceable(var: ArrayVariable) -> bool:
    """Whether ``run_args`` may replace a literal of ``var``: a state variable (the binary's
    ``set_variable_by_name`` knows every writable array; clocks are structure)."""
    return var.owner is not None and is_state(var.owner, var.name, var)


def describe_network(net: b2.Network, initial: InitialValues) -> list[str]:
    """Everything a standalone build of ``net`` compiles in, as lines of text.

    Objects with their classes, names, clocks, sizes, equations and code, constants folded into
    the code, every array's type and size (not its values: those are data, see
    :func:`initial_values`), and the operations of ``main``. Two networks with equal
    descriptions run on one binary.
    """
    lines = []
    for obj in sorted(objects(net.objects), key=lambda o: o.name):
        lines += _describe(obj)
    lines += initial.compiled
    lines += [
        f"static {name} {arr.dtype} {arr.shape}"
        for name, arr in sorted(initial.static_arrays.items())
    ]
    return lines


def _describe(obj) -> list[str]:
    variables = getattr(obj, "variables", None) or {}
    lines = [f"{type(obj).__name__} {obj.name} clock={obj.clock.name} dt={float(obj.clock.dt)!r}"]
    if isinstance(obj, b2.Synapses | b2.NeuronGroup):
        lines.append(f"size {len(obj)}")
    for attribute in _CODE_ATTRIBUTES:
        value = getattr(obj, attribute, None)
        if value is None:
            continue
        if isinstance(value, np.ndarray):
            value = f"{value.dtype}{value.shape}" + hashlib.sha256(value.tobytes()).hexdigest()[:16]
        elif isinstance(value, set | frozenset):  # set order varies with the process's hash seed
            value = sorted(value, key=str)
        lines.append(f"{attribute}={value}")
    for name in sorted(variables):
        var = variables[name]
        if isinstance(var, Constant):
            lines.append(f"{name} constant {var.value!r}")
        elif isinstance(var, Subexpression):
            lines.append(f"{name} = {var.expr}")
        elif isinstance(var, ArrayVariable):
            if getattr(var.owner, "name", None) != obj.name:
                continue  # another object's variable: its owner describes it
            size = "dynamic" if isinstance(var, DynamicArrayVariable) else var.size
            lines.append(f"{name} {var.dtype} scalar={var.scalar} constant={var.constant} {size}")
        else:
            lines.append(f"{name} {type(var).__name__}")
    for name, value in sorted((getattr(obj, "namespace", None) or {}).items()):
        lines.append(f"namespace {name} {_describe_external(value, obj)}")
    return lines


#: The code generation targets whose projects a description covers.
STANDALONE_TARGETS = ("cpp", "cuda")


def _describe_external(value, owner) -> str:
    """What generated code takes from a name in an object's namespace: a function's code on
    each standalone target (its C++ body is compiled in), a TimedArray's shape (its values are
    data), a constant's value (folded into the code)."""
    if isinstance(value, b2.TimedArray):
        return f"TimedArray {value.values.shape} dt={value.dt!r}"
    if isinstance(value, b2.Function):
        # Only the standalone targets, by name: Brian2 adds a numpy implementation to a function
        # once runtime mode has used it, and a description must not depend on what the process
        # ran before.
        codes = []
        for target in STANDALONE_TARGETS:
            try:
                code = value.implementations[target].get_code(owner)
            except (KeyError, TypeError, AttributeError, NotImplementedError):
                code = "none"
            if isinstance(code, dict):
                code = sorted(code.items())
            codes.append(f"{target}:{hashlib.sha256(str(code).encode()).hexdigest()[:16]}")
        return "Function " + " ".join(codes)
    if isinstance(value, int | float | np.number | b2.Quantity):
        return repr(value)
    return type(value).__name__


# -- results files ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayFile:
    """An array in a results folder: its file name, dtype and, for 2-D arrays, columns."""

    file: str
    dtype: str
    columns: int = 0  # 0: a 1-D array

    def read(self, folder: Path) -> np.ndarray:
        data = np.fromfile(folder / self.file, dtype=self.dtype)
        return data.reshape(-1, self.columns) if self.columns else data


def array_file(device, var: ArrayVariable, columns: int = 0) -> ArrayFile:
    """Where the binary writes ``var`` at the end of a run (2-D monitor arrays: time-major)."""
    return ArrayFile(device.get_array_filename(var), np.dtype(var.dtype).str, columns)


def recorded_files(device, monitor) -> dict[str, ArrayFile]:
    """A monitor's arrays in a results folder: ``i``, ``t`` of a SpikeMonitor; ``t`` and each
    recorded variable (``(time, recorded index)``) of a StateMonitor."""
    if isinstance(monitor, b2.SpikeMonitor):
        return {k: array_file(device, monitor.variables[k]) for k in ("i", "t")}
    n = len(monitor.record)
    files = {"t": array_file(device, monitor.variables["t"])}
    for name in monitor.record_variables:
        files[name] = array_file(device, monitor.variables[name], columns=n)
    return files


def final_synapses(device, synapses: b2.Synapses) -> dict[str, ArrayFile]:
    """A plastic projection's synapses at the end of a run: indices (Brian2's private
    ``_synaptic_pre`` and ``_synaptic_post``), weights and, for a pool, presence."""
    files = {
        "pre": array_file(device, synapses.variables["_synaptic_pre"]),
        "post": array_file(device, synapses.variables["_synaptic_post"]),
        "w_final": array_file(device, synapses.variables["w"]),
    }
    if "present" in synapses.variables:
        files["present_final"] = array_file(device, synapses.variables["present"])
    return files


def sample_summed_variables(synapses: b2.Synapses, clock: b2.Clock) -> None:
    """Compute ``synapses``' summed variables every ``clock.dt``, at the start of a step.

    Brian2 updates a summed variable on its target group's clock, every time step (its
    ``SummedVariableUpdater`` takes ``target.clock``, and no argument sets another): for a sum
    that is only sampled (a plastic projection's weight sums, read every ``record.synapse_dt``),
    a pass over every synapse each step. The updaters' private ``_clock`` is set to ``clock``
    (the clock of the monitor that reads them) and their slot to ``start``, order 0, so a
    sample at ``t`` holds the synapses as they enter step ``t``.
    """
    for updater in synapses.summed_updaters.values():
        updater._clock = clock
        updater.when, updater.order = "start", 0


#: The makefile that a cpp build's ``make`` reads (see :func:`make_arguments`).
PCH_MAKEFILE = Path(__file__).resolve().parent / "native" / "depnet.mk"
#: The precompiled header it compiles into the build folder.
PCH_FILE = "depnet_pch.h.gch"


def make_arguments() -> list[str]:
    """Arguments to Brian2's ``make`` of a cpp build (after ``-j``): read the generated makefile
    through ``depnet/native/depnet.mk``, which compiles the standard headers that every
    generated source includes once into :data:`PCH_FILE` and every source with it.

    About a third of a build's compile time is saved (~0.6 s -> ~0.2-0.3 s a source with g++
    -O3; ``benchmarks/treatment_library.py``). The code objects compile to the same bytes: the
    header holds only standard headers, included first. Only for GCC (``$CXX``, else ``g++``):
    clang (``g++`` on macOS) treats a precompiled file it cannot use as an error, not as a
    header to read. No arguments, so Brian2's plain ``make``, for another compiler or a path
    that ``make`` cannot take unquoted.
    """
    path = str(PCH_MAKEFILE)
    if not re.fullmatch(r"[\w./+-]+", path) or not _compiler_is_gcc():
        return []
    return ["-f", path]


@functools.cache
def _compiler_is_gcc() -> bool:
    command = shlex.split(os.environ.get("CXX", "g++")) + ["--version"]
    try:
        version = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Free Software Foundation" in version and "clang" not in version.lower()


def drop_precompiled_header(folder: Path) -> None:
    """Remove a compiled build's precompiled header (~45 MB; only a compile reads it, and a
    later one in the same folder makes it again)."""
    (folder / PCH_FILE).unlink(missing_ok=True)


def static_array_names(device) -> list[str]:
    """The static arrays a built project's binary loads from ``static_arrays/``."""
    return sorted(device.static_arrays)


# -- synapse creation -----------------------------------------------------------------------------
#: The search for repeated (pre, post) pairs in brian2cuda's ``synapses_create_array`` template:
#: a ``std::map`` keyed by every pair, ending in the comment line ``// Check``.
_DUPLICATE_PAIR_CHECK = re.compile(
    r"^[ \t]*// Check for occurrence of multiple source-target pairs in synapses.*?"
    r"^[ \t]*std::map<std::pair<int32_t, int32_t>, int32_t> source_target_count;.*?"
    r"^[ \t]*// Check\n",
    re.DOTALL | re.MULTILINE,
)
_SKIPPED = "// depnet: no search for repeated synapse pairs (each pair is unique by construction)\n"


def skip_duplicate_pair_checks(device) -> list[str]:
    """Remove brian2cuda's host-side search for repeated (pre, post) pairs from every synapse
    creation from arrays; returns the names of the Synapses whose creation was edited.

    brian2cuda 1.0b1 inserts every new synapse's pair into a ``std::map`` to find out whether a
    pair occurs twice (brian2cuda issue #88): 0.14-0.18 s per 10^6 synapses on one host core
    here, ~22 s of every run's start-up at 10^6 neurons (``benchmarks/setup_cost.py``). Its only
    outcome is a flag (``<synapses>_multiple_pre_post``, false unless set) that chooses the effect
    application's serialized path. Every Synapses depnet builds connects each pair at most once
    (fixed in-degree with distinct sources per target, populations that do not overlap, see
    :func:`depnet.circuits.projections.fixed_in_degree`; ``tests/test_devices.py`` checks every
    network structure), so the flag stays false, as the search would leave it. Synapses with a
    multisynaptic index (which the search numbers) are left as they are.

    Call on the brian2cuda device after the network is built and before ``device.build``.

    Raises
    ------
    DeviceError
        If a creation's rendered code does not hold the search once (brian2cuda changed).
    """
    edited = []
    for codeobj in device.code_objects.values():
        if codeobj.template_name != "synapses_create_array":
            continue
        if getattr(codeobj.owner, "multisynaptic_index", None) is not None:
            continue
        code, count = _DUPLICATE_PAIR_CHECK.subn(_SKIPPED, codeobj.code.cu_file)
        if count != 1:
            raise DeviceError(
                f"{codeobj.name}: brian2cuda's search for repeated synapse pairs was found "
                f"{count} times, not once: its synapses_create_array template changed"
            )
        codeobj.code.cu_file = code
        edited.append(codeobj.owner.name)
    return sorted(set(edited))


# -- the run control ----------------------------------------------------------------------------
def pathways(net: b2.Network) -> list[str]:
    """Names of the synaptic pathways (spike queues) of ``net`` (private ``_pathways``)."""
    return sorted(
        p.name
        for obj in objects(net.objects)
        if isinstance(obj, b2.Synapses)
        for p in obj._pathways
    )


def clocks(net: b2.Network) -> list[str]:
    """Names of the clocks of ``net``'s objects."""
    return sorted({obj.clock.name for obj in objects(net.objects)})


def insert_run_control(net: b2.Network, target: str, report_period: b2.Quantity) -> None:
    """Insert the C++ that runs ``net`` for a duration read at run time (after the zero-length
    run the project compiles, which prepares the spike queues and applies ``run_args``).

    It reads :data:`CONTROL_FILE` in the results folder: start time (s), duration (s), seed,
    segment number and whether to resume. A resumed segment reloads the generators and spike
    queues the previous one wrote (cpp; brian2cuda keeps both on the GPU, so there a segment
    reseeds from the seed and the segment number and starts with empty queues). Every clock is
    set to the start time, so a run continues the previous segment's time axis exactly.
    """
    device = b2.get_device()
    lines = [
        "{  // depnet run control (depnet.standalone.insert_run_control)",
        f'    std::ifstream _ctl((brian::results_dir + "{CONTROL_FILE}").c_str());',
        "    double _t_start = 0, _duration = 0; unsigned long long _seed = 0;",
        "    long _segment = 0; int _resume = 0;",
        "    if (!(_ctl >> _t_start >> _duration >> _seed >> _segment >> _resume)) {",
        f'        std::cerr << "depnet: unreadable {CONTROL_FILE}" << std::endl; exit(2);',
        "    }",
    ]
    if target == "cuda":
        lines.append("    random_number_buffer.set_seed(_seed + 1000003ULL * _segment);")
    else:
        lines += [
            "    if (_resume) {",
            *_reload(GENERATOR_STATE, "brian::_random_generators", "brian::_random_generators[_k]"),
        ]
        for name in pathways(net):
            lines += _reload(f"{name}_queue", f"brian::{name}.queue", f"*brian::{name}.queue[_k]")
        lines += [
            "    } else {",
            "        for (size_t _k = 0; _k < brian::_random_generators.size(); _k++)",
            "            brian::_random_generators[_k].seed(_seed + _k);",
            "    }",
        ]
    for clock in clocks(net):
        lines += [
            f"    brian::{clock}.set_interval(_t_start, _t_start);",
            f"    brian::{clock}.t[0] = brian::{clock}.timestep[0] * brian::{clock}.dt[0];",
        ]
    lines += [
        f"    {net.name}.t = _t_start;",
        f"    {net.name}.run(_duration, report_progress, {float(report_period / b2.second)!r});",
        "}",
    ]
    device.insert_code("after_network_run", "\n".join(lines))


def _reload(file: str, container: str, element: str) -> list[str]:
    """C++ that reads each element of ``container`` back from a resume file."""
    return [
        "        {",
        f'            std::ifstream _in((brian::results_dir + "{RESUME_PREFIX}{file}").c_str());',
        f'            if (!_in) {{ std::cerr << "depnet: cannot resume: no {file}" << std::endl;'
        " exit(2); }",
        f"            for (size_t _k = 0; _k < {container}.size(); _k++) _in >> {element};",
        "        }",
    ]


def write_control(
    results: Path, t_start: float, duration: float, seed: int, segment: int, resume: bool
) -> None:
    """The run-control file of one segment (read by :func:`insert_run_control`'s code)."""
    text = f"{t_start!r} {duration!r} {int(seed)} {int(segment)} {int(resume)}\n"
    (results / CONTROL_FILE).write_text(text)


def resume_files(previous: Path, results: Path, pathway_names: Iterable[str]) -> None:
    """Give a segment the generator state and spike queues the previous segment ended with."""
    for name in [GENERATOR_STATE, *(f"{p}_queue" for p in pathway_names)]:
        source = previous / name
        if not source.exists():
            raise DeviceError(f"cannot resume: {source} is missing")
        (results / (RESUME_PREFIX + name)).write_bytes(source.read_bytes())


# -- running the binary -------------------------------------------------------------------------
def write_run_arg(folder: Path, name: str, values: np.ndarray) -> str:
    """Write an array for ``run_args`` into ``folder``; returns the argument ``name=file``."""
    data = np.ascontiguousarray(values, dtype=np.float64 if values.dtype.kind == "f" else None)
    path = folder.resolve() / f"{name}.{hashlib.sha256(data.tobytes()).hexdigest()[:12]}.dat"
    if not path.exists():
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        data.tofile(tmp)
        tmp.replace(path)
    return f"{name}={path}"


def link_static_arrays(
    work: Path, build_arrays: Path, point_arrays: Path, names: Iterable[str]
) -> None:
    """The ``static_arrays`` folder a run's binary reads: the point's own files where it has
    them (its connectivity, initial values), the build's otherwise."""
    folder = work / "static_arrays"
    folder.mkdir(parents=True, exist_ok=True)
    point_arrays, build_arrays = point_arrays.resolve(), build_arrays.resolve()
    own = set(os.listdir(point_arrays)) if point_arrays.is_dir() else set()
    for name in names:  # one system call a file: a run links a few hundred
        target = (point_arrays if name in own else build_arrays) / name
        link = folder / name
        try:
            link.symlink_to(target)
        except FileExistsError:  # a resumed run's folder
            link.unlink()
            link.symlink_to(target)


#: Folder, in a run's working folder, of the links that :func:`lowercase_safe_args` passes.
ARG_LINKS = "arg_links"


def lowercase_safe_args(work: Path, args: Iterable[str]) -> list[str]:
    """``name=file`` arguments as links in ``work``/:data:`ARG_LINKS` with lowercase names,
    relative to ``work`` (the binary's working folder); ``name=number`` unchanged.

    brian2cuda 1.0b1's ``set_variable_by_name`` lowercases every value before it opens it as a
    file, so a path with a capital letter (``protocol_neurons_I_stim.values...``, a user's
    ``/home/Ana/runs``) is not found; Brian2's C++ target reads it as given. The links are named
    by a digest of the file's absolute path, so the same file gets the same link in every
    segment.
    """
    safe = []
    for arg in args:
        name, _, value = arg.partition("=")
        if not value or value[0] == "-" or value[0].isdigit() or value.lower() in ("true", "false"):
            safe.append(arg)  # a number or a boolean: the binary parses it in place
            continue
        target = (work / value).resolve()
        if not target.exists():
            raise DeviceError(f"run argument {name}: no such file {target}")
        folder = work / ARG_LINKS
        folder.mkdir(exist_ok=True)
        link = folder / f"{hashlib.sha256(str(target).encode()).hexdigest()[:16]}.dat"
        if not (link.is_symlink() and link.resolve() == target):
            tmp = link.with_name(f"{link.name}.{os.getpid()}.tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(target)
            tmp.replace(link)  # atomic: runs sharing the folder never see a half-made link
        safe.append(f"{name}={ARG_LINKS}/{link.name}")
    return safe


def run_binary(
    binary: Path,
    work: Path,
    results: Path,
    args: list[str],
    progress: Callable[[float], None] | None = None,
    environment: Mapping[str, str] | None = None,
) -> float:
    """Run a built binary in ``work`` with its results in ``results``; returns the loop's wall
    time (Brian2's ``last_run_info.txt``), following the progress lines while it runs.

    Raises
    ------
    DeviceError
        If the binary fails (its last output lines in the message).
    """
    results.mkdir(parents=True, exist_ok=True)
    stdout = results / "stdout.txt"
    args = lowercase_safe_args(work, args)
    command = [str(binary), "--results_dir", str(results.resolve()) + os.sep, *args]
    env = {**os.environ, **(environment or {})}
    with open(stdout, "w") as out:
        process = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                try:  # returns as soon as the binary ends: no idle tail after the run
                    process.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if progress:
                    fraction = last_progress(stdout)
                    if fraction is not None:
                        progress(fraction)
        except BaseException:
            process.terminate()
            process.wait()
            raise
    output = stdout.read_text(errors="replace")
    if process.returncode != 0:
        tail = output.strip().splitlines()[-5:]
        raise DeviceError(
            f"simulation binary failed (exit status {process.returncode}) in {work}: "
            + (" | ".join(tail) or "no output")
        )
    if problems := [line for line in output.splitlines() if _BINARY_ERROR.search(line)]:
        # Brian2's binary reports a missing or mis-sized input file and goes on without it.
        raise DeviceError(f"simulation binary could not read its inputs in {work}: {problems[0]}")
    info = (results / "last_run_info.txt").read_text().split()
    return float(info[0])


#: What Brian2's binary prints (and then carries on) when an input file is missing or of the
#: wrong size (a static array, a ``run_args`` value, a resumed state) or a result cannot be
#: written (a full disk).
_BINARY_ERROR = re.compile(
    r"^(Error opening static array|Error reading '|Could not read '|Error opening file"
    r"|Error writing)"
)


def last_progress(stdout: Path) -> float | None:
    """The last completed fraction the binary printed, if any."""
    try:
        lines = stdout.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith(PROGRESS_TAG):
            try:
                return float(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


# -- the build itself ---------------------------------------------------------------------------
#: Brian2's automatic names (what an object gets without ``name=``): they number after the
#: objects alive in the process, so they must not reach generated code.
_AUTO_NAME = re.compile(
    r"^(neurongroup|synapses|spikemonitor|statemonitor|clock|network|poissoninput|"
    r"poissongroup|spikegeneratorgroup|timedarray|_timedarray)(_\d+)?$|_\d+$"
)


def unnamed(net: b2.Network) -> list[str]:
    """Objects of ``net`` (and their clocks) with automatic names."""
    names = {obj.name for obj in objects(net.objects)} | set(clocks(net)) | {net.name}
    return sorted(n for n in names if _AUTO_NAME.match(n))
