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
    size_t max_chunk;           /* most frames per lathe_tp_detect call */
    /* coef[kind][f - 4][p - 1][k]: branch p (1..f-1) of factor f multiplies
     * x[n - offset[kind] - k], k < taps[kind] */
    float coef[LATHE_TP_KINDS][LATHE_TP_FACTORS][LATHE_TP_MAX_FACTOR - 1][LATHE_TP_TAPS];
    int taps[LATHE_TP_KINDS];
    int offset[LATHE_TP_KINDS];
    double bound[LATHE_TP_FACTORS]; /* max over kinds and branches of sum |coef| */
    int bs_factor;              /* BS.1770-4 oversampling for the rate: 4, 2 or 1 */
    int bs_taps, bs_offset;
    float bs_coef[3][LATHE_TP_BS_TAPS];
    double bs_bound;
    /* env[f - 4][k] >= 1.125 max over every branch of every interpolator of |its
     * coefficient on x[n - k]| (1 for the interval's two end samples): sum_k env[k]
     * |x[n - k]| bounds frame n's estimate, parabolic vertices included */
    float env[LATHE_TP_FACTORS][LATHE_TP_TAPS];
    /* the centred bound: every branch has DC gain g with |g| <= dcmax, so with c the
     * mean of the interval's two ends, 1.125 (dcmax |c| + sum_k w[k] |x[n - k] - c|)
     * (w[k] = env[k] / 1.125) also bounds frame n's estimate, and far more tightly where
     * the signal is smooth: envc[f - 4][k] and dcc[f - 4] hold 1.125 w[k] and
     * 1.125 dcmax, rounded up */
    float envc[LATHE_TP_FACTORS][LATHE_TP_TAPS];
    float dcc[LATHE_TP_FACTORS];
    float *hist;                /* TAPS - 1 previous samples, then the current chunk */
    float *habs;                /* |hist| */
    float *branch;              /* branch outputs, max_chunk apart */
    float last[LATHE_TP_KINDS]; /* previous frame's last oversampled value per kind */
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
