#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the structurally invalid ONNX models of testdata/onnx/invalid/.

Run with Debian's Python, which has the onnx package:

    /usr/bin/python3 testdata/onnx/invalid/make_invalid.py

It was written against python3-onnx 1.12 (Debian 12).  Each model is well
formed protobuf that modelctl's reader opens (but one, which it refuses) and
breaks one rule of ONNX's structure (several.onnx breaks several), so that
tests/unit/test_onnx_check.c can assert the exact problem formats/onnx_check.c
reports.  The models are built with onnx.helper and saved without
onnx.checker, which would refuse them; the valid ones (ok_*) are run through
onnx.checker to show they are.  protobuf serialises fields in a fixed order,
so running the script again writes the same bytes.  It also rewrites
README.md from CASES: file, what is wrong, which stage finds it (the reader
at open, or the check), and a fragment of the expected message.
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def vi(name, dims=(2, 3), elem=F):
    return helper.make_tensor_value_info(name, elem, list(dims))


def model(nodes, inputs=("x",), outputs=("y",), initializers=(), opset=13, opsets=None,
          ir=8, name="g", functions=None):
    graph = helper.make_graph(nodes, name, [vi(n) for n in inputs], [vi(n) for n in outputs],
                              initializer=list(initializers))
    if opsets is None:
        opsets = [helper.make_opsetid("", opset)]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="make_invalid.py",
                          functions=functions or [])
    m.ir_version = ir
    return m


def raw_tensor(name, dims, nbytes, elem=F):
    """A tensor whose raw_data holds nbytes, whatever dims need."""
    t = TensorProto()
    if name:
        t.name = name
    t.data_type = elem
    t.dims.extend(dims)
    t.raw_data = bytes(nbytes)
    return t


def weights(name="w", dims=(2, 3)):
    n = 1
    for d in dims:
        n *= d
    return helper.make_tensor(name, F, list(dims), [0.5] * n)


def if_model(then_nodes, then_inits=(), outer_nodes_after=()):
    """Main graph: c = Greater(x, x) reduced to a scalar; y = If(c) whose
    branches output 'then_y' / 'else_y'; nodes after the If may follow."""
    then_g = helper.make_graph(then_nodes, "then", [], [helper.make_tensor_value_info(
        "then_y", F, None)], initializer=list(then_inits))
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["else_y"])], "else", [],
                               [helper.make_tensor_value_info("else_y", F, None)])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["c"]),
        helper.make_node("If", ["c"], ["y"], name="If_0", then_branch=then_g,
                         else_branch=else_g),
    ] + list(outer_nodes_after)
    return model(nodes, initializers=[helper.make_tensor("zero", F, [], [0.0])])


def several():
    """Six problems in one graph."""
    return model([
        helper.make_node("Relu", ["t"], ["u"], name="first"),        # t: later node
        helper.make_node("Neg", ["x"], ["t"], name="second"),
        helper.make_node("Add", ["u", "ghost"], ["v"], name="third"),  # ghost: nowhere
        helper.make_node("Relu", ["v"], ["v"], name="fourth"),        # v: defined twice
        helper.make_node("Cast", ["v"], ["w"], name="fifth"),         # no 'to'
        helper.make_node("Sigmoid", ["w"], ["y"], name="sixth", alpha=1.0),  # unknown attribute
    ], outputs=("y", "z"))                                            # z: never defined


def function_model():
    """A model-local function whose body uses a name it never defines and
    imports its opset twice."""
    body = [helper.make_node("Mul", ["a", "nowhere"], ["b"])]
    f = helper.make_function("local", "Scale2", ["a"], ["b"], body,
                             [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx", 13)])
    return model([helper.make_node("Scale2", ["x"], ["y"], domain="local")],
                 opsets=[helper.make_opsetid("", 13), helper.make_opsetid("local", 1)],
                 functions=[f])


def sparse_constant():
    values = helper.make_tensor("sv", F, [2], [1.0, 2.0])
    indices = helper.make_tensor("si", TensorProto.INT64, [2], [4, 1])  # not increasing
    sp = helper.make_sparse_tensor(values, indices, [2, 3])
    return model([helper.make_node("Constant", [], ["c"], sparse_value=sp),
                  helper.make_node("Add", ["x", "c"], ["y"])])


def mistyped_attribute():
    """Squeeze whose 'axes' says INTS but holds a float."""
    node = helper.make_node("Squeeze", ["x"], ["y"])
    a = helper.make_attribute("axes", [0])
    a.ClearField("ints")
    a.f = 1.0
    node.attribute.append(a)
    return model([node], opset=11)


def string_constant():
    t = helper.make_tensor("s", TensorProto.STRING, [2], [b"a", b"b"])
    t.dims[0] = 3  # 2 strings for 3 elements (the helper checks the count)
    return model([helper.make_node("Constant", [], ["labels"], value=t),
                  helper.make_node("Identity", ["x"], ["y"])], outputs=("y", "labels"))


# file, what is wrong, found by, message fragment, model
CASES = [
    ("not_topological.onnx", "a node reads `t` before the node that makes it", "check",
     "input 't' is used before node 1 (Neg) defines it",
     model([helper.make_node("Relu", ["t"], ["y"]), helper.make_node("Neg", ["x"], ["t"])])),
    ("undefined_input.onnx", "`Add` reads `ghost`, which nothing defines", "check",
     "input 'ghost' is never defined",
     model([helper.make_node("Add", ["x", "ghost"], ["y"])])),
    ("output_twice.onnx", "two nodes both output `y`", "check",
     "output 'y' is already the output of node 0 (Relu)",
     model([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])])),
    ("output_shadows_input.onnx", "a node outputs `x`, the graph input's name", "check",
     "output 'x' is also the name of a graph input",
     model([helper.make_node("Relu", ["x"], ["x"]), helper.make_node("Neg", ["x"], ["y"])])),
    ("output_shadows_initializer.onnx", "a node outputs `w`, an initializer's name", "check",
     "output 'w' is also the name of a graph initializer",
     model([helper.make_node("Relu", ["x"], ["w"]), helper.make_node("Add", ["x", "w"], ["y"])],
           initializers=[weights()])),
    ("graph_output_undefined.onnx", "graph output `z` is not defined", "check",
     "graph output 'z' is never defined",
     model([helper.make_node("Relu", ["x"], ["y"])], outputs=("y", "z"))),
    ("no_opset_import.onnx", "IR 8 model without opset_import", "check", "no opset_import",
     model([helper.make_node("Relu", ["x"], ["y"])], opsets=[])),
    ("domain_not_imported.onnx", "a node of domain `com.example`, which is not imported", "check",
     "domain 'com.example' has no opset import",
     model([helper.make_node("Relu", ["x"], ["y"]),
            helper.make_node("Gizmo", ["y"], ["z"], domain="com.example")],
           outputs=("y", "z"))),
    ("unknown_op.onnx", "operator `Frobnicate` of ai.onnx does not exist", "check",
     "unknown operator 'Frobnicate' in ai.onnx opset 13",
     model([helper.make_node("Frobnicate", ["x"], ["y"])])),
    ("op_too_new.onnx", "`Trilu` (opset 14) in an opset 13 model", "check",
     "operator 'Trilu' is not in ai.onnx opset 13 (it came in opset 14)",
     model([helper.make_node("Trilu", ["x"], ["y"])])),
    ("deprecated_op.onnx", "`Upsample` in an opset 10 model, where it is deprecated", "check",
     "operator 'Upsample' is deprecated in ai.onnx opset 10 (since opset 10)",
     model([helper.make_node("Upsample", ["x", "scales"], ["y"])], opset=10,
           initializers=[helper.make_tensor("scales", F, [2], [1.0, 2.0])])),
    ("attr_wrong_type.onnx", "`Conv` strides given as a float", "check",
     "attribute 'strides' is float, but Conv needs ints",
     model([helper.make_node("Conv", ["x", "w"], ["y"], strides=1.0)], inputs=("x",),
           initializers=[weights("w", (1, 1, 1, 1))])),
    ("attr_type_mismatch.onnx", "an attribute declared `ints` holding a float", "check",
     "attribute 'axes' is declared ints but holds float",
     mistyped_attribute()),
    ("attr_unknown.onnx", "`Relu` with an attribute `alpha` it does not have", "check",
     "unknown attribute 'alpha' (Relu of opset 13 has none of that name)",
     model([helper.make_node("Relu", ["x"], ["y"], alpha=0.5)])),
    ("attr_required_missing.onnx", "`Cast` without its required `to`", "check",
     "required attribute 'to' of Cast is missing",
     model([helper.make_node("Cast", ["x"], ["y"])])),
    ("too_many_inputs.onnx", "`Relu` with two inputs", "check",
     "2 inputs, but Relu (opset 13) takes 1",
     model([helper.make_node("Relu", ["x", "x"], ["y"])])),
    ("too_few_inputs.onnx", "`Add` with one input", "check",
     "1 input, but Add (opset 13) takes 2",
     model([helper.make_node("Add", ["x"], ["y"])])),
    ("empty_required_input.onnx", "`Conv` with its weight input left \"\"", "check",
     "input 1 ('W') of Conv is required but empty",
     model([helper.make_node("Conv", ["x", ""], ["y"])])),
    ("constant_bad_size.onnx", "`Constant` value float32 [2, 3] with 12 bytes of raw_data",
     "check", "raw_data holds 12 bytes but float32 [2, 3] needs 24",
     model([helper.make_node("Constant", [], ["c"], value=raw_tensor("", [2, 3], 12)),
            helper.make_node("Add", ["x", "c"], ["y"])])),
    ("constant_string_count.onnx", "string `Constant` of 3 elements holding 2 strings", "check",
     "string_data holds 2 strings but the dims need 3", string_constant()),
    ("constant_sparse_unsorted.onnx", "sparse `Constant` whose indices decrease", "check",
     "sparse index 1 is not in increasing order", sparse_constant()),
    ("subgraph_init_bad_size.onnx", "an initializer of an `If` branch with 4 bytes for [2, 3]",
     "check", "initializer 'bias': raw_data holds 4 bytes but float32 [2, 3] needs 24",
     if_model([helper.make_node("Add", ["x", "bias"], ["then_y"])],
              then_inits=[raw_tensor("bias", [2, 3], 4)])),
    ("subgraph_outer_undefined.onnx", "an `If` branch reads `nowhere`, defined in no graph",
     "check", "input 'nowhere' is never defined",
     if_model([helper.make_node("Add", ["x", "nowhere"], ["then_y"])])),
    ("subgraph_outer_later.onnx",
     "an `If` branch reads `late`, which the outer graph defines after the `If`", "check",
     "input 'late' of an enclosing graph is used before node 3 (Neg) there defines it",
     if_model([helper.make_node("Add", ["x", "late"], ["then_y"])],
              outer_nodes_after=[helper.make_node("Neg", ["x"], ["late"])])),
    ("function_body.onnx",
     "a model-local function reads a name it never defines and imports ai.onnx twice",
     "check", "input 'nowhere' is never defined", function_model()),
    ("several.onnx", "six problems in one graph (see test_onnx_check.c)", "check",
     "input 't' is used before node 1 ('second') defines it", several()),
    ("duplicate_opset_domain.onnx", "opset_import lists `\"\"` and `ai.onnx`, one domain",
     "open", "opset_import lists 'ai.onnx' twice",
     model([helper.make_node("Relu", ["x"], ["y"])],
           opsets=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx", 13)])),
    ("ok_subgraph_outer.onnx", "nothing: an `If` branch reads the outer `x` and `zero`",
     "none", "", if_model([helper.make_node("Add", ["x", "zero"], ["then_y"])])),
]

README_HEAD = """\
# Structurally invalid ONNX models

Written by `make_invalid.py` (run it with /usr/bin/python3, which has python3-onnx;
it also rewrites this README).  Every model but one opens; each breaks one rule of
ONNX's structure (`several.onnx` several) that `formats/onnx_check.c` must report,
and `tests/unit/test_onnx_check.c` checks that a problem whose message contains the
fragment is reported (and, from its own table, the exact count and where each
problem is).  "found by" says which stage finds it: `check` (mc_onnx_check),
`open` (the reader refuses the file, with the fragment in its error) or `none`
(a valid model that must pass with no problem).

| file | what is wrong | found by | expected message fragment |
| --- | --- | --- | --- |
"""


def main():
    rows = []
    for name, why, stage, fragment, m in CASES:
        if stage == "none":
            onnx.checker.check_model(m)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(m.SerializeToString())
        rows.append("| `%s` | %s | %s | %s |" % (name, why, stage,
                                                 "`%s`" % fragment if fragment else "-"))
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8") as f:
        f.write(README_HEAD + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
