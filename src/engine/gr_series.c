/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gain reduction over time. Every processor with statistics reports the mean gain
 * reduction over all frames since its reset (lathe_fx_stats.gr_mean_db); times the
 * frames processed that is the running sum of per-frame reduction in dB, so the mean
 * over any stretch is the difference of two sums over its length. Columns start at
 * one engine block (4096 frames, 93 ms at 44.1 kHz) and close on block edges; when
 * CAP columns are full, neighbours merge in pairs (their sums and lengths added) and
 * the column length doubles: memory is fixed, however long the stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/gr_series.h"

#define CAP 3000

typedef struct track {
    int fx;                   /* index in the chain */
    double last_sum;          /* running dB-frame sum at the last block edge */
    double *sum;              /* CAP columns: dB-frames */
} track;

struct lathe_gr_recorder {
    double rate;
    int first_step;
    int n;
    track t[LATHE_MASTER_MAX_GR];
    double *frames;           /* CAP columns: frames in each */
    long long step;           /* nominal frames per column */
    long long total;          /* frames since reset */
    size_t cur;               /* open column */
};

lathe_status lathe_gr_recorder_create(const lathe_chain *c, double rate_hz, int first_step,
                                      lathe_gr_recorder **out)
{
    lathe_gr_recorder *r;
    *out = NULL;
    if (!(r = calloc(1, sizeof *r)))
        return LATHE_ERR_NO_MEMORY;
    r->rate = rate_hz;
    r->first_step = first_step;
    for (int i = 0; i < c->count && r->n < LATHE_MASTER_MAX_GR; i++) {
        if (!lathe_fx_get_class(c->fx[i])->stats)
            continue;
        r->t[r->n].fx = i;
        if (!(r->t[r->n++].sum = calloc(CAP, sizeof(double)))) {
            lathe_gr_recorder_destroy(r);
            return LATHE_ERR_NO_MEMORY;
        }
    }
    if (r->n == 0) {
        lathe_gr_recorder_destroy(r);
        return LATHE_OK;
    }
    if (!(r->frames = calloc(CAP, sizeof(double)))) {
        lathe_gr_recorder_destroy(r);
        return LATHE_ERR_NO_MEMORY;
    }
    lathe_gr_recorder_reset(r);
    *out = r;
    return LATHE_OK;
}

void lathe_gr_recorder_reset(lathe_gr_recorder *r)
{
    if (!r)
        return;
    r->step = LATHE_ENGINE_BLOCK;
    r->total = 0;
    r->cur = 0;
    memset(r->frames, 0, sizeof(double) * CAP);
    for (int k = 0; k < r->n; k++) {
        r->t[k].last_sum = 0.0;
        memset(r->t[k].sum, 0, sizeof(double) * CAP);
    }
}

void lathe_gr_recorder_block(lathe_gr_recorder *r, const lathe_chain *c, size_t frames)
{
    if (!r || !frames)
        return;
    r->total += (long long)frames;
    for (int k = 0; k < r->n; k++) {
        lathe_fx_stats s;
        lathe_fx_get_stats(c->fx[r->t[k].fx], &s);
        double now = s.gr_mean_db * (double)r->total;
        r->t[k].sum[r->cur] += now - r->t[k].last_sum;
        r->t[k].last_sum = now;
    }
    r->frames[r->cur] += (double)frames;
    if (r->frames[r->cur] < (double)r->step)
        return;
    if (++r->cur < CAP)
        return;
    for (size_t i = 0; i < CAP / 2; i++) {
        r->frames[i] = r->frames[2 * i] + r->frames[2 * i + 1];
        for (int k = 0; k < r->n; k++)
            r->t[k].sum[i] = r->t[k].sum[2 * i] + r->t[k].sum[2 * i + 1];
    }
    memset(r->frames + CAP / 2, 0, sizeof(double) * (CAP / 2));
    for (int k = 0; k < r->n; k++)
        memset(r->t[k].sum + CAP / 2, 0, sizeof(double) * (CAP / 2));
    r->cur = CAP / 2;
    r->step *= 2;
}

lathe_status lathe_gr_recorder_take(const lathe_gr_recorder *r, const lathe_chain *c,
                                    lathe_master_result *res)
{
    if (!r)
        return LATHE_OK;
    size_t count = r->cur + (r->cur < CAP && r->frames[r->cur] > 0.0);
    for (int k = 0; k < r->n && res->gr_count < LATHE_MASTER_MAX_GR; k++) {
        lathe_gr_series *g = &res->gr[res->gr_count];
        const lathe_fx *fx = c->fx[r->t[k].fx];
        memset(g, 0, sizeof *g);
        snprintf(g->fx, sizeof g->fx, "%s", lathe_fx_get_class(fx)->name);
        g->step = r->first_step + r->t[k].fx;
        g->step_s = (double)r->step / r->rate;
        lathe_fx_get_stats(fx, &g->stats);
        if (!(g->gr_db = malloc(sizeof(float) * (count ? count : 1))))
            return LATHE_ERR_NO_MEMORY;
        g->count = count;
        for (size_t i = 0; i < count; i++) {
            double v = r->frames[i] > 0.0 ? r->t[k].sum[i] / r->frames[i] : 0.0;
            g->gr_db[i] = (float)(v > 0.0 ? v : 0.0);
        }
        res->gr_count++;
    }
    return LATHE_OK;
}

void lathe_gr_recorder_destroy(lathe_gr_recorder *r)
{
    if (!r)
        return;
    for (int k = 0; k < LATHE_MASTER_MAX_GR; k++)
        free(r->t[k].sum);
    free(r->frames);
    free(r);
}
