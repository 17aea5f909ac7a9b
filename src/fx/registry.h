/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The list of processor classes. Adding a processor: one file in src/fx/, one line
 * here and one in registry.c, one test in tests/fx/. */
#ifndef LATHE_FX_REGISTRY_H
#define LATHE_FX_REGISTRY_H

#include "lathe/fx.h"

extern const lathe_fx_class lathe_fx_gain;
extern const lathe_fx_class lathe_fx_dc_block;
extern const lathe_fx_class lathe_fx_eq;
extern const lathe_fx_class lathe_fx_dynamic_eq;
extern const lathe_fx_class lathe_fx_compressor;
extern const lathe_fx_class lathe_fx_multiband;
extern const lathe_fx_class lathe_fx_deesser;
extern const lathe_fx_class lathe_fx_stereo;
extern const lathe_fx_class lathe_fx_saturate;
extern const lathe_fx_class lathe_fx_limiter;
extern const lathe_fx_class lathe_fx_fade;

/* The state of FX when it is an instance of CLS, else NULL (for a processor's own
 * internal interface, e.g. src/fx/limiter.h). */
void *lathe_fx_state_of(const lathe_fx *fx, const lathe_fx_class *cls);

/* In documentation order, lathe_fx_registry_size entries. */
extern const lathe_fx_class *const lathe_fx_registry[];
extern const unsigned lathe_fx_registry_size;

#endif
