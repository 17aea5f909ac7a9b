/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading audio files in blocks (libsndfile), with channel roles. */
#ifndef LATHE_IO_H
#define LATHE_IO_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Limits of what lathe reads. */
#define LATHE_MAX_CHANNELS 8
#define LATHE_MIN_RATE_HZ 8000
#define LATHE_MAX_RATE_HZ 384000

/** A channel's role, which sets its BS.1770 loudness weight. */
typedef enum lathe_channel_role {
    LATHE_CHANNEL_UNKNOWN = 0,  /* weight 1.0 */
    LATHE_CHANNEL_MONO,         /* weight 1.0 */
    LATHE_CHANNEL_LEFT,         /* weight 1.0 */
    LATHE_CHANNEL_RIGHT,        /* weight 1.0 */
    LATHE_CHANNEL_CENTER,       /* weight 1.0 */
    LATHE_CHANNEL_LFE,          /* weight 0 (excluded from loudness) */
    LATHE_CHANNEL_LEFT_SURROUND,  /* weight 1.41 (+1.5 dB) */
    LATHE_CHANNEL_RIGHT_SURROUND, /* weight 1.41 (+1.5 dB) */
    LATHE_CHANNEL_LEFT_BACK,      /* weight 1.0 (135..150 degrees: BS.1770-4 gives +1.5 dB
                                     only to 60..120 degrees) */
    LATHE_CHANNEL_RIGHT_BACK,     /* weight 1.0 */
    LATHE_CHANNEL_ROLE_COUNT
} lathe_channel_role;

/** [any] Short name of a role ("L", "R", "C", "LFE", "Ls", "Rs", "Lb", "Rb", "M", "?"). */
LATHE_API const char *lathe_channel_role_name(lathe_channel_role role);
/** [any] Parses a short role name (case-insensitive); LATHE_ERR_INVALID_ARGUMENT if unknown. */
LATHE_API lathe_status lathe_channel_role_parse(const char *name, lathe_channel_role *out);
/** [any] BS.1770-4 weight G of a role: 1.41 for side surrounds (Ls, Rs), 0 for LFE,
 *  1.0 for everything else. */
LATHE_API double lathe_channel_role_weight(lathe_channel_role role);
/** [any] Default roles for a channel count, ITU order (1: M; 2: L R; 3: L R C;
 *  4: L R Ls Rs; 5: L R C Ls Rs; 6: L R C LFE Ls Rs; 7: L R C LFE Ls Rs Cb->?;
 *  8: L R C LFE Ls Rs Lb Rb). */
LATHE_API void lathe_channel_roles_default(int channels, lathe_channel_role *roles);

typedef struct lathe_audio_info {
    int64_t frames;          /* frames the file declares (-1 if unknown, e.g. some streams) */
    int rate_hz;             /* sample rate */
    int channels;            /* 1..LATHE_MAX_CHANNELS */
    int bits;                /* bits per sample of the stored format, 0 for lossy codecs */
    int is_float;            /* 1 if stored as floating point */
    double full_scale;       /* largest magnitude the format stores (e.g. 32767/32768 for 16-bit) */
    char container[32];      /* "WAV", "FLAC", "AIFF", ... */
    char encoding[32];       /* "PCM 16-bit", "float 32-bit", "Vorbis", ... */
    lathe_channel_role roles[LATHE_MAX_CHANNELS]; /* from the file's channel map or defaults */
    int roles_from_file;     /* 1 if the roles came from the file's channel map */
} lathe_audio_info;

typedef struct lathe_reader lathe_reader;

/** [control] Opens PATH for reading (never for writing). On failure returns an
 *  error status, sets *out to NULL and writes one line naming the reason into
 *  ERR (may be NULL) of ERRLEN bytes. */
LATHE_API lathe_status lathe_reader_open(const char *path, lathe_reader **out,
                                         char *err, size_t errlen);
/** [control] Like lathe_reader_open, over an audio file's SIZE bytes at DATA, which
 *  must stay valid and unchanged until lathe_reader_close (they are not copied). */
LATHE_API lathe_status lathe_reader_open_memory(const void *data, size_t size,
                                                lathe_reader **out, char *err, size_t errlen);
/** [any] The stream's format; valid until lathe_reader_close. */
LATHE_API const lathe_audio_info *lathe_reader_info(const lathe_reader *reader);
/** [control] Reads up to MAX_FRAMES frames as planar float into CH[0..channels-1]
 *  (each with room for MAX_FRAMES). *GOT receives the frames read; 0 at end of
 *  stream. Returns LATHE_ERR_READ on a decode error, LATHE_ERR_TRUNCATED when the
 *  stream ends before its declared length (the frames before are delivered first). */
LATHE_API lathe_status lathe_reader_read(lathe_reader *reader, float *const *ch,
                                         size_t max_frames, size_t *got);
/** [control] Rewinds to the first frame. */
LATHE_API lathe_status lathe_reader_rewind(lathe_reader *reader);
/** [control] Closes and frees; NULL-safe. */
LATHE_API void lathe_reader_close(lathe_reader *reader);

#ifdef __cplusplus
}
#endif
#endif
