/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe status codes: every fallible library call returns one of these.
 *
 * API conventions for all of include/lathe/:
 *  - every name starts with lathe_ / LATHE_; handles are opaque;
 *  - functions return lathe_status (0 = LATHE_OK, negative = error);
 *  - objects follow config-defaults -> create -> process -> destroy; destroy is NULL-safe;
 *  - units are in names or comments: dB, dBFS, dBTP, LUFS, LU, Hz, ms, frames
 *    (a frame is one sample of every channel);
 *  - thread classes: [any] any thread, [control] not concurrently with the same
 *    object, [audio] real-time safe (no allocation, no locks, no I/O);
 *  - the library never prints and never exits; where a user needs details
 *    (file, reason) an error buffer receives one line of text. */
#ifndef LATHE_STATUS_H
#define LATHE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LATHE_BUILDING) && defined(__GNUC__)
#define LATHE_API __attribute__((visibility("default")))
#else
#define LATHE_API
#endif

typedef enum lathe_status {
    LATHE_OK = 0,
    LATHE_ERR_INVALID_ARGUMENT = -1, /* a parameter is out of range or NULL */
    LATHE_ERR_NO_MEMORY = -2,        /* an allocation failed */
    LATHE_ERR_OPEN = -3,             /* the file is missing or cannot be opened */
    LATHE_ERR_FORMAT = -4,           /* not audio, or a format/codec this build cannot decode */
    LATHE_ERR_TRUNCATED = -5,        /* the file ends before its header says it should */
    LATHE_ERR_EMPTY = -6,            /* the file holds no audio frames */
    LATHE_ERR_NON_FINITE = -7,       /* the audio holds NaN or infinite samples */
    LATHE_ERR_UNSUPPORTED = -8,      /* channel count or sample rate outside what lathe handles */
    LATHE_ERR_READ = -9,             /* an I/O or decode error while reading */
    LATHE_ERR_WRITE = -10,           /* an output file could not be written */
    LATHE_ERR_INTERNAL = -11,        /* a bug: please report it */
    LATHE_ERR_TARGET = -12           /* a delivery target cannot be met (strict mode) */
} lathe_status;

/** [any] A short English description of a status, never NULL. */
LATHE_API const char *lathe_status_str(lathe_status status);

/** [any] The library's version string, e.g. "0.1.0". */
LATHE_API const char *lathe_version(void);

#ifdef __cplusplus
}
#endif
#endif
