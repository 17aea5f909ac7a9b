/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the limiter takes from the integrated loudness, predicted from its input alone.
 *
 * The master engine has to choose the loudness gain G in front of the limiter before it
 * can measure what the limiter then takes back. Measuring takes a whole pass, so this
 * model stands in for it: while the limiter's input is spooled, it keeps
 *   - each 1 ms chunk's peak, over the channels, of the samples and of the points
 *     half-way between them (an 8-tap Lanczos interpolator), in dB: close to the true
 *     peak on music, a little under the limiter's deliberately high reading of
 *     broadband noise;
 *   - the loudness meter's weighted K-energy of each 10 ms slice (BS.1770's own
 *     weighting and channel weights, from the meter that measures the input anyway).
 * For a gain G it runs the limiter's gain computer at the chunk rate (reduction over
 * the ceiling less its 0.05 dB margin, the hold, the fixed or auto release, three moving
 * averages over the look-ahead, the look-ahead's shift), scales each slice's energy by
 * the mean of the squared gain over its frames, and gates the 400 ms blocks as BS.1770-4
 * does (0.01 LU bins with exact sums, as the meter does). The prediction is the gated
 * loudness at G minus that at 0 dB without limiting.
 *
 * On the eleven pairs of bench/matchering.sh it came within 0.01 LU of the measured
 * loudness at every gain tried, with 0.2 to 3.2 LU taken by the limiter (docs/recipes.md,
 * "Passes"). The engine still measures every pass: the model only chooses the gains.
 *
 * Memory is constant in length: the chunk peaks (4 bytes per ms) and slices (12 bytes
 * per 10 ms) go to spools that keep their first megabytes in memory and the rest in a
 * temporary file. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/simd.h"
#include "engine/chain.h"
#include "engine/limit_model.h"

#define MARGIN_DB 0.05          /* the limiter's aim under its ceiling (fx/limiter.c) */
#define PAD 2                   /* fx/limiter.c */
#define SLOW_ATTACK 5.0
#define SLOW_RELEASE 10.0
#define FLOOR_DB (-400.0)       /* a chunk of digital silence */
#define STAGE 1024              /* values staged before a spool write */
#define MEM_BYTES ((size_t)4 << 20)
#define SUBS 4                  /* 100 ms sub-blocks per 400 ms gating block */
#define HIST_MIN (-70.0)        /* absolute gate, LUFS */
#define HIST_STEP 0.01
#define HIST_BINS 10000
#define MAX_HOLD 256            /* chunks in the hold window at most (it needs 66 at 1 ms) */
#define PUSH_BLOCK 1024         /* frames per run of the peak scan */
#define HIST 7                  /* samples the half-way interpolator looks back */

struct lathe_limit_model {
    lathe_limit_model_cfg cfg;
    int channels;
    size_t chunk;               /* frames per chunk, ~1 ms */
    size_t hold;                /* hold window, chunks */
    size_t box;                 /* each moving average, chunks */
    size_t shift;               /* look-ahead, chunks */
    double a_rel, a_att, a_slow;/* per-chunk release coefficients */
    double thresh_db;
    /* input side */
    float hist[8][HIST];        /* each channel's last samples (0 before the start) */
    float half[4];              /* the half-way interpolator's taps, outermost last */
    size_t pos;                 /* frames into the current chunk */
    float top;                  /* the current chunk's peak (linear) */
    float lin[PUSH_BLOCK];      /* scratch: a run's peaks over the channels, per frame */
    float ext[PUSH_BLOCK + HIST];   /* scratch: a channel's run after its last samples */
    float stage[STAGE];         /* chunk peaks, dB, staged */
    size_t staged;
    float sl[3][STAGE];         /* slices staged: energy, frames, ends a sub-block */
    size_t sl_staged;
    lathe_spool peaks, slices;
    size_t chunks;
    lathe_status err;
    int finished;
    double base;                /* gated loudness without limiting, LUFS */
    double last_g, last_change, last_top;   /* the last evaluation (last_g NAN: none) */
    /* evaluation */
    double *sum;
    uint64_t *count;
};

static size_t at_least_1(double x)
{
    long v = lround(x);
    return v < 1 ? 1 : (size_t)v;
}

lathe_status lathe_limit_model_create(const lathe_limit_model_cfg *cfg, int channels,
                                      lathe_limit_model **out)
{
    *out = NULL;
    if (!cfg || channels < 1 || channels > 8 || cfg->rate_hz < 1000 || !(cfg->release_ms > 0.0)
        || !(cfg->lookahead_ms > 0.0) || !(cfg->hold_ms >= 0.0) || !isfinite(cfg->ceiling_dbtp))
        return LATHE_ERR_INVALID_ARGUMENT;
    lathe_limit_model *m = calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NO_MEMORY;
    m->cfg = *cfg;
    m->channels = channels;
    const double rate = cfg->rate_hz;
    m->chunk = at_least_1(rate / 1000.0);
    const double c = (double)m->chunk;
    const double s = (double)llround(cfg->lookahead_ms / 1000.0 * rate);
    const double h = (double)llround(cfg->hold_ms / 1000.0 * rate);
    m->hold = (size_t)ceil((s + 2 * PAD + 1 + h) / c);
    if (m->hold > MAX_HOLD)
        m->hold = MAX_HOLD;
    m->box = at_least_1((s + 3.0) / 3.0 / c);
    m->shift = (size_t)llround((s + PAD) / c);
    const double r = cfg->release_ms / 1000.0;
    m->a_rel = exp(-c / (r * rate));
    m->a_att = exp(-c / (SLOW_ATTACK * r * rate));
    m->a_slow = exp(-c / (SLOW_RELEASE * r * rate));
    m->thresh_db = cfg->ceiling_dbtp - MARGIN_DB;
    /* 8-tap half-sample interpolator: sinc windowed by a 4-lobe sinc (Lanczos), taps at
     * +-0.5, +-1.5, +-2.5, +-3.5 samples, normalised to unity gain at DC */
    double k[4], ksum = 0.0;
    for (int t = 0; t < 4; t++) {
        const double x = t + 0.5;
        k[t] = sin(M_PI * x) / (M_PI * x) * sin(M_PI * x / 4.0) / (M_PI * x / 4.0);
        ksum += 2.0 * k[t];
    }
    for (int t = 0; t < 4; t++)
        m->half[t] = (float)(k[t] / ksum);
    m->last_g = NAN;
    m->sum = calloc(HIST_BINS + 1, sizeof(double));
    m->count = calloc(HIST_BINS + 1, sizeof(uint64_t));
    lathe_status st = m->sum && m->count ? LATHE_OK : LATHE_ERR_NO_MEMORY;
    if (st == LATHE_OK)
        st = lathe_spool_create(&m->peaks, 1, MEM_BYTES);
    if (st == LATHE_OK)
        st = lathe_spool_create(&m->slices, 3, MEM_BYTES);
    if (st != LATHE_OK) {
        lathe_limit_model_destroy(m);
        return st;
    }
    *out = m;
    return LATHE_OK;
}

void lathe_limit_model_destroy(lathe_limit_model *m)
{
    if (!m)
        return;
    lathe_spool_destroy(&m->peaks);
    lathe_spool_destroy(&m->slices);
    free(m->sum);
    free(m->count);
    free(m);
}

static void flush_peaks(lathe_limit_model *m)
{
    if (m->staged && m->err == LATHE_OK) {
        const float *p = m->stage;
        m->err = lathe_spool_write(&m->peaks, &p, m->staged);
    }
    m->staged = 0;
}

static void emit_chunk(lathe_limit_model *m)
{
    const float db = m->top > 0.0f ? (float)(20.0 * log10((double)m->top)) : (float)FLOOR_DB;
    m->stage[m->staged++] = db;
    m->chunks++;
    m->top = 0.0f;
    m->pos = 0;
    if (m->staged == STAGE)
        flush_peaks(m);
}

/* LIN[i] = max(LIN[i] (FIRST: 0), |x[i]|, |the point half-way between x[i-4] and x[i-3]|),
 * E holding x from index -HIST on (the channel's last HIST samples, then X). */
LATHE_HOT static void frame_peaks(const float *restrict e, const float *restrict k,
                                  float *restrict lin, size_t n, int first)
{
    for (size_t i = 0; i < n; i++) {
        const float x = e[i + HIST];
        const float mid = k[0] * (e[i + 3] + e[i + 4]) + k[1] * (e[i + 2] + e[i + 5])
                        + k[2] * (e[i + 1] + e[i + 6]) + k[3] * (e[i] + e[i + 7]);
        const float ax = x < 0.0f ? -x : x, am = mid < 0.0f ? -mid : mid;
        const float v = ax > am ? ax : am, w = first ? 0.0f : lin[i];
        lin[i] = v > w ? v : w;
    }
}

/* The largest of X[0..N), N > 0 (non-negative values), eight lanes at a time. */
LATHE_HOT static float max_of(const float *restrict x, size_t n)
{
    float l[8] = { 0 };
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            l[j] = x[i + j] > l[j] ? x[i + j] : l[j];
    for (; i < n; i++)
        l[0] = x[i] > l[0] ? x[i] : l[0];
    float m = l[0];
    for (int j = 1; j < 8; j++)
        m = l[j] > m ? l[j] : m;
    return m;
}

lathe_status lathe_limit_model_push(lathe_limit_model *m, const float *const *ch, size_t frames)
{
    if (m->finished)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (size_t off = 0; off < frames;) {
        const size_t n = frames - off < PUSH_BLOCK ? frames - off : PUSH_BLOCK;
        for (int c = 0; c < m->channels; c++) {
            /* the channel's last HIST samples, then this run of it */
            float *e = m->ext;
            memcpy(e, m->hist[c], sizeof(float) * HIST);
            memcpy(e + HIST, ch[c] + off, sizeof(float) * n);
            frame_peaks(e, m->half, m->lin, n, c == 0);
            memcpy(m->hist[c], e + n, sizeof(float) * HIST);
        }
        for (size_t i = 0; i < n;) {    /* the run cut where the chunks end */
            size_t k = m->chunk - m->pos;
            k = k < n - i ? k : n - i;
            const float top = max_of(m->lin + i, k);
            m->top = top > m->top ? top : m->top;
            m->pos += k;
            i += k;
            if (m->pos == m->chunk)
                emit_chunk(m);
        }
        off += n;
    }
    return m->err;
}

static void flush_slices(lathe_limit_model *m)
{
    if (m->sl_staged && m->err == LATHE_OK) {
        const float *p[3] = { m->sl[0], m->sl[1], m->sl[2] };
        m->err = lathe_spool_write(&m->slices, p, m->sl_staged);
    }
    m->sl_staged = 0;
}

void lathe_limit_model_slice(void *model, double energy, size_t frames, int ends_sub_block)
{
    lathe_limit_model *m = model;
    if (m->finished)
        return;
    m->sl[0][m->sl_staged] = (float)energy;
    m->sl[1][m->sl_staged] = (float)frames;
    m->sl[2][m->sl_staged] = ends_sub_block ? 1.0f : 0.0f;
    if (++m->sl_staged == STAGE)
        flush_slices(m);
}

/* Gated loudness (BS.1770-4: absolute gate -70 LUFS, relative -10 LU) of the blocks
 * in the histogram. */
static double gated(const lathe_limit_model *m)
{
    double s = 0.0;
    uint64_t n = 0;
    for (int b = 0; b <= HIST_BINS; b++) {
        s += m->sum[b];
        n += m->count[b];
    }
    if (!n)
        return -HUGE_VAL;
    const double rel = -0.691 + 10.0 * log10(s / (double)n) - 10.0;
    int from = (int)floor((rel - HIST_MIN) / HIST_STEP);
    if (from < 0)
        from = 0;
    s = 0.0;
    n = 0;
    for (int b = from; b <= HIST_BINS; b++) {
        if (b == from && m->count[b]
            && -0.691 + 10.0 * log10(m->sum[b] / (double)m->count[b]) <= rel)
            continue;
        s += m->sum[b];
        n += m->count[b];
    }
    return n ? -0.691 + 10.0 * log10(s / (double)n) : -HUGE_VAL;
}

static void hist_add(lathe_limit_model *m, double energy)
{
    const double l = -0.691 + 10.0 * log10(energy);
    if (!(l > HIST_MIN))
        return;
    int b = (int)floor((l - HIST_MIN) / HIST_STEP);
    b = b > HIST_BINS ? HIST_BINS : b;
    m->sum[b] += energy;
    m->count[b]++;
}

/* The limiter's gain computer at the chunk rate, one output chunk at a time. */
typedef struct gain_gen {
    lathe_limit_model *m;
    double g_db;
    float pk[STAGE];
    size_t np, ip, i;           /* peaks read, used; steps run */
    double hold[MAX_HOLD];
    double box[3][64], boxsum[3];
    size_t hpos, bpos, nb;
    double inv_box, e, es, top;
    double hmax;                /* largest R in the hold window */
    size_t hage;                /* its age, steps */
    size_t zeros;               /* steps since the averages last got a non-zero value */
    int quiet;                  /* hold, release and averages all hold zeros */
    double g2;                  /* the current output chunk's mean squared gain */
    size_t left;                /* its frames not yet handed out */
} gain_gen;

/* One step of the gain computer: the smoothed reduction, dB. */
static lathe_status gen_step(gain_gen *q, double *z)
{
    lathe_limit_model *m = q->m;
    double r = 0.0;
    if (q->i < m->chunks) {
        if (q->ip == q->np) {
            float *pp = q->pk;
            lathe_status st = lathe_spool_read(&m->peaks, &pp, STAGE, &q->np);
            if (st != LATHE_OK)
                return st;
            q->ip = 0;
        }
        if (q->ip < q->np)
            r = q->g_db + q->pk[q->ip++] - m->thresh_db;
        r = r > 0.0 ? r : 0.0;
    }
    q->i++;
    const size_t hpos = q->hpos;
    q->hpos = hpos + 1 == m->hold ? 0 : hpos + 1;
    const size_t bpos = q->bpos;
    q->bpos = bpos + 1 == q->nb ? 0 : bpos + 1;
    if (r == 0.0 && q->quiet) {     /* nothing held, released or averaged: 0 stays 0 */
        *z = 0.0;
        return LATHE_OK;
    }
    /* hold: the largest R over the window, kept with its age; rescanned when it leaves */
    q->hold[hpos] = r;
    if (r >= q->hmax) {
        q->hmax = r;
        q->hage = 0;
    } else if (++q->hage >= m->hold) {
        q->hmax = 0.0;
        q->hage = 0;
        for (size_t k = 0; k < m->hold; k++) {
            const size_t age = (hpos + m->hold - k) % m->hold;
            if (q->hold[k] > q->hmax || (q->hold[k] == q->hmax && age < q->hage)) {
                q->hmax = q->hold[k];
                q->hage = age;
            }
        }
    }
    const double h = q->hmax;
    double e = q->e;
    e = h >= e ? h : h + (e - h) * m->a_rel;
    e = e < 1e-9 ? 0.0 : e;
    double u = e;
    if (m->cfg.auto_release) {
        const double target = h > 0.0 ? e : 0.0;
        double es = target + (q->es - target) * (target > q->es ? m->a_att : m->a_slow);
        es = es < 1e-9 ? 0.0 : es;
        q->es = es;
        u = es > e ? es : e;
    }
    q->e = e;
    double v = u;
    for (int b = 0; b < 3; b++) {
        q->boxsum[b] += v - q->box[b][bpos];
        q->box[b][bpos] = v;
        v = q->boxsum[b] * q->inv_box;
    }
    /* averages of zeros only: exactly zero again */
    q->zeros = u == 0.0 ? q->zeros + 1 : 0;
    if (q->zeros >= 3 * q->nb && h == 0.0) {
        if (!q->quiet)
            memset(q->box, 0, sizeof q->box);
        q->boxsum[0] = q->boxsum[1] = q->boxsum[2] = 0.0;
        q->quiet = 1;
        v = 0.0;
    } else {
        q->quiet = 0;
    }
    *z = v > 1e-9 ? v : 0.0;
    q->top = *z > q->top ? *z : q->top;
    return LATHE_OK;
}

static lathe_status gen_init(gain_gen *q, lathe_limit_model *m, double g_db)
{
    memset(q, 0, sizeof *q);
    q->m = m;
    q->g_db = g_db;
    q->nb = m->box < 64 ? m->box : 64;
    q->inv_box = 1.0 / (double)q->nb;
    q->quiet = 1;
    lathe_status st = lathe_spool_rewind(&m->peaks);
    double z;
    for (size_t k = 0; st == LATHE_OK && k < m->shift; k++)
        st = gen_step(q, &z);
    return st;
}

/* The next output chunk (LIMIT 0: the input as it is). */
static lathe_status gen_next(gain_gen *q, int limit)
{
    double z = 0.0;
    if (limit) {
        lathe_status st = gen_step(q, &z);
        if (st != LATHE_OK)
            return st;
    }
    q->g2 = z > 0.0 ? exp(z * (-M_LN10 / 10.0)) : 1.0;
    q->left = q->m->chunk;
    return LATHE_OK;
}

/* One evaluation: the gated loudness of the input at gain G_DB through the modelled
 * limiter (LIMIT 0: without it). */
static lathe_status evaluate(lathe_limit_model *m, double g_db, int limit, double *lufs,
                             double *gr_max)
{
    float se[STAGE], sf[STAGE], sb[STAGE];
    float *sp[3] = { se, sf, sb };
    double sub[SUBS] = { 0 };
    size_t subf[SUBS] = { 0 }, nsub = 0, sub_frames = 0;
    double sub_acc = 0.0;
    const double gain2 = pow(10.0, g_db / 10.0);
    gain_gen *q = malloc(sizeof *q);
    lathe_status st = q ? gen_init(q, m, g_db) : LATHE_ERR_NO_MEMORY;
    if (st == LATHE_OK)
        st = lathe_spool_rewind(&m->slices);
    memset(m->sum, 0, sizeof(double) * (HIST_BINS + 1));
    memset(m->count, 0, sizeof(uint64_t) * (HIST_BINS + 1));
    for (size_t ns = 0, is = 0; st == LATHE_OK;) {
        if (is == ns) {
            if ((st = lathe_spool_read(&m->slices, sp, STAGE, &ns)) != LATHE_OK || !ns)
                break;
            is = 0;
        }
        const size_t frames = (size_t)sf[is];
        double acc = 0.0;       /* g^2 summed over the slice's frames */
        for (size_t left = frames; left && st == LATHE_OK;) {
            if (!q->left && (st = gen_next(q, limit)) != LATHE_OK)
                break;
            const size_t take = left < q->left ? left : q->left;
            acc += q->g2 * (double)take;
            left -= take;
            q->left -= take;
        }
        if (frames)
            sub_acc += (double)se[is] * acc / (double)frames;
        sub_frames += frames;
        if (sb[is] != 0.0f) {
            sub[nsub % SUBS] = sub_acc;
            subf[nsub % SUBS] = sub_frames;
            sub_acc = 0.0;
            sub_frames = 0;
            if (++nsub >= SUBS) {
                double s = 0.0;
                size_t f = 0;
                for (int k = 0; k < SUBS; k++) {
                    s += sub[k];
                    f += subf[k];
                }
                if (f)
                    hist_add(m, s * gain2 / (double)f);
            }
        }
        is++;
    }
    if (st == LATHE_OK) {
        *lufs = gated(m);
        if (gr_max)
            *gr_max = q->top;
    }
    free(q);
    return st;
}

lathe_status lathe_limit_model_finish(lathe_limit_model *m)
{
    if (m->finished)
        return m->err;
    if (m->pos)
        emit_chunk(m);
    flush_peaks(m);
    flush_slices(m);
    m->finished = 1;
    if (m->err != LATHE_OK)
        return m->err;
    lathe_status st = evaluate(m, 0.0, 0, &m->base, NULL);
    if (st != LATHE_OK)
        return m->err = st;
    if (!isfinite(m->base))
        return m->err = LATHE_ERR_EMPTY;
    return LATHE_OK;
}

lathe_status lathe_limit_model_change(lathe_limit_model *m, double g_db, double *change,
                                      double *gr_max_db)
{
    if (!m->finished || m->err != LATHE_OK)
        return m->err != LATHE_OK ? m->err : LATHE_ERR_INVALID_ARGUMENT;
    if (!(m->last_g == g_db)) { /* the engine asks again for the gain just solved for */
        double l, top;
        lathe_status st = evaluate(m, g_db, 1, &l, &top);
        if (st != LATHE_OK)
            return st;
        if (!isfinite(l))
            return LATHE_ERR_EMPTY;
        m->last_g = g_db;
        m->last_change = l - m->base;
        m->last_top = top;
    }
    *change = m->last_change;
    if (gr_max_db)
        *gr_max_db = m->last_top;
    return LATHE_OK;
}

/* F = IN + change(X) + OFF - TARGET. */
static lathe_status excess(lathe_limit_model *m, double in, double off, double target, double x,
                           double *f)
{
    double c = 0.0;
    lathe_status st = lathe_limit_model_change(m, x, &c, NULL);
    *f = in + c + off - target;
    return st;
}

lathe_status lathe_limit_model_solve(lathe_limit_model *m, double in_lufs, double target_lufs,
                                     double offset, double g_lo, double g_hi, double *g_db)
{
    /* f(g) = in + change(g) + offset - target rises with g (the limiter never takes back
     * all it is given): secant steps until the root is bracketed, then regula falsi
     * (Illinois); about four evaluations. */
    const double tol = 1e-3;
#define DONE(x, f) (fabs(f) <= tol || ((f) < 0 && (x) >= g_hi) || ((f) > 0 && (x) <= g_lo))
    double x0 = fmin(fmax(target_lufs - in_lufs - offset, g_lo), g_hi), f0, x1, f1, x2, f2;
    lathe_status st = excess(m, in_lufs, offset, target_lufs, x0, &f0);
    if (st != LATHE_OK || DONE(x0, f0)) {
        *g_db = x0;
        return st;
    }
    /* the limiter takes some loudness at x0: 1.5 times that more gain often brackets */
    x1 = fmin(fmax(x0 - 1.5 * f0, g_lo), g_hi);
    if (x1 == x0 || (st = excess(m, in_lufs, offset, target_lufs, x1, &f1)) != LATHE_OK
        || DONE(x1, f1)) {
        *g_db = x1;
        return st;
    }
    for (int k = 0; k < 20 && (f0 < 0) == (f1 < 0); k++) {
        const double d = x1 - x0, slope = (f1 - f0) / d;
        x2 = slope > 0.0 ? x1 - f1 / slope : x1 + 2.0 * d;
        if (fabs(x2 - x1) > 4.0 * fabs(d))
            x2 = x1 + (x2 > x1 ? 4.0 : -4.0) * fabs(d);
        x2 = fmin(fmax(x2, g_lo), g_hi);
        x0 = x1;
        f0 = f1;
        x1 = x2;
        if (x1 == x0 || (st = excess(m, in_lufs, offset, target_lufs, x1, &f1)) != LATHE_OK
            || DONE(x1, f1)) {
            *g_db = x1;
            return st;
        }
    }
    if ((f0 < 0) == (f1 < 0)) {
        *g_db = fabs(f1) < fabs(f0) ? x1 : x0;
        return LATHE_OK;
    }
    int side = 0;
    x2 = x1;
    for (int j = 0; j < 40 && fabs(x1 - x0) >= 1e-6; j++) {
        x2 = (x0 * f1 - x1 * f0) / (f1 - f0);
        if ((st = excess(m, in_lufs, offset, target_lufs, x2, &f2)) != LATHE_OK)
            return st;
        if (fabs(f2) <= tol)
            break;
        if ((f2 < 0) == (f1 < 0)) {
            x1 = x2;
            f1 = f2;
            if (side == 1)
                f0 *= 0.5;
            side = 1;
        } else {
            x0 = x2;
            f0 = f2;
            if (side == -1)
                f1 *= 0.5;
            side = -1;
        }
    }
#undef DONE
    *g_db = x2;
    return LATHE_OK;
}
