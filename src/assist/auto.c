/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The automatic mastering assistant (`lathe master --auto`): a chain decided from the
 * input's profile, the delivery target and a tonal target curve, every decision bounded,
 * scaled by the amount and explained (measurement, rule, action). docs/auto.md.
 *
 * Order of the chain: DC blocker (when there is an offset) -> EQ (resonance cuts and
 * broad tonal correction) -> stereo (width, bass mono) -> de-esser -> compressor ->
 * true-peak limiter at the target's ceiling, the master engine setting the loudness. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "assist/curve.h"
#include "assist/eqfit.h"
#include "lathe/assist.h"

#define NB LATHE_PROFILE_BANDS
#define NF LATHE_PROFILE_FINE_BANDS

/* Tonal target curve: power per band falling TILT dB per decade (pink noise, whose band
 * power is flat, tilted), with 2nd-order roll-offs below 40 Hz and above 12 kHz. */
#define CURVE_LOW_HZ 40.0
#define CURVE_HIGH_HZ 12000.0

/* Broad tonal components of the deviation from the curve and their dead zones: no
 * correction under the first figure, full correction over the second. */
#define TILT_LO_HZ 150.0          /* the tilt is the slope of the deviation over this range */
#define TILT_HI_HZ 6000.0
#define TILT_GATE_LO 1.5          /* dB per decade */
#define TILT_GATE_HI 2.5
#define REGION_GATE_LO 3.0        /* low and high ends, dB */
#define REGION_GATE_HI 5.0
#define BUMP_GATE_LO 2.0          /* low mids and presence, dB */
#define BUMP_GATE_HI 3.5
#define MAX_EQ_DB 6.0             /* every tonal move within this */

/* Resonances: 1/24-octave peaks standing out of the 1-octave median envelope. */
#define RES_LO_HZ 60.0
#define RES_HI_HZ 12000.0
#define RES_EXCESS_DB 12.0        /* long-term excess that makes a candidate */
#define RES_STEADY 0.5            /* and in at least this share of the frames */
#define RES_MAX 3
#define RES_CUT_FROM_DB 8.0       /* the cut is half the excess over this */
#define RES_MAX_CUT_DB 5.0

/* Stereo. */
#define SM_WIDE_DB -4.0           /* side/mid over this: too wide, narrowed */
#define SM_WIDE_GOAL_DB -6.0
#define SM_NARROW_DB -20.0        /* under this (and over SM_MONO_DB): widened a little */
#define SM_NARROW_GOAL_DB -17.0
#define SM_MONO_DB -30.0          /* under this: near-mono, left alone */
#define CORR_MIN 0.2              /* correlation under this: narrowed */
#define WIDTH_MAX_DB 3.0          /* largest width move */
#define LOWCORR_MIN 0.4           /* low-end correlation under this ... */
#define LOWSIDE_MIN_DB -10.0      /* ... with this much side below 120 Hz: bass mono */

/* Sibilance (4-12 kHz band, 10 ms windows). */
#define SIB_SHARE_DB -3.0         /* the band's 99th-percentile share of the full band */
#define SIB_BURST_DB 12.0         /* 99th percentile over the median of the band */
#define SIB_MAX_DB 6.0

typedef struct style {
    const char *name, *summary;
    double tilt_db_decade;        /* the curve's slope */
    double plr_goal_db;           /* peak-to-loudness ratio a master of this style keeps */
    double lra_max_lu;            /* loudness range over which slow compression levels */
} style;

static const style styles[] = {
    { "balanced", "tonal target -5 dB/decade (the 4.5 dB/octave analyser convention), PLR "
      "about 10.5 dB", -5.0, 10.5, 9.0 },
    { "natural", "same curve, lighter compression (PLR about 13 dB, LRA up to 12 LU)", -5.0, 13.0,
      12.0 },
    { "loud", "same curve, denser (PLR about 8.5 dB, LRA up to 6 LU)", -5.0, 8.5, 6.0 },
    { "warm", "darker target (-6.5 dB/decade), balanced dynamics", -6.5, 10.5, 9.0 },
    { "bright", "brighter target (-3.5 dB/decade), balanced dynamics", -3.5, 10.5, 9.0 },
};
#define NSTYLES (sizeof styles / sizeof styles[0])

size_t lathe_auto_style_count(void)
{
    return NSTYLES;
}

const char *lathe_auto_style_name(size_t i)
{
    return i < NSTYLES ? styles[i].name : NULL;
}

const char *lathe_auto_style_summary(size_t i)
{
    return i < NSTYLES ? styles[i].summary : NULL;
}

void lathe_auto_options_defaults(lathe_auto_options *o)
{
    o->amount_percent = 100.0;
    o->style = NULL;
}

static const style *find_style(const char *name)
{
    if (!name)
        return &styles[0];
    for (size_t i = 0; i < NSTYLES; i++)
        if (!strcmp(styles[i].name, name))
            return &styles[i];
    return NULL;
}

static double curve_db(const style *s, double hz)
{
    double x = log10(hz / 1000.0);
    return s->tilt_db_decade * x - 10.0 * log10(1.0 + pow(CURVE_LOW_HZ / hz, 4.0))
           - 10.0 * log10(1.0 + pow(hz / CURVE_HIGH_HZ, 4.0));
}

double lathe_auto_target_curve_db(const char *style_name, double hz)
{
    const style *s = find_style(style_name);
    return s && hz > 0.0 ? curve_db(s, hz) : NAN;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Shapes of the local components (1 where the component lives). */
static double shape_low(double hz)
{
    return 1.0 / (1.0 + pow(hz / 140.0, 4.0));
}

static double shape_high(double hz)
{
    return 1.0 / (1.0 + pow(7000.0 / hz, 4.0));
}

static double shape_bump(double hz, double centre)
{
    double d = log2(hz / centre) / 0.7;
    return exp(-0.5 * d * d);
}

enum { C_LOW, C_HIGH, C_LOWMID, C_PRES, NCOMP };

static double comp_shape(int k, double hz)
{
    switch (k) {
    case C_LOW: return shape_low(hz);
    case C_HIGH: return shape_high(hz);
    case C_LOWMID: return shape_bump(hz, 300.0);
    default: return shape_bump(hz, 3000.0);
    }
}

/* Least squares Y ~ sum_k c_k shape_k over the valid points (4 x 4 normal equations). */
static void fit_components(const double *hz, const double *y, const double *w, int n, double *c)
{
    double A[NCOMP][NCOMP + 1];
    memset(A, 0, sizeof A);
    for (int i = 0; i < n; i++) {
        if (!(w[i] > 0.0) || !isfinite(y[i]))
            continue;
        double s[NCOMP];
        for (int k = 0; k < NCOMP; k++)
            s[k] = comp_shape(k, hz[i]);
        for (int a = 0; a < NCOMP; a++) {
            for (int b = 0; b < NCOMP; b++)
                A[a][b] += w[i] * s[a] * s[b];
            A[a][NCOMP] += w[i] * s[a] * y[i];
        }
    }
    for (int a = 0; a < NCOMP; a++)
        A[a][a] += 1e-6;
    for (int col = 0; col < NCOMP; col++) {
        int p = col;
        for (int r = col + 1; r < NCOMP; r++)
            if (fabs(A[r][col]) > fabs(A[p][col]))
                p = r;
        for (int k = 0; k <= NCOMP; k++) {
            double t = A[col][k];
            A[col][k] = A[p][k];
            A[p][k] = t;
        }
        for (int r = col + 1; r < NCOMP; r++) {
            double f = A[r][col] / A[col][col];
            for (int k = col; k <= NCOMP; k++)
                A[r][k] -= f * A[col][k];
        }
    }
    for (int r = NCOMP - 1; r >= 0; r--) {
        double s = A[r][NCOMP];
        for (int k = r + 1; k < NCOMP; k++)
            s -= A[r][k] * c[k];
        c[r] = s / A[r][r];
    }
}

/* The resonance candidates of P: up to RES_MAX bands, strongest first. */
typedef struct resonance {
    double hz, excess_db, steady, q, cut_db;
} resonance;

static int find_resonances(const lathe_profile *p, double rate, resonance *out)
{
    double env[NF], tmp[NF];
    int n = 0;
    for (int i = 0; i < NF; i++) {
        /* median of the bands within +-1/2 octave (12 either side at 1/24 octave) */
        int m = 0;
        for (int j = i - 12; j <= i + 12; j++)
            if (j >= 0 && j < NF && isfinite(p->fine_db[j]))
                tmp[m++] = p->fine_db[j];
        if (m < 5 || !isfinite(p->fine_db[i])) {
            env[i] = NAN;
            continue;
        }
        for (int a = 1; a < m; a++)             /* insertion sort, m <= 25 */
            for (int b = a; b > 0 && tmp[b - 1] > tmp[b]; b--) {
                double t = tmp[b];
                tmp[b] = tmp[b - 1];
                tmp[b - 1] = t;
            }
        env[i] = m & 1 ? tmp[m / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
    }
    for (int i = 1; i + 1 < NF; i++) {
        double hz = p->fine_hz[i];
        if (hz < RES_LO_HZ || hz > RES_HI_HZ || hz > 0.4 * rate || !isfinite(env[i]))
            continue;
        double ex = p->fine_db[i] - env[i];
        if (ex < RES_EXCESS_DB || !(p->fine_steady[i] >= RES_STEADY))
            continue;
        if (!(p->fine_db[i] >= p->fine_db[i - 1] && p->fine_db[i] >= p->fine_db[i + 1]))
            continue;
        /* width: bands within half the excess of the peak, either side */
        int lo = i, hi = i;
        while (lo > 0 && p->fine_db[lo - 1] - env[lo - 1] > 0.5 * ex)
            lo--;
        while (hi + 1 < NF && p->fine_db[hi + 1] - env[hi + 1] > 0.5 * ex)
            hi++;
        double bw_oct = (hi - lo + 1) / (80.0 * log10(2.0));     /* 1/24-octave bands */
        double q = 1.0 / (2.0 * sinh(0.5 * M_LN2 * bw_oct));
        resonance r = { hz, ex, p->fine_steady[i], clampd(q, 4.0, 12.0), 0.0 };
        /* keep the strongest RES_MAX */
        int at = n < RES_MAX ? n++ : RES_MAX - 1;
        if (at == RES_MAX - 1 && n == RES_MAX && out[at].excess_db >= ex)
            continue;
        out[at] = r;
        for (int k = at; k > 0 && out[k - 1].excess_db < out[k].excess_db; k--) {
            resonance t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    }
    return n;
}

static void set_choice(lathe_recipe *r, int s, const char *key, const char *name)
{
    const lathe_fx_class *cls = r->step[s].cls;
    int id = lathe_fx_param_index(cls, key);
    if (id >= 0 && lathe_param_choice(&cls->params[id], name) >= 0)
        r->step[s].params[id] = lathe_param_choice(&cls->params[id], name);
}

lathe_status lathe_auto_plan(const lathe_profile *in, const lathe_target *target,
                             const lathe_auto_options *opt, lathe_recipe *out,
                             lathe_explanation *ex, char *err, size_t errlen)
{
    lathe_auto_options defo;
    lathe_status st = LATHE_OK;
    char m[256], r[256], a[256];

    lathe_recipe_init(out);
    if (!opt) {
        lathe_auto_options_defaults(&defo);
        opt = &defo;
    }
    const style *sty = find_style(opt->style);
    if (!in || !target || !sty) {
        snprintf(err, errlen, !sty ? "unknown style '%s' (balanced, natural, loud, warm, bright)"
                                   : "nothing to decide from", opt->style ? opt->style : "");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    const lathe_analysis *an = &in->a;
    if (!isfinite(an->integrated_lufs)) {
        snprintf(err, errlen, "the input is silent: nothing to master");
        return LATHE_ERR_EMPTY;
    }
    const double amt = clampd(isfinite(opt->amount_percent) ? opt->amount_percent : 100.0, 0.0,
                              100.0) / 100.0;
    const double rate = an->info.rate_hz;
    out->target = *target;
    snprintf(m, sizeof m, "style '%s': %s; amount %.0f %%", sty->name, sty->summary, 100.0 * amt);
    lathe_explanation_add(ex, "settings", 0, m, "the amount scales every corrective move below "
                          "(not the delivery loudness and ceiling)", "");

    /* ---- DC offset ---- */
    double dc = 0.0;
    for (int c = 0; c < an->channels; c++)
        dc = fmax(dc, fabs(an->channel[c].dc_offset));
    int want_dc = dc > 1e-3 && amt > 0.0;
    snprintf(m, sizeof m, "largest DC offset %.5f of full scale (%.1f dBFS)", dc,
             dc > 0 ? 20.0 * log10(dc) : -HUGE_VAL);
    lathe_explanation_add(ex, "DC offset", want_dc, m, "remove an offset over 0.001 (-60 dBFS)",
                          want_dc ? "DC blocker first in the chain" : "none needed");
    if (want_dc && (st = lathe_recipe_add(out, "dc_block", NULL)) != LATHE_OK)
        goto fail;

    /* ---- tone: deviation from the target curve ---- */
    eqfit_band bands[EQFIT_MAX_BANDS + RES_MAX];
    int nb = 0;
    {
        double dev[NB], w[NB], x[NB], L = an->integrated_lufs;
        for (int i = 0; i < NB; i++) {
            double hz = in->band_hz[i];
            int ok = hz * pow(10.0, 1.0 / 40.0) < 0.49 * rate && isfinite(in->total_db[i]);
            dev[i] = ok ? in->total_db[i] - L - curve_db(sty, hz) : NAN;
            w[i] = ok && hz >= 39.0 && hz <= 16500.0 ? 1.0 : 0.0;
            x[i] = log10(hz / 1000.0);
        }
        /* tilt: least-squares line over 150 Hz-6 kHz */
        double s0 = 0, s1 = 0, s2 = 0, sy = 0, sxy = 0;
        for (int i = 0; i < NB; i++) {
            if (!(w[i] > 0) || in->band_hz[i] < TILT_LO_HZ || in->band_hz[i] > TILT_HI_HZ)
                continue;
            s0 += 1;
            s1 += x[i];
            s2 += x[i] * x[i];
            sy += dev[i];
            sxy += x[i] * dev[i];
        }
        double tilt = s0 > 2 ? (s0 * sxy - s1 * sy) / (s0 * s2 - s1 * s1) : 0.0;
        double icpt = s0 > 2 ? (sy - tilt * s1) / s0 : 0.0;
        double res[NB], comp[NCOMP] = { 0 };
        for (int i = 0; i < NB; i++)
            res[i] = isfinite(dev[i]) ? dev[i] - icpt - tilt * x[i] : NAN;
        fit_components(in->band_hz, res, w, NB, comp);

        static const char *const cname[NCOMP] = { "low end (40-125 Hz)", "top end (8-16 kHz)",
                                                  "low mids (around 300 Hz)",
                                                  "presence range (around 3 kHz)" };
        static const char *const aname[NCOMP] = { "tone (low end)", "tone (top end)",
                                                  "tone (low mids)", "tone (presence)" };
        static const double glo[NCOMP] = { REGION_GATE_LO, REGION_GATE_LO, BUMP_GATE_LO,
                                           BUMP_GATE_LO };
        static const double ghi[NCOMP] = { REGION_GATE_HI, REGION_GATE_HI, BUMP_GATE_HI,
                                           BUMP_GATE_HI };
        double g_tilt = curve_ramp(fabs(tilt), TILT_GATE_LO, TILT_GATE_HI), g[NCOMP];
        for (int k = 0; k < NCOMP; k++)
            g[k] = curve_ramp(fabs(comp[k]), glo[k], ghi[k]);

        snprintf(m, sizeof m, "the spectrum tilts %+.1f dB per decade against the '%s' target "
                 "curve (least-squares slope of the deviation, 150 Hz-6 kHz)", tilt, sty->name);
        snprintf(r, sizeof r, "no correction under %.1f dB/decade, all of it over %.1f (between: "
                 "a growing share)", TILT_GATE_LO, TILT_GATE_HI);
        if (g_tilt > 0.0 && amt > 0.0)
            snprintf(a, sizeof a, "tilt the balance by %+.1f dB per decade (in the EQ below)",
                     -g_tilt * amt * tilt);
        else
            snprintf(a, sizeof a, "within the tolerance: left as it is");
        lathe_explanation_add(ex, "tone (tilt)", g_tilt > 0.0 && amt > 0.0, m, r, a);
        for (int k = 0; k < NCOMP; k++) {
            snprintf(m, sizeof m, "the %s sits %.1f dB %s the target curve (least-squares fit "
                     "of the deviation left after the tilt)", cname[k], fabs(comp[k]),
                     comp[k] >= 0 ? "above" : "below");
            snprintf(r, sizeof r, "no correction under %.1f dB, all of it over %.1f dB", glo[k],
                     ghi[k]);
            if (g[k] > 0.0 && amt > 0.0)
                snprintf(a, sizeof a, "%s by %.1f dB%s (in the EQ below)",
                         comp[k] >= 0 ? "cut" : "boost", fmin(g[k] * amt * fabs(comp[k]), MAX_EQ_DB),
                         g[k] * amt * fabs(comp[k]) > MAX_EQ_DB ? " (the bound)" : "");
            else
                snprintf(a, sizeof a, "within the tolerance: left as it is");
            lathe_explanation_add(ex, aname[k], g[k] > 0.0 && amt > 0.0, m, r, a);
        }

        /* the correction curve, bounded, fitted with shelves and octave bells */
        double want[NB];
        int any = 0;
        for (int i = 0; i < NB; i++) {
            double hz = in->band_hz[i];
            double c = g_tilt * tilt * x[i];
            for (int k = 0; k < NCOMP; k++)
                c += g[k] * comp[k] * comp_shape(k, hz);
            want[i] = hz * pow(10.0, 1.0 / 40.0) < 0.49 * rate ? clampd(-amt * c, -MAX_EQ_DB, MAX_EQ_DB)
                                                               : NAN;
            any |= isfinite(want[i]) && fabs(want[i]) >= 0.1;
        }
        if (any) {
            eqfit f;
            memset(&f, 0, sizeof f);
            f.rate_hz = rate;
            f.max_gain_db = MAX_EQ_DB;
            f.ridge = 1e-4;
            for (int i = 0; f.n < EQFIT_MAX_POINTS; i++) {
                double fr = 20.0 * pow(10.0, i / 40.0);
                if (fr > fmin(20000.0, 0.45 * rate))
                    break;
                double v = curve_interp(in->band_hz, want, NB, fr);
                f.hz[f.n] = fr;
                f.want_db[f.n] = isfinite(v) ? v : 0.0;
                f.weight[f.n] = !isfinite(v) ? 0.0 : (fr >= 39.0 && fr <= 16500.0) ? 1.0 : 0.3;
                f.n++;
            }
            eqfit_band ls = { LATHE_EQ_LOW_SHELF, 50.0, 0.7071, 0.0, EQFIT_STEREO };
            f.b[f.nb++] = ls;
            for (int k = 0; k < 14; k++) {
                double c = 63.0 * pow(2.0, k * 2.0 / 3.0);
                if (c > fmin(11000.0, 0.4 * rate))
                    break;
                eqfit_band bell = { LATHE_EQ_BELL, c, 1.0, 0.0, EQFIT_STEREO };
                f.b[f.nb++] = bell;
            }
            if (12000.0 < 0.4 * rate) {
                eqfit_band hs = { LATHE_EQ_HIGH_SHELF, 12000.0, 0.7071, 0.0, EQFIT_STEREO };
                f.b[f.nb++] = hs;
            }
            double resid = eqfit_solve(&f, 0.1);
            char list[256] = "";
            size_t off = 0;
            for (int k = 0; k < f.nb && off < sizeof list; k++)
                off += (size_t)snprintf(list + off, sizeof list - off, "%s%s %+.1f dB at %.0f Hz",
                                        k ? ", " : "", f.b[k].type == LATHE_EQ_BELL ? "bell"
                                        : f.b[k].type == LATHE_EQ_LOW_SHELF ? "low shelf"
                                        : "high shelf", f.b[k].gain_db, f.b[k].freq_hz);
            snprintf(m, sizeof m, "the corrections above, summed: a curve within +-%.0f dB", MAX_EQ_DB);
            snprintf(r, sizeof r, "least-squares fit of shelves and bells every 2/3 octave (Q 1); "
                     "residual %.2f dB RMS", resid);
            lathe_explanation_add(ex, "tone (EQ)", f.nb > 0, m, r, list[0] ? list : "no band needed");
            memcpy(bands + nb, f.b, sizeof(eqfit_band) * (size_t)f.nb);
            nb += f.nb;
        }
    }

    /* ---- resonances ---- */
    {
        resonance rs[RES_MAX];
        int nr = find_resonances(in, rate, rs);
        if (nr == 0) {
            snprintf(m, sizeof m, "no 1/24-octave peak stands %.0f dB over its octave (median) in "
                     "at least %.0f %% of the frames", RES_EXCESS_DB, 100.0 * RES_STEADY);
            lathe_explanation_add(ex, "resonances", 0, m, "60 Hz-12 kHz, at most 3 cuts", "none cut");
        }
        for (int k = 0; k < nr; k++) {
            double cut = -amt * fmin(0.5 * (rs[k].excess_db - RES_CUT_FROM_DB), RES_MAX_CUT_DB);
            cut = round(cut * 100.0) / 100.0;
            snprintf(m, sizeof m, "a peak at %.0f Hz stands %.1f dB over the median of its octave "
                     "(1/24-octave bands) and out in %.0f %% of the frames", rs[k].hz,
                     rs[k].excess_db, 100.0 * rs[k].steady);
            snprintf(r, sizeof r, "a candidate from %.0f dB and %.0f %% of the frames; cut by half "
                     "the excess over %.0f dB, at most %.0f dB; Q from the peak's width (4..12)",
                     RES_EXCESS_DB, 100.0 * RES_STEADY, RES_CUT_FROM_DB, RES_MAX_CUT_DB);
            if (cut <= -0.1) {
                eqfit_band b = { LATHE_EQ_BELL, rs[k].hz, rs[k].q, cut, EQFIT_STEREO };
                eqfit_round(&b);
                bands[nb++] = b;
                snprintf(a, sizeof a, "bell %+.2f dB at %.0f Hz, Q %.1f", b.gain_db, b.freq_hz, b.q);
                lathe_explanation_add(ex, "resonance", 1, m, r, a);
            } else {
                lathe_explanation_add(ex, "resonance", 0, m, r, "amount 0 %: not cut");
            }
        }
    }
    if ((st = eqfit_to_recipe(bands, nb, out)) != LATHE_OK)
        goto fail;

    /* ---- stereo ---- */
    if (in->stereo) {
        double sm = an->side_mid_db, corr = an->correlation, move = 0.0;
        const char *why = "";
        if (sm > SM_MONO_DB && sm < SM_NARROW_DB) {
            move = fmin(SM_NARROW_GOAL_DB - sm, WIDTH_MAX_DB);
            why = "narrow image: widened a little";
        } else if (sm > SM_WIDE_DB || corr < CORR_MIN) {
            move = -fmin(fmax(sm - SM_WIDE_GOAL_DB, corr < CORR_MIN ? 2.0 : 0.0), WIDTH_MAX_DB);
            why = "too wide for mono playback: narrowed";
        }
        move *= amt;
        snprintf(m, sizeof m, "side/mid %.1f dB, correlation %+.2f", sm, corr);
        snprintf(r, sizeof r, "widen towards %.0f dB when between %.0f and %.0f dB (a near-mono mix "
                 "is left alone); narrow towards %.0f dB over %.0f dB or under correlation %.1f; at "
                 "most %.0f dB", SM_NARROW_GOAL_DB, SM_MONO_DB, SM_NARROW_DB, SM_WIDE_GOAL_DB,
                 SM_WIDE_DB, CORR_MIN, WIDTH_MAX_DB);
        double width_pct = 100.0, mono_hz = 0.0;
        if (fabs(move) >= 0.2) {
            width_pct = round(1000.0 * pow(10.0, move / 20.0)) / 10.0;
            snprintf(a, sizeof a, "%s: width %.1f %% (side %+.1f dB)", why, width_pct, move);
            lathe_explanation_add(ex, "width", 1, m, r, a);
        } else {
            lathe_explanation_add(ex, "width", 0, m, r, "in range: width kept");
        }
        double lc = in->low_correlation, ls = in->low_side_mid_db;
        snprintf(m, sizeof m, "below 120 Hz: correlation %+.2f, side/mid %.1f dB", lc, ls);
        snprintf(r, sizeof r, "bass mono when the low end's correlation is under %.1f with side/mid "
                 "over %.0f dB (100-150 Hz, lower when milder)", LOWCORR_MIN, LOWSIDE_MIN_DB);
        if (isfinite(lc) && lc < LOWCORR_MIN && ls > LOWSIDE_MIN_DB && amt > 0.0) {
            mono_hz = round(clampd(100.0 + 50.0 * (LOWCORR_MIN - lc) / (LOWCORR_MIN + 1.0), 100.0,
                                   150.0) * amt);
            mono_hz = fmax(mono_hz, 20.0);
            snprintf(a, sizeof a, "bass mono below %.0f Hz", mono_hz);
            lathe_explanation_add(ex, "bass", 1, m, r, a);
        } else {
            lathe_explanation_add(ex, "bass", 0, m, r, "low end coherent enough: kept");
        }
        if (width_pct != 100.0 || mono_hz > 0.0) {
            if ((st = lathe_recipe_add(out, "stereo", NULL)) != LATHE_OK
                || (st = lathe_recipe_set(out, out->steps - 1, "width_percent",
                                          clampd(width_pct, 0.0, 200.0))) != LATHE_OK
                || (st = lathe_recipe_set(out, out->steps - 1, "bass_mono_hz", mono_hz)) != LATHE_OK)
                goto fail;
        }
    }

    /* ---- sibilance ---- */
    if (isfinite(in->hf_share_p99_db)) {
        double burst = in->hf_p99_dbfs - in->hf_median_dbfs;
        snprintf(m, sizeof m, "4-12 kHz in 10 ms windows: loudest 1 %% at %.1f dBFS, %.1f dB over "
                 "its median, reaching %.1f dB of the full band's level", in->hf_p99_dbfs, burst,
                 in->hf_share_p99_db);
        snprintf(r, sizeof r, "de-ess when those bursts reach %.0f dB of the full band and stand "
                 "%.0f dB over the median", SIB_SHARE_DB, SIB_BURST_DB);
        if (in->hf_share_p99_db >= SIB_SHARE_DB && burst >= SIB_BURST_DB && amt > 0.0) {
            double thr = clampd(round(in->hf_p99_dbfs - 6.0), -60.0, 0.0);
            double red = round(amt * SIB_MAX_DB * 10.0) / 10.0;
            if ((st = lathe_recipe_add(out, "deesser", NULL)) != LATHE_OK)
                goto fail;
            int s = out->steps - 1;
            lathe_recipe_set(out, s, "threshold_db", thr);
            lathe_recipe_set(out, s, "max_reduction_db", red);
            set_choice(out, s, "mode", "split");
            snprintf(a, sizeof a, "de-esser 4-12 kHz (split band) over %.0f dBFS, at most %.1f dB",
                     thr, red);
            lathe_explanation_add(ex, "sibilance", 1, m, r, a);
        } else {
            lathe_explanation_add(ex, "sibilance", 0, m, r, "not excessive: no de-esser");
        }
    }

    /* ---- dynamics ---- */
    {
        double plr = an->plr_db, lra = an->loudness_range_lu;
        double excess = isfinite(plr) ? plr - sty->plr_goal_db : 0.0;
        double lra_ex = isfinite(lra) ? lra - sty->lra_max_lu : 0.0;
        snprintf(m, sizeof m, "PLR %.1f dB, crest %.1f dB, loudness range %.1f LU", plr,
                 an->crest_db, lra);
        snprintf(r, sizeof r, "compress when PLR exceeds the style's %.1f dB by more than 1 dB "
                 "(the compressor takes half of the excess, at most 4 dB) or the range exceeds "
                 "%.0f LU (slower settings)", sty->plr_goal_db, sty->lra_max_lu);
        double red = amt * fmin(0.5 * fmax(excess - 1.0, 0.0) + 0.5 * fmax(lra_ex, 0.0), 4.0);
        if (red >= 0.3) {
            double span = fmax(plr - 3.0, red + 1.0);
            double ratio = round(clampd(1.0 / (1.0 - red / span), 1.2, 4.0) * 100.0) / 100.0;
            double thr = clampd(round(an->integrated_lufs * 10.0) / 10.0, -60.0, 0.0);
            int slow = lra_ex > 0.0;
            if ((st = lathe_recipe_add(out, "compressor", NULL)) != LATHE_OK)
                goto fail;
            int s = out->steps - 1;
            lathe_recipe_set(out, s, "threshold_db", thr);
            lathe_recipe_set(out, s, "ratio", ratio);
            lathe_recipe_set(out, s, "knee_db", 6.0);
            lathe_recipe_set(out, s, "attack_ms", slow ? 30.0 : 15.0);
            lathe_recipe_set(out, s, "release_ms", slow ? 300.0 : 150.0);
            set_choice(out, s, "detector", "rms");
            set_choice(out, s, "release_mode", "auto");
            snprintf(a, sizeof a, "compressor %.2f:1 over %.1f dBFS (RMS, %s) for about %.1f dB "
                     "less crest", ratio, thr, slow ? "30 ms attack, 300 ms release: levelling"
                                                    : "15 ms attack, 150 ms release", red);
            lathe_explanation_add(ex, "dynamics", 1, m, r, a);
        } else {
            lathe_explanation_add(ex, "dynamics", 0, m, r, "within the style: no compressor");
        }
    }

    /* ---- limiter ---- */
    if ((st = lathe_recipe_add(out, "limiter", NULL)) != LATHE_OK)
        goto fail;
    if (isfinite(target->ceiling_dbtp))
        lathe_recipe_set(out, out->steps - 1, "ceiling_dbtp", target->ceiling_dbtp);
    snprintf(m, sizeof m, "the mix measures %.2f LUFS, true peak %.2f dBTP", an->integrated_lufs,
             an->true_peak_dbtp);
    {
        char tl[32] = "no", tc[32] = "no";
        if (isfinite(target->lufs))
            snprintf(tl, sizeof tl, "%.1f", target->lufs);
        if (isfinite(target->ceiling_dbtp))
            snprintf(tc, sizeof tc, "%.1f", target->ceiling_dbtp);
        snprintf(r, sizeof r, "target '%s': %s LUFS, ceiling %s dBTP, at most %.1f dB of limiting",
                 target->name, tl, tc, target->max_limiting_db);
    }
    lathe_explanation_add(ex, "loudness", 1, m, r, "true-peak limiter at the ceiling; the gain into "
                          "it is found by the master engine's closed loop on the written file");
    return LATHE_OK;
fail:
    snprintf(err, errlen, "cannot build the recipe: %s", lathe_status_str(st));
    lathe_recipe_free(out);
    return st;
}
