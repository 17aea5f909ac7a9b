/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gain: level, left/right balance and polarity, with 20 ms ramps on every change.
 * The reference example of a processor: a parameter table, create with everything
 * allocated, set_param storing a target, process gliding to it. */
#include <math.h>
#include <stdlib.h>
#include "dsp/simd.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum { P_GAIN, P_BALANCE, P_INVERT, P_COUNT };

static const char *const invert_choices[] = { "none", "left", "right", "both", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_GAIN] = { "gain_db", LATHE_UNIT_DB, -60.0, 40.0, 0.0, NULL,
                 "Gain applied to every channel." },
    [P_BALANCE] = { "balance_db", LATHE_UNIT_DB, -12.0, 12.0, 0.0, NULL,
                    "Stereo balance: positive turns the right channel up and the left down by "
                    "half the value each (first two channels only)." },
    [P_INVERT] = { "invert", LATHE_UNIT_CHOICE, 0, 3, 0, invert_choices,
                   "Polarity inversion: none, left (first channel), right (second), or both "
                   "(every channel)." },
};

typedef struct gain_state {
    int channels;
    double p[P_COUNT];
    lathe_ramp g[8];   /* linear gain per channel, sign included */
} gain_state;

static double channel_gain(const gain_state *s, int c)
{
    double db = s->p[P_GAIN];
    if (s->channels >= 2 && c < 2)
        db += (c == 0 ? -0.5 : 0.5) * s->p[P_BALANCE];
    double g = pow(10.0, db / 20.0);
    int inv = (int)s->p[P_INVERT];
    if (inv == 3 || (inv == 1 && c == 0) || (inv == 2 && c == 1))
        g = -g;
    return g;
}

static lathe_status gain_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    gain_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = p[i];
    size_t ramp = (size_t)(0.020 * setup->rate_hz);
    for (int c = 0; c < s->channels; c++)
        lathe_ramp_init(&s->g[c], channel_gain(s, c), ramp);
    *out = s;
    return LATHE_OK;
}

static void gain_set_param(void *state, int id, double v)
{
    gain_state *s = state;
    s->p[id] = v;
    for (int c = 0; c < s->channels; c++)
        lathe_ramp_set(&s->g[c], channel_gain(s, c));
}

/* X *= G, rounded to float: the steady part of a block (four doubles at a time in the
 * AVX2 clone; the same operations in both). */
LATHE_HOT static void scale(float *restrict x, double g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] * g);
}

static void gain_process(void *state, float *const *ch, size_t frames)
{
    gain_state *s = state;
    for (int c = 0; c < s->channels; c++) {
        float *restrict x = ch[c];
        lathe_ramp *r = &s->g[c];
        size_t i = 0;
        for (; i < frames && lathe_ramp_active(r); i++)
            x[i] = (float)(x[i] * lathe_ramp_next(r));
        const double g = r->value;
        if (g == 1.0)
            continue;
        scale(x + i, g, frames - i);
    }
}

static size_t gain_latency(const void *state)
{
    (void)state;
    return 0;
}

static void gain_reset(void *state)
{
    gain_state *s = state;
    for (int c = 0; c < s->channels; c++)
        lathe_ramp_finish(&s->g[c]);
}

static void gain_destroy(void *state)
{
    free(state);
}

const lathe_fx_class lathe_fx_gain = {
    .name = "gain",
    .summary = "level, stereo balance and polarity",
    .params = params,
    .num_params = P_COUNT,
    .create = gain_create,
    .set_param = gain_set_param,
    .process = gain_process,
    .latency = gain_latency,
    .reset = gain_reset,
    .stats = NULL,
    .destroy = gain_destroy,
};
