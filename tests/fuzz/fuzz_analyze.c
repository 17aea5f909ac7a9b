/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: arbitrary bytes as an audio file through the reader, the whole
 * analysis and the JSON writer. Besides the sanitizers it checks the promises the API
 * makes: an error is one line of text, the format is within lathe's limits, progress
 * stays in 0..1, frames read never exceed the declared length, and the JSON parses. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "lathe/lathe.h"

/* Samples (frames x channels) analysed per input: a few bytes of FLAC or ADPCM can
 * claim hours of audio, and one input must stay well under a second. */
#define MAX_SAMPLES (1 << 20)
#define BLOCK 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_analyze: broken promise: %s\n", what);
        abort();
    }
}

/* An error message is one non-empty line. */
static void check_err(const char *err)
{
    require(memchr(err, 0, 256) != NULL, "error text not NUL-terminated");
    require(err[0] != 0, "error without a reason");
    require(strchr(err, '\n') == NULL, "error text spans lines");
}

static int progress_check(void *user, double fraction)
{
    (void)user;
    require(fraction >= 0.0 && fraction <= 1.0, "progress outside 0..1");
    return 0;
}

static void check_analysis(const lathe_analysis *a, const lathe_audio_info *info)
{
    char *text = NULL;
    json_error_t jerr;
    json_t *root;

    require(a->channels == info->channels, "analysis channel count differs from the reader's");
    require(a->frames > 0, "analysis of no frames reported as success");
    require(info->frames < 0 || a->frames <= info->frames, "read more frames than declared");
    require(!(a->sample_peak_dbfs > 0.0 && !info->is_float && info->bits),
            "integer PCM sample peak above full scale");
    require(a->series_count == 0 || (a->momentary_lufs && a->short_term_lufs),
            "series count without series");
    require(lathe_analysis_to_json(a, "fuzz.wav", 0, &text) == LATHE_OK && text,
            "JSON serialisation failed");
    root = json_loads(text, 0, &jerr);
    require(root != NULL, "JSON output does not parse");
    json_decref(root);
    free(text);
}

/* The analysis by hand over at most MAX_SAMPLES, for streams whose length is unknown
 * or too long for lathe_analyze_reader in one fuzz run. */
static void analyse_bounded(lathe_reader *rd, const lathe_analysis_config *cfg,
                            const lathe_audio_info *info)
{
    float *buf[LATHE_MAX_CHANNELS] = { 0 };
    lathe_analyzer *an = NULL;
    lathe_analysis a;
    int64_t samples = 0, frames = 0;

    if (lathe_analyzer_create(cfg, info->rate_hz, info->channels, info->roles, &an) != LATHE_OK)
        return;
    for (int c = 0; c < info->channels; c++)
        if (!(buf[c] = malloc(sizeof(float) * BLOCK)))
            goto done;
    while (samples < MAX_SAMPLES) {
        size_t got = 0;
        lathe_status st = lathe_reader_read(rd, buf, BLOCK, &got);
        require(got <= BLOCK, "read more frames than asked");
        if (got)
            require(lathe_analyzer_process(an, (const float *const *)buf, got) == LATHE_OK,
                    "analyzer refused a block");
        frames += (int64_t)got;
        samples += (int64_t)got * info->channels;
        if (st != LATHE_OK || got == 0)
            break;
    }
    if (lathe_analyzer_finish(an, &a) == LATHE_OK) {
        require(a.frames == frames, "analyzer frame count differs from frames fed");
        if (frames > 0) {
            lathe_audio_info same = *info;
            same.frames = -1;
            check_analysis(&a, &same);
        }
        lathe_analysis_free(&a);
    }
done:
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(buf[c]);
    lathe_analyzer_destroy(an);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lathe_reader *rd = NULL;
    lathe_analysis_config cfg;
    lathe_analysis a;
    char err[256];
    lathe_status st;

    memset(err, 0, sizeof err);
    st = lathe_reader_open_memory(data, size, &rd, err, sizeof err);
    if (st != LATHE_OK) {
        require(rd == NULL, "failed open left a reader");
        check_err(err);
        return 0;
    }
    const lathe_audio_info *info = lathe_reader_info(rd);
    require(info->channels >= 1 && info->channels <= LATHE_MAX_CHANNELS, "channel count");
    require(info->rate_hz >= LATHE_MIN_RATE_HZ && info->rate_hz <= LATHE_MAX_RATE_HZ,
            "sample rate");
    require(info->frames != 0, "empty stream opened");
    require(memchr(info->container, 0, sizeof info->container) != NULL
            && memchr(info->encoding, 0, sizeof info->encoding) != NULL, "format names");

    lathe_analysis_config_defaults(&cfg);
    /* The input's first byte varies the settings a little. */
    if (size && (data[0] & 1))
        cfg.true_peak = 0;
    if (size && (data[0] & 2))
        cfg.spectrum = 0;

    if (info->frames > 0 && info->frames * info->channels <= MAX_SAMPLES) {
        lathe_audio_info copy = *info;
        memset(err, 0, sizeof err);
        st = lathe_analyze_reader(rd, &cfg, &a, err, sizeof err, progress_check, NULL);
        if (st == LATHE_OK || st == LATHE_ERR_NON_FINITE) {
            check_analysis(&a, &copy);
            require(st == LATHE_OK || a.non_finite_samples > 0, "non-finite status without count");
            if (st != LATHE_OK)
                check_err(err);
            lathe_analysis_free(&a);
        } else {
            check_err(err);
        }
        /* Rewound, the stream reads again from its start. */
        if (lathe_reader_rewind(rd) == LATHE_OK)
            analyse_bounded(rd, &cfg, &copy);
    } else {
        analyse_bounded(rd, &cfg, info);
    }
    lathe_reader_close(rd);
    return 0;
}
