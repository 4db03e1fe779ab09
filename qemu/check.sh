#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: libfast's host tests, the kselftests in a guest, and the clone
# test (one snapshot restored into seven clones), judged together.
#
# usage: qemu/check.sh BZIMAGE INITRD OUTDIR
set -eu
kernel=$1
initrd=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rm -rf "$out"
mkdir -p "$out"

# Host tests, printed in the guest runner's format.
host_tests="$top/build/libfast/tests/libfast_host_test $top/build/libfast/tests/libfast_host_test_shared"
echo "  HOST    libfast tests (log: $out/host.log)"
{
	echo "1..$(echo $host_tests | wc -w)"
	i=0
	for t in $host_tests; do
		i=$((i + 1))
		rc=0
		LD_LIBRARY_PATH=$top/build/libfast "$t" > "$out/host.out" 2>&1 || rc=$?
		sed 's/^/# /' "$out/host.out"
		[ $rc -eq 0 ] && echo "ok $i selftests: libfast-host: ${t##*/}" ||
			echo "not ok $i selftests: libfast-host: ${t##*/} # exit=$rc"
	done
	rm -f "$out/host.out"
} > "$out/host.log"

echo "  QEMU    ${QEMU_ACCEL:-tcg}: kselftests in the guest (log: $out/guest.log)"
start=$(date +%s)
timeout "${CHECK_TIMEOUT:-1200}" "$here/boot.sh" "$kernel" "$initrd" "job=check" \
	> "$out/guest.log" 2>&1 || echo "  QEMU    exited with $? (timeout is ${CHECK_TIMEOUT:-1200}s)"
echo "  QEMU    done in $(( $(date +%s) - start ))s"

echo "  QEMU    clone test: snapshot, 7 restores (logs: $out/clones/)"
start=$(date +%s)
"$top/demo/demo.py" --check --kernel "$kernel" --initrd "$initrd" --out "$out/clones" \
	> "$out/clones.log" 2>&1 || true
# The clones' kernel logs go to the splat scan too.
cat "$out"/clones/*.log > "$out/clones-guests.log" 2>/dev/null || true
sed -i 's/^SYSGENID-GUEST-DONE$/(clone guest done)/' "$out/clones-guests.log"
echo "  QEMU    done in $(( $(date +%s) - start ))s"

exec "$here/verdict.sh" "$out/host.log" "$out/guest.log" "$out/clones.log" "$out/clones-guests.log"
