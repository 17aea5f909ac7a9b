/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dc_block: removes DC offset with a 2nd-order Butterworth high-pass at a low corner
 * (default 5 Hz), designed in double by the
 * bilinear transform with pre-warping, state in double. */
#include <math.h>
#include <stdlib.h>
#include "dsp/biquad.h"
#include "fx/registry.h"

enum { P_FREQ, P_COUNT };

static const lathe_param_desc params[P_COUNT] = {
    [P_FREQ] = { "freq_hz", LATHE_UNIT_HZ, 1.0, 40.0, 5.0, NULL,
                 "Corner frequency (-3 dB) of the high-pass that removes DC." },
};

typedef struct dc_state {
    int channels;
    double rate;
    lathe_biquad_coefs c;
    lathe_biquad_state st[8];
} dc_state;

static void design(dc_state *s, double freq)
{
    lathe_biquad_design(&s->c, LATHE_BIQUAD_HIGHPASS, freq, M_SQRT1_2, 0.0, s->rate);
}

static lathe_status dc_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    dc_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    design(s, p[P_FREQ]);
    *out = s;
    return LATHE_OK;
}

static void dc_set_param(void *state, int id, double v)
{
    (void)id;
    /* A corner this low moves inaudibly: no glide needed beyond the new coefficients. */
    design(state, v);
}

static void dc_process(void *state, float *const *ch, size_t frames)
{
    dc_state *s = state;
    for (int c = 0; c < s->channels; c++)
        lathe_biquad_run(&s->c, &s->st[c], ch[c], ch[c], frames);
}

static size_t dc_latency(const void *state)
{
    (void)state;
    return 0;
}

static void dc_reset(void *state)
{
    dc_state *s = state;
    for (int c = 0; c < s->channels; c++)
        s->st[c].s1 = s->st[c].s2 = 0.0;
}

static void dc_destroy(void *state)
{
    free(state);
}

const lathe_fx_class lathe_fx_dc_block = {
    .name = "dc_block",
    .summary = "DC offset removal (Butterworth high-pass, 1-40 Hz)",
    .params = params,
    .num_params = P_COUNT,
    .create = dc_create,
    .set_param = dc_set_param,
    .process = dc_process,
    .latency = dc_latency,
    .reset = dc_reset,
    .stats = NULL,
    .destroy = dc_destroy,
};
