/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Assisted mastering: reference matching (`lathe match`) and the explainable automatic
 * chain (`lathe master --auto`).
 *
 * Both measure (lathe_profile_file), decide a recipe and explain every decision: the
 * measurement that triggered it, the rule or threshold, and the action. The recipe then
 * runs through lathe_master_run like any other, so everything `lathe master` promises
 * (loudness on the written file, true peak under the ceiling, alignment, bit-identical
 * reruns) holds. Algorithms and references: docs/match.md, docs/auto.md. */
#ifndef LATHE_ASSIST_H
#define LATHE_ASSIST_H

#include <stddef.h>
#include "analysis.h"
#include "master.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** 1/6-octave profile bands (base 10: centres 1000 * 10^((i - 34) / 20) Hz, 20 Hz..20 kHz,
 *  edges at the centre times 10^(+-1/40)); every even band is a 1/3-octave band. */
#define LATHE_PROFILE_BANDS 61
/** 1/24-octave bands for the resonance search (centres 1000 * 10^((i - 136) / 80) Hz). */
#define LATHE_PROFILE_FINE_BANDS 241

/** What the assistants know about a file: its analysis and finer spectra. */
typedef struct lathe_profile {
    lathe_analysis a;            /* every figure of `lathe analyze` (no loudness series) */
    int stereo;                  /* 1: channels 0, 1 are an L/R pair (mid/side measured) */
    double band_hz[LATHE_PROFILE_BANDS];
    /* band power, dB re full scale (a full-scale sine reads -3.01 dB); -inf when empty,
     * NAN at or above Nyquist. total: mean over channels (LFE excluded), = mid + side
     * for a stereo pair; mid (L+R)/2 and side (L-R)/2: stereo only, else NAN. */
    double total_db[LATHE_PROFILE_BANDS];
    double mid_db[LATHE_PROFILE_BANDS];
    double side_db[LATHE_PROFILE_BANDS];
    double fine_hz[LATHE_PROFILE_FINE_BANDS];
    double fine_db[LATHE_PROFILE_FINE_BANDS]; /* total, 1/24 octave */
    double fine_steady[LATHE_PROFILE_FINE_BANDS]; /* share of the (not near-silent) Welch
                                    frames, 0..1, in which the band stood 6 dB or more above
                                    the mean of the bands within +-1/2 octave: steady peaks
                                    (resonances) read near 1, passing notes lower */
    double low_correlation;      /* L/R correlation below 120 Hz (2nd-order low-pass); NAN if
                                    not stereo or silent there */
    double low_side_mid_db;      /* side over mid energy below 120 Hz, dB */
    double hf_p99_dbfs;          /* 99th percentile of the 10 ms RMS level of the 4-12 kHz
                                    band (mid), over windows not near-silent; NAN if none */
    double hf_median_dbfs;       /* its median */
    double hf_share_p99_db;      /* 99th percentile of (4-12 kHz level - full-band level) per
                                    10 ms window, dB (how far sibilant bursts dominate) */
} lathe_profile;

/** Parts of a profile measured only when asked for (lathe_profile_file's PARTS, or-ed); the
 *  analysis and the spectra (total_db, mid_db, side_db, fine_db) always are. A part left
 *  out is not measured and reads NAN. */
#define LATHE_PROFILE_RESONANCE 1u   /* fine_steady (every Welch frame's 1/24-octave bands) */
#define LATHE_PROFILE_LOW_END 2u     /* low_correlation, low_side_mid_db */
#define LATHE_PROFILE_SIBILANCE 4u   /* hf_p99_dbfs, hf_median_dbfs, hf_share_p99_db */
#define LATHE_PROFILE_ALL 7u         /* all of them: what lathe_auto_plan reads */
#define LATHE_PROFILE_MATCH 0u       /* what lathe_match_plan reads: none of them */

/** [control] Measures PATH in one streaming pass (memory constant in length), with the
 *  optional PARTS (LATHE_PROFILE_*). ERR gets one line on failure. PROGRESS may be NULL.
 *  Free with lathe_profile_free. */
LATHE_API lathe_status lathe_profile_file(const char *path, unsigned parts, lathe_profile *out,
                                          char *err, size_t errlen, lathe_progress_fn progress,
                                          void *user);
LATHE_API void lathe_profile_free(lathe_profile *p);

/** One decision: what was measured, the rule it was held against, what was done. */
typedef struct lathe_decision {
    char aspect[32];             /* "loudness", "tone (mid)", "resonance", "width", ... */
    char measured[256];          /* "60-120 Hz sits 4.2 dB above the target curve" */
    char rule[256];              /* the threshold or rule applied */
    char action[256];            /* "low shelf -2.5 dB at 110 Hz", or why nothing was done */
    int acted;                   /* 1 when the decision changed the recipe */
} lathe_decision;

typedef struct lathe_explanation {
    int count, cap;
    lathe_decision *d;
} lathe_explanation;

LATHE_API void lathe_explanation_init(lathe_explanation *e);
LATHE_API void lathe_explanation_free(lathe_explanation *e);
/** [control] Appends a decision (strings are truncated to their fields). */
LATHE_API lathe_status lathe_explanation_add(lathe_explanation *e, const char *aspect, int acted,
                                             const char *measured, const char *rule,
                                             const char *action);
/** [control] Plain text, one paragraph per decision (malloc'ed, caller frees). */
LATHE_API lathe_status lathe_explanation_text(const lathe_explanation *e, char **out);
/** [control] lathe_recipe_to_json plus an "explanation" array (one string per decision;
 *  lathe_recipe_parse ignores it), so the file both documents and reproduces the master. */
LATHE_API lathe_status lathe_recipe_to_json_explained(const lathe_recipe *r,
                                                      const lathe_explanation *e, char **out);

/* ---- reference matching ---- */

typedef struct lathe_match_options {
    /* how much of each aspect to match, 0..100 % (0: leave it as the target has it) */
    double loudness_percent;     /* integrated loudness (default 100) */
    double tone_mid_percent;     /* long-term tonal balance of the mid (default 100) */
    double tone_side_percent;    /* tonal balance (shape) of the side (default 100) */
    double width_percent;        /* side-to-mid level (default 100) */
    double dynamics_percent;     /* peak-to-loudness ratio, by compression (default 0) */
    double max_eq_db;            /* largest EQ boost or cut (default 6, 1..12) */
    double smoothing_octaves;    /* smoothing of the difference curve (default 1/3) */
    double lufs;                 /* NAN: the references' (weighted) integrated loudness */
    double ceiling_dbtp;         /* NAN: the references' true peak (at most -0.1 dBTP) */
    double max_limiting_db;      /* NAN: 15 dB (a loud reference from a dynamic mix needs it) */
    const lathe_profile *result; /* NULL, or the profile of a file rendered with the plan made
                                    from the same inputs without it: the tone and width are then
                                    refined by what that render still missed (closed loop) */
} lathe_match_options;

/** [any] Fills O with the defaults above. */
LATHE_API void lathe_match_options_defaults(lathe_match_options *o);

/** [control] Builds the recipe matching TARGET to the NREFS references REFS (weights
 *  WEIGHTS, NULL: equal; each >= 0, not all 0) and explains it in EX (may be NULL).
 *  References may have any rate and channel count. OUT is initialised here (its target:
 *  the matched loudness and ceiling, 24-bit, the input's rate); free with
 *  lathe_recipe_free. */
LATHE_API lathe_status lathe_match_plan(const lathe_profile *target,
                                        const lathe_profile *const *refs, const double *weights,
                                        int nrefs, const lathe_match_options *o, lathe_recipe *out,
                                        lathe_explanation *ex, char *err, size_t errlen);

/* ---- automatic mastering ---- */

/** [any] Number of --auto styles and their names / one-line descriptions. */
LATHE_API size_t lathe_auto_style_count(void);
LATHE_API const char *lathe_auto_style_name(size_t index);
LATHE_API const char *lathe_auto_style_summary(size_t index);

typedef struct lathe_auto_options {
    double amount_percent;       /* scales every corrective move, 0..100 (default 100) */
    const char *style;           /* NULL: "balanced" */
} lathe_auto_options;

LATHE_API void lathe_auto_options_defaults(lathe_auto_options *o);

/** [any] The tonal target curve of STYLE (NULL: balanced) at HZ: the long-term power
 *  per 1/6 octave relative to the integrated loudness, dB (docs/auto.md tells how it
 *  was derived). NAN for an unknown style. */
LATHE_API double lathe_auto_target_curve_db(const char *style, double hz);

/** [control] Decides a chain for IN delivered to TARGET (loudness, ceiling, format) and
 *  explains it in EX (may be NULL). OUT is initialised here; free with lathe_recipe_free. */
LATHE_API lathe_status lathe_auto_plan(const lathe_profile *in, const lathe_target *target,
                                       const lathe_auto_options *o, lathe_recipe *out,
                                       lathe_explanation *ex, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
