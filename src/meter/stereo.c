/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stereo meter. Correlation r = sum(LR) / sqrt(sum(LL) sum(RR)) (Pearson without
 * mean removal, as phase-correlation meters show it). Mid M = (L+R)/2 and side
 * S = (L-R)/2 energies follow from the same sums: 4 E_M = LL + RR + 2 LR,
 * 4 E_S = LL + RR - 2 LR. The windowed minimum uses windows of whole 100 ms
 * sub-blocks sliding by 100 ms, skipping windows quieter than -50 dBFS RMS. */
#include <math.h>
#include <string.h>
#include "dsp/reduce.h"
#include "dsp/simd.h"
#include "meter/stereo.h"

void lathe_stereo_init(lathe_stereo_meter *m, int rate_hz, double window_ms)
{
    memset(m, 0, sizeof *m);
    m->sub_len = (size_t)((rate_hz + 5) / 10);
    long subs = lround(window_ms / 100.0);
    if (subs < 1)
        subs = 1;
    if (subs > LATHE_STEREO_MAX_WINDOW_SUBS)
        subs = LATHE_STEREO_MAX_WINDOW_SUBS;
    m->window_subs = (unsigned)subs;
    m->silence_energy = pow(10.0, -50.0 / 10.0);
    m->min_corr = 2.0;
}

static double corr_of(double ll, double rr, double lr)
{
    double d = ll * rr;
    return d > 0.0 ? lr / sqrt(d) : NAN;
}

static void end_sub(lathe_stereo_meter *m)
{
    m->ring[m->head][0] = m->sub_ll;
    m->ring[m->head][1] = m->sub_rr;
    m->ring[m->head][2] = m->sub_lr;
    m->head = (m->head + 1) % m->window_subs;
    m->sub_ll = m->sub_rr = m->sub_lr = 0.0;
    m->subs_done++;
    if (m->subs_done < m->window_subs)
        return;
    double ll = 0, rr = 0, lr = 0;
    for (unsigned k = 0; k < m->window_subs; k++) {
        ll += m->ring[k][0];
        rr += m->ring[k][1];
        lr += m->ring[k][2];
    }
    double n = (double)(m->sub_len * m->window_subs);
    if ((ll + rr) / (2.0 * n) < m->silence_energy)
        return;
    double r = corr_of(ll, rr, lr);
    if (!isnan(r) && r < m->min_corr)
        m->min_corr = r;
}

LATHE_HOT void lathe_stereo_process(lathe_stereo_meter *m, const float *l, const float *r, size_t frames)
{
    size_t i = 0;
    while (i < frames) {
        size_t run = m->sub_len - m->sub_pos;
        if (run > frames - i)
            run = frames - i;
        double sums[3];
        lathe_cross_sums(l + i, r + i, run, sums);
        double ll = sums[0], rr = sums[1], lr = sums[2];
        m->sub_ll += ll;
        m->sub_rr += rr;
        m->sub_lr += lr;
        m->ll += ll;
        m->rr += rr;
        m->lr += lr;
        m->sub_pos += run;
        i += run;
        if (m->sub_pos == m->sub_len) {
            m->sub_pos = 0;
            end_sub(m);
        }
    }
}

void lathe_stereo_result(const lathe_stereo_meter *m, double *corr, double *min_corr,
                         double *side_mid_db)
{
    *corr = corr_of(m->ll, m->rr, m->lr);
    *min_corr = m->min_corr <= 1.0 + 1e-9 ? m->min_corr : NAN;
    double em = m->ll + m->rr + 2.0 * m->lr, es = m->ll + m->rr - 2.0 * m->lr;
    if (em < 0.0)
        em = 0.0;
    if (es < 0.0)
        es = 0.0;
    if (em <= 0.0 && es <= 0.0)
        *side_mid_db = NAN;
    else if (es <= 0.0 || es < 1e-15 * em)
        *side_mid_db = -HUGE_VAL;
    else if (em <= 0.0)
        *side_mid_db = HUGE_VAL;
    else
        *side_mid_db = 10.0 * log10(es / em);
}
