/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gain reduction (dB) to linear gain, vectorised: see dsp/dbgain.h. */
#include <string.h>
#include "dsp/dbgain.h"
#include "dsp/simd.h"

/* 10^(-z / 20) = 2^k 2^r with x = -z log2(10) / 20 = k + r,
 * k the nearest integer (by the 1.5 * 2^52 rounding trick), |r| <= 1/2, 2^r by its
 * Taylor series in r ln 2 to the 13th power (truncation under 4e-18), 2^k from its
 * exponent bits, four values at a time. */
typedef double dbg_v4d __attribute__((vector_size(32)));
typedef long long dbg_v4i __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void exp10_neg_db4(const double *zp, double *out)
{
    dbg_v4d z;
    memcpy(&z, zp, sizeof z);
    const double log2_10_20 = 0.16609640474436811739;   /* log2(10) / 20 */
    const double ln2 = 0.69314718055994530942, magic = 6755399441055744.0; /* 1.5 * 2^52 */
    const dbg_v4d x = z * -log2_10_20;
    const dbg_v4d t = x + magic;
    const dbg_v4d k = t - magic;
    const dbg_v4d u = (x - k) * ln2;
    /* sum_{j <= 13} u^j / j!, Horner */
    static const double c[14] = { 1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                                  1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
                                  1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0 };
    dbg_v4d p = (dbg_v4d){ 0 } + c[13];
    for (int j = 12; j >= 0; j--)
        p = p * u + c[j];
    /* 2^k: t's low bits hold k (two's complement); the exponent field is k + 1023 */
    const dbg_v4i ki = (dbg_v4i)t - (dbg_v4i)((dbg_v4d){ 0 } + magic);
    const dbg_v4d two_k = (dbg_v4d)((ki + 1023) << 52);
    dbg_v4d r = p * two_k;
    const dbg_v4i on = z > 0.0;
    r = (dbg_v4d)(((dbg_v4i)r & on) | ((dbg_v4i)((dbg_v4d){ 0 } + 1.0) & ~on));
    memcpy(out, &r, sizeof r);
}

LATHE_HOT void lathe_gain_from_reduction(const double *restrict z, double *restrict g, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        exp10_neg_db4(z + i, g + i);
    if (i < n) {        /* the tail through the same code, padded with zeros */
        double zt[4] = { 0.0, 0.0, 0.0, 0.0 }, gt[4];
        memcpy(zt, z + i, sizeof(double) * (n - i));
        exp10_neg_db4(zt, gt);
        memcpy(g + i, gt, sizeof(double) * (n - i));
    }
}

