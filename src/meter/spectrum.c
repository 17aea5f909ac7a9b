/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Long-term power spectrum by Welch's method (Hann window, 50 % overlap, FFTW),
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
 * held no complete frame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "dsp/simd.h"
#include "meter/spectrum.h"

struct lathe_spectrum_meter {
    int rate, channels, stereo_ms, nfft, hop, nbins;
    int include[8];
    int streams;                /* transforms per frame */
    float *window;
    float *frame[8];            /* nfft samples per stream, a sliding buffer */
    int fill;                   /* samples in frame[] */
    float *in;                  /* FFT input (windowed) */
    fftwf_complex *out;
    fftwf_plan plan;
    double *power[8];           /* accumulated P[k] per stream */
    double frames_done;
    double wnorm;               /* N * sum w^2 */
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
    m->hop = m->nfft;
    m->nbins = m->nfft / 2 + 1;
    m->streams = channels;
    for (int c = 0; c < channels; c++)
        m->include[c] = include ? include[c] : 1;
    m->window = fftwf_malloc(sizeof(float) * (size_t)m->nfft);
    m->in = fftwf_malloc(sizeof(float) * (size_t)m->nfft);
    m->out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)m->nbins);
    if (!m->window || !m->in || !m->out)
        goto nomem;
    for (int s = 0; s < m->streams; s++) {
        m->frame[s] = calloc((size_t)m->nfft, sizeof(float));
        m->power[s] = calloc((size_t)m->nbins, sizeof(double));
        if (!m->frame[s] || !m->power[s])
            goto nomem;
    }
    double sw2 = 0.0;
    for (int i = 0; i < m->nfft; i++) {
        double w = 0.5 * (1.0 - cos(2.0 * M_PI * i / m->nfft)); /* periodic Hann */
        m->window[i] = (float)w;
        sw2 += w * w;
    }
    m->wnorm = (double)m->nfft * sw2;
    /* FFTW's planner keeps global state and is not thread-safe; creation is [control]. */
    m->plan = fftwf_plan_dft_r2c_1d(m->nfft, m->in, m->out, FFTW_ESTIMATE);
    if (!m->plan)
        goto nomem;
    *out = m;
    return LATHE_OK;
nomem:
    lathe_spectrum_destroy(m);
    return LATHE_ERR_NO_MEMORY;
}

LATHE_HOT static void transform(lathe_spectrum_meter *m, int s, double scale)
{
    const float *restrict x = m->frame[s], *restrict w = m->window;
    float *restrict in = m->in;
    for (int i = 0; i < m->nfft; i++)
        in[i] = x[i] * w[i];
    fftwf_execute(m->plan);
    double *restrict p = m->power[s];
    const fftwf_complex *restrict o = m->out;
    for (int k = 0; k < m->nbins; k++)
        p[k] += scale * ((double)o[k][0] * o[k][0] + (double)o[k][1] * o[k][1]);
}

static void analyse_frame(lathe_spectrum_meter *m, double scale)
{
    for (int s = 0; s < m->streams; s++)
        if (m->stereo_ms || m->include[s])
            transform(m, s, scale);
    m->frames_done += 1.0;
}

LATHE_HOT void lathe_spectrum_process(lathe_spectrum_meter *m, const float *const *ch, size_t frames)
{
    size_t i = 0;
    while (i < frames) {
        size_t n = (size_t)(m->nfft - m->fill);
        if (n > frames - i)
            n = frames - i;
        if (m->stereo_ms) {
            float *restrict mid = m->frame[0] + m->fill, *restrict side = m->frame[1] + m->fill;
            const float *restrict l = ch[0] + i, *restrict r = ch[1] + i;
            for (size_t k = 0; k < n; k++) {
                mid[k] = 0.5f * (l[k] + r[k]);
                side[k] = 0.5f * (l[k] - r[k]);
            }
        } else {
            for (int s = 0; s < m->streams; s++)
                memcpy(m->frame[s] + m->fill, ch[s] + i, sizeof(float) * n);
        }
        m->fill += (int)n;
        i += n;
        if (m->fill == m->nfft) {
            analyse_frame(m, 1.0);
            for (int s = 0; s < m->streams; s++)
                memmove(m->frame[s], m->frame[s] + m->hop, sizeof(float) * (size_t)(m->nfft - m->hop));
            m->fill = m->nfft - m->hop;
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
        double ov = fmin(b, hi) - fmax(a, lo);
        if (ov > 0.0)
            sum += p[k] * ov / df;
    }
    return sum;
}

static double to_db(double p)
{
    return p > 0.0 ? 10.0 * log10(p) : -HUGE_VAL;
}

void lathe_spectrum_result(lathe_spectrum_meter *m, double *total, double *mid, double *side)
{
    if (m->frames_done == 0.0 && m->fill > 0) {
        /* Shorter than one frame: zero-pad and scale to the samples present. */
        for (int s = 0; s < m->streams; s++)
            memset(m->frame[s] + m->fill, 0, sizeof(float) * (size_t)(m->nfft - m->fill));
        analyse_frame(m, (double)m->nfft / m->fill);
    }
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

void lathe_spectrum_destroy(lathe_spectrum_meter *m)
{
    if (!m)
        return;
    if (m->plan)
        fftwf_destroy_plan(m->plan);
    fftwf_free(m->window);
    fftwf_free(m->in);
    fftwf_free(m->out);
    for (int s = 0; s < 8; s++) {
        free(m->frame[s]);
        free(m->power[s]);
    }
    free(m);
}
