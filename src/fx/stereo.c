/* SPDX-License-Identifier: GPL-3.0-or-later */
/* stereo: mid/side width (overall and per band around a crossover), bass mono below
 * a frequency and mid/side balance, on the first two channels (L, R).
 *
 * M = (L + R) / 2, S = (L - R) / 2; out L = gm M' + gs S', R = gm M' - gs S'.
 * Band split (engaged while low_width or high_width is not 100 %): S' = wl LP4(S) +
 * wh HP4(S) and M' = AP(M), where LP4/HP4 are 4th-order Linkwitz-Riley filters at
 * crossover_hz and AP = LP4 + HP4 is their 2nd-order allpass sum, so mid and side
 * stay phase-aligned and equal widths give a flat magnitude. Bass mono (engaged
 * while bass_mono_hz > 0): S' = HP4(S), M' = AP(M) with the same construction at
 * bass_mono_hz, i.e. L' = LP4(M) + HP4(L), R' = LP4(M) + HP4(R): below the frequency
 * both channels carry the mono sum, above it the image is untouched; L + R keeps a
 * flat magnitude. Engaging or leaving either stage crossfades over 20 ms; with every
 * setting neutral the stage is skipped and the output is the input, bit for bit.
 * docs/fx/stereo.md. */
#include <math.h>
#include <stdlib.h>
#include "dsp/biquad.h"
#include "dsp/smooth.h"
#include "dsp/simd.h"
#include "fx/registry.h"

enum { P_WIDTH, P_LOW_WIDTH, P_HIGH_WIDTH, P_XOVER, P_BASS_MONO, P_BALANCE, P_COUNT };

static const lathe_param_desc params[P_COUNT] = {
    [P_WIDTH] = { "width_percent", LATHE_UNIT_PERCENT, 0.0, 200.0, 100.0, NULL,
                  "Side level relative to mid: 0 is mono, 100 unchanged, 200 doubles the side "
                  "(+6 dB)." },
    [P_LOW_WIDTH] = { "low_width_percent", LATHE_UNIT_PERCENT, 0.0, 200.0, 100.0, NULL,
                      "Width below crossover_hz, multiplying width_percent." },
    [P_HIGH_WIDTH] = { "high_width_percent", LATHE_UNIT_PERCENT, 0.0, 200.0, 100.0, NULL,
                       "Width above crossover_hz, multiplying width_percent." },
    [P_XOVER] = { "crossover_hz", LATHE_UNIT_HZ, 40.0, 4000.0, 300.0, NULL,
                  "Linkwitz-Riley (24 dB/oct) crossover between the low and high width bands." },
    [P_BASS_MONO] = { "bass_mono_hz", LATHE_UNIT_HZ, 0.0, 500.0, 0.0, NULL,
                      "Side content below this frequency is removed (24 dB/oct Linkwitz-Riley, "
                      "-6 dB at the frequency); 0 is off, values under 20 act as 20." },
    [P_BALANCE] = { "ms_balance_db", LATHE_UNIT_DB, -12.0, 12.0, 0.0, NULL,
                    "Mid/side balance: positive raises the side and lowers the mid by half the "
                    "value each." },
};

#define CHUNK 32        /* frames between coefficient updates while a frequency glides */

/* One Linkwitz-Riley crossover: two Butterworth low-pass sections, two high-pass
 * sections, and their allpass sum for the other channel; states per filter. */
typedef struct lr4 {
    lathe_biquad_coefs lp, hp, ap;
    lathe_biquad_state lp1, lp2, hp1, hp2, aps;
    lathe_ramp log_f;   /* log2 of the frequency, gliding */
    lathe_ramp mix;     /* 0 = stage bypassed, 1 = engaged */
} lr4;

typedef struct stereo_state {
    int channels;
    double rate;
    double p[P_COUNT];
    lathe_ramp gm, gs;          /* mid and side gains (width and balance) */
    lathe_ramp wl, wh;          /* band widths, linear */
    lr4 xo, bm;                 /* band split, bass mono */
} stereo_state;

static void lr4_design(lr4 *f, double rate)
{
    double hz = exp2(f->log_f.value);
    lathe_biquad_design(&f->lp, LATHE_BIQUAD_LOWPASS, hz, M_SQRT1_2, 0.0, rate);
    lathe_biquad_design(&f->hp, LATHE_BIQUAD_HIGHPASS, hz, M_SQRT1_2, 0.0, rate);
    lathe_biquad_design(&f->ap, LATHE_BIQUAD_ALLPASS, hz, M_SQRT1_2, 0.0, rate);
}

static void lr4_clear(lr4 *f)
{
    f->lp1.s1 = f->lp1.s2 = f->lp2.s1 = f->lp2.s2 = 0.0;
    f->hp1.s1 = f->hp1.s2 = f->hp2.s1 = f->hp2.s2 = 0.0;
    f->aps.s1 = f->aps.s2 = 0.0;
}

static void flush_state(lathe_biquad_state *s)
{
    s->s1 = lathe_flush(s->s1);
    s->s2 = lathe_flush(s->s2);
}

/* Transposed direct form II, one sample, double. */
static inline double tick(const lathe_biquad_coefs *c, lathe_biquad_state *s, double x)
{
    double y = c->b0 * x + s->s1;
    s->s1 = c->b1 * x - c->a1 * y + s->s2;
    s->s2 = c->b2 * x - c->a2 * y;
    return y;
}

static double side_gain(const stereo_state *s)
{
    return s->p[P_WIDTH] / 100.0 * pow(10.0, s->p[P_BALANCE] / 40.0);
}

static double mid_gain(const stereo_state *s)
{
    return pow(10.0, -s->p[P_BALANCE] / 40.0);
}

static int split_wanted(const stereo_state *s)
{
    return s->p[P_LOW_WIDTH] != 100.0 || s->p[P_HIGH_WIDTH] != 100.0;
}

static double bass_hz(double v)
{
    return v < 20.0 ? 20.0 : v;
}

/* Frequencies above 0.45 fs (low sample rates) are held there. */
static double clamp_hz(const stereo_state *s, double hz)
{
    return fmin(hz, 0.45 * s->rate);
}

/* Engages (1) or bypasses (0) stage F; a stage engaged from rest starts from clear
 * filter state at its target frequency. */
static void stage_set(lr4 *f, int on, double hz, double rate)
{
    double target = log2(hz);
    if (on && f->mix.value == 0.0 && !lathe_ramp_active(&f->mix)) {
        lr4_clear(f);
        lathe_ramp_set(&f->log_f, target);
        lathe_ramp_finish(&f->log_f);
        lr4_design(f, rate);
    } else {
        lathe_ramp_set(&f->log_f, target);
    }
    lathe_ramp_set(&f->mix, on ? 1.0 : 0.0);
}

static lathe_status stereo_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    stereo_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = p[i];
    size_t ramp = (size_t)(0.020 * s->rate);
    lathe_ramp_init(&s->gm, mid_gain(s), ramp);
    lathe_ramp_init(&s->gs, side_gain(s), ramp);
    lathe_ramp_init(&s->wl, p[P_LOW_WIDTH] / 100.0, ramp);
    lathe_ramp_init(&s->wh, p[P_HIGH_WIDTH] / 100.0, ramp);
    lathe_ramp_init(&s->xo.log_f, log2(clamp_hz(s, p[P_XOVER])), ramp);
    lathe_ramp_init(&s->xo.mix, split_wanted(s) ? 1.0 : 0.0, ramp);
    lathe_ramp_init(&s->bm.log_f, log2(clamp_hz(s, bass_hz(p[P_BASS_MONO]))), ramp);
    lathe_ramp_init(&s->bm.mix, p[P_BASS_MONO] > 0.0 ? 1.0 : 0.0, ramp);
    lr4_design(&s->xo, s->rate);
    lr4_design(&s->bm, s->rate);
    *out = s;
    return LATHE_OK;
}

static void stereo_set_param(void *state, int id, double v)
{
    stereo_state *s = state;
    s->p[id] = v;
    switch (id) {
    case P_WIDTH:
    case P_BALANCE:
        lathe_ramp_set(&s->gm, mid_gain(s));
        lathe_ramp_set(&s->gs, side_gain(s));
        break;
    case P_LOW_WIDTH:
    case P_HIGH_WIDTH:
        lathe_ramp_set(&s->wl, s->p[P_LOW_WIDTH] / 100.0);
        lathe_ramp_set(&s->wh, s->p[P_HIGH_WIDTH] / 100.0);
        stage_set(&s->xo, split_wanted(s), clamp_hz(s, s->p[P_XOVER]), s->rate);
        break;
    case P_XOVER:
        lathe_ramp_set(&s->xo.log_f, log2(clamp_hz(s, v)));
        break;
    case P_BASS_MONO:
        if (v > 0.0)
            stage_set(&s->bm, 1, clamp_hz(s, bass_hz(v)), s->rate);
        else
            lathe_ramp_set(&s->bm.mix, 0.0);   /* fades out at the last frequency */
        break;
    default:
        break;
    }
}

/* 1 while stage F contributes (engaged or crossfading). */
static int stage_live(const lr4 *f)
{
    return f->mix.value != 0.0 || lathe_ramp_active(&f->mix);
}

/* Advances F's frequency glide by N frames and redesigns when it moved. */
static void stage_glide(lr4 *f, size_t n, double rate)
{
    if (!lathe_ramp_active(&f->log_f))
        return;
    for (size_t i = 0; i < n; i++)
        lathe_ramp_next(&f->log_f);
    lr4_design(f, rate);
}

/* The steady case without crossover or bass mono: gains GM on the mid and GS on the
 * side, the same operations per sample as the general loop, vectorised. */
LATHE_HOT static void ms_gains(float *restrict L, float *restrict R, size_t n, double gm, double gs)
{
    for (size_t i = 0; i < n; i++) {
        const double m = 0.5 * ((double)L[i] + (double)R[i]);
        const double sd = 0.5 * ((double)L[i] - (double)R[i]);
        L[i] = (float)(gm * m + gs * sd);
        R[i] = (float)(gm * m - gs * sd);
    }
}

static void stereo_process(void *state, float *const *ch, size_t frames)
{
    stereo_state *s = state;
    if (s->channels < 2)
        return;
    float *L = ch[0], *R = ch[1];
    const int neutral = !lathe_ramp_active(&s->gm) && !lathe_ramp_active(&s->gs)
                        && s->gm.value == 1.0 && s->gs.value == 1.0 && !stage_live(&s->xo)
                        && !stage_live(&s->bm);
    if (neutral) {
        /* Keep the band-width ramps in time with the stream (they act only once the
         * split is engaged, which is not the case here). */
        lathe_ramp_finish(&s->wl);
        lathe_ramp_finish(&s->wh);
        return;
    }
    for (size_t off = 0; off < frames; off += CHUNK) {
        const size_t n = frames - off < CHUNK ? frames - off : CHUNK;
        const int xo = stage_live(&s->xo), bm = stage_live(&s->bm);
        if (!xo && !bm && !lathe_ramp_active(&s->gm) && !lathe_ramp_active(&s->gs)) {
            ms_gains(L + off, R + off, n, s->gm.value, s->gs.value);
            /* the band widths keep time while they glide (unused until a split) */
            for (size_t i = 0; i < n && (lathe_ramp_active(&s->wl) || lathe_ramp_active(&s->wh));
                 i++) {
                lathe_ramp_next(&s->wl);
                lathe_ramp_next(&s->wh);
            }
            continue;
        }
        if (xo)
            stage_glide(&s->xo, n, s->rate);
        if (bm)
            stage_glide(&s->bm, n, s->rate);
        for (size_t i = off; i < off + n; i++) {
            double m = 0.5 * ((double)L[i] + (double)R[i]);
            double sd = 0.5 * ((double)L[i] - (double)R[i]);
            double wl = lathe_ramp_next(&s->wl), wh = lathe_ramp_next(&s->wh);
            if (xo) {
                lr4 *f = &s->xo;
                double a = lathe_ramp_next(&f->mix);
                double ma = tick(&f->ap, &f->aps, m);
                double lo = tick(&f->lp, &f->lp2, tick(&f->lp, &f->lp1, sd));
                double hi = tick(&f->hp, &f->hp2, tick(&f->hp, &f->hp1, sd));
                m += a * (ma - m);
                sd += a * (wl * lo + wh * hi - sd);
            }
            if (bm) {
                lr4 *f = &s->bm;
                double a = lathe_ramp_next(&f->mix);
                double ma = tick(&f->ap, &f->aps, m);
                double hi = tick(&f->hp, &f->hp2, tick(&f->hp, &f->hp1, sd));
                m += a * (ma - m);
                sd += a * (hi - sd);
            }
            double gm = lathe_ramp_next(&s->gm), gs = lathe_ramp_next(&s->gs);
            L[i] = (float)(gm * m + gs * sd);
            R[i] = (float)(gm * m - gs * sd);
        }
        lr4 *fs[2] = { &s->xo, &s->bm };
        for (int k = 0; k < 2; k++) {
            flush_state(&fs[k]->lp1);
            flush_state(&fs[k]->lp2);
            flush_state(&fs[k]->hp1);
            flush_state(&fs[k]->hp2);
            flush_state(&fs[k]->aps);
        }
    }
}

static size_t stereo_latency(const void *state)
{
    (void)state;
    return 0;
}

static void stereo_reset(void *state)
{
    stereo_state *s = state;
    lathe_ramp_finish(&s->gm);
    lathe_ramp_finish(&s->gs);
    lathe_ramp_finish(&s->wl);
    lathe_ramp_finish(&s->wh);
    lr4 *fs[2] = { &s->xo, &s->bm };
    for (int k = 0; k < 2; k++) {
        lathe_ramp_finish(&fs[k]->log_f);
        lathe_ramp_finish(&fs[k]->mix);
        lr4_clear(fs[k]);
        lr4_design(fs[k], s->rate);
    }
}

static void stereo_destroy(void *state)
{
    free(state);
}

const lathe_fx_class lathe_fx_stereo = {
    .name = "stereo",
    .summary = "mid/side width per band, bass mono and mid/side balance (first two channels)",
    .params = params,
    .num_params = P_COUNT,
    .create = stereo_create,
    .set_param = stereo_set_param,
    .process = stereo_process,
    .latency = stereo_latency,
    .reset = stereo_reset,
    .stats = NULL,
    .destroy = stereo_destroy,
};
