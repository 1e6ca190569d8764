#!/bin/sh
# SPDX-License-Identifier: MIT
# Command-line tests: the contract as users see it.  Each case is a folder
# tests/cli/<command>/<case>/ holding
#   args             the arguments, one per line (paths relative to the repo root)
#   exit             the expected exit code
#   stdout           the exact expected standard output (optional)
#   stdout.contains  lines that must each appear in standard output (optional)
#   stderr.contains  lines that must each appear in standard error (optional)
# Every case with exit code 3 must also print exactly one error line
# ("modelctl: ...") and at most one "hint: " line, and nothing on stdout
# (scan, whose report names unparseable files, prints one line per file).
# Then every file in testdata/bad/<format>/ must be refused by dump with
# exit 3 and one line naming the file.
# usage: tests/cli/run.sh path/to/modelctl   (run from the repo root)
set -u
bin=${1:?usage: run.sh path/to/modelctl}
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

check_refusal_shape() { # name, stdout file, stderr file
	if [ -s "$2" ]; then bad "$1" "stdout not empty on refusal"; return 1; fi
	n=$(wc -l < "$3")
	first=$(head -n 1 "$3")
	case "$first" in modelctl:\ *) ;; *) bad "$1" "error line does not start with 'modelctl: ': $first"; return 1 ;; esac
	if [ "$n" -gt 2 ]; then bad "$1" "more than one error line (+hint): $(cat "$3")"; return 1; fi
	if [ "$n" -eq 2 ]; then
		case "$(sed -n 2p "$3")" in hint:\ *) ;; *) bad "$1" "second stderr line is not a hint"; return 1 ;; esac
	fi
	return 0
}

for case in "$root"/tests/cli/*/*/; do
	[ -f "$case/args" ] || continue
	name=${case#"$root/tests/cli/"}
	name=${name%/}
	# read arguments one per line into the positional parameters
	set --
	while IFS= read -r a || [ -n "$a" ]; do set -- "$@" "$a"; done < "$case/args"
	"$bin" "$@" > "$tmp/out" 2> "$tmp/err"
	code=$?
	want=$(cat "$case/exit")
	if [ "$code" != "$want" ]; then
		bad "$name" "exit $code, expected $want; stderr: $(head -c 300 "$tmp/err")"
		continue
	fi
	if [ -f "$case/stdout" ] && ! cmp -s "$case/stdout" "$tmp/out"; then
		bad "$name" "stdout differs:"; diff "$case/stdout" "$tmp/out" | head -20
		continue
	fi
	failed=0
	for stream in stdout stderr; do
		[ -f "$case/$stream.contains" ] || continue
		src=$tmp/out; [ $stream = stderr ] && src=$tmp/err
		while IFS= read -r line || [ -n "$line" ]; do
			[ -n "$line" ] || continue
			if ! grep -qF -- "$line" "$src"; then
				bad "$name" "$stream lacks '$line'; got: $(head -c 400 "$src")"
				failed=1
				break
			fi
		done < "$case/$stream.contains"
		[ $failed = 1 ] && break
	done
	[ $failed = 1 ] && continue
	# scan reports unparseable files on stdout too; its stderr lines follow
	# the one-line rule
	if [ "$want" = 3 ] && [ "$(head -n 1 "$case/args")" = scan ]; then
		if grep -qv '^modelctl: ' "$tmp/err"; then bad "$name" "stderr line not 'modelctl: ...'"; continue; fi
	elif [ "$want" = 3 ]; then
		check_refusal_shape "$name" "$tmp/out" "$tmp/err" || continue
	fi
	ok
done

# Hostile inputs: every one refused by dump, with one line naming the file.
for f in "$root"/testdata/bad/*/*; do
	case "$f" in *.md|*.py) continue ;; esac
	[ -f "$f" ] || continue
	rel=${f#"$root/"}
	for fmt in text json; do
		"$bin" dump --format $fmt --hash "$rel" > "$tmp/out" 2> "$tmp/err"
		code=$?
		if [ $code != 3 ]; then
			bad "bad/$rel" "dump exit $code, expected 3; stderr: $(head -c 300 "$tmp/err")"
			continue
		fi
		check_refusal_shape "bad/$rel" "$tmp/out" "$tmp/err" || continue
		if ! head -n 1 "$tmp/err" | grep -qF -- "modelctl: $rel"; then
			bad "bad/$rel" "error does not name the file: $(head -n 1 "$tmp/err")"
			continue
		fi
		# the README beside the file gives the reason's message fragment (the
		# last `quoted` cell of the file's row; the unit tests check each one
		# against its own format's reader).  Through dump the format is sniffed,
		# so a file mangled before its magic may instead be an unknown format,
		# or (a pickle glued in front) be refused as the pickle it starts with.
		readme=$(dirname "$f")/README.md
		base=$(basename "$f")
		row=$(grep -F -- "| \`$base\` |" "$readme" 2>/dev/null | head -n 1)
		if [ -z "$row" ]; then
			bad "bad/$rel" "not listed in $readme"
			continue
		fi
		frag=$(printf '%s\n' "$row" | sed -e 's/.*`\([^`]*\)`[^`]*$/\1/' -e 's/\\|/|/g')
		# look for it after the path: many file names contain their own fragment
		msg=$(head -n 1 "$tmp/err")
		msg=${msg#"modelctl: $rel"}
		if ! printf '%s\n' "$msg" | grep -qF -- "$frag" &&
		   ! grep -qE "unrecognised file format|: empty file|global '[^']*' is not allowed" "$tmp/err"; then
			bad "bad/$rel" "message lacks '$frag': $(head -n 1 "$tmp/err")"
			continue
		fi
		ok
	done
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
