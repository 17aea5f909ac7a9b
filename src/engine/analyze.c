/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analysis pass: feeds every meter from one stream of planar blocks, then
 * gathers their figures into a lathe_analysis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/analysis.h"
#include "engine/analyze.h"
#include "dsp/reduce.h"
#include "meter/levels.h"
#include "meter/loudness.h"
#include "meter/spectrum.h"
#include "meter/stereo.h"
#include "meter/truepeak.h"
#include "meter/visuals.h"

#define BLOCK LATHE_ANALYSIS_BLOCK

struct lathe_analyzer {
    lathe_analysis_config cfg;
    int rate, channels;
    lathe_channel_role roles[LATHE_MAX_CHANNELS];
    int stereo_pair;                /* 1 if channels 0, 1 are L and R */
    lathe_loudness_meter *loud;
    lathe_truepeak_meter *tp;
    lathe_spectrum_meter *spec;
    lathe_levels_meter levels;
    lathe_stereo_meter stereo;
    lathe_visuals_meter *vis;       /* plot data, when cfg.visuals */
    float *clean[LATHE_MAX_CHANNELS]; /* BLOCK frames: a copy with non-finite set to 0 */
    int64_t non_finite;
    int finished;
    int loudness_only;              /* 1: loudness and length only; 2: length only */
};

void lathe_analysis_config_defaults(lathe_analysis_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->true_peak = 1;
    cfg->spectrum = 1;
    cfg->series = 1;
    cfg->silence_dbfs = -60.0;
    cfg->correlation_window_ms = 400.0;
}

/* lathe_analyzer_create with what a file adds: a length hint to size the series
 * and the format's full scale for clip detection. */
lathe_status lathe_analyzer_create_for(const lathe_analysis_config *cfg, int rate, int channels,
                                       const lathe_channel_role *roles, int64_t expected_frames,
                                       double clip_level, lathe_analyzer **out)
{
    lathe_analyzer *an;
    lathe_status st;
    double weights[LATHE_MAX_CHANNELS];
    int include[LATHE_MAX_CHANNELS];
    lathe_analysis_config defaults;

    *out = NULL;
    if (!cfg) {
        lathe_analysis_config_defaults(&defaults);
        cfg = &defaults;
    }
    if (channels < 1 || channels > LATHE_MAX_CHANNELS || rate < LATHE_MIN_RATE_HZ
        || rate > LATHE_MAX_RATE_HZ || !(cfg->silence_dbfs < 0.0) || cfg->silence_dbfs < -200.0
        || !(cfg->correlation_window_ms >= 100.0) || cfg->correlation_window_ms > 10000.0)
        return LATHE_ERR_INVALID_ARGUMENT;
    an = calloc(1, sizeof *an);
    if (!an)
        return LATHE_ERR_NO_MEMORY;
    an->cfg = *cfg;
    an->rate = rate;
    an->channels = channels;
    if (cfg->use_roles)
        memcpy(an->roles, cfg->roles, sizeof an->roles);
    else if (roles)
        memcpy(an->roles, roles, sizeof(lathe_channel_role) * (size_t)channels);
    else
        lathe_channel_roles_default(channels, an->roles);
    for (int c = 0; c < channels; c++) {
        weights[c] = lathe_channel_role_weight(an->roles[c]);
        include[c] = an->roles[c] != LATHE_CHANNEL_LFE;
    }
    an->stereo_pair = channels >= 2 && an->roles[0] == LATHE_CHANNEL_LEFT
                      && an->roles[1] == LATHE_CHANNEL_RIGHT;

    lathe_loudness_config lc = {
        .rate_hz = rate, .channels = channels, .weights = weights,
        .mono_fold = an->stereo_pair && channels == 2, .keep_series = cfg->series,
        .expected_frames = expected_frames, .max_block = BLOCK,
    };
    st = lathe_loudness_create(&lc, &an->loud);
    if (st == LATHE_OK && cfg->true_peak)
        st = lathe_truepeak_create(rate, channels, &an->tp);
    if (st == LATHE_OK && cfg->spectrum)
        st = lathe_spectrum_create(rate, channels, channels == 2 && an->stereo_pair, include,
                                   &an->spec);
    if (st == LATHE_OK && cfg->visuals)
        st = lathe_visuals_meter_create(rate, channels, an->stereo_pair, expected_frames, &an->vis);
    for (int c = 0; st == LATHE_OK && c < channels; c++)
        if (!(an->clean[c] = malloc(sizeof(float) * BLOCK)))
            st = LATHE_ERR_NO_MEMORY;
    if (st != LATHE_OK) {
        lathe_analyzer_destroy(an);
        return st;
    }
    lathe_levels_init(&an->levels, channels, clip_level, cfg->silence_dbfs);
    lathe_stereo_init(&an->stereo, rate, cfg->correlation_window_ms);
    *out = an;
    return LATHE_OK;
}

lathe_status lathe_analyzer_create(const lathe_analysis_config *cfg, int rate_hz, int channels,
                                   const lathe_channel_role *roles, lathe_analyzer **out)
{
    if (!out)
        return LATHE_ERR_INVALID_ARGUMENT;
    return lathe_analyzer_create_for(cfg, rate_hz, channels, roles, 0, 1.0, out);
}

void lathe_analyzer_loudness_only(lathe_analyzer *an)
{
    an->loudness_only = 1;
}

struct lathe_loudness_meter *lathe_analyzer_loudness_meter(lathe_analyzer *an)
{
    return an->loud;
}

int64_t lathe_analyzer_non_finite(const lathe_analyzer *an)
{
    return an->non_finite;
}

static void measure(lathe_analyzer *an, const float *const *ch, size_t n)
{
    if (an->loudness_only) {
        an->levels.frames += (int64_t)n;
        if (an->loudness_only == 1)
            lathe_loudness_process(an->loud, ch, n);
        return;
    }
    lathe_levels_process(&an->levels, ch, n);
    lathe_loudness_process(an->loud, ch, n);
    if (an->tp)
        lathe_truepeak_process(an->tp, ch, n);
    if (an->spec)
        lathe_spectrum_process(an->spec, ch, n);
    if (an->stereo_pair)
        lathe_stereo_process(&an->stereo, ch[0], ch[1], n);
    if (an->vis)
        lathe_visuals_meter_process(an->vis, ch, n);
}

lathe_status lathe_analyzer_process(lathe_analyzer *an, const float *const *ch, size_t frames)
{
    if (!an || (!ch && frames) || an->finished)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (size_t off = 0; off < frames; off += BLOCK) {
        size_t n = frames - off < BLOCK ? frames - off : BLOCK;
        const float *blk[LATHE_MAX_CHANNELS];
        int bad = 0;
        for (int c = 0; c < an->channels; c++) {
            blk[c] = ch[c] + off;
            bad |= lathe_any_non_finite(blk[c], n);
        }
        if (bad) {
            for (int c = 0; c < an->channels; c++) {
                const float *x = ch[c] + off;
                for (size_t i = 0; i < n; i++) {
                    if (isfinite(x[i])) {
                        an->clean[c][i] = x[i];
                    } else {
                        an->clean[c][i] = 0.0f;
                        an->non_finite++;
                    }
                }
                blk[c] = an->clean[c];
            }
        }
        measure(an, blk, n);
    }
    return LATHE_OK;
}

static double db20(double v)
{
    return v > 0.0 ? 20.0 * log10(v) : -HUGE_VAL;
}

static double db10(double v)
{
    return v > 0.0 ? 10.0 * log10(v) : -HUGE_VAL;
}

lathe_status lathe_analyzer_finish(lathe_analyzer *an, lathe_analysis *a)
{
    lathe_loudness_result lr;

    if (!an || !a || an->finished)
        return LATHE_ERR_INVALID_ARGUMENT;
    an->finished = 1;
    memset(a, 0, sizeof *a);
    lathe_levels_finish(&an->levels);
    const lathe_levels_meter *lv = &an->levels;

    a->channels = an->channels;
    a->info.rate_hz = an->rate;
    a->info.channels = an->channels;
    memcpy(a->info.roles, an->roles, sizeof a->info.roles);
    a->frames = lv->frames;
    a->duration_s = (double)lv->frames / an->rate;

    lathe_loudness_result_get(an->loud, &lr);
    a->integrated_lufs = lr.integrated_lufs;
    a->loudness_range_lu = lr.loudness_range_lu;
    a->max_momentary_lufs = lr.max_momentary_lufs;
    a->max_short_term_lufs = lr.max_short_term_lufs;
    a->mono_loss_lu = NAN;
    if (!isnan(lr.mono_integrated_lufs)) {
        if (isfinite(lr.mono_integrated_lufs) && isfinite(lr.integrated_lufs))
            a->mono_loss_lu = lr.mono_integrated_lufs - lr.integrated_lufs;
        else if (isfinite(lr.integrated_lufs))
            a->mono_loss_lu = -HUGE_VAL; /* folds to silence */
    }
    a->series_step_s = 0.1;
    a->series_count = lr.series_count;
    lathe_loudness_take_series(an->loud, &a->momentary_lufs, &a->short_term_lufs);

    double peak = 0.0, tpeak = 0.0, power = 0.0;
    int power_n = 0;
    a->true_peak_oversampling = an->tp ? lathe_truepeak_factor(an->rate) : 0;
    for (int c = 0; c < an->channels; c++) {
        lathe_channel_stats *cs = &a->channel[c];
        double n = lv->frames > 0 ? (double)lv->frames : 1.0;
        double ms = lv->sumsq[c] / n;
        cs->role = an->roles[c];
        cs->sample_peak_dbfs = db20(lv->peak[c]);
        cs->rms_dbfs = db10(ms);
        cs->crest_db = (lv->peak[c] > 0.0 && ms > 0.0) ? cs->sample_peak_dbfs - cs->rms_dbfs : NAN;
        cs->dc_offset = lv->sum[c] / n;
        cs->clip_runs = lv->clip_runs[c];
        cs->clipped_samples = lv->clipped[c];
        cs->true_peak_dbtp = NAN;
        if (an->tp) {
            double t = lathe_truepeak_get(an->tp, c);
            cs->true_peak_dbtp = db20(t);
            if (t > tpeak)
                tpeak = t;
        }
        if (lv->peak[c] > peak)
            peak = lv->peak[c];
        if (an->roles[c] != LATHE_CHANNEL_LFE) {
            power += ms;
            power_n++;
        }
        a->clip_runs += cs->clip_runs;
        a->clipped_samples += cs->clipped_samples;
    }
    a->sample_peak_dbfs = db20(peak);
    a->true_peak_dbtp = an->tp ? db20(tpeak) : NAN;
    a->rms_dbfs = power_n ? db10(power / power_n) : -HUGE_VAL;
    a->crest_db = (peak > 0.0 && power > 0.0) ? a->sample_peak_dbfs - a->rms_dbfs : NAN;
    {
        double top = an->tp ? a->true_peak_dbtp : a->sample_peak_dbfs;
        a->plr_db = (isfinite(top) && isfinite(a->integrated_lufs)) ? top - a->integrated_lufs : NAN;
    }

    a->correlation = a->min_correlation = a->side_mid_db = NAN;
    if (an->stereo_pair)
        lathe_stereo_result(&an->stereo, &a->correlation, &a->min_correlation, &a->side_mid_db);

    a->non_finite_samples = an->non_finite;
    if (lv->first_loud < 0) {
        a->leading_silence_ms = a->trailing_silence_ms = a->duration_s * 1000.0;
    } else {
        a->leading_silence_ms = 1000.0 * (double)lv->first_loud / an->rate;
        a->trailing_silence_ms = 1000.0 * (double)(lv->frames - 1 - lv->last_loud) / an->rate;
    }

    for (int b = 0; b < LATHE_THIRD_OCTAVE_BANDS; b++) {
        a->band_hz[b] = lathe_third_octave_centre(b);
        a->spectrum_db[b] = a->spectrum_mid_db[b] = a->spectrum_side_db[b] = NAN;
    }
    if (an->spec)
        lathe_spectrum_result(an->spec, a->spectrum_db, a->spectrum_mid_db, a->spectrum_side_db);
    if (an->vis && lathe_visuals_meter_finish(an->vis, &a->visuals) != LATHE_OK) {
        lathe_analysis_free(a);
        return LATHE_ERR_NO_MEMORY;
    }
    return LATHE_OK;
}

void lathe_analyzer_destroy(lathe_analyzer *an)
{
    if (!an)
        return;
    lathe_loudness_destroy(an->loud);
    lathe_truepeak_destroy(an->tp);
    lathe_spectrum_destroy(an->spec);
    lathe_visuals_meter_destroy(an->vis);
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(an->clean[c]);
    free(an);
}

void lathe_analysis_free(lathe_analysis *a)
{
    if (!a)
        return;
    free(a->momentary_lufs);
    free(a->short_term_lufs);
    a->momentary_lufs = a->short_term_lufs = NULL;
    a->series_count = 0;
    lathe_visuals_free(a->visuals);
    a->visuals = NULL;
}

static void set_err(char *err, size_t errlen, const char *text)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", text);
}

/* Longest stream whose declared length sizes the loudness series up front (24 h);
 * a longer or absurd header figure (a few bytes of FLAC can claim 2^36 frames)
 * only sizes it to this, and the series grows as audio actually arrives. */
#define SERIES_HINT_MAX_S 86400

lathe_status lathe_analyze_reader(lathe_reader *rd, const lathe_analysis_config *cfg,
                                  lathe_analysis *out, char *err, size_t errlen,
                                  lathe_progress_fn progress, void *user)
{
    return lathe_analyze_reader_tap(rd, cfg, out, err, errlen, progress, user, NULL, NULL, 0);
}

lathe_status lathe_analyze_reader_tap(lathe_reader *rd, const lathe_analysis_config *cfg,
                                      lathe_analysis *out, char *err, size_t errlen,
                                      lathe_progress_fn progress, void *user,
                                      lathe_analysis_tap tap, void *tap_user, int loudness_only)
{
    lathe_analyzer *an = NULL;
    lathe_analysis_config defaults;
    lathe_status st;
    float *buf[LATHE_MAX_CHANNELS] = { 0 };
    lathe_audio_info info;
    int64_t hint;

    if (!out)
        return LATHE_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (!rd) {
        set_err(err, errlen, "no reader given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (!cfg) {
        lathe_analysis_config_defaults(&defaults);
        cfg = &defaults;
    }
    info = *lathe_reader_info(rd);
    hint = info.frames;
    if (hint < 0)
        hint = 0;
    if (hint > (int64_t)info.rate_hz * SERIES_HINT_MAX_S)
        hint = (int64_t)info.rate_hz * SERIES_HINT_MAX_S;
    st = lathe_analyzer_create_for(cfg, info.rate_hz, info.channels, info.roles, hint,
                                   info.full_scale, &an);
    if (st != LATHE_OK) {
        set_err(err, errlen, st == LATHE_ERR_INVALID_ARGUMENT ? "invalid analysis settings"
                                                              : lathe_status_str(st));
        goto done;
    }
    if (loudness_only)
        an->loudness_only = loudness_only == 2 ? 2 : 1;
    for (int c = 0; c < info.channels; c++) {
        if (!(buf[c] = malloc(sizeof(float) * BLOCK))) {
            st = LATHE_ERR_NO_MEMORY;
            set_err(err, errlen, "out of memory");
            goto done;
        }
    }
    for (;;) {
        size_t got = 0;
        st = lathe_reader_read(rd, buf, BLOCK, &got);
        if (got)
            lathe_analyzer_process(an, (const float *const *)buf, got);
        if (got && st == LATHE_OK && tap) {
            /* The block is measured: the tap may now process it in place. */
            st = tap(tap_user, buf, got);
            if (st != LATHE_OK) {
                if (err && errlen)
                    snprintf(err, errlen, "%s", lathe_status_str(st));
                goto done;
            }
        }
        if (st == LATHE_ERR_TRUNCATED) {
            if (err && errlen)
                snprintf(err, errlen, "truncated: the file ends before the end its header "
                         "declares (read %lld frames)", (long long)an->levels.frames);
            goto done;
        }
        if (st != LATHE_OK) {
            if (err && errlen)
                snprintf(err, errlen, "decode error after %lld frames",
                         (long long)an->levels.frames);
            goto done;
        }
        if (!got)
            break;
        if (progress && info.frames > 0
            && progress(user, (double)an->levels.frames / (double)info.frames)) {
            st = LATHE_ERR_INVALID_ARGUMENT;
            set_err(err, errlen, "cancelled");
            goto done;
        }
    }
    if (an->levels.frames == 0) {
        st = LATHE_ERR_EMPTY;
        set_err(err, errlen, "the file holds no audio frames");
        goto done;
    }
    st = lathe_analyzer_finish(an, out);
    if (st == LATHE_OK) {
        int64_t nonfinite = out->non_finite_samples;
        lathe_channel_role roles[LATHE_MAX_CHANNELS];
        memcpy(roles, out->info.roles, sizeof roles);
        out->info = info;
        memcpy(out->info.roles, roles, sizeof roles);
        if (nonfinite) {
            st = LATHE_ERR_NON_FINITE;
            if (err && errlen)
                snprintf(err, errlen, "%lld non-finite (NaN/Inf) samples, measured as silence",
                         (long long)nonfinite);
        }
    }
done:
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(buf[c]);
    lathe_analyzer_destroy(an);
    return st;
}

lathe_status lathe_analyze_file(const char *path, const lathe_analysis_config *cfg,
                                lathe_analysis *out, char *err, size_t errlen,
                                lathe_progress_fn progress, void *user)
{
    lathe_reader *rd = NULL;
    lathe_status st;

    if (!out)
        return LATHE_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    st = lathe_reader_open(path, &rd, err, errlen);
    if (st != LATHE_OK)
        return st;
    st = lathe_analyze_reader(rd, cfg, out, err, errlen, progress, user);
    lathe_reader_close(rd);
    return st;
}
