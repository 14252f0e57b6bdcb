#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md, in one run: builds gradsieve, generates the pools, runs
# `gradsieve bench` and the numpy baseline on the same files (alternating, so a change in the
# machine's load hits both), an end-to-end `select` on a pool of more than 4 GB with 1 and 2
# workers, and a scale test of the coordinator alone with hundreds of simulated workers; then
# prints one table with the ratios. Pools are deleted at the end unless KEEP=1.
#
# Usage: scripts/bench.sh            (about 15 minutes and 12 GB of disk on a 2-core machine)
#   PARTS=kernels,selection,wire,e2e,scale   which parts to run
#   ROUNDS=3            rounds of the kernel/numpy comparison
#   DATA=.bench-data    where pools go;  SCRATCH=.build-bench  SwiftPM scratch path
#   KERNEL_ROWS=400000 KERNEL_DIM=1024   E2E_ROWS=2100000 E2E_DIM=1024 (F16: 4.3 GB)
#   SCALE_ROWS=10000000 SIMS=300 SCALE_EPOCHS=3
# Benchmarks print figures; nothing here asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."

PARTS=${PARTS:-kernels,selection,wire,e2e,scale}
ROUNDS=${ROUNDS:-3}
DATA=${DATA:-.bench-data}
SCRATCH=${SCRATCH:-.build-bench}
KERNEL_ROWS=${KERNEL_ROWS:-400000}
KERNEL_DIM=${KERNEL_DIM:-1024}
E2E_ROWS=${E2E_ROWS:-2100000}
E2E_DIM=${E2E_DIM:-1024}
E2E_RUNS=${E2E_RUNS:-3}
SCALE_ROWS=${SCALE_ROWS:-10000000}
SIMS=${SIMS:-300}
SCALE_EPOCHS=${SCALE_EPOCHS:-3}
RESULTS=${RESULTS:-$DATA/results.tsv}

has() { [[ ",$PARTS," == *",$1,"* ]]; }
log() { echo "== $*" >&2; }

swift build -c release --scratch-path "$SCRATCH" >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/gradsieve
mkdir -p "$DATA"
: > "$RESULTS"
run() { "$@" | tee -a "$RESULTS"; }

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); kernel path: $("$BIN" bench kernels --rows 64 --dim 8 --dtypes f32 --repeats 1 | sed -n 's/^# kernel path: \([a-z0-9]*\).*/\1/p')"
df -h "$DATA" | tail -1 >&2

generate() {  # generate DIR ROWS DIM DTYPE [extra flags]
    local dir=$1 rows=$2 dim=$3 dtype=$4
    shift 4
    if [[ ! -f "$dir/samples.jsonl" ]]; then
        log "generating $dir: $rows rows, d = $dim, $dtype"
        "$BIN" generate --out "$dir" --rows "$rows" --dim "$dim" --dtype "$dtype" --force "$@" >&2
    fi
}

need_gb() {  # refuse to start a part without the disk it needs
    local free_gb
    free_gb=$(df -BG --output=avail "$DATA" | tail -1 | tr -dc '0-9')
    if (( free_gb < $1 )); then
        log "only ${free_gb} GB free in $DATA; this part needs $1 GB"
        exit 1
    fi
}

if has kernels; then
    need_gb 6
    for dtype in f32 f16 bf16; do
        generate "$DATA/k-$dtype" "$KERNEL_ROWS" "$KERNEL_DIM" "$dtype" --validation 16 --rows-per-file "$KERNEL_ROWS"
    done
    for round in $(seq "$ROUNDS"); do
        log "kernels round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
        portable=()
        [[ $round == 1 ]] && portable=(--portable)
        run "$BIN" bench kernels --data "$DATA/k-f32" --data "$DATA/k-f16" --data "$DATA/k-bf16" --repeats 5 "${portable[@]}"
        for dtype in f32 f16 bf16; do run python3 scripts/bench_numpy.py "$DATA/k-$dtype" 3 2>/dev/null; done
    done
fi

if has selection; then
    log "selection"
    run "$BIN" bench selection --repeats 3
fi

if has wire; then
    log "wire"
    run "$BIN" bench wire --repeats 3
fi

if has e2e; then
    need_gb $(( E2E_ROWS * E2E_DIM * 2 / 1000000000 + 2 ))
    generate "$DATA/e2e" "$E2E_ROWS" "$E2E_DIM" f16 --validation 256
    log "end to end: $(du -sh "$DATA/e2e" | cut -f1) pool"
    for config in 1:1 1:2 2:1; do
        workers=${config%:*} slots=${config#*:}
        log "select --workers $workers --slots $slots"
        run python3 scripts/bench_run.py e2e "$BIN" "$DATA/e2e" "$DATA/e2e-out" "$workers" "$slots" "$E2E_RUNS"
    done
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$DATA/e2e" "$DATA/e2e-out"
fi

if has scale; then
    need_gb 3
    # Tiny d: the coordinator's work is the same whatever d is for accuracy-band; the pool is
    # 10M sample lines and 10M success rates.
    generate "$DATA/scale-1m" 1000000 1 f16 --validation 0 --rows-per-file 1000000
    generate "$DATA/scale-$SCALE_ROWS" "$SCALE_ROWS" 1 f16 --validation 0 --rows-per-file 1000000
    for pool in "$DATA/scale-1m" "$DATA/scale-$SCALE_ROWS"; do
        log "coordinator scale test: $pool, $SIMS simulated workers"
        run python3 scripts/bench_run.py scale "$BIN" "$pool" "$DATA/scale-out" "$SIMS" "$SCALE_EPOCHS" accuracy-band
    done
    # Workers x d: gradalign at d = 8192 with 256 validation shards, so every worker sends
    # d-sized partial sums and receives the d-sized reference.
    generate "$DATA/scale-d8192" 20000 8192 f16 --validation 512
    log "coordinator scale test: d = 8192, $SIMS simulated workers"
    run python3 scripts/bench_run.py scale "$BIN" "$DATA/scale-d8192" "$DATA/scale-out" "$SIMS" 1 gradalign \
        --validation-shard-rows 2
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$DATA"/scale-* 
fi

if has kernels && [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$DATA"/k-f32 "$DATA"/k-f16 "$DATA"/k-bf16; fi

echo
echo "gradsieve benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; figures: best and median of repeated runs"
python3 scripts/bench_run.py table "$RESULTS"
