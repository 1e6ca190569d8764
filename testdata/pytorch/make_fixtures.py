#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the PyTorch and pickle fixtures and the values `modelctl dump` must report.

Run as `/usr/bin/python3 testdata/pytorch/make_fixtures.py` (needs torch and
numpy: `apt-get install python3-torch python3-numpy`; written with torch
1.13 and numpy 1.24).  Everything is made by the real tools: torch.save in
both serialization formats and pickle protocols 2 to 5, torch's own zip
writer (torch._C.PyTorchFileWriter) for the torch 2.x archive layout, and
Python's pickle.dump for the plain pickles.  The output is deterministic
(fixed seeds; torch's zip writer stamps no dates), with one intervention:
the legacy format keys storages by memory address (str(storage._cdata)), so
while it writes, the script gives torch.serialization a str() that maps each
address to a stable address-like key.  The script checks that torch.load
reads every fixture back equal to what was saved.

It writes, under testdata/:
  pytorch/state_dict_p{2,3,4,5}.pt         zip format, conv+bn+linear state dict
  pytorch/state_dict_legacy_p{2,3,4,5}.pt  the same, legacy format
  pytorch/checkpoint.pt, checkpoint_legacy.pt
                       a training checkpoint: model_state, optimizer_state
                       (Adam after two steps), epoch, best_val_loss, config
                       (nested), labels (list of str)
  pytorch/views.pt, views_legacy.pt
                       a tensor with its transpose, slices (storage offsets),
                       a strided and an expanded (stride 0) view, tied
                       weights (one tensor under two keys), a Parameter, an
                       empty and a 0-d tensor
  pytorch/dtypes.pt, dtypes_legacy.pt
                       every dtype torch.save writes with a typed storage
  pytorch/numpy_values.pt, numpy_values_legacy.pt
                       numpy arrays (C, Fortran, big-endian) and numpy
                       scalars inside a checkpoint
  pytorch/bare_tensor.pt, bare_tensor_legacy.pt    a tensor alone (a view)
  pytorch/top_list.pt, top_list_legacy.pt          a list at the top
  pytorch/large.pt     one ~100 KB tensor
  pytorch/torch2_layout.pt
                       the state dict in the layout torch >= 2.3 writes:
                       prefix "archive/", .format_version, .storage_alignment,
                       byteorder, .data/serialization_id
  pytorch/big_endian.pt
                       that layout with byteorder "big" and every storage
                       byte-swapped, as a big-endian machine writes it
  pytorch/arrays_p{2,3,4,5}.pkl
                       pickle.dump of a dict of numpy arrays and plain values
  expected/pytorch__<file>.json
                       format, tensors (name, dtype, shape, nbytes, sha256) in
                       dump's order, metadata {}, and values: the value tree
                       as dump --format json writes it, tensors as
                       {"tensor": NAME}

Names follow design.md: dict keys (ints in decimal) and list indices joined
with '.', depth first; a tensor alone is named after the file's stem.  Every
position gets a name, so tied weights are listed twice.  A tensor's sha256
is over its elements in C order, little-endian, dense, computed here from
the tensors themselves (tensor.contiguous(), bfloat16 viewed as int16),
never from modelctl's output.
"""
import collections
import hashlib
import io
import json
import math
import os
import pickle
import shutil
import sys
import tempfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
EXPECTED = os.path.join(TESTDATA, "expected")

TORCH_NAMES = {
    torch.bool: "bool", torch.int8: "int8", torch.uint8: "uint8", torch.int16: "int16",
    torch.int32: "int32", torch.int64: "int64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.float32: "float32", torch.float64: "float64",
    torch.complex64: "complex64", torch.complex128: "complex128",
}
NP_NAMES = {
    "bool": "bool", "int8": "int8", "uint8": "uint8", "int16": "int16", "uint16": "uint16",
    "int32": "int32", "uint32": "uint32", "int64": "int64", "uint64": "uint64",
    "float16": "float16", "float32": "float32", "float64": "float64",
    "complex64": "complex64", "complex128": "complex128",
}


# ---- what dump must report ---------------------------------------------------

def tensor_bytes(t):
    """The contract's bytes: elements in C order, little-endian, dense."""
    if isinstance(t, torch.Tensor):
        t = t.detach().contiguous()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().astype("<i2").tobytes()
        a = t.numpy()
    else:
        a = np.asarray(t)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes()


def tensor_entry(name, t):
    raw = tensor_bytes(t)
    if isinstance(t, torch.Tensor):
        dtype, shape = TORCH_NAMES[t.dtype], list(t.shape)
    else:
        dtype, shape = NP_NAMES[t.dtype.name], list(t.shape)
    return {"name": name, "dtype": dtype, "shape": [int(d) for d in shape],
            "nbytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}


def key_text(k):
    if isinstance(k, bool) or not isinstance(k, (str, int)):
        raise ValueError("fixture key %r has no name form" % (k,))
    return str(k)


def flatten(obj, stem):
    """(tensors, values) as modelctl reports them."""
    tensors = []

    def is_tensor(v):
        return isinstance(v, (torch.Tensor, np.ndarray))

    def walk(v, path):
        if is_tensor(v):
            name = ".".join(path) or stem
            tensors.append(tensor_entry(name, v))
            return {"tensor": name}
        if isinstance(v, dict):
            return {key_text(k): walk(x, path + [key_text(k)]) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x, path + [str(i)]) for i, x in enumerate(v)]
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float):
            if math.isnan(v):
                return "nan"
            if math.isinf(v):
                return "inf" if v > 0 else "-inf"
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise ValueError("fixture value %r has no JSON form here" % (v,))

    values = walk(obj, [])
    if is_tensor(obj):
        values = {}
    return tensors, values


def write_expected(fname, fmt, obj):
    stem = os.path.splitext(fname)[0]
    tensors, values = flatten(obj, stem)
    path = os.path.join(EXPECTED, "pytorch__%s.json" % fname)
    lines = ['{"format": %s,' % json.dumps(fmt), ' "tensors": [']
    lines.append(",\n".join("  " + json.dumps(t) for t in tensors))
    lines.append(' ],')
    lines.append(' "metadata": {},')
    lines.append(' "values": %s}' % json.dumps(values, sort_keys=False))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---- torch.load must read back what was saved -----------------------------------

def same(a, b):
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and
                a.stride() == b.stride() and tensor_bytes(a) == tensor_bytes(b))
    if isinstance(a, np.ndarray):
        # numpy may hand a big-endian array back in native order
        return (isinstance(b, np.ndarray) and
                a.dtype.newbyteorder("<") == b.dtype.newbyteorder("<") and
                np.array_equal(a, b))
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a.keys()) == list(b.keys()) and
                all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) == type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) == type(b)


def check_loads(path, obj):
    back = torch.load(path, weights_only=False)
    if not same(obj, back):
        sys.exit("make_fixtures: torch.load(%s) differs from what was saved" % path)


# ---- writing -------------------------------------------------------------------------

def key_namer():
    """A stand-in for str inside torch.serialization while a legacy file is
    written: _legacy_save keys each storage by str(storage._cdata), a memory
    address, and that is its only str() call on an int.  Each address gets a
    stable address-like key instead, in order of first use; everything else
    (isinstance checks included) behaves as str."""
    keys = {}

    class Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, str)

        def __subclasscheck__(cls, sub):
            return issubclass(sub, str)

        def __call__(cls, *args):
            if len(args) == 1 and isinstance(args[0], int):
                return keys.setdefault(args[0], str(140000000000000 + 64 * len(keys)))
            return str(*args)

    return Meta("str", (), {})


def save(fname, obj, protocol=2, legacy=False, fmt=None):
    path = os.path.join(HERE, fname)
    if legacy:
        torch.serialization.str = key_namer()
    try:
        torch.save(obj, path, pickle_protocol=protocol,
                   _use_new_zipfile_serialization=not legacy)
    finally:
        if legacy:
            del torch.serialization.str
    check_loads(path, obj)
    write_expected(fname, fmt or ("pytorch-legacy" if legacy else "pytorch"), obj)


def torch2_archive(fname, obj, big_endian=False):
    """obj saved by torch.save, its records rewritten by torch's own zip writer
    in the layout torch >= 2.3 writes; optionally as a big-endian machine."""
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "src.pt")
        torch.save(obj, src)
        reader = torch._C.PyTorchFileReader(src)
        records = reader.get_all_records()
        out = os.path.join(tmp, "archive.pt")  # torch 2.x names the prefix "archive"
        writer = torch._C.PyTorchFileWriter(out)
        pkl = reader.get_record("data.pkl")
        writer.write_record("data.pkl", pkl, len(pkl))
        writer.write_record(".format_version", "1", 1)
        writer.write_record(".storage_alignment", "64", 2)
        order = "big" if big_endian else "little"
        writer.write_record("byteorder", order, len(order))
        # storage keys are given in order of first appearance, one per tensor here
        tensors = list(obj.values())
        keys = sorted((r for r in records if r.startswith("data/")), key=lambda r: int(r[5:]))
        assert len(keys) == len(tensors)
        for key, t in zip(keys, tensors):
            raw = reader.get_record(key)
            if big_endian:
                unit = t.element_size() // (2 if t.is_complex() else 1)
                if unit > 1:
                    raw = np.frombuffer(raw, dtype="<u%d" % unit).byteswap().tobytes()
            writer.write_record(key, raw, len(raw))
        writer.write_record(".data/serialization_id", "1234567890123456789012345678901234567890",
                            40)
        writer.write_end_of_file()
        del writer
        path = os.path.join(HERE, fname)
        shutil.copyfile(out, path)
    finally:
        shutil.rmtree(tmp)
    if not big_endian:  # torch 1.13 reads no byteorder record
        check_loads(path, obj)
    write_expected(fname, "pytorch", obj)


# ---- the objects --------------------------------------------------------------------

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(dim=(2, 3)))


def trained():
    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(4, 3, 6, 6), torch.randn(4, 2)
    for _ in range(2):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return model, opt


def views():
    torch.manual_seed(1)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    tied = torch.randn(5, 3)
    return {
        "base": base,
        "transposed": base.t(),                   # stride (1, 4)
        "slice": base[1:, 2:],                    # storage offset 6
        "column": base[:, 1],                     # stride (4,), offset 1
        "every_third": base.view(-1)[1::3],       # stride (3,), offset 1
        "expanded": torch.arange(3.0).expand(4, 3),  # stride (0, 1)
        "tied_a": tied,                           # one tensor, two names
        "tied_b": tied,
        "param": nn.Parameter(torch.full((2, 2), 0.5)),
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(3.5),
    }


def dtypes():
    vals = [0, 1, -2, 3.5, 100, -0.0, float("inf"), float("nan")]
    out = {}
    for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        out[TORCH_NAMES[dt]] = torch.tensor(vals, dtype=dt).reshape(2, 4)
    for dt, lo, hi in ((torch.int8, -128, 127), (torch.int16, -32768, 32767),
                       (torch.int32, -2**31, 2**31 - 1), (torch.int64, -2**63, 2**63 - 1),
                       (torch.uint8, 0, 255)):
        out[TORCH_NAMES[dt]] = torch.tensor([lo, -1 if lo else 1, 0, hi, 7], dtype=dt)
    out["bool"] = torch.tensor([[True, False, True], [False, False, True]])
    out["complex64"] = torch.tensor([1 + 2j, -3.5 - 0.25j, 0j], dtype=torch.complex64)
    out["complex128"] = torch.tensor([[1e300 + 1j], [-1j]], dtype=torch.complex128)
    return out


def numpy_values():
    return {
        "c_order": np.arange(6, dtype=np.float32).reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        "big_endian": np.arange(4, dtype=">f8") / 3,
        "score": np.float64(0.25),
        "count": np.int64(42),
        "tensor": torch.ones(2, dtype=torch.float16),
        "plain": {"lr": 0.5, "steps": [1, 2, 3]},
    }


def raw_arrays():
    rng = np.random.default_rng(3)
    return {
        "weights": rng.standard_normal((3, 4)).astype(np.float32),
        "bias": np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        "big_endian": np.array([1, -2, 3, 2**31 - 1, -2**31], dtype=">i4"),
        "flags": np.array([True, False, True]),
        "ids": np.arange(4, dtype=np.uint16).reshape(2, 2),
        "scalar": np.array(7.5),
        "lr": 0.01,
        "name": "features",
        "nested": {"a": np.arange(3, dtype=np.int16), "list": [np.zeros(2, np.complex64), 5]},
    }


def main():
    os.makedirs(HERE, exist_ok=True)
    os.makedirs(EXPECTED, exist_ok=True)
    model, opt = trained()
    state = model.state_dict()
    for p in (2, 3, 4, 5):
        save("state_dict_p%d.pt" % p, state, protocol=p)
        save("state_dict_legacy_p%d.pt" % p, state, protocol=p, legacy=True)
    ckpt = {
        "model_state": state,
        "optimizer_state": opt.state_dict(),
        "epoch": 7,
        "best_val_loss": 0.4321,
        "config": {"model": {"channels": [3, 4], "kernel": 3, "padding": 1},
                   "optimizer": {"name": "adam", "lr": 1e-3, "betas": (0.9, 0.999)},
                   "seed": 0, "augment": False, "notes": None},
        "labels": ["ok", "defect", "unknown"],
    }
    save("checkpoint.pt", ckpt)
    save("checkpoint_legacy.pt", ckpt, legacy=True)
    save("views.pt", views())
    save("views_legacy.pt", views(), legacy=True)
    save("dtypes.pt", dtypes())
    save("dtypes_legacy.pt", dtypes(), legacy=True)
    save("numpy_values.pt", numpy_values())
    save("numpy_values_legacy.pt", numpy_values(), legacy=True)
    bare = torch.arange(10, dtype=torch.int32).reshape(2, 5)[:, 1:4]
    save("bare_tensor.pt", bare)
    save("bare_tensor_legacy.pt", bare, legacy=True)
    top = [torch.ones(2), torch.arange(3), {"x": torch.zeros(1, 2), "n": 5}, "label"]
    save("top_list.pt", top)
    save("top_list_legacy.pt", top, legacy=True)
    torch.manual_seed(2)
    save("large.pt", {"weight": torch.randn(160, 160)})
    torch2_archive("torch2_layout.pt", state)
    torch2_archive("big_endian.pt", dtypes(), big_endian=True)
    for p in (2, 3, 4, 5):
        fname = "arrays_p%d.pkl" % p
        obj = raw_arrays()
        with open(os.path.join(HERE, fname), "wb") as f:
            pickle.dump(obj, f, protocol=p)
        with open(os.path.join(HERE, fname), "rb") as f:
            if not same(obj, pickle.load(f)):
                sys.exit("make_fixtures: %s does not read back" % fname)
        write_expected(fname, "pickle", obj)


if __name__ == "__main__":
    main()
