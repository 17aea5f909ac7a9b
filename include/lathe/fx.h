/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Processors: one interface for every mastering effect, described by a class record
 * whose parameter table is the single source of truth for recipes, the CLI, the docs
 * and (later) plugin ports.
 *
 * Lifecycle: lathe_fx_create (allocates everything for blocks up to max_block
 * frames) -> lathe_fx_set_param / lathe_fx_process -> lathe_fx_destroy.
 * Processing is planar float, in place; latency is reported in frames and does not
 * change with parameter values that a user may automate (bypass keeps latency). */
#ifndef LATHE_FX_H
#define LATHE_FX_H

#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lathe_unit {
    LATHE_UNIT_NONE = 0,
    LATHE_UNIT_DB,        /* decibels (gain) */
    LATHE_UNIT_DBFS,      /* level re full scale */
    LATHE_UNIT_DBTP,      /* true-peak level */
    LATHE_UNIT_LUFS,
    LATHE_UNIT_HZ,
    LATHE_UNIT_MS,
    LATHE_UNIT_PERCENT,   /* 0..100 */
    LATHE_UNIT_RATIO,     /* n:1 */
    LATHE_UNIT_Q,         /* filter quality factor */
    LATHE_UNIT_DB_PER_OCT,
    LATHE_UNIT_DB_PER_DECADE,
    LATHE_UNIT_BITS,
    LATHE_UNIT_CHOICE,    /* an index into choices[] */
    LATHE_UNIT_SWITCH,    /* 0 or 1 */
    LATHE_UNIT_INTEGER    /* a whole number */
} lathe_unit;

/** [any] Unit suffix as written in docs and tables ("dB", "Hz", "" ...). */
LATHE_API const char *lathe_unit_name(lathe_unit unit);

typedef struct lathe_param_desc {
    const char *key;            /* recipe key, e.g. "threshold_db" */
    lathe_unit unit;
    double min, max, def;       /* range and default, in the unit */
    const char *const *choices; /* LATHE_UNIT_CHOICE: NULL-terminated names */
    const char *description;    /* one sentence for docs and --help */
} lathe_param_desc;

/** Statistics a processor may report (for reports and the master summary). */
typedef struct lathe_fx_stats {
    double gr_max_db;           /* deepest gain reduction so far, dB (>= 0) */
    double gr_mean_db;          /* mean gain reduction over all frames, dB (>= 0) */
    double gr_active_percent;   /* share of frames with more than 0.1 dB reduction */
} lathe_fx_stats;

typedef struct lathe_fx_setup {
    double rate_hz;
    int channels;               /* 1..8 */
    size_t max_block;           /* largest FRAMES passed to process */
    long long total_frames;     /* frames the stream will have, 0 if unknown (fades) */
} lathe_fx_setup;

/** A processor class. All functions but create run on an existing STATE.
 *  create: [control] allocates everything; PARAMS holds num_params values already
 *          validated against the table. Returns LATHE_ERR_* on failure.
 *  set_param: [audio] stores a target; process glides to it (no zipper noise).
 *  process: [audio] CH[c][0..frames-1] in place, frames <= max_block; no allocation.
 *  latency: [any] frames of delay the processor adds (constant after create).
 *  reset: [audio] clears history as if newly created (parameters kept).
 *  stats: [control] may be NULL.
 *  destroy: [control] NULL-safe. */
typedef struct lathe_fx_class {
    const char *name;           /* recipe name, e.g. "compressor" */
    const char *summary;        /* one line */
    const lathe_param_desc *params;
    int num_params;
    lathe_status (*create)(const lathe_fx_setup *setup, const double *params, void **state);
    void (*set_param)(void *state, int id, double value);
    void (*process)(void *state, float *const *ch, size_t frames);
    size_t (*latency)(const void *state);
    void (*reset)(void *state);
    void (*stats)(const void *state, lathe_fx_stats *out);
    void (*destroy)(void *state);
} lathe_fx_class;

/** [any] The registered classes, in documentation order. */
LATHE_API size_t lathe_fx_class_count(void);
LATHE_API const lathe_fx_class *lathe_fx_class_at(size_t index);
/** [any] A class by name, NULL if unknown. */
LATHE_API const lathe_fx_class *lathe_fx_class_find(const char *name);
/** [any] Index of KEY in CLS's table, -1 if unknown. */
LATHE_API int lathe_fx_param_index(const lathe_fx_class *cls, const char *key);
/** [any] Checks VALUE against descriptor D (range, whole numbers for choices and
 *  switches). Returns LATHE_OK or LATHE_ERR_INVALID_ARGUMENT. */
LATHE_API lathe_status lathe_param_check(const lathe_param_desc *d, double value);
/** [any] Index of NAME among D's choices, -1 if none. */
LATHE_API int lathe_param_choice(const lathe_param_desc *d, const char *name);

typedef struct lathe_fx lathe_fx;

/** [control] Creates an instance. PARAMS: num_params values or NULL for defaults;
 *  every value is range-checked (LATHE_ERR_INVALID_ARGUMENT names nothing: use
 *  lathe_param_check first for messages). */
LATHE_API lathe_status lathe_fx_create(const lathe_fx_class *cls, const lathe_fx_setup *setup,
                                       const double *params, lathe_fx **out);
LATHE_API const lathe_fx_class *lathe_fx_get_class(const lathe_fx *fx);
/** [audio] Sets parameter ID (clamped to its range); the processor glides to it. */
LATHE_API void lathe_fx_set_param(lathe_fx *fx, int id, double value);
/** [any] Current target value of parameter ID. */
LATHE_API double lathe_fx_get_param(const lathe_fx *fx, int id);
/** [audio] In place, FRAMES <= max_block. */
LATHE_API void lathe_fx_process(lathe_fx *fx, float *const *ch, size_t frames);
LATHE_API size_t lathe_fx_latency(const lathe_fx *fx);
LATHE_API void lathe_fx_reset(lathe_fx *fx);
/** [control] Fills OUT (zeros when the class reports nothing). */
LATHE_API void lathe_fx_get_stats(const lathe_fx *fx, lathe_fx_stats *out);
LATHE_API void lathe_fx_destroy(lathe_fx *fx);

#ifdef __cplusplus
}
#endif
#endif
