/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The safe default chain used by `lathe master` without a recipe: DC blocker, gentle
 * glue compression set from the input's own loudness, true-peak limiter. It is meant
 * to get the level right and do little else. */
#include <math.h>
#include <string.h>
#include "lathe/master.h"

lathe_status lathe_recipe_default(const lathe_target *t, const lathe_analysis *in, lathe_recipe *r)
{
    lathe_status st;
    int s;

    lathe_recipe_init(r);
    r->target = *t;
    if ((st = lathe_recipe_add(r, "dc_block", NULL)) != LATHE_OK)
        goto fail;
    if (in && isfinite(in->max_short_term_lufs) && lathe_fx_class_find("compressor")) {
        /* Glue: 1.5:1 over a soft 6 dB knee starting 3 dB under the loudest 3 s of the
         * mix, slow attack to keep transients, programme-dependent release: about 1 dB
         * of reduction on the loudest passages, none on the rest. */
        double thr = fmax(fmin(in->max_short_term_lufs - 3.0, 0.0), -60.0);
        if ((st = lathe_recipe_add(r, "compressor", NULL)) != LATHE_OK)
            goto fail;
        s = r->steps - 1;
        if ((st = lathe_recipe_set(r, s, "threshold_db", thr)) != LATHE_OK
            || (st = lathe_recipe_set(r, s, "ratio", 1.5)) != LATHE_OK
            || (st = lathe_recipe_set(r, s, "knee_db", 6.0)) != LATHE_OK
            || (st = lathe_recipe_set(r, s, "attack_ms", 30.0)) != LATHE_OK
            || (st = lathe_recipe_set(r, s, "release_ms", 200.0)) != LATHE_OK)
            goto fail;
        /* Optional refinements, kept if the compressor offers them. */
        const lathe_fx_class *cc = r->step[s].cls;
        int id = lathe_fx_param_index(cc, "release_mode");
        if (id >= 0 && lathe_param_choice(&cc->params[id], "auto") >= 0)
            r->step[s].params[id] = lathe_param_choice(&cc->params[id], "auto");
        id = lathe_fx_param_index(cc, "detector");
        if (id >= 0 && lathe_param_choice(&cc->params[id], "rms") >= 0)
            r->step[s].params[id] = lathe_param_choice(&cc->params[id], "rms");
    }
    if (lathe_fx_class_find("limiter")) {
        if ((st = lathe_recipe_add(r, "limiter", NULL)) != LATHE_OK)
            goto fail;
        if (isfinite(t->ceiling_dbtp)
            && (st = lathe_recipe_set(r, r->steps - 1, "ceiling_dbtp", t->ceiling_dbtp)) != LATHE_OK)
            goto fail;
    }
    return LATHE_OK;
fail:
    lathe_recipe_free(r);
    return st;
}
