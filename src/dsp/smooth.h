/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Parameter smoothing: a linear ramp from the current value to a new target over a
 * fixed time, so gain changes never step at block edges (no zipper noise). */
#ifndef LATHE_DSP_SMOOTH_H
#define LATHE_DSP_SMOOTH_H

#include <stddef.h>

typedef struct lathe_ramp {
    double value;      /* current value */
    double target;
    double step;       /* per-sample increment while ramping */
    size_t left;       /* samples of ramp remaining */
    size_t length;     /* samples a full ramp takes */
} lathe_ramp;

/* Starts at VALUE; a target change takes RAMP_SAMPLES (>= 1) samples. */
static inline void lathe_ramp_init(lathe_ramp *r, double value, size_t ramp_samples)
{
    r->value = r->target = value;
    r->step = 0.0;
    r->left = 0;
    r->length = ramp_samples ? ramp_samples : 1;
}

static inline void lathe_ramp_set(lathe_ramp *r, double target)
{
    if (target == r->target)
        return;
    r->target = target;
    r->left = r->length;
    r->step = (target - r->value) / (double)r->length;
}

/* 1 while a ramp is in progress. */
static inline int lathe_ramp_active(const lathe_ramp *r)
{
    return r->left > 0;
}

/* Next value (advances by one sample). */
static inline double lathe_ramp_next(lathe_ramp *r)
{
    if (r->left) {
        r->left--;
        r->value = r->left ? r->value + r->step : r->target;
    }
    return r->value;
}

/* Jumps to the target at once (after reset). */
static inline void lathe_ramp_finish(lathe_ramp *r)
{
    r->value = r->target;
    r->left = 0;
}

#endif
