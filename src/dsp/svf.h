/* SPDX-License-Identifier: GPL-3.0-or-later */
/* State-variable filter with trapezoidal integrators ("topology-preserving transform",
 * V. Zavalishin, "The Art of VA Filter Design", 2012, ch. 4): one structure gives the
 * low-pass 1/D, band-pass s/D and high-pass s^2/D outputs of D = s^2 + k s + 1
 * (k = 1/Q, s normalised to the cutoff), each exactly the bilinear transform pre-warped
 * at the cutoff; coefficients may change every sample without a transient of their own.
 * Double precision. */
#ifndef LATHE_DSP_SVF_H
#define LATHE_DSP_SVF_H

#include <math.h>

typedef struct lathe_svf_coefs {
    double g, k, h;     /* tan(pi f / fs), 1 / Q, 1 / (1 + g (g + k)) */
} lathe_svf_coefs;

typedef struct lathe_svf_state {
    double s1, s2;      /* integrator states */
} lathe_svf_state;

static inline void lathe_svf_design(lathe_svf_coefs *c, double freq_hz, double q, double rate_hz)
{
    c->g = tan(M_PI * freq_hz / rate_hz);
    c->k = 1.0 / q;
    c->h = 1.0 / (1.0 + c->g * (c->g + c->k));
}

/* One sample X; outputs low-pass, band-pass (peak gain Q at the cutoff; multiply by k
 * for 0 dB) and high-pass. */
static inline void lathe_svf_tick(const lathe_svf_coefs *c, lathe_svf_state *s, double x,
                                  double *lp, double *bp, double *hp)
{
    const double h = (x - (c->g + c->k) * s->s1 - s->s2) * c->h;
    const double v1 = c->g * h;
    const double b = v1 + s->s1;
    s->s1 = b + v1;
    const double v2 = c->g * b;
    const double l = v2 + s->s2;
    s->s2 = l + v2;
    *lp = l;
    *bp = b;
    *hp = h;
}

#endif
