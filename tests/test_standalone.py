"""What the engine relies on in Brian2 and its standalone binary (depnet.standalone).

Each test fails when the upstream behaviour a function of depnet.standalone relies on changes:
the main-file operations and what of them is data, the binary's command line and input files, and
the run control that continues a run from one segment to the next (time, random numbers, spikes
in flight), on a network small enough to compile in seconds.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import brian2 as b2
import numpy as np
import pytest

from depnet import devices, standalone
from depnet.circuits.simd_exp import simd_exp
from depnet.errors import DeviceError
from tests.conftest import standalone_folder


def _toy(tau_ms: float = 10.0, n: int = 4, equation: str = "dv/dt = (I - v) / tau : 1"):
    """Two groups, a delayed synapse, a random draw each step and monitors, all named."""
    group = b2.NeuronGroup(
        n, f"{equation}\nI : 1\ntau : second (shared, constant)\nnoise : 1", threshold="v > 0.9",
        reset="v = 0", method="euler", name="toy",
    )  # fmt: skip
    group.tau = tau_ms * b2.ms
    group.I = np.linspace(0.5, 2.0, n)
    group.run_regularly("noise = rand()", name="toy_noise")
    target = b2.NeuronGroup(1, "x : 1", name="target")
    synapses = b2.Synapses(group, target, on_pre="x_post += 1", delay=3 * b2.ms, name="toy_syn")
    synapses.connect(i=np.arange(n), j=np.zeros(n, dtype=int))
    spikes = b2.SpikeMonitor(group, name="toy_spikes")
    trace = b2.StateMonitor(group, ["v", "noise"], record=True, name="toy_trace")
    hits = b2.StateMonitor(target, "x", record=True, name="target_trace")
    return b2.Network(group, target, synapses, spikes, trace, hits, name="toy_network")


def test_what_main_sets_is_data_or_literals_and_the_rest_is_code(tmp_path):
    with devices.activated("cpp", tmp_path / "p"):
        net = _toy()
        device = b2.get_device()
        initial = standalone.initial_values(device, net)
        # an array assigned from numpy: a static array the binary loads (data)
        assert any("toy_I" in name for name in initial.static_arrays)
        # a shared value: a literal that run_args replace
        assert initial.literals["toy.tau"] == "0.01"
        # the synapse creation and the clock stay code
        assert any(line.startswith("run_code_object") for line in initial.compiled)
        assert not any(name.startswith("defaultclock") for name in initial.literals)
        device.main_queue.append(("a_new_kind_of_operation", ()))
        with pytest.raises(DeviceError, match="unknown Brian2 main-file operation"):
            standalone.initial_values(device, net)


def test_the_description_holds_what_is_compiled_and_not_values(tmp_path):
    def describe(**toy) -> list[str]:
        with devices.activated("cpp", tmp_path / "p"):
            net = _toy(**toy)
            return standalone.describe_network(net, standalone.initial_values(b2.get_device(), net))

    base = describe()
    assert describe(tau_ms=20.0) == base  # a value: data
    assert describe(n=5) != base  # a size
    assert describe(equation="dv/dt = (I - 2 * v) / tau : 1") != base  # the code


def test_functions_and_tables_in_a_namespace_are_described_the_same_whatever_ran_before(tmp_path):
    """A namespace function is described by its compiled code on each standalone target and a
    TimedArray by its shape: Brian2 adds a numpy implementation to a function once runtime mode
    has used it, which must not change the description (nor send a build to another binary)."""

    def describe(steps: int = 3) -> list[str]:
        with devices.activated("cpp", tmp_path / "p"):
            table = b2.TimedArray(np.linspace(0.0, 1.0, steps), dt=1 * b2.ms, name="toy_table")
            group = b2.NeuronGroup(
                2, "v = simd_exp(-table(t)) : 1", namespace={"simd_exp": simd_exp, "table": table},
                name="toy_functions",
            )  # fmt: skip
            net = b2.Network(group, name="toy_network")
            return standalone.describe_network(net, standalone.initial_values(b2.get_device(), net))

    before = describe()
    assert any(line.startswith("namespace simd_exp Function cpp:") for line in before)
    assert describe(steps=4) != before  # the table's shape is compiled in
    with devices.activated("runtime"):
        group = b2.NeuronGroup(1, "v : 1", name="runtime_user")
        group.run_regularly("v = simd_exp(-1.0)", name="runtime_user_exp")
        b2.Network(group, name="runtime_network").run(b2.defaultclock.dt)
        assert "numpy" in simd_exp.implementations  # what runtime mode added
    assert describe() == before


def test_objects_with_automatic_names_are_found():
    with devices.activated("runtime"):
        net = b2.Network(b2.NeuronGroup(1, "v : 1"), name="named")
        assert [n for n in standalone.unnamed(net) if n.startswith("neurongroup")]
        assert standalone.unnamed(_toy()) == []


def test_summed_variables_are_sampled_on_a_clock_of_their_own():
    """:func:`depnet.standalone.sample_summed_variables`: a Synapses' summed variable runs on the
    given clock at the start of a step, and sums what it summed every step before."""
    with devices.activated("runtime"):
        source = b2.NeuronGroup(3, "v : 1", threshold="True", name="sum_source")
        target = b2.NeuronGroup(2, "total : 1", name="sum_target")
        synapses = b2.Synapses(
            source, target, "w : 1\ntotal_post = w : 1 (summed)", on_pre="w += 1",
            name="sum_synapses",
        )  # fmt: skip
        synapses.connect(i=[0, 1, 2, 0], j=[0, 0, 1, 1])
        clock = b2.Clock(1 * b2.ms, name="sum_clock")
        standalone.sample_summed_variables(synapses, clock)
        monitor = b2.StateMonitor(
            target, "total", record=True, clock=clock, when="start", order=1, name="sum_monitor"
        )  # fmt: skip
        net = b2.Network(source, target, synapses, monitor, name="sum_network")
        net.run(3 * b2.ms)
        (updater,) = synapses.summed_updaters.values()
        assert updater.clock is clock and (updater.when, updater.order) == ("start", 0)
        summary = str(net.scheduling_summary())
        assert "sum_synapses_summed_variable_total_post" in summary
        # every cell fires every step (0.1 ms): 10 increments a sample; the sample at t holds
        # the weights before step t's spikes: cell 0 has two synapses, cell 1 two
        assert np.allclose(monitor.total, [[0, 20, 40], [0, 20, 40]])


@pytest.fixture(scope="module")
def toy_build() -> Iterator[tuple[Path, dict]]:
    """The toy network compiled once, with the run control (seconds on 2 cores)."""
    with standalone_folder("toy") as folder:
        yield folder, _compiled_toy(folder)


def _compiled_toy(folder: Path) -> dict:
    with devices.activated("cpp", folder):
        device = b2.get_device()
        net = _toy()
        device.apply_run_args()
        initial = standalone.initial_values(device, net)
        standalone.insert_run_control(net, "cpp", 1 * b2.second)
        net.run(0 * b2.second, report=standalone.REPORT_CODE, report_period=1 * b2.second)
        device.build(directory=str(folder), compile=True, run=False)
        files = {
            "spikes": standalone.recorded_files(device, net["toy_spikes"]),
            "trace": standalone.recorded_files(device, net["toy_trace"]),
            "hits": standalone.recorded_files(device, net["target_trace"]),
            "state": {
                k: standalone.array_file(device, v)
                for k, v in standalone.state_variables(net).items()
            },  # fmt: skip
            "pathways": standalone.pathways(net),
            "literals": initial.literals,
        }
    return files


def _link(build: Path, work: Path) -> None:
    names = [p.name for p in (build / "static_arrays").iterdir()]
    standalone.link_static_arrays(work, build / "static_arrays", work / "none", names)


def _segment(build: Path, files: dict, work: Path, k: int, t0: float, t1: float, args=()):
    results = work / f"seg{k}"
    results.mkdir(parents=True)
    arguments = [f"{name}={value}" for name, value in files["literals"].items()] + list(args)
    if k:
        previous = work / f"seg{k - 1}"
        arguments += [f"{n}={previous / f.file}" for n, f in files["state"].items()]
        standalone.resume_files(previous, results, files["pathways"])
    standalone.write_control(results, t0, t1 - t0, seed=5, segment=k, resume=k > 0)
    standalone.run_binary(devices.binary_path(build), work, results, arguments)
    return results


def test_segments_continue_time_random_numbers_and_spikes_in_flight(toy_build, tmp_path):
    """Three segments of the compiled toy equal one run of the same length: the clock goes on
    (``Network::t`` and every clock set from the control file), rand() continues its stream
    (the generators reloaded) and a spike sent 1 ms before a boundary arrives 2 ms after it
    (the spike queues reloaded)."""
    build, files = toy_build
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    for work in (tmp_path / "one", tmp_path / "three"):
        _link(build, work)
    one = _segment(build, files, tmp_path / "one", 0, 0.0, 0.06)
    bounds = [0.0, 0.0203, 0.0411, 0.06]  # boundaries anywhere on the time-step grid
    parts = [
        _segment(build, files, tmp_path / "three", k, a, b)
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]

    def joined(kind: str, name: str) -> np.ndarray:
        return np.concatenate([files[kind][name].read(p) for p in parts])

    for kind, names in (("spikes", ("i", "t")), ("trace", ("t", "v", "noise")), ("hits", ("x",))):
        for name in names:
            np.testing.assert_array_equal(joined(kind, name), files[kind][name].read(one))
    t = files["spikes"]["t"].read(one)
    assert len(t) > 10
    x = files["hits"]["x"].read(one)[:, 0]
    assert np.all(np.diff(x) >= 0) and x[-1] > 0


def test_a_literal_reaches_the_binary_and_a_missing_input_fails(toy_build, tmp_path):
    build, files = toy_build
    _link(build, tmp_path)
    slow = _segment(build, files, tmp_path, 0, 0.0, 0.03, args=["toy.tau=1.0"])
    assert len(files["spikes"]["t"].read(slow)) == 0  # tau 1 s: nobody reaches threshold
    missing = tmp_path / "nowhere.dat"
    with pytest.raises(DeviceError, match="toy.I: no such file .*nowhere.dat"):
        _segment(build, files, tmp_path, 1, 0.0, 0.01, args=[f"toy.I={missing}"])
    short = tmp_path / "short.dat"
    np.zeros(1).tofile(short)  # the toy has 4 cells
    _link(build, tmp_path / "short")
    with pytest.raises(DeviceError, match="could not read its inputs"):
        _segment(build, files, tmp_path / "short", 0, 0.0, 0.01, args=[f"toy.I={short}"])


def test_file_arguments_survive_brian2cudas_lowercasing_of_values(toy_build, tmp_path):
    """brian2cuda 1.0b1 lowercases each ``name=value`` value before opening it as a file (seen
    on an H200: ``protocol_neurons_I_stim.values...dat`` was looked for as ``..._i_stim...``).
    Every file argument reaches the binary as a lowercase path relative to its working folder,
    to the same file; numbers and booleans pass unchanged."""
    build, files = toy_build
    _link(build, tmp_path)
    folder = tmp_path / "Runs" / "MDD_SSRI"
    folder.mkdir(parents=True)
    values = folder / "I_high.dat"
    np.full(4, 0.0).tofile(values)
    args = [f"toy.I={values}", "toy.tau=1.0", "toy.I=-0.5", "flag=True"]
    safe = standalone.lowercase_safe_args(tmp_path, args)
    assert safe[1:] == args[1:]
    name, _, path = safe[0].partition("=")
    assert name == "toy.I" and path == path.lower() and not Path(path).is_absolute()
    assert (tmp_path / path.lower()).resolve() == values.resolve()
    assert standalone.lowercase_safe_args(tmp_path, args) == safe  # same link every segment
    silent = _segment(build, files, tmp_path, 0, 0.0, 0.03, args=[safe[0]])
    assert len(files["spikes"]["t"].read(silent)) == 0  # I = 0 read from the file: no spikes


@pytest.mark.skipif(not standalone.make_arguments(), reason="the compiler is not GCC")
def test_every_source_of_a_cpp_build_is_compiled_with_the_precompiled_standard_headers(
    toy_build,
):
    """depnet.mk reads Brian2's generated makefile (OBJS, CXXFLAGS, ``all``): the build made the
    precompiled header; the objects were compiled with ``-include depnet_pch.h`` (Brian2's
    dependency list, made with the objects' flags, names the header); and g++ given the
    command that make runs for an object takes the precompiled file (``-H`` marks a
    precompiled file it uses with ``!``) rather than reading the standard headers as text."""
    build, _ = toy_build
    assert (build / standalone.PCH_FILE).is_file()
    makefile = (build / "makefile").read_text()
    assert "OBJS = " in makefile and "CXXFLAGS = -c " in makefile and "\nall: " in makefile
    assert "depnet_pch.h" in (build / "make.deps").read_text()
    source = next((build / "code_objects").glob("*.cpp")).relative_to(build)
    target = source.with_suffix(".o")
    # -n: print the command that compiles the source; -o: make.deps is not remade (it would
    # be, as an included makefile, -n or not)
    make = ["make", "-n", *standalone.make_arguments(), "-o", "make.deps", "-W", str(source)]
    printed = subprocess.run(
        [*make, str(target)], cwd=build, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    (compile_line,) = [line for line in printed if line.endswith(f"{source} -o {target}")]
    command = shlex.split(compile_line)[:-3]  # without the source and -o object
    assert command[-2:] == ["-include", "depnet_pch.h"]
    used = subprocess.run(
        [*command, "-H", "-fsyntax-only", str(source)],
        cwd=build, capture_output=True, text=True, check=True,
    ).stderr.splitlines()  # fmt: skip
    assert used[0] == f"! ./{standalone.PCH_FILE}"


@pytest.mark.cuda
def test_brian2cudas_search_for_repeated_synapse_pairs_is_removed_once_per_creation(tmp_path):
    """brian2cuda's synapse creation from arrays walks every pair through a std::map (issue #88
    upstream); depnet removes that search, which its unique pairs make idle, and nothing else. A
    Synapses with a multisynaptic index keeps it (the search numbers its repeats)."""
    with devices.activated("cuda", tmp_path / "p"):
        source = b2.NeuronGroup(4, "v : 1", threshold="v > 1", reset="", name="source")
        unique = b2.Synapses(source, source, "w : 1", on_pre="v_post += w", name="unique")
        unique.connect(i=np.arange(4), j=np.roll(np.arange(4), 1))
        numbered = b2.Synapses(
            source, source, "w : 1", on_pre="v_post += w", multisynaptic_index="k",
            name="numbered",
        )  # fmt: skip
        numbered.connect(i=[0, 0], j=[1, 1])
        b2.Network(source, unique, numbered, name="pairs_network").run(0 * b2.ms)
        device = b2.get_device()
        creations = {
            c.owner.name: c
            for c in device.code_objects.values()
            if c.template_name == "synapses_create_array"
        }
        before = {name: c.code.cu_file for name, c in creations.items()}
        search = "std::map<std::pair<int32_t, int32_t>, int32_t> source_target_count;"
        assert all(code.count(search) == 1 for code in before.values())  # upstream, as relied on

        assert standalone.skip_duplicate_pair_checks(device) == ["unique"]

        after = creations["unique"].code.cu_file
        assert "source_target_count" not in after
        assert "unique_multiple_pre_post = true" not in after
        kept = [line for line in before["unique"].splitlines() if "source_target_count" not in line]
        for line in ("_ptr_array_unique_N[0] = newsize;", "dev_dynamic_array_unique__synaptic_pre"):
            assert any(line in k for k in kept) and line in after
        assert creations["numbered"].code.cu_file == before["numbered"]

        creations["unique"].code.cu_file = before["unique"].replace(search, "std::map<int, int> m;")
        with pytest.raises(DeviceError, match="template changed"):
            standalone.skip_duplicate_pair_checks(device)
