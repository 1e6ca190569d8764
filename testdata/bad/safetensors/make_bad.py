#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hostile safetensors files beside this script, their README.md,
and the valid seed files of the safetensors fuzz corpus.

Deterministic, standard library only.  Run from anywhere:
    python3 testdata/bad/safetensors/make_bad.py
The unit test tests/unit/test_safetensors.c reads README.md's table and
checks that each file is refused with the listed code and message fragment,
so the table below is the one place to add a case.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "safetensors")


def raw(n, header, data=b""):
    """A file whose u64 length field says `n`, whatever follows."""
    if isinstance(header, str):
        header = header.encode("utf-8")
    return struct.pack("<Q", n) + header + data


def st(header, data=b""):
    """A file with an honest length field over `header` (str or bytes)."""
    if isinstance(header, str):
        header = header.encode("utf-8")
    return raw(len(header), header, data)


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def js(obj):
    return json.dumps(obj, separators=(",", ":"))


def valid(tensors, metadata=None):
    """A file as the reference writer lays it out: tensors in the given
    order, compact JSON, the header padded with spaces to a multiple of 8.
    `tensors` is a list of (name, dtype, shape, data bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    blob = b""
    for name, dtype, shape, data in tensors:
        header[name] = entry(dtype, shape, offset, offset + len(data))
        offset += len(data)
        blob += data
    text = js(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return st(text, blob)


def seq(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


ONE_U8 = '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}'
GOOD = valid([("fc.weight", "F32", [2, 2], seq(16)), ("fc.bias", "F32", [2], seq(8))],
             {"format": "pt"})
NESTED = '{"a":' + "[" * 70 + "]" * 70 + "}"
DIMS65 = js({"a": entry("U8", [1] * 65, 0, 1)})

# (file, code, reason, expected message fragment, bytes)
BAD = [
    ("empty.safetensors", "MC_ECORRUPT", "empty file",
     "too short for the 8-byte header length", b""),
    ("short.safetensors", "MC_ECORRUPT", "5 bytes, shorter than the length field",
     "too short for the 8-byte header length", b"\x02\x00\x00\x00\x00"),
    ("header_len_u64max.safetensors", "MC_ECORRUPT", "header length 2^64-1",
     "header length 18446744073709551615 is past the end of the file", raw(2**64 - 1, "{}")),
    ("header_len_2pow63.safetensors", "MC_ECORRUPT", "header length 2^63",
     "header length 9223372036854775808 is past the end of the file", raw(2**63, "{}")),
    ("header_len_7fffffff.safetensors", "MC_ECORRUPT", "header length 0x7fffffff",
     "header length 2147483647 is past the end of the file", raw(0x7FFFFFFF, "{}")),
    ("header_truncated.safetensors", "MC_ECORRUPT", "file cut inside the header",
     "is past the end of the file", GOOD[:40]),
    ("header_len_zero.safetensors", "MC_ECORRUPT", "header length 0",
     "header is not a JSON object (it is empty)", raw(0, "{}")),
    ("header_array.safetensors", "MC_ECORRUPT",
     "top level is an array (sniffing calls it unrecognised)",
     "header is not a JSON object", st("[]")),
    ("invalid_json.safetensors", "MC_ECORRUPT", "a trailing comma in an object",
     "header is not valid JSON: expected a string key",
     st('{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},}')),
    ("trailing_garbage.safetensors", "MC_ECORRUPT", "text after the JSON object",
     "expected the end of the header", st("{} x")),
    ("invalid_utf8.safetensors", "MC_ECORRUPT", "byte 0xff inside a tensor name",
     "header is not valid UTF-8",
     st(b'{"a\xff":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}')),
    ("nul_in_name.safetensors", "MC_EUNSUPPORTED", "a tensor name holding \\u0000",
     "NUL character",
     st('{"a\\u0000b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}')),
    ("deep_nesting.safetensors", "MC_ELIMIT", "arrays nested 70 deep",
     "nests deeper than 64 levels", st(NESTED)),
    ("duplicate_name.safetensors", "MC_ECORRUPT", "the same tensor name twice",
     "duplicate tensor name 'a'",
     st('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
        '"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', seq(4))),
    ("empty_name.safetensors", "MC_ECORRUPT", "a tensor called \"\"",
     "empty tensor name", st(js({"": entry("U8", [1], 0, 1)}), b"\x00")),
    ("entry_not_object.safetensors", "MC_ECORRUPT", "a tensor entry that is a number",
     "entry is not an object", st('{"a":1}')),
    ("missing_field.safetensors", "MC_ECORRUPT", "no shape",
     "missing field 'shape'",
     st('{"a":{"dtype":"U8","data_offsets":[0,1]}}', b"\x00")),
    ("extra_field.safetensors", "MC_ECORRUPT", "a field the spec does not have",
     "unknown field 'offsets'",
     st('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"offsets":[0,1]}}', b"\x00")),
    ("dtype_not_string.safetensors", "MC_ECORRUPT", "dtype given as a number",
     "dtype is not a string",
     st('{"a":{"dtype":4,"shape":[1],"data_offsets":[0,1]}}', b"\x00")),
    ("dtype_f8_e8m0.safetensors", "MC_EUNSUPPORTED", "a spec dtype modelctl does not read",
     "unsupported dtype 'F8_E8M0'",
     st(js({"a": entry("F8_E8M0", [4], 0, 4)}), seq(4))),
    ("dtype_unknown.safetensors", "MC_EUNSUPPORTED", "a dtype no spec has",
     "unsupported dtype 'F128'",
     st(js({"a": entry("F128", [1], 0, 16)}), seq(16))),
    ("negative_dim.safetensors", "MC_ECORRUPT", "shape [-1]",
     "shape dim -1 is negative", st(js({"a": entry("U8", [-1], 0, 0)}))),
    ("fractional_dim.safetensors", "MC_ECORRUPT", "shape [1.5]",
     "shape dim 1.5 is not an integer",
     st('{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}', b"\x00")),
    ("dim_2pow53_plus1.safetensors", "MC_ELIMIT", "a dim of 2^53+1 (a double would round it)",
     "shape dim 9007199254740993 is larger than 2^53",
     st(js({"a": entry("U8", [2**53 + 1, 0], 0, 0)}))),
    ("too_many_dims.safetensors", "MC_ELIMIT", "65 dims",
     "shape has 65 dims, more than the limit of 64", st(DIMS65, b"\x00")),
    ("shape_overflow.safetensors", "MC_ECORRUPT", "element count past 2^64",
     "byte size of U8 [4294967296, 4294967296, 16] overflows 64 bits",
     st(js({"a": entry("U8", [4294967296, 4294967296, 16], 0, 16)}), seq(16))),
    ("zero_size_huge_dims.safetensors", "MC_ELIMIT", "zero elements, but dims whose product overflows",
     "is too large to address",
     st(js({"a": entry("U8", [0, 2**53, 2**53], 0, 0)}))),
    ("offsets_not_pair.safetensors", "MC_ECORRUPT", "three data_offsets",
     "data_offsets is not an array of two integers",
     st('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}', b"\x00\x00")),
    ("offsets_reversed.safetensors", "MC_ECORRUPT", "begin after end",
     "data_offsets begin 4 is after end 0", st(js({"a": entry("U8", [4], 4, 0)}), seq(4))),
    ("offsets_overlap.safetensors", "MC_ECORRUPT", "two tensors share bytes",
     "overlap tensor 'a'",
     st(js({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 2, 6)}), seq(6))),
    ("offsets_gap.safetensors", "MC_ECORRUPT", "unused bytes between tensors",
     "gap of 2 unused bytes",
     st(js({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 6, 10)}), seq(10))),
    ("offsets_gap_at_start.safetensors", "MC_ECORRUPT", "first tensor does not begin at 0",
     "at the start of the data", st(js({"a": entry("U8", [4], 2, 6)}), seq(6))),
    ("offsets_past_end.safetensors", "MC_ECORRUPT", "data_offsets beyond the file",
     "data_offsets end 120 past the data (100 bytes)",
     st(js({"a": entry("U8", [120], 0, 120)}), seq(100))),
    ("data_truncated.safetensors", "MC_ECORRUPT", "a good file cut inside its data",
     "past the data", GOOD[:-3]),
    ("trailing_data.safetensors", "MC_ECORRUPT", "bytes after the last tensor",
     "2 bytes of trailing data after the last tensor", st(ONE_U8, seq(6))),
    ("wrong_nbytes.safetensors", "MC_ECORRUPT", "F32 [3] given 8 bytes",
     "data_offsets span 8 bytes but F32 [3] needs 12",
     st(js({"a": entry("F32", [3], 0, 8)}), seq(8))),
    ("metadata_not_object.safetensors", "MC_ECORRUPT", "__metadata__ is a list",
     "__metadata__ is not an object", st('{"__metadata__":["a"]}')),
    ("metadata_not_string.safetensors", "MC_ECORRUPT", "a metadata value that is a number",
     "__metadata__ value of 'epoch' is not a string", st('{"__metadata__":{"epoch":3}}')),
    ("metadata_duplicate_key.safetensors", "MC_ECORRUPT", "a metadata key twice",
     "duplicate __metadata__ key 'k'", st('{"__metadata__":{"k":"1","k":"2"}}')),
    ("metadata_twice.safetensors", "MC_ECORRUPT", "two __metadata__ objects",
     "duplicate key '__metadata__'", st('{"__metadata__":{},"__metadata__":{}}')),
]

SEEDS = [
    ("basic.safetensors", GOOD),
    ("empty_header.safetensors", valid([])),
    ("all_dtypes.safetensors", valid([
        ("bool", "BOOL", [2], b"\x00\x01"), ("u8", "U8", [2], seq(2)), ("i8", "I8", [2], seq(2)),
        ("u16", "U16", [2], seq(4)), ("i16", "I16", [2], seq(4)), ("u32", "U32", [2], seq(8)),
        ("i32", "I32", [2], seq(8)), ("u64", "U64", [2], seq(16)), ("i64", "I64", [2], seq(16)),
        ("f16", "F16", [2], seq(4)), ("bf16", "BF16", [2], seq(4)), ("f32", "F32", [2], seq(8)),
        ("f64", "F64", [2], seq(16)), ("c64", "C64", [2], seq(16)),
        ("f8_e4m3", "F8_E4M3", [2], seq(2)), ("f8_e5m2", "F8_E5M2", [2], seq(2))])),
    ("zero_size_scalar.safetensors", valid([
        ("empty", "F32", [0], b""), ("scalar", "F64", [], seq(8)),
        ("empty2", "I32", [2, 0, 3], b""), ("vec", "U8", [3], seq(3))], {})),
    # Header order differs from data order, with whitespace, escapes and a
    # null __metadata__, all of which the reference reader accepts.
    ("unordered.safetensors", st(
        '{\n  "b\\u00e9ta": {"dtype": "I16", "shape": [2], "data_offsets": [4, 8]},\n'
        '  "__metadata__": null,\n'
        '  "\\ud83d\\ude00": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}\n}\n\t\r ',
        seq(8))),
]


def readme():
    lines = [
        "# Hostile safetensors files",
        "",
        "Every file here must be refused.  They are written by `make_bad.py` (run it",
        "after changing its table; it also rewrites this README and the valid seeds",
        "in `tests/fuzz/corpus/safetensors/`).  `tests/unit/test_safetensors.c` opens",
        "each file as safetensors (`mc_reader_open_as(path, \"safetensors\")`, as the fuzz",
        "replay does) and checks the code and that the message contains the fragment.",
        "Files whose byte 8 is not `{` (`empty`, `short`, `header_array`) are, when",
        "sniffed instead, reported as an unrecognised format.",
        "",
        "| file | code | reason | message fragment |",
        "| --- | --- | --- | --- |",
    ]
    for name, code, reason, frag, _ in BAD:
        assert "|" not in reason + frag and "`" not in frag, name
        lines.append(f"| `{name}` | {code} | {reason} | `{frag}` |")
    return "\n".join(lines) + "\n"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    names = [b[0] for b in BAD]
    assert len(names) == len(set(names))
    for old in os.listdir(HERE):
        if old.endswith(".safetensors") and old not in names:
            os.remove(os.path.join(HERE, old))
    for name, _, _, _, data in BAD:
        write(os.path.join(HERE, name), data)
    write(os.path.join(HERE, "README.md"), readme().encode("utf-8"))
    os.makedirs(CORPUS, exist_ok=True)
    for name, data in SEEDS:
        assert len(data) < 4096, name
        write(os.path.join(CORPUS, name), data)
    print(f"wrote {len(BAD)} hostile files and {len(SEEDS)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
