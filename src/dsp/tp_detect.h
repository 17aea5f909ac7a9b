/* SPDX-License-Identifier: GPL-3.0-or-later */
/* True-peak detector for one channel, for the limiter. Per input frame it gives an
 * upper estimate of |x(t)| over one sample interval, as the largest reading of three
 * interpolators: an accurate one (long Kaiser-windowed sinc), the ITU-R BS.1770-4
 * Annex 2 reference (as libebur128 and lathe's meter use it) and a short one like
 * libswresample's default (as ffmpeg's ebur128 filter uses it); the first and last at
 * 4x..8x with a parabolic estimate between the oversampled points. Interpolators
 * disagree on content near Nyquist; taking the largest keeps a limiter's output under
 * its ceiling whichever of them measures it. */
#ifndef LATHE_DSP_TP_DETECT_H
#define LATHE_DSP_TP_DETECT_H

#include <stddef.h>
#include "lathe/status.h"

/* Group delay in input frames: the peak reported for input frame n describes the
 * interval t in [n - LATHE_TP_DELAY, n - LATHE_TP_DELAY + 1]. */
#define LATHE_TP_DELAY 24
#define LATHE_TP_TAPS (2 * LATHE_TP_DELAY)  /* longest branch, and the history kept */
#define LATHE_TP_MIN_FACTOR 4
#define LATHE_TP_MAX_FACTOR 8
#define LATHE_TP_FACTORS (LATHE_TP_MAX_FACTOR - LATHE_TP_MIN_FACTOR + 1)
#define LATHE_TP_KINDS 2                /* refined interpolators: accurate, short */
#define LATHE_TP_BS_TAPS 49             /* BS.1770-4 Annex 2 interpolator length */

typedef struct lathe_tp_detector {
    int factor;                 /* current oversampling factor, 4..8 */
    /* the vector code: 0 baseline, 1 AVX2, 2 AVX-512 (x86-64-v4), the best this CPU
     * has; a test may lower it (every one computes the same bits) */
    int isa;
    size_t max_chunk;           /* most frames per lathe_tp_detect call */
    /* coef[kind][f - 4][p - 1][k]: branch p (1..f-1) of factor f multiplies
     * x[n - offset[kind] - k], k < taps[kind] */
    float coef[LATHE_TP_KINDS][LATHE_TP_FACTORS][LATHE_TP_MAX_FACTOR - 1][LATHE_TP_TAPS];
    int taps[LATHE_TP_KINDS];
    int offset[LATHE_TP_KINDS];
    int bs_factor;              /* BS.1770-4 oversampling for the rate: 4, 2 or 1 */
    int bs_taps, bs_offset;
    float bs_coef[3][LATHE_TP_BS_TAPS];
    /* The skip bounds of factor f (tp_detect.c): a frame's estimate never exceeds
     * sbound[f - 4] max |x[n - k]| (k <= LATHE_TP_TAPS), nor the centred bound
     * bdc[f - 4] |c| + sum_k benv[f - 4][k] |x[n - k] - c|, c the mean of the interval's
     * two ends; parabolic vertices included. */
    double sbound[LATHE_TP_FACTORS];
    float benv[LATHE_TP_FACTORS][LATHE_TP_TAPS + 1];
    float bdc[LATHE_TP_FACTORS];
    /* the central bound: the taps around the interval exactly, the tails (btail, the sum
     * of their benv) through |x - c| <= |c| + max |x|; bdc2 = bdc + btail */
    float btail[LATHE_TP_FACTORS], bdc2[LATHE_TP_FACTORS];
    /* The current factor's interpolators as columns, for one frame at a time:
     * lane[v][k][l] multiplies x[n - k]; v = 0: kind 0, l = p - 1 for branch p and
     * l = f - 1 for branch f - 1 of the previous frame (the parabola's left neighbour of
     * the interval start); v = 1: the same for kind 1; v = 2: BS.1770's branches. */
    float lane[3][LATHE_TP_TAPS + 1][8];
    float *hist;                /* TAPS previous samples, then the current chunk */
    float *bmax;                /* max |hist| per block of 16 samples */
} lathe_tp_detector;

/* Designs every interpolator (the BS.1770-4 one for RATE_HZ) and allocates for chunks
 * of MAX_CHUNK frames. */
lathe_status lathe_tp_detector_init(lathe_tp_detector *d, int factor, size_t max_chunk,
                                    double rate_hz);
void lathe_tp_detector_free(lathe_tp_detector *d);
/* Clears the history (as silence). */
void lathe_tp_detector_reset(lathe_tp_detector *d);
/* Switches the oversampling factor (clamped to 4..8); no allocation. */
void lathe_tp_detector_set_factor(lathe_tp_detector *d, int factor);

/* Appends N (<= max_chunk) finite samples X and writes PEAK[i], the estimated
 * maximum of |x(t)| over [n_i - DELAY, n_i - DELAY + 1] for the i-th new frame n_i.
 * Values at or below FLOOR are only guaranteed to stay at or below FLOOR (frames whose
 * filter windows cannot reach above FLOOR are skipped); values above FLOOR are exact
 * estimates that do not depend on how the stream is split into calls. */
void lathe_tp_detect(lathe_tp_detector *d, const float *x, size_t n, float floor_level,
                     float *peak);

#endif
