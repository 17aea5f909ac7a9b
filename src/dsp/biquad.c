/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Biquad design and processing (double precision). */
#include <math.h>
#include <complex.h>
#include "dsp/biquad.h"

/* BS.1770-4 K-weighting as analogue prototypes (the published parameters used by
 * every exact implementation, e.g. libebur128; see docs/analysis.md):
 * stage 1, high shelf: f0 = 1681.97 Hz, gain G = +3.99984 dB, Q = 0.70718, with the
 *          band-edge gain Vb = Vh^0.49967;
 * stage 2, RLB high-pass: f0 = 38.1355 Hz, Q = 0.50033. */
void lathe_kweight_design(double rate_hz, lathe_biquad_coefs *shelf, lathe_biquad_coefs *hp)
{
    const double f0s = 1681.974450955533, gain_db = 3.999843853973347, qs = 0.7071752369554196;
    const double f0h = 38.13547087602444, qh = 0.5003270373238773;
    double k = tan(M_PI * f0s / rate_hz);
    double vh = pow(10.0, gain_db / 20.0);
    double vb = pow(vh, 0.4996667741545416);
    double a0 = 1.0 + k / qs + k * k;

    shelf->b0 = (vh + vb * k / qs + k * k) / a0;
    shelf->b1 = 2.0 * (k * k - vh) / a0;
    shelf->b2 = (vh - vb * k / qs + k * k) / a0;
    shelf->a1 = 2.0 * (k * k - 1.0) / a0;
    shelf->a2 = (1.0 - k / qs + k * k) / a0;

    /* BS.1770-4 Table 2 keeps the numerator at (1, -2, 1) rather than (1, -2, 1) / a0,
     * so the 48 kHz filter has a pass-band gain of a0(48 kHz) = +0.043 dB. Keeping
     * (1, -2, 1) at every rate would make that gain depend on the rate (+0.047 dB at
     * 44.1 kHz, +0.011 dB at 192 kHz: 0.03 dB apart); scaling the numerator by
     * a0(48 kHz) / a0(rate) gives every rate the 48 kHz response, and leaves exactly
     * (1, -2, 1) at 48 kHz. */
    const double k48 = tan(M_PI * f0h / 48000.0);
    k = tan(M_PI * f0h / rate_hz);
    a0 = 1.0 + k / qh + k * k;
    const double g = (1.0 + k48 / qh + k48 * k48) / a0;
    hp->b0 = g;
    hp->b1 = -2.0 * g;
    hp->b2 = g;
    hp->a1 = 2.0 * (k * k - 1.0) / a0;
    hp->a2 = (1.0 - k / qh + k * k) / a0;
}

double lathe_biquad_magnitude(const lathe_biquad_coefs *c, double freq_hz, double rate_hz)
{
    double complex z1 = cexp(-I * 2.0 * M_PI * freq_hz / rate_hz);
    double complex z2 = z1 * z1;
    double complex num = c->b0 + c->b1 * z1 + c->b2 * z2;
    double complex den = 1.0 + c->a1 * z1 + c->a2 * z2;
    return cabs(num / den);
}

void lathe_biquad2_run(const lathe_biquad_coefs *a, lathe_biquad_state *sa,
                       const lathe_biquad_coefs *b, lathe_biquad_state *sb,
                       const float *in, double *out, size_t n)
{
    /* Locals for the loop, written back once (the compiler keeps them in registers). */
    const double ab0 = a->b0, ab1 = a->b1, ab2 = a->b2, aa1 = a->a1, aa2 = a->a2;
    const double bb0 = b->b0, bb1 = b->b1, bb2 = b->b2, ba1 = b->a1, ba2 = b->a2;
    double a1 = sa->s1, a2 = sa->s2, b1 = sb->s1, b2 = sb->s2;

    for (size_t i = 0; i < n; i++) {
        double x = in[i];
        double y = ab0 * x + a1;
        a1 = ab1 * x - aa1 * y + a2;
        a2 = ab2 * x - aa2 * y;
        double z = bb0 * y + b1;
        b1 = bb1 * y - ba1 * z + b2;
        b2 = bb2 * y - ba2 * z;
        out[i] = z;
    }
    sa->s1 = lathe_flush(a1);
    sa->s2 = lathe_flush(a2);
    sb->s1 = lathe_flush(b1);
    sb->s2 = lathe_flush(b2);
}

void lathe_biquad_identity(lathe_biquad_coefs *c)
{
    c->b0 = 1.0;
    c->b1 = c->b2 = c->a1 = c->a2 = 0.0;
}

void lathe_biquad_design(lathe_biquad_coefs *c, lathe_biquad_type type, double freq_hz,
                         double q, double gain_db, double rate_hz)
{
    const double w0 = 2.0 * M_PI * freq_hz / rate_hz;
    const double cw = cos(w0), sw = sin(w0);
    const double alpha = sw / (2.0 * q);
    const double A = pow(10.0, gain_db / 40.0);
    double b0, b1, b2, a0, a1, a2;

    switch (type) {
    case LATHE_BIQUAD_LOWPASS:
        b0 = (1.0 - cw) / 2.0; b1 = 1.0 - cw; b2 = b0;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case LATHE_BIQUAD_HIGHPASS:
        b0 = (1.0 + cw) / 2.0; b1 = -(1.0 + cw); b2 = b0;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case LATHE_BIQUAD_BELL:
        b0 = 1.0 + alpha * A; b1 = -2.0 * cw; b2 = 1.0 - alpha * A;
        a0 = 1.0 + alpha / A; a1 = -2.0 * cw; a2 = 1.0 - alpha / A;
        break;
    case LATHE_BIQUAD_LOW_SHELF: {
        double k = 2.0 * sqrt(A) * alpha;
        b0 = A * ((A + 1.0) - (A - 1.0) * cw + k);
        b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
        b2 = A * ((A + 1.0) - (A - 1.0) * cw - k);
        a0 = (A + 1.0) + (A - 1.0) * cw + k;
        a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
        a2 = (A + 1.0) + (A - 1.0) * cw - k;
        break;
    }
    case LATHE_BIQUAD_HIGH_SHELF: {
        double k = 2.0 * sqrt(A) * alpha;
        b0 = A * ((A + 1.0) + (A - 1.0) * cw + k);
        b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
        b2 = A * ((A + 1.0) + (A - 1.0) * cw - k);
        a0 = (A + 1.0) - (A - 1.0) * cw + k;
        a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
        a2 = (A + 1.0) - (A - 1.0) * cw - k;
        break;
    }
    case LATHE_BIQUAD_NOTCH:
        b0 = 1.0; b1 = -2.0 * cw; b2 = 1.0;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case LATHE_BIQUAD_BANDPASS:
        b0 = alpha; b1 = 0.0; b2 = -alpha;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case LATHE_BIQUAD_ALLPASS:
        b0 = 1.0 - alpha; b1 = -2.0 * cw; b2 = 1.0 + alpha;
        a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
        break;
    case LATHE_BIQUAD_LOWPASS1:
    case LATHE_BIQUAD_HIGHPASS1: {
        double k = tan(w0 / 2.0);
        a0 = 1.0 + k; a1 = k - 1.0; a2 = 0.0;
        if (type == LATHE_BIQUAD_LOWPASS1) {
            b0 = k; b1 = k;
        } else {
            b0 = 1.0; b1 = -1.0;
        }
        b2 = 0.0;
        break;
    }
    default:
        lathe_biquad_identity(c);
        return;
    }
    c->b0 = b0 / a0;
    c->b1 = b1 / a0;
    c->b2 = b2 / a0;
    c->a1 = a1 / a0;
    c->a2 = a2 / a0;
}

/* Two doubles in one vector (GCC/Clang vector extension): lane-wise IEEE arithmetic,
 * the operations of the scalar code. */
typedef double bq_v2 __attribute__((vector_size(16)));

void lathe_biquad_run2(const lathe_biquad_coefs *c, lathe_biquad_state *s0,
                       lathe_biquad_state *s1, const float *in0, const float *in1, float *out0,
                       float *out1, size_t n)
{
    const bq_v2 b0 = { c->b0, c->b0 }, b1 = { c->b1, c->b1 }, b2 = { c->b2, c->b2 };
    const bq_v2 a1 = { c->a1, c->a1 }, a2 = { c->a2, c->a2 };
    bq_v2 t1 = { s0->s1, s1->s1 }, t2 = { s0->s2, s1->s2 };
    for (size_t i = 0; i < n; i++) {
        const bq_v2 x = { in0[i], in1[i] };
        const bq_v2 y = b0 * x + t1;
        t1 = b1 * x - a1 * y + t2;
        t2 = b2 * x - a2 * y;
        out0[i] = (float)y[0];
        out1[i] = (float)y[1];
    }
    s0->s1 = lathe_flush(t1[0]);
    s0->s2 = lathe_flush(t2[0]);
    s1->s1 = lathe_flush(t1[1]);
    s1->s2 = lathe_flush(t2[1]);
}

/* One step of one section (transposed direct form II). */
static inline double bq_step(const lathe_biquad_coefs *c, double *s1, double *s2, double x)
{
    const double y = c->b0 * x + *s1;
    *s1 = c->b1 * x - c->a1 * y + *s2;
    *s2 = c->b2 * x - c->a2 * y;
    return y;
}

void lathe_biquad_run_series(const lathe_biquad_coefs *c0, const lathe_biquad_coefs *c1,
                             lathe_biquad_state *s0, lathe_biquad_state *s1, float *x, size_t n)
{
    if (n == 0)
        return;
    const bq_v2 b0 = { c0->b0, c1->b0 }, b1 = { c0->b1, c1->b1 }, b2 = { c0->b2, c1->b2 };
    const bq_v2 a1 = { c0->a1, c1->a1 }, a2 = { c0->a2, c1->a2 };
    double u1 = s0->s1, u2 = s0->s2, w1 = s1->s1, w2 = s1->s2;
    /* lane 0: the first section on frame i; lane 1: the second on frame i - 1 */
    float prev = (float)bq_step(c0, &u1, &u2, x[0]);
    bq_v2 t1 = { u1, w1 }, t2 = { u2, w2 };
    for (size_t i = 1; i < n; i++) {
        const bq_v2 v = { x[i], prev };
        const bq_v2 y = b0 * v + t1;
        t1 = b1 * v - a1 * y + t2;
        t2 = b2 * v - a2 * y;
        x[i - 1] = (float)y[1];
        prev = (float)y[0];
    }
    u1 = t1[0];
    u2 = t2[0];
    w1 = t1[1];
    w2 = t2[1];
    x[n - 1] = (float)bq_step(c1, &w1, &w2, prev);
    s0->s1 = lathe_flush(u1);
    s0->s2 = lathe_flush(u2);
    s1->s1 = lathe_flush(w1);
    s1->s2 = lathe_flush(w2);
}

void lathe_biquad_run(const lathe_biquad_coefs *c, lathe_biquad_state *s, const float *in,
                      float *out, size_t n)
{
    double s1 = s->s1, s2 = s->s2;
    for (size_t i = 0; i < n; i++)
        out[i] = (float)bq_step(c, &s1, &s2, in[i]);
    s->s1 = lathe_flush(s1);
    s->s2 = lathe_flush(s2);
}
