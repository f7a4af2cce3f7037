"""The C++ ``exp`` of the neuron update (``depnet.circuits.simd_exp``) equals ``exp`` where the
Mg2+ block needs it, and gcc vectorizes a loop that calls it."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from depnet.circuits.simd_exp import CPP_CODE

#: Brian2's C++ flags on x86-64 (brian2.codegen.cpp_prefs): with -fno-finite-math-only gcc does
#: not use glibc's vector exp, which is why the polynomial exists.
FLAGS = ["-O3", "-ffast-math", "-fno-finite-math-only", "-march=native"]

PROGRAM = (
    CPP_CODE
    + """
#include <cstdio>
#include <cstdlib>
int main(int argc, char** argv)
{
    for (int k = 1; k < argc; k++)
        std::printf("%.17g\\n", depnet_simd_exp(std::atof(argv[k])));
    return 0;
}
"""
)

LOOP = (
    CPP_CODE
    + """
void mg_block(double* __restrict out, const double* __restrict v, const int n)
{
    for (int i = 0; i < n; i++)
        out[i] = 1.0 / (1.0 + 0.28 * depnet_simd_exp(-0.062 * v[i]));
}
"""
)

needs_gcc = pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")


@needs_gcc
def test_the_polynomial_exp_matches_exp_over_the_membrane_range(tmp_path):
    """Relative error < 1e-11 for the Mg2+ block's argument -0.062 v/mV with |v| <= 100 mV."""
    source, binary = tmp_path / "exp.cpp", tmp_path / "exp"
    source.write_text(PROGRAM)
    subprocess.run(["g++", *FLAGS, str(source), "-o", str(binary)], check=True)
    x = np.linspace(-6.2, 6.2, 201)
    out = subprocess.run(
        [str(binary), *map(repr, x.tolist())], check=True, capture_output=True, text=True
    ).stdout
    values = np.array(out.split(), dtype=float)
    np.testing.assert_allclose(values, np.exp(x), rtol=1e-11)


@needs_gcc
def test_gcc_vectorizes_a_loop_calling_it(tmp_path):
    source = tmp_path / "loop.cpp"
    source.write_text(LOOP)
    report = subprocess.run(
        ["g++", *FLAGS, "-c", str(source), "-o", str(tmp_path / "loop.o"), "-fopt-info-vec"],
        check=True, capture_output=True, text=True,
    ).stderr  # fmt: skip
    assert "loop vectorized" in report
