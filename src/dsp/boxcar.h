/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving average (boxcar FIR) of a non-negative sequence by a running sum, O(1) per
 * value, preallocated. Counts the non-zero values in the window and returns exactly 0
 * when there are none, so rounding left in the running sum never leaks into silence
 * (a limiter's gain returns to exactly 1). */
#ifndef LATHE_DSP_BOXCAR_H
#define LATHE_DSP_BOXCAR_H

#include <stddef.h>
#include "lathe/status.h"

typedef struct lathe_boxcar {
    size_t len, pos;            /* window length (>= 1), next slot */
    size_t nonzero;             /* non-zero values in the window */
    double sum, inv_len;
    double *ring;               /* the last len values */
} lathe_boxcar;

lathe_status lathe_boxcar_init(lathe_boxcar *b, size_t len);
void lathe_boxcar_free(lathe_boxcar *b);
/* Fills the window with zeros. */
void lathe_boxcar_reset(lathe_boxcar *b);

/* Makes DST (of the same length) a copy of SRC. */
void lathe_boxcar_copy(lathe_boxcar *dst, const lathe_boxcar *src);
/* DST's window becomes the element-wise maximum of DST's and SRC's (same length,
 * pushed in step: the same slot is the newest in both). */
void lathe_boxcar_max_into(lathe_boxcar *dst, const lathe_boxcar *src);
/* 1 when every value in the window is 0 (the next push of 0 returns 0 and changes
 * nothing that matters). */
static inline int lathe_boxcar_empty(const lathe_boxcar *b)
{
    return b->nonzero == 0;
}

/* Pushes V (>= 0) and returns the mean of the last LEN values (>= 0). */
static inline double lathe_boxcar_push(lathe_boxcar *b, double v)
{
    const double old = b->ring[b->pos];
    b->ring[b->pos] = v;
    b->pos = b->pos + 1 == b->len ? 0 : b->pos + 1;
    b->nonzero += (size_t)(v != 0.0);
    b->nonzero -= (size_t)(old != 0.0);
    if (!b->nonzero) {
        b->sum = 0.0;
        return 0.0;
    }
    b->sum = (b->sum + v) - old;
    const double mean = b->sum * b->inv_len;
    return mean > 0.0 ? mean : 0.0;
}

#endif
