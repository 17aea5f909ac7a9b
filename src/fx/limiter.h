/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The limiter's detection replay, for the master engine's loudness passes: the same
 * input runs through [gain -> limiter] several times with only the gain changed. The
 * true-peak estimate of a frame scales with the gain (the interpolators are linear), so
 * the limiter can record each frame's linked peak in one pass and, in the next, use the
 * recording times the ratio of the gains instead of detecting again: about two thirds of
 * a heavily working limiter's cost (docs/fx/limiter.md, "Re-runs").
 *
 * RECORD: detects as usual, with the skipping floor lowered to T / HEADROOM, and writes
 *   PEAKS[i], the linked (largest over the channels) estimate of each input frame of the
 *   next process() call: exact where it exceeds T / HEADROOM, else a bound at or under it.
 * REPLAY: detects nothing; takes PEAKS[i] * SCALE as the linked estimate. Valid for an
 *   input that is the recorded one times a gain of at most HEADROOM / (1 + eps) times
 *   the recorded gain: SCALE = (gain ratio) (1 + eps). Then every frame whose bound was
 *   stored stays at or under T, and every exact value is the recorded estimate scaled.
 *   It differs from a live estimate of the scaled input only by float rounding (about
 *   1e-6 relative, far inside the limiter's 0.05 dB margin; eps = 2^-16 biases it up).
 * The caller keeps the call sequence (block sizes) identical between the passes.
 * Both need a linked limiter with unity input gain that is not gliding
 * (lathe_limiter_can_replay); LIVE is the default and what every other use sees. */
#ifndef LATHE_FX_LIMITER_H
#define LATHE_FX_LIMITER_H

#include "lathe/fx.h"

typedef enum lathe_limiter_detection {
    LATHE_LIMITER_LIVE = 0,
    LATHE_LIMITER_RECORD,
    LATHE_LIMITER_REPLAY
} lathe_limiter_detection;

#define LATHE_LIMITER_REPLAY_EPS (1.0 / 65536.0)

/* [control] Non-zero when FX is a limiter whose detection can be recorded and replayed
 * (linked channels, unity input gain, nothing gliding). */
int lathe_limiter_can_replay(const lathe_fx *fx);
/* [audio] Mode for the following process() calls; PEAKS holds at least as many frames
 * as the next call (RECORD writes it, REPLAY reads it). HEADROOM (linear, >= 1) is used
 * by RECORD, SCALE by REPLAY. LIVE ignores the rest. No-op when FX is not a limiter. */
void lathe_limiter_set_detection(lathe_fx *fx, lathe_limiter_detection mode, float *peaks,
                                 double headroom, double scale);

#endif
