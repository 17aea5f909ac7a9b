/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Our meters against libebur128 (an independent BS.1770-4 / EBU R128 implementation)
 * called directly, on synthesised music-like signals: filtered noise bursts with
 * envelopes (44.1 kHz stereo), chords with transients (48 kHz stereo), and a
 * kick/bass/hat pattern with fast attacks and an LFE channel (5.1 at 48 and 44.1 kHz).
 *
 * Agreement required: integrated within 0.01 LU, max momentary and max short-term
 * within 0.05 LU, true peak within 0.05 dB, sample peak exactly.
 *
 * Definitions matched on both sides:
 *  - max M and S are the largest values over complete windows ending every 10 ms:
 *    libebur128 is fed 10 ms at a time and asked for M (S) after each once 400 ms
 *    (3 s) have gone in.
 *  - LRA: libebur128 takes the short-term values every 1 s (its 3 s blocks overlap
 *    by 2 s), ours every 100 ms (Tech 3342 asks for >= 10 Hz), so the two sample the
 *    same distribution differently: compared loosely, within 0.5 LU. A tight check
 *    (0.05 LU) uses libebur128's short-term loudness read every 100 ms, at the ends of
 *    our windows, put through the algorithm of Tech 3342's reference MATLAB code.
 *  - K-weighting: libebur128 keeps the RLB numerator (1, -2, 1) at every rate, ours
 *    keeps the 48 kHz response (see lathe_kweight_design); at 44.1 kHz this makes us
 *    read 0.004 LU lower, inside the tolerances, and identical at 48 kHz. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ebur128.h>
#include "lathe/analysis.h"
#include "testutil.h"
#include "meter_signals.h"

typedef struct ref_result {
    double integrated, lra, lra_100ms, max_m, max_s;
    double sample_peak[LATHE_MAX_CHANNELS], true_peak[LATHE_MAX_CHANNELS];
} ref_result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* EBU Tech 3342 section 5 (reference MATLAB code) on N short-term values in LUFS:
 * absolute gate -70 LUFS, relative gate 20 LU below the power mean of the rest,
 * LRA = v[round((n - 1) 0.95)] - v[round((n - 1) 0.10)] of the sorted survivors. */
static double tech3342_lra(double *v, size_t n)
{
    size_t m = 0;
    double p = 0.0;
    for (size_t i = 0; i < n; i++)
        if (v[i] >= -70.0) {
            v[m++] = v[i];
            p += pow(10.0, v[i] / 10.0);
        }
    if (m == 0)
        return 0.0;
    double gate = 10.0 * log10(p / (double)m) - 20.0;
    n = m;
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] >= gate)
            v[m++] = v[i];
    qsort(v, m, sizeof *v, cmp_double);
    return v[(size_t)lround((double)(m - 1) * 0.95)] - v[(size_t)lround((double)(m - 1) * 0.10)];
}

/* libebur128 on S: channels mapped from our roles (LFE unused). */
static int reference(const sig *s, const lathe_channel_role *roles, ref_result *r)
{
    ebur128_state *st = ebur128_init((unsigned)s->channels, (unsigned long)s->rate,
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_S
                                         | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK);
    if (!st)
        return -1;
    for (int c = 0; c < s->channels; c++) {
        int map = EBUR128_UNUSED;
        switch (roles[c]) {
        case LATHE_CHANNEL_LEFT: map = EBUR128_LEFT; break;
        case LATHE_CHANNEL_RIGHT: map = EBUR128_RIGHT; break;
        case LATHE_CHANNEL_CENTER: map = EBUR128_CENTER; break;
        case LATHE_CHANNEL_LEFT_SURROUND: map = EBUR128_LEFT_SURROUND; break;
        case LATHE_CHANNEL_RIGHT_SURROUND: map = EBUR128_RIGHT_SURROUND; break;
        case LATHE_CHANNEL_MONO: map = EBUR128_CENTER; break;
        default: map = EBUR128_UNUSED; break;
        }
        if (ebur128_set_channel(st, (unsigned)c, map) != EBUR128_SUCCESS) {
            ebur128_destroy(&st);
            return -1;
        }
    }
    const int64_t step = s->rate / 100; /* 10 ms: our rates are multiples of 100 */
    const int64_t sub = (s->rate + 5) / 10;  /* 100 ms */
    float *buf = xcalloc((size_t)(step * s->channels), sizeof(float));
    double *stl = xcalloc((size_t)(s->frames / sub + 1), sizeof(double));
    size_t nstl = 0;
    r->max_m = r->max_s = -HUGE_VAL;
    for (int64_t off = 0; off + step <= s->frames; off += step) {
        for (int64_t i = 0; i < step; i++)
            for (int c = 0; c < s->channels; c++)
                buf[i * s->channels + c] = s->ch[c][off + i];
        if (ebur128_add_frames_float(st, buf, (size_t)step) != EBUR128_SUCCESS)
            return -1;
        int64_t fed = off + step;
        double v;
        if (fed >= 4 * sub && ebur128_loudness_momentary(st, &v) == 0 && v > r->max_m)
            r->max_m = v;
        if (fed >= 30 * sub && ebur128_loudness_shortterm(st, &v) == 0) {
            if (v > r->max_s)
                r->max_s = v;
            if (fed % sub == 0)
                stl[nstl++] = v;
        }
    }
    free(buf);
    r->lra_100ms = tech3342_lra(stl, nstl);
    free(stl);
    int rc = 0;
    rc |= ebur128_loudness_global(st, &r->integrated);
    rc |= ebur128_loudness_range(st, &r->lra);
    for (int c = 0; c < s->channels; c++) {
        rc |= ebur128_sample_peak(st, (unsigned)c, &r->sample_peak[c]);
        rc |= ebur128_true_peak(st, (unsigned)c, &r->true_peak[c]);
    }
    ebur128_destroy(&st);
    return rc;
}

static double db(double v)
{
    return v > 0.0 ? 20.0 * log10(v) : -HUGE_VAL;
}

static void compare(const char *name, const sig *s, const lathe_channel_role *roles)
{
    lathe_analysis a;
    ref_result r;
    lathe_analysis_config cfg = test_config(0);
    cfg.spectrum = 0;
    /* whole 10 ms steps, so that both meters see exactly the same frames */
    CHECK(s->frames % (s->rate / 100) == 0, "%s: length not whole 10 ms", name);
    lathe_status st = analyze_sig(s, &cfg, roles, &a);
    CHECK(st == LATHE_OK, "%s: analyze %s", name, lathe_status_str(st));
    if (st != LATHE_OK)
        return;
    int rc = reference(s, roles, &r);
    CHECK(rc == 0, "%s: libebur128 failed (%d)", name, rc);
    if (rc != 0) {
        lathe_analysis_free(&a);
        return;
    }
    double rtp = 0.0, rsp = 0.0;
    for (int c = 0; c < s->channels; c++) {
        rtp = fmax(rtp, r.true_peak[c]);
        rsp = fmax(rsp, r.sample_peak[c]);
    }
    printf("%s (%d Hz, %d ch, %.0f s):\n"
           "  integrated  %9.4f vs libebur128 %9.4f LUFS (diff %+.4f)\n"
           "  max M       %9.4f vs %9.4f (diff %+.4f)\n"
           "  max S       %9.4f vs %9.4f (diff %+.4f)\n"
           "  true peak   %9.4f vs %9.4f dBTP (diff %+.4f); sample peak %.4f vs %.4f dBFS\n"
           "  LRA         %9.4f vs %9.4f LU (diff %+.4f); vs Tech 3342 on libebur128's "
           "100 ms short-term %.4f (diff %+.4f)\n", name, s->rate, s->channels,
           (double)s->frames / s->rate, a.integrated_lufs, r.integrated,
           a.integrated_lufs - r.integrated, a.max_momentary_lufs, r.max_m,
           a.max_momentary_lufs - r.max_m, a.max_short_term_lufs, r.max_s,
           a.max_short_term_lufs - r.max_s, a.true_peak_dbtp, db(rtp), a.true_peak_dbtp - db(rtp),
           a.sample_peak_dbfs, db(rsp), a.loudness_range_lu, r.lra, a.loudness_range_lu - r.lra,
           r.lra_100ms, a.loudness_range_lu - r.lra_100ms);
    char what[96];
    snprintf(what, sizeof what, "%s: integrated vs libebur128", name);
    CHECK_NEAR(a.integrated_lufs, r.integrated, 0.01, what);
    snprintf(what, sizeof what, "%s: max momentary vs libebur128", name);
    CHECK_NEAR(a.max_momentary_lufs, r.max_m, 0.05, what);
    snprintf(what, sizeof what, "%s: max short-term vs libebur128", name);
    CHECK_NEAR(a.max_short_term_lufs, r.max_s, 0.05, what);
    snprintf(what, sizeof what, "%s: true peak vs libebur128", name);
    CHECK_NEAR(a.true_peak_dbtp, db(rtp), 0.05, what);
    snprintf(what, sizeof what, "%s: LRA vs libebur128 (loose: 1 s vs 100 ms steps)", name);
    CHECK_NEAR(a.loudness_range_lu, r.lra, 0.5, what);
    snprintf(what, sizeof what, "%s: LRA vs Tech 3342 on libebur128 short-term", name);
    CHECK_NEAR(a.loudness_range_lu, r.lra_100ms, 0.05, what);
    for (int c = 0; c < s->channels; c++) {
        /* the same float sample, converted to dB the same way: exactly equal */
        CHECK(a.channel[c].sample_peak_dbfs == db(r.sample_peak[c]),
              "%s: ch %d sample peak %.9f vs libebur128 %.9f", name, c,
              a.channel[c].sample_peak_dbfs, db(r.sample_peak[c]));
        snprintf(what, sizeof what, "%s: ch %d true peak vs libebur128", name, c);
        CHECK_NEAR(a.channel[c].true_peak_dbtp, db(r.true_peak[c]), 0.05, what);
    }
    CHECK(a.sample_peak_dbfs == db(rsp), "%s: sample peak %.9f vs %.9f", name, a.sample_peak_dbfs,
          db(rsp));
    lathe_analysis_free(&a);
}

/* ---- signal synthesis ---- */

/* Two-pole resonator (band-pass, 0 dB peak) state, coefficients per burst. */
typedef struct reson {
    double b0, a1, a2, x1, x2, y1, y2;
} reson;

static void reson_set(reson *f, double freq, double q, double rate)
{
    double w = 2.0 * M_PI * freq / rate, al = sin(w) / (2.0 * q), a0 = 1.0 + al;
    f->b0 = al / a0;
    f->a1 = -2.0 * cos(w) / a0;
    f->a2 = (1.0 - al) / a0;
}

static double reson_run(reson *f, double x)
{
    double y = f->b0 * (x - f->x2) - f->a1 * f->y1 - f->a2 * f->y2;
    f->x2 = f->x1;
    f->x1 = x;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

/* Attack-decay envelope at time T after onset: linear attack, exponential decay. */
static double env(double t, double attack, double tau)
{
    if (t < 0.0)
        return 0.0;
    if (t < attack)
        return t / attack;
    return exp(-(t - attack) / tau);
}

/* Scales all channels so that the largest |sample| is PEAK. */
static void normalise(sig *s, double peak)
{
    double m = 0.0;
    for (int c = 0; c < s->channels; c++)
        for (int64_t i = 0; i < s->frames; i++)
            m = fmax(m, fabs(s->ch[c][i]));
    if (m > 0.0)
        for (int c = 0; c < s->channels; c++)
            for (int64_t i = 0; i < s->frames; i++)
                s->ch[c][i] = (float)(s->ch[c][i] * (peak / m));
}

/* Band-pass noise bursts: random centre 80 Hz..8 kHz, Q 0.7..4, attack 2..60 ms,
 * decay 50..500 ms, level -18..-12 dB, partly correlated L/R, over a quiet noise bed;
 * a slow +/-6 dB swell (17 s period) spreads the loudness distribution smoothly. */
static sig *make_noise_bursts(int rate, double seconds, uint64_t seed)
{
    int64_t n = frames_of(seconds, rate);
    sig *s = sig_new(rate, 2, n, n);
    rng r = { seed };
    double bed_l = 0.0, bed_r = 0.0;
    for (int64_t i = 0; i < n; i++) { /* bed: low-passed noise near -50 dBFS */
        bed_l += 0.05 * (rng_gauss(&r) - bed_l);
        bed_r += 0.05 * (rng_gauss(&r) - bed_r);
        s->ch[0][i] = (float)(0.012 * bed_l);
        s->ch[1][i] = (float)(0.012 * bed_r);
    }
    double t = 0.05;
    while (t < seconds - 0.1) {
        reson fl = { 0 }, fr = { 0 };
        double freq = 80.0 * pow(100.0, 0.5 * (rng_uniform(&r) + 1.0));
        double q = 0.7 + 1.65 * (rng_uniform(&r) + 1.0);
        double att = 0.002 + 0.029 * (rng_uniform(&r) + 1.0);
        double tau = 0.05 + 0.225 * (rng_uniform(&r) + 1.0);
        double level = amp_of_db(-15.0 + 3.0 * rng_uniform(&r));
        double pan = 0.5 + 0.4 * rng_uniform(&r), width = 0.5 + 0.5 * rng_uniform(&r);
        level *= amp_of_db(6.0 * sin(2.0 * M_PI * t / 17.0));
        reson_set(&fl, freq, q, rate);
        reson_set(&fr, freq, q, rate);
        int64_t i0 = frames_of(t, rate), len = frames_of(att + 6.0 * tau, rate);
        for (int64_t k = 0; k < len && i0 + k < n; k++) {
            double e = level * env((double)k / rate, att, tau) * sqrt(q) * 2.0;
            double common = rng_gauss(&r), dl = rng_gauss(&r), dr = rng_gauss(&r);
            double xl = common + width * dl, xr = common + width * dr;
            s->ch[0][i0 + k] += (float)(e * (1.0 - pan) * 2.0 * reson_run(&fl, xl));
            s->ch[1][i0 + k] += (float)(e * pan * 2.0 * reson_run(&fr, xr));
        }
        t += 0.2 + 0.3 * (rng_uniform(&r) + 1.0);
    }
    normalise(s, 0.95);
    return s;
}

/* Chords: every 1.5 s a triad plus octave of harmonic tones (8 partials, 1/h^1.2),
 * 3 ms attack, 1.2 s decay, slightly detuned between L and R; a noise 'snare'
 * with a 0.5 ms attack every second; soft passage from 35 % to 60 %. */
static sig *make_chords(int rate, double seconds, uint64_t seed)
{
    static const int steps[] = { 0, 2, 4, 5, 7, 9, 11 };
    int64_t n = frames_of(seconds, rate);
    sig *s = sig_new(rate, 2, n, n);
    rng r = { seed };
    for (double t0 = 0.0; t0 < seconds; t0 += 1.5) {
        int root = steps[(int)((rng_uniform(&r) + 1.0) * 3.5) % 7];
        double vel = 0.3 + 0.35 * (rng_uniform(&r) + 1.0);
        if (t0 > 0.35 * seconds && t0 < 0.6 * seconds)
            vel *= 0.15;
        const int chord[4] = { root, root + 4, root + 7, root + 12 };
        int64_t i0 = frames_of(t0, rate), len = frames_of(1.5, rate);
        for (int nt = 0; nt < 4; nt++) {
            double f0 = 220.0 * pow(2.0, chord[nt] / 12.0);
            for (int c = 0; c < 2; c++) {
                double f = f0 * (c ? 1.002 : 0.998);
                double ph = rng_uniform(&r) * M_PI;
                for (int64_t k = 0; k < len && i0 + k < n; k++) {
                    double tt = (double)k / rate, v = 0.0;
                    for (int h = 1; h <= 8; h++)
                        v += sin(2.0 * M_PI * f * h * tt + ph * h) / pow(h, 1.2);
                    s->ch[c][i0 + k] += (float)(0.12 * vel * env(tt, 0.003, 1.2 / (1.0 + 0.2 * nt)) * v);
                }
            }
        }
    }
    for (double t0 = 0.5; t0 < seconds; t0 += 1.0) { /* snare: high-passed noise */
        int64_t i0 = frames_of(t0, rate), len = frames_of(0.25, rate);
        double prev = 0.0;
        for (int64_t k = 0; k < len && i0 + k < n; k++) {
            double w = rng_gauss(&r), hp = w - prev;
            prev = w;
            double e = 0.35 * env((double)k / rate, 0.0005, 0.04);
            s->ch[0][i0 + k] += (float)(e * hp);
            s->ch[1][i0 + k] += (float)(e * (0.8 * hp + 0.2 * rng_gauss(&r)));
        }
    }
    normalise(s, 0.97);
    return s;
}

/* 5.1 (L R C LFE Ls Rs) at 120 BPM: kick (sine swept 165 -> 45 Hz, 0.5 ms attack,
 * 180 ms decay), saw-like bass line, 8th-note hats, a vibrato 'voice' in C in 2 s
 * phrases, decorrelated ambience in Ls/Rs, and kick + bass fundamentals in the LFE. */
static sig *make_kick_bass(int rate, double seconds, uint64_t seed)
{
    static const double bass[] = { 41.2, 55.0, 61.7, 49.0 };
    int64_t n = frames_of(seconds, rate);
    sig *s = sig_new(rate, 6, n, n);
    rng r = { seed };
    double kph = 0.0, bph = 0.0, vph = 0.0, amb_l = 0.0, amb_r = 0.0, hprev = 0.0, hat = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double tk = fmod(t, 0.5), tb = fmod(t, 0.25), th = fmod(t, 0.125);
        /* kick */
        double fk = 45.0 + 120.0 * exp(-tk / 0.03);
        kph += 2.0 * M_PI * fk / rate;
        double kick = 0.9 * env(tk, 0.0005, 0.18) * sin(kph);
        /* bass */
        double fb = bass[(int)(t / 0.25) % 4];
        bph += 2.0 * M_PI * fb / rate;
        double saw = 0.0;
        for (int h = 1; h <= 10; h++)
            saw += sin(h * bph) / h;
        double eb = env(tb, 0.005, 0.3);
        double bassv = 0.25 * eb * saw, bass1 = 0.25 * eb * sin(bph);
        /* hats: high-passed noise, 15 ms decay, accents on the beat */
        if (th < 1.0 / rate)
            hat = (fmod(t, 0.5) < 1.0 / rate) ? 0.3 : 0.18;
        double w = rng_gauss(&r), hh = (w - hprev) * hat * env(th, 0.0002, 0.015);
        hprev = w;
        /* voice: 220 Hz with 5 Hz vibrato, formant-weighted partials, 2 s phrases */
        double vib = 220.0 * (1.0 + 0.01 * sin(2.0 * M_PI * 5.0 * t));
        vph += 2.0 * M_PI * vib / rate;
        double voice = 0.0;
        for (int h = 1; h <= 12; h++)
            voice += sin(h * vph) * exp(-pow((h * 220.0 - 700.0) / 500.0, 2.0)) / h;
        double gate = fmod(t, 4.0) < 2.0 ? env(fmod(t, 4.0), 0.05, 0.8) : 0.0;
        amb_l += 0.02 * (rng_gauss(&r) - amb_l);
        amb_r += 0.02 * (rng_gauss(&r) - amb_r);
        s->ch[0][i] = (float)(kick + bassv + 0.7 * hh);
        s->ch[1][i] = (float)(kick + bassv + 0.5 * hh + 0.1 * hh * rng_uniform(&r));
        s->ch[2][i] = (float)(0.6 * gate * voice);
        s->ch[3][i] = (float)(0.8 * kick + 1.2 * bass1);
        s->ch[4][i] = (float)(0.15 * amb_l + 0.3 * hh);
        s->ch[5][i] = (float)(0.15 * amb_r - 0.3 * hh);
    }
    normalise(s, 0.98);
    return s;
}

int main(void)
{
    /* 20 s per signal, with or without the sanitizers: most of the time goes into
     * libebur128 (its short-term read every 10 ms sums 3 s of audio), which ASan does
     * not slow down; much shorter signals would leave libebur128's 1 s LRA sampling
     * too few values for even the loose LRA comparison. */
    const double secs = 20.0;
    lathe_channel_role stereo[LATHE_MAX_CHANNELS], surround[LATHE_MAX_CHANNELS];
    lathe_channel_roles_default(2, stereo);
    lathe_channel_roles_default(6, surround);
    CHECK(surround[3] == LATHE_CHANNEL_LFE, "5.1 default roles: channel 3 is %s",
          lathe_channel_role_name(surround[3]));

    sig *s = make_noise_bursts(44100, secs, 0x51ed2701);
    compare("noise bursts", s, stereo);
    sig_free(s);
    s = make_chords(48000, secs, 0xc0ffee);
    compare("chords + snare", s, stereo);
    sig_free(s);
    s = make_kick_bass(48000, secs, 0xb16b00b5);
    compare("kick/bass 5.1", s, surround);
    sig_free(s);
    s = make_kick_bass(44100, secs * 0.5, 0x5eed);
    compare("kick/bass 5.1 @ 44.1k", s, surround);
    sig_free(s);
    return test_summary();
}
