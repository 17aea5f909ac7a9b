/* SPDX-License-Identifier: GPL-3.0-or-later */
/* True-peak meter after ITU-R BS.1770-4 Annex 2.
 *
 * Interpolator: a 49-tap (48th order) Hann-windowed sinc, cutoff at the input's
 * Nyquist frequency, split into FACTOR polyphase branches -- the same textbook design
 * BS.1770-4 Annex 2 describes and libebur128 uses, so the two meters agree.
 *
 * Speed: each branch is a short FIR run as "for tap, for sample" loops the compiler
 * vectorises. On top, an exact bound skips most of the work on music: a branch's
 * output can never exceed (sum of |coefficients|) * (max |input| in its window), so a
 * segment of 32 outputs whose bound cannot beat the channel's running maximum is skipped, with
 * only its samples copied into the history. Where that fails, a centred bound per
 * output follows: every branch p has DC gain g_p = sum_k h_p[k], so for any c,
 * y_p = g_p c + sum_k h_p[k] (x[n - k] - c), and with c the mean of the two samples the
 * output lies between, |y_p| <= max|g| |c| + sum_k w[k] |x[n - k] - c|, w[k] the largest
 * |h_p[k]|: within a few per cent of the level on smooth (loud, bass-heavy) music,
 * where the first bound reads about three times too high. Only segments where it can
 * beat the running maximum are filtered. The result is identical to running the filter
 * everywhere.
 *
 * Glossary: hist[c] holds phase_taps-1 previous samples then the current chunk,
 * contiguously; seg_max[s] is max |x| over hist[c][s SEG .. s SEG + SEG); peak[c] is
 * the running max |y| (and |x|). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "meter/truepeak.h"

#define FIR_TAPS 49
#define MAX_FACTOR 4
#define MAX_PHASE_TAPS 25       /* ceil(49 / 2) */
#define CHUNK 4096              /* frames per internal block */
#define SEG 32                  /* frames per skip decision; >= MAX_PHASE_TAPS - 1 */
/* Segments of hist: at factor 1 (>= 192 kHz) phase_taps is all FIR_TAPS, the most. */
#define MAX_SEGS ((FIR_TAPS - 1 + CHUNK + SEG - 1) / SEG + 1)

struct lathe_truepeak_meter {
    int channels, factor, phase_taps;
    float coef[MAX_FACTOR][MAX_PHASE_TAPS]; /* coef[p][k] multiplies x[n - k] */
    double bound_gain;          /* max over branches of sum |coef| */
    float wmax[MAX_PHASE_TAPS]; /* max over branches of |coef[p][k]|, rounded up */
    float dcmax;                /* max over branches of |sum coef|, rounded up */
    int centre;                 /* the outputs lie between x[n - centre] and x[n - centre + 1] */
    float cbuf[SEG];
    float *hist[8];             /* (phase_taps - 1 + CHUNK) floats each */
    float seg_max[MAX_SEGS];    /* max |buf| per SEG-sample segment of buf */
    float acc[SEG];
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
        m->dcmax = nextafterf((float)(dc * (1.0 + 3e-5)), INFINITY);
        for (int k = 0; k < m->phase_taps; k++) {
            double w = 0.0;
            for (int p = 0; p < m->factor; p++)
                w = fmax(w, fabs(m->coef[p][k]));
            m->wmax[k] = w > 0.0 ? nextafterf((float)(w * (1.0 + 3e-5)), INFINITY) : 0.0f;
        }
        m->centre = (FIR_TAPS - 1) / 2 / m->factor;
    }
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

/* Runs every branch for the N (<= SEG) outputs whose newest input is buf[T-1 .. T-1+N);
 * returns max |y|. */
LATHE_HOT static float branches_max(lathe_truepeak_meter *m, const float *buf, size_t n)
{
    const int taps = m->phase_taps;
    float best = 0.0f;
    for (int p = 0; p < m->factor; p++) {
        float *restrict acc = m->acc;
        const float *restrict cp = m->coef[p];
        for (size_t i = 0; i < n; i++)
            acc[i] = 0.0f;
        for (int k = 0; k < taps; k++) {
            const float h = cp[k];
            const float *restrict x = buf + (taps - 1) - k;
            for (size_t i = 0; i < n; i++)
                acc[i] += h * x[i];
        }
        float mx = lathe_max_abs(acc, n);
        best = mx > best ? mx : best;
    }
    return best;
}

/* The largest centred bound of the N (<= SEG) outputs whose newest input is
 * buf[T-1 .. T-1+N). */
LATHE_HOT static float centred_max(lathe_truepeak_meter *m, const float *buf, size_t n)
{
    const int taps = m->phase_taps;
    float *restrict acc = m->acc, *restrict c = m->cbuf;
    const float *restrict x0 = buf + (taps - 1) - m->centre;
    for (size_t i = 0; i < n; i++) {
        c[i] = 0.5f * (x0[i] + x0[i + 1]);
        acc[i] = m->dcmax * fabsf(c[i]);
    }
    for (int k = 0; k < taps; k++) {
        const float w = m->wmax[k];
        const float *restrict x = buf + (taps - 1) - k;
        for (size_t i = 0; i < n; i++)
            acc[i] += w * fabsf(x[i] - c[i]);
    }
    float best = 0.0f;
    for (size_t i = 0; i < n; i++)
        best = acc[i] > best ? acc[i] : best;
    return best;
}

/* One chunk of N <= CHUNK frames of one channel, already copied to buf[keep ..]. */
LATHE_HOT static double chunk_peak(lathe_truepeak_meter *m, const float *buf, size_t n, double peak)
{
    const size_t keep = (size_t)(m->phase_taps - 1), total = keep + n;
    const size_t nseg = (total + SEG - 1) / SEG;
    float all = 0.0f;
    for (size_t s = 0; s < nseg; s++) {
        size_t len = total - s * SEG < SEG ? total - s * SEG : SEG;
        m->seg_max[s] = lathe_max_abs(buf + s * SEG, len);
        all = m->seg_max[s] > all ? m->seg_max[s] : all;
    }
    m->seg_max[nseg] = 0.0f;
    if (all > peak)
        peak = all;         /* the sample peak bounds the true peak from below */
    if (m->factor == 1 || all * m->bound_gain <= peak)
        return peak;
    /* Outputs i in [j SEG, j SEG + SEG) read buf[i .. i + keep]: segments j and j+1. */
    for (size_t j = 0; j * SEG < n; j++) {
        float win = m->seg_max[j] > m->seg_max[j + 1] ? m->seg_max[j] : m->seg_max[j + 1];
        if (win * m->bound_gain <= peak)
            continue;
        size_t len = n - j * SEG < SEG ? n - j * SEG : SEG;
        if (centred_max(m, buf + j * SEG, len) <= peak)
            continue;
        double tp = branches_max(m, buf + j * SEG, len);
        if (tp > peak)
            peak = tp;
    }
    return peak;
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
            peak = chunk_peak(m, buf, n, peak);
            memmove(buf, buf + n, sizeof(float) * keep);
        }
        m->peak[c] = peak;
    }
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
