#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Meter agreement on real music: lathe's integrated loudness, true peak and loudness
# range against ffmpeg's ebur128 filter (an independent BS.1770 / R128 implementation).
#
# Material: tracker modules from Debian's pingus-data, rendered by ffmpeg (libopenmpt)
# into seven files of different rates, channel counts and formats: 44.1 kHz and 48 kHz
# (native and resampled by ffmpeg), stereo and mono, 16/24-bit PCM, float and FLAC, one
# that clips, one whose channels are in anti-phase.
# Checks per file: |I(lathe) - I(ffmpeg)| <= 0.1 LU, |true peak difference| <= 0.2 dB,
# |LRA difference| <= 1 LU (LRA implementations differ in how they step the 3 s
# window, so this one is loose). ffmpeg prints its figures to 0.1, which this
# comparison inherits. libebur128's figures (tools/lathe_ref_ebur128) are shown
# alongside when that tool is built, for information only.
# Skips (77) when ffmpeg, its libopenmpt demuxer or the pingus music is unavailable.
set -u

: "${LATHE_BIN:?LATHE_BIN must point to the lathe binary}"
music=${LATHE_MUSIC_DIR:-/usr/share/games/pingus/data/music}

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "SKIP: ffmpeg is not installed (scripts/deps.sh installs it)"
    exit 77
fi
if [ ! -r "$music/pingus-1.it" ]; then
    echo "SKIP: no tracker music in $music (Debian package pingus-data; scripts/deps.sh)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL: python3 is needed to parse lathe's JSON (scripts/deps.sh installs it)"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lathe-ffmpeg-agree.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Seconds rendered per track; shorter under ASan/UBSan, which runs lathe ~3-10x slower.
secs=60
[ "${LATHE_SANITIZED:-0}" = 1 ] && secs=20

# render OUT SOURCE RENDER_RATE [ffmpeg output options...]
# RENDER_RATE is the rate libopenmpt synthesises at; -ar in the options resamples.
render() {
    local out=$1 src=$2 rate=$3
    shift 3
    ffmpeg -nostdin -hide_banner -loglevel error -y -sample_rate "$rate" -i "$music/$src" \
        -t "$secs" "$@" "$work/$out"
}

if ! render probe.wav pingus-1.it 44100 -t 1 -c:a pcm_s16le 2>"$work/probe.err"; then
    echo "SKIP: ffmpeg cannot decode tracker modules (no libopenmpt?):"
    cat "$work/probe.err"
    exit 77
fi

set -e
# pingus-1.it clips at 16 bits (runs at full scale; true peak just above 0 dBTP).
render a-44k-s16.wav      pingus-1.it                 44100 -c:a pcm_s16le
render b-48k-s24.wav      gd-giirm.s3m                44100 -ar 48000 -c:a pcm_s24le
render c-44k-mono.wav     pingus-3.it                 44100 -ac 1 -c:a pcm_s16le
render d-48k.flac         pingus-4.it                 48000 -c:a flac -sample_fmt s16
render e-44k-float.wav    the_big_march_in_space.it   44100 -c:a pcm_f32le
render f-48k-s24.wav      gd-myla.it                  48000 -c:a pcm_s24le
# rough_journey.it renders with its channels in anti-phase (correlation -1).
render g-48k-antiphase.wav rough_journey.it           48000 -c:a pcm_s16le
set +e

ref=""
if [ -n "${LATHE_TOOLS:-}" ] && [ -x "$LATHE_TOOLS/lathe_ref_ebur128" ]; then
    ref=$LATHE_TOOLS/lathe_ref_ebur128
fi

python3 - "$LATHE_BIN" "$ref" "$work" <<'EOF'
import json, math, os, re, subprocess, sys

lathe, ref, work = sys.argv[1], sys.argv[2], sys.argv[3]
TOL_I, TOL_TP, TOL_LRA = 0.1, 0.2, 1.0

def num(v):
    return -math.inf if v is None else float(v)

def lathe_figures(path):
    p = subprocess.run([lathe, "analyze", "--json", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("lathe analyze exited %d: %s" % (p.returncode, p.stderr.strip()))
    a = json.loads(p.stdout)
    f = a["format"]
    desc = "%s %d Hz %dch %s" % (f["container"], f["sample_rate_hz"], f["channels"], f["encoding"])
    return (num(a["loudness"]["integrated_lufs"]), num(a["peaks"]["true_peak_dbtp"]),
            num(a["loudness"]["loudness_range_lu"]), desc, f["duration_s"])

def ffmpeg_figures(path):
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path,
                        "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("ffmpeg exited %d: %s" % (p.returncode, p.stderr[-500:]))
    text = p.stderr[p.stderr.rfind("Summary:"):]
    def grab(label, unit):
        m = re.search(r"^\s*%s:\s+(-?inf|-?[0-9.]+)\s+%s" % (label, unit), text, re.M)
        if not m:
            raise RuntimeError("no '%s:' line in ffmpeg's summary:\n%s" % (label, text))
        return float(m.group(1))
    return grab("I", "LUFS"), grab("Peak", "dBFS"), grab("LRA", "LU")

def ref_figures(path):
    if not ref:
        return None
    try:  # information only: any trouble here just leaves the column empty
        p = subprocess.run([ref, path], capture_output=True, text=True)
        kv = dict(line.split() for line in p.stdout.splitlines() if line.strip())
        return (float(kv["integrated_lufs"]), float(kv["true_peak_dbtp"]),
                float(kv["loudness_range_lu"])) if p.returncode == 0 else None
    except (OSError, ValueError, KeyError):
        return None

def delta(a, b):
    if math.isinf(a) and math.isinf(b) and (a > 0) == (b > 0):
        return 0.0
    return a - b

files = sorted(f for f in os.listdir(work) if f[0] in "abcdefg" and f != "probe.wav")
failures = []
errors = 0  # files that could not be measured at all (each also counts as a failure)
rows = []
for name in files:
    path = os.path.join(work, name)
    try:
        li, ltp, llra, desc, dur = lathe_figures(path)
        fi, ftp, flra = ffmpeg_figures(path)
    except (RuntimeError, ValueError, KeyError, OSError) as e:
        failures.append("%s: %s" % (name, e))
        errors += 1
        continue
    r = ref_figures(path)
    di, dtp, dlra = delta(li, fi), delta(ltp, ftp), delta(llra, flra)
    rows.append((name, desc, dur, li, fi, di, ltp, ftp, dtp, llra, flra, dlra, r))
    if not abs(di) <= TOL_I:
        failures.append("%s: integrated %.2f LUFS (lathe) vs %.1f (ffmpeg): off by %.2f LU > %.1f"
                        % (name, li, fi, di, TOL_I))
    if not abs(dtp) <= TOL_TP:
        failures.append("%s: true peak %.2f dBTP (lathe) vs %.1f (ffmpeg): off by %.2f dB > %.1f"
                        % (name, ltp, ftp, dtp, TOL_TP))
    if not abs(dlra) <= TOL_LRA:
        failures.append("%s: LRA %.2f LU (lathe) vs %.1f (ffmpeg): off by %.2f LU > %.1f"
                        % (name, llra, flra, dlra, TOL_LRA))

print("%-19s %-31s %5s | %7s %6s %5s | %6s %5s %5s | %5s %4s %5s | %s"
      % ("file", "format (lathe)", "s", "I lathe", "ffmpeg", "d", "TP lat", "ffm", "d",
         "LRA l", "ffm", "d", "libebur128 I / TP / LRA"))
for (name, desc, dur, li, fi, di, ltp, ftp, dtp, llra, flra, dlra, r) in rows:
    refs = "%.2f / %.2f / %.2f" % r if r else "-"
    print("%-19s %-31s %5.1f | %7.2f %6.1f %+5.2f | %6.2f %5.1f %+5.2f | %5.2f %4.1f %+5.2f | %s"
          % (name, desc, dur, li, fi, di, ltp, ftp, dtp, llra, flra, dlra, refs))
print("tolerances: I %.1f LU, true peak %.1f dB, LRA %.1f LU (ffmpeg prints one decimal)"
      % (TOL_I, TOL_TP, TOL_LRA))
if len(rows) + len(failures) == 0:
    failures.append("no rendered files found in %s" % work)
    errors += 1
for f in failures:
    print("FAIL:", f)
print("%d passed, %d failed" % (3 * len(rows) - (len(failures) - errors), len(failures)))
sys.exit(1 if failures else 0)
EOF
