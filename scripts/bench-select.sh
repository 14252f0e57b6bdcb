#!/usr/bin/env bash
# Issue 15, goal 1: the whole `gradsieve select` command against the numpy script a user would
# write instead (scripts/select_numpy.py), side by side in one run on the same pool, alternating,
# best and median of RUNS each. Prints one line per pairing with the ratio numpy / gradsieve.
#
#   scripts/bench-select.sh [POOL-DIR]      (generates a 400k x 512 F16 pool there if missing)
#   RUNS=5 BIN=.build/release/gradsieve WORKERS=2
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/gradsieve}
RUNS=${RUNS:-5}
WORKERS=${WORKERS:-2}
POOL=${1:-/tmp/gradsieve-bench-select/pool}
OUT=$(dirname "$POOL")/out
[ -x "$BIN" ] || swift build -c release
if [ ! -f "$POOL/samples.jsonl" ]; then
  "$BIN" generate --out "$POOL" --rows 400000 --dim 512 --dtype f16 --validation 256 --rows-per-file 50000 --seed 1 --force
fi
python3 - "$BIN" "$POOL" "$OUT" "$RUNS" "$WORKERS" <<'PY'
import json, statistics, subprocess, sys, time
binary, pool, out, runs, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
budget = "20000"
def gradsieve(fmt):
    return [binary, "select", "--data", pool, "--method", "gradalign", "--budget", budget, "--workers", workers,
            "--out", f"{out}/gs-{fmt}", "--force", "--scores-format", fmt]
def numpy(scores):
    return ["python3", "scripts/select_numpy.py", pool, budget, f"{out}/np-{scores}"] + (["--scores-npy"] if scores else [])
pairs = [("curriculum only", gradsieve("none"), numpy(False)),
         ("curriculum + scores.npy", gradsieve("npy"), numpy(True)),
         ("curriculum + scores.jsonl (gradsieve's default) vs numpy's curriculum + scores.npy", gradsieve("jsonl"), numpy(True))]
def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
for name, ours, theirs in pairs:
    timed(ours); timed(theirs)  # warm the page cache and the binaries
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours)); b.append(timed(theirs))
    rows = lambda path: [json.loads(line)["row"] for line in open(path)]
    same = set(rows(ours[ours.index("--out") + 1] + "/epoch-0001/curriculum.jsonl")) == set(rows(theirs[4] + "/curriculum.jsonl"))
    print(f"{name}: gradsieve best {min(a):.3f} s median {statistics.median(a):.3f} s; numpy best {min(b):.3f} s "
          f"median {statistics.median(b):.3f} s; numpy/gradsieve {min(b) / min(a):.2f}x (best) {statistics.median(b) / statistics.median(a):.2f}x (median); "
          f"same selected rows: {same}")
PY
