/* SPDX-License-Identifier: GPL-3.0-or-later */
/* limiter: the output's true peak stays under the ceiling as measured by two
 * independent meters (libebur128's EBUR128_MODE_TRUE_PEAK and ffmpeg's ebur128 filter)
 * on music-like and torture signals at 44.1, 48 and 96 kHz, as float and quantised to
 * 16 bit with TPDF dither; identical output for any block size; latency reported and
 * compensated; bit-exact below the ceiling; THD+N on a driven 60 Hz + 1 kHz two-tone
 * (ffmpeg's alimiter printed for comparison); program-dependent release; glides;
 * linking; statistics. */
#include <ebur128.h>
#include <stdarg.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lathe/fx.h"
#include "testutil.h"

#define CEILING_DB (-1.0)

/* A plain (strong) reference, so a static link always pulls the limiter in, however
 * src/fx/registry.h declares it. */
extern const lathe_fx_class lathe_fx_limiter;

static int sanitized;
static int have_ffmpeg;
static char tmpdir[256];

/* ---------------------------------------------------------------- utilities -- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double urand(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

static double db(double lin)
{
    return 20.0 * log10(lin);
}

typedef struct sig {
    int ch;
    size_t n;
    float *x[8];
} sig;

static sig sig_new(int ch, size_t n)
{
    sig s = { ch, n, { 0 } };
    for (int c = 0; c < ch; c++) {
        s.x[c] = calloc(n ? n : 1, sizeof(float));
        if (!s.x[c])
            abort();
    }
    return s;
}

static sig sig_copy(const sig *a)
{
    sig s = sig_new(a->ch, a->n);
    for (int c = 0; c < a->ch; c++)
        memcpy(s.x[c], a->x[c], sizeof(float) * a->n);
    return s;
}

static void sig_free(sig *s)
{
    for (int c = 0; c < s->ch; c++)
        free(s->x[c]);
    memset(s, 0, sizeof *s);
}

static const lathe_fx_class *cls;

static int pidx(const char *key)
{
    int i = lathe_fx_param_index(cls, key);
    if (i < 0) {
        fprintf(stderr, "no parameter %s\n", key);
        abort();
    }
    return i;
}

/* Creates a limiter; KV: "key", value pairs ending with NULL. */
static lathe_fx *make(double rate, int ch, size_t max_block, const char *key, ...)
{
    double p[32];
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *))
        p[pidx(k)] = va_arg(ap, double);
    va_end(ap);
    lathe_fx_setup su = { rate, ch, max_block, 0 };
    lathe_fx *fx = NULL;
    lathe_status st = lathe_fx_create(cls, &su, p, &fx);
    if (st != LATHE_OK || !fx) {
        fprintf(stderr, "lathe_fx_create failed (%d)\n", (int)st);
        abort();
    }
    return fx;
}

/* Runs S through FX in blocks (sizes from BLOCKS, cycled; 0 ends the list; a
 * negative first entry means random sizes 1..-blocks[0]) and returns the output with
 * the latency removed (the input padded with latency frames of silence). */
static sig run_blocks(lathe_fx *fx, const sig *s, const int *blocks)
{
    const size_t lat = lathe_fx_latency(fx);
    sig buf = sig_new(s->ch, s->n + lat);
    for (int c = 0; c < s->ch; c++)
        memcpy(buf.x[c], s->x[c], sizeof(float) * s->n);
    size_t off = 0;
    int bi = 0;
    while (off < buf.n) {
        size_t len;
        if (blocks[0] < 0) {
            len = 1 + (size_t)((urand() + 1.0) * 0.5 * (double)(-blocks[0]));
            if (len > (size_t)(-blocks[0]))
                len = (size_t)(-blocks[0]);
        } else {
            len = (size_t)blocks[bi];
            bi = blocks[bi + 1] ? bi + 1 : 0;
        }
        if (len > buf.n - off)
            len = buf.n - off;
        float *ptr[8];
        for (int c = 0; c < s->ch; c++)
            ptr[c] = buf.x[c] + off;
        lathe_fx_process(fx, ptr, len);
        off += len;
    }
    sig out = sig_new(s->ch, s->n);
    for (int c = 0; c < s->ch; c++)
        memcpy(out.x[c], buf.x[c] + lat, sizeof(float) * s->n);
    sig_free(&buf);
    return out;
}

static sig run(lathe_fx *fx, const sig *s)
{
    static const int b[] = { 4096, 0 };
    return run_blocks(fx, s, b);
}

/* 16-bit quantisation with TPDF dither (+-1 LSB), returned as float values k/32768. */
static sig quantise16(const sig *s)
{
    sig q = sig_new(s->ch, s->n);
    for (int c = 0; c < s->ch; c++)
        for (size_t i = 0; i < s->n; i++) {
            double v = s->x[c][i] * 32768.0 + 0.5 * (urand() + urand());
            v = floor(v + 0.5);
            v = v > 32767.0 ? 32767.0 : v < -32768.0 ? -32768.0 : v;
            q.x[c][i] = (float)(v / 32768.0);
        }
    return q;
}

/* libebur128 true peak (linear), max over channels. */
static double tp_ebur128(const sig *s, double rate)
{
    ebur128_state *st = ebur128_init((unsigned)s->ch, (unsigned long)rate, EBUR128_MODE_TRUE_PEAK);
    if (!st)
        abort();
    float *inter = malloc(sizeof(float) * 4096 * (size_t)s->ch);
    for (size_t off = 0; off < s->n; off += 4096) {
        size_t len = s->n - off < 4096 ? s->n - off : 4096;
        for (size_t i = 0; i < len; i++)
            for (int c = 0; c < s->ch; c++)
                inter[i * (size_t)s->ch + (size_t)c] = s->x[c][off + i];
        ebur128_add_frames_float(st, inter, len);
    }
    double best = 0.0;
    for (int c = 0; c < s->ch; c++) {
        double v = 0.0;
        ebur128_true_peak(st, (unsigned)c, &v);
        best = v > best ? v : best;
    }
    free(inter);
    ebur128_destroy(&st);
    return best;
}

static int write_wav(const char *path, const sig *s, double rate)
{
    SF_INFO info = { 0 };
    info.samplerate = (int)rate;
    info.channels = s->ch;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return -1;
    float *inter = malloc(sizeof(float) * s->n * (size_t)s->ch);
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < s->ch; c++)
            inter[i * (size_t)s->ch + (size_t)c] = s->x[c][i];
    sf_count_t w = sf_writef_float(f, inter, (sf_count_t)s->n);
    free(inter);
    sf_close(f);
    return w == (sf_count_t)s->n ? 0 : -1;
}

static int read_wav(const char *path, sig *out)
{
    SF_INFO info = { 0 };
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return -1;
    *out = sig_new(info.channels, (size_t)info.frames);
    float *inter = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels + 1);
    sf_count_t r = sf_readf_float(f, inter, info.frames);
    for (size_t i = 0; i < (size_t)r; i++)
        for (int c = 0; c < info.channels; c++)
            out->x[c][i] = inter[i * (size_t)info.channels + (size_t)c];
    free(inter);
    sf_close(f);
    return 0;
}

/* ffmpeg's ebur128=peak=true on each of the groups A and B (B may be NULL), written as
 * one float WAV. Its summary prints the peak to 0.1 dB only, so the signal is scaled by
 * 100 (+40 dB, exact in float) and the per-channel running true peaks are read from
 * the filter's metadata (3 decimals of the scaled linear value: 1e-4 dB). Returns the
 * linear true peak of A and of B; SUMMARY gets the "Peak:" line of the summary less
 * 40 dB. 0 on success. */
static int tp_ffmpeg(const sig *a, const sig *b, double rate, double *pa, double *pb,
                     double *summary_db)
{
    char wav[512], cmd[1536];
    sig all = sig_new(a->ch + (b ? b->ch : 0), a->n);
    for (int c = 0; c < a->ch; c++)
        memcpy(all.x[c], a->x[c], sizeof(float) * a->n);
    for (int c = 0; b && c < b->ch; c++)
        memcpy(all.x[a->ch + c], b->x[c], sizeof(float) * a->n);
    snprintf(wav, sizeof wav, "%s/tp.wav", tmpdir);
    int rc = write_wav(wav, &all, rate);
    int nch = all.ch;
    sig_free(&all);
    if (rc)
        return -1;
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -nostats -i '%s' -af "
             "'volume=100:precision=double,ebur128=peak=true:metadata=1,ametadata=print' "
             "-f null - 2>&1",
             wav);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[1024];
    double peak[16] = { 0 };
    int got = 0, in_tp = 0;
    *summary_db = NAN;
    while (fgets(line, sizeof line, p)) {
        const char *k = strstr(line, "lavfi.r128.true_peaks_ch");
        if (k) {
            int ch = -1;
            double v = 0.0;
            if (sscanf(k, "lavfi.r128.true_peaks_ch%d=%lf", &ch, &v) == 2 && ch >= 0 && ch < nch) {
                peak[ch] = v > peak[ch] ? v : peak[ch];
                got = 1;
            }
        }
        if (strstr(line, "True peak:"))
            in_tp = 1;
        const char *pk = strstr(line, "Peak:");
        if (in_tp && pk)
            *summary_db = atof(pk + 5) - 40.0;
    }
    if (pclose(p) != 0 || !got)
        return -1;
    *pa = *pb = 0.0;
    for (int c = 0; c < nch; c++) {
        double v = peak[c] / 100.0;
        if (c < a->ch)
            *pa = v > *pa ? v : *pa;
        else
            *pb = v > *pb ? v : *pb;
    }
    return 0;
}

/* ------------------------------------------------------------------ signals -- */

enum {
    S_MUSIC, S_SQUARE_1K, S_SQUARE_NYQ3, S_SQUARE_ODD, S_TWOTONE_HF, S_TWOTONE_QUARTER,
    S_IMPULSES, S_ONSET, S_NOISE, S_COUNT
};
static const char *const sig_names[S_COUNT] = {
    "music-like (+6 dB over)", "square 1 kHz, 2.0", "square near Nyquist/3, 2.0",
    "square fs/7.3, 2.0", "two-tone 0.43/0.45 fs, full scale", "two-tone fs/4 +/- 30 Hz",
    "single-sample impulses, +-1", "silence -> full scale", "white noise +12 dBFS",
};

/* Naive (aliased) square wave of FREQ Hz and amplitude A, phase PH (cycles). */
static float square(double i, double freq, double rate, double a, double ph)
{
    double t = fmod(i * freq / rate + ph, 1.0);
    return (float)(t < 0.5 ? a : -a);
}

/* A deterministic music-like stereo mix: kick, bass, chords, snare, hats. */
static void gen_music(sig *s, double rate)
{
    const double beat = 0.5;
    for (size_t i = 0; i < s->n; i++) {
        double t = (double)i / rate, tb = fmod(t, beat);
        int bar = (int)(t / beat);
        double kick = exp(-tb / 0.09)
                    * sin(2 * M_PI * (45.0 * tb + 60.0 * 0.03 * (1 - exp(-tb / 0.03))));
        double f0 = (bar % 4 < 2) ? 55.0 : 41.2;
        double bass = 0.0;
        for (int h = 1; h <= 4; h++)
            bass += sin(2 * M_PI * f0 * h * t) / h;
        static const double chord[3] = { 220.0, 277.18, 329.63 };
        double pad = 0.0;
        for (int n = 0; n < 3; n++)
            for (int h = 1; h <= 6; h++)
                pad += sin(2 * M_PI * chord[n] * h * t + n + h) / (h * h);
        double ts = fmod(t + beat / 2, 2 * beat);
        double snare = exp(-ts / 0.06) * (0.6 * urand() + 0.5 * sin(2 * M_PI * 190 * ts));
        double th = fmod(t, beat / 4);
        double hat = exp(-th / 0.015) * urand();
        double l = 0.9 * kick + 0.35 * bass + 0.12 * pad + 0.5 * snare + 0.3 * hat;
        double r = 0.9 * kick + 0.35 * bass + 0.12 * pad * 0.8 + 0.45 * snare - 0.3 * hat;
        s->x[0][i] = (float)l;
        s->x[1][i] = (float)r;
    }
}

/* Scales S so its libebur128 true peak is TARGET_DB. */
static void scale_to_tp(sig *s, double rate, double target_db)
{
    double g = pow(10.0, target_db / 20.0) / tp_ebur128(s, rate);
    for (int c = 0; c < s->ch; c++)
        for (size_t i = 0; i < s->n; i++)
            s->x[c][i] = (float)(s->x[c][i] * g);
}

static sig gen(int kind, double rate, double seconds)
{
    size_t n = (size_t)(seconds * rate);
    sig s = sig_new(2, n);
    /* Silence at both ends: ffmpeg's resampler reads an abrupt start of a file up to
     * 0.8 dB high (a 15 kHz sine at 0.5 starting at t = 0 reads 0.546), so abrupt
     * onsets are placed inside the file, where every interpolator sees them alike. */
    const size_t head = (size_t)(0.02 * rate), tail = (size_t)(0.05 * rate);
    for (size_t i = head; i + tail < n; i++) {
        double t = (double)(i - head) / rate;
        float l = 0.0f, r = 0.0f;
        switch (kind) {
        case S_SQUARE_1K:
            l = square((double)i, 1000.0, rate, 2.0, 0.0);
            r = square((double)i, 1000.0, rate, 2.0, 0.25);
            break;
        case S_SQUARE_NYQ3: /* Nyquist/3 = fs/6, slightly off so the phases drift */
            l = square((double)i, rate / 6.0 * 0.995, rate, 2.0, 0.0);
            r = square((double)i, rate / 6.0 * 1.003, rate, 2.0, 0.1);
            break;
        case S_SQUARE_ODD:
            l = square((double)i, rate / 7.3, rate, 2.0, 0.0);
            r = square((double)i, rate / 3.1, rate, 2.0, 0.0);
            break;
        case S_TWOTONE_HF:
            l = (float)(0.5 * sin(2 * M_PI * 0.43 * i) + 0.5 * sin(2 * M_PI * 0.45 * i + 1.0));
            r = (float)(0.5 * sin(2 * M_PI * 0.44 * i) + 0.5 * sin(2 * M_PI * 0.46 * i));
            break;
        case S_TWOTONE_QUARTER:
            l = (float)(0.5 * sin(2 * M_PI * (rate / 4 - 30) * t)
                        + 0.5 * sin(2 * M_PI * (rate / 4 + 30) * t));
            r = (float)(0.5 * sin(2 * M_PI * (rate / 4 - 7) * t + 0.3)
                        + 0.5 * sin(2 * M_PI * (rate / 4 + 11) * t));
            break;
        case S_IMPULSES: { /* isolated +-1 samples, pairs and triples of alternating sign */
            size_t k = i % (size_t)(0.02 * rate);
            int which = (int)(i / (size_t)(0.02 * rate)) % 3;
            if (which == 0)
                l = r = k == 0 ? 1.0f : 0.0f;
            else if (which == 1)
                l = r = k == 0 ? 1.0f : k == 1 ? -1.0f : 0.0f;
            else
                l = r = k == 0 ? -1.0f : k == 1 ? 1.0f : k == 2 ? -1.0f : 0.0f;
            r = -r;
            break;
        }
        case S_ONSET: { /* 0.2 s silence, then 0.2 s full-scale tones starting at a crest */
            double per = 0.4, tt = fmod(t, per);
            int k = (int)(t / per);
            if (tt >= 0.2) {
                double f = 997.0 * (1 + k % 5);
                l = (float)cos(2 * M_PI * f * (tt - 0.2));
                r = (float)(k % 2 ? 1.0 : -1.0);     /* DC step to full scale */
            }
            break;
        }
        case S_NOISE:
            l = (float)(4.0 * urand());
            r = (float)(4.0 * urand());
            break;
        default:
            break;
        }
        s.x[0][i] = l;
        s.x[1][i] = r;
    }
    if (kind == S_MUSIC) {
        gen_music(&s, rate);
        for (size_t i = 0; i < n; i++)
            if (i < head || i >= n - tail)
                s.x[0][i] = s.x[1][i] = 0.0f;
        scale_to_tp(&s, rate, CEILING_DB + 6.0);
    }
    return s;
}

/* ------------------------------------------------------------------- tests -- */

static void test_ceiling(void)
{
    static const double rates[] = { 44100.0, 48000.0, 96000.0 };
    const double ceiling = pow(10.0, CEILING_DB / 20.0);
    double worst_eb = -99, worst_ff = -99, worst_eb16 = -99, worst_ff16 = -99;
    printf("ceiling %.1f dBTP: true peak of the output re the ceiling (dB), libebur128 / ffmpeg;"
           " float | 16 bit TPDF\n", CEILING_DB);
    for (int ri = 0; ri < 3; ri++) {
        const double rate = rates[ri];
        for (int k = 0; k < S_COUNT; k++) {
            if (sanitized && ri == 2 && k != S_MUSIC && k != S_NOISE)
                continue;
            sig in = gen(k, rate, sanitized ? 0.8 : 2.0);
            double in_tp = tp_ebur128(&in, rate);
            lathe_fx *fx = make(rate, 2, 4096, "ceiling_dbtp", CEILING_DB, NULL);
            sig out = run(fx, &in);
            lathe_fx_destroy(fx);
            sig q = quantise16(&out);
            double eb = db(tp_ebur128(&out, rate) / ceiling);
            double eb16 = db(tp_ebur128(&q, rate) / ceiling);
            double ff = NAN, ff16 = NAN, fsum = NAN;
            if (have_ffmpeg) {
                double a, b;
                if (tp_ffmpeg(&out, &q, rate, &a, &b, &fsum) == 0) {
                    ff = db(a / ceiling);
                    ff16 = db(b / ceiling);
                } else {
                    CHECK(0, "ffmpeg failed on %s", sig_names[k]);
                }
            }
            printf("  %6.0f Hz %-36s in %+6.2f dBTP: %+8.4f / %+8.4f | %+8.4f / %+8.4f"
                   "  (ffmpeg summary %.1f dBTP)\n",
                   rate, sig_names[k], db(in_tp), eb, ff, eb16, ff16, fsum);
            CHECK(eb <= 0.0, "%s at %.0f Hz: libebur128 true peak %+.4f dB over the ceiling",
                  sig_names[k], rate, eb);
            CHECK(eb16 <= 0.0, "%s at %.0f Hz, 16 bit: libebur128 true peak %+.4f dB over",
                  sig_names[k], rate, eb16);
            if (have_ffmpeg) {
                CHECK(ff <= 0.0, "%s at %.0f Hz: ffmpeg true peak %+.4f dB over the ceiling",
                      sig_names[k], rate, ff);
                CHECK(ff16 <= 0.0, "%s at %.0f Hz, 16 bit: ffmpeg true peak %+.4f dB over",
                      sig_names[k], rate, ff16);
                CHECK(fsum <= CEILING_DB, "%s at %.0f Hz: ffmpeg summary Peak %.1f dBFS",
                      sig_names[k], rate, fsum);
            }
            worst_eb = eb > worst_eb ? eb : worst_eb;
            worst_eb16 = eb16 > worst_eb16 ? eb16 : worst_eb16;
            if (have_ffmpeg) {
                worst_ff = ff > worst_ff ? ff : worst_ff;
                worst_ff16 = ff16 > worst_ff16 ? ff16 : worst_ff16;
            }
            /* not needlessly conservative: loud material ends up close to the ceiling */
            if (k == S_MUSIC || k == S_NOISE || k == S_SQUARE_1K)
                CHECK(eb >= -0.5, "%s at %.0f Hz: output true peak %.3f dB under the ceiling",
                      sig_names[k], rate, -eb);
            sig_free(&in);
            sig_free(&out);
            sig_free(&q);
        }
    }
    printf("  worst: libebur128 %+.4f dB (16 bit %+.4f), ffmpeg %+.4f dB (16 bit %+.4f)\n",
           worst_eb, worst_eb16, worst_ff, worst_ff16);
}



/* The shortest settings (4x, 0.5 ms look-ahead, no hold, fixed 1 ms release) and the
 * longest (8x, 10 ms, 50 ms hold) on the hardest signals, both meters. */
static void test_ceiling_extremes(void)
{
    const double rate = 44100.0, ceiling = pow(10.0, CEILING_DB / 20.0);
    static const int kinds[] = { S_MUSIC, S_NOISE, S_IMPULSES, S_SQUARE_NYQ3 };
    for (int v = 0; v < 2; v++)
        for (int k = 0; k < 4; k++) {
            sig in = gen(kinds[k], rate, sanitized ? 0.6 : 1.5);
            lathe_fx *fx = v == 0
                ? make(rate, 2, 4096, "oversampling", 4.0, "lookahead_ms", 0.5, "hold_ms", 0.0,
                       "release_mode", 0.0, "release_ms", 1.0, NULL)
                : make(rate, 2, 4096, "oversampling", 8.0, "lookahead_ms", 10.0, "hold_ms", 50.0,
                       "release_ms", 1000.0, NULL);
            sig out = run(fx, &in);
            lathe_fx_destroy(fx);
            double eb = db(tp_ebur128(&out, rate) / ceiling), ff = NAN, a, b, sum;
            if (have_ffmpeg && tp_ffmpeg(&out, NULL, rate, &a, &b, &sum) == 0)
                ff = db(a / ceiling);
            printf("  %s settings, %-36s: %+8.4f / %+8.4f dB re ceiling\n",
                   v ? "longest " : "shortest", sig_names[kinds[k]], eb, ff);
            CHECK(eb <= 0.0, "%s settings, %s: libebur128 %+.4f dB over",
                  v ? "longest" : "shortest", sig_names[kinds[k]], eb);
            CHECK(!have_ffmpeg || ff <= 0.0, "%s settings, %s: ffmpeg %+.4f dB over",
                  v ? "longest" : "shortest", sig_names[kinds[k]], ff);
            sig_free(&in);
            sig_free(&out);
        }
}

/* Processes S in blocks from BLOCKS (as run_blocks) and sets parameter KEY to VALUE
 * after exactly SPLIT frames; returns the whole raw output (latency not removed). */
static sig run_split(lathe_fx *fx, const sig *s, const int *blocks, size_t split,
                     const char *key, double value)
{
    sig buf = sig_copy(s);
    size_t off = 0;
    int bi = 0;
    while (off < buf.n) {
        size_t len;
        if (blocks[0] < 0) {
            len = 1 + (size_t)((urand() + 1.0) * 0.5 * (double)(-blocks[0]));
            if (len > (size_t)(-blocks[0]))
                len = (size_t)(-blocks[0]);
        } else {
            len = (size_t)blocks[bi];
            bi = blocks[bi + 1] ? bi + 1 : 0;
        }
        if (len > buf.n - off)
            len = buf.n - off;
        if (off < split && off + len > split)
            len = split - off;
        float *ptr[8];
        for (int c = 0; c < s->ch; c++)
            ptr[c] = buf.x[c] + off;
        lathe_fx_process(fx, ptr, len);
        off += len;
        if (off == split && key)
            lathe_fx_set_param(fx, pidx(key), value);
    }
    return buf;
}

static int sig_equal(const sig *a, const sig *b, double *maxdiff)
{
    int same = a->ch == b->ch && a->n == b->n;
    *maxdiff = 0.0;
    for (int c = 0; same && c < a->ch; c++)
        for (size_t i = 0; i < a->n; i++) {
            double d = fabs((double)a->x[c][i] - b->x[c][i]);
            *maxdiff = d > *maxdiff ? d : *maxdiff;
            if (memcmp(&a->x[c][i], &b->x[c][i], sizeof(float)) != 0)
                same = 0;
        }
    return same;
}

/* The same signal in blocks of 1, 64, 4096 and random sizes gives bit-identical
 * output, including an input-gain change at frame 8192 (a glide under way across
 * block edges). */
static void test_blocks(void)
{
    const double rate = 48000.0;
    static const int b1[] = { 1, 0 }, b64[] = { 64, 0 }, b4096[] = { 4096, 0 },
                     bmix[] = { 1, 7, 300, 64, 2, 1023, 0 }, brand[] = { -5000, 0 };
    const int *schemes[] = { b1, b64, bmix, brand };
    const char *names[] = { "1", "64", "1,7,300,64,2,1023", "random 1..5000" };
    for (int kind = 0; kind < 2; kind++) {
        sig in = gen(kind ? S_NOISE : S_MUSIC, rate, sanitized ? 0.5 : 1.5);
        lathe_fx *fx = make(rate, 2, 8192, NULL);
        sig ref = run_split(fx, &in, b4096, 8192, "input_gain_db", 3.0);
        lathe_fx_destroy(fx);
        for (int k = 0; k < 4; k++) {
            fx = make(rate, 2, 8192, NULL);
            sig out = run_split(fx, &in, schemes[k], 8192, "input_gain_db", 3.0);
            lathe_fx_destroy(fx);
            double md;
            int same = sig_equal(&out, &ref, &md);
            CHECK(same, "%s: blocks of %s differ from blocks of 4096 (max |diff| %.3g)",
                  kind ? "noise" : "music", names[k], md);
            sig_free(&out);
        }
        sig_free(&ref);
        sig_free(&in);
    }
}

/* An impulse below the ceiling at frame N comes out at N + latency, unchanged, with
 * silence elsewhere; the latency covers the look-ahead and never changes with the
 * parameters after creation. */
static void test_latency(void)
{
    static const double rates[] = { 44100.0, 48000.0, 96000.0 };
    static const double looks[] = { 0.5, 5.0, 10.0 };
    for (int ri = 0; ri < 3; ri++)
        for (int li = 0; li < 3; li++) {
            const double rate = rates[ri];
            lathe_fx *fx = make(rate, 2, 4096, "lookahead_ms", looks[li], NULL);
            const size_t lat = lathe_fx_latency(fx);
            const size_t look = (size_t)llround(looks[li] * rate / 1000.0);
            CHECK(lat >= look && lat <= look + 32,
                  "latency %zu frames for a look-ahead of %zu frames at %.0f Hz", lat, look, rate);
            sig in = sig_new(2, 8192);
            const size_t at = 1000;
            in.x[0][at] = 0.5f;
            in.x[1][at] = -0.25f;
            sig out = sig_copy(&in);
            float *ptr[2] = { out.x[0], out.x[1] };
            lathe_fx_process(fx, ptr, out.n);
            int clean = 1;
            for (int c = 0; c < 2; c++)
                for (size_t i = 0; i < out.n; i++) {
                    float want = i == at + lat ? in.x[c][at] : 0.0f;
                    if (out.x[c][i] != want)
                        clean = 0;
                }
            CHECK(clean && out.x[0][at + lat] == 0.5f && out.x[1][at + lat] == -0.25f,
                  "impulse at %zu: want 0.5 at %zu exactly (%.0f Hz, look-ahead %.1f ms), got %.9f",
                  at, at + lat, rate, looks[li], (double)out.x[0][at + lat]);
            /* automating every parameter leaves the latency alone */
            for (int p = 0; p < cls->num_params; p++) {
                lathe_fx_set_param(fx, p, cls->params[p].max);
                lathe_fx_set_param(fx, p, cls->params[p].min);
            }
            CHECK(lathe_fx_latency(fx) == lat, "latency changed from %zu to %zu after set_param",
                  lat, lathe_fx_latency(fx));
            lathe_fx_destroy(fx);
            /* and so do the creation-time choices other than the look-ahead */
            fx = make(rate, 2, 4096, "lookahead_ms", looks[li], "oversampling", 4.0, "link", 1.0,
                      "release_mode", 0.0, "hold_ms", 0.0, "ceiling_dbtp", -20.0, NULL);
            CHECK(lathe_fx_latency(fx) == lat, "latency %zu with other settings, want %zu",
                  lathe_fx_latency(fx), lat);
            lathe_fx_destroy(fx);
            if (ri == 1 && li == 1)
                printf("latency at 48 kHz, look-ahead 5 ms: %zu frames\n", lat);
            sig_free(&in);
            sig_free(&out);
        }
}

/* Below the ceiling the output is the input, delayed, bit for bit. */
static void test_transparent(void)
{
    const double rate = 44100.0;
    static const double levels[] = { -3.0, -1.5 };
    for (int li = 0; li < 2; li++)
        for (int variant = 0; variant < 3; variant++) {
            sig in = gen(S_MUSIC, rate, sanitized ? 0.6 : 2.0);
            scale_to_tp(&in, rate, levels[li]);
            lathe_fx *fx = variant == 0 ? make(rate, 2, 4096, NULL)
                         : variant == 1 ? make(rate, 2, 4096, "oversampling", 4.0, "link", 1.0,
                                               NULL)
                                        : make(rate, 2, 4096, "release_mode", 0.0, "hold_ms", 0.0,
                                               "lookahead_ms", 0.5, NULL);
            sig out = run(fx, &in);
            lathe_fx_stats st;
            lathe_fx_get_stats(fx, &st);
            lathe_fx_destroy(fx);
            double md;
            int same = sig_equal(&out, &in, &md);
            CHECK(same, "music at %.1f dBTP (variant %d) not passed bit-exact: max |diff| %.3g",
                  levels[li], variant, md);
            CHECK(st.gr_max_db == 0.0, "gain reduction %.4f dB below the ceiling", st.gr_max_db);
            sig_free(&in);
            sig_free(&out);
        }
    /* a steady sine 0.2 dB under the ceiling */
    sig in = sig_new(2, (size_t)rate);
    const double a = pow(10.0, (CEILING_DB - 0.2) / 20.0);
    for (size_t i = (size_t)(0.01 * rate); i < in.n; i++)
        in.x[0][i] = in.x[1][i] = (float)(a * sin(2 * M_PI * 997.0 * (double)i / rate)
                                           * fmin(1.0, (double)i / (0.02 * rate)));
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    sig out = run(fx, &in);
    lathe_fx_destroy(fx);
    double md;
    CHECK(sig_equal(&out, &in, &md), "sine 0.2 dB under the ceiling changed: max |diff| %.3g", md);
    sig_free(&in);
    sig_free(&out);
}

/* Seconds from frame FROM until the gain OUT/IN (DC signals) is within 1 dB of unity. */
static double recovery_s(const float *in, const float *out, size_t from, size_t n, double rate,
                         double *gr_start)
{
    *gr_start = -db(out[from] / in[from]);
    for (size_t i = from; i < n; i++)
        if (-db(out[i] / in[i]) < 1.0)
            return (double)(i - from) / rate;
    return INFINITY;
}

/* Program-dependent release: after a 5 ms burst the auto mode recovers as fast as the
 * fixed one; after 3 s of limiting it recovers several times more slowly (no
 * pumping), while the fixed mode recovers alike after both. DC makes the gain
 * exactly readable as output / input. */
static void test_release(void)
{
    const double rate = 48000.0, base = 0.1, burst = 2.0, rel_ms = 100.0, hold_ms = 10.0;
    const size_t start = (size_t)(0.2 * rate);
    const size_t n = (size_t)((sanitized ? 5.5 : 6.5) * rate);
    static const double lens[] = { 0.005, 3.0 };
    double rec[2][2], grs[2][2];
    for (int mode = 0; mode < 2; mode++)
        for (int l = 0; l < 2; l++) {
            sig in = sig_new(1, n);
            const size_t end = start + (size_t)(lens[l] * rate);
            for (size_t i = 0; i < n; i++)
                in.x[0][i] = (float)(i >= start && i < end ? burst : base);
            lathe_fx *fx = make(rate, 1, 4096, "release_mode", (double)mode, "release_ms", rel_ms,
                                "hold_ms", hold_ms, NULL);
            sig out = run(fx, &in);
            lathe_fx_destroy(fx);
            rec[mode][l] = recovery_s(in.x[0], out.x[0], end, n, rate, &grs[mode][l]);
            sig_free(&in);
            sig_free(&out);
        }
    printf("release (DC burst %.1f dB over, then far below): time to recover to -1 dB\n",
           db(burst / pow(10.0, CEILING_DB / 20.0)));
    for (int mode = 0; mode < 2; mode++)
        printf("  %-5s: after 5 ms %.0f ms (from %.2f dB), after 3 s %.0f ms (from %.2f dB)\n",
               mode ? "auto" : "fixed", 1000 * rec[mode][0], grs[mode][0], 1000 * rec[mode][1],
               grs[mode][1]);
    /* fixed: hold, then exponential with the release time constant from GR0 to 1 dB */
    for (int l = 0; l < 2; l++) {
        double want = hold_ms / 1000.0 + rel_ms / 1000.0 * log(grs[0][l] / 1.0);
        CHECK(fabs(rec[0][l] - want) <= 0.15 * want + 0.005,
              "fixed release after %.3f s: %.0f ms to -1 dB, want %.0f ms (hold + tau ln GR0)",
              lens[l], 1000 * rec[0][l], 1000 * want);
    }
    CHECK(rec[1][0] <= 1.2 * rec[0][0], "auto release after a short burst %.0f ms, fixed %.0f ms",
          1000 * rec[1][0], 1000 * rec[0][0]);
    CHECK(rec[1][1] >= 3.0 * rec[1][0],
          "auto release after sustained limiting %.0f ms, not >= 3x the short-burst %.0f ms",
          1000 * rec[1][1], 1000 * rec[1][0]);
}

/* input_gain_db glides: a linear ramp of the linear gain over 50 ms, no step. */
static void test_glide(void)
{
    const double rate = 48000.0;
    const size_t n = (size_t)(0.5 * rate), split = 8192;
    sig in = sig_new(1, n);
    for (size_t i = 0; i < n; i++)
        in.x[0][i] = 0.01f;
    static const int b[] = { 4096, 0 };
    lathe_fx *fx = make(rate, 1, 4096, NULL);
    const size_t lat = lathe_fx_latency(fx);
    sig out = run_split(fx, &in, b, split, "input_gain_db", 12.0);
    lathe_fx_destroy(fx);
    const double g1 = pow(10.0, 12.0 / 20.0), ramp = 0.05 * rate;
    double max_step = 0.0;
    size_t first = 0, last = 0;
    int monotonic = 1;
    for (size_t i = lat + 1; i < n; i++) {
        double g = out.x[0][i] / 0.01, gp = out.x[0][i - 1] / 0.01;
        max_step = fmax(max_step, fabs(g - gp));
        if (g < gp - 1e-6)
            monotonic = 0;
        if (!first && g > 1.0 + 1e-5)
            first = i;
        if (g < g1 * (1 - 1e-5))
            last = i;
    }
    CHECK_NEAR((double)(first - lat), (double)split, 1.0, "input gain glide starts at the change");
    CHECK_NEAR((double)(last - first + 1), ramp, 2.0, "input gain glide length (frames)");
    CHECK(max_step <= (g1 - 1.0) / ramp * 1.01, "input gain step %.6f per frame, want <= %.6f",
          max_step, (g1 - 1.0) / ramp * 1.01);
    CHECK(monotonic, "input gain glide not monotonic");
    CHECK_NEAR(out.x[0][n - 1] / 0.01, g1, 1e-5, "input gain after the glide");
    sig_free(&in);
    sig_free(&out);
}

/* The gain curve is smooth: on DC with an 18 dB step up the gain moves at most
 * 2.5 GR / S dB per frame (S = look-ahead frames; a three-box cascade spreads the
 * attack over S + 1 frames), and it is at its floor for the whole burst. */
static void test_smooth(void)
{
    const double rate = 48000.0;
    const size_t n = (size_t)(0.6 * rate), a = (size_t)(0.1 * rate), e = (size_t)(0.12 * rate);
    sig in = sig_new(1, n);
    for (size_t i = 0; i < n; i++)
        in.x[0][i] = i >= a && i < e ? 4.0f : 0.5f;
    lathe_fx *fx = make(rate, 1, 4096, NULL);
    sig out = run(fx, &in);
    lathe_fx_destroy(fx);
    const double look = 0.005 * rate;
    double gr_max = 0.0, step = 0.0;
    for (size_t i = 1; i < n; i++) {
        double g0 = db(out.x[0][i - 1] / in.x[0][i - 1]), g1 = db(out.x[0][i] / in.x[0][i]);
        step = fmax(step, fabs(g1 - g0));
        gr_max = fmax(gr_max, -g1);
    }
    printf("gain curve on a DC burst 0.5 -> 4.0: max %.2f dB reduction, steepest %.4f dB/frame "
           "(S = %.0f frames)\n", gr_max, step, look);
    CHECK(step <= 2.5 * gr_max / look, "gain moves %.4f dB in one frame, want <= %.4f", step,
          2.5 * gr_max / look);
    /* 4.0 is 13.05 dB over the ceiling; the step's overshoot between samples adds up
     * to ~1 dB */
    CHECK(gr_max >= 13.05 && gr_max <= 14.5, "reduction on the burst %.3f dB", gr_max);
    double peak = 0.0;
    for (size_t i = a; i < e; i++)
        peak = fmax(peak, fabs(out.x[0][i]));
    CHECK(peak <= pow(10.0, CEILING_DB / 20.0), "burst output %.4f over the ceiling", peak);
    sig_free(&in);
    sig_free(&out);
}

/* stats(): a steady sine 6 dB over the ceiling is reduced by about 6 dB all along. */
static void test_stats(void)
{
    const double rate = 48000.0;
    sig in = sig_new(2, (size_t)(2.0 * rate));
    for (size_t i = 0; i < in.n; i++)
        in.x[0][i] = in.x[1][i] = (float)(pow(10.0, (CEILING_DB + 6.0) / 20.0)
                                           * sin(2 * M_PI * 1000.0 * (double)i / rate));
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    sig out = run(fx, &in);
    lathe_fx_stats st;
    lathe_fx_get_stats(fx, &st);
    lathe_fx_destroy(fx);
    printf("stats, 1 kHz sine 6 dB over: GR max %.3f dB, mean %.3f dB, active %.1f %%\n",
           st.gr_max_db, st.gr_mean_db, st.gr_active_percent);
    CHECK_RANGE(st.gr_max_db, 6.0, 6.15, "stats gr_max_db");
    CHECK_RANGE(st.gr_mean_db, 5.8, 6.15, "stats gr_mean_db");
    CHECK_RANGE(st.gr_active_percent, 97.0, 100.0, "stats gr_active_percent");
    sig_free(&in);
    sig_free(&out);
}

/* link: linked applies the loud channel's gain to both; independent leaves the quiet
 * channel untouched and the loud one as in linked mode. */
static void test_link(void)
{
    const double rate = 48000.0;
    sig in = sig_new(2, (size_t)(1.0 * rate));
    for (size_t i = 0; i < in.n; i++) {
        double t = (double)i / rate;
        in.x[0][i] = (float)(pow(10.0, (CEILING_DB + 6.0) / 20.0) * sin(2 * M_PI * 1000.0 * t));
        in.x[1][i] = (float)(0.1 * sin(2 * M_PI * 440.0 * t));
    }
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    sig lk = run(fx, &in);
    lathe_fx_destroy(fx);
    fx = make(rate, 2, 4096, "link", 1.0, NULL);
    sig ind = run(fx, &in);
    lathe_fx_destroy(fx);
    double md;
    sig r_in = { 1, in.n, { in.x[1] } }, r_ind = { 1, in.n, { ind.x[1] } };
    sig l_lk = { 1, in.n, { lk.x[0] } }, l_ind = { 1, in.n, { ind.x[0] } };
    CHECK(sig_equal(&r_ind, &r_in, &md), "independent: quiet channel changed (max |diff| %.3g)",
          md);
    CHECK(sig_equal(&l_ind, &l_lk, &md), "loud channel differs between modes (max |diff| %.3g)",
          md);
    double e_in = 0, e_out = 0;
    for (size_t i = in.n / 2; i < in.n; i++) {
        e_in += (double)in.x[1][i] * in.x[1][i];
        e_out += (double)lk.x[1][i] * lk.x[1][i];
    }
    double g = 10 * log10(e_out / e_in);
    CHECK_RANGE(g, -6.15, -6.0, "linked: gain on the quiet channel (dB)");
    sig_free(&in);
    sig_free(&lk);
    sig_free(&ind);
}

/* Switching between linked and independent while limiting: the gain keeps what each
 * channel still needed (linked takes over both channels' pending reduction), so the
 * ceiling holds through every switch (libebur128), and switching back and forth leaves
 * the channels' own limiting intact. */
static void test_link_switch(void)
{
    const double rate = 44100.0, ceiling = pow(10.0, CEILING_DB / 20.0);
    sig in = sig_new(2, (size_t)((sanitized ? 0.5 : 2.0) * rate));
    for (size_t i = 0; i < in.n; i++) {
        /* bursts 6-12 dB over the ceiling, alternating between the channels */
        double t = (double)i / rate, ph = fmod(t, 0.05);
        int which = (int)(t / 0.05) % 2;
        double burst = ph < 0.02 ? 4.0 : 0.3;
        in.x[which][i] = (float)(burst * square((double)i, 997.0, rate, 1.0, 0.0));
        in.x[1 - which][i] = (float)(0.3 * urand());
    }
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    const int link_id = pidx("link");
    const size_t lat = lathe_fx_latency(fx);
    sig buf = sig_new(2, in.n + lat);
    for (int c = 0; c < 2; c++)
        memcpy(buf.x[c], in.x[c], sizeof(float) * in.n);
    int mode = 0, switches = 0;
    for (size_t off = 0; off < buf.n;) {
        size_t len = 331 + (size_t)((urand() + 1.0) * 400.0);
        len = len > buf.n - off ? buf.n - off : len;
        float *ptr[2] = { buf.x[0] + off, buf.x[1] + off };
        lathe_fx_process(fx, ptr, len);
        off += len;
        mode = !mode;
        lathe_fx_set_param(fx, link_id, (double)mode);
        switches++;
    }
    lathe_fx_destroy(fx);
    sig out = sig_new(2, in.n);
    for (int c = 0; c < 2; c++)
        memcpy(out.x[c], buf.x[c] + lat, sizeof(float) * in.n);
    double over = db(tp_ebur128(&out, rate) / ceiling);
    printf("link switched %d times while limiting: true peak %+.4f dB re the ceiling (libebur128)\n",
           switches, over);
    CHECK(over <= 0.0, "link switching: true peak %+.4f dB over the ceiling", over);
    sig_free(&in);
    sig_free(&buf);
    sig_free(&out);
}

/* Channel counts 1 and 8, 4x oversampling, short look-ahead: every channel stays under. */
static void test_channels(void)
{
    const double rate = 44100.0;
    for (int ch = 1; ch <= 8; ch += 7) {
        sig in = sig_new(ch, (size_t)((sanitized ? 0.4 : 1.0) * rate));
        for (int c = 0; c < ch; c++)
            for (size_t i = (size_t)(0.02 * rate); i < in.n - (size_t)(0.05 * rate); i++)
                in.x[c][i] = (float)((1.0 + c) * urand());
        static const double looks[] = { 0.5, 10.0 };
        for (int v = 0; v < 2; v++) {
            lathe_fx *fx = make(rate, ch, 1000, "oversampling", 4.0 + v, "link", (double)v,
                                "lookahead_ms", looks[v], NULL);
            sig out = run(fx, &in);
            lathe_fx_destroy(fx);
            for (int c = 0; c < ch; c++) {
                sig one = { 1, out.n, { out.x[c] } };
                double tp = db(tp_ebur128(&one, rate));
                CHECK(tp <= CEILING_DB, "%d channels, channel %d: %.4f dBTP", ch, c, tp);
            }
            sig_free(&out);
        }
        sig_free(&in);
    }
}

/* Non-finite input is replaced by silence, absurd values clipped; the output stays
 * finite and under the ceiling. */
static void test_nonfinite(void)
{
    const double rate = 48000.0;
    sig in = gen(S_MUSIC, rate, 0.5);
    for (size_t i = 1000; i + 400 < in.n; i += 997) {
        in.x[0][i] = NAN;
        in.x[1][i] = (i / 997) % 2 ? INFINITY : -INFINITY;
        in.x[0][i + 400] = (i / 997) % 2 ? 1e30f : -3.4e38f;
    }
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    sig out = run(fx, &in);
    lathe_fx_destroy(fx);
    int finite = 1;
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < out.n; i++)
            finite &= isfinite(out.x[c][i]);
    CHECK(finite, "non-finite input gave non-finite output");
    CHECK(db(tp_ebur128(&out, rate)) <= CEILING_DB, "non-finite input: output over the ceiling");
    sig_free(&in);
    sig_free(&out);
}

/* reset() forgets everything: a reset instance equals a new one. */
static void test_reset(void)
{
    const double rate = 48000.0;
    sig noise = gen(S_NOISE, rate, 0.5), music = gen(S_MUSIC, rate, 0.5);
    lathe_fx *a = make(rate, 2, 4096, NULL), *b = make(rate, 2, 4096, NULL);
    sig junk = run(a, &noise);
    lathe_fx_reset(a);
    sig oa = run(a, &music), ob = run(b, &music);
    lathe_fx_stats sa, sb;
    lathe_fx_get_stats(a, &sa);
    lathe_fx_get_stats(b, &sb);
    double md;
    CHECK(sig_equal(&oa, &ob, &md), "after reset the output differs (max |diff| %.3g)", md);
    CHECK(sa.gr_max_db == sb.gr_max_db && sa.gr_mean_db == sb.gr_mean_db,
          "stats after reset: max %.3f mean %.3f, fresh %.3f %.3f", sa.gr_max_db, sa.gr_mean_db,
          sb.gr_max_db, sb.gr_mean_db);
    lathe_fx_destroy(a);
    lathe_fx_destroy(b);
    sig_free(&noise);
    sig_free(&music);
    sig_free(&junk);
    sig_free(&oa);
    sig_free(&ob);
}

/* Lowering the ceiling mid-stream from -1 to -6 dBTP: the output obeys the old ceiling
 * before and the new one from latency + 50 ms on, with no overs during the glide
 * against the old one. */
static void test_ceiling_change(void)
{
    const double rate = 48000.0;
    sig in = gen(S_MUSIC, rate, sanitized ? 0.8 : 1.5);
    const size_t split = 24000;
    static const int b[] = { 512, 0 };
    lathe_fx *fx = make(rate, 2, 4096, NULL);
    const size_t lat = lathe_fx_latency(fx);
    sig out = run_split(fx, &in, b, split, "ceiling_dbtp", -6.0);
    lathe_fx_destroy(fx);
    const size_t settle = split + lat + (size_t)(0.05 * rate) + 64;
    /* the two stretches, with 5 ms raised-cosine fades at the cut ends so the meter sees
     * no step there (a cut mid-signal would ring between samples) */
    const size_t fade = (size_t)(0.005 * rate);
    sig head = sig_new(2, settle), tail = sig_new(2, out.n - settle);
    for (int c = 0; c < 2; c++) {
        memcpy(head.x[c], out.x[c], sizeof(float) * head.n);
        memcpy(tail.x[c], out.x[c] + settle, sizeof(float) * tail.n);
        for (size_t i = 0; i < fade; i++) {
            float w = (float)(0.5 - 0.5 * cos(M_PI * (double)i / (double)fade));
            head.x[c][head.n - 1 - i] *= w;
            tail.x[c][i] *= w;
        }
    }
    double tp_head = db(tp_ebur128(&head, rate)), tp_tail = db(tp_ebur128(&tail, rate));
    sig_free(&head);
    sig_free(&tail);
    printf("ceiling -1 -> -6 dBTP mid-stream: before %.3f dBTP, after %.3f dBTP\n", tp_head,
           tp_tail);
    CHECK(tp_head <= -1.0, "before the change: %.3f dBTP", tp_head);
    CHECK(tp_tail <= -6.0, "after the change: %.3f dBTP", tp_tail);
    CHECK(tp_tail >= -6.5, "after the change: %.3f dBTP, far under -6", tp_tail);
    sig_free(&in);
    sig_free(&out);
}

static void test_table(void)
{
    for (int i = 0; i < cls->num_params; i++) {
        const lathe_param_desc *d = &cls->params[i];
        CHECK(lathe_param_check(d, d->def) == LATHE_OK, "default of %s out of range", d->key);
        CHECK(d->description && strlen(d->description) > 10, "%s lacks a description", d->key);
    }
    CHECK(lathe_param_choice(&cls->params[pidx("release_mode")], "auto") == 1, "release_mode auto");
    CHECK(lathe_param_choice(&cls->params[pidx("link")], "independent") == 1, "link independent");
    CHECK(cls->params[pidx("ceiling_dbtp")].def == -1.0, "default ceiling -1 dBTP");
}

/* THD+N of X[0 .. n) at RATE against tones F1 and F2: least-squares fit of DC and
 * cos/sin at each frequency, residual power over signal power, in dB. */
static double thdn_db(const float *x, size_t n, double rate, double f1, double f2)
{
    enum { NB = 5 };
    double ata[NB][NB] = { { 0 } }, atb[NB] = { 0 };
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, b[NB];
        b[0] = 1.0;
        b[1] = cos(2 * M_PI * f1 * t);
        b[2] = sin(2 * M_PI * f1 * t);
        b[3] = cos(2 * M_PI * f2 * t);
        b[4] = sin(2 * M_PI * f2 * t);
        for (int r = 0; r < NB; r++) {
            atb[r] += b[r] * x[i];
            for (int c = 0; c < NB; c++)
                ata[r][c] += b[r] * b[c];
        }
    }
    /* Gauss-Jordan elimination with partial pivoting */
    double coef[NB];
    for (int col = 0; col < NB; col++) {
        int piv = col;
        for (int r = col + 1; r < NB; r++)
            if (fabs(ata[r][col]) > fabs(ata[piv][col]))
                piv = r;
        for (int c = 0; c < NB; c++) {
            double tmp = ata[col][c];
            ata[col][c] = ata[piv][c];
            ata[piv][c] = tmp;
        }
        double tmp = atb[col];
        atb[col] = atb[piv];
        atb[piv] = tmp;
        for (int r = 0; r < NB; r++) {
            if (r == col)
                continue;
            double m = ata[r][col] / ata[col][col];
            for (int c = 0; c < NB; c++)
                ata[r][c] -= m * ata[col][c];
            atb[r] -= m * atb[col];
        }
    }
    for (int r = 0; r < NB; r++)
        coef[r] = atb[r] / ata[r][r];
    double res = 0.0, pow_sig = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double fit = coef[0] + coef[1] * cos(2 * M_PI * f1 * t) + coef[2] * sin(2 * M_PI * f1 * t)
                   + coef[3] * cos(2 * M_PI * f2 * t) + coef[4] * sin(2 * M_PI * f2 * t);
        res += (x[i] - fit) * (x[i] - fit);
        pow_sig += (double)x[i] * x[i];
    }
    return 10.0 * log10(res / pow_sig);
}

/* Runs ffmpeg's alimiter (sample-peak limiter, attack 5 ms, release 50 ms, no
 * auto-levelling) on mono X at LIMIT; returns the output in OUT (n frames). */
static int run_alimiter(const float *x, size_t n, double rate, double limit, float *out)
{
    char in_path[512], out_path[512], cmd[1600];
    snprintf(in_path, sizeof in_path, "%s/alim_in.wav", tmpdir);
    snprintf(out_path, sizeof out_path, "%s/alim_out.wav", tmpdir);
    sig s = { 1, n, { (float *)x } };
    if (write_wav(in_path, &s, rate))
        return -1;
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -loglevel error -y -i '%s' -af "
             "alimiter=limit=%.6f:level=0 -c:a pcm_f32le '%s'",
             in_path, limit, out_path);
    if (system(cmd) != 0)
        return -1;
    sig o;
    if (read_wav(out_path, &o))
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = i < o.n ? o.x[0][i] : 0.0f;
    sig_free(&o);
    return 0;
}

/* The two-tone THD+N requirement: 60 Hz + 1 kHz at 4:1, true peak 6 dB above the
 * -1 dBTP ceiling, default settings; measured over a steady-state stretch. */
static void test_thd(void)
{
    const double rate = 44100.0, secs = sanitized ? 4.0 : 8.0;
    const double f1 = 60.0, f2 = 1000.0;
    sig in = sig_new(1, (size_t)(secs * rate));
    double pk = 0.0;    /* analytic peak of 0.8 sin + 0.2 sin over the common period */
    for (size_t i = 0; i < in.n; i++) {
        double t = (double)i / rate;
        in.x[0][i] = (float)(0.8 * sin(2 * M_PI * f1 * t) + 0.2 * sin(2 * M_PI * f2 * t));
    }
    for (int i = 0; i < 1000000; i++) {
        double t = i / 1000000.0 * 0.05;   /* 50 ms = lcm of the periods */
        double v = fabs(0.8 * sin(2 * M_PI * f1 * t) + 0.2 * sin(2 * M_PI * f2 * t));
        pk = v > pk ? v : pk;
    }
    const double g = pow(10.0, (CEILING_DB + 6.0) / 20.0) / pk;
    for (size_t i = 0; i < in.n; i++)
        in.x[0][i] = (float)(in.x[0][i] * g);
    printf("THD+N: 60 Hz + 1 kHz (4:1), true peak %+.2f dBTP (libebur128), ceiling %.1f dBTP\n",
           db(tp_ebur128(&in, rate)), CEILING_DB);
    lathe_fx *fx = make(rate, 1, 4096, NULL);
    sig out = run(fx, &in);
    lathe_fx_destroy(fx);
    /* steady state: the last 2 s but 0.1 s */
    const size_t len = (size_t)(2.0 * rate), start = in.n - len - (size_t)(0.1 * rate);
    const double ours = thdn_db(out.x[0] + start, len, rate, f1, f2);
    const double input = thdn_db(in.x[0] + start, len, rate, f1, f2);
    const double out_tp = db(tp_ebur128(&out, rate));
    printf("  lathe limiter (defaults): THD+N %.1f dB, output true peak %.2f dBTP "
           "(input %.1f dB)\n", ours, out_tp, input);
    CHECK(ours <= -50.0, "THD+N of the limited two-tone: %.1f dB, want <= -50 dB", ours);
    /* for the record: what the hold and the program-dependent release contribute */
    static const struct { double hold; int mode; double rel; } var[] = {
        { 0.0, 0, 100.0 }, { 0.0, 1, 100.0 }, { 10.0, 0, 100.0 }, { 0.0, 0, 1000.0 },
    };
    for (size_t v = 0; v < sizeof var / sizeof var[0] && !sanitized; v++) {
        lathe_fx *fv = make(rate, 1, 4096, "hold_ms", var[v].hold, "release_mode",
                            (double)var[v].mode, "release_ms", var[v].rel, NULL);
        sig ov = run(fv, &in);
        lathe_fx_destroy(fv);
        printf("  hold %2.0f ms, release %s %4.0f ms: THD+N %.1f dB\n", var[v].hold,
               var[v].mode ? "auto " : "fixed", var[v].rel,
               thdn_db(ov.x[0] + start, len, rate, f1, f2));
        sig_free(&ov);
    }
    CHECK(out_tp <= CEILING_DB && out_tp >= CEILING_DB - 0.5,
          "two-tone output true peak %.2f dBTP", out_tp);
    if (have_ffmpeg) {
        float *alim = malloc(sizeof(float) * in.n);
        if (run_alimiter(in.x[0], in.n, rate, pow(10.0, CEILING_DB / 20.0), alim) == 0) {
            double a = thdn_db(alim + start, len, rate, f1, f2);
            printf("  ffmpeg alimiter (limit %.1f dBFS, sample peak): THD+N %.1f dB\n",
                   CEILING_DB, a);
        } else {
            printf("  ffmpeg alimiter failed\n");
        }
        free(alim);
    }
    sig_free(&in);
    sig_free(&out);
}

int main(void)
{
    sanitized = getenv("LATHE_SANITIZED") && atoi(getenv("LATHE_SANITIZED")) == 1;
    have_ffmpeg = system("command -v ffmpeg >/dev/null 2>&1") == 0;
    cls = &lathe_fx_limiter;
    CHECK(lathe_fx_class_find("limiter") == cls, "limiter class registered");
    const char *td = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lathe-limiter.XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    if (!have_ffmpeg)
        printf("note: ffmpeg not found, its checks are skipped (scripts/deps.sh installs it)\n");

    test_ceiling();
    test_ceiling_extremes();
    test_table();
    test_thd();
    test_blocks();
    test_latency();
    test_transparent();
    test_release();
    test_glide();
    test_smooth();
    test_stats();
    test_link();
    test_link_switch();
    test_channels();
    test_nonfinite();
    test_reset();
    test_ceiling_change();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
