/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gain reduction over time of a chain's dynamics steps (lathe_gr_series), recorded
 * block by block from the processors' running statistics, in constant memory. */
#ifndef LATHE_ENGINE_GR_SERIES_H
#define LATHE_ENGINE_GR_SERIES_H

#include "engine/chain.h"

typedef struct lathe_gr_recorder lathe_gr_recorder;

/* A recorder for every processor of C that reports statistics. RATE_HZ: the chain's
 * rate; FIRST_STEP: the recipe step index of C's processor 0. *OUT is NULL (and the
 * status OK) when C has no such processor. */
lathe_status lathe_gr_recorder_create(const lathe_chain *c, double rate_hz, int first_step,
                                      lathe_gr_recorder **out);
/* After C processed FRAMES frames. */
void lathe_gr_recorder_block(lathe_gr_recorder *r, const lathe_chain *c, size_t frames);
/* Forget everything (the chain was reset for a new pass). */
void lathe_gr_recorder_reset(lathe_gr_recorder *r);
/* Appends the series (copies) and each step's totals to RES->gr. NULL-safe. */
lathe_status lathe_gr_recorder_take(const lathe_gr_recorder *r, const lathe_chain *c,
                                    lathe_master_result *res);
void lathe_gr_recorder_destroy(lathe_gr_recorder *r);

#endif
