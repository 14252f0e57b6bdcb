"""Read the curriculum gradsieve wrote, and feed it to a training loop.

gradsieve writes ``OUT/epoch-NNNN/curriculum.jsonl``, one line per selected problem in
curriculum order::

    {"id": "problem-17", "row": 17, "rank": 1, "score": 0.8123}

``row`` is the problem's line number in the pool's ``samples.jsonl`` (from 0) and ``rank``
counts from 1. :func:`read_curriculum` reads and validates such a file, :func:`latest_epoch`
finds the newest one, and :class:`CurriculumSampler` yields the selected rows as dataset
indices, for a PyTorch ``DataLoader(sampler=...)`` or a trainer that takes a sampler, without
importing torch.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = [
    "CurriculumError",
    "CurriculumSampler",
    "curriculum_path",
    "latest_epoch",
    "read_curriculum",
    "read_sample_ids",
]

_EPOCH_DIRECTORY = re.compile(r"^epoch-(\d{4,})$")

PathLike = Union[str, os.PathLike]


class CurriculumError(ValueError):
    """A curriculum file that does not say what gradsieve writes."""


def curriculum_path(out_dir: PathLike, epoch: int) -> str:
    """``OUT/epoch-NNNN/curriculum.jsonl`` (four digits at least, as gradsieve names them)."""
    return os.path.join(os.fspath(out_dir), f"epoch-{int(epoch):04d}", "curriculum.jsonl")


def latest_epoch(out_dir: PathLike) -> Optional[int]:
    """The highest epoch whose ``curriculum.jsonl`` exists in OUT, or None when there is none.

    gradsieve writes each file under a temporary name and renames it into place, so an epoch
    that exists here is complete.
    """
    out_dir = os.fspath(out_dir)
    try:
        names = os.listdir(out_dir)
    except FileNotFoundError:
        return None
    epochs = []
    for name in names:
        match = _EPOCH_DIRECTORY.match(name)
        if match and os.path.isfile(os.path.join(out_dir, name, "curriculum.jsonl")):
            epochs.append(int(match.group(1)))
    return max(epochs) if epochs else None


def read_sample_ids(data_dir: PathLike) -> List[str]:
    """The ``id`` of every row of ``DATA/samples.jsonl``, in row order."""
    path = os.path.join(os.fspath(data_dir), "samples.jsonl")
    ids = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except ValueError as error:
                raise CurriculumError(f"{path}:{number}: not JSON ({error})") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise CurriculumError(f"{path}:{number}: no string field 'id'")
            ids.append(record["id"])
    return ids


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_curriculum(
    out_dir: PathLike,
    epoch: Optional[int] = None,
    data: Optional[PathLike] = None,
) -> List[Dict[str, Any]]:
    """The curriculum of ``epoch`` (default: the latest) as a list of dicts in rank order.

    Each entry has ``id`` (str), ``row`` (int), ``rank`` (int, 1, 2, ... in file order) and
    ``score`` (float). The file is validated: every line an object with those four fields of
    those types, ranks consecutive from 1, rows and ids unique. With ``data`` (the pool
    directory), each ``id`` must also be the id of its ``row`` in ``samples.jsonl``, which
    catches a curriculum read against the wrong pool.
    """
    if epoch is None:
        epoch = latest_epoch(out_dir)
        if epoch is None:
            raise CurriculumError(f"{os.fspath(out_dir)} holds no epoch-NNNN/curriculum.jsonl")
    path = curriculum_path(out_dir, epoch)
    if not os.path.isfile(path):
        raise CurriculumError(f"{path} does not exist")
    sample_ids = read_sample_ids(data) if data is not None else None

    entries: List[Dict[str, Any]] = []
    seen_rows: Dict[int, int] = {}
    seen_ids: Dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if not line.strip():
                raise CurriculumError(f"{where}: empty line")
            try:
                record = json.loads(line)
            except ValueError as error:
                raise CurriculumError(f"{where}: not JSON ({error})") from None
            if not isinstance(record, dict):
                raise CurriculumError(f"{where}: not a JSON object")
            identifier, row, rank, score = (record.get(key) for key in ("id", "row", "rank", "score"))
            if not isinstance(identifier, str):
                raise CurriculumError(f"{where}: 'id' must be a string")
            if not _is_int(row) or row < 0:
                raise CurriculumError(f"{where}: 'row' must be a non-negative integer")
            if not _is_int(rank) or rank != len(entries) + 1:
                raise CurriculumError(f"{where}: 'rank' must be {len(entries) + 1}, got {rank!r}")
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
                raise CurriculumError(f"{where}: 'score' must be a finite number")
            if row in seen_rows:
                raise CurriculumError(f"{where}: row {row} already appears on line {seen_rows[row]}")
            if identifier in seen_ids:
                raise CurriculumError(f"{where}: id {identifier!r} already appears on line {seen_ids[identifier]}")
            if sample_ids is not None:
                if row >= len(sample_ids):
                    raise CurriculumError(f"{where}: row {row} is past the pool's {len(sample_ids)} rows")
                if sample_ids[row] != identifier:
                    raise CurriculumError(
                        f"{where}: row {row} is {sample_ids[row]!r} in the pool, not {identifier!r} (wrong pool?)"
                    )
            seen_rows[row] = number
            seen_ids[identifier] = number
            entries.append({"id": identifier, "row": row, "rank": rank, "score": float(score)})
    return entries


class CurriculumSampler:
    """The rows of one epoch's curriculum, as dataset indices.

    A drop-in ``sampler`` for ``torch.utils.data.DataLoader`` (it has ``__iter__`` and
    ``__len__``, which is all a torch ``Sampler`` needs; torch is not imported)::

        sampler = CurriculumSampler("out", epoch=3, shuffle=True, seed=0)
        loader = DataLoader(dataset, batch_size=8, sampler=sampler)

    By default it yields each selected ``row`` in curriculum order (rank 1 first), so the
    dataset must be indexed like ``samples.jsonl``. When it is not, pass ``index_of``: a mapping
    from id to dataset index (or a sequence of ids in dataset order), and the sampler yields
    ``index_of[id]`` instead.

    ``shuffle=True`` yields the same rows in a random order that depends only on ``seed`` and the
    pass number set by ``set_epoch`` (as ``DistributedSampler`` does), so every process of a
    distributed run draws the same order.
    """

    def __init__(
        self,
        out_dir: PathLike,
        epoch: Optional[int] = None,
        shuffle: bool = False,
        seed: int = 0,
        index_of: Optional[Union[Mapping[str, int], Sequence[str]]] = None,
        data: Optional[PathLike] = None,
    ):
        if epoch is None:
            epoch = latest_epoch(out_dir)
            if epoch is None:
                raise CurriculumError(f"{os.fspath(out_dir)} holds no epoch-NNNN/curriculum.jsonl")
        self.out_dir = os.fspath(out_dir)
        self.epoch = int(epoch)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.entries = read_curriculum(out_dir, self.epoch, data=data)
        if index_of is None:
            indices = [entry["row"] for entry in self.entries]
        else:
            if not isinstance(index_of, Mapping):
                index_of = {identifier: position for position, identifier in enumerate(index_of)}
            missing = [entry["id"] for entry in self.entries if entry["id"] not in index_of]
            if missing:
                raise CurriculumError(f"index_of lacks {len(missing)} curriculum id(s), e.g. {missing[0]!r}")
            indices = [int(index_of[entry["id"]]) for entry in self.entries]
        self.indices = np.asarray(indices, dtype=np.int64)
        self._pass = 0

    @property
    def ids(self) -> List[str]:
        """The selected ids in curriculum order."""
        return [entry["id"] for entry in self.entries]

    def set_epoch(self, epoch: int) -> None:
        """Sets the pass number that, with ``seed``, fixes the shuffled order."""
        self._pass = int(epoch)

    def order(self) -> np.ndarray:
        """The indices this pass yields, as an int64 array."""
        if not self.shuffle:
            return self.indices.copy()
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, self._pass])))
        return self.indices[generator.permutation(len(self.indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(int(index) for index in self.order())

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return f"CurriculumSampler({self.out_dir!r}, epoch={self.epoch}, rows={len(self)}, shuffle={self.shuffle})"
