/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_decode_only: reads a file through liblathe's reader and does nothing else.
 *
 * Usage: lathe_decode_only FILE
 *
 * The floor for `make bench`: the cost of opening and decoding to planar float
 * (lathe_reader_read, 4096-frame blocks like lathe_analyze_file) with no
 * measurement at all. Prints the frames read and the audio duration.
 * Exit codes: 0 ok, 2 usage, 3 unreadable input, 70 out of memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lathe/lathe.h"

#define BLOCK 4096 /* frames per read, as src/engine/analyze.c */

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        int help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fprintf(help ? stdout : stderr,
                "Usage: lathe_decode_only FILE\n"
                "Decodes FILE through liblathe's reader and discards the audio (bench floor).\n");
        return help ? 0 : 2;
    }
    char err[256] = "";
    lathe_reader *rd = NULL;
    lathe_status st = lathe_reader_open(argv[1], &rd, err, sizeof err);
    if (st != LATHE_OK) {
        fprintf(stderr, "lathe_decode_only: %s: %s\n", argv[1], err[0] ? err : lathe_status_str(st));
        return 3;
    }
    const lathe_audio_info *info = lathe_reader_info(rd);
    float *ch[LATHE_MAX_CHANNELS] = { NULL };
    for (int c = 0; c < info->channels; c++) {
        if (!(ch[c] = malloc(sizeof(float) * BLOCK))) {
            fprintf(stderr, "lathe_decode_only: out of memory\n");
            for (int k = 0; k < c; k++)
                free(ch[k]);
            lathe_reader_close(rd);
            return 70;
        }
    }
    long long frames = 0;
    size_t got = 0;
    while ((st = lathe_reader_read(rd, ch, BLOCK, &got)) == LATHE_OK && got > 0)
        frames += (long long)got;
    int rc = 0;
    if (st != LATHE_OK) {
        fprintf(stderr, "lathe_decode_only: %s: %s\n", argv[1], lathe_status_str(st));
        rc = 3;
    }
    printf("frames %lld\nduration_s %.3f\n", frames, (double)frames / info->rate_hz);
    for (int c = 0; c < info->channels; c++)
        free(ch[c]);
    lathe_reader_close(rd);
    return rc;
}
