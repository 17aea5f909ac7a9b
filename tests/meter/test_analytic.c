/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Analysis figures against analytic expectations: signals whose every figure follows
 * from their definition (sines at known levels and phases, DC, identical/inverted/
 * independent channels, injected clips, silence and NaN/Inf), plus the K-weighting
 * design against the coefficients published in ITU-R BS.1770-4 Tables 1 and 2. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lathe/analysis.h"
#include "dsp/biquad.h"
#include "testutil.h"
#include "meter_signals.h"

#define DB_SQRT2 3.0102999566398120 /* 10 log10(2) = 20 log10(sqrt 2) */

/* ITU-R BS.1770-4 Table 1 (pre-filter) and Table 2 (RLB), 48 kHz, as published. */
static const lathe_biquad_coefs bs1770_shelf = {
    1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585
};
static const lathe_biquad_coefs bs1770_rlb = {
    1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621
};

/* |H(e^jw)| of a biquad, computed here independently of the library. */
static double magnitude(const lathe_biquad_coefs *c, double f, double rate)
{
    double w = 2.0 * M_PI * f / rate;
    double complex z1 = cexp(-I * w), z2 = cexp(-2.0 * I * w);
    return cabs((c->b0 + c->b1 * z1 + c->b2 * z2) / (1.0 + c->a1 * z1 + c->a2 * z2));
}

static void run(const sig *s, const lathe_analysis_config *cfg, lathe_analysis *a)
{
    lathe_status st = analyze_sig(s, cfg, NULL, a);
    CHECK(st == LATHE_OK, "analyze: %s", lathe_status_str(st));
    if (st != LATHE_OK)
        memset(a, 0, sizeof *a);
}

static void test_kweight_design(void)
{
    lathe_biquad_coefs sh, hp;
    lathe_kweight_design(48000.0, &sh, &hp);
    const double *g = &sh.b0, *w = &bs1770_shelf.b0;
    double worst = 0.0;
    for (int k = 0; k < 5; k++)
        worst = fmax(worst, fabs(g[k] - w[k]));
    g = &hp.b0;
    w = &bs1770_rlb.b0;
    for (int k = 0; k < 5; k++)
        worst = fmax(worst, fabs(g[k] - w[k]));
    printf("K-weighting at 48 kHz vs BS.1770-4 Tables 1-2: largest coefficient error %.3g\n",
           worst);
    CHECK(worst <= 1e-8, "K-weighting coefficients differ from BS.1770-4 by %.3g", worst);

    /* The response must not depend on the rate: |K(1 kHz)| at several rates. */
    double ref = 20.0 * log10(magnitude(&bs1770_shelf, 1000.0, 48000.0)
                              * magnitude(&bs1770_rlb, 1000.0, 48000.0));
    const double rates[] = { 44100.0, 48000.0, 88200.0, 96000.0, 192000.0 };
    printf("K-weighting gain at 1 kHz: BS.1770 table %.5f dB;", ref);
    for (int k = 0; k < 5; k++) {
        lathe_kweight_design(rates[k], &sh, &hp);
        double db = 20.0 * log10(lathe_biquad_magnitude(&sh, 1000.0, rates[k])
                                 * lathe_biquad_magnitude(&hp, 1000.0, rates[k]));
        printf(" %.1f kHz %.5f", rates[k] / 1000.0, db);
        char what[64];
        snprintf(what, sizeof what, "K gain at 1 kHz, rate %.0f", rates[k]);
        CHECK_NEAR(db, ref, 0.01, what);
    }
    printf("\n");
    /* ... and over the band, 20 Hz - 20 kHz: every rate keeps the 48 kHz response */
    const double freqs[] = { 20, 50, 100, 500, 1000, 1500, 2000, 3000, 5000, 10000, 20000 };
    for (int k = 0; k < 5; k++) {
        double worst_db = 0.0;
        lathe_kweight_design(rates[k], &sh, &hp);
        for (size_t f = 0; f < sizeof freqs / sizeof freqs[0]; f++) {
            double want = 20.0 * log10(magnitude(&bs1770_shelf, freqs[f], 48000.0)
                                       * magnitude(&bs1770_rlb, freqs[f], 48000.0));
            double got = 20.0 * log10(lathe_biquad_magnitude(&sh, freqs[f], rates[k])
                                      * lathe_biquad_magnitude(&hp, freqs[f], rates[k]));
            if (fabs(got - want) > fabs(worst_db))
                worst_db = got - want;
        }
        printf("K-weighting at %.1f kHz: largest deviation from the 48 kHz table response "
               "over 20 Hz-20 kHz %+.5f dB\n", rates[k] / 1000.0, worst_db);
        CHECK(fabs(worst_db) <= 0.01, "K response at %.0f Hz deviates %.4f dB", rates[k],
              worst_db);
    }
    /* lathe_biquad_magnitude itself, against the independent formula */
    lathe_kweight_design(48000.0, &sh, &hp);
    CHECK_NEAR(lathe_biquad_magnitude(&sh, 997.0, 48000.0), magnitude(&sh, 997.0, 48000.0), 1e-12,
               "lathe_biquad_magnitude");
}

/* 997 Hz sine of amplitude A (mono and stereo, 48 kHz, 10 s = 9970 whole periods):
 * sample peak 20 log10 A, RMS A / sqrt 2, crest 3.01 dB; integrated loudness
 * -0.691 + 10 log10(sum over channels of A^2 / 2 * |K(997)|^2), with |K| taken from
 * the BS.1770-4 table coefficients. */
static void test_sine_997(void)
{
    const double amp = 0.5, rate = 48000.0;
    const double kdb = 20.0 * log10(magnitude(&bs1770_shelf, 997.0, rate)
                                    * magnitude(&bs1770_rlb, 997.0, rate));
    for (int chans = 1; chans <= 2; chans++) {
        int64_t n = 10 * 48000;
        sig *s = sig_new(48000, chans, n, n);
        for (int64_t i = 0; i < n; i++) {
            float v = (float)(amp * sin(2.0 * M_PI * 997.0 * (double)i / rate));
            for (int c = 0; c < chans; c++)
                s->ch[c][i] = v;
        }
        lathe_analysis a;
        lathe_analysis_config cfg = test_config(0);
        run(s, &cfg, &a);
        double want_i = -0.691 + 20.0 * log10(amp) + kdb + 10.0 * log10(chans / 2.0);
        printf("997 Hz sine, A = %.2f, %d ch: peak %.5f dBFS, RMS %.5f dBFS, crest %.5f dB, "
               "I %.5f LUFS (analytic %.5f; K(997 Hz) = %.5f dB), max M %.5f\n", amp, chans,
               a.sample_peak_dbfs, a.rms_dbfs, a.crest_db, a.integrated_lufs, want_i, kdb,
               a.max_momentary_lufs);
        CHECK_NEAR(a.sample_peak_dbfs, 20.0 * log10(amp), 1e-4, "997 Hz sample peak");
        CHECK_NEAR(a.rms_dbfs, 20.0 * log10(amp) - DB_SQRT2, 1e-4, "997 Hz RMS");
        CHECK_NEAR(a.channel[0].rms_dbfs, 20.0 * log10(amp) - DB_SQRT2, 1e-4, "997 Hz RMS ch0");
        CHECK_NEAR(a.crest_db, DB_SQRT2, 1e-4, "997 Hz crest");
        CHECK_NEAR(a.integrated_lufs, want_i, 0.005, "997 Hz integrated");
        CHECK_NEAR(a.max_momentary_lufs, want_i, 0.01, "997 Hz max momentary");
        CHECK_NEAR(a.max_short_term_lufs, want_i, 0.01, "997 Hz max short-term");
        CHECK_NEAR(a.loudness_range_lu, 0.0, 0.05, "997 Hz LRA");
        CHECK_NEAR(a.true_peak_dbtp, 20.0 * log10(amp), 0.05, "997 Hz true peak");
        CHECK_NEAR(a.channel[0].dc_offset, 0.0, 1e-6, "997 Hz DC");
        CHECK_NEAR(a.duration_s, 10.0, 1e-12, "duration");
        CHECK(a.frames == n, "frames %lld", (long long)a.frames);
        /* PLR = true peak - integrated */
        CHECK_NEAR(a.plr_db, a.true_peak_dbtp - a.integrated_lufs, 1e-9, "PLR");
        lathe_analysis_free(&a);
        sig_free(s);
    }
}

/* fs/4 sine at 45 degrees: every sample is +/- a / sqrt 2, the waveform's peak is a.
 * True peak = a within 0.1 dB, sample peak 3.01 dB below. 10 ms fades, as in EBU
 * Tech 3341: an abrupt onset after silence is not band-limited, and its band-limited
 * reconstruction really does overshoot a (by 0.1 dB here). */
static void test_quarter_rate(void)
{
    const int rates[] = { 44100, 48000, 96000 };
    const double amp = 0.8;
    for (int r = 0; r < 3; r++) {
        int64_t n = rates[r] / 2;
        sig *s = sig_new(rates[r], 2, n, n);
        for (int64_t i = 0; i < n; i++)
            s->ch[0][i] = s->ch[1][i] = (float)(amp * sin(M_PI * (double)i / 2.0 + M_PI / 4.0));
        taper(s, rates[r] / 100);
        lathe_analysis a;
        lathe_analysis_config cfg = test_config(0);
        run(s, &cfg, &a);
        printf("fs/4 sine at 45 deg, %d Hz: true peak %.4f dBTP, sample peak %.4f dBFS "
               "(analytic %.4f / %.4f), oversampling %d\n", rates[r], a.true_peak_dbtp,
               a.sample_peak_dbfs, 20.0 * log10(amp), 20.0 * log10(amp) - DB_SQRT2,
               a.true_peak_oversampling);
        CHECK_NEAR(a.true_peak_dbtp, 20.0 * log10(amp), 0.1, "fs/4 true peak");
        CHECK_NEAR(a.sample_peak_dbfs, 20.0 * log10(amp) - DB_SQRT2, 1e-5, "fs/4 sample peak");
        CHECK(a.true_peak_oversampling == (rates[r] < 96000 ? 4 : 2), "oversampling %d",
              a.true_peak_oversampling);
        lathe_analysis_free(&a);
        sig_free(s);
    }
}

/* DC + sine over whole periods: mean = DC exactly; the sine adds A^2/2 to the power. */
static void test_dc_offset(void)
{
    const double dc[2] = { 0.125, -0.0625 }, amp = 0.25;
    int64_t n = 48000;
    sig *s = sig_new(48000, 2, n, n);
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < 2; c++)
            s->ch[c][i] = (float)(dc[c] + amp * sin(2.0 * M_PI * 1000.0 * (double)i / 48000.0));
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(1);
    run(s, &cfg, &a);
    printf("DC offset: %.9f / %.9f (want %.9f / %.9f); RMS ch0 %.5f dBFS (want %.5f)\n",
           a.channel[0].dc_offset, a.channel[1].dc_offset, dc[0], dc[1], a.channel[0].rms_dbfs,
           10.0 * log10(dc[0] * dc[0] + amp * amp / 2.0));
    CHECK_NEAR(a.channel[0].dc_offset, dc[0], 1e-7, "DC offset ch0");
    CHECK_NEAR(a.channel[1].dc_offset, dc[1], 1e-7, "DC offset ch1");
    CHECK_NEAR(a.channel[0].rms_dbfs, 10.0 * log10(dc[0] * dc[0] + amp * amp / 2.0), 1e-4,
               "DC + sine RMS");
    lathe_analysis_free(&a);
    sig_free(s);
}

/* Band-limited noise for the stereo cases (seeded, -20 dBFS RMS-ish). */
static void fill_noise(float *x, int64_t n, uint64_t seed)
{
    rng r = { seed };
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(0.1 * rng_gauss(&r));
}

static void test_stereo(void)
{
    int64_t n = 20 * 48000;
    sig *s = sig_new(48000, 2, n, n);
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(1);

    /* identical channels: r = +1, no side, the mono fold loses nothing */
    fill_noise(s->ch[0], n, 0x1234567);
    memcpy(s->ch[1], s->ch[0], sizeof(float) * (size_t)n);
    run(s, &cfg, &a);
    printf("identical: corr %.9f, min corr %.9f, side/mid %g dB, mono loss %.9f LU\n",
           a.correlation, a.min_correlation, a.side_mid_db, a.mono_loss_lu);
    CHECK_NEAR(a.correlation, 1.0, 1e-9, "identical: correlation");
    CHECK_NEAR(a.min_correlation, 1.0, 1e-9, "identical: min correlation");
    CHECK(isinf(a.side_mid_db) && a.side_mid_db < 0, "identical: side/mid %g, want -inf",
          a.side_mid_db);
    CHECK_NEAR(a.mono_loss_lu, 0.0, 1e-6, "identical: mono loss");
    lathe_analysis_free(&a);

    /* inverted: r = -1, no mid, the mono fold is silent */
    for (int64_t i = 0; i < n; i++)
        s->ch[1][i] = -s->ch[0][i];
    run(s, &cfg, &a);
    printf("inverted: corr %.9f, min corr %.9f, side/mid %g dB, mono loss %g LU\n",
           a.correlation, a.min_correlation, a.side_mid_db, a.mono_loss_lu);
    CHECK_NEAR(a.correlation, -1.0, 1e-9, "inverted: correlation");
    CHECK_NEAR(a.min_correlation, -1.0, 1e-9, "inverted: min correlation");
    CHECK(isinf(a.side_mid_db) && a.side_mid_db > 0, "inverted: side/mid %g, want +inf",
          a.side_mid_db);
    CHECK(isinf(a.mono_loss_lu) && a.mono_loss_lu < 0, "inverted: mono loss %g, want -inf",
          a.mono_loss_lu);
    CHECK(isfinite(a.integrated_lufs), "inverted: integrated %g", a.integrated_lufs);
    lathe_analysis_free(&a);

    /* independent noise of equal power: r ~ 0 (std 1/sqrt(n) = 0.001), side = mid,
     * and the fold (L+R)/2 carries half the power: mono loss 10 log10(1/2) LU */
    fill_noise(s->ch[1], n, 0x9e3779b97f4a7c15ULL);
    run(s, &cfg, &a);
    printf("independent: corr %.5f, side/mid %.4f dB, mono loss %.4f LU (want -3.0103)\n",
           a.correlation, a.side_mid_db, a.mono_loss_lu);
    CHECK(fabs(a.correlation) < 0.05, "independent: correlation %f", a.correlation);
    CHECK_NEAR(a.side_mid_db, 0.0, 0.1, "independent: side/mid");
    CHECK_NEAR(a.mono_loss_lu, -DB_SQRT2, 0.05, "independent: mono loss");
    lathe_analysis_free(&a);
    sig_free(s);
}

/* A pure tone of amplitude A lands in its own 1/3-octave band at 20 log10 A - 3.01;
 * bands two away read at least 40 dB lower. */
static void test_band(double freq, int band, int rate)
{
    const double amp = 0.25;
    int64_t n = 3 * (int64_t)rate;
    sig *s = sig_new(rate, 1, n, n);
    for (int64_t i = 0; i < n; i++)
        s->ch[0][i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / rate));
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(0);
    run(s, &cfg, &a);
    double want = 20.0 * log10(amp) - DB_SQRT2;
    printf("1/3 octave, %.0f Hz sine at %d Hz: band %.1f Hz %.3f dB (want %.3f), "
           "bands %.1f / %.1f Hz: %.1f / %.1f dB\n", freq, rate, a.band_hz[band],
           a.spectrum_db[band], want, a.band_hz[band - 2], a.band_hz[band + 2],
           a.spectrum_db[band - 2], a.spectrum_db[band + 2]);
    CHECK_NEAR(a.band_hz[band], freq, freq * 1e-9, "band centre");
    CHECK_NEAR(a.spectrum_db[band], want, 0.2, "tone band level");
    CHECK(a.spectrum_db[band - 2] <= want - 40.0, "band -2 at %.1f dB", a.spectrum_db[band - 2]);
    CHECK(a.spectrum_db[band + 2] <= want - 40.0, "band +2 at %.1f dB", a.spectrum_db[band + 2]);
    lathe_analysis_free(&a);
    sig_free(s);
}

/* A run of LEN samples of value V; only runs of >= 3 at full scale count as clips. */
static void put_run(sig *s, int c, int64_t at, int len, float v)
{
    for (int k = 0; k < len; k++)
        s->ch[c][at + k] = v;
}

static void test_clipping(const char *dir)
{
    int64_t n = 48000;
    sig *s = sig_new(48000, 2, n, n);
    for (int64_t i = 0; i < n; i++)
        s->ch[0][i] = s->ch[1][i] = (float)(0.3 * sin(2.0 * M_PI * 440.0 * (double)i / 48000.0));
    put_run(s, 0, 100, 2, 1.0f);      /* too short */
    put_run(s, 0, 998, 5, -1.0f);     /* spans the first feed block boundary (1000) */
    put_run(s, 0, 20000, 3, 1.0f);
    put_run(s, 0, 30000, 3, 0.999f);  /* loud but not full scale */
    put_run(s, 1, 5094, 4, -1.0f);    /* spans the feed boundary at 5096 */
    put_run(s, 1, 8190, 2, -1.0f);    /* too short, spans the analyzer's 8192 */
    put_run(s, 1, n - 3, 3, 1.0f);    /* open at the end of the stream */
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(1);
    run(s, &cfg, &a);
    printf("clips: ch0 %lld runs / %lld samples, ch1 %lld / %lld, total %lld / %lld "
           "(want 2/8, 2/7, 4/15)\n", (long long)a.channel[0].clip_runs,
           (long long)a.channel[0].clipped_samples, (long long)a.channel[1].clip_runs,
           (long long)a.channel[1].clipped_samples, (long long)a.clip_runs,
           (long long)a.clipped_samples);
    CHECK(a.channel[0].clip_runs == 2 && a.channel[0].clipped_samples == 8,
          "ch0 clips %lld / %lld, want 2 / 8", (long long)a.channel[0].clip_runs,
          (long long)a.channel[0].clipped_samples);
    CHECK(a.channel[1].clip_runs == 2 && a.channel[1].clipped_samples == 7,
          "ch1 clips %lld / %lld, want 2 / 7", (long long)a.channel[1].clip_runs,
          (long long)a.channel[1].clipped_samples);
    CHECK(a.clip_runs == 4 && a.clipped_samples == 15, "total clips %lld / %lld, want 4 / 15",
          (long long)a.clip_runs, (long long)a.clipped_samples);
    CHECK_NEAR(a.sample_peak_dbfs, 0.0, 1e-12, "clip sample peak");
    lathe_analysis_free(&a);

    /* The same as 16-bit PCM: +1.0 is stored as 32767 (the format's full scale,
     * 32767/32768), -1.0 as -32768; both must count. */
    if (dir) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, "%s/clips16.wav", dir);
        CHECK(write_wav(path, s, SF_FORMAT_PCM_16) == 0, "write %s", path);
        lathe_status st = lathe_analyze_file(path, &cfg, &a, err, sizeof err, NULL, NULL);
        CHECK(st == LATHE_OK, "analyze 16-bit file: %s (%s)", lathe_status_str(st), err);
        printf("clips in 16-bit WAV: total %lld runs / %lld samples (want 4 / 15)\n",
               (long long)a.clip_runs, (long long)a.clipped_samples);
        CHECK(a.clip_runs == 4 && a.clipped_samples == 15,
              "16-bit clips %lld / %lld, want 4 / 15", (long long)a.clip_runs,
              (long long)a.clipped_samples);
        lathe_analysis_free(&a);
        unlink(path);
    }
    sig_free(s);
}

/* LEAD frames below the -60 dBFS threshold (a -66 dBFS DC, then zeros in the other
 * channel), a tone, TRAIL frames of zeros: silence in ms exact. */
static void test_silence(int rate)
{
    const int64_t lead = 12345, tone = rate, trail = 6789, n = lead + tone + trail;
    sig *s = sig_new(rate, 2, n, n);
    for (int64_t i = 0; i < lead; i++)
        s->ch[0][i] = 0.0005f; /* -66 dBFS: silence by the default threshold */
    for (int64_t i = 0; i < tone; i++) {
        /* the first and last tone samples are loud in channel 1 only */
        double v = 0.5 * cos(2.0 * M_PI * 1000.0 * (double)i / rate + 0.1);
        s->ch[1][lead + i] = (float)v;
        s->ch[0][lead + i] = (i > 0 && i < tone - 1) ? (float)v : 0.0f;
    }
    lathe_analysis a;
    lathe_analysis_config cfg = test_config(1);
    run(s, &cfg, &a);
    double wl = 1000.0 * (double)lead / rate, wt = 1000.0 * (double)trail / rate;
    printf("silence at %d Hz: leading %.6f ms (want %.6f), trailing %.6f ms (want %.6f)\n", rate,
           a.leading_silence_ms, wl, a.trailing_silence_ms, wt);
    CHECK_NEAR(a.leading_silence_ms, wl, 1e-9, "leading silence");
    CHECK_NEAR(a.trailing_silence_ms, wt, 1e-9, "trailing silence");
    lathe_analysis_free(&a);

    /* all silent: both are the whole duration */
    for (int c = 0; c < 2; c++)
        memset(s->ch[c], 0, sizeof(float) * (size_t)n);
    run(s, &cfg, &a);
    CHECK_NEAR(a.leading_silence_ms, 1000.0 * (double)n / rate, 1e-9, "silent: leading");
    CHECK_NEAR(a.trailing_silence_ms, 1000.0 * (double)n / rate, 1e-9, "silent: trailing");
    CHECK(isinf(a.integrated_lufs) && a.integrated_lufs < 0, "silent: integrated %g",
          a.integrated_lufs);
    CHECK(isinf(a.sample_peak_dbfs) && a.sample_peak_dbfs < 0, "silent: peak %g",
          a.sample_peak_dbfs);
    lathe_analysis_free(&a);
    sig_free(s);
}

/* NaN and +/-Inf are counted and measured as 0: the figures equal those of the same
 * signal with zeros in their place. */
static void test_non_finite(const char *dir)
{
    int64_t n = 5 * 48000;
    sig *s = sig_new(48000, 2, n, n), *z = sig_new(48000, 2, n, n);
    for (int64_t i = 0; i < n; i++)
        s->ch[0][i] = s->ch[1][i] = (float)(0.4 * sin(2.0 * M_PI * 1000.0 * (double)i / 48000.0));
    const struct { int c; int64_t at; float v; } bad[] = {
        { 0, 10, NAN }, { 0, 4095, INFINITY }, { 0, 4096, -INFINITY }, { 1, 100000, NAN },
        { 1, 100001, NAN }, { 1, n - 1, INFINITY },
    };
    for (int c = 0; c < 2; c++)
        memcpy(z->ch[c], s->ch[c], sizeof(float) * (size_t)n);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        s->ch[bad[k].c][bad[k].at] = bad[k].v;
        z->ch[bad[k].c][bad[k].at] = 0.0f;
    }
    lathe_analysis a, b;
    lathe_analysis_config cfg = test_config(0);
    run(s, &cfg, &a);
    run(z, &cfg, &b);
    printf("non-finite: %lld counted (want 6); I %.6f vs zeros %.6f; peak %.6f vs %.6f; "
           "TP %.6f vs %.6f\n", (long long)a.non_finite_samples, a.integrated_lufs,
           b.integrated_lufs, a.sample_peak_dbfs, b.sample_peak_dbfs, a.true_peak_dbtp,
           b.true_peak_dbtp);
    CHECK(a.non_finite_samples == 6, "non-finite count %lld, want 6",
          (long long)a.non_finite_samples);
    CHECK(b.non_finite_samples == 0, "clean count %lld", (long long)b.non_finite_samples);
    CHECK(a.integrated_lufs == b.integrated_lufs, "NaN as 0: I %.9f vs %.9f", a.integrated_lufs,
          b.integrated_lufs);
    CHECK(a.sample_peak_dbfs == b.sample_peak_dbfs, "NaN as 0: peak %.9f vs %.9f",
          a.sample_peak_dbfs, b.sample_peak_dbfs);
    CHECK(a.true_peak_dbtp == b.true_peak_dbtp, "NaN as 0: TP %.9f vs %.9f", a.true_peak_dbtp,
          b.true_peak_dbtp);
    CHECK(a.rms_dbfs == b.rms_dbfs, "NaN as 0: RMS %.9f vs %.9f", a.rms_dbfs, b.rms_dbfs);
    CHECK(isfinite(a.correlation) && isfinite(a.spectrum_db[17]), "NaN leaked: corr %g, band %g",
          a.correlation, a.spectrum_db[17]);
    lathe_analysis_free(&a);
    lathe_analysis_free(&b);

    /* Through a float WAV: the figures come back with LATHE_ERR_NON_FINITE. */
    if (dir) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, "%s/nan.wav", dir);
        CHECK(write_wav(path, s, SF_FORMAT_FLOAT) == 0, "write %s", path);
        lathe_status st = lathe_analyze_file(path, &cfg, &a, err, sizeof err, NULL, NULL);
        printf("non-finite float WAV: status %s, %lld counted\n", lathe_status_str(st),
               (long long)a.non_finite_samples);
        CHECK(st == LATHE_ERR_NON_FINITE, "float WAV with NaN: status %s", lathe_status_str(st));
        CHECK(a.non_finite_samples == 6, "file non-finite count %lld",
              (long long)a.non_finite_samples);
        CHECK(isfinite(a.integrated_lufs), "file integrated %g", a.integrated_lufs);
        lathe_analysis_free(&a);
        unlink(path);
    }
    sig_free(s);
    sig_free(z);
}

int main(void)
{
    char dirbuf[256];
    char *dir = test_tmpdir(dirbuf, sizeof dirbuf);
    CHECK(dir != NULL, "mkdtemp failed");

    test_kweight_design();
    test_sine_997();
    test_quarter_rate();
    test_dc_offset();
    test_stereo();
    test_band(1000.0, 17, 48000);
    test_band(100.0, 7, 44100);
    test_clipping(dir);
    test_silence(48000);
    test_silence(44100);
    test_non_finite(dir);

    if (dir)
        rmdir(dir);
    return test_summary();
}
