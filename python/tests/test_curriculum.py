import json
import os

import numpy as np
import pytest

from gradsieve import CurriculumError, CurriculumSampler, PoolWriter, curriculum_path, latest_epoch, read_curriculum


def write_curriculum(out_dir, epoch, lines):
    path = curriculum_path(out_dir, epoch)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def entry(identifier, row, rank, score):
    return {"id": identifier, "row": row, "rank": rank, "score": score}


CURRICULUM = [entry("p7", 7, 1, 0.9), entry("p2", 2, 2, 0.5), entry("p4", 4, 3, 0.5), entry("p0", 0, 4, -0.25)]


def test_read_curriculum_in_rank_order(tmp_path):
    # The exact text gradsieve writes (Swift's shortest round-trip doubles).
    write_curriculum(tmp_path, 1, [
        '{"id": "p7", "row": 7, "rank": 1, "score": 0.8123}',
        '{"id": "p2", "row": 2, "rank": 2, "score": 1e-05}',
        '{"id": "p4", "row": 4, "rank": 3, "score": 0}',
    ])
    assert read_curriculum(tmp_path, 1) == [
        {"id": "p7", "row": 7, "rank": 1, "score": 0.8123},
        {"id": "p2", "row": 2, "rank": 2, "score": 1e-05},
        {"id": "p4", "row": 4, "rank": 3, "score": 0.0},
    ]
    assert isinstance(read_curriculum(tmp_path, 1)[2]["score"], float)


def test_curriculum_path_and_latest_epoch(tmp_path):
    assert curriculum_path("out", 3) == os.path.join("out", "epoch-0003", "curriculum.jsonl")
    assert curriculum_path("out", 12345) == os.path.join("out", "epoch-12345", "curriculum.jsonl")
    assert latest_epoch(tmp_path / "missing") is None
    assert latest_epoch(tmp_path) is None
    write_curriculum(tmp_path, 1, CURRICULUM)
    write_curriculum(tmp_path, 10, CURRICULUM)
    write_curriculum(tmp_path, 3, CURRICULUM)
    os.makedirs(tmp_path / "epoch-0011")  # an epoch directory without its curriculum yet
    os.makedirs(tmp_path / "epoch-x")
    (tmp_path / "epoch-0099").write_text("a file, not a directory")
    assert latest_epoch(tmp_path) == 10
    assert read_curriculum(tmp_path)[0]["id"] == "p7"  # default epoch: the latest


def test_no_curriculum_is_an_error(tmp_path):
    with pytest.raises(CurriculumError, match="holds no epoch"):
        read_curriculum(tmp_path)
    with pytest.raises(CurriculumError, match="does not exist"):
        read_curriculum(tmp_path, 4)


@pytest.mark.parametrize(
    "lines, message",
    [
        (["not json"], "not JSON"),
        (["[1, 2]"], "not a JSON object"),
        ([""], "empty line"),
        ([{"row": 1, "rank": 1, "score": 0.1}], "'id' must be a string"),
        ([entry(5, 1, 1, 0.1)], "'id' must be a string"),
        ([entry("a", -1, 1, 0.1)], "'row' must be"),
        ([entry("a", 1.0, 1, 0.1)], "'row' must be"),
        ([entry("a", True, 1, 0.1)], "'row' must be"),
        ([entry("a", 1, 2, 0.1)], "'rank' must be 1"),
        ([entry("a", 1, 1, 0.1), entry("b", 2, 3, 0.1)], "'rank' must be 2"),
        ([entry("a", 1, 1, "high")], "'score' must be"),
        (['{"id": "a", "row": 1, "rank": 1, "score": NaN}'], "'score' must be"),
        ([entry("a", 1, 1, 0.1), entry("b", 1, 2, 0.1)], "row 1 already appears on line 1"),
        ([entry("a", 1, 1, 0.1), entry("a", 2, 2, 0.1)], "id 'a' already appears on line 1"),
    ],
)
def test_invalid_curricula_are_refused_with_file_and_line(tmp_path, lines, message):
    path = write_curriculum(tmp_path, 1, lines)
    with pytest.raises(CurriculumError, match=message) as error:
        read_curriculum(tmp_path, 1)
    assert path in str(error.value)


def test_ids_are_checked_against_the_pool(tmp_path):
    data = tmp_path / "data"
    with PoolWriter(data) as pool:
        pool.add([f"p{i}" for i in range(8)], success=np.full(8, 0.5))
    write_curriculum(tmp_path / "out", 1, CURRICULUM)
    assert len(read_curriculum(tmp_path / "out", 1, data=data)) == 4
    write_curriculum(tmp_path / "out", 2, [entry("p3", 2, 1, 0.1)])
    with pytest.raises(CurriculumError, match="wrong pool"):
        read_curriculum(tmp_path / "out", 2, data=data)
    write_curriculum(tmp_path / "out", 3, [entry("p9", 9, 1, 0.1)])
    with pytest.raises(CurriculumError, match="past the pool's 8 rows"):
        read_curriculum(tmp_path / "out", 3, data=data)


def test_sampler_yields_rows_in_curriculum_order(tmp_path):
    write_curriculum(tmp_path, 2, CURRICULUM)
    sampler = CurriculumSampler(tmp_path, 2)
    assert len(sampler) == 4
    assert list(sampler) == [7, 2, 4, 0]
    assert list(sampler) == [7, 2, 4, 0]  # iterable more than once, like a torch Sampler
    assert all(type(index) is int for index in sampler)
    assert sampler.ids == ["p7", "p2", "p4", "p0"]
    assert CurriculumSampler(tmp_path).epoch == 2  # default: the latest epoch


def test_shuffled_sampler_is_a_seeded_permutation(tmp_path):
    lines = [entry(f"p{row}", row, rank, 1.0 / rank) for rank, row in enumerate(range(100, 0, -1), start=1)]
    write_curriculum(tmp_path, 1, lines)
    a = CurriculumSampler(tmp_path, 1, shuffle=True, seed=5)
    b = CurriculumSampler(tmp_path, 1, shuffle=True, seed=5)
    c = CurriculumSampler(tmp_path, 1, shuffle=True, seed=6)
    first = list(a)
    assert sorted(first) == list(range(1, 101))
    assert first == list(b)  # same seed, same pass: same order in every process
    assert first != list(range(100, 0, -1))
    assert first != list(c)
    a.set_epoch(1)
    assert list(a) != first and sorted(a) == sorted(first)
    b.set_epoch(1)
    assert list(a) == list(b)


def test_sampler_maps_ids_to_dataset_indices(tmp_path):
    write_curriculum(tmp_path, 1, CURRICULUM)
    dataset_order = ["p0", "p4", "p2", "p7", "p9"]  # the training set is ordered differently
    assert list(CurriculumSampler(tmp_path, 1, index_of=dataset_order)) == [3, 2, 1, 0]
    assert list(CurriculumSampler(tmp_path, 1, index_of={"p7": 70, "p2": 20, "p4": 40, "p0": 0})) == [70, 20, 40, 0]
    with pytest.raises(CurriculumError, match="lacks 1 curriculum id"):
        CurriculumSampler(tmp_path, 1, index_of=["p0", "p2", "p4"])


def test_sampler_with_a_batching_loop(tmp_path):
    # What a DataLoader does with a sampler: index the dataset in the sampler's order.
    write_curriculum(tmp_path, 1, CURRICULUM)
    dataset = [{"id": f"p{i}", "x": i * 10} for i in range(8)]
    sampler = CurriculumSampler(tmp_path, 1)
    batches = []
    batch = []
    for index in sampler:
        batch.append(dataset[index])
        if len(batch) == 3:
            batches.append(batch)
            batch = []
    batches.append(batch)
    assert [[item["id"] for item in b] for b in batches] == [["p7", "p2", "p4"], ["p0"]]


def test_distributed_shards_partition_the_curriculum(tmp_path):
    lines = [entry(f"p{row}", row, rank, 1.0 / rank) for rank, row in enumerate(range(10), start=1)]
    write_curriculum(tmp_path, 1, lines)
    shards = [list(CurriculumSampler(tmp_path, 1, shuffle=True, seed=3, num_replicas=3, rank=r)) for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]  # 10 padded to 12, as DistributedSampler does
    order = list(CurriculumSampler(tmp_path, 1, shuffle=True, seed=3).order())
    padded = order + order[:2]
    assert shards == [padded[r::3] for r in range(3)]
    dropped = [list(CurriculumSampler(tmp_path, 1, shuffle=True, seed=3, num_replicas=3, rank=r, drop_last=True)) for r in range(3)]
    assert sorted(sum(dropped, [])) == sorted(order[:9])
    sampler = CurriculumSampler(tmp_path, 1, shuffle=True, seed=3, num_replicas=3, rank=1)
    sampler.set_epoch(1)
    assert list(sampler) != shards[1]  # a new pass reshuffles
    with pytest.raises(CurriculumError, match="rank must be in"):
        CurriculumSampler(tmp_path, 1, num_replicas=2, rank=2)


def test_load_switches_to_a_new_epoch_and_maps_ids(tmp_path):
    write_curriculum(tmp_path, 1, CURRICULUM)
    write_curriculum(tmp_path, 2, [entry("p1", 1, 1, 0.3), entry("p5", 5, 2, 0.1)])
    dataset_ids = ["p5", "p4", "p7", "p0", "p1", "p2"]  # not samples.jsonl's order
    sampler = CurriculumSampler(tmp_path, 1, index_of=dataset_ids)
    assert list(sampler) == [2, 5, 1, 3]
    sampler.load(2)
    assert sampler.epoch == 2 and list(sampler) == [4, 0] and sampler.ids == ["p1", "p5"]
    write_curriculum(tmp_path, 3, [entry("p9", 9, 1, 0.3)])
    with pytest.raises(CurriculumError, match="curriculum id 'p9' .* is not in index_of"):
        sampler.load(3)
    assert sampler.epoch == 2  # a failed load keeps the curriculum it had


def test_integer_dataset_ids_match_string_curriculum_ids(tmp_path):
    from gradsieve import index_by_id

    write_curriculum(tmp_path, 1, [entry("7", 7, 1, 0.9), entry("2", 2, 2, 0.5)])
    assert index_by_id(read_curriculum(tmp_path, 1), [2, 7]) == [1, 0]


def test_wait_for_curriculum(tmp_path):
    import subprocess
    import sys

    from gradsieve import wait_for_curriculum

    with pytest.raises(CurriculumError, match="timed out after 0.05 s waiting for .*epoch-0001"):
        wait_for_curriculum(tmp_path, 1, timeout=0.05, poll=0.01)
    failed = subprocess.Popen([sys.executable, "-c", "import sys; sys.stderr.write('bad data'); sys.exit(3)"],
                              stderr=subprocess.PIPE)
    failed.wait()
    with pytest.raises(CurriculumError, match="exited with status 3 before writing .*: bad data"):
        wait_for_curriculum(tmp_path, 1, timeout=5, process=failed)
    path = write_curriculum(tmp_path, 1, CURRICULUM)
    assert wait_for_curriculum(tmp_path, 1, timeout=0) == path


def test_sampler_is_a_torch_sampler_when_torch_is_installed(tmp_path):
    torch_data = pytest.importorskip("torch.utils.data", reason="torch is not installed")
    write_curriculum(tmp_path, 1, CURRICULUM)
    sampler = CurriculumSampler(tmp_path, 1)
    assert isinstance(sampler, torch_data.Sampler)
    dataset = [{"id": f"p{i}", "x": i} for i in range(8)]
    loader = torch_data.DataLoader(dataset, batch_size=2, sampler=sampler, collate_fn=lambda rows: [r["id"] for r in rows])
    assert list(loader) == [["p7", "p2"], ["p4", "p0"]]


@pytest.mark.parametrize("rows, replicas, drop_last", [(10, 3, False), (10, 3, True), (7, 2, False), (8, 4, False)])
def test_shards_match_torch_distributed_sampler(tmp_path, rows, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data", reason="torch is not installed")
    order = [(row * 3) % rows for row in range(rows)]  # curriculum rows in rank order (3 is prime to every rows here)
    write_curriculum(tmp_path, 1, [entry(f"p{row}", row, rank, 1.0 / rank) for rank, row in enumerate(order, start=1)])
    for rank in range(replicas):
        ours = list(CurriculumSampler(tmp_path, 1, num_replicas=replicas, rank=rank, drop_last=drop_last))
        # DistributedSampler over the curriculum in rank order, without shuffling: the same positions.
        theirs = torch_data.DistributedSampler(order, num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert ours == [order[position] for position in theirs]
        assert len(CurriculumSampler(tmp_path, 1, num_replicas=replicas, rank=rank, drop_last=drop_last)) == len(theirs)
