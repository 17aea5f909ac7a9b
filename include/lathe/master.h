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
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Dither applied when the output word length is shorter than float. */
typedef enum lathe_dither_type {
    LATHE_DITHER_NONE = 0,
    LATHE_DITHER_TPDF,
    LATHE_DITHER_SHAPED
} lathe_dither_type;

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

#ifdef __cplusplus
}
#endif
#endif
