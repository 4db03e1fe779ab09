#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Turn edits made directly in the kernel tree to an upstream file back into
# the repo's *.patch hunk for it (the inverse of scripts/overlay.sh).
# Save the pristine copy first:  scripts/mkhunk.sh --save FILE...
# then edit build/linux/FILE and: scripts/mkhunk.sh FILE...
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$repo/build/linux
pristine=$repo/build/pristine

save=
[ "${1:-}" = --save ] && { save=1; shift; }
for f in "$@"; do
	if [ -n "$save" ]; then
		mkdir -p "$(dirname "$pristine/$f")"
		[ -f "$pristine/$f" ] || cp "$tree/$f" "$pristine/$f"
		continue
	fi
	case $f in
	arch/*) out=$repo/arch-vdso/${f#arch/}.patch ;;
	*)	out=$repo/kernel/$f.patch ;;
	esac
	mkdir -p "$(dirname "$out")"
	diff -u --label "a/$f" --label "b/$f" "$pristine/$f" "$tree/$f" > "$out" || true
	echo "  HUNK    ${out#"$repo"/}"
done
