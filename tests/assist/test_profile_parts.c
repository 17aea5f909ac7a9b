/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_profile_file's optional parts against analytic expectations, on a stereo file
 * L = sin(100 Hz) + A sin(6 kHz), R = sin(100 Hz + PHI) + A sin(6 kHz) (10 ms windows
 * hold whole periods of both):
 *   - low end: correlation cos(PHI), side/mid 20 log10(tan(PHI/2)) dB (the same low-pass
 *     on both channels leaves both unchanged);
 *   - sibilance: every 10 ms window's 4-12 kHz level is (g A)^2 / 2, g the exact gain of
 *     the 2nd-order Butterworth high-pass (4 kHz) and low-pass (12 kHz) at 6 kHz,
 *     |H|^2 = 1 / (1 + W^4), W the prewarped frequency ratio (RBJ designs by the bilinear
 *     transform); the full band's level is (1 + A^2) / 2; both read to a 0.25 dB bin;
 *   - parts left out (LATHE_PROFILE_MATCH) read NAN and change no other figure, bit for bit;
 *   - NaN/Inf samples are measured as zeros: a file with some reads, bit for bit, like the
 *     file with zeros in their place (and says how many there were). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "lathe/lathe.h"
#include "testutil.h"

#define RATE 44100
#define SECONDS 10
#define PHI (M_PI / 3.0)
#define A6 0.25

static char dir[64];

static int write_wav(const char *path, const float *x, long frames)
{
    SF_INFO info = { .samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return -1;
    sf_count_t n = sf_writef_float(sf, x, frames);
    sf_close(sf);
    return n == frames ? 0 : -1;
}

/* |H|^2 of the RBJ Butterworth high-pass (HIGH = 1) or low-pass at F0, at F. */
static double butter2(double f, double f0, int high)
{
    double w = tan(M_PI * f / RATE) / tan(M_PI * f0 / RATE);
    double w4 = pow(w, 4.0);
    return high ? w4 / (1.0 + w4) : 1.0 / (1.0 + w4);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_array(const double *a, const double *b, int n)
{
    return memcmp(a, b, sizeof(double) * (size_t)n) == 0;
}

/* The figures every profile has, compared bit for bit. */
static void check_same_core(const lathe_profile *p, const lathe_profile *q, const char *what)
{
    const lathe_analysis *a = &p->a, *b = &q->a;
    CHECK(same_double(a->integrated_lufs, b->integrated_lufs)
              && same_double(a->loudness_range_lu, b->loudness_range_lu)
              && same_double(a->true_peak_dbtp, b->true_peak_dbtp)
              && same_double(a->sample_peak_dbfs, b->sample_peak_dbfs)
              && same_double(a->rms_dbfs, b->rms_dbfs) && same_double(a->plr_db, b->plr_db)
              && same_double(a->correlation, b->correlation)
              && same_double(a->min_correlation, b->min_correlation)
              && same_double(a->side_mid_db, b->side_mid_db),
          "%s: analysis figures differ (I %.17g vs %.17g, rms %.17g vs %.17g, r %.17g vs %.17g)",
          what, a->integrated_lufs, b->integrated_lufs, a->rms_dbfs, b->rms_dbfs, a->correlation,
          b->correlation);
    int ch_same = a->channels == b->channels;
    for (int c = 0; ch_same && c < a->channels; c++)
        ch_same = same_double(a->channel[c].rms_dbfs, b->channel[c].rms_dbfs)
                  && same_double(a->channel[c].dc_offset, b->channel[c].dc_offset)
                  && same_double(a->channel[c].sample_peak_dbfs, b->channel[c].sample_peak_dbfs)
                  && same_double(a->channel[c].true_peak_dbtp, b->channel[c].true_peak_dbtp);
    CHECK(ch_same, "%s: per-channel figures differ", what);
    CHECK(same_array(a->spectrum_db, b->spectrum_db, LATHE_THIRD_OCTAVE_BANDS)
              && same_array(a->spectrum_mid_db, b->spectrum_mid_db, LATHE_THIRD_OCTAVE_BANDS)
              && same_array(a->spectrum_side_db, b->spectrum_side_db, LATHE_THIRD_OCTAVE_BANDS),
          "%s: 1/3-octave spectra differ", what);
    CHECK(same_array(p->total_db, q->total_db, LATHE_PROFILE_BANDS)
              && same_array(p->mid_db, q->mid_db, LATHE_PROFILE_BANDS)
              && same_array(p->side_db, q->side_db, LATHE_PROFILE_BANDS)
              && same_array(p->fine_db, q->fine_db, LATHE_PROFILE_FINE_BANDS),
          "%s: profile spectra differ", what);
}

int main(void)
{
    const long n = (long)RATE * SECONDS;
    char path[128], nan_path[128], zero_path[128];
    snprintf(dir, sizeof dir, "/tmp/lathe-profile-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/tones.wav", dir);
    snprintf(nan_path, sizeof nan_path, "%s/nan.wav", dir);
    snprintf(zero_path, sizeof zero_path, "%s/zero.wav", dir);

    float *x = malloc(sizeof(float) * 2 * (size_t)n);
    if (!x)
        return 1;
    for (long i = 0; i < n; i++) {
        double t = (double)i / RATE, hf = A6 * sin(2.0 * M_PI * 6000.0 * t);
        x[2 * i] = (float)(sin(2.0 * M_PI * 100.0 * t) + hf);
        x[2 * i + 1] = (float)(sin(2.0 * M_PI * 100.0 * t + PHI) + hf);
    }
    CHECK(write_wav(path, x, n) == 0, "write %s", path);

    lathe_profile all, none, res;
    char err[256] = "";
    lathe_status st = lathe_profile_file(path, LATHE_PROFILE_ALL, &all, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_OK, "profile (all parts): %s", err);
    st = lathe_profile_file(path, LATHE_PROFILE_MATCH, &none, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_OK, "profile (no parts): %s", err);
    st = lathe_profile_file(path, LATHE_PROFILE_RESONANCE, &res, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_OK, "profile (resonance only): %s", err);

    /* 1. Low end. */
    CHECK_NEAR(all.low_correlation, cos(PHI), 1e-3, "low-end correlation");
    CHECK_NEAR(all.low_side_mid_db, 20.0 * log10(tan(PHI / 2.0)), 0.02, "low-end side/mid, dB");

    /* 2. Sibilance band. */
    double g2 = butter2(6000.0, 4000.0, 1) * butter2(6000.0, 12000.0, 0);
    double band_db = 10.0 * log10(g2 * A6 * A6 / 2.0);
    double full_db = 10.0 * log10((1.0 + A6 * A6) / 2.0);
    CHECK_NEAR(all.hf_median_dbfs, band_db, 0.13, "4-12 kHz median, dBFS");
    CHECK_NEAR(all.hf_p99_dbfs, band_db, 0.13, "4-12 kHz 99th percentile, dBFS");
    CHECK_NEAR(all.hf_share_p99_db, band_db - full_db, 0.13, "4-12 kHz share, dB");

    /* 3. Resonance tracking ran: every tracked band has a share. */
    int finite = 0;
    for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++)
        finite += all.fine_steady[i] >= 0.0 && all.fine_steady[i] <= 1.0;
    CHECK(finite == LATHE_PROFILE_FINE_BANDS, "fine_steady in [0, 1] in %d of %d bands", finite,
          LATHE_PROFILE_FINE_BANDS);
    /* the 6 kHz tone stands out of its neighbours in every frame */
    int b6 = (int)lround(80.0 * log10(6000.0 / 1000.0)) + 136;
    CHECK_NEAR(all.fine_steady[b6], 1.0, 0.0, "steadiness of the 6 kHz band");

    /* 4. Parts left out read NAN and change nothing else. */
    CHECK(isnan(none.low_correlation) && isnan(none.low_side_mid_db) && isnan(none.hf_p99_dbfs)
              && isnan(none.hf_median_dbfs) && isnan(none.hf_share_p99_db),
          "no parts: low end and sibilance read NAN (got %g %g %g %g %g)", none.low_correlation,
          none.low_side_mid_db, none.hf_p99_dbfs, none.hf_median_dbfs, none.hf_share_p99_db);
    int nan_steady = 0;
    for (int i = 0; i < LATHE_PROFILE_FINE_BANDS; i++)
        nan_steady += isnan(none.fine_steady[i]);
    CHECK(nan_steady == LATHE_PROFILE_FINE_BANDS, "no parts: fine_steady NAN in %d of %d bands",
          nan_steady, LATHE_PROFILE_FINE_BANDS);
    check_same_core(&all, &none, "all parts vs none");
    CHECK(isnan(res.low_correlation) && isnan(res.hf_p99_dbfs), "resonance only: no low end, "
          "no sibilance");
    CHECK(same_array(all.fine_steady, res.fine_steady, LATHE_PROFILE_FINE_BANDS),
          "resonance only: the same fine_steady as with all parts");
    check_same_core(&all, &res, "all parts vs resonance only");

    /* 5. NaN and Inf samples read as zeros, bit for bit (in several blocks and both
     * channels; the rest of their blocks stays as it is). */
    static const long bad[] = { 2 * 5000, 2 * 5001 + 1, 2 * 100000, 2 * 100000 + 1,
                                2 * 300123 + 1, 2 * (SECONDS * RATE - 1) };
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    for (int k = 0; k < nbad; k++)
        x[bad[k]] = 0.0f;
    CHECK(write_wav(zero_path, x, n) == 0, "write %s", zero_path);
    for (int k = 0; k < nbad; k++)
        x[bad[k]] = k % 3 == 0 ? NAN : k % 3 == 1 ? INFINITY : -INFINITY;
    CHECK(write_wav(nan_path, x, n) == 0, "write %s", nan_path);
    lathe_profile pz, pn;
    st = lathe_profile_file(zero_path, LATHE_PROFILE_ALL, &pz, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_OK, "profile of the zeros: %s", err);
    st = lathe_profile_file(nan_path, LATHE_PROFILE_ALL, &pn, err, sizeof err, NULL, NULL);
    CHECK(st == LATHE_ERR_NON_FINITE, "NaN/Inf reported (status %d: %s)", (int)st, err);
    CHECK(pn.a.non_finite_samples == nbad, "NaN/Inf counted: %lld of %d",
          (long long)pn.a.non_finite_samples, nbad);
    check_same_core(&pz, &pn, "NaN/Inf vs zeros");
    CHECK(same_double(pz.low_correlation, pn.low_correlation)
              && same_double(pz.low_side_mid_db, pn.low_side_mid_db)
              && same_double(pz.hf_p99_dbfs, pn.hf_p99_dbfs)
              && same_double(pz.hf_median_dbfs, pn.hf_median_dbfs)
              && same_double(pz.hf_share_p99_db, pn.hf_share_p99_db)
              && same_array(pz.fine_steady, pn.fine_steady, LATHE_PROFILE_FINE_BANDS),
          "NaN/Inf vs zeros: the optional parts differ (low r %.17g vs %.17g)",
          pz.low_correlation, pn.low_correlation);

    lathe_profile_free(&all);
    lathe_profile_free(&none);
    lathe_profile_free(&res);
    lathe_profile_free(&pz);
    lathe_profile_free(&pn);
    free(x);
    unlink(path);
    unlink(nan_path);
    unlink(zero_path);
    rmdir(dir);
    return test_summary();
}
