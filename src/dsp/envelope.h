/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dynamics building blocks, all in double: level detectors (peak, RMS), the static
 * gain computer with the quadratic soft knee, and the gain-reduction smoother with
 * attack, release and an optional program-dependent (dual time constant) release.
 *
 * Conventions: levels are dBFS re a full-scale peak of 1.0 (a full-scale sine is
 * 0 dBFS peak, -3.01 dB RMS); gain reduction (GR) is in dB and >= 0. A time
 * constant T means a step response reaches 1 - 1/e (63.2 %) after T; the one-pole
 * coefficient is exp(-1 / (T * rate)), which makes that exact at sample instants.
 *
 * Reference: D. Giannoulis, M. Massberg, J. D. Reiss, "Digital Dynamic Range
 * Compressor Design - A Tutorial and Analysis", J. Audio Eng. Soc. 60(6), 2012:
 * eq. (4) (soft-knee gain computer) and eq. (19) (smooth decoupled peak detector,
 * here in the log domain on the gain reduction, their Fig. 7 placement). */
#ifndef LATHE_DSP_ENVELOPE_H
#define LATHE_DSP_ENVELOPE_H

#include <math.h>
#include "dsp/biquad.h"

/* One-pole coefficient for a time constant of TIME_S seconds (0 for TIME_S <= 0:
 * the follower is then instantaneous). */
double lathe_env_coef(double time_s, double rate_hz);

/* ---- level detector ------------------------------------------------------------ */

typedef enum lathe_detect_mode {
    LATHE_DETECT_PEAK = 0,   /* instantaneous |x| (the smoother supplies the ballistics) */
    LATHE_DETECT_RMS = 1     /* mean square through a 2nd-order low-pass (see below) */
} lathe_detect_mode;

/* RMS: x^2 through two cascaded one-pole smoothers of WINDOW/2 each (a critically
 * damped 2nd-order average with the same total delay as a one-pole of WINDOW, but
 * 12 dB/oct rejection of the 2f ripple of a tone, so the peak-picking ballistics
 * see almost no ripple: a steady sine reads its RMS level). */
typedef struct lathe_level_detector {
    double a;                /* coefficient of each stage */
    double ms1, ms2;         /* stage states */
} lathe_level_detector;

/* WINDOW_S: RMS averaging time (unused for peak detection). */
void lathe_level_init(lathe_level_detector *d, double window_s, double rate_hz);
void lathe_level_reset(lathe_level_detector *d);

/* Power (x^2 or mean square) of the next sample X: level_db = 10 log10(power). */
static inline double lathe_level_power(lathe_level_detector *d, int mode, double x)
{
    double p = x * x;
    if (mode == LATHE_DETECT_RMS) {
        d->ms1 = lathe_flush(d->a * d->ms1 + (1.0 - d->a) * p);
        d->ms2 = lathe_flush(d->a * d->ms2 + (1.0 - d->a) * d->ms1);
        p = d->ms2;
    }
    return p;
}

/* ---- gain computer ------------------------------------------------------------- */

/* Static curve: threshold T (dB), ratio R (>= 1; INFINITY limits) and knee width W
 * (dB, >= 0). Output level y(x) per Giannoulis et al. eq. (4):
 *   x              for 2 (x - T) < -W
 *   x + (1/R - 1) (x - T + W/2)^2 / (2 W)   for |2 (x - T)| <= W
 *   T + (x - T) / R                         for 2 (x - T) > W
 * and the gain reduction is x - y(x) >= 0. */
typedef struct lathe_gain_curve {
    double threshold_db, ratio, knee_db;
    double slope;            /* 1 - 1/R */
    double knee_lo_power;    /* 10^((T - W/2)/10): below this power, GR is 0 */
} lathe_gain_curve;

void lathe_gain_curve_set(lathe_gain_curve *g, double threshold_db, double ratio, double knee_db);

/* Gain reduction (dB, >= 0) for a detector POWER (linear, x^2 units). Exactly 0
 * below the knee or when the ratio is 1. */
double lathe_gain_curve_reduction(const lathe_gain_curve *g, double power);

/* The same from a level in dB (for documentation and tests of the curve). */
double lathe_gain_curve_reduction_db(const lathe_gain_curve *g, double level_db);

/* ---- gain-reduction smoother ----------------------------------------------------- */

/* Ballistics of the GR: a decoupled detector (Giannoulis eq. 19) in the dB domain:
 *   y1[n] = max(x[n], aR' y1[n-1] + (1 - aR') x[n])     instant rise, release
 *   yL[n] = aA yL[n-1] + (1 - aA) y1[n]                 attack smoothing
 * An upward step of the target x therefore reaches 1 - 1/e after exactly ATTACK.
 * Going down, the two stages cascade; the internal release aR' is chosen so that
 * the cascade falls to 1/e of a step after exactly RELEASE (when RELEASE > ATTACK;
 * otherwise the release is instant and the fall follows the attack smoothing).
 *
 * Program-dependent release (PROGRAM = 1): a slow stage s follows yL with a charge
 * time constant of LATHE_ENV_SLOW_CHARGE_S and a release of LATHE_ENV_SLOW_FACTOR
 * times RELEASE, and the output is max(yL, s). Short peaks hardly charge s and
 * recover with RELEASE; sustained reduction charges it and recovers slowly, like
 * the dual time-constant release of classic bus compressors. */
#define LATHE_ENV_SLOW_CHARGE_S 0.15
#define LATHE_ENV_SLOW_FACTOR 5.0

typedef struct lathe_gr_ballistics {
    double a_att, a_rel;     /* aA, aR' */
    double a_charge, a_slow; /* slow stage (program-dependent release) */
    int program;
} lathe_gr_ballistics;

typedef struct lathe_gr_state {
    double y1, yl, slow;
} lathe_gr_state;

void lathe_gr_ballistics_set(lathe_gr_ballistics *b, double attack_s, double release_s,
                             int program_dependent, double rate_hz);

/* Time constant (s) of the first release stage that makes the cascade fall to 1/e
 * after RELEASE_S given ATTACK_S (0 when RELEASE_S <= ATTACK_S). */
double lathe_gr_release_stage(double attack_s, double release_s);

/* Next smoothed GR (dB) for the target TARGET (dB, >= 0). */
static inline double lathe_gr_next(const lathe_gr_ballistics *b, lathe_gr_state *s, double target)
{
    double r = b->a_rel * s->y1 + (1.0 - b->a_rel) * target;
    s->y1 = lathe_flush(target > r ? target : r);
    s->yl = lathe_flush(b->a_att * s->yl + (1.0 - b->a_att) * s->y1);
    if (!b->program)
        return s->yl;
    double a = s->yl > s->slow ? b->a_charge : b->a_slow;
    s->slow = lathe_flush(a * s->slow + (1.0 - a) * s->yl);
    return s->yl > s->slow ? s->yl : s->slow;
}

static inline void lathe_gr_reset(lathe_gr_state *s)
{
    s->y1 = s->yl = s->slow = 0.0;
}

/* Below this GR (dB) the gain is taken as exactly 1: the difference (1.2e-8) is
 * under half a float ulp, so the output is bit-identical to the input anyway, and
 * a release tail then ends in an exact null instead of an endless exp() decay. */
#define LATHE_GR_EPSILON_DB 1e-7

/* Linear gain for a GR in dB; exactly 1 below LATHE_GR_EPSILON_DB. */
static inline double lathe_gr_gain(double gr_db)
{
    /* 10^(-gr/20) = exp(-gr ln(10)/20) */
    return gr_db < LATHE_GR_EPSILON_DB ? 1.0 : exp(-0.11512925464970229 * gr_db);
}

#endif
