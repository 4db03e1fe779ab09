# SPDX-License-Identifier: GPL-2.0
#
# SysGenID: kernel patches for Linux 6.12 plus the userspace that uses them.
#
#   make demo     boot a guest, snapshot it, restore two clones, show the result
#   make check    build everything and run the tests in a QEMU guest
#   make check-host  only the tests that run on this host, as root (no kernel
#                 build; the kernel source is unpacked for its KTAP helpers)
#   make install  the library, its headers, the sysgenid command and the man
#                 pages into $(DESTDIR)$(PREFIX) (default /usr/local)
#
# Everything is built under build/; each target installs what it lacks.

SHELL		:= /bin/bash
TOP		:= $(abspath .)
BUILD		:= $(TOP)/build
KTARBALL	:= /usr/src/linux-source-6.12.tar.xz
JOBS		?= $(shell echo $$(( $$(nproc) + 1 )))
QEMU_ACCEL	?= tcg

# ARCH=arm64 builds the arm64 guest (cross-compiled, QEMU virt with a
# device tree) in trees of its own: build/linux-arm64, build/Image-arm64.
ARCH		?= x86_64
ifeq ($(ARCH),x86_64)
CROSS_COMPILE	:=
KIMAGE		:= bzImage
KIMAGE_PATH	:= arch/x86/boot/bzImage
ASUFFIX		:=
else ifeq ($(ARCH),arm64)
CROSS_COMPILE	:= aarch64-linux-gnu-
KIMAGE		:= Image
KIMAGE_PATH	:= arch/arm64/boot/Image
ASUFFIX		:= -arm64
else
$(error ARCH=$(ARCH): the guests are x86_64 and arm64)
endif
GUEST_CONFIG	:= qemu/configs/sysgenid_guest.config qemu/configs/sysgenid_$(ARCH).config

# DEBUG=1: the same guest plus lockdep, KASAN, UBSAN, kmemleak, ... in a
# tree of its own, built into build/bzImage-debug.
ifeq ($(DEBUG),1)
KSRC		:= $(BUILD)/linux-debug$(ASUFFIX)
PRISTINE	:= $(BUILD)/pristine-debug$(ASUFFIX)
GUEST_CONFIG	+= qemu/configs/sysgenid_debug.config
BZIMAGE		:= $(BUILD)/$(KIMAGE)-debug$(ASUFFIX)
else
KSRC		:= $(BUILD)/linux$(ASUFFIX)
PRISTINE	:= $(BUILD)/pristine$(ASUFFIX)
BZIMAGE		:= $(BUILD)/$(KIMAGE)$(ASUFFIX)
endif

# Fixed build metadata keeps ccache hits across rebuilds.
KMAKE_ARGS	:= ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) CC="ccache $(CROSS_COMPILE)gcc" \
		   HOSTCC="ccache gcc" KBUILD_BUILD_TIMESTAMP=2026-01-01 \
		   KBUILD_BUILD_USER=sysgenid KBUILD_BUILD_HOST=qemu
KMAKE		:= $(MAKE) -s -C $(KSRC) $(KMAKE_ARGS)

# kselftest collections run in the guest: ours, and the upstream ones that
# guard the vDSO and time namespaces.
KSELFTESTS	:= sysgenid vDSO timens
KST_DIR		:= $(BUILD)/kselftest$(ASUFFIX)
KST_ARCH	:= ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)
LIBFAST_OUT	:= $(BUILD)/libfast$(ASUFFIX)
LIBFAST_MAKE	:= $(MAKE) -s -C libfast O=$(LIBFAST_OUT) $(if $(CROSS_COMPILE),CC=$(CROSS_COMPILE)gcc)
INITRAMFS	:= $(BUILD)/initramfs$(ASUFFIX).cpio.gz

.PHONY: all deps kernel kernel-tree selftests libfast guest initramfs check check-host check-deb \
	demo patches check-patches install uninstall clean distclean

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
	@ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) scripts/kconfig.sh $(KSRC) $(GUEST_CONFIG)

kernel: kernel-tree
	@echo "  KBUILD  $(ARCH) $(KIMAGE) (-j$(JOBS))"
	+@$(KMAKE) -j$(JOBS) $(KIMAGE)
	@cmp -s $(KSRC)/$(KIMAGE_PATH) $(BZIMAGE) || cp $(KSRC)/$(KIMAGE_PATH) $(BZIMAGE)
	@echo "  KERNEL  $(notdir $(BZIMAGE))"

# Each collection is built on its own first: the kselftest install target
# carries on past a collection that fails to build, and a test that was
# never built must not look like a pass.
selftests: kernel-tree
	+@$(KMAKE) -j$(JOBS) headers
	@rm -rf $(KST_DIR)
	+@for t in $(KSELFTESTS); do \
		$(MAKE) -s -C $(KSRC)/tools/testing/selftests/$$t -j$(JOBS) $(KST_ARCH) \
			>$(BUILD)/selftests.log 2>&1 || \
			{ cat $(BUILD)/selftests.log; echo "selftests: $$t does not build"; exit 1; }; \
	done
	+@$(MAKE) -s -C $(KSRC)/tools/testing/selftests -j$(JOBS) $(KST_ARCH) \
		TARGETS="$(KSELFTESTS)" INSTALL_PATH=$(KST_DIR) install >$(BUILD)/selftests.log 2>&1 || \
		{ cat $(BUILD)/selftests.log; exit 1; }
ifeq ($(ARCH),x86_64)
	@for t in sysgenid_test_32 vdso_test_sysgenid_32; do \
		grep -qx sysgenid:$$t $(KST_DIR)/kselftest-list.txt || \
		{ echo "selftests: $$t was not built: -m32 needs gcc-12-multilib"; exit 1; }; \
	done
endif
	@echo "  KSFT    $(notdir $(KST_DIR)) ($(KSELFTESTS))"

libfast: deps
	+@$(LIBFAST_MAKE) all

# make install / make uninstall: libfast's, with PREFIX, DESTDIR, LIBDIR, ...
# as the user gives them.  Needs only a C toolchain, not the kernel's deps.
install uninstall:
	+@$(MAKE) -s -C libfast $@

# What the guest runs besides the kselftests: the demo programs, and the
# userspace as a package would ship it, installed with PREFIX=/usr (the
# sysgenid command and libsysgenid.so.1), plus a program built against that
# install with nothing but pkg-config (one more kselftest, with libfast's
# guest test).
GUEST_DIR	:= $(BUILD)/guest$(ASUFFIX)
STAGE		:= $(BUILD)/stage$(ASUFFIX)
GUEST_CC	:= $(CROSS_COMPILE)gcc
# The tests the guest runs besides the kselftests, as collection "libfast".
# arm64 also runs libfast's host tests there (the x86_64 host runs them
# natively), and the device-tree VM Generation ID test of the rig.
GUEST_TESTS	:= $(LIBFAST_OUT)/tests/libfast_guest_test libfast/tests/cli_test.sh \
		   $(LIBFAST_OUT)/tests/install_consumer $(LIBFAST_OUT)/tests/vendor_test
ifeq ($(ARCH),x86_64)
GUEST_TESTS	+= $(LIBFAST_OUT)/tests/vendor_test_32 $(LIBFAST_OUT)/tests/libfast_guest_test_32
else
GUEST_TESTS	+= $(LIBFAST_OUT)/tests/libfast_host_test \
		   $(LIBFAST_OUT)/tests/libfast_host_test_shared qemu/vmgenid-of-test
endif
STAGE_PC	:= PKG_CONFIG_SYSROOT_DIR=$(STAGE) PKG_CONFIG_LIBDIR=$(STAGE)/usr/lib/pkgconfig \
		   PKG_CONFIG_PATH= pkg-config
guest: libfast
	@rm -rf $(GUEST_DIR) $(STAGE) && mkdir -p $(GUEST_DIR)/bin $(GUEST_DIR)/usr/lib
	+@$(LIBFAST_MAKE) install DESTDIR=$(STAGE) PREFIX=/usr
	@$(GUEST_CC) -O2 -Wall -Wextra -Ilibfast/include -Iinclude/uapi \
		-o $(GUEST_DIR)/bin/sysgenid-demo demo/sysgenid-demo.c \
		$(LIBFAST_OUT)/libsysgenid.a -pthread
	@install -D -m 755 $(STAGE)/usr/bin/sysgenid $(GUEST_DIR)/usr/bin/sysgenid
	@cp -a $(STAGE)/usr/lib/libsysgenid.so.1 $(GUEST_DIR)/usr/lib/
	@$(GUEST_CC) -O2 -Wall -Wextra -Werror -o $(LIBFAST_OUT)/tests/install_consumer \
		libfast/tests/install_consumer.c $$($(STAGE_PC) --cflags --libs sysgenid)
	@install -m 755 demo/job-demo demo/job-window demo/job-trigger demo/job-hibernate \
		$(GUEST_DIR)/bin/
ifeq ($(ARCH),arm64)
	@$(GUEST_CC) -O2 -Wall -Wextra -Werror -static -Ilibfast/include -Iinclude/uapi \
		-o $(GUEST_DIR)/bin/vmgenid-hv qemu/vmgenid-hv.c $(LIBFAST_OUT)/libsysgenid.a
endif
	@for t in $(GUEST_TESTS); do \
		test -x $$t || { echo "guest: $$t was not built (-m32 needs gcc-12-multilib)"; exit 1; }; \
	done

initramfs: selftests guest
	@mkdir -p $(KST_DIR)/libfast
	@cp $(GUEST_TESTS) $(KST_DIR)/libfast/
	@for t in $(notdir $(GUEST_TESTS)); do \
		grep -qx libfast:$$t $(KST_DIR)/kselftest-list.txt || \
			echo libfast:$$t >> $(KST_DIR)/kselftest-list.txt; \
	done
	@MKINITRAMFS_ARCH=$(ARCH) qemu/mkinitramfs.sh $(INITRAMFS) $(KST_DIR) $(GUEST_DIR)

# The host tests: libfast's unit tests (static, shared, and under
# ThreadSanitizer and AddressSanitizer+UBSan, which end a test at their
# first report), the staged `make install` test, the Debian packages' test
# and the repo-to-tree path map's, run by the guests' runner
# (scripts/run-kselftests) into build/check/host.log, which qemu/verdict.sh
# judges with the guests' logs.  The shell tests print KTAP through the
# kernel's own kselftest/ktap_helpers.sh, which only needs the tree
# unpacked.  The timeout only catches a hang (the package test builds).
HOST_LOG	:= $(BUILD)/check/host.log
HOST_TESTS	:= $(addprefix $(BUILD)/libfast/tests/,libfast_host_test libfast_host_test_shared \
		   libfast_host_test_tsan libfast_host_test_asan) \
		   $(TOP)/libfast/tests/install_test.sh $(TOP)/scripts/check-deb.sh \
		   $(TOP)/scripts/pathmap_test.sh
KTAP_HELPERS	?= $(KSRC)/tools/testing/selftests/kselftest/ktap_helpers.sh
define run-host-tests
@echo "  HOST    libfast, install and package tests (log: $(HOST_LOG))"
@mkdir -p $(dir $(HOST_LOG))
@rm -f $(HOST_LOG)
@TSAN_OPTIONS="halt_on_error=1$${TSAN_OPTIONS:+:$$TSAN_OPTIONS}" \
	ASAN_OPTIONS="halt_on_error=1$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	KTAP_HELPERS="$(KTAP_HELPERS)" LD_LIBRARY_PATH=$(BUILD)/libfast \
	KSFT_TIMEOUT=1800 KSFT_TIMEOUT_FACTOR=1 \
	scripts/run-kselftests -c libfast-host $(HOST_TESTS) > $(HOST_LOG)
endef

# The kselftests run on the normal and on the debug kernel (DEBUG_CHECK=0
# skips the latter for a quick run; CI keeps it), and on the arm64 guest
# (ARM64_CHECK=0 skips it).  The host tests run first, once everything is
# built; qemu/check.sh judges their log with the guests'.
DEBUG_CHECK	?= 1
ARM64_CHECK	?= 1
check: kernel initramfs
ifneq ($(ARCH),x86_64)
	$(error make check runs from the x86_64 side and checks arm64 itself: drop ARCH=$(ARCH))
endif
ifeq ($(ARM64_CHECK),1)
	+@$(MAKE) -s kernel initramfs ARCH=arm64
endif
ifeq ($(DEBUG_CHECK),1)
	+@$(MAKE) -s kernel DEBUG=1
endif
	$(run-host-tests)
	@QEMU_ACCEL=$(QEMU_ACCEL) \
		$(if $(filter 1,$(DEBUG_CHECK)),CHECK_DEBUG_KERNEL=$(BUILD)/bzImage-debug) \
		$(if $(filter 1,$(ARM64_CHECK)),CHECK_ARM64="$(BUILD)/Image-arm64 $(BUILD)/initramfs-arm64.cpio.gz") \
		qemu/check.sh $(BUILD)/bzImage $(BUILD)/initramfs.cpio.gz $(BUILD)/check

# The host tests alone, judged on their own: no kernel build, no guest.
check-host: libfast $(KSRC)/Makefile
ifneq ($(ARCH),x86_64)
	$(error make check-host runs libfast's tests on this x86_64 host: drop ARCH=$(ARCH))
endif
	$(run-host-tests)
	@VERDICT_GUESTS=0 qemu/verdict.sh $(HOST_LOG)

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
