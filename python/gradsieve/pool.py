"""Write a pool in gradsieve's data contract from a training loop.

A pool is a directory DATA::

    DATA/samples.jsonl                     one JSON object per row, with a unique string "id"
    DATA/signals/part-0000.safetensors     "row" (I64 [n]) and any of "grad" [n, d],
    DATA/signals/part-0001.safetensors       "success" (F32 [n]), "rewards" (F32 [n, K]),
    ...                                      "angle" (F32 [n]); together every row exactly once
    DATA/validation/part-0000.safetensors  "grad" [m, d] of the trusted validation set

:class:`PoolWriter` streams rows into that layout: ``add`` buffers rows and writes a signals
part every ``rows_per_file`` rows, ``close`` writes the rest and publishes the pool. Everything
is written under temporary names first (a staging directory inside DATA) and moved into place
at ``close``, ``samples.jsonl`` last, so gradsieve never sees half a pool.

:func:`write_epoch` writes one epoch of the follow-mode layout, where ``samples.jsonl`` stays at
the top of DATA and each epoch's fresh signals go to ``DATA/epochs/NNNN/{signals,validation}/``,
with an empty ``COMPLETE`` file written last to say the epoch is whole.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from .ids import normalize_id
from .safetensors_io import _fsync_directory, float32_to_bf16_bits, normalize_dtype, write_safetensors

__all__ = ["PoolError", "PoolSummary", "PoolWriter", "write_epoch", "write_samples", "SIGNAL_NAMES"]

SIGNAL_NAMES = ("grad", "success", "rewards", "angle")
DEFAULT_ROWS_PER_FILE = 65536
_METADATA = {"producer": "gradsieve-python"}
_F16_MAX = 65504.0


class PoolError(ValueError):
    """Rows or signals that would make an invalid pool."""


@dataclass
class PoolSummary:
    """What :meth:`PoolWriter.close` (or :func:`write_epoch`) wrote."""

    directory: str
    rows: int
    validation_rows: int
    dimension: Optional[int]
    signals: List[str]
    signal_files: List[str] = field(default_factory=list)
    validation_files: List[str] = field(default_factory=list)


def _grad_dtype(dtype: str) -> str:
    name = normalize_dtype(dtype)
    if name == "I64":
        raise PoolError("gradients are stored as F32, F16 or BF16, not I64")
    return name


def _encode_grad(grad: Any, dtype: str, what: str, dimension: Optional[int]) -> np.ndarray:
    """Checks a gradient block [n, d] and converts it to its storage form (BF16: uint16 bits)."""
    grad = np.asarray(grad)
    if grad.ndim != 2:
        raise PoolError(f"{what}: grad must be 2-D [rows, dim], got shape {grad.shape}")
    if grad.dtype.kind not in "fiu":
        raise PoolError(f"{what}: grad must be numeric, got {grad.dtype}")
    if dimension is not None and grad.shape[1] != dimension:
        raise PoolError(f"{what}: grad has dimension {grad.shape[1]}, the pool has {dimension}")
    values = np.ascontiguousarray(grad, dtype=np.float32)
    if not np.isfinite(values).all():
        row = int(np.argwhere(~np.isfinite(values))[0][0])
        raise PoolError(f"{what}: grad row {row} (of this block) is not finite")
    if dtype == "F32":
        return values
    if dtype == "F16":
        if values.size and float(np.abs(values).max()) > _F16_MAX:
            raise PoolError(f"{what}: grad exceeds the F16 range (|x| > {_F16_MAX}); use F32 or BF16")
        return values.astype(np.float16)
    bits = float32_to_bf16_bits(values)
    if ((bits & 0x7F80) == 0x7F80).any():
        raise PoolError(f"{what}: grad rounds to infinity in BF16")
    return bits


def _check_vector(name: str, value: Any, rows: int, what: str, unit_interval: bool, ndim: int) -> np.ndarray:
    array = np.ascontiguousarray(value, dtype=np.float32)
    if array.ndim != ndim or array.shape[0] != rows:
        expected = "[rows]" if ndim == 1 else "[rows, K]"
        raise PoolError(f"{what}: {name} must have shape {expected} with {rows} rows, got {array.shape}")
    if not np.isfinite(array).all():
        raise PoolError(f"{what}: {name} is not finite")
    if unit_interval and array.size and (array.min() < 0 or array.max() > 1):
        raise PoolError(f"{what}: {name} must lie in [0, 1]")
    return array


class _PartWriter:
    """Buffers signal rows and writes them as numbered safetensors parts into one directory."""

    def __init__(self, directory: str, rows_per_file: int, grad_dtype: str, first_row: int = 0, with_rows: bool = True):
        if int(rows_per_file) < 1:
            raise PoolError("rows_per_file must be at least 1")
        self.directory = directory
        self.rows_per_file = int(rows_per_file)
        self.grad_dtype = grad_dtype
        self.with_rows = with_rows
        self.next_row = first_row
        self.schema: Optional[Dict[str, tuple]] = None  # signal -> trailing shape
        self.pending: Dict[str, List[np.ndarray]] = {}
        self.pending_rows = 0
        self.files: List[str] = []

    def add(self, rows: int, signals: Dict[str, np.ndarray], what: str) -> None:
        schema = {name: tuple(array.shape[1:]) for name, array in signals.items()}
        if self.schema is None:
            if not schema and self.with_rows:
                raise PoolError(f"{what}: give at least one signal (grad, success, rewards or angle)")
            self.schema = schema
            self.pending = {name: [] for name in schema}
        elif schema != self.schema:
            raise PoolError(
                f"{what}: every call must give the same signals with the same shapes; "
                f"first {self._describe(self.schema)}, now {self._describe(schema)}"
            )
        for name, array in signals.items():
            self.pending[name].append(array)
        self.pending_rows += rows
        while self.pending_rows >= self.rows_per_file:
            self._write(self.rows_per_file)

    @staticmethod
    def _describe(schema: Dict[str, tuple]) -> str:
        return ", ".join(f"{name}{list(shape)}" for name, shape in sorted(schema.items())) or "none"

    def _write(self, count: int) -> None:
        tensors: Dict[str, np.ndarray] = {}
        dtypes: Dict[str, str] = {}
        if self.with_rows:
            tensors["row"] = np.arange(self.next_row, self.next_row + count, dtype=np.int64)
            dtypes["row"] = "I64"
        for name in self.pending:
            joined = np.concatenate(self.pending[name]) if len(self.pending[name]) > 1 else self.pending[name][0]
            tensors[name] = joined[:count]
            self.pending[name] = [joined[count:]] if joined.shape[0] > count else []
            dtypes[name] = self.grad_dtype if name == "grad" else "F32"
        path = os.path.join(self.directory, f"part-{len(self.files):04d}.safetensors")
        write_safetensors(path, tensors, dtypes=dtypes, metadata=_METADATA)
        self.files.append(path)
        self.next_row += count
        self.pending_rows -= count

    def flush(self) -> None:
        if self.pending_rows:
            self._write(self.pending_rows)


def _prepare_signals(rows: int, grad, success, rewards, angle, grad_dtype: str, dimension: Optional[int], what: str):
    signals: Dict[str, np.ndarray] = {}
    if grad is not None:
        signals["grad"] = _encode_grad(grad, grad_dtype, what, dimension)
        if signals["grad"].shape[0] != rows:
            raise PoolError(f"{what}: grad has {signals['grad'].shape[0]} rows for {rows} ids")
    if success is not None:
        signals["success"] = _check_vector("success", success, rows, what, unit_interval=True, ndim=1)
    if rewards is not None:
        signals["rewards"] = _check_vector("rewards", rewards, rows, what, unit_interval=True, ndim=2)
    if angle is not None:
        signals["angle"] = _check_vector("angle", angle, rows, what, unit_interval=False, ndim=1)
    return signals


def _moved(paths: List[str], directory: str) -> List[str]:
    """Where files written in a staging directory ended up."""
    return [os.path.join(directory, os.path.basename(path)) for path in paths]


def _pool_files(directory: str) -> List[str]:
    found = []
    if os.path.exists(os.path.join(directory, "samples.jsonl")):
        found.append("samples.jsonl")
    for sub in ("signals", "validation"):
        if os.path.isdir(os.path.join(directory, sub)):
            found.append(sub + "/")
    return found


class PoolWriter:
    """Writes a pool directory row block by row block.

    >>> with PoolWriter("pool", rows_per_file=65536, dtype="bf16") as pool:
    ...     for batch in batches:
    ...         pool.add(batch.ids, grad=batch.projected_grads, success=batch.pass_rate)
    ...     pool.add_validation(validation_grads)

    ``add(ids, ...)``: ``ids`` are unique strings or integers (an integer is written as its
    decimal string: ``7`` becomes ``"7"``, and clashes with a string ``"7"``) (or mappings with an ``"id"`` key and any other
    JSON fields for ``samples.jsonl``); ``fields`` optionally gives one mapping of extra fields per
    id. Every call must give the same signals: ``grad`` [n, d] (stored as ``dtype``: F32, F16 or
    BF16), ``success`` [n] and ``rewards`` [n, K] in [0, 1], ``angle`` [n]. Rows are numbered in
    the order they are added, from 0.

    ``close()`` (or leaving the ``with`` block normally) writes what is buffered and publishes the
    pool; leaving the block with an exception discards everything. An existing pool in the
    directory is refused unless ``overwrite=True``; other files in it are left alone.
    """

    def __init__(
        self,
        directory: Union[str, os.PathLike],
        rows_per_file: int = DEFAULT_ROWS_PER_FILE,
        dtype: str = "F32",
        validation_dtype: Optional[str] = None,
        overwrite: bool = False,
    ):
        self.directory = os.path.abspath(os.fspath(directory))
        self.grad_dtype = _grad_dtype(dtype)
        self.validation_dtype = _grad_dtype(validation_dtype) if validation_dtype else self.grad_dtype
        self.overwrite = overwrite
        os.makedirs(self.directory, exist_ok=True)
        existing = _pool_files(self.directory)
        if existing and not overwrite:
            raise PoolError(f"{self.directory} already holds a pool ({', '.join(existing)}); pass overwrite=True to replace it")
        self._staging = os.path.join(self.directory, f".gradsieve-staging-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.makedirs(os.path.join(self._staging, "signals"))
        os.makedirs(os.path.join(self._staging, "validation"))
        self._samples = open(os.path.join(self._staging, "samples.jsonl"), "w", encoding="utf-8", newline="\n")
        self._ids: set = set()
        self._rows = 0
        self._dimension: Optional[int] = None
        self._signals = _PartWriter(os.path.join(self._staging, "signals"), rows_per_file, self.grad_dtype)
        self._validation = _PartWriter(
            os.path.join(self._staging, "validation"), rows_per_file, self.validation_dtype, with_rows=False
        )
        self._validation_rows = 0
        self._closed = False

    @property
    def rows(self) -> int:
        """Rows added so far."""
        return self._rows

    def add(
        self,
        ids: Sequence[Union[str, Mapping[str, Any]]],
        grad: Any = None,
        success: Any = None,
        rewards: Any = None,
        angle: Any = None,
        fields: Optional[Sequence[Mapping[str, Any]]] = None,
    ) -> range:
        """Appends rows; returns their row numbers."""
        self._check_open()
        records = self._records(ids, fields)
        what = f"rows {self._rows}..{self._rows + len(records) - 1}"
        if not records:
            return range(self._rows, self._rows)
        signals = _prepare_signals(len(records), grad, success, rewards, angle, self.grad_dtype, self._dimension, what)
        if "grad" in signals:
            self._dimension = signals["grad"].shape[1]
        self._signals.add(len(records), signals, what)
        for record in records:
            self._samples.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self._ids.update(record["id"] for record in records)
        start = self._rows
        self._rows += len(records)
        return range(start, self._rows)

    def _records(self, ids, fields) -> List[Dict[str, Any]]:
        if isinstance(ids, (str, bytes)):
            raise PoolError("ids must be a sequence of strings, not a single string")
        ids = list(ids)
        if fields is not None:
            fields = list(fields)
            if len(fields) != len(ids):
                raise PoolError(f"fields has {len(fields)} entries for {len(ids)} ids")
        records = []
        seen = set()
        for index, entry in enumerate(ids):
            if isinstance(entry, Mapping):
                record = dict(entry)
                if "id" not in record:
                    raise PoolError(f"row {self._rows + index}: a mapping in ids needs an 'id'")
                record["id"] = normalize_id(record["id"], f"row {self._rows + index}", PoolError)
            else:
                record = {"id": normalize_id(entry, f"row {self._rows + index}", PoolError)}
            if fields is not None:
                extra = dict(fields[index])
                if "id" in extra:
                    raise PoolError(f"row {self._rows + index}: fields must not contain 'id'")
                record.update(extra)
            identifier = record["id"]
            if identifier in self._ids or identifier in seen:
                raise PoolError(f"row {self._rows + index}: duplicate id {identifier!r}")
            seen.add(identifier)
            records.append(record)
        return records

    def add_validation(self, grad: Any) -> None:
        """Appends rows [m, d] of the trusted validation set's gradients."""
        self._check_open()
        what = f"validation rows {self._validation_rows}.."
        encoded = _encode_grad(grad, self.validation_dtype, what, self._dimension)
        if self._dimension is None:
            self._dimension = encoded.shape[1]
        if encoded.shape[0] == 0:
            return
        self._validation.add(encoded.shape[0], {"grad": encoded}, what)
        self._validation_rows += encoded.shape[0]

    def close(self) -> PoolSummary:
        """Writes the buffered rows and publishes the pool (``samples.jsonl`` last)."""
        self._check_open()
        try:
            if self._rows == 0:
                raise PoolError("the pool has no rows; add some before close()")
            self._signals.flush()
            self._validation.flush()
            self._samples.flush()
            os.fsync(self._samples.fileno())
            self._samples.close()
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return PoolSummary(
            directory=self.directory,
            rows=self._rows,
            validation_rows=self._validation_rows,
            dimension=self._dimension,
            signals=sorted(self._signals.schema or {}),
            signal_files=_moved(self._signals.files, os.path.join(self.directory, "signals")),
            validation_files=_moved(self._validation.files, os.path.join(self.directory, "validation")),
        )

    def _publish(self) -> None:
        staged = self._staging
        names = ["signals"] + (["validation"] if self._validation_rows else []) + ["samples.jsonl"]
        old = os.path.join(staged, "replaced")
        os.makedirs(old)
        set_aside: List[str] = []
        placed: List[str] = []
        try:
            if self.overwrite:
                # The old pool is moved aside whole, and deleted with the staging directory.
                for name in ("samples.jsonl", "signals", "validation"):
                    if os.path.lexists(os.path.join(self.directory, name)):
                        os.replace(os.path.join(self.directory, name), os.path.join(old, name))
                        set_aside.append(name)
            for name in names:  # samples.jsonl last: a pool is visible once it is complete
                if name == "samples.jsonl":
                    _fsync_directory(self.directory)
                os.replace(os.path.join(staged, name), os.path.join(self.directory, name))
                placed.append(name)
            _fsync_directory(self.directory)
        except BaseException:
            # Put the directory back as it was before raising (abort() then deletes the staging).
            for name in reversed(placed):
                os.replace(os.path.join(self.directory, name), os.path.join(staged, name))
            for name in set_aside:
                os.replace(os.path.join(old, name), os.path.join(self.directory, name))
            raise
        shutil.rmtree(staged, ignore_errors=True)

    def abort(self) -> None:
        """Discards everything written so far; the directory is left as it was."""
        if self._closed:
            return
        self._closed = True
        try:
            self._samples.close()
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def _check_open(self) -> None:
        if self._closed:
            raise PoolError("the PoolWriter is closed")

    def __enter__(self) -> "PoolWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self._closed:
            return
        if kind is None:
            self.close()
        else:
            self.abort()


def _count_lines(path: str) -> int:
    count = 0
    with open(path, "rb") as handle:
        for _ in handle:
            count += 1
    return count


def write_epoch(
    directory: Union[str, os.PathLike],
    epoch: int,
    grad: Any = None,
    success: Any = None,
    rewards: Any = None,
    angle: Any = None,
    validation: Any = None,
    rows_per_file: int = DEFAULT_ROWS_PER_FILE,
    dtype: str = "F32",
    validation_dtype: Optional[str] = None,
    overwrite: bool = False,
) -> PoolSummary:
    """Writes one epoch's signals in the follow-mode layout and marks it complete.

    ``DATA/epochs/NNNN/signals/part-*.safetensors`` cover rows 0..n-1 (n = the rows of
    ``DATA/samples.jsonl`` when it exists), ``DATA/epochs/NNNN/validation/part-*.safetensors``
    hold ``validation`` [m, d], and the empty file ``DATA/epochs/NNNN/COMPLETE`` is written last:
    a reader that sees it sees the whole epoch. The epoch is assembled in a hidden directory and
    renamed into place before ``COMPLETE`` appears. Signals are as in :meth:`PoolWriter.add`.
    """
    directory = os.path.abspath(os.fspath(directory))
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise PoolError(f"epoch must be a non-negative integer, got {epoch!r}")
    grad_dtype = _grad_dtype(dtype)
    validation_dtype = _grad_dtype(validation_dtype) if validation_dtype else grad_dtype
    given = [value for value in (grad, success, rewards, angle) if value is not None]
    if not given:
        raise PoolError("write_epoch needs at least one signal (grad, success, rewards or angle)")
    rows = int(np.shape(given[0])[0])
    samples = os.path.join(directory, "samples.jsonl")
    if os.path.exists(samples):
        expected = _count_lines(samples)
        if rows != expected:
            raise PoolError(f"epoch {epoch}: signals have {rows} rows but {samples} has {expected}")
    what = f"epoch {epoch}"
    signals = _prepare_signals(rows, grad, success, rewards, angle, grad_dtype, None, what)
    dimension = signals["grad"].shape[1] if "grad" in signals else None

    epochs = os.path.join(directory, "epochs")
    final = os.path.join(epochs, f"{int(epoch):04d}")
    if os.path.lexists(final) and not overwrite:
        raise PoolError(f"{final} already exists; pass overwrite=True to replace it")
    os.makedirs(epochs, exist_ok=True)
    staging = os.path.join(epochs, f".{int(epoch):04d}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.makedirs(os.path.join(staging, "signals"))
    os.makedirs(os.path.join(staging, "validation"))
    try:
        parts = _PartWriter(os.path.join(staging, "signals"), rows_per_file, grad_dtype)
        parts.add(rows, signals, what)
        parts.flush()
        validation_parts = _PartWriter(os.path.join(staging, "validation"), rows_per_file, validation_dtype, with_rows=False)
        validation_rows = 0
        if validation is not None:
            encoded = _encode_grad(validation, validation_dtype, f"{what} validation", dimension)
            dimension = encoded.shape[1] if dimension is None else dimension
            if encoded.shape[0]:
                validation_parts.add(encoded.shape[0], {"grad": encoded}, f"{what} validation")
                validation_parts.flush()
                validation_rows = encoded.shape[0]
        if not validation_rows:
            os.rmdir(os.path.join(staging, "validation"))
        _fsync_directory(staging)
        if os.path.lexists(final):
            replaced = staging + ".replaced"
            os.replace(final, replaced)
            shutil.rmtree(replaced, ignore_errors=True)
        os.replace(staging, final)
        _fsync_directory(epochs)
        marker = os.path.join(final, "COMPLETE")
        with open(marker + f".tmp-{os.getpid()}", "wb") as handle:
            os.fsync(handle.fileno())
        os.replace(marker + f".tmp-{os.getpid()}", marker)
        _fsync_directory(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PoolSummary(
        directory=final,
        rows=rows,
        validation_rows=validation_rows,
        dimension=dimension,
        signals=sorted(signals),
        signal_files=_moved(parts.files, os.path.join(final, "signals")),
        validation_files=_moved(validation_parts.files, os.path.join(final, "validation")),
    )


def write_samples(
    directory: Union[str, os.PathLike],
    ids: Sequence[Any],
    fields: Optional[Sequence[Mapping[str, Any]]] = None,
    overwrite: bool = False,
) -> str:
    """Writes ``DATA/samples.jsonl`` alone (follow mode's root: the epochs' signals come later
    through :func:`write_epoch`). ``ids`` are unique strings or integers (written as strings), in
    row order; ``fields`` adds one mapping of JSON fields per row. The file is written under a
    temporary name and renamed into place. An existing ``samples.jsonl`` is left alone when it
    holds exactly these ids in this order, and otherwise refused unless ``overwrite=True``.
    Returns the file's path."""
    directory = os.path.abspath(os.fspath(directory))
    path = os.path.join(directory, "samples.jsonl")
    if isinstance(ids, (str, bytes)):
        raise PoolError("ids must be a sequence of ids, not a single string")
    ids = [normalize_id(value, f"{path}: row {row}", PoolError) for row, value in enumerate(ids)]
    if not ids:
        raise PoolError(f"{path}: no rows")
    seen: Dict[str, int] = {}
    for row, identifier in enumerate(ids):
        if identifier in seen:
            raise PoolError(f"{path}: row {row}: duplicate id {identifier!r} (also row {seen[identifier]})")
        seen[identifier] = row
    if fields is not None:
        fields = list(fields)
        if len(fields) != len(ids):
            raise PoolError(f"{path}: fields has {len(fields)} entries for {len(ids)} ids")
    if os.path.exists(path):
        existing = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    existing.append(json.loads(line).get("id"))
                except (ValueError, AttributeError):
                    existing.append(None)
        if existing == ids:
            return path
        if not overwrite:
            differs = next((row for row, (a, b) in enumerate(zip(existing, ids)) if a != b), min(len(existing), len(ids)))
            raise PoolError(
                f"{path} already exists with other ids (first difference at row {differs}); pass overwrite=True to replace it"
            )
    os.makedirs(directory, exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            for row, identifier in enumerate(ids):
                record: Dict[str, Any] = {"id": identifier}
                if fields is not None:
                    extra = dict(fields[row])
                    if "id" in extra:
                        raise PoolError(f"{path}: row {row}: fields must not contain 'id'")
                    record.update(extra)
                handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_directory(directory)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path
