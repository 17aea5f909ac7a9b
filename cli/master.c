/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe master: an input to a delivered master at a target's loudness and ceiling. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

void help_master(FILE *to)
{
    fprintf(to,
        "Usage: lathe master INPUT -o OUTPUT [OPTIONS]\n"
        "\n"
        "Masters INPUT to a delivery target: the integrated loudness within 0.1 LU of the\n"
        "target and the true peak at or under the ceiling, both measured on the file as\n"
        "written (final rate and word length). Without --recipe a safe default chain is\n"
        "used: DC blocker -> gentle glue compression -> true-peak limiter. When the target\n"
        "would need more limiting than the maximum, lathe stops there, writes the file and\n"
        "says how far short it fell and why (--strict makes that an error).\n"
        "The output is sample-aligned with the input and has its length; it is written to a\n"
        "temporary file beside OUTPUT and renamed on success. Inputs are never written.\n"
        "\n"
        "Target (default: spotify):\n"
        "  -t, --target NAME      a delivery target (see 'lathe targets')\n"
        "      --lufs X           integrated loudness target, LUFS (-70..0)\n"
        "      --ceiling Y        true-peak ceiling, dBTP (-20..0)\n"
        "      --max-limiting DB  most peak gain reduction the limiter may use (0..30, default 6)\n"
        "      --no-loudness      no loudness normalisation (the recipe's levels as they are)\n"
        "  -r, --recipe FILE      a JSON recipe (docs/recipes.md); its target is the default,\n"
        "                         options given here override it\n"
        "Automatic mastering (docs/auto.md):\n"
        "      --auto             decide the chain from the analysis: resonance and tonal EQ\n"
        "                         towards a target curve, width, bass mono, de-essing,\n"
        "                         compression, limiter; every decision is printed with the\n"
        "                         measurement and the rule behind it\n"
        "      --amount P         scale every corrective move, 0..100 %% (default 100)\n"
        "      --style NAME       balanced (default), natural, loud, warm or bright\n"
        "      --explain FILE     also write the explanation as plain text\n"
        "Output:\n"
        "  -o, --output FILE      the master (.wav .flac .aiff .w64 .rf64 .caf)\n"
        "      --format NAME      container, overriding the extension\n"
        "      --rate HZ          output sample rate (libsoxr, very high quality)\n"
        "      --bits N           16, 20 or 24 (PCM, dithered) or 32 (float); default 24\n"
        "      --dither TYPE      none, tpdf (default) or shaped\n"
        "      --seed N           dither seed (same input, recipe and seed: same bits)\n"
        "  -y, --force            replace OUTPUT if it exists\n"
        "      --strict           a target that cannot be met is an error (exit 6)\n"
        "      --write-recipe F   save the recipe used (reproduces the master bit for bit)\n"
        "      --json             print the figures before and after as JSON\n"
        "      --report FILE.html a self-contained HTML report: figures before and after\n"
        "                         with pass/fail, plots, the recipe, and an A/B player of\n"
        "                         the loudest 30 s at equal loudness (docs/report.md)\n"
        "  -h, --help             this help\n"
        "\n"
        "Exit codes: 0 written (check the notes when the target was not met), 2 bad command\n"
        "line or recipe, 3 input unreadable, 4 input has NaN/Inf samples, 5 output cannot be\n"
        "written (exists without --force, is an input, disk full), 6 target not met with\n"
        "--strict, 70 internal error.\n");
}

static void figure_row(const char *label, double before, double after, const char *unit, int dec,
                       const char *verdict)
{
    char a[32], b[32];
    printf("  %-22s %10s %10s  %-5s %s\n", label, cli_fmt(a, sizeof a, before, dec),
           cli_fmt(b, sizeof b, after, dec), unit, verdict ? verdict : "");
}

/* The recipe as JSON for the report, with the "explanation" of the recipe file (as
 * `lathe match --auto` writes it) carried over. Caller frees; NULL if out of memory. */
static char *recipe_json_with_explanation(const lathe_recipe *r, const char *path)
{
    char *text = NULL;
    if (lathe_recipe_to_json(r, &text) != LATHE_OK)
        return NULL;
    json_t *file = path ? json_load_file(path, 0, NULL) : NULL;
    json_t *e = file ? json_object_get(file, "explanation") : NULL;
    if (e) {
        json_t *j = json_loads(text, 0, NULL);
        if (j && json_object_set(j, "explanation", e) == 0) {
            char *with = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
            if (with) {
                free(text);
                text = with;
            }
        }
        json_decref(j);
    }
    json_decref(file);
    return text;
}

int cmd_master(int argc, char **argv)
{
    enum { O_LUFS = 256, O_CEIL, O_MAXLIM, O_NOLOUD, O_FORMAT, O_RATE, O_BITS, O_DITHER, O_SEED,
           O_STRICT, O_WRECIPE, O_JSON, O_REPORT, O_AUTO, O_AMOUNT, O_STYLE, O_EXPLAIN };
    static const struct option opts[] = {
        { "target", required_argument, NULL, 't' }, { "lufs", required_argument, NULL, O_LUFS },
        { "ceiling", required_argument, NULL, O_CEIL },
        { "max-limiting", required_argument, NULL, O_MAXLIM },
        { "no-loudness", no_argument, NULL, O_NOLOUD },
        { "recipe", required_argument, NULL, 'r' }, { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, O_FORMAT }, { "rate", required_argument, NULL, O_RATE },
        { "bits", required_argument, NULL, O_BITS }, { "dither", required_argument, NULL, O_DITHER },
        { "seed", required_argument, NULL, O_SEED }, { "force", no_argument, NULL, 'y' },
        { "strict", no_argument, NULL, O_STRICT },
        { "write-recipe", required_argument, NULL, O_WRECIPE },
        { "json", no_argument, NULL, O_JSON }, { "help", no_argument, NULL, 'h' },
        { "report", required_argument, NULL, O_REPORT },
        { "auto", no_argument, NULL, O_AUTO }, { "amount", required_argument, NULL, O_AMOUNT },
        { "style", required_argument, NULL, O_STYLE },
        { "explain", required_argument, NULL, O_EXPLAIN },
        { NULL, 0, NULL, 0 },
    };
    const char *target = NULL, *recipe_path = NULL, *output = NULL, *format = NULL, *wrecipe = NULL;
    const char *report = NULL, *style = NULL, *explain = NULL;
    int autom = 0;
    double amount = 100.0;
    lathe_explanation ex;
    lathe_explanation_init(&ex);
    double lufs = NAN, ceiling = NAN, maxlim = NAN;
    int rate = -1, bits = -1, dither = -1, noloud = 0, force = 0, strict = 0, json = 0, opt;
    long long seed = -1;
    char err[512] = "";

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":t:r:o:yh", opts, NULL)) != -1) {
        switch (opt) {
        case 't': target = optarg; break;
        case 'r': recipe_path = optarg; break;
        case 'o': output = optarg; break;
        case 'y': force = 1; break;
        case O_NOLOUD: noloud = 1; break;
        case O_STRICT: strict = 1; break;
        case O_JSON: json = 1; break;
        case O_FORMAT: format = optarg; break;
        case O_WRECIPE: wrecipe = optarg; break;
        case O_REPORT: report = optarg; break;
        case O_AUTO: autom = 1; break;
        case O_STYLE: style = optarg; break;
        case O_EXPLAIN: explain = optarg; break;
        case O_AMOUNT:
            if (cli_parse_double(optarg, 0.0, 100.0, &amount)) {
                cli_error("master", "--amount: '%s' is not a percentage from 0 to 100", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_LUFS:
            if (cli_parse_double(optarg, -70.0, 0.0, &lufs)) {
                cli_error("master", "--lufs: '%s' is not a loudness from -70 to 0 LUFS", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_CEIL:
            if (cli_parse_double(optarg, -20.0, 0.0, &ceiling)) {
                cli_error("master", "--ceiling: '%s' is not a level from -20 to 0 dBTP", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_MAXLIM:
            if (cli_parse_double(optarg, 0.0, 30.0, &maxlim)) {
                cli_error("master", "--max-limiting: '%s' is not from 0 to 30 dB", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_RATE:
            if (cli_opt_rate("master", optarg, &rate))
                return LATHE_EXIT_USAGE;
            break;
        case O_BITS:
            if (cli_opt_bits("master", optarg, &bits))
                return LATHE_EXIT_USAGE;
            break;
        case O_DITHER:
            if (cli_opt_dither("master", optarg, &dither))
                return LATHE_EXIT_USAGE;
            break;
        case O_SEED:
            if (cli_opt_seed("master", optarg, &seed))
                return LATHE_EXIT_USAGE;
            break;
        case 'h': help_master(stdout); return LATHE_EXIT_OK;
        default:
            return cli_option_error("master", opt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        cli_error("master", optind >= argc ? "no input file (see 'lathe help master')"
                                           : "one input file at a time (see 'lathe help master')");
        return LATHE_EXIT_USAGE;
    }
    const char *input = argv[optind];
    if (!output) {
        cli_error("master", "no output: give -o FILE");
        return LATHE_EXIT_USAGE;
    }
    if (autom && recipe_path) {
        cli_error("master", "--auto decides the chain: it cannot be combined with --recipe");
        return LATHE_EXIT_USAGE;
    }
    if (!autom && (style || amount != 100.0 || explain)) {
        cli_error("master", "--style, --amount and --explain go with --auto");
        return LATHE_EXIT_USAGE;
    }

    /* The recipe (or the default chain, built from the input's analysis). */
    lathe_recipe recipe;
    lathe_target tgt;
    lathe_analysis before;
    int have_before = 0;
    lathe_status st;
    if (recipe_path) {
        st = lathe_recipe_load(recipe_path, &recipe, err, sizeof err);
        if (st != LATHE_OK) {
            cli_error(recipe_path, "%s", err);
            return st == LATHE_ERR_OPEN ? LATHE_EXIT_INPUT : LATHE_EXIT_USAGE;
        }
        tgt = recipe.target;
    } else {
        lathe_target_from_name("spotify", &tgt);
    }
    if (target && lathe_target_from_name(target, &tgt) != LATHE_OK) {
        cli_error("master", "--target: unknown target '%s' (see 'lathe targets')", target);
        if (recipe_path)
            lathe_recipe_free(&recipe);
        return LATHE_EXIT_USAGE;
    }
    if (!isnan(lufs))
        tgt.lufs = lufs;
    if (!isnan(ceiling))
        tgt.ceiling_dbtp = ceiling;
    if (!isnan(maxlim))
        tgt.max_limiting_db = maxlim;
    if (noloud)
        tgt.lufs = NAN;
    if (rate > 0)
        tgt.rate_hz = rate;
    if (bits > 0)
        tgt.bits = bits;
    if (dither >= 0)
        tgt.dither = (lathe_dither_type)dither;
    if (format) {
        lathe_container c;
        if (lathe_container_parse(format, &c) != LATHE_OK) {
            cli_error("master", "--format: '%s' is not wav, flac, aiff, w64, rf64 or caf", format);
            return LATHE_EXIT_USAGE;
        }
        snprintf(tgt.container, sizeof tgt.container, "%s", format);
    }

    /* A report plots the analyses: collect the plot data while measuring. */
    lathe_analysis_config acfg;
    lathe_analysis_config_defaults(&acfg);
    acfg.visuals = report != NULL;
    if (report) {
        const char *audio[2] = { input, output };
        if (lathe_output_check(report, audio, 2, 1, err, sizeof err) != LATHE_OK) {
            cli_error(report, "%s", err);
            if (recipe_path)
                lathe_recipe_free(&recipe);
            return LATHE_EXIT_OUTPUT;
        }
    }

    cli_progress prog;
    cli_progress_begin(&prog, "analysing");
    if (!recipe_path) {
        st = lathe_analyze_file(input, &acfg, &before, err, sizeof err, cli_progress_cb, &prog);
        cli_progress_end(&prog);
        if (st != LATHE_OK) {
            cli_error(input, "%s", err);
            if (st == LATHE_ERR_NON_FINITE)
                lathe_analysis_free(&before);
            return cli_exit_for_status(st);
        }
        have_before = 1;
        if (autom) {
            /* The assistant decides from the profile (analysis + finer spectra). */
            lathe_profile prof;
            lathe_auto_options ao = { amount, style };
            st = lathe_profile_file(input, LATHE_PROFILE_ALL, &prof, err, sizeof err, NULL, NULL);
            if (st == LATHE_OK)
                st = lathe_auto_plan(&prof, &tgt, &ao, &recipe, &ex, err, sizeof err);
            if (st == LATHE_OK || st == LATHE_ERR_NON_FINITE)
                lathe_profile_free(&prof);
            if (st != LATHE_OK) {
                cli_error(st == LATHE_ERR_INVALID_ARGUMENT ? "master" : input, "%s", err);
                lathe_analysis_free(&before);
                lathe_explanation_free(&ex);
                return st == LATHE_ERR_INVALID_ARGUMENT ? LATHE_EXIT_USAGE : cli_exit_for_status(st);
            }
        } else {
            st = lathe_recipe_default(&tgt, &before, &recipe);
        }
        if (st != LATHE_OK) {
            cli_error("master", "cannot build the default chain: %s", lathe_status_str(st));
            lathe_analysis_free(&before);
            return LATHE_EXIT_INTERNAL;
        }
    }
    recipe.target = tgt;
    if (seed >= 0)
        recipe.seed = (unsigned)seed;

    lathe_master_options mo = { .input = input, .output = output, .recipe = &recipe,
                                .overwrite = force, .strict = strict,
                                .input_analysis = have_before ? &before : NULL,
                                .analysis = &acfg, .progress = cli_progress_cb, .user = &prog };
    lathe_master_result res;
    cli_progress_begin(&prog, "mastering");
    st = lathe_master_run(&mo, &res, err, sizeof err);
    cli_progress_end(&prog);
    if (st != LATHE_OK) {
        int code = cli_exit_for_status(st);
        if (have_before)
            lathe_analysis_free(&before);
        /* Name the file the problem is about. */
        cli_error(code == LATHE_EXIT_OUTPUT ? output : code == LATHE_EXIT_TARGET ? "master" : input,
                  "%s", err[0] ? err : lathe_status_str(st));
        lathe_recipe_free(&recipe);
        return code;
    }

    if (wrecipe) {
        char *text = NULL;
        if (lathe_recipe_to_json_explained(&recipe, &ex, &text) != LATHE_OK
            || cli_write_text(wrecipe, text) != 0)
            cli_error(wrecipe, "cannot write the recipe");
        free(text);
    }
    if (autom) {
        char *text = NULL;
        if (lathe_explanation_text(&ex, &text) == LATHE_OK) {
            if (!json)
                printf("Decisions (* acted, - left as is):\n\n%s\n", text);
            if (explain && cli_write_text(explain, text) != 0)
                cli_error(explain, "cannot write the explanation");
        }
        free(text);
        lathe_explanation_free(&ex);
    }

    const lathe_analysis *b = &res.before, *a = &res.after;
    if (json) {
        char *jb = NULL, *ja = NULL, *jr = NULL;
        lathe_analysis_to_json(b, input, 2, &jb);
        lathe_analysis_to_json(a, output, 2, &ja);
        lathe_recipe_to_json(&recipe, &jr);
        printf("{\n\"input\": %s,\n\"output\": %s,\n\"recipe\": %s,\n"
               "\"master\": {\"target\": \"%s\", \"target_lufs\": %s, \"ceiling_dbtp\": %s, "
               "\"gain_db\": %.4f, \"limiter_gr_max_db\": %.4f, \"limiter_gr_mean_db\": %.4f, "
               "\"limiter_active_percent\": %.3f, \"limiter_added\": %s, \"passes\": %d, "
               "\"latency_frames\": %zu, \"target_met\": %s, \"shortfall_lu\": %.4f, "
               "\"note\": \"%s\"}\n}\n",
               jb ? jb : "null", ja ? ja : "null", jr ? jr : "null", tgt.name,
               isfinite(tgt.lufs) ? (snprintf(err, sizeof err, "%.2f", tgt.lufs), err) : "null",
               isfinite(tgt.ceiling_dbtp) ? (snprintf(err + 64, 64, "%.2f", tgt.ceiling_dbtp), err + 64)
                                          : "null",
               res.gain_db, res.limiter.gr_max_db, res.limiter.gr_mean_db,
               res.limiter.gr_active_percent, res.limiter_added ? "true" : "false", res.passes,
               res.latency_frames, res.target_met ? "true" : "false", res.shortfall_lu, res.note);
        free(jb);
        free(ja);
        free(jr);
    } else {
        char tl[64], tc[64];
        printf("%s -> %s  (target %s: %s LUFS, %s dBTP, %d Hz, %s)\n\n", input, output, tgt.name,
               cli_fmt(tl, sizeof tl, tgt.lufs, 1), cli_fmt(tc, sizeof tc, tgt.ceiling_dbtp, 1),
               res.out_rate_hz, res.out_bits == 32 ? "float" : (snprintf(err, sizeof err, "%d-bit",
                                                                         res.out_bits), err));
        printf("  %-22s %10s %10s\n", "", "before", "after");
        int loud_ok = !isfinite(tgt.lufs) || fabs(a->integrated_lufs - tgt.lufs) <= 0.1;
        int tp_ok = !isfinite(tgt.ceiling_dbtp) || a->true_peak_dbtp <= tgt.ceiling_dbtp;
        figure_row("integrated", b->integrated_lufs, a->integrated_lufs, "LUFS",
                   2, isfinite(tgt.lufs) ? (loud_ok ? "ok" : "MISSED") : NULL);
        figure_row("true peak", b->true_peak_dbtp, a->true_peak_dbtp, "dBTP", 2,
                   isfinite(tgt.ceiling_dbtp) ? (tp_ok ? "ok" : "OVER") : NULL);
        figure_row("loudness range", b->loudness_range_lu, a->loudness_range_lu, "LU", 1, NULL);
        figure_row("PLR", b->plr_db, a->plr_db, "dB", 1, NULL);
        figure_row("max short-term", b->max_short_term_lufs, a->max_short_term_lufs, "LUFS", 1, NULL);
        figure_row("sample peak", b->sample_peak_dbfs, a->sample_peak_dbfs, "dBFS", 2, NULL);
        figure_row("RMS", b->rms_dbfs, a->rms_dbfs, "dBFS", 1, NULL);
        /* the same columns as the table: label, a number ending under "before", its unit */
        printf("\n  %-22s %+10.2f dB\n", "gain into limiter", res.gain_db);
        for (int i = 0; i < res.gr_count; i++) {
            const lathe_gr_series *g = &res.gr[i];
            char label[48];
            snprintf(label, sizeof label, "%s (step %d)", g->fx, g->step + 1);
            printf("  %-22s %10.2f dB peak, %.2f dB mean, active %.1f %% of the time\n", label,
                   g->stats.gr_max_db, g->stats.gr_mean_db, g->stats.gr_active_percent);
        }
        if (res.gr_count == 0)
            printf("  %-22s %10.2f dB peak, %.2f dB mean, active %.1f %% of the time\n", "limiting",
                   res.limiter.gr_max_db, res.limiter.gr_mean_db, res.limiter.gr_active_percent);
        printf("  %-22s ", "chain");
        for (int i = 0; i < recipe.steps; i++)
            printf("%s%s", i ? " -> " : "", recipe.step[i].cls->name);
        printf("%s\n", res.limiter_added ? " -> limiter (added)" : "");
        printf("  %-22s %10d (the limiter stage, re-run from the spool until within 0.02 LU)\n",
               "passes", res.passes);
        if (res.note[0])
            printf("\n  note: %s\n", res.note);
    }
    int code = LATHE_EXIT_OK;
    if (report) {
        /* The input's analysis with its series and plot data: ours when we made it (the
         * result keeps only its figures), else the engine's. */
        char *rjson = recipe_json_with_explanation(&recipe, recipe_path);
        lathe_report rep;
        lathe_report_init(&rep);
        rep.command = "master";
        rep.input_path = input;
        rep.input = have_before ? &before : &res.before;
        rep.output_path = output;
        rep.output = &res.after;
        rep.target = &recipe.target;
        rep.master = &res;
        rep.recipe = &recipe;
        rep.recipe_json = rjson;
        if (prog.enabled)   /* the A/B excerpts take a moment to encode */
            fprintf(stderr, "writing the report...");
        st = lathe_report_write(&rep, report, err, sizeof err);
        if (prog.enabled)
            fprintf(stderr, "\r%*s\r", 30, "");
        free(rjson);
        if (st != LATHE_OK) {
            cli_error(report, "%s", err);
            code = st == LATHE_ERR_NO_MEMORY ? LATHE_EXIT_INTERNAL : LATHE_EXIT_OUTPUT;
        } else if (json) {
            fprintf(stderr, "%s: report written to %s\n", lathe_prog, report);
        } else {
            printf("  %-22s %s\n", "report", report);
        }
    }
    if (have_before)
        lathe_analysis_free(&before);
    if (!res.target_met)
        cli_error(output, "target not met: %s", res.note);
    lathe_master_result_free(&res);
    lathe_recipe_free(&recipe);
    return code;
}
