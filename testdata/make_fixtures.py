#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write modelctl's committed test fixtures and the values dump must report.

Run from anywhere as `/usr/bin/python3 testdata/make_fixtures.py` (needs
numpy: `apt-get install python3-numpy`).  The output is deterministic: fixed
seeds, and numpy's npz writer stamps every member with the zip epoch, so a
re-run rewrites identical bytes and `git status` stays clean.

It writes, under testdata/:
  npy/          one .npy per numeric dtype numpy has, a Fortran-order array,
                big-endian arrays, a 0-d and an empty array, and files in
                format versions 2.0 and 3.0
  npz/          np.savez and np.savez_compressed archives of mixed arrays
  safetensors/  files from the small writer below: every dtype, metadata,
                a 0-d and an empty tensor
  sample/       the weights and config of design.md's `sequential` classifier
  expected/     for each fixture, <path with / as __>.json: the format, the
                tensors (name, dtype, shape, nbytes, sha256) in the order dump
                lists them, and the metadata

A tensor's sha256 is the contract's: over its elements in C order,
little-endian, dense.  The expected values are computed here from the arrays
themselves (or from the raw bytes written, for bfloat16 and float8), never
from modelctl's output.
"""
import hashlib
import json
import math
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# numpy dtype -> the contract's dtype name (design.md)
NP_NAMES = {
    "bool": "bool", "int8": "int8", "uint8": "uint8", "int16": "int16",
    "uint16": "uint16", "int32": "int32", "uint32": "uint32", "int64": "int64",
    "uint64": "uint64", "float16": "float16", "float32": "float32",
    "float64": "float64", "complex64": "complex64", "complex128": "complex128",
}

# safetensors dtype -> (contract name, element size)
ST_DTYPES = {
    "BOOL": ("bool", 1), "U8": ("uint8", 1), "I8": ("int8", 1),
    "U16": ("uint16", 2), "I16": ("int16", 2), "U32": ("uint32", 4),
    "I32": ("int32", 4), "U64": ("uint64", 8), "I64": ("int64", 8),
    "F16": ("float16", 2), "BF16": ("bfloat16", 2), "F32": ("float32", 4),
    "F64": ("float64", 8), "C64": ("complex64", 8),
    "F8_E4M3": ("float8_e4m3fn", 1), "F8_E5M2": ("float8_e5m2", 1),
}

NP_TO_ST = {
    "bool": "BOOL", "uint8": "U8", "int8": "I8", "uint16": "U16", "int16": "I16",
    "uint32": "U32", "int32": "I32", "uint64": "U64", "int64": "I64",
    "float16": "F16", "float32": "F32", "float64": "F64", "complex64": "C64",
}


# ---- values and hashes ------------------------------------------------------

def dense_le_bytes(a):
    """The contract's bytes of an array: C order, little-endian, dense."""
    a = np.asarray(a)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes()


def sha256(raw):
    return hashlib.sha256(raw).hexdigest()


def entry(name, dtype, shape, raw):
    return {"name": name, "dtype": dtype, "shape": [int(d) for d in shape],
            "nbytes": len(raw), "sha256": sha256(raw)}


def np_entry(name, a):
    return entry(name, NP_NAMES[a.dtype.name], a.shape, dense_le_bytes(a))


def random_array(rng, dtype, shape):
    """Values that use the whole range of the dtype, with the special float
    values (NaN, inf, -0.0) in the first elements."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    if dt.kind == "f":
        a = (rng.standard_normal(shape) * 10).astype(dt)
        flat = a.reshape(-1)
        if flat.size >= 4:
            flat[:4] = [np.nan, -np.inf, -0.0, np.finfo(dt).max]
        return a
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    raise ValueError(dtype)


# ---- narrow floats written as raw bytes --------------------------------------

def bf16_bytes(values):
    """float32 values -> bfloat16 bytes, round to nearest even on the dropped
    16 bits (NaN kept quiet)."""
    u = np.asarray(values, dtype=np.float32).reshape(-1).view(np.uint32)
    out = []
    for x in u.tolist():
        if (x & 0x7F800000) == 0x7F800000 and (x & 0x7FFFFF):
            out.append((x >> 16) | 0x40)
            continue
        hi, lo = x >> 16, x & 0xFFFF
        if lo > 0x8000 or (lo == 0x8000 and hi & 1):
            hi += 1
        out.append(hi & 0xFFFF)
    return struct.pack("<%dH" % len(out), *out)


def e4m3fn_value(v):
    """OCP FP8 E4M3FN: bias 7, no inf, S.1111.111 is NaN, max 448."""
    s = -1.0 if v & 0x80 else 1.0
    e, m = (v >> 3) & 0xF, v & 7
    if e == 15 and m == 7:
        return float("nan")
    return s * (m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))


def e5m2_value(v):
    """OCP FP8 E5M2: bias 15, IEEE-like, max 57344."""
    s = -1.0 if v & 0x80 else 1.0
    e, m = (v >> 2) & 0x1F, v & 3
    if e == 31:
        return s * float("inf") if m == 0 else float("nan")
    return s * (m / 4 * 2.0 ** -14 if e == 0 else (1 + m / 4) * 2.0 ** (e - 15))


def fp8_bytes(values, value_of):
    """Nearest representable value, ties to the even encoding (and to the
    zero of the same sign); infinities map to the format's infinity.  The
    finite values given here are all within range: no overflow rule."""
    finite = [(value_of(v), v) for v in range(256)
              if not math.isnan(value_of(v)) and not math.isinf(value_of(v))]
    out = bytearray()
    for x in np.asarray(values, dtype=np.float32).reshape(-1).tolist():
        if math.isinf(x):
            out.append(next(v for v in range(256) if value_of(v) == x))
            continue
        negative = math.copysign(1.0, x) < 0
        best = min(finite, key=lambda c: (abs(c[0] - x), c[1] & 1, (c[1] >> 7) != negative))
        out.append(best[1])
    return bytes(out)


# ---- a small safetensors writer ----------------------------------------------

def write_safetensors(path, tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)], stored in this order.
    The JSON header lists __metadata__ first and then the tensors sorted by
    name, as the reference writer does, so that header order and data order
    differ: dump lists tensors in data offset order.  Returns the expected
    tensor entries, in data order."""
    header, expected, offset = {}, [], 0
    for name, dtype, shape, raw in tensors:
        numel = int(np.prod(shape, dtype=np.int64)) if shape else 1
        assert len(raw) == numel * ST_DTYPES[dtype][1], name
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        expected.append(entry(name, ST_DTYPES[dtype][0], shape, raw))
        offset += len(raw)
    ordered = {}
    if metadata is not None:
        ordered["__metadata__"] = metadata
    for name in sorted(header):
        ordered[name] = header[name]
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)
    return expected


# ---- the fixtures ------------------------------------------------------------

def npy_fixtures(out):
    d = os.path.join(HERE, "npy")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240601)
    arrays = {}
    for i, name in enumerate(NP_NAMES):
        shape = [(3, 4), (2, 3, 2), (5,), (4, 3)][i % 4]
        arrays[name] = random_array(rng, name, shape)
    arrays["fortran_f32"] = np.asfortranarray(random_array(rng, "float32", (3, 5)))
    arrays["fortran_i64_3d"] = np.asfortranarray(random_array(rng, "int64", (2, 3, 4)))
    arrays["be_i4"] = random_array(rng, "int32", (2, 5)).astype(">i4")
    arrays["be_f8"] = random_array(rng, "float64", (3, 3)).astype(">f8")
    arrays["be_c16"] = random_array(rng, "complex128", (4,)).astype(">c16")
    arrays["scalar_f64"] = np.array(3.25, dtype=np.float64)
    arrays["empty_0x3"] = np.zeros((0, 3), dtype=np.float32)
    for stem, a in arrays.items():
        np.save(os.path.join(d, stem + ".npy"), a, allow_pickle=False)
        out["npy/%s.npy" % stem] = {"format": "npy", "tensors": [np_entry(stem, a)],
                                    "metadata": {}}
    assert np.isfortran(np.load(os.path.join(d, "fortran_f32.npy")))
    # format versions 2.0 (4-byte header length) and 3.0 (utf-8 header)
    for stem, version, a in (("version2", (2, 0), random_array(rng, "float32", (2, 3))),
                             ("version3", (3, 0), random_array(rng, "int16", (3, 2)))):
        with open(os.path.join(d, stem + ".npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=version, allow_pickle=False)
        out["npy/%s.npy" % stem] = {"format": "npy", "tensors": [np_entry(stem, a)],
                                    "metadata": {}}
    with open(os.path.join(d, "version3.npy"), "rb") as f:
        assert f.read(8) == b"\x93NUMPY\x03\x00"


def npz_fixtures(out):
    d = os.path.join(HERE, "npz")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(7)
    members = {
        "fc.weight": random_array(rng, "float32", (4, 3)),
        "fc.bias": random_array(rng, "float64", (4,)),
        "steps": np.array(1200, dtype=np.int64),
        "mask": random_array(rng, "bool", (5,)),
        "conv.weight_fortran": np.asfortranarray(random_array(rng, "float32", (3, 4))),
        "labels_big_endian": random_array(rng, "int32", (6,)).astype(">i4"),
        "half": random_array(rng, "float16", (2, 2)),
        "empty": np.zeros((0,), dtype=np.uint8),
    }
    for stem, save in (("mixed", np.savez), ("mixed_compressed", np.savez_compressed)):
        save(os.path.join(d, stem + ".npz"), **members)
        out["npz/%s.npz" % stem] = {
            "format": "npz",
            "tensors": [np_entry(name, a) for name, a in members.items()],
            "metadata": {}}
    with np.load(os.path.join(d, "mixed.npz")) as z:
        assert list(z.keys()) == list(members)


def st_tensor(name, a):
    return (name, NP_TO_ST[a.dtype.name], a.shape, dense_le_bytes(a))


def safetensors_fixtures(out):
    d = os.path.join(HERE, "safetensors")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(99)

    # every dtype, in an order that is neither alphabetical nor by size
    tensors = []
    for i, np_name in enumerate(["float32", "bool", "uint8", "int8", "uint16", "int16",
                                 "uint32", "int32", "uint64", "int64", "float16",
                                 "float64", "complex64"]):
        shape = [(2, 3), (4,), (2, 2, 2), (3, 1)][i % 4]
        tensors.append(st_tensor("t_" + NP_TO_ST[np_name].lower(),
                                 random_array(rng, np_name, shape)))
    bf = (rng.standard_normal((3, 4)) * 100).astype(np.float32)
    bf.reshape(-1)[:3] = [np.inf, -0.0, 3.0e38]  # 3e38 rounds to bf16 max-ish
    tensors.insert(5, ("t_bf16", "BF16", (3, 4), bf16_bytes(bf)))
    e4 = (rng.standard_normal(10) * 50).clip(-448, 448).astype(np.float32)
    e4[:4] = [448.0, -448.0, 2.0 ** -9, -0.0]
    tensors.insert(2, ("t_f8_e4m3", "F8_E4M3", (2, 5), fp8_bytes(e4, e4m3fn_value)))
    e5 = (rng.standard_normal(8) * 1000).astype(np.float32)
    e5[:4] = [57344.0, -np.inf, 2.0 ** -16, 0.0]
    tensors.append(("t_f8_e5m2", "F8_E5M2", (8,), fp8_bytes(e5, e5m2_value)))
    assert sorted(t[1] for t in tensors) == sorted(ST_DTYPES)
    exp = write_safetensors(os.path.join(d, "all_dtypes.safetensors"), tensors)
    out["safetensors/all_dtypes.safetensors"] = {"format": "safetensors", "tensors": exp,
                                                 "metadata": {}}

    # __metadata__ as torch writes it, plus a few str values
    meta = {"format": "pt", "source": "modelctl testdata/make_fixtures.py",
            "labels": json.dumps(["ok", "defect"]), "note": "caf\u00e9 \"quoted\" \\ ok"}
    tensors = [st_tensor("encoder.weight", random_array(rng, "float32", (4, 4))),
               st_tensor("encoder.bias", random_array(rng, "float32", (4,))),
               st_tensor("head.weight", random_array(rng, "float16", (2, 4)))]
    exp = write_safetensors(os.path.join(d, "metadata.safetensors"), tensors, meta)
    out["safetensors/metadata.safetensors"] = {"format": "safetensors", "tensors": exp,
                                               "metadata": meta}

    # a 0-d tensor, a vector, and an empty tensor (last: a zero-length
    # range shares its offset with nothing)
    tensors = [st_tensor("scalar", np.array(-1.5, dtype=np.float32)),
               st_tensor("vector", np.array([1, -2, 3], dtype=np.int32)),
               ("empty", "F32", (0, 4), b"")]
    exp = write_safetensors(os.path.join(d, "scalar_and_empty.safetensors"), tensors)
    out["safetensors/scalar_and_empty.safetensors"] = {"format": "safetensors",
                                                       "tensors": exp, "metadata": {}}


# design.md's example config of the `sequential` model type
CLASSIFIER_CONFIG = {
    "model_type": "sequential",
    "input": {"name": "input", "shape": ["batch", 3, 32, 32]},
    "layers": [
        {"type": "conv2d", "out": 8, "kernel": 3, "padding": 1},
        {"type": "batchnorm2d", "eps": 1e-5},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel": 2},
        {"type": "conv2d", "out": 16, "kernel": 3, "stride": 1, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "adaptiveavgpool2d", "output": 1},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.2},
        {"type": "linear", "out": 1},
    ],
}


def sample_fixtures(out):
    d = os.path.join(HERE, "sample")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(3)

    def normal(*shape, scale=0.1):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def batchnorm(i, n):
        return [(f"{i}.weight", (1 + normal(n)).astype(np.float32)),
                (f"{i}.bias", normal(n)),
                (f"{i}.running_mean", normal(n)),
                (f"{i}.running_var", (0.5 + np.abs(normal(n, scale=0.5))).astype(np.float32)),
                (f"{i}.num_batches_tracked", np.array(1000, dtype=np.int64))]

    # named as nn.Sequential names them: the index counts every layer
    state = ([("0.weight", normal(8, 3, 3, 3)), ("0.bias", normal(8))] + batchnorm(1, 8) +
             [("4.weight", normal(16, 8, 3, 3)), ("4.bias", normal(16))] + batchnorm(5, 16) +
             [("10.weight", normal(1, 16)), ("10.bias", normal(1))])
    exp = write_safetensors(os.path.join(d, "classifier.safetensors"),
                            [st_tensor(n, a) for n, a in state], {"format": "pt"})
    out["sample/classifier.safetensors"] = {"format": "safetensors", "tensors": exp,
                                            "metadata": {"format": "pt"}}
    with open(os.path.join(d, "classifier.json"), "w") as f:
        json.dump(CLASSIFIER_CONFIG, f, indent=2)
        f.write("\n")


def expected_json(exp):
    """The expected values as JSON with one tensor per line, for readable diffs."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    tensors = ",\n".join("  " + dump(t) for t in exp["tensors"])
    return ('{"format": %s,\n "tensors": [\n%s\n ],\n "metadata": %s}\n'
            % (dump(exp["format"]), tensors, dump(exp["metadata"])))


def main():
    out = {}
    npy_fixtures(out)
    npz_fixtures(out)
    safetensors_fixtures(out)
    sample_fixtures(out)
    d = os.path.join(HERE, "expected")
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.endswith(".json"):
            os.remove(os.path.join(d, old))
    for rel, exp in sorted(out.items()):
        assert "__" not in rel, "fixture names must not contain '__': " + rel
        with open(os.path.join(d, rel.replace("/", "__") + ".json"), "w") as f:
            f.write(expected_json(exp))
    total = sum(os.path.getsize(os.path.join(root, n))
                for root, _, names in os.walk(HERE) for n in names)
    print("wrote %d fixtures; testdata/ holds %d bytes" % (len(out), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
