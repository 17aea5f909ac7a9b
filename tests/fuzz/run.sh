#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the libFuzzer target fuzz_analyze for SECONDS over a seed corpus of tiny audio
# files (every container and codec the reader knows) made here in a temporary
# directory. Exits non-zero when the fuzzer finds a crash, a leak, a sanitizer report
# or a broken API promise; the input that did it is kept in BUILD_DIR/fuzz-artifacts/.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS      (what `make fuzz` runs)
#
# Under CTest (no arguments) there is nothing to run: it skips (exit 77).
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS (run by 'make fuzz'; nothing to do under ctest)"
    exit 77
fi
build=$1
seconds=$2
fuzzer=$build/fuzz_analyze
if [ ! -x "$fuzzer" ]; then
    echo "run.sh: $fuzzer not found; build it with 'make fuzz'" >&2
    exit 2
fi
command -v ffmpeg >/dev/null 2>&1 || { echo "run.sh: ffmpeg is needed for the seed corpus" >&2; exit 2; }

tmp=$(mktemp -d /tmp/lathe-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
corpus=$tmp/corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"

# Seeds: 50 ms of a two-tone signal, tiny so that mutations reach every header byte.
seed() {
    local name=$1 layout=$2 rate=$3
    shift 3
    ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi \
        -i "aevalsrc=0.5*sin(2*PI*440*t)+0.2*sin(2*PI*3000*t):s=$rate:d=0.05:c=$layout" \
        "$@" "$corpus/$name" || echo "run.sh: could not make seed $name (skipped)" >&2
}
seed s16.wav mono 8000 -c:a pcm_s16le
seed u8.wav stereo 8000 -c:a pcm_u8
seed s24.wav stereo 48000 -c:a pcm_s24le
seed s32.wav mono 16000 -c:a pcm_s32le
seed 96k.wav mono 96000 -c:a pcm_s16le
seed 192k.wav mono 192000 -c:a pcm_s16le
seed f32.wav stereo 8000 -c:a pcm_f32le
seed f64.wav mono 8000 -c:a pcm_f64le
seed 51.wav 5.1 8000 -c:a pcm_s16le
seed 71.wav 7.1 8000 -c:a pcm_s16le
seed rf64.wav stereo 8000 -c:a pcm_s16le -rf64 always
seed s16.w64 stereo 8000 -c:a pcm_s16le -f w64
seed s16.aiff stereo 8000 -c:a pcm_s16be
seed sowt.aifc mono 8000 -c:a pcm_s16le -f aiff
seed fl32.aifc mono 8000 -c:a pcm_f32be -f aiff
seed ulaw.wav mono 8000 -c:a pcm_mulaw
seed alaw.wav mono 8000 -c:a pcm_alaw
seed ima.wav mono 8000 -c:a adpcm_ima_wav
seed ms.wav mono 8000 -c:a adpcm_ms
seed s16.flac stereo 8000 -c:a flac
seed s24.flac 5.1 48000 -c:a flac -sample_fmt s32
seed v.ogg stereo 8000 -c:a libvorbis
seed o.opus stereo 48000 -c:a libopus -b:a 32k
seed m.mp3 mono 8000 -c:a libmp3lame -b:a 16k
seed m.mp2 stereo 32000 -c:a mp2
seed s16.au mono 8000 -c:a pcm_s16be -f au
seed s16.caf mono 8000 -c:a pcm_s16le -f caf
seed pipe.wav mono 8000 -c:a pcm_s16le -f wav -rf64 never -write_bext 0
echo "run.sh: $(ls "$corpus" | wc -l) seed files in $corpus"

# Chunk names and magic numbers the mutations should try.
cat >"$tmp/audio.dict" <<'EOF'
"RIFF"
"RF64"
"WAVE"
"fmt "
"data"
"fact"
"ds64"
"LIST"
"FORM"
"AIFF"
"AIFC"
"COMM"
"SSND"
"sowt"
"fl32"
"fLaC"
"OggS"
"OpusHead"
"\x01vorbis"
"ID3"
"\xff\xfb"
".snd"
"caff"
"\xfe\xff"
"\x01\x00"
"\x03\x00"
"\xff\xff\xff\xff"
"\x00\x00\x00\x00"
EOF

# Leaks inside the system libraries' own error paths, which lathe cannot free: each
# names a function of the third-party library that allocated, never a lathe one.
cat >"$tmp/lsan.supp" <<'EOF'
# libsndfile 1.2.0 ogg_vorbis.c: vorbis_read_header returns on a malformed header
# without vorbis_info_clear/vorbis_comment_clear.
leak:vorbis_info_init
leak:vorbis_comment_init
leak:vorbis_synthesis_headerin
EOF

echo "run.sh: fuzzing for $seconds s (crashes go to $artifacts/)"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$tmp/lsan.supp:print_suppressions=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=120 \
    -error_exitcode=1 -timeout_exitcode=1 -dict="$tmp/audio.dict" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus"
rc=$?
if [ $rc -ne 0 ]; then
    echo "run.sh: the fuzzer failed (exit $rc); reproduce with: $fuzzer $artifacts/<file>" >&2
    exit 1
fi
echo "run.sh: no crash in $seconds s"
