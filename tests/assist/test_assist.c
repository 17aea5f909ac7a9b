/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Assistants on synthetic profiles, against analytic expectations: the EQ fitter recovers
 * known bands; lathe match's EQ (measured by running the real processors on an impulse and
 * a direct DFT) follows a known difference curve and respects its bounds; a near-mono
 * target is not widened; --auto leaves a spectrum on its target curve alone and undoes a
 * known tilt; the finer spectrum read-outs of the spectrum meter integrate a sine
 * exactly and leave the 1/3-octave figures unchanged; explained recipes parse back. */
#include <string.h>
#include "assist/eqfit.h"
#include "lathe/lathe.h"
#include "meter/spectrum.h"
#include "testutil.h"

#define RATE 44100.0
#define IR_LEN 65536

/* |H| in dB at HZ of the recipe's eq and stereo steps, for the mid (L = R = impulse) or
 * the side (L = -R = impulse), by running the processors and a direct DFT. */
static void chain_response(const lathe_recipe *r, int side, const double *hz, int n, double *db)
{
    static float L[IR_LEN], R[IR_LEN];
    memset(L, 0, sizeof L);
    memset(R, 0, sizeof R);
    L[0] = 1.0f;
    R[0] = side ? -1.0f : 1.0f;
    float *ch[2] = { L, R };
    lathe_fx_setup setup = { RATE, 2, IR_LEN, IR_LEN };
    for (int s = 0; s < r->steps; s++) {
        const char *name = r->step[s].cls->name;
        if (strcmp(name, "eq") && strcmp(name, "stereo"))
            continue;
        lathe_fx *fx = NULL;
        if (lathe_fx_create(r->step[s].cls, &setup, r->step[s].params, &fx) != LATHE_OK) {
            CHECK(0, "step %d (%s) cannot be created", s + 1, name);
            continue;
        }
        CHECK(lathe_fx_latency(fx) == 0, "minimum-phase steps have no latency");
        lathe_fx_process(fx, ch, IR_LEN);
        lathe_fx_destroy(fx);
    }
    for (int k = 0; k < n; k++) {
        double re = 0.0, im = 0.0, w = 2.0 * M_PI * hz[k] / RATE;
        for (int i = 0; i < IR_LEN; i++) {
            double v = 0.5 * (side ? (L[i] - R[i]) : (L[i] + R[i]));
            re += v * cos(w * i);
            im -= v * sin(w * i);
        }
        db[k] = 10.0 * log10(re * re + im * im);
    }
}

/* A profile with total = mid + side, given mid and side curves in dB re loudness. */
static void make_profile(lathe_profile *p, double (*mid)(double), double (*side)(double),
                         double lufs)
{
    memset(p, 0, sizeof *p);
    p->a.info.rate_hz = (int)RATE;
    p->a.info.channels = p->a.channels = 2;
    p->a.integrated_lufs = lufs;
    p->a.true_peak_dbtp = lufs + 12.0;
    p->a.sample_peak_dbfs = lufs + 12.0;
    p->a.plr_db = 12.0;
    p->a.loudness_range_lu = 5.0;
    p->a.correlation = 0.8;
    p->stereo = 1;
    p->low_correlation = 0.9;
    p->low_side_mid_db = -15.0;
    p->hf_share_p99_db = -12.0;
    p->hf_p99_dbfs = -30.0;
    p->hf_median_dbfs = -40.0;
    double em = 0.0, es = 0.0;
    for (int i = 0; i < LATHE_PROFILE_BANDS; i++) {
        double hz = 1000.0 * pow(10.0, (i - 34) / 20.0);
        double m = mid(hz) + lufs, s = side(hz) + lufs;
        p->band_hz[i] = hz;
        p->mid_db[i] = m;
        p->side_db[i] = s;
        p->total_db[i] = 10.0 * log10(pow(10.0, m / 10.0) + pow(10.0, s / 10.0));
        em += pow(10.0, m / 10.0);
        es += pow(10.0, s / 10.0);
    }
    p->a.side_mid_db = 10.0 * log10(es / em);
    for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++) {
        double hz = 1000.0 * pow(10.0, (i - 136) / 80.0);
        p->fine_hz[i] = hz;
        p->fine_db[i] = mid(hz) + lufs - 6.0;
        p->fine_steady[i] = 0.1;
    }
}

static double flat(double hz) { (void)hz; return -20.0; }
static double side_normal(double hz) { (void)hz; return -30.0; }
static double side_mono(double hz) { (void)hz; return -62.0; }
static double side_wide(double hz) { (void)hz; return -24.0; }
/* the reference: +4 dB below 100 Hz, -3 dB around 2.5 kHz (smooth), flat elsewhere */
static double ref_shape(double hz)
{
    double lo = 4.0 / (1.0 + pow(hz / 100.0, 2.0));
    double d = log2(hz / 2500.0) / 0.6;
    return -20.0 + lo - 3.0 * exp(-0.5 * d * d);
}
static double on_curve(double hz) { return lathe_auto_target_curve_db(NULL, hz) - 15.0; }
static double tilted(double hz) { return on_curve(hz) + 4.0 * log10(hz / 1000.0); }

static void test_eqfit(void)
{
    /* Known bands -> their exact summed response -> the fitter gets the gains back. */
    eqfit f;
    memset(&f, 0, sizeof f);
    f.rate_hz = RATE;
    f.max_gain_db = 12.0;
    f.ridge = 1e-8;
    const eqfit_band truth[3] = { { LATHE_EQ_LOW_SHELF, 60.0, 0.7071, -3.0, EQFIT_STEREO },
                                  { LATHE_EQ_BELL, 250.0, 2.0, 4.0, EQFIT_STEREO },
                                  { LATHE_EQ_BELL, 2000.0, 1.5, -2.5, EQFIT_STEREO } };
    for (int i = 0; i < 120; i++) {
        f.hz[i] = 20.0 * pow(10.0, i / 40.0);
        f.want_db[i] = eqfit_sum_db(truth, 3, f.hz[i], RATE);
        f.weight[i] = 1.0;
    }
    f.n = 120;
    f.nb = 3;
    for (int k = 0; k < 3; k++) {
        f.b[k] = truth[k];
        f.b[k].gain_db = 0.0;
    }
    double res = eqfit_solve(&f, 0.0);
    CHECK(res < 0.01, "fit residual %.4f dB", res);
    for (int k = 0; k < 3; k++)
        CHECK_NEAR(f.b[k].gain_db, truth[k].gain_db, 0.02, "recovered gain");
    /* A bell's response at its centre is its gain (RBJ cookbook), exactly. */
    CHECK_NEAR(eqfit_band_db(&truth[1], 250.0, RATE), 4.0, 1e-9, "bell at its centre");
    /* Bounds: a +20 dB want never gives a band over the bound. */
    for (int i = 0; i < f.n; i++)
        f.want_db[i] = 20.0;
    f.max_gain_db = 6.0;
    for (int k = 0; k < 3; k++)
        f.b[k].gain_db = 0.0;
    eqfit_solve(&f, 0.0);
    for (int k = 0; k < f.nb; k++)
        CHECK(fabs(f.b[k].gain_db) <= 6.0 + 1e-9, "band %d within the bound: %.3f", k,
              f.b[k].gain_db);
}

static void test_match(void)
{
    lathe_profile t, r;
    const lathe_profile *refs[1] = { &r };
    lathe_recipe rec;
    lathe_explanation ex;
    char err[256];
    double hz[27], mid[27], side[27];
    for (int k = 0; k < 27; k++)
        hz[k] = 1000.0 * pow(10.0, (k - 14) / 10.0);        /* 40 Hz .. 16 kHz */

    /* Known difference: the mid EQ follows it (each curve relative to its own median). */
    make_profile(&t, flat, side_normal, -20.0);
    make_profile(&r, ref_shape, side_normal, -10.0);
    lathe_explanation_init(&ex);
    CHECK(lathe_match_plan(&t, refs, NULL, 1, NULL, &rec, &ex, err, sizeof err) == LATHE_OK,
          "match plan: %s", err);
    CHECK_NEAR(rec.target.lufs, -10.0, 1e-9, "loudness target = the reference's");
    CHECK(ex.count > 3, "decisions explained (%d)", ex.count);
    chain_response(&rec, 0, hz, 27, mid);
    chain_response(&rec, 1, hz, 27, side);
    double want[27], med_want, med_mid;
    for (int k = 0; k < 27; k++)
        want[k] = ref_shape(hz[k]) + 20.0;
    {
        /* both relative to the value at 1 kHz (where the shape is ~0) */
        med_want = want[14];
        med_mid = mid[14];
    }
    double worst = 0.0, worst_side = 0.0;
    for (int k = 0; k < 27; k++) {
        worst = fmax(worst, fabs((mid[k] - med_mid) - (want[k] - med_want)));
        worst_side = fmax(worst_side, fabs(side[k] - side[14]));
    }
    CHECK(worst < 0.5, "mid EQ follows the difference within 0.5 dB (worst %.3f)", worst);
    CHECK(worst_side < 0.5, "the side, whose difference is flat, stays flat within 0.5 dB "
          "(worst %.3f)", worst_side);
    lathe_recipe_free(&rec);
    lathe_explanation_free(&ex);

    /* Amount 0 for tone and width: no EQ, no stereo step. */
    lathe_match_options o;
    lathe_match_options_defaults(&o);
    o.tone_mid_percent = o.tone_side_percent = o.width_percent = 0.0;
    CHECK(lathe_match_plan(&t, refs, NULL, 1, &o, &rec, NULL, err, sizeof err) == LATHE_OK, "plan");
    CHECK(lathe_recipe_find(&rec, "eq") < 0 && lathe_recipe_find(&rec, "stereo") < 0,
          "amount 0: no EQ, no width");
    CHECK(lathe_recipe_find(&rec, "limiter") == rec.steps - 1, "ends with the limiter");
    lathe_recipe_free(&rec);

    /* A near-mono target (side 42 dB under the mid) against a wide reference: the side is
     * not raised by more than the EQ bound, and the width is not raised at all. */
    make_profile(&t, flat, side_mono, -20.0);
    make_profile(&r, flat, side_wide, -10.0);
    CHECK(lathe_match_plan(&t, refs, NULL, 1, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "plan");
    int st = lathe_recipe_find(&rec, "stereo");
    double width = st >= 0 ? rec.step[st].params[0] : 100.0;
    CHECK(width <= 100.0, "near-mono: width not raised (%.1f %%)", width);
    chain_response(&rec, 0, hz, 27, mid);
    chain_response(&rec, 1, hz, 27, side);
    double most = -HUGE_VAL;
    for (int k = 0; k < 27; k++)
        most = fmax(most, side[k] - mid[k]);
    CHECK(most <= 6.0 + 0.3, "near-mono: side raised at most by the bound relative to the mid "
          "(%.2f dB)", most);
    lathe_recipe_free(&rec);

    /* Weights: a reference of weight 0 changes nothing. */
    lathe_profile r2;
    make_profile(&r2, ref_shape, side_normal, -30.0);
    const lathe_profile *two[2] = { &r, &r2 };
    double w[2] = { 1.0, 0.0 };
    make_profile(&t, flat, side_normal, -20.0);
    CHECK(lathe_match_plan(&t, two, w, 2, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "plan");
    CHECK_NEAR(rec.target.lufs, -10.0, 1e-9, "weight 0 ignored in the loudness");
    lathe_recipe_free(&rec);
    w[1] = 3.0;
    CHECK(lathe_match_plan(&t, two, w, 2, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "plan");
    CHECK_NEAR(rec.target.lufs, (-10.0 + 3.0 * -30.0) / 4.0, 1e-9, "weighted loudness");
    lathe_recipe_free(&rec);
}

static void test_auto(void)
{
    lathe_profile p;
    lathe_recipe rec;
    lathe_target tg;
    char err[256];
    double hz[27], mid[27];
    for (int k = 0; k < 27; k++)
        hz[k] = 1000.0 * pow(10.0, (k - 14) / 10.0);
    lathe_target_from_name("spotify", &tg);

    /* On the target curve, nothing else out of range: no EQ, no stereo, no compressor. */
    make_profile(&p, on_curve, side_normal, -12.0);
    p.a.plr_db = 10.0;
    CHECK(lathe_auto_plan(&p, &tg, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "auto: %s", err);
    CHECK(lathe_recipe_find(&rec, "eq") < 0, "balanced: no EQ");
    CHECK(lathe_recipe_find(&rec, "stereo") < 0, "balanced: no stereo step");
    CHECK(lathe_recipe_find(&rec, "compressor") < 0, "balanced: no compressor");
    CHECK(lathe_recipe_find(&rec, "limiter") == rec.steps - 1, "ends with the limiter");
    lathe_recipe_free(&rec);

    /* +4 dB/decade: the EQ tilts back by -4 dB/decade within 0.3 dB (40 Hz..16 kHz). */
    make_profile(&p, tilted, side_normal, -12.0);
    p.a.plr_db = 10.0;
    CHECK(lathe_auto_plan(&p, &tg, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "auto: %s", err);
    chain_response(&rec, 0, hz, 27, mid);
    double worst = 0.0;
    for (int k = 0; k < 27; k++)
        worst = fmax(worst, fabs((mid[k] - mid[14]) + 4.0 * log10(hz[k] / hz[14])));
    CHECK(worst < 0.3, "tilt undone within 0.3 dB (worst %.3f)", worst);
    lathe_recipe_free(&rec);

    /* --amount 50: half of it. */
    lathe_auto_options o = { 50.0, NULL };
    CHECK(lathe_auto_plan(&p, &tg, &o, &rec, NULL, err, sizeof err) == LATHE_OK, "auto: %s", err);
    chain_response(&rec, 0, hz, 27, mid);
    worst = 0.0;
    for (int k = 0; k < 27; k++)
        worst = fmax(worst, fabs((mid[k] - mid[14]) + 2.0 * log10(hz[k] / hz[14])));
    CHECK(worst < 0.3, "amount 50 %%: half the tilt (worst %.3f)", worst);
    lathe_recipe_free(&rec);

    /* A steady narrow peak is cut near its frequency; a wide image is narrowed; poor
     * low-end correlation brings bass mono; a high PLR brings a compressor. */
    make_profile(&p, on_curve, side_normal, -12.0);
    for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++)
        if (fabs(p.fine_hz[i] / 1000.0 - 1.0) < 0.01) {
            p.fine_db[i] += 15.0;
            p.fine_steady[i] = 0.9;
        }
    p.a.side_mid_db = 0.0;
    p.low_correlation = 0.1;
    p.low_side_mid_db = -3.0;
    p.a.plr_db = 17.0;
    CHECK(lathe_auto_plan(&p, &tg, NULL, &rec, NULL, err, sizeof err) == LATHE_OK, "auto: %s", err);
    int found = 0;
    for (int s = 0; s < rec.steps; s++) {
        if (strcmp(rec.step[s].cls->name, "eq"))
            continue;
        for (int b = 0; b < 8; b++) {
            const double *q = rec.step[s].params + 6 * b;
            if (q[0] == 1 && fabs(log2(q[1] / 1000.0)) < 1.0 / 24.0 && q[2] < -1.0)
                found = 1;
        }
    }
    CHECK(found, "resonance at 1 kHz cut");
    int st = lathe_recipe_find(&rec, "stereo");
    CHECK(st >= 0, "stereo step present");
    if (st >= 0) {
        CHECK(rec.step[st].params[0] < 100.0, "too wide: narrowed (%.1f %%)", rec.step[st].params[0]);
        CHECK_RANGE(rec.step[st].params[4], 100.0, 150.0, "bass mono frequency");
    }
    CHECK(lathe_recipe_find(&rec, "compressor") >= 0, "high PLR: compressor");

    /* The explained recipe parses back to the same recipe. */
    lathe_explanation ex;
    lathe_explanation_init(&ex);
    lathe_explanation_add(&ex, "test", 1, "measured \"quoted\"", "rule", "action");
    char *a = NULL, *b = NULL, *c = NULL;
    lathe_recipe back;
    CHECK(lathe_recipe_to_json_explained(&rec, &ex, &a) == LATHE_OK && a, "explained JSON");
    CHECK(a && strstr(a, "\"explanation\""), "has an explanation key");
    CHECK(a && lathe_recipe_parse(a, &back, err, sizeof err) == LATHE_OK, "parses: %s", err);
    lathe_recipe_to_json(&rec, &b);
    lathe_recipe_to_json(&back, &c);
    CHECK(b && c && !strcmp(b, c), "same recipe after the round trip");
    free(a);
    free(b);
    free(c);
    lathe_recipe_free(&back);
    lathe_explanation_free(&ex);
    lathe_recipe_free(&rec);

    CHECK(lathe_auto_plan(&p, &tg, &(lathe_auto_options){ 100.0, "nonsense" }, &rec, NULL, err,
                          sizeof err) == LATHE_ERR_INVALID_ARGUMENT, "unknown style refused");
}

static void test_spectrum_bands(void)
{
    /* A 1 kHz sine of amplitude 0.5: its 1/6-octave band holds A^2/2 = 0.125 (-9.03 dB);
     * tracking does not change the 1/3-octave figures. */
    enum { N = 441000 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = y[i] = (float)(0.5 * sin(2.0 * M_PI * 1000.0 * i / RATE));
    const float *ch[2] = { x, y };
    lathe_spectrum_meter *a = NULL, *b = NULL;
    CHECK(lathe_spectrum_create((int)RATE, 2, 1, NULL, &a) == LATHE_OK, "meter");
    CHECK(lathe_spectrum_create((int)RATE, 2, 1, NULL, &b) == LATHE_OK, "meter");
    if (!a || !b)
        return;
    double lo = 1000.0 * pow(10.0, -1.0 / 40.0), hi = 1000.0 * pow(10.0, 1.0 / 40.0);
    CHECK(lathe_spectrum_track(b, &lo, &hi, 1, 6.0, 1.0) == LATHE_OK, "tracking on");
    lathe_spectrum_process(a, ch, N);
    lathe_spectrum_process(b, ch, N);
    double t[2], m[2], s[2];
    lathe_spectrum_bands(a, &lo, &hi, 1, t, m, s);
    CHECK_NEAR(10.0 * log10(m[0]), 10.0 * log10(0.125), 0.05, "sine power in its 1/6-octave band");
    CHECK(s[0] < 1e-12, "no side (%g)", s[0]);
    double ta[31], ma[31], sa[31], tb[31], mb[31], sb[31];
    lathe_spectrum_result(a, ta, ma, sa);
    lathe_spectrum_result(b, tb, mb, sb);
    CHECK(!memcmp(ta, tb, sizeof ta) && !memcmp(ma, mb, sizeof ma), "1/3-octave figures identical");
    lathe_spectrum_destroy(a);
    lathe_spectrum_destroy(b);
}

int main(void)
{
    test_eqfit();
    test_match();
    test_auto();
    test_spectrum_bands();
    return test_summary();
}
