/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analysis as JSON (schema: docs/analysis-schema.md), written with jansson.
 * JSON has no infinities: -inf (silence) and NAN (not applicable) are written as null. */
#include <math.h>
#include <string.h>
#include <jansson.h>
#include "lathe/analysis.h"
#include "lathe/version.h"

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Series values rounded to 0.01 LU: enough for any plot, a third of the size. */
static json_t *series(const float *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, isfinite(v[i]) ? json_real(round(v[i] * 100.0) / 100.0)
                                                  : json_null());
    return arr;
}

static json_t *bands(const double *v, int n)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++)
        json_array_append_new(arr, isfinite(v[i]) ? json_real(round(v[i] * 1000.0) / 1000.0)
                                                  : json_null());
    return arr;
}

lathe_status lathe_analysis_to_json(const lathe_analysis *a, const char *path, int indent,
                                    char **out)
{
    json_t *root, *roles, *chans;

    if (!a || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    *out = NULL;
    roles = json_array();
    for (int c = 0; c < a->channels; c++)
        json_array_append_new(roles, json_string(lathe_channel_role_name(a->info.roles[c])));
    chans = json_array();
    for (int c = 0; c < a->channels; c++) {
        const lathe_channel_stats *cs = &a->channel[c];
        json_array_append_new(chans, json_pack(
            "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}",
            "role", lathe_channel_role_name(cs->role),
            "sample_peak_dbfs", num(cs->sample_peak_dbfs),
            "true_peak_dbtp", num(cs->true_peak_dbtp),
            "rms_dbfs", num(cs->rms_dbfs),
            "crest_db", num(cs->crest_db),
            "dc_offset", num(cs->dc_offset),
            "dc_offset_dbfs", num(cs->dc_offset != 0.0 ? 20.0 * log10(fabs(cs->dc_offset)) : -HUGE_VAL),
            "clip_runs", (json_int_t)cs->clip_runs,
            "clipped_samples", (json_int_t)cs->clipped_samples));
    }
    json_t *stereo = isnan(a->correlation) && isnan(a->side_mid_db)
        ? json_null()
        : json_pack("{s:o, s:o, s:o, s:o}",
                    "correlation", num(a->correlation),
                    "min_correlation", num(a->min_correlation),
                    "side_mid_db", isinf(a->side_mid_db) && a->side_mid_db < 0 ? json_null()
                                                                                 : num(a->side_mid_db),
                    "mono_loss_lu", num(a->mono_loss_lu));
    json_t *band_hz = json_array();
    for (int b = 0; b < LATHE_THIRD_OCTAVE_BANDS; b++)
        json_array_append_new(band_hz, json_real(round(a->band_hz[b] * 100.0) / 100.0));

    root = json_pack(
        "{s:s, s:i, s:s, s:o,"
        " s:{s:s, s:s, s:i, s:i, s:o, s:i, s:b, s:I, s:f},"
        " s:{s:o, s:o, s:o, s:o},"
        " s:{s:o, s:o, s:o, s:i},"
        " s:{s:o, s:o},"
        " s:o,"
        " s:{s:I, s:I, s:I, s:f, s:f},"
        " s:o,"
        " s:{s:o, s:o, s:o, s:o},"
        " s:{s:f, s:o, s:o}}",
        "schema", "lathe.analysis", "schema_version", LATHE_ANALYSIS_SCHEMA_VERSION,
        "lathe_version", LATHE_VERSION_STRING,
        "file", path ? json_string(path) : json_null(),
        "format",
        "container", a->info.container, "encoding", a->info.encoding,
        "sample_rate_hz", a->info.rate_hz, "channels", a->channels, "channel_roles", roles,
        "bits", a->info.bits, "roles_from_file", a->info.roles_from_file,
        "frames", (json_int_t)a->frames, "duration_s", a->duration_s,
        "loudness",
        "integrated_lufs", num(a->integrated_lufs),
        "loudness_range_lu", num(a->loudness_range_lu),
        "max_momentary_lufs", num(a->max_momentary_lufs),
        "max_short_term_lufs", num(a->max_short_term_lufs),
        "peaks",
        "true_peak_dbtp", num(a->true_peak_dbtp),
        "sample_peak_dbfs", num(a->sample_peak_dbfs),
        "plr_db", num(a->plr_db),
        "true_peak_oversampling", a->true_peak_oversampling,
        "level", "rms_dbfs", num(a->rms_dbfs), "crest_db", num(a->crest_db),
        "stereo", stereo,
        "problems",
        "non_finite_samples", (json_int_t)a->non_finite_samples,
        "clip_runs", (json_int_t)a->clip_runs,
        "clipped_samples", (json_int_t)a->clipped_samples,
        "leading_silence_ms", a->leading_silence_ms,
        "trailing_silence_ms", a->trailing_silence_ms,
        "channel_stats", chans,
        "spectrum",
        "bands_hz", band_hz,
        "total_db", bands(a->spectrum_db, LATHE_THIRD_OCTAVE_BANDS),
        "mid_db", bands(a->spectrum_mid_db, LATHE_THIRD_OCTAVE_BANDS),
        "side_db", bands(a->spectrum_side_db, LATHE_THIRD_OCTAVE_BANDS),
        "series",
        "step_s", a->series_step_s,
        "momentary_lufs", series(a->momentary_lufs, a->series_count),
        "short_term_lufs", series(a->short_term_lufs, a->series_count));
    if (!root)
        return LATHE_ERR_NO_MEMORY;
    *out = json_dumps(root, JSON_INDENT(indent) | JSON_REAL_PRECISION(10) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return *out ? LATHE_OK : LATHE_ERR_NO_MEMORY;
}
