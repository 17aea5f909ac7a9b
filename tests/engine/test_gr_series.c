/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gain reduction over time (lathe_master_result.gr): through lathe_master_run, the
 * compressor's series is ~0 on a quiet passage and, on a loud one, equals the gain
 * reduction measured from the audio itself (input RMS over output RMS per block) and
 * the static curve's (level - threshold) * (1 - 1/ratio); its time-weighted mean equals
 * the processor's own mean. Through the recorder alone, 6500 blocks of alternating
 * level: the columns merge twice (constant memory) and keep the pattern and the mean. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "engine/chain.h"
#include "engine/gr_series.h"
#include "lathe/lathe.h"
#include "testutil.h"

#define RATE 44100
#define BLK LATHE_ENGINE_BLOCK

static double level_of(long i)
{
    return i < 10L * RATE ? pow(10.0, -40.0 / 20.0) : pow(10.0, -10.0 / 20.0);
}

static void test_master(void)
{
    char dir[] = "/tmp/lathe-gr-XXXXXX", in[300], out[300], err[512];
    const long n = 20L * RATE;
    if (!mkdtemp(dir)) {
        CHECK(0, "temporary directory");
        return;
    }
    snprintf(in, sizeof in, "%s/in.wav", dir);
    snprintf(out, sizeof out, "%s/out.wav", dir);
    float *x = malloc(sizeof(float) * (size_t)n * 2);
    for (long i = 0; i < n; i++)
        x[2 * i] = x[2 * i + 1] = (float)(level_of(i) * sin(2 * M_PI * 1000.0 * i / RATE));
    SF_INFO si = { .samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *f = sf_open(in, SFM_WRITE, &si);
    sf_writef_float(f, x, n);
    sf_close(f);

    /* RMS detector over 10 ms: a sine at -10 dBFS peak reads -13.01 dB, 6.99 dB over the
     * -20 dB threshold: 4:1 takes 5.24 dB off (hard knee). */
    const char *json = "{\"lathe_recipe\": 1, \"target\": {\"bits\": 32}, \"chain\": ["
                       "{\"fx\": \"compressor\", \"threshold_db\": -20, \"ratio\": 4, \"knee_db\": 0,"
                       " \"attack_ms\": 2, \"release_ms\": 50, \"detector\": \"rms\"},"
                       "{\"fx\": \"limiter\", \"ceiling_dbtp\": -0.1}]}";
    lathe_recipe r;
    lathe_master_result res;
    CHECK(lathe_recipe_parse(json, &r, err, sizeof err) == LATHE_OK, "recipe: %s", err);
    lathe_master_options o = { .input = in, .output = out, .recipe = &r };
    lathe_status st = lathe_master_run(&o, &res, err, sizeof err);
    CHECK(st == LATHE_OK, "master: %s", err);
    lathe_recipe_free(&r);
    if (st != LATHE_OK) {
        free(x);
        return;
    }
    CHECK(res.gr_count == 2, "two dynamics steps recorded, got %d", res.gr_count);
    if (res.gr_count == 2) {
        const lathe_gr_series *c = &res.gr[0], *l = &res.gr[1];
        CHECK(!strcmp(c->fx, "compressor") && c->step == 0, "series 0: %s step %d", c->fx, c->step);
        CHECK(!strcmp(l->fx, "limiter") && l->step == 1, "series 1: %s step %d", l->fx, l->step);
        CHECK_NEAR(c->step_s, (double)BLK / RATE, 1e-12, "one block per value");
        size_t blocks = (size_t)((n + BLK - 1) / BLK);
        CHECK(c->count >= blocks && c->count <= blocks + 1, "%zu values for %zu blocks", c->count,
              blocks);
        /* time-weighted mean = the processor's mean over all frames */
        double sum = 0.0;
        for (size_t k = 0; k < c->count; k++)
            sum += c->gr_db[k] * (k + 1 < c->count ? (double)BLK : (double)(n - (long)k * BLK));
        CHECK_NEAR(sum / (double)n, c->stats.gr_mean_db, 0.01, "series mean vs stats mean (dB)");
        /* the output read back: the reduction per block from the audio */
        SF_INFO so = { 0 };
        SNDFILE *g = sf_open(out, SFM_READ, &so);
        float *y = malloc(sizeof(float) * (size_t)n * 2);
        long m = g ? (long)sf_readf_float(g, y, n) : 0;
        if (g)
            sf_close(g);
        CHECK(m == n, "output length %ld", m);
        double worst_quiet = 0.0, worst_loud = 0.0, loud_mean = 0.0;
        int loud_n = 0;
        for (size_t k = 0; k < c->count && (long)(k + 1) * BLK <= m; k++) {
            double t = (double)k * BLK / RATE, pi = 0.0, po = 0.0;
            for (long i = (long)k * BLK; i < (long)(k + 1) * BLK; i++) {
                pi += (double)x[2 * i] * x[2 * i];
                po += (double)y[2 * i] * y[2 * i];
            }
            double audio_gr = 10.0 * log10(pi / po);
            if (t > 1.0 && t < 9.5) {
                worst_quiet = fmax(worst_quiet, fabs(c->gr_db[k]));
            } else if (t > 11.0 && t < 19.5) {
                worst_loud = fmax(worst_loud, fabs(c->gr_db[k] - audio_gr));
                loud_mean += c->gr_db[k];
                loud_n++;
            }
        }
        CHECK(worst_quiet < 0.01, "quiet passage: up to %.4f dB of reduction recorded", worst_quiet);
        CHECK(worst_loud < 0.1, "loud passage: series and audio differ by up to %.4f dB", worst_loud);
        double expect = (20.0 * log10(pow(10.0, -10.0 / 20.0) * sqrt(0.5)) + 20.0) * (1.0 - 0.25);
        CHECK_NEAR(loud_mean / loud_n, expect, 0.15, "loud passage mean reduction (dB)");
        double lim = 0.0;
        for (size_t k = 0; k < l->count; k++)
            lim = fmax(lim, l->gr_db[k]);
        CHECK(lim < 0.01 && l->stats.gr_max_db < 0.01, "limiter idle under its ceiling: %.4f dB", lim);
        free(y);
    }
    lathe_master_result_free(&res);
    CHECK(res.gr_count == 0, "freed");
    free(x);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

/* The recorder alone, long enough to merge twice: 6500 blocks at 8 kHz, the level
 * switching between quiet and loud every 64 blocks. */
static void test_merging(void)
{
    const int rate = 8000, blocks = 6500, period = 64;
    const lathe_fx_class *cls = lathe_fx_class_find("compressor");
    lathe_recipe_step step = { cls, NULL };
    double *params = malloc(sizeof(double) * (size_t)cls->num_params);
    for (int i = 0; i < cls->num_params; i++)
        params[i] = cls->params[i].def;
    params[lathe_fx_param_index(cls, "threshold_db")] = -20.0;
    params[lathe_fx_param_index(cls, "ratio")] = 4.0;
    params[lathe_fx_param_index(cls, "knee_db")] = 0.0;
    params[lathe_fx_param_index(cls, "attack_ms")] = 1.0;
    params[lathe_fx_param_index(cls, "release_ms")] = 20.0;
    step.params = params;
    lathe_fx_setup setup = { rate, 1, BLK, 0 };
    lathe_chain chain;
    char err[256];
    lathe_master_result res;
    memset(&res, 0, sizeof res);
    CHECK(lathe_chain_create(&step, 1, &setup, &chain, err, sizeof err) == LATHE_OK, "chain: %s", err);
    CHECK(lathe_gr_recorder_create(&chain, rate, 0, &chain.gr) == LATHE_OK && chain.gr, "recorder");
    float *buf = malloc(sizeof(float) * BLK);
    float *ch[1] = { buf };
    long long t = 0;
    for (int b = 0; b < blocks; b++) {
        double a = (b / period) % 2 ? 0.5 : 0.01;     /* -6 / -40 dBFS peak */
        for (int i = 0; i < BLK; i++, t++)
            buf[i] = (float)(a * sin(2 * M_PI * 250.0 * (double)t / rate));
        lathe_chain_process(&chain, ch, BLK);
    }
    CHECK(lathe_gr_recorder_take(chain.gr, &chain, &res) == LATHE_OK && res.gr_count == 1,
          "one series");
    if (res.gr_count == 1) {
        const lathe_gr_series *g = &res.gr[0];
        CHECK_NEAR(g->step_s, 4.0 * BLK / rate, 1e-12, "two merges: 4 blocks per value");
        CHECK(g->count == (size_t)(blocks + 3) / 4, "%zu values, want %d", g->count, (blocks + 3) / 4);
        double sum = 0.0, quiet = 0.0, loud_lo = HUGE_VAL, loud_hi = 0.0;
        for (size_t k = 0; k < g->count; k++) {
            sum += g->gr_db[k] * (k + 1 < g->count ? 4.0 : (double)(blocks - 4 * (int)k));
            int b0 = 4 * (int)k;
            if (b0 % period == 0)
                continue;                           /* attack or release inside */
            if ((b0 / period) % 2)
                loud_lo = fmin(loud_lo, g->gr_db[k]), loud_hi = fmax(loud_hi, g->gr_db[k]);
            else
                quiet = fmax(quiet, g->gr_db[k]);
        }
        CHECK_NEAR(sum / blocks, g->stats.gr_mean_db, 1e-6, "merged series keeps the mean (dB)");
        CHECK(quiet < 0.01, "quiet columns: up to %.4f dB", quiet);
        CHECK(loud_hi - loud_lo < 0.2 && loud_lo > 5.0, "loud columns: %.3f .. %.3f dB", loud_lo,
              loud_hi);
    }
    lathe_master_result_free(&res);
    lathe_chain_destroy(&chain);
    free(buf);
    free(params);
}

int main(void)
{
    test_master();
    test_merging();
    return test_summary();
}
