#!/usr/bin/env python3
"""gradalign's selection as a competent numpy user would write it, for the side-by-side
end-to-end benchmark of issue 15 (scripts/bench-select.sh): the same inputs (a pool in the data
contract's layout), the same rule (score = cos(grad_i, g_val), 0 where grad_i = 0 or p_i is 0 or
1; the top BUDGET rows by score, ties to the lower row), the same curriculum.jsonl format.

  select_numpy.py POOL BUDGET OUT [--scores-npy]

Memory-maps every signals/*.safetensors file, widens each block of rows to Float32 and takes
X @ g and the row norms with BLAS (numpy's own threads), ranks with argpartition, reads the ids of
the selected rows only, and writes OUT/curriculum.jsonl (and OUT/scores.npy with --scores-npy,
the same structured layout as `gradsieve select --scores-format npy`).
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "F64": np.float64, "I64": np.int64, "I32": np.int32}
BLOCK = 65536


def tensors(path):
    """{name: (dtype, shape, numpy memmap)} of one safetensors file."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, stop = info["data_offsets"]
        if info["dtype"] == "BF16":
            raw = np.memmap(path, dtype=np.uint16, mode="r", offset=8 + length + start, shape=tuple(info["shape"]))
            out[name] = ("BF16", raw)
        else:
            out[name] = (info["dtype"], np.memmap(path, dtype=DTYPES[info["dtype"]], mode="r", offset=8 + length + start,
                                                  shape=tuple(info["shape"])))
    return out


def widen(kind, block):
    if kind == "BF16":
        return (block.astype(np.uint32) << 16).view(np.float32)
    return block.astype(np.float32)


def main():
    pool, budget, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    write_scores = "--scores-npy" in sys.argv[4:]
    files = lambda folder: sorted(os.path.join(pool, folder, name) for name in os.listdir(os.path.join(pool, folder))
                                  if name.endswith(".safetensors"))
    reference = None
    for path in files("validation"):
        kind, grad = tensors(path)["grad"]
        part = widen(kind, grad).astype(np.float64).sum(axis=0)
        reference = part if reference is None else reference + part
    g = reference.astype(np.float32)
    g_norm = float(np.linalg.norm(reference))
    cosines, norms, successes = [], [], []
    for path in files("signals"):
        found = tensors(path)
        kind, grad = found["grad"]
        for start in range(0, grad.shape[0], BLOCK):
            x = widen(kind, grad[start:start + BLOCK])
            norm = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
            dots = (x @ g).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                cosines.append(np.where(norm > 0, dots / (norm * g_norm), 0.0))
            norms.append(norm)
        successes.append(np.asarray(found["success"][1]) if "success" in found else None)
    cosine = np.concatenate(cosines)
    norm = np.concatenate(norms)
    score = cosine.copy()
    if all(s is not None for s in successes):
        success = np.concatenate(successes).astype(np.float64)
        score[(success <= 0) | (success >= 1)] = 0.0
    k = min(budget, len(score))
    top = np.argpartition(-score, k - 1)[:k] if k < len(score) else np.arange(len(score))
    top = top[np.lexsort((top, -score[top]))]  # score descending, ties to the lower row
    wanted = set(top.tolist())
    ids = {}
    with open(os.path.join(pool, "samples.jsonl"), "rb") as f:
        for row, line in enumerate(f):
            if row in wanted:
                ids[row] = json.loads(line)["id"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "curriculum.jsonl.tmp"), "w") as f:
        for rank, row in enumerate(top.tolist(), 1):
            f.write(json.dumps({"id": ids[row], "row": row, "rank": rank, "score": float(score[row])}) + "\n")
    os.replace(os.path.join(out, "curriculum.jsonl.tmp"), os.path.join(out, "curriculum.jsonl"))
    if write_scores:
        table = np.empty(len(score), dtype=[("score", "<f8"), ("cosine", "<f8"), ("grad_norm", "<f8")])
        table["score"], table["cosine"], table["grad_norm"] = score, cosine, norm
        np.save(os.path.join(out, "scores.tmp.npy"), table)
        os.replace(os.path.join(out, "scores.tmp.npy"), os.path.join(out, "scores.npy"))


if __name__ == "__main__":
    main()
