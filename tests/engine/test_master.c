/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The master engine's invariants: a neutral recipe nulls against its input (float
 * output, below -140 dBFS); an impulse at sample N stays at sample N through a chain
 * with latency; same input + recipe + seed = same bytes; the output has the input's
 * length (or round(n * out/in) when resampled); the loudness target is met on the file
 * as written; the caller's recipe is not modified; an existing output is refused; the
 * loudness passes (a trial pass that records the limiter's detection, replayed passes)
 * land on the target as libebur128 measures the written file, under the ceiling. */
#include <ebur128.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/lathe.h"
#include "testutil.h"

static char dir[256];

static void write_wav(const char *path, int rate, int channels, const float *interleaved,
                      long frames, int format)
{
    SF_INFO si = { .samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | format };
    SNDFILE *f = sf_open(path, SFM_WRITE, &si);
    sf_writef_float(f, interleaved, frames);
    sf_close(f);
}

static float *read_wav(const char *path, long *frames, int *channels, int *rate)
{
    SF_INFO si = { 0 };
    SNDFILE *f = sf_open(path, SFM_READ, &si);
    if (!f)
        return NULL;
    float *x = malloc(sizeof(float) * (size_t)(si.frames * si.channels + 1));
    *frames = (long)sf_readf_float(f, x, si.frames);
    *channels = si.channels;
    *rate = si.samplerate;
    sf_close(f);
    return x;
}

/* A music-like stereo test signal: decaying notes, noise bursts, a bass line. */
static float *music(int rate, long frames, double level)
{
    float *x = malloc(sizeof(float) * (size_t)frames * 2);
    unsigned s = 12345;
    for (long i = 0; i < frames; i++) {
        double t = (double)i / rate, beat = fmod(t, 0.5);
        s = s * 1664525u + 1013904223u;
        double noise = ((double)(s >> 8) / 8388608.0 - 1.0) * exp(-beat * 30.0);
        double bass = sin(2 * M_PI * 55.0 * t) * exp(-beat * 3.0);
        double pad = 0.3 * sin(2 * M_PI * 440.0 * t + 0.5 * sin(2 * M_PI * 3 * t));
        x[2 * i] = (float)(level * (0.5 * noise + bass + pad));
        x[2 * i + 1] = (float)(level * (0.4 * noise + bass - 0.7 * pad));
    }
    return x;
}

static lathe_status master(const char *in, const char *out, const char *recipe_json,
                           lathe_master_result *res, int overwrite)
{
    lathe_recipe r;
    char err[512];
    lathe_status st = lathe_recipe_parse(recipe_json, &r, err, sizeof err);
    if (st != LATHE_OK) {
        fprintf(stderr, "recipe: %s\n", err);
        return st;
    }
    lathe_master_options o = { .input = in, .output = out, .recipe = &r, .overwrite = overwrite };
    st = lathe_master_run(&o, res, err, sizeof err);
    if (st != LATHE_OK)
        fprintf(stderr, "master: %s: %s\n", out, err);
    lathe_recipe_free(&r);
    return st;
}

/* Integrated loudness (LUFS) and true peak (dBTP) of a stereo file by libebur128. */
static void ebur128_of(const char *path, double *lufs, double *tp)
{
    long frames;
    int ch, rate;
    float *y = read_wav(path, &frames, &ch, &rate);
    *lufs = *tp = NAN;
    if (!y)
        return;
    ebur128_state *st = ebur128_init((unsigned)ch, (unsigned long)rate,
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, y, (size_t)frames);
    ebur128_loudness_global(st, lufs);
    double m = 0.0;
    for (int c = 0; c < ch; c++) {
        double p = 0.0;
        ebur128_true_peak(st, (unsigned)c, &p);
        m = p > m ? p : m;
    }
    *tp = 20.0 * log10(m);
    ebur128_destroy(&st);
    free(y);
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

int main(void)
{
    char in[300], out[300], out2[300];
    lathe_master_result res;
    const int rate = 44100;
    const long n = rate * 12;

    snprintf(dir, sizeof dir, "/tmp/lathe-master-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(in, sizeof in, "%s/in.wav", dir);
    float *x = music(rate, n, 0.25);
    write_wav(in, rate, 2, x, n, SF_FORMAT_FLOAT);

    /* 1. A neutral recipe (no target, gain 0, EQ off, dc_block absent) nulls. */
    snprintf(out, sizeof out, "%s/neutral.wav", dir);
    const char *neutral = "{\"lathe_recipe\": 1, \"target\": {\"bits\": 32},"
                          " \"chain\": [{\"fx\": \"gain\"}, {\"fx\": \"eq\"}, {\"fx\": \"compressor\", \"ratio\": 1}]}";
    CHECK(master(in, out, neutral, &res, 0) == LATHE_OK, "neutral master runs");
    lathe_master_result_free(&res);
    long m;
    int ch, r2;
    float *y = read_wav(out, &m, &ch, &r2);
    CHECK(y && m == n && ch == 2 && r2 == rate, "same length (%ld vs %ld), channels, rate", m, n);
    double worst = 0;
    for (long i = 0; y && i < n * 2 && i < m * 2; i++)
        worst = fmax(worst, fabs((double)y[i] - x[i]));
    CHECK(worst == 0.0 || 20 * log10(worst) < -140.0, "neutral chain nulls: residual %.1f dBFS",
          worst > 0 ? 20 * log10(worst) : -HUGE_VAL);
    free(y);

    /* 2. Alignment through processors with latency: an impulse below the ceiling stays
     *    at its sample (limiter lookahead and a linear-phase EQ, both compensated). */
    float *imp = calloc((size_t)n * 2, sizeof(float));
    const long at = 33333;
    imp[2 * at] = imp[2 * at + 1] = 0.25f;
    snprintf(in, sizeof in, "%s/impulse.wav", dir);
    write_wav(in, rate, 2, imp, n, SF_FORMAT_FLOAT);
    snprintf(out, sizeof out, "%s/impulse-out.wav", dir);
    const char *lat = "{\"lathe_recipe\": 1, \"target\": {\"bits\": 32, \"ceiling_dbtp\": -1},"
                      " \"chain\": [{\"fx\": \"eq\", \"phase\": \"linear\"}, {\"fx\": \"limiter\"}]}";
    CHECK(master(in, out, lat, &res, 0) == LATHE_OK, "latency master runs");
    CHECK(res.latency_frames > 0, "the chain has latency to compensate (%zu frames)",
          res.latency_frames);
    lathe_master_result_free(&res);
    y = read_wav(out, &m, &ch, &r2);
    long peak_at = -1;
    double peak = 0;
    for (long i = 0; y && i < m; i++)
        if (fabs(y[2 * i]) > peak) {
            peak = fabs(y[2 * i]);
            peak_at = i;
        }
    CHECK(m == n, "length kept with latency (%ld vs %ld)", m, n);
    CHECK(peak_at == at, "impulse at sample %ld comes out at %ld", at, peak_at);
    CHECK_NEAR(peak, 0.25, 1e-4, "impulse height unchanged");
    free(y);
    free(imp);

    /* 3. Loudness target on the file as written (16-bit, dithered), at 48 kHz:
     *    length round(n * 48000 / 44100), loudness within 0.1 LU, true peak under -1. */
    snprintf(in, sizeof in, "%s/in.wav", dir);
    snprintf(out, sizeof out, "%s/loud.wav", dir);
    const char *loud = "{\"lathe_recipe\": 1, \"seed\": 9, \"target\": {\"lufs\": -14, "
                       "\"ceiling_dbtp\": -1, \"rate_hz\": 48000, \"bits\": 16, \"dither\": \"tpdf\"},"
                       " \"chain\": [{\"fx\": \"dc_block\"}, {\"fx\": \"limiter\"}]}";
    CHECK(master(in, out, loud, &res, 0) == LATHE_OK, "loudness master runs");
    CHECK_NEAR(res.after.integrated_lufs, -14.0, 0.1, "integrated on the written file");
    CHECK(res.after.true_peak_dbtp <= -1.0, "true peak %.3f dBTP under -1", res.after.true_peak_dbtp);
    CHECK(res.target_met, "target reported as met");
    long want = (long)((n * 48000LL + 22050) / 44100);
    CHECK(res.after.frames == want, "resampled length %lld, want %ld", (long long)res.after.frames,
          want);
    CHECK(res.after.info.rate_hz == 48000 && res.after.info.bits == 16, "48 kHz, 16-bit");
    lathe_master_result_free(&res);

    /* 4. Determinism: the same run again gives the same bytes. */
    snprintf(out2, sizeof out2, "%s/loud2.wav", dir);
    CHECK(master(in, out2, loud, &res, 0) == LATHE_OK, "second run");
    lathe_master_result_free(&res);
    CHECK(same_bytes(out, out2), "bit-identical across runs");

    /* 5. An existing output is refused without overwrite, and left untouched. */
    CHECK(master(in, out, loud, &res, 0) == LATHE_ERR_WRITE, "existing output refused");
    CHECK(same_bytes(out, out2), "refused output untouched");
    /* The input itself is refused even with overwrite. */
    CHECK(master(in, in, loud, &res, 1) == LATHE_ERR_WRITE, "input as output refused");

    /* 6. Strict: an unreachable target is an error and writes nothing. */
    const char *crush = "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -3, \"ceiling_dbtp\": -1, "
                        "\"max_limiting_db\": 3}, \"chain\": [{\"fx\": \"limiter\"}]}";
    lathe_recipe r;
    char err[512];
    lathe_recipe_parse(crush, &r, err, sizeof err);
    snprintf(out, sizeof out, "%s/crush.wav", dir);
    lathe_master_options o = { .input = in, .output = out, .recipe = &r, .strict = 1 };
    CHECK(lathe_master_run(&o, &res, err, sizeof err) == LATHE_ERR_TARGET, "strict: error");
    CHECK(access(out, F_OK) != 0, "strict: nothing written");
    o.strict = 0;
    CHECK(lathe_master_run(&o, &res, err, sizeof err) == LATHE_OK, "not strict: written");
    CHECK(!res.target_met && res.shortfall_lu > 0.5 && strstr(res.note, "limiting"),
          "shortfall %.2f LU reported: %s", res.shortfall_lu, res.note);
    CHECK(res.limiter.gr_max_db <= 3.0 + 0.3, "limiting capped at 3 dB (used %.2f)",
          res.limiter.gr_max_db);
    CHECK(res.after.true_peak_dbtp <= -1.0, "ceiling still holds (%.3f)", res.after.true_peak_dbtp);
    lathe_master_result_free(&res);
    /* The caller's recipe is untouched (the limiter's ceiling stays the default). */
    int cid = lathe_fx_param_index(r.step[0].cls, "ceiling_dbtp");
    CHECK(cid < 0 || r.step[0].params[cid] == r.step[0].cls->params[cid].def, "recipe unchanged");
    lathe_recipe_free(&r);

    /* 7. Loudness passes. (a) Hard limiting: the first pass records the detection, the
     *    next ones (if the limiter model's first answer missed) replay it; the written
     *    file lands on the target. */
    {
        double lufs, tp;
        snprintf(out, sizeof out, "%s/hard.wav", dir);
        const char *hard = "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -12, \"ceiling_dbtp\": -1, \"max_limiting_db\": 12, "
                           "\"bits\": 24}, \"chain\": [{\"fx\": \"limiter\"}]}";
        CHECK(master(in, out, hard, &res, 0) == LATHE_OK, "hard limiting runs");
        CHECK(res.passes >= 1 && res.passes <= 3 && res.limiter.gr_mean_db > 0.5, "hard limiting: %d passes, mean "
              "reduction %.2f dB", res.passes, res.limiter.gr_mean_db);
        CHECK_NEAR(res.after.integrated_lufs, -12.0, 0.1, "hard: integrated (lathe)");
        ebur128_of(out, &lufs, &tp);
        CHECK_NEAR(lufs, -12.0, 0.1, "hard: integrated (libebur128)");
        CHECK(tp <= -1.0, "hard: true peak %.3f dBTP (libebur128) under -1", tp);
        lathe_master_result_free(&res);
    }
    /* (b) One click that goes over the ceiling, in a 3 s pause of music that stays
     *     under it: the limiter model sees that limiting the click costs no loudness
     *     (the pause is gated out of the integrated loudness), so the first pass, which
     *     records the detection and writes, lands: one pass. */
    {
        const long nc = rate * 8;
        float *q = music(rate, nc, 0.2);
        memset(q + 2 * (rate * 5 / 2), 0, sizeof(float) * 2 * (size_t)(rate * 3));
        q[2 * (rate * 4)] = 0.6f;
        q[2 * (rate * 4) + 1] = -0.6f;
        snprintf(in, sizeof in, "%s/click.wav", dir);
        write_wav(in, rate, 2, q, nc, SF_FORMAT_FLOAT);
        free(q);
        lathe_analysis a;
        char aerr[256];
        CHECK(lathe_analyze_file(in, NULL, &a, aerr, sizeof aerr, NULL, NULL) == LATHE_OK,
              "click: analysed");
        const double target = a.integrated_lufs + 6.0;
        lathe_analysis_free(&a);
        char click[300];
        snprintf(click, sizeof click, "{\"lathe_recipe\": 1, \"target\": {\"lufs\": %.4f, "
                 "\"ceiling_dbtp\": -1, \"bits\": 24}, \"chain\": [{\"fx\": \"limiter\"}]}", target);
        snprintf(out, sizeof out, "%s/click-out.wav", dir);
        CHECK(master(in, out, click, &res, 0) == LATHE_OK, "click runs");
        CHECK(res.passes == 1 && res.limiter.gr_max_db > 1.0, "click: %d passes (want one), "
              "peak reduction %.2f dB", res.passes, res.limiter.gr_max_db);
        CHECK_NEAR(res.after.integrated_lufs, target, 0.02, "click: integrated (lathe)");
        double lufs, tp;
        ebur128_of(out, &lufs, &tp);
        CHECK_NEAR(lufs, target, 0.1, "click: integrated (libebur128)");
        CHECK(tp <= -1.0, "click: true peak %.3f dBTP (libebur128) under -1", tp);
        lathe_master_result_free(&res);
    }

    free(x);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
