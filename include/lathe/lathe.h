/* SPDX-License-Identifier: GPL-3.0-or-later */
/* liblathe: audio mastering library. Include this one header for the whole API. */
#ifndef LATHE_H
#define LATHE_H

#include <lathe/version.h>
#include "status.h"
#include "io.h"
#include "analysis.h"
#include "fx.h"
#include "output.h"
#include "master.h"
#include "report.h"
#include "assist.h"

#endif
