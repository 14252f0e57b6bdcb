"""verl (0.8, 0.9): a new gradsieve curriculum every epoch through verl's dataset hook.

verl 0.8 and 0.9 dropped the ``data.sampler`` hook that the old adapter used (verl <= 0.7.1);
what they keep is ``data.custom_cls``: the trainer builds its datasets as
``cls(data_files=..., tokenizer=..., processor=..., config=data_config, max_samples=...)``, loading
the class with ``load_extern_object(path, name)``, and draws each epoch's batches through a
``StatefulDataLoader`` over ``range(len(dataset))``. :class:`GradsieveRLHFDataset` (verl's
``RLHFDataset`` made a curriculum) plugs in there::

    python -m verl.trainer.main_ppo ... \\
        data.custom_cls.path=pkg://gradsieve.verl data.custom_cls.name=GradsieveRLHFDataset \\
        +data.gradsieve.out=runs/follow +data.gradsieve.budget=1024 +data.gradsieve.id_key=index \\
        data.dataloader_num_workers=0

- The training dataset reports ``len == budget``; item k of epoch e is the k-th problem of
  ``OUT/epoch-000e/curriculum.jsonl``, found by id among the rows verl kept (after its
  ``filter_overlong_prompts``), never by row number: a curriculum id the dataset lacks is an error
  naming it. ids are read from column ``id_key`` (default ``id``), else from ``extra_info[id_key]``.
- Epoch e starts when item ``(e - first_epoch) * per_epoch`` is read, per_epoch being ``budget``
  rounded down to whole batches (verl drops the last partial batch); the first read of an epoch
  waits for its curriculum (``timeout`` seconds, default 3600). Items must be read in the trainer
  process, so ``data.dataloader_num_workers=0`` (a worker process raises an error saying so);
  resuming verl mid-epoch is not supported by this counting (start a new run with ``first_epoch``).
- The validation dataset (``data_files`` other than ``train_files``) is verl's dataset unchanged.
- The signals (``DATA/epochs/NNNN/``) come from the training side: e.g. a job that loads each
  checkpoint verl saves (``trainer.save_freq`` = steps per epoch) and runs
  :func:`gradsieve.grpo.grpo_gradients` and :func:`gradsieve.write_epoch` (docs/python.md).

verl is imported only when ``GradsieveRLHFDataset`` is first used; :func:`curriculum_dataset_class`
makes the same class from any base with ``RLHFDataset``'s constructor and ``dataframe``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from .curriculum import CurriculumError, index_by_id, positions_by_id, read_curriculum, wait_for_curriculum
from .ids import normalize_id

__all__ = ["EpochCurriculum", "curriculum_dataset_class"]


def _get(config: Any, key: str, default: Any = None) -> Any:
    if config is None:
        return default
    if hasattr(config, "get"):
        value = config.get(key, default)
        return default if value is None else value
    return getattr(config, key, default)


class EpochCurriculum:
    """Which dataset index item k is, epoch after epoch, from the count of items read."""

    def __init__(self, out_dir: str, budget: int, dataset_ids: List[str], per_epoch: int, first_epoch: int = 1,
                 timeout: Optional[float] = 3600.0, data: Optional[str] = None, poll: float = 0.2):
        if budget < 1 or budget > len(dataset_ids):
            raise CurriculumError(f"gradsieve.budget must be in [1, {len(dataset_ids)}] (the dataset's rows), got {budget}")
        if per_epoch < 1:
            raise CurriculumError(f"gradsieve.budget {budget} is smaller than one training batch")
        self.out_dir = out_dir
        self.budget = budget
        self.per_epoch = per_epoch
        self.first_epoch = first_epoch
        self.timeout = timeout
        self.data = data
        self.poll = poll
        self.position = positions_by_id(dataset_ids, "the verl training dataset")
        self.reads = 0
        self.epoch: Optional[int] = None
        self.ids: List[str] = []
        self.indices: List[int] = []

    def load(self, epoch: int) -> None:
        wait_for_curriculum(self.out_dir, epoch, timeout=self.timeout, poll=self.poll)
        entries = read_curriculum(self.out_dir, epoch, data=self.data)
        if len(entries) != self.budget:
            raise CurriculumError(
                f"{self.out_dir}/epoch-{epoch:04d}/curriculum.jsonl holds {len(entries)} problems, "
                f"gradsieve.budget is {self.budget}"
            )
        self.indices = index_by_id(entries, self.position, what="the verl training dataset")
        self.ids = [entry["id"] for entry in entries]
        self.epoch = epoch

    def index(self, item: int) -> int:
        try:
            from torch.utils.data import get_worker_info
        except ImportError:  # pragma: no cover - verl always has torch
            get_worker_info = None
        if get_worker_info is not None and get_worker_info() is not None:
            raise CurriculumError("GradsieveRLHFDataset needs data.dataloader_num_workers=0 (it counts the items read)")
        if not 0 <= item < self.budget:
            raise IndexError(f"item {item} is outside the curriculum's {self.budget} problems")
        epoch = self.first_epoch + self.reads // self.per_epoch
        if epoch != self.epoch:
            self.load(epoch)
        self.reads += 1
        return self.indices[item]


def _dataset_ids(dataframe: Any, id_key: str) -> List[str]:
    columns = list(getattr(dataframe, "column_names", []) or [])
    if id_key in columns:
        values = list(dataframe[id_key])
        return [normalize_id(value, f"verl dataset row {row} column {id_key!r}", CurriculumError) for row, value in enumerate(values)]
    if "extra_info" in columns:
        ids = []
        for row, extra in enumerate(dataframe["extra_info"]):
            if not isinstance(extra, dict) or id_key not in extra:
                raise CurriculumError(f"verl dataset row {row}: no column {id_key!r} and no extra_info[{id_key!r}]")
            ids.append(normalize_id(extra[id_key], f"verl dataset row {row} extra_info[{id_key!r}]", CurriculumError))
        return ids
    raise CurriculumError(f"the verl dataset has no column {id_key!r} and no extra_info column to find the ids in")


def _as_list(files: Any) -> List[str]:
    if files is None:
        return []
    if isinstance(files, (str, os.PathLike)):
        return [os.fspath(files)]
    return [os.fspath(f) for f in files]


def curriculum_dataset_class(base: type) -> type:
    """``base`` (verl's ``RLHFDataset`` or a class with its constructor and ``dataframe``) made a
    per-epoch gradsieve curriculum for the training files, as described in the module docstring."""

    class GradsieveRLHFDataset(base):
        def __init__(self, data_files: Any, tokenizer: Any, processor: Any = None, config: Any = None,
                     max_samples: int = -1, **kwargs: Any):
            super().__init__(data_files=data_files, tokenizer=tokenizer, processor=processor, config=config,
                             max_samples=max_samples, **kwargs)
            settings = _get(config, "gradsieve")
            train_files = _as_list(_get(config, "train_files"))
            self.gradsieve: Optional[EpochCurriculum] = None
            if settings is None or (train_files and _as_list(data_files) != train_files):
                return  # the validation set, or no gradsieve settings: verl's dataset as it is
            out = _get(settings, "out")
            budget = _get(settings, "budget")
            if not out or not isinstance(budget, int):
                raise CurriculumError("data.gradsieve needs out (the follow run's OUT) and budget (an integer)")
            batch = int(_get(config, "gen_batch_size") or _get(config, "train_batch_size") or 1)
            if budget % batch:
                raise CurriculumError(
                    f"gradsieve.budget {budget} must be a multiple of the training batch size {batch} "
                    "(verl drops the last partial batch)"
                )
            ids = _dataset_ids(self.dataframe, str(_get(settings, "id_key", "id")))
            self.gradsieve = EpochCurriculum(
                out_dir=str(out), budget=budget, dataset_ids=ids, per_epoch=budget,
                first_epoch=int(_get(settings, "first_epoch", 1)), timeout=_get(settings, "timeout", 3600.0),
                data=_get(settings, "data"),
            )

        def __len__(self) -> int:
            if self.gradsieve is None:
                return super().__len__()
            return self.gradsieve.budget

        def __getitem__(self, item: int) -> Any:
            if self.gradsieve is None:
                return super().__getitem__(item)
            return super().__getitem__(self.gradsieve.index(int(item)))

    GradsieveRLHFDataset.__qualname__ = f"GradsieveRLHFDataset[{base.__name__}]"
    return GradsieveRLHFDataset


_cached: Dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "GradsieveRLHFDataset":
        if name not in _cached:
            from verl.utils.dataset.rl_dataset import RLHFDataset

            _cached[name] = curriculum_dataset_class(RLHFDataset)
        return _cached[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
