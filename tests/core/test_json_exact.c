/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lathe_json_dumps_exact: every real reads back as the same double (strtod, bit for bit)
 * and takes no more digits than that needs: 97.6 prints as 97.6 (%.17g gives
 * 97.599999999999994), 0.1 + 0.2 keeps its 17 digits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/json_exact.h"
#include "testutil.h"

int main(void)
{
    const double values[] = { 97.6, -11.02, 0.707, 73.1, 0.1 + 0.2, 1.0 / 3.0, 1e-300, -2.5e300,
                              12345678.9, 0.0, 4.0, 2.0 / 3.0 * 1e-7 };
    const size_t n = sizeof values / sizeof values[0];
    int exact = 1;
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_real(values[i]);
        char *s = lathe_json_dumps_exact(j, JSON_ENCODE_ANY);
        double back = s ? strtod(s, NULL) : -1.0;
        if (!s || memcmp(&back, &values[i], sizeof back)) {
            exact = 0;
            fprintf(stderr, "%.17g printed as %s\n", values[i], s ? s : "(null)");
        }
        printf("%.17g -> %s\n", values[i], s ? s : "(null)");
        if (i == 0)
            CHECK(s && !strcmp(s, "97.6"), "97.6 printed as %s", s ? s : "(null)");
        if (i == 4)
            CHECK(s && !strcmp(s, "0.30000000000000004"), "0.1 + 0.2 printed as %s", s ? s : "(null)");
        free(s);
        json_decref(j);
    }
    CHECK(exact, "every real reads back as the same double");
    /* a document: the digits suit the value that needs most */
    json_t *doc = json_pack("{s:f, s:f, s:[f, f]}", "a", 97.6, "b", 0.707, "c", 0.1 + 0.2, 1.5);
    char *s = lathe_json_dumps_exact(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *back = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(back && json_equal(doc, back), "a document reads back equal: %s", s ? s : "(null)");
    printf("document: %s\n", s ? s : "(null)");
    json_decref(back);
    json_decref(doc);
    free(s);
    return test_summary();
}
