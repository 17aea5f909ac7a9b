/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EQ band designs (double): RBJ cookbook sections, Butterworth cascades, tilt. */
#include <math.h>
#include "dsp/eq_band.h"

int lathe_eq_type_has_gain(lathe_eq_type type)
{
    return type == LATHE_EQ_BELL || type == LATHE_EQ_LOW_SHELF || type == LATHE_EQ_HIGH_SHELF
           || type == LATHE_EQ_TILT;
}

int lathe_eq_is_identity(lathe_eq_type type, double gain_db)
{
    return type <= LATHE_EQ_OFF || type >= LATHE_EQ_TYPE_COUNT
           || (lathe_eq_type_has_gain(type) && gain_db == 0.0);
}

int lathe_eq_order_for_slope(double slope_db_oct)
{
    int n = (int)floor(slope_db_oct / 6.0 + 0.5);
    return n < 1 ? 1 : n > LATHE_EQ_MAX_ORDER ? LATHE_EQ_MAX_ORDER : n;
}

double lathe_butterworth_q(int order, int k)
{
    return 1.0 / (2.0 * cos((double)(order - 1 - 2 * k) * M_PI / (2.0 * order)));
}

double lathe_eq_max_freq(double rate_hz)
{
    return 0.49 * rate_hz;
}

/* First-order tilt, the bilinear transform (pre-warped at f0) of
 * H(s) = (A s + w0) / (s + A w0): 1/A at DC, A at infinity, |H(j w0)| = 1. */
static void design_tilt(lathe_biquad_coefs *c, double freq_hz, double gain_db, double rate_hz)
{
    const double A = pow(10.0, gain_db / 20.0);
    const double k = tan(M_PI * freq_hz / rate_hz);
    const double a0 = 1.0 + k * A;
    c->b0 = (A + k) / a0;
    c->b1 = (k - A) / a0;
    c->b2 = 0.0;
    c->a1 = (k * A - 1.0) / a0;
    c->a2 = 0.0;
}

void lathe_eq_design(lathe_eq_cascade *c, lathe_eq_type type, double freq_hz, double gain_db,
                     double q, int order, double rate_hz)
{
    const double fmax = lathe_eq_max_freq(rate_hz);
    freq_hz = freq_hz < 1.0 ? 1.0 : freq_hz > fmax ? fmax : freq_hz;
    q = q < 0.01 ? 0.01 : q;
    c->n = 0;
    if (lathe_eq_is_identity(type, gain_db))
        return;
    switch (type) {
    case LATHE_EQ_BELL:
        lathe_biquad_design(&c->s[0], LATHE_BIQUAD_BELL, freq_hz, q, gain_db, rate_hz);
        c->n = 1;
        break;
    case LATHE_EQ_LOW_SHELF:
        lathe_biquad_design(&c->s[0], LATHE_BIQUAD_LOW_SHELF, freq_hz, q, gain_db, rate_hz);
        c->n = 1;
        break;
    case LATHE_EQ_HIGH_SHELF:
        lathe_biquad_design(&c->s[0], LATHE_BIQUAD_HIGH_SHELF, freq_hz, q, gain_db, rate_hz);
        c->n = 1;
        break;
    case LATHE_EQ_NOTCH:
        lathe_biquad_design(&c->s[0], LATHE_BIQUAD_NOTCH, freq_hz, q, 0.0, rate_hz);
        c->n = 1;
        break;
    case LATHE_EQ_TILT:
        design_tilt(&c->s[0], freq_hz, gain_db, rate_hz);
        c->n = 1;
        break;
    case LATHE_EQ_LOW_CUT:
    case LATHE_EQ_HIGH_CUT: {
        const int hp = type == LATHE_EQ_LOW_CUT;
        order = order < 1 ? 1 : order > LATHE_EQ_MAX_ORDER ? LATHE_EQ_MAX_ORDER : order;
        /* The real pole of an odd order first, then the pole pairs by rising Q. Every
         * section is pre-warped at the same corner, so the cascade is exactly the
         * bilinear transform of the analogue Butterworth filter:
         * |H|^2 = 1 / (1 + (tan(pi f / fs) / tan(pi fc / fs))^(+-2 order)). */
        if (order & 1)
            lathe_biquad_design(&c->s[c->n++], hp ? LATHE_BIQUAD_HIGHPASS1 : LATHE_BIQUAD_LOWPASS1,
                                freq_hz, 0.5, 0.0, rate_hz);
        for (int k = order / 2 - 1; k >= 0; k--)
            lathe_biquad_design(&c->s[c->n++], hp ? LATHE_BIQUAD_HIGHPASS : LATHE_BIQUAD_LOWPASS,
                                freq_hz, lathe_butterworth_q(order, k), 0.0, rate_hz);
        break;
    }
    default:
        break;
    }
}

double lathe_eq_cascade_mag2(const lathe_eq_cascade *c, double phi)
{
    double m = 1.0;
    for (int i = 0; i < c->n; i++) {
        const lathe_biquad_coefs *s = &c->s[i];
        const double nb = s->b0 + s->b1 + s->b2, na = 1.0 + s->a1 + s->a2;
        const double num = nb * nb - 4.0 * phi * (s->b0 * s->b1 + s->b1 * s->b2 + 4.0 * s->b0 * s->b2)
                           + 16.0 * phi * phi * s->b0 * s->b2;
        const double den = na * na - 4.0 * phi * (s->a1 + s->a1 * s->a2 + 4.0 * s->a2)
                           + 16.0 * phi * phi * s->a2;
        m *= (num > 0.0 ? num : 0.0) / den;
    }
    return m;
}

void lathe_eq_cascade_run(const lathe_eq_cascade *c, lathe_eq_hist *h, double *x, size_t n)
{
    /* Every section per sample: the out-of-order core overlaps section k at sample i
     * with section k - 1 at sample i + 1. */
    const int ns = c->n;
    double b0[LATHE_EQ_MAX_SECTIONS], b1[LATHE_EQ_MAX_SECTIONS], b2[LATHE_EQ_MAX_SECTIONS];
    double a1[LATHE_EQ_MAX_SECTIONS], a2[LATHE_EQ_MAX_SECTIONS];
    double x1[LATHE_EQ_MAX_SECTIONS], x2[LATHE_EQ_MAX_SECTIONS];
    double y1[LATHE_EQ_MAX_SECTIONS], y2[LATHE_EQ_MAX_SECTIONS];
    for (int k = 0; k < ns; k++) {
        b0[k] = c->s[k].b0;
        b1[k] = c->s[k].b1;
        b2[k] = c->s[k].b2;
        a1[k] = c->s[k].a1;
        a2[k] = c->s[k].a2;
        x1[k] = h[k].x1;
        x2[k] = h[k].x2;
        y1[k] = h[k].y1;
        y2[k] = h[k].y2;
    }
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        for (int k = 0; k < ns; k++) {
            const double y = b0[k] * v + b1[k] * x1[k] + b2[k] * x2[k] - a1[k] * y1[k] - a2[k] * y2[k];
            x2[k] = x1[k];
            x1[k] = v;
            y2[k] = y1[k];
            y1[k] = y;
            v = y;
        }
        x[i] = v;
    }
    for (int k = 0; k < ns; k++) {
        h[k].x1 = lathe_flush(x1[k]);
        h[k].x2 = lathe_flush(x2[k]);
        h[k].y1 = lathe_flush(y1[k]);
        h[k].y2 = lathe_flush(y2[k]);
    }
}

void lathe_eq_hist_identity(lathe_eq_hist *h, double last, double prev)
{
    for (int k = 0; k < LATHE_EQ_MAX_SECTIONS; k++) {
        h[k].x1 = h[k].y1 = last;
        h[k].x2 = h[k].y2 = prev;
    }
}
