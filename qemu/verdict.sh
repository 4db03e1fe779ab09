#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Judge a guest log: every kselftest result, the guest's completion, and the
# kernel log.  A passing test still fails the run when the kernel splatted.
# Prints each failure, then the totals alone on the last line:
#   N passed, N failed, N skipped
# Counting is per test case: a binary with a KTAP "Totals" line contributes
# its counts, any other binary counts as one.  Each judged log must print
# its plan and as many results: a runner that never started, or a log that
# stops short, fails.
#
# usage: [VERDICT_GUESTS=N] qemu/verdict.sh LOG... [--splats-only LOG...]
# N guests must each have printed their completion marker (default 1).
# The logs after --splats-only (guests judged elsewhere, such as the clone
# tests' own) are only scanned for kernel splats.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# The splat patterns, one alternation (qemu/splats).
splats=$(grep -v '^#' "$here/splats" | grep . | paste -sd'|')
judged=
scanned=
for a in "$@"; do
	case $a in
	--splats-only) scanned=" " ;;
	*) if [ -n "$scanned" ]; then scanned="$scanned$a "; else judged="$judged$a "; fi ;;
	esac
done

awk -v scanned="$scanned" '
function flush_binary(result, name,    crashed) {
	if (have_totals) {
		pass += t_pass; fail += t_fail; skip += t_skip
		crashed = (result == "not ok" && t_fail == 0)
		if (crashed) { fail++; print "FAIL " name " (exited after its tests)" }
	} else if (result == "ok" && is_skip) {
		skip++
	} else if (result == "ok") {
		pass++
	} else {
		fail++
	}
	have_totals = 0
}
# A judged log must have printed its plan and every result of it.
function end_log() {
	if (judging == "")
		return
	if (!file_planned) { print "FAIL " judging ": no KTAP plan (the runner or the test never started)"; fail++ }
	else if (file_results < file_planned) {
		printf "FAIL %s: only %d of %d planned results\n", judging, file_results, file_planned; fail++
	}
	judging = ""
}
BEGIN { n = split(scanned, s, " "); for (i = 1; i <= n; i++) splats_only[s[i]] = 1 }
# The serial console ends its lines with CR LF.
{ sub(/\r$/, "") }
FNR == 1 { end_log(); if (!(FILENAME in splats_only)) { judging = FILENAME; file_planned = file_results = 0 } }
FILENAME in splats_only {
	if (!/^#/ && $0 ~ splat_re) { splats++; print "SPLAT " $0 "   (in " FILENAME ")" }
	next
}
/^# selftests: / { have_totals = 0; current = substr($0, 14); next }
/^# # Totals: pass:/ {
	have_totals = 1
	for (i = 1; i <= NF; i++) {
		split($i, kv, ":")
		if (kv[1] == "pass") t_pass = kv[2]
		if (kv[1] == "fail" || kv[1] == "error") t_fail_acc += kv[2]
		if (kv[1] == "skip") t_skip = kv[2]
	}
	t_fail = t_fail_acc; t_fail_acc = 0
	next
}
/^(# )+not ok / { print "FAIL " $0; next }
/^(not )?ok [0-9]+ selftests: / {
	result = ($1 == "not") ? "not ok" : "ok"
	is_skip = ($0 ~ /# SKIP/)
	name = $0; sub(/^(not )?ok [0-9]+ selftests: /, "", name)
	if (result == "not ok") print "FAIL " name
	flush_binary(result, name)
	binaries++
	file_results++
}
/^1\.\.[0-9]+$/ { file_planned += substr($0, 4) + 0 }
/^SYSGENID-GUEST-DONE/ { done++ }
# Test output is indented with "# "; anything else is the kernel speaking.
# The kselftest runner marks each test in the kernel log: a splat names it.
/sysgenid-ksft: start / { sub(/.*sysgenid-ksft: start /, ""); current = $0; next }
!/^#/ && $0 ~ splat_re {
	splats++; print "SPLAT " $0 (current != "" ? "   (during " current ")" : "")
}
END {
	end_log()
	if (done < guests) {
		printf "FAIL %d of %d guests did not finish (timeout, panic or hang)\n", guests - done, guests
		fail++
	}
	if (binaries == 0) { print "FAIL no kselftest ran"; fail++ }
	if (splats) { printf "FAIL %d kernel splat line(s) in the guest log\n", splats; fail++ }
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail > 0)
}' guests="${VERDICT_GUESTS:-1}" splat_re="$splats" $judged $scanned
