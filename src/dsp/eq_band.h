/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One parametric EQ band as a cascade of biquad sections designed in double
 * (bell, shelves, Butterworth cuts of any order 1..8, notch, tilt), its magnitude
 * response, and the cascade run on double samples. */
#ifndef LATHE_DSP_EQ_BAND_H
#define LATHE_DSP_EQ_BAND_H

#include <stddef.h>
#include "dsp/biquad.h"

/* In the order of the eq processor's "type" choices. */
typedef enum lathe_eq_type {
    LATHE_EQ_OFF,
    LATHE_EQ_BELL,
    LATHE_EQ_LOW_SHELF,
    LATHE_EQ_HIGH_SHELF,
    LATHE_EQ_LOW_CUT,
    LATHE_EQ_HIGH_CUT,
    LATHE_EQ_NOTCH,
    LATHE_EQ_TILT,
    LATHE_EQ_TYPE_COUNT
} lathe_eq_type;

#define LATHE_EQ_MAX_ORDER 8
#define LATHE_EQ_MAX_SECTIONS 4

typedef struct lathe_eq_cascade {
    int n;                                      /* sections in use (0: identity) */
    lathe_biquad_coefs s[LATHE_EQ_MAX_SECTIONS];
} lathe_eq_cascade;

/* 1 for the types whose gain_db sets the response (bell, shelves, tilt). */
int lathe_eq_type_has_gain(lathe_eq_type type);

/* 1 if the band is exactly the identity: off, or a gain type at 0 dB. */
int lathe_eq_is_identity(lathe_eq_type type, double gain_db);

/* Butterworth order (1..8) for a cut slope in dB/octave: round(slope / 6) clamped. */
int lathe_eq_order_for_slope(double slope_db_oct);

/* Quality factor of the K-th (0-based) complex pole pair of an ORDER-pole Butterworth
 * low-pass: Q = 1 / (2 cos((ORDER - 1 - 2K) pi / (2 ORDER))), K < ORDER / 2, the pole
 * pair's angle from the negative real axis being (ORDER - 1 - 2K) pi / (2 ORDER) (K = 0 is
 * the highest Q); an odd ORDER adds one real pole (a first-order section). */
double lathe_butterworth_q(int order, int k);

/* Highest frequency a band may use at RATE_HZ: 0.49 RATE_HZ. */
double lathe_eq_max_freq(double rate_hz);

/* Designs the band (FREQ_HZ clamped to [1 Hz, lathe_eq_max_freq]): sections by the
 * bilinear transform pre-warped at FREQ_HZ (RBJ cookbook for bell, shelves and notch,
 * Butterworth sections for cuts of ORDER poles, a first-order tilt). Q is used by bell,
 * shelves and notch; GAIN_DB by bell, shelves and tilt; ORDER by cuts. The identity
 * bands of lathe_eq_is_identity design to n = 0. */
void lathe_eq_design(lathe_eq_cascade *c, lathe_eq_type type, double freq_hz, double gain_db,
                     double q, int order, double rate_hz);

/* |H|^2 of the cascade at the angular frequency w given as PHI = sin^2(w / 2). The
 * form in PHI avoids the cancellation of the cos(w) form at low frequencies
 * (|B(e^jw)|^2 = (b0 + b1 + b2)^2 - 4 phi (b0 b1 + b1 b2 + 4 b0 b2) + 16 phi^2 b0 b2). */
double lathe_eq_cascade_mag2(const lathe_eq_cascade *c, double phi);

/* Direct form I history of one section: its last two inputs and outputs. A coefficient
 * change never meets an internal state made for other coefficients, and the state of a
 * bypassed (identity) section is known exactly: its input's last two samples. */
typedef struct lathe_eq_hist {
    double x1, x2, y1, y2;
} lathe_eq_hist;

/* Most sections one call runs (several bands' cascades back to back). */
#define LATHE_EQ_MAX_RUN 32

/* NS (<= LATHE_EQ_MAX_RUN) sections with coefficients C[k] and histories H[k], in place on
 * X (N samples): a chain of cascades in one pass (direct form I); flushes denormal and
 * non-finite history at the end. Each section computes
 * y = b0 x + (((b1 x1 + b2 x2) - a2 y2) - a1 y1) (in that order, in every function below,
 * so they all give the same samples). */
void lathe_eq_sections_run(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                           size_t n);

/* The same on two channels at once (histories H0 for X0, H1 for X1): each channel's
 * samples and histories are exactly those of lathe_eq_sections_run. Software-pipelined
 * (up to 8 sections in flight at once, each one or two frames behind its predecessor),
 * both channels of every section side by side in vectors of 4 doubles, or of 8 on a CPU
 * with AVX-512. */
void lathe_eq_sections_run2(const lathe_biquad_coefs *c, lathe_eq_hist *h0, lathe_eq_hist *h1,
                            int ns, double *x0, double *x1, size_t n);

/* Two channels, each through its own sections (NS0 sections C0, histories H0 on X0; NS1
 * sections C1, H1 on X1; either NS may be 0): each channel exactly lathe_eq_sections_run
 * on it, both in one pipeline (a channel with fewer sections passes its samples on
 * untouched through the other's extra slots). */
void lathe_eq_sections_run_pair(const lathe_biquad_coefs *c0, lathe_eq_hist *h0, int ns0,
                                double *x0, const lathe_biquad_coefs *c1, lathe_eq_hist *h1,
                                int ns1, double *x1, size_t n);

/* lathe_eq_sections_run_pair with a choice of kernels, for tests: LANES 0 the fastest for
 * this CPU (as lathe_eq_sections_run_pair), 4 the vectors of 4 doubles of the AVX2 and
 * baseline builds even on a CPU with AVX-512. The samples and histories are the same. */
void lathe_eq_sections_run_pair_lanes(const lathe_biquad_coefs *c0, lathe_eq_hist *h0, int ns0,
                                      double *x0, const lathe_biquad_coefs *c1,
                                      lathe_eq_hist *h1, int ns1, double *x1, size_t n,
                                      int lanes);

/* lathe_eq_sections_run on one channel, software-pipelined with four sections per 4-lane
 * vector (up to 16 in flight; eight per vector of 8 with AVX-512): the same samples and
 * histories. */
void lathe_eq_sections_run1(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                            size_t n);

/* The histories of LATHE_EQ_MAX_SECTIONS identity sections fed with ..., PREV, LAST. */
void lathe_eq_hist_identity(lathe_eq_hist *h, double last, double prev);

#endif
