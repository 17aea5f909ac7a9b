/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Processor chains, latency alignment and the float spool. */
#include <stdlib.h>
#include <string.h>
#include "dsp/simd.h"
#include "engine/chain.h"
#include "engine/gr_series.h"

lathe_status lathe_chain_create(const lathe_recipe_step *steps, int n, const lathe_fx_setup *setup,
                                lathe_chain *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        lathe_status st = lathe_fx_create(steps[i].cls, setup, steps[i].params, &out->fx[i]);
        if (st != LATHE_OK) {
            if (err && errlen)
                snprintf(err, errlen, "step %d (%s): cannot be set up: %s", i + 1,
                         steps[i].cls->name, lathe_status_str(st));
            lathe_chain_destroy(out);
            return st;
        }
        out->count = i + 1;
        out->latency += lathe_fx_latency(out->fx[i]);
    }
    return LATHE_OK;
}

void lathe_chain_process(lathe_chain *c, float *const *ch, size_t frames)
{
    for (int i = 0; i < c->count; i++)
        lathe_fx_process(c->fx[i], ch, frames);
    if (c->gr)
        lathe_gr_recorder_block(c->gr, c, frames);
}

void lathe_chain_reset(lathe_chain *c)
{
    for (int i = 0; i < c->count; i++)
        lathe_fx_reset(c->fx[i]);
    lathe_gr_recorder_reset(c->gr);
}

void lathe_chain_destroy(lathe_chain *c)
{
    for (int i = 0; i < c->count; i++)
        lathe_fx_destroy(c->fx[i]);
    lathe_gr_recorder_destroy(c->gr);
    memset(c, 0, sizeof *c);
}

void lathe_aligner_init(lathe_aligner *a, size_t latency)
{
    memset(a, 0, sizeof *a);
    a->latency = a->to_drop = latency;
}

size_t lathe_aligner_take(lathe_aligner *a, size_t n, size_t *offset)
{
    size_t drop = a->to_drop < n ? a->to_drop : n;
    a->to_drop -= drop;
    a->in_frames += (long long)n;
    *offset = drop;
    a->out_frames += (long long)(n - drop);
    return n - drop;
}

size_t lathe_aligner_flush_frames(const lathe_aligner *a, size_t max_block)
{
    long long left = a->in_frames - a->out_frames;
    if (left <= 0)
        return 0;
    /* Output still owed = input frames not yet emitted; each zero frame pushed in
     * either is dropped (while to_drop > 0) or emits one owed frame. */
    long long need = left + (long long)a->to_drop;
    return need < (long long)max_block ? (size_t)need : max_block;
}

size_t lathe_aligner_take_flush(lathe_aligner *a, size_t n, size_t *offset)
{
    size_t drop = a->to_drop < n ? a->to_drop : n;
    a->to_drop -= drop;
    *offset = drop;
    long long owed = a->in_frames - a->out_frames;
    size_t emit = n - drop;
    if ((long long)emit > owed)
        emit = owed > 0 ? (size_t)owed : 0;
    a->out_frames += (long long)emit;
    return emit;
}

/* Planar <-> interleaved for the spool file; stereo (the usual case) in loops GCC
 * vectorises. */
LATHE_HOT static void interleave(float *restrict out, const float *const *ch, size_t off,
                                 int nch, size_t n)
{
    if (nch == 2) {
        const float *restrict l = ch[0] + off, *restrict r = ch[1] + off;
        for (size_t i = 0; i < n; i++) {
            out[2 * i] = l[i];
            out[2 * i + 1] = r[i];
        }
        return;
    }
    for (int c = 0; c < nch; c++)
        for (size_t i = 0; i < n; i++)
            out[i * (size_t)nch + (size_t)c] = ch[c][off + i];
}

LATHE_HOT static void deinterleave(float *const *ch, size_t off, const float *restrict in, int nch,
                                   size_t n)
{
    if (nch == 2) {
        float *restrict l = ch[0] + off, *restrict r = ch[1] + off;
        for (size_t i = 0; i < n; i++) {
            l[i] = in[2 * i];
            r[i] = in[2 * i + 1];
        }
        return;
    }
    for (int c = 0; c < nch; c++)
        for (size_t i = 0; i < n; i++)
            ch[c][off + i] = in[i * (size_t)nch + (size_t)c];
}

#define SPOOL_IO_BUFFER ((size_t)1 << 20)

lathe_status lathe_spool_create(lathe_spool *s, int channels, size_t mem_bytes)
{
    memset(s, 0, sizeof *s);
    s->channels = channels;
    s->mem_frames = (long long)(mem_bytes / (sizeof(float) * (size_t)channels));
    s->buf = malloc(sizeof(float) * LATHE_ENGINE_BLOCK * (size_t)channels);
    /* untouched pages cost nothing: RSS follows what is written */
    s->mem = s->mem_frames ? malloc(sizeof(float) * (size_t)channels * (size_t)s->mem_frames)
                           : NULL;
    s->f = tmpfile();
    s->iobuf = malloc(SPOOL_IO_BUFFER);
    if (!s->buf || (s->mem_frames && !s->mem) || !s->f || !s->iobuf
        || setvbuf(s->f, s->iobuf, _IOFBF, SPOOL_IO_BUFFER) != 0) {
        lathe_spool_destroy(s);
        return LATHE_ERR_WRITE;
    }
    return LATHE_OK;
}

lathe_status lathe_spool_write(lathe_spool *s, const float *const *ch, size_t frames)
{
    const int nch = s->channels;
    size_t off = 0;
    if (s->frames < s->mem_frames) {
        const long long room = s->mem_frames - s->frames;
        const size_t n = (long long)frames < room ? frames : (size_t)room;
        interleave(s->mem + (size_t)s->frames * (size_t)nch, ch, 0, nch, n);
        s->frames += (long long)n;
        off = n;
    }
    for (; off < frames; off += LATHE_ENGINE_BLOCK) {
        size_t n = frames - off < LATHE_ENGINE_BLOCK ? frames - off : LATHE_ENGINE_BLOCK;
        interleave(s->buf, ch, off, nch, n);
        if (fwrite(s->buf, sizeof(float) * (size_t)nch, n, s->f) != n)
            return LATHE_ERR_WRITE;
        s->frames += (long long)n;
    }
    return LATHE_OK;
}

lathe_status lathe_spool_rewind(lathe_spool *s)
{
    s->pos = 0;
    if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
        return LATHE_ERR_WRITE;
    return LATHE_OK;
}

lathe_status lathe_spool_restart(lathe_spool *s)
{
    s->frames = 0;
    return lathe_spool_rewind(s);
}

lathe_status lathe_spool_read(lathe_spool *s, float *const *ch, size_t max, size_t *got)
{
    const int nch = s->channels;
    size_t n = 0;
    if (max > LATHE_ENGINE_BLOCK)
        max = LATHE_ENGINE_BLOCK;
    if (s->pos < s->mem_frames) {
        const long long left = (s->frames < s->mem_frames ? s->frames : s->mem_frames) - s->pos;
        n = (long long)max < left ? max : (size_t)(left > 0 ? left : 0);
        deinterleave(ch, 0, s->mem + (size_t)s->pos * (size_t)nch, nch, n);
        s->pos += (long long)n;
    }
    if (n < max && s->pos >= s->mem_frames) {
        const long long left = s->frames - s->pos;
        const size_t want = (long long)(max - n) < left ? max - n : (size_t)(left > 0 ? left : 0);
        const size_t m = want ? fread(s->buf, sizeof(float) * (size_t)nch, want, s->f) : 0;
        if (m < want && ferror(s->f))
            return LATHE_ERR_READ;
        deinterleave(ch, n, s->buf, nch, m);
        s->pos += (long long)m;
        n += m;
    }
    *got = n;
    return LATHE_OK;
}

void lathe_spool_destroy(lathe_spool *s)
{
    if (s->f)
        fclose(s->f);
    free(s->iobuf);             /* after fclose: the stream used it until then */
    free(s->buf);
    free(s->mem);
    memset(s, 0, sizeof *s);
}
