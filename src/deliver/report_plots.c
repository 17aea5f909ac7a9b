/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's plots as inline SVG: waveform overview, loudness over time, long-term
 * 1/3-octave spectrum, gain reduction over time, correlation over time, stereo
 * density. Styling lives in the page's CSS (classes "before", "after", "reference",
 * "target", ...), so the plots follow the page and its print stylesheet. Series longer
 * than the plot is wide are reduced to one point per pixel column (the maximum for
 * levels, so peaks stay visible; the mean for correlation). Each <svg> carries its
 * data ranges and plot box as data- attributes, so a test can map drawn coordinates
 * back to values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "deliver/report_internal.h"

#define W 1000.0                 /* viewBox width of the wide plots */
#define PL 58.0                  /* plot box: left, right margin, top, bottom margin */
#define PR 14.0
#define PT 12.0
#define PB 30.0
#define MAX_POINTS 940           /* one point per plot-box pixel column at most */

typedef struct frame {
    double x0, x1, y0, y1;       /* data ranges (y0 at the bottom unless flipped) */
    double left, right, top, bottom; /* plot box, viewBox units */
    int logx;
} frame;

static double fx(const frame *f, double x)
{
    double u = f->logx ? (log10(x) - log10(f->x0)) / (log10(f->x1) - log10(f->x0))
                       : (x - f->x0) / (f->x1 - f->x0);
    return f->left + u * (f->right - f->left);
}

static double fy(const frame *f, double y)
{
    double u = (y - f->y0) / (f->y1 - f->y0);
    if (u < 0.0)
        u = 0.0;
    if (u > 1.0)
        u = 1.0;
    return f->bottom - u * (f->bottom - f->top);
}

static void svg_open(lathe_text *t, const char *id, double w, double h, const frame *f,
                     const char *label)
{
    lathe_text_printf(t, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                      "aria-label=\"", id, w, h);
    lathe_text_html(t, label);
    lathe_text_put(t, "\"");
    if (f)
        lathe_text_printf(t, " data-x0=\"%g\" data-x1=\"%g\" data-y0=\"%g\" data-y1=\"%g\" "
                          "data-left=\"%g\" data-right=\"%g\" data-top=\"%g\" data-bottom=\"%g\""
                          "%s", f->x0, f->x1, f->y0, f->y1, f->left, f->right, f->top,
                          f->bottom, f->logx ? " data-logx=\"1\"" : "");
    lathe_text_put(t, ">");
}

static void figure_open(lathe_text *t, const char *id, const char *title)
{
    lathe_text_printf(t, "<figure class=\"plot\" id=\"fig-%s\"><figcaption class=\"title\">", id);
    lathe_text_html(t, title);
    lathe_text_put(t, "</figcaption>");
}

static void legend_item(lathe_text *t, const char *cls, const char *label)
{
    lathe_text_printf(t, "<span class=\"key\"><i class=\"sw %s\"></i>", cls);
    lathe_text_html(t, label);
    lathe_text_put(t, "</span>");
}

/* "m:ss" for a time axis. */
static void time_label(char *b, size_t n, double s)
{
    long v = lround(s);
    if (v >= 3600)
        snprintf(b, n, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(b, n, "%ld:%02ld", v / 60, v % 60);
}

static double time_step(double dur)
{
    static const double steps[] = { 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (dur / steps[i] <= 10.0)
            return steps[i];
    return 7200.0;
}

/* Value with U+2212 for minus, for tick labels. */
static void tick_num(lathe_text *t, double v)
{
    if (fabs(v) < 1e-9)
        v = 0.0;
    if (v < 0)
        lathe_text_put(t, "\xe2\x88\x92");
    lathe_text_printf(t, "%g", fabs(v));
}

/* Grid, ticks and frame of a time plot; Y ticks every YSTEP from the bottom. */
static void axes_time(lathe_text *t, const frame *f, double ystep, const char *yunit)
{
    double xs = time_step(f->x1 - f->x0);
    lathe_text_put(t, "<path class=\"grid\" d=\"");
    for (double y = ceil(f->y0 / ystep - 1e-9) * ystep; y <= f->y1 + 1e-9; y += ystep)
        lathe_text_printf(t, "M%.1f %.1fH%.1f", f->left, fy(f, y), f->right);
    for (double x = 0.0; x <= f->x1 + 1e-9; x += xs)
        lathe_text_printf(t, "M%.1f %.1fV%.1f", fx(f, x), f->top, f->bottom);
    lathe_text_put(t, "\"/><g class=\"ticks\">");
    for (double y = ceil(f->y0 / ystep - 1e-9) * ystep; y <= f->y1 + 1e-9; y += ystep) {
        lathe_text_printf(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f->left - 6,
                          fy(f, y) + 4);
        tick_num(t, y);
        lathe_text_put(t, "</text>");
    }
    for (double x = 0.0; x <= f->x1 + 1e-9; x += xs) {
        char b[32];
        time_label(b, sizeof b, x);
        lathe_text_printf(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                          fx(f, x), f->bottom + 18, b);
    }
    lathe_text_printf(t, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                      "transform=\"rotate(-90 %.1f %.1f)\">%s</text></g>", 14.0,
                      (f->top + f->bottom) / 2, 14.0, (f->top + f->bottom) / 2, yunit);
    lathe_text_printf(t, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"/>", f->left, f->top, f->right - f->left,
                      f->bottom - f->top);
}

/* A polyline through (X[i], Y[i]); non-finite Y breaks it (-inf is drawn at the
 * bottom: silence). */
static void line_path(lathe_text *t, const frame *f, const double *x, const double *y, size_t n,
                      const char *cls, const char *extra)
{
    int pen = 0, any = 0;
    for (size_t i = 0; i < n; i++)
        any |= !isnan(y[i]);
    if (!any)
        return;
    lathe_text_printf(t, "<path class=\"%s\"%s d=\"", cls, extra ? extra : "");
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]) || (isinf(y[i]) && y[i] > 0)) {
            pen = 0;
            continue;
        }
        lathe_text_printf(t, "%c%.1f %.1f", pen ? 'L' : 'M', fx(f, x[i]), fy(f, y[i]));
        pen = 1;
    }
    lathe_text_put(t, "\"/>");
}

/* Reduces a series of N values at times (i + OFFSET) * STEP to at most MAX_POINTS by
 * taking the maximum (or the mean of finite values, MEAN) in each group. Returns the
 * number of points written to X, Y (each sized MAX_POINTS). */
static size_t reduce(const float *v, size_t n, double step, double offset, int mean, double *x,
                     double *y)
{
    size_t groups = n < MAX_POINTS ? n : MAX_POINTS;
    for (size_t g = 0; g < groups; g++) {
        size_t a = g * n / groups, b = (g + 1) * n / groups;
        double acc = mean ? 0.0 : NAN, cnt = 0.0;
        for (size_t i = a; i < b; i++) {
            double u = v[i];
            if (isnan(u))
                continue;
            if (mean) {
                if (isfinite(u)) {
                    acc += u;
                    cnt += 1.0;
                }
            } else if (isnan(acc) || u > acc) {
                acc = u;
            }
        }
        if (mean)
            acc = cnt > 0.0 ? acc / cnt : NAN;
        x[g] = ((double)(a + b) / 2.0 + offset) * step;
        y[g] = acc;
    }
    return groups;
}

/* ---- waveform ---- */

void lathe_plot_waveform(lathe_text *t, const lathe_analysis *a, const char *cls,
                         const char *title, double duration_s)
{
    const lathe_visuals *v = a->visuals;
    if (!v || v->wave_count == 0)
        return;
    const int lanes = v->wave_channels;
    const double lane_h = 90.0, h = PT + lanes * lane_h + PB - 6;
    const double rate = a->info.rate_hz;
    const size_t n = v->wave_count;
    const size_t groups = n < MAX_POINTS ? n : MAX_POINTS;
    char id[48];
    frame f = { 0.0, duration_s > 0 ? duration_s : a->duration_s, -1.0, 1.0, PL, W - PR, PT,
                PT + lanes * lane_h, 0 };
    double *x = malloc(sizeof(double) * groups * 4);
    if (!x) {
        t->failed = 1;
        return;
    }
    double *lo = x + groups, *hi = lo + groups, *rms = hi + groups;

    snprintf(id, sizeof id, "wave-%s", cls);
    figure_open(t, id, title);
    svg_open(t, id, W, h, &f, title);
    /* time grid over both lanes */
    lathe_text_put(t, "<path class=\"grid\" d=\"");
    double xs = time_step(f.x1);
    for (double s = 0.0; s <= f.x1 + 1e-9; s += xs)
        lathe_text_printf(t, "M%.1f %.1fV%.1f", fx(&f, s), f.top, f.bottom);
    lathe_text_put(t, "\"/>");
    for (int c = 0; c < lanes; c++) {
        frame l = f;
        l.top = PT + c * lane_h;
        l.bottom = l.top + lane_h;
        for (size_t g = 0; g < groups; g++) {
            size_t i0 = g * n / groups, i1 = (g + 1) * n / groups;
            double mn = HUGE_VAL, mx = -HUGE_VAL, p = 0.0;
            for (size_t i = i0; i < i1; i++) {
                mn = v->wave_min[c][i] < mn ? v->wave_min[c][i] : mn;
                mx = v->wave_max[c][i] > mx ? v->wave_max[c][i] : mx;
                p += (double)v->wave_rms[c][i] * v->wave_rms[c][i];
            }
            x[g] = (double)(i0 + i1) / 2.0 * (double)v->wave_step_frames / rate;
            if (x[g] > f.x1)
                x[g] = f.x1;
            lo[g] = mn;
            hi[g] = mx;
            rms[g] = sqrt(p / (double)(i1 - i0));
        }
        /* -6 dBFS guides and the centre line */
        lathe_text_printf(t, "<path class=\"guide\" d=\"M%.1f %.1fH%.1fM%.1f %.1fH%.1f\"/>",
                          l.left, fy(&l, 0.5), l.right, l.left, fy(&l, -0.5), l.right);
        lathe_text_printf(t, "<path class=\"wave-peak %s\" d=\"", cls);
        for (size_t g = 0; g < groups; g++)
            lathe_text_printf(t, "%c%.1f %.1f", g ? 'L' : 'M', fx(&l, x[g]), fy(&l, hi[g]));
        for (size_t g = groups; g-- > 0;)
            lathe_text_printf(t, "L%.1f %.1f", fx(&l, x[g]), fy(&l, lo[g]));
        lathe_text_printf(t, "Z\"/><path class=\"wave-rms %s\" d=\"", cls);
        for (size_t g = 0; g < groups; g++)
            lathe_text_printf(t, "%c%.1f %.1f", g ? 'L' : 'M', fx(&l, x[g]), fy(&l, rms[g]));
        for (size_t g = groups; g-- > 0;)
            lathe_text_printf(t, "L%.1f %.1f", fx(&l, x[g]), fy(&l, -rms[g]));
        lathe_text_printf(t, "Z\"/><path class=\"axis\" d=\"M%.1f %.1fH%.1f\"/>", l.left,
                          fy(&l, 0.0), l.right);
        const char *name = lanes == 1 ? (a->channels == 1 ? "M" : "")
                                      : lathe_channel_role_name(a->info.roles[c]);
        lathe_text_printf(t, "<g class=\"ticks\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
                          "%s</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0 dB</text>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">\xe2\x88\x92" "6</text>"
                          "</g>", l.left - 30, fy(&l, 0.0) + 5, name, l.left - 6, l.top + 10,
                          l.left - 6, fy(&l, 0.5) + 4);
        if (c)
            lathe_text_printf(t, "<path class=\"lane\" d=\"M%.1f %.1fH%.1f\"/>", l.left, l.top,
                              l.right);
    }
    lathe_text_put(t, "<g class=\"ticks\">");
    for (double s = 0.0; s <= f.x1 + 1e-9; s += xs) {
        char b[32];
        time_label(b, sizeof b, s);
        lathe_text_printf(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                          fx(&f, s), f.bottom + 18, b);
    }
    lathe_text_printf(t, "</g><rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"/></svg>", f.left, f.top, f.right - f.left, f.bottom - f.top);
    lathe_text_put(t, "<div class=\"legend\">");
    legend_item(t, "wave-peak-key", "peak");
    legend_item(t, "wave-rms-key", "RMS");
    lathe_text_put(t, "<span class=\"note\">linear amplitude, full scale at the lane edges; "
                   "dashed lines at \xe2\x88\x92" "6 dBFS</span></div></figure>");
    free(x);
}

/* ---- loudness over time ---- */

static void series_range(const float *v, size_t n, double *mx)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > *mx)
            *mx = v[i];
}

static void loudness_lines(lathe_text *t, const frame *f, const lathe_analysis *a, const char *cls,
                           double *x, double *y)
{
    char c[64];
    size_t k;
    if (!a || !a->momentary_lufs || !a->series_count)
        return;
    k = reduce(a->momentary_lufs, a->series_count, a->series_step_s, 1.0, 0, x, y);
    snprintf(c, sizeof c, "line thin %s", cls);
    line_path(t, f, x, y, k, c, " data-series=\"momentary\"");
    k = reduce(a->short_term_lufs, a->series_count, a->series_step_s, 1.0, 0, x, y);
    snprintf(c, sizeof c, "line %s", cls);
    line_path(t, f, x, y, k, c, " data-series=\"short-term\"");
}

void lathe_plot_loudness(lathe_text *t, const lathe_plot_set *p)
{
    const lathe_analysis *b = p->before, *a = p->after;
    double mx = -HUGE_VAL, dur = b->duration_s;
    if (!b->momentary_lufs && !(a && a->momentary_lufs))
        return;
    series_range(b->momentary_lufs, b->series_count, &mx);
    if (a) {
        series_range(a->momentary_lufs, a->series_count, &mx);
        dur = fmax(dur, a->duration_s);
    }
    if (isfinite(p->target_lufs))
        mx = fmax(mx, p->target_lufs + 2.0);
    double top = isfinite(mx) ? fmin(ceil((mx + 1.0) / 5.0) * 5.0, 5.0) : 0.0;
    double bottom = top - 45.0;
    if (isfinite(p->target_lufs) && p->target_lufs < bottom + 5.0)
        bottom = floor((p->target_lufs - 5.0) / 5.0) * 5.0;
    frame f = { 0.0, dur > 0 ? dur : 1.0, bottom, top, PL, W - PR, PT, 250.0 - PB, 0 };
    double *x = malloc(sizeof(double) * MAX_POINTS * 2);
    if (!x) {
        t->failed = 1;
        return;
    }
    figure_open(t, "loudness", "Loudness over time");
    svg_open(t, "loudness", W, 250.0, &f, "Momentary and short-term loudness over time");
    axes_time(t, &f, 5.0, "LUFS");
    loudness_lines(t, &f, b, "before", x, x + MAX_POINTS);
    loudness_lines(t, &f, a, "after", x, x + MAX_POINTS);
    if (isfinite(p->target_lufs)) {
        lathe_text_printf(t, "<path class=\"target\" data-value=\"%g\" d=\"M%.1f %.1fH%.1f\"/>"
                          "<text class=\"target-label\" x=\"%.1f\" y=\"%.1f\" "
                          "text-anchor=\"end\">target ", p->target_lufs, f.left,
                          fy(&f, p->target_lufs), f.right, f.right - 6,
                          fy(&f, p->target_lufs) - 5);
        tick_num(t, p->target_lufs);
        lathe_text_put(t, " LUFS</text>");
    }
    lathe_text_put(t, "</svg><div class=\"legend\">");
    legend_item(t, "before", a ? "before: short-term (3 s)" : "short-term (3 s)");
    legend_item(t, "before thin", a ? "before: momentary (400 ms)" : "momentary (400 ms)");
    if (a) {
        legend_item(t, "after", "after: short-term");
        legend_item(t, "after thin", "after: momentary");
    }
    if (isfinite(p->target_lufs))
        legend_item(t, "target", "target (integrated)");
    lathe_text_put(t, "<span class=\"note\">EBU R128 / ITU-R BS.1770-4; each point the loudest "
                   "window in its pixel column</span></div></figure>");
    free(x);
}

/* ---- spectrum ---- */

static void spectrum_line(lathe_text *t, const frame *f, const double *hz, const double *db,
                          double shift, const char *cls, const char *name)
{
    double x[LATHE_THIRD_OCTAVE_BANDS], y[LATHE_THIRD_OCTAVE_BANDS];
    char extra[64];
    for (int i = 0; i < LATHE_THIRD_OCTAVE_BANDS; i++) {
        x[i] = hz[i];
        y[i] = db[i] + shift;
        if (isinf(db[i]) && db[i] < 0)
            y[i] = -HUGE_VAL;
    }
    snprintf(extra, sizeof extra, " data-series=\"%s\"", name);
    line_path(t, f, x, y, LATHE_THIRD_OCTAVE_BANDS, cls, extra);
}

static void curve_max(const double *db, double shift, double *mx)
{
    for (int i = 0; i < LATHE_THIRD_OCTAVE_BANDS; i++)
        if (isfinite(db[i]) && db[i] + shift > *mx)
            *mx = db[i] + shift;
}

void lathe_plot_spectrum(lathe_text *t, const lathe_plot_set *p)
{
    static const double ticks[] = { 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000 };
    const lathe_analysis *b = p->before, *a = p->after, *r = p->reference;
    double mx = -HUGE_VAL;
    if (isnan(b->spectrum_db[17]) && !(a && !isnan(a->spectrum_db[17])))
        return;
    curve_max(b->spectrum_db, 0.0, &mx);
    if (a)
        curve_max(a->spectrum_db, 0.0, &mx);
    if (r)
        curve_max(r->spectrum_db, p->reference_shift_db, &mx);
    if (p->target_curve_db)
        curve_max(p->target_curve_db, 0.0, &mx);
    double top = isfinite(mx) ? ceil((mx + 2.0) / 10.0) * 10.0 : 0.0;
    frame f = { 16.0, 25000.0, top - 70.0, top, PL, W - PR, PT, 300.0 - PB, 1 };
    figure_open(t, "spectrum", "Long-term spectrum (1/3 octave)");
    svg_open(t, "spectrum", W, 300.0, &f, "Long-term 1/3-octave spectrum");
    lathe_text_put(t, "<path class=\"grid\" d=\"");
    for (double y = f.y0; y <= f.y1 + 1e-9; y += 10.0)
        lathe_text_printf(t, "M%.1f %.1fH%.1f", f.left, fy(&f, y), f.right);
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++)
        lathe_text_printf(t, "M%.1f %.1fV%.1f", fx(&f, ticks[i]), f.top, f.bottom);
    lathe_text_put(t, "\"/><g class=\"ticks\">");
    for (double y = f.y0; y <= f.y1 + 1e-9; y += 10.0) {
        lathe_text_printf(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f.left - 6,
                          fy(&f, y) + 4);
        tick_num(t, y);
        lathe_text_put(t, "</text>");
    }
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++)
        lathe_text_printf(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g%s</text>",
                          fx(&f, ticks[i]), f.bottom + 18,
                          ticks[i] >= 1000 ? ticks[i] / 1000 : ticks[i], ticks[i] >= 1000 ? "k" : "");
    lathe_text_printf(t, "<text class=\"unit\" x=\"14\" y=\"%.1f\" text-anchor=\"middle\" "
                      "transform=\"rotate(-90 14 %.1f)\">dB</text><text class=\"unit\" "
                      "x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">Hz</text></g>",
                      (f.top + f.bottom) / 2, (f.top + f.bottom) / 2, f.right, f.bottom + 18);
    lathe_text_printf(t, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"/>", f.left, f.top, f.right - f.left, f.bottom - f.top);
    if (p->target_curve_db)
        spectrum_line(t, &f, b->band_hz, p->target_curve_db, 0.0, "line target-curve", "target");
    if (r)
        spectrum_line(t, &f, b->band_hz, r->spectrum_db, p->reference_shift_db, "line reference",
                      "reference");
    spectrum_line(t, &f, b->band_hz, b->spectrum_db, 0.0, "line before", "before");
    if (a)
        spectrum_line(t, &f, b->band_hz, a->spectrum_db, 0.0, "line after", "after");
    lathe_text_put(t, "</svg><div class=\"legend\">");
    legend_item(t, "before", a ? "before" : "spectrum");
    if (a)
        legend_item(t, "after", "after");
    if (r) {
        char label[320];
        snprintf(label, sizeof label, "reference%s%s (at the same integrated loudness)",
                 p->reference_name ? " " : "", p->reference_name ? p->reference_name : "");
        legend_item(t, "reference", label);
    }
    if (p->target_curve_db)
        legend_item(t, "target-curve", p->target_curve_label ? p->target_curve_label : "target curve");
    lathe_text_put(t, "<span class=\"note\">power per band over the whole file, dB re a "
                   "full-scale sine (which reads \xe2\x88\x92" "3 dB)</span></div></figure>");
}

/* ---- gain reduction ---- */

void lathe_plot_gain_reduction(lathe_text *t, const lathe_master_result *m, double duration_s)
{
    double mx = 0.0;
    int any = 0;
    for (int i = 0; i < m->gr_count; i++) {
        any |= m->gr[i].count > 0;
        for (size_t k = 0; k < m->gr[i].count; k++)
            mx = fmax(mx, m->gr[i].gr_db[k]);
    }
    if (!any)
        return;
    double bottom = mx <= 1.0 ? 1.0 : mx <= 3.0 ? 3.0 : ceil(mx * 1.15);
    double step = bottom <= 1.0 ? 0.25 : bottom <= 3.0 ? 0.5 : bottom <= 8 ? 1.0 : 2.0;
    /* flipped: 0 dB at the top, reduction downwards */
    frame f = { 0.0, duration_s > 0 ? duration_s : 1.0, -bottom, 0.0, PL, W - PR, PT,
                220.0 - PB, 0 };
    double *x = malloc(sizeof(double) * MAX_POINTS * 2), *y = x ? x + MAX_POINTS : NULL;
    if (!x) {
        t->failed = 1;
        return;
    }
    figure_open(t, "gr", "Gain reduction over time");
    svg_open(t, "gr", W, 220.0, &f, "Gain reduction of the dynamics processors over time");
    axes_time(t, &f, step, "dB");
    for (int i = 0; i < m->gr_count; i++) {
        const lathe_gr_series *g = &m->gr[i];
        char cls[64], extra[64];
        if (!g->count)
            continue;
        /* per pixel column the deepest of the blocks' mean reductions, drawn downwards */
        size_t n = reduce(g->gr_db, g->count, g->step_s, 0.5, 0, x, y);
        for (size_t k = 0; k < n; k++)
            y[k] = -y[k];
        snprintf(cls, sizeof cls, "gr gr%d %s", i % 4, g->fx);
        snprintf(extra, sizeof extra, " data-fx=\"%s\" data-step=\"%d\"", g->fx, g->step);
        /* filled area from the 0 dB line */
        lathe_text_printf(t, "<path class=\"gr-fill gr%d\" d=\"M%.1f %.1f", i % 4, fx(&f, x[0]),
                          fy(&f, 0.0));
        for (size_t k = 0; k < n; k++)
            lathe_text_printf(t, "L%.1f %.1f", fx(&f, x[k]), fy(&f, y[k]));
        lathe_text_printf(t, "L%.1f %.1fZ\"/>", fx(&f, x[n - 1]), fy(&f, 0.0));
        line_path(t, &f, x, y, n, cls, extra);
    }
    lathe_text_put(t, "</svg><div class=\"legend\">");
    for (int i = 0; i < m->gr_count; i++) {
        char label[160], cls[16];
        const lathe_gr_series *g = &m->gr[i];
        snprintf(cls, sizeof cls, "gr%d", i % 4);
        snprintf(label, sizeof label, "step %d, %s: peak %.1f dB, mean %.2f dB, active %.0f %%",
                 g->step + 1, g->fx, g->stats.gr_max_db, g->stats.gr_mean_db,
                 g->stats.gr_active_percent);
        legend_item(t, cls, label);
    }
    lathe_text_put(t, "<span class=\"note\">mean reduction per block (about 0.1 s); the peak "
                   "figure is the deepest single-sample reduction</span></div></figure>");
    free(x);
}

/* ---- correlation ---- */

void lathe_plot_correlation(lathe_text *t, const lathe_plot_set *p)
{
    const lathe_analysis *set[2] = { p->before, p->after };
    const char *cls[2] = { "line under before", "line after" };
    int any = 0;
    double dur = 0.0;
    for (int k = 0; k < 2; k++)
        if (set[k] && set[k]->visuals && set[k]->visuals->corr_count) {
            for (size_t i = 0; i < set[k]->visuals->corr_count; i++)
                any |= !isnan(set[k]->visuals->correlation[i]);
            dur = fmax(dur, set[k]->duration_s);
        }
    if (!any)        /* silence throughout: nothing to draw */
        return;
    frame f = { 0.0, dur > 0 ? dur : 1.0, -1.0, 1.0, PL, W - PR, PT, 200.0 - PB, 0 };
    double *x = malloc(sizeof(double) * MAX_POINTS * 2);
    if (!x) {
        t->failed = 1;
        return;
    }
    figure_open(t, "correlation", "Phase correlation over time");
    svg_open(t, "correlation", W, 200.0, &f, "Phase correlation of left and right over time");
    lathe_text_printf(t, "<rect class=\"danger\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"/>", f.left, fy(&f, 0.0), f.right - f.left,
                      f.bottom - fy(&f, 0.0));
    axes_time(t, &f, 0.5, "r");
    for (int k = 0; k < 2; k++) {
        const lathe_analysis *a = set[k];
        if (!a || !a->visuals || !a->visuals->corr_count)
            continue;
        const lathe_visuals *v = a->visuals;
        size_t n = reduce(v->correlation, v->corr_count,
                          (double)v->corr_step_frames / a->info.rate_hz, 0.5, 1, x, x + MAX_POINTS);
        line_path(t, &f, x, x + MAX_POINTS, n, cls[k], k ? " data-series=\"after\""
                                                         : " data-series=\"before\"");
    }
    lathe_text_put(t, "</svg><div class=\"legend\">");
    legend_item(t, "before", p->after ? "before" : "correlation");
    if (p->after)
        legend_item(t, "after", "after");
    lathe_text_put(t, "<span class=\"note\">+1: mono, 0: unrelated channels, below 0 (shaded): "
                   "out of phase, cancels when folded to mono; gaps: near silence</span>"
                   "</div></figure>");
    free(x);
}

/* ---- stereo density ---- */

void lathe_plot_density(lathe_text *t, const lathe_analysis *a, const char *cls, const char *title)
{
    const lathe_visuals *v = a->visuals;
    enum { LEVELS = 8 };
    if (!v || v->density_size != LATHE_DENSITY_SIZE || v->density_frames == 0)
        return;
    const int n = LATHE_DENSITY_SIZE;
    const double size = 320.0, c0 = 160.0, rad = 150.0, cell = 2.0 * rad / n;
    char id[48];
    snprintf(id, sizeof id, "density-%s", cls);
    lathe_text_printf(t, "<figure class=\"plot square\" id=\"fig-%s\"><figcaption class=\"title\">",
                      id);
    lathe_text_html(t, title);
    lathe_text_put(t, "</figcaption>");
    svg_open(t, id, size, size, NULL, title);
    lathe_text_printf(t, "<circle class=\"scope-bg\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>", c0, c0,
                      rad);
    /* one path per density level; runs of equal level along a row become one rectangle.
     * Level: 1 + 7 * log(1 + 200 d) / log(201), so sparse cells stay visible. */
    for (int lev = 1; lev <= LEVELS; lev++) {
        int opened = 0;
        for (int row = 0; row < n; row++) {
            for (int col = 0; col < n;) {
                double d = v->density[row * n + col];
                int q = d > 0.0 ? 1 + (int)floor((LEVELS - 1) * log1p(200.0 * d) / log(201.0) + 0.5)
                                : 0;
                if (q != lev) {
                    col++;
                    continue;
                }
                int run = 1;
                while (col + run < n) {
                    double e = v->density[row * n + col + run];
                    int r = e > 0.0 ? 1 + (int)floor((LEVELS - 1) * log1p(200.0 * e) / log(201.0)
                                                     + 0.5) : 0;
                    if (r != lev)
                        break;
                    run++;
                }
                if (!opened) {
                    lathe_text_printf(t, "<path class=\"d%d\" d=\"", lev);
                    opened = 1;
                }
                lathe_text_printf(t, "M%.2f %.2fh%.2fv%.2fh%.2fz", c0 - rad + col * cell,
                                  c0 - rad + row * cell, run * cell, cell, -run * cell);
                col += run;
            }
        }
        if (opened)
            lathe_text_put(t, "\"/>");
    }
    /* guides: M vertical, S horizontal, L and R diagonals, rings at 0, -20, -40 dB */
    double d45 = rad * sqrt(0.5);
    lathe_text_printf(t, "<path class=\"scope-guide\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1f"
                      "M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\"/>", c0, c0 - rad, c0 + rad,
                      c0 - rad, c0, c0 + rad, c0 - d45, c0 - d45, c0 + d45, c0 + d45, c0 + d45,
                      c0 - d45, c0 - d45, c0 + d45);
    for (int k = 1; k <= 3; k++)
        lathe_text_printf(t, "<circle class=\"scope-ring\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>",
                          c0, c0, rad * k / 3.0);
    lathe_text_printf(t, "<g class=\"ticks\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">L</text>"
                      "<text x=\"%.1f\" y=\"%.1f\">R</text>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">M</text>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">S</text>",
                      c0 - d45 - 2, c0 - d45 - 2, c0 + d45 + 2, c0 - d45 - 2, c0, c0 - rad - 2,
                      size - 2, c0 - 4);
    /* ring levels along the lower right diagonal, clear of the densest (vertical) part */
    for (int k = 0; k < 3; k++) {
        double rr = rad * (3 - k) / 3.0 * sqrt(0.5);
        lathe_text_printf(t, "<text class=\"small\" x=\"%.1f\" y=\"%.1f\">", c0 + rr + 3,
                          c0 + rr + 10);
        if (k)
            lathe_text_put(t, "\xe2\x88\x92");
        lathe_text_printf(t, "%d dB</text>", k * 20);
    }
    lathe_text_put(t, "</g></svg></figure>");
}
