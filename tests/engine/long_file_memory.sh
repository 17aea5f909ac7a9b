#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A 3-hour stereo 48 kHz 16-bit WAV (2.07 GB) is analysed in under 100 MB peak RSS and
# reported as exactly 3 h long. The file is sparse (a header, a few seconds of sine
# every 30 minutes, holes of digital silence between), so it costs no disk.
set -u
LATHE=${LATHE_BIN:?LATHE_BIN must point to the lathe binary}
if [ "${LATHE_SANITIZED:-0}" = 1 ]; then
    echo "SKIP: sanitizers inflate memory and time"
    exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d /tmp/lathe-long.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

rate=48000
hours=3
limit_kb=$((100 * 1024))
frames=$((hours * 3600 * rate))

python3 - "$tmp/long.wav" "$rate" "$frames" <<'PY' || { echo "FAIL: cannot write the file"; exit 1; }
import math, struct, sys
path, rate, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ch, bits = 2, 16
data_bytes = frames * ch * bits // 8
assert data_bytes < 2**32
hdr = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + \
      struct.pack("<IHHIIHH", 16, 1, ch, rate, rate * ch * 2, ch * 2, bits) + \
      b"data" + struct.pack("<I", data_bytes)
# 5 s of a 997 Hz sine at amplitude 0.5 (16384) every 30 minutes.
seg = 5 * rate
tone = b"".join(struct.pack("<hh", v, v) for v in
                (int(round(16384 * math.sin(2 * math.pi * 997 * i / rate))) for i in range(seg)))
with open(path, "wb") as f:
    f.write(hdr)
    for start in range(0, frames - seg, 1800 * rate):
        f.seek(len(hdr) + start * ch * 2)
        f.write(tone)
    f.truncate(len(hdr) + data_bytes)   # the rest is a hole: silence, no disk
PY
size=$(stat -c %s "$tmp/long.wav")
used_kb=$(du -k "$tmp/long.wav" | cut -f1)
echo "file: $size bytes, $used_kb KB on disk"

# Peak resident set of the analysis, in KB: GNU time if installed, else getrusage.
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$tmp/rss" "$LATHE" analyze --json "$tmp/long.wav" >"$tmp/out.json" 2>"$tmp/err"
    rc=$?
else
    python3 - "$tmp/rss" "$LATHE" analyze --json "$tmp/long.wav" >"$tmp/out.json" 2>"$tmp/err" <<'PY'
import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
PY
    rc=$?
fi
peak_kb=$(tail -n 1 "$tmp/rss")
echo "lathe analyze: exit $rc, peak RSS $peak_kb KB (limit $limit_kb KB)"

fail=0
if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
    echo "FAIL: exit $rc, stderr: $(cat "$tmp/err")"
    fail=1
fi
if ! [ "$peak_kb" -lt "$limit_kb" ] 2>/dev/null; then
    echo "FAIL: peak RSS $peak_kb KB is not under $limit_kb KB"
    fail=1
fi
python3 - "$tmp/out.json" "$frames" "$rate" <<'PY' || fail=1
import json, math, sys
d = json.load(open(sys.argv[1]))
frames, rate = int(sys.argv[2]), int(sys.argv[3])
f = d["format"]
bad = []
if f["frames"] != frames:
    bad.append("frames %s, want %d" % (f["frames"], frames))
if f["duration_s"] != frames / rate:
    bad.append("duration %r s, want exactly %r s" % (f["duration_s"], frames / rate))
want_peak = 20 * math.log10(16384 / 32768)
if abs(d["peaks"]["sample_peak_dbfs"] - want_peak) > 1e-3:
    bad.append("sample peak %s dBFS, want %.4f" % (d["peaks"]["sample_peak_dbfs"], want_peak))
# The 100 ms series covers the whole file.
n = len(d["series"]["momentary_lufs"])
if abs(n - frames / rate * 10) > 1:
    bad.append("%d momentary values, want %d" % (n, frames // rate * 10))
print("duration %.3f s, %d frames, %d series values, sample peak %.4f dBFS"
      % (f["duration_s"], f["frames"], n, d["peaks"]["sample_peak_dbfs"]))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
