#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Dump every model of ONNX's own backend test data, in every view.

Usage: python3 tests/cli/onnx_dump_all.py MODELCTL [DATA_DIR]

DATA_DIR defaults to /usr/share/libonnx-testdata/data (Debian's
libonnx-testdata: the node, simple, pytorch-converted and pytorch-operator
models of onnx/backend/test/data, about a thousand).  For every model.onnx
under it this runs

    MODELCTL dump --hash MODEL
    MODELCTL dump --format json MODEL
    MODELCTL dump --format dot MODEL

and checks that each exits 0 with nothing on standard error; that the JSON
parses and has the contract's keys for ONNX (file, format "onnx",
ir_version, opset, inputs and outputs of {name, dtype, shape}, nodes of
{name, op_type, domain, inputs, outputs, attributes}, initializers of
{name, dtype, shape}, metadata), one node per node of the model's main graph
as the text view counts them; and that the DOT text is one digraph whose
quoted strings and braces close (Graphviz itself is not needed).  It prints
the models that fail with why, and a closing line such as "1072 models, 0
failed".  Exits 1 on any failure, 77 (a skip for ctest) when DATA_DIR does
not exist.  Standard library only.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys

DEFAULT_DIR = "/usr/share/libonnx-testdata/data"
TIMEOUT = 60  # seconds for one dump: a hang is a failure, not a stuck ctest
SKIP = 77

TOP_KEYS = ("file", "format", "ir_version", "opset", "inputs", "outputs", "nodes",
            "initializers", "metadata")
VALUE_KEYS = ("name", "dtype", "shape")
NODE_KEYS = ("name", "op_type", "domain", "inputs", "outputs", "attributes")


def run(cmd):
    """(exit code, stdout bytes, stderr text)"""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b"", "no answer within %d s" % TIMEOUT
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def check_json(report, path):
    problems = []
    if not isinstance(report, dict):
        return ["JSON: not an object"]
    missing = [k for k in TOP_KEYS if k not in report]
    if missing:
        return ["JSON: no %s" % ", ".join(missing)]
    if report["format"] != "onnx" or report["file"] != path:
        problems.append("JSON: format %r, file %r" % (report["format"], report["file"]))
    if not isinstance(report["ir_version"], int) or not isinstance(report["opset"], dict):
        problems.append("JSON: ir_version or opset of the wrong type")
    for key in ("inputs", "outputs", "initializers"):
        items = report[key]
        if not isinstance(items, list) or not all(
                isinstance(v, dict) and all(k in v for k in VALUE_KEYS) for v in items):
            problems.append("JSON: %s not a list of {name, dtype, shape}" % key)
        elif any(v["shape"] is not None and not isinstance(v["shape"], list) for v in items):
            problems.append("JSON: %s: a shape is neither a list nor null" % key)
    nodes = report["nodes"]
    if not isinstance(nodes, list) or not all(
            isinstance(n, dict) and all(k in n for k in NODE_KEYS) and
            isinstance(n["attributes"], dict) for n in nodes):
        problems.append("JSON: nodes not a list of {%s}" % ", ".join(NODE_KEYS))
    if not isinstance(report["metadata"], dict):
        problems.append("JSON: metadata not an object")
    return problems


def check_dot(text):
    """One digraph, quoted strings closed, braces balanced, no raw control
    bytes inside strings."""
    if not text.startswith('digraph "') or not text.endswith("}\n"):
        return ["dot: not one digraph"]
    depth, quoted, i = 0, False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
            elif ord(c) < 0x20:
                return ["dot: control byte %#x in a string" % ord(c)]
        elif c == '"':
            quoted = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return ["dot: unbalanced braces"]
        i += 1
    if quoted or depth != 0:
        return ["dot: unclosed string or brace"]
    return []


def check(modelctl, path):
    """Returns (path, list of problems)."""
    problems = []
    views = (("text", ["dump", "--hash"]), ("json", ["dump", "--format", "json"]),
             ("dot", ["dump", "--format", "dot"]))
    out = {}
    for view, args in views:
        code, stdout, stderr = run([modelctl] + args + [path])
        if code != 0 or stderr:
            problems.append("%s: exit %s: %s" % (view, code, stderr.strip()[:300] or
                                                 "(no message)"))
            continue
        out[view] = stdout.decode("utf-8", "replace")
    if "json" in out:
        try:
            report = json.loads(out["json"])
        except ValueError as e:
            problems.append("JSON does not parse: %s" % e)
        else:
            problems += check_json(report, path)
            m = re.search(r"^operators \((\d+) nodes?(?:, (\d+) in subgraphs)?\)", out.get(
                "text", ""), re.M)
            if m and isinstance(report.get("nodes"), list):
                main = int(m.group(1)) - int(m.group(2) or 0)
                if main != len(report["nodes"]):
                    problems.append("JSON has %d nodes, the text %d" % (len(report["nodes"]),
                                                                         main))
    if "dot" in out:
        problems += check_dot(out["dot"])
    return path, problems


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: %s MODELCTL [DATA_DIR]" % argv[0], file=sys.stderr)
        return 2
    modelctl = os.path.abspath(argv[1])
    data = argv[2] if len(argv) == 3 else DEFAULT_DIR
    if not os.path.isdir(data):
        print("onnx_dump_all: %s does not exist (apt-get install libonnx-testdata); skipped"
              % data)
        return SKIP
    models = sorted(os.path.join(d, f) for d, _, files in os.walk(data) for f in files
                    if f == "model.onnx")
    if not models:
        print("onnx_dump_all: no model.onnx under %s" % data, file=sys.stderr)
        return 1
    failed = 0
    # each dump is its own process: two at a time keep a small machine usable
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for path, problems in pool.map(lambda p: check(modelctl, p), models):
            if problems:
                failed += 1
                print("FAIL %s" % path)
                for p in problems:
                    print("     %s" % p)
    print("%d models, %d failed" % (len(models), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
