/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Word-length reduction: TPDF dither, optional F-weighted noise shaping, rounding
 * and clipping of float samples to W-bit integers (docs/output.md). */
#ifndef LATHE_DSP_DITHER_H
#define LATHE_DSP_DITHER_H

#include <stddef.h>
#include <stdint.h>
#include "lathe/io.h"
#include "lathe/output.h"

/* Longest error-feedback filter (taps); designs at high rates need the most. */
#define LATHE_DITHER_MAX_TAPS 128

typedef struct lathe_dither_channel {
    uint64_t rng[4][4];                      /* four xoshiro256** generators: [word][lane] */
    double pend[8];                          /* TPDF values drawn and not yet used */
    int npend;                               /* their count (the last NPEND of PEND) */
    double err[2 * LATHE_DITHER_MAX_TAPS];   /* past total errors, each stored twice */
    int pos;                                 /* newest error at err[pos] (and pos + taps) */
} lathe_dither_channel;

typedef struct lathe_dither {
    lathe_dither_type type;  /* in use (SHAPED falls back to TPDF below 44.1 kHz) */
    int bits;                /* word length W, 2..32 */
    int channels;
    double scale;            /* 2^(W-1): LSBs per unit full scale */
    double lo, hi;           /* integer range -2^(W-1) .. 2^(W-1)-1 */
    int taps;                /* error-feedback taps (0 unless shaped) */
    double h[LATHE_DITHER_MAX_TAPS]; /* NTF(z) = 1 - sum_k h[k] z^-(k+1) */
    int64_t clipped;         /* samples clipped so far */
    int32_t safe_bits;       /* bit pattern of the largest float magnitude that cannot clip */
    uint64_t seed;
    lathe_dither_channel ch[LATHE_MAX_CHANNELS];
} lathe_dither;

/* Sets D up for TYPE at BITS (2..32) bits, RATE_HZ, CHANNELS (1..8) and SEED.
 * Every channel gets its own random stream derived from (SEED, channel).
 * LATHE_ERR_INVALID_ARGUMENT when out of range. */
lathe_status lathe_dither_init(lathe_dither *d, lathe_dither_type type, int bits, double rate_hz,
                               int channels, uint64_t seed);

/* Back to the state right after init (same seed, errors cleared, clip count 0). */
void lathe_dither_reset(lathe_dither *d);

/* Quantises N samples IN (1.0 = full scale) of channel C to integers in [lo, hi],
 * stored at OUT[0], OUT[STRIDE], ... Non-finite input counts as 0. */
void lathe_dither_run(lathe_dither *d, int c, const float *in, int32_t *out, size_t stride,
                      size_t n);

/* Designs the shaped error-feedback filter for RATE_HZ into H (room for
 * LATHE_DITHER_MAX_TAPS); returns the number of taps, 0 when the rate is below
 * 44.1 kHz (no shaping). At 44.1 kHz exactly: the published 9-tap F-weighted filter. */
int lathe_dither_shaper_design(double rate_hz, double *h);

/* |NTF(e^jw)| in dB of a shaper H with TAPS taps at FREQ_HZ / RATE_HZ. */
double lathe_dither_ntf_db(const double *h, int taps, double freq_hz, double rate_hz);

#endif
