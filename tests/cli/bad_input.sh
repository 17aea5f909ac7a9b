#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `lathe analyze` on bad input: every case gives exactly one stderr line naming the file
# and the reason, the exit code documented in `lathe help analyze` (2 bad command line,
# 3 unreadable input, 4 NaN/Inf audio), never a crash (exit >= 128) or a sanitizer
# report, and leaves the input byte for byte as it was.
# "check && ok || bad" is meant: ok never fails.
# shellcheck disable=SC2015
set -u
LATHE=${LATHE_BIN:?LATHE_BIN must point to the lathe binary}
for tool in ffmpeg python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/lathe-bad-input.XXXXXX)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# The documented codes, read from the help text so the test follows the documentation.
help=$("$LATHE" help analyze)
for code in "2 bad command line" "3 a file could not be" "4 a file holds"; do
    if tr '\n' ' ' <<<"$help" | tr -s ' ' | grep -q "$code"; then ok; else
        bad "lathe help analyze does not document exit code '$code'"; fi
done

# run_case NAME WANT_CODE REASON_REGEX NAMED ARGS...: runs `lathe analyze ARGS`, checks
# the exit code, that stderr is one line naming NAMED (a path, or "" for none) and
# matching REASON_REGEX (case-insensitive), and that no file in ARGS changed.
run_case() {
    local name=$1 want=$2 reason=$3 named=$4
    shift 4
    local sums_before="" sums_after="" a
    for a in "$@"; do
        [ -f "$a" ] && [ -r "$a" ] && sums_before+="$(sha256sum "$a")"$'\n'
    done
    "$LATHE" analyze "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    for a in "$@"; do
        [ -f "$a" ] && [ -r "$a" ] && sums_after+="$(sha256sum "$a")"$'\n'
    done
    local lines
    lines=$(wc -l <"$tmp/err")
    local errtext
    errtext=$(cat "$tmp/err")
    if [ "$rc" -ge 128 ]; then
        bad "$name: crashed (exit $rc): $errtext"
        return
    fi
    if grep -qiE "sanitizer|runtime error|leak" "$tmp/err"; then
        bad "$name: sanitizer report: $errtext"
        return
    fi
    [ "$rc" = "$want" ] && ok || bad "$name: exit $rc, want $want ($errtext)"
    [ "$lines" = 1 ] && ok || bad "$name: $lines stderr lines, want 1: $errtext"
    if [ -n "$named" ]; then
        grep -qF -- "$named" "$tmp/err" && ok || bad "$name: stderr does not name '$named': $errtext"
    fi
    grep -qiE -- "$reason" "$tmp/err" && ok || bad "$name: stderr gives no reason /$reason/: $errtext"
    [ "$sums_before" = "$sums_after" ] && ok || bad "$name: an input file changed"
}

# --- Inputs ----------------------------------------------------------------------------
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi \
    -i "aevalsrc=0.5*sin(2*PI*997*t)|0.25*sin(2*PI*997*t):s=48000:d=2:c=stereo" \
    -c:a pcm_s16le good.wav || { echo "FAIL: ffmpeg cannot make test input"; exit 1; }
size=$(stat -c %s good.wav)

# Hand-made WAV headers: wav.py PATH CHANNELS RATE BITS TAG FRAMES [float samples...]
cat >wav.py <<'PY'
import struct, sys
path, ch, rate, bits, tag, frames = sys.argv[1], *map(int, sys.argv[2:7])
samples = [float(v) for v in sys.argv[7:]]
if samples:
    data = struct.pack("<%df" % len(samples), *samples)   # float 32-bit
else:
    data = bytes(frames * ch * bits // 8 if ch > 0 else 400)
align = (ch * bits // 8) & 0xFFFF
fmt = struct.pack("<HHIIHH", tag, ch, rate & 0xFFFFFFFF, (rate * align) & 0xFFFFFFFF, align, bits)
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + \
       struct.pack("<I", len(data)) + data
open(path, "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
PY
mkwav() { python3 wav.py "$@"; }

: >zero.wav
mkdir -p folder.wav
head -c 20 good.wav >header20.wav
head -c $((size / 2)) good.wav >cut.wav
for i in $(seq 40); do echo "This is a text file, not audio. Line $i."; done >text.wav
mkwav zeroframes.wav 1 48000 16 1 0
mkwav onesample.wav 1 48000 32 3 1 0.5
mkwav oddtag.wav 1 48000 16 4660 100   # format tag 0x1234
mkwav ch0.wav 0 48000 16 1 100
mkwav ch9.wav 9 48000 16 1 100
mkwav ch65535.wav 65535 48000 16 1 0
mkwav rate0.wav 1 0 16 1 100
mkwav rate1.wav 1 1 16 1 100
mkwav rate10M.wav 1 10000000 16 1 100
# 1 s of a sine with one NaN, one +Inf, one -Inf sample.
python3 - <<'PY'
import math, subprocess
v = [repr(0.5 * math.sin(2 * math.pi * 997 * i / 48000)) for i in range(48000)]
v[100], v[200], v[300] = "nan", "inf", "-inf"
subprocess.run(["python3", "wav.py", "nonfinite.wav", "1", "48000", "32", "3", "0"] + v, check=True)
PY
ffmpeg -nostdin -hide_banner -loglevel error -i good.wav -c:a aac aac.m4a
cp aac.m4a aac-renamed.wav

# --- One bad file each -------------------------------------------------------------------
run_case "missing file" 3 "no such file" missing.wav missing.wav
run_case "zero bytes" 3 "empty|0 bytes" zero.wav zero.wav
run_case "directory" 3 "directory" folder.wav folder.wav
if [ "$(id -u)" -ne 0 ]; then
    cp good.wav locked.wav && chmod 000 locked.wav
    run_case "unreadable (chmod 000)" 3 "permission denied" locked.wav locked.wav
    chmod 644 locked.wav
elif command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups \
        test -x "$LATHE" 2>/dev/null; then
    # root reads anything: run this one case as the unprivileged user 'nobody'.
    mkdir -p locked && cp good.wav locked/locked.wav && chmod 000 locked/locked.wav
    chmod 755 "$tmp" locked
    setpriv --reuid=65534 --regid=65534 --clear-groups "$LATHE" analyze locked/locked.wav \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" = 3 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "locked.wav" "$tmp/err" &&
       grep -qi "permission denied" "$tmp/err"; then ok; else
        bad "unreadable (chmod 000, as nobody): exit $rc, stderr: $(cat "$tmp/err")"; fi
    chmod 644 locked/locked.wav
else
    echo "skip: unreadable file (running as root, no setpriv)"
fi
run_case "truncated header (20 bytes)" 3 "truncated|header" header20.wav header20.wav
run_case "truncated data" 3 "truncated" cut.wav cut.wav
run_case "text named .wav" 3 "not a readable audio|not recognised" text.wav text.wav
run_case "unknown WAV codec tag" 3 "codec|format tag 0x1234" oddtag.wav oddtag.wav
run_case "MP4/AAC (.m4a)" 3 "mp4|aac" aac.m4a aac.m4a
run_case "MP4/AAC named .wav" 3 "mp4|aac" aac-renamed.wav aac-renamed.wav
run_case "zero frames" 3 "no audio" zeroframes.wav zeroframes.wav
run_case "0 channels" 3 "0 channels" ch0.wav ch0.wav
run_case "9 channels" 3 "9 channels" ch9.wav ch9.wav
run_case "65535 channels" 3 "65535 channels" ch65535.wav ch65535.wav
run_case "0 Hz" 3 "sample rate 0 Hz" rate0.wav rate0.wav
run_case "1 Hz" 3 "sample rate 1 Hz" rate1.wav rate1.wav
run_case "10 MHz" 3 "sample rate 10000000 Hz" rate10M.wav rate10M.wav
# NaN/Inf: the figures are still printed, the one line counts the samples, exit 4.
run_case "NaN/Inf samples" 4 "3 non-finite" nonfinite.wav nonfinite.wav
grep -q "integrated" "$tmp/out" && ok || bad "NaN/Inf samples: no figures printed"
"$LATHE" analyze --json nonfinite.wav 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["problems"]["non_finite_samples"] == 3, d["problems"]
assert abs(d["peaks"]["sample_peak_dbfs"] - 20 * __import__("math").log10(0.5)) < 0.01
' && ok || bad "NaN/Inf samples: JSON figures wrong"

# Truncated data in the other PCM containers, and in compressed streams.
for spec in "aiff:-c:a pcm_s16be" "w64:-c:a pcm_s24le" "rf64.wav:-c:a pcm_s16le -rf64 always" \
            "f32.wav:-c:a pcm_f32le" "flac:-c:a flac" "ogg:-c:a libvorbis" "opus:-c:a libopus"; do
    ext=${spec%%:*}
    # shellcheck disable=SC2086
    if ffmpeg -nostdin -hide_banner -loglevel error -i good.wav ${spec#*:} "full.$ext"; then
        head -c $(($(stat -c %s "full.$ext") / 2)) "full.$ext" >"cut.$ext"
        run_case "truncated $ext" 3 "truncated" "cut.$ext" "cut.$ext"
    else
        bad "ffmpeg cannot make full.$ext"
    fi
done

# One sample is valid audio: figures, exit 0, nothing on stderr, valid JSON.
"$LATHE" analyze --json onesample.wav >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"]["frames"] == 1, d["format"]
assert abs(d["peaks"]["sample_peak_dbfs"] - 20 * __import__("math").log10(0.5)) < 1e-6
' "$tmp/out"; then ok; else
    bad "one sample: exit $rc, stderr '$(cat "$tmp/err")', output $(head -c 300 "$tmp/out")"; fi

# --- Bad command lines: exit 2, one line -------------------------------------------------
run_case "unknown option" 2 "unknown option" "--bogus" --bogus good.wav
run_case "--silence-threshold abc" 2 "silence-threshold.*abc" "abc" --silence-threshold abc good.wav
run_case "--silence-threshold 5" 2 "silence-threshold" "" --silence-threshold 5 good.wav
run_case "--silence-threshold without value" 2 "needs a value" "" --silence-threshold
run_case "--channels L,Q" 2 "channels" "" --channels L,Q good.wav
run_case "--channels for 1 channel on stereo" 2 "roles" good.wav --channels M good.wav
run_case "no files" 2 "no input file" ""

# --- Several files: a bad one does not stop the others; the largest code wins ------------
"$LATHE" analyze missing.wav good.wav nonfinite.wav text.wav >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 4 ] && ok || bad "several files: exit $rc, want 4 (largest of 3, 0, 4, 3)"
[ "$(wc -l <"$tmp/err")" = 3 ] && ok || bad "several files: stderr $(cat "$tmp/err"), want 3 lines"
grep -q "good.wav" "$tmp/out" && grep -q "nonfinite.wav" "$tmp/out" && ok ||
    bad "several files: the good files are missing from the summary: $(cat "$tmp/out")"
"$LATHE" analyze text.wav good.wav >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] && ok || bad "bad then good: exit $rc, want 3"
"$LATHE" analyze --json missing.wav good.wav zero.wav nonfinite.wav >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 4 ] && ok || bad "several files --json: exit $rc, want 4"
if python3 -m json.tool "$tmp/out" >/dev/null 2>&1 && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and [x["file"] for x in d] == ["good.wav", "nonfinite.wav"], d
' "$tmp/out"; then ok; else bad "several files --json: not an array of the two good files"; fi
"$LATHE" analyze --json missing.wav text.wav >"$tmp/out" 2>/dev/null
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 && ok || bad "all files bad --json: not JSON"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
