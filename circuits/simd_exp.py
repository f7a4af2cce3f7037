"""``exp`` for per-cell state updates, written so that the C++ compiler vectorizes it.

Brian2 compiles C++ with ``-ffast-math -fno-finite-math-only`` (so that ``inf`` keeps working),
and with ``-fno-finite-math-only`` gcc does not call glibc's vector ``exp``: one ``exp()`` in
the neuron update (the Mg2+ block) keeps the whole loop scalar. ``simd_exp`` is the same
function computed without a library call, as a degree-13 Taylor polynomial of ``x / 8`` raised
to the 8th power (three squarings): relative error below 1e-11 for ``|x| <= 6.2`` (the Mg2+
block's argument for membrane potentials within +-100 mV) and below 1e-7 for ``|x| <= 12``.
The runtime target uses ``numpy.exp`` and brian2cuda the CUDA ``exp``.
"""

from __future__ import annotations

from math import factorial

import brian2 as b2
import numpy as np

#: Degree of the Taylor polynomial of exp(x / 8), and the squarings that undo the / 8.
DEGREE = 13
SQUARINGS = 3

_HORNER = "\n".join(f"    p = p * y + {1 / factorial(k)!r};" for k in range(DEGREE - 1, -1, -1))

_SQUARE = "    p = p * p;\n" * SQUARINGS

CPP_CODE = f"""
static inline double depnet_simd_exp(const double x)
{{
    const double y = x * {2.0**-SQUARINGS!r};
    double p = {1 / factorial(DEGREE)!r};
{_HORNER}
{_SQUARE}    return p;
}}
"""

CUDA_CODE = """
__host__ __device__ static inline double depnet_simd_exp(const double x)
{
    return exp(x);
}
"""


@b2.implementation("cpp", CPP_CODE, name="depnet_simd_exp")
@b2.implementation("cuda", CUDA_CODE, name="depnet_simd_exp")
@b2.check_units(x=1, result=1)
def simd_exp(x):
    """exp(x) (numpy on the runtime target; see the module docstring for the C++ version)."""
    return np.exp(x)
