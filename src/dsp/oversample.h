/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Polyphase up/down sampling by 2, 4, 8 or 16 for nonlinear processing (saturation):
 * one linear-phase Kaiser-windowed-sinc low-pass at the high rate serves both
 * directions, designed so the round trip up -> down is an integer delay of
 * LATHE_OS_DELAY base-rate frames for every factor. */
#ifndef LATHE_DSP_OVERSAMPLE_H
#define LATHE_DSP_OVERSAMPLE_H

#include <stddef.h>
#include "lathe/status.h"

/* Round-trip delay in base-rate frames (up then down), the same for every factor:
 * each filter delays by LATHE_OS_DELAY / 2 frames. Even, so the filter is a Nyquist
 * (L-th band) filter whose phase 0 passes the input samples through exactly. */
#define LATHE_OS_DELAY 80

/* The low-pass: passband 0 .. LATHE_OS_PASS * base rate (20.0 kHz at 44.1 kHz),
 * stopband from (1 - LATHE_OS_PASS) * base rate up (24.1 kHz at 44.1 kHz),
 * cutoff (-6 dB) at the base-rate Nyquist frequency. */
#define LATHE_OS_PASS 0.4535

typedef struct lathe_os {
    int factor;            /* L: 2, 4, 8 or 16 */
    int taps;              /* K = LATHE_OS_DELAY + 1 coefficients per polyphase branch */
    size_t max_block;      /* largest base-rate block */
    float *up_c;           /* L x K: up_c[p*K + k] = L h[kL + p] */
    float *dn_c;           /* L x K: dn_c[q*K + k] = h[kL - q] (0 outside the filter) */
    float *up_buf;         /* base-rate input: K - 1 samples of history + max_block */
    float *dn_buf;         /* L de-interleaved high-rate streams, each K - 1 + max_block */
    float *acc;            /* max_block accumulators */
    int run_lo[32], run_n[32];  /* non-zero taps of each branch: up 0..L-1, down L..2L-1 */
} lathe_os;

/* [control] Designs the filter (in double, stored as float) and allocates every
 * buffer for blocks up to MAX_BLOCK base-rate frames. FACTOR: 2, 4 or 8. */
lathe_status lathe_os_init(lathe_os *os, int factor, size_t max_block);

/* [control] Frees what init allocated (NULL-safe, idempotent). */
void lathe_os_free(lathe_os *os);

/* [audio] Clears both filters' history. */
void lathe_os_reset(lathe_os *os);

/* [any] Round-trip latency in base-rate frames (LATHE_OS_DELAY). */
size_t lathe_os_latency(const lathe_os *os);

/* [audio] N <= max_block base-rate samples IN -> N * factor high-rate samples OUT
 * (separate arrays). The output at high-rate index m represents the input at base
 * time (m / factor) - LATHE_OS_DELAY / 2. */
void lathe_os_up(lathe_os *os, const float *in, size_t n, float *out);

/* [audio] N * factor high-rate samples IN -> N base-rate samples OUT (separate
 * arrays), low-passed before decimation; delays by a further LATHE_OS_DELAY / 2. */
void lathe_os_down(lathe_os *os, const float *in, size_t n, float *out);

#endif
