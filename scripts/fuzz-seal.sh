#!/usr/bin/env bash
# Fuzzes SieveSeal's FrameOpener (plain handshake frames, then sealed frames opened and decoded)
# with libFuzzer: fuzz/SealFuzz.swift says what it checks.
#
#   scripts/fuzz-seal.sh [SECONDS] [LIBFUZZER-FLAG...]     (SECONDS defaults to 60)
#
# Modeled on scripts/fuzz.sh (which fuzzes SieveWire alone, built from its sources with swiftc).
# SieveSeal needs swift-crypto, which only SwiftPM builds, so: SwiftPM builds SieveSeal and what
# it imports (SieveWire, Crypto and BoringSSL) with -sanitize=fuzzer,address into
# .build-fuzz-seal/spm, and swiftc links fuzz/SealFuzz.swift against those objects (SwiftPM
# cannot link a libFuzzer executable). The seeds are fuzz/seal-corpus/ (committed; the run
# works on a copy, so they never grow). Exits non-zero if the fuzzer found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-60}"
if [[ ! "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -lt 1 ]; then
  echo "usage: scripts/fuzz-seal.sh [SECONDS] [LIBFUZZER-FLAG...]  (SECONDS: a whole number, at least 1)" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

swiftc="${SWIFTC:-swiftc}"
build=.build-fuzz-seal
spm="$build/spm"
fuzzer="$build/seal-fuzz"
seeds=fuzz/seal-corpus
work="$build/corpus"
artifacts="$build/artifacts"
log="$build/fuzz.log"
mkdir -p "$build"

linker=()
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$swiftc")")/ld.lld" ]; then
  linker=(-use-ld=lld)
fi

# The modules under test, instrumented (SwiftPM rebuilds only what changed).
swift build -c release --target SieveSeal --scratch-path "$spm" -Xswiftc -sanitize=fuzzer,address
release="$spm/release"
objects=()
for target in SieveSeal SieveWire Crypto CryptoBoringWrapper CCryptoBoringSSL CCryptoBoringSSLShims; do
  while IFS= read -r object; do objects+=("$object"); done < <(find "$release/$target.build" -name '*.o' | sort)
done
if [ ! -x "$fuzzer" ] || [ -n "$(find "${objects[@]}" fuzz/SealFuzz.swift -newer "$fuzzer" | head -n 1)" ]; then
  echo "linking $fuzzer"
  "$swiftc" -O -g -sanitize=fuzzer,address -parse-as-library -module-name SealFuzz "${linker[@]}" \
    -I "$release/Modules" fuzz/SealFuzz.swift "${objects[@]}" -o "$fuzzer"
fi

rm -rf "$work" "$artifacts"
mkdir -p "$artifacts"
cp -R "$seeds" "$work"

export SWIFT_BACKTRACE=enable=no
echo "fuzzing for $duration s; the libFuzzer log is $log"
status=0
"$fuzzer" -max_total_time="$duration" -print_final_stats=1 -timeout=10 -max_len=8192 \
  -artifact_prefix="$artifacts/" "$@" "$work" >"$log" 2>&1 || status=$?

# shellcheck disable=SC1091  # the shared report, a file of this directory
source scripts/fuzz-report.sh
fuzz_report "$log" "$duration" "$work" "$seeds" "$artifacts" "$fuzzer" "$status" || exit $?
