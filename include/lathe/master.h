/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Mastering: targets, recipes and the master engine.
 *
 * A recipe is a JSON document (docs/recipes.md): a target (a named platform or
 * explicit LUFS / dBTP / rate / format) and an ordered chain of processor steps.
 * lathe_master_run streams an input through the chain to an output file that meets
 * the target, measured on the file as written. */
#ifndef LATHE_MASTER_H
#define LATHE_MASTER_H

#include <stddef.h>
#include "analysis.h"
#include "fx.h"
#include "output.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* lathe_dither_type is declared in output.h. */

/** What a master must meet and how it is delivered. NAN / 0 mean "keep" or "none". */
typedef struct lathe_target {
    char name[32];            /* "spotify", ... or "custom" */
    double lufs;              /* integrated loudness target, NAN: no loudness normalisation */
    double ceiling_dbtp;      /* true-peak ceiling, NAN: none */
    int rate_hz;              /* output rate, 0: the input's */
    int bits;                 /* 16, 20, 24 (PCM) or 32 (float); 0: 24 */
    char container[8];        /* "wav", "flac", "aiff"; "": from the output's extension */
    lathe_dither_type dither; /* for PCM output */
    double max_limiting_db;   /* most peak gain reduction the limiter may use (default 6) */
} lathe_target;

/** A published (or measured) delivery target. */
typedef struct lathe_target_info {
    const char *name;
    const char *title;        /* "Spotify", ... */
    double lufs, ceiling_dbtp;
    int rate_hz, bits;        /* 0: keep */
    const char *source;       /* where the figures come from */
    const char *confidence;   /* "official", "reported", "measured", "convention" */
} lathe_target_info;

LATHE_API size_t lathe_target_count(void);
LATHE_API const lathe_target_info *lathe_target_at(size_t index);
/** [any] Fills T from the named target; LATHE_ERR_INVALID_ARGUMENT if unknown. */
LATHE_API lathe_status lathe_target_from_name(const char *name, lathe_target *t);
/** [any] A custom target with no loudness, no ceiling, input rate, 24-bit, TPDF dither. */
LATHE_API void lathe_target_defaults(lathe_target *t);

#define LATHE_RECIPE_VERSION 1
#define LATHE_RECIPE_MAX_STEPS 32

typedef struct lathe_recipe_step {
    const lathe_fx_class *cls;
    double *params;           /* cls->num_params values */
} lathe_recipe_step;

typedef struct lathe_recipe {
    lathe_target target;
    unsigned seed;            /* dither seed */
    int steps;
    lathe_recipe_step step[LATHE_RECIPE_MAX_STEPS];
} lathe_recipe;

/** [control] Parses recipe JSON TEXT into R (freed with lathe_recipe_free). Errors name
 *  the step and the key in ERR, e.g. "step 2 (compressor): ratio: 0.5 is out of range
 *  1..50". */
LATHE_API lathe_status lathe_recipe_parse(const char *text, lathe_recipe *r, char *err,
                                          size_t errlen);
/** [control] Reads and parses a recipe file. */
LATHE_API lathe_status lathe_recipe_load(const char *path, lathe_recipe *r, char *err,
                                         size_t errlen);
/** [control] Serialises R as recipe JSON (malloc'ed, caller frees). Every parameter is
 *  written, so the recipe reproduces the master bit for bit. */
LATHE_API lathe_status lathe_recipe_to_json(const lathe_recipe *r, char **out);
/** [control] Appends a step of class NAME with its default parameters; returns its
 *  parameter array in *PARAMS (may be NULL). */
LATHE_API lathe_status lathe_recipe_add(lathe_recipe *r, const char *name, double **params);
/** [control] Sets parameter KEY of step S. */
LATHE_API lathe_status lathe_recipe_set(lathe_recipe *r, int s, const char *key, double value);
LATHE_API void lathe_recipe_init(lathe_recipe *r);
LATHE_API void lathe_recipe_free(lathe_recipe *r);
/** [control] Index of the last step of class NAME, -1 if none. */
LATHE_API int lathe_recipe_find(const lathe_recipe *r, const char *name);

/** [control] The safe default chain for a target when no recipe is given: DC blocker ->
 *  gentle glue compression (threshold set from the input's analysis, ratio 1.5:1, slow
 *  attack, auto release) -> true-peak limiter at the target's ceiling. It gets the level
 *  right and does little else. IN may be NULL (then the compressor is left out). */
LATHE_API lathe_status lathe_recipe_default(const lathe_target *t, const lathe_analysis *in,
                                            lathe_recipe *r);

typedef struct lathe_master_options {
    const char *input;
    const char *output;
    const lathe_recipe *recipe;        /* target + chain */
    int overwrite;                     /* replace an existing output */
    int strict;                        /* a target that cannot be met is an error
                                          (LATHE_ERR_TARGET, nothing written) */
    const lathe_analysis *input_analysis; /* optional: the input's analysis, if already made */
    const lathe_analysis_config *analysis; /* optional: settings of the before/after analyses
                                              (e.g. visuals for a report); NULL: defaults */
    lathe_progress_fn progress;        /* may be NULL */
    void *user;
} lathe_master_options;

/** Gain reduction of one dynamics step over time, on the pass that was written. */
typedef struct lathe_gr_series {
    char fx[24];                       /* class name: "compressor", "limiter", ... */
    int step;                          /* 0-based recipe step (an appended limiter: steps) */
    double step_s;                     /* seconds per value (a whole number of blocks) */
    size_t count;
    float *gr_db;                      /* mean gain reduction in each step, dB (>= 0) */
    lathe_fx_stats stats;              /* the step's totals over the whole pass */
} lathe_gr_series;

/** Dynamics steps whose gain reduction a master result keeps over time. */
#define LATHE_MASTER_MAX_GR 8

typedef struct lathe_master_result {
    lathe_analysis before;             /* the input */
    lathe_analysis after;              /* the output file: its samples as stored, measured
                                          while written (the same figures as analysing the
                                          file afterwards, bit for bit) */
    double gain_db;                    /* loudness gain applied in front of the limiter */
    lathe_fx_stats limiter;            /* the limiter's gain reduction on the final pass */
    int limiter_added;                 /* 1: the chain had no limiter and one was appended */
    int target_met;                    /* 1: loudness within 0.1 LU and peak under the ceiling */
    double shortfall_lu;               /* target - achieved loudness (positive: quieter) */
    char note[320];                    /* why a target was not met, in plain words */
    int passes;                        /* limiter passes used to converge */
    size_t latency_frames;             /* total latency compensated */
    int out_rate_hz, out_bits;
    int gr_count;                      /* dynamics steps (with statistics) in the chain */
    lathe_gr_series gr[LATHE_MASTER_MAX_GR]; /* in chain order; owned by the result */
} lathe_master_result;

/** [control] Masters OPTS->input into OPTS->output. The output is written to a temporary
 *  file beside the destination and renamed on success; inputs are never opened for
 *  writing. Returns LATHE_OK also when the loudness target could not be met under the
 *  limiting maximum (see result->target_met and note). Free with lathe_master_result_free. */
LATHE_API lathe_status lathe_master_run(const lathe_master_options *opts,
                                        lathe_master_result *result, char *err, size_t errlen);
LATHE_API void lathe_master_result_free(lathe_master_result *result);

#ifdef __cplusplus
}
#endif
#endif
