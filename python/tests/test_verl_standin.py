"""gradsieve.verl against a stand-in of verl 0.9's data path (verl itself does not install on a
CPU-only machine without ray, vllm and an older transformers): a dataset class built as verl's
`create_rl_dataset` builds `data.custom_cls` (the RLHFDataset constructor, rows dropped by
`filter_overlong_prompts`), iterated as `RayPPOTrainer.fit` does (a DataLoader over a
RandomSampler, `drop_last=True`, `num_workers=data.dataloader_num_workers`, epoch after epoch).
Skipped without torch."""

import json
import threading
import time

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install './python[torch]')")
torch.set_num_threads(1)

from gradsieve import CurriculumError, curriculum_path  # noqa: E402
from gradsieve.verl import curriculum_dataset_class  # noqa: E402


class Frame:
    """The part of datasets.Dataset that RLHFDataset's dataframe is used through."""

    def __init__(self, rows):
        self.rows = rows
        self.column_names = list(rows[0]) if rows else []

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, key):
        return [row[key] for row in self.rows] if isinstance(key, str) else self.rows[key]


class StandInRLHFDataset(torch.utils.data.Dataset):
    """verl.utils.dataset.rl_dataset.RLHFDataset's constructor and filtering, minus tokenization."""

    def __init__(self, data_files, tokenizer, processor=None, config=None, max_samples=-1):
        rows = []
        for path in ([data_files] if isinstance(data_files, str) else data_files):
            with open(path, encoding="utf-8") as handle:
                rows += [json.loads(line) for line in handle]
        if config.get("filter_overlong_prompts", True):
            rows = [row for row in rows if len(row["prompt"]) <= config["max_prompt_length"]]
        self.dataframe = Frame(rows)

    def __len__(self):
        return len(self.dataframe)

    def __getitem__(self, item):
        row = self.dataframe[item]
        return {"raw_prompt": row["prompt"], "extra_info": row["extra_info"]}


def collate(rows):
    return [row["extra_info"]["index"] for row in rows]


def make_files(tmp_path):
    rows = []
    for i in range(20):
        prompt = "x" * (40 if i in (2, 5, 11) else 5)  # three overlong prompts that verl drops
        rows.append({"prompt": prompt, "extra_info": {"index": i, "split": "train"}})
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(row) + "\n" for row in rows))
    validation = tmp_path / "val.jsonl"
    validation.write_text("".join(json.dumps(row) + "\n" for row in rows[:4]))
    return str(train), str(validation)


def write_curriculum(out, epoch, ids):
    path = curriculum_path(out, epoch)
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        for rank, identifier in enumerate(ids, start=1):
            # row: the pool's row (samples.jsonl holds all 20 problems), not the filtered dataset's position
            handle.write(json.dumps({"id": str(identifier), "row": identifier, "rank": rank, "score": 1.0 / rank}) + "\n")
    os.replace(path + ".tmp", path)


def config(tmp_path, train, budget=8, workers=0, **gradsieve):
    return {
        "train_files": [train], "val_files": [], "train_batch_size": 4, "max_prompt_length": 10,
        "filter_overlong_prompts": True, "dataloader_num_workers": workers, "shuffle": True, "seed": 1,
        "gradsieve": {"out": str(tmp_path / "out"), "budget": budget, "id_key": "index", "timeout": 30, **gradsieve},
    }


def fit(dataset, data_config, epochs):
    """RayPPOTrainer._create_dataloader + fit's loop, as far as the data goes."""
    generator = torch.Generator().manual_seed(data_config["seed"])
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=data_config["train_batch_size"], sampler=torch.utils.data.RandomSampler(dataset, generator=generator),
        drop_last=True, num_workers=data_config["dataloader_num_workers"], collate_fn=collate,
    )
    served = []
    for _ in range(epochs):
        served.append(sorted(index for batch in loader for index in batch))
    return served


def test_each_epoch_trains_on_its_curriculum_found_by_id(tmp_path):
    train, validation = make_files(tmp_path)
    data_config = config(tmp_path, train)
    cls = curriculum_dataset_class(StandInRLHFDataset)
    dataset = cls(data_files=[train], tokenizer=None, processor=None, config=data_config, max_samples=-1)
    held_out = cls(data_files=[validation], tokenizer=None, processor=None, config=data_config, max_samples=-1)
    assert len(dataset) == 8 and len(held_out) == 3  # the validation set is verl's as it is (row 2 dropped)

    first = [19, 3, 12, 0, 7, 15, 8, 16]  # pool rows past the dropped ones: positions shifted by 1-3
    second = [1, 4, 6, 9, 10, 13, 14, 18]
    write_curriculum(tmp_path / "out", 1, first)

    def later():  # epoch 2's curriculum arrives while the trainer waits for it
        time.sleep(0.5)
        write_curriculum(tmp_path / "out", 2, second)

    writer = threading.Thread(target=later)
    writer.start()
    try:
        served = fit(dataset, data_config, epochs=2)
    finally:
        writer.join()
    assert served == [sorted(first), sorted(second)]
    assert dataset.gradsieve.epoch == 2


def test_a_curriculum_id_that_verl_filtered_out_is_an_error(tmp_path):
    train, _ = make_files(tmp_path)
    data_config = config(tmp_path, train, budget=4)
    dataset = curriculum_dataset_class(StandInRLHFDataset)(train, None, config=data_config)
    write_curriculum(tmp_path / "out", 1, [0, 1, 5, 3])  # 5 had an overlong prompt
    with pytest.raises(CurriculumError, match="curriculum id '5' .* is not in the verl training dataset"):
        fit(dataset, data_config, epochs=1)


def test_settings_are_checked(tmp_path):
    train, _ = make_files(tmp_path)
    cls = curriculum_dataset_class(StandInRLHFDataset)
    with pytest.raises(CurriculumError, match="must be a multiple of the training batch size 4"):
        cls(train, None, config=config(tmp_path, train, budget=6))
    with pytest.raises(CurriculumError, match="no column 'problem'"):
        cls(train, None, config=config(tmp_path, train, id_key="problem"))
    dataset = cls(train, None, config=config(tmp_path, train, budget=4, workers=2))
    write_curriculum(tmp_path / "out", 1, [0, 1, 3, 4])
    with pytest.raises(CurriculumError, match="dataloader_num_workers=0"):
        fit(dataset, config(tmp_path, train, budget=4, workers=2), epochs=1)
    waiting = cls(train, None, config=config(tmp_path, train, budget=4, timeout=0.1, first_epoch=3))
    with pytest.raises(CurriculumError, match="timed out after 0.1 s waiting for .*epoch-0003"):
        waiting[0]
