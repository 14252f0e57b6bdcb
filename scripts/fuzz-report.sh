# shellcheck shell=bash
# The report both fuzz scripts print after a libFuzzer run (sourced by scripts/fuzz.sh and
# scripts/fuzz-seal.sh): executions, coverage counters, the corpus, and any saved crash input.
#   fuzz_report LOG DURATION WORK SEEDS ARTIFACTS FUZZER STATUS
# Returns non-zero (and says why) when libFuzzer saved an input or failed without one.
fuzz_report() {
  local log=$1 duration=$2 work=$3 seeds=$4 artifacts=$5 fuzzer=$6 status=$7
  local executions speed coverage crashes
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  coverage=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' | tail -n 1 || true)
  echo "executions: ${executions:-unknown} (${speed:-?}/s) in $duration s"
  echo "coverage:   ${coverage:-unknown} (cov = edges, ft = features, corp = working corpus)"
  echo "corpus:     $(find "$work" -type f | wc -l) inputs in $work (seeds: $(find "$seeds" -type f | wc -l))"

  crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  if [ -n "$crashes" ]; then
    echo "FOUND: libFuzzer saved these inputs (replay one with: SWIFT_BACKTRACE=enable=no $fuzzer FILE):"
    echo "$crashes"
    grep -E 'fuzz finding|Swift runtime failure|ERROR: (AddressSanitizer|libFuzzer)' "$log" | head -n 5 || true
    return 1
  fi
  if [ "$status" -ne 0 ]; then
    echo "the fuzzer exited with status $status and saved no input; see $log" >&2
    tail -n 20 "$log" >&2
    return "$status"
  fi
  echo "no crash"
}
