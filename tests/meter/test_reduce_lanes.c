/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lane reductions of src/dsp/reduce.h (peak, sums, sums of squares and products,
 * the NaN/Inf probe) against their definition, written here as plain loops: lane k takes
 * the samples 8j + k, the rest goes to lane 0 (to a separate maximum for lathe_max_abs),
 * then the lanes are combined in order 0..7. Results must agree bit for bit, for every
 * length from 0 to 70 and a few long ones, called directly and through the levels and
 * stereo meters (whose AVX2 clones run on a CPU that has it); the sums must also be
 * within 1e-12 (relative) of a long double sum, and NaN must not count as a peak. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "dsp/reduce.h"
#include "meter/levels.h"
#include "meter/stereo.h"
#include "testutil.h"

#define L 8
#define MAXN 9000

static float xa[MAXN], xb[MAXN];

static uint32_t rng = 12345u;
static float urand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / 16777216.0 * 2.0 - 1.0);
}

static void ref_stats(const float *x, size_t n, float *peak, double *sum, double *sumsq)
{
    float pk[L] = { 0 };
    double s[L] = { 0 }, ss[L] = { 0 };
    size_t i = 0;
    for (; i + L <= n; i += L)
        for (int k = 0; k < L; k++) {
            float a = fabsf(x[i + k]);
            double v = x[i + k];
            if (a > pk[k])
                pk[k] = a;
            s[k] += v;
            ss[k] += v * v;
        }
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        double v = x[i];
        if (a > pk[0])
            pk[0] = a;
        s[0] += v;
        ss[0] += v * v;
    }
    *peak = 0.0f;
    *sum = *sumsq = 0.0;
    for (int k = 0; k < L; k++) {
        if (pk[k] > *peak)
            *peak = pk[k];
        *sum += s[k];
        *sumsq += ss[k];
    }
}

static void ref_cross(const float *a, const float *b, size_t n, double out[3])
{
    double aa[L] = { 0 }, bb[L] = { 0 }, ab[L] = { 0 };
    size_t i = 0;
    for (; i + L <= n; i += L)
        for (int k = 0; k < L; k++) {
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
    for (int k = 0; k < L; k++) {
        out[0] += aa[k];
        out[1] += bb[k];
        out[2] += ab[k];
    }
}

static float ref_max_abs(const float *x, size_t n)
{
    float lane[L] = { 0 }, m = 0.0f;
    size_t i = 0;
    for (; i + L <= n; i += L)
        for (int k = 0; k < L; k++)
            if (fabsf(x[i + k]) > lane[k])
                lane[k] = fabsf(x[i + k]);
    for (; i < n; i++)
        if (fabsf(x[i]) > m)
            m = fabsf(x[i]);
    for (int k = 0; k < L; k++)
        if (lane[k] > m)
            m = lane[k];
    return m;
}

static int same(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void check_length(size_t n)
{
    float pk, rpk;
    double s, ss, rs, rss, c[3], rc[3];
    lathe_stats(xa, n, &pk, &s, &ss);
    ref_stats(xa, n, &rpk, &rs, &rss);
    CHECK(pk == rpk && same(s, rs) && same(ss, rss),
          "lathe_stats, n %zu: peak %.9g sum %.17g sumsq %.17g, want %.9g %.17g %.17g", n, pk, s,
          ss, rpk, rs, rss);
    lathe_cross_sums(xa, xb, n, c);
    ref_cross(xa, xb, n, rc);
    CHECK(same(c[0], rc[0]) && same(c[1], rc[1]) && same(c[2], rc[2]),
          "lathe_cross_sums, n %zu: %.17g %.17g %.17g, want %.17g %.17g %.17g", n, c[0], c[1],
          c[2], rc[0], rc[1], rc[2]);
    float m = lathe_max_abs(xb, n), rm = ref_max_abs(xb, n);
    CHECK(m == rm, "lathe_max_abs, n %zu: %.9g, want %.9g", n, m, rm);
    CHECK(!lathe_any_non_finite(xa, n), "no NaN/Inf in n %zu finite samples", n);

    /* the meters, one block (their AVX2 clones when the CPU has AVX2) */
    const float *ch[2] = { xa, xb };
    lathe_levels_meter lv;
    lathe_levels_init(&lv, 2, 1.0, -60.0);
    lathe_levels_process(&lv, ch, n);
    ref_stats(xb, n, &rpk, &rs, &rss);
    CHECK(lv.peak[1] == rpk && same(lv.sum[1], rs) && same(lv.sumsq[1], rss),
          "levels meter, n %zu: peak %.9g sum %.17g sumsq %.17g, want %.9g %.17g %.17g", n,
          lv.peak[1], lv.sum[1], lv.sumsq[1], rpk, rs, rss);
    lathe_stereo_meter sm;
    lathe_stereo_init(&sm, 44100, 400.0);          /* 4410-frame sub-blocks: one run */
    if (n <= 4410) {
        lathe_stereo_process(&sm, xa, xb, n);
        CHECK(same(sm.ll, rc[0]) && same(sm.rr, rc[1]) && same(sm.lr, rc[2]),
              "stereo meter, n %zu: %.17g %.17g %.17g, want %.17g %.17g %.17g", n, sm.ll, sm.rr,
              sm.lr, rc[0], rc[1], rc[2]);
    }
}

int main(void)
{
    for (int i = 0; i < MAXN; i++) {
        xa[i] = urand();
        xb[i] = 0.5f * urand() + 0.25f * xa[i];
    }
    for (size_t n = 0; n <= 70; n++)
        check_length(n);
    check_length(4096);
    check_length(4101);
    check_length(MAXN);

    /* accuracy against a long double sum */
    long double s = 0.0L, ss = 0.0L, ab = 0.0L;
    for (int i = 0; i < MAXN; i++) {
        s += xa[i];
        ss += (long double)xa[i] * xa[i];
        ab += (long double)xa[i] * xb[i];
    }
    float pk;
    double gs, gss, c[3];
    volatile size_t n = MAXN;   /* a run-time length, as the meters have */
    lathe_stats(xa, n, &pk, &gs, &gss);
    lathe_cross_sums(xa, xb, n, c);
    CHECK(fabs(gs - (double)s) <= 1e-12 * (double)ss, "sum %.17g vs %.17Lg", gs, s);
    CHECK(fabs(gss - (double)ss) <= 1e-12 * (double)ss, "sum of squares %.17g vs %.17Lg", gss, ss);
    CHECK(fabs(c[2] - (double)ab) <= 1e-12 * (double)ss, "sum of products %.17g vs %.17Lg", c[2],
          ab);

    /* NaN and Inf: found by the probe wherever they are; NaN is never a peak */
    for (size_t at = 0; at < 37; at++) {
        float keep = xa[at];
        xa[at] = NAN;
        CHECK(lathe_any_non_finite(xa, 37), "NaN at %zu of 37 found", at);
        float m = lathe_max_abs(xa, 37), rm = ref_max_abs(xa, 37);
        CHECK(!isnan(m) && m == rm, "max |x| with a NaN at %zu: %.9g, want %.9g", at, m, rm);
        xa[at] = -INFINITY;
        CHECK(lathe_any_non_finite(xa, 37), "-Inf at %zu of 37 found", at);
        CHECK(isinf(lathe_max_abs(xa, 37)), "max |x| with -Inf at %zu is +Inf", at);
        xa[at] = keep;
    }
    return test_summary();
}
