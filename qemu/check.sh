#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: the kselftests in a guest and the clone test (one snapshot
# restored into seven clones), judged together with the host tests' log,
# OUTDIR/host.log, that make check wrote just before (the Makefile runs the
# host tests; `make check-host` runs them alone).
#
# usage: [CHECK_DEBUG_KERNEL=BZIMAGE] [CHECK_ARM64="IMAGE INITRD"] \
#        qemu/check.sh BZIMAGE INITRD OUTDIR
# With a debug kernel (lockdep, KASAN, kmemleak, ...), the kselftests run on
# it too, and its leak scan is judged with the rest.  With an arm64 kernel
# and its initramfs, they run in an arm64 guest as well (device tree).
set -eu
kernel=$1
initrd=$2
out=$3
debug_kernel=${CHECK_DEBUG_KERNEL:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
[ -s "$out/host.log" ] ||
	{ echo "check: no $out/host.log: run make check, which runs the host tests first" >&2; exit 1; }
# Everything else in OUTDIR is this run's.
find "$out/" -mindepth 1 -maxdepth 1 ! -name host.log -exec rm -rf {} +

# guest LABEL BZIMAGE LOG [KERNEL ARGS]: the kselftests in one guest
# (QEMU_ARCH and INITRD say which).
guest() {
	echo "  QEMU    ${QEMU_ACCEL:-tcg}: kselftests on the $1 kernel (log: $3)"
	start=$(date +%s)
	timeout "${CHECK_TIMEOUT:-1200}" "$here/boot.sh" "$2" "${INITRD:-$initrd}" "job=check ${4:-}" \
		> "$3" 2>&1 || echo "  QEMU    exited with $? (timeout is ${CHECK_TIMEOUT:-1200}s)"
	echo "  QEMU    done in $(( $(date +%s) - start ))s"
}
# Timeouts catch hangs, not slowness: TCG hosts differ by more than 2x,
# and a busy host halves the speed again (scripts/run-kselftests).
# The guests are the tests' own: they may leave the generation above 2^32.
ksft_args="KSFT_TIMEOUT_FACTOR=${KSFT_TIMEOUT_FACTOR:-3} SYSGENID_TEST_HIGH_GENERATION=1"
# The normal kernel does the stress test's 1,000,000 operations in 16 s
# here (65,000 ops/s); it must meet that target, with a budget that allows
# a host 7x slower.  The debug kernel, about eight times slower, reports how
# far it got in its default budget (sysgenid_stress.c).
guest normal "$kernel" "$out/guest.log" \
	"$ksft_args SYSGENID_STRESS_REQUIRE_OPS=1 SYSGENID_STRESS_SECONDS=120"
logs="$out/guest.log"
if [ -n "$debug_kernel" ]; then
	# With 5-level paging (TCG's -cpu max has LA57), this KASAN kernel
	# reports a wild access in an interrupt taken during cpu_detect(), long
	# before any SysGenID code runs; 4-level paging keeps the gate on what
	# this series can affect.
	guest debug "$debug_kernel" "$out/guest-debug.log" "no5lvl $ksft_args"
	logs="$logs $out/guest-debug.log"
fi
if [ -n "${CHECK_ARM64:-}" ]; then
	# shellcheck disable=SC2086
	set -- $CHECK_ARM64
	# TCG runs this arm64 guest about as fast as the x86_64 one; the same
	# stress target and budget apply.
	QEMU_ARCH=arm64 INITRD=$2 guest arm64 "$1" "$out/guest-arm64.log" \
		"$ksft_args SYSGENID_STRESS_REQUIRE_OPS=1 SYSGENID_STRESS_SECONDS=120"
	logs="$logs $out/guest-arm64.log"
fi

echo "  QEMU    clone test: snapshot, 7 restores, restores with the notification held,\n          a hibernation image resumed twice (logs: $out/clones/)"
start=$(date +%s)
"$top/demo/demo.py" --check --kernel "$kernel" --initrd "$initrd" --out "$out/clones" \
	${debug_kernel:+--debug-kernel "$debug_kernel"} > "$out/clones.log" 2>&1 || true
echo "  QEMU    done in $(( $(date +%s) - start ))s"

# The clones' own logs (their tests are in clones.log) only go to the splat scan.
# shellcheck disable=SC2086
VERDICT_GUESTS=$(echo $logs | wc -w) exec "$here/verdict.sh" "$out/host.log" $logs "$out/clones.log" \
	--splats-only "$out"/clones/*.log
