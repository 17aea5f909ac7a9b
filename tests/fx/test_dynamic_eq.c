/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dynamic_eq: exact null below the threshold; the steady gain for a sine against the
 * static curve (threshold, ratio, max gain) and the analogue band shapes; attack and
 * release time constants from the gain trajectory; stereo link; mid/side isolation. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/fx.h"
#include "testutil.h"

/* A strong reference, so the static library's object is linked (the registry's
 * declaration is weak while the class is pending). */
extern const lathe_fx_class lathe_fx_dynamic_eq;

#define BLOCK 256
#define PI 3.14159265358979323846

static const lathe_fx_class *cls;

typedef struct spec {
    const char *type;
    double freq, q, thresh, ratio, maxg, att, rel;
    const char *chan;
} spec;

static void set_key(double *p, const char *key, double v)
{
    int id = lathe_fx_param_index(cls, key);
    if (id < 0) {
        fprintf(stderr, "no parameter %s\n", key);
        exit(1);
    }
    p[id] = v;
}

static lathe_fx *make(double rate, int channels, const spec *s)
{
    double p[32];
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    int t = lathe_param_choice(&cls->params[lathe_fx_param_index(cls, "type")], s->type);
    int c = lathe_param_choice(&cls->params[lathe_fx_param_index(cls, "channels")],
                               s->chan ? s->chan : "stereo");
    if (t < 0 || c < 0) {
        fprintf(stderr, "bad choice\n");
        exit(1);
    }
    set_key(p, "type", t);
    set_key(p, "channels", c);
    set_key(p, "freq_hz", s->freq);
    set_key(p, "q", s->q);
    set_key(p, "threshold_db", s->thresh);
    set_key(p, "ratio", s->ratio);
    set_key(p, "max_gain_db", s->maxg);
    set_key(p, "attack_ms", s->att);
    set_key(p, "release_ms", s->rel);
    lathe_fx_setup su = { rate, channels, BLOCK, 0 };
    lathe_fx *fx = NULL;
    if (lathe_fx_create(cls, &su, p, &fx) != LATHE_OK) {
        fprintf(stderr, "create failed\n");
        exit(1);
    }
    return fx;
}

static void run(lathe_fx *fx, float **buf, int channels, size_t n)
{
    float *ptr[8];
    for (size_t i = 0; i < n; i += BLOCK) {
        for (int c = 0; c < channels; c++)
            ptr[c] = buf[c] + i;
        lathe_fx_process(fx, ptr, n - i < BLOCK ? n - i : BLOCK);
    }
}

/* Least-squares amplitude of the sinusoid at W in X[0..n-1]; START: phase origin. */
static double fit_amp(const float *x, size_t n, double w, size_t start)
{
    double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
    for (size_t i = 0; i < n; i++) {
        double ph = w * (double)(start + i), c = cos(ph), s = sin(ph);
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

static float **alloc_bufs(int channels, size_t n)
{
    float **b = malloc(sizeof(float *) * (size_t)channels);
    for (int c = 0; c < channels; c++)
        b[c] = calloc(n, sizeof(float));
    return b;
}

static void free_bufs(float **b, int channels)
{
    for (int c = 0; c < channels; c++)
        free(b[c]);
    free(b);
}

static double db(double v)
{
    return 20.0 * log10(v);
}

/* Static curve: the gain in dB for a band level LEVEL (dBFS, sine-calibrated). */
static double curve(const spec *s, double level)
{
    double over = level - s->thresh;
    if (over <= 0 || s->maxg == 0)
        return 0;
    double a = over * (1.0 - 1.0 / s->ratio);
    a = a > fabs(s->maxg) ? fabs(s->maxg) : a;
    return s->maxg < 0 ? -a : a;
}

/* The band at gain G (linear) for a sine at F: analogue prototypes at the warped
 * frequency W (D = s^2 + s/Q + 1): bell 1 + (G-1)(s/Q)/D, low shelf
 * (s^2 + sqrt(G) s/Q + G)/D, high shelf (G s^2 + sqrt(G) s/Q + 1)/D; and the detector,
 * the band-pass (s/Q)/D for every shape. */
static double band_db(const spec *s, double f, double rate, double gdb, int detector)
{
    double W = tan(PI * f / rate) / tan(PI * s->freq / rate);
    double complex x = I * W, D = x * x + x / s->q + 1.0;
    double G = pow(10.0, gdb / 20.0), rG = sqrt(G);
    double complex h;
    if (detector)
        h = (x / s->q) / D;
    else if (!strcmp(s->type, "bell"))
        h = 1.0 + (G - 1.0) * (x / s->q) / D;
    else if (!strcmp(s->type, "low_shelf"))
        h = (x * x + rG * x / s->q + G) / D;
    else
        h = (G * x * x + rG * x / s->q + 1.0) / D;
    return db(cabs(h));
}

/* Steady gain (dB) of a sine at F and LEVEL dBFS (peak) after 1.5 s. */
static double steady_db(const spec *s, double rate, double f, double level, int channels)
{
    size_t n = (size_t)(1.5 * rate), win = (size_t)(0.2 * rate);
    lathe_fx *fx = make(rate, channels, s);
    float **b = alloc_bufs(channels, n);
    float *in = calloc(n, sizeof(float));
    double a = pow(10.0, level / 20.0), w = 2.0 * PI * f / rate;
    for (size_t i = 0; i < n; i++)
        in[i] = (float)(a * sin(w * (double)i));
    for (int c = 0; c < channels; c++)
        memcpy(b[c], in, sizeof(float) * n);
    run(fx, b, channels, n);
    double g = db(fit_amp(b[0] + n - win, win, w, n - win) / fit_amp(in + n - win, win, w, n - win));
    free(in);
    free_bufs(b, channels);
    lathe_fx_destroy(fx);
    return g;
}

static void test_static(void)
{
    double worst = 0;
    /* bell at the centre: the band gain is the curve value itself */
    const spec cut = { "bell", 1000, 1.0, -30, 4, -12, 10, 150, NULL };
    const double lv[] = { -40, -30, -26, -20, -14, -6 };
    for (int i = 0; i < 6; i++) {
        double got = steady_db(&cut, 48000, 1000, lv[i], 2), want = curve(&cut, lv[i]);
        char what[96];
        snprintf(what, sizeof what, "bell cut 1 kHz, sine at %.0f dBFS", lv[i]);
        CHECK_NEAR(got, want, 0.5, what);
        worst = fmax(worst, fabs(got - want));
        printf("static: %-36s gain %8.4f dB, curve %8.4f dB\n", what, got, want);
    }
    const spec boost = { "bell", 100, 2.0, -40, 2, 6, 10, 150, NULL };
    const spec deep = { "bell", 5000, 0.7, -20, 10, -24, 5, 100, NULL };
    struct { const spec *s; double rate, f, level; const char *what; } c[] = {
        { &boost, 44100, 100, -30, "bell boost 100 Hz at 44.1 kHz, -30 dBFS" },
        { &boost, 44100, 100, -20, "bell boost 100 Hz at 44.1 kHz, -20 dBFS" },
        { &deep, 96000, 5000, -10, "bell cut 5 kHz at 96 kHz, -10 dBFS" },
        { &deep, 96000, 5000, -2, "bell cut 5 kHz at 96 kHz, -2 dBFS" },
        { &deep, 96000, 7500, -2, "bell cut 5 kHz at 96 kHz, 7.5 kHz at -2 dBFS" },
    };
    for (int i = 0; i < 5; i++) {
        double got = steady_db(c[i].s, c[i].rate, c[i].f, c[i].level, 1);
        /* off the centre: the detector sees the band-pass level, the band its own shape */
        double det = c[i].level + band_db(c[i].s, c[i].f, c[i].rate, 0, 1);
        double want = band_db(c[i].s, c[i].f, c[i].rate, curve(c[i].s, det), 0);
        CHECK_NEAR(got, want, 0.5, c[i].what);
        worst = fmax(worst, fabs(got - want));
        printf("static: %-44s gain %8.4f dB, curve %8.4f dB\n", c[i].what, got, want);
    }
    /* shelves away from the corner: level through the detector filter, then the band
     * shape at the curve's gain */
    const spec ls = { "low_shelf", 200, 0.7071, -30, 3, -10, 10, 150, NULL };
    const spec hs = { "high_shelf", 4000, 0.7071, -36, 2, 8, 10, 150, NULL };
    struct { const spec *s; double f, level; const char *what; } sh[] = {
        { &ls, 50, -10, "low shelf 200 Hz cut, 50 Hz at -10 dBFS" },
        { &ls, 200, -12, "low shelf 200 Hz cut, 200 Hz at -12 dBFS" },
        { &hs, 16000, -10, "high shelf 4 kHz boost, 16 kHz at -10 dBFS" },
        { &hs, 6000, -24, "high shelf 4 kHz boost, 6 kHz at -24 dBFS" },
    };
    for (int i = 0; i < 4; i++) {
        double det = sh[i].level + band_db(sh[i].s, sh[i].f, 48000, 0, 1);
        double want = band_db(sh[i].s, sh[i].f, 48000, curve(sh[i].s, det), 0);
        double got = steady_db(sh[i].s, 48000, sh[i].f, sh[i].level, 1);
        CHECK_NEAR(got, want, 0.5, sh[i].what);
        worst = fmax(worst, fabs(got - want));
        printf("static: %-44s gain %8.4f dB, expected %8.4f dB\n", sh[i].what, got, want);
    }
    printf("static curve: largest deviation %.4f dB\n", worst);
}

static void test_null(void)
{
    const double rate = 48000;
    const size_t n = 96000;
    const spec s = { "bell", 1000, 1.0, -30, 4, -12, 10, 150, NULL };
    const spec m = { "low_shelf", 300, 0.7071, -30, 4, 12, 10, 150, "mid" };
    const spec *specs[2] = { &s, &m };
    for (int k = 0; k < 2; k++) {
        lathe_fx *fx = make(rate, 2, specs[k]);
        float **b = alloc_bufs(2, n), **ref = alloc_bufs(2, n);
        unsigned seed = 9;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1664525u + 1013904223u;
            double noise = ((double)(seed >> 8) / 16777216.0 - 0.5) * 0.01; /* ~ -51 dBFS RMS */
            b[0][i] = ref[0][i] = (float)(0.02 * sin(2.0 * PI * 1000 * (double)i / rate) + noise);
            b[1][i] = ref[1][i] = (float)(noise - 0.01 * sin(2.0 * PI * 300 * (double)i / rate));
        }
        run(fx, b, 2, n);
        size_t diff = 0;
        for (int c = 0; c < 2; c++)
            for (size_t i = 0; i < n; i++)
                diff += memcmp(&b[c][i], &ref[c][i], sizeof(float)) != 0;
        CHECK(diff == 0, "below threshold (%s): %zu samples differ, want a bit-exact null",
              k ? "low shelf, mid" : "bell, stereo", diff);
        lathe_fx_stats st;
        lathe_fx_get_stats(fx, &st);
        CHECK(st.gr_max_db == 0.0, "below threshold: gain moved by %.3g dB", st.gr_max_db);
        free_bufs(b, 2);
        free_bufs(ref, 2);
        lathe_fx_destroy(fx);
    }
}

/* First time (s) from T0 at which the per-period gain trajectory G (dB, one value per
 * period P frames) crosses LEVEL, linearly interpolated; DOWN: crossing downwards. */
static double crossing(const double *g, size_t count, size_t from, double level, int down,
                       double period_s)
{
    for (size_t k = from + 1; k < count; k++) {
        int hit = down ? g[k] <= level : g[k] >= level;
        if (hit) {
            double frac = (level - g[k - 1]) / (g[k] - g[k - 1]);
            return ((double)(k - 1 - from) + frac) * period_s;
        }
    }
    return NAN;
}

/* A sine at F (an integer number of frames per period) steps from -50 to -10 dBFS and
 * back; the gain per period follows g(t) = g_end + (g_start - g_end) exp(-t / tau),
 * so tau = (t80 - t20) / ln 4 whatever the detector's delay. */
static void test_times(double rate, double f, double att, double rel)
{
    const spec s = { "bell", f, 1.0, -40, 2, -24, att, rel, NULL };
    const size_t P = (size_t)(rate / f + 0.5);
    const size_t n1 = (size_t)(0.5 * rate) / P * P, n2 = (size_t)(1.5 * rate) / P * P;
    /* long enough for the release to reach exactly 0 dB (< 1e-5 dB after ~14 tau) */
    const size_t n3 = (size_t)((3.0 > 0.016 * rel ? 3.0 : 0.016 * rel) * rate) / P * P;
    const size_t n = n1 + n2 + n3;
    lathe_fx *fx = make(rate, 1, &s);
    float **b = alloc_bufs(1, n);
    float *in = calloc(n, sizeof(float));
    const double w = 2.0 * PI / (double)P;
    for (size_t i = 0; i < n; i++) {
        double a = i >= n1 && i < n1 + n2 ? pow(10.0, -10.0 / 20.0) : pow(10.0, -50.0 / 20.0);
        in[i] = b[0][i] = (float)(a * sin(w * (double)i));
    }
    run(fx, b, 1, n);
    size_t count = n / P;
    double *g = malloc(sizeof(double) * count);
    for (size_t k = 0; k < count; k++)
        g[k] = db(fit_amp(b[0] + k * P, P, w, k * P) / fit_amp(in + k * P, P, w, k * P));
    const double gend = curve(&s, -10.0);   /* -15 dB */
    const double per = (double)P / rate;
    double t20 = crossing(g, count, n1 / P, 0.2 * gend, 1, per);
    double t80 = crossing(g, count, n1 / P, 0.8 * gend, 1, per);
    double tau_a = (t80 - t20) / log(4.0) * 1e3;
    /* The first periods after the fall hold the band-pass's decaying loud tail (the
     * ratio to the quiet input is meaningless there): search from 5 periods on. */
    double r20 = crossing(g, count, (n1 + n2) / P + 5, 0.8 * gend, 0, per);
    double r80 = crossing(g, count, (n1 + n2) / P + 5, 0.2 * gend, 0, per);
    double tau_r = (r80 - r20) / log(4.0) * 1e3;
    double settled = g[(n1 + n2) / P - 1], after = g[count - 1];
    char what[96];
    snprintf(what, sizeof what, "attack at %.0f Hz, %.0f ms set (ms)", rate, att);
    CHECK_NEAR(tau_a, att, 0.1 * att, what);
    snprintf(what, sizeof what, "release at %.0f Hz, %.0f ms set (ms)", rate, rel);
    CHECK_NEAR(tau_r, rel, 0.1 * rel, what);
    CHECK_NEAR(settled, gend, 0.5, "gain at the end of the loud part (dB)");
    CHECK(after == 0.0, "gain long after the level fell: %.3g dB, want exactly 0", after);
    printf("times at %.0f Hz, %.0f Hz sine: attack %.2f ms (set %.0f), release %.2f ms (set %.0f), "
           "loud gain %.3f dB (curve %.1f)\n", rate, f, tau_a, att, tau_r, rel, settled, gend);
    lathe_fx_stats st;
    lathe_fx_get_stats(fx, &st);
    CHECK_NEAR(st.gr_max_db, -gend, 0.5, "stats: deepest gain change (dB)");
    free(g);
    free(in);
    free_bufs(b, 1);
    lathe_fx_destroy(fx);
}

/* Stereo link: a quiet channel gets the loud one's gain. Mid/side: the other signal is
 * untouched. */
static void test_channels(void)
{
    const double rate = 48000, f = 1000, w = 2.0 * PI * f / rate;
    const size_t n = (size_t)(1.5 * rate), win = (size_t)(0.2 * rate);
    {
        const spec s = { "bell", 1000, 1.0, -30, 4, -12, 10, 150, NULL };
        lathe_fx *fx = make(rate, 2, &s);
        float **b = alloc_bufs(2, n);
        for (size_t i = 0; i < n; i++) {
            b[0][i] = (float)(pow(10.0, -14.0 / 20.0) * sin(w * (double)i));
            b[1][i] = (float)(pow(10.0, -50.0 / 20.0) * sin(w * (double)i));
        }
        run(fx, b, 2, n);
        double gl = db(fit_amp(b[0] + n - win, win, w, n - win) / pow(10.0, -14.0 / 20.0));
        double gr = db(fit_amp(b[1] + n - win, win, w, n - win) / pow(10.0, -50.0 / 20.0));
        CHECK_NEAR(gl, curve(&s, -14), 0.5, "stereo link: loud channel gain (dB)");
        CHECK_NEAR(gr, curve(&s, -14), 0.5, "stereo link: quiet channel gain (dB)");
        printf("stereo link: loud channel %.3f dB, quiet channel %.3f dB (curve %.1f)\n", gl, gr,
               curve(&s, -14));
        free_bufs(b, 2);
        lathe_fx_destroy(fx);
    }
    const char *modes[2] = { "mid", "side" };
    for (int k = 0; k < 2; k++) {
        const spec s = { "bell", 1000, 1.0, -30, 4, -12, 10, 150, modes[k] };
        lathe_fx *fx = make(rate, 2, &s);
        float **b = alloc_bufs(2, n), **ref = alloc_bufs(2, n);
        unsigned seed = 5;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1664525u + 1013904223u;
            double other = ((double)(seed >> 8) / 16777216.0 - 0.5) * 0.2;
            double tone = pow(10.0, -10.0 / 20.0) * sin(w * (double)i);
            double m = k == 0 ? tone : other, sd = k == 0 ? other : tone;
            b[0][i] = ref[0][i] = (float)(m + sd);
            b[1][i] = ref[1][i] = (float)(m - sd);
        }
        run(fx, b, 2, n);
        double dk = 0, mk = 0;
        float *chg = malloc(sizeof(float) * n), *chg_ref = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) {
            double kept = k == 0 ? 0.5 * ((double)b[0][i] - b[1][i]) : 0.5 * ((double)b[0][i] + b[1][i]);
            double kref = k == 0 ? 0.5 * ((double)ref[0][i] - ref[1][i])
                                 : 0.5 * ((double)ref[0][i] + ref[1][i]);
            dk = fmax(dk, fabs(kept - kref));
            mk = fmax(mk, fabs(kref));
            chg[i] = (float)(k == 0 ? 0.5 * ((double)b[0][i] + b[1][i]) : 0.5 * ((double)b[0][i] - b[1][i]));
            chg_ref[i] = (float)(k == 0 ? 0.5 * ((double)ref[0][i] + ref[1][i])
                                        : 0.5 * ((double)ref[0][i] - ref[1][i]));
        }
        double g = db(fit_amp(chg + n - win, win, w, n - win) / fit_amp(chg_ref + n - win, win, w, n - win));
        CHECK(dk <= 1e-6 * mk, "%s mode: the other signal changed by %.3g (relative)", modes[k], dk / mk);
        CHECK_NEAR(g, curve(&s, -10), 0.5, modes[k]);
        printf("%s mode: other signal changed by %.2e (relative), tone gain %.3f dB (curve %.1f)\n",
               modes[k], dk / mk, g, curve(&s, -10));
        free(chg);
        free(chg_ref);
        free_bufs(b, 2);
        free_bufs(ref, 2);
        lathe_fx_destroy(fx);
    }
}

/* Parameter changes while the band is cutting a 1 kHz sine: no step larger than the
 * sine's own (the gain never exceeds 0 dB here). */
static void test_glides(void)
{
    const double rate = 48000, f = 1000, amp = pow(10.0, -10.0 / 20.0);
    const char *keys[3] = { "type", "freq_hz", "channels" };
    const double vals[3] = { 2, 1500, 1 };   /* high_shelf, 1.5 kHz, mid */
    for (int k = 0; k < 3; k++) {
        const spec s = { "bell", 1000, 1.0, -30, 4, -12, 10, 150, NULL };
        lathe_fx *fx = make(rate, 2, &s);
        size_t n = (size_t)(1.0 * rate) / BLOCK * BLOCK, half = n / 2 / BLOCK * BLOCK;
        float **b = alloc_bufs(2, n);
        for (size_t i = 0; i < n; i++)
            b[0][i] = b[1][i] = (float)(amp * sin(2.0 * PI * f * (double)i / rate));
        float *ptr[2];
        for (size_t i = 0; i < n; i += BLOCK) {
            if (i == half)
                lathe_fx_set_param(fx, lathe_fx_param_index(cls, keys[k]), vals[k]);
            ptr[0] = b[0] + i;
            ptr[1] = b[1] + i;
            lathe_fx_process(fx, ptr, BLOCK);
        }
        double d = 0;
        for (size_t i = half; i < n; i++)
            d = fmax(d, fabs((double)b[0][i] - b[0][i - 1]));
        double r = d / (2.0 * sin(PI * f / rate) * amp);
        CHECK(r <= 1.05, "dynamic_eq %s change: largest step %.3f of the sine's", keys[k], r);
        printf("glide, %s change while cutting: largest step %.4f of the sine's\n", keys[k], r);
        free_bufs(b, 2);
        lathe_fx_destroy(fx);
    }
}

int main(void)
{
    cls = lathe_fx_class_find("dynamic_eq");
    CHECK(cls != NULL && cls == &lathe_fx_dynamic_eq, "dynamic_eq is registered");
    if (!cls)
        return test_summary();
    test_null();
    test_static();
    test_times(48000, 1000, 50, 300);
    test_times(96000, 2000, 20, 120);
    test_times(44100, 441, 100, 500);
    test_times(48000, 1000, 5, 30);
    test_channels();
    test_glides();
    return test_summary();
}
