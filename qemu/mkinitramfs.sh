#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs: busybox, the init script, the kselftests and
# the shared libraries their binaries need, copied from the host.
# MKINITRAMFS_ARCH=arm64: an arm64 image, with Debian's arm64 busybox-static
# (downloaded once into build/) and the libraries of the arm64 cross
# toolchain (/usr/aarch64-linux-gnu).
#
# usage: qemu/mkinitramfs.sh OUT.cpio.gz KSELFTEST_DIR [EXTRA_DIR...]
# Each EXTRA_DIR is copied to the root of the image as it is.
set -eu

out=$1
kst=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
chmod 755 "$root"	# it becomes the guest's /, which uid 65534 must be able to search
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	 "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/root"
case ${MKINITRAMFS_ARCH:-x86_64} in
x86_64)	busybox=/bin/busybox ;;
arm64)	cache=$here/../build/busybox-arm64
	busybox=$cache/bin/busybox
	if [ ! -x "$busybox" ]; then
		mkdir -p "$cache"
		(cd "$cache" && apt-get download -q busybox-static:arm64 >/dev/null &&
			dpkg -x busybox-static_*.deb .)
	fi ;;
*)	echo "mkinitramfs: MKINITRAMFS_ARCH must be x86_64 or arm64" >&2; exit 2 ;;
esac
cp "$busybox" "$root/bin/busybox"
# The host's busybox lists the applets: the arm64 one cannot run here.
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$here/init" "$root/init"
cp "$here/../scripts/run-kselftests" "$root/bin/run-kselftests"
chmod 755 "$root/init" "$root/bin/run-kselftests"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

cp -a "$kst" "$root/kselftest"
for d in "$@"; do
	cp -a "$d/." "$root/"
done

# Shared libraries of every ELF executable in the image, with their paths.
if [ "${MKINITRAMFS_ARCH:-x86_64}" = x86_64 ]; then
	find "$root" -type f -perm -u+x | while read -r f; do
		head -c 4 "$f" | grep -q ELF || continue
		ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
else
	# No ldd for another architecture: the dynamic loader and every
	# library a binary or library of the image names, into /lib, twice
	# over for the libraries' own needs.
	sysroot=/usr/aarch64-linux-gnu/lib
	mkdir -p "$root/lib"
	cp -L "$sysroot/ld-linux-aarch64.so.1" "$root/lib/"
	for pass in 1 2; do
		find "$root" -type f | while read -r f; do
			head -c 4 "$f" | grep -q ELF || continue
			aarch64-linux-gnu-readelf -d "$f" 2>/dev/null |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
		done | sort -u | while read -r lib; do
			[ -e "$root/lib/$lib" ] || [ -e "$root/usr/lib/$lib" ] && continue
			cp -L "$sysroot/$lib" "$root/lib/$lib"
		done
		: "$pass"
	done
fi

(cd "$root" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "  INITRD  $(basename "$out") ($(du -h "$out" | cut -f1))"
