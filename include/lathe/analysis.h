/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Analysis: every figure `lathe analyze` reports, measured in one streaming pass.
 *
 * Loudness follows ITU-R BS.1770-4 and EBU R128 / Tech 3341 / Tech 3342; true peak
 * follows BS.1770-4 Annex 2. See docs/analysis.md for each figure's definition. */
#ifndef LATHE_ANALYSIS_H
#define LATHE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Number of 1/3-octave bands, 20 Hz .. 20 kHz (IEC 61260 base-10 centres). */
#define LATHE_THIRD_OCTAVE_BANDS 31

typedef struct lathe_analysis_config {
    int true_peak;            /* 1: measure true peak (default 1) */
    int spectrum;             /* 1: measure the long-term 1/3-octave spectrum (default 1) */
    int series;               /* 1: keep momentary/short-term series every 100 ms (default 1) */
    double silence_dbfs;      /* leading/trailing silence threshold, dBFS (default -60) */
    double correlation_window_ms; /* window for the minimum correlation (default 400) */
    int use_roles;            /* 1: use ROLES below instead of the file's/defaults (default 0) */
    lathe_channel_role roles[LATHE_MAX_CHANNELS];
    int visuals;              /* 1: collect lathe_visuals for plots (reports; default 0) */
} lathe_analysis_config;

/** [any] Fills CFG with the defaults above. */
LATHE_API void lathe_analysis_config_defaults(lathe_analysis_config *cfg);

/** Per-channel figures. Levels are dBFS (20*log10 of a magnitude relative to 1.0). */
typedef struct lathe_channel_stats {
    lathe_channel_role role;
    double sample_peak_dbfs;  /* -inf for digital silence */
    double true_peak_dbtp;    /* -inf for digital silence; NAN if not measured */
    double rms_dbfs;          /* a full-scale sine reads -3.01 dBFS */
    double crest_db;          /* sample peak - RMS, dB */
    double dc_offset;         /* mean value, fraction of full scale */
    int64_t clip_runs;        /* runs of >= 3 consecutive samples at full scale */
    int64_t clipped_samples;  /* samples in those runs */
} lathe_channel_stats;

/** Columns the waveform overview aims at (a length hint gives exactly up to this many;
 *  without one the overview holds between this and twice this). */
#define LATHE_VISUAL_COLUMNS 1500
/** Cells per side of the stereo density image. */
#define LATHE_DENSITY_SIZE 64

/** What reports plot beyond the figures, collected in the same pass in constant memory
 *  (lathe_analysis_config.visuals). Column i of a series covers frames
 *  [i * step_frames, (i + 1) * step_frames) of the stream (the last may be partial). */
typedef struct lathe_visuals {
    /* waveform overview of the first two channels (one for mono) */
    int wave_channels;
    size_t wave_count;
    int64_t wave_step_frames;
    float *wave_min[2], *wave_max[2];  /* sample extremes in each column, full scale = 1 */
    float *wave_rms[2];                /* RMS in each column (linear) */
    /* phase correlation of the L/R pair over time (count 0 without a pair); columns
     * last at least 100 ms; NAN where the column is quieter than -50 dBFS RMS */
    size_t corr_count;
    int64_t corr_step_frames;
    float *correlation;
    /* stereo density ("goniometer" histogram) of the L/R pair: each frame is placed at
     * angle atan2(M, S) with M = (L+R)/sqrt2, S = (R-L)/sqrt2 (L to the upper left, R to
     * the upper right, mono straight up, anti-phase sideways) and at a radius that is
     * its level on a log scale: radius 1 at 0 dB (L = R = full scale), 0 at
     * -density_range_db; frames below that are not counted. Row 0 is the top,
     * column 0 the left; cells are normalised to the fullest = 1. density_size is 0
     * without an L/R pair. */
    int density_size;
    double density_range_db;
    int64_t density_frames;            /* frames counted */
    float density[LATHE_DENSITY_SIZE * LATHE_DENSITY_SIZE];
} lathe_visuals;

typedef struct lathe_analysis {
    /* format */
    lathe_audio_info info;
    int64_t frames;               /* frames actually read */
    double duration_s;

    /* loudness (BS.1770-4 / EBU R128); -inf (HUGE_VAL negated) when undefined */
    double integrated_lufs;
    double loudness_range_lu;
    double max_momentary_lufs;    /* over complete 400 ms windows, 10 ms steps */
    double max_short_term_lufs;   /* over complete 3 s windows, 10 ms steps */

    /* peaks */
    double true_peak_dbtp;        /* max over channels; NAN if not measured */
    double sample_peak_dbfs;
    double plr_db;                /* true peak (or sample peak) - integrated */
    int true_peak_oversampling;   /* 4 below 96 kHz, 2 below 192 kHz, else 1 */

    /* level */
    double rms_dbfs;              /* power mean over channels */
    double crest_db;              /* sample peak - RMS */

    /* stereo (first L/R pair; NAN if the file has no L/R pair) */
    double correlation;           /* whole file, -1..+1 */
    double min_correlation;       /* lowest over windows that are not near-silent */
    double side_mid_db;           /* side energy over mid energy, dB */
    double mono_loss_lu;          /* integrated loudness of the mono fold (L+R)/2 minus stereo's */

    /* problems */
    int64_t non_finite_samples;   /* NaN/Inf samples (measured as 0) */
    int64_t clip_runs;            /* sum over channels */
    int64_t clipped_samples;
    double leading_silence_ms;    /* before the first sample above silence_dbfs */
    double trailing_silence_ms;   /* after the last sample above silence_dbfs */

    /* tonal balance: power per 1/3-octave band, dB relative to full scale
     * (a full-scale sine in a band reads -3.01 dB); -inf when empty; NAN when
     * the band lies above Nyquist or the spectrum was not measured */
    double band_hz[LATHE_THIRD_OCTAVE_BANDS];        /* exact centre frequencies */
    double spectrum_db[LATHE_THIRD_OCTAVE_BANDS];    /* mean over channels (LFE excluded) */
    double spectrum_mid_db[LATHE_THIRD_OCTAVE_BANDS];  /* (L+R)/2, stereo only, else NAN */
    double spectrum_side_db[LATHE_THIRD_OCTAVE_BANDS]; /* (L-R)/2, stereo only, else NAN */

    /* loudness over time: value i is the window ending at (i+1)*series_step_s;
     * -inf while the window is silent, NAN while it is not yet complete */
    double series_step_s;         /* 0.1 */
    size_t series_count;
    float *momentary_lufs;        /* series_count values, owned by the analysis */
    float *short_term_lufs;       /* series_count values, owned by the analysis */

    int channels;
    lathe_channel_stats channel[LATHE_MAX_CHANNELS];

    /* plot data when lathe_analysis_config.visuals was set, else NULL; owned by the
     * analysis (freed by lathe_analysis_free) */
    lathe_visuals *visuals;
} lathe_analysis;

typedef struct lathe_analyzer lathe_analyzer;

/** [control] Creates an analyzer for a stream of RATE_HZ and CHANNELS with the given
 *  roles (NULL: defaults for the count) and CFG (NULL: the defaults). Allocates
 *  everything up front. */
LATHE_API lathe_status lathe_analyzer_create(const lathe_analysis_config *cfg, int rate_hz,
                                             int channels, const lathe_channel_role *roles,
                                             lathe_analyzer **out);
/** [control] Feeds FRAMES frames of planar float audio (CH[c][0..frames-1]), any block
 *  size. Non-finite samples are counted and measured as 0. Memory does not grow with
 *  the stream's length except for the 100 ms series (8 bytes per 100 ms). */
LATHE_API lathe_status lathe_analyzer_process(lathe_analyzer *an, const float *const *ch,
                                              size_t frames);
/** [control] Computes the figures of everything fed so far into OUT (which the
 *  caller frees with lathe_analysis_free). Can be called once per analyzer. */
LATHE_API lathe_status lathe_analyzer_finish(lathe_analyzer *an, lathe_analysis *out);
/** [control] NULL-safe. */
LATHE_API void lathe_analyzer_destroy(lathe_analyzer *an);

/** [control] Frees the series and visuals owned by A (not A itself); NULL-safe. */
LATHE_API void lathe_analysis_free(lathe_analysis *a);

/** Progress callback: FRACTION in 0..1; return non-zero to cancel. */
typedef int (*lathe_progress_fn)(void *user, double fraction);

/** [control] Opens PATH, analyses it in one streaming pass, fills OUT. On error
 *  writes one line (without the path) into ERR. Returns LATHE_ERR_NON_FINITE *after*
 *  filling OUT when the file held NaN/Inf samples (measured as 0), so callers can
 *  report both the figures and the problem. PROGRESS may be NULL. */
LATHE_API lathe_status lathe_analyze_file(const char *path, const lathe_analysis_config *cfg,
                                          lathe_analysis *out, char *err, size_t errlen,
                                          lathe_progress_fn progress, void *user);

/** [control] lathe_analyze_file over an open reader: analyses from its current
 *  position to the end of the stream. The reader stays open (the caller closes it). */
LATHE_API lathe_status lathe_analyze_reader(lathe_reader *reader, const lathe_analysis_config *cfg,
                                            lathe_analysis *out, char *err, size_t errlen,
                                            lathe_progress_fn progress, void *user);

/** JSON schema version of lathe_analysis_to_json (docs/analysis-schema.md). */
#define LATHE_ANALYSIS_SCHEMA_VERSION 1

/** [any] Serialises A as a JSON object (schema in docs/analysis-schema.md) into a
 *  newly malloc'ed NUL-terminated string in *OUT (caller frees). PATH may be NULL. */
LATHE_API lathe_status lathe_analysis_to_json(const lathe_analysis *a, const char *path,
                                              int indent, char **out);

#ifdef __cplusplus
}
#endif
#endif
