/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plot data for reports: waveform overview, correlation over time, stereo density
 * (lathe_visuals in lathe/analysis.h), collected in constant memory. */
#ifndef LATHE_METER_VISUALS_H
#define LATHE_METER_VISUALS_H

#include <stddef.h>
#include <stdint.h>
#include "lathe/analysis.h"

typedef struct lathe_visuals_meter lathe_visuals_meter;

/* STEREO_PAIR: channels 0 and 1 are L and R. EXPECTED_FRAMES: the stream's length if
 * known (sizes the columns), else 0. */
lathe_status lathe_visuals_meter_create(int rate_hz, int channels, int stereo_pair,
                                        int64_t expected_frames, lathe_visuals_meter **out);
void lathe_visuals_meter_process(lathe_visuals_meter *m, const float *const *ch, size_t frames);
/* A newly allocated lathe_visuals of everything fed so far (free with
 * lathe_visuals_free). */
lathe_status lathe_visuals_meter_finish(lathe_visuals_meter *m, lathe_visuals **out);
void lathe_visuals_meter_destroy(lathe_visuals_meter *m);
void lathe_visuals_free(lathe_visuals *v);

#endif
