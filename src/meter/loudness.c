/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming loudness meter (ITU-R BS.1770-4, EBU R128, EBU Tech 3341/3342).
 *
 * The signal is K-weighted per channel (the two biquads as one 4th-order system in
 * double, run a block of frames at a time: kw_design, kweight_pair; with AVX-512 the same
 * operations in 8-double vectors: kweight_pair8, kweight_one8) and its weighted mean
 * square is accumulated in 100 ms sub-blocks. A ring of the last 30 sub-blocks
 * gives the momentary (4 sub-blocks = 400 ms) and short-term (30 = 3 s) energies at
 * every 100 ms step, i.e. gating blocks overlap by 75 % as BS.1770-4 requires.
 * The maxima of M and S are taken finer, over windows ending every 10 ms: each
 * sub-block is also split into SLICES slices, and a ring of the last 300 slice sums
 * gives both windows at every slice end (EBU Tech 3341 cases 13 and 14 place 400 ms
 * tones at 20 ms offsets; at 100 ms steps their max M would read up to 0.46 LU low).
 * A window's sum (up to 300 dependent additions) is formed only when a sum of the same
 * slices in a faster order says that it may set a new maximum (may_exceed).
 *
 * Constant memory: instead of a list of every block (which grows with the file), the
 * gated measurements use histograms of 0.01 LU bins that keep, per bin, the count and
 * the exact sum of the block energies. Sums above a gate are therefore exact; only
 * blocks in the one bin that straddles the relative gate (within 0.01 LU of it) are
 * classified by the bin's mean, and percentiles for LRA are resolved to 0.01 LU.
 *
 * Glossary of state:
 *   sub_len      frames per 100 ms sub-block, (rate + 5) / 10 as in libebur128
 *   sub_pos      frames accumulated into the current sub-block
 *   acc          weighted K-energy sum of the current sub-block (sum over samples)
 *   ring[]       the last RING sub-block sums; ring_head is the next slot to write
 *   subs_done    completed sub-blocks
 *   slice        current slice of the sub-block; it ends at sub_pos == slice_end
 *   slice_acc    weighted K-energy sum of the current slice
 *   sring[]      the last RING * SLICES slice sums; sring_head is the next slot */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/biquad.h"
#include "dsp/simd.h"
#include "meter/loudness.h"

/* AVX-512 kernels (x86-64-v4), chosen at run time like the EQ's (src/dsp/eq_band.c); the
 * plain build (LATHE_NO_CLONES) and other compilers have only the 4-double kernels. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LATHE_NO_CLONES)
#define KW_V4 1
#define KW_V4_TARGET __attribute__((target("arch=x86-64-v4")))
#include <immintrin.h>
#else
#define KW_V4 0
#endif

#define RING 30                 /* sub-blocks in a short-term window */
#define MOMENTARY_SUBS 4
#define SLICES 10               /* slices per sub-block: maxima every 10 ms */
#define HIST_MIN_LUFS (-70.0)   /* absolute gate, BS.1770-4 */
#define HIST_MAX_LUFS (30.0)
#define HIST_STEP_LU 0.01
#define HIST_BINS 10000         /* (HIST_MAX - HIST_MIN) / HIST_STEP */

/* K-weighting state of one channel: the 4 state variables of the shelf -> high-pass
 * cascade, in the basis of kw_design (each stage in coupled form). */
typedef struct kw_state {
    double s[4];
} kw_state;

static void kw_state_flush(kw_state *s)
{
    for (int i = 0; i < 4; i++)
        s->s[i] = lathe_flush(s->s[i]);
}

/* The K-weighting as a block system (kweight_pair), its matrices as 4-lane columns, lane
 * k for frame k of a group of four frames:
 *   d[m][j]    lane k: h[4 m + k - j], 0 when negative (h: the impulse response): input
 *              frame j of a group in the outputs of the group m later
 *   c[m][i]    lane k: (c A^(4 m + k))_i: state variable i in the outputs of group m
 *   a8[i]      column i of A^8;  b8[j] = A^(7-j) b: input frame j of a block of 8 in
 *              the state after it
 *   a[r-1][i], b[r-1][j]  the same for a group of r = 1..4 frames (b[r-1][j] = 0, j >= r) */
typedef struct kw_coefs {
    double d[2][4][4], c[2][4][4], a8[4][4], b8[8][4], a[4][4][4], b[4][4][4];
} kw_coefs;

typedef long double kw_ld;

/* om^2 = a2 - a1^2 / 4, the squared imaginary part of complex poles p (a2 = |p|^2,
 * a1 = -2 Re p), to long double precision. a1 = hi + lo, hi of 24 and lo of at most 30
 * significant bits, so hi^2, hi lo and lo^2 are exact in the 64-bit significand, and
 * a2 - hi^2 / 4 is exact when the poles are close (Sterbenz). The high-pass's value is
 * ~5e-10 at 384 kHz (poles ~4.5e-5 apart): a2 - a1 * a1 / 4 in double would keep ~7 of
 * its 16 digits. */
static kw_ld kw_omega2(double a1, double a2)
{
    const double hi = (double)(float)a1, lo = a1 - hi;
    return (((kw_ld)a2 - (kw_ld)hi * hi / 4) - (kw_ld)hi * lo / 2) - (kw_ld)lo * lo / 4;
}

/* One biquad as a state-space system w' = A w + b u, y = c . w + d u. */
typedef struct kw_ss2 {
    kw_ld a[2][2], b[2], c[2], d;
} kw_ss2;

/* Coupled form (C. M. Rader and B. Gold, "Effects of parameter quantization on the poles
 * of a digital filter", Proc. IEEE 55(5), 1967): for poles sig +- i om, A = [[sig, -om],
 * [om, sig]] is a scaled rotation, a normal matrix, so rounding its entries (or its
 * powers') moves the poles by no more than the rounding itself; in a direct form the
 * high-pass's close poles (Q = 0.5003) move ~2e4 times further at 384 kHz for the same
 * rounding. With b = (1, 0), the transfer function b0 + (r1 z + r2) / (z^2 + a1 z + a2),
 * r1 = b1 - b0 a1, r2 = b2 - b0 a2, gives c = (r1, (r2 + sig r1) / om). Real poles (not
 * met by the K-weighting, whose Qs exceed 0.5) take the controllable canonical form
 * A = [[-a1, -a2], [1, 0]], c = (r1, r2). */
static kw_ss2 kw_realize(const lathe_biquad_coefs *f)
{
    const kw_ld a1 = f->a1, a2 = f->a2, b0 = f->b0, om2 = kw_omega2(f->a1, f->a2);
    const kw_ld r1 = f->b1 - b0 * a1, r2 = f->b2 - b0 * a2;
    kw_ss2 q = { .b = { 1, 0 }, .d = b0 };
    if (!(om2 > 0)) {
        q.a[0][0] = -a1;
        q.a[0][1] = -a2;
        q.a[1][0] = 1;
        q.c[0] = r1;
        q.c[1] = r2;
        return q;
    }
    const kw_ld sig = -a1 / 2, om = sqrtl(om2);
    q.a[0][0] = q.a[1][1] = sig;
    q.a[0][1] = -om;
    q.a[1][0] = om;
    q.c[0] = r1;
    if (f->b1 == -2.0 * f->b0 && f->b2 == f->b0) {
        /* b0 (1 - z^-1)^2, the high-pass: r1 = -b0 (2 + a1) and r2 + sig r1 =
         * b0 ((1 + a1 + a2) - 2 om^2), from 2 + a1 and 1 + a1 + a2 (both exact, Sterbenz)
         * instead of a difference of terms ~3e3 times larger at 384 kHz. */
        q.c[0] = -b0 * (2 + a1);
        q.c[1] = b0 * ((1 + a1 + a2) - 2 * om2) / om;
    } else {
        q.c[1] = (r2 + sig * r1) / om;
    }
    return q;
}

/* The cascade shelf (w) -> high-pass (v) as one 4-state system, s = (w, v):
 *   A = [[As, 0], [bh cs, Ah]], b = (bs, bh ds), c = (dh cs, ch), d = dh ds,
 * and its block matrices (kw_coefs), all in long double (a 64-bit significand), rounded
 * to double once at the end. */
static void kw_design(double rate_hz, kw_coefs *out)
{
    lathe_biquad_coefs shelf, hp;
    lathe_kweight_design(rate_hz, &shelf, &hp);
    const kw_ss2 s = kw_realize(&shelf), h = kw_realize(&hp);
    kw_ld a[4][4] = { { 0 } }, b[4], c[4];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            a[i][j] = s.a[i][j];
            a[2 + i][2 + j] = h.a[i][j];
            a[2 + i][j] = h.b[i] * s.c[j];
        }
        b[i] = s.b[i];
        b[2 + i] = h.b[i] * s.d;
        c[i] = h.d * s.c[i];
        c[2 + i] = h.c[i];
    }
    /* ab[m] = A^m b, ca[m] = c A^m, imp[m] = h[m] (d, then c A^(m-1) b), pw = A^r */
    kw_ld ab[8][4], ca[8][4], imp[8], pw[4][4], t[4][4];
    for (int i = 0; i < 4; i++) {
        ab[0][i] = b[i];
        ca[0][i] = c[i];
    }
    imp[0] = h.d * s.d;
    for (int m = 1; m < 8; m++) {
        imp[m] = 0;
        for (int i = 0; i < 4; i++) {
            imp[m] += ca[m - 1][i] * b[i];
            ab[m][i] = ca[m][i] = 0;
            for (int j = 0; j < 4; j++) {
                ab[m][i] += a[i][j] * ab[m - 1][j];
                ca[m][i] += ca[m - 1][j] * a[j][i];
            }
        }
    }
    memcpy(pw, a, sizeof pw);
    for (int r = 1; r <= 8; r++) {
        if (r > 1) {
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    t[i][j] = 0;
                    for (int l = 0; l < 4; l++)
                        t[i][j] += a[i][l] * pw[l][j];
                }
            memcpy(pw, t, sizeof pw);
        }
        for (int i = 0; r <= 4 && i < 4; i++)
            for (int l = 0; l < 4; l++) {
                out->a[r - 1][i][l] = (double)pw[l][i];
                out->b[r - 1][i][l] = i < r ? (double)ab[r - 1 - i][l] : 0.0;
            }
        for (int i = 0; r == 8 && i < 4; i++)
            for (int l = 0; l < 4; l++)
                out->a8[i][l] = (double)pw[l][i];
    }
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 4; l++)
            out->b8[j][l] = (double)ab[7 - j][l];
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 4; i++)
                out->c[m][i][k] = (double)ca[4 * m + k][i];
            for (int j = 0; j < 4; j++)
                out->d[m][j][k] = 4 * m + k >= j ? (double)imp[4 * m + k - j] : 0.0;
        }
}

/* The same columns as 8-lane vectors for the AVX-512 kernels (kw_pair8, kw_one8), which
 * compute every lane of the 4-lane kernels with the same operations in the same order:
 *   a pair puts lane k of channel c in lane 2k + c (its input frames: broadcast pairs);
 *   one channel puts lane k of a block of 8's first group (frames 0..3) in lane 2k and of
 *   its second group (frames 4..7) in lane 2k + 1, and keeps its state twice (lanes 2i,
 *   2i + 1: state variable i).
 *   d[j]     d[0][j] lane k in lanes 2k, 2k + 1 (pair; one channel: times x_j, x_(j+4))
 *   c[i], a[r-1][i], b[r-1][j]  c[0][i], a[r-1][i], b[r-1][j] likewise (pair)
 *   d1[j]    one channel: 0 in lane 2k, d[1][j] lane k in lane 2k + 1
 *   c01[i]   one channel: c[0][i] lane k in lane 2k, c[1][i] lane k in lane 2k + 1
 *   b8[j]    one channel: b8[j] lane k in lane 2k, b8[j + 4] lane k in lane 2k + 1
 *   a8[i]    one channel: a8[i] lane k in lanes 2k, 2k + 1 */
typedef struct kw_coefs8 {
    _Alignas(64) double d[4][8];
    double c[4][8], a[4][4][8], b[4][4][8], d1[4][8], c01[4][8], b8[4][8], a8[4][8];
} kw_coefs8;

static void kw_design8(const kw_coefs *k, kw_coefs8 *o)
{
    for (int j = 0; j < 4; j++)
        for (int l = 0; l < 4; l++) {
            o->d[j][2 * l] = o->d[j][2 * l + 1] = k->d[0][j][l];
            o->c[j][2 * l] = o->c[j][2 * l + 1] = k->c[0][j][l];
            for (int r = 0; r < 4; r++) {
                o->a[r][j][2 * l] = o->a[r][j][2 * l + 1] = k->a[r][j][l];
                o->b[r][j][2 * l] = o->b[r][j][2 * l + 1] = k->b[r][j][l];
            }
            o->d1[j][2 * l] = 0.0;
            o->d1[j][2 * l + 1] = k->d[1][j][l];
            o->c01[j][2 * l] = k->c[0][j][l];
            o->c01[j][2 * l + 1] = k->c[1][j][l];
            o->b8[j][2 * l] = k->b8[j][l];
            o->b8[j][2 * l + 1] = k->b8[j + 4][l];
            o->a8[j][2 * l] = o->a8[j][2 * l + 1] = k->a8[j][l];
        }
}

/* A running sum of the slices in a window of end_slice, and a bound on its error. */
typedef struct lathe_loudness_window {
    double sum, err;
} lathe_loudness_window;

typedef struct histogram {
    double sum[HIST_BINS];      /* sum of block energies in the bin */
    uint64_t count[HIST_BINS];
    double above_max_sum;       /* blocks louder than HIST_MAX (kept exactly) */
    uint64_t above_max_count;
} histogram;

struct lathe_loudness_meter {
    kw_coefs8 kw8;              /* first: 64-byte aligned (aligned_alloc) */
    _Alignas(64) kw_coefs kw_co;
    int rate, channels, mono_fold, keep_series;
    int v4;                     /* 1: the AVX-512 kernels */
    int bound_sums;             /* 1: window sums only when they may set a maximum (end_slice) */
    double weight[8];
    kw_state kw[8];

    size_t sub_len, sub_pos;
    double acc, acc_mono;
    double ring[RING], ring_mono[MOMENTARY_SUBS];
    unsigned ring_head, ring_mono_head;
    uint64_t subs_done;
    size_t slice_end;
    unsigned slice, sring_head;
    double slice_acc;
    double sring[RING * SLICES];
    lathe_loudness_window win_m, win_s;     /* running sums of the last 40 and 300 slices */
    uint64_t slices_done;
    lathe_loudness_slice_fn slice_fn;   /* or NULL: told each slice's energy */
    void *slice_user;

    double max_momentary, max_short_term;  /* energies */
    histogram *gate_blocks;     /* 400 ms blocks for the integrated loudness */
    histogram *gate_mono;       /* the same for the mono fold */
    histogram *st_blocks;       /* 3 s blocks for LRA */

    size_t series_cap, series_count;
    float *momentary, *short_term;
};

double lathe_energy_to_lufs(double energy)
{
    return energy > 0.0 ? -0.691 + 10.0 * log10(energy) : -HUGE_VAL;
}

static void hist_add(histogram *h, double energy)
{
    double l = lathe_energy_to_lufs(energy);
    if (!(l > HIST_MIN_LUFS))   /* absolute gate: l_j > -70 LUFS */
        return;
    if (l >= HIST_MAX_LUFS) {
        h->above_max_sum += energy;
        h->above_max_count++;
        return;
    }
    long bin = (long)((l - HIST_MIN_LUFS) / HIST_STEP_LU);
    if (bin < 0)
        bin = 0;
    if (bin >= HIST_BINS)
        bin = HIST_BINS - 1;
    h->sum[bin] += energy;
    h->count[bin]++;
}

static double bin_low(long bin)
{
    return HIST_MIN_LUFS + (double)bin * HIST_STEP_LU;
}

/* Index of the bin holding loudness L, and whether the bin as a whole counts as
 * above L: bins entirely above do; the straddling bin does if its mean is above. */
static int bin_passes(const histogram *h, long bin, double gate)
{
    if (bin_low(bin) >= gate)
        return 1;
    if (bin_low(bin) + HIST_STEP_LU <= gate || h->count[bin] == 0)
        return 0;
    return lathe_energy_to_lufs(h->sum[bin] / (double)h->count[bin]) > gate;
}

/* Mean energy of blocks passing the absolute gate, then of those above the
 * relative gate (mean - REL_LU); returns the gated mean energy, 0 if none. */
static double hist_gated_mean(const histogram *h, double rel_lu, double *rel_gate_out)
{
    double sum = h->above_max_sum;
    uint64_t n = h->above_max_count;
    for (long b = 0; b < HIST_BINS; b++) {
        sum += h->sum[b];
        n += h->count[b];
    }
    if (n == 0) {
        if (rel_gate_out)
            *rel_gate_out = -HUGE_VAL;
        return 0.0;
    }
    double gate = lathe_energy_to_lufs(sum / (double)n) + rel_lu;
    if (rel_gate_out)
        *rel_gate_out = gate;
    sum = h->above_max_sum;
    n = h->above_max_count;
    for (long b = 0; b < HIST_BINS; b++) {
        if (h->count[b] && bin_passes(h, b, gate)) {
            sum += h->sum[b];
            n += h->count[b];
        }
    }
    return n ? sum / (double)n : 0.0;
}

/* EBU Tech 3342: LRA = L95 - L10 of the short-term loudness values that pass the
 * absolute gate (-70 LUFS) and the relative gate (their mean - 20 LU). */
static double hist_lra(const histogram *h)
{
    double gate;
    uint64_t n = 0, target_lo, target_hi, cum = 0;
    double lo = NAN, hi = NAN;

    hist_gated_mean(h, -20.0, &gate);
    if (!isfinite(gate))
        return 0.0;
    for (long b = 0; b < HIST_BINS; b++)
        if (h->count[b] && bin_passes(h, b, gate))
            n += h->count[b];
    n += h->above_max_count;
    if (n < 2)
        return 0.0;
    /* Percentile p of n sorted values: the value at index round((n - 1) * p), as in
     * the reference MATLAB code of EBU Tech 3342 (section 5) and libebur128. */
    target_lo = (uint64_t)((double)(n - 1) * 0.10 + 0.5);
    target_hi = (uint64_t)((double)(n - 1) * 0.95 + 0.5);
    for (long b = 0; b < HIST_BINS; b++) {
        if (!h->count[b] || !bin_passes(h, b, gate))
            continue;
        double mid = bin_low(b) + HIST_STEP_LU / 2.0;
        if (isnan(lo) && cum + h->count[b] > target_lo)
            lo = mid;
        if (isnan(hi) && cum + h->count[b] > target_hi)
            hi = mid;
        cum += h->count[b];
    }
    if (isnan(hi))
        hi = HIST_MAX_LUFS;
    if (isnan(lo))
        lo = HIST_MAX_LUFS;
    return hi - lo;
}

/* 1 if the CPU runs x86-64-v4 (AVX-512) code. */
static int kw_have_v4(void)
{
#if KW_V4
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") != 0;
#else
    return 0;
#endif
}

lathe_status lathe_loudness_create(const lathe_loudness_config *cfg, lathe_loudness_meter **out)
{
    lathe_loudness_meter *m;

    *out = NULL;
    if (!cfg || cfg->channels < 1 || cfg->channels > 8 || cfg->rate_hz <= 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    m = aligned_alloc(64, sizeof *m);   /* sizeof is a multiple of the 64-byte alignment */
    if (!m)
        return LATHE_ERR_NO_MEMORY;
    memset(m, 0, sizeof *m);
    m->rate = cfg->rate_hz;
    m->channels = cfg->channels;
    m->mono_fold = cfg->mono_fold && cfg->channels == 2;
    m->keep_series = cfg->keep_series;
    m->bound_sums = 1;
    for (int c = 0; c < cfg->channels; c++) {
        m->weight[c] = cfg->weights ? cfg->weights[c] : 1.0;
        if (!(m->weight[c] >= 0.0))
            m->bound_sums = 0;  /* the bound needs slices >= 0 */
    }
    kw_design(m->rate, &m->kw_co);
    m->v4 = kw_have_v4();
    if (m->v4)
        kw_design8(&m->kw_co, &m->kw8);
    m->sub_len = (size_t)((m->rate + 5) / 10);
    m->slice_end = m->sub_len / SLICES;
    m->max_momentary = m->max_short_term = -1.0;
    m->gate_blocks = calloc(1, sizeof(histogram));
    m->st_blocks = calloc(1, sizeof(histogram));
    if (!m->gate_blocks || !m->st_blocks)
        goto nomem;
    if (m->mono_fold && !(m->gate_mono = calloc(1, sizeof(histogram))))
        goto nomem;
    if (m->keep_series) {
        m->series_cap = cfg->expected_frames > 0
                            ? (size_t)(cfg->expected_frames / (int64_t)m->sub_len) + 16
                            : 1024;
        m->momentary = malloc(sizeof(float) * m->series_cap);
        m->short_term = malloc(sizeof(float) * m->series_cap);
        if (!m->momentary || !m->short_term)
            goto nomem;
    }
    *out = m;
    return LATHE_OK;
nomem:
    lathe_loudness_destroy(m);
    return LATHE_ERR_NO_MEMORY;
}

static void series_push(lathe_loudness_meter *m, double mom, double st)
{
    if (m->series_count == m->series_cap) {
        /* Only when the header under-declared the length: grow geometrically. */
        size_t cap = m->series_cap * 2;
        float *a = realloc(m->momentary, sizeof(float) * cap);
        if (!a)
            return;
        m->momentary = a;
        float *b = realloc(m->short_term, sizeof(float) * cap);
        if (!b)
            return;
        m->short_term = b;
        m->series_cap = cap;
    }
    m->momentary[m->series_count] = (float)mom;
    m->short_term[m->series_count] = (float)st;
    m->series_count++;
}

/* A 100 ms sub-block is complete: update the windows, gates, maxima and series. */
static void end_sub_block(lathe_loudness_meter *m)
{
    const double inv = 1.0 / (double)m->sub_len;
    double mom = NAN, st = NAN;

    m->ring[m->ring_head] = m->acc;
    m->ring_head = (m->ring_head + 1) % RING;
    if (m->mono_fold) {
        m->ring_mono[m->ring_mono_head] = m->acc_mono;
        m->ring_mono_head = (m->ring_mono_head + 1) % MOMENTARY_SUBS;
    }
    m->acc = m->acc_mono = 0.0;
    m->subs_done++;

    if (m->subs_done >= MOMENTARY_SUBS) {
        double e = 0.0;
        for (unsigned k = 1; k <= MOMENTARY_SUBS; k++)
            e += m->ring[(m->ring_head + RING - k) % RING];
        e *= inv / MOMENTARY_SUBS;
        hist_add(m->gate_blocks, e);
        mom = lathe_energy_to_lufs(e);
        if (m->mono_fold) {
            double em = 0.0;
            for (unsigned k = 0; k < MOMENTARY_SUBS; k++)
                em += m->ring_mono[k];
            hist_add(m->gate_mono, em * inv / MOMENTARY_SUBS);
        }
    }
    if (m->subs_done >= RING) {
        double e = 0.0;
        for (unsigned k = 0; k < RING; k++)
            e += m->ring[k];
        e *= inv / RING;
        hist_add(m->st_blocks, e);
        st = lathe_energy_to_lufs(e);
    }
    if (m->keep_series)
        series_push(m, mom, st);
}

/* The sum of P[0..N) in some order (four vectors of partial sums), for a bound only. */
typedef double ls_v4d __attribute__((vector_size(32)));
typedef double ls_v4u __attribute__((vector_size(32), aligned(8), may_alias));
LATHE_HOT static double sum_any_order(const double *p, size_t n)
{
    ls_v4d a = { 0.0, 0.0, 0.0, 0.0 }, b = a, c = a, d = a;
    size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        a += *(const ls_v4u *)(const void *)(p + k);
        b += *(const ls_v4u *)(const void *)(p + k + 4);
        c += *(const ls_v4u *)(const void *)(p + k + 8);
        d += *(const ls_v4u *)(const void *)(p + k + 12);
    }
    for (; k + 4 <= n; k += 4)
        a += *(const ls_v4u *)(const void *)(p + k);
    a = (a + b) + (c + d);
    double t = (a[0] + a[1]) + (a[2] + a[3]);
    for (; k < n; k++)
        t += p[k];
    return t;
}

/* Bounds on the window sums of end_slice. The slices are >= 0 (every weight is), and a
 * window's sum in its fixed order, E, is within n u / (1 - n u) < 4e-14 of the exact sum S
 * of its n <= 300 slices (u = 2^-53; N. J. Higham, "Accuracy and Stability of Numerical
 * Algorithms", 2nd ed., 2002, section 4.2). A running sum T (the entering slice added,
 * the leaving one subtracted) and a bound ERR on |T - S| then give E <= (T + ERR)
 * (1 + 4e-14); when (T + ERR) (1 + 1e-12) < MAX DIV (each side rounded once), E / DIV <
 * MAX, so fl(E / DIV) <= MAX: E need not be formed, and the maxima keep their bits.
 * Each update adds at most u |T + v| + u |T'| to the error (2^-51 covers it and the
 * rounding of ERR itself); T is formed afresh (sum_any_order, error < 2^-44 T) once ERR
 * exceeds 2^-43 T, about every 64 slices on a steady signal. NaN or Inf answer "may". */
static int may_exceed(const lathe_loudness_window *w, double div, double max)
{
    return !((w->sum + w->err) * (1.0 + 1e-12) < max * div);
}

static void window_update(lathe_loudness_window *w, double in, double out)
{
    const double a = w->sum + in;
    w->sum = a - out;
    w->err += 0x1p-51 * (fabs(a) + fabs(w->sum));
}

/* Forms W afresh from the ring's slots [A0, H) and [B0, N) if its error bound has grown. */
static void window_refresh(lathe_loudness_window *w, const double *ring, size_t a0, size_t h,
                           size_t b0, size_t n)
{
    if (w->err <= 0x1p-43 * w->sum)
        return;
    w->sum = sum_any_order(ring + a0, h - a0) + sum_any_order(ring + b0, n - b0);
    w->err = 0x1p-44 * w->sum;
}

/* A slice is complete: the momentary and short-term windows ending here update the
 * maxima. Slice j of a sub-block ends at frame floor((j + 1) * sub_len / SLICES), so
 * 4 * SLICES (RING * SLICES) slices always span exactly 4 (30) sub-blocks. Each window's
 * sum is formed in its fixed order (a chain of up to 300 dependent additions) only when
 * its running bound says it may set a new maximum (may_exceed). */
static void end_slice(lathe_loudness_meter *m)
{
    const size_t n = RING * SLICES, w = MOMENTARY_SUBS * SLICES;
    if (m->slice_fn)
        m->slice_fn(m->slice_user, m->slice_acc,
                    m->slice_end - m->slice * m->sub_len / SLICES, m->slice == SLICES - 1);
    if (m->bound_sums) {        /* the windows gain this slice and lose the oldest */
        window_update(&m->win_m, m->slice_acc, m->sring[(m->sring_head + n - w) % n]);
        window_update(&m->win_s, m->slice_acc, m->sring[m->sring_head]);
    }
    m->sring[m->sring_head] = m->slice_acc;
    m->sring_head = (unsigned)((m->sring_head + 1) % n);
    m->slice_acc = 0.0;
    m->slices_done++;
    if (m->slices_done >= w) {
        /* the last 40 slices: [head - 40, head), in at most two runs of the ring */
        const size_t h = m->sring_head;
        const size_t a0 = h >= w ? h - w : 0, b0 = h >= w ? n : n - (w - h);
        const double div = (double)(MOMENTARY_SUBS * m->sub_len);
        if (m->bound_sums)
            window_refresh(&m->win_m, m->sring, a0, h, b0, n);
        if (!m->bound_sums || may_exceed(&m->win_m, div, m->max_momentary)) {
            double e = 0.0;
            for (size_t k = a0; k < h; k++)
                e += m->sring[k];
            for (size_t k = b0; k < n; k++)
                e += m->sring[k];
            e /= div;
            if (e > m->max_momentary)
                m->max_momentary = e;
        }
    }
    if (m->slices_done >= n) {
        const double div = (double)(RING * m->sub_len);
        if (m->bound_sums)
            window_refresh(&m->win_s, m->sring, 0, n, n, n);
        if (!m->bound_sums || may_exceed(&m->win_s, div, m->max_short_term)) {
            double e = 0.0;
            for (size_t k = 0; k < n; k++)
                e += m->sring[k];
            e /= div;
            if (e > m->max_short_term)
                m->max_short_term = e;
        }
    }
    m->slice++;
    if (m->slice == SLICES)
        m->slice = 0;
    m->slice_end = (m->slice + 1) * m->sub_len / SLICES;
}

/* K-weighting as a block state-space system (look-ahead over a block of frames: C. W.
 * Barnes and S. Shinnaka, "Block-shift invariance and block implementation of
 * discrete-time filters", IEEE Trans. Circuits Syst. 27(8), 1980; K. K. Parhi and
 * D. G. Messerschmitt, "Pipeline interleaving and parallelism in recursive digital
 * filters", IEEE Trans. ASSP 37(7), 1989). The cascade shelf -> high-pass is one
 * 4th-order system s' = A s + b x, z = c . s + d x (kw_design). Over a group of four
 * frames x = x[0..3], its outputs and next state are
 *     z = D x + C s   (D[k][j] = h[k - j]: the impulse response; C[k] = c A^k),
 *     s' = A^4 s + (A^3 b, A^2 b, A b, b) x,
 * and over a block of 8 frames in two groups x0, x1
 *     z0 = D0 x0 + C0 s,   z1 = D0 x1 + D1 x0 + C1 s,   s' = A^8 s + (A^7 b .. b) (x0, x1)
 * (D1[k][j] = h[4 + k - j], C1[k] = c A^(4 + k)): 4-lane matrix-vector products, each a
 * sum of matrix columns times one input frame (broadcast from memory) or one state
 * variable (a lane of s). Only s -> s' carries over from block to block (a broadcast, a
 * multiply and three additions), so the kernel is bound by throughput, where a recursion
 * per frame is bound by the latency of its multiply and addition. It takes ~1.5 times the
 * vector operations of the direct form I pipeline it replaced (per channel and group of
 * four frames: 17 multiplies and 15 additions, z^2 included) and still fewer cycles: a
 * channel pair runs in groups of four, its two chains interleaved; one channel in blocks
 * of 8, which halve its one chain. On a Sapphire Rapids core (cycles per frame, 441-frame
 * runs, minimum of many): a pair with the mono fold 8.7 -> 7.1 (without 8.4 -> 7.8), one
 * channel 8.7 -> 3.6.
 * A run's last frames take a group of four and one of r < 4 frames (inputs padded with
 * zeros, outputs from r on dropped).
 * Rounding differs from the direct form I (other sums, other order) by ~1e-15 of the
 * energy on music and noise: the matrices are formed in long double, and the coupled
 * basis keeps the high-pass's close poles where its coefficients put them (kw_realize).
 * Accumulates sum z^2 per channel and, when MONO, sum z0 z1. */
typedef double kw_v4d __attribute__((vector_size(32)));
typedef long long kw_v4i __attribute__((vector_size(32)));

/* A column of kw_coefs as a vector, read where used (a load folded into the multiply),
 * through a type that may sit at any double's address and alias doubles. */
typedef double kw_v4u __attribute__((vector_size(32), aligned(8), may_alias));
#define KW_LD(p) (*(const kw_v4u *)(const void *)(p))

#if defined(__clang__)
#define KW_LANE(v, i) __builtin_shufflevector((v), (v), i, i, i, i)
#else
#define KW_LANE(v, i) __builtin_shuffle((v), (kw_v4i){ i, i, i, i })
#endif

#define KW_CHUNK 256            /* frames converted to double at a time (a multiple of 8) */

/* Columns M[0..3] times V0..V3, summed in pairs. */
#define KW_SUM4(m, v0, v1, v2, v3)                                                         \
    ((KW_LD((m)[0]) * (v0) + KW_LD((m)[1]) * (v1)) + (KW_LD((m)[2]) * (v2) + KW_LD((m)[3]) * (v3)))

/* A group of R = 1..4 input frames XD (XD[R..3] zero): Z its outputs (lanes from R on to
 * be dropped), S advanced by R frames. The sums over x and over s are formed apart, so
 * that only the second waits for the previous group. Input frames are broadcast one by
 * one from memory (a load, no shuffle). (Pointers: a function taking or returning a
 * 32-byte vector would change the ABI between the clones.) */
static inline __attribute__((always_inline)) void kw_group(const kw_coefs *k, size_t r,
                                                           const double *xd, kw_v4d *s,
                                                           kw_v4d *z)
{
    const double v0 = xd[0], v1 = xd[1], v2 = xd[2], v3 = xd[3];
    const kw_v4d x0 = { v0, v0, v0, v0 }, x1 = { v1, v1, v1, v1 }, x2 = { v2, v2, v2, v2 },
                 x3 = { v3, v3, v3, v3 };
    const kw_v4d s0 = KW_LANE(*s, 0), s1 = KW_LANE(*s, 1), s2 = KW_LANE(*s, 2),
                 s3 = KW_LANE(*s, 3);
    const kw_v4d zx = KW_SUM4(k->d[0], x0, x1, x2, x3), sx = KW_SUM4(k->b[r - 1], x0, x1, x2, x3);
    const kw_v4d zs = KW_SUM4(k->c[0], s0, s1, s2, s3), ss = KW_SUM4(k->a[r - 1], s0, s1, s2, s3);
    *s = sx + ss;
    *z = zx + zs;
}

/* A block of 8 input frames XD: Z[0], Z[1] the outputs of its two groups, S advanced. */
static inline __attribute__((always_inline)) void kw_block8(const kw_coefs *k, const double *xd,
                                                            kw_v4d *s, kw_v4d z[2])
{
    const double v0 = xd[0], v1 = xd[1], v2 = xd[2], v3 = xd[3], v4 = xd[4], v5 = xd[5],
                 v6 = xd[6], v7 = xd[7];
    const kw_v4d x0 = { v0, v0, v0, v0 }, x1 = { v1, v1, v1, v1 }, x2 = { v2, v2, v2, v2 },
                 x3 = { v3, v3, v3, v3 }, x4 = { v4, v4, v4, v4 }, x5 = { v5, v5, v5, v5 },
                 x6 = { v6, v6, v6, v6 }, x7 = { v7, v7, v7, v7 };
    const kw_v4d s0 = KW_LANE(*s, 0), s1 = KW_LANE(*s, 1), s2 = KW_LANE(*s, 2),
                 s3 = KW_LANE(*s, 3);
    const kw_v4d zx0 = KW_SUM4(k->d[0], x0, x1, x2, x3);
    const kw_v4d zx1 = KW_SUM4(k->d[0], x4, x5, x6, x7) + KW_SUM4(k->d[1], x0, x1, x2, x3);
    const kw_v4d sx = KW_SUM4(k->b8, x0, x1, x2, x3) + KW_SUM4(k->b8 + 4, x4, x5, x6, x7);
    const kw_v4d zs0 = KW_SUM4(k->c[0], s0, s1, s2, s3), zs1 = KW_SUM4(k->c[1], s0, s1, s2, s3);
    const kw_v4d ss = KW_SUM4(k->a8, s0, s1, s2, s3);
    *s = sx + ss;
    z[0] = zx0 + zs0;
    z[1] = zx1 + zs1;
}

#define KW_HSUM(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

/* N frames of one channel (PAIR 0: X0 only) or two, states ST0 (ST1); E: sum z0^2,
 * sum z1^2, and sum z0 z1 when MONO. The input goes through a double buffer. */
static inline __attribute__((always_inline)) void kw_run(const kw_coefs *k, kw_state *st0,
                                                         kw_state *st1, const float *x0,
                                                         const float *x1, size_t n, int pair,
                                                         int mono, double e[3])
{
    double xb[2][KW_CHUNK];
    const kw_v4d zero = { 0.0, 0.0, 0.0, 0.0 };
    kw_v4d s0, s1 = zero, acc0 = zero, acc1 = zero, accx = zero;
    memcpy(&s0, st0->s, sizeof s0);
    if (pair)
        memcpy(&s1, st1->s, sizeof s1);
    for (size_t i = 0; i < n;) {
        const size_t len = n - i < KW_CHUNK ? n - i : KW_CHUNK;
        for (size_t j = 0; j < len; j++)
            xb[0][j] = x0[i + j];
        if (pair)
            for (size_t j = 0; j < len; j++)
                xb[1][j] = x1[i + j];
        size_t j = 0;
        if (pair) {             /* two chains, a group of four frames at a time */
            for (; j + 4 <= len; j += 4) {
                kw_v4d z0, z1;
                kw_group(k, 4, xb[0] + j, &s0, &z0);
                kw_group(k, 4, xb[1] + j, &s1, &z1);
                acc0 += z0 * z0;
                acc1 += z1 * z1;
                if (mono)
                    accx += z0 * z1;
            }
        } else {                /* one chain, 8 frames at a time */
            for (; j + 8 <= len; j += 8) {
                kw_v4d z0[2];
                kw_block8(k, xb[0] + j, &s0, z0);
                acc0 += z0[0] * z0[0] + z0[1] * z0[1];
            }
        }
        while (j < len) {       /* the run's last frames: four, then r < 4 */
            const size_t r = len - j < 4 ? len - j : 4;
            const kw_v4i keep = { -1, r > 1 ? -1 : 0, r > 2 ? -1 : 0, r > 3 ? -1 : 0 };
            kw_v4d z0, z1;
            for (size_t l = j + r; l < j + 4; l++)
                xb[0][l] = xb[1][l] = 0.0;
            kw_group(k, r, xb[0] + j, &s0, &z0);
            z0 = (kw_v4d)((kw_v4i)z0 & keep);
            acc0 += z0 * z0;
            if (pair) {
                kw_group(k, r, xb[1] + j, &s1, &z1);
                z1 = (kw_v4d)((kw_v4i)z1 & keep);
                acc1 += z1 * z1;
                if (mono)
                    accx += z0 * z1;
            }
            j += r;
        }
        i += len;
    }
    memcpy(st0->s, &s0, sizeof st0->s);
    kw_state_flush(st0);
    if (pair) {
        memcpy(st1->s, &s1, sizeof st1->s);
        kw_state_flush(st1);
    }
    e[0] = KW_HSUM(acc0);
    e[1] = KW_HSUM(acc1);
    e[2] = KW_HSUM(accx);
}

LATHE_HOT static void kweight_pair(lathe_loudness_meter *m, int c, const float *restrict x0,
                                   const float *restrict x1, size_t n, int mono, double e[3])
{
    if (mono)
        kw_run(&m->kw_co, &m->kw[c], &m->kw[c + 1], x0, x1, n, 1, 1, e);
    else
        kw_run(&m->kw_co, &m->kw[c], &m->kw[c + 1], x0, x1, n, 1, 0, e);
}

/* One channel: the pair kernel with a silent partner would waste half the work. */
LATHE_HOT static double kweight_one(lathe_loudness_meter *m, int c, const float *restrict x,
                                    size_t n)
{
    double e[3];
    kw_run(&m->kw_co, &m->kw[c], NULL, x, NULL, n, 0, 0, e);
    return e[0];
}

#if KW_V4
/* The AVX-512 kernels: every lane computed as by kw_group / kw_block8 (the same products
 * and sums in the same order, no contraction into FMA: the same bits), twice the lanes
 * per instruction, 32 vector registers (the AVX2 clone of kw_run keeps its accumulators
 * on the stack). A pair's two chains become one (lane 2k + c: channel c's lane k), its
 * input frames interleaved once (x0[j], x1[j]) so that each is a broadcast load of two
 * doubles; a group of four frames of the pair then takes 16 multiplies, 14 additions and
 * 4 in-lane shuffles of the state (plus 2 + 3 for z^2 and z0 z1), about the throughput of
 * the two 512-bit ports, and the chain s -> s' (shuffle, multiply, three additions) is no
 * longer. Longer blocks (A^8 for a pair, more lanes of independent work) would round
 * differently, so a pair keeps groups of four. One channel puts a block of 8's two groups
 * in the lanes 2k and 2k + 1 and keeps its state twice (kw_coefs8). Measured on this
 * project's Sapphire Rapids host (lathe_loudness_process on 30 s at 44.1 kHz in blocks of
 * 4096, minimum of 20 runs, with the bounded window sums of end_slice): stereo with the
 * mono fold 4.91 -> 3.65 ms, mono 2.65 -> 2.07 ms, 5.1 11.2 -> 8.6 ms. */
#define KW8_LD(p) _mm512_load_pd(p)
#define KW8_SUM4(m, v0, v1, v2, v3)                                                        \
    _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(KW8_LD((m)[0]), (v0)),                      \
                                _mm512_mul_pd(KW8_LD((m)[1]), (v1))),                     \
                  _mm512_add_pd(_mm512_mul_pd(KW8_LD((m)[2]), (v2)),                      \
                                _mm512_mul_pd(KW8_LD((m)[3]), (v3))))
/* lanes 2i, 2i + 1 of V in every pair of lanes */
#define KW8_PAIR(v, i) _mm512_shuffle_f64x2((v), (v), 0x55 * (i))
/* the two lanes of every pair swapped */
#define KW8_SWAP(v) _mm512_permute_pd((v), 0x55)
/* (lanes 0 + 2) + (lanes 4 + 6) of V stored in T, as KW_HSUM of a 4-lane kernel's sum */
#define KW8_HSUM_EVEN(t) (((t)[0] + (t)[2]) + ((t)[4] + (t)[6]))
#define KW8_HSUM_ODD(t) (((t)[1] + (t)[3]) + ((t)[5] + (t)[7]))

/* A group of R = 1..4 frames of a pair, XI = its frames interleaved (x0[j], x1[j]; zeros
 * from R on): kw_group for both channels at once, Z's lanes from 2R on to be dropped. */
static inline __attribute__((always_inline)) KW_V4_TARGET void
kw_group8(const kw_coefs8 *k, size_t r, const double *xi, __m512d *s, __m512d *z)
{
    const __m512d x0 = _mm512_broadcast_f64x2(_mm_load_pd(xi)),
                  x1 = _mm512_broadcast_f64x2(_mm_load_pd(xi + 2)),
                  x2 = _mm512_broadcast_f64x2(_mm_load_pd(xi + 4)),
                  x3 = _mm512_broadcast_f64x2(_mm_load_pd(xi + 6));
    const __m512d s0 = KW8_PAIR(*s, 0), s1 = KW8_PAIR(*s, 1), s2 = KW8_PAIR(*s, 2),
                  s3 = KW8_PAIR(*s, 3);
    const __m512d zx = KW8_SUM4(k->d, x0, x1, x2, x3), sx = KW8_SUM4(k->b[r - 1], x0, x1, x2, x3);
    const __m512d zs = KW8_SUM4(k->c, s0, s1, s2, s3), ss = KW8_SUM4(k->a[r - 1], s0, s1, s2, s3);
    *s = _mm512_add_pd(sx, ss);
    *z = _mm512_add_pd(zx, zs);
}

/* kw_run for a pair (MONO: also sum z0 z1). */
static inline __attribute__((always_inline)) KW_V4_TARGET void
kw_pair8(const kw_coefs8 *k, kw_state *st0, kw_state *st1, const float *x0, const float *x1,
         size_t n, int mono, double e[3])
{
    _Alignas(64) double xb[2 * KW_CHUNK + 8], t[8];
    const __m512i lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11),
                  hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    __m512d s = _mm512_setr_pd(st0->s[0], st1->s[0], st0->s[1], st1->s[1], st0->s[2],
                               st1->s[2], st0->s[3], st1->s[3]);
    __m512d acc = _mm512_setzero_pd(), accx = _mm512_setzero_pd();
    for (size_t i = 0; i < n;) {
        const size_t len = n - i < KW_CHUNK ? n - i : KW_CHUNK;
        size_t j = 0;
        for (; j + 8 <= len; j += 8) {
            const __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x0 + i + j)),
                          b = _mm512_cvtps_pd(_mm256_loadu_ps(x1 + i + j));
            _mm512_store_pd(xb + 2 * j, _mm512_permutex2var_pd(a, lo, b));
            _mm512_store_pd(xb + 2 * j + 8, _mm512_permutex2var_pd(a, hi, b));
        }
        for (; j < len; j++) {
            xb[2 * j] = x0[i + j];
            xb[2 * j + 1] = x1[i + j];
        }
        _mm512_store_pd(t, _mm512_setzero_pd());
        memcpy(xb + 2 * len, t, sizeof t);   /* zeros after the last frame */
        for (j = 0; j + 4 <= len; j += 4) {
            __m512d z;
            kw_group8(k, 4, xb + 2 * j, &s, &z);
            acc = _mm512_add_pd(acc, _mm512_mul_pd(z, z));
            if (mono)
                accx = _mm512_add_pd(accx, _mm512_mul_pd(z, KW8_SWAP(z)));
        }
        if (j < len) {          /* the run's last r < 4 frames */
            const size_t r = len - j;
            __m512d z;
            kw_group8(k, r, xb + 2 * j, &s, &z);
            z = _mm512_maskz_mov_pd((__mmask8)((1u << (2 * r)) - 1u), z);
            acc = _mm512_add_pd(acc, _mm512_mul_pd(z, z));
            if (mono)
                accx = _mm512_add_pd(accx, _mm512_mul_pd(z, KW8_SWAP(z)));
        }
        i += len;
    }
    _mm512_store_pd(t, s);
    for (int q = 0; q < 4; q++) {
        st0->s[q] = t[2 * q];
        st1->s[q] = t[2 * q + 1];
    }
    kw_state_flush(st0);
    kw_state_flush(st1);
    _mm512_store_pd(t, acc);
    e[0] = KW8_HSUM_EVEN(t);
    e[1] = KW8_HSUM_ODD(t);
    _mm512_store_pd(t, accx);
    e[2] = KW8_HSUM_EVEN(t);
}

/* kw_run for one channel: blocks of 8 as kw_block8 (frames in the order x0, x4, x1, x5,
 * x2, x6, x3, x7: pairs for broadcasts), then a run's last frames as kw_group. */
static inline __attribute__((always_inline)) KW_V4_TARGET double
kw_one8(const kw_coefs8 *k8, const kw_coefs *k, kw_state *st, const float *x, size_t n)
{
    _Alignas(64) double xb[KW_CHUNK + 8], t[8];
    const __m512i order = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    const __m512i i0 = _mm512_set1_epi64(0), i1 = _mm512_set1_epi64(2),
                  i2 = _mm512_set1_epi64(4), i3 = _mm512_set1_epi64(6);
    __m512d s = _mm512_setr_pd(st->s[0], st->s[0], st->s[1], st->s[1], st->s[2], st->s[2],
                               st->s[3], st->s[3]);
    __m512d acc = _mm512_setzero_pd();
    for (size_t i = 0; i < n;) {
        const size_t len = n - i < KW_CHUNK ? n - i : KW_CHUNK;
        size_t j = 0;
        for (; j + 8 <= len; j += 8) {
            const __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + j));
            _mm512_store_pd(xb + j, _mm512_permutexvar_pd(order, v));
        }
        for (j = 0; j + 8 <= len; j += 8) {
            const double *p = xb + j;
            const __m512d xp0 = _mm512_broadcast_f64x2(_mm_load_pd(p)),
                          xp1 = _mm512_broadcast_f64x2(_mm_load_pd(p + 2)),
                          xp2 = _mm512_broadcast_f64x2(_mm_load_pd(p + 4)),
                          xp3 = _mm512_broadcast_f64x2(_mm_load_pd(p + 6));
            const __m512d xa0 = _mm512_set1_pd(p[0]), xa1 = _mm512_set1_pd(p[2]),
                          xa2 = _mm512_set1_pd(p[4]), xa3 = _mm512_set1_pd(p[6]);
            const __m512d s0 = _mm512_permutexvar_pd(i0, s), s1 = _mm512_permutexvar_pd(i1, s),
                          s2 = _mm512_permutexvar_pd(i2, s), s3 = _mm512_permutexvar_pd(i3, s);
            const __m512d zx = _mm512_add_pd(KW8_SUM4(k8->d, xp0, xp1, xp2, xp3),
                                             KW8_SUM4(k8->d1, xa0, xa1, xa2, xa3));
            const __m512d sx = KW8_SUM4(k8->b8, xp0, xp1, xp2, xp3);
            const __m512d zs = KW8_SUM4(k8->c01, s0, s1, s2, s3);
            const __m512d ss = KW8_SUM4(k8->a8, s0, s1, s2, s3);
            s = _mm512_add_pd(_mm512_add_pd(sx, KW8_SWAP(sx)), ss);
            const __m512d z = _mm512_add_pd(zx, zs), q = _mm512_mul_pd(z, z);
            acc = _mm512_add_pd(acc, _mm512_add_pd(q, KW8_SWAP(q)));
        }
        if (j < len) {          /* the run's last frames: four, then r < 4 */
            double xr[8] = { 0.0 };
            kw_v4d s4, z0;
            _mm512_store_pd(t, s);
            s4 = (kw_v4d){ t[0], t[2], t[4], t[6] };
            for (size_t l = j; l < len; l++)
                xr[l - j] = x[i + l];
            for (size_t g = 0; j < len; g += 4) {
                const size_t r = len - j < 4 ? len - j : 4;
                const kw_v4i keep = { -1, r > 1 ? -1 : 0, r > 2 ? -1 : 0, r > 3 ? -1 : 0 };
                kw_group(k, r, xr + g, &s4, &z0);
                z0 = (kw_v4d)((kw_v4i)z0 & keep);
                z0 *= z0;
                acc = _mm512_add_pd(acc, _mm512_setr_pd(z0[0], z0[0], z0[1], z0[1], z0[2],
                                                        z0[2], z0[3], z0[3]));
                j += r;
            }
            s = _mm512_setr_pd(s4[0], s4[0], s4[1], s4[1], s4[2], s4[2], s4[3], s4[3]);
        }
        i += len;
    }
    _mm512_store_pd(t, s);
    for (int q = 0; q < 4; q++)
        st->s[q] = t[2 * q];
    kw_state_flush(st);
    _mm512_store_pd(t, acc);
    return KW8_HSUM_EVEN(t);
}

static KW_V4_TARGET void kweight_pair8(lathe_loudness_meter *m, int c, const float *restrict x0,
                                       const float *restrict x1, size_t n, int mono, double e[3])
{
    if (mono)
        kw_pair8(&m->kw8, &m->kw[c], &m->kw[c + 1], x0, x1, n, 1, e);
    else
        kw_pair8(&m->kw8, &m->kw[c], &m->kw[c + 1], x0, x1, n, 0, e);
}

static KW_V4_TARGET double kweight_one8(lathe_loudness_meter *m, int c, const float *restrict x,
                                        size_t n)
{
    return kw_one8(&m->kw8, &m->kw_co, &m->kw[c], x, n);
}
#endif

lathe_status lathe_loudness_process(lathe_loudness_meter *m, const float *const *ch, size_t frames)
{
    /* Walk the input in runs that stay inside one 10 ms slice of a sub-block. */
    size_t i = 0;
    while (i < frames) {
        size_t run = m->slice_end - m->sub_pos;
        if (run > frames - i)
            run = frames - i;
        double e = 0.0;
        int c = 0;
        while (c < m->channels) {
            /* Channels with weight 0 (LFE) are not measured at all. */
            if (m->weight[c] == 0.0) {
                c++;
                continue;
            }
            if (c + 1 < m->channels && m->weight[c + 1] != 0.0) {
                double s[3];
#if KW_V4
                if (m->v4)
                    kweight_pair8(m, c, ch[c] + i, ch[c + 1] + i, run, c == 0 && m->mono_fold, s);
                else
#endif
                    kweight_pair(m, c, ch[c] + i, ch[c + 1] + i, run, c == 0 && m->mono_fold, s);
                e += m->weight[c] * s[0] + m->weight[c + 1] * s[1];
                if (c == 0 && m->mono_fold) /* (zL + zR)/2 on both channels */
                    m->acc_mono += 0.5 * (s[0] + s[1] + 2.0 * s[2]);
                c += 2;
            } else {
#if KW_V4
                if (m->v4)
                    e += m->weight[c] * kweight_one8(m, c, ch[c] + i, run);
                else
#endif
                    e += m->weight[c] * kweight_one(m, c, ch[c] + i, run);
                c++;
            }
        }
        m->acc += e;
        m->slice_acc += e;
        m->sub_pos += run;
        i += run;
        if (m->sub_pos == m->slice_end)
            end_slice(m);
        if (m->sub_pos == m->sub_len) {
            m->sub_pos = 0;
            end_sub_block(m);
        }
    }
    return LATHE_OK;
}

void lathe_loudness_set_slice_fn(lathe_loudness_meter *m, lathe_loudness_slice_fn fn, void *user)
{
    m->slice_fn = fn;
    m->slice_user = user;
}

void lathe_loudness_result_get(lathe_loudness_meter *m, lathe_loudness_result *r)
{
    r->integrated_lufs = lathe_energy_to_lufs(hist_gated_mean(m->gate_blocks, -10.0, NULL));
    r->loudness_range_lu = hist_lra(m->st_blocks);
    r->max_momentary_lufs = m->max_momentary >= 0.0 ? lathe_energy_to_lufs(m->max_momentary)
                                                    : -HUGE_VAL;
    r->max_short_term_lufs = m->max_short_term >= 0.0 ? lathe_energy_to_lufs(m->max_short_term)
                                                      : -HUGE_VAL;
    r->mono_integrated_lufs = m->mono_fold
        ? lathe_energy_to_lufs(hist_gated_mean(m->gate_mono, -10.0, NULL)) : NAN;
    r->series_count = m->series_count;
    r->momentary = m->momentary;
    r->short_term = m->short_term;
}

void lathe_loudness_use_reference(lathe_loudness_meter *m)
{
    m->v4 = 0;
    m->bound_sums = 0;
}

size_t lathe_loudness_state(const lathe_loudness_meter *m, double *out, size_t cap)
{
    size_t k = 0;
#define PUT(v)                                                                             \
    do {                                                                                   \
        if (k < cap)                                                                       \
            out[k] = (v);                                                                  \
        k++;                                                                               \
    } while (0)
    for (int c = 0; c < m->channels; c++)
        for (int i = 0; i < 4; i++)
            PUT(m->kw[c].s[i]);
    PUT(m->acc);
    PUT(m->acc_mono);
    PUT(m->slice_acc);
    for (int i = 0; i < RING; i++)
        PUT(m->ring[i]);
    for (int i = 0; i < MOMENTARY_SUBS; i++)
        PUT(m->ring_mono[i]);
    for (int i = 0; i < RING * SLICES; i++)
        PUT(m->sring[i]);
    PUT(m->max_momentary);
    PUT(m->max_short_term);
#undef PUT
    return k;
}

void lathe_loudness_take_series(lathe_loudness_meter *m, float **momentary, float **short_term)
{
    *momentary = m->momentary;
    *short_term = m->short_term;
    m->momentary = m->short_term = NULL;
}

void lathe_loudness_destroy(lathe_loudness_meter *m)
{
    if (!m)
        return;
    free(m->gate_blocks);
    free(m->gate_mono);
    free(m->st_blocks);
    free(m->momentary);
    free(m->short_term);
    free(m);
}
