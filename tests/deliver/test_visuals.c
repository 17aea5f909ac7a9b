/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plot data of the analyzer (lathe_visuals) against analytic expectations: the
 * waveform overview of a noisy ramp column by column (with a length hint, and without one,
 * where the reservoir merges), correlation of identical, inverted, independent and
 * silent channels, and the stereo density cells of single-channel, mono, anti-phase
 * and fixed-level signals; plus the A/B excerpt's choice of the loudest passage. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "deliver/report_internal.h"
#include "lathe/lathe.h"
#include "meter/visuals.h"
#include "testutil.h"

#define RATE 8000

/* Feeds N frames of L, R (R may be NULL for mono) in uneven blocks. */
static void feed(lathe_visuals_meter *m, const float *l, const float *r, size_t n)
{
    size_t off = 0, blk = 1;
    while (off < n) {
        size_t k = n - off < blk ? n - off : blk;
        const float *ch[2] = { l + off, r ? r + off : NULL };
        lathe_visuals_meter_process(m, ch, k);
        off += k;
        blk = blk * 3 % 5000 + 7;
    }
}

/* A test signal whose extremes fall anywhere in a column: a slow ramp plus noise. */
static float *signal(size_t n)
{
    float *x = malloc(sizeof(float) * n);
    unsigned s = 99;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(0.5 * (double)i / (double)n + 0.4 * ((s >> 8) / 8388608.0 - 1.0));
    }
    return x;
}

/* Column k covers frames [k * step, (k + 1) * step): its extremes and RMS by definition. */
static void check_columns(const lathe_visuals *v, const float *x, size_t n, const char *what)
{
    int bad_min = 0, bad_max = 0, bad_rms = 0;
    size_t step = (size_t)v->wave_step_frames;
    CHECK(v->wave_count == (n + step - 1) / step, "%s: %zu columns of %zu frames for %zu frames",
          what, v->wave_count, step, n);
    for (size_t k = 0; k < v->wave_count; k++) {
        size_t a = k * step, b = (k + 1) * step < n ? (k + 1) * step : n;
        double ss = 0.0;
        float lo = x[a], hi = x[a];
        for (size_t i = a; i < b; i++) {
            ss += (double)x[i] * x[i];
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
        bad_min += v->wave_min[0][k] != lo;
        bad_max += v->wave_max[0][k] != hi;
        bad_rms += fabs(v->wave_rms[0][k] - sqrt(ss / (double)(b - a))) > 1e-6;
    }
    CHECK(!bad_min && !bad_max && !bad_rms, "%s: %d min, %d max, %d RMS columns wrong of %zu",
          what, bad_min, bad_max, bad_rms, v->wave_count);
}

static void test_waveform(void)
{
    const size_t n = (size_t)RATE * 10;
    float *x = signal(n);

    /* with the length known: ceil(n / 1500) frames a column, no merging */
    lathe_visuals_meter *m;
    lathe_visuals *v;
    CHECK(lathe_visuals_meter_create(RATE, 1, 0, (int64_t)n, &m) == LATHE_OK, "create");
    feed(m, x, NULL, n);
    CHECK(lathe_visuals_meter_finish(m, &v) == LATHE_OK, "finish");
    lathe_visuals_meter_destroy(m);
    size_t step = (n + LATHE_VISUAL_COLUMNS - 1) / LATHE_VISUAL_COLUMNS;
    CHECK(v->wave_step_frames == (int64_t)step, "step %lld frames, want %zu",
          (long long)v->wave_step_frames, step);
    CHECK(v->wave_channels == 1 && v->corr_count == 0 && v->density_size == 0,
          "mono: 1 lane, no stereo data (%d, %zu, %d)", v->wave_channels, v->corr_count,
          v->density_size);
    check_columns(v, x, n, "with a length hint");
    lathe_visuals_free(v);
    free(x);

    /* without one (the public analyzer): columns start at 10 ms and merge in pairs */
    const size_t long_n = (size_t)RATE * 400;
    x = signal(long_n);
    lathe_analysis_config cfg;
    lathe_analyzer *an;
    lathe_analysis a;
    lathe_analysis_config_defaults(&cfg);
    cfg.visuals = 1;
    cfg.spectrum = cfg.true_peak = 0;
    CHECK(lathe_analyzer_create(&cfg, RATE, 1, NULL, &an) == LATHE_OK, "analyzer");
    const float *ch[1] = { x };
    lathe_analyzer_process(an, ch, long_n);
    CHECK(lathe_analyzer_finish(an, &a) == LATHE_OK && a.visuals, "visuals collected");
    lathe_analyzer_destroy(an);
    if (a.visuals) {
        const lathe_visuals *w = a.visuals;
        CHECK(w->wave_count >= LATHE_VISUAL_COLUMNS && w->wave_count <= 2 * LATHE_VISUAL_COLUMNS,
              "no hint: %zu columns, want 1500..3000", w->wave_count);
        int64_t s = w->wave_step_frames;
        CHECK(s % (RATE / 100) == 0 && ((s / (RATE / 100)) & (s / (RATE / 100) - 1)) == 0,
              "column of %lld frames is 10 ms times a power of two", (long long)s);
        check_columns(w, x, long_n, "without a length hint");
    }
    lathe_analysis_free(&a);
    CHECK(a.visuals == NULL, "lathe_analysis_free clears visuals");

    /* off by default */
    lathe_analysis_config_defaults(&cfg);
    CHECK(cfg.visuals == 0, "visuals off by default");
    lathe_analyzer_create(&cfg, RATE, 1, NULL, &an);
    lathe_analyzer_process(an, ch, RATE);
    lathe_analyzer_finish(an, &a);
    lathe_analyzer_destroy(an);
    CHECK(a.visuals == NULL, "no visuals unless asked for");
    lathe_analysis_free(&a);
    free(x);
}

static lathe_visuals *stereo_run(const float *l, const float *r, size_t n)
{
    lathe_visuals_meter *m;
    lathe_visuals *v = NULL;
    if (lathe_visuals_meter_create(RATE, 2, 1, (int64_t)n, &m) != LATHE_OK)
        return NULL;
    feed(m, l, r, n);
    lathe_visuals_meter_finish(m, &v);
    lathe_visuals_meter_destroy(m);
    return v;
}

static void test_correlation(void)
{
    const size_t n = (size_t)RATE * 20;
    float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
    unsigned s1 = 1, s2 = 777;
    struct { const char *name; int kind; double lo, hi; } cases[] = {
        { "identical", 0, 1.0 - 1e-6, 1.0 + 1e-6 },
        { "inverted", 1, -1.0 - 1e-6, -1.0 + 1e-6 },
        { "independent noise", 2, -0.2, 0.2 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t i = 0; i < n; i++) {
            s1 = s1 * 1664525u + 1013904223u;
            s2 = s2 * 22695477u + 1u;
            double a = 0.5 * sin(2 * M_PI * 330.0 * i / RATE) + 0.2 * ((s1 >> 8) / 8388608.0 - 1.0);
            l[i] = (float)a;
            r[i] = cases[c].kind == 0 ? (float)a : cases[c].kind == 1 ? (float)-a
                                                   : (float)(0.5 * ((s2 >> 8) / 8388608.0 - 1.0));
            if (i < (size_t)RATE)   /* one second of silence first */
                l[i] = r[i] = 0.0f;
        }
        lathe_visuals *v = stereo_run(l, r, n);
        CHECK(v != NULL, "stereo run");
        if (!v)
            continue;
        size_t silent_cols = (size_t)RATE / (size_t)v->corr_step_frames, bad = 0, nan_ok = 1;
        CHECK(v->corr_step_frames >= RATE / 10, "correlation columns of %lld frames >= 100 ms",
              (long long)v->corr_step_frames);
        for (size_t k = 0; k < v->corr_count; k++) {
            if (k < silent_cols)
                nan_ok &= isnan(v->correlation[k]);
            else if (k > silent_cols)
                bad += !(v->correlation[k] >= cases[c].lo && v->correlation[k] <= cases[c].hi);
        }
        CHECK(nan_ok, "%s: silent columns are NAN", cases[c].name);
        CHECK(bad == 0, "%s: %zu of %zu columns outside [%g, %g]", cases[c].name, bad,
              v->corr_count, cases[c].lo, cases[c].hi);
        lathe_visuals_free(v);
    }
    free(l);
    free(r);
}

/* Which cells of the density image hold anything. */
static void density_cells(const lathe_visuals *v, int *count, int *on_diag, int *on_anti,
                          int *on_col32, int *on_row32)
{
    *count = *on_diag = *on_anti = *on_col32 = *on_row32 = 0;
    for (int row = 0; row < LATHE_DENSITY_SIZE; row++)
        for (int col = 0; col < LATHE_DENSITY_SIZE; col++) {
            if (v->density[row * LATHE_DENSITY_SIZE + col] <= 0.0f)
                continue;
            (*count)++;
            *on_diag += abs(row - col) <= 1;
            *on_anti += abs(row + col - (LATHE_DENSITY_SIZE - 1)) <= 1;
            *on_col32 += col == LATHE_DENSITY_SIZE / 2;
            *on_row32 += row == LATHE_DENSITY_SIZE / 2;
        }
}

static void test_density(void)
{
    const size_t n = (size_t)RATE * 4;
    float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
    int cnt, dg, an, c32, r32;
    /* a sweep of levels -50..0 dB so every radius is used */
    for (int kind = 0; kind < 4; kind++) {
        for (size_t i = 0; i < n; i++) {
            double lev = pow(10.0, (-50.0 + 50.0 * (double)i / (double)n) / 20.0);
            double a = lev * sin(2 * M_PI * 97.0 * i / RATE);
            l[i] = kind == 1 ? 0.0f : (float)a;
            r[i] = kind == 0 ? 0.0f : kind == 3 ? (float)-a : (float)a;
        }
        lathe_visuals *v = stereo_run(l, r, n);
        if (!v)
            continue;
        density_cells(v, &cnt, &dg, &an, &c32, &r32);
        switch (kind) {
        case 0: CHECK(cnt > 20 && dg == cnt, "L only: %d of %d cells on the L diagonal", dg, cnt); break;
        case 1: CHECK(cnt > 20 && an == cnt, "R only: %d of %d cells on the R diagonal", an, cnt); break;
        case 2: CHECK(cnt > 20 && c32 == cnt, "mono: %d of %d cells on the vertical", c32, cnt); break;
        case 3: CHECK(cnt > 20 && r32 == cnt, "anti-phase: %d of %d cells on the horizontal", r32, cnt); break;
        }
        lathe_visuals_free(v);
    }

    /* L = R = +-0.1 (a square wave): -20 dB, radius 2/3: rows 10 and 53, column 32;
     * plus a stretch at -80 dB, under the -60 dB floor, not counted */
    for (size_t i = 0; i < n; i++) {
        float a = (i / 37) % 2 ? 0.1f : -0.1f;
        if (i >= n / 2)
            a *= 1e-3f;
        l[i] = r[i] = a;
    }
    lathe_visuals *v = stereo_run(l, r, n);
    if (v) {
        density_cells(v, &cnt, &dg, &an, &c32, &r32);
        float top = v->density[10 * LATHE_DENSITY_SIZE + 32];
        float bottom = v->density[53 * LATHE_DENSITY_SIZE + 32];
        CHECK(cnt == 2 && top > 0.9f && bottom > 0.9f,
              "square wave at -20 dB: %d cells, (10,32) = %g, (53,32) = %g", cnt, top, bottom);
        CHECK(v->density_frames == (int64_t)(n / 2), "%lld frames counted, want %zu (above -60 dB)",
              (long long)v->density_frames, n / 2);
        CHECK(v->density_range_db == 60.0, "range %g dB", v->density_range_db);
        lathe_visuals_free(v);
    }
    free(l);
    free(r);
}

static void test_loudest(void)
{
    /* momentary series of 60 s: -30 LUFS, with -10 LUFS from 20 s to 26 s */
    lathe_analysis a;
    memset(&a, 0, sizeof a);
    a.series_step_s = 0.1;
    a.series_count = 600;
    a.duration_s = 60.0;
    a.momentary_lufs = malloc(sizeof(float) * 600);
    for (int i = 0; i < 600; i++) {
        double end = (i + 1) * 0.1;
        a.momentary_lufs[i] = i < 3 ? NAN : (end > 20.0 && end <= 26.4) ? -10.0f : -30.0f;
    }
    double s = lathe_excerpt_loudest(&a, 30.0);
    CHECK(s <= 20.0 + 1e-9 && s + 30.0 >= 26.0 - 1e-9, "the loud 6 s lie in the 30 s from %.1f s", s);
    CHECK(fabs(s - 0.0) < 1e-9, "ties go to the earliest start: %.1f s", s);
    /* the loud part near the end: the excerpt ends with the file */
    for (int i = 0; i < 600; i++)
        a.momentary_lufs[i] = i < 3 ? NAN : i >= 560 ? -10.0f : -30.0f;
    s = lathe_excerpt_loudest(&a, 30.0);
    CHECK(fabs(s - 30.0) < 1e-9, "loud ending: excerpt from %.1f s, want 30.0", s);
    /* shorter than the excerpt: from the start */
    a.duration_s = 20.0;
    CHECK(lathe_excerpt_loudest(&a, 30.0) == 0.0, "a short file plays from 0");
    free(a.momentary_lufs);
}

int main(void)
{
    test_waveform();
    test_correlation();
    test_density();
    test_loudest();
    return test_summary();
}
