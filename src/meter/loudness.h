/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming BS.1770-4 / EBU R128 loudness: momentary, short-term, integrated, LRA. */
#ifndef LATHE_METER_LOUDNESS_H
#define LATHE_METER_LOUDNESS_H

#include <stddef.h>
#include <stdint.h>
#include "lathe/status.h"

typedef struct lathe_loudness_meter lathe_loudness_meter;

typedef struct lathe_loudness_config {
    int rate_hz;
    int channels;
    const double *weights;  /* per channel BS.1770 weight G (0 excludes) */
    int mono_fold;          /* 1: also measure (ch0+ch1)/2 on both channels (stereo only) */
    int keep_series;        /* 1: keep momentary/short-term every 100 ms */
    int64_t expected_frames;/* sizing hint for the series (0 if unknown) */
    size_t max_block;       /* largest FRAMES passed to process */
} lathe_loudness_config;

typedef struct lathe_loudness_result {
    double integrated_lufs;      /* -inf if every block is gated out */
    double loudness_range_lu;    /* 0 when fewer than two short-term values pass the gates */
    double max_momentary_lufs;   /* -inf if no complete 400 ms window */
    double max_short_term_lufs;  /* -inf if no complete 3 s window */
    double mono_integrated_lufs; /* NAN unless mono_fold */
    size_t series_count;
    float *momentary;            /* borrowed from the meter: valid until destroy */
    float *short_term;
} lathe_loudness_result;

lathe_status lathe_loudness_create(const lathe_loudness_config *cfg, lathe_loudness_meter **out);
/* CH: planar, finite samples. */
lathe_status lathe_loudness_process(lathe_loudness_meter *m, const float *const *ch, size_t frames);
/* Told, at the end of each 10 ms slice of a 100 ms sub-block, the slice's weighted
 * K-energy (the sum over its FRAMES frames of the weighted squares) and whether it ends
 * the sub-block (ten slices per sub-block; a gating block is four sub-blocks). */
typedef void (*lathe_loudness_slice_fn)(void *user, double energy, size_t frames, int ends_sub_block);
void lathe_loudness_set_slice_fn(lathe_loudness_meter *m, lathe_loudness_slice_fn fn, void *user);
void lathe_loudness_result_get(lathe_loudness_meter *m, lathe_loudness_result *r);
/* Hands the series arrays over to the caller (who frees them). */
void lathe_loudness_take_series(lathe_loudness_meter *m, float **momentary, float **short_term);
void lathe_loudness_destroy(lathe_loudness_meter *m);

/* For tests: the plainest paths from now on (the 4-double K-weighting kernels, every window
 * sum formed), which give the same results, slower. */
void lathe_loudness_use_reference(lathe_loudness_meter *m);
/* For tests: the meter's running values bit for bit (the K-weighting states, 4 per channel;
 * the energy sums of the current and last sub-blocks and slices, the rings in storage
 * order; the maxima's energies) in OUT[0..CAP); returns how many there are (at most
 * LATHE_LOUDNESS_STATE_MAX). */
#define LATHE_LOUDNESS_STATE_MAX 384
size_t lathe_loudness_state(const lathe_loudness_meter *m, double *out, size_t cap);

/* Loudness of a mean-square energy sum: -0.691 + 10 log10(E), -inf for E <= 0. */
double lathe_energy_to_lufs(double energy);

#endif
