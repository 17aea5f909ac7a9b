/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Level detectors, soft-knee gain computer and gain-reduction ballistics (double). */
#include <math.h>
#include "dsp/envelope.h"

double lathe_env_coef(double time_s, double rate_hz)
{
    if (!(time_s > 0.0) || !(rate_hz > 0.0))
        return 0.0;
    return exp(-1.0 / (time_s * rate_hz));
}

void lathe_level_init(lathe_level_detector *d, double window_s, double rate_hz)
{
    d->a = lathe_env_coef(0.5 * window_s, rate_hz);
    d->ms1 = d->ms2 = 0.0;
}

void lathe_level_reset(lathe_level_detector *d)
{
    d->ms1 = d->ms2 = 0.0;
}

void lathe_gain_curve_set(lathe_gain_curve *g, double threshold_db, double ratio, double knee_db)
{
    g->threshold_db = threshold_db;
    g->ratio = ratio < 1.0 ? 1.0 : ratio;
    g->knee_db = knee_db > 0.0 ? knee_db : 0.0;
    g->slope = 1.0 - 1.0 / g->ratio;
    g->knee_lo_power = pow(10.0, (threshold_db - 0.5 * g->knee_db) / 10.0);
}

double lathe_gain_curve_reduction_db(const lathe_gain_curve *g, double x)
{
    const double t = g->threshold_db, w = g->knee_db;
    double over = x - t;
    if (g->slope == 0.0 || 2.0 * over < -w)
        return 0.0;
    if (2.0 * over > w)
        return g->slope * over;
    /* Inside the knee: x - y = (1 - 1/R) (x - T + W/2)^2 / (2W). W > 0 here, since
     * with W = 0 one of the two branches above always applies. */
    double u = over + 0.5 * w;
    return g->slope * u * u / (2.0 * w);
}

double lathe_gain_curve_reduction(const lathe_gain_curve *g, double power)
{
    if (g->slope == 0.0 || !(power > g->knee_lo_power))
        return 0.0;
    /* 10 log10(p) = log(p) * 10/ln(10) */
    return lathe_gain_curve_reduction_db(g, 4.3429448190325175 * log(power));
}

/* Fraction left at time T of a unit step down through the cascade: a one-pole
 * release of time constant R followed by a one-pole smoother of time constant A
 * (continuous time; both start settled at 1). */
static double cascade_left(double t, double r, double a)
{
    if (r <= 0.0)
        return exp(-t / a);
    if (a <= 0.0)
        return exp(-t / r);
    if (fabs(r - a) < 1e-9 * a)
        return (1.0 + t / a) * exp(-t / a);
    return (r * exp(-t / r) - a * exp(-t / a)) / (r - a);
}

double lathe_gr_release_stage(double attack_s, double release_s)
{
    const double target = exp(-1.0);
    if (!(attack_s > 0.0))
        return release_s > 0.0 ? release_s : 0.0;
    if (!(release_s > attack_s))
        return 0.0;
    /* cascade_left(release, r, attack) grows with r: from exp(-release/attack) < 1/e
     * at r = 0 to more than 1/e at r = release. Bisect (60 halvings: exact in double). */
    double lo = 0.0, hi = release_s;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (cascade_left(release_s, mid, attack_s) > target)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

void lathe_gr_ballistics_set(lathe_gr_ballistics *b, double attack_s, double release_s,
                             int program_dependent, double rate_hz)
{
    b->a_att = lathe_env_coef(attack_s, rate_hz);
    b->a_rel = lathe_env_coef(lathe_gr_release_stage(attack_s, release_s), rate_hz);
    b->program = program_dependent != 0;
    b->a_charge = lathe_env_coef(LATHE_ENV_SLOW_CHARGE_S, rate_hz);
    /* The slow stage follows the fast one (which falls with RELEASE), so it is
     * compensated the same way: the pair falls to 1/e after SLOW_FACTOR x RELEASE. */
    b->a_slow = lathe_env_coef(lathe_gr_release_stage(release_s, LATHE_ENV_SLOW_FACTOR * release_s),
                               rate_hz);
}

void lathe_gain_curve4_set(lathe_gain_curve4 *g, int lane, const lathe_gain_curve *c)
{
    if (!c) {
        g->thr[lane] = g->slope[lane] = g->half_w[lane] = g->k2[lane] = 0.0;
        g->lo[lane] = INFINITY;     /* no power exceeds it: GR 0 */
        return;
    }
    g->thr[lane] = c->threshold_db;
    g->slope[lane] = c->slope;
    g->half_w[lane] = 0.5 * c->knee_db;
    /* knee: (1 - 1/R) u^2 / (2 W); with W = 0 the knee branch is never taken above T */
    g->k2[lane] = c->knee_db > 0.0 ? c->slope / (2.0 * c->knee_db) : 0.0;
    g->lo[lane] = c->slope == 0.0 ? INFINITY : c->knee_lo_power;
}
