/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe: the command-line front end. Parses the subcommand and hands over. */
#include <string.h>
#include "cli.h"

typedef struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *to);
} command;

static const command commands[] = {
    { "analyze", "measure loudness, peaks, levels, stereo, problems and spectrum",
      cmd_analyze, help_analyze },
    { "master", "master a mix to a loudness and true-peak target", cmd_master, help_master },
    { "match", "match a mix to reference masters (loudness, tone, width, dynamics)", cmd_match,
      help_match },
    { "fx", "list processors and their parameters", cmd_fx, help_fx },
    { "targets", "list delivery targets (platforms, broadcast, CD)", cmd_targets, help_targets },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
    fprintf(to,
            "lathe %s - audio mastering: analyse, master, deliver\n"
            "\n"
            "Usage: lathe COMMAND [OPTIONS] [FILE...]\n"
            "       lathe help COMMAND\n"
            "       lathe --version\n"
            "\n"
            "Commands:\n",
            lathe_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to,
            "\n"
            "Exit codes: 0 ok, 2 bad command line, 3 input unreadable, 4 invalid audio\n"
            "(NaN/Inf), 5 output not writable, 6 target not met (--strict), 70 internal error.\n"
            "Run 'lathe help COMMAND' for a command's options.\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    /* American and British spellings both work. */
    if (strcmp(name, "analyse") == 0)
        return find("analyze");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LATHE_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return LATHE_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("lathe %s\n", lathe_version());
        return LATHE_EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            return LATHE_EXIT_OK;
        }
        const command *c = find(argv[2]);
        if (!c) {
            cli_error(NULL, "unknown command '%s' (see 'lathe --help')", argv[2]);
            return LATHE_EXIT_USAGE;
        }
        c->help(stdout);
        return LATHE_EXIT_OK;
    }
    const command *c = find(cmd);
    if (!c) {
        cli_error(NULL, "unknown command '%s' (see 'lathe --help')", cmd);
        return LATHE_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
