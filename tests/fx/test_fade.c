/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fade: exact gains of every curve at known positions (linear 0.5 and equal power
 * sin(pi/4) at half way, S-curve point-symmetric, logarithmic linear in dB), silence
 * at the first and the last frame, the middle untouched bit for bit, the fade-out the
 * time mirror of the fade-in, lengths in frames, block invariance, reset, and the
 * rejection of a fade-out when the stream length is unknown; linear, equal_power and
 * s_curve against ffmpeg's afade (tri, qsin, hsin). */
#include <stdlib.h>
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define FS 48000.0

/* A strong reference, so the class is taken from the static library even while
 * src/fx/registry.h declares it weak (pending). */
extern const lathe_fx_class lathe_fx_fade;
static const lathe_fx_class *cls = &lathe_fx_fade;

enum { LINEAR, EQUAL_POWER, LOGARITHMIC, S_CURVE };
static const char *const names[] = { "linear", "equal_power", "logarithmic", "s_curve" };

/* The curves as docs/fx/fade.md states them, written out here: gain at u in [0, 1]. */
static double expected(int curve, double u)
{
    switch (curve) {
    case EQUAL_POWER:
        return sin(M_PI / 2.0 * u);
    case LOGARITHMIC:
        return (pow(10.0, 3.0 * (u - 1.0)) - 0.001) / 0.999;   /* 60 dB, floor removed */
    case S_CURVE:
        return (1.0 - cos(M_PI * u)) / 2.0;
    default:
        return u;
    }
}

static lathe_status make(double in_ms, double out_ms, int cin, int cout, long long total,
                         int channels, lathe_fx **fx)
{
    double p[4];
    p[lathe_fx_param_index(cls, "fade_in_ms")] = in_ms;
    p[lathe_fx_param_index(cls, "fade_out_ms")] = out_ms;
    p[lathe_fx_param_index(cls, "curve_in")] = cin;
    p[lathe_fx_param_index(cls, "curve_out")] = cout;
    lathe_fx_setup setup = { FS, channels, 4096, total };
    return lathe_fx_create(cls, &setup, p, fx);
}

static void run(lathe_fx *fx, float **x, int channels, size_t n, size_t b)
{
    for (size_t off = 0; off < n; off += b) {
        float *ch[8];
        for (int c = 0; c < channels; c++)
            ch[c] = x[c] + off;
        lathe_fx_process(fx, ch, n - off < b ? n - off : b);
    }
}

/* Fade-in and fade-out of 100 ms (4800 frames) on a 1.0 signal of 20000 frames: the
 * output is the gain. */
static void test_curve(int curve)
{
    const size_t n = 20000, nf = 4800;
    float *x[2] = { malloc(sizeof(float) * n), malloc(sizeof(float) * n) };
    for (size_t i = 0; i < n; i++)
        x[0][i] = x[1][i] = 1.0f;
    lathe_fx *fx;
    CHECK(make(100.0, 100.0, curve, curve, (long long)n, 2, &fx) == LATHE_OK, "create %s",
          names[curve]);
    run(fx, x, 2, n, 1000);
    char what[128];

    CHECK(x[0][0] == 0.0f, "%s: first frame %g, want 0", names[curve], x[0][0]);
    CHECK(x[0][n - 1] == 0.0f, "%s: last frame %g, want 0", names[curve], x[0][n - 1]);
    double worst = 0.0, mirror = 0.0;
    int monotonic = 1;
    for (size_t k = 0; k < nf; k++) {
        double want = expected(curve, (double)k / (double)nf);
        worst = fmax(worst, fabs(x[0][k] - want));
        worst = fmax(worst, fabs(x[1][n - 1 - k] - want));
        mirror = fmax(mirror, fabs(x[0][k] - x[0][n - 1 - k]));
        if (k > 0 && x[0][k] <= x[0][k - 1])
            monotonic = 0;
    }
    snprintf(what, sizeof what, "%s: max deviation from the formula", names[curve]);
    CHECK_RANGE(worst, 0.0, 6e-8, what);
    CHECK(mirror == 0.0, "%s: fade-out is not the mirror of the fade-in (%g)", names[curve], mirror);
    CHECK(monotonic, "%s: fade-in not strictly increasing", names[curve]);
    size_t untouched = 0;
    for (size_t k = nf; k < n - nf; k++)
        untouched += x[0][k] == 1.0f && x[1][k] == 1.0f;
    CHECK(untouched == n - 2 * nf, "%s: %zu of %zu middle frames at 1", names[curve], untouched,
          n - 2 * nf);
    CHECK(x[0][nf - 1] < 1.0f && x[0][n - nf] < 1.0f, "%s: fade lengths are not 4800 frames",
          names[curve]);

    const double half = x[0][nf / 2], quarter = x[0][nf / 4], three = x[0][3 * nf / 4];
    printf("%-12s gain at 1/4, 1/2, 3/4: %.7f %.7f %.7f (%.2f, %.2f, %.2f dB)\n", names[curve],
           quarter, half, three, 20 * log10(quarter), 20 * log10(half), 20 * log10(three));
    switch (curve) {
    case LINEAR:
        CHECK(half == 0.5, "linear: %.9f at half, want 0.5", half);
        CHECK(quarter == 0.25 && three == 0.75, "linear: quarter points %g %g", quarter, three);
        break;
    case EQUAL_POWER:
        CHECK_NEAR(half, sqrt(0.5), 6e-8, "equal_power at half, sin(pi/4)");
        /* Equal power: in^2 + out^2 = 1 for a crossfade of this fade-in with its mirror. */
        worst = 0.0;
        for (size_t k = 0; k < nf; k++) {
            double g1 = x[0][k], g2 = x[0][nf - k < nf ? nf - k : 0];
            if (k > 0)
                worst = fmax(worst, fabs(g1 * g1 + g2 * g2 - 1.0));
        }
        CHECK_RANGE(worst, 0.0, 2e-7, "equal_power: max |g(u)^2 + g(1-u)^2 - 1|");
        break;
    case S_CURVE:
        CHECK(half == 0.5f, "s_curve: %.9f at half, want 0.5", half);
        /* Point symmetry about the middle: g(u) + g(1 - u) = 1. */
        worst = 0.0;
        for (size_t k = 1; k < nf; k++)
            worst = fmax(worst, fabs((double)x[0][k] + x[0][nf - k] - 1.0));
        CHECK_RANGE(worst, 0.0, 1.2e-7, "s_curve: max |g(u) + g(1-u) - 1|");
        CHECK(x[0][1] - x[0][0] < x[0][nf / 2 + 1] - x[0][nf / 2],
              "s_curve: flat start (slope at 0 below the slope at half)");
        break;
    case LOGARITHMIC:
        /* Linear in dB: 60 dB over the fade, 15 dB per quarter, within the bend that the
         * subtracted -60 dB floor makes (0.27 dB at half way, less above). */
        CHECK_NEAR(20 * log10(three) - 20 * log10(half), 15.0, 0.3, "logarithmic: dB from 1/2 to 3/4");
        CHECK_NEAR(20 * log10(half), -30.0, 0.3, "logarithmic: dB at half");
        CHECK_NEAR(20 * log10(three), -15.0, 0.05, "logarithmic: dB at 3/4");
        break;
    default:
        break;
    }
    lathe_fx_destroy(fx);
    free(x[0]);
    free(x[1]);
}

/* Independent check: ffmpeg's afade filter on the same 1.0 signal. Its tri, qsin and
 * hsin curves are our linear, equal_power and s_curve; its fade-out starting at
 * sample ss has gain (ns - i) / ns at ss + i, so ss = total - ns - 1 ends on 0 at the
 * last frame like ours. Returns 0 when ffmpeg cannot be run (the check is skipped). */
static int ffmpeg_fades(const char *curve, size_t n, size_t nf, float *out)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -f lavfi -i 'aevalsrc=1:s=48000,atrim=end_sample=%zu' "
             "-af 'afade=t=in:ns=%zu:curve=%s,afade=t=out:ss=%zu:ns=%zu:curve=%s' "
             "-f f32le -c:a pcm_f32le - 2>/dev/null",
             n, nf, curve, n - nf - 1, nf, curve);
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    size_t got = fread(out, sizeof(float), n, f);
    int rc = pclose(f);
    return got == n && rc == 0;
}

static void test_ffmpeg(void)
{
    const size_t n = 20000, nf = 4800;
    const char *ff[] = { "tri", "qsin", NULL, "hsin" };
    float *ref = malloc(sizeof(float) * n), *x[1] = { malloc(sizeof(float) * n) };
    for (int c = 0; c < 4; c++) {
        if (!ff[c])
            continue;
        if (!ffmpeg_fades(ff[c], n, nf, ref)) {
            printf("ffmpeg not available: afade comparison skipped\n");
            break;
        }
        for (size_t i = 0; i < n; i++)
            x[0][i] = 1.0f;
        lathe_fx *fx;
        make(100.0, 100.0, c, c, (long long)n, 1, &fx);
        run(fx, x, 1, n, 4096);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++)
            worst = fmax(worst, fabs((double)x[0][i] - ref[i]));
        printf("%-12s vs ffmpeg afade curve=%s: max difference %.3g\n", names[c], ff[c], worst);
        char what[96];
        snprintf(what, sizeof what, "%s vs ffmpeg afade %s (max difference)", names[c], ff[c]);
        CHECK_RANGE(worst, 0.0, 1e-6, what);
        lathe_fx_destroy(fx);
    }
    free(ref);
    free(x[0]);
}

int main(void)
{
    lathe_fx *fx = NULL;
    CHECK(lathe_fx_class_find("fade") == cls, "fade is registered");
    CHECK(make(0.0, 500.0, 0, 0, 0, 2, &fx) == LATHE_ERR_INVALID_ARGUMENT && !fx,
          "a fade-out with total_frames 0 is rejected");
    CHECK(make(500.0, 0.0, 0, 0, 0, 2, &fx) == LATHE_OK, "a fade-in alone needs no length");
    CHECK(lathe_fx_latency(fx) == 0, "latency %zu", lathe_fx_latency(fx));
    lathe_fx_destroy(fx);

    for (int c = 0; c < 4; c++)
        test_curve(c);
    test_ffmpeg();

    /* Noise: the middle passes bit for bit; blocks of 1, 333 and 4096 agree; reset
     * starts the envelope again; frames past the announced end are silent. */
    const size_t n = 30000, total = 25000;
    float *a[1] = { malloc(sizeof(float) * n) }, *b[1] = { malloc(sizeof(float) * n) };
    float *ref = malloc(sizeof(float) * n);
    unsigned seed = 5;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        ref[i] = (float)((double)(seed >> 8) / 16777216.0 - 0.5);
    }
    memcpy(a[0], ref, sizeof(float) * n);
    memcpy(b[0], ref, sizeof(float) * n);
    lathe_fx *fa, *fb;
    make(50.0, 200.0, LOGARITHMIC, S_CURVE, (long long)total, 1, &fa);
    make(50.0, 200.0, LOGARITHMIC, S_CURVE, (long long)total, 1, &fb);
    run(fa, a, 1, n, 4096);
    for (size_t off = 0, k = 0; off < n; k++) {
        size_t len = (k % 2) ? 333 : 1;
        if (len > n - off)
            len = n - off;
        float *ch[1] = { b[0] + off };
        lathe_fx_process(fb, ch, len);
        off += len;
    }
    CHECK(memcmp(a[0], b[0], sizeof(float) * n) == 0, "block sizes change the output");
    size_t in_n = 2400, out_n = 9600, same = 0, silent = 0;
    for (size_t i = in_n; i < total - out_n; i++)
        same += a[0][i] == ref[i];
    for (size_t i = total - 1; i < n; i++)
        silent += a[0][i] == 0.0f;
    CHECK(same == total - out_n - in_n, "middle: %zu of %zu frames untouched", same,
          total - out_n - in_n);
    CHECK(silent == n - total + 1, "last frame and beyond: %zu of %zu silent", silent,
          n - total + 1);
    memcpy(b[0], ref, sizeof(float) * n);
    lathe_fx_reset(fa);
    run(fa, b, 1, n, 4096);
    CHECK(memcmp(a[0], b[0], sizeof(float) * n) == 0, "reset does not restart the envelope");

    /* Overlapping fades multiply: a 1 s fade-in and a 1 s fade-out over 1 s of audio. */
    const size_t m = 48000;
    float *o[1] = { malloc(sizeof(float) * m) };
    for (size_t i = 0; i < m; i++)
        o[0][i] = 1.0f;
    make(1000.0, 1000.0, LINEAR, LINEAR, (long long)m, 1, &fx);
    run(fx, o, 1, m, 4096);
    double want = (24000.0 / 48000.0) * (23999.0 / 48000.0);
    CHECK_NEAR(o[0][24000], want, 1e-7, "overlapping linear fades at the middle");
    lathe_fx_destroy(fx);

    lathe_fx_destroy(fa);
    lathe_fx_destroy(fb);
    free(a[0]);
    free(b[0]);
    free(ref);
    free(o[0]);
    return test_summary();
}
