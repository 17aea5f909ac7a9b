/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sliding-window maximum: allocation and window control (the push is inline). */
#include <stdlib.h>
#include "dsp/peak_hold.h"

lathe_status lathe_peak_hold_init(lathe_peak_hold *h, size_t max_len, size_t len)
{
    h->cap = max_len < 1 ? 1 : max_len;
    h->idx = malloc(sizeof *h->idx * h->cap);
    h->val = malloc(sizeof *h->val * h->cap);
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
