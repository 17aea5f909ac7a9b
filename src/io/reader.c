/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming audio reader over libsndfile: planar float blocks, channel roles, and
 * clear one-line reasons for every way a file can fail to open or read. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sndfile.h>
#include "dsp/simd.h"
#include "lathe/io.h"

/* Frames decoded per libsndfile call; the interleaved scratch holds this many. */
#define READER_CHUNK 4096

struct lathe_reader {
    SNDFILE *sf;
    lathe_audio_info info;
    int64_t frames_read;     /* frames delivered so far */
    int64_t declared_frames; /* frames the header declared before libsndfile clamped them */
    float *interleaved;      /* READER_CHUNK * channels */
    short *shorts;           /* 16-bit PCM: READER_CHUNK * channels, read as integers */
    const unsigned char *mem;/* lathe_reader_open_memory: the caller's bytes */
    size_t mem_size;
    sf_count_t mem_pos;      /* read position in MEM */
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
    /* libsndfile's extensions name most containers; not these ("m1a", "oga", "wav"). */
    if (major == SF_FORMAT_MPEG)
        snprintf(info->container, sizeof info->container, "MPEG");
    else if (major == SF_FORMAT_OGG)
        snprintf(info->container, sizeof info->container, "OGG");
    else if (major == SF_FORMAT_NIST)
        snprintf(info->container, sizeof info->container, "NIST");
    else if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.extension)
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

/* Finds KEY at the start of a line of libsndfile's log (after any indentation). */
static const char *log_line(const char *log, const char *key)
{
    for (const char *p = strstr(log, key); p; p = strstr(p + 1, key)) {
        const char *q = p;
        while (q > log && q[-1] == ' ')
            q--;
        if (q == log || q[-1] == '\n')
            return p;
    }
    return NULL;
}

/* Frames the header declares when that is more than the file holds. libsndfile clamps
 * the length to what is there and notes the header's figures in its log:
 *   WAV   "data : N (should be M)"   bytes declared, bytes present
 *   AIFF  "SSND : N (should be M)"   the same, both counting the 8-byte SSND header
 *   W64   "data : N"                 chunk size including its 24-byte header
 *   RF64  "Data size : N"            ds64 data size in bytes
 * Streams written to a pipe leave a placeholder size (0, 0x7FFFFFFF or 0xFFFFFFFF)
 * that says nothing about the length: those are not truncation. Only for PCM and
 * float, where a frame is a fixed number of bytes; otherwise returns the frames
 * libsndfile found, INT64_MAX for an Ogg stream that ends without its last page, or
 * 0 (length not known exactly) for MPEG audio. */
static int64_t declared_data_frames(const char *log, const SF_INFO *sfi,
                                    const lathe_audio_info *info)
{
    const char *p;
    long long n = 0, m = 0;
    long long bpf = (long long)(info->bits / 8) * sfi->channels; /* bytes per frame */
    long long declared = -1;

    /* libmpg123 estimates the length of an MP3 without a Xing/LAME header from its
     * first frames' bit rate, so a stream that ends elsewhere is not truncated. */
    if ((sfi->format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG)
        return 0;
    /* An Ogg file cut short has no end-of-stream page: libsndfile cannot find its
     * length (Opus) or notes the missing page (Vorbis). A complete file always has one. */
    if ((sfi->format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG
        && (info->frames < 0 || strstr(log, "without an End-Of-Stream")))
        return INT64_MAX;
    if (!info->bits || sfi->channels <= 0 || info->frames < 0)
        return info->frames;
    switch (sfi->format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX:
        if ((p = log_line(log, "data : ")) && sscanf(p, "data : %lld (should be %lld)", &n, &m) == 2
            && n != 0xFFFFFFFFLL && n != 0x7FFFFFFFLL && n > m && m >= 0)
            declared = info->frames + (n - m) / bpf;
        break;
    case SF_FORMAT_AIFF:
        if ((p = log_line(log, "SSND : ")) && sscanf(p, "SSND : %lld (should be %lld)", &n, &m) == 2
            && n != 0xFFFFFFFFLL && n != 0x7FFFFFFFLL && n > m && m >= 0)
            declared = info->frames + (n - m) / bpf;
        break;
    case SF_FORMAT_W64:
        if ((p = log_line(log, "data : ")) && sscanf(p, "data : %lld", &n) == 1 && n > 24)
            declared = (n - 24) / bpf;
        break;
    case SF_FORMAT_RF64:
        if ((p = log_line(log, "Data size : ")) && sscanf(p, "Data size : %lld", &n) == 1 && n > 0
            && n < (1LL << 62))
            declared = n / bpf;
        break;
    default:
        break;
    }
    return declared > info->frames ? (int64_t)declared : info->frames;
}

/* Channel roles when the file carries no channel map: the order its format defines.
 *  Ogg Vorbis (Vorbis I spec 4.3.9) and Opus mapping family 1 (RFC 7845 5.1.1.2):
 *    3: L C R  4: L R Ls Rs  5: L C R Ls Rs  6: L C R Ls Rs LFE
 *    7: L C R Ls Rs Cb LFE  8: L C R Ls Rs Lb Rb LFE
 *  FLAC (format spec, channel assignment) 7: L R C LFE Cb Ls Rs, 8: L R C LFE Lb Rb Ls Rs
 *  (1 to 6 channels as lathe_channel_roles_default). A rear centre (Cb) has no role
 *  of its own: unknown, weight 1.0 (BS.1770-4 weights only |azimuth| 60-120 deg). */
static void container_roles(int major, int channels, const char *log, lathe_channel_role *roles)
{
    enum { L = LATHE_CHANNEL_LEFT, R = LATHE_CHANNEL_RIGHT, C = LATHE_CHANNEL_CENTER,
           LFE = LATHE_CHANNEL_LFE, LS = LATHE_CHANNEL_LEFT_SURROUND,
           RS = LATHE_CHANNEL_RIGHT_SURROUND, LB = LATHE_CHANNEL_LEFT_BACK,
           RB = LATHE_CHANNEL_RIGHT_BACK, CB = LATHE_CHANNEL_UNKNOWN };
    static const int vorbis[LATHE_MAX_CHANNELS - 2][LATHE_MAX_CHANNELS] = {
        { L, C, R }, { L, R, LS, RS }, { L, C, R, LS, RS }, { L, C, R, LS, RS, LFE },
        { L, C, R, LS, RS, CB, LFE }, { L, C, R, LS, RS, LB, RB, LFE },
    };
    static const int flac[2][LATHE_MAX_CHANNELS] = {
        { L, R, C, LFE, CB, LS, RS }, { L, R, C, LFE, LB, RB, LS, RS },
    };
    const int *order = NULL;
    const char *p;
    int family = 1;

    lathe_channel_roles_default(channels, roles);
    if (major == SF_FORMAT_OGG && channels >= 3) {
        /* Opus families other than 1 (255: undefined, 2/3: ambisonics) keep the defaults. */
        if ((p = log_line(log, "Channel Mapping  : ")) != NULL)
            family = atoi(p + strlen("Channel Mapping  : "));
        if (family == 1)
            order = vorbis[channels - 3];
    } else if (major == SF_FORMAT_FLAC && channels >= 7) {
        order = flac[channels - 7];
    }
    if (order)
        for (int c = 0; c < channels; c++)
            roles[c] = (lathe_channel_role)order[c];
}

/* Why libsndfile refused to open a file of SIZE bytes whose first are HEAD (LEN of them):
 * its error WHY, made specific where its log of the failed open (which it keeps for
 * sf_command(NULL, SFC_GET_LOG_INFO)) shows the header's figures. Returns the status. */
static lathe_status open_failure(const void *head, size_t len, long long size, const char *why,
                                 const char *what, char *err, size_t errlen)
{
    char log[4096];
    const char *p;
    unsigned tag = 0;
    long n = 0;

    memset(log, 0, sizeof log);
    sf_command(NULL, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = 0;
    if (!err || !errlen)
        return LATHE_ERR_FORMAT;
    if (strstr(log, "returned short count")) {
        snprintf(err, errlen, "truncated: the %s ends inside its header (%lld bytes)", what, size);
        return LATHE_ERR_TRUNCATED;
    } else if (len >= 8 && memcmp((const char *)head + 4, "ftyp", 4) == 0) {
        snprintf(err, errlen, "an MP4/M4A file (AAC or ALAC), which lathe does not read; "
                 "convert it to WAV or FLAC first");
    } else if ((p = log_line(log, "Format        : ")) && strstr(p, "=> Unknown format")
               && sscanf(p, "Format        : %x", &tag) == 1) {
        snprintf(err, errlen, "unsupported WAV codec (format tag 0x%04X)", tag);
    } else if ((p = log_line(log, "Channels")) && sscanf(p, "Channels %*[ :]%ld", &n) == 1
               && (n < 1 || n > LATHE_MAX_CHANNELS)) {
        snprintf(err, errlen, "%ld channels; lathe reads 1 to %d", n, LATHE_MAX_CHANNELS);
        return LATHE_ERR_UNSUPPORTED;
    } else if ((p = log_line(log, "Sample Rate")) && sscanf(p, "Sample Rate %*[ :]%ld", &n) == 1
               && (n < LATHE_MIN_RATE_HZ || n > LATHE_MAX_RATE_HZ)) {
        snprintf(err, errlen, "sample rate %ld Hz; lathe reads %d to %d Hz", n,
                 LATHE_MIN_RATE_HZ, LATHE_MAX_RATE_HZ);
        return LATHE_ERR_UNSUPPORTED;
    } else {
        snprintf(err, errlen, "not a readable audio %s (%s)", what, why);
    }
    return LATHE_ERR_FORMAT;
}

/* Checks what libsndfile opened and wraps it in R (which owns SF from here on,
 * also on failure). */
static lathe_status reader_setup(lathe_reader *r, SNDFILE *sf, const SF_INFO *sfi, char *err,
                                 size_t errlen)
{
    char log[8192]; /* libsndfile's notes on the header */

    r->sf = sf;
    if (sfi->channels < 1 || sfi->channels > LATHE_MAX_CHANNELS) {
        if (err && errlen)
            snprintf(err, errlen, "%d channels; lathe reads 1 to %d", sfi->channels,
                     LATHE_MAX_CHANNELS);
        return LATHE_ERR_UNSUPPORTED;
    }
    if (sfi->samplerate < LATHE_MIN_RATE_HZ || sfi->samplerate > LATHE_MAX_RATE_HZ) {
        if (err && errlen)
            snprintf(err, errlen, "sample rate %d Hz; lathe reads %d to %d Hz", sfi->samplerate,
                     LATHE_MIN_RATE_HZ, LATHE_MAX_RATE_HZ);
        return LATHE_ERR_UNSUPPORTED;
    }
    /* libsndfile says SF_COUNT_MAX when a stream's length is unknown (e.g. an Ogg
     * file cut before its last page). */
    r->info.frames = (sfi->frames < 0 || sfi->frames == SF_COUNT_MAX) ? -1 : sfi->frames;
    r->info.rate_hz = sfi->samplerate;
    r->info.channels = sfi->channels;
    describe_format(sfi, &r->info);
    memset(log, 0, sizeof log);
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = 0;
    r->declared_frames = declared_data_frames(log, sfi, &r->info);

    container_roles(sfi->format & SF_FORMAT_TYPEMASK, sfi->channels, log, r->info.roles);
    {
        int map[LATHE_MAX_CHANNELS];
        if (sf_command(sf, SFC_GET_CHANNEL_MAP_INFO, map,
                       (int)(sizeof(int) * (size_t)sfi->channels)) == SF_TRUE) {
            int sides = 0;
            for (int c = 0; c < sfi->channels; c++) {
                r->info.roles[c] = role_from_sf(map[c]);
                sides += map[c] == SF_CHANNEL_MAP_SIDE_LEFT || map[c] == SF_CHANNEL_MAP_SIDE_RIGHT;
            }
            /* WAVE_FORMAT_EXTENSIBLE calls 5.1's surrounds "back" (mask 0x3F, the common
             * 5.1 and ffmpeg's) and quad's rears too: without side channels, the back
             * pair are the surrounds (ITU-R BS.775 +-110 deg, BS.1770-4 weight 1.41).
             * Only beside side channels (7.1) are they back surrounds (+-135..150 deg). */
            for (int c = 0; !sides && c < sfi->channels; c++) {
                if (r->info.roles[c] == LATHE_CHANNEL_LEFT_BACK)
                    r->info.roles[c] = LATHE_CHANNEL_LEFT_SURROUND;
                else if (r->info.roles[c] == LATHE_CHANNEL_RIGHT_BACK)
                    r->info.roles[c] = LATHE_CHANNEL_RIGHT_SURROUND;
            }
            r->info.roles_from_file = 1;
        }
    }

    if (r->info.frames == 0) {
        set_err(err, errlen, "the file holds no audio frames");
        return LATHE_ERR_EMPTY;
    }
    r->interleaved = malloc(sizeof(float) * READER_CHUNK * (size_t)sfi->channels);
    if ((sfi->format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16)
        r->shorts = malloc(sizeof(short) * READER_CHUNK * (size_t)sfi->channels);
    if (!r->interleaved || ((sfi->format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 && !r->shorts)) {
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    return LATHE_OK;
}

lathe_status lathe_reader_open(const char *path, lathe_reader **out, char *err, size_t errlen)
{
    struct stat st;
    SF_INFO sfi;
    lathe_reader *r;
    lathe_status status;

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
        {
            unsigned char head[12] = { 0 };
            size_t got = fread(head, 1, sizeof head, probe);
            fclose(probe);
            return open_failure(head, got, (long long)st.st_size, why, "file", err, errlen);
        }
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        sf_close(sf);
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    status = reader_setup(r, sf, &sfi, err, errlen);
    if (status != LATHE_OK) {
        lathe_reader_close(r);
        return status;
    }
    *out = r;
    return LATHE_OK;
}

/* libsndfile virtual I/O over the caller's read-only buffer. */
static sf_count_t mem_get_filelen(void *user)
{
    return (sf_count_t)((lathe_reader *)user)->mem_size;
}

static sf_count_t mem_seek(sf_count_t offset, int whence, void *user)
{
    lathe_reader *r = user;
    sf_count_t base = whence == SEEK_CUR ? r->mem_pos
                      : whence == SEEK_END ? (sf_count_t)r->mem_size : 0;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return -1;
    if (offset < -base || offset > SF_COUNT_MAX - base)
        return -1;
    r->mem_pos = base + offset; /* past the end reads nothing, as with a file */
    return r->mem_pos;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *user)
{
    lathe_reader *r = user;
    sf_count_t left = r->mem_pos < (sf_count_t)r->mem_size
                      ? (sf_count_t)r->mem_size - r->mem_pos : 0;
    if (count < 0)
        return 0;
    if (count > left)
        count = left;
    if (count > 0)
        memcpy(ptr, r->mem + r->mem_pos, (size_t)count);
    r->mem_pos += count;
    return count;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr, (void)count, (void)user;
    return 0; /* read-only */
}

static sf_count_t mem_tell(void *user)
{
    return ((lathe_reader *)user)->mem_pos;
}

lathe_status lathe_reader_open_memory(const void *data, size_t size, lathe_reader **out,
                                      char *err, size_t errlen)
{
    /* libsndfile copies this table when opening. */
    SF_VIRTUAL_IO vio = { mem_get_filelen, mem_seek, mem_read, mem_write, mem_tell };
    SF_INFO sfi;
    lathe_reader *r;
    lathe_status status;

    if (out)
        *out = NULL;
    if (!out || (!data && size)) {
        set_err(err, errlen, "no data given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (size == 0) {
        set_err(err, errlen, "empty (0 bytes), not audio");
        return LATHE_ERR_FORMAT;
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    r->mem = data;
    r->mem_size = size;
    memset(&sfi, 0, sizeof sfi);
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &sfi, r);
    if (!sf) {
        status = open_failure(data, size, (long long)size, sf_strerror(NULL), "stream", err,
                              errlen);
        free(r);
        return status;
    }
    status = reader_setup(r, sf, &sfi, err, errlen);
    if (status != LATHE_OK) {
        lathe_reader_close(r);
        return status;
    }
    *out = r;
    return LATHE_OK;
}

const lathe_audio_info *lathe_reader_info(const lathe_reader *reader)
{
    return reader ? &reader->info : NULL;
}

/* 16-bit PCM as libsndfile's float path gives it (s * (1 / 32768), normalised floats), for
 * N frames of NCH channels into CH at DONE: one multiply a sample, in a loop GCC
 * vectorises, instead of libsndfile's scalar conversion (about nine instructions a
 * sample). */
LATHE_HOT static void shorts_to_float(const short *restrict in, float *const *ch, size_t done,
                                      int nch, size_t n)
{
    const float k = 1.0f / 32768.0f;
    if (nch == 2) {
        float *restrict l = ch[0] + done, *restrict r = ch[1] + done;
        for (size_t i = 0; i < n; i++) {
            l[i] = (float)in[2 * i] * k;
            r[i] = (float)in[2 * i + 1] * k;
        }
        return;
    }
    for (int c = 0; c < nch; c++) {
        float *restrict dst = ch[c] + done;
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)in[i * (size_t)nch + (size_t)c] * k;
    }
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
        sf_count_t n = r->shorts ? sf_readf_short(r->sf, r->shorts, (sf_count_t)want)
                                 : sf_readf_float(r->sf, r->interleaved, (sf_count_t)want);
        if (n < 0)
            return LATHE_ERR_READ;
        if (n == 0) {
            if (sf_error(r->sf) != SF_ERR_NO_ERROR)
                return LATHE_ERR_READ;
            break;
        }
        if (r->shorts) {
            shorts_to_float(r->shorts, ch, done, nch, (size_t)n);
        } else if (nch == 1) {
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
    free(r->shorts);
    free(r);
}
