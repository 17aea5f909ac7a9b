/* SPDX-License-Identifier: GPL-3.0-or-later */
/* limiter: detection replay (src/fx/limiter.h), as the master engine uses it between
 * loudness passes. [gain -> limiter] runs on a driven stereo signal: recording changes
 * nothing in the output; replaying a recording made 1.5 dB lower (or 1 dB higher) gives
 * the output of a live run at the new gain within float rounding, with the same gain
 * reduction, and keeps the true peak (libebur128) under the ceiling; a recording made
 * without headroom, replayed higher, over-limits (the headroom is what makes replay
 * valid: this is the check that the comparison can fail); replay is refused for
 * independent channels and a non-unity input gain. */
#include <ebur128.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fx/limiter.h"
#include "lathe/fx.h"
#include "testutil.h"

extern const lathe_fx_class lathe_fx_limiter;
extern const lathe_fx_class lathe_fx_gain;

#define RATE 44100
#define BLOCK 1024
#define CEILING_DB (-1.0)

static uint64_t rng = 0x243F6A8885A308D3ull;

typedef struct run {
    float *y[2];                /* output, n + latency frames (latency removed) */
    float *peaks;               /* RECORD: the recording */
    lathe_fx_stats st;
} run;

/* [gain GAIN_DB -> limiter] over X[2][N] plus the limiter's latency of zeros, in
 * blocks of BLOCK; MODE with PEAKS/HEADROOM/SCALE as lathe_limiter_set_detection. */
static run process(float *const *x, size_t n, double gain_db, lathe_limiter_detection mode,
                   float *peaks, double headroom, double scale)
{
    run r;
    memset(&r, 0, sizeof r);
    lathe_fx_setup setup = { RATE, 2, BLOCK, 0 };
    lathe_fx *g = NULL, *lim = NULL;
    if (lathe_fx_create(&lathe_fx_gain, &setup, NULL, &g) != LATHE_OK
        || lathe_fx_create(&lathe_fx_limiter, &setup, NULL, &lim) != LATHE_OK)
        abort();
    lathe_fx_set_param(g, lathe_fx_param_index(&lathe_fx_gain, "gain_db"), gain_db);
    lathe_fx_set_param(lim, lathe_fx_param_index(&lathe_fx_limiter, "ceiling_dbtp"), CEILING_DB);
    lathe_fx_reset(g);
    lathe_fx_reset(lim);
    const size_t lat = lathe_fx_latency(lim), total = n + lat;
    for (int c = 0; c < 2; c++)
        if (!(r.y[c] = calloc(total, sizeof(float))))
            abort();
    CHECK(lathe_limiter_can_replay(lim), "a linked limiter at unity input gain can replay");
    float buf0[BLOCK], buf1[BLOCK];
    float *blk[2] = { buf0, buf1 };
    for (size_t off = 0; off < total; off += BLOCK) {
        size_t m = total - off < BLOCK ? total - off : BLOCK;
        for (size_t i = 0; i < m; i++) {
            buf0[i] = off + i < n ? x[0][off + i] : 0.0f;
            buf1[i] = off + i < n ? x[1][off + i] : 0.0f;
        }
        lathe_limiter_set_detection(lim, mode, peaks ? peaks + off : NULL, headroom, scale);
        lathe_fx_process(g, blk, m);
        lathe_fx_process(lim, blk, m);
        for (size_t i = 0; i < m; i++) {
            r.y[0][off + i] = buf0[i];
            r.y[1][off + i] = buf1[i];
        }
    }
    lathe_fx_get_stats(lim, &r.st);
    for (int c = 0; c < 2; c++)     /* drop the latency: output aligned with the input */
        memmove(r.y[c], r.y[c] + lat, sizeof(float) * n);
    lathe_fx_destroy(g);
    lathe_fx_destroy(lim);
    return r;
}

static double max_diff(const run *a, const run *b, size_t n)
{
    double m = 0.0;
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < n; i++)
            m = fmax(m, fabs((double)a->y[c][i] - (double)b->y[c][i]));
    return m;
}

static double true_peak_db(const run *r, size_t n)
{
    ebur128_state *st = ebur128_init(2, RATE, EBUR128_MODE_TRUE_PEAK);
    float *il = malloc(sizeof(float) * 2 * n);
    if (!st || !il)
        abort();
    for (size_t i = 0; i < n; i++) {
        il[2 * i] = r->y[0][i];
        il[2 * i + 1] = r->y[1][i];
    }
    ebur128_add_frames_float(st, il, n);
    double a = 0.0, b = 0.0;
    ebur128_true_peak(st, 0, &a);
    ebur128_true_peak(st, 1, &b);
    ebur128_destroy(&st);
    free(il);
    return 20.0 * log10(fmax(a, b));
}

static void run_free(run *r)
{
    free(r->y[0]);
    free(r->y[1]);
}

int main(void)
{
    const int sanitized = getenv("LATHE_SANITIZED") != NULL;
    const size_t n = (size_t)RATE * (sanitized ? 1 : 4);
    float *x[2];
    for (int c = 0; c < 2; c++)
        if (!(x[c] = malloc(sizeof(float) * n)))
            abort();
    /* bass, a chord, near-Nyquist content and noise bursts every 250 ms */
    double lp0 = 0.0, lp1 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double t = (double)i / RATE;
        const double env = exp(-fmod(t, 0.25) * 18.0);
        lp0 += 0.5 * (test_rand_pm1(&rng) - lp0);
        lp1 += 0.5 * (test_rand_pm1(&rng) - lp1);
        const double base = 0.25 * sin(2 * M_PI * 55.0 * t) + 0.12 * sin(2 * M_PI * 440.0 * t)
                          + 0.08 * sin(2 * M_PI * 659.3 * t) + 0.02 * sin(2 * M_PI * 19000.0 * t);
        x[0][i] = (float)(base + 0.5 * env * lp0);
        x[1][i] = (float)(0.9 * base + 0.5 * env * lp1 + 0.05 * sin(2 * M_PI * 3000.0 * t));
    }
    float *peaks = malloc(sizeof(float) * (n + (size_t)RATE));
    if (!peaks)
        abort();
    const double headroom = pow(10.0, 2.0 / 20.0), eps = 1.0 + LATHE_LIMITER_REPLAY_EPS;
    const double g1 = 3.0;

    /* recording changes nothing */
    run live1 = process(x, n, g1, LATHE_LIMITER_LIVE, NULL, 1.0, 1.0);
    run rec = process(x, n, g1, LATHE_LIMITER_RECORD, peaks, headroom, 1.0);
    CHECK(max_diff(&live1, &rec, n) == 0.0, "recording changed the output (max diff %g)",
          max_diff(&live1, &rec, n));
    CHECK(live1.st.gr_max_db > 1.0 && live1.st.gr_active_percent > 5.0,
          "the signal drives the limiter (max %.2f dB, active %.1f %%)", live1.st.gr_max_db,
          live1.st.gr_active_percent);

    /* replay 1.5 dB higher and 3 dB lower against live runs at those gains */
    const double steps[2] = { 1.5, -1.0 };
    for (int k = 0; k < 2; k++) {
        const double g2 = g1 + steps[k];
        run live2 = process(x, n, g2, LATHE_LIMITER_LIVE, NULL, 1.0, 1.0);
        run rep = process(x, n, g2, LATHE_LIMITER_REPLAY, peaks, 1.0,
                          pow(10.0, steps[k] / 20.0) * eps);
        const double d = max_diff(&live2, &rep, n);
        printf("replay %+.1f dB: max |replay - live| %.3g (%.1f dB FS), gr max %.4f / %.4f dB, "
               "mean %.5f / %.5f dB\n", steps[k], d, 20.0 * log10(d + 1e-30), rep.st.gr_max_db,
               live2.st.gr_max_db, rep.st.gr_mean_db, live2.st.gr_mean_db);
        CHECK(d < 1e-4, "replay %+.1f dB: max |replay - live| %g", steps[k], d);
        CHECK_NEAR(rep.st.gr_max_db, live2.st.gr_max_db, 1e-3, "replay gr max (dB)");
        CHECK_NEAR(rep.st.gr_mean_db, live2.st.gr_mean_db, 5e-4, "replay gr mean (dB)");
        const double tp = true_peak_db(&rep, n);
        CHECK(tp <= CEILING_DB, "replay %+.1f dB: true peak %.4f dBTP over the ceiling", steps[k], tp);
        run_free(&live2);
        run_free(&rep);
    }

    /* without headroom the recorded bounds, scaled up, are taken for peaks */
    {
        run rec0 = process(x, n, g1, LATHE_LIMITER_RECORD, peaks, 1.0, 1.0);
        run live2 = process(x, n, g1 + 1.5, LATHE_LIMITER_LIVE, NULL, 1.0, 1.0);
        run bad = process(x, n, g1 + 1.5, LATHE_LIMITER_REPLAY, peaks, 1.0,
                          pow(10.0, 1.5 / 20.0) * eps);
        printf("no headroom: gr mean %.5f dB against live %.5f dB\n", bad.st.gr_mean_db,
               live2.st.gr_mean_db);
        CHECK(bad.st.gr_mean_db > live2.st.gr_mean_db + 0.01,
              "a recording without headroom should over-limit when replayed higher (%.5f vs %.5f)",
              bad.st.gr_mean_db, live2.st.gr_mean_db);
        run_free(&rec0);
        run_free(&live2);
        run_free(&bad);
    }

    /* refused where it cannot hold */
    {
        lathe_fx_setup setup = { RATE, 2, BLOCK, 0 };
        lathe_fx *lim = NULL;
        if (lathe_fx_create(&lathe_fx_limiter, &setup, NULL, &lim) != LATHE_OK)
            abort();
        lathe_fx_set_param(lim, lathe_fx_param_index(&lathe_fx_limiter, "link"), 1.0);
        lathe_fx_reset(lim);
        CHECK(!lathe_limiter_can_replay(lim), "independent channels cannot replay");
        lathe_fx_set_param(lim, lathe_fx_param_index(&lathe_fx_limiter, "link"), 0.0);
        lathe_fx_set_param(lim, lathe_fx_param_index(&lathe_fx_limiter, "input_gain_db"), 3.0);
        lathe_fx_reset(lim);
        CHECK(!lathe_limiter_can_replay(lim), "a non-unity input gain cannot replay");
        CHECK(!lathe_limiter_can_replay(NULL), "NULL is no limiter");
        lathe_fx_destroy(lim);
        lathe_fx *g = NULL;
        if (lathe_fx_create(&lathe_fx_gain, &setup, NULL, &g) != LATHE_OK)
            abort();
        CHECK(!lathe_limiter_can_replay(g), "a gain stage is no limiter");
        lathe_limiter_set_detection(g, LATHE_LIMITER_REPLAY, peaks, 1.0, 1.0); /* no-op */
        lathe_fx_destroy(g);
    }

    run_free(&live1);
    run_free(&rec);
    free(peaks);
    free(x[0]);
    free(x[1]);
    return test_summary();
}
