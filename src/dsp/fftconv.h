/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Uniformly partitioned FFT convolution (overlap-save with a frequency-domain delay
 * line), for long FIR filters on streams: one input spectrum per block is shared by
 * any number of filters on the same stream. Float FFTs (FFTW), float accumulation.
 *
 * With block size B, a filter of up to P*B taps is cut into P partitions of B taps,
 * each zero-padded to 2B and transformed once. Per input block of B samples the
 * stream computes one 2B-point spectrum of [previous block, this block]; the output
 * block of a filter is the last B samples of IFFT(sum_p X[j-p] H[p]), i.e. exactly
 * the linear convolution y[n] = sum_k h[k] x[n-k] for the B samples of the block. */
#ifndef LATHE_DSP_FFTCONV_H
#define LATHE_DSP_FFTCONV_H

#include <stddef.h>
#include "lathe/status.h"

typedef struct lathe_fftconv lathe_fftconv;

/* [control] Block size BLOCK, filters of up to TAPS taps. FFTW plans are made here
 * (FFTW_ESTIMATE; FFTW's planner is not thread-safe). */
lathe_status lathe_fftconv_create(size_t block, size_t taps, lathe_fftconv **out);
void lathe_fftconv_destroy(lathe_fftconv *p);
size_t lathe_fftconv_block(const lathe_fftconv *p);
/* Floats in one filter spectrum (2 * partitions * (block + 1)). */
size_t lathe_fftconv_spectrum_size(const lathe_fftconv *p);

/* [audio] Spectrum SPEC (spectrum_size floats) of filter H (TAPS <= the create size). */
void lathe_fftconv_filter(lathe_fftconv *p, const float *h, size_t taps, float *spec);

typedef struct lathe_fftconv_stream {
    float *fdl;      /* partitions spectra of past input blocks, newest at HEAD */
    float *prev;     /* previous input block (B) */
    size_t head;
} lathe_fftconv_stream;

/* [control] Allocates a stream's state for P; [audio] reset clears it. */
lathe_status lathe_fftconv_stream_init(const lathe_fftconv *p, lathe_fftconv_stream *s);
void lathe_fftconv_stream_free(lathe_fftconv_stream *s);
void lathe_fftconv_stream_reset(const lathe_fftconv *p, lathe_fftconv_stream *s);

/* [audio] Takes the next BLOCK input samples IN into the stream. */
void lathe_fftconv_push(lathe_fftconv *p, lathe_fftconv_stream *s, const float *in);
/* [audio] The output block (BLOCK samples into OUT) of the filter with spectrum SPEC
 * for the block last pushed. */
void lathe_fftconv_output(lathe_fftconv *p, const lathe_fftconv_stream *s, const float *spec,
                          float *out);

#endif
