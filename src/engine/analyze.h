/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal: the analysis pass with a tap, so another pass (the master's pre-limiter
 * chain) can run on the same decoded blocks instead of decoding the file again. */
#ifndef LATHE_ENGINE_ANALYZE_H
#define LATHE_ENGINE_ANALYZE_H

#include "lathe/analysis.h"

/* Frames per block lathe_analyze_reader reads and measures: every block but the last is
 * this long. A stream measured in blocks cut the same way gives the same figures bit for
 * bit (sums over blocks are added in the same order). */
#define LATHE_ANALYSIS_BLOCK 4096

/* Called with each block after it has been measured; may modify it in place. A status
 * other than LATHE_OK stops the pass and is returned. */
typedef lathe_status (*lathe_analysis_tap)(void *user, float *const *ch, size_t frames);

/* lathe_analyze_reader, calling TAP (may be NULL) on every block; with LOUDNESS_ONLY 1
 * only the loudness figures and the length are measured (lathe_analyzer_loudness_only),
 * with 2 only the length (and NaN/Inf and decode errors are still found): for a caller
 * that has the analysis already and needs only the pass. */
lathe_status lathe_analyze_reader_tap(lathe_reader *rd, const lathe_analysis_config *cfg,
                                      lathe_analysis *out, char *err, size_t errlen,
                                      lathe_progress_fn progress, void *user,
                                      lathe_analysis_tap tap, void *tap_user, int loudness_only);

/* lathe_analyzer_create for a stream of about EXPECTED_FRAMES frames (0: unknown; sizes
 * the series) whose format stores at most CLIP_LEVEL (lathe_audio_info.full_scale):
 * samples at or beyond it count as clipped, as when the file is analysed. */
lathe_status lathe_analyzer_create_for(const lathe_analysis_config *cfg, int rate, int channels,
                                       const lathe_channel_role *roles, int64_t expected_frames,
                                       double clip_level, lathe_analyzer **out);

/* NaN and infinite samples AN has met so far (each measured as 0). */
int64_t lathe_analyzer_non_finite(const lathe_analyzer *an);

/* From now on AN measures only the loudness figures and the length (for the engine's
 * own estimates: levels, stereo, true peak, spectrum are left empty). */
void lathe_analyzer_loudness_only(lathe_analyzer *an);

/* AN's loudness meter (src/meter/loudness.h), e.g. to follow its slices. */
struct lathe_loudness_meter *lathe_analyzer_loudness_meter(lathe_analyzer *an);

#endif
