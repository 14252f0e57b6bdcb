#!/usr/bin/env bash
# Fuzzes a parser with libFuzzer.
#
#   scripts/fuzz.sh [TARGET] [SECONDS] [LIBFUZZER-FLAG...]    (TARGET defaults to wire, SECONDS to 60)
#
# Targets (docs/fuzzing.md says what each checks):
#   wire         the SieveWire codec: FrameDecoder, Message.decode, the encoders (fuzz/WireFuzz.swift)
#   samples      samples.jsonl: SamplesFile and JSONObjectLineScanner (fuzz/SamplesFuzz.swift)
#   safetensors  SafetensorsFile and SafetensorsHeader (fuzz/SafetensorsFuzz.swift)
#   journal      the run journal: JournalFile.read and JournalRecord.decode (fuzz/JournalFuzz.swift)
#   sealed       the sealed-frame reader (SieveSeal), through scripts/fuzz-seal.sh
# `scripts/fuzz.sh [SECONDS]` (no target) fuzzes wire, as before there were others.
#
# Builds .build-fuzz/TARGET-fuzz with swiftc over the parser's sources and the entry point
# (SwiftPM cannot link a libFuzzer executable), writes the wire seed corpus fuzz/corpus/ if it is
# missing (the other targets' seeds, fuzz/corpus-TARGET/, are committed), and runs the fuzzer for
# SECONDS on a fresh copy of the seeds, so the committed seeds never grow. Prints the executions,
# the coverage and any crash files; exits non-zero if the fuzzer found a crash (or failed to run).
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/fuzz.sh [wire|samples|safetensors|journal|sealed] [SECONDS] [LIBFUZZER-FLAG...]  (SECONDS: a whole number, at least 1)"
target=wire
case "${1:-}" in
  wire|samples|safetensors|journal|sealed) target="$1"; shift ;;
  -h|--help) echo "$usage"; exit 0 ;;
esac
duration="${1:-60}"
if [[ ! "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -lt 1 ]; then
  echo "$usage" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

swiftc="${SWIFTC:-swiftc}"
build=.build-fuzz
fuzzer="$build/$target-fuzz"
state="$build/$target"
work="$state/corpus"
artifacts="$state/artifacts"
log="$state/fuzz.log"
modules="$build/modules"
mkdir -p "$state" "$modules"

# lld if the toolchain has it: gold links too, but warns about every ASan symbol.
linker=()
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$swiftc")")/ld.lld" ]; then
  linker=(-use-ld=lld)
fi

# A Swift file found by name under Sources/ (files may move between modules; they keep their names).
source_named() {
  local found
  found=$(find Sources -name "$1" | head -n 1)
  [ -n "$found" ] || { echo "no $1 under Sources/" >&2; exit 2; }
  echo "$found"
}

# Per target: the sources compiled into the fuzzer (`sources`), the module name, the largest
# input (`max_len`), the committed seeds, and the files whose source coverage is reported.
extra_flags=()
case "$target" in
  wire)
    module=WireFuzz
    sources=(Sources/SieveWire/*.swift fuzz/WireFuzz.swift)
    # Inputs up to 8 KiB: the decoder compacts its buffer only after 4 KiB have been consumed.
    max_len=8192
    seeds=fuzz/corpus
    covered_sources=(Sources/SieveWire/)
    ;;
  samples|safetensors|journal)
    # SieveData imports SieveKernels for SplitMix64 alone; that file is built as a module of its
    # own (plain Swift, no C kernels), which the fuzzer links.
    if [ ! -f "$modules/libSieveKernels.a" ] || [ Sources/SieveKernels/SplitMix64.swift -nt "$modules/libSieveKernels.a" ]; then
      "$swiftc" -O -parse-as-library -module-name SieveKernels -emit-module \
        -emit-module-path "$modules/SieveKernels.swiftmodule" -emit-library -static \
        -o "$modules/libSieveKernels.a" Sources/SieveKernels/SplitMix64.swift
    fi
    extra_flags=(-I "$modules" -L "$modules" -lSieveKernels)
    seeds="fuzz/corpus-$target"
    case "$target" in
      samples)
        module=SamplesFuzz
        sources=(Sources/SieveData/*.swift fuzz/FuzzSupport.swift fuzz/SamplesFuzz.swift)
        max_len=4096
        covered_sources=(Sources/SieveData/SamplesFile.swift Sources/SieveData/SampleIDs.swift Sources/SieveData/JSONObjectLineScanner.swift)
        ;;
      safetensors)
        module=SafetensorsFuzz
        sources=(Sources/SieveData/*.swift fuzz/FuzzSupport.swift fuzz/SafetensorsFuzz.swift)
        max_len=4096
        covered_sources=(Sources/SieveData/SafetensorsFile.swift Sources/SieveData/SafetensorsHeader.swift)
        ;;
      journal)
        # JournalRecord.swift lives in SieveCore and imports SieveWire: it is compiled, unedited,
        # into one module named SieveWire with the codec's sources (so its import names its own
        # module), with the files of the two SieveCore types it names (EpochRecord, GreedyOutcome).
        module=SieveWire
        record=$(source_named JournalRecord.swift)
        sources=(Sources/SieveData/*.swift Sources/SieveWire/*.swift "$record" "$(source_named EpochRecord.swift)"
                 "$(source_named GreedyOutcome.swift)" fuzz/FuzzSupport.swift fuzz/JournalFuzz.swift)
        max_len=16384
        covered_sources=(Sources/SieveData/JournalFile.swift "$record")
        # swiftc warns that it ignores JournalRecord's import of its own module: expected.
        extra_flags+=(-suppress-warnings)
        ;;
    esac
    ;;
  sealed)
    # SieveSeal imports swift-crypto, which only SwiftPM builds: its own script builds it with
    # the sanitizers and links fuzz/SealFuzz.swift (docs/fuzzing.md, the sealed-frame reader).
    exec bash scripts/fuzz-seal.sh "$duration" "$@"
    ;;
esac

# The fuzzer: rebuilt when a source or the entry point is newer than the binary.
if [ ! -x "$fuzzer" ] || [ -n "$(find "${sources[@]}" -newer "$fuzzer" | head -n 1)" ]; then
  echo "building $fuzzer"
  "$swiftc" -O -g -sanitize=fuzzer,address -parse-as-library -module-name "$module" "${linker[@]}" \
    "${extra_flags[@]}" "${sources[@]}" -o "$fuzzer"
fi

# The wire seed corpus: written by fuzz/make-corpus.swift from the test suite's sample messages,
# with SieveWire built as its own module since SampleMessages.swift imports it.
if [ "$target" = wire ] && [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
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
if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
  echo "no seeds in $seeds (fuzz/make-data-corpus.py writes them)" >&2
  exit 2
fi

rm -rf "$work" "$artifacts"
mkdir -p "$artifacts"
cp -R "$seeds" "$work"

# Swift's own crash backtracer reads memory that ASan reports as a second, bogus error; libFuzzer
# prints the stack of a trap itself.
export SWIFT_BACKTRACE=enable=no
echo "fuzzing $target for $duration s; the libFuzzer log is $log"
status=0
"$fuzzer" -max_total_time="$duration" -print_final_stats=1 -timeout=10 -max_len="$max_len" \
  -artifact_prefix="$artifacts/" "$@" "$work" >"$log" 2>&1 || status=$?

# shellcheck disable=SC1091  # the shared report, a file of this directory
source scripts/fuzz-report.sh
fuzz_report "$log" "$duration" "$work" "$seeds" "$artifacts" "$fuzzer" "$status" || exit $?

# Source coverage of the parser by the corpus the run ended with: the target rebuilt with
# coverage mapping (no ASan), run once over every input, reported by the toolchain's llvm-cov.
# FUZZ_COVERAGE=0 skips it (make test does, to stay short).
if [ "${FUZZ_COVERAGE:-1}" = 0 ]; then exit 0; fi
tools="$(dirname "$(command -v "$swiftc")")"
profdata="$tools/llvm-profdata"
llvmcov="$tools/llvm-cov"
if [ ! -x "$profdata" ] || [ ! -x "$llvmcov" ]; then
  echo "source coverage: skipped (no llvm-profdata and llvm-cov next to $swiftc)"
  exit 0
fi
covered="$state/coverage"
mkdir -p "$covered"
if [ ! -x "$covered/$target-cov" ] || [ -n "$(find "${sources[@]}" -newer "$covered/$target-cov" | head -n 1)" ]; then
  "$swiftc" -O -sanitize=fuzzer -profile-generate -profile-coverage-mapping -parse-as-library \
    -module-name "$module" "${linker[@]}" "${extra_flags[@]}" "${sources[@]}" -o "$covered/$target-cov"
fi
rm -f "$covered"/*.profraw
LLVM_PROFILE_FILE="$covered/$target.profraw" "$covered/$target-cov" -runs=0 "$work" >"$covered/run.log" 2>&1
"$profdata" merge -sparse "$covered/$target.profraw" -o "$covered/$target.profdata"
"$llvmcov" report "$covered/$target-cov" -instr-profile="$covered/$target.profdata" "${covered_sources[@]}" >"$covered/report.txt"
"$llvmcov" show "$covered/$target-cov" -instr-profile="$covered/$target.profdata" "${covered_sources[@]}" >"$covered/lines.txt"
# TOTAL  regions missed cover  functions missed cover  lines missed cover ...
read -r -a total <<<"$(grep '^TOTAL' "$covered/report.txt")"
echo "source coverage of ${covered_sources[*]} by the final corpus: lines ${total[9]:-?} (${total[8]:-?} of ${total[7]:-?} missed)," \
  "regions ${total[3]:-?}, functions ${total[6]:-?}; per file: $covered/report.txt, per line: $covered/lines.txt"
