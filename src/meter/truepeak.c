/* SPDX-License-Identifier: GPL-3.0-or-later */
/* True-peak meter after ITU-R BS.1770-4 Annex 2.
 *
 * Interpolator: a 49-tap (48th order) Hann-windowed sinc, cutoff at the input's
 * Nyquist frequency, split into FACTOR polyphase branches -- the same textbook design
 * BS.1770-4 Annex 2 describes and libebur128 uses, so the two meters agree.
 *
 * Speed: the result is the largest output, so a run of outputs that provably cannot beat
 * the channel's running maximum (peak) is never filtered. Per segment of SEG outputs,
 * whose windows span the samples buf[s .. s + SEG - 1 + phase_taps - 1], from the signed
 * maximum mx and minimum mn of 16-sample blocks covering that span, in order:
 *   1. |y_p| <= G max(mx, -mn), G = the largest sum |coefficients| of a branch: quiet
 *      passages.
 *   2. every branch p has DC gain g_p = sum_k h_p[k], so for any c,
 *      y_p = g_p c + sum_k h_p[k] (x[n - k] - c); with c = (mx + mn) / 2 every
 *      |x[n - k] - c| <= (mx - mn) / 2, so |y_p| <= max|g| |c| + G (mx - mn) / 2: loud
 *      passages whose samples span a narrow range (near a bass note's crest).
 *   3. the same with c per output, the mean of the two samples it lies between:
 *      |y_p| <= max|g| |c| + sum_k w[k] |x[n - k] - c|, w[k] the largest |h_p[k]|; within a
 *      few per cent of the level on smooth (loud, bass-heavy) music, where the first
 *      reads about twice too high.
 *   4. only then every branch, sixteen outputs to a vector, summed in tap order.
 * Tests 1 and 2 run in double, four segments at a time. Rounding: a branch output in
 * float is within 13 u G max|x| (u = 2^-24, 1.5e-6 max|x|) of its exact value, and
 * max|x| = |c| + (mx - mn) / 2 is at most either bound, so the 1e-5 by which G is rounded
 * up (3e-5 for the DC gain and w) covers it.
 * On the match excerpt's reference and output (30 s each, 44.1 kHz) tests 1 and 2 settle
 * 96-97 % of the segments, 3 all but 0.05-0.1 %. (Before: segments of 32 and tests 1, 3,
 * 4: 74-77 % by test 1, the rest by test 3 at about 30 instructions per output.) The
 * result is identical to running the filter everywhere, bit for bit.
 *
 * Glossary: hist[c] holds phase_taps-1 previous samples then the current chunk,
 * contiguously; bmx[b], bmn[b] are the signed maximum and minimum of
 * hist[c][16 b .. 16 b + 16); peak[c] is the running max |y| (and |x|). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/simd.h"
#include "meter/truepeak.h"

#define FIR_TAPS 49
#define MAX_FACTOR 4
#define MAX_PHASE_TAPS 25       /* ceil(49 / 2) */
#define CHUNK 4096              /* frames per internal block, a multiple of SEG */
#define SEG 16                  /* outputs per skip decision, and per vector */
/* Blocks of hist: at factor 1 (>= 192 kHz) phase_taps is all FIR_TAPS, the most. */
#define MAX_BLOCKS ((FIR_TAPS - 1 + CHUNK + SEG - 1) / SEG + 1)

/* The per-chunk loop is compiled three times: for AVX-512 (x86-64-v4), AVX2 and the
 * baseline, each with vectors of the width its registers hold (GCC lowers wider generic
 * vectors through memory), and chosen at creation. Every variant does the same lane-wise
 * IEEE operations without contraction (strict C11), so all compute the same bits; a
 * plain build (LATHE_NO_CLONES, or not GCC on x86-64) has the baseline one only. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define TPM_DISPATCH 1
#define TPM_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#define TPM_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define TPM_DISPATCH 0
#endif
enum { TPM_ISA_BASE = 0, TPM_ISA_AVX2 = 1, TPM_ISA_V4 = 2 };

struct lathe_truepeak_meter {
    int channels, factor, phase_taps;
    int isa;                    /* the vector code for this CPU */
    float coef[MAX_FACTOR][MAX_PHASE_TAPS]; /* coef[p][k] multiplies x[n - k] */
    double bound_gain;          /* G: max over branches of sum |coef|, rounded up */
    double dc_gain;             /* max over branches of |sum coef|, rounded up */
    float wmax[MAX_PHASE_TAPS]; /* max over branches of |coef[p][k]|, rounded up */
    float dcmax;                /* dc_gain as a float, rounded up */
    int centre;                 /* the outputs lie between x[n - centre] and x[n - centre + 1] */
    float *hist[8];             /* (phase_taps - 1 + CHUNK) floats each */
    float bmx[MAX_BLOCKS], bmn[MAX_BLOCKS];
    double peak[8];
};

int lathe_truepeak_factor(int rate_hz)
{
    return rate_hz < 96000 ? 4 : rate_hz < 192000 ? 2 : 1;
}

lathe_status lathe_truepeak_create(int rate_hz, int channels, lathe_truepeak_meter **out)
{
    lathe_truepeak_meter *m;

    *out = NULL;
    if (channels < 1 || channels > 8 || rate_hz <= 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    m = calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NO_MEMORY;
    m->channels = channels;
    m->factor = lathe_truepeak_factor(rate_hz);
    m->phase_taps = (FIR_TAPS + m->factor - 1) / m->factor;
    if (m->factor > 1) {
        /* h[j] = sinc((j - 24) / L) * hann(j), j = 0..48; branch p takes j = p + L k.
         * The sinc has gain L at DC, which interpolation (zero stuffing) needs. */
        for (int j = 0; j < FIR_TAPS; j++) {
            double t = (double)j - (FIR_TAPS - 1) / 2.0;
            double s = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t / m->factor) / (M_PI * t / m->factor);
            double w = 0.5 * (1.0 - cos(2.0 * M_PI * j / (FIR_TAPS - 1)));
            m->coef[j % m->factor][j / m->factor] = (float)(s * w);
        }
        for (int p = 0; p < m->factor; p++) {
            double g = 0.0;
            for (int k = 0; k < m->phase_taps; k++)
                g += fabs(m->coef[p][k]);
            if (g > m->bound_gain)
                m->bound_gain = g;
        }
        /* float rounding in the accumulation: keep the bound safely conservative */
        m->bound_gain *= 1.0 + 1e-5;
        /* the centred bound; 3e-5 covers the rounding of the branch's sum and its own */
        double dc = 0.0;
        for (int p = 0; p < m->factor; p++) {
            double g = 0.0;
            for (int k = 0; k < m->phase_taps; k++)
                g += m->coef[p][k];
            dc = fmax(dc, fabs(g));
        }
        m->dc_gain = dc * (1.0 + 3e-5);
        m->dcmax = nextafterf((float)m->dc_gain, INFINITY);
        for (int k = 0; k < m->phase_taps; k++) {
            double w = 0.0;
            for (int p = 0; p < m->factor; p++)
                w = fmax(w, fabs(m->coef[p][k]));
            m->wmax[k] = w > 0.0 ? nextafterf((float)(w * (1.0 + 3e-5)), INFINITY) : 0.0f;
        }
        m->centre = (FIR_TAPS - 1) / 2 / m->factor;
    }
    lathe_truepeak_select_isa(m, TPM_ISA_V4);
    for (int c = 0; c < channels; c++) {
        m->hist[c] = calloc((size_t)(m->phase_taps - 1 + CHUNK), sizeof(float));
        if (!m->hist[c]) {
            lathe_truepeak_destroy(m);
            return LATHE_ERR_NO_MEMORY;
        }
    }
    *out = m;
    return LATHE_OK;
}

/* Vectors of 4, 8 and 16 floats, 4 doubles (GCC/Clang vector extension): lane-wise IEEE
 * arithmetic, the same operations as scalar code. */
typedef float tpm_v4f __attribute__((vector_size(16)));
typedef int tpm_v4i __attribute__((vector_size(16)));
typedef float tpm_v8f __attribute__((vector_size(32)));
typedef int tpm_v8i __attribute__((vector_size(32)));
typedef float tpm_v16f __attribute__((vector_size(64)));
typedef int tpm_v16i __attribute__((vector_size(64)));
typedef double tpm_v4d __attribute__((vector_size(32)));
typedef long long tpm_v4l __attribute__((vector_size(32)));

/* R = the lane-wise larger (CMP >) or smaller (CMP <) of A and B (N = 8 lanes), written
 * as a lane loop that GCC compiles to vmaxps / vminps with AVX (whose result,
 * b CMP a ? b : a, it is). */
#define TPM_PICK(r, a, b, cmp, n)                                                       \
    do {                                                                                \
        float x_[n], y_[n];                                                             \
        memcpy(x_, &(a), sizeof x_);                                                    \
        memcpy(y_, &(b), sizeof y_);                                                    \
        for (int i_ = 0; i_ < (n); i_++)                                                \
            x_[i_] = y_[i_] cmp x_[i_] ? y_[i_] : x_[i_];                               \
        memcpy(&(r), x_, sizeof x_);                                                    \
    } while (0)

/* The same in vectors of four, as a mask and a blend (SSE2 has no blend instruction,
 * and GCC does not vectorise the lane loop there). */
#define TPM_PICK4(r, a, b, cmp)                                                         \
    do {                                                                                \
        const tpm_v4i m_ = (b) cmp (a);                                                 \
        (r) = (tpm_v4f)(((tpm_v4i)(b) & m_) | ((tpm_v4i)(a) & ~m_));                    \
    } while (0)

/* MX[j], MN[j] = the largest and the smallest of X[16 j .. 16 j + 16), j = 0 .. 7, by a
 * tree of pairwise merges: each stage halves every block's lanes and keeps the vectors
 * full (blocks side by side, with shuffles that stay single instructions on AVX2), so
 * eight blocks cost 15 lane-wise maxima and minima, not a horizontal reduction each. */
static inline __attribute__((always_inline)) void max_min128(const float *x, float *mx,
                                                             float *mn)
{
    static const tpm_v8i lo_of[3] = {
        { 0, 1, 2, 3, 8, 9, 10, 11 }, { 0, 1, 8, 9, 4, 5, 12, 13 }, { 0, 2, 8, 10, 4, 6, 12, 14 },
    };
    static const tpm_v8i hi_of[3] = {
        { 4, 5, 6, 7, 12, 13, 14, 15 }, { 2, 3, 10, 11, 6, 7, 14, 15 }, { 1, 3, 9, 11, 5, 7, 13, 15 },
    };
    /* after the last stage lane i holds block {0, 2, 4, 6, 1, 3, 5, 7}[i] */
    static const tpm_v8i order = { 0, 4, 1, 5, 2, 6, 3, 7 };
    tpm_v8f h[8], l[8];
    for (int j = 0; j < 8; j++) {
        tpm_v8f u, v;
        memcpy(&u, x + 16 * j, sizeof u);
        memcpy(&v, x + 16 * j + 8, sizeof v);
        TPM_PICK(h[j], u, v, >, 8);
        TPM_PICK(l[j], u, v, <, 8);
    }
    for (int stage = 0, count = 4; stage < 3; stage++, count /= 2)
        for (int j = 0; j < count; j++) {
            const tpm_v8f hu = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], lo_of[stage]);
            const tpm_v8f hv = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], hi_of[stage]);
            const tpm_v8f lu = LATHE_VSHUF2(l[2 * j], l[2 * j + 1], lo_of[stage]);
            const tpm_v8f lv = LATHE_VSHUF2(l[2 * j], l[2 * j + 1], hi_of[stage]);
            TPM_PICK(h[j], hu, hv, >, 8);
            TPM_PICK(l[j], lu, lv, <, 8);
        }
    const tpm_v8f ho = LATHE_VSHUF2(h[0], h[0], order), lo = LATHE_VSHUF2(l[0], l[0], order);
    memcpy(mx, &ho, sizeof ho);
    memcpy(mn, &lo, sizeof lo);
}

/* The same for four blocks in vectors of four (SSE2's shufps): MX[0 .. 3], MN[0 .. 3]. */
static inline __attribute__((always_inline)) void max_min64(const float *x, float *mx,
                                                            float *mn)
{
    static const tpm_v4i lo_of[2] = { { 0, 1, 4, 5 }, { 0, 2, 4, 6 } };
    static const tpm_v4i hi_of[2] = { { 2, 3, 6, 7 }, { 1, 3, 5, 7 } };
    tpm_v4f h[4], l[4];
    for (int j = 0; j < 4; j++) {
        tpm_v4f u[4];
        memcpy(u, x + 16 * j, sizeof u);
        TPM_PICK4(h[j], u[0], u[1], >);
        TPM_PICK4(l[j], u[0], u[1], <);
        for (int q = 2; q < 4; q++) {
            TPM_PICK4(h[j], h[j], u[q], >);
            TPM_PICK4(l[j], l[j], u[q], <);
        }
    }
    for (int stage = 0, count = 2; stage < 2; stage++, count /= 2)
        for (int j = 0; j < count; j++) {
            const tpm_v4f hu = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], lo_of[stage]);
            const tpm_v4f hv = LATHE_VSHUF2(h[2 * j], h[2 * j + 1], hi_of[stage]);
            const tpm_v4f lu = LATHE_VSHUF2(l[2 * j], l[2 * j + 1], lo_of[stage]);
            const tpm_v4f lv = LATHE_VSHUF2(l[2 * j], l[2 * j + 1], hi_of[stage]);
            TPM_PICK4(h[j], hu, hv, >);
            TPM_PICK4(l[j], lu, lv, <);
        }
    memcpy(mx, &h[0], sizeof h[0]);
    memcpy(mn, &l[0], sizeof l[0]);
}

/* The largest of the first N (<= SEG) of V[0 .. SEG), all non-negative. */
static inline float max_lanes(const float *v, size_t n)
{
    float best = 0.0f;
    for (size_t i = 0; i < n; i++)
        best = v[i] > best ? v[i] : best;
    return best;
}

/* The largest centred bound (test 3) of the N (<= SEG) outputs whose newest inputs are
 * buf[T-1 .. T-1+N) (buf[T-1+SEG] must exist); WIDE: vectors of sixteen. */
static inline __attribute__((always_inline)) float
centred_max(int wide, const lathe_truepeak_meter *m, const float *buf, size_t n)
{
    const int taps = m->phase_taps;
    const float *const x0 = buf + (taps - 1) - m->centre;
    float out[SEG];
    if (wide) {
        const tpm_v16i nosign = (tpm_v16i){ 0 } + 0x7fffffff;
        tpm_v16f a, b;
        memcpy(&a, x0, sizeof a);
        memcpy(&b, x0 + 1, sizeof b);
        const tpm_v16f c = (a + b) * 0.5f;
        tpm_v16f acc = (tpm_v16f)((tpm_v16i)c & nosign) * m->dcmax;
        for (int k = 0; k < taps; k++) {
            tpm_v16f v;
            memcpy(&v, buf + (taps - 1) - k, sizeof v);
            acc += (tpm_v16f)((tpm_v16i)(v - c) & nosign) * m->wmax[k];
        }
        memcpy(out, &acc, sizeof acc);
    } else {
        const tpm_v8i nosign = (tpm_v8i){ 0 } + 0x7fffffff;
        tpm_v8f c[2], acc[2];
        for (int q = 0; q < 2; q++) {
            tpm_v8f a, b;
            memcpy(&a, x0 + 8 * q, sizeof a);
            memcpy(&b, x0 + 8 * q + 1, sizeof b);
            c[q] = (a + b) * 0.5f;
            acc[q] = (tpm_v8f)((tpm_v8i)c[q] & nosign) * m->dcmax;
        }
        for (int k = 0; k < taps; k++)
            for (int q = 0; q < 2; q++) {
                tpm_v8f v;
                memcpy(&v, buf + (taps - 1) - k + 8 * q, sizeof v);
                acc[q] += (tpm_v8f)((tpm_v8i)(v - c[q]) & nosign) * m->wmax[k];
            }
        memcpy(out, acc, sizeof acc);
    }
    return max_lanes(out, n);
}

/* max |y| over every branch of the N (<= SEG) outputs whose newest inputs are
 * buf[T-1 .. T-1+N): each output summed from 0 in tap order, a multiply and an add per
 * tap, as a plain FIR; WIDE: vectors of sixteen. */
static inline __attribute__((always_inline)) float
branches_max(int wide, const lathe_truepeak_meter *m, const float *buf, size_t n)
{
    const int taps = m->phase_taps;
    float best = 0.0f;
    for (int p = 0; p < m->factor; p += 2) {
        const float *const c0 = m->coef[p], *const c1 = m->coef[p + 1];
        float y[4 * SEG];
        if (wide) {
            tpm_v16f a0 = { 0 }, a1 = { 0 };
            for (int k = 0; k < taps; k++) {
                tpm_v16f v;
                memcpy(&v, buf + (taps - 1) - k, sizeof v);
                a0 += v * c0[k];
                a1 += v * c1[k];
            }
            memcpy(y, &a0, sizeof a0);
            memcpy(y + 2 * SEG, &a1, sizeof a1);
        } else {
            tpm_v8f a[4] = { { 0 }, { 0 }, { 0 }, { 0 } };
            for (int k = 0; k < taps; k++)
                for (int q = 0; q < 2; q++) {
                    tpm_v8f v;
                    memcpy(&v, buf + (taps - 1) - k + 8 * q, sizeof v);
                    a[q] += v * c0[k];
                    a[2 + q] += v * c1[k];
                }
            memcpy(y, &a[0], 2 * sizeof a[0]);
            memcpy(y + 2 * SEG, &a[2], 2 * sizeof a[0]);
        }
        for (size_t i = 0; i < n; i++) {
            const float u = fabsf(y[i]), v = fabsf(y[2 * SEG + i]);
            best = u > best ? u : best;
            best = v > best ? v : best;
        }
    }
    return best;
}

/* Tests 1-4 on the LEN outputs from S of the chunk: PEAK, or the largest of those
 * outputs when it is more. */
static inline __attribute__((always_inline)) double
segment_peak(int isa, const lathe_truepeak_meter *m, const float *buf, size_t s, size_t len,
             size_t keep, double peak)
{
    const size_t b1 = (s + len - 1 + keep) / SEG;
    float mx = m->bmx[s / SEG], mn = m->bmn[s / SEG];
    for (size_t b = s / SEG + 1; b <= b1; b++) {
        mx = m->bmx[b] > mx ? m->bmx[b] : mx;
        mn = m->bmn[b] < mn ? m->bmn[b] : mn;
    }
    const double top = mx > -mn ? mx : -mn;
    if (top * m->bound_gain <= peak)
        return peak;
    const double c = 0.5 * ((double)mx + (double)mn), r = 0.5 * ((double)mx - (double)mn);
    if (m->dc_gain * fabs(c) + m->bound_gain * r <= peak)
        return peak;
    if (centred_max(isa == TPM_ISA_V4, m, buf + s, len) <= peak)
        return peak;
    const double tp = branches_max(isa == TPM_ISA_V4, m, buf + s, len);
    return tp > peak ? tp : peak;
}

/* One chunk of N <= CHUNK frames of one channel, already copied to buf[keep ..], for
 * ISA; returns the new running maximum. */
static inline __attribute__((always_inline)) double
chunk_peak(int isa, lathe_truepeak_meter *m, const float *buf, size_t n, double peak)
{
    const size_t keep = (size_t)(m->phase_taps - 1), total = keep + n;
    const size_t full = total / SEG, nb = (total + SEG - 1) / SEG;
    float *const bmx = m->bmx, *const bmn = m->bmn;
    size_t b = 0;
    if (isa != TPM_ISA_BASE)
        for (; b + 8 <= full; b += 8)
            max_min128(buf + b * SEG, bmx + b, bmn + b);
    for (; b + 4 <= full; b += 4)
        max_min64(buf + b * SEG, bmx + b, bmn + b);
    for (; b < nb; b++) {
        const size_t end = (b + 1) * SEG < total ? (b + 1) * SEG : total;
        float mx = buf[b * SEG], mn = mx;
        for (size_t i = b * SEG + 1; i < end; i++) {
            mx = buf[i] > mx ? buf[i] : mx;
            mn = buf[i] < mn ? buf[i] : mn;
        }
        bmx[b] = mx;
        bmn[b] = mn;
    }
    /* the sample peak, which bounds the true peak from below */
    float all = 0.0f;
    {
        tpm_v4f hv = { 0 }, lv = { 0 };
        for (b = 0; b + 4 <= nb; b += 4) {
            tpm_v4f u, v;
            memcpy(&u, bmx + b, sizeof u);
            memcpy(&v, bmn + b, sizeof v);
            TPM_PICK4(hv, hv, u, >);
            TPM_PICK4(lv, lv, v, <);
        }
        for (int i = 0; i < 4; i++) {
            all = hv[i] > all ? hv[i] : all;
            all = -lv[i] > all ? -lv[i] : all;
        }
        for (; b < nb; b++) {
            all = bmx[b] > all ? bmx[b] : all;
            all = -bmn[b] > all ? -bmn[b] : all;
        }
    }
    if (all > peak)
        peak = all;
    if (m->factor == 1 || all * m->bound_gain <= peak)
        return peak;
    /* Outputs i in [s, s + SEG) read buf[i .. i + keep]: blocks s / SEG .. (s + SEG - 1 +
     * keep) / SEG, WB of them (2 at 4x, 3 at 2x). Tests 1 and 2 for four segments at a
     * time (in double, exactly as one at a time); the segments they leave go one by one
     * through them again (the running maximum may have risen since) and on. */
    const size_t wb = (SEG - 1 + keep) / SEG + 1;
    const tpm_v4l nosign = (tpm_v4l){ 0 } + 0x7fffffffffffffffLL;
    size_t s = 0;
    for (; (s / SEG + 4) + wb - 1 <= nb && s + 4 * SEG <= n; s += 4 * SEG) {
        const size_t b0 = s / SEG;
        tpm_v4f h, l;
        memcpy(&h, bmx + b0, sizeof h);
        memcpy(&l, bmn + b0, sizeof l);
        for (size_t w = 1; w < wb; w++) {
            tpm_v4f u, v;
            memcpy(&u, bmx + b0 + w, sizeof u);
            memcpy(&v, bmn + b0 + w, sizeof v);
            TPM_PICK4(h, h, u, >);
            TPM_PICK4(l, l, v, <);
        }
        const tpm_v4d mx = { h[0], h[1], h[2], h[3] }, mn = { l[0], l[1], l[2], l[3] };
        const tpm_v4d c = (mx + mn) * 0.5, r = (mx - mn) * 0.5;
        const tpm_v4d ac = (tpm_v4d)((tpm_v4l)c & nosign);
        /* |c| + r is max(mx, -mn), exactly */
        const tpm_v4l go = ((ac + r) * m->bound_gain > peak)
                         & (ac * m->dc_gain + r * m->bound_gain > peak);
        long long t[4];
        memcpy(t, &go, sizeof t);
        if (!((t[0] | t[1]) | (t[2] | t[3])))
            continue;
        for (int j = 0; j < 4; j++)
            if (t[j])
                peak = segment_peak(isa, m, buf, s + (size_t)j * SEG, SEG, keep, peak);
    }
    for (; s < n; s += SEG)
        peak = segment_peak(isa, m, buf, s, n - s < SEG ? n - s : SEG, keep, peak);
    return peak;
}

#if TPM_DISPATCH
static TPM_TARGET_V4 double chunk_peak_v4(lathe_truepeak_meter *m, const float *buf, size_t n,
                                          double peak)
{
    return chunk_peak(TPM_ISA_V4, m, buf, n, peak);
}

static TPM_TARGET_AVX2 double chunk_peak_avx2(lathe_truepeak_meter *m, const float *buf,
                                              size_t n, double peak)
{
    return chunk_peak(TPM_ISA_AVX2, m, buf, n, peak);
}
#endif

static double chunk_peak_base(lathe_truepeak_meter *m, const float *buf, size_t n, double peak)
{
    return chunk_peak(TPM_ISA_BASE, m, buf, n, peak);
}

void lathe_truepeak_process(lathe_truepeak_meter *m, const float *const *ch, size_t frames)
{
    const size_t keep = (size_t)(m->phase_taps - 1);
    for (int c = 0; c < m->channels; c++) {
        float *buf = m->hist[c];
        double peak = m->peak[c];
        for (size_t off = 0; off < frames; off += CHUNK) {
            size_t n = frames - off < CHUNK ? frames - off : CHUNK;
            memcpy(buf + keep, ch[c] + off, sizeof(float) * n);
#if TPM_DISPATCH
            if (m->isa == TPM_ISA_V4)
                peak = chunk_peak_v4(m, buf, n, peak);
            else if (m->isa == TPM_ISA_AVX2)
                peak = chunk_peak_avx2(m, buf, n, peak);
            else
#endif
                peak = chunk_peak_base(m, buf, n, peak);
            memmove(buf, buf + n, sizeof(float) * keep);
        }
        m->peak[c] = peak;
    }
}

int lathe_truepeak_select_isa(lathe_truepeak_meter *m, int isa)
{
    int have = TPM_ISA_BASE;
#if TPM_DISPATCH
    __builtin_cpu_init();
    have = __builtin_cpu_supports("x86-64-v4") ? TPM_ISA_V4
         : __builtin_cpu_supports("avx2") ? TPM_ISA_AVX2 : TPM_ISA_BASE;
#endif
    m->isa = isa < TPM_ISA_BASE ? TPM_ISA_BASE : isa > have ? have : isa;
    return m->isa;
}

double lathe_truepeak_get(const lathe_truepeak_meter *m, int c)
{
    return m->peak[c];
}

void lathe_truepeak_destroy(lathe_truepeak_meter *m)
{
    if (!m)
        return;
    for (int c = 0; c < 8; c++)
        free(m->hist[c]);
    free(m);
}
