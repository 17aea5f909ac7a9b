/* SPDX-License-Identifier: GPL-3.0-or-later */
/* stereo: width 100 = identity and width 0 = exact mono (bit for bit), width 200 =
 * side +6.02 dB with mid unchanged, mid/side balance, bass mono (side below the
 * frequency removed as a 4th-order Linkwitz-Riley high-pass predicts, highs and the
 * mono sum untouched), band widths around the crossover, glides, block invariance. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define FS 48000.0

/* A strong reference, so the class is taken from the static library even while
 * src/fx/registry.h declares it weak (pending). */
extern const lathe_fx_class lathe_fx_stereo;
static const lathe_fx_class *cls = &lathe_fx_stereo;

static int idx(const char *key)
{
    int i = lathe_fx_param_index(cls, key);
    if (i < 0) {
        fprintf(stderr, "unknown key %s\n", key);
        exit(1);
    }
    return i;
}

static lathe_fx *make(int channels, size_t max_block, ...)
{
    double p[32];
    va_list ap;
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    va_start(ap, max_block);
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
        p[idx(k)] = va_arg(ap, double);
    va_end(ap);
    lathe_fx_setup setup = { FS, channels, max_block, 0 };
    lathe_fx *fx = NULL;
    if (lathe_fx_create(cls, &setup, p, &fx) != LATHE_OK) {
        fprintf(stderr, "create failed\n");
        exit(1);
    }
    return fx;
}

/* Processes CHANNELS planar arrays X[c] (N frames) in blocks of B. */
static void run(lathe_fx *fx, float **x, int channels, size_t n, size_t b)
{
    for (size_t off = 0; off < n; off += b) {
        float *ch[8];
        for (int c = 0; c < channels; c++)
            ch[c] = x[c] + off;
        lathe_fx_process(fx, ch, n - off < b ? n - off : b);
    }
}

typedef struct { double mid, side, corr; } ms_stats;

/* Mid and side energies (mean squares) and the L/R correlation over [A, B). */
static ms_stats measure(const float *l, const float *r, size_t a, size_t b)
{
    double mm = 0, ss = 0, lr = 0, ll = 0, rr = 0;
    for (size_t i = a; i < b; i++) {
        double m = 0.5 * ((double)l[i] + r[i]), s = 0.5 * ((double)l[i] - r[i]);
        mm += m * m;
        ss += s * s;
        lr += (double)l[i] * r[i];
        ll += (double)l[i] * l[i];
        rr += (double)r[i] * r[i];
    }
    ms_stats st = { mm / (double)(b - a), ss / (double)(b - a), lr / sqrt(ll * rr) };
    return st;
}

/* L = sin, R = cos at FREQ (uncorrelated: side and mid equally loud), amplitude A. */
static void quadrature(float *l, float *r, size_t n, double freq, double a)
{
    for (size_t i = 0; i < n; i++) {
        double ph = 2.0 * M_PI * freq * (double)i / FS;
        l[i] = (float)(a * sin(ph));
        r[i] = (float)(a * cos(ph));
    }
}

static void noise(float *x, size_t n, unsigned *seed, double a)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)(a * ((double)(*seed >> 8) / 16777216.0 * 2.0 - 1.0));
    }
}

/* Magnitude of a 4th-order Linkwitz-Riley high-pass at F for a crossover at FC,
 * bilinear transform with pre-warping (each Butterworth section has
 * |H|^2 = W^4 / (1 + W^4), W = tan(pi f / fs) / tan(pi fc / fs)). */
static double lr4_hp_db(double f, double fc)
{
    double w = tan(M_PI * f / FS) / tan(M_PI * fc / FS), w4 = w * w * w * w;
    return 20.0 * log10(w4 / (1.0 + w4));
}

static void test_identity(void)
{
    const size_t n = 20000;
    unsigned seed = 1;
    float *x[3], *ref[3];
    for (int c = 0; c < 3; c++) {
        x[c] = malloc(sizeof(float) * n);
        ref[c] = malloc(sizeof(float) * n);
        noise(x[c], n, &seed, 0.9);
        memcpy(ref[c], x[c], sizeof(float) * n);
    }
    lathe_fx *fx = make(3, 1024, NULL);
    CHECK(lathe_fx_latency(fx) == 0, "latency %zu", lathe_fx_latency(fx));
    run(fx, x, 3, n, 1024);
    for (int c = 0; c < 3; c++)
        CHECK(memcmp(x[c], ref[c], sizeof(float) * n) == 0, "defaults: channel %d changed", c);

    /* Away from neutral and back: once the glide has ended, the identity again. */
    lathe_fx_set_param(fx, idx("width_percent"), 50.0);
    lathe_fx_set_param(fx, idx("bass_mono_hz"), 120.0);
    lathe_fx_set_param(fx, idx("low_width_percent"), 130.0);
    run(fx, x, 3, 5000, 1024);
    lathe_fx_set_param(fx, idx("width_percent"), 100.0);
    lathe_fx_set_param(fx, idx("bass_mono_hz"), 0.0);
    lathe_fx_set_param(fx, idx("low_width_percent"), 100.0);
    run(fx, x, 3, 5000, 1024);
    for (int c = 0; c < 3; c++)
        memcpy(x[c], ref[c], sizeof(float) * n);
    run(fx, x, 3, n, 1024);
    for (int c = 0; c < 3; c++)
        CHECK(memcmp(x[c], ref[c], sizeof(float) * n) == 0,
              "back at neutral: channel %d changed", c);
    lathe_fx_destroy(fx);

    /* Mono input: nothing to do. */
    fx = make(1, 1024, "width_percent", 0.0, NULL);
    run(fx, x, 1, n, 1024);
    CHECK(memcmp(x[0], ref[0], sizeof(float) * n) == 0, "mono input changed");
    lathe_fx_destroy(fx);

    /* Width 0: L == R bit for bit, equal to (L + R) / 2; the third channel untouched. */
    fx = make(3, 1024, "width_percent", 0.0, NULL);
    run(fx, x, 3, n, 1024);
    size_t same = 0;
    double dev = 0.0;
    for (size_t i = 0; i < n; i++) {
        same += x[0][i] == x[1][i];
        dev = fmax(dev, fabs(x[0][i] - 0.5 * ((double)ref[0][i] + ref[1][i])));
    }
    CHECK(same == n, "width 0: L == R on %zu of %zu samples", same, n);
    CHECK(dev <= 6e-8, "width 0: max |L - (L+R)/2| = %g", dev);
    CHECK(memcmp(x[2], ref[2], sizeof(float) * n) == 0, "width 0: channel 3 changed");
    printf("width 0: L == R on %zu of %zu samples, max |out - (L+R)/2| = %.3g\n", same, n, dev);
    lathe_fx_destroy(fx);
    for (int c = 0; c < 3; c++) {
        free(x[c]);
        free(ref[c]);
    }
}

/* Width 200 and mid/side balance: energies as stated. */
static void test_width_balance(void)
{
    const size_t n = 48000;
    unsigned seed = 7;
    float *x[2], *ref[2];
    const double settings[][2] = { { 200.0, 0.0 }, { 50.0, 0.0 }, { 100.0, 6.0 },
                                   { 100.0, -6.0 }, { 200.0, 3.0 } };
    for (int c = 0; c < 2; c++) {
        x[c] = malloc(sizeof(float) * n);
        ref[c] = malloc(sizeof(float) * n);
    }
    for (size_t k = 0; k < sizeof settings / sizeof settings[0]; k++) {
        double w = settings[k][0], b = settings[k][1];
        noise(ref[0], n, &seed, 0.5);
        noise(ref[1], n, &seed, 0.5);
        for (int c = 0; c < 2; c++)
            memcpy(x[c], ref[c], sizeof(float) * n);
        lathe_fx *fx = make(2, 4096, "width_percent", w, "ms_balance_db", b, NULL);
        run(fx, x, 2, n, 4096);
        ms_stats in = measure(ref[0], ref[1], 0, n), out = measure(x[0], x[1], 0, n);
        double dm = 10.0 * log10(out.mid / in.mid), ds = 10.0 * log10(out.side / in.side);
        double want_s = 20.0 * log10(w / 100.0) + b / 2.0, want_m = -b / 2.0;
        printf("width %3.0f %%, balance %+.0f dB: mid %+.4f dB (want %+.4f), side %+.4f dB "
               "(want %+.4f)\n", w, b, dm, want_m, ds, want_s);
        char what[96];
        snprintf(what, sizeof what, "width %.0f balance %.0f: mid change (dB)", w, b);
        CHECK_NEAR(dm, want_m, 0.001, what);
        snprintf(what, sizeof what, "width %.0f balance %.0f: side change (dB)", w, b);
        CHECK_NEAR(ds, want_s, 0.001, what);
        lathe_fx_destroy(fx);
    }
    for (int c = 0; c < 2; c++) {
        free(x[c]);
        free(ref[c]);
    }
}

/* Bass mono: below the frequency the side goes (the low tone's correlation becomes
 * +1), as a 4th-order Linkwitz-Riley high-pass predicts; above it the side, the mid
 * and the L/R balance of a panned source stay. */
static void test_bass_mono(void)
{
    const size_t n = 96000, a = 48000;   /* measure the second second */
    const double fc = 150.0;
    const double freqs[] = { 30.0, 60.0, 150.0, 1000.0, 5000.0 };
    float *x[2];
    char what[96];
    for (int c = 0; c < 2; c++)
        x[c] = malloc(sizeof(float) * n);
    for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
        double f = freqs[k];
        quadrature(x[0], x[1], n, f, 0.5);
        ms_stats in = measure(x[0], x[1], a, n);
        lathe_fx *fx = make(2, 1000, "bass_mono_hz", fc, NULL);
        run(fx, x, 2, n, 1000);
        ms_stats out = measure(x[0], x[1], a, n);
        double ds = 10.0 * log10(out.side / in.side), dm = 10.0 * log10(out.mid / in.mid);
        printf("bass mono %.0f Hz, %5.0f Hz tone: side %+.3f dB (LR4 %+.3f), mid %+.5f dB, "
               "correlation %.6f -> %.6f\n", fc, f, ds, lr4_hp_db(f, fc), dm, in.corr, out.corr);
        snprintf(what, sizeof what, "bass mono: side at %.0f Hz (dB)", f);
        CHECK_NEAR(ds, lr4_hp_db(f, fc), 0.01, what);
        snprintf(what, sizeof what, "bass mono: mid at %.0f Hz (dB)", f);
        CHECK_NEAR(dm, 0.0, 0.0005, what);
        if (f <= 30.0) {
            snprintf(what, sizeof what, "bass mono: correlation at %.0f Hz", f);
            CHECK_RANGE(out.corr, 0.99999, 1.0, what);
        }
        if (f >= 5000.0) {
            snprintf(what, sizeof what, "bass mono: correlation at %.0f Hz", f);
            CHECK_NEAR(out.corr, in.corr, 0.0001, what);
        }
        lathe_fx_destroy(fx);
    }

    /* A source panned hard left at 2 kHz stays left: R' = LP4(M) only. */
    for (size_t i = 0; i < n; i++) {
        x[0][i] = (float)(0.5 * sin(2 * M_PI * 2000.0 * (double)i / FS));
        x[1][i] = 0.0f;
    }
    lathe_fx *fx = make(2, 1000, "bass_mono_hz", fc, NULL);
    run(fx, x, 2, n, 1000);
    ms_stats out = measure(x[0], x[1], a, n);
    double ll = 0, rr = 0;
    for (size_t i = a; i < n; i++) {
        ll += (double)x[0][i] * x[0][i];
        rr += (double)x[1][i] * x[1][i];
    }
    double leak = 10.0 * log10(rr / ll);
    printf("bass mono %.0f Hz, 2 kHz panned left: right channel at %.1f dB re left, "
           "left level %+.5f dB\n", fc, leak, 10.0 * log10(ll / (n - a) / 0.125));
    CHECK_RANGE(leak, -300.0, -80.0, "bass mono: 2 kHz left-panned leak into right (dB)");
    CHECK_NEAR(10.0 * log10(ll / (double)(n - a) / 0.125), 0.0, 0.001,
               "bass mono: 2 kHz left-panned level (dB)");
    (void)out;
    lathe_fx_destroy(fx);

    /* Mono content: L == R stays bit-identical and keeps its level at every frequency
     * (the mid goes through an allpass). */
    for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
        double f = freqs[k];
        for (size_t i = 0; i < n; i++)
            x[0][i] = x[1][i] = (float)(0.5 * sin(2 * M_PI * f * (double)i / FS));
        fx = make(2, 1000, "bass_mono_hz", fc, NULL);
        run(fx, x, 2, n, 1000);
        size_t same = 0;
        double e = 0;
        for (size_t i = 0; i < n; i++)
            same += x[0][i] == x[1][i];
        for (size_t i = a; i < n; i++)
            e += (double)x[0][i] * x[0][i];
        double db = 10.0 * log10(e / (double)(n - a) / 0.125);
        snprintf(what, sizeof what, "bass mono: mono %.0f Hz level (dB)", f);
        CHECK_NEAR(db, 0.0, 0.001, what);
        CHECK(same == n, "bass mono: mono %.0f Hz: L == R on %zu of %zu", f, same, n);
        lathe_fx_destroy(fx);
    }
    for (int c = 0; c < 2; c++)
        free(x[c]);
}

/* Band widths: low 0 % removes the side below the crossover like bass mono; low 200 %
 * doubles it; the high band keeps its side; mono content keeps its level. */
static void test_bands(void)
{
    const size_t n = 96000, a = 48000;
    const double fc = 300.0;
    float *x[2];
    char what[128];
    for (int c = 0; c < 2; c++)
        x[c] = malloc(sizeof(float) * n);
    const double cases[][3] = {   /* low width, tone, expected side change in dB */
        { 0.0, 50.0, 0.0 }, { 0.0, 4000.0, 0.0 }, { 200.0, 50.0, 0.0 }, { 200.0, 4000.0, 0.0 } };
    for (size_t k = 0; k < 4; k++) {
        double lw = cases[k][0], f = cases[k][1];
        double w = tan(M_PI * f / FS) / tan(M_PI * fc / FS), w4 = w * w * w * w;
        /* S' = (lw/100) LP4 + HP4, and LP4 + HP4 is an allpass: |S'| = |lw/100 LP4 + HP4|
         * = |(lw/100) + w^4| / (1 + w^4) (LP4 = 1/(1+s^2..)^2 and HP4 share a phase). */
        double want = 20.0 * log10(fabs(lw / 100.0 + w4) / (1.0 + w4));
        quadrature(x[0], x[1], n, f, 0.5);
        ms_stats in = measure(x[0], x[1], a, n);
        lathe_fx *fx = make(2, 777, "low_width_percent", lw, "crossover_hz", fc, NULL);
        run(fx, x, 2, n, 777);
        ms_stats out = measure(x[0], x[1], a, n);
        double ds = 10.0 * log10(out.side / in.side), dm = 10.0 * log10(out.mid / in.mid);
        printf("low width %3.0f %%, crossover %.0f Hz, %4.0f Hz tone: side %+.3f dB (want "
               "%+.3f), mid %+.5f dB\n", lw, fc, f, ds, want, dm);
        snprintf(what, sizeof what, "low width %.0f: side at %.0f Hz (dB)", lw, f);
        CHECK_NEAR(ds, want, 0.01, what);
        snprintf(what, sizeof what, "low width %.0f: mid at %.0f Hz (dB)", lw, f);
        CHECK_NEAR(dm, 0.0, 0.0005, what);
        lathe_fx_destroy(fx);
    }
    /* Equal band widths of 150 %: the side is 1.5 x at every frequency (flat). */
    const double freqs[] = { 40.0, 300.0, 3000.0 };
    for (size_t k = 0; k < 3; k++) {
        quadrature(x[0], x[1], n, freqs[k], 0.5);
        ms_stats in = measure(x[0], x[1], a, n);
        lathe_fx *fx = make(2, 777, "low_width_percent", 150.0, "high_width_percent", 150.0, NULL);
        run(fx, x, 2, n, 777);
        ms_stats out = measure(x[0], x[1], a, n);
        double ds = 10.0 * log10(out.side / in.side);
        snprintf(what, sizeof what, "band widths 150/150: side at %.0f Hz (dB)", freqs[k]);
        CHECK_NEAR(ds, 20.0 * log10(1.5), 0.001, what);
        lathe_fx_destroy(fx);
    }
    for (int c = 0; c < 2; c++)
        free(x[c]);
}

/* Width glides linearly over 20 ms (960 frames at 48 kHz): with R = 0 the output's
 * S/M ratio is the side gain itself. Block sizes do not change the bits. */
static void test_glide_blocks(void)
{
    const size_t n = 6000, at = 1500, ramp = 960;
    float *x[2], *y[2];
    unsigned seed = 3;
    for (int c = 0; c < 2; c++) {
        x[c] = malloc(sizeof(float) * n);
        y[c] = malloc(sizeof(float) * n);
    }
    noise(x[0], n, &seed, 0.5);
    for (size_t i = 0; i < n; i++)
        x[0][i] = x[0][i] == 0.0f ? 0.25f : x[0][i];
    memset(x[1], 0, sizeof(float) * n);
    memcpy(y[0], x[0], sizeof(float) * n);
    memcpy(y[1], x[1], sizeof(float) * n);
    lathe_fx *fa = make(2, 4096, NULL), *fb = make(2, 4096, NULL);
    run(fa, x, 2, at, 4096);
    run(fb, y, 2, at, 1);
    lathe_fx_set_param(fa, idx("width_percent"), 0.0);
    lathe_fx_set_param(fb, idx("width_percent"), 0.0);
    lathe_fx_set_param(fa, idx("bass_mono_hz"), 100.0);
    lathe_fx_set_param(fb, idx("bass_mono_hz"), 100.0);
    float *xa[2] = { x[0] + at, x[1] + at }, *yb[2] = { y[0] + at, y[1] + at };
    run(fa, xa, 2, 2000, 4096);
    run(fb, yb, 2, 2000, 33);
    lathe_fx_set_param(fa, idx("width_percent"), 150.0);
    lathe_fx_set_param(fb, idx("width_percent"), 150.0);
    float *xa2[2] = { x[0] + at + 2000, x[1] + at + 2000 };
    float *yb2[2] = { y[0] + at + 2000, y[1] + at + 2000 };
    run(fa, xa2, 2, n - at - 2000, 4096);
    run(fb, yb2, 2, n - at - 2000, 7);
    CHECK(memcmp(x[0], y[0], sizeof(float) * n) == 0 && memcmp(x[1], y[1], sizeof(float) * n) == 0,
          "blocks of 4096 and of 1/33/7 frames give different output");
    lathe_fx_destroy(fa);
    lathe_fx_destroy(fb);

    /* Width alone: side gain from the S/M ratio. */
    noise(x[0], n, &seed, 0.5);
    memset(x[1], 0, sizeof(float) * n);
    fa = make(2, 4096, NULL);
    run(fa, x, 2, at, 4096);
    lathe_fx_set_param(fa, idx("width_percent"), 0.0);
    float *xs[2] = { x[0] + at, x[1] + at };
    run(fa, xs, 2, n - at, 4096);
    double worst = 0.0;
    for (size_t i = at; i < n; i++) {
        double m = 0.5 * ((double)x[0][i] + x[1][i]), s = 0.5 * ((double)x[0][i] - x[1][i]);
        if (fabs(m) < 1e-3)
            continue;
        double k = (double)(i - at + 1);
        double want = k >= (double)ramp ? 0.0 : 1.0 - k / (double)ramp;
        worst = fmax(worst, fabs(s / m - want));
    }
    CHECK(worst < 1e-5, "width glide: max deviation of the side gain from the 20 ms ramp %g",
          worst);
    lathe_fx_destroy(fa);
    for (int c = 0; c < 2; c++) {
        free(x[c]);
        free(y[c]);
    }
}

int main(void)
{
    CHECK(lathe_fx_class_find("stereo") == cls, "stereo is registered");
    test_identity();
    test_width_balance();
    test_bass_mono();
    test_bands();
    test_glide_blocks();
    return test_summary();
}
