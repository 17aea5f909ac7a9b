#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The HTML reports of `lathe analyze --report`, `lathe master --report` and
# `lathe match --report`, opened in headless Chromium (report_check.py lists the checks:
# no console errors or network requests, every plot drawn and not blank, the A/B audio
# decodes with the right duration and equal loudness by ffmpeg, the numbers shown equal
# the embedded JSON and ffmpeg's meter; for match also the reference's excerpt and
# spectrum). Also: a match with --report writes the same master as without, a match on
# two references draws their weighted mean, a 5.1 master's report, the size of a
# 4-minute master's report, and the command-line errors around --report (the 5.1,
# two-reference, same-master and 4-minute parts are skipped under the sanitizers,
# LATHE_SANITIZED=1).
#
# LATHE_REPORT_SHOTS=DIR keeps the screenshots and PDFs there (to look at them).
set -euo pipefail

lathe=${LATHE_BIN:?LATHE_BIN must name the lathe binary}
tools=${LATHE_TOOLS:?LATHE_TOOLS must name the build directory}
src=${LATHE_SOURCE:?LATHE_SOURCE must name the source tree}
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
    echo "SKIP: chromium is not installed (scripts/deps.sh installs it)"
    exit 77
fi
for t in python3 ffmpeg ffprobe; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP: $t is not installed"
        exit 77
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shots=${LATHE_REPORT_SHOTS:-}
[ -n "$shots" ] && mkdir -p "$shots"
check=(python3 -B "$src/tests/deliver/report_check.py" --chromium "$chromium")
fail=0

"$tools/lathe_demo_mix" "$tmp/mix.wav" >/dev/null

echo "== lathe analyze --report"
"$lathe" analyze "$tmp/mix.wav" --report "$tmp/analyze.html" >"$tmp/analyze.txt" 2>"$tmp/analyze.err"
grep -q "report written to $tmp/analyze.html" "$tmp/analyze.err" \
    || { echo "FAIL: analyze does not say where the report is"; fail=1; }
"${check[@]}" --html "$tmp/analyze.html" --kind analyze --input "$tmp/mix.wav" \
    ${shots:+--shots "$shots"} || fail=1

echo "== lathe master --report"
"$lathe" master "$tmp/mix.wav" -o "$tmp/master.wav" --report "$tmp/master.html" >"$tmp/master.txt"
grep -Eq "^  report +$tmp/master.html$" "$tmp/master.txt" \
    || { echo "FAIL: master does not say where the report is:"; cat "$tmp/master.txt"; fail=1; }
"${check[@]}" --html "$tmp/master.html" --kind master --input "$tmp/mix.wav" \
    --output "$tmp/master.wav" ${shots:+--shots "$shots"} || fail=1

# (skipped under the sanitizers, where mastering is ten times slower)
if [ "${LATHE_SANITIZED:-0}" != 1 ]; then
echo "== lathe master --report on 5.1 (the excerpts fold to stereo)"
ffmpeg -v error -i "$tmp/mix.wav" -t 34 -filter_complex \
    "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.3*c0|BL=0.5*c0|BR=0.5*c1" \
    -c:a pcm_s24le "$tmp/surround.wav"
"$lathe" master "$tmp/surround.wav" -o "$tmp/surround-master.wav" \
    --report "$tmp/surround.html" >/dev/null
"${check[@]}" --html "$tmp/surround.html" --kind master --input "$tmp/surround.wav" \
    --output "$tmp/surround-master.wav" || fail=1
channels=$(python3 -c 'import json,re,sys
h = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"lathe-data\">(.*?)</script>", h, re.S).group(1))
print(",".join(str(s["channels"]) for s in d["excerpt"]["sources"]))' "$tmp/surround.html")
[ "$channels" = "2,2" ] || { echo "FAIL: 5.1 excerpts have $channels channels, want 2,2"; fail=1; }
fi

echo "== lathe match --report"
# The reference: the mix with less bass and more treble, mastered louder at 48 kHz by a
# recipe, then 36 s of it from 2 s (its quiet intro shortened: its own loudest 30 s start
# elsewhere than the master's).
cat >"$tmp/bright.json" <<'EOF'
{ "lathe_recipe": 1,
  "target": { "name": "spotify", "lufs": -11.0, "ceiling_dbtp": -1.0, "rate_hz": 48000 },
  "chain": [ { "fx": "eq", "bands": [ { "type": "low_shelf", "freq_hz": 150, "gain_db": -4 },
                                       { "type": "high_shelf", "freq_hz": 4000, "gain_db": 5 } ] } ] }
EOF
"$lathe" master "$tmp/mix.wav" -o "$tmp/ref-full.wav" --recipe "$tmp/bright.json" >/dev/null 2>&1
ffmpeg -v error -ss 2 -t 36 -i "$tmp/ref-full.wav" -c:a pcm_s24le "$tmp/ref.wav"
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref.wav" -o "$tmp/matched.wav" --report "$tmp/match.html" \
    >"$tmp/match.txt"
grep -Eq "^  report: $tmp/match.html$" "$tmp/match.txt" \
    || { echo "FAIL: match does not say where the report is:"; cat "$tmp/match.txt"; fail=1; }
"${check[@]}" --html "$tmp/match.html" --kind match --input "$tmp/mix.wav" \
    --output "$tmp/matched.wav" --reference "$tmp/ref.wav" ${shots:+--shots "$shots"} || fail=1
echo "match report (40 s mix, 36 s reference): $(stat -c %s "$tmp/match.html") bytes"

# (skipped under the sanitizers: two more matches)
if [ "${LATHE_SANITIZED:-0}" != 1 ]; then
echo "== lathe match: the report changes nothing else"
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref.wav" -o "$tmp/matched2.wav" >"$tmp/match2.txt"
cmp -s "$tmp/matched.wav" "$tmp/matched2.wav" \
    || { echo "FAIL: the master written with --report differs from the one without"; fail=1; }
cmp -s "$tmp/matched.wav.recipe.json" "$tmp/matched2.wav.recipe.json" \
    || { echo "FAIL: the recipe written with --report differs from the one without"; fail=1; }
diff <(grep -v '^  report: ' "$tmp/match.txt") <(sed 's/matched2\.wav/matched.wav/g' "$tmp/match2.txt") \
    || { echo "FAIL: match prints other figures with --report (diff above)"; fail=1; }

echo "== lathe match --report on two references (their weighted mean drawn)"
# the first, shown and played, is shorter than 30 s: its excerpt is the whole file
ffmpeg -v error -i "$tmp/mix.wav" -t 25 -af "lowpass=f=5000,volume=4dB" -c:a pcm_s16le "$tmp/ref2.wav"
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref2.wav" --weight 0.5 -R "$tmp/ref.wav" \
    -o "$tmp/matched3.wav" --report "$tmp/match2.html" >/dev/null
"$lathe" analyze --json "$tmp/ref2.wav" >"$tmp/ref2.json"
"$lathe" analyze --json "$tmp/ref.wav" >"$tmp/ref.json"
python3 - "$tmp/match2.html" "$tmp/ref2.json" "$tmp/ref.json" <<'PY' || fail=1
import base64, json, math, re, subprocess, sys, tempfile
html = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="lathe-data">(.*?)</script>', html, re.S).group(1))
refs = [json.load(open(p)) for p in sys.argv[2:4]]
weights = [0.5, 1.0]
fails = []
def duration(path):
    return float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                 "-of", "csv=p=0", path], capture_output=True, text=True,
                                check=True).stdout)
blob = re.search(r'<audio[^>]*id="ab-reference"[^>]*src="data:[^,"]*,([^"]+)"', html)
if not blob:
    fails.append("no reference excerpt")
else:
    with tempfile.NamedTemporaryFile(suffix=".ogg") as f:
        f.write(base64.b64decode(blob.group(1)))
        f.flush()
        got, want = duration(f.name), duration(refs[0]["file"])
    print("reference excerpt: %.3f s of a %.3f s reference" % (got, want))
    if abs(got - want) > 0.05:
        fails.append("the reference excerpt lasts %.3f s, the reference %.3f s" % (got, want))
svg = re.search(r'<svg class="chart" id="spectrum"(.*?)</svg>(.*?)</figure>', html, re.S)
d = {k: float(v) for k, v in re.findall(r'data-(x0|x1|y0|y1|left|right|top|bottom)="([^"]+)"',
                                        svg.group(1))}
legend = re.findall(r'<span class="key">.*?</i>(.*?)</span>', svg.group(2))
if not any("weighted mean of the 2 references" in k for k in legend):
    fails.append("no weighted-mean legend: %s" % legend)
if not any(k.startswith("reference ref2.wav") for k in legend):
    fails.append("the reference curve is not named after the first reference: %s" % legend)
if data["reference"]["path"] != refs[0]["file"]:
    fails.append("the report shows %s, want the first reference" % data["reference"]["path"])
path = re.search(r'<path class="line target-curve"[^>]* d="([^"]+)"', svg.group(1))
if not path:
    fails.append("no weighted-mean curve in the spectrum plot")
else:
    def heard(a):   # a mono file is heard on two loudspeakers (+3.01 dB)
        return a["loudness"]["integrated_lufs"] + (3.0103 if a["format"]["channels"] == 1 else 0.0)
    out = data["output"]["analysis"]
    bands = out["spectrum"]["bands_hz"]
    worst, n = 0.0, 0
    for x, y in re.findall(r"[ML]([-\d.]+) ([-\d.]+)", path.group(1)):
        x, y = float(x), float(y)
        f = 10 ** (math.log10(d["x0"]) + (x - d["left"]) / (d["right"] - d["left"])
                   * (math.log10(d["x1"]) - math.log10(d["x0"])))
        k = min(range(len(bands)), key=lambda j: abs(math.log2(bands[j] / f)))
        num = den = 0.0
        for r, w in zip(refs, weights):
            v = r["spectrum"]["total_db"][k]
            if v is not None:
                num += w * (v - heard(r))
                den += w
        want = min(max(num / den + heard(out), d["y0"]), d["y1"])
        got = d["y0"] + (d["bottom"] - y) / (d["bottom"] - d["top"]) * (d["y1"] - d["y0"])
        worst = max(worst, abs(got - want))
        n += 1
    print("weighted-mean curve: %d points, at most %.3f dB from the references' mean" % (n, worst))
    if n < 20 or worst > 0.15:
        fails.append("weighted-mean curve: %d points, off by up to %.2f dB" % (n, worst))
for f in fails:
    print("FAIL: " + f)
sys.exit(1 if fails else 0)
PY
fi

echo "== command-line errors"
set +e
"$lathe" analyze "$tmp/mix.wav" "$tmp/master.wav" --report "$tmp/two.html" >/dev/null 2>"$tmp/err"
code=$?
set -e
[ $code -eq 2 ] && [ ! -e "$tmp/two.html" ] \
    || { echo "FAIL: --report with two inputs: exit $code (want 2)"; cat "$tmp/err"; fail=1; }
before=$(cksum <"$tmp/mix.wav")
set +e
"$lathe" master "$tmp/mix.wav" -o "$tmp/m2.wav" --report "$tmp/mix.wav" >/dev/null 2>"$tmp/err"
code=$?
set -e
[ $code -eq 5 ] && [ "$(cksum <"$tmp/mix.wav")" = "$before" ] && [ ! -e "$tmp/m2.wav" ] \
    || { echo "FAIL: --report naming the input: exit $code (want 5, input untouched)"; fail=1; }
grep -q "is also an input" "$tmp/err" || { echo "FAIL: no reason given:"; cat "$tmp/err"; fail=1; }
refsum=$(cksum <"$tmp/ref.wav")
set +e
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref.wav" -o "$tmp/m4.wav" --report "$tmp/ref.wav" \
    >/dev/null 2>"$tmp/err"
code=$?
set -e
[ $code -eq 5 ] && [ "$(cksum <"$tmp/ref.wav")" = "$refsum" ] && [ ! -e "$tmp/m4.wav" ] \
    && grep -q "is also an input" "$tmp/err" \
    || { echo "FAIL: match --report naming the reference: exit $code (want 5, reference" \
              "untouched, no output)"; cat "$tmp/err"; fail=1; }
set +e
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref.wav" -o "$tmp/m5.wav" --report "$tmp/m5.wav" \
    >/dev/null 2>"$tmp/err"
code=$?
set -e
[ $code -eq 5 ] && [ ! -e "$tmp/m5.wav" ] \
    || { echo "FAIL: match --report naming the output: exit $code (want 5, nothing written)"
         cat "$tmp/err"; fail=1; }
set +e
"$lathe" match "$tmp/mix.wav" -R "$tmp/ref.wav" --dry-run --report "$tmp/dry.html" \
    >/dev/null 2>"$tmp/err"
code=$?
set -e
[ $code -eq 0 ] && [ ! -e "$tmp/dry.html" ] && grep -q "dry.html: not written" "$tmp/err" \
    || { echo "FAIL: match --dry-run --report: exit $code (want 0, no report, a note)"
         cat "$tmp/err"; fail=1; }

# A 4-minute master's report stays under 5 MB (plots decimated, 30 s excerpts).
# Skipped under the sanitizers, where mastering 4 minutes takes too long.
if [ "${LATHE_SANITIZED:-0}" != 1 ]; then
    echo "== size of a 4-minute master's report"
    ffmpeg -v error -stream_loop 5 -i "$tmp/mix.wav" -c:a pcm_s24le "$tmp/long.wav"
    "$lathe" master "$tmp/long.wav" -o "$tmp/long-master.wav" --report "$tmp/long.html" >/dev/null
    size=$(stat -c %s "$tmp/long.html")
    echo "4-minute master: report of $size bytes"
    [ "$size" -lt 5000000 ] || { echo "FAIL: the report is $size bytes (want < 5 MB)"; fail=1; }
    # plots are decimated to the plot's width: no path holds more than ~2 x 940 points
    python3 - "$tmp/long.html" <<'PY' || fail=1
import re, sys
html = open(sys.argv[1]).read()
paths = re.findall(r'<path[^>]* d="([^"]*)"', html)
worst = max(len(re.findall(r"[ML]", d)) for d in paths)
print("4-minute master: %d paths, at most %d points in one" % (len(paths), worst))
sys.exit(0 if worst <= 2 * 940 + 4 else "FAIL: a path with %d points is not decimated" % worst)
PY
fi

if [ $fail -ne 0 ]; then
    echo "report_browser: FAILED"
    exit 1
fi
echo "report_browser: all checks passed"
