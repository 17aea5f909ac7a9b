/* SPDX-License-Identifier: GPL-3.0-or-later */
/* multiband: 2..5-band compressor. Bands split by Linkwitz-Riley crossovers with
 * all-pass compensation (minimum phase: the bands sum to an all-pass) or by
 * complementary linear-phase FIRs (the bands sum to the delayed input exactly); each
 * band has its own soft-knee compressor (src/dsp/envelope.h). See docs/fx/dynamics.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/crossover.h"
#include "dsp/envelope.h"
#include "dsp/simd.h"
#include "dsp/smooth.h"
#include "fx/registry.h"

enum {
    P_BANDS, P_X1, P_X2, P_X3, P_X4, P_PHASE, P_SLOPE, P_LINK, P_DETECTOR, P_BAND0,
    P_PER_BAND = 6,
    P_COUNT = P_BAND0 + LATHE_XOVER_MAX_BANDS * P_PER_BAND
};
/* Offsets inside a band's parameters. */
enum { B_THRESHOLD, B_RATIO, B_ATTACK, B_RELEASE, B_MAKEUP, B_KNEE };

enum { LINK_STEREO, LINK_INDEPENDENT, LINK_MID_SIDE };

static const char *const phase_choices[] = { "minimum", "linear", NULL };
static const char *const slope_choices[] = { "lr2", "lr4", "lr8", NULL };
static const char *const link_choices[] = { "linked", "independent", "mid_side", NULL };
static const char *const detector_choices[] = { "peak", "rms", NULL };

#define XOVER(n, def)                                                                       \
    [P_X1 + (n) - 1] = { "crossover" #n "_hz", LATHE_UNIT_HZ, 20.0, 20000.0, def, NULL,      \
                         "Crossover frequency " #n " (used when bands > " #n "; sorted)." }
#define BAND(n)                                                                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_THRESHOLD] = {                                    \
        "band" #n "_threshold_db", LATHE_UNIT_DBFS, -60.0, 0.0, -20.0, NULL,                 \
        "Band " #n ": level above which its gain is reduced." },                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_RATIO] = {                                        \
        "band" #n "_ratio", LATHE_UNIT_RATIO, 1.0, 50.0, 1.0, NULL,                          \
        "Band " #n ": compression ratio (1 = no compression)." },                            \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_ATTACK] = {                                       \
        "band" #n "_attack_ms", LATHE_UNIT_MS, 0.01, 500.0, 10.0, NULL,                      \
        "Band " #n ": attack time constant." },                                              \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_RELEASE] = {                                      \
        "band" #n "_release_ms", LATHE_UNIT_MS, 1.0, 5000.0, 150.0, NULL,                    \
        "Band " #n ": release time constant." },                                             \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_MAKEUP] = {                                       \
        "band" #n "_makeup_db", LATHE_UNIT_DB, -12.0, 24.0, 0.0, NULL,                       \
        "Band " #n ": gain after compression." },                                            \
    [P_BAND0 + ((n) - 1) * P_PER_BAND + B_KNEE] = {                                         \
        "band" #n "_knee_db", LATHE_UNIT_DB, 0.0, 24.0, 6.0, NULL,                           \
        "Band " #n ": soft-knee width (0: hard knee)." }

static const lathe_param_desc params[P_COUNT] = {
    [P_BANDS] = { "bands", LATHE_UNIT_INTEGER, 2, LATHE_XOVER_MAX_BANDS, 3, NULL,
                  "Number of bands (fixed when the processor is created)." },
    XOVER(1, 120.0),
    XOVER(2, 1000.0),
    XOVER(3, 5000.0),
    XOVER(4, 10000.0),
    [P_PHASE] = { "phase", LATHE_UNIT_CHOICE, 0, 1, 0, phase_choices,
                  "Crossovers: minimum (Linkwitz-Riley, no latency, bands sum to an all-pass) or "
                  "linear (FIR, latency ~96 ms, bands sum to the input); fixed at creation." },
    [P_SLOPE] = { "slope", LATHE_UNIT_CHOICE, 0, 2, 1, slope_choices,
                  "Crossover slopes: LR2 (12), LR4 (24) or LR8 (48 dB/oct); fixed at creation." },
    [P_LINK] = { "link", LATHE_UNIT_CHOICE, 0, 2, 0, link_choices,
                 "Per band detection: one gain for all channels (linked), one per channel, or "
                 "mid and side split and compressed separately (mid_side)." },
    [P_DETECTOR] = { "detector", LATHE_UNIT_CHOICE, 0, 1, 0, detector_choices,
                     "Level detection in each band: sample peak, or RMS over a 10 ms window." },
    BAND(1),
    BAND(2),
    BAND(3),
    BAND(4),
    BAND(5),
};

#define RMS_WINDOW_S 0.010
#define RAMP_S 0.020
#define NB LATHE_XOVER_MAX_BANDS
#define MAXCH LATHE_XOVER_MAX_CH
/* Frames per processing chunk. Chunks end at multiples of CHUNK frames of the stream
 * (whatever the block sizes), where the detector states get their denormal flush, so
 * the output does not depend on how the stream is cut into blocks. */
#define CHUNK 64
#define MAXLANES (NB * MAXCH)

typedef struct mb_state {
    int channels, bands, linear, order;
    int link, detector;
    double rate;
    double p[P_COUNT];
    lathe_xover lr;
    lathe_xover_lin *lin;
    lathe_gain_curve curve[NB];
    lathe_gr_ballistics bal[NB];
    double rms_a;                       /* RMS detector: one-pole coefficient per stage */
    double ms1[NB][MAXCH], ms2[NB][MAXCH];  /* RMS detector states per band and channel */
    double gy1[NB][MAXCH], gyl[NB][MAXCH];  /* GR smoother states (linked: channel 0) */
    lathe_ramp makeup[NB];
    /* dynamics lanes (linked: a lane per band; else per band and channel) */
    int lanes_linked, nlanes;
    int lane_band[MAXLANES], lane_ch[MAXLANES];
    lathe_gain_curve4 curve4[NB];       /* each band's curve in all four lanes */
    size_t phase;                       /* frames into the current CHUNK */
    /* chunk buffers */
    double band[NB * MAXCH * CHUNK];    /* band b, channel c at (b * MAXCH + c) * CHUNK */
    double xd[MAXCH][CHUNK];            /* sum of the bands (or the delayed input) */
    double pw[MAXLANES][CHUNK];         /* per lane detector power */
    double tgt[MAXLANES][CHUNK];        /* per lane GR target (static curve), dB */
    double gr[MAXLANES][CHUNK];         /* per lane smoothed GR, dB */
    double gain[MAXLANES][CHUNK];       /* per lane gain (makeup included) */
    double delta[MAXCH][CHUNK];         /* sum over the bands of (gain - 1) band */
    double mk[NB][CHUNK];
    double frame_gr[CHUNK];
    double zero[CHUNK], scratch[CHUNK];
    double gr_max, gr_sum;
    long long frames, active;
} mb_state;

static double bp(const mb_state *s, int b, int off)
{
    return s->p[P_BAND0 + b * P_PER_BAND + off];
}

/* Dynamics lanes for the current link mode: a lane per band (linked) or per band and
 * channel. */
static void build_lanes(mb_state *s)
{
    const int linked = s->link == LINK_STEREO;
    s->nlanes = linked ? s->bands : s->bands * s->channels;
    for (int t = 0; t < s->nlanes; t++) {
        s->lane_band[t] = linked ? t : t / s->channels;
        s->lane_ch[t] = linked ? 0 : t % s->channels;
    }
    s->lanes_linked = linked;
}

static void set_band(mb_state *s, int b)
{
    lathe_gain_curve_set(&s->curve[b], bp(s, b, B_THRESHOLD), bp(s, b, B_RATIO), bp(s, b, B_KNEE));
    for (int l = 0; l < 4; l++)
        lathe_gain_curve4_set(&s->curve4[b], l, &s->curve[b]);
    lathe_gr_ballistics_set(&s->bal[b], bp(s, b, B_ATTACK) * 1e-3, bp(s, b, B_RELEASE) * 1e-3, 0,
                            s->rate);
}

static void mb_destroy(void *state)
{
    mb_state *s = state;
    if (!s)
        return;
    lathe_xover_lin_destroy(s->lin);
    free(s);
}

static lathe_status mb_create(const lathe_fx_setup *setup, const double *p, void **out)
{
    mb_state *s = calloc(1, sizeof *s);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s->channels = setup->channels;
    s->rate = setup->rate_hz;
    memcpy(s->p, p, sizeof s->p);
    s->bands = (int)p[P_BANDS];
    s->linear = (int)p[P_PHASE] == 1;
    s->order = (int)p[P_SLOPE] == 0 ? 2 : (int)p[P_SLOPE] == 2 ? 8 : 4;
    s->link = (int)p[P_LINK];
    s->detector = (int)p[P_DETECTOR];
    if (s->linear) {
        lathe_status st = lathe_xover_lin_create(s->channels, s->bands, s->order, p + P_X1,
                                                 s->rate, &s->lin);
        if (st != LATHE_OK) {
            mb_destroy(s);
            return st;
        }
    } else {
        lathe_xover_init(&s->lr, s->channels, s->bands, s->order, p + P_X1, s->rate);
    }
    size_t ramp = (size_t)(RAMP_S * s->rate);
    /* The RMS average: two one-pole stages of half the window each (as
     * lathe_level_detector). */
    s->rms_a = lathe_env_coef(0.5 * RMS_WINDOW_S, s->rate);
    for (int b = 0; b < NB; b++) {
        set_band(s, b);
        lathe_ramp_init(&s->makeup[b], pow(10.0, bp(s, b, B_MAKEUP) / 20.0), ramp);
    }
    build_lanes(s);
    *out = s;
    return LATHE_OK;
}

static void mb_set_param(void *state, int id, double v)
{
    mb_state *s = state;
    s->p[id] = v;
    if (id >= P_X1 && id <= P_X4) {
        if (id - P_X1 >= s->bands - 1)
            return;
        if (s->linear)
            lathe_xover_lin_set_freqs(s->lin, s->p + P_X1);
        else
            lathe_xover_set_freqs(&s->lr, s->p + P_X1);
    } else if (id == P_LINK) {
        s->link = (int)v;
        build_lanes(s);
    } else if (id == P_DETECTOR) {
        s->detector = (int)v;
    } else if (id >= P_BAND0) {
        int b = (id - P_BAND0) / P_PER_BAND;
        if ((id - P_BAND0) % P_PER_BAND == B_MAKEUP) {
            lathe_ramp_set(&s->makeup[b], pow(10.0, v / 20.0));
        } else {
            set_band(s, b);
        }
    }
    /* bands, phase and slope are structural: they take effect at creation only. */
}

/* Peak detector: PW = max(PW, V^2), N frames. */
static inline __attribute__((always_inline)) void peak_power(double *restrict pw,
                                                             const double *restrict v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double p = v[i] * v[i];
        pw[i] = p > pw[i] ? p : pw[i];
    }
}

/* Detector powers of lane T (N frames) into s->pw[T], zero-padded to a multiple of 4:
 * x^2 or the RMS average, linked lanes taking the loudest channel of their band. */
static inline __attribute__((always_inline)) void lane_power(mb_state *s, int t, size_t n)
{
    const int b = s->lane_band[t], linked = s->lanes_linked;
    const int c0 = linked ? 0 : s->lane_ch[t], c1 = linked ? s->channels : c0 + 1;
    double *pw = s->pw[t];
    const size_t n4 = (n + 3) & ~(size_t)3;
    for (size_t i = 0; i < n4; i++)
        pw[i] = 0.0;
    for (int c = c0; c < c1; c++) {
        const double *v = s->band + ((size_t)b * MAXCH + (size_t)c) * CHUNK;
        if (s->detector == LATHE_DETECT_RMS) {
            /* lathe_level_power, flushed at chunk ends instead of every frame */
            const double a = s->rms_a;
            double m1 = s->ms1[b][c], m2 = s->ms2[b][c];
            for (size_t i = 0; i < n; i++) {
                m1 = a * m1 + (1.0 - a) * (v[i] * v[i]);
                m2 = a * m2 + (1.0 - a) * m1;
                pw[i] = m2 > pw[i] ? m2 : pw[i];
            }
            s->ms1[b][c] = m1;
            s->ms2[b][c] = m2;
        } else {
            peak_power(pw, v, n);
        }
    }
}

/* Dynamics of one chunk: per lane gain (makeup included) into s->gain, the loudest GR
 * of each frame into s->frame_gr. Three passes, so that the costly ones have no
 * dependence from frame to frame: static curve (4 frames per vector), GR smoothing
 * (recursive: four lanes interleaved), gain (4 frames per vector). */
LATHE_HOT static void mb_dynamics(mb_state *s, size_t n)
{
    const int nl = s->nlanes;
    const size_t nv = (n + 3) / 4;
    for (int t = 0; t < nl; t++) {
        lane_power(s, t, n);
        const lathe_gain_curve4 *cv = &s->curve4[s->lane_band[t]];
        const double lo = cv->lo[0];
        for (size_t k = 0; k < nv; k++) {
            const double *pk = s->pw[t] + 4 * k;
            const double m01 = pk[0] > pk[1] ? pk[0] : pk[1], m23 = pk[2] > pk[3] ? pk[2] : pk[3];
            if (!(m01 > lo) && !(m23 > lo)) {
                /* all four under the knee (long runs of them: a well predicted branch) */
                for (int l = 0; l < 4; l++)
                    s->tgt[t][4 * k + (size_t)l] = 0.0;
                continue;
            }
            lathe_v4d p, r;
            memcpy(&p, pk, sizeof p);
            lathe_gain_curve4_reduction(cv, &p, &r);
            memcpy(s->tgt[t] + 4 * k, &r, sizeof r);
        }
    }
    /* GR smoothing, lathe_gr_next without the flush (done at chunk ends), four lanes at
     * a time; idle lanes read zeros and write to scratch. */
    for (size_t i = 0; i < n; i++)
        s->frame_gr[i] = 0.0;
    for (int t0 = 0; t0 < nl; t0 += 4) {
        double ar[4], br[4], aa[4], ba[4], y1[4], yl[4], *gr[4];
        const double *tg[4];
        for (int l = 0; l < 4; l++) {
            const int t = t0 + l;
            if (t < nl) {
                const int b = s->lane_band[t], c = s->lane_ch[t];
                ar[l] = s->bal[b].a_rel;
                aa[l] = s->bal[b].a_att;
                y1[l] = s->gy1[b][c];
                yl[l] = s->gyl[b][c];
                tg[l] = s->tgt[t];
                gr[l] = s->gr[t];
            } else {
                ar[l] = aa[l] = y1[l] = yl[l] = 0.0;
                tg[l] = s->zero;
                gr[l] = s->scratch;
            }
            br[l] = 1.0 - ar[l];
            ba[l] = 1.0 - aa[l];
        }
        for (size_t i = 0; i < n; i++) {
            double m = s->frame_gr[i];
            for (int l = 0; l < 4; l++) {
                const double target = tg[l][i], r = ar[l] * y1[l] + br[l] * target;
                y1[l] = target > r ? target : r;
                yl[l] = aa[l] * yl[l] + ba[l] * y1[l];
                gr[l][i] = yl[l];
                m = yl[l] > m ? yl[l] : m;
            }
            s->frame_gr[i] = m;
        }
        for (int l = 0; l < 4 && t0 + l < nl; l++) {
            const int b = s->lane_band[t0 + l], c = s->lane_ch[t0 + l];
            s->gy1[b][c] = y1[l];
            s->gyl[b][c] = yl[l];
        }
    }
    /* gain = 10^(-GR/20) times the makeup */
    for (int t = 0; t < nl; t++) {
        const double *mk = s->mk[s->lane_band[t]];
        for (size_t k = 0; k < nv; k++) {
            lathe_v4d r, g, m;
            memcpy(&r, s->gr[t] + 4 * k, sizeof r);
            memcpy(&m, mk + 4 * k, sizeof m);
            lathe_gr4_gain(&r, &g);
            g *= m;
            memcpy(s->gain[t] + 4 * k, &g, sizeof g);
        }
    }
}

/* Denormal and non-finite guard of the detector states, at chunk ends. */
static void mb_flush(mb_state *s)
{
    for (int b = 0; b < s->bands; b++)
        for (int c = 0; c < s->channels; c++) {
            s->ms1[b][c] = lathe_flush(s->ms1[b][c]);
            s->ms2[b][c] = lathe_flush(s->ms2[b][c]);
            s->gy1[b][c] = lathe_flush(s->gy1[b][c]);
            s->gyl[b][c] = lathe_flush(s->gyl[b][c]);
        }
}

/* Vector loops of the output stage (separate arrays, so restrict holds). */
LATHE_HOT static void add_to(double *restrict acc, const double *restrict v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += v[i];
}

LATHE_HOT static void add_delta(double *restrict acc, const double *restrict g,
                                const double *restrict v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += (g[i] - 1.0) * v[i];
}

LATHE_HOT static void sum_to_float(float *restrict o, const double *restrict a,
                                   const double *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = (float)(a[i] + b[i]);
}

/* Minimum phase output of one channel: O = (sum of the bands V[b]) + (sum of
 * (G[b] - 1) V[b]), both sums in band order from 0 (as the separate passes compute them).
 * NB is a constant at every call. */
static inline __attribute__((always_inline)) void mix_out_n(float *restrict o,
                                                            const double *const *v,
                                                            const double *const *g,
                                                            const int nb, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0, delta = 0.0;
        for (int b = 0; b < nb; b++) {
            sum += v[b][i];
            delta += (g[b][i] - 1.0) * v[b][i];
        }
        o[i] = (float)(sum + delta);
    }
}

LATHE_HOT static void mix_out(float *restrict o, const double *const *v, const double *const *g,
                              int nb, size_t n)
{
    switch (nb) {
    case 2: mix_out_n(o, v, g, 2, n); break;
    case 3: mix_out_n(o, v, g, 3, n); break;
    case 4: mix_out_n(o, v, g, 4, n); break;
    default: mix_out_n(o, v, g, 5, n); break;
    }
}

/* N <= CHUNK frames at offset OFF of the block. */
static void mb_chunk(mb_state *s, float *const *ch, size_t off, size_t n)
{
    const int nch = s->channels, nb = s->bands;
    const int ms = s->link == LINK_MID_SIDE && nch >= 2;
    double *const band = s->band;
#define BANDP(b, c) (band + ((size_t)(b) * MAXCH + (size_t)(c)) * CHUNK)

    /* Split: minimum phase into the band buffers by the LR tree (input in the last
     * band's buffers); linear phase frame by frame. */
    if (!s->linear) {
        for (int c = 0; c < nch; c++) {
            double *x = BANDP(nb - 1, c);
            const float *in = ch[c] + off;
            for (size_t i = 0; i < n; i++)
                x[i] = in[i];
        }
        if (ms) {
            double *l = BANDP(nb - 1, 0), *r = BANDP(nb - 1, 1);
            for (size_t i = 0; i < n; i++) {
                const double a = l[i], d = r[i];
                l[i] = 0.5 * (a + d);
                r[i] = 0.5 * (a - d);
            }
        }
        lathe_xover_run(&s->lr, band, CHUNK, n);
        if (ms) {
            for (int c = 0; c < nch; c++) {
                double *xd = s->xd[c];
                for (size_t i = 0; i < n; i++)
                    xd[i] = 0.0;
                for (int b = 0; b < nb; b++)
                    add_to(xd, BANDP(b, c), n);
            }
            double *m = s->xd[0], *d = s->xd[1];
            for (size_t i = 0; i < n; i++) {
                const double a = m[i], e = d[i];
                m[i] = a + e;
                d[i] = a - e;
            }
        }
    } else {
        double in[MAXCH], split[MAXCH], xd[MAXCH], fb[NB * MAXCH];
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < nch; c++)
                in[c] = split[c] = ch[c][off + i];
            if (ms) {
                split[0] = 0.5 * (in[0] + in[1]);
                split[1] = 0.5 * (in[0] - in[1]);
            }
            lathe_xover_lin_frame(s->lin, split, in, fb, xd);
            for (int c = 0; c < nch; c++) {
                s->xd[c][i] = xd[c];
                for (int b = 0; b < nb; b++)
                    BANDP(b, c)[i] = fb[b * MAXCH + c];
            }
        }
    }

    /* Makeup ramps. */
    for (int b = 0; b < nb; b++) {
        lathe_ramp *r = &s->makeup[b];
        double *mk = s->mk[b];
        if (lathe_ramp_active(r)) {
            for (size_t i = 0; i < n; i++)
                mk[i] = lathe_ramp_next(r);
        } else {
            const double m = r->value;
            for (size_t i = 0; i < n; i++)
                mk[i] = m;
        }
    }
    mb_dynamics(s, n);

    /* Output = (sum of the bands) + sum of (gain - 1) * band: zero for unit gains,
     * whatever the bands hold. Linear phase: the bands sum to the delayed input exactly,
     * so that is used directly (bit-exact when neutral); minimum phase: the sum of the
     * bands is the all-passed input. */
    if (!s->linear && !ms) {
        /* the sum of the bands and the gain changes in one pass per channel */
        for (int c = 0; c < nch; c++) {
            const double *v[NB], *g[NB];
            for (int b = 0; b < nb; b++) {
                v[b] = BANDP(b, c);
                g[b] = s->gain[s->lanes_linked ? b : b * nch + c];
            }
            mix_out(ch[c] + off, v, g, nb, n);
        }
        goto stats;
    }
    for (int c = 0; c < nch; c++) {
        double *acc = s->delta[c];
        for (size_t i = 0; i < n; i++)
            acc[i] = 0.0;
        for (int b = 0; b < nb; b++)
            add_delta(acc, s->gain[s->lanes_linked ? b : b * nch + c], BANDP(b, c), n);
    }
#undef BANDP
    if (ms) {
        const double *d0 = s->delta[0], *d1 = s->delta[1];
        float *o0 = ch[0] + off, *o1 = ch[1] + off;
        for (size_t i = 0; i < n; i++) {
            o0[i] = (float)(s->xd[0][i] + (d0[i] + d1[i]));
            o1[i] = (float)(s->xd[1][i] + (d0[i] - d1[i]));
        }
    }
    for (int c = ms ? 2 : 0; c < nch; c++)
        sum_to_float(ch[c] + off, s->xd[c], s->delta[c], n);
stats:;
    double gmax = s->gr_max, gsum = s->gr_sum;
    long long active = s->active;
    for (size_t i = 0; i < n; i++) {
        const double fg = s->frame_gr[i];
        gmax = fg > gmax ? fg : gmax;
        gsum += fg;
        active += fg > 0.1;
    }
    s->gr_max = gmax;
    s->gr_sum = gsum;
    s->active = active;
}

static void mb_process(void *state, float *const *ch, size_t frames)
{
    mb_state *s = state;
    size_t off = 0;
    while (off < frames) {
        size_t n = CHUNK - s->phase;
        if (n > frames - off)
            n = frames - off;
        mb_chunk(s, ch, off, n);
        off += n;
        s->phase += n;
        if (s->phase == CHUNK) {
            mb_flush(s);
            s->phase = 0;
        }
    }
    s->frames += (long long)frames;
}

static size_t mb_latency(const void *state)
{
    const mb_state *s = state;
    return s->linear ? lathe_xover_lin_latency(s->lin) : 0;
}

static void mb_reset(void *state)
{
    mb_state *s = state;
    if (s->linear)
        lathe_xover_lin_reset(s->lin);
    else
        lathe_xover_reset(&s->lr);
    memset(s->ms1, 0, sizeof s->ms1);
    memset(s->ms2, 0, sizeof s->ms2);
    memset(s->gy1, 0, sizeof s->gy1);
    memset(s->gyl, 0, sizeof s->gyl);
    for (int b = 0; b < NB; b++)
        lathe_ramp_finish(&s->makeup[b]);
    s->phase = 0;
    s->gr_max = s->gr_sum = 0.0;
    s->frames = s->active = 0;
}

static void mb_stats(const void *state, lathe_fx_stats *out)
{
    const mb_state *s = state;
    out->gr_max_db = s->gr_max;
    out->gr_mean_db = s->frames ? s->gr_sum / (double)s->frames : 0.0;
    out->gr_active_percent = s->frames ? 100.0 * (double)s->active / (double)s->frames : 0.0;
}

const lathe_fx_class lathe_fx_multiband = {
    .name = "multiband",
    .summary = "2-5 band compressor, Linkwitz-Riley or linear-phase crossovers",
    .params = params,
    .num_params = P_COUNT,
    .create = mb_create,
    .set_param = mb_set_param,
    .process = mb_process,
    .latency = mb_latency,
    .reset = mb_reset,
    .stats = mb_stats,
    .destroy = mb_destroy,
};
