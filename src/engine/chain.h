/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A chain of processors run in order on planar blocks, and the streaming helpers of
 * the engine: latency-compensated passes and a float spool for re-runs. */
#ifndef LATHE_ENGINE_CHAIN_H
#define LATHE_ENGINE_CHAIN_H

#include <stdio.h>
#include "lathe/master.h"

#define LATHE_ENGINE_BLOCK 4096

struct lathe_gr_recorder;

typedef struct lathe_chain {
    int count;
    lathe_fx *fx[LATHE_RECIPE_MAX_STEPS + 1];
    size_t latency;           /* sum of the processors' latencies, frames */
    struct lathe_gr_recorder *gr; /* optional gain-reduction recorder (engine/gr_series.h):
                                     fed by process, cleared by reset, freed by destroy */
} lathe_chain;

/* Creates instances for STEPS[0..n-1]. */
lathe_status lathe_chain_create(const lathe_recipe_step *steps, int n, const lathe_fx_setup *setup,
                                lathe_chain *out, char *err, size_t errlen);
void lathe_chain_process(lathe_chain *c, float *const *ch, size_t frames);
void lathe_chain_reset(lathe_chain *c);
void lathe_chain_destroy(lathe_chain *c);

/* Latency compensation for one pass: feed blocks in, get blocks out aligned with the
 * input (the first LATENCY output frames dropped) and, after lathe_aligner_flush, of
 * exactly the input's length. */
typedef struct lathe_aligner {
    size_t latency, to_drop;
    long long in_frames, out_frames;
} lathe_aligner;

void lathe_aligner_init(lathe_aligner *a, size_t latency);
/* After processing N input frames in CH: sets *OFFSET and returns how many frames
 * starting at CH[c][*OFFSET] are output. */
size_t lathe_aligner_take(lathe_aligner *a, size_t n, size_t *offset);
/* Frames of zeros still to push through the chain to flush its latency (0: done). */
size_t lathe_aligner_flush_frames(const lathe_aligner *a, size_t max_block);
/* After processing N flush frames: like take, but never beyond the input's length. */
size_t lathe_aligner_take_flush(lathe_aligner *a, size_t n, size_t *offset);

/* A float spool: planar blocks stored interleaved, the first MEM_BYTES of them in
 * memory and the rest in an anonymous temporary file (the page cache keeps it fast).
 * RSS grows to the memory part at most, whatever the length; the memory part saves the
 * kernel's copies and the file system's bookkeeping on the passes that re-read it. */
typedef struct lathe_spool {
    FILE *f;
    int channels;
    long long frames;         /* written */
    long long pos;            /* next frame read */
    float *mem;               /* frames 0 .. mem_frames - 1, interleaved */
    long long mem_frames;
    float *buf;               /* LATHE_ENGINE_BLOCK * channels */
    char *iobuf;              /* the file's stdio buffer (large: few system calls) */
} lathe_spool;

lathe_status lathe_spool_create(lathe_spool *s, int channels, size_t mem_bytes);
lathe_status lathe_spool_write(lathe_spool *s, const float *const *ch, size_t frames);
lathe_status lathe_spool_rewind(lathe_spool *s);
/* Rewinds to write the spool anew from its start (the same length or shorter is read). */
lathe_status lathe_spool_restart(lathe_spool *s);
/* Reads up to MAX (<= LATHE_ENGINE_BLOCK) frames; *GOT = 0 at the end. */
lathe_status lathe_spool_read(lathe_spool *s, float *const *ch, size_t max, size_t *got);
void lathe_spool_destroy(lathe_spool *s);

#endif
