# SPDX-License-Identifier: GPL-2.0
#
# make bench: what reading the system generation costs per call and per
# process, how the watcher protocol scales, what a watcher costs in kernel
# memory, and how soon a restored clone sees its new generation.  Results in
# build/bench/ (results.md, results.json, results.png); see bench/README.md.
#
# Included at the end of the top-level Makefile, whose TOP, BUILD, KST_DIR,
# GUEST_DIR and QEMU_ACCEL it uses.  BENCH_ARGS passes options to
# bench/run.py, e.g. BENCH_ARGS="--ms 50 --reps 3 --clones 2" for a quick run.

BENCH_GUEST	= $(BUILD)/bench-guest
BENCH_OUT	= $(BUILD)/bench
BENCH_INITRD	= $(BUILD)/initramfs-bench.cpio.gz
BENCH_CFLAGS	= -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -I$(TOP)/bench -I$(TOP)/libfast/include -I$(TOP)/libfast/src \
		  -I$(TOP)/include/uapi -static
BENCH_ARGS	?=
# Debian's interpreter: the one apt-get installs python3-matplotlib for.
BENCH_PYTHON	?= /usr/bin/python3
APT_GET		= DEBIAN_FRONTEND=noninteractive apt-get -y -q

.PHONY: bench

bench: kernel initramfs
	@$(BENCH_PYTHON) -c 'import matplotlib' 2>/dev/null || \
		$(APT_GET) install --no-install-recommends python3-matplotlib || \
		{ $(APT_GET) update && $(APT_GET) install --no-install-recommends python3-matplotlib; }
	@command -v hyperfine >/dev/null || $(APT_GET) install hyperfine || \
		{ $(APT_GET) update && $(APT_GET) install hyperfine; }
	@rm -rf $(BENCH_GUEST) && mkdir -p $(BENCH_GUEST)/bin
	@gcc $(BENCH_CFLAGS) -o $(BENCH_GUEST)/bin/sysgenid-bench $(TOP)/bench/sysgenid_bench.c \
		$(TOP)/bench/baseline.c $(BUILD)/libfast/libsysgenid.a -pthread -lm
	@gcc $(BENCH_CFLAGS) -o $(BENCH_GUEST)/bin/sysgenid-checks $(TOP)/bench/sysgenid_checks.c \
		$(BUILD)/libfast/libsysgenid.a -pthread
	@gcc $(BENCH_CFLAGS) -o $(BENCH_GUEST)/bin/sysgenid-scale $(TOP)/bench/sysgenid_scale.c -pthread
	@install -m 755 $(TOP)/bench/job-bench $(BENCH_GUEST)/bin/job-bench
	@install -m 755 "$$(command -v hyperfine)" $(BENCH_GUEST)/bin/hyperfine
	@$(TOP)/qemu/mkinitramfs.sh $(BENCH_INITRD) $(KST_DIR) $(GUEST_DIR) $(BENCH_GUEST)
	@QEMU_ACCEL=$(QEMU_ACCEL) $(BENCH_PYTHON) $(TOP)/bench/run.py --kernel $(BUILD)/bzImage \
		--initrd $(BENCH_INITRD) --demo-initrd $(BUILD)/initramfs.cpio.gz \
		--out $(BENCH_OUT) --host-bench $(BENCH_GUEST)/bin/sysgenid-bench $(BENCH_ARGS)
