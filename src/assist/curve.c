/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Spectral curve tools for the assistants (smoothing, medians, interpolation). */
#include <math.h>
#include <stdlib.h>
#include "assist/curve.h"

void curve_smooth(const double *hz, const double *x, int n, double width_oct, double *out)
{
    const double sigma = width_oct > 1e-6 ? width_oct / 2.0 : 1e-6;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            out[i] = NAN;
            continue;
        }
        double s = 0.0, w = 0.0, li = log2(hz[i]);
        for (int j = 0; j < n; j++) {
            if (!isfinite(x[j]))
                continue;
            double d = (log2(hz[j]) - li) / sigma;
            if (fabs(d) > 4.0)
                continue;
            double g = exp(-0.5 * d * d);
            s += g * x[j];
            w += g;
        }
        out[i] = s / w;
    }
}

typedef struct pair {
    double x, w;
} pair;

static int by_x(const void *a, const void *b)
{
    double d = ((const pair *)a)->x - ((const pair *)b)->x;
    return d < 0 ? -1 : d > 0 ? 1 : 0;
}

double curve_weighted_median(const double *x, const double *w, int n)
{
    pair p[512];
    int m = 0;
    double total = 0.0;
    for (int i = 0; i < n && m < 512; i++) {
        if (isfinite(x[i]) && w[i] > 0.0) {
            p[m].x = x[i];
            p[m++].w = w[i];
            total += w[i];
        }
    }
    if (m == 0)
        return NAN;
    qsort(p, (size_t)m, sizeof p[0], by_x);
    double acc = 0.0;
    for (int i = 0; i < m; i++) {
        acc += p[i].w;
        if (acc >= 0.5 * total) {
            /* exactly at half: the mean of the two middle values */
            if (acc == 0.5 * total && i + 1 < m)
                return 0.5 * (p[i].x + p[i + 1].x);
            return p[i].x;
        }
    }
    return p[m - 1].x;
}

double curve_interp(const double *hz_grid, const double *y, int n, double hz)
{
    if (hz <= hz_grid[0])
        return y[0];
    if (hz >= hz_grid[n - 1])
        return y[n - 1];
    int i = 0;
    while (i + 1 < n && hz_grid[i + 1] < hz)
        i++;
    double t = (log(hz) - log(hz_grid[i])) / (log(hz_grid[i + 1]) - log(hz_grid[i]));
    return y[i] + t * (y[i + 1] - y[i]);
}

double curve_mean(const double *hz, const double *x, const double *w, int n, double lo, double hi)
{
    double s = 0.0, ws = 0.0;
    for (int i = 0; i < n; i++) {
        if (hz[i] < lo || hz[i] > hi || !isfinite(x[i]))
            continue;
        double wi = w ? w[i] : 1.0;
        s += wi * x[i];
        ws += wi;
    }
    return ws > 0.0 ? s / ws : NAN;
}

double curve_ramp(double x, double a, double b)
{
    if (a == b)
        return x >= b ? 1.0 : 0.0;
    double t = (x - a) / (b - a);
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    return 0.5 - 0.5 * cos(M_PI * t);
}
