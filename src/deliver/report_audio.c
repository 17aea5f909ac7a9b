/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's A/B excerpts: the loudest passage, read from each file, folded to at
 * most stereo, measured (ITU-R BS.1770-4 integrated loudness), the louder ones turned
 * down to the quietest's loudness (so the comparison is not won by level), faded in
 * and out over 10 ms, and encoded in memory as Ogg Opus through libsndfile's virtual
 * I/O (Opus runs at 48 kHz: other rates are resampled first). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include "deliver/report_internal.h"
#include "io/resample.h"

#define READ_BLOCK 4096
#define FADE_S 0.010
/* libsndfile maps the compression level linearly onto the Opus bit rate: 0.7 gives
 * about 160 kbit/s for stereo (transparent for listening tests of this kind),
 * 30 s in about 0.6 MB. */
#define OPUS_LEVEL 0.7
#define VORBIS_QUALITY 0.5

double lathe_excerpt_loudest(const lathe_analysis *a, double length_s)
{
    const double step = a->series_step_s > 0.0 ? a->series_step_s : 0.1;
    if (!a->momentary_lufs || a->series_count == 0 || a->duration_s <= length_s)
        return 0.0;
    size_t n = a->series_count;
    long k = lround(length_s / step);            /* grid steps in the excerpt */
    long starts = (long)floor((a->duration_s - length_s) / step + 1e-9);
    double *pre = malloc(sizeof(double) * (n + 1));
    if (!pre)
        return 0.0;
    pre[0] = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = a->momentary_lufs[i];
        pre[i + 1] = pre[i] + (isfinite(m) ? pow(10.0, m / 10.0) : 0.0);
    }
    /* Momentary value i is the 400 ms window ending at (i + 1) * step: the windows
     * inside [s * step, s * step + length_s] are i = s + 3 .. s + k - 1. */
    long best = 0;
    double best_e = -1.0;
    for (long s = 0; s <= starts; s++) {
        long i0 = s + 3, i1 = s + k;                /* [i0, i1) */
        if (i1 > (long)n)
            i1 = (long)n;
        if (i0 >= i1)
            break;
        double e = pre[i1] - pre[i0];
        if (e > best_e * (1.0 + 1e-12)) {
            best_e = e;
            best = s;
        }
    }
    free(pre);
    return (double)best * step;
}

/* Fold to at most two channels: L/R as they are, centre and unknown extra channels
 * into both at -3 dB, surrounds into their side at -3 dB, LFE left out. */
static void fold_gains(const lathe_audio_info *in, double g[LATHE_MAX_CHANNELS][2], int *out_ch)
{
    const double h = sqrt(0.5);
    memset(g, 0, sizeof(double) * LATHE_MAX_CHANNELS * 2);
    if (in->channels == 1) {
        g[0][0] = 1.0;
        *out_ch = 1;
        return;
    }
    *out_ch = 2;
    if (in->channels == 2) {
        g[0][0] = g[1][1] = 1.0;
        return;
    }
    for (int c = 0; c < in->channels; c++) {
        switch (in->roles[c]) {
        case LATHE_CHANNEL_LEFT: g[c][0] = 1.0; break;
        case LATHE_CHANNEL_RIGHT: g[c][1] = 1.0; break;
        case LATHE_CHANNEL_LFE: break;
        case LATHE_CHANNEL_LEFT_SURROUND: case LATHE_CHANNEL_LEFT_BACK: g[c][0] = h; break;
        case LATHE_CHANNEL_RIGHT_SURROUND: case LATHE_CHANNEL_RIGHT_BACK: g[c][1] = h; break;
        default: g[c][0] = g[c][1] = h; break;
        }
    }
}

typedef struct pcm {
    int channels, rate;
    size_t frames, cap;
    float *ch[2];
} pcm;

static void pcm_free(pcm *p)
{
    free(p->ch[0]);
    free(p->ch[1]);
    memset(p, 0, sizeof *p);
}

static lathe_status pcm_alloc(pcm *p, int channels, int rate, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->channels = channels;
    p->rate = rate;
    p->cap = cap;
    for (int c = 0; c < channels; c++)
        if (!(p->ch[c] = calloc(cap ? cap : 1, sizeof(float)))) {
            pcm_free(p);
            return LATHE_ERR_NO_MEMORY;
        }
    return LATHE_OK;
}

static lathe_status read_passage(lathe_excerpt *x, pcm *out, char *err, size_t errlen)
{
    lathe_reader *rd = NULL;
    float *buf[LATHE_MAX_CHANNELS] = { 0 };
    double g[LATHE_MAX_CHANNELS][2];
    int och;
    lathe_status st = lathe_reader_open(x->path, &rd, err, errlen);
    if (st != LATHE_OK)
        return st;
    const lathe_audio_info *in = lathe_reader_info(rd);
    int64_t first = llround(x->start_s * in->rate_hz);
    int64_t want = llround(x->duration_s * in->rate_hz), pos = 0;
    fold_gains(in, g, &och);
    if ((st = pcm_alloc(out, och, in->rate_hz, (size_t)want)) != LATHE_OK)
        goto done;
    for (int c = 0; c < in->channels; c++)
        if (!(buf[c] = malloc(sizeof(float) * READ_BLOCK))) {
            st = LATHE_ERR_NO_MEMORY;
            goto done;
        }
    while ((int64_t)out->frames < want) {
        size_t got = 0;
        st = lathe_reader_read(rd, buf, READ_BLOCK, &got);
        if (st != LATHE_OK && st != LATHE_ERR_TRUNCATED) {
            snprintf(err, errlen, "%s: %s", x->path, lathe_status_str(st));
            goto done;
        }
        if (got == 0)
            break;
        for (size_t i = 0; i < got && (int64_t)out->frames < want; i++, pos++) {
            if (pos < first)
                continue;
            for (int o = 0; o < och; o++) {
                double v = 0.0;
                for (int c = 0; c < in->channels; c++)
                    v += g[c][o] * (isfinite(buf[c][i]) ? buf[c][i] : 0.0f);
                out->ch[o][out->frames] = (float)v;
            }
            out->frames++;
        }
        if (st == LATHE_ERR_TRUNCATED)
            break;
    }
    st = LATHE_OK;
done:
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(buf[c]);
    lathe_reader_close(rd);
    if (st != LATHE_OK)
        pcm_free(out);
    return st;
}

static double measure(const pcm *p)
{
    lathe_analysis_config cfg;
    lathe_analyzer *an = NULL;
    lathe_analysis a;
    lathe_channel_role roles[2] = { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT };
    double l = -HUGE_VAL;
    lathe_analysis_config_defaults(&cfg);
    cfg.true_peak = cfg.spectrum = cfg.series = 0;
    if (p->channels == 1)
        roles[0] = LATHE_CHANNEL_MONO;
    if (lathe_analyzer_create(&cfg, p->rate, p->channels, roles, &an) != LATHE_OK)
        return NAN;
    lathe_analyzer_process(an, (const float *const *)p->ch, p->frames);
    if (lathe_analyzer_finish(an, &a) == LATHE_OK) {
        l = a.integrated_lufs;
        lathe_analysis_free(&a);
    }
    lathe_analyzer_destroy(an);
    return l;
}

static void fade(pcm *p)
{
    size_t n = (size_t)(FADE_S * p->rate);
    if (n * 2 > p->frames)
        n = p->frames / 2;
    for (size_t i = 0; i < n; i++) {
        float w = (float)(0.5 - 0.5 * cos(M_PI * (i + 0.5) / (double)n));
        for (int c = 0; c < p->channels; c++) {
            p->ch[c][i] *= w;
            p->ch[c][p->frames - 1 - i] *= w;
        }
    }
}

static lathe_status to_pcm(void *user, const float *const *ch, size_t frames)
{
    pcm *p = user;
    if (p->frames + frames > p->cap)
        frames = p->cap - p->frames;
    for (int c = 0; c < p->channels; c++)
        memcpy(p->ch[c] + p->frames, ch[c], sizeof(float) * frames);
    p->frames += frames;
    return LATHE_OK;
}

static lathe_status resample(pcm *p, int rate, char *err, size_t errlen)
{
    lathe_resampler *rs = NULL;
    pcm out;
    int64_t n = lathe_resample_length((int64_t)p->frames, p->rate, rate);
    lathe_status st = pcm_alloc(&out, p->channels, rate, (size_t)n);
    if (st != LATHE_OK)
        return st;
    st = lathe_resampler_create(p->rate, rate, p->channels, &rs, err, errlen);
    for (size_t off = 0; st == LATHE_OK && off < p->frames; off += READ_BLOCK) {
        size_t k = p->frames - off < READ_BLOCK ? p->frames - off : READ_BLOCK;
        const float *blk[2] = { p->ch[0] + off, p->channels > 1 ? p->ch[1] + off : NULL };
        st = lathe_resampler_push(rs, blk, k, to_pcm, &out);
    }
    if (st == LATHE_OK)
        st = lathe_resampler_finish(rs, to_pcm, &out);
    lathe_resampler_destroy(rs);
    if (st != LATHE_OK) {
        pcm_free(&out);
        return st;
    }
    pcm_free(p);
    *p = out;
    return LATHE_OK;
}

/* ---- libsndfile virtual I/O into a growing memory buffer ---- */

typedef struct membuf {
    unsigned char *d;
    sf_count_t len, cap, pos;
    int failed;
} membuf;

static sf_count_t vio_len(void *u)
{
    return ((membuf *)u)->len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *u)
{
    membuf *m = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;
    if (p < 0)
        return -1;
    m->pos = p;
    return p;
}

static sf_count_t vio_read(void *ptr, sf_count_t n, void *u)
{
    membuf *m = u;
    if (m->pos >= m->len)
        return 0;
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(ptr, m->d + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t n, void *u)
{
    membuf *m = u;
    if (m->failed)
        return 0;
    if (m->pos + n > m->cap) {
        sf_count_t cap = (m->pos + n) * 2 + 65536;
        unsigned char *d = realloc(m->d, (size_t)cap);
        if (!d) {
            m->failed = 1;
            return 0;
        }
        m->d = d;
        m->cap = cap;
    }
    if (m->pos > m->len)
        memset(m->d + m->len, 0, (size_t)(m->pos - m->len));
    memcpy(m->d + m->pos, ptr, (size_t)n);
    m->pos += n;
    if (m->pos > m->len)
        m->len = m->pos;
    return n;
}

static sf_count_t vio_tell(void *u)
{
    return ((membuf *)u)->pos;
}

/* Encodes P with libsndfile format FORMAT; 0 on success with the bytes in *M. */
static int encode(const pcm *p, int format, membuf *m)
{
    SF_VIRTUAL_IO io = { vio_len, vio_seek, vio_read, vio_write, vio_tell };
    SF_INFO si;
    memset(m, 0, sizeof *m);
    memset(&si, 0, sizeof si);
    si.samplerate = p->rate;
    si.channels = p->channels;
    si.format = format;
    if (!sf_format_check(&si))
        return -1;
    SNDFILE *f = sf_open_virtual(&io, SFM_WRITE, &si, m);
    if (!f) {
        free(m->d);
        memset(m, 0, sizeof *m);
        return -1;
    }
    if ((format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS) {
        double level = OPUS_LEVEL;
        sf_command(f, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    } else if ((format & SF_FORMAT_SUBMASK) == SF_FORMAT_VORBIS) {
        double q = VORBIS_QUALITY;
        sf_command(f, SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
    } else {
        sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
    }
    float inter[READ_BLOCK * 2];
    int ok = 1;
    for (size_t off = 0; ok && off < p->frames; off += READ_BLOCK) {
        size_t k = p->frames - off < READ_BLOCK ? p->frames - off : READ_BLOCK;
        for (size_t i = 0; i < k; i++)
            for (int c = 0; c < p->channels; c++)
                inter[i * (size_t)p->channels + (size_t)c] = p->ch[c][off + i];
        ok = sf_writef_float(f, inter, (sf_count_t)k) == (sf_count_t)k;
    }
    if (sf_close(f) != 0 || !ok || m->failed || m->len == 0) {
        free(m->d);
        memset(m, 0, sizeof *m);
        return -1;
    }
    return 0;
}

static int opus_rate(int rate)
{
    return rate == 48000 || rate == 24000 || rate == 16000 || rate == 12000 || rate == 8000;
}

static lathe_status encode_best(lathe_excerpt *x, pcm *p, char *err, size_t errlen)
{
    membuf m;
    lathe_status st;
    pcm keep;
    int at48 = opus_rate(p->rate);

    /* Opus needs one of its rates; keep the original for the fallbacks. */
    if (!at48) {
        if ((st = pcm_alloc(&keep, p->channels, p->rate, p->frames)) != LATHE_OK)
            return st;
        for (int c = 0; c < p->channels; c++)
            memcpy(keep.ch[c], p->ch[c], sizeof(float) * p->frames);
        keep.frames = p->frames;
        if ((st = resample(&keep, 48000, err, errlen)) == LATHE_OK
            && encode(&keep, SF_FORMAT_OGG | SF_FORMAT_OPUS, &m) == 0) {
            x->rate_hz = 48000;
            pcm_free(&keep);
            goto opus;
        }
        pcm_free(&keep);
    } else if (encode(p, SF_FORMAT_OGG | SF_FORMAT_OPUS, &m) == 0) {
        x->rate_hz = p->rate;
        goto opus;
    }
    x->rate_hz = p->rate;
    if (encode(p, SF_FORMAT_OGG | SF_FORMAT_VORBIS, &m) == 0) {
        x->mime = "audio/ogg; codecs=vorbis";
        x->codec = "Vorbis";
    } else if (encode(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, &m) == 0) {
        x->mime = "audio/flac";
        x->codec = "FLAC";
    } else {
        snprintf(err, errlen, "cannot encode the A/B excerpts (libsndfile has no Opus, Vorbis "
                 "or FLAC encoder)");
        return LATHE_ERR_UNSUPPORTED;
    }
    goto have;
opus:
    x->mime = "audio/ogg; codecs=opus";
    x->codec = "Opus";
have:
    x->data = m.d;
    x->size = (size_t)m.len;
    x->channels = p->channels;
    return LATHE_OK;
}

lathe_status lathe_excerpts_make(lathe_excerpt *x, int n, char *err, size_t errlen)
{
    pcm p[LATHE_EXCERPT_MAX];
    lathe_status st = LATHE_OK;
    double quiet = HUGE_VAL;
    int i;

    memset(p, 0, sizeof p);
    if (n < 1 || n > LATHE_EXCERPT_MAX)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (i = 0; i < n && st == LATHE_OK; i++) {
        x[i].data = NULL;
        x[i].size = 0;
        st = read_passage(&x[i], &p[i], err, errlen);
        if (st != LATHE_OK)
            break;
        x[i].duration_s = (double)p[i].frames / p[i].rate;
        fade(&p[i]);
        x[i].lufs = measure(&p[i]);
        if (isfinite(x[i].lufs) && x[i].lufs < quiet)
            quiet = x[i].lufs;
    }
    for (i = 0; i < n && st == LATHE_OK; i++) {
        x[i].gain_db = isfinite(x[i].lufs) && isfinite(quiet) ? quiet - x[i].lufs : 0.0;
        float g = (float)pow(10.0, x[i].gain_db / 20.0);
        for (int c = 0; c < p[i].channels; c++)
            for (size_t k = 0; k < p[i].frames; k++)
                p[i].ch[c][k] *= g;
        st = encode_best(&x[i], &p[i], err, errlen);
    }
    for (i = 0; i < n; i++)
        pcm_free(&p[i]);
    if (st != LATHE_OK)
        lathe_excerpts_free(x, n);
    return st;
}

void lathe_excerpts_free(lathe_excerpt *x, int n)
{
    for (int i = 0; i < n; i++) {
        free(x[i].data);
        x[i].data = NULL;
        x[i].size = 0;
    }
}

void lathe_text_base64(lathe_text *t, const unsigned char *d, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 1024];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
        if (o == sizeof out) {
            lathe_text_putn(t, out, o);
            o = 0;
        }
    }
    lathe_text_putn(t, out, o);
}
