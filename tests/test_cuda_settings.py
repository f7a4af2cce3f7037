"""CUDA build settings and the build cache's structure key: fast, no GPU, no compilation.

The choices (compute capability, C++ dialect, heap, parallel make) are pure functions of what
nvcc and nvidia-smi report; the detectors themselves are replaced by fakes here, so these tests
check what a CUDA 12 or 13 machine with or without a GPU would get.
"""

from __future__ import annotations

import os
from pathlib import Path

import brian2 as b2
import pytest

from depnet import devices, run
from depnet.errors import DeviceError
from depnet.run import Options, build_folder, network_data
from depnet.spec import Scenario, load_scenario

NVCC_13 = """nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Built on Wed_Aug_20_01:58:59_PM_PDT_2025
Cuda compilation tools, release 13.0, V13.0.88
Build cuda_13.0.r13.0/compiler.36424714_0
"""
NVCC_12 = NVCC_13.replace("release 13.0, V13.0.88", "release 12.4, V12.4.131")
#: What ``nvcc --list-gpu-code`` prints for CUDA 13.0 (Volta, 7.0 and 7.2, is gone) and 12.4.
CODES_13 = {f"sm_{c}" for c in (75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121)}
CODES_12 = {f"sm_{c}" for c in (50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90)}


def test_nvcc_version_is_read_from_its_release_line():
    assert devices.parse_nvcc_version(NVCC_13) == (13, 0)
    assert devices.parse_nvcc_version(NVCC_12) == (12, 4)
    with pytest.raises(DeviceError, match="nvcc --version"):
        devices.parse_nvcc_version("command not found")


def test_compute_capabilities_are_read_one_per_gpu():
    assert devices.parse_compute_capabilities("9.0\n9.0\n") == [9.0, 9.0]
    assert devices.parse_compute_capabilities("8.0\n[N/A]\n\n") == [8.0]
    assert devices.parse_compute_capabilities("") == []


def test_a_requested_compute_capability_comes_before_the_gpu_here_and_the_default():
    """A sweep builds on a CPU node for its GPU nodes and finds its build there by the value
    it asked for: the request wins over whatever GPU answers where the build runs."""
    assert devices.resolve_compute_capability([9.0], 8.0) == (8.0, "requested")
    assert devices.resolve_compute_capability([9.0], None) == (9.0, "detected")
    # mixed GPUs: the lowest, whose PTX the newer ones run
    assert devices.resolve_compute_capability([9.0, 8.0], None) == (8.0, "detected")
    assert devices.resolve_compute_capability([], 8.6) == (8.6, "requested")
    assert devices.resolve_compute_capability([], None) == (
        devices.DEFAULT_COMPUTE_CAPABILITY,
        "default",
    )


@pytest.mark.parametrize("cc", [7.0, 7.5, 8.0, 8.6, 8.9, 9.0])
def test_volta_to_hopper_are_accepted(cc):
    assert devices.check_compute_capability(cc, CODES_12) == cc
    assert devices.cuda_build_flags(12, cc).compute_capability == cc


@pytest.mark.parametrize(("cc", "code"), [(10.0, "sm_100"), (10.3, "sm_103"), (12.0, "sm_120")])
def test_blackwell_is_built_for_where_nvcc_lists_it(cc, code):
    """B200/GB200 (10.0), B300 (10.3), RTX PRO 6000 / RTX 50 (12.0): CUDA 13 builds them, CUDA
    12.4 does not (a one-line error naming what it builds for)."""
    assert devices.sm_code(cc) == code
    assert devices.check_compute_capability(cc, CODES_13) == cc
    assert devices.cuda_build_flags(13, cc).compute_capability == cc
    with pytest.raises(DeviceError, match=rf"cannot build .*{code}.*sm_90") as err:
        devices.check_compute_capability(cc, CODES_12)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("cc", [5.2, 6.1])
def test_compute_capabilities_below_volta_are_one_line_errors(cc):
    with pytest.raises(DeviceError, match=r"7\.0 \(Volta\) and newer") as err:
        devices.check_compute_capability(cc)
    assert "\n" not in str(err.value)


def test_a_compute_capability_that_nvcc_cannot_build_is_a_one_line_error():
    # CUDA 13 dropped Volta: 7.0 is in depnet's range but not in nvcc's
    with pytest.raises(DeviceError, match=r"installed nvcc cannot build .* 7\.0 .*sm_70") as err:
        devices.check_compute_capability(7.0, CODES_13)
    assert "\n" not in str(err.value)
    assert devices.check_compute_capability(7.5, CODES_13) == 7.5


def test_cuda_12_and_13_compile_as_cpp17_and_other_versions_are_refused():
    for major in (12, 13):
        flags = devices.cuda_build_flags(major, 9.0)
        # nvcc takes the last -std, after the makefile's own -std=c++11
        assert [a for a in flags.nvcc if a.startswith("-std=")][-1] == "-std=c++17"
        assert "-std=c++17" in flags.host
        assert not any(a.startswith("-march") for a in flags.host)  # binaries travel
    with pytest.raises(DeviceError, match="CUDA 11 found; depnet builds with CUDA 12 or 13"):
        devices.cuda_build_flags(11, 9.0)


def test_the_gpu_heap_is_large_and_fits_brian2cudas_int_arithmetic():
    heap = devices.cuda_build_flags(13, 9.0).heap_mb
    assert heap >= 1024  # brian2cuda's default of 128 MB is exceeded by large networks
    assert heap * 1024 * 1024 < 2**31  # main.cu computes the limit in int


def test_make_runs_one_job_per_usable_cpu():
    assert 1 <= devices.make_jobs() <= (os.cpu_count() or 1)


@pytest.fixture
def fake_cuda(monkeypatch):
    """Replace the nvcc and GPU detectors: set ``version``, ``codes`` and ``gpus``."""
    machine = {"version": (13, 0), "codes": CODES_13, "gpus": []}
    monkeypatch.setattr(devices, "detect_nvcc", lambda: (machine["version"], machine["codes"]))
    monkeypatch.setattr(devices, "detect_compute_capabilities", lambda: list(machine["gpus"]))
    return machine


def _cuda_prefs(build_dir: Path, compute_capability: float | None = None) -> dict:
    with devices.activated("cuda", build_dir, compute_capability=compute_capability):
        cuda = b2.prefs.devices.cuda_standalone.cuda_backend
        return {
            "detect_gpus": cuda.detect_gpus,
            "cc": cuda.compute_capability,
            "heap": cuda.gpu_heap_size,
            "nvcc": list(cuda.extra_compile_args_nvcc),
            "make": list(b2.prefs.devices.cpp_standalone.extra_make_args_unix),
        }


def test_brian2cuda_gets_the_settings_without_a_gpu(fake_cuda, tmp_path):
    prefs = _cuda_prefs(tmp_path / "cuda", 8.0)
    assert prefs["detect_gpus"] is False and prefs["cc"] == 8.0
    assert prefs["heap"] == devices.GPU_HEAP_MB
    assert prefs["nvcc"][-1] == "-std=c++17"
    assert prefs["make"] == [f"-j{devices.make_jobs()}"]
    assert _cuda_prefs(tmp_path / "cuda")["cc"] == devices.DEFAULT_COMPUTE_CAPABILITY
    assert b2.get_device().__class__.__name__ == "RuntimeDevice"  # left as it was


def test_a_gpu_that_answers_sets_the_compute_capability_unless_one_is_requested(
    fake_cuda, tmp_path, capsys
):
    fake_cuda["gpus"] = [8.0]
    assert _cuda_prefs(tmp_path / "cuda")["cc"] == 8.0
    assert _cuda_prefs(tmp_path / "cuda", 9.0)["cc"] == 9.0  # requested: for other nodes
    assert "the GPU here (8.0) cannot run that binary" in capsys.readouterr().err
    fake_cuda["gpus"] = [12.0]  # a Blackwell card, which CUDA 13's nvcc builds for
    assert _cuda_prefs(tmp_path / "cuda")["cc"] == 12.0
    fake_cuda["version"], fake_cuda["codes"] = (12, 4), CODES_12  # CUDA 12.4's does not
    with pytest.raises(DeviceError, match=r"cannot build for compute capability 12\.0"):
        _cuda_prefs(tmp_path / "cuda")


def test_objects_built_for_another_architecture_are_dropped(fake_cuda, tmp_path):
    build = tmp_path / "cuda"
    _cuda_prefs(build, 9.0)
    objects = [build / "objects.o", build / "code_objects" / "kernel.o", build / "main"]
    for path in objects:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    _cuda_prefs(build, 9.0)  # same settings: make decides
    assert all(p.exists() for p in objects)
    _cuda_prefs(build, 8.0)  # make would link sm_90 objects into an sm_80 binary
    assert not any(p.exists() for p in objects)


def test_the_curand_run_path_has_the_name_the_binary_asks_for(fake_cuda, tmp_path):
    """The binary links ``-lcurand`` (``libcurand.so``) and then needs the library's soname
    (``libcurand.so.10``) from its run path: both are in the folder that depnet links."""
    _cuda_prefs(tmp_path / "cuda")
    shim = tmp_path / "curand-lib"
    names = {p.name for p in shim.iterdir()}
    assert "libcurand.so" in names
    assert any(n.startswith("libcurand.so.") for n in names)
    assert all((shim / n).resolve().is_file() for n in names)


SCENARIO = """
[scenario]
name = "{name}"
description = "{name}"
duration = "{duration}"
seed = {seed}
scale = {scale}
regions = ["drn", "sgacc"]

[record]
trace_neurons = {trace_neurons}

[parameters]
"serotonin.ssri_occupancy" = {occupancy}
"""


def _scenario(tmp_path: Path, **fields) -> Scenario:
    values = {"name": "healthy", "duration": "2 s", "seed": 1, "scale": 1.0}
    values |= {"trace_neurons": 5, "occupancy": 0.0} | fields
    path = tmp_path / f"{values['name']}-{len(list(tmp_path.iterdir()))}.toml"
    path.write_text(SCENARIO.format(**values))
    return load_scenario(path)


def _build(spec: Scenario, target: str) -> Path:
    return build_folder(network_data(spec, target), Options(target))


def test_scenarios_that_differ_in_run_time_values_share_a_build_folder(tmp_path):
    """Parameters, seed, duration and name reach the binary as data: one build."""
    healthy = _scenario(tmp_path)
    ssri = _scenario(tmp_path, name="ssri", occupancy=0.8, seed=7, duration="10 s")
    assert network_data(healthy, "cuda").fingerprint == network_data(ssri, "cuda").fingerprint
    assert _build(healthy, "cuda") == _build(ssri, "cuda")
    assert _build(healthy, "cuda").name.startswith("cuda-")
    assert _build(healthy, "cpp") != _build(healthy, "cuda")


def test_scale_and_recording_change_the_build_folder(tmp_path):
    healthy = _scenario(tmp_path)
    assert _build(_scenario(tmp_path, scale=2.0), "cpp") != _build(healthy, "cpp")
    # monitors are part of the network
    assert _build(_scenario(tmp_path, trace_neurons=10), "cpp") != _build(healthy, "cpp")


def test_a_build_serves_machines_with_other_numpy_xarray_zarr_and_python(tmp_path, monkeypatch):
    """A GPU node's image has its own numpy, xarray, zarr and Python, and depnet there is a copy
    on PYTHONPATH without installed metadata; a build carried there from this machine
    (benchmarks/gpu_prebuild.py) must be found. brian2, brian2cuda and depnet generate the code:
    another version of any is another build."""
    data = network_data(_scenario(tmp_path), "cuda")
    here = build_folder(data, Options("cuda"))
    real = run._version
    other = {"numpy": "1.26.4", "xarray": "2024.1.0", "zarr": "2.18.0"}
    monkeypatch.setattr(run, "_version", lambda p: other.get(p) or real(p))
    monkeypatch.setattr(run.platform, "python_version", lambda: "3.12.9")
    assert build_folder(data, Options("cuda")) == here
    # depnet copied onto PYTHONPATH, not installed: no package metadata (gpu_check.sh's node)
    monkeypatch.setattr(run, "_version", lambda p: "not installed" if p == "depnet" else real(p))
    assert build_folder(data, Options("cuda")) == here
    monkeypatch.setattr(run, "_version", lambda p: "2.9.0" if p == "brian2" else real(p))
    assert build_folder(data, Options("cuda")) != here


def test_the_code_that_writes_a_project_is_part_of_its_build_key(tmp_path, monkeypatch):
    """generate_project edits what brian2cuda renders (the pair search) before the project is
    written: a change there must not reuse builds made by the code before it."""
    data = network_data(_scenario(tmp_path), "cuda")
    here = build_folder(data, Options("cuda"))
    real = run.inspect.getsource

    def edited(obj):
        return real(obj) + "# changed" if obj is run.generate_project else real(obj)

    monkeypatch.setattr(run.inspect, "getsource", edited)
    assert build_folder(data, Options("cuda")) != here
