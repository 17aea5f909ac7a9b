/* SPDX-License-Identifier: GPL-3.0-or-later */
/* True-peak detector: three interpolators, parabolic peak estimation, skipping.
 *
 * 1. Accurate interpolator (kind 0): for factor F the prototype low-pass is a
 *    Kaiser-windowed sinc
 *      h[j] = sinc((j - c) / F) * kaiser(j; beta = 7), j = 0 .. 2c, c = F * DELAY,
 *    cut off at the input's Nyquist frequency. Its zeros fall on multiples of F, so
 *    branch 0 is a pure delay of DELAY frames (the input sample itself) and only the
 *    F - 1 other branches are computed, each 2 DELAY = 48 taps, each normalised to unit
 *    gain at DC. The response is within 0.0003 dB of flat up to 0.4535 fs (20 kHz at
 *    44.1 kHz), 0.96 at 0.47 fs, 0.5 at fs/2; images are at least 80 dB down from
 *    0.57 fs on (J. F. Kaiser, "Nonrecursive digital filter design using the I0-sinh
 *    window function", 1974; A. V. Oppenheim and R. W. Schafer, "Discrete-Time Signal
 *    Processing", 3rd ed., section 7.6). This is the "true" true peak: what an
 *    accurate reconstruction (a good DAC or resampler) produces.
 *
 * 2. Short interpolator (kind 1), modelled on libswresample's default resampler, which
 *    ffmpeg's ebur128 filter uses to reach 192 kHz: a 32-tap sinc cut off at the input
 *    Nyquist frequency under a Kaiser window with beta = 9, taps i = 0..31 around
 *    centre 15, every fractional phase normalised to unit DC gain. Its wide transition
 *    band leaks images of content near Nyquist: on white noise at +12 dBFS it reads up
 *    to 0.08 dB above the accurate interpolator.
 *
 * 3. BS.1770-4 Annex 2 reference: a 49-tap Hann-windowed sinc interpolating by 4 below
 *    96 kHz, by 2 below 192 kHz and not at all above -- libebur128 and lathe's meter
 *    use exactly that. Also leaky near Nyquist (0.1 dB high on such noise). Its reading
 *    is taken on its own grid only, the points the meter reads.
 *
 * Between the oversampled points (kinds 0 and 1): a sampled peak under-reads the
 * continuous one by up to 1 / cos(pi f / (F fs)) -- 0.14 dB for f = 0.45 fs at 8x.
 * Around each local maximum of |y| with its two neighbours of the same sign, the vertex
 * of the parabola through the three points is taken instead; for a sinusoid that
 * leaves at most 0.003 dB (8x) or 0.05 dB (4x) of error at 0.45 fs. The vertex exceeds
 * the middle point by at most 1/8 of |a - c|, so at most 12.5 %.
 *
 * Skipping (only values above the caller's FLOOR must be exact, e.g. a limiter's
 * threshold; every other frame only has to report something at or under FLOOR):
 * write z_m (m = 0 .. F + 1) for the points a frame's parabolas read in kinds 0 and 1:
 * z_0 the previous frame's last point, z_1 and z_{F+1} the interval's ends, z_{p+1}
 * branch p. Each is a filter h_m on x[n - k], k = 0 .. 48 (z_0 reaches x[n - 48]).
 * A vertex exceeds its middle point by at most |ma - mc| / 8 (see above), so every value
 * the frame can report is at most |z_m| + |z_{m-1} - z_{m+1}| / 8 for some m, or a
 * BS.1770 branch, or an end sample: with e_m[k] = |h_m[k]| + |h_{m-1}[k] - h_{m+1}[k]| / 8
 * (|h_m[k]| alone for BS.1770 and the ends),
 *   1. coarse: at most sbound max |x[n - k]|, sbound = max_m sum_k e_m[k] (2.8 at 8x).
 *      A segment of SEG frames whose window maximum (from maxima of 16-sample blocks)
 *      passes this test reports it and costs nothing more: quiet passages.
 *   2. centred: every h_m has a DC gain g_m (1 for the refined kinds and the ends, about
 *      1 for BS.1770; 0 for the differences), so for any c,
 *      z_m = g_m c + sum_k h_m[k] (x[n - k] - c), and with c the mean of the interval's
 *      two ends, every value is at most B = dc |c| + sum_k env[k] |x[n - k] - c|,
 *      env[k] = max_m e_m[k], dc = max_m (|g_m| + |g_{m-1} - g_{m+1}| / 8) (1.0009 at
 *      44.1 kHz). On a smooth signal (a bass note near its crest, where a bound on |x|
 *      reads about three times the level) B follows within a few per cent; the
 *      vertex's share sits only where the parabola can add it. First its 16 central
 *      taps (x[n - 16] .. x[n - 31]) alone, the tails through |x - c| <= |c| + the
 *      window's max |x|: a segment this keeps at or under FLOOR reports it; the others
 *      get B over all 49 taps. Sixteen frames to a vector, two segments at a time (so
 *      the additions' latency overlaps).
 *   3. the frames B leaves above FLOOR are computed exactly, one frame at a time: the
 *      interpolators' branches as the columns of a small matrix (lane[][][]), two frames
 *      at a time, every branch summed in the order of a plain FIR (k = 0 .. taps - 1,
 *      separate multiply and add, leading zero columns adding +0 to +0), so a frame's
 *      value never depends on which other frames were computed or how the stream was cut.
 * On the 240 s pair of bench/matchering.sh (the limiter's recording pass, floor 2 dB
 * under the threshold), per channel: the coarse test leaves 56 % / 57 % of the frames,
 * the central bound 5.8 % / 6.4 %, B 0.49 % / 0.65 %, and 0.03 % / 0.07 % read above the
 * floor. (The previous scheme, a bound on |x|, then B with the vertex as a factor 1.125
 * on every frame the first left, filtered 2.4 % / 2.6 %, in vectors of eight.)
 * Rounding: every float sum of 49 terms is within 3e-6 (relative to the sum of the
 * magnitudes, at most 3.7 B) of its exact value, the vertex adds a few ulps; the 1e-4
 * by which env, dc and sbound are rounded up covers both with a margin of five. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "dsp/tp_detect.h"

#define SEG 16                  /* frames per skip decision, and per bound vector */
#define KEEP LATHE_TP_TAPS      /* history kept: x[n - 48] for frame n */
#define SPAN (LATHE_TP_TAPS + 1) /* taps of the bounds and of the one-frame kernel */
#define K1_LO 8                 /* kind 1's taps (and its previous-frame point): */
#define K1_HI 41                /*   x[n - 8] .. x[n - 40] */
#define MARGIN 1e-4             /* relative, rounding up every skip bound */
#define CENTRE_LO 16            /* the central bound's taps: x[n - 16] .. x[n - 31] */
#define CENTRE_HI 31            /*   (12 or 20 taps measured about the same) */

/* The hot loop is compiled three times: for AVX-512 (x86-64-v4: sixteen floats to a
 * register, 32 registers), AVX2 and the baseline, each with vectors of the width its
 * registers hold (GCC lowers wider generic vectors through memory), and chosen at
 * initialisation (d->isa). Every variant does the same lane-wise IEEE operations
 * without contraction (strict C11), so all compute the same bits; a plain build
 * (LATHE_NO_CLONES, or not GCC on x86-64) has the baseline one only. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define TP_DISPATCH 1
#define TP_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#define TP_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define TP_DISPATCH 0
#endif
enum { TP_ISA_BASE = 0, TP_ISA_AVX2 = 1, TP_ISA_V4 = 2 };

/* Modified Bessel function of the first kind, order 0, by its power series. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 200; k++) {
        double q = x / (2.0 * k);
        term *= q * q;
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

static double sinc_pi(double t)
{
    return fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t) / (M_PI * t);
}

/* Stores branch H (TAPS taps, h[k] for x[n - offset - k]) normalised to unit DC gain. */
static void store_branch(float *dst, const double *h, int taps)
{
    double dc = 0.0;
    for (int k = 0; k < taps; k++)
        dc += h[k];
    for (int k = 0; k < taps; k++)
        dst[k] = (float)(h[k] / dc);
}

static void design(lathe_tp_detector *d, int f)
{
    const int fi = f - LATHE_TP_MIN_FACTOR;
    double h[LATHE_TP_TAPS];

    /* kind 0: branch p takes j = p + F k, k = 0 .. 47, multiplying x[n - k] */
    const int c = f * LATHE_TP_DELAY;
    const double beta0 = 7.0, i0b = bessel_i0(beta0);
    for (int p = 1; p < f; p++) {
        for (int k = 0; k < LATHE_TP_TAPS; k++) {
            int j = p + f * k;
            double r = (double)(j - c) / c;
            h[k] = sinc_pi((double)(j - c) / f)
                 * bessel_i0(beta0 * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        }
        store_branch(d->coef[0][fi][p - 1], h, LATHE_TP_TAPS);
    }

    /* kind 1: the value at t = s + 15 + mu is sum_i x[s + i] K(i - 15 - mu), i = 0..31,
     * K(u) = sinc(u) I0(9 sqrt(1 - (2u/32)^2)). For t = n - DELAY + p/F the newest
     * sample is x[n - DELAY + 16], so k = 31 - i multiplies x[n - (DELAY - 16) - k]. */
    const int taps1 = 32, centre1 = 15;
    for (int p = 1; p < f; p++) {
        const double mu = (double)p / f;
        for (int i = 0; i < taps1; i++) {
            double u = (double)(i - centre1) - mu;
            double w = 2.0 * u / taps1;
            h[taps1 - 1 - i] = sinc_pi(u) * bessel_i0(9.0 * sqrt(fmax(0.0, 1.0 - w * w)));
        }
        store_branch(d->coef[1][fi][p - 1], h, taps1);
    }
}

/* The BS.1770-4 Annex 2 interpolator for RATE_HZ: h[j] = sinc((j - 24) / L) hann(j),
 * j = 0 .. 48, branch p taking j = p + L k, unnormalised (as libebur128 builds it). Its
 * output for t = m - 24/L + p/L is aligned with the other kinds by taking
 * m = n - (DELAY - 24/L). */
static void design_bs(lathe_tp_detector *d, double rate_hz)
{
    const int l = rate_hz < 96000.0 ? 4 : rate_hz < 192000.0 ? 2 : 1;
    const int c = (LATHE_TP_BS_TAPS - 1) / 2;
    d->bs_factor = l;
    d->bs_taps = (LATHE_TP_BS_TAPS - 1 + l - 1) / l;
    d->bs_offset = LATHE_TP_DELAY - c / l;
    for (int p = 1; p < l; p++) {
        for (int k = 0; k < d->bs_taps; k++) {
            int j = p + l * k;
            double h = 0.0;
            if (j < LATHE_TP_BS_TAPS)
                h = sinc_pi((double)(j - c) / l)
                  * 0.5 * (1.0 - cos(2.0 * M_PI * j / (LATHE_TP_BS_TAPS - 1)));
            d->bs_coef[p - 1][k] = (float)h;
        }
    }
}

/* sbound, benv and bdc of factor F from the designed coefficients (after design and
 * design_bs), in double from the stored floats; see "Skipping" above. */
static void design_bounds(lathe_tp_detector *d, int f)
{
    const int fi = f - LATHE_TP_MIN_FACTOR;
    /* h[m][k]: point m of one kind on x[n - k]; m = 0 .. F + 1 */
    double h[LATHE_TP_MAX_FACTOR + 2][SPAN];
    double env[SPAN] = { 0 }, dc = 0.0, worst = 0.0;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
        memset(h, 0, sizeof h);
        for (int p = 1; p < f; p++)
            for (int k = 0; k < d->taps[kind]; k++)
                h[p + 1][d->offset[kind] + k] = d->coef[kind][fi][p - 1][k];
        h[1][LATHE_TP_DELAY] = 1.0;
        h[f + 1][LATHE_TP_DELAY - 1] = 1.0;
        for (int k = 0; k + 1 < SPAN; k++)
            h[0][k + 1] = h[f][k];
        for (int m = 1; m <= f + 1; m++) {
            double g = 0.0, gd = 0.0, sum = 0.0;
            for (int k = 0; k < SPAN; k++) {
                const double diff = m <= f ? h[m - 1][k] - h[m + 1][k] : 0.0;
                const double e = fabs(h[m][k]) + fabs(diff) / 8.0;
                env[k] = fmax(env[k], e);
                sum += e;
                g += h[m][k];
                gd += diff;
            }
            dc = fmax(dc, fabs(g) + fabs(gd) / 8.0);
            worst = fmax(worst, sum);
        }
    }
    for (int p = 1; p < d->bs_factor; p++) {
        double g = 0.0, sum = 0.0;
        for (int k = 0; k < d->bs_taps; k++) {
            const double e = fabs(d->bs_coef[p - 1][k]);
            env[d->bs_offset + k] = fmax(env[d->bs_offset + k], e);
            sum += e;
            g += d->bs_coef[p - 1][k];
        }
        dc = fmax(dc, fabs(g));
        worst = fmax(worst, sum);
    }
    d->sbound[fi] = worst * (1.0 + MARGIN);
    for (int k = 0; k < SPAN; k++)
        d->benv[fi][k] = env[k] > 0.0 ? nextafterf((float)(env[k] * (1.0 + MARGIN)), INFINITY)
                                      : 0.0f;
    d->bdc[fi] = nextafterf((float)(dc * (1.0 + MARGIN)), INFINITY);
    /* the central bound: the tails' weights (as rounded up) summed and rounded up */
    double tail = 0.0;
    for (int k = 0; k < SPAN; k++)
        tail += k < CENTRE_LO || k > CENTRE_HI ? (double)d->benv[fi][k] : 0.0;
    d->btail[fi] = nextafterf((float)(tail * (1.0 + MARGIN)), INFINITY);
    d->bdc2[fi] = nextafterf((float)((double)d->bdc[fi] + d->btail[fi]), INFINITY);
}

lathe_status lathe_tp_detector_init(lathe_tp_detector *d, int factor, size_t max_chunk,
                                    double rate_hz)
{
    memset(d, 0, sizeof *d);
    if (max_chunk < 1)
        return LATHE_ERR_INVALID_ARGUMENT;
    d->taps[0] = LATHE_TP_TAPS;
    d->offset[0] = 0;
    d->taps[1] = 32;
    d->offset[1] = LATHE_TP_DELAY - 16;
    for (int f = LATHE_TP_MIN_FACTOR; f <= LATHE_TP_MAX_FACTOR; f++)
        design(d, f);
    design_bs(d, rate_hz);
    for (int f = LATHE_TP_MIN_FACTOR; f <= LATHE_TP_MAX_FACTOR; f++)
        design_bounds(d, f);
    d->max_chunk = max_chunk;
    /* a last partial segment's bound vector reads up to SEG - 1 frames past the chunk */
    d->hist = calloc(KEEP + max_chunk + SEG, sizeof(float));
    d->bmax = calloc((KEEP + max_chunk) / SEG + 2, sizeof(float));
    if (!d->hist || !d->bmax) {
        lathe_tp_detector_free(d);
        return LATHE_ERR_NO_MEMORY;
    }
    lathe_tp_detector_set_factor(d, factor);
#if TP_DISPATCH
    __builtin_cpu_init();
    d->isa = __builtin_cpu_supports("x86-64-v4") ? TP_ISA_V4
           : __builtin_cpu_supports("avx2") ? TP_ISA_AVX2 : TP_ISA_BASE;
#else
    d->isa = TP_ISA_BASE;
#endif
    return LATHE_OK;
}

void lathe_tp_detector_free(lathe_tp_detector *d)
{
    free(d->hist);
    free(d->bmax);
    d->hist = d->bmax = NULL;
}

void lathe_tp_detector_reset(lathe_tp_detector *d)
{
    memset(d->hist, 0, sizeof(float) * KEEP);
}

void lathe_tp_detector_set_factor(lathe_tp_detector *d, int factor)
{
    const int f = factor < LATHE_TP_MIN_FACTOR ? LATHE_TP_MIN_FACTOR
                : factor > LATHE_TP_MAX_FACTOR ? LATHE_TP_MAX_FACTOR : factor;
    const int fi = f - LATHE_TP_MIN_FACTOR;
    d->factor = f;
    memset(d->lane, 0, sizeof d->lane);
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
        const int off = d->offset[kind];
        for (int k = 0; k < d->taps[kind]; k++) {
            for (int p = 1; p < f; p++)
                d->lane[kind][off + k][p - 1] = d->coef[kind][fi][p - 1][k];
            d->lane[kind][off + k + 1][f - 1] = d->coef[kind][fi][f - 2][k];
        }
    }
    for (int p = 1; p < d->bs_factor; p++)
        for (int k = 0; k < d->bs_taps; k++)
            d->lane[2][d->bs_offset + k][p - 1] = d->bs_coef[p - 1][k];
}

/* Eight and sixteen floats in vector registers (GCC/Clang vector extension); arithmetic
 * on them is lane-wise IEEE single precision, the same operations as scalar code. */
typedef float tp_v8f __attribute__((vector_size(32)));
typedef int tp_v8i __attribute__((vector_size(32)));
typedef float tp_v16f __attribute__((vector_size(64)));
typedef int tp_v16i __attribute__((vector_size(64)));

/* OUT[j] = dcv |c_j| + IA + sum_{k = LO .. HI} benv[k] |x[j - k] - c_j|, c_j = (x[j -
 * DELAY] + x[j - DELAY + 1]) / 2, for j = 0 .. 15 of X = XA (OUT[0 .. 15]), and the same
 * with IB for X = XB (OUT[16 .. 31]): centred bounds of two segments, X pointing at
 * each one's first frame's newest sample (X[-SPAN + 1] must exist). WIDE: vectors of
 * sixteen (AVX-512), else of eight. Every tap steps all the accumulators at once. */
static inline __attribute__((always_inline)) void
centred2(int wide, const float *restrict benv, int lo, int hi, float dcv, const float *xa,
         float ia, const float *xb, float ib, float *restrict out)
{
    if (wide) {
        const tp_v16i nosign = (tp_v16i){ 0 } + 0x7fffffff;
        tp_v16f pa, qa, pb, qb;
        memcpy(&pa, xa - LATHE_TP_DELAY, sizeof pa);
        memcpy(&qa, xa - LATHE_TP_DELAY + 1, sizeof qa);
        memcpy(&pb, xb - LATHE_TP_DELAY, sizeof pb);
        memcpy(&qb, xb - LATHE_TP_DELAY + 1, sizeof qb);
        const tp_v16f ca = (pa + qa) * 0.5f, cb = (pb + qb) * 0.5f;
        tp_v16f sa = (tp_v16f)((tp_v16i)ca & nosign) * dcv + ia;
        tp_v16f sb = (tp_v16f)((tp_v16i)cb & nosign) * dcv + ib;
        for (int k = lo; k <= hi; k++) {
            const float e = benv[k];
            tp_v16f va, vb;
            memcpy(&va, xa - k, sizeof va);
            memcpy(&vb, xb - k, sizeof vb);
            sa += (tp_v16f)((tp_v16i)(va - ca) & nosign) * e;
            sb += (tp_v16f)((tp_v16i)(vb - cb) & nosign) * e;
        }
        memcpy(out, &sa, sizeof sa);
        memcpy(out + 16, &sb, sizeof sb);
        return;
    }
    const tp_v8i nosign = (tp_v8i){ 0 } + 0x7fffffff;
    const float *const x[4] = { xa, xa + 8, xb, xb + 8 };
    tp_v8f c[4], acc[4];
    for (int q = 0; q < 4; q++) {
        tp_v8f p0, p1;
        memcpy(&p0, x[q] - LATHE_TP_DELAY, sizeof p0);
        memcpy(&p1, x[q] - LATHE_TP_DELAY + 1, sizeof p1);
        c[q] = (p0 + p1) * 0.5f;
        acc[q] = (tp_v8f)((tp_v8i)c[q] & nosign) * dcv + (q < 2 ? ia : ib);
    }
    for (int k = lo; k <= hi; k++) {
        const float e = benv[k];
        for (int q = 0; q < 4; q++) {
            tp_v8f v;
            memcpy(&v, x[q] - k, sizeof v);
            acc[q] += (tp_v8f)((tp_v8i)(v - c[q]) & nosign) * e;
        }
    }
    for (int q = 0; q < 4; q++)
        memcpy(out + 8 * q, &acc[q], sizeof acc[q]);
}

/* ACC[l] += LANE[k][l] * x[-k] for k = LO .. HI-1, two frames (XA, XB): the columns of
 * one interpolator summed in k order with a separate multiply and add, as a FIR would. */
#define TP_COLUMNS(lane, lo, hi, acc_a, acc_b)                                          \
    for (int k = (lo); k < (hi); k++) {                                                 \
        tp_v8f h;                                                                       \
        memcpy(&h, (lane)[k], sizeof h);                                                \
        acc_a += h * xa[-k];                                                            \
        acc_b += h * xb[-k];                                                            \
    }

/* Z?[v][l]: every point of the frames whose newest samples are *XA and *XB (lane[v]
 * column l: see tp_detect.h). The three interpolators' tap ranges nest: kind 0 over
 * 0 .. 48, kind 1 over K1_LO .. K1_HI - 1, BS.1770 over LO2 .. HI2 - 1 inside it. */
static inline __attribute__((always_inline)) void
points2(const lathe_tp_detector *d, const float *xa, const float *xb, float za[3][8],
        float zb[3][8])
{
    const int lo2 = d->bs_factor > 1 ? d->bs_offset : K1_LO;
    const int hi2 = d->bs_factor > 1 ? d->bs_offset + d->bs_taps : K1_LO;
    tp_v8f a0 = { 0 }, b0 = { 0 }, a1 = { 0 }, b1 = { 0 }, a2 = { 0 }, b2 = { 0 };
    TP_COLUMNS(d->lane[0], 0, K1_LO, a0, b0)
    for (int k = K1_LO; k < lo2; k++) {
        tp_v8f h0, h1;
        memcpy(&h0, d->lane[0][k], sizeof h0);
        memcpy(&h1, d->lane[1][k], sizeof h1);
        a0 += h0 * xa[-k];
        b0 += h0 * xb[-k];
        a1 += h1 * xa[-k];
        b1 += h1 * xb[-k];
    }
    for (int k = lo2; k < hi2; k++) {
        tp_v8f h0, h1, h2;
        memcpy(&h0, d->lane[0][k], sizeof h0);
        memcpy(&h1, d->lane[1][k], sizeof h1);
        memcpy(&h2, d->lane[2][k], sizeof h2);
        a0 += h0 * xa[-k];
        b0 += h0 * xb[-k];
        a1 += h1 * xa[-k];
        b1 += h1 * xb[-k];
        a2 += h2 * xa[-k];
        b2 += h2 * xb[-k];
    }
    for (int k = hi2; k < K1_HI; k++) {
        tp_v8f h0, h1;
        memcpy(&h0, d->lane[0][k], sizeof h0);
        memcpy(&h1, d->lane[1][k], sizeof h1);
        a0 += h0 * xa[-k];
        b0 += h0 * xb[-k];
        a1 += h1 * xa[-k];
        b1 += h1 * xb[-k];
    }
    TP_COLUMNS(d->lane[0], K1_HI, SPAN, a0, b0)
    memcpy(za[0], &a0, sizeof a0);
    memcpy(za[1], &a1, sizeof a1);
    memcpy(za[2], &a2, sizeof a2);
    memcpy(zb[0], &b0, sizeof b0);
    memcpy(zb[1], &b1, sizeof b1);
    memcpy(zb[2], &b2, sizeof b2);
}
#undef TP_COLUMNS

/* Parabolic vertex through (-1, a), (0, b), (1, c) when b is a local maximum of the
 * magnitude and the three share a sign; otherwise |b|. */
static inline float vertex(float a, float b, float c)
{
    float mb = fabsf(b);
    if (!(a * b > 0.0f && c * b > 0.0f))
        return mb;
    float ma = fabsf(a), mc = fabsf(c);
    if (ma > mb || mc > mb)
        return mb;
    float den = ma - 2.0f * mb + mc;        /* <= 0 */
    if (!(den < 0.0f))
        return mb;
    return mb - (ma - mc) * (ma - mc) / (8.0f * den);  /* >= mb */
}

/* The estimate of the frame whose newest sample is *X from its points Z (points2): the
 * interval's two end samples, every branch of kinds 0 and 1 and BS.1770, and parabolic
 * vertices where they can reach above FLOOR, around points within 12.5 % of the top. */
static inline float estimate(const lathe_tp_detector *d, const float *x, const float z[3][8],
                             float floor_level)
{
    const int f = d->factor;
    const float u = fabsf(x[-LATHE_TP_DELAY]), v = fabsf(x[-LATHE_TP_DELAY + 1]);
    float top = u > v ? u : v;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int p = 1; p < f; p++) {
            const float a = fabsf(z[kind][p - 1]);
            top = a > top ? a : top;
        }
    for (int p = 1; p < d->bs_factor; p++) {
        const float a = fabsf(z[2][p - 1]);
        top = a > top ? a : top;
    }
    if (!(top * 1.125f > floor_level))
        return top;
    float best = top;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
        /* y[0] .. y[F+1]: the previous frame's last point, this frame's F points
         * (y[1] = the input sample at the interval start), the next start */
        float y[LATHE_TP_MAX_FACTOR + 2];
        y[0] = z[kind][f - 1];
        y[1] = x[-LATHE_TP_DELAY];
        for (int p = 1; p < f; p++)
            y[p + 1] = z[kind][p - 1];
        y[f + 1] = x[-LATHE_TP_DELAY + 1];
        for (int m = 1; m <= f; m++)
            if (fabsf(y[m]) * 1.125f > top) {
                const float w = vertex(y[m - 1], y[m], y[m + 1]);
                best = w > best ? w : best;
            }
    }
    return best;
}

/* *R = the lane-wise larger of *A and *B, written as a lane loop that GCC compiles to
 * vmaxps (whose result, b > a ? b : a, it is). */
#define TP_MAX8(r, a, b)                                                                \
    do {                                                                                \
        float x_[8], y_[8];                                                             \
        memcpy(x_, &(a), sizeof x_);                                                    \
        memcpy(y_, &(b), sizeof y_);                                                    \
        for (int i_ = 0; i_ < 8; i_++)                                                  \
            x_[i_] = y_[i_] > x_[i_] ? y_[i_] : x_[i_];                                 \
        memcpy(&(r), x_, sizeof x_);                                                    \
    } while (0)


/* OUT[j] = max |X[16 j .. 16 j + 16)|, j = 0 .. 7, by a tree of pairwise merges: each
 * stage halves every block's lanes and keeps the vectors full (blocks side by side,
 * with shuffles that stay single instructions on AVX2). */
static inline __attribute__((always_inline)) void max_abs128(const float *x, float *out)
{
    static const tp_v8i lo_of[3] = {
        { 0, 1, 2, 3, 8, 9, 10, 11 }, { 0, 1, 8, 9, 4, 5, 12, 13 }, { 0, 2, 8, 10, 4, 6, 12, 14 },
    };
    static const tp_v8i hi_of[3] = {
        { 4, 5, 6, 7, 12, 13, 14, 15 }, { 2, 3, 10, 11, 6, 7, 14, 15 }, { 1, 3, 9, 11, 5, 7, 13, 15 },
    };
    /* after the last stage lane i holds block {0, 2, 4, 6, 1, 3, 5, 7}[i] */
    static const tp_v8i order = { 0, 4, 1, 5, 2, 6, 3, 7 };
    const tp_v8i nosign = (tp_v8i){ 0 } + 0x7fffffff;
    tp_v8f h[8];
    for (int j = 0; j < 8; j++) {
        tp_v8f u, v;
        memcpy(&u, x + 16 * j, sizeof u);
        memcpy(&v, x + 16 * j + 8, sizeof v);
        u = (tp_v8f)((tp_v8i)u & nosign);
        v = (tp_v8f)((tp_v8i)v & nosign);
        TP_MAX8(h[j], u, v);
    }
    for (int stage = 0, count = 4; stage < 3; stage++, count /= 2)
        for (int j = 0; j < count; j++) {
            const tp_v8f u = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], lo_of[stage]);
            const tp_v8f v = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], hi_of[stage]);
            TP_MAX8(h[j], u, v);
        }
    const tp_v8f o = LATHE_VSHUF2(h[0], h[0], order);
    memcpy(out, &o, sizeof o);
}

/* Non-zero when some lane of *M is. */
static inline __attribute__((always_inline)) int any16(const tp_v16i *m)
{
    unsigned long long t[8];
    memcpy(t, m, sizeof t);
    return ((t[0] | t[1]) | (t[2] | t[3]) | (t[4] | t[5]) | (t[6] | t[7])) != 0;
}

/* Frames to compute exactly, two at a time: a frame waiting for its pair, or SIZE_MAX. */
static inline __attribute__((always_inline)) void
exact_add(size_t *pending, const lathe_tp_detector *d, const float *cur, size_t i,
          float floor_level, float *peak)
{
    if (*pending == SIZE_MAX) {
        *pending = i;
        return;
    }
    float za[3][8], zb[3][8];
    points2(d, cur + *pending, cur + i, za, zb);
    peak[*pending] = estimate(d, cur + *pending, za, floor_level);
    peak[i] = estimate(d, cur + i, zb, floor_level);
    *pending = SIZE_MAX;
}

/* Segments waiting for a partner (a vector pair), at each level of the bound. */
typedef struct tp_queue {
    size_t seg;                 /* first frame, or SIZE_MAX */
    float wmax;                 /* its window's largest |x| */
} tp_queue;

/* The full centred bound of the segments starting at frames SA and SB (SEG frames each,
 * or up to N); frames it leaves above FLOOR go to the exact computation, the others
 * report it. */
static inline __attribute__((always_inline)) void
full_bound(int isa, const lathe_tp_detector *d, const float *cur, size_t sa, size_t sb, size_t n,
           float floor_level, float *peak, size_t *pending)
{
    const int fi = d->factor - LATHE_TP_MIN_FACTOR;
    float b[2 * SEG];
    centred2(isa == TP_ISA_V4, d->benv[fi], 0, SPAN - 1, d->bdc[fi], cur + sa, 0.0f, cur + sb,
             0.0f, b);
    for (int s = 0; s < (sa == sb ? 1 : 2); s++) {
        const size_t s0 = s ? sb : sa, len = n - s0 < SEG ? n - s0 : SEG;
        tp_v16f v;
        memcpy(&v, b + s * SEG, sizeof v);
        memcpy(peak + s0, &v, sizeof(float) * len);
        const tp_v16i over = v > floor_level;
        if (!any16(&over))
            continue;
        for (size_t j = 0; j < len; j++)
            if (v[j] > floor_level)
                exact_add(pending, d, cur, s0 + j, floor_level, peak);
    }
}

static inline __attribute__((always_inline)) void
full_add(int isa, tp_queue *q, const lathe_tp_detector *d, const float *cur, size_t s0, size_t n,
         float floor_level, float *peak, size_t *pending)
{
    if (q->seg == SIZE_MAX) {
        q->seg = s0;
        return;
    }
    full_bound(isa, d, cur, q->seg, s0, n, floor_level, peak, pending);
    q->seg = SIZE_MAX;
}

/* The central bound of the segments in A and B (A == B: one): the central taps
 * exactly, the tails through |x - c| <= |c| + the window's largest |x|. A segment it
 * keeps at or under FLOOR reports it; the others go on to the full bound. */
static inline __attribute__((always_inline)) void
central_bound(int isa, const lathe_tp_detector *d, const float *cur, tp_queue a, tp_queue b,
              size_t n, float floor_level, float *peak, tp_queue *full, size_t *pending)
{
    const int fi = d->factor - LATHE_TP_MIN_FACTOR;
    const float et = d->btail[fi];
    float v[2 * SEG];
    centred2(isa == TP_ISA_V4, d->benv[fi], CENTRE_LO, CENTRE_HI, d->bdc2[fi], cur + a.seg,
             et * a.wmax, cur + b.seg, et * b.wmax, v);
    for (int s = 0; s < (a.seg == b.seg ? 1 : 2); s++) {
        const size_t s0 = s ? b.seg : a.seg, len = n - s0 < SEG ? n - s0 : SEG;
        tp_v16f w;
        memcpy(&w, v + s * SEG, sizeof w);
        const tp_v16i over = w > floor_level;
        if (any16(&over))
            full_add(isa, full, d, cur, s0, n, floor_level, peak, pending);
        else
            memcpy(peak + s0, &w, sizeof(float) * len);
    }
}

/* lathe_tp_detect on the chunk already in d->hist, for ISA. */
static inline __attribute__((always_inline)) void
detect(int isa, lathe_tp_detector *d, size_t n, float floor_level, float *peak)
{
    const int fi = d->factor - LATHE_TP_MIN_FACTOR;
    const double sbound = d->sbound[fi];
    const float *const hist = d->hist, *const cur = hist + KEEP;
    /* max |hist| per 16-sample block; frames s0 .. s0 + 15 read hist[s0 .. s0 + 63]
     * (x[n - 48 .. n]), four blocks */
    const size_t have = KEEP + n, full = have / SEG;
    float *const bmax = d->bmax;
    size_t blk = 0;
    if (isa != TP_ISA_BASE)     /* (SSE2 has no 8-float shuffles) */
        for (; blk + 8 <= full; blk += 8)
            max_abs128(hist + blk * SEG, bmax + blk);
    for (; blk * SEG < have; blk++)
        bmax[blk] = lathe_max_abs(hist + blk * SEG, have - blk * SEG < SEG ? have - blk * SEG : SEG);
    size_t pending = SIZE_MAX;      /* a frame waiting for its pair */
    tp_queue central = { SIZE_MAX, 0.0f }, whole = { SIZE_MAX, 0.0f };
    for (size_t s0 = 0; s0 < n; s0 += SEG) {
        const size_t len = n - s0 < SEG ? n - s0 : SEG;
        const size_t b1 = (s0 + KEEP + len - 1) / SEG;
        float wmax = 0.0f;
        for (size_t b = s0 / SEG; b <= b1; b++)
            wmax = bmax[b] > wmax ? bmax[b] : wmax;
        if (wmax * sbound <= floor_level) {
            const float v = (float)(wmax * sbound);
            for (size_t i = s0; i < s0 + len; i++)
                peak[i] = v;
        } else if (central.seg == SIZE_MAX) {
            central = (tp_queue){ s0, wmax };
        } else {
            central_bound(isa, d, cur, central, (tp_queue){ s0, wmax }, n, floor_level, peak,
                          &whole, &pending);
            central.seg = SIZE_MAX;
        }
    }
    if (central.seg != SIZE_MAX)
        central_bound(isa, d, cur, central, central, n, floor_level, peak, &whole, &pending);
    if (whole.seg != SIZE_MAX)
        full_bound(isa, d, cur, whole.seg, whole.seg, n, floor_level, peak, &pending);
    if (pending != SIZE_MAX)
        exact_add(&pending, d, cur, pending, floor_level, peak);
}

#if TP_DISPATCH
static TP_TARGET_V4 void detect_v4(lathe_tp_detector *d, size_t n, float floor_level, float *peak)
{
    detect(TP_ISA_V4, d, n, floor_level, peak);
}

static TP_TARGET_AVX2 void detect_avx2(lathe_tp_detector *d, size_t n, float floor_level,
                                       float *peak)
{
    detect(TP_ISA_AVX2, d, n, floor_level, peak);
}
#endif

static void detect_base(lathe_tp_detector *d, size_t n, float floor_level, float *peak)
{
    detect(TP_ISA_BASE, d, n, floor_level, peak);
}

void lathe_tp_detect(lathe_tp_detector *d, const float *x, size_t n, float floor_level,
                     float *peak)
{
    memcpy(d->hist + KEEP, x, sizeof(float) * n);
#if TP_DISPATCH
    if (d->isa == TP_ISA_V4)
        detect_v4(d, n, floor_level, peak);
    else if (d->isa == TP_ISA_AVX2)
        detect_avx2(d, n, floor_level, peak);
    else
#endif
        detect_base(d, n, floor_level, peak);
    memmove(d->hist, d->hist + n, sizeof(float) * KEEP);
}
