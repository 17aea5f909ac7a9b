/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gain: exact levels, balance and polarity; glides without steps; neutral is bit-exact. */
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define N 4800

static void fill(float *l, float *r)
{
    for (int i = 0; i < N; i++) {
        l[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / 48000.0));
        r[i] = (float)(0.25 * sin(2 * M_PI * 300.0 * i / 48000.0));
    }
}

int main(void)
{
    const lathe_fx_class *cls = lathe_fx_class_find("gain");
    lathe_fx_setup setup = { 48000.0, 2, N, 0 };
    static float l[N], r[N], l0[N], r0[N];
    float *ch[2] = { l, r };
    lathe_fx *fx;

    CHECK(cls != NULL, "gain is registered");
    if (!cls)
        return test_summary();

    /* Neutral: bit-exact. */
    fill(l0, r0);
    memcpy(l, l0, sizeof l);
    memcpy(r, r0, sizeof r);
    CHECK(lathe_fx_create(cls, &setup, NULL, &fx) == LATHE_OK, "create with defaults");
    lathe_fx_process(fx, ch, N);
    CHECK(!memcmp(l, l0, sizeof l) && !memcmp(r, r0, sizeof r), "0 dB is bit-exact");
    CHECK(lathe_fx_latency(fx) == 0, "no latency");

    /* -6.0206 dB halves every sample (from the start: no ramp at creation). */
    double p[3] = { 20.0 * log10(0.5), 0.0, 0.0 };
    lathe_fx_destroy(fx);
    CHECK(lathe_fx_create(cls, &setup, p, &fx) == LATHE_OK, "create at -6.02 dB");
    memcpy(l, l0, sizeof l);
    memcpy(r, r0, sizeof r);
    lathe_fx_process(fx, ch, N);
    double worst = 0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(l[i] - 0.5 * l0[i]));
    CHECK(worst < 1e-7, "-6.02 dB halves the signal (worst error %g)", worst);

    /* Glide: a change to 0 dB ramps over 20 ms (960 frames), with no step. */
    lathe_fx_set_param(fx, 0, 0.0);
    for (int i = 0; i < N; i++)
        l[i] = 1.0f;
    lathe_fx_process(fx, ch, 100);
    lathe_fx_process(fx, ch + 0, 0);
    {
        float *rest[2] = { l + 100, r + 100 };
        lathe_fx_process(fx, rest, N - 100); /* block edge inside the ramp */
    }
    double max_step = 0;
    for (int i = 1; i < N; i++)
        max_step = fmax(max_step, fabs(l[i] - l[i - 1]));
    CHECK(max_step < 0.5 / 960 * 1.01, "ramp has no step (max step %g)", max_step);
    CHECK_NEAR(l[959], 1.0, 1e-6, "ramp reaches the target after 960 frames");
    CHECK(l[400] > 0.5 && l[400] < 1.0, "mid-ramp value %g between 0.5 and 1", l[400]);
    lathe_fx_destroy(fx);

    /* Balance +6 dB: left -3 dB, right +3 dB. Polarity: left inverted. */
    double pb[3] = { 0.0, 6.0, 1.0 };
    CHECK(lathe_fx_create(cls, &setup, pb, &fx) == LATHE_OK, "create balance/invert");
    memcpy(l, l0, sizeof l);
    memcpy(r, r0, sizeof r);
    lathe_fx_process(fx, ch, N);
    CHECK_NEAR(l[12] / l0[12], -pow(10.0, -3.0 / 20.0), 1e-6, "left at -3 dB, inverted");
    CHECK_NEAR(r[40] / r0[40], pow(10.0, 3.0 / 20.0), 1e-6, "right at +3 dB");
    lathe_fx_destroy(fx);

    /* Out-of-range parameters are refused at create and clamped by set. */
    double bad[3] = { 41.0, 0.0, 0.0 };
    CHECK(lathe_fx_create(cls, &setup, bad, &fx) == LATHE_ERR_INVALID_ARGUMENT, "+41 dB refused");
    double badc[3] = { 0.0, 0.0, 1.5 };
    CHECK(lathe_fx_create(cls, &setup, badc, &fx) == LATHE_ERR_INVALID_ARGUMENT,
          "fractional choice refused");
    return test_summary();
}
