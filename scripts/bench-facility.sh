#!/usr/bin/env bash
# Facility location against apricot (docs/benchmarks.md, "Facility location against apricot"),
# side by side in one run on the same candidates: 20,000 x 1,024 F32 -> 5,000.
#
# Generates a pool of exactly POOL_FACTOR x BUDGET rows (so gradsieve's candidates C, the top
# pool-factor x budget rows of gradalign's ranking, are every row, and apricot gets the same
# rows), then alternates, ROUNDS times:
#   gradsieve  the whole command: gradsieve select --method gradalign --budget 5000
#              --diversity facility-location --pool-factor 4 --workers 2 (default --partitions)
#   central    the same with --partitions 1: one part, i.e. central lazy greedy over all of C
#   before     BEFORE_BIN (optional): another gradsieve binary, the same command
#   apricot    FacilityLocationSelection(5000, optimizer="lazy"): "precomputed" on max(0, X X^T)
#              (the same objective, the matrix in the time) and "cosine" (as the issue ran it)
# and prints each time, f(S) of every picks set (Float64, numpy, max(0, cos) over C), and the
# ratios of the same round. Whole-command times include process start, the workers, scoring,
# reading the vectors and writing the curriculum; apricot's include only its fit (the unit rows
# are loaded before its clock starts).
#
# Usage: scripts/bench-facility.sh
#   ROUNDS=1  BUDGET=5000 POOL_FACTOR=4 DIM=1024 WORKERS=2 PARTITIONS=(the default)
#   APRICOT=precomputed,cosine   BEFORE_BIN=path/to/older/gradsieve
#   DATA=.bench-data  SCRATCH=.build-bench  KEEP=1 (keep the pool)
# Needs: pip install apricot-select (and scikit-learn, which it imports); numpy.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-1}
BUDGET=${BUDGET:-5000}
POOL_FACTOR=${POOL_FACTOR:-4}
DIM=${DIM:-1024}
WORKERS=${WORKERS:-2}
APRICOT=${APRICOT:-precomputed,cosine}
DATA=${DATA:-.bench-data}
SCRATCH=${SCRATCH:-.build-bench}
ROWS=$((BUDGET * POOL_FACTOR))
POOL=$DATA/fl-$ROWS-$DIM
OUT=$DATA/fl-out
log() { echo "== $*" >&2; }

python3 -c "import apricot, numpy" 2>/dev/null || { log "needs apricot: pip install apricot-select scikit-learn"; exit 1; }
nice -n 10 swift build -c release --scratch-path "$SCRATCH" >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/gradsieve
mkdir -p "$DATA" "$OUT"
if [[ ! -f "$POOL/samples.jsonl" ]]; then
    log "generating $POOL: $ROWS rows, d = $DIM, f32"
    "$BIN" generate --out "$POOL" --rows "$ROWS" --dim "$DIM" --dtype f32 --validation 64 --force >&2
fi
log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

partitions=()
[[ -n "${PARTITIONS:-}" ]] && partitions=(--partitions "$PARTITIONS")
RESULTS=$OUT/results.tsv
: > "$RESULTS"

select_run() {  # select_run NAME BIN [extra flags]: one whole command, timed
    local name=$1 bin=$2
    shift 2
    local start end
    start=$(date +%s.%N)
    "$bin" select --data "$POOL" --method gradalign --budget "$BUDGET" --diversity facility-location \
        --pool-factor "$POOL_FACTOR" --workers "$WORKERS" --out "$OUT/$name" --force "$@" > "$OUT/$name.log" 2>&1
    end=$(date +%s.%N)
    local seconds
    seconds=$(python3 -c "print(f'{$end - $start:.2f}')")
    cp "$OUT/$name/epoch-0001/curriculum.jsonl" "$OUT/$name-picks.jsonl"
    echo -e "$round\t$name\t$seconds\t$OUT/$name-picks.jsonl" >> "$RESULTS"
    log "round $round $name: $seconds s (load $(cut -d' ' -f1 /proc/loadavg))"
}

for round in $(seq "$ROUNDS"); do
    select_run gradsieve "$BIN" "${partitions[@]}"
    select_run central "$BIN" --partitions 1
    [[ -n "${BEFORE_BIN:-}" ]] && select_run before "$BEFORE_BIN"
    for mode in ${APRICOT//,/ }; do
        python3 scripts/bench_facility.py apricot "$POOL" "$BUDGET" "$mode" "$OUT/apricot-$mode.json" >&2
        seconds=$(python3 -c "import json; print(f\"{json.load(open('$OUT/apricot-$mode.json'))['seconds']:.2f}\")")
        echo -e "$round\tapricot-$mode\t$seconds\t$OUT/apricot-$mode.json" >> "$RESULTS"
        log "round $round apricot-$mode: $seconds s (load $(cut -d' ' -f1 /proc/loadavg))"
    done
done

python3 - "$POOL" "$RESULTS" <<'PY'
import subprocess, sys, collections
pool, results = sys.argv[1], sys.argv[2]
rows = [line.rstrip("\n").split("\t") for line in open(results) if line.strip()]
latest = {name: path for _, name, _, path in rows}
values = {}
out = subprocess.run([sys.executable, "scripts/bench_facility.py", "value", pool] + list(latest.values()),
                     check=True, capture_output=True, text=True).stdout
for line in out.splitlines():
    _, path, count, distinct, value = line.split("\t")
    values[path] = (int(count), int(distinct), float(value))
f = {name: values[path][2] for name, path in latest.items()}
print(f"\nfacility location, {pool}: f(S) = sum over C of max(0, max cos), Float64")
print("| run | picks (distinct) | f(S) | f / central | f / apricot-precomputed | f / apricot-cosine |")
print("|---|---|---|---|---|---|")
for name, path in latest.items():
    count, distinct, value = values[path]
    cells = [f"{value / f[ref]:.4f}" if ref in f else "" for ref in ("central", "apricot-precomputed", "apricot-cosine")]
    print(f"| {name} | {count} ({distinct}) | {value:.1f} | " + " | ".join(cells) + " |")
print("\n| round | " + " | ".join(dict.fromkeys(name for _, name, _, _ in rows)) + " | apricot-precomputed / gradsieve | apricot-cosine / gradsieve | central / gradsieve |")
by_round = collections.defaultdict(dict)
for r, name, seconds, _ in rows:
    by_round[r][name] = float(seconds)
names = list(dict.fromkeys(name for _, name, _, _ in rows))
print("|---" * (len(names) + 4) + "|")
for r, times in by_round.items():
    g = times.get("gradsieve")
    ratio = lambda other: f"{times[other] / g:.2f}x" if other in times and g else ""
    print(f"| {r} | " + " | ".join(f"{times[n]:.2f} s" for n in names) +
          f" | {ratio('apricot-precomputed')} | {ratio('apricot-cosine')} | {ratio('central')} |")
PY
[[ "${KEEP:-0}" == 1 ]] || rm -rf "$POOL"
