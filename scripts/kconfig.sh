#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Configure KERNEL_TREE as tinyconfig plus the given fragments (the rig's,
# in qemu/configs/: copied to the tree's kernel/configs/ for make), then
# check that every option the fragments ask for made it into .config:
# olddefconfig silently drops what it cannot satisfy.
# The configuration is redone only when a fragment or a Kconfig hunk changed.
#
# usage: scripts/kconfig.sh KERNEL_TREE FRAGMENT...
set -eu

tree=$1
shift
repo=$(cd "$(dirname "$0")/.." && pwd)

stamp=$(cd "$repo" && cat "$@" $(find kernel arch-vdso -name 'Kconfig*.patch' 2>/dev/null | sort) |
	sha1sum | cut -d' ' -f1)
if [ -f "$tree/.config" ] && [ "$(cat "$tree/.config.sysgenid" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

echo "  KCONFIG tinyconfig $*"
for f in "$@"; do
	cp "$repo/$f" "$tree/kernel/configs/"
done
make -s -C "$tree" tinyconfig $(for f in "$@"; do basename "$f"; done) >/dev/null

# Each option as the last fragment that names it sets it (merge_config's
# rule: a later fragment overrides an earlier one).
bad=0
for f in "$@"; do
	grep -E '^(# )?CONFIG_[A-Za-z0-9_]*[= ]' "$repo/$f" |
		sed -E 's/^(# )?(CONFIG_[A-Za-z0-9_]*)(.*)/\2 \1\2\3/' | sed "s|\$| @$f|"
done | awk '{ last[$1] = $0; order[$1] = NR } END { for (o in last) print order[o], last[o] }' |
	sort -n | cut -d' ' -f3- | while read -r line; do
	f=${line##* @}
	line=${line% @*}
	case $line in
	"# "*)	opt=$(echo "$line" | sed 's/^# \(CONFIG_[A-Za-z0-9_]*\).*/\1/')
		grep -q "^$opt=" "$tree/.config" && echo "kconfig: $opt should be off ($f)" && exit 1 ;;
	*)	grep -qx "$line" "$tree/.config" ||
			{ echo "kconfig: $line from $f missing in .config (unmet dependency?)"; exit 1; } ;;
	esac
	true
done || bad=1
if [ $bad -ne 0 ]; then
	rm -f "$tree/.config.sysgenid"
	exit 1
fi
echo "$stamp" > "$tree/.config.sysgenid"
