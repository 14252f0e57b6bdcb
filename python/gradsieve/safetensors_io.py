"""Read and write safetensors files with numpy alone.

The format: an 8-byte little-endian unsigned length N, N bytes of a JSON object, then the data
section. Each JSON entry other than ``__metadata__`` maps a tensor name to
``{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}``, offsets relative to the start
of the data section; tensor data is raw little-endian, row-major. ``__metadata__`` maps strings
to strings.

gradsieve reads four dtypes, and so does this module: ``F32``, ``F16``, ``BF16`` and ``I64``.
numpy has no bfloat16, so BF16 is written from float32 by rounding the float32 bit pattern to
its upper 16 bits, to nearest with ties to even (NaN stays NaN), and read back as float32 by
shifting the 16 bits up; the raw ``uint16`` bits are available too.

Writing is atomic: the file is written under a temporary name in the same directory, flushed to
disk and renamed into place. Reading memory-maps the file and validates the header the way
gradsieve does (known dtypes, non-negative integer shapes, offsets inside the data section whose
span matches the shape exactly, no overlapping tensors, metadata of strings).
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

__all__ = [
    "DTYPES",
    "SafetensorsError",
    "SafetensorsFile",
    "TensorInfo",
    "bf16_bits_to_float32",
    "float32_to_bf16_bits",
    "load_safetensors",
    "normalize_dtype",
    "write_safetensors",
]

# The on-disk element type of each safetensors dtype. BF16 is stored as its raw 16-bit pattern.
DTYPES: Dict[str, np.dtype] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
}

# The largest header accepted, as in gradsieve: real headers are kilobytes, and the limit keeps
# a corrupt length field from making us parse gigabytes.
MAX_HEADER_LENGTH = 100_000_000

# Header padding: the data section starts at a multiple of this (the usual convention).
HEADER_ALIGNMENT = 8

# Rows converted to BF16 at a time, so a large float32 array is never copied whole.
_CHUNK_ELEMENTS = 1 << 22


class SafetensorsError(ValueError):
    """A file that is not a valid safetensors file, or a tensor that cannot be written."""


def normalize_dtype(dtype: str) -> str:
    """``"f32"``, ``"F32"``, ``"float32"`` ... -> the safetensors name (``"F32"``)."""
    aliases = {
        "F32": "F32", "FLOAT32": "F32",
        "F16": "F16", "FLOAT16": "F16", "HALF": "F16",
        "BF16": "BF16", "BFLOAT16": "BF16",
        "I64": "I64", "INT64": "I64",
    }
    key = str(dtype).upper()
    if key not in aliases:
        raise SafetensorsError(f"unsupported dtype {dtype!r} (expected F32, F16, BF16 or I64)")
    return aliases[key]


def float32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """BF16 bit patterns (uint16) of float32 ``values``: round to nearest, ties to even.

    The upper 16 bits of the float32 pattern are kept, rounded by the lower 16: add 0x7FFF plus
    the lowest kept bit and truncate. Finite values beyond the largest BF16 round to infinity,
    as IEEE rounding does; NaN keeps its sign and payload top bits and is forced quiet, so it
    never rounds into infinity.
    """
    values = np.asarray(values, dtype=np.float32)
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(values)
    if nan.any():
        rounded = np.where(nan, (bits >> 16) | 0x0040, rounded)
    return rounded.astype(np.uint16)


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """float32 values of BF16 bit patterns (exact: every BF16 is a float32)."""
    bits = np.asarray(bits, dtype=np.uint16)
    return (bits.astype(np.uint32) << 16).view(np.float32)


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a file: dtype name, shape, and its byte range in the data section."""

    name: str
    dtype: str
    shape: Tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


TensorInput = Union[np.ndarray, Iterable]


def _contiguous(array: np.ndarray, dtype) -> np.ndarray:
    """A C-contiguous copy (or view) in ``dtype``, keeping 0-d arrays 0-d."""
    return np.ascontiguousarray(array, dtype=dtype).reshape(array.shape)


def _storage_array(name: str, tensor: TensorInput, dtype: Optional[str]) -> Tuple[str, np.ndarray]:
    """(dtype name, array ready to be written) for one tensor; BF16 stays float32 here."""
    array: np.ndarray = np.asarray(tensor)
    if dtype is None:
        inferred = {("f", 4): "F32", ("f", 2): "F16", ("i", 8): "I64"}
        key = (array.dtype.kind, array.dtype.itemsize)
        if key not in inferred:
            raise SafetensorsError(
                f"tensor {name!r}: cannot infer a safetensors dtype from {array.dtype}; pass dtypes={{{name!r}: ...}}"
            )
        dtype = inferred[key]
    dtype = normalize_dtype(dtype)
    if dtype == "I64":
        if array.dtype.kind not in "iub":
            raise SafetensorsError(f"tensor {name!r}: I64 needs integers, got {array.dtype}")
        if array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
            raise SafetensorsError(f"tensor {name!r}: value does not fit in I64")
        return dtype, _contiguous(array, "<i8")
    if array.dtype.kind not in "fiub":
        raise SafetensorsError(f"tensor {name!r}: {dtype} needs numbers, got {array.dtype}")
    if dtype == "F32":
        return dtype, _contiguous(array, "<f4")
    if dtype == "F16":
        return dtype, _contiguous(array, "<f2")
    if array.dtype == np.uint16:
        return dtype, _contiguous(array, "<u2")  # BF16 bit patterns, as they are
    return dtype, _contiguous(array, np.float32)  # BF16: rounded while writing


def _header_bytes(entries: Dict[str, object]) -> bytes:
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    padding = (-(8 + len(text))) % HEADER_ALIGNMENT
    return text + b" " * padding


def write_safetensors(
    path: Union[str, os.PathLike],
    tensors: Mapping[str, TensorInput],
    dtypes: Optional[Mapping[str, str]] = None,
    metadata: Optional[Mapping[str, str]] = None,
) -> None:
    """Writes ``tensors`` (name -> array) to ``path`` atomically.

    ``dtypes`` names the stored dtype per tensor (``"F32"``, ``"F16"``, ``"BF16"``, ``"I64"``,
    lower case accepted); without it the dtype follows the array (float32, float16, int64). BF16
    is rounded from float32 (a float64 array is first rounded to float32). Tensors are stored in
    the mapping's order, the header padded with spaces so the data starts at a multiple of 8.
    A ``uint16`` array written as BF16 is taken as BF16 bit patterns and written unchanged.
    """
    dtypes = dict(dtypes or {})
    unknown = set(dtypes) - set(tensors)
    if unknown:
        raise SafetensorsError(f"dtypes names tensors that are not written: {sorted(unknown)}")
    entries: Dict[str, object] = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise SafetensorsError("metadata must map strings to strings")
        entries["__metadata__"] = dict(metadata)
    prepared = []
    offset = 0
    for name, array in tensors.items():
        if not isinstance(name, str) or name == "__metadata__" or not name:
            raise SafetensorsError(f"invalid tensor name {name!r}")
        dtype, data = _storage_array(name, array, dtypes.get(name))
        nbytes = data.size * DTYPES[dtype].itemsize
        entries[name] = {"dtype": dtype, "shape": [int(n) for n in data.shape], "data_offsets": [offset, offset + nbytes]}
        prepared.append((dtype, data))
        offset += nbytes
    header = _header_bytes(entries)

    path = os.fspath(path)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(struct.pack("<Q", len(header)))
            handle.write(header)
            for dtype, data in prepared:
                flat = data.reshape(-1)
                if dtype == "BF16" and flat.dtype != np.uint16:
                    for start in range(0, flat.size, _CHUNK_ELEMENTS):
                        handle.write(float32_to_bf16_bits(flat[start:start + _CHUNK_ELEMENTS]).astype("<u2").tobytes())
                elif flat.size:
                    handle.write(flat.data.cast("B"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(os.path.dirname(os.path.abspath(path)))


def _fsync_directory(directory: str) -> None:
    """Makes a rename in ``directory`` durable (where the platform allows it)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _non_negative_ints(value: object) -> Optional[Tuple[int, ...]]:
    if not isinstance(value, list):
        return None
    result = []
    for element in value:
        # bool is an int in Python, not in JSON; 1.0 is not an integer here either.
        if isinstance(element, bool) or not isinstance(element, int) or element < 0:
            return None
        result.append(element)
    return tuple(result)


def _reject_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise SafetensorsError(f"header repeats key(s) {duplicated}")
    return dict(pairs)


class SafetensorsFile:
    """A memory-mapped, validated safetensors file.

    >>> with SafetensorsFile("signals/part-0000.safetensors") as f:
    ...     rows = f["row"]              # numpy view of the mapped file (read-only)
    ...     grad = f.float32("grad")     # float32 copy; BF16 and F16 are converted

    ``f[name]`` returns the stored array without copying (BF16 as its raw ``uint16`` bits);
    ``f.float32(name)`` converts any float dtype to float32.
    """

    def __init__(self, path: Union[str, os.PathLike]):
        self.path = os.fspath(path)
        size = os.path.getsize(self.path)
        if size < 8:
            raise SafetensorsError(f"{self.path}: {size} bytes, shorter than the 8-byte header length")
        with open(self.path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > MAX_HEADER_LENGTH:
                raise SafetensorsError(f"{self.path}: header length {length} exceeds {MAX_HEADER_LENGTH}")
            if 8 + length > size:
                raise SafetensorsError(f"{self.path}: header length {length} runs past the end of the {size}-byte file")
            raw = handle.read(length)
        try:
            header = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
        except SafetensorsError as error:
            raise SafetensorsError(f"{self.path}: {error}") from None
        except (UnicodeDecodeError, ValueError):
            raise SafetensorsError(f"{self.path}: header is not valid JSON") from None
        if not isinstance(header, dict):
            raise SafetensorsError(f"{self.path}: header is not a JSON object")

        self.data_start = 8 + length
        data_size = size - self.data_start
        self.metadata: Dict[str, str] = {}
        self.tensors: Dict[str, TensorInfo] = {}
        for name, entry in header.items():
            if name == "__metadata__":
                if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                    raise SafetensorsError(f"{self.path}: __metadata__ must map strings to strings")
                self.metadata = dict(entry)
                continue
            self.tensors[name] = self._parse_entry(name, entry, data_size)
        ordered = sorted((t for t in self.tensors.values() if t.nbytes), key=lambda t: t.begin)
        for previous, following in zip(ordered, ordered[1:]):
            if following.begin < previous.end:
                raise SafetensorsError(f"{self.path}: tensor {following.name!r} overlaps {previous.name!r}")
        self._map = np.memmap(self.path, dtype=np.uint8, mode="r") if size > self.data_start else None

    def _parse_entry(self, name: str, entry: object, data_size: int) -> TensorInfo:
        where = f"{self.path}: tensor {name!r}"
        if not isinstance(entry, dict):
            raise SafetensorsError(f"{where}: header entry is not an object")
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise SafetensorsError(f"{where}: unsupported dtype {dtype!r} (expected F32, F16, BF16 or I64)")
        shape = _non_negative_ints(entry.get("shape"))
        if shape is None:
            raise SafetensorsError(f"{where}: shape must be an array of non-negative integers")
        offsets = _non_negative_ints(entry.get("data_offsets"))
        if offsets is None or len(offsets) != 2 or offsets[0] > offsets[1]:
            raise SafetensorsError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end")
        begin, end = offsets
        if end > data_size:
            raise SafetensorsError(f"{where}: data_offsets [{begin}, {end}] exceed the {data_size}-byte data section")
        needed = math.prod(shape) * DTYPES[dtype].itemsize
        if needed != end - begin:
            raise SafetensorsError(
                f"{where}: shape {list(shape)} of {dtype} needs {needed} bytes but data_offsets span {end - begin}"
            )
        return TensorInfo(name, dtype, shape, begin, end)

    # -- access ------------------------------------------------------------------------------

    def keys(self):
        return self.tensors.keys()

    def __contains__(self, name: object) -> bool:
        return name in self.tensors

    def __iter__(self) -> Iterator[str]:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def info(self, name: str) -> TensorInfo:
        try:
            return self.tensors[name]
        except KeyError:
            raise KeyError(f"{self.path}: no tensor {name!r} (has {sorted(self.tensors)})") from None

    def __getitem__(self, name: str) -> np.ndarray:
        """The stored array, a read-only view of the mapped file (BF16: raw uint16 bits)."""
        info = self.info(name)
        storage = DTYPES[info.dtype]
        if info.nbytes == 0 or self._map is None:
            return np.empty(info.shape, dtype=storage)
        start = self.data_start + info.begin
        return self._map[start:start + info.nbytes].view(storage).reshape(info.shape)

    def float32(self, name: str) -> np.ndarray:
        """The tensor as float32 (a copy; BF16 and F16 converted exactly)."""
        info = self.info(name)
        array = self[name]
        if info.dtype == "BF16":
            return bf16_bits_to_float32(array)
        if info.dtype == "I64":
            raise SafetensorsError(f"{self.path}: tensor {name!r} is I64, not a float tensor")
        return np.array(array, dtype=np.float32)

    def close(self) -> None:
        """Drops this object's mapping (arrays taken from it keep theirs alive)."""
        self._map = None

    def __enter__(self) -> "SafetensorsFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        inner = ", ".join(f"{t.name}: {t.dtype}{list(t.shape)}" for t in self.tensors.values())
        return f"SafetensorsFile({self.path!r}, {{{inner}}})"


def load_safetensors(path: Union[str, os.PathLike], bf16_as_float32: bool = True) -> Dict[str, np.ndarray]:
    """Every tensor of ``path`` as an in-memory numpy array in its stored dtype (float32,
    float16, int64), BF16 as float32 (or its uint16 bits with ``bf16_as_float32=False``)."""
    with SafetensorsFile(path) as handle:
        result = {}
        for name, info in handle.tensors.items():
            if info.dtype == "BF16" and bf16_as_float32:
                result[name] = handle.float32(name)
            else:
                result[name] = np.array(handle[name])
        return result
