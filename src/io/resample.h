/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming sample-rate conversion (libsoxr, very high quality, linear phase), with
 * time alignment and an exact output length (docs/output.md). */
#ifndef LATHE_IO_RESAMPLE_H
#define LATHE_IO_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "lathe/status.h"

/* Receives resampled planar blocks; a non-OK status stops the resampler's call
 * and is returned by it. */
typedef lathe_status (*lathe_resample_sink)(void *user, const float *const *ch, size_t frames);

typedef struct lathe_resampler lathe_resampler;

/* Output frames for IN_FRAMES input frames: round(in_frames * out_rate / in_rate),
 * halves rounded up, computed exactly in integers. */
int64_t lathe_resample_length(int64_t in_frames, int in_rate_hz, int out_rate_hz);

/* A resampler from IN_RATE_HZ to OUT_RATE_HZ for CHANNELS (1..8) planar channels.
 * Memory is allocated here once; pushing any number of frames uses no more. */
lathe_status lathe_resampler_create(int in_rate_hz, int out_rate_hz, int channels,
                                    lathe_resampler **out, char *err, size_t errlen);

/* Resamples FRAMES frames of CH, passing whatever output is ready to SINK in blocks
 * of at most LATHE_RESAMPLE_BLOCK frames. Output sample m is the input's band-limited
 * signal at time m / out_rate: the filter's delay is removed. */
lathe_status lathe_resampler_push(lathe_resampler *r, const float *const *ch, size_t frames,
                                  lathe_resample_sink sink, void *user);

/* Ends the input: flushes the filter's tail to SINK, trimming or padding with zeros
 * so that exactly lathe_resample_length(total input frames) frames came out. */
lathe_status lathe_resampler_finish(lathe_resampler *r, lathe_resample_sink sink, void *user);

/* Frames passed to sinks so far. */
int64_t lathe_resampler_frames_out(const lathe_resampler *r);

void lathe_resampler_destroy(lathe_resampler *r);

#define LATHE_RESAMPLE_BLOCK 4096

#endif
