/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test-signal synthesis and analyzer helpers shared by the meter correctness tests.
 *
 * Every signal is computed here from its definition (sines, tone sequences, seeded
 * noise); nothing is read from reference files. Audio is planar float, levels are
 * dBFS of the peak (a sine of amplitude A is at 20 log10(A) dBFS). */
#ifndef LATHE_TEST_METER_SIGNALS_H
#define LATHE_TEST_METER_SIGNALS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/analysis.h"

/* A planar multichannel signal. */
typedef struct sig {
    int rate, channels;
    int64_t frames, cap;
    float *ch[LATHE_MAX_CHANNELS];
} sig;

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* A silent signal of FRAMES frames (room for CAP >= FRAMES, to append to). */
static inline sig *sig_new(int rate, int channels, int64_t frames, int64_t cap)
{
    sig *s = xcalloc(1, sizeof *s);
    s->rate = rate;
    s->channels = channels;
    s->frames = frames;
    s->cap = cap > frames ? cap : frames;
    for (int c = 0; c < channels; c++)
        s->ch[c] = xcalloc((size_t)s->cap, sizeof(float));
    return s;
}

static inline void sig_free(sig *s)
{
    if (!s)
        return;
    for (int c = 0; c < s->channels; c++)
        free(s->ch[c]);
    free(s);
}

/* Peak level in dBFS -> linear amplitude; -inf -> 0. */
static inline double amp_of_db(double dbfs)
{
    return isinf(dbfs) && dbfs < 0 ? 0.0 : pow(10.0, dbfs / 20.0);
}

static inline int64_t frames_of(double seconds, int rate)
{
    return (int64_t)llround(seconds * rate);
}

/* Sequence of 1 kHz tone segments ("tones similar to EBU Tech 3341 #1"): the
 * sine's phase runs on continuously, each segment scales it to its own peak level.
 * DB[c] per channel; a segment of -INFINITY dBFS is digital silence. */
typedef struct tone_seq {
    sig *s;
    double freq_hz;
    int64_t n;            /* frames written so far */
} tone_seq;

static inline void tone_seq_init(tone_seq *t, int rate, int channels, double freq_hz,
                                 double max_seconds)
{
    t->s = sig_new(rate, channels, 0, frames_of(max_seconds, rate) + 16);
    t->freq_hz = freq_hz;
    t->n = 0;
}

/* Appends SECONDS of the tone at PEAK_DBFS[c] per channel. */
static inline void tone_seq_add_ch(tone_seq *t, double seconds, const double *peak_dbfs)
{
    sig *s = t->s;
    int64_t len = frames_of(seconds, s->rate);
    if (t->n + len > s->cap) {
        fprintf(stderr, "tone_seq: capacity exceeded\n");
        exit(2);
    }
    const double w = 2.0 * M_PI * t->freq_hz / s->rate;
    for (int c = 0; c < s->channels; c++) {
        double a = amp_of_db(peak_dbfs[c]);
        float *x = s->ch[c];
        for (int64_t i = t->n; i < t->n + len; i++)
            x[i] = (float)(a * sin(w * (double)i));
    }
    t->n += len;
    s->frames = t->n;
}

/* The same level on every channel. */
static inline void tone_seq_add(tone_seq *t, double seconds, double peak_dbfs)
{
    double db[LATHE_MAX_CHANNELS];
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        db[c] = peak_dbfs;
    tone_seq_add_ch(t, seconds, db);
}

/* Raised-cosine fade-in and fade-out of FADE frames each (EBU Tech 3341 tapers its
 * true-peak tones: an abrupt start is not band-limited and overshoots). */
static inline void taper(sig *s, int64_t fade)
{
    for (int c = 0; c < s->channels; c++)
        for (int64_t i = 0; i < fade && i < s->frames; i++) {
            double g = 0.5 * (1.0 - cos(M_PI * (double)i / (double)fade));
            s->ch[c][i] *= (float)g;
            s->ch[c][s->frames - 1 - i] *= (float)g;
        }
}

/* Deterministic uniform noise in [-1, 1) (xorshift64*), for reproducible tests. */
typedef struct rng {
    uint64_t s;
} rng;

static inline double rng_uniform(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    uint64_t v = r->s * 2685821657736338717ULL;
    return (double)(v >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Approximately Gaussian (sum of four uniforms, unit variance). */
static inline double rng_gauss(rng *r)
{
    double s = rng_uniform(r) + rng_uniform(r) + rng_uniform(r) + rng_uniform(r);
    return s * 0.8660254037844386; /* var of U(-1,1) is 1/3: 4/3 * 0.75 = 1 */
}

/* Default analysis config; LOUDNESS_ONLY switches off true peak and spectrum, which
 * the loudness cases do not look at (it keeps the tests fast, above all under ASan). */
static inline lathe_analysis_config test_config(int loudness_only)
{
    lathe_analysis_config cfg;
    lathe_analysis_config_defaults(&cfg);
    if (loudness_only) {
        cfg.true_peak = 0;
        cfg.spectrum = 0;
    }
    return cfg;
}

/* Runs S through the public streaming API (create, process in blocks of uneven
 * sizes, finish). ROLES may be NULL for the defaults. Returns the status of the
 * first failing call. */
static inline lathe_status analyze_sig(const sig *s, const lathe_analysis_config *cfg,
                                       const lathe_channel_role *roles, lathe_analysis *out)
{
    static const size_t blocks[] = { 1000, 4096, 333, 9600, 1, 7777, 48000 };
    lathe_analyzer *an = NULL;
    lathe_status st = lathe_analyzer_create(cfg, s->rate, s->channels, roles, &an);
    if (st != LATHE_OK)
        return st;
    int64_t off = 0;
    unsigned k = 0;
    while (off < s->frames) {
        size_t n = blocks[k++ % (sizeof blocks / sizeof blocks[0])];
        if ((int64_t)n > s->frames - off)
            n = (size_t)(s->frames - off);
        const float *p[LATHE_MAX_CHANNELS];
        for (int c = 0; c < s->channels; c++)
            p[c] = s->ch[c] + off;
        st = lathe_analyzer_process(an, p, n);
        if (st != LATHE_OK) {
            lathe_analyzer_destroy(an);
            return st;
        }
        off += (int64_t)n;
    }
    st = lathe_analyzer_finish(an, out);
    lathe_analyzer_destroy(an);
    return st;
}

/* 1 when the tests run under ASan/UBSan (the Makefile sets LATHE_SANITIZED=1). */
static inline int sanitized(void)
{
    const char *v = getenv("LATHE_SANITIZED");
    return v && *v && strcmp(v, "0") != 0;
}

/* A fresh private directory for test files (mkdtemp), or NULL. */
static inline char *test_tmpdir(char *buf, size_t len)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, len, "%s/lathe-meter-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(buf);
}

/* Writes S as a WAV file (FORMAT: SF_FORMAT_PCM_16, _PCM_24 or _FLOAT) at PATH with
 * libsndfile. Returns 0 on success. */
static inline int write_wav(const char *path, const sig *s, int format)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = s->rate;
    info.channels = s->channels;
    info.format = SF_FORMAT_WAV | format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return -1;
    /* Float data must not be normalised or clipped on the way to PCM: values are
     * already in [-1, 1) where they must be, and out-of-range tests write floats. */
    sf_command(f, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
    float buf[1024 * LATHE_MAX_CHANNELS];
    int rc = 0;
    for (int64_t off = 0; off < s->frames && rc == 0; off += 1024) {
        int64_t n = s->frames - off < 1024 ? s->frames - off : 1024;
        for (int64_t i = 0; i < n; i++)
            for (int c = 0; c < s->channels; c++)
                buf[i * s->channels + c] = s->ch[c][off + i];
        if (sf_writef_float(f, buf, n) != n)
            rc = -1;
    }
    if (sf_close(f) != 0)
        rc = -1;
    return rc;
}

/* Largest float series value over indices [FROM, TO) that is not NAN (-inf if none). */
static inline double series_max(const float *v, size_t from, size_t to)
{
    double m = -HUGE_VAL;
    for (size_t i = from; i < to; i++)
        if (!isnan(v[i]) && v[i] > m)
            m = v[i];
    return m;
}

#endif
