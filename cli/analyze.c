/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe analyze: per-file figures as a table or JSON. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void help_analyze(FILE *to)
{
    fprintf(to,
        "Usage: lathe analyze [OPTIONS] FILE...\n"
        "\n"
        "Measures each file in one streaming pass (constant memory) and prints:\n"
        "  format      duration, sample rate, channels, sample format\n"
        "  loudness    integrated (LUFS), loudness range (LU), max momentary and\n"
        "              short-term (LUFS) - ITU-R BS.1770-4, EBU R128 / Tech 3341 / 3342\n"
        "  peaks       true peak per channel and overall (dBTP, 4x oversampled below\n"
        "              96 kHz), sample peak (dBFS), PLR (true peak - integrated, dB)\n"
        "  level       RMS (dBFS; a full-scale sine reads -3.01), crest factor (dB),\n"
        "              DC offset per channel\n"
        "  stereo      correlation (whole file and minimum over 400 ms windows),\n"
        "              side/mid energy (dB), loudness change folded to mono (LU)\n"
        "  problems    clipped runs (>= 3 samples at full scale), NaN/Inf samples,\n"
        "              leading and trailing silence (ms)\n"
        "  spectrum    long-term 1/3-octave bands 20 Hz - 20 kHz (dB)\n"
        "One file gives a detailed table; several give one summary table (one row per\n"
        "file), or the detail of each with --detail. --json prints a JSON object (one\n"
        "file) or array (several), with momentary and short-term loudness every 100 ms;\n"
        "the schema is in docs/analysis-schema.md.\n"
        "\n"
        "Options:\n"
        "  --json                 print JSON instead of a table\n"
        "  --detail               the detailed table for every file\n"
        "  --channels ROLES       channel roles for loudness weighting, comma-separated\n"
        "                         from L,R,C,LFE,Ls,Rs,Lb,Rb,M (default: the file's\n"
        "                         channel map, else ITU order for the channel count)\n"
        "  --silence-threshold DB level below which audio counts as silence, dBFS\n"
        "                         (-200..-1, default -60)\n"
        "  --no-true-peak         skip true peak (faster)\n"
        "  --no-spectrum          skip the 1/3-octave spectrum (faster)\n"
        "  --report FILE.html     also write a self-contained HTML report with plots\n"
        "                         (waveform, loudness over time, spectrum, stereo); one\n"
        "                         input file only (docs/report.md)\n"
        "  -h, --help             this help\n"
        "\n"
        "Exit codes: 0 all files analysed; 2 bad command line; 3 a file could not be\n"
        "read (missing, not audio, unsupported, truncated, empty); 4 a file holds\n"
        "NaN/Inf samples (its figures are still printed, those samples measured as 0);\n"
        "70 internal error. With several files the largest code wins; one failing file\n"
        "does not stop the others.\n");
}

static void print_section(const char *title)
{
    printf("\n%s\n", title);
}

static void row(const char *label, const char *value, const char *unit)
{
    printf("  %-24s %12s %s\n", label, value, unit);
}

static void print_detail(const char *path, const lathe_analysis *a)
{
    char b[64], b2[64];
    const lathe_audio_info *in = &a->info;
    int mins = (int)(a->duration_s / 60.0);

    printf("%s\n", path);
    print_section("Format");
    snprintf(b, sizeof b, "%d:%06.3f", mins, a->duration_s - 60.0 * mins);
    row("duration", b, "m:s");
    snprintf(b, sizeof b, "%d", in->rate_hz);
    row("sample rate", b, "Hz");
    {
        char roles[64] = "";
        for (int c = 0; c < a->channels; c++) {
            strcat(roles, c ? " " : "");
            strcat(roles, lathe_channel_role_name(in->roles[c]));
        }
        snprintf(b, sizeof b, "%d", a->channels);
        row("channels", b, roles);
    }
    snprintf(b, sizeof b, "%s", in->container);
    row("container", b, in->encoding);

    print_section("Loudness");
    row("integrated", cli_fmt(b, sizeof b, a->integrated_lufs, 1), "LUFS");
    row("loudness range", cli_fmt(b, sizeof b, a->loudness_range_lu, 1), "LU");
    row("max momentary", cli_fmt(b, sizeof b, a->max_momentary_lufs, 1), "LUFS");
    row("max short-term", cli_fmt(b, sizeof b, a->max_short_term_lufs, 1), "LUFS");

    print_section("Peaks");
    row("true peak", cli_fmt(b, sizeof b, a->true_peak_dbtp, 2), "dBTP");
    row("sample peak", cli_fmt(b, sizeof b, a->sample_peak_dbfs, 2), "dBFS");
    row("PLR", cli_fmt(b, sizeof b, a->plr_db, 1), "dB");

    print_section("Level");
    row("RMS", cli_fmt(b, sizeof b, a->rms_dbfs, 2), "dBFS");
    row("crest factor", cli_fmt(b, sizeof b, a->crest_db, 1), "dB");

    if (!isnan(a->correlation) || !isnan(a->side_mid_db)) {
        print_section("Stereo");
        row("correlation", cli_fmt(b, sizeof b, a->correlation, 2), "");
        row("min correlation (400ms)", cli_fmt(b, sizeof b, a->min_correlation, 2), "");
        row("side/mid", cli_fmt(b, sizeof b, a->side_mid_db, 1), "dB");
        row("mono fold change", cli_fmt(b, sizeof b, a->mono_loss_lu, 1), "LU");
    }

    print_section("Problems");
    snprintf(b, sizeof b, "%lld", (long long)a->clip_runs);
    snprintf(b2, sizeof b2, "(%lld samples)", (long long)a->clipped_samples);
    row("clipped runs", b, b2);
    snprintf(b, sizeof b, "%lld", (long long)a->non_finite_samples);
    row("NaN/Inf samples", b, "");
    row("leading silence", cli_fmt(b, sizeof b, a->leading_silence_ms, 0), "ms");
    row("trailing silence", cli_fmt(b, sizeof b, a->trailing_silence_ms, 0), "ms");

    print_section("Channels");
    printf("  %-5s %10s %10s %10s %8s %10s %6s\n", "", "true peak", "peak", "RMS", "crest",
           "DC", "clips");
    printf("  %-5s %10s %10s %10s %8s %10s %6s\n", "", "dBTP", "dBFS", "dBFS", "dB", "%FS", "");
    for (int c = 0; c < a->channels; c++) {
        const lathe_channel_stats *cs = &a->channel[c];
        char t1[32], t2[32], t3[32], t4[32];
        printf("  %-5s %10s %10s %10s %8s %10.4f %6lld\n", lathe_channel_role_name(cs->role),
               cli_fmt(t1, sizeof t1, cs->true_peak_dbtp, 2),
               cli_fmt(t2, sizeof t2, cs->sample_peak_dbfs, 2),
               cli_fmt(t3, sizeof t3, cs->rms_dbfs, 2), cli_fmt(t4, sizeof t4, cs->crest_db, 1),
               cs->dc_offset * 100.0, (long long)cs->clip_runs);
    }

    if (!isnan(a->spectrum_db[17])) {
        print_section("Spectrum (1/3 octave, dB re full-scale sine power)");
        /* IEC 61260 nominal names of the base-10 centres 1000 * 10^(k/10). */
        static const char *const nominal[LATHE_THIRD_OCTAVE_BANDS] = {
            "20", "25", "31.5", "40", "50", "63", "80", "100", "125", "160", "200",
            "250", "315", "400", "500", "630", "800", "1k", "1.25k", "1.6k", "2k", "2.5k",
            "3.15k", "4k", "5k", "6.3k", "8k", "10k", "12.5k", "16k", "20k" };
        for (int bnd = 0; bnd < LATHE_THIRD_OCTAVE_BANDS; bnd++) {
            printf("  %6s Hz %7s", nominal[bnd], cli_fmt(b, sizeof b, a->spectrum_db[bnd], 1));
            if (isfinite(a->spectrum_db[bnd])) {
                int bar = (int)((a->spectrum_db[bnd] + 90.0) / 2.0);
                printf("  ");
                for (int i = 0; i < bar && i < 45; i++)
                    putchar('|');
            }
            putchar('\n');
        }
    }
}

static void print_summary_header(void)
{
    printf("%-32s %8s %9s %6s %8s %8s %6s %7s %6s %6s %s\n", "file", "length", "integr.",
           "LRA", "true pk", "peak", "PLR", "RMS", "corr", "clips", "notes");
    printf("%-32s %8s %9s %6s %8s %8s %6s %7s %6s %6s\n", "", "m:s", "LUFS", "LU", "dBTP",
           "dBFS", "dB", "dBFS", "", "");
}

static void print_summary_row(const char *path, const lathe_analysis *a, const char *note)
{
    char b[8][32];
    const char *name = path;
    size_t len = strlen(path);
    if (len > 32)
        name = path + len - 32;
    int mins = (int)(a->duration_s / 60.0);
    snprintf(b[0], sizeof b[0], "%d:%04.1f", mins, a->duration_s - 60.0 * mins);
    printf("%-32s %8s %9s %6s %8s %8s %6s %7s %6s %6lld %s\n", name, b[0],
           cli_fmt(b[1], 32, a->integrated_lufs, 1), cli_fmt(b[2], 32, a->loudness_range_lu, 1),
           cli_fmt(b[3], 32, a->true_peak_dbtp, 2), cli_fmt(b[4], 32, a->sample_peak_dbfs, 2),
           cli_fmt(b[5], 32, a->plr_db, 1), cli_fmt(b[6], 32, a->rms_dbfs, 1),
           cli_fmt(b[7], 32, a->correlation, 2), (long long)a->clip_runs, note ? note : "");
}

int cmd_analyze(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_DETAIL, OPT_CHANNELS, OPT_SILENCE, OPT_NO_TP, OPT_NO_SPEC,
           OPT_REPORT };
    static const struct option opts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "detail", no_argument, NULL, OPT_DETAIL },
        { "channels", required_argument, NULL, OPT_CHANNELS },
        { "silence-threshold", required_argument, NULL, OPT_SILENCE },
        { "no-true-peak", no_argument, NULL, OPT_NO_TP },
        { "no-spectrum", no_argument, NULL, OPT_NO_SPEC },
        { "report", required_argument, NULL, OPT_REPORT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lathe_analysis_config cfg;
    int json = 0, detail = 0, opt, nroles = 0;
    const char *report = NULL;

    lathe_analysis_config_defaults(&cfg);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: json = 1; break;
        case OPT_DETAIL: detail = 1; break;
        case OPT_NO_TP: cfg.true_peak = 0; break;
        case OPT_NO_SPEC: cfg.spectrum = 0; break;
        case OPT_REPORT: report = optarg; cfg.visuals = 1; break;
        case OPT_SILENCE:
            if (cli_parse_double(optarg, -200.0, -1.0, &cfg.silence_dbfs)) {
                cli_error("analyze", "--silence-threshold: '%s' is not a level from -200 to -1 dBFS",
                          optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case OPT_CHANNELS: {
            char *list = strdup(optarg), *save = NULL;
            nroles = 0;
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (nroles == LATHE_MAX_CHANNELS
                    || lathe_channel_role_parse(tok, &cfg.roles[nroles]) != LATHE_OK) {
                    cli_error("analyze", "--channels: '%s' is not a list of up to %d roles from "
                              "L,R,C,LFE,Ls,Rs,Lb,Rb,M", optarg, LATHE_MAX_CHANNELS);
                    free(list);
                    return LATHE_EXIT_USAGE;
                }
                nroles++;
            }
            free(list);
            cfg.use_roles = 1;
            break;
        }
        case 'h': help_analyze(stdout); return LATHE_EXIT_OK;
        default:
            return cli_option_error("analyze", opt, argv[optind - 1]);
        }
    }
    int nfiles = argc - optind;
    if (nfiles < 1) {
        cli_error("analyze", "no input file (see 'lathe help analyze')");
        return LATHE_EXIT_USAGE;
    }

    if (report && nfiles != 1) {
        cli_error("analyze", "--report takes one input file (%d given)", nfiles);
        return LATHE_EXIT_USAGE;
    }

    int worst = LATHE_EXIT_OK, printed = 0;
    int summary = nfiles > 1 && !detail && !json;
    if (json && nfiles > 1)
        printf("[\n");
    if (summary)
        print_summary_header();
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        lathe_analysis a;
        char err[512] = "";
        cli_progress prog;

        if (cfg.use_roles) {
            /* The role list must match the file's channel count: checked per file. */
            lathe_reader *rd;
            if (lathe_reader_open(path, &rd, NULL, 0) == LATHE_OK) {
                int ch = lathe_reader_info(rd)->channels;
                lathe_reader_close(rd);
                if (ch != nroles) {
                    cli_error(path, "--channels names %d roles but the file has %d channels",
                              nroles, ch);
                    worst = worst > LATHE_EXIT_USAGE ? worst : LATHE_EXIT_USAGE;
                    continue;
                }
            }
        }
        cli_progress_begin(&prog, path);
        lathe_status st = lathe_analyze_file(path, &cfg, &a, err, sizeof err, cli_progress_cb, &prog);
        cli_progress_end(&prog);
        int code = cli_exit_for_status(st);
        if (code > worst)
            worst = code;
        if (st != LATHE_OK && st != LATHE_ERR_NON_FINITE) {
            cli_error(path, "%s", err[0] ? err : lathe_status_str(st));
            continue;
        }
        if (st == LATHE_ERR_NON_FINITE)
            cli_error(path, "%s", err);
        if (json) {
            char *text = NULL;
            if (lathe_analysis_to_json(&a, path, 2, &text) != LATHE_OK) {
                cli_error(path, "cannot build JSON (out of memory)");
                worst = LATHE_EXIT_INTERNAL;
            } else {
                printf("%s%s", printed ? ",\n" : "", text);
                free(text);
                printed++;
            }
        } else if (summary) {
            print_summary_row(path, &a, st == LATHE_ERR_NON_FINITE ? "NaN/Inf" : NULL);
        } else {
            if (printed)
                printf("\n");
            print_detail(path, &a);
            printed++;
        }
        if (report) {
            lathe_report r;
            lathe_report_init(&r);
            r.command = "analyze";
            r.input_path = path;
            r.input = &a;
            st = lathe_report_write(&r, report, err, sizeof err);
            if (st != LATHE_OK) {
                cli_error(report, "%s", err);
                code = st == LATHE_ERR_NO_MEMORY ? LATHE_EXIT_INTERNAL : LATHE_EXIT_OUTPUT;
                worst = code > worst ? code : worst;
            } else {
                fprintf(stderr, "%s: report written to %s\n", lathe_prog, report);
            }
        }
        lathe_analysis_free(&a);
    }
    if (json && nfiles > 1)
        printf("\n]\n");
    else if (json && printed)
        printf("\n");
    return worst;
}
