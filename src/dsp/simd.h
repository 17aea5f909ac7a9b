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


/* LATHE_VSHUF2(A, B, IDX): lanes of A (indices 0..N-1) and B (N..2N-1) picked by the
 * index vector IDX, which need not be constant: GCC's __builtin_shuffle; clang (the fuzz
 * build) has no such builtin, so there lane by lane. */
#if defined(__clang__)
#define LATHE_VSHUF2(a, b, idx)                                                          \
    ({                                                                                   \
        __typeof__(a) va_ = (a), vb_ = (b), vr_;                                         \
        __typeof__(idx) vi_ = (idx);                                                     \
        const int vn_ = (int)(sizeof vr_ / sizeof vr_[0]);                               \
        for (int k_ = 0; k_ < vn_; k_++)                                                 \
            vr_[k_] = vi_[k_] < vn_ ? va_[vi_[k_]] : vb_[vi_[k_] - vn_];                 \
        vr_;                                                                             \
    })
#else
#define LATHE_VSHUF2(a, b, idx) __builtin_shuffle((a), (b), (idx))
#endif

#endif
