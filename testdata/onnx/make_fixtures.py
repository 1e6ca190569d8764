#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the ONNX fixtures in testdata/onnx/ and their expected values.

Run with Debian's Python, which has the packages this needs:

    apt-get install python3-onnx python3-torch python3-numpy   # once
    /usr/bin/python3 testdata/onnx/make_fixtures.py

It was written against python3-onnx 1.12 and python3-torch 1.13 (Debian 12).
Models are built with the onnx helper API (onnx.helper, onnx.numpy_helper and
TensorProto fields set by hand where the helper cannot express the case), and
one with torch.onnx.export.  Every random value comes from a fixed seed, and
protobuf serialises fields in a fixed order, so running the script again
writes the same bytes.

It writes:
  testdata/onnx/<name>.onnx              the fixtures (and external.bin)
  testdata/expected/onnx__<name>.json    what `modelctl dump --format json
                                         --hash` must print for the model, as
                                         tests/cli/fixtures_test.py compares it:
                                         {"format", "ir_version", "opset",
                                         "producer_name", "producer_version",
                                         "graph_name", "inputs", "outputs",
                                         "nodes", "initializers": [{"name",
                                         "dtype", "shape", "nbytes", "sha256"}],
                                         "metadata"}
  tests/fuzz/corpus/onnx/<name>.onnx     the fixtures a model read from memory
                                         can hold (no external data): fuzz seeds

The sha256 of each tensor is computed here from the values the script put in
(dense, C order, little-endian), never from modelctl's output; where numpy
has the dtype, onnx.numpy_helper.to_array must agree with it.  The rest of
the expected report (inputs and outputs with their dims, nodes with their
attributes, subgraphs) is built from the model with the onnx
package (expected_report below) in the contract's JSON shape for ONNX
(design.md, "dump"), never from modelctl's output.  ONNX 1.12
does not know the float8 element types (17 to 20, added in ONNX 1.14) nor
the 4-bit ones (21 to 23: 1.16 and 1.18), so float8.onnx and narrow.onnx set
data_type by number and are not run through onnx.checker; every other model
is.  4-bit tensors are hashed as ONNX stores them: two elements to a byte,
the first in the low nibble, the last byte's high nibble zero for an odd
count.
"""
import hashlib
import json
import os
import shutil
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECTED = os.path.join(ROOT, "testdata", "expected")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "onnx")

FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ = 17, 18, 19, 20
UINT4, INT4, FLOAT4E2M1 = 21, 22, 23  # ONNX 1.16 and 1.18, by number

# ONNX element type -> (contract dtype name, numpy dtype or None)
DTYPES = [
    (TensorProto.FLOAT, "float32", np.float32),
    (TensorProto.UINT8, "uint8", np.uint8),
    (TensorProto.INT8, "int8", np.int8),
    (TensorProto.UINT16, "uint16", np.uint16),
    (TensorProto.INT16, "int16", np.int16),
    (TensorProto.INT32, "int32", np.int32),
    (TensorProto.INT64, "int64", np.int64),
    (TensorProto.BOOL, "bool", np.bool_),
    (TensorProto.FLOAT16, "float16", np.float16),
    (TensorProto.DOUBLE, "float64", np.float64),
    (TensorProto.UINT32, "uint32", np.uint32),
    (TensorProto.UINT64, "uint64", np.uint64),
    (TensorProto.COMPLEX64, "complex64", np.complex64),
    (TensorProto.COMPLEX128, "complex128", np.complex128),
    (TensorProto.BFLOAT16, "bfloat16", None),
]


def sha(raw):
    return hashlib.sha256(raw).hexdigest()


def entry(name, dtype, shape, raw):
    return {"name": name, "dtype": dtype, "shape": list(shape), "nbytes": len(raw),
            "sha256": sha(raw)}


def values(rng, np_dtype, shape):
    """Values of a dtype, with its extremes (and NaN, -inf, -0.0 for floats) first."""
    n = int(np.prod(shape))
    if np_dtype == np.bool_:
        a = rng.integers(0, 2, n).astype(np.bool_)
    elif np.issubdtype(np_dtype, np.integer):
        info = np.iinfo(np_dtype)
        a = rng.integers(info.min, info.max, n, dtype=np_dtype, endpoint=True)
        a[:3] = [info.min, info.max, 0][:n]
    elif np.issubdtype(np_dtype, np.complexfloating):
        a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np_dtype)
        a[0] = complex(np.finfo(np_dtype).max, -0.0)
    else:
        a = rng.standard_normal(n).astype(np_dtype)
        a[:4] = [np.nan, -np.inf, -0.0, np.finfo(np_dtype).max][:n]
    return a.reshape(shape)


def bf16_bits(f32):
    """float32 -> bfloat16 bit patterns, rounded to nearest even (NaN kept quiet)."""
    bits = np.asarray(f32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    out = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(f32, dtype=np.float32))
    out[nan] = 0x7FC0
    return out


def le_bytes(a):
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def tensor(name, onnx_type, shape, raw=None, **typed):
    """A TensorProto with its data in raw_data (raw) or in typed fields."""
    t = TensorProto()
    t.name = name
    t.data_type = onnx_type
    t.dims.extend(shape)
    if raw is not None:
        t.raw_data = raw
    for field, vals in typed.items():
        getattr(t, field).extend(vals)
    return t


def dtype_tensors(rng, typed, shape=(2, 3)):
    """One initializer of every dtype that has a contract name and an ONNX type
    onnx 1.12 knows, in raw_data (typed=False) or in the typed fields."""
    tensors, expected = [], []
    for onnx_type, dname, np_dtype in DTYPES:
        name = "%s.%s" % ("typed" if typed else "raw", dname)
        if np_dtype is None:  # bfloat16
            bits = bf16_bits(values(rng, np.float32, shape))
            raw = le_bytes(bits)
            t = (tensor(name, onnx_type, shape, int32_data=bits.ravel().tolist()) if typed
                 else tensor(name, onnx_type, shape, raw=raw))
        else:
            a = values(rng, np_dtype, shape)
            raw = le_bytes(a)
            if not typed:
                t = numpy_helper.from_array(a, name)
            else:
                flat = a.ravel()
                if np_dtype in (np.float32,):
                    t = tensor(name, onnx_type, shape, float_data=flat.tolist())
                elif np_dtype in (np.complex64,):
                    t = tensor(name, onnx_type, shape,
                               float_data=flat.view(np.float32).tolist())
                elif np_dtype in (np.float64,):
                    t = tensor(name, onnx_type, shape, double_data=flat.tolist())
                elif np_dtype in (np.complex128,):
                    t = tensor(name, onnx_type, shape,
                               double_data=flat.view(np.float64).tolist())
                elif np_dtype == np.int64:
                    t = tensor(name, onnx_type, shape, int64_data=flat.tolist())
                elif np_dtype in (np.uint32, np.uint64):
                    t = tensor(name, onnx_type, shape, uint64_data=flat.tolist())
                elif np_dtype == np.float16:
                    t = tensor(name, onnx_type, shape,
                               int32_data=flat.view(np.uint16).tolist())
                else:  # int8/16/32, uint8/16, bool: negative values as 10-byte varints
                    t = tensor(name, onnx_type, shape, int32_data=flat.astype(np.int64).tolist())
            # onnx 1.12's to_array fails on complex values in typed fields
            if not (typed and np.issubdtype(np_dtype, np.complexfloating)):
                assert le_bytes(numpy_helper.to_array(t)) == raw, name
        tensors.append(t)
        expected.append(entry(name, dname, shape, raw))
    return tensors, expected


def identity_graph(name, initializers, inputs=None, outputs=None, nodes=None):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])]
    nodes = nodes or [helper.make_node("Identity", ["x"], ["y"], name="identity")]
    return helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)


def make_model(graph, check=True, **kw):
    kw.setdefault("opset_imports", [helper.make_opsetid("", 13)])
    m = helper.make_model(graph, producer_name="modelctl-fixtures", producer_version="1", **kw)
    if check:
        onnx.checker.check_model(m)
    return m


def save(out, name, model, expected, metadata=None, seed=True):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    assert dict(metadata or {}) == {p.key: p.value for p in model.metadata_props}
    out[name] = expected_report(model, expected)
    if seed:
        shutil.copyfile(path, os.path.join(CORPUS, name))


# ---- the expected report -------------------------------------------------------
# `modelctl dump --format json` of an ONNX model, rebuilt here from the model
# with the onnx package.  Floats are written as the shortest text that reads
# back as the same value of their own type (float32 for attributes, a
# tensor's dtype for its elements), NaN and the infinities as strings.

ELEM_NAMES = {t: name for t, name, _ in DTYPES}
ELEM_NAMES.update({FLOAT8E4M3FN: "float8_e4m3fn", FLOAT8E5M2: "float8_e5m2",
                   FLOAT8E4M3FNUZ: "float8_e4m3fnuz", FLOAT8E5M2FNUZ: "float8_e5m2fnuz",
                   UINT4: "uint4", INT4: "int4", FLOAT4E2M1: "float4_e2m1fn"})
ITEMSIZE = {name: (np.dtype(npd).itemsize if npd else 2) for _, name, npd in DTYPES}
ITEMSIZE.update({"float8_e4m3fn": 1, "float8_e5m2": 1, "float8_e4m3fnuz": 1,
                 "float8_e5m2fnuz": 1})
ONNX_ONLY_NAMES = {TensorProto.STRING: "string"}
# tensor elements dump shows: numpy dtype of each contract dtype it reads
ELEM_NUMPY = {name: npd for _, name, npd in DTYPES if npd is not None}
SMALL_TENSOR = 16


def elem_name(elem_type):
    """The contract's dtype name of an ONNX element type, ONNX's own in lower
    case for types modelctl has no dtype for, None for 0 and unknown numbers."""
    return ELEM_NAMES.get(elem_type) or ONNX_ONLY_NAMES.get(elem_type)


def shortest(x):
    """A numpy float as dump writes it: the shortest decimal that reads back
    as the same value of its type, as a Python float; nan/inf as strings."""
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(np.format_float_scientific(x, unique=True))


def type_text(tp):
    """A TypeProto as modelctl names it: tensor(float32), seq(...), map(k,v)."""
    kind = tp.WhichOneof("value")
    if kind in ("tensor_type", "sparse_tensor_type"):
        t = getattr(tp, kind)
        et = t.elem_type if t.HasField("elem_type") else 0
        name = elem_name(et)
        return "%s(%s)" % ("tensor" if kind == "tensor_type" else "sparse_tensor",
                           name if name else et)
    if kind == "sequence_type":
        return "seq(%s)" % type_text(tp.sequence_type.elem_type)
    if kind == "map_type":
        return "map(%s,%s)" % (elem_name(tp.map_type.key_type) or "?",
                               type_text(tp.map_type.value_type))
    if kind == "optional_type":
        return "optional(%s)" % type_text(tp.optional_type.elem_type)
    return "?"


def value_json(vi):
    """{"name", "dtype", "shape"}: dims as ints, symbols or None (unknown)."""
    tp = vi.type
    kind = tp.WhichOneof("value") if vi.HasField("type") else None
    out = {"name": vi.name, "dtype": None, "shape": None}
    if kind not in ("tensor_type", "sparse_tensor_type"):
        if kind is not None:
            out["dtype"] = type_text(tp)
        return out
    t = getattr(tp, kind)
    out["dtype"] = (elem_name(t.elem_type if t.HasField("elem_type") else 0)
                    if kind == "tensor_type" else type_text(tp))
    if t.HasField("shape"):
        dims = []
        for d in t.shape.dim:
            which = d.WhichOneof("value")
            if which == "dim_value" and d.dim_value >= 0:
                dims.append(d.dim_value)
            elif which == "dim_param" and d.dim_param:
                dims.append(d.dim_param)
            else:
                dims.append(None)
        out["shape"] = dims
    return out


def text_or_bytes(b):
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:
        return {"bytes": b.hex()}
    return text


def element_json(x, dtype):
    if dtype == "bool":
        return bool(x)
    if np.issubdtype(np.dtype(ELEM_NUMPY[dtype]), np.integer):
        return int(x)
    if np.issubdtype(np.dtype(ELEM_NUMPY[dtype]), np.complexfloating):
        return [shortest(x.real), shortest(x.imag)]
    return shortest(x)


def four_bit_values(t, dtype):
    """The elements of a 4-bit tensor in raw_data, decoded here from the
    format's definition (onnx 1.12 has no helper for them)."""
    n = int(np.prod(t.dims))
    nib = [(t.raw_data[i // 2] >> (4 * (i % 2))) & 0xF for i in range(n)]
    if dtype == "int4":
        return [v - 16 if v & 8 else v for v in nib]
    if dtype == "uint4":
        return nib
    e2m1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    return [-e2m1[v & 7] if v & 8 else e2m1[v & 7] for v in nib]


def tensor_json(t):
    dtype = elem_name(t.data_type)
    out = {"dtype": dtype, "shape": list(t.dims)}
    if dtype in ("int4", "uint4", "float4_e2m1fn") and int(np.prod(t.dims)) <= SMALL_TENSOR:
        out["value"] = four_bit_values(t, dtype)
    elif dtype in ELEM_NUMPY and int(np.prod(t.dims)) <= SMALL_TENSOR:
        out["value"] = [element_json(x, dtype) for x in numpy_helper.to_array(t).ravel()]
    return out


def sparse_json(sp):
    return {"sparse_tensor": {"dtype": elem_name(sp.values.data_type), "shape": list(sp.dims)}}


def attr_json(a):
    A = onnx.AttributeProto
    return {
        A.FLOAT: lambda: shortest(np.float32(a.f)),
        A.INT: lambda: a.i,
        A.STRING: lambda: text_or_bytes(a.s),
        A.TENSOR: lambda: tensor_json(a.t),
        A.GRAPH: lambda: graph_json(a.g),
        A.SPARSE_TENSOR: lambda: sparse_json(a.sparse_tensor),
        A.TYPE_PROTO: lambda: type_text(a.tp),
        A.FLOATS: lambda: [shortest(np.float32(f)) for f in a.floats],
        A.INTS: lambda: list(a.ints),
        A.STRINGS: lambda: [text_or_bytes(s) for s in a.strings],
        A.TENSORS: lambda: [tensor_json(t) for t in a.tensors],
        A.GRAPHS: lambda: [graph_json(g) for g in a.graphs],
        A.SPARSE_TENSORS: lambda: [sparse_json(sp) for sp in a.sparse_tensors],
        A.TYPE_PROTOS: lambda: [type_text(tp) for tp in a.type_protos],
    }[a.type]()


def node_json(n):
    return {"name": n.name, "op_type": n.op_type, "domain": n.domain,
            "inputs": list(n.input), "outputs": list(n.output),
            "attributes": {a.name: attr_json(a) for a in n.attribute}}


def inputs_json(g):
    """Graph inputs less initializers (which models before IR 4 list there)."""
    inits = {t.name for t in g.initializer}
    return [value_json(vi) for vi in g.input if vi.name not in inits]


def graph_json(g):
    """A subgraph; its initializers' nbytes where modelctl has their dtype."""
    inits = []
    for t in g.initializer:
        e = {"name": t.name, "dtype": elem_name(t.data_type), "shape": list(t.dims)}
        if e["dtype"] in ITEMSIZE:
            e["nbytes"] = int(np.prod(t.dims)) * ITEMSIZE[e["dtype"]]
        inits.append(e)
    return {"name": g.name, "inputs": inputs_json(g),
            "outputs": [value_json(vi) for vi in g.output],
            "nodes": [node_json(n) for n in g.node], "initializers": inits}


def expected_report(model, initializers):
    """The report of a model whose main-graph initializers are `initializers`
    (entries made by entry(), from the values the script put in)."""
    g = model.graph
    assert [t.name for t in g.initializer] == [e["name"] for e in initializers]
    return {"format": "onnx", "ir_version": model.ir_version,
            "opset": {(o.domain if o.domain not in ("", "ai.onnx") else "ai.onnx"): o.version
                      for o in model.opset_import},
            "producer_name": model.producer_name, "producer_version": model.producer_version,
            "graph_name": g.name, "inputs": inputs_json(g),
            "outputs": [value_json(vi) for vi in g.output],
            "nodes": [node_json(n) for n in g.node],
            "initializers": initializers,
            "metadata": {p.key: p.value for p in model.metadata_props}}


# ---- the fixtures ------------------------------------------------------------

def dtypes(out):
    rng = np.random.default_rng(1)
    for typed in (False, True):
        tensors, expected = dtype_tensors(rng, typed)
        name = "dtypes_typed.onnx" if typed else "dtypes_raw.onnx"
        save(out, name, make_model(identity_graph(name[:-5], tensors)), expected)


def float8(out):
    """float8 e4m3fn and e5m2 by number (ONNX 1.14): every byte pattern once
    each, in raw_data and in int32_data."""
    tensors, expected = [], []
    pattern = bytes(range(256))
    for onnx_type, dname in ((FLOAT8E4M3FN, "float8_e4m3fn"), (FLOAT8E5M2, "float8_e5m2")):
        tensors.append(tensor("raw." + dname, onnx_type, (16, 16), raw=pattern))
        expected.append(entry("raw." + dname, dname, (16, 16), pattern))
        tensors.append(tensor("typed." + dname, onnx_type, (4, 64), int32_data=list(pattern)))
        expected.append(entry("typed." + dname, dname, (4, 64), pattern))
    save(out, "float8.onnx", make_model(identity_graph("float8", tensors), check=False), expected)


def pack4(nibbles):
    """4-bit elements two to a byte, the first in the low nibble (ONNX 1.16)."""
    nibbles = list(nibbles) + [0] * (len(nibbles) % 2)
    return bytes(lo | hi << 4 for lo, hi in zip(nibbles[0::2], nibbles[1::2]))


def narrow(out):
    """The element types ONNX added after 1.12, by number: float8 fnuz
    (every byte pattern) and
    the 4-bit int4, uint4 and float4e2m1, packed two to a byte in raw_data
    and one packed pair per int32_data value, with an odd element count so
    the last byte is half used."""
    tensors, expected = [], []
    pattern = bytes(range(256))
    for onnx_type, dname in ((FLOAT8E4M3FNUZ, "float8_e4m3fnuz"),
                             (FLOAT8E5M2FNUZ, "float8_e5m2fnuz")):
        tensors.append(tensor("raw." + dname, onnx_type, (16, 16), raw=pattern))
        expected.append(entry("raw." + dname, dname, (16, 16), pattern))
        tensors.append(tensor("typed." + dname, onnx_type, (256,), int32_data=list(pattern)))
        expected.append(entry("typed." + dname, dname, (256,), pattern))
    nibbles = [(i * 7 + 3) % 16 for i in range(15)]  # every pattern, odd count
    for onnx_type, dname in ((INT4, "int4"), (UINT4, "uint4"), (FLOAT4E2M1, "float4_e2m1fn")):
        packed = pack4(nibbles)
        tensors.append(tensor("raw." + dname, onnx_type, (3, 5), raw=packed))
        expected.append(entry("raw." + dname, dname, (3, 5), packed))
        tensors.append(tensor("typed." + dname, onnx_type, (15,), int32_data=list(packed)))
        expected.append(entry("typed." + dname, dname, (15,), packed))
    # small 4-bit constants, whose elements dump shows
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="identity")]
    for onnx_type, dname in ((INT4, "int4"), (UINT4, "uint4"), (FLOAT4E2M1, "float4_e2m1fn")):
        nodes.append(helper.make_node("Constant", [], ["c." + dname], name="const." + dname,
                                      value=tensor("", onnx_type, (5,), raw=pack4(nibbles[:5]))))
    graph = identity_graph("narrow", tensors, nodes=nodes)
    save(out, "narrow.onnx", make_model(graph, check=False), expected)


def scalar_empty(out):
    """0-d tensors and empty tensors, with and without a data field."""
    f = np.array(-1.5, dtype=np.float32)
    tensors = [numpy_helper.from_array(f, "scalar.raw"),
               tensor("scalar.typed", TensorProto.INT64, (), int64_data=[-7]),
               numpy_helper.from_array(np.zeros((0, 3), np.float32), "empty.raw"),
               tensor("empty.none", TensorProto.INT32, (2, 0))]
    expected = [entry("scalar.raw", "float32", (), le_bytes(f)),
                entry("scalar.typed", "int64", (), struct.pack("<q", -7)),
                entry("empty.raw", "float32", (0, 3), b""),
                entry("empty.none", "int32", (2, 0), b"")]
    save(out, "scalar_empty.onnx", make_model(identity_graph("scalar_empty", tensors)), expected)


def symbolic(out):
    """Symbolic, fixed and unknown dims, metadata_props, a second opset domain."""
    rng = np.random.default_rng(2)
    emb = values(rng, np.float32, (16, 8))
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                         ["batch", "sequence"])
    image = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT,
                                          ["batch", 3, None, 4])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                           ["batch", "sequence", 8])
    mask_out = helper.make_tensor_value_info("mask_out", TensorProto.INT64,
                                             ["batch", "sequence"])
    image_out = helper.make_tensor_value_info("image_out", TensorProto.FLOAT,
                                              ["batch", 3, None, 4])
    nodes = [helper.make_node("Gather", ["embed.weight", "input_ids"], ["logits"], name="embed",
                              axis=0),
             helper.make_node("Identity", ["attention_mask"], ["mask_out"], name="mask"),
             helper.make_node("Identity", ["pixel_values"], ["pixels"], name="image"),
             helper.make_node("Identity", ["pixels"], ["image_out"], name="image2")]
    # value_info: an intermediate of any rank (no shape at all)
    graph = helper.make_graph(nodes, "symbolic", [ids, mask, image],
                              [logits, mask_out, image_out],
                              initializer=[numpy_helper.from_array(emb, "embed.weight")],
                              value_info=[helper.make_tensor_value_info(
                                  "pixels", TensorProto.FLOAT, None)])
    meta = {"author": "modelctl", "labels": json.dumps(["ok", "defect"]),
            "note": "caf\u00e9 \"quoted\""}
    m = make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                         helper.make_opsetid("com.microsoft", 1)],
                   doc_string="fixture with symbolic dims", model_version=7,
                   domain="ai.modelctl.test")
    helper.set_model_props(m, meta)
    onnx.checker.check_model(m)
    save(out, "symbolic.onnx", m, [entry("embed.weight", "float32", (16, 8), le_bytes(emb))],
         meta)


def attributes(out):
    """A node of a custom domain with an attribute of every type."""
    sub = helper.make_graph([helper.make_node("Identity", ["a"], ["b"])], "attr_graph",
                            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                            [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    t1 = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "attr.t")
    t2 = tensor("attr.t2", TensorProto.INT64, (3,), int64_data=[1, -2, 3])
    sparse = helper.make_sparse_tensor(
        numpy_helper.from_array(np.array([1.5, 2.5], np.float32), "sparse.values"),
        numpy_helper.from_array(np.array([1, 4], np.int64), "sparse.indices"), [6])
    tp = helper.make_tensor_type_proto(TensorProto.FLOAT, ["n", 2])
    node = helper.make_node("AllAttrs", ["x"], ["y"], name="all_attrs", domain="mc.test",
                            f=0.5, i=-3, s="text", t=t1, g=sub, floats=[1.0, -2.5],
                            ints=[1, 2, -3], strings=["a", "bc"], tensors=[t1, t2],
                            graphs=[sub, sub])
    for name, typ, field, value in (
            ("sparse_tensor", onnx.AttributeProto.SPARSE_TENSOR, "sparse_tensor", sparse),
            ("tp", onnx.AttributeProto.TYPE_PROTO, "tp", tp)):
        a = node.attribute.add()
        a.name, a.type = name, typ
        getattr(a, field).CopyFrom(value)
    for name, typ, field, value in (
            ("sparse_tensors", onnx.AttributeProto.SPARSE_TENSORS, "sparse_tensors", sparse),
            ("type_protos", onnx.AttributeProto.TYPE_PROTOS, "type_protos", tp)):
        a = node.attribute.add()
        a.name, a.type = name, typ
        getattr(a, field).add().CopyFrom(value)
    graph = identity_graph("attributes", [], nodes=[node])
    m = make_model(graph, check=False, opset_imports=[helper.make_opsetid("", 13),
                                                      helper.make_opsetid("mc.test", 1)])
    save(out, "attributes.onnx", m, [])


def subgraphs(out):
    """If nodes with then/else bodies, one nested in the other's else branch;
    Constant nodes and an initializer inside the bodies."""
    def const(name, vals):
        return helper.make_node("Constant", [], [name], name=name + "_node",
                                value=numpy_helper.from_array(np.array(vals, np.float32),
                                                              name + "_value"))

    def branch(name, nodes, out_name, inits=()):
        return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(
            out_name, TensorProto.FLOAT, [2])], initializer=list(inits))

    inner_then = branch("inner_then", [const("c1", [1, 2])], "c1")
    inner_else = branch("inner_else", [const("c2", [3, 4])], "c2")
    bias = numpy_helper.from_array(np.array([0.5, -0.5], np.float32), "then_bias")
    outer_then = branch("outer_then", [const("c0", [5, 6]),
                                       helper.make_node("Add", ["c0", "then_bias"], ["t0"])],
                        "t0", [bias])
    outer_else = branch("outer_else", [helper.make_node("If", ["cond"], ["e0"], name="inner_if",
                                                        then_branch=inner_then,
                                                        else_branch=inner_else)], "e0")
    scale = np.array([2.0, 3.0], np.float32)
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["branch"], name="outer_if", then_branch=outer_then,
                          else_branch=outer_else),
         helper.make_node("Mul", ["branch", "scale"], ["y"], name="scale")],
        "subgraphs", [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        initializer=[numpy_helper.from_array(scale, "scale")])
    save(out, "subgraphs.onnx", make_model(graph),
         [entry("scale", "float32", (2,), le_bytes(scale))])


def external(out):
    """Initializers whose data lies in external.bin beside the model, at given
    offsets (one page-aligned, one without an offset, the last without a
    length: it runs to the end of the file), and one kept inline."""
    rng = np.random.default_rng(3)
    a = values(rng, np.float32, (4, 4))
    b = values(rng, np.int64, (3,))
    c = values(rng, np.float16, (2, 2))
    blob = bytearray(le_bytes(b))          # offset 0 (no offset key)
    blob += bytes(4096 - len(blob))
    blob += le_bytes(a)                     # offset 4096
    blob += bytes(8192 - len(blob))
    blob += le_bytes(c)                     # offset 8192, to the end
    with open(os.path.join(HERE, "external.bin"), "wb") as f:
        f.write(blob)

    def ext(name, onnx_type, shape, kv):
        t = tensor(name, onnx_type, shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in kv:
            e = t.external_data.add()
            e.key, e.value = k, v
        return t

    inline = values(rng, np.float32, (2,))
    tensors = [ext("ext.a", TensorProto.FLOAT, (4, 4),
                   [("location", "external.bin"), ("offset", "4096"), ("length", "64")]),
               ext("ext.b", TensorProto.INT64, (3,),
                   [("location", "external.bin"), ("length", "24")]),
               ext("ext.c", TensorProto.FLOAT16, (2, 2),
                   [("location", "external.bin"), ("offset", "8192")]),
               numpy_helper.from_array(inline, "inline")]
    expected = [entry("ext.a", "float32", (4, 4), le_bytes(a)),
                entry("ext.b", "int64", (3,), le_bytes(b)),
                entry("ext.c", "float16", (2, 2), le_bytes(c)),
                entry("inline", "float32", (2,), le_bytes(inline))]
    m = make_model(identity_graph("external", tensors), check=False)
    save(out, "external.onnx", m, expected, seed=False)
    onnx.checker.check_model(os.path.join(HERE, "external.onnx"))
    loaded = onnx.load(os.path.join(HERE, "external.onnx"))
    for t, e in zip(loaded.graph.initializer, expected):
        assert sha(le_bytes(numpy_helper.to_array(t))) == e["sha256"], t.name


def torch_export(out):
    """A tiny conv + batch norm + linear classifier exported by torch.onnx with
    a dynamic batch axis (opset 13, constants folded: batch norm folds into
    the convolution)."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        net[1].running_mean.copy_(torch.randn(4) * 0.1)
        net[1].running_var.copy_(torch.rand(4) + 0.5)
    net.eval()
    path = os.path.join(HERE, "torch_convbn.onnx")
    torch.onnx.export(net, torch.randn(2, 3, 8, 8), path, input_names=["input"],
                      output_names=["output"], opset_version=13, do_constant_folding=True,
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    m = onnx.load(path)
    onnx.checker.check_model(m)
    expected = []
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        expected.append(entry(t.name, {np.dtype(np.float32): "float32",
                                       np.dtype(np.int64): "int64"}[a.dtype],
                              list(t.dims), le_bytes(a)))
    out["torch_convbn.onnx"] = expected_report(m, expected)
    shutil.copyfile(path, os.path.join(CORPUS, "torch_convbn.onnx"))


def expected_json(exp):
    """The expected report as JSON with one key, node and initializer per
    line, for readable diffs."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    lines = []
    for key, value in exp.items():
        if isinstance(value, list) and value and key in ("nodes", "initializers"):
            items = ",\n".join("  " + dump(v) for v in value)
            lines.append("%s: [\n%s\n ]" % (dump(key), items))
        else:
            lines.append("%s: %s" % (dump(key), dump(value)))
    return "{" + ",\n ".join(lines) + "}\n"


def main():
    os.makedirs(CORPUS, exist_ok=True)
    out = {}
    dtypes(out)
    float8(out)
    narrow(out)
    scalar_empty(out)
    symbolic(out)
    attributes(out)
    subgraphs(out)
    external(out)
    torch_export(out)
    for name, exp in out.items():
        with open(os.path.join(EXPECTED, "onnx__%s.json" % name), "w", encoding="utf-8") as f:
            f.write(expected_json(exp))
    print("wrote %d ONNX fixtures" % len(out))


if __name__ == "__main__":
    main()
