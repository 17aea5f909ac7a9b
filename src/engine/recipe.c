/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recipes: JSON <-> lathe_recipe, validated against the processors' parameter tables.
 * Every error names the step and the key. Format: docs/recipes.md. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/json_exact.h"
#include "lathe/master.h"

static const char *const dither_names[] = { "none", "tpdf", "shaped", NULL };

static lathe_status fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lathe_status fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return LATHE_ERR_INVALID_ARGUMENT;
}

void lathe_recipe_init(lathe_recipe *r)
{
    memset(r, 0, sizeof *r);
    lathe_target_defaults(&r->target);
    r->seed = 1;
}

void lathe_recipe_free(lathe_recipe *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->steps; i++)
        free(r->step[i].params);
    r->steps = 0;
}

lathe_status lathe_recipe_add(lathe_recipe *r, const char *name, double **params)
{
    const lathe_fx_class *cls = lathe_fx_class_find(name);
    if (!cls || r->steps >= LATHE_RECIPE_MAX_STEPS)
        return LATHE_ERR_INVALID_ARGUMENT;
    double *p = malloc(sizeof(double) * (size_t)(cls->num_params ? cls->num_params : 1));
    if (!p)
        return LATHE_ERR_NO_MEMORY;
    for (int i = 0; i < cls->num_params; i++)
        p[i] = cls->params[i].def;
    r->step[r->steps].cls = cls;
    r->step[r->steps].params = p;
    r->steps++;
    if (params)
        *params = p;
    return LATHE_OK;
}

lathe_status lathe_recipe_set(lathe_recipe *r, int s, const char *key, double value)
{
    if (s < 0 || s >= r->steps)
        return LATHE_ERR_INVALID_ARGUMENT;
    int id = lathe_fx_param_index(r->step[s].cls, key);
    if (id < 0 || lathe_param_check(&r->step[s].cls->params[id], value) != LATHE_OK)
        return LATHE_ERR_INVALID_ARGUMENT;
    r->step[s].params[id] = value;
    return LATHE_OK;
}

int lathe_recipe_find(const lathe_recipe *r, const char *name)
{
    for (int i = r->steps - 1; i >= 0; i--)
        if (!strcmp(r->step[i].cls->name, name))
            return i;
    return -1;
}

/* A JSON value for parameter D: numbers, booleans for switches, names for choices. */
static lathe_status param_value(const lathe_param_desc *d, json_t *v, double *out, char *why,
                                size_t whylen)
{
    if (d->unit == LATHE_UNIT_CHOICE) {
        if (json_is_string(v)) {
            int idx = lathe_param_choice(d, json_string_value(v));
            if (idx >= 0) {
                *out = idx;
                return LATHE_OK;
            }
        }
        size_t off = (size_t)snprintf(why, whylen, "expected one of");
        for (int i = 0; d->choices && d->choices[i] && off < whylen; i++)
            off += (size_t)snprintf(why + off, whylen - off, "%s %s", i ? "," : "", d->choices[i]);
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    if (d->unit == LATHE_UNIT_SWITCH && json_is_boolean(v)) {
        *out = json_is_true(v) ? 1.0 : 0.0;
        return LATHE_OK;
    }
    if (!json_is_number(v)) {
        snprintf(why, whylen, "expected a number%s", d->unit == LATHE_UNIT_SWITCH ? " or boolean" : "");
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    double x = json_number_value(v);
    if (lathe_param_check(d, x) != LATHE_OK) {
        if (x != floor(x) && d->unit != LATHE_UNIT_CHOICE && x >= d->min && x <= d->max)
            snprintf(why, whylen, "%g is not a whole number", x);
        else
            snprintf(why, whylen, "%g is out of range %g..%g %s", x, d->min, d->max,
                     lathe_unit_name(d->unit));
        return LATHE_ERR_INVALID_ARGUMENT;
    }
    *out = x;
    return LATHE_OK;
}

static lathe_status parse_step(lathe_recipe *r, int idx, json_t *obj, char *err, size_t errlen)
{
    json_t *fx = json_object_get(obj, "fx");
    const char *key;
    json_t *v;
    char why[256];

    if (!json_is_object(obj))
        return fail(err, errlen, "step %d: expected an object like {\"fx\": \"gain\", ...}", idx + 1);
    if (!json_is_string(fx))
        return fail(err, errlen, "step %d: missing \"fx\" (the processor name; see 'lathe fx')",
                    idx + 1);
    const char *name = json_string_value(fx);
    if (!lathe_fx_class_find(name))
        return fail(err, errlen, "step %d: unknown processor '%s' (see 'lathe fx')", idx + 1, name);
    if (r->steps >= LATHE_RECIPE_MAX_STEPS)
        return fail(err, errlen, "step %d: more than %d steps", idx + 1, LATHE_RECIPE_MAX_STEPS);
    if (lathe_recipe_add(r, name, NULL) != LATHE_OK)
        return fail(err, errlen, "out of memory");
    lathe_recipe_step *st = &r->step[r->steps - 1];

    json_object_foreach(obj, key, v) {
        if (!strcmp(key, "fx") || !strcmp(key, "comment"))
            continue;
        if (!strcmp(key, "bands") && json_is_array(v)) {
            /* Sugar: element i's keys map to "band{i+1}_KEY". */
            size_t bi;
            json_t *band;
            json_array_foreach(v, bi, band) {
                const char *bkey;
                json_t *bv;
                if (!json_is_object(band))
                    return fail(err, errlen, "step %d (%s): bands[%zu]: expected an object", idx + 1,
                                name, bi);
                json_object_foreach(band, bkey, bv) {
                    char full[128];
                    snprintf(full, sizeof full, "band%zu_%s", bi + 1, bkey);
                    int id = lathe_fx_param_index(st->cls, full);
                    if (id < 0)
                        return fail(err, errlen, "step %d (%s): bands[%zu]: unknown key '%s'",
                                    idx + 1, name, bi, bkey);
                    if (param_value(&st->cls->params[id], bv, &st->params[id], why, sizeof why))
                        return fail(err, errlen, "step %d (%s): bands[%zu].%s: %s", idx + 1, name,
                                    bi, bkey, why);
                }
            }
            continue;
        }
        int id = lathe_fx_param_index(st->cls, key);
        if (id < 0)
            return fail(err, errlen, "step %d (%s): unknown key '%s' (see 'lathe fx %s')", idx + 1,
                        name, key, name);
        if (param_value(&st->cls->params[id], v, &st->params[id], why, sizeof why))
            return fail(err, errlen, "step %d (%s): %s: %s", idx + 1, name, key, why);
    }
    return LATHE_OK;
}

static lathe_status number_or_null(json_t *v, double lo, double hi, double *out)
{
    if (json_is_null(v)) {
        *out = NAN;
        return LATHE_OK;
    }
    if (!json_is_number(v))
        return LATHE_ERR_INVALID_ARGUMENT;
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
        return LATHE_ERR_INVALID_ARGUMENT;
    *out = x;
    return LATHE_OK;
}

static lathe_status parse_target(lathe_target *t, json_t *obj, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    double x;

    if (!json_is_object(obj))
        return fail(err, errlen, "target: expected an object");
    json_t *name = json_object_get(obj, "name");
    if (name) {
        /* "custom" (what lathe_recipe_to_json writes for a target of explicit figures)
         * starts from lathe_target_defaults; the keys below fill it in. */
        if (json_is_string(name) && !strcmp(json_string_value(name), "custom"))
            lathe_target_defaults(t);
        else if (!json_is_string(name)
                 || lathe_target_from_name(json_string_value(name), t) != LATHE_OK)
            return fail(err, errlen, "target: name: unknown target (see 'lathe targets')");
    }
    json_object_foreach(obj, key, v) {
        if (!strcmp(key, "name") || !strcmp(key, "comment"))
            continue;
        if (!strcmp(key, "lufs")) {
            if (number_or_null(v, -70.0, 0.0, &t->lufs))
                return fail(err, errlen, "target: lufs: expected null or a number from -70 to 0");
        } else if (!strcmp(key, "ceiling_dbtp")) {
            if (number_or_null(v, -20.0, 0.0, &t->ceiling_dbtp))
                return fail(err, errlen, "target: ceiling_dbtp: expected null or -20..0");
        } else if (!strcmp(key, "rate_hz")) {
            if (number_or_null(v, 0, 384000, &x) || (!isnan(x) && x != 0 && x < 8000) || x != floor(x))
                return fail(err, errlen, "target: rate_hz: expected 0 (keep) or 8000..384000");
            t->rate_hz = isnan(x) ? 0 : (int)x;
        } else if (!strcmp(key, "bits")) {
            if (!json_is_integer(v) || (json_integer_value(v) != 16 && json_integer_value(v) != 20
                                        && json_integer_value(v) != 24 && json_integer_value(v) != 32))
                return fail(err, errlen, "target: bits: expected 16, 20, 24 or 32 (float)");
            t->bits = (int)json_integer_value(v);
        } else if (!strcmp(key, "format")) {
            static const char *const formats[] = { "", "wav", "flac", "aiff", "w64", "rf64", "caf",
                                                   NULL };
            const char *f = json_is_string(v) ? json_string_value(v) : "?";
            int known = 0;
            for (int i = 0; formats[i]; i++)
                known |= !strcmp(f, formats[i]);
            if (!known)
                return fail(err, errlen, "target: format: expected \"\" (from the file name), "
                            "\"wav\", \"flac\", \"aiff\", \"w64\", \"rf64\" or \"caf\"");
            snprintf(t->container, sizeof t->container, "%s", f);
        } else if (!strcmp(key, "dither")) {
            int d = -1;
            for (int i = 0; json_is_string(v) && dither_names[i]; i++)
                if (!strcmp(json_string_value(v), dither_names[i]))
                    d = i;
            if (d < 0)
                return fail(err, errlen, "target: dither: expected \"none\", \"tpdf\" or \"shaped\"");
            t->dither = (lathe_dither_type)d;
        } else if (!strcmp(key, "max_limiting_db")) {
            if (number_or_null(v, 0.0, 30.0, &x) || isnan(x))
                return fail(err, errlen, "target: max_limiting_db: expected 0..30");
            t->max_limiting_db = x;
        } else {
            return fail(err, errlen, "target: unknown key '%s'", key);
        }
    }
    return LATHE_OK;
}

lathe_status lathe_recipe_parse(const char *text, lathe_recipe *r, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root;
    const char *key;
    json_t *v;
    lathe_status st = LATHE_OK;

    lathe_recipe_init(r);
    root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fail(err, errlen, "line %d: %s", je.line, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(err, errlen, "expected a JSON object");
    }
    json_t *ver = json_object_get(root, "lathe_recipe");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1
        || json_integer_value(ver) > LATHE_RECIPE_VERSION) {
        json_decref(root);
        return fail(err, errlen, "\"lathe_recipe\": expected version %d", LATHE_RECIPE_VERSION);
    }
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "lathe_recipe") || !strcmp(key, "comment") || !strcmp(key, "explanation"))
            continue;
        if (!strcmp(key, "target")) {
            st = parse_target(&r->target, v, err, errlen);
        } else if (!strcmp(key, "seed")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0
                || json_integer_value(v) > 0xffffffffLL)
                st = fail(err, errlen, "seed: expected a whole number 0..4294967295");
            else
                r->seed = (unsigned)json_integer_value(v);
        } else if (!strcmp(key, "chain")) {
            size_t i;
            json_t *s;
            if (!json_is_array(v)) {
                st = fail(err, errlen, "chain: expected an array of steps");
            } else {
                json_array_foreach(v, i, s) {
                    st = parse_step(r, (int)i, s, err, errlen);
                    if (st != LATHE_OK)
                        break;
                }
            }
        } else {
            st = fail(err, errlen, "unknown key '%s'", key);
        }
        if (st != LATHE_OK)
            break;
    }
    json_decref(root);
    if (st != LATHE_OK)
        lathe_recipe_free(r);
    return st;
}

lathe_status lathe_recipe_load(const char *path, lathe_recipe *r, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    lathe_recipe_init(r);
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return LATHE_ERR_OPEN;
    }
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1L << 24) || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        snprintf(err, errlen, "not a readable recipe (larger than 16 MB or not a file)");
        return LATHE_ERR_FORMAT;
    }
    buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return LATHE_ERR_NO_MEMORY;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        snprintf(err, errlen, "read error");
        return LATHE_ERR_READ;
    }
    buf[n] = 0;
    fclose(f);
    lathe_status st = lathe_recipe_parse(buf, r, err, errlen);
    free(buf);
    return st == LATHE_ERR_INVALID_ARGUMENT ? LATHE_ERR_FORMAT : st;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

lathe_status lathe_recipe_to_json(const lathe_recipe *r, char **out)
{
    const lathe_target *t = &r->target;
    json_t *chain = json_array();
    for (int s = 0; s < r->steps; s++) {
        const lathe_fx_class *cls = r->step[s].cls;
        json_t *step = json_object();
        json_object_set_new(step, "fx", json_string(cls->name));
        for (int i = 0; i < cls->num_params; i++) {
            const lathe_param_desc *d = &cls->params[i];
            double v = r->step[s].params[i];
            json_t *jv;
            if (d->unit == LATHE_UNIT_CHOICE && d->choices)
                jv = json_string(d->choices[(int)v]);
            else if (d->unit == LATHE_UNIT_SWITCH)
                jv = json_boolean(v != 0.0);
            else if (d->unit == LATHE_UNIT_INTEGER || d->unit == LATHE_UNIT_BITS)
                jv = json_integer((json_int_t)v);
            else
                jv = json_real(v);
            json_object_set_new(step, d->key, jv);
        }
        json_array_append_new(chain, step);
    }
    json_t *root = json_pack("{s:i, s:{s:s, s:o, s:o, s:i, s:i, s:s, s:s, s:f}, s:I, s:o}",
                             "lathe_recipe", LATHE_RECIPE_VERSION,
                             "target", "name", t->name, "lufs", num_or_null(t->lufs),
                             "ceiling_dbtp", num_or_null(t->ceiling_dbtp), "rate_hz", t->rate_hz,
                             "bits", t->bits, "format", t->container,
                             "dither", dither_names[t->dither], "max_limiting_db",
                             t->max_limiting_db, "seed", (json_int_t)r->seed, "chain", chain);
    if (!root)
        return LATHE_ERR_NO_MEMORY;
    *out = lathe_json_dumps_exact(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return *out ? LATHE_OK : LATHE_ERR_NO_MEMORY;
}
