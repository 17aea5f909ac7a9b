/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The master's figures "after" are measured in the pass that writes the file, on the
 * samples as the writer stores them. They must be exactly what reading the written file
 * back through libsndfile and analysing it gives: every figure, bit for bit, for 16-bit
 * WAV with TPDF dither, 24-bit FLAC with noise shaping after resampling, a 20-bit word in
 * AIFF, 32-bit float, mono, and a clipping square wave (its clip counts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/lathe.h"
#include "testutil.h"

static char dir[256];

/* A stereo (or mono) test signal: decaying noise bursts, a bass line, a pad; SQUARE
 * adds a full-scale square wave, clipped in 16 bits. */
static void make_input(const char *path, int rate, int channels, double seconds, int square)
{
    const long frames = (long)(seconds * rate);
    float *x = malloc(sizeof(float) * (size_t)frames * (size_t)channels);
    unsigned s = 777;
    for (long i = 0; i < frames; i++) {
        double t = (double)i / rate, beat = fmod(t, 0.5);
        s = s * 1664525u + 1013904223u;
        double noise = ((double)(s >> 8) / 8388608.0 - 1.0) * exp(-beat * 25.0);
        double bass = sin(2 * M_PI * 55.0 * t) * exp(-beat * 3.0);
        double pad = 0.3 * sin(2 * M_PI * 440.0 * t + 0.5 * sin(2 * M_PI * 3 * t));
        double l = 0.2 * (0.5 * noise + bass + pad), r = 0.2 * (0.4 * noise + bass - 0.7 * pad);
        if (square)
            l = r = fmod(t * 100.0, 1.0) < 0.5 ? 1.0 : -1.0;
        x[(size_t)i * (size_t)channels] = (float)l;
        if (channels == 2)
            x[(size_t)i * 2 + 1] = (float)r;
    }
    SF_INFO si = { .samplerate = rate, .channels = channels,
                   .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *f = sf_open(path, SFM_WRITE, &si);
    sf_writef_float(f, x, frames);
    sf_close(f);
    free(x);
}

static int same_d(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static int n_diff;

#define SAME(field, fmt) do { \
        if (!same_d((double)a->field, (double)b->field)) { \
            n_diff++; \
            fprintf(stderr, "  %s: in-pass " fmt ", read back " fmt "\n", #field, \
                    (double)a->field, (double)b->field); \
        } \
    } while (0)

/* Every figure of A equals B's; prints the ones that differ. */
static int same_analysis(const lathe_analysis *a, const lathe_analysis *b)
{
    n_diff = 0;
    SAME(info.frames, "%.0f");
    SAME(info.rate_hz, "%.0f");
    SAME(info.channels, "%.0f");
    SAME(info.bits, "%.0f");
    SAME(info.is_float, "%.0f");
    SAME(info.full_scale, "%.17g");
    if (strcmp(a->info.container, b->info.container) || strcmp(a->info.encoding, b->info.encoding)) {
        n_diff++;
        fprintf(stderr, "  format: %s %s vs %s %s\n", a->info.container, a->info.encoding,
                b->info.container, b->info.encoding);
    }
    SAME(frames, "%.0f");
    SAME(duration_s, "%.17g");
    SAME(integrated_lufs, "%.17g");
    SAME(loudness_range_lu, "%.17g");
    SAME(max_momentary_lufs, "%.17g");
    SAME(max_short_term_lufs, "%.17g");
    SAME(true_peak_dbtp, "%.17g");
    SAME(sample_peak_dbfs, "%.17g");
    SAME(plr_db, "%.17g");
    SAME(rms_dbfs, "%.17g");
    SAME(crest_db, "%.17g");
    SAME(correlation, "%.17g");
    SAME(min_correlation, "%.17g");
    SAME(side_mid_db, "%.17g");
    SAME(mono_loss_lu, "%.17g");
    SAME(non_finite_samples, "%.0f");
    SAME(clip_runs, "%.0f");
    SAME(clipped_samples, "%.0f");
    SAME(leading_silence_ms, "%.17g");
    SAME(trailing_silence_ms, "%.17g");
    for (int k = 0; k < LATHE_THIRD_OCTAVE_BANDS; k++) {
        SAME(spectrum_db[k], "%.17g");
        SAME(spectrum_mid_db[k], "%.17g");
        SAME(spectrum_side_db[k], "%.17g");
    }
    SAME(series_count, "%.0f");
    if (a->series_count == b->series_count && a->series_count
        && (memcmp(a->momentary_lufs, b->momentary_lufs, sizeof(float) * a->series_count)
            || memcmp(a->short_term_lufs, b->short_term_lufs, sizeof(float) * a->series_count))) {
        n_diff++;
        fprintf(stderr, "  loudness series differ\n");
    }
    SAME(channels, "%.0f");
    for (int c = 0; c < a->channels; c++) {
        SAME(channel[c].sample_peak_dbfs, "%.17g");
        SAME(channel[c].true_peak_dbtp, "%.17g");
        SAME(channel[c].rms_dbfs, "%.17g");
        SAME(channel[c].dc_offset, "%.17g");
        SAME(channel[c].clip_runs, "%.0f");
        SAME(channel[c].clipped_samples, "%.0f");
    }
    return n_diff == 0;
}

static void one_case(const char *name, int rate, int channels, int square, const char *recipe)
{
    char in[300], out[300], err[512];
    snprintf(in, sizeof in, "%s/%s-in.wav", dir, name);
    snprintf(out, sizeof out, "%s/%s", dir, name);
    const double seconds = getenv("LATHE_SANITIZED") ? 4.0 : 12.0;
    make_input(in, rate, channels, seconds, square);

    lathe_recipe r;
    lathe_master_result res;
    if (lathe_recipe_parse(recipe, &r, err, sizeof err) != LATHE_OK) {
        CHECK(0, "%s: recipe: %s", name, err);
        return;
    }
    lathe_master_options o = { .input = in, .output = out, .recipe = &r, .overwrite = 1 };
    lathe_status st = lathe_master_run(&o, &res, err, sizeof err);
    lathe_recipe_free(&r);
    CHECK(st == LATHE_OK, "%s: master: %s (%s)", name, err, lathe_status_str(st));
    if (st != LATHE_OK)
        return;
    lathe_analysis back;
    st = lathe_analyze_file(out, NULL, &back, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_OK, "%s: read back: %s", name, err);
    if (st == LATHE_OK) {
        CHECK(same_analysis(&res.after, &back),
              "%s: the in-pass figures equal the file's read back (%d differ)", name, n_diff);
        printf("%s: %s %s, %lld frames, %.3f LUFS, %.3f dBTP, %lld clipped samples\n", name,
               back.info.container, back.info.encoding, (long long)back.frames,
               back.integrated_lufs, back.true_peak_dbtp, (long long)back.clipped_samples);
    }
    lathe_analysis_free(&back);
    lathe_master_result_free(&res);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lathe-after-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    one_case("s16.wav", 44100, 2, 0,
             "{\"lathe_recipe\": 1, \"target\": {\"name\": \"spotify\", \"bits\": 16}}");
    one_case("s24.flac", 44100, 2, 0,
             "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -16, \"ceiling_dbtp\": -1,"
             " \"rate_hz\": 48000, \"bits\": 24, \"dither\": \"shaped\"},"
             " \"chain\": [{\"fx\": \"eq\", \"bands\": [{\"type\": \"bell\", \"freq_hz\": 1000,"
             " \"gain_db\": 3}]}]}");
    one_case("w20.aiff", 48000, 2, 0,
             "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -23, \"ceiling_dbtp\": -2, \"bits\": 20}}");
    one_case("f32.wav", 48000, 2, 0,
             "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -14, \"ceiling_dbtp\": -1, \"bits\": 32}}");
    one_case("mono.wav", 44100, 1, 0,
             "{\"lathe_recipe\": 1, \"target\": {\"lufs\": -16, \"ceiling_dbtp\": -1, \"bits\": 16}}");
    one_case("clip.wav", 44100, 2, 1,
             "{\"lathe_recipe\": 1, \"target\": {\"bits\": 16, \"dither\": \"none\"}}");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
