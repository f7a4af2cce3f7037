/* depnet: Brian2's state arrays from the heap rather than from page-aligned mappings.
 *
 * Brian2's C++ standalone allocates every state variable with new[]. glibc serves blocks of
 * 128 KiB or more (arrays of 16,384 doubles: the circuit's neurons beyond scale ~2.4) with
 * mmap, each at the same offset in its page. The vectorized neuron update streams ~25 such
 * arrays at the same index, so through the same L1 cache set (more streams than the cache has
 * ways) and with stores 4 KiB-aliased to the next loads: it ran 3.4x slower per cell at scale 4
 * than at scale 2 on a 2-core AMD EPYC (depnet benchmarks/scaling.py). From the heap, one array
 * follows the other and their offsets differ. 32 MiB is glibc's ceiling for the threshold.
 * Elsewhere (macOS, musl) nothing changes.
 */
#ifndef DEPNET_HEAP_ARRAYS_H
#define DEPNET_HEAP_ARRAYS_H

#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
static inline void depnet_arrays_from_heap(void) { mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024); }
#else
static inline void depnet_arrays_from_heap(void) {}
#endif

#endif
