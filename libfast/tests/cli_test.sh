#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The sysgenid command in a SysGenID guest, as root: get, trigger, watch,
# wait, status and their exit codes.  KTAP output, through the kernel's
# kselftest/ktap_helpers.sh next to this collection in the installed
# kselftest tree (KTAP_HELPERS overrides it); exit 4 without the device.
ktap=${KTAP_HELPERS:-$(dirname "$0")/../kselftest/ktap_helpers.sh}
[ -r "$ktap" ] || { echo "Bail out! no $ktap: not in an installed kselftest tree"; exit 1; }
# shellcheck source=/dev/null
. "$ktap"

gen() { sysgenid get | cut -d' ' -f1; }
# started PID: wait (at most 10 s) until `sysgenid watch` PID sleeps in
# poll() on the device, its tracking set up, instead of sleeping and hoping.
started() {
	i=0
	until ls -l "/proc/$1/fd" 2> /dev/null | grep -q ' -> /dev/sysgenid$' &&
	      grep -q poll "/proc/$1/wchan" 2> /dev/null; do
		i=$((i + 1))
		[ $i -le 1000 ] || { ktap_print_msg "pid $1 never waited on /dev/sysgenid"; return 1; }
		sleep 0.01
	done
}
# check NAME: run the function NAME as the test NAME; its status is the verdict.
check() { ktap_test_result "$1" "$1"; }

# The checks, each a function named as its test.  They run in this shell,
# on the generations ($g0, $g1, $g2), the watcher's pid and the exit codes
# ($rc) that the steps before them recorded.
get_prints_a_bare_number() { sysgenid get | grep -qx "[0-9][0-9]*"; }
get_backend_names_the_vdso() { sysgenid get --backend | grep -qx "[0-9][0-9]* (vdso)"; }
get_json() {
	sysgenid get --json | grep -qx '{"generation": [0-9]*, "backend": "vdso"}'
}
version() { sysgenid --version | grep -qx "sysgenid [0-9]*\.[0-9]*\.[0-9]*"; }
subcommand_help_names_the_default_timeout() {
	sysgenid wait --help | grep -q "default 120000 ms"
}
trigger_plus_one() { [ "$(sysgenid trigger)" = $((g0 + 1)) ]; }
trigger_min() { [ "$(sysgenid trigger --min $((g1 + 10)))" = $((g1 + 10)) ]; }
trigger_min_equals_form() { [ "$(sysgenid trigger --min=$((g1 + 5)))" = $((g1 + 5)) ]; }
wait_returns_after_ack() { sysgenid wait --timeout 10000; }
watch_printed_the_change() { grep -qx "generation $g2" /tmp/watch.out; }
wait_times_out_with_1() { [ "$rc" -eq 1 ]; }
unprivileged_trigger_exit_3_and_says_why() {
	[ "$rc" -eq 3 ] && grep -q CAP_CHECKPOINT_RESTORE /tmp/trigger.err
}
status_lists_everything() {
	sysgenid status | grep -q "^vDSO: .* present$" && sysgenid status | grep -q "^generation: "
}
status_one_fact_a_line() { sysgenid status | awk 'length > 120 { bad = 1 } END { exit bad }'; }
status_json() {
	sysgenid status --json | grep -q '"race_free": true' &&
		sysgenid status --json | grep -q '"generation": [0-9]'
}
# The test guest runs QEMU's vmgenid device, whose ID has a page of its own.
status_reports_the_source_and_race_free() {
	sysgenid status | grep -qx "source:  VM Generation ID (hypervisor)" &&
		sysgenid status | grep -qx "race-free vDSO: yes" &&
		sysgenid status | grep -q "restore window: none for the vDSO getter"
}
# The command in the image is the installed one (make install PREFIX=/usr),
# running on the installed shared library.
runs_on_the_installed_libsysgenid_so() {
	grep -q ' /usr/lib/libsysgenid\.so\.1$' "/proc/$watcher/maps"
}
forced_backend_is_named() {
	SYSGENID_BACKEND=mmap sysgenid get --backend | grep -qx "[0-9][0-9]* (mmap)"
}
usage_error_exit_2() { [ "$rc" -eq 2 ]; }

ktap_print_header
if [ ! -e /dev/sysgenid ]; then
	ktap_skip_all "no /dev/sysgenid"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 19

g0=$(gen)
check get_prints_a_bare_number
check get_backend_names_the_vdso
check get_json
check version
check subcommand_help_names_the_default_timeout
check trigger_plus_one
g1=$(gen)
check trigger_min
g1=$(gen)
check trigger_min_equals_form

# A tracked watcher sees one change, acks it, and the overseer's wait returns.
sysgenid watch --track --count 1 > /tmp/watch.out &
watcher=$!
started $watcher
sysgenid trigger > /dev/null
g2=$(gen)
check wait_returns_after_ack
wait $watcher
check watch_printed_the_change

# A tracked watcher that never acks: the wait times out, exit code 1.
sysgenid watch --track > /dev/null &
stuck=$!
started $stuck
kill -STOP $stuck
sysgenid trigger > /dev/null
rc=0
sysgenid wait --timeout 300 2> /dev/null || rc=$?
check wait_times_out_with_1
kill -9 $stuck
wait $stuck 2> /dev/null

rc=0
su -s /bin/sh nobody -c 'sysgenid trigger' 2> /tmp/trigger.err || rc=$?
check unprivileged_trigger_exit_3_and_says_why
check status_lists_everything
check status_one_fact_a_line
check status_json
check status_reports_the_source_and_race_free

sysgenid watch > /dev/null &
watcher=$!
started $watcher
check runs_on_the_installed_libsysgenid_so
kill $watcher
wait $watcher 2> /dev/null

check forced_backend_is_named
rc=0
sysgenid trigger --min nonsense 2> /dev/null || rc=$?
check usage_error_exit_2

ktap_finished
