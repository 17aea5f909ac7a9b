/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Minimal test helpers: checks that print what they got, and a closing line
 * "N passed, N failed" that the CI reads. A test exits non-zero on any failure. */
#ifndef LATHE_TESTUTIL_H
#define LATHE_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int t_passed, t_failed;

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (cond) {                                                               \
            t_passed++;                                                           \
        } else {                                                                  \
            t_failed++;                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                  \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
        }                                                                         \
    } while (0)

/* |got - want| <= tol, printing both; NAN never passes. */
#define CHECK_NEAR(got, want, tol, what)                                          \
    do {                                                                          \
        double g_ = (got), w_ = (want), t_ = (tol);                               \
        CHECK(fabs(g_ - w_) <= t_, "%s: got %.6f, want %.6f +/- %.6f", (what), g_, \
              w_, t_);                                                            \
    } while (0)

/* lo <= got <= hi */
#define CHECK_RANGE(got, lo, hi, what)                                            \
    do {                                                                          \
        double g_ = (got), l_ = (lo), h_ = (hi);                                  \
        CHECK(g_ >= l_ && g_ <= h_, "%s: got %.6f, want within [%.6f, %.6f]",     \
              (what), g_, l_, h_);                                                \
    } while (0)

/* Reproducible test noise: xorshift64 (13, 7, 17) on *STATE (never 0), 53 bits each
 * draw, uniform in [0, 1) or in [-1, 1). */
static inline uint64_t test_rand_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state >> 11;
}

static inline double test_rand01(uint64_t *state)
{
    return (double)test_rand_next(state) / 9007199254740992.0;
}

static inline double test_rand_pm1(uint64_t *state)
{
    return (double)test_rand_next(state) / 4503599627370496.0 - 1.0;
}

static inline int test_summary(void)
{
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}

#endif
