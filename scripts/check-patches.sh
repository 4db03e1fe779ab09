#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check-patches: apply build/patches/ with git am to a fresh pristine
# tree and, after every patch, configure and build the guest kernel for
# x86_64 and, in a worktree of the same repository, for arm64 (the series
# must bisect on both).  Then checkpatch --strict on every patch (findings
# listed in series/checkpatch.allow are justified in the cover letter),
# kernel-doc on the files the series touches, sparse (C=2) and W=1 on its
# objects (no new warnings against the pristine tree), Sphinx on the
# documentation directories the series adds pages to, and a build with
# CONFIG_SYSGENID off on both.  Prints a summary; fails on any finding.
#
# CHECK_PATCHES_BISECT=touched (CI) builds, after each patch but the last,
# only the directories of the C files it touches (make DIR/), and the whole
# kernel once, after the last patch, which make check's kernel then finds in
# ccache.  A patch that breaks the build of a file it does not touch (through
# a header) is then caught by the final build, not at that patch.  The
# default, full, builds the whole kernel after every patch: three of the
# series' patches change headers most of the kernel includes, so that is
# three cold builds on a new machine.
set -eu
bisect=${CHECK_PATCHES_BISECT:-full}
case $bisect in
full|touched) ;;
*) echo "check-patches: CHECK_PATCHES_BISECT must be full or touched, not '$bisect'" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
patches=$repo/build/patches
tree=$repo/build/check-patches-tree
atree=$tree-arm64
log=$repo/build/check-patches.log
# kmake and the build functions use $arch: x86_64 (in $tree) or arm64 (in $atree).
arch=x86_64
jobs="-j$(($(nproc) + 1)) KBUILD_BUILD_TIMESTAMP=2026-01-01"
kmake_x86_64="make -s $jobs CC=ccache\ gcc"
kmake_arm64="make -s $jobs ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=ccache\ aarch64-linux-gnu-gcc"
image_x86_64=bzImage
image_arm64=Image
fail=0
: > "$log"
# git am records a committer; a CI machine may have no identity configured.
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-check-patches}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-check-patches@localhost}"

note() { echo "$*"; echo "$*" >> "$log"; }
bad() { note "FAIL $*"; fail=1; }

kmake() {
	eval "km=\$kmake_$arch"
	eval "$km \"\$@\""
}
config() {
	cp "$repo/qemu/configs/sysgenid_guest.config" "$repo/qemu/configs/sysgenid_$arch.config" \
		kernel/configs/
	kmake tinyconfig sysgenid_guest.config "sysgenid_$arch.config" > /dev/null 2>&1
	[ $# -eq 0 ] || { scripts/config "$@"; kmake olddefconfig > /dev/null; }
}

# Says how long each build took and how many objects it compiled: a patch
# to a header half the kernel includes costs a full build.
build() {
	t0=$(date +%s)
	touch .build-stamp
	if ! eval "kmake \$image_$arch" >> "$log" 2>&1; then
		bad "build $arch $1"
		return 1
	fi
	note "ok   build $arch $1 ($(($(date +%s) - t0)) s, $(find . -name '*.o' -newer .build-stamp | wc -l) objects)"
}

# build_touched LABEL: the directories of the C files the last commit
# touched, but another architecture's.
build_touched() {
	t0=$(date +%s)
	touch .build-stamp
	other=arm64
	[ $arch = arm64 ] && other=x86
	dirs=$(git diff --name-only HEAD~1 HEAD -- '*.c' '*.S' | grep -v -e '^tools/' -e "^arch/$other/" |
		xargs -r -n 1 dirname | sort -u | sed 's|$|/|')
	if [ -z "$dirs" ]; then
		note "ok   build $arch $1: no kernel C file (left to the final build)"
		return 0
	fi
	# shellcheck disable=SC2086
	if ! kmake $dirs >> "$log" 2>&1; then
		bad "build $arch $1 ($(echo $dirs))"
		return 1
	fi
	note "ok   build $arch $1: $(echo $dirs) ($(($(date +%s) - t0)) s, $(find . -name '*.o' -newer .build-stamp | wc -l) objects)"
}

# bisect_step PATCH: build after PATCH, whole or touched; configure again
# first if it changed a Kconfig file (a new option the fragments set).
bisect_step() {
	git diff --quiet HEAD~1 HEAD -- '*Kconfig*' || config
	if [ "$bisect" = full ] || [ "$1" = "$last" ]; then
		build "after $1" || true
	else
		build_touched "after $1" || true
	fi
}

# Warnings without line numbers, sorted: what "new" is measured against.
kdoc() { scripts/kernel-doc -none -Wall $kdoc_files 2>&1 | sed 's/:[0-9]*:/:/' | sort -u; }
objs_x86_64="drivers/misc/sysgenid.o arch/x86/entry/vdso/vsysgenid.o arch/x86/entry/vdso/vma.o"
objs_arm64="arch/arm64/kernel/vdso/vsysgenid.o arch/arm64/kernel/vdso.o"
warnings() {
	for o in $(eval echo "\$objs_$arch"); do
		[ -f "${o%.o}.c" ] && touch "${o%.o}.c" && kmake "$1" "$o" 2>&1
	done | grep -E 'warning|error' | sed 's/:[0-9]*:[0-9]*:/:/' | sort -u
}

rm -rf "$tree" "$atree"
git clone -q --no-checkout "$repo/build/series-tree" "$tree"
cd "$tree"
git checkout -q base
git worktree add -q --detach "$atree" base
(cd "$atree" && arch=arm64 && config)
config
# No build of the pristine tree: the first patch's build is a full one
# anyway, and the baselines below build only the objects they compare.
kdoc_files=$(cat "$patches"/0*.patch | sed -n 's|^+++ b/\(.*\.[ch]\)$|\1|p' | grep -v '^tools/' | sort -u)
base_kdoc=$(for f in $kdoc_files; do [ -f "$f" ] && scripts/kernel-doc -none -Wall "$f" 2>&1; done |
	sed 's/:[0-9]*:/:/' | sort -u)
base_w1=$(warnings W=1)
base_sparse=$(warnings C=1)
# The arm64 objects are new files: nothing to compare against but nothing.

last=$(tail -n 1 "$patches/series")
for p in $(cat "$patches/series"); do
	git am -q "$patches/$p" || { bad "git am $p"; git am --abort; break; }
	bisect_step "$p"
	(cd "$atree" && git checkout -q --detach "$(git -C "$tree" rev-parse HEAD)" &&
		arch=arm64 && bisect_step "$p")
	out=$(scripts/checkpatch.pl --strict --terse "$patches/$p" 2>&1 |
		grep -E 'ERROR|WARNING|CHECK' || true)
	allowed=$(sed -n "s/^${p%%-*} //p" "$repo/series/checkpatch.allow")
	left=$(echo "$out" | grep -vF "${allowed:-@@none@@}" | grep . || true)
	if [ -n "$left" ]; then
		bad "checkpatch $p"
		echo "$left" | tee -a "$log"
	else
		note "ok   checkpatch --strict $p ($(echo "$out" | grep -c .) finding(s), all justified)"
	fi
done

# new LABEL BASE NOW: report what NOW has that BASE had not.
new() {
	out=$(printf '%s\n' "$3" | grep . | while read -r l; do
		printf '%s\n' "$2" | grep -qxF "$l" || echo "$l"; done)
	if [ -z "$out" ]; then
		note "ok   $1: no new warnings ($(printf '%s\n' "$2" | grep -c .) pre-existing)"
	else
		bad "$1"
		echo "$out" | tee -a "$log"
	fi
}
new "kernel-doc -none -Wall on $(echo $kdoc_files | wc -w) files" "$base_kdoc" "$(kdoc)"
new "W=1 on $objs_x86_64" "$base_w1" "$(warnings W=1)"
new "sparse (C=1, the series' objects rebuilt) on $objs_x86_64" "$base_sparse" "$(warnings C=1)"
# arm64's vgetrandom.c, included by the vDSO's build, draws a sparse
# warning of its own upstream.
arm_w1=$(cd "$atree" && arch=arm64 && warnings W=1)
arm_sparse=$(cd "$atree" && arch=arm64 && warnings C=1 |
	grep -v "'__kernel_getrandom' was not declared" || true)
new "arm64 W=1 on $objs_arm64" "" "$arm_w1"
new "arm64 sparse (C=1) on $objs_arm64" "" "$arm_sparse"

# Sphinx builds each of SPHINXDIRS on its own, so a reference from one of
# them into another cannot resolve there: those are checked against the
# whole tree's labels and documents instead; any other warning about a page
# of the series is a finding.
docs=$(cat "$patches"/0*.patch | sed -n 's|^+++ b/Documentation/\([^/]*\)/.*sysgenid.*\.rst$|\1|p' | sort -u)
if [ -n "$docs" ]; then
	eval "make -s SPHINXDIRS=\"$(echo $docs)\" htmldocs" > "$repo/build/htmldocs.log" 2>&1 ||
		bad "make htmldocs SPHINXDIRS=\"$(echo $docs)\" (log: build/htmldocs.log)"
	out=$(grep -E 'sysgenid[^ ]*\.rst.*(WARNING|ERROR)' "$repo/build/htmldocs.log" |
		grep -vE 'undefined label|unknown document' || true)
	refs=$(python3 "$repo/scripts/check-doc-refs.py" Documentation/*/*sysgenid*.rst 2>&1) ||
		out="$out${out:+
}$refs"
	if [ -n "$out" ]; then
		bad "Sphinx on Documentation/{$(echo $docs | tr ' ' ,)}"
		echo "$out" | tee -a "$log"
	else
		note "ok   Sphinx on Documentation/{$(echo $docs | tr ' ' ,)}: no warning, every cross-reference resolves"
	fi
fi

config -d SYSGENID
build "with CONFIG_SYSGENID off" || true
cd "$atree"
arch=arm64
config -d SYSGENID
build "with CONFIG_SYSGENID off" || true
cd "$tree"
if readelf --dyn-syms -W arch/x86/entry/vdso/vdso64.so arch/x86/entry/vdso/vdso32.so \
	"$atree/arch/arm64/kernel/vdso/vdso.so" | grep -q sysgenid; then
	bad "a vDSO exports sysgenid symbols without CONFIG_SYSGENID"
else
	note "ok   no sysgenid symbol in the x86_64, x86 32-bit or arm64 vDSO without CONFIG_SYSGENID"
fi
[ $fail -eq 0 ] && note "check-patches: all clean" || note "check-patches: FAILED (log: $log)"
exit $fail
