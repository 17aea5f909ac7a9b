/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_ref_ebur128: reference loudness meter built on libebur128 (not on lathe's meters).
 *
 * Usage: lathe_ref_ebur128 FILE
 *
 * Reads FILE with libsndfile, feeds it to libebur128 in blocks of 4096 frames with
 * EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK,
 * and prints one "key value" line per figure:
 *
 *   integrated_lufs    -19.517     (BS.1770-4 gated, LUFS; -inf when silent)
 *   loudness_range_lu  6.934       (EBU Tech 3342, LU)
 *   true_peak_dbtp     -5.940      (max over channels, dBTP)
 *   sample_peak_dbfs   -6.000      (max over channels, dBFS)
 *   frames             1764000
 *
 * Channels are weighted as lathe's defaults for the channel count (ITU order:
 * 1: M; 2: L R; 3: L R C; 4: L R Ls Rs; 5: L R C Ls Rs; 6: L R C LFE Ls Rs;
 * 7: L R C LFE Ls Rs + one unknown (weight 1); 8: L R C LFE Ls Rs Lb Rb, with the
 * back pair weighted 1.41 like the surrounds). Used by tests and `make bench` as an
 * independent reference. Exit codes: 0 ok, 2 usage, 3 unreadable input, 70 libebur128
 * or memory failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ebur128.h>
#include <sndfile.h>

#define BLOCK 4096 /* frames per read */

static void set_channel_map(ebur128_state *st, int channels)
{
    static const int maps[9][8] = {
        { 0 },
        { EBUR128_CENTER }, /* mono: weight 1, not dual mono */
        { EBUR128_LEFT, EBUR128_RIGHT },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_LEFT_SURROUND,
          EBUR128_RIGHT_SURROUND },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED, EBUR128_LEFT_SURROUND,
          EBUR128_RIGHT_SURROUND },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED, EBUR128_LEFT_SURROUND,
          EBUR128_RIGHT_SURROUND, EBUR128_CENTER },
        { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED, EBUR128_LEFT_SURROUND,
          EBUR128_RIGHT_SURROUND, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND },
    };
    for (int c = 0; c < channels; c++)
        ebur128_set_channel(st, (unsigned)c, maps[channels][c]);
}

static double db(double linear)
{
    return linear > 0.0 ? 20.0 * log10(linear) : -HUGE_VAL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        int help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fprintf(help ? stdout : stderr,
                "Usage: lathe_ref_ebur128 FILE\n"
                "Prints integrated loudness, loudness range, true peak and sample peak of\n"
                "FILE as measured by libebur128 (an independent reference for lathe).\n");
        return help ? 0 : 2;
    }
    SF_INFO sfi;
    memset(&sfi, 0, sizeof sfi);
    SNDFILE *sf = sf_open(argv[1], SFM_READ, &sfi);
    if (!sf) {
        fprintf(stderr, "lathe_ref_ebur128: %s: %s\n", argv[1], sf_strerror(NULL));
        return 3;
    }
    if (sfi.channels < 1 || sfi.channels > 8) {
        fprintf(stderr, "lathe_ref_ebur128: %s: %d channels (1..8 supported)\n", argv[1],
                sfi.channels);
        sf_close(sf);
        return 3;
    }
    ebur128_state *st = ebur128_init((unsigned)sfi.channels, (unsigned long)sfi.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK
                                         | EBUR128_MODE_SAMPLE_PEAK);
    float *buf = malloc(sizeof(float) * BLOCK * (size_t)sfi.channels);
    if (!st || !buf) {
        fprintf(stderr, "lathe_ref_ebur128: cannot set up libebur128 (out of memory?)\n");
        free(buf);
        if (st)
            ebur128_destroy(&st);
        sf_close(sf);
        return 70;
    }
    set_channel_map(st, sfi.channels);

    long long frames = 0;
    sf_count_t got;
    while ((got = sf_readf_float(sf, buf, BLOCK)) > 0) {
        if (ebur128_add_frames_float(st, buf, (size_t)got) != EBUR128_SUCCESS) {
            fprintf(stderr, "lathe_ref_ebur128: libebur128 rejected a block\n");
            free(buf);
            ebur128_destroy(&st);
            sf_close(sf);
            return 70;
        }
        frames += got;
    }
    int read_err = sf_error(sf);
    sf_close(sf);
    free(buf);
    if (read_err != SF_ERR_NO_ERROR) {
        fprintf(stderr, "lathe_ref_ebur128: %s: read error: %s\n", argv[1],
                sf_error_number(read_err));
        ebur128_destroy(&st);
        return 3;
    }

    double integrated = -HUGE_VAL, lra = 0.0, tp = 0.0, sp = 0.0;
    int rc = 0;
    rc |= ebur128_loudness_global(st, &integrated) != EBUR128_SUCCESS;
    rc |= ebur128_loudness_range(st, &lra) != EBUR128_SUCCESS;
    for (int c = 0; c < sfi.channels; c++) {
        double tpc = 0.0, spc = 0.0;
        rc |= ebur128_true_peak(st, (unsigned)c, &tpc) != EBUR128_SUCCESS;
        rc |= ebur128_sample_peak(st, (unsigned)c, &spc) != EBUR128_SUCCESS;
        tp = fmax(tp, tpc);
        sp = fmax(sp, spc);
    }
    ebur128_destroy(&st);
    if (rc) {
        fprintf(stderr, "lathe_ref_ebur128: libebur128 could not compute the figures\n");
        return 70;
    }
    printf("integrated_lufs %.3f\n", integrated);
    printf("loudness_range_lu %.3f\n", lra);
    printf("true_peak_dbtp %.3f\n", db(tp));
    printf("sample_peak_dbfs %.3f\n", db(sp));
    printf("frames %lld\n", frames);
    return 0;
}
