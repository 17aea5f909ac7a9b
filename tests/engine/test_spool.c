/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's spool returns exactly what was written, across its memory part and its
 * file part, for any block sizes, channel counts and memory budgets; rewind re-reads,
 * restart rewrites (the same length or shorter) and reads only what was rewritten. */
#include <string.h>
#include "engine/chain.h"
#include "testutil.h"

#define FRAMES 20011                 /* not a multiple of any block size below */

static float value(int c, long long i, int gen)
{
    /* distinct per channel, frame and generation, exact in float */
    return (float)(((i * 7 + c * 3 + gen * 11) % 65536) - 32768) / 32768.0f;
}

/* Writes FRAMES frames in blocks of WB, then reads them back in blocks of RB, twice
 * (rewind); returns the number of mismatching samples. */
static long long round_trip(lathe_spool *s, int nch, size_t wb, size_t rb, int gen,
                            long long frames)
{
    float *ch[LATHE_MAX_CHANNELS];
    long long bad = 0, failed = 0;
    for (int c = 0; c < nch; c++)
        ch[c] = malloc(sizeof(float) * LATHE_ENGINE_BLOCK);
    for (long long i = 0; i < frames;) {
        size_t n = (size_t)(frames - i) < wb ? (size_t)(frames - i) : wb;
        for (int c = 0; c < nch; c++)
            for (size_t k = 0; k < n; k++)
                ch[c][k] = value(c, i + (long long)k, gen);
        failed += lathe_spool_write(s, (const float *const *)ch, n) != LATHE_OK;
        i += (long long)n;
    }
    CHECK(failed == 0, "%lld writes failed", failed);
    for (int pass = 0; pass < 2; pass++) {
        long long i = 0;
        CHECK(lathe_spool_rewind(s) == LATHE_OK, "rewind");
        for (;;) {
            size_t got = 99;
            if (lathe_spool_read(s, ch, rb, &got) != LATHE_OK) {
                CHECK(0, "read failed at frame %lld", i);
                break;
            }
            if (got == 0)
                break;
            for (int c = 0; c < nch; c++)
                for (size_t k = 0; k < got; k++)
                    bad += ch[c][k] != value(c, i + (long long)k, gen);
            i += (long long)got;
        }
        CHECK(i == frames, "read %lld frames back, want %lld", i, frames);
    }
    for (int c = 0; c < nch; c++)
        free(ch[c]);
    return bad;
}

int main(void)
{
    const size_t budgets[] = { 0, 4 * 1000, 4 * 1000 * 2, 4 * 4096 * 6, (size_t)1 << 24 };
    const size_t wblocks[] = { 1, 333, 4096 }, rblocks[] = { 1, 1000, 4096 };
    const int chans[] = { 1, 2, 3, 6 };
    for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++)
        for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
            for (size_t w = 0; w < 3; w++)
                for (size_t r = 0; r < 3; r++) {
                    lathe_spool s;
                    const int nch = chans[ci];
                    CHECK(lathe_spool_create(&s, nch, budgets[b]) == LATHE_OK, "create");
                    long long bad = round_trip(&s, nch, wblocks[w], rblocks[r], 0, FRAMES);
                    CHECK(bad == 0, "budget %zu B, %d ch, write %zu, read %zu: %lld samples "
                          "differ", budgets[b], nch, wblocks[w], rblocks[r], bad);
                    /* restart: a new generation, then a shorter one; never the old data */
                    CHECK(lathe_spool_restart(&s) == LATHE_OK, "restart");
                    bad = round_trip(&s, nch, wblocks[w], rblocks[r], 1, FRAMES);
                    CHECK(bad == 0, "rewritten: %lld samples differ", bad);
                    CHECK(lathe_spool_restart(&s) == LATHE_OK, "restart");
                    bad = round_trip(&s, nch, wblocks[w], rblocks[r], 2, FRAMES / 3);
                    CHECK(bad == 0, "rewritten shorter: %lld samples differ", bad);
                    lathe_spool_destroy(&s);
                }
    return test_summary();
}
