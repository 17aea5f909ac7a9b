/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The limiter's building blocks against exact answers: the true-peak detector on sines
 * of known amplitude (50 Hz .. 20 kHz, any phase; libebur128 alongside), on an impulse
 * (interval alignment, independence from call sizes and the skipping floor), against a
 * plain per-branch evaluation of its interpolators written here (bit for bit, every
 * factor, three rates, each vector code the CPU has), the sliding-window maximum and the
 * moving average against brute force, value by value and in runs (as the limiter drives
 * them). */
#include <ebur128.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/boxcar.h"
#include "dsp/peak_hold.h"
#include "dsp/tp_detect.h"
#include "testutil.h"

static uint64_t rng = 88172645463325252ull;

static double urand(void) /* [0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Largest detector reading (and libebur128's true peak, in EB) for a sine of amplitude
 * A faded in over 50 ms, 8192 frames at RATE. */
static double sine_reading(int factor, double rate, double freq, double a, double phase,
                           double *eb)
{
    enum { N = 8192 };
    static float x[N];
    float pk[256];
    for (size_t i = 0; i < N; i++)
        x[i] = (float)(a * sin(2 * M_PI * freq * (double)i / rate + phase)
                       * fmin(1.0, (double)i / (0.05 * rate)));
    lathe_tp_detector d;
    if (lathe_tp_detector_init(&d, factor, 256, rate) != LATHE_OK)
        abort();
    double best = 0.0;
    for (size_t off = 0; off < N; off += 256) {
        lathe_tp_detect(&d, x + off, 256, 0.0f, pk);
        for (size_t i = 0; i < 256; i++)
            best = pk[i] > best ? pk[i] : best;
    }
    lathe_tp_detector_free(&d);
    ebur128_state *st = ebur128_init(1, (unsigned long)rate, EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, x, N);
    ebur128_true_peak(st, 0, eb);
    ebur128_destroy(&st);
    return best;
}

/* A sine reads its amplitude (never less), or what the BS.1770-4 meter reads if that is
 * more: libebur128 reads a 15 kHz sine at 44.1 kHz 0.105 dB high (the 49-tap
 * interpolator's ripple), and the detector includes that interpolator. */
static void test_sines(void)
{
    static const double freqs[] = { 50, 997, 5000, 11025, 15000, 19000, 20000 };
    double lo8 = 0, hi8 = -1, lo4 = 0, hi4 = -1;
    for (int fi = 0; fi < 7; fi++)
        for (int k = 0; k < 4; k++) {
            double ph = 2 * M_PI * urand(), eb8, eb4;
            double r8 = 20 * log10(sine_reading(8, 44100.0, freqs[fi], 0.5, ph, &eb8) / 0.5);
            double r4 = 20 * log10(sine_reading(4, 44100.0, freqs[fi], 0.5, ph, &eb4) / 0.5);
            double eb = 20 * log10(eb8 / 0.5);
            lo8 = fmin(lo8, r8), hi8 = fmax(hi8, r8);
            lo4 = fmin(lo4, r4), hi4 = fmax(hi4, r4);
            CHECK(r8 >= -0.003 && r8 >= eb - 1e-4 && r8 <= fmax(0.0, eb) + 0.003,
                  "8x, %.0f Hz: reads %+.4f dB re amplitude, libebur128 %+.4f dB", freqs[fi],
                  r8, eb);
            CHECK(r4 >= -0.06 && r4 >= eb - 1e-4 && r4 <= fmax(0.0, eb) + 0.003,
                  "4x, %.0f Hz: reads %+.4f dB re amplitude, libebur128 %+.4f dB", freqs[fi],
                  r4, eb);
        }
    printf("sines 50 Hz .. 20 kHz at 44.1 kHz, reading re amplitude: 8x %+.4f .. %+.4f dB, "
           "4x %+.4f .. %+.4f dB\n", lo8, hi8, lo4, hi4);
}

/* An impulse at sample k: the intervals [n - 24, n - 23] touching k (frames k + 23 and
 * k + 24) read exactly its height; the frames either side read less. Skipping with a
 * floor never hides a value above the floor. */
static void test_impulse(void)
{
    for (int factor = 4; factor <= 8; factor++) {
        lathe_tp_detector d;
        lathe_tp_detector_init(&d, factor, 100, 48000.0);
        float x[1000] = { 0 }, pk[1000], pk2[1000];
        x[300] = 0.7f;
        for (size_t off = 0; off < 1000; off += 100)
            lathe_tp_detect(&d, x + off, 100, 0.0f, pk + off);
        lathe_tp_detector_reset(&d);
        for (size_t off = 0; off < 1000; off += 50)   /* different calls, a floor */
            lathe_tp_detect(&d, x + off, 50, 0.3f, pk2 + off);
        lathe_tp_detector_free(&d);
        CHECK(pk[300 + LATHE_TP_DELAY] == 0.7f && pk[300 + LATHE_TP_DELAY - 1] == 0.7f,
              "factor %d: impulse frames read %.6f %.6f", factor,
              (double)pk[300 + LATHE_TP_DELAY - 1], (double)pk[300 + LATHE_TP_DELAY]);
        CHECK(pk[300 + LATHE_TP_DELAY + 1] < 0.7f && pk[300 + LATHE_TP_DELAY - 2] < 0.7f,
              "factor %d: neighbours of the impulse read its height", factor);
        int same = 1;
        for (int i = 0; i < 1000; i++)
            if (pk[i] > 0.3f || pk2[i] > 0.3f)
                same &= pk[i] == pk2[i];
            else
                same &= pk2[i] <= 0.3f;
        CHECK(same, "factor %d: values above the floor depend on the call pattern", factor);
    }
}

/* The skipping floor against the detector without one, on signals whose interpolated
 * peaks sit well above their samples (full-scale noise, a near-Nyquist two-tone, a
 * square wave, each branch's worst case: samples of its coefficients' signs, also on a DC
 * offset, and with its neighbours' difference for the parabola), a quiet-loud mix and
 * sines at 40 Hz, 1.5 kHz and 6 kHz, at every factor 4 .. 8, 44.1, 96 and 192 kHz, floors at
 * several levels, random call sizes: every frame whose exact reading is above the
 * floor reads exactly that (so the bounds used for skipping are upper bounds: a frame
 * skipped wrongly would read its bound instead); every other frame reads at most the
 * floor. */
static void test_floor_bound(void)
{
    enum { N = 24000 };
    static float x[N], exact[N], floored[N];
    static const double rates[] = { 44100.0, 96000.0, 192000.0 };
    int bad_exact = 0, bad_bound = 0, frames_above = 0, cases = 0;
    for (int ri = 0; ri < 3; ri++)
        for (int kind = 0; kind < 10; kind++) {
            const double rate = rates[ri];
            for (size_t i = 0; i < N && (kind < 4 || kind == 6 || kind == 7 || kind == 8); i++) {
                double t = (double)i / rate, v;
                if (kind == 0)
                    v = 2.0 * urand() - 1.0;
                else if (kind == 1)
                    v = 0.5 * sin(2 * M_PI * 0.43 * rate * t) + 0.5 * sin(2 * M_PI * 0.45 * rate * t + 1.0);
                else if (kind == 2)
                    v = fmod(t * rate / 7.3, 1.0) < 0.5 ? 0.9 : -0.9;
                else if (kind == 3)
                    v = (fmod(t, 0.05) < 0.01 ? 0.9 : 0.1) * (2.0 * urand() - 1.0);
                else    /* smooth: where the centred bound comes close to the reading */
                    v = 0.9 * sin(2 * M_PI * (kind == 6 ? 40.0 : kind == 7 ? 1500.0 : 6000.0) * t);
                /* (kinds 4, 5 and 9 are built below from the coefficients) */
                x[i] = (float)v;
            }
            for (int factor = 4; factor <= 8; factor++) {
                lathe_tp_detector d;
                if (lathe_tp_detector_init(&d, factor, 256, rate) != LATHE_OK)
                    abort();
                if (kind == 9) {
                    /* the centred bound's worst cases: around a DC offset, the signs of
                     * each branch plus or minus its neighbours' difference / 8 (what a
                     * parabola's vertex can add) */
                    const int fi = factor - LATHE_TP_MIN_FACTOR;
                    int j = 0;
                    for (size_t i = 0; i < N; i++)
                        x[i] = 0.5f;
                    for (size_t n0 = 200; n0 < N; n0 += 200, j++) {
                        const int k1 = j % LATHE_TP_KINDS;
                        const int p = 1 + (j / LATHE_TP_KINDS) % (factor - 1);
                        const double sg = (j / (LATHE_TP_KINDS * (factor - 1))) % 2 ? 1 : -1;
                        const float *c = d.coef[k1][fi][p - 1];
                        const float *lo = p > 1 ? d.coef[k1][fi][p - 2] : NULL;
                        const float *hi = p < factor - 1 ? d.coef[k1][fi][p] : NULL;
                        for (int k = 0; k < d.taps[k1]; k++) {
                            const double diff = (lo ? lo[k] : 0.0) - (hi ? hi[k] : 0.0);
                            x[n0 - (size_t)d.offset[k1] - (size_t)k] =
                                c[k] + sg * diff / 8.0 > 0 ? 0.95f : 0.05f;
                        }
                    }
                } else if (kind == 4 || kind == 5) {
                    /* the worst case of each branch: samples of its coefficients' signs,
                     * so that branch reads the sum of its |coefficients|; kind 5 on a
                     * DC offset (0 or 0.9), where the centred bound matters */
                    const int fi = factor - LATHE_TP_MIN_FACTOR;
                    int j = 0;
                    for (size_t i = 0; i < N; i++)
                        x[i] = 0.0f;
                    for (size_t n0 = 200; n0 < N; n0 += 200, j++) {
                        const int k1 = j % LATHE_TP_KINDS, p = 1 + (j / LATHE_TP_KINDS) % (factor - 1);
                        const float *c = d.coef[k1][fi][p - 1];
                        for (int k = 0; k < d.taps[k1]; k++)
                            x[n0 - (size_t)d.offset[k1] - (size_t)k] = c[k] > 0 ? 0.9f
                                                                      : kind == 5 ? 0.0f : -0.9f;
                    }
                }
                for (size_t off = 0; off < N; off += 256)
                    lathe_tp_detect(&d, x + off, N - off < 256 ? N - off : 256, 0.0f, exact + off);
                float top = 0.0f;
                for (size_t i = 0; i < N; i++)
                    top = exact[i] > top ? exact[i] : top;
                static const double levels[] = { 0.3, 0.6, 0.8, 0.9, 0.97 };
                for (int li = 0; li < 5; li++) {
                    const float fl = (float)(levels[li] * top);
                    lathe_tp_detector_reset(&d);
                    for (size_t off = 0; off < N;) {
                        size_t len = 1 + (size_t)(urand() * 256.0);
                        len = len > 256 ? 256 : len > N - off ? N - off : len;
                        lathe_tp_detect(&d, x + off, len, fl, floored + off);
                        off += len;
                    }
                    for (size_t i = 0; i < N; i++) {
                        if (exact[i] > fl) {
                            frames_above++;
                            bad_exact += floored[i] != exact[i];
                        } else {
                            bad_bound += !(floored[i] <= fl);
                        }
                    }
                    cases++;
                }
                lathe_tp_detector_free(&d);
            }
        }
    printf("skipping floor: %d cases, %d frames above their floor\n", cases, frames_above);
    CHECK(bad_exact == 0, "%d frames above the floor read other than without a floor", bad_exact);
    CHECK(bad_bound == 0, "%d frames under the floor read above it", bad_bound);
}

/* The detector's reading of frame N (newest sample X[N], X[N - 48] existing) computed
 * plainly from its coefficients: every branch of every interpolator as its own FIR in
 * float, summed from 0 in tap order (the order a FIR in any vector width keeps), the
 * interval's ends, and the parabola through each local maximum of a refined kind's
 * points (the previous frame's last one, this frame's, the next start) within 12.5 % of
 * the top. */
static float reference_frame(const lathe_tp_detector *d, const float *x, size_t n)
{
    const int f = d->factor, fi = f - LATHE_TP_MIN_FACTOR;
    const float *xn = x + n;
    float top = fmaxf(fabsf(xn[-LATHE_TP_DELAY]), fabsf(xn[-LATHE_TP_DELAY + 1]));
    float z[LATHE_TP_KINDS][LATHE_TP_MAX_FACTOR + 2];
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++) {
        for (int m = 0; m <= f; m++) {
            /* m = 0: branch f - 1 one frame earlier; m = 1: the interval start */
            const int p = m == 0 ? f - 1 : m - 1;
            const float *xs = m == 0 ? xn - 1 : xn;
            if (m == 1) {
                z[kind][1] = xn[-LATHE_TP_DELAY];
                continue;
            }
            float acc = 0.0f;
            for (int k = 0; k < d->taps[kind]; k++)
                acc += d->coef[kind][fi][p - 1][k] * xs[-d->offset[kind] - k];
            z[kind][m] = acc;
            if (m > 1)
                top = fmaxf(top, fabsf(acc));
        }
        z[kind][f + 1] = xn[-LATHE_TP_DELAY + 1];
    }
    for (int p = 1; p < d->bs_factor; p++) {
        float acc = 0.0f;
        for (int k = 0; k < d->bs_taps; k++)
            acc += d->bs_coef[p - 1][k] * xn[-d->bs_offset - k];
        top = fmaxf(top, fabsf(acc));
    }
    float best = top;
    for (int kind = 0; kind < LATHE_TP_KINDS; kind++)
        for (int m = 1; m <= f; m++) {
            const float a = z[kind][m - 1], b = z[kind][m], c = z[kind][m + 1];
            const float ma = fabsf(a), mb = fabsf(b), mc = fabsf(c);
            if (!(mb * 1.125f > top) || !(a * b > 0.0f && c * b > 0.0f) || ma > mb || mc > mb)
                continue;
            const float den = ma - 2.0f * mb + mc;
            if (den < 0.0f)
                best = fmaxf(best, mb - (ma - mc) * (ma - mc) / (8.0f * den));
        }
    return best;
}

/* With no floor the detector reads every frame exactly as reference_frame does, bit for
 * bit: noise, a loud 60 Hz tone under a little noise, clicks, a near-Nyquist two-tone;
 * every factor; 44.1, 96 and 192 kHz (the BS.1770 interpolator at 4x, 2x, off); random
 * call sizes; and each of the vector codes this CPU has (d.isa lowered), also with a floor
 * (values above it the same). */
static void test_reference(void)
{
    enum { N = 6000, PAD = 64 };
    static float buf[PAD + N], got[N], other[N];
    float *const x = buf + PAD;         /* 48 zeros of history before x[0] */
    static const double rates[] = { 44100.0, 96000.0, 192000.0 };
    int bad = 0, bad_isa = 0, frames = 0, variants = 0;
    for (int ri = 0; ri < 3; ri++)
        for (int kind = 0; kind < 4; kind++) {
            const double rate = rates[ri];
            for (size_t i = 0; i < N; i++) {
                const double t = (double)i / rate;
                x[i] = (float)(kind == 0 ? 2.0 * urand() - 1.0
                             : kind == 1 ? 0.9 * sin(2 * M_PI * 60.0 * t) + 0.02 * (urand() - 0.5)
                             : kind == 2 ? (urand() < 0.01 ? (urand() < 0.5 ? 0.9 : -0.9) : 0.0)
                             : 0.45 * sin(2 * M_PI * 0.44 * rate * t) + 0.45 * sin(2 * M_PI * 0.46 * rate * t));
            }
            for (int factor = 4; factor <= 8; factor++) {
                lathe_tp_detector d;
                if (lathe_tp_detector_init(&d, factor, 256, rate) != LATHE_OK)
                    abort();
                const int isa_max = d.isa;
                for (size_t off = 0; off < N;) {
                    size_t len = 1 + (size_t)(urand() * 256.0);
                    len = len > N - off ? N - off : len;
                    lathe_tp_detect(&d, x + off, len, 0.0f, got + off);
                    off += len;
                }
                for (size_t i = 0; i < N; i++) {
                    const float want = reference_frame(&d, x, i);
                    if (got[i] != want && bad++ < 5)
                        fprintf(stderr, "rate %.0f kind %d factor %d frame %zu: %.9g, reference %.9g\n",
                                rate, kind, factor, i, (double)got[i], (double)want);
                    frames++;
                }
                float top = 0.0f;
                for (size_t i = 0; i < N; i++)
                    top = got[i] > top ? got[i] : top;
                for (int isa = 0; isa <= isa_max; isa++) {
                    const float fl = isa == isa_max ? 0.8f * top : 0.0f;
                    d.isa = isa;
                    lathe_tp_detector_reset(&d);
                    for (size_t off = 0; off < N; off += 100)
                        lathe_tp_detect(&d, x + off, N - off < 100 ? N - off : 100, fl, other + off);
                    for (size_t i = 0; i < N; i++)
                        bad_isa += got[i] > fl ? other[i] != got[i] : !(other[i] <= fl);
                    variants++;
                }
                lathe_tp_detector_free(&d);
            }
        }
    printf("reference: %d frames against a plain evaluation, %d runs in the vector codes\n",
           frames, variants);
    CHECK(bad == 0, "%d frames read other than a plain evaluation of the interpolators", bad);
    CHECK(bad_isa == 0, "%d frames read differently in another vector code", bad_isa);
}

static void test_peak_hold(void)
{
    lathe_peak_hold h;
    CHECK(lathe_peak_hold_init(&h, 64, 10) == LATHE_OK, "peak_hold init");
    static double v[5000];
    int ok = 1;
    size_t len = 10;
    for (int i = 0; i < 5000; i++) {
        if (i == 2000)
            lathe_peak_hold_set_length(&h, len = 64);
        if (i == 3500)
            lathe_peak_hold_set_length(&h, len = 3);
        v[i] = urand() < 0.3 ? 0.0 : urand() * 10.0 - 1.0;   /* zeros and negatives too */
        double got = lathe_peak_hold_push(&h, v[i]), want = 0.0;
        /* the window is the last LEN values; right after lengthening at 2000 it can only
         * reach back to what the old window still held (1991 .. 1999) */
        size_t from = (size_t)i + 1 >= len ? (size_t)i + 1 - len : 0;
        if (i >= 2000 && i < 2064 && from < 1991)
            from = 1991;
        for (size_t j = from; j <= (size_t)i; j++)
            want = v[j] > want ? v[j] : want;
        if (got != want)
            ok = 0;
    }
    CHECK(ok, "sliding maximum differs from brute force");
    lathe_peak_hold_free(&h);
}

static void test_boxcar(void)
{
    lathe_boxcar b;
    CHECK(lathe_boxcar_init(&b, 37, 16) == LATHE_OK, "boxcar init");
    static double v[4000];
    double worst = 0.0;
    int zero_exact = 1;
    for (int i = 0; i < 4000; i++) {
        v[i] = (i / 500) % 2 ? 0.0 : urand() * 20.0;
        double got = lathe_boxcar_push(&b, v[i]), want = 0.0;
        for (int j = i - 36; j <= i; j++)
            want += j >= 0 ? v[j] : 0.0;
        want /= 37.0;
        worst = fmax(worst, fabs(got - want));
        if (want == 0.0 && got != 0.0)
            zero_exact = 0;
    }
    CHECK(worst < 1e-12, "moving average off by %.3g", worst);
    CHECK(zero_exact, "moving average of zeros not exactly 0");
    lathe_boxcar_free(&b);
}

/* lathe_peak_hold_run (in place, runs of 1..300 values) against brute force, with the
 * window changed between runs (1..400 values). Once a value has left the window it
 * stays out, so the window at index t reaches back to REACH = max(the previous REACH,
 * t - len + 1). The values come in bursts separated by zeros (and negatives) for longer
 * than the window, so runs of zeros meet an empty and a non-empty window. */
static void test_peak_hold_run(void)
{
    enum { N = 30000 };
    static double v[N], out[N];
    lathe_peak_hold h;
    CHECK(lathe_peak_hold_init(&h, 400, 50) == LATHE_OK, "peak_hold init");
    for (size_t i = 0; i < N; i++)
        v[i] = (i / 700) % 3 == 0 || urand() < 0.4 ? (urand() < 0.5 ? 0.0 : -urand())
                                                   : urand() * 10.0;
    size_t len = 50, reach = 0, i = 0, bad = 0, runs = 0;
    double worst_got = 0.0, worst_want = 0.0;
    while (i < N) {
        size_t k = 1 + (size_t)(urand() * 300.0);
        k = k < N - i ? k : N - i;
        if (urand() < 0.1) {
            len = 1 + (size_t)(urand() * 400.0);
            lathe_peak_hold_set_length(&h, len);
        }
        memcpy(out + i, v + i, sizeof(double) * k);
        lathe_peak_hold_run(&h, out + i, out + i, k);
        for (size_t t = i; t < i + k; t++) {
            if (t + 1 >= len && t + 1 - len > reach)
                reach = t + 1 - len;
            double want = 0.0;
            for (size_t x = reach; x <= t; x++)
                want = v[x] > want ? v[x] : want;
            if (out[t] != want && !bad++) {
                worst_got = out[t];
                worst_want = want;
            }
        }
        i += k;
        runs++;
    }
    CHECK(bad == 0, "sliding maximum in runs: %zu of %d values differ from brute force "
          "(first: %.17g, want %.17g)", bad, N, worst_got, worst_want);
    printf("peak hold in %zu runs: %zu of %d values differ from brute force\n", runs, bad, N);
    lathe_peak_hold_free(&h);
}

/* Values for the moving-average tests: stretches of zeros (none up to twice a window of
 * 37) between stretches of values from 1e-9 to 100, the tiny ones right after big ones
 * (where a running sum's rounding is largest). */
static void boxcar_values(double *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t zeros = (size_t)(urand() * 80.0), vals = 1 + (size_t)(urand() * 200.0);
        for (size_t k = 0; k < zeros && i < n; k++)
            v[i++] = 0.0;
        for (size_t k = 0; k < vals && i < n; k++)
            v[i++] = urand() < 0.5 ? 100.0 * urand() : 1e-9 * (1.0 + urand());
    }
}

/* Mean of the LEN values of X up to index T (values before 0 are 0). */
static double brute_mean(const double *x, size_t t, size_t len)
{
    double s = 0.0;
    for (size_t k = 0; k < len && k <= t; k++)
        s += x[t - k];
    return s / (double)len;
}

/* Pushes V[0 .. N) into B in runs of 1 .. block values (the run interface); MEAN gets
 * each value's result. */
static void boxcar_runs(lathe_boxcar *b, const double *v, double *mean, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = 1 + (size_t)(urand() * (double)b->block);
        k = k < n - i ? k : n - i;
        lathe_boxcar_run r;
        double *w = lathe_boxcar_run_begin(b, k, &r);
        for (size_t j = 0; j < k; j++) {
            w[b->len + j] = v[i + j];
            mean[i + j] = v[i + j] > 0.0
                        ? lathe_boxcar_run_add(&r, b->inv_len, v[i + j], w[j])
                        : lathe_boxcar_run_next(&r, b->len, b->inv_len, j, v[i + j], w[j]);
        }
        lathe_boxcar_run_end(b, &r, k);
        i += k;
    }
}

/* The run interface of the moving average against brute force: within 1e-12 (values up
 * to 100: the running sum's rounding), exactly 0 whenever the window holds only zeros,
 * and lathe_boxcar_empty exactly then. */
static void test_boxcar_runs(void)
{
    enum { N = 40000, LEN = 37 };
    static double v[N], got[N];
    lathe_boxcar b;
    CHECK(lathe_boxcar_init(&b, LEN, 16) == LATHE_OK, "boxcar init");
    boxcar_values(v, N);
    double worst = 0.0;
    size_t zero_bad = 0, zero_windows = 0;
    size_t i = 0;
    int empty_ok = 1;
    while (i < N) {       /* in pieces, to check lathe_boxcar_empty between runs */
        size_t k = 1 + (size_t)(urand() * 64.0);
        k = k < N - i ? k : N - i;
        boxcar_runs(&b, v + i, got + i, k);
        i += k;
        int empty = 1;
        for (size_t x = i > LEN ? i - LEN : 0; x < i; x++)
            empty = empty && v[x] == 0.0;
        empty_ok = empty_ok && lathe_boxcar_empty(&b) == empty;
    }
    for (size_t t = 0; t < N; t++) {
        const double want = brute_mean(v, t, LEN);
        if (want == 0.0) {
            zero_windows++;
            zero_bad += got[t] != 0.0;
        } else {
            worst = fmax(worst, fabs(got[t] - want));
        }
    }
    printf("moving average in runs: worst error %.3g, %zu empty windows\n", worst,
           zero_windows);
    CHECK(worst < 1e-12, "moving average in runs off by %.3g", worst);
    CHECK(zero_windows > 1000 && zero_bad == 0, "%zu of %zu empty windows not exactly 0",
          zero_bad, zero_windows);
    CHECK(empty_ok, "lathe_boxcar_empty differs from the window's contents");
    lathe_boxcar_free(&b);
}

/* lathe_boxcar_max_into pairs the windows' values by age, however each box got there:
 * box A takes sequence X in runs; box B takes Y, whose first SKIP values are zeros that
 * it never sees (as a quiet limiter channel skips them), in other runs; then A := max(A,
 * B) and zeros follow: each mean must be that of max(X, Y) taken value by value. */
static void test_boxcar_max_into(void)
{
    enum { N = 3000, LEN = 37, SKIP = 1234, TAIL = 60 };
    static double x[N + TAIL], y[N + TAIL], mx[N + TAIL], got[N + TAIL];
    lathe_boxcar a, b;
    CHECK(lathe_boxcar_init(&a, LEN, 16) == LATHE_OK && lathe_boxcar_init(&b, LEN, 16) == LATHE_OK,
          "boxcar init");
    boxcar_values(x, N);
    boxcar_values(y, N);
    for (size_t i = 0; i < SKIP; i++)
        y[i] = 0.0;
    for (size_t i = N; i < N + TAIL; i++)
        x[i] = y[i] = 0.0;
    for (size_t i = 0; i < N + TAIL; i++)
        mx[i] = x[i] > y[i] ? x[i] : y[i];
    boxcar_runs(&a, x, got, N);
    boxcar_runs(&b, y + SKIP, got, N - SKIP);
    lathe_boxcar_max_into(&a, &b);
    boxcar_runs(&a, x + N, got + N, TAIL);
    double worst = 0.0;
    int zero_ok = 1;
    for (size_t t = N; t < N + TAIL; t++) {
        const double want = brute_mean(mx, t, LEN);
        worst = fmax(worst, fabs(got[t] - want));
        zero_ok = zero_ok && (want == 0.0) == (got[t] == 0.0);
    }
    CHECK(worst < 1e-12, "window maximum by age: mean off by %.3g", worst);
    CHECK(zero_ok, "window maximum by age: mean 0 at other times than brute force");
    lathe_boxcar_free(&a);
    lathe_boxcar_free(&b);
}

int main(void)
{
    test_sines();
    test_impulse();
    test_floor_bound();
    test_reference();
    test_peak_hold();
    test_boxcar();
    test_peak_hold_run();
    test_boxcar_runs();
    test_boxcar_max_into();
    return test_summary();
}
