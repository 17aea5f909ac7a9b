#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lathe master --auto on real music, graded by tools that share no code with lathe.
#
# The balanced master: pingus-9 (pingus-data, rendered by ffmpeg/libopenmpt), brought to
# the 'balanced' target curve's broad shape by ffmpeg (bass +15 dB, treble +17 dB
# shelves) and an exact +1.2 dB/decade tilt (tests/lib/tilt.py, numpy FFT), then mastered
# to about -11 LUFS with a -1 dBTP ceiling (lathe's default chain). Checks, with
# tests/lib/spectral_distance.py (ffmpeg + numpy 1/3-octave spectra, loudness-aligned):
#   1. the balanced master through --auto (spotify: -14 LUFS) changes by less than 1 dB
#      in every 1/3-octave band from 40 Hz to 16 kHz;
#   2. the master given an exact +4 dB/decade tilt (tilt.py) comes back through --auto
#      within 1 dB per band of the untilted master (and was more than 2 dB off before);
#   3. a +10 dB, Q 10 resonance at 2.5 kHz (ffmpeg equalizer) is cut: the recipe holds a
#      cut within 1/6 octave of 2.5 kHz and the 2.5 kHz band falls by 1 dB or more;
#   4. --amount 0 leaves only the limiter (no EQ, stereo, de-esser or compressor step);
#   5. the written recipe (with its explanation) reproduces the tilted case bit for bit.
# Skips (77) without ffmpeg, libopenmpt, pingus-data or numpy.
set -u

: "${LATHE_BIN:?LATHE_BIN must point to the lathe binary}"
music=${LATHE_MUSIC_DIR:-/usr/share/games/pingus/data/music}
src=${LATHE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
yard=$src/tests/lib/spectral_distance.py
tilt=$src/tests/lib/tilt.py

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "SKIP: ffmpeg is not installed (scripts/deps.sh installs it)"
    exit 77
fi
if [ ! -r "$music/pingus-9.it" ]; then
    echo "SKIP: no tracker music in $music (Debian package pingus-data; scripts/deps.sh)"
    exit 77
fi
py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: python3 with numpy is needed (Debian python3-numpy; scripts/deps.sh)"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lathe-auto-music.XXXXXX")
trap 'rm -rf "$work"' EXIT

secs=60
[ "${LATHE_SANITIZED:-0}" = 1 ] && secs=30

if ! ffmpeg -nostdin -hide_banner -loglevel error -y -sample_rate 44100 -i "$music/pingus-9.it" \
    -t "$secs" -af "highpass=f=15,bass=g=15:f=110:w=0.6,treble=g=17:f=9000:w=0.6,volume=-8dB" \
    -c:a pcm_f32le "$work/eq.wav" 2>"$work/probe.err"; then
    echo "SKIP: ffmpeg cannot decode tracker modules (no libopenmpt?):"
    cat "$work/probe.err"
    exit 77
fi

fail=0
die() {
    echo "FAIL: $*"
    fail=1
}

# worst FILE REF: the largest per-band difference (loudness-aligned), dB
worst() {
    "$py" "$yard" "$1" "$2" | cut -d' ' -f4
}
# below A B: exit 0 if A < B
below() {
    [ -n "$1" ] && "$py" -c "import sys; sys.exit(0 if $1 < $2 else 1)"
}

set -e
"$py" "$tilt" "$work/eq.wav" "$work/eq2.wav" 1.2
"$LATHE_BIN" master "$work/eq2.wav" --lufs -11 --max-limiting 12 --bits 32 -o "$work/bal.wav" \
    >"$work/bal.log" 2>&1
"$py" "$tilt" "$work/bal.wav" "$work/tilted.wav" 4
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/bal.wav" \
    -af "equalizer=f=2500:t=q:w=10:g=10" -c:a pcm_f32le "$work/res.wav"
set +e

# 1. balanced: nearly unchanged
if "$LATHE_BIN" master "$work/bal.wav" --auto --bits 32 -o "$work/a1.wav" >"$work/a1.log" 2>&1; then
    w=$(worst "$work/a1.wav" "$work/bal.wav")
    echo "balanced master through --auto: largest band change $w dB"
    below "$w" 1.0 || { die "balanced master changed by $w dB in a band (limit 1 dB)"; cat "$work/a1.log"; }
else
    die "lathe master --auto failed on the balanced master"
    cat "$work/a1.log"
fi

# 2. tilted: back within 1 dB of the original
w0=$(worst "$work/tilted.wav" "$work/bal.wav")
if "$LATHE_BIN" master "$work/tilted.wav" --auto --bits 32 -o "$work/a2.wav" \
    --write-recipe "$work/a2.json" --explain "$work/a2.txt" >"$work/a2.log" 2>&1; then
    w=$(worst "$work/a2.wav" "$work/bal.wav")
    echo "+4 dB/decade tilt: largest band difference $w0 dB before --auto, $w dB after"
    below 2.0 "$w0" || die "the tilt did not change the spectrum enough to test ($w0 dB)"
    below "$w" 1.0 || { die "tilted master came back $w dB off in a band (limit 1 dB)"; cat "$work/a2.log"; }
    grep -q "tilt" "$work/a2.txt" || die "the explanation does not mention the tilt"
    grep -q '"explanation"' "$work/a2.json" || die "the recipe has no explanation"
    # 5. the recipe reproduces it
    if "$LATHE_BIN" master "$work/tilted.wav" --recipe "$work/a2.json" -o "$work/a2b.wav" \
        >"$work/a2b.log" 2>&1; then
        cmp -s "$work/a2.wav" "$work/a2b.wav" || die "the --auto recipe does not reproduce the master bit for bit"
    else
        die "lathe master --recipe (the --auto recipe) failed"
        cat "$work/a2b.log"
    fi
else
    die "lathe master --auto failed on the tilted master"
    cat "$work/a2.log"
fi

# 3. resonance
if "$LATHE_BIN" master "$work/res.wav" --auto --bits 32 -o "$work/a3.wav" \
    --write-recipe "$work/a3.json" >"$work/a3.log" 2>&1; then
    cut=$("$py" - "$work/a3.json" <<'EOF'
import json, math, sys
r = json.load(open(sys.argv[1]))
best = None
for s in r["chain"]:
    if s["fx"] != "eq":
        continue
    for b in range(1, 9):
        t, f, g = s["band%d_type" % b], s["band%d_freq_hz" % b], s["band%d_gain_db" % b]
        if t == "bell" and abs(math.log2(f / 2500.0)) <= 1 / 6 and g <= -1.0:
            best = (f, g) if best is None or g < best[1] else best
print("%.1f %.2f" % best if best else "")
EOF
)
    drop=$("$py" "$yard" --bands "$work/a3.wav" "$work/res.wav" | awk '$1 == 2511.9 { print $2 }')
    echo "resonance at 2.5 kHz: recipe cut '$cut' (Hz dB), 2.5 kHz band changed by $drop dB"
    [ -n "$cut" ] || die "no cut within 1/6 octave of 2.5 kHz in the recipe"
    below "$drop" -1.0 || die "the 2.5 kHz band fell by less than 1 dB ($drop)"
else
    die "lathe master --auto failed on the resonant master"
    cat "$work/a3.log"
fi

# 4. amount 0: only the limiter
if "$LATHE_BIN" master "$work/tilted.wav" --auto --amount 0 --bits 32 -o "$work/a4.wav" \
    --write-recipe "$work/a4.json" >"$work/a4.log" 2>&1; then
    chain=$("$py" -c 'import json,sys; print(" ".join(s["fx"] for s in json.load(open(sys.argv[1]))["chain"]))' "$work/a4.json")
    echo "--amount 0 chain: $chain"
    [ "$chain" = "limiter" ] || die "--amount 0 left more than the limiter: $chain"
else
    die "lathe master --auto --amount 0 failed"
    cat "$work/a4.log"
fi

[ $fail -eq 0 ] && echo "auto on real music: all checks passed"
exit $fail
