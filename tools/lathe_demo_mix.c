/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_demo_mix: synthesises a deterministic 40 s "unmastered" demo mix as a WAV file.
 *
 * Usage: lathe_demo_mix OUT.wav
 *
 * Everything is generated here (no samples): drums (kick with a pitch envelope, snare
 * as tone + band-limited noise, hats as high-passed noise), an 8th-note bass line,
 * pads (detuned saw + triangle voices through a low-pass), and a plucked arpeggio with
 * a ping-pong echo. 120 BPM, A minor, 20 bars = 40 s, 44.1 kHz stereo, 24-bit PCM.
 *
 * It is meant to sound like a mix before mastering: the bus is scaled so its sample
 * peak sits at -6 dBFS (integrated loudness then lands near -19 LUFS), and the kick,
 * sub and bass are mixed too hot, so the bands below 150 Hz carry clearly more energy
 * than a balanced master would.
 *
 * Deterministic: one fixed-seed PRNG, no clocks, no threads; the same build writes the
 * same bytes on every run. Exit codes: 0 ok, 2 usage, 5 output not writable, 70 out of
 * memory. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>

#define RATE 44100                     /* Hz */
#define BARS 20
#define BPM 120.0
#define STEP_S (60.0 / BPM / 4.0)      /* one 16th note: 0.125 s */
#define BAR_S (16 * STEP_S)            /* 2 s */
#define TOTAL_S (BARS * BAR_S)         /* 40 s */
#define FRAMES ((size_t)(TOTAL_S * RATE))
#define PEAK_DBFS (-6.0)               /* target sample peak of the whole mix */
#define TWO_PI (2.0 * M_PI)

/* ---- deterministic noise: xorshift64* (Vigna 2016), fixed seed ---- */

typedef struct prng {
    uint64_t s;
} prng;

/* Uniform in [-1, 1). */
static double prng_bipolar(prng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    uint64_t v = r->s * UINT64_C(2685821657736338717);
    return (double)(v >> 11) * (2.0 / 9007199254740992.0) - 1.0; /* 53 bits */
}

/* Uniform in [0, 1). */
static double prng_unit(prng *r)
{
    return 0.5 * (prng_bipolar(r) + 1.0);
}

/* ---- a stereo track buffer ---- */

typedef struct track {
    double *l, *r;
} track;

static void track_clear(track *t)
{
    memset(t->l, 0, FRAMES * sizeof *t->l);
    memset(t->r, 0, FRAMES * sizeof *t->r);
}

/* Equal-power pan: PAN -1 (left) .. +1 (right). */
static void pan_gains(double pan, double *gl, double *gr)
{
    double a = (pan + 1.0) * M_PI / 4.0;
    *gl = cos(a);
    *gr = sin(a);
}

/* Frame index of time T seconds, clamped to the song. */
static size_t frame_at(double t)
{
    double f = floor(t * RATE + 0.5);
    if (f < 0.0)
        return 0;
    if (f > (double)FRAMES)
        return FRAMES;
    return (size_t)f;
}

static double midi_hz(int note)
{
    return 440.0 * pow(2.0, (note - 69) / 12.0);
}

/* ---- filters ---- */

/* Biquad from the well-known bilinear-transform designs (Bristow-Johnson's
 * "Audio EQ Cookbook" formulas), direct form I. */
typedef struct biquad {
    double b0, b1, b2, a1, a2;
    double x1, x2, y1, y2;
} biquad;

enum { BQ_LOWPASS, BQ_HIGHPASS, BQ_BANDPASS };

static void biquad_design(biquad *f, int kind, double fc_hz, double q)
{
    double w = TWO_PI * fc_hz / RATE, cw = cos(w), alpha = sin(w) / (2.0 * q);
    double a0 = 1.0 + alpha, b0, b1, b2;
    switch (kind) {
    case BQ_LOWPASS: b0 = (1.0 - cw) / 2.0; b1 = 1.0 - cw; b2 = b0; break;
    case BQ_HIGHPASS: b0 = (1.0 + cw) / 2.0; b1 = -(1.0 + cw); b2 = b0; break;
    default: b0 = alpha; b1 = 0.0; b2 = -alpha; break; /* band-pass, 0 dB peak */
    }
    f->b0 = b0 / a0;
    f->b1 = b1 / a0;
    f->b2 = b2 / a0;
    f->a1 = -2.0 * cw / a0;
    f->a2 = (1.0 - alpha) / a0;
    f->x1 = f->x2 = f->y1 = f->y2 = 0.0;
}

static double biquad_run(biquad *f, double x)
{
    double y = f->b0 * x + f->b1 * f->x1 + f->b2 * f->x2 - f->a1 * f->y1 - f->a2 * f->y2;
    f->x2 = f->x1;
    f->x1 = x;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

/* Filters a whole track in place (each channel with its own state). */
static void track_filter(track *t, int kind, double fc_hz, double q)
{
    biquad fl, fr;
    biquad_design(&fl, kind, fc_hz, q);
    biquad_design(&fr, kind, fc_hz, q);
    for (size_t n = 0; n < FRAMES; n++) {
        t->l[n] = biquad_run(&fl, t->l[n]);
        t->r[n] = biquad_run(&fr, t->r[n]);
    }
}

/* ---- oscillators ---- */

/* PolyBLEP residual for a unit step at phase 0 (phase P in [0,1), increment DT):
 * a two-sample polynomial correction that removes most of a naive saw's aliasing. */
static double poly_blep(double p, double dt)
{
    if (p < dt) {
        double t = p / dt;
        return t + t - t * t - 1.0;
    }
    if (p > 1.0 - dt) {
        double t = (p - 1.0) / dt;
        return t * t + t + t + 1.0;
    }
    return 0.0;
}

static double saw(double p, double dt)
{
    return 2.0 * p - 1.0 - poly_blep(p, dt);
}

static double triangle(double p)
{
    return p < 0.5 ? 4.0 * p - 1.0 : 3.0 - 4.0 * p;
}

static double wrap(double p)
{
    return p - floor(p);
}

/* ---- instruments: each adds one event into a track ---- */

/* Kick: sine falling from ~170 Hz to 48 Hz in ~100 ms, long boomy body, a short click. */
static void kick(track *t, prng *r, double at_s, double vel)
{
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + 0.7);
    double phase = 0.0;
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double f = 48.0 + 120.0 * exp(-s / 0.035);
        phase += TWO_PI * f / RATE;
        double amp = exp(-s / 0.30) * (s < 0.002 ? s / 0.002 : 1.0);
        double x = sin(phase) * amp + 0.15 * prng_bipolar(r) * exp(-s / 0.003);
        t->l[n] += vel * x;
        t->r[n] += vel * x;
    }
}

/* Snare: two damped partials (190 and 330 Hz) plus band-passed noise, a little right. */
static void snare(track *t, prng *r, double at_s, double vel)
{
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + 0.45);
    biquad bp;
    double gl, gr;
    biquad_design(&bp, BQ_BANDPASS, 2500.0, 0.6);
    pan_gains(0.08, &gl, &gr);
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double tone = 0.55 * sin(TWO_PI * 190.0 * s) * exp(-s / 0.05)
                    + 0.25 * sin(TWO_PI * 330.0 * s) * exp(-s / 0.035);
        double noise = 1.1 * biquad_run(&bp, prng_bipolar(r)) * exp(-s / 0.11);
        double x = vel * (tone + noise) * (s < 0.001 ? s / 0.001 : 1.0);
        t->l[n] += gl * x;
        t->r[n] += gr * x;
    }
}

/* Hat: white noise (the hat track is high-passed as a whole); DECAY_S sets closed/open. */
static void hat(track *t, prng *r, double at_s, double vel, double decay_s)
{
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + 6.0 * decay_s);
    double gl, gr;
    pan_gains(0.35, &gl, &gr);
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double x = vel * prng_bipolar(r) * exp(-s / decay_s);
        t->l[n] += gl * x;
        t->r[n] += gr * x;
    }
}

/* Bass: PolyBLEP saw through a low-pass (Chamberlin state-variable filter) whose
 * cutoff falls from ~1.1 kHz to 250 Hz, plus a sine at the fundamental (44-65 Hz),
 * which with the kick is where the excess low end comes from. Centre-panned. */
static void bass(track *t, double at_s, double dur_s, int note, double vel)
{
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + dur_s + 0.03);
    double f = midi_hz(note), dt = f / RATE, p = 0.0, low = 0.0, band = 0.0;
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double fc = 250.0 + 850.0 * exp(-s / 0.09);
        double k = 2.0 * sin(M_PI * fc / RATE), q = 0.7;
        double x = saw(p, dt);
        double high = x - low - q * band;
        band += k * high;
        low += k * band;
        double sub = sin(TWO_PI * p);
        double env = (s < 0.004 ? s / 0.004 : 1.0) * (s > dur_s ? exp(-(s - dur_s) / 0.008) : 1.0);
        double y = vel * env * (0.55 * low + 0.75 * sub);
        t->l[n] += y;
        t->r[n] += y;
        p = wrap(p + dt);
    }
}

/* Pad note: two saws detuned by +-8 cents (pushed left/right) and a triangle in the
 * middle, slow attack and release. The pad track is low-passed as a whole. */
static void pad(track *t, prng *r, double at_s, double dur_s, int note, double pan,
                double vel)
{
    const double release = 0.35;
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + dur_s + 5.0 * release);
    double f = midi_hz(note);
    double f1 = f * pow(2.0, 8.0 / 1200.0), f2 = f * pow(2.0, -8.0 / 1200.0);
    double p1 = prng_unit(r), p2 = prng_unit(r), p3 = prng_unit(r);
    double la, ra, lb, rb, lc, rc;
    pan_gains(pan - 0.3, &la, &ra);
    pan_gains(pan + 0.3, &lb, &rb);
    pan_gains(pan, &lc, &rc);
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double env = (s < 0.06 ? s / 0.06 : 1.0) * (s > dur_s ? exp(-(s - dur_s) / release) : 1.0);
        double a = saw(p1, f1 / RATE), b = saw(p2, f2 / RATE), c = triangle(p3);
        double g = vel * env;
        t->l[n] += g * (0.5 * la * a + 0.5 * lb * b + 0.6 * lc * c);
        t->r[n] += g * (0.5 * ra * a + 0.5 * rb * b + 0.6 * rc * c);
        p1 = wrap(p1 + f1 / RATE);
        p2 = wrap(p2 + f2 / RATE);
        p3 = wrap(p3 + f / RATE);
    }
}

/* Pluck: a triangle with a fast exponential decay. */
static void pluck(track *t, double at_s, int note, double pan, double vel)
{
    size_t n0 = frame_at(at_s), n1 = frame_at(at_s + 0.9);
    double f = midi_hz(note), p = 0.0, gl, gr;
    pan_gains(pan, &gl, &gr);
    for (size_t n = n0; n < n1; n++) {
        double s = (double)(n - n0) / RATE;
        double x = vel * triangle(p) * exp(-s / 0.14) * (s < 0.002 ? s / 0.002 : 1.0);
        t->l[n] += gl * x;
        t->r[n] += gr * x;
        p = wrap(p + f / RATE);
    }
}

/* ---- the arrangement ---- */

/* Am F C G, one chord per bar. */
static const int chord_root[4] = { 33, 29, 36, 31 };             /* A1 F1 C2 G1 */
static const int chord_pad[4][3] = { { 57, 60, 64 }, { 57, 60, 65 },
                                     { 55, 60, 64 }, { 55, 59, 62 } };
static const int chord_arp[4][4] = { { 69, 72, 76, 81 }, { 69, 72, 77, 81 },
                                     { 67, 72, 76, 79 }, { 67, 71, 74, 79 } };

enum section { INTRO, VERSE, BREAK, CHORUS, OUTRO };

static enum section section_of(int bar)
{
    if (bar < 4) return INTRO;
    if (bar < 12) return VERSE;
    if (bar < 14) return BREAK;
    if (bar < 19) return CHORUS;
    return OUTRO;
}

static double step_time(int bar, int step)
{
    return bar * BAR_S + step * STEP_S;
}

static void add_track(track *mix, const track *t, double gain)
{
    for (size_t n = 0; n < FRAMES; n++) {
        mix->l[n] += gain * t->l[n];
        mix->r[n] += gain * t->r[n];
    }
}

static void render_drums(track *mix, track *t, prng *r)
{
    /* kick */
    track_clear(t);
    for (int bar = 0; bar < BARS; bar++) {
        enum section sec = section_of(bar);
        for (int st = 0; st < 16; st++) {
            int hit = 0;
            if (sec == INTRO && bar >= 2) hit = st % 4 == 0;
            if (sec == VERSE) hit = st == 0 || st == 8 || st == 10 || (bar % 2 && st == 3);
            if (sec == CHORUS) hit = st % 4 == 0 || (bar % 4 == 3 && st == 14);
            if (sec == OUTRO) hit = st == 0;
            if (hit)
                kick(t, r, step_time(bar, st), (sec == INTRO ? 0.75 : 1.0) * (st % 4 ? 0.85 : 1.0));
        }
    }
    add_track(mix, t, 0.95);

    /* snare: backbeat, ghost notes, a fill at the end of the break */
    track_clear(t);
    for (int bar = 0; bar < BARS; bar++) {
        enum section sec = section_of(bar);
        for (int st = 0; st < 16; st++) {
            double vel = 0.0;
            if ((sec == VERSE || sec == CHORUS) && (st == 4 || st == 12)) vel = 1.0;
            if (sec == VERSE && bar % 4 == 3 && st == 15) vel = 0.3;
            if (sec == CHORUS && (st == 7 || st == 9)) vel = 0.22;
            if (bar == 13 && st >= 8) vel = 0.35 + 0.045 * (st - 8) * (st % 2 ? 0.8 : 1.0);
            if (vel > 0.0)
                snare(t, r, step_time(bar, st), vel * (0.92 + 0.08 * prng_unit(r)));
        }
    }
    add_track(mix, t, 0.55);

    /* hats: 8ths in the intro and verse, 16ths with open off-beats in the chorus */
    track_clear(t);
    for (int bar = 0; bar < BARS; bar++) {
        enum section sec = section_of(bar);
        for (int st = 0; st < 16; st++) {
            double vel = 0.0, decay = 0.03;
            if ((sec == INTRO || sec == VERSE) && st % 2 == 0) vel = st % 4 ? 0.8 : 0.5;
            if (sec == INTRO) vel *= 0.7;
            if (sec == CHORUS) {
                vel = st % 2 ? 0.45 : 0.75;
                if (st % 4 == 2) decay = 0.09;
            }
            if (vel > 0.0)
                hat(t, r, step_time(bar, st), vel * (0.85 + 0.15 * prng_unit(r)), decay);
        }
    }
    track_filter(t, BQ_HIGHPASS, 7000.0, 0.7);
    track_filter(t, BQ_HIGHPASS, 7000.0, 0.7);
    add_track(mix, t, 0.22);
}

static void render_bass(track *mix, track *t)
{
    track_clear(t);
    for (int bar = 2; bar < BARS; bar++) {
        enum section sec = section_of(bar);
        int root = chord_root[bar % 4];
        if (sec == INTRO) {
            for (int st = 0; st < 16; st += 4)
                bass(t, step_time(bar, st), 3.5 * STEP_S, root, 0.8);
        } else if (sec == BREAK || sec == OUTRO) {
            bass(t, step_time(bar, 0), sec == OUTRO ? 1.6 : 15.5 * STEP_S, root, 0.8);
        } else {
            for (int st = 0; st < 16; st += 2) {
                int note = root + ((st == 6 || st == 14) ? 12 : 0);
                bass(t, step_time(bar, st), 1.7 * STEP_S, note, st % 4 ? 0.85 : 1.0);
            }
        }
    }
    add_track(mix, t, 0.62);
}

static void render_pads(track *mix, track *t, prng *r)
{
    static const double pans[3] = { -0.6, 0.0, 0.6 };
    track_clear(t);
    for (int bar = 0; bar < BARS; bar++) {
        const int *ch = chord_pad[bar % 4];
        double dur = section_of(bar) == OUTRO ? 1.4 : BAR_S - 0.05;
        for (int v = 0; v < 3; v++)
            pad(t, r, step_time(bar, 0), dur, ch[v], pans[v], 1.0);
    }
    track_filter(t, BQ_LOWPASS, 1800.0, 0.8);
    add_track(mix, t, 0.075);
}

/* Arpeggio in the break and chorus, with a ping-pong echo (dotted 8th). */
static void render_arp(track *mix, track *t)
{
    static const int order[8] = { 0, 1, 2, 3, 2, 1, 2, 3 };
    const double echo_s = 3.0 * STEP_S;
    track_clear(t);
    for (int bar = 12; bar < 19; bar++) {
        const int *ch = chord_arp[bar % 4];
        for (int st = 0; st < 16; st++) {
            double at = step_time(bar, st), vel = st % 4 == 0 ? 1.0 : 0.7;
            int note = ch[order[st % 8]];
            pluck(t, at, note, -0.4, vel);
            pluck(t, at + echo_s, note, 0.55, 0.35 * vel);
            pluck(t, at + 2.0 * echo_s, note, -0.4, 0.12 * vel);
        }
    }
    add_track(mix, t, 0.11);
}

/* Cosine fade over the last FADE_S seconds. */
static void fade_out(track *mix, double fade_s)
{
    size_t n0 = frame_at(TOTAL_S - fade_s);
    for (size_t n = n0; n < FRAMES; n++) {
        double x = (double)(n - n0) / (double)(FRAMES - n0);
        double g = 0.5 * (1.0 + cos(M_PI * x));
        mix->l[n] *= g;
        mix->r[n] *= g;
    }
}

static int write_wav(const char *path, const track *mix, double gain)
{
    SF_INFO sfi;
    memset(&sfi, 0, sizeof sfi);
    sfi.samplerate = RATE;
    sfi.channels = 2;
    sfi.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &sfi);
    if (!sf) {
        fprintf(stderr, "lathe_demo_mix: %s: cannot write: %s\n", path, sf_strerror(NULL));
        return 5;
    }
    enum { CHUNK = 4096 };
    int buf[2 * CHUNK];
    int rc = 0;
    for (size_t n0 = 0; n0 < FRAMES && rc == 0; n0 += CHUNK) {
        size_t len = FRAMES - n0 < CHUNK ? FRAMES - n0 : CHUNK;
        for (size_t i = 0; i < len; i++) {
            for (int c = 0; c < 2; c++) {
                /* round to 24 bits, left-justified in an int as libsndfile expects */
                double v = (c ? mix->r : mix->l)[n0 + i] * gain * 8388608.0;
                double q = floor(v + 0.5);
                if (q > 8388607.0) q = 8388607.0;
                if (q < -8388608.0) q = -8388608.0;
                buf[2 * i + (size_t)c] = (int)q * 256;
            }
        }
        if (sf_writef_int(sf, buf, (sf_count_t)len) != (sf_count_t)len) {
            fprintf(stderr, "lathe_demo_mix: %s: write failed: %s\n", path, sf_strerror(sf));
            rc = 5;
        }
    }
    if (sf_close(sf) != 0 && rc == 0) {
        fprintf(stderr, "lathe_demo_mix: %s: cannot finish the file\n", path);
        rc = 5;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        int help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fprintf(help ? stdout : stderr,
                "Usage: lathe_demo_mix OUT.wav\n"
                "Writes a deterministic 40 s unmastered demo mix (44.1 kHz stereo 24-bit WAV):\n"
                "sample peak -6 dBFS, about -19 LUFS, with too much low end.\n");
        return help ? 0 : 2;
    }
    track mix, tmp;
    mix.l = calloc(FRAMES, sizeof(double));
    mix.r = calloc(FRAMES, sizeof(double));
    tmp.l = calloc(FRAMES, sizeof(double));
    tmp.r = calloc(FRAMES, sizeof(double));
    if (!mix.l || !mix.r || !tmp.l || !tmp.r) {
        fprintf(stderr, "lathe_demo_mix: out of memory\n");
        return 70;
    }
    prng r = { UINT64_C(0x1a7e2024deadbeef) };

    render_drums(&mix, &tmp, &r);
    render_bass(&mix, &tmp);
    render_pads(&mix, &tmp, &r);
    render_arp(&mix, &tmp);
    fade_out(&mix, 1.5);

    double peak = 0.0;
    for (size_t n = 0; n < FRAMES; n++) {
        peak = fmax(peak, fabs(mix.l[n]));
        peak = fmax(peak, fabs(mix.r[n]));
    }
    double gain = peak > 0.0 ? pow(10.0, PEAK_DBFS / 20.0) / peak : 1.0;
    int rc = write_wav(argv[1], &mix, gain);
    if (rc == 0)
        printf("lathe_demo_mix: wrote %s (%.1f s, %d Hz stereo, 24-bit PCM, sample peak %.1f dBFS)\n",
               argv[1], TOTAL_S, RATE, PEAK_DBFS);
    free(mix.l);
    free(mix.r);
    free(tmp.l);
    free(tmp.r);
    return rc;
}
