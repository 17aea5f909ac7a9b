#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `lathe master` and `lathe match` on a 20-minute stereo 48 kHz file stay under 100 MB
# peak RSS (the spools keep a bounded part in memory and the rest on disk: a spool held
# whole would need 460 MB here) and write a file of exactly the input's length. The
# input is sparse (a header, 5 s of music-like tones every 2 minutes, holes of digital
# silence between), so it costs no disk; the tones go over the ceiling at the target so
# the limiter records and replays its detection.
set -u
LATHE=${LATHE_BIN:?LATHE_BIN must point to the lathe binary}
if [ "${LATHE_SANITIZED:-0}" = 1 ]; then
    echo "SKIP: sanitizers inflate memory and time"
    exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: GNU time not installed"; exit 77; }
command -v ffprobe >/dev/null 2>&1 || { echo "SKIP: ffprobe not installed"; exit 77; }
tmp=$(mktemp -d /tmp/lathe-longm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

rate=48000
frames=$((20 * 60 * rate))
limit_kb=$((100 * 1024))

python3 - "$tmp/long.wav" "$tmp/ref.wav" "$rate" "$frames" <<'PY' || { echo "FAIL: cannot write the files"; exit 1; }
import math, struct, sys
path, ref, rate, frames = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def header(n):
    data = n * 4
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 2, rate, rate * 4, 4, 16) + b"data" +
            struct.pack("<I", data))
def tones(n, amp):
    # a bass line, a chord and a decaying click every 0.5 s: peaks well over the RMS
    out = bytearray()
    for i in range(n):
        t = i / rate
        v = 0.35 * math.sin(2 * math.pi * 55 * t) + 0.15 * math.sin(2 * math.pi * 440 * t) \
            + 0.1 * math.sin(2 * math.pi * 660 * t + 1.0)
        ph = (i % (rate // 2)) / rate
        v += 0.4 * math.exp(-ph * 200) * math.sin(2 * math.pi * 3000 * t)
        s = int(round(amp * 32767 * v))
        out += struct.pack("<hh", s, int(s * 0.9))
    return bytes(out)
seg = 5 * rate
tone = tones(seg, 0.5)
with open(path, "wb") as f:
    f.write(header(frames))
    for start in range(0, frames - seg, 120 * rate):
        f.seek(44 + start * 4)
        f.write(tone)
    f.truncate(44 + frames * 4)
with open(ref, "wb") as f:
    f.write(header(10 * rate))
    f.write(tones(10 * rate, 0.9))
PY

fail=0
run() {   # name, then the command
    local name=$1
    shift
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out.txt" 2>"$tmp/err"
    local rc=$? peak
    peak=$(tail -n 1 "$tmp/rss")
    echo "$name: exit $rc, peak RSS $peak KB (limit $limit_kb KB)"
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $name exit $rc: $(tail -n 3 "$tmp/err")"
        fail=1
    fi
    if ! [ "$peak" -lt "$limit_kb" ] 2>/dev/null; then
        echo "FAIL: $name peak RSS $peak KB is not under $limit_kb KB"
        fail=1
    fi
}
run "lathe master" "$LATHE" master "$tmp/long.wav" --lufs -9 -o "$tmp/m.wav" -y
run "lathe match" "$LATHE" match "$tmp/long.wav" --reference "$tmp/ref.wav" -o "$tmp/x.wav" -y \
    --no-recipe
for out in m x; do
    n=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 \
        "$tmp/$out.wav" 2>/dev/null)
    if [ "$n" != "$frames" ]; then
        echo "FAIL: $out.wav has $n frames (ffprobe), want $frames"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
