/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sliding-window maximum: allocation and window control (the push is inline). */
#include <stdlib.h>
#include "dsp/peak_hold.h"

lathe_status lathe_peak_hold_init(lathe_peak_hold *h, size_t max_len, size_t len)
{
    h->cap = max_len < 1 ? 1 : max_len;
    size_t ring = 1;
    while (ring < h->cap)
        ring <<= 1;
    h->mask = ring - 1;
    h->idx = malloc(sizeof *h->idx * ring);
    h->val = malloc(sizeof *h->val * ring);
    if (!h->idx || !h->val) {
        lathe_peak_hold_free(h);
        return LATHE_ERR_NO_MEMORY;
    }
    lathe_peak_hold_set_length(h, len);
    lathe_peak_hold_reset(h);
    return LATHE_OK;
}

void lathe_peak_hold_free(lathe_peak_hold *h)
{
    free(h->idx);
    free(h->val);
    h->idx = NULL;
    h->val = NULL;
}

void lathe_peak_hold_reset(lathe_peak_hold *h)
{
    h->head = h->count = 0;
    h->t = 0;
}

void lathe_peak_hold_set_length(lathe_peak_hold *h, size_t len)
{
    h->len = len < 1 ? 1 : len > h->cap ? h->cap : len;
}

void lathe_peak_hold_copy(lathe_peak_hold *dst, const lathe_peak_hold *src)
{
    for (size_t i = 0; i < src->count; i++) {
        size_t k = (src->head + i) & src->mask;
        dst->idx[k] = src->idx[k];
        dst->val[k] = src->val[k];
    }
    dst->len = src->len;
    dst->head = src->head;
    dst->count = src->count;
    dst->t = src->t;
}

void lathe_peak_hold_cover(lathe_peak_hold *dst, const lathe_peak_hold *src)
{
    double top = 0.0;
    unsigned long long last = 0;
    int any = 0;
    const lathe_peak_hold *hs[2] = { dst, src };
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < hs[k]->count; i++) {
            size_t j = (hs[k]->head + i) & hs[k]->mask;
            top = hs[k]->val[j] > top ? hs[k]->val[j] : top;
            last = !any || hs[k]->idx[j] > last ? hs[k]->idx[j] : last;
            any = 1;
        }
    if (src->t > dst->t)
        dst->t = src->t;
    if (!any)
        return;
    dst->head = 0;
    dst->count = 1;
    dst->idx[0] = last;
    dst->val[0] = top;
}

void lathe_peak_hold_run(lathe_peak_hold *h, const double *v, double *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (v[i] > 0.0) {
            out[i] = lathe_peak_hold_push(h, v[i]);
            i++;
            continue;
        }
        size_t end = i + 1;         /* a run of values <= 0: [i, end) */
        while (end < n && !(v[end] > 0.0))
            end++;
        while (i < end) {
            /* the entries a push at index t would expire */
            while (h->count && h->idx[h->head] + h->len <= h->t) {
                h->head = (h->head + 1) & h->mask;
                h->count--;
            }
            /* the front (the maximum) stays until index idx + len - 1 */
            double top = 0.0;
            size_t k = end - i;
            if (h->count) {
                const unsigned long long left = h->idx[h->head] + h->len - h->t;
                top = h->val[h->head];
                k = left < k ? (size_t)left : k;
            }
            for (size_t j = 0; j < k; j++)
                out[i + j] = top;
            h->t += k;
            i += k;
        }
    }
}
