#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: boot the guest, run the kselftests, and judge the log.
#
# usage: qemu/check.sh BZIMAGE INITRD OUTDIR
set -eu
kernel=$1
initrd=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
log=$out/guest.log

echo "  QEMU    ${QEMU_ACCEL:-tcg}: kselftests in the guest (log: $log)"
start=$(date +%s)
timeout "${CHECK_TIMEOUT:-1200}" "$here/boot.sh" "$kernel" "$initrd" "job=check" \
	> "$log" 2>&1 || echo "  QEMU    exited with $? (timeout is ${CHECK_TIMEOUT:-1200}s)"
echo "  QEMU    done in $(( $(date +%s) - start ))s"
exec "$here/verdict.sh" "$log"
