/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The four-lane gain computer of src/dsp/envelope.h (used by multiband) against libm and
 * the scalar reference: lathe_v4_log2 within 5e-8 of log2, lathe_v4_exp2 within 1e-8
 * (relative) of exp2, the static curve within 2e-7 dB of lathe_gain_curve_reduction over
 * thresholds, ratios and knees (0 exactly below the knee, for ratio 1 and for NaN), and the
 * gain 10^(-GR/20) exactly 1 below LATHE_GR_EPSILON_DB. */
#include <stdint.h>
#include <string.h>
#include "dsp/envelope.h"
#include "testutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void test_log2(void)
{
    double worst = 0.0;
    for (int i = 0; i < 200000; i++) {
        /* powers from 1e-12 to 1e6, and exact powers of two and their neighbours */
        double p = i < 100 ? ldexp(1.0, i - 50) * (i % 3 == 0 ? 1.0 : i % 3 == 1 ? 1.0 - 1e-16 : 1.0 + 2.2e-16)
                           : pow(10.0, -12.0 + 18.0 * uniform());
        lathe_v4d v = { p, 0.5 * p, 2.0 * p, 1.4142135623730951 * p }, r;
        lathe_v4_log2(&v, &r);
        for (int l = 0; l < 4; l++)
            worst = fmax(worst, fabs(r[l] - log2(v[l])));
    }
    printf("lathe_v4_log2: worst error %.3e (log2 units)\n", worst);
    CHECK(worst < 5e-8, "log2 worst error %.3e, want < 5e-8", worst);
}

static void test_exp2(void)
{
    double worst = 0.0;
    for (int i = 0; i < 200000; i++) {
        double t = -60.0 + 70.0 * uniform();
        lathe_v4d v = { t, -t, 0.5 * t, floor(t) + 0.5 }, r;
        lathe_v4_exp2(&v, &r);
        for (int l = 0; l < 4; l++) {
            double want = exp2(v[l]);
            worst = fmax(worst, fabs(r[l] - want) / want);
        }
    }
    lathe_v4d ext = { -2000.0, 2000.0, 0.0, -1.0 }, r;
    lathe_v4_exp2(&ext, &r);
    printf("lathe_v4_exp2: worst relative error %.3e\n", worst);
    CHECK(worst < 1e-8, "exp2 worst relative error %.3e, want < 1e-8", worst);
    CHECK(r[0] == exp2(-1000.0) && r[1] == exp2(1000.0), "clamps to +-1000 (%g, %g)", r[0], r[1]);
    CHECK(r[2] == 1.0 && r[3] == 0.5, "exact at integers (%.17g, %.17g)", r[2], r[3]);
}

static void test_curve(void)
{
    const double thr[] = { -60.0, -24.0, -6.0, 0.0 };
    const double ratio[] = { 1.0, 1.5, 4.0, 50.0, INFINITY };
    const double knee[] = { 0.0, 6.0, 24.0 };
    double worst = 0.0;
    int zero_ok = 1, nan_ok = 1;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 5; b++)
            for (int k = 0; k < 3; k++) {
                lathe_gain_curve g;
                lathe_gain_curve4 g4;
                lathe_gain_curve_set(&g, thr[a], ratio[b], knee[k]);
                for (int l = 0; l < 4; l++)
                    lathe_gain_curve4_set(&g4, l, &g);
                for (int i = 0; i < 4000; i++) {
                    /* levels from 40 dB under to 30 dB over the threshold */
                    double lv[4];
                    lathe_v4d p, r;
                    for (int l = 0; l < 4; l++) {
                        lv[l] = thr[a] - 40.0 + 70.0 * uniform();
                        p[l] = pow(10.0, lv[l] / 10.0);
                    }
                    lathe_gain_curve4_reduction(&g4, &p, &r);
                    for (int l = 0; l < 4; l++) {
                        double want = lathe_gain_curve_reduction(&g, p[l]);
                        worst = fmax(worst, fabs(r[l] - want));
                        if (want == 0.0 && r[l] != 0.0)
                            zero_ok = 0;
                    }
                }
                lathe_v4d pn = { NAN, 0.0, -1.0, 1e-300 }, rn;
                lathe_gain_curve4_reduction(&g4, &pn, &rn);
                for (int l = 0; l < 4; l++)
                    nan_ok &= rn[l] == 0.0;
            }
    printf("four-lane static curve vs lathe_gain_curve_reduction: worst %.3e dB\n", worst);
    CHECK(worst < 2e-7, "static curve within 2e-7 dB (worst %.3e)", worst);
    CHECK(zero_ok, "GR exactly 0 wherever the reference is 0 (below the knee, ratio 1)");
    CHECK(nan_ok, "NaN, zero, negative and tiny powers give GR 0");
    /* an idle lane never reduces */
    lathe_gain_curve4 g4;
    lathe_gain_curve4_set(&g4, 0, NULL);
    lathe_gain_curve4_set(&g4, 1, NULL);
    lathe_gain_curve4_set(&g4, 2, NULL);
    lathe_gain_curve4_set(&g4, 3, NULL);
    lathe_v4d p = { 1.0, 1e6, INFINITY, 1e-3 }, r;
    lathe_gain_curve4_reduction(&g4, &p, &r);
    CHECK(r[0] == 0.0 && r[1] == 0.0 && r[2] == 0.0 && r[3] == 0.0, "idle lanes: GR 0");
}

static void test_gain(void)
{
    double worst = 0.0;
    for (int i = 0; i < 100000; i++) {
        double gr = 80.0 * uniform();
        lathe_v4d v = { gr, 0.01 * gr, 1e-3 * gr, 1e-6 * gr }, g;
        lathe_gr4_gain(&v, &g);
        for (int l = 0; l < 4; l++) {
            double want = lathe_gr_gain(v[l]);
            worst = fmax(worst, fabs(g[l] - want) / want);
        }
    }
    lathe_v4d v = { 0.0, 0.99e-7, -0.0, 1e-7 }, g;
    lathe_gr4_gain(&v, &g);
    printf("four-lane gain vs lathe_gr_gain: worst relative error %.3e\n", worst);
    CHECK(worst < 1e-8, "gain within 1e-8 (relative) of 10^(-GR/20) (worst %.3e)", worst);
    CHECK(g[0] == 1.0 && g[1] == 1.0 && g[2] == 1.0, "gain exactly 1 below the epsilon");
    CHECK(g[3] < 1.0, "gain below 1 from the epsilon on (%.17g)", g[3]);
}

int main(void)
{
    test_log2();
    test_exp2();
    test_curve();
    test_gain();
    return test_summary();
}
