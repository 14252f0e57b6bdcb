"""An independent implementation of the score rules of docs/methods.md ("Reproducing scores.jsonl
bit for bit") and of the pool fingerprint of docs/protocol.md (4.4), checked against the real
binary: `gradsieve generate` writes a small pool, `gradsieve select` scores it with each method,
and every value of scores.jsonl must be the value computed here, bit for bit (compared by the
float's hex form, so -0.0 and 0.0 differ), and run.json's fingerprint the one hashed here.

Written from the docs alone (numpy only for float32 arithmetic; the safetensors files are read
here with a few lines of struct and json, not with the gradsieve package), so a change of any rule
in the code that the docs do not follow (the 32 float32 lanes, their float64 tree, the reference
rounded to float32, |reference| from the float64 values, shard-order sums, learnalign's float64
norms and its +0.0, limr's undivided reference, the columns) fails here.

Marked `integration`; skipped with a message when the binary is not built.
"""

import json
import math
import os
import struct
import subprocess

import numpy as np
import pytest

pytestmark = pytest.mark.integration

LANES = 32
MASK = (1 << 64) - 1


def run(binary, *args):
    completed = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, f"gradsieve {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


# --- The pool, read from its bytes -------------------------------------------------------------


def read_safetensors(path):
    """(file bytes, JSON header bytes, {name: float32 array}) of one safetensors file."""
    with open(path, "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack_from("<Q", data, 0)
    header_bytes = data[8 : 8 + length]
    header = json.loads(header_bytes)
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[start + begin : start + end]
        if entry["dtype"] == "F32":
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif entry["dtype"] == "F16":
            values = np.frombuffer(raw, dtype="<f2").astype(np.float32)  # exact
        elif entry["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            values = bits.view(np.float32)
        elif entry["dtype"] == "I64":
            values = np.frombuffer(raw, dtype="<i8").astype(np.int64)
        else:
            raise AssertionError(f"unexpected dtype {entry['dtype']}")
        tensors[name] = values.reshape(entry["shape"])
    return data, header_bytes, tensors


def sorted_safetensors(directory):
    """The .safetensors names of a directory, sorted by their UTF-8 bytes, hidden files skipped."""
    if not os.path.isdir(directory):
        return []
    names = [n for n in os.listdir(directory) if n.endswith(".safetensors") and not n.startswith(".")]
    return sorted(names, key=lambda n: n.encode("utf-8"))


class Pool:
    def __init__(self, directory):
        self.directory = directory
        with open(os.path.join(directory, "samples.jsonl"), "rb") as handle:
            self.samples = handle.read()
        self.ids = [json.loads(line)["id"] for line in self.samples.splitlines() if line]
        self.files = {}
        parts = {"signals": [], "validation": []}
        for sub in ("signals", "validation"):
            for name in sorted_safetensors(os.path.join(directory, sub)):
                data, header, tensors = read_safetensors(os.path.join(directory, sub, name))
                self.files.setdefault(sub, []).append((name, len(data), header))
                parts[sub].append(tensors)
        # Training rows are where each file's `row` tensor puts them; validation rows are the
        # validation files' rows one after another, in file order.
        rows = np.concatenate([t["row"] for t in parts["signals"]])
        order = np.argsort(rows, kind="stable")
        assert np.array_equal(rows[order], np.arange(len(rows)))
        for name in ("grad", "success", "angle", "rewards"):
            setattr(self, name, np.concatenate([t[name] for t in parts["signals"]])[order])
        self.validation = np.concatenate([t["grad"] for t in parts["validation"]])
        assert len(self.ids) == len(self.grad)


# --- The fingerprint (docs/protocol.md, 4.4) --------------------------------------------------


class WordHasher:
    def __init__(self):
        self.state = 0xCBF29CE484222325

    def mix(self, word):
        self.state = ((self.state ^ word) * 0x100000001B3) & MASK
        self.state ^= self.state >> 32

    def integer(self, value):
        self.mix(value & MASK)

    def bytes(self, data):
        self.mix(len(data))
        padded = data + b"\0" * (-len(data) % 8)
        for (word,) in struct.iter_unpack("<Q", padded):
            self.mix(word)

    def value(self):
        h = self.state
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & MASK
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & MASK
        h ^= h >> 33
        return h


def fingerprint(pool):
    hasher = WordHasher()
    hasher.bytes(b"gradsieve-pool-v1")
    hasher.integer(len(pool.samples))
    hasher.bytes(pool.samples)
    for sub in ("signals", "validation"):
        files = pool.files.get(sub, [])
        hasher.integer(len(files))
        for name, size, header in files:
            hasher.bytes(f"{sub}/{name}".encode("utf-8"))
            hasher.integer(size)
            hasher.bytes(header)
    return hasher.value()


# --- The score arithmetic (docs/methods.md) ---------------------------------------------------


def in_order(values):
    """Float64 sum of `values` from the first to the last (cumsum is sequential; sum is not)."""
    return float(np.cumsum(np.asarray(values, dtype=np.float64))[-1]) if len(values) else 0.0


def lane_tree(lanes):
    """The fixed float64 tree over 32 float32 lanes, for every row at once."""
    lane = lanes.astype(np.float64)
    s = [(lane[:, i] + lane[:, i + 8]) + (lane[:, i + 16] + lane[:, i + 24]) for i in range(8)]
    t = [s[i] + s[i + 4] for i in range(4)]
    return (t[0] + t[2]) + (t[1] + t[3])


def dots_and_squared_norms(rows, reference):
    """<row, reference32> and |row|^2 per row: 32 float32 lanes (element j in lane j mod 32, the
    last block padded with zeros), multiply rounded to float32 then add rounded to float32, then
    the lane tree in float64. `reference` is the float64 reference; it is rounded to float32."""
    reference32 = np.asarray(reference, dtype=np.float64).astype(np.float32)
    count, dimension = rows.shape
    blocks = -(-dimension // LANES)
    padded = np.zeros((count, blocks * LANES), dtype=np.float32)
    padded[:, :dimension] = rows
    ref = np.zeros(blocks * LANES, dtype=np.float32)
    ref[:dimension] = reference32
    dot_lanes = np.zeros((count, LANES), dtype=np.float32)
    norm_lanes = np.zeros((count, LANES), dtype=np.float32)
    for block in range(blocks):
        x = padded[:, block * LANES : (block + 1) * LANES]
        g = ref[block * LANES : (block + 1) * LANES]
        dot_lanes = dot_lanes + x * g  # float32 product, then float32 sum: never fused
        norm_lanes = norm_lanes + x * x
    return lane_tree(dot_lanes), lane_tree(norm_lanes)


def shard_sum(row_count, shard_rows, shard_of):
    """The coordinator's reference: zeros, plus each shard's float64 sum in shard order."""
    total = None
    for start in range(0, row_count, shard_rows):
        partial = shard_of(range(start, min(row_count, start + shard_rows)))
        total = np.zeros_like(partial) if total is None else total
        total = total + partial
    return total


def reference_norm(reference):
    return math.sqrt(in_order(np.asarray(reference) * np.asarray(reference)))


def gradalign_rows(pool, validation_shard_rows, norm_of_rounded=False):
    def shard(rows):
        total = np.zeros(pool.validation.shape[1])
        for row in rows:
            total = total + pool.validation[row].astype(np.float64)
        return total

    reference = shard_sum(len(pool.validation), validation_shard_rows, shard)
    # |ref| from the float64 values (`norm_of_rounded` shows that the float32 ones give other bits).
    norm_ref = reference_norm(reference.astype(np.float32).astype(np.float64) if norm_of_rounded else reference)
    dots, squared = dots_and_squared_norms(pool.grad, reference)
    out = []
    for i in range(len(pool.grad)):
        grad_norm = math.sqrt(squared[i])
        cosine = dots[i] / (grad_norm * norm_ref) if grad_norm > 0 and norm_ref > 0 else 0.0
        p = float(pool.success[i])
        score = 0.0 if p <= 0 or p >= 1 else cosine
        out.append({"score": score, "cosine": cosine, "grad_norm": grad_norm, "success": p})
    return out


def learnalign_weight(p):
    return p * (1 - p)


def learnalign_rows(pool, shard_rows, kernel_norm=False):
    count = len(pool.grad)
    _, kernel_squared = dots_and_squared_norms(pool.grad, np.zeros(pool.grad.shape[1]))

    def shard(rows):
        total = np.zeros(pool.grad.shape[1])
        for row in rows:
            x = pool.grad[row].astype(np.float64)
            # The exact float64 norm, not the kernel's (`kernel_norm` shows that the two differ).
            squared = kernel_squared[row] if kernel_norm else in_order(x * x)
            scale = learnalign_weight(float(pool.success[row]))
            if squared > 0 and scale != 0:
                total = total + (scale / math.sqrt(squared)) * x
        return total

    reference = shard_sum(count, shard_rows, shard)  # N m, never divided
    dots, squared = dots_and_squared_norms(pool.grad, reference)
    out = []
    for i in range(count):
        p = float(pool.success[i])
        weight = learnalign_weight(p)
        score = 0.0 if weight == 0 or not squared[i] > 0 else weight * dots[i] / (math.sqrt(squared[i]) * count)
        alignment = dots[i] / (math.sqrt(squared[i]) * count) if squared[i] > 0 else 0.0
        out.append({"score": score, "learnability": weight, "alignment": alignment,
                    "grad_norm": math.sqrt(squared[i]), "success": p})
    return out


def limr_rows(pool, shard_rows):
    count, epochs = pool.rewards.shape

    def shard(rows):
        total = np.zeros(epochs)
        for row in rows:
            total = total + pool.rewards[row].astype(np.float64)
        return total

    reference = shard_sum(count, shard_rows, shard)  # the column sums: the worker divides by N
    mean = [value / count for value in reference]
    denominator = in_order([(1 - m) * (1 - m) for m in mean])
    out = []
    for i in range(count):
        distance = in_order([(float(a) - m) ** 2 for a, m in zip(pool.rewards[i], mean)])
        score = 1 - distance / denominator
        out.append({"score": score, "distance": (1 - score) * denominator})
    return out


def gainrl_rows(pool):
    return [{"score": float(a), "angle": float(a), "success": float(p)} for a, p in zip(pool.angle, pool.success)]


def accuracy_band_rows(pool):
    return [{"score": -abs(float(p) - 0.5), "success": float(p)} for p in pool.success]


def random_rows(pool):
    return [{} for _ in pool.ids]  # no score step: id and row only


# --- The test ---------------------------------------------------------------------------------


def bits(value):
    return float(value).hex()


def check_scores(out, pool, expected):
    path = os.path.join(out, "epoch-0001", "scores.jsonl")
    with open(path, encoding="utf-8") as handle:
        lines = [json.loads(line, object_pairs_hook=list) for line in handle]
    assert len(lines) == len(expected)
    mismatches = []
    for row, (pairs, want) in enumerate(zip(lines, expected)):
        keys = [key for key, _ in pairs]
        assert keys == ["id", "row"] + list(want), f"row {row}: columns {keys[2:]}, docs say {list(want)}"
        got = dict(pairs)
        assert got["id"] == pool.ids[row] and got["row"] == row
        for column, value in want.items():
            if bits(got[column]) != bits(value):
                mismatches.append(f"row {row} {column}: binary {got[column]!r}, docs' rule {value!r}")
    assert not mismatches, f"{len(mismatches)} values differ, first: " + "; ".join(mismatches[:5])
    return lines


SHARD_ROWS, VALIDATION_SHARD_ROWS = 70, 7  # shards that do not line up with the files


@pytest.fixture(scope="module", params=["f16", "bf16", "f32"])
def pool_dir(request, tmp_path_factory, gradsieve_bin):
    directory = tmp_path_factory.mktemp(f"pool-{request.param}") / "pool"
    # 250 rows of d = 70 (two full blocks of 32 lanes and a tail of 6), in files of 6 rows;
    # 20 validation rows in four files, renamed so that their byte order (A3, part-0001,
    # part-0002, z0) is not the order they were written in.
    run(gradsieve_bin, "generate", "--out", str(directory), "--rows", "250", "--dim", "70", "--dtype", request.param,
        "--validation", "20", "--rows-per-file", "6", "--seed", "5")
    validation = directory / "validation"
    os.rename(validation / "part-0000.safetensors", validation / "z0.safetensors")
    os.rename(validation / "part-0003.safetensors", validation / "A3.safetensors")
    return request.param, str(directory)


def select(gradsieve_bin, pool_dir, out, method, *extra):
    run(gradsieve_bin, "select", "--data", pool_dir, "--method", method, "--budget", "20", "--workers", "2",
        "--shard-rows", str(SHARD_ROWS), "--validation-shard-rows", str(VALIDATION_SHARD_ROWS),
        "--out", str(out), "--log-level", "warning", *extra)


@pytest.mark.parametrize("method", ["gradalign", "learnalign", "limr", "gainrl", "accuracy-band", "random"])
def test_scores_follow_the_documented_rules_bit_for_bit(tmp_path, gradsieve_bin, pool_dir, method):
    dtype, directory = pool_dir
    if dtype != "f16" and method not in ("gradalign", "learnalign"):
        pytest.skip("the grad dtype only matters to the gradient methods")
    pool = Pool(directory)
    out = tmp_path / "out"
    select(gradsieve_bin, directory, out, method)
    expected = {
        "gradalign": lambda: gradalign_rows(pool, VALIDATION_SHARD_ROWS),
        "learnalign": lambda: learnalign_rows(pool, SHARD_ROWS),
        "limr": lambda: limr_rows(pool, SHARD_ROWS),
        "gainrl": lambda: gainrl_rows(pool),
        "accuracy-band": lambda: accuracy_band_rows(pool),
        "random": lambda: random_rows(pool),
    }[method]()
    lines = check_scores(out, pool, expected)

    with open(out / "run.json", encoding="utf-8") as handle:
        record = json.load(handle)
    assert record["data"]["fingerprint"] == f"{fingerprint(pool):016x}"

    if method == "learnalign":
        # p(1-p) = 0 scores +0.0, never -0.0 (a row whose alignment is negative would give -0.0
        # from weight * dot).
        unlearnable = [dict(line) for line in lines if dict(line)["learnability"] == 0]
        assert unlearnable, "the generated pool should hold rows with p = 0 or 1"
        assert all(bits(line["score"]) == bits(0.0) for line in unlearnable)
        assert any(line["alignment"] < 0 for line in unlearnable), "no row where -0.0 could have appeared"
        # The test discriminates: normalising with the kernel's squared norm gives other bits.
        other = learnalign_rows(pool, SHARD_ROWS, kernel_norm=True)
        assert any(bits(a["score"]) != bits(b["score"]) for a, b in zip(expected, other))
    if method == "accuracy-band":
        # Every row has a score, excluded ones (p = 0 or 1 with the default band) too.
        assert any(dict(line)["success"] in (0.0, 1.0) for line in lines)
    if method == "gradalign" and dtype == "f32":
        # (With f16 or bf16 validation rows this small sum is exact in float32 anyway.)
        other = gradalign_rows(pool, VALIDATION_SHARD_ROWS, norm_of_rounded=True)
        assert any(bits(a["cosine"]) != bits(b["cosine"]) for a, b in zip(expected, other))
    if method in ("gradalign", "learnalign"):
        # The test discriminates: a naive float64 dot differs from the kernel somewhere.
        naive = pool.grad.astype(np.float64) @ pool.validation.astype(np.float64).sum(axis=0)
        kernel, _ = dots_and_squared_norms(pool.grad, pool.validation.astype(np.float64).sum(axis=0))
        assert np.any(naive != kernel)


def test_limr_reference_is_the_undivided_column_sum(tmp_path, gradsieve_bin, pool_dir):
    """limr's `reference` carries sum_i a_i^k; the worker divides by N. Had the coordinator sent
    the mean (and the worker divided again), the scores would differ from the ones pinned above;
    here, for the record, the rule with the mean sent as is would give other scores."""
    dtype, directory = pool_dir
    if dtype != "f16":
        pytest.skip("once is enough")
    pool = Pool(directory)
    documented = limr_rows(pool, SHARD_ROWS)
    count = len(pool.ids)
    sums = shard_sum(count, SHARD_ROWS, lambda rows: sum((pool.rewards[r].astype(np.float64) for r in rows),
                                                         np.zeros(pool.rewards.shape[1])))
    divided_twice = [value / count / count for value in sums]
    denominator = in_order([(1 - m) ** 2 for m in divided_twice])
    wrong = 1 - in_order([(float(a) - m) ** 2 for a, m in zip(pool.rewards[0], divided_twice)]) / denominator
    assert bits(wrong) != bits(documented[0]["score"])
    out = tmp_path / "out"
    select(gradsieve_bin, directory, out, "limr")
    check_scores(out, pool, documented)


def test_accuracy_band_scores_every_row_and_minus_zero_at_one_half(tmp_path, gradsieve_bin):
    """accuracy-band's scores.jsonl: score = -|p - 1/2| for every row, also for rows outside the
    band (the band only decides the curriculum), so -0.0 at p = 1/2; a pool with exact halves."""
    from gradsieve import PoolWriter

    success = np.array([0.5, 0.0, 1.0, 0.25, 0.75, 0.5, 0.125, 0.9], dtype=np.float32)
    pool_dir = tmp_path / "pool"
    with PoolWriter(pool_dir, rows_per_file=3) as writer:
        writer.add([f"p{i}" for i in range(len(success))], grad=np.ones((len(success), 4), np.float32), success=success)
    out = tmp_path / "out"
    run(gradsieve_bin, "select", "--data", str(pool_dir), "--method", "accuracy-band", "--budget", "3",
        "--low", "0.2", "--high", "0.8", "--workers", "1", "--out", str(out), "--log-level", "warning")
    with open(out / "epoch-0001" / "scores.jsonl", encoding="utf-8") as handle:
        lines = [json.loads(line, object_pairs_hook=list) for line in handle]
    assert [[key for key, _ in line] for line in lines] == [["id", "row", "score", "success"]] * len(success)
    assert [bits(dict(line)["score"]) for line in lines] == [bits(-abs(float(p) - 0.5)) for p in success]
    assert bits(dict(lines[0])["score"]) == bits(-0.0)
    with open(out / "epoch-0001" / "curriculum.jsonl", encoding="utf-8") as handle:
        curriculum = [json.loads(line) for line in handle]
    # Kept: 0.2 < p < 0.8, so rows 0, 3, 4, 5; p = 1/2 first (ties to the lower row). The
    # curriculum shows the workers' score column, so -0.0 at p = 1/2 there too (AccuracyBand.score
    # itself returns +0.0; the worker's column is computed as -|p - 1/2|).
    assert [entry["row"] for entry in curriculum] == [0, 5, 3]
    assert bits(curriculum[0]["score"]) == bits(-0.0)
