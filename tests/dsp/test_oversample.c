/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Oversampler: round trip = integer delay within -90 dB, images of the up-sampler and
 * aliases of the down-sampler at least 100 dB down, block-size independence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/oversample.h"
#include "testutil.h"

#define RATE 44100.0
#define WIN 4410              /* analysis window: 10 Hz bins at the base rate */

static void sines(float *x, size_t n, double rate, const double *freq, const double *amp, int k)
{
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (int j = 0; j < k; j++)
            v += amp[j] * sin(2.0 * M_PI * freq[j] * (double)i / rate);
        x[i] = (float)v;
    }
}

/* Amplitude of the component at bin K of an N-point rectangular DFT (the tone must
 * complete a whole number of periods in N samples), angles reduced exactly. */
static double bin_amp(const float *x, size_t n, size_t k)
{
    double re = 0.0, im = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = 2.0 * M_PI * (double)((k * i) % n) / (double)n;
        re += x[i] * cos(a);
        im -= x[i] * sin(a);
    }
    return 2.0 * sqrt(re * re + im * im) / (double)n;
}

static double mean_square(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return s / (double)n;
}

/* Runs IN (N frames) through up then down in blocks whose sizes cycle through SIZES
 * (0-terminated), each <= MAXB; HI0 receives the high-rate signal when not NULL. */
static void round_trip(lathe_os *os, const float *in, size_t n, float *out, float *hi0,
                       const size_t *sizes, size_t maxb)
{
    float *hi = malloc(sizeof(float) * maxb * (size_t)os->factor);
    size_t pos = 0, s = 0;
    while (pos < n) {
        size_t b = sizes[s] ? sizes[s++] : (s = 0, sizes[s++]);
        if (b > n - pos)
            b = n - pos;
        lathe_os_up(os, in + pos, b, hi);
        if (hi0)
            memcpy(hi0 + pos * (size_t)os->factor, hi, sizeof(float) * b * (size_t)os->factor);
        lathe_os_down(os, hi, b, out + pos);
        pos += b;
    }
    free(hi);
}

static void test_round_trip(int factor)
{
    const size_t n = 3 * WIN, maxb = 1000, d = LATHE_OS_DELAY;
    const double f[2] = { 1000.0, 15000.0 }, a[2] = { 0.5, 0.4 };
    const size_t odd[] = { 1, 7, 64, 1000, 333, 2, 0 }, whole[] = { 1000, 0 };
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    float *y2 = malloc(sizeof(float) * n), *hi = malloc(sizeof(float) * n * (size_t)factor);
    lathe_os os;
    char what[96];

    CHECK(lathe_os_init(&os, factor, maxb) == LATHE_OK, "init factor %d", factor);
    CHECK(lathe_os_latency(&os) == d, "latency %zu, want %zu", lathe_os_latency(&os), d);
    sines(x, n, RATE, f, a, 2);
    round_trip(&os, x, n, y, hi, odd, maxb);

    /* Branch 0 of the Nyquist filter passes the input samples through exactly. */
    size_t exact = 0;
    for (size_t i = d / 2; i < n; i++)
        exact += hi[i * (size_t)factor] == x[i - d / 2];
    CHECK(exact == n - d / 2, "factor %d: %zu of %zu high-rate samples at phase 0 equal the "
          "input delayed by %zu", factor, exact, n - d / 2, d / 2);

    /* Round trip against the input delayed by the latency, after the switch-on
     * transient (two filter lengths). */
    double err = 0.0, sig = 0.0, peak = 0.0;
    for (size_t i = 3 * d; i < n; i++) {
        double e = (double)y[i] - x[i - d];
        err += e * e;
        sig += (double)x[i - d] * x[i - d];
        peak = fmax(peak, fabs(e));
    }
    double db = 10.0 * log10(err / sig);
    printf("factor %d: round-trip error %.1f dB re signal (peak error %.2e)\n", factor, db, peak);
    snprintf(what, sizeof what, "factor %d round-trip error (dB re signal)", factor);
    CHECK_RANGE(db, -200.0, -90.0, what);

    /* Block-size independence: one block per 1000 frames gives the same bits. */
    lathe_os_reset(&os);
    round_trip(&os, x, n, y2, NULL, whole, maxb);
    CHECK(memcmp(y, y2, sizeof(float) * n) == 0, "factor %d: output depends on block sizes",
          factor);

    /* reset clears history: silence in, exact silence out. */
    memset(x, 0, sizeof(float) * n);
    lathe_os_reset(&os);
    round_trip(&os, x, 500, y, NULL, whole, maxb);
    CHECK(mean_square(y, 500) == 0.0, "factor %d: output after reset not silent", factor);
    lathe_os_free(&os);
    free(x);
    free(y);
    free(y2);
    free(hi);
}

/* Up-sampling a tone in the passband: the fundamental keeps its level and everything
 * else (images at k fs +/- f) is at least 100 dB down. */
static void test_images(int factor, double freq)
{
    const size_t lead = 3 * LATHE_OS_DELAY, n = lead + WIN;
    const size_t nh = (size_t)WIN * (size_t)factor;
    const double amp = 0.5;
    float *x = malloc(sizeof(float) * n), *hi = malloc(sizeof(float) * n * (size_t)factor);
    lathe_os os;
    char what[96];

    lathe_os_init(&os, factor, n);
    sines(x, n, RATE, &freq, &amp, 1);
    lathe_os_up(&os, x, n, hi);
    const float *w = hi + lead * (size_t)factor;
    double a1 = bin_amp(w, nh, (size_t)(freq / 10.0));
    double image_freq = RATE - freq;
    double ai = bin_amp(w, nh, (size_t)(image_freq / 10.0));
    double resid = mean_square(w, nh) - a1 * a1 / 2.0;
    double gain_db = 20.0 * log10(a1 / amp);
    double resid_db = 10.0 * log10(fmax(resid, 1e-30) / (a1 * a1 / 2.0));
    double image_db = 20.0 * log10(fmax(ai, 1e-30) / a1);
    printf("factor %d, %5.0f Hz up: gain %+.6f dB, image at %.0f Hz %.1f dB, "
           "all images + noise %.1f dB\n", factor, freq, gain_db, image_freq, image_db, resid_db);
    snprintf(what, sizeof what, "factor %d, %.0f Hz: passband gain (dB)", factor, freq);
    CHECK_NEAR(gain_db, 0.0, 0.0001, what);
    snprintf(what, sizeof what, "factor %d, %.0f Hz: first image (dB)", factor, freq);
    CHECK_RANGE(image_db, -300.0, -100.0, what);
    snprintf(what, sizeof what, "factor %d, %.0f Hz: all images + noise (dB)", factor, freq);
    CHECK_RANGE(resid_db, -300.0, -100.0, what);
    lathe_os_free(&os);
    free(x);
    free(hi);
}

/* Down-sampling a high-rate tone: in the passband it keeps its level; in the stopband
 * (which would fold into 0 .. fs/2) the output is at least 100 dB down. */
static void test_alias(int factor, double freq, int in_stopband)
{
    const size_t lead = 3 * LATHE_OS_DELAY, n = lead + WIN;
    const double amp = 0.5;
    float *hi = malloc(sizeof(float) * n * (size_t)factor), *y = malloc(sizeof(float) * n);
    lathe_os os;
    char what[96];

    lathe_os_init(&os, factor, n);
    sines(hi, n * (size_t)factor, RATE * factor, &freq, &amp, 1);
    lathe_os_down(&os, hi, n, y);
    double ms = mean_square(y + lead, WIN);
    double db = 10.0 * log10(fmax(ms, 1e-30) / (amp * amp / 2.0));
    printf(in_stopband ? "factor %d: %6.0f Hz down -> %.1f dB\n"
                       : "factor %d: %6.0f Hz down -> %+.6f dB\n", factor, freq, db);
    if (in_stopband) {
        snprintf(what, sizeof what, "factor %d: %.0f Hz aliased (dB)", factor, freq);
        CHECK_RANGE(db, -300.0, -100.0, what);
    } else {
        snprintf(what, sizeof what, "factor %d: %.0f Hz passband level (dB)", factor, freq);
        CHECK_NEAR(db, 0.0, 0.0001, what);
    }
    lathe_os_free(&os);
    free(hi);
    free(y);
}

int main(void)
{
    lathe_os os;
    CHECK(lathe_os_init(&os, 3, 64) == LATHE_ERR_INVALID_ARGUMENT, "factor 3 accepted");
    CHECK(lathe_os_init(&os, 4, 0) == LATHE_ERR_INVALID_ARGUMENT, "max_block 0 accepted");
    lathe_os_free(&os);

    for (int factor = 2; factor <= 16; factor *= 2) {
        test_round_trip(factor);
        test_images(factor, 1000.0);
        test_images(factor, 15000.0);
        test_images(factor, 19900.0);
        test_alias(factor, 10000.0, 0);
        test_alias(factor, 19900.0, 0);
        test_alias(factor, 24200.0, 1);    /* folds to 19.9 kHz */
        test_alias(factor, 30000.0, 1);    /* folds to 14.1 kHz */
        test_alias(factor, 43200.0, 1);    /* folds to 900 Hz */
        if (factor >= 4) {
            test_alias(factor, 59100.0, 1);    /* 15 kHz */
            test_alias(factor, 87300.0, 1);    /* 900 Hz */
        }
        if (factor >= 8)
            test_alias(factor, 165000.0, 1);   /* 11.4 kHz */
    }
    return test_summary();
}
