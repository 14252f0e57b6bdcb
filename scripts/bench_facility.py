#!/usr/bin/env python3
"""Facility location against apricot on the same candidates (scripts/bench-facility.sh).

    bench_facility.py apricot POOL BUDGET MODE OUT.json   run apricot, write its picks and time
    bench_facility.py value POOL PICKS...                  f(S) of each picks file, Float64

POOL is a pool written by `gradsieve generate` whose rows are all the candidates (the benchmark
generates exactly pool-factor x budget rows, so gradsieve's candidates C are every row). The
objective is facility location over C with max(0, cos): f(S) = sum over y in C of
max over x in S of max(0, cos(x, y)), evaluated in Float64 by numpy for every picks file, so
both tools are judged by the same function.

apricot modes:
  precomputed  FacilityLocationSelection(BUDGET, metric="precomputed", optimizer="lazy") on
               max(0, X X^T) of the unit rows (float32, numpy/OpenBLAS), the matrix included in
               the time: apricot optimising the same objective as gradsieve.
  cosine       FacilityLocationSelection(BUDGET, metric="cosine", optimizer="lazy") on the unit
               rows, as the issue measured it (apricot's "cosine" similarity is cos^2, so it
               optimises a different objective; its picks are still scored with max(0, cos)).
Both are timed after a warm-up fit on 200 rows, so numba's compilation is not in apricot's time.
A picks file is JSON {"rows": [...]} or gradsieve's curriculum.jsonl (ids gen-NNNNNN -> row N).
"""
import json
import os
import struct
import sys
import time

import numpy as np


def load_unit_rows(pool):
    """Every grad row of the pool's signals files, in row order, divided by its norm in Float64
    (zero rows stay zero), as float32: what gradsieve's CandidateVectors gives."""
    directory = os.path.join(pool, "signals")
    blocks = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".safetensors"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            size = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(size))
            info = header["grad"]
            if info["dtype"] != "F32":
                sys.exit("the benchmark pool must be F32")
            start, end = info["data_offsets"]
            f.seek(8 + size + start)
            blocks.append(np.frombuffer(f.read(end - start), dtype="<f4").reshape(info["shape"]))
    x = np.concatenate(blocks).astype(np.float64)
    norms = np.sqrt((x * x).sum(axis=1))
    norms[norms == 0] = 1
    return (x / norms[:, None]).astype(np.float32)


def rows_of(path):
    if path.endswith(".json"):
        with open(path) as f:
            return json.load(f)["rows"]
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(int(json.loads(line)["id"].split("-")[-1]))
    return rows


def value(x, rows, block=2048):
    """f(S) in Float64: cover(y) = max(0, max over x in S of <x, y>), summed over every y."""
    s = x[np.asarray(rows)].astype(np.float64)
    total = 0.0
    for start in range(0, len(x), block):
        y = x[start:start + block].astype(np.float64)
        total += np.maximum(0, (y @ s.T).max(axis=1)).sum()
    return total


def apricot(pool, budget, mode, out):
    from apricot import FacilityLocationSelection
    x = load_unit_rows(pool)
    # Warm up on a few rows first, so that numba's compilation of apricot's loops (several
    # seconds in a fresh process) is not in the time.
    warm = x[:200]
    FacilityLocationSelection(10, metric="precomputed", optimizer="lazy").fit(np.maximum(warm @ warm.T, 0))
    FacilityLocationSelection(10, metric="cosine", optimizer="lazy").fit(warm)
    start = time.perf_counter()
    if mode == "precomputed":
        similarity = x @ x.T
        np.maximum(similarity, 0, out=similarity)
        selector = FacilityLocationSelection(budget, metric="precomputed", optimizer="lazy")
        selector.fit(similarity)
    elif mode == "cosine":
        selector = FacilityLocationSelection(budget, metric="cosine", optimizer="lazy")
        selector.fit(x)
    else:
        sys.exit(f"unknown apricot mode {mode}")
    seconds = time.perf_counter() - start
    rows = [int(r) for r in selector.ranking]
    with open(out, "w") as f:
        json.dump({"rows": rows, "seconds": seconds, "mode": mode}, f)
    print(f"apricot {mode}: {seconds:.2f} s, {len(rows)} picks")


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "apricot":
        apricot(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) >= 4 and sys.argv[1] == "value":
        x = load_unit_rows(sys.argv[2])
        for path in sys.argv[3:]:
            rows = rows_of(path)
            print(f"value\t{path}\t{len(rows)}\t{len(set(rows))}\t{value(x, rows):.4f}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
