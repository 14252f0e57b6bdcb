#!/usr/bin/env python3
"""The numpy baseline of scripts/bench.sh: the same pool files, read through np.memmap.

For every grad tensor of the pool's signals/*.safetensors:
  bare:   X @ g                                  (BLAS sgemv, all cores)
  cosine: X @ g / np.linalg.norm(X, axis=1)      (the straightforward pipeline)
F16 rows are widened with X.astype(np.float32) first, BF16 rows by a 16-bit shift (numpy has
no bfloat16), both per file. Prints tab-separated result lines like `gradsieve bench`:
result, name, best, median, unit, note. Rates are GB/s of stored grad bytes.
"""
import glob
import json
import os
import struct
import sys
import time

import numpy as np


def grad_tensors(pool):
    """(memmap of the stored grad rows, dtype name) per signals file."""
    out = []
    for path in sorted(glob.glob(os.path.join(pool, "signals", "*.safetensors"))):
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(length))
        info = header["grad"]
        begin, end = info["data_offsets"]
        rows, dim = info["shape"]
        dtype = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}[info["dtype"]]
        array = np.memmap(path, dtype=dtype, mode="r", offset=8 + length + begin, shape=(rows, dim))
        out.append((array, info["dtype"]))
    return out


def widen(x, dtype):
    if dtype == "F32":
        return x
    if dtype == "F16":
        return x.astype(np.float32)
    return (x.astype(np.uint32) << 16).view(np.float32)


def main():
    pool, repeats = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    tensors = grad_tensors(pool)
    dtype = tensors[0][1]
    rows = sum(t.shape[0] for t, _ in tensors)
    dim = tensors[0][0].shape[1]
    stored = sum(t.nbytes for t, _ in tensors)
    g = np.random.default_rng(42).uniform(-1, 1, dim).astype(np.float32)
    label = f"{dtype.lower()} d={dim} mmap"
    print(f"# numpy {np.__version__}, {rows} rows, {stored / 1e9:.2f} GB of {dtype}", flush=True)
    for x, d in tensors:  # first touch, untimed: pages into the page cache and the map
        float(widen(x, d)[:, :8].sum())

    def bare():
        return [widen(x, d) @ g for x, d in tensors]

    def cosine():
        out = []
        for x, d in tensors:
            w = widen(x, d)
            out.append(w @ g / np.linalg.norm(w, axis=1))
        return out

    for name, fn in (("numpy X@g", bare), ("numpy X@g/norm(X,axis=1)", cosine)):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        times.sort()
        best, median = stored / times[0] / 1e9, stored / times[len(times) // 2] / 1e9
        note = f"{rows / times[0]:.3g} rows/s ({repeats} runs)"
        print(f"result\t{name} {label}\t{best:.3f}\t{median:.3f}\tGB/s\t{note}", flush=True)


if __name__ == "__main__":
    main()
