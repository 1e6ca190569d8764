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
  testdata/expected/onnx__<name>.json    {"format", "tensors": [{"name",
                                         "dtype", "shape", "nbytes", "sha256"}],
                                         "metadata"} as tests/cli/fixtures_test.py
                                         compares them with `modelctl dump`
  tests/fuzz/corpus/onnx/<name>.onnx     the fixtures a model read from memory
                                         can hold (no external data): fuzz seeds

The sha256 of each tensor is computed here from the values the script put in
(dense, C order, little-endian), never from modelctl's output; where numpy
has the dtype, onnx.numpy_helper.to_array must agree with it.  ONNX 1.12
does not know the float8 element types (17 and 19, added in ONNX 1.14), so
float8.onnx sets data_type by number and is not run through onnx.checker;
every other model is.
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

FLOAT8E4M3FN, FLOAT8E5M2 = 17, 19

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
    out[name] = {"format": "onnx", "tensors": expected, "metadata": metadata or {}}
    if seed:
        shutil.copyfile(path, os.path.join(CORPUS, name))


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
    out["torch_convbn.onnx"] = {"format": "onnx", "tensors": expected, "metadata": {}}
    shutil.copyfile(path, os.path.join(CORPUS, "torch_convbn.onnx"))


def expected_json(exp):
    """The expected values as JSON with one tensor per line, for readable diffs."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    tensors = ",\n".join("  " + dump(t) for t in exp["tensors"])
    tensors = "[\n%s\n ]" % tensors if tensors else "[]"
    return ('{"format": %s,\n "tensors": %s,\n "metadata": %s}\n'
            % (dump(exp["format"]), tensors, dump(exp["metadata"])))


def main():
    os.makedirs(CORPUS, exist_ok=True)
    out = {}
    dtypes(out)
    float8(out)
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
