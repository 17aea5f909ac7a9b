/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The output stage: resample (libsoxr) -> dither -> quantise -> encode (libsndfile)
 * into a hidden temporary file beside the destination -> fsync -> atomic rename.
 * Nothing ever appears under the destination's name unless the whole file was
 * written, closed, read back (header) and synced. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/output.h"
#include "dsp/dither.h"
#include "dsp/simd.h"
#include "io/resample.h"

#define ENC_CHUNK 4096            /* frames encoded per libsndfile call */
#define TEMP_BASE_MAX 160         /* bytes of the destination's name kept in the temp name */
/* RIFF and AIFF sizes are 32-bit: keep the data well under 4 GiB with room for the
 * header and trailing chunks. */
#define SIZE32_DATA_MAX (0xFFFFFFFFull - 65536ull)
#define WB_SIZE ((size_t)1 << 20)     /* write-behind buffer, bytes */
#define OBUF_SLACK 8              /* bytes past the packed frames that packing may overwrite */

/* How PCM samples reach libsndfile. 16-bit: as shorts, which sf_writef_short copies
 * as they are (or byte-swapped for a big-endian container). 24-bit WAV, W64, RF64
 * (little-endian) and AIFF, CAF (big-endian: libsndfile's choice for both when no byte
 * order is asked for, as here): packed here into the file's 3-byte samples and handed
 * over with sf_write_raw. Others (24-bit FLAC, 32-bit): left-justified ints through
 * sf_writef_int, which keeps their top bits. Every path stores the same bytes. */
enum { PACK_S16, PACK_S24LE, PACK_S24BE, PACK_S32 };

struct lathe_writer {
    lathe_output_format fmt;
    char *path, *tmp, *dir;
    int fd;                       /* the temporary file, written by libsndfile through vio_* */
    SNDFILE *sf;
    int overwrite;
    mode_t mode;                  /* permissions the final file gets */
    int is_float;
    int word_bits;                /* PCM: bits dithered to */
    int32_t unit;                 /* PCM: 2^(B - word_bits), word -> B-bit sample (B = 32 for
                                   * PACK_S32: left-justified) */
    int pack;                     /* PCM: how samples reach libsndfile (PACK_*) */
    int64_t frames;               /* frames written to the file */
    int64_t max_frames;           /* container size limit, INT64_MAX if none */
    int io_errno;                 /* first errno of a failed write()/lseek(), 0 if none */
    char *wb;                     /* write-behind buffer: the next WB_SIZE bytes at the */
    size_t wb_len;                /* file's offset, so write() runs per megabyte */
    lathe_status failed;          /* LATHE_OK, or the first I/O error */
    char fail_msg[256];
    lathe_resampler *rs;
    lathe_dither dither;
    int32_t *qbuf;                /* PCM: ENC_CHUNK words per channel, planar */
    unsigned char *obuf;          /* ENC_CHUNK interleaved frames as handed to libsndfile */
    lathe_writer_monitor_fn monitor;
    void *monitor_user;
    float *mbuf;                  /* ENC_CHUNK * channels, planar, for the monitor */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* --- names ----------------------------------------------------------------- */

static const char *const container_names[LATHE_CONTAINER_COUNT] = {
    "wav", "flac", "aiff", "w64", "rf64", "caf"
};
static const char *const sample_names[LATHE_SAMPLE_TYPE_COUNT] = {
    "pcm16", "pcm24", "pcm32", "float32"
};
static const char *const dither_names[] = { "none", "tpdf", "shaped" };

const char *lathe_container_name(lathe_container c)
{
    return (unsigned)c < LATHE_CONTAINER_COUNT ? container_names[c] : "?";
}

lathe_status lathe_container_parse(const char *name, lathe_container *out)
{
    if (!name || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (int i = 0; i < LATHE_CONTAINER_COUNT; i++)
        if (!strcasecmp(name, container_names[i])) {
            *out = (lathe_container)i;
            return LATHE_OK;
        }
    if (!strcasecmp(name, "aif") || !strcasecmp(name, "aifc")) {
        *out = LATHE_CONTAINER_AIFF;
        return LATHE_OK;
    }
    if (!strcasecmp(name, "wave")) {
        *out = LATHE_CONTAINER_WAV;
        return LATHE_OK;
    }
    return LATHE_ERR_INVALID_ARGUMENT;
}

lathe_status lathe_container_from_path(const char *path, lathe_container *out)
{
    const char *slash, *dot;
    if (!path || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    slash = strrchr(path, '/');
    dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot || dot[1] == 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    return lathe_container_parse(dot + 1, out);
}

const char *lathe_sample_type_name(lathe_sample_type t)
{
    return (unsigned)t < LATHE_SAMPLE_TYPE_COUNT ? sample_names[t] : "?";
}

lathe_status lathe_sample_type_parse(const char *name, lathe_sample_type *out)
{
    static const struct { const char *name; lathe_sample_type t; } alias[] = {
        { "pcm16", LATHE_SAMPLE_PCM16 }, { "16", LATHE_SAMPLE_PCM16 },
        { "pcm24", LATHE_SAMPLE_PCM24 }, { "24", LATHE_SAMPLE_PCM24 },
        { "pcm32", LATHE_SAMPLE_PCM32 }, { "32", LATHE_SAMPLE_PCM32 },
        { "float32", LATHE_SAMPLE_FLOAT32 }, { "float", LATHE_SAMPLE_FLOAT32 },
        { "f32", LATHE_SAMPLE_FLOAT32 },
    };
    if (!name || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcasecmp(name, alias[i].name)) {
            *out = alias[i].t;
            return LATHE_OK;
        }
    return LATHE_ERR_INVALID_ARGUMENT;
}

const char *lathe_dither_name(lathe_dither_type d)
{
    return (unsigned)d <= LATHE_DITHER_SHAPED ? dither_names[d] : "?";
}

lathe_status lathe_dither_parse(const char *name, lathe_dither_type *out)
{
    if (!name || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (int i = 0; i <= LATHE_DITHER_SHAPED; i++)
        if (!strcasecmp(name, dither_names[i])) {
            *out = (lathe_dither_type)i;
            return LATHE_OK;
        }
    return LATHE_ERR_INVALID_ARGUMENT;
}

/* --- formats --------------------------------------------------------------- */

void lathe_output_format_defaults(lathe_output_format *fmt)
{
    memset(fmt, 0, sizeof *fmt);
    fmt->container = LATHE_CONTAINER_WAV;
    fmt->sample_type = LATHE_SAMPLE_PCM24;
    fmt->dither = LATHE_DITHER_TPDF;
}

lathe_status lathe_output_format_set_bits(lathe_output_format *fmt, int bits)
{
    switch (bits) {
    case 16: fmt->sample_type = LATHE_SAMPLE_PCM16; fmt->word_bits = 0; break;
    case 20: fmt->sample_type = LATHE_SAMPLE_PCM24; fmt->word_bits = 20; break;
    case 24: fmt->sample_type = LATHE_SAMPLE_PCM24; fmt->word_bits = 0; break;
    case 32: fmt->sample_type = LATHE_SAMPLE_FLOAT32; fmt->word_bits = 0; break;
    default: return LATHE_ERR_INVALID_ARGUMENT;
    }
    return LATHE_OK;
}

static int sample_bits(lathe_sample_type t)
{
    switch (t) {
    case LATHE_SAMPLE_PCM16: return 16;
    case LATHE_SAMPLE_PCM24: return 24;
    default: return 32;
    }
}

/* libsndfile's format code for FMT (0 if the pair is not one lathe writes). */
static int sf_format_of(const lathe_output_format *fmt)
{
    static const int sub[LATHE_SAMPLE_TYPE_COUNT] = {
        SF_FORMAT_PCM_16, SF_FORMAT_PCM_24, SF_FORMAT_PCM_32, SF_FORMAT_FLOAT
    };
    int major;
    switch (fmt->container) {
    case LATHE_CONTAINER_WAV: major = fmt->channels > 2 ? SF_FORMAT_WAVEX : SF_FORMAT_WAV; break;
    case LATHE_CONTAINER_FLAC: major = SF_FORMAT_FLAC; break;
    case LATHE_CONTAINER_AIFF: major = SF_FORMAT_AIFF; break;
    case LATHE_CONTAINER_W64: major = SF_FORMAT_W64; break;
    case LATHE_CONTAINER_RF64: major = SF_FORMAT_RF64; break;
    case LATHE_CONTAINER_CAF: major = SF_FORMAT_CAF; break;
    default: return 0;
    }
    if ((unsigned)fmt->sample_type >= LATHE_SAMPLE_TYPE_COUNT)
        return 0;
    return major | sub[fmt->sample_type];
}

static int pack_of(const lathe_output_format *fmt)
{
    if (fmt->sample_type == LATHE_SAMPLE_PCM16)
        return PACK_S16;
    if (fmt->sample_type == LATHE_SAMPLE_PCM24)
        switch (fmt->container) {
        case LATHE_CONTAINER_WAV:
        case LATHE_CONTAINER_W64:
        case LATHE_CONTAINER_RF64: return PACK_S24LE;
        case LATHE_CONTAINER_AIFF:
        case LATHE_CONTAINER_CAF: return PACK_S24BE;
        default: break;
        }
    return PACK_S32;
}

lathe_status lathe_output_format_check(const lathe_output_format *fmt, char *err, size_t errlen)
{
    SF_INFO sfi;

    if (!fmt) {
        set_err(err, errlen, "no output format");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if ((unsigned)fmt->container >= LATHE_CONTAINER_COUNT
        || (unsigned)fmt->sample_type >= LATHE_SAMPLE_TYPE_COUNT
        || (unsigned)fmt->dither > LATHE_DITHER_SHAPED) {
        set_err(err, errlen, "unknown container, sample type or dither");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (fmt->channels < 1 || fmt->channels > LATHE_MAX_CHANNELS) {
        set_err(err, errlen, "%d output channels; lathe writes 1 to %d", fmt->channels,
                LATHE_MAX_CHANNELS);
        return LATHE_ERR_UNSUPPORTED;
    }
    if (fmt->rate_hz < LATHE_MIN_RATE_HZ || fmt->rate_hz > LATHE_MAX_RATE_HZ) {
        set_err(err, errlen, "output sample rate %d Hz; lathe writes %d to %d Hz", fmt->rate_hz,
                LATHE_MIN_RATE_HZ, LATHE_MAX_RATE_HZ);
        return LATHE_ERR_UNSUPPORTED;
    }
    if (fmt->source_rate_hz
        && (fmt->source_rate_hz < LATHE_MIN_RATE_HZ || fmt->source_rate_hz > LATHE_MAX_RATE_HZ)) {
        set_err(err, errlen, "source sample rate %d Hz; lathe resamples from %d to %d Hz",
                fmt->source_rate_hz, LATHE_MIN_RATE_HZ, LATHE_MAX_RATE_HZ);
        return LATHE_ERR_UNSUPPORTED;
    }
    if (fmt->sample_type != LATHE_SAMPLE_FLOAT32 && fmt->word_bits
        && (fmt->word_bits < 8 || fmt->word_bits > sample_bits(fmt->sample_type))) {
        set_err(err, errlen, "a word length of %d bits does not fit %s (8 to %d)", fmt->word_bits,
                lathe_sample_type_name(fmt->sample_type), sample_bits(fmt->sample_type));
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    memset(&sfi, 0, sizeof sfi);
    sfi.samplerate = fmt->rate_hz;
    sfi.channels = fmt->channels;
    sfi.format = sf_format_of(fmt);
    if (!sfi.format || !sf_format_check(&sfi)) {
        set_err(err, errlen, "%s cannot store %s samples", lathe_container_name(fmt->container),
                lathe_sample_type_name(fmt->sample_type));
        return LATHE_ERR_UNSUPPORTED;
    }
    return LATHE_OK;
}

/* --- paths ----------------------------------------------------------------- */

int lathe_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The directory part of PATH ("." if none), malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    char *d;
    if (!slash)
        return strdup(".");
    n = slash == path ? 1 : (size_t)(slash - path);
    d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

/* Checks the destination itself (not the inputs). *EXISTS_MODE receives the
 * permissions of an existing file to keep, or 0. */
static lathe_status check_dest(const char *path, int overwrite, mode_t *exists_mode, char *err,
                               size_t errlen)
{
    struct stat st;
    char *dir;

    *exists_mode = 0;
    if (!path || !*path) {
        set_err(err, errlen, "no output file given");
        return LATHE_ERR_WRITE;
    }
    if (path[strlen(path) - 1] == '/') {
        set_err(err, errlen, "is a directory, not a file name");
        return LATHE_ERR_WRITE;
    }
    if (lstat(path, &st) == 0) {
        struct stat target;
        if (S_ISDIR(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &target) == 0
                                    && S_ISDIR(target.st_mode))) {
            set_err(err, errlen, "is a directory");
            return LATHE_ERR_WRITE;
        }
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
            set_err(err, errlen, "exists and is not a regular file");
            return LATHE_ERR_WRITE;
        }
        if (!overwrite) {
            set_err(err, errlen, "exists (use --force)");
            return LATHE_ERR_WRITE;
        }
        *exists_mode = S_ISREG(st.st_mode) ? (st.st_mode & 07777) : 0;
    } else if (errno != ENOENT) {
        set_err(err, errlen, "%s", strerror(errno));
        return LATHE_ERR_WRITE;
    }
    dir = dir_of(path);
    if (!dir) {
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "directory %s does not exist", dir);
        free(dir);
        return LATHE_ERR_WRITE;
    }
    free(dir);
    return LATHE_OK;
}

lathe_status lathe_output_check(const char *path, const char *const *inputs, size_t n_inputs,
                                int overwrite, char *err, size_t errlen)
{
    mode_t mode;
    for (size_t i = 0; path && inputs && i < n_inputs; i++)
        if (inputs[i] && lathe_same_file(path, inputs[i])) {
            set_err(err, errlen, "is also an input (%s); lathe never writes over its inputs",
                    inputs[i]);
            return LATHE_ERR_WRITE;
        }
    return check_dest(path, overwrite, &mode, err, errlen);
}

/* Permissions a new file gets: 0666 less the process's umask, read from
 * /proc/self/status (umask() itself would change it, racing other threads). */
static mode_t new_file_mode(void)
{
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    if (f) {
        while (fgets(line, sizeof line, f)) {
            unsigned m;
            if (sscanf(line, "Umask: %o", &m) == 1) {
                mask = (mode_t)(m & 0777);
                break;
            }
        }
        fclose(f);
    }
    return 0666 & ~mask;
}

/* --- the writer ------------------------------------------------------------ */

static void fail(lathe_writer *w, lathe_status st, const char *what, const char *why)
{
    if (w->failed != LATHE_OK)
        return;
    w->failed = st;
    snprintf(w->fail_msg, sizeof w->fail_msg, "%s: %s", what, why);
}

static void free_writer(lathe_writer *w)
{
    if (w->sf)
        sf_close(w->sf);
    if (w->fd >= 0)
        close(w->fd);
    lathe_resampler_destroy(w->rs);
    free(w->qbuf);
    free(w->obuf);
    free(w->mbuf);
    free(w->wb);
    free(w->path);
    free(w->tmp);
    free(w->dir);
    free(w);
}

void lathe_writer_abort(lathe_writer *w)
{
    if (!w)
        return;
    if (w->sf) {
        sf_close(w->sf);
        w->sf = NULL;
    }
    if (w->tmp)
        unlink(w->tmp);
    free_writer(w);
}

/* libsndfile writes through these, so every failed write() is seen here, including
 * those inside sf_close (the last FLAC frame, header updates) that libsndfile itself
 * does not report. */
static sf_count_t raw_write(lathe_writer *w, const void *ptr, sf_count_t count)
{
    sf_count_t done = 0;
    while (done < count) {
        ssize_t r = write(w->fd, (const char *)ptr + done, (size_t)(count - done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!w->io_errno)
                w->io_errno = r < 0 ? errno : EIO;
            break;
        }
        done += r;
    }
    return done;
}

/* Writes out the write-behind buffer (before any seek, tell, read or size query, and
 * before the file is synced). */
static void wb_flush(lathe_writer *w)
{
    if (w->wb_len)
        raw_write(w, w->wb, (sf_count_t)w->wb_len);
    w->wb_len = 0;
}

static sf_count_t vio_filelen(void *user)
{
    struct stat st;
    wb_flush(user);
    return fstat(((lathe_writer *)user)->fd, &st) == 0 ? (sf_count_t)st.st_size : -1;
}

static sf_count_t vio_seek(sf_count_t offset, int whence, void *user)
{
    lathe_writer *w = user;
    wb_flush(w);
    off_t r = lseek(w->fd, (off_t)offset, whence);
    if (r < 0 && !w->io_errno)
        w->io_errno = errno;
    return (sf_count_t)r;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    lathe_writer *w = user;
    sf_count_t done = 0;
    wb_flush(w);
    while (done < count) {
        ssize_t r = read(w->fd, (char *)ptr + done, (size_t)(count - done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += r;
    }
    return done;
}

/* A failed write() is reported through io_errno, which every caller checks (a write
 * that was buffered fails at the next flush, still before the file is committed). */
static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    lathe_writer *w = user;
    if (count <= 0)
        return 0;
    if (w->wb_len + (size_t)count > WB_SIZE)
        wb_flush(w);
    if ((size_t)count >= WB_SIZE)
        return raw_write(w, ptr, count);
    memcpy(w->wb + w->wb_len, ptr, (size_t)count);
    w->wb_len += (size_t)count;
    return count;
}

static sf_count_t vio_tell(void *user)
{
    wb_flush(user);
    return (sf_count_t)lseek(((lathe_writer *)user)->fd, 0, SEEK_CUR);
}

lathe_status lathe_writer_open(const char *path, const lathe_output_format *fmt, int overwrite,
                               lathe_writer **out, char *err, size_t errlen)
{
    lathe_writer *w;
    lathe_status st;
    mode_t keep_mode;
    SF_INFO sfi;
    const char *base;
    size_t nch;

    if (out)
        *out = NULL;
    if (!out || !path) {
        set_err(err, errlen, "no output file given");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    st = lathe_output_format_check(fmt, err, errlen);
    if (st != LATHE_OK)
        return st;
    st = check_dest(path, overwrite, &keep_mode, err, errlen);
    if (st != LATHE_OK)
        return st;

    w = calloc(1, sizeof *w);
    if (!w) {
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    w->fd = -1;
    w->fmt = *fmt;
    w->overwrite = overwrite;
    w->mode = keep_mode ? keep_mode : new_file_mode();
    w->is_float = fmt->sample_type == LATHE_SAMPLE_FLOAT32;
    nch = (size_t)fmt->channels;
    w->path = strdup(path);
    w->dir = dir_of(path);
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    w->tmp = w->dir ? malloc(strlen(w->dir) + TEMP_BASE_MAX + 32) : NULL;
    w->qbuf = w->is_float ? NULL : malloc(sizeof(int32_t) * ENC_CHUNK * nch);
    w->obuf = malloc(4 * ENC_CHUNK * nch + OBUF_SLACK);
    w->wb = malloc(WB_SIZE);
    if (!w->path || !w->tmp || (!w->is_float && !w->qbuf) || !w->obuf || !w->wb) {
        free_writer(w);
        set_err(err, errlen, "out of memory");
        return LATHE_ERR_NO_MEMORY;
    }
    /* ".NAME.lathe-XXXXXX" in the same directory: same file system, so rename() is
     * atomic; hidden, and recognisable if a crash leaves it behind. */
    sprintf(w->tmp, "%s/.%.*s.lathe-XXXXXX", w->dir, TEMP_BASE_MAX, base);
    w->fd = mkstemp(w->tmp);
    if (w->fd < 0) {
        set_err(err, errlen, "cannot create a file in %s: %s", w->dir, strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        free_writer(w);
        return LATHE_ERR_WRITE;
    }

    memset(&sfi, 0, sizeof sfi);
    sfi.samplerate = fmt->rate_hz;
    sfi.channels = fmt->channels;
    sfi.format = sf_format_of(fmt);
    {
        SF_VIRTUAL_IO vio = { vio_filelen, vio_seek, vio_read, vio_write, vio_tell };
        w->sf = sf_open_virtual(&vio, SFM_WRITE, &sfi, w);
    }
    if (!w->sf) {
        set_err(err, errlen, "libsndfile cannot write it: %s", sf_strerror(NULL));
        lathe_writer_abort(w);
        return LATHE_ERR_WRITE;
    }
    /* No PEAK chunk in float WAV/AIFF: it carries the time of writing, so reruns would
     * differ in those bytes and nothing else. */
    sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    if (fmt->use_roles || fmt->channels > 2) {
        /* Channel map (WAV extensible, CAF, RF64, W64); other containers ignore it. */
        static const int sf_role[] = {
            [LATHE_CHANNEL_UNKNOWN] = SF_CHANNEL_MAP_INVALID,
            [LATHE_CHANNEL_MONO] = SF_CHANNEL_MAP_MONO,
            [LATHE_CHANNEL_LEFT] = SF_CHANNEL_MAP_LEFT,
            [LATHE_CHANNEL_RIGHT] = SF_CHANNEL_MAP_RIGHT,
            [LATHE_CHANNEL_CENTER] = SF_CHANNEL_MAP_CENTER,
            [LATHE_CHANNEL_LFE] = SF_CHANNEL_MAP_LFE,
            [LATHE_CHANNEL_LEFT_SURROUND] = SF_CHANNEL_MAP_SIDE_LEFT,
            [LATHE_CHANNEL_RIGHT_SURROUND] = SF_CHANNEL_MAP_SIDE_RIGHT,
            [LATHE_CHANNEL_LEFT_BACK] = SF_CHANNEL_MAP_REAR_LEFT,
            [LATHE_CHANNEL_RIGHT_BACK] = SF_CHANNEL_MAP_REAR_RIGHT,
        };
        lathe_channel_role roles[LATHE_MAX_CHANNELS];
        int map[LATHE_MAX_CHANNELS], known = 1;
        if (fmt->use_roles)
            memcpy(roles, fmt->roles, sizeof roles);
        else
            lathe_channel_roles_default(fmt->channels, roles);
        for (int c = 0; c < fmt->channels; c++) {
            map[c] = (unsigned)roles[c] < LATHE_CHANNEL_ROLE_COUNT ? sf_role[roles[c]]
                                                                  : SF_CHANNEL_MAP_INVALID;
            known &= map[c] != SF_CHANNEL_MAP_INVALID;
        }
        if (known)
            sf_command(w->sf, SFC_SET_CHANNEL_MAP_INFO, map, (int)(sizeof(int) * nch));
    }

    w->max_frames = INT64_MAX;
    if (fmt->container == LATHE_CONTAINER_WAV || fmt->container == LATHE_CONTAINER_AIFF)
        w->max_frames = (int64_t)(SIZE32_DATA_MAX / (nch * (size_t)sample_bits(fmt->sample_type) / 8));

    if (!w->is_float) {
        w->word_bits = fmt->word_bits ? fmt->word_bits : sample_bits(fmt->sample_type);
        w->pack = pack_of(fmt);
        w->unit = (int32_t)1 << ((w->pack == PACK_S32 ? 32 : sample_bits(fmt->sample_type))
                                 - w->word_bits);
        st = lathe_dither_init(&w->dither, fmt->dither, w->word_bits, fmt->rate_hz, fmt->channels,
                               fmt->seed);
        if (st != LATHE_OK) {
            set_err(err, errlen, "bad dither settings");
            lathe_writer_abort(w);
            return st;
        }
    }
    if (fmt->source_rate_hz && fmt->source_rate_hz != fmt->rate_hz) {
        st = lathe_resampler_create(fmt->source_rate_hz, fmt->rate_hz, fmt->channels, &w->rs, err,
                                    errlen);
        if (st != LATHE_OK) {
            lathe_writer_abort(w);
            return st;
        }
    }
    *out = w;
    return LATHE_OK;
}

/* --- packing: N frames of planar words Q (channel c at Q + c ENC_CHUNK), each times
 * UNIT (a power of two: the word's place in the sample), interleaved ------------- */

/* The monitor's view of N words of one channel: q / 2^(W-1) (INV = 2^-(W-1)). */
LATHE_HOT static void words_to_float(const int32_t *q, float *m, size_t n, float inv)
{
    for (size_t i = 0; i < n; i++)
        m[i] = (float)q[i] * inv;
}

LATHE_HOT static void pack_s16(const int32_t *q, int nch, size_t n, int32_t unit, short *out)
{
    if (nch == 2 && unit == 1) {
        const int32_t *a = q, *b = q + ENC_CHUNK;
        for (size_t i = 0; i < n; i++) {
            out[2 * i] = (short)a[i];
            out[2 * i + 1] = (short)b[i];
        }
        return;
    }
    for (int c = 0; c < nch; c++) {
        const int32_t *a = q + (size_t)c * ENC_CHUNK;
        for (size_t i = 0; i < n; i++)
            out[i * (size_t)nch + (size_t)c] = (short)(a[i] * unit);
    }
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define PACK_SHUFFLE 1
typedef int32_t v4i __attribute__((vector_size(16)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint8_t v32b __attribute__((vector_size(32)));
#endif
#endif
#ifndef PACK_SHUFFLE
#define PACK_SHUFFLE 0
#endif

/* 3-byte samples, least significant byte first unless BIG. On a little-endian host
 * each sample is stored with one 4-byte (stereo: one 8-byte frame) store whose extra
 * bytes the next store overwrites (the last ones land in OBUF_SLACK). */
LATHE_HOT static void pack_s24(const int32_t *q, int nch, size_t n, int32_t unit, int big,
                               unsigned char *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (nch == 2 && !big) {
        const int32_t *a = q, *b = q + ENC_CHUNK;
        size_t i = 0;
#if PACK_SHUFFLE
        /* four frames at a time: interleave, then drop each sample's top byte (one
         * 32-byte store, 24 bytes of frames and 8 the next store overwrites) */
        const v8i uv = { unit, unit, unit, unit, unit, unit, unit, unit };
        for (; i + 4 <= n; i += 4) {
            v4i va, vb;
            memcpy(&va, a + i, sizeof va);
            memcpy(&vb, b + i, sizeof vb);
            const v8i v = __builtin_shufflevector(va, vb, 0, 4, 1, 5, 2, 6, 3, 7) * uv;
            const v32b x = (v32b)v;
            const v32b y = __builtin_shufflevector(x, x, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16,
                                                   17, 18, 20, 21, 22, 24, 25, 26, 28, 29, 30, 3,
                                                   7, 11, 15, 19, 23, 27, 31);
            memcpy(out + 6 * i, &y, sizeof y);
        }
#endif
        for (; i < n; i++) {
            const uint64_t v = ((uint32_t)(a[i] * unit) & 0xFFFFFFu)
                               | (uint64_t)(uint32_t)(b[i] * unit) << 24;
            memcpy(out + 6 * i, &v, sizeof v);
        }
        return;
    }
    /* frame after frame, so that each store's extra byte is overwritten by the next */
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < nch; c++) {
            const uint32_t x = (uint32_t)(q[(size_t)c * ENC_CHUNK + i] * unit);
            const uint32_t v = big ? __builtin_bswap32(x << 8) : x;
            memcpy(out + 3 * (i * (size_t)nch + (size_t)c), &v, sizeof v);
        }
#else
    for (int c = 0; c < nch; c++) {
        const int32_t *a = q + (size_t)c * ENC_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const uint32_t v = (uint32_t)(a[i] * unit);
            unsigned char *p = out + 3 * (i * (size_t)nch + (size_t)c);
            p[big ? 2 : 0] = (unsigned char)v;
            p[1] = (unsigned char)(v >> 8);
            p[big ? 0 : 2] = (unsigned char)(v >> 16);
        }
    }
#endif
}

LATHE_HOT static void pack_s32(const int32_t *q, int nch, size_t n, int32_t unit, int32_t *out)
{
    for (int c = 0; c < nch; c++) {
        const int32_t *a = q + (size_t)c * ENC_CHUNK;
        for (size_t i = 0; i < n; i++)
            out[i * (size_t)nch + (size_t)c] = a[i] * unit;
    }
}

/* Dithers/quantises and writes FRAMES frames at the file's rate. */
static lathe_status encode(void *user, const float *const *ch, size_t frames)
{
    lathe_writer *w = user;
    const int nch = w->fmt.channels;

    if (w->failed != LATHE_OK)
        return w->failed;
    if ((int64_t)frames > w->max_frames - w->frames) {
        fail(w, LATHE_ERR_WRITE, lathe_container_name(w->fmt.container),
             "the file would pass the format's 4 GiB limit (use rf64 or w64)");
        return w->failed;
    }
    for (size_t pos = 0; pos < frames; pos += ENC_CHUNK) {
        size_t n = frames - pos < ENC_CHUNK ? frames - pos : ENC_CHUNK;
        sf_count_t done;
        if (w->is_float) {
            float *fbuf = (float *)(void *)w->obuf;
            for (int c = 0; c < nch; c++) {
                const float *src = ch[c] + pos;
                for (size_t i = 0; i < n; i++)
                    fbuf[i * (size_t)nch + (size_t)c] = src[i];
            }
            done = sf_writef_float(w->sf, fbuf, (sf_count_t)n);
            if (w->monitor && done == (sf_count_t)n) {
                const float *blk[LATHE_MAX_CHANNELS];
                for (int c = 0; c < nch; c++)
                    blk[c] = ch[c] + pos;
                w->monitor(w->monitor_user, blk, n);
            }
        } else {
            /* W-bit words, planar, then placed in the B-bit samples (times 2^(B-W)) */
            for (int c = 0; c < nch; c++)
                lathe_dither_run(&w->dither, c, ch[c] + pos, w->qbuf + (size_t)c * ENC_CHUNK, 1,
                                 n);
            if (w->monitor) {
                /* word q is stored as q 2^(B-W) in a B-bit container and reads back
                 * as that over 2^(B-1), i.e. q / 2^(W-1): a power-of-two scaling, exact
                 * in float up to W = 24 */
                const float inv = (float)ldexp(1.0, -(w->word_bits - 1));
                for (int c = 0; c < nch; c++)
                    words_to_float(w->qbuf + (size_t)c * ENC_CHUNK, w->mbuf + (size_t)c * ENC_CHUNK,
                                   n, inv);
            }
            switch (w->pack) {
            case PACK_S16:
                pack_s16(w->qbuf, nch, n, w->unit, (short *)(void *)w->obuf);
                done = sf_writef_short(w->sf, (const short *)(void *)w->obuf, (sf_count_t)n);
                break;
            case PACK_S24LE:
            case PACK_S24BE:
                pack_s24(w->qbuf, nch, n, w->unit, w->pack == PACK_S24BE, w->obuf);
                done = sf_write_raw(w->sf, w->obuf, (sf_count_t)(3 * n * (size_t)nch))
                       / (3 * nch);
                break;
            default:
                pack_s32(w->qbuf, nch, n, w->unit, (int32_t *)(void *)w->obuf);
                done = sf_writef_int(w->sf, (const int *)(void *)w->obuf, (sf_count_t)n);
                break;
            }
            if (w->monitor && done == (sf_count_t)n) {
                const float *blk[LATHE_MAX_CHANNELS];
                for (int c = 0; c < nch; c++)
                    blk[c] = w->mbuf + (size_t)c * ENC_CHUNK;
                w->monitor(w->monitor_user, blk, n);
            }
        }
        if (done != (sf_count_t)n || w->io_errno || sf_error(w->sf) != SF_ERR_NO_ERROR) {
            const char *why = w->io_errno ? strerror(w->io_errno) : sf_strerror(w->sf);
            fail(w, LATHE_ERR_WRITE, "write failed", why && *why ? why : "short write");
            return w->failed;
        }
        w->frames += (int64_t)n;
    }
    return LATHE_OK;
}

lathe_status lathe_writer_set_monitor(lathe_writer *w, lathe_writer_monitor_fn fn, void *user)
{
    if (!w)
        return LATHE_ERR_INVALID_ARGUMENT;
    if (fn && !w->is_float && !w->mbuf
        && !(w->mbuf = malloc(sizeof(float) * ENC_CHUNK * (size_t)w->fmt.channels)))
        return LATHE_ERR_NO_MEMORY;
    w->monitor = fn;
    w->monitor_user = user;
    return LATHE_OK;
}

/* Whether the N floats at P are all finite: the largest magnitude's bit pattern is at
 * most FLT_MAX's (the patterns of non-negative floats order as their values; Inf and
 * NaN lie above every finite one). */
LATHE_HOT static int all_finite(const float *p, size_t n)
{
    int32_t big = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, p + i, sizeof u);
        u &= 0x7FFFFFFF;
        big = u > big ? u : big;
    }
    return big <= 0x7F7FFFFF;
}

lathe_status lathe_writer_write(lathe_writer *w, const float *const *ch, size_t frames)
{
    if (!w || (!ch && frames))
        return LATHE_ERR_INVALID_ARGUMENT;
    if (w->failed != LATHE_OK)
        return w->failed;
    for (int c = 0; c < w->fmt.channels; c++)
        if (!all_finite(ch[c], frames))
            return LATHE_ERR_NON_FINITE;   /* nothing of this block was written */
    if (w->rs) {
        lathe_status st = lathe_resampler_push(w->rs, ch, frames, encode, w);
        if (st != LATHE_OK)
            fail(w, st, "resampling failed", "libsoxr error");
        return st;
    }
    return encode(w, ch, frames);
}

/* Reads the temporary file's header back: libsndfile must see what was written. */
static int verify_header(lathe_writer *w)
{
    SF_INFO sfi;
    SNDFILE *sf;
    int ok;
    memset(&sfi, 0, sizeof sfi);
    sf = sf_open(w->tmp, SFM_READ, &sfi);
    if (!sf)
        return 0;
    ok = sfi.frames == w->frames && sfi.channels == w->fmt.channels
         && sfi.samplerate == w->fmt.rate_hz;
    sf_close(sf);
    return ok;
}

/* Moves the finished temporary file onto the destination. */
static lathe_status install(lathe_writer *w, char *err, size_t errlen)
{
    if (w->overwrite) {
        if (rename(w->tmp, w->path) != 0) {
            set_err(err, errlen, "cannot rename the finished file into place: %s", strerror(errno));
            return LATHE_ERR_WRITE;
        }
        return LATHE_OK;
    }
    /* link() fails if the destination exists, so a file that appeared since open is
     * never replaced; file systems without hard links fall back to rename. */
    if (link(w->tmp, w->path) == 0) {
        unlink(w->tmp);
        return LATHE_OK;
    }
    if (errno == EEXIST) {
        set_err(err, errlen, "exists (use --force)");
        return LATHE_ERR_WRITE;
    }
    if (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK || errno == ENOSYS) {
        struct stat st;
        if (lstat(w->path, &st) == 0) {
            set_err(err, errlen, "exists (use --force)");
            return LATHE_ERR_WRITE;
        }
        if (rename(w->tmp, w->path) == 0)
            return LATHE_OK;
    }
    set_err(err, errlen, "cannot move the finished file into place: %s", strerror(errno));
    return LATHE_ERR_WRITE;
}

lathe_status lathe_writer_commit(lathe_writer *w, char *err, size_t errlen)
{
    lathe_status st;
    int rc;

    if (!w) {
        set_err(err, errlen, "no writer");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (w->rs && w->failed == LATHE_OK) {
        st = lathe_resampler_finish(w->rs, encode, w);
        if (st != LATHE_OK)
            fail(w, st, "resampling failed", "libsoxr error");
    }
    if (w->failed != LATHE_OK) {
        st = w->failed;
        set_err(err, errlen, "%s", w->fail_msg);
        lathe_writer_abort(w);
        return st;
    }
    rc = sf_close(w->sf);
    w->sf = NULL;
    wb_flush(w);
    if (rc != 0 || w->io_errno) {
        set_err(err, errlen, "write failed: %s",
                w->io_errno ? strerror(w->io_errno) : sf_error_number(rc));
        lathe_writer_abort(w);
        return LATHE_ERR_WRITE;
    }
    if (fchmod(w->fd, w->mode) != 0 || fsync(w->fd) != 0) {
        set_err(err, errlen, "cannot sync the file to disk: %s", strerror(errno));
        lathe_writer_abort(w);
        return LATHE_ERR_WRITE;
    }
    rc = close(w->fd);
    w->fd = -1;
    if (rc != 0) {
        set_err(err, errlen, "closing the file failed: %s", strerror(errno));
        lathe_writer_abort(w);
        return LATHE_ERR_WRITE;
    }
    if (!verify_header(w)) {
        set_err(err, errlen, "the written file does not read back as written (disk full?)");
        lathe_writer_abort(w);
        return LATHE_ERR_WRITE;
    }
    st = install(w, err, errlen);
    if (st != LATHE_OK) {
        lathe_writer_abort(w);
        return st;
    }
    /* Make the rename itself durable; some file systems refuse fsync on a directory. */
    {
        int dfd = open(w->dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(w->tmp);
    w->tmp = NULL;
    free_writer(w);
    return LATHE_OK;
}

void lathe_writer_get_stats(const lathe_writer *w, lathe_writer_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    out->frames = w->frames;
    if (!w->is_float) {
        out->clipped = w->dither.clipped;
        out->word_bits = w->word_bits;
        out->dither = w->dither.type;
        out->shaper_taps = w->dither.taps;
    }
}

const char *lathe_writer_temp_path(const lathe_writer *w)
{
    return w ? w->tmp : NULL;
}

const char *lathe_writer_error(const lathe_writer *w)
{
    return w ? w->fail_msg : "";
}
