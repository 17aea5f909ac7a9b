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
 * The four-lane forms at the end (lathe_gain_curve4_reduction, lathe_gr4_gain) compute
 * the static curve and the gain of four detector values at once, with a fast log2 / exp2
 * (errors 2e-7 dB on the curve, 1e-8 relative on the gain; tests/dsp/test_envelope_v4.c),
 * for block processing (multiband).
 *
 * Reference: D. Giannoulis, M. Massberg, J. D. Reiss, "Digital Dynamic Range
 * Compressor Design - A Tutorial and Analysis", J. Audio Eng. Soc. 60(6), 2012:
 * eq. (4) (soft-knee gain computer) and eq. (19) (smooth decoupled peak detector,
 * here in the log domain on the gain reduction, their Fig. 7 placement). */
#ifndef LATHE_DSP_ENVELOPE_H
#define LATHE_DSP_ENVELOPE_H

#include <math.h>
#include <string.h>
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

/* ---- four lanes at a time (block processing) ------------------------------------- */

/* Four doubles in one vector register (GCC/Clang vector extension). Operations are
 * lane-wise IEEE double arithmetic (no contraction in ISO C), so an AVX2 clone and the
 * baseline build (two SSE2 halves) give identical results. The helpers below pass
 * vectors by pointer (vector arguments draw an ABI note from GCC in a build without
 * AVX) and are always inlined, so the values stay in registers. */
typedef double lathe_v4d __attribute__((vector_size(32)));
typedef unsigned long long lathe_v4u __attribute__((vector_size(32)));

#define LATHE_V4_INLINE static inline __attribute__((always_inline))

/* (c, c, c, c) */
#define LATHE_V4_SET1(c) ((lathe_v4d){ (c), (c), (c), (c) })
/* Lane-wise M ? A : B for a comparison mask M (all ones or all zeros per lane). */
#define LATHE_V4_SELECT(m, a, b)                                                           \
    ((lathe_v4d)((((lathe_v4u)(a)) & ((lathe_v4u)(m))) | (((lathe_v4u)(b)) & ~((lathe_v4u)(m)))))

/* *OUT = log2(*P) for positive normal P (the callers clamp), to 5e-8 absolute (1.5e-7 dB
 * on a level): exponent from the bits, mantissa m reduced to [sqrt(1/2), sqrt(2)), and
 * log2(m) = (2 / ln 2) atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its series up
 * to s^7 (the next term, (2 / ln 2) s^9 / 9, is at most 4.1e-8). */
LATHE_V4_INLINE void lathe_v4_log2(const lathe_v4d *p, lathe_v4d *out)
{
    const lathe_v4u u = (lathe_v4u)*p;
    /* 2^52 + biased exponent, as a double; minus 2^52 + 1023 */
    lathe_v4d e = (lathe_v4d)((u >> 52) | 0x4330000000000000ull) - 4503599627371519.0;
    lathe_v4d m = (lathe_v4d)((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    const lathe_v4u big = (lathe_v4u)(m > 1.4142135623730951);
    m = LATHE_V4_SELECT(big, 0.5 * m, m);
    e = LATHE_V4_SELECT(big, e + 1.0, e);
    const lathe_v4d s = (m - 1.0) / (m + 1.0), s2 = s * s;
    /* 2/ln2 times 1, 1/3, 1/5, 1/7 */
    const lathe_v4d poly =
        2.8853900817779268
        + s2 * (0.96179669392597561 + s2 * (0.57707801635558537 + s2 * 0.41219858311113240));
    *out = e + s * poly;
}

/* *OUT = 2^(*T) for T in [-1000, 1000] (clamped), relative error below 1e-8: T = k + f
 * with k = round(T) (by the 1.5 * 2^52 addition), 2^k built in the exponent bits and
 * 2^f = e^x, x = f ln 2, |x| <= 0.347, by its Taylor series to degree 7 (remainder below
 * 1.41 x^8 / 8! = 7.4e-9: a gain error far under a float's resolution). */
LATHE_V4_INLINE void lathe_v4_exp2(const lathe_v4d *tp, lathe_v4d *out)
{
    const double magic = 6755399441055744.0;
    lathe_v4d t = *tp;
    t = LATHE_V4_SELECT(t > -1000.0, t, LATHE_V4_SET1(-1000.0));
    t = LATHE_V4_SELECT(t < 1000.0, t, LATHE_V4_SET1(1000.0));
    const lathe_v4d r = t + magic;
    const lathe_v4d f = (t - (r - magic)) * 0.69314718055994531;
    const lathe_v4d scale = (lathe_v4d)(((lathe_v4u)r - 0x4338000000000000ull + 1023u) << 52);
    lathe_v4d q = 1.0 + f * (1.0 / 7.0);
    q = 1.0 + f * (1.0 / 6.0) * q;
    q = 1.0 + f * (1.0 / 5.0) * q;
    q = 1.0 + f * (1.0 / 4.0) * q;
    q = 1.0 + f * (1.0 / 3.0) * q;
    q = 1.0 + f * 0.5 * q;
    q = 1.0 + f * q;
    *out = q * scale;
}

/* The static curves of four lanes (a lane set from a lathe_gain_curve, or idle: GR 0). */
typedef struct lathe_gain_curve4 {
    double thr[4], slope[4], half_w[4], k2[4], lo[4];
} lathe_gain_curve4;

/* Lane L of G takes curve C (NULL: an idle lane, GR always 0). */
void lathe_gain_curve4_set(lathe_gain_curve4 *g, int lane, const lathe_gain_curve *c);

/* *GR = gain reduction (dB) of four detector powers *POWER: lathe_gain_curve_reduction
 * within 2e-7 dB (the level comes from lathe_v4_log2). Exactly 0 below the knee, for a
 * ratio of 1 and for NaN power; an infinite power gives the GR of 3000 dBFS. */
LATHE_V4_INLINE void lathe_gain_curve4_reduction(const lathe_gain_curve4 *g,
                                                 const lathe_v4d *power, lathe_v4d *gr)
{
    lathe_v4d lo, thr, hw, slope, k2, l2;
    memcpy(&lo, g->lo, sizeof lo);
    memcpy(&thr, g->thr, sizeof thr);
    memcpy(&hw, g->half_w, sizeof hw);
    memcpy(&slope, g->slope, sizeof slope);
    memcpy(&k2, g->k2, sizeof k2);
    const lathe_v4u on = (lathe_v4u)(*power > lo);
    lathe_v4d q = LATHE_V4_SELECT(on, *power, lo);
    q = LATHE_V4_SELECT(q < 1e300, q, LATHE_V4_SET1(1e300));
    lathe_v4_log2(&q, &l2);
    /* 10 log10(q) = 10 log10(2) log2(q) */
    const lathe_v4d over = 3.0102999566398120 * l2 - thr, u = over + hw;
    const lathe_v4d hard = slope * over, knee = k2 * (u * u);
    const lathe_v4d r = LATHE_V4_SELECT(over > hw, hard, knee);
    *gr = LATHE_V4_SELECT(on, r, LATHE_V4_SET1(0.0));
}

/* *G = lathe_gr_gain of four GRs: 10^(-GR/20), exactly 1 below LATHE_GR_EPSILON_DB. */
LATHE_V4_INLINE void lathe_gr4_gain(const lathe_v4d *gr, lathe_v4d *g)
{
    /* 10^(-gr/20) = 2^(-gr log2(10) / 20) */
    const lathe_v4d t = -0.16609640474436813 * *gr;
    lathe_v4d e;
    lathe_v4_exp2(&t, &e);
    *g = LATHE_V4_SELECT(*gr < LATHE_GR_EPSILON_DB, LATHE_V4_SET1(1.0), e);
}

#endif
