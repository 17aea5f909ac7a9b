/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dither and quantisation: harmonics of a quiet tone vanish under TPDF dither and
 * appear without it, TPDF noise power is the theoretical LSB^2/4 whatever the signal,
 * the shaped noise follows the published F-weighted curve, runs are bit-identical, and
 * the vectorised TPDF quantiser gives exactly the integers of its documented model. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/dither.h"
#include "testutil.h"

#define FS 44100.0
#define SEG 16384           /* FFT segment (2.7 Hz bins at 44.1 kHz) */

/* The published 9-tap F-weighted filter (Wannamaker, JAES 1992), typed in here
 * independently of the library, for the theoretical noise spectrum. */
static const double fw9[9] = { 2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847 };

static double ntf_power(const double *h, int taps, double f, double fs)
{
    double w = 2 * M_PI * f / fs, re = 1, im = 0;
    for (int k = 0; k < taps; k++) {
        re -= h[k] * cos(w * (k + 1));
        im += h[k] * sin(w * (k + 1));
    }
    return re * re + im * im;
}

/* Radix-2 complex FFT (forward), N a power of two. */
static void fft(double *re, double *im, int n)
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
        for (int k = 0; k < len / 2; k++) {
            double wr = cos(-2 * M_PI * k / len), wi = sin(-2 * M_PI * k / len);
            for (int i = k; i < n; i += len) {
                int j = i + len / 2;
                double xr = re[j] * wr - im[j] * wi, xi = re[j] * wi + im[j] * wr;
                re[j] = re[i] - xr; im[j] = im[i] - xi;
                re[i] += xr; im[i] += xi;
            }
        }
    }
}

/* Welch power spectral density of X (N samples), Blackman-Harris 4-term window, 50 %
 * overlap, into PSD[0..SEG/2]: LSB^2 per bin, scaled so that white noise of power P
 * reads P / (SEG/2) per bin (i.e. the sum over bins equals the power). */
static void welch(const double *x, size_t n, double *psd)
{
    static double re[SEG], im[SEG], win[SEG];
    double wss = 0;
    int segs = 0;
    for (int i = 0; i < SEG; i++) {
        double a = 2 * M_PI * i / SEG;
        win[i] = 0.35875 - 0.48829 * cos(a) + 0.14128 * cos(2 * a) - 0.01168 * cos(3 * a);
        wss += win[i] * win[i];
    }
    memset(psd, 0, sizeof(double) * (SEG / 2 + 1));
    for (size_t pos = 0; pos + SEG <= n; pos += SEG / 2, segs++) {
        for (int i = 0; i < SEG; i++) {
            re[i] = x[pos + (size_t)i] * win[i];
            im[i] = 0;
        }
        fft(re, im, SEG);
        for (int k = 0; k <= SEG / 2; k++)
            psd[k] += (re[k] * re[k] + im[k] * im[k]) * (k == 0 || k == SEG / 2 ? 1 : 2) / wss / SEG;
    }
    for (int k = 0; k <= SEG / 2; k++)
        psd[k] /= segs;
}

static double band_power(const double *psd, double f1, double f2, double fs)
{
    double s = 0;
    int k1 = (int)ceil(f1 * SEG / fs), k2 = (int)floor(f2 * SEG / fs);
    if (k2 > SEG / 2)
        k2 = SEG / 2;
    for (int k = k1; k <= k2; k++)
        s += psd[k];
    return s / (k2 - k1 + 1);
}

static double db10(double p)
{
    return 10 * log10(p);
}

/* Quantises X (N samples, 1.0 = full scale) with a fresh dither of TYPE at BITS and
 * returns the output in LSBs (as double) in Q. */
static void quantise(lathe_dither_type type, int bits, double fs, uint64_t seed, const float *x,
                     size_t n, double *q)
{
    lathe_dither d;
    int32_t *out = malloc(sizeof(int32_t) * n);
    lathe_dither_init(&d, type, bits, fs, 1, seed);
    for (size_t pos = 0; pos < n; pos += 1000)
        lathe_dither_run(&d, 0, x + pos, out + pos, 1, n - pos < 1000 ? n - pos : 1000);
    for (size_t i = 0; i < n; i++)
        q[i] = out[i];
    free(out);
}

/* Peak of the spectrum near a harmonic vs the mean of the surrounding noise, dB. */
static double harmonic_excess(const double *psd, double f)
{
    int k = (int)lround(f * SEG / FS);
    double peak = 0, noise = 0;
    int cnt = 0;
    for (int j = k - 2; j <= k + 2; j++)
        if (psd[j] > peak)
            peak = psd[j];
    for (int j = k - 60; j <= k + 60; j++)
        if (abs(j - k) >= 10) {
            noise += psd[j];
            cnt++;
        }
    return db10(peak / (noise / cnt));
}

static void test_harmonics(size_t n)
{
    float *x = malloc(sizeof(float) * n);
    double *q = malloc(sizeof(double) * n), *psd = malloc(sizeof(double) * (SEG / 2 + 1));
    static const double harm[] = { 2000, 3000, 4000, 5000, 7000, 9000 };
    const double levels[] = { -100.0, -90.0 };

    for (int l = 0; l < 2; l++) {
        double amp = pow(10, levels[l] / 20);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(amp * sin(2 * M_PI * 1000.0 * (double)i / FS));

        /* TPDF: the tone is kept, no harmonic rises above the noise */
        quantise(LATHE_DITHER_TPDF, 16, FS, 1, x, n, q);
        welch(q, n, psd);
        double fund = harmonic_excess(psd, 1000.0), worst = -99;
        for (size_t h = 0; h < sizeof harm / sizeof harm[0]; h++) {
            double e = harmonic_excess(psd, harm[h]);
            if (e > worst)
                worst = e;
        }
        printf("%.0f dBFS 1 kHz, 16-bit TPDF: fundamental %+.1f dB over the noise, worst harmonic "
               "%+.2f dB\n", levels[l], fund, worst);
        CHECK(fund > 15.0, "%.0f dBFS TPDF: the tone is only %.1f dB above the noise", levels[l], fund);
        CHECK(worst < 3.0, "%.0f dBFS TPDF: a harmonic stands %.2f dB above the noise", levels[l],
              worst);

        /* No dither (rounding): at -100 dBFS (0.33 LSB) the tone vanishes entirely;
         * at -90 dBFS it becomes a 3-level wave full of odd harmonics. */
        quantise(LATHE_DITHER_NONE, 16, FS, 1, x, n, q);
        if (l == 0) {
            int nonzero = 0;
            for (size_t i = 0; i < n; i++)
                nonzero |= q[i] != 0;
            printf("-100 dBFS 1 kHz, 16-bit rounding: output all zero = %s\n", nonzero ? "no" : "yes");
            CHECK(!nonzero, "rounding a 0.33 LSB tone should give digital silence");
        } else {
            welch(q, n, psd);
            double h3 = harmonic_excess(psd, 3000), h5 = harmonic_excess(psd, 5000);
            printf("-90 dBFS 1 kHz, 16-bit rounding: 3 kHz %+.1f dB, 5 kHz %+.1f dB over the "
                   "surrounding bins\n", h3, h5);
            CHECK(h3 > 20.0 && h5 > 20.0, "undithered harmonics should stand out: 3k %.1f, 5k %.1f dB",
                  h3, h5);
        }
    }
    free(x);
    free(q);
    free(psd);
}

/* TPDF total error power is 1/4 LSB^2 (rounding 1/12 + dither 1/6) for any input;
 * rounding alone depends on the input. */
static void test_noise_power(size_t n)
{
    float *x = malloc(sizeof(float) * n);
    double *q = malloc(sizeof(double) * n);
    const double lsb = 1.0 / 32768.0;
    static const char *names[] = { "silence", "DC 0.3 LSB", "-100 dBFS 1 kHz", "-20 dBFS 997 Hz",
                                   "-3 dBFS 5003.7 Hz" };

    for (int s = 0; s < 5; s++) {
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / FS, v = 0;
            switch (s) {
            case 1: v = 0.3 * lsb; break;
            case 2: v = 1e-5 * sin(2 * M_PI * 1000 * t); break;
            case 3: v = 0.1 * sin(2 * M_PI * 997 * t); break;
            case 4: v = 0.708 * sin(2 * M_PI * 5003.7 * t); break;
            }
            x[i] = (float)v;
        }
        double p[2], mean = 0;
        for (int type = 0; type < 2; type++) {
            quantise(type ? LATHE_DITHER_TPDF : LATHE_DITHER_NONE, 16, FS, 7, x, n, q);
            double acc = 0, m = 0;
            for (size_t i = 0; i < n; i++) {
                double e = q[i] - (double)x[i] * 32768.0;
                acc += e * e;
                m += e;
            }
            p[type] = acc / (double)n;
            if (type)
                mean = m / (double)n;
        }
        printf("%-16s rounding %.4f LSB^2 (%+.2f dB re 1/12), TPDF %.4f LSB^2 (%+.3f dB re 1/4), "
               "mean %+.4f LSB\n", names[s], p[0], db10(p[0] * 12), p[1], db10(p[1] * 4), mean);
        CHECK_NEAR(db10(p[1] * 4), 0.0, 0.2, "TPDF error power re LSB^2/4 (dB)");
        CHECK_NEAR(mean, 0.0, 0.01, "TPDF mean error (LSB)");
        if (s >= 3)
            CHECK_NEAR(db10(p[0] * 12), 0.0, 0.2, "rounding error power of a busy signal re LSB^2/12 (dB)");
    }
    free(x);
    free(q);
}

/* Shaped dither: the measured noise spectrum follows 1/4 |NTF|^2 of the published
 * F-weighted filter at 44.1 kHz, is lower than TPDF's in 2-5 kHz and higher near
 * Nyquist; at other rates the same holds for the designed filter. */
static void test_shaped(size_t n)
{
    static const double rates[] = { 44100.0, 48000.0, 96000.0 };
    float *x = malloc(sizeof(float) * n);
    double *q = malloc(sizeof(double) * n), *e = malloc(sizeof(double) * n);
    double *psd_t = malloc(sizeof(double) * (SEG / 2 + 1)), *psd_s = malloc(sizeof(double) * (SEG / 2 + 1));

    for (int r = 0; r < 3; r++) {
        double fs = rates[r];
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.25 * sin(2 * M_PI * 440.0 * (double)i / fs));
        quantise(LATHE_DITHER_TPDF, 16, fs, 3, x, n, q);
        for (size_t i = 0; i < n; i++)
            e[i] = q[i] - (double)x[i] * 32768.0;
        welch(e, n, psd_t);
        quantise(LATHE_DITHER_SHAPED, 16, fs, 3, x, n, q);
        double emax = 0;
        for (size_t i = 0; i < n; i++) {
            e[i] = q[i] - (double)x[i] * 32768.0;
            if (fabs(e[i]) > emax)
                emax = fabs(e[i]);
        }
        welch(e, n, psd_s);
        double mid_t = band_power(psd_t, 2000, 5000, fs), mid_s = band_power(psd_s, 2000, 5000, fs);
        double top_t = band_power(psd_t, 0.9 * fs / 2, 0.98 * fs / 2, fs);
        double top_s = band_power(psd_s, 0.9 * fs / 2, 0.98 * fs / 2, fs);
        printf("%.0f Hz shaped vs TPDF: 2-5 kHz %+.1f dB, %.1f-%.1f kHz %+.1f dB, max |error| %.1f LSB\n",
               fs, db10(mid_s / mid_t), 0.9 * fs / 2000, 0.98 * fs / 2000, db10(top_s / top_t), emax);
        CHECK(db10(mid_s / mid_t) < -10.0, "%.0f Hz: shaped noise in 2-5 kHz only %.1f dB under TPDF",
              fs, db10(mid_s / mid_t));
        CHECK(db10(top_s / top_t) > 3.0, "%.0f Hz: shaped noise near Nyquist %.1f dB re TPDF", fs,
              db10(top_s / top_t));
        CHECK(emax < 40.0, "%.0f Hz: shaped error reached %.1f LSB (unstable?)", fs, emax);
        if (r == 0) {
            /* measured vs theory 1/4 |NTF|^2 (per bin: P / (SEG/2)), 1/3-octave-ish bands */
            double worst = 0, worst_f = 0;
            for (double f = 200; f * 1.12 < fs / 2; f *= 1.26) {
                double meas = band_power(psd_s, f / 1.12, f * 1.12, fs);
                double theo = 0;
                int k1 = (int)ceil(f / 1.12 * SEG / fs), k2 = (int)floor(f * 1.12 * SEG / fs);
                for (int k = k1; k <= k2; k++)
                    theo += 0.25 * ntf_power(fw9, 9, k * fs / SEG, fs) / (SEG / 2);
                theo /= (k2 - k1 + 1);
                double d = db10(meas / theo);
                if (fabs(d) > fabs(worst)) {
                    worst = d;
                    worst_f = f;
                }
            }
            printf("  44.1 kHz shaped noise vs 1/4 |NTF|^2 of the published filter: worst band "
                   "%+.2f dB at %.0f Hz\n", worst, worst_f);
            CHECK(fabs(worst) < 1.0, "shaped spectrum departs from theory by %.2f dB at %.0f Hz",
                  worst, worst_f);
        }
    }
    /* The design path (used at every rate but exactly 44.1 kHz) rebuilt at a hair above
     * 44.1 kHz must give back the published filter. */
    double h[LATHE_DITHER_MAX_TAPS];
    int taps = lathe_dither_shaper_design(44100.001, h);
    double dmax = 0;
    for (int k = 0; k < taps; k++) {
        double d = fabs(h[k] - (k < 9 ? fw9[k] : 0.0));
        if (d > dmax)
            dmax = d;
    }
    printf("cepstral design at 44100.001 Hz: %d taps, max difference from the published 9 taps %.2e\n",
           taps, dmax);
    CHECK(dmax < 1e-3, "designed filter differs from the published one by %.3e", dmax);
    CHECK(lathe_dither_shaper_design(32000.0, h) == 0, "no shaping below 44.1 kHz");
    {
        lathe_dither d;
        lathe_dither_init(&d, LATHE_DITHER_SHAPED, 16, 32000.0, 1, 0);
        CHECK(d.type == LATHE_DITHER_TPDF && d.taps == 0, "shaped at 32 kHz falls back to TPDF");
    }
    free(x);
    free(q);
    free(e);
    free(psd_t);
    free(psd_s);
}

/* Same input + seed = same bits; another seed differs; channels get independent dither;
 * clipping, word lengths, non-finite input. */
static void test_determinism_and_range(void)
{
    const size_t n = 20000;
    float *x = malloc(sizeof(float) * n);
    int32_t *a = malloc(sizeof(int32_t) * n * 2), *b = malloc(sizeof(int32_t) * n * 2);
    lathe_dither d;

    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * sin(0.001 * (double)i * (double)i / 1000.0));
    for (int type = LATHE_DITHER_TPDF; type <= LATHE_DITHER_SHAPED; type++) {
        lathe_dither_init(&d, (lathe_dither_type)type, 16, FS, 2, 12345);
        lathe_dither_run(&d, 0, x, a, 2, n);
        lathe_dither_run(&d, 1, x, a + 1, 2, n);
        lathe_dither_init(&d, (lathe_dither_type)type, 16, FS, 2, 12345);
        for (size_t pos = 0; pos < n; pos += 777) {   /* other block sizes */
            size_t len = n - pos < 777 ? n - pos : 777;
            lathe_dither_run(&d, 0, x + pos, b + 2 * pos, 2, len);
            lathe_dither_run(&d, 1, x + pos, b + 2 * pos + 1, 2, len);
        }
        CHECK(!memcmp(a, b, sizeof(int32_t) * n * 2), "%s: two runs with the same seed differ",
              type == LATHE_DITHER_TPDF ? "tpdf" : "shaped");
        lathe_dither_reset(&d);
        lathe_dither_run(&d, 0, x, b, 2, n);
        lathe_dither_run(&d, 1, x, b + 1, 2, n);
        CHECK(!memcmp(a, b, sizeof(int32_t) * n * 2), "reset does not restart the streams");
        lathe_dither_init(&d, (lathe_dither_type)type, 16, FS, 2, 12346);
        lathe_dither_run(&d, 0, x, b, 2, n);
        size_t diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += a[2 * i] != b[2 * i];
        CHECK(diff > n / 4, "another seed changed only %zu of %zu samples", diff, n);
        /* channel independence: errors of L and R (same input) uncorrelated */
        double sl = 0, sr = 0, slr = 0;
        for (size_t i = 0; i < n; i++) {
            double el = a[2 * i] - x[i] * 32768.0, er = a[2 * i + 1] - x[i] * 32768.0;
            sl += el * el; sr += er * er; slr += el * er;
        }
        /* the generator runs four streams side by side: no correlation between
         * neighbouring samples, nor at the lanes' period (lag 4) */
        if (type == LATHE_DITHER_TPDF) {
            double worst = 0.0;
            int worst_lag = 0;
            for (int lag = 1; lag <= 8; lag++) {
                double s0 = 0, s1 = 0;
                for (size_t i = 0; i + (size_t)lag < n; i++) {
                    double e0 = a[2 * i] - x[i] * 32768.0;
                    double e1 = a[2 * (i + (size_t)lag)] - x[i + (size_t)lag] * 32768.0;
                    s0 += e0 * e0;
                    s1 += e0 * e1;
                }
                if (fabs(s1 / s0) > fabs(worst)) {
                    worst = s1 / s0;
                    worst_lag = lag;
                }
            }
            printf("tpdf: largest error autocorrelation at lags 1-8: %+.4f (lag %d)\n", worst,
                   worst_lag);
            CHECK(fabs(worst) < 0.03, "tpdf error autocorrelation %+.4f at lag %d", worst, worst_lag);
        }
        double corr = slr / sqrt(sl * sr);
        printf("%s: L/R dither error correlation %+.4f\n", type == LATHE_DITHER_TPDF ? "tpdf" : "shaped",
               corr);
        CHECK(fabs(corr) < 0.05, "channels share dither: correlation %.4f", corr);
    }

    /* clipping to the integer range, with every dither: +-1.5 always clip (whatever the
     * dither draws), +1.0 always gives the top value as the first sample (no error fed
     * back yet), -1.0 stays within the dither's +-1 LSB of the bottom (shaped: within
     * the few LSB the error feedback adds) */
    static const float edge[] = { 1.0f, -1.0f, 1.5f, -1.5f, 0.99999f, -0.99999f, 0.0f };
    int32_t out[7];
    for (int seed = 1; seed <= 20; seed++)
        for (int type = 0; type <= LATHE_DITHER_SHAPED; type++) {
            lathe_dither_init(&d, (lathe_dither_type)type, 16, FS, 1, (uint64_t)seed);
            lathe_dither_run(&d, 0, edge, out, 1, 7);
            const int lo1 = type == LATHE_DITHER_SHAPED ? -32768 + 8 : -32767;
            CHECK(out[0] == 32767 && out[1] >= -32768 && out[1] <= lo1 && out[2] == 32767
                  && out[3] == -32768, "type %d seed %d: clipping gave %d %d %d %d", type, seed,
                  out[0], out[1], out[2], out[3]);
            CHECK(d.clipped >= 2, "type %d seed %d: %lld clips counted", type, seed,
                  (long long)d.clipped);
        }
    /* word lengths: 24 and 20 bits, and 32 */
    static const int wl[] = { 8, 20, 24, 32 };
    for (int k = 0; k < 4; k++) {
        float v[3] = { 1.0f, -1.0f, 0.5f };
        lathe_dither_init(&d, LATHE_DITHER_NONE, wl[k], FS, 1, 1);
        lathe_dither_run(&d, 0, v, out, 1, 3);
        int64_t fs = (int64_t)1 << (wl[k] - 1);
        CHECK(out[0] == fs - 1 && out[1] == -fs && out[2] == fs / 2,
              "%d bits: got %d %d %d", wl[k], out[0], out[1], out[2]);
    }
    /* non-finite input becomes 0 (the writer refuses it before this point) */
    {
        float v[2] = { NAN, INFINITY };
        lathe_dither_init(&d, LATHE_DITHER_NONE, 16, FS, 1, 1);
        lathe_dither_run(&d, 0, v, out, 1, 2);
        CHECK(out[0] == 0 && out[1] == 0, "non-finite gave %d %d", out[0], out[1]);
    }
    /* a full-scale sine with shaped dither stays stable (error before clipping is fed back) */
    {
        size_t m = 44100;
        float *s = malloc(sizeof(float) * m);
        int32_t *o = malloc(sizeof(int32_t) * m);
        for (size_t i = 0; i < m; i++)
            s[i] = (float)(1.05 * sin(2 * M_PI * 1000.0 * (double)i / FS));
        lathe_dither_init(&d, LATHE_DITHER_SHAPED, 16, FS, 1, 1);
        lathe_dither_run(&d, 0, s, o, 1, m);
        double emax = 0;
        for (size_t i = 0; i < m; i++) {
            double want = s[i] * 32768.0;
            if (want > 32767 || want < -32768)
                continue;
            if (fabs(o[i] - want) > emax)
                emax = fabs(o[i] - want);
        }
        printf("clipped full-scale sine, shaped: max error on unclipped samples %.1f LSB\n", emax);
        CHECK(emax < 40.0, "shaped loop ran away after clipping: %.1f LSB", emax);
        free(s);
        free(o);
    }
    CHECK(lathe_dither_init(&d, LATHE_DITHER_TPDF, 1, FS, 1, 0) == LATHE_ERR_INVALID_ARGUMENT,
          "1-bit words refused");
    CHECK(lathe_dither_init(&d, LATHE_DITHER_TPDF, 16, FS, 9, 0) == LATHE_ERR_INVALID_ARGUMENT,
          "9 channels refused");
    free(x);
    free(a);
    free(b);
}

/* --- the TPDF model, written out sample by sample --------------------------
 * As documented in src/dsp/dither.c: per channel c, SplitMix64 seeded with
 * seed ^ (0xD1B54A32D192ED03 (c + 1)) fills four xoshiro256** generators (state word i
 * of generator g is draw 4 g + i); a draw steps the four generators; its results r_g
 * give eight TPDF values: (q0 - q1) 2^-16 of generators 0..3, then (q2 - q3) 2^-16 of
 * generators 0..3 (q_k the k-th 16-bit quarter of r_g, least significant first); sample
 * x becomes floor(x 2^(W-1) + d + 0.5) clamped to [-2^(W-1), 2^(W-1) - 1], non-finite
 * x counting as 0. Xoshiro256** and SplitMix64 as published by D. Blackman and
 * S. Vigna (https://prng.di.unimi.it/xoshiro256starstar.c, splitmix64.c). */
typedef struct ref_dither {
    uint64_t s[4][4];       /* [generator][state word] */
    double pend[8];
    int used;               /* of PEND */
} ref_dither;

static uint64_t ref_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t ref_next(uint64_t *s)
{
    const uint64_t result = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return result;
}

static void ref_init(ref_dither *r, uint64_t seed, int c)
{
    uint64_t x = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(c + 1));
    for (int g = 0; g < 4; g++)
        for (int i = 0; i < 4; i++) {
            uint64_t z = (x += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            r->s[g][i] = z ^ (z >> 31);
        }
    r->used = 8;
}

static double ref_tpdf(ref_dither *r)
{
    if (r->used == 8) {
        for (int g = 0; g < 4; g++) {
            uint64_t v = ref_next(r->s[g]);
            long q0 = (long)(v & 0xFFFF), q1 = (long)((v >> 16) & 0xFFFF);
            long q2 = (long)((v >> 32) & 0xFFFF), q3 = (long)(v >> 48);
            r->pend[g] = (double)(q0 - q1) / 65536.0;
            r->pend[4 + g] = (double)(q2 - q3) / 65536.0;
        }
        r->used = 0;
    }
    return r->pend[r->used++];
}

/* Quantises like the model; returns whether it clipped. */
static int ref_quantise(ref_dither *r, float x, int bits, int32_t *out)
{
    const double scale = ldexp(1.0, bits - 1), lo = -scale, hi = scale - 1.0;
    double v = isfinite(x) ? (double)x : 0.0;
    double q = floor(v * scale + ref_tpdf(r) + 0.5);
    int clip = q < lo || q > hi;
    q = q < lo ? lo : q > hi ? hi : q;
    *out = (int32_t)q;
    return clip;
}

/* The vectorised quantiser (runs of 256 samples that cannot clip take a loop without
 * clamping) against the model: word lengths 8-32, run lengths 1..1000, strides 1 and
 * 3, runs all below the no-clip bound, runs with one sample just above it, at and over
 * full scale, NaN, Inf, -0, denormals and values whose dither sum rounds. */
static void test_tpdf_model(void)
{
    static const int wl[] = { 8, 16, 20, 24, 32 };
    static const size_t lens[] = { 1, 7, 8, 9, 255, 256, 257, 1000 };
    const size_t n = 6000;
    float *x = malloc(sizeof(float) * n);
    int32_t *got = malloc(sizeof(int32_t) * 3 * n), *want = malloc(sizeof(int32_t) * n);
    size_t bad = 0, checked = 0, first_i = 0;
    int first_w = 0, first_k = 0;
    int64_t clips_seen = 0;

    for (int k = 0; k < 5; k++) {
        const int bits = wl[k];
        const double scale = ldexp(1.0, bits - 1);
        /* the bound of the fast loop: the largest float <= (2^(W-1) - 2) / 2^(W-1) */
        const float bound = nextafterf((float)((scale - 2.0) / scale), 2.0f);
        const float below = (float)((scale - 2.0) / scale) <= (scale - 2.0) / scale
                                ? (float)((scale - 2.0) / scale)
                                : nextafterf((float)((scale - 2.0) / scale), 0.0f);
        for (int pass = 0; pass < 2; pass++) {
            const uint64_t seed = 1000u + (uint64_t)(10 * k + pass);
            uint32_t lcg = (uint32_t)seed;
            for (size_t i = 0; i < n; i++) {
                lcg = lcg * 1664525u + 1013904223u;
                const double u = (double)lcg / 4294967296.0;
                const size_t run = i / 256;
                if (run % 3 == 0)
                    x[i] = (float)((2.0 * u - 1.0) * below);      /* can never clip */
                else if (run % 3 == 1)
                    x[i] = i % 2 ? below : -below;                   /* at the bound */
                else
                    x[i] = (float)((2.0 * u - 1.0) * 0.9);
            }
            /* specials in the third kind of run and one sample just above the bound in
             * an otherwise quiet run */
            x[512 + 3] = bound;
            x[768 + 5] = -bound;
            x[1280] = 1.0f;
            x[1281] = -1.0f;
            x[1282] = 1.5f;
            x[1283] = -1e30f;
            x[1284] = NAN;
            x[1285] = INFINITY;
            x[1286] = -INFINITY;
            x[1287] = -0.0f;
            x[1288] = 1e-40f;                                     /* denormal */
            x[1289] = -1e-30f;
            x[1290] = (float)(0.5 / scale);                      /* exact half LSB */
            x[1291] = (float)(-0.5 / scale);
            x[2048 + 100] = NAN;                                  /* in a "never clips" run */
            for (size_t i = 4000; i < 4100; i++)                  /* tiny: rounded sums */
                x[i] = (float)ldexp(i % 2 ? 1.0 : -1.0, -(int)(i % 60) - 25);
            for (int strided = 0; strided < 2; strided++) {
                const size_t stride = strided ? 3 : 1;
                const size_t len = lens[(size_t)(k + pass + strided) % 8] +
                                   (pass ? 0 : 1000 * (size_t)strided);
                lathe_dither d;
                ref_dither r;
                int64_t ref_clips = 0;
                lathe_dither_init(&d, LATHE_DITHER_TPDF, bits, FS, 2, seed);
                ref_init(&r, seed, 1);
                for (size_t pos = 0; pos < n; pos += len) {
                    size_t m = n - pos < len ? n - pos : len;
                    lathe_dither_run(&d, 1, x + pos, got + pos * stride, stride, m);
                }
                for (size_t i = 0; i < n; i++)
                    ref_clips += ref_quantise(&r, x[i], bits, &want[i]);
                for (size_t i = 0; i < n; i++, checked++)
                    if (got[i * stride] != want[i]) {
                        if (!bad) {
                            first_i = i;
                            first_w = bits;
                            first_k = (int)len;
                        }
                        bad++;
                    }
                CHECK(d.clipped == ref_clips, "%d bits, runs of %zu: %lld clips counted, the model "
                      "has %lld", bits, len, (long long)d.clipped, (long long)ref_clips);
                clips_seen += ref_clips;
            }
        }
    }
    printf("vectorised TPDF quantiser vs the model: %zu of %zu samples differ (%lld clips)\n", bad,
           checked, (long long)clips_seen);
    CHECK(bad == 0, "%zu samples differ from the model; first at %zu (%d bits, runs of %d)", bad,
          first_i, first_w, first_k);
    CHECK(clips_seen > 0, "the model test never clipped");
    free(x);
    free(got);
    free(want);
}

int main(void)
{
    /* 8 s also under the sanitizers: the harmonic check needs the averaging (~40
     * segments) to keep the per-bin spread of the noise estimate near 1 dB. */
    size_t n = (size_t)(FS * 8);
    test_harmonics(n);
    test_noise_power(n);
    test_shaped(n);
    test_determinism_and_range();
    test_tpdf_model();
    return test_summary();
}
