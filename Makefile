# SPDX-License-Identifier: GPL-2.0
#
# SysGenID: kernel patches for Linux 6.12 plus the userspace that uses them.
#
#   make demo     boot a guest, snapshot it, restore two clones, show the result
#   make check    build everything and run the tests in a QEMU guest
#   make install  the library, its headers, the sysgenid command and the man
#                 pages into $(DESTDIR)$(PREFIX) (default /usr/local)
#
# Everything is built under build/; each target installs what it lacks.

SHELL		:= /bin/bash
TOP		:= $(abspath .)
BUILD		:= $(TOP)/build
KSRC		:= $(BUILD)/linux
KTARBALL	:= /usr/src/linux-source-6.12.tar.xz
JOBS		?= $(shell echo $$(( $$(nproc) + 1 )))
QEMU_ACCEL	?= tcg

GUEST_CONFIG	:= qemu/configs/sysgenid_guest.config

# DEBUG=1: the same guest plus lockdep, KASAN, UBSAN, kmemleak, ... in a
# tree of its own, built into build/bzImage-debug.
ifeq ($(DEBUG),1)
KSRC		:= $(BUILD)/linux-debug
PRISTINE	:= $(BUILD)/pristine-debug
GUEST_CONFIG	+= qemu/configs/sysgenid_debug.config
BZIMAGE		:= $(BUILD)/bzImage-debug
else
PRISTINE	:= $(BUILD)/pristine
BZIMAGE		:= $(BUILD)/bzImage
endif

# Fixed build metadata keeps ccache hits across rebuilds.
KMAKE_ARGS	:= CC="ccache gcc" HOSTCC="ccache gcc" KBUILD_BUILD_TIMESTAMP=2026-01-01 \
		   KBUILD_BUILD_USER=sysgenid KBUILD_BUILD_HOST=qemu
KMAKE		:= $(MAKE) -s -C $(KSRC) $(KMAKE_ARGS)

# kselftest collections run in the guest: ours, and the upstream ones that
# guard the vDSO and time namespaces.
KSELFTESTS	:= sysgenid vDSO timens
KST_DIR		:= $(BUILD)/kselftest

.PHONY: all deps kernel kernel-tree selftests libfast guest initramfs check check-deb demo patches \
	check-patches install uninstall clean distclean

all: kernel

deps:
	@scripts/deps.sh

# Unpack the pristine tree once.
$(KSRC)/Makefile:
	@$(MAKE) -s deps
	@echo "  UNPACK  $(KTARBALL)"
	@rm -rf $(KSRC) $(KSRC).tmp $(PRISTINE)
	@mkdir -p $(KSRC).tmp
	@tar -xJf $(KTARBALL) -C $(KSRC).tmp --strip-components=1
	@mv $(KSRC).tmp $(KSRC)

kernel-tree: deps $(KSRC)/Makefile
	@scripts/overlay.sh $(KSRC) $(PRISTINE)
	@scripts/kconfig.sh $(KSRC) $(GUEST_CONFIG)

kernel: kernel-tree
	@echo "  KBUILD  bzImage (-j$(JOBS))"
	+@$(KMAKE) -j$(JOBS) bzImage
	@cmp -s $(KSRC)/arch/x86/boot/bzImage $(BZIMAGE) || \
		cp $(KSRC)/arch/x86/boot/bzImage $(BZIMAGE)
	@echo "  KERNEL  $(notdir $(BZIMAGE))"

# Each collection is built on its own first: the kselftest install target
# carries on past a collection that fails to build, and a test that was
# never built must not look like a pass.
selftests: kernel-tree
	+@$(KMAKE) -j$(JOBS) headers
	@rm -rf $(KST_DIR)
	+@for t in $(KSELFTESTS); do \
		$(MAKE) -s -C $(KSRC)/tools/testing/selftests/$$t -j$(JOBS) >$(BUILD)/selftests.log 2>&1 || \
			{ cat $(BUILD)/selftests.log; echo "selftests: $$t does not build"; exit 1; }; \
	done
	+@$(MAKE) -s -C $(KSRC)/tools/testing/selftests -j$(JOBS) \
		TARGETS="$(KSELFTESTS)" INSTALL_PATH=$(KST_DIR) install >$(BUILD)/selftests.log 2>&1 || \
		{ cat $(BUILD)/selftests.log; exit 1; }
	@grep -qx sysgenid:sysgenid_test_32 $(KST_DIR)/kselftest-list.txt || \
		{ echo "selftests: sysgenid_test_32 was not built: -m32 needs gcc-multilib"; exit 1; }
	@echo "  KSFT    build/kselftest ($(KSELFTESTS))"

libfast: deps
	+@$(MAKE) -s -C libfast all

# make install / make uninstall: libfast's, with PREFIX, DESTDIR, LIBDIR, ...
# as the user gives them.  Needs only a C toolchain, not the kernel's deps.
install uninstall:
	+@$(MAKE) -s -C libfast $@

# What the guest runs besides the kselftests: the demo programs, and the
# userspace as a package would ship it, installed with PREFIX=/usr (the
# sysgenid command and libsysgenid.so.1), plus a program built against that
# install with nothing but pkg-config (one more kselftest, with libfast's
# guest test).
GUEST_DIR	:= $(BUILD)/guest
STAGE		:= $(BUILD)/stage
STAGE_PC	:= PKG_CONFIG_SYSROOT_DIR=$(STAGE) PKG_CONFIG_LIBDIR=$(STAGE)/usr/lib/pkgconfig \
		   PKG_CONFIG_PATH= pkg-config
guest: libfast
	@rm -rf $(GUEST_DIR) $(STAGE) && mkdir -p $(GUEST_DIR)/bin $(GUEST_DIR)/usr/lib
	+@$(MAKE) -s -C libfast install DESTDIR=$(STAGE) PREFIX=/usr
	@gcc -O2 -Wall -Wextra -Ilibfast/include -Iinclude/uapi \
		-o $(GUEST_DIR)/bin/sysgenid-demo demo/sysgenid-demo.c \
		$(BUILD)/libfast/libsysgenid.a -pthread
	@install -D -m 755 $(STAGE)/usr/bin/sysgenid $(GUEST_DIR)/usr/bin/sysgenid
	@cp -a $(STAGE)/usr/lib/libsysgenid.so.1 $(GUEST_DIR)/usr/lib/
	@gcc -O2 -Wall -Wextra -Werror -o $(BUILD)/libfast/tests/install_consumer \
		libfast/tests/install_consumer.c $$($(STAGE_PC) --cflags --libs sysgenid)
	@install -m 755 demo/job-demo demo/job-window demo/job-trigger demo/job-hibernate \
		$(GUEST_DIR)/bin/
	@test -x $(BUILD)/libfast/tests/vendor_test_32 || \
		{ echo "guest: vendor_test_32 was not built: -m32 needs gcc-multilib"; exit 1; }

initramfs: selftests guest
	@mkdir -p $(KST_DIR)/libfast
	@cp $(BUILD)/libfast/tests/libfast_guest_test libfast/tests/cli_test.sh \
		$(BUILD)/libfast/tests/install_consumer $(BUILD)/libfast/tests/vendor_test_32 \
		$(BUILD)/libfast/tests/vendor_test $(KST_DIR)/libfast/
	@for t in libfast_guest_test cli_test.sh install_consumer vendor_test_32 vendor_test; do \
		grep -qx libfast:$$t $(KST_DIR)/kselftest-list.txt || \
			echo libfast:$$t >> $(KST_DIR)/kselftest-list.txt; \
	done
	@qemu/mkinitramfs.sh $(BUILD)/initramfs.cpio.gz $(KST_DIR) $(GUEST_DIR)

# The kselftests run on the normal and on the debug kernel (DEBUG_CHECK=0
# skips the latter for a quick run; CI keeps it).
DEBUG_CHECK	?= 1
check: kernel initramfs
ifeq ($(DEBUG_CHECK),1)
	+@$(MAKE) -s kernel DEBUG=1
	@QEMU_ACCEL=$(QEMU_ACCEL) qemu/check.sh $(BUILD)/bzImage $(BUILD)/initramfs.cpio.gz \
		$(BUILD)/check $(BUILD)/bzImage-debug
else
	@QEMU_ACCEL=$(QEMU_ACCEL) qemu/check.sh $(BUILD)/bzImage $(BUILD)/initramfs.cpio.gz $(BUILD)/check
endif

# libfast's Debian packages: built from a copy of the tree, linted,
# installed, used and purged (as root; make check runs it with the host tests).
check-deb: deps
	@scripts/check-deb.sh

demo: kernel initramfs
	@QEMU_ACCEL=$(QEMU_ACCEL) demo/demo.py --kernel $(BUILD)/bzImage \
		--initrd $(BUILD)/initramfs.cpio.gz --out $(BUILD)/demo

# The kernel side as a patch series against pristine 6.12 (build/patches/),
# and its bisection, checkpatch, kernel-doc, sparse and W=1 checks.
patches: deps
	@scripts/mkpatches.sh

check-patches: patches
	@scripts/check-patches.sh

clean:
	rm -rf $(BUILD)/check $(BUILD)/demo $(BUILD)/kselftest $(BUILD)/guest $(BUILD)/stage \
		$(BUILD)/initramfs.cpio.gz \
		$(BUILD)/bench $(BUILD)/bench-guest $(BUILD)/initramfs-bench.cpio.gz
	-$(MAKE) -s -C libfast clean
	-$(KMAKE) clean

distclean:
	rm -rf $(BUILD)
include bench/bench.mk
