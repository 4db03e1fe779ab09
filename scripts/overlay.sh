#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bring an unpacked kernel tree up to date with the repo's kernel files.
#
# usage: scripts/overlay.sh KERNEL_TREE PRISTINE_DIR [--only REPO_PATH...]
#
# With --only, just the given repo files are brought in (make patches builds
# the series one patch at a time this way) and nothing is removed.
#
# New files are copied along scripts/pathmap.  Changes to existing upstream
# files (Kconfig, Makefile, vdso.lds.S, ...) live in the repo as *.patch
# hunks next to the code they wire up; they are applied to pristine copies
# of the files they touch (kept in PRISTINE_DIR the first time a file is
# patched), so editing or dropping a hunk never needs a fresh tree.  Only
# files whose content changed are written, which keeps rebuilds incremental.
set -eu

tree=$1
pristine=$2
shift 2
only=
if [ "${1:-}" = --only ]; then
	shift
	only=$(printf '%s\n' "$@")
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
MAP=$(grep -v '^#' "$repo/scripts/pathmap")
manifest=$pristine/.copied
mkdir -p "$pristine"
touch "$manifest"

# install SRC DST: write DST only when its content differs.
install_if_changed() {
	if ! cmp -s "$1" "$2"; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		echo "  OVERLAY $3"
	fi
}

copied=$(mktemp)
patches=$(mktemp)
stage=$(mktemp -d)
trap 'rm -rf "$copied" "$patches" "$stage"' EXIT

echo "$MAP" | while read -r from to; do
	[ -n "$from" ] && [ -d "$repo/$from" ] || continue
	(cd "$repo/$from" && find . -type f ! -name '*.orig' ! -name '*.rej' | sort) |
	while read -r f; do
		f=${f#./}
		if [ -n "$only" ] && ! echo "$only" | grep -qxF "$from$f"; then
			continue
		fi
		case $f in
		*.patch) echo "$repo/$from$f" >> "$patches" ;;
		*)	 dst=$(echo "$to$f" | sed 's|^\./||')
			 install_if_changed "$repo/$from$f" "$tree/$dst" "$dst"
			 echo "$dst" >> "$copied" ;;
		esac
	done
done

# Files copied by an earlier run that the repo no longer has.
sort -u "$copied" -o "$copied"
if [ -z "$only" ]; then
	sort -u "$manifest" | comm -23 - "$copied" | while read -r dst; do
		rm -f "$tree/$dst"
		echo "  REMOVED $dst"
	done
	cp "$copied" "$manifest"
fi

# Hunks: pristine copies of every file they touch, all hunks applied, then
# the result compared with the tree.  A file no hunk touches any more goes
# back to pristine.
touched=$(sort "$patches" | xargs -r cat | sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' | sort -u)
for f in $touched; do
	if [ ! -f "$pristine/$f" ]; then
		mkdir -p "$(dirname "$pristine/$f")"
		cp "$tree/$f" "$pristine/$f"
	fi
	mkdir -p "$(dirname "$stage/$f")"
	cp "$pristine/$f" "$stage/$f"
done
for p in $(sort "$patches"); do
	if ! patch -s -p1 -d "$stage" --no-backup-if-mismatch < "$p"; then
		echo "overlay: $p does not apply to linux-source-6.12; refresh it" >&2
		exit 1
	fi
done
for f in $touched; do
	install_if_changed "$stage/$f" "$tree/$f" "$f (patched)"
done
[ -n "$only" ] && exit 0
(cd "$pristine" && find . -type f ! -name .copied | sed 's|^\./||') | while read -r f; do
	echo "$touched" | grep -qx "$f" && continue
	install_if_changed "$pristine/$f" "$tree/$f" "$f (restored)"
done
