/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The spectrum meter's per-bin powers against a direct DFT in double precision. */
/* The meter computes its real transforms as complex ones of half the length and
 * recombines them (src/meter/spectrum.c); here every bin of the Welch spectrum is read out
 * as a band one bin wide and compared with the definition, P[k] = 2 sum_frames |X[k]|^2 /
 * (N sum w^2 frames), X evaluated term by term (sum_n x[n] e^{-2 pi i n k / N}, no FFT)
 * from the same windowed single-precision samples. Single-precision transforms are good
 * to ~1e-6 of a bin here; a wrong recombination is off by its whole size. Checked: mid and side of a stereo pair,
 * plain channels with one left out, the smallest frame (256), a stream shorter than one
 * frame (zero-padded, scaled to the samples present), blocks that split frames anywhere,
 * and the 4-lane recombination giving the same bits as the one chosen for this CPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "meter/spectrum.h"
#include "testutil.h"

#define MAXCH 3

typedef struct sig {
    int rate, channels, stereo_ms;
    int include[MAXCH];
    size_t frames;
    float *ch[MAXCH];
} sig;

/* White noise, so that every bin holds power of the same order and a wrong bin stands
 * out; channel c > 0 shares part of channel 0 (mid and side differ) at its own level. */
static void sig_fill(sig *s, uint64_t seed)
{
    uint64_t st = seed;
    for (int c = 0; c < s->channels; c++) {
        s->ch[c] = malloc(sizeof(float) * s->frames);
        for (size_t i = 0; i < s->frames; i++)
            s->ch[c][i] = (float)((0.5 - 0.1 * c) * test_rand_pm1(&st)
                                  + (c ? 0.3 * s->ch[0][i] : 0.0));
    }
}

static void sig_free(sig *s)
{
    for (int c = 0; c < s->channels; c++)
        free(s->ch[c]);
}

static int frame_len(int rate)
{
    /* the power of two nearest rate / 5 (spectrum.c's definition, from 256 up) */
    int n = 256;
    while (fabs(log2(2.0 * n) - log2(rate / 5.0)) < fabs(log2((double)n) - log2(rate / 5.0)))
        n *= 2;
    return n;
}

/* The reference: per stream the sum over frames of |X[k]|^2 (k = 0 .. N/2) into REF,
 * and the normalisation 2 / (N sum w^2 frames), with the padded short frame's scale. */
static void reference(const sig *s, int n, double *ref[MAXCH], double *norm)
{
    const int nb = n / 2 + 1;
    double *cs = malloc(sizeof(double) * (size_t)n), *sn = malloc(sizeof(double) * (size_t)n);
    float *w = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    double sw2 = 0.0;
    for (int j = 0; j < n; j++) {
        cs[j] = cos(2.0 * M_PI * j / n);
        sn[j] = sin(2.0 * M_PI * j / n);
        double h = 0.5 * (1.0 - cs[j]);         /* periodic Hann */
        w[j] = (float)h;
        sw2 += h * h;
    }
    size_t full = s->frames / (size_t)n, count = full ? full : 1;
    double scale = full ? 1.0 : (double)n / (double)s->frames;
    const int streams = s->stereo_ms ? 2 : s->channels;
    for (int st = 0; st < streams; st++) {
        ref[st] = calloc((size_t)nb, sizeof(double));
        for (size_t f = 0; f < count; f++) {
            for (int i = 0; i < n; i++) {
                size_t at = f * (size_t)n + (size_t)i;
                float v = 0.0f;
                if (at < s->frames) {
                    if (s->stereo_ms)   /* mid and side as the meter forms them, in float */
                        v = st == 0 ? 0.5f * (s->ch[0][at] + s->ch[1][at])
                                    : 0.5f * (s->ch[0][at] - s->ch[1][at]);
                    else
                        v = s->ch[st][at];
                }
                y[i] = w[i] * v;
            }
            for (int k = 0; k < nb; k++) {
                double re = 0.0, im = 0.0;
                size_t idx = 0;                  /* n k mod N */
                for (int i = 0; i < n; i++) {
                    re += y[i] * cs[idx];
                    im -= y[i] * sn[idx];
                    idx += (size_t)k;
                    if (idx >= (size_t)n)
                        idx -= (size_t)n;
                }
                ref[st][k] += scale * (re * re + im * im);
            }
        }
    }
    *norm = 2.0 / ((double)n * sw2 * (double)count);
    free(cs);
    free(sn);
    free(w);
    free(y);
}

/* Runs the meter over S in blocks of BLOCK frames, with LANES (0 or 4); per-bin powers
 * (bands one bin wide) into TOTAL, MID, SIDE (nb each). */
static void run(const sig *s, size_t block, int lanes, int n, double *total, double *mid,
                double *side)
{
    const int nb = n / 2 + 1;
    lathe_spectrum_meter *m = NULL;
    CHECK(lathe_spectrum_create(s->rate, s->channels, s->stereo_ms, s->include, &m) == LATHE_OK,
          "create");
    if (!m)
        return;
    lathe_spectrum_set_lanes(m, lanes);
    for (size_t at = 0; at < s->frames; at += block) {
        size_t k = s->frames - at < block ? s->frames - at : block;
        const float *p[MAXCH];
        for (int c = 0; c < s->channels; c++)
            p[c] = s->ch[c] + at;
        lathe_spectrum_process(m, p, k);
    }
    double *lo = malloc(sizeof(double) * (size_t)nb), *hi = malloc(sizeof(double) * (size_t)nb);
    const double df = (double)s->rate / n;
    for (int k = 0; k < nb; k++) {
        lo[k] = (k - 0.5) * df;
        hi[k] = (k + 0.5) * df;
    }
    lathe_spectrum_bands(m, lo, hi, nb, total, mid, side);
    free(lo);
    free(hi);
    lathe_spectrum_destroy(m);
}

/* Largest |got - want| over the bins, relative to want + 1e-3 of the mean bin (a float
 * transform's errors scale with the frame's energy, not the bin's, and noise leaves a few
 * bins nearly empty). */
static double worst(const double *got, const double *want, int nb, int *at)
{
    double mean = 0.0, e = 0.0;
    for (int k = 0; k < nb; k++)
        mean += want[k] / nb;
    *at = -1;
    for (int k = 0; k < nb; k++) {
        double r = fabs(got[k] - want[k]) / (want[k] + 1e-3 * mean);
        if (!(r <= e)) {
            e = r;
            *at = k;
        }
    }
    return e;
}

static void check_case(const char *name, sig *s, size_t block)
{
    const int n = frame_len(s->rate), nb = n / 2 + 1;
    double *ref[MAXCH] = { NULL }, norm = 0.0;
    reference(s, n, ref, &norm);
    const int streams = s->stereo_ms ? 2 : s->channels;
    double *want[MAXCH];
    for (int st = 0; st < streams; st++) {
        want[st] = malloc(sizeof(double) * (size_t)nb);
        for (int k = 0; k < nb; k++)
            want[st][k] = norm * ref[st][k];
    }
    double *got[2][3];
    for (int v = 0; v < 2; v++)
        for (int j = 0; j < 3; j++)
            got[v][j] = malloc(sizeof(double) * (size_t)nb);
    run(s, block, 0, n, got[0][0], got[0][1], got[0][2]);
    run(s, block, 4, n, got[1][0], got[1][1], got[1][2]);

    int at;
    if (s->stereo_ms) {
        double em = worst(got[0][1], want[0], nb, &at);
        printf("%s: mid %d bins, worst relative error %.3g (bin %d)\n", name, nb, em, at);
        CHECK(em < 1e-4, "%s: mid bin %d off by %.3g (got %.9g, want %.9g)", name, at, em,
              at >= 0 ? got[0][1][at] : NAN, at >= 0 ? want[0][at] : NAN);
        double es = worst(got[0][2], want[1], nb, &at);
        printf("%s: side worst relative error %.3g (bin %d)\n", name, es, at);
        CHECK(es < 1e-4, "%s: side bin %d off by %.3g (got %.9g, want %.9g)", name, at, es,
              at >= 0 ? got[0][2][at] : NAN, at >= 0 ? want[1][at] : NAN);
        /* total = mid + side, bin by bin */
        double et = 0.0;
        for (int k = 0; k < nb; k++)
            et = fmax(et, fabs(got[0][0][k] - (got[0][1][k] + got[0][2][k])));
        CHECK(et == 0.0, "%s: total != mid + side (%.3g)", name, et);
    } else {
        int used = 0;
        double *mean = calloc((size_t)nb, sizeof(double));
        for (int st = 0; st < streams; st++)
            if (s->include[st]) {
                used++;
                for (int k = 0; k < nb; k++)
                    mean[k] += want[st][k];
            }
        for (int k = 0; k < nb; k++)
            mean[k] /= used;
        double e = worst(got[0][0], mean, nb, &at);
        printf("%s: total (mean of %d channels) %d bins, worst relative error %.3g (bin %d)\n",
               name, used, nb, e, at);
        CHECK(e < 1e-4, "%s: bin %d off by %.3g (got %.9g, want %.9g)", name, at, e,
              at >= 0 ? got[0][0][at] : NAN, at >= 0 ? mean[at] : NAN);
        CHECK(isnan(got[0][1][0]) && isnan(got[0][2][0]), "%s: mid/side NAN without mid/side",
              name);
        free(mean);
    }
    int same = 1;
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < nb; k++)
            if (memcmp(&got[0][j][k], &got[1][j][k], sizeof(double)))
                same = 0;
    CHECK(same, "%s: the 4-lane recombination differs from the default one", name);

    for (int v = 0; v < 2; v++)
        for (int j = 0; j < 3; j++)
            free(got[v][j]);
    for (int st = 0; st < streams; st++) {
        free(ref[st]);
        free(want[st]);
    }
}

int main(void)
{
    {   /* stereo at 44.1 kHz: N = 8192, two frames and a partial one (left out) */
        sig s = { 44100, 2, 1, { 1, 1 }, 2 * 8192 + 3001, { NULL } };
        sig_fill(&s, 0x1234567u);
        check_case("stereo 44.1 kHz, mid/side", &s, 1000);
        sig_free(&s);
    }
    {   /* the smallest frame: 1 kHz -> N = 256, five frames, blocks of 77 */
        sig s = { 1000, 1, 0, { 1 }, 5 * 256 + 100, { NULL } };
        sig_fill(&s, 0x9abcdefu);
        check_case("mono 1 kHz (N = 256)", &s, 77);
        sig_free(&s);
    }
    {   /* three channels at 48 kHz (N = 8192), the middle one left out, one frame */
        sig s = { 48000, 3, 0, { 1, 0, 1 }, 8192, { NULL } };
        sig_fill(&s, 0x5555aaaau);
        check_case("3 channels 48 kHz, one left out", &s, 4096);
        sig_free(&s);
    }
    {   /* shorter than one frame: zero-padded and scaled by N / samples */
        sig s = { 44100, 2, 1, { 1, 1 }, 3000, { NULL } };
        sig_fill(&s, 0x777u);
        check_case("stereo 3000 samples (padded)", &s, 512);
        sig_free(&s);
    }
    return test_summary();
}
