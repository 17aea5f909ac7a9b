#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The HTML reports of `lathe analyze --report` and `lathe master --report`, opened in
# headless Chromium (report_check.py lists the checks: no console errors or network
# requests, every plot drawn and not blank, the A/B audio decodes with the right
# duration and equal loudness by ffmpeg, the numbers shown equal the embedded JSON and
# ffmpeg's meter). Also: a 5.1 master's report, the size of a 4-minute master's report,
# and the command-line errors around --report (the 5.1 and 4-minute parts are skipped
# under the sanitizers, LATHE_SANITIZED=1).
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
