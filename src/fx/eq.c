/* SPDX-License-Identifier: GPL-3.0-or-later */
/* eq: an 8-band parametric equaliser (bell, shelves, Butterworth cuts of 6-48 dB/oct,
 * notch, tilt), each band on all channels, left, right, mid or side; minimum phase
 * (biquad cascades in double) or linear phase (the same magnitude as a symmetric FIR
 * applied by partitioned FFT convolution). Algorithms and numbers: docs/fx/eq.md. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/eq_band.h"
#include "dsp/fir_convolve.h"
#include "dsp/simd.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

#define NBANDS 8
#define MAXCH 8
#define GLIDE_S 0.020    /* glide and fade time, s */
#define SUB 4            /* coefficient update interval while gliding, frames */
#define FIR_SPAN_S 0.34  /* linear phase: half FIR length >= this, s (docs/fx/eq.md) */
#define TUKEY_TAPER 0.25 /* share of each FIR half tapered by the window */

enum { BP_TYPE, BP_FREQ, BP_GAIN, BP_Q, BP_SLOPE, BP_CHANNELS, BP_COUNT };
#define P_PHASE (NBANDS * BP_COUNT)
#define P_COUNT (P_PHASE + 1)

enum { CH_STEREO, CH_LEFT, CH_RIGHT, CH_MID, CH_SIDE };

static const char *const type_choices[] = { "off", "bell", "low_shelf", "high_shelf", "low_cut",
                                            "high_cut", "notch", "tilt", NULL };
static const char *const channel_choices[] = { "stereo", "left", "right", "mid", "side", NULL };
static const char *const phase_choices[] = { "minimum", "linear", NULL };

#define BAND_PARAMS(n, f)                                                                       \
    { "band" #n "_type", LATHE_UNIT_CHOICE, 0, 7, 0, type_choices,                              \
      "Band " #n " filter: off, bell, low_shelf, high_shelf, low_cut, high_cut, notch or tilt." }, \
    { "band" #n "_freq_hz", LATHE_UNIT_HZ, 10.0, 40000.0, f, NULL,                              \
      "Band " #n " centre, corner or pivot frequency (used up to 0.49 times the sample rate)." }, \
    { "band" #n "_gain_db", LATHE_UNIT_DB, -24.0, 24.0, 0.0, NULL,                              \
      "Band " #n " gain: at the bell centre, on the shelf plateau, or +gain above and -gain "   \
      "below a tilt's pivot." },                                                                \
    { "band" #n "_q", LATHE_UNIT_Q, 0.1, 40.0, 0.7071, NULL,                                    \
      "Band " #n " quality factor (bell and notch bandwidth, shelf knee; cuts are "             \
      "Butterworth and ignore it)." },                                                          \
    { "band" #n "_slope_db_oct", LATHE_UNIT_DB_PER_OCT, 6.0, 48.0, 12.0, NULL,                  \
      "Band " #n " cut slope, a multiple of 6 dB/octave (6, 12, 18, 24, 36, 48; others "       \
      "round to the nearest multiple)." },                                                      \
    { "band" #n "_channels", LATHE_UNIT_CHOICE, 0, 4, 0, channel_choices,                       \
      "Band " #n " applies to every channel (stereo), the first (left), the second (right), "  \
      "or the mid (L+R)/2 or side (L-R)/2 of the first two." }

static const lathe_param_desc params[P_COUNT] = {
    BAND_PARAMS(1, 50.0), BAND_PARAMS(2, 120.0), BAND_PARAMS(3, 300.0), BAND_PARAMS(4, 700.0),
    BAND_PARAMS(5, 1500.0), BAND_PARAMS(6, 3000.0), BAND_PARAMS(7, 6000.0),
    BAND_PARAMS(8, 12000.0),
    [P_PHASE] = { "phase", LATHE_UNIT_CHOICE, 0, 1, 0, phase_choices,
                  "minimum (biquads, no latency) or linear (FIR of the same magnitude, "
                  "0.38-0.42 s latency); fixed when the processor is created." },
};

typedef struct band {
    int type_t, chan_t, order_t;        /* targets, as set */
    double freq_t, gain_t, q_t;
    int type, chan, order;              /* playing (minimum phase) */
    int pending;                        /* a type/channel/slope change waits for mix = 0 */
    int live;                           /* the filter state may be non-zero */
    lathe_ramp gain, lfreq, lq, mix;    /* dB, log2 Hz, log2 Q, 0..1 */
    lathe_eq_cascade cas;
    lathe_eq_hist st[MAXCH][LATHE_EQ_MAX_SECTIONS];   /* per path (channel, or M/S) */
} band;

typedef struct eq_state {
    int channels, linear;
    double rate;
    size_t glide;
    band b[NBANDS];
    double *x[MAXCH];                   /* max_block frames per channel */
    double *mbuf, *sbuf, *dry;          /* max_block frames each */
    double mixv[SUB];
    /* linear phase */
    lathe_fir_conv *conv;
    size_t D, L, B, M;                  /* centre tap, taps, partition, grid points */
    double *phi;                        /* sin^2(w/2) on the grid, M */
    double *mag, *dct, *T[5];           /* M each: band |H|, transform out, T00 T01 T10 T11 S */
    double *h, *win;                    /* L taps; D + 1 window values */
    fftw_plan dctplan;
    int dirty;
} eq_state;

static int is_cut(int type)
{
    return type == LATHE_EQ_LOW_CUT || type == LATHE_EQ_HIGH_CUT;
}

static double clamp_freq(const eq_state *s, double f)
{
    double fmax = lathe_eq_max_freq(s->rate);
    return f > fmax ? fmax : f;
}

/* ---- minimum phase ---- */

/* A gain that is 0 dB to 1e-9 dB: the sections of a band that glided to 0 dB keep
 * running (an identity to -200 dB) until their response has decayed, rather than being
 * dropped with a residual in them (measured on a 20 Hz bell going +12 -> 0 dB at
 * 192 kHz: a step 0.997 times a 20 Hz sine's instead of 690 times). */
#define TAIL_GAIN_DB 1e-9
#define TAIL_STATE 1e-12

static void design_now(const eq_state *s, band *bd)
{
    double f = lathe_ramp_active(&bd->lfreq) ? exp2(bd->lfreq.value) : bd->freq_t;
    double q = lathe_ramp_active(&bd->lq) ? exp2(bd->lq.value) : bd->q_t;
    double g = bd->gain.value;
    if (g == 0.0 && bd->live)
        g = TAIL_GAIN_DB;
    lathe_eq_design(&bd->cas, (lathe_eq_type)bd->type, f, g, q, bd->order, s->rate);
}

/* Ends a 0 dB band's tail once every section's output history equals its input
 * history (an identity's state) to TAIL_STATE: from then on it is skipped. */
static void end_tail(const eq_state *s, band *bd)
{
    double m = 0.0;
    for (int c = 0; c < s->channels; c++)
        for (int k = 0; k < bd->cas.n; k++) {
            const lathe_eq_hist *h = &bd->st[c][k];
            m = fmax(m, fmax(fabs(h->y1 - h->x1), fabs(h->y2 - h->x2)));
        }
    if (m < TAIL_STATE) {
        bd->live = 0;
        design_now(s, bd);
    }
}

/* An identity's history for every section of every path, from each path's input
 * history (kept by the first section). */
static void hist_to_identity(band *bd)
{
    for (int p = 0; p < MAXCH; p++)
        lathe_eq_hist_identity(bd->st[p], bd->st[p][0].x1, bd->st[p][0].x2);
}

static int band_moving(const band *bd)
{
    return lathe_ramp_active(&bd->gain) || lathe_ramp_active(&bd->lfreq)
           || lathe_ramp_active(&bd->lq);
}

/* Silent: contributes nothing and will not until a parameter changes. */
static int band_silent(const band *bd)
{
    if (lathe_ramp_active(&bd->mix))
        return 0;
    if (bd->mix.value == 0.0)
        return 1;
    return lathe_eq_type_has_gain((lathe_eq_type)bd->type) && !lathe_ramp_active(&bd->gain)
           && bd->gain.value == 0.0;
}

static void finish_ramps(band *bd)
{
    lathe_ramp_finish(&bd->gain);
    lathe_ramp_finish(&bd->lfreq);
    lathe_ramp_finish(&bd->lq);
}

/* Applies the pending type/channel/slope change (the band is faded out). */
static void switch_design(const eq_state *s, band *bd)
{
    bd->type = bd->type_t;
    bd->chan = bd->chan_t;
    bd->order = bd->order_t;
    bd->pending = 0;
    finish_ramps(bd);
    hist_to_identity(bd);
    bd->live = 0;
    design_now(s, bd);
    if (bd->type != LATHE_EQ_OFF)
        lathe_ramp_set(&bd->mix, 1.0);
}

static void retarget(eq_state *s, band *bd)
{
    int discrete = bd->type_t != bd->type || bd->chan_t != bd->chan
                   || (is_cut(bd->type_t) && bd->order_t != bd->order);
    if (!is_cut(bd->type_t))
        bd->order = bd->order_t;     /* no audible effect: take it at once */
    lathe_ramp_set(&bd->gain, bd->gain_t);
    lathe_ramp_set(&bd->lfreq, log2(bd->freq_t));
    lathe_ramp_set(&bd->lq, log2(bd->q_t));
    if (discrete) {
        bd->pending = 1;
        lathe_ramp_set(&bd->mix, 0.0);
    } else if (bd->pending) {        /* changed back before the switch */
        bd->pending = 0;
        lathe_ramp_set(&bd->mix, bd->type != LATHE_EQ_OFF ? 1.0 : 0.0);
    }
    /* Nothing to glide from in a silent band (e.g. a frequency change at 0 dB). */
    if (band_silent(bd) || (lathe_eq_type_has_gain((lathe_eq_type)bd->type)
                            && bd->gain.value == 0.0 && bd->gain_t == 0.0))
        finish_ramps(bd);
    design_now(s, bd);
}

/* Mid M = (L + R) / 2 and side S = (L - R) / 2 of N frames. */
LATHE_HOT static void ms_split(const double *restrict l, const double *restrict r,
                               double *restrict m, double *restrict sd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = 0.5 * (l[i] + r[i]);
        sd[i] = 0.5 * (l[i] - r[i]);
    }
}

/* L = M + S, R = M - S. */
LATHE_HOT static void ms_join(double *restrict l, double *restrict r, const double *restrict m,
                              const double *restrict sd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        l[i] = m[i] + sd[i];
        r[i] = m[i] - sd[i];
    }
}

/* ms_split of the float block (exactly to_double then ms_split). */
LATHE_HOT static void ms_split_float(const float *restrict l, const float *restrict r,
                                     double *restrict m, double *restrict sd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = 0.5 * ((double)l[i] + (double)r[i]);
        sd[i] = 0.5 * ((double)l[i] - (double)r[i]);
    }
}

/* ms_join into the float block (exactly ms_join then to_float). */
LATHE_HOT static void ms_join_float(float *restrict l, float *restrict r,
                                    const double *restrict m, const double *restrict sd, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        l[i] = (float)(m[i] + sd[i]);
        r[i] = (float)(m[i] - sd[i]);
    }
}

/* Block copies in and out of the double working buffers (exact, and rounded to nearest). */
LATHE_HOT static void to_double(double *restrict d, const float *restrict f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = f[i];
}

LATHE_HOT static void to_float(float *restrict f, const double *restrict d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f[i] = (float)d[i];
}

/* Runs BUF through the cascade; with MIX, y = dry + mix (wet - dry) per frame. */
static void run_one(eq_state *s, const band *bd, lathe_eq_hist *st, double *buf, size_t n,
                    const double *mix)
{
    if (!mix) {
        lathe_eq_sections_run1(bd->cas.s, st, bd->cas.n, buf, n);
        return;
    }
    memcpy(s->dry, buf, sizeof(double) * n);
    lathe_eq_sections_run1(bd->cas.s, st, bd->cas.n, buf, n);
    for (size_t i = 0; i < n; i++)
        buf[i] = s->dry[i] + mix[i] * (buf[i] - s->dry[i]);
}

static void apply_band(eq_state *s, band *bd, size_t off, size_t n, const double *mix)
{
    switch (bd->chan) {
    case CH_STEREO:
        for (int c = 0; c < s->channels; c++)
            run_one(s, bd, bd->st[c], s->x[c] + off, n, mix);
        break;
    case CH_LEFT:
        run_one(s, bd, bd->st[0], s->x[0] + off, n, mix);
        break;
    case CH_RIGHT:
        if (s->channels > 1)
            run_one(s, bd, bd->st[1], s->x[1] + off, n, mix);
        break;
    default: {          /* mid or side of the first two channels */
        if (s->channels == 1) {   /* mono: mid is the channel, side is silence */
            if (bd->chan == CH_MID)
                run_one(s, bd, bd->st[0], s->x[0] + off, n, mix);
            break;
        }
        double *l = s->x[0] + off, *r = s->x[1] + off;
        ms_split(l, r, s->mbuf, s->sbuf, n);
        run_one(s, bd, bd->st[0], bd->chan == CH_MID ? s->mbuf : s->sbuf, n, mix);
        ms_join(l, r, s->mbuf, s->sbuf, n);
        break;
    }
    }
}

static void band_process(eq_state *s, band *bd, size_t frames)
{
    size_t i = 0;
    while (i < frames) {
        if (bd->pending && !lathe_ramp_active(&bd->mix) && bd->mix.value == 0.0)
            switch_design(s, bd);
        const int moving = band_moving(bd), fading = lathe_ramp_active(&bd->mix);
        size_t n = frames - i;
        if ((moving || fading) && n > SUB)
            n = SUB;
        if (moving) {
            for (size_t k = 0; k < n; k++) {
                lathe_ramp_next(&bd->gain);
                lathe_ramp_next(&bd->lfreq);
                lathe_ramp_next(&bd->lq);
            }
            design_now(s, bd);
        }
        const double *mix = NULL;
        if (fading) {
            for (size_t k = 0; k < n; k++)
                s->mixv[k] = lathe_ramp_next(&bd->mix);
            mix = s->mixv;
        }
        if ((fading || bd->mix.value != 0.0) && bd->cas.n > 0) {
            apply_band(s, bd, i, n, mix);
            bd->live = 1;
            if (!moving && !fading && bd->gain.value == 0.0
                && lathe_eq_type_has_gain((lathe_eq_type)bd->type))
                end_tail(s, bd);
        }
        i += n;
    }
}

/* Keeps an idle band's history that of an identity fed with its input, whose last
 * frames are LAST[c] and PREV[c] per channel (PREV NAN: one frame only, the previous one
 * being already in the history), so it resumes without a transient. */
static void prime_band(const eq_state *s, band *bd, const double *last, const double *prev)
{
    double l[MAXCH], p[MAXCH];
    int np = 0;
    switch (bd->chan) {
    case CH_STEREO:
        np = s->channels;
        for (int c = 0; c < np; c++) {
            l[c] = last[c];
            p[c] = prev[c];
        }
        break;
    case CH_LEFT:
        np = 1;
        l[0] = last[0];
        p[0] = prev[0];
        break;
    case CH_RIGHT:
        if (s->channels > 1) {     /* the right channel's history is path 1 */
            lathe_eq_hist_identity(bd->st[1], last[1],
                                   isnan(prev[1]) ? bd->st[1][0].x1 : prev[1]);
        }
        return;
    default:
        if (s->channels == 1) {
            np = 1;
            l[0] = last[0];
            p[0] = prev[0];
        } else {
            const double sg = bd->chan == CH_MID ? 1.0 : -1.0;
            np = 1;
            l[0] = 0.5 * (last[0] + sg * last[1]);
            p[0] = 0.5 * (prev[0] + sg * prev[1]);
        }
        break;
    }
    for (int c = 0; c < np; c++)
        lathe_eq_hist_identity(bd->st[c], l[c], isnan(p[c]) ? bd->st[c][0].x1 : p[c]);
}

static int band_idle(const band *bd)
{
    return !bd->pending && !band_moving(bd) && band_silent(bd) && (!bd->live || bd->mix.value == 0.0);
}

/* Steady bands run unchanged over the whole block: not idle, no change pending, no
 * glide, no fade, fully mixed in. band_process would run such a band's cascade over the
 * block on its path(s); run_group does exactly that for several consecutive steady bands
 * of one kind at once, each path through all its bands' sections in one kernel call:
 *   GROUP_ALL  stereo bands (in mono also left and mid: the one channel), every channel;
 *   GROUP_LR   left and right bands: channel 0 through the left ones, 1 the right ones;
 *   GROUP_MS   mid and side bands: the mid (L + R) / 2 through the mid ones, the side
 *              (L - R) / 2 through the side ones, split and joined once per group.
 * Every path's sections run in band order with the histories and operations of
 * band_process, so the samples are the same, except that a GROUP_MS group of several bands
 * rounds L, R -> M, S -> L, R once instead of once per band (a difference in the last bits). */
enum { GROUP_NONE = -1, GROUP_ALL, GROUP_LR, GROUP_MS };

static int steady_group(const eq_state *s, const band *bd)
{
    if (band_idle(bd) || bd->pending || band_moving(bd) || lathe_ramp_active(&bd->mix)
        || bd->mix.value == 0.0 || bd->cas.n == 0)
        return GROUP_NONE;
    if (s->channels == 1)   /* mono: right and side bands have no signal (band_process) */
        return bd->chan == CH_RIGHT || bd->chan == CH_SIDE ? GROUP_NONE : GROUP_ALL;
    return bd->chan == CH_STEREO ? GROUP_ALL
           : bd->chan == CH_LEFT || bd->chan == CH_RIGHT ? GROUP_LR : GROUP_MS;
}

/* Which path of a GROUP_LR or GROUP_MS group a band runs on: 0 (left, mid) or 1. */
static int group_path(const band *bd)
{
    return bd->chan == CH_RIGHT || bd->chan == CH_SIDE;
}

/* Bands B0 .. B1-1 (steady, of kind KIND, LATHE_EQ_MAX_RUN sections at most per path)
 * over the block. A GROUP_MS group splits channels 0 and 1 from FIN (the float block; NULL:
 * from s->x) and joins them into FOUT (the float block, and the last two frames into s->x
 * for prime_band; NULL: into s->x). */
static void run_group(eq_state *s, int kind, int b0, int b1, size_t frames,
                      float *const *fin, float *const *fout)
{
    lathe_biquad_coefs co[2][LATHE_EQ_MAX_RUN];
    lathe_eq_hist h[2][LATHE_EQ_MAX_RUN];
    int ns[2] = { 0, 0 };
    if (kind == GROUP_ALL) {
        for (int b = b0; b < b1; b++)
            for (int k = 0; k < s->b[b].cas.n; k++)
                co[0][ns[0]++] = s->b[b].cas.s[k];
        for (int c = 0; c < s->channels; c += 2) {
            const int two = c + 1 < s->channels;
            int k = 0;
            for (int b = b0; b < b1; b++)
                for (int j = 0; j < s->b[b].cas.n; j++, k++) {
                    h[0][k] = s->b[b].st[c][j];
                    if (two)
                        h[1][k] = s->b[b].st[c + 1][j];
                }
            if (two)
                lathe_eq_sections_run2(co[0], h[0], h[1], ns[0], s->x[c], s->x[c + 1], frames);
            else
                lathe_eq_sections_run1(co[0], h[0], ns[0], s->x[c], frames);
            k = 0;
            for (int b = b0; b < b1; b++)
                for (int j = 0; j < s->b[b].cas.n; j++, k++) {
                    s->b[b].st[c][j] = h[0][k];
                    if (two)
                        s->b[b].st[c + 1][j] = h[1][k];
                }
        }
    } else {
        /* path p's histories: a left/right band's of channel p, a mid/side band's path 0 */
        for (int b = b0; b < b1; b++) {
            const band *bd = &s->b[b];
            const int p = group_path(bd), hc = kind == GROUP_LR ? p : 0;
            for (int k = 0; k < bd->cas.n; k++) {
                co[p][ns[p]] = bd->cas.s[k];
                h[p][ns[p]++] = bd->st[hc][k];
            }
        }
        double *x0 = s->x[0], *x1 = s->x[1];
        if (kind == GROUP_MS) {
            if (fin)
                ms_split_float(fin[0], fin[1], s->mbuf, s->sbuf, frames);
            else
                ms_split(s->x[0], s->x[1], s->mbuf, s->sbuf, frames);
            x0 = s->mbuf;
            x1 = s->sbuf;
        }
        lathe_eq_sections_run_pair(co[0], h[0], ns[0], x0, co[1], h[1], ns[1], x1, frames);
        if (kind == GROUP_MS && fout) {
            ms_join_float(fout[0], fout[1], s->mbuf, s->sbuf, frames);
            for (size_t i = frames > 1 ? frames - 2 : 0; i < frames; i++) {
                s->x[0][i] = s->mbuf[i] + s->sbuf[i];
                s->x[1][i] = s->mbuf[i] - s->sbuf[i];
            }
        } else if (kind == GROUP_MS) {
            ms_join(s->x[0], s->x[1], s->mbuf, s->sbuf, frames);
        }
        ns[0] = ns[1] = 0;
        for (int b = b0; b < b1; b++) {
            band *bd = &s->b[b];
            const int p = group_path(bd), hc = kind == GROUP_LR ? p : 0;
            for (int k = 0; k < bd->cas.n; k++)
                bd->st[hc][k] = h[p][ns[p]++];
        }
    }
    for (int b = b0; b < b1; b++) {
        band *bd = &s->b[b];
        bd->live = 1;
        if (bd->gain.value == 0.0 && lathe_eq_type_has_gain((lathe_eq_type)bd->type))
            end_tail(s, bd);
    }
}

/* ---- linear phase ---- */

/* Linear-phase FIR of the zero-phase response R (on the grid) into kernel K:
 * h_zp[n] = DCT-I(R)[n] / (2 (M - 1)) (the inverse DFT of the even real spectrum),
 * Tukey-windowed and placed symmetrically around tap D. */
static void stage_fir(eq_state *s, int k, double *r)
{
    fftw_execute_r2r(s->dctplan, r, s->dct);
    const double scale = 1.0 / (2.0 * (double)(s->M - 1));
    for (size_t n = 0; n <= s->D; n++) {
        double v = s->dct[n] * scale * s->win[n];
        s->h[s->D + n] = v;
        s->h[s->D - n] = v;
    }
    lathe_fir_conv_stage_kernel(s->conv, k, s->h, s->L);
}

static void linear_design(eq_state *s, size_t fade)
{
    const size_t M = s->M;
    double *T00 = s->T[0], *T01 = s->T[1], *T10 = s->T[2], *T11 = s->T[3], *S = s->T[4];
    int touched[5] = { 0 }, cross = 0;
    for (size_t m = 0; m < M; m++) {
        T00[m] = T11[m] = S[m] = 1.0;
        T01[m] = T10[m] = 0.0;
    }
    for (int b = 0; b < NBANDS; b++) {
        const band *bd = &s->b[b];
        if (lathe_eq_is_identity((lathe_eq_type)bd->type_t, bd->gain_t))
            continue;
        lathe_eq_cascade cas;
        lathe_eq_design(&cas, (lathe_eq_type)bd->type_t, bd->freq_t, bd->gain_t, bd->q_t,
                        bd->order_t, s->rate);
        int ch = bd->chan_t;
        if (s->channels == 1) {
            if (ch == CH_RIGHT || ch == CH_SIDE)
                continue;
            ch = CH_STEREO;
        }
        double *h = s->mag;
        for (size_t m = 0; m < M; m++)
            h[m] = sqrt(lathe_eq_cascade_mag2(&cas, s->phi[m]));
        switch (ch) {
        case CH_STEREO:
            for (size_t m = 0; m < M; m++) {
                T00[m] *= h[m];
                T01[m] *= h[m];
                T10[m] *= h[m];
                T11[m] *= h[m];
                S[m] *= h[m];
            }
            touched[0] = touched[3] = touched[4] = 1;
            break;
        case CH_LEFT:
            for (size_t m = 0; m < M; m++) {
                T00[m] *= h[m];
                T01[m] *= h[m];
            }
            touched[0] = 1;
            break;
        case CH_RIGHT:
            for (size_t m = 0; m < M; m++) {
                T10[m] *= h[m];
                T11[m] *= h[m];
            }
            touched[3] = 1;
            break;
        default: {
            /* [L' R'] = A [L R] with A = [[a, c], [c, a]]: mid a = (1 + h) / 2,
             * c = (h - 1) / 2; side a = (1 + h) / 2, c = (1 - h) / 2. */
            const double sg = ch == CH_MID ? 1.0 : -1.0;
            for (size_t m = 0; m < M; m++) {
                const double a = 0.5 * (1.0 + h[m]), c = 0.5 * sg * (h[m] - 1.0);
                const double t00 = a * T00[m] + c * T10[m], t01 = a * T01[m] + c * T11[m];
                const double t10 = c * T00[m] + a * T10[m], t11 = c * T01[m] + a * T11[m];
                T00[m] = t00;
                T01[m] = t01;
                T10[m] = t10;
                T11[m] = t11;
            }
            cross = 1;
            touched[0] = touched[1] = touched[2] = touched[3] = 1;
            break;
        }
        }
    }
    lathe_fir_conv_stage_clear(s->conv);
    if (s->channels == 1) {
        if (touched[0] || touched[4]) {
            stage_fir(s, 0, T00);
            lathe_fir_conv_stage_route(s->conv, 0, 0, 0);
        } else {
            lathe_fir_conv_stage_route(s->conv, 0, 0, LATHE_FIR_IDENTITY);
        }
    } else {
        for (int k = 0; k < 4; k++)
            if (touched[k])
                stage_fir(s, k, s->T[k]);
        lathe_fir_conv_stage_route(s->conv, 0, 0, touched[0] ? 0 : LATHE_FIR_IDENTITY);
        lathe_fir_conv_stage_route(s->conv, 1, 1, touched[3] ? 3 : LATHE_FIR_IDENTITY);
        if (cross) {
            lathe_fir_conv_stage_route(s->conv, 0, 1, 1);
            lathe_fir_conv_stage_route(s->conv, 1, 0, 2);
        }
        if (s->channels > 2 && touched[4])
            stage_fir(s, 4, S);
        for (int c = 2; c < s->channels; c++)
            lathe_fir_conv_stage_route(s->conv, c, c, touched[4] ? 4 : LATHE_FIR_IDENTITY);
    }
    lathe_fir_conv_commit(s->conv, fade);
}

static lathe_status linear_create(eq_state *s)
{
    /* D = 2^k - 1 >= FIR_SPAN_S * rate: the FIR spans 2 FIR_SPAN_S or a little more. */
    size_t half = 1;
    while ((double)half < FIR_SPAN_S * s->rate)
        half <<= 1;
    s->D = half - 1;
    s->L = 2 * s->D + 1;
    s->B = half / 8;
    s->M = 2 * half + 1;          /* grid 0..pi, spacing rate / (4 half) */
    lathe_status st = lathe_fir_conv_create(s->channels, 5, s->L, s->B, s->D, &s->conv);
    if (st != LATHE_OK)
        return st;
    s->phi = fftw_malloc(sizeof(double) * s->M);
    s->mag = fftw_malloc(sizeof(double) * s->M);
    s->dct = fftw_malloc(sizeof(double) * s->M);
    int ok = s->phi && s->mag && s->dct;
    for (int k = 0; k < 5; k++) {
        s->T[k] = fftw_malloc(sizeof(double) * s->M);
        ok = ok && s->T[k];
    }
    s->h = malloc(sizeof(double) * s->L);
    s->win = malloc(sizeof(double) * (s->D + 1));
    if (!ok || !s->h || !s->win)
        return LATHE_ERR_NO_MEMORY;
    s->dctplan = fftw_plan_r2r_1d((int)s->M, s->T[0], s->dct, FFTW_REDFT00, FFTW_ESTIMATE);
    if (!s->dctplan)
        return LATHE_ERR_NO_MEMORY;
    for (size_t m = 0; m < s->M; m++) {
        double sw = sin(M_PI * (double)m / (2.0 * (double)(s->M - 1)));
        s->phi[m] = sw * sw;
    }
    /* Tukey window over n = -D..D: flat to 0.75 D, raised-cosine taper to 0 after. */
    for (size_t n = 0; n <= s->D; n++) {
        double x = (double)n / (double)(s->D + 1);
        s->win[n] = x <= 1.0 - TUKEY_TAPER
                        ? 1.0
                        : 0.5 * (1.0 + cos(M_PI * (x - (1.0 - TUKEY_TAPER)) / TUKEY_TAPER));
    }
    linear_design(s, 0);
    return LATHE_OK;
}

/* ---- class ---- */

static void eq_destroy(void *state)
{
    eq_state *s = state;
    if (!s)
        return;
    for (int c = 0; c < MAXCH; c++)
        free(s->x[c]);
    free(s->mbuf);
    free(s->sbuf);
    free(s->dry);
    lathe_fir_conv_destroy(s->conv);
    if (s->dctplan)
        fftw_destroy_plan(s->dctplan);
    fftw_free(s->phi);
    fftw_free(s->mag);
    fftw_free(s->dct);
    for (int k = 0; k < 5; k++)
        fftw_free(s->T[k]);
    free(s->h);
    free(s->win);
    free(s);
}

static lathe_status eq_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    eq_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    s->linear = (int)p[P_PHASE] == 1;
    s->glide = (size_t)(GLIDE_S * setup->rate_hz);
    for (int b = 0; b < NBANDS; b++) {
        band *bd = &s->b[b];
        const double *bp = p + b * BP_COUNT;
        bd->type = bd->type_t = (int)bp[BP_TYPE];
        bd->chan = bd->chan_t = (int)bp[BP_CHANNELS];
        bd->order = bd->order_t = lathe_eq_order_for_slope(bp[BP_SLOPE]);
        bd->freq_t = clamp_freq(s, bp[BP_FREQ]);
        bd->gain_t = bp[BP_GAIN];
        bd->q_t = bp[BP_Q];
        lathe_ramp_init(&bd->gain, bd->gain_t, s->glide);
        lathe_ramp_init(&bd->lfreq, log2(bd->freq_t), s->glide);
        lathe_ramp_init(&bd->lq, log2(bd->q_t), s->glide);
        lathe_ramp_init(&bd->mix, bd->type != LATHE_EQ_OFF ? 1.0 : 0.0, s->glide);
        design_now(s, bd);
    }
    lathe_status st = LATHE_OK;
    if (s->linear) {
        st = linear_create(s);
    } else {
        for (int c = 0; c < s->channels; c++)
            if (!(s->x[c] = malloc(sizeof(double) * setup->max_block)))
                st = LATHE_ERR_NO_MEMORY;
        s->mbuf = malloc(sizeof(double) * setup->max_block);
        s->sbuf = malloc(sizeof(double) * setup->max_block);
        s->dry = malloc(sizeof(double) * setup->max_block);
        if (!s->mbuf || !s->sbuf || !s->dry)
            st = LATHE_ERR_NO_MEMORY;
    }
    if (st != LATHE_OK) {
        eq_destroy(s);
        return st;
    }
    *out = s;
    return LATHE_OK;
}

static void eq_set_param(void *state, int id, double v)
{
    eq_state *s = state;
    if (id < 0 || id >= P_PHASE)
        return;          /* phase is fixed at create: it sets the latency */
    band *bd = &s->b[id / BP_COUNT];
    switch (id % BP_COUNT) {
    case BP_TYPE: bd->type_t = (int)v; break;
    case BP_FREQ: bd->freq_t = clamp_freq(s, v); break;
    case BP_GAIN: bd->gain_t = v; break;
    case BP_Q: bd->q_t = v; break;
    case BP_SLOPE: bd->order_t = lathe_eq_order_for_slope(v); break;
    default: bd->chan_t = (int)v; break;
    }
    if (s->linear)
        s->dirty = 1;
    else
        retarget(s, bd);
}

static void eq_process(void *state, float *const *ch, size_t frames)
{
    eq_state *s = state;
    if (s->linear) {
        if (s->dirty && !lathe_fir_conv_busy(s->conv)) {
            s->dirty = 0;
            linear_design(s, s->glide);
        }
        lathe_fir_conv_process(s->conv, ch, frames);
        return;
    }
    if (frames == 0)
        return;
    double last[MAXCH], prev[MAXCH];
    int any = 0;
    for (int b = 0; b < NBANDS; b++)
        any |= !band_idle(&s->b[b]);
    if (!any) {          /* every band is the identity: the input passes untouched */
        for (int c = 0; c < s->channels; c++) {
            last[c] = ch[c][frames - 1];
            prev[c] = frames > 1 ? ch[c][frames - 2] : NAN;
        }
        for (int b = 0; b < NBANDS; b++)
            prime_band(s, &s->b[b], last, prev);
        return;
    }
    /* The block's plan, op by op (bands op_b[i] .. op_b[i + 1] - 1): consecutive steady
     * bands of one kind (a GROUP_* kind: one pass through all their sections), a moving
     * band (OP_BAND), an idle band (OP_IDLE). Each op changes only its own bands' state, so
     * the plan is what a band-by-band walk would find. */
    enum { OP_BAND = GROUP_NONE - 1, OP_IDLE = GROUP_NONE - 2 };
    int op_kind[NBANDS], op_b[NBANDS + 1], nops = 0, last_op = 0;
    for (int b = 0; b < NBANDS; nops++) {
        const int kind = steady_group(s, &s->b[b]);
        op_b[nops] = b;
        op_kind[nops] = kind != GROUP_NONE ? kind : band_idle(&s->b[b]) ? OP_IDLE : OP_BAND;
        if (op_kind[nops] != OP_IDLE)
            last_op = nops;
        if (kind == GROUP_NONE) {
            b++;
            continue;
        }
        int ns[2] = { 0, 0 };
        while (b < NBANDS && steady_group(s, &s->b[b]) == kind) {
            const int p = kind == GROUP_ALL ? 0 : group_path(&s->b[b]);
            if (ns[p] + s->b[b].cas.n > LATHE_EQ_MAX_RUN)
                break;
            ns[p] += s->b[b++].cas.n;
        }
    }
    op_b[nops] = NBANDS;
    /* A mid/side group first reads channels 0 and 1 straight from the float block, one
     * last (only idle bands after it) writes them straight into it: the same values. */
    const int ms_in = op_kind[0] == GROUP_MS, ms_out = op_kind[last_op] == GROUP_MS;
    for (int c = ms_in ? 2 : 0; c < s->channels; c++)
        to_double(s->x[c], ch[c], frames);
    for (int i = 0; i < nops; i++) {
        const int b = op_b[i];
        if (op_kind[i] >= 0) {
            run_group(s, op_kind[i], b, op_b[i + 1], frames, i == 0 && ms_in ? ch : NULL,
                      i == last_op && ms_out ? ch : NULL);
        } else if (op_kind[i] == OP_BAND) {
            band_process(s, &s->b[b], frames);
        } else {
            for (int c = 0; c < s->channels; c++) {
                last[c] = s->x[c][frames - 1];
                prev[c] = frames > 1 ? s->x[c][frames - 2] : NAN;
            }
            prime_band(s, &s->b[b], last, prev);
        }
    }
    for (int c = ms_out ? 2 : 0; c < s->channels; c++)
        to_float(ch[c], s->x[c], frames);
}

static size_t eq_latency(const void *state)
{
    const eq_state *s = state;
    return s->linear ? s->D + lathe_fir_conv_latency(s->conv) : 0;
}

static void eq_reset(void *state)
{
    eq_state *s = state;
    if (s->linear) {
        lathe_fir_conv_reset(s->conv);
        return;
    }
    for (int b = 0; b < NBANDS; b++) {
        band *bd = &s->b[b];
        if (bd->pending)
            switch_design(s, bd);
        finish_ramps(bd);
        lathe_ramp_finish(&bd->mix);
        memset(bd->st, 0, sizeof bd->st);
        bd->live = 0;
        design_now(s, bd);
    }
}

const lathe_fx_class lathe_fx_eq = {
    .name = "eq",
    .summary = "8-band parametric EQ (bell, shelves, cuts, notch, tilt; stereo/L/R/M/S; "
               "minimum or linear phase)",
    .params = params,
    .num_params = P_COUNT,
    .create = eq_create,
    .set_param = eq_set_param,
    .process = eq_process,
    .latency = eq_latency,
    .reset = eq_reset,
    .stats = NULL,
    .destroy = eq_destroy,
};
