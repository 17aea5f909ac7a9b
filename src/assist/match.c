/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reference matching: a recipe that brings a target's loudness, mid and side tonal
 * balance, width and (optionally) dynamics towards one or more references, each aspect
 * with its own amount, every move bounded and explained. Algorithm: docs/match.md.
 *
 * Tone: the loudness-aligned long-term spectra (1/6-octave bands of the analysis'
 * Welch spectrum) of the references are averaged in dB (weighted); the difference to
 * the target's is smoothed in fractional octaves, centred on its median (the loudness
 * stage supplies the overall level), bounded, held back where the target has little
 * energy, and fitted by least squares with shelves and bells on the mid and the side
 * (src/assist/eqfit.c). Width: the difference of the side and mid medians, by the
 * stereo processor. Loudness and ceiling: the master engine's closed loop after the
 * true-peak limiter. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "assist/curve.h"
#include "assist/eqfit.h"
#include "lathe/assist.h"

#define NB LATHE_PROFILE_BANDS
#define FLOOR_DB -200.0          /* stands for -inf (an empty band) in differences */
#define EVAL_LO 40.0             /* the range the match is judged on, Hz */
#define EVAL_HI 16000.0
#define FIT_PER_DECADE 40        /* fitting grid: 1/12 octave */
#define PRUNE_DB 0.1             /* bands smaller than this are left out */
#define BELL_LO_HZ 39.69         /* first bell centre */
#define BELL_HI_HZ 13000.0       /* no bell centre above */
#define BELL_SPACING_OCT (1.0 / 3.0) /* bells of the main (stereo or mid) correction */
#define BELL_Q 3.0               /* about 0.47 octave between the half-gain points */
#define SIDE_SPACING_OCT (2.0 / 3.0) /* bells of the side's own correction */
#define SIDE_Q 1.5
#define LOW_SHELF_HZ 25.0
#define HIGH_SHELF_HZ 14000.0
#define SHELF_Q 0.7071
#define HOLD_MID_LO -55.0        /* target band re its loudest band, dB: no boost under */
#define HOLD_MID_HI -40.0        /* full boost over */
#define HOLD_SIDE_LO -35.0       /* target side re mid in the band, dB: no boost under */
#define HOLD_SIDE_HI -25.0
#define WIDEN_LO -30.0           /* target side/mid, dB: no widening under */
#define WIDEN_HI -20.0           /* full widening allowed over */
#define MAX_WIDTH_DB 6.02        /* the stereo processor's range: 0..200 % */
#define MIN_WIDTH_DB 0.2         /* smaller width moves are left out */
#define DUAL_MONO_DB 3.0103      /* 10 log10(2) */
#define LIMITER_RELEASE_MS 60.0
#define LIMITER_HOLD_MS 10.0
#define DEFAULT_MAX_LIMITING_DB 15.0

void lathe_match_options_defaults(lathe_match_options *o)
{
    o->loudness_percent = 100.0;
    o->tone_mid_percent = 100.0;
    o->tone_side_percent = 100.0;
    o->width_percent = 100.0;
    o->dynamics_percent = 0.0;
    o->max_eq_db = 6.0;
    o->smoothing_octaves = 1.0 / 3.0;
    o->lufs = NAN;
    o->ceiling_dbtp = NAN;
    o->max_limiting_db = NAN;
    o->result = NULL;
}

/* Loudness as heard: a mono file plays on both loudspeakers (dual mono), 3.01 dB louder
 * than BS.1770 measures its one channel (EBU Tech 3341 / ffmpeg ebur128 "dualmono"). */
static double heard_lufs(const lathe_profile *p)
{
    return p->a.integrated_lufs + (p->a.channels == 1 ? DUAL_MONO_DB : 0.0);
}

static double finite_or_floor(double x)
{
    return isnan(x) ? NAN : isfinite(x) ? x : FLOOR_DB;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* The curve used for tone: mid (M/S mode) or total, loudness-aligned; side in M/S mode.
 * Bands reaching within 2 % of the file's Nyquist frequency are left out (NAN). */
static void aligned(const lathe_profile *p, int ms, double *mid, double *side)
{
    const double nyq = 0.5 * p->a.info.rate_hz, L = heard_lufs(p);
    for (int i = 0; i < NB; i++) {
        int ok = p->band_hz[i] * pow(10.0, 1.0 / 40.0) < 0.98 * nyq && isfinite(L);
        mid[i] = ok ? finite_or_floor(ms ? p->mid_db[i] : p->total_db[i]) - L : NAN;
        side[i] = ok && ms ? finite_or_floor(p->side_db[i]) - L : NAN;
    }
}

static const char *chan_name(int ch)
{
    return ch == EQFIT_MID ? "mid" : ch == EQFIT_SIDE ? "side" : "all channels";
}

static const char *type_name(lathe_eq_type t)
{
    return t == LATHE_EQ_LOW_SHELF ? "low shelf" : t == LATHE_EQ_HIGH_SHELF ? "high shelf"
           : t == LATHE_EQ_TILT ? "tilt" : "bell";
}

/* Sets up F for curve WANT (on the profile grid, NAN where unknown) with candidate
 * bands on channel mode CH: a low shelf, bells every SPACING octaves with quality Q, a
 * high shelf. */
static void fit_setup(eqfit *f, const double *hz, const double *want, double rate, int ch,
                      double max_db, double spacing, double q)
{
    memset(f, 0, sizeof *f);
    f->rate_hz = rate;
    f->max_gain_db = max_db;
    f->ridge = 1e-4;
    const double top = fmin(20000.0, 0.45 * rate);
    for (int i = 0; f->n < EQFIT_MAX_POINTS; i++) {
        double fr = 20.0 * pow(10.0, i / (double)FIT_PER_DECADE);
        if (fr > top)
            break;
        double w = curve_interp(hz, want, NB, fr);
        f->hz[f->n] = fr;
        f->want_db[f->n] = isfinite(w) ? w : 0.0;
        f->weight[f->n] = !isfinite(w) ? 0.0 : (fr >= EVAL_LO && fr <= EVAL_HI) ? 1.0 : 0.3;
        f->n++;
    }
    eqfit_band b = { LATHE_EQ_LOW_SHELF, LOW_SHELF_HZ, SHELF_Q, 0.0, ch };
    f->b[f->nb++] = b;
    for (int k = 0; f->nb < EQFIT_MAX_BANDS - 1; k++) {
        double c = BELL_LO_HZ * pow(2.0, k * spacing);
        if (c > fmin(BELL_HI_HZ, 0.4 * rate))
            break;
        eqfit_band bell = { LATHE_EQ_BELL, c, q, 0.0, ch };
        f->b[f->nb++] = bell;
    }
    if (HIGH_SHELF_HZ < 0.4 * rate) {
        eqfit_band hs = { LATHE_EQ_HIGH_SHELF, HIGH_SHELF_HZ, SHELF_Q, 0.0, ch };
        f->b[f->nb++] = hs;
    }
}

/* The tone correction of one channel mode, explained. D: raw difference (reference -
 * target, profile grid). Returns the bands in F (solved). */
static void tone_curve(const lathe_profile *t, const double *d, const double *boost_ok,
                       double centre, double amount, double max_db, double smooth_oct,
                       double *want)
{
    double s[NB];
    curve_smooth(t->band_hz, d, NB, smooth_oct, s);
    for (int i = 0; i < NB; i++) {
        if (!isfinite(s[i])) {
            want[i] = NAN;
            continue;
        }
        double c = amount * (s[i] - centre);
        want[i] = clampd(c, -max_db, max_db * boost_ok[i]);
    }
}

/* One line per fitted band: the difference it answers (DIFF - CENTRE at the band, when
 * DIFF is given) and the band. */
static void explain_bands(lathe_explanation *ex, const char *aspect, const eqfit *f,
                          const double *hz, const double *diff, double centre, const char *what)
{
    char m[256], a[256];
    for (int k = 0; k < f->nb; k++) {
        const eqfit_band *b = &f->b[k];
        double at = b->type == LATHE_EQ_LOW_SHELF ? fmin(b->freq_hz, 40.0)
                    : b->type == LATHE_EQ_HIGH_SHELF ? fmax(b->freq_hz, 16000.0) : b->freq_hz;
        if (diff) {
            double dv = curve_interp(hz, diff, NB, at) - centre;
            snprintf(m, sizeof m, "%s %.0f Hz the %s sits %.1f dB %s the mix's",
                     b->type == LATHE_EQ_LOW_SHELF ? "below" : b->type == LATHE_EQ_HIGH_SHELF
                     ? "above" : "at", at, what, fabs(dv), dv >= 0 ? "above" : "below");
        } else {
            snprintf(m, sizeof m, "at %.0f Hz the %s needs %+.1f dB more than the main correction "
                     "gives it", b->freq_hz, what, b->gain_db);
        }
        snprintf(a, sizeof a, "%s %+.2f dB at %.0f Hz, Q %.2f (%s)", type_name(b->type), b->gain_db,
                 b->freq_hz, b->q, chan_name(b->channels));
        lathe_explanation_add(ex, aspect, 1, m, "", a);
    }
}

lathe_status lathe_match_plan(const lathe_profile *tg, const lathe_profile *const *refs,
                              const double *weights, int nrefs, const lathe_match_options *opt,
                              lathe_recipe *out, lathe_explanation *ex, char *err, size_t errlen)
{
    lathe_match_options defo;
    lathe_status st;
    char m[256], r[256], a[256];
    double wsum = 0.0;

    lathe_recipe_init(out);
    if (!opt) {
        lathe_match_options_defaults(&defo);
        opt = &defo;
    }
    if (!tg || !refs || nrefs < 1) {
        snprintf(err, errlen, "no reference given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    for (int k = 0; k < nrefs; k++) {
        double w = weights ? weights[k] : 1.0;
        if (!(w >= 0.0) || !refs[k]) {
            snprintf(err, errlen, "reference %d: the weight must be 0 or more", k + 1);
            return LATHE_ERR_INVALID_ARGUMENT;
        }
        if (w > 0.0 && !isfinite(refs[k]->a.integrated_lufs)) {
            snprintf(err, errlen, "reference %d is silent: nothing to match", k + 1);
            return LATHE_ERR_EMPTY;
        }
        wsum += w;
    }
    if (!(wsum > 0.0)) {
        snprintf(err, errlen, "every reference has weight 0");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (!isfinite(tg->a.integrated_lufs)) {
        snprintf(err, errlen, "the target is silent: nothing to match");
        return LATHE_ERR_EMPTY;
    }
    const double p_loud = clampd(opt->loudness_percent, 0, 100) / 100.0;
    const double p_mid = clampd(opt->tone_mid_percent, 0, 100) / 100.0;
    const double p_side = clampd(opt->tone_side_percent, 0, 100) / 100.0;
    const double p_width = clampd(opt->width_percent, 0, 100) / 100.0;
    const double p_dyn = clampd(opt->dynamics_percent, 0, 100) / 100.0;
    const double max_eq = clampd(isfinite(opt->max_eq_db) ? opt->max_eq_db : 6.0, 0.5, 12.0);
    const double smooth = clampd(isfinite(opt->smoothing_octaves) ? opt->smoothing_octaves : 1.0 / 3.0,
                                 0.05, 2.0);
    const double rate = tg->a.info.rate_hz;

    /* Mid/side when the target and every weighted reference are stereo pairs. */
    int ms = tg->stereo;
    for (int k = 0; k < nrefs; k++)
        if ((weights ? weights[k] : 1.0) > 0.0 && !refs[k]->stereo)
            ms = 0;

    /* ---- the references, averaged ---- */
    double rm[NB], rs[NB], tm[NB], ts[NB], dm[NB], dsd[NB];
    double ref_lufs = 0.0, ref_tp = 0.0, ref_plr = 0.0, ref_sm = 0.0, sm_w = 0.0;
    for (int i = 0; i < NB; i++) {
        double sm = 0.0, wm = 0.0, ss = 0.0, ws = 0.0;
        for (int k = 0; k < nrefs; k++) {
            double w = weights ? weights[k] : 1.0, xm[NB], xs[NB];
            if (w <= 0.0)
                continue;
            aligned(refs[k], ms, xm, xs);
            if (isfinite(xm[i])) {
                sm += w * xm[i];
                wm += w;
            }
            if (isfinite(xs[i])) {
                ss += w * xs[i];
                ws += w;
            }
        }
        rm[i] = wm > 0.0 ? sm / wm : NAN;
        rs[i] = ws > 0.0 ? ss / ws : NAN;
    }
    for (int k = 0; k < nrefs; k++) {
        double w = (weights ? weights[k] : 1.0) / wsum;
        const lathe_analysis *ra = &refs[k]->a;
        ref_lufs += w * heard_lufs(refs[k]);
        ref_tp += w * (isfinite(ra->true_peak_dbtp) ? ra->true_peak_dbtp : ra->sample_peak_dbfs);
        ref_plr += w * ra->plr_db;
        if (refs[k]->stereo && isfinite(ra->side_mid_db) && w > 0.0) {
            ref_sm += w * ra->side_mid_db;
            sm_w += w;
        }
    }
    ref_sm = sm_w > 0.0 ? ref_sm / sm_w : NAN;
    aligned(tg, ms, tm, ts);

    /* ---- loudness and ceiling ---- */
    const lathe_analysis *ta = &tg->a;
    /* as heard; the recipe's target is as measured on the output (a mono output: 3 dB less) */
    double lufs = isfinite(opt->lufs) ? opt->lufs
                  : ta->integrated_lufs + p_loud * (ref_lufs - heard_lufs(tg));
    lufs = clampd(round(lufs * 100.0) / 100.0, -70.0, 0.0);
    double ceiling = isfinite(opt->ceiling_dbtp) ? opt->ceiling_dbtp : fmin(ref_tp, -0.1);
    ceiling = clampd(round(ceiling * 100.0) / 100.0, -20.0, 0.0);
    out->target.lufs = lufs;
    out->target.ceiling_dbtp = ceiling;
    snprintf(m, sizeof m, "the mix measures %.2f LUFS; the reference%s %.2f LUFS (integrated, "
             "BS.1770; a mono file counted as heard on two loudspeakers, +3.01 dB)",
             heard_lufs(tg), nrefs > 1 ? "s (weighted mean)" : "", ref_lufs);
    snprintf(r, sizeof r, "target = mix + %.0f %% of the difference%s", 100.0 * p_loud,
             isfinite(opt->lufs) ? " (overridden by the given loudness)" : "");
    snprintf(a, sizeof a, "loudness target %.2f LUFS, reached by the gain into the limiter and "
             "checked on the written file (within 0.1 LU)", lufs);
    lathe_explanation_add(ex, "loudness", 1, m, r, a);
    snprintf(m, sizeof m, "the reference%s true peak is %.2f dBTP", nrefs > 1 ? "s' (weighted mean)" : "'s",
             ref_tp);
    snprintf(r, sizeof r, "ceiling = the reference's true peak, at most -0.1 dBTP%s",
             isfinite(opt->ceiling_dbtp) ? " (overridden by the given ceiling)" : "");
    snprintf(a, sizeof a, "true-peak limiter ceiling %.2f dBTP", ceiling);
    lathe_explanation_add(ex, "ceiling", 1, m, r, a);

    /* ---- tone and width ---- */
    double boost_m[NB], boost_s[NB], top = -HUGE_VAL;
    for (int i = 0; i < NB; i++) {
        dm[i] = isfinite(rm[i]) && isfinite(tm[i]) ? rm[i] - tm[i] : NAN;
        dsd[i] = isfinite(rs[i]) && isfinite(ts[i]) ? rs[i] - ts[i] : NAN;
        if (tg->band_hz[i] >= EVAL_LO && tg->band_hz[i] <= EVAL_HI && isfinite(tm[i]))
            top = fmax(top, tm[i]);
    }
    for (int i = 0; i < NB; i++) {
        boost_m[i] = isfinite(tm[i]) ? curve_ramp(tm[i] - top, HOLD_MID_LO, HOLD_MID_HI) : 0.0;
        boost_s[i] = isfinite(ts[i]) && isfinite(tm[i])
                     ? curve_ramp(ts[i] - tm[i], HOLD_SIDE_LO, HOLD_SIDE_HI) * boost_m[i] : 0.0;
    }
    double wts[NB], sm_d[NB], ss_d[NB];
    for (int i = 0; i < NB; i++)
        wts[i] = tg->band_hz[i] >= EVAL_LO && tg->band_hz[i] <= EVAL_HI ? 1.0 : 0.0;
    curve_smooth(tg->band_hz, dm, NB, smooth, sm_d);
    curve_smooth(tg->band_hz, dsd, NB, smooth, ss_d);
    const double cm = curve_weighted_median(sm_d, wts, NB);
    const double cs = curve_weighted_median(ss_d, wts, NB);
    const int side_on = ms && isfinite(cs) && isfinite(cm);
    eqfit_band bands[2 * EQFIT_MAX_BANDS];
    int nbands = 0;
    double width_db = 0.0;                  /* the side's broadband move */
    double up_db = 0.0, wdb = 0.0;          /* widening allowed; measured side/mid difference */
    if (side_on) {
        wdb = cs - cm;
        up_db = MAX_WIDTH_DB * curve_ramp(ta->side_mid_db, WIDEN_LO, WIDEN_HI);
        width_db = clampd(p_width * wdb, -24.0, up_db);
    }
    if (!isfinite(cm)) {
        lathe_explanation_add(ex, "tone", 0, "the mix and the references share no measurable band "
                              "between 40 Hz and 16 kHz", "", "tone left as it is");
    } else {
        /* Pass 1: the wanted curves, bounded and held back, fitted. */
        double want_m[NB], want_s[NB], main_db[NB], side_db[NB], main_goal[NB], side_goal[NB];
        double res_m = 0.0, res_s = 0.0, lo = HUGE_VAL, hi = -HUGE_VAL;
        double refine_m = NAN, refine_s = NAN;
        eqfit fm, fs;
        fm.nb = fs.nb = 0;
        tone_curve(tg, dm, boost_m, cm, p_mid, max_eq, smooth, want_m);
        if (side_on && p_side > 0.0)
            tone_curve(tg, dsd, boost_s, cs, p_side, max_eq, smooth, want_s);
        else
            for (int i = 0; i < NB; i++)
                want_s[i] = 0.0;
        for (int i = 0; i < NB; i++) {
            main_goal[i] = want_m[i];
            side_goal[i] = want_s[i];
        }
        for (int pass = 0; pass < (opt->result ? 2 : 1); pass++) {
            if (pass == 1) {
                /* Closed loop: what the rendered result still misses, against what pass 1
                 * meant to do (E = out - mix - intended, common level removed), taken off
                 * the realised responses: R2 = R1 - E. */
                double om[NB], os[NB], em[NB], es[NB], sem[NB], ses[NB];
                aligned(opt->result, ms, om, os);
                for (int i = 0; i < NB; i++) {
                    em[i] = isfinite(om[i]) && isfinite(tm[i]) && isfinite(main_goal[i])
                            ? om[i] - tm[i] - main_goal[i] : NAN;
                    es[i] = side_on && isfinite(os[i]) && isfinite(ts[i]) && isfinite(side_goal[i])
                            ? os[i] - ts[i] - width_db - side_goal[i] : NAN;
                }
                curve_smooth(tg->band_hz, em, NB, smooth, sem);
                curve_smooth(tg->band_hz, es, NB, smooth, ses);
                double c0 = curve_weighted_median(sem, wts, NB);
                double c1 = side_on ? curve_weighted_median(ses, wts, NB) - c0 : NAN;
                if (!isfinite(c0))
                    break;
                refine_m = refine_s = 0.0;
                for (int i = 0; i < NB; i++) {
                    double e = isfinite(sem[i]) ? sem[i] - c0 : 0.0;
                    if (isfinite(want_m[i]) && p_mid > 0.0) {
                        want_m[i] = clampd(main_db[i] - e, -max_eq, max_eq * boost_m[i]);
                        if (wts[i] > 0)
                            refine_m = fmax(refine_m, fabs(e));
                    }
                    if (side_on) {
                        double es_i = isfinite(ses[i]) ? ses[i] - c0 - c1 : 0.0;
                        double cur = main_db[i] + side_db[i];
                        want_s[i] = clampd(cur - es_i, -max_eq, p_side > 0.0 ? max_eq * boost_s[i]
                                                                              : fmax(cur, 0.0));
                        if (wts[i] > 0)
                            refine_s = fmax(refine_s, fabs(es_i));
                    }
                }
                if (side_on && isfinite(c1) && p_width > 0.0)
                    width_db = clampd(width_db - c1, -24.0, up_db);
            }
            for (int i = 0; i < NB; i++)
                main_db[i] = side_db[i] = 0.0;
            fm.nb = 0;
            if (p_mid > 0.0) {
                /* The main correction runs on both channels (cheaper than a mid band; the
                 * side's own difference is corrected relative to it). */
                fit_setup(&fm, tg->band_hz, want_m, rate, EQFIT_STEREO, max_eq, BELL_SPACING_OCT,
                          BELL_Q);
                res_m = eqfit_solve(&fm, PRUNE_DB);
                for (int i = 0; i < NB; i++)
                    main_db[i] = eqfit_sum_db(fm.b, fm.nb, tg->band_hz[i], rate);
            }
            fs.nb = 0;
            if (side_on) {
                double w[NB];
                for (int i = 0; i < NB; i++)
                    w[i] = isfinite(want_s[i]) ? want_s[i] - main_db[i] : NAN;
                fit_setup(&fs, tg->band_hz, w, rate, EQFIT_SIDE, max_eq, SIDE_SPACING_OCT, SIDE_Q);
                res_s = eqfit_solve(&fs, PRUNE_DB);
                for (int i = 0; i < NB; i++)
                    side_db[i] = eqfit_sum_db(fs.b, fs.nb, tg->band_hz[i], rate);
            }
        }

        const char *what = ms ? "reference's mid" : "reference";
        const char *aspect = ms ? "tone (mid)" : "tone";
        char refined[96] = "";
        if (isfinite(refine_m))
            snprintf(refined, sizeof refined, "; refined on a first render (it missed by up to "
                     "%.1f dB)", refine_m);
        for (int i = 0; i < NB; i++)
            if (wts[i] > 0 && isfinite(sm_d[i])) {
                lo = fmin(lo, sm_d[i] - cm);
                hi = fmax(hi, sm_d[i] - cm);
            }
        if (p_mid > 0.0) {
            snprintf(m, sizeof m, "the %s minus the mix, loudness-aligned and smoothed over %.2f "
                     "octave, spans %+.1f..%+.1f dB around its median over 40 Hz-16 kHz", what,
                     smooth, lo, hi);
            snprintf(r, sizeof r, "%.0f %% of the difference, each point within +-%.1f dB; boosts "
                     "held back where the mix is 40-55 dB under its loudest band; least-squares "
                     "fit of shelves and 1/3-octave bells; bands under %.1f dB left out",
                     100.0 * p_mid, max_eq, PRUNE_DB);
            snprintf(a, sizeof a, "%d EQ band%s on both channels%s; fit residual %.2f dB RMS%s",
                     fm.nb, fm.nb == 1 ? "" : "s", ms ? " (the side's own difference follows)" : "",
                     res_m, refined);
            lathe_explanation_add(ex, aspect, fm.nb > 0, m, r, a);
            explain_bands(ex, aspect, &fm, tg->band_hz, sm_d, cm, what);
        } else {
            lathe_explanation_add(ex, aspect, 0, "not matched", "amount 0 %", "tone left as it is");
        }
        memcpy(bands + nbands, fm.b, sizeof(eqfit_band) * (size_t)fm.nb);
        nbands += fm.nb;
        if (side_on) {
            lo = HUGE_VAL;
            hi = -HUGE_VAL;
            for (int i = 0; i < NB; i++)
                if (wts[i] > 0 && isfinite(ss_d[i])) {
                    lo = fmin(lo, ss_d[i] - cs);
                    hi = fmax(hi, ss_d[i] - cs);
                }
            if (p_side > 0.0)
                snprintf(m, sizeof m, "the reference's side minus the mix's, loudness-aligned and "
                         "smoothed, spans %+.1f..%+.1f dB around its median over 40 Hz-16 kHz (the "
                         "median itself is the width, below)", lo, hi);
            else
                snprintf(m, sizeof m, "side tone not matched (amount 0 %%): the side keeps its "
                         "balance");
            snprintf(r, sizeof r, "%.0f %% of the shape, each point within +-%.1f dB, boosts held "
                     "back where the mix's side is 25-35 dB under its mid; side bells every 2/3 "
                     "octave correct what the main correction left", 100.0 * p_side, max_eq);
            if (isfinite(refine_s))
                snprintf(refined, sizeof refined, "; refined on a first render (it missed by up "
                         "to %.1f dB)", refine_s);
            snprintf(a, sizeof a, "%d EQ band%s on the side; fit residual %.2f dB RMS%s", fs.nb,
                     fs.nb == 1 ? "" : "s", res_s, refined);
            lathe_explanation_add(ex, "tone (side)", fs.nb > 0, m, r, a);
            explain_bands(ex, "tone (side)", &fs, tg->band_hz, NULL, 0.0, "side");
            memcpy(bands + nbands, fs.b, sizeof(eqfit_band) * (size_t)fs.nb);
            nbands += fs.nb;
        } else if (tg->stereo) {
            lathe_explanation_add(ex, "tone (side)", 0,
                                  "no reference with a stereo pair", "mid/side matching needs "
                                  "stereo on both sides", "the side follows the main correction");
        }
    }

    double width_pct = 100.0;
    if (side_on) {
        snprintf(m, sizeof m, "side/mid: mix %.1f dB, reference %.1f dB; the reference's side sits "
                 "%+.1f dB relative to its mid compared with the mix (median over 40 Hz-16 kHz)",
                 ta->side_mid_db, ref_sm, wdb);
        snprintf(r, sizeof r, "%.0f %% of the difference; widening at most +%.1f dB, less as the "
                 "mix's side/mid falls from -20 to -30 dB (none below: a near-mono side is noise, "
                 "not image)%s", 100.0 * p_width, MAX_WIDTH_DB,
                 opt->result ? "; refined on a first render" : "");
        if (fabs(width_db) >= MIN_WIDTH_DB && p_width > 0.0) {
            width_pct = clampd(round(100.0 * pow(10.0, width_db / 20.0) * 10.0) / 10.0, 0.0, 200.0);
            snprintf(a, sizeof a, "stereo width %.1f %% (side %+.1f dB)", width_pct,
                     20.0 * log10(fmax(width_pct, 1e-3) / 100.0));
            lathe_explanation_add(ex, "width", 1, m, r, a);
        } else {
            snprintf(a, sizeof a, p_width > 0.0 ? "move under %.1f dB (or held back): width kept"
                                                : "amount 0 %%: width kept", MIN_WIDTH_DB);
            lathe_explanation_add(ex, "width", 0, m, r, a);
        }
    } else if (tg->stereo) {
        lathe_explanation_add(ex, "width", 0, "no stereo reference to compare with", "",
                              "width kept");
    }

    /* ---- dynamics ---- */
    double comp_db = 0.0;
    if (p_dyn > 0.0 && isfinite(ta->plr_db) && isfinite(ref_plr)) {
        double dplr = ta->plr_db - ref_plr;
        /* the limiter is left about 2 dB of the difference; the compressor the rest */
        comp_db = fmin(8.0, p_dyn * fmax(0.0, dplr - 2.0));
        snprintf(m, sizeof m, "peak-to-loudness ratio: mix %.1f dB, reference %.1f dB (%+.1f dB)",
                 ta->plr_db, ref_plr, dplr);
        snprintf(r, sizeof r, "compress when the mix's PLR exceeds the reference's by more than "
                 "2 dB (the limiter takes 2 dB); %.0f %% of the rest, at most 8 dB", 100.0 * p_dyn);
        if (comp_db >= 0.5) {
            double excess = fmax(ta->plr_db - 3.0, comp_db + 1.0);
            double ratio = clampd(1.0 / (1.0 - comp_db / excess), 1.2, 6.0);
            ratio = round(ratio * 100.0) / 100.0;
            double thr = clampd(round(ta->integrated_lufs * 10.0) / 10.0, -60.0, 0.0);
            if ((st = lathe_recipe_add(out, "compressor", NULL)) != LATHE_OK)
                goto fail;
            int s = out->steps - 1;
            const lathe_fx_class *cc = out->step[s].cls;
            lathe_recipe_set(out, s, "threshold_db", thr);
            lathe_recipe_set(out, s, "ratio", ratio);
            lathe_recipe_set(out, s, "knee_db", 6.0);
            lathe_recipe_set(out, s, "attack_ms", 10.0);
            lathe_recipe_set(out, s, "release_ms", 150.0);
            int id = lathe_fx_param_index(cc, "detector");
            if (id >= 0 && lathe_param_choice(&cc->params[id], "rms") >= 0)
                out->step[s].params[id] = lathe_param_choice(&cc->params[id], "rms");
            id = lathe_fx_param_index(cc, "release_mode");
            if (id >= 0 && lathe_param_choice(&cc->params[id], "auto") >= 0)
                out->step[s].params[id] = lathe_param_choice(&cc->params[id], "auto");
            snprintf(a, sizeof a, "compressor %.2f:1 over %.1f dBFS (RMS detector, 10 ms attack, "
                     "auto release) for about %.1f dB less crest", ratio, thr, comp_db);
            lathe_explanation_add(ex, "dynamics", 1, m, r, a);
        } else {
            lathe_explanation_add(ex, "dynamics", 0, m, r, "difference within what the limiter takes");
        }
    } else {
        lathe_explanation_add(ex, "dynamics", 0, "not matched (amount 0 %)",
                              "use --dynamics AMOUNT to match the peak-to-loudness ratio",
                              "the limiter alone reaches the loudness");
    }

    /* ---- the chain: width, EQ, (compressor above), limiter ---- */
    {
        /* EQ and width go before the compressor added above: rebuild the order. */
        lathe_recipe tmp;
        lathe_recipe_init(&tmp);
        tmp.target = out->target;
        if (width_pct != 100.0) {
            if ((st = lathe_recipe_add(&tmp, "stereo", NULL)) != LATHE_OK
                || (st = lathe_recipe_set(&tmp, tmp.steps - 1, "width_percent", width_pct)) != LATHE_OK) {
                lathe_recipe_free(&tmp);
                goto fail;
            }
        }
        if ((st = eqfit_to_recipe(bands, nbands, &tmp)) != LATHE_OK) {
            lathe_recipe_free(&tmp);
            goto fail;
        }
        for (int k = 0; k < out->steps; k++) {
            if (tmp.steps >= LATHE_RECIPE_MAX_STEPS) {
                lathe_recipe_free(&tmp);
                st = LATHE_ERR_INTERNAL;
                goto fail;
            }
            tmp.step[tmp.steps++] = out->step[k];
        }
        out->steps = 0;
        *out = tmp;
    }
    /* The limiter: a fixed 60 ms release after a 10 ms hold (the hold spans half a 50 Hz
     * period, so bass is not distorted), because matching a loud reference means steady
     * limiting, where a programme-dependent release slows down and holds the level back. */
    if ((st = lathe_recipe_add(out, "limiter", NULL)) != LATHE_OK
        || (st = lathe_recipe_set(out, out->steps - 1, "ceiling_dbtp", ceiling)) != LATHE_OK)
        goto fail;
    {
        const int s = out->steps - 1;
        const lathe_fx_class *lc = out->step[s].cls;
        int id = lathe_fx_param_index(lc, "release_mode");
        if (id >= 0 && lathe_param_choice(&lc->params[id], "fixed") >= 0)
            out->step[s].params[id] = lathe_param_choice(&lc->params[id], "fixed");
        lathe_recipe_set(out, s, "release_ms", LIMITER_RELEASE_MS);
        lathe_recipe_set(out, s, "hold_ms", LIMITER_HOLD_MS);
    }

    /* The limiter's cap. */
    {
        double tp = isfinite(ta->true_peak_dbtp) ? ta->true_peak_dbtp : ta->sample_peak_dbfs;
        double plr_goal = ceiling - lufs;
        double cap = isfinite(opt->max_limiting_db) ? opt->max_limiting_db : DEFAULT_MAX_LIMITING_DB;
        out->target.max_limiting_db = clampd(cap, 0.0, 30.0);
        snprintf(m, sizeof m, "the mix peaks %.1f dB over its loudness (PLR, true peak %.2f dBTP); "
                 "%.2f LUFS under a %.2f dBTP ceiling leaves %.1f dB", ta->plr_db, tp, lufs,
                 ceiling, plr_goal);
        snprintf(r, sizeof r, "peak reduction allowed up to %.0f dB%s (more would crush the mix: "
                 "lathe then stops short and says so)", out->target.max_limiting_db,
                 isfinite(opt->max_limiting_db) ? " (given)" : " by default");
        snprintf(a, sizeof a, "true-peak limiter, %.0f ms release after a %.0f ms hold; the gain "
                 "into it is found by the master engine's closed loop on the loudness%s",
                 LIMITER_RELEASE_MS, LIMITER_HOLD_MS,
                 comp_db > 0.0 ? " (the compressor above takes part of the peak reduction)" : "");
        lathe_explanation_add(ex, "limiting", 1, m, r, a);
    }
    return LATHE_OK;
fail:
    snprintf(err, errlen, "cannot build the recipe: %s", lathe_status_str(st));
    lathe_recipe_free(out);
    return st;
}
