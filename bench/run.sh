#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make bench`: how fast `lathe analyze` is next to other loudness meters on the same
# 4-minute file, all in one run, on one core.
#
#   bench/run.sh BUILD_DIR          BUILD_DIR holds lathe, lathe_ref_ebur128, lathe_decode_only
#   BENCH_RUNS=N bench/run.sh ...   timed runs per tool (default 5; the median is reported)
#
# The input (made once, cached in bench/out/, git-ignored) is 240 s of 44.1 kHz stereo
# 16-bit WAV: real music (pingus-data tracker modules rendered and concatenated by
# ffmpeg), or, when those are unavailable, the demo mix repeated six times.
# Tools timed, each pinned to CPU 0 (taskset -c 0), runs interleaved after one warm-up:
#   lathe analyze       every figure on (true peak, spectrum, series): the default
#   ffmpeg ebur128      -af ebur128=peak=true -f null -  (I, LRA, true peak)
#   libebur128          tools/lathe_ref_ebur128: I, LRA, true peak, sample peak
#   decode only         tools/lathe_decode_only: liblathe's reader, nothing else (floor)
# Reported: median wall time and median CPU time (user + sys, from wait4), speed as
# audio seconds per CPU second and per wall second, and each tool's time relative to
# lathe's. Not a test: timings depend on the machine; nothing here fails on a number.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: bench/run.sh BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out
runs=${BENCH_RUNS:-5}
music=/usr/share/games/pingus/data/music

for exe in lathe lathe_ref_ebur128 lathe_decode_only lathe_demo_mix; do
    if [ ! -x "$build/$exe" ]; then
        echo "bench: $build/$exe is missing; build first (make build)" >&2
        exit 1
    fi
done
if ! command -v python3 >/dev/null 2>&1; then
    echo "bench: python3 is needed (scripts/deps.sh installs it)" >&2
    exit 1
fi
mkdir -p "$out"

# ---- the input: 240 s, 44.1 kHz, stereo, 16-bit PCM, made once; made again when
# its recipe (kept in music-source.txt) changes.
input=$out/music-240s-44k-s16.wav
stamp=$out/music-source.txt
if command -v ffmpeg >/dev/null 2>&1 && [ -r "$music/pingus-5.it" ]; then
    recipe="pingus-data: pingus-5.it + pingus-3.it + pingus-7.it at 44.1 kHz, first 240 s"
else
    recipe="lathe_demo_mix, 6 x 40 s, truncated to 16 bits"
fi
if [ ! -s "$input" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$recipe" ]; then
    tmp=$out/input.tmp.wav
    rm -f "$tmp" "$stamp"
    case $recipe in
    pingus*)
        echo "bench: rendering 240 s of music (pingus-data tracker modules) into $input"
        # libopenmpt synthesises directly at 44.1 kHz; three tracks without long
        # silences (pingus-2.it, for one, is mostly near-silent), concatenated.
        ffmpeg -nostdin -hide_banner -loglevel error -y \
            -sample_rate 44100 -i "$music/pingus-5.it" \
            -sample_rate 44100 -i "$music/pingus-3.it" \
            -sample_rate 44100 -i "$music/pingus-7.it" \
            -filter_complex "[0:a][1:a][2:a]concat=n=3:v=0:a=1[m]" -map "[m]" \
            -t 240 -ac 2 -ar 44100 -c:a pcm_s16le "$tmp"
        ;;
    *)
        echo "bench: no ffmpeg or pingus-data: using the demo mix, repeated 6 times"
        "$build/lathe_demo_mix" "$out/demo-40s.tmp.wav" >/dev/null
        python3 - "$out/demo-40s.tmp.wav" "$tmp" <<'EOF'
import sys, wave
# 24-bit little-endian PCM -> 16-bit (keep the two most significant bytes), six times.
src, dst = sys.argv[1], sys.argv[2]
with wave.open(src, "rb") as w:
    assert w.getsampwidth() == 3 and w.getnchannels() == 2
    rate, raw = w.getframerate(), w.readframes(w.getnframes())
pcm16 = b"".join(raw[i + 1:i + 3] for i in range(0, len(raw), 3))
with wave.open(dst, "wb") as w:
    w.setnchannels(2)
    w.setsampwidth(2)
    w.setframerate(rate)
    for _ in range(6):
        w.writeframes(pcm16)
EOF
        rm -f "$out/demo-40s.tmp.wav"
        ;;
    esac
    mv "$tmp" "$input"
    echo "$recipe" > "$stamp"
fi

pin=""
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    pin="taskset -c 0"
else
    echo "bench: taskset unavailable: runs are not pinned to one core"
fi
have_ffmpeg=0
command -v ffmpeg >/dev/null 2>&1 && have_ffmpeg=1

python3 - "$build" "$input" "$runs" "$have_ffmpeg" "$pin" "$recipe" <<'EOF'
import os, re, statistics, subprocess, sys, time, wave

build, path, runs, have_ffmpeg, pin, source = sys.argv[1:7]
runs = max(1, int(runs))
pin = pin.split()
with wave.open(path, "rb") as w:
    audio_s = w.getnframes() / w.getframerate()
    fmt = "%d Hz, %d ch, %d-bit" % (w.getframerate(), w.getnchannels(), 8 * w.getsampwidth())

tools = [
    ("lathe analyze", [os.path.join(build, "lathe"), "analyze", path]),
    ("ffmpeg ebur128", ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path, "-af",
                        "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]),
    ("libebur128", [os.path.join(build, "lathe_ref_ebur128"), path]),
    ("decode only", [os.path.join(build, "lathe_decode_only"), path]),
]
if have_ffmpeg != "1":
    tools = [t for t in tools if not t[0].startswith("ffmpeg")]

def run(cmd):
    """Runs CMD once; returns (wall s, user+sys CPU s, stdout+stderr text)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(pin + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench: %s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode,
                                                     text.decode(errors="replace")[-2000:]))
    return wall, ru.ru_utime + ru.ru_stime, text.decode(errors="replace")

print("bench: %s" % path)
print("       %.1f s of audio, %s; source: %s" % (audio_s, fmt, source))
print("       %d timed runs per tool after one warm-up, %s" %
      (runs, "pinned with " + " ".join(pin) if pin else "not pinned"))

# Warm-up (page cache, dynamic loader), and the figures each tool reports, to show
# that they all measured the same audio.
figures = {}
for name, cmd in tools:
    _, _, text = run(cmd)
    if name == "lathe analyze":
        i = re.search(r"integrated\s+(\S+) LUFS", text)
        tp = re.search(r"true peak\s+(\S+) dBTP", text)
        lra = re.search(r"loudness range\s+(\S+) LU", text)
        figures[name] = (i and i.group(1), tp and tp.group(1), lra and lra.group(1))
    elif name.startswith("ffmpeg"):
        s = text[text.rfind("Summary:"):]
        g = lambda rx: (re.search(rx, s, re.M) or [None, None])[1]
        figures[name] = (g(r"^\s*I:\s+(\S+)"), g(r"^\s*Peak:\s+(\S+)"), g(r"^\s*LRA:\s+(\S+)"))
    elif name == "libebur128":
        kv = dict(l.split() for l in text.splitlines() if l.strip())
        figures[name] = (kv.get("integrated_lufs"), kv.get("true_peak_dbtp"),
                         kv.get("loudness_range_lu"))

times = {name: ([], []) for name, _ in tools}
for _ in range(runs):
    for name, cmd in tools:
        wall, cpu, _ = run(cmd)
        times[name][0].append(wall)
        times[name][1].append(cpu)

med = {n: (statistics.median(w), statistics.median(c)) for n, (w, c) in times.items()}
lw, lc = med["lathe analyze"]
print()
print("%-16s %9s %9s %11s %11s %9s %10s" % ("tool", "wall s", "CPU s", "x RT (CPU)",
                                          "x RT (wall)", "CPU/lathe", "wall/lathe"))
for name, _ in tools:
    w, c = med[name]
    print("%-16s %9.3f %9.3f %11.0f %11.0f %9.2f %10.2f" %
          (name, w, c, audio_s / c if c > 0 else float("inf"), audio_s / w, c / lc, w / lw))
print("(medians of %d runs; x RT = seconds of audio per second of time; CPU = user + sys)" % runs)
print()
print("%-16s %10s %10s %8s" % ("figures", "I LUFS", "TP dBTP", "LRA LU"))
for name, (i, tp, lra) in figures.items():
    print("%-16s %10s %10s %8s" % (name, i, tp, lra))
EOF
