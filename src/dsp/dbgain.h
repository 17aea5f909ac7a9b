/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gain reduction in dB to linear gain, for a block: G[i] = 10^(-Z[i] / 20) where
 * Z[i] > 0, else exactly 1. A dynamics processor computes one per frame; libm's exp
 * costs about eighty instructions there, this about ten, with the same results in
 * every build and on every machine (plain IEEE double operations, no libm).
 * For 0 < Z < 1000 dB the relative error stays under 4e-16 + 3e-16 |x|, x = Z log2(10) / 20
 * (the rounding of x itself, as with exp(-Z ln(10) / 20)): 1.5e-15 at 40 dB. */
#ifndef LATHE_DSP_DBGAIN_H
#define LATHE_DSP_DBGAIN_H

#include <stddef.h>

void lathe_gain_from_reduction(const double *z_db, double *gain, size_t n);

#endif
