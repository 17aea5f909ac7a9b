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
/* Powers (linear mean square re full scale, not dB) between LO_HZ[i] and HI_HZ[i] for
 * any N bands, integrated like the 1/3-octave bands: into TOTAL (mean over included
 * channels, or mid + side for stereo_ms), MID and SIDE (stereo_ms only, else NAN); any
 * output may be NULL. Bands starting at or above Nyquist read NAN. Finer-than-1/3-octave
 * views of the same Welch spectrum (reference matching, docs/match.md). */
void lathe_spectrum_bands(lathe_spectrum_meter *m, const double *lo_hz, const double *hi_hz, int n,
                          double *total, double *mid, double *side);
/* Per-frame tracking of N narrow bands LO_HZ[i]..HI_HZ[i] (call before any audio): in
 * every frame that is not near-silent (-70 dB), counts the bands whose power (summed over
 * the analysed streams) stands EXCESS_DB or more above the mean dB level of the tracked
 * bands within +-ENV_OCTAVES/2 of them (their own +-1/12 octave left out). Tells steady
 * peaks (resonances) from passing ones (notes) for docs/auto.md. */
lathe_status lathe_spectrum_track(lathe_spectrum_meter *m, const double *lo_hz, const double *hi_hz,
                                  int n, double excess_db, double env_octaves);
/* The share of counted frames (0..1) in which each tracked band stood out; NAN without
 * frames. SHARE has the N of lathe_spectrum_track. */
void lathe_spectrum_track_result(const lathe_spectrum_meter *m, double *share);
/* For tests: LANES 4 recombines the transforms four bins at a time (the baseline
 * kernel) even on a CPU with AVX2, 0 (the default) with the fastest kernel for this CPU.
 * Both give the same bits. */
void lathe_spectrum_set_lanes(lathe_spectrum_meter *m, int lanes);
void lathe_spectrum_destroy(lathe_spectrum_meter *m);

#endif
