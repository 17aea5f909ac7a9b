/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Channel roles: names, BS.1770-4 weights, default layouts in ITU order. */
#include <string.h>
#include <strings.h>
#include "lathe/io.h"

static const char *const role_names[LATHE_CHANNEL_ROLE_COUNT] = {
    [LATHE_CHANNEL_UNKNOWN] = "?",   [LATHE_CHANNEL_MONO] = "M",
    [LATHE_CHANNEL_LEFT] = "L",      [LATHE_CHANNEL_RIGHT] = "R",
    [LATHE_CHANNEL_CENTER] = "C",    [LATHE_CHANNEL_LFE] = "LFE",
    [LATHE_CHANNEL_LEFT_SURROUND] = "Ls", [LATHE_CHANNEL_RIGHT_SURROUND] = "Rs",
    [LATHE_CHANNEL_LEFT_BACK] = "Lb",     [LATHE_CHANNEL_RIGHT_BACK] = "Rb",
};

const char *lathe_channel_role_name(lathe_channel_role role)
{
    if ((int)role < 0 || role >= LATHE_CHANNEL_ROLE_COUNT)
        return "?";
    return role_names[role];
}

lathe_status lathe_channel_role_parse(const char *name, lathe_channel_role *out)
{
    if (!name || !out)
        return LATHE_ERR_INVALID_ARGUMENT;
    for (int r = 1; r < LATHE_CHANNEL_ROLE_COUNT; r++) {
        if (strcasecmp(name, role_names[r]) == 0) {
            *out = (lathe_channel_role)r;
            return LATHE_OK;
        }
    }
    return LATHE_ERR_INVALID_ARGUMENT;
}

double lathe_channel_role_weight(lathe_channel_role role)
{
    switch (role) {
    case LATHE_CHANNEL_LFE:
        return 0.0;
    case LATHE_CHANNEL_LEFT_SURROUND: case LATHE_CHANNEL_RIGHT_SURROUND:
        /* BS.1770-4: +1.5 dB for loudspeakers at 60..120 degrees azimuth (side surrounds);
         * back surrounds (135..150 degrees) and all others weigh 1.0. */
        return 1.41;
    default:
        return 1.0;
    }
}

void lathe_channel_roles_default(int channels, lathe_channel_role *roles)
{
    static const lathe_channel_role layouts[LATHE_MAX_CHANNELS][LATHE_MAX_CHANNELS] = {
        { LATHE_CHANNEL_MONO },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_LEFT_SURROUND,
          LATHE_CHANNEL_RIGHT_SURROUND },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER,
          LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
          LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
          LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND, LATHE_CHANNEL_UNKNOWN },
        { LATHE_CHANNEL_LEFT, LATHE_CHANNEL_RIGHT, LATHE_CHANNEL_CENTER, LATHE_CHANNEL_LFE,
          LATHE_CHANNEL_LEFT_SURROUND, LATHE_CHANNEL_RIGHT_SURROUND, LATHE_CHANNEL_LEFT_BACK,
          LATHE_CHANNEL_RIGHT_BACK },
    };
    if (channels < 1 || channels > LATHE_MAX_CHANNELS)
        return;
    memcpy(roles, layouts[channels - 1], sizeof(lathe_channel_role) * (size_t)channels);
}
