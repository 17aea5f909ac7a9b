/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deesser: reduction only while the detection band's level exceeds the threshold
 * (a 7 kHz burst is reduced by the analytic excess, a 1 kHz tone at the same level
 * and a quiet 7 kHz tone pass bit for bit), the max_reduction cap, and split mode
 * acting as the analytic dynamic band cut. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define FS 48000.0

static const lathe_fx_class *cls;

/* Strong reference: pulls the class from the static library while the registry
 * still declares it weak (pending). */
extern const lathe_fx_class lathe_fx_deesser;

static int idx(const char *key)
{
    int i = lathe_fx_param_index(cls, key);
    if (i < 0) {
        fprintf(stderr, "unknown key %s\n", key);
        exit(1);
    }
    return i;
}

static lathe_fx *make(int channels, ...)
{
    double p[64];
    va_list ap;
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    va_start(ap, channels);
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
        p[idx(k)] = va_arg(ap, double);
    va_end(ap);
    lathe_fx_setup setup = { FS, channels, 4096, 0 };
    lathe_fx *fx = NULL;
    if (lathe_fx_create(cls, &setup, p, &fx) != LATHE_OK) {
        fprintf(stderr, "create failed\n");
        exit(1);
    }
    return fx;
}

static void run(lathe_fx *fx, float *x, size_t n)
{
    for (size_t o = 0; o < n; o += 4096) {
        float *p[1] = { x + o };
        lathe_fx_process(fx, p, n - o < 4096 ? n - o : 4096);
    }
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

/* Detection band: 4th-order Butterworth high-pass at LO and low-pass at HI, bilinear
 * with pre-warping: |H|^2 = W^8 / (1 + W^8) and 1 / (1 + W^8). */
static double band_gain(double f, double lo, double hi)
{
    double t = tan(M_PI * f / FS);
    double wl = t / tan(M_PI * lo / FS), wh = t / tan(M_PI * hi / FS);
    return sqrt(pow(wl, 8) / (1.0 + pow(wl, 8))) * sqrt(1.0 / (1.0 + pow(wh, 8)));
}

/* |1 - cut * BP(f)|, BP = (s/Q) / (s^2 + s/Q + 1) at f0 = sqrt(lo hi), Q = f0 / (hi - lo),
 * bilinear with pre-warping at f0. */
static double split_gain(double f, double lo, double hi, double cut)
{
    double f0 = sqrt(lo * hi), q = f0 / (hi - lo);
    double w = tan(M_PI * f / FS) / tan(M_PI * f0 / FS);
    /* BP = j w/q / (1 - w^2 + j w/q) */
    double dr = 1.0 - w * w, di = w / q, den = dr * dr + di * di;
    double br = (w / q) * di / den, bi = (w / q) * dr / den;
    double re = 1.0 - cut * br, im = -cut * bi;
    return sqrt(re * re + im * im);
}

static void test_burst(int mode)
{
    const double lo = 4000.0, hi = 12000.0, thr = -30.0, maxred = 12.0;
    const size_t n0 = (size_t)(0.3 * FS), n1 = (size_t)(0.6 * FS), n = (size_t)(1.2 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        double a = (i >= n0 && i < n1) ? 0.1 : 0.01;
        x[i] = y[i] = (float)(a * sin(2.0 * M_PI * 7000.0 * (double)i / FS));
    }
    lathe_fx *fx = make(1, "freq_lo_hz", lo, "freq_hi_hz", hi, "threshold_db", thr,
                        "max_reduction_db", maxred, "attack_ms", 1.0, "release_ms", 20.0, "mode",
                        (double)mode, (char *)NULL);
    run(fx, y, n);
    lathe_fx_stats st;
    lathe_fx_get_stats(fx, &st);
    lathe_fx_destroy(fx);
    const char *name = mode ? "split" : "wideband";
    CHECK(!memcmp(x, y, n0 * sizeof *x), "%s: quiet 7 kHz before the burst untouched", name);
    size_t tail0 = n1 + (size_t)(0.4 * FS);
    CHECK(!memcmp(x + tail0, y + tail0, (n - tail0) * sizeof *x),
          "%s: quiet 7 kHz after the burst (and the release) untouched", name);
    /* Steady part of the burst: GR = band level - threshold. */
    size_t w = (size_t)(0.1 * FS);
    double lev = 20.0 * log10(0.1 / sqrt(2.0) * band_gain(7000.0, lo, hi));
    double gr = fmin(lev - thr, maxred);
    double g = pow(10.0, -gr / 20.0);
    double want = mode ? split_gain(7000.0, lo, hi, 1.0 - g) : g;
    double got = rms(y + n1 - w, w) / rms(x + n1 - w, w);
    printf("%s: 7 kHz burst, band level %.3f dB, GR %.3f dB: level change %.4f dB (want %.4f)\n",
           name, lev, gr, 20.0 * log10(got), 20.0 * log10(want));
    CHECK_NEAR(20.0 * log10(got), 20.0 * log10(want), 0.1, "burst reduced by the excess");
    CHECK_NEAR(st.gr_max_db, gr, 0.15, "stats: max GR");
    /* 20 ms after the burst (1 release time constant): GR well under way down. */
    free(x);
    free(y);
}

static void test_untouched(void)
{
    const size_t n = (size_t)(0.5 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (int mode = 0; mode < 2; mode++) {
        /* A 1 kHz tone at the burst's level: 48 dB down in the detection band. */
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (float)(0.1 * sin(2.0 * M_PI * 1000.0 * (double)i / FS));
        lathe_fx *fx = make(1, "freq_lo_hz", 4000.0, "freq_hi_hz", 12000.0, "threshold_db", -30.0,
                            "max_reduction_db", 12.0, "mode", (double)mode, (char *)NULL);
        run(fx, y, n);
        lathe_fx_stats st;
        lathe_fx_get_stats(fx, &st);
        lathe_fx_destroy(fx);
        CHECK(!memcmp(x, y, n * sizeof *x), "mode %d: 1 kHz tone at -23 dB RMS untouched", mode);
        CHECK(st.gr_max_db == 0.0, "mode %d: no reduction reported (%g)", mode, st.gr_max_db);
    }
    free(x);
    free(y);
}

/* Level sweep: GR = clamp(band level - threshold, 0, max_reduction). */
static void test_sweep(void)
{
    const double lo = 5000.0, hi = 10000.0, thr = -35.0, maxred = 8.0;
    const size_t n = (size_t)(0.3 * FS), w = (size_t)(0.1 * FS);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double worst = 0;
    for (double peak = -40.0; peak <= 0.01; peak += 4.0) {
        double a = pow(10.0, peak / 20.0);
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (float)(a * sin(2.0 * M_PI * 7200.0 * (double)i / FS));
        lathe_fx *fx = make(1, "freq_lo_hz", lo, "freq_hi_hz", hi, "threshold_db", thr,
                            "max_reduction_db", maxred, "mode", 0.0, "release_ms", 200.0,
                            (char *)NULL);
        run(fx, y, n);
        lathe_fx_destroy(fx);
        double lev = 20.0 * log10(a / sqrt(2.0) * band_gain(7200.0, lo, hi));
        double want = fmin(fmax(lev - thr, 0.0), maxred);
        double got = 20.0 * log10(rms(x + n - w, w) / rms(y + n - w, w));
        CHECK_NEAR(got, want, 0.1, "GR at a 7.2 kHz level");
        worst = fmax(worst, fabs(got - want));
    }
    printf("level sweep -40..0 dBFS (T -35, cap 8 dB): worst GR error %.4f dB\n", worst);
    free(x);
    free(y);
}

/* Split mode with a 1 kHz tone under the 7 kHz burst: the 1 kHz tone changes only by
 * the analytic band cut at 1 kHz (wideband would take it down with the burst). */
static void test_split_selectivity(void)
{
    const double lo = 4000.0, hi = 12000.0;
    const size_t n = (size_t)(0.5 * FS), w = 24000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = y[i] = (float)(0.1 * sin(2.0 * M_PI * 1000.0 * (double)i / FS)
                              + 0.1 * sin(2.0 * M_PI * 7000.0 * (double)i / FS));
    lathe_fx *fx = make(1, "freq_lo_hz", lo, "freq_hi_hz", hi, "threshold_db", -30.0,
                        "max_reduction_db", 12.0, "mode", 1.0, "release_ms", 200.0, (char *)NULL);
    run(fx, y, n);
    lathe_fx_stats st;
    lathe_fx_get_stats(fx, &st);
    lathe_fx_destroy(fx);
    /* Amplitudes at 1 and 7 kHz (integer cycles in the window). */
    double r[2];
    const double f[2] = { 1000.0, 7000.0 };
    for (int k = 0; k < 2; k++) {
        double s = 0, c = 0, s0 = 0, c0 = 0;
        for (size_t i = n - w; i < n; i++) {
            double ph = 2.0 * M_PI * f[k] * (double)i / FS;
            s += y[i] * sin(ph);
            c += y[i] * cos(ph);
            s0 += x[i] * sin(ph);
            c0 += x[i] * cos(ph);
        }
        r[k] = sqrt((s * s + c * c) / (s0 * s0 + c0 * c0));
    }
    double cut = 1.0 - pow(10.0, -st.gr_max_db / 20.0);
    double w1 = split_gain(1000.0, lo, hi, cut), w7 = split_gain(7000.0, lo, hi, cut);
    printf("split: GR %.3f dB; 7 kHz %.4f dB (want %.4f), 1 kHz %.4f dB (want %.4f)\n",
           st.gr_max_db, 20.0 * log10(r[1]), 20.0 * log10(w7), 20.0 * log10(r[0]),
           20.0 * log10(w1));
    CHECK_NEAR(20.0 * log10(r[1]), 20.0 * log10(w7), 0.1, "split: 7 kHz cut");
    CHECK_NEAR(20.0 * log10(r[0]), 20.0 * log10(w1), 0.05, "split: 1 kHz follows the band cut");
    CHECK(20.0 * log10(r[0]) > 0.25 * 20.0 * log10(r[1]), "split: 1 kHz cut far less than 7 kHz");
    free(x);
    free(y);
}

int main(void)
{
    cls = lathe_fx_class_find("deesser");
    CHECK(cls != NULL && cls == &lathe_fx_deesser, "deesser is registered");
    if (!cls)
        return test_summary();
    CHECK(lathe_fx_class_find("deesser") && lathe_fx_param_index(cls, "mode") >= 0, "keys");
    test_burst(0);
    test_burst(1);
    test_untouched();
    test_sweep();
    test_split_selectivity();
    return test_summary();
}
