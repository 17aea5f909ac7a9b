#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The AVX2 function clones (src/dsp/simd.h) and the baseline build compute the same
# results bit for bit: analyse several signals with both binaries and compare the JSON,
# master one (default chain, --auto, and a loud target that makes the limiter work over
# several passes) and compare the files, and match one to another (the EQ's pipelined
# kernels on stereo and side bands; on a CPU with AVX-512 they run their own x86-64-v4
# variants, src/dsp/eq_band.c, which the baseline build never has).
set -euo pipefail
plain="$(dirname "$LATHE_BIN")/lathe_plain"
[ -x "$plain" ] || { echo "lathe_plain not built"; exit 1; }
if ! grep -q avx2 /proc/cpuinfo; then echo "no AVX2 on this CPU: the clones are not used"; exit 77; fi
clones=$(nm "$LATHE_BIN" | grep -c '\.avx2' || true)
if [ "$clones" -eq 0 ]; then echo "no AVX2 clones in this build (clang/sanitizer)"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v ffmpeg >/dev/null || { echo "ffmpeg missing"; exit 77; }
ffmpeg -hide_banner -loglevel error -f lavfi -i "anoisesrc=color=pink:sample_rate=44100:duration=20:amplitude=0.5:seed=3" \
    -f lavfi -i "sine=frequency=57:sample_rate=44100:duration=20" \
    -filter_complex "[0][1]amerge=inputs=2,pan=stereo|c0=0.8*c0+0.4*c1|c1=0.5*c0+0.5*c1" -c:a pcm_f32le "$tmp/a.wav"
ffmpeg -hide_banner -loglevel error -f lavfi -i "anoisesrc=color=white:sample_rate=96000:duration=8:amplitude=0.9:seed=5" \
    -ac 1 -c:a pcm_s24le "$tmp/b.wav"
"$LATHE_TOOLS/lathe_demo_mix" "$tmp/c.wav" >/dev/null
fail=0; pass=0
for f in a b c; do
    "$LATHE_BIN" analyze --json "$tmp/$f.wav" | sed 's/"lathe_version".*//' > "$tmp/$f.fast"
    "$plain" analyze --json "$tmp/$f.wav" | sed 's/"lathe_version".*//' > "$tmp/$f.plain"
    if cmp -s "$tmp/$f.fast" "$tmp/$f.plain"; then
        echo "ok: $f.wav identical ($(wc -c < "$tmp/$f.fast") bytes of JSON)"
        pass=$((pass + 1))
    else
        echo "FAIL: $f.wav differs between the AVX2 clones and the baseline build"
        diff "$tmp/$f.fast" "$tmp/$f.plain" | head -10
        fail=$((fail + 1))
    fi
done
for args in "--lufs -14" "--auto --lufs -9 --max-limiting 12" "--lufs -8 --max-limiting 15 --bits 32"; do
    # shellcheck disable=SC2086
    "$LATHE_BIN" master "$tmp/a.wav" -o "$tmp/m.fast.wav" -y $args >/dev/null
    # shellcheck disable=SC2086
    "$plain" master "$tmp/a.wav" -o "$tmp/m.plain.wav" -y $args >/dev/null
    if cmp -s "$tmp/m.fast.wav" "$tmp/m.plain.wav"; then
        echo "ok: master $args identical"
        pass=$((pass + 1))
    else
        echo "FAIL: master $args differs between the AVX2 clones and the baseline build"
        fail=$((fail + 1))
    fi
done
grep -q avx512vl /proc/cpuinfo && echo "this CPU has AVX-512: the EQ runs its x86-64-v4 kernels"
"$LATHE_BIN" match "$tmp/a.wav" --reference "$tmp/c.wav" -o "$tmp/q.fast.wav" -y >/dev/null
"$plain" match "$tmp/a.wav" --reference "$tmp/c.wav" -o "$tmp/q.plain.wav" -y >/dev/null
if cmp -s "$tmp/q.fast.wav" "$tmp/q.plain.wav"; then
    r="$tmp/q.fast.wav.recipe.json"
    echo "ok: match identical ($(grep -c '"fx": "eq"' "$r") eq steps, $(grep -c '_channels": "side"' "$r") side bands)"
    pass=$((pass + 1))
else
    echo "FAIL: match differs between the fast and the baseline build"
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
