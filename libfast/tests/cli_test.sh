#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The sysgenid command in a SysGenID guest, as root: get, trigger, watch,
# wait, status and their exit codes.  KTAP output; exit 4 without the device.
n=0 pass=0 fail=0
check() {	# check NAME COMMAND...: the command's status is the verdict
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		pass=$((pass + 1)); echo "ok $n $name"
	else
		fail=$((fail + 1)); echo "not ok $n $name"
	fi
}
gen() { sysgenid get | cut -d' ' -f1; }
# started PID: wait (at most 10 s) until `sysgenid watch` PID sleeps in
# poll() on the device, its tracking set up, instead of sleeping and hoping.
started() {
	i=0
	until ls -l "/proc/$1/fd" 2> /dev/null | grep -q ' -> /dev/sysgenid$' &&
	      grep -q poll "/proc/$1/wchan" 2> /dev/null; do
		i=$((i + 1))
		[ $i -le 1000 ] || { echo "# pid $1 never waited on /dev/sysgenid"; return 1; }
		sleep 0.01
	done
}

echo "TAP version 13"
if [ ! -e /dev/sysgenid ]; then
	echo "1..0 # SKIP no /dev/sysgenid"
	exit 4
fi
echo "1..19"

g0=$(gen)
check get_prints_a_bare_number sh -c 'sysgenid get | grep -qx "[0-9][0-9]*"'
check get_backend_names_the_vdso sh -c 'sysgenid get --backend | grep -qx "[0-9][0-9]* (vdso)"'
check get_json sh -c 'sysgenid get --json | grep -qx "{\"generation\": [0-9]*, \"backend\": \"vdso\"}"'
check version sh -c 'sysgenid --version | grep -qx "sysgenid [0-9]*\.[0-9]*\.[0-9]*"'
check subcommand_help_names_the_default_timeout sh -c 'sysgenid wait --help | grep -q "default 120000 ms"'
check trigger_plus_one sh -c "[ \"\$(sysgenid trigger)\" = $((g0 + 1)) ]"
g1=$(gen)
check trigger_min sh -c "[ \"\$(sysgenid trigger --min $((g1 + 10)))\" = $((g1 + 10)) ]"
g1=$(gen)
check trigger_min_equals_form sh -c "[ \"\$(sysgenid trigger --min=$((g1 + 5)))\" = $((g1 + 5)) ]"

# A tracked watcher sees one change, acks it, and the overseer's wait returns.
sysgenid watch --track --count 1 > /tmp/watch.out &
watcher=$!
started $watcher
sysgenid trigger > /dev/null
g2=$(gen)
check wait_returns_after_ack sysgenid wait --timeout 10000
wait $watcher
check watch_printed_the_change grep -qx "generation $g2" /tmp/watch.out

# A tracked watcher that never acks: the wait times out, exit code 1.
sysgenid watch --track > /dev/null &
stuck=$!
started $stuck
kill -STOP $stuck
sysgenid trigger > /dev/null
sysgenid wait --timeout 300 2> /dev/null
check wait_times_out_with_1 [ $? -eq 1 ]
kill -9 $stuck
wait $stuck 2> /dev/null

su -s /bin/sh nobody -c 'sysgenid trigger' 2> /tmp/trigger.err
rc=$?
check unprivileged_trigger_exit_3_and_says_why \
	sh -c "[ $rc -eq 3 ] && grep -q CAP_CHECKPOINT_RESTORE /tmp/trigger.err"
check status_lists_everything sh -c \
	'sysgenid status | grep -q "^vDSO: .* present$" && sysgenid status | grep -q "^generation: "'
check status_one_fact_a_line sh -c 'sysgenid status | awk "length > 120 { bad = 1 } END { exit bad }"'
check status_json sh -c \
	'sysgenid status --json | grep -q "\"race_free\": true" && sysgenid status --json | grep -q "\"generation\": [0-9]"'
# The test guest runs QEMU's vmgenid device, whose ID has a page of its own.
check status_reports_the_source_and_race_free sh -c \
	'sysgenid status | grep -qx "source:  VM Generation ID (hypervisor)" &&
	 sysgenid status | grep -qx "race-free vDSO: yes" &&
	 sysgenid status | grep -q "restore window: none for the vDSO getter"'

# The command in the image is the installed one (make install PREFIX=/usr),
# running on the installed shared library.
sysgenid watch > /dev/null &
watcher=$!
started $watcher
check runs_on_the_installed_libsysgenid_so grep -q ' /usr/lib/libsysgenid\.so\.1$' /proc/$watcher/maps
kill $watcher
wait $watcher 2> /dev/null

check forced_backend_is_named sh -c 'SYSGENID_BACKEND=mmap sysgenid get --backend | grep -qx "[0-9][0-9]* (mmap)"'
sysgenid trigger --min nonsense 2> /dev/null
check usage_error_exit_2 [ $? -eq 2 ]

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
