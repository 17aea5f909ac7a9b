/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe match: a mix brought towards one or more reference masters, aspect by aspect. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAX_REFS 16

void help_match(FILE *to)
{
    fprintf(to,
        "Usage: lathe match TARGET --reference REF [--reference REF2 ...] -o OUTPUT [OPTIONS]\n"
        "\n"
        "Brings TARGET (a mix) towards the reference master(s): integrated loudness, the\n"
        "long-term tonal balance of the mid and of the side, the stereo width and, when asked,\n"
        "the dynamics. Every aspect can be switched off or applied in part. The result ends\n"
        "in the true-peak limiter, so what 'lathe master' guarantees holds here too (loudness\n"
        "within 0.1 LU on the written file, true peak under the ceiling, same length and\n"
        "alignment, bit-identical reruns). lathe prints what it changed and why, and writes\n"
        "the recipe it used (OUTPUT.recipe.json unless told otherwise): 'lathe master TARGET\n"
        "--recipe THAT' reproduces OUTPUT bit for bit, and the recipe can be edited.\n"
        "References may have any sample rate and channel count. docs/match.md explains how.\n"
        "\n"
        "References:\n"
        "  -R, --reference FILE   a reference master (repeat for several: they are averaged)\n"
        "      --weight W         weight of the reference given just before (default 1)\n"
        "Aspects (each 0..100 %%, the share of the difference that is matched):\n"
        "      --loudness P       integrated loudness (default 100)\n"
        "      --tone P           tonal balance of mid and side (default 100)\n"
        "      --tone-mid P       ... of the mid only\n"
        "      --tone-side P      ... of the side only\n"
        "      --width P          side-to-mid level (default 100)\n"
        "      --dynamics P       peak-to-loudness ratio, by compression (default 0: the\n"
        "                         limiter alone reaches the loudness)\n"
        "      --amount P         scales every aspect above (default 100)\n"
        "      --max-eq DB        largest EQ boost or cut, 1..12 dB (default 6)\n"
        "      --smoothing OCT    smoothing of the tonal difference, octaves (default 0.333)\n"
        "      --passes N         1 (default): render once; 2: render, measure what the render\n"
        "                         still misses, refine the EQ and width, render again\n"
        "Level:\n"
        "      --lufs X           loudness target instead of the references' (-70..0 LUFS)\n"
        "      --ceiling Y        true-peak ceiling instead of the references' (-20..0 dBTP)\n"
        "      --max-limiting DB  most peak gain reduction the limiter may use (0..30; default:\n"
        "                         what the loudness match needs plus 2 dB, 6..12)\n"
        "Output:\n"
        "  -o, --output FILE      the matched master (.wav .flac .aiff .w64 .rf64 .caf)\n"
        "      --format NAME      container, overriding the extension\n"
        "      --rate HZ          output sample rate (default: the target's)\n"
        "      --bits N           16, 20 or 24 (PCM, dithered) or 32 (float); default 24\n"
        "      --dither TYPE      none, tpdf (default) or shaped\n"
        "      --seed N           dither seed\n"
        "      --write-recipe F   where to write the recipe (default OUTPUT.recipe.json)\n"
        "      --no-recipe        do not write the recipe\n"
        "      --explain F        also write the explanation as plain text to F\n"
        "      --report FILE.html a self-contained HTML report: figures before and after\n"
        "                         with pass/fail against the matched loudness and ceiling,\n"
        "                         plots with the reference's spectrum, the decisions and the\n"
        "                         recipe, and an A/B/R player (mix, master, reference) of the\n"
        "                         loudest 30 s at equal loudness (docs/report.md)\n"
        "      --dry-run          decide and explain, write nothing (no report either)\n"
        "  -y, --force            replace OUTPUT (and the recipe) if they exist\n"
        "      --strict           a target that cannot be met is an error (exit 6)\n"
        "  -h, --help             this help\n"
        "\n"
        "Exit codes: as 'lathe master' (0 written, 2 bad command line, 3 an input unreadable,\n"
        "4 NaN/Inf samples, 5 output not writable, 6 target not met with --strict, 70 internal).\n");
}

/* Integrated loudness as heard: a mono file plays on two loudspeakers (+3.01 dB). */
static double heard(const lathe_analysis *a)
{
    return a->integrated_lufs + (a->channels == 1 ? 3.0103 : 0.0);
}

/* Mean |difference| over 40 Hz-16 kHz of two 1/3-octave spectra, each relative to its
 * integrated loudness (NAN bands skipped). */
static double spectral_distance(const lathe_analysis *a, const double *ref_db, double ref_lufs)
{
    double s = 0.0;
    int n = 0;
    for (int b = 0; b < LATHE_THIRD_OCTAVE_BANDS; b++) {
        double f = a->band_hz[b];
        if (f < 39.0 || f > 16500.0 || !isfinite(a->spectrum_db[b]) || !isfinite(ref_db[b]))
            continue;
        s += fabs((a->spectrum_db[b] - heard(a)) - (ref_db[b] - ref_lufs));
        n++;
    }
    return n ? s / n : NAN;
}

/* 1 if A and B name the same file: the same spelling, or the same existing file. */
static int same_path(const char *a, const char *b)
{
    return !strcmp(a, b) || lathe_same_file(a, b);
}

/* The report's explanation: the decisions printed on the terminal, one list item each
 * ("- " lines, see lathe_report.explanation). Caller frees; NULL if out of memory. */
static char *report_explanation(const lathe_explanation *ex, const char *const *refs,
                                const double *weights, int nrefs, int shown)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "The mix was matched to %d reference%s", nrefs, nrefs == 1 ? "" : "s");
    if (nrefs > 1) {
        fprintf(f, " (");
        for (int k = 0; k < nrefs; k++)
            fprintf(f, "%s%s weight %g", k ? ", " : "", refs[k], weights[k]);
        fprintf(f, "; their loudness-aligned spectra averaged in dB with these weights)");
    }
    fprintf(f, ". Each decision: what was measured, the rule applied, and what was done "
               "(or why nothing was). The reference shown and played here is %s.\n\n",
            refs[shown]);
    for (int i = 0; i < ex->count; i++) {
        const lathe_decision *d = &ex->d[i];
        fprintf(f, "- %s: %s%s%s%s \xe2\x86\x92 %s%s\n", d->aspect, d->measured,
                d->rule[0] ? " (rule: " : "", d->rule, d->rule[0] ? ")" : "",
                d->acted ? "" : "left as is: ", d->action[0] ? d->action : "no change");
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Writes the HTML report of a match: the mix and the master as analysed by the engine
 * (with plot data), the first reference with a weight analysed again with its loudness
 * series (the profile keeps none; the A/B excerpt is its loudest passage), and with
 * several references their weighted mean spectrum (REF_DB, relative to the loudness as
 * heard) drawn as the target curve. Returns an exit code. */
static int write_report(const char *report, const char *input, const char *output,
                        const char *const *refs, const double *weights, int nrefs,
                        const lathe_master_result *res, const lathe_recipe *recipe,
                        const lathe_explanation *ex, const double *ref_db, cli_progress *prog)
{
    char err[512] = "";
    int shown = 0, weighted = 0;
    for (int k = nrefs - 1; k >= 0; k--)
        if (weights[k] > 0.0) {
            shown = k;
            weighted++;
        }
    lathe_analysis ref;
    cli_progress_begin(prog, "measuring the reference for the report");
    lathe_status st = lathe_analyze_file(refs[shown], NULL, &ref, err, sizeof err, cli_progress_cb,
                                         prog);
    cli_progress_end(prog);
    if (st != LATHE_OK) {
        cli_error(refs[shown], "%s", err);
        if (st == LATHE_ERR_NON_FINITE)
            lathe_analysis_free(&ref);
        return cli_exit_for_status(st);
    }
    double curve[LATHE_THIRD_OCTAVE_BANDS];
    char label[160];
    for (int b = 0; b < LATHE_THIRD_OCTAVE_BANDS; b++)
        curve[b] = ref_db[b] + heard(&res->after);
    snprintf(label, sizeof label, "weighted mean of the %d references, at the same loudness "
             "(what was matched)", weighted);
    char *rjson = NULL;
    if (lathe_recipe_to_json_explained(recipe, ex, &rjson) != LATHE_OK)
        rjson = NULL;
    char *text = report_explanation(ex, refs, weights, nrefs, shown);

    lathe_report rep;
    lathe_report_init(&rep);
    rep.command = "match";
    rep.input_path = input;
    rep.input = &res->before;
    rep.output_path = output;
    rep.output = &res->after;
    rep.reference_path = refs[shown];
    rep.reference = &ref;
    lathe_target tg = recipe->target;   /* its name "custom" says nothing here */
    snprintf(tg.name, sizeof tg.name, "reference match");
    rep.target = &tg;
    if (weighted > 1) {
        rep.target_curve_db = curve;
        rep.target_curve_label = label;
    }
    rep.master = res;
    rep.recipe = recipe;
    rep.recipe_json = rjson;
    rep.explanation = text;
    if (prog->enabled)   /* the A/B excerpts take a moment to encode */
        fprintf(stderr, "writing the report...");
    st = lathe_report_write(&rep, report, err, sizeof err);
    if (prog->enabled)
        fprintf(stderr, "\r%*s\r", 30, "");
    free(rjson);
    free(text);
    lathe_analysis_free(&ref);
    if (st != LATHE_OK) {
        cli_error(report, "%s", err);
        return st == LATHE_ERR_NO_MEMORY ? LATHE_EXIT_INTERNAL : LATHE_EXIT_OUTPUT;
    }
    printf("  report: %s\n", report);
    return LATHE_EXIT_OK;
}

static int parse_percent(const char *name, const char *arg, double *out)
{
    if (cli_parse_double(arg, 0.0, 100.0, out)) {
        cli_error("match", "%s: '%s' is not a percentage from 0 to 100", name, arg);
        return -1;
    }
    return 0;
}

int cmd_match(int argc, char **argv)
{
    enum { O_WEIGHT = 256, O_LOUD, O_TONE, O_TMID, O_TSIDE, O_WIDTH, O_DYN, O_AMOUNT, O_MAXEQ,
           O_SMOOTH, O_LUFS, O_CEIL, O_MAXLIM, O_FORMAT, O_RATE, O_BITS, O_DITHER, O_SEED,
           O_WRECIPE, O_NORECIPE, O_EXPLAIN, O_DRY, O_STRICT, O_PASSES, O_REPORT };
    static const struct option opts[] = {
        { "reference", required_argument, NULL, 'R' }, { "weight", required_argument, NULL, O_WEIGHT },
        { "loudness", required_argument, NULL, O_LOUD }, { "tone", required_argument, NULL, O_TONE },
        { "tone-mid", required_argument, NULL, O_TMID },
        { "tone-side", required_argument, NULL, O_TSIDE },
        { "width", required_argument, NULL, O_WIDTH }, { "dynamics", required_argument, NULL, O_DYN },
        { "amount", required_argument, NULL, O_AMOUNT }, { "max-eq", required_argument, NULL, O_MAXEQ },
        { "smoothing", required_argument, NULL, O_SMOOTH }, { "lufs", required_argument, NULL, O_LUFS },
        { "ceiling", required_argument, NULL, O_CEIL },
        { "max-limiting", required_argument, NULL, O_MAXLIM },
        { "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, O_FORMAT },
        { "rate", required_argument, NULL, O_RATE }, { "bits", required_argument, NULL, O_BITS },
        { "dither", required_argument, NULL, O_DITHER }, { "seed", required_argument, NULL, O_SEED },
        { "write-recipe", required_argument, NULL, O_WRECIPE },
        { "no-recipe", no_argument, NULL, O_NORECIPE }, { "explain", required_argument, NULL, O_EXPLAIN },
        { "dry-run", no_argument, NULL, O_DRY }, { "force", no_argument, NULL, 'y' },
        { "strict", no_argument, NULL, O_STRICT }, { "help", no_argument, NULL, 'h' },
        { "passes", required_argument, NULL, O_PASSES },
        { "report", required_argument, NULL, O_REPORT },
        { NULL, 0, NULL, 0 },
    };
    const char *refs[MAX_REFS], *output = NULL, *format = NULL, *wrecipe = NULL, *explain = NULL;
    const char *report = NULL;
    double weights[MAX_REFS], amount = 100.0, v;
    int nrefs = 0, rate = -1, bits = -1, dither = -1, force = 0, strict = 0, norecipe = 0, dry = 0;
    int passes = 1;
    long long seed = -1;
    lathe_match_options mo;
    char err[512] = "";
    int opt;

    lathe_match_options_defaults(&mo);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":R:o:yh", opts, NULL)) != -1) {
        switch (opt) {
        case 'R':
            if (nrefs == MAX_REFS) {
                cli_error("match", "at most %d references", MAX_REFS);
                return LATHE_EXIT_USAGE;
            }
            weights[nrefs] = 1.0;
            refs[nrefs++] = optarg;
            break;
        case O_WEIGHT:
            if (nrefs == 0) {
                cli_error("match", "--weight applies to the --reference given before it");
                return LATHE_EXIT_USAGE;
            }
            if (cli_parse_double(optarg, 0.0, 1000.0, &weights[nrefs - 1])) {
                cli_error("match", "--weight: '%s' is not a weight from 0 to 1000", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_LOUD:
            if (parse_percent("--loudness", optarg, &mo.loudness_percent))
                return LATHE_EXIT_USAGE;
            break;
        case O_TONE:
            if (parse_percent("--tone", optarg, &mo.tone_mid_percent))
                return LATHE_EXIT_USAGE;
            mo.tone_side_percent = mo.tone_mid_percent;
            break;
        case O_TMID:
            if (parse_percent("--tone-mid", optarg, &mo.tone_mid_percent))
                return LATHE_EXIT_USAGE;
            break;
        case O_TSIDE:
            if (parse_percent("--tone-side", optarg, &mo.tone_side_percent))
                return LATHE_EXIT_USAGE;
            break;
        case O_WIDTH:
            if (parse_percent("--width", optarg, &mo.width_percent))
                return LATHE_EXIT_USAGE;
            break;
        case O_DYN:
            if (parse_percent("--dynamics", optarg, &mo.dynamics_percent))
                return LATHE_EXIT_USAGE;
            break;
        case O_AMOUNT:
            if (parse_percent("--amount", optarg, &amount))
                return LATHE_EXIT_USAGE;
            break;
        case O_MAXEQ:
            if (cli_parse_double(optarg, 1.0, 12.0, &mo.max_eq_db)) {
                cli_error("match", "--max-eq: '%s' is not from 1 to 12 dB", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_SMOOTH:
            if (cli_parse_double(optarg, 0.05, 2.0, &mo.smoothing_octaves)) {
                cli_error("match", "--smoothing: '%s' is not from 0.05 to 2 octaves", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_LUFS:
            if (cli_parse_double(optarg, -70.0, 0.0, &mo.lufs)) {
                cli_error("match", "--lufs: '%s' is not a loudness from -70 to 0 LUFS", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_CEIL:
            if (cli_parse_double(optarg, -20.0, 0.0, &mo.ceiling_dbtp)) {
                cli_error("match", "--ceiling: '%s' is not a level from -20 to 0 dBTP", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case O_MAXLIM:
            if (cli_parse_double(optarg, 0.0, 30.0, &mo.max_limiting_db)) {
                cli_error("match", "--max-limiting: '%s' is not from 0 to 30 dB", optarg);
                return LATHE_EXIT_USAGE;
            }
            break;
        case 'o': output = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_RATE:
            if (cli_opt_rate("match", optarg, &rate))
                return LATHE_EXIT_USAGE;
            break;
        case O_BITS:
            if (cli_opt_bits("match", optarg, &bits))
                return LATHE_EXIT_USAGE;
            break;
        case O_DITHER:
            if (cli_opt_dither("match", optarg, &dither))
                return LATHE_EXIT_USAGE;
            break;
        case O_SEED:
            if (cli_opt_seed("match", optarg, &seed))
                return LATHE_EXIT_USAGE;
            break;
        case O_WRECIPE: wrecipe = optarg; break;
        case O_NORECIPE: norecipe = 1; break;
        case O_EXPLAIN: explain = optarg; break;
        case O_DRY: dry = 1; break;
        case O_REPORT: report = optarg; break;
        case O_STRICT: strict = 1; break;
        case O_PASSES:
            if (cli_parse_double(optarg, 1, 2, &v) || v != floor(v)) {
                cli_error("match", "--passes: '%s' is not 1 or 2", optarg);
                return LATHE_EXIT_USAGE;
            }
            passes = (int)v;
            break;
        case 'y': force = 1; break;
        case 'h': help_match(stdout); return LATHE_EXIT_OK;
        default:
            return cli_option_error("match", opt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        cli_error("match", optind >= argc ? "no target file (see 'lathe help match')"
                                          : "one target file at a time (see 'lathe help match')");
        return LATHE_EXIT_USAGE;
    }
    const char *input = argv[optind];
    if (nrefs == 0) {
        cli_error("match", "no reference: give --reference FILE");
        return LATHE_EXIT_USAGE;
    }
    if (!output && !dry) {
        cli_error("match", "no output: give -o FILE (or --dry-run)");
        return LATHE_EXIT_USAGE;
    }
    double wsum = 0.0;
    for (int k = 0; k < nrefs; k++)
        wsum += weights[k];
    if (!(wsum > 0.0)) {
        cli_error("match", "every reference has weight 0");
        return LATHE_EXIT_USAGE;
    }
    mo.loudness_percent *= amount / 100.0;
    mo.tone_mid_percent *= amount / 100.0;
    mo.tone_side_percent *= amount / 100.0;
    mo.width_percent *= amount / 100.0;
    mo.dynamics_percent *= amount / 100.0;

    char recipe_path[4096] = "";
    if (!dry && !norecipe) {
        if (wrecipe)
            snprintf(recipe_path, sizeof recipe_path, "%s", wrecipe);
        else
            snprintf(recipe_path, sizeof recipe_path, "%s.recipe.json", output);
        FILE *f = force ? NULL : fopen(recipe_path, "r");
        if (f) {
            fclose(f);
            cli_error(recipe_path, "exists (use --force to replace it, or --write-recipe FILE)");
            return LATHE_EXIT_OUTPUT;
        }
    }
    if (!dry) {
        /* Refuse an existing output (or an input as output) before measuring anything. */
        const char *ins[MAX_REFS + 1];
        ins[0] = input;
        for (int k = 0; k < nrefs; k++)
            ins[k + 1] = refs[k];
        lathe_status st = lathe_output_check(output, ins, (size_t)nrefs + 1, force, err, sizeof err);
        if (st != LATHE_OK) {
            cli_error(output, "%s", err);
            return LATHE_EXIT_OUTPUT;
        }
    }
    if (report) {
        /* The report replaces an earlier report, never an input, a reference, the
         * output, the recipe or the explanation (checked before measuring anything). */
        const char *files[MAX_REFS + 2];
        size_t n = 0;
        files[n++] = input;
        for (int k = 0; k < nrefs; k++)
            files[n++] = refs[k];
        if (!dry)
            files[n++] = output;
        lathe_status st = lathe_output_check(report, files, n, 1, err, sizeof err);
        if (st == LATHE_OK && !dry && same_path(report, output)) {
            snprintf(err, sizeof err, "is also the output");
            st = LATHE_ERR_WRITE;
        }
        if (st == LATHE_OK && ((recipe_path[0] && same_path(report, recipe_path))
                               || (explain && same_path(report, explain)))) {
            snprintf(err, sizeof err, "is also the %s", recipe_path[0] && same_path(report, recipe_path)
                                                           ? "recipe" : "explanation");
            st = LATHE_ERR_WRITE;
        }
        if (st != LATHE_OK) {
            cli_error(report, "%s", err);
            return LATHE_EXIT_OUTPUT;
        }
    }

    /* Measure. */
    lathe_profile tp, rp[MAX_REFS];
    const lathe_profile *rptr[MAX_REFS];
    int have_refs = 0, code = LATHE_EXIT_OK;
    cli_progress prog;
    lathe_status st;
    cli_progress_begin(&prog, "measuring the mix");
    st = lathe_profile_file(input, LATHE_PROFILE_MATCH, &tp, err, sizeof err, cli_progress_cb,
                            &prog);
    cli_progress_end(&prog);
    if (st != LATHE_OK) {
        cli_error(input, "%s", err);
        if (st == LATHE_ERR_NON_FINITE)
            lathe_profile_free(&tp);
        return cli_exit_for_status(st);
    }
    for (; have_refs < nrefs; have_refs++) {
        cli_progress_begin(&prog, "measuring the reference");
        st = lathe_profile_file(refs[have_refs], LATHE_PROFILE_MATCH, &rp[have_refs], err,
                                sizeof err, cli_progress_cb, &prog);
        cli_progress_end(&prog);
        if (st != LATHE_OK) {
            cli_error(refs[have_refs], "%s", err);
            if (st == LATHE_ERR_NON_FINITE)
                lathe_profile_free(&rp[have_refs]);
            code = cli_exit_for_status(st);
            goto done;
        }
        rptr[have_refs] = &rp[have_refs];
    }

    /* Decide. */
    lathe_recipe recipe;
    lathe_explanation ex;
    lathe_explanation_init(&ex);
    st = lathe_match_plan(&tp, rptr, weights, nrefs, &mo, &recipe, &ex, err, sizeof err);
    if (st != LATHE_OK) {
        cli_error("match", "%s", err);
        lathe_explanation_free(&ex);
        code = st == LATHE_ERR_EMPTY ? LATHE_EXIT_INPUT : LATHE_EXIT_INTERNAL;
        goto done;
    }
    if (rate > 0)
        recipe.target.rate_hz = rate;
    if (bits > 0)
        recipe.target.bits = bits;
    if (dither >= 0)
        recipe.target.dither = (lathe_dither_type)dither;
    if (seed >= 0)
        recipe.seed = (unsigned)seed;
    if (format) {
        lathe_container c;
        if (lathe_container_parse(format, &c) != LATHE_OK) {
            cli_error("match", "--format: '%s' is not wav, flac, aiff, w64, rf64 or caf", format);
            code = LATHE_EXIT_USAGE;
            goto done_recipe;
        }
        snprintf(recipe.target.container, sizeof recipe.target.container, "%s", format);
    }

    {
        char *text = NULL;
        printf("%s -> %s, matched to %d reference%s\n\n", input, dry ? "(dry run)" : output, nrefs,
               nrefs == 1 ? "" : "s");
        if (lathe_explanation_text(&ex, &text) == LATHE_OK)
            printf("%s\n", text);
        if (explain && text && cli_write_text(explain, text) != 0)
            cli_error(explain, "cannot write the explanation");
        free(text);
    }
    if (dry) {
        if (report)
            fprintf(stderr, "%s: %s: not written (--dry-run writes nothing; the report needs the "
                    "master)\n", lathe_prog, report);
        goto done_recipe;
    }

    {
        /* The mix's analysis is already made (the profile holds it): the engine skips its
         * own. (Its clip counts use a full scale of 1.0; they are not shown here.) A report
         * plots the analyses: then the engine analyses the mix in its own pass, and both
         * it and the measurement of the output collect the plot data (on the final render). */
        lathe_analysis_config acfg;
        lathe_analysis_config_defaults(&acfg);
        acfg.visuals = 1;
        const int plot = report != NULL;
        lathe_master_options o = { .input = input, .output = output, .recipe = &recipe,
                                   .overwrite = force, .strict = strict && passes == 1,
                                   .input_analysis = plot && passes == 1 ? NULL : &tp.a,
                                   .analysis = plot && passes == 1 ? &acfg : NULL,
                                   .progress = cli_progress_cb, .user = &prog };
        lathe_master_result res;
        cli_progress_begin(&prog, "mastering");
        st = lathe_master_run(&o, &res, err, sizeof err);
        cli_progress_end(&prog);
        if (st == LATHE_OK && passes > 1) {
            /* Closed loop: measure the render, refine the plan on what it missed, render
             * again (the final recipe alone reproduces the final file). */
            lathe_profile outp;
            lathe_master_result_free(&res);
            cli_progress_begin(&prog, "measuring the first render");
            st = lathe_profile_file(output, LATHE_PROFILE_MATCH, &outp, err, sizeof err,
                                    cli_progress_cb, &prog);
            cli_progress_end(&prog);
            if (st == LATHE_OK) {
                lathe_recipe r2;
                lathe_explanation ex2;
                lathe_explanation_init(&ex2);
                mo.result = &outp;
                st = lathe_match_plan(&tp, rptr, weights, nrefs, &mo, &r2, &ex2, err, sizeof err);
                mo.result = NULL;
                if (st == LATHE_OK) {
                    r2.target.rate_hz = recipe.target.rate_hz;
                    r2.target.bits = recipe.target.bits;
                    r2.target.dither = recipe.target.dither;
                    r2.seed = recipe.seed;
                    memcpy(r2.target.container, recipe.target.container, sizeof r2.target.container);
                    lathe_recipe_free(&recipe);
                    lathe_explanation_free(&ex);
                    recipe = r2;
                    ex = ex2;
                    o.overwrite = 1;            /* our own first render */
                    o.strict = strict;
                    if (plot) {
                        o.input_analysis = NULL;
                        o.analysis = &acfg;
                    }
                    cli_progress_begin(&prog, "mastering (refined)");
                    st = lathe_master_run(&o, &res, err, sizeof err);
                    cli_progress_end(&prog);
                } else {
                    lathe_explanation_free(&ex2);
                }
            } else if (st == LATHE_ERR_NON_FINITE) {
                lathe_profile_free(&outp);
            }
            if (st == LATHE_OK)
                lathe_profile_free(&outp);
        }
        if (st != LATHE_OK) {
            code = cli_exit_for_status(st);
            cli_error(code == LATHE_EXIT_OUTPUT ? output : code == LATHE_EXIT_TARGET ? "match" : input,
                      "%s", err[0] ? err : lathe_status_str(st));
            goto done_recipe;
        }
        {
            char *text = NULL;
            if (passes > 1 && lathe_explanation_text(&ex, &text) == LATHE_OK) {
                printf("Refined on the first render:\n\n%s\n", text);
                if (explain && cli_write_text(explain, text) != 0)
                    cli_error(explain, "cannot write the explanation");
            }
            free(text);
        }
        if (recipe_path[0]) {
            char *json = NULL;
            if (lathe_recipe_to_json_explained(&recipe, &ex, &json) != LATHE_OK
                || cli_write_text(recipe_path, json) != 0) {
                cli_error(recipe_path, "cannot write the recipe");
                code = LATHE_EXIT_OUTPUT;
            }
            free(json);
        }
        /* The reference's figures for comparison (first reference when several). */
        const lathe_analysis *b = &res.before, *a = &res.after, *r0 = &rp[0].a;
        double ref_db[LATHE_THIRD_OCTAVE_BANDS];
        for (int band = 0; band < LATHE_THIRD_OCTAVE_BANDS; band++) {
            double s = 0.0, w = 0.0;
            for (int k = 0; k < nrefs; k++)
                if (weights[k] > 0 && isfinite(rp[k].a.spectrum_db[band])) {
                    s += weights[k] * (rp[k].a.spectrum_db[band] - heard(&rp[k].a));
                    w += weights[k];
                }
            ref_db[band] = w > 0 ? s / w : NAN;
        }
        char x[3][32];
        printf("  %-26s %10s %10s %10s\n", "", "mix", "master", nrefs > 1 ? "ref 1" : "reference");
        printf("  %-26s %10s %10s %10s  LUFS%s\n", "integrated", cli_fmt(x[0], 32, heard(b), 2),
               cli_fmt(x[1], 32, heard(a), 2), cli_fmt(x[2], 32, heard(r0), 2),
               b->channels == 1 || r0->channels == 1 ? " (mono as heard: +3.01)" : "");
        printf("  %-26s %10s %10s %10s  dBTP\n", "true peak", cli_fmt(x[0], 32, b->true_peak_dbtp, 2),
               cli_fmt(x[1], 32, a->true_peak_dbtp, 2), cli_fmt(x[2], 32, r0->true_peak_dbtp, 2));
        printf("  %-26s %10s %10s %10s  LU\n", "loudness range",
               cli_fmt(x[0], 32, b->loudness_range_lu, 1), cli_fmt(x[1], 32, a->loudness_range_lu, 1),
               cli_fmt(x[2], 32, r0->loudness_range_lu, 1));
        printf("  %-26s %10s %10s %10s  dB\n", "PLR", cli_fmt(x[0], 32, b->plr_db, 1),
               cli_fmt(x[1], 32, a->plr_db, 1), cli_fmt(x[2], 32, r0->plr_db, 1));
        printf("  %-26s %10s %10s %10s  dB\n", "side/mid", cli_fmt(x[0], 32, b->side_mid_db, 1),
               cli_fmt(x[1], 32, a->side_mid_db, 1), cli_fmt(x[2], 32, r0->side_mid_db, 1));
        printf("  %-26s %10s %10s %10s  dB\n", "tonal distance to refs",
               cli_fmt(x[0], 32, spectral_distance(b, ref_db, 0.0), 2),
               cli_fmt(x[1], 32, spectral_distance(a, ref_db, 0.0), 2), "0");
        printf("  (tonal distance: mean |dB| of the 1/3-octave spectra, each relative to its "
               "integrated loudness, 40 Hz-16 kHz)\n");
        printf("\n  limiting %.2f dB peak, %.2f dB average; chain:", res.limiter.gr_max_db,
               res.limiter.gr_mean_db);
        for (int i = 0; i < recipe.steps; i++)
            printf("%s%s", i ? " -> " : " ", recipe.step[i].cls->name);
        printf("\n");
        if (recipe_path[0])
            printf("  recipe: %s (lathe master %s --recipe %s reproduces it)\n", recipe_path, input,
                   recipe_path);
        if (report) {
            int rc = write_report(report, input, output, refs, weights, nrefs, &res, &recipe, &ex,
                                  ref_db, &prog);
            if (rc > code)
                code = rc;
        }
        if (!res.target_met) {
            cli_error(output, "target not met: %s", res.note);
        }
        lathe_master_result_free(&res);
    }
done_recipe:
    lathe_recipe_free(&recipe);
    lathe_explanation_free(&ex);
done:
    lathe_profile_free(&tp);
    for (int k = 0; k < have_refs; k++)
        lathe_profile_free(&rp[k]);
    return code;
}
