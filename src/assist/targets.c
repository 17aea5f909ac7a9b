/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Delivery targets: loudness, true-peak ceiling and format per platform or standard.
 * Most streaming services publish no official figure; each entry says where its
 * figures come from and how sure they are (docs/targets.md has the full table). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lathe/master.h"

static const lathe_target_info targets[] = {
    { "spotify", "Spotify (normal)", -14.0, -1.0, 0, 0,
      "Spotify for Artists, 'Loudness normalization' FAQ: -14 LUFS (ITU 1770), keep true peak "
      "below -1 dBTP (-2 dBTP for masters louder than -14 LUFS)", "official" },
    { "spotify-loud", "Spotify (loud setting)", -11.0, -2.0, 0, 0,
      "Spotify for Artists FAQ: the 'Loud' listening setting plays at -11 LUFS; -2 dBTP "
      "advised for loud masters", "official" },
    { "apple", "Apple Music (Sound Check)", -16.0, -1.0, 0, 0,
      "Apple publishes no target; Sound Check playback measured at about -16 LUFS by several "
      "engineers; Apple Digital Masters guidance asks for no clipping after encoding (-1 dBTP)",
      "measured" },
    { "youtube", "YouTube", -14.0, -1.0, 0, 0,
      "YouTube publishes no target; 'Stats for nerds' content loudness shows playback "
      "normalised to about -14 LUFS", "measured" },
    { "tidal", "TIDAL", -14.0, -1.0, 0, 0,
      "TIDAL support pages describe normalisation to -14 LUFS (album and track modes)",
      "reported" },
    { "amazon", "Amazon Music", -14.0, -2.0, 0, 0,
      "Amazon publishes no target; measured normalisation around -14 LUFS; -2 dBTP is the "
      "common recommendation for its lossy encodes", "measured" },
    { "deezer", "Deezer", -15.0, -1.0, 0, 0,
      "Deezer publishes no formal spec; normalisation reported at about -15 LUFS", "reported" },
    { "soundcloud", "SoundCloud", -14.0, -1.0, 0, 0,
      "SoundCloud publishes no loudness target; -14 LUFS / -1 dBTP is the usual streaming "
      "recommendation", "convention" },
    { "cd", "CD (Red Book)", -12.0, -0.3, 44100, 16,
      "Red Book fixes 44.1 kHz / 16 bit; no loudness standard exists for CD: -12 LUFS with a "
      "-0.3 dBTP ceiling is a moderate mastering convention (modern pop CDs are often -9..-7)",
      "convention" },
    { "ebu-r128", "EBU R 128 broadcast", -23.0, -1.0, 48000, 24,
      "EBU R 128 (2023): programme loudness -23.0 LUFS (+/-0.5 LU), maximum true peak -1 dBTP; "
      "48 kHz per EBU Tech 3285", "official" },
    { "atsc-a85", "ATSC A/85 (US TV)", -24.0, -2.0, 48000, 24,
      "ATSC A/85:2013 RP: -24 LKFS (+/-2 dB), true peak -2 dBTP", "official" },
    { "arib-tr-b32", "ARIB TR-B32 (Japan TV)", -24.0, -1.0, 48000, 24,
      "ARIB TR-B32: -24 LKFS, true peak -1 dBTP", "official" },
    { "podcast", "Podcast (Apple Podcasts)", -16.0, -1.0, 44100, 16,
      "Apple Podcasts 'Audio requirements': -16 LKFS +/-1 dB, true peak below -1 dBFS",
      "official" },
    { "acx", "Audiobook (ACX)", -20.0, -3.0, 44100, 16,
      "ACX requires RMS -23..-18 dBFS and peaks below -3 dBFS (not LUFS); -20 LUFS lands inside "
      "that RMS window for speech - check the RMS figure in the report", "convention" },
};

size_t lathe_target_count(void)
{
    return sizeof targets / sizeof targets[0];
}

const lathe_target_info *lathe_target_at(size_t index)
{
    return index < lathe_target_count() ? &targets[index] : NULL;
}

void lathe_target_defaults(lathe_target *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "custom");
    t->lufs = NAN;
    t->ceiling_dbtp = NAN;
    t->bits = 24;
    t->dither = LATHE_DITHER_TPDF;
    t->max_limiting_db = 6.0;
}

lathe_status lathe_target_from_name(const char *name, lathe_target *t)
{
    for (size_t i = 0; name && i < lathe_target_count(); i++) {
        if (strcasecmp(targets[i].name, name) == 0) {
            lathe_target_defaults(t);
            snprintf(t->name, sizeof t->name, "%s", targets[i].name);
            t->lufs = targets[i].lufs;
            t->ceiling_dbtp = targets[i].ceiling_dbtp;
            t->rate_hz = targets[i].rate_hz;
            if (targets[i].bits)
                t->bits = targets[i].bits;
            return LATHE_OK;
        }
    }
    return LATHE_ERR_INVALID_ARGUMENT;
}
