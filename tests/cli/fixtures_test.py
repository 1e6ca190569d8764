#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check `modelctl dump` against the fixtures made by testdata/make_fixtures.py.

Usage: python3 tests/cli/fixtures_test.py MODELCTL TESTDATA_DIR

For every TESTDATA_DIR/expected/<path with / as __>.json this runs
`MODELCTL dump --format json --hash TESTDATA_DIR/<path>` and checks that it
exits 0 and that the format, the tensors (name, dtype, shape, nbytes,
sha256, in order) and the metadata equal the recorded values, and so do the
values (the non-tensor tree, tensors as {"tensor": NAME}) when the expected
file records them: dict keys in order, true/false never equal to 1/0. An ONNX
model's expected file records the ONNX report instead (it has "initializers"
where a checkpoint has "tensors"): the initializers are checked as tensors
are, and every other key it records (ir_version, opset, inputs, outputs,
nodes with their attributes, ...) must be equal in the same way. It prints one
line for each fixture and a closing line such as "12 passed, 0 failed". It exits
1 if any fixture fails, or if no expected files were found. It uses the
standard library only.
"""
import json
import os
import subprocess
import sys

TENSOR_KEYS = ("name", "dtype", "shape", "nbytes", "sha256")
TIMEOUT = 120  # seconds for one dump: a hang is a failure, not a stuck ctest


def fixture_path(testdata, expected_name):
    """expected/npy__float32.npy.json -> testdata/npy/float32.npy"""
    rel = expected_name[: -len(".json")].replace("__", "/")
    return rel, os.path.join(testdata, *rel.split("/"))


def brief(value, limit=300):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def same_json(a, b):
    """JSON equality that keeps dict order and tells booleans from numbers
    (1 and 1.0 are equal: a float with no fraction is written as an int)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b) and
                all(same_json(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b) and
                all(same_json(x, y) for x, y in zip(a, b)))
    return type(a) is type(b) and a == b


def first_difference(want, got, path):
    """The path of the first place where got differs from want (same_json's
    rules), and the two values there; None when they are equal."""
    if isinstance(want, dict) and isinstance(got, dict) and list(want) != list(got):
        return path + " keys", list(got), list(want)
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want:
            d = first_difference(want[k], got[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            d = first_difference(w, g, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if same_json(want, got) else (path, got, want)


def compare_tensors(want, tensors, key):
    """Differences between the expected tensors and the dumped list `key`."""
    problems = []
    if not isinstance(tensors, list):
        problems.append("no \"%s\" list: %s" % (key, brief(tensors)))
        tensors = []
    got_names = [t.get("name") if isinstance(t, dict) else t for t in tensors]
    want_names = [t["name"] for t in want]
    if got_names != want_names:
        problems.append("tensor names/order %s, expected %s" % (brief(got_names),
                                                               brief(want_names)))
    # each expected tensor against the dumped tensor of the same name, so a
    # wrong order is reported once rather than as every field differing
    by_name = {}
    for g in tensors:
        if not isinstance(g, dict):
            problems.append("tensor entry is not an object: %s" % brief(g))
        elif g.get("name") not in by_name:
            by_name[g.get("name")] = g
    for w in want:
        g = by_name.get(w["name"])
        if g is None:
            continue  # already reported with the names
        for k in TENSOR_KEYS:
            if k not in g:
                problems.append("tensor %s: no %s" % (brief(w["name"]), k))
            elif g[k] != w[k]:
                problems.append("tensor %s: %s %s, expected %s" % (
                    brief(w["name"]), k, brief(g[k]), brief(w[k])))
    return problems


def compare(expected, got):
    """A list of differences, empty when the dump matches."""
    problems = []
    if not isinstance(got, dict):
        return ["the output is not a JSON object: %s" % brief(got)]
    if got.get("format") != expected["format"]:
        problems.append("format %s, expected %s" % (brief(got.get("format")),
                                                    brief(expected["format"])))
    onnx = "initializers" in expected
    if onnx:
        problems += compare_tensors(expected["initializers"], got.get("initializers"),
                                    "initializers")
    else:
        problems += compare_tensors(expected["tensors"], got.get("tensors"), "tensors")
    # "metadata" is a dict for every checkpoint; a format without metadata
    # may leave it out or write null, which stands for {}
    meta = got.get("metadata")
    if meta is None:
        meta = {}
    if meta != expected["metadata"]:
        problems.append("metadata %s, expected %s" % (brief(meta), brief(expected["metadata"])))
    if "values" in expected and not same_json(expected["values"], got.get("values")):
        problems.append("values %s, expected %s" % (brief(got.get("values"), 600),
                                                     brief(expected["values"], 600)))
    for key in expected:
        if not onnx or key in ("format", "initializers", "metadata"):
            continue
        d = first_difference(expected[key], got.get(key), key)
        if d:
            problems.append("%s: %s, expected %s" % (d[0], brief(d[1]), brief(d[2])))
    return problems


def check(modelctl, testdata, expected_name):
    """Returns (relative path, list of problems)."""
    rel, path = fixture_path(testdata, expected_name)
    with open(os.path.join(testdata, "expected", expected_name), encoding="utf-8") as f:
        expected = json.load(f)
    if not os.path.isfile(path):
        return rel, ["fixture %s is missing" % path]
    cmd = [modelctl, "dump", "--format", "json", "--hash", path]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return rel, ["no answer within %d s" % TIMEOUT]
    except OSError as e:
        return rel, ["cannot run %s: %s" % (modelctl, e)]
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        return rel, ["exit %d: %s" % (proc.returncode, stderr or "(no message)")]
    try:
        got = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return rel, ["the output is not JSON (%s): %s" % (e, brief(proc.stdout.decode(
            "utf-8", "replace"), 200))]
    return rel, compare(expected, got)


def main(argv):
    if len(argv) != 3:
        print("usage: %s MODELCTL TESTDATA_DIR" % argv[0], file=sys.stderr)
        return 2
    modelctl, testdata = os.path.abspath(argv[1]), argv[2]
    expected_dir = os.path.join(testdata, "expected")
    try:
        names = sorted(n for n in os.listdir(expected_dir) if n.endswith(".json"))
    except OSError as e:
        print("fixtures_test: %s: %s" % (expected_dir, e.strerror), file=sys.stderr)
        return 1
    passed = failed = 0
    for name in names:
        rel, problems = check(modelctl, testdata, name)
        if problems:
            failed += 1
            print("FAIL %s" % rel)
            for p in problems:
                print("     %s" % p)
        else:
            passed += 1
            print("ok   %s" % rel)
    print("%d passed, %d failed" % (passed, failed))
    if not names:
        print("fixtures_test: no expected files in %s" % expected_dir, file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
