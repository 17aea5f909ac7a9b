/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Biquad sections: coefficients designed in double, state in double. */
#ifndef LATHE_DSP_BIQUAD_H
#define LATHE_DSP_BIQUAD_H

#include <math.h>
#include <stddef.h>

/* y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]  (a0 normalised to 1) */
typedef struct lathe_biquad_coefs {
    double b0, b1, b2, a1, a2;
} lathe_biquad_coefs;

/* Transposed direct form II state. */
typedef struct lathe_biquad_state {
    double s1, s2;
} lathe_biquad_state;

typedef enum lathe_biquad_type {
    LATHE_BIQUAD_LOWPASS,     /* 2nd order, Q sets the resonance (0.7071: Butterworth) */
    LATHE_BIQUAD_HIGHPASS,
    LATHE_BIQUAD_BELL,        /* peaking: GAIN_DB at FREQ, bandwidth from Q */
    LATHE_BIQUAD_LOW_SHELF,   /* GAIN_DB below FREQ, Q sets the knee (0.7071: no overshoot) */
    LATHE_BIQUAD_HIGH_SHELF,
    LATHE_BIQUAD_NOTCH,
    LATHE_BIQUAD_BANDPASS,    /* 0 dB peak gain */
    LATHE_BIQUAD_ALLPASS,
    LATHE_BIQUAD_LOWPASS1,    /* 1st order (6 dB/oct); Q ignored */
    LATHE_BIQUAD_HIGHPASS1
} lathe_biquad_type;

/* Designs a section by the bilinear transform of the analogue prototype with the
 * frequency pre-warped (R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad
 * filter coefficients"), all in double, valid for any rate and FREQ < rate/2. */
void lathe_biquad_design(lathe_biquad_coefs *c, lathe_biquad_type type, double freq_hz,
                         double q, double gain_db, double rate_hz);

/* The identity section (b0 = 1). */
void lathe_biquad_identity(lathe_biquad_coefs *c);

/* Filters N float samples (IN may equal OUT) through one section, state in double. */
void lathe_biquad_run(const lathe_biquad_coefs *c, lathe_biquad_state *s, const float *in,
                      float *out, size_t n);
/* lathe_biquad_run on two channels at once (states S0, S1), the same samples. */
void lathe_biquad_run2(const lathe_biquad_coefs *c, lathe_biquad_state *s0,
                       lathe_biquad_state *s1, const float *in0, const float *in1, float *out0,
                       float *out1, size_t n);
/* lathe_biquad_run with C0 (state S0) and then with C1 (state S1), in place on X: the
 * same samples (the float between the two included), the two sections in flight
 * together (the second one frame behind). */
void lathe_biquad_run_series(const lathe_biquad_coefs *c0, const lathe_biquad_coefs *c1,
                             lathe_biquad_state *s0, lathe_biquad_state *s1, float *x, size_t n);

/* The two K-weighting stages of ITU-R BS.1770-4 for any sample rate, derived from
 * their analogue prototypes by the bilinear transform: a high shelf (+4 dB above
 * ~1.7 kHz, "pre-filter") and the RLB high-pass (~38 Hz). At 48 kHz they reproduce
 * the coefficients of BS.1770-4 Tables 1 and 2 to 1e-8. */
void lathe_kweight_design(double rate_hz, lathe_biquad_coefs *shelf, lathe_biquad_coefs *highpass);

/* Magnitude of H(e^{jw}) at FREQ_HZ. */
double lathe_biquad_magnitude(const lathe_biquad_coefs *c, double freq_hz, double rate_hz);

/* Filters N samples of IN through the cascade A then B into OUT (double), in place
 * safe for separate arrays only. Flushes denormal and non-finite state. */
void lathe_biquad2_run(const lathe_biquad_coefs *a, lathe_biquad_state *sa,
                       const lathe_biquad_coefs *b, lathe_biquad_state *sb,
                       const float *in, double *out, size_t n);

/* Denormal and non-finite guard for recursive state: such state would slow the
 * loop down or stay non-finite forever. */
static inline double lathe_flush(double v)
{
    return (fabs(v) < 1e-30 || !isfinite(v)) ? 0.0 : v;
}

#endif
