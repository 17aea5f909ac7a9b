/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streaming loudness meter (ITU-R BS.1770-4, EBU R128, EBU Tech 3341/3342).
 *
 * The signal is K-weighted per channel (two biquads, double state, direct form I) and its weighted
 * mean square is accumulated in 100 ms sub-blocks. A ring of the last 30 sub-blocks
 * gives the momentary (4 sub-blocks = 400 ms) and short-term (30 = 3 s) energies at
 * every 100 ms step, i.e. gating blocks overlap by 75 % as BS.1770-4 requires.
 * The maxima of M and S are taken finer, over windows ending every 10 ms: each
 * sub-block is also split into SLICES slices, and a ring of the last 300 slice sums
 * gives both windows at every slice end (EBU Tech 3341 cases 13 and 14 place 400 ms
 * tones at 20 ms offsets; at 100 ms steps their max M would read up to 0.46 LU low).
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

#define RING 30                 /* sub-blocks in a short-term window */
#define MOMENTARY_SUBS 4
#define SLICES 10               /* slices per sub-block: maxima every 10 ms */
#define HIST_MIN_LUFS (-70.0)   /* absolute gate, BS.1770-4 */
#define HIST_MAX_LUFS (30.0)
#define HIST_STEP_LU 0.01
#define HIST_BINS 10000         /* (HIST_MAX - HIST_MIN) / HIST_STEP */

/* Direct form I state of the two K-weighting stages: input x, shelf output y,
 * high-pass output z, each one and two samples back. */
typedef struct kw_state {
    double x1, x2, y1, y2, z1, z2;
} kw_state;

static void kw_state_flush(kw_state *s)
{
    s->y1 = lathe_flush(s->y1);
    s->y2 = lathe_flush(s->y2);
    s->z1 = lathe_flush(s->z1);
    s->z2 = lathe_flush(s->z2);
}

typedef struct histogram {
    double sum[HIST_BINS];      /* sum of block energies in the bin */
    uint64_t count[HIST_BINS];
    double above_max_sum;       /* blocks louder than HIST_MAX (kept exactly) */
    uint64_t above_max_count;
} histogram;

struct lathe_loudness_meter {
    int rate, channels, mono_fold, keep_series;
    double weight[8];
    lathe_biquad_coefs shelf, hp;
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
    uint64_t slices_done;

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

lathe_status lathe_loudness_create(const lathe_loudness_config *cfg, lathe_loudness_meter **out)
{
    lathe_loudness_meter *m;

    *out = NULL;
    if (!cfg || cfg->channels < 1 || cfg->channels > 8 || cfg->rate_hz <= 0)
        return LATHE_ERR_INVALID_ARGUMENT;
    m = calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NO_MEMORY;
    m->rate = cfg->rate_hz;
    m->channels = cfg->channels;
    m->mono_fold = cfg->mono_fold && cfg->channels == 2;
    m->keep_series = cfg->keep_series;
    for (int c = 0; c < cfg->channels; c++) {
        m->weight[c] = cfg->weights ? cfg->weights[c] : 1.0;
    }
    lathe_kweight_design(m->rate, &m->shelf, &m->hp);
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

/* A slice is complete: the momentary and short-term windows ending here update the
 * maxima. Slice j of a sub-block ends at frame floor((j + 1) * sub_len / SLICES), so
 * 4 * SLICES (RING * SLICES) slices always span exactly 4 (30) sub-blocks. */
static void end_slice(lathe_loudness_meter *m)
{
    const size_t n = RING * SLICES;
    m->sring[m->sring_head] = m->slice_acc;
    m->sring_head = (unsigned)((m->sring_head + 1) % n);
    m->slice_acc = 0.0;
    m->slices_done++;
    if (m->slices_done >= MOMENTARY_SUBS * SLICES) {
        /* the last 40 slices: [head - 40, head), in at most two runs of the ring */
        const size_t w = MOMENTARY_SUBS * SLICES, h = m->sring_head;
        double e = 0.0;
        for (size_t k = h >= w ? h - w : 0; k < h; k++)
            e += m->sring[k];
        for (size_t k = h >= w ? n : n - (w - h); k < n; k++)
            e += m->sring[k];
        e /= (double)(MOMENTARY_SUBS * m->sub_len);
        if (e > m->max_momentary)
            m->max_momentary = e;
    }
    if (m->slices_done >= n) {
        double e = 0.0;
        for (size_t k = 0; k < n; k++)
            e += m->sring[k];
        e /= (double)(RING * m->sub_len);
        if (e > m->max_short_term)
            m->max_short_term = e;
    }
    m->slice++;
    if (m->slice == SLICES)
        m->slice = 0;
    m->slice_end = (m->slice + 1) * m->sub_len / SLICES;
}

/* K-weighting runs as direct form I: the feedback path of each stage is then one
 * multiply and one subtract per sample (y = (feed-forward - a2 y[n-2]) - a1 y[n-1]).
 * A channel pair runs software-pipelined in one 4-lane vector: at step s, lanes 0, 1
 * hold the shelf of channels C and C + 1 at frame s, lanes 2, 3 their high-pass at
 * frame s - LAG, fed with the shelf's output of step s - LAG (kept in F1..F3). One
 * vector step does all four filters with the same operations, in the same order, as
 * four scalar ones, so the results are the same to the bit. The lag keeps the longest
 * loop-carried path one multiply and one subtract per step: with a lag of 1 the
 * high-pass input's chain of four additions would hold every step back.
 * Accumulates sum z^2 per channel and, when MONO, sum z0 z1. */
typedef double kw_v4d __attribute__((vector_size(32)));
typedef long long kw_v4i __attribute__((vector_size(32)));
#define KW_LAG 3

#define KW_V4(dst, a, b, c, d)                                                             \
    do {                                                                                   \
        const double v4_[4] = { (a), (b), (c), (d) };                                      \
        memcpy(&(dst), v4_, sizeof v4_);                                                   \
    } while (0)

#define KW_PICK(m, a, b) ((kw_v4d)(((kw_v4i)(a) & (m)) | ((kw_v4i)(b) & ~(m))))

/* The pipeline's vectors: the inputs' and outputs' histories of all four lanes, the
 * shelf's last three outputs (lanes 0, 1) that feed the high-pass, the sums. */
typedef struct kw_pipe {
    kw_v4d b0, b1, b2, a1, a2;
    kw_v4d in1, in2, o1, o2, f1, f2, f3, acc;
    double ex;
    int mono;
} kw_pipe;

/* One step with input (V0, V1) for the shelf; SHELF_ON / HP_ON say which lanes have a
 * frame (the others keep their histories: the first and last LAG steps). */
static inline __attribute__((always_inline)) void kw_step(kw_pipe *p, double v0, double v1,
                                                          int shelf_on, int hp_on)
{
    kw_v4d in;
    KW_V4(in, v0, v1, p->f3[0], p->f3[1]);
    const kw_v4d y = (p->b0 * in + p->b1 * p->in1 + p->b2 * p->in2 - p->a2 * p->o2)
                   - p->a1 * p->o1;
    p->f3 = p->f2;
    p->f2 = p->f1;
    p->f1 = y;
    if (shelf_on && hp_on) {
        p->in2 = p->in1;
        p->in1 = in;
        p->o2 = p->o1;
        p->o1 = y;
    } else {
        const long long sm = -(long long)shelf_on, hm = -(long long)hp_on;
        const kw_v4i on = { sm, sm, hm, hm };
        p->in2 = KW_PICK(on, p->in1, p->in2);
        p->in1 = KW_PICK(on, in, p->in1);
        p->o2 = KW_PICK(on, p->o1, p->o2);
        p->o1 = KW_PICK(on, y, p->o1);
    }
    if (hp_on) {
        p->acc += y * y;            /* lanes 2, 3: z(step - LAG)^2 */
        if (p->mono)
            p->ex += y[2] * y[3];
    }
}

LATHE_HOT static void kweight_pair(lathe_loudness_meter *m, int c, const float *restrict x0,
                                   const float *restrict x1, size_t n, int mono, double e[3])
{
    const lathe_biquad_coefs a = m->shelf, b = m->hp;
    kw_state *s0 = &m->kw[c], *s1 = &m->kw[c + 1];
    kw_pipe p;
    KW_V4(p.b0, a.b0, a.b0, b.b0, b.b0);
    KW_V4(p.b1, a.b1, a.b1, b.b1, b.b1);
    KW_V4(p.b2, a.b2, a.b2, b.b2, b.b2);
    KW_V4(p.a1, a.a1, a.a1, b.a1, b.a1);
    KW_V4(p.a2, a.a2, a.a2, b.a2, b.a2);
    /* the high-pass's input history is the shelf's output history */
    KW_V4(p.in1, s0->x1, s1->x1, s0->y1, s1->y1);
    KW_V4(p.in2, s0->x2, s1->x2, s0->y2, s1->y2);
    KW_V4(p.o1, s0->y1, s1->y1, s0->z1, s1->z1);
    KW_V4(p.o2, s0->y2, s1->y2, s0->z2, s1->z2);
    p.f1 = p.f2 = p.f3 = p.o1;
    p.acc = (kw_v4d){ 0.0, 0.0, 0.0, 0.0 };
    p.ex = 0.0;
    p.mono = mono;
    /* steps 0 .. n + LAG - 1: the shelf has frame st while st < n, the high-pass frame
     * st - LAG from st = LAG on */
    const size_t steps = n ? n + KW_LAG : 0, head = n < KW_LAG ? steps : KW_LAG;
    size_t st = 0;
    for (; st < head; st++)
        kw_step(&p, st < n ? x0[st] : 0.0, st < n ? x1[st] : 0.0, st < n, st >= KW_LAG);
    for (; st < n; st++)
        kw_step(&p, x0[st], x1[st], 1, 1);
    for (; st < steps; st++)
        kw_step(&p, 0.0, 0.0, 0, 1);
    s0->x1 = p.in1[0];
    s1->x1 = p.in1[1];
    s0->x2 = p.in2[0];
    s1->x2 = p.in2[1];
    s0->y1 = p.o1[0];
    s1->y1 = p.o1[1];
    s0->y2 = p.o2[0];
    s1->y2 = p.o2[1];
    s0->z1 = p.o1[2];
    s1->z1 = p.o1[3];
    s0->z2 = p.o2[2];
    s1->z2 = p.o2[3];
    kw_state_flush(s0);
    kw_state_flush(s1);
    e[0] = p.acc[2];
    e[1] = p.acc[3];
    e[2] = p.ex;
}

/* One channel: the pair kernel with a silent partner would waste half the work. */
static double kweight_one(lathe_loudness_meter *m, int c, const float *restrict x, size_t n)
{
    const lathe_biquad_coefs a = m->shelf, b = m->hp;
    kw_state s = m->kw[c];
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        double y = (a.b0 * v + a.b1 * s.x1 + a.b2 * s.x2 - a.a2 * s.y2) - a.a1 * s.y1;
        double z = (b.b0 * y + b.b1 * s.y1 + b.b2 * s.y2 - b.a2 * s.z2) - b.a1 * s.z1;
        s.x2 = s.x1;
        s.x1 = v;
        s.y2 = s.y1;
        s.y1 = y;
        s.z2 = s.z1;
        s.z1 = z;
        e += z * z;
    }
    kw_state_flush(&s);
    m->kw[c] = s;
    return e;
}

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
                kweight_pair(m, c, ch[c] + i, ch[c + 1] + i, run, c == 0 && m->mono_fold, s);
                e += m->weight[c] * s[0] + m->weight[c + 1] * s[1];
                if (c == 0 && m->mono_fold) /* (zL + zR)/2 on both channels */
                    m->acc_mono += 0.5 * (s[0] + s[1] + 2.0 * s[2]);
                c += 2;
            } else {
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
