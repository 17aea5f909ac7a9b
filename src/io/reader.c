/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming audio reader over libsndfile: planar float blocks, channel roles, and
 * clear one-line reasons for every way a file can fail to open or read. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sndfile.h>
#include "lathe/io.h"

/* Frames decoded per libsndfile call; the interleaved scratch holds this many. */
#define READER_CHUNK 4096

struct lathe_reader {
    SNDFILE *sf;
    lathe_audio_info info;
    int64_t frames_read;     /* frames delivered so far */
    int64_t declared_frames; /* frames the header declared before libsndfile clamped them */
    float *interleaved;      /* READER_CHUNK * channels */
};

static void set_err(char *err, size_t errlen, const char *detail)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", detail);
}

static void describe_format(const SF_INFO *sfi, lathe_audio_info *info)
{
    int major = sfi->format & SF_FORMAT_TYPEMASK;
    int sub = sfi->format & SF_FORMAT_SUBMASK;
    SF_FORMAT_INFO fi;

    memset(&fi, 0, sizeof fi);
    fi.format = major;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.extension)
        snprintf(info->container, sizeof info->container, "%s", fi.extension);
    else
        snprintf(info->container, sizeof info->container, "0x%x", major >> 16);
    for (char *p = info->container; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');

    info->bits = 0;
    info->is_float = 0;
    info->full_scale = 1.0;
    switch (sub) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: info->bits = 8; break;
    case SF_FORMAT_PCM_16: info->bits = 16; break;
    case SF_FORMAT_PCM_24: info->bits = 24; break;
    case SF_FORMAT_PCM_32: info->bits = 32; break;
    case SF_FORMAT_FLOAT: info->bits = 32; info->is_float = 1; break;
    case SF_FORMAT_DOUBLE: info->bits = 64; info->is_float = 1; break;
    default: break;
    }
    if (info->bits && !info->is_float) {
        info->full_scale = 1.0 - ldexp(1.0, -(info->bits - 1));
        snprintf(info->encoding, sizeof info->encoding, "PCM %d-bit", info->bits);
    } else if (info->is_float) {
        snprintf(info->encoding, sizeof info->encoding, "float %d-bit", info->bits);
    } else {
        memset(&fi, 0, sizeof fi);
        fi.format = sub;
        if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name)
            snprintf(info->encoding, sizeof info->encoding, "%s", fi.name);
        else
            snprintf(info->encoding, sizeof info->encoding, "0x%x", sub);
    }
}

static lathe_channel_role role_from_sf(int id)
{
    switch (id) {
    case SF_CHANNEL_MAP_MONO: return LATHE_CHANNEL_MONO;
    case SF_CHANNEL_MAP_LEFT: case SF_CHANNEL_MAP_FRONT_LEFT: return LATHE_CHANNEL_LEFT;
    case SF_CHANNEL_MAP_RIGHT: case SF_CHANNEL_MAP_FRONT_RIGHT: return LATHE_CHANNEL_RIGHT;
    case SF_CHANNEL_MAP_CENTER: case SF_CHANNEL_MAP_FRONT_CENTER: return LATHE_CHANNEL_CENTER;
    case SF_CHANNEL_MAP_LFE: return LATHE_CHANNEL_LFE;
    case SF_CHANNEL_MAP_SIDE_LEFT: return LATHE_CHANNEL_LEFT_SURROUND;
    case SF_CHANNEL_MAP_SIDE_RIGHT: return LATHE_CHANNEL_RIGHT_SURROUND;
    case SF_CHANNEL_MAP_REAR_LEFT: return LATHE_CHANNEL_LEFT_BACK;
    case SF_CHANNEL_MAP_REAR_RIGHT: return LATHE_CHANNEL_RIGHT_BACK;
    default: return LATHE_CHANNEL_UNKNOWN;
    }
}

/* WAV files whose data chunk claims more bytes than the file holds are clamped by
 * libsndfile, which notes the header's figure in its log as "data : N (should be M)". */
static int64_t declared_data_frames(SNDFILE *sf, const SF_INFO *sfi, const lathe_audio_info *info)
{
    char log[4096];
    const char *p;
    long long declared = 0, actual = 0;

    if (!info->bits || sfi->channels <= 0)
        return sfi->frames;
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    p = strstr(log, "data : ");
    if (!p || !strstr(p, "should be"))
        return sfi->frames;
    if (sscanf(p, "data : %lld (should be %lld)", &declared, &actual) != 2 || declared <= actual)
        return sfi->frames;
    return sfi->frames + (declared - actual) / ((info->bits / 8) * sfi->channels);
}

lathe_status lathe_reader_open(const char *path, lathe_reader **out, char *err, size_t errlen)
{
    struct stat st;
    SF_INFO sfi;
    lathe_reader *r;

    if (out)
        *out = NULL;
    if (!path || !out) {
        set_err(err, errlen, "no file given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (stat(path, &st) != 0) {
        set_err(err, errlen, strerror(errno));
        return LATHE_ERR_OPEN;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "is a directory, not an audio file");
        return LATHE_ERR_OPEN;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        set_err(err, errlen, "empty file (0 bytes), not audio");
        return LATHE_ERR_FORMAT;
    }

    memset(&sfi, 0, sizeof sfi);
    SNDFILE *sf = sf_open(path, SFM_READ, &sfi);
    if (!sf) {
        const char *why = sf_strerror(NULL);
        /* libsndfile says "System error" for permission problems; errno is better. */
        FILE *probe = fopen(path, "rb");
        if (!probe) {
            set_err(err, errlen, strerror(errno));
            return LATHE_ERR_OPEN;
        }
        fclose(probe);
        if (err && errlen)
            snprintf(err, errlen, "not a readable audio file (%s)", why);
        return LATHE_ERR_FORMAT;
    }
    if (sfi.channels < 1 || sfi.channels > LATHE_MAX_CHANNELS) {
        if (err && errlen)
            snprintf(err, errlen, "%d channels; lathe reads 1 to %d", sfi.channels,
                     LATHE_MAX_CHANNELS);
        sf_close(sf);
        return LATHE_ERR_UNSUPPORTED;
    }
    if (sfi.samplerate < LATHE_MIN_RATE_HZ || sfi.samplerate > LATHE_MAX_RATE_HZ) {
        if (err && errlen)
            snprintf(err, errlen, "sample rate %d Hz; lathe reads %d to %d Hz", sfi.samplerate,
                     LATHE_MIN_RATE_HZ, LATHE_MAX_RATE_HZ);
        sf_close(sf);
        return LATHE_ERR_UNSUPPORTED;
    }

    r = calloc(1, sizeof *r);
    if (!r) {
        sf_close(sf);
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    r->sf = sf;
    r->info.frames = sfi.frames;
    r->info.rate_hz = sfi.samplerate;
    r->info.channels = sfi.channels;
    describe_format(&sfi, &r->info);
    r->declared_frames = declared_data_frames(sf, &sfi, &r->info);

    lathe_channel_roles_default(sfi.channels, r->info.roles);
    {
        int map[LATHE_MAX_CHANNELS];
        if (sf_command(sf, SFC_GET_CHANNEL_MAP_INFO, map, (int)(sizeof(int) * (size_t)sfi.channels))
            == SF_TRUE) {
            for (int c = 0; c < sfi.channels; c++)
                r->info.roles[c] = role_from_sf(map[c]);
            r->info.roles_from_file = 1;
        }
    }

    if (sfi.frames == 0) {
        set_err(err, errlen, "the file holds no audio frames");
        lathe_reader_close(r);
        return LATHE_ERR_EMPTY;
    }
    r->interleaved = malloc(sizeof(float) * READER_CHUNK * (size_t)sfi.channels);
    if (!r->interleaved) {
        lathe_reader_close(r);
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    *out = r;
    return LATHE_OK;
}

const lathe_audio_info *lathe_reader_info(const lathe_reader *reader)
{
    return reader ? &reader->info : NULL;
}

lathe_status lathe_reader_read(lathe_reader *r, float *const *ch, size_t max_frames, size_t *got)
{
    size_t done = 0;
    const int nch = r->info.channels;

    *got = 0;
    while (done < max_frames) {
        size_t want = max_frames - done;
        if (want > READER_CHUNK)
            want = READER_CHUNK;
        sf_count_t n = sf_readf_float(r->sf, r->interleaved, (sf_count_t)want);
        if (n < 0)
            return LATHE_ERR_READ;
        if (n == 0) {
            if (sf_error(r->sf) != SF_ERR_NO_ERROR)
                return LATHE_ERR_READ;
            break;
        }
        if (nch == 1) {
            memcpy(ch[0] + done, r->interleaved, sizeof(float) * (size_t)n);
        } else if (nch == 2) {
            float *restrict l = ch[0] + done, *restrict rr = ch[1] + done;
            const float *restrict in = r->interleaved;
            for (sf_count_t i = 0; i < n; i++) {
                l[i] = in[2 * i];
                rr[i] = in[2 * i + 1];
            }
        } else {
            for (int c = 0; c < nch; c++) {
                float *restrict dst = ch[c] + done;
                for (sf_count_t i = 0; i < n; i++)
                    dst[i] = r->interleaved[i * nch + c];
            }
        }
        done += (size_t)n;
        if ((size_t)n < want)
            break;
    }
    r->frames_read += (int64_t)done;
    *got = done;
    if (done == 0 && r->declared_frames > r->frames_read)
        return LATHE_ERR_TRUNCATED;
    return LATHE_OK;
}

lathe_status lathe_reader_rewind(lathe_reader *r)
{
    if (sf_seek(r->sf, 0, SEEK_SET) < 0)
        return LATHE_ERR_READ;
    r->frames_read = 0;
    return LATHE_OK;
}

void lathe_reader_close(lathe_reader *r)
{
    if (!r)
        return;
    if (r->sf)
        sf_close(r->sf);
    free(r->interleaved);
    free(r);
}
