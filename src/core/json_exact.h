/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON text whose numbers read back exactly, in as few digits as that takes. */
#ifndef LATHE_CORE_JSON_EXACT_H
#define LATHE_CORE_JSON_EXACT_H

#include <jansson.h>

/* json_dumps(J, FLAGS) with the fewest significant digits (15, 16 or 17) for which every
 * real in J reads back as the same double: 97.6 prints as 97.6, not 97.599999999999994,
 * and nothing is rounded. Caller frees; NULL if out of memory. */
char *lathe_json_dumps_exact(const json_t *j, size_t flags);

#endif
