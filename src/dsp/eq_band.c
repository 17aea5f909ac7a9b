/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EQ band designs (double): RBJ cookbook sections, Butterworth cascades, tilt. */
#include <math.h>
#include <string.h>
#include "dsp/eq_band.h"
#include "dsp/simd.h"

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

/* One section, direct form I, in the evaluation order every function here uses:
 *   y = b0 x + (((b1 x1 + b2 x2) - a2 y2) - a1 y1).
 * The path from the input x to y is one multiply and one addition (which the two-channel
 * kernel below needs: there it is carried from frame to frame), from y1 to y three
 * operations. */
#define EQ_SECTION(b0, b1, b2, a1, a2, x, x1, x2, y1, y2)                                   \
    ((b0) * (x) + ((((b1) * (x1) + (b2) * (x2)) - (a2) * (y2)) - (a1) * (y1)))

/* Four doubles in one vector (GCC/Clang vector extension): lane-wise IEEE double
 * arithmetic, exactly the operations of the scalar code, in an AVX2 clone as in the
 * baseline build. */
typedef double eq_v4 __attribute__((vector_size(32)));
typedef long long eq_v4i __attribute__((vector_size(32)));

/* DST = (A, B, C, D), through memory (element-wise vector constructors draw false
 * "may be used uninitialized" warnings from GCC 12). */
#define EQ_V4(dst, a, b, c, d)                                                             \
    do {                                                                                   \
        const double v4_[4] = { (a), (b), (c), (d) };                                      \
        memcpy(&(dst), v4_, sizeof v4_);                                                   \
    } while (0)

/* (A2, A3, B0, B1) and (A0, A1, B0, B1), as one permute in registers. */
#if defined(__clang__)
#define EQ_SHIFT(a, b) __builtin_shufflevector((a), (b), 2, 3, 4, 5)
#define EQ_JOIN(a, b) __builtin_shufflevector((a), (b), 0, 1, 4, 5)
#else
#define EQ_SHIFT(a, b) __builtin_shuffle((a), (b), (eq_v4i){ 2, 3, 4, 5 })
#define EQ_JOIN(a, b) __builtin_shuffle((a), (b), (eq_v4i){ 0, 1, 4, 5 })
#endif

/* Sections per pass of the two-channel kernel: two per vector, four vectors. */
#define EQ_PASS 8

/* Two channels through NS (1..EQ_PASS) sections, software-pipelined: vector g holds
 * sections 2g (lanes 0, 1: channels 0, 1) and 2g + 1 (lanes 2, 3), section k working on
 * frame i - k at step i, so every vector of a step depends only on the previous step and
 * all of them run in parallel. The first and last NS - 1 steps (where some section has no
 * frame) keep the idle lanes' histories unchanged. G = (NS + 1) / 2 is a constant at
 * every call, so the histories stay in registers. */
static inline __attribute__((always_inline)) void skew_pass(const lathe_biquad_coefs *c,
                                                            lathe_eq_hist *h0, lathe_eq_hist *h1,
                                                            const int G, const int odd, int ns,
                                                            double *d0, double *d1, size_t n)
{
    eq_v4 b0[EQ_PASS / 2], b1[EQ_PASS / 2], b2[EQ_PASS / 2], a1[EQ_PASS / 2], a2[EQ_PASS / 2];
    eq_v4 x1[EQ_PASS / 2], x2[EQ_PASS / 2], y1[EQ_PASS / 2], y2[EQ_PASS / 2];
    for (int g = 0; g < G; g++) {
        /* an unused upper half (odd NS) runs an identity on whatever it gets */
        const lathe_biquad_coefs lo = c[2 * g];
        const lathe_biquad_coefs hi = 2 * g + 1 < ns ? c[2 * g + 1]
                                                     : (lathe_biquad_coefs){ 1.0, 0.0, 0.0, 0.0, 0.0 };
        const lathe_eq_hist z = { 0.0, 0.0, 0.0, 0.0 };
        const lathe_eq_hist l0 = h0[2 * g], l1 = h1[2 * g];
        const lathe_eq_hist u0 = 2 * g + 1 < ns ? h0[2 * g + 1] : z;
        const lathe_eq_hist u1 = 2 * g + 1 < ns ? h1[2 * g + 1] : z;
        EQ_V4(b0[g], lo.b0, lo.b0, hi.b0, hi.b0);
        EQ_V4(b1[g], lo.b1, lo.b1, hi.b1, hi.b1);
        EQ_V4(b2[g], lo.b2, lo.b2, hi.b2, hi.b2);
        EQ_V4(a1[g], lo.a1, lo.a1, hi.a1, hi.a1);
        EQ_V4(a2[g], lo.a2, lo.a2, hi.a2, hi.a2);
        EQ_V4(x1[g], l0.x1, l1.x1, u0.x1, u1.x1);
        EQ_V4(x2[g], l0.x2, l1.x2, u0.x2, u1.x2);
        EQ_V4(y1[g], l0.y1, l1.y1, u0.y1, u1.y1);
        EQ_V4(y2[g], l0.y2, l1.y2, u0.y2, u1.y2);
    }
    /* the output section's lanes: 0, 1 for an odd NS, 2, 3 for an even one */
    const int lout = odd ? 0 : 2;
    const size_t steps = n + (size_t)ns - 1;
    for (size_t i = 0; i < steps; i++) {
        /* inputs: the previous step's outputs (y1) shifted by one section */
        eq_v4 in[EQ_PASS / 2];
        const double f0 = i < n ? d0[i] : 0.0, f1 = i < n ? d1[i] : 0.0;
        const eq_v4 fresh = { f0, f1, 0.0, 0.0 };
        in[0] = EQ_JOIN(fresh, y1[0]);
        for (int g = 1; g < G; g++)
            in[g] = EQ_SHIFT(y1[g - 1], y1[g]);
        const int edge = i + 1 < (size_t)ns || i >= n;
        for (int g = 0; g < G; g++) {
            const eq_v4 y = EQ_SECTION(b0[g], b1[g], b2[g], a1[g], a2[g], in[g], x1[g], x2[g],
                                       y1[g], y2[g]);
            if (!edge) {
                x2[g] = x1[g];
                x1[g] = in[g];
                y2[g] = y1[g];
                y1[g] = y;
            } else {
                /* section k works on frame i - k only if 0 <= i - k < n */
                const long long k0 = 2 * g, k1 = 2 * g + 1;
                const long long on0 = (long long)i >= k0 && (long long)i - k0 < (long long)n;
                const long long on1 = (long long)i >= k1 && (long long)i - k1 < (long long)n;
                const long long mv[4] = { -on0, -on0, -on1, -on1 };
                eq_v4i m;
                memcpy(&m, mv, sizeof m);
                x2[g] = (eq_v4)(((eq_v4i)x1[g] & m) | ((eq_v4i)x2[g] & ~m));
                x1[g] = (eq_v4)(((eq_v4i)in[g] & m) | ((eq_v4i)x1[g] & ~m));
                y2[g] = (eq_v4)(((eq_v4i)y1[g] & m) | ((eq_v4i)y2[g] & ~m));
                y1[g] = (eq_v4)(((eq_v4i)y & m) | ((eq_v4i)y1[g] & ~m));
            }
        }
        if (i + 1 >= (size_t)ns) {
            const size_t m = i + 1 - (size_t)ns;
            d0[m] = y1[G - 1][lout];
            d1[m] = y1[G - 1][lout + 1];
        }
    }
    for (int g = 0; g < G; g++) {
        h0[2 * g] = (lathe_eq_hist){ x1[g][0], x2[g][0], y1[g][0], y2[g][0] };
        h1[2 * g] = (lathe_eq_hist){ x1[g][1], x2[g][1], y1[g][1], y2[g][1] };
        if (2 * g + 1 < ns) {
            h0[2 * g + 1] = (lathe_eq_hist){ x1[g][2], x2[g][2], y1[g][2], y2[g][2] };
            h1[2 * g + 1] = (lathe_eq_hist){ x1[g][3], x2[g][3], y1[g][3], y2[g][3] };
        }
    }
}

static void flush_hist(lathe_eq_hist *h, int ns)
{
    for (int k = 0; k < ns; k++) {
        h[k].x1 = lathe_flush(h[k].x1);
        h[k].x2 = lathe_flush(h[k].x2);
        h[k].y1 = lathe_flush(h[k].y1);
        h[k].y2 = lathe_flush(h[k].y2);
    }
}

LATHE_HOT void lathe_eq_sections_run2(const lathe_biquad_coefs *c, lathe_eq_hist *h0,
                                      lathe_eq_hist *h1, int ns, double *x0, double *x1,
                                      size_t n)
{
    ns = ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    if (n > 0) {
        for (int k = 0; k < ns; k += EQ_PASS) {
            const int m = ns - k < EQ_PASS ? ns - k : EQ_PASS;
            switch (m) {
            case 1: skew_pass(c + k, h0 + k, h1 + k, 1, 1, m, x0, x1, n); break;
            case 2: skew_pass(c + k, h0 + k, h1 + k, 1, 0, m, x0, x1, n); break;
            case 3: skew_pass(c + k, h0 + k, h1 + k, 2, 1, m, x0, x1, n); break;
            case 4: skew_pass(c + k, h0 + k, h1 + k, 2, 0, m, x0, x1, n); break;
            case 5: skew_pass(c + k, h0 + k, h1 + k, 3, 1, m, x0, x1, n); break;
            case 6: skew_pass(c + k, h0 + k, h1 + k, 3, 0, m, x0, x1, n); break;
            case 7: skew_pass(c + k, h0 + k, h1 + k, 4, 1, m, x0, x1, n); break;
            default: skew_pass(c + k, h0 + k, h1 + k, 4, 0, m, x0, x1, n); break;
            }
        }
    }
    flush_hist(h0, ns);
    flush_hist(h1, ns);
}

void lathe_eq_sections_run(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                           size_t n)
{
    double b0[LATHE_EQ_MAX_RUN], b1[LATHE_EQ_MAX_RUN], b2[LATHE_EQ_MAX_RUN];
    double a1[LATHE_EQ_MAX_RUN], a2[LATHE_EQ_MAX_RUN];
    double x1[LATHE_EQ_MAX_RUN], x2[LATHE_EQ_MAX_RUN], y1[LATHE_EQ_MAX_RUN], y2[LATHE_EQ_MAX_RUN];
    ns = ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    for (int k = 0; k < ns; k++) {
        b0[k] = c[k].b0;
        b1[k] = c[k].b1;
        b2[k] = c[k].b2;
        a1[k] = c[k].a1;
        a2[k] = c[k].a2;
        x1[k] = h[k].x1;
        x2[k] = h[k].x2;
        y1[k] = h[k].y1;
        y2[k] = h[k].y2;
    }
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        for (int k = 0; k < ns; k++) {
            const double y = EQ_SECTION(b0[k], b1[k], b2[k], a1[k], a2[k], v, x1[k], x2[k], y1[k],
                                        y2[k]);
            x2[k] = x1[k];
            x1[k] = v;
            y2[k] = y1[k];
            y1[k] = y;
            v = y;
        }
        x[i] = v;
    }
    for (int k = 0; k < ns; k++)
        h[k] = (lathe_eq_hist){ x1[k], x2[k], y1[k], y2[k] };
    flush_hist(h, ns);
}

void lathe_eq_sections_run1(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                            double *scratch, size_t n)
{
    lathe_eq_hist quiet[LATHE_EQ_MAX_RUN];
    memset(quiet, 0, sizeof quiet);
    memset(scratch, 0, sizeof(double) * n);
    lathe_eq_sections_run2(c, h, quiet, ns, x, scratch, n);
}

void lathe_eq_hist_identity(lathe_eq_hist *h, double last, double prev)
{
    for (int k = 0; k < LATHE_EQ_MAX_SECTIONS; k++) {
        h[k].x1 = h[k].y1 = last;
        h[k].x2 = h[k].y2 = prev;
    }
}
