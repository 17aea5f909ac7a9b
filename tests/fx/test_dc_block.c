/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dc_block: removes DC; -3.01 dB at the corner (2nd-order Butterworth); the response
 * at 1 kHz matches the analytic |H| of 1/sqrt(1 + (fc/f)^4) to 0.001 dB. */
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

/* Steady-state gain at FREQ: amplitude of the output sine fitted over whole cycles. */
static double gain_at(double freq, double rate, double fc)
{
    const lathe_fx_class *cls = lathe_fx_class_find("dc_block");
    lathe_fx_setup setup = { rate, 1, 1 << 16, 0 };
    lathe_fx *fx;
    double p[1] = { fc };
    size_t n = (size_t)(rate * 20.0);
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * freq * (double)i / rate));
    lathe_fx_create(cls, &setup, p, &fx);
    for (size_t off = 0; off < n; off += 1 << 16) {
        float *ch[1] = { x + off };
        lathe_fx_process(fx, ch, n - off < (1 << 16) ? n - off : (1 << 16));
    }
    /* Fit over the last 5 s (the transient of a 5 Hz filter has died by then). */
    double sc = 0, ss = 0;
    size_t start = n - (size_t)(rate * 5.0);
    for (size_t i = start; i < n; i++) {
        double ph = 2 * M_PI * freq * (double)i / rate;
        sc += x[i] * cos(ph);
        ss += x[i] * sin(ph);
    }
    double amp = 2.0 * sqrt(sc * sc + ss * ss) / (double)(n - start);
    lathe_fx_destroy(fx);
    free(x);
    return 20.0 * log10(amp / 0.5);
}

int main(void)
{
    const lathe_fx_class *cls = lathe_fx_class_find("dc_block");
    CHECK(cls != NULL, "dc_block is registered");
    if (!cls)
        return test_summary();

    /* DC + sine: after settling the mean is gone. */
    lathe_fx_setup setup = { 44100.0, 2, 4096, 0 };
    lathe_fx *fx;
    CHECK(lathe_fx_create(cls, &setup, NULL, &fx) == LATHE_OK, "create");
    static float l[4096], r[4096];
    float *ch[2] = { l, r };
    double mean = 0;
    long count = 0;
    for (int blk = 0; blk < 44100 * 6 / 4096; blk++) {
        for (int i = 0; i < 4096; i++) {
            l[i] = 0.25f + 0.1f * (float)sin(2 * M_PI * 997.0 * (blk * 4096 + i) / 44100.0);
            r[i] = -0.1f;
        }
        lathe_fx_process(fx, ch, 4096);
        if (blk > 44100 * 4 / 4096)
            for (int i = 0; i < 4096; i++, count++)
                mean += l[i] + r[i];
    }
    mean /= (double)count;
    CHECK(fabs(mean) < 1e-4, "DC removed: residual mean %g", mean);
    lathe_fx_destroy(fx);

    for (double rate = 44100; rate <= 192000; rate *= 2) {
        double fc = 5.0;
        double want1k = -10.0 * log10(1.0 + pow(fc / 1000.0, 4));
        CHECK_NEAR(gain_at(1000.0, rate, fc), want1k, 0.001, "1 kHz passes unchanged");
        CHECK_NEAR(gain_at(fc, rate, fc), -10.0 * log10(2.0), 0.01, "-3.01 dB at the corner");
        CHECK_NEAR(gain_at(2.0 * fc, rate, fc), -10.0 * log10(1.0 + pow(0.5, 4)), 0.01,
                   "Butterworth response an octave above the corner");
    }
    return test_summary();
}
