/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Band splitting for multiband processing, 2..5 bands.
 *
 * Minimum phase: Linkwitz-Riley crossovers (LR2, LR4, LR8: a Butterworth low-pass /
 * high-pass of half the order, squared), in a tree: band 1 = LP1, the rest = HP1,
 * band 2 = LP2(HP1), ... and every band is passed through the all-passes of the
 * crossovers above it, so that the bands sum to an all-pass (flat magnitude):
 *   LR4: LP^2 + HP^2 = AP2,  LR8: LP^2 + HP^2 = AP2(Q1) AP2(Q2),
 *   LR2: LP^2 - HP^2 = AP1  (the high side is inverted).
 * All sections are bilinear transforms of the analogue prototypes with the
 * frequency pre-warped, so these identities hold exactly for the digital filters.
 * Reference: S. H. Linkwitz, "Active Crossover Networks for Noncoincident Drivers",
 * JAES 24(1), 1976; the all-pass compensation of band trees: e.g. D. Bohn,
 * "Linkwitz-Riley Crossovers: A Primer", Rane Note 160 (2005).
 *
 * Linear phase: zero-phase targets with the same magnitudes as the LR tree,
 * realised as complementary FIR filters: cumulative low-passes C_k (bands 1..k),
 * band k = C_k - C_(k-1), last band = delayed input - C_(K-1). The bands therefore
 * sum to the delayed input by construction (whatever the filters' precision), and
 * a band's gain change leaves the others untouched. The FIRs are designed by
 * frequency sampling (inverse FFT of the target) and a tapered window, and run
 * by partitioned FFT convolution (src/dsp/fftconv.h). */
#ifndef LATHE_DSP_CROSSOVER_H
#define LATHE_DSP_CROSSOVER_H

#include <stddef.h>
#include "dsp/biquad.h"
#include "dsp/smooth.h"
#include "lathe/status.h"

#define LATHE_XOVER_MAX_BANDS 5
#define LATHE_XOVER_MAX_CH 8

/* ---- minimum phase (Linkwitz-Riley) ------------------------------------------ */

typedef struct lathe_lr_coefs {
    lathe_biquad_coefs lp[4], hp[4], ap[2];
    int nsec, nap;           /* sections in each of LP/HP, and in the all-pass */
    double sign;             /* +1, or -1 for the LR2 high side */
} lathe_lr_coefs;

/* Designs one LR crossover of ORDER 2, 4 or 8 at FREQ_HZ. */
void lathe_lr_design(lathe_lr_coefs *c, int order, double freq_hz, double rate_hz);

/* Four biquad lanes (one coefficient per lane and section), run in direct form I; the
 * lanes share one vector register (see crossover.c). */
typedef struct lathe_xo_sec {
    double b0[4], b1[4], b2[4], a1[4], a2[4];
} lathe_xo_sec;

/* Direct form I history of four lanes: last two inputs and outputs. */
typedef struct lathe_xo_hist {
    double x1[4], x2[4], y1[4], y2[4];
} lathe_xo_hist;

/* The tree runs per pair of channels c, c + 1: crossover j splits the pair in one vector
 * (lanes LP c, LP c+1, HP c, HP c+1); its all-pass acts on band b < j of the pair (lanes
 * c, c+1, c, c+1). */
#define LATHE_XOVER_PAIRS ((LATHE_XOVER_MAX_CH + 1) / 2)

/* Frames between coefficient updates while a crossover frequency glides, the length of a
 * glide, and the glide steps between denormal flushes of the state (256 frames: decaying
 * from the 1e-30 flush threshold to the denormal range would take a pole radius under
 * 0.08; these filters' radii are far larger). */
#define LATHE_XOVER_GLIDE_STEP 32
#define LATHE_XOVER_GLIDE_S 0.020
#define LATHE_XOVER_FLUSH_TICKS 8

typedef struct lathe_xover {
    int bands, order, channels;
    double rate;
    lathe_lr_coefs co[LATHE_XOVER_MAX_BANDS - 1];
    lathe_ramp lf[LATHE_XOVER_MAX_BANDS - 1];   /* log2 of each crossover frequency */
    size_t until_update;                         /* frames until the next glide step */
    unsigned ticks;                              /* glide steps so far (flush schedule) */
    /* crossover j as lanes: split sections (LP, LP, HP, HP) and all-pass sections */
    lathe_xo_sec split[LATHE_XOVER_MAX_BANDS - 1][4];
    lathe_xo_sec ap[LATHE_XOVER_MAX_BANDS - 1][2];
    double sign[LATHE_XOVER_MAX_BANDS - 1][4];  /* per lane output factor (LR2 HP: -1) */
    lathe_xo_hist hs[LATHE_XOVER_PAIRS][LATHE_XOVER_MAX_BANDS - 1][4];   /* [pair][j][section] */
    lathe_xo_hist ha[LATHE_XOVER_PAIRS][LATHE_XOVER_MAX_BANDS - 1][LATHE_XOVER_MAX_BANDS - 2][2];
                                                 /* [pair][j][band][section] */
    double zero[LATHE_XOVER_GLIDE_STEP], trash[LATHE_XOVER_GLIDE_STEP]; /* odd channel */
} lathe_xover;

/* FREQS: BANDS - 1 frequencies (Hz), any order (sorted here), clamped to
 * [10 Hz, 0.45 rate]. */
void lathe_xover_init(lathe_xover *x, int channels, int bands, int order, const double *freqs,
                      double rate_hz);
/* New targets: each frequency glides (log scale) over LATHE_XOVER_GLIDE_S. */
void lathe_xover_set_freqs(lathe_xover *x, const double *freqs);
void lathe_xover_reset(lathe_xover *x);
/* N frames (any N): band b of channel c is BAND + (b * LATHE_XOVER_MAX_CH + c) * STRIDE
 * (N doubles). The input is read from the last band's buffers (bands - 1), and every
 * band is written in place. The result does not depend on how a stream is cut into
 * calls. */
void lathe_xover_run(lathe_xover *x, double *band, size_t stride, size_t n);

/* ---- linear phase -------------------------------------------------------------- */

typedef struct lathe_xover_lin lathe_xover_lin;

/* [control] Allocates everything (FFT plans included). ORDER 2/4/8 sets the slopes
 * (the magnitudes of the matching LR tree). */
lathe_status lathe_xover_lin_create(int channels, int bands, int order, const double *freqs,
                                    double rate_hz, lathe_xover_lin **out);
void lathe_xover_lin_destroy(lathe_xover_lin *x);
/* Frames of delay of the bands (and of the delayed input): half the FIR length plus
 * one convolution block. */
size_t lathe_xover_lin_latency(const lathe_xover_lin *x);
/* [audio] Redesigns the filters; the change is crossfaded over one block. */
void lathe_xover_lin_set_freqs(lathe_xover_lin *x, const double *freqs);
void lathe_xover_lin_reset(lathe_xover_lin *x);
/* [audio] One frame: IN[c] to split and ORIG[c] to delay (may be IN; e.g. L/R while
 * IN holds M/S); BAND[b * LATHE_XOVER_MAX_CH + c] and XD[c] (ORIG delayed by the
 * latency) out. */
void lathe_xover_lin_frame(lathe_xover_lin *x, const double *in, const double *orig, double *band,
                           double *xd);

#endif
