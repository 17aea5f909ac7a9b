/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared pieces of the lathe command: exit codes, messages, progress, formatting. */
#ifndef LATHE_CLI_H
#define LATHE_CLI_H

#include <stdio.h>
#include "lathe/lathe.h"

/* Exit codes (README "Exit codes"). With several files, the largest code wins. */
enum {
    LATHE_EXIT_OK = 0,
    LATHE_EXIT_USAGE = 2,     /* bad command line: unknown option, missing or absurd value */
    LATHE_EXIT_INPUT = 3,     /* an input cannot be read: missing, not audio, unsupported,
                                 truncated, empty */
    LATHE_EXIT_AUDIO = 4,     /* an input's audio is invalid: NaN/Inf samples */
    LATHE_EXIT_OUTPUT = 5,    /* an output cannot be written */
    LATHE_EXIT_TARGET = 6,    /* a target cannot be met (with --strict) */
    LATHE_EXIT_INTERNAL = 70  /* out of memory or a bug */
};

extern const char *lathe_prog;

/* "lathe: WHAT: WHY" on stderr. */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a library status on an input file. */
int cli_exit_for_status(lathe_status st);

/* Progress bar on stderr, only when stderr is a terminal. */
typedef struct cli_progress {
    int enabled;
    const char *label;
    int last_permille;
} cli_progress;
void cli_progress_begin(cli_progress *p, const char *label);
int cli_progress_cb(void *user, double fraction);
void cli_progress_end(cli_progress *p);

/* Parses a double with optional range check; returns 0 on success. */
int cli_parse_double(const char *s, double lo, double hi, double *out);

/* Output options shared by master and match: on a bad value, print one line naming
 * COMMAND and the option, and return LATHE_EXIT_USAGE; 0 when *OUT was set. */
int cli_opt_rate(const char *command, const char *arg, int *out);
int cli_opt_bits(const char *command, const char *arg, int *out);
int cli_opt_dither(const char *command, const char *arg, int *out);
int cli_opt_seed(const char *command, const char *arg, long long *out);

/* Writes TEXT and a newline to PATH; 0 on success, -1 on any error. */
int cli_write_text(const char *path, const char *text);
/* getopt_long's ':' (missing value) or '?' (unknown option) for ARG: one line naming
 * COMMAND; returns LATHE_EXIT_USAGE. */
int cli_option_error(const char *command, int opt, const char *arg);

/* Formats V with DECIMALS into BUF ("-inf" for -inf, "n/a" for NAN). */
const char *cli_fmt(char *buf, size_t len, double v, int decimals);

int cmd_analyze(int argc, char **argv);
void help_analyze(FILE *to);
int cmd_master(int argc, char **argv);
void help_master(FILE *to);
int cmd_fx(int argc, char **argv);
void help_fx(FILE *to);
int cmd_targets(int argc, char **argv);
void help_targets(FILE *to);
int cmd_match(int argc, char **argv);
void help_match(FILE *to);

#endif
