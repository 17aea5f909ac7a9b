/* SPDX-License-Identifier: GPL-3.0-or-later */
/* saturate: memoryless soft saturation (tape, tube, soft_clip curves) run at 2, 4, 8
 * or 16 times the sample rate (src/dsp/oversample.h) with first-order antiderivative
 * anti-aliasing at the high rate, dry/wet mix (the dry path is delayed by the
 * latency), output gain and optional automatic gain compensation. The curves and
 * their measured aliasing: docs/fx/saturate.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/oversample.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum { P_CURVE, P_DRIVE, P_MIX, P_OUTPUT, P_AUTO, P_OS, P_COUNT };
enum { CURVE_TAPE, CURVE_TUBE, CURVE_SOFT, CURVE_COUNT };

static const char *const curve_choices[] = { "tape", "tube", "soft_clip", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_CURVE] = { "curve", LATHE_UNIT_CHOICE, 0, 2, 0, curve_choices,
                  "Transfer curve: tape (tanh, odd harmonics), tube (biased tanh, even and odd "
                  "harmonics, DC removed) or soft_clip (error function, the hardest knee)." },
    [P_DRIVE] = { "drive_db", LATHE_UNIT_DB, 0.0, 24.0, 0.0, NULL,
                  "Gain into the curve: at 0 dB a full-scale peak reaches the curve at 1.0, "
                  "where the slope has fallen to 42 % (tape)." },
    [P_MIX] = { "mix_percent", LATHE_UNIT_PERCENT, 0.0, 100.0, 100.0, NULL,
                "Share of the saturated signal; the rest is the dry signal, delayed to match." },
    [P_OUTPUT] = { "output_db", LATHE_UNIT_DB, -24.0, 24.0, 0.0, NULL,
                   "Gain applied after the mix." },
    [P_AUTO] = { "auto_gain", LATHE_UNIT_SWITCH, 0, 1, 0, NULL,
                 "When on, the saturated signal is scaled so a -18 dBFS sine keeps its RMS "
                 "level at any drive and curve." },
    [P_OS] = { "oversampling", LATHE_UNIT_INTEGER, 2, 16, 16, NULL,
               "Oversampling factor 2, 4, 8 or 16 (3 acts as 4, 5 to 7 as 8, 9 to 15 as 16); "
               "the latency is 81 frames for all four." },
};

#define SUB 256                     /* frames per internal sub-block */
#define LMAX 16                     /* largest oversampling factor */
#define NFACT 4                     /* factors 2, 4, 8, 16 */
/* Latency in base-rate frames: the oversampler's round trip plus one frame for the
 * anti-aliasing stage (its half high-rate sample, made up to L high-rate samples). */
#define LAT (LATHE_OS_DELAY + 1)
/* Input history that fully primes a chain after a factor change: the up filter's,
 * the down filter's and the anti-aliasing stage's memory (under 2 frames). */
#define HIST (2 * LATHE_OS_DELAY + 8)
/* ADAA: below this |x[n] - x[n-1]| the difference quotient is replaced by f at the
 * midpoint. In double, the quotient's rounding error is about 2.2e-16 |F| / |dx|
 * (|F| < 20 here), the midpoint rule's error |f''| dx^2 / 24 (|f''| < 0.81 for all
 * three curves); both are near 1e-10 at dx = 2^-15, far below float resolution. */
#define ADAA_EPS (1.0 / 32768.0)

/* tube: tanh biased by b = 0.2, shifted and scaled to pass through 0 with slope 1:
 * (tanh(x + b) - tanh b) / (1 - tanh^2 b), which by the addition theorem equals
 * tanh(x) / (1 + tanh(b) tanh(x)), the form used (no cancellation at small x). */
#define TUBE_T 0.197375320224904        /* tanh(0.2) */
#define SQRT_PI_2 0.8862269254527579    /* sqrt(pi) / 2: erf(SQRT_PI_2 x) has slope 1 at 0 */

/* The curves y = f(x), all with f(0) = 0 and f'(0) = 1 (docs/fx/saturate.md). */
static inline double curve_eval(int curve, double x)
{
    switch (curve) {
    case CURVE_TUBE: {
        const double u = tanh(x);
        return u / (1.0 + TUBE_T * u);
    }
    case CURVE_SOFT:
        return erf(SQRT_PI_2 * x);
    default:
        return tanh(x);
    }
}

/* log(cosh(x)) without overflow or cancellation: for |x| < 1 as log1p(2 sinh^2(x/2))
 * (cosh x - 1 = 2 sinh^2(x/2)), else |x| + log1p(exp(-2|x|)) - log 2. Even, bit for bit. */
static inline double log_cosh(double x)
{
    const double a = fabs(x);
    if (a < 1.0) {
        const double sh = sinh(0.5 * a);
        return log1p(2.0 * sh * sh);
    }
    return a + log1p(exp(-2.0 * a)) - M_LN2;
}

#define TUBE_B 0.2
#define TUBE_C2 1.0405361859192275      /* cosh^2(0.2) */
#define TUBE_CS 0.20537616290140778     /* cosh(0.2) sinh(0.2) */

/* Antiderivatives F (F' = f), up to a constant (only differences are used):
 * tape: log cosh x; soft_clip with a = sqrt(pi)/2: x erf(a x) + (exp(-(a x)^2) - 1) /
 * (a sqrt(pi)), the -1 taken with expm1 so small x loses nothing; tube: since
 * tanh x / (1 + tanh b tanh x) = cosh^2 b tanh(x + b) - cosh b sinh b,
 * F = cosh^2 b log cosh(x + b) - cosh b sinh b x. */
static inline double curve_anti(int curve, double x)
{
    switch (curve) {
    case CURVE_TUBE:
        return TUBE_C2 * log_cosh(x + TUBE_B) - TUBE_CS * x;
    case CURVE_SOFT:
        return x * erf(SQRT_PI_2 * x) + expm1(-(SQRT_PI_2 * x) * (SQRT_PI_2 * x)) /
                                            (SQRT_PI_2 * 1.7724538509055160);
    default:
        return log_cosh(x);
    }
}

/* First-order antiderivative anti-aliasing (J. D. Parker, V. Zavalishin and E. Le
 * Bivic, "Reducing the aliasing of nonlinear waveshaping using continuous-time
 * convolution", DAFx 2016; S. Bilbao, F. Esqueda, J. D. Parker and V. Valimaki,
 * "Antiderivative antialiasing for memoryless nonlinearities", IEEE SPL 24(7), 2017):
 * the mean of f over the straight line from x[n-1] to x[n], i.e. f of the linearly
 * interpolated signal convolved with a one-sample box (a half-sample delay). For a
 * linear f it is the two-point mean (x[n] + x[n-1]) / 2, response cos(w/2): the
 * small-signal droop (docs/fx/saturate.md). FX and FXP are F(x) and F(xp). */
static inline double adaa(int curve, double x, double xp, double fx, double fxp)
{
    const double d = x - xp;
    if (fabs(d) < ADAA_EPS)
        return curve_eval(curve, 0.5 * (x + xp));
    return (fx - fxp) / d;
}

typedef struct sat_chan {
    lathe_os os[NFACT];             /* factor 2, 4, 8, 16; only the current one runs */
    float *delay;                   /* dry delay line: LAT + SUB */
    float hist[HIST];               /* the last HIST driven input frames */
    double xprev;                   /* last high-rate sample into the ADAA stage */
    double ahist[LMAX + 1];         /* the last L + 1 ADAA outputs */
    lathe_biquad_state dc;          /* tube DC blocker */
} sat_chan;

typedef struct sat_state {
    int channels;
    double rate;
    double p[P_COUNT];
    int os_cur, os_target;          /* index into os[]: 0 = x2, 1 = x4, 2 = x8, 3 = x16 */
    lathe_ramp drive, mix, out, comp, weight[CURVE_COUNT];
    lathe_biquad_coefs dc;          /* 2nd-order Butterworth high-pass, 5 Hz */
    float drv[SUB], wet[SUB];
    double g[SUB], m[SUB], o[SUB], k[SUB], w[CURVE_COUNT][SUB];
    float *hi;                      /* SUB * LMAX high-rate samples */
    double *ext;                    /* LMAX + 1 + SUB * LMAX ADAA outputs */
    sat_chan ch[8];
} sat_state;

static int os_index(double v)
{
    return v <= 2.0 ? 0 : v <= 4.0 ? 1 : v <= 8.0 ? 2 : 3;
}

/* Gain that brings a -18 dBFS sine through curve C at linear drive G back to its
 * input RMS (the DC the tube makes is left out: the DC blocker removes it). */
static double auto_comp(int c, double g)
{
    enum { NPT = 256 };
    const double a = pow(10.0, -18.0 / 20.0);
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < NPT; i++) {
        double y = curve_eval(c, g * a * sin(2.0 * M_PI * i / NPT));
        s += y;
        s2 += y * y;
    }
    double var = s2 / NPT - (s / NPT) * (s / NPT);
    return var > 0.0 ? (a / sqrt(2.0)) / sqrt(var) : 1.0;
}

static double comp_target(const sat_state *s)
{
    return s->p[P_AUTO] >= 0.5 ? auto_comp((int)s->p[P_CURVE], pow(10.0, s->p[P_DRIVE] / 20.0))
                               : 1.0;
}

static void sat_destroy(void *state)
{
    sat_state *s = state;
    if (!s)
        return;
    for (int c = 0; c < 8; c++) {
        for (int f = 0; f < NFACT; f++)
            lathe_os_free(&s->ch[c].os[f]);
        free(s->ch[c].delay);
    }
    free(s->hi);
    free(s->ext);
    free(s);
}

static lathe_status sat_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    sat_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = p[i];
    s->hi = calloc((size_t)SUB * LMAX, sizeof(float));
    s->ext = calloc((size_t)SUB * LMAX + LMAX + 1, sizeof(double));
    if (!s->hi || !s->ext) {
        sat_destroy(s);
        return LATHE_ERR_NO_MEMORY;
    }
    for (int c = 0; c < s->channels; c++) {
        for (int f = 0; f < NFACT; f++) {
            lathe_status st = lathe_os_init(&s->ch[c].os[f], 2 << f, SUB);
            if (st != LATHE_OK) {
                sat_destroy(s);
                return st;
            }
        }
        s->ch[c].delay = calloc(LAT + SUB, sizeof(float));
        if (!s->ch[c].delay) {
            sat_destroy(s);
            return LATHE_ERR_NO_MEMORY;
        }
    }
    s->os_cur = s->os_target = os_index(p[P_OS]);
    lathe_biquad_design(&s->dc, LATHE_BIQUAD_HIGHPASS, 5.0, M_SQRT1_2, 0.0, s->rate);
    size_t ramp = (size_t)(0.020 * s->rate);
    lathe_ramp_init(&s->drive, pow(10.0, p[P_DRIVE] / 20.0), ramp);
    lathe_ramp_init(&s->mix, p[P_MIX] / 100.0, ramp);
    lathe_ramp_init(&s->out, pow(10.0, p[P_OUTPUT] / 20.0), ramp);
    lathe_ramp_init(&s->comp, comp_target(s), ramp);
    for (int c = 0; c < CURVE_COUNT; c++)
        lathe_ramp_init(&s->weight[c], c == (int)p[P_CURVE] ? 1.0 : 0.0, ramp);
    *out = s;
    return LATHE_OK;
}

static void sat_set_param(void *state, int id, double v)
{
    sat_state *s = state;
    s->p[id] = v;
    switch (id) {
    case P_CURVE:
        for (int c = 0; c < CURVE_COUNT; c++)
            lathe_ramp_set(&s->weight[c], c == (int)v ? 1.0 : 0.0);
        lathe_ramp_set(&s->comp, comp_target(s));
        break;
    case P_DRIVE:
        lathe_ramp_set(&s->drive, pow(10.0, v / 20.0));
        lathe_ramp_set(&s->comp, comp_target(s));
        break;
    case P_MIX:
        lathe_ramp_set(&s->mix, v / 100.0);
        break;
    case P_OUTPUT:
        lathe_ramp_set(&s->out, pow(10.0, v / 20.0));
        break;
    case P_AUTO:
        lathe_ramp_set(&s->comp, comp_target(s));
        break;
    case P_OS:
        s->os_target = os_index(v); /* applied at the next block, primed from history */
        break;
    default:
        break;
    }
}

/* Applies the curve blend with ADAA to N high-rate samples X of channel CH (factor
 * L) in place: the weights of base frame i hold for its L samples. SINGLE >= 0: one
 * curve at weight 1. The ADAA output a[m] stands for time m - 1/2; it is delayed by a
 * further L - 1/2 samples (L - 2 whole samples and the symmetric 4-point Lagrange
 * half-sample interpolator (-1, 9, 9, -1)/16, delay 3/2), so the stage delays by
 * exactly one base-rate frame and the total latency stays whole frames. */
static void shape(sat_state *s, sat_chan *ch, float *x, size_t n, int L, int single)
{
    const size_t P = (size_t)L + 1;
    double *t = s->ext, *a = s->ext + P;
    double xp = ch->xprev;
    memcpy(t, ch->ahist, sizeof(double) * P);
    if (single >= 0) {
        double fxp = curve_anti(single, xp);
        for (size_t j = 0; j < n; j++) {
            const double v = x[j], fv = curve_anti(single, v);
            a[j] = adaa(single, v, xp, fv, fxp);
            xp = v;
            fxp = fv;
        }
    } else {
        for (size_t j = 0; j < n; j++) {
            const size_t i = j / (size_t)L;
            const double v = x[j];
            double y = 0.0;
            for (int c = 0; c < CURVE_COUNT; c++)
                if (s->w[c][i] != 0.0)
                    y += s->w[c][i] * adaa(c, v, xp, curve_anti(c, v), curve_anti(c, xp));
            a[j] = y;
            xp = v;
        }
    }
    ch->xprev = xp;
    /* out[j] = sum_k c_k a[j - (L - 2) - k], k = 0..3, a[j - L - 1 + q] = t[j + q] */
    for (size_t j = 0; j < n; j++)
        x[j] = (float)(0.5625 * (t[j + 1] + t[j + 2]) - 0.0625 * (t[j] + t[j + 3]));
    memcpy(ch->ahist, t + n, sizeof(double) * P);
}

/* Runs channel C's oversampler F over the input history so that its state is what
 * it would be had it run all along (the filters are FIR: finite memory), using the
 * current curve weights. */
static void prime(sat_state *s, sat_chan *c, int f)
{
    lathe_os *os = &c->os[f];
    int single = -1;
    for (int k = 0; k < CURVE_COUNT; k++) {
        for (size_t i = 0; i < SUB; i++)
            s->w[k][i] = s->weight[k].value;
        if (s->weight[k].value == 1.0)
            single = k;
    }
    lathe_os_reset(os);
    c->xprev = 0.0;
    memset(c->ahist, 0, sizeof c->ahist);
    for (size_t pos = 0; pos < HIST; pos += SUB) {
        size_t n = HIST - pos < SUB ? HIST - pos : SUB;
        lathe_os_up(os, c->hist + pos, n, s->hi);
        shape(s, c, s->hi, n * (size_t)os->factor, os->factor, single);
        lathe_os_down(os, s->hi, n, s->wet);
    }
}

static void sat_process(void *state, float *const *chans, size_t frames)
{
    sat_state *s = state;
    const size_t D = LAT;

    if (s->os_target != s->os_cur) {
        for (int c = 0; c < s->channels; c++)
            prime(s, &s->ch[c], s->os_target);
        s->os_cur = s->os_target;
    }
    for (size_t off = 0; off < frames; off += SUB) {
        const size_t n = frames - off < SUB ? frames - off : SUB;
        int single = -1, weights_moving = 0;
        for (int k = 0; k < CURVE_COUNT; k++)
            weights_moving |= lathe_ramp_active(&s->weight[k]);
        for (size_t i = 0; i < n; i++) {
            s->g[i] = lathe_ramp_next(&s->drive);
            s->m[i] = lathe_ramp_next(&s->mix);
            s->o[i] = lathe_ramp_next(&s->out);
            s->k[i] = lathe_ramp_next(&s->comp);
            for (int k = 0; k < CURVE_COUNT; k++)
                s->w[k][i] = lathe_ramp_next(&s->weight[k]);
        }
        if (!weights_moving)
            for (int k = 0; k < CURVE_COUNT; k++)
                if (s->weight[k].value == 1.0)
                    single = k;
        const int tube_on = weights_moving || s->weight[CURVE_TUBE].value != 0.0;

        for (int c = 0; c < s->channels; c++) {
            sat_chan *ch = &s->ch[c];
            lathe_os *os = &ch->os[s->os_cur];
            float *x = chans[c] + off;

            for (size_t i = 0; i < n; i++)
                s->drv[i] = (float)(s->g[i] * x[i]);
            if (n >= HIST) {
                memcpy(ch->hist, s->drv + n - HIST, sizeof(float) * HIST);
            } else {
                memmove(ch->hist, ch->hist + n, sizeof(float) * (HIST - n));
                memcpy(ch->hist + HIST - n, s->drv, sizeof(float) * n);
            }
            lathe_os_up(os, s->drv, n, s->hi);
            shape(s, ch, s->hi, n * (size_t)os->factor, os->factor, single);
            lathe_os_down(os, s->hi, n, s->wet);

            /* Dry path: the input delayed by the latency. */
            memcpy(ch->delay + D, x, sizeof(float) * n);
            const float *dry = ch->delay;

            /* The tube's DC (and its slow variations) leave through a 5 Hz high-pass,
             * blended in by the tube's weight so a curve change glides. */
            const lathe_biquad_coefs *b = &s->dc;
            double s1 = ch->dc.s1, s2 = ch->dc.s2;
            for (size_t i = 0; i < n; i++) {
                double v = s->wet[i];
                double hp = b->b0 * v + s1;
                s1 = b->b1 * v - b->a1 * hp + s2;
                s2 = b->b2 * v - b->a2 * hp;
                if (tube_on)
                    v += s->w[CURVE_TUBE][i] * (hp - v);
                x[i] = (float)(s->o[i] * ((1.0 - s->m[i]) * dry[i] + s->m[i] * s->k[i] * v));
            }
            ch->dc.s1 = lathe_flush(s1);
            ch->dc.s2 = lathe_flush(s2);
            memmove(ch->delay, ch->delay + n, sizeof(float) * D);
        }
    }
}

static size_t sat_latency(const void *state)
{
    (void)state;
    return LAT;
}

static void sat_reset(void *state)
{
    sat_state *s = state;
    for (int c = 0; c < s->channels; c++) {
        sat_chan *ch = &s->ch[c];
        for (int f = 0; f < NFACT; f++)
            lathe_os_reset(&ch->os[f]);
        memset(ch->delay, 0, sizeof(float) * (LAT + SUB));
        memset(ch->hist, 0, sizeof ch->hist);
        ch->xprev = 0.0;
        memset(ch->ahist, 0, sizeof ch->ahist);
        ch->dc.s1 = ch->dc.s2 = 0.0;
    }
    s->os_cur = s->os_target;
    lathe_ramp_finish(&s->drive);
    lathe_ramp_finish(&s->mix);
    lathe_ramp_finish(&s->out);
    lathe_ramp_finish(&s->comp);
    for (int k = 0; k < CURVE_COUNT; k++)
        lathe_ramp_finish(&s->weight[k]);
}

const lathe_fx_class lathe_fx_saturate = {
    .name = "saturate",
    .summary = "oversampled tape, tube or soft-clip saturation with dry/wet mix",
    .params = params,
    .num_params = P_COUNT,
    .create = sat_create,
    .set_param = sat_set_param,
    .process = sat_process,
    .latency = sat_latency,
    .reset = sat_reset,
    .stats = NULL,
    .destroy = sat_destroy,
};
