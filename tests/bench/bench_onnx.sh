#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Benchmark of `modelctl dump` on a large ONNX model against Python's
# onnx.load of the same file, in the same run. It is run by hand and is not
# a test: it builds nothing and always cleans up.
#
#   tests/bench/bench_onnx.sh [MODELCTL]     (default: build/modelctl)
#
# It writes a ~500 MB model with the onnx helper API (a stack of 30
# MatMul+Add+Relu layers of 1024x4096 float32 weights, the data from a
# seeded generator), warms the page cache, then measures:
#   - wall time of `modelctl dump`, `dump --format json` and `dump --hash`
#     (the whole process), best of 3;
#   - wall time of onnx.load(FILE) inside Python (the import of onnx is not
#     counted, so the reference gets the better end), and of the whole
#     `python3 -c 'import onnx; onnx.load(FILE)'` process, best of 3;
#   - peak RSS of each, from /usr/bin/time -f %M;
#   - the writer: bench_onnx_rewrite (built beside modelctl) reads the model
#     and writes it again, embedded and with external data, against
#     onnx.save(onnx.load(FILE)) and onnx.save(..., save_as_external_data=True).
# Targets (issue 5): dump at most as slow as onnx.load; peak RSS under 1.2x
# the file's size.  BENCH_MB sets the model's size in MiB (default 500);
# PYTHON the interpreter that has onnx and numpy (default /usr/bin/python3,
# Debian's python3-onnx); TMPDIR where the file goes.
set -euo pipefail
export LC_ALL=C
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # die, best_of3, ratio, verdict
RATIO_DECIMALS=3

MODELCTL=${1:-build/modelctl}
REWRITE=${REWRITE:-$(dirname "$MODELCTL")/bench_onnx_rewrite}
MB=${BENCH_MB:-500}
PY=${PYTHON:-/usr/bin/python3}

[ -x "$MODELCTL" ] || die "$MODELCTL: not an executable (build first, or pass the path)"
"$PY" -c 'import onnx, numpy' 2>/dev/null ||
	die "$PY cannot import onnx and numpy (apt-get install python3-onnx python3-numpy)"
[ -x "$REWRITE" ] || die "$REWRITE: not an executable (cmake --build build --target bench_onnx_rewrite)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for peak RSS (apt-get install time)"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_onnx.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
model="$work/model.onnx"

echo "modelctl: $MODELCTL"
echo "writing a ${MB} MiB ONNX model in $work ..."
"$PY" - "$model" "$MB" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

path, mib = sys.argv[1], int(sys.argv[2])
width, hidden = 1024, 4096
per_layer = 4 * (width * hidden + hidden + hidden * width + width)
layers = max(1, (mib << 20) // per_layer)
rng = np.random.default_rng(0)
inits, nodes, x = [], [], "input"
for i in range(layers):
    for j, (a, b) in enumerate(((width, hidden), (hidden, width))):
        w = "layers.%d.fc%d.weight" % (i, j)
        bias = "layers.%d.fc%d.bias" % (i, j)
        inits.append(numpy_helper.from_array(rng.standard_normal((a, b), dtype=np.float32), w))
        inits.append(numpy_helper.from_array(rng.standard_normal((b,), dtype=np.float32), bias))
        nodes.append(helper.make_node("MatMul", [x, w], ["h%d_%d_mm" % (i, j)]))
        nodes.append(helper.make_node("Add", ["h%d_%d_mm" % (i, j), bias], ["h%d_%d_add" % (i, j)]))
        nodes.append(helper.make_node("Relu", ["h%d_%d_add" % (i, j)], ["h%d_%d" % (i, j)]))
        x = "h%d_%d" % (i, j)
nodes[-1].output[0] = "output"
graph = helper.make_graph(
    nodes, "bench",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", width])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", width])], inits)
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench")
onnx.save(m, path)
EOF
size=$(stat -c %s "$model")
cat "$model" >/dev/null # warm the page cache

rss() { # peak RSS in KB of a command
	/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; die "failed: $*"; }
	tail -n 1 "$work/rss"
}

# onnx.load alone, timed inside Python: best of 3
load_only=$("$PY" - "$model" <<'EOF'
import sys, time
import onnx
best = None
for _ in range(3):
    t0 = time.perf_counter()
    m = onnx.load(sys.argv[1])
    d = time.perf_counter() - t0
    del m
    best = d if best is None or d < best else best
print("%.4f" % best)
EOF
)
load_cmd=("$PY" -c 'import onnx, sys; onnx.load(sys.argv[1])' "$model")
t_load=$(best_of3 "${load_cmd[@]}")
t_text=$(best_of3 "$MODELCTL" dump "$model")
t_json=$(best_of3 "$MODELCTL" dump --format json "$model")
t_hash=$(best_of3 "$MODELCTL" dump --hash "$model")
r_load=$(rss "${load_cmd[@]}")
r_text=$(rss "$MODELCTL" dump "$model")
r_hash=$(rss "$MODELCTL" dump --hash "$model")

# the writer, and its reference
w_emb=$(best_of3 "$REWRITE" "$model" "$work/out.onnx")
w_ext=$(best_of3 "$REWRITE" "$model" "$work/out_ext.onnx" out_ext.data)
cmp -s "$model" "$work/out.onnx" || die "the rewritten model differs from the original"
rw_emb=$(rss "$REWRITE" "$model" "$work/out.onnx")
rw_ext=$(rss "$REWRITE" "$model" "$work/out_ext.onnx" out_ext.data)
save_cmd=("$PY" -c 'import onnx, sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2])' "$model" "$work/py.onnx")
save_ext_cmd=("$PY" -c 'import onnx, sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2], save_as_external_data=True, location="py_ext.data")' "$model" "$work/py_ext.onnx")
t_save=$(best_of3 "${save_cmd[@]}")
t_save_ext=$(best_of3 bash -c 'rm -f "$1/py_ext.data"; shift; "$@"' _ "$work" "${save_ext_cmd[@]}")
r_save=$(rss "${save_cmd[@]}")
rm -f "$work/py_ext.data"
r_save_ext=$(rss "${save_ext_cmd[@]}")
rm -f "$work"/*.data "$work"/out*.onnx "$work"/py*.onnx

size_kb=$((size / 1024))

echo
echo "model: $size bytes"
printf '%-36s %9s %12s\n' "" "seconds" "peak RSS KB"
printf '%-36s %9s %12s\n' "onnx.load (inside Python)" "$load_only" "-"
printf '%-36s %9s %12s\n' "python3 -c 'onnx.load(FILE)'" "$t_load" "$r_load"
printf '%-36s %9s %12s\n' "modelctl dump" "$t_text" "$r_text"
printf '%-36s %9s %12s\n' "modelctl dump --format json" "$t_json" "-"
printf '%-36s %9s %12s\n' "modelctl dump --hash" "$t_hash" "$r_hash"
printf '%-36s %9s %12s\n' "python: onnx.save(onnx.load(FILE))" "$t_save" "$r_save"
printf '%-36s %9s %12s\n' "modelctl writer: rewrite" "$w_emb" "$rw_emb"
printf '%-36s %9s %12s\n' "python: the same, external data" "$t_save_ext" "$r_save_ext"
printf '%-36s %9s %12s\n' "modelctl writer: external data" "$w_ext" "$rw_ext"
echo
echo "times: best of 3, wall clock, page cache warm"
echo "dump / onnx.load (inside Python):      $(ratio "$t_text" "$load_only")x (target <= 1: $(verdict "$t_text <= $load_only"))"
echo "dump --hash / onnx.load (inside Python): $(ratio "$t_hash" "$load_only")x (reads and hashes every weight)"
echo "peak RSS of dump / file size:          $(ratio "$r_text" "$size_kb")x (target < 1.2x: $(verdict "$r_text < 1.2 * $size_kb"))"
echo "peak RSS of dump --hash / file size:   $(ratio "$r_hash" "$size_kb")x (target < 1.2x: $(verdict "$r_hash < 1.2 * $size_kb"))"
echo "rewrite, modelctl / python:            $(ratio "$w_emb" "$t_save")x time, $(ratio "$rw_emb" "$r_save")x peak RSS (the output is byte-identical to the input)"
echo "external data, modelctl / python:      $(ratio "$w_ext" "$t_save_ext")x time, $(ratio "$rw_ext" "$r_save_ext")x peak RSS"
