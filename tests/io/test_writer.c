/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The output writer: round trips through every container, sample type and 1-3
 * channels, the monitor seeing what a reader of the file gets, the
 * temporary-file-then-rename protocol, refusals (existing file, inputs, directories),
 * failed writes leaving nothing behind, and ffprobe/ffmpeg reading what we wrote. */
#define _GNU_SOURCE 1   /* unshare(2) for the private tmpfs test */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/io.h"
#include "lathe/output.h"
#include "testutil.h"

static char tmpdir[256];

/* --- helpers ---------------------------------------------------------------- */

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Number of entries in DIR (without . and ..); names listed in NAMES if not NULL. */
static int count_entries(const char *dir, char *names, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (names && len)
        names[0] = 0;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        if (names && strlen(names) + strlen(e->d_name) + 2 < len) {
            strcat(names, e->d_name);
            strcat(names, " ");
        }
    }
    closedir(d);
    return n;
}

static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[600];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        path_in(p, sizeof p, dir, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(d);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* A test signal: channel c is a sine of its own frequency at -1 dBFS plus a small
 * ramp so that every bit changes. */
static void make_signal(float **ch, int channels, size_t n, double rate)
{
    for (int c = 0; c < channels; c++)
        for (size_t i = 0; i < n; i++)
            ch[c][i] = (float)(0.89 * sin(2 * M_PI * (440.0 + 110.0 * c) * (double)i / rate)
                               + 1e-4 * sin(0.37 * (double)i));
}

static float **alloc_ch(int channels, size_t n)
{
    float **ch = calloc((size_t)channels, sizeof *ch);
    for (int c = 0; c < channels; c++)
        ch[c] = calloc(n, sizeof(float));
    return ch;
}

static void free_ch(float **ch, int channels)
{
    for (int c = 0; c < channels; c++)
        free(ch[c]);
    free(ch);
}

/* Writes N frames of CH to PATH in FMT in blocks of BLOCK; returns the commit status. */
static lathe_status write_file(const char *path, const lathe_output_format *fmt, int overwrite,
                               float **ch, size_t n, size_t block, char *err, size_t errlen)
{
    lathe_writer *w;
    lathe_status st = lathe_writer_open(path, fmt, overwrite, &w, err, errlen);
    if (st != LATHE_OK)
        return st;
    for (size_t pos = 0; pos < n; pos += block) {
        const float *p[LATHE_MAX_CHANNELS];
        size_t len = n - pos < block ? n - pos : block;
        for (int c = 0; c < fmt->channels; c++)
            p[c] = ch[c] + pos;
        st = lathe_writer_write(w, p, len);
        if (st != LATHE_OK) {
            snprintf(err, errlen, "write: %s: %s", lathe_status_str(st), lathe_writer_error(w));
            lathe_writer_abort(w);
            return st;
        }
    }
    return lathe_writer_commit(w, err, errlen);
}

static void fmt_simple(lathe_output_format *fmt, lathe_container cont, lathe_sample_type t)
{
    lathe_output_format_defaults(fmt);
    fmt->container = cont;
    fmt->sample_type = t;
    fmt->rate_hz = 44100;
    fmt->channels = 2;
}

static int bits_of(lathe_sample_type t)
{
    return t == LATHE_SAMPLE_PCM16 ? 16 : t == LATHE_SAMPLE_PCM24 ? 24 : 32;
}

/* The integer a W-bit word holds for X when rounded (no dither), left-justified in 32
 * bits as libsndfile returns it. */
static int32_t expected_int(float x, int word_bits)
{
    double scale = ldexp(1.0, word_bits - 1);
    double q = rint((double)x * scale);
    if (q > scale - 1)
        q = scale - 1;
    if (q < -scale)
        q = -scale;
    return (int32_t)q * ((int32_t)1 << (32 - word_bits));
}

/* --- round trips ------------------------------------------------------------ */

/* CHANNELS channels through every container and sample type, written in blocks of
 * 4093 frames (so that the chunks encoded have every length modulo 4). */
static void round_trips(int channels)
{
    const int rate = 44100;
    const size_t n = 30000;
    char path[512], err[256];
    float **ch = alloc_ch(channels, n), **back = alloc_ch(channels, n + 16);

    make_signal(ch, channels, n, rate);
    ch[0][100] = 1.0f;                  /* full scale: clips to +max in PCM */
    ch[channels - 1][101] = -1.0f;      /* exactly -max */
    ch[0][102] = 1.5f;                  /* over: clipped in PCM, kept in float */
    ch[channels - 1][103] = -2.25f;
    ch[0][104] = 1e-30f;                /* tiny, kept in float */
    for (int cont = 0; cont < LATHE_CONTAINER_COUNT; cont++) {
        for (int type = 0; type < LATHE_SAMPLE_TYPE_COUNT; type++) {
            for (int wl = 0; wl < 2; wl++) {
                lathe_output_format fmt;
                lathe_output_format_defaults(&fmt);
                fmt.container = (lathe_container)cont;
                fmt.sample_type = (lathe_sample_type)type;
                fmt.rate_hz = rate;
                fmt.channels = channels;
                fmt.dither = LATHE_DITHER_NONE;
                if (wl) {
                    if (type != LATHE_SAMPLE_PCM24)
                        continue;
                    fmt.word_bits = 20;
                }
                char name[64];
                snprintf(name, sizeof name, "rt-%s-%s%s-%dch.%s", lathe_container_name(fmt.container),
                         lathe_sample_type_name(fmt.sample_type), wl ? "-20" : "", channels,
                         lathe_container_name(fmt.container));
                path_in(path, sizeof path, tmpdir, name);
                int supported = lathe_output_format_check(&fmt, err, sizeof err) == LATHE_OK;
                if (cont == LATHE_CONTAINER_FLAC && type >= LATHE_SAMPLE_PCM32) {
                    CHECK(!supported, "%s should be refused", name);
                    CHECK(strstr(err, "flac cannot store") != NULL, "message: %s", err);
                    continue;
                }
                CHECK(supported, "%s refused: %s", name, err);
                lathe_status st = write_file(path, &fmt, 0, ch, n, 4093, err, sizeof err);
                CHECK(st == LATHE_OK, "%s: %s (%s)", name, lathe_status_str(st), err);
                if (st != LATHE_OK)
                    continue;

                /* via lathe_reader: frames, rate, channels, format, float samples */
                lathe_reader *r;
                size_t got = 0;
                st = lathe_reader_open(path, &r, err, sizeof err);
                CHECK(st == LATHE_OK, "%s: reader: %s", name, err);
                if (st != LATHE_OK)
                    continue;
                const lathe_audio_info *info = lathe_reader_info(r);
                CHECK(info->frames == (int64_t)n && info->rate_hz == rate
                      && info->channels == channels
                      && info->bits == bits_of(fmt.sample_type)
                      && info->is_float == (type == LATHE_SAMPLE_FLOAT32),
                      "%s: read back %lld frames %d Hz %d ch %d bits float %d", name,
                      (long long)info->frames, info->rate_hz, info->channels, info->bits,
                      info->is_float);
                lathe_reader_read(r, back, n + 16, &got);
                lathe_reader_close(r);
                CHECK(got == n, "%s: %zu frames read", name, got);
                if (type == LATHE_SAMPLE_FLOAT32) {
                    int same = got == n;
                    for (int c = 0; same && c < channels; c++)
                        same = !memcmp(ch[c], back[c], sizeof(float) * n);
                    CHECK(same, "%s: float samples changed", name);
                } else {
                    /* within half an LSB of the word (exact rounding), except where clipped */
                    int wb = wl ? 20 : bits_of(fmt.sample_type);
                    double lsb = ldexp(1.0, -(wb - 1)), worst = 0;
                    for (int c = 0; c < channels; c++)
                        for (size_t i = 0; i < got; i++) {
                            if (fabsf(ch[c][i]) >= 1.0f)
                                continue;
                            double e = fabs((double)back[c][i] - ch[c][i]) / lsb;
                            if (e > worst)
                                worst = e;
                        }
                    CHECK(worst <= 0.5 + (wb == 32 ? 200.0 : 1e-3),
                          "%s: read back %.3f LSB from the input", name, worst);
                    /* exact integers via libsndfile directly */
                    SF_INFO sfi;
                    memset(&sfi, 0, sizeof sfi);
                    SNDFILE *sf = sf_open(path, SFM_READ, &sfi);
                    int32_t *iv = malloc(sizeof(int32_t) * n * (size_t)channels);
                    sf_count_t k = sf ? sf_readf_int(sf, iv, (sf_count_t)n) : 0;
                    size_t bad = 0, first = 0;
                    for (size_t i = 0; i < (size_t)k; i++)
                        for (int c = 0; c < channels; c++)
                            if (iv[i * (size_t)channels + (size_t)c] != expected_int(ch[c][i], wb)) {
                                if (!bad)
                                    first = i;
                                bad++;
                            }
                    CHECK(k == (sf_count_t)n && bad == 0,
                          "%s: %zu integer samples differ from round(x * 2^%d) (first at %zu)",
                          name, bad, wb - 1, first);
                    if (sf)
                        sf_close(sf);
                    free(iv);
                }
            }
        }
    }
    free_ch(ch, channels);
    free_ch(back, channels);
    empty_dir(tmpdir);
}

/* Mono, stereo and three channels: each packs its samples its own way. */
static void test_round_trips(void)
{
    for (int channels = 1; channels <= 3; channels++)
        round_trips(channels);
    printf("round trips: every container x sample type x 1-3 channels written and read back\n");
}

/* --- the monitor ---------------------------------------------------------------- */

typedef struct collected {
    float **ch;
    int channels;
    size_t frames, cap;
} collected;

static void collect(void *user, const float *const *ch, size_t frames)
{
    collected *c = user;
    for (int k = 0; k < c->channels; k++)
        if (c->frames + frames <= c->cap)
            memcpy(c->ch[k] + c->frames, ch[k], sizeof(float) * frames);
    c->frames += frames;
}

/* The monitor receives the samples as the file stores them: what lathe_reader_read
 * returns from the written file, bit for bit (PCM up to 24 bits, dithered, and float),
 * and for 32-bit PCM the stored integers over 2^31 (libsndfile's own reading). */
static void test_monitor(void)
{
    static const struct {
        lathe_container cont;
        lathe_sample_type type;
        int word_bits, channels;
        lathe_dither_type dither;
    } cases[] = {
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16, 0, 1, LATHE_DITHER_SHAPED },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16, 12, 3, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_AIFF, LATHE_SAMPLE_PCM16, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM16, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM24, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM24, 20, 2, LATHE_DITHER_SHAPED },
        { LATHE_CONTAINER_W64, LATHE_SAMPLE_PCM24, 0, 3, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_AIFF, LATHE_SAMPLE_PCM24, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_CAF, LATHE_SAMPLE_PCM24, 20, 1, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM24, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_RF64, LATHE_SAMPLE_PCM32, 0, 2, LATHE_DITHER_TPDF },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_FLOAT32, 0, 2, LATHE_DITHER_TPDF },
    };
    const size_t n = 20000;
    char path[512], err[256];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int nch = cases[k].channels;
        float **ch = alloc_ch(nch, n), **back = alloc_ch(nch, n + 16);
        collected col = { alloc_ch(nch, n), nch, 0, n };
        lathe_output_format fmt;
        lathe_writer *w;
        char name[64];
        make_signal(ch, nch, n, 44100);
        ch[0][50] = 1.2f;                                   /* clipped */
        ch[nch - 1][51] = -1.0f;
        fmt_simple(&fmt, cases[k].cont, cases[k].type);
        fmt.word_bits = cases[k].word_bits;
        fmt.channels = nch;
        fmt.dither = cases[k].dither;
        fmt.seed = 5;
        snprintf(name, sizeof name, "mon%zu-%s-%dch.%s", k, lathe_sample_type_name(fmt.sample_type),
                 nch, lathe_container_name(fmt.container));
        path_in(path, sizeof path, tmpdir, name);
        lathe_status st = lathe_writer_open(path, &fmt, 0, &w, err, sizeof err);
        CHECK(st == LATHE_OK, "%s: open: %s", name, err);
        if (st != LATHE_OK)
            goto next;
        CHECK(lathe_writer_set_monitor(w, collect, &col) == LATHE_OK, "%s: set_monitor", name);
        for (size_t pos = 0; pos < n; pos += 3001) {
            const float *p[LATHE_MAX_CHANNELS];
            for (int c = 0; c < nch; c++)
                p[c] = ch[c] + pos;
            lathe_writer_write(w, p, n - pos < 3001 ? n - pos : 3001);
        }
        st = lathe_writer_commit(w, err, sizeof err);
        CHECK(st == LATHE_OK && col.frames == n, "%s: commit %s (%s), monitor saw %zu frames", name,
              lathe_status_str(st), err, col.frames);
        if (st != LATHE_OK)
            goto next;
        size_t bad = 0, got = 0;
        if (cases[k].type != LATHE_SAMPLE_PCM32) {
            lathe_reader *r;
            if (lathe_reader_open(path, &r, err, sizeof err) == LATHE_OK) {
                lathe_reader_read(r, back, n + 16, &got);
                lathe_reader_close(r);
            }
            for (int c = 0; c < nch; c++)
                for (size_t i = 0; i < got && i < n; i++)
                    bad += memcmp(&back[c][i], &col.ch[c][i], sizeof(float)) != 0;
        } else {
            SF_INFO sfi;
            memset(&sfi, 0, sizeof sfi);
            SNDFILE *sf = sf_open(path, SFM_READ, &sfi);
            int32_t *iv = malloc(sizeof(int32_t) * n * (size_t)nch);
            got = sf ? (size_t)sf_readf_int(sf, iv, (sf_count_t)n) : 0;
            for (size_t i = 0; i < got; i++)
                for (int c = 0; c < nch; c++)
                    bad += (float)ldexp(iv[i * (size_t)nch + (size_t)c], -31) != col.ch[c][i];
            if (sf)
                sf_close(sf);
            free(iv);
        }
        printf("monitor %-22s %zu frames read back, %zu samples differ from the monitor's\n", name,
               got, bad);
        CHECK(got == n && bad == 0, "%s: %zu of %zu frames read back, %zu samples differ from what "
              "the monitor saw", name, got, n, bad);
    next:
        free_ch(ch, nch);
        free_ch(back, nch);
        free_ch(col.ch, nch);
        empty_dir(tmpdir);
    }
}

/* Resampling inside the writer: exact length, level and phase of a 1 kHz sine. */
static void test_resampling_writer(void)
{
    const size_t n = 44100;
    float **ch = alloc_ch(1, n), **back = alloc_ch(1, 60000);
    char path[512], err[256];
    lathe_output_format fmt;
    lathe_output_format_defaults(&fmt);
    fmt.sample_type = LATHE_SAMPLE_FLOAT32;
    fmt.rate_hz = 48000;
    fmt.source_rate_hz = 44100;
    fmt.channels = 1;
    for (size_t i = 0; i < n; i++)
        ch[0][i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * (double)i / 44100.0));
    path_in(path, sizeof path, tmpdir, "resampled.wav");
    lathe_status st = write_file(path, &fmt, 0, ch, n - 1, 1234, err, sizeof err);
    CHECK(st == LATHE_OK, "resampled write: %s", err);
    lathe_reader *r;
    size_t got = 0;
    if (lathe_reader_open(path, &r, err, sizeof err) == LATHE_OK) {
        lathe_reader_read(r, back, 60000, &got);
        lathe_reader_close(r);
    }
    /* 44099 frames * 48000 / 44100 = 47998.91 -> 47999 */
    CHECK(got == 47999, "44099 frames at 44.1k -> %zu frames at 48k, want 47999", got);
    double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
    for (size_t m = 2000; m + 2000 < got; m++) {
        double w = 2 * M_PI * 1000.0 * (double)m / 48000.0, s = sin(w), c = cos(w);
        ss += s * s; cc += c * c; sc += s * c; ys += back[0][m] * s; yc += back[0][m] * c;
    }
    double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    double level = 20 * log10(hypot(a, b) / 0.5), lag = atan2(b, a) / (2 * M_PI * 1000.0 / 48000.0);
    printf("writer 44.1k -> 48k: 1 kHz level %+.5f dB, time offset %+.2e samples\n", level, lag);
    CHECK_NEAR(level, 0.0, 0.01, "resampled level (dB)");
    CHECK_NEAR(lag, 0.0, 0.01, "resampled time offset (samples)");
    free_ch(ch, 1);
    free_ch(back, 1);
    empty_dir(tmpdir);
}

/* --- the file protocol ------------------------------------------------------ */

static void test_atomic(void)
{
    const size_t n = 5000;
    float **ch = alloc_ch(2, n);
    char path[512], other[512], err[256], names[1024];
    const float *p[2];
    lathe_output_format fmt;
    lathe_writer *w;
    struct stat st;

    make_signal(ch, 2, n, 44100);
    p[0] = ch[0];
    p[1] = ch[1];
    fmt_simple(&fmt, LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16);
    path_in(path, sizeof path, tmpdir, "song.wav");
    umask(022);

    /* while writing only the hidden temporary file exists, beside the destination */
    CHECK(lathe_writer_open(path, &fmt, 0, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    lathe_writer_write(w, p, n);
    const char *tmp = lathe_writer_temp_path(w);
    char tmpcopy[512];
    snprintf(tmpcopy, sizeof tmpcopy, "%s", tmp ? tmp : "");
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/.song.wav.lathe-", tmpdir);
    CHECK(!strncmp(tmpcopy, prefix, strlen(prefix)), "temp file %s, want %sXXXXXX", tmpcopy, prefix);
    CHECK(!exists(path), "the destination exists before commit");
    CHECK(exists(tmpcopy) && count_entries(tmpdir, NULL, 0) == 1, "during writing: %s",
          (count_entries(tmpdir, names, sizeof names), names));
    CHECK(stat(tmpcopy, &st) == 0 && (st.st_mode & 0777) == 0600, "temp file mode %o",
          st.st_mode & 0777);
    CHECK(lathe_writer_commit(w, err, sizeof err) == LATHE_OK, "commit: %s", err);
    CHECK(exists(path) && !exists(tmpcopy) && count_entries(tmpdir, NULL, 0) == 1,
          "after commit: %s", (count_entries(tmpdir, names, sizeof names), names));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "new file mode %o (umask 022)",
          st.st_mode & 0777);

    /* an existing destination is refused without overwrite, and left alone */
    struct stat before;
    stat(path, &before);
    lathe_status s = write_file(path, &fmt, 0, ch, n, n, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "exists (use --force)"),
          "existing destination: %s: %s", lathe_status_str(s), err);
    CHECK(stat(path, &st) == 0 && st.st_ino == before.st_ino && st.st_size == before.st_size
          && count_entries(tmpdir, NULL, 0) == 1, "the existing file was touched");

    /* with overwrite: replaced (new inode: renamed over), permissions kept */
    chmod(path, 0640);
    fmt.sample_type = LATHE_SAMPLE_PCM24;
    s = write_file(path, &fmt, 1, ch, n, n, err, sizeof err);
    CHECK(s == LATHE_OK, "overwrite: %s", err);
    CHECK(stat(path, &st) == 0 && st.st_ino != before.st_ino && (st.st_mode & 0777) == 0640
          && st.st_size > before.st_size, "overwritten file: inode %s, mode %o, size %lld",
          st.st_ino != before.st_ino ? "new" : "same", st.st_mode & 0777, (long long)st.st_size);
    CHECK(count_entries(tmpdir, NULL, 0) == 1, "files left: %s",
          (count_entries(tmpdir, names, sizeof names), names));

    /* abort removes the temporary file */
    path_in(other, sizeof other, tmpdir, "aborted.flac");
    fmt.container = LATHE_CONTAINER_FLAC;
    CHECK(lathe_writer_open(other, &fmt, 0, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    lathe_writer_write(w, p, n);
    lathe_writer_abort(w);
    CHECK(!exists(other) && count_entries(tmpdir, NULL, 0) == 1, "after abort: %s",
          (count_entries(tmpdir, names, sizeof names), names));

    /* a destination that appears while writing is not replaced (no overwrite) */
    CHECK(lathe_writer_open(other, &fmt, 0, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    lathe_writer_write(w, p, n);
    FILE *f = fopen(other, "w");
    fputs("someone else's file", f);
    fclose(f);
    s = lathe_writer_commit(w, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "exists"), "racing destination: %s: %s",
          lathe_status_str(s), err);
    CHECK(stat(other, &st) == 0 && st.st_size == 19 && count_entries(tmpdir, NULL, 0) == 2,
          "racing file replaced or temp left: %s", (count_entries(tmpdir, names, sizeof names), names));
    unlink(other);

    /* non-finite samples are refused, the writer stays usable */
    CHECK(lathe_writer_open(other, &fmt, 0, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    ch[1][7] = NAN;
    CHECK(lathe_writer_write(w, p, n) == LATHE_ERR_NON_FINITE, "NaN accepted");
    ch[1][7] = 0.0f;
    CHECK(lathe_writer_write(w, p, n) == LATHE_OK, "write after NaN refused");
    lathe_writer_stats ws;
    lathe_writer_get_stats(w, &ws);
    CHECK(ws.frames == (int64_t)n, "stats: %lld frames", (long long)ws.frames);
    CHECK(lathe_writer_commit(w, err, sizeof err) == LATHE_OK, "commit: %s", err);
    unlink(other);
    free_ch(ch, 2);
    empty_dir(tmpdir);
}

static void test_refusals(void)
{
    char a[512], b[512], lnk[512], hard[512], sub[512], err[256];
    lathe_output_format fmt;
    lathe_writer *w;
    FILE *f;

    path_in(a, sizeof a, tmpdir, "in.wav");
    path_in(b, sizeof b, tmpdir, "other.wav");
    path_in(lnk, sizeof lnk, tmpdir, "link.wav");
    path_in(hard, sizeof hard, tmpdir, "hard.wav");
    f = fopen(a, "w");
    fputs("x", f);
    fclose(f);
    f = fopen(b, "w");
    fputs("y", f);
    fclose(f);
    CHECK(symlink("in.wav", lnk) == 0, "symlink: %s", strerror(errno));
    CHECK(link(a, hard) == 0, "link: %s", strerror(errno));

    CHECK(lathe_same_file(a, a) == 1, "same path");
    CHECK(lathe_same_file(a, lnk) == 1, "through a symlink");
    CHECK(lathe_same_file(hard, a) == 1, "through a hard link");
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%s/./in.wav", tmpdir);
    CHECK(lathe_same_file(dotted, a) == 1, "another spelling");
    CHECK(lathe_same_file(a, b) == 0, "different files");
    path_in(sub, sizeof sub, tmpdir, "missing.wav");
    CHECK(lathe_same_file(sub, a) == 0 && lathe_same_file(a, sub) == 0 && lathe_same_file(sub, sub) == 0,
          "a missing file is no file");

    const char *inputs[2] = { b, lnk };
    lathe_status s = lathe_output_check(a, inputs, 2, 1, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "input"), "output = input (via link, with --force): %s",
          err);
    s = lathe_output_check(sub, inputs, 2, 0, err, sizeof err);
    CHECK(s == LATHE_OK, "new output refused: %s", err);
    s = lathe_output_check(b, NULL, 0, 0, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "exists (use --force)"), "exists: %s", err);

    fmt_simple(&fmt, LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16);
    s = lathe_writer_open(tmpdir, &fmt, 1, &w, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "directory") && !w, "a directory: %s", err);
    path_in(sub, sizeof sub, tmpdir, "nodir/x.wav");
    s = lathe_writer_open(sub, &fmt, 1, &w, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "does not exist"), "missing directory: %s", err);
    s = lathe_writer_open("/dev/null", &fmt, 1, &w, err, sizeof err);
    CHECK(s == LATHE_ERR_WRITE && strstr(err, "not a regular file"), "/dev/null: %s", err);

    /* format refusals */
    fmt.container = LATHE_CONTAINER_FLAC;
    fmt.sample_type = LATHE_SAMPLE_FLOAT32;
    path_in(sub, sizeof sub, tmpdir, "f.flac");
    s = lathe_writer_open(sub, &fmt, 0, &w, err, sizeof err);
    CHECK(s == LATHE_ERR_UNSUPPORTED && strstr(err, "flac cannot store float32"), "flac float: %s",
          err);
    fmt_simple(&fmt, LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16);
    fmt.word_bits = 20;
    CHECK(lathe_output_format_check(&fmt, err, sizeof err) == LATHE_ERR_INVALID_ARGUMENT,
          "20-bit words in pcm16 accepted");
    fmt.word_bits = 0;
    fmt.channels = 9;
    CHECK(lathe_output_format_check(&fmt, err, sizeof err) == LATHE_ERR_UNSUPPORTED, "9 channels");
    fmt.channels = 2;
    fmt.rate_hz = 1000;
    CHECK(lathe_output_format_check(&fmt, err, sizeof err) == LATHE_ERR_UNSUPPORTED, "1 kHz");
    CHECK(count_entries(tmpdir, NULL, 0) == 4, "refusals left files behind");

    /* names */
    lathe_container c;
    lathe_sample_type t;
    lathe_dither_type d;
    CHECK(lathe_container_from_path("a/b.c/song.FLAC", &c) == LATHE_OK && c == LATHE_CONTAINER_FLAC,
          "from path .FLAC");
    CHECK(lathe_container_from_path("x.aif", &c) == LATHE_OK && c == LATHE_CONTAINER_AIFF, "aif");
    CHECK(lathe_container_from_path("dir.wav/noext", &c) != LATHE_OK, "no extension");
    CHECK(lathe_container_from_path("x.mp3", &c) != LATHE_OK, "mp3 is not written");
    CHECK(lathe_sample_type_parse("24", &t) == LATHE_OK && t == LATHE_SAMPLE_PCM24, "24");
    CHECK(lathe_sample_type_parse("float", &t) == LATHE_OK && t == LATHE_SAMPLE_FLOAT32, "float");
    CHECK(lathe_dither_parse("shaped", &d) == LATHE_OK && d == LATHE_DITHER_SHAPED, "shaped");
    CHECK(lathe_dither_parse("rpdf", &d) != LATHE_OK, "rpdf is unknown");
    for (int k = 0; k < LATHE_CONTAINER_COUNT; k++)
        CHECK(lathe_container_parse(lathe_container_name((lathe_container)k), &c) == LATHE_OK
              && (int)c == k, "container name %d", k);
    lathe_output_format_defaults(&fmt);
    CHECK(lathe_output_format_set_bits(&fmt, 20) == LATHE_OK && fmt.sample_type == LATHE_SAMPLE_PCM24
          && fmt.word_bits == 20, "set_bits 20");
    CHECK(lathe_output_format_set_bits(&fmt, 32) == LATHE_OK
          && fmt.sample_type == LATHE_SAMPLE_FLOAT32, "set_bits 32");
    CHECK(lathe_output_format_set_bits(&fmt, 12) == LATHE_ERR_INVALID_ARGUMENT, "set_bits 12");
    empty_dir(tmpdir);
}

/* Dither through the writer: same seed = same bytes; stats report shaping and clips. */
static void test_writer_dither(void)
{
    const size_t n = 20000;
    float **ch = alloc_ch(2, n);
    char p1[512], p2[512], p3[512], err[256];
    lathe_output_format fmt;
    lathe_writer *w;
    lathe_writer_stats ws;

    make_signal(ch, 2, n, 44100);
    ch[0][10] = 1.2f;
    fmt_simple(&fmt, LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16);
    fmt.dither = LATHE_DITHER_SHAPED;
    fmt.seed = 99;
    path_in(p1, sizeof p1, tmpdir, "d1.wav");
    path_in(p2, sizeof p2, tmpdir, "d2.wav");
    path_in(p3, sizeof p3, tmpdir, "d3.wav");
    write_file(p1, &fmt, 0, ch, n, 1000, err, sizeof err);
    write_file(p2, &fmt, 0, ch, n, 3333, err, sizeof err);
    fmt.seed = 100;
    write_file(p3, &fmt, 0, ch, n, 1000, err, sizeof err);
    FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb"), *f3 = fopen(p3, "rb");
    int same12 = 1, same13 = 1, c1, c2, c3;
    long bytes = 0;
    do {
        c1 = f1 ? fgetc(f1) : EOF;
        c2 = f2 ? fgetc(f2) : EOF;
        c3 = f3 ? fgetc(f3) : EOF;
        same12 &= c1 == c2;
        same13 &= c1 == c3;
        bytes++;
    } while (c1 != EOF);
    if (f1) fclose(f1);
    if (f2) fclose(f2);
    if (f3) fclose(f3);
    CHECK(same12 && bytes > 2 * (long)n, "same seed, other block sizes: files differ (%ld bytes)", bytes);
    CHECK(!same13, "another seed gave the same file");

    fmt.seed = 1;
    CHECK(lathe_writer_open(p3, &fmt, 1, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    const float *p[2] = { ch[0], ch[1] };
    lathe_writer_write(w, p, n);
    lathe_writer_get_stats(w, &ws);
    CHECK(ws.dither == LATHE_DITHER_SHAPED && ws.shaper_taps == 9 && ws.word_bits == 16
          && ws.clipped >= 1 && ws.frames == (int64_t)n,
          "stats: dither %d taps %d bits %d clipped %lld frames %lld", ws.dither, ws.shaper_taps,
          ws.word_bits, (long long)ws.clipped, (long long)ws.frames);
    lathe_writer_abort(w);
    fmt.rate_hz = 32000;
    CHECK(lathe_writer_open(p3, &fmt, 1, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    lathe_writer_get_stats(w, &ws);
    CHECK(ws.dither == LATHE_DITHER_TPDF && ws.shaper_taps == 0, "32 kHz shaped -> %d, %d taps",
          ws.dither, ws.shaper_taps);
    lathe_writer_abort(w);
    fmt.sample_type = LATHE_SAMPLE_FLOAT32;
    CHECK(lathe_writer_open(p3, &fmt, 1, &w, err, sizeof err) == LATHE_OK, "open: %s", err);
    lathe_writer_get_stats(w, &ws);
    CHECK(ws.word_bits == 0 && ws.shaper_taps == 0, "float output has no dither");
    lathe_writer_abort(w);
    free_ch(ch, 2);
    empty_dir(tmpdir);
}

/* --- failed writes ---------------------------------------------------------- */

/* In a child: writes 10 s of stereo noise into DIR (which is limited somehow) and
 * exits 0 if the write failed cleanly with nothing left in DIR, 1 if it wrongly
 * succeeded, 2 if files were left, 3 if the message is empty. */
static int failing_write(const char *dir, lathe_container cont)
{
    const size_t n = 441000;
    float **ch = alloc_ch(2, n);
    char path[512], err[256] = "";
    lathe_output_format fmt;
    uint32_t x = 1;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            x = x * 1664525u + 1013904223u;
            ch[c][i] = (float)((double)x / 4294967296.0 - 0.5);
        }
    fmt_simple(&fmt, cont, LATHE_SAMPLE_PCM24);
    path_in(path, sizeof path, dir, cont == LATHE_CONTAINER_FLAC ? "full.flac" : "full.wav");
    lathe_status s = write_file(path, &fmt, 0, ch, n, 4096, err, sizeof err);
    int left = count_entries(dir, NULL, 0);
    printf("  failing %s write in %s: %s (%s), %d files left\n", lathe_container_name(cont), dir,
           lathe_status_str(s), err, left);
    fflush(stdout);
    free_ch(ch, 2);
    if (s == LATHE_OK)
        return 1;
    if (left != 0)
        return 2;
    return strstr(err, "write failed: ") && strlen(err) > 30 ? 0 : 3;
}

static void test_failed_writes(void)
{
    /* 1. RLIMIT_FSIZE: write() fails with EFBIG past 256 KiB (SIGXFSZ ignored). */
    for (int k = 0; k < 2; k++) {
        lathe_container cont = k ? LATHE_CONTAINER_FLAC : LATHE_CONTAINER_WAV;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = { 256 * 1024, 256 * 1024 };
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
            _exit(failing_write(tmpdir, cont));
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "file size limit, %s: child status %d (1: succeeded, 2: files left, 3: no message)",
              lathe_container_name(cont), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        empty_dir(tmpdir);
    }

    /* 2. A failure only when the file is closed: FLAC's last frame and its header are
     * written by sf_close. The limit is one byte short of the complete file. */
    {
        const size_t n = 44100;
        float **ch = alloc_ch(2, n);
        char path[512], err[256];
        struct stat st;
        lathe_output_format fmt;
        make_signal(ch, 2, n, 44100);
        fmt_simple(&fmt, LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM16);
        path_in(path, sizeof path, tmpdir, "close.flac");
        write_file(path, &fmt, 0, ch, n, n, err, sizeof err);
        off_t size = stat(path, &st) == 0 ? st.st_size : 0;
        unlink(path);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = { (rlim_t)size - 1, (rlim_t)size - 1 };
            lathe_writer *w;
            const float *p[2] = { ch[0], ch[1] };
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
            if (lathe_writer_open(path, &fmt, 0, &w, err, sizeof err) != LATHE_OK)
                _exit(4);
            if (lathe_writer_write(w, p, n) != LATHE_OK) {
                lathe_writer_abort(w);
                _exit(5);   /* failed before close: not what this case is about */
            }
            lathe_status s = lathe_writer_commit(w, err, sizeof err);
            printf("  FLAC limited to %lld bytes (1 short): commit: %s (%s), %d files left\n",
                   (long long)size - 1, lathe_status_str(s), err, count_entries(tmpdir, NULL, 0));
            fflush(stdout);
            _exit(s == LATHE_OK ? 1 : count_entries(tmpdir, NULL, 0) ? 2 : strstr(err, "write failed") ? 0 : 3);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(size > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "failure at close: child status %d (1: committed a truncated file, 2: files left)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        free_ch(ch, 2);
        empty_dir(tmpdir);
    }

    /* 3. A full disk: a 256 KiB tmpfs in a private mount namespace (root only). */
    char mnt[512];
    path_in(mnt, sizeof mnt, tmpdir, "small");
    mkdir(mnt, 0755);
    for (int k = 0; k < 2; k++) {
        lathe_container cont = k ? LATHE_CONTAINER_FLAC : LATHE_CONTAINER_WAV;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (unshare(CLONE_NEWNS) != 0
                || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
                || mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0)
                _exit(77);
            _exit(failing_write(mnt, cont));
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
            printf("  full-disk test skipped (cannot mount a private tmpfs: not root?)\n");
            break;
        }
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "full tmpfs, %s: child status %d (1: succeeded, 2: files left, 3: no message)",
              lathe_container_name(cont), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    rmdir(mnt);
    CHECK(count_entries(tmpdir, NULL, 0) == 0, "files left after failed writes");
}

/* --- independent readers: ffprobe and ffmpeg -------------------------------- */

/* Runs CMD and returns its stdout (up to LEN bytes), -1 if it could not run. */
static long run_capture(const char *cmd, char *buf, size_t len)
{
    FILE *p = popen(cmd, "r");
    size_t n;
    if (!p)
        return -1;
    n = fread(buf, 1, len - 1, p);
    buf[n] = 0;
    if (pclose(p) != 0)
        return -1;
    return (long)n;
}

static const char *field(const char *text, const char *key, char *val, size_t len)
{
    char k[64];
    const char *p;
    snprintf(k, sizeof k, "%s=", key);
    val[0] = 0;
    for (p = strstr(text, k); p && p != text && p[-1] != '\n'; p = strstr(p + 1, k))
        ;
    if (!p)
        return val;
    p += strlen(k);
    size_t i = 0;
    while (p[i] && p[i] != '\n' && i + 1 < len) {
        val[i] = p[i];
        i++;
    }
    val[i] = 0;
    return val;
}

static void test_ffprobe(void)
{
    static const struct {
        lathe_container cont;
        lathe_sample_type type;
        int word_bits, rate, channels;
        const char *codec;
        int bits;       /* bits_per_sample (PCM) or bits_per_raw_sample (FLAC) */
    } cases[] = {
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16, 0, 44100, 2, "pcm_s16le", 16 },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM24, 0, 48000, 2, "pcm_s24le", 24 },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_FLOAT32, 0, 96000, 1, "pcm_f32le", 32 },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM24, 0, 48000, 6, "pcm_s24le", 24 },
        { LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM16, 0, 44100, 2, "flac", 16 },
        { LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM24, 0, 88200, 2, "flac", 24 },
        { LATHE_CONTAINER_FLAC, LATHE_SAMPLE_PCM24, 20, 48000, 1, "flac", 24 },
        { LATHE_CONTAINER_AIFF, LATHE_SAMPLE_PCM24, 0, 44100, 2, "pcm_s24be", 24 },
        { LATHE_CONTAINER_W64, LATHE_SAMPLE_PCM16, 0, 32000, 2, "pcm_s16le", 16 },
        { LATHE_CONTAINER_RF64, LATHE_SAMPLE_PCM24, 0, 48000, 2, "pcm_s24le", 24 },
        { LATHE_CONTAINER_CAF, LATHE_SAMPLE_PCM16, 0, 44100, 2, "pcm_s16be", 16 },
        { LATHE_CONTAINER_CAF, LATHE_SAMPLE_PCM24, 0, 44100, 1, "pcm_s24be", 24 },
        { LATHE_CONTAINER_AIFF, LATHE_SAMPLE_PCM24, 20, 44100, 4, "pcm_s24be", 24 },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM24, 0, 44100, 1, "pcm_s24le", 24 },
        { LATHE_CONTAINER_WAV, LATHE_SAMPLE_PCM16, 0, 44100, 3, "pcm_s16le", 16 },
    };
    char out[4096], cmd[1200], path[512], err[256], v[64];

    if (run_capture("ffprobe -version", out, sizeof out) < 0) {
        printf("ffprobe not found: skipping the ffprobe checks\n");
        return;
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const size_t n = 12345;
        int nch = cases[k].channels;
        float **ch = alloc_ch(nch, n);
        lathe_output_format fmt;
        make_signal(ch, nch, n, cases[k].rate);
        lathe_output_format_defaults(&fmt);
        fmt.container = cases[k].cont;
        fmt.sample_type = cases[k].type;
        fmt.word_bits = cases[k].word_bits;
        fmt.rate_hz = cases[k].rate;
        fmt.channels = nch;
        fmt.dither = LATHE_DITHER_NONE;
        char name[64];
        snprintf(name, sizeof name, "probe%zu.%s", k, lathe_container_name(fmt.container));
        path_in(path, sizeof path, tmpdir, name);
        lathe_status s = write_file(path, &fmt, 0, ch, n, 4096, err, sizeof err);
        CHECK(s == LATHE_OK, "%s: %s", name, err);
        snprintf(cmd, sizeof cmd,
                 "ffprobe -v error -select_streams a:0 -show_entries stream=codec_name,sample_rate,"
                 "channels,channel_layout,bits_per_sample,bits_per_raw_sample,duration_ts "
                 "-of default=nw=1 '%s'", path);
        if (run_capture(cmd, out, sizeof out) < 0) {
            CHECK(0, "ffprobe failed on %s", name);
            free_ch(ch, nch);
            continue;
        }
        int rate = atoi(field(out, "sample_rate", v, sizeof v));
        int chans = atoi(field(out, "channels", v, sizeof v));
        long long dur = atoll(field(out, "duration_ts", v, sizeof v));
        char codec[32], layout[32];
        snprintf(codec, sizeof codec, "%s", field(out, "codec_name", v, sizeof v));
        snprintf(layout, sizeof layout, "%s", field(out, "channel_layout", v, sizeof v));
        int bits = atoi(field(out, cases[k].cont == LATHE_CONTAINER_FLAC ? "bits_per_raw_sample"
                                                                         : "bits_per_sample", v, sizeof v));
        printf("ffprobe %-10s %-9s %6d Hz %d ch (%s) %2d bits %lld frames\n", name, codec, rate, chans,
               layout, bits, dur);
        CHECK(!strcmp(codec, cases[k].codec) && rate == cases[k].rate && chans == nch
              && bits == cases[k].bits,
              "%s: ffprobe says %s %d Hz %d ch %d bits, want %s %d Hz %d ch %d bits", name, codec,
              rate, chans, bits, cases[k].codec, cases[k].rate, nch, cases[k].bits);
        CHECK(dur == (long long)n, "%s: ffprobe duration_ts %lld, want %zu", name, dur, n);
        if (nch == 6)
            CHECK(strstr(layout, "5.1") != NULL, "%s: channel layout '%s', want 5.1", name, layout);

        /* ffmpeg decodes the samples: PCM must be exactly round(x * 2^(W-1)), float exact */
        if (cases[k].type != LATHE_SAMPLE_FLOAT32) {
            int wb = cases[k].word_bits ? cases[k].word_bits : bits_of(cases[k].type);
            snprintf(cmd, sizeof cmd, "ffmpeg -v error -i '%s' -f s32le -acodec pcm_s32le -", path);
            FILE *pp = popen(cmd, "r");
            size_t total = n * (size_t)nch, got = 0, bad = 0;
            int32_t *iv = malloc(sizeof(int32_t) * total);
            if (pp) {
                got = fread(iv, sizeof(int32_t), total, pp);
                pclose(pp);
            }
            for (size_t i = 0; i < got; i++)
                bad += iv[i] != expected_int(ch[i % (size_t)nch][i / (size_t)nch], wb);
            CHECK(got == total && bad == 0, "%s: ffmpeg decoded %zu of %zu samples, %zu differ", name,
                  got, total, bad);
            free(iv);
        } else {
            snprintf(cmd, sizeof cmd, "ffmpeg -v error -i '%s' -f f32le -acodec pcm_f32le -", path);
            FILE *pp = popen(cmd, "r");
            size_t total = n * (size_t)nch, got = 0, bad = 0;
            float *fv = malloc(sizeof(float) * total);
            if (pp) {
                got = fread(fv, sizeof(float), total, pp);
                pclose(pp);
            }
            for (size_t i = 0; i < got; i++)
                bad += memcmp(&fv[i], &ch[i % (size_t)nch][i / (size_t)nch], sizeof(float)) != 0;
            CHECK(got == total && bad == 0, "%s: ffmpeg decoded %zu of %zu floats, %zu differ", name,
                  got, total, bad);
            free(fv);
        }
        free_ch(ch, nch);
    }
    empty_dir(tmpdir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lathe-writer-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trips();
    test_monitor();
    test_resampling_writer();
    test_atomic();
    test_refusals();
    test_writer_dither();
    test_failed_writes();
    test_ffprobe();
    empty_dir(tmpdir);
    rmdir(tmpdir);
    return test_summary();
}
