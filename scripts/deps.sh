#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian packages lathe needs to build, test and run its demo,
# when any of them is missing. apt-get when root, sudo otherwise; when neither
# works, prints the exact command to run and fails.
#
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --quiet  the same, saying nothing when all is present
set -eu

# python3: parses `lathe analyze --json` in tests and the demo; python3-numpy: the
# independent spectrum yardstick of the assistants' tests (tests/lib/spectral_distance.py).
# chromium: headless browser for the HTML report tests (tests/deliver/).
# pingus-data: tracker modules (ffmpeg renders them via libopenmpt) used as real
# music by tests/meter/ffmpeg_agreement.sh and bench/run.sh.
PKGS="build-essential cmake pkg-config
libsndfile1-dev libebur128-dev libsoxr-dev libfftw3-dev libjansson-dev
libtag1-dev libtagc0-dev
clang libclang-rt-14-dev
ffmpeg flac
python3 python3-numpy pingus-data time
chromium"

quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    [ $quiet -eq 1 ] || echo "deps: all build and test dependencies are installed"
    exit 0
fi

echo "deps: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "deps: cannot install packages (not root, no passwordless sudo). Run:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
