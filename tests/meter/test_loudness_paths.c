/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loudness meter's fast paths against its reference paths and a direct-form filter.
 *
 * src/meter/loudness.c runs the K-weighting in AVX-512 kernels where the CPU has them and
 * forms a window's ordered sum only when a cheaper sum says it may set a new maximum;
 * lathe_loudness_use_reference takes the 4-double kernels and sums every window.
 * Both must give every figure and every series value bit for bit, here over rates of
 * 8-384 kHz, 1-8 channels (pairs with and without the mono fold, a channel left over,
 * weight-0 LFE, 1.41 surrounds), the same random block lengths of 1-5000 frames for both,
 * and signals that stress each path: noise, steady tones whose windows tie to the last
 * bits (whole periods per 10 ms slice; a tone that resumes after a gap), a burst that
 * sets a late maximum, decays into the state flush (1e-30), tiny inputs.
 * Independently of the library's filter, the max momentary and short-term loudness of
 * two signals are compared with a long-double direct form I K-weighting summed over the
 * same 10 ms slices (the BS.1770-4 stages from lathe_kweight_design, whose coefficients
 * tests/meter/test_analytic.c checks against the standard's tables). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "meter/loudness.h"
#include "testutil.h"

#define MAX_CH 8
#define SLICES 10

static int sanitized(void)
{
    const char *s = getenv("LATHE_SANITIZED");
    return s && *s && strcmp(s, "0") != 0;
}

/* Signal KIND on channel C of N frames at RATE. */
static void make_signal(float *x, size_t n, int rate, int kind, int c, uint64_t *rng)
{
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < n; i++) {
        const double t = (double)i / rate;
        double v;
        switch (kind) {
        case 0:                 /* noise, a different level per channel */
            v = 0.5 / (1 + c) * test_rand_pm1(rng);
            break;
        case 1:                 /* 1 kHz on every channel (the fold sees identical channels) */
            v = 0.25 * sin(two_pi * 1000.0 * t);
            break;
        case 2:                 /* opposite polarity on odd channels, over noise */
            v = (c % 2 ? -0.3 : 0.3) * sin(two_pi * 997.0 * t) + 1e-3 * test_rand_pm1(rng);
            break;
        case 3:                 /* quiet noise, a 0.7 s burst near the end, then silence */
            v = t > n / (double)rate - 1.2 && t < n / (double)rate - 0.5
                    ? 0.9 * test_rand_pm1(rng)
                    : t < n / (double)rate - 1.2 ? 0.01 * test_rand_pm1(rng) : 0.0;
            break;
        case 4:                 /* tiny noise, then silence: states decay into the flush */
            v = t < 1.0 ? 1e-33 * test_rand_pm1(rng) : 0.0;
            break;
        case 5: {               /* two periods per 10 ms slice: windows tie but for rounding */
            const double slice = (double)((rate + 5) / 10) / 10.0;
            v = 0.5 * sin(two_pi * 2.0 * t * rate / slice);
            break;
        }
        default:                /* a tone, 0.8 s of silence, the same tone again */
            v = t < 2.5 || t > 3.3 ? 0.4 * sin(two_pi * 440.0 * t) : 0.0;
            break;
        }
        x[i] = (float)v;
    }
}

typedef struct run_out {
    lathe_loudness_result r;
    float *mom, *st;
} run_out;

static lathe_loudness_meter *meter_new(int rate, int ch, const double *w, int fold,
                                       int reference, size_t n)
{
    lathe_loudness_config cfg = { .rate_hz = rate, .channels = ch, .weights = w,
                                  .mono_fold = fold, .keep_series = 1,
                                  .expected_frames = (int64_t)n, .max_block = 5000 };
    lathe_loudness_meter *m = NULL;
    if (lathe_loudness_create(&cfg, &m) != LATHE_OK)
        return NULL;
    if (reference)
        lathe_loudness_use_reference(m);
    return m;
}

static void meter_end(lathe_loudness_meter *m, run_out *o)
{
    lathe_loudness_result_get(m, &o->r);
    lathe_loudness_take_series(m, &o->mom, &o->st);
    lathe_loudness_destroy(m);
}

/* The next block length from SEED: 1-5000 frames, one in five at most 9. */
static size_t block_len(uint64_t *seed)
{
    if (test_rand01(seed) < 0.2)
        return 1 + (size_t)(test_rand01(seed) * 9.0);
    return 1 + (size_t)(test_rand01(seed) * 5000.0);
}

/* A fast and a reference meter over X in the same blocks: *DIFF_AT is the
 * frame after the first block whose states (lathe_loudness_state) differ, 0 if none. */
static int run_pair(int rate, int ch, const double *w, int fold, float **x, size_t n,
                    uint64_t seed, run_out *a, run_out *b, size_t *diff_at)
{
    lathe_loudness_meter *ma = meter_new(rate, ch, w, fold, 0, n);
    lathe_loudness_meter *mb = meter_new(rate, ch, w, fold, 1, n);
    if (!ma || !mb) {
        lathe_loudness_destroy(ma);
        lathe_loudness_destroy(mb);
        return -1;
    }
    *diff_at = 0;
    for (size_t i = 0; i < n;) {
        size_t len = block_len(&seed);
        if (len > n - i)
            len = n - i;
        const float *p[MAX_CH];
        for (int c = 0; c < ch; c++)
            p[c] = x[c] + i;
        lathe_loudness_process(ma, p, len);
        lathe_loudness_process(mb, p, len);
        i += len;
        double sa[LATHE_LOUDNESS_STATE_MAX], sb[LATHE_LOUDNESS_STATE_MAX];
        const size_t ka = lathe_loudness_state(ma, sa, LATHE_LOUDNESS_STATE_MAX);
        const size_t kb = lathe_loudness_state(mb, sb, LATHE_LOUDNESS_STATE_MAX);
        if (!*diff_at && (ka != kb || ka > LATHE_LOUDNESS_STATE_MAX
                          || memcmp(sa, sb, sizeof(double) * ka) != 0))
            *diff_at = i;
    }
    meter_end(ma, a);
    meter_end(mb, b);
    return 0;
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_paths(void)
{
    const int rates[] = { 8000, 11025, 44100, 48000, 96000, 192000, 384000 };
    const double secs = sanitized() ? 3.4 : 6.3;
    /* channel layouts: count, weights, mono fold */
    static const struct {
        int ch, fold;
        double w[MAX_CH];
    } lay[] = {
        { 1, 0, { 1 } },
        { 2, 1, { 1, 1 } },
        { 2, 0, { 1, 1 } },
        { 3, 0, { 1, 1, 1 } },
        { 6, 0, { 1, 1, 1, 0, 1.41, 1.41 } },
        { 8, 0, { 1, 1, 1, 0, 1.41, 1.41, 1, 1 } },
        { 5, 0, { 1, 0, 1, 1.41, 1.41 } },
    };
    const int nlay = (int)(sizeof lay / sizeof lay[0]);
    int cases = 0, identical = 0;
    uint64_t rng = 0x2545f4914f6cdd1dull;
    for (int ri = 0; ri < (int)(sizeof rates / sizeof rates[0]); ri++) {
        for (int li = 0; li < nlay; li++) {
            const int rate = rates[ri], ch = lay[li].ch, kind = (ri + 3 * li) % 7;
            if (rate >= 192000 && ch > 3 && li != 4)
                continue;       /* keep the run short: one wide layout at the top rates */
            const size_t n = (size_t)(secs * rate);
            float *x[MAX_CH];
            for (int c = 0; c < ch; c++) {
                x[c] = malloc(n * sizeof(float));
                if (!x[c])
                    abort();
                make_signal(x[c], n, rate, kind, c, &rng);
            }
            run_out a, b;
            size_t diff_at;
            const uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)(31 * ri + li);
            const int ok = run_pair(rate, ch, lay[li].w, lay[li].fold, x, n, seed, &a, &b,
                                    &diff_at) == 0;
            CHECK(ok, "meter create failed (%d Hz, %d ch)", rate, ch);
            if (ok) {
                const int same = diff_at == 0
                    && same_double(a.r.integrated_lufs, b.r.integrated_lufs)
                    && same_double(a.r.loudness_range_lu, b.r.loudness_range_lu)
                    && same_double(a.r.max_momentary_lufs, b.r.max_momentary_lufs)
                    && same_double(a.r.max_short_term_lufs, b.r.max_short_term_lufs)
                    && same_double(a.r.mono_integrated_lufs, b.r.mono_integrated_lufs)
                    && a.r.series_count == b.r.series_count
                    && memcmp(a.mom, b.mom, sizeof(float) * a.r.series_count) == 0
                    && memcmp(a.st, b.st, sizeof(float) * a.r.series_count) == 0;
                CHECK(same,
                      "%d Hz, %d ch (layout %d, signal %d): states first differ after frame "
                      "%zu (0: never); fast I %.17g M %.17g S %.17g LRA %.17g mono %.17g; "
                      "reference I %.17g M %.17g S %.17g LRA %.17g mono %.17g; series %zu / %zu",
                      rate, ch, li, kind, diff_at, a.r.integrated_lufs, a.r.max_momentary_lufs,
                      a.r.max_short_term_lufs, a.r.loudness_range_lu,
                      a.r.mono_integrated_lufs, b.r.integrated_lufs, b.r.max_momentary_lufs,
                      b.r.max_short_term_lufs, b.r.loudness_range_lu,
                      b.r.mono_integrated_lufs, a.r.series_count, b.r.series_count);
                identical += same;
                free(a.mom);
                free(a.st);
                free(b.mom);
                free(b.st);
            }
            cases++;
            for (int c = 0; c < ch; c++)
                free(x[c]);
        }
    }
    printf("fast vs reference paths: %d of %d cases bit-identical (states after every "
           "block, figures, series)\n", identical, cases);
}

/* Max momentary and short-term energy of planar X (CH channels, weights W) from a
 * long-double direct form I K-weighting, over windows of 40 and 300 slices ending at
 * every slice end (slice j of a sub-block of (rate + 5) / 10 frames ends at
 * floor((j + 1) sub_len / 10), BS.1770-4's 100 ms steps refined to 10 ms). */
static void reference_maxima(int rate, int ch, const double *w, float **x, size_t n,
                             double *max_m, double *max_s)
{
    lathe_biquad_coefs f[2];
    lathe_kweight_design(rate, &f[0], &f[1]);
    const size_t sub_len = (size_t)((rate + 5) / 10);
    const size_t nslices = n / sub_len * SLICES + SLICES;
    long double *sl = calloc(nslices, sizeof *sl);
    if (!sl)
        abort();
    size_t k_end = 0;           /* complete slices */
    for (int c = 0; c < ch; c++) {
        long double h[2][4] = { { 0 } };  /* x1, x2, y1, y2 of each stage */
        size_t pos = 0, slice = 0, k = 0;
        for (size_t i = 0; i < n; i++) {
            long double v = x[c][i];
            for (int s = 0; s < 2; s++) {
                const long double y = (long double)f[s].b0 * v + (long double)f[s].b1 * h[s][0]
                                      + (long double)f[s].b2 * h[s][1]
                                      - (long double)f[s].a1 * h[s][2]
                                      - (long double)f[s].a2 * h[s][3];
                h[s][1] = h[s][0];
                h[s][0] = v;
                h[s][3] = h[s][2];
                h[s][2] = y;
                v = y;
            }
            sl[k] += (long double)w[c] * v * v;
            pos++;
            if (pos == (slice + 1) * sub_len / SLICES) {
                k++;
                slice++;
                if (slice == SLICES) {
                    slice = 0;
                    pos = 0;
                }
            }
        }
        k_end = k;
    }
    long double bm = -1, bs = -1;
    for (size_t e = 1; e <= k_end; e++) {
        if (e >= 4 * SLICES) {
            long double s = 0;
            for (size_t k = e - 4 * SLICES; k < e; k++)
                s += sl[k];
            s /= (long double)(4 * sub_len);
            bm = s > bm ? s : bm;
        }
        if (e >= 30 * SLICES) {
            long double s = 0;
            for (size_t k = e - 30 * SLICES; k < e; k++)
                s += sl[k];
            s /= (long double)(30 * sub_len);
            bs = s > bs ? s : bs;
        }
    }
    *max_m = (double)bm;
    *max_s = (double)bs;
    free(sl);
}

static void test_direct_form(void)
{
    static const struct {
        int rate, ch, kind;
        double w[MAX_CH];
    } cs[] = {
        { 48000, 2, 3, { 1, 1 } },
        { 44100, 1, 0, { 1 } },
        { 96000, 6, 2, { 1, 1, 1, 0, 1.41, 1.41 } },
    };
    uint64_t rng = 0x853c49e6748fea9bull;
    for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
        const int rate = cs[ci].rate, ch = cs[ci].ch;
        const size_t n = (size_t)((sanitized() ? 3.6 : 5.3) * rate);
        float *x[MAX_CH];
        for (int c = 0; c < ch; c++) {
            x[c] = malloc(n * sizeof(float));
            if (!x[c])
                abort();
            make_signal(x[c], n, rate, cs[ci].kind, c, &rng);
        }
        run_out a;
        lathe_loudness_meter *m = meter_new(rate, ch, cs[ci].w, 0, 0, n);
        CHECK(m != NULL, "create");
        if (!m)
            continue;
        uint64_t seed = 77 + ci;
        for (size_t i = 0; i < n;) {
            size_t len = block_len(&seed);
            if (len > n - i)
                len = n - i;
            const float *p[MAX_CH];
            for (int c = 0; c < ch; c++)
                p[c] = x[c] + i;
            lathe_loudness_process(m, p, len);
            i += len;
        }
        meter_end(m, &a);
        double em, es;
        reference_maxima(rate, ch, cs[ci].w, x, n, &em, &es);
        const double lm = lathe_energy_to_lufs(em), ls = lathe_energy_to_lufs(es);
        printf("%d Hz %d ch: max M %.12f (direct form %.12f), max S %.12f (%.12f) LUFS\n",
               rate, ch, a.r.max_momentary_lufs, lm, a.r.max_short_term_lufs, ls);
        CHECK_NEAR(a.r.max_momentary_lufs, lm, 1e-9, "max momentary vs direct form");
        CHECK_NEAR(a.r.max_short_term_lufs, ls, 1e-9, "max short-term vs direct form");
        free(a.mom);
        free(a.st);
        for (int c = 0; c < ch; c++)
            free(x[c]);
    }
}

int main(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    __builtin_cpu_init();
    printf("AVX-512 (x86-64-v4) on this CPU: %s\n",
           __builtin_cpu_supports("x86-64-v4") ? "yes, the fast paths use its kernels"
                                               : "no, both paths use 4-double kernels");
#endif
    test_paths();
    test_direct_form();
    return test_summary();
}
