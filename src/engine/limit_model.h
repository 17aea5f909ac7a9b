/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A model of what the limiter does to integrated loudness, so the master engine can
 * choose the loudness gain before the first limiter pass (see limit_model.c and
 * docs/recipes.md, "Passes"). Internal to the engine. */
#ifndef LATHE_ENGINE_LIMIT_MODEL_H
#define LATHE_ENGINE_LIMIT_MODEL_H

#include <stddef.h>
#include "lathe/status.h"

typedef struct lathe_limit_model lathe_limit_model;

/* The modelled limiter (src/fx/limiter.c, linked channels, unity input gain). */
typedef struct lathe_limit_model_cfg {
    int rate_hz;
    double ceiling_dbtp;
    double lookahead_ms;
    double release_ms;
    double hold_ms;
    int auto_release;       /* release_mode "auto" */
} lathe_limit_model_cfg;

lathe_status lathe_limit_model_create(const lathe_limit_model_cfg *cfg, int channels,
                                      lathe_limit_model **out);
/* The limiter's input at unity gain, in order, any block size. */
lathe_status lathe_limit_model_push(lathe_limit_model *m, const float *const *ch, size_t frames);
/* The same input's loudness meter, slice by slice (lathe_loudness_slice_fn). */
void lathe_limit_model_slice(void *model, double energy, size_t frames, int ends_sub_block);
/* After the last push and slice. Fails (LATHE_ERR_EMPTY) when there is nothing to gate. */
lathe_status lathe_limit_model_finish(lathe_limit_model *m);
/* Predicted integrated loudness of the limiter's output at input gain G_DB minus the
 * input's (so G_DB - the loudness the limiter takes), LU; GR_MAX_DB (or NULL): the
 * predicted peak gain reduction. */
lathe_status lathe_limit_model_change(lathe_limit_model *m, double g_db, double *change,
                                      double *gr_max_db);
/* The gain in [G_LO, G_HI] at which IN_LUFS + change(gain) + OFFSET reaches TARGET_LUFS
 * (within 0.001 LU; the nearest bound when it cannot). */
lathe_status lathe_limit_model_solve(lathe_limit_model *m, double in_lufs, double target_lufs,
                                     double offset, double g_lo, double g_hi, double *g_db);
void lathe_limit_model_destroy(lathe_limit_model *m);

#endif
