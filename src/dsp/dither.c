/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Word-length reduction: TPDF dither, F-weighted error-feedback noise shaping,
 * rounding and clipping, from a seeded deterministic generator.
 *
 * Quantiser model (all in LSBs of the W-bit word, 1 LSB = 2^-(W-1) of full scale):
 *   v[n] = x[n] * 2^(W-1) - sum_k h[k] e[n-1-k]      (error feedback, shaped only)
 *   q[n] = round(v[n] + d[n])                         (d: TPDF in (-1, 1) LSB)
 *   e[n] = q[n] - v[n]                                (total error, dither included)
 * so q = x + NTF(z) e with NTF(z) = 1 - sum_k h[k] z^-(k+1). With TPDF dither the
 * error is white with power 1/12 + 1/6 = 1/4 LSB^2 whatever the signal (R. A.
 * Wannamaker, S. P. Lipshitz, J. Vanderkooy, J. N. Wright, "A Theory of Non-Subtractive
 * Dither", IEEE Trans. Signal Processing 48(2), 2000), and the shaped noise spectrum is
 * that power times |NTF|^2. The error is taken before clipping, so a clipped sample
 * never feeds a huge error back into the loop. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/dither.h"
#include "dsp/simd.h"

/* 9-tap F-weighted noise-shaping filter for 44.1 kHz: R. A. Wannamaker,
 * "Psychoacoustically Optimal Noise Shaping", J. Audio Eng. Soc. 40(7/8), 1992
 * (after S. P. Lipshitz, J. Vanderkooy, R. A. Wannamaker, "Minimally Audible Noise
 * Shaping", JAES 39(11), 1991). Its NTF is minimum phase (mean log|NTF| = 0): -12 dB
 * at DC, -25 dB near 3 kHz where hearing is most sensitive, +27 dB at 22 kHz. */
static const double fweighted_44k[9] = {
    2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847
};
#define FW_RATE_HZ 44100.0

/* --- random numbers: xoshiro256** (D. Blackman, S. Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 47(4), 2021), seeded by SplitMix64. */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Four generators side by side, one per vector lane (GCC/Clang vector extensions:
 * lane-wise integer and IEEE operations, the same on every ISA). */
typedef uint64_t dv4u __attribute__((vector_size(32)));
typedef double dv4d __attribute__((vector_size(32)));

#define ROTL4(x, k) (((x) << (k)) | ((x) >> (64 - (k))))

/* The hot loops are compiled for AVX-512 (x86-64-v4: one-instruction 64-bit rotations),
 * AVX2 and the baseline ISA, picked at load time; integer and exactly rounded IEEE
 * operations only, so every clone gives the same bits (tests/dsp/clones.sh). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define DITHER_HOT __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define DITHER_HOT
#endif

/* 1.5 * 2^36, where doubles are 2^-16 apart: an integer K (|K| < 2^51; here < 2^16)
 * added to its bit pattern gives the double 1.5 * 2^36 + K 2^-16, and subtracting
 * 1.5 * 2^36 leaves K 2^-16 exactly. So converting to double and scaling by 2^-16 take
 * one integer addition and one subtraction of doubles. */
#define TPDF_BIAS 0x1.8p36
#define TPDF_BIAS_BITS 0x4238000000000000ull

/* The four generators of a channel, held in registers while a run is drawn. */
typedef struct xo4 {
    dv4u s0, s1, s2, s3;
} xo4;

static inline __attribute__((always_inline)) void xo4_load(xo4 *g, const lathe_dither_channel *ch)
{
    memcpy(&g->s0, ch->rng[0], sizeof g->s0);
    memcpy(&g->s1, ch->rng[1], sizeof g->s1);
    memcpy(&g->s2, ch->rng[2], sizeof g->s2);
    memcpy(&g->s3, ch->rng[3], sizeof g->s3);
}

static inline __attribute__((always_inline)) void xo4_store(const xo4 *g, lathe_dither_channel *ch)
{
    memcpy(ch->rng[0], &g->s0, sizeof g->s0);
    memcpy(ch->rng[1], &g->s1, sizeof g->s1);
    memcpy(ch->rng[2], &g->s2, sizeof g->s2);
    memcpy(ch->rng[3], &g->s3, sizeof g->s3);
}

/* Eight TPDF values on (-1, 1) LSB, two per generator: each the difference of two
 * independent uniforms of 16 bits, the four 16-bit quarters of one xoshiro256** draw
 * (uniform over 65536 levels that divide the LSB evenly: as good as continuous for the
 * error's independence from the signal; Wannamaker et al., 2000). Mean exactly 0,
 * variance 1/6 LSB^2 (less 2^-32). A sample's value is lanes 0-3 of the low halves
 * (quarter 0 - quarter 1), then of the high halves (quarter 2 - quarter 3), draw after
 * draw. */
static inline __attribute__((always_inline)) void tpdf8(xo4 *g, double *out)
{
    dv4u s0 = g->s0, s1 = g->s1, s2 = g->s2, s3 = g->s3;
    const dv4u x5 = (s1 << 2) + s1, r7 = ROTL4(x5, 7), result = (r7 << 3) + r7;
    const dv4u t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = ROTL4(s3, 45);
    g->s0 = s0;
    g->s1 = s1;
    g->s2 = s2;
    g->s3 = s3;
    /* the differences of 16-bit quarters (wrapping 64-bit arithmetic) added to the bias
     * pattern, read as doubles */
    const dv4u lo = (result & 0xFFFFu) + TPDF_BIAS_BITS - ((result >> 16) & 0xFFFFu);
    const dv4u hi = ((result >> 32) & 0xFFFFu) + TPDF_BIAS_BITS - (result >> 48);
    dv4d a, b;
    memcpy(&a, &lo, sizeof a);
    memcpy(&b, &hi, sizeof b);
    a -= TPDF_BIAS;
    b -= TPDF_BIAS;
    memcpy(out, &a, sizeof a);
    memcpy(out + 4, &b, sizeof b);
}

/* The channel's next TPDF value. */
static inline double tpdf(lathe_dither_channel *ch)
{
    if (!ch->npend) {
        xo4 g;
        xo4_load(&g, ch);
        tpdf8(&g, ch->pend);
        xo4_store(&g, ch);
        ch->npend = 8;
    }
    return ch->pend[8 - ch->npend--];
}

/* The channel's next N TPDF values into OUT. */
static inline __attribute__((always_inline)) void tpdf_fill(lathe_dither_channel *ch, double *out,
                                                            size_t n)
{
    size_t i = 0;
    for (; i < n && ch->npend; i++)
        out[i] = ch->pend[8 - ch->npend--];
    if (i + 8 <= n) {
        xo4 g;
        xo4_load(&g, ch);
        for (; i + 8 <= n; i += 8)
            tpdf8(&g, out + i);
        xo4_store(&g, ch);
    }
    for (; i < n; i++)
        out[i] = tpdf(ch);
}

/* --- shaper design --------------------------------------------------------- */

double lathe_dither_ntf_db(const double *h, int taps, double freq_hz, double rate_hz)
{
    double w = 2.0 * M_PI * freq_hz / rate_hz, re = 1.0, im = 0.0;
    for (int k = 0; k < taps; k++) {
        re -= h[k] * cos(w * (k + 1));
        im += h[k] * sin(w * (k + 1));
    }
    return 10.0 * log10(re * re + im * im);
}

/* In-place radix-2 complex FFT of N (a power of two) points; SIGN -1 forward,
 * +1 inverse (unscaled). */
static void fft(double *re, double *im, int n, int sign)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double a = sign * 2.0 * M_PI / len;
        for (int k = 0; k < len / 2; k++) {
            double wr = cos(a * k), wi = sin(a * k);
            for (int i = k; i < n; i += len) {
                int j = i + len / 2;
                double xr = re[j] * wr - im[j] * wi, xi = re[j] * wi + im[j] * wr;
                re[j] = re[i] - xr;
                im[j] = im[i] - xi;
                re[i] += xr;
                im[i] += xi;
            }
        }
    }
}

#define DESIGN_N 8192   /* frequency grid of the design (cepstral aliasing < 1e-6) */

/* For rates other than 44.1 kHz the same noise spectrum in Hz is kept: the target
 * |NTF| is the 44.1 kHz F-weighted curve at each frequency up to 22.05 kHz, held at its
 * 22.05 kHz value (+27 dB) above. The minimum-phase filter with leading tap 1 whose
 * magnitude follows that curve is found by the real cepstrum (A. V. Oppenheim,
 * R. W. Schafer, "Discrete-Time Signal Processing", 3rd ed., sec. 13.5.1): fold the
 * cepstrum of log|T| onto positive quefrencies, exponentiate. Dropping the cepstrum's
 * zeroth term scales the curve so that its mean log is 0, which the Gerzon-Craven
 * theorem says a realisable error-feedback loop must have (M. A. Gerzon, P. G. Craven,
 * "Optimal Noise Shaping and Dither of Digital Signals", AES 87th conv., 1989): at high
 * rates the whole curve moves down as noise is pushed above 20 kHz (-14.6 dB at
 * 96 kHz). The impulse response is then cut to 24 taps per 44.1 kHz of rate (at most
 * 128), which follows the target within 0.3 dB below 20 kHz. */
int lathe_dither_shaper_design(double rate_hz, double *h)
{
    double *re, *im;
    int taps;

    if (!(rate_hz >= FW_RATE_HZ))
        return 0;
    if (rate_hz == FW_RATE_HZ) {
        memcpy(h, fweighted_44k, sizeof fweighted_44k);
        return 9;
    }
    taps = (int)ceil(24.0 * rate_hz / FW_RATE_HZ);
    if (taps > LATHE_DITHER_MAX_TAPS)
        taps = LATHE_DITHER_MAX_TAPS;
    re = calloc(2 * DESIGN_N, sizeof *re);
    if (!re) {
        /* Out of memory at setup: fall back to the 44.1 kHz filter as is. */
        memcpy(h, fweighted_44k, sizeof fweighted_44k);
        return 9;
    }
    im = re + DESIGN_N;
    for (int k = 0; k < DESIGN_N; k++) {
        int kk = k <= DESIGN_N / 2 ? k : DESIGN_N - k;
        double f = rate_hz * kk / DESIGN_N;
        if (f > FW_RATE_HZ / 2)
            f = FW_RATE_HZ / 2;
        /* ln|T| from the 44.1 kHz filter's |NTF| in dB */
        re[k] = lathe_dither_ntf_db(fweighted_44k, 9, f, FW_RATE_HZ) * (M_LN10 / 20.0);
        im[k] = 0.0;
    }
    fft(re, im, DESIGN_N, +1);                       /* real cepstrum (times N) */
    for (int n = 0; n < DESIGN_N; n++) {
        double c = re[n] / DESIGN_N;
        if (n == 0)
            c = 0.0;                                 /* mean log |NTF| = 0 */
        else if (n < DESIGN_N / 2)
            c *= 2.0;                                /* fold to a causal cepstrum */
        else if (n > DESIGN_N / 2)
            c = 0.0;
        re[n] = c;
        im[n] = 0.0;
    }
    fft(re, im, DESIGN_N, -1);                       /* log spectrum of the min-phase NTF */
    for (int k = 0; k < DESIGN_N; k++) {
        double m = exp(re[k]);
        double ph = im[k];
        re[k] = m * cos(ph);
        im[k] = m * sin(ph);
    }
    fft(re, im, DESIGN_N, +1);                       /* impulse response, re[0] = N */
    for (int k = 0; k < taps; k++)
        h[k] = -re[k + 1] / DESIGN_N;
    free(re);
    return taps;
}

/* --- the quantiser --------------------------------------------------------- */

static void seed_channel(lathe_dither_channel *ch, uint64_t seed, int c)
{
    /* Independent streams: SplitMix64 seeded from (seed, channel) fills the state. */
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(c + 1));
    for (int lane = 0; lane < 4; lane++)
        for (int i = 0; i < 4; i++)
            ch->rng[i][lane] = splitmix64(&s);
    ch->npend = 0;
    memset(ch->err, 0, sizeof ch->err);
    ch->pos = 0;
}

lathe_status lathe_dither_init(lathe_dither *d, lathe_dither_type type, int bits, double rate_hz,
                               int channels, uint64_t seed)
{
    if (!d || bits < 2 || bits > 32 || channels < 1 || channels > LATHE_MAX_CHANNELS
        || !(rate_hz > 0.0) || (type != LATHE_DITHER_NONE && type != LATHE_DITHER_TPDF
                                && type != LATHE_DITHER_SHAPED))
        return LATHE_ERR_INVALID_ARGUMENT;
    memset(d, 0, sizeof *d);
    d->type = type;
    d->bits = bits;
    d->channels = channels;
    d->scale = ldexp(1.0, bits - 1);
    d->lo = -d->scale;
    d->hi = d->scale - 1.0;
    d->seed = seed;
    {
        /* the largest float magnitude that cannot clip whatever the dither draws:
         * |x 2^(W-1)| <= hi - 1 keeps x 2^(W-1) + d + 0.5 (|d| < 1) within
         * (lo, hi + 1) through both roundings, so the floor lies in [lo, hi] */
        const double t = (d->hi - 1.0) / d->scale;
        float tf = (float)t;
        if ((double)tf > t)
            tf = nextafterf(tf, 0.0f);
        memcpy(&d->safe_bits, &tf, sizeof d->safe_bits);
    }
    if (type == LATHE_DITHER_SHAPED) {
        d->taps = lathe_dither_shaper_design(rate_hz, d->h);
        if (d->taps == 0)
            d->type = LATHE_DITHER_TPDF;   /* below 44.1 kHz: no inaudible band to use */
    }
    lathe_dither_reset(d);
    return LATHE_OK;
}

void lathe_dither_reset(lathe_dither *d)
{
    for (int c = 0; c < d->channels; c++)
        seed_channel(&d->ch[c], d->seed, c);
    d->clipped = 0;
}

/* The TPDF quantiser without shaping (the common case), the same arithmetic as the
 * general loop below: the random values drawn first (the generator is serial), then
 * loops the compiler can vectorise. A run of samples whose magnitudes are all at most
 * SAFE (the bit pattern of a float: for non-negative floats the patterns order as the
 * values, and NaN and Inf come above every finite value) can neither clip nor be
 * non-finite, so it is rounded without the clamp and the checks; any other run takes
 * the loop with them. OUT[i * STRIDE] receives the words. Returns the number of
 * samples clipped. */
DITHER_HOT static int64_t run_tpdf(lathe_dither_channel *ch, const float *in, int32_t *out,
                                   size_t stride, size_t n, double scale, double lo, double hi,
                                   int32_t safe)
{
    enum { RUN = 256 };
    double dv[RUN];
    int32_t qv[RUN];
    int64_t clipped = 0;
    for (size_t b = 0; b < n; b += RUN) {
        const size_t m = n - b < RUN ? n - b : RUN;
        const float *x = in + b;
        int32_t *o = stride == 1 ? out + b : qv;
        int32_t big = 0;
        tpdf_fill(ch, dv, m);
        for (size_t i = 0; i < m; i++) {
            int32_t u;
            memcpy(&u, x + i, sizeof u);
            u &= 0x7FFFFFFF;                            /* |x[i]|'s pattern */
            big = u > big ? u : big;
            const float xs = u <= safe ? x[i] : 0.0f;  /* (a run with others is redone) */
            o[i] = (int32_t)floor((double)xs * scale + dv[i] + 0.5);
        }
        if (big > safe) {
            int64_t clip = 0;
            for (size_t i = 0; i < m; i++) {
                double v = x[i];
                v = fabs(v) <= DBL_MAX ? v : 0.0;       /* NaN and Inf count as 0 */
                double q = floor(v * scale + dv[i] + 0.5);
                clip += (int64_t)(q < lo) + (int64_t)(q > hi);
                q = q < lo ? lo : q > hi ? hi : q;
                o[i] = (int32_t)q;
            }
            clipped += clip;
        }
        if (o == qv)
            for (size_t i = 0; i < m; i++)
                out[(b + i) * stride] = qv[i];
    }
    return clipped;
}

void lathe_dither_run(lathe_dither *d, int c, const float *in, int32_t *out, size_t stride,
                      size_t n)
{
    lathe_dither_channel *ch = &d->ch[c];
    const double scale = d->scale, lo = d->lo, hi = d->hi;
    const int taps = d->taps;
    int64_t clipped = 0;

    if (d->type == LATHE_DITHER_TPDF && !taps) {
        d->clipped += run_tpdf(ch, in, out, stride, n, scale, lo, hi, d->safe_bits);
        return;
    }

    for (size_t i = 0; i < n; i++) {
        double x = in[i];
        double v, q;
        if (!isfinite(x))
            x = 0.0;
        v = x * scale;
        if (taps) {
            const double *e = ch->err + ch->pos;
            double acc = 0.0;
            for (int k = 0; k < taps; k++)
                acc += d->h[k] * e[k];
            v -= acc;
        }
        if (d->type == LATHE_DITHER_NONE)
            q = rint(v);                 /* round half to even: no bias on exact halves */
        else
            q = floor(v + tpdf(ch) + 0.5);
        if (taps) {
            ch->pos = ch->pos ? ch->pos - 1 : taps - 1;
            ch->err[ch->pos] = ch->err[ch->pos + taps] = q - v;
        }
        if (q < lo) {
            q = lo;
            clipped++;
        } else if (q > hi) {
            q = hi;
            clipped++;
        }
        out[i * stride] = (int32_t)q;
    }
    d->clipped += clipped;
}
