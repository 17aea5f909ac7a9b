/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_gain_from_reduction against long-double powl(10, -z / 20): relative error
 * under 4e-16 + 3e-16 |x|, x = z log2(10) / 20 (the rounding of x itself, which libm's
 * exp(-z ln(10) / 20) shares: printed alongside), from 1e-300 dB to 999 dB (powers of
 * two of the gain, integers, random values); exactly 1 for z <= 0; the same value
 * whatever the block length and the position in the block (the vector tail). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "dsp/dbgain.h"
#include "testutil.h"

enum { N = 200003 };

static uint64_t rng = 0x2545F4914F6CDD1Dull;

int main(void)
{
    static double z[N], g[N], g1[N];
    size_t n = 0;
    z[n++] = 1e-300;
    z[n++] = 5e-324;
    z[n++] = 1e-12;
    for (int k = 1; k <= 160; k++)      /* gains of exactly 2^-k */
        z[n++] = 20.0 * k * log10(2.0);
    for (int k = 1; k <= 999; k++)
        z[n++] = k;
    while (n < N - 2000)
        z[n++] = test_rand01(&rng) * (test_rand01(&rng) < 0.5 ? 30.0 : 999.0);
    while (n < N)
        z[n++] = -test_rand01(&rng) * 10.0;     /* no reduction: exactly 1 */
    lathe_gain_from_reduction(z, g, N);
    double worst = 0.0, worst_libm = 0.0;
    size_t where = 0;
    int ones = 1;
    for (size_t i = 0; i < N; i++) {
        if (z[i] <= 0.0) {
            ones &= g[i] == 1.0;
            continue;
        }
        const long double want = powl(10.0L, -(long double)z[i] / 20.0L);
        const double x = z[i] * 0.16609640474436811739;
        const double rel = (double)fabsl(((long double)g[i] - want) / want) / (4e-16 + 3e-16 * x);
        const double libm = exp(-z[i] * (M_LN10 / 20.0));
        worst_libm = fmax(worst_libm, (double)fabsl(((long double)libm - want) / want)
                                      / (4e-16 + 3e-16 * x));
        if (rel > worst) {
            worst = rel;
            where = i;
        }
    }
    printf("largest error %.3g of the bound (z = %.17g dB); libm's exp: %.3g of it\n", worst,
           z[where], worst_libm);
    CHECK(worst < 1.0, "error %.3g of the bound at z = %.17g dB", worst, z[where]);
    CHECK(ones, "no reduction gives exactly 1");
    /* block lengths 1..9 at every offset: the same values */
    int same = 1;
    for (size_t len = 1; len <= 9; len++)
        for (size_t off = 0; off + len <= 4000; off += len) {
            lathe_gain_from_reduction(z + off, g1 + off, len);
            for (size_t i = off; i < off + len; i++)
                same &= g1[i] == g[i];
        }
    CHECK(same, "values depend on the block length");
    return test_summary();
}
