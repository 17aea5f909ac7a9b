/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report (docs/report.md): one self-contained page, no network requests.
 * Figures and verdicts are computed once into a JSON document (jansson) that is
 * embedded in the page as <script type="application/json" id="lathe-data">; every
 * number the page shows is printed from the same value and carries a data-json
 * attribute (a JSON pointer into that document), so what is shown can be checked
 * against what is stored. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "core/json_exact.h"
#include "deliver/report_internal.h"
#include "lathe/output.h"
#include "lathe/version.h"

#define MINUS "\xe2\x88\x92"       /* U+2212 */

/* ---- text buffer ---- */

static int text_reserve(lathe_text *t, size_t more)
{
    if (t->failed)
        return 0;
    if (t->len + more + 1 <= t->cap)
        return 1;
    size_t cap = t->cap ? t->cap : 65536;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *s = realloc(t->s, cap);
    if (!s) {
        t->failed = 1;
        return 0;
    }
    t->s = s;
    t->cap = cap;
    return 1;
}

void lathe_text_putn(lathe_text *t, const char *s, size_t n)
{
    if (!text_reserve(t, n))
        return;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

void lathe_text_put(lathe_text *t, const char *s)
{
    lathe_text_putn(t, s, strlen(s));
}

void lathe_text_printf(lathe_text *t, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        lathe_text_putn(t, small, (size_t)n);
        return;
    }
    if (!text_reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void lathe_text_html(lathe_text *t, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': lathe_text_put(t, "&amp;"); break;
        case '<': lathe_text_put(t, "&lt;"); break;
        case '>': lathe_text_put(t, "&gt;"); break;
        case '"': lathe_text_put(t, "&quot;"); break;
        case '\'': lathe_text_put(t, "&#39;"); break;
        default: lathe_text_putn(t, s, 1);
        }
    }
}

void lathe_text_num(lathe_text *t, double v, int decimals)
{
    if (isnan(v)) {
        lathe_text_put(t, "n/a");
        return;
    }
    if (isinf(v)) {
        lathe_text_put(t, v < 0 ? MINUS "\xe2\x88\x9e" : "+\xe2\x88\x9e");
        return;
    }
    char b[64];
    snprintf(b, sizeof b, "%.*f", decimals, v);
    if (b[0] == '-') {
        /* "-0.0" shows as "0.0" */
        int zero = 1;
        for (const char *p = b + 1; *p; p++)
            zero &= *p == '0' || *p == '.';
        lathe_text_put(t, zero ? "" : MINUS);
        lathe_text_put(t, b + 1);
    } else {
        lathe_text_put(t, b);
    }
}

void lathe_text_free(lathe_text *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

void lathe_report_init(lathe_report *r)
{
    memset(r, 0, sizeof *r);
}

/* ---- figures and verdicts ---- */

typedef enum verdict { V_INFO = 0, V_PASS, V_CHECK, V_FAIL } verdict;
static const char *const verdict_name[] = { "", "pass", "check", "fail" };

typedef struct figdef {
    const char *key, *label, *unit, *path;   /* PATH: JSON pointer into the analysis JSON */
    int decimals;
    size_t off;                               /* offset of a double, or of an int64 if INT */
    int is_int, stereo;
} figdef;

#define D(field) offsetof(lathe_analysis, field)
static const figdef figs[] = {
    { "integrated", "Integrated loudness", "LUFS", "/loudness/integrated_lufs", 2, D(integrated_lufs), 0, 0 },
    { "true_peak", "True peak", "dBTP", "/peaks/true_peak_dbtp", 2, D(true_peak_dbtp), 0, 0 },
    { "lra", "Loudness range (LRA)", "LU", "/loudness/loudness_range_lu", 1, D(loudness_range_lu), 0, 0 },
    { "plr", "Peak to loudness ratio (PLR)", "dB", "/peaks/plr_db", 1, D(plr_db), 0, 0 },
    { "max_momentary", "Max momentary loudness", "LUFS", "/loudness/max_momentary_lufs", 1, D(max_momentary_lufs), 0, 0 },
    { "max_short_term", "Max short-term loudness", "LUFS", "/loudness/max_short_term_lufs", 1, D(max_short_term_lufs), 0, 0 },
    { "sample_peak", "Sample peak", "dBFS", "/peaks/sample_peak_dbfs", 2, D(sample_peak_dbfs), 0, 0 },
    { "rms", "RMS level", "dBFS", "/level/rms_dbfs", 1, D(rms_dbfs), 0, 0 },
    { "crest", "Crest factor", "dB", "/level/crest_db", 1, D(crest_db), 0, 0 },
    { "correlation", "Phase correlation", "", "/stereo/correlation", 2, D(correlation), 0, 1 },
    { "min_correlation", "Lowest correlation (400 ms)", "", "/stereo/min_correlation", 2, D(min_correlation), 0, 1 },
    { "side_mid", "Side / mid energy", "dB", "/stereo/side_mid_db", 1, D(side_mid_db), 0, 1 },
    { "mono_loss", "Loudness change folded to mono", "LU", "/stereo/mono_loss_lu", 1, D(mono_loss_lu), 0, 1 },
    { "clip_runs", "Clipped runs (3+ samples at full scale)", "", "/problems/clip_runs", 0, D(clip_runs), 1, 0 },
    { "non_finite", "NaN / Inf samples", "", "/problems/non_finite_samples", 0, D(non_finite_samples), 1, 0 },
};
#define NFIGS (sizeof figs / sizeof figs[0])

static double fig_value(const figdef *d, const lathe_analysis *a)
{
    if (!a)
        return NAN;
    const char *p = (const char *)a + d->off;
    if (d->is_int) {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    double v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The verdict on V (the output's value, else the input's) and the criterion as text. */
static verdict judge(const figdef *d, double in, double out, int has_out, const lathe_target *t,
                     char *crit, size_t n)
{
    double v = has_out ? out : in;
    crit[0] = 0;
    if (!strcmp(d->key, "integrated") && t && isfinite(t->lufs)) {
        snprintf(crit, n, "%s%.1f \xc2\xb1 %.1f LUFS", t->lufs < 0 ? MINUS : "", fabs(t->lufs),
                 LATHE_REPORT_TOLERANCE_LU);
        return isfinite(v) && fabs(v - t->lufs) <= LATHE_REPORT_TOLERANCE_LU + 1e-9 ? V_PASS : V_FAIL;
    }
    if (!strcmp(d->key, "true_peak")) {
        if (t && isfinite(t->ceiling_dbtp)) {
            snprintf(crit, n, "\xe2\x89\xa4 %s%.1f dBTP", t->ceiling_dbtp < 0 ? MINUS : "",
                     fabs(t->ceiling_dbtp));
            return isnan(v) ? V_INFO : v <= t->ceiling_dbtp + 1e-9 ? V_PASS : V_FAIL;
        }
        snprintf(crit, n, "\xe2\x89\xa4 " MINUS "1.0 dBTP (headroom for lossy encoding)");
        return isnan(v) ? V_INFO : v <= -1.0 + 1e-9 ? V_PASS : V_CHECK;
    }
    if (!strcmp(d->key, "lra") && has_out) {
        if (!isfinite(in) || !isfinite(out))
            return V_INFO;
        snprintf(crit, n, "\xe2\x89\xa5 before " MINUS " 3 LU");
        return out >= in - 3.0 ? V_PASS : V_CHECK;
    }
    if (!strcmp(d->key, "plr")) {
        if (!isfinite(v))
            return V_INFO;
        snprintf(crit, n, "\xe2\x89\xa5 6 dB");
        return v >= 6.0 ? V_PASS : V_CHECK;
    }
    if (!strcmp(d->key, "correlation")) {
        if (isnan(v))
            return V_INFO;
        snprintf(crit, n, "\xe2\x89\xa5 0");
        return v >= 0.0 ? V_PASS : V_FAIL;
    }
    if (!strcmp(d->key, "min_correlation")) {
        if (isnan(v))
            return V_INFO;
        snprintf(crit, n, "\xe2\x89\xa5 " MINUS "0.3");
        return v >= -0.3 ? V_PASS : V_CHECK;
    }
    if (!strcmp(d->key, "mono_loss")) {
        if (isnan(v))
            return V_INFO;
        snprintf(crit, n, "\xe2\x89\xa5 " MINUS "3 LU");
        return v >= -3.0 ? V_PASS : V_CHECK;
    }
    if (!strcmp(d->key, "clip_runs")) {
        snprintf(crit, n, "0");
        return v == 0.0 ? V_PASS : has_out ? V_FAIL : V_CHECK;
    }
    if (!strcmp(d->key, "non_finite")) {
        snprintf(crit, n, "0");
        return v == 0.0 ? V_PASS : V_FAIL;
    }
    return V_INFO;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *target_title(const lathe_target *t)
{
    for (size_t i = 0; i < lathe_target_count(); i++)
        if (!strcmp(lathe_target_at(i)->name, t->name))
            return lathe_target_at(i)->title;
    return t->name[0] ? t->name : "custom";
}

/* ---- the explanation written when none is given ---- */

/* A parameter in words: the key without its unit suffix, the value with its unit. */
static void param_text(lathe_text *t, const lathe_param_desc *d, double v)
{
    static const char *const suffixes[] = { "_dbtp", "_dbfs", "_db", "_lufs", "_hz", "_ms",
                                            "_percent", "_pct" };
    char name[64], num[32];
    snprintf(name, sizeof name, "%s", d->key);
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && !strcmp(name + n - k, suffixes[i])) {
            name[n - k] = 0;
            break;
        }
    }
    for (char *p = name; *p; p++)
        if (*p == '_')
            *p = ' ';
    /* at most two decimals, no trailing zeros */
    snprintf(num, sizeof num, "%.2f", v);
    char *dot = strchr(num, '.');
    if (dot) {
        char *e = num + strlen(num) - 1;
        while (e > dot && *e == '0')
            *e-- = 0;
        if (e == dot)
            *e = 0;
    }
    if (d->unit == LATHE_UNIT_CHOICE && d->choices)
        lathe_text_printf(t, "%s %s", name, d->choices[(int)v]);
    else if (d->unit == LATHE_UNIT_SWITCH)
        lathe_text_printf(t, "%s %s", name, v != 0.0 ? "on" : "off");
    else if (d->unit == LATHE_UNIT_RATIO)
        lathe_text_printf(t, "%s %s:1", name, num);
    else {
        const char *u = lathe_unit_name(d->unit);
        lathe_text_printf(t, "%s %s%s%s", name, num, u[0] && u[0] != '%' ? " " : "", u);
    }
}

static const lathe_gr_series *gr_of_step(const lathe_master_result *m, int step)
{
    for (int i = 0; m && i < m->gr_count; i++)
        if (m->gr[i].step == step)
            return &m->gr[i];
    return NULL;
}

static void explain_master(lathe_text *t, const lathe_report *r)
{
    const lathe_master_result *m = r->master;
    const lathe_target *tg = r->target;
    const lathe_recipe *rc = r->recipe;
    if (tg) {
        lathe_text_printf(t, "Target: %s", target_title(tg));
        if (isfinite(tg->lufs))
            lathe_text_printf(t, ", integrated loudness %.1f LUFS (within %.1f LU)", tg->lufs,
                              LATHE_REPORT_TOLERANCE_LU);
        if (isfinite(tg->ceiling_dbtp))
            lathe_text_printf(t, ", true peak at or under %.1f dBTP", tg->ceiling_dbtp);
        if (m)
            lathe_text_printf(t, ", delivered as %s at %d Hz",
                              m->out_bits == 32 ? "32-bit float" : m->out_bits == 16 ? "16-bit"
                              : m->out_bits == 20 ? "20-bit" : "24-bit", m->out_rate_hz);
        lathe_text_put(t, ". Loudness and peak are measured on the file as written.\n\n");
    }
    if (rc && rc->steps) {
        lathe_text_put(t, "The chain, in order:\n");
        for (int s = 0; s < rc->steps; s++) {
            const lathe_fx_class *c = rc->step[s].cls;
            const double *p = rc->step[s].params;
            const lathe_gr_series *g = gr_of_step(m, s);
            int first = 1;
            lathe_text_printf(t, "- Step %d, %s: %s", s + 1, c->name, c->summary);
            for (int i = 0; p && i < c->num_params; i++) {
                if (p[i] == c->params[i].def)
                    continue;
                lathe_text_put(t, first ? " (" : ", ");
                param_text(t, &c->params[i], p[i]);
                first = 0;
            }
            lathe_text_put(t, first ? "." : ").");
            if (!strcmp(c->name, "limiter") && m && tg && isfinite(tg->lufs))
                lathe_text_printf(t, " A gain of %+.2f dB in front of it brings the loudness to "
                                  "the target; it keeps the true peak under the ceiling.",
                                  m->gain_db);
            if (g)
                lathe_text_printf(t, " It reduced the level by up to %.1f dB (%.2f dB on average) "
                                  "and was working %.0f %% of the time.", g->stats.gr_max_db,
                                  g->stats.gr_mean_db, g->stats.gr_active_percent);
            lathe_text_put(t, "\n");
        }
        if (m && m->limiter_added) {
            const lathe_gr_series *g = gr_of_step(m, rc->steps);
            lathe_text_printf(t, "- Added: a true-peak limiter, because the recipe had none and "
                              "the target has a ceiling. A gain of %+.2f dB in front of it brings "
                              "the loudness to the target.", m->gain_db);
            if (g)
                lathe_text_printf(t, " It reduced peaks by up to %.1f dB (%.2f dB on average).",
                                  g->stats.gr_max_db, g->stats.gr_mean_db);
            lathe_text_put(t, "\n");
        }
        lathe_text_put(t, "\n");
    }
    if (m && r->output) {
        if (m->target_met)
            lathe_text_printf(t, "Result: the master measures %.2f LUFS and %.2f dBTP: on target.",
                              r->output->integrated_lufs, r->output->true_peak_dbtp);
        else
            lathe_text_printf(t, "Result: the target was not met: %s.", m->note);
        if (m->passes > 1)
            lathe_text_printf(t, " The limiter stage ran %d times to converge on the loudness.",
                              m->passes);
        lathe_text_put(t, "\n");
    }
}

/* Paragraphs (blank lines), "- " list items, everything escaped. */
static void explanation_html(lathe_text *t, const char *s)
{
    int in_list = 0, in_p = 0;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *line = malloc(n + 1);
        if (!line) {
            t->failed = 1;
            return;
        }
        memcpy(line, s, n);
        line[n] = 0;
        const char *body = line;
        while (*body == ' ' || *body == '\t')
            body++;
        if (!*body) {
            if (in_p)
                lathe_text_put(t, "</p>");
            if (in_list)
                lathe_text_put(t, "</ul>");
            in_p = in_list = 0;
        } else if (body[0] == '-' && body[1] == ' ') {
            if (in_p)
                lathe_text_put(t, "</p>");
            in_p = 0;
            if (!in_list)
                lathe_text_put(t, "<ul>");
            in_list = 1;
            lathe_text_put(t, "<li>");
            lathe_text_html(t, body + 2);
            lathe_text_put(t, "</li>");
        } else {
            if (in_list)
                lathe_text_put(t, "</ul>");
            in_list = 0;
            lathe_text_put(t, in_p ? " " : "<p>");
            in_p = 1;
            lathe_text_html(t, body);
        }
        free(line);
        s += n + (e ? 1 : 0);
    }
    if (in_p)
        lathe_text_put(t, "</p>");
    if (in_list)
        lathe_text_put(t, "</ul>");
}

/* ---- page pieces ---- */

static const char css[] =
    ":root{--ink:#1d2330;--muted:#5b6372;--line:#e3e6ec;--grid:#eceef2;--frame:#c5cad3;"
    "--before:#4f6f9f;--before-light:#c7d3e6;--after:#d9661a;--after-light:#f5cfb2;"
    "--ref:#2e9e62;--target:#b3262e;--pass:#1e7d43;--fail:#b3262e;--check:#a66a00}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0 auto;max-width:1120px;padding:24px 28px 40px;color:var(--ink);background:#fff;"
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "'Liberation Sans','DejaVu Sans',sans-serif}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:30px 0 10px;padding-top:6px;"
    "border-top:1px solid var(--line)}\n"
    "header .files{color:var(--muted);margin:0;word-break:break-all}\n"
    "header .files b{color:var(--ink);font-weight:600}\n"
    ".banner{margin:14px 0 0;padding:10px 14px;border-radius:6px;font-weight:600}\n"
    ".banner.pass{background:#e5f4ea;color:var(--pass)}.banner.fail{background:#fbe7e8;color:var(--fail)}"
    ".banner.info{background:#eef1f6;color:var(--muted)}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:18px 0 0}\n"
    ".card{border:1px solid var(--line);border-radius:8px;padding:10px 14px}\n"
    ".card .k{color:var(--muted);font-size:13px}.card .v{font-size:24px;font-weight:650;"
    "font-variant-numeric:tabular-nums}.card .u{font-size:14px;color:var(--muted);margin-left:3px}"
    ".card .s{font-size:13px;color:var(--muted);font-variant-numeric:tabular-nums}\n"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left}\n"
    "th{font-size:13px;color:var(--muted);font-weight:600}\n"
    "td.num,th.num{text-align:right;white-space:nowrap}td.unit{color:var(--muted);padding-left:2px}\n"
    "td.crit{color:var(--muted);font-size:13px;white-space:nowrap}\n"
    ".verdict{display:inline-block;min-width:48px;text-align:center;border-radius:10px;"
    "padding:0 8px;font-size:12px;font-weight:650;text-transform:uppercase}\n"
    ".verdict.pass{background:#e5f4ea;color:var(--pass)}.verdict.fail{background:#fbe7e8;"
    "color:var(--fail)}.verdict.check{background:#fdf1d8;color:var(--check)}\n"
    "figure{margin:14px 0;break-inside:avoid}\n"
    "figure.plot{border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px}\n"
    "figcaption.title{font-weight:600;margin-bottom:4px}\n"
    "svg.chart{display:block;width:100%;height:auto;font-size:12px}\n"
    ".grid{fill:none;stroke:var(--grid);stroke-width:1}\n"
    ".frame{fill:none;stroke:var(--frame);stroke-width:1}\n"
    ".axis{fill:none;stroke:#9aa3b2;stroke-width:.6}.lane{fill:none;stroke:var(--frame)}\n"
    ".guide{fill:none;stroke:#b9c0cc;stroke-width:.6;stroke-dasharray:3 3}\n"
    ".ticks text{fill:var(--muted)}.ticks text.small{font-size:10px}.unit{fill:var(--muted)}\n"
    ".line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}\n"
    ".line.thin{stroke-width:1;opacity:.45}.line.under{stroke-width:4;opacity:.45}\n"
    ".line.before{stroke:var(--before)}.line.after{stroke:var(--after)}"
    ".line.reference{stroke:var(--ref);stroke-width:4.5;opacity:.55}\n"
    ".line.target-curve{stroke:var(--target);stroke-dasharray:5 4;stroke-width:1.5}\n"
    ".target{fill:none;stroke:var(--target);stroke-width:1.5;stroke-dasharray:7 5}"
    ".target-label{fill:var(--target);font-weight:600;paint-order:stroke;stroke:#fff;"
    "stroke-width:4px;stroke-linejoin:round}\n"
    ".wave-peak.before{fill:var(--before-light)}.wave-rms.before{fill:var(--before)}\n"
    ".wave-peak.after{fill:var(--after-light)}.wave-rms.after{fill:var(--after)}\n"
    ".danger{fill:#b3262e;opacity:.06}\n"
    ".gr{fill:none;stroke-width:1.6;stroke-linejoin:round}.gr-fill{stroke:none;opacity:.16}\n"
    ".gr0{stroke:#7b4fb0;fill:#7b4fb0}.gr1{stroke:#c23b3b;fill:#c23b3b}"
    ".gr2{stroke:#1f8a8a;fill:#1f8a8a}.gr3{stroke:#8a6d1f;fill:#8a6d1f}\n"
    "path.gr.gr0,path.gr.gr1,path.gr.gr2,path.gr.gr3{fill:none}\n"
    ".scope-bg{fill:#fafbfc;stroke:var(--frame)}.scope-ring{fill:none;stroke:#d5dae2;stroke-width:.8}\n"
    ".scope-guide{fill:none;stroke:#aab2bf;stroke-width:.7;stroke-dasharray:3 3}\n"
    ".d1{fill:#fbe3c4}.d2{fill:#f7c08f}.d3{fill:#f39a63}.d4{fill:#e4704a}.d5{fill:#c24d4b}"
    ".d6{fill:#93365a}.d7{fill:#5e2462}.d8{fill:#2d1650}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:var(--muted);margin-top:4px}\n"
    ".legend .note{flex-basis:100%;font-size:12px}\n"
    ".key{white-space:nowrap}.sw{display:inline-block;width:18px;height:3px;margin:0 6px 4px 0;"
    "vertical-align:middle;background:#999}\n"
    ".sw.before{background:var(--before)}.sw.after{background:var(--after)}"
    ".sw.reference{background:var(--ref);height:5px;opacity:.55}.sw.thin{height:1px;opacity:.6}\n"
    ".sw.target,.sw.target-curve{background:repeating-linear-gradient(90deg,var(--target) 0 5px,"
    "transparent 5px 8px)}\n"
    ".sw.wave-peak-key{height:10px;background:#d6dbe4}.sw.wave-rms-key{height:10px;background:#8b96a8}\n"
    ".sw.gr0{background:#7b4fb0}.sw.gr1{background:#c23b3b}.sw.gr2{background:#1f8a8a}"
    ".sw.gr3{background:#8a6d1f}\n"
    ".pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}"
    ".pair figure{min-width:0}\n"
    ".pair figure.square svg{max-width:360px;margin:0 auto}\n"
    ".scope-note{font-size:12px;color:var(--muted)}\n"
    ".player{border:1px solid var(--line);border-radius:8px;padding:4px 16px 12px;background:#fafbfc;"
    "margin-top:22px}\n"
    ".player h2{border-top:none;margin-top:8px}\n"
    ".ab{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin:8px 0}\n"
    ".ab button{font:inherit;font-weight:600;border:1px solid var(--frame);background:#fff;"
    "border-radius:6px;padding:6px 14px;cursor:pointer;color:var(--ink)}\n"
    ".ab button.active{background:var(--ink);color:#fff;border-color:var(--ink)}\n"
    ".ab button.play{min-width:96px}\n"
    ".ab input[type=range]{flex:1;min-width:160px}\n"
    "#ab-time{font-variant-numeric:tabular-nums;color:var(--muted);min-width:90px}\n"
    ".hint,.note{color:var(--muted);font-size:13px}\n"
    "pre{background:#f5f6f8;border:1px solid var(--line);border-radius:6px;padding:10px 12px;"
    "overflow:auto;font-size:12.5px;line-height:1.45;white-space:pre-wrap;word-break:break-word}\n"
    "footer{margin-top:32px;color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);"
    "padding-top:10px}\n"
    "@media (max-width:760px){.pair{grid-template-columns:1fr}}\n"
    "@media print{@page{margin:12mm}body{max-width:none;padding:0;font-size:10.5pt}"
    ".player,.noprint{display:none}h2,h3,p.note{break-after:avoid}figure,.cards,tr{break-inside:avoid}"
    "pre{white-space:pre-wrap;word-break:break-all;font-size:8.5pt;break-inside:avoid}"
    ".pair{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}\n";

static const char script[] =
    "(function(){'use strict';\n"
    "var els=Array.prototype.slice.call(document.querySelectorAll('audio.ab-audio'));\n"
    "if(!els.length)return;\n"
    "var cur=els[0],play=document.getElementById('ab-play'),seek=document.getElementById('ab-seek'),"
    "clock=document.getElementById('ab-time'),sels=document.querySelectorAll('.ab-sel');\n"
    "function fmt(s){s=isFinite(s)?Math.max(0,Math.floor(s)):0;"
    "return Math.floor(s/60)+':'+('0'+s%60).slice(-2);}\n"
    "function show(){if(isFinite(cur.duration))seek.max=cur.duration;seek.value=cur.currentTime;"
    "clock.textContent=fmt(cur.currentTime)+' / '+fmt(cur.duration);"
    "play.textContent=cur.paused?'\\u25B6 Play':'\\u23F8 Pause';}\n"
    "function start(a){var p=a.play();if(p&&p.catch)p.catch(function(){show();});}\n"
    "function select(id){var next=document.getElementById(id);if(!next)return;"
    "if(next!==cur){var playing=!cur.paused,t=cur.currentTime;cur.pause();cur=next;"
    "try{cur.currentTime=t;}catch(e){}if(playing)start(cur);}"
    "for(var i=0;i<sels.length;i++){var on=sels[i].getAttribute('data-target')===id;"
    "sels[i].classList.toggle('active',on);sels[i].setAttribute('aria-pressed',on?'true':'false');}"
    "show();}\n"
    "play.addEventListener('click',function(){if(cur.paused)start(cur);else cur.pause();});\n"
    "for(var i=0;i<sels.length;i++)sels[i].addEventListener('click',function(e){"
    "select(e.currentTarget.getAttribute('data-target'));});\n"
    "seek.addEventListener('input',function(){var t=+seek.value;"
    "els.forEach(function(a){try{a.currentTime=t;}catch(e){}});show();});\n"
    "els.forEach(function(a){['timeupdate','play','pause','ended','loadedmetadata']"
    ".forEach(function(ev){a.addEventListener(ev,function(){if(a===cur)show();});});});\n"
    "document.addEventListener('keydown',function(e){if(e.ctrlKey||e.metaKey||e.altKey)return;"
    "var k=(e.key||'').toLowerCase();if(k===' '){e.preventDefault();play.click();}"
    "else{var b=document.querySelector('.ab-sel[data-key=\"'+k+'\"]');if(b)b.click();}});\n"
    "show();})();\n";

/* A number cell whose text comes from the JSON value at POINTER. */
static void num_cell(lathe_text *t, const char *tag, const char *pointer, double v, int dec)
{
    lathe_text_printf(t, "<%s class=\"num\" data-json=\"%s\" data-decimals=\"%d\">", tag, pointer,
                      dec);
    lathe_text_num(t, v, dec);
    lathe_text_printf(t, "</%s>", tag);
}

static void format_line(lathe_text *t, const char *what, const char *path, const lathe_analysis *a)
{
    char dur[32];
    int mins = (int)(a->duration_s / 60.0);
    snprintf(dur, sizeof dur, "%d:%04.1f", mins, a->duration_s - 60.0 * mins);
    lathe_text_printf(t, "<p class=\"files\">%s <b>", what);
    lathe_text_html(t, path ? path : "(stream)");
    lathe_text_printf(t, "</b> \xc2\xb7 %s \xc2\xb7 %d Hz \xc2\xb7 %d ch", dur, a->info.rate_hz,
                      a->channels);
    if (a->info.container[0]) {
        lathe_text_put(t, " \xc2\xb7 ");
        lathe_text_html(t, a->info.container);
        lathe_text_put(t, " ");
        lathe_text_html(t, a->info.encoding);
    }
    lathe_text_put(t, "</p>");
}

static void time_text(char *b, size_t n, double s)
{
    long v = lround(s * 10.0);
    snprintf(b, n, "%ld:%02ld.%ld", v / 600, v / 10 % 60, v % 10);
}

typedef struct page {
    const lathe_report *r;
    json_t *root, *figures;
    lathe_excerpt ex[LATHE_EXCERPT_MAX];
    int nex;
    int fails, checks, target_known, target_met;
    char *explanation;            /* the text shown (given or written) */
    char audio_note[256];         /* why there is no A/B player, if it failed */
} page;

static lathe_status build_json(page *pg, char *err, size_t errlen)
{
    const lathe_report *r = pg->r;
    json_t *root = json_object();
    pg->root = root;
    json_object_set_new(root, "schema", json_string("lathe.report"));
    json_object_set_new(root, "schema_version", json_integer(1));
    json_object_set_new(root, "lathe_version", json_string(LATHE_VERSION_STRING));
    json_object_set_new(root, "command", json_string(r->command ? r->command : "analyze"));
    struct { const char *key, *path; const lathe_analysis *a; } files[3] = {
        { "input", r->input_path, r->input }, { "output", r->output_path, r->output },
        { "reference", r->reference_path, r->reference },
    };
    for (int i = 0; i < 3; i++) {
        char *s = NULL;
        json_t *a = NULL;
        if (files[i].a) {
            if (lathe_analysis_to_json(files[i].a, files[i].path, 0, &s) != LATHE_OK)
                return LATHE_ERR_NO_MEMORY;
            a = json_loads(s, 0, NULL);
            free(s);
            if (!a) {
                snprintf(err, errlen, "internal error: analysis JSON does not parse");
                return LATHE_ERR_INTERNAL;
            }
        }
        json_object_set_new(root, files[i].key, a ? json_pack("{s:o, s:o}", "path",
                                                              files[i].path ? json_string(files[i].path)
                                                                            : json_null(),
                                                              "analysis", a)
                                                  : json_null());
    }
    const lathe_target *t = r->target;
    json_object_set_new(root, "target", t ? json_pack("{s:s, s:s, s:o, s:o, s:f}", "name", t->name,
                                                      "title", target_title(t), "lufs", jnum(t->lufs),
                                                      "ceiling_dbtp", jnum(t->ceiling_dbtp),
                                                      "tolerance_lu", LATHE_REPORT_TOLERANCE_LU)
                                          : json_null());
    /* figures */
    pg->figures = json_array();
    json_object_set_new(root, "figures", pg->figures);
    const int has_out = r->output != NULL;
    for (size_t i = 0; i < NFIGS; i++) {
        const figdef *d = &figs[i];
        double in = fig_value(d, r->input), out = fig_value(d, r->output);
        if (d->stereo && isnan(in) && isnan(out))
            continue;
        char crit[96];
        verdict v = judge(d, in, out, has_out, t, crit, sizeof crit);
        pg->fails += v == V_FAIL;
        pg->checks += v == V_CHECK;
        json_t *fig = json_pack(
            "{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s, s:s}", "key", d->key, "label", d->label,
            "unit", d->unit, "path", d->path, "decimals", d->decimals, "input", jnum(in),
            "output", has_out ? jnum(out) : json_null(), "criterion", crit,
            "verdict", verdict_name[v]);
        if (fig && r->reference)    /* for comparison, without a verdict */
            json_object_set_new(fig, "reference", jnum(fig_value(d, r->reference)));
        json_array_append_new(pg->figures, fig);
    }
    /* the target verdict: the master's own, else loudness and peak from the figures */
    if (t && (isfinite(t->lufs) || isfinite(t->ceiling_dbtp))) {
        pg->target_known = 1;
        if (r->master) {
            pg->target_met = r->master->target_met;
        } else {
            const lathe_analysis *a = has_out ? r->output : r->input;
            pg->target_met = (!isfinite(t->lufs) || fabs(a->integrated_lufs - t->lufs)
                              <= LATHE_REPORT_TOLERANCE_LU + 1e-9)
                             && (!isfinite(t->ceiling_dbtp) || a->true_peak_dbtp <= t->ceiling_dbtp + 1e-9);
        }
    }
    json_object_set_new(root, "verdict", json_pack("{s:o, s:i, s:i}", "target_met",
                                                   pg->target_known ? json_boolean(pg->target_met)
                                                                    : json_null(),
                                                   "fails", pg->fails, "checks", pg->checks));
    /* master */
    if (r->master) {
        const lathe_master_result *m = r->master;
        json_t *grs = json_array();
        for (int i = 0; i < m->gr_count; i++) {
            const lathe_gr_series *g = &m->gr[i];
            json_t *vals = json_array();
            for (size_t k = 0; k < g->count; k++)
                json_array_append_new(vals, jnum(round(g->gr_db[k] * 1000.0) / 1000.0));
            json_array_append_new(grs, json_pack("{s:s, s:i, s:f, s:o, s:o, s:o, s:o}", "fx", g->fx,
                                                 "step", g->step, "step_s", g->step_s, "gr_max_db",
                                                 jnum(g->stats.gr_max_db), "gr_mean_db",
                                                 jnum(g->stats.gr_mean_db), "gr_active_percent",
                                                 jnum(g->stats.gr_active_percent), "gr_db", vals));
        }
        json_object_set_new(root, "master", json_pack(
            "{s:o, s:i, s:b, s:b, s:o, s:s, s:I, s:i, s:i, s:o}", "gain_db", jnum(m->gain_db),
            "passes", m->passes, "limiter_added", m->limiter_added, "target_met", m->target_met,
            "shortfall_lu", jnum(m->shortfall_lu), "note", m->note, "latency_frames",
            (json_int_t)m->latency_frames, "out_rate_hz", m->out_rate_hz, "out_bits", m->out_bits,
            "gain_reduction", grs));
    } else {
        json_object_set_new(root, "master", json_null());
    }
    /* excerpts */
    if (pg->nex) {
        json_t *src = json_array();
        for (int i = 0; i < pg->nex; i++) {
            const lathe_excerpt *x = &pg->ex[i];
            json_array_append_new(src, json_pack(
                "{s:s, s:s, s:s, s:f, s:f, s:o, s:o, s:s, s:s, s:i, s:i, s:I}", "id", x->id,
                "label", x->label, "file", x->path, "start_s", x->start_s, "duration_s",
                x->duration_s, "lufs", jnum(x->lufs), "gain_db", jnum(x->gain_db), "mime", x->mime,
                "codec", x->codec, "rate_hz", x->rate_hz, "channels", x->channels, "bytes",
                (json_int_t)x->size));
        }
        double matched = HUGE_VAL;
        for (int i = 0; i < pg->nex; i++)
            if (isfinite(pg->ex[i].lufs))
                matched = fmin(matched, pg->ex[i].lufs);
        json_object_set_new(root, "excerpt", json_pack("{s:s, s:o, s:o}", "matching",
                                                       "samples scaled before encoding",
                                                       "matched_lufs", jnum(matched),
                                                       "sources", src));
    } else {
        json_object_set_new(root, "excerpt", json_null());
    }
    json_object_set_new(root, "explanation", pg->explanation ? json_string(pg->explanation)
                                                             : json_null());
    json_t *recipe = r->recipe_json ? json_loads(r->recipe_json, 0, NULL) : NULL;
    json_object_set_new(root, "recipe", recipe ? recipe : json_null());
    return LATHE_OK;
}

static void html_head(lathe_text *t, const lathe_report *r, const char *title)
{
    lathe_text_put(t, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<meta name=\"generator\" content=\"lathe " LATHE_VERSION_STRING "\">\n"
                   "<link rel=\"icon\" href=\"data:,\">\n<title>");
    lathe_text_html(t, title);
    lathe_text_put(t, ": ");
    const char *base = r->output_path ? r->output_path : r->input_path;
    const char *slash = base ? strrchr(base, '/') : NULL;
    lathe_text_html(t, slash ? slash + 1 : base ? base : "");
    lathe_text_printf(t, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void html_header(lathe_text *t, page *pg, const char *title)
{
    const lathe_report *r = pg->r;
    lathe_text_put(t, "<header>\n<h1>");
    lathe_text_html(t, title);
    lathe_text_put(t, "</h1>\n");
    format_line(t, r->output ? "Input" : "File", r->input_path, r->input);
    if (r->output)
        format_line(t, "Output", r->output_path, r->output);
    if (r->reference)
        format_line(t, "Reference", r->reference_path, r->reference);
    if (r->target) {
        const lathe_target *tg = r->target;
        lathe_text_put(t, "<p class=\"files\">Target <b>");
        lathe_text_html(t, target_title(tg));
        lathe_text_put(t, "</b>");
        if (isfinite(tg->lufs)) {
            lathe_text_put(t, " \xc2\xb7 ");
            lathe_text_num(t, tg->lufs, 1);
            lathe_text_put(t, " LUFS");
        }
        if (isfinite(tg->ceiling_dbtp)) {
            lathe_text_put(t, " \xc2\xb7 ");
            lathe_text_num(t, tg->ceiling_dbtp, 1);
            lathe_text_put(t, " dBTP");
        }
        lathe_text_put(t, "</p>\n");
    }
    if (pg->target_known) {
        lathe_text_printf(t, "<p class=\"banner %s\" id=\"banner\">", pg->target_met ? "pass" : "fail");
        if (pg->target_met)
            lathe_text_put(t, "Target met");
        else {
            lathe_text_put(t, "Target not met");
            if (r->master && r->master->note[0]) {
                lathe_text_put(t, ": ");
                lathe_text_html(t, r->master->note);
            }
        }
        if (pg->checks)
            lathe_text_printf(t, " \xc2\xb7 %d figure%s to check below", pg->checks,
                              pg->checks == 1 ? "" : "s");
        lathe_text_put(t, "</p>\n");
    } else if (pg->fails || pg->checks) {
        lathe_text_printf(t, "<p class=\"banner %s\" id=\"banner\">%d problem%s, %d figure%s to "
                          "check below</p>\n", pg->fails ? "fail" : "info", pg->fails,
                          pg->fails == 1 ? "" : "s", pg->checks, pg->checks == 1 ? "" : "s");
    }
    lathe_text_put(t, "</header>\n");
}

/* Index of figure KEY in the JSON figures array, -1 if absent. */
static int fig_index(const page *pg, const char *key)
{
    size_t i;
    json_t *f;
    json_array_foreach(pg->figures, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "key")), key))
            return (int)i;
    return -1;
}

static double json_num(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void html_cards(lathe_text *t, page *pg)
{
    static const char *const keys[] = { "integrated", "true_peak", "lra", "plr" };
    const char *col = pg->r->output ? "output" : "input";
    lathe_text_put(t, "<div class=\"cards\">\n");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int i = fig_index(pg, keys[k]);
        if (i < 0)
            continue;
        json_t *f = json_array_get(pg->figures, (size_t)i);
        int dec = (int)json_integer_value(json_object_get(f, "decimals"));
        char ptr[64];
        lathe_text_put(t, "<div class=\"card\"><div class=\"k\">");
        lathe_text_html(t, json_string_value(json_object_get(f, "label")));
        lathe_text_put(t, "</div><div>");
        snprintf(ptr, sizeof ptr, "/figures/%d/%s", i, col);
        num_cell(t, "span", ptr, json_num(json_object_get(f, col)), dec);
        lathe_text_printf(t, "<span class=\"u\">%s</span>",
                          json_string_value(json_object_get(f, "unit")));
        const char *v = json_string_value(json_object_get(f, "verdict"));
        if (v[0])
            lathe_text_printf(t, " <span class=\"verdict %s\">%s</span>", v, v);
        lathe_text_put(t, "</div>");
        if (pg->r->output) {
            lathe_text_put(t, "<div class=\"s\">before ");
            snprintf(ptr, sizeof ptr, "/figures/%d/input", i);
            num_cell(t, "span", ptr, json_num(json_object_get(f, "input")), dec);
            lathe_text_put(t, "</div>");
        }
        lathe_text_put(t, "</div>\n");
    }
    lathe_text_put(t, "</div>\n");
}

static void html_figures(lathe_text *t, page *pg)
{
    const int has_out = pg->r->output != NULL;
    size_t i;
    json_t *f;
    lathe_text_put(t, "<section id=\"figures\">\n<h2>Figures</h2>\n<table class=\"figures\">"
                   "<thead><tr><th>Figure</th>");
    if (has_out)
        lathe_text_put(t, "<th class=\"num\">Before</th><th class=\"num\">After</th>");
    if (has_out && pg->r->reference)
        lathe_text_put(t, "<th class=\"num\">Reference</th>");
    if (!has_out)
        lathe_text_put(t, "<th class=\"num\">Value</th>");
    lathe_text_put(t, "<th></th><th>Criterion</th><th>Verdict</th></tr></thead>\n<tbody>\n");
    json_array_foreach(pg->figures, i, f) {
        char ptr[64];
        int dec = (int)json_integer_value(json_object_get(f, "decimals"));
        const char *v = json_string_value(json_object_get(f, "verdict"));
        lathe_text_printf(t, "<tr data-key=\"%s\"><td>", json_string_value(json_object_get(f, "key")));
        lathe_text_html(t, json_string_value(json_object_get(f, "label")));
        lathe_text_put(t, "</td>");
        snprintf(ptr, sizeof ptr, "/figures/%zu/input", i);
        num_cell(t, "td", ptr, json_num(json_object_get(f, "input")), dec);
        if (has_out) {
            snprintf(ptr, sizeof ptr, "/figures/%zu/output", i);
            num_cell(t, "td", ptr, json_num(json_object_get(f, "output")), dec);
        }
        if (has_out && pg->r->reference) {
            snprintf(ptr, sizeof ptr, "/figures/%zu/reference", i);
            num_cell(t, "td", ptr, json_num(json_object_get(f, "reference")), dec);
        }
        lathe_text_put(t, "<td class=\"unit\">");
        lathe_text_html(t, json_string_value(json_object_get(f, "unit")));
        lathe_text_put(t, "</td><td class=\"crit\">");
        lathe_text_html(t, json_string_value(json_object_get(f, "criterion")));
        lathe_text_put(t, "</td><td>");
        if (v[0])
            lathe_text_printf(t, "<span class=\"verdict %s\">%s</span>", v, v);
        lathe_text_put(t, "</td></tr>\n");
    }
    lathe_text_put(t, "</tbody></table>\n<p class=\"note\">Pass/fail: loudness within "
                   "\xc2\xb1" "0.1 LU of the target and true peak at or under its ceiling, "
                   "measured on the file as written. \xe2\x80\x9c" "Check\xe2\x80\x9d marks figures "
                   "worth a listen, not errors: PLR under 6 dB (heavily limited), loudness range "
                   "down by more than 3 LU, correlation windows under " MINUS "0.3 or a mono fold "
                   "losing more than 3 LU (mono compatibility), true peak over " MINUS "1 dBTP "
                   "without a target (lossy encoding may clip).</p>\n</section>\n");
}

static void html_player(lathe_text *t, page *pg)
{
    static const char *const keys[] = { "a", "b", "r" };
    if (!pg->nex) {
        if (pg->audio_note[0]) {
            lathe_text_put(t, "<section id=\"listen\" class=\"player\">\n<h2>Listen</h2>\n"
                           "<p class=\"note\">No A/B player: ");
            lathe_text_html(t, pg->audio_note);
            lathe_text_put(t, ".</p>\n</section>\n");
        }
        return;
    }
    const lathe_excerpt *x = pg->ex;
    char a[32], b[32];
    double matched = HUGE_VAL;
    for (int i = 0; i < pg->nex; i++)
        if (isfinite(pg->ex[i].lufs))
            matched = fmin(matched, pg->ex[i].lufs);
    time_text(a, sizeof a, x[0].start_s);
    time_text(b, sizeof b, x[0].start_s + x[0].duration_s);
    lathe_text_printf(t, "<section id=\"listen\" class=\"player\">\n<h2>Listen: before%s after%s "
                      "at equal loudness</h2>\n<p class=\"note\">", pg->nex > 2 ? "," : " and",
                      pg->nex > 2 ? " and the reference" : "");
    lathe_text_printf(t, "The loudest %.0f s of the %s (%s\xe2\x80\x93%s), ", x[0].duration_s,
                      pg->r->output ? "master" : "file", a, b);
    if (pg->nex > 2) {
        time_text(a, sizeof a, x[2].start_s);
        time_text(b, sizeof b, x[2].start_s + x[2].duration_s);
        lathe_text_printf(t, "the reference's own loudest %.0f s (%s\xe2\x80\x93%s), ",
                          x[2].duration_s, a, b);
    }
    lathe_text_put(t, "each excerpt measured on its own and the louder ones turned down in the "
                   "samples, so all play at ");
    lathe_text_num(t, matched, 1);
    lathe_text_put(t, " LUFS: you hear the difference in tone and dynamics, not in level. "
                   "Louder always sounds better, so an unmatched comparison misleads.");
    if (pg->r->input->channels > 2 || (pg->r->output && pg->r->output->channels > 2))
        lathe_text_put(t, " Surround files are folded to stereo to listen here (centre and "
                       "surrounds at " MINUS "3 dB, LFE left out); the loudness shown is the "
                       "fold's.");
    lathe_text_put(t, "</p>\n"
                   "<div class=\"ab\"><button type=\"button\" class=\"play\" id=\"ab-play\">"
                   "\xe2\x96\xb6 Play</button><span role=\"group\" aria-label=\"version\">");
    for (int i = 0; i < pg->nex; i++)
        lathe_text_printf(t, "<button type=\"button\" class=\"ab-sel%s\" data-target=\"ab-%s\" "
                          "data-key=\"%s\" aria-pressed=\"%s\">%c \xc2\xb7 %s</button> ",
                          i ? "" : " active", pg->ex[i].id, keys[i], i ? "false" : "true",
                          keys[i][0] - 'a' + 'A', pg->ex[i].label);
    lathe_text_put(t, "</span><input type=\"range\" id=\"ab-seek\" min=\"0\" max=\"30\" "
                   "step=\"0.01\" value=\"0\" aria-label=\"position\"><span id=\"ab-time\">"
                   "0:00 / 0:00</span></div>\n<p class=\"hint\">Switching keeps the position. "
                   "Keys: space plays or pauses; ");
    for (int i = 0; i < pg->nex; i++)
        lathe_text_printf(t, "%s%c selects %s", i ? ", " : "", keys[i][0] - 'a' + 'A',
                          pg->ex[i].label);
    lathe_text_put(t, ".</p>\n");
    for (int i = 0; i < pg->nex; i++) {
        lathe_text_printf(t, "<audio class=\"ab-audio\" id=\"ab-%s\" preload=\"auto\" "
                          "data-duration=\"%.6f\" src=\"data:%s;base64,", pg->ex[i].id,
                          pg->ex[i].duration_s, pg->ex[i].mime);
        lathe_text_base64(t, pg->ex[i].data, pg->ex[i].size);
        lathe_text_put(t, "\"></audio>\n");
    }
    lathe_text_put(t, "<table class=\"excerpts\"><thead><tr><th>Excerpt</th><th>File</th>"
                   "<th class=\"num\">From</th><th class=\"num\">Loudness</th>"
                   "<th class=\"num\">Gain applied</th><th>Encoding</th></tr></thead><tbody>\n");
    for (int i = 0; i < pg->nex; i++) {
        char ptr[64];
        const lathe_excerpt *e = &pg->ex[i];
        const char *slash = strrchr(e->path, '/');
        time_text(a, sizeof a, e->start_s);
        lathe_text_printf(t, "<tr><td>%c \xc2\xb7 ", keys[i][0] - 'a' + 'A');
        lathe_text_html(t, e->label);
        lathe_text_put(t, "</td><td>");
        lathe_text_html(t, slash ? slash + 1 : e->path);
        lathe_text_printf(t, "</td><td class=\"num\">%s</td>", a);
        snprintf(ptr, sizeof ptr, "/excerpt/sources/%d/lufs", i);
        lathe_text_put(t, "<td class=\"num\">");
        num_cell(t, "span", ptr, e->lufs, 1);
        lathe_text_put(t, " LUFS</td><td class=\"num\">");
        snprintf(ptr, sizeof ptr, "/excerpt/sources/%d/gain_db", i);
        num_cell(t, "span", ptr, e->gain_db, 1);
        lathe_text_printf(t, " dB</td><td>%s, %d Hz, %.0f kB</td></tr>\n", e->codec, e->rate_hz,
                          (double)e->size / 1000.0);
    }
    lathe_text_put(t, "</tbody></table>\n</section>\n");
}

static void html_plots(lathe_text *t, page *pg)
{
    const lathe_report *r = pg->r;
    const lathe_analysis *in = r->input, *out = r->output;
    double dur = fmax(in->duration_s, out ? out->duration_s : 0.0);
    lathe_plot_set ps = { in, out, r->reference, 0.0, r->target_curve_db, r->target_curve_label,
                          r->target ? r->target->lufs : NAN, NULL };
    if (r->reference) {
        /* loudness as heard: a mono file plays on two loudspeakers (+3.01 dB), while its
         * spectrum (the mean over channels) is that of the same signal on both */
        const lathe_analysis *lvl = out ? out : in, *ref = r->reference;
        double hl = lvl->integrated_lufs + (lvl->channels == 1 ? 3.0103 : 0.0);
        double hr = ref->integrated_lufs + (ref->channels == 1 ? 3.0103 : 0.0);
        if (isfinite(hl) && isfinite(hr))
            ps.reference_shift_db = hl - hr;
        if (r->reference_path) {
            const char *slash = strrchr(r->reference_path, '/');
            ps.reference_name = slash ? slash + 1 : r->reference_path;
        }
    }
    if (in->visuals || (out && out->visuals)) {
        lathe_text_put(t, "<section id=\"waveform\">\n<h2>Waveform</h2>\n");
        lathe_plot_waveform(t, in, "before", out ? "Before" : "Waveform", dur);
        if (out)
            lathe_plot_waveform(t, out, "after", "After", dur);
        lathe_text_put(t, "</section>\n");
    }
    lathe_text_put(t, "<section id=\"loudness-section\">\n<h2>Loudness</h2>\n");
    lathe_plot_loudness(t, &ps);
    lathe_text_put(t, "</section>\n<section id=\"spectrum-section\">\n<h2>Tonal balance</h2>\n");
    lathe_plot_spectrum(t, &ps);
    lathe_text_put(t, "</section>\n");
    if (r->master && r->master->gr_count) {
        lathe_text_put(t, "<section id=\"dynamics\">\n<h2>Dynamics</h2>\n");
        lathe_plot_gain_reduction(t, r->master, dur);
        lathe_text_put(t, "</section>\n");
    }
    /* an L/R pair with something above the density floor (-60 dB) */
    int stereo = (in->visuals && in->visuals->density_frames > 0)
                 || (out && out->visuals && out->visuals->density_frames > 0);
    if (stereo) {
        lathe_text_put(t, "<section id=\"stereo\">\n<h2>Stereo</h2>\n");
        lathe_plot_correlation(t, &ps);
        lathe_text_put(t, "<div class=\"pair\">");
        lathe_plot_density(t, in, "before", out ? "Stereo density: before" : "Stereo density");
        if (out)
            lathe_plot_density(t, out, "after", "Stereo density: after");
        lathe_text_put(t, "</div><p class=\"scope-note\">Each sample pair drawn at its direction "
                       "(L upper left, R upper right, mono straight up, out of phase sideways) and "
                       "level (0 dB at the rim, " MINUS "60 dB at the centre); darker cells hold "
                       "more of the music. A wide image spreads sideways, a narrow one stays near "
                       "the vertical.</p>\n</section>\n");
    }
}

static void html_explanation(lathe_text *t, page *pg)
{
    const lathe_report *r = pg->r;
    if (!pg->explanation && !r->recipe_json)
        return;
    lathe_text_put(t, "<section id=\"explanation\">\n<h2>What lathe did</h2>\n");
    if (pg->explanation)
        explanation_html(t, pg->explanation);
    if (r->recipe_json) {
        json_t *j = json_loads(r->recipe_json, 0, NULL);
        lathe_text_put(t, "<h3>Recipe</h3>\n<p class=\"note\">Saved with <code>--write-recipe"
                       "</code>, it reproduces this master bit for bit.</p>\n<pre id=\"recipe\">");
        if (json_is_object(j)) {
            /* one line per top-level key and per chain step */
            const char *key;
            json_t *v;
            size_t left = json_object_size(j);
            lathe_text_put(t, "{\n");
            json_object_foreach(j, key, v) {
                json_t *ks = json_string(key);
                char *k = ks ? json_dumps(ks, JSON_ENCODE_ANY) : NULL;
                json_decref(ks);
                lathe_text_put(t, "  ");
                lathe_text_html(t, k ? k : "?");
                lathe_text_put(t, ": ");
                free(k);
                if (json_is_array(v) && json_array_size(v) && (json_is_object(json_array_get(v, 0))
                                                               || json_is_string(json_array_get(v, 0)))) {
                    size_t i;
                    json_t *e;
                    lathe_text_put(t, "[\n");
                    json_array_foreach(v, i, e) {
                        char *one = lathe_json_dumps_exact(e, JSON_ENCODE_ANY
                                                              | JSON_PRESERVE_ORDER);
                        lathe_text_put(t, "    ");
                        lathe_text_html(t, one ? one : "?");
                        lathe_text_put(t, i + 1 < json_array_size(v) ? ",\n" : "\n");
                        free(one);
                    }
                    lathe_text_put(t, "  ]");
                } else {
                    char *one = lathe_json_dumps_exact(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
                    lathe_text_html(t, one ? one : "?");
                    free(one);
                }
                lathe_text_put(t, --left ? ",\n" : "\n");
            }
            lathe_text_put(t, "}");
        } else {
            lathe_text_html(t, r->recipe_json);
        }
        lathe_text_put(t, "</pre>\n");
        json_decref(j);
    }
    lathe_text_put(t, "</section>\n");
}

/* The explanation shown: the caller's, the recipe's own "explanation", or one written
 * from the recipe and the result. */
static char *choose_explanation(const lathe_report *r)
{
    if (r->explanation)
        return strdup(r->explanation);
    if (r->recipe_json) {
        json_t *j = json_loads(r->recipe_json, 0, NULL);
        json_t *e = j ? json_object_get(j, "explanation") : NULL;
        char *out = NULL;
        if (json_is_string(e)) {
            out = strdup(json_string_value(e));
        } else if (json_is_array(e)) {
            lathe_text t = { 0 };
            size_t i;
            json_t *s;
            json_array_foreach(e, i, s)
                if (json_is_string(s))
                    lathe_text_printf(&t, "- %s\n", json_string_value(s));
            out = t.failed ? NULL : t.s;
            if (t.failed)
                lathe_text_free(&t);
        }
        json_decref(j);
        if (out)
            return out;
    }
    if (!r->master && !r->recipe)
        return NULL;
    lathe_text t = { 0 };
    explain_master(&t, r);
    if (t.failed) {
        lathe_text_free(&t);
        return NULL;
    }
    return t.s;
}

lathe_status lathe_report_render(const lathe_report *r, char **html, size_t *len, char *err,
                                 size_t errlen)
{
    page pg;
    lathe_text t = { 0 };
    lathe_status st;
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = 0;
    if (!r || !html || !r->input) {
        snprintf(err, errlen, "a report needs the input's analysis");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    *html = NULL;
    if (len)
        *len = 0;
    memset(&pg, 0, sizeof pg);
    pg.r = r;
    const char *command = r->command ? r->command : "analyze";
    const char *title = !strcmp(command, "master") ? "Master report"
                        : !strcmp(command, "match") ? "Match report" : "Analysis report";

    /* A/B excerpts: the loudest passage of the output, the same time in the input. */
    if (!r->no_audio && r->output && r->input_path && r->output_path) {
        double len_s = r->excerpt_s > 0 ? r->excerpt_s : LATHE_REPORT_EXCERPT_S;
        double start = lathe_excerpt_loudest(r->output, len_s);
        double dur = fmin(len_s, fmin(r->input->duration_s, r->output->duration_s) - start);
        pg.ex[0] = (lathe_excerpt){ .id = "before", .label = "Before", .path = r->input_path,
                                    .start_s = start, .duration_s = dur };
        pg.ex[1] = (lathe_excerpt){ .id = "after", .label = "After", .path = r->output_path,
                                    .start_s = start, .duration_s = dur };
        pg.nex = 2;
        if (r->reference && r->reference_path) {
            double rs = lathe_excerpt_loudest(r->reference, len_s);
            pg.ex[2] = (lathe_excerpt){ .id = "reference", .label = "Reference",
                                        .path = r->reference_path, .start_s = rs,
                                        .duration_s = fmin(len_s, r->reference->duration_s - rs) };
            pg.nex = 3;
        }
        if (lathe_excerpts_make(pg.ex, pg.nex, pg.audio_note, sizeof pg.audio_note) != LATHE_OK) {
            pg.nex = 0;      /* the page without the player, saying why */
            if (!pg.audio_note[0])
                snprintf(pg.audio_note, sizeof pg.audio_note, "the excerpts could not be made");
        }
    }
    pg.explanation = choose_explanation(r);
    st = build_json(&pg, err, errlen);
    if (st != LATHE_OK)
        goto done;

    html_head(&t, r, title);
    html_header(&t, &pg, title);
    html_cards(&t, &pg);
    html_player(&t, &pg);
    html_figures(&t, &pg);
    html_plots(&t, &pg);
    html_explanation(&t, &pg);
    lathe_text_put(&t, "<footer>Made by lathe " LATHE_VERSION_STRING ". Loudness: ITU-R BS.1770-4 "
                   "and EBU R128 (Tech 3341, 3342); true peak 4\xc3\x97 oversampled below 96 kHz. "
                   "Every figure on this page is also in the JSON document embedded in it "
                   "(script#lathe-data).</footer>\n");
    /* The data: '<' escaped so that no "</script" or "<!--" can end or confuse the element. */
    {
        char *json = json_dumps(pg.root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        if (!json) {
            st = LATHE_ERR_NO_MEMORY;
            goto done;
        }
        lathe_text_put(&t, "<script type=\"application/json\" id=\"lathe-data\">");
        for (const char *p = json; *p; p++) {
            if (*p == '<')
                lathe_text_put(&t, "\\u003c");
            else
                lathe_text_putn(&t, p, 1);
        }
        free(json);
        lathe_text_put(&t, "</script>\n");
    }
    if (pg.nex)
        lathe_text_printf(&t, "<script>\n%s</script>\n", script);
    lathe_text_put(&t, "</body>\n</html>\n");
    if (t.failed) {
        st = LATHE_ERR_NO_MEMORY;
        goto done;
    }
    *html = t.s;
    if (len)
        *len = t.len;
    t.s = NULL;
    st = LATHE_OK;
done:
    if (st == LATHE_ERR_NO_MEMORY && !err[0])
        snprintf(err, errlen, "out of memory");
    lathe_text_free(&t);
    lathe_excerpts_free(pg.ex, pg.nex);
    json_decref(pg.root);
    free(pg.explanation);
    return st;
}

lathe_status lathe_report_write(const lathe_report *r, const char *path, char *err, size_t errlen)
{
    const char *audio[3];
    size_t n = 0;
    char *html = NULL, *tmp = NULL;
    size_t len = 0;
    lathe_status st;
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    if (!r || !path || !path[0]) {
        snprintf(err, errlen, "no report file given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (r->input_path)
        audio[n++] = r->input_path;
    if (r->output_path)
        audio[n++] = r->output_path;
    if (r->reference_path)
        audio[n++] = r->reference_path;
    if ((st = lathe_output_check(path, audio, n, 1, err, errlen)) != LATHE_OK)
        return st;
    if ((st = lathe_report_render(r, &html, &len, err, errlen)) != LATHE_OK)
        return st;
    size_t plen = strlen(path);
    if (!(tmp = malloc(plen + 32))) {
        free(html);
        snprintf(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    /* beside the destination, so the rename stays on one file system */
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(tmp, plen + 32, "%.*s.%s.lathe-XXXXXX", (int)dir, path, path + dir);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && fwrite(html, 1, len, f) == len;
    if (f) {
        ok &= fflush(f) == 0;
        ok &= fclose(f) == 0;
    } else if (fd >= 0) {
        close(fd);
    }
    if (ok)
        ok = chmod(tmp, 0644) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        st = LATHE_ERR_WRITE;
    }
    free(tmp);
    free(html);
    return st;
}
