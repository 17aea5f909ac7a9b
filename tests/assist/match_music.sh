#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lathe match on real music, graded by tools that share no code with lathe.
#
# Material: tracker modules from Debian's pingus-data rendered by ffmpeg (libopenmpt).
# "Unmastered-like" mixes: one track EQ-ed and turned down by ffmpeg; "mastered"
# references: another track EQ-ed, compressed and limited by ffmpeg (equalizer,
# acompressor, alimiter). Pairs:
#   1  pingus-3 mix  / pingus-9 reference resampled to 48 kHz (another rate)
#   2  pingus-3 mix  / pingus-6 reference
#   3  pair 2's mix  / pair 2's reference folded to mono at 48 kHz, 24-bit (another
#      channel count and rate; its loudness counted as heard, dual mono)
# Checks per pair, with tests/lib/spectral_distance.py (ffmpeg + numpy Welch 1/3-octave
# spectra, loudness-aligned) and libebur128 (tools/lathe_ref_ebur128; ffmpeg's ebur128
# when that tool is missing):
#   - mean |dB| difference of the output's 1/3-octave spectrum from the reference's over
#     40 Hz-16 kHz < 1.3 dB (and smaller than the mix's own distance);
#   - integrated loudness within 0.2 LU of the reference's;
#   - `lathe master MIX --recipe THE_WRITTEN_RECIPE` reproduces the output bit for bit.
# Near-mono: a mix folded to 1 % side (side/mid about -40 dB) matched to a wide reference
# keeps its side within 6.5 dB of where it was (the EQ bound; no widening of a near-mono
# mix). Skips (77) without ffmpeg, libopenmpt, pingus-data or numpy.
set -u

: "${LATHE_BIN:?LATHE_BIN must point to the lathe binary}"
music=${LATHE_MUSIC_DIR:-/usr/share/games/pingus/data/music}
src=${LATHE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
yard=$src/tests/lib/spectral_distance.py

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "SKIP: ffmpeg is not installed (scripts/deps.sh installs it)"
    exit 77
fi
if [ ! -r "$music/pingus-3.it" ]; then
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
ebur=""
if [ -n "${LATHE_TOOLS:-}" ] && [ -x "$LATHE_TOOLS/lathe_ref_ebur128" ]; then
    ebur=$LATHE_TOOLS/lathe_ref_ebur128
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lathe-match-music.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Seconds per track; shorter under ASan/UBSan, which runs lathe ~3-10x slower.
secs=60
[ "${LATHE_SANITIZED:-0}" = 1 ] && secs=30

# render OUT SOURCE START FILTERS [ffmpeg output options...]
render() {
    local out=$1 src=$2 start=$3 af=$4
    shift 4
    ffmpeg -nostdin -hide_banner -loglevel error -y -sample_rate 44100 -i "$music/$src" \
        -ss "$start" -t "$secs" -af "$af" "$@" "$work/$out"
}

MIX_A="equalizer=f=300:t=q:w=1:g=3,highshelf=f=6000:g=-4,volume=-8dB"
MIX_B="lowshelf=f=120:g=-4,equalizer=f=2500:t=q:w=1.5:g=3,volume=-10dB"
REF_A="equalizer=f=60:t=q:w=1:g=4,highshelf=f=10000:g=3,acompressor=threshold=-20dB:ratio=4:attack=5:release=80:makeup=4dB,volume=5dB,alimiter=limit=0.9:level=false:attack=5:release=50"
REF_B="lowshelf=f=150:g=2,equalizer=f=3000:t=q:w=2:g=2,acompressor=threshold=-18dB:ratio=2.5:attack=20:release=150:makeup=3dB,volume=6dB,alimiter=limit=0.95:level=false:attack=3:release=60"

if ! render probe.wav pingus-3.it 0 "volume=0dB" -t 1 -c:a pcm_s16le 2>"$work/probe.err"; then
    echo "SKIP: ffmpeg cannot decode tracker modules (no libopenmpt?):"
    cat "$work/probe.err"
    exit 77
fi

set -e
render mix1.wav pingus-3.it 0 "$MIX_B" -c:a pcm_f32le
render ref1.wav pingus-9.it 0 "$REF_A" -ar 48000 -c:a pcm_s24le
render mix2.wav pingus-3.it 20 "$MIX_A" -c:a pcm_f32le
render ref2.wav pingus-6.it 20 "$REF_B" -c:a pcm_f32le
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/ref2.wav" -ac 1 -ar 48000 \
    -c:a pcm_s24le "$work/ref3.wav"
cp "$work/mix2.wav" "$work/mix3.wav"
# near-mono: 1 % of the side left
render mono.wav pingus-5.it 0 "pan=stereo|c0=0.505*c0+0.495*c1|c1=0.495*c0+0.505*c1,volume=-6dB" \
    -c:a pcm_f32le
set +e

fail=0
# loudness FILE: integrated loudness as heard (mono + 3.01 dB), libebur128 or ffmpeg
loudness() {
    if [ -n "$ebur" ]; then
        "$ebur" "$1" | "$py" -c '
import sys, subprocess
d = dict(l.split()[:2] for l in sys.stdin if l.strip())
ch = int(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                         "stream=channels", "-of", "csv=p=0", sys.argv[1]],
                        capture_output=True, text=True).stdout.strip())
print("%.3f" % (float(d["integrated_lufs"]) + (3.0103 if ch == 1 else 0.0)))' "$1"
    else
        "$py" "$yard" "$1" "$1" | cut -d' ' -f2
    fi
}

for n in 1 2 3; do
    mix=$work/mix$n.wav ref=$work/ref$n.wav out=$work/out$n.wav
    if ! "$LATHE_BIN" match "$mix" --reference "$ref" -o "$out" >"$work/log$n" 2>&1; then
        echo "FAIL pair $n: lathe match exited $?:"
        cat "$work/log$n"
        fail=1
        continue
    fi
    read -r before _ <<<"$("$py" "$yard" "$mix" "$ref")"
    read -r dist _ _ worst <<<"$("$py" "$yard" "$out" "$ref")"
    lo=$(loudness "$out")
    lr=$(loudness "$ref")
    if [ -z "$before" ] || [ -z "$dist" ] || [ -z "$lo" ] || [ -z "$lr" ]; then
        echo "FAIL pair $n: the yardstick could not measure the files"
        fail=1
        continue
    fi
    verdict=$("$py" -c "
d, b, lo, lr = $dist, $before, $lo, $lr
bad = []
if not d < 1.3: bad.append('spectral distance %.3f dB is not under 1.3' % d)
if not d < b: bad.append('no closer than the mix (%.3f dB)' % b)
if not abs(lo - lr) <= 0.2: bad.append('loudness %.2f vs %.2f LUFS: more than 0.2 LU apart' % (lo, lr))
print('; '.join(bad))")
    printf 'pair %d: distance %.3f dB (mix %.3f, worst band %.2f dB), loudness %s vs %s LUFS\n' \
        "$n" "$dist" "$before" "$worst" "$lo" "$lr"
    if [ -n "$verdict" ]; then
        echo "FAIL pair $n: $verdict"
        fail=1
    fi
    if ! "$LATHE_BIN" master "$mix" --recipe "$out.recipe.json" -o "$work/again$n.wav" \
        >"$work/again$n.log" 2>&1; then
        echo "FAIL pair $n: lathe master --recipe failed:"
        cat "$work/again$n.log"
        fail=1
    elif ! cmp -s "$out" "$work/again$n.wav"; then
        echo "FAIL pair $n: lathe master --recipe did not reproduce the match bit for bit"
        fail=1
    fi
done

# Near-mono target, wide reference: the side is not boosted past the bound.
if "$LATHE_BIN" match "$work/mono.wav" --reference "$work/ref1.wav" -o "$work/outm.wav" \
    --no-recipe >"$work/logm" 2>&1; then
    smi=$("$py" "$yard" --side-mid "$work/mono.wav")
    smo=$("$py" "$yard" --side-mid "$work/outm.wav")
    smr=$("$py" "$yard" --side-mid "$work/ref1.wav")
    echo "near-mono: side/mid $smi dB -> $smo dB (reference $smr dB)"
    if [ -z "$smi" ] || [ -z "$smo" ] \
        || ! "$py" -c "import sys; sys.exit(0 if $smo <= $smi + 6.5 else 1)"; then
        echo "FAIL near-mono: the side rose by more than 6.5 dB ($smi -> $smo dB)"
        fail=1
    fi
else
    echo "FAIL near-mono: lathe match failed:"
    cat "$work/logm"
    fail=1
fi

[ $fail -eq 0 ] && echo "match on real music: all checks passed"
exit $fail
