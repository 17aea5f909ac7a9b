# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks one lathe HTML report in headless Chromium (tests/deliver/report_browser.sh):

  - the page loads with no console errors or exceptions and makes no network request
    (everything but the page itself and data: URIs counts);
  - every expected plot is an SVG with drawn paths, and its screenshot is not blank;
  - the A/B <audio> elements load their metadata with the expected duration, and decode
    (Web Audio) to non-silent audio;
  - every number shown (elements with data-json) equals the embedded JSON's value at
    the displayed precision, and the figures equal the analyses' values;
  - independently of lathe: ffmpeg's ebur128 on the files agrees with the figures, the
    A/B excerpts decoded by ffmpeg play at equal loudness, and the excerpt is the
    loudest passage by ffmpeg's own momentary loudness;
  - print media hides the player and the page prints to PDF;
  - match reports: a third excerpt (the reference, its own loudest passage, at the same
    loudness by ffmpeg), the reference's spectrum drawn where its JSON values put it,
    the target derived from the reference (by ffmpeg's meter on it), the decisions
    listed and the recipe shown equal to the embedded one.

Usage: report_check.py --chromium BIN --html FILE --kind analyze|master|match --input WAV
                       [--output WAV] [--reference WAV] [--shots DIR]
Exit 0 when every check passes; prints each failure with the values obtained."""
import argparse
import base64
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def pointer(doc, ptr):
    cur = doc
    for part in ptr.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def shown_number(text):
    t = text.strip().replace("\u2212", "-")
    if t in ("n/a", "-\u221e", "+\u221e"):
        return None
    return float(t)


def ffmpeg_ebur128(path, extra=()):
    """Integrated loudness, true peak and momentary values (every 100 ms) by ffmpeg."""
    cmd = ["ffmpeg", "-hide_banner", "-nostats", "-v", "verbose"] + list(extra) + [
        "-i", path, "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    summary = out[out.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    momentary = [float(m) for m in re.findall(r"\bM:\s*(-?[\d.]+|-inf)", out[:out.rfind("Summary:")])]
    return integrated, float(peak.group(1)) if peak else None, momentary


def ffprobe_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", path], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def close_json(a, b):
    """A and B equal as JSON values, numbers within 1e-9 (relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close_json(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def heard(analysis):
    """Integrated loudness as heard: a mono file plays on two loudspeakers (+3.01 dB)."""
    i = analysis["loudness"]["integrated_lufs"]
    return None if i is None else i + (3.0103 if analysis["format"]["channels"] == 1 else 0.0)


def png_pixels(png_bytes, tmp):
    """RGB bytes, width, height of a PNG, decoded by ffmpeg."""
    src = os.path.join(tmp, "shot.png")
    with open(src, "wb") as f:
        f.write(png_bytes)
    w = int.from_bytes(png_bytes[16:20], "big")        # IHDR
    h = int.from_bytes(png_bytes[20:24], "big")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    return raw, w, h


def blankness(raw):
    """(share of pixels that are not near-white, number of distinct colours)."""
    n = len(raw) // 3
    ink = 0
    colours = set()
    for i in range(0, n * 3, 3 * 3):          # every third pixel is plenty
        r, g, b = raw[i], raw[i + 1], raw[i + 2]
        if r < 235 or g < 235 or b < 235:
            ink += 1
        colours.add((r >> 3, g >> 3, b >> 3))
    return ink / max(1, n // 3), len(colours)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("--kind", choices=("analyze", "master", "match"), required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output")
    ap.add_argument("--reference")
    ap.add_argument("--shots")
    args = ap.parse_args()
    match = args.kind == "match"
    master = args.kind in ("master", "match")      # both render an output
    if match and not args.reference:
        ap.error("--kind match needs --reference")
    html_path = os.path.abspath(args.html)
    url = "file://" + html_path
    html = open(html_path, encoding="utf-8").read()
    tmp = tempfile.mkdtemp(prefix="lathe-report-check-")

    # ---- static: nothing that could reach out ----
    for pat in (r'\b(?:src|href|action|poster)\s*=\s*"(?!data:|#)', r"@import", r"url\(\s*['\"]?(?!data:|#)"):
        hits = re.findall(pat, html)
        check(not hits, "the page references an external resource (%s): %s" % (pat, hits[:3]))

    # the player is exercised by script, which is no user gesture: allow playback anyway
    browser = Browser(args.chromium, ["--autoplay-policy=no-user-gesture-required"])
    try:
        s = browser.new_page()
        browser.call("Page.navigate", {"url": url}, session=s)
        browser.wait_event("Page.loadEventFired", session=s, timeout=60)

        # ---- audio: metadata, duration, decoding ----
        audio = browser.evaluate(s, r"""
          Promise.all(Array.from(document.querySelectorAll('audio')).map(a =>
            new Promise((ok, bad) => {
              const done = () => ok({id: a.id, duration: a.duration, expect: +a.dataset.duration,
                                     volume: a.volume, muted: a.muted});
              if (a.readyState >= 1) return done();
              a.addEventListener('loadedmetadata', done);
              a.addEventListener('error', () => bad(new Error(a.id + ': media error ' +
                                                             (a.error && a.error.code))));
              setTimeout(() => bad(new Error(a.id + ': no metadata after 30 s')), 30000);
            }).then(r => fetch(a.src).then(x => x.arrayBuffer())
              .then(b => new OfflineAudioContext(2, 48000, 48000).decodeAudioData(b))
              .then(buf => {
                let peak = 0;
                for (let c = 0; c < buf.numberOfChannels; c++) {
                  const d = buf.getChannelData(c);
                  for (let i = 0; i < d.length; i++) peak = Math.max(peak, Math.abs(d[i]));
                }
                return Object.assign(r, {decoded_s: buf.duration, peak: peak});
              }))))""", await_promise=True, timeout=120)
        if match:
            check([a["id"] for a in audio] == ["ab-before", "ab-after", "ab-reference"],
                  "three A/B audio elements (before, after, reference), found %s"
                  % [a["id"] for a in audio])
        elif master:
            check(len(audio) == 2, "two A/B audio elements, found %d" % len(audio))
        else:
            check(len(audio) == 0, "no audio in an analysis report, found %d" % len(audio))
        data = json.loads(browser.evaluate(s, "document.getElementById('lathe-data').textContent"))
        for a in audio:
            check(abs(a["duration"] - a["expect"]) < 0.05,
                  "%s: audio.duration %.3f s, excerpt is %.3f s" % (a["id"], a["duration"], a["expect"]))
            check(abs(a["decoded_s"] - a["expect"]) < 0.05,
                  "%s: decoded %.3f s, excerpt is %.3f s" % (a["id"], a["decoded_s"], a["expect"]))
            check(a["peak"] > 0.01, "%s: decoded audio is silent (peak %g)" % (a["id"], a["peak"]))
            check(a["volume"] == 1 and not a["muted"], "%s: volume %s muted %s (matching is in "
                  "the samples)" % (a["id"], a["volume"], a["muted"]))
        if master:
            check(data["excerpt"] is not None, "the JSON describes the excerpts")
            want = min(30.0, data["output"]["analysis"]["format"]["duration_s"])
            for a in audio:
                # the reference's own loudest passage: 30 s or the whole file (by ffprobe)
                w = min(30.0, ffprobe_duration(args.reference)) if a["id"] == "ab-reference" else want
                check(abs(a["duration"] - w) < 0.05,
                      "%s lasts %.3f s, want %.3f s (30 s or the file)" % (a["id"], a["duration"], w))

        # ---- the A/B toggle: play A, switch to B (by button, then back by key) ----
        if master:
            ab = json.loads(browser.evaluate(s, r"""new Promise(ok => {
              const A = document.getElementById('ab-before'), B = document.getElementById('ab-after');
              document.getElementById('ab-play').click();
              setTimeout(() => {
                const t = A.currentTime, playingA = !A.paused;
                document.querySelector('.ab-sel[data-target="ab-after"]').click();
                setTimeout(() => ok(JSON.stringify({playingA: playingA, tA: t, pausedA: A.paused,
                  playingB: !B.paused, tB: B.currentTime,
                  pressedB: document.querySelector('.ab-sel[data-key="b"]').getAttribute('aria-pressed')})), 400);
              }, 800);
            })""", await_promise=True))
            check(ab["playingA"] and ab["tA"] > 0.3, "A plays: %s" % ab)
            check(ab["pausedA"] and ab["playingB"] and ab["pressedB"] == "true",
                  "B selected and playing, A paused: %s" % ab)
            check(ab["tA"] - 0.05 <= ab["tB"] <= ab["tA"] + 1.0,
                  "B continues where A was: A at %.2f s, B at %.2f s" % (ab["tA"], ab["tB"]))
            for kind in ("keyDown", "keyUp"):
                browser.call("Input.dispatchKeyEvent", {"type": kind, "key": "a", "code": "KeyA",
                                                        "text": "a" if kind == "keyDown" else ""},
                             session=s)
            back = browser.evaluate(s, "[document.getElementById('ab-before').paused, "
                                       "document.getElementById('ab-after').paused, "
                                       "document.querySelector('.ab-sel[data-key=\"a\"]').getAttribute('aria-pressed')]")
            check(back == [False, True, "true"], "key A switches back to A: %s" % back)
            # each button shows the key that selects it ("R · Reference": key R)
            sel = browser.evaluate(s, "Array.from(document.querySelectorAll('.ab-sel')).map("
                                      "b => [b.dataset.key, b.textContent.trim()])")
            for key, text in sel:
                check(text[:1].lower() == key, "button %r is selected by key %r" % (text, key))
            if match:
                for kind in ("keyDown", "keyUp"):
                    browser.call("Input.dispatchKeyEvent", {"type": kind, "key": "r", "code": "KeyR",
                                                            "text": "r" if kind == "keyDown" else ""},
                                 session=s)
                r = json.loads(browser.evaluate(s, r"""new Promise(ok => setTimeout(() => {
                  const A = document.getElementById('ab-before'), B = document.getElementById('ab-after'),
                        R = document.getElementById('ab-reference');
                  ok(JSON.stringify({pausedA: A.paused, pausedB: B.paused, playingR: !R.paused,
                    tA: A.currentTime, tR: R.currentTime,
                    pressedR: document.querySelector('.ab-sel[data-key="r"]').getAttribute('aria-pressed'),
                    label: document.querySelector('.ab-sel[data-key="r"]').textContent}));
                }, 400))""", await_promise=True))
                check(r["pausedA"] and r["pausedB"] and r["playingR"] and r["pressedR"] == "true",
                      "key R selects the reference and plays it, A and B paused: %s" % r)
                check(r["tA"] - 0.05 <= r["tR"] <= r["tA"] + 1.0,
                      "R continues where A was: A at %.2f s, R at %.2f s" % (r["tA"], r["tR"]))
                check("Reference" in r["label"], "the third button is the reference: %r" % r["label"])
            browser.evaluate(s, "document.querySelectorAll('audio').forEach(a => a.pause())")

        # ---- plots: drawn paths, non-blank screenshots ----
        plots = browser.evaluate(s, r"""
          Array.from(document.querySelectorAll('svg.chart')).map(svg => {
            const r = svg.getBoundingClientRect();
            const data = Array.from(svg.querySelectorAll(
              'path.line, path.wave-peak, path.wave-rms, path.gr, path[class^="d"]'));
            const drawn = data.filter(p => {
              const b = p.getBBox();
              return (p.getAttribute('d') || '').length > 20 && (b.width > 1 || b.height > 1);
            });
            return {id: svg.id, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
                    paths: svg.querySelectorAll('path').length, data: data.length,
                    drawn: drawn.length};
          })""")
        ids = [p["id"] for p in plots]
        stereo = data["input"]["analysis"]["stereo"] is not None
        want = ["wave-before", "loudness", "spectrum"]
        if stereo:
            want += ["correlation", "density-before"]
        if master:
            want += ["wave-after", "gr"] + (["density-after"] if stereo else [])
        for w in want:
            check(w in ids, "plot %s is on the page (plots: %s)" % (w, ids))
        for p in plots:
            check(p["w"] > 200 and p["h"] > 100, "%s is %.0fx%.0f px" % (p["id"], p["w"], p["h"]))
            check(p["drawn"] >= 1 and p["drawn"] == p["data"],
                  "%s: %d of %d data paths drawn" % (p["id"], p["drawn"], p["data"]))
            shot = browser.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": p["x"], "y": p["y"], "width": p["w"], "height": p["h"], "scale": 1}},
                session=s)
            png = base64.b64decode(shot["data"])
            raw, w, h = png_pixels(png, tmp)
            ink, colours = blankness(raw)
            check(ink > 0.02 and colours >= 4,
                  "%s screenshot looks blank: %.1f %% ink, %d colours" % (p["id"], 100 * ink, colours))
            if args.shots:
                with open(os.path.join(args.shots, "%s-%s.png" % (args.kind, p["id"])), "wb") as f:
                    f.write(png)

        # match: the reference's spectrum, drawn where its JSON values put it (shifted to the
        # output's loudness as heard), in its own colour, named in the legend
        if match:
            spec = browser.evaluate(s, r"""(() => {
              const svg = document.getElementById('spectrum'), p = svg.querySelector('path.line.reference');
              if (!p) return null;
              const pts = (p.getAttribute('d').match(/[ML][^ML]+/g) || []).map(
                t => t.slice(1).trim().split(/\s+/).map(Number));
              const stroke = c => { const e = svg.querySelector('path.line.' + c);
                                    return e ? getComputedStyle(e).stroke : null; };
              const b = p.getBBox();
              return {pts: pts, d: Object.assign({}, svg.dataset), w: b.width, h: b.height,
                      strokes: [stroke('reference'), stroke('before'), stroke('after')],
                      legend: Array.from(svg.parentNode.querySelectorAll('.legend .key')).map(
                        k => k.textContent)};
            })()""")
            check(spec is not None, "the spectrum plot has a reference curve")
            if spec:
                d = {k: float(v) for k, v in spec["d"].items()}
                ra, oa = data["reference"]["analysis"], data["output"]["analysis"]
                shift = heard(oa) - heard(ra)
                bands, levels = ra["spectrum"]["bands_hz"], ra["spectrum"]["total_db"]
                check(len(spec["pts"]) >= 20 and spec["w"] > 300 and spec["h"] > 10,
                      "reference curve: %d points, %.0fx%.0f px" % (len(spec["pts"]), spec["w"], spec["h"]))
                worst = 0.0
                for x, y in spec["pts"]:
                    f = 10 ** (math.log10(d["x0"]) + (x - d["left"]) / (d["right"] - d["left"])
                               * (math.log10(d["x1"]) - math.log10(d["x0"])))
                    k = min(range(len(bands)), key=lambda j: abs(math.log2(bands[j] / f)))
                    db = d["y0"] + (d["bottom"] - y) / (d["bottom"] - d["top"]) * (d["y1"] - d["y0"])
                    want_db = d["y0"] if levels[k] is None else min(max(levels[k] + shift, d["y0"]), d["y1"])
                    check(abs(math.log2(bands[k] / f)) < 1 / 12,
                          "reference point at %.1f Hz is no 1/3-octave band" % f)
                    worst = max(worst, abs(db - want_db))
                check(worst < 0.15, "reference curve off its JSON values (+%.2f dB shift) by up to "
                      "%.2f dB" % (shift, worst))
                check(len(set(spec["strokes"])) == 3, "reference, before, after strokes: %s" % spec["strokes"])
                name = os.path.basename(args.reference)
                check(any(name in k and "reference" in k for k in spec["legend"]),
                      "the legend names the reference %s: %s" % (name, spec["legend"]))

        # the target line sits at the target loudness
        if master and data["target"] and data["target"]["lufs"] is not None:
            line = browser.evaluate(s, r"""(() => {
              const svg = document.getElementById('loudness'), p = svg.querySelector('path.target');
              const y = +p.getAttribute('d').split(' ')[1].split('H')[0], d = svg.dataset;
              return (+d.y0) + ((+d.bottom) - y) / ((+d.bottom) - (+d.top)) * ((+d.y1) - (+d.y0));
            })()""")
            check(abs(line - data["target"]["lufs"]) < 0.1,
                  "target line drawn at %.2f LUFS, target %.2f" % (line, data["target"]["lufs"]))

        # ---- numbers shown = the JSON's ----
        shown = browser.evaluate(s, r"""Array.from(document.querySelectorAll('[data-json]')).map(
            e => [e.dataset.json, +e.dataset.decimals, e.textContent])""")
        check(len(shown) >= 15, "%d numbers carry data-json" % len(shown))
        for ptr, dec, text in shown:
            value = pointer(data, ptr)
            num = shown_number(text)
            if value is None:
                check(num is None, "%s: JSON null but shown %r" % (ptr, text))
            else:
                check(num is not None and abs(num - value) <= 0.5 * 10 ** -dec + 1e-9,
                      "%s: shown %r, JSON %r" % (ptr, text, value))
        for f in data["figures"]:
            check(("reference" in f) == match, "figure %s: a reference value iff a match report"
                  % f["key"])
            for side in ("input", "output", "reference"):
                if data[side] is None or side not in f:
                    continue
                want_v = pointer(data[side]["analysis"], f["path"])
                check(f[side] == want_v or (f[side] is None and want_v is None)
                      or abs(f[side] - want_v) < 1e-6 * max(1, abs(want_v)),
                      "figure %s %s: %r, analysis says %r" % (f["key"], side, f[side], want_v))
        rows = browser.evaluate(s, "document.querySelectorAll('table.figures tbody tr').length")
        check(rows == len(data["figures"]), "%d table rows for %d figures" % (rows, len(data["figures"])))
        if match:
            cells = browser.evaluate(s, "document.querySelectorAll('table.figures td[data-json$=\"/reference\"]').length")
            check(cells == len(data["figures"]), "%d reference cells for %d figures" % (cells, len(data["figures"])))

        # ---- independent: ffmpeg's meter on the files ----
        files = [("input", args.input)] + ([("output", args.output)] if args.output else []) \
            + ([("reference", args.reference)] if args.reference else [])
        measured = {}
        for side, path in files:
            i_ff, tp_ff, mom = measured[side] = ffmpeg_ebur128(path)
            a = data[side]["analysis"]
            i_rep, tp_rep = a["loudness"]["integrated_lufs"], a["peaks"]["true_peak_dbtp"]
            # JSON null: silence (ffmpeg floors integrated loudness at -70 LUFS)
            check(i_ff <= -69.9 if i_rep is None else abs(i_rep - i_ff) < 0.1,
                  "%s integrated: report %s LUFS, ffmpeg %.2f" % (side, i_rep, i_ff))
            check(tp_ff == -math.inf if tp_rep is None else abs(tp_rep - tp_ff) < 0.3,
                  "%s true peak: report %s dBTP, ffmpeg %.2f" % (side, tp_rep, tp_ff))
        if master:
            t = data["target"]
            out_i = data["output"]["analysis"]["loudness"]["integrated_lufs"]
            verdict = next(f["verdict"] for f in data["figures"] if f["key"] == "integrated")
            check(verdict == ("pass" if abs(out_i - t["lufs"]) <= 0.1 else "fail"),
                  "integrated verdict %s for %.2f vs target %.2f" % (verdict, out_i, t["lufs"]))
            if match:
                # the target is the reference's: its loudness and true peak (at most -0.1), by ffmpeg
                i_ref, tp_ref, _ = measured["reference"]
                if data["reference"]["analysis"]["format"]["channels"] == 1:
                    i_ref += 3.0103
                check(abs(t["lufs"] - i_ref) < 0.1,
                      "target %.2f LUFS, the reference measures %.2f by ffmpeg" % (t["lufs"], i_ref))
                check(abs(t["ceiling_dbtp"] - min(tp_ref, -0.1)) < 0.3,
                      "ceiling %.2f dBTP, the reference peaks at %.2f by ffmpeg" % (t["ceiling_dbtp"], tp_ref))

            # the excerpts, decoded by ffmpeg: equal loudness, the right passage
            ex = data["excerpt"]
            blobs = re.findall(r'<audio[^>]*id="ab-([a-z]+)"[^>]*src="data:([^;"]+)[^,"]*,([^"]+)"', html)
            want_n = 3 if match else 2
            check(len(blobs) == want_n, "%d embedded excerpts, found %d" % (want_n, len(blobs)))
            loud = {}
            for name, mime, b64 in blobs:
                path = os.path.join(tmp, name + ".ogg")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(b64))
                loud[name] = ffmpeg_ebur128(path)[0]
            if len(loud) == want_n:
                for name in loud:
                    check(abs(loud[name] - loud["after"]) < 0.3,
                          "excerpts decoded by ffmpeg: %s %.2f LUFS, after %.2f LUFS (want equal)"
                          % (name, loud[name], loud["after"]))
                check(abs(loud["after"] - ex["matched_lufs"]) < 0.3,
                      "after excerpt %.2f LUFS, JSON says matched at %.2f" % (loud["after"], ex["matched_lufs"]))
            src = {x["id"]: x for x in ex["sources"]}
            # the output's passage (the input's is the same span), and the reference's own
            for side, sid, path in [("output", "after", args.output)] + \
                    ([("reference", "reference", args.reference)] if match else []):
                start, dur = src[sid]["start_s"], src[sid]["duration_s"]
                if src[sid]["channels"] == data[side]["analysis"]["format"]["channels"]:
                    # (a surround excerpt is a stereo fold-down, which ffmpeg cannot compare)
                    seg_i = ffmpeg_ebur128(path, ["-ss", "%.3f" % start, "-t", "%.3f" % dur])[0]
                    check(abs(seg_i - src[sid]["lufs"]) < 0.2,
                          "%s %.1f-%.1f s: ffmpeg %.2f LUFS, report says %.2f as read"
                          % (side, start, start + dur, seg_i, src[sid]["lufs"]))
                # loudest passage by ffmpeg's momentary loudness (every 100 ms, 400 ms windows)
                mom = measured[side][2]
                power = [10 ** (m / 10) if m > -120 else 0.0 for m in mom]
                k = int(round(dur / 0.1))
                dur_file = data[side]["analysis"]["format"]["duration_s"]
                check(len(power) >= int(dur_file * 10) - 1 and len(power) >= k,
                      "ffmpeg gave %d momentary values for %.1f s" % (len(power), dur_file))
                # window from s: the 400 ms windows ending in (s + 0.4 .. s + dur] (as lathe picks)
                energy = lambda j: sum(power[j + 3:j + k])  # noqa: E731
                best = max(range(0, max(1, len(power) - k + 1)), key=energy)
                chosen = int(round(start / 0.1))
                check(energy(chosen) >= 0.995 * energy(best) and energy(best) > 0,
                      "%s excerpt at %.1f s holds %.4g, the loudest window (at %.1f s) %.4g"
                      % (side, start, energy(chosen), best * 0.1, energy(best)))

        # ---- match: what lathe did (the decisions, the recipe) ----
        if match:
            check(data["command"] == "match", "command %r, want match" % data["command"])
            check(data["reference"] and data["reference"]["path"] == args.reference,
                  "reference path %r" % (data["reference"] and data["reference"]["path"]))
            h1 = browser.evaluate(s, "document.querySelector('h1').textContent")
            check(h1 == "Match report", "title %r" % h1)
            decisions = (data["recipe"] or {}).get("explanation") or []
            items = browser.evaluate(s, "Array.from(document.querySelectorAll('#explanation li'))"
                                        ".map(li => li.textContent)")
            check(len(decisions) >= 3 and len(items) == len(decisions),
                  "%d decisions listed, the recipe holds %d" % (len(items), len(decisions)))
            for li, dec in zip(items, decisions):
                aspect = dec.split(":")[0]
                check(li.startswith(aspect + ":"), "decision %r listed as %r" % (aspect, li[:60]))
            pre = browser.evaluate(s, "(document.getElementById('recipe') || {}).textContent || ''")
            try:
                shown_recipe = json.loads(pre)
            except ValueError:
                shown_recipe = None
            check(shown_recipe is not None and close_json(shown_recipe, data["recipe"]),
                  "the recipe shown parses and equals the embedded one: %r" % pre[:120])

        # ---- print ----
        if args.shots:
            metrics = browser.evaluate(s, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                "clip": {"x": 0, "y": 0, "width": metrics[0], "height": metrics[1], "scale": 1}},
                                session=s, timeout=120)
            with open(os.path.join(args.shots, "%s-page.png" % args.kind), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=s)
        hidden = browser.evaluate(s, "(() => { const p = document.getElementById('listen'); "
                                     "return !p || p.getBoundingClientRect().height === 0; })()")
        check(hidden, "the A/B player is hidden in print")
        if args.shots:
            metrics = browser.evaluate(s, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                "clip": {"x": 0, "y": 0, "width": metrics[0], "height": metrics[1], "scale": 1}},
                                session=s, timeout=120)
            with open(os.path.join(args.shots, "%s-print.png" % args.kind), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        browser.call("Emulation.setEmulatedMedia", {"media": ""}, session=s)
        pdf = base64.b64decode(browser.call("Page.printToPDF", {"printBackground": True},
                                            session=s, timeout=120)["data"])
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        check(pdf[:5] == b"%PDF-" and pages >= 2, "print to PDF: %d bytes, %d pages" % (len(pdf), pages))
        if args.shots:
            with open(os.path.join(args.shots, "%s.pdf" % args.kind), "wb") as f:
                f.write(pdf)

        # ---- console and network, over the whole visit ----
        browser.pump(0.5)
        errors, requests = [], []
        for ev in browser.events:
            if ev.get("sessionId") != s:
                continue
            m, p = ev["method"], ev["params"]
            if m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                errors.append("console.%s: %s" % (p["type"], [a.get("value") for a in p["args"]]))
            elif m == "Runtime.exceptionThrown":
                errors.append("exception: %s" % p["exceptionDetails"].get("text"))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append("log: %s %s" % (p["entry"].get("source"), p["entry"].get("text")))
            elif m == "Network.requestWillBeSent":
                u = p["request"]["url"]
                if not (u.startswith("data:") or u == url):
                    requests.append(u)
        check(not errors, "console errors: %s" % errors)
        check(not requests, "network requests: %s" % requests)
    finally:
        browser.close()

    print("report_check %s: %d passed, %d failed" % (args.kind, passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
