"""Read the curriculum gradsieve wrote, and feed it to a training loop.

gradsieve writes ``OUT/epoch-NNNN/curriculum.jsonl``, one line per selected problem in
curriculum order::

    {"id": "problem-17", "row": 17, "rank": 1, "score": 0.8123}

``row`` is the problem's line number in the pool's ``samples.jsonl`` (from 0) and ``rank``
counts from 1. :func:`read_curriculum` reads and validates such a file, :func:`latest_epoch`
finds the newest one, :func:`wait_for_curriculum` waits for one to appear, :func:`index_by_id`
maps entries to dataset indices by id, and :class:`CurriculumSampler` yields the selected rows as
dataset indices, for a PyTorch ``DataLoader(sampler=...)`` or a trainer that takes a sampler
(a ``torch.utils.data.Sampler`` when torch is installed; importable without it).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from .ids import normalize_id

__all__ = [
    "CurriculumError",
    "CurriculumSampler",
    "curriculum_path",
    "index_by_id",
    "wait_for_curriculum",
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


def wait_for_curriculum(out_dir: PathLike, epoch: int, timeout: Optional[float] = None, poll: float = 0.2,
                        process: Any = None) -> str:
    """Waits until ``OUT/epoch-NNNN/curriculum.jsonl`` exists and returns its path.

    gradsieve renames the file into place whole, so once it exists it is complete. ``timeout``
    (seconds, default: forever) raises :class:`CurriculumError` naming the path; ``process`` (a
    ``subprocess.Popen`` of the ``gradsieve`` coordinator or ``select --follow``) makes the wait
    fail at once if it exits first, quoting the end of its standard error when it was captured
    (``process.stderr``, or the file ``process.log`` of :func:`gradsieve.binary.start_follow`).
    """
    path = curriculum_path(out_dir, epoch)
    deadline = None if timeout is None else time.monotonic() + timeout
    while not os.path.isfile(path):
        if process is not None and process.poll() is not None and not os.path.isfile(path):
            detail = ""
            stderr = getattr(process, "stderr", None) or getattr(process, "log", None)
            if stderr is not None and hasattr(stderr, "read"):
                try:
                    if hasattr(stderr, "seek") and stderr.seekable():
                        stderr.seek(0)
                    text = stderr.read()
                except (OSError, ValueError):
                    text = ""
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                detail = (": " + text.strip()[-2000:]) if text and text.strip() else ""
            raise CurriculumError(f"gradsieve exited with status {process.returncode} before writing {path}{detail}")
        if deadline is not None and time.monotonic() >= deadline:
            raise CurriculumError(f"timed out after {timeout:g} s waiting for {path}")
        time.sleep(poll)
    return path


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
            if not isinstance(row, int) or isinstance(row, bool) or row < 0:
                raise CurriculumError(f"{where}: 'row' must be a non-negative integer")
            if not isinstance(rank, int) or isinstance(rank, bool) or rank != len(entries) + 1:
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


def _torch_sampler_base() -> type:
    """``torch.utils.data.Sampler`` when torch is installed (so ``isinstance`` checks and type
    hints of trainers accept the sampler), ``object`` otherwise: the module never needs torch."""
    try:
        from torch.utils.data import Sampler
    except ImportError:
        return object
    return Sampler


def positions_by_id(ids: Sequence[Any], what: str = "the dataset") -> Dict[str, int]:
    """id -> dataset index for a dataset's ids in dataset order (integer ids count as their
    decimal strings); an id that appears twice raises :class:`CurriculumError` naming both rows."""
    positions: Dict[str, int] = {}
    for position, identifier in enumerate(ids):
        key = normalize_id(identifier, f"{what} row {position}", CurriculumError)
        if key in positions:
            raise CurriculumError(f"{what}: id {key!r} appears at rows {positions[key]} and {position}")
        positions[key] = position
    return positions


def index_by_id(entries: Sequence[Mapping[str, Any]], index_of: Union[Mapping[str, int], Sequence[Any]],
                what: str = "the dataset") -> List[int]:
    """The dataset index of each curriculum entry, found by its ``id`` (never by its ``row``).

    ``index_of`` is a mapping id -> dataset index, or the dataset's ids in dataset order (integer
    ids count as their decimal strings). An id missing from it raises :class:`CurriculumError`
    naming the id and its rank.
    """
    if not isinstance(index_of, Mapping):
        index_of = positions_by_id(index_of, what)
    missing = [entry for entry in entries if entry["id"] not in index_of]
    if missing:
        first = missing[0]
        raise CurriculumError(
            f"curriculum id {first['id']!r} (rank {first.get('rank')}, pool row {first.get('row')}) is not in {what} "
            f"({what} lacks {len(missing)} curriculum id(s))"
        )
    return [int(index_of[entry["id"]]) for entry in entries]


def _distributed_default(num_replicas: Optional[int], rank: Optional[int]) -> "tuple[int, int]":
    if num_replicas is None or rank is None:
        try:
            import torch.distributed as dist

            initialized = dist.is_available() and dist.is_initialized()
        except ImportError:
            initialized = False
        if num_replicas is None:
            num_replicas = dist.get_world_size() if initialized else 1
        if rank is None:
            rank = dist.get_rank() if initialized else 0
    if num_replicas < 1:
        raise CurriculumError(f"num_replicas must be at least 1, got {num_replicas}")
    if not 0 <= rank < num_replicas:
        raise CurriculumError(f"rank must be in [0, {num_replicas - 1}], got {rank}")
    return int(num_replicas), int(rank)


class CurriculumSampler(_torch_sampler_base()):  # type: ignore[misc]
    """The rows of one epoch's curriculum, as dataset indices: a ``torch.utils.data.Sampler``
    with ``DistributedSampler``'s semantics (torch is not needed to import or use it).

    ::

        sampler = CurriculumSampler("out", epoch=3, shuffle=True, seed=0)
        loader = DataLoader(dataset, batch_size=8, sampler=sampler)

    By default it yields each selected ``row`` in curriculum order (rank 1 first), so the
    dataset must be indexed like ``samples.jsonl``. When it is not, pass ``index_of``: a mapping
    from id to dataset index (or a sequence of ids in dataset order, integer ids as their
    decimal strings), and the sampler yields ``index_of[id]`` instead; an id it lacks is an error
    naming the id.

    ``shuffle=True`` yields the same rows in a random order that depends only on ``seed`` and the
    pass number set by ``set_epoch`` (as ``DistributedSampler`` does), so every process of a
    distributed run draws the same order. With ``num_replicas`` processes (default: the
    ``torch.distributed`` world size when it is initialized, else 1), process ``rank`` takes
    every ``num_replicas``-th index of that order from position ``rank``; the order is first
    padded by repeating its start to a multiple of ``num_replicas`` (or cut to one, with
    ``drop_last=True``), so every process gets ``len(sampler)`` indices.

    :meth:`load` switches to another epoch's curriculum (a new one every epoch); ``set_epoch``
    only reshuffles.
    """

    def __init__(
        self,
        out_dir: PathLike,
        epoch: Optional[int] = None,
        shuffle: bool = False,
        seed: int = 0,
        index_of: Optional[Union[Mapping[str, int], Sequence[Any]]] = None,
        data: Optional[PathLike] = None,
        num_replicas: Optional[int] = None,
        rank: Optional[int] = None,
        drop_last: bool = False,
    ):
        self.out_dir = os.fspath(out_dir)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.data = data
        self.num_replicas, self.rank = _distributed_default(num_replicas, rank)
        self.drop_last = bool(drop_last)
        if index_of is not None and not isinstance(index_of, Mapping):
            index_of = list(index_of)
        self.index_of = index_of
        self._pass = 0
        self.load(epoch)

    def load(self, epoch: Optional[int] = None) -> None:
        """Reads the curriculum of ``epoch`` (default: the latest in OUT) and yields its rows from now on."""
        if epoch is None:
            epoch = latest_epoch(self.out_dir)
            if epoch is None:
                raise CurriculumError(f"{self.out_dir} holds no epoch-NNNN/curriculum.jsonl")
        entries = read_curriculum(self.out_dir, int(epoch), data=self.data)
        if self.index_of is None:
            indices = [entry["row"] for entry in entries]
        else:
            indices = index_by_id(entries, self.index_of, what="index_of")
        self.epoch = int(epoch)
        self.entries = entries
        self.indices = np.asarray(indices, dtype=np.int64)

    @property
    def ids(self) -> List[str]:
        """The selected ids in curriculum order."""
        return [entry["id"] for entry in self.entries]

    def set_epoch(self, epoch: int) -> None:
        """Sets the pass number that, with ``seed``, fixes the shuffled order."""
        self._pass = int(epoch)

    def order(self) -> np.ndarray:
        """The indices this pass yields on every process together (before sharding), int64."""
        if not self.shuffle:
            return self.indices.copy()
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, self._pass])))
        return self.indices[generator.permutation(len(self.indices))]

    def _total(self) -> int:
        count = len(self.indices)
        if self.drop_last:
            return (count // self.num_replicas) * self.num_replicas
        return -(-count // self.num_replicas) * self.num_replicas

    def shard(self) -> np.ndarray:
        """The indices of this process (``rank``) for this pass."""
        order = self.order()
        total = self._total()
        if total > len(order) and len(order):
            repeats = -(-(total - len(order)) // len(order))
            order = np.concatenate([order] + [order] * repeats)[:total]
        else:
            order = order[:total]
        return order[self.rank: total: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(int(index) for index in self.shard())

    def __len__(self) -> int:
        return self._total() // self.num_replicas

    def __repr__(self) -> str:
        return (
            f"CurriculumSampler({self.out_dir!r}, epoch={self.epoch}, rows={len(self.indices)}, shuffle={self.shuffle}, "
            f"rank={self.rank}/{self.num_replicas})"
        )
