/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal: the analysis pass with a tap, so another pass (the master's pre-limiter
 * chain) can run on the same decoded blocks instead of decoding the file again. */
#ifndef LATHE_ENGINE_ANALYZE_H
#define LATHE_ENGINE_ANALYZE_H

#include "lathe/analysis.h"

/* Called with each block after it has been measured; may modify it in place. A status
 * other than LATHE_OK stops the pass and is returned. */
typedef lathe_status (*lathe_analysis_tap)(void *user, float *const *ch, size_t frames);

/* lathe_analyze_reader, calling TAP (may be NULL) on every block. */
lathe_status lathe_analyze_reader_tap(lathe_reader *rd, const lathe_analysis_config *cfg,
                                      lathe_analysis *out, char *err, size_t errlen,
                                      lathe_progress_fn progress, void *user,
                                      lathe_analysis_tap tap, void *tap_user);

#endif
