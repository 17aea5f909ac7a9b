/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing audio files: sample-rate conversion, dither, quantisation and an atomic
 * temporary-file-then-rename commit (docs/output.md).
 *
 * Lifecycle: lathe_writer_open -> lathe_writer_write (planar float blocks) ->
 * lathe_writer_commit (or lathe_writer_abort); both of those free the writer.
 * Until commit succeeds nothing exists under the destination's name: the audio goes
 * to a hidden temporary file ".NAME.lathe-XXXXXX" in the destination's directory. */
#ifndef LATHE_OUTPUT_H
#define LATHE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Dither applied when the output word length is shorter than float. */
typedef enum lathe_dither_type {
    LATHE_DITHER_NONE = 0,   /* round to nearest; no dither (truncation distortion) */
    LATHE_DITHER_TPDF,       /* triangular PDF, +-1 LSB, white */
    LATHE_DITHER_SHAPED      /* TPDF inside an F-weighted error-feedback loop (>= 44.1 kHz) */
} lathe_dither_type;

/** File containers (all written by libsndfile). */
typedef enum lathe_container {
    LATHE_CONTAINER_WAV = 0, /* RIFF WAVE (WAVE_FORMAT_EXTENSIBLE above 2 channels); < 4 GiB */
    LATHE_CONTAINER_FLAC,    /* FLAC: pcm16 and pcm24 only */
    LATHE_CONTAINER_AIFF,    /* AIFF (AIFF-C for float); < 4 GiB */
    LATHE_CONTAINER_W64,     /* Sony Wave64: no size limit */
    LATHE_CONTAINER_RF64,    /* EBU RF64 (Tech 3306): no size limit */
    LATHE_CONTAINER_CAF,     /* Apple Core Audio Format */
    LATHE_CONTAINER_COUNT
} lathe_container;

/** Stored sample encodings. */
typedef enum lathe_sample_type {
    LATHE_SAMPLE_PCM16 = 0,
    LATHE_SAMPLE_PCM24,
    LATHE_SAMPLE_PCM32,
    LATHE_SAMPLE_FLOAT32,    /* IEEE float, written as given: no dither, no clipping */
    LATHE_SAMPLE_TYPE_COUNT
} lathe_sample_type;

typedef struct lathe_output_format {
    lathe_container container;
    lathe_sample_type sample_type;
    int rate_hz;             /* the file's sample rate */
    int channels;            /* 1..LATHE_MAX_CHANNELS */
    int source_rate_hz;      /* rate of the frames given to lathe_writer_write; 0: rate_hz.
                                When it differs the writer resamples (libsoxr, very high
                                quality, linear phase), keeping time alignment and giving
                                exactly round(frames * rate_hz / source_rate_hz) frames. */
    lathe_dither_type dither;/* PCM only (ignored for float) */
    int word_bits;           /* PCM word length the dither targets: 0 = the sample type's
                                (16, 24, 32); e.g. 20 in a pcm24 container */
    uint64_t seed;           /* dither generator seed: same input + seed = same bits */
    int use_roles;           /* 1: write ROLES as the file's channel map where the
                                container has one (WAV extensible, CAF, RF64, W64) */
    lathe_channel_role roles[LATHE_MAX_CHANNELS];
} lathe_output_format;

/** [any] WAV, pcm24, TPDF, seed 0, rates and channels 0 (must be set). */
LATHE_API void lathe_output_format_defaults(lathe_output_format *fmt);
/** [any] Sets sample_type and word_bits from a bit depth as lathe_target uses it:
 *  16 -> pcm16, 20 -> pcm24 holding 20-bit words, 24 -> pcm24, 32 -> float32.
 *  LATHE_ERR_INVALID_ARGUMENT for anything else. */
LATHE_API lathe_status lathe_output_format_set_bits(lathe_output_format *fmt, int bits);
/** [any] Checks FMT (ranges, and whether the container stores the sample type, e.g.
 *  FLAC has no float). LATHE_ERR_UNSUPPORTED / LATHE_ERR_INVALID_ARGUMENT with one
 *  line in ERR. */
LATHE_API lathe_status lathe_output_format_check(const lathe_output_format *fmt, char *err,
                                                 size_t errlen);

/** [any] Names: "wav", "flac", "aiff", "w64", "rf64", "caf". */
LATHE_API const char *lathe_container_name(lathe_container c);
/** [any] Parses a container name (case-insensitive; "aif" and "wave" accepted). */
LATHE_API lathe_status lathe_container_parse(const char *name, lathe_container *out);
/** [any] The container for PATH's extension (.wav .flac .aif .aiff .w64 .rf64 .caf);
 *  LATHE_ERR_INVALID_ARGUMENT if there is none or it is unknown. */
LATHE_API lathe_status lathe_container_from_path(const char *path, lathe_container *out);
/** [any] Names: "pcm16", "pcm24", "pcm32", "float32". */
LATHE_API const char *lathe_sample_type_name(lathe_sample_type t);
/** [any] Parses "pcm16"/"16", "pcm24"/"24", "pcm32"/"32", "float32"/"float"/"f32". */
LATHE_API lathe_status lathe_sample_type_parse(const char *name, lathe_sample_type *out);
/** [any] Names: "none", "tpdf", "shaped". */
LATHE_API const char *lathe_dither_name(lathe_dither_type d);
LATHE_API lathe_status lathe_dither_parse(const char *name, lathe_dither_type *out);

/** [any] 1 if A and B name the same existing file (same device and inode, so also
 *  through links or different spellings of the path); 0 otherwise, including when
 *  either does not exist. */
LATHE_API int lathe_same_file(const char *a, const char *b);

/** [any] Checks, before any work is done, that PATH may be written: it must not be
 *  one of the N_INPUTS files in INPUTS ("is also an input"), must not exist unless
 *  OVERWRITE ("exists (use --force)"), must not be a directory or a special file,
 *  and its directory must exist. LATHE_OK or LATHE_ERR_WRITE with one line in ERR. */
LATHE_API lathe_status lathe_output_check(const char *path, const char *const *inputs,
                                          size_t n_inputs, int overwrite, char *err,
                                          size_t errlen);

typedef struct lathe_writer lathe_writer;

/** [control] Opens a writer for PATH in format FMT: checks the destination as
 *  lathe_output_check does (without inputs), then creates the temporary file beside
 *  it. On failure *OUT is NULL, nothing is left on disk, and ERR names the reason. */
LATHE_API lathe_status lathe_writer_open(const char *path, const lathe_output_format *fmt,
                                         int overwrite, lathe_writer **out, char *err,
                                         size_t errlen);
/** [control] Appends FRAMES frames of planar float CH[0..channels-1] (at the source
 *  rate; 1.0 = full scale). PCM output is dithered, rounded and clipped; float output is
 *  written unchanged. LATHE_ERR_NON_FINITE if a sample is NaN or infinite (nothing
 *  of the block is written; the writer stays usable), LATHE_ERR_WRITE on an I/O error
 *  (disk full...): lathe_writer_error says why, and the writer then only accepts
 *  lathe_writer_abort or a commit that fails. */
LATHE_API lathe_status lathe_writer_write(lathe_writer *w, const float *const *ch,
                                          size_t frames);
/** Receives the samples exactly as the file stores them, as a reader of the file gets them
 *  back (planar float, 1.0 = full scale): PCM words after dither, rounding and clipping,
 *  scaled by 2^-(word_bits-1); float samples unchanged. Only frames the file accepted. */
typedef void (*lathe_writer_monitor_fn)(void *user, const float *const *ch, size_t frames);
/** [control] Calls FN(USER, ...) from now on with every block written (NULL: stop), so
 *  the written file can be measured in the same pass (for PCM up to 24 bits and float
 *  the values are those lathe_reader_read returns from the file, bit for bit).
 *  LATHE_ERR_NO_MEMORY if its buffer cannot be allocated. */
LATHE_API lathe_status lathe_writer_set_monitor(lathe_writer *w, lathe_writer_monitor_fn fn,
                                                void *user);
/** [control] Flushes the resampler, closes the file, fsyncs it, renames it onto the
 *  destination (atomically; without OVERWRITE a destination that appeared meanwhile is
 *  not replaced) and fsyncs the directory. Frees W whatever the outcome; on failure
 *  the temporary file is removed and the destination untouched. */
LATHE_API lathe_status lathe_writer_commit(lathe_writer *w, char *err, size_t errlen);
/** [control] Removes the temporary file and frees W; NULL-safe. */
LATHE_API void lathe_writer_abort(lathe_writer *w);

typedef struct lathe_writer_stats {
    int64_t frames;          /* frames written to the file so far (at rate_hz) */
    int64_t clipped;         /* PCM samples clipped to the integer range */
    int word_bits;           /* the word length dithered to (0 for float) */
    lathe_dither_type dither;/* the dither in use (shaped falls back to tpdf < 44.1 kHz) */
    int shaper_taps;         /* error-feedback taps of the noise shaper (0: none) */
} lathe_writer_stats;

/** [any] Current figures of W. */
LATHE_API void lathe_writer_get_stats(const lathe_writer *w, lathe_writer_stats *out);
/** [any] One line describing the first write failure ("" if none), valid until
 *  commit/abort. */
LATHE_API const char *lathe_writer_error(const lathe_writer *w);
/** [any] The temporary file's path (for messages and tests), valid until commit/abort. */
LATHE_API const char *lathe_writer_temp_path(const lathe_writer *w);

#ifdef __cplusplus
}
#endif
#endif
