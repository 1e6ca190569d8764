#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command in this build has a man page, and `modelctl CMD --help`
# shows the page's synopsis unchanged.
# usage: tests/cli/man_test.sh path/to/modelctl   (run from the repo root)
set -u
bin=${1:?usage: man_test.sh path/to/modelctl}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

synopsis_of_page() { # the roff SYNOPSIS block as plain text lines
	awk '/^\.SH /{on = ($2 == "SYNOPSIS"); next} on && !/^\./' "$1" | sed -e 's/\\-/-/g' -e 's/\\&//g'
}

check() { # name, page, help-command...
	name=$1 page=$2
	shift 2
	if [ ! -f "$page" ]; then
		fail=$((fail + 1)); echo "FAIL $name: no man page $page"; return
	fi
	help=$("$@" 2>&1) || { fail=$((fail + 1)); echo "FAIL $name: '$*' failed"; return; }
	syn=$(synopsis_of_page "$page")
	[ -n "$syn" ] || { fail=$((fail + 1)); echo "FAIL $name: $page has no SYNOPSIS"; return; }
	echo "$syn" | while IFS= read -r line; do
		printf '%s\n' "$help" | grep -qxF -- "    $line" || echo "missing: $line"
	done > "$tmp/missing"
	if [ -s "$tmp/missing" ]; then
		fail=$((fail + 1)); echo "FAIL $name: --help differs from the page's synopsis:"; cat "$tmp/missing"
	else
		pass=$((pass + 1))
	fi
	rm -f "$tmp/missing"
}

check modelctl man/modelctl.1 "$bin" --help
"$bin" --list-commands > "$tmp/commands" || { echo "FAIL: --list-commands"; exit 1; }
while read -r cmd rest; do
	case "$rest" in *"(not in this build yet)") continue ;; esac
	check "$cmd" "man/modelctl-$cmd.1" "$bin" "$cmd" --help
	check "help $cmd" "man/modelctl-$cmd.1" "$bin" help "$cmd"
	grep -q "BR modelctl-$cmd (1)" man/modelctl.1 || { fail=$((fail + 1)); echo "FAIL $cmd: modelctl.1 does not refer to modelctl-$cmd(1)"; }
done < "$tmp/commands"
rm -f "$tmp/commands"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
