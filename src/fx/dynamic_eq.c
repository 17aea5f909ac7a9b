/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dynamic_eq: one bell or shelf whose gain follows the level of its own band: above
 * the threshold the band is cut (max_gain_db < 0) or boosted (> 0) like a compressor
 * or upward expander with the given ratio, up to max_gain_db, with attack and release
 * ballistics; stereo-linked, or on the mid or side. Algorithm: docs/fx/eq.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/smooth.h"
#include "dsp/svf.h"
#include "fx/registry.h"

#define MAXCH 8
#define GLIDE_S 0.020     /* frequency/Q glide and type/channel fade, s */
#define SUB 16            /* filter coefficient update interval while gliding, frames */
#define DET_WIN_S 0.002   /* detector averaging window, s */
#define FREQ_MIN 20.0
#define FREQ_MAX 20000.0

enum { P_TYPE, P_FREQ, P_Q, P_THRESH, P_RATIO, P_MAXGAIN, P_ATTACK, P_RELEASE, P_CHANNELS,
       P_COUNT };
enum { T_BELL, T_LOW_SHELF, T_HIGH_SHELF };
enum { CH_STEREO, CH_MID, CH_SIDE };

static const char *const type_choices[] = { "bell", "low_shelf", "high_shelf", NULL };
static const char *const channel_choices[] = { "stereo", "mid", "side", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_TYPE] = { "type", LATHE_UNIT_CHOICE, 0, 2, 0, type_choices,
                 "Band shape: bell, low_shelf or high_shelf at freq_hz and q; every shape "
                 "detects the band-pass at freq_hz and q." },
    [P_FREQ] = { "freq_hz", LATHE_UNIT_HZ, FREQ_MIN, FREQ_MAX, 1000.0, NULL,
                 "Centre (bell) or corner (shelves) frequency, used up to 0.49 times the "
                 "sample rate." },
    [P_Q] = { "q", LATHE_UNIT_Q, 0.1, 40.0, 1.0, NULL,
              "Quality factor of the band and its detector (0.7071 gives Butterworth "
              "shelves)." },
    [P_THRESH] = { "threshold_db", LATHE_UNIT_DBFS, -80.0, 0.0, -30.0, NULL,
                   "Band level above which the gain changes (band-pass envelope; a sine of "
                   "peak 1 in the band reads 0 dBFS)." },
    [P_RATIO] = { "ratio", LATHE_UNIT_RATIO, 1.0, 20.0, 2.0, NULL,
                  "Above the threshold the gain moves by (1 - 1/ratio) dB per dB of band level." },
    [P_MAXGAIN] = { "max_gain_db", LATHE_UNIT_DB, -24.0, 24.0, -6.0, NULL,
                    "Largest gain change: negative cuts the band when loud, positive boosts "
                    "it; 0 disables the band." },
    [P_ATTACK] = { "attack_ms", LATHE_UNIT_MS, 0.1, 500.0, 10.0, NULL,
                   "Time constant (63 %) of the gain moving towards more cut or boost." },
    [P_RELEASE] = { "release_ms", LATHE_UNIT_MS, 1.0, 5000.0, 150.0, NULL,
                    "Time constant (63 %) of the gain returning towards 0 dB." },
    [P_CHANNELS] = { "channels", LATHE_UNIT_CHOICE, 0, 2, 0, channel_choices,
                     "stereo (every channel, one linked gain from the loudest), mid or side "
                     "of the first two channels." },
};

typedef struct dyn_state {
    int channels;
    double rate;
    double p[P_COUNT];          /* targets */
    int type, chan;             /* playing */
    int pending;                /* type/channel change waiting for mix = 0 */
    lathe_ramp lfreq, lq, mix;  /* log2 Hz, log2 Q, 0..1 */
    lathe_svf_coefs svf;
    lathe_svf_state st[MAXCH];  /* per path: channels (stereo) or path 0 (mid/side) */
    /* detector: mean over the last win frames of each path's band energy */
    float *ring[MAXCH];
    size_t ring_mask, wpos, win;
    double sum[MAXCH];
    double g_db;                /* smoothed gain, dB */
    double att, rel;            /* one-pole coefficients */
    /* stats */
    double gr_max, gr_sum;
    long long frames, active;
} dyn_state;

static double clamp_freq(const dyn_state *s, double f)
{
    double fmax = 0.49 * s->rate;
    return f > fmax ? fmax : f;
}

static int npaths(const dyn_state *s)
{
    return s->chan == CH_STEREO ? s->channels : 1;
}

static double cur_freq(const dyn_state *s)
{
    return lathe_ramp_active(&s->lfreq) ? exp2(s->lfreq.value) : clamp_freq(s, s->p[P_FREQ]);
}

static void recompute_sums(dyn_state *s)
{
    for (int p = 0; p < npaths(s); p++) {
        double sum = 0.0;
        for (size_t j = 1; j <= s->win; j++)
            sum += s->ring[p][(s->wpos - j) & s->ring_mask];
        s->sum[p] = sum;
    }
}

static void design(dyn_state *s)
{
    double q = lathe_ramp_active(&s->lq) ? exp2(s->lq.value) : s->p[P_Q];
    lathe_svf_design(&s->svf, cur_freq(s), q, s->rate);
}

static void set_times(dyn_state *s)
{
    s->att = exp(-1.0 / (s->p[P_ATTACK] * 1e-3 * s->rate));
    s->rel = exp(-1.0 / (s->p[P_RELEASE] * 1e-3 * s->rate));
}

static void clear_history(dyn_state *s)
{
    memset(s->st, 0, sizeof s->st);
    for (int p = 0; p < MAXCH; p++) {
        if (s->ring[p])
            memset(s->ring[p], 0, sizeof(float) * (s->ring_mask + 1));
        s->sum[p] = 0.0;
    }
}

static void dyn_destroy(void *state)
{
    dyn_state *s = state;
    if (!s)
        return;
    for (int p = 0; p < MAXCH; p++)
        free(s->ring[p]);
    free(s);
}

static lathe_status dyn_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    dyn_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = p[i];
    s->type = (int)p[P_TYPE];
    s->chan = (int)p[P_CHANNELS];
    size_t glide = (size_t)(GLIDE_S * s->rate);
    lathe_ramp_init(&s->lfreq, log2(clamp_freq(s, p[P_FREQ])), glide);
    lathe_ramp_init(&s->lq, log2(p[P_Q]), glide);
    lathe_ramp_init(&s->mix, 1.0, glide);
    s->win = (size_t)floor(DET_WIN_S * s->rate + 0.5);
    s->win = s->win < 1 ? 1 : s->win;
    size_t ring = 2;
    while (ring < s->win + 1)
        ring <<= 1;
    s->ring_mask = ring - 1;
    for (int c = 0; c < s->channels; c++) {
        s->ring[c] = calloc(ring, sizeof(float));
        if (!s->ring[c]) {
            dyn_destroy(s);
            return LATHE_ERR_NO_MEMORY;
        }
    }
    set_times(s);
    design(s);
    *out = s;
    return LATHE_OK;
}

static void dyn_set_param(void *state, int id, double v)
{
    dyn_state *s = state;
    s->p[id] = v;
    switch (id) {
    case P_FREQ:
        lathe_ramp_set(&s->lfreq, log2(clamp_freq(s, v)));
        break;
    case P_Q:
        lathe_ramp_set(&s->lq, log2(v));
        break;
    case P_ATTACK:
    case P_RELEASE:
        set_times(s);
        break;
    case P_TYPE:
    case P_CHANNELS:
        if ((int)s->p[P_TYPE] != s->type || (int)s->p[P_CHANNELS] != s->chan) {
            s->pending = 1;
            lathe_ramp_set(&s->mix, 0.0);
        } else if (s->pending) {
            s->pending = 0;
            lathe_ramp_set(&s->mix, 1.0);
        }
        break;
    default:    /* threshold, ratio, max gain: the gain glides by attack/release */
        break;
    }
}

/* Target gain in dB for a band energy E (the squared envelope). */
static double gain_target(const dyn_state *s, double e)
{
    const double range = s->p[P_MAXGAIN];
    if (range == 0.0)
        return 0.0;
    const double level = 10.0 * log10(e + 1e-30);        /* dBFS, sine peak */
    const double over = level - s->p[P_THRESH];
    if (over <= 0.0)
        return 0.0;
    double amount = over * (1.0 - 1.0 / s->p[P_RATIO]);
    const double cap = fabs(range);
    amount = amount > cap ? cap : amount;
    return range < 0.0 ? -amount : amount;
}

static void dyn_process(void *state, float *const *ch, size_t frames)
{
    dyn_state *s = state;
    size_t i = 0;
    while (i < frames) {
        if (s->pending && !lathe_ramp_active(&s->mix) && s->mix.value == 0.0) {
            int chan_changed = (int)s->p[P_CHANNELS] != s->chan;
            s->type = (int)s->p[P_TYPE];
            s->chan = (int)s->p[P_CHANNELS];
            s->pending = 0;
            if (chan_changed)
                clear_history(s);
            lathe_ramp_set(&s->mix, 1.0);
        }
        const int moving = lathe_ramp_active(&s->lfreq) || lathe_ramp_active(&s->lq);
        size_t n = frames - i;
        if ((moving || lathe_ramp_active(&s->mix)) && n > SUB)
            n = SUB;
        if (moving) {
            for (size_t k = 0; k < n; k++) {
                lathe_ramp_next(&s->lfreq);
                lathe_ramp_next(&s->lq);
            }
            design(s);
        }
        const int np = npaths(s), ms_mode = s->chan != CH_STEREO && s->channels > 1;
        const double dir = s->p[P_MAXGAIN] < 0.0 ? -1.0 : 1.0;
        const double k = s->svf.k, inv_win = 1.0 / (double)s->win;
        const size_t mask = s->ring_mask;
        for (size_t j = i; j < i + n; j++) {
            double xp[MAXCH], lp[MAXCH], bp[MAXCH], hp[MAXCH];
            double e_max = 0.0;
            if (ms_mode) {
                const double l = ch[0][j], r = ch[1][j];
                xp[0] = s->chan == CH_MID ? 0.5 * (l + r) : 0.5 * (l - r);
            } else if (s->chan == CH_SIDE) {
                xp[0] = 0.0;                 /* mono: no side */
            } else {
                for (int p = 0; p < np; p++)
                    xp[p] = ch[p][j];
            }
            for (int p = 0; p < np; p++) {
                lathe_svf_tick(&s->svf, &s->st[p], xp[p], &lp[p], &bp[p], &hp[p]);
                /* Band energy k^2 (bp^2 - lp hp): with bp = s lp and hp = s bp (exact for
                 * the bilinear SVF at every frequency), a sine of band-pass amplitude B
                 * gives exactly B^2 at every sample, and stationary noise twice the
                 * band-pass mean square on average (the sine calibration). */
                const float e = (float)(k * k * (bp[p] * bp[p] - lp[p] * hp[p]));
                float *ring = s->ring[p];
                const float old = ring[(s->wpos - s->win) & mask];
                ring[s->wpos & mask] = e;
                s->sum[p] += (double)e - (double)old;
                const double em = s->sum[p] * inv_win;
                e_max = em > e_max ? em : e_max;
            }
            s->wpos++;
            if ((s->wpos & mask) == 0)
                recompute_sums(s);    /* bounds the running sums' rounding drift */

            const double gt = gain_target(s, e_max);
            const double coef = (gt - s->g_db) * dir > 0.0 ? s->att : s->rel;
            s->g_db = gt + (s->g_db - gt) * coef;
            if (gt == 0.0 && fabs(s->g_db) < 1e-5)
                s->g_db = 0.0;
            const double m = lathe_ramp_active(&s->mix) ? lathe_ramp_next(&s->mix) : s->mix.value;
            const double ag = fabs(s->g_db);
            s->gr_max = ag > s->gr_max ? ag : s->gr_max;
            s->gr_sum += ag;
            s->active += ag > 0.1;
            if (s->g_db == 0.0 || m == 0.0)
                continue;              /* exactly the input */
            const double G = pow(10.0, s->g_db / 20.0), rG = pow(10.0, s->g_db / 40.0);
            for (int p = 0; p < np; p++) {
                double d;
                if (s->type == T_BELL)
                    d = (G - 1.0) * k * bp[p];
                else if (s->type == T_LOW_SHELF)
                    d = (rG - 1.0) * k * bp[p] + (G - 1.0) * lp[p];
                else
                    d = (rG - 1.0) * k * bp[p] + (G - 1.0) * hp[p];
                d *= m;
                if (ms_mode) {
                    /* L = M + S, R = M - S: adding d to M adds d to both, to S +d / -d. */
                    ch[0][j] = (float)(ch[0][j] + d);
                    ch[1][j] = (float)(ch[1][j] + (s->chan == CH_MID ? d : -d));
                } else if (s->chan != CH_SIDE) {
                    ch[p][j] = (float)(ch[p][j] + d);
                }
            }
        }
        s->frames += (long long)n;
        for (int p = 0; p < np; p++) {
            s->st[p].s1 = lathe_flush(s->st[p].s1);
            s->st[p].s2 = lathe_flush(s->st[p].s2);
        }
        i += n;
    }
}

static size_t dyn_latency(const void *state)
{
    (void)state;
    return 0;
}

static void dyn_reset(void *state)
{
    dyn_state *s = state;
    if (s->pending) {
        s->type = (int)s->p[P_TYPE];
        s->chan = (int)s->p[P_CHANNELS];
        s->pending = 0;
        lathe_ramp_set(&s->mix, 1.0);
    }
    lathe_ramp_finish(&s->lfreq);
    lathe_ramp_finish(&s->lq);
    lathe_ramp_finish(&s->mix);
    clear_history(s);
    s->g_db = 0.0;
    design(s);
}

static void dyn_stats(const void *state, lathe_fx_stats *out)
{
    const dyn_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

const lathe_fx_class lathe_fx_dynamic_eq = {
    .name = "dynamic_eq",
    .summary = "one bell or shelf whose cut or boost follows its band's level",
    .params = params,
    .num_params = P_COUNT,
    .create = dyn_create,
    .set_param = dyn_set_param,
    .process = dyn_process,
    .latency = dyn_latency,
    .reset = dyn_reset,
    .stats = dyn_stats,
    .destroy = dyn_destroy,
};
