/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_profile_dump: prints what the assistants measure in a file (lathe_profile):
 * figures, then per 1/6-octave band the total, mid and side power relative to the
 * integrated loudness, then (with --fine) the 1/24-octave total. Used to derive and check
 * the tonal target curve (docs/auto.md) and to calibrate the assistants' thresholds.
 *
 *   lathe_profile_dump [--fine] FILE... */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lathe/lathe.h"

int main(int argc, char **argv)
{
    int fine = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fine")) {
            fine = 1;
            continue;
        }
        lathe_profile p;
        char err[256] = "";
        lathe_status st = lathe_profile_file(argv[i], LATHE_PROFILE_ALL, &p, err, sizeof err, NULL,
                                               NULL);
        if (st != LATHE_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            rc = 1;
            if (st == LATHE_ERR_NON_FINITE)
                lathe_profile_free(&p);
            continue;
        }
        const lathe_analysis *a = &p.a;
        printf("file %s\n", argv[i]);
        printf("integrated_lufs %.3f\nloudness_range_lu %.3f\ntrue_peak_dbtp %.3f\nplr_db %.3f\n"
               "crest_db %.3f\nside_mid_db %.3f\ncorrelation %.4f\nlow_correlation %.4f\n"
               "low_side_mid_db %.3f\nhf_p99_dbfs %.3f\nhf_median_dbfs %.3f\nhf_share_p99_db %.3f\n",
               a->integrated_lufs, a->loudness_range_lu, a->true_peak_dbtp, a->plr_db, a->crest_db,
               a->side_mid_db, a->correlation, p.low_correlation, p.low_side_mid_db, p.hf_p99_dbfs,
               p.hf_median_dbfs, p.hf_share_p99_db);
        for (int b = 0; b < LATHE_PROFILE_BANDS; b++)
            printf("band %.2f %.3f %.3f %.3f\n", p.band_hz[b], p.total_db[b] - a->integrated_lufs,
                   p.mid_db[b] - a->integrated_lufs, p.side_db[b] - a->integrated_lufs);
        for (int b = 0; fine && b < LATHE_PROFILE_FINE_BANDS; b++)
            printf("fine %.2f %.3f %.3f\n", p.fine_hz[b], p.fine_db[b] - a->integrated_lufs,
                   p.fine_steady[b]);
        lathe_profile_free(&p);
    }
    return rc;
}
