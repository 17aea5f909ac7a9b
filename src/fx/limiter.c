/* SPDX-License-Identifier: GPL-3.0-or-later */
/* limiter: look-ahead true-peak limiter. The output's true peak stays under the
 * ceiling with smooth gain changes; see docs/fx/limiter.md for the design.
 *
 * Signal path per input frame n (all channels in step):
 *   1. input gain (glides over 50 ms), non-finite samples replaced by 0, samples beyond
 *      +120 dBFS clipped there;
 *   2. true-peak detection at 4x..8x (dsp/tp_detect): P[n] estimates max |x(t)| over
 *      the sample interval starting at j = n - DELAY, as the largest reading of an
 *      accurate interpolator, libswresample's and the BS.1770-4 reference;
 *   3. required gain reduction R[j] = max(0, 20 log10(P / T)) dB, T = the ceiling less a
 *      safety margin; "linked" takes the largest R over the channels;
 *   4. hold: H[j] = max of R over the last S + 2 PAD + 1 + hold frames (peak_hold), where
 *      S = the look-ahead in frames;
 *   5. release: E follows H up at once and down exponentially ("fixed"); "auto" adds a
 *      slow envelope E_s that follows E while H > 0 (and falls to 0 otherwise) with an
 *      attack of 5 and a release of 10 release times, and uses max(E, E_s): short
 *      peaks recover fast, sustained limiting slowly;
 *   6. smoothing: three cascaded moving averages of total span S + 1 frames (a
 *      quadratic B-spline kernel, so the gain curve has continuous slope and curvature);
 *   7. the output frame m = j - S - PAD = n - latency gets gain 10^(-Z/20).
 * Why the ceiling holds: every value averaged in step 6 for frame m comes from a hold
 * window (step 4) that contains R over [m - PAD, m + PAD], and E >= H, so the averaged
 * reduction is at least the largest reduction required within PAD frames of m: the
 * gain reaches its floor before the peak arrives and leaves it only after. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/boxcar.h"
#include "dsp/dbgain.h"
#include "dsp/peak_hold.h"
#include "dsp/simd.h"
#include "dsp/smooth.h"
#include "dsp/tp_detect.h"
#include "fx/limiter.h"
#include "fx/registry.h"

enum {
    P_CEILING, P_LOOKAHEAD, P_RELEASE, P_RELEASE_MODE, P_HOLD, P_OVERSAMPLING, P_LINK,
    P_INPUT_GAIN, P_COUNT
};

enum { MODE_FIXED, MODE_AUTO };
enum { LINK_LINKED, LINK_INDEPENDENT };

static const char *const mode_choices[] = { "fixed", "auto", NULL };
static const char *const link_choices[] = { "linked", "independent", NULL };

static const lathe_param_desc params[P_COUNT] = {
    [P_CEILING] = { "ceiling_dbtp", LATHE_UNIT_DBTP, -20.0, 0.0, -1.0, NULL,
                    "Highest true-peak level of the output (ITU-R BS.1770-4, as libebur128 "
                    "and ffmpeg measure it)." },
    [P_LOOKAHEAD] = { "lookahead_ms", LATHE_UNIT_MS, 0.5, 10.0, 5.0, NULL,
                      "Attack time: the gain starts falling this long before a peak; sets "
                      "the latency (fixed when the limiter is created)." },
    [P_RELEASE] = { "release_ms", LATHE_UNIT_MS, 1.0, 1000.0, 100.0, NULL,
                    "Release time constant after a peak (in auto mode: after short peaks)." },
    [P_RELEASE_MODE] = { "release_mode", LATHE_UNIT_CHOICE, 0, 1, MODE_AUTO, mode_choices,
                         "fixed: one release time; auto: program-dependent, recovering quickly "
                         "from short peaks and slowly after sustained limiting." },
    [P_HOLD] = { "hold_ms", LATHE_UNIT_MS, 0.0, 50.0, 10.0, NULL,
                 "Time the gain stays down after a peak before releasing; covering the "
                 "half period of the lowest bass note avoids low-frequency distortion." },
    [P_OVERSAMPLING] = { "oversampling", LATHE_UNIT_INTEGER, 4, 8, 8, NULL,
                         "Oversampling factor of the true-peak detector (4 to 8)." },
    [P_LINK] = { "link", LATHE_UNIT_CHOICE, 0, 1, LINK_LINKED, link_choices,
                 "linked: one gain for all channels (keeps the stereo image); independent: "
                 "each channel limited on its own." },
    [P_INPUT_GAIN] = { "input_gain_db", LATHE_UNIT_DB, -24.0, 24.0, 0.0, NULL,
                       "Gain before limiting (drive); changes glide over 50 ms." },
};

#define MARGIN_DB 0.05          /* aim this far under the ceiling (see docs/fx/limiter.md) */
#define PAD 2                   /* frames either side of a sample whose peaks bound its gain */
#define CHUNK 256               /* frames per internal block */
#define GLIDE_S 0.050           /* input gain and ceiling glide time */
#define SLOW_ATTACK 5.0         /* auto mode: slow envelope attack, in release times */
#define SLOW_RELEASE 10.0       /* auto mode: slow envelope release, in release times */
#define SNAP_DB 1e-6            /* an envelope this close to its target jumps there */
#define MAX_HOLD_MS 50.0
#define INPUT_MAX 1e6f          /* +120 dBFS */

/* The state of steps 4-6. */
typedef struct chain_regs {
    lathe_peak_hold hold;
    lathe_boxcar box[3];
    double e_fast, e_slow;      /* envelopes, dB of reduction */
    int quiet;                  /* steps 4-6 hold nothing: reduction 0 stays 0 at no cost */
} chain_regs;

typedef struct lim_chan {
    lathe_tp_detector det;
    chain_regs g;
    float *delay;               /* ring of delay_mask + 1 samples */
    float peak[CHUNK];
    float in[CHUNK];
    double held[CHUNK];         /* steps 3-4: R, then H, per frame (dB) */
    double gain[CHUNK];         /* step 7: linear gain per frame (1 where Z = 0) */
    double zdb[CHUNK];          /* step 6's Z per frame, dB (0: none) */
} lim_chan;

typedef struct lim_state {
    int channels;
    double rate;
    double p[P_COUNT];
    size_t lookahead;           /* S, frames */
    size_t latency;             /* DELAY + S + PAD */
    size_t delay_mask;
    size_t write;               /* delay ring write position */
    lathe_ramp in_gain;         /* linear */
    lathe_ramp thresh;          /* linear T = ceiling - margin */
    float clamp;                /* last-resort sample clamp (linear ceiling) */
    size_t clamp_hold;          /* frames until clamp may drop to the new ceiling */
    double a_rel, a_slow_att, a_slow_rel;
    float gin[CHUNK];
    float tcur[CHUNK];
    double gr_max, gr_sum;
    long long frames, active;
    /* detection replay (fx/limiter.h): mode, the caller's per-frame peaks */
    lathe_limiter_detection det_mode;
    float *det_peaks;
    double det_headroom, det_scale;
    lim_chan ch[8];
} lim_state;

static double coef_for(double time_s, double rate)
{
    return exp(-1.0 / (time_s * rate));
}

static void set_release(lim_state *s)
{
    const double r = s->p[P_RELEASE] / 1000.0;
    s->a_rel = coef_for(r, s->rate);
    s->a_slow_att = coef_for(SLOW_ATTACK * r, s->rate);
    s->a_slow_rel = coef_for(SLOW_RELEASE * r, s->rate);
}

static size_t hold_len(const lim_state *s)
{
    size_t h = (size_t)llround(s->p[P_HOLD] / 1000.0 * s->rate);
    return s->lookahead + 2 * PAD + 1 + h;
}

static double thresh_lin(double ceiling_db)
{
    return pow(10.0, (ceiling_db - MARGIN_DB) / 20.0);
}

static void lim_destroy(void *state)
{
    lim_state *s = state;
    if (!s)
        return;
    for (int c = 0; c < 8; c++) {
        lathe_tp_detector_free(&s->ch[c].det);
        lathe_peak_hold_free(&s->ch[c].g.hold);
        for (int b = 0; b < 3; b++)
            lathe_boxcar_free(&s->ch[c].g.box[b]);
        free(s->ch[c].delay);
    }
    free(s);
}

static void lim_reset(void *state)
{
    lim_state *s = state;
    for (int c = 0; c < s->channels; c++) {
        lim_chan *k = &s->ch[c];
        lathe_tp_detector_reset(&k->det);
        lathe_peak_hold_reset(&k->g.hold);
        for (int b = 0; b < 3; b++)
            lathe_boxcar_reset(&k->g.box[b]);
        k->g.e_fast = k->g.e_slow = 0.0;
        k->g.quiet = 1;
        memset(k->delay, 0, sizeof(float) * (s->delay_mask + 1));
    }
    s->write = 0;
    lathe_ramp_finish(&s->in_gain);
    lathe_ramp_finish(&s->thresh);
    s->clamp = (float)pow(10.0, s->p[P_CEILING] / 20.0);
    s->clamp_hold = 0;
    s->gr_max = s->gr_sum = 0.0;
    s->frames = s->active = 0;
}

static lathe_status lim_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    lim_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = p[i];
    s->lookahead = (size_t)llround(p[P_LOOKAHEAD] / 1000.0 * s->rate);
    if (s->lookahead < 1)
        s->lookahead = 1;
    s->latency = LATHE_TP_DELAY + s->lookahead + PAD;
    size_t ring = 1;
    while (ring < s->latency + 1)
        ring <<= 1;
    s->delay_mask = ring - 1;
    const size_t max_hold = s->lookahead + 2 * PAD + 1
                          + (size_t)llround(MAX_HOLD_MS / 1000.0 * s->rate);
    /* three boxes of total length S + 3: their cascade spans S + 1 frames */
    const size_t total = s->lookahead + 3;
    const size_t l1 = total / 3, l2 = (total - l1) / 2, l3 = total - l1 - l2;
    const size_t lens[3] = { l1, l2, l3 };

    for (int c = 0; c < s->channels; c++) {
        lim_chan *k = &s->ch[c];
        lathe_status st = lathe_tp_detector_init(&k->det, (int)p[P_OVERSAMPLING], CHUNK, s->rate);
        if (st == LATHE_OK)
            st = lathe_peak_hold_init(&k->g.hold, max_hold, hold_len(s));
        for (int b = 0; b < 3 && st == LATHE_OK; b++)
            st = lathe_boxcar_init(&k->g.box[b], lens[b], CHUNK);
        if (st == LATHE_OK && !(k->delay = calloc(ring, sizeof(float))))
            st = LATHE_ERR_NO_MEMORY;
        if (st != LATHE_OK) {
            lim_destroy(s);
            return st;
        }
    }
    const size_t glide = (size_t)llround(GLIDE_S * s->rate);
    lathe_ramp_init(&s->in_gain, pow(10.0, p[P_INPUT_GAIN] / 20.0), glide);
    lathe_ramp_init(&s->thresh, thresh_lin(p[P_CEILING]), glide);
    set_release(s);
    lim_reset(s);
    *out = s;
    return LATHE_OK;
}

/* Steps 4-6 state of K := that of FROM. */
static void chain_copy(chain_regs *k, const chain_regs *from)
{
    lathe_peak_hold_copy(&k->hold, &from->hold);
    for (int b = 0; b < 3; b++)
        lathe_boxcar_copy(&k->box[b], &from->box[b]);
    k->e_fast = from->e_fast;
    k->e_slow = from->e_slow;
    k->quiet = from->quiet;
}

/* Steps 4-6 state of K := at least K's and FROM's (whichever reduces more). */
static void chain_cover(chain_regs *k, const chain_regs *from)
{
    lathe_peak_hold_cover(&k->hold, &from->hold);
    for (int b = 0; b < 3; b++)
        lathe_boxcar_max_into(&k->box[b], &from->box[b]);
    k->e_fast = fmax(k->e_fast, from->e_fast);
    k->e_slow = fmax(k->e_slow, from->e_slow);
    k->quiet = k->quiet && from->quiet;
}

static void lim_set_param(void *state, int id, double v)
{
    lim_state *s = state;
    const double old = s->p[id];
    s->p[id] = v;
    switch (id) {
    case P_CEILING: {
        lathe_ramp_set(&s->thresh, thresh_lin(v));
        /* samples already in the pipeline were limited to the old ceiling */
        float lin = (float)pow(10.0, v / 20.0);
        if (lin > s->clamp)
            s->clamp = lin;
        s->clamp_hold = s->latency + s->thresh.length + 1;
        break;
    }
    case P_RELEASE:
        set_release(s);
        break;
    case P_RELEASE_MODE:
        if ((int)old == MODE_AUTO && (int)v == MODE_FIXED)
            for (int c = 0; c < s->channels; c++)
                if (s->ch[c].g.e_slow > s->ch[c].g.e_fast)
                    s->ch[c].g.e_fast = s->ch[c].g.e_slow;
        break;
    case P_HOLD:
        for (int c = 0; c < s->channels; c++)
            lathe_peak_hold_set_length(&s->ch[c].g.hold, hold_len(s));
        break;
    case P_LINK:
        /* linked: one chain (channel 0's) for all; keep what each channel still holds */
        if ((int)old == LINK_INDEPENDENT && (int)v == LINK_LINKED)
            for (int c = 1; c < s->channels; c++)
                chain_cover(&s->ch[0].g, &s->ch[c].g);
        else if ((int)old == LINK_LINKED && (int)v == LINK_INDEPENDENT)
            for (int c = 1; c < s->channels; c++)
                chain_copy(&s->ch[c].g, &s->ch[0].g);
        break;
    case P_OVERSAMPLING:
        for (int c = 0; c < s->channels; c++)
            lathe_tp_detector_set_factor(&s->ch[c].det, (int)v);
        break;
    case P_INPUT_GAIN:
        lathe_ramp_set(&s->in_gain, pow(10.0, v / 20.0));
        break;
    default:                    /* lookahead: fixed at creation (it sets the latency) */
        break;
    }
}

typedef float chain_v8f __attribute__((vector_size(32)));
typedef int chain_v8i __attribute__((vector_size(32)));

/* While the chain is quiet: the first of N frames whose peak PK is over its threshold T
 * (N: none), the frames before it getting reduction 0 (ZDB) and gain 1 (GAIN). */
LATHE_HOT static size_t chain_quiet_prefix(const float *restrict pk, const float *restrict t,
                                           size_t n, double *restrict zdb,
                                           double *restrict gain)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        chain_v8i over = { 0, 0, 0, 0, 0, 0, 0, 0 };
        for (size_t k = 0; k < 32; k += 8) {
            chain_v8f p, q;
            memcpy(&p, pk + i + k, sizeof p);
            memcpy(&q, t + i + k, sizeof q);
            over |= p > q;
        }
        int any = 0;
        for (int k = 0; k < 8; k++)
            any |= over[k];
        if (any)
            break;
    }
    while (i < n && !(pk[i] > t[i]))
        i++;
    for (size_t j = 0; j < i; j++) {
        zdb[j] = 0.0;
        gain[j] = 1.0;
    }
    return i;
}

typedef double chain_v4d __attribute__((vector_size(32)));
typedef long long chain_v4l __attribute__((vector_size(32)));

/* The statistics of a run of frames: sum of the reductions (in frame order), largest,
 * frames over 0.1 dB. */
typedef struct chain_stats {
    double sum, top;
    long long active;
} chain_stats;

/* An envelope snapping to its target: rare (once per release), so a branch, not a
 * select (the compiler's if-conversion), which would put the comparison and the blend
 * on the recursion's critical path; the empty asm statement keeps the branch. */
#define SNAP_TO(x, v) do { (x) = (v); __asm__ volatile(""); } while (0)

/* Steps 5-6 over M frames: the held reduction H (NULL: 0 throughout) through the
 * release (AUTOMODE: auto mode, else fixed; coefficients in S) and the three moving
 * averages; the smoothed reduction out to Z, its statistics added to *ST. Each frame's
 * envelope goes straight on to the averages, so the release's recursion and the running
 * sums overlap.
 * With H = 0, the release E = 0 + (E - 0) a is exactly E a (E - 0 = E, 0 + x = x for
 * x >= 0), and E - 0 < SNAP_DB is E < SNAP_DB; the same for the slow envelope, whose
 * target is then 0 (E, E_s >= 0): bit for bit the general recursion. */
static inline __attribute__((always_inline)) void
chain_steps56(chain_regs *g, const double *restrict h, int automode, const lim_state *s,
              double *restrict z, size_t m, chain_stats *st)
{
    const double a = s->a_rel, a_att = s->a_slow_att, a_rel = s->a_slow_rel;
    lathe_boxcar *b = g->box;
    lathe_boxcar_run q0, q1, q2;
    double *restrict w0 = lathe_boxcar_run_begin(&b[0], m, &q0);
    double *restrict w1 = lathe_boxcar_run_begin(&b[1], m, &q1);
    double *restrict w2 = lathe_boxcar_run_begin(&b[2], m, &q2);
    const size_t n0 = b[0].len, n1 = b[1].len, n2 = b[2].len;
    const double i0 = b[0].inv_len, i1 = b[1].inv_len, i2 = b[2].inv_len;
    double e = g->e_fast, es = g->e_slow, sum = st->sum, top = st->top;
    for (size_t j = 0; j < m; j++) {
        double v1;
        if (!h && !automode) {
            e *= a;
            if (__builtin_expect(e >= SNAP_DB, 1)) {    /* E > 0: no zero to count */
                w0[n0 + j] = e;
                v1 = lathe_boxcar_run_add(&q0, i0, e, w0[j]);
            } else {
                e = 0.0;
                w0[n0 + j] = e;
                v1 = lathe_boxcar_run_next(&q0, n0, i0, j, e, w0[j]);
            }
        } else {
            double u;
            if (!h) {
                e *= a;
                if (e < SNAP_DB)
                    SNAP_TO(e, 0.0);
                es *= a_rel;
                if (es < SNAP_DB)
                    SNAP_TO(es, 0.0);
                u = es > e ? es : e;
            } else {
                const double hj = h[j];
                if (hj >= e) {
                    e = hj;
                } else {
                    e = hj + (e - hj) * a;
                    if (e - hj < SNAP_DB)
                        SNAP_TO(e, hj);
                }
                u = e;
                if (automode) {
                    /* follows E while some reduction is required (H > 0) and falls to
                     * 0 once none is (during the fast release that follows a short
                     * peak), so a short peak leaves it low and sustained limiting
                     * fills it */
                    const double target = hj > 0.0 ? e : 0.0;
                    if (target > es) {
                        es = target + (es - target) * a_att;
                    } else {
                        es = target + (es - target) * a_rel;
                        if (es - target < SNAP_DB)
                            SNAP_TO(es, target);
                    }
                    u = es > e ? es : e;
                }
            }
            w0[n0 + j] = u;
            v1 = lathe_boxcar_run_next(&q0, n0, i0, j, u, w0[j]);
        }
        w1[n1 + j] = v1;
        const double v2 = lathe_boxcar_run_next(&q1, n1, i1, j, v1, w1[j]);
        w2[n2 + j] = v2;
        const double zj = lathe_boxcar_run_next(&q2, n2, i2, j, v2, w2[j]);
        z[j] = zj;
        sum += zj;              /* adding 0 changes nothing: the sum is never -0 */
        top = zj > top ? zj : top;
    }
    lathe_boxcar_run_end(&b[0], &q0, m);
    lathe_boxcar_run_end(&b[1], &q1, m);
    lathe_boxcar_run_end(&b[2], &q2, m);
    g->e_fast = e;
    g->e_slow = automode ? es : e;
    /* the frames over 0.1 dB, four lanes at a time */
    const chain_v4d tenth = { 0.1, 0.1, 0.1, 0.1 };
    chain_v4l over = { 0, 0, 0, 0 };
    size_t j = 0;
    for (; j + 4 <= m; j += 4) {
        chain_v4d v;
        memcpy(&v, z + j, sizeof v);
        over -= v > tenth;      /* true lanes are -1 */
    }
    long long act = over[0] + over[1] + over[2] + over[3];
    for (; j < m; j++)
        act += z[j] > 0.1;
    st->sum = sum;
    st->top = top;
    st->active += act;
}

/* chain_steps56 for each case (H given or 0, fixed or auto), the tests out of the loop. */
LATHE_HOT static void chain_held_fixed(chain_regs *g, const double *h, const lim_state *s,
                                       double *z, size_t m, chain_stats *st)
{
    chain_steps56(g, h, 0, s, z, m, st);
}

LATHE_HOT static void chain_held_auto(chain_regs *g, const double *h, const lim_state *s,
                                      double *z, size_t m, chain_stats *st)
{
    chain_steps56(g, h, 1, s, z, m, st);
}

LATHE_HOT static void chain_free_fixed(chain_regs *g, const lim_state *s, double *z, size_t m,
                                       chain_stats *st)
{
    chain_steps56(g, NULL, 0, s, z, m, st);
}

LATHE_HOT static void chain_free_auto(chain_regs *g, const lim_state *s, double *z, size_t m,
                                      chain_stats *st)
{
    chain_steps56(g, NULL, 1, s, z, m, st);
}

/* Steps 3-6 for the chain of K over N frames: peaks PK against thresholds T, the
 * linear gain of each frame into K->gain; returns the largest reduction (dB) and adds
 * the reductions to *SUM and the frames over 0.1 dB to *ACTIVE. While the chain is
 * quiet and no peak is over, the reduction is exactly 0 and nothing needs computing.
 * Each step runs over the frames from the first one that needs work, stage by stage:
 * the same operations on each value as one frame at a time through all the steps. */
static double chain_run(lim_chan *k, const float *pk, const float *t, size_t n, int mode,
                        const lim_state *s, double *sum, long long *active)
{
    chain_regs *g = &k->g;
    size_t i0 = 0;
    if (g->quiet) {
        /* until the first peak over: reduction 0, pushed into an empty hold */
        i0 = chain_quiet_prefix(pk, t, n, k->zdb, k->gain);
        lathe_peak_hold_skip_empty(&g->hold, i0);
        if (i0 == n)
            return 0.0;
    }
    const size_t m = n - i0;
    pk += i0;
    t += i0;
    /* 3-4: the reduction of each frame, then held */
    int over = 0;
    for (size_t j = 0; j < m; j++)
        over |= pk[j] > t[j];
    double *restrict h = NULL;
    if (over || g->hold.count) {
        h = k->held;
        for (size_t j = 0; j < m; j++)
            h[j] = pk[j] > t[j] ? 20.0 * log10((double)pk[j] / (double)t[j]) : 0.0;
        lathe_peak_hold_run(&g->hold, h, h, m);
    } else {
        lathe_peak_hold_skip_empty(&g->hold, m);       /* H = 0 throughout */
    }
    /* 5-6 */
    chain_stats st = { *sum, 0.0, *active };
    double *z = k->zdb + i0;
    if (h && mode == MODE_AUTO)
        chain_held_auto(g, h, s, z, m, &st);
    else if (h)
        chain_held_fixed(g, h, s, z, m, &st);
    else if (mode == MODE_AUTO)
        chain_free_auto(g, s, z, m, &st);
    else
        chain_free_fixed(g, s, z, m, &st);
    *sum = st.sum;
    *active = st.active;
    g->quiet = g->hold.count == 0 && g->e_fast == 0.0 && g->e_slow == 0.0
            && lathe_boxcar_empty(&g->box[0]) && lathe_boxcar_empty(&g->box[1])
            && lathe_boxcar_empty(&g->box[2]);
    lathe_gain_from_reduction(k->zdb + i0, k->gain + i0, m);
    return st.top;
}

/* Non-finite samples become silence; absurd ones (beyond +120 dBFS) are clipped there,
 * so no filter sum can overflow; then the input gain G (NULL: unity). */
LATHE_HOT static void clean_input(float *restrict out, const float *restrict x,
                                  const float *restrict g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        v = fabsf(v) <= FLT_MAX ? v : 0.0f;             /* NaN compares false */
        v = v > INPUT_MAX ? INPUT_MAX : v < -INPUT_MAX ? -INPUT_MAX : v;
        out[i] = v;
    }
    if (g)
        for (size_t i = 0; i < n; i++)
            out[i] = g[i] == 1.0f ? out[i] : out[i] * g[i];
}

/* Step 7 for one channel: IN enters the delay line at W0, Y gets what leaves it (the
 * input LATENCY frames earlier: from the ring for the first frames, then from IN
 * itself), times GAIN where the gain is under 1 (then clamped to CLAMP, CLAMP_NEW from
 * SWITCH_AT on). The ring then keeps the newest frames. */
LATHE_HOT static void delay_out(float *restrict ring, size_t mask, size_t w0, size_t latency,
                                const float *restrict in, const double *restrict gain,
                                float *restrict y, size_t n, float clamp, float clamp_new,
                                size_t switch_at)
{
    const size_t size = mask + 1, head = n < latency ? n : latency;
    /* ring -> y[0 .. head), in at most two runs */
    size_t r = (w0 - latency) & mask, first = size - r < head ? size - r : head;
    memcpy(y, ring + r, sizeof(float) * first);
    memcpy(y + first, ring, sizeof(float) * (head - first));
    if (n > head)
        memcpy(y + head, in, sizeof(float) * (n - head));
    /* in -> ring (its newest SIZE frames at most), in at most two runs */
    const size_t from = n > size ? n - size : 0, len = n - from;
    r = (w0 + from) & mask;
    first = size - r < len ? size - r : len;
    memcpy(ring + r, in + from, sizeof(float) * first);
    memcpy(ring, in + from + first, sizeof(float) * (len - first));
    for (size_t i = 0; i < n; i++) {
        const float c = i < switch_at ? clamp : clamp_new;
        float v = (float)((double)y[i] * gain[i]);
        v = v > c ? c : v < -c ? -c : v;
        y[i] = gain[i] < 1.0 ? v : y[i];
    }
}

static void process_chunk(lim_state *s, float *const *ch, size_t off, size_t n)
{
    const int nch = s->channels;
    const int mode = (int)s->p[P_RELEASE_MODE];
    const int linked = (int)s->p[P_LINK] == LINK_LINKED;

    /* 1. input gain and the threshold, per frame (constant unless gliding) */
    float floor_level = INFINITY;
    const int unity = !s->in_gain.left && (float)s->in_gain.value == 1.0f;
    if (!s->in_gain.left && !s->thresh.left) {
        const float g = (float)s->in_gain.value, t = (float)s->thresh.value;
        for (size_t i = 0; i < n; i++) {
            s->gin[i] = g;
            s->tcur[i] = t;
        }
        floor_level = t;
    } else {
        for (size_t i = 0; i < n; i++) {
            s->gin[i] = (float)lathe_ramp_next(&s->in_gain);
            s->tcur[i] = (float)lathe_ramp_next(&s->thresh);
            floor_level = s->tcur[i] < floor_level ? s->tcur[i] : floor_level;
        }
    }
    /* 2. detection (or its replay: linked peaks recorded at another gain, scaled) */
    const lathe_limiter_detection dm = linked ? s->det_mode : LATHE_LIMITER_LIVE;
    if (dm == LATHE_LIMITER_RECORD)
        floor_level = (float)(floor_level / s->det_headroom);
    for (int c = 0; c < nch; c++) {
        lim_chan *k = &s->ch[c];
        const float *x = ch[c] + off;
        clean_input(k->in, x, unity ? NULL : s->gin, n);
        if (dm != LATHE_LIMITER_REPLAY)
            lathe_tp_detect(&k->det, k->in, n, floor_level, k->peak);
    }
    /* 3-6: the reduction of each frame, once for all channels when linked */
    double gr_max = 0.0;
    if (linked) {
        float *pk = s->ch[0].peak;       /* the largest peak over the channels */
        if (dm == LATHE_LIMITER_REPLAY) {
            const float *rec = s->det_peaks + off;
            for (size_t i = 0; i < n; i++)
                pk[i] = (float)((double)rec[i] * s->det_scale);
        } else {
            for (int c = 1; c < nch; c++)
                for (size_t i = 0; i < n; i++)
                    pk[i] = s->ch[c].peak[i] > pk[i] ? s->ch[c].peak[i] : pk[i];
            if (dm == LATHE_LIMITER_RECORD)
                memcpy(s->det_peaks + off, pk, sizeof(float) * n);
        }
        gr_max = chain_run(&s->ch[0], pk, s->tcur, n, mode, s, &s->gr_sum, &s->active);
    } else {
        /* the statistics follow the most reduced channel of each frame */
        for (int c = 0; c < nch; c++) {
            double sum = 0.0;
            long long act = 0;
            double m = chain_run(&s->ch[c], s->ch[c].peak, s->tcur, n, mode, s, &sum, &act);
            gr_max = m > gr_max ? m : gr_max;
        }
        for (size_t i = 0; i < n; i++) {
            double g = 1.0;
            for (int c = 0; c < nch; c++)
                g = s->ch[c].gain[i] < g ? s->ch[c].gain[i] : g;
            if (g < 1.0) {
                const double z = -20.0 * log10(g);
                s->gr_sum += z;
                s->active += z > 0.1;
            }
        }
    }
    s->gr_max = gr_max > s->gr_max ? gr_max : s->gr_max;
    /* 7: through the delay line, with the gain */
    const size_t mask = s->delay_mask, w0 = s->write;
    /* the last-resort clamp drops to a lowered ceiling once the frames limited to the
     * old one have left: from frame SWITCH_AT of this chunk on */
    const int drops = s->clamp_hold && s->clamp_hold <= n;
    const size_t switch_at = drops ? s->clamp_hold : n;
    const float clamp_new = drops ? (float)pow(10.0, s->p[P_CEILING] / 20.0) : s->clamp;
    for (int c = 0; c < nch; c++)
        delay_out(s->ch[c].delay, mask, w0, s->latency, s->ch[c].in,
                  s->ch[linked ? 0 : c].gain, ch[c] + off, n, s->clamp, clamp_new, switch_at);
    s->write = (w0 + n) & mask;
    if (s->clamp_hold) {
        s->clamp_hold = s->clamp_hold <= n ? 0 : s->clamp_hold - n;
        s->clamp = clamp_new;
    }
    s->frames += (long long)n;
}

static void lim_process(void *state, float *const *ch, size_t frames)
{
    lim_state *s = state;
    for (size_t off = 0; off < frames; off += CHUNK)
        process_chunk(s, ch, off, frames - off < CHUNK ? frames - off : CHUNK);
}

int lathe_limiter_can_replay(const lathe_fx *fx)
{
    const lim_state *s = lathe_fx_state_of(fx, &lathe_fx_limiter);
    return s && (int)s->p[P_LINK] == LINK_LINKED && !s->in_gain.left && s->in_gain.value == 1.0
           && !s->thresh.left;
}

void lathe_limiter_set_detection(lathe_fx *fx, lathe_limiter_detection mode, float *peaks,
                                 double headroom, double scale)
{
    lim_state *s = lathe_fx_state_of(fx, &lathe_fx_limiter);
    if (!s)
        return;
    s->det_mode = peaks ? mode : LATHE_LIMITER_LIVE;
    s->det_peaks = peaks;
    s->det_headroom = headroom >= 1.0 ? headroom : 1.0;
    s->det_scale = scale;
}

static size_t lim_latency(const void *state)
{
    return ((const lim_state *)state)->latency;
}

static void lim_stats(const void *state, lathe_fx_stats *out)
{
    const lim_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

const lathe_fx_class lathe_fx_limiter = {
    .name = "limiter",
    .summary = "look-ahead true-peak limiter (oversampled detection, smooth gain)",
    .params = params,
    .num_params = P_COUNT,
    .create = lim_create,
    .set_param = lim_set_param,
    .process = lim_process,
    .latency = lim_latency,
    .reset = lim_reset,
    .stats = lim_stats,
    .destroy = lim_destroy,
};
