/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EBU Tech 3341 (V3 2016 / V4 2023) minimum-requirements tests, Table 1, cases 1-23.
 *
 * Every signal is synthesised here from the definition in Table 1 (48 kHz, as the
 * EBU test set): 1 kHz sines at a per-channel peak level, concatenated with the
 * sine's phase running on. Expected values and tolerances are those of Table 1:
 * M, S, I within +/-0.1 LU; true peak within +0.2/-0.4 dB.
 *
 * Not synthesisable: cases 7 and 8 are authentic programme excerpts (recordings);
 * they are covered in spirit by test_ebur128_agreement.c (music-like signals
 * against libebur128) and by test_ebu3342.c's level-ramp stand-ins.
 *
 * Our max momentary / short-term count only complete windows; the 'live' cases
 * 11 and 14 are read as successive readings of one continuous measurement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/analysis.h"
#include "testutil.h"
#include "meter_signals.h"

#define RATE 48000
#define TOL_LU 0.1

/* Checks every complete (non-NAN) value of a series from index FROM on. */
static void check_series(const char *what, const float *v, size_t from, size_t n, double want,
                         double tol)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    size_t bad = 0, used = 0;
    for (size_t i = from; i < n; i++) {
        if (isnan(v[i]))
            continue;
        used++;
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
        if (!(fabs(v[i] - want) <= tol))
            bad++;
    }
    printf("  %s: %zu values in [%.3f, %.3f] (spec %.1f +/- %.1f)\n", what, used, lo, hi, want,
           tol);
    CHECK(used > 0 && bad == 0, "%s: %zu of %zu values outside %.1f +/- %.1f (range %.3f..%.3f)",
          what, bad, used, want, tol, lo, hi);
}

static void analyze_or_fail(const sig *s, int loudness_only, lathe_analysis *a)
{
    lathe_analysis_config cfg = test_config(loudness_only);
    lathe_status st = analyze_sig(s, &cfg, NULL, a);
    CHECK(st == LATHE_OK, "analyze: %s", lathe_status_str(st));
    if (st != LATHE_OK)
        memset(a, 0, sizeof *a);
}

/* Cases 1 and 2: stereo 1 kHz at LEVEL dBFS, 20 s: M, S, I = LEVEL. Also through a
 * 24-bit WAV file (as the EBU set ships them) when DIR is given. */
static void case_steady(int no, double level, const char *dir)
{
    tone_seq t;
    lathe_analysis a;
    char what[64];

    tone_seq_init(&t, RATE, 2, 1000.0, 20.0);
    tone_seq_add(&t, 20.0, level);
    analyze_or_fail(t.s, 1, &a);
    printf("case %d: I %.3f, max M %.3f, max S %.3f LUFS (spec %.1f +/- 0.1)\n", no,
           a.integrated_lufs, a.max_momentary_lufs, a.max_short_term_lufs, level);
    snprintf(what, sizeof what, "3341 #%d I", no);
    CHECK_NEAR(a.integrated_lufs, level, TOL_LU, what);
    snprintf(what, sizeof what, "3341 #%d max M", no);
    CHECK_NEAR(a.max_momentary_lufs, level, TOL_LU, what);
    snprintf(what, sizeof what, "3341 #%d max S", no);
    CHECK_NEAR(a.max_short_term_lufs, level, TOL_LU, what);
    snprintf(what, sizeof what, "3341 #%d M series", no);
    check_series(what, a.momentary_lufs, 0, a.series_count, level, TOL_LU);
    snprintf(what, sizeof what, "3341 #%d S series", no);
    check_series(what, a.short_term_lufs, 0, a.series_count, level, TOL_LU);
    lathe_analysis_free(&a);

    if (dir) {
        char path[512];
        char err[256] = "";
        lathe_analysis_config cfg = test_config(1);
        snprintf(path, sizeof path, "%s/seq-3341-%d-24bit.wav", dir, no);
        CHECK(write_wav(path, t.s, SF_FORMAT_PCM_24) == 0, "write %s", path);
        lathe_status st = lathe_analyze_file(path, &cfg, &a, err, sizeof err, NULL, NULL);
        CHECK(st == LATHE_OK, "analyze file: %s (%s)", lathe_status_str(st), err);
        printf("case %d (24-bit WAV): I %.3f, max M %.3f, max S %.3f LUFS\n", no,
               a.integrated_lufs, a.max_momentary_lufs, a.max_short_term_lufs);
        snprintf(what, sizeof what, "3341 #%d file I", no);
        CHECK_NEAR(a.integrated_lufs, level, TOL_LU, what);
        snprintf(what, sizeof what, "3341 #%d file max M", no);
        CHECK_NEAR(a.max_momentary_lufs, level, TOL_LU, what);
        lathe_analysis_free(&a);
        unlink(path);
    }
    sig_free(t.s);
}

/* Cases 3-5: tone sequences whose gated integrated loudness is -23 LUFS. */
static void case_gating(int no, int segs, const double *secs, const double *levels, int rate)
{
    double total = 0.0;
    tone_seq t;
    lathe_analysis a;
    char what[64];

    for (int k = 0; k < segs; k++)
        total += secs[k];
    tone_seq_init(&t, rate, 2, 1000.0, total);
    for (int k = 0; k < segs; k++)
        tone_seq_add(&t, secs[k], levels[k]);
    analyze_or_fail(t.s, 1, &a);
    printf("case %d @ %d Hz: I %.3f LUFS (spec -23.0 +/- 0.1)\n", no, rate, a.integrated_lufs);
    snprintf(what, sizeof what, "3341 #%d I at %d Hz", no, rate);
    CHECK_NEAR(a.integrated_lufs, -23.0, TOL_LU, what);
    lathe_analysis_free(&a);
    sig_free(t.s);
}

/* Case 6: 5.0 (L R C Ls Rs), L/R -28, C -24, Ls/Rs -30 dBFS, 20 s: I = -23. The
 * surround channels carry the BS.1770 weight 1.41. Also as 5.1 with a silent LFE,
 * like the test set's seq-3341-6-6channels file. */
static void case_surround(void)
{
    const double db5[5] = { -28.0, -28.0, -24.0, -30.0, -30.0 };
    const double db6[6] = { -28.0, -28.0, -24.0, -INFINITY, -30.0, -30.0 };
    for (int v = 0; v < 2; v++) {
        tone_seq t;
        lathe_analysis a;
        tone_seq_init(&t, RATE, v ? 6 : 5, 1000.0, 20.0);
        tone_seq_add_ch(&t, 20.0, v ? db6 : db5);
        analyze_or_fail(t.s, 1, &a);
        printf("case 6 (%s): I %.3f LUFS (spec -23.0 +/- 0.1)\n", v ? "5.1" : "5.0",
               a.integrated_lufs);
        CHECK_NEAR(a.integrated_lufs, -23.0, TOL_LU, v ? "3341 #6 (5.1) I" : "3341 #6 I");
        lathe_analysis_free(&a);
        sig_free(t.s);
    }
}

/* Case 9: (1.34 s at -20, 1.66 s at -30) x 5: S = -23 constant after 3 s.
 * Case 12: (0.18 s at -20, 0.22 s at -30) x 25: M = -23 constant after 1 s. */
static void case_constant(int no, double hi_s, double lo_s, int reps, int shortterm)
{
    tone_seq t;
    lathe_analysis a;
    char what[64];

    tone_seq_init(&t, RATE, 2, 1000.0, (hi_s + lo_s) * reps);
    for (int k = 0; k < reps; k++) {
        tone_seq_add(&t, hi_s, -20.0);
        tone_seq_add(&t, lo_s, -30.0);
    }
    analyze_or_fail(t.s, 1, &a);
    /* Series value i is the window ending at (i + 1) * 100 ms. */
    size_t from = shortterm ? 29 : 9;
    printf("case %d:\n", no);
    snprintf(what, sizeof what, "3341 #%d %s after %s", no, shortterm ? "S" : "M",
             shortterm ? "3 s" : "1 s");
    check_series(what, shortterm ? a.short_term_lufs : a.momentary_lufs, from, a.series_count,
                 -23.0, TOL_LU);
    lathe_analysis_free(&a);
    sig_free(t.s);
}

/* Cases 10 and 13 (file-based meters): 20 separate files, file i holding
 * i * GAP s of silence, then TONE s at -23 dBFS, then 1 s of silence. The meter is
 * reset (a new analyzer) for each: max S (10) or max M (13) = -23 +/- 0.1. */
static void case_bursts(int no, double gap_s, double tone_s, int momentary)
{
    double worst = 0.0, lo = HUGE_VAL, hi = -HUGE_VAL;
    int fails = 0;
    int n = 20;
    for (int i = 0; i < n; i++) {
        tone_seq t;
        lathe_analysis a;
        tone_seq_init(&t, RATE, 2, 1000.0, i * gap_s + tone_s + 1.0);
        tone_seq_add(&t, i * gap_s, -INFINITY);
        tone_seq_add(&t, tone_s, -23.0);
        tone_seq_add(&t, 1.0, -INFINITY);
        analyze_or_fail(t.s, 1, &a);
        double got = momentary ? a.max_momentary_lufs : a.max_short_term_lufs;
        if (got < lo)
            lo = got;
        if (got > hi)
            hi = got;
        if (fabs(got + 23.0) > fabs(worst))
            worst = got + 23.0;
        if (!(fabs(got + 23.0) <= TOL_LU)) {
            fails++;
            printf("  case %d-%d: max %s %.3f LUFS: FAIL\n", no, i + 1, momentary ? "M" : "S",
                   got);
        }
        CHECK(fabs(got + 23.0) <= TOL_LU, "3341 #%d-%d: max %s %.4f, want -23.0 +/- 0.1", no,
              i + 1, momentary ? "M" : "S", got);
        lathe_analysis_free(&a);
        sig_free(t.s);
    }
    printf("case %d: max %s over the 20 files in [%.3f, %.3f] LUFS (spec -23.0 +/- 0.1), "
           "%d outside\n", no, momentary ? "M" : "S", lo, hi, fails);
}

/* Case 11 ('live'): one stream of 20 segments: i * 0.15 s silence, 3 s at -38 + i
 * dBFS, 3 - i * 0.15 s silence. Successive max S = -38, -37, ..., -19. Read from the
 * 100 ms short-term series (EBU: S updated at >= 10 Hz): for segment i, the windows
 * that end within 6 s of its tone's start see that tone only (the tones are more
 * than 3 s apart). */
static void case_live_short_term(void)
{
    tone_seq t;
    lathe_analysis a;
    double start[20];
    tone_seq_init(&t, RATE, 2, 1000.0, 20 * 6.0);
    for (int i = 0; i < 20; i++) {
        tone_seq_add(&t, i * 0.15, -INFINITY);
        start[i] = (double)t.n / RATE;
        tone_seq_add(&t, 3.0, -38.0 + i);
        tone_seq_add(&t, 3.0 - i * 0.15, -INFINITY);
    }
    analyze_or_fail(t.s, 1, &a);
    printf("case 11: successive max S:");
    for (int i = 0; i < 20; i++) {
        /* window k ends at (k + 1) * 0.1 s: ends in (start, start + 6) */
        size_t from = (size_t)floor(start[i] * 10.0 + 1e-9);
        size_t to = (size_t)floor((start[i] + 6.0) * 10.0 - 1e-9);
        if (to > a.series_count)
            to = a.series_count;
        double got = a.short_term_lufs ? series_max(a.short_term_lufs, from, to) : NAN;
        printf(" %.2f", got);
        char what[64];
        snprintf(what, sizeof what, "3341 #11 segment %d max S", i + 1);
        CHECK_NEAR(got, -38.0 + i, TOL_LU, what);
    }
    printf(" (spec -38..-19 +/- 0.1)\n");
    lathe_analysis_free(&a);
    sig_free(t.s);
}

/* Case 14 ('live'): one stream of 20 segments: i * 20 ms silence, 400 ms at
 * -38 + i dBFS, 400 - i * 20 ms silence. Successive max M = -38, ..., -19. A live
 * meter's reading after segment i is the max over the stream so far; the levels
 * rise, so it is segment i's own max. We read it by measuring each prefix of the
 * stream (a finished analysis cannot be resumed). */
static void case_live_momentary(void)
{
    tone_seq t;
    int64_t end[20];
    tone_seq_init(&t, RATE, 2, 1000.0, 20 * 0.8);
    for (int i = 0; i < 20; i++) {
        tone_seq_add(&t, i * 0.02, -INFINITY);
        tone_seq_add(&t, 0.4, -38.0 + i);
        tone_seq_add(&t, 0.4 - i * 0.02, -INFINITY);
        end[i] = t.n;
    }
    printf("case 14: successive max M:");
    for (int i = 0; i < 20; i++) {
        lathe_analysis a;
        int64_t full = t.s->frames;
        t.s->frames = end[i];
        analyze_or_fail(t.s, 1, &a);
        t.s->frames = full;
        printf(" %.2f", a.max_momentary_lufs);
        char what[64];
        snprintf(what, sizeof what, "3341 #14 segment %d max M", i + 1);
        CHECK_NEAR(a.max_momentary_lufs, -38.0 + i, TOL_LU, what);
        lathe_analysis_free(&a);
    }
    printf(" (spec -38..-19 +/- 0.1)\n");
    sig_free(t.s);
}

static void check_true_peak(int no, const lathe_analysis *a, double want, const char *extra)
{
    char what[80];
    printf("case %d%s: true peak %.3f dBTP (L %.3f, R %.3f), sample peak %.3f dBFS "
           "(spec %+.1f +0.2/-0.4)\n", no, extra, a->true_peak_dbtp, a->channel[0].true_peak_dbtp,
           a->channel[1].true_peak_dbtp, a->sample_peak_dbfs, want);
    snprintf(what, sizeof what, "3341 #%d%s true peak", no, extra);
    CHECK_RANGE(a->true_peak_dbtp, want - 0.4, want + 0.2, what);
    for (int c = 0; c < 2; c++) {
        snprintf(what, sizeof what, "3341 #%d%s true peak ch %d", no, extra, c);
        CHECK_RANGE(a->channel[c].true_peak_dbtp, want - 0.4, want + 0.2, what);
    }
}

/* Cases 15-19: stereo sine at fs / DIV, amplitude AMP (of full scale), starting
 * phase PHASE_DEG, 10 ms raised-cosine fades, 1 s. The sample peak is known
 * exactly too: the largest |AMP sin(phase + 360 k / DIV)|. */
static void case_tp_sine(int no, int div, double amp, double phase_deg, double want,
                         const char *dir)
{
    int64_t n = RATE;
    sig *s = sig_new(RATE, 2, n, n);
    double ph = phase_deg * M_PI / 180.0, sp = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = amp * sin(2.0 * M_PI * (double)i / div + ph);
        s->ch[0][i] = s->ch[1][i] = (float)v;
    }
    for (int k = 0; k < div; k++)
        sp = fmax(sp, fabs((double)(float)(amp * sin(2.0 * M_PI * k / div + ph))));
    taper(s, RATE / 100);
    lathe_analysis a;
    analyze_or_fail(s, 0, &a);
    check_true_peak(no, &a, want, "");
    char what[64];
    snprintf(what, sizeof what, "3341 #%d sample peak", no);
    CHECK_NEAR(a.sample_peak_dbfs, 20.0 * log10(sp), 1e-4, what);
    CHECK(a.true_peak_oversampling == 4, "oversampling %d at 48 kHz", a.true_peak_oversampling);
    lathe_analysis_free(&a);

    if (dir) { /* the same through a 24-bit WAV, as the EBU set ships it */
        char path[512], err[256] = "";
        lathe_analysis_config cfg = test_config(0);
        snprintf(path, sizeof path, "%s/seq-3341-%d-24bit.wav", dir, no);
        CHECK(write_wav(path, s, SF_FORMAT_PCM_24) == 0, "write %s", path);
        lathe_status st = lathe_analyze_file(path, &cfg, &a, err, sizeof err, NULL, NULL);
        CHECK(st == LATHE_OK, "analyze file: %s (%s)", lathe_status_str(st), err);
        check_true_peak(no, &a, want, " (24-bit WAV)");
        lathe_analysis_free(&a);
        unlink(path);
    }
    sig_free(s);
}

/* Cases 20-23: at 4 fs (192 kHz) a stereo fs/6 sine of amplitude 0.5 holding one
 * period of an fs/4 sine of amplitude 1.0, continuous in phase on both sides
 * (inserted at a zero crossing, where both start at phase 0); 10 ms fades; then
 * low-pass (anti-alias) filtered and decimated to fs with an offset of OFFSET
 * samples at 4 fs. Max true peak = 0.0 +0.2/-0.4 dBTP.
 *
 * Anti-alias filter: linear-phase FIR, 385 taps, Blackman-windowed sinc cut off at
 * 21 kHz (transition ~19.5-22.5 kHz: the fs/4 = 12 kHz period passes unchanged). The
 * filtered 192 kHz signal is itself a fine sampling of the band-limited waveform:
 * its max is printed as a reference for the true peak. */
static void case_tp_burst(void)
{
    const int up = 4, fs4 = RATE * 4;
    const int taps = 385, half = taps / 2;
    const int64_t pre = 24 * 1000, burst = 16, post = 24 * 1000; /* 24 = one fs/6 period */
    const int64_t n4 = pre + burst + post;
    double *x = xcalloc((size_t)n4, sizeof(double));
    double *y = xcalloc((size_t)n4, sizeof(double));
    double *h = xcalloc((size_t)taps, sizeof(double));
    double hsum = 0.0, ref = 0.0;

    for (int64_t i = 0; i < n4; i++) {
        if (i < pre)
            x[i] = 0.5 * sin(2.0 * M_PI * (double)i / 24.0);
        else if (i < pre + burst)
            x[i] = sin(2.0 * M_PI * (double)(i - pre) / 16.0);
        else
            x[i] = 0.5 * sin(2.0 * M_PI * (double)(i - pre - burst) / 24.0);
    }
    const int64_t fade = fs4 / 100;
    for (int64_t i = 0; i < fade; i++) {
        double g = 0.5 * (1.0 - cos(M_PI * (double)i / (double)fade));
        x[i] *= g;
        x[n4 - 1 - i] *= g;
    }
    for (int k = 0; k < taps; k++) {
        double t = k - half, fc = 21000.0 / fs4;
        double s = t == 0 ? 2.0 * fc : sin(2.0 * M_PI * fc * t) / (M_PI * t);
        double w = 0.42 - 0.5 * cos(2.0 * M_PI * k / (taps - 1)) + 0.08 * cos(4.0 * M_PI * k / (taps - 1));
        h[k] = s * w;
        hsum += h[k];
    }
    for (int k = 0; k < taps; k++)
        h[k] /= hsum; /* unity gain at DC */
    for (int64_t i = 0; i < n4; i++) {
        double acc = 0.0;
        for (int k = 0; k < taps; k++) {
            int64_t j = i + half - k; /* zero-phase: centred on i */
            if (j >= 0 && j < n4)
                acc += h[k] * x[j];
        }
        y[i] = acc;
        ref = fmax(ref, fabs(acc));
    }
    printf("cases 20-23: band-limited waveform peak at 4 fs %.3f dB (reference)\n",
           20.0 * log10(ref));
    for (int off = 0; off < up; off++) {
        int64_t n = (n4 - off + up - 1) / up;
        sig *s = sig_new(RATE, 2, n, n);
        for (int64_t i = 0; i < n; i++)
            s->ch[0][i] = s->ch[1][i] = (float)y[i * up + off];
        lathe_analysis a;
        analyze_or_fail(s, 0, &a);
        check_true_peak(20 + off, &a, 0.0, "");
        lathe_analysis_free(&a);
        sig_free(s);
    }
    free(x);
    free(y);
    free(h);
}

int main(void)
{
    char dirbuf[256];
    char *dir = test_tmpdir(dirbuf, sizeof dirbuf);
    CHECK(dir != NULL, "mkdtemp failed");

    case_steady(1, -23.0, dir);
    case_steady(2, -33.0, NULL);
    {
        const double s3[] = { 10, 60, 10 }, l3[] = { -36, -23, -36 };
        const double s4[] = { 10, 10, 60, 10, 10 }, l4[] = { -72, -36, -23, -36, -72 };
        const double s5[] = { 20, 20.1, 20 }, l5[] = { -26, -20, -26 };
        case_gating(3, 3, s3, l3, RATE);
        case_gating(4, 5, s4, l4, RATE);
        case_gating(5, 3, s5, l5, RATE);
        /* the definitions do not depend on the rate: #5 again at 44.1 kHz */
        case_gating(5, 3, s5, l5, 44100);
    }
    case_surround();
    case_constant(9, 1.34, 1.66, 5, 1);
    case_bursts(10, 0.15, 3.0, 0);
    case_live_short_term();
    case_constant(12, 0.18, 0.22, 25, 0);
    case_bursts(13, 0.02, 0.4, 1);
    case_live_momentary();
    case_tp_sine(15, 4, 0.5, 0.0, -6.0, NULL);
    case_tp_sine(16, 4, 0.5, 45.0, -6.0, dir);
    case_tp_sine(17, 6, 0.5, 60.0, -6.0, NULL);
    case_tp_sine(18, 8, 0.5, 67.5, -6.0, NULL);
    case_tp_sine(19, 4, 1.41, 45.0, 3.0, NULL);
    case_tp_burst();

    if (dir)
        rmdir(dir);
    return test_summary();
}
