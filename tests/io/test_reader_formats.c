/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reader over every format libsndfile writes: a known sine gives the expected figures;
 * 16-bit PCM decodes exactly as libsndfile's float path does. */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ebur128.h>
#include <sndfile.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define TONE_HZ 997.0

static char tmpdir[64];

/* BS.1770-4 K-weighting at 48 kHz (Table 1 and 2 coefficients): power gain at F Hz. */
static double k_weight_gain_48k(double f)
{
    static const double b1[3] = { 1.53512485958697, -2.69169618940638, 1.19839281085285 };
    static const double a1[3] = { 1.0, -1.69065929318241, 0.73248077421585 };
    static const double b2[3] = { 1.0, -2.0, 1.0 };
    static const double a2[3] = { 1.0, -1.99004745483398, 0.99007225036621 };
    double complex z = cexp(-2.0 * I * M_PI * f / 48000.0);
    double complex h1 = (b1[0] + b1[1] * z + b1[2] * z * z) / (a1[0] + a1[1] * z + a1[2] * z * z);
    double complex h2 = (b2[0] + b2[1] * z + b2[2] * z * z) / (a2[0] + a2[1] * z + a2[2] * z * z);
    double g = cabs(h1 * h2);
    return g * g;
}

/* BS.1770-4 Table 3 channel weights, written out here independently of the library:
 * 1.41 (+1.5 dB) for surrounds at 60..120 deg azimuth, 0 for LFE, 1.0 for the rest
 * (back surrounds at 135..150 deg included). */
static double spec_weight(lathe_channel_role r)
{
    if (r == LATHE_CHANNEL_LFE)
        return 0.0;
    if (r == LATHE_CHANNEL_LEFT_SURROUND || r == LATHE_CHANNEL_RIGHT_SURROUND)
        return 1.41;
    return 1.0;
}

/* Integrated loudness of steady 997 Hz sines of amplitude AMP[c] with roles ROLES. */
static double expected_lufs(int channels, const double *amp, const lathe_channel_role *roles)
{
    double sum = 0.0;
    for (int c = 0; c < channels; c++)
        sum += spec_weight(roles[c]) * amp[c] * amp[c] / 2.0 * k_weight_gain_48k(TONE_HZ);
    return sum > 0.0 ? -0.691 + 10.0 * log10(sum) : -HUGE_VAL;
}

/* Bits the stored format quantises to (0 for float and lossy codecs). */
static int pcm_bits(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_U8: case SF_FORMAT_PCM_S8: return 8;
    case SF_FORMAT_PCM_16: return 16;
    case SF_FORMAT_PCM_24: return 24;
    case SF_FORMAT_PCM_32: return 32;
    default: return 0;
    }
}

typedef struct written {
    int64_t frames;
    double peak[LATHE_MAX_CHANNELS];   /* largest magnitude stored, full scale 1.0 */
    double ms[LATHE_MAX_CHANNELS];     /* mean square of the stored values */
} written;

/* Writes FRAMES frames of a 997 Hz sine of amplitude AMP[c] into channel c. PCM is
 * quantised here (round to nearest) so the stored values, and so their peak and
 * mean square, are known exactly; MAP (may be NULL) is the file's channel map.
 * Lossy codecs get 10 ms fades in and out. */
static int write_sine(const char *path, int format, int rate, int channels, int64_t frames,
                      const double *amp, const int *map, written *w)
{
    SF_INFO sfi = { .samplerate = rate, .channels = channels, .format = format };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &sfi);
    int bits = pcm_bits(format);
    int sub = format & SF_FORMAT_SUBMASK;
    int lossy = sub == SF_FORMAT_VORBIS || sub == SF_FORMAT_OPUS
                || sub == SF_FORMAT_MPEG_LAYER_III;
    enum { CHUNK = 1024 };
    int32_t ibuf[CHUNK * LATHE_MAX_CHANNELS];
    double dbuf[CHUNK * LATHE_MAX_CHANNELS];
    double sumsq[LATHE_MAX_CHANNELS] = { 0 };

    if (!sf) {
        fprintf(stderr, "cannot write %s: %s\n", path, sf_strerror(NULL));
        return -1;
    }
    if (map && sf_command(sf, SFC_SET_CHANNEL_MAP_INFO, (void *)map,
                          (int)sizeof(int) * channels) != SF_TRUE) {
        fprintf(stderr, "cannot set the channel map of %s\n", path);
        sf_close(sf);
        return -1;
    }
    memset(w, 0, sizeof *w);
    for (int64_t done = 0; done < frames; done += CHUNK) {
        int n = frames - done < CHUNK ? (int)(frames - done) : CHUNK;
        for (int i = 0; i < n; i++) {
            double ph = 2.0 * M_PI * TONE_HZ * (double)(done + i) / rate;
            double g = 1.0;
            if (lossy) { /* 10 ms raised-cosine fades: an abrupt end rings in a codec */
                double t = (double)(done + i) / rate, u = (double)(frames - 1 - done - i) / rate;
                double edge = t < u ? t : u;
                if (edge < 0.01)
                    g = 0.5 - 0.5 * cos(M_PI * edge / 0.01);
            }
            for (int c = 0; c < channels; c++) {
                double x = g * amp[c] * sin(ph), v;
                if (bits) {
                    double scale = ldexp(1.0, bits - 1);
                    double q = nearbyint(x * scale);
                    if (q > scale - 1.0)
                        q = scale - 1.0;
                    if (q < -scale)
                        q = -scale;
                    v = q / scale;
                    /* libsndfile's int interface is left-justified in 32 bits. */
                    ibuf[i * channels + c] = (int32_t)(q * ldexp(1.0, 32 - bits));
                } else if (sub == SF_FORMAT_FLOAT) {
                    v = (float)x;
                    dbuf[i * channels + c] = v;
                } else {
                    v = x;
                    dbuf[i * channels + c] = v;
                }
                if (fabs(v) > w->peak[c])
                    w->peak[c] = fabs(v);
                sumsq[c] += v * v;
            }
        }
        sf_count_t put = bits ? sf_writef_int(sf, ibuf, n) : sf_writef_double(sf, dbuf, n);
        if (put != n) {
            fprintf(stderr, "short write to %s: %s\n", path, sf_strerror(sf));
            sf_close(sf);
            return -1;
        }
    }
    sf_close(sf);
    w->frames = frames;
    for (int c = 0; c < channels; c++)
        w->ms[c] = sumsq[c] / (double)frames;
    return 0;
}

static double db20(double v)
{
    return v > 0.0 ? 20.0 * log10(v) : -HUGE_VAL;
}

static double db10(double v)
{
    return v > 0.0 ? 10.0 * log10(v) : -HUGE_VAL;
}

/* Reads the 4 bytes at OFFSET of PATH (little-endian if LE), for checks on what was written. */
static uint32_t file_u32(const char *path, long offset, int le)
{
    unsigned char b[4] = { 0 };
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fseek(f, offset, SEEK_SET) != 0 || fread(b, 1, 4, f) != 4)
            memset(b, 0, sizeof b);
        fclose(f);
    }
    return le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
              : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}

typedef struct expect {
    const char *container;   /* NULL: not checked */
    int bits, is_float;
    double peak_tol_db;      /* sample peak against the stored peak */
    double rms_tol_db;       /* RMS against the stored mean square */
    double lufs_tol;         /* integrated against BS.1770 for the sine */
    double frames_tol;       /* |frames read - written| / written */
    int roles_from_file;     /* libsndfile writes a channel mask (WAVEX, RF64) */
} expect;

/* Analyses PATH and checks it against what write_sine stored. ROLES NULL: the
 * defaults for the channel count are expected. Returns the analysis status. */
static lathe_status check_file(const char *label, const char *path, int rate, int channels,
                               const double *amp, const written *w, const expect *e,
                               const lathe_channel_role *roles)
{
    lathe_analysis a;
    char err[256] = "", what[160];
    lathe_channel_role want_roles[LATHE_MAX_CHANNELS];
    lathe_status st = lathe_analyze_file(path, NULL, &a, err, sizeof err, NULL, NULL);

    CHECK(st == LATHE_OK, "%s: analyse: status %d (%s)", label, (int)st, err);
    if (st != LATHE_OK)
        return st;
    if (roles)
        memcpy(want_roles, roles, sizeof(lathe_channel_role) * (size_t)channels);
    else
        lathe_channel_roles_default(channels, want_roles);

    CHECK(a.info.rate_hz == rate, "%s: rate %d, want %d", label, a.info.rate_hz, rate);
    CHECK(a.channels == channels && a.info.channels == channels, "%s: channels %d, want %d",
          label, a.channels, channels);
    if (e->container)
        CHECK(strcmp(a.info.container, e->container) == 0, "%s: container '%s', want '%s'",
              label, a.info.container, e->container);
    CHECK(a.info.bits == e->bits, "%s: bits %d, want %d (encoding '%s')", label, a.info.bits,
          e->bits, a.info.encoding);
    CHECK(a.info.is_float == e->is_float, "%s: is_float %d, want %d", label, a.info.is_float,
          e->is_float);
    CHECK(a.info.roles_from_file == e->roles_from_file, "%s: roles_from_file %d, want %d", label,
          a.info.roles_from_file, e->roles_from_file);
    if (e->frames_tol == 0.0) {
        CHECK(a.frames == w->frames, "%s: frames %lld, want %lld", label, (long long)a.frames,
              (long long)w->frames);
        snprintf(what, sizeof what, "%s: duration", label);
        CHECK_NEAR(a.duration_s, (double)w->frames / rate, 1e-9, what);
    } else {
        snprintf(what, sizeof what, "%s: frames read / written", label);
        CHECK_NEAR((double)a.frames / (double)w->frames, 1.0, e->frames_tol, what);
    }
    double top = 0.0;
    for (int c = 0; c < channels; c++) {
        const lathe_channel_stats *cs = &a.channel[c];
        CHECK(cs->role == want_roles[c] && a.info.roles[c] == want_roles[c],
              "%s: channel %d role %s, want %s", label, c, lathe_channel_role_name(cs->role),
              lathe_channel_role_name(want_roles[c]));
        if (w->peak[c] == 0.0) { /* a silent channel reads -inf */
            CHECK(cs->sample_peak_dbfs == -HUGE_VAL && cs->rms_dbfs == -HUGE_VAL,
                  "%s: silent channel %d: peak %f RMS %f dBFS, want -inf", label, c,
                  cs->sample_peak_dbfs, cs->rms_dbfs);
            continue;
        }
        snprintf(what, sizeof what, "%s: channel %d sample peak dBFS", label, c);
        CHECK_NEAR(cs->sample_peak_dbfs, db20(w->peak[c]), e->peak_tol_db, what);
        snprintf(what, sizeof what, "%s: channel %d RMS dBFS", label, c);
        CHECK_NEAR(cs->rms_dbfs, db10(w->ms[c]), e->rms_tol_db, what);
        if (w->peak[c] > top)
            top = w->peak[c];
    }
    snprintf(what, sizeof what, "%s: sample peak dBFS", label);
    CHECK_NEAR(a.sample_peak_dbfs, db20(top), e->peak_tol_db, what);
    /* The true peak of a sine is its amplitude; the 4x interpolation reads it within
     * a few hundredths of a dB for a 997 Hz tone (BS.1770-4 Annex 2). */
    double amp_top = 0.0;
    for (int c = 0; c < channels; c++)
        if (amp[c] > amp_top)
            amp_top = amp[c];
    snprintf(what, sizeof what, "%s: true peak dBTP", label);
    CHECK_NEAR(a.true_peak_dbtp, db20(amp_top), e->peak_tol_db + 0.1, what);
    snprintf(what, sizeof what, "%s: integrated LUFS", label);
    CHECK_NEAR(a.integrated_lufs, expected_lufs(channels, amp, want_roles), e->lufs_tol, what);
    CHECK(a.non_finite_samples == 0, "%s: %lld non-finite samples", label,
          (long long)a.non_finite_samples);
    lathe_analysis_free(&a);
    return st;
}

static void path_for(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Every container and sample format libsndfile writes, stereo 48 kHz. */
static void test_format_matrix(void)
{
    static const struct {
        const char *name, *file;
        int format;
        expect e;
    } cases[] = {
        { "WAV PCM u8", "u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, { "WAV", 8, 0, 1e-4, 1e-3, 0.02, 0, 0 } },
        { "WAV PCM 16", "s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, { "WAV", 16, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "WAV PCM 24", "s24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, { "WAV", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "WAV PCM 32", "s32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, { "WAV", 32, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "WAV float", "f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, { "WAV", 32, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "WAV double", "f64.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, { "WAV", 64, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "WAVEX PCM 24", "x24.wav", SF_FORMAT_WAVEX | SF_FORMAT_PCM_24, { "WAV", 24, 0, 1e-4, 1e-4, 0.01, 0, 1 } },
        { "WAVEX float", "xf32.wav", SF_FORMAT_WAVEX | SF_FORMAT_FLOAT, { "WAV", 32, 1, 1e-4, 1e-4, 0.01, 0, 1 } },
        { "RF64 PCM 16", "s16.rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16, { "RF64", 16, 0, 1e-4, 1e-4, 0.01, 0, 1 } },
        { "RF64 float", "f32.rf64", SF_FORMAT_RF64 | SF_FORMAT_FLOAT, { "RF64", 32, 1, 1e-4, 1e-4, 0.01, 0, 1 } },
        { "W64 PCM 24", "s24.w64", SF_FORMAT_W64 | SF_FORMAT_PCM_24, { "W64", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "W64 double", "f64.w64", SF_FORMAT_W64 | SF_FORMAT_DOUBLE, { "W64", 64, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "AIFF PCM s8", "s8.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_S8, { "AIFF", 8, 0, 1e-4, 1e-3, 0.02, 0, 0 } },
        { "AIFF PCM 16", "s16.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, { "AIFF", 16, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "AIFF PCM 24", "s24.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, { "AIFF", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "AIFF PCM 32", "s32.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_32, { "AIFF", 32, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "AIFC float", "f32.aifc", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, { "AIFF", 32, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "AIFC double", "f64.aifc", SF_FORMAT_AIFF | SF_FORMAT_DOUBLE, { "AIFF", 64, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "FLAC 8", "s8.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_S8, { "FLAC", 8, 0, 1e-4, 1e-3, 0.02, 0, 0 } },
        { "FLAC 16", "s16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, { "FLAC", 16, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "FLAC 24", "s24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, { "FLAC", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "CAF PCM 24", "s24.caf", SF_FORMAT_CAF | SF_FORMAT_PCM_24, { "CAF", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "CAF ALAC 24", "a24.caf", SF_FORMAT_CAF | SF_FORMAT_ALAC_24, { "CAF", 0, 0, 1e-4, 1e-3, 0.01, 0, 0 } },
        /* Lossy: the decoded sine is close, not exact. */
        { "Ogg Vorbis", "v.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, { "OGG", 0, 0, 0.5, 0.3, 0.3, 0.01, 0 } },
        { "Ogg Opus", "o.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, { "OGG", 0, 0, 0.5, 0.3, 0.3, 0.01, 0 } },
        { "MP3", "m.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, { "MPEG", 0, 0, 0.5, 0.3, 0.3, 0.05, 0 } },
    };
    const double amp[2] = { 0.5, 0.25 };
    const int rate = 48000;
    char path[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SF_INFO probe = { .samplerate = rate, .channels = 2, .format = cases[i].format };
        written w;
        if (!sf_format_check(&probe)) {
            printf("skip %s: libsndfile %s cannot write it\n", cases[i].name, sf_version_string());
            continue;
        }
        path_for(path, sizeof path, cases[i].file);
        if (write_sine(path, cases[i].format, rate, 2, 2 * rate, amp, NULL, &w) != 0) {
            CHECK(0, "%s: cannot write the test file", cases[i].name);
            continue;
        }
        check_file(cases[i].name, path, rate, 2, amp, &w, &cases[i].e, NULL);
    }

    /* The AIFF float file really is AIFC (FORM type at byte 8). */
    path_for(path, sizeof path, "f32.aifc");
    CHECK(file_u32(path, 8, 0) == 0x41494643u, "AIFC float: form type 0x%08x, want 'AIFC'",
          (unsigned)file_u32(path, 8, 0));
    /* And the WAVEX files carry WAVE_FORMAT_EXTENSIBLE (0xFFFE) in 'fmt '. */
    path_for(path, sizeof path, "x24.wav");
    CHECK((file_u32(path, 20, 1) & 0xFFFF) == 0xFFFE, "WAVEX: format tag 0x%04x, want 0xFFFE",
          (unsigned)(file_u32(path, 20, 1) & 0xFFFF));
}

/* 1 to 8 channels, each with its own level so a swapped channel shows; default roles
 * (plain WAV and FLAC carry no channel map), FLAC's own order for 7 and 8. */
static void test_channel_counts(void)
{
    static const struct { const char *ext; int format; expect e; } fmts[] = {
        { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, { "WAV", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, { "FLAC", 16, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
    };
    const int rate = 48000;
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        for (int ch = 1; ch <= LATHE_MAX_CHANNELS; ch++) {
            double amp[LATHE_MAX_CHANNELS];
            char name[64], path[128];
            written w;
            for (int c = 0; c < ch; c++)
                amp[c] = 0.7 * (double)(c + 1) / ch;
            snprintf(name, sizeof name, "ch%d.%s", ch, fmts[f].ext);
            path_for(path, sizeof path, name);
            if (write_sine(path, fmts[f].format, rate, ch, rate, amp, NULL, &w) != 0) {
                CHECK(0, "%s: cannot write", name);
                continue;
            }
            /* FLAC defines 7 and 8 channels as FL FR FC LFE BC SL SR and
             * FL FR FC LFE BL BR SL SR (FLAC format, channel assignment). */
            static const lathe_channel_role flac7[7] = {
                LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
                LATHE_CHANNEL_UNKNOWN, LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND };
            static const lathe_channel_role flac8[8] = {
                LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
                LATHE_CHANNEL_LEFT_BACK, LATHE_CHANNEL_RIGHT_BACK, LATHE_CHANNEL_LEFT_SURROUND,
                LATHE_CHANNEL_RIGHT_SURROUND };
            const lathe_channel_role *roles = NULL;
            if ((fmts[f].format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC && ch >= 7)
                roles = ch == 7 ? flac7 : flac8;
            check_file(name, path, rate, ch, amp, &w, &fmts[f].e, roles);
        }
    }
}

/* Integrated loudness of PATH by libebur128 over libsndfile's decode: an
 * independent meter. NAN if either fails. */
static double libebur128_lufs(const char *path)
{
    SF_INFO sfi = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &sfi);
    ebur128_state *st;
    double buf[4096 * LATHE_MAX_CHANNELS], lufs = NAN;
    sf_count_t n;

    if (!sf)
        return NAN;
    st = ebur128_init((unsigned)sfi.channels, (unsigned long)sfi.samplerate, EBUR128_MODE_I);
    if (st) {
        while ((n = sf_readf_double(sf, buf, 4096)) > 0)
            ebur128_add_frames_double(st, buf, (size_t)n);
        if (ebur128_loudness_global(st, &lufs) != EBUR128_SUCCESS)
            lufs = NAN;
        ebur128_destroy(&st);
    }
    sf_close(sf);
    return lufs;
}

/* 8 kHz to 384 kHz. The K-weighting is specified at 48 kHz; at other rates a meter
 * re-derives it from the analogue prototype, and near 8 kHz the 1.7 kHz shelf is
 * warped, so meters differ there by tenths of a dB (libebur128 and lathe normalise
 * the high-pass differently). What this test is about, the reading, is checked to
 * format precision (peak, RMS, frames); loudness to 0.01 LU against the analytic
 * value and libebur128 at 44.1 and 48 kHz, and to 0.25 LU elsewhere. */
static void test_rates(void)
{
    static const int rates[] = { 8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200,
                                 96000, 176400, 192000, 352800, 384000 };
    static const struct { const char *ext; int format; expect e; } fmts[] = {
        { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, { "WAV", 16, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, { "FLAC", 24, 0, 1e-4, 1e-4, 0.01, 0, 0 } },
        { "aiff", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, { "AIFF", 32, 1, 1e-4, 1e-4, 0.01, 0, 0 } },
    };
    const double amp[1] = { 0.5 };
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
            char name[64], path[128];
            written w;
            SF_INFO probe = { .samplerate = rates[i], .channels = 1, .format = fmts[f].format };
            snprintf(name, sizeof name, "r%d.%s", rates[i], fmts[f].ext);
            if (!sf_format_check(&probe)) {
                printf("skip %s: libsndfile cannot write it\n", name);
                continue;
            }
            path_for(path, sizeof path, name);
            if (write_sine(path, fmts[f].format, rates[i], 1, rates[i], amp, NULL, &w) != 0) {
                CHECK(0, "%s: cannot write", name);
                continue;
            }
            expect e = fmts[f].e;
            int near48 = rates[i] == 44100 || rates[i] == 48000;
            if (!near48)
                e.lufs_tol = 0.25;
            check_file(name, path, rates[i], 1, amp, &w, &e, NULL);
            if (near48) {
                lathe_analysis a;
                char what[96];
                if (lathe_analyze_file(path, NULL, &a, NULL, 0, NULL, NULL) == LATHE_OK) {
                    snprintf(what, sizeof what, "%s: integrated LUFS vs libebur128", name);
                    CHECK_NEAR(a.integrated_lufs, libebur128_lufs(path), 0.01, what);
                    lathe_analysis_free(&a);
                }
            }
        }
    }
}

/* WAVE_FORMAT_EXTENSIBLE channel masks: the roles, and so the loudness weights, come
 * from the file, not from the channel count. */
static void test_channel_masks(void)
{
    static const struct {
        const char *name;
        int channels;
        int map[LATHE_MAX_CHANNELS];
        uint32_t mask;                       /* dwChannelMask libsndfile must write */
        lathe_channel_role roles[LATHE_MAX_CHANNELS];
        double amp[LATHE_MAX_CHANNELS];
    } cases[] = {
        /* 5.1 (back, the usual mask): a loud LFE that must not count, a surround at
         * +1.5 dB. Without side channels the "back" pair are the 5.1 surrounds. */
        { "5.1 back", 6,
          { SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER,
            SF_CHANNEL_MAP_LFE, SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT }, 0x3F,
          { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
            LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND },
          { 0.1, 0.1, 0.2, 0.9, 0.3, 0.0 } },
        /* 5.1 (side). */
        { "5.1 side", 6,
          { SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER,
            SF_CHANNEL_MAP_LFE, SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT }, 0x60F,
          { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
            LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND },
          { 0.0, 0.0, 0.0, 0.9, 0.0, 0.4 } },
        /* 3.1: the default for 4 channels would be L R Ls Rs; the file says L R C LFE. */
        { "3.1", 4,
          { SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER,
            SF_CHANNEL_MAP_LFE }, 0xF,
          { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE },
          { 0.0, 0.0, 0.5, 0.5 } },
        /* 7.1: mask order puts back before side (default order is the reverse); here
         * the back pair are back surrounds (weight 1.0), the side pair surrounds. */
        { "7.1", 8,
          { SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER,
            SF_CHANNEL_MAP_LFE, SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT,
            SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT }, 0x63F,
          { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
            LATHE_CHANNEL_LEFT_BACK, LATHE_CHANNEL_RIGHT_BACK, LATHE_CHANNEL_LEFT_SURROUND,
            LATHE_CHANNEL_RIGHT_SURROUND },
          { 0.1, 0.1, 0.1, 0.8, 0.1, 0.2, 0.3, 0.1 } },
        /* Mono as front centre. */
        { "centre", 1, { SF_CHANNEL_MAP_CENTER }, 0x4, { LATHE_CHANNEL_CENTER }, { 0.5 } },
    };
    const expect e = { "WAV", 24, 0, 1e-4, 1e-4, 0.01, 0, 1 };
    const int rate = 48000;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64], path[128];
        written w;
        snprintf(name, sizeof name, "mask%zu.wav", i);
        path_for(path, sizeof path, name);
        if (write_sine(path, SF_FORMAT_WAVEX | SF_FORMAT_PCM_24, rate, cases[i].channels,
                       2 * rate, cases[i].amp, cases[i].map, &w) != 0) {
            CHECK(0, "%s: cannot write", cases[i].name);
            continue;
        }
        /* fmt chunk at byte 12: tag at 20, dwChannelMask at 40 (WAVEFORMATEXTENSIBLE). */
        CHECK((file_u32(path, 20, 1) & 0xFFFF) == 0xFFFE && file_u32(path, 40, 1) == cases[i].mask,
              "%s: written tag 0x%04x mask 0x%x, want 0xFFFE 0x%x", cases[i].name,
              (unsigned)(file_u32(path, 20, 1) & 0xFFFF), (unsigned)file_u32(path, 40, 1),
              (unsigned)cases[i].mask);
        check_file(cases[i].name, path, rate, cases[i].channels, cases[i].amp, &w, &e,
                   cases[i].roles);
    }

    /* The +1.5 dB and the LFE exclusion in plain numbers for the 5.1 (side) file:
     * only Rs (0.4) counts: -3.01 + 20 log10(0.4) + 10 log10(1.41) = -9.48 LUFS. */
    {
        char path[128];
        lathe_analysis a;
        path_for(path, sizeof path, "mask1.wav");
        if (lathe_analyze_file(path, NULL, &a, NULL, 0, NULL, NULL) == LATHE_OK) {
            CHECK_NEAR(a.integrated_lufs, -3.0103 + 20.0 * log10(0.4) + 10.0 * log10(1.41), 0.01,
                       "5.1 side: integrated LUFS of Rs alone");
            lathe_analysis_free(&a);
        } else {
            CHECK(0, "5.1 side: cannot analyse");
        }
    }
}

/* An explicit role list overrides the file's map (what `--channels` sets). */
static void test_role_override(void)
{
    char path[128];
    lathe_analysis_config cfg;
    lathe_analysis a;
    path_for(path, sizeof path, "mask2.wav"); /* 3.1 map, sine 0.5 in C and LFE */
    lathe_analysis_config_defaults(&cfg);
    cfg.use_roles = 1;
    cfg.roles[0] = LATHE_CHANNEL_LEFT;
    cfg.roles[1] = LATHE_CHANNEL_RIGHT;
    cfg.roles[2] = LATHE_CHANNEL_LEFT_SURROUND;
    cfg.roles[3] = LATHE_CHANNEL_RIGHT_SURROUND;
    if (lathe_analyze_file(path, &cfg, &a, NULL, 0, NULL, NULL) == LATHE_OK) {
        const double amp[4] = { 0.0, 0.0, 0.5, 0.5 };
        CHECK_NEAR(a.integrated_lufs, expected_lufs(4, amp, cfg.roles), 0.01,
                   "override L,R,Ls,Rs on a 3.1 file: integrated LUFS");
        CHECK(a.info.roles[2] == LATHE_CHANNEL_LEFT_SURROUND && a.channel[3].role
              == LATHE_CHANNEL_RIGHT_SURROUND, "override: roles %s %s reported",
              lathe_channel_role_name(a.info.roles[2]), lathe_channel_role_name(a.channel[3].role));
        lathe_analysis_free(&a);
    } else {
        CHECK(0, "override: cannot analyse");
    }
}

/* The same bytes through lathe_reader_open_memory give the same figures. */
static void test_memory_reader(void)
{
    static const char *const files[] = { "s24.wav", "s16.aiff", "s16.flac", "v.ogg", "f64.w64" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128], err[256] = "";
        lathe_analysis af, am;
        lathe_reader *rd = NULL;
        unsigned char *buf;
        long size;
        FILE *f;
        path_for(path, sizeof path, files[i]);
        if (!(f = fopen(path, "rb")))
            continue; /* a format this libsndfile could not write */
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        rewind(f);
        buf = malloc((size_t)size);
        CHECK(buf && fread(buf, 1, (size_t)size, f) == (size_t)size, "%s: read", files[i]);
        fclose(f);
        lathe_status s1 = lathe_analyze_file(path, NULL, &af, NULL, 0, NULL, NULL);
        lathe_status s2 = lathe_reader_open_memory(buf, (size_t)size, &rd, err, sizeof err);
        CHECK(s2 == LATHE_OK, "%s: open_memory status %d (%s)", files[i], (int)s2, err);
        if (s1 == LATHE_OK && s2 == LATHE_OK) {
            lathe_status s3 = lathe_analyze_reader(rd, NULL, &am, err, sizeof err, NULL, NULL);
            CHECK(s3 == LATHE_OK, "%s: analyze_reader status %d (%s)", files[i], (int)s3, err);
            if (s3 == LATHE_OK) {
                CHECK(am.frames == af.frames && am.integrated_lufs == af.integrated_lufs
                      && am.sample_peak_dbfs == af.sample_peak_dbfs
                      && strcmp(am.info.container, af.info.container) == 0,
                      "%s: memory %lld frames %.4f LUFS %.4f dBFS %s, file %lld %.4f %.4f %s",
                      files[i], (long long)am.frames, am.integrated_lufs, am.sample_peak_dbfs,
                      am.info.container, (long long)af.frames, af.integrated_lufs,
                      af.sample_peak_dbfs, af.info.container);
                lathe_analysis_free(&am);
            }
        }
        if (s1 == LATHE_OK)
            lathe_analysis_free(&af);
        lathe_reader_close(rd);
        rd = NULL;
        /* Cut in the middle of its data: reported as truncated, frames before it delivered. */
        if (i == 0) {
            lathe_status s4 = lathe_reader_open_memory(buf, (size_t)size / 2, &rd, err, sizeof err);
            CHECK(s4 == LATHE_OK, "half of %s: open status %d (%s)", files[i], (int)s4, err);
            if (s4 == LATHE_OK) {
                lathe_status s5 = lathe_analyze_reader(rd, NULL, &am, err, sizeof err, NULL, NULL);
                CHECK(s5 == LATHE_ERR_TRUNCATED, "half of %s: status %d (%s), want truncated",
                      files[i], (int)s5, err);
                lathe_reader_close(rd);
            }
            s4 = lathe_reader_open_memory(buf, 0, &rd, err, sizeof err);
            CHECK(s4 == LATHE_ERR_FORMAT && rd == NULL, "0 bytes: status %d", (int)s4);
        }
        free(buf);
    }
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* 16-bit PCM, which the reader decodes as integers and converts itself: every sample
 * equals libsndfile's own float decoding (sf_readf_float) bit for bit, in WAV, AIFF
 * (big-endian) and FLAC, with 1, 2 and 3 channels, full-scale extremes included, read in
 * uneven chunks. */
static void test_pcm16_exact(void)
{
    static const struct { const char *name; int format; } fmts[] = {
        { "s16x.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16 },
        { "s16x.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16 },
        { "s16x.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16 },
    };
    enum { FRAMES = 10007 };
    uint64_t rng = 0x853C49E6748FEA9Bull;
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++)
        for (int nch = 1; nch <= 3; nch++) {
            char path[128];
            path_for(path, sizeof path, fmts[f].name);
            static short pcm[FRAMES * 3];
            for (int i = 0; i < FRAMES * nch; i++)
                pcm[i] = (short)(test_rand_next(&rng) & 0xffff);
            pcm[0] = -32768;
            pcm[nch] = 32767;
            SF_INFO si = { .samplerate = 44100, .channels = nch, .format = fmts[f].format };
            SNDFILE *w = sf_open(path, SFM_WRITE, &si);
            CHECK(w != NULL, "%s: cannot write", fmts[f].name);
            if (!w)
                continue;
            sf_writef_short(w, pcm, FRAMES);
            sf_close(w);
            /* libsndfile's float path */
            static float want[FRAMES * 3];
            memset(&si, 0, sizeof si);
            SNDFILE *r = sf_open(path, SFM_READ, &si);
            sf_count_t got_ref = r ? sf_readf_float(r, want, FRAMES) : 0;
            if (r)
                sf_close(r);
            /* lathe's reader, in chunks of 1, 7, 1000, ... frames */
            lathe_reader *rd = NULL;
            char err[256];
            CHECK(lathe_reader_open(path, &rd, err, sizeof err) == LATHE_OK, "%s: %s",
                  fmts[f].name, err);
            if (!rd)
                continue;
            static float plane[3][FRAMES];
            size_t done = 0, chunk = 1, got = 0;
            while (done < FRAMES) {
                float *ch[3] = { plane[0] + done, plane[1] + done, plane[2] + done };
                if (lathe_reader_read(rd, ch, chunk, &got) != LATHE_OK || got == 0)
                    break;
                done += got;
                chunk = chunk * 7 + 3 > 4096 ? 1 : chunk * 7 + 3;
            }
            lathe_reader_close(rd);
            long bad = 0;
            for (size_t i = 0; i < done; i++)
                for (int c = 0; c < nch; c++)
                    bad += memcmp(&plane[c][i], &want[i * (size_t)nch + (size_t)c], sizeof(float)) != 0;
            CHECK(got_ref == FRAMES && done == FRAMES && bad == 0,
                  "%s, %d channels: %zu of %d frames, %ld samples differ from sf_readf_float",
                  fmts[f].name, nch, done, FRAMES, bad);
            CHECK(plane[0][0] == -1.0f, "-32768 reads -1 exactly (got %.9g)", plane[0][0]);
            unlink(path);
        }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lathe-formats-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_format_matrix();
    test_channel_counts();
    test_rates();
    test_channel_masks();
    test_role_override();
    test_memory_reader();
    test_pcm16_exact();
    remove_tmpdir();
    return test_summary();
}
