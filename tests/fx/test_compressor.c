/* SPDX-License-Identifier: GPL-3.0-or-later */
/* compressor: static curve against the Giannoulis et al. (JAES 2012) soft-knee formula,
 * attack/release time constants from level steps, program-dependent release, link and
 * mid/side modes, lookahead latency and alignment, parallel mix, makeup, sidechain
 * high-pass, stats, exact nulls and block-size invariance. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define FS 48000.0

static const lathe_fx_class *cls;

/* A strong reference, so the class is taken from the static library even while
 * src/fx/registry.h declares it weak (pending): the registry alone would not pull it. */
extern const lathe_fx_class lathe_fx_compressor;

/* The static curve written out independently of src/dsp/envelope.c:
 * Giannoulis, Massberg & Reiss 2012, eq. (4); returns the gain reduction x - y. */
static double giannoulis_gr(double x, double t, double r, double w)
{
    double y;
    if (2.0 * (x - t) < -w)
        y = x;
    else if (w > 0.0 && 2.0 * fabs(x - t) <= w)
        y = x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0) / (2.0 * w);
    else
        y = t + (x - t) / r;
    return x - y;
}

static int idx(const char *key)
{
    int i = lathe_fx_param_index(cls, key);
    if (i < 0) {
        fprintf(stderr, "unknown key %s\n", key);
        exit(1);
    }
    return i;
}

/* Creates with defaults overridden by "key", value pairs (NULL-terminated). */
static lathe_fx *make(int channels, size_t max_block, ...)
{
    double p[64];
    va_list ap;
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    va_start(ap, max_block);
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
        p[idx(k)] = va_arg(ap, double);
    va_end(ap);
    lathe_fx_setup setup = { FS, channels, max_block, 0 };
    lathe_fx *fx = NULL;
    if (lathe_fx_create(cls, &setup, p, &fx) != LATHE_OK) {
        fprintf(stderr, "create failed\n");
        exit(1);
    }
    return fx;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

/* Processes CH in blocks of BLOCK frames. */
static void run(lathe_fx *fx, float **ch, int nch, size_t n, size_t block)
{
    for (size_t o = 0; o < n; o += block) {
        float *p[8];
        size_t k = n - o < block ? n - o : block;
        for (int c = 0; c < nch; c++)
            p[c] = ch[c] + o;
        lathe_fx_process(fx, p, k);
    }
}

/* Static curve: steady 1 kHz sines (peaks land on samples) across the knee. */
static void test_static_curve(int sanitized)
{
    const double t = -20.0, r = 4.0, w = 10.0;
    const size_t n = (size_t)(FS * (sanitized ? 0.6 : 1.2)), tail = (size_t)(0.25 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double worst[2] = { 0, 0 };
    for (int det = 0; det < 2; det++) {
        for (double level = -36.0; level <= 0.01; level += 2.0) {
            /* Peak detection sees the sine's peak; RMS its RMS (3.01 dB lower). */
            double amp = pow(10.0, level / 20.0);
            for (size_t i = 0; i < n; i++)
                x[i] = y[i] = (float)(amp * sin(2.0 * M_PI * 1000.0 * (double)i / FS));
            lathe_fx *fx = make(1, 4096, "threshold_db", t, "ratio", r, "knee_db", w,
                                "attack_ms", 5.0, "release_ms", 1000.0, "detector", (double)det,
                                (char *)NULL);
            float *ch[1] = { y };
            run(fx, ch, 1, n, 4096);
            lathe_fx_destroy(fx);
            double got = 20.0 * log10(rms(x + n - tail, tail) / rms(y + n - tail, tail));
            double lev = det ? level - 10.0 * log10(2.0) : level;
            double want = giannoulis_gr(lev, t, r, w);
            char what[96];
            snprintf(what, sizeof what, "%s static GR at %.1f dB (T %.0f R %.0f W %.0f)",
                     det ? "rms" : "peak", lev, t, r, w);
            CHECK_NEAR(got, want, 0.1, what);
            worst[det] = fmax(worst[det], fabs(got - want));
        }
    }
    printf("static curve: worst deviation from Giannoulis eq. (4): peak %.4f dB, rms %.4f dB\n",
           worst[0], worst[1]);

    /* Hard knee, high ratio: T -30, R 50, W 0. */
    double worst_hard = 0;
    for (double level = -40.0; level <= 0.01; level += 5.0) {
        double amp = pow(10.0, level / 20.0);
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (float)(amp * sin(2.0 * M_PI * 1000.0 * (double)i / FS));
        lathe_fx *fx = make(1, 4096, "threshold_db", -30.0, "ratio", 50.0, "knee_db", 0.0,
                            "attack_ms", 2.0, "release_ms", 2000.0, (char *)NULL);
        float *ch[1] = { y };
        run(fx, ch, 1, n, 4096);
        lathe_fx_destroy(fx);
        double got = 20.0 * log10(rms(x + n - tail, tail) / rms(y + n - tail, tail));
        double want = giannoulis_gr(level, -30.0, 50.0, 0.0);
        CHECK_NEAR(got, want, 0.1, "hard-knee 50:1 static GR");
        worst_hard = fmax(worst_hard, fabs(got - want));
    }
    printf("static curve, hard knee 50:1: worst deviation %.4f dB\n", worst_hard);
    free(x);
    free(y);
}

/* GR in dB of the output against a DC input (exact: no detector ripple). */
static double gr_at(const float *x, const float *y, size_t i)
{
    return -20.0 * log10((double)y[i] / (double)x[i]);
}

/* DC level steps: quiet (-40 dBFS), loud (LOUD_S seconds at -6.02 dBFS), quiet.
 * Returns the attack and release times (s) to 63.2 % of the way, and the final GR. */
static void step_times(double attack_ms, double release_ms, int autorel, double loud_s,
                       double *att_s, double *rel_s, double *gr_loud, lathe_fx_stats *st)
{
    const size_t n0 = (size_t)(0.2 * FS), n1 = n0 + (size_t)(loud_s * FS);
    const size_t n = n1 + (size_t)(6.0 * release_ms * 1e-3 * FS * (autorel ? 5 : 1)) + 4800;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = y[i] = (i >= n0 && i < n1) ? 0.5f : 0.01f;
    lathe_fx *fx = make(1, 1000, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                        "attack_ms", attack_ms, "release_ms", release_ms, "release_mode",
                        (double)autorel, (char *)NULL);
    float *ch[1] = { y };
    run(fx, ch, 1, n, 1000);
    if (st)
        lathe_fx_get_stats(fx, st);
    lathe_fx_destroy(fx);
    double g = gr_at(x, y, n1 - 1);
    size_t i = n0;
    while (i < n1 && gr_at(x, y, i) < (1.0 - exp(-1.0)) * g)
        i++;
    *att_s = (double)(i - n0 + 1) / FS;
    i = n1;
    while (i < n && gr_at(x, y, i) > exp(-1.0) * g)
        i++;
    *rel_s = (double)(i - n1 + 1) / FS;
    *gr_loud = g;
    free(x);
    free(y);
}

static void test_time_constants(void)
{
    const double cases[][2] = { { 5, 100 }, { 1, 50 }, { 20, 300 }, { 50, 1000 }, { 0.5, 10 } };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double a, r, g;
        step_times(cases[k][0], cases[k][1], 0, 1.0, &a, &r, &g, NULL);
        printf("attack %g ms -> %.3f ms, release %g ms -> %.3f ms (GR %.3f dB)\n", cases[k][0],
               a * 1e3, cases[k][1], r * 1e3, g);
        CHECK_RANGE(a * 1e3, 0.9 * cases[k][0], 1.1 * cases[k][0], "attack time constant");
        CHECK_RANGE(r * 1e3, 0.9 * cases[k][1], 1.1 * cases[k][1], "release time constant");
        /* Static GR of a DC level is exact: (20 log10(0.5) + 20) * (1 - 1/4). */
        CHECK_NEAR(g, (20.0 * log10(0.5) + 20.0) * 0.75, 1e-4, "GR at the end of the loud step");
    }
    /* Release shorter than the attack: the fall follows the attack smoothing (documented). */
    double a, r, g;
    step_times(30, 10, 0, 1.0, &a, &r, &g, NULL);
    printf("attack 30 ms, release 10 ms -> fall %.3f ms (follows the attack)\n", r * 1e3);
    CHECK_RANGE(r * 1e3, 27.0, 33.0, "release shorter than attack falls with the attack");

    /* Program-dependent release: a 20 ms burst recovers with release_ms, a 2 s one with
     * 5 x release_ms (the slow stage is charged: 1 - exp(-2 / 0.15) ~ 1). */
    step_times(1, 100, 1, 0.020, &a, &r, &g, NULL);
    printf("auto release after a 20 ms burst: %.3f ms (release 100 ms)\n", r * 1e3);
    CHECK_RANGE(r * 1e3, 90.0, 110.0, "auto release, short burst");
    step_times(1, 100, 1, 2.0, &a, &r, &g, NULL);
    printf("auto release after a 2 s burst: %.3f ms (5 x 100 ms)\n", r * 1e3);
    CHECK_RANGE(r * 1e3, 450.0, 550.0, "auto release, sustained");
    CHECK_RANGE(a * 1e3, 0.9, 1.1, "auto release keeps the attack");

    /* Stats over the step test: the deepest GR is the static value; mean and active
     * share agree with the GR recomputed from the output. */
    lathe_fx_stats st;
    step_times(5, 100, 0, 1.0, &a, &r, &g, &st);
    CHECK_NEAR(st.gr_max_db, g, 1e-3, "stats: max GR");
    {
        /* Re-run to integrate the GR from the output. */
        const size_t n0 = (size_t)(0.2 * FS), n1 = n0 + (size_t)FS;
        const size_t n = n1 + (size_t)(6.0 * 0.1 * FS) + 4800;
        float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (i >= n0 && i < n1) ? 0.5f : 0.01f;
        lathe_fx *fx = make(1, 1000, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                            "attack_ms", 5.0, "release_ms", 100.0, (char *)NULL);
        float *ch[1] = { y };
        run(fx, ch, 1, n, 1000);
        lathe_fx_destroy(fx);
        double sum = 0;
        size_t active = 0;
        for (size_t i = 0; i < n; i++) {
            double gi = gr_at(x, y, i);
            sum += gi;
            active += gi > 0.1;
        }
        CHECK_NEAR(st.gr_mean_db, sum / (double)n, 1e-4, "stats: mean GR");
        CHECK_NEAR(st.gr_active_percent, 100.0 * (double)active / (double)n, 0.01,
                   "stats: active share");
        printf("stats: max %.3f dB, mean %.3f dB, active %.2f %%\n", st.gr_max_db, st.gr_mean_db,
               st.gr_active_percent);
        free(x);
        free(y);
    }
}

static void test_link_modes(void)
{
    const size_t n = (size_t)(0.5 * FS), tail = (size_t)(0.2 * FS);
    float *l0 = malloc(n * sizeof *l0), *r0 = malloc(n * sizeof *r0);
    float *l = malloc(n * sizeof *l), *r = malloc(n * sizeof *r);
    float *ch[2] = { l, r };
    const double want = giannoulis_gr(20.0 * log10(0.5), -20.0, 4.0, 0.0);

    /* Loud left (-6 dB), quiet right (-40 dB). */
    for (size_t i = 0; i < n; i++) {
        double s = sin(2.0 * M_PI * 1000.0 * (double)i / FS);
        l0[i] = (float)(0.5 * s);
        r0[i] = (float)(0.01 * s);
    }
    for (int mode = 0; mode < 2; mode++) {
        memcpy(l, l0, n * sizeof *l);
        memcpy(r, r0, n * sizeof *r);
        lathe_fx *fx = make(2, 4096, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                            "attack_ms", 2.0, "release_ms", 1000.0, "link", (double)mode,
                            (char *)NULL);
        run(fx, ch, 2, n, 4096);
        lathe_fx_destroy(fx);
        double gl = 20.0 * log10(rms(l0 + n - tail, tail) / rms(l + n - tail, tail));
        double gr = 20.0 * log10(rms(r0 + n - tail, tail) / rms(r + n - tail, tail));
        printf("%s: GR left %.4f dB, right %.4f dB (static %.4f)\n",
               mode ? "independent" : "linked", gl, gr, want);
        CHECK_NEAR(gl, want, 0.1, "loud channel GR");
        if (mode == 0) {
            CHECK_NEAR(gr, gl, 1e-3, "linked: the quiet channel gets the same GR");
        } else {
            CHECK(!memcmp(r, r0, n * sizeof *r), "independent: quiet channel untouched (GR %g)", gr);
        }
    }

    /* Mid/side: loud mid (1 kHz), quiet side (3.1 kHz). Side must pass untouched in
     * mid_side mode, and be compressed along with the mid in linked mode. */
    for (size_t i = 0; i < n; i++) {
        double a = 0.5 * sin(2.0 * M_PI * 1000.0 * (double)i / FS);
        double b = 0.01 * sin(2.0 * M_PI * 3100.0 * (double)i / FS);
        l0[i] = (float)(a + b);
        r0[i] = (float)(a - b);
    }
    double side_gr[2];
    const double want_lr = giannoulis_gr(20.0 * log10(0.51), -20.0, 4.0, 0.0);
    for (int k = 0; k < 2; k++) {
        int mode = k ? 2 : 0;
        memcpy(l, l0, n * sizeof *l);
        memcpy(r, r0, n * sizeof *r);
        lathe_fx *fx = make(2, 4096, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                            "attack_ms", 2.0, "release_ms", 1000.0, "link", (double)mode,
                            (char *)NULL);
        run(fx, ch, 2, n, 4096);
        lathe_fx_destroy(fx);
        double m0 = 0, m1 = 0, s0 = 0, s1 = 0, serr = 0;
        for (size_t i = n - tail; i < n; i++) {
            double mi = 0.5 * ((double)l0[i] + r0[i]), si = 0.5 * ((double)l0[i] - r0[i]);
            double mo = 0.5 * ((double)l[i] + r[i]), so = 0.5 * ((double)l[i] - r[i]);
            m0 += mi * mi;
            m1 += mo * mo;
            s0 += si * si;
            s1 += so * so;
            serr = fmax(serr, fabs(so - si));
        }
        double gm = 10.0 * log10(m0 / m1);
        side_gr[k] = 10.0 * log10(s0 / s1);
        printf("%s: mid GR %.4f dB, side GR %.4f dB, side max error %.3g\n",
               mode ? "mid_side" : "linked", gm, side_gr[k], serr);
        /* Linked mode detects max(|L|, |R|), whose peak is 0.5 + 0.01. */
        CHECK_NEAR(gm, mode ? want : want_lr, 0.1, "mid GR");
        if (mode == 2)
            CHECK(serr < 2e-7, "mid_side: side untouched (max error %g)", serr);
    }
    CHECK_NEAR(side_gr[0], want_lr, 0.1, "linked: side reduced with the mid");
    CHECK(fabs(side_gr[1]) < 1e-3, "mid_side: side GR %g dB", side_gr[1]);

    /* Pure side (L = -R) in mid_side mode: compressed as side, stays pure side. */
    for (size_t i = 0; i < n; i++) {
        l0[i] = (float)(0.5 * sin(2.0 * M_PI * 1000.0 * (double)i / FS));
        r0[i] = -l0[i];
    }
    memcpy(l, l0, n * sizeof *l);
    memcpy(r, r0, n * sizeof *r);
    lathe_fx *fx = make(2, 4096, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                        "attack_ms", 2.0, "release_ms", 1000.0, "link", 2.0, (char *)NULL);
    run(fx, ch, 2, n, 4096);
    lathe_fx_destroy(fx);
    int pure = 1;
    for (size_t i = 0; i < n; i++)
        pure &= l[i] == -r[i];
    CHECK(pure, "mid_side: a pure side signal stays pure side");
    double gs = 20.0 * log10(rms(l0 + n - tail, tail) / rms(l + n - tail, tail));
    CHECK_NEAR(gs, want, 0.1, "mid_side: side compressed by the static curve");
    free(l0);
    free(r0);
    free(l);
    free(r);
}

static void test_lookahead_mix_null(void)
{
    const size_t n = (size_t)(0.5 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *x2 = malloc(n * sizeof *x2), *y2 = malloc(n * sizeof *y2);
    float *ch[2] = { y, y2 };
    for (size_t i = 0; i < n; i++) {
        x[i] = y[i] = (float)(0.9 * noise());
        x2[i] = y2[i] = (float)(0.7 * noise());
    }

    /* Ratio 1 with lookahead 5 ms: latency 240 frames, output = input delayed, bit for bit. */
    lathe_fx *fx = make(2, 512, "ratio", 1.0, "lookahead_ms", 5.0, "threshold_db", -40.0,
                        "detector", 1.0, "release_mode", 1.0, "sidechain_hp_hz", 100.0,
                        "link", 2.0, (char *)NULL);
    size_t lat = lathe_fx_latency(fx);
    CHECK(lat == 240, "lookahead 5 ms at 48 kHz: latency %zu frames, want 240", lat);
    lathe_fx_set_param(fx, idx("lookahead_ms"), 10.0);
    CHECK(lathe_fx_latency(fx) == 240, "latency constant after a lookahead change");
    run(fx, ch, 2, n, 512);
    lathe_fx_destroy(fx);
    int exact = 1;
    for (size_t i = 0; i < n; i++)
        exact &= y[i] == (i >= lat ? x[i - lat] : 0.0f) && y2[i] == (i >= lat ? x2[i - lat] : 0.0f);
    CHECK(exact, "ratio 1: output is the input delayed by the latency, bit for bit");

    /* Threshold above the signal (0 dBFS, knee 6: knee starts at -3 dBFS; signal <= -6 dBFS). */
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] = (float)(0.5 * noise());
    fx = make(1, 4096, "threshold_db", 0.0, "knee_db", 6.0, "ratio", 20.0, (char *)NULL);
    run(fx, ch, 1, n, 4096);
    lathe_fx_stats st;
    lathe_fx_get_stats(fx, &st);
    lathe_fx_destroy(fx);
    CHECK(!memcmp(x, y, n * sizeof *x), "threshold above the signal: bit-exact null");
    CHECK(st.gr_max_db == 0.0 && st.gr_active_percent == 0.0, "no GR reported (%g)", st.gr_max_db);

    /* Parallel mix 0 % with heavy compression and lookahead: the delayed dry signal. */
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] = (float)(0.9 * noise());
    fx = make(1, 333, "threshold_db", -40.0, "ratio", 20.0, "lookahead_ms", 2.0, "mix_percent",
              0.0, "makeup_db", 12.0, (char *)NULL);
    lat = lathe_fx_latency(fx);
    run(fx, ch, 1, n, 333);
    lathe_fx_destroy(fx);
    exact = lat == 96;
    for (size_t i = 0; i < n; i++)
        exact &= y[i] == (i >= lat ? x[i - lat] : 0.0f);
    CHECK(exact, "mix 0 %%: output is the dry input delayed by %zu frames", lat);

    /* Mix 50 % and makeup on a steady DC level: out/in = 1 + 0.5 (g * makeup - 1). */
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] = 0.5f;
    fx = make(1, 4096, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0, "mix_percent", 50.0,
              "makeup_db", 3.0, "attack_ms", 1.0, (char *)NULL);
    run(fx, ch, 1, n, 4096);
    lathe_fx_destroy(fx);
    double g = pow(10.0, -giannoulis_gr(20.0 * log10(0.5), -20.0, 4.0, 0.0) / 20.0);
    double want = 0.5 * (1.0 + 0.5 * (g * pow(10.0, 3.0 / 20.0) - 1.0));
    CHECK_NEAR(y[n - 1], want, 1e-6, "mix 50 %, makeup 3 dB on a DC step");

    /* Makeup alone below threshold: exact gain. */
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] = 0.01f;
    fx = make(1, 4096, "makeup_db", 6.0, (char *)NULL);
    run(fx, ch, 1, n, 4096);
    lathe_fx_destroy(fx);
    CHECK_NEAR(y[n - 1], 0.01 * pow(10.0, 6.0 / 20.0), 1e-8, "makeup 6 dB below threshold");

    /* Lookahead alignment on a DC step at N0: the loud part leaves at N0 + latency, with
     * the attack already under way for latency + 1 samples. */
    const size_t n0 = 12000;
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] = i >= n0 ? 0.5f : 0.01f;
    fx = make(1, 100, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0, "attack_ms", 5.0,
              "lookahead_ms", 5.0, (char *)NULL);
    lat = lathe_fx_latency(fx);
    run(fx, ch, 1, n, 100);
    lathe_fx_destroy(fx);
    double gfinal = giannoulis_gr(20.0 * log10(0.5), -20.0, 4.0, 0.0);
    double g_edge = -20.0 * log10(y[n0 + lat] / 0.5);
    double want_edge = gfinal * (1.0 - exp(-(double)(lat + 1) / (0.005 * FS)));
    printf("lookahead: latency %zu, GR at the delayed step %.4f dB (analytic %.4f)\n", lat, g_edge,
           want_edge);
    CHECK(fabs(y[n0 + lat - 1]) < 0.0101 && y[n0 + lat] > 0.2, "step aligned at N0 + latency");
    CHECK_NEAR(g_edge, want_edge, 0.01, "GR already built up when the step leaves");
    CHECK_NEAR(-20.0 * log10(y[n - 1] / 0.5), gfinal, 1e-4, "final GR with lookahead");
    free(x);
    free(y);
    free(x2);
    free(y2);
}

static void test_sidechain_hp(void)
{
    const size_t n = (size_t)(0.6 * FS), tail = (size_t)(0.2 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *ch[1] = { y };
    double got[2];
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (float)(0.5 * sin(2.0 * M_PI * 40.0 * (double)i / FS));
        lathe_fx *fx = make(1, 4096, "threshold_db", -20.0, "ratio", 4.0, "knee_db", 0.0,
                            "attack_ms", 2.0, "release_ms", 2000.0, "sidechain_hp_hz",
                            k ? 400.0 : 0.0, (char *)NULL);
        run(fx, ch, 1, n, 4096);
        lathe_fx_destroy(fx);
        got[k] = 20.0 * log10(rms(x + n - tail, tail) / rms(y + n - tail, tail));
    }
    /* 40 Hz through a 2nd-order Butterworth high-pass at 400 Hz: about -40 dB, so the
     * detector sees -46 dBFS, far below the -20 dB threshold. */
    printf("40 Hz at -6 dBFS: GR %.4f dB without sidechain HP, %.6f dB with 400 Hz HP\n", got[0],
           got[1]);
    CHECK(got[0] > 9.0, "no sidechain filter: bass compressed (%g dB)", got[0]);
    CHECK(fabs(got[1]) < 0.01, "400 Hz sidechain HP: bass not compressed (%g dB)", got[1]);
    free(x);
    free(y);
}

static void test_blocks_and_glide(void)
{
    const size_t n = 30000;
    float *a[2], *b[2];
    for (int c = 0; c < 2; c++) {
        a[c] = malloc(n * sizeof(float));
        b[c] = malloc(n * sizeof(float));
    }
    for (size_t i = 0; i < n; i++) {
        double env = (i / 3000) % 2 ? 0.9 : 0.05;
        a[0][i] = b[0][i] = (float)(env * noise());
        a[1][i] = b[1][i] = (float)(env * noise());
    }
    lathe_fx *f1 = make(2, 4096, "threshold_db", -30.0, "ratio", 6.0, "lookahead_ms", 3.0,
                        "release_mode", 1.0, "detector", 1.0, "link", 2.0, "mix_percent", 70.0,
                        "makeup_db", 3.0, "sidechain_hp_hz", 80.0, (char *)NULL);
    lathe_fx *f2 = make(2, 97, "threshold_db", -30.0, "ratio", 6.0, "lookahead_ms", 3.0,
                        "release_mode", 1.0, "detector", 1.0, "link", 2.0, "mix_percent", 70.0,
                        "makeup_db", 3.0, "sidechain_hp_hz", 80.0, (char *)NULL);
    run(f1, a, 2, n, 4096);
    for (size_t o = 0; o < n;) {
        size_t k = 1 + (size_t)((noise() + 1.0) * 48.0);
        if (k > 97)
            k = 97;
        if (k > n - o)
            k = n - o;
        float *p[2] = { b[0] + o, b[1] + o };
        lathe_fx_process(f2, p, k);
        o += k;
    }
    CHECK(!memcmp(a[0], b[0], n * sizeof(float)) && !memcmp(a[1], b[1], n * sizeof(float)),
          "output independent of the block sizes");
    int finite = 1;
    for (size_t i = 0; i < n; i++)
        finite &= isfinite(a[0][i]) && isfinite(a[1][i]);
    CHECK(finite, "output finite");
    /* Reset: run again after reset, same output as the fresh instance gave. */
    float *c0 = malloc(n * sizeof(float)), *c1 = malloc(n * sizeof(float));
    rng = 12345;
    for (size_t i = 0; i < n; i++) {
        double env = (i / 3000) % 2 ? 0.9 : 0.05;
        c0[i] = (float)(env * noise());
        c1[i] = (float)(env * noise());
    }
    memcpy(a[0], c0, n * sizeof(float));
    memcpy(a[1], c1, n * sizeof(float));
    memcpy(b[0], c0, n * sizeof(float));
    memcpy(b[1], c1, n * sizeof(float));
    lathe_fx_reset(f1);
    run(f1, a, 2, n, 4096);
    lathe_fx *f3 = make(2, 4096, "threshold_db", -30.0, "ratio", 6.0, "lookahead_ms", 3.0,
                        "release_mode", 1.0, "detector", 1.0, "link", 2.0, "mix_percent", 70.0,
                        "makeup_db", 3.0, "sidechain_hp_hz", 80.0, (char *)NULL);
    run(f3, b, 2, n, 4096);
    lathe_fx_destroy(f3);
    CHECK(!memcmp(a[0], b[0], n * sizeof(float)) && !memcmp(a[1], b[1], n * sizeof(float)),
          "reset restores the state of a new instance");
    free(c0);
    free(c1);
    lathe_fx_destroy(f1);
    lathe_fx_destroy(f2);

    /* Makeup glide on a steady DC below threshold: 0 -> 12 dB over 20 ms, no step. */
    for (size_t i = 0; i < n; i++)
        a[0][i] = 0.01f;
    lathe_fx *fx = make(1, 4096, (char *)NULL);
    float *ch[1] = { a[0] };
    lathe_fx_process(fx, ch, 1000);
    lathe_fx_set_param(fx, idx("makeup_db"), 12.0);
    ch[0] = a[0] + 1000;
    lathe_fx_process(fx, ch, 4000);
    double max_step = 0;
    for (size_t i = 1; i < 5000; i++)
        max_step = fmax(max_step, fabs(20.0 * log10(a[0][i] / a[0][i - 1])));
    printf("makeup 0 -> 12 dB glide: largest step %.4f dB\n", max_step);
    CHECK(max_step < 0.05, "makeup glides (largest step %.4f dB)", max_step);
    CHECK_NEAR(a[0][4999], 0.01 * pow(10.0, 0.6), 1e-7, "makeup reaches 12 dB");
    lathe_fx_destroy(fx);
    for (int c = 0; c < 2; c++) {
        free(a[c]);
        free(b[c]);
    }
}

int main(void)
{
    int sanitized = getenv("LATHE_SANITIZED") != NULL;
    cls = lathe_fx_class_find("compressor");
    CHECK(cls != NULL && cls == &lathe_fx_compressor, "compressor is registered");
    if (!cls)
        return test_summary();
    test_static_curve(sanitized);
    test_time_constants();
    test_link_modes();
    test_lookahead_mix_null();
    test_sidechain_hp();
    test_blocks_and_glide();
    return test_summary();
}
