/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The EQ section kernels of src/dsp/eq_band.c agree: the software-pipelined kernels give
 * every channel exactly (bit for bit) the samples and the histories of the scalar
 * reference lathe_eq_sections_run, after every block of a stream cut into awkward block
 * lengths (0, 1, 2, fewer frames than sections, one more or fewer, odd and even main
 * loops, long):
 *   lathe_eq_sections_run2      two channels, the same sections, 1..32 sections (passes of 8);
 *   lathe_eq_sections_run1      one channel, four sections per vector, 1..32 (passes of 16);
 *   lathe_eq_sections_run_pair  two channels with their own sections, 0..32 each (the
 *                               shorter one passing its samples on through the other's
 *                               extra slots);
 * each also through lathe_eq_sections_run_pair_lanes(..., 4): the 4-double kernels of the
 * AVX2 and baseline builds, which a CPU with AVX-512 would not run otherwise.
 * All follow a plain direct form I recursion (y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2,
 * the textbook form, summed in another order): within 1e-13 of the peak up to 8
 * sections, 1e-9 for the long random cascades (up to 32 sections of gains up to 40 dB
 * amplify rounding). The two-lane biquad kernels (lathe_biquad_run2,
 * lathe_biquad_run_series) give their scalar counterparts' samples bit for bit too. */
#include <stdint.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/eq_band.h"
#include "testutil.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* A stable section: poles of radius 0.2..0.98 at a random angle, random zeros. */
static void random_section(lathe_biquad_coefs *c)
{
    const double r = 0.2 + 0.78 * uniform(), w = 3.1 * uniform();
    c->a1 = -2.0 * r * cos(w);
    c->a2 = r * r;
    c->b0 = 0.5 + uniform();
    c->b1 = 2.0 * uniform() - 1.0;
    c->b2 = 2.0 * uniform() - 1.0;
}

#define N 3000

/* lathe_biquad_run2 and lathe_biquad_run_series against lathe_biquad_run, bit for bit,
 * over random block cuts (the profile's low-end pair and sibilance cascade). */
static void test_biquad_kernels(void)
{
    enum { M = 5000 };
    static float a[M], b[M], ra[M], rb[M], oa[M], ob[M], sx[M], sref[M];
    lathe_biquad_coefs lp, hp, lp12;
    lathe_biquad_design(&lp, LATHE_BIQUAD_LOWPASS, 120.0, 0.7071, 0.0, 44100.0);
    lathe_biquad_design(&hp, LATHE_BIQUAD_HIGHPASS, 4000.0, 0.7071, 0.0, 44100.0);
    lathe_biquad_design(&lp12, LATHE_BIQUAD_LOWPASS, 12000.0, 0.7071, 0.0, 44100.0);
    for (size_t i = 0; i < M; i++) {
        a[i] = (float)(2.0 * uniform() - 1.0);
        b[i] = (float)(2.0 * uniform() - 1.0);
        sx[i] = a[i];
    }
    lathe_biquad_state p0 = { 0 }, p1 = { 0 }, q0 = { 0 }, q1 = { 0 }, r0 = { 0 }, r1 = { 0 },
                       t0 = { 0 }, t1 = { 0 };
    lathe_biquad_run(&lp, &p0, a, ra, M);
    lathe_biquad_run(&lp, &p1, b, rb, M);
    lathe_biquad_run(&hp, &r0, a, sref, M);
    lathe_biquad_run(&lp12, &r1, sref, sref, M);
    for (size_t off = 0, k = 0; off < M; k++) {
        size_t len = (size_t)(uniform() * 700.0);
        len = len > M - off ? M - off : len;
        lathe_biquad_run2(&lp, &q0, &q1, a + off, b + off, oa + off, ob + off, len);
        lathe_biquad_run_series(&hp, &lp12, &t0, &t1, sx + off, len);
        off += len;
        (void)k;
    }
    double e = 0.0;
    for (size_t i = 0; i < M; i++)
        e += (double)sref[i] * sref[i];
    CHECK(isfinite(e) && e > 1e-6 * M && e < 0.5 * M, "the test filters pass some of the noise "
          "(mean square %.3g)", e / M);
    CHECK(!memcmp(oa, ra, sizeof oa) && !memcmp(ob, rb, sizeof ob)
          && !memcmp(&q0, &p0, sizeof q0) && !memcmp(&q1, &p1, sizeof q1),
          "lathe_biquad_run2 gives lathe_biquad_run's samples and states");
    CHECK(!memcmp(sx, sref, sizeof sx) && !memcmp(&t0, &r0, sizeof t0)
          && !memcmp(&t1, &r1, sizeof t1),
          "lathe_biquad_run_series gives two lathe_biquad_run's samples and states");
}

/* Block lengths the streams are cut into, in turn: around the pipelines' slot counts
 * (8 for two channels, 16 for one) and their edge lengths (1 or 2 steps per slot: 7, 14,
 * 15, 28, 30), the two-step main loop's parities, long blocks. */
static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18,
                               19, 28, 29, 30, 31, 32, 33, 64, 511, 1000 };
#define NLENS (sizeof lens / sizeof lens[0])

enum { K_RUN2, K_RUN1, K_PAIR };

/* Streams NF frames of random noise (with a stretch of exact zeros) through kernel KIND
 * (C0: NS0 sections on channel 0; C1: NS1 on channel 1, the pair kernel only; run2 runs
 * C0 on both, run1 channel 0 alone; LANES 4: the same through
 * lathe_eq_sections_run_pair_lanes(..., 4)) in blocks cut by lens[] from PHASE on, and the
 * same through lathe_eq_sections_run per channel. Returns 1 if the samples and, after
 * every block, the histories agree bit for bit. */
static int agree(int kind, int lanes, const lathe_biquad_coefs *c0, int ns0,
                 const lathe_biquad_coefs *c1, int ns1, size_t nf, size_t phase)
{
    static double x0[N], x1[N], r0[N], r1[N];
    lathe_eq_hist h0[LATHE_EQ_MAX_RUN], h1[LATHE_EQ_MAX_RUN], g0[LATHE_EQ_MAX_RUN],
        g1[LATHE_EQ_MAX_RUN];
    if (kind == K_RUN2) {
        c1 = c0;
        ns1 = ns0;
    } else if (kind == K_RUN1) {
        ns1 = 0;
    }
    memset(h0, 0, sizeof h0);
    memset(h1, 0, sizeof h1);
    memset(g0, 0, sizeof g0);
    memset(g1, 0, sizeof g1);
    for (size_t i = 0; i < nf; i++) {
        x0[i] = r0[i] = i >= 200 && i < 230 ? 0.0 : 2.0 * uniform() - 1.0;
        x1[i] = r1[i] = i >= 210 && i < 260 ? 0.0 : 2.0 * uniform() - 1.0;
    }
    int ok = 1;
    for (size_t off = 0, b = phase; off < nf; b++) {
        size_t len = lens[b % NLENS];
        len = len > nf - off ? nf - off : len;
        switch (lanes ? -1 : kind) {
        case -1:
            lathe_eq_sections_run_pair_lanes(c0, h0, ns0, x0 + off, c1, h1, ns1, x1 + off, len,
                                             lanes);
            break;
        case K_RUN2:
            lathe_eq_sections_run2(c0, h0, h1, ns0, x0 + off, x1 + off, len);
            break;
        case K_RUN1:
            lathe_eq_sections_run1(c0, h0, ns0, x0 + off, len);
            break;
        default:
            lathe_eq_sections_run_pair(c0, h0, ns0, x0 + off, c1, h1, ns1, x1 + off, len);
            break;
        }
        lathe_eq_sections_run(c0, g0, ns0, r0 + off, len);
        lathe_eq_sections_run(c1, g1, ns1, r1 + off, len);
        ok &= !memcmp(h0, g0, sizeof(lathe_eq_hist) * (size_t)ns0)
              && !memcmp(h1, g1, sizeof(lathe_eq_hist) * (size_t)ns1);
        off += len;
    }
    return ok && !memcmp(x0, r0, sizeof(double) * nf) && !memcmp(x1, r1, sizeof(double) * nf);
}

/* Every kernel against the scalar reference, bit for bit; LANES as agree(). */
static void test_kernels_exact(int lanes)
{
    const size_t nf = getenv("LATHE_SANITIZED") ? 1200 : 2500;
    lathe_biquad_coefs c0[LATHE_EQ_MAX_RUN], c1[LATHE_EQ_MAX_RUN];
    for (int k = 0; k < LATHE_EQ_MAX_RUN; k++) {
        random_section(&c0[k]);
        random_section(&c1[k]);
    }
    int bad2 = 0, bad1 = 0, badp = 0, first2 = 0, first1 = 0, firstp0 = -1, firstp1 = -1;
    for (int ns = 1; ns <= LATHE_EQ_MAX_RUN; ns++)
        for (size_t phase = 0; phase < 3; phase++) {
            if (!agree(K_RUN2, lanes, c0, ns, NULL, 0, nf, phase * 7 + (size_t)ns) && !bad2++)
                first2 = ns;
            if (!agree(K_RUN1, lanes, c0, ns, NULL, 0, nf, phase * 7 + (size_t)ns) && !bad1++)
                first1 = ns;
        }
    const int counts[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32 };
    const int nc = (int)(sizeof counts / sizeof counts[0]);
    int pairs = 0;
    for (int a = 0; a < nc; a++)
        for (int b = 0; b < nc; b++) {
            pairs++;
            if (!agree(K_PAIR, lanes, c0, counts[a], c1, counts[b], nf, (size_t)(a * nc + b))
                && !badp++) {
                firstp0 = counts[a];
                firstp1 = counts[b];
            }
        }
    const char *which = lanes ? " (4-double kernels)" : "";
    printf("bit-exact against lathe_eq_sections_run%s: run2 1..%d sections x 3 block cuts: %d "
           "differ; run1: %d differ; pair, %d section-count pairs 0..%d: %d differ\n",
           which, LATHE_EQ_MAX_RUN, bad2, bad1, pairs, LATHE_EQ_MAX_RUN, badp);
    CHECK(bad2 == 0, "run2%s: %d streams differ from the scalar reference (first at %d "
          "sections)", which, bad2, first2);
    CHECK(bad1 == 0, "run1%s: %d streams differ from the scalar reference (first at %d "
          "sections)", which, bad1, first1);
    CHECK(badp == 0, "run_pair%s: %d streams differ from the scalar reference (first at %d + "
          "%d sections)", which, badp, firstp0, firstp1);
}

/* A channel with fewer sections passes its samples on through the other channel's extra
 * slots untouched, signed zeros included (an identity section there would turn some -0
 * into +0): channel 0 is one exact identity section, primed so that it outputs -0 and +0
 * in turn for an input of -0, beside three random sections on channel 1. */
static void test_pair_passes_zeros(void)
{
    enum { M = 64 };
    double x0[M], x1[M], r0[M], r1[M];
    lathe_biquad_coefs c0 = { 1.0, 0.0, 0.0, 0.0, 0.0 }, c1[3];
    lathe_eq_hist h0 = { -0.0, -0.0, 0.0, 0.0 }, g0 = h0, h1[3], g1[3];
    for (int k = 0; k < 3; k++) {
        random_section(&c1[k]);
        h1[k] = g1[k] = (lathe_eq_hist){ 0.0, 0.0, 0.0, 0.0 };
    }
    for (int i = 0; i < M; i++) {
        x0[i] = r0[i] = -0.0;
        x1[i] = r1[i] = 2.0 * uniform() - 1.0;
    }
    lathe_eq_sections_run_pair(&c0, &h0, 1, x0, c1, h1, 3, x1, M);
    lathe_eq_sections_run(&c0, &g0, 1, r0, M);
    lathe_eq_sections_run(c1, g1, 3, r1, M);
    int negz = 0;
    for (int i = 0; i < M; i++)
        negz += r0[i] == 0.0 && signbit(r0[i]);
    CHECK(negz > 0 && negz < M, "the test signal has both signed zeros (%d of %d are -0)", negz, M);
    CHECK(!memcmp(x0, r0, sizeof x0) && !memcmp(x1, r1, sizeof x1),
          "run_pair passes the shorter channel's signed zeros on as they are");
}

int main(void)
{
    static double x0[N], x1[N], s0[N], s1[N], ref[N], m0[N];
    int exact = 1, hist_exact = 1, one_exact = 1;
    double worst = 0.0, worst8 = 0.0;
    for (int ns = 1; ns <= LATHE_EQ_MAX_RUN; ns++) {
        lathe_biquad_coefs c[LATHE_EQ_MAX_RUN];
        lathe_eq_hist h0[LATHE_EQ_MAX_RUN], h1[LATHE_EQ_MAX_RUN], g0[LATHE_EQ_MAX_RUN],
            g1[LATHE_EQ_MAX_RUN], k0[LATHE_EQ_MAX_RUN];
        for (int k = 0; k < ns; k++)
            random_section(&c[k]);
        memset(h0, 0, sizeof h0);
        memset(h1, 0, sizeof h1);
        memset(g0, 0, sizeof g0);
        memset(g1, 0, sizeof g1);
        memset(k0, 0, sizeof k0);
        for (size_t i = 0; i < N; i++) {
            x0[i] = s0[i] = m0[i] = 2.0 * uniform() - 1.0;
            x1[i] = s1[i] = 2.0 * uniform() - 1.0;
        }
        /* plain reference on channel 0, whole signal */
        {
            double px1[LATHE_EQ_MAX_RUN] = { 0 }, px2[LATHE_EQ_MAX_RUN] = { 0 };
            double py1[LATHE_EQ_MAX_RUN] = { 0 }, py2[LATHE_EQ_MAX_RUN] = { 0 };
            for (size_t i = 0; i < N; i++) {
                double v = x0[i];
                for (int k = 0; k < ns; k++) {
                    double y = c[k].b0 * v + c[k].b1 * px1[k] + c[k].b2 * px2[k] - c[k].a1 * py1[k]
                               - c[k].a2 * py2[k];
                    px2[k] = px1[k];
                    px1[k] = v;
                    py2[k] = py1[k];
                    py1[k] = y;
                    v = y;
                }
                ref[i] = v;
            }
        }
        /* both kernels over the same block cuts */
        size_t off = 0;
        for (int blk = 0; off < N; blk++) {
            size_t len = lens[((size_t)blk + (size_t)ns) % NLENS];
            if (len > N - off)
                len = N - off;
            lathe_eq_sections_run2(c, h0, h1, ns, x0 + off, x1 + off, len);
            lathe_eq_sections_run(c, g0, ns, s0 + off, len);
            lathe_eq_sections_run(c, g1, ns, s1 + off, len);
            lathe_eq_sections_run1(c, k0, ns, m0 + off, len);
            one_exact &= !memcmp(k0, g0, sizeof(lathe_eq_hist) * (size_t)ns);
            off += len;
            hist_exact &= !memcmp(h0, g0, sizeof(lathe_eq_hist) * (size_t)ns)
                          && !memcmp(h1, g1, sizeof(lathe_eq_hist) * (size_t)ns);
        }
        exact &= !memcmp(x0, s0, sizeof x0) && !memcmp(x1, s1, sizeof x1);
        one_exact &= !memcmp(m0, s0, sizeof m0);
        double peak = 0.0;
        for (size_t i = 0; i < N; i++)
            peak = fmax(peak, fabs(ref[i]));
        double w = 0.0;
        for (size_t i = 0; i < N; i++)
            w = fmax(w, fabs(s0[i] - ref[i]) / peak);
        worst = fmax(worst, w);
        if (ns <= 8)
            worst8 = fmax(worst8, w);
    }
    printf("1..%d sections: two-channel kernel %s, histories %s; vs plain DF1: %.3e of the peak "
           "(%.3e up to 8 sections)\n",
           LATHE_EQ_MAX_RUN, exact ? "bit-exact" : "DIFFERS", hist_exact ? "equal" : "DIFFER",
           worst, worst8);
    CHECK(exact, "two-channel kernel gives the single-channel kernel's samples bit for bit");
    CHECK(one_exact, "the one-channel kernel: the same samples and histories");
    CHECK(hist_exact, "and the same histories after every block");
    CHECK(worst8 < 1e-13, "up to 8 sections: a plain direct form I within 1e-13 (%.3e)", worst8);
    CHECK(worst < 1e-9, "up to 32 sections: a plain direct form I within 1e-9 (%.3e)", worst);
    test_kernels_exact(0);
    test_kernels_exact(4);
    test_pair_passes_zeros();
    test_biquad_kernels();
    return test_summary();
}
