#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Benchmark of `modelctl dump` on a large safetensors file. It is run by hand
# and is not a test: it builds nothing and always cleans up.
#
#   tests/bench/bench_dump.sh [MODELCTL]     (default: build/modelctl)
#
# It writes a ~1 GB safetensors file (four large float32 tensors and 200
# small ones) and a ~10 MB file with the same header layout, both in a
# temporary directory. Then, with the page cache warm, it measures:
#   - wall time of `sha256sum FILE` and `modelctl dump --hash FILE`, best of 3,
#     and their ratio (target: dump --hash within 1.3x of sha256sum);
#   - wall time of `modelctl dump FILE` on the 1 GB and the 10 MB file, which
#     reads only the header (target: flat in the file size);
#   - peak RSS of `dump --hash` on the 1 GB file, from /usr/bin/time -f %M
#     (target: under 32 MB plus the header size).
# BENCH_MB sets the size of the large file in MiB (default 1024). TMPDIR
# chooses where the files go, and it needs that much free space.
set -euo pipefail
export LC_ALL=C # a '.' in $EPOCHREALTIME and in awk's numbers
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # die, best_of3, ratio, verdict

MODELCTL=${1:-build/modelctl}
BIG_MB=${BENCH_MB:-1024}
SMALL_MB=10

[ -x "$MODELCTL" ] || die "$MODELCTL: not an executable (build first, or pass the path)"
command -v python3 >/dev/null || die "python3 is needed to write the header"
command -v sha256sum >/dev/null || die "sha256sum (coreutils) is needed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for peak RSS (apt-get install time)"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_dump.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# make_file PATH MIB: a safetensors file of about MIB MiB. Python writes the
# header (so every size adds up) and prints the data length, then the data
# comes straight from /dev/urandom.
make_file() {
	local path=$1 mib=$2 data_len
	data_len=$(python3 - "$path" "$mib" <<'EOF'
import json, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
small = [("layers.%d.norm.weight" % i, [1024]) for i in range(200)]
small_bytes = 4 * 1024 * len(small)
per_big = max(0, (mib * 1024 * 1024 - small_bytes) // 4) // (4 * 1024) * 1024 * 4
big = [("layers.%d.mlp.weight" % i, [per_big // 4 // 1024, 1024]) for i in range(4)]
header, off = {"__metadata__": {"format": "pt"}}, 0
for name, shape in big + small:
    n = 4
    for d in shape:
        n *= d
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + n]}
    off += n
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text)
print(off)
EOF
)
	head -c "$data_len" /dev/urandom >>"$path"
}

header_size() { # the 8-byte length prefix plus the JSON header
	python3 -c 'import struct,sys; f=open(sys.argv[1],"rb"); print(8 + struct.unpack("<Q", f.read(8))[0])' "$1"
}

echo "modelctl: $MODELCTL"
echo "writing a ${BIG_MB} MiB and a ${SMALL_MB} MiB safetensors file in $work ..."
big="$work/big.safetensors"
small="$work/small.safetensors"
make_file "$big" "$BIG_MB"
make_file "$small" "$SMALL_MB"
big_size=$(stat -c %s "$big")
small_size=$(stat -c %s "$small")
big_hdr=$(header_size "$big")
small_hdr=$(header_size "$small")

# warm the page cache: every run below reads from memory, not the disk
cat "$big" "$small" >/dev/null

sha_big=$(best_of3 sha256sum "$big")
hash_big=$(best_of3 "$MODELCTL" dump --hash "$big")
sha_small=$(best_of3 sha256sum "$small")
hash_small=$(best_of3 "$MODELCTL" dump --hash "$small")
dump_big=$(best_of3 "$MODELCTL" dump "$big")
dump_small=$(best_of3 "$MODELCTL" dump "$small")

/usr/bin/time -f %M -o "$work/rss" "$MODELCTL" dump --hash "$big" >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; die "dump --hash failed"; }
rss_kb=$(tail -n 1 "$work/rss")
rss_limit_kb=$(( 32 * 1024 + big_hdr / 1024 ))

echo
printf '%-6s %12s %9s %11s %13s %7s %11s\n' file bytes header sha256sum "dump --hash" ratio "dump (hdr)"
printf '%-6s %12s %9s %10ss %12ss %6sx %10ss\n' big "$big_size" "$big_hdr" "$sha_big" "$hash_big" \
	"$(ratio "$hash_big" "$sha_big")" "$dump_big"
printf '%-6s %12s %9s %10ss %12ss %6sx %10ss\n' small "$small_size" "$small_hdr" "$sha_small" \
	"$hash_small" "$(ratio "$hash_small" "$sha_small")" "$dump_small"
echo
echo "times: best of 3, wall clock, page cache warm"

r_hash=$(ratio "$hash_big" "$sha_big")
r_flat=$(ratio "$dump_big" "$dump_small")
echo "dump --hash / sha256sum on the big file:  ${r_hash}x   (target <= 1.3x: $(verdict "$r_hash <= 1.3"))"
echo "header-only dump, big / small file:       ${r_flat}x   (target: flat, ~1x; $(verdict "$dump_big <= 2 * $dump_small + 0.01"))"
echo "peak RSS of dump --hash on the big file:  ${rss_kb} KB (target < 32 MB + header = ${rss_limit_kb} KB: $(verdict "$rss_kb < $rss_limit_kb"))"
