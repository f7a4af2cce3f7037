"""Counter-based uniform random numbers: one value per cell and time step, computed, not drawn.

Brian2's ``rand()`` draws from one serial Mersenne Twister stream (two draws per number on the
C++ target): each cell's number depends on the previous cell's, so the loop that uses it cannot
be vectorized, and every target (numpy, C++, CUDA) produces a different stream. The background
input needs one uniform number per cell and step (:data:`depnet.circuits.neuron.BACKGROUND_CODE`),
about half of the whole circuit's run time on cpp with ``rand()``.

``counter_uniform(i, step, key)`` is instead a hash of the cell index, the time step and a
per-group key: the SplitMix64 output function (Steele, Lea & Flood 2014, OOPSLA '14, "Fast
splittable pseudorandom number generators"; the finalizer of Stafford's "Mix13") applied twice,
first to the step and key (one stream start per step), then to that start plus the cell index
times the golden-ratio increment (SplitMix64's own sequence within a step). Its 52 high bits make
the mantissa of a double in [1, 2), minus 1: uniform on [0, 1) with spacing 2**-52. Everything is
integer multiplies, shifts and xors on 64 bits, which gcc vectorizes, and the same arithmetic runs
on numpy, C++ and CUDA, so all targets see the same background input for the same seed.

It is stateless: the same ``(i, step, key)`` always gives the same number, so a group that draws
twice in a step must use two keys.
"""

from __future__ import annotations

import zlib

import brian2 as b2
import numpy as np

#: SplitMix64's increment (2**64 / golden ratio) and Stafford's Mix13 multipliers.
GOLDEN = 0x9E3779B97F4A7C15
MIX_1 = 0xBF58476D1CE4E5B9
MIX_2 = 0x94D049BB133111EB
#: Bits of a double's exponent for [1, 2).
ONE_BITS = 0x3FF0000000000000

#: The C++ and CUDA implementation; ``{qualifier}`` is empty for C++ and ``__host__ __device__``
#: for CUDA (the same arithmetic, so both give the numpy values).
_C_CODE = f"""
#include <string.h>
typedef unsigned long long depnet_u64;
{{qualifier}} static inline depnet_u64 depnet_mix64(depnet_u64 z)
{{{{
    z = (z ^ (z >> 30)) * {MIX_1:#x}ULL;
    z = (z ^ (z >> 27)) * {MIX_2:#x}ULL;
    return z ^ (z >> 31);
}}}}
{{qualifier}} static inline double depnet_u64_to_unit(const depnet_u64 z)
{{{{
    const depnet_u64 bits = (z >> 12) | {ONE_BITS:#x}ULL;
    double one_to_two;
    memcpy(&one_to_two, &bits, sizeof(double));
    return one_to_two - 1.0;
}}}}
{{qualifier}} static inline double depnet_counter_uniform(const long long i, const long long step,
                                                          const long long key)
{{{{
    return depnet_u64_to_unit(depnet_mix64(
        depnet_mix64((depnet_u64)step * {GOLDEN:#x}ULL + (depnet_u64)(unsigned int)key)
        + (depnet_u64)(i + 1) * {GOLDEN:#x}ULL));
}}}}
"""
CPP_CODE = _C_CODE.format(qualifier="")
CUDA_CODE = _C_CODE.format(qualifier="__host__ __device__")


def _mix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX_1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX_2)
    return z ^ (z >> np.uint64(31))


@b2.implementation("cpp", CPP_CODE, name="depnet_counter_uniform")
@b2.implementation("cuda", CUDA_CODE, name="depnet_counter_uniform")
@b2.check_units(i=1, step=1, key=1, result=1)
def counter_uniform(i, step, key):
    """Uniform number in [0, 1) for cell ``i`` at time step ``step`` of the stream ``key``.

    The numpy implementation (runtime target) of the function the module docstring describes;
    C++ and CUDA compute the same values.
    """
    # Arrays, not numpy scalars: array arithmetic wraps modulo 2**64 silently, as C does.
    i = np.atleast_1d(np.asarray(i, dtype=np.int64)).astype(np.uint64)
    step = np.atleast_1d(np.asarray(step, dtype=np.int64)).astype(np.uint64)
    key = np.atleast_1d(np.asarray(key, dtype=np.int64)).astype(np.uint32).astype(np.uint64)
    start = _mix64(step * np.uint64(GOLDEN) + key)
    z = _mix64(start + (i + np.uint64(1)) * np.uint64(GOLDEN))
    bits = (z >> np.uint64(12)) | np.uint64(ONE_BITS)
    return bits.view(np.float64) - 1.0


counter_uniform.arg_types = ["integer", "integer", "integer"]
counter_uniform.return_type = "float"


def stream_key(seed: int, stream: str) -> int:
    """The key of a named stream (a group's background) for a scenario's seed: 31 bits.

    Distinct groups and seeds get unrelated streams; the same seed and name always the same one.
    """
    return zlib.crc32(f"{seed}:{stream}".encode()) & 0x7FFFFFFF
