#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Independent yardstick for reference matching (tests/assist/*.sh, bench/matchering.sh):
# the long-term 1/3-octave spectrum of a file and its distance to another's, computed
# with ffmpeg (decoding, resampling-free, and the integrated loudness by its ebur128
# filter) and numpy (Welch's method), sharing no code with lathe.
#
#   spectral_distance.py OUT REF          prints: distance_db loudness_out loudness_ref max_abs_db
#   spectral_distance.py --bands OUT REF  also prints the per-band differences
#   spectral_distance.py --side-mid FILE  prints the side/mid energy ratio, dB
#
# Spectrum: both channels' power averaged (mean over channels), Hann-windowed frames of
# 16384 samples with 50 % overlap, bins summed into IEC 61260 base-10 1/3-octave bands
# (centres 1000 * 10^(k/10), edges at 10^(+-1/20) times the centre). Each spectrum is
# taken relative to its file's integrated loudness (ffmpeg ebur128), i.e. the spectra
# are loudness-aligned (a mono file's loudness counted as dual mono, as heard on two
# loudspeakers: ebur128's dualmono option); the distance is the mean absolute dB
# difference over the bands centred from 40 Hz to 16 kHz (27 bands), max_abs_db the
# largest one.
import math
import re
import subprocess
import sys

import numpy as np

LO_HZ, HI_HZ = 39.0, 16500.0
NFFT = 16384


def decode(path):
    """(rate, float32 array frames x channels) via ffmpeg."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                            "stream=sample_rate,channels", "-of", "csv=p=0", path],
                           capture_output=True, text=True, check=True).stdout.strip().split(",")
    rate, ch = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le",
                          "-acodec", "pcm_f32le", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    return rate, x.reshape(-1, ch)


def loudness(path):
    """Integrated loudness from ffmpeg's ebur128 filter (LUFS, 0.1 resolution)."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path, "-af",
                          "ebur128=peak=true:dualmono=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    m = re.findall(r"I:\s+(-?[\d.]+) LUFS", err)
    return float(m[-1])


def third_octaves(path):
    rate, x = decode(path)
    win = np.hanning(NFFT + 1)[:-1]
    hop = NFFT // 2
    power = np.zeros(NFFT // 2 + 1)
    frames = 0
    for start in range(0, max(1, x.shape[0] - NFFT + 1), hop):
        seg = x[start:start + NFFT]
        if seg.shape[0] < NFFT:
            seg = np.vstack([seg, np.zeros((NFFT - seg.shape[0], x.shape[1]))])
        spec = np.fft.rfft(seg * win[:, None], axis=0)
        power += np.mean(np.abs(spec) ** 2, axis=1)
        frames += 1
    power /= frames * NFFT * np.sum(win ** 2) / 2.0
    freqs = np.arange(power.size) * rate / NFFT
    bands = {}
    for k in range(-17, 14):
        fc = 1000.0 * 10 ** (k / 10.0)
        if fc < LO_HZ or fc > HI_HZ:
            continue
        lo, hi = fc * 10 ** -0.05, fc * 10 ** 0.05
        sel = (freqs >= lo) & (freqs < hi)
        p = power[sel].sum()
        bands[round(fc, 1)] = 10 * math.log10(p) if p > 0 else -300.0
    return bands


def distance(out, ref):
    lo, lr = loudness(out), loudness(ref)
    bo, br = third_octaves(out), third_octaves(ref)
    diffs = [(f, (bo[f] - lo) - (br[f] - lr)) for f in sorted(bo) if f in br]
    return sum(abs(d) for _, d in diffs) / len(diffs), lo, lr, diffs


def side_mid(path):
    _, x = decode(path)
    m = 0.5 * (x[:, 0] + x[:, 1])
    s = 0.5 * (x[:, 0] - x[:, 1])
    return 10 * math.log10(max(np.sum(s * s), 1e-30) / np.sum(m * m))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--side-mid":
        print("%.2f" % side_mid(args[1]))
        sys.exit(0)
    show = False
    if args and args[0] == "--bands":
        show = True
        args = args[1:]
    d, lo, lr, diffs = distance(args[0], args[1])
    print("%.3f %.1f %.1f %.3f" % (d, lo, lr, max(abs(v) for _, v in diffs)))
    if show:
        for f, v in diffs:
            print("%8.1f %+6.2f" % (f, v))
