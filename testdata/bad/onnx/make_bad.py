#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hostile ONNX files beside this script and their README.md.

Deterministic, standard library only: the protobuf wire format is written
by hand below, so that files can break it in ways no protobuf library
would write.  Run from anywhere:
    python3 testdata/bad/onnx/make_bad.py
tests/unit/test_onnx.c reads README.md's table and checks that opening each
*.onnx file by its path as ONNX (mc_reader_open_as(path, "onnx"), then
reading every tensor) fails with the listed code and a message containing
the fragment, so the table below is the one place to add a case.  The
external data the ext_* models name sits in data/ (a subdirectory, so that
the walks over this directory's files see only models): data/ext_data.bin
and data/escape.bin, a symbolic link out of this directory.  The fuzz
replay also feeds every model here to the reader from memory, where
external data is refused outright.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- the wire format -----------------------------------------------------------

VARINT, I64, LEN, I32 = 0, 1, 2, 5


def varint(v):
    v &= (1 << 64) - 1  # negative values as 10-byte two's complement, as protobuf does
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def f_int(field, v):
    return key(field, VARINT) + varint(v)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return key(field, LEN) + varint(len(b)) + b


def f_len(field, n, payload=b""):
    """A length-delimited field whose length says n, whatever follows."""
    return key(field, LEN) + varint(n) + payload


def packed_floats(field, vals):
    return f_bytes(field, b"".join(struct.pack("<f", v) for v in vals))


def packed_varints(field, vals):
    return f_bytes(field, b"".join(varint(v) for v in vals))


# ---- ONNX messages (field numbers from onnx.proto) ---------------------------

FLOAT, INT64, STRING = 1, 7, 8


def tensor(name="w", dtype=FLOAT, dims=(2,), raw=struct.pack("<2f", 1.0, 2.0), extra=b""):
    out = b"".join(f_int(1, d) for d in dims)
    if dtype is not None:
        out += f_int(2, dtype)
    if name is not None:
        out += f_bytes(8, name)
    if raw is not None:
        out += f_bytes(9, raw)
    return out + extra


def external(location=None, offset=None, length=None, dims=(4,), extra=b""):
    kv = []
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            kv.append(f_bytes(13, f_bytes(1, k) + f_bytes(2, v)))
    return tensor(dims=dims, raw=None, extra=b"".join(kv) + f_int(14, 1) + extra)


def value_info(name, elem_type=FLOAT, dims=(1,)):
    shape = b"".join(f_bytes(1, f_int(1, d)) for d in dims)
    tensor_type = f_int(1, elem_type) + f_bytes(2, shape)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, tensor_type))


def node(op, inputs, outputs, attrs=(), name=None):
    out = b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs)
    if name:
        out += f_bytes(3, name)
    return out + f_bytes(4, op) + b"".join(f_bytes(5, a) for a in attrs)


def graph(nodes=None, inits=(tensor(),), extra=b""):
    if nodes is None:
        nodes = [node("Identity", ["x"], ["y"])]
    return (b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "g") +
            b"".join(f_bytes(5, t) for t in inits) + f_bytes(11, value_info("x")) +
            f_bytes(12, value_info("y")) + extra)


def model(g=None, ir=8, extra=b"", opsets=(("", 13),)):
    out = f_int(1, ir) if ir is not None else b""
    for domain, version in opsets:
        out += f_bytes(8, f_bytes(1, domain) + f_int(2, version))
    out += f_bytes(2, "make_bad")
    if g is not None:
        out += f_bytes(7, g)
    return out + extra


def with_init(t, **kw):
    return model(graph(inits=(t,)), **kw)


def if_node(depth):
    """An If whose then branch holds an If whose then branch ... `depth` deep."""
    body = graph(nodes=[node("Identity", ["x"], ["y"])], inits=())
    for _ in range(depth):
        attr = f_bytes(1, "then_branch") + f_bytes(6, body) + f_int(20, 5)
        body = graph(nodes=[node("If", ["c"], ["y"], [attr])], inits=())
    return body


def seq_type(depth):
    t = f_bytes(1, f_int(1, FLOAT))  # TypeProto{tensor_type{elem_type}}
    for _ in range(depth):
        t = f_bytes(4, f_bytes(1, t))  # TypeProto{sequence_type{elem_type: t}}
    return t


BASE = model(graph())

# (file, reason, code, message fragment, bytes)
CASES = [
    ("empty.onnx", "empty file: an empty message, without ir_version", "MC_ECORRUPT",
     "no ir_version", b""),
    ("no_ir_version.onnx", "a graph but no ir_version", "MC_ECORRUPT", "no ir_version",
     model(graph(), ir=None)),
    ("no_graph.onnx", "ir_version and opsets, no graph", "MC_ECORRUPT", "model has no graph",
     model(None)),
    ("truncated.onnx", "a valid model cut inside its graph", "MC_ECORRUPT",
     "passes the end of the enclosing message", BASE[: len(BASE) - 20]),
    ("truncated_varint.onnx", "the file ends inside the graph's length varint", "MC_ECORRUPT",
     "truncated varint", f_int(1, 8) + key(7, LEN) + b"\xff\xff"),
    ("trailing_garbage.onnx", "a valid model followed by a byte of wire type 7",
     "MC_ECORRUPT", "wire type 7", BASE + b"\x0f"),
    ("wrong_wire_type.onnx", "ModelProto.graph as a varint", "MC_ECORRUPT",
     "ModelProto.graph (field 7) has wire type 0 (varint), not 2",
     f_int(1, 8) + f_int(7, 5)),
    ("wrong_wire_type_dims.onnx", "TensorProto.dims as a 32-bit value", "MC_ECORRUPT",
     "TensorProto.dims (field 1) has wire type 5",
     with_init(key(1, I32) + struct.pack("<I", 2) + tensor(dims=()))),
    ("wrong_wire_type_data_type.onnx", "TensorProto.data_type length-delimited",
     "MC_ECORRUPT", "TensorProto.data_type (field 2) has wire type 2",
     with_init(f_bytes(2, b"\x01") + tensor(dtype=None))),
    ("length_past_end.onnx", "graph length 0x7fffffff", "MC_ECORRUPT",
     "length 2147483647 passes the end", f_int(1, 8) + f_len(7, 0x7FFFFFFF, b"\0" * 16)),
    ("length_2pow63.onnx", "graph length 2^63", "MC_ECORRUPT",
     "length 9223372036854775808 passes the end", f_int(1, 8) + f_len(7, 1 << 63)),
    ("length_u64max.onnx", "initializer raw_data length 2^64-1", "MC_ECORRUPT",
     "length 18446744073709551615 passes the end",
     with_init(tensor(raw=None) + f_len(9, (1 << 64) - 1, b"\0" * 8))),
    ("varint_too_long.onnx", "ir_version a 10-byte varint past 64 bits", "MC_ECORRUPT",
     "varint larger than 64 bits", key(1, VARINT) + b"\xff" * 9 + b"\x02"),
    ("group.onnx", "a field of wire type 3 (group)", "MC_ECORRUPT", "wire type 3 (group start)",
     f_int(1, 8) + key(3, 3)),
    ("field_zero.onnx", "a tag with field number 0", "MC_ECORRUPT",
     "field number 0 in ModelProto", f_int(1, 8) + b"\x02\x00"),
    ("duplicate_graph.onnx", "two graph fields (protobuf would merge them)", "MC_ECORRUPT",
     "ModelProto.graph appears twice", model(graph(), extra=f_bytes(7, graph()))),
    ("duplicate_attr_tensor.onnx", "an attribute's t field twice", "MC_ECORRUPT",
     "AttributeProto.t appears twice",
     model(graph(nodes=[node("Constant", [], ["y"], [
         f_bytes(1, "value") + f_bytes(5, tensor()) + f_bytes(5, tensor()) + f_int(20, 4)])]))),
    ("absurd_count.onnx", "dims [1000000000] over 3 floats", "MC_ECORRUPT",
     "float_data holds 3 values but float32 [1000000000] needs 1000000000",
     with_init(tensor(dims=(1000000000,), raw=None, extra=packed_floats(4, [1, 2, 3])))),
    ("absurd_count_many.onnx", "dims [3] over 1000 int64 values", "MC_ECORRUPT",
     "int64_data holds 1000 values but int64 [3] needs 3",
     with_init(tensor(dtype=INT64, dims=(3,), raw=None,
                      extra=packed_varints(7, range(1000))))),
    ("shape_overflow.onnx", "dims [2^62, 2^62]: the element count overflows", "MC_ELIMIT",
     "holds too many elements", with_init(tensor(dims=(1 << 62, 1 << 62), raw=b""))),
    ("too_many_dims.onnx", "65 dims of 1", "MC_ELIMIT", "65 dims, more than the 64",
     with_init(tensor(dims=(1,) * 65, raw=b"\0" * 4))),
    ("negative_dim.onnx", "dims [-1]", "MC_ECORRUPT", "dim 0 is negative (-1)",
     with_init(tensor(dims=(-1,)))),
    ("packed_partial.onnx", "float_data packed in 7 bytes", "MC_ECORRUPT",
     "not a whole number of 4-byte values",
     with_init(tensor(raw=None, extra=f_bytes(4, b"\0" * 7)))),
    ("packed_varint_cut.onnx", "int64_data packed, its last varint cut", "MC_ECORRUPT",
     "truncated varint",
     with_init(tensor(dtype=INT64, raw=None, extra=f_bytes(7, b"\x01\x80")))),
    ("raw_size_mismatch.onnx", "5 bytes of raw_data for float32 [2]", "MC_ECORRUPT",
     "raw_data holds 5 bytes but float32 [2] needs 8", with_init(tensor(raw=b"\0" * 5))),
    ("raw_and_typed.onnx", "raw_data and float_data both", "MC_ECORRUPT",
     "tensor holds both raw_data and float_data",
     with_init(tensor(extra=packed_floats(4, [1, 2])))),
    ("wrong_typed_field.onnx", "an int64 tensor's values in float_data", "MC_ECORRUPT",
     "float_data holds values, but int64 tensors keep them in int64_data",
     with_init(tensor(dtype=INT64, raw=None, extra=packed_floats(4, [1, 2])))),
    ("no_data.onnx", "float32 [2] without any data", "MC_ECORRUPT",
     "tensor holds no data for the 2 elements", with_init(tensor(raw=None))),
    ("no_data_type.onnx", "an initializer without data_type", "MC_ECORRUPT",
     "tensor has no element type", with_init(tensor(dtype=None))),
    ("string_initializer.onnx", "a string initializer", "MC_EUNSUPPORTED",
     "element type string has no modelctl dtype",
     with_init(tensor(dtype=STRING, raw=None, extra=f_bytes(6, "a") + f_bytes(6, "b")))),
    ("int4_size_mismatch.onnx", "an int4 [3] initializer with 1 byte of raw_data (needs 2)",
     "MC_ECORRUPT", "raw_data holds 1 bytes but int4 [3] needs 2",
     with_init(tensor(dtype=22, dims=(3,), raw=b"\x12"))),
    ("unknown_dtype.onnx", "element type 99", "MC_EUNSUPPORTED", "unknown element type 99",
     with_init(tensor(dtype=99))),
    ("segment.onnx", "a TensorProto.segment", "MC_EUNSUPPORTED", "segment of a larger one",
     with_init(tensor(extra=f_bytes(3, f_int(1, 0) + f_int(2, 2))))),
    ("unknown_data_location.onnx", "data_location 5", "MC_ECORRUPT", "unknown data_location 5",
     with_init(tensor(extra=f_int(14, 5)))),
    ("sparse_initializer.onnx", "a sparse initializer", "MC_EUNSUPPORTED",
     "sparse initializer 'sp'",
     model(graph(inits=(), extra=f_bytes(15, f_bytes(1, tensor(name="sp")) +
                                          f_bytes(2, tensor(name="sp.idx", dtype=INT64,
                                                            raw=struct.pack("<2q", 0, 3))) +
                                          f_int(3, 8))))),
    ("duplicate_initializer.onnx", "two initializers called 'w'", "MC_ECORRUPT",
     "initializer 'w' is given twice", model(graph(inits=(tensor(), tensor())))),
    ("unnamed_initializer.onnx", "an initializer without a name", "MC_ECORRUPT",
     "initializer 0 has no name", with_init(tensor(name=None))),
    ("duplicate_metadata.onnx", "metadata_props key 'k' twice", "MC_ECORRUPT",
     "metadata_props lists 'k' twice",
     model(graph(), extra=f_bytes(14, f_bytes(1, "k") + f_bytes(2, "1")) +
           f_bytes(14, f_bytes(1, "k") + f_bytes(2, "2")))),
    ("duplicate_opset.onnx", "the default domain imported twice", "MC_ECORRUPT",
     "opset_import lists 'ai.onnx' twice", model(graph(), opsets=(("", 13), ("ai.onnx", 11)))),
    ("deep_subgraph.onnx", "If bodies nested 40 deep (3 messages each)", "MC_ELIMIT",
     "messages nested more than 100 deep", model(if_node(40))),
    ("deep_type.onnx", "a sequence type nested 60 deep in a graph input", "MC_ELIMIT",
     "messages nested more than 100 deep",
     model(graph(extra=f_bytes(11, f_bytes(1, "s") + f_bytes(2, seq_type(60)))))),
    ("ext_absolute.onnx", "external data at an absolute path", "MC_EUNSAFE",
     "external data location '/etc/passwd' is an absolute path",
     with_init(external("/etc/passwd", "0", "16"))),
    ("ext_dotdot.onnx", "external data in the parent directory", "MC_EUNSAFE",
     "leaves the model's directory", with_init(external("../onnx/data/ext_data.bin", "0", "16"))),
    ("ext_dotdot_inner.onnx", "'..' after a directory: sub/../../x", "MC_EUNSAFE",
     "leaves the model's directory", with_init(external("data/../../onnx/data/ext_data.bin"))),
    ("ext_symlink.onnx", "data/escape.bin is a symbolic link to testdata/README.md",
     "MC_EUNSAFE", "resolves outside the model's directory",
     with_init(external("data/escape.bin", "0", "16"))),
    ("ext_past_end.onnx", "offset 8 + length 16 in the 16 bytes of data/ext_data.bin",
     "MC_ECORRUPT", "external data range 8+16 passes the end of 'data/ext_data.bin' (16 bytes)",
     with_init(external("data/ext_data.bin", "8", "16"))),
    ("ext_offset_past_end.onnx", "offset 1000 in data/ext_data.bin", "MC_ECORRUPT",
     "external data offset 1000 passes the end",
     with_init(external("data/ext_data.bin", "1000"))),
    ("ext_length_mismatch.onnx", "length 8 for float32 [4]", "MC_ECORRUPT",
     "external data holds 8 bytes but float32 [4] needs 16",
     with_init(external("data/ext_data.bin", "0", "8"))),

    ("ext_no_location.onnx", "external_data without a location", "MC_ECORRUPT",
     "gives no location", with_init(external(None, "0", "16"))),
    ("ext_bad_offset.onnx", "offset '12abc'", "MC_ECORRUPT",
     "external data offset '12abc' is not a non-negative integer",
     with_init(external("data/ext_data.bin", "12abc", "16"))),
    ("ext_and_raw.onnx", "data_location EXTERNAL and raw_data", "MC_ECORRUPT",
     "stored externally but the tensor also holds raw_data",
     with_init(external("data/ext_data.bin", "0", "16", extra=f_bytes(9, b"\0" * 16)))),
]


def readme():
    lines = [
        "# Hostile ONNX files",
        "",
        "Every `*.onnx` file here must be refused.  They are written by `make_bad.py`",
        "(standard library only; run it after changing its table, it also rewrites this",
        "README).  `tests/unit/test_onnx.c` opens each by its path as ONNX",
        "(`mc_reader_open_as(path, \"onnx\")`, then reads every tensor) and checks the",
        "code and that the message contains the fragment.  The external data the `ext_*`",
        "models name sits in `data/`: `ext_data.bin` (16 bytes) and `escape.bin`, a symbolic",
        "link to `../../../README.md` (testdata/README.md, outside this directory).  The",
        "fuzz replay feeds every model to the reader from memory too, where external data",
        "is refused as unreachable.",
        "",
        "| file | reason | code | message fragment |",
        "| --- | --- | --- | --- |",
    ]
    for name, reason, code, frag, _ in CASES:
        lines.append("| `%s` | %s | %s | `%s` |" % (name, reason.replace("|", "\\|"), code,
                                                     frag.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    for name, _, _, _, data in CASES:
        write(os.path.join(HERE, name), data)
    data = os.path.join(HERE, "data")
    os.makedirs(data, exist_ok=True)
    write(os.path.join(data, "ext_data.bin"), bytes(range(16)))
    link = os.path.join(data, "escape.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("../../../README.md", link)
    write(os.path.join(HERE, "README.md"), readme().encode("utf-8"))
    print("wrote %d hostile ONNX files" % len(CASES))


if __name__ == "__main__":
    main()
