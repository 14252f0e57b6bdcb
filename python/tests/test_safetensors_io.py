import json
import os
import struct

import numpy as np
import pytest

from gradsieve.safetensors_io import (
    SafetensorsError,
    SafetensorsFile,
    bf16_bits_to_float32,
    float32_to_bf16_bits,
    load_safetensors,
    write_safetensors,
)


def f32_from_bits(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def raw_file(path, header, data=b"", length=None):
    """A safetensors file from a header (dict or raw bytes) and data, with no checks at all."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text) if length is None else length))
        handle.write(text)
        handle.write(data)
    return path


# -- bytes on disk, worked by hand ------------------------------------------------------------


def test_f32_file_bytes_by_hand(tmp_path):
    path = tmp_path / "x.safetensors"
    write_safetensors(path, {"x": np.array([1.0, -2.0], dtype=np.float32)})
    header = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    assert len(header) == 54  # 8 + 54 = 62, padded with 2 spaces to 64
    expected = (
        b"\x38\x00\x00\x00\x00\x00\x00\x00"  # header length 56, little-endian u64
        + header + b"  "
        + b"\x00\x00\x80\x3f"  # 1.0f  = 0x3F800000
        + b"\x00\x00\x00\xc0"  # -2.0f = 0xC0000000
    )
    assert path.read_bytes() == expected


def test_header_is_padded_to_eight_and_keeps_order_and_metadata(tmp_path):
    path = tmp_path / "m.safetensors"
    write_safetensors(
        path,
        {"row": np.array([5, 6], dtype=np.int64), "b": np.zeros((2, 3), dtype=np.float16)},
        metadata={"producer": "test"},
    )
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    assert (8 + length) % 8 == 0
    text = raw[8:8 + length].decode()
    assert text.rstrip(" ") == (
        '{"__metadata__":{"producer":"test"},'
        '"row":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},'
        '"b":{"dtype":"F16","shape":[2,3],"data_offsets":[16,28]}}'
    )
    assert raw[8 + length:8 + length + 16] == b"\x05" + b"\x00" * 7 + b"\x06" + b"\x00" * 7
    assert len(raw) == 8 + length + 28


def test_i64_and_f16_bytes(tmp_path):
    path = tmp_path / "i.safetensors"
    write_safetensors(
        path,
        {"i": np.array([-1, 2**40], dtype=np.int64), "h": np.array([1.0, -2.0, 65504.0, 0.1], dtype=np.float32)},
        dtypes={"h": "f16"},
    )
    with SafetensorsFile(path) as f:
        start = f.data_start
        assert f.info("h").dtype == "F16"
    raw = path.read_bytes()[start:]
    assert raw[:16] == b"\xff" * 8 + b"\x00\x00\x00\x00\x00\x01\x00\x00"
    # F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF (largest), 0.1 -> 0x2E66
    assert raw[16:24] == b"\x00\x3c\x00\xc0\xff\x7b\x66\x2e"


@pytest.mark.parametrize(
    "f32_bits, bf16_bits",
    [
        (0x3F800000, 0x3F80),  # 1.0, exact
        (0xC0000000, 0xC000),  # -2.0, exact
        (0x3F808000, 0x3F80),  # exactly halfway, kept LSB 0: stays (ties to even)
        (0x3F818000, 0x3F82),  # exactly halfway, kept LSB 1: rounds up to even
        (0x3F808001, 0x3F81),  # just above halfway: up
        (0x3F807FFF, 0x3F80),  # just below halfway: down
        (0x3DCCCCCD, 0x3DCD),  # 0.1f: low half 0xCCCD > 0x8000, up
        (0x7F7F7FFF, 0x7F7F),  # rounds down to the largest finite BF16
        (0x7F7FFFFF, 0x7F80),  # the largest float32 rounds up to +inf, as IEEE says
        (0x7F800000, 0x7F80),  # +inf
        (0xFF800000, 0xFF80),  # -inf
        (0x00000001, 0x0000),  # smallest subnormal: down to +0
        (0x00018000, 0x0002),  # subnormal tie, kept LSB 1: up to even
        (0x80000000, 0x8000),  # -0.0 keeps its sign
        (0x7FC00000, 0x7FC0),  # quiet NaN
        (0xFFC00000, 0xFFC0),  # negative NaN keeps its sign
        (0x7F800001, 0x7FC0),  # signalling NaN: plain rounding would give inf; stays NaN
    ],
)
def test_bf16_round_to_nearest_even(f32_bits, bf16_bits):
    value = f32_from_bits([f32_bits])
    assert int(float32_to_bf16_bits(value)[0]) == bf16_bits


def test_bf16_file_bytes_and_round_trip(tmp_path):
    path = tmp_path / "b.safetensors"
    values = f32_from_bits([0x3F800000, 0x3F818000, 0x3DCCCCCD, 0xC0000000]).reshape(2, 2)
    write_safetensors(path, {"grad": values}, dtypes={"grad": "BF16"})
    with SafetensorsFile(path) as f:
        assert f.info("grad").dtype == "BF16"
        assert f.info("grad").shape == (2, 2)
        raw = path.read_bytes()[f.data_start:]
        assert raw == b"\x80\x3f\x82\x3f\xcd\x3d\x00\xc0"
        assert f["grad"].dtype == np.uint16
        np.testing.assert_array_equal(f["grad"], [[0x3F80, 0x3F82], [0x3DCD, 0xC000]])
        back = f.float32("grad")
    np.testing.assert_array_equal(back.view(np.uint32), [[0x3F800000, 0x3F820000], [0x3DCD0000, 0xC0000000]])


def test_bf16_bits_written_unchanged(tmp_path):
    path = tmp_path / "bits.safetensors"
    bits = np.array([0x3F80, 0x7FC1, 0x0001], dtype=np.uint16)
    write_safetensors(path, {"g": bits}, dtypes={"g": "BF16"})
    with SafetensorsFile(path) as f:
        np.testing.assert_array_equal(f["g"], bits)


def test_bf16_conversion_round_trips_every_bf16_value():
    bits = np.arange(0, 1 << 16, dtype=np.uint32).astype(np.uint16)
    values = bf16_bits_to_float32(bits)
    again = float32_to_bf16_bits(values)
    finite = ~np.isnan(values)
    np.testing.assert_array_equal(again[finite], bits[finite])
    assert np.isnan(bf16_bits_to_float32(again[~finite])).all()


@pytest.mark.parametrize("dtype", ["F32", "F16", "BF16"])
def test_round_trip_all_float_dtypes(tmp_path, dtype):
    rng = np.random.default_rng(7)
    grad = rng.standard_normal((33, 17)).astype(np.float32)
    rows = np.arange(100, 133, dtype=np.int64)
    path = tmp_path / f"{dtype}.safetensors"
    write_safetensors(path, {"row": rows, "grad": grad}, dtypes={"grad": dtype})
    loaded = load_safetensors(path)
    np.testing.assert_array_equal(loaded["row"], rows)
    expected = {
        "F32": grad,
        "F16": grad.astype(np.float16).astype(np.float32),
        "BF16": bf16_bits_to_float32(float32_to_bf16_bits(grad)),
    }[dtype]
    assert loaded["grad"].dtype == {"F32": np.float32, "F16": np.float16, "BF16": np.float32}[dtype]
    np.testing.assert_array_equal(loaded["grad"].astype(np.float32), expected)


def test_reader_memory_maps_and_views_are_read_only(tmp_path):
    path = tmp_path / "r.safetensors"
    write_safetensors(path, {"a": np.arange(6, dtype=np.float32).reshape(2, 3)})
    with SafetensorsFile(path) as f:
        view = f["a"]
        assert isinstance(view.base, np.memmap) or isinstance(view, np.memmap)
        assert not view.flags.writeable
        np.testing.assert_array_equal(view, [[0, 1, 2], [3, 4, 5]])


def test_scalar_and_empty_tensors(tmp_path):
    path = tmp_path / "s.safetensors"
    write_safetensors(path, {"empty": np.zeros((0, 4), dtype=np.float32), "scalar": np.float32(2.5).reshape(())})
    with SafetensorsFile(path) as f:
        assert f["empty"].shape == (0, 4)
        assert f["scalar"].shape == () and float(f["scalar"]) == 2.5


def test_unaligned_data_section_is_read(tmp_path):
    # 8 + len(header) odd: the data starts unaligned, which the format allows.
    header = {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    text = json.dumps(header, separators=(",", ":")).encode() + b"   "
    assert (8 + len(text)) % 4 != 0
    path = raw_file(tmp_path / "u.safetensors", text, struct.pack("<f", 3.5))
    with SafetensorsFile(path) as f:
        assert float(f["x"][0]) == 3.5


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.safetensors"
    write_safetensors(path, {"x": np.ones(3, dtype=np.float32)})
    with pytest.raises(SafetensorsError):
        write_safetensors(path, {"x": np.ones(3, dtype=np.float64)})  # no dtype given: refused
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors"]
    np.testing.assert_array_equal(load_safetensors(path)["x"], [1, 1, 1])


def test_writer_refusals(tmp_path):
    with pytest.raises(SafetensorsError, match="unsupported dtype"):
        write_safetensors(tmp_path / "a", {"x": np.ones(2, dtype=np.float32)}, dtypes={"x": "F64"})
    with pytest.raises(SafetensorsError, match="I64 needs integers"):
        write_safetensors(tmp_path / "a", {"x": np.ones(2, dtype=np.float32)}, dtypes={"x": "I64"})
    with pytest.raises(SafetensorsError, match="invalid tensor name"):
        write_safetensors(tmp_path / "a", {"__metadata__": np.ones(2, dtype=np.float32)})
    with pytest.raises(SafetensorsError, match="metadata"):
        write_safetensors(tmp_path / "a", {"x": np.ones(2, dtype=np.float32)}, metadata={"k": 1})
    assert os.listdir(tmp_path) == []


GOOD = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(
    "header, data, length, message",
    [
        (GOOD, b"\x00" * 8, 10**9, "exceeds"),
        (GOOD, b"\x00" * 8, 4000, "runs past the end"),
        (b"{not json", b"", None, "not valid JSON"),
        (b"[1, 2]", b"", None, "not a JSON object"),
        ({"x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, b"\x00" * 8, None, "unsupported dtype"),
        ({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4, None, "shape"),
        ({"x": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}, b"\x00" * 4, None, "shape"),
        ({"x": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\x00" * 4, None, "shape"),
        ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\x00" * 8, None, "data_offsets"),
        ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\x00" * 8, None, "exceed"),
        ({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\x00" * 8, None, "needs 12 bytes"),
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
            b"\x00" * 8, None, "overlaps",
        ),
        ({"__metadata__": {"k": 1}, **GOOD}, b"\x00" * 8, None, "__metadata__"),
        ({"x": "not an object"}, b"", None, "not an object"),
        (b'{"x": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "x": {}}', b"", None, "repeats"),
    ],
)
def test_reader_rejects_bad_headers(tmp_path, header, data, length, message):
    path = raw_file(tmp_path / "bad.safetensors", header, data, length)
    with pytest.raises(SafetensorsError, match=message):
        SafetensorsFile(path)


def test_reader_rejects_a_file_shorter_than_its_length_field(tmp_path):
    path = tmp_path / "short.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(SafetensorsError, match="shorter"):
        SafetensorsFile(path)


def test_missing_tensor_names_the_file(tmp_path):
    path = tmp_path / "n.safetensors"
    write_safetensors(path, {"x": np.ones(1, dtype=np.float32)})
    with SafetensorsFile(path) as f, pytest.raises(KeyError, match="no tensor 'y'"):
        f["y"]
