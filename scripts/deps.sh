#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing needs, on Debian 12.  Does nothing when
# everything is already there.
set -eu

PKGS="linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev
cpio xz-utils gzip kmod rsync ccache qemu-system-x86 busybox-static socat
python3 python3-ply hyperfine sparse pkg-config man-db groff-base
python3-sphinx python3-sphinx-rtd-theme python3-yaml
debhelper dpkg-dev fakeroot lintian
gcc-12-multilib linux-libc-dev:i386
gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm device-tree-compiler"
# -m32 builds use gcc-12-multilib and the i386 kernel headers (asm/ for
# 32-bit code) rather than gcc-multilib, which Debian makes conflict with
# every cross compiler, gcc-aarch64-linux-gnu included.  The arm64 guest's
# busybox is an arm64 package, unpacked by qemu/mkinitramfs.sh; dtc builds
# its device tree with the VM Generation ID node (qemu/boot.sh).
FOREIGN="i386 arm64"

missing=
for a in $FOREIGN; do
	dpkg --print-foreign-architectures | grep -qx "$a" || missing="$missing dpkg:$a"
done
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to apt-get install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for a in $FOREIGN; do
	dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
done
missing=$(echo "$missing" | sed 's/ dpkg:[a-z0-9]*//g')
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
