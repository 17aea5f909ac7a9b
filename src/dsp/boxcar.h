/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving average (boxcar FIR) of a non-negative sequence by a running sum, O(1) per
 * value, preallocated. Counts the zeros pushed since the last positive value and returns
 * exactly 0 when the window holds nothing else, so rounding left in the running sum
 * never leaks into silence (a limiter's gain returns to exactly 1).
 * The window lives in a linear buffer of LEN + BLOCK values: a run of up to BLOCK values
 * appends after the window and reads the values leaving it at fixed offsets, no index
 * wraps; the window moves back to the buffer's start (LEN values) when the next run
 * would not fit. */
#ifndef LATHE_DSP_BOXCAR_H
#define LATHE_DSP_BOXCAR_H

#include <stddef.h>
#include <string.h>
#include "lathe/status.h"

typedef struct lathe_boxcar {
    size_t len;                 /* window length (>= 1) */
    size_t block;               /* most values in one run (>= 1) */
    size_t pos;                 /* the window: buf[pos .. pos + len), oldest first */
    size_t zeros;               /* zeros pushed since the last positive value, at most len */
    double sum, inv_len;
    double *buf;                /* len + block values */
} lathe_boxcar;

/* A window of LEN values, runs of up to BLOCK values. */
lathe_status lathe_boxcar_init(lathe_boxcar *b, size_t len, size_t block);
void lathe_boxcar_free(lathe_boxcar *b);
/* Fills the window with zeros. */
void lathe_boxcar_reset(lathe_boxcar *b);

/* Makes DST (of the same length) a copy of SRC. */
void lathe_boxcar_copy(lathe_boxcar *dst, const lathe_boxcar *src);
/* DST's window becomes the element-wise maximum of DST's and SRC's (same length,
 * pushed in step): values of the same age are paired, newest with newest. (Zeros not
 * pushed into a window of zeros change nothing: such a window is all zeros either way.) */
void lathe_boxcar_max_into(lathe_boxcar *dst, const lathe_boxcar *src);
/* 1 when every value in the window is 0 (the next push of 0 returns 0 and changes
 * nothing that matters). */
static inline int lathe_boxcar_empty(const lathe_boxcar *b)
{
    return b->zeros >= b->len;
}

/* A run in progress: the running sum and the zeros pushed, in locals of the loop. The
 * zeros are counted only when one is pushed (the common, positive value costs no
 * bookkeeping): RUN zeros in a row up to the run's value LAST (value -1: the box's
 * state before the run; LAST = -2: no zero there). */
typedef struct lathe_boxcar_run {
    double sum;
    size_t run, last;
} lathe_boxcar_run;

/* Starts a run of N (<= block) values: returns W, the window being W[0 .. len) (oldest
 * first). Value i of the run goes to W[len + i], and W[i] is the value it pushes out.
 * *R gets the box's state; lathe_boxcar_run_end stores it back. */
static inline double *lathe_boxcar_run_begin(lathe_boxcar *b, size_t n, lathe_boxcar_run *r)
{
    if (b->pos + n > b->block) {
        memmove(b->buf, b->buf + b->pos, sizeof(double) * b->len);
        b->pos = 0;
    }
    r->sum = b->sum;
    r->run = b->zeros;
    r->last = b->zeros ? (size_t)-1 : (size_t)-2;      /* value -1 of the run was 0 or not */
    return b->buf + b->pos;
}

/* Value I (0, 1, ... in order) of the run: V (>= 0) enters, OLD (W[I]) leaves. Returns
 * the mean of the window (>= 0; exactly 0 when the window holds only zeros). */
static inline double lathe_boxcar_run_next(lathe_boxcar_run *r, size_t len, double inv_len,
                                           size_t i, double v, double old)
{
    if (__builtin_expect(!(v > 0.0), 0)) {
        r->run = r->last + 1 == i ? r->run + 1 : 1;
        r->last = i;
        if (r->run >= len) {
            r->sum = 0.0;
            return 0.0;
        }
    }
    r->sum = (r->sum + v) - old;
    const double mean = r->sum * inv_len;
    return mean > 0.0 ? mean : 0.0;
}

/* lathe_boxcar_run_next for V > 0 (no zero to count). */
static inline double lathe_boxcar_run_add(lathe_boxcar_run *r, double inv_len, double v,
                                          double old)
{
    r->sum = (r->sum + v) - old;
    const double mean = r->sum * inv_len;
    return mean > 0.0 ? mean : 0.0;
}

/* Ends a run of N values (the box's state from *R). */
static inline void lathe_boxcar_run_end(lathe_boxcar *b, const lathe_boxcar_run *r, size_t n)
{
    b->pos += n;
    b->sum = r->sum;
    b->zeros = r->last + 1 != n ? 0 : r->run < b->len ? r->run : b->len;
}

/* Pushes V (>= 0) and returns the mean of the last LEN values (>= 0). */
static inline double lathe_boxcar_push(lathe_boxcar *b, double v)
{
    lathe_boxcar_run r;
    double *w = lathe_boxcar_run_begin(b, 1, &r);
    w[b->len] = v;
    const double mean = lathe_boxcar_run_next(&r, b->len, b->inv_len, 0, v, w[0]);
    lathe_boxcar_run_end(b, &r, 1);
    return mean;
}

#endif
