/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deesser: reduces sibilance when the level in a detection band (4th-order
 * Butterworth high-pass at freq_lo_hz and low-pass at freq_hi_hz, RMS over 1 ms,
 * channels linked) exceeds the threshold: the reduction is the excess, capped at
 * max_reduction_db, smoothed by attack/release (src/dsp/envelope.h). Wideband mode
 * turns the whole signal down; split mode subtracts (1 - g) times a band-pass of
 * the band (a dynamic peaking cut: x - (1 - g) BP(x), see docs/fx/dynamics.md),
 * which is exactly the input whenever there is no reduction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/envelope.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum { P_LO, P_HI, P_THRESHOLD, P_MAXRED, P_ATTACK, P_RELEASE, P_MODE, P_COUNT };

static const char *const mode_choices[] = { "wideband", "split", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_LO] = { "freq_lo_hz", LATHE_UNIT_HZ, 2000.0, 16000.0, 4000.0, NULL,
               "Lower edge (-3 dB) of the detection band." },
    [P_HI] = { "freq_hi_hz", LATHE_UNIT_HZ, 3000.0, 20000.0, 12000.0, NULL,
               "Upper edge (-3 dB) of the detection band (at least 1.25 x the lower edge)." },
    [P_THRESHOLD] = { "threshold_db", LATHE_UNIT_DBFS, -60.0, 0.0, -30.0, NULL,
                      "RMS level in the detection band above which the signal is reduced." },
    [P_MAXRED] = { "max_reduction_db", LATHE_UNIT_DB, 0.0, 24.0, 6.0, NULL,
                   "Largest reduction; below it the band is held at the threshold." },
    [P_ATTACK] = { "attack_ms", LATHE_UNIT_MS, 0.1, 50.0, 1.0, NULL,
                   "Time constant of the reduction rising (reaches 63 %)." },
    [P_RELEASE] = { "release_ms", LATHE_UNIT_MS, 5.0, 1000.0, 60.0, NULL,
                    "Time constant of the reduction falling (to 37 %)." },
    [P_MODE] = { "mode", LATHE_UNIT_CHOICE, 0, 1, 1, mode_choices,
                 "wideband: the whole signal is turned down; split: only the band (a dynamic "
                 "peaking cut centred on the band)." },
};

#define RMS_WINDOW_S 0.001
#define RAMP_S 0.020
#define UPDATE 32
#define MAXCH 8

typedef struct ds_state {
    int channels;
    double rate;
    double p[P_COUNT];
    lathe_gain_curve curve;
    lathe_gr_ballistics bal;
    lathe_ramp llo, lhi;           /* log2 of the band edges */
    lathe_ramp split;              /* 0 wideband .. 1 split */
    size_t until_update;
    lathe_biquad_coefs det[4];     /* HP, HP, LP, LP (4th-order Butterworth each) */
    lathe_biquad_coefs bp;         /* audio band-pass, 0 dB peak */
    lathe_biquad_state dst[MAXCH][4], bst[MAXCH];
    lathe_level_detector lvl[MAXCH];
    lathe_gr_state gr;
    double gr_max, gr_sum;
    long long frames, active;
} ds_state;

/* Band edges (Hz) clamped to the rate and at least a factor 1.25 apart. */
static void edges(const ds_state *s, double *lo, double *hi)
{
    double top = 0.45 * s->rate;
    *lo = fmin(s->p[P_LO], top / 1.25);
    *hi = fmin(fmax(s->p[P_HI], 1.25 * *lo), top);
}

static void design(ds_state *s, double lo, double hi)
{
    /* 4th-order Butterworth = sections with Q = 1/(2 cos(pi/8)), 1/(2 cos(3 pi/8)). */
    const double q1 = 0.5 / cos(M_PI / 8.0), q2 = 0.5 / cos(3.0 * M_PI / 8.0);
    lathe_biquad_design(&s->det[0], LATHE_BIQUAD_HIGHPASS, lo, q1, 0.0, s->rate);
    lathe_biquad_design(&s->det[1], LATHE_BIQUAD_HIGHPASS, lo, q2, 0.0, s->rate);
    lathe_biquad_design(&s->det[2], LATHE_BIQUAD_LOWPASS, hi, q1, 0.0, s->rate);
    lathe_biquad_design(&s->det[3], LATHE_BIQUAD_LOWPASS, hi, q2, 0.0, s->rate);
    double f0 = sqrt(lo * hi);
    lathe_biquad_design(&s->bp, LATHE_BIQUAD_BANDPASS, f0, f0 / (hi - lo), 0.0, s->rate);
}

static void set_dynamics(ds_state *s)
{
    lathe_gain_curve_set(&s->curve, s->p[P_THRESHOLD], INFINITY, 0.0);
    lathe_gr_ballistics_set(&s->bal, s->p[P_ATTACK] * 1e-3, s->p[P_RELEASE] * 1e-3, 0, s->rate);
}

static lathe_status ds_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    ds_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    memcpy(s->p, p, sizeof s->p);
    double lo, hi;
    edges(s, &lo, &hi);
    size_t steps = (size_t)ceil(RAMP_S * s->rate / UPDATE);
    lathe_ramp_init(&s->llo, log2(lo), steps);
    lathe_ramp_init(&s->lhi, log2(hi), steps);
    lathe_ramp_init(&s->split, p[P_MODE], (size_t)(RAMP_S * s->rate));
    design(s, lo, hi);
    set_dynamics(s);
    for (int c = 0; c < s->channels; c++)
        lathe_level_init(&s->lvl[c], RMS_WINDOW_S, s->rate);
    s->until_update = UPDATE;
    *out = s;
    return LATHE_OK;
}

static void ds_set_param(void *state, int id, double v)
{
    ds_state *s = state;
    s->p[id] = v;
    if (id == P_LO || id == P_HI) {
        double lo, hi;
        edges(s, &lo, &hi);
        lathe_ramp_set(&s->llo, log2(lo));
        lathe_ramp_set(&s->lhi, log2(hi));
    } else if (id == P_MODE) {
        lathe_ramp_set(&s->split, v);
    } else {
        set_dynamics(s);
    }
}

static inline double sec(const lathe_biquad_coefs *c, lathe_biquad_state *st, double x)
{
    double y = c->b0 * x + st->s1;
    st->s1 = c->b1 * x - c->a1 * y + st->s2;
    st->s2 = c->b2 * x - c->a2 * y;
    return y;
}

static void tick(ds_state *s)
{
    if (lathe_ramp_active(&s->llo) || lathe_ramp_active(&s->lhi)) {
        double lo = exp2(lathe_ramp_next(&s->llo)), hi = exp2(lathe_ramp_next(&s->lhi));
        design(s, lo, hi);
    }
    for (int c = 0; c < s->channels; c++) {
        for (int k = 0; k < 4; k++) {
            s->dst[c][k].s1 = lathe_flush(s->dst[c][k].s1);
            s->dst[c][k].s2 = lathe_flush(s->dst[c][k].s2);
        }
        s->bst[c].s1 = lathe_flush(s->bst[c].s1);
        s->bst[c].s2 = lathe_flush(s->bst[c].s2);
    }
}

static void ds_process(void *state, float *const *ch, size_t frames)
{
    ds_state *s = state;
    const int nch = s->channels;
    double bpv[MAXCH];
    const double maxred = s->p[P_MAXRED];

    for (size_t i = 0; i < frames; i++) {
        if (--s->until_update == 0) {
            tick(s);
            s->until_update = UPDATE;
        }
        double pmax = 0.0;
        for (int c = 0; c < nch; c++) {
            double x = ch[c][i], d = x;
            for (int k = 0; k < 4; k++)
                d = sec(&s->det[k], &s->dst[c][k], d);
            double pw = lathe_level_power(&s->lvl[c], LATHE_DETECT_RMS, d);
            pmax = pw > pmax ? pw : pmax;
            bpv[c] = sec(&s->bp, &s->bst[c], x);
        }
        double target = lathe_gain_curve_reduction(&s->curve, pmax);
        if (target > maxred)
            target = maxred;
        double gr = lathe_gr_next(&s->bal, &s->gr, target);
        double cut = 1.0 - lathe_gr_gain(gr);        /* 0 when idle: exact passthrough */
        double sp = lathe_ramp_next(&s->split);
        for (int c = 0; c < nch; c++) {
            double x = ch[c][i];
            double part = sp == 1.0 ? bpv[c] : sp == 0.0 ? x : (1.0 - sp) * x + sp * bpv[c];
            ch[c][i] = (float)(x - cut * part);
        }
        s->gr_max = gr > s->gr_max ? gr : s->gr_max;
        s->gr_sum += gr;
        s->active += gr > 0.1;
    }
    s->frames += (long long)frames;
}

static size_t ds_latency(const void *state)
{
    (void)state;
    return 0;
}

static void ds_reset(void *state)
{
    ds_state *s = state;
    memset(s->dst, 0, sizeof s->dst);
    memset(s->bst, 0, sizeof s->bst);
    for (int c = 0; c < MAXCH; c++)
        lathe_level_reset(&s->lvl[c]);
    lathe_gr_reset(&s->gr);
    lathe_ramp_finish(&s->llo);
    lathe_ramp_finish(&s->lhi);
    lathe_ramp_finish(&s->split);
    design(s, exp2(s->llo.value), exp2(s->lhi.value));
    s->until_update = UPDATE;
    s->gr_max = s->gr_sum = 0.0;
    s->frames = s->active = 0;
}

static void ds_stats(const void *state, lathe_fx_stats *out)
{
    const ds_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

static void ds_destroy(void *state)
{
    free(state);
}

const lathe_fx_class lathe_fx_deesser = {
    .name = "deesser",
    .summary = "de-esser: band-limited detection, wideband or split (band-only) reduction",
    .params = params,
    .num_params = P_COUNT,
    .create = ds_create,
    .set_param = ds_set_param,
    .process = ds_process,
    .latency = ds_latency,
    .reset = ds_reset,
    .stats = ds_stats,
    .destroy = ds_destroy,
};
