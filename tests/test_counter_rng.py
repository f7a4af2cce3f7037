"""The background's counter-based uniform numbers (``depnet.circuits.counter_rng``): uniform and
independent across cells, steps and seeds; the same values on numpy and C++; and a loop calling
them vectorizes."""

from __future__ import annotations

import shutil
import subprocess

import brian2 as b2
import numpy as np
import pytest
from scipy import stats

from depnet import devices
from depnet.circuits.counter_rng import CPP_CODE, CUDA_CODE, counter_uniform, stream_key

FLAGS = ["-O3", "-ffast-math", "-fno-finite-math-only", "-march=native"]
needs_gcc = pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")

#: 2,000 cells x 500 steps: one million numbers, enough to see a bias of 0.1% in a moment.
CELLS, STEPS, KEY = 2_000, 500, stream_key(1, "neurons")


@pytest.fixture(scope="module")
def grid() -> np.ndarray:
    """Numbers of ``CELLS`` cells (columns) over ``STEPS`` consecutive steps (rows)."""
    return np.stack([counter_uniform(np.arange(CELLS), step, KEY) for step in range(STEPS)])


def test_values_are_uniform_on_the_unit_interval(grid):
    """Kolmogorov-Smirnov against U(0, 1) over one million values, and the first moments."""
    values = grid.ravel()
    assert values.min() >= 0 and values.max() < 1
    assert stats.kstest(values, "uniform").pvalue > 1e-3
    se = np.sqrt(1 / 12 / values.size)
    assert abs(values.mean() - 0.5) < 5 * se


@pytest.mark.parametrize("axis", [0, 1], ids=["successive steps", "neighbouring cells"])
def test_neighbours_are_uncorrelated(grid, axis):
    """Lag-1 correlation along steps (one cell over time) and along cells (one step), within
    5 standard errors of 0: what Poisson input needs (no cell sees a rhythm, no two cells share)."""
    a = np.moveaxis(grid, axis, 0)
    r = np.corrcoef(a[:-1].ravel(), a[1:].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(a[:-1].size)


def test_seeds_and_groups_give_unrelated_streams(grid):
    other = np.stack([counter_uniform(np.arange(CELLS), step, stream_key(2, "neurons"))
                      for step in range(50)])  # fmt: skip
    r = np.corrcoef(grid[:50].ravel(), other.ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(other.size)
    assert len({stream_key(seed, name) for seed in range(100) for name in ("a", "b")}) == 200


def test_a_poisson_count_by_inversion_is_poisson_over_time():
    """One cell over 200,000 steps at the cortical background's lambda 0.18 (the way
    BACKGROUND_CODE inverts it): each count's frequency within 5 binomial standard errors."""
    lam, steps = 0.18, 200_000
    u = counter_uniform(7, np.arange(steps), KEY)
    cdf = stats.poisson.cdf(np.arange(6), lam)
    counts = (u[:, None] > cdf[None, :]).sum(axis=1)
    k = np.arange(4)
    observed = np.bincount(counts, minlength=6)[:4] / steps
    expected = stats.poisson.pmf(k, lam)
    assert np.all(np.abs(observed - expected) <= 5 * np.sqrt(expected * (1 - expected) / steps))


CELLS_CHECKED = [0, 1, 6824, 2**31 - 2]
STEPS_CHECKED = [0, 1, 40_000, 2**40 + 3]
KEYS_CHECKED = [0, KEY, 2**31 - 1]


def _printing_program(code: str) -> str:
    calls = "".join(
        f'    std::printf("%.17g\\n", depnet_counter_uniform({i}LL, {s}LL, {k}LL));\n'
        for k in KEYS_CHECKED for s in STEPS_CHECKED for i in CELLS_CHECKED
    )  # fmt: skip
    return code + "#include <cstdio>\nint main()\n{\n" + calls + "}\n"


def _assert_numpy_values(printed: str) -> None:
    expected = [counter_uniform(np.array(CELLS_CHECKED), s, k)
                for k in KEYS_CHECKED for s in STEPS_CHECKED]  # fmt: skip
    np.testing.assert_array_equal(np.array(printed.split(), dtype=float), np.concatenate(expected))


@needs_gcc
def test_cpp_computes_the_numpy_values_bit_for_bit(tmp_path):
    source, binary = tmp_path / "u.cpp", tmp_path / "u"
    source.write_text(_printing_program(CPP_CODE))
    subprocess.run(["g++", *FLAGS, str(source), "-o", str(binary)], check=True)
    _assert_numpy_values(
        subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    )


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc")
def test_the_cuda_code_computes_the_numpy_values_bit_for_bit(tmp_path):
    """The CUDA implementation compiled by nvcc and called on the host (no GPU needed: the same
    ``__host__ __device__`` function the kernels inline), with brian2cuda's fast-math flag."""
    source, binary = tmp_path / "u.cu", tmp_path / "u"
    source.write_text(_printing_program(CUDA_CODE))
    subprocess.run(["nvcc", "-use_fast_math", "-std=c++17", str(source), "-o", str(binary)],
                   check=True)  # fmt: skip
    _assert_numpy_values(
        subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    )


@needs_gcc
def test_gcc_vectorizes_the_background_loop(tmp_path):
    source = tmp_path / "loop.cpp"
    source.write_text(
        CPP_CODE
        + """
void background(double* __restrict g, const double* __restrict c0, const double* __restrict c1,
                const int n, const long long step, const int key)
{
    for (int i = 0; i < n; i++) {
        const double u = depnet_counter_uniform(i, step, key);
        g[i] += 1e-9 * ((int)(u > c0[i]) + (int)(u > c1[i]));
    }
}
"""
    )
    report = subprocess.run(
        ["g++", *FLAGS, "-c", str(source), "-o", str(tmp_path / "loop.o"), "-fopt-info-vec"],
        check=True, capture_output=True, text=True,
    ).stderr  # fmt: skip
    assert "loop vectorized" in report


def test_brian2_runtime_and_cpp_see_the_same_numbers(tmp_path):
    """Through Brian2's code generation (its integer types for ``i`` and ``t_in_timesteps``):
    three steps of 50 cells recorded on runtime and on C++ standalone are identical, and equal
    to the numpy function called directly."""
    recorded = {}
    for target in ("runtime", "cpp"):
        build = tmp_path / "build"
        with devices.activated(target, build if target == "cpp" else None):
            group = b2.NeuronGroup(
                50, "u : 1\nkey : integer (constant, shared)",
                namespace={"counter_uniform": counter_uniform},
            )  # fmt: skip
            group.key = KEY
            group.run_regularly("u = counter_uniform(i, t_in_timesteps, key)", when="start")
            monitor = b2.StateMonitor(group, "u", record=True, when="end")
            net = b2.Network(group, monitor)
            devices.run_network(net, 3 * b2.defaultclock.dt, target, build)
            recorded[target] = np.asarray(monitor.u[:])
    np.testing.assert_array_equal(recorded["cpp"], recorded["runtime"])
    direct = np.stack([counter_uniform(np.arange(50), step, KEY) for step in range(3)], axis=1)
    np.testing.assert_array_equal(recorded["runtime"], direct)
