"""End to end with the real binary: PoolWriter -> `gradsieve select` -> read_curriculum.

Marked `integration`; skipped with a message when the binary is not at $GRADSIEVE_BIN or
../.build/debug/gradsieve (relative to python/).
"""

import json
import os
import subprocess

import numpy as np
import pytest

from gradsieve import CurriculumSampler, PoolWriter, SafetensorsFile, read_curriculum, read_sample_ids
from gradsieve.safetensors_io import bf16_bits_to_float32, float32_to_bf16_bits

pytestmark = pytest.mark.integration


def run(binary, *args):
    completed = subprocess.run([binary, *args], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"gradsieve {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


def expected_gradalign(grad, validation, success, budget):
    """README's gradalign: score = cos(grad_i, sum of validation grads), 0 for a zero gradient
    or a success rate of 0 or 1; the top `budget` rows by score, ties to the lower row."""
    grad = grad.astype(np.float64)
    reference = validation.astype(np.float64).sum(axis=0)
    norms = np.linalg.norm(grad, axis=1)
    scores = np.where(norms > 0, grad @ reference / (np.where(norms > 0, norms, 1) * np.linalg.norm(reference)), 0.0)
    scores = np.where((success <= 0) | (success >= 1), 0.0, scores)
    order = sorted(range(len(scores)), key=lambda row: (-scores[row], row))
    return order[:budget], scores


@pytest.mark.parametrize("dtype", ["F32", "BF16"])
def test_pool_select_curriculum_round_trip(tmp_path, gradsieve_bin, dtype):
    rng = np.random.default_rng(42)
    rows, dimension, budget = 300, 16, 40
    directions = rng.standard_normal((5, dimension))
    cluster = rng.integers(0, 5, rows)
    grad = (directions[cluster] + 0.7 * rng.standard_normal((rows, dimension))).astype(np.float32)
    grad[17] = 0.0  # a zero gradient scores 0
    success = rng.uniform(0.05, 0.95, rows).astype(np.float32)
    success[[3, 4]] = [0.0, 1.0]  # solved always or never: scores 0
    validation = (directions[[0, 0, 1]] + 0.3 * rng.standard_normal((3, dimension))).astype(np.float32)
    ids = [f"problem-{i:04d}-ü" for i in range(rows)]

    pool = tmp_path / "pool"
    with PoolWriter(pool, rows_per_file=70, dtype=dtype) as writer:
        for start in range(0, rows, 64):  # batches that do not line up with the files
            stop = min(rows, start + 64)
            writer.add(ids[start:stop], grad=grad[start:stop], success=success[start:stop],
                       fields=[{"prompt": f"question {i}"} for i in range(start, stop)])
        writer.add_validation(validation)

    out = tmp_path / "out"
    run(gradsieve_bin, "select", "--data", str(pool), "--method", "gradalign", "--budget", str(budget),
        "--workers", "2", "--out", str(out), "--shard-rows", "64")

    curriculum = read_curriculum(out, 1, data=pool)
    assert [entry["rank"] for entry in curriculum] == list(range(1, budget + 1))
    assert all(entry["id"] == ids[entry["row"]] for entry in curriculum)
    assert read_sample_ids(pool) == ids

    stored = grad if dtype == "F32" else bf16_bits_to_float32(float32_to_bf16_bits(grad))
    stored_validation = validation if dtype == "F32" else bf16_bits_to_float32(float32_to_bf16_bits(validation))
    expected_rows, scores = expected_gradalign(stored, stored_validation, success, budget)
    assert [entry["row"] for entry in curriculum] == expected_rows
    # The order is exact; the scores agree to about 1e-8 (gradsieve and numpy round differently).
    np.testing.assert_allclose([entry["score"] for entry in curriculum], scores[expected_rows], rtol=1e-6, atol=1e-9)
    assert list(CurriculumSampler(out, 1)) == expected_rows

    run_record = json.loads((out / "run.json").read_text())
    assert run_record["data"]["rows"] == rows and run_record["data"]["dimension"] == dimension


def test_reads_a_pool_written_by_gradsieve_generate(tmp_path, gradsieve_bin):
    pool = tmp_path / "generated"
    run(gradsieve_bin, "generate", "--out", str(pool), "--rows", "250", "--dim", "12", "--dtype", "bf16",
        "--validation", "9", "--seed", "3", "--rows-per-file", "100")
    ids = read_sample_ids(pool)
    assert len(ids) == 250
    covered = np.zeros(250, dtype=int)
    for name in sorted(os.listdir(pool / "signals")):
        with SafetensorsFile(pool / "signals" / name) as part:
            covered[np.asarray(part["row"])] += 1
            assert part.info("grad").dtype == "BF16"
            assert part.info("grad").shape == (len(part["row"]), 12)
            assert np.isfinite(part.float32("grad")).all()
    assert (covered == 1).all()
    validation_rows = 0
    for name in os.listdir(pool / "validation"):
        with SafetensorsFile(pool / "validation" / name) as part:
            validation_rows += part.info("grad").shape[0]
    assert validation_rows == 9


@pytest.mark.parametrize("method", ["gradalign", "limr", "random"])
def test_scores_npy_is_the_scores_jsonl_table(tmp_path, gradsieve_bin, method):
    """`--scores-format both`: numpy.load(scores.npy) is scores.jsonl's table, column by column
    and bit for bit, row i being pool row i; `none` writes neither file."""
    pool = tmp_path / "pool"
    run(gradsieve_bin, "generate", "--out", str(pool), "--rows", "400", "--dim", "8", "--seed", "3")
    out = tmp_path / "out"
    run(gradsieve_bin, "select", "--data", str(pool), "--method", method, "--budget", "30", "--workers", "2",
        "--shard-rows", "64", "--out", str(out), "--scores-format", "both")
    table = np.load(out / "epoch-0001" / "scores.npy")
    lines = [json.loads(line) for line in (out / "epoch-0001" / "scores.jsonl").read_text().splitlines()]
    assert table.shape == (len(lines),) == (400,)
    columns = [key for key in lines[0] if key not in ("id", "row")]
    assert list(table.dtype.names or ()) == columns
    for name in columns:
        assert np.array_equal(table[name], np.array([line[name] for line in lines], dtype=np.float64))

    bare = tmp_path / "bare"
    run(gradsieve_bin, "select", "--data", str(pool), "--method", method, "--budget", "30", "--workers", "1",
        "--out", str(bare), "--scores-format", "none")
    assert sorted(p.name for p in (bare / "epoch-0001").iterdir()) == ["curriculum.jsonl"]
    assert (bare / "epoch-0001" / "curriculum.jsonl").read_bytes() == (out / "epoch-0001" / "curriculum.jsonl").read_bytes()


def test_an_unknown_scores_format_is_refused(tmp_path, gradsieve_bin):
    completed = subprocess.run([gradsieve_bin, "select", "--data", str(tmp_path), "--budget", "1", "--out", str(tmp_path / "o"),
                                "--scores-format", "csv"], capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0
    assert "--scores-format csv is not one of jsonl, npy, both, none" in completed.stderr
