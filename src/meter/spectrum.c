/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Long-term power spectrum by Welch's method (Hann window, frames without overlap, FFTW),
 * reduced to IEC 61260 base-10 1/3-octave bands.
 *
 * Normalisation: one-sided P[k] = 2 |X[k]|^2 / (N sum w^2) (DC and Nyquist without
 * the 2), so that sum_k P[k] is the mean square of the signal; a sine of amplitude A
 * puts A^2/2 into its band. A band's power is the integral of P over [fc 10^-0.05,
 * fc 10^0.05], each bin weighted by the fraction of its width inside the band, so
 * narrow low bands still get their share of a bin.
 *
 * Frame length N: the power of two nearest rate/5 (8192 at 44.1/48 kHz, 5.4-5.9 Hz
 * bins). Frames that do not fill N at the end are zero-padded only when the stream
 * held no complete frame.
 *
 * The real transform of N samples is a complex one of N/2 (FFTW, the even samples as
 * real and the odd ones as imaginary parts) recombined into X[k] = E[k] + e^{-2 pi i k/N}
 * O[k], E and O the transforms of the even and odd samples (the textbook "real FFT via a
 * half-length complex FFT": W. H. Press et al., Numerical Recipes, 2nd ed., sec. 12.3;
 * E. O. Brigham, The Fast Fourier Transform, 1974, sec. 10-10), in single precision like
 * the transform, |X|^2 summed over frames in double. FFTW's estimated plan for the real
 * transform of 8192 does the same (the complex 4096, then a radix-2 recombination), but
 * its SIMD recombination takes longer than the complex transform itself: 18.6 us against
 * 8 + 1.4 us here (Sapphire Rapids, AVX2). Both plans are made without timing
 * (FFTW_ESTIMATE), so the figures are the same from run to run; against the real plan
 * they differ in the last bits (band powers by < 3e-8 relative). The window is applied
 * as the samples arrive, straight into each stream's transform input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "dsp/simd.h"
#include "meter/spectrum.h"

struct lathe_spectrum_meter {
    int rate, channels, stereo_ms, nfft, half, nbins;
    int include[8];
    int streams;                /* transforms per frame */
    float *window;
    float *in[8];               /* per stream: this frame's windowed samples (nfft), read as
                                   half complex values by the transform */
    int fill;                   /* samples in in[] */
    fftwf_complex *out;         /* half values: the complex transform */
    float *twr, *twi;           /* half/2: cos, -sin (2 pi k / nfft) */
    float *q;                   /* nbins: one stream's |X[k]|^2 this frame */
    int wide;                   /* 1: the AVX2 recombination (split8) */
    fftwf_plan plan;
    double *power[8];           /* accumulated P[k] per stream */
    double frames_done;
    double wnorm;               /* N * sum w^2 */
    int padded;                 /* the short-stream frame has been analysed */
    /* optional per-frame tracking of narrow bands (lathe_spectrum_track) */
    double *cur;                /* nbins: this frame's power, summed over the streams */
    int tn;                     /* tracked bands, 0: off */
    double *tdb, *tcount, *tcum;
    int *trange;                /* per band: neighbours [r0, r1) without its own [e0, e1) */
    int *tk0;                   /* per band: its first bin with weight */
    int *tw0;                   /* per band + 1: where its weights start in tw */
    double *tw;                 /* the bins' overlaps with the bands, Hz (as band_power has them) */
    double texcess_db, tenv_oct, tframes;
};

double lathe_third_octave_centre(int band)
{
    return 1000.0 * pow(10.0, (band - 17) / 10.0);
}

static int nearest_pow2(double x)
{
    int n = 256;
    while (n * 2 <= 65536 && fabs(log2(n * 2) - log2(x)) < fabs(log2(n) - log2(x)))
        n *= 2;
    return n;
}

/* Vectors of 4 and 8 floats; the "u" types sit at any float's address and alias floats
 * (loads and stores of the FFT output and the powers). */
typedef float sp_v4f __attribute__((vector_size(16)));
typedef float sp_v4u __attribute__((vector_size(16), aligned(4), may_alias));
typedef int sp_v4i __attribute__((vector_size(16)));
typedef float sp_v8f __attribute__((vector_size(32)));
typedef float sp_v8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int sp_v8i __attribute__((vector_size(32)));
#if defined(__clang__)
#define SP_SHUF4(a, b, i0, i1, i2, i3) __builtin_shufflevector((a), (b), i0, i1, i2, i3)
#define SP_SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7)                                   \
    __builtin_shufflevector((a), (b), i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SP_SHUF4(a, b, i0, i1, i2, i3) __builtin_shuffle((a), (b), (sp_v4i){ i0, i1, i2, i3 })
#define SP_SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7)                                   \
    __builtin_shuffle((a), (b), (sp_v8i){ i0, i1, i2, i3, i4, i5, i6, i7 })
#endif

/* The recombination of real_power for the pair k, half - k: with Z = Z[k], M = Z[half-k],
 * 2E = Z + M*, 2O = -i (Z - M*), 2T = W^k 2O, and |X[k]|^2 = |2E + 2T|^2 / 4,
 * |X[half-k]|^2 = |2E - 2T|^2 / 4. Written three times with the same operations in the
 * same order per lane (scalar, 4 and 8 lanes), so every path gives the same bits. */
static inline void power_pair(const float *restrict z, const float *restrict wr,
                              const float *restrict wi, float *restrict q, int h, int k)
{
    const float zr = z[2 * k], zi = z[2 * k + 1], mr = z[2 * (h - k)], mi = z[2 * (h - k) + 1];
    const float er = zr + mr, ei = zi - mi;            /* 2 E[k] */
    const float or_ = zi + mi, oi = mr - zr;           /* 2 O[k] */
    const float tr = wr[k] * or_ - wi[k] * oi;         /* 2 W^k O[k] */
    const float ti = wr[k] * oi + wi[k] * or_;
    const float ar = er + tr, ai = ei + ti, br = er - tr, bi = ei - ti;
    q[k] = 0.25f * (ar * ar + ai * ai);
    q[h - k] = 0.25f * (br * br + bi * bi);
}

/* Pairs k = 4 .. half/2 - 1, four at a time: Z[k .. k+3] and Z[h-k-3 .. h-k], the latter
 * reversed by the shuffles (any x86-64: SSE2). */
static void split4(const float *restrict z, const float *restrict wr, const float *restrict wi,
                   float *restrict q, int h)
{
    for (int k = 4; k < h / 2; k += 4) {
        const sp_v4f a0 = *(const sp_v4u *)(z + 2 * k), a1 = *(const sp_v4u *)(z + 2 * k + 4);
        const sp_v4f b0 = *(const sp_v4u *)(z + 2 * (h - k - 3));
        const sp_v4f b1 = *(const sp_v4u *)(z + 2 * (h - k - 3) + 4);
        const sp_v4f zr = SP_SHUF4(a0, a1, 0, 2, 4, 6), zi = SP_SHUF4(a0, a1, 1, 3, 5, 7);
        const sp_v4f mr = SP_SHUF4(b0, b1, 6, 4, 2, 0), mi = SP_SHUF4(b0, b1, 7, 5, 3, 1);
        const sp_v4f c = *(const sp_v4u *)(wr + k), d = *(const sp_v4u *)(wi + k);
        const sp_v4f er = zr + mr, ei = zi - mi, or_ = zi + mi, oi = mr - zr;
        const sp_v4f tr = c * or_ - d * oi, ti = c * oi + d * or_;
        const sp_v4f ar = er + tr, ai = ei + ti, br = er - tr, bi = ei - ti;
        const sp_v4f lo = 0.25f * (ar * ar + ai * ai), hi = 0.25f * (br * br + bi * bi);
        *(sp_v4u *)(q + k) = lo;
        *(sp_v4u *)(q + h - k - 3) = SP_SHUF4(hi, hi, 3, 2, 1, 0);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
/* The same eight at a time, for AVX2: 1.4 us per recombination of 4096 against 2.0 for
 * split4 (Sapphire Rapids). Not for the baseline: without AVX GCC splits the 8-lane
 * shuffles into scalar code, ten times slower than split4. */
#define SP_WIDE 1
static __attribute__((target("avx2"))) void split8(const float *restrict z,
                                                   const float *restrict wr,
                                                   const float *restrict wi, float *restrict q,
                                                   int h)
{
    for (int k = 4; k < 8; k++)
        power_pair(z, wr, wi, q, h, k);
    for (int k = 8; k < h / 2; k += 8) {
        const sp_v8f a0 = *(const sp_v8u *)(z + 2 * k), a1 = *(const sp_v8u *)(z + 2 * k + 8);
        const sp_v8f b0 = *(const sp_v8u *)(z + 2 * (h - k - 7));
        const sp_v8f b1 = *(const sp_v8u *)(z + 2 * (h - k - 7) + 8);
        const sp_v8f zr = SP_SHUF8(a0, a1, 0, 2, 4, 6, 8, 10, 12, 14);
        const sp_v8f zi = SP_SHUF8(a0, a1, 1, 3, 5, 7, 9, 11, 13, 15);
        const sp_v8f mr = SP_SHUF8(b0, b1, 14, 12, 10, 8, 6, 4, 2, 0);
        const sp_v8f mi = SP_SHUF8(b0, b1, 15, 13, 11, 9, 7, 5, 3, 1);
        const sp_v8f c = *(const sp_v8u *)(wr + k), d = *(const sp_v8u *)(wi + k);
        const sp_v8f er = zr + mr, ei = zi - mi, or_ = zi + mi, oi = mr - zr;
        const sp_v8f tr = c * or_ - d * oi, ti = c * oi + d * or_;
        const sp_v8f ar = er + tr, ai = ei + ti, br = er - tr, bi = ei - ti;
        const sp_v8f lo = 0.25f * (ar * ar + ai * ai), hi = 0.25f * (br * br + bi * bi);
        *(sp_v8u *)(q + k) = lo;
        *(sp_v8u *)(q + h - k - 7) = SP_SHUF8(hi, hi, 7, 6, 5, 4, 3, 2, 1, 0);
    }
}

static int have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}
#else
#define SP_WIDE 0
#endif

/* |X[k]|^2 for k = 0 .. half of the real transform X of stream S's windowed frame, into
 * m->q. The complex transform Z of z[n] = x[2n] + i x[2n+1] (n < half) gives the
 * transforms of the even and odd samples, E[k] = (Z[k] + Z*[half-k]) / 2 and
 * O[k] = (Z[k] - Z*[half-k]) / 2i, and X[k] = E[k] + W^k O[k], W = e^{-2 pi i/nfft};
 * E and O are Hermitian and W^(half-k) = -conj(W^k), so one twiddle serves both k and
 * half - k: X[half-k] = conj(E[k] - W^k O[k]) (power_pair). Single precision like the
 * transform (FFTW's own real transforms finish the same way in float). */
static void real_power(const lathe_spectrum_meter *m, int s)
{
    fftwf_execute_dft(m->plan, (fftwf_complex *)m->in[s], m->out);
    const float *restrict z = (const float *)m->out;
    const float *restrict wr = m->twr, *restrict wi = m->twi;
    float *restrict q = m->q;
    const int h = m->half;              /* >= 128, so h / 2 is a multiple of 8 */
    q[0] = (z[0] + z[1]) * (z[0] + z[1]);  /* E[0] = Re Z[0], O[0] = Im Z[0] */
    q[h] = (z[0] - z[1]) * (z[0] - z[1]);
    q[h / 2] = z[h] * z[h] + z[h + 1] * z[h + 1];  /* X[half/2] = conj(Z[half/2]) */
    for (int k = 1; k < 4; k++)
        power_pair(z, wr, wi, q, h, k);
#if SP_WIDE
    if (m->wide) {
        split8(z, wr, wi, q, h);
        return;
    }
#endif
    split4(z, wr, wi, q, h);
}

lathe_status lathe_spectrum_create(int rate_hz, int channels, int stereo_ms, const int *include,
                                   lathe_spectrum_meter **out)
{
    lathe_spectrum_meter *m;

    *out = NULL;
    if (channels < 1 || channels > 8 || rate_hz <= 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    m = calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NO_MEMORY;
    m->rate = rate_hz;
    m->channels = channels;
    m->stereo_ms = stereo_ms && channels == 2;
    m->nfft = nearest_pow2(rate_hz / 5.0);
    m->half = m->nfft / 2;
    m->nbins = m->half + 1;
    m->streams = channels;
    for (int c = 0; c < channels; c++)
        m->include[c] = include ? include[c] : 1;
    m->window = malloc(sizeof(float) * (size_t)m->nfft);
    m->out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)m->half);
    m->twr = malloc(sizeof(float) * (size_t)(m->half / 2));
    m->twi = malloc(sizeof(float) * (size_t)(m->half / 2));
    m->q = malloc(sizeof(float) * (size_t)m->nbins);
    if (!m->window || !m->out || !m->twr || !m->twi || !m->q)
        goto nomem;
    for (int s = 0; s < m->streams; s++) {
        /* fftwf_malloc: every in[] has the alignment the plan was made for */
        m->in[s] = fftwf_malloc(sizeof(float) * (size_t)m->nfft);
        m->power[s] = calloc((size_t)m->nbins, sizeof(double));
        if (!m->in[s] || !m->power[s])
            goto nomem;
        memset(m->in[s], 0, sizeof(float) * (size_t)m->nfft);
    }
    double sw2 = 0.0;
    for (int i = 0; i < m->nfft; i++) {
        double w = 0.5 * (1.0 - cos(2.0 * M_PI * i / m->nfft)); /* periodic Hann */
        m->window[i] = (float)w;
        sw2 += w * w;
    }
    m->wnorm = (double)m->nfft * sw2;
#if SP_WIDE
    m->wide = have_avx2();
#endif
    for (int k = 0; k < m->half / 2; k++) {
        m->twr[k] = (float)cos(2.0 * M_PI * k / m->nfft);
        m->twi[k] = (float)-sin(2.0 * M_PI * k / m->nfft);
    }
    /* FFTW's planner keeps global state and is not thread-safe; creation is [control]. */
    m->plan = fftwf_plan_dft_1d(m->half, (fftwf_complex *)m->in[0], m->out, FFTW_FORWARD,
                                FFTW_ESTIMATE);
    if (!m->plan)
        goto nomem;
    *out = m;
    return LATHE_OK;
nomem:
    lathe_spectrum_destroy(m);
    return LATHE_ERR_NO_MEMORY;
}

/* Stream S's frame into power[s] (times SCALE); with TRACK also into cur: 1 sets cur
 * (the frame's first stream), 2 adds to it. */
LATHE_HOT static void transform(lathe_spectrum_meter *m, int s, double scale, int track)
{
    real_power(m, s);
    const float *restrict q = m->q;
    double *restrict p = m->power[s], *restrict c = m->cur;
    const int nb = m->nbins;
    if (track == 1) {
        for (int k = 0; k < nb; k++) {
            p[k] += scale * q[k];
            c[k] = q[k];
        }
    } else if (track == 2) {
        for (int k = 0; k < nb; k++) {
            p[k] += scale * q[k];
            c[k] += q[k];
        }
    } else {
        for (int k = 0; k < nb; k++)
            p[k] += scale * q[k];
    }
}

static double band_power(const lathe_spectrum_meter *m, const double *p, double lo, double hi);

/* Tracked band B's power in this frame: band_power over cur, with the bins and their
 * overlaps found once (lathe_spectrum_track), summed in the same order. */
static double tracked_power(const lathe_spectrum_meter *m, int b)
{
    const double df = (double)m->rate / m->nfft;
    const double *restrict p = m->cur + m->tk0[b], *restrict w = m->tw + m->tw0[b];
    const int n = m->tw0[b + 1] - m->tw0[b];
    double sum = 0.0;
    for (int j = 0; j < n; j++)
        sum += p[j] * w[j] / df;
    return sum;
}

/* Tracking: this frame's tracked band levels against the mean level of the bands
 * around them (within +-tenv_oct/2, leaving out the band's own +-1/12 octave); counts the
 * bands that stand texcess_db or more above it. Frames under -70 dB are not counted. */
static void track_frame(lathe_spectrum_meter *m)
{
    double total = 0.0;
    for (int k = 0; k < m->nbins; k++)
        total += m->cur[k];
    if (total * 2.0 / m->wnorm > 1e-7) {
        double *cum = m->tcum;          /* cum[j] = sum of tdb[0..j-1] */
        cum[0] = 0.0;
        for (int b = 0; b < m->tn; b++) {
            double pw = tracked_power(m, b);
            m->tdb[b] = pw > 1e-30 ? 10.0 * log10(pw) : -300.0;
            cum[b + 1] = cum[b] + m->tdb[b];
        }
        for (int b = 0; b < m->tn; b++) {
            const int *r = &m->trange[4 * b];   /* [r0, r1) around, minus [e0, e1) */
            int n = (r[1] - r[0]) - (r[3] - r[2]);
            double sum = (cum[r[1]] - cum[r[0]]) - (cum[r[3]] - cum[r[2]]);
            if (n > 0 && m->tdb[b] - sum / n >= m->texcess_db)
                m->tcount[b] += 1.0;
        }
        m->tframes += 1.0;
    }
}

static void analyse_frame(lathe_spectrum_meter *m, double scale)
{
    int track = m->tn ? 1 : 0;
    for (int s = 0; s < m->streams; s++) {
        if (m->stereo_ms || m->include[s]) {
            transform(m, s, scale, track);
            track = track ? 2 : 0;
        }
    }
    m->frames_done += 1.0;
    if (m->tn)
        track_frame(m);
}

LATHE_HOT void lathe_spectrum_process(lathe_spectrum_meter *m, const float *const *ch, size_t frames)
{
    size_t i = 0;
    while (i < frames) {
        size_t n = (size_t)(m->nfft - m->fill);
        if (n > frames - i)
            n = frames - i;
        const float *restrict w = m->window + m->fill;
        if (m->stereo_ms) {
            float *restrict mid = m->in[0] + m->fill, *restrict side = m->in[1] + m->fill;
            const float *restrict l = ch[0] + i, *restrict r = ch[1] + i;
            for (size_t k = 0; k < n; k++) {
                mid[k] = w[k] * (0.5f * (l[k] + r[k]));
                side[k] = w[k] * (0.5f * (l[k] - r[k]));
            }
        } else {
            for (int s = 0; s < m->streams; s++) {
                if (!m->include[s])
                    continue;
                float *restrict y = m->in[s] + m->fill;
                const float *restrict x = ch[s] + i;
                for (size_t k = 0; k < n; k++)
                    y[k] = w[k] * x[k];
            }
        }
        m->fill += (int)n;
        i += n;
        if (m->fill == m->nfft) {       /* frames without overlap: the next starts empty */
            analyse_frame(m, 1.0);
            m->fill = 0;
        }
    }
}

/* Integrates P over [lo, hi] Hz with fractional bin weights. */
static double band_power(const lathe_spectrum_meter *m, const double *p, double lo, double hi)
{
    const double df = (double)m->rate / m->nfft;
    double sum = 0.0;
    int k0 = (int)floor(lo / df + 0.5), k1 = (int)floor(hi / df + 0.5);
    if (k1 > m->nbins - 1)
        k1 = m->nbins - 1;
    for (int k = k0 < 0 ? 0 : k0; k <= k1; k++) {
        double a = (k - 0.5) * df, b = (k + 0.5) * df;
        double ov = (b < hi ? b : hi) - (a > lo ? a : lo); /* fmin, fmax (no NaN here) */
        if (ov > 0.0)
            sum += p[k] * ov / df;
    }
    return sum;
}

static double to_db(double p)
{
    return p > 0.0 ? 10.0 * log10(p) : -HUGE_VAL;
}

/* A stream shorter than one frame: zero-pad and scale to the samples present (once). */
static void pad_short(lathe_spectrum_meter *m)
{
    if (m->frames_done == 0.0 && m->fill > 0 && !m->padded) {
        for (int s = 0; s < m->streams; s++)  /* windowed zeros */
            memset(m->in[s] + m->fill, 0, sizeof(float) * (size_t)(m->nfft - m->fill));
        analyse_frame(m, (double)m->nfft / m->fill);
        m->padded = 1;
    }
}

void lathe_spectrum_result(lathe_spectrum_meter *m, double *total, double *mid, double *side)
{
    pad_short(m);
    const double norm = m->frames_done > 0.0 ? 1.0 / (m->wnorm * m->frames_done) : 0.0;
    const double nyq = m->rate / 2.0;
    int included = 0;
    for (int c = 0; c < m->channels; c++)
        included += m->include[c] != 0;
    for (int b = 0; b < LATHE_SPECTRUM_BANDS; b++) {
        double fc = lathe_third_octave_centre(b);
        double lo = fc * pow(10.0, -0.05), hi = fc * pow(10.0, 0.05);
        mid[b] = side[b] = NAN;
        if (lo >= nyq || m->frames_done == 0.0) {
            total[b] = NAN;
            continue;
        }
        double pw[8];
        for (int s = 0; s < m->streams; s++) {
            /* one-sided: double every bin but DC and Nyquist (neither is inside a band
             * that matters: 20 Hz starts above DC, and the bands end below Nyquist
             * except the top one, whose last half bin is negligible) */
            pw[s] = 2.0 * norm * band_power(m, m->power[s], lo, hi);
        }
        if (m->stereo_ms) {
            mid[b] = to_db(pw[0]);
            side[b] = to_db(pw[1]);
            total[b] = to_db(pw[0] + pw[1]); /* (|L|^2 + |R|^2) / 2 = |M|^2 + |S|^2 */
        } else {
            double sum = 0.0;
            for (int s = 0; s < m->streams; s++)
                if (m->include[s])
                    sum += pw[s];
            total[b] = included ? to_db(sum / included) : NAN;
        }
    }
}

void lathe_spectrum_bands(lathe_spectrum_meter *m, const double *lo_hz, const double *hi_hz, int n,
                          double *total, double *mid, double *side)
{
    pad_short(m);
    const double norm = m->frames_done > 0.0 ? 1.0 / (m->wnorm * m->frames_done) : 0.0;
    const double nyq = m->rate / 2.0;
    int included = 0;
    for (int c = 0; c < m->channels; c++)
        included += m->include[c] != 0;
    for (int b = 0; b < n; b++) {
        double lo = lo_hz[b], hi = hi_hz[b];
        if (total)
            total[b] = NAN;
        if (mid)
            mid[b] = NAN;
        if (side)
            side[b] = NAN;
        if (!(hi > lo) || lo >= nyq || m->frames_done == 0.0)
            continue;
        double pw[8];
        for (int s = 0; s < m->streams; s++)
            pw[s] = 2.0 * norm * band_power(m, m->power[s], lo, hi);
        if (m->stereo_ms) {
            if (mid)
                mid[b] = pw[0];
            if (side)
                side[b] = pw[1];
            if (total)
                total[b] = pw[0] + pw[1];
        } else if (total && included) {
            double sum = 0.0;
            for (int s = 0; s < m->streams; s++)
                if (m->include[s])
                    sum += pw[s];
            total[b] = sum / included;
        }
    }
}

lathe_status lathe_spectrum_track(lathe_spectrum_meter *m, const double *lo_hz, const double *hi_hz,
                                  int n, double excess_db, double env_octaves)
{
    if (m->tn || n < 1 || m->frames_done > 0.0 || m->fill > 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    const double df = (double)m->rate / m->nfft;
    size_t nw = 0;
    for (int b = 0; b < n; b++) {
        /* bins [k0, k1] as band_power takes them (a bin outside gets no weight) */
        int k0 = (int)floor(lo_hz[b] / df + 0.5), k1 = (int)floor(hi_hz[b] / df + 0.5);
        k0 = k0 < 0 ? 0 : k0;
        k1 = k1 > m->nbins - 1 ? m->nbins - 1 : k1;
        nw += k1 >= k0 ? (size_t)(k1 - k0 + 1) : 0;
    }
    m->cur = calloc((size_t)m->nbins, sizeof(double));
    m->tdb = malloc(sizeof(double) * (size_t)n);
    m->tcum = malloc(sizeof(double) * (size_t)(n + 1));
    m->tcount = calloc((size_t)n, sizeof(double));
    m->trange = malloc(sizeof(int) * 4 * (size_t)n);
    m->tk0 = malloc(sizeof(int) * (size_t)n);
    m->tw0 = malloc(sizeof(int) * (size_t)(n + 1));
    m->tw = malloc(sizeof(double) * (nw ? nw : 1));
    if (!m->cur || !m->tdb || !m->tcum || !m->tcount || !m->trange || !m->tk0 || !m->tw0 || !m->tw)
        return LATHE_ERR_NO_MEMORY;
    int at = 0;
    for (int b = 0; b < n; b++) {
        const double lo = lo_hz[b], hi = hi_hz[b];
        int k0 = (int)floor(lo / df + 0.5), k1 = (int)floor(hi / df + 0.5);
        if (k1 > m->nbins - 1)
            k1 = m->nbins - 1;
        m->tk0[b] = -1;
        m->tw0[b] = at;
        for (int k = k0 < 0 ? 0 : k0; k <= k1; k++) {
            double a = (k - 0.5) * df, e = (k + 0.5) * df;
            double ov = (e < hi ? e : hi) - (a > lo ? a : lo);
            if (ov > 0.0) {         /* consecutive: only the end bins can have none */
                if (m->tk0[b] < 0)
                    m->tk0[b] = k;
                m->tw[at++] = ov;
            }
        }
        if (m->tk0[b] < 0)
            m->tk0[b] = 0;
    }
    m->tw0[n] = at;
    /* the bands' centres in octaves (tdb is free until the first frame) */
    double *lc = m->tdb;
    for (int j = 0; j < n; j++)
        lc[j] = 0.5 * log2(lo_hz[j] * hi_hz[j]);
    for (int b = 0; b < n; b++) {
        /* bands rise in frequency: the neighbourhoods are index ranges */
        const double lb = lc[b];
        int *r = &m->trange[4 * b];
        r[0] = r[2] = b;
        r[1] = r[3] = b + 1;
        for (int j = 0; j < n; j++) {
            double d = fabs(lc[j] - lb);
            if (d <= 0.5 * env_octaves) {
                r[0] = j < r[0] ? j : r[0];
                r[1] = j + 1 > r[1] ? j + 1 : r[1];
            }
            if (d <= 1.0 / 12.0 + 1e-9) {
                r[2] = j < r[2] ? j : r[2];
                r[3] = j + 1 > r[3] ? j + 1 : r[3];
            }
        }
    }
    m->texcess_db = excess_db;
    m->tenv_oct = env_octaves;
    m->tn = n;
    return LATHE_OK;
}

void lathe_spectrum_track_result(const lathe_spectrum_meter *m, double *share)
{
    for (int b = 0; b < m->tn; b++)
        share[b] = m->tframes > 0.0 ? m->tcount[b] / m->tframes : NAN;
}

void lathe_spectrum_set_lanes(lathe_spectrum_meter *m, int lanes)
{
#if SP_WIDE
    m->wide = lanes == 4 ? 0 : have_avx2();
#else
    (void)m;
    (void)lanes;
#endif
}

void lathe_spectrum_destroy(lathe_spectrum_meter *m)
{
    if (!m)
        return;
    if (m->plan)
        fftwf_destroy_plan(m->plan);
    free(m->window);
    fftwf_free(m->out);
    free(m->twr);
    free(m->twi);
    free(m->q);
    for (int s = 0; s < 8; s++) {
        fftwf_free(m->in[s]);
        free(m->power[s]);
    }
    free(m->cur);
    free(m->tk0);
    free(m->tw0);
    free(m->tw);
    free(m->tdb);
    free(m->tcount);
    free(m->tcum);
    free(m->trange);
    free(m);
}
