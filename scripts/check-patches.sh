#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check-patches: apply build/patches/ with git am to a fresh pristine
# tree and, after every patch, configure and build the guest kernel (the
# series must bisect).  Then checkpatch --strict on every patch, kernel-doc
# on the files the series touches, sparse (C=2) and W=1 on its objects, and
# a build with CONFIG_SYSGENID off.  Prints a summary; fails on any finding.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
patches=$repo/build/patches
tree=$repo/build/check-patches-tree
log=$repo/build/check-patches.log
kmake="make -s -j$(($(nproc) + 1)) CC=ccache\ gcc KBUILD_BUILD_TIMESTAMP=2026-01-01"
fail=0
: > "$log"

note() { echo "$*"; echo "$*" >> "$log"; }
bad() { note "FAIL $*"; fail=1; }

config() {
	cp "$repo/kernel/kernel/configs/sysgenid_guest.config" kernel/configs/
	make -s tinyconfig sysgenid_guest.config > /dev/null 2>&1
	[ $# -eq 0 ] || { scripts/config "$@"; make -s olddefconfig > /dev/null; }
}

build() {
	if ! eval "$kmake bzImage" >> "$log" 2>&1; then
		bad "build $1"
		return 1
	fi
	note "ok   build $1"
}

rm -rf "$tree"
git clone -q --no-checkout "$repo/build/series-tree" "$tree"
cd "$tree"
git checkout -q base
config
build "pristine"

for p in $(cat "$patches/series"); do
	git am -q "$patches/$p" || { bad "git am $p"; git am --abort; break; }
	config
	build "after $p" || true
	out=$(scripts/checkpatch.pl --strict --terse "$patches/$p" 2>&1 |
		grep -E 'ERROR|WARNING|CHECK' || true)
	if [ -n "$out" ]; then
		bad "checkpatch $p"
		echo "$out" | tee -a "$log"
	else
		note "ok   checkpatch --strict $p"
	fi
done

files=$(git diff --name-only base HEAD -- '*.c' '*.h' | grep -v '^tools/')
out=$(scripts/kernel-doc -none -Wall $files 2>&1 || true)
[ -z "$out" ] && note "ok   kernel-doc -none -Wall: $(echo $files | wc -w) files" ||
	{ bad "kernel-doc"; echo "$out" | tee -a "$log"; }

objs="drivers/misc/sysgenid.o arch/x86/entry/vdso/vsysgenid.o arch/x86/entry/vdso/vma.o"
for flags in "W=1" "C=2"; do
	out=$(eval "$kmake $flags $objs" 2>&1 | grep -E 'sysgenid|vma\.c' || true)
	[ -z "$out" ] && note "ok   $flags on $objs" ||
		{ bad "$flags"; echo "$out" | tee -a "$log"; }
done

config -d SYSGENID
build "with CONFIG_SYSGENID off" || true
if readelf --dyn-syms -W arch/x86/entry/vdso/vdso64.so | grep -q sysgenid; then
	bad "vDSO exports sysgenid symbols without CONFIG_SYSGENID"
else
	note "ok   no sysgenid symbol in the vDSO without CONFIG_SYSGENID"
fi
[ $fail -eq 0 ] && note "check-patches: all clean" || note "check-patches: FAILED (log: $log)"
exit $fail
