/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The processor registry and the generic instance wrapper around a class record. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fx/registry.h"
#include "lathe/fx.h"

struct lathe_fx {
    const lathe_fx_class *cls;
    void *state;
    double *params;             /* current targets, num_params values */
};

const char *lathe_unit_name(lathe_unit unit)
{
    switch (unit) {
    case LATHE_UNIT_DB: return "dB";
    case LATHE_UNIT_DBFS: return "dBFS";
    case LATHE_UNIT_DBTP: return "dBTP";
    case LATHE_UNIT_LUFS: return "LUFS";
    case LATHE_UNIT_HZ: return "Hz";
    case LATHE_UNIT_MS: return "ms";
    case LATHE_UNIT_PERCENT: return "%";
    case LATHE_UNIT_RATIO: return ":1";
    case LATHE_UNIT_Q: return "Q";
    case LATHE_UNIT_DB_PER_OCT: return "dB/oct";
    case LATHE_UNIT_DB_PER_DECADE: return "dB/decade";
    case LATHE_UNIT_BITS: return "bits";
    default: return "";
    }
}

size_t lathe_fx_class_count(void)
{
    return lathe_fx_registry_size;
}

const lathe_fx_class *lathe_fx_class_at(size_t index)
{
    return index < lathe_fx_registry_size ? lathe_fx_registry[index] : NULL;
}

const lathe_fx_class *lathe_fx_class_find(const char *name)
{
    for (unsigned i = 0; name && i < lathe_fx_registry_size; i++)
        if (strcmp(lathe_fx_registry[i]->name, name) == 0)
            return lathe_fx_registry[i];
    return NULL;
}

int lathe_fx_param_index(const lathe_fx_class *cls, const char *key)
{
    for (int i = 0; cls && key && i < cls->num_params; i++)
        if (strcmp(cls->params[i].key, key) == 0)
            return i;
    return -1;
}

lathe_status lathe_param_check(const lathe_param_desc *d, double value)
{
    if (!d || !isfinite(value) || value < d->min || value > d->max)
        return LATHE_ERR_INVALID_ARGUMENT;
    if ((d->unit == LATHE_UNIT_CHOICE || d->unit == LATHE_UNIT_SWITCH
         || d->unit == LATHE_UNIT_INTEGER || d->unit == LATHE_UNIT_BITS)
        && value != floor(value))
        return LATHE_ERR_INVALID_ARGUMENT;
    return LATHE_OK;
}

int lathe_param_choice(const lathe_param_desc *d, const char *name)
{
    if (!d || !d->choices || !name)
        return -1;
    for (int i = 0; d->choices[i]; i++)
        if (strcmp(d->choices[i], name) == 0)
            return i;
    return -1;
}

lathe_status lathe_fx_create(const lathe_fx_class *cls, const lathe_fx_setup *setup,
                             const double *params, lathe_fx **out)
{
    lathe_fx *fx;
    lathe_status st;

    if (!out)
        return LATHE_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!cls || !setup || setup->channels < 1 || setup->channels > 8 || !(setup->rate_hz >= 8000.0)
        || setup->rate_hz > 768000.0 || setup->max_block < 1)
        return LATHE_ERR_INVALID_ARGUMENT;
    fx = calloc(1, sizeof *fx);
    if (!fx)
        return LATHE_ERR_NO_MEMORY;
    fx->cls = cls;
    fx->params = malloc(sizeof(double) * (size_t)(cls->num_params > 0 ? cls->num_params : 1));
    if (!fx->params) {
        free(fx);
        return LATHE_ERR_NO_MEMORY;
    }
    for (int i = 0; i < cls->num_params; i++) {
        double v = params ? params[i] : cls->params[i].def;
        if (lathe_param_check(&cls->params[i], v) != LATHE_OK) {
            free(fx->params);
            free(fx);
            return LATHE_ERR_INVALID_ARGUMENT;
        }
        fx->params[i] = v;
    }
    st = cls->create(setup, fx->params, &fx->state);
    if (st != LATHE_OK) {
        free(fx->params);
        free(fx);
        return st;
    }
    *out = fx;
    return LATHE_OK;
}

void *lathe_fx_state_of(const lathe_fx *fx, const lathe_fx_class *cls)
{
    return fx && fx->cls == cls ? fx->state : NULL;
}

const lathe_fx_class *lathe_fx_get_class(const lathe_fx *fx)
{
    return fx ? fx->cls : NULL;
}

void lathe_fx_set_param(lathe_fx *fx, int id, double value)
{
    if (!fx || id < 0 || id >= fx->cls->num_params || isnan(value))
        return;
    const lathe_param_desc *d = &fx->cls->params[id];
    value = value < d->min ? d->min : value > d->max ? d->max : value;
    if (d->unit == LATHE_UNIT_CHOICE || d->unit == LATHE_UNIT_SWITCH || d->unit == LATHE_UNIT_INTEGER
        || d->unit == LATHE_UNIT_BITS)
        value = floor(value + 0.5);
    fx->params[id] = value;
    if (fx->cls->set_param)
        fx->cls->set_param(fx->state, id, value);
}

double lathe_fx_get_param(const lathe_fx *fx, int id)
{
    return (fx && id >= 0 && id < fx->cls->num_params) ? fx->params[id] : NAN;
}

void lathe_fx_process(lathe_fx *fx, float *const *ch, size_t frames)
{
    fx->cls->process(fx->state, ch, frames);
}

size_t lathe_fx_latency(const lathe_fx *fx)
{
    return fx && fx->cls->latency ? fx->cls->latency(fx->state) : 0;
}

void lathe_fx_reset(lathe_fx *fx)
{
    if (fx && fx->cls->reset)
        fx->cls->reset(fx->state);
}

void lathe_fx_get_stats(const lathe_fx *fx, lathe_fx_stats *out)
{
    memset(out, 0, sizeof *out);
    if (fx && fx->cls->stats)
        fx->cls->stats(fx->state, out);
}

void lathe_fx_destroy(lathe_fx *fx)
{
    if (!fx)
        return;
    fx->cls->destroy(fx->state);
    free(fx->params);
    free(fx);
}
