/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LATHE_HOT: compile a hot function twice, for AVX2 and for the baseline ISA, and
 * pick one at load time (GCC function multiversioning, glibc ifunc). The build is
 * strict C11, so no FMA contraction happens in either: both clones compute the same
 * results bit for bit, only wider vectors. tests/dsp/test_clones.c checks this. */
#ifndef LATHE_DSP_SIMD_H
#define LATHE_DSP_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define LATHE_HOT __attribute__((target_clones("avx2", "default")))
#else
#define LATHE_HOT
#endif

#endif
