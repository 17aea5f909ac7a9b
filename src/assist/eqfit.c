/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EQ fitting by regularised, projected Gauss-Newton least squares on the exact band
 * responses (the magnitudes the eq processor will apply), and recipe packing. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "assist/eqfit.h"

double eqfit_band_db(const eqfit_band *b, double hz, double rate_hz)
{
    lathe_eq_cascade c;
    if (lathe_eq_is_identity(b->type, b->gain_db))
        return 0.0;
    lathe_eq_design(&c, b->type, b->freq_hz, b->gain_db, b->q, 2, rate_hz);
    double s = sin(M_PI * hz / rate_hz);
    double m2 = lathe_eq_cascade_mag2(&c, s * s);
    return m2 > 1e-30 ? 10.0 * log10(m2) : -300.0;
}

double eqfit_sum_db(const eqfit_band *b, int n, double hz, double rate_hz)
{
    double s = 0.0;
    for (int k = 0; k < n; k++)
        s += eqfit_band_db(&b[k], hz, rate_hz);
    return s;
}

/* Solves the symmetric positive definite system A x = y (n x n, row-major, destroyed)
 * by Gaussian elimination with partial pivoting. Returns 0 on success. */
static int solve_linear(double *A, double *y, double *x, int n)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[p * n + c]))
                p = r;
        if (fabs(A[p * n + c]) < 1e-300)
            return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = A[c * n + k];
                A[c * n + k] = A[p * n + k];
                A[p * n + k] = t;
            }
            double t = y[c];
            y[c] = y[p];
            y[p] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = A[r * n + c] / A[c * n + c];
            if (f == 0.0)
                continue;
            for (int k = c; k < n; k++)
                A[r * n + k] -= f * A[c * n + k];
            y[r] -= f * y[c];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = y[r];
        for (int k = r + 1; k < n; k++)
            s -= A[r * n + k] * x[k];
        x[r] = s / A[r * n + r];
    }
    return 0;
}

static double residual(const eqfit *f, double *r)
{
    double e = 0.0, w = 0.0;
    for (int i = 0; i < f->n; i++) {
        r[i] = f->want_db[i] - eqfit_sum_db(f->b, f->nb, f->hz[i], f->rate_hz);
        e += f->weight[i] * r[i] * r[i];
        w += f->weight[i];
    }
    return w > 0.0 ? sqrt(e / w) : 0.0;
}

static void gauss_newton(eqfit *f, int iterations)
{
    static const double delta = 0.05;  /* dB, finite-difference step */
    const int nb = f->nb, n = f->n;
    double J[EQFIT_MAX_BANDS][EQFIT_MAX_POINTS];
    double A[EQFIT_MAX_BANDS * EQFIT_MAX_BANDS], y[EQFIT_MAX_BANDS], dx[EQFIT_MAX_BANDS];
    double r[EQFIT_MAX_POINTS];
    if (nb == 0)
        return;
    double wsum = 0.0;
    for (int i = 0; i < n; i++)
        wsum += f->weight[i];
    for (int it = 0; it < iterations; it++) {
        residual(f, r);
        for (int k = 0; k < nb; k++) {
            eqfit_band up = f->b[k], dn = f->b[k];
            up.gain_db += delta;
            dn.gain_db -= delta;
            for (int i = 0; i < n; i++)
                J[k][i] = (eqfit_band_db(&up, f->hz[i], f->rate_hz)
                           - eqfit_band_db(&dn, f->hz[i], f->rate_hz)) / (2.0 * delta);
        }
        /* (J^T W J + ridge I) dx = J^T W r - ridge g */
        for (int a = 0; a < nb; a++) {
            for (int b = a; b < nb; b++) {
                double s = 0.0;
                for (int i = 0; i < n; i++)
                    s += f->weight[i] * J[a][i] * J[b][i];
                A[a * nb + b] = A[b * nb + a] = s;
            }
            double s = 0.0;
            for (int i = 0; i < n; i++)
                s += f->weight[i] * J[a][i] * r[i];
            A[a * nb + a] += f->ridge * wsum;
            y[a] = s - f->ridge * wsum * f->b[a].gain_db;
        }
        if (solve_linear(A, y, dx, nb) != 0)
            return;
        double step = 0.0;
        for (int k = 0; k < nb; k++) {
            double g = f->b[k].gain_db + dx[k];
            g = g > f->max_gain_db ? f->max_gain_db : g < -f->max_gain_db ? -f->max_gain_db : g;
            step = fmax(step, fabs(g - f->b[k].gain_db));
            f->b[k].gain_db = g;
        }
        if (step < 1e-3)
            break;
    }
}

double eqfit_solve(eqfit *f, double prune_db)
{
    double r[EQFIT_MAX_POINTS];
    gauss_newton(f, 12);
    if (prune_db > 0.0) {
        int m = 0;
        for (int k = 0; k < f->nb; k++)
            if (fabs(f->b[k].gain_db) >= prune_db)
                f->b[m++] = f->b[k];
        if (m != f->nb) {
            f->nb = m;
            gauss_newton(f, 12);
            /* a second pass may leave new small bands: drop them without re-solving */
            m = 0;
            for (int k = 0; k < f->nb; k++)
                if (fabs(f->b[k].gain_db) >= 0.5 * prune_db)
                    f->b[m++] = f->b[k];
            f->nb = m;
        }
    }
    for (int k = 0; k < f->nb; k++)
        eqfit_round(&f->b[k]);
    return residual(f, r);
}

void eqfit_round(eqfit_band *b)
{
    b->gain_db = round(b->gain_db * 100.0) / 100.0;
    b->freq_hz = round(b->freq_hz * 10.0) / 10.0;
    b->q = round(b->q * 1000.0) / 1000.0;
}

lathe_status eqfit_to_recipe(const eqfit_band *b, int n, lathe_recipe *r)
{
    static const char *const types[] = { "off", "bell", "low_shelf", "high_shelf", "low_cut",
                                         "high_cut", "notch", "tilt" };
    lathe_status st;
    int s = -1, used = 8;
    for (int k = 0; k < n; k++) {
        if (b[k].gain_db == 0.0)
            continue;
        if (used == 8) {
            if ((st = lathe_recipe_add(r, "eq", NULL)) != LATHE_OK)
                return st;
            s = r->steps - 1;
            used = 0;
        }
        const lathe_fx_class *cls = r->step[s].cls;
        char key[48];
        int id;
        snprintf(key, sizeof key, "band%d_type", used + 1);
        if ((id = lathe_fx_param_index(cls, key)) < 0
            || (id = lathe_param_choice(&cls->params[id], types[b[k].type])) < 0
            || (st = lathe_recipe_set(r, s, key, id)) != LATHE_OK)
            return LATHE_ERR_INTERNAL;
        snprintf(key, sizeof key, "band%d_freq_hz", used + 1);
        if ((st = lathe_recipe_set(r, s, key, b[k].freq_hz)) != LATHE_OK)
            return st;
        snprintf(key, sizeof key, "band%d_gain_db", used + 1);
        if ((st = lathe_recipe_set(r, s, key, b[k].gain_db)) != LATHE_OK)
            return st;
        snprintf(key, sizeof key, "band%d_q", used + 1);
        if ((st = lathe_recipe_set(r, s, key, b[k].q)) != LATHE_OK)
            return st;
        snprintf(key, sizeof key, "band%d_channels", used + 1);
        if ((st = lathe_recipe_set(r, s, key, b[k].channels)) != LATHE_OK)
            return st;
        used++;
    }
    return LATHE_OK;
}
