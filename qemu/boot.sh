#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest kernel with the VM Generation ID device, serial console on
# stdout.  TCG by default: nested KVM hangs on the build machines.
# QEMU_ACCEL=kvm uses KVM where it works.  QEMU_VMGENID=0 leaves the VM
# Generation ID device out (a hypervisor without one).
#
# QEMU_ARCH=arm64 boots an arm64 kernel Image on QEMU's virt machine
# instead.  QEMU 7.2 has no VM Generation ID device there (its vmgenid is
# ACPI and the virt machine's ACPI tables do not describe it), so this
# script gives the guest what a device-tree hypervisor would: QEMU's own
# device tree plus a "microsoft,vmgenid" node whose 16 bytes sit at offset
# 40 of the last page of RAM (a no-map reserved-memory page, filled with a
# random ID at power-on) and whose interrupt is SPI VMGENID_SPI, edge
# triggered.  The guest's test (qemu/vmgenid-of-test) plays the hypervisor:
# it writes a new ID there and pends the interrupt.
#
# usage: qemu/boot.sh KERNEL INITRD "KERNEL ARGS" [QEMU ARGS...]
set -eu
kernel=$1
initrd=$2
append=$3
shift 3
mem=${QEMU_MEM:-1024}

case ${QEMU_ACCEL:-tcg} in
kvm)	accel="-accel kvm -cpu host" ;;
tcg)	accel="-accel tcg -cpu max" ;;
*)	echo "boot: QEMU_ACCEL must be tcg or kvm, not '$QEMU_ACCEL'" >&2; exit 2 ;;
esac

case ${QEMU_ARCH:-x86_64} in
x86_64)
	vmgenid="-device vmgenid,guid=auto"
	[ "${QEMU_VMGENID:-1}" = 0 ] && vmgenid=
	# shellcheck disable=SC2086
	exec qemu-system-x86_64 $accel -smp "${QEMU_SMP:-2}" -m "$mem" \
		-nodefaults -nographic -no-reboot -serial stdio -monitor none \
		$vmgenid \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic $append" "$@" ;;
arm64)	;;
*)	echo "boot: QEMU_ARCH must be x86_64 or arm64, not '$QEMU_ARCH'" >&2; exit 2 ;;
esac

VMGENID_SPI=12		# free on virt: UART 1, RTC 2, PCIe 3-6, GPIO 7, virtio-mmio 16-47
machine="-M virt $accel -smp ${QEMU_SMP:-2} -m $mem"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dt=
if [ "${QEMU_VMGENID:-1}" != 0 ]; then
	# The node's cells below give a 32-bit address: RAM must end below 4 GiB.
	[ "$mem" -le 3072 ] || { echo "boot: QEMU_MEM above 3072 on arm64" >&2; exit 2; }
	page=$(printf '%x' $((0x40000000 + mem * 1024 * 1024 - 4096)))
	id=$(printf '%x' $((0x$page + 40)))
	# shellcheck disable=SC2086
	qemu-system-aarch64 $machine -machine dumpdtb="$dir/virt.dtb" -nographic >/dev/null 2>&1
	{
		dtc -q -I dtb -O dts "$dir/virt.dtb" | sed '$d'
		cat <<-EOF
			reserved-memory {
				#address-cells = <2>;
				#size-cells = <2>;
				ranges;
				vmgenid-page@$page {
					reg = <0x0 0x$page 0x0 0x1000>;
					no-map;
				};
			};
			vmgenid@$id {
				compatible = "microsoft,vmgenid";
				reg = <0x0 0x$id 0x0 0x10>;
				interrupts = <0x0 $VMGENID_SPI 0x1>;
			};
		};
		EOF
	} > "$dir/vmgenid.dts"
	dtc -q -I dts -O dtb -o "$dir/vmgenid.dtb" "$dir/vmgenid.dts"
	head -c 16 /dev/urandom > "$dir/guid"
	dt="-dtb $dir/vmgenid.dtb -device loader,file=$dir/guid,addr=0x$id,force-raw=on"
fi
# shellcheck disable=SC2086
qemu-system-aarch64 $machine -nodefaults -nographic -no-reboot -serial stdio -monitor none \
	$dt -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyAMA0 panic=-1 oops=panic $append" "$@"
