#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `make install PREFIX=DIR` gives a usable installation: DIR/bin/lathe runs, and a
# program built against the headers with the installed pkg-config file (shared and
# static) analyses a file and agrees with the CLI.
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f "$LATHE_TOOLS/cmake_install.cmake" ] || { echo "no build dir to install from"; exit 77; }
cmake --install "$LATHE_TOOLS" --prefix "$tmp/prefix" > "$tmp/install.log"
pc="$(dirname "$(find "$tmp/prefix" -name lathe.pc | head -1)")"
[ -n "$pc" ] || { echo "FAIL: no lathe.pc installed"; exit 1; }
"$tmp/prefix/bin/lathe" --version | grep -q '^lathe [0-9]' || { echo "FAIL: installed lathe"; exit 1; }
cat > "$tmp/use.c" <<'C'
#include <lathe/lathe.h>
#include <stdio.h>
int main(int argc, char **argv) {
    lathe_analysis a; char err[256];
    if (argc < 2 || lathe_analyze_file(argv[1], NULL, &a, err, sizeof err, NULL, NULL)) return 1;
    printf("%.4f\n", a.integrated_lufs);
    lathe_analysis_free(&a);
    return 0;
}
C
export PKG_CONFIG_PATH="$pc"
# A sanitized build installs a sanitized library: link the program the same way.
san=""
[ "${LATHE_SANITIZED:-0}" = 1 ] && san="-fsanitize=address,undefined"
cc $san "$tmp/use.c" -o "$tmp/use" $(pkg-config --cflags --libs lathe) -Wl,-rpath,"$(pkg-config --variable=libdir lathe)"
# liblathe.a with its dependencies (Requires.private) linked as shared libraries.
cc $san "$tmp/use.c" -o "$tmp/use-static" $(pkg-config --cflags lathe) "$(pkg-config --variable=libdir lathe)/liblathe.a" \
    $(pkg-config --libs $(pkg-config --print-requires-private lathe | cut -d' ' -f1)) -lm
"$LATHE_TOOLS/lathe_demo_mix" "$tmp/mix.wav" > /dev/null
cli=$("$tmp/prefix/bin/lathe" analyze --json "$tmp/mix.wav" | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["loudness"]["integrated_lufs"])')
shared=$("$tmp/use" "$tmp/mix.wav"); static=$("$tmp/use-static" "$tmp/mix.wav")
echo "cli $cli, shared $shared, static $static"
[ "$cli" = "$shared" ] && [ "$cli" = "$static" ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
