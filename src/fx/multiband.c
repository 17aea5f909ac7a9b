/* SPDX-License-Identifier: GPL-3.0-or-later */
/* multiband: 2..5-band compressor. Bands split by Linkwitz-Riley crossovers with
 * all-pass compensation (minimum phase: the bands sum to an all-pass) or by
 * complementary linear-phase FIRs (the bands sum to the delayed input exactly); each
 * band has its own soft-knee compressor (src/dsp/envelope.h). See docs/fx/dynamics.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/crossover.h"
#include "dsp/envelope.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum {
    P_BANDS, P_X1, P_X2, P_X3, P_X4, P_PHASE, P_SLOPE, P_LINK, P_DETECTOR, P_BAND0,
    P_PER_BAND = 6,
    P_COUNT = P_BAND0 + LATHE_XOVER_MAX_BANDS * P_PER_BAND
};
/* Offsets inside a band's parameters. */
enum { B_THRESHOLD, B_RATIO, B_ATTACK, B_RELEASE, B_MAKEUP, B_KNEE };

enum { LINK_STEREO, LINK_INDEPENDENT, LINK_MID_SIDE };

static const char *const phase_choices[] = { "minimum", "linear", NULL };
static const char *const slope_choices[] = { "lr2", "lr4", "lr8", NULL };
static const char *const link_choices[] = { "linked", "independent", "mid_side", NULL };
static const char *const detector_choices[] = { "peak", "rms", NULL };

#define XOVER(n, def)                                                                       \
    [P_X1 + (n) - 1] = { "crossover" #n "_hz", LATHE_UNIT_HZ, 20.0, 20000.0, def, NULL,      \
                         "Crossover frequency " #n " (used when bands > " #n "; sorted)." }
#define BAND(n)                                                                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_THRESHOLD] = {                                    \
        "band" #n "_threshold_db", LATHE_UNIT_DBFS, -60.0, 0.0, -20.0, NULL,                 \
        "Band " #n ": level above which its gain is reduced." },                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_RATIO] = {                                        \
        "band" #n "_ratio", LATHE_UNIT_RATIO, 1.0, 50.0, 1.0, NULL,                          \
        "Band " #n ": compression ratio (1 = no compression)." },                            \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_ATTACK] = {                                       \
        "band" #n "_attack_ms", LATHE_UNIT_MS, 0.01, 500.0, 10.0, NULL,                      \
        "Band " #n ": attack time constant." },                                              \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_RELEASE] = {                                      \
        "band" #n "_release_ms", LATHE_UNIT_MS, 1.0, 5000.0, 150.0, NULL,                    \
        "Band " #n ": release time constant." },                                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_MAKEUP] = {                                       \
        "band" #n "_makeup_db", LATHE_UNIT_DB, -12.0, 24.0, 0.0, NULL,                       \
        "Band " #n ": gain after compression." },                                            \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_KNEE] = {                                         \
        "band" #n "_knee_db", LATHE_UNIT_DB, 0.0, 24.0, 6.0, NULL,                           \
        "Band " #n ": soft-knee width (0: hard knee)." }

static const lathe_param_desc params[P_COUNT] = {
    [P_BANDS] = { "bands", LATHE_UNIT_INTEGER, 2, LATHE_XOVER_MAX_BANDS, 3, NULL,
                  "Number of bands (fixed when the processor is created)." },
    XOVER(1, 120.0),
    XOVER(2, 1000.0),
    XOVER(3, 5000.0),
    XOVER(4, 10000.0),
    [P_PHASE] = { "phase", LATHE_UNIT_CHOICE, 0, 1, 0, phase_choices,
                  "Crossovers: minimum (Linkwitz-Riley, no latency, bands sum to an all-pass) or "
                  "linear (FIR, latency ~96 ms, bands sum to the input); fixed at creation." },
    [P_SLOPE] = { "slope", LATHE_UNIT_CHOICE, 0, 2, 1, slope_choices,
                  "Crossover slopes: LR2 (12), LR4 (24) or LR8 (48 dB/oct); fixed at creation." },
    [P_LINK] = { "link", LATHE_UNIT_CHOICE, 0, 2, 0, link_choices,
                 "Per band detection: one gain for all channels (linked), one per channel, or "
                 "mid and side split and compressed separately (mid_side)." },
    [P_DETECTOR] = { "detector", LATHE_UNIT_CHOICE, 0, 1, 0, detector_choices,
                     "Level detection in each band: sample peak, or RMS over a 10 ms window." },
    BAND(1),
    BAND(2),
    BAND(3),
    BAND(4),
    BAND(5),
};

#define RMS_WINDOW_S 0.010
#define RAMP_S 0.020
#define NB LATHE_XOVER_MAX_BANDS
#define MAXCH LATHE_XOVER_MAX_CH

typedef struct mb_state {
    int channels, bands, linear, order;
    int link, detector;
    double rate;
    double p[P_COUNT];
    lathe_xover lr;
    lathe_xover_lin *lin;
    lathe_gain_curve curve[NB];
    lathe_gr_ballistics bal[NB];
    lathe_level_detector lvl[NB][MAXCH];
    lathe_gr_state gr[NB][MAXCH];
    lathe_ramp makeup[NB];
    double gr_max, gr_sum;
    long long frames, active;
} mb_state;

static double bp(const mb_state *s, int b, int off)
{
    return s->p[P_BAND0 + b * P_PER_BAND + off];
}

static void set_band(mb_state *s, int b)
{
    lathe_gain_curve_set(&s->curve[b], bp(s, b, B_THRESHOLD), bp(s, b, B_RATIO), bp(s, b, B_KNEE));
    lathe_gr_ballistics_set(&s->bal[b], bp(s, b, B_ATTACK) * 1e-3, bp(s, b, B_RELEASE) * 1e-3, 0,
                            s->rate);
}

static void mb_destroy(void *state)
{
    mb_state *s = state;
    if (!s)
        return;
    lathe_xover_lin_destroy(s->lin);
    free(s);
}

static lathe_status mb_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    mb_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    memcpy(s->p, p, sizeof s->p);
    s->bands = (int)p[P_BANDS];
    s->linear = (int)p[P_PHASE] == 1;
    s->order = (int)p[P_SLOPE] == 0 ? 2 : (int)p[P_SLOPE] == 2 ? 8 : 4;
    s->link = (int)p[P_LINK];
    s->detector = (int)p[P_DETECTOR];
    if (s->linear) {
        lathe_status st = lathe_xover_lin_create(s->channels, s->bands, s->order, p + P_X1,
                                                 s->rate, &s->lin);
        if (st != LATHE_OK) {
            mb_destroy(s);
            return st;
        }
    } else {
        lathe_xover_init(&s->lr, s->channels, s->bands, s->order, p + P_X1, s->rate);
    }
    size_t ramp = (size_t)(RAMP_S * s->rate);
    for (int b = 0; b < NB; b++) {
        set_band(s, b);
        for (int c = 0; c < MAXCH; c++)
            lathe_level_init(&s->lvl[b][c], RMS_WINDOW_S, s->rate);
        lathe_ramp_init(&s->makeup[b], pow(10.0, bp(s, b, B_MAKEUP) / 20.0), ramp);
    }
    *out = s;
    return LATHE_OK;
}

static void mb_set_param(void *state, int id, double v)
{
    mb_state *s = state;
    s->p[id] = v;
    if (id >= P_X1 && id <= P_X4) {
        if (id - P_X1 >= s->bands - 1)
            return;
        if (s->linear)
            lathe_xover_lin_set_freqs(s->lin, s->p + P_X1);
        else
            lathe_xover_set_freqs(&s->lr, s->p + P_X1);
    } else if (id == P_LINK) {
        s->link = (int)v;
    } else if (id == P_DETECTOR) {
        s->detector = (int)v;
    } else if (id >= P_BAND0) {
        int b = (id - P_BAND0) / P_PER_BAND;
        if ((id - P_BAND0) % P_PER_BAND == B_MAKEUP)
            lathe_ramp_set(&s->makeup[b], pow(10.0, v / 20.0));
        else
            set_band(s, b);
    }
    /* bands, phase and slope are structural: they take effect at creation only. */
}

static void mb_process(void *state, float *const *ch, size_t frames)
{
    mb_state *s = state;
    const int nch = s->channels, nb = s->bands;
    const int ms = s->link == LINK_MID_SIDE && nch >= 2;
    const int linked = s->link == LINK_STEREO;
    double in[MAXCH], split[MAXCH], xd[MAXCH], band[NB * MAXCH], delta[MAXCH];

    for (size_t i = 0; i < frames; i++) {
        for (int c = 0; c < nch; c++)
            in[c] = split[c] = ch[c][i];
        if (ms) {
            split[0] = 0.5 * (in[0] + in[1]);
            split[1] = 0.5 * (in[0] - in[1]);
        }
        if (s->linear)
            lathe_xover_lin_frame(s->lin, split, in, band, xd);
        else
            lathe_xover_frame(&s->lr, split, band);

        double frame_gr = 0.0;
        for (int c = 0; c < nch; c++)
            delta[c] = 0.0;
        for (int b = 0; b < nb; b++) {
            const double *v = band + b * MAXCH;
            const double mk = lathe_ramp_next(&s->makeup[b]);
            double pw[MAXCH], pmax = 0.0, g[MAXCH];
            for (int c = 0; c < nch; c++) {
                pw[c] = lathe_level_power(&s->lvl[b][c], s->detector, v[c]);
                pmax = pw[c] > pmax ? pw[c] : pmax;
            }
            if (linked) {
                double r = lathe_gr_next(&s->bal[b], &s->gr[b][0],
                                         lathe_gain_curve_reduction(&s->curve[b], pmax));
                frame_gr = r > frame_gr ? r : frame_gr;
                double gain = lathe_gr_gain(r) * mk;
                for (int c = 0; c < nch; c++)
                    g[c] = gain;
            } else {
                for (int c = 0; c < nch; c++) {
                    double r = lathe_gr_next(&s->bal[b], &s->gr[b][c],
                                             lathe_gain_curve_reduction(&s->curve[b], pw[c]));
                    frame_gr = r > frame_gr ? r : frame_gr;
                    g[c] = lathe_gr_gain(r) * mk;
                }
            }
            /* Sum of (gain - 1) * band: zero for unit gains, whatever the bands hold. */
            for (int c = 0; c < nch; c++)
                delta[c] += (g[c] - 1.0) * v[c];
        }
        /* Output = (sum of the bands) + delta. Linear phase: the bands sum to the
         * delayed input exactly, so that is used directly (bit-exact when neutral);
         * minimum phase: the sum of the bands is the all-passed input. */
        if (!s->linear) {
            for (int c = 0; c < nch; c++) {
                double sum = 0.0;
                for (int b = 0; b < nb; b++)
                    sum += band[b * MAXCH + c];
                xd[c] = sum;
            }
            if (ms) {
                double m = xd[0], d = xd[1];
                xd[0] = m + d;
                xd[1] = m - d;
            }
        }
        if (ms) {
            ch[0][i] = (float)(xd[0] + (delta[0] + delta[1]));
            ch[1][i] = (float)(xd[1] + (delta[0] - delta[1]));
            for (int c = 2; c < nch; c++)
                ch[c][i] = (float)(xd[c] + delta[c]);
        } else {
            for (int c = 0; c < nch; c++)
                ch[c][i] = (float)(xd[c] + delta[c]);
        }
        s->gr_max = frame_gr > s->gr_max ? frame_gr : s->gr_max;
        s->gr_sum += frame_gr;
        s->active += frame_gr > 0.1;
    }
    s->frames += (long long)frames;
}

static size_t mb_latency(const void *state)
{
    const mb_state *s = state;
    return s->linear ? lathe_xover_lin_latency(s->lin) : 0;
}

static void mb_reset(void *state)
{
    mb_state *s = state;
    if (s->linear)
        lathe_xover_lin_reset(s->lin);
    else
        lathe_xover_reset(&s->lr);
    for (int b = 0; b < NB; b++) {
        for (int c = 0; c < MAXCH; c++) {
            lathe_level_reset(&s->lvl[b][c]);
            lathe_gr_reset(&s->gr[b][c]);
        }
        lathe_ramp_finish(&s->makeup[b]);
    }
    s->gr_max = s->gr_sum = 0.0;
    s->frames = s->active = 0;
}

static void mb_stats(const void *state, lathe_fx_stats *out)
{
    const mb_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

const lathe_fx_class lathe_fx_multiband = {
    .name = "multiband",
    .summary = "2-5 band compressor, Linkwitz-Riley or linear-phase crossovers",
    .params = params,
    .num_params = P_COUNT,
    .create = mb_create,
    .set_param = mb_set_param,
    .process = mb_process,
    .latency = mb_latency,
    .reset = mb_reset,
    .stats = mb_stats,
    .destroy = mb_destroy,
};
