#!/usr/bin/env bash
# Fuzzes the SieveWire codec (FrameDecoder, Message.decode, the encoders) with libFuzzer.
#
#   scripts/fuzz.sh [SECONDS] [LIBFUZZER-FLAG...]     (SECONDS defaults to 60)
#
# Builds .build-fuzz/wire-fuzz with swiftc over Sources/SieveWire/*.swift and fuzz/WireFuzz.swift
# (SwiftPM cannot link a libFuzzer executable), writes the seed corpus fuzz/corpus/ if it is
# missing, and runs the fuzzer for SECONDS on a fresh copy of that corpus, so the committed seeds
# never grow. Prints the executions, the coverage and any crash files; exits non-zero if the
# fuzzer found a crash (or failed to run). docs/fuzzing.md says what the target checks.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-60}"
if [[ ! "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [LIBFUZZER-FLAG...]  (SECONDS: a whole number, at least 1)" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

swiftc="${SWIFTC:-swiftc}"
build=.build-fuzz
fuzzer="$build/wire-fuzz"
seeds=fuzz/corpus
work="$build/corpus"
artifacts="$build/artifacts"
log="$build/fuzz.log"
mkdir -p "$build"

# lld if the toolchain has it: gold links too, but warns about every ASan symbol.
linker=()
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$swiftc")")/ld.lld" ]; then
  linker=(-use-ld=lld)
fi

# The fuzzer: rebuilt when a codec source or the entry point is newer than the binary.
if [ ! -x "$fuzzer" ] || [ -n "$(find Sources/SieveWire fuzz/WireFuzz.swift -name '*.swift' -newer "$fuzzer")" ]; then
  echo "building $fuzzer"
  "$swiftc" -O -g -sanitize=fuzzer,address -parse-as-library -module-name WireFuzz "${linker[@]}" \
    Sources/SieveWire/*.swift fuzz/WireFuzz.swift -o "$fuzzer"
fi

# The seed corpus: written by fuzz/make-corpus.swift from the test suite's sample messages, with
# SieveWire built as its own module since SampleMessages.swift imports it.
if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
  echo "writing the seed corpus $seeds"
  generator="$build/corpus-gen"
  mkdir -p "$generator" "$seeds"
  "$swiftc" -O -parse-as-library -module-name SieveWire -emit-module \
    -emit-module-path "$generator/SieveWire.swiftmodule" -emit-library -static \
    -o "$generator/libSieveWire.a" Sources/SieveWire/*.swift
  "$swiftc" -O -parse-as-library -I "$generator" -L "$generator" -lSieveWire "${linker[@]}" \
    fuzz/make-corpus.swift Tests/SieveWireTests/SampleMessages.swift -o "$generator/make-corpus"
  "$generator/make-corpus" "$seeds"
fi

rm -rf "$work" "$artifacts"
mkdir -p "$artifacts"
cp -R "$seeds" "$work"

# Swift's own crash backtracer reads memory that ASan reports as a second, bogus error; libFuzzer
# prints the stack of a trap itself.
export SWIFT_BACKTRACE=enable=no
echo "fuzzing for $duration s; the libFuzzer log is $log"
status=0
# Inputs up to 8 KiB: the decoder compacts its buffer only after 4 KiB have been consumed.
"$fuzzer" -max_total_time="$duration" -print_final_stats=1 -timeout=10 -max_len=8192 \
  -artifact_prefix="$artifacts/" "$@" "$work" >"$log" 2>&1 || status=$?

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
coverage=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' | tail -n 1 || true)
echo "executions: ${executions:-unknown} (${speed:-?}/s) in $duration s"
echo "coverage:   ${coverage:-unknown} (cov = edges, ft = features, corp = working corpus)"
echo "corpus:     $(find "$work" -type f | wc -l) inputs in $work (seeds: $(find "$seeds" -type f | wc -l))"

crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
if [ -n "$crashes" ]; then
  echo "FOUND: libFuzzer saved these inputs (replay one with: $fuzzer FILE):"
  echo "$crashes"
  grep -E 'wire fuzz finding|Swift runtime failure|ERROR: (AddressSanitizer|libFuzzer)' "$log" | head -n 5 || true
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "the fuzzer exited with status $status and saved no input; see $log" >&2
  tail -n 20 "$log" >&2
  exit "$status"
fi
echo "no crash"

# Source coverage of Sources/SieveWire by the corpus the run ended with: the target rebuilt with
# coverage mapping (no ASan), run once over every input, reported by the toolchain's llvm-cov.
tools="$(dirname "$(command -v "$swiftc")")"
profdata="$tools/llvm-profdata"
llvmcov="$tools/llvm-cov"
if [ ! -x "$profdata" ] || [ ! -x "$llvmcov" ]; then
  echo "source coverage: skipped (no llvm-profdata and llvm-cov next to $swiftc)"
  exit 0
fi
covered="$build/coverage"
mkdir -p "$covered"
if [ ! -x "$covered/wire-cov" ] || [ -n "$(find Sources/SieveWire fuzz/WireFuzz.swift -name '*.swift' -newer "$covered/wire-cov")" ]; then
  "$swiftc" -O -sanitize=fuzzer -profile-generate -profile-coverage-mapping -parse-as-library \
    -module-name WireFuzz "${linker[@]}" Sources/SieveWire/*.swift fuzz/WireFuzz.swift -o "$covered/wire-cov"
fi
rm -f "$covered"/*.profraw
LLVM_PROFILE_FILE="$covered/wire.profraw" "$covered/wire-cov" -runs=0 "$work" >"$covered/run.log" 2>&1
"$profdata" merge -sparse "$covered/wire.profraw" -o "$covered/wire.profdata"
"$llvmcov" report "$covered/wire-cov" -instr-profile="$covered/wire.profdata" Sources/SieveWire/ >"$covered/report.txt"
"$llvmcov" show "$covered/wire-cov" -instr-profile="$covered/wire.profdata" Sources/SieveWire/ >"$covered/lines.txt"
# TOTAL  regions missed cover  functions missed cover  lines missed cover ...
read -r -a total <<<"$(grep '^TOTAL' "$covered/report.txt")"
echo "source coverage of Sources/SieveWire by the final corpus: lines ${total[9]:-?} (${total[8]:-?} of ${total[7]:-?} missed)," \
  "regions ${total[3]:-?}, functions ${total[6]:-?}; per file: $covered/report.txt, per line: $covered/lines.txt"
