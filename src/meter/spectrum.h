/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Long-term spectrum (Welch) reduced to 1/3-octave bands, 20 Hz .. 20 kHz. */
#ifndef LATHE_METER_SPECTRUM_H
#define LATHE_METER_SPECTRUM_H

#include <stddef.h>
#include "lathe/status.h"

#define LATHE_SPECTRUM_BANDS 31

typedef struct lathe_spectrum_meter lathe_spectrum_meter;

/* Exact centre frequency of band B (0..30): 1000 * 10^((B - 17) / 10) Hz. */
double lathe_third_octave_centre(int band);

/* CHANNELS analysed; with STEREO_MS (channels == 2) the meter transforms mid and
 * side instead of left and right, which gives both and, exactly, their mean. INCLUDE[c]
 * = 0 leaves a channel out (LFE). */
lathe_status lathe_spectrum_create(int rate_hz, int channels, int stereo_ms, const int *include,
                                   lathe_spectrum_meter **out);
void lathe_spectrum_process(lathe_spectrum_meter *m, const float *const *ch, size_t frames);
/* Band powers in dB re full scale (a full-scale sine reads -3.01 dB): the mean over
 * included channels into TOTAL; for stereo_ms also MID and SIDE (else NAN). Bands
 * above Nyquist read NAN, empty bands -inf. Each array has LATHE_SPECTRUM_BANDS. */
void lathe_spectrum_result(lathe_spectrum_meter *m, double *total, double *mid, double *side);
void lathe_spectrum_destroy(lathe_spectrum_meter *m);

#endif
