#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Reference matching next to Matchering (github.com/sergree/matchering), on the same
# pairs, the same machine, one core each:
#
#   MATCHERING_DIR=/path/to/matchering bench/matchering.sh BUILD_DIR
#
# MATCHERING_DIR is a checkout of Matchering's repository (the directory holding the
# 'matchering' package), kept outside this tree. Its Python dependencies come from
# Debian (python3-numpy, -scipy, -soundfile, -resampy, -statsmodels); this script
# installs whichever is missing, with apt, only when MATCHERING_DIR is set.
#
# Material (made once into bench/out/matchering/, git-ignored): pingus-data tracker
# modules rendered by ffmpeg; "unmastered-like" mixes (a track EQ-ed and turned down)
# and "mastered" references (another track EQ-ed, compressed and limited), all by ffmpeg:
# eight pairs of different tracks (one reference at 48 kHz, one folded to mono), a
# near-mono mix against a wide reference, and a 240 s pair for speed and memory.
# Reported per pair and tool: wall and CPU time, peak memory (GNU time), the mean |dB|
# difference of the output's 1/3-octave spectrum from the reference's over 40 Hz-16 kHz
# after loudness alignment (tests/lib/spectral_distance.py: ffmpeg + numpy), the
# integrated loudness error and the true peak (libebur128, tools/lathe_ref_ebur128),
# and for the near-mono mix how far the side was raised; then REPS (default 4) more
# alternating runs of the 240 s pair and the medians of CPU time, since a shared host
# scatters single runs by 20 % or more. Not a test: nothing fails on a number.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: MATCHERING_DIR=DIR bench/matchering.sh BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/out/matchering
music=/usr/share/games/pingus/data/music
yard=$root/tests/lib/spectral_distance.py

if [ -z "${MATCHERING_DIR:-}" ] || [ ! -d "${MATCHERING_DIR}/matchering" ]; then
    cat >&2 <<'EOF'
bench/matchering.sh: set MATCHERING_DIR to a checkout of Matchering's repository, e.g.
    git clone https://github.com/sergree/matchering /tmp/matchering
    MATCHERING_DIR=/tmp/matchering bench/matchering.sh build
(keep it outside lathe's tree; it is not part of lathe)
EOF
    exit 2
fi
for exe in lathe lathe_ref_ebur128; do
    if [ ! -x "$build/$exe" ]; then
        echo "bench/matchering.sh: $build/$exe is missing; build first (make build)" >&2
        exit 1
    fi
done
for tool in ffmpeg /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/matchering.sh: $tool is needed" >&2; exit 1; }
done
[ -r "$music/pingus-3.it" ] || { echo "bench/matchering.sh: pingus-data is needed" >&2; exit 1; }

# Debian's Python stack for Matchering (and numpy for the yardstick).
py=/usr/bin/python3
missing=""
for p in python3-numpy python3-scipy python3-soundfile python3-resampy python3-statsmodels; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "bench/matchering.sh: installing$missing"
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    else
        sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
fi

pin=""
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    pin="taskset -c 0"
fi
mkdir -p "$out"

# ---- material ----
MIX1="equalizer=f=300:t=q:w=1:g=3,highshelf=f=6000:g=-4,volume=-8dB"
MIX2="lowshelf=f=120:g=-4,equalizer=f=2500:t=q:w=1.5:g=3,volume=-10dB"
MIX3="lowshelf=f=100:g=3,equalizer=f=600:t=q:w=1:g=2,highshelf=f=5000:g=-3,volume=-9dB"
REF1="equalizer=f=80:t=q:w=1:g=3,highshelf=f=8000:g=2,acompressor=threshold=-22dB:ratio=3:attack=10:release=100:makeup=4dB,volume=6dB,alimiter=limit=0.89:level=false:attack=5:release=50"
REF2="equalizer=f=60:t=q:w=1:g=4,highshelf=f=10000:g=3,acompressor=threshold=-20dB:ratio=4:attack=5:release=80:makeup=4dB,volume=5dB,alimiter=limit=0.9:level=false:attack=5:release=50"
REF3="lowshelf=f=150:g=2,equalizer=f=3000:t=q:w=2:g=2,acompressor=threshold=-18dB:ratio=2.5:attack=20:release=150:makeup=3dB,volume=6dB,alimiter=limit=0.95:level=false:attack=3:release=60"
# name mix-track mix-start mix-filter ref-track ref-start ref-filter [ref output options]
pairs="A pingus-6 0 MIX1 pingus-8 0 REF1
B pingus-3 0 MIX2 pingus-9 0 REF2 -ar:48000
C pingus-1 0 MIX3 pingus-5 0 REF3
D gd-matth 0 MIX1 pingus-6 0 REF2
E pingus-3 20 MIX1 pingus-6 20 REF3
F pingus-6 20 MIX3 gd-matth 20 REF1
G pingus-1 20 MIX2 pingus-3 20 REF2
H pingus-9 20 MIX3 pingus-3 20 REF1
I pingus-3 20 MIX1 pingus-6 20 REF3 -ac:1:-ar:48000"
stamp=$out/material.txt
recipe="v1 $pairs"
render() {   # out src start filter [opts]
    local o=$1 src=$2 start=$3 af=$4
    shift 4
    ffmpeg -nostdin -hide_banner -loglevel error -y -sample_rate 44100 -i "$music/$src.it" \
        -ss "$start" -t 60 -af "$af" "$@" "$o"
}
if [ "$(cat "$stamp" 2>/dev/null)" != "$recipe" ]; then
    echo "bench: rendering the pairs into $out"
    while read -r name mt ms mf rt rs rf ropt; do
        render "$out/$name-mix.wav" "$mt" "$ms" "${!mf}" -c:a pcm_f32le
        # shellcheck disable=SC2046
        render "$out/$name-ref.wav" "$rt" "$rs" "${!rf}" $(echo "${ropt:-}" | tr ':' ' ') -c:a pcm_s24le
    done <<<"$pairs"
    render "$out/M-mix.wav" pingus-5 0 "pan=stereo|c0=0.505*c0+0.495*c1|c1=0.495*c0+0.505*c1,volume=-6dB" \
        -c:a pcm_f32le
    cp "$out/B-ref.wav" "$out/M-ref.wav"
    # 240 s for speed and memory: three tracks concatenated, mix and reference treatments
    ffmpeg -nostdin -hide_banner -loglevel error -y \
        -sample_rate 44100 -i "$music/pingus-5.it" -sample_rate 44100 -i "$music/pingus-3.it" \
        -sample_rate 44100 -i "$music/pingus-7.it" \
        -filter_complex "[0:a][1:a][2:a]concat=n=3:v=0:a=1[m]" -map "[m]" -t 240 -c:a pcm_f32le \
        "$out/long.wav"
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$out/long.wav" -af "$MIX1" -c:a pcm_s16le \
        "$out/L-mix.wav"
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$out/long.wav" -af "$REF2" -c:a pcm_s16le \
        "$out/L-ref.wav"
    rm -f "$out/long.wav"
    echo "$recipe" > "$stamp"
fi

cat > "$out/run_matchering.py" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import matchering as mg
mg.process(target=sys.argv[2], reference=sys.argv[3], results=[mg.pcm24(sys.argv[4])])
EOF

"$py" - "$build" "$out" "$yard" "$MATCHERING_DIR" "$pin" <<'EOF'
import os, re, subprocess, sys
build, out, yard, mdir, pin = sys.argv[1:6]
sys.path.insert(0, os.path.dirname(yard))
import spectral_distance as sd

pin = pin.split()

def run(name, cmd):
    tfile = os.path.join(out, name + ".time")
    with open(os.path.join(out, name + ".log"), "w") as log:
        rc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tfile] + pin + cmd,
                            stdout=log, stderr=subprocess.STDOUT).returncode
    e, u, s, m = open(tfile).read().split()[-4:]
    return rc, float(e), float(u) + float(s), int(m) / 1024.0

def ebur(path):
    r = subprocess.run([os.path.join(build, "lathe_ref_ebur128"), path], capture_output=True,
                       text=True).stdout
    d = dict(l.split()[:2] for l in r.splitlines() if l.strip())
    ch = int(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                             "stream=channels", "-of", "csv=p=0", path], capture_output=True,
                            text=True).stdout.strip())
    return float(d["integrated_lufs"]) + (3.0103 if ch == 1 else 0.0), float(d["true_peak_dbtp"])

lathe = os.path.join(build, "lathe")
mg = ["/usr/bin/python3", os.path.join(out, "run_matchering.py"), mdir]
rows = []
names = "ABCDEFGHI"
print("pair  tool        wall s  cpu s   MB     dist dB  (mix)   dLU    TP dBTP")
for n in list(names) + ["M", "L"]:
    mix, ref = os.path.join(out, n + "-mix.wav"), os.path.join(out, n + "-ref.wav")
    lr, _ = ebur(ref)
    mix_d = sd.distance(mix, ref)[0] if n != "L" else float("nan")
    for tool, cmd in (("lathe", [lathe, "match", mix, "--reference", ref, "-o",
                                 os.path.join(out, n + "-lathe.wav"), "-y", "--no-recipe"]),
                      ("matchering", mg + [mix, ref, os.path.join(out, n + "-mg.wav")])):
        o = os.path.join(out, n + ("-lathe.wav" if tool == "lathe" else "-mg.wav"))
        rc, wall, cpu, mb = run(n + "-" + tool, cmd)
        if rc != 0 or not os.path.exists(o):
            print("%-5s %-10s failed (exit %d), see %s.log" % (n, tool, rc, n + "-" + tool))
            continue
        lo, tp = ebur(o)
        dist = sd.distance(o, ref)[0] if n != "L" else float("nan")
        extra = ""
        if n == "M":
            extra = "  side/mid %.1f -> %.1f dB (reference %.1f)" % (
                sd.side_mid(mix), sd.side_mid(o), sd.side_mid(ref))
        print("%-5s %-10s %6.2f %6.2f %6.0f %8.3f (%5.2f) %+6.2f %7.2f%s" % (
            n, tool, wall, cpu, mb, dist, mix_d, lo - lr, tp, extra))
        rows.append((n, tool, wall, cpu, mb, dist, lo - lr, tp))

def summary(tool, sel):
    r = [x for x in rows if x[1] == tool and x[0] in sel]
    if not r:
        return
    d = [x[5] for x in r]
    e = [abs(x[6]) for x in r]
    print("%-10s pairs %s: spectral distance mean %.3f dB (%.3f..%.3f), |loudness error| mean "
          "%.2f LU (max %.2f), true peak max %+.2f dBTP" % (tool, sel, sum(d) / len(d), min(d),
                                                            max(d), sum(e) / len(e), max(e),
                                                            max(x[7] for x in r)))
print()
for t in ("lathe", "matchering"):
    summary(t, names)
L = {x[1]: x for x in rows if x[0] == "L"}
if "lathe" in L and "matchering" in L:
    print("240 s pair: lathe %.2f s CPU (%.0fx real time), %.0f MB; Matchering %.2f s CPU (%.0fx), "
          "%.0f MB; lathe %.1fx faster" % (L["lathe"][3], 240 / L["lathe"][3], L["lathe"][4],
                                            L["matchering"][3], 240 / L["matchering"][3],
                                            L["matchering"][4], L["matchering"][3] / L["lathe"][3]))
    # The host may be shared: REPS more alternating runs of the 240 s pair, medians.
    reps = int(os.environ.get("REPS", "4"))
    if reps > 0:
        mix, ref = os.path.join(out, "L-mix.wav"), os.path.join(out, "L-ref.wav")
        cpu = {"lathe": [L["lathe"][3]], "matchering": [L["matchering"][3]]}
        for _ in range(reps):
            for tool, cmd in (("lathe", [lathe, "match", mix, "--reference", ref, "-o",
                                         os.path.join(out, "L-lathe.wav"), "-y", "--no-recipe"]),
                              ("matchering", mg + [mix, ref, os.path.join(out, "L-mg.wav")])):
                rc, wall, c, mb = run("L-" + tool, cmd)
                if rc == 0:
                    cpu[tool].append(c)
        med = {t: sorted(v)[len(v) // 2] if len(v) % 2 else
               0.5 * (sorted(v)[len(v) // 2 - 1] + sorted(v)[len(v) // 2]) for t, v in cpu.items()}
        print("240 s pair, %d alternating runs each: lathe CPU %s s (median %.2f, %.0fx real time); "
              "Matchering %s s (median %.2f); ratio of medians %.1fx" % (
                  len(cpu["lathe"]), " ".join("%.2f" % v for v in cpu["lathe"]), med["lathe"],
                  240 / med["lathe"], " ".join("%.2f" % v for v in cpu["matchering"]),
                  med["matchering"], med["matchering"] / med["lathe"]))
EOF
