#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Applies an exact spectral tilt to a file, independently of lathe (tests/assist/auto_music.sh):
# the whole file is transformed with numpy's FFT, every bin multiplied by
# 10^(SLOPE * log10(f / 1 kHz) / 20) (SLOPE dB per decade, f clamped to 20 Hz..20 kHz),
# transformed back and written as 32-bit float WAV through ffmpeg.
#
#   tilt.py IN OUT SLOPE_DB_PER_DECADE
import subprocess
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from spectral_distance import decode  # noqa: E402

src, dst, slope = sys.argv[1], sys.argv[2], float(sys.argv[3])
rate, x = decode(src)
n = x.shape[0]
spec = np.fft.rfft(x, axis=0)
f = np.clip(np.fft.rfftfreq(n, 1.0 / rate), 20.0, 20000.0)
spec *= (10.0 ** (slope * np.log10(f / 1000.0) / 20.0))[:, None]
y = np.fft.irfft(spec, n=n, axis=0).astype("<f4")
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac",
                str(x.shape[1]), "-i", "-", "-c:a", "pcm_f32le", dst], input=y.tobytes(), check=True)
