/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plot data for reports, in constant memory. The waveform and correlation series are
 * decimating reservoirs: columns of STEP frames fill an array of CAP columns; when it
 * is full, neighbouring columns merge in pairs (min of mins, max of maxes, sums added)
 * and STEP doubles. With a length hint the first STEP already gives at most
 * LATHE_VISUAL_COLUMNS columns, so no merge happens. The stereo density is a 2-D
 * histogram of the goniometer position of every frame on a log-level radius. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/simd.h"
#include "meter/visuals.h"

#define CAP (2 * LATHE_VISUAL_COLUMNS)   /* even: merging pairs never splits a column */
#define DENSITY_RANGE_DB 60.0
#define CORR_SILENCE_POWER 1e-5          /* -50 dBFS mean square, as the stereo meter */

typedef struct reservoir {
    int64_t step;             /* frames per column */
    size_t cur;               /* index of the open column */
    int64_t pos;              /* frames in the open column */
} reservoir;

struct lathe_visuals_meter {
    int rate, channels, stereo;
    int wave_ch;
    reservoir wave, corr;
    float *wmin[2], *wmax[2];
    double *wss[2];
    double *cll, *crr, *clr;
    double density[LATHE_DENSITY_SIZE * LATHE_DENSITY_SIZE];
    int64_t density_frames;
};

lathe_status lathe_visuals_meter_create(int rate_hz, int channels, int stereo_pair,
                                        int64_t expected_frames, lathe_visuals_meter **out)
{
    lathe_visuals_meter *m;
    int64_t sub = rate_hz >= 10 ? (rate_hz + 5) / 10 : 1;   /* 100 ms */

    *out = NULL;
    if (rate_hz < 1 || channels < 1)
        return LATHE_ERR_INVALID_ARGUMENT;
    if (!(m = calloc(1, sizeof *m)))
        return LATHE_ERR_NO_MEMORY;
    m->rate = rate_hz;
    m->channels = channels;
    m->stereo = stereo_pair && channels >= 2;
    m->wave_ch = channels >= 2 ? 2 : 1;
    if (expected_frames > 0) {
        m->wave.step = (expected_frames + LATHE_VISUAL_COLUMNS - 1) / LATHE_VISUAL_COLUMNS;
        m->corr.step = m->wave.step > sub ? m->wave.step : sub;
    } else {
        m->wave.step = rate_hz >= 100 ? rate_hz / 100 : 1;     /* 10 ms, doubling */
        m->corr.step = sub;
    }
    if (m->wave.step < 1)
        m->wave.step = 1;
    for (int c = 0; c < m->wave_ch; c++) {
        m->wmin[c] = malloc(sizeof(float) * CAP);
        m->wmax[c] = malloc(sizeof(float) * CAP);
        m->wss[c] = malloc(sizeof(double) * CAP);
        if (!m->wmin[c] || !m->wmax[c] || !m->wss[c])
            goto nomem;
    }
    if (m->stereo) {
        m->cll = calloc(CAP, sizeof(double));
        m->crr = calloc(CAP, sizeof(double));
        m->clr = calloc(CAP, sizeof(double));
        if (!m->cll || !m->crr || !m->clr)
            goto nomem;
    }
    *out = m;
    return LATHE_OK;
nomem:
    lathe_visuals_meter_destroy(m);
    return LATHE_ERR_NO_MEMORY;
}

void lathe_visuals_meter_destroy(lathe_visuals_meter *m)
{
    if (!m)
        return;
    for (int c = 0; c < 2; c++) {
        free(m->wmin[c]);
        free(m->wmax[c]);
        free(m->wss[c]);
    }
    free(m->cll);
    free(m->crr);
    free(m->clr);
    free(m);
}

/* Closes the open column; merges pairs when the array is full. Returns 1 on a merge. */
static int close_column(reservoir *r)
{
    r->pos = 0;
    if (++r->cur < CAP)
        return 0;
    r->cur = CAP / 2;
    r->step *= 2;
    return 1;
}

static void wave_merge(lathe_visuals_meter *m)
{
    for (int c = 0; c < m->wave_ch; c++)
        for (size_t i = 0; i < CAP / 2; i++) {
            float a = m->wmin[c][2 * i], b = m->wmin[c][2 * i + 1];
            m->wmin[c][i] = a < b ? a : b;
            a = m->wmax[c][2 * i];
            b = m->wmax[c][2 * i + 1];
            m->wmax[c][i] = a > b ? a : b;
            m->wss[c][i] = m->wss[c][2 * i] + m->wss[c][2 * i + 1];
        }
}

static void corr_merge(lathe_visuals_meter *m)
{
    for (size_t i = 0; i < CAP / 2; i++) {
        m->cll[i] = m->cll[2 * i] + m->cll[2 * i + 1];
        m->crr[i] = m->crr[2 * i] + m->crr[2 * i + 1];
        m->clr[i] = m->clr[2 * i] + m->clr[2 * i + 1];
    }
}

static void wave_run(lathe_visuals_meter *m, const float *const *ch, size_t n)
{
    size_t k = m->wave.cur;
    for (int c = 0; c < m->wave_ch; c++) {
        const float *x = ch[c];
        float lo = m->wave.pos ? m->wmin[c][k] : INFINITY;
        float hi = m->wave.pos ? m->wmax[c][k] : -INFINITY;
        double ss = m->wave.pos ? m->wss[c][k] : 0.0;
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            ss += (double)v * v;
        }
        m->wmin[c][k] = lo;
        m->wmax[c][k] = hi;
        m->wss[c][k] = ss;
    }
}

static void corr_run(lathe_visuals_meter *m, const float *l, const float *r, size_t n)
{
    size_t k = m->corr.cur;
    double ll = 0.0, rr = 0.0, lr = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = l[i], b = r[i];
        ll += a * a;
        rr += b * b;
        lr += a * b;
    }
    if (m->corr.pos == 0)
        m->cll[k] = m->crr[k] = m->clr[k] = 0.0;
    m->cll[k] += ll;
    m->crr[k] += rr;
    m->clr[k] += lr;
}

/* Goniometer cell of each frame: direction from (S, M), radius from the level in dB. */
static LATHE_HOT void density_run(lathe_visuals_meter *m, const float *l, const float *r, size_t n)
{
    const float floor_p = 2.0f * powf(10.0f, (float)(-DENSITY_RANGE_DB / 10.0));
    const float half = 0.5f * LATHE_DENSITY_SIZE;
    for (size_t i = 0; i < n; i++) {
        float a = l[i], b = r[i];
        float p = a * a + b * b;           /* = S^2 + M^2; 2 at L = R = full scale */
        if (!(p > floor_p))
            continue;
        float mag = sqrtf(p);
        float rad = 1.0f + 10.0f * log10f(0.5f * p) / (float)DENSITY_RANGE_DB;
        if (rad > 1.0f)
            rad = 1.0f;
        float k = rad / mag * 0.70710678f;
        float x = (b - a) * k, y = (a + b) * k;   /* S, M scaled to the radius */
        int ix = (int)((x + 1.0f) * half), iy = (int)((1.0f - y) * half);
        ix = ix < 0 ? 0 : ix >= LATHE_DENSITY_SIZE ? LATHE_DENSITY_SIZE - 1 : ix;
        iy = iy < 0 ? 0 : iy >= LATHE_DENSITY_SIZE ? LATHE_DENSITY_SIZE - 1 : iy;
        m->density[iy * LATHE_DENSITY_SIZE + ix] += 1.0;
        m->density_frames++;
    }
}

void lathe_visuals_meter_process(lathe_visuals_meter *m, const float *const *ch, size_t frames)
{
    size_t i = 0;
    while (i < frames) {
        size_t run = (size_t)(m->wave.step - m->wave.pos);
        if (run > frames - i)
            run = frames - i;
        const float *blk[2] = { ch[0] + i, ch[m->wave_ch - 1] + i };
        wave_run(m, blk, run);
        m->wave.pos += (int64_t)run;
        i += run;
        if (m->wave.pos == m->wave.step && close_column(&m->wave))
            wave_merge(m);
    }
    if (!m->stereo)
        return;
    density_run(m, ch[0], ch[1], frames);
    for (i = 0; i < frames;) {
        size_t run = (size_t)(m->corr.step - m->corr.pos);
        if (run > frames - i)
            run = frames - i;
        corr_run(m, ch[0] + i, ch[1] + i, run);
        m->corr.pos += (int64_t)run;
        i += run;
        if (m->corr.pos == m->corr.step && close_column(&m->corr))
            corr_merge(m);
    }
}

lathe_status lathe_visuals_meter_finish(lathe_visuals_meter *m, lathe_visuals **out)
{
    lathe_visuals *v;
    size_t nw = m->wave.cur + (m->wave.pos > 0);
    size_t nc = m->stereo ? m->corr.cur + (m->corr.pos > 0) : 0;

    *out = NULL;
    if (!(v = calloc(1, sizeof *v)))
        return LATHE_ERR_NO_MEMORY;
    v->wave_channels = m->wave_ch;
    v->wave_count = nw;
    v->wave_step_frames = m->wave.step;
    for (int c = 0; c < m->wave_ch; c++) {
        v->wave_min[c] = malloc(sizeof(float) * (nw ? nw : 1));
        v->wave_max[c] = malloc(sizeof(float) * (nw ? nw : 1));
        v->wave_rms[c] = malloc(sizeof(float) * (nw ? nw : 1));
        if (!v->wave_min[c] || !v->wave_max[c] || !v->wave_rms[c])
            goto nomem;
        for (size_t k = 0; k < nw; k++) {
            double len = (double)(k + 1 < nw || m->wave.pos == 0 ? m->wave.step : m->wave.pos);
            v->wave_min[c][k] = m->wmin[c][k];
            v->wave_max[c][k] = m->wmax[c][k];
            v->wave_rms[c][k] = (float)sqrt(m->wss[c][k] / len);
        }
    }
    v->corr_count = nc;
    v->corr_step_frames = m->stereo ? m->corr.step : 0;
    if (m->stereo) {
        if (!(v->correlation = malloc(sizeof(float) * (nc ? nc : 1))))
            goto nomem;
        for (size_t k = 0; k < nc; k++) {
            double len = (double)(k + 1 < nc || m->corr.pos == 0 ? m->corr.step : m->corr.pos);
            double ll = m->cll[k], rr = m->crr[k], d = ll * rr;
            v->correlation[k] = ((ll + rr) / (2.0 * len) < CORR_SILENCE_POWER || !(d > 0.0))
                                    ? NAN : (float)(m->clr[k] / sqrt(d));
        }
        double top = 0.0;
        for (int k = 0; k < LATHE_DENSITY_SIZE * LATHE_DENSITY_SIZE; k++)
            top = m->density[k] > top ? m->density[k] : top;
        v->density_size = LATHE_DENSITY_SIZE;
        v->density_range_db = DENSITY_RANGE_DB;
        v->density_frames = m->density_frames;
        for (int k = 0; k < LATHE_DENSITY_SIZE * LATHE_DENSITY_SIZE; k++)
            v->density[k] = top > 0.0 ? (float)(m->density[k] / top) : 0.0f;
    }
    *out = v;
    return LATHE_OK;
nomem:
    lathe_visuals_free(v);
    return LATHE_ERR_NO_MEMORY;
}

void lathe_visuals_free(lathe_visuals *v)
{
    if (!v)
        return;
    for (int c = 0; c < 2; c++) {
        free(v->wave_min[c]);
        free(v->wave_max[c]);
        free(v->wave_rms[c]);
    }
    free(v->correlation);
    free(v);
}
