/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small tools on spectral curves sampled on a log-frequency grid (dB values, NAN for
 * "no data"): smoothing in fractional octaves, weighted medians, interpolation. */
#ifndef LATHE_ASSIST_CURVE_H
#define LATHE_ASSIST_CURVE_H

/* Gaussian smoothing in log2(frequency): each output point is the weighted mean of the
 * finite inputs with weights exp(-(d / sigma)^2 / 2), d the distance in octaves and
 * sigma = WIDTH_OCT / 2 (so WIDTH_OCT is about the full width at 0.6 of the peak).
 * NAN inputs are skipped; an output is NAN when its own input is NAN. */
void curve_smooth(const double *hz, const double *x, int n, double width_oct, double *out);

/* Median of the finite X[i] with weights W[i] > 0; NAN when there are none. */
double curve_weighted_median(const double *x, const double *w, int n);

/* Y at HZ, linear in log frequency between the grid points HZ_GRID (rising); the end
 * values beyond the ends; NAN next to a NAN point. */
double curve_interp(const double *hz_grid, const double *y, int n, double hz);

/* Weighted mean of the finite X[i] over HZ in [LO, HI], weights W (NULL: 1). */
double curve_mean(const double *hz, const double *x, const double *w, int n, double lo, double hi);

/* Smooth step from 0 (x <= a) to 1 (x >= b), raised cosine; a > b gives a falling step. */
double curve_ramp(double x, double a, double b);

#endif
