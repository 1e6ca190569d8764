# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers the benchmark scripts share, sourced (not run) by bench_dump.sh,
# bench_onnx.sh and bench_pytorch.sh from their own directory:
#
#   die MESSAGE...   print "<script name>: MESSAGE" on stderr and exit 1
#   best_of3 CMD...  the best wall time in seconds of three runs of CMD
#   ratio A B        A / B (0 when B is 0), RATIO_DECIMALS places (default 2)
#   verdict EXPR     "met" when the awk expression holds, else "MISSED"
#
# best_of3 keeps a failing run's stderr in "$work/err": the script sets
# `work` to its temporary directory before calling it.  Numbers are printed
# with a '.', so the scripts run under LC_ALL=C.

BENCH_NAME=${0##*/}
BENCH_NAME=${BENCH_NAME%.sh}

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# best_of3 CMD...: print the best wall time in seconds of three runs, with
# the output discarded. A failing run stops the benchmark.
# shellcheck disable=SC2154 # work is the sourcing script's
best_of3() {
	local best="" t0 t1 d
	for _ in 1 2 3; do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; die "failed: $*"; }
		t1=$EPOCHREALTIME
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		best=$(awk -v a="$best" -v b="$d" 'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	echo "$best"
}

# ratio A B: A / B with RATIO_DECIMALS decimal places, 0 when B is 0.
ratio() {
	awk -v a="$1" -v b="$2" -v p="${RATIO_DECIMALS:-2}" \
		'BEGIN { printf "%." p "f", (b > 0) ? a / b : 0 }'
}

# verdict EXPR: "met" when the awk expression (numbers substituted) holds
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "MISSED"; fi; }
