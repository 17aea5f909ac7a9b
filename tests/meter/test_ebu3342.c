/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EBU Tech 3342 (loudness range) minimum-requirements tests, Table 1.
 *
 * Cases 1-4 are synthesised from their definitions: stereo 1 kHz sines at given
 * per-channel peak levels, 20 s each, one right after the other; LRA within +/-1 LU.
 * The table also states that the response is unchanged when a signal is repeated,
 * which is checked on case 1.
 *
 * Cases 5 and 6 are authentic programme excerpts (NLR: LRA 5, WLR: LRA 15), which
 * cannot be synthesised. In their place: 1 kHz tones whose level ramps linearly in dB
 * at S dB/s for D seconds, chosen to have LRA 5 and 15. For such a ramp every 3 s
 * short-term window reads the level at its end minus a constant, so the short-term
 * values are evenly spaced over S * (D - 3) LU, all pass both gates, and the
 * 10th-95th percentile range is 0.85 * S * (D - 3) (to within one 100 ms step). */
#include <math.h>
#include <stdio.h>
#include "lathe/analysis.h"
#include "testutil.h"
#include "meter_signals.h"

#define RATE 48000

static double measure_lra(const sig *s)
{
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(1);
    lathe_status st = analyze_sig(s, &cfg, NULL, &a);
    CHECK(st == LATHE_OK, "analyze: %s", lathe_status_str(st));
    if (st != LATHE_OK)
        return NAN;
    double lra = a.loudness_range_lu;
    lathe_analysis_free(&a);
    return lra;
}

/* Cases 1-4: N tones of 20 s at LEVELS dBFS; REPEAT times the whole sequence. */
static void case_tones(int no, int n, const double *levels, double want, int repeat)
{
    tone_seq t;
    char what[64];
    tone_seq_init(&t, RATE, 2, 1000.0, 20.0 * n * repeat);
    for (int r = 0; r < repeat; r++)
        for (int k = 0; k < n; k++)
            tone_seq_add(&t, 20.0, levels[k]);
    double lra = measure_lra(t.s);
    printf("3342 case %d%s: LRA %.3f LU (spec %.0f +/- 1)\n", no, repeat > 1 ? " repeated" : "",
           lra, want);
    snprintf(what, sizeof what, "3342 #%d%s LRA", no, repeat > 1 ? " repeated" : "");
    CHECK_NEAR(lra, want, 1.0, what);
    sig_free(t.s);
}

/* Stand-in for cases 5/6: a level ramp from L0 dBFS at SLOPE dB/s for DUR s. */
static void case_ramp(const char *name, double l0, double slope, double dur, double spec)
{
    int64_t n = frames_of(dur, RATE);
    sig *s = sig_new(RATE, 2, n, n);
    for (int64_t i = 0; i < n; i++) {
        double t = (double)i / RATE;
        double v = amp_of_db(l0 + slope * t) * sin(2.0 * M_PI * 1000.0 * t);
        s->ch[0][i] = s->ch[1][i] = (float)v;
    }
    double want = 0.85 * slope * (dur - 3.0);
    double lra = measure_lra(s);
    printf("3342 %s stand-in (ramp %.4f dB/s, %.0f s): LRA %.3f LU (derived %.3f; spec %.0f "
           "+/- 1)\n", name, slope, dur, lra, want, spec);
    char what[80];
    snprintf(what, sizeof what, "3342 %s ramp LRA vs derived", name);
    CHECK_NEAR(lra, want, 0.1 + slope * 0.1, what);
    snprintf(what, sizeof what, "3342 %s ramp LRA vs spec", name);
    CHECK_NEAR(lra, spec, 1.0, what);
    sig_free(s);
}

int main(void)
{
    const double c1[] = { -20, -30 }, c2[] = { -20, -15 }, c3[] = { -40, -20 };
    const double c4[] = { -50, -35, -20, -35, -50 };

    case_tones(1, 2, c1, 10.0, 1);
    case_tones(2, 2, c2, 5.0, 1);
    case_tones(3, 2, c3, 20.0, 1);
    case_tones(4, 5, c4, 15.0, 1);
    case_tones(1, 2, c1, 10.0, 2);
    /* 5 LU over 60 s of windows, and 15 LU */
    case_ramp("#5 (NLR)", -28.0, 5.0 / (0.85 * 60.0), 63.0, 5.0);
    case_ramp("#6 (WLR)", -40.0, 15.0 / (0.85 * 60.0), 63.0, 15.0);
    return test_summary();
}
