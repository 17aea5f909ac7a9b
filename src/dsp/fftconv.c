/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Uniformly partitioned overlap-save FFT convolution with FFTW (single precision). */
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "dsp/fftconv.h"

struct lathe_fftconv {
    size_t block;        /* B */
    size_t parts;        /* P */
    size_t bins;         /* B + 1 */
    float *time;         /* 2B, FFTW-aligned */
    fftwf_complex *freq; /* B + 1, FFTW-aligned */
    fftwf_plan fwd, inv;
};

lathe_status lathe_fftconv_create(size_t block, size_t taps, lathe_fftconv **out)
{
    *out = NULL;
    if (block < 1 || taps < 1)
        return LATHE_ERR_INVALID_ARGUMENT;
    lathe_fftconv *p = calloc(1, sizeof *p);
    if (!p)
        return LATHE_ERR_NO_MEMORY;
    p->block = block;
    p->parts = (taps + block - 1) / block;
    p->bins = block + 1;
    p->time = fftwf_malloc(sizeof(float) * 2 * block);
    p->freq = fftwf_malloc(sizeof(fftwf_complex) * p->bins);
    if (p->time && p->freq) {
        p->fwd = fftwf_plan_dft_r2c_1d((int)(2 * block), p->time, p->freq, FFTW_ESTIMATE);
        p->inv = fftwf_plan_dft_c2r_1d((int)(2 * block), p->freq, p->time, FFTW_ESTIMATE);
    }
    if (!p->fwd || !p->inv) {
        lathe_fftconv_destroy(p);
        return LATHE_ERR_NO_MEMORY;
    }
    *out = p;
    return LATHE_OK;
}

void lathe_fftconv_destroy(lathe_fftconv *p)
{
    if (!p)
        return;
    if (p->fwd)
        fftwf_destroy_plan(p->fwd);
    if (p->inv)
        fftwf_destroy_plan(p->inv);
    fftwf_free(p->time);
    fftwf_free(p->freq);
    free(p);
}

size_t lathe_fftconv_block(const lathe_fftconv *p)
{
    return p->block;
}

size_t lathe_fftconv_spectrum_size(const lathe_fftconv *p)
{
    return 2 * p->parts * p->bins;
}

void lathe_fftconv_filter(lathe_fftconv *p, const float *h, size_t taps, float *spec)
{
    const size_t B = p->block;
    /* The 1/(2B) of the unnormalised inverse FFT is folded into the filter. */
    const float scale = 1.0f / (float)(2 * B);
    for (size_t k = 0; k < p->parts; k++) {
        for (size_t i = 0; i < 2 * B; i++) {
            size_t t = k * B + i;
            p->time[i] = (i < B && t < taps) ? h[t] * scale : 0.0f;
        }
        fftwf_execute(p->fwd);
        memcpy(spec + 2 * k * p->bins, p->freq, sizeof(fftwf_complex) * p->bins);
    }
}

lathe_status lathe_fftconv_stream_init(const lathe_fftconv *p, lathe_fftconv_stream *s)
{
    s->fdl = calloc(2 * p->parts * p->bins, sizeof(float));
    s->prev = calloc(p->block, sizeof(float));
    s->head = 0;
    if (!s->fdl || !s->prev) {
        lathe_fftconv_stream_free(s);
        return LATHE_ERR_NO_MEMORY;
    }
    return LATHE_OK;
}

void lathe_fftconv_stream_free(lathe_fftconv_stream *s)
{
    free(s->fdl);
    free(s->prev);
    s->fdl = s->prev = NULL;
}

void lathe_fftconv_stream_reset(const lathe_fftconv *p, lathe_fftconv_stream *s)
{
    memset(s->fdl, 0, sizeof(float) * 2 * p->parts * p->bins);
    memset(s->prev, 0, sizeof(float) * p->block);
    s->head = 0;
}

void lathe_fftconv_push(lathe_fftconv *p, lathe_fftconv_stream *s, const float *in)
{
    const size_t B = p->block;
    memcpy(p->time, s->prev, sizeof(float) * B);
    memcpy(p->time + B, in, sizeof(float) * B);
    memcpy(s->prev, in, sizeof(float) * B);
    fftwf_execute(p->fwd);
    s->head = s->head == 0 ? p->parts - 1 : s->head - 1;
    memcpy(s->fdl + 2 * s->head * p->bins, p->freq, sizeof(fftwf_complex) * p->bins);
}

void lathe_fftconv_output(lathe_fftconv *p, const lathe_fftconv_stream *s, const float *spec,
                          float *out)
{
    const size_t B = p->block, nb = p->bins;
    float *restrict acc = (float *)p->freq;
    memset(acc, 0, sizeof(fftwf_complex) * nb);
    /* Partition k of the filter meets the input block pushed k blocks ago. */
    for (size_t k = 0; k < p->parts; k++) {
        size_t slot = s->head + k;
        if (slot >= p->parts)
            slot -= p->parts;
        const float *restrict x = s->fdl + 2 * slot * nb;
        const float *restrict h = spec + 2 * k * nb;
        for (size_t i = 0; i < nb; i++) {
            float xr = x[2 * i], xi = x[2 * i + 1], hr = h[2 * i], hi = h[2 * i + 1];
            acc[2 * i] += xr * hr - xi * hi;
            acc[2 * i + 1] += xr * hi + xi * hr;
        }
    }
    fftwf_execute(p->inv);
    memcpy(out, p->time + B, sizeof(float) * B);
}
