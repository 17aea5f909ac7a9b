/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reductions written with a fixed number of independent lanes, so the compiler
 * vectorises them without -ffast-math and the result does not depend on the vector
 * width (the order of operations is fixed by LANES, not by the instruction set). */
#ifndef LATHE_DSP_REDUCE_H
#define LATHE_DSP_REDUCE_H

#include <math.h>
#include <stddef.h>

#define LATHE_LANES 8

/* max |x[i]| over N samples (0 for N = 0). NaN inputs are ignored. */
static inline float lathe_max_abs(const float *restrict x, size_t n)
{
    float lane[LATHE_LANES] = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES)
        for (int k = 0; k < LATHE_LANES; k++) {
            float a = fabsf(x[i + k]);
            lane[k] = a > lane[k] ? a : lane[k];
        }
    float m = 0.0f;
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        m = a > m ? a : m;
    }
    for (int k = 0; k < LATHE_LANES; k++)
        m = lane[k] > m ? lane[k] : m;
    return m;
}

/* Peak |x|, sum x and sum x^2 (double) over N samples, in one pass. */
static inline void lathe_stats(const float *restrict x, size_t n, float *peak, double *sum,
                               double *sumsq)
{
    float pk[LATHE_LANES] = { 0 };
    double s[LATHE_LANES] = { 0 }, ss[LATHE_LANES] = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES)
        for (int k = 0; k < LATHE_LANES; k++) {
            float a = fabsf(x[i + k]);
            double v = x[i + k];
            pk[k] = a > pk[k] ? a : pk[k];
            s[k] += v;
            ss[k] += v * v;
        }
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        double v = x[i];
        pk[0] = a > pk[0] ? a : pk[0];
        s[0] += v;
        ss[0] += v * v;
    }
    float p = 0.0f;
    double ts = 0.0, tss = 0.0;
    for (int k = 0; k < LATHE_LANES; k++) {
        p = pk[k] > p ? pk[k] : p;
        ts += s[k];
        tss += ss[k];
    }
    *peak = p;
    *sum = ts;
    *sumsq = tss;
}

/* Sums of a*a, b*b and a*b (double) over N sample pairs. */
static inline void lathe_cross_sums(const float *restrict a, const float *restrict b, size_t n,
                                    double out[3])
{
    double aa[LATHE_LANES] = { 0 }, bb[LATHE_LANES] = { 0 }, ab[LATHE_LANES] = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES)
        for (int k = 0; k < LATHE_LANES; k++) {
            double x = a[i + k], y = b[i + k];
            aa[k] += x * x;
            bb[k] += y * y;
            ab[k] += x * y;
        }
    for (; i < n; i++) {
        double x = a[i], y = b[i];
        aa[0] += x * x;
        bb[0] += y * y;
        ab[0] += x * y;
    }
    out[0] = out[1] = out[2] = 0.0;
    for (int k = 0; k < LATHE_LANES; k++) {
        out[0] += aa[k];
        out[1] += bb[k];
        out[2] += ab[k];
    }
}

/* 1 if any of the N samples is NaN or infinite: 0 * x is 0 for finite x only. */
static inline int lathe_any_non_finite(const float *restrict x, size_t n)
{
    float lane[LATHE_LANES] = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES)
        for (int k = 0; k < LATHE_LANES; k++)
            lane[k] += 0.0f * x[i + k];
    for (; i < n; i++)
        lane[0] += 0.0f * x[i];
    float probe = 0.0f;
    for (int k = 0; k < LATHE_LANES; k++)
        probe += lane[k];
    return probe != probe;
}

#endif
