/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stereo meter: phase correlation (whole and windowed minimum), side/mid energy. */
#ifndef LATHE_METER_STEREO_H
#define LATHE_METER_STEREO_H

#include <stddef.h>
#include <stdint.h>

#define LATHE_STEREO_MAX_WINDOW_SUBS 100   /* 10 s at 100 ms sub-blocks */

typedef struct lathe_stereo_meter {
    size_t sub_len, sub_pos;       /* frames per 100 ms sub-block, position in it */
    unsigned window_subs;          /* sub-blocks per correlation window */
    double ll, rr, lr;             /* sums over the whole stream */
    double sub_ll, sub_rr, sub_lr; /* sums over the current sub-block */
    double ring[LATHE_STEREO_MAX_WINDOW_SUBS][3];
    unsigned head;
    uint64_t subs_done;
    double silence_energy;         /* a window whose mean energy is below this is skipped */
    double min_corr;               /* +2 until a window qualifies */
} lathe_stereo_meter;

void lathe_stereo_init(lathe_stereo_meter *m, int rate_hz, double window_ms);
void lathe_stereo_process(lathe_stereo_meter *m, const float *l, const float *r, size_t frames);
/* Whole-stream correlation (NAN for silence), min windowed (NAN if no window
 * qualified), side/mid energy ratio in dB (-inf for exact mono, +inf for exact anti-phase). */
void lathe_stereo_result(const lathe_stereo_meter *m, double *corr, double *min_corr,
                         double *side_mid_db);

#endif
