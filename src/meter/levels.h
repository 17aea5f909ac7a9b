/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sample-level statistics: peak, RMS, DC, clipping runs, leading/trailing silence. */
#ifndef LATHE_METER_LEVELS_H
#define LATHE_METER_LEVELS_H

#include <stddef.h>
#include <stdint.h>

#define LATHE_CLIP_MIN_RUN 3  /* consecutive full-scale samples that make a clip */

typedef struct lathe_levels_meter {
    int channels;
    float clip_level;         /* |x| >= this counts as full scale */
    float silence_level;      /* |x| > this is not silence */
    int64_t frames;
    int64_t first_loud;       /* first frame above silence_level, -1 if none yet */
    int64_t last_loud;        /* last frame above silence_level, -1 if none */
    float peak[8];
    double sum[8], sumsq[8];
    int64_t run[8];           /* current run of full-scale samples */
    int64_t clip_runs[8], clipped[8];
} lathe_levels_meter;

/* CLIP_LEVEL: the format's largest magnitude; SILENCE_DBFS: threshold of silence. */
void lathe_levels_init(lathe_levels_meter *m, int channels, double clip_level, double silence_dbfs);
void lathe_levels_process(lathe_levels_meter *m, const float *const *ch, size_t frames);
/* Closes open clip runs at the end of the stream. */
void lathe_levels_finish(lathe_levels_meter *m);

#endif
