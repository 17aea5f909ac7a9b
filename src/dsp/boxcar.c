/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving average: allocation, reset and window copies (the push and runs are inline). */
#include <stdlib.h>
#include "dsp/boxcar.h"

lathe_status lathe_boxcar_init(lathe_boxcar *b, size_t len, size_t block)
{
    b->len = len < 1 ? 1 : len;
    b->block = block < 1 ? 1 : block;
    b->inv_len = 1.0 / (double)b->len;
    b->buf = malloc(sizeof *b->buf * (b->len + b->block));
    if (!b->buf)
        return LATHE_ERR_NO_MEMORY;
    lathe_boxcar_reset(b);
    return LATHE_OK;
}

void lathe_boxcar_free(lathe_boxcar *b)
{
    free(b->buf);
    b->buf = NULL;
}

void lathe_boxcar_reset(lathe_boxcar *b)
{
    for (size_t i = 0; i < b->len + b->block; i++)
        b->buf[i] = 0.0;
    b->pos = 0;
    b->zeros = b->len;
    b->sum = 0.0;
}

void lathe_boxcar_copy(lathe_boxcar *dst, const lathe_boxcar *src)
{
    memcpy(dst->buf, src->buf + src->pos, sizeof(double) * src->len);
    dst->pos = 0;
    dst->zeros = src->zeros;
    dst->sum = src->sum;
}

void lathe_boxcar_max_into(lathe_boxcar *dst, const lathe_boxcar *src)
{
    double *d = dst->buf + dst->pos;
    const double *s = src->buf + src->pos;
    dst->sum = 0.0;
    dst->zeros = 0;
    for (size_t i = 0; i < dst->len; i++) {
        if (s[i] > d[i])
            d[i] = s[i];
        dst->sum += d[i];
        dst->zeros = d[i] > 0.0 ? 0 : dst->zeros + 1;
    }
}
