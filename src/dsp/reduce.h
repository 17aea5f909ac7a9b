/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reductions written with a fixed number of independent lanes, so the compiler
 * vectorises them without -ffast-math and the result does not depend on the vector
 * width (the order of operations is fixed by LANES, not by the instruction set). */
#ifndef LATHE_DSP_REDUCE_H
#define LATHE_DSP_REDUCE_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#define LATHE_LANES 8

/* GCC 12 does not turn the lane loops below into vector code by itself (it unrolls
 * them into scalar operations): the lanes are spelt as vectors. Lane k still takes
 * the samples i + k, and the lanes are added in order 0..7 at the end, so the results
 * are those of the plain lane loops, bit for bit. */
#define LATHE_RV_INLINE static inline __attribute__((always_inline))

typedef float lathe_rv4f __attribute__((vector_size(16)));
typedef double lathe_rv4d __attribute__((vector_size(32)));
typedef int lathe_rv4i __attribute__((vector_size(16)));

/* *D = x[0..3] as doubles. (Vectors go through pointers: 32-byte vector arguments and
 * results would change the ABI between the AVX2 and the baseline clones.) */
LATHE_RV_INLINE void lathe_rv_load4d(lathe_rv4d *d, const float *x)
{
    *d = (lathe_rv4d){ x[0], x[1], x[2], x[3] };
}

/* The eight lanes LO (0-3) and HI (4-7) into DST[0..7], to finish in scalar code. */
LATHE_RV_INLINE void lathe_rv_spill8d(double *dst, const lathe_rv4d *lo, const lathe_rv4d *hi)
{
    memcpy(dst, lo, sizeof *lo);
    memcpy(dst + 4, hi, sizeof *hi);
}

LATHE_RV_INLINE void lathe_rv_spill8f(float *dst, const lathe_rv4f *lo, const lathe_rv4f *hi)
{
    memcpy(dst, lo, sizeof *lo);
    memcpy(dst + 4, hi, sizeof *hi);
}

/* *M = |x| > *M ? |x| : *M per lane, over x[0..3] (a NaN leaves *M). */
LATHE_RV_INLINE void lathe_rv_max_abs(lathe_rv4f *m, const float *x)
{
    const lathe_rv4i abs_mask = { 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff };
    lathe_rv4i a;
    memcpy(&a, x, sizeof a);
    a &= abs_mask;
    const lathe_rv4i gt = (lathe_rv4f)a > *m;
    *m = (lathe_rv4f)((a & gt) | ((lathe_rv4i)*m & ~gt));
}

/* max |x[i]| over N samples (0 for N = 0). NaN inputs are ignored. */
LATHE_RV_INLINE float lathe_max_abs(const float *restrict x, size_t n)
{
    float lane[LATHE_LANES];
    lathe_rv4f m0 = { 0 }, m1 = { 0 };                    /* lanes 0-3, 4-7 */
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES) {
        lathe_rv_max_abs(&m0, x + i);
        lathe_rv_max_abs(&m1, x + i + 4);
    }
    lathe_rv_spill8f(lane, &m0, &m1);
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
LATHE_RV_INLINE void lathe_stats(const float *restrict x, size_t n, float *peak, double *sum,
                                 double *sumsq)
{
    float pk[LATHE_LANES];
    double s[LATHE_LANES], ss[LATHE_LANES];
    lathe_rv4f pk0 = { 0 }, pk1 = { 0 };                  /* lanes 0-3, 4-7 */
    lathe_rv4d s0 = { 0 }, s1 = { 0 }, ss0 = { 0 }, ss1 = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES) {
        lathe_rv4d v0, v1;
        lathe_rv_load4d(&v0, x + i);
        lathe_rv_load4d(&v1, x + i + 4);
        lathe_rv_max_abs(&pk0, x + i);
        lathe_rv_max_abs(&pk1, x + i + 4);
        s0 += v0;
        s1 += v1;
        ss0 += v0 * v0;
        ss1 += v1 * v1;
    }
    lathe_rv_spill8f(pk, &pk0, &pk1);
    lathe_rv_spill8d(s, &s0, &s1);
    lathe_rv_spill8d(ss, &ss0, &ss1);
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
LATHE_RV_INLINE void lathe_cross_sums(const float *restrict a, const float *restrict b, size_t n,
                                      double out[3])
{
    double aa[LATHE_LANES], bb[LATHE_LANES], ab[LATHE_LANES];
    lathe_rv4d aa0 = { 0 }, aa1 = { 0 }, bb0 = { 0 }, bb1 = { 0 }, ab0 = { 0 }, ab1 = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES) {
        lathe_rv4d x0, x1, y0, y1;
        lathe_rv_load4d(&x0, a + i);
        lathe_rv_load4d(&x1, a + i + 4);
        lathe_rv_load4d(&y0, b + i);
        lathe_rv_load4d(&y1, b + i + 4);
        aa0 += x0 * x0;
        aa1 += x1 * x1;
        bb0 += y0 * y0;
        bb1 += y1 * y1;
        ab0 += x0 * y0;
        ab1 += x1 * y1;
    }
    lathe_rv_spill8d(aa, &aa0, &aa1);
    lathe_rv_spill8d(bb, &bb0, &bb1);
    lathe_rv_spill8d(ab, &ab0, &ab1);
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

/* 1 if any of the N samples is NaN or infinite: 0 * x is 0 for finite x only (so the
 * lanes' sum is NaN exactly when some x is not finite, whatever the order). */
LATHE_RV_INLINE int lathe_any_non_finite(const float *restrict x, size_t n)
{
    lathe_rv4f v0 = { 0 }, v1 = { 0 };
    size_t i = 0;
    for (; i + LATHE_LANES <= n; i += LATHE_LANES) {
        lathe_rv4f x0, x1;
        memcpy(&x0, x + i, sizeof x0);
        memcpy(&x1, x + i + 4, sizeof x1);
        v0 += 0.0f * x0;
        v1 += 0.0f * x1;
    }
    v0 += v1;
    float probe = (v0[0] + v0[1]) + (v0[2] + v0[3]);
    for (; i < n; i++)
        probe += 0.0f * x[i];
    return probe != probe;
}

#endif
