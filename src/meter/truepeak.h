/* SPDX-License-Identifier: GPL-3.0-or-later */
/* True-peak meter (ITU-R BS.1770-4 Annex 2): polyphase oversampling, max |x|. */
#ifndef LATHE_METER_TRUEPEAK_H
#define LATHE_METER_TRUEPEAK_H

#include <stddef.h>
#include "lathe/status.h"

typedef struct lathe_truepeak_meter lathe_truepeak_meter;

/* Oversampling factor BS.1770-4 suggests for a rate: 4 below 96 kHz, 2 below 192 kHz, 1 above. */
int lathe_truepeak_factor(int rate_hz);

lathe_status lathe_truepeak_create(int rate_hz, int channels, lathe_truepeak_meter **out);
/* CH: planar, finite samples. */
void lathe_truepeak_process(lathe_truepeak_meter *m, const float *const *ch, size_t frames);
/* [test] Selects the vector code: 0 baseline, 1 AVX2, 2 AVX-512 (x86-64-v4), at most
 * what the CPU has (the default); returns the one now in use. Every one reads the same. */
int lathe_truepeak_select_isa(lathe_truepeak_meter *m, int isa);
/* Linear true peak of channel C so far (>= its sample peak). */
double lathe_truepeak_get(const lathe_truepeak_meter *m, int c);
void lathe_truepeak_destroy(lathe_truepeak_meter *m);

#endif
