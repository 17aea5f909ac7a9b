#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make bench`, part 2: `lathe master` with a full chain (bench/full-chain.json: 4-band
# EQ, 3-band multiband, true-peak limiter, convergence on -14 LUFS / -1 dBTP, TPDF dither
# to 16 bit) next to ffmpeg's loudnorm two-pass (both passes timed) on the same 4-minute
# 44.1 kHz file (made by bench/run.sh), pinned to one core, medians of BENCH_RUNS runs.
# Also: how close each lands to the target, measured by ffmpeg's ebur128 filter, and
# lathe's peak memory on the 4-minute file and on a 40-minute one (10 copies), which
# shows that memory does not grow with length. Not a test: nothing fails on a number.
set -eu
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out
input=$out/music-240s-44k-s16.wav
[ -s "$input" ] || { echo "bench: run bench/run.sh first (it makes $input)" >&2; exit 1; }
command -v ffmpeg >/dev/null 2>&1 || { echo "bench: ffmpeg missing: master bench skipped"; exit 0; }
long=$out/music-2400s-44k-s16.wav
if [ ! -s "$long" ]; then
    echo "bench: making a 40-minute file (10 x the 4-minute one) for the memory figure"
    ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop 9 -i "$input" -c:a pcm_s16le "$long.tmp.wav"
    mv "$long.tmp.wav" "$long"
fi
pin=""
taskset -c 0 true 2>/dev/null && pin="taskset -c 0"
python3 - "$build" "$input" "$long" "$root/bench/full-chain.json" "${BENCH_RUNS:-5}" "$pin" "$out" <<'PY'
import json, math, os, re, statistics, subprocess, sys, time, wave
build, path, long, recipe, runs, pin, out = sys.argv[1:8]
runs, pin = max(1, int(runs)), pin.split()
lathe = os.path.join(build, "lathe")
with wave.open(path, "rb") as w:
    audio_s = w.getnframes() / w.getframerate()

def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(pin + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: %s failed:\n%s" % (" ".join(cmd), text.decode(errors="replace")[-2000:]))
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, text.decode(errors="replace")

def lathe_master(src, dst):
    return run([lathe, "master", src, "-o", dst, "--force", "--recipe", recipe])

def loudnorm(src, dst):
    w1, c1, _, text = run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", src, "-af",
                           "loudnorm=I=-14:TP=-1:LRA=11:print_format=json", "-f", "null", "-"])
    m = json.loads(text[text.rfind("{"):text.rfind("}") + 1])
    af = ("loudnorm=I=-14:TP=-1:LRA=11:measured_I=%s:measured_TP=%s:measured_LRA=%s:"
          "measured_thresh=%s:offset=%s:linear=true:print_format=json" %
          (m["input_i"], m["input_tp"], m["input_lra"], m["input_thresh"], m["target_offset"]))
    w2, c2, rss, text = run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y", "-i", src,
                             "-af", af, "-ar", "44100", "-c:a", "pcm_s16le", dst])
    mode = json.loads(text[text.rfind("{"):text.rfind("}") + 1]).get("normalization_type", "?")
    return w1 + w2, c1 + c2, rss, mode

def ffmeter(f):
    meta = os.path.join(out, "meta.txt")
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", f, "-af",
                    "ebur128=peak=true:metadata=1,ametadata=mode=print:file=" + meta, "-f", "null", "-"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    I = tp = None
    for line in open(meta):
        if line.startswith("lavfi.r128.I="): I = float(line.split("=")[1])
        if line.startswith("lavfi.r128.true_peak="): tp = float(line.split("=")[1])
    return I, 20 * math.log10(tp)

a_out, b_out = os.path.join(out, "master-lathe.wav"), os.path.join(out, "master-loudnorm.wav")
lathe_master(path, a_out)          # warm-up
mode = loudnorm(path, b_out)[3]
res = {"lathe master (full chain)": [], "ffmpeg loudnorm 2-pass": []}
for _ in range(runs):
    w, c, rss, _ = lathe_master(path, a_out); res["lathe master (full chain)"].append((w, c, rss))
    w, c, rss, _ = loudnorm(path, b_out); res["ffmpeg loudnorm 2-pass"].append((w, c, rss))
print()
print("bench: mastering %s (%.0f s) to -14 LUFS / -1 dBTP, 16-bit; %d runs, median" % (os.path.basename(path), audio_s, runs))
print("%-28s %8s %8s %10s %10s %9s %12s %12s" % ("tool", "wall s", "CPU s", "x RT (CPU)", "x RT (wall)", "vs lathe", "I (ffmpeg)", "TP (ffmpeg)"))
base = statistics.median(c for _, c, _ in res["lathe master (full chain)"])
for name, f in (("lathe master (full chain)", a_out), ("ffmpeg loudnorm 2-pass", b_out)):
    wall = statistics.median(w for w, _, _ in res[name]); cpu = statistics.median(c for _, c, _ in res[name])
    I, tp = ffmeter(f)
    print("%-28s %8.2f %8.2f %10.0f %10.0f %8.2fx %8.2f LUFS %7.2f dBTP" % (name, wall, cpu, audio_s / cpu, audio_s / wall, cpu / base, I, tp))
print("loudnorm chose %s normalisation on this file" % mode)
_, cpu_long, rss_long, _ = lathe_master(long, os.path.join(out, "master-long.wav"))
rss_short = max(r for _, _, r in res["lathe master (full chain)"])
print("lathe master peak RSS: %.1f MB on 4 minutes, %.1f MB on 40 minutes (%.0f x real time there)" %
      (rss_short, rss_long, 10 * audio_s / cpu_long))
os.remove(os.path.join(out, "master-long.wav"))
PY
