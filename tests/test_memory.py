"""The memory estimate (depnet.memory) and the refusal of scenarios that cannot fit.

The estimate counts synapses from the spec alone; these tests hold it to the network the circuit
builder makes (runtime device: no compiler) and to the static arrays of its C++ network data.
benchmarks/memory_estimate.py checks the bytes against compiled C++ builds.
"""

from __future__ import annotations

import os

import brian2 as b2
import numpy as np
import pytest
from brian2.core.variables import ArrayVariable

from depnet import devices, memory
from depnet.circuits import hippocampus
from depnet.circuits.build import SHARED_GROUP
from depnet.circuits.projections import PROJECTIONS
from depnet.errors import ScenarioError
from depnet.memory import I32, KINDS, estimate, parse_size, refusal, synapse_objects
from depnet.run import build_network, check_memory, network_data, run_scenario
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario
from tests.conftest import depnet_cli

#: Small enough to build in a second, large enough for every pool (pool_factor x in-degree).
SMALL = 0.25


def _spec(name: str, scale: float = SMALL, **settings):
    return load_scenario(scenario_path(name), {"scenario.scale": scale, **settings})


@pytest.fixture(autouse=True)
def _no_limits(monkeypatch):
    """Tests set the limits they need; none leaks in from the environment."""
    monkeypatch.delenv(memory.HOST_LIMIT_VARIABLE, raising=False)
    monkeypatch.delenv(memory.GPU_LIMIT_VARIABLE, raising=False)


@pytest.mark.parametrize("name, scale", [("healthy", 1.0), ("healthy_plastic", SMALL)])
def test_synapse_objects_are_those_the_circuit_builds(name, scale):
    """Every Synapses object, its size and its groups, as build_network makes them."""
    spec = _spec(name, scale)
    with devices.activated("runtime"):
        circuit, _, net = build_network(spec)
        built = {
            s.name: (len(s), s.source.name, s.target.name, len(s.source), len(s.target))
            for s in net.objects if isinstance(s, b2.Synapses)
        }  # fmt: skip
        sizes = spec.population_sizes()
        values = spec.parameter_values()
        for projection, (_, first, last) in circuit.spans.items():  # the static ones
            proj = PROJECTIONS[projection]
            k = int(round(float(values[f"projections.{projection}.in_degree"])))
            sources = sizes[proj.source] - (proj.source == proj.target)  # no autapses
            # population x in-degree, capped at the sources there are (small populations)
            assert last - first == sizes[proj.target] * min(k, sources), projection
        # the per-cell arrays of the shared neuron model and of a structural target's group,
        # with the weight sums of the plastic projections onto the group
        objects = synapse_objects(spec)
        for group in circuit.groups.values():
            per_cell = memory.NEURON_STATE + (
                memory.STRUCTURAL_CELL if group.name != SHARED_GROUP else 0
            )
            per_cell += 8 * sum(KINDS[o.kind].sums for o in objects if o.target == group.name)
            arrays = {
                id(v): v
                for v in group.variables.values()
                if isinstance(v, ArrayVariable) and v.owner.name == group.name and v.size > 1
            }
            held = sum(v.size * np.dtype(v.dtype).itemsize for v in arrays.values())
            if group.name != hippocampus.SEPTUM:
                assert held == per_cell * len(group) + I32, group.name  # + _spikespace's count
    counted = {
        o.name: (o.synapses, o.source, o.target, o.source_cells, o.target_cells)
        for o in synapse_objects(spec)
    }
    assert counted == built


def test_healthy_plastic_counts_every_kind():
    spec = _spec("healthy_plastic", 1.0)
    kinds = {o.name: o.kind for o in synapse_objects(spec)}
    assert kinds["dlpfc_exc_to_dlpfc_exc"] == "structural_stdp"
    assert kinds["ca3_exc_to_ca1_exc"] == "structural"
    assert kinds["sgacc_exc_to_sgacc_inh"] == "triplet"
    assert kinds["sgacc_exc_to_drn_5ht"] == "stdp"
    e = estimate(spec)
    assert {"static_glutamate", "static_gaba", "stdp", "triplet", "structural",
            "structural_stdp"} <= set(e.synapses)  # fmt: skip
    sizes = spec.population_sizes()
    # a pool holds pool_factor (2) x in-degree (80) potential synapses per cell
    assert e.synapses["structural"] == sizes["ca1_exc"] * 160
    assert e.synapses["structural_stdp"] == sizes["dlpfc_exc"] * 160
    assert e.synapses["triplet"] == sizes["sgacc_inh"] * 80
    assert e.synapses["stdp"] == sizes["drn_5ht"] * 20
    # plastic projections are recorded as weight sums per target cell, not per synapse: their
    # recording is far below their synapses' state
    sums = sum(KINDS[kind].sums * sizes[target] for kind, target in (
        ("structural", "ca1_exc"), ("structural_stdp", "dlpfc_exc"), ("triplet", "sgacc_inh"),
        ("stdp", "drn_5ht"),
    ))  # fmt: skip
    samples = round(e.segment_s / float(spec.record.synapse_dt / b2.second))
    pools, stdp = sizes["ca1_exc"] + sizes["dlpfc_exc"], sizes["sgacc_inh"] + sizes["drn_5ht"]
    assert sums == 3 * pools + 2 * stdp  # weight, squared weight (and present) per cell
    assert e.recording_bytes < e.state_bytes
    assert e.recording_bytes > 8 * sums * samples


def test_the_estimate_grows_linearly_with_scale():
    """Synapse counts double with the scale, exactly; bytes grow by equal steps (affine)."""
    e1, e2, e4 = (estimate(_spec("healthy_plastic", s)) for s in (1.0, 2.0, 4.0))
    for kind, n in e1.synapses.items():
        assert e2.synapses[kind] == 2 * n and e4.synapses[kind] == 4 * n, kind
    assert e2.neurons == 2 * e1.neurons
    for field in ("state_bytes", "static_bytes", "queue_bytes", "recording_bytes",
                  "build_bytes", "host_bytes", "device_bytes"):  # fmt: skip
        a, b, c = (getattr(e, field) for e in (e1, e2, e4))
        # host and device memory hold the spike monitors at their grown capacity (a power of
        # two of spikes), which steps with the scale: affine only to within a few percent
        grown = field in ("host_bytes", "device_bytes")
        assert c - b == pytest.approx(2 * (b - a), rel=0.05 if grown else 1e-3), field
        assert b > a, field


def test_static_arrays_match_the_network_data(tmp_path):
    """The static arrays a C++ build loads (network data, no compiler) are those estimated."""
    spec = _spec("healthy_plastic")
    data = network_data(spec, "cpp", tmp_path)
    written = sum(f.stat().st_size for f in data.arrays_folder.iterdir())
    assert estimate(spec).static_bytes == pytest.approx(written, rel=0.01)


def test_kinds_table_adds_up():
    for kind in KINDS.values():
        assert kind.host == kind.state + kind.static + kind.queue
        assert kind.device >= kind.state
    # triplet STDP keeps two traces more than pair STDP; a pool adds presence
    assert KINDS["triplet"].state - KINDS["stdp"].state == 16
    assert KINDS["structural_stdp"].state - KINDS["stdp"].state == 8


def test_refusal_names_scenario_estimate_and_limit():
    e = estimate(_spec("healthy", 150.0))
    assert refusal(e, memory.Limit(1e15, "this machine has")) is None
    line = refusal(e, memory.Limit(2**30, "this machine has"))
    assert line.startswith("healthy: needs ~") and "of host memory" in line
    assert "synapses), this machine has 1.0 GiB; lower scenario.scale" in line
    assert "\n" not in line
    gpu = refusal(e, None, memory.Limit(2**30, "the GPU here has"))
    assert "of GPU memory" in gpu and "the GPU here has 1.0 GiB" in gpu


def test_limits_come_from_the_environment(monkeypatch):
    assert parse_size("23GiB") == parse_size("23G") == 23 * 2**30
    assert parse_size("25GB") == 25e9 and parse_size("1e9") == 1e9
    assert parse_size("512 MiB") == 2**29
    with pytest.raises(ValueError):
        parse_size("lots")
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "2GiB")
    assert memory.host_limit() == memory.Limit(2 * 2**30, "DEPNET_MEMORY_LIMIT is")
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "off")
    assert memory.host_limit() is None
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "lots")
    with pytest.raises(ScenarioError, match="DEPNET_MEMORY_LIMIT"):
        memory.host_limit()
    monkeypatch.delenv(memory.HOST_LIMIT_VARIABLE)
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < memory.host_limit().bytes <= physical
    assert memory.gpu_limit(lambda: None) is None  # no GPU here: no GPU check
    assert memory.gpu_limit(lambda: 80e9) == memory.Limit(80e9, "the GPU here has")
    monkeypatch.setenv(memory.GPU_LIMIT_VARIABLE, "141GB")
    assert memory.gpu_limit(lambda: None).bytes == 141e9


def test_cuda_checks_the_gpu_where_one_answers(monkeypatch):
    spec = _spec("healthy", 150.0)
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "off")
    monkeypatch.setattr(devices, "gpu_memory", lambda: None)
    check_memory(spec, "cuda")  # compile-only on a CPU machine: the host check alone
    monkeypatch.setattr(devices, "gpu_memory", lambda: 2**30)
    with pytest.raises(ScenarioError, match="needs ~.* of GPU memory .* the GPU here has 1.0 GiB"):
        check_memory(spec, "cuda")
    check_memory(spec, "cpp")  # cpp never asks the GPU


def test_engine_refuses_before_building(monkeypatch, tmp_path):
    """run_scenario and network_data (what sweep tasks and plans call) refuse alike."""
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "64MiB")
    monkeypatch.chdir(tmp_path)
    spec = _spec("healthy", 150.0)
    with pytest.raises(ScenarioError, match="healthy: needs ~"):
        run_scenario(spec, device="cpp", root=tmp_path / "build", progress=False)
    with pytest.raises(ScenarioError, match="DEPNET_MEMORY_LIMIT is 64 MiB"):
        network_data(spec, "cpp", tmp_path / "build")
    assert list(tmp_path.iterdir()) == []


def test_depnet_run_refuses_a_scenario_too_large_in_one_line(monkeypatch, tmp_path):
    """`depnet run` at ~10^6 cells with a small limit: exit status 2, one line, nothing made."""
    monkeypatch.setenv(memory.HOST_LIMIT_VARIABLE, "1GiB")
    monkeypatch.setenv("DEPNET_BUILD_ROOT", str(tmp_path / "build"))
    out = depnet_cli(
        "run", str(scenario_path("healthy")), "--set", "scenario.scale=150", cwd=tmp_path,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("depnet: error: healthy: needs ~")
    assert "GiB of host memory" in lines[0] and "DEPNET_MEMORY_LIMIT is 1.0 GiB" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no build folder, no store, no runs/
