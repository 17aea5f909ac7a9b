#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# docs/processors.md and docs/targets.md are generated from the parameter tables and the
# targets table; this fails when they drift from the code. To refresh them:
#   build/lathe fx --markdown > docs/processors.md
#   build/lathe targets --markdown > docs/targets.md
set -uo pipefail
pass=0; fail=0
for pair in "fx:processors.md" "targets:targets.md"; do
    cmd=${pair%%:*}; doc=${pair#*:}
    if "$LATHE_BIN" "$cmd" --markdown | diff -u "$LATHE_SOURCE/docs/$doc" - > /tmp/lathe-docs-diff.$$; then
        pass=$((pass + 1))
    else
        echo "FAIL: docs/$doc is out of date with 'lathe $cmd --markdown':"
        head -20 /tmp/lathe-docs-diff.$$
        fail=$((fail + 1))
    fi
done
rm -f /tmp/lathe-docs-diff.$$
# Every processor's parameter has a unit-bearing key and a description.
"$LATHE_BIN" fx --markdown | awk -F'|' '/^\| `/ { if (length($6) < 12) { print "short description: " $2; bad = 1 } } END { exit bad }' \
    && pass=$((pass + 1)) || { echo "FAIL: a parameter lacks a description"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
