#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Turn edits made directly in the kernel tree to an upstream file back into
# the repo's *.patch hunk for it (the inverse of scripts/overlay.sh, along
# the same scripts/pathmap: the longest kernel-tree folder that holds the
# file names the repo folder).
# Save the pristine copy first:  scripts/mkhunk.sh --save FILE...
# then edit build/linux/FILE and: scripts/mkhunk.sh FILE...
# TREE and PRISTINE (default build/linux, build/pristine) point elsewhere.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=${TREE:-$repo/build/linux}
pristine=${PRISTINE:-$repo/build/pristine}

# repo_path FILE: where FILE (a kernel tree path) lives in the repo.
repo_path() {
	grep -v '^#' "$repo/scripts/pathmap" | while read -r from to; do
		[ -n "$from" ] || continue
		to=${to#./}
		case $1 in
		"$to"*) echo "${#to} $from${1#"$to"}" ;;
		esac
	done | sort -n | tail -n 1 | cut -d' ' -f2-
}

save=
[ "${1:-}" = --save ] && { save=1; shift; }
for f in "$@"; do
	if [ -n "$save" ]; then
		mkdir -p "$(dirname "$pristine/$f")"
		[ -f "$pristine/$f" ] || cp "$tree/$f" "$pristine/$f"
		continue
	fi
	out=$repo/$(repo_path "$f").patch
	mkdir -p "$(dirname "$out")"
	diff -u --label "a/$f" --label "b/$f" "$pristine/$f" "$tree/$f" > "$out" || true
	echo "  HUNK    ${out#"$repo"/}"
done
