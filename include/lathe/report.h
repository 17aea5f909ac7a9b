/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reports: one self-contained HTML page per run of `lathe analyze`, `lathe master` or
 * `lathe match` (docs/report.md). The page needs nothing but itself: inline CSS and
 * SVG plots, the A/B excerpts as data: URIs, a few lines of inline script for the
 * player, and every figure it shows also as JSON in
 * <script type="application/json" id="lathe-data">. It prints cleanly to PDF.
 *
 * Plots need the analyses made with lathe_analysis_config.series (the default) and
 * .visuals set; what an analysis lacks is left out of the page, not an error. */
#ifndef LATHE_REPORT_H
#define LATHE_REPORT_H

#include <stddef.h>
#include "analysis.h"
#include "master.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default length of the A/B excerpts, seconds. */
#define LATHE_REPORT_EXCERPT_S 30.0
/** Loudness tolerance of a target in the report's pass/fail, LU (the master's promise). */
#define LATHE_REPORT_TOLERANCE_LU 0.1

typedef struct lathe_report {
    const char *command;            /* "analyze", "master", "match": sets the page's title */
    const char *input_path;         /* the file analysed, mastered or matched */
    const lathe_analysis *input;    /* its analysis (required) */
    const char *output_path;        /* master/match: the file written; NULL for analyze */
    const lathe_analysis *output;   /* its analysis (of the file as written); NULL for analyze */
    const char *reference_path;     /* match: the reference; may be NULL */
    const lathe_analysis *reference;/* match: its analysis: its spectrum is drawn, shifted to
                                       the output's (else the input's) integrated loudness so
                                       that only the tonal balance compares; may be NULL */
    const lathe_target *target;     /* pass/fail against it (loudness within
                                       LATHE_REPORT_TOLERANCE_LU, true peak under the
                                       ceiling); NULL: none */
    const double *target_curve_db;  /* NULL or LATHE_THIRD_OCTAVE_BANDS band levels (dB, the
                                       scale of lathe_analysis.spectrum_db, NAN to skip a band)
                                       drawn as the target tonal balance, e.g. by --auto */
    const char *target_curve_label; /* its legend; NULL: "target curve" */
    const lathe_master_result *master; /* NULL or the master's result: gain reduction over
                                          time, limiter figures, the note on a missed target */
    const lathe_recipe *recipe;     /* NULL or the recipe used: the explanation written when
                                       EXPLANATION is NULL describes its steps */
    const char *recipe_json;        /* NULL or the recipe as JSON, shown verbatim (pretty
                                       printed); an "explanation" string or array of strings
                                       in it is used when EXPLANATION is NULL */
    const char *explanation;        /* NULL or plain text: blank lines separate paragraphs,
                                       lines starting with "- " are list items */
    double excerpt_s;               /* A/B excerpt length, s (0: LATHE_REPORT_EXCERPT_S) */
    int no_audio;                   /* 1: leave the A/B player out */
} lathe_report;

/** [any] Zeroes R (no output, no target, default excerpt, with audio). */
LATHE_API void lathe_report_init(lathe_report *r);

/** [control] Builds the page into a newly malloc'ed NUL-terminated string *HTML (caller
 *  frees; *LEN its length, LEN may be NULL). Reads INPUT_PATH, OUTPUT_PATH and
 *  REFERENCE_PATH again for the A/B excerpts: the loudest LATHE_REPORT_EXCERPT_S of the
 *  output (else the input), cut at the same time from input and output, the reference's
 *  own loudest passage; each measured (BS.1770 integrated loudness), the louder ones
 *  turned down in the samples to the quietest's loudness, and encoded as Ogg Opus (Ogg
 *  Vorbis or FLAC where this libsndfile lacks Opus). On error writes one line into ERR. */
LATHE_API lathe_status lathe_report_render(const lathe_report *r, char **html, size_t *len,
                                           char *err, size_t errlen);

/** [control] lathe_report_render, written to PATH (through a temporary file beside it,
 *  renamed on success; an existing report is replaced). PATH must not be one of the
 *  report's audio files. LATHE_ERR_WRITE with the reason in ERR when it cannot be
 *  written. */
LATHE_API lathe_status lathe_report_write(const lathe_report *r, const char *path, char *err,
                                          size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
