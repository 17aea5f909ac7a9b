/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sliding-window maximum of a non-negative sequence (e.g. gain reduction in dB) over
 * the last LEN values, in O(1) amortised time per value with a monotonic deque kept
 * in a preallocated ring (D. Lemire, "Streaming maximum-minimum filter using no more
 * than three comparisons per element", 2006). Zeros are never stored, so a stream
 * that is mostly 0 costs one comparison per value. */
#ifndef LATHE_DSP_PEAK_HOLD_H
#define LATHE_DSP_PEAK_HOLD_H

#include <stddef.h>
#include "lathe/status.h"

typedef struct lathe_peak_hold {
    size_t cap;                 /* longest window */
    size_t mask;                /* ring size - 1: a power of two >= cap, so no division */
    size_t len;                 /* current window length, 1 .. cap */
    size_t head, count;         /* deque: ring[head .. head + count) */
    unsigned long long t;       /* index the next value gets */
    unsigned long long *idx;    /* entry indices, increasing from head */
    double *val;                /* entry values, strictly decreasing from head */
} lathe_peak_hold;

/* Allocates for windows up to MAX_LEN (>= 1) values and sets the window to LEN. */
lathe_status lathe_peak_hold_init(lathe_peak_hold *h, size_t max_len, size_t len);
void lathe_peak_hold_free(lathe_peak_hold *h);
/* Forgets every value (the window reads 0). */
void lathe_peak_hold_reset(lathe_peak_hold *h);
/* Changes the window length (clamped to 1 .. cap); takes effect with the next push.
 * Lengthening cannot bring back values already dropped. */
void lathe_peak_hold_set_length(lathe_peak_hold *h, size_t len);

/* Makes DST (of the same capacity) a copy of SRC. */
void lathe_peak_hold_copy(lathe_peak_hold *dst, const lathe_peak_hold *src);

/* Makes DST read at least what DST or SRC would have read, for as long as either would
 * have held a value: one entry, the largest value of both, expiring with the newest
 * (conservative: it may hold that value longer). SRC and DST pushed in step. */
void lathe_peak_hold_cover(lathe_peak_hold *dst, const lathe_peak_hold *src);

/* Pushes N zeros into a window that holds no value above 0 (count == 0): the same as N
 * calls of lathe_peak_hold_push(H, 0), which would return 0. */
static inline void lathe_peak_hold_skip_empty(lathe_peak_hold *h, size_t n)
{
    h->t += n;
}

/* Pushes V (values <= 0 count as 0) and returns max(0, the last LEN values). */
static inline double lathe_peak_hold_push(lathe_peak_hold *h, double v)
{
    const unsigned long long t = h->t++;
    /* expire the front first (indices before t - len + 1), so at most len - 1 remain */
    while (h->count && h->idx[h->head] + h->len <= t) {
        h->head = (h->head + 1) & h->mask;
        h->count--;
    }
    if (v > 0.0) {
        /* drop entries at the back that V dominates */
        while (h->count) {
            size_t back = (h->head + h->count - 1) & h->mask;
            if (h->val[back] > v)
                break;
            h->count--;
        }
        size_t pos = (h->head + h->count) & h->mask;
        h->idx[pos] = t;
        h->val[pos] = v;
        h->count++;
    }
    return h->count ? h->val[h->head] : 0.0;
}

/* Pushes V[0 .. N) and writes what each push returns to OUT[0 .. N) (OUT may be V):
 * the same as N calls of lathe_peak_hold_push, but a run of values <= 0 costs O(1) per
 * entry leaving the window instead of a test per value. */
void lathe_peak_hold_run(lathe_peak_hold *h, const double *v, double *out, size_t n);

#endif
