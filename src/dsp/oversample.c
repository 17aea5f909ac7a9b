/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Polyphase oversampling by 2, 4, 8 or 16 (see oversample.h): one Kaiser-windowed-sinc
 * low-pass designed in double, split into polyphase branches stored as float; the
 * branches run at the base rate, so no zero is ever multiplied. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/oversample.h"
#include "dsp/simd.h"

/* Kaiser window shape parameter (J. F. Kaiser, "Nonrecursive digital filter design
 * using the I0-sinh window function", Proc. IEEE ISCAS 1974). With 81 taps per branch
 * and the cutoff at the base-rate Nyquist frequency, beta = 11.6 gives the lowest
 * peak over the stopband 0.5465 fs .. L fs / 2 (a scan of beta in steps of 0.1):
 * -112.8 dB, with a passband ripple of +/- 2.3e-6 (-112.8 dB) up to 0.4535 fs, for
 * every factor. tests/dsp/test_oversample.c measures images and aliases. */
#define OS_KAISER_BETA 11.6

/* Modified Bessel function of the first kind, order 0, by its power series. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

lathe_status lathe_os_init(lathe_os *os, int factor, size_t max_block)
{
    memset(os, 0, sizeof *os);
    if ((factor != 2 && factor != 4 && factor != 8 && factor != 16) || max_block < 1)
        return LATHE_ERR_INVALID_ARGUMENT;
    const int L = factor, D = LATHE_OS_DELAY, K = D + 1;
    const int n = D * L + 1;       /* taps at the high rate, odd, centre at D L / 2 */
    const double c = 0.5 * D * L;
    os->factor = L;
    os->taps = K;
    os->max_block = max_block;
    os->up_c = calloc((size_t)(L * K), sizeof(float));
    os->dn_c = calloc((size_t)(L * K), sizeof(float));
    os->up_buf = calloc((size_t)D + max_block, sizeof(float));
    os->dn_buf = calloc((size_t)L * ((size_t)D + max_block), sizeof(float));
    os->acc = calloc(max_block, sizeof(float));
    double *h = malloc(sizeof(double) * (size_t)n);
    if (!os->up_c || !os->dn_c || !os->up_buf || !os->dn_buf || !os->acc || !h) {
        free(h);
        lathe_os_free(os);
        return LATHE_ERR_NO_MEMORY;
    }

    /* h[j] = (1/L) sinc((j - c) / L) w(j): cutoff at the base-rate Nyquist frequency.
     * Every L-th tap from the centre is a zero of the sinc: set exactly, so branch 0
     * is a pure delay of D/2 base frames (the input samples pass unchanged). */
    const double i0b = bessel_i0(OS_KAISER_BETA);
    for (int j = 0; j < n; j++) {
        double t = (j - c) / L;
        double r = (j - c) / c;
        double w = bessel_i0(OS_KAISER_BETA * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        if ((j - (int)c) % L == 0)
            h[j] = (j == (int)c) ? 1.0 / L : 0.0;
        else
            h[j] = sin(M_PI * t) / (M_PI * t) / L * w;
    }
    /* Each branch sums to exactly 1/L (DC then makes no image at multiples of the
     * base rate and the overall DC gain is 1). */
    for (int p = 0; p < L; p++) {
        double s = 0.0;
        for (int j = p; j < n; j += L)
            s += h[j];
        for (int j = p; j < n; j += L)
            h[j] *= 1.0 / (L * s);
    }
    for (int p = 0; p < L; p++)
        for (int k = 0; k < K; k++) {
            int j = k * L + p;
            os->up_c[p * K + k] = j < n ? (float)(L * h[j]) : 0.0f;
            j = k * L - p;
            os->dn_c[p * K + k] = (j >= 0 && j < n) ? (float)h[j] : 0.0f;
        }
    free(h);
    /* The taps of each branch that are not zero form one run (branch 0 of the up
     * filter is the single centre tap); only that run is computed. */
    for (int b = 0; b < 2 * L; b++) {
        const float *bc = (b < L ? os->up_c : os->dn_c) + (b % L) * K;
        int lo = 0, hi = K;
        while (lo < K && bc[lo] == 0.0f)
            lo++;
        while (hi > lo && bc[hi - 1] == 0.0f)
            hi--;
        os->run_lo[b] = lo;
        os->run_n[b] = hi - lo;
    }
    return LATHE_OK;
}

void lathe_os_free(lathe_os *os)
{
    if (!os)
        return;
    free(os->up_c);
    free(os->dn_c);
    free(os->up_buf);
    free(os->dn_buf);
    free(os->acc);
    memset(os, 0, sizeof *os);
}

void lathe_os_reset(lathe_os *os)
{
    const size_t d = (size_t)(os->taps - 1);
    memset(os->up_buf, 0, sizeof(float) * (d + os->max_block));
    memset(os->dn_buf, 0, sizeof(float) * (size_t)os->factor * (d + os->max_block));
}

size_t lathe_os_latency(const lathe_os *os)
{
    return (size_t)(os->taps - 1);
}

/* acc[m] += c[k] x[m - k] for k = 0..K-1, m = 0..n-1: X points at the current block
 * with K - 1 samples of history before it. The inner loop runs over m, so it
 * vectorises without reordering any sum: each acc[m] adds its terms in k order,
 * whatever the block size or vector width. Callers pass only the run of non-zero
 * taps of a branch. */
LATHE_HOT static void fir_accumulate(float *restrict acc, const float *restrict c, int taps,
                                     const float *x, size_t n)
{
    for (int k = 0; k < taps; k++) {
        const float ck = c[k];
        const float *restrict xk = x - k;
        for (size_t m = 0; m < n; m++)
            acc[m] += ck * xk[m];
    }
}

void lathe_os_up(lathe_os *os, const float *in, size_t n, float *out)
{
    const int L = os->factor, K = os->taps;
    const size_t d = (size_t)(K - 1);
    float *x = os->up_buf + d;
    memcpy(x, in, sizeof(float) * n);
    for (int p = 0; p < L; p++) {
        memset(os->acc, 0, sizeof(float) * n);
        fir_accumulate(os->acc, os->up_c + p * K + os->run_lo[p], os->run_n[p],
                       x - os->run_lo[p], n);
        for (size_t m = 0; m < n; m++)
            out[m * (size_t)L + (size_t)p] = os->acc[m];
    }
    memmove(os->up_buf, os->up_buf + n, sizeof(float) * d);
}

void lathe_os_down(lathe_os *os, const float *in, size_t n, float *out)
{
    const int L = os->factor, K = os->taps;
    const size_t d = (size_t)(K - 1), stride = d + os->max_block;
    for (int q = 0; q < L; q++) {
        float *s = os->dn_buf + (size_t)q * stride + d;
        for (size_t m = 0; m < n; m++)
            s[m] = in[m * (size_t)L + (size_t)q];
    }
    memset(os->acc, 0, sizeof(float) * n);
    for (int q = 0; q < L; q++)
        fir_accumulate(os->acc, os->dn_c + q * K + os->run_lo[L + q], os->run_n[L + q],
                       os->dn_buf + (size_t)q * stride + d - os->run_lo[L + q], n);
    memcpy(out, os->acc, sizeof(float) * n);
    for (int q = 0; q < L; q++) {
        float *s = os->dn_buf + (size_t)q * stride;
        memmove(s, s + n, sizeof(float) * d);
    }
}
