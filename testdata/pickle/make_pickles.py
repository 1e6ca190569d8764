#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the pickle fixtures of tests/unit/test_pickle.c: testdata/pickle/*.pkl
and expected.json.

Every .pkl is written by Python's own pickle (or is torch.save's data.pkl,
taken out of the zip torch writes) across protocols 0 to 5: plain values
(None, bools, ints up to big ints, floats with nan and inf, str, bytes,
containers, sets, nesting, shared references, a list that holds itself),
OrderedDict, numpy arrays (C and Fortran order, big-endian, 0-d, empty) and
numpy scalars, and torch state dicts with their tensors, a Parameter,
dtypes, devices and torch.Size.

expected.json holds, for each file, what Python itself loads from it,
written in the canonical text that the test prints the reader's value tree
in (see canon() below and canon() in the test).  Python's Unpickler is the
oracle: torch's rebuild functions and persistent ids are replaced by
recorders (the test's hooks record the same things), everything else is
the real class.  Tensors become T<i> and numpy arrays A<i>, numbered in the
order the canonical walk first meets them; their details are listed beside
the value.  An array's data is listed dense, C order, little-endian (numpy
loads a big-endian array as a native one, so the stored byte order shows
only in how the reader must read the bytes).

Needs numpy and torch.  Usage: /usr/bin/python3 testdata/pickle/make_pickles.py
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPE_NAMES = {
    "bool": "bool", "int8": "int8", "uint8": "uint8", "int16": "int16", "uint16": "uint16",
    "int32": "int32", "uint32": "uint32", "int64": "int64", "uint64": "uint64",
    "float16": "float16", "float32": "float32", "float64": "float64",
    "complex64": "complex64", "complex128": "complex128",
}
TORCH_DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int8: "int8", torch.int16: "int16",
    torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool",
    torch.complex64: "complex64", torch.complex128: "complex128",
}


# ---- the oracle ----------------------------------------------------------------

class Tensor:
    """What torch._utils._rebuild_tensor_v2 was given."""

    def __init__(self, storage, offset, size, stride, requires_grad):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)
        self.requires_grad, self.parameter = bool(requires_grad), False


class Storage:
    def __init__(self, pid):
        self.pid = pid


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    return Tensor(storage, offset, size, stride, requires_grad)


def rebuild_tensor(storage, offset, size, stride):
    return Tensor(storage, offset, size, stride, False)


def rebuild_parameter(data, requires_grad, hooks, state=None):
    data.parameter, data.requires_grad = True, bool(requires_grad)
    return data


def rebuild_from_type_v2(func, new_type, args, state):
    t = func(*args)
    if new_type is torch.nn.Parameter and not t.parameter:
        t.parameter = True
    return t


class Oracle(pickle.Unpickler):
    REPLACED = {
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): rebuild_from_type_v2,
    }

    def find_class(self, module, name):
        return self.REPLACED.get((module, name)) or super().find_class(module, name)

    def persistent_load(self, pid):
        return Storage(pid)


# ---- the canonical text (the test prints the reader's tree the same way) -------

def esc(b):
    out = []
    for ch in b:
        if 0x20 <= ch < 0x7F and ch not in (0x22, 0x5C):
            out.append(chr(ch))
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


def float_text(f):
    return "f%016x" % struct.unpack("<Q", struct.pack("<d", f))[0]


def array_info(a):
    dense = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": DTYPE_NAMES[a.dtype.name],
        "shape": list(a.shape),
        "fortran": bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous),
        "data": dense.tobytes().hex(),
    }


class Canon:
    def __init__(self):
        self.tensors, self.arrays, self.ids = [], [], {}

    def number(self, obj, kind, table, info):
        key = (kind, id(obj))
        if key not in self.ids:
            self.ids[key] = len(table)
            table.append(info(obj))
        return "%s%d" % (kind, self.ids[key])

    def tensor_info(self, t):
        return {"pid": self.text(t.storage.pid, []), "offset": t.offset, "shape": list(t.size),
                "stride": list(t.stride), "requires_grad": t.requires_grad,
                "parameter": t.parameter}

    def text(self, v, stack):
        if any(v is s for s in stack):
            return "<cycle>"
        if v is None:
            return "None"
        if isinstance(v, (bool, np.bool_)):
            return "True" if v else "False"
        if isinstance(v, (int, np.integer)):
            v = int(v)
            return str(v) if -2**63 <= v < 2**63 else "%dn" % v
        if isinstance(v, (float, np.floating)):
            return float_text(float(v))
        if isinstance(v, (complex, np.complexfloating)):
            return "(%s,%s)" % (float_text(v.real), float_text(v.imag))
        if isinstance(v, str):
            return 's"%s"' % esc(v.encode("utf-8", "surrogatepass"))
        if isinstance(v, (bytes, bytearray)):
            return 'b"%s"' % esc(bytes(v))
        if isinstance(v, Tensor):
            return self.number(v, "T", self.tensors, self.tensor_info)
        if isinstance(v, np.ndarray):
            return self.number(v, "A", self.arrays, array_info)
        if isinstance(v, torch.dtype):
            return 'torch.dtype(s"%s")' % TORCH_DTYPES[v]
        if isinstance(v, torch.device):
            args = [self.text(v.type, [])]
            if v.index is not None:
                args.append(self.text(v.index, []))
            return "torch.device(%s)" % ",".join(args)
        if isinstance(v, type):
            name = "%s.%s" % (v.__module__, v.__qualname__)
            return {"torch.storage.UntypedStorage": "torch.UntypedStorage"}.get(name, name)
        stack = stack + [v]
        if isinstance(v, list):
            return "[%s]" % ",".join(self.text(x, stack) for x in v)
        if isinstance(v, tuple):  # torch.Size too
            return "(%s)" % ",".join(self.text(x, stack) for x in v)
        if isinstance(v, dict):  # OrderedDict too
            return "{%s}" % ",".join("%s:%s" % (self.text(k, stack), self.text(x, stack))
                                     for k, x in v.items())
        if isinstance(v, (set, frozenset)):
            # a set has no order: its items sorted by their text
            return "set(%s)" % ",".join(sorted(self.text(x, stack) for x in v))
        raise TypeError("no canonical text for %r" % type(v))


def expected_of(data):
    obj = Oracle(io.BytesIO(data)).load()
    c = Canon()
    text = c.text(obj, [])
    return {"value": text, "tensors": c.tensors, "arrays": c.arrays}


# ---- the fixtures ---------------------------------------------------------------

def plain_values():
    shared = [1, 2, 3]
    od = collections.OrderedDict([("b", 1), ("a", [shared])])
    cyclic = ["me"]
    cyclic.append(cyclic)
    return {
        "none": None, "true": True, "false": False,
        "ints": [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**32,
                 2**63 - 1, -2**63],
        "big": [2**63, -2**63 - 1, 2**64, -(2**64) - 1, 10**100, -(2**200), 2**1000 + 7],
        "floats": [0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, 5e-324, math.inf, -math.inf,
                   math.nan, 0.1],
        "str": ["", "plain", "caf\u00e9", "\u4e2d\u6587", "\U0001F600", "a\nb\r\\c'\"\x00\x1a",
                "\u00ff\u0100", "x" * 300],
        "bytes": [b"", b"\x00\xff", bytes(range(256)), b"\\u0041", b"y" * 300],
        "bytearray": bytearray(b"\x01\x02\x80"),
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
        "nested": {"a": {"b": {"c": [[[[]]]], "d": ({"e": (1,)},)}}},
        "set": {1, 2, 3, (4, 5)},
        "frozenset": frozenset({7, 8}),
        "empty": [[], {}, set(), frozenset()],
        "shared": [shared, shared, (shared,)],
        "ordered": od,
        "int_keys": {1: "one", -2: "minus two", 2**70: "big", (1, 2): "tuple", None: 0,
                     True: "bool", 2.5: "float"},
        "cyclic": cyclic,
    }


def numpy_values():
    return {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        "big_endian": (np.arange(4) / 3).astype(">f8"),
        "be_i4": np.array([1, -2, 2**31 - 1], dtype=">i4"),
        "u8": np.array([0, 255, 7], dtype=np.uint8),
        "b1": np.array([True, False, True]),
        "i2": np.array([[-1, 2], [3, -4]], dtype=np.int16),
        "u16": np.array([65535, 1], dtype=np.uint16),
        "u64": np.array([2**64 - 1], dtype=np.uint64),
        "f16": np.array([0.5, -2, 65504], dtype=np.float16),
        "c64": np.array([1 + 2j, -0.5j], dtype=np.complex64),
        "c128": np.array([[1e300 + 1j]], dtype=np.complex128),
        "zero_d": np.array(3.5),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalars": [np.float32(1.5), np.float64(-0.25), np.int64(-7), np.int8(-128),
                    np.uint64(2**64 - 1), np.uint8(200), np.bool_(True), np.float16(0.1),
                    np.complex128(1 - 2j), np.int32(2**31 - 1)],
    }


def torch_state():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return {
        "model": net.state_dict(),
        "view": base[1:, 1:3],
        "transposed": base.t(),
        "base": base,
        "param": torch.nn.Parameter(torch.ones(2, dtype=torch.float64)),
        "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False),
        "half": torch.tensor([1.0, -2.0], dtype=torch.float16),
        "bf16": torch.tensor([3.0], dtype=torch.bfloat16),
        "ints": torch.tensor([[1, 2]], dtype=torch.int32),
        "flags": torch.tensor([True, False]),
        "empty": torch.zeros(0, 2),
        "scalar": torch.tensor(2.5),
        "dtype": torch.float16,
        "dtypes": [torch.int64, torch.bool, torch.complex64],
        "device": torch.device("cpu"),
        "cuda": torch.device("cuda", 1),
        "size": torch.Size([2, 3]),
        "epoch": 7,
        "lr": 0.001,
        "numpy": np.arange(3, dtype=np.int16),
    }


def torch_data_pkl(obj, protocol):
    buf = io.BytesIO()
    torch.save(obj, buf, pickle_protocol=protocol)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
    return z.read(name)


def main():
    files = {}
    for p in range(6):
        files["values_p%d.pkl" % p] = pickle.dumps(plain_values(), protocol=p)
        files["numpy_p%d.pkl" % p] = pickle.dumps(numpy_values(), protocol=p)
    for p in (2, 4):
        files["torch_p%d.pkl" % p] = torch_data_pkl(torch_state(), p)
    expected = {}
    for name, data in sorted(files.items()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        expected[name] = expected_of(data)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d pickles" % len(files), file=sys.stderr)


if __name__ == "__main__":
    main()
