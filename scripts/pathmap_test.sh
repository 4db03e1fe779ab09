#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/pathmap is the one map between repo folders and the kernel tree:
# for each of its lines, a new file is overlaid to the right place, and an
# edit to an upstream file goes through mkhunk.sh to a hunk in the right
# repo folder, which the next overlay of a fresh tree applies.  Runs the
# real scripts in a scratch copy of the repo's layout.  KTAP output, through
# the kernel's kselftest/ktap_helpers.sh (KTAP_HELPERS, default: the one of
# build/linux); exit 0 when every root maps both ways.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=/dev/null
. "${KTAP_HELPERS:-$top/build/linux/tools/testing/selftests/kselftest/ktap_helpers.sh}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo/scripts"
cp "$top/scripts/pathmap" "$top/scripts/overlay.sh" "$top/scripts/mkhunk.sh" "$repo/scripts/"
# The map's lines, "FROM TO", read by loops in this shell (not in a
# pipeline's subshell) so that the tests' counts add up.
grep -v '^#' "$top/scripts/pathmap" | awk 'NF' > "$work/roots"

# The checks, on the loop's $from, $dst and $hunk.
mkhunk_names_the_repo_folder() {
	[ "$hunk" = "${from}sub/up.txt.patch" ] ||
		{ ktap_print_msg "got '$hunk', want '${from}sub/up.txt.patch'"; return 1; }
}
overlay_applies_the_hunk() {
	got=$(tr '\n' ' ' < "$tree/${dst}sub/up.txt") || return 1
	[ "$got" = "upstream edited " ] ||
		{ ktap_print_msg "got '$got', want 'upstream edited '"; return 1; }
}
overlay_copies_the_new_file() {
	got=$(cat "$tree/${dst}sub/new.txt" 2> /dev/null) ||
		{ ktap_print_msg "no ${dst}sub/new.txt"; return 1; }
	[ "$got" = new ] || { ktap_print_msg "got '$got', want 'new'"; return 1; }
}

ktap_print_header
ktap_set_plan $((3 * $(wc -l < "$work/roots")))

tree=$work/linux
while read -r from to; do
	dst=${to#./}
	# An upstream file of the tree, edited in place and turned into a hunk.
	mkdir -p "$tree/${dst}sub"
	printf 'upstream\n' > "$tree/${dst}sub/up.txt"
	TREE=$tree PRISTINE=$work/pristine "$repo/scripts/mkhunk.sh" --save "${dst}sub/up.txt"
	printf 'upstream\nedited\n' > "$tree/${dst}sub/up.txt"
	hunk=$(TREE=$tree PRISTINE=$work/pristine "$repo/scripts/mkhunk.sh" "${dst}sub/up.txt" |
		sed 's/^  HUNK    //')
	ktap_test_result "mkhunk: ${dst}sub/up.txt -> $hunk" mkhunk_names_the_repo_folder
	# A new file of the repo folder.
	mkdir -p "$repo/${from}sub"
	printf 'new\n' > "$repo/${from}sub/new.txt"
done < "$work/roots"

# A fresh tree (upstream files as they were) takes both back.
rm -rf "$tree" "$work/pristine"
while read -r from to; do
	mkdir -p "$tree/${to#./}sub"
	printf 'upstream\n' > "$tree/${to#./}sub/up.txt"
done < "$work/roots"
"$repo/scripts/overlay.sh" "$tree" "$work/pristine2" > /dev/null
while read -r from to; do
	dst=${to#./}
	ktap_test_result "overlay: ${from}sub/up.txt.patch applied to ${dst}sub/up.txt" \
		overlay_applies_the_hunk
	ktap_test_result "overlay: ${from}sub/new.txt -> ${dst}sub/new.txt" \
		overlay_copies_the_new_file
done < "$work/roots"
ktap_finished
