/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The master engine: input -> pre-limiter chain (input rate) -> resample -> spool ->
 * [loudness gain -> limiter -> rest of chain] (output rate, re-run cheaply from the
 * spool until the loudness target is met) -> dither/quantise -> temp file -> rename.
 * The figures "after" are measured on the samples as the file stores them (the writer's
 * monitor: after dither, rounding and clipping, bit for bit what reading the file back
 * gives), in the pass that writes it.
 *
 * The limiter runs at the output rate, after resampling, so the true-peak ceiling holds in
 * the delivered file; the loudness gain sits right in front of it, so EQ and compression
 * keep the character the recipe gave them. Convergence uses the secant method on the
 * measured integrated loudness; a cap on the limiter's peak gain reduction
 * (target.max_limiting_db) stops it from silently crushing dynamic material: lathe then
 * reports the shortfall instead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dsp/reduce.h"
#include "engine/analyze.h"
#include "engine/chain.h"
#include "engine/gr_series.h"
#include "engine/limit_model.h"
#include "fx/limiter.h"
#include "io/resample.h"
#include "lathe/master.h"
#include "meter/loudness.h"

#define BLOCK LATHE_ENGINE_BLOCK
#define MAX_PASSES 8
#define CONVERGED_LU 0.02     /* stop iterating within this */
#define TARGET_TOL_LU 0.1     /* the promise: within this on the written file */
/* The spools keep their first this many bytes in memory (the rest in a temporary file):
 * a song's passes then re-read RAM, and RSS stays bounded whatever the length. */
#define SPOOL_MEM_BYTES ((size_t)48 << 20)
#define PEAKS_MEM_BYTES ((size_t)16 << 20)
/* A recorded detection serves gains up to its headroom higher: the more the samples go
 * over the ceiling at the recording's gain, the further the next gains climb. On the
 * eleven pairs of bench/matchering.sh the final gain stayed within (over - 3) dB, bounded
 * to 0.5 .. 2 dB, of the first (by a factor of 1.4 to 2.7 where it climbed more than
 * 0.1 dB), but for one pair that climbed 3.2 dB (it records again: correct, one pass
 * dearer). A lower floor costs detection: 2 dB instead of 0.5 dB, 30 % more of it on the
 * 30 s match excerpt. */
#define REPLAY_HEADROOM_MIN_DB 0.5
#define REPLAY_HEADROOM_MAX_DB 2.0

typedef struct progress_ctx {
    lathe_progress_fn fn;
    void *user;
    double base, span;        /* this pass's share of the whole job */
} progress_ctx;

static int report(progress_ctx *p, double fraction)
{
    return p->fn ? p->fn(p->user, p->base + p->span * (fraction < 1.0 ? fraction : 1.0)) : 0;
}

/* A minimal analyzer for the engine's estimate of the loudness into the limiter: the
 * loudness alone (the written file is measured in full). */
static lathe_status quick_meter(int rate, int channels, const lathe_channel_role *roles,
                                lathe_analyzer **out)
{
    lathe_analysis_config cfg;
    lathe_analysis_config_defaults(&cfg);
    cfg.spectrum = 0;
    cfg.series = 0;
    cfg.true_peak = 0;
    lathe_status st = lathe_analyzer_create(&cfg, rate, channels, roles, out);
    if (st == LATHE_OK)
        lathe_analyzer_loudness_only(*out);
    return st;
}

typedef struct buffers {
    int channels;
    float *ch[LATHE_MAX_CHANNELS];
} buffers;

static lathe_status buffers_alloc(buffers *b, int channels, size_t frames)
{
    memset(b, 0, sizeof *b);
    b->channels = channels;
    for (int c = 0; c < channels; c++)
        if (!(b->ch[c] = calloc(frames, sizeof(float))))
            return LATHE_ERR_NO_MEMORY;
    return LATHE_OK;
}

static void buffers_free(buffers *b)
{
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(b->ch[c]);
    memset(b, 0, sizeof *b);
}

static float *const *offset_ptrs(const buffers *b, size_t off, float **tmp)
{
    for (int c = 0; c < b->channels; c++)
        tmp[c] = b->ch[c] + off;
    return tmp;
}

/* Where resampled (or, at equal rates, pre-chain) audio goes: the meter and the spool. */
typedef struct spool_sink {
    lathe_spool *spool;
    lathe_analyzer *meter;
    double peak;                /* largest |sample| spooled */
    lathe_limit_model *model;   /* or NULL */
} spool_sink;

static lathe_status to_spool(void *user, const float *const *ch, size_t frames)
{
    spool_sink *s = user;
    lathe_analyzer_process(s->meter, ch, frames);
    if (s->model && lathe_limit_model_push(s->model, ch, frames) != LATHE_OK) {
        s->model = NULL;        /* no model: the passes find the gain */
        lathe_loudness_set_slice_fn(lathe_analyzer_loudness_meter(s->meter), NULL, NULL);
    }
    for (int c = 0; c < s->spool->channels; c++) {
        double m = lathe_max_abs(ch[c], frames);
        s->peak = m > s->peak ? m : s->peak;
    }
    return lathe_spool_write(s->spool, ch, frames);
}

/* Pass 1 runs inside the input's analysis (lathe_analyze_reader_tap): every block,
 * once measured, goes through the pre chain, the aligner and the resampler (when the
 * rates differ) into the spool, which is metered as it is written. */
typedef struct pre_ctx {
    lathe_chain *pre;
    lathe_aligner al;
    lathe_resampler *rs;
    spool_sink sink;
} pre_ctx;

static lathe_status pre_push(pre_ctx *p, float *const *ch, size_t n, size_t off)
{
    float *blk[LATHE_MAX_CHANNELS];
    for (int c = 0; c < p->sink.spool->channels; c++)
        blk[c] = ch[c] + off;
    if (!n)
        return LATHE_OK;
    return p->rs ? lathe_resampler_push(p->rs, (const float *const *)blk, n, to_spool, &p->sink)
                 : to_spool(&p->sink, (const float *const *)blk, n);
}

static lathe_status pre_tap(void *user, float *const *ch, size_t frames)
{
    pre_ctx *p = user;
    size_t off;
    lathe_chain_process(p->pre, ch, frames);
    size_t n = lathe_aligner_take(&p->al, frames, &off);
    return pre_push(p, ch, n, off);
}

static int pre_progress(void *user, double fraction)
{
    return report(user, fraction);
}

/* After the input's last block: flush the chain's latency and the resampler. */
static lathe_status pre_flush(pre_ctx *p, int channels)
{
    buffers z;
    lathe_status st = buffers_alloc(&z, channels, BLOCK);
    for (size_t got; st == LATHE_OK && (got = lathe_aligner_flush_frames(&p->al, BLOCK));) {
        size_t off;
        for (int c = 0; c < channels; c++)
            memset(z.ch[c], 0, sizeof(float) * got);
        lathe_chain_process(p->pre, z.ch, got);
        st = pre_push(p, z.ch, lathe_aligner_take_flush(&p->al, got, &off), off);
    }
    if (st == LATHE_OK && p->rs)
        st = lathe_resampler_finish(p->rs, to_spool, &p->sink);
    buffers_free(&z);
    return st;
}

/* The limiter's detection across the loudness passes (src/fx/limiter.h): the pass that
 * records stores each frame's linked peak estimate in a one-channel spool; a later pass
 * at a gain at most its headroom higher replays it, scaled, instead of detecting. */
typedef struct replay_ctx {
    lathe_fx *lim;              /* the limiter right after the gain stage */
    lathe_spool peaks;
    float *buf;                 /* BLOCK frames */
    lathe_limiter_detection mode;
    double headroom, scale;     /* linear */
} replay_ctx;

/* Before the post chain processes N frames: the limiter's peaks for them (replay). */
static lathe_status replay_before(replay_ctx *rp, size_t n)
{
    if (!rp || rp->mode != LATHE_LIMITER_REPLAY)
        return LATHE_OK;
    size_t got = 0;
    lathe_status st = lathe_spool_read(&rp->peaks, &rp->buf, n, &got);
    return st != LATHE_OK ? st : got == n ? LATHE_OK : LATHE_ERR_READ;
}

/* After: the limiter's peaks for them, stored (record). */
static lathe_status replay_after(replay_ctx *rp, size_t n)
{
    if (!rp || rp->mode != LATHE_LIMITER_RECORD)
        return LATHE_OK;
    return lathe_spool_write(&rp->peaks, (const float *const *)&rp->buf, n);
}

/* A post pass: spool -> gain -> post chain -> meter (and the writer when W); RP (or
 * NULL) drives the limiter's detection. */
static lathe_status post_pass(lathe_spool *spool, lathe_chain *post, lathe_analyzer *meter,
                              lathe_writer *w, replay_ctx *rp, progress_ctx *pg, char *err,
                              size_t errlen)
{
    buffers b;
    lathe_aligner al;
    lathe_status st = buffers_alloc(&b, spool->channels, BLOCK);
    if (st != LATHE_OK)
        return st;
    if ((st = lathe_spool_rewind(spool)) != LATHE_OK)
        goto done;
    lathe_chain_reset(post);
    lathe_aligner_init(&al, post->latency);
    if (rp) {
        if (rp->mode != LATHE_LIMITER_LIVE && !lathe_limiter_can_replay(rp->lim))
            rp->mode = LATHE_LIMITER_LIVE;
        if (rp->mode == LATHE_LIMITER_RECORD)
            st = lathe_spool_restart(&rp->peaks);
        else if (rp->mode == LATHE_LIMITER_REPLAY)
            st = lathe_spool_rewind(&rp->peaks);
        if (st != LATHE_OK)
            goto done;
        lathe_limiter_set_detection(rp->lim, rp->mode, rp->buf, rp->headroom, rp->scale);
    }
    for (int flushing = 0;;) {
        size_t got = 0, off = 0, n;
        float *tmp[LATHE_MAX_CHANNELS];
        if (!flushing) {
            if ((st = lathe_spool_read(spool, b.ch, BLOCK, &got)) != LATHE_OK)
                goto done;
            if (got == 0) {
                flushing = 1;
                continue;
            }
            if ((st = replay_before(rp, got)) != LATHE_OK)
                goto done;
            lathe_chain_process(post, b.ch, got);
            if ((st = replay_after(rp, got)) != LATHE_OK)
                goto done;
            n = lathe_aligner_take(&al, got, &off);
        } else {
            got = lathe_aligner_flush_frames(&al, BLOCK);
            if (got == 0)
                break;
            for (int c = 0; c < b.channels; c++)
                memset(b.ch[c], 0, sizeof(float) * got);
            if ((st = replay_before(rp, got)) != LATHE_OK)
                goto done;
            lathe_chain_process(post, b.ch, got);
            if ((st = replay_after(rp, got)) != LATHE_OK)
                goto done;
            n = lathe_aligner_take_flush(&al, got, &off);
        }
        if (!n)
            continue;
        const float *const *blk = (const float *const *)offset_ptrs(&b, off, tmp);
        if (meter)
            lathe_analyzer_process(meter, blk, n);
        if (w && (st = lathe_writer_write(w, blk, n)) != LATHE_OK) {
            if (st == LATHE_ERR_NON_FINITE)
                snprintf(err, errlen, "the chain produced NaN/Inf samples (a bug: please report it)");
            else
                snprintf(err, errlen, "%s", lathe_writer_error(w)[0] ? lathe_writer_error(w)
                                                                      : "write error");
            goto done;
        }
        if (!flushing && spool->frames > 0
            && report(pg, (double)al.in_frames / (double)spool->frames)) {
            st = LATHE_ERR_INVALID_ARGUMENT;
            snprintf(err, errlen, "cancelled");
            goto done;
        }
    }
done:
    if (rp)
        lathe_limiter_set_detection(rp->lim, LATHE_LIMITER_LIVE, NULL, 1.0, 1.0);
    if (rp && st == LATHE_ERR_READ)
        snprintf(err, errlen, "cannot read the temporary spool in $TMPDIR back");
    buffers_free(&b);
    return st;
}

/* The output format for target T: container from the target or the file name, word
 * length and dither from the target, the input's channel roles written as the map. */
static lathe_status output_format(const lathe_target *t, int rate, int channels, const char *path,
                                  unsigned seed, const lathe_audio_info *in,
                                  lathe_output_format *fmt, char *err, size_t errlen)
{
    lathe_output_format_defaults(fmt);
    fmt->rate_hz = rate;
    fmt->channels = channels;
    fmt->seed = seed;
    fmt->dither = t->dither;
    if (t->container[0]) {
        if (lathe_container_parse(t->container, &fmt->container) != LATHE_OK) {
            snprintf(err, errlen, "unknown output format '%s'", t->container);
            return LATHE_ERR_INVALID_ARGUMENT;
        }
    } else if (lathe_container_from_path(path, &fmt->container) != LATHE_OK) {
        snprintf(err, errlen, "cannot tell the output format from the file name: use .wav, .flac, "
                 ".aiff, .w64, .rf64 or .caf, or --format");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (lathe_output_format_set_bits(fmt, t->bits ? t->bits : 24) != LATHE_OK) {
        snprintf(err, errlen, "unsupported word length %d bits (16, 20, 24 or 32 = float)", t->bits);
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    fmt->use_roles = in->roles_from_file || channels > 2;
    memcpy(fmt->roles, in->roles, sizeof fmt->roles);
    return lathe_output_format_check(fmt, err, errlen);
}

/* The written samples, measured in blocks cut as lathe_analyze_file cuts the file, so
 * the figures are those of reading the file back, bit for bit. */
typedef struct after_meter {
    lathe_analyzer *an;
    buffers b;                /* LATHE_ANALYSIS_BLOCK frames */
    size_t fill;
} after_meter;

static void monitor(void *user, const float *const *ch, size_t frames)
{
    after_meter *m = user;
    for (size_t off = 0; off < frames;) {
        if (m->fill == 0 && frames - off >= LATHE_ANALYSIS_BLOCK) {
            /* a whole block in place: measured where it lies, without a copy */
            const float *blk[LATHE_MAX_CHANNELS];
            for (int c = 0; c < m->b.channels; c++)
                blk[c] = ch[c] + off;
            lathe_analyzer_process(m->an, blk, LATHE_ANALYSIS_BLOCK);
            off += LATHE_ANALYSIS_BLOCK;
            continue;
        }
        size_t n = LATHE_ANALYSIS_BLOCK - m->fill;
        n = n < frames - off ? n : frames - off;
        for (int c = 0; c < m->b.channels; c++)
            memcpy(m->b.ch[c] + m->fill, ch[c] + off, sizeof(float) * n);
        m->fill += n;
        off += n;
        if (m->fill == LATHE_ANALYSIS_BLOCK) {
            lathe_analyzer_process(m->an, (const float *const *)m->b.ch, m->fill);
            m->fill = 0;
        }
    }
}

/* The largest magnitude FMT stores (as lathe_audio_info.full_scale of the file). */
static double stored_full_scale(const lathe_output_format *fmt)
{
    switch (fmt->sample_type) {
    case LATHE_SAMPLE_PCM16: return 1.0 - ldexp(1.0, -15);
    case LATHE_SAMPLE_PCM24: return 1.0 - ldexp(1.0, -23);
    case LATHE_SAMPLE_PCM32: return 1.0 - ldexp(1.0, -31);
    default: return 1.0;
    }
}

/* A's info from the written file at PATH, as lathe_analyze_file gives it (the
 * analyzer's channel roles kept). */
static lathe_status after_info(const char *path, lathe_analysis *a, char *err, size_t errlen)
{
    lathe_reader *rd = NULL;
    lathe_status st = lathe_reader_open(path, &rd, err, errlen);
    if (st != LATHE_OK)
        return st;
    lathe_channel_role roles[LATHE_MAX_CHANNELS];
    memcpy(roles, a->info.roles, sizeof roles);
    a->info = *lathe_reader_info(rd);
    memcpy(a->info.roles, roles, sizeof roles);
    if (a->info.frames != a->frames) {
        snprintf(err, errlen, "the written file holds %lld frames, %lld were written",
                 (long long)a->info.frames, (long long)a->frames);
        st = LATHE_ERR_WRITE;
    }
    lathe_reader_close(rd);
    return st;
}

void lathe_master_result_free(lathe_master_result *r)
{
    if (!r)
        return;
    lathe_analysis_free(&r->before);
    lathe_analysis_free(&r->after);
    for (int i = 0; i < r->gr_count && i < LATHE_MASTER_MAX_GR; i++)
        free(r->gr[i].gr_db);
    r->gr_count = 0;
}

lathe_status lathe_master_run(const lathe_master_options *o, lathe_master_result *res, char *err,
                              size_t errlen)
{
    lathe_recipe_step steps[LATHE_RECIPE_MAX_STEPS + 2];
    double gain_params[8];
    double *lim_params = NULL;     /* our own copy: the caller's recipe stays untouched */
    lathe_analysis pre_a;
    int nsteps = 0, lim = -1, lim_in_post = -1, in_rate, nch, out_rate;
    lathe_reader *rd = NULL;
    lathe_audio_info info;
    double g = 0.0, l_last = NAN, spool_peak = 0.0;
    long long out_frames = 0;
    lathe_chain pre = { 0 }, post = { 0 };
    lathe_spool spool = { 0 };
    lathe_resampler *rs = NULL;
    lathe_writer *w = NULL;
    lathe_analyzer *pre_meter = NULL;
    after_meter am = { 0 };
    replay_ctx rpc = { 0 };
    lathe_limit_model *model = NULL;
    lathe_status st;
    progress_ctx pg = { o ? o->progress : NULL, o ? o->user : NULL, 0.0, 0.0 };

    if (!o || !res || !o->input || !o->output || !o->recipe)
        return LATHE_ERR_INVALID_ARGUMENT;
    memset(res, 0, sizeof *res);
    const lathe_recipe *r = o->recipe;
    const lathe_target *t = &r->target;

    /* 0. Check the destination before doing any work: never an input, never an
     *    existing file without overwrite. */
    st = lathe_output_check(o->output, &o->input, 1, o->overwrite, err, errlen);
    if (st != LATHE_OK)
        return st;

    /* 1. The input's format (its analysis, the figures "before", is made during the
     *    pre-limiter pass below, on the same decoded blocks). */
    if ((st = lathe_reader_open(o->input, &rd, err, errlen)) != LATHE_OK)
        goto fail;
    info = *lathe_reader_info(rd);
    in_rate = info.rate_hz;
    nch = info.channels;
    out_rate = t->rate_hz ? t->rate_hz : in_rate;
    res->out_rate_hz = out_rate;
    res->out_bits = t->bits ? t->bits : 24;

    /* 2. Split the chain at its last limiter; append one when the target needs it. */
    nsteps = r->steps;
    lim = lathe_recipe_find(r, "limiter");
    memcpy(steps, r->step, sizeof(lathe_recipe_step) * (size_t)nsteps);
    if (lim < 0 && (isfinite(t->lufs) || isfinite(t->ceiling_dbtp))) {
        const lathe_fx_class *lim_cls = lathe_fx_class_find("limiter");
        if (!lim_cls) {
            snprintf(err, errlen, "this build has no limiter processor");
            st = LATHE_ERR_INTERNAL;
            goto fail;
        }
        steps[nsteps].cls = lim_cls;
        steps[nsteps].params = NULL;
        lim = nsteps++;
        res->limiter_added = 1;
    }
    if (lim >= 0) {
        const lathe_fx_class *lc = steps[lim].cls;
        if (!(lim_params = malloc(sizeof(double) * (size_t)lc->num_params))) {
            st = LATHE_ERR_NO_MEMORY;
            goto fail;
        }
        for (int i = 0; i < lc->num_params; i++)
            lim_params[i] = steps[lim].params ? steps[lim].params[i] : lc->params[i].def;
        int ceiling_id = lathe_fx_param_index(lc, "ceiling_dbtp");
        if (ceiling_id >= 0 && isfinite(t->ceiling_dbtp))
            lim_params[ceiling_id] = t->ceiling_dbtp;
        steps[lim].params = lim_params;
    }

    /* 3. Pre chain at the input rate, resampler, spool: one pass over the input that
     *    also analyses it (unless the caller already did). */
    {
        lathe_fx_setup in_setup = { in_rate, nch, BLOCK, info.frames > 0 ? info.frames : 0 };
        lathe_analysis_config quick;
        const lathe_analysis_config *acfg = o->analysis;
        st = lathe_chain_create(steps, lim >= 0 ? lim : nsteps, &in_setup, &pre, err, errlen);
        if (st == LATHE_OK)
            st = lathe_gr_recorder_create(&pre, in_rate, 0, &pre.gr);
        if (st != LATHE_OK)
            goto fail;
        if (out_rate != in_rate)
            st = lathe_resampler_create(in_rate, out_rate, nch, &rs, err, errlen);
        if (st == LATHE_OK)
            st = lathe_spool_create(&spool, nch, SPOOL_MEM_BYTES);
        if (st == LATHE_OK)
            st = quick_meter(out_rate, nch, info.roles, &pre_meter);
        if (st != LATHE_OK)
            goto fail;
        if (o->input_analysis) {
            /* Already analysed: keep the caller's figures; the pass measures only the
             * length (and still finds NaN/Inf and decode errors). */
            lathe_analysis_config_defaults(&quick);
            quick.spectrum = quick.series = quick.true_peak = 0;
            acfg = &quick;
        }
        pre_ctx pc = { .pre = &pre, .rs = rs, .sink = { &spool, pre_meter, 0.0, NULL } };
        if (isfinite(t->lufs) && lim == nsteps - 1) {
            /* The limiter ends the chain: model it, to choose the first gain (and the
             * next ones) from its input (engine/limit_model.c). */
            const lathe_fx_class *lc = steps[lim].cls;
            const double *p = steps[lim].params;
            const int i_ceil = lathe_fx_param_index(lc, "ceiling_dbtp");
            const int i_look = lathe_fx_param_index(lc, "lookahead_ms");
            const int i_rel = lathe_fx_param_index(lc, "release_ms");
            const int i_mode = lathe_fx_param_index(lc, "release_mode");
            const int i_hold = lathe_fx_param_index(lc, "hold_ms");
            const int i_link = lathe_fx_param_index(lc, "link");
            const int i_gain = lathe_fx_param_index(lc, "input_gain_db");
            if (i_ceil >= 0 && i_look >= 0 && i_rel >= 0 && i_mode >= 0 && i_hold >= 0
                && i_link >= 0 && i_gain >= 0 && p[i_link] == 0.0 && p[i_gain] == 0.0) {
                lathe_limit_model_cfg mc = { out_rate, p[i_ceil], p[i_look], p[i_rel], p[i_hold],
                                             p[i_mode] != 0.0 };
                if (lathe_limit_model_create(&mc, nch, &model) == LATHE_OK) {
                    pc.sink.model = model;
                    lathe_loudness_set_slice_fn(lathe_analyzer_loudness_meter(pre_meter),
                                                lathe_limit_model_slice, model);
                }
            }
        }
        lathe_aligner_init(&pc.al, pre.latency);
        pg.base = 0.0;
        pg.span = 0.5;
        lathe_analysis scratch;
        st = lathe_analyze_reader_tap(rd, acfg, o->input_analysis ? &scratch : &res->before, err,
                                      errlen, pg.fn ? pre_progress : NULL, &pg, pre_tap, &pc,
                                      o->input_analysis != NULL ? 2 : 0);
        if (o->input_analysis) {
            if (st == LATHE_OK || st == LATHE_ERR_NON_FINITE)
                lathe_analysis_free(&scratch);
            res->before = *o->input_analysis;
            res->before.momentary_lufs = res->before.short_term_lufs = NULL;
            res->before.series_count = 0;
            res->before.visuals = NULL;
        }
        lathe_reader_close(rd);
        rd = NULL;
        if (st == LATHE_OK)
            st = pre_flush(&pc, nch);
        spool_peak = pc.sink.peak;
        if (!pc.sink.model) {
            lathe_limit_model_destroy(model);
            model = NULL;
        }
        if (st != LATHE_OK) {
            if (st == LATHE_ERR_WRITE)
                snprintf(err, errlen, "cannot write the temporary spool in $TMPDIR (disk full?)");
            goto fail;
        }
    }
    if ((st = lathe_analyzer_finish(pre_meter, &pre_a)) != LATHE_OK)
        goto fail;
    lathe_analysis_free(&pre_a);
    if (model && (!isfinite(pre_a.integrated_lufs) || lathe_limit_model_finish(model) != LATHE_OK)) {
        lathe_limit_model_destroy(model);
        model = NULL;
    }

    /* 4. Post chain at the output rate: loudness gain, then the limiter and the rest. */
    {
        const lathe_fx_class *gain_cls = lathe_fx_class_find("gain");
        lathe_recipe_step post_steps[LATHE_RECIPE_MAX_STEPS + 2];
        int np = 0;
        for (int i = 0; i < gain_cls->num_params; i++)
            gain_params[i] = gain_cls->params[i].def;
        post_steps[np].cls = gain_cls;
        post_steps[np++].params = gain_params;
        for (int i = lim >= 0 ? lim : nsteps; i < nsteps; i++)
            post_steps[np++] = steps[i];
        out_frames = (long long)lathe_resample_length(res->before.frames, in_rate, out_rate);
        lathe_fx_setup out_setup = { out_rate, nch, BLOCK, out_frames };
        st = lathe_chain_create(post_steps, np, &out_setup, &post, err, errlen);
        if (st == LATHE_OK) /* post.fx[0] is the gain stage, fx[j] is step lim + j - 1 */
            st = lathe_gr_recorder_create(&post, out_rate, (lim >= 0 ? lim : nsteps) - 1, &post.gr);
        if (st != LATHE_OK)
            goto fail;
    }
    res->latency_frames = pre.latency + post.latency;
    lim_in_post = lim >= 0 ? 1 : -1; /* the limiter follows the gain stage */

    /* 5+6. Converge on the loudness target, re-running only the post chain from the
     *      spool. Every pass writes the output (to its temporary file) while measuring
     *      it: the pass that lands within CONVERGED_LU is committed, so when the first
     *      estimate is right (no or light limiting) one pass does everything. */
    {
        lathe_output_format fmt;
        if ((st = buffers_alloc(&am.b, nch, LATHE_ANALYSIS_BLOCK)) != LATHE_OK)
            goto fail;
        st = output_format(t, out_rate, nch, o->output, r->seed, &res->before.info, &fmt, err,
                           errlen);
        if (st != LATHE_OK)
            goto fail;
        double g_prev = NAN, l_prev = NAN, g_cap = HUGE_VAL;
        /* Detection replay: when the limiter may work (the spool's sample peak at the
         * pass's gain within 6 dB of the ceiling), the pass records the limiter's
         * detection and later passes replay it. A pass that records while samples go
         * over the ceiling is a trial: the limiter certainly works, so another pass
         * will almost surely follow; it measures the loudness only and writes nothing
         * (should it land, one replayed pass at its gain writes). */
        rpc.lim = lim_in_post >= 0 && lathe_limiter_can_replay(post.fx[lim_in_post])
                ? post.fx[lim_in_post] : NULL;
        double g_rec = NAN;
        const int ceiling_id = lim >= 0 ? lathe_fx_param_index(steps[lim].cls, "ceiling_dbtp") : -1;
        const double ceiling_lin = ceiling_id >= 0 ? pow(10.0, lim_params[ceiling_id] / 20.0) : HUGE_VAL;
        if (isfinite(t->lufs)) {
            if (!isfinite(pre_a.integrated_lufs)) {
                snprintf(err, errlen, "the input is silent: there is no loudness to normalise");
                st = LATHE_ERR_EMPTY;
                goto fail;
            }
            g = t->lufs - pre_a.integrated_lufs;
            if (model) {
                /* The gain the model says lands on the target, no more than the
                 * limiting cap allows by its estimate of the peak reduction. */
                double gm, c, grm;
                if (lathe_limit_model_solve(model, pre_a.integrated_lufs, t->lufs, 0.0, -60.0,
                                            40.0, &gm) == LATHE_OK
                    && lathe_limit_model_change(model, gm, &c, &grm) == LATHE_OK) {
                    if (grm > t->max_limiting_db)
                        gm -= grm - t->max_limiting_db;
                    g = gm;
                } else {
                    lathe_limit_model_destroy(model);
                    model = NULL;
                }
            }
        }
        int final_write = 0;    /* a trial pass converged: write at its gain */
        int model_steps = 0;    /* gains the model gave after a measured pass */
        for (int pass = 0;; pass++) {
            double l = NAN;
            lathe_fx_stats ls;
            g = fmin(fmax(g, -60.0), fmin(40.0, g_cap));
            lathe_fx_set_param(post.fx[0], 0, g);
            lathe_analysis_free(&res->after);
            pg.base = 0.5 + 0.45 * (1.0 - pow(0.5, pass));
            pg.span = 0.45 * pow(0.5, pass + 1);
            rpc.mode = LATHE_LIMITER_LIVE;
            const double peak_at_g = spool_peak * pow(10.0, g / 20.0);
            /* With the model the first pass usually lands: it detects live and records
             * nothing (a recording would be written and never read); a second pass
             * records for the later ones. */
            if (rpc.lim && isfinite(t->lufs) && !(model && pass == 0)) {
                const double ratio = pow(10.0, (g - g_rec) / 20.0) * (1.0 + LATHE_LIMITER_REPLAY_EPS);
                if (isfinite(g_rec) && ratio <= 0.999 * rpc.headroom) {
                    rpc.mode = LATHE_LIMITER_REPLAY;
                    rpc.scale = ratio;
                } else if (peak_at_g > 0.5 * ceiling_lin) {
                    rpc.mode = LATHE_LIMITER_RECORD;
                    /* with the model, later gains stay within tenths of a dB of this one */
                    const double over_db = 20.0 * log10(peak_at_g / ceiling_lin);
                    rpc.headroom = pow(10.0, (model ? REPLAY_HEADROOM_MIN_DB
                                                    : fmin(fmax(over_db - 3.0, REPLAY_HEADROOM_MIN_DB),
                                                           REPLAY_HEADROOM_MAX_DB)) / 20.0);
                }
                if (rpc.mode != LATHE_LIMITER_LIVE && !rpc.buf) {
                    if (!(rpc.buf = calloc(BLOCK, sizeof(float)))) {
                        st = LATHE_ERR_NO_MEMORY;
                        goto fail;
                    }
                    if ((st = lathe_spool_create(&rpc.peaks, 1, PEAKS_MEM_BYTES)) != LATHE_OK) {
                        snprintf(err, errlen, "cannot create a temporary spool in $TMPDIR");
                        goto fail;
                    }
                }
            }
            const int trial = rpc.mode == LATHE_LIMITER_RECORD && !final_write && !model
                            && peak_at_g > ceiling_lin;
            if (trial) {
                if ((st = quick_meter(out_rate, nch, res->before.info.roles, &am.an)) != LATHE_OK)
                    goto fail;
            } else {
                /* the written samples are measured as they are stored */
                am.fill = 0;
                if ((st = lathe_writer_open(o->output, &fmt, o->overwrite, &w, err, errlen)) != LATHE_OK
                    || (st = lathe_analyzer_create_for(o->analysis, out_rate, nch,
                                                       res->before.info.roles, out_frames,
                                                       stored_full_scale(&fmt), &am.an)) != LATHE_OK
                    || (st = lathe_writer_set_monitor(w, monitor, &am)) != LATHE_OK)
                    goto fail;
            }
            st = post_pass(&spool, &post, trial ? am.an : NULL, w,
                           rpc.mode != LATHE_LIMITER_LIVE ? &rpc : NULL, &pg, err, errlen);
            if (st == LATHE_OK && rpc.mode == LATHE_LIMITER_RECORD)
                g_rec = g;
            if (st == LATHE_OK && !trial && am.fill)
                lathe_analyzer_process(am.an, (const float *const *)am.b.ch, am.fill);
            if (st == LATHE_OK && (st = lathe_analyzer_finish(am.an, &res->after)) == LATHE_OK)
                l = res->after.integrated_lufs;
            lathe_analyzer_destroy(am.an);
            am.an = NULL;
            if (trial)
                lathe_analysis_free(&res->after);
            if (st != LATHE_OK)
                goto fail;
            memset(&ls, 0, sizeof ls);
            if (lim_in_post >= 0)
                lathe_fx_get_stats(post.fx[lim_in_post], &ls);
            res->passes = pass + 1;
            l_last = l;
            int done = !isfinite(t->lufs) || pass + 1 >= MAX_PASSES || final_write;
            if (!done && lim_in_post >= 0 && ls.gr_max_db > t->max_limiting_db + 0.05) {
                /* Too much limiting: the cap binds. Peak gain reduction grows about dB
                 * for dB with the gain into the limiter. */
                g_cap = g - (ls.gr_max_db - t->max_limiting_db);
                g = g_cap;
                g_prev = l_prev = NAN;
            } else if (!done) {
                double e = t->lufs - l;
                if (fabs(e) <= CONVERGED_LU || (e > 0 && g >= g_cap - 1e-6)) {
                    done = 1;
                } else {
                    double gm, c;
                    if (model && model_steps++ < 2
                        && lathe_limit_model_change(model, g, &c, NULL) == LATHE_OK
                        && lathe_limit_model_solve(model, pre_a.integrated_lufs, t->lufs,
                                                   l - (pre_a.integrated_lufs + c), -60.0,
                                                   fmin(40.0, g_cap), &gm) == LATHE_OK) {
                        /* the model, shifted by what it missed at this gain (twice at
                         * most: then the secant through the last two points) */
                        g_prev = g;
                        l_prev = l;
                        g = gm;
                    } else {
                        /* Without a previous point: limiting takes back part of any gain
                         * added, more the harder it works; on real music the loudness
                         * rises about 1 / (1 + 1.6 x mean reduction in dB) dB per dB
                         * (measured on nine pairs in bench/matchering.sh: the first step
                         * then lands within a few hundredths of a LU instead of tenths). */
                        double slope = 1.0 / (1.0 + 1.6 * ls.gr_mean_db);
                        if (isfinite(g_prev) && fabs(g - g_prev) > 1e-6)
                            slope = (l - l_prev) / (g - g_prev);
                        slope = fmin(fmax(slope, 0.2), 1.2);
                        g_prev = g;
                        l_prev = l;
                        g += e / slope;
                    }
                }
            }
            if (done && trial) {
                final_write = 1;
                continue;
            }
            if (!done) {
                lathe_writer_abort(w);
                w = NULL;
                continue;
            }
            res->limiter = ls;
            if (o->strict && isfinite(t->lufs) && fabs(t->lufs - l_last) > TARGET_TOL_LU) {
                snprintf(err, errlen, "%.1f LUFS cannot be reached with at most %.1f dB of limiting "
                         "(best: %.2f LUFS); nothing written (--strict)", t->lufs,
                         t->max_limiting_db, l_last);
                st = LATHE_ERR_TARGET;
                goto fail;
            }
            break;
        }
        res->gain_db = g;
        st = lathe_writer_commit(w, err, errlen);
        w = NULL;
        if (st != LATHE_OK)
            goto fail;
    }

    /* 7. The file's format as a reader sees it (the header, read back). */
    st = after_info(o->output, &res->after, err, errlen);
    if (st == LATHE_OK)   /* gain reduction over time: the pre pass and the written pass */
        st = lathe_gr_recorder_take(pre.gr, &pre, res);
    if (st == LATHE_OK)
        st = lathe_gr_recorder_take(post.gr, &post, res);
    if (st != LATHE_OK)
        goto fail;
    res->target_met = 1;
    res->shortfall_lu = isfinite(t->lufs) ? t->lufs - res->after.integrated_lufs : 0.0;
    if (isfinite(t->lufs) && fabs(res->shortfall_lu) > TARGET_TOL_LU) {
        res->target_met = 0;
        if (res->shortfall_lu > 0 && res->limiter.gr_max_db >= t->max_limiting_db - 0.2)
            snprintf(res->note, sizeof res->note,
                     "reaching %.1f LUFS would need more than %.1f dB of limiting; stopped at "
                     "%.2f LUFS (%.2f LU short) rather than crush the dynamics (raise "
                     "--max-limiting, or add compression, to go louder)",
                     t->lufs, t->max_limiting_db, res->after.integrated_lufs, res->shortfall_lu);
        else
            snprintf(res->note, sizeof res->note, "integrated loudness %.2f LUFS is %.2f LU from "
                     "the %.1f LUFS target", res->after.integrated_lufs, -res->shortfall_lu, t->lufs);
    }
    if (isfinite(t->ceiling_dbtp) && res->after.true_peak_dbtp > t->ceiling_dbtp + 1e-9) {
        res->target_met = 0;
        size_t len = strlen(res->note);
        snprintf(res->note + len, sizeof res->note - len, "%strue peak %.2f dBTP is over the "
                 "%.1f dBTP ceiling", len ? "; " : "", res->after.true_peak_dbtp, t->ceiling_dbtp);
    }
    pg.base = 1.0;
    pg.span = 0.0;
    report(&pg, 1.0);
    st = LATHE_OK;
    goto done;

fail:
    lathe_master_result_free(res);
done:
    lathe_writer_abort(w);
    lathe_analyzer_destroy(am.an);
    buffers_free(&am.b);
    lathe_analyzer_destroy(pre_meter);
    lathe_limit_model_destroy(model);
    lathe_chain_destroy(&pre);
    lathe_chain_destroy(&post);
    lathe_spool_destroy(&spool);
    lathe_spool_destroy(&rpc.peaks);
    free(rpc.buf);
    lathe_resampler_destroy(rs);
    lathe_reader_close(rd);
    free(lim_params);
    return st;
}
