#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run modelctl on the malicious corpus and check that nothing in it runs.

Usage: python3 tests/cli/malicious_test.py MODELCTL BAD_DIR

BAD_DIR is testdata/bad.  The files are those listed in BAD_DIR/pickle/README.md
and BAD_DIR/pytorch/README.md (written by testdata/bad/make_malicious.py), and
the object-array rows of BAD_DIR/npy/README.md and BAD_DIR/npz/README.md.  A
README row is `| file | reason | expected | message fragment |`; expected is
the exit code of `scan` (1: unsafe content, 3: cannot be parsed; the numpy
READMEs give a code name instead, where "unsafe" means 1).

For every file:
  - its canary, /tmp/modelctl-canary-<stem>, is removed first;
  - `MODELCTL dump FILE` exits 3 (never a signal), prints nothing on stdout
    and one error line on stderr that starts "modelctl: FILE" and holds the
    row's fragment (or "unrecognised file format", as tests/cli/run.sh
    allows), optionally followed by one "hint: " line;
  - `MODELCTL scan FILE` exits with the expected code;
  - `MODELCTL scan --format json FILE` exits with the same code and prints
    {"files":[{"path","format","verdict","findings":[{"kind","detail","entry",
    "offset"}]}]}: one file, its path, verdict "unsafe" for 1 and "error" for 3,
    at least one finding;
  - the canary does not exist afterwards.
Then `MODELCTL scan BAD_DIR/pickle` (a directory walk) exits 1, and no canary
of any corpus file exists.

Prints one line per file and closes with "N passed, M failed"; exits 1 on any
failure or when no files are found.  Standard library only.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CANARY_PREFIX = "/tmp/modelctl-canary-"
TIMEOUT = 60  # seconds per command: a hang is a failure, not a stuck ctest
VERDICTS = {1: "unsafe", 3: "error"}


def canary(name):
    return CANARY_PREFIX + name.rsplit(".", 1)[0]


def cells(row):
    """The cells of a markdown table row, split on unescaped '|'."""
    parts = re.split(r"(?<!\\)\|", row.strip())
    return [p.strip() for p in parts[1:-1]]


def read_readme(path, object_arrays_only=False):
    """(file name, expected scan code, fragment) for each row of the table."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\| `([^`]+)` \|", line)
            if not m:
                continue
            c = cells(line)
            if len(c) < 4:
                raise SystemExit("%s: malformed row: %s" % (path, line.rstrip()))
            name, reason, expected = m.group(1), c[1], c[-2]
            frag = re.match(r".*`([^`]*)`[^`]*$", line.rstrip()).group(1).replace("\\|", "|")
            if object_arrays_only and "object" not in reason:
                continue
            if expected.isdigit():
                code = int(expected)
            else:  # the numpy corpora name the reader's code
                code = 1 if expected == "unsafe" else 3
            rows.append((name, code, frag))
    return rows


def run(argv):
    """(exit code or None on timeout, stdout, stderr)."""
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def describe(code):
    if code is None:
        return "timed out after %ds" % TIMEOUT
    if code < 0:
        return "killed by signal %d" % -code
    return "exit %d" % code


def brief(text, limit=300):
    text = text.strip().replace("\n", " | ")
    return text if len(text) <= limit else text[:limit] + "..."


def check_dump(modelctl, path, frag):
    code, out, err = run([modelctl, "dump", path])
    if code != 3:
        return ["dump: %s, expected 3; stderr: %s" % (describe(code), brief(err))]
    problems = []
    if out:
        problems.append("dump: stdout not empty on refusal: %s" % brief(out))
    lines = err.splitlines()
    if not lines or len(lines) > 2:
        return problems + ["dump: expected one error line (+ hint), got %d: %s"
                           % (len(lines), brief(err))]
    if not lines[0].startswith("modelctl: " + path):
        problems.append("dump: error line does not start with 'modelctl: %s': %s"
                        % (path, lines[0]))
    if len(lines) == 2 and not lines[1].startswith("hint: "):
        problems.append("dump: second stderr line is not a hint: %s" % lines[1])
    # the fragment is looked for after the file's name, which may contain it
    message = lines[0][len("modelctl: " + path):]
    if frag not in message and "unrecognised file format" not in message:
        problems.append("dump: message lacks '%s': %s" % (frag, lines[0]))
    return problems


def check_json(report, path, expected):
    """Problems with a `scan --format json` report of one file."""
    if not isinstance(report, dict) or not isinstance(report.get("files"), list):
        return ["scan json: not {\"files\": [...]}"]
    files = report["files"]
    if len(files) != 1 or not isinstance(files[0], dict):
        return ["scan json: expected one file, got %d" % len(files)]
    f = files[0]
    problems = []
    if f.get("path") != path:
        problems.append("scan json: path %r, expected %r" % (f.get("path"), path))
    if not isinstance(f.get("format"), str):
        problems.append("scan json: format is not a string: %r" % (f.get("format"),))
    if f.get("verdict") != VERDICTS[expected]:
        problems.append("scan json: verdict %r, expected %r"
                        % (f.get("verdict"), VERDICTS[expected]))
    findings = f.get("findings")
    if not isinstance(findings, list) or not findings:
        return problems + ["scan json: no findings"]
    for x in findings:
        if not isinstance(x, dict):
            problems.append("scan json: a finding is not an object: %r" % (x,))
            continue
        for key in ("kind", "detail"):
            if not isinstance(x.get(key), str) or not x.get(key):
                problems.append("scan json: finding %s is not a non-empty string: %r"
                                % (key, x.get(key)))
        if "entry" not in x or not (x["entry"] is None or isinstance(x["entry"], str)):
            problems.append("scan json: finding entry is not a string or null: %r"
                            % (x.get("entry"),))
        off = x.get("offset", "missing")
        if off is not None and (isinstance(off, bool) or not isinstance(off, int) or off < 0):
            problems.append("scan json: finding offset is not a file offset or null: %r"
                            % (off,))
    return problems


def check_scan(modelctl, path, expected):
    problems = []
    code, out, err = run([modelctl, "scan", path])
    if code != expected:
        problems.append("scan: %s, expected %d; stdout: %s; stderr: %s"
                        % (describe(code), expected, brief(out), brief(err)))
    code, out, err = run([modelctl, "scan", "--format", "json", path])
    if code != expected:
        problems.append("scan --format json: %s, expected %d; stderr: %s"
                        % (describe(code), expected, brief(err)))
    if code is None or code < 0:
        return problems
    try:
        report = json.loads(out)
    except ValueError as e:
        return problems + ["scan --format json: invalid JSON (%s): %s" % (e, brief(out))]
    return problems + check_json(report, path, expected)


def remove_canary(name):
    try:
        os.remove(canary(name))
    except FileNotFoundError:
        pass


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    modelctl, bad = sys.argv[1], os.path.abspath(sys.argv[2])
    if os.sep in modelctl:  # the tests run from a temporary directory
        modelctl = os.path.abspath(modelctl)
    corpus = []  # (path, name, expected, fragment)
    for sub, only_objects in (("pickle", False), ("pytorch", False), ("npy", True),
                              ("npz", True)):
        d = os.path.join(bad, sub)
        readme = os.path.join(d, "README.md")
        if not os.path.isfile(readme):
            continue
        rows = read_readme(readme, only_objects)
        listed = {name for name, _, _ in rows}
        if not only_objects:  # every file in our own corpora must be listed
            for name in sorted(os.listdir(d)):
                if name != "README.md" and name not in listed:
                    corpus.append((os.path.join(d, name), name, None, None))
        for name, code, frag in rows:
            corpus.append((os.path.join(d, name), name, code, frag))

    passed = failed = 0
    # run from an empty directory, so that a payload writing relative paths
    # cannot touch the checkout
    with tempfile.TemporaryDirectory(prefix="modelctl-malicious-") as cwd:
        os.chdir(cwd)
        for path, name, expected, frag in corpus:
            rel = os.path.relpath(path, bad)
            if expected is None:
                problems = ["not listed in its README.md"]
            elif not os.path.isfile(path):
                problems = ["listed in README.md but missing"]
            else:
                remove_canary(name)
                problems = check_dump(modelctl, path, frag)
                problems += check_scan(modelctl, path, expected)
                if os.path.exists(canary(name)):
                    problems.append("CANARY %s EXISTS: the payload ran" % canary(name))
                    remove_canary(name)
            if problems:
                failed += 1
                print("FAIL %s: %s" % (rel, "; ".join(problems)))
            else:
                passed += 1
                print("ok   %s" % rel)

        # a directory walk: every file above it scanned, unsafe ones found
        pdir = os.path.join(bad, "pickle")
        for path, name, _, _ in corpus:
            remove_canary(name)
        code, out, err = run([modelctl, "scan", pdir])
        problems = []
        if code != 1:
            problems.append("%s, expected 1; stderr: %s" % (describe(code), brief(err)))
        ran = [canary(name) for _, name, _, _ in corpus if os.path.exists(canary(name))]
        if ran:
            problems.append("CANARIES EXIST: %s" % " ".join(ran))
        if problems:
            failed += 1
            print("FAIL scan %s (directory): %s" % (pdir, "; ".join(problems)))
        else:
            passed += 1
            print("ok   scan %s (directory)" % pdir)

    if not corpus:
        print("no corpus files found under %s" % bad)
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
