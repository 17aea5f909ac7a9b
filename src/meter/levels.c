/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sample-level statistics in one pass: peak, sum and sum of squares (double),
 * clipping runs of >= 3 samples at the format's full scale, first/last non-silent frame. */
#include <math.h>
#include <string.h>
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "meter/levels.h"

void lathe_levels_init(lathe_levels_meter *m, int channels, double clip_level, double silence_dbfs)
{
    memset(m, 0, sizeof *m);
    m->channels = channels;
    /* A hair under full scale so a float file's 1.0 and a PCM file's largest code
     * both count; the tolerance is far below one 24-bit step. */
    m->clip_level = (float)(clip_level * (1.0 - 1e-7));
    m->silence_level = (float)pow(10.0, silence_dbfs / 20.0);
    m->first_loud = m->last_loud = -1;
}

static void close_run(lathe_levels_meter *m, int c)
{
    if (m->run[c] >= LATHE_CLIP_MIN_RUN) {
        m->clip_runs[c]++;
        m->clipped[c] += m->run[c];
    }
    m->run[c] = 0;
}

LATHE_HOT void lathe_levels_process(lathe_levels_meter *m, const float *const *ch, size_t frames)
{
    for (int c = 0; c < m->channels; c++) {
        const float *restrict x = ch[c];
        float pk;
        double s, ss;
        lathe_stats(x, frames, &pk, &s, &ss);
        m->sum[c] += s;
        m->sumsq[c] += ss;
        if (pk > m->peak[c])
            m->peak[c] = pk;

        /* Clip runs: only blocks that reach full scale need the slow scan. */
        if (pk >= m->clip_level) {
            for (size_t i = 0; i < frames; i++) {
                if (fabsf(x[i]) >= m->clip_level)
                    m->run[c]++;
                else if (m->run[c])
                    close_run(m, c);
            }
        } else if (m->run[c]) {
            close_run(m, c);
        }

        /* Silence: first frame (once) and last frame above the threshold. */
        if (pk > m->silence_level) {
            if (m->first_loud < 0 || m->first_loud > m->frames) {
                for (size_t i = 0; i < frames; i++) {
                    if (fabsf(x[i]) > m->silence_level) {
                        int64_t f = m->frames + (int64_t)i;
                        if (m->first_loud < 0 || f < m->first_loud)
                            m->first_loud = f;
                        break;
                    }
                }
            }
            for (size_t i = frames; i-- > 0;) {
                if (fabsf(x[i]) > m->silence_level) {
                    int64_t f = m->frames + (int64_t)i;
                    if (f > m->last_loud)
                        m->last_loud = f;
                    break;
                }
            }
        }
    }
    m->frames += (int64_t)frames;
}

void lathe_levels_finish(lathe_levels_meter *m)
{
    for (int c = 0; c < m->channels; c++)
        close_run(m, c);
}
