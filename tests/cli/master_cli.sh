#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lathe master as a user runs it: the saved recipe reproduces the master bit for bit;
# every failure is one stderr line naming the file, with the documented exit code, and
# leaves no output (or temporary) file; inputs are never touched; stderr stays quiet when
# it is not a terminal; with no compressor the loudness range is kept within 0.2 LU.
set -uo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

"$LATHE_TOOLS/lathe_demo_mix" "$tmp/mix.wav" >/dev/null || { echo "demo mix tool failed"; exit 1; }
sum_before=$(md5sum < "$tmp/mix.wav")

# Bit-for-bit reproduction from the written recipe; quiet stderr when not a terminal.
"$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/a.flac" --bits 16 --write-recipe "$tmp/r.json" \
    >/dev/null 2>"$tmp/err" && ok || bad "first master failed: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] && ok || bad "stderr not quiet: $(cat "$tmp/err")"
"$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/b.flac" --recipe "$tmp/r.json" >/dev/null 2>&1 \
    && ok || bad "master from recipe failed"
cmp -s "$tmp/a.flac" "$tmp/b.flac" && ok || bad "recipe does not reproduce the master bit for bit"
command -v metaflac >/dev/null && { [ "$(metaflac --show-bps "$tmp/a.flac")" = 16 ] && ok || bad "FLAC not 16-bit"; }

expect() { # code description command...
    local want=$1 what=$2; shift 2
    "$@" >/dev/null 2>"$tmp/err"; local got=$?
    local lines; lines=$(wc -l < "$tmp/err")
    if [ "$got" -ne "$want" ]; then bad "$what: exit $got, want $want ($(cat "$tmp/err"))"; return; fi
    if [ "$lines" -ne 1 ]; then bad "$what: $lines stderr lines: $(cat "$tmp/err")"; return; fi
    grep -q '^lathe: ' "$tmp/err" && ok || bad "$what: message not prefixed: $(cat "$tmp/err")"
}
expect 5 "existing output" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/a.flac"
grep -q "a.flac" "$tmp/err" && ok || bad "existing-output message does not name the file"
cmp -s "$tmp/a.flac" "$tmp/b.flac" && ok || bad "refused output was modified"
expect 5 "input as output" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/mix.wav" --force
expect 3 "missing input" "$LATHE_BIN" master "$tmp/nope.wav" -o "$tmp/c.wav"
grep -q "nope.wav" "$tmp/err" && ok || bad "missing-input message does not name the file"
printf 'not audio\n' > "$tmp/text.wav"
expect 3 "text file as input" "$LATHE_BIN" master "$tmp/text.wav" -o "$tmp/c.wav"
echo '{"lathe_recipe": 1, "chain": [{"fx": "compressor", "ratio": 0.5}]}' > "$tmp/bad.json"
expect 2 "bad recipe" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/c.wav" --recipe "$tmp/bad.json"
grep -q "step 1 (compressor): ratio" "$tmp/err" && ok || bad "recipe error does not name step and key: $(cat "$tmp/err")"
expect 2 "bad option value" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/c.wav" --lufs loud
expect 2 "unknown target" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/c.wav" --target myspace
expect 2 "no output" "$LATHE_BIN" master "$tmp/mix.wav"
expect 2 "unknown extension" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/c.xyz"
expect 6 "strict, unreachable" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/c.wav" --lufs -4 --max-limiting 2 --strict
expect 5 "output directory missing" "$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/no/such/dir/c.wav"
# NaN samples in the input: exit 4, nothing written.
python3 - "$tmp/nan.wav" <<'PY'
import struct, sys, math
n = 48000
data = b"".join(struct.pack("<f", math.sin(i * 0.05) * 0.5 if i != 1000 else float("nan")) for i in range(n))
hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 3, 1, 48000, 192000, 4, 32)
open(sys.argv[1], "wb").write(hdr + b"data" + struct.pack("<I", len(data)) + data)
PY
expect 4 "NaN input" "$LATHE_BIN" master "$tmp/nan.wav" -o "$tmp/c.wav"
ls "$tmp" | grep -qE '^c\.|lathe-' && bad "a failed run left a file: $(ls -a "$tmp")" || ok

# A full disk: exit 5, one line, and nothing left under the final name nor a temporary
# file. A 256 KiB tmpfs in a private mount namespace (root only).
mkdir -p "$tmp/small"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    unshare -m sh -c "mount -t tmpfs -o size=256k tmpfs '$tmp/small' && \
        '$LATHE_BIN' master '$tmp/mix.wav' -o '$tmp/small/x.wav' >/dev/null 2>'$tmp/err'; \
        echo \$? > '$tmp/code'; ls -A '$tmp/small' > '$tmp/left'"
    [ "$(cat "$tmp/code")" = 5 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && ok \
        || bad "full disk: exit $(cat "$tmp/code"), stderr: $(cat "$tmp/err")"
    [ ! -s "$tmp/left" ] && ok || bad "full disk left files: $(cat "$tmp/left")"
    grep -qi "space" "$tmp/err" && ok || bad "full disk message does not say why: $(cat "$tmp/err")"
else
    echo "(full-disk check skipped: needs root and unshare)"
fi

# Not strict: written, with a note on stderr saying how far short and why; exit 0.
"$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/d.wav" --lufs -4 --max-limiting 2 >"$tmp/out" 2>"$tmp/err"
code=$?
[ $code -eq 0 ] && [ -s "$tmp/d.wav" ] && ok || bad "short target: exit $code"
grep -q "limiting" "$tmp/out" && grep -q "target not met" "$tmp/err" && ok || bad "shortfall not explained: $(cat "$tmp/out" "$tmp/err")"

# No compressor: LRA kept within 0.2 LU when the limiter barely works.
echo '{"lathe_recipe": 1, "target": {"name": "apple"}, "chain": [{"fx": "limiter"}]}' > "$tmp/lim.json"
"$LATHE_BIN" master "$tmp/mix.wav" -o "$tmp/e.wav" --recipe "$tmp/lim.json" --json > "$tmp/e.json" 2>/dev/null
python3 - "$tmp/e.json" <<'PY' && ok || bad "LRA not kept"
import json, sys
d = json.load(open(sys.argv[1]))
lb, la = d["input"]["loudness"]["loudness_range_lu"], d["output"]["loudness"]["loudness_range_lu"]
gr = d["master"]["limiter_gr_mean_db"]
print(f"LRA {lb:.2f} -> {la:.2f} LU with {d['master']['limiter_gr_max_db']:.2f} dB peak / {gr:.3f} dB mean limiting")
sys.exit(0 if abs(la - lb) <= 0.2 else 1)
PY

[ "$(md5sum < "$tmp/mix.wav")" = "$sum_before" ] && ok || bad "the input was modified"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
