/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pieces of the HTML report: a growing text buffer, the SVG plots and the A/B
 * excerpts (report_html.c puts them together). */
#ifndef LATHE_DELIVER_REPORT_INTERNAL_H
#define LATHE_DELIVER_REPORT_INTERNAL_H

#include <stddef.h>
#include "lathe/report.h"

/* A growing NUL-terminated string; after an allocation failure FAILED is set and
 * further appends do nothing. */
typedef struct lathe_text {
    char *s;
    size_t len, cap;
    int failed;
} lathe_text;

void lathe_text_put(lathe_text *t, const char *s);
void lathe_text_putn(lathe_text *t, const char *s, size_t n);
void lathe_text_printf(lathe_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* S with & < > " ' escaped for HTML text and attribute values. */
void lathe_text_html(lathe_text *t, const char *s);
/* A number for display: D decimals, U+2212 for minus, "−∞" for -inf, "n/a" for NAN. */
void lathe_text_num(lathe_text *t, double v, int decimals);
void lathe_text_free(lathe_text *t);

/* ---- plots (report_plots.c): each appends one <figure> with an inline SVG ---- */

/* The curves of one plot: up to four analyses in fixed roles. */
typedef struct lathe_plot_set {
    const lathe_analysis *before;   /* the input (or the only file for analyze) */
    const lathe_analysis *after;    /* the output, or NULL */
    const lathe_analysis *reference;/* match: the reference, or NULL */
    double reference_shift_db;      /* added to the reference's spectrum */
    const double *target_curve_db;  /* or NULL */
    const char *target_curve_label;
    double target_lufs;             /* NAN: no target line */
    const char *reference_name;     /* the reference's file name for the legend, or NULL */
} lathe_plot_set;

/* Waveform overview of A (its visuals) in the style of role CLS ("before", "after"). */
void lathe_plot_waveform(lathe_text *t, const lathe_analysis *a, const char *cls,
                         const char *title, double duration_s);
void lathe_plot_loudness(lathe_text *t, const lathe_plot_set *p);
void lathe_plot_spectrum(lathe_text *t, const lathe_plot_set *p);
/* Gain reduction of every dynamics step of M over time. */
void lathe_plot_gain_reduction(lathe_text *t, const lathe_master_result *m, double duration_s);
void lathe_plot_correlation(lathe_text *t, const lathe_plot_set *p);
void lathe_plot_density(lathe_text *t, const lathe_analysis *a, const char *cls, const char *title);

/* ---- A/B excerpts (report_audio.c) ---- */

#define LATHE_EXCERPT_MAX 3

typedef struct lathe_excerpt {
    const char *id;                 /* "before", "after", "reference" */
    const char *label;              /* "Before", ... */
    const char *path;
    double start_s, duration_s;     /* the passage taken from the file */
    double lufs;                    /* its integrated loudness as read (BS.1770), -inf if silent */
    double gain_db;                 /* applied to match the quietest (<= 0) */
    int channels, rate_hz;          /* of the encoded stream */
    const char *mime;               /* "audio/ogg; codecs=opus", ... */
    const char *codec;              /* "Opus", "Vorbis", "FLAC" */
    unsigned char *data;            /* the encoded file */
    size_t size;
} lathe_excerpt;

/* Start of the loudest LENGTH_S seconds of A (highest mean momentary power), on a
 * 100 ms grid; 0 when A is shorter or has no loudness series. */
double lathe_excerpt_loudest(const lathe_analysis *a, double length_s);
/* Reads, measures, matches and encodes X[0..n-1] (id, label, path, start_s and
 * duration_s set by the caller). */
lathe_status lathe_excerpts_make(lathe_excerpt *x, int n, char *err, size_t errlen);
void lathe_excerpts_free(lathe_excerpt *x, int n);
/* Standard base64 (RFC 4648) of DATA appended to T. */
void lathe_text_base64(lathe_text *t, const unsigned char *data, size_t size);

#endif
