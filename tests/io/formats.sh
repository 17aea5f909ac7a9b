#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `lathe analyze` on files made by ffmpeg, i.e. what libsndfile's own writer does not
# make (tests/io/test_reader_formats.c covers those): WAVE_FORMAT_EXTENSIBLE channel
# masks, Ogg and FLAC multichannel orders, MP3/MP2, AIFC sowt/fl32/ulaw, u-law/A-law/
# ADPCM WAV, RF64/W64, files streamed to a pipe, and the --channels override.
#
# Expected figures come from the signal (sines of known amplitude: sample peak is
# 20 log10(A); loudness is BS.1770-4: -0.691 + 10 log10(sum G_i A_i^2 / 2 K(f)), with
# the K-weighting gain K computed from the spec's 48 kHz coefficients and the spec's
# channel weights G), and from ffmpeg's own ebur128 filter as an independent meter.
set -u
LATHE=${LATHE_BIN:?LATHE_BIN must point to the lathe binary}
for tool in ffmpeg python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/lathe-formats-sh.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------------
# The checker: runs lathe on one file and compares its JSON with expectations.
cat >"$tmp/check.py" <<'PY'
import cmath, json, math, re, subprocess, sys

def k_gain(f):
    """BS.1770-4 K-weighting power gain at f Hz (48 kHz coefficients, Tables 1-2)."""
    z = cmath.exp(-2j * math.pi * f / 48000.0)
    def h(b, a):
        return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    g = h([1.53512485958697, -2.69169618940638, 1.19839281085285],
          [1.0, -1.69065929318241, 0.73248077421585]) * \
        h([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
    return abs(g) ** 2

# BS.1770-4 Table 3 weights by role: 1.41 for surrounds at 60..120 deg azimuth, 0 for
# LFE, 1.0 otherwise (back surrounds at 135..150 deg included).
WEIGHT = {"L": 1.0, "R": 1.0, "C": 1.0, "M": 1.0, "?": 1.0, "LFE": 0.0,
          "Ls": 1.41, "Rs": 1.41, "Lb": 1.0, "Rb": 1.0}

def expected_lufs(tones, roles):
    s = sum(WEIGHT[r] * a * a / 2.0 * k_gain(f) for (a, f), r in zip(tones, roles))
    return -0.691 + 10.0 * math.log10(s) if s > 0 else None

def ffmpeg_ebur128(path):
    out = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-af", "ebur128",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    m = re.findall(r"^\s+I:\s+(-?[0-9.]+) LUFS", out, re.M)
    return float(m[-1]) if m else None

def main():
    lathe, name, path, spec = sys.argv[1:5]
    opts = sys.argv[5:]
    e = json.loads(spec)
    fails = []
    def check(ok, msg):
        if not ok:
            fails.append(msg)
    def near(got, want, tol, what):
        check(got is not None and want is not None and abs(got - want) <= tol,
              "%s: got %s, want %s +/- %s" % (what, got, want, tol))

    p = subprocess.run([lathe, "analyze", "--json"] + opts + [path], capture_output=True,
                       text=True)
    check(p.returncode == 0, "exit code %d, want 0" % p.returncode)
    check(p.stderr == "", "stderr not empty: %r" % p.stderr)
    try:
        d = json.loads(p.stdout)
    except ValueError as ex:
        print("FAIL %s: output is not JSON (%s): %r" % (name, ex, p.stdout[:200]))
        return 1
    f = d["format"]
    for key in ("container", "encoding", "bits", "channels", "sample_rate_hz", "frames",
                "roles_from_file"):
        if key in e:
            check(f.get(key) == e[key], "%s: got %r, want %r" % (key, f.get(key), e[key]))
    if "roles" in e:
        check(f["channel_roles"] == e["roles"],
              "channel roles %s, want %s" % (",".join(f["channel_roles"]), ",".join(e["roles"])))
    if "duration_s" in e:
        near(f["duration_s"], e["duration_s"], e.get("duration_tol", 1e-9), "duration_s")
    tones = e.get("tones")           # per channel in file order: [amplitude, Hz]
    if tones:
        roles = e.get("roles", f["channel_roles"])
        peak_tol = e.get("peak_tol", 0.01)
        for c, (a, _) in enumerate(tones):
            if c not in e.get("peak_channels", range(len(tones))):
                continue
            got = d["channel_stats"][c]["sample_peak_dbfs"]
            if a == 0:
                check(got is None, "channel %d: sample peak %s, want -inf (null)" % (c, got))
            else:
                near(got, 20 * math.log10(a), peak_tol, "channel %d sample peak dBFS" % c)
        want = expected_lufs(tones, roles)
        got = d["loudness"]["integrated_lufs"]
        if want is None:
            check(got is None, "integrated %s, want -inf (null)" % got)
        else:
            near(got, want, e.get("lufs_tol", 0.01), "integrated LUFS vs BS.1770 for the tones")
        print("  %-26s integrated %s LUFS (BS.1770 for the tones: %s)"
              % (name, got, None if want is None else round(want, 4)))
    if e.get("vs_ffmpeg"):
        ref = ffmpeg_ebur128(path)
        near(d["loudness"]["integrated_lufs"], ref, e.get("ffmpeg_tol", 0.1),
             "integrated LUFS vs ffmpeg ebur128 (printed to 0.1)")
        print("  %-26s integrated %s LUFS, ffmpeg ebur128 %s"
              % (name, d["loudness"]["integrated_lufs"], ref))
    if "wavex_mask" in e:
        raw = open(path, "rb").read(44)
        tag = int.from_bytes(raw[20:22], "little")
        mask = int.from_bytes(raw[40:44], "little")
        check(tag == 0xFFFE and mask == e["wavex_mask"],
              "file has tag 0x%04x mask 0x%x, want 0xFFFE 0x%x" % (tag, mask, e["wavex_mask"]))
    if "form" in e:
        form = open(path, "rb").read(12)[8:12].decode("latin-1")
        check(form == e["form"], "FORM type %r, want %r" % (form, e["form"]))
    for m in fails:
        print("FAIL %s: %s" % (name, m))
    return 1 if fails else 0

sys.exit(main())
PY

pass=0
fail=0
# check NAME FILE EXPECTATIONS-JSON [lathe options]
check() {
    if python3 "$tmp/check.py" "$LATHE" "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
}
# mk FILE LAVFI-SOURCE [ffmpeg output options]: renders a lavfi source into FILE.
mk() {
    local out=$1 src=$2
    shift 2
    if ! ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$src" "$@" "$out"; then
        echo "FAIL: ffmpeg could not make $out"
        fail=$((fail + 1))
        return 1
    fi
}
sine() { echo "$1*sin(2*PI*$2*t)"; }   # sine AMPLITUDE HZ, an aevalsrc expression

# --- WAVE_FORMAT_EXTENSIBLE: the mask sets the roles, and the roles the weights -----
# 5.1 (ffmpeg's "5.1" is FL FR FC LFE BL BR, mask 0x3F): a loud 60 Hz LFE must not
# count; without side channels the "back" pair are the 5.1 surrounds, +1.5 dB.
src="aevalsrc=$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.2 997)|$(sine 0.9 60)|$(sine 0.3 997)|0:s=48000:d=3:c=5.1"
mk "$tmp/51.wav" "$src" -c:a pcm_s24le &&
check "WAVEX 5.1" "$tmp/51.wav" '{"container":"WAV","encoding":"PCM 24-bit","bits":24,
  "channels":6,"frames":144000,"roles":["L","R","C","LFE","Ls","Rs"],"roles_from_file":true,
  "wavex_mask":63,"tones":[[0.1,997],[0.1,997],[0.2,997],[0.9,60],[0.3,997],[0,997]],
  "vs_ffmpeg":true}'
src="aevalsrc=$(sine 0.1 997)|0|0|$(sine 0.9 60)|0|$(sine 0.4 997):s=48000:d=3:c=5.1(side)"
mk "$tmp/51side.wav" "$src" -c:a pcm_s24le &&
check "WAVEX 5.1(side)" "$tmp/51side.wav" '{"channels":6,"roles":["L","R","C","LFE","Ls","Rs"],
  "roles_from_file":true,"wavex_mask":1551,
  "tones":[[0.1,997],[0,997],[0,997],[0.9,60],[0,997],[0.4,997]],"vs_ffmpeg":true}'
# 3.1 (FL FR FC LFE, mask 0xF): without the mask, 4 channels would be L R Ls Rs.
src="aevalsrc=0|0|$(sine 0.5 997)|$(sine 0.5 997):s=48000:d=3:c=3.1"
mk "$tmp/31.wav" "$src" -c:a pcm_s24le &&
check "WAVEX 3.1" "$tmp/31.wav" '{"channels":4,"roles":["L","R","C","LFE"],"roles_from_file":true,
  "wavex_mask":15,"tones":[[0,997],[0,997],[0.5,997],[0.5,997]],"vs_ffmpeg":true}'
# 7.1 (FL FR FC LFE BL BR SL SR, mask 0x63F): the side pair are the surrounds (1.41),
# the back pair back surrounds (1.0). ffmpeg's ebur128 weights both pairs 1.41, so it
# is no reference here.
src="aevalsrc=$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.8 60)|$(sine 0.1 997)|$(sine 0.2 997)|$(sine 0.3 997)|$(sine 0.1 997):s=48000:d=3:c=7.1"
mk "$tmp/71.wav" "$src" -c:a pcm_s24le &&
check "WAVEX 7.1" "$tmp/71.wav" '{"channels":8,"roles":["L","R","C","LFE","Lb","Rb","Ls","Rs"],
  "roles_from_file":true,"wavex_mask":1599,
  "tones":[[0.1,997],[0.1,997],[0.1,997],[0.8,60],[0.1,997],[0.2,997],[0.3,997],[0.1,997]]}'
# quad (FL FR BL BR, mask 0x33): the rear pair are surrounds.
src="aevalsrc=$(sine 0.2 997)|0|0|$(sine 0.3 997):s=48000:d=3:c=quad"
mk "$tmp/quad.wav" "$src" -c:a pcm_s24le &&
check "WAVEX quad" "$tmp/quad.wav" '{"channels":4,"roles":["L","R","Ls","Rs"],"roles_from_file":true,
  "wavex_mask":51,"tones":[[0.2,997],[0,997],[0,997],[0.3,997]],"vs_ffmpeg":true}'
# Stereo 24-bit: ffmpeg writes the extensible header with mask 0x3.
src="aevalsrc=$(sine 0.5 997)|$(sine 0.25 997):s=48000:d=3:c=stereo"
mk "$tmp/st24.wav" "$src" -c:a pcm_s24le &&
check "WAVEX stereo 24-bit" "$tmp/st24.wav" '{"roles":["L","R"],"roles_from_file":true,
  "wavex_mask":3,"tones":[[0.5,997],[0.25,997]],"vs_ffmpeg":true}'

# --- --channels overrides the file's roles -------------------------------------------
if [ -f "$tmp/31.wav" ]; then
    check "3.1 --channels L,R,Ls,Rs" "$tmp/31.wav" '{"roles":["L","R","Ls","Rs"],
      "tones":[[0,997],[0,997],[0.5,997],[0.5,997]]}' --channels L,R,Ls,Rs
    check "3.1 --channels l,r,lfe,c" "$tmp/31.wav" '{"roles":["L","R","LFE","C"],
      "tones":[[0,997],[0,997],[0.5,997],[0.5,997]]}' --channels l,r,lfe,c
    check "3.1 --channels L,R,LFE,LFE" "$tmp/31.wav" '{"roles":["L","R","LFE","LFE"],
      "tones":[[0,997],[0,997],[0.5,997],[0.5,997]]}' --channels L,R,LFE,LFE
    # A role list of the wrong length is a usage error naming the file, one line.
    out=$("$LATHE" analyze --channels L,R "$tmp/31.wav" 2>"$tmp/err" >/dev/null; echo $?)
    if [ "$out" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "31.wav" "$tmp/err"; then
        pass=$((pass + 1))
    else
        echo "FAIL --channels L,R on 4 channels: exit $out, stderr: $(cat "$tmp/err")"
        fail=$((fail + 1))
    fi
    out=$("$LATHE" analyze --channels L,X "$tmp/31.wav" 2>"$tmp/err" >/dev/null; echo $?)
    if [ "$out" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ]; then
        pass=$((pass + 1))
    else
        echo "FAIL --channels L,X: exit $out, stderr: $(cat "$tmp/err")"
        fail=$((fail + 1))
    fi
fi

# --- Ogg and FLAC multichannel: each format's own channel order -----------------------
# ffmpeg stores 5.1 in Vorbis order FL FC FR BL BR LFE (Vorbis I 4.3.9, RFC 7845).
# (Vorbis band-limits the LFE channel, so its 60 Hz peak is not checked.)
src="aevalsrc=$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.2 997)|$(sine 0.9 60)|$(sine 0.3 997)|0:s=48000:d=3:c=5.1"
mk "$tmp/51.ogg" "$src" -c:a libvorbis -q:a 8 &&
check "Vorbis 5.1" "$tmp/51.ogg" '{"container":"OGG","encoding":"Vorbis","bits":0,
  "frames":144000,"roles":["L","C","R","Ls","Rs","LFE"],
  "tones":[[0.1,997],[0.2,997],[0.1,997],[0.3,997],[0,997],[0.9,60]],"peak_tol":0.5,
  "peak_channels":[0,1,2,3,4],
  "lufs_tol":0.2,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
mk "$tmp/51.opus" "$src" -c:a libopus -b:a 384k &&
check "Opus 5.1" "$tmp/51.opus" '{"container":"OGG","encoding":"Opus","frames":144000,
  "roles":["L","C","R","Ls","Rs","LFE"],"lufs_tol":0.2,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
# FLAC 7.1 keeps WAV order: FL FR FC LFE BL BR SL SR.
src="aevalsrc=$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.1 997)|$(sine 0.8 60)|$(sine 0.1 997)|$(sine 0.2 997)|$(sine 0.3 997)|$(sine 0.1 997):s=48000:d=3:c=7.1"
mk "$tmp/71.flac" "$src" -c:a flac -sample_fmt s32 &&
check "FLAC 7.1" "$tmp/71.flac" '{"container":"FLAC","bits":24,"frames":144000,
  "roles":["L","R","C","LFE","Lb","Rb","Ls","Rs"],
  "tones":[[0.1,997],[0.1,997],[0.1,997],[0.8,60],[0.1,997],[0.2,997],[0.3,997],[0.1,997]]}'

# --- MPEG audio ------------------------------------------------------------------------
st44="aevalsrc=$(sine 0.5 997)|$(sine 0.25 997):s=44100:d=3:c=stereo"
mk "$tmp/st.mp3" "$st44" -c:a libmp3lame -b:a 192k &&
check "MP3 stereo 44.1k" "$tmp/st.mp3" '{"container":"MPEG","encoding":"MPEG Layer III",
  "bits":0,"duration_s":3.0,"duration_tol":0.03,"tones":[[0.5,997],[0.25,997]],
  "peak_tol":0.5,"lufs_tol":0.5,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
mk "$tmp/mono22.mp3" "$st44" -c:a libmp3lame -ar 22050 -ac 1 &&
check "MP3 mono 22.05k (MPEG-2)" "$tmp/mono22.mp3" '{"container":"MPEG","sample_rate_hz":22050,
  "channels":1,"duration_s":3.0,"duration_tol":0.03,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
# MPEG-1 Layer II carries no exact length: what it holds must not read as truncated.
mk "$tmp/st.mp2" "$st44" -c:a mp2 -b:a 256k &&
check "MP2 stereo" "$tmp/st.mp2" '{"container":"MPEG","encoding":"MPEG Layer II",
  "duration_s":3.0,"duration_tol":0.03,"tones":[[0.5,997],[0.25,997]],"peak_tol":0.5,
  "lufs_tol":0.5,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'

# --- AIFF-C and other WAV encodings ----------------------------------------------------
st48="aevalsrc=$(sine 0.5 997)|$(sine 0.25 997):s=48000:d=3:c=stereo"
tones='"tones":[[0.5,997],[0.25,997]]'
mk "$tmp/sowt.aif" "$st48" -c:a pcm_s16le -f aiff &&
check "AIFC sowt" "$tmp/sowt.aif" '{"container":"AIFF","encoding":"PCM 16-bit","form":"AIFC",
  "frames":144000,'"$tones"',"peak_tol":0.001}'
mk "$tmp/fl32.aif" "$st48" -c:a pcm_f32be -f aiff &&
check "AIFC fl32" "$tmp/fl32.aif" '{"container":"AIFF","encoding":"float 32-bit","form":"AIFC",
  "frames":144000,'"$tones"',"peak_tol":0.0001}'
mk "$tmp/ulaw.aif" "$st48" -c:a pcm_mulaw -f aiff &&
check "AIFC ulaw" "$tmp/ulaw.aif" '{"container":"AIFF","form":"AIFC","frames":144000,'"$tones"',
  "peak_tol":0.3,"lufs_tol":0.05}'
mk "$tmp/ulaw.wav" "$st48" -c:a pcm_mulaw &&
check "WAV u-law" "$tmp/ulaw.wav" '{"container":"WAV","frames":144000,'"$tones"',
  "peak_tol":0.3,"lufs_tol":0.05}'
mk "$tmp/alaw.wav" "$st48" -c:a pcm_alaw &&
check "WAV A-law" "$tmp/alaw.wav" '{"container":"WAV","frames":144000,'"$tones"',
  "peak_tol":0.3,"lufs_tol":0.05}'
mk "$tmp/ima.wav" "$st48" -c:a adpcm_ima_wav &&
check "WAV IMA ADPCM" "$tmp/ima.wav" '{"container":"WAV","encoding":"IMA ADPCM",
  "duration_s":3.0,"duration_tol":0.05,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
mk "$tmp/ms.wav" "$st48" -c:a adpcm_ms &&
check "WAV MS ADPCM" "$tmp/ms.wav" '{"container":"WAV","encoding":"Microsoft ADPCM",
  "duration_s":3.0,"duration_tol":0.05,"vs_ffmpeg":true,"ffmpeg_tol":0.15}'
mk "$tmp/u8.wav" "$st48" -c:a pcm_u8 &&
check "WAV PCM u8" "$tmp/u8.wav" '{"container":"WAV","encoding":"PCM 8-bit","bits":8,
  "frames":144000,'"$tones"',"peak_tol":0.1,"lufs_tol":0.02}'

# --- 64-bit containers -----------------------------------------------------------------
mk "$tmp/st.w64" "$st48" -c:a pcm_s24le -f w64 &&
check "W64 24-bit" "$tmp/st.w64" '{"container":"W64","bits":24,"frames":144000,'"$tones"'}'
mk "$tmp/rf64.wav" "$st48" -c:a pcm_s16le -rf64 always &&
check "RF64 16-bit" "$tmp/rf64.wav" '{"container":"RF64","bits":16,"frames":144000,'"$tones"',
  "peak_tol":0.001}'

# --- Written to a pipe: the header keeps placeholder sizes (0xFFFFFFFF, 0) -------------
if ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "$st48" -c:a pcm_s16le -f wav - \
        >"$tmp/pipe.wav" &&
   ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "$st48" -c:a pcm_s16be -f aiff - \
        >"$tmp/pipe.aif"; then
    check "WAV from a pipe" "$tmp/pipe.wav" '{"container":"WAV","frames":144000,'"$tones"',
      "peak_tol":0.001}'
    check "AIFF from a pipe" "$tmp/pipe.aif" '{"container":"AIFF","frames":144000,'"$tones"',
      "peak_tol":0.001}'
else
    echo "FAIL: ffmpeg could not write to a pipe"
    fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
