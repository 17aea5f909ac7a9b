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
 * A pass runs up to 16 / W sections ("slots") of one or two channels on 16 lanes of
 * doubles, software-pipelined: with W lanes per slot (W = 2: the two channels; W = 1: one
 * channel) slot k of channel ch is lane k W + ch. With a lag of D steps per slot (1 or 2),
 * at step i slot k works on frame i - D k: its input is slot k - 1's output of step i - D
 * (the lanes shifted up by W), slot 0's the fresh frame i. Every lane of a step depends
 * only on earlier steps, so all of them run in parallel. With D = 1 a step's latency is a
 * lane shift, a multiply and an addition after the previous step; with D = 2 the shift
 * has a whole step to complete, and what bounds a step is one section's own recursion
 * (y1 -> a1 y1 -> subtraction -> addition): measured on a Sapphire Rapids core, 15-40 %
 * less time for passes of up to 12 lanes. The last slot's output of step i is frame
 * i - D (m - 1) (m slots), so a pass over N frames takes N + D (m - 1) steps; in the first
 * and last D (m - 1) some slots have no frame and keep their history (lane masks). Every
 * slot computes EQ_SECTION with the same operands as lathe_eq_sections_run, so each
 * channel gets its samples and histories bit for bit, whatever the vectors and D. */

#define EQ_LANES 16

/* D for G vectors of VL doubles: 2, but 1 for four vectors of 4 (a pass of 13-16 lanes
 * without AVX-512), whose fourth state vector per group (y2) would not fit in 16 vector
 * registers (measured: D = 2 there is 5-10 % slower, D = 1 as fast as before). */
#define EQ_LAG_FOR(VL, G) ((VL) == 4 && (G) == 4 ? 1 : 2)

typedef struct eq_pipe {
    _Alignas(64) double b0[EQ_LANES];
    double b1[EQ_LANES], b2[EQ_LANES], a1[EQ_LANES], a2[EQ_LANES];
    double x1[EQ_LANES], x2[EQ_LANES], y1[EQ_LANES], y2[EQ_LANES];
    long long keep[EQ_LANES]; /* lanes that pass their input on unchanged */
    int w, m, mc[2];          /* lanes per slot, slots in use, sections per channel (<= m) */
} eq_pipe;

/* Loads slots 0 .. m-1 of a pass: channel CH's sections C[CH][K0 ..], histories H[CH][K0 ..],
 * MC[CH] of them; the slots of a channel past its sections pass their input on exactly
 * (keep), the lanes past m run an identity that feeds nothing. */
static void pipe_load(eq_pipe *p, int w, const lathe_biquad_coefs *const c[2],
                      lathe_eq_hist *const h[2], int k0, const int mc[2])
{
    p->w = w;
    p->mc[0] = mc[0];
    p->mc[1] = w == 2 ? mc[1] : 0;
    p->m = p->mc[0] > p->mc[1] ? p->mc[0] : p->mc[1];
    for (int l = 0; l < EQ_LANES; l++) {
        const int k = l / w, ch = l % w;
        lathe_biquad_coefs cf = { 1.0, 0.0, 0.0, 0.0, 0.0 };
        lathe_eq_hist hs = { 0.0, 0.0, 0.0, 0.0 };
        if (k < p->mc[ch]) {
            cf = c[ch][k0 + k];
            hs = h[ch][k0 + k];
        }
        p->b0[l] = cf.b0;
        p->b1[l] = cf.b1;
        p->b2[l] = cf.b2;
        p->a1[l] = cf.a1;
        p->a2[l] = cf.a2;
        p->x1[l] = hs.x1;
        p->x2[l] = hs.x2;
        p->y1[l] = hs.y1;
        p->y2[l] = hs.y2;
        p->keep[l] = k >= p->mc[ch] && k < p->m ? -1 : 0;
    }
}

static void pipe_save(const eq_pipe *p, lathe_eq_hist *const h[2], int k0)
{
    for (int l = 0; l < EQ_LANES; l++) {
        const int k = l / p->w, ch = l % p->w;
        if (k < p->mc[ch])
            h[ch][k0 + k] = (lathe_eq_hist){ p->x1[l], p->x2[l], p->y1[l], p->y2[l] };
    }
}

/* Vectors of 4 and 8 doubles (GCC/Clang vector extension): lane-wise IEEE double
 * arithmetic, exactly the operations of the scalar code, in every clone. */
typedef double eq_v4 __attribute__((vector_size(32)));
typedef long long eq_v4i __attribute__((vector_size(32)));
typedef double eq_v8 __attribute__((vector_size(64)));
typedef long long eq_v8i __attribute__((vector_size(64)));

#if defined(__clang__)
#define EQ_SHUF4(a, b, i, j, k, l) __builtin_shufflevector((a), (b), i, j, k, l)
#define EQ_SHUF8(a, b, i, j, k, l, m, n, o, p)                                              \
    __builtin_shufflevector((a), (b), i, j, k, l, m, n, o, p)
#else
#define EQ_SHUF4(a, b, i, j, k, l) __builtin_shuffle((a), (b), (eq_v4i){ i, j, k, l })
#define EQ_SHUF8(a, b, i, j, k, l, m, n, o, p)                                              \
    __builtin_shuffle((a), (b), (eq_v8i){ i, j, k, l, m, n, o, p })
#endif

/* A vector's slot inputs: the previous vector's top W lanes, then its own lanes shifted up
 * by W (EQ_INx: PREV, CUR); in vector 0 the fresh frame A (and B) then CUR's (EQ_INx0). */
#define EQ_IN4(prev, cur, W)                                                                \
    ((W) == 2 ? EQ_SHUF4(prev, cur, 2, 3, 4, 5) : EQ_SHUF4(prev, cur, 3, 4, 5, 6))
#define EQ_IN40(a, b, cur, W)                                                               \
    ((W) == 2 ? EQ_SHUF4(((eq_v4){ a, b }), cur, 0, 1, 4, 5)                                 \
              : EQ_SHUF4(((eq_v4){ a }), cur, 0, 4, 5, 6))
#define EQ_IN8(prev, cur, W)                                                                \
    ((W) == 2 ? EQ_SHUF8(prev, cur, 6, 7, 8, 9, 10, 11, 12, 13)                             \
              : EQ_SHUF8(prev, cur, 7, 8, 9, 10, 11, 12, 13, 14))
#define EQ_IN80(a, b, cur, W)                                                               \
    ((W) == 2 ? EQ_SHUF8(((eq_v8){ a, b }), cur, 0, 1, 8, 9, 10, 11, 12, 13)                 \
              : EQ_SHUF8(((eq_v8){ a }), cur, 0, 8, 9, 10, 11, 12, 13, 14))
/* Lane-wise MASK ? A : B. */
#define EQ_SEL(VT, VIT, mask, a, b) ((VT)(((VIT)(a) & (mask)) | ((VIT)(b) & ~(mask))))

/* Defines NAME(st, W, G, KEEP, d0, d1, n): a pass of st->m slots in G vectors of VL
 * doubles (type VT, lane masks VIT; slot inputs IN, IN0) over frames d0[0 .. N-1] (and d1),
 * in place; KEEP: some lanes pass their input on. The steps where every slot has a frame
 * (EQ_PIPE_STEP) carry the state as x1, y1, y2 and p = ((b1 x1 + b2 x2) - a2 y2), the part
 * of the next EQ_SECTION that the previous step already knows (the same operations), the
 * last of them also yields x2; the others (EQ_PIPE_EDGE) compute EQ_SECTION whole and
 * update only the lanes whose slot has a frame. */
#define EQ_PIPE_MAIN(NAME, ATTR, VT, VIT, VL, IN, IN0)                                     \
    static inline __attribute__((always_inline)) ATTR void NAME(                            \
        eq_pipe *st, const int W, const int G, const int KEEP, double *d0, double *d1,      \
        size_t n)                                                                           \
    {                                                                                       \
        VT b0[EQ_LANES / (VL)], b1[EQ_LANES / (VL)], b2[EQ_LANES / (VL)];                   \
        VT a1[EQ_LANES / (VL)], a2[EQ_LANES / (VL)], p[EQ_LANES / (VL)];                    \
        VT x1[EQ_LANES / (VL)], x2[EQ_LANES / (VL)], y1[EQ_LANES / (VL)], y2[EQ_LANES / (VL)]; \
        VIT keep[EQ_LANES / (VL)], first[EQ_LANES / (VL)]; /* first: the slot's first step */ \
        const int D = EQ_LAG_FOR(VL, G);                                                    \
        const int lout = (st->m - 1) * W - (G - 1) * (VL);                                  \
        const size_t lag = (size_t)(D * (st->m - 1)), steps = n + lag;                      \
        for (int g = 0; g < G; g++) {                                                       \
            memcpy(&b0[g], st->b0 + g * (VL), sizeof(VT));                                  \
            memcpy(&b1[g], st->b1 + g * (VL), sizeof(VT));                                  \
            memcpy(&b2[g], st->b2 + g * (VL), sizeof(VT));                                  \
            memcpy(&a1[g], st->a1 + g * (VL), sizeof(VT));                                  \
            memcpy(&a2[g], st->a2 + g * (VL), sizeof(VT));                                  \
            memcpy(&x1[g], st->x1 + g * (VL), sizeof(VT));                                  \
            memcpy(&x2[g], st->x2 + g * (VL), sizeof(VT));                                  \
            memcpy(&y1[g], st->y1 + g * (VL), sizeof(VT));                                  \
            memcpy(&y2[g], st->y2 + g * (VL), sizeof(VT));                                  \
            memcpy(&keep[g], st->keep + g * (VL), sizeof(VIT));                             \
            for (int l = 0; l < (VL); l++)                                                  \
                first[g][l] = D * ((g * (VL) + l) / W);                                     \
        }                                                                                   \
        size_t i = 0, stop = n > lag ? lag : steps;                                         \
        for (;;) {                                                                          \
            for (; i < stop; i++)                                                           \
                EQ_PIPE_EDGE(VT, VIT, IN, IN0, i);                                          \
            if (i == steps)                                                                 \
                break;                                                                      \
            /* steps lag .. n - 1: every slot has a frame */                                \
            for (int g = 0; g < G; g++)                                                     \
                p[g] = (b1[g] * x1[g] + b2[g] * x2[g]) - a2[g] * y2[g];                     \
            for (; i + 2 < n; i += 2) {                                                     \
                EQ_PIPE_STEP(VT, VIT, IN, IN0, i, 0);                                       \
                EQ_PIPE_STEP(VT, VIT, IN, IN0, i + 1, 0);                                   \
            }                                                                               \
            if (i + 1 < n)                                                                  \
                EQ_PIPE_STEP(VT, VIT, IN, IN0, i++, 0);                                     \
            EQ_PIPE_STEP(VT, VIT, IN, IN0, i++, 1);                                         \
            stop = steps;                                                                   \
        }                                                                                   \
        for (int g = 0; g < G; g++) {                                                       \
            memcpy(st->x1 + g * (VL), &x1[g], sizeof(VT));                                  \
            memcpy(st->x2 + g * (VL), &x2[g], sizeof(VT));                                  \
            memcpy(st->y1 + g * (VL), &y1[g], sizeof(VT));                                  \
            memcpy(st->y2 + g * (VL), &y2[g], sizeof(VT));                                  \
        }                                                                                   \
    }

/* A step I where every slot has a frame: slot inputs from the outputs of D steps back (y1
 * or y2), vectors last to first so each reads its predecessor's before they change. */
#define EQ_PIPE_STEP(VT, VIT, IN, IN0, I, LAST)                                             \
    do {                                                                                    \
        const size_t i_ = (I);                                                              \
        for (int g = G - 1; g >= 0; g--) {                                                  \
            const int gp = g > 0 ? g - 1 : 0;                                               \
            const VT in = g > 0 ? IN(D == 2 ? y2[gp] : y1[gp], D == 2 ? y2[g] : y1[g], W)   \
                                : IN0(d0[i_], W == 2 ? d1[i_] : 0.0, D == 2 ? y2[g] : y1[g], W); \
            VT y = b0[g] * in + (p[g] - a1[g] * y1[g]);                                     \
            if (KEEP)                                                                       \
                y = EQ_SEL(VT, VIT, keep[g], in, y);                                        \
            if (LAST)                                                                       \
                x2[g] = x1[g];                                                              \
            if (LAST || D == 2)                                                             \
                y2[g] = y1[g];                                                              \
            p[g] = (b1[g] * in + b2[g] * x1[g]) - a2[g] * y1[g];                            \
            x1[g] = in;                                                                     \
            y1[g] = y;                                                                      \
        }                                                                                   \
        d0[i_ - lag] = y1[G - 1][lout];                                                     \
        if (W == 2)                                                                         \
            d1[i_ - lag] = y1[G - 1][lout + 1];                                             \
    } while (0)

/* A step I where some slots have no frame: only lanes whose slot works on a frame
 * (0 <= I - first < n) change. A slot's input is its predecessor's output of step I - D:
 * y1 if D = 1, else y2, or y1 if the predecessor had no frame at step I - 1 (I - first + 1
 * >= n). */
#define EQ_PIPE_EDGE(VT, VIT, IN, IN0, I)                                                   \
    do {                                                                                    \
        const size_t i_ = (I);                                                              \
        const VIT iv = (VIT){ 0 } + (long long)i_, nv = (VIT){ 0 } + (long long)n;          \
        const double f0 = i_ < n ? d0[i_] : 0.0, f1 = W == 2 && i_ < n ? d1[i_] : 0.0;      \
        for (int g = G - 1; g >= 0; g--) {                                                  \
            const int gp = g > 0 ? g - 1 : 0;                                               \
            VT in = g > 0 ? IN(y1[gp], y1[g], W) : IN0(f0, f1, y1[g], W);                   \
            if (D == 2) {                                                                   \
                const VT in2 = g > 0 ? IN(y2[gp], y2[g], W) : IN0(f0, f1, y2[g], W);        \
                in = EQ_SEL(VT, VIT, iv + 1 >= first[g] + nv, in, in2);                     \
            }                                                                               \
            VT y = EQ_SECTION(b0[g], b1[g], b2[g], a1[g], a2[g], in, x1[g], x2[g], y1[g],  \
                              y2[g]);                                                       \
            if (KEEP)                                                                       \
                y = EQ_SEL(VT, VIT, keep[g], in, y);                                        \
            const VIT on = (iv >= first[g]) & (iv < first[g] + nv);                         \
            x2[g] = EQ_SEL(VT, VIT, on, x1[g], x2[g]);                                      \
            x1[g] = EQ_SEL(VT, VIT, on, in, x1[g]);                                         \
            y2[g] = EQ_SEL(VT, VIT, on, y1[g], y2[g]);                                      \
            y1[g] = EQ_SEL(VT, VIT, on, y, y1[g]);                                          \
        }                                                                                   \
        if (i_ >= lag) {                                                                    \
            d0[i_ - lag] = y1[G - 1][lout];                                                 \
            if (W == 2)                                                                     \
                d1[i_ - lag] = y1[G - 1][lout + 1];                                         \
        }                                                                                   \
    } while (0)

EQ_PIPE_MAIN(pipe_main4, , eq_v4, eq_v4i, 4, EQ_IN4, EQ_IN40)

/* The shapes of pass: W = 1; W = 2 without, with keep lanes. */
static int pipe_shape(const eq_pipe *p)
{
    return p->w == 1 ? 0 : p->mc[0] == p->mc[1] ? 1 : 2;
}

/* pipe_main4 for the pass: G = ceil(m W / 4) vectors. */
static LATHE_HOT void pipe_vec4(eq_pipe *p, double *d0, double *d1, size_t n)
{
#define EQ_CASE4(s, g, w, keep)                                                             \
    case 4 * (s) + (g) - 1: pipe_main4(p, w, g, keep, d0, d1, n); break
    switch (4 * pipe_shape(p) + (p->m * p->w + 3) / 4 - 1) {
    EQ_CASE4(0, 1, 1, 0); EQ_CASE4(0, 2, 1, 0); EQ_CASE4(0, 3, 1, 0); EQ_CASE4(0, 4, 1, 0);
    EQ_CASE4(1, 1, 2, 0); EQ_CASE4(1, 2, 2, 0); EQ_CASE4(1, 3, 2, 0); EQ_CASE4(1, 4, 2, 0);
    EQ_CASE4(2, 1, 2, 1); EQ_CASE4(2, 2, 2, 1); EQ_CASE4(2, 3, 2, 1); EQ_CASE4(2, 4, 2, 1);
    default: break;
    }
}

/* With AVX-512 (x86-64-v4: 32 vector registers, one-instruction lane shifts) a pass of up
 * to 12 lanes runs in vectors of 4 doubles, a longer one in two vectors of 8 (lane-wise
 * the same operations: the same bits). Measured on a Sapphire Rapids core: 13-16 lanes
 * take 10-20 % less time in two vectors of 8 than in four of 4 (and 20-25 % less than the
 * AVX2 clone); up to 12 lanes the vectors of 4 are faster (the 8-double addition has a
 * longer latency, and a step is bound by the recursion's). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define EQ_V4 1
#define EQ_V4_TARGET __attribute__((target("arch=x86-64-v4")))

EQ_PIPE_MAIN(pipe_main8, EQ_V4_TARGET, eq_v8, eq_v8i, 8, EQ_IN8, EQ_IN80)

static EQ_V4_TARGET void pipe_vec_v4(eq_pipe *p, double *d0, double *d1, size_t n)
{
    const int s = pipe_shape(p), lanes = p->m * p->w;
    if (lanes > 12) {
        if (s == 0)
            pipe_main8(p, 1, 2, 0, d0, d1, n);
        else if (s == 1)
            pipe_main8(p, 2, 2, 0, d0, d1, n);
        else
            pipe_main8(p, 2, 2, 1, d0, d1, n);
        return;
    }
    switch (4 * s + (lanes + 3) / 4 - 1) {
    EQ_CASE4(0, 1, 1, 0); EQ_CASE4(0, 2, 1, 0); EQ_CASE4(0, 3, 1, 0);
    EQ_CASE4(1, 1, 2, 0); EQ_CASE4(1, 2, 2, 0); EQ_CASE4(1, 3, 2, 0);
    EQ_CASE4(2, 1, 2, 1); EQ_CASE4(2, 2, 2, 1); EQ_CASE4(2, 3, 2, 1);
    default: break;
    }
}

static int have_v4(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") != 0;
}
#else
#define EQ_V4 0
#endif
#undef EQ_CASE4

/* LANES: 0 the best kernels for this CPU, 4 only the 4-double ones. */
static int use_v4(int lanes)
{
#if EQ_V4
    return lanes != 4 && have_v4();
#else
    (void)lanes;
    return 0;
#endif
}

/* NS[CH] sections C[CH] (histories H[CH]) on channel CH's X[CH] (one channel if W = 1),
 * in passes of 16 / W slots; V4: the AVX-512 kernels. */
static void pipe_run(int w, const lathe_biquad_coefs *const c[2], lathe_eq_hist *const h[2],
                     const int ns[2], double *const x[2], size_t n, int v4)
{
    const int per = EQ_LANES / w;
    const int most = w == 2 && ns[1] > ns[0] ? ns[1] : ns[0];
    for (int k = 0; k < most; k += per) {
        eq_pipe p;
        int mc[2];
        for (int ch = 0; ch < 2; ch++) {
            const int r = ch < w ? ns[ch] - k : 0;
            mc[ch] = r < 0 ? 0 : r > per ? per : r;
        }
        pipe_load(&p, w, c, h, k, mc);
#if EQ_V4
        if (v4)
            pipe_vec_v4(&p, x[0], x[1], n);
        else
#endif
            pipe_vec4(&p, x[0], x[1], n);
        pipe_save(&p, h, k);
    }
    (void)v4;
}

/* lathe_eq_sections_run1; V4: the AVX-512 kernels. */
static void run1(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x, size_t n,
                 int v4)
{
    ns = ns < 0 ? 0 : ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    if (n > 0 && ns > 0) {
        const lathe_biquad_coefs *const c2[2] = { c, c };
        lathe_eq_hist *const h2[2] = { h, h };
        const int n2[2] = { ns, 0 };
        double *const x2[2] = { x, x };
        pipe_run(1, c2, h2, n2, x2, n, v4);
    }
    flush_hist(h, ns);
}

void lathe_eq_sections_run2(const lathe_biquad_coefs *c, lathe_eq_hist *h0, lathe_eq_hist *h1,
                            int ns, double *x0, double *x1, size_t n)
{
    ns = ns < LATHE_EQ_MAX_RUN ? ns : LATHE_EQ_MAX_RUN;
    lathe_eq_sections_run_pair(c, h0, ns, x0, c, h1, ns, x1, n);
}

void lathe_eq_sections_run_pair_lanes(const lathe_biquad_coefs *c0, lathe_eq_hist *h0, int ns0,
                                      double *x0, const lathe_biquad_coefs *c1,
                                      lathe_eq_hist *h1, int ns1, double *x1, size_t n,
                                      int lanes)
{
    const int v4 = use_v4(lanes);
    ns0 = ns0 < 0 ? 0 : ns0 < LATHE_EQ_MAX_RUN ? ns0 : LATHE_EQ_MAX_RUN;
    ns1 = ns1 < 0 ? 0 : ns1 < LATHE_EQ_MAX_RUN ? ns1 : LATHE_EQ_MAX_RUN;
    if (ns0 == 0 || ns1 == 0) {        /* one channel: its own kernel */
        if (ns0 > 0)
            run1(c0, h0, ns0, x0, n, v4);
        if (ns1 > 0)
            run1(c1, h1, ns1, x1, n, v4);
        return;
    }
    if (n > 0) {
        const lathe_biquad_coefs *const c[2] = { c0, c1 };
        lathe_eq_hist *const h[2] = { h0, h1 };
        const int ns[2] = { ns0, ns1 };
        double *const x[2] = { x0, x1 };
        pipe_run(2, c, h, ns, x, n, v4);
    }
    flush_hist(h0, ns0);
    flush_hist(h1, ns1);
}

void lathe_eq_sections_run_pair(const lathe_biquad_coefs *c0, lathe_eq_hist *h0, int ns0,
                                double *x0, const lathe_biquad_coefs *c1, lathe_eq_hist *h1,
                                int ns1, double *x1, size_t n)
{
    lathe_eq_sections_run_pair_lanes(c0, h0, ns0, x0, c1, h1, ns1, x1, n, 0);
}

void lathe_eq_sections_run1(const lathe_biquad_coefs *c, lathe_eq_hist *h, int ns, double *x,
                            size_t n)
{
    run1(c, h, ns, x, n, use_v4(0));
}

void lathe_eq_hist_identity(lathe_eq_hist *h, double last, double prev)
{
    for (int k = 0; k < LATHE_EQ_MAX_SECTIONS; k++) {
        h[k].x1 = h[k].y1 = last;
        h[k].x2 = h[k].y2 = prev;
    }
}
