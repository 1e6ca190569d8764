#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Benchmark of modelctl on large torch.save'd checkpoints against torch.load.
# It is run by hand and is not a test: it builds one small C program and
# always cleans up.
#
#   tests/bench/bench_pytorch.sh [MODELCTL]     (default: build/modelctl)
#
# MODELCTL's directory must also hold libmodelctl.a (a CMake build tree):
# "read all" is a tiny C program, compiled here against it, that opens the
# file and calls mc_reader_read on every tensor, the library's equivalent of
# torch.load returning the state dict.  A tensor read is a view into the
# mapping: no byte of a storage is copied or CRC-checked (see pytorch.c).
#
# It writes, with torch (tests/bench/bench_pytorch.py), a ~1 GB GPT-2-style
# state dict in the zip format (pytorch_model.bin, 242 tensors, an embedding
# tied to lm_head) and the same in the legacy format, in a temporary
# directory.  Then, with the page cache warm, best of 3 wall-clock runs:
#   - `modelctl scan FILE`: reads the directory and the pickles, not the
#     storages (target: under 50 ms);
#   - `modelctl dump FILE`: the same plus listing;
#   - read all (above) against torch.load(FILE, weights_only=True) (target:
#     at least 5x faster); and read all with every tensor copied out into a
#     dense malloc'd buffer (mc_view_to_dense), which touches every byte as
#     torch.load does;
#   - `modelctl dump --hash FILE` against `sha256sum FILE`; and the peak RSS
#     of dump --hash.
# BENCH_MB sets the size in MiB (default 1024); TMPDIR chooses where the
# files go (it needs twice that).  Needs /usr/bin/python3 with torch, a C
# compiler and the build's own dependencies (libcjson, libcrypto, zlib,
# libprotobuf-c),
# sha256sum and /usr/bin/time.
set -euo pipefail
export LC_ALL=C

MODELCTL=${1:-build/modelctl}
MB=${BENCH_MB:-1024}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
# shellcheck source=tests/bench/lib.sh
. "$HERE/lib.sh" # die, best_of3, ratio, verdict
RATIO_DECIMALS=1

[ -x "$MODELCTL" ] || die "$MODELCTL: not an executable (build first, or pass the path)"
LIB=$(dirname "$MODELCTL")/libmodelctl.a
[ -f "$LIB" ] || die "$LIB: not found (pass the modelctl of a CMake build tree)"
"$PY" -c 'import torch' 2>/dev/null || die "$PY cannot import torch (apt-get install python3-torch)"
command -v sha256sum >/dev/null || die "sha256sum (coreutils) is needed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for peak RSS (apt-get install time)"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_pytorch.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/read_all.c" <<'EOF'
/* Open a checkpoint and read (view) every tensor: modelctl's torch.load.
 * With --copy, also copy each into a dense buffer, as torch.load does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modelctl.h"
int main(int argc, char **argv)
{
	mc_reader *r = NULL;
	unsigned long long bytes = 0;
	int copy = argc == 3 && strcmp(argv[1], "--copy") == 0;
	char buf[2048];
	if (argc != 2 + copy || mc_reader_open(&r, argv[1 + copy]) != 0) {
		fprintf(stderr, "%s\n", mc_error_format(buf, sizeof(buf), mc_error_last()));
		return 1;
	}
	for (size_t i = 0; i < mc_reader_count(r); i++) {
		mc_view v;
		uint8_t *dense;
		size_t n;
		if (mc_reader_read(r, i, &v) != 0 ||
		    (copy && mc_view_to_dense(&dense, &n, &v) != 0)) {
			fprintf(stderr, "%s\n", mc_error_format(buf, sizeof(buf), mc_error_last()));
			return 1;
		}
		if (copy)
			free(dense);
		bytes += mc_reader_tensor(r, i)->nbytes;
		mc_view_release(&v);
	}
	printf("%zu tensors, %llu bytes\n", mc_reader_count(r), bytes);
	mc_reader_close(r);
	return 0;
}
EOF
# the library's dependencies, as CMake links them (protobuf-c for ONNX when present)
deps="-lcjson -lcrypto -lz -lm $(pkg-config --libs libprotobuf-c 2>/dev/null || true)"
${CC:-cc} -O2 -I"$ROOT/lib" -I"$ROOT/formats" "$work/read_all.c" "$LIB" $deps \
	-o "$work/read_all" || die "cannot compile the read-all program against $LIB"

echo "modelctl: $MODELCTL"
echo "writing ${MB} MiB state dicts with torch.save in $work ..."
n=$("$PY" "$HERE/bench_pytorch.py" make "$work/pytorch_model.bin" "$MB")
"$PY" "$HERE/bench_pytorch.py" make "$work/legacy.bin" "$MB" --legacy >/dev/null
echo "$n tensors each"

for f in pytorch_model.bin legacy.bin; do
	path=$work/$f
	cat "$path" >/dev/null # page cache warm
	size=$(stat -c %s "$path")
	scan=$(best_of3 "$MODELCTL" scan "$path")
	dump=$(best_of3 "$MODELCTL" dump "$path")
	readall=$(best_of3 "$work/read_all" "$path")
	readcopy=$(best_of3 "$work/read_all" --copy "$path")
	tload=$("$PY" "$HERE/bench_pytorch.py" load "$path")
	hash=$(best_of3 "$MODELCTL" dump --hash "$path")
	sha=$(best_of3 sha256sum "$path")
	/usr/bin/time -f %M -o "$work/rss" "$MODELCTL" dump --hash "$path" >/dev/null
	rss=$(tail -n 1 "$work/rss")
	echo
	fmt=$("$MODELCTL" dump --format json "$path" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["format"])')
	echo "$f: $fmt, $size bytes"
	printf '  %-38s %9ss   (target < 0.05 s: %s)\n' "modelctl scan" "$scan" "$(verdict "$scan < 0.05")"
	printf '  %-38s %9ss\n' "modelctl dump (list)" "$dump"
	printf '  %-38s %9ss\n' "torch.load(weights_only=True)" "$tload"
	printf '  %-38s %9ss   %sx faster (target >= 5x: %s)\n' "modelctl read all" "$readall" \
		"$(ratio "$tload" "$readall")" "$(verdict "$tload >= 5 * $readall")"
	printf '  %-38s %9ss   %sx faster\n' "modelctl read all + copy out (dense)" "$readcopy" \
		"$(ratio "$tload" "$readcopy")"
	printf '  %-38s %9ss\n' "sha256sum" "$sha"
	printf '  %-38s %9ss   %sx sha256sum, peak RSS %s KB\n' "modelctl dump --hash" "$hash" \
		"$(ratio "$hash" "$sha")" "$rss"
done
echo
echo "times: best of 3, wall clock, page cache warm"
