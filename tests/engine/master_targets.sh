#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lathe master hits its targets on varied real music as a new user would run it:
# integrated loudness within 0.1 LU of the target and true peak at or under the
# ceiling, on the file as written, measured by ffmpeg's ebur128 filter (an independent
# meter) as well as by our own. Material: pingus-data tracker modules rendered by ffmpeg,
# varied into quiet, loud, dynamic, bass-heavy, mono and 48 kHz versions.
set -uo pipefail
command -v ffmpeg >/dev/null || { echo "ffmpeg missing"; exit 77; }
music=/usr/share/games/pingus/data/music
[ -d "$music" ] || { echo "pingus-data missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
secs=40; [ "${LATHE_SANITIZED:-0}" = 1 ] && secs=15

render() { # name source.it extra-filter rate channels
    ffmpeg -hide_banner -loglevel error -y -i "$music/$2" -t "$secs" -af "$3" -ar "$4" -ac "$5" \
        -c:a pcm_s24le "$tmp/$1.wav"
}
render quiet    pingus-3.it  "volume=-18dB"                                   44100 2
render loud     pingus-5.it  "acompressor=threshold=-30dB:ratio=8:makeup=18dB,alimiter=limit=0.97" 44100 2
render dynamic  pingus-7.it  "volume='if(lt(t,${secs}/2),0.08,1)':eval=frame" 44100 2
render bassy    pingus-1.it  "bass=g=12:f=80,volume=-6dB"                     44100 2
render mono     pingus-3.it  "volume=-3dB"                                    44100 1
render hirate   pingus-8.it  "volume=-4dB"                                    48000 2

# ffmpeg's figures with full precision: integrated LUFS and true peak in dBTP.
ffmeasure() {
    ffmpeg -hide_banner -nostats -i "$1" -af "ebur128=peak=true:metadata=1,ametadata=mode=print:file=$tmp/meta.txt" \
        -f null - 2>/dev/null
    python3 - "$tmp/meta.txt" <<'PY'
import math, sys
I = tp = None
for line in open(sys.argv[1]):
    if line.startswith("lavfi.r128.I="): I = float(line.split("=")[1])
    if line.startswith("lavfi.r128.true_peak="): tp = float(line.split("=")[1])
print(f"{I:.3f} {20*math.log10(tp) if tp > 0 else -999:.3f}")
PY
}

pass=0; fail=0
check() { # input target extra-args...
    local in=$1 target=$2; shift 2
    local out="$tmp/$(basename "$in" .wav)-$target.${EXT:-wav}"
    local json
    json=$("$LATHE_BIN" master "$in" -o "$out" --target "$target" --json "$@" 2>"$tmp/err") || {
        echo "FAIL: $in -> $target: exit $? $(cat "$tmp/err")"; fail=$((fail + 1)); return; }
    read -r lufs ceil ours_i ours_tp lra_in lra_out gr <<<"$(python3 -c '
import json, sys
d = json.load(sys.stdin); m = d["master"]; a = d["output"]; b = d["input"]
print(m["target_lufs"], m["ceiling_dbtp"], a["loudness"]["integrated_lufs"], a["peaks"]["true_peak_dbtp"],
      b["loudness"]["loudness_range_lu"], a["loudness"]["loudness_range_lu"], m["limiter_gr_max_db"])' <<<"$json")"
    read -r ff_i ff_tp <<<"$(ffmeasure "$out")"
    local ok
    ok=$(python3 -c "
l, c, oi, otp, fi, ftp = $lufs, $ceil, $ours_i, $ours_tp, $ff_i, $ff_tp
print(int(abs(oi - l) <= 0.1 and abs(fi - l) <= 0.1 and otp <= c and ftp <= c + 1e-9))")
    printf '%-10s %-9s target %6.1f LUFS %5.1f dBTP | lathe %7.2f LUFS %6.2f dBTP | ffmpeg %7.3f LUFS %6.2f dBTP | LRA %4.1f->%4.1f | GR %.1f dB\n' \
        "$(basename "$in" .wav)" "$target" "$lufs" "$ceil" "$ours_i" "$ours_tp" "$ff_i" "$ff_tp" "$lra_in" "$lra_out" "$gr"
    if [ "$ok" = 1 ]; then pass=$((pass + 1)); else echo "FAIL: target missed"; fail=$((fail + 1)); fi
}

check "$tmp/quiet.wav"   spotify
check "$tmp/quiet.wav"   ebu-r128
check "$tmp/loud.wav"    apple
check "$tmp/loud.wav"    spotify
check "$tmp/dynamic.wav" youtube
check "$tmp/bassy.wav"   spotify
check "$tmp/bassy.wav"   cd
check "$tmp/mono.wav"    podcast
check "$tmp/hirate.wav"  spotify --bits 16 --dither shaped
check "$tmp/hirate.wav"  tidal --rate 44100
EXT=flac check "$tmp/quiet.wav" amazon --bits 24

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
