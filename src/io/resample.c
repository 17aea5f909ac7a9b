/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming sample-rate conversion over libsoxr.
 *
 * Settings (docs/output.md): SOXR_VHQ (28-bit precision: stopband rejection about
 * 170 dB, far below any 24-bit noise floor), linear phase (no phase distortion; the
 * symmetric filter's pre-ringing sits above 20 kHz at 44.1 kHz and up), soxr's default
 * pass band for that recipe (flat to 0.911 of the lower rate's Nyquist frequency, e.g.
 * 20.1 kHz at 44.1 kHz, full rejection from that Nyquist frequency, so nothing aliases),
 * single thread (deterministic, constant memory), 32-bit float planar in and out with
 * double-precision arithmetic inside (soxr's "cr64" engine, chosen for precision > 20).
 *
 * soxr starts its output at time 0 of the input (it discards the filter's group delay
 * itself) and, when the input is ended with a NULL buffer, emits the rest of the tail;
 * the total is then trimmed or zero-padded to round(in * out_rate / in_rate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <soxr.h>
#include "io/resample.h"
#include "lathe/io.h"

struct lathe_resampler {
    soxr_t soxr;
    int in_rate, out_rate, channels;
    int64_t frames_in, frames_out;
    float *out[LATHE_MAX_CHANNELS];   /* LATHE_RESAMPLE_BLOCK frames each */
};

int64_t lathe_resample_length(int64_t in_frames, int in_rate_hz, int out_rate_hz)
{
    /* in = q * in_rate + rem, so in * out / in_rate = q * out + rem * out / in_rate,
     * with rem * out < 2^40: no overflow for any stream length that fits int64. */
    int64_t q = in_frames / in_rate_hz, rem = in_frames % in_rate_hz;
    return q * out_rate_hz + (2 * rem * out_rate_hz + in_rate_hz) / (2 * (int64_t)in_rate_hz);
}

lathe_status lathe_resampler_create(int in_rate_hz, int out_rate_hz, int channels,
                                    lathe_resampler **out, char *err, size_t errlen)
{
    lathe_resampler *r;
    soxr_error_t e = NULL;
    soxr_io_spec_t io;
    soxr_quality_spec_t q;
    soxr_runtime_spec_t rt;

    *out = NULL;
    if (in_rate_hz < LATHE_MIN_RATE_HZ || in_rate_hz > LATHE_MAX_RATE_HZ
        || out_rate_hz < LATHE_MIN_RATE_HZ || out_rate_hz > LATHE_MAX_RATE_HZ || channels < 1
        || channels > LATHE_MAX_CHANNELS) {
        if (err && errlen)
            snprintf(err, errlen, "cannot resample %d Hz to %d Hz with %d channels", in_rate_hz,
                     out_rate_hz, channels);
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->in_rate = in_rate_hz;
    r->out_rate = out_rate_hz;
    r->channels = channels;
    for (int c = 0; c < channels; c++) {
        r->out[c] = malloc(sizeof(float) * LATHE_RESAMPLE_BLOCK);
        if (!r->out[c])
            goto oom;
    }
    io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);
    q = soxr_quality_spec(SOXR_VHQ, SOXR_LINEAR_PHASE);
    rt = soxr_runtime_spec(1);
    r->soxr = soxr_create(in_rate_hz, out_rate_hz, (unsigned)channels, &e, &io, &q, &rt);
    if (!r->soxr || e) {
        if (err && errlen)
            snprintf(err, errlen, "libsoxr: %s", e ? e : "cannot create a resampler");
        lathe_resampler_destroy(r);
        return LATHE_ERR_INTERNAL;
    }
    *out = r;
    return LATHE_OK;
oom:
    lathe_resampler_destroy(r);
    if (err && errlen)
        snprintf(err, errlen, "out of memory");
    return LATHE_ERR_NO_MEMORY;
}

/* Passes N frames of the output buffer to SINK. */
static lathe_status emit(lathe_resampler *r, size_t n, lathe_resample_sink sink, void *user)
{
    if (n == 0)
        return LATHE_OK;
    r->frames_out += (int64_t)n;
    return sink(user, (const float *const *)r->out, n);
}

lathe_status lathe_resampler_push(lathe_resampler *r, const float *const *ch, size_t frames,
                                  lathe_resample_sink sink, void *user)
{
    size_t done = 0;
    const void *in[LATHE_MAX_CHANNELS];
    void *outp[LATHE_MAX_CHANNELS];

    for (int c = 0; c < r->channels; c++)
        outp[c] = r->out[c];
    while (done < frames) {
        size_t idone = 0, odone = 0;
        lathe_status st;
        for (int c = 0; c < r->channels; c++)
            in[c] = ch[c] + done;
        if (soxr_process(r->soxr, (soxr_in_t)in, frames - done, &idone, (soxr_out_t)outp,
                         LATHE_RESAMPLE_BLOCK, &odone))
            return LATHE_ERR_INTERNAL;
        done += idone;
        r->frames_in += (int64_t)idone;
        st = emit(r, odone, sink, user);
        if (st != LATHE_OK)
            return st;
        if (idone == 0 && odone == 0)
            return LATHE_ERR_INTERNAL;   /* soxr neither took input nor gave output */
    }
    return LATHE_OK;
}

lathe_status lathe_resampler_finish(lathe_resampler *r, lathe_resample_sink sink, void *user)
{
    const int64_t want = lathe_resample_length(r->frames_in, r->in_rate, r->out_rate);
    void *outp[LATHE_MAX_CHANNELS];
    lathe_status st;

    for (int c = 0; c < r->channels; c++)
        outp[c] = r->out[c];
    while (r->frames_out < want) {
        size_t odone = 0, n;
        if (soxr_process(r->soxr, NULL, 0, NULL, (soxr_out_t)outp, LATHE_RESAMPLE_BLOCK, &odone))
            return LATHE_ERR_INTERNAL;
        if (odone == 0)
            break;
        n = odone;
        if ((int64_t)n > want - r->frames_out)
            n = (size_t)(want - r->frames_out);
        st = emit(r, n, sink, user);
        if (st != LATHE_OK)
            return st;
    }
    /* soxr's tail fell short (it rounds its own length): complete with silence. */
    while (r->frames_out < want) {
        size_t n = LATHE_RESAMPLE_BLOCK;
        if ((int64_t)n > want - r->frames_out)
            n = (size_t)(want - r->frames_out);
        for (int c = 0; c < r->channels; c++)
            memset(r->out[c], 0, sizeof(float) * n);
        st = emit(r, n, sink, user);
        if (st != LATHE_OK)
            return st;
    }
    return LATHE_OK;
}

int64_t lathe_resampler_frames_out(const lathe_resampler *r)
{
    return r->frames_out;
}

void lathe_resampler_destroy(lathe_resampler *r)
{
    if (!r)
        return;
    if (r->soxr)
        soxr_delete(r->soxr);
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(r->out[c]);
    free(r);
}
