#!/usr/bin/env python3
"""Writes the seed corpora of the SieveData fuzz targets (scripts/fuzz.sh samples|safetensors|journal):
fuzz/corpus-samples/, fuzz/corpus-safetensors/ and fuzz/corpus-journal/. Deterministic: the same
bytes on every run. The journal seeds frame the wire target's one-message seeds (fuzz/corpus/NN-*.bin,
whose first byte is the wire harness's control byte) as `result` records.

    python3 fuzz/make-data-corpus.py          (from the repository root)
"""

import json
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))


def write(directory, name, data):
    path = os.path.join(ROOT, directory)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as handle:
        handle.write(data)


# --- samples.jsonl ----------------------------------------------------------------------------

SAMPLES = {
    "plain.jsonl": b'{"id": "a", "prompt": "1+1"}\n{"id": "b", "prompt": "2+2"}\n',
    "no-final-newline.jsonl": b'{"id": "x"}\n{"id": "y"}',
    "escapes.jsonl": '{"id": "q\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "n": -1.5e-3}\n'.encode(),
    "unicode.jsonl": '{"id": "problème-ü-\u6f22\u5b57-\U0001F600"}\n{"id": "e\u0301"}\n'.encode(),
    "nested.jsonl": b'{"meta": {"id": 1, "list": [true, false, null, {"id": "inner"}]}, "id": "outer", "x": [[[]]]}\n',
    "numbers.jsonl": b'{"id": "n", "a": 0, "b": -0, "c": 1E+2, "d": 0.5e-10, "e": 123456789012345678901234567890}\n',
    "whitespace.jsonl": b' \t{ "id" : "w" , "k" : [ 1 , 2 ] } \r\n',
    "duplicate-ids.jsonl": b'{"id": "d"}\n{"id": "e"}\n{"id": "d"}\n',
    "duplicate-key.jsonl": b'{"id": "first", "id": "second"}\n',
    "empty-line.jsonl": b'{"id": "a"}\n\n{"id": "b"}\n',
    "missing-id.jsonl": b'{"name": "a"}\n',
    "id-not-string.jsonl": b'{"id": 7}\n{"id": null}\n{"id": ["a"]}\n',
    "bad-utf8.jsonl": b'{"id": "\xc3\x28"}\n{"id": "ok", "x": "\xed\xa0\x80"}\n',
    "lone-surrogate.jsonl": b'{"id": "\\ud800"}\n{"id": "ok", "x": "\\udc00"}\n',
    "control-char.jsonl": b'{"id": "a\x01b"}\n',
    "truncated.jsonl": b'{"id": "a", "b": [1, 2',
    "trailing.jsonl": b'{"id": "a"} x\n',
    "not-object.jsonl": b'["id", "a"]\n"id"\n',
    "deep.jsonl": b'{"id": "deep", "x": ' + b"[" * 600 + b"]" * 600 + b"}\n",
    "crlf.jsonl": b'{"id": "a"}\r\n{"id": "b"}\r\n',
}

for name, data in SAMPLES.items():
    write("corpus-samples", name, data)


# --- safetensors ------------------------------------------------------------------------------


def safetensors(entries, data, metadata=None, pad=0, raw_header=None):
    header = dict(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * pad
    return struct.pack("<Q", len(text)) + text + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


pool_signals = safetensors(
    {
        "success": tensor("F32", [3], 0, 12),
        "angle": tensor("F32", [3], 12, 24),
        "rewards": tensor("F32", [3, 2], 24, 48),
        "grad": tensor("F16", [3, 4], 48, 72),
        "row": tensor("I64", [3], 72, 96),
    },
    struct.pack("<3f", 0.5, 0.0, 1.0) + struct.pack("<3f", 0.1, 0.2, 0.3) + struct.pack("<6f", 0, 1, 1, 1, 0, 0)
    + struct.pack("<12e", *[i / 4 for i in range(12)]) + struct.pack("<3q", 0, 1, 2),
    metadata={"format": "gradsieve", "version": "1"},
    pad=6,
)
SAFETENSORS = {
    "pool-signals.safetensors": pool_signals,
    "validation-bf16.safetensors": safetensors({"grad": tensor("BF16", [2, 3], 0, 12)}, bytes(range(12))),
    "empty-header.safetensors": safetensors({}, b""),
    "zero-size.safetensors": safetensors({"a": tensor("F32", [0, 5], 0, 0), "b": tensor("F32", [], 0, 4)}, b"\0" * 4),
    "scalar-and-metadata.safetensors": safetensors({"s": tensor("I64", [], 0, 8)}, b"\1" * 8, metadata={"k": "v", "é": "ü"}),
    "overlap.safetensors": safetensors({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, b"\0" * 12),
    "span-mismatch.safetensors": safetensors({"a": tensor("F32", [3], 0, 8)}, b"\0" * 12),
    "past-end.safetensors": safetensors({"a": tensor("F32", [4], 0, 16)}, b"\0" * 8),
    "bad-dtype.safetensors": safetensors({"a": tensor("F64", [1], 0, 8)}, b"\0" * 8),
    "huge-shape.safetensors": safetensors({"a": tensor("F32", [2**40, 2**40], 0, 0)}, b""),
    "float-shape.safetensors": safetensors({}, b"", raw_header=b'{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}'),
    "metadata-not-string.safetensors": safetensors({}, b"", metadata={"k": 1}),
    "not-object.safetensors": safetensors({}, b"", raw_header=b"[1, 2]"),
    "bad-json.safetensors": safetensors({}, b"", raw_header=b'{"a": '),
    "length-past-end.safetensors": struct.pack("<Q", 1000) + b"{}",
    "length-huge.safetensors": struct.pack("<Q", 2**63) + b"{}",
    "short.safetensors": b"\x02\0\0",
}

for name, data in SAFETENSORS.items():
    write("corpus-safetensors", name, data)


# --- journal.gsj ------------------------------------------------------------------------------


def record(payload):
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload


def lines(fields):
    return "".join(f"{key}={fields[key]}\n" for key in sorted(fields)).encode()


def wire_frame(name):
    with open(os.path.join(ROOT, "corpus", name), "rb") as handle:
        return handle.read()[1:]  # drop the wire harness's control byte


header = record(b"\x01" + lines({"method": "gradalign", "data.fingerprint": "1a2b3c4d5e6f7081", "budget": "10",
                                 "seed": "1", "shard_rows": "4096"}))
results = [record(b"\x02" + wire_frame(name)) for name in ("08-partialSum.bin", "09-scores.bin", "15-partPicks.bin")]
epoch = record(b"\x03" + lines({"epoch": "1", "selected": "10", "next_mu": str(struct.unpack("<Q", struct.pack("<d", 12.5))[0]),
                                "reference_norm": str(struct.unpack("<Q", struct.pack("<d", 3.0))[0])}))
greedy = record(b"\x04" + struct.pack(">IQI", 1, struct.unpack("<Q", struct.pack("<d", 7.25))[0], 3) + struct.pack(">3Q", 5, 1, 9))
run = header + b"".join(results) + epoch + greedy

JOURNAL = {
    "run.gsj": run,
    "torn-tail.gsj": run[:-5],
    "bad-crc.gsj": header + results[0][:4] + b"\0\0\0\0" + results[0][8:] + epoch,
    "unknown-kind.gsj": record(b"\x09hello") + record(b"") + header,
    "header-only.gsj": header,
    "short-greedy.gsj": record(b"\x04\0\0\0\1"),
    "epoch-bad-number.gsj": record(b"\x03epoch=x\nselected=1\nnext_mu=1\n"),
}

for name, data in JOURNAL.items():
    write("corpus-journal", name, data)
