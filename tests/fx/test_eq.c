/* SPDX-License-Identifier: GPL-3.0-or-later */
/* eq: measured responses (steady sines fitted by least squares, or the impulse
 * response's DTFT) against the analogue prototypes evaluated at the bilinear-warped
 * frequency, written here independently of the library's designs; exact nulls, mid/side
 * isolation, linear-phase delay and symmetry, glides without steps. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/fx.h"
#include "testutil.h"

/* A strong reference, so the static library's eq object is linked: src/fx/registry.h
 * declares the class weak while it is pending, and a weak reference pulls nothing. */
extern const lathe_fx_class lathe_fx_eq;

#define BLOCK 512
#define NBANDS_MAX 9            /* 8 bands and the list's end */
#define PI 3.14159265358979323846

static const lathe_fx_class *cls;
static int quick;               /* LATHE_SANITIZED: fewer rates and points */

/* ---- parameters ---- */

typedef struct band_spec {
    const char *type;           /* NULL: end of list */
    double freq, gain, q, slope;
    const char *chan;
} band_spec;

static void set_key(double *p, const char *key, double v)
{
    int id = lathe_fx_param_index(cls, key);
    if (id < 0) {
        fprintf(stderr, "no parameter %s\n", key);
        exit(1);
    }
    p[id] = v;
}

static void set_choice(double *p, const char *key, const char *name)
{
    int id = lathe_fx_param_index(cls, key);
    int v = id >= 0 ? lathe_param_choice(&cls->params[id], name) : -1;
    if (v < 0) {
        fprintf(stderr, "no choice %s=%s\n", key, name);
        exit(1);
    }
    p[id] = v;
}

static void fill_params(double *p, const band_spec *bands, int linear)
{
    char key[64];
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    for (int b = 0; bands && bands[b].type; b++) {
        snprintf(key, sizeof key, "band%d_type", b + 1);
        set_choice(p, key, bands[b].type);
        snprintf(key, sizeof key, "band%d_freq_hz", b + 1);
        set_key(p, key, bands[b].freq);
        snprintf(key, sizeof key, "band%d_gain_db", b + 1);
        set_key(p, key, bands[b].gain);
        snprintf(key, sizeof key, "band%d_q", b + 1);
        set_key(p, key, bands[b].q > 0 ? bands[b].q : 0.7071);
        snprintf(key, sizeof key, "band%d_slope_db_oct", b + 1);
        set_key(p, key, bands[b].slope > 0 ? bands[b].slope : 12.0);
        snprintf(key, sizeof key, "band%d_channels", b + 1);
        set_choice(p, key, bands[b].chan ? bands[b].chan : "stereo");
    }
    set_choice(p, "phase", linear ? "linear" : "minimum");
}

static lathe_fx *make(double rate, int channels, const band_spec *bands, int linear)
{
    double *p = malloc(sizeof(double) * (size_t)cls->num_params);
    fill_params(p, bands, linear);
    lathe_fx_setup su = { rate, channels, BLOCK, 0 };
    lathe_fx *fx = NULL;
    lathe_status st = lathe_fx_create(cls, &su, p, &fx);
    free(p);
    if (st != LATHE_OK) {
        fprintf(stderr, "create failed: %d\n", (int)st);
        exit(1);
    }
    return fx;
}

/* Runs N frames of CHANNELS planar buffers through FX in blocks of BLOCK. */
static void run(lathe_fx *fx, float **buf, int channels, size_t n)
{
    float *ptr[8];
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        for (int c = 0; c < channels; c++)
            ptr[c] = buf[c] + i;
        lathe_fx_process(fx, ptr, k);
    }
}

/* ---- analytic responses (analogue prototypes at the warped frequency) ---- */

static double complex band_h(const band_spec *b, double f, double rate)
{
    double f0 = b->freq > 0.49 * rate ? 0.49 * rate : b->freq;
    double W = tan(PI * f / rate) / tan(PI * f0 / rate);   /* bilinear warping */
    double complex s = I * W;
    double q = b->q > 0 ? b->q : 0.7071;
    double A = pow(10.0, b->gain / 40.0);
    if (!strcmp(b->type, "bell"))
        return (s * s + s * A / q + 1.0) / (s * s + s / (A * q) + 1.0);
    if (!strcmp(b->type, "low_shelf"))
        return A * (s * s + sqrt(A) / q * s + A) / (A * s * s + sqrt(A) / q * s + 1.0);
    if (!strcmp(b->type, "high_shelf"))
        return A * (A * s * s + sqrt(A) / q * s + 1.0) / (s * s + sqrt(A) / q * s + A);
    if (!strcmp(b->type, "notch"))
        return (s * s + 1.0) / (s * s + s / q + 1.0);
    if (!strcmp(b->type, "tilt")) {
        double A2 = A * A;      /* 10^(gain/20) */
        return (A2 * s + 1.0) / (s + A2);
    }
    if (!strcmp(b->type, "low_cut") || !strcmp(b->type, "high_cut")) {
        /* Butterworth magnitude, |H|^2 = 1 / (1 + W^(-+2N)); phase not needed */
        int n = (int)floor((b->slope > 0 ? b->slope : 12.0) / 6.0 + 0.5);
        double e = !strcmp(b->type, "low_cut") ? -2.0 * n : 2.0 * n;
        return 1.0 / sqrt(1.0 + pow(W, e));
    }
    return 1.0;
}

static double chain_db(const band_spec *bands, double f, double rate)
{
    double m = 1.0;
    for (int b = 0; bands[b].type; b++)
        m *= cabs(band_h(&bands[b], f, rate));
    return 20.0 * log10(m);
}

/* ---- measurement by a steady sine ---- */

/* Least-squares amplitude of the sinusoid at W in X[0..n-1] (DC / Nyquist: one basis). */
static double fit_amp(const float *x, size_t n, double w)
{
    if (w == 0.0 || w == PI) {
        double sxy = 0, sxx = 0;
        for (size_t i = 0; i < n; i++) {
            double b = w == 0.0 ? 1.0 : (i & 1 ? -1.0 : 1.0);
            sxy += x[i] * b;
            sxx += b * b;
        }
        return fabs(sxy / sxx);
    }
    double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
    for (size_t i = 0; i < n; i++) {
        double c = cos(w * (double)i), s = sin(w * (double)i);
        cc += c * c;
        ss += s * s;
        cs += c * s;
        xc += x[i] * c;
        xs += x[i] * s;
    }
    double det = cc * ss - cs * cs;
    double a = (xc * ss - xs * cs) / det, b = (xs * cc - xc * cs) / det;
    return hypot(a, b);
}

/* Gain in dB of FX (fresh, mono) for a sine at F (0: DC, rate/2: Nyquist), the
 * slowest filter frequency being FSLOW. The sine fades in (raised cosine), settles,
 * then input and output are fitted over the same window. */
static double measure_db(const band_spec *bands, double rate, double f, double fslow, int channels)
{
    lathe_fx *fx = make(rate, channels, bands, 0);
    double fl = f > 0 && f < fslow ? f : fslow;
    size_t fade = (size_t)(8.0 / fl * rate), settle = (size_t)(30.0 / fl * rate);
    double fw = f > 0 ? f : fslow;
    size_t win = (size_t)((8.0 / fw > 0.02 ? 8.0 / fw : 0.02) * rate);
    size_t n = fade + settle + win;
    float *in = malloc(sizeof(float) * n);
    float *buf[8];
    const double w = f >= rate / 2 ? PI : 2.0 * PI * f / rate;
    for (size_t i = 0; i < n; i++) {
        double env = i < fade ? 0.5 - 0.5 * cos(PI * (double)i / (double)fade) : 1.0;
        double v = w == PI ? (i & 1 ? -1.0 : 1.0) : cos(w * (double)i);
        in[i] = (float)(0.25 * env * v);
    }
    for (int c = 0; c < channels; c++) {
        buf[c] = malloc(sizeof(float) * n);
        memcpy(buf[c], in, sizeof(float) * n);
    }
    run(fx, buf, channels, n);
    double gx = fit_amp(in + fade + settle, win, w);
    double gy = fit_amp(buf[0] + fade + settle, win, w);
    for (int c = 0; c < channels; c++)
        free(buf[c]);
    free(in);
    lathe_fx_destroy(fx);
    return 20.0 * log10(gy / gx);
}

static double min_freq(const band_spec *bands)
{
    double m = 1e9;
    for (int b = 0; bands[b].type; b++)
        m = bands[b].freq < m ? bands[b].freq : m;
    return m;
}

/* Minimum phase: measured response at F against the analytic chain (tolerance 0.01 dB),
 * and against a stated property value WANT when given (not NAN). */
static double worst_min_err, worst_min_f;
static char worst_min_what[160];

static void check_point(const band_spec *bands, double rate, double f, double want,
                        const char *what)
{
    double got = measure_db(bands, rate, f, min_freq(bands), 1);
    double ana = chain_db(bands, f >= rate / 2 ? rate / 2 * 0.999999999 : f, rate);
    char label[160];
    snprintf(label, sizeof label, "%s at %.0f Hz, %.3f Hz (analytic)", what, rate, f);
    CHECK_NEAR(got, ana, 0.01, label);
    if (fabs(got - ana) > worst_min_err) {
        worst_min_err = fabs(got - ana);
        worst_min_f = f;
        snprintf(worst_min_what, sizeof worst_min_what, "%s", what);
    }
    if (!isnan(want)) {
        snprintf(label, sizeof label, "%s at %.0f Hz, %.3f Hz (prototype property)", what, rate, f);
        CHECK_NEAR(got, want, 0.01, label);
    }
}

/* The analytic response on a half-octave grid around F0 (inside 0.45 rate). */
static void check_grid(const band_spec *bands, double rate, double f0, int half_octaves,
                       const char *what)
{
    for (int k = -half_octaves; k <= half_octaves; k++) {
        double f = f0 * pow(2.0, 0.5 * k);
        if (f < 5.0 || f > 0.45 * rate)
            continue;
        check_point(bands, rate, f, NAN, what);
    }
}

static void test_min_phase(double rate)
{
    const int grid = quick ? 2 : 4;
    /* Bells: exactly gain_db at the centre. */
    {
        band_spec b[] = { { "bell", 1000, 6, 1.4, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 1000, 6.0, "bell 1 kHz +6 dB Q 1.4");
        check_grid(b, rate, 1000, grid, "bell 1 kHz +6 dB Q 1.4");
    }
    {
        band_spec b[] = { { "bell", 20, 12, 1.0, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 20, 12.0, "bell 20 Hz +12 dB Q 1");
        check_grid(b, rate, 20, grid, "bell 20 Hz +12 dB Q 1");
    }
    {
        band_spec b[] = { { "bell", 20, -12, 1.0, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 20, -12.0, "bell 20 Hz -12 dB Q 1");
    }
    {
        band_spec b[] = { { "bell", 10000, -9, 0.7, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 10000, -9.0, "bell 10 kHz -9 dB Q 0.7");
        check_grid(b, rate, 10000, grid, "bell 10 kHz -9 dB Q 0.7");
    }
    /* Shelves: plateau exactly gain_db (DC / Nyquist), half the gain at the corner. */
    {
        band_spec b[] = { { "low_shelf", 100, 6, 0.7071, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 0, 6.0, "low shelf 100 Hz +6 dB (DC plateau)");
        check_point(b, rate, 100, 3.0, "low shelf 100 Hz +6 dB (corner)");
        check_grid(b, rate, 100, grid, "low shelf 100 Hz +6 dB");
    }
    {
        band_spec b[] = { { "high_shelf", 8000, -4, 0.7071, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, rate / 2, -4.0, "high shelf 8 kHz -4 dB (Nyquist plateau)");
        check_point(b, rate, 8000, -2.0, "high shelf 8 kHz -4 dB (corner)");
        check_grid(b, rate, 8000, grid, "high shelf 8 kHz -4 dB");
    }
    /* Tilt: -gain at DC, +gain at Nyquist, 0 dB at the pivot. */
    {
        band_spec b[] = { { "tilt", 1000, 3, 0, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        check_point(b, rate, 0, -3.0, "tilt 1 kHz +3 dB (DC)");
        check_point(b, rate, rate / 2, 3.0, "tilt 1 kHz +3 dB (Nyquist)");
        check_point(b, rate, 1000, 0.0, "tilt 1 kHz +3 dB (pivot)");
        check_grid(b, rate, 1000, grid, "tilt 1 kHz +3 dB");
    }
    /* Notch: deep at the centre, the analytic shape around it. */
    {
        band_spec b[] = { { "notch", 1000, 0, 2, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        double got = measure_db(b, rate, 1000, 1000, 1);
        CHECK(got < -100.0, "notch 1 kHz at %.0f Hz: centre %.1f dB, want < -100", rate, got);
        for (int k = -grid; k <= grid; k++)
            if (k != 0)
                check_point(b, rate, 1000 * pow(2.0, 0.5 * k), NAN, "notch 1 kHz Q 2");
    }
    /* Cuts: Butterworth, -3.0103 dB at the corner; 2 and 4 octaves into the stop band
     * 10 log10(1 + (tan(pi f/fs) / tan(pi fc/fs))^(-+2N)) below 0 dB. */
    for (int n = 1; n <= 8; n++) {
        if (n == 5 || n == 7)
            continue;
        char what[64];
        band_spec lc[] = { { "low_cut", 1000, 0, 0, 6.0 * n, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        band_spec hc[] = { { "high_cut", 1000, 0, 0, 6.0 * n, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        double k1 = tan(PI * 1000 / rate);
        snprintf(what, sizeof what, "low cut 1 kHz %d dB/oct", 6 * n);
        check_point(lc, rate, 1000, -10.0 * log10(2.0), what);
        for (int oct = 2; oct <= 4; oct += 2) {
            double f = 1000 / pow(2.0, oct), W = tan(PI * f / rate) / k1;
            double want = -10.0 * log10(1.0 + pow(W, -2.0 * n));
            if (want > -150.0)
                check_point(lc, rate, f, want, what);
        }
        snprintf(what, sizeof what, "high cut 1 kHz %d dB/oct", 6 * n);
        check_point(hc, rate, 1000, -10.0 * log10(2.0), what);
        for (int oct = 2; oct <= 4; oct += 2) {
            double f = 1000 * pow(2.0, oct), W = tan(PI * f / rate) / k1;
            double want = -10.0 * log10(1.0 + pow(W, 2.0 * n));
            if (f < 0.45 * rate && want > -150.0)
                check_point(hc, rate, f, want, what);
        }
    }
    /* A chain of four bands is the product of their responses. */
    {
        band_spec b[] = { { "low_cut", 30, 0, 0, 24, NULL }, { "bell", 250, -3, 2, 0, NULL },
                          { "high_shelf", 6000, 2.5, 0.9, 0, NULL }, { "bell", 3000, 4, 0.5, 0, NULL },
                          { NULL, 0, 0, 0, 0, NULL } };
        check_grid(b, rate, 400, quick ? 6 : 12, "chain");
    }
}

/* ---- exact nulls, channels ---- */

static float frand(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((double)(*seed >> 8) / 16777216.0 - 0.5);
}

static float **noise(int channels, size_t n, unsigned seed)
{
    float **b = malloc(sizeof(float *) * (size_t)channels);
    for (int c = 0; c < channels; c++) {
        b[c] = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++)
            b[c][i] = frand(&seed);
    }
    return b;
}

static void free_bufs(float **b, int channels)
{
    for (int c = 0; c < channels; c++)
        free(b[c]);
    free(b);
}

/* Mono: right and side bands do nothing (bit exact); reset() forgets the history. */
static void test_mono_reset(void)
{
    const size_t n = 20000;
    band_spec b[] = { { "bell", 1000, 6, 1, 0, "side" }, { "low_cut", 300, 0, 0, 24, "right" },
                      { NULL, 0, 0, 0, 0, NULL } };
    lathe_fx *fx = make(48000, 1, b, 0);
    float **ref = noise(1, n, 5), **buf = noise(1, n, 5);
    run(fx, buf, 1, n);
    CHECK(memcmp(ref[0], buf[0], sizeof(float) * n) == 0, "mono: side/right bands changed the signal");
    lathe_fx_destroy(fx);

    band_spec c[] = { { "bell", 1000, 6, 1, 0, NULL }, { "low_cut", 300, 0, 0, 24, NULL },
                      { NULL, 0, 0, 0, 0, NULL } };
    fx = make(48000, 1, c, 0);
    run(fx, buf, 1, n);                          /* history */
    lathe_fx_reset(fx);
    float **imp = noise(1, 4096, 1), **fresh = noise(1, 4096, 1);
    memset(imp[0], 0, 4096 * sizeof(float));
    memset(fresh[0], 0, 4096 * sizeof(float));
    imp[0][0] = fresh[0][0] = 1.0f;
    run(fx, imp, 1, 4096);
    lathe_fx *fx2 = make(48000, 1, c, 0);
    run(fx2, fresh, 1, 4096);
    CHECK(memcmp(imp[0], fresh[0], 4096 * sizeof(float)) == 0,
          "after reset the impulse response differs from a fresh instance's");
    /* A corner above 0.49 fs is clamped there: finite output, the clamped design. */
    band_spec hi[] = { { "high_shelf", 40000, 6, 0.7071, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
    check_point(hi, 44100, 44100 / 2.0, 6.0, "high shelf at 40 kHz (clamped) at 44.1 kHz");
    check_point(hi, 44100, 1000, NAN, "high shelf at 40 kHz (clamped) at 44.1 kHz");
    free_bufs(ref, 1);
    free_bufs(buf, 1);
    free_bufs(imp, 1);
    free_bufs(fresh, 1);
    lathe_fx_destroy(fx);
    lathe_fx_destroy(fx2);
}

static void test_nulls(void)
{
    const size_t n = 48000;
    band_spec zero[] = { { "bell", 1000, 0, 1, 0, NULL }, { "low_shelf", 100, 0, 0.7, 0, "mid" },
                         { "high_shelf", 9000, 0, 0.7, 0, "side" }, { "tilt", 700, 0, 0, 0, "left" },
                         { NULL, 0, 0, 0, 0, NULL } };
    band_spec none[] = { { NULL, 0, 0, 0, 0, NULL } };
    const band_spec *cases[2] = { none, zero };
    for (int k = 0; k < 2; k++) {
        lathe_fx *fx = make(48000, 3, cases[k], 0);
        CHECK(lathe_fx_latency(fx) == 0, "minimum phase latency %zu, want 0", lathe_fx_latency(fx));
        float **ref = noise(3, n, 7), **buf = noise(3, n, 7);
        run(fx, buf, 3, n);
        size_t diff = 0;
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < n; i++)
                diff += memcmp(&buf[c][i], &ref[c][i], sizeof(float)) != 0;
        CHECK(diff == 0, "%s: %zu samples differ from the input, want a bit-exact null",
              k ? "bands at 0 dB" : "all bands off", diff);
        free_bufs(ref, 3);
        free_bufs(buf, 3);
        lathe_fx_destroy(fx);
    }
}

/* max |a - b| / max |b| */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

/* A band on CHAN ("mid", "side", "left", "right") changes that signal only: the other
 * one (side, mid, right, left) stays as it was, delayed by the latency. */
static void test_channels(int linear)
{
    const double rate = 48000;
    const char *chans[4] = { "mid", "side", "left", "right" };
    for (int k = 0; k < 4; k++) {
        band_spec b[] = { { "bell", 1000, 9, 0.8, 0, chans[k] }, { "low_cut", 200, 0, 0, 24, chans[k] },
                          { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 2, b, linear);
        size_t lat = lathe_fx_latency(fx), n = 4 * 8192 + lat;
        float **in = noise(2, n, 11), **buf = noise(2, n, 11);
        run(fx, buf, 2, n);
        size_t m = n - lat;
        float *keep_in = malloc(sizeof(float) * m), *keep_out = malloc(sizeof(float) * m);
        float *chg_in = malloc(sizeof(float) * m), *chg_out = malloc(sizeof(float) * m);
        for (size_t i = 0; i < m; i++) {
            float l = in[0][i], r = in[1][i], lo = buf[0][i + lat], ro = buf[1][i + lat];
            switch (k) {
            case 0: keep_in[i] = 0.5f * (l - r); keep_out[i] = 0.5f * (lo - ro);
                    chg_in[i] = 0.5f * (l + r); chg_out[i] = 0.5f * (lo + ro); break;
            case 1: keep_in[i] = 0.5f * (l + r); keep_out[i] = 0.5f * (lo + ro);
                    chg_in[i] = 0.5f * (l - r); chg_out[i] = 0.5f * (lo - ro); break;
            case 2: keep_in[i] = r; keep_out[i] = ro; chg_in[i] = l; chg_out[i] = lo; break;
            default: keep_in[i] = l; keep_out[i] = lo; chg_in[i] = r; chg_out[i] = ro; break;
            }
        }
        double kept = rel_diff(keep_out, keep_in, m), changed = rel_diff(chg_out, chg_in, m);
        printf("%s phase, %s band: other signal changed by %.2e, its own by %.3f (relative)\n",
               linear ? "linear" : "minimum", chans[k], kept, changed);
        /* L/R: the untouched channel is copied (exact); M/S: float rounding of L+R,
         * and for linear phase the float FFT convolution (~1e-6). */
        double tol = k >= 2 ? 0.0 : linear ? 2e-5 : 1e-6;
        CHECK(kept <= tol, "%s %s band: the other signal changed by %.3g (relative), want <= %.1g",
              linear ? "linear" : "minimum", chans[k], kept, tol);
        CHECK(changed > 0.1, "%s %s band: its signal changed by only %.3g",
              linear ? "linear" : "minimum", chans[k], changed);
        free(keep_in);
        free(keep_out);
        free(chg_in);
        free(chg_out);
        free_bufs(in, 2);
        free_bufs(buf, 2);
        lathe_fx_destroy(fx);
    }
}

/* ---- linear phase ---- */

/* ---- steady groups ---- */

/* Gain in dB of the mid (SIDE = 0: L = R = the sine) or the side (SIDE = 1: L = -R) of a
 * fresh stereo FX for a sine at F, measured as in measure_db; *LEAK: the largest sample of
 * the other signal (side or mid) after the fade-in, relative to the sine's amplitude. */
static double measure_ms_db(const band_spec *bands, double rate, double f, int side, double *leak)
{
    lathe_fx *fx = make(rate, 2, bands, 0);
    double fslow = min_freq(bands), fl = f < fslow ? f : fslow;
    size_t fade = (size_t)(8.0 / fl * rate), settle = (size_t)(30.0 / fl * rate);
    size_t win = (size_t)((8.0 / f > 0.02 ? 8.0 / f : 0.02) * rate), n = fade + settle + win;
    float *in = malloc(sizeof(float) * n), *own = malloc(sizeof(float) * n);
    float *buf[2] = { malloc(sizeof(float) * n), malloc(sizeof(float) * n) };
    const double w = 2.0 * PI * f / rate;
    for (size_t i = 0; i < n; i++) {
        double env = i < fade ? 0.5 - 0.5 * cos(PI * (double)i / (double)fade) : 1.0;
        in[i] = (float)(0.25 * env * cos(w * (double)i));
        buf[0][i] = in[i];
        buf[1][i] = side ? -in[i] : in[i];
    }
    run(fx, buf, 2, n);
    double other = 0.0;
    for (size_t i = 0; i < n; i++) {
        own[i] = 0.5f * (side ? buf[0][i] - buf[1][i] : buf[0][i] + buf[1][i]);
        if (i >= fade)
            other = fmax(other, fabs(0.5 * (side ? buf[0][i] + buf[1][i] : buf[0][i] - buf[1][i])));
    }
    double gx = fit_amp(in + fade + settle, win, w), gy = fit_amp(own + fade + settle, win, w);
    *leak = other / 0.25;
    free(in);
    free(own);
    free(buf[0]);
    free(buf[1]);
    lathe_fx_destroy(fx);
    return 20.0 * log10(gy / gx);
}

/* Bands B run as they are (consecutive steady bands of one kind form one group, run
 * through one kernel call: src/fx/eq.c run_group) and with an idle band (a 0 dB stereo
 * bell) between every two, so each runs alone: the largest difference of the outputs on
 * noise, relative to the peak. */
static double group_vs_alone(const band_spec *b, int channels)
{
    band_spec split[NBANDS_MAX];
    int k = 0;
    for (int i = 0; b[i].type; i++) {
        if (i > 0)
            split[k++] = (band_spec){ "bell", 1000, 0, 1, 0, NULL };
        split[k++] = b[i];
    }
    split[k] = (band_spec){ NULL, 0, 0, 0, 0, NULL };
    const size_t n = 3 * 8192 + 77;
    lathe_fx *g = make(48000, channels, b, 0), *a = make(48000, channels, split, 0);
    float **x = noise(channels, n, 31), **y = noise(channels, n, 31);
    run(g, x, channels, n);
    run(a, y, channels, n);
    double d = 0.0;
    for (int c = 0; c < channels; c++)
        d = fmax(d, rel_diff(x[c], y[c], n));
    free_bufs(x, channels);
    free_bufs(y, channels);
    lathe_fx_destroy(g);
    lathe_fx_destroy(a);
    return d;
}

static void test_groups(void)
{
    /* stereo bands (6 sections) on 2 and 3 channels, left/right bands (left 2 sections,
     * right 4), mono with stereo/left/mid bands: the same samples bit for bit */
    band_spec st[] = { { "bell", 200, 4, 1, 0, NULL }, { "low_cut", 40, 0, 0, 36, NULL },
                       { "high_shelf", 6000, -3, 0.7071, 0, NULL }, { "bell", 3000, 2, 2, 0, NULL },
                       { NULL, 0, 0, 0, 0, NULL } };
    band_spec lr[] = { { "bell", 200, 4, 1, 0, "left" }, { "low_cut", 40, 0, 0, 36, "right" },
                       { "high_shelf", 6000, -3, 0.7071, 0, "left" }, { "bell", 3000, 2, 2, 0, "right" },
                       { NULL, 0, 0, 0, 0, NULL } };
    band_spec mono[] = { { "bell", 200, 4, 1, 0, "left" }, { "low_cut", 40, 0, 0, 36, "mid" },
                         { "high_shelf", 6000, -3, 0.7071, 0, NULL }, { "bell", 3000, 2, 2, 0, "mid" },
                         { NULL, 0, 0, 0, 0, NULL } };
    double d2 = group_vs_alone(st, 2), d3 = group_vs_alone(st, 3), dlr = group_vs_alone(lr, 2);
    double dm = group_vs_alone(mono, 1);
    printf("grouped against one band at a time: stereo %.3g (2 ch), %.3g (3 ch), left/right "
           "%.3g, mono %.3g\n", d2, d3, dlr, dm);
    CHECK(d2 == 0.0 && d3 == 0.0, "stereo group: differs from one band at a time by %.3g (2 "
          "channels), %.3g (3), want bit-exact", d2, d3);
    CHECK(dlr == 0.0, "left/right group: differs from one band at a time by %.3g, want bit-exact",
          dlr);
    CHECK(dm == 0.0, "mono group: differs from one band at a time by %.3g, want bit-exact", dm);

    /* mid/side (mid 2 sections, side 3): M, S rounded once per group, not once per band */
    band_spec ms[] = { { "bell", 1000, 6, 1, 0, "mid" }, { "low_cut", 60, 0, 0, 24, "side" },
                       { "high_shelf", 5000, -4, 0.7071, 0, "mid" }, { "bell", 300, -5, 2, 0, "side" },
                       { NULL, 0, 0, 0, 0, NULL } };
    double dms = group_vs_alone(ms, 2);
    printf("mid/side group against one band at a time: %.3g of the peak\n", dms);
    CHECK(dms <= 1e-6, "mid/side group: differs from one band at a time by %.3g, want <= 1e-6",
          dms);

    /* and each of its paths follows its own bands' analytic response, the other silent */
    band_spec mid[] = { ms[0], ms[2], { NULL, 0, 0, 0, 0, NULL } };
    band_spec sid[] = { ms[1], ms[3], { NULL, 0, 0, 0, 0, NULL } };
    const double fs[] = { 45, 120, 300, 1000, 2500, 7000 };
    double worst = 0.0, leak_max = 0.0;
    for (int k = 0; k < 6; k++)
        for (int side = 0; side < 2; side++) {
            double leak;
            double got = measure_ms_db(ms, 48000, fs[k], side, &leak);
            double want = chain_db(side ? sid : mid, fs[k], 48000);
            char label[96];
            snprintf(label, sizeof label, "mid/side group, %s at %.0f Hz (analytic)",
                     side ? "side" : "mid", fs[k]);
            CHECK_NEAR(got, want, 0.01, label);
            CHECK(leak <= 1e-6, "mid/side group, %s sine at %.0f Hz: the %s reaches %.3g of it, "
                  "want <= 1e-6", side ? "side" : "mid", fs[k], side ? "mid" : "side", leak);
            worst = fmax(worst, fabs(got - want));
            leak_max = fmax(leak_max, leak);
        }
    printf("mid/side group: largest error against the analytic mid and side responses %.2e dB, "
           "largest leak into the other signal %.2e\n", worst, leak_max);

    /* A mid/side group that is the block's first work splits the float block directly
     * (src/fx/eq.c eq_process); after an idle band (0 dB) it splits the block's double
     * copy: the same samples bit for bit, on 2 and 3 channels. */
    band_spec direct[] = { ms[1], ms[0], ms[3], { NULL, 0, 0, 0, 0, NULL } };
    band_spec copied[] = { { "bell", 1000, 0, 1, 0, NULL }, ms[1], ms[0], ms[3],
                           { NULL, 0, 0, 0, 0, NULL } };
    double dd[2] = { 0.0, 0.0 };
    for (int ch = 2; ch <= 3; ch++) {
        const size_t n = 3 * 8192 + 77;
        lathe_fx *fa = make(48000, ch, direct, 0), *fb = make(48000, ch, copied, 0);
        float **xa = noise(ch, n, 7), **xb = noise(ch, n, 7);
        for (int c = 0; c < ch; c++)     /* full 24-bit mantissas: (L + R) rounds in float */
            for (size_t i = 0; i < n; i++)
                xa[c][i] = xb[c][i] = (float)(xa[c][i] * 0.7310585786300049);
        run(fa, xa, ch, n);
        run(fb, xb, ch, n);
        for (int c = 0; c < ch; c++)
            dd[ch - 2] = fmax(dd[ch - 2], rel_diff(xa[c], xb[c], n));
        free_bufs(xa, ch);
        free_bufs(xb, ch);
        lathe_fx_destroy(fa);
        lathe_fx_destroy(fb);
    }
    printf("mid/side group split from the float block against the double copy: %.3g, %.3g "
           "(2, 3 channels)\n", dd[0], dd[1]);
    CHECK(dd[0] == 0.0 && dd[1] == 0.0, "mid/side group split from the float block: differs "
          "from the double copy's by %.3g (2 channels), %.3g (3), want bit-exact", dd[0], dd[1]);
}

static size_t expected_latency(double rate)
{
    size_t half = 1;
    while ((double)half < 0.34 * rate)
        half <<= 1;
    return half - 1 + half / 8;
}

static double worst_lin_err;

static void test_linear(double rate)
{
    /* Flat: the input delayed by exactly latency(), bit for bit. */
    {
        band_spec none[] = { { "bell", 500, 0, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 2, none, 1);
        size_t lat = lathe_fx_latency(fx);
        CHECK(lat == expected_latency(rate), "linear latency at %.0f Hz: %zu, want %zu", rate,
              lat, expected_latency(rate));
        size_t n = lat + 20000;
        float **in = noise(2, n, 3), **buf = noise(2, n, 3);
        run(fx, buf, 2, n);
        size_t bad = 0;
        for (int c = 0; c < 2; c++)
            for (size_t i = 0; i < n; i++) {
                float want = i < lat ? 0.0f : in[c][i - lat];
                bad += memcmp(&buf[c][i], &want, sizeof(float)) != 0;
            }
        CHECK(bad == 0, "linear flat at %.0f Hz: %zu samples differ from the delayed input", rate,
              bad);
        free_bufs(in, 2);
        free_bufs(buf, 2);
        lathe_fx_destroy(fx);
    }
    /* Impulse responses: symmetric about the latency; DTFT magnitude = analytic. */
    band_spec s1[] = { { "bell", 20, 12, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
    band_spec s2[] = { { "bell", 20, -24, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
    band_spec s3[] = { { "low_cut", 20, 0, 0, 48, NULL }, { "high_cut", 18000, 0, 0, 12, NULL },
                       { NULL, 0, 0, 0, 0, NULL } };
    band_spec s4[] = { { "bell", 1000, 6, 1.4, 0, NULL }, { "low_shelf", 100, 6, 0.7071, 0, NULL },
                       { "high_shelf", 8000, -4, 0.7071, 0, NULL }, { "tilt", 2000, 1.5, 0, 0, NULL },
                       { "low_cut", 40, 0, 0, 24, NULL }, { "notch", 3000, 0, 4, 0, NULL },
                       { "bell", 12000, 3, 0.7, 0, NULL }, { "bell", 200, -5, 3, 0, NULL },
                       { NULL, 0, 0, 0, 0, NULL } };
    const band_spec *sets[4] = { s1, s2, s3, s4 };
    const char *names[4] = { "bell 20 Hz +12 dB Q 1", "bell 20 Hz -24 dB Q 1",
                             "low cut 20 Hz 48 dB/oct + high cut 18 kHz", "8 bands" };
    for (int k = 0; k < 4; k++) {
        lathe_fx *fx = make(rate, 1, sets[k], 1);
        size_t lat = lathe_fx_latency(fx), n = 2 * lat + 2;
        float *h = calloc(n, sizeof(float));
        float *buf[1] = { h };
        h[0] = 1.0f;
        run(fx, buf, 1, n);
        double asym = 0, peak = 0, tail = 0;
        for (size_t j = 1; j <= lat; j++)
            asym = fmax(asym, fabs((double)h[lat + j] - h[lat - j]));
        for (size_t j = 0; j < n; j++)
            peak = fmax(peak, fabs((double)h[j]));
        tail = fabs((double)h[n - 1]);
        CHECK(asym <= 1e-6 * peak, "linear %s at %.0f Hz: asymmetry %.3g of the peak", names[k],
              rate, asym / peak);
        CHECK(tail <= 1e-6 * peak, "linear %s: response extends past 2 latency (%.3g)", names[k], tail);
        /* DTFT on a 1/6-octave grid from 10 Hz, where the analytic response > -40 dB. */
        double worst = 0, fworst = 0;
        for (double f = 10; f < 0.45 * rate; f *= pow(2.0, quick ? 0.5 : 1.0 / 6.0)) {
            double ana = chain_db(sets[k], f, rate);
            if (ana < -40.0)
                continue;
            const double w = 2.0 * PI * f / rate;
            double re = 0, im = 0;
            for (size_t j = 0; j < n; j++) {
                if (h[j] == 0.0f)
                    continue;
                re += h[j] * cos(w * ((double)j - (double)lat));
                im += h[j] * sin(w * ((double)j - (double)lat));
            }
            double got = 10.0 * log10(re * re + im * im);
            if (fabs(got - ana) > worst) {
                worst = fabs(got - ana);
                fworst = f;
            }
        }
        CHECK(worst <= 0.1, "linear %s at %.0f Hz: largest error %.4f dB at %.2f Hz, want <= 0.1",
              names[k], rate, worst, fworst);
        worst_lin_err = fmax(worst_lin_err, worst);
        printf("linear %-42s %6.0f Hz: latency %zu, max error %.4f dB (at %.1f Hz), asym %.1e\n",
               names[k], rate, lat, worst, fworst, asym / peak);
        free(h);
        lathe_fx_destroy(fx);
    }
}

/* ---- glides ---- */

/* A sine of AMP at F through FX; at half time parameter KEY becomes VALUE (numeric)
 * or CHOICE. Returns max |y[n] - y[n-1]| over the second half divided by the largest
 * step of a sine at F with amplitude PEAK (2 sin(pi f / rate) PEAK). */
static double glide_ratio(lathe_fx *fx, double rate, double f, double amp, double peak,
                          const char *key, double value, const char *choice)
{
    size_t lat = lathe_fx_latency(fx), half = (lat + (size_t)(0.3 * rate)) / BLOCK * BLOCK;
    size_t n = 2 * half;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * PI * f * (double)i / rate));
    float *ptr[1];
    for (size_t i = 0; i < n; i += BLOCK) {
        if (i == half) {
            int id = lathe_fx_param_index(cls, key);
            double v = choice ? lathe_param_choice(&cls->params[id], choice) : value;
            lathe_fx_set_param(fx, id, v);
        }
        ptr[0] = x + i;
        lathe_fx_process(fx, ptr, n - i < BLOCK ? n - i : BLOCK);
    }
    double d = 0;
    for (size_t i = half; i < n; i++)
        d = fmax(d, fabs((double)x[i] - x[i - 1]));
    free(x);
    return d / (2.0 * sin(PI * f / rate) * peak);
}

static void test_glides(int linear)
{
    const double rate = 48000, f = 100, amp = 0.25;
    const char *ph = linear ? "linear" : "minimum";
    /* gain 0 -> +12 dB on a bell at the sine: amplitude 0.25 -> 1 */
    {
        band_spec b[] = { { "bell", 100, 0, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, f, amp, amp * pow(10.0, 12.0 / 20.0), "band1_gain_db",
                               12.0, NULL);
        CHECK(r <= 1.05, "%s gain glide: largest step %.3f of a sine's, want <= 1.05", ph, r);
        printf("%s glide, gain 0 -> 12 dB: largest step %.4f of the final sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    /* frequency 100 Hz -> 1 kHz on a +12 dB bell: amplitude 1 -> ~0.26 */
    {
        band_spec b[] = { { "bell", 100, 12, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, f, amp, amp * pow(10.0, 12.0 / 20.0), "band1_freq_hz",
                               1000.0, NULL);
        CHECK(r <= 1.05, "%s frequency glide: largest step %.3f of a sine's, want <= 1.05", ph, r);
        printf("%s glide, bell 100 Hz -> 1 kHz: largest step %.4f of the initial sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    /* Changes far from the sine: a 50 Hz sine should pass unchanged, so any click of
     * a 4 kHz bell being switched or retuned abruptly stands out against its small
     * natural step. */
    {
        band_spec b[] = { { "bell", 4000, 0, 2, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, 50, amp, amp, "band1_gain_db", 12.0, NULL);
        CHECK(r <= 1.05, "%s distant gain glide: largest step %.3f of a sine's, want <= 1.05", ph, r);
        printf("%s glide, 4 kHz bell 0 -> 12 dB on 50 Hz: largest step %.4f of the sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    {
        band_spec b[] = { { "bell", 4000, 24, 2, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, 50, amp, amp, "band1_gain_db", 0.0, NULL);
        CHECK(r <= 1.05, "%s distant gain glide to 0 dB: largest step %.3f of a sine's, want <= 1.05",
              ph, r);
        printf("%s glide, 4 kHz bell 24 -> 0 dB on 50 Hz: largest step %.4f of the sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    {
        band_spec b[] = { { "bell", 2000, 12, 2, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, 50, amp, amp, "band1_freq_hz", 8000.0, NULL);
        CHECK(r <= 1.05, "%s distant frequency glide: largest step %.3f of a sine's, want <= 1.05",
              ph, r);
        printf("%s glide, +12 dB bell 2 -> 8 kHz on 50 Hz: largest step %.4f of the sine's\n", ph,
               r);
        lathe_fx_destroy(fx);
    }
    {
        band_spec b[] = { { "low_cut", 20, 0, 0, 12, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, 50, amp, amp, "band1_type", 0, "high_cut");
        CHECK(r <= 1.05, "%s low cut -> high cut: largest step %.3f of a sine's, want <= 1.05",
              ph, r);
        printf("%s glide, low cut 20 Hz -> high cut 20 Hz on 50 Hz: largest step %.4f of the "
               "sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    /* At 192 kHz a 20 Hz sine moves little per sample: a +12 dB bell on it gliding back
     * to 0 dB must not drop its filter's residual when it reaches 0 dB. */
    {
        band_spec b[] = { { "bell", 20, 12, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(192000, 1, b, linear);
        double r = glide_ratio(fx, 192000, 20, amp, amp * pow(10.0, 12.0 / 20.0),
                               "band1_gain_db", 0.0, NULL);
        CHECK(r <= 1.05, "%s 20 Hz gain glide to 0 dB at 192 kHz: largest step %.3f of a sine's",
              ph, r);
        printf("%s glide, 20 Hz bell 12 -> 0 dB at 192 kHz: largest step %.4f of the initial "
               "sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
    /* type off -> bell +12 dB (a fade in) */
    {
        band_spec b[] = { { "off", 100, 12, 1, 0, NULL }, { NULL, 0, 0, 0, 0, NULL } };
        lathe_fx *fx = make(rate, 1, b, linear);
        double r = glide_ratio(fx, rate, f, amp, amp * pow(10.0, 12.0 / 20.0), "band1_type", 0,
                               "bell");
        CHECK(r <= 1.05, "%s type change: largest step %.3f of a sine's, want <= 1.05", ph, r);
        printf("%s glide, off -> bell +12 dB: largest step %.4f of the final sine's\n", ph, r);
        lathe_fx_destroy(fx);
    }
}

/* Independent check: ffmpeg's biquad filters (af_biquads: the same RBJ cookbook
 * formulas, run here in double precision, direct form I) on the same noise must give
 * the same output as the minimum-phase chain, within float rounding. Skipped without
 * ffmpeg. Butterworth cuts are given to ffmpeg as their sections with the pole Qs. */
static void test_ffmpeg(void)
{
    if (system("ffmpeg -hide_banner -loglevel error -version > /dev/null 2>&1") != 0) {
        printf("ffmpeg not found: skipping the ffmpeg comparison\n");
        return;
    }
    char dir[] = "/tmp/lathe_test_eq_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    char in_path[128], out_path[128], cmd[1024];
    snprintf(in_path, sizeof in_path, "%s/in.wav", dir);
    snprintf(out_path, sizeof out_path, "%s/out.wav", dir);
    const size_t n = 48000;
    float **x = noise(1, n, 21);
    SF_INFO info = { 0 };
    info.samplerate = 48000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(in_path, SFM_WRITE, &info);
    CHECK(f && sf_writef_float(f, x[0], (sf_count_t)n) == (sf_count_t)n, "writing %s", in_path);
    sf_close(f);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -hide_banner -loglevel error -y -i %s -af "
             "aformat=sample_fmts=dbl,"
             "equalizer=f=1000:t=q:w=1.4:g=6,"
             "lowshelf=f=100:t=q:w=0.7071:g=4,"
             "highshelf=f=8000:t=q:w=0.7071:g=-3,"
             "highpass=f=30:p=2:t=q:w=%.17g,highpass=f=30:p=2:t=q:w=%.17g,"
             "lowpass=f=15000:p=2:t=q:w=%.17g,"
             "bandreject=f=3000:t=q:w=4 "
             "-c:a pcm_f32le %s",
             in_path, 1.0 / (2.0 * cos(3.0 * PI / 8.0)), 1.0 / (2.0 * cos(PI / 8.0)),
             1.0 / sqrt(2.0), out_path);
    int rc = system(cmd);
    CHECK(rc == 0, "ffmpeg failed: %s", cmd);
    memset(&info, 0, sizeof info);
    f = rc == 0 ? sf_open(out_path, SFM_READ, &info) : NULL;
    float *ref = calloc(n, sizeof(float));
    sf_count_t got = f ? sf_readf_float(f, ref, (sf_count_t)n) : 0;
    if (f)
        sf_close(f);
    CHECK(got == (sf_count_t)n, "ffmpeg output: %lld frames, want %zu", (long long)got, n);
    band_spec b[] = { { "bell", 1000, 6, 1.4, 0, NULL }, { "low_shelf", 100, 4, 0.7071, 0, NULL },
                      { "high_shelf", 8000, -3, 0.7071, 0, NULL }, { "low_cut", 30, 0, 0, 24, NULL },
                      { "high_cut", 15000, 0, 0, 12, NULL }, { "notch", 3000, 0, 4, 0, NULL },
                      { NULL, 0, 0, 0, 0, NULL } };
    lathe_fx *fx = make(48000, 1, b, 0);
    run(fx, x, 1, n);
    double d = rel_diff(x[0], ref, n);
    CHECK(d <= 1e-5, "minimum phase against ffmpeg's biquads: max difference %.3g of the peak", d);
    printf("minimum phase 6-band chain against ffmpeg (af_biquads, double): max difference "
           "%.2e of the peak\n", d);
    lathe_fx_destroy(fx);
    free(ref);
    free_bufs(x, 1);
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

int main(void)
{
    cls = lathe_fx_class_find("eq");
    CHECK(cls != NULL && cls == &lathe_fx_eq, "eq is registered");
    if (!cls)
        return test_summary();
    quick = getenv("LATHE_SANITIZED") != NULL;
    const double rates[4] = { 44100, 48000, 96000, 192000 };
    for (int r = 0; r < 4; r++) {
        if (quick && (r == 0 || r == 2))
            continue;
        worst_min_err = 0;
        test_min_phase(rates[r]);
        printf("minimum phase %6.0f Hz: largest error against the analytic response %.2e dB "
               "(%s, at %.1f Hz)\n", rates[r], worst_min_err, worst_min_what, worst_min_f);
    }
    test_nulls();
    test_mono_reset();
    test_ffmpeg();
    test_channels(0);
    test_channels(1);
    test_groups();
    for (int r = 0; r < 4; r++)
        if (!quick || r == 3)
            test_linear(rates[r]);
    test_glides(0);
    test_glides(1);
    return test_summary();
}
