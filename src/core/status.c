/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Status strings and version. */
#include "lathe/status.h"
#include "lathe/version.h"

const char *lathe_status_str(lathe_status status)
{
    switch (status) {
    case LATHE_OK: return "success";
    case LATHE_ERR_INVALID_ARGUMENT: return "invalid argument";
    case LATHE_ERR_NO_MEMORY: return "out of memory";
    case LATHE_ERR_OPEN: return "cannot open file";
    case LATHE_ERR_FORMAT: return "not a supported audio file";
    case LATHE_ERR_TRUNCATED: return "file is truncated";
    case LATHE_ERR_EMPTY: return "no audio frames";
    case LATHE_ERR_NON_FINITE: return "non-finite (NaN/Inf) samples";
    case LATHE_ERR_UNSUPPORTED: return "unsupported channel count or sample rate";
    case LATHE_ERR_READ: return "read or decode error";
    case LATHE_ERR_WRITE: return "cannot write output";
    case LATHE_ERR_INTERNAL: return "internal error";
    case LATHE_ERR_TARGET: return "target cannot be met";
    }
    return "unknown status";
}

const char *lathe_version(void)
{
    return LATHE_VERSION_STRING;
}
