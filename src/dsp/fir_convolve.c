/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Uniformly partitioned overlap-save convolution (float FFTW) with two crossfading banks.
 *
 * Each FIR of up to TAPS taps is cut into P = ceil(TAPS / B) partitions of B taps; each
 * partition is zero-padded to 2B and transformed once when staged. The input goes in
 * blocks of B frames: the last 2B input frames are transformed (one r2c per channel
 * and block) into a frequency-domain delay line of the P latest spectra, and output o
 * is the inverse transform of sum_i sum_p X_i[block - p] * H_(o,i)[p], of which the
 * last B samples are the linear convolution (overlap-save). References: T. G.
 * Stockham, "High-speed convolution and correlation", AFIPS 1966 (overlap-save);
 * F. Wefers, "Partitioned convolution algorithms for real-time auralization", 2015,
 * ch. 5 (uniform partitioning with a frequency-domain delay line). */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/fir_convolve.h"
#include "dsp/simd.h"

#define MAXCH 8

struct lathe_fir_conv {
    int nch, nk;
    size_t taps, B, P, nb;      /* nb = B + 1 bins */
    size_t delay;               /* identity route delay */
    size_t ring_mask;
    float *ring[MAXCH];         /* every input frame, ring_mask + 1 long */
    float *outbuf[MAXCH];       /* B frames being played out */
    float *tmp[MAXCH];          /* second bank's output during a fade */
    size_t pos;                 /* frames of the current block received */
    size_t t;                   /* absolute frames received (mod 2^64) */
    float *fin;                 /* 2B time samples */
    fftwf_complex *fspec;       /* B + 1 bins */
    fftwf_plan fwd, inv;
    float *xr[MAXCH], *xi[MAXCH]; /* P spectra per input, split re/im */
    size_t head;                /* slot of the newest spectrum */
    float *kr[2], *ki[2];       /* [bank]: nk * P * nb */
    signed char route[2][MAXCH][MAXCH];
    float *ar, *ai;             /* accumulators, nb each */
    int active;                 /* bank playing (the old one during a fade) */
    int committed;              /* the other bank is to take over */
    int fading;
    size_t fade_len, fade_pos;
};

size_t lathe_fir_conv_latency(const lathe_fir_conv *c)
{
    return c->B;
}

int lathe_fir_conv_busy(const lathe_fir_conv *c)
{
    return c->committed;
}

void lathe_fir_conv_destroy(lathe_fir_conv *c)
{
    if (!c)
        return;
    if (c->fwd)
        fftwf_destroy_plan(c->fwd);
    if (c->inv)
        fftwf_destroy_plan(c->inv);
    fftwf_free(c->fin);
    fftwf_free(c->fspec);
    for (int i = 0; i < MAXCH; i++) {
        free(c->ring[i]);
        free(c->outbuf[i]);
        free(c->tmp[i]);
        free(c->xr[i]);
        free(c->xi[i]);
    }
    for (int b = 0; b < 2; b++) {
        free(c->kr[b]);
        free(c->ki[b]);
    }
    free(c->ar);
    free(c->ai);
    free(c);
}

lathe_status lathe_fir_conv_create(int channels, int kernels, size_t taps, size_t block,
                                   size_t identity_delay, lathe_fir_conv **out)
{
    *out = NULL;
    if (channels < 1 || channels > MAXCH || kernels < 1 || taps < 1 || block < 16
        || identity_delay >= taps || block > (1u << 24) || taps > (1u << 26))
        return LATHE_ERR_INVALID_ARGUMENT;
    lathe_fir_conv *c = calloc(1, sizeof *c);
    if (!c)
        return LATHE_ERR_NO_MEMORY;
    c->nch = channels;
    c->nk = kernels;
    c->taps = taps;
    c->B = block;
    c->P = (taps + block - 1) / block;
    c->nb = block + 1;
    c->delay = identity_delay;
    size_t ring = 1;
    while (ring < identity_delay + 2 * block + 1)
        ring <<= 1;
    c->ring_mask = ring - 1;
    memset(c->route, LATHE_FIR_NONE, sizeof c->route);

    int ok = 1;
    c->fin = fftwf_malloc(sizeof(float) * 2 * block);
    c->fspec = fftwf_malloc(sizeof(fftwf_complex) * c->nb);
    c->ar = calloc(c->nb, sizeof(float));
    c->ai = calloc(c->nb, sizeof(float));
    ok = c->fin && c->fspec && c->ar && c->ai;
    for (int i = 0; ok && i < channels; i++) {
        c->ring[i] = calloc(ring, sizeof(float));
        c->outbuf[i] = calloc(block, sizeof(float));
        c->tmp[i] = calloc(block, sizeof(float));
        c->xr[i] = calloc(c->P * c->nb, sizeof(float));
        c->xi[i] = calloc(c->P * c->nb, sizeof(float));
        ok = c->ring[i] && c->outbuf[i] && c->tmp[i] && c->xr[i] && c->xi[i];
    }
    for (int b = 0; ok && b < 2; b++) {
        c->kr[b] = calloc((size_t)kernels * c->P * c->nb, sizeof(float));
        c->ki[b] = calloc((size_t)kernels * c->P * c->nb, sizeof(float));
        ok = c->kr[b] && c->ki[b];
    }
    if (ok) {
        c->fwd = fftwf_plan_dft_r2c_1d((int)(2 * block), c->fin, c->fspec, FFTW_ESTIMATE);
        c->inv = fftwf_plan_dft_c2r_1d((int)(2 * block), c->fspec, c->fin, FFTW_ESTIMATE);
        ok = c->fwd && c->inv;
    }
    if (!ok) {
        lathe_fir_conv_destroy(c);
        return LATHE_ERR_NO_MEMORY;
    }
    *out = c;
    return LATHE_OK;
}

void lathe_fir_conv_stage_kernel(lathe_fir_conv *c, int k, const double *h, size_t n)
{
    if (c->committed || k < 0 || k >= c->nk)
        return;
    const int s = 1 - c->active;
    const size_t B = c->B, nb = c->nb;
    const float scale = 1.0f / (float)(2 * B);    /* FFTW's c2r is unnormalised */
    if (n > c->taps)
        n = c->taps;
    for (size_t p = 0; p < c->P; p++) {
        for (size_t j = 0; j < B; j++) {
            size_t idx = p * B + j;
            c->fin[j] = idx < n ? (float)h[idx] : 0.0f;
            c->fin[B + j] = 0.0f;
        }
        fftwf_execute(c->fwd);
        float *restrict r = c->kr[s] + ((size_t)k * c->P + p) * nb;
        float *restrict im = c->ki[s] + ((size_t)k * c->P + p) * nb;
        for (size_t j = 0; j < nb; j++) {
            r[j] = c->fspec[j][0] * scale;
            im[j] = c->fspec[j][1] * scale;
        }
    }
}

void lathe_fir_conv_stage_route(lathe_fir_conv *c, int out, int in, int route)
{
    if (c->committed || out < 0 || out >= c->nch || in < 0 || in >= c->nch || route >= c->nk
        || route < LATHE_FIR_IDENTITY)
        return;
    c->route[1 - c->active][out][in] = (signed char)route;
}

void lathe_fir_conv_stage_clear(lathe_fir_conv *c)
{
    if (c->committed)
        return;
    memset(c->route[1 - c->active], LATHE_FIR_NONE, sizeof c->route[0]);
}

void lathe_fir_conv_commit(lathe_fir_conv *c, size_t fade)
{
    if (c->committed)
        return;
    c->committed = 1;
    c->fading = 0;
    c->fade_len = fade;
    c->fade_pos = 0;
}

/* acc += x * h over NB complex bins (split real/imaginary arrays). */
LATHE_HOT static void cmac(float *restrict ar, float *restrict ai, const float *restrict xr,
                           const float *restrict xi, const float *restrict hr,
                           const float *restrict hi, size_t nb)
{
    for (size_t j = 0; j < nb; j++) {
        ar[j] += xr[j] * hr[j] - xi[j] * hi[j];
        ai[j] += xr[j] * hi[j] + xi[j] * hr[j];
    }
}

/* Output of bank B for the block that starts at absolute frame T0, into DST. */
static void run_bank(lathe_fir_conv *c, int b, size_t t0, float *const *dst)
{
    const size_t B = c->B, P = c->P, nb = c->nb;
    for (int o = 0; o < c->nch; o++) {
        int any = 0;
        for (int i = 0; i < c->nch; i++) {
            int r = c->route[b][o][i];
            if (r < 0)
                continue;
            if (!any) {
                memset(c->ar, 0, sizeof(float) * nb);
                memset(c->ai, 0, sizeof(float) * nb);
                any = 1;
            }
            for (size_t p = 0; p < P; p++) {
                size_t slot = (c->head + P - p) % P;
                const size_t ko = ((size_t)r * P + p) * nb;
                cmac(c->ar, c->ai, c->xr[i] + slot * nb, c->xi[i] + slot * nb, c->kr[b] + ko,
                     c->ki[b] + ko, nb);
            }
        }
        float *restrict y = dst[o];
        if (any) {
            for (size_t j = 0; j < nb; j++) {
                c->fspec[j][0] = c->ar[j];
                c->fspec[j][1] = c->ai[j];
            }
            fftwf_execute(c->inv);
            memcpy(y, c->fin + B, sizeof(float) * B);
        }
        int first = !any;
        for (int i = 0; i < c->nch; i++) {
            if (c->route[b][o][i] != LATHE_FIR_IDENTITY)
                continue;
            const float *ring = c->ring[i];
            const size_t start = t0 - c->delay, mask = c->ring_mask;
            if (first) {        /* a copy, so a lone identity route is bit exact */
                for (size_t j = 0; j < B; j++)
                    y[j] = ring[(start + j) & mask];
                first = 0;
            } else {
                for (size_t j = 0; j < B; j++)
                    y[j] += ring[(start + j) & mask];
            }
        }
        if (first)
            memset(y, 0, sizeof(float) * B);
    }
}

static void run_block(lathe_fir_conv *c)
{
    const size_t B = c->B, nb = c->nb, mask = c->ring_mask;
    const size_t t0 = c->t - B;  /* first frame of the block just completed */

    if (c->committed && !c->fading) {
        if (c->fade_len == 0) {
            c->active = 1 - c->active;
            c->committed = 0;
        } else {
            c->fading = 1;
            c->fade_pos = 0;
        }
    }
    c->head = (c->head + 1) % c->P;
    for (int i = 0; i < c->nch; i++) {
        const float *ring = c->ring[i];
        const size_t start = t0 - B; /* wraps below 0 onto the zeroed ring */
        for (size_t j = 0; j < 2 * B; j++)
            c->fin[j] = ring[(start + j) & mask];
        fftwf_execute(c->fwd);
        float *restrict r = c->xr[i] + c->head * nb;
        float *restrict im = c->xi[i] + c->head * nb;
        for (size_t j = 0; j < nb; j++) {
            r[j] = c->fspec[j][0];
            im[j] = c->fspec[j][1];
        }
    }
    run_bank(c, c->active, t0, c->outbuf);
    if (c->fading) {
        run_bank(c, 1 - c->active, t0, c->tmp);
        const double len = (double)c->fade_len;
        for (int o = 0; o < c->nch; o++) {
            float *restrict y = c->outbuf[o];
            const float *restrict z = c->tmp[o];
            for (size_t j = 0; j < B; j++) {
                double w = (double)(c->fade_pos + j + 1) / len;
                w = w > 1.0 ? 1.0 : w;
                y[j] = (float)((1.0 - w) * y[j] + w * z[j]);
            }
        }
        c->fade_pos += B;
        if (c->fade_pos >= c->fade_len) {
            c->active = 1 - c->active;
            c->fading = 0;
            c->committed = 0;
        }
    }
}

void lathe_fir_conv_process(lathe_fir_conv *c, float *const *ch, size_t frames)
{
    const size_t B = c->B, mask = c->ring_mask;
    size_t done = 0;
    while (done < frames) {
        size_t k = B - c->pos;
        if (k > frames - done)
            k = frames - done;
        for (int i = 0; i < c->nch; i++) {
            float *x = ch[i] + done;
            float *ring = c->ring[i];
            for (size_t j = 0; j < k; j++)
                ring[(c->t + j) & mask] = x[j];
            memcpy(x, c->outbuf[i] + c->pos, sizeof(float) * k);
        }
        c->t += k;
        c->pos += k;
        done += k;
        if (c->pos == B) {
            run_block(c);
            c->pos = 0;
        }
    }
}

void lathe_fir_conv_reset(lathe_fir_conv *c)
{
    for (int i = 0; i < c->nch; i++) {
        memset(c->ring[i], 0, sizeof(float) * (c->ring_mask + 1));
        memset(c->outbuf[i], 0, sizeof(float) * c->B);
        memset(c->xr[i], 0, sizeof(float) * c->P * c->nb);
        memset(c->xi[i], 0, sizeof(float) * c->P * c->nb);
    }
    if (c->committed)
        c->active = 1 - c->active;
    c->committed = c->fading = 0;
    c->pos = 0;
    c->t = 0;
    c->head = 0;
}
