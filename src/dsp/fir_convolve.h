/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Long FIR filtering by uniformly partitioned overlap-save FFT convolution (FFTW, float),
 * several channels in and out, with two filter banks so a new set of filters crossfades
 * in without a click. Fixed latency; no allocation after create. */
#ifndef LATHE_DSP_FIR_CONVOLVE_H
#define LATHE_DSP_FIR_CONVOLVE_H

#include <stddef.h>
#include "lathe/status.h"

/* Route values besides a kernel index (0..kernels-1). */
enum {
    LATHE_FIR_NONE = -1,      /* the input does not feed the output */
    LATHE_FIR_IDENTITY = -2   /* the input feeds the output delayed by exactly identity_delay
                               * frames, copied in the time domain (bit exact) */
};

typedef struct lathe_fir_conv lathe_fir_conv;

/* CHANNELS (1..8) inputs and as many outputs. Each bank holds KERNELS (>= 1) FIRs of
 * up to TAPS taps and a routing table: output o = sum over inputs i of
 * (input i convolved with the route (o, i)). BLOCK: the partition size (any size >= 16;
 * a power of two is fastest); the input is buffered in blocks of that many frames,
 * which is the latency the convolver adds on top of the filters' own delay.
 * IDENTITY_DELAY < TAPS. Both banks start with every route NONE (silence) until a
 * bank is staged and committed. */
lathe_status lathe_fir_conv_create(int channels, int kernels, size_t taps, size_t block,
                                   size_t identity_delay, lathe_fir_conv **out);
void lathe_fir_conv_destroy(lathe_fir_conv *c);

/* Frames of delay added by the block buffering (= BLOCK). */
size_t lathe_fir_conv_latency(const lathe_fir_conv *c);

/* 1 while a committed bank has not finished fading in: staging must wait. */
int lathe_fir_conv_busy(const lathe_fir_conv *c);

/* Staging writes the bank that is not playing (only when not busy).
 * stage_kernel: kernel K from N <= TAPS taps (double, converted to partition spectra).
 * stage_route: route (OUT, IN) of the staged bank: a kernel, NONE or IDENTITY.
 * stage_clear: every route of the staged bank NONE. */
void lathe_fir_conv_stage_kernel(lathe_fir_conv *c, int k, const double *h, size_t n);
void lathe_fir_conv_stage_route(lathe_fir_conv *c, int out, int in, int route);
void lathe_fir_conv_stage_clear(lathe_fir_conv *c);

/* Makes the staged bank the playing one: from the next block boundary the output
 * crossfades linearly from the old bank to the new over FADE frames (0: switches at
 * that boundary). Both banks see the same input history, so the new filters start
 * with their full state. */
void lathe_fir_conv_commit(lathe_fir_conv *c, size_t fade);

/* In place: CH[c][0..frames-1] for every channel; any FRAMES. */
void lathe_fir_conv_process(lathe_fir_conv *c, float *const *ch, size_t frames);

/* Clears the input history and pending output; a committed bank takes over at once. */
void lathe_fir_conv_reset(lathe_fir_conv *c);

#endif
