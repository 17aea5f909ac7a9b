/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The assistants' measurement pass: the full analysis plus 1/6- and 1/24-octave
 * spectra (mid, side, total), the correlation of the low end and the short-term
 * behaviour of the sibilance band, in one streaming pass of constant memory.
 *
 * The spectra are the analysis' own Welch spectrum (src/meter/spectrum.c) read out in
 * finer bands; the low end is a 2nd-order Butterworth low-pass at 120 Hz on L and R;
 * the sibilance band is a 2nd-order Butterworth high-pass at 4 kHz and low-pass at
 * 12 kHz on the mid, measured as mean square over 10 ms windows into 0.25 dB
 * histograms (percentiles without storing the series). The last three are measured only
 * when asked for (LATHE_PROFILE_*: `lathe match` needs none of them). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "engine/analyze.h"
#include "lathe/assist.h"
#include "meter/spectrum.h"

#define BLOCK 4096
#define LOW_HZ 120.0
#define HF_LO_HZ 4000.0
#define HF_HI_HZ 12000.0
#define WINDOW_S 0.010
#define HIST_LO -160.0          /* dB, lowest histogram bin */
#define HIST_STEP 0.25          /* dB per bin */
#define HIST_BINS 720           /* -160 .. +20 dB */
#define QUIET_DBFS -60.0        /* windows under this full-band level are left out */
#define STEADY_EXCESS_DB 6.0    /* a 1/24-octave band this far over its +-1/2 octave stands out */

typedef struct hist {
    int64_t n[HIST_BINS];
    int64_t total;
} hist;

static void hist_add(hist *h, double db)
{
    int i = (int)floor((db - HIST_LO) / HIST_STEP);
    i = i < 0 ? 0 : i >= HIST_BINS ? HIST_BINS - 1 : i;
    h->n[i]++;
    h->total++;
}

/* The value under which a share Q (0..1) of the entries lie (bin centre), NAN if empty. */
static double hist_quantile(const hist *h, double q)
{
    if (h->total == 0)
        return NAN;
    int64_t want = (int64_t)ceil(q * (double)h->total), acc = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < HIST_BINS; i++) {
        acc += h->n[i];
        if (acc >= want)
            return HIST_LO + (i + 0.5) * HIST_STEP;
    }
    return HIST_LO + (HIST_BINS - 0.5) * HIST_STEP;
}

typedef struct pass {
    int channels, stereo, low_on, hf_on;
    float *buf[LATHE_MAX_CHANNELS];
    float *tmp[3];                      /* BLOCK each: mid, low L, low R */
    lathe_biquad_coefs lp, hp4, lp12;
    lathe_biquad_state lpl, lpr, hfa, hfb;
    double low_ll, low_rr, low_lr;      /* low-passed sums */
    size_t win, wfill;                  /* window length and fill, frames */
    double wband, wfull;                /* window sums of squares */
    hist *band, *share;
} pass;

static void pass_free(pass *p)
{
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(p->buf[c]);
    for (int k = 0; k < 3; k++)
        free(p->tmp[k]);
    free(p->band);
    free(p->share);
}

static void window_done(pass *p)
{
    double full = p->wfull / (double)p->win, band = p->wband / (double)p->win;
    double full_db = full > 0.0 ? 10.0 * log10(full) : -HUGE_VAL;
    if (full_db > QUIET_DBFS) {
        double band_db = band > 1e-20 ? 10.0 * log10(band) : -200.0;
        hist_add(p->band, band_db);
        hist_add(p->share, band_db - full_db);
    }
    p->wband = p->wfull = 0.0;
    p->wfill = 0;
}

LATHE_HOT static void pass_process(pass *p, size_t n)
{
    float *l = p->buf[0], *r = p->buf[1], *mid = p->tmp[0], *ll = p->tmp[1], *lr = p->tmp[2];
    if (p->low_on) {
        double s[3];
        lathe_biquad_run2(&p->lp, &p->lpl, &p->lpr, l, r, ll, lr, n);
        lathe_cross_sums(ll, lr, n, s);
        p->low_ll += s[0];
        p->low_rr += s[1];
        p->low_lr += s[2];
    }
    if (!p->hf_on)
        return;
    for (size_t i = 0; i < n; i++)
        mid[i] = 0.5f * (l[i] + r[i]);
    lathe_biquad_run_series(&p->hp4, &p->lp12, &p->hfa, &p->hfb, mid, n);
    for (size_t i = 0; i < n;) {
        size_t run = p->win - p->wfill;
        if (run > n - i)
            run = n - i;
        /* sums of squares in reduce.h's lanes (peak and sum unused) */
        double s[3], sum;
        float pk;
        lathe_stats(l + i, run, &pk, &sum, &s[0]);
        lathe_stats(r + i, run, &pk, &sum, &s[1]);
        lathe_stats(mid + i, run, &pk, &sum, &s[2]);
        /* full band: mean channel power = mid^2 + side^2 */
        p->wfull += 0.5 * (s[0] + s[1]);
        p->wband += s[2];
        p->wfill += run;
        i += run;
        if (p->wfill == p->win)
            window_done(p);
    }
}

static void band_edges(double *hz, double *lo, double *hi, int n, int centre_index, double per_decade)
{
    for (int i = 0; i < n; i++) {
        hz[i] = 1000.0 * pow(10.0, (i - centre_index) / per_decade);
        lo[i] = hz[i] * pow(10.0, -0.5 / per_decade);
        hi[i] = hz[i] * pow(10.0, 0.5 / per_decade);
    }
}

static double db10(double p)
{
    return isnan(p) ? NAN : p > 0.0 ? 10.0 * log10(p) : -HUGE_VAL;
}

void lathe_profile_free(lathe_profile *p)
{
    if (p)
        lathe_analysis_free(&p->a);
}

lathe_status lathe_profile_file(const char *path, unsigned parts, lathe_profile *out, char *err,
                                size_t errlen, lathe_progress_fn progress, void *user)
{
    lathe_reader *rd = NULL;
    lathe_analyzer *an = NULL;
    lathe_spectrum_meter *spec = NULL;
    pass p;
    lathe_status st;
    int64_t frames = 0;

    if (!out)
        return LATHE_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    memset(&p, 0, sizeof p);
    if ((st = lathe_reader_open(path, &rd, err, errlen)) != LATHE_OK)
        return st;
    const lathe_audio_info info = *lathe_reader_info(rd);
    const int nch = info.channels;
    int include[LATHE_MAX_CHANNELS];
    for (int c = 0; c < nch; c++)
        include[c] = info.roles[c] != LATHE_CHANNEL_LFE;
    p.channels = nch;
    p.stereo = nch == 2 && info.roles[0] == LATHE_CHANNEL_LEFT && info.roles[1] == LATHE_CHANNEL_RIGHT;
    p.low_on = p.stereo && (parts & LATHE_PROFILE_LOW_END);
    p.hf_on = p.stereo && (parts & LATHE_PROFILE_SIBILANCE) && HF_HI_HZ < 0.49 * info.rate_hz;

    lathe_analysis_config cfg;
    lathe_analysis_config_defaults(&cfg);
    cfg.spectrum = 0;           /* measured here, once, and read out three ways */
    cfg.series = 0;
    st = lathe_analyzer_create(&cfg, info.rate_hz, nch, info.roles, &an);
    if (st == LATHE_OK)
        st = lathe_spectrum_create(info.rate_hz, nch, p.stereo, include, &spec);
    if (st == LATHE_OK && (parts & LATHE_PROFILE_RESONANCE)) {
        double hz[LATHE_PROFILE_FINE_BANDS], lo[LATHE_PROFILE_FINE_BANDS], hi[LATHE_PROFILE_FINE_BANDS];
        band_edges(hz, lo, hi, LATHE_PROFILE_FINE_BANDS, 136, 80.0);
        st = lathe_spectrum_track(spec, lo, hi, LATHE_PROFILE_FINE_BANDS, STEADY_EXCESS_DB, 1.0);
    }
    for (int c = 0; st == LATHE_OK && c < nch; c++)
        if (!(p.buf[c] = malloc(sizeof(float) * BLOCK)))
            st = LATHE_ERR_NO_MEMORY;
    for (int k = 0; st == LATHE_OK && k < 3; k++)
        if (!(p.tmp[k] = malloc(sizeof(float) * BLOCK)))
            st = LATHE_ERR_NO_MEMORY;
    if (st == LATHE_OK && (!(p.band = calloc(1, sizeof(hist))) || !(p.share = calloc(1, sizeof(hist)))))
        st = LATHE_ERR_NO_MEMORY;
    if (st != LATHE_OK) {
        snprintf(err, errlen, "%s", lathe_status_str(st));
        goto done;
    }
    lathe_biquad_design(&p.lp, LATHE_BIQUAD_LOWPASS, LOW_HZ, M_SQRT1_2, 0.0, info.rate_hz);
    if (p.hf_on) {
        lathe_biquad_design(&p.hp4, LATHE_BIQUAD_HIGHPASS, HF_LO_HZ, M_SQRT1_2, 0.0, info.rate_hz);
        lathe_biquad_design(&p.lp12, LATHE_BIQUAD_LOWPASS, HF_HI_HZ, M_SQRT1_2, 0.0, info.rate_hz);
    }
    p.win = (size_t)fmax(1.0, floor(WINDOW_S * info.rate_hz + 0.5));

    for (;;) {
        size_t got = 0;
        st = lathe_reader_read(rd, p.buf, BLOCK, &got);
        if (got) {
            const int64_t bad = lathe_analyzer_non_finite(an);
            lathe_analyzer_process(an, (const float *const *)p.buf, got); /* counts NaN/Inf */
            /* then measured as the analysis measures them: as 0 */
            if (lathe_analyzer_non_finite(an) != bad)
                for (int c = 0; c < nch; c++)
                    for (size_t i = 0; i < got; i++)
                        if (!isfinite(p.buf[c][i]))
                            p.buf[c][i] = 0.0f;
            lathe_spectrum_process(spec, (const float *const *)p.buf, got);
            pass_process(&p, got);
            frames += (int64_t)got;
        }
        if (st == LATHE_ERR_TRUNCATED) {
            snprintf(err, errlen, "truncated: the file ends before the end its header declares");
            goto done;
        }
        if (st != LATHE_OK) {
            snprintf(err, errlen, "decode error after %lld frames", (long long)frames);
            goto done;
        }
        if (!got)
            break;
        if (progress && info.frames > 0 && progress(user, (double)frames / (double)info.frames)) {
            st = LATHE_ERR_INVALID_ARGUMENT;
            snprintf(err, errlen, "cancelled");
            goto done;
        }
    }
    if (frames == 0) {
        st = LATHE_ERR_EMPTY;
        snprintf(err, errlen, "the file holds no audio frames");
        goto done;
    }
    if ((st = lathe_analyzer_finish(an, &out->a)) != LATHE_OK) {
        snprintf(err, errlen, "%s", lathe_status_str(st));
        goto done;
    }
    {
        lathe_channel_role roles[LATHE_MAX_CHANNELS];
        memcpy(roles, out->a.info.roles, sizeof roles);
        out->a.info = info;
        memcpy(out->a.info.roles, roles, sizeof roles);
    }
    /* The analysis' 1/3-octave figures, from the same spectrum. */
    for (int b = 0; b < LATHE_THIRD_OCTAVE_BANDS; b++)
        out->a.band_hz[b] = lathe_third_octave_centre(b);
    lathe_spectrum_result(spec, out->a.spectrum_db, out->a.spectrum_mid_db, out->a.spectrum_side_db);

    out->stereo = p.stereo;
    {
        double lo[LATHE_PROFILE_FINE_BANDS], hi[LATHE_PROFILE_FINE_BANDS];
        double t[LATHE_PROFILE_FINE_BANDS], m[LATHE_PROFILE_BANDS], s[LATHE_PROFILE_BANDS];
        band_edges(out->band_hz, lo, hi, LATHE_PROFILE_BANDS, 34, 20.0);
        lathe_spectrum_bands(spec, lo, hi, LATHE_PROFILE_BANDS, t, m, s);
        for (int i = 0; i < LATHE_PROFILE_BANDS; i++) {
            out->total_db[i] = db10(t[i]);
            out->mid_db[i] = p.stereo ? db10(m[i]) : NAN;
            out->side_db[i] = p.stereo ? db10(s[i]) : NAN;
        }
        band_edges(out->fine_hz, lo, hi, LATHE_PROFILE_FINE_BANDS, 136, 80.0);
        lathe_spectrum_bands(spec, lo, hi, LATHE_PROFILE_FINE_BANDS, t, NULL, NULL);
        for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++)
            out->fine_db[i] = db10(t[i]);
        for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++)
            out->fine_steady[i] = NAN;
        if (parts & LATHE_PROFILE_RESONANCE)
            lathe_spectrum_track_result(spec, out->fine_steady);
    }
    out->low_correlation = out->low_side_mid_db = NAN;
    if (p.low_on && p.low_ll > 0.0 && p.low_rr > 0.0) {
        out->low_correlation = p.low_lr / sqrt(p.low_ll * p.low_rr);
        double mid = p.low_ll + p.low_rr + 2.0 * p.low_lr, side = p.low_ll + p.low_rr - 2.0 * p.low_lr;
        out->low_side_mid_db = mid > 0.0 ? (side > 0.0 ? 10.0 * log10(side / mid) : -HUGE_VAL) : NAN;
    }
    out->hf_p99_dbfs = hist_quantile(p.band, 0.99);
    out->hf_median_dbfs = hist_quantile(p.band, 0.5);
    out->hf_share_p99_db = hist_quantile(p.share, 0.99);
    st = LATHE_OK;
    if (out->a.non_finite_samples > 0) {
        /* like lathe_analyze_file: the figures are filled, the problem reported */
        snprintf(err, errlen, "%lld NaN/Inf samples (measured as 0)",
                 (long long)out->a.non_finite_samples);
        st = LATHE_ERR_NON_FINITE;
    }
done:
    if (st != LATHE_OK && st != LATHE_ERR_NON_FINITE)
        lathe_analysis_free(&out->a);
    pass_free(&p);
    lathe_spectrum_destroy(spec);
    lathe_analyzer_destroy(an);
    lathe_reader_close(rd);
    return st;
}
