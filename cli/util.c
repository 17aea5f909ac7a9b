/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messages, exit codes, progress bar and number formatting for the lathe command. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

const char *lathe_prog = "lathe";

void cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", lathe_prog);
    if (what)
        fprintf(stderr, "%s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for_status(lathe_status st)
{
    switch (st) {
    case LATHE_OK: return LATHE_EXIT_OK;
    case LATHE_ERR_OPEN: case LATHE_ERR_FORMAT: case LATHE_ERR_TRUNCATED: case LATHE_ERR_EMPTY:
    case LATHE_ERR_UNSUPPORTED: case LATHE_ERR_READ:
        return LATHE_EXIT_INPUT;
    case LATHE_ERR_NON_FINITE: return LATHE_EXIT_AUDIO;
    case LATHE_ERR_WRITE: return LATHE_EXIT_OUTPUT;
    case LATHE_ERR_INVALID_ARGUMENT: return LATHE_EXIT_USAGE;
    case LATHE_ERR_TARGET: return LATHE_EXIT_TARGET;
    default: return LATHE_EXIT_INTERNAL;
    }
}

void cli_progress_begin(cli_progress *p, const char *label)
{
    p->enabled = isatty(STDERR_FILENO);
    p->label = label;
    p->last_permille = -1;
}

int cli_progress_cb(void *user, double fraction)
{
    cli_progress *p = user;
    if (!p->enabled)
        return 0;
    /* Redraw on whole-percent steps only: about a hundred writes per run. */
    int permille = (int)(fraction * 100.0) * 10;
    if (permille == p->last_permille)
        return 0;
    p->last_permille = permille;
    int width = 30, fill = (int)(fraction * width + 0.5);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%-24.24s [%s] %5.1f%%", p->label, bar, fraction * 100.0);
    fflush(stderr);
    return 0;
}

void cli_progress_end(cli_progress *p)
{
    if (p->enabled && p->last_permille >= 0) {
        fprintf(stderr, "\r%*s\r", 70, "");
        fflush(stderr);
    }
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

const char *cli_fmt(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else if (isinf(v))
        snprintf(buf, len, v < 0 ? "-inf" : "+inf");
    else
        snprintf(buf, len, "%.*f", decimals, v);
    /* "-0.0" (a tiny negative rounded to zero) reads as "0.0" */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
    return buf;
}

int cli_opt_rate(const char *cmd, const char *arg, int *out)
{
    double v;
    if (cli_parse_double(arg, 8000, 384000, &v) || v != floor(v)) {
        cli_error(cmd, "--rate: '%s' is not a rate from 8000 to 384000 Hz", arg);
        return LATHE_EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

int cli_opt_bits(const char *cmd, const char *arg, int *out)
{
    double v;
    if (cli_parse_double(arg, 16, 32, &v) || (v != 16 && v != 20 && v != 24 && v != 32)) {
        cli_error(cmd, "--bits: '%s' is not 16, 20, 24 or 32 (float)", arg);
        return LATHE_EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

int cli_opt_dither(const char *cmd, const char *arg, int *out)
{
    lathe_dither_type d;
    if (lathe_dither_parse(arg, &d) != LATHE_OK) {
        cli_error(cmd, "--dither: '%s' is not none, tpdf or shaped", arg);
        return LATHE_EXIT_USAGE;
    }
    *out = (int)d;
    return 0;
}

int cli_opt_seed(const char *cmd, const char *arg, long long *out)
{
    double v;
    if (cli_parse_double(arg, 0, 4294967295.0, &v) || v != floor(v)) {
        cli_error(cmd, "--seed: '%s' is not a whole number 0..4294967295", arg);
        return LATHE_EXIT_USAGE;
    }
    *out = (long long)v;
    return 0;
}

int cli_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int cli_option_error(const char *command, int opt, const char *arg)
{
    if (opt == ':')
        cli_error(command, "option '%s' needs a value", arg);
    else
        cli_error(command, "unknown option '%s' (see 'lathe help %s')", arg, command);
    return LATHE_EXIT_USAGE;
}
