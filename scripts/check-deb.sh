#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libfast's Debian packages, built and used the way a distribution would:
# dpkg-buildpackage in a copy of the tree under build/deb/, lintian over the
# source and the binaries (no error, and no warning that debian/ does not
# override with a reason), then libsysgenid1, libsysgenid-dev and
# sysgenid-tools installed with dpkg -i, used (the command, pkg-config, a
# program built against the -dev package, the man pages) and purged again,
# whatever failed.  Needs root for dpkg; exit 0 only when every step passed.
#
# usage: scripts/check-deb.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
src=$out/sysgenid
pkgs="libsysgenid1 libsysgenid-dev sysgenid-tools"

say() { echo "  DEB     $*"; }
die() { echo "check-deb: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root: it installs and purges $pkgs with dpkg"
for p in $pkgs; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || continue
	[ "$s" = not-installed ] ||
		die "$p is on this host already ($s): purging it afterwards would not leave the host as found"
done

# What is checked is the packaged library, not the build tree's that
# qemu/check.sh puts on LD_LIBRARY_PATH, nor another .pc file.
unset LD_LIBRARY_PATH PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# The source package is the tree as git sees it: new files in, ignored ones
# (build/) and ones deleted from the working tree out.
rm -rf "$out"
mkdir -p "$src"
git -C "$top" ls-files -co --exclude-standard | (cd "$top" &&
	while IFS= read -r f; do [ ! -e "$f" ] || echo "$f"; done |
	tar --verbatim-files-from -T - -cf -) | tar -C "$src" -xf -
ver=$(cd "$src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# Source and binaries, so that lintian sees debian/control and
# debian/copyright too; a symbol the map adds without a line in
# debian/libsysgenid1.symbols fails the build.
say "dpkg-buildpackage -us -uc: sysgenid $ver (log: $out/build.log)"
(cd "$src" && DPKG_GENSYMBOLS_CHECK_LEVEL=4 dpkg-buildpackage -us -uc) > "$out/build.log" 2>&1 ||
	{ tail -n 25 "$out/build.log"; die "dpkg-buildpackage failed"; }

say "lintian (log: $out/lintian.log)"
rc=0
lintian -I --fail-on error,warning "$out/sysgenid_${ver}_$arch.changes" \
	> "$out/lintian.log" 2>&1 || rc=$?
grep '^[EWI]:' "$out/lintian.log" || true
[ $rc -eq 0 ] || die "lintian: errors or warnings without an override (exit $rc)"

purge() {
	rc=$?
	say "dpkg --purge $pkgs"
	# shellcheck disable=SC2086
	dpkg --purge $pkgs > "$out/purge.log" 2>&1 ||
		{ cat "$out/purge.log"; echo "check-deb: dpkg --purge failed" >&2; rc=1; }
	exit $rc
}
trap purge EXIT
trap 'exit 1' HUP INT TERM

say "dpkg -i $pkgs"
debs=
for p in $pkgs; do
	debs="$debs $out/${p}_${ver}_$arch.deb"
done
# shellcheck disable=SC2086
dpkg -i $debs > "$out/install.log" 2>&1 || { cat "$out/install.log"; die "dpkg -i failed"; }

# uses_package FILE: FILE loads the packaged libsysgenid.so.1, not a copy
# that a `make install` into /usr/local put first on the loader's path.
uses_package() {
	ldd "$1" | grep -Eq "libsysgenid\.so\.1 => (/usr)?/lib/$ma/libsysgenid\.so\.1 " ||
		die "$1 does not load /usr/lib/$ma/libsysgenid.so.1: $(ldd "$1" | grep libsysgenid)"
}

say "sysgenid --version, pkg-config, a program built against libsysgenid-dev, man"
[ "$(/usr/bin/sysgenid --version)" = "sysgenid $ver" ] ||
	die "sysgenid --version says '$(/usr/bin/sysgenid --version)', the package is $ver"
uses_package /usr/bin/sysgenid

[ "$(pkg-config --variable=libdir sysgenid)" = "/usr/lib/$ma" ] ||
	die "pkg-config finds sysgenid.pc with libdir $(pkg-config --variable=libdir sysgenid), not the package's"
[ "$(pkg-config --modversion sysgenid)" = "$ver" ] ||
	die "sysgenid.pc says $(pkg-config --modversion sysgenid), the package is $ver"

# The consumer of libfast's own install test, built shared and static with
# nothing but pkg-config: sysgenid_vdso_get() and the rest of the API through
# both installed headers; without /dev/sysgenid it expects -ENOENT and
# SYSGENID_GEN_INVALID, as documented.
consumer=$top/libfast/tests/install_consumer.c
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$out/consumer" "$consumer" $(pkg-config --cflags --libs sysgenid) ||
	die "a program does not build with pkg-config --cflags --libs sysgenid"
uses_package "$out/consumer"
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -static -o "$out/consumer-static" "$consumer" \
	$(pkg-config --static --cflags --libs sysgenid) ||
	die "a program does not build with pkg-config --static --cflags --libs sysgenid"
for bin in "$out/consumer" "$out/consumer-static"; do
	"$bin" > "$bin.log" 2>&1 || { cat "$bin.log"; die "${bin##*/} failed"; }
done

for page in 1/sysgenid 3/sysgenid_vdso_get 3/sysgenid_get 4/sysgenid; do
	path=$(man -w "${page%/*}" "${page#*/}" 2> /dev/null) || path=none
	case $path in
	/usr/share/man/*) ;;
	*) die "man ${page%/*} ${page#*/} is not the package's page: $path" ;;
	esac
	MANWIDTH=80 man --warnings -E UTF-8 "${page%/*}" "${page#*/}" > /dev/null 2> "$out/man.err"
	[ ! -s "$out/man.err" ] || { cat "$out/man.err"; die "man ${page%/*} ${page#*/} warns"; }
done

say "ok: built, lint-free, installed and used"
