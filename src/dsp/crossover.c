/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Linkwitz-Riley crossover trees with all-pass compensation, and complementary
 * linear-phase FIR crossovers (double design, float FFT convolution). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "dsp/crossover.h"
#include "dsp/fftconv.h"
#include "dsp/simd.h"

/* ---- section design (bilinear transform, pre-warped: K = tan(pi f / fs)) ------- */

static void bw2(lathe_biquad_coefs *lp, lathe_biquad_coefs *hp, lathe_biquad_coefs *ap, double k,
                double q)
{
    const double n = 1.0 / (1.0 + k / q + k * k);
    const double a1 = 2.0 * (k * k - 1.0) * n, a2 = (1.0 - k / q + k * k) * n;
    if (lp) {
        lp->b0 = lp->b2 = k * k * n;
        lp->b1 = 2.0 * k * k * n;
        lp->a1 = a1;
        lp->a2 = a2;
    }
    if (hp) {
        hp->b0 = hp->b2 = n;
        hp->b1 = -2.0 * n;
        hp->a1 = a1;
        hp->a2 = a2;
    }
    if (ap) {
        /* (s^2 - s/Q + 1) / (s^2 + s/Q + 1) */
        ap->b0 = a2;
        ap->b1 = a1;
        ap->b2 = 1.0;
        ap->a1 = a1;
        ap->a2 = a2;
    }
}

static void bw1(lathe_biquad_coefs *lp, lathe_biquad_coefs *hp, lathe_biquad_coefs *ap, double k)
{
    const double n = 1.0 / (k + 1.0), a1 = (k - 1.0) * n;
    *lp = (lathe_biquad_coefs){ k * n, k * n, 0.0, a1, 0.0 };
    *hp = (lathe_biquad_coefs){ n, -n, 0.0, a1, 0.0 };
    /* (1 - s) / (1 + s) */
    *ap = (lathe_biquad_coefs){ a1, 1.0, 0.0, a1, 0.0 };
}

void lathe_lr_design(lathe_lr_coefs *c, int order, double freq_hz, double rate_hz)
{
    const double k = tan(M_PI * freq_hz / rate_hz);
    memset(c, 0, sizeof *c);
    c->sign = 1.0;
    if (order == 2) {
        /* LR2 = (1st-order Butterworth)^2; LP^2 - HP^2 = (1 - s)/(1 + s). */
        bw1(&c->lp[0], &c->hp[0], &c->ap[0], k);
        c->lp[1] = c->lp[0];
        c->hp[1] = c->hp[0];
        c->nsec = 2;
        c->nap = 1;
        c->sign = -1.0;
    } else if (order == 8) {
        /* LR8 = (4th-order Butterworth)^2, poles Q = 1/(2 cos(pi/8)), 1/(2 cos(3pi/8));
         * LP^2 + HP^2 = D(-s)/D(s) = AP(Q1) AP(Q2). */
        const double q1 = 0.5 / cos(M_PI / 8.0), q2 = 0.5 / cos(3.0 * M_PI / 8.0);
        bw2(&c->lp[0], &c->hp[0], &c->ap[0], k, q1);
        bw2(&c->lp[1], &c->hp[1], &c->ap[1], k, q2);
        c->lp[2] = c->lp[0];
        c->lp[3] = c->lp[1];
        c->hp[2] = c->hp[0];
        c->hp[3] = c->hp[1];
        c->nsec = 4;
        c->nap = 2;
    } else {
        /* LR4 = (2nd-order Butterworth, Q = 1/sqrt 2)^2; LP^2 + HP^2 = AP(Q = 1/sqrt 2). */
        bw2(&c->lp[0], &c->hp[0], &c->ap[0], k, M_SQRT1_2);
        c->lp[1] = c->lp[0];
        c->hp[1] = c->hp[0];
        c->nsec = 2;
        c->nap = 1;
    }
}

/* Sorted copy of N frequencies clamped to [10 Hz, 0.45 rate]. */
static void sorted_freqs(double *out, const double *in, int n, double rate)
{
    for (int i = 0; i < n; i++) {
        double f = in[i];
        f = f < 10.0 ? 10.0 : f > 0.45 * rate ? 0.45 * rate : f;
        int j = i;
        while (j > 0 && out[j - 1] > f) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = f;
    }
}

/* ---- minimum phase ------------------------------------------------------------- */

/* Four doubles in one vector (GCC/Clang vector extension): lane-wise IEEE double
 * arithmetic, the same operations as scalar code, so the AVX2 clone and the baseline
 * build give identical results. */
typedef double xo_v4 __attribute__((vector_size(32)));

/* One direct form I section on four lanes: y = (b0 x + b1 x1 + b2 x2 - a2 y2) - a1 y1, so the
 * recursion's critical path is one multiply and one subtraction. */
#define XO_SECTION(s, x, x1, x2, y1, y2)                                                    \
    ((XO_LD((s)->b0) * (x) + XO_LD((s)->b1) * (x1) + XO_LD((s)->b2) * (x2)                  \
      - XO_LD((s)->a2) * (y2)) - XO_LD((s)->a1) * (y1))

/* Coefficient vectors are read from memory where used (a load folded into the multiply),
 * through a type that may sit at any double's address and alias doubles. */
typedef double xo_v4u __attribute__((vector_size(32), aligned(8), may_alias));
#define XO_LD(p) (*(const xo_v4u *)(const void *)(p))

#if defined(__clang__)
#define XO_HIGH2(v) __builtin_shufflevector((v), (v), 2, 3, 2, 3)
#define XO_LOW2(v) __builtin_shufflevector((v), (v), 0, 1, 0, 1)
#else
typedef long long xo_v4i __attribute__((vector_size(32)));
#define XO_HIGH2(v) __builtin_shuffle((v), (xo_v4i){ 2, 3, 2, 3 })
#define XO_LOW2(v) __builtin_shuffle((v), (xo_v4i){ 0, 1, 0, 1 })
#endif

/* The whole tree for channels S0, S1 (input in D[J][0], D[J][1]: the last band's buffers;
 * outputs in D[b][0], D[b][1]) over N frames: J = bands - 1 crossovers of NS sections, the
 * all-passes of NAP sections. Every frame runs every crossover and all-pass, one vector
 * each: the crossovers of a frame depend on each other, but only the sections' own
 * histories carry from frame to frame, so the core overlaps consecutive frames. Within a
 * crossover, section k's input history is section k - 1's output history (they always run
 * together), so only the first keeps its own. J, NS and NAP are constants at every call:
 * the histories stay in registers. */
static inline __attribute__((always_inline)) void tree_pair(const lathe_xover *x,
                                                            lathe_xo_hist (*hs)[4],
                                                            lathe_xo_hist (*ha)[LATHE_XOVER_MAX_BANDS - 2][2],
                                                            double *const d[][2], const int J,
                                                            const int NS, const int NAP, size_t n)
{
    xo_v4 X1[LATHE_XOVER_MAX_BANDS - 1], X2[LATHE_XOVER_MAX_BANDS - 1];
    xo_v4 Y1[LATHE_XOVER_MAX_BANDS - 1][4], Y2[LATHE_XOVER_MAX_BANDS - 1][4];
    xo_v4 AX1[LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_BANDS - 2];
    xo_v4 AX2[LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_BANDS - 2];
    xo_v4 AY1[LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_BANDS - 2][2];
    xo_v4 AY2[LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_BANDS - 2][2];
    for (int j = 0; j < J; j++) {
        memcpy(&X1[j], hs[j][0].x1, sizeof(xo_v4));
        memcpy(&X2[j], hs[j][0].x2, sizeof(xo_v4));
        for (int k = 0; k < NS; k++) {
            memcpy(&Y1[j][k], hs[j][k].y1, sizeof(xo_v4));
            memcpy(&Y2[j][k], hs[j][k].y2, sizeof(xo_v4));
        }
        for (int b = 0; b < j; b++) {
            memcpy(&AX1[j][b], ha[j][b][0].x1, sizeof(xo_v4));
            memcpy(&AX2[j][b], ha[j][b][0].x2, sizeof(xo_v4));
            for (int k = 0; k < NAP; k++) {
                memcpy(&AY1[j][b][k], ha[j][b][k].y1, sizeof(xo_v4));
                memcpy(&AY2[j][b][k], ha[j][b][k].y2, sizeof(xo_v4));
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double in0 = d[J][0][i], in1 = d[J][1][i];
        xo_v4 v = { in0, in1, in0, in1 };
        xo_v4 lo[LATHE_XOVER_MAX_BANDS - 1];
        for (int j = 0; j < J; j++) {
            /* crossover j: LP in lanes 0, 1 (band j), HP in lanes 2, 3 (the rest) */
            xo_v4 u = v, ux1 = X1[j], ux2 = X2[j];
            X2[j] = X1[j];
            X1[j] = v;
            for (int k = 0; k < NS; k++) {
                const xo_v4 y = XO_SECTION(&x->split[j][k], u, ux1, ux2, Y1[j][k], Y2[j][k]);
                ux1 = Y1[j][k];
                ux2 = Y2[j][k];
                Y2[j][k] = Y1[j][k];
                Y1[j][k] = y;
                u = y;
            }
            u *= XO_LD(x->sign[j]);
            lo[j] = XO_LOW2(u);
            v = XO_HIGH2(u);
        }
        /* all-pass compensation: band b gets the all-passes of crossovers b+1 .. J-1 */
        for (int b = 0; b + 1 < J; b++) {
            xo_v4 w = lo[b];
            for (int j = b + 1; j < J; j++) {
                xo_v4 u = w, ux1 = AX1[j][b], ux2 = AX2[j][b];
                AX2[j][b] = AX1[j][b];
                AX1[j][b] = w;
                for (int k = 0; k < NAP; k++) {
                    const xo_v4 y = XO_SECTION(&x->ap[j][k], u, ux1, ux2, AY1[j][b][k],
                                               AY2[j][b][k]);
                    ux1 = AY1[j][b][k];
                    ux2 = AY2[j][b][k];
                    AY2[j][b][k] = AY1[j][b][k];
                    AY1[j][b][k] = y;
                    u = y;
                }
                w = u;
            }
            lo[b] = w;
        }
        for (int b = 0; b < J; b++) {
            d[b][0][i] = lo[b][0];
            d[b][1][i] = lo[b][1];
        }
        d[J][0][i] = v[0];
        d[J][1][i] = v[1];
    }
    /* back to the histories, section k's input history being section k - 1's output's */
    for (int j = 0; j < J; j++) {
        memcpy(hs[j][0].x1, &X1[j], sizeof(xo_v4));
        memcpy(hs[j][0].x2, &X2[j], sizeof(xo_v4));
        for (int k = 0; k < NS; k++) {
            if (k > 0) {
                memcpy(hs[j][k].x1, &Y1[j][k - 1], sizeof(xo_v4));
                memcpy(hs[j][k].x2, &Y2[j][k - 1], sizeof(xo_v4));
            }
            memcpy(hs[j][k].y1, &Y1[j][k], sizeof(xo_v4));
            memcpy(hs[j][k].y2, &Y2[j][k], sizeof(xo_v4));
        }
        for (int b = 0; b < j; b++) {
            memcpy(ha[j][b][0].x1, &AX1[j][b], sizeof(xo_v4));
            memcpy(ha[j][b][0].x2, &AX2[j][b], sizeof(xo_v4));
            for (int k = 0; k < NAP; k++) {
                if (k > 0) {
                    memcpy(ha[j][b][k].x1, &AY1[j][b][k - 1], sizeof(xo_v4));
                    memcpy(ha[j][b][k].x2, &AY2[j][b][k - 1], sizeof(xo_v4));
                }
                memcpy(ha[j][b][k].y1, &AY1[j][b][k], sizeof(xo_v4));
                memcpy(ha[j][b][k].y2, &AY2[j][b][k], sizeof(xo_v4));
            }
        }
    }
}

/* One pair of channels over N frames with the current coefficients. */
LATHE_HOT static void tree_pair_n(lathe_xover *x, int p, double *const d[][2], size_t n)
{
    lathe_xo_hist(*hs)[4] = x->hs[p];
    lathe_xo_hist(*ha)[LATHE_XOVER_MAX_BANDS - 2][2] = x->ha[p];
    const int big = x->co[0].nsec == 4;          /* LR8: 4 sections, 2 all-pass sections */
    switch ((x->bands - 1) * 2 + big) {
    case 2: tree_pair(x, hs, ha, d, 1, 2, 1, n); break;
    case 3: tree_pair(x, hs, ha, d, 1, 4, 2, n); break;
    case 4: tree_pair(x, hs, ha, d, 2, 2, 1, n); break;
    case 5: tree_pair(x, hs, ha, d, 2, 4, 2, n); break;
    case 6: tree_pair(x, hs, ha, d, 3, 2, 1, n); break;
    case 7: tree_pair(x, hs, ha, d, 3, 4, 2, n); break;
    case 8: tree_pair(x, hs, ha, d, 4, 2, 1, n); break;
    default: tree_pair(x, hs, ha, d, 4, 4, 2, n); break;
    }
}

static void set_lane(lathe_xo_sec *s, int l, const lathe_biquad_coefs *c)
{
    s->b0[l] = c->b0;
    s->b1[l] = c->b1;
    s->b2[l] = c->b2;
    s->a1[l] = c->a1;
    s->a2[l] = c->a2;
}

/* Lane coefficients of crossover J from its design. */
static void load_lanes(lathe_xover *x, int j)
{
    const lathe_lr_coefs *co = &x->co[j];
    for (int k = 0; k < co->nsec; k++)
        for (int l = 0; l < 2; l++) {
            set_lane(&x->split[j][k], l, &co->lp[k]);
            set_lane(&x->split[j][k], 2 + l, &co->hp[k]);
        }
    for (int k = 0; k < co->nap; k++)
        for (int l = 0; l < 4; l++)
            set_lane(&x->ap[j][k], l, &co->ap[k]);
    x->sign[j][0] = x->sign[j][1] = 1.0;
    x->sign[j][2] = x->sign[j][3] = co->sign;
}

static void design(lathe_xover *x, int j, double freq_hz)
{
    lathe_lr_design(&x->co[j], x->order, freq_hz, x->rate);
    load_lanes(x, j);
}

void lathe_xover_init(lathe_xover *x, int channels, int bands, int order, const double *freqs,
                      double rate_hz)
{
    double f[LATHE_XOVER_MAX_BANDS - 1];
    memset(x, 0, sizeof *x);
    x->bands = bands < 2 ? 2 : bands > LATHE_XOVER_MAX_BANDS ? LATHE_XOVER_MAX_BANDS : bands;
    x->order = order;
    x->channels = channels < 1 ? 1 : channels > LATHE_XOVER_MAX_CH ? LATHE_XOVER_MAX_CH : channels;
    x->rate = rate_hz;
    sorted_freqs(f, freqs, x->bands - 1, rate_hz);
    size_t steps = (size_t)ceil(LATHE_XOVER_GLIDE_S * rate_hz / LATHE_XOVER_GLIDE_STEP);
    for (int j = 0; j < x->bands - 1; j++) {
        lathe_ramp_init(&x->lf[j], log2(f[j]), steps);
        design(x, j, f[j]);
    }
    x->until_update = LATHE_XOVER_GLIDE_STEP;
}

void lathe_xover_set_freqs(lathe_xover *x, const double *freqs)
{
    double f[LATHE_XOVER_MAX_BANDS - 1];
    sorted_freqs(f, freqs, x->bands - 1, x->rate);
    for (int j = 0; j < x->bands - 1; j++)
        lathe_ramp_set(&x->lf[j], log2(f[j]));
}

void lathe_xover_reset(lathe_xover *x)
{
    memset(x->hs, 0, sizeof x->hs);
    memset(x->ha, 0, sizeof x->ha);
    x->ticks = 0;
    for (int j = 0; j < x->bands - 1; j++) {
        lathe_ramp_finish(&x->lf[j]);
        design(x, j, exp2(x->lf[j].value));
    }
    x->until_update = LATHE_XOVER_GLIDE_STEP;
}

/* lathe_flush on every value of N histories (a loop the compiler vectorises). */
static void flush_hist(lathe_xo_hist *h, size_t n)
{
    double *v = &h[0].x1[0];
    const size_t m = n * (sizeof *h / sizeof(double));
    for (size_t i = 0; i < m; i++) {
        const double a = fabs(v[i]);
        v[i] = ((a >= 1e-30) & (a <= DBL_MAX)) ? v[i] : 0.0;
    }
}

/* Every LATHE_XOVER_GLIDE_STEP frames: glide steps; every LATHE_XOVER_FLUSH_TICKS of them,
 * the denormal guard. */
static void xover_tick(lathe_xover *x)
{
    for (int j = 0; j < x->bands - 1; j++)
        if (lathe_ramp_active(&x->lf[j]))
            design(x, j, exp2(lathe_ramp_next(&x->lf[j])));
    if (++x->ticks % LATHE_XOVER_FLUSH_TICKS)
        return;
    for (int p = 0; p < (x->channels + 1) / 2; p++)
        for (int j = 0; j < x->bands - 1; j++) {
            flush_hist(x->hs[p][j], (size_t)x->co[j].nsec);
            for (int b = 0; b < j; b++)
                flush_hist(x->ha[p][j][b], (size_t)x->co[j].nap);
        }
}

/* N <= LATHE_XOVER_GLIDE_STEP frames with the current coefficients. */
static void xover_span(lathe_xover *x, double *band, size_t stride, size_t off, size_t n)
{
    const int nb = x->bands, nch = x->channels;
    for (int c = 0, p = 0; c < nch; c += 2, p++) {
        double *d[LATHE_XOVER_MAX_BANDS][2];
        for (int b = 0; b < nb; b++) {
            d[b][0] = band + ((size_t)b * LATHE_XOVER_MAX_CH + (size_t)c) * stride + off;
            /* an odd last channel pairs with silence (its outputs are discarded) */
            d[b][1] = c + 1 < nch ? d[b][0] + stride : x->trash;
        }
        if (c + 1 >= nch)
            d[nb - 1][1] = x->zero;
        tree_pair_n(x, p, d, n);
        if (c + 1 >= nch)
            memset(x->zero, 0, sizeof x->zero);
    }
}

void lathe_xover_run(lathe_xover *x, double *band, size_t stride, size_t n)
{
    size_t off = 0;
    while (off < n) {
        if (x->until_update == 0) {
            xover_tick(x);
            x->until_update = LATHE_XOVER_GLIDE_STEP;
        }
        size_t m = n - off < x->until_update ? n - off : x->until_update;
        xover_span(x, band, stride, off, m);
        x->until_update -= m;
        off += m;
    }
}

/* ---- linear phase -------------------------------------------------------------- */

struct lathe_xover_lin {
    int bands, order, channels;
    double rate;
    size_t B, H, taps, F;
    lathe_fftconv *conv;
    lathe_fftconv_stream st[LATHE_XOVER_MAX_CH];
    float *spec[2][LATHE_XOVER_MAX_BANDS - 1];  /* current and next filter spectra */
    int cur, pending;
    /* design */
    float *h;                                   /* taps */
    float *target;                              /* (bands - 1) x (F/2 + 1) */
    float *dtime;                               /* F, FFTW-aligned */
    fftwf_complex *dfreq;                       /* F/2 + 1 */
    fftwf_plan dplan;
    /* streaming */
    float *fifo[LATHE_XOVER_MAX_CH];            /* input block being filled (B) */
    float *y[LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_CH]; /* output block (B) */
    float *tmp[2];                              /* crossfade (B each) */
    double *ring_in[LATHE_XOVER_MAX_CH], *ring_orig[LATHE_XOVER_MAX_CH];
    size_t ring_mask, wpos, pos;
};

void lathe_xover_lin_destroy(lathe_xover_lin *x)
{
    if (!x)
        return;
    for (int c = 0; c < LATHE_XOVER_MAX_CH; c++) {
        if (x->conv)
            lathe_fftconv_stream_free(&x->st[c]);
        free(x->fifo[c]);
        free(x->ring_in[c]);
        free(x->ring_orig[c]);
        for (int k = 0; k < LATHE_XOVER_MAX_BANDS - 1; k++)
            free(x->y[k][c]);
    }
    for (int k = 0; k < LATHE_XOVER_MAX_BANDS - 1; k++) {
        free(x->spec[0][k]);
        free(x->spec[1][k]);
    }
    free(x->tmp[0]);
    free(x->tmp[1]);
    free(x->h);
    free(x->target);
    if (x->dplan)
        fftwf_destroy_plan(x->dplan);
    fftwf_free(x->dtime);
    fftwf_free(x->dfreq);
    lathe_fftconv_destroy(x->conv);
    free(x);
}

/* W^ORDER for ORDER 2, 4 or 8 by squaring. */
static double pow_order(double r, int order)
{
    double r2 = r * r, r4 = r2 * r2;
    return order == 2 ? r2 : order == 8 ? r4 * r4 : r4;
}

/* Designs the cumulative low-passes C_k = 1 - prod_(j<=k) (1 - W_j) for the sorted
 * crossovers into spectrum set SET. */
static void lin_design(lathe_xover_lin *x, const double *freqs, int set)
{
    double f[LATHE_XOVER_MAX_BANDS - 1], kc[LATHE_XOVER_MAX_BANDS - 1];
    const size_t F = x->F, half = F / 2;
    const int nx = x->bands - 1;
    sorted_freqs(f, freqs, nx, x->rate);
    for (int j = 0; j < nx; j++)
        kc[j] = 1.0 / tan(M_PI * f[j] / x->rate);
    /* Zero-phase targets on F bins (real spectra -> real even impulses). */
    for (size_t m = 0; m <= half; m++) {
        double t = m == half ? 1e300 : tan(M_PI * (double)m / (double)F);
        double keep = 1.0;
        for (int k = 0; k < nx; k++) {
            keep *= 1.0 - 1.0 / (1.0 + pow_order(t * kc[k], x->order));
            x->target[(size_t)k * (half + 1) + m] = (float)(1.0 - keep);
        }
    }
    const double hh = (double)x->H;
    for (int k = 0; k < nx; k++) {
        const float *tg = x->target + (size_t)k * (half + 1);
        for (size_t m = 0; m <= half; m++) {
            x->dfreq[m][0] = tg[m];
            x->dfreq[m][1] = 0.0f;
        }
        fftwf_execute(x->dplan);
        /* Centre at H, Tukey window (flat over |t| <= H/2, raised cosine to 0 at H). */
        for (size_t i = 0; i < x->taps; i++) {
            double t = (double)i - hh, a = fabs(t);
            double w = a <= 0.5 * hh ? 1.0 : 0.5 * (1.0 + cos(M_PI * (a - 0.5 * hh) / (0.5 * hh)));
            size_t idx = t >= 0 ? (size_t)t : F - (size_t)(-t);
            x->h[i] = (float)(w * x->dtime[idx] / (double)F);
        }
        lathe_fftconv_filter(x->conv, x->h, x->taps, x->spec[set][k]);
    }
}

lathe_status lathe_xover_lin_create(int channels, int bands, int order, const double *freqs,
                                    double rate_hz, lathe_xover_lin **out)
{
    *out = NULL;
    lathe_xover_lin *x = calloc(1, sizeof *x);
    if (!x)
        return LATHE_ERR_NO_MEMORY;
    x->bands = bands < 2 ? 2 : bands > LATHE_XOVER_MAX_BANDS ? LATHE_XOVER_MAX_BANDS : bands;
    x->order = order;
    x->channels = channels;
    x->rate = rate_hz;
    /* Block: a power of two spanning 8..16 ms (512 at 44.1 and 48 kHz); FIR half length
     * 8 blocks (85 ms at 48 kHz: enough for the slopes at the lowest crossovers). */
    x->B = 512;
    while ((double)x->B * 48000.0 / rate_hz < 384.0)
        x->B *= 2;
    while ((double)x->B * 48000.0 / rate_hz > 768.0 && x->B > 64)
        x->B /= 2;
    x->H = 8 * x->B;
    x->taps = 2 * x->H + 1;
    x->F = 8 * x->H;
    size_t ring = 1;
    while (ring < x->B + x->H + 1)
        ring <<= 1;
    x->ring_mask = ring - 1;

    lathe_status st = lathe_fftconv_create(x->B, x->taps, &x->conv);
    if (st != LATHE_OK) {
        lathe_xover_lin_destroy(x);
        return st;
    }
    int ok = 1;
    size_t ns = lathe_fftconv_spectrum_size(x->conv);
    for (int k = 0; k < x->bands - 1; k++) {
        x->spec[0][k] = calloc(ns, sizeof(float));
        x->spec[1][k] = calloc(ns, sizeof(float));
        ok &= x->spec[0][k] && x->spec[1][k];
    }
    for (int c = 0; c < channels; c++) {
        ok &= lathe_fftconv_stream_init(x->conv, &x->st[c]) == LATHE_OK;
        x->fifo[c] = calloc(x->B, sizeof(float));
        x->ring_in[c] = calloc(ring, sizeof(double));
        x->ring_orig[c] = calloc(ring, sizeof(double));
        ok &= x->fifo[c] && x->ring_in[c] && x->ring_orig[c];
        for (int k = 0; k < x->bands - 1; k++) {
            x->y[k][c] = calloc(x->B, sizeof(float));
            ok &= x->y[k][c] != NULL;
        }
    }
    x->tmp[0] = calloc(x->B, sizeof(float));
    x->tmp[1] = calloc(x->B, sizeof(float));
    x->h = calloc(x->taps, sizeof(float));
    x->target = calloc((size_t)(x->bands - 1) * (x->F / 2 + 1), sizeof(float));
    x->dtime = fftwf_malloc(sizeof(float) * x->F);
    x->dfreq = fftwf_malloc(sizeof(fftwf_complex) * (x->F / 2 + 1));
    ok &= x->tmp[0] && x->tmp[1] && x->h && x->target && x->dtime && x->dfreq;
    if (ok)
        x->dplan = fftwf_plan_dft_c2r_1d((int)x->F, x->dfreq, x->dtime, FFTW_ESTIMATE);
    if (!ok || !x->dplan) {
        lathe_xover_lin_destroy(x);
        return LATHE_ERR_NO_MEMORY;
    }
    lin_design(x, freqs, 0);
    *out = x;
    return LATHE_OK;
}

size_t lathe_xover_lin_latency(const lathe_xover_lin *x)
{
    return x->B + x->H;
}

void lathe_xover_lin_set_freqs(lathe_xover_lin *x, const double *freqs)
{
    lin_design(x, freqs, 1 - x->cur);
    x->pending = 1;
}

void lathe_xover_lin_reset(lathe_xover_lin *x)
{
    for (int c = 0; c < x->channels; c++) {
        lathe_fftconv_stream_reset(x->conv, &x->st[c]);
        memset(x->fifo[c], 0, x->B * sizeof(float));
        memset(x->ring_in[c], 0, (x->ring_mask + 1) * sizeof(double));
        memset(x->ring_orig[c], 0, (x->ring_mask + 1) * sizeof(double));
        for (int k = 0; k < x->bands - 1; k++)
            memset(x->y[k][c], 0, x->B * sizeof(float));
    }
    if (x->pending) {
        x->cur = 1 - x->cur;
        x->pending = 0;
    }
    x->pos = x->wpos = 0;
}

static void lin_block(lathe_xover_lin *x)
{
    const size_t B = x->B;
    for (int c = 0; c < x->channels; c++) {
        lathe_fftconv_push(x->conv, &x->st[c], x->fifo[c]);
        for (int k = 0; k < x->bands - 1; k++) {
            if (!x->pending) {
                lathe_fftconv_output(x->conv, &x->st[c], x->spec[x->cur][k], x->y[k][c]);
                continue;
            }
            /* New filters: linear crossfade from the old output over this block. */
            lathe_fftconv_output(x->conv, &x->st[c], x->spec[x->cur][k], x->tmp[0]);
            lathe_fftconv_output(x->conv, &x->st[c], x->spec[1 - x->cur][k], x->tmp[1]);
            for (size_t i = 0; i < B; i++) {
                float w = (float)(i + 1) / (float)B;
                x->y[k][c][i] = x->tmp[0][i] + w * (x->tmp[1][i] - x->tmp[0][i]);
            }
        }
    }
    if (x->pending) {
        x->cur = 1 - x->cur;
        x->pending = 0;
    }
}

void lathe_xover_lin_frame(lathe_xover_lin *x, const double *in, const double *orig, double *band,
                           double *xd)
{
    const int nb = x->bands;
    const size_t p = x->pos, w = x->wpos, r = (w - (x->B + x->H)) & x->ring_mask;
    for (int c = 0; c < x->channels; c++) {
        x->ring_in[c][w] = in[c];
        x->ring_orig[c][w] = orig[c];
        double dly = x->ring_in[c][r];
        xd[c] = x->ring_orig[c][r];
        /* Bands as differences of the cumulative low-passes: they telescope to DLY. */
        double prev = 0.0;
        for (int k = 0; k < nb - 1; k++) {
            double yk = x->y[k][c][p];
            band[k * LATHE_XOVER_MAX_CH + c] = yk - prev;
            prev = yk;
        }
        band[(nb - 1) * LATHE_XOVER_MAX_CH + c] = dly - prev;
        x->fifo[c][p] = (float)in[c];
    }
    x->wpos = (w + 1) & x->ring_mask;
    if (++x->pos == x->B) {
        lin_block(x);
        x->pos = 0;
    }
}
