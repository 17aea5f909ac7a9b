/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Resampler (libsoxr): level, frequency, exact length, time alignment and aliasing,
 * each checked against the analytic signal at the output rate. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "io/resample.h"
#include "testutil.h"

#define MAXCH 2

/* Collects a resampler's output. */
typedef struct sink_buf {
    float *ch[MAXCH];
    size_t n, cap;
    int channels;
} sink_buf;

static lathe_status collect(void *user, const float *const *ch, size_t frames)
{
    sink_buf *b = user;
    if (b->n + frames > b->cap) {
        size_t cap = (b->n + frames) * 2;
        for (int c = 0; c < b->channels; c++) {
            float *p = realloc(b->ch[c], sizeof(float) * cap);
            if (!p)
                return LATHE_ERR_NO_MEMORY;
            b->ch[c] = p;
        }
        b->cap = cap;
    }
    for (int c = 0; c < b->channels; c++)
        memcpy(b->ch[c] + b->n, ch[c], sizeof(float) * frames);
    b->n += frames;
    return LATHE_OK;
}

static void sink_free(sink_buf *b)
{
    for (int c = 0; c < b->channels; c++)
        free(b->ch[c]);
    memset(b, 0, sizeof *b);
}

/* Resamples IN (N frames, CHANNELS) from RIN to ROUT, pushing blocks of BLOCK frames. */
static int run(const float *const *in, int channels, size_t n, int rin, int rout, size_t block,
               sink_buf *out)
{
    lathe_resampler *r;
    char err[200];
    memset(out, 0, sizeof *out);
    out->channels = channels;
    if (lathe_resampler_create(rin, rout, channels, &r, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "create: %s\n", err);
        return -1;
    }
    for (size_t pos = 0; pos < n; pos += block) {
        const float *p[MAXCH];
        size_t len = n - pos < block ? n - pos : block;
        for (int c = 0; c < channels; c++)
            p[c] = in[c] + pos;
        if (lathe_resampler_push(r, p, len, collect, out) != LATHE_OK) {
            lathe_resampler_destroy(r);
            return -1;
        }
    }
    if (lathe_resampler_finish(r, collect, out) != LATHE_OK) {
        lathe_resampler_destroy(r);
        return -1;
    }
    lathe_resampler_destroy(r);
    return 0;
}

/* Least-squares fit of y[m] ~ a sin(w m) + b cos(w m) + dc over [from, to); returns the
 * residual RMS. */
static double fit_sine(const float *y, size_t from, size_t to, double w, double *a, double *b)
{
    double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0, res = 0;
    for (size_t m = from; m < to; m++) {
        double s = sin(w * (double)m), c = cos(w * (double)m);
        ss += s * s; cc += c * c; sc += s * c;
        ys += y[m] * s; yc += y[m] * c;
    }
    double det = ss * cc - sc * sc;
    *a = (ys * cc - yc * sc) / det;
    *b = (yc * ss - ys * sc) / det;
    for (size_t m = from; m < to; m++) {
        double e = y[m] - (*a * sin(w * (double)m) + *b * cos(w * (double)m));
        res += e * e;
    }
    return sqrt(res / (double)(to - from));
}

static double db(double x)
{
    return 20.0 * log10(x);
}

/* 1 kHz at -6 dBFS, 44.1 -> 48 kHz: level, frequency, phase (= alignment), purity. */
static void test_sine_up(double seconds)
{
    const int rin = 44100, rout = 48000;
    const double amp = 0.5, f = 1000.0;
    size_t n = (size_t)(seconds * rin);
    float *x = malloc(sizeof(float) * n);
    sink_buf out;

    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * f * (double)i / rin));
    const float *in[1] = { x };
    CHECK(run(in, 1, n, rin, rout, 1000, &out) == 0, "resampling failed");
    if (out.n == 0) {
        free(x);
        return;
    }
    double w = 2.0 * M_PI * f / rout, a, b;
    size_t edge = (size_t)(0.05 * rout), mid = out.n / 2;
    double res = fit_sine(out.ch[0], edge, out.n - edge, w, &a, &b);
    double level = db(hypot(a, b) / amp);
    double shift = atan2(b, a) / w;      /* output samples the sine arrives late (-) / early */
    printf("sine 1 kHz 44.1->48k: level %+.5f dB, time offset %+.2e samples, residual %.1f dB\n",
           level, shift, db(res / amp));
    CHECK_NEAR(level, 0.0, 0.01, "1 kHz level change (dB)");
    CHECK_NEAR(shift, 0.0, 0.01, "1 kHz time offset (output samples)");
    CHECK(db(res / amp) < -110.0, "residual after removing the 1 kHz fit: %.1f dB (want < -110)",
          db(res / amp));
    /* frequency: phase drift between the two halves */
    double a1, b1, a2, b2;
    fit_sine(out.ch[0], edge, mid, w, &a1, &b1);
    fit_sine(out.ch[0], mid, out.n - edge, w, &a2, &b2);
    double dphi = atan2(b2, a2) - atan2(b1, a1);
    double span_s = (double)(out.n - edge - mid + mid - edge) / 2.0 / rout;
    double df = dphi / (2.0 * M_PI * span_s);
    printf("  frequency error %.2e Hz\n", df);
    CHECK(fabs(df) < 1e-4, "frequency error %.3e Hz", df);
    sink_free(&out);
    free(x);
}

/* A Gaussian click (sigma 50 us: its spectrum is below -170 dB above 20 kHz, so it is
 * band-limited at either rate) at time T0_S: the output must equal the click sampled
 * at the output rate, with the cross-correlation peak at lag 0. */
static void test_click(int rin, int rout, double t0_s, double seconds)
{
    const double sigma = 50e-6, amp = 0.9;
    size_t n = (size_t)(seconds * rin);
    float *x = malloc(sizeof(float) * n);
    sink_buf out;

    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rin - t0_s;
        x[i] = (float)(amp * exp(-t * t / (2 * sigma * sigma)));
    }
    const float *in[1] = { x };
    CHECK(run(in, 1, n, rin, rout, 333, &out) == 0, "resampling failed");
    if (out.n == 0) {
        free(x);
        return;
    }
    double maxerr = 0.0, xc[11];
    size_t centre = (size_t)llround(t0_s * rout);
    for (size_t m = 0; m < out.n; m++) {
        double t = (double)m / rout - t0_s;
        double e = fabs(out.ch[0][m] - amp * exp(-t * t / (2 * sigma * sigma)));
        if (e > maxerr)
            maxerr = e;
    }
    /* cross-correlation with the ideal click over lags -5..5 */
    int best = 0;
    for (int lag = -5; lag <= 5; lag++) {
        double s = 0;
        for (size_t m = centre > 100 ? centre - 100 : 0; m < centre + 100 && m < out.n; m++) {
            double t = (double)((long)m - lag) / rout - t0_s;
            s += out.ch[0][m] * amp * exp(-t * t / (2 * sigma * sigma));
        }
        xc[lag + 5] = s;
        if (s > xc[best + 5])
            best = lag;
    }
    double frac = 0.0;
    if (best > -5 && best < 5) {
        double ym = xc[best + 4], y0 = xc[best + 5], yp = xc[best + 6];
        frac = 0.5 * (ym - yp) / (ym - 2 * y0 + yp);
    }
    printf("click %d->%d Hz at %.4f s: peak lag %d%+.4f samples, max error %.1f dB re peak\n",
           rin, rout, t0_s, best, frac, db(maxerr / amp));
    CHECK(best == 0 && fabs(frac) < 0.01, "click %d->%d: cross-correlation peak at %d%+.4f", rin,
          rout, best, frac);
    CHECK(db(maxerr / amp) < -100.0, "click %d->%d: max deviation from the ideal %.1f dB", rin, rout,
          db(maxerr / amp));
    sink_free(&out);
    free(x);
}

/* Output length = round(n * out / in) for awkward lengths, and streaming in any block
 * size gives the same samples as one push. */
static void test_lengths(void)
{
    static const size_t lens[] = { 1, 2, 3, 147, 160, 44099, 44100, 44101, 100003 };
    static const int rates[][2] = { { 44100, 48000 }, { 48000, 44100 }, { 96000, 44100 },
                                    { 44100, 88200 }, { 8000, 384000 }, { 192000, 48000 } };
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t n = lens[k];
            float *x = malloc(sizeof(float) * n);
            sink_buf out;
            for (size_t i = 0; i < n; i++)
                x[i] = (float)sin(0.01 * (double)i);
            const float *in[1] = { x };
            int rin = rates[r][0], rout = rates[r][1];
            run(in, 1, n, rin, rout, 4096, &out);
            double want = floor((double)n * rout / rin + 0.5);
            CHECK((double)out.n == want, "%d->%d, %zu frames in: %zu out, want %.0f", rin, rout, n,
                  out.n, want);
            CHECK(lathe_resample_length((int64_t)n, rin, rout) == (int64_t)want,
                  "lathe_resample_length(%zu, %d, %d) = %lld, want %.0f", n, rin, rout,
                  (long long)lathe_resample_length((int64_t)n, rin, rout), want);
            sink_free(&out);
            free(x);
        }
    }
    /* A long stream: 3 hours at 192 kHz -> 44.1 kHz (no overflow). */
    int64_t n = (int64_t)3 * 3600 * 192000 + 7;
    CHECK(lathe_resample_length(n, 192000, 44100) == (int64_t)3 * 3600 * 44100 + 2,
          "3 h at 192k: %lld", (long long)lathe_resample_length(n, 192000, 44100));

    /* block size independence, stereo */
    size_t len = 30011;
    float *l = malloc(sizeof(float) * len), *rr = malloc(sizeof(float) * len);
    for (size_t i = 0; i < len; i++) {
        l[i] = (float)sin(0.05 * (double)i);
        rr[i] = (float)cos(0.013 * (double)i);
    }
    const float *in[2] = { l, rr };
    sink_buf a, b, c;
    run(in, 2, len, 44100, 48000, len, &a);
    run(in, 2, len, 44100, 48000, 1, &b);
    run(in, 2, len, 44100, 48000, 4097, &c);
    int same = a.n == b.n && a.n == c.n;
    for (int ch = 0; same && ch < 2; ch++)
        same = !memcmp(a.ch[ch], b.ch[ch], sizeof(float) * a.n)
               && !memcmp(a.ch[ch], c.ch[ch], sizeof(float) * a.n);
    CHECK(same, "blocks of 1, 4097 and all frames give different output (%zu %zu %zu frames)", a.n,
          b.n, c.n);
    sink_free(&a);
    sink_free(&b);
    sink_free(&c);
    free(l);
    free(rr);
}

/* 48 -> 44.1 kHz: a 19 kHz tone (pass band) keeps its level, a 21 kHz tone (transition
 * band) is attenuated, a 23 kHz tone (above the new Nyquist frequency, where it would
 * alias to 21.1 kHz) disappears. */
static void test_down(double seconds)
{
    const int rin = 48000, rout = 44100;
    const double amp = 0.5;
    static const double freqs[] = { 19000.0, 21000.0, 23000.0 };
    size_t n = (size_t)(seconds * rin);
    float *x = malloc(sizeof(float) * n);

    for (int k = 0; k < 3; k++) {
        double f = freqs[k];
        sink_buf out;
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(amp * sin(2.0 * M_PI * f * (double)i / rin));
        const float *in[1] = { x };
        run(in, 1, n, rin, rout, 2048, &out);
        if (out.n == 0)
            continue;
        size_t edge = (size_t)(0.05 * rout);
        double a, b, rms = 0;
        double fa = f < rout / 2.0 ? f : rout - f;  /* where an alias would land */
        double res = fit_sine(out.ch[0], edge, out.n - edge, 2.0 * M_PI * fa / rout, &a, &b);
        for (size_t m = edge; m < out.n - edge; m++)
            rms += (double)out.ch[0][m] * out.ch[0][m];
        rms = sqrt(rms / (double)(out.n - 2 * edge));
        double level = db(hypot(a, b) / amp);
        printf("48k->44.1k %5.0f Hz: component at %.0f Hz %+.2f dB, total RMS %.1f dB re input "
               "RMS, residual %.1f dB\n", f, fa, level, rms > 0 ? db(rms / (amp / sqrt(2))) : -999.0,
               db(res / amp));
        if (k == 0) {
            CHECK_NEAR(level, 0.0, 0.01, "19 kHz pass-band level (dB)");
            CHECK(fabs(atan2(b, a)) / (2.0 * M_PI * fa / rout) < 0.01,
                  "19 kHz time offset %.4f samples", atan2(b, a) / (2.0 * M_PI * fa / rout));
        } else if (k == 1) {
            CHECK(level < -3.0, "21 kHz (transition band) level %+.2f dB, want attenuated", level);
        } else {
            CHECK(level < -140.0, "23 kHz alias at 21.1 kHz %+.1f dB (want < -140)", level);
            CHECK(db(rms / (amp / sqrt(2))) < -130.0, "23 kHz: output RMS %.1f dB re input",
                  db(rms / (amp / sqrt(2))));
        }
        sink_free(&out);
    }
    free(x);
}

int main(void)
{
    int sanitized = getenv("LATHE_SANITIZED") != NULL;
    test_sine_up(sanitized ? 1.0 : 3.0);
    test_click(44100, 48000, 0.5 + 0.3 / 44100, 1.0);
    test_click(48000, 44100, 0.25 + 0.7 / 48000, 0.5);
    test_click(44100, 96000, 0.002, 0.2);            /* near the start */
    test_click(96000, 44100, 0.2 - 0.001, 0.2);      /* near the end */
    test_lengths();
    test_down(sanitized ? 0.5 : 1.0);
    return test_summary();
}
