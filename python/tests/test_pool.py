import json
import os

import numpy as np
import pytest

from gradsieve import PoolError, PoolWriter, SafetensorsFile, write_epoch
from gradsieve.safetensors_io import bf16_bits_to_float32, float32_to_bf16_bits


def stored_float32(values, dtype):
    values = np.asarray(values, dtype=np.float32)
    if dtype == "F16":
        return values.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return bf16_bits_to_float32(float32_to_bf16_bits(values))
    return values


def read_pool(directory):
    """Everything in a pool, checked the way gradsieve checks it: ids unique, files covering every
    row exactly once, shapes and dtypes consistent."""
    with open(os.path.join(directory, "samples.jsonl"), encoding="utf-8") as handle:
        samples = [json.loads(line) for line in handle]
    ids = [sample["id"] for sample in samples]
    assert len(set(ids)) == len(ids)
    n = len(samples)
    covered = np.zeros(n, dtype=np.int64)
    signals = {}
    dtypes = {}
    for name in sorted(os.listdir(os.path.join(directory, "signals"))):
        assert name.endswith(".safetensors"), name
        with SafetensorsFile(os.path.join(directory, "signals", name)) as part:
            rows = np.array(part["row"])
            assert part.info("row").dtype == "I64"
            covered[rows] += 1
            for tensor in part.keys():
                if tensor == "row":
                    continue
                info = part.info(tensor)
                assert info.shape[0] == len(rows)
                dtypes.setdefault(tensor, set()).add(info.dtype)
                values = part.float32(tensor)
                store = signals.setdefault(tensor, np.full((n,) + info.shape[1:], np.nan, dtype=np.float32))
                store[rows] = values
    assert (covered == 1).all(), "every row exactly once"
    validation = []
    vdir = os.path.join(directory, "validation")
    if os.path.isdir(vdir):
        for name in sorted(os.listdir(vdir)):
            with SafetensorsFile(os.path.join(vdir, name)) as part:
                assert list(part.keys()) == ["grad"]
                dtypes.setdefault("validation", set()).add(part.info("grad").dtype)
                validation.append(part.float32("grad"))
    validation = np.concatenate(validation) if validation else None
    return samples, signals, dtypes, validation


@pytest.mark.parametrize("dtype", ["F32", "F16", "BF16"])
def test_pool_writer_writes_a_valid_pool(tmp_path, dtype):
    rng = np.random.default_rng(3)
    grad = rng.standard_normal((10, 6)).astype(np.float32)
    success = rng.uniform(0, 1, 10).astype(np.float32)
    rewards = rng.uniform(0, 1, (10, 3)).astype(np.float32)
    angle = rng.standard_normal(10).astype(np.float32)
    validation = rng.standard_normal((5, 6)).astype(np.float32)
    directory = tmp_path / "pool"
    with PoolWriter(directory, rows_per_file=4, dtype=dtype.lower()) as pool:
        cuts = [(0, 3), (3, 8), (8, 10)]
        for start, stop in cuts:
            ids = [f"p{i}" for i in range(start, stop)]
            added = pool.add(ids, grad=grad[start:stop], success=success[start:stop],
                             rewards=rewards[start:stop], angle=angle[start:stop])
            assert added == range(start, stop)
        pool.add_validation(validation[:2])
        pool.add_validation(validation[2:])
    assert sorted(os.listdir(directory)) == ["samples.jsonl", "signals", "validation"]
    assert sorted(os.listdir(directory / "signals")) == ["part-0000.safetensors", "part-0001.safetensors", "part-0002.safetensors"]
    assert sorted(os.listdir(directory / "validation")) == ["part-0000.safetensors", "part-0001.safetensors"]

    # Each part holds its consecutive block of rows.
    for index, rows in enumerate([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]):
        with SafetensorsFile(directory / "signals" / f"part-{index:04d}.safetensors") as part:
            np.testing.assert_array_equal(part["row"], rows)
            assert part.info("grad").dtype == dtype
            assert part.info("success").dtype == "F32"
            assert part.metadata == {"producer": "gradsieve-python"}

    samples, signals, dtypes, read_validation = read_pool(directory)
    assert [s["id"] for s in samples] == [f"p{i}" for i in range(10)]
    assert dtypes == {"grad": {dtype}, "success": {"F32"}, "rewards": {"F32"}, "angle": {"F32"}, "validation": {dtype}}
    np.testing.assert_array_equal(signals["grad"], stored_float32(grad, dtype))
    np.testing.assert_array_equal(signals["success"], success)
    np.testing.assert_array_equal(signals["rewards"], rewards)
    np.testing.assert_array_equal(signals["angle"], angle)
    np.testing.assert_array_equal(read_validation, stored_float32(validation, dtype))


def test_close_returns_a_summary_and_extra_fields_go_to_samples(tmp_path):
    pool = PoolWriter(tmp_path / "pool", rows_per_file=100)
    pool.add([{"id": "a", "prompt": "1+1?", "answer": 2}, "b"], success=[0.5, 0.25], fields=[{"level": 1}, {"level": "héllo"}])
    summary = pool.close()
    assert summary.rows == 2 and summary.validation_rows == 0 and summary.signals == ["success"]
    assert summary.dimension is None
    assert [os.path.basename(p) for p in summary.signal_files] == ["part-0000.safetensors"]
    lines = (tmp_path / "pool" / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": "a", "prompt": "1+1?", "answer": 2, "level": 1},
        {"id": "b", "level": "héllo"},
    ]
    assert not (tmp_path / "pool" / "validation").exists()


def test_nothing_is_visible_before_close_and_no_staging_remains(tmp_path):
    directory = tmp_path / "pool"
    pool = PoolWriter(directory, rows_per_file=2)
    pool.add(["a", "b", "c"], success=[0.1, 0.2, 0.3])  # one part already written, in staging
    assert [name for name in os.listdir(directory) if not name.startswith(".")] == []
    pool.close()
    assert sorted(os.listdir(directory)) == ["samples.jsonl", "signals"]


def test_an_exception_discards_everything(tmp_path):
    directory = tmp_path / "pool"
    with pytest.raises(RuntimeError):
        with PoolWriter(directory, rows_per_file=1) as pool:
            pool.add(["a", "b"], success=[0.1, 0.2])
            raise RuntimeError("training crashed")
    assert os.listdir(directory) == []


def test_existing_pool_is_refused_unless_overwrite(tmp_path):
    directory = tmp_path / "pool"
    with PoolWriter(directory) as pool:
        pool.add(["a", "b", "c"], success=[0.1, 0.2, 0.3])
        pool.add_validation(np.ones((1, 2)))  # dimension 2, allowed without train grads
    (directory / "notes.txt").write_text("kept")
    with pytest.raises(PoolError, match="already holds a pool"):
        PoolWriter(directory)
    with PoolWriter(directory, overwrite=True) as pool:
        pool.add(["x"], success=[0.9])
    samples, signals, _, validation = read_pool(directory)
    assert [s["id"] for s in samples] == ["x"]
    assert validation is None  # the old validation set went with the old pool
    assert (directory / "notes.txt").read_text() == "kept"
    assert sorted(os.listdir(directory)) == ["notes.txt", "samples.jsonl", "signals"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p: p.add(["a", "a"], success=[0.1, 0.2]), "duplicate id"),
        (lambda p: (p.add(["a"], success=[0.1]), p.add(["a"], success=[0.2])), "duplicate id"),
        (lambda p: p.add([1.5], success=[0.1]), "not a string or an integer"),
        (lambda p: p.add([True], success=[0.1]), "not a string or an integer"),
        (lambda p: p.add([7, "7"], success=[0.1, 0.2]), "duplicate id '7'"),
        (lambda p: p.add("abc", success=[0.1]), "single string"),
        (lambda p: p.add(["a"]), "at least one signal"),
        (lambda p: (p.add(["a"], success=[0.1]), p.add(["b"], success=[0.2], angle=[1.0])), "same signals"),
        (lambda p: (p.add(["a"], grad=np.ones((1, 3))), p.add(["b"], grad=np.ones((1, 4)))), "dimension"),
        (lambda p: p.add(["a"], grad=np.array([[1.0, np.nan]])), "not finite"),
        (lambda p: p.add(["a"], grad=np.array([[1.0, np.inf]])), "not finite"),
        (lambda p: p.add(["a"], grad=np.ones(3)), "2-D"),
        (lambda p: p.add(["a", "b"], grad=np.ones((3, 2))), "3 rows for 2 ids"),
        (lambda p: p.add(["a"], success=[1.5]), r"\[0, 1\]"),
        (lambda p: p.add(["a"], rewards=[[0.5, -0.1]]), r"\[0, 1\]"),
        (lambda p: p.add(["a"], rewards=[0.5]), "shape"),
        (lambda p: p.add(["a"], angle=[np.nan]), "not finite"),
        (lambda p: p.add(["a"], success=[0.5], fields=[{"id": "b"}]), "must not contain 'id'"),
        (lambda p: p.add(["a"], success=[0.5], fields=[]), "fields has 0 entries"),
        (lambda p: (p.add(["a"], grad=np.ones((1, 3))), p.add_validation(np.ones((2, 4)))), "dimension"),
        (lambda p: p.close(), "no rows"),
    ],
)
def test_invalid_rows_are_refused(tmp_path, call, message):
    pool = PoolWriter(tmp_path / "pool")
    with pytest.raises(PoolError, match=message):
        call(pool)
    pool.abort()
    assert os.listdir(tmp_path / "pool") == []


def test_f16_and_bf16_overflow_is_refused(tmp_path):
    with pytest.raises(PoolError, match="F16 range"):
        PoolWriter(tmp_path / "a", dtype="F16").add(["a"], grad=[[70000.0]])
    with pytest.raises(PoolError, match="infinity in BF16"):
        PoolWriter(tmp_path / "b", dtype="BF16").add(["a"], grad=[[3.4e38]])
    with pytest.raises(PoolError, match="F32, F16 or BF16"):
        PoolWriter(tmp_path / "c", dtype="I64")


def test_closed_writer_refuses_more_rows(tmp_path):
    pool = PoolWriter(tmp_path / "pool")
    pool.add(["a"], success=[0.5])
    pool.close()
    with pytest.raises(PoolError, match="closed"):
        pool.add(["b"], success=[0.5])


def test_write_epoch_follow_layout(tmp_path):
    data = tmp_path / "data"
    with PoolWriter(data) as pool:
        pool.add([f"p{i}" for i in range(5)], success=np.full(5, 0.5))
    rng = np.random.default_rng(0)
    grad = rng.standard_normal((5, 4)).astype(np.float32)
    summary = write_epoch(data, 2, grad=grad, success=np.linspace(0, 1, 5), validation=rng.standard_normal((3, 4)),
                          rows_per_file=2, dtype="bf16")
    epoch_dir = data / "epochs" / "0002"
    assert summary.directory == str(epoch_dir)
    assert sorted(os.listdir(data / "epochs")) == ["0002"]
    assert sorted(os.listdir(epoch_dir)) == ["COMPLETE", "signals", "validation"]
    assert (epoch_dir / "COMPLETE").read_bytes() == b""
    assert sorted(os.listdir(epoch_dir / "signals")) == [f"part-{i:04d}.safetensors" for i in range(3)]
    rows = []
    for name in sorted(os.listdir(epoch_dir / "signals")):
        with SafetensorsFile(epoch_dir / "signals" / name) as part:
            rows += list(part["row"])
            assert part.info("grad").dtype == "BF16"
    assert rows == [0, 1, 2, 3, 4]
    shapes = []
    for name in sorted(os.listdir(epoch_dir / "validation")):  # rows_per_file applies here too
        with SafetensorsFile(epoch_dir / "validation" / name) as part:
            shapes.append(part.info("grad").shape)
    assert shapes == [(2, 4), (1, 4)]

    with pytest.raises(PoolError, match="already exists"):
        write_epoch(data, 2, success=np.zeros(5))
    write_epoch(data, 2, success=np.zeros(5), overwrite=True)
    assert sorted(os.listdir(epoch_dir)) == ["COMPLETE", "signals"]  # no validation this time
    with SafetensorsFile(epoch_dir / "signals" / "part-0000.safetensors") as part:
        assert sorted(part.keys()) == ["row", "success"]
    assert [n for n in os.listdir(data / "epochs") if n.startswith(".")] == []


def test_write_epoch_checks_the_row_count_against_samples(tmp_path):
    data = tmp_path / "data"
    with PoolWriter(data) as pool:
        pool.add(["a", "b"], success=[0.5, 0.5])
    with pytest.raises(PoolError, match="3 rows but"):
        write_epoch(data, 1, success=[0.1, 0.2, 0.3])
    with pytest.raises(PoolError, match="at least one signal"):
        write_epoch(data, 1)
    with pytest.raises(PoolError, match="non-negative integer"):
        write_epoch(data, -1, success=[0.1, 0.2])
    assert not (data / "epochs" / "0001").exists()


def test_a_failed_publish_puts_the_old_pool_back(tmp_path, monkeypatch):
    directory = tmp_path / "pool"
    with PoolWriter(directory) as pool:
        pool.add(["old"], success=[0.5])
    real_replace = os.replace

    def failing_replace(source, target):
        if str(target).endswith("samples.jsonl") and ".gradsieve-staging-" in str(source) and "replaced" not in str(source):
            raise OSError("disk full")
        return real_replace(source, target)

    import gradsieve.pool as pool_module
    monkeypatch.setattr(pool_module.os, "replace", failing_replace)
    writer = PoolWriter(directory, overwrite=True)
    writer.add(["new"], success=[0.5])
    with pytest.raises(OSError, match="disk full"):
        writer.close()
    monkeypatch.undo()
    samples, _, _, _ = read_pool(directory)
    assert [s["id"] for s in samples] == ["old"]
    assert sorted(os.listdir(directory)) == ["samples.jsonl", "signals"]


def test_integer_ids_are_written_as_strings(tmp_path):
    with PoolWriter(tmp_path / "pool") as pool:
        pool.add([0, np.int64(1), {"id": 2, "prompt": "x"}, "three"], success=[0.1, 0.2, 0.3, 0.4])
    samples = [json.loads(line) for line in (tmp_path / "pool" / "samples.jsonl").read_text().splitlines()]
    assert samples == [{"id": "0"}, {"id": "1"}, {"id": "2", "prompt": "x"}, {"id": "three"}]


def test_write_samples_for_follow_mode(tmp_path):
    from gradsieve import write_samples

    path = write_samples(tmp_path / "data", [10, "b", 12], fields=[{"prompt": "p10"}, {}, {"prompt": "p12"}])
    assert [json.loads(line) for line in open(path, encoding="utf-8")] == [
        {"id": "10", "prompt": "p10"}, {"id": "b"}, {"id": "12", "prompt": "p12"}]
    assert write_samples(tmp_path / "data", ["10", "b", "12"]) == path  # the same ids: left alone
    with pytest.raises(PoolError, match="first difference at row 1"):
        write_samples(tmp_path / "data", ["10", "c", "12"])
    with pytest.raises(PoolError, match="duplicate id '10'"):
        write_samples(tmp_path / "other", [10, "10"])
    write_samples(tmp_path / "data", ["x"], overwrite=True)
    assert open(path, encoding="utf-8").read() == '{"id": "x"}\n'
    assert sorted(os.listdir(tmp_path / "data")) == ["samples.jsonl"]  # no temporary left behind
    summary = write_epoch(tmp_path / "data", 1, success=[0.5])
    assert summary.rows == 1
