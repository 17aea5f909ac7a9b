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
 * Skipping: a branch output never exceeds bound * max |x| over its window, where bound
 * is the largest sum |coef| of any branch. A segment of SEG frames whose window maximum
 * times bound cannot exceed FLOOR is not filtered; its frames report that bound
 * instead (only the caller's floor matters there, e.g. a limiter threshold). Where
 * that coarse test fails, a tighter bound per frame follows: A[n] = sum_k env[k]
 * |x[n - k]|, env[k] the largest |coefficient| on x[n - k] of any branch of any kind
 * times 1.125 (the most a parabolic vertex adds), one 48-tap filter on |x| instead of
 * up to 17 on x. It follows each frame instead of the loudest sample of a segment's
 * window: on the bench master (-14 LUFS, -1 dBTP) it leaves about a third as many
 * frames above the limiter's threshold as the coarse test (8.7 % against 24.6 %).
 * A ignores signs, so it reads about three times the level of a smooth signal (a bass
 * note near its crest). Where A leaves a frame above FLOOR, a centred bound follows:
 * every branch has a DC gain g (1 for the refined kinds, about 1 for BS.1770), so for
 * any c, y = g c + sum_k h[k] (x[n - k] - c); with c the mean of the interval's two
 * ends, B[n] = 1.125 (max |g| |c| + sum_k w[k] |x[n - k] - c|) (w = env / 1.125)
 * follows a smooth signal within about 13 %. On the 30 s match excerpt of
 * bench/matchering.sh at a floor 2 dB under the threshold, A leaves 32.6 % of the frames
 * above the floor, min(A, B) 4.4 %; 0.4 % read above it. Frames whose bound stays at or
 * under FLOOR report it. The last branch output of each kind of the frame before a
 * filtered run (and of each call's last frame, for the next call) is still computed for
 * its parabola, so values above the floor never depend on the skipping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "dsp/tp_detect.h"

#define SEG 32                  /* frames per skip decision */

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

/* Stores branch H (TAPS taps, h[k] for x[n - offset - k]) normalised to unit DC gain;
 * returns its sum |coef|. */
static double store_branch(float *dst, const double *h, int taps)
{
    double dc = 0.0, abs_sum = 0.0;
    for (int k = 0; k < taps; k++)
        dc += h[k];
    for (int k = 0; k < taps; k++) {
        dst[k] = (float)(h[k] / dc);
        abs_sum += fabs(h[k] / dc);
    }
    return abs_sum;
}

static void design(lathe_tp_detector *d, int f)
{
    const int fi = f - LATHE_TP_MIN_FACTOR;
    double worst = 0.0, h[LATHE_TP_TAPS];

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
        worst = fmax(worst, store_branch(d->coef[0][fi][p - 1], h, LATHE_TP_TAPS));
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
        worst = fmax(worst, store_branch(d->coef[1][fi][p - 1], h, taps1));
    }
    /* Float accumulation: keep the bound conservative. It must also stay >= 1.125
     * (the most a parabolic vertex adds), which a sinc branch always exceeds. */
    d->bound[fi] = fmax(worst * (1.0 + 1e-5), 1.125);
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
    d->bs_bound = 0.0;
    for (int p = 1; p < l; p++) {
        double abs_sum = 0.0;
        for (int k = 0; k < d->bs_taps; k++) {
            int j = p + l * k;
            double h = 0.0;
            if (j < LATHE_TP_BS_TAPS)
                h = sinc_pi((double)(j - c) / l)
                  * 0.5 * (1.0 - cos(2.0 * M_PI * j / (LATHE_TP_BS_TAPS - 1)));
            d->bs_coef[p - 1][k] = (float)h;
            abs_sum += fabs(h);
        }
        d->bs_bound = fmax(d->bs_bound, abs_sum * (1.0 + 1e-5));
    }
}

/* env[] of factor F from the designed coefficients (after design and design_bs). */
static void design_env(lathe_tp_detector *d, int f)
{
    const int fi = f - LATHE_TP_MIN_FACTOR;
    double w[LATHE_TP_TAPS] = { 0 };
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int p = 1; p < f; p++)
            for (int k = 0; k < d->taps[kind]; k++)
                w[d->offset[kind] + k] = fmax(w[d->offset[kind] + k],
                                              fabs(d->coef[kind][fi][p - 1][k]));
    for (int p = 1; p < d->bs_factor; p++)
        for (int k = 0; k < d->bs_taps; k++)
            w[d->bs_offset + k] = fmax(w[d->bs_offset + k], fabs(d->bs_coef[p - 1][k]));
    w[LATHE_TP_DELAY] = fmax(w[LATHE_TP_DELAY], 1.0);         /* the interval's ends */
    w[LATHE_TP_DELAY - 1] = fmax(w[LATHE_TP_DELAY - 1], 1.0);
    /* 1.125 for the vertex; 1e-5 covers float rounding in both sums (48 terms) */
    for (int k = 0; k < LATHE_TP_TAPS; k++)
        d->env[fi][k] = nextafterf((float)(w[k] * 1.125 * (1.0 + 1e-5)), INFINITY);
    /* The centred bound: y = g c + sum_k h[k] (x[n - k] - c) for any c, g = sum_k h[k]
     * (1 for the interval's ends, about 1 for every branch). 3e-5 covers the rounding of
     * the branch's own sum and of the bound's (49 terms, and x - c). */
    double dcmax = 1.0;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int p = 1; p < f; p++) {
            double g = 0.0;
            for (int k = 0; k < d->taps[kind]; k++)
                g += d->coef[kind][fi][p - 1][k];
            dcmax = fmax(dcmax, fabs(g));
        }
    for (int p = 1; p < d->bs_factor; p++) {
        double g = 0.0;
        for (int k = 0; k < d->bs_taps; k++)
            g += d->bs_coef[p - 1][k];
        dcmax = fmax(dcmax, fabs(g));
    }
    for (int k = 0; k < LATHE_TP_TAPS; k++)
        d->envc[fi][k] = nextafterf((float)(w[k] * 1.125 * (1.0 + 3e-5)), INFINITY);
    d->dcc[fi] = nextafterf((float)(dcmax * 1.125 * (1.0 + 3e-5)), INFINITY);
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
        design_env(d, f);
    d->max_chunk = max_chunk;
    d->hist = calloc(LATHE_TP_TAPS - 1 + max_chunk, sizeof(float));
    d->habs = calloc(LATHE_TP_TAPS - 1 + max_chunk, sizeof(float));
    d->branch = calloc((size_t)(LATHE_TP_KINDS * (LATHE_TP_MAX_FACTOR - 1) + 3) * max_chunk,
                       sizeof(float));
    if (!d->hist || !d->habs || !d->branch) {
        lathe_tp_detector_free(d);
        return LATHE_ERR_NO_MEMORY;
    }
    lathe_tp_detector_set_factor(d, factor);
    return LATHE_OK;
}

void lathe_tp_detector_free(lathe_tp_detector *d)
{
    free(d->hist);
    free(d->habs);
    free(d->branch);
    d->hist = d->habs = d->branch = NULL;
}

void lathe_tp_detector_reset(lathe_tp_detector *d)
{
    memset(d->hist, 0, sizeof(float) * (LATHE_TP_TAPS - 1));
    memset(d->habs, 0, sizeof(float) * (LATHE_TP_TAPS - 1));
    for (int k = 0; k < LATHE_TP_KINDS; k++)
        d->last[k] = 0.0f;
}

void lathe_tp_detector_set_factor(lathe_tp_detector *d, int factor)
{
    d->factor = factor < LATHE_TP_MIN_FACTOR ? LATHE_TP_MIN_FACTOR
              : factor > LATHE_TP_MAX_FACTOR ? LATHE_TP_MAX_FACTOR : factor;
}

/* Eight floats in one vector register (GCC/Clang vector extension); arithmetic on it is
 * lane-wise IEEE single precision, the same operations as scalar code. */
typedef float lathe_v8f __attribute__((vector_size(32)));

/* OUT[i] = sum_k C[k] * X[i - k], k = 0 .. TAPS-1, for i = 0 .. N-1, X pointing at
 * the newest sample of output 0 (X[-(TAPS-1)] must exist). Every output is summed in
 * the order k = 0 .. TAPS-1 with a separate multiply and add (no contraction in ISO C),
 * whatever N, the block split and the vector width, so results never depend on how a
 * stream is cut. Sixteen (or eight) outputs at a time keep their sums in registers. */
LATHE_HOT static void fir_branch(const float *restrict c, int taps, const float *x, size_t n,
                                 float *restrict out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        lathe_v8f a0 = { 0 }, a1 = { 0 };
        for (int k = 0; k < taps; k++) {
            const lathe_v8f h = (lathe_v8f){ 0 } + c[k];
            lathe_v8f x0, x1;
            memcpy(&x0, x + i - k, sizeof x0);
            memcpy(&x1, x + i - k + 8, sizeof x1);
            a0 += h * x0;
            a1 += h * x1;
        }
        memcpy(out + i, &a0, sizeof a0);
        memcpy(out + i + 8, &a1, sizeof a1);
    }
    for (; i + 8 <= n; i += 8) {
        lathe_v8f a0 = { 0 };
        for (int k = 0; k < taps; k++) {
            const lathe_v8f h = (lathe_v8f){ 0 } + c[k];
            lathe_v8f x0;
            memcpy(&x0, x + i - k, sizeof x0);
            a0 += h * x0;
        }
        memcpy(out + i, &a0, sizeof a0);
    }
    for (; i < n; i++) {
        float acc = 0.0f;
        for (int k = 0; k < taps; k++)
            acc += c[k] * (x + i)[-k];
        out[i] = acc;
    }
}

/* OUT[i] = min(OUT[i], the centred bound of frame i) for i = 0 .. 7, X pointing at
 * frame 0's newest sample (X[-(TAPS-1)] must exist): c = (x[n - DELAY] + x[n - DELAY +
 * 1]) / 2, B = dcc |c| + sum_k envc[k] |x[n - k] - c|. */
LATHE_HOT static void centred_bound8(const float *restrict envc, float dcc, const float *x,
                                     float *restrict out)
{
    typedef int v8i __attribute__((vector_size(32)));
    const v8i nosign = (v8i){ 0 } + 0x7fffffff;
    lathe_v8f a, b, o;
    memcpy(&a, x - LATHE_TP_DELAY, sizeof a);
    memcpy(&b, x - LATHE_TP_DELAY + 1, sizeof b);
    const lathe_v8f c = (a + b) * 0.5f;
    lathe_v8f acc = (lathe_v8f)((v8i)c & nosign) * dcc;
    for (int k = 0; k < LATHE_TP_TAPS; k++) {
        lathe_v8f v;
        memcpy(&v, x - k, sizeof v);
        v = (lathe_v8f)((v8i)(v - c) & nosign);
        acc += ((lathe_v8f){ 0 } + envc[k]) * v;
    }
    memcpy(&o, out, sizeof o);
    const v8i less = acc < o;
    o = (lathe_v8f)(((v8i)acc & less) | ((v8i)o & ~less));
    memcpy(out, &o, sizeof o);
}

/* DST[i] = max(DST[i], |SRC[i]|) */
static inline void max_abs_into(float *restrict dst, const float *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = fabsf(src[i]);
        dst[i] = v > dst[i] ? v : dst[i];
    }
}

/* Outputs of branch P (1..F-1) of KIND, indexed by frame in the chunk. */
static inline float *branch_of(const lathe_tp_detector *d, int kind, int p)
{
    return d->branch + (size_t)(kind * (LATHE_TP_MAX_FACTOR - 1) + p - 1) * d->max_chunk;
}

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

/* d->last[kind] := the last oversampled point of the frame whose newest sample is
 * *X (branch F-1 of each kind). */
static void last_points(lathe_tp_detector *d, int f, const float *x)
{
    const int fi = f - LATHE_TP_MIN_FACTOR;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
        float y = 0.0f;
        fir_branch(d->coef[kind][fi][f - 2], d->taps[kind], x - d->offset[kind], 1, &y);
        d->last[kind] = y;
    }
}

/* The estimate of frames A .. B-1 of the chunk (in HIST after the kept history):
 * every branch of every interpolator, the interval ends, parabolic vertices where they
 * can reach above FLOOR; d->last holds frame A-1's last points and then B-1's. */
static void filter_frames(lathe_tp_detector *d, const float *hist, size_t a, size_t b,
                          float floor_level, float *peak)
{
    const int f = d->factor, fi = f - LATHE_TP_MIN_FACTOR, lb = d->bs_factor;
    const size_t keep = LATHE_TP_TAPS - 1, stride = d->max_chunk, len = b - a;
    const float *const cur = hist + keep;
    float *const bs_out = branch_of(d, LATHE_TP_KINDS, 1);    /* after the kinds' branches */

    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int p = 1; p < f; p++)
            fir_branch(d->coef[kind][fi][p - 1], d->taps[kind], cur + a - d->offset[kind],
                       len, branch_of(d, kind, p) + a);
    for (int p = 1; p < lb; p++)
        fir_branch(d->bs_coef[p - 1], d->bs_taps, cur + a - d->bs_offset, len,
                   bs_out + (size_t)(p - 1) * stride + a);
    /* the largest oversampled magnitude per frame, branch by branch (vectorises):
     * the interval's two end samples, every branch of kinds 0 and 1, BS.1770 */
    for (size_t i = a; i < b; i++) {
        float u = fabsf(hist[keep + i - LATHE_TP_DELAY]);
        float v = fabsf(hist[keep + i - LATHE_TP_DELAY + 1]);
        peak[i] = u > v ? u : v;
    }
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int p = 1; p < f; p++)
            max_abs_into(peak + a, branch_of(d, kind, p) + a, len);
    for (int p = 1; p < lb; p++)
        max_abs_into(peak + a, bs_out + (size_t)(p - 1) * stride + a, len);
    /* parabolic vertices, only where they can matter: above the floor, around
     * points within 12.5 % of the frame's top */
    for (size_t i = a; i < b; i++) {
        const float top = peak[i];
        if (!(top * 1.125f > floor_level))
            continue;
        float best = top;
        for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
            /* z[0] .. z[F+1]: the previous frame's last point, this frame's F points
             * (z[1] = the input sample at the interval start), the next start */
            float z[LATHE_TP_MAX_FACTOR + 2];
            z[0] = i > a ? branch_of(d, kind, f - 1)[i - 1] : d->last[kind];
            z[1] = hist[keep + i - LATHE_TP_DELAY];
            for (int p = 1; p < f; p++)
                z[p + 1] = branch_of(d, kind, p)[i];
            z[f + 1] = hist[keep + i - LATHE_TP_DELAY + 1];
            for (int m = 1; m <= f; m++)
                if (fabsf(z[m]) * 1.125f > top) {
                    float v = vertex(z[m - 1], z[m], z[m + 1]);
                    best = v > best ? v : best;
                }
        }
        peak[i] = best;
    }
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        d->last[kind] = branch_of(d, kind, f - 1)[b - 1];
}

void lathe_tp_detect(lathe_tp_detector *d, const float *x, size_t n, float floor_level,
                     float *peak)
{
    const int f = d->factor, fi = f - LATHE_TP_MIN_FACTOR;
    const size_t keep = LATHE_TP_TAPS - 1;
    const double bound = fmax(d->bound[fi], d->bs_bound);
    float *hist = d->hist;
    float *const cur = hist + keep;         /* cur[i]: the i-th new sample */
    float *const acur = d->habs + keep;
    memcpy(cur, x, sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        acur[i] = fabsf(x[i]);
    int last_done = 0;          /* d->last holds frame n-1's last points */
    for (size_t s0 = 0; s0 < n; s0 += SEG) {
        const size_t len = n - s0 < SEG ? n - s0 : SEG, s1 = s0 + len;
        /* frames s0 .. s1-1 read hist[s0 .. s1 - 1 + keep] */
        const double wmax = lathe_max_abs(hist + s0, len + keep);
        size_t a = s1, b = s1;      /* the frames to filter: [a, b) */
        if (wmax * bound <= floor_level) {
            for (size_t i = s0; i < s1; i++)
                peak[i] = (float)(wmax * bound);
        } else {
            /* the per-frame bound A; only the frames it leaves above the floor (and
             * those between them) are filtered */
            fir_branch(d->env[fi], LATHE_TP_TAPS, acur + s0, len, peak + s0);
            /* where A leaves a frame above the floor, the centred bound, eight frames
             * at a time (a tail under eight keeps A) */
            for (size_t i = s0; i + 8 <= s1; i += 8) {
                int any = 0;
                for (size_t j = i; j < i + 8; j++)
                    any |= peak[j] > floor_level;
                if (any)
                    centred_bound8(d->envc[fi], d->dcc[fi], cur + i, peak + i);
            }
            for (size_t i = s0; i < s1; i++)
                if (peak[i] > floor_level) {
                    a = a == s1 ? i : a;
                    b = i + 1;
                }
        }
        /* whole vectors of 8 frames: the filters' scalar tail is slow */
        if (a < b) {
            a = s0 + (a - s0) / 8 * 8;
            b = s0 + (b - s0 + 7) / 8 * 8;
            b = b < s1 ? b : s1;
        }
        if (a < b) {
            /* frame a's parabola needs frame a-1's last points: computed here from the
             * history, or for a = 0 kept from the previous call */
            if (a > 0)
                last_points(d, f, cur + a - 1);
            filter_frames(d, hist, a, b, floor_level, peak);
            last_done = b == n;
        }
    }
    if (n > 0 && !last_done)     /* the next call's first parabola */
        last_points(d, f, cur + n - 1);
    memmove(hist, hist + n, sizeof(float) * keep);
    memmove(d->habs, d->habs + n, sizeof(float) * keep);
}
