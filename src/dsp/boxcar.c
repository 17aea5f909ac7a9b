/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving average: allocation and reset (the push is inline). */
#include <stdlib.h>
#include "dsp/boxcar.h"

lathe_status lathe_boxcar_init(lathe_boxcar *b, size_t len)
{
    b->len = len < 1 ? 1 : len;
    b->inv_len = 1.0 / (double)b->len;
    b->ring = malloc(sizeof *b->ring * b->len);
    if (!b->ring)
        return LATHE_ERR_NO_MEMORY;
    lathe_boxcar_reset(b);
    return LATHE_OK;
}

void lathe_boxcar_free(lathe_boxcar *b)
{
    free(b->ring);
    b->ring = NULL;
}

void lathe_boxcar_reset(lathe_boxcar *b)
{
    for (size_t i = 0; i < b->len; i++)
        b->ring[i] = 0.0;
    b->pos = 0;
    b->nonzero = 0;
    b->sum = 0.0;
}

void lathe_boxcar_copy(lathe_boxcar *dst, const lathe_boxcar *src)
{
    for (size_t i = 0; i < src->len; i++)
        dst->ring[i] = src->ring[i];
    dst->pos = src->pos;
    dst->nonzero = src->nonzero;
    dst->sum = src->sum;
}

void lathe_boxcar_max_into(lathe_boxcar *dst, const lathe_boxcar *src)
{
    dst->sum = 0.0;
    dst->nonzero = 0;
    for (size_t i = 0; i < dst->len; i++) {
        if (src->ring[i] > dst->ring[i])
            dst->ring[i] = src->ring[i];
        dst->sum += dst->ring[i];
        dst->nonzero += (size_t)(dst->ring[i] != 0.0);
    }
}
