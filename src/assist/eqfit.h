/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fitting EQ bands to a wanted correction curve (dB on a log-frequency grid) by
 * weighted, regularised least squares on the bands' exact magnitude responses
 * (src/dsp/eq_band.h), and packing the bands into eq recipe steps. */
#ifndef LATHE_ASSIST_EQFIT_H
#define LATHE_ASSIST_EQFIT_H

#include "dsp/eq_band.h"
#include "lathe/master.h"

#define EQFIT_MAX_BANDS 48
#define EQFIT_MAX_POINTS 256

/* eq processor channel modes, in the order of its "channels" choices */
enum { EQFIT_STEREO, EQFIT_LEFT, EQFIT_RIGHT, EQFIT_MID, EQFIT_SIDE };

typedef struct eqfit_band {
    lathe_eq_type type;         /* bell, low_shelf, high_shelf or tilt */
    double freq_hz, q, gain_db;
    int channels;               /* EQFIT_* */
} eqfit_band;

typedef struct eqfit {
    double rate_hz;
    int n;                      /* grid points */
    double hz[EQFIT_MAX_POINTS], want_db[EQFIT_MAX_POINTS], weight[EQFIT_MAX_POINTS];
    int nb;
    eqfit_band b[EQFIT_MAX_BANDS];
    double max_gain_db;         /* |gain| bound per band */
    double ridge;               /* Tikhonov weight on the gains (dB^-2, relative) */
} eqfit;

/* Response of band B alone at HZ, dB. */
double eqfit_band_db(const eqfit_band *b, double hz, double rate_hz);
/* Sum of the responses of bands B[0..n-1] at HZ, dB. */
double eqfit_sum_db(const eqfit_band *b, int n, double hz, double rate_hz);

/* Solves the gains of F's bands (types, frequencies and Q fixed) minimising
 * sum_i w_i (want_i - response_i)^2 + ridge * sum_k g_k^2, |g_k| <= max_gain_db, by
 * projected Gauss-Newton iterations. Bands whose gain ends under PRUNE_DB in size are
 * removed and the rest solved again. Returns the weighted RMS residual, dB. */
double eqfit_solve(eqfit *f, double prune_db);

/* Appends bands B[0..n-1] (gains rounded to 0.01 dB, frequencies to 0.1 Hz, Q to 0.001)
 * to R as eq steps of up to 8 bands (minimum phase). Returns LATHE_OK or an error when
 * the recipe is full. */
lathe_status eqfit_to_recipe(const eqfit_band *b, int n, lathe_recipe *r);

/* Rounds a band as eqfit_to_recipe writes it (so explanations quote the recipe). */
void eqfit_round(eqfit_band *b);

#endif
