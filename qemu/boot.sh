#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest kernel with the VM Generation ID device, serial console on
# stdout.  TCG by default: nested KVM hangs on the build machines.
# QEMU_ACCEL=kvm uses KVM where it works.  QEMU_VMGENID=0 leaves the VM
# Generation ID device out (a hypervisor without one).
#
# usage: qemu/boot.sh BZIMAGE INITRD "KERNEL ARGS" [QEMU ARGS...]
set -eu
kernel=$1
initrd=$2
append=$3
shift 3

case ${QEMU_ACCEL:-tcg} in
kvm)	accel="-accel kvm -cpu host" ;;
tcg)	accel="-accel tcg -cpu max" ;;
*)	echo "boot: QEMU_ACCEL must be tcg or kvm, not '$QEMU_ACCEL'" >&2; exit 2 ;;
esac

vmgenid="-device vmgenid,guid=auto"
[ "${QEMU_VMGENID:-1}" = 0 ] && vmgenid=

# shellcheck disable=SC2086
exec qemu-system-x86_64 $accel -smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-1024}" \
	-nodefaults -nographic -no-reboot -serial stdio -monitor none \
	$vmgenid \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic $append" "$@"
