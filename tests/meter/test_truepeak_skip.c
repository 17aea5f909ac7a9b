/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The true-peak meter's skipping (bounds from the window's largest |x|, from its range,
 * and a centred one per output, src/meter/truepeak.c) changes nothing: on signals whose inter-sample peaks sit above their
 * samples (sines from 40 Hz to 20 kHz at phases that miss the crest, a near-Nyquist
 * two-tone, noise, a square wave, clicks, a DC offset under high-frequency content,
 * each branch's worst case) at 44.1, 48, 96 and 192 kHz, in random call sizes, the reading
 * equals a brute-force evaluation of the BS.1770-4 Annex 2 interpolator written here
 * in double precision from the standard's formula (every output, no skipping), within
 * float rounding (1e-5 relative); and it equals, bit for bit, the largest output of the
 * same interpolator in float (coefficients rounded to float, every output summed from 0
 * in tap order, as the meter's filter does), in each vector code the CPU has. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "meter/truepeak.h"
#include "testutil.h"

enum { N = 20000 };

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* max over n, p of |sum_j h[j] x[...]|: the 49-tap Hann-windowed sinc, factor L
 * (4 below 96 kHz, 2 below 192 kHz), zero-stuffed input; also max |x|. */
static double brute(const float *x, size_t n, int rate)
{
    const int l = rate < 96000 ? 4 : rate < 192000 ? 2 : 1;
    double h[49], best = 0.0;
    for (int j = 0; j < 49; j++) {
        double t = (double)j - 24.0;
        double s = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t / l) / (M_PI * t / l);
        h[j] = s * 0.5 * (1.0 - cos(2.0 * M_PI * j / 48.0));
    }
    for (size_t i = 0; i < n; i++)
        best = fmax(best, fabs(x[i]));
    /* output m of the oversampled stream: sum_j h[j] u[m - j], u[q] = x[q / l] when l | q */
    for (size_t m = 0; m < n * (size_t)l; m++) {
        double y = 0.0;
        for (int j = 0; j < 49; j++) {
            long q = (long)m - j;
            if (q >= 0 && q % l == 0)
                y += h[j] * x[q / l];
        }
        best = fmax(best, fabs(y));
    }
    return best;
}

/* The same maximum with the interpolator in float, every output summed from 0 in tap
 * order: the meter's arithmetic without its skipping. */
static double plain_float(const float *x, size_t n, int rate)
{
    const int l = rate < 96000 ? 4 : rate < 192000 ? 2 : 1, taps = (49 + l - 1) / l;
    float c[4][49] = { { 0 } }, best = 0.0f;
    for (int j = 0; j < 49; j++) {
        const double t = (double)j - 24.0;
        const double s = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t / l) / (M_PI * t / l);
        const double w = 0.5 * (1.0 - cos(2.0 * M_PI * j / 48.0));
        c[j % l][j / l] = (float)(s * w);
    }
    for (size_t i = 0; i < n; i++) {
        best = fabsf(x[i]) > best ? fabsf(x[i]) : best;
        for (int p = 0; p < l && l > 1; p++) {
            float acc = 0.0f;
            for (int k = 0; k < taps; k++)
                acc += c[p][k] * (i >= (size_t)k ? x[i - (size_t)k] : 0.0f);
            best = fabsf(acc) > best ? fabsf(acc) : best;
        }
    }
    return best;
}

int main(void)
{
    static float x[N];
    static const int rates[] = { 44100, 48000, 96000, 192000 };
    int cases = 0, bad = 0;
    double worst = 0.0;
    for (int ri = 0; ri < 4; ri++)
        for (int kind = 0; kind < 12; kind++) {
            const int rate = rates[ri];
            const double f[] = { 40.0, 997.0, 5000.0, 11025.0, 15000.0, 20000.0 };
            for (size_t i = 0; i < N; i++) {
                const double t = (double)i / rate;
                double v;
                if (kind < 6)           /* a sine, phase off the sample grid */
                    v = 0.95 * sin(2 * M_PI * f[kind] * t + 0.37);
                else if (kind == 6)
                    v = 0.5 * sin(2 * M_PI * 0.43 * rate * t) + 0.5 * sin(2 * M_PI * 0.45 * rate * t + 1);
                else if (kind == 7)
                    v = test_rand_pm1(&rng);
                else if (kind == 8)
                    v = fmod(t * rate / 7.3, 1.0) < 0.5 ? 0.9 : -0.9;
                else if (kind == 9)
                    v = i % 997 == 500 ? 0.9 : 0.01 * test_rand_pm1(&rng);
                else if (kind == 10)    /* DC offset under high-frequency content */
                    v = 0.6 + 0.35 * sin(2 * M_PI * 0.3 * rate * t);
                else                    /* sign patterns of a half-band sinc: large overshoot */
                    v = (sin(M_PI * ((double)(i % 64) - 31.5) / 2.0) >= 0 ? 0.9 : -0.9);
                x[i] = (float)v;
            }
            const double want = brute(x, N, rate), exact = plain_float(x, N, rate);
            for (int isa = 0, top = 0; isa <= top; isa++) {
                lathe_truepeak_meter *m = NULL;
                if (lathe_truepeak_create(rate, 1, &m) != LATHE_OK)
                    abort();
                top = lathe_truepeak_select_isa(m, 2);
                lathe_truepeak_select_isa(m, isa);
                for (size_t off = 0; off < N;) {
                    size_t len = 1 + (size_t)((test_rand_pm1(&rng) + 1.0) * 3000.0);
                    len = len > N - off ? N - off : len;
                    const float *ch[1] = { x + off };
                    lathe_truepeak_process(m, ch, len);
                    off += len;
                }
                const double got = lathe_truepeak_get(m, 0);
                lathe_truepeak_destroy(m);
                const double rel = fabs(got - want) / want;
                worst = fmax(worst, rel);
                if (rel > 1e-5 || got != exact) {
                    bad++;
                    fprintf(stderr, "rate %d kind %d vector code %d: meter %.9f, brute force "
                            "%.9f, float %.9f\n", rate, kind, isa, got, want, exact);
                }
                cases++;
            }
        }
    printf("%d readings, largest relative difference %.2g\n", cases, worst);
    CHECK(bad == 0, "%d of %d readings differ from the brute-force or the float interpolator",
          bad, cases);
    return test_summary();
}
