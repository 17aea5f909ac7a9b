#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo (`make demo`): synthesises an unmastered 40 s mix, analyses it, masters it
# with an HTML report, and says where the files are. Everything it writes goes to demo/out/ (git-ignored).
#
#   scripts/demo.sh BUILD_DIR     BUILD_DIR holds the built `lathe` and `lathe_demo_mix`
set -eu

if [ $# -ne 1 ]; then
    echo "usage: scripts/demo.sh BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/demo/out
lathe=$build/lathe
synth=$build/lathe_demo_mix

for exe in "$lathe" "$synth"; do
    if [ ! -x "$exe" ]; then
        echo "demo: $exe is missing; build first (make build)" >&2
        exit 1
    fi
done
mkdir -p "$out"

# ---- 1. The mix: deterministic, so the same build gives the same bytes every run.
mix=$out/demo-mix.wav
echo "== 1. Synthesising the unmastered demo mix"
"$synth" "$mix"

# ---- 2. What the mix measures like before mastering.
echo
echo "== 2. Analysis of the unmastered mix (lathe analyze)"
"$lathe" analyze "$mix"

# The tonal complaint in one line: how far the low end (40-125 Hz) sits above the
# mids (250 Hz - 2 kHz), in mean 1/3-octave band level, and the share of power
# below 150 Hz. Pink noise reads 0 dB and 29 %; balanced masters, as a rule of
# thumb, read roughly +4 to +10 dB.
if command -v python3 >/dev/null 2>&1; then
    "$lathe" analyze --json "$mix" | python3 -c '
import json, sys
a = json.load(sys.stdin)
s = a["spectrum"]
bands = [(f, d) for f, d in zip(s["bands_hz"], s["total_db"]) if d is not None]
low = [d for f, d in bands if 35 < f < 140]
mid = [d for f, d in bands if 220 < f < 2300]
power = [(f, 10 ** (d / 10)) for f, d in bands]
share = sum(p for f, p in power if f < 150) / sum(p for f, p in power)
tilt = sum(low) / len(low) - sum(mid) / len(mid)
print()
print("Low end: 40-125 Hz sits %+.1f dB above 250 Hz-2 kHz (pink noise: 0 dB);" % tilt)
print("         %.0f %% of the power lies below 150 Hz (pink noise: 29 %%)." % (100 * share))
print("Level:   %.1f LUFS integrated, %.1f dBTP true peak: quiet, with headroom to master into."
      % (a["loudness"]["integrated_lufs"], a["peaks"]["true_peak_dbtp"]))
'
fi

# ---- 3. Mastering: the mix to Spotify's target with the default chain, the recipe
# saved beside it (it reproduces the master bit for bit) and an HTML report.
master="$out/demo-master.wav"
echo
echo "== lathe master $mix -o $master --target spotify"
"$lathe" master "$mix" -o "$master" --target spotify --force \
    --write-recipe "$out/demo-master.recipe.json" --report "$out/demo-report.html"

echo
echo "demo: the unmastered mix is $mix"
echo "demo: the master is $master (recipe: $out/demo-master.recipe.json)"
echo "demo: analyse either with: $lathe analyze FILE"
echo "demo: the report (plots, figures, A/B at equal loudness) is $out/demo-report.html"
echo "      open it in a browser: file://$out/demo-report.html"
