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
