/* SPDX-License-Identifier: GPL-3.0-or-later */
/* compressor: feed-forward compressor with the soft-knee static curve of Giannoulis,
 * Massberg & Reiss (JAES 2012), peak or RMS detection, log-domain decoupled
 * ballistics with an optional program-dependent release, sidechain high-pass,
 * stereo link / independent / mid-side detection, lookahead, parallel (dry/wet) mix
 * and makeup gain. Algorithms: src/dsp/envelope.h and docs/fx/dynamics.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/envelope.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum {
    P_THRESHOLD, P_RATIO, P_KNEE, P_ATTACK, P_RELEASE, P_RELEASE_MODE, P_DETECTOR,
    P_SC_HP, P_LINK, P_LOOKAHEAD, P_MIX, P_MAKEUP, P_COUNT
};

enum { LINK_STEREO, LINK_INDEPENDENT, LINK_MID_SIDE };

static const char *const release_choices[] = { "fixed", "auto", NULL };
static const char *const detector_choices[] = { "peak", "rms", NULL };
static const char *const link_choices[] = { "linked", "independent", "mid_side", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_THRESHOLD] = { "threshold_db", LATHE_UNIT_DBFS, -60.0, 0.0, -18.0, NULL,
                      "Level above which the gain is reduced (peak or RMS dBFS, by detector)." },
    [P_RATIO] = { "ratio", LATHE_UNIT_RATIO, 1.0, 50.0, 2.0, NULL,
                  "Input dB above threshold per output dB above it; 1 leaves the signal untouched." },
    [P_KNEE] = { "knee_db", LATHE_UNIT_DB, 0.0, 24.0, 6.0, NULL,
                 "Width of the quadratic soft knee centred on the threshold (0: hard knee)." },
    [P_ATTACK] = { "attack_ms", LATHE_UNIT_MS, 0.01, 500.0, 10.0, NULL,
                   "Time constant of the gain reduction rising after a level step (reaches 63 %)." },
    [P_RELEASE] = { "release_ms", LATHE_UNIT_MS, 1.0, 5000.0, 150.0, NULL,
                    "Time constant of the gain reduction falling after a level step (to 37 %)." },
    [P_RELEASE_MODE] = { "release_mode", LATHE_UNIT_CHOICE, 0, 1, 0, release_choices,
                         "fixed release, or auto: program-dependent, slower (5x) after sustained "
                         "reduction." },
    [P_DETECTOR] = { "detector", LATHE_UNIT_CHOICE, 0, 1, 0, detector_choices,
                     "Level detection: sample peak, or RMS over a 10 ms window." },
    [P_SC_HP] = { "sidechain_hp_hz", LATHE_UNIT_HZ, 0.0, 500.0, 0.0, NULL,
                  "High-pass (12 dB/oct) on the detector only, 0 = off, otherwise 20..500 Hz." },
    [P_LINK] = { "link", LATHE_UNIT_CHOICE, 0, 2, 0, link_choices,
                 "Detection: one gain for all channels (linked), one per channel, or separate "
                 "mid and side gains (mid_side)." },
    [P_LOOKAHEAD] = { "lookahead_ms", LATHE_UNIT_MS, 0.0, 10.0, 0.0, NULL,
                      "Delay of the audio against the detector; sets the latency when created "
                      "(later changes can only shorten the effective lookahead)." },
    [P_MIX] = { "mix_percent", LATHE_UNIT_PERCENT, 0.0, 100.0, 100.0, NULL,
                "Share of the compressed signal in a parallel mix with the (delayed) dry signal." },
    [P_MAKEUP] = { "makeup_db", LATHE_UNIT_DB, -12.0, 24.0, 0.0, NULL,
                   "Gain applied to the compressed (wet) signal." },
};

#define RMS_WINDOW_S 0.010
#define RAMP_S 0.020
#define MAXCH 8

typedef struct comp_state {
    int channels;
    double rate;
    double p[P_COUNT];
    lathe_gain_curve curve;
    lathe_gr_ballistics bal;
    int detector, link;
    int hp_on;
    lathe_biquad_coefs hp;
    lathe_biquad_state hpst[MAXCH];
    lathe_level_detector lvl[MAXCH];
    lathe_gr_state gr[MAXCH];
    lathe_ramp makeup, mix;
    size_t latency;          /* lookahead frames at create */
    size_t det_delay;        /* latency - effective lookahead */
    float *ring[MAXCH];      /* input history, ring_mask + 1 frames */
    size_t ring_mask, wpos;
    /* stats */
    double gr_max, gr_sum;
    long long frames, active;
} comp_state;

static void set_curve(comp_state *s)
{
    lathe_gain_curve_set(&s->curve, s->p[P_THRESHOLD], s->p[P_RATIO], s->p[P_KNEE]);
}

static void set_ballistics(comp_state *s)
{
    lathe_gr_ballistics_set(&s->bal, s->p[P_ATTACK] * 1e-3, s->p[P_RELEASE] * 1e-3,
                            (int)s->p[P_RELEASE_MODE] == 1, s->rate);
}

static void set_hp(comp_state *s)
{
    double f = s->p[P_SC_HP];
    s->hp_on = f > 0.0;
    if (!s->hp_on)
        return;
    if (f < 20.0)
        f = 20.0;
    if (f > 0.45 * s->rate)
        f = 0.45 * s->rate;
    lathe_biquad_design(&s->hp, LATHE_BIQUAD_HIGHPASS, f, M_SQRT1_2, 0.0, s->rate);
}

static void set_lookahead(comp_state *s)
{
    size_t eff = (size_t)floor(s->p[P_LOOKAHEAD] * 1e-3 * s->rate + 0.5);
    s->det_delay = eff >= s->latency ? 0 : s->latency - eff;
}

static void comp_destroy(void *state)
{
    comp_state *s = state;
    if (!s)
        return;
    for (int c = 0; c < MAXCH; c++)
        free(s->ring[c]);
    free(s);
}

static lathe_status comp_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    comp_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    memcpy(s->p, p, sizeof s->p);
    s->latency = (size_t)floor(p[P_LOOKAHEAD] * 1e-3 * s->rate + 0.5);
    if (s->latency > 0) {
        size_t n = 1;
        while (n < s->latency + 1)
            n <<= 1;
        s->ring_mask = n - 1;
        for (int c = 0; c < s->channels; c++) {
            s->ring[c] = calloc(n, sizeof(float));
            if (!s->ring[c]) {
                comp_destroy(s);
                return LATHE_ERR_NO_MEMORY;
            }
        }
    }
    set_curve(s);
    set_ballistics(s);
    set_hp(s);
    set_lookahead(s);
    s->detector = (int)p[P_DETECTOR];
    s->link = (int)p[P_LINK];
    for (int c = 0; c < s->channels; c++)
        lathe_level_init(&s->lvl[c], RMS_WINDOW_S, s->rate);
    size_t ramp = (size_t)(RAMP_S * s->rate);
    lathe_ramp_init(&s->makeup, pow(10.0, p[P_MAKEUP] / 20.0), ramp);
    lathe_ramp_init(&s->mix, p[P_MIX] / 100.0, ramp);
    *out = s;
    return LATHE_OK;
}

static void comp_set_param(void *state, int id, double v)
{
    comp_state *s = state;
    s->p[id] = v;
    switch (id) {
    case P_THRESHOLD: case P_RATIO: case P_KNEE:
        set_curve(s);   /* the ballistics glide the gain to the new curve */
        break;
    case P_ATTACK: case P_RELEASE: case P_RELEASE_MODE:
        set_ballistics(s);
        break;
    case P_DETECTOR:
        s->detector = (int)v;
        break;
    case P_SC_HP:
        set_hp(s);
        break;
    case P_LINK:
        s->link = (int)v;
        break;
    case P_LOOKAHEAD:
        set_lookahead(s);
        break;
    case P_MIX:
        lathe_ramp_set(&s->mix, v / 100.0);
        break;
    case P_MAKEUP:
        lathe_ramp_set(&s->makeup, pow(10.0, v / 20.0));
        break;
    default:
        break;
    }
}

/* One transposed direct form II step in double. */
static inline double hp_step(const lathe_biquad_coefs *c, lathe_biquad_state *st, double x)
{
    double y = c->b0 * x + st->s1;
    st->s1 = c->b1 * x - c->a1 * y + st->s2;
    st->s2 = c->b2 * x - c->a2 * y;
    return y;
}

static void comp_process(void *state, float *const *ch, size_t frames)
{
    comp_state *s = state;
    const int nch = s->channels;
    const int ms = s->link == LINK_MID_SIDE && nch >= 2;
    const int linked = s->link == LINK_STEREO;
    const size_t L = s->latency, mask = s->ring_mask;
    double xd[MAXCH], det[MAXCH], gr[MAXCH];

    for (size_t i = 0; i < frames; i++) {
        /* Audio (delayed by the latency) and detector input (delayed by the unused
         * part of the lookahead). */
        if (L) {
            size_t w = s->wpos;
            for (int c = 0; c < nch; c++) {
                float *r = s->ring[c];
                r[w] = ch[c][i];
                xd[c] = r[(w - L) & mask];
                det[c] = r[(w - s->det_delay) & mask];
            }
            s->wpos = (w + 1) & mask;
        } else {
            for (int c = 0; c < nch; c++)
                xd[c] = det[c] = ch[c][i];
        }
        if (ms) {
            double m = 0.5 * (det[0] + det[1]), d = 0.5 * (det[0] - det[1]);
            det[0] = m;
            det[1] = d;
        }
        /* Detector powers, then the gain computer and ballistics per unit. */
        double pmax = 0.0;
        for (int c = 0; c < nch; c++) {
            double x = det[c];
            if (s->hp_on) {
                x = hp_step(&s->hp, &s->hpst[c], x);
                s->hpst[c].s1 = lathe_flush(s->hpst[c].s1);
                s->hpst[c].s2 = lathe_flush(s->hpst[c].s2);
            }
            det[c] = lathe_level_power(&s->lvl[c], s->detector, x);
            pmax = det[c] > pmax ? det[c] : pmax;
        }
        double frame_gr = 0.0;
        if (linked) {
            double g = lathe_gr_next(&s->bal, &s->gr[0], lathe_gain_curve_reduction(&s->curve, pmax));
            for (int c = 0; c < nch; c++)
                gr[c] = g;
            frame_gr = g;
        } else {
            for (int c = 0; c < nch; c++) {
                gr[c] = lathe_gr_next(&s->bal, &s->gr[c], lathe_gain_curve_reduction(&s->curve, det[c]));
                frame_gr = gr[c] > frame_gr ? gr[c] : frame_gr;
            }
        }
        /* Output: dry + mix * (wet - dry), wet = dry * gain * makeup; written so that
         * unit gain or zero mix return the (delayed) input bit for bit. */
        const double mk = lathe_ramp_next(&s->makeup);
        const double mix = lathe_ramp_next(&s->mix);
        if (ms) {
            double m = 0.5 * (xd[0] + xd[1]), d = 0.5 * (xd[0] - xd[1]);
            double dm = mix * (lathe_gr_gain(gr[0]) * mk - 1.0) * m;
            double dd = mix * (lathe_gr_gain(gr[1]) * mk - 1.0) * d;
            ch[0][i] = (float)(xd[0] + (dm + dd));
            ch[1][i] = (float)(xd[1] + (dm - dd));
            for (int c = 2; c < nch; c++)
                ch[c][i] = (float)(xd[c] * (1.0 + mix * (lathe_gr_gain(gr[c]) * mk - 1.0)));
        } else {
            for (int c = 0; c < nch; c++)
                ch[c][i] = (float)(xd[c] * (1.0 + mix * (lathe_gr_gain(gr[c]) * mk - 1.0)));
        }
        s->gr_max = frame_gr > s->gr_max ? frame_gr : s->gr_max;
        s->gr_sum += frame_gr;
        s->active += frame_gr > 0.1;
    }
    s->frames += (long long)frames;
}

static size_t comp_latency(const void *state)
{
    return ((const comp_state *)state)->latency;
}

static void comp_reset(void *state)
{
    comp_state *s = state;
    for (int c = 0; c < s->channels; c++) {
        lathe_level_reset(&s->lvl[c]);
        lathe_gr_reset(&s->gr[c]);
        s->hpst[c].s1 = s->hpst[c].s2 = 0.0;
        if (s->ring[c])
            memset(s->ring[c], 0, (s->ring_mask + 1) * sizeof(float));
    }
    s->wpos = 0;
    lathe_ramp_finish(&s->makeup);
    lathe_ramp_finish(&s->mix);
    s->gr_max = s->gr_sum = 0.0;
    s->frames = s->active = 0;
}

static void comp_stats(const void *state, lathe_fx_stats *out)
{
    const comp_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

const lathe_fx_class lathe_fx_compressor = {
    .name = "compressor",
    .summary = "soft-knee compressor: peak/RMS, auto release, sidechain HP, M/S, lookahead, "
               "parallel mix",
    .params = params,
    .num_params = P_COUNT,
    .create = comp_create,
    .set_param = comp_set_param,
    .process = comp_process,
    .latency = comp_latency,
    .reset = comp_reset,
    .stats = comp_stats,
    .destroy = comp_destroy,
};
