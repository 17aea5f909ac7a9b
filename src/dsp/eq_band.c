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
 * The path from the input x to y is one multiply and one addition (which the pipelined
 * kernels below need: there it is carried from frame to frame), from y1 to y three
 * operations. */
#define EQ_SECTION(b0, b1, b2, a1, a2, x, x1, x2, y1, y2)                                   \
    ((b0) * (x) + ((((b1) * (x1) + (b2) * (x2)) - (a2) * (y2)) - (a1) * (y1)))

static void flush_hist(lathe_eq_hist *h, int ns)
{
    for (int k = 0; k < ns; k++) {
        h[k].x1 = lathe_flush(h[k].x1);
        h[k].x2 = lathe_flush(h[k].x2);
        h[k].y1 = lathe_flush(h[k].y1);
        h[k].y2 = lathe_flush(h[k].y2);
    }
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

/* ---- pipelined kernels ----
 * A pass runs up to 4 PV sections ("slots") of one or two channels in PV vectors of four
 * doubles, software-pipelined: with W lanes per slot (W = 2: the two channels; W = 1: one
 * channel) a vector holds 4 / W slots, slot k in vector k / (4 / W), lanes
 * (k mod (4 / W)) W + channel. At step i slot k works on frame i - k: its input is slot
 * k - 1's output of step i - 1 (the previous vectors shifted up by W lanes), slot 0's the
 * fresh frame i; so every vector of a step depends only on the previous step and all of
 * them run in parallel. The last slot's output of step i is frame i + 1 - m (m slots).
 * Steps where every slot has a frame run the vector loop below; the first and last m - 1
 * steps (some slot idle: its history stays unchanged) run slot by slot (pipe_edge).
 * Every slot computes EQ_SECTION with the same operands as lathe_eq_sections_run, so
 * each channel gets its samples and histories bit for bit. */

/* Four doubles in one vector (GCC/Clang vector extension): lane-wise IEEE double
 * arithmetic, exactly the operations of the scalar code, in an AVX2 clone as in the
 * baseline build. */
typedef double eq_v4 __attribute__((vector_size(32)));
typedef long long eq_v4i __attribute__((vector_size(32)));

#if defined(__clang__)
#define EQ_SHUF(a, b, i, j, k, l) __builtin_shufflevector((a), (b), i, j, k, l)
#else
#define EQ_SHUF(a, b, i, j, k, l) __builtin_shuffle((a), (b), (eq_v4i){ i, j, k, l })
#endif

#define PV 4            /* vectors per pass */

typedef struct eq_pipe {
    eq_v4 b0[PV], b1[PV], b2[PV], a1[PV], a2[PV];
    eq_v4 x1[PV], x2[PV], y1[PV], y2[PV];
    eq_v4i keep[PV];     /* lanes that pass their input on unchanged */
    int w, m, mc[2];     /* lanes per slot, slots in use, sections per channel (<= m) */
} eq_pipe;

/* Loads slots 0 .. m-1 of a pass: channel CH's sections C[CH][K0 ..], histories H[CH][K0 ..],
 * MC[CH] of them; the slots of a channel past its sections pass their input on exactly
 * (keep), the lanes past m run an identity that feeds nothing. */
static void pipe_load(eq_pipe *p, int w, const lathe_biquad_coefs *const c[2],
                      lathe_eq_hist *const h[2], int k0, const int mc[2])
{
    const int s = 4 / w;
    p->w = w;
    p->mc[0] = mc[0];
    p->mc[1] = w == 2 ? mc[1] : 0;
    p->m = p->mc[0] > p->mc[1] ? p->mc[0] : p->mc[1];
    for (int v = 0; v < PV; v++)
        for (int l = 0; l < 4; l++) {
            const int k = v * s + l / w, ch = l % w;
            lathe_biquad_coefs cf = { 1.0, 0.0, 0.0, 0.0, 0.0 };
            lathe_eq_hist hs = { 0.0, 0.0, 0.0, 0.0 };
            if (k < p->mc[ch]) {
                cf = c[ch][k0 + k];
                hs = h[ch][k0 + k];
            }
            p->b0[v][l] = cf.b0;
            p->b1[v][l] = cf.b1;
            p->b2[v][l] = cf.b2;
            p->a1[v][l] = cf.a1;
            p->a2[v][l] = cf.a2;
            p->x1[v][l] = hs.x1;
            p->x2[v][l] = hs.x2;
            p->y1[v][l] = hs.y1;
            p->y2[v][l] = hs.y2;
            p->keep[v][l] = k >= p->mc[ch] && k < p->m ? -1 : 0;
        }
}

static void pipe_save(const eq_pipe *p, lathe_eq_hist *const h[2], int k0)
{
    const int w = p->w, s = 4 / w;
    for (int v = 0; v < PV; v++)
        for (int l = 0; l < 4; l++) {
            const int k = v * s + l / w, ch = l % w;
            if (k < p->mc[ch])
                h[ch][k0 + k] = (lathe_eq_hist){ p->x1[v][l], p->x2[v][l], p->y1[v][l],
                                                 p->y2[v][l] };
        }
}

/* Step I of a pass over N frames, slot by slot (last slot first, so each reads its
 * predecessor's output of step I - 1); slots without a frame keep their history. */
static void pipe_edge(eq_pipe *p, double *d0, double *d1, size_t i, size_t n)
{
    const int w = p->w, s = 4 / w, m = p->m;
    for (int k = m - 1; k >= 0; k--) {
        if (i < (size_t)k || i - (size_t)k >= n)
            continue;
        for (int ch = 0; ch < w; ch++) {
            const int v = k / s, l = (k % s) * w + ch;
            /* slot 0: frame i; slot k: slot k - 1's output of step i - 1 (lane l - w) */
            const double x = k == 0 ? (ch ? d1[i] : d0[i])
                                    : l >= w ? p->y1[v][l - w] : p->y1[v - 1][l - w + 4];
            const double y = p->keep[v][l] ? x
                                           : EQ_SECTION(p->b0[v][l], p->b1[v][l], p->b2[v][l],
                                                        p->a1[v][l], p->a2[v][l], x, p->x1[v][l],
                                                        p->x2[v][l], p->y1[v][l], p->y2[v][l]);
            p->x2[v][l] = p->x1[v][l];
            p->x1[v][l] = x;
            p->y2[v][l] = p->y1[v][l];
            p->y1[v][l] = y;
        }
    }
    if (i + 1 >= (size_t)m && i + 1 - (size_t)m < n) {
        const int v = (m - 1) / s, l = ((m - 1) % s) * w;
        d0[i + 1 - (size_t)m] = p->y1[v][l];
        if (w == 2)
            d1[i + 1 - (size_t)m] = p->y1[v][l + 1];
    }
}

/* Steps I0 .. I1 (every slot has a frame) of a pass of M = (G - 1) 4 / W + LOUT / W + 1
 * slots, the output in lane LOUT (.. LOUT + 1) of vector G - 1; KEEP: some lanes pass
 * their input on. The state is carried as x1, y1 and p = ((b1 x1 + b2 x2) - a2 y2), the
 * part of the next EQ_SECTION that the previous step already knows (the same operations:
 * 3 registers per vector instead of 4); the last step also yields x2, y2. */
static inline __attribute__((always_inline)) void pipe_main(eq_pipe *st, const int W, const int G,
                                                             const int LOUT, const int KEEP,
                                                             double *d0, double *d1, size_t i0,
                                                             size_t i1)
{
    eq_v4 b0[PV], b1[PV], b2[PV], a1[PV], a2[PV], x1[PV], y1[PV], p[PV], x2[PV], y2[PV];
    eq_v4i keep[PV];
    const size_t lag = (size_t)(((G - 1) * 4 + LOUT) / W);       /* m - 1 */
    for (int g = 0; g < G; g++) {
        b0[g] = st->b0[g];
        b1[g] = st->b1[g];
        b2[g] = st->b2[g];
        a1[g] = st->a1[g];
        a2[g] = st->a2[g];
        x1[g] = st->x1[g];
        y1[g] = st->y1[g];
        keep[g] = st->keep[g];
        p[g] = (b1[g] * x1[g] + b2[g] * st->x2[g]) - a2[g] * st->y2[g];
    }
    /* one step: slot inputs from the previous step's outputs, vectors last to first so
     * each reads its predecessor's outputs before they are replaced */
#define PIPE_STEP(i, LAST)                                                                  \
    do {                                                                                    \
        const eq_v4 f = { d0[i], W == 2 ? d1[i] : 0.0, 0.0, 0.0 };                          \
        for (int g = G - 1; g >= 0; g--) {                                                  \
            const eq_v4 prev = y1[g > 0 ? g - 1 : 0];                                       \
            const eq_v4 in = g > 0 ? (W == 2 ? EQ_SHUF(prev, y1[g], 2, 3, 4, 5)              \
                                             : EQ_SHUF(prev, y1[g], 3, 4, 5, 6))             \
                                   : (W == 2 ? EQ_SHUF(f, y1[g], 0, 1, 4, 5)                 \
                                             : EQ_SHUF(f, y1[g], 0, 4, 5, 6));               \
            eq_v4 y = b0[g] * in + (p[g] - a1[g] * y1[g]);                                  \
            if (KEEP)                                                                       \
                y = (eq_v4)(((eq_v4i)in & keep[g]) | ((eq_v4i)y & ~keep[g]));               \
            if (LAST) {                                                                     \
                x2[g] = x1[g];                                                              \
                y2[g] = y1[g];                                                              \
            }                                                                               \
            p[g] = (b1[g] * in + b2[g] * x1[g]) - a2[g] * y1[g];                            \
            x1[g] = in;                                                                     \
            y1[g] = y;                                                                      \
        }                                                                                   \
        d0[(i) - lag] = y1[G - 1][LOUT];                                                    \
        if (W == 2)                                                                         \
            d1[(i) - lag] = y1[G - 1][LOUT + 1];                                            \
    } while (0)
    size_t i = i0;
    for (; i + 1 < i1; i += 2) {
        PIPE_STEP(i, 0);
        PIPE_STEP(i + 1, 0);
    }
    if (i < i1)
        PIPE_STEP(i, 0);
    PIPE_STEP(i1, 1);
#undef PIPE_STEP
    for (int g = 0; g < G; g++) {
        st->x1[g] = x1[g];
        st->x2[g] = x2[g];
        st->y1[g] = y1[g];
        st->y2[g] = y2[g];
    }
}

/* pipe_main for the pass's shape. */
static inline __attribute__((always_inline)) void pipe_dispatch(eq_pipe *p, double *d0,
                                                                 double *d1, size_t i0, size_t i1)
{
    const int keep = p->w == 2 && p->mc[0] != p->mc[1];
    const int key = p->w == 1 ? p->m : 16 + 8 * keep + p->m;
#define EQ_CASE(k, w, g, lout, kp)                                                          \
    case k: pipe_main(p, w, g, lout, kp, d0, d1, i0, i1); break
    switch (key) {
    EQ_CASE(1, 1, 1, 0, 0); EQ_CASE(2, 1, 1, 1, 0); EQ_CASE(3, 1, 1, 2, 0);
    EQ_CASE(4, 1, 1, 3, 0); EQ_CASE(5, 1, 2, 0, 0); EQ_CASE(6, 1, 2, 1, 0);
    EQ_CASE(7, 1, 2, 2, 0); EQ_CASE(8, 1, 2, 3, 0); EQ_CASE(9, 1, 3, 0, 0);
    EQ_CASE(10, 1, 3, 1, 0); EQ_CASE(11, 1, 3, 2, 0); EQ_CASE(12, 1, 3, 3, 0);
    EQ_CASE(13, 1, 4, 0, 0); EQ_CASE(14, 1, 4, 1, 0); EQ_CASE(15, 1, 4, 2, 0);
    EQ_CASE(16, 1, 4, 3, 0);
    EQ_CASE(17, 2, 1, 0, 0); EQ_CASE(18, 2, 1, 2, 0); EQ_CASE(19, 2, 2, 0, 0);
    EQ_CASE(20, 2, 2, 2, 0); EQ_CASE(21, 2, 3, 0, 0); EQ_CASE(22, 2, 3, 2, 0);
    EQ_CASE(23, 2, 4, 0, 0); EQ_CASE(24, 2, 4, 2, 0);
    EQ_CASE(25, 2, 1, 0, 1); EQ_CASE(26, 2, 1, 2, 1); EQ_CASE(27, 2, 2, 0, 1);
    EQ_CASE(28, 2, 2, 2, 1); EQ_CASE(29, 2, 3, 0, 1); EQ_CASE(30, 2, 3, 2, 1);
    EQ_CASE(31, 2, 4, 0, 1); EQ_CASE(32, 2, 4, 2, 1);
    default: break;
    }
#undef EQ_CASE
}

/* NS[CH] sections C[CH] (histories H[CH]) on channel CH's X[CH] (one channel if W = 1),
 * in passes of 4 PV / W slots. */
static LATHE_HOT void pipe_run(int w, const lathe_biquad_coefs *const c[2],
                               lathe_eq_hist *const h[2], const int ns[2], double *const x[2],
                               size_t n)
{
    const int per = 4 * PV / w;
    const int most = w == 2 && ns[1] > ns[0] ? ns[1] : ns[0];
    for (int k = 0; k < most; k += per) {
        eq_pipe p;
        int mc[2];
        for (int ch = 0; ch < 2; ch++) {
            const int r = ch < w ? ns[ch] - k : 0;
            mc[ch] = r < 0 ? 0 : r > per ? per : r;
        }
        pipe_load(&p, w, c, h, k, mc);
        const size_t m = (size_t)p.m, steps = n + m - 1;
        size_t i = 0;
        if (n >= m) {
            for (; i + 1 < m; i++)
                pipe_edge(&p, x[0], x[1], i, n);
            pipe_dispatch(&p, x[0], x[1], m - 1, n - 1);
            i = n;
        }
        for (; i < steps; i++)
            pipe_edge(&p, x[0], x[1], i, n);
        pipe_save(&p, h, k);
    }
}

void lathe_eq_sections_run2(const lathe_biquad_coefs *c, lathe_eq_hist *h0, lathe_eq_hist *h1,
                            int ns, double *x0, double *x1, size_t n)
{
    ns = ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    lathe_eq_sections_run_pair(c, h0, ns, x0, c, h1, ns, x1, n);
}

void lathe_eq_sections_run_pair(const lathe_biquad_coefs *c0, lathe_eq_hist *h0, int ns0,
                                double *x0, const lathe_biquad_coefs *c1, lathe_eq_hist *h1,
                                int ns1, double *x1, size_t n)
{
    ns0 = ns0 < 0 ? 0 : ns0 < LATHE_EQ_MAX_RUN ? ns0 : LATHE_EQ_MAX_RUN;
    ns1 = ns1 < 0 ? 0 : ns1 < LATHE_EQ_MAX_RUN ? ns1 : LATHE_EQ_MAX_RUN;
    if (ns0 == 0 || ns1 == 0) {        /* one channel: its own kernel */
        if (ns0 > 0)
            lathe_eq_sections_run1(c0, h0, ns0, x0, n);
        if (ns1 > 0)
            lathe_eq_sections_run1(c1, h1, ns1, x1, n);
        return;
    }
    if (n > 0) {
        const lathe_biquad_coefs *const c[2] = { c0, c1 };
        lathe_eq_hist *const h[2] = { h0, h1 };
        const int ns[2] = { ns0, ns1 };
        double *const x[2] = { x0, x1 };
        pipe_run(2, c, h, ns, x, n);
    }
    flush_hist(h0, ns0);
    flush_hist(h1, ns1);
}

void lathe_eq_sections_run1(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                            size_t n)
{
    ns = ns < 0 ? 0 : ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    if (n > 0 && ns > 0) {
        const lathe_biquad_coefs *const c2[2] = { c, c };
        lathe_eq_hist *const h2[2] = { h, h };
        const int n2[2] = { ns, 0 };
        double *const x2[2] = { x, x };
        pipe_run(1, c2, h2, n2, x2, n);
    }
    flush_hist(h, ns);
}

void lathe_eq_hist_identity(lathe_eq_hist *h, double last, double prev)
{
    for (int k = 0; k < LATHE_EQ_MAX_SECTIONS; k++) {
        h[k].x1 = h[k].y1 = last;
        h[k].x2 = h[k].y2 = prev;
    }
}
