/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The limiter model (src/engine/limit_model.c) against the limiter itself, measured by
 * libebur128, on synthetic beats at several rates, channel counts and limiter settings:
 * the loudness change it predicts at gains of 0 to 14 dB is the real limiter's (output
 * vs input, libebur128) within 0.3 LU, and - what the engine relies on - once shifted by
 * what it missed at its first answer, its next answer lands the real limiter within
 * 0.02 LU. (These beats are harsher than music: kicks and noise snares 10-14 dB over the
 * ceiling. On the eleven music pairs of bench/matchering.sh the model's first answer
 * landed within 0.01 LU.) Silence has nothing to model. */
#include <ebur128.h>
#include <string.h>
#include "engine/limit_model.h"
#include "lathe/fx.h"
#include "meter/loudness.h"
#include "testutil.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void)       /* xorshift64*, uniform in [-1, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 4503599627370496.0 - 1.0;
}

/* A beat (decaying 55 Hz kicks every 0.5 s, noise snares on the off-beats), a chord
 * and hiss, in sections 4 s long whose level steps over 7 dB (all above the relative gate, whose
 * steps would make any loudness jump as a block crosses it); channels differ.
 * BRIGHT: the noise white, as no mix has it; else low-passed at ~4 kHz (one pole), as
 * music's spectrum falls. */
static void make_signal(float **ch, int channels, size_t frames, int rate, int bright)
{
    const float a = bright ? 0.0f : (float)exp(-2.0 * M_PI * 4000.0 / rate);
    float lp[8] = { 0 };
    static const double section_db[] = { -10, -6, -3, -8, -4, -7 };
    for (size_t i = 0; i < frames; i++) {
        const double t = (double)i / rate;
        const double beat = fmod(t, 0.5), off = fmod(t + 0.25, 0.5);
        const double lvl = pow(10.0, section_db[(size_t)(t / 4.0) % 6] / 20.0);
        const double kick = exp(-beat * 18.0) * sin(2 * M_PI * (55.0 + 60.0 * exp(-beat * 30.0)) * t);
        const double chord = 0.15 * (sin(2 * M_PI * 220.0 * t) + sin(2 * M_PI * 277.2 * t)
                                     + sin(2 * M_PI * 329.6 * t));
        const double n = urand();
        for (int c = 0; c < channels; c++) {
            lp[c] = (float)((c ? urand() : n) * (1.0 - a)) + a * lp[c];
            const double snare = exp(-off * 25.0) * 0.6 * lp[c] * (bright ? 1.0 : 2.5);
            const double hiss = 0.03 * urand();
            ch[c][i] = (float)(lvl * (0.9 * kick + snare + chord * (c ? 0.8 : 1.0) + hiss));
        }
    }
}

static double ebur(float **ch, int channels, size_t frames, int rate)
{
    ebur128_state *st = ebur128_init((unsigned)channels, (unsigned long)rate, EBUR128_MODE_I);
    float *buf = malloc(sizeof(float) * 4096 * (size_t)channels);
    for (int c = 0; c < channels; c++)     /* every channel weighted 1, as the model's meter */
        ebur128_set_channel(st, (unsigned)c, EBUR128_LEFT);
    for (size_t off = 0; off < frames; off += 4096) {
        size_t n = frames - off < 4096 ? frames - off : 4096;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                buf[i * (size_t)channels + (size_t)c] = ch[c][off + i];
        ebur128_add_frames_float(st, buf, n);
    }
    double l = -HUGE_VAL;
    ebur128_loudness_global(st, &l);
    ebur128_destroy(&st);
    free(buf);
    return l;
}

/* The real limiter at gain G over IN into OUT (latency compensated, same length). */
static void limit(const lathe_limit_model_cfg *mc, float **in, float **out, int channels,
                  size_t frames, double g_db)
{
    const lathe_fx_class *cls = lathe_fx_class_find("limiter");
    const lathe_fx_setup setup = { mc->rate_hz, channels, 512, (long long)frames };
    double p[16];
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    p[lathe_fx_param_index(cls, "ceiling_dbtp")] = mc->ceiling_dbtp;
    p[lathe_fx_param_index(cls, "lookahead_ms")] = mc->lookahead_ms;
    p[lathe_fx_param_index(cls, "release_ms")] = mc->release_ms;
    p[lathe_fx_param_index(cls, "hold_ms")] = mc->hold_ms;
    p[lathe_fx_param_index(cls, "release_mode")] = mc->auto_release ? 1 : 0;
    lathe_fx *fx = NULL;
    if (lathe_fx_create(cls, &setup, p, &fx) != LATHE_OK) {
        CHECK(0, "limiter create");
        return;
    }
    const size_t lat = lathe_fx_latency(fx);
    const float gl = (float)pow(10.0, g_db / 20.0);
    float blk[8][512];
    float *b[8];
    for (int c = 0; c < channels; c++)
        b[c] = blk[c];
    size_t written = 0;
    for (size_t off = 0; written < frames; off += 512) {
        const size_t n = 512;
        for (int c = 0; c < channels; c++)
            for (size_t i = 0; i < n; i++)
                blk[c][i] = off + i < frames ? in[c][off + i] * gl : 0.0f;
        lathe_fx_process(fx, b, n);
        for (size_t i = 0; i < n; i++) {
            const size_t pos = off + i;
            if (pos < lat || pos - lat >= frames)
                continue;
            for (int c = 0; c < channels; c++)
                out[c][pos - lat] = blk[c][i];
            written++;
        }
    }
    lathe_fx_destroy(fx);
}

static lathe_limit_model *build(const lathe_limit_model_cfg *mc, float **ch, int channels,
                                size_t frames)
{
    lathe_limit_model *m = NULL;
    lathe_loudness_meter *lm = NULL;
    const double w[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    const lathe_loudness_config lc = { mc->rate_hz, channels, w, 0, 0, 0, 777 };
    if (lathe_limit_model_create(mc, channels, &m) != LATHE_OK
        || lathe_loudness_create(&lc, &lm) != LATHE_OK) {
        CHECK(0, "model/meter create");
        return NULL;
    }
    lathe_loudness_set_slice_fn(lm, lathe_limit_model_slice, m);
    for (size_t off = 0; off < frames; off += 777) {   /* odd blocks on purpose */
        const size_t n = frames - off < 777 ? frames - off : 777;
        const float *p[8];
        for (int c = 0; c < channels; c++)
            p[c] = ch[c] + off;
        lathe_loudness_process(lm, p, n);
        CHECK(lathe_limit_model_push(m, p, n) == LATHE_OK, "push");
    }
    lathe_loudness_destroy(lm);
    CHECK(lathe_limit_model_finish(m) == LATHE_OK, "finish");
    return m;
}

static void one_case(const char *name, int rate, int channels, lathe_limit_model_cfg mc,
                     double seconds, int bright)
{
    mc.rate_hz = rate;
    const size_t frames = (size_t)(seconds * rate);
    float *in[8], *out[8];
    for (int c = 0; c < channels; c++) {
        in[c] = malloc(sizeof(float) * frames);
        out[c] = malloc(sizeof(float) * frames);
    }
    make_signal(in, channels, frames, rate, bright);
    lathe_limit_model *m = build(&mc, in, channels, frames);
    if (!m)
        return;
    const double l_in = ebur(in, channels, frames, rate);
    double worst = 0.0;
    /* gains from none to heavy limiting (the loud sections peak near 0 dBFS) */
    for (double g = 0.0; g <= 14.0; g += 3.5) {
        double change, grm;
        CHECK(lathe_limit_model_change(m, g, &change, &grm) == LATHE_OK, "change");
        limit(&mc, in, out, channels, frames, g);
        const double actual = ebur(out, channels, frames, rate) - l_in;
        char what[160];
        snprintf(what, sizeof what, "%s: loudness change at +%.1f dB (real limiter, libebur128; "
                 "model's peak reduction %.2f dB)", name, g, grm);
        CHECK_NEAR(change, actual, 0.3, what);
        worst = fmax(worst, fabs(change - actual));
    }
    /* the gain it solves for lands the real limiter on the target; where it misses (the
     * bright signal), the engine's next step - the model shifted by the miss - lands */
    const double target = l_in + 3.0;
    double g, c1;
    char what[160];
    CHECK(lathe_limit_model_solve(m, l_in, target, 0.0, -60.0, 40.0, &g) == LATHE_OK, "solve");
    limit(&mc, in, out, channels, frames, g);
    double l1 = ebur(out, channels, frames, rate);
    snprintf(what, sizeof what, "%s: real limiter at the solved gain %.3f dB", name, g);
    CHECK_NEAR(l1, target, 0.3, what);
    CHECK(lathe_limit_model_change(m, g, &c1, NULL) == LATHE_OK, "change");
    double g2, c2;
    CHECK(lathe_limit_model_solve(m, l_in, target, l1 - (l_in + c1), -60.0, 40.0, &g2) == LATHE_OK,
          "solve");
    limit(&mc, in, out, channels, frames, g2);
    const double l2 = ebur(out, channels, frames, rate);
    snprintf(what, sizeof what, "%s: real limiter after one correction (gain %.3f dB)", name, g2);
    CHECK_NEAR(l2, target, 0.02, what);
    /* the offset moves the answer by the same amount in loudness */
    CHECK(lathe_limit_model_change(m, g2, &c2, NULL) == LATHE_OK, "change");
    CHECK_NEAR(l_in + c2 + l1 - (l_in + c1), target, 0.002, "solve with an offset");
    /* bounds are honoured */
    CHECK(lathe_limit_model_solve(m, l_in, target, 0.0, -60.0, 2.0, &g2) == LATHE_OK
              && g2 == 2.0, "solve capped at 2 dB: got %.4f", g2);
    printf("%s: worst |model - real| %.4f LU over 0..14 dB; at the solved gain %.3f dB %+.4f LU, "
           "after one correction %+.4f LU\n", name, worst, g, l1 - target, l2 - target);
    lathe_limit_model_destroy(m);
    for (int c = 0; c < channels; c++) {
        free(in[c]);
        free(out[c]);
    }
}

int main(void)
{
    const int san = getenv("LATHE_SANITIZED") != NULL;
    const double secs = san ? 12.0 : 24.0;
    const lathe_limit_model_cfg fixed60 = { 0, -0.7, 5.0, 60.0, 10.0, 0 };
    const lathe_limit_model_cfg auto100 = { 0, -1.0, 5.0, 100.0, 10.0, 1 };
    const lathe_limit_model_cfg slow = { 0, -0.3, 10.0, 200.0, 20.0, 0 };
    const lathe_limit_model_cfg quick = { 0, -2.0, 1.5, 20.0, 0.0, 1 };
    one_case("44.1 kHz stereo, fixed 60 ms", 44100, 2, fixed60, secs, 0);
    one_case("48 kHz mono, auto 100 ms", 48000, 1, auto100, secs, 0);
    one_case("96 kHz stereo, fixed 200 ms, 10 ms look-ahead", 96000, 2, slow, san ? 8.0 : secs, 0);
    one_case("22.05 kHz 5 channels, auto 20 ms, no hold", 22050, 5, quick, secs, 0);
    one_case("44.1 kHz stereo, white-noise snares", 44100, 2, fixed60, secs, 1);

    /* digital silence: nothing to gate */
    lathe_limit_model_cfg mc = fixed60;
    mc.rate_hz = 44100;
    lathe_limit_model *m = NULL;
    CHECK(lathe_limit_model_create(&mc, 2, &m) == LATHE_OK, "create");
    float z[4410] = { 0 };
    const float *p[2] = { z, z };
    for (int k = 0; k < 20; k++) {
        CHECK(lathe_limit_model_push(m, p, 4410) == LATHE_OK, "push");
        for (int s = 0; s < 10; s++)
            lathe_limit_model_slice(m, 0.0, 441, s == 9);
    }
    CHECK(lathe_limit_model_finish(m) == LATHE_ERR_EMPTY, "silence: nothing to model");
    lathe_limit_model_destroy(m);
    /* absurd settings are refused */
    mc.release_ms = 0.0;
    CHECK(lathe_limit_model_create(&mc, 2, &m) == LATHE_ERR_INVALID_ARGUMENT && !m, "release 0");
    mc = fixed60;
    mc.rate_hz = 44100;
    CHECK(lathe_limit_model_create(&mc, 9, &m) == LATHE_ERR_INVALID_ARGUMENT, "9 channels");
    return test_summary();
}
