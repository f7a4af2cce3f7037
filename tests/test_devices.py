"""Targets: runtime and C++ standalone agree; the CUDA target builds without a GPU."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import brian2 as b2
import numpy as np
import pytest

from depnet import devices
from depnet.errors import DeviceError
from depnet.run import Options, build_network, generate_project, network_data, run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario
from tests.conftest import small_scenario


def _same_spikes(a, b, until: float = np.inf) -> None:
    """Every spike of ``a`` and ``b`` before ``until`` (s) the same, in the same order."""
    for name, spikes in a.spikes.items():
        other = b.spikes[name]
        mine, theirs = spikes.time < until, other.time < until
        np.testing.assert_array_equal(spikes.neuron[mine], other.neuron[theirs], err_msg=name)
        np.testing.assert_array_equal(spikes.time[mine], other.time[theirs], err_msg=name)


def test_runtime_and_cpp_simulate_the_same_spikes():
    """Runtime and cpp run the same graph (drawn on the host) from the same seed, the same
    background input (a counter-based hash, ``depnet.circuits.counter_rng``) and the same rand()
    stream (Brian2 2.10 draws alike on both): the raphe-sgACC loop fires the same spikes, every
    one (0.3 s: runtime runs ~50 s per simulated second here), and [5-HT] and the LFP sums agree
    to rounding.
    A runtime run after a cpp one in the same process gives the same spikes again (the device
    is reset), over its first 0.1 s."""
    spec = small_scenario("0.3 s", "0 s")
    runtime, cpp = (
        run_scenario(spec, device=target, write=False, progress=False).data
        for target in ("runtime", "cpp")
    )
    again = small_scenario("0.1 s", "0 s")
    runtime_again = run_scenario(again, device="runtime", write=False, progress=False).data
    assert sum(len(s.time) for s in cpp.spikes.values()) > 500
    _same_spikes(runtime, cpp)
    _same_spikes(runtime, runtime_again, until=0.1)
    assert sum(len(s.time) for s in runtime_again.spikes.values()) > 100
    for name, values in cpp.serotonin.items():
        np.testing.assert_allclose(values, runtime.serotonin[name], rtol=1e-9, err_msg=name)
    assert set(cpp.lfp) == set(runtime.lfp) == {"i_ampa", "i_gaba"}
    np.testing.assert_array_equal(cpp.lfp_time, runtime.lfp_time)
    for name, values in cpp.lfp.items():
        scale = np.abs(values).max()
        np.testing.assert_allclose(values, runtime.lfp[name], rtol=0, atol=1e-9 * scale)


def test_leaving_a_target_gives_brian2_its_defaults_back(tmp_path):
    """What a build or a test sets (a 5 ms ``defaultclock.dt``, a seed, a standalone device,
    preferences) does not reach the next one on the same worker: a 5 ms dt once leaked from the
    structural-plasticity tests into the NMDA tests' background thresholds."""
    b2.seed(7)
    seeded = np.random.random(4)
    for target in ("runtime", "cpp"):
        with devices.activated(target, tmp_path / target):
            b2.defaultclock.dt = 5 * b2.ms
            b2.seed(7)
            b2.prefs.codegen.cpp.extra_compile_args_gcc = ["-O0"]
        assert b2.defaultclock.dt == 0.1 * b2.ms
        assert type(b2.get_device()).__name__ == "RuntimeDevice"
        assert b2.prefs.codegen.cpp.extra_compile_args_gcc != ["-O0"]
        assert not np.array_equal(np.random.random(4), seeded)  # unseeded, not still at 7


def test_auto_picks_cuda_only_where_a_gpu_answers():
    assert devices.resolve_target("auto") == ("cuda" if devices.gpu_available() else "cpp")


def test_compile_only_needs_a_standalone_device():
    with pytest.raises(DeviceError, match="standalone"):
        run_scenario(small_scenario("0.1 s", "0 s"), device="runtime", compile_only=True)


def _structure_representatives() -> list[str]:
    """One shipped scenario per network fingerprint (one build each): the first without
    interventions, so that each build is named after its plain network."""
    from depnet.scenarios import SCENARIO_DIR

    specs = {path.stem: load_scenario(path) for path in sorted(SCENARIO_DIR.glob("*.toml"))}
    representatives: dict[str, str] = {}
    for name in sorted(specs, key=lambda n: (bool(specs[n].interventions), n)):
        representatives.setdefault(network_data(specs[name], "cpp").fingerprint, name)
    return sorted(representatives.values())


#: The structure CI compiles for cuda: the raphe-sgACC loop with every learning rule (STDP x3 and
#: structural), so every rule's code object goes through nvcc. The other builds (healthy,
#: healthy_plastic, raphe_pfc: ~45 min more on CI's 2 cores) are exhaustive; CI generates their
#: CUDA code (brian2cuda's code generation, where an unsupported feature fails) without nvcc.
CI_CUDA_BUILD = "raphe_pfc_plastic"

#: The four network structures of the shipped scenarios (tests/test_interventions.py checks it).
REPRESENTATIVES = ["healthy", "healthy_plastic", "raphe_pfc", "raphe_pfc_plastic"]


def _small(representative: str):
    return load_scenario(
        scenario_path(representative), {"scenario.duration": "0.5 s", "scenario.warmup": "0 s"}
    )


def test_the_shipped_scenarios_have_four_network_structures():
    assert _structure_representatives() == REPRESENTATIVES


@pytest.mark.cuda
@pytest.mark.parametrize("representative", REPRESENTATIVES)
def test_every_network_structure_generates_a_complete_cuda_project(representative, tmp_path):
    """brian2cuda writes every structure's project (seconds each, no nvcc), and the project has
    what the engine needs: a kernel for every code object the network runs each step, the run
    control after the compiled zero-length run (seeded at run time, run for a duration read at
    run time), run_args applied before the spike queues are prepared, and a run_args entry for
    every protocol table and every state variable."""
    spec = _small(representative)
    data = network_data(spec, "cuda")
    folder = tmp_path / "cuda"
    manifest = generate_project(spec, data, Options("cuda"), folder)
    main = (folder / "main.cu").read_text()
    added = re.findall(r"depnet_network\.add\(&\w+, _run_(\w+)\);", main)
    stepped = [name for name in added if name != "random_number_buffer"]
    assert len(stepped) >= 15
    for name in stepped:
        assert "__global__" in (folder / "code_objects" / f"{name}.cu").read_text(), name
    control = main.index("depnet run control")
    assert main.index("set_from_command_line(args);") < main.index("depnet_network.run(0.0")
    assert main.index("depnet_network.run(0.0") < control
    assert "random_number_buffer.set_seed(_seed" in main[control:]
    assert "depnet_network.run(_duration, report_progress" in main[control:]
    objects = (folder / "objects.cu").read_text()
    for slot in data.layout.slots:
        assert f'name == "{slot.table}.values"' in objects
    for name in manifest["state"]:
        assert f'name == "{name}"' in objects, name
    # brian2cuda's search for repeated synapse pairs is gone from every creation (its pairs are
    # unique: the test below), so start-up is not one std::map insertion per synapse
    creations = list((folder / "code_objects").glob("*synapses_create_array*.cu"))
    assert len(creations) >= 4
    for creation in creations:
        code = creation.read_text()
        assert "source_target_count" not in code and "no search for repeated" in code, creation


@pytest.mark.parametrize("representative", REPRESENTATIVES)
def test_every_synapse_of_every_network_structure_joins_a_pair_of_cells_once(representative):
    """What lets the CUDA build skip brian2cuda's search for repeated pairs
    (depnet.standalone.skip_duplicate_pair_checks): no two synapses of a Synapses object join
    the same presynaptic and postsynaptic cell, for static, STDP, structural-pool and release
    synapses alike (fixed in-degree draws distinct sources; populations do not overlap)."""
    with devices.activated("runtime"):
        _, _, net = build_network(_small(representative))
        synapses = [obj for obj in net.objects if isinstance(obj, b2.Synapses)]
        assert len(synapses) >= 4  # static, release and LFP sums; plastic ones where built
        for syn in synapses:
            pairs = np.asarray(syn.i[:], dtype=np.int64) * len(syn.target) + syn.j[:]
            assert len(pairs) > 0 and len(np.unique(pairs)) == len(pairs), syn.name


def _compile_params() -> list:
    assert CI_CUDA_BUILD in REPRESENTATIVES
    return [
        pytest.param(name, marks=[] if name == CI_CUDA_BUILD else [pytest.mark.exhaustive])
        for name in REPRESENTATIVES
    ]


@pytest.mark.slow
@pytest.mark.cuda
@pytest.mark.parametrize("representative", _compile_params())
def test_every_network_structure_compiles_for_cuda_without_a_gpu(representative, tmp_path):
    """Each network structure in scenarios/ builds for brian2cuda; every scenario shares one of
    these builds (tests/test_engine.py: the treatment library shares healthy_plastic's). CI
    compiles :data:`CI_CUDA_BUILD`; ``--exhaustive`` compiles the others too. Each source
    costs ~18 s of nvcc on one core whatever the code object (cudafe++ and g++ over brian2cuda's
    thrust headers: nvcc --time)."""
    # Needs the CUDA toolkit (nvcc), not a GPU.
    result = run_scenario(
        _small(representative), device="cuda", compile_only=True, progress=False,
        root=tmp_path / "cuda",
    )  # fmt: skip
    binary = devices.binary_path(result.build_dir)
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert binary.stat().st_size > 100_000
    assert result.store is None


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")
def test_state_arrays_of_a_large_circuit_do_not_share_a_page_offset(tmp_path):
    """Brian2 allocates each state variable with new[]; glibc maps blocks of 128 KiB or more
    page-aligned, which put the ~25 arrays of the neuron update in one cache set (scale 4 ran
    3.4x slower per cell than scale 2). With depnet_heap_arrays.h called first, as in every cpp
    build, 25 arrays of 27,300 doubles (the circuit at scale 4) start at distinct page offsets."""
    source = tmp_path / "arrays.cpp"
    source.write_text(
        '#include <cstdio>\n#include "depnet_heap_arrays.h"\n'
        "int main() {\n"
        "    depnet_arrays_from_heap();\n"
        '    for (int k = 0; k < 25; ++k) std::printf("%lu\\n",\n'
        "        (unsigned long)(reinterpret_cast<size_t>(new double[27300]) % 4096));\n"
        "}\n"
    )
    binary = tmp_path / "arrays"
    subprocess.run(["g++", f"-I{devices.NATIVE}", str(source), "-o", str(binary)], check=True)
    offsets = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    assert len(set(offsets.split())) == 25
    with devices.activated("cpp", tmp_path / "build"):
        assert "depnet_arrays_from_heap();" in b2.get_device().code_lines["before_start"]
