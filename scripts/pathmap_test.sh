#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/pathmap is the one map between repo folders and the kernel tree:
# for each of its lines, a new file is overlaid to the right place, and an
# edit to an upstream file goes through mkhunk.sh to a hunk in the right
# repo folder, which the next overlay of a fresh tree applies.  Runs the
# real scripts in a scratch copy of the repo's layout; exit 0 when every
# root maps both ways.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo/scripts"
cp "$top/scripts/pathmap" "$top/scripts/overlay.sh" "$top/scripts/mkhunk.sh" "$repo/scripts/"

fail=0
check() {
	if [ "$1" = "$2" ]; then
		echo "ok   $3"
	else
		echo "FAIL $3: got '$1', want '$2'"
		fail=1
	fi
}

tree=$work/linux
grep -v '^#' "$top/scripts/pathmap" | while read -r from to; do
	[ -n "$from" ] || continue
	dst=${to#./}
	# An upstream file of the tree, edited in place and turned into a hunk.
	mkdir -p "$tree/${dst}sub"
	printf 'upstream\n' > "$tree/${dst}sub/up.txt"
	TREE=$tree PRISTINE=$work/pristine "$repo/scripts/mkhunk.sh" --save "${dst}sub/up.txt"
	printf 'upstream\nedited\n' > "$tree/${dst}sub/up.txt"
	hunk=$(TREE=$tree PRISTINE=$work/pristine "$repo/scripts/mkhunk.sh" "${dst}sub/up.txt" |
		sed 's/^  HUNK    //')
	check "$hunk" "${from}sub/up.txt.patch" "mkhunk: ${dst}sub/up.txt -> $hunk"
	# A new file of the repo folder.
	mkdir -p "$repo/${from}sub"
	printf 'new\n' > "$repo/${from}sub/new.txt"
done > "$work/log"
cat "$work/log"
grep -q '^FAIL' "$work/log" && fail=1

# A fresh tree (upstream files as they were) takes both back.
rm -rf "$tree" "$work/pristine"
grep -v '^#' "$top/scripts/pathmap" | while read -r from to; do
	[ -n "$from" ] || continue
	mkdir -p "$tree/${to#./}sub"
	printf 'upstream\n' > "$tree/${to#./}sub/up.txt"
done
"$repo/scripts/overlay.sh" "$tree" "$work/pristine2" > /dev/null
grep -v '^#' "$top/scripts/pathmap" | while read -r from to; do
	[ -n "$from" ] || continue
	dst=${to#./}
	check "$(cat "$tree/${dst}sub/up.txt" | tr '\n' ' ')" "upstream edited " \
		"overlay: ${from}sub/up.txt.patch applied to ${dst}sub/up.txt"
	check "$(cat "$tree/${dst}sub/new.txt" 2>/dev/null)" "new" \
		"overlay: ${from}sub/new.txt -> ${dst}sub/new.txt"
done > "$work/log"
cat "$work/log"
grep -q '^FAIL' "$work/log" && fail=1
exit $fail
