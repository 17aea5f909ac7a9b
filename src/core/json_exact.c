/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exact JSON numbers in the fewest digits (see json_exact.h). */
#include <stdlib.h>
#include "core/json_exact.h"

char *lathe_json_dumps_exact(const json_t *j, size_t flags)
{
    for (int digits = 15; digits < 17; digits++) {
        char *s = json_dumps(j, flags | JSON_REAL_PRECISION(digits));
        if (!s)
            return NULL;
        json_t *back = json_loads(s, JSON_DECODE_ANY, NULL);
        const int same = back && json_equal((json_t *)j, back);
        json_decref(back);
        if (same)
            return s;
        free(s);
    }
    return json_dumps(j, flags | JSON_REAL_PRECISION(17));  /* always exact for doubles */
}
