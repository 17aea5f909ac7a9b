/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fade: fade-in from the first frame and fade-out to the last frame of the stream,
 * with linear, equal-power, logarithmic (dB-linear) or S-curve shapes. The gain is a
 * function of the stream position only; the fade-out needs the stream length
 * (setup->total_frames), so create rejects a fade-out when it is unknown (0).
 * The curves: docs/fx/fade.md. */
#include <math.h>
#include <stdlib.h>
#include "fx/registry.h"

enum { P_IN, P_OUT, P_CURVE_IN, P_CURVE_OUT, P_COUNT };
enum { C_LINEAR, C_EQUAL_POWER, C_LOG, C_S_CURVE };

static const char *const curve_choices[] = { "linear", "equal_power", "logarithmic", "s_curve",
                                             NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_IN] = { "fade_in_ms", LATHE_UNIT_MS, 0.0, 60000.0, 0.0, NULL,
               "Fade-in length from the first frame; 0 is none." },
    [P_OUT] = { "fade_out_ms", LATHE_UNIT_MS, 0.0, 60000.0, 0.0, NULL,
                "Fade-out length ending at the last frame (needs the stream length); 0 is "
                "none." },
    [P_CURVE_IN] = { "curve_in", LATHE_UNIT_CHOICE, 0, 3, 3, curve_choices,
                     "Fade-in shape: linear, equal_power (sine), logarithmic (linear in dB "
                     "over 60 dB) or s_curve (raised cosine)." },
    [P_CURVE_OUT] = { "curve_out", LATHE_UNIT_CHOICE, 0, 3, 1, curve_choices,
                      "Fade-out shape, the time mirror of the same fade-in shape." },
};

/* Range of the logarithmic curve: it rises linearly in dB from -60 dB to 0 dB, and
 * the -60 dB floor is subtracted so it starts from exact silence. */
#define LOG_RANGE_DB 60.0

typedef struct fade_state {
    int channels;
    double rate;
    long long total;            /* stream length in frames, 0 if unknown */
    long long pos;              /* frames processed since create or reset */
    long long n_in, n_out;      /* fade lengths in frames */
    int curve_in, curve_out;
} fade_state;

/* Gain at U in [0, 1]: 0 at U = 0 (silence), 1 at U = 1 (full level). */
static double shape(int curve, double u)
{
    switch (curve) {
    case C_EQUAL_POWER:
        return sin(0.5 * M_PI * u);
    case C_LOG: {
        const double floor_gain = pow(10.0, -LOG_RANGE_DB / 20.0);
        return (pow(10.0, LOG_RANGE_DB * (u - 1.0) / 20.0) - floor_gain) / (1.0 - floor_gain);
    }
    case C_S_CURVE:
        return 0.5 - 0.5 * cos(M_PI * u);
    default:
        return u;
    }
}

static long long frames_of(double ms, double rate)
{
    return (long long)llround(ms * rate / 1000.0);
}

static void apply_params(fade_state *s, const double *p)
{
    s->n_in = frames_of(p[P_IN], s->rate);
    /* Without the stream length a fade-out cannot be placed: it stays off. */
    s->n_out = s->total > 0 ? frames_of(p[P_OUT], s->rate) : 0;
    s->curve_in = (int)p[P_CURVE_IN];
    s->curve_out = (int)p[P_CURVE_OUT];
}

static lathe_status fade_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    if (p[P_OUT] > 0.0 && setup->total_frames <= 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    fade_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    s->total = setup->total_frames > 0 ? setup->total_frames : 0;
    apply_params(s, p);
    *out = s;
    return LATHE_OK;
}

static void fade_set_param(void *state, int id, double v)
{
    fade_state *s = state;
    /* The envelope is a function of the stream position: a change applies from the
     * next block on (no glide; change fades before they start). */
    switch (id) {
    case P_IN:
        s->n_in = frames_of(v, s->rate);
        break;
    case P_OUT:
        s->n_out = s->total > 0 ? frames_of(v, s->rate) : 0;
        break;
    case P_CURVE_IN:
        s->curve_in = (int)v;
        break;
    case P_CURVE_OUT:
        s->curve_out = (int)v;
        break;
    default:
        break;
    }
}

/* Gain at stream frame N (fade-in times fade-out; they may overlap). */
static double gain_at(const fade_state *s, long long n)
{
    double g = 1.0;
    if (n < s->n_in)
        g = shape(s->curve_in, (double)n / (double)s->n_in);
    if (s->n_out > 0) {
        long long left = s->total - 1 - n;   /* frames after this one */
        if (left < 0)
            return 0.0;                      /* past the announced end: silence */
        if (left < s->n_out)
            g *= shape(s->curve_out, (double)left / (double)s->n_out);
    }
    return g;
}

static void fade_process(void *state, float *const *ch, size_t frames)
{
    fade_state *s = state;
    const long long start = s->pos, end = s->pos + (long long)frames;
    /* Frames between the fade-in and the fade-out are untouched (not even multiplied
     * by 1): the loop jumps over them. */
    const long long out_start = s->n_out > 0 ? s->total - s->n_out : end;
    s->pos = end;
    for (long long n = start; n < end; n++) {
        if (n >= s->n_in && n < out_start) {
            n = (out_start < end ? out_start : end) - 1;
            continue;
        }
        const double g = gain_at(s, n);
        for (int c = 0; c < s->channels; c++)
            ch[c][n - start] = (float)(ch[c][n - start] * g);
    }
}

static size_t fade_latency(const void *state)
{
    (void)state;
    return 0;
}

static void fade_reset(void *state)
{
    fade_state *s = state;
    s->pos = 0;
}

static void fade_destroy(void *state)
{
    free(state);
}

const lathe_fx_class lathe_fx_fade = {
    .name = "fade",
    .summary = "fade-in and fade-out with linear, equal-power, logarithmic or S-curve shapes",
    .params = params,
    .num_params = P_COUNT,
    .create = fade_create,
    .set_param = fade_set_param,
    .process = fade_process,
    .latency = fade_latency,
    .reset = fade_reset,
    .stats = NULL,
    .destroy = fade_destroy,
};
