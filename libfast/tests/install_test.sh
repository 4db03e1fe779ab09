#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# `make install` into a scratch DESTDIR, then use the tree as a user would:
# build a program with nothing but pkg-config (shared and static), run it
# and the installed sysgenid command, render the installed man pages, and
# uninstall.  Runs on the build host; KTAP output, exit 1 on any failure.
#
# usage: libfast/tests/install_test.sh [PREFIX]     (default /opt/sysgenid)
# KTAP through the kernel's kselftest/ktap_helpers.sh: KTAP_HELPERS, by
# default the one of the repo's build/linux (`make kernel-tree`).
set -u
here=$(cd "$(dirname "$0")" && pwd)
libfast=$(cd "$here/.." && pwd)
# shellcheck source=/dev/null
. "${KTAP_HELPERS:-$(dirname "$libfast")/build/linux/tools/testing/selftests/kselftest/ktap_helpers.sh}"
prefix=${1:-/opt/sysgenid}
dest=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$dest" "$out"' EXIT
root=$dest$prefix

# quietly CHECK: the check's status is the verdict; its output is shown, as
# KTAP diagnostics, only when it fails.
quietly() {
	"$1" > "$out/log" 2>&1 && return 0
	sed 's/^/# /' "$out/log"
	return 1
}

# pkg-config sees only the staged tree, the way a sysroot build would.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$root/lib/pkgconfig \
		PKG_CONFIG_PATH= pkg-config "$@" sysgenid
}

install_staged() {
	make -s -C "$libfast" install DESTDIR="$dest" PREFIX="$prefix"
}

has_files() {
	for f in include/sysgenid/sysgenid.h include/sysgenid/uapi/linux/sysgenid.h \
		 lib/libsysgenid.a lib/libsysgenid.so.1 lib/pkgconfig/sysgenid.pc \
		 bin/sysgenid share/man/man1/sysgenid.1 share/man/man4/sysgenid.4 \
		 share/man/man3/sysgenid_vdso_get.3; do
		[ -f "$root/$f" ] || { echo "missing $prefix/$f"; return 1; }
	done
	[ "$(readlink "$root/lib/libsysgenid.so")" = libsysgenid.so.1 ] ||
		{ echo "libsysgenid.so does not point at libsysgenid.so.1"; return 1; }
}

soname_and_versions() {
	readelf -d "$root/lib/libsysgenid.so.1" | grep -q 'SONAME.*\[libsysgenid\.so\.1\]' ||
		{ echo "SONAME is not libsysgenid.so.1"; return 1; }
	nm -D --defined-only "$root/lib/libsysgenid.so.1" | grep -q ' sysgenid_vdso_get@@SYSGENID_1$' ||
		{ echo "sysgenid_vdso_get@@SYSGENID_1 not exported"; return 1; }
}

pc_paths() {
	# The .pc carries the header's version.
	want=$(sed -n 's/^#define SYSGENID_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
		"$here/../include/sysgenid/sysgenid.h" | paste -sd.)
	[ "$(pc --modversion)" = "$want" ] ||
		{ echo "sysgenid.pc says $(pc --modversion), the header $want"; return 1; }
	grep -qx "prefix=$prefix" "$root/lib/pkgconfig/sysgenid.pc" ||
		{ echo "sysgenid.pc was not written for prefix $prefix"; return 1; }
	pc --cflags --libs
	# Every path it hands out is inside the staged tree.
	for f in $(pc --cflags --libs); do
		case $f in
		-I*|-L*) [ -d "${f#-?}" ] && case ${f#-?} in "$dest"/*) ;; *) false ;; esac ||
				{ echo "$f is not a directory of the staged tree"; return 1; } ;;
		esac
	done
}

# $(pc ...) is split into words on purpose: those are the compiler's arguments.
# shellcheck disable=SC2046
build_shared() {
	cc -Wall -Wextra -Werror -o "$out/consumer" "$here/install_consumer.c" \
		$(pc --cflags --libs)
}

# shellcheck disable=SC2046
build_static() {
	cc -Wall -Wextra -Werror -static -o "$out/consumer-static" "$here/install_consumer.c" \
		$(pc --static --cflags --libs)
}

run_shared() {
	LD_LIBRARY_PATH=$root/lib ldd "$out/consumer" | grep -q "libsysgenid.so.1 => $root/lib/" ||
		{ echo "the consumer does not load the installed library"; return 1; }
	LD_LIBRARY_PATH=$root/lib "$out/consumer"
}

run_static() {
	"$out/consumer-static"
}

# Exit 4 and a message that names the cause where the kernel lacks SysGenID;
# the generation where it has it.
cli() {
	rc=0
	LD_LIBRARY_PATH=$root/lib "$root/bin/sysgenid" get > "$out/cli" 2>&1 || rc=$?
	cat "$out/cli"
	if [ -e /dev/sysgenid ]; then
		[ $rc -eq 0 ] && grep -Eq '^[0-9]+ \((vdso|mmap|ioctl)\)$' "$out/cli"
	else
		[ $rc -eq 4 ] && grep -q 'CONFIG_SYSGENID' "$out/cli"
	fi
}

man_pages_render() {
	sh "$here/man_test.sh" "$root/share/man" "$libfast/libsysgenid.map"
}

uninstall_leaves_nothing() {
	[ -f "$root/lib/libsysgenid.so.1" ] || { echo "nothing was installed"; return 1; }
	make -s -C "$libfast" uninstall DESTDIR="$dest" PREFIX="$prefix" || return 1
	left=$(find "$dest" ! -type d)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

ktap_print_header
ktap_set_plan 11
ktap_test_result "install DESTDIR=... PREFIX=$prefix" quietly install_staged
ktap_test_result "installed files and the soname link" quietly has_files
ktap_test_result "SONAME and the SYSGENID_1 symbol version" quietly soname_and_versions
ktap_test_result "pkg-config points into the installed tree" quietly pc_paths
ktap_test_result "a program builds with pkg-config --cflags --libs" quietly build_shared
ktap_test_result "a program builds statically with pkg-config --static" quietly build_static
ktap_test_result "the shared build runs against the installed library" quietly run_shared
ktap_test_result "the static build runs" quietly run_static
ktap_test_result "the installed sysgenid command runs" quietly cli
ktap_test_result "the installed man pages render" quietly man_pages_render
ktap_test_result "uninstall removes every installed file" quietly uninstall_leaves_nothing
ktap_finished
