/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Explanations of assisted decisions: a list of (aspect, measurement, rule, action),
 * rendered as plain text or as the "explanation" array of a recipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/json_exact.h"
#include "lathe/assist.h"

void lathe_explanation_init(lathe_explanation *e)
{
    memset(e, 0, sizeof *e);
}

void lathe_explanation_free(lathe_explanation *e)
{
    if (!e)
        return;
    free(e->d);
    memset(e, 0, sizeof *e);
}

lathe_status lathe_explanation_add(lathe_explanation *e, const char *aspect, int acted,
                                   const char *measured, const char *rule, const char *action)
{
    if (!e)
        return LATHE_OK;
    if (e->count == e->cap) {
        int cap = e->cap ? 2 * e->cap : 16;
        lathe_decision *d = realloc(e->d, sizeof *d * (size_t)cap);
        if (!d)
            return LATHE_ERR_NO_MEMORY;
        e->d = d;
        e->cap = cap;
    }
    lathe_decision *d = &e->d[e->count++];
    memset(d, 0, sizeof *d);
    snprintf(d->aspect, sizeof d->aspect, "%s", aspect ? aspect : "");
    snprintf(d->measured, sizeof d->measured, "%s", measured ? measured : "");
    snprintf(d->rule, sizeof d->rule, "%s", rule ? rule : "");
    snprintf(d->action, sizeof d->action, "%s", action ? action : "");
    d->acted = acted;
    return LATHE_OK;
}

/* "aspect: measured [rule] -> action" on one line. */
static int one_line(const lathe_decision *d, char *buf, size_t len)
{
    return snprintf(buf, len, "%s: %s%s%s%s -> %s", d->aspect, d->measured,
                    d->rule[0] ? " [" : "", d->rule, d->rule[0] ? "]" : "",
                    d->acted ? d->action : (d->action[0] ? d->action : "no change"));
}

lathe_status lathe_explanation_text(const lathe_explanation *e, char **out)
{
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    if (!s)
        return LATHE_ERR_NO_MEMORY;
    s[0] = 0;
    for (int i = 0; e && i < e->count; i++) {
        const lathe_decision *d = &e->d[i];
        char line[1200];
        int n = snprintf(line, sizeof line, "%s %s\n    measured: %s\n%s%s%s    %s: %s\n",
                         d->acted ? "*" : "-", d->aspect, d->measured,
                         d->rule[0] ? "    rule:     " : "", d->rule, d->rule[0] ? "\n" : "",
                         d->acted ? "action" : "result", d->action[0] ? d->action : "no change");
        if (n < 0)
            continue;
        if (len + (size_t)n + 1 > cap) {
            while (len + (size_t)n + 1 > cap)
                cap *= 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return LATHE_ERR_NO_MEMORY;
            }
            s = t;
        }
        memcpy(s + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    *out = s;
    return LATHE_OK;
}

lathe_status lathe_recipe_to_json_explained(const lathe_recipe *r, const lathe_explanation *e,
                                            char **out)
{
    char *plain = NULL;
    lathe_status st = lathe_recipe_to_json(r, &plain);
    if (st != LATHE_OK)
        return st;
    if (!e || e->count == 0) {
        *out = plain;
        return LATHE_OK;
    }
    json_error_t je;
    json_t *root = json_loads(plain, 0, &je);
    free(plain);
    if (!root)
        return LATHE_ERR_INTERNAL;
    json_t *arr = json_array();
    for (int i = 0; i < e->count; i++) {
        char line[1200];
        one_line(&e->d[i], line, sizeof line);
        json_array_append_new(arr, json_string(line));
    }
    /* after "lathe_recipe", so a reader sees why before what */
    json_t *ordered = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        json_object_set(ordered, key, v);
        if (!strcmp(key, "lathe_recipe"))
            json_object_set(ordered, "explanation", arr);
    }
    json_decref(arr);
    json_decref(root);
    *out = lathe_json_dumps_exact(ordered, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(ordered);
    return *out ? LATHE_OK : LATHE_ERR_NO_MEMORY;
}
