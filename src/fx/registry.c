/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The registered processor classes, in documentation (and typical chain) order. */
#include <stddef.h>
#include "fx/registry.h"

const lathe_fx_class *const lathe_fx_registry[] = {
    &lathe_fx_gain,
    &lathe_fx_dc_block,
    &lathe_fx_eq,
    &lathe_fx_dynamic_eq,
    &lathe_fx_compressor,
    &lathe_fx_multiband,
    &lathe_fx_deesser,
    &lathe_fx_stereo,
    &lathe_fx_saturate,
    &lathe_fx_limiter,
    &lathe_fx_fade,
};
const unsigned lathe_fx_registry_size = sizeof lathe_fx_registry / sizeof lathe_fx_registry[0];
