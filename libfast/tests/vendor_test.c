// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The vendorable header, tested the way a TLS library would use it: this
 * file includes sysgenid_lazy.h and nothing else of SysGenID (no
 * libsysgenid, no <linux/sysgenid.h>).  Each backend is forced in turn and
 * must agree with SYSGENID_GET_GENERATION, report every bump exactly once
 * (also across 2^32, where the 32-bit build's page protocol needs the high
 * half), keep errno, hold only the descriptors it documents, and make no
 * syscall on the vDSO and page paths.  Without a generation source, each
 * policy must do what it says.
 *
 * Built twice, 64-bit and -m32, both static.  Cases whose prerequisite is
 * missing (the device, root for triggers) are skipped, so it runs on any
 * host too.  Exit status: 0 pass, 1 fail, 4 all skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Builds as a vendoring library would: without <linux/sysgenid.h>. */
#define SGLAZY_NO_UAPI_CHECK
#include <sysgenid/sysgenid_lazy.h>

#include "ktap.h"
#include "seccomp_filter.h"
#include "vdso_names.h"

#ifdef _UAPI_LINUX_SYSGENID_H
#error "<linux/sysgenid.h> came in: the test would not show the header stands alone"
#endif

#define DEV	SGLAZY_DEV
/* SYSGENID_TRIGGER_GEN_UPDATE, spelt out: the uapi header is not included. */
#define TEST_TRIGGER_GEN_UPDATE	_IO(SGLAZY_IOCTL_TYPE, 3)

/*
 * Where the header knows the architecture's getter (x86_64, i386, arm64),
 * every vDSO of a SysGenID kernel exports it, 32-bit x86 processes' too.
 */
#ifdef SGLAZY_PRIV_VDSO_GETTER
#define HAVE_VDSO_GETTER	1
#else
#define HAVE_VDSO_GETTER	0
#endif

enum {
	BUMPS		= 5,
	SECCOMP_LOOPS	= 10000,
	POLICY_LOOPS	= 1000,
};

struct backend_case {
	const char *name;
	enum sglazy_backend want;
	unsigned int opts;	/* the other two taken away */
};

static const struct backend_case backends[] = {
	{ "vdso", SGLAZY_BACKEND_VDSO, SGLAZY_NO_PAGE | SGLAZY_NO_IOCTL },
	{ "page", SGLAZY_BACKEND_PAGE, SGLAZY_NO_VDSO | SGLAZY_NO_IOCTL },
	{ "ioctl", SGLAZY_BACKEND_IOCTL, SGLAZY_NO_VDSO | SGLAZY_NO_PAGE },
};

/* The reference value: the ioctl on a fresh descriptor, not the header's. */
static int raw_get(uint64_t *gen)
{
	int fd, ret = 0;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SGLAZY_IOC_GET_GENERATION, gen) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int raw_page(struct sglazy_page *copy)
{
	const volatile struct sglazy_page *page;
	int fd;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	page = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (page == MAP_FAILED)
		return -errno;
	copy->generation32 = page->generation32;
	copy->flags = page->flags;
	munmap((void *)page, sizeof(*page));
	return 0;
}

/* Through @fd when it is open (the device may be hidden by now). */
static int trigger_on(int fd, unsigned long min)
{
	return ioctl(fd, TEST_TRIGGER_GEN_UPDATE, min) < 0 ? -errno : 0;
}

static int trigger(unsigned long min)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = trigger_on(fd, min);
	close(fd);
	return ret;
}

/* The descriptor of @path this process holds, or -1. */
static int fd_of(const char *path)
{
	char link[64], target[PATH_MAX];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			return fd;
	}
	return -1;
}

#define REQUIRE_BACKEND(bcase)							\
	do {									\
		REQUIRE_DEVICE();						\
		if ((bcase)->want == SGLAZY_BACKEND_VDSO && !HAVE_VDSO_GETTER)	\
			SKIP("no vDSO getter on this architecture");		\
	} while (0)

/* Forced to @bcase, failing closed; errno must survive it. */
static enum test_result start(struct sglazy *src, struct sglazy_mark *mark,
			      const struct backend_case *bcase)
{
	int ret;

	errno = EDOM;
	ret = sglazy_init(src, SGLAZY_FAIL_CLOSED | bcase->opts);
	CHECK(errno == EDOM, "sglazy_init changed errno to %d", errno);
	CHECK(ret == 0, "sglazy_init(%s only) = %d", bcase->name, ret);
	CHECK(sglazy_backend(src) == bcase->want, "backend %s, want %s",
	      sglazy_backend_name(sglazy_backend(src)), bcase->name);
	if (mark)
		sglazy_note(src, mark);
	return TEST_PASS;
}

static enum test_result backend_agrees(void)
{
	const struct backend_case *bcase = test_arg;
	struct sglazy src;
	uint64_t gen = 0, raw = 0;
	int fd;

	REQUIRE_BACKEND(bcase);
	REQUIRE_PASS(start(&src, NULL, bcase));

	CHECK(raw_get(&raw) == 0, "SYSGENID_GET_GENERATION failed");
	errno = EDOM;
	CHECK(sglazy_get(&src, &gen) == 0, "sglazy_get failed");
	CHECK(errno == EDOM, "sglazy_get changed errno to %d", errno);
	CHECK(gen == raw, "%s: %llu, ioctl %llu", bcase->name, (unsigned long long)gen,
	      (unsigned long long)raw);

	/* Only the ioctl backend keeps a descriptor, and never across exec. */
	fd = fd_of(DEV);
	if (bcase->want == SGLAZY_BACKEND_IOCTL) {
		CHECK(fd >= 0, "no descriptor of " DEV " held");
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "descriptor %d lacks FD_CLOEXEC", fd);
		CHECK(count_fds_to(DEV) == 1, "%d descriptors held", count_fds_to(DEV));
	} else {
		CHECK(fd < 0, "descriptor %d of " DEV " held", fd);
	}

	sglazy_fini(&src);
	CHECK(count_fds_to(DEV) == 0, "descriptors left after sglazy_fini");
	CHECK(sglazy_backend(&src) == SGLAZY_BACKEND_NONE, "backend after sglazy_fini");
	return TEST_PASS;
}

static enum test_result backend_bumps_once(void)
{
	const struct backend_case *bcase = test_arg;
	struct sglazy_mark mark;
	struct sglazy src;
	uint64_t raw = 0;
	int i;

	REQUIRE_BACKEND(bcase);
	REQUIRE_TRIGGER();
	REQUIRE_PASS(start(&src, &mark, bcase));

	CHECK(!sglazy_changed(&src, &mark), "changed without a bump");
	CHECK(!sglazy_check(&src, &mark), "check without a bump");
	for (i = 0; i < BUMPS; i++) {
		CHECK(trigger(0) == 0, "trigger %d failed", i);
		CHECK(raw_get(&raw) == 0, "ioctl");
		CHECK(sglazy_changed(&src, &mark), "bump %d: changed() missed it", i);
		CHECK(sglazy_changed(&src, &mark), "bump %d: changed() cleared the mark", i);
		errno = EDOM;
		CHECK(sglazy_check(&src, &mark), "bump %d: check() missed it", i);
		CHECK(mark.gen == raw, "bump %d: noted %llu, ioctl %llu", i,
		      (unsigned long long)mark.gen, (unsigned long long)raw);
		CHECK(!sglazy_check(&src, &mark), "bump %d: reported twice", i);
		CHECK(!sglazy_changed(&src, &mark), "bump %d: changed() after the re-note", i);
		CHECK(errno == EDOM, "the checks changed errno to %d", errno);
	}
	sglazy_fini(&src);
	return TEST_PASS;
}

/* Under a filter that kills on any syscall but write and exit_group. */
static enum test_result child_backend_no_syscall(void)
{
	const struct backend_case *bcase = test_arg;
	struct sglazy_mark mark;
	struct sglazy src;
	uint64_t gen = 0;
	int i;

	REQUIRE_BACKEND(bcase);
	if (!HAVE_TEST_SECCOMP)
		SKIP("no seccomp filter for this architecture");
	REQUIRE_PASS(start(&src, &mark, bcase));
#if HAVE_TEST_SECCOMP
	CHECK(seccomp_allow_only_write_exit() == 0, "cannot install the seccomp filter");
#endif
	for (i = 0; i < SECCOMP_LOOPS; i++) {
		CHECK(!sglazy_check(&src, &mark), "check under seccomp");
		CHECK(sglazy_get(&src, &gen) == 0 && gen == mark.gen, "get under seccomp");
	}
	return TEST_PASS;
}

/* With the ioctl backend: a failing ioctl (a daemon closed the descriptor) is a change. */
static enum test_result child_ioctl_failure(void)
{
	struct sglazy_mark mark;
	struct sglazy src;
	const struct backend_case *bcase = test_arg;
	uint64_t gen = 0;

	REQUIRE_BACKEND(bcase);
	if (!HAVE_TEST_SECCOMP)
		SKIP("no seccomp filter for this architecture");
	REQUIRE_PASS(start(&src, &mark, bcase));
#if HAVE_TEST_SECCOMP
	CHECK(seccomp_fail_syscall(SYS_ioctl, EIO) == 0, "cannot install the seccomp filter");
#endif
	errno = EDOM;
	CHECK(sglazy_get(&src, &gen) == -EIO, "sglazy_get did not fail");
	CHECK(sglazy_changed(&src, &mark), "changed() trusted a failed ioctl");
	CHECK(sglazy_check(&src, &mark), "check() trusted a failed ioctl");
	CHECK(mark.gen == SGLAZY_GEN_UNKNOWN, "noted %llu", (unsigned long long)mark.gen);
	CHECK(sglazy_check(&src, &mark), "check() trusted the second failure");
	CHECK(errno == EDOM, "errno %d", errno);
	return TEST_PASS;
}

static enum test_result test_policy_required(void)
{
	static const unsigned int bad[] = {
		0, SGLAZY_FAIL_OPEN | SGLAZY_FAIL_CLOSED, SGLAZY_FAIL_OPEN | 1U << 12,
	};
	struct sglazy_mark mark = { 0 };
	struct sglazy src;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = sglazy_init(&src, bad[i]);

		CHECK(ret == -EINVAL, "sglazy_init(%#x) = %d, want -EINVAL", bad[i], ret);
		CHECK(sglazy_backend(&src) == SGLAZY_BACKEND_NONE, "a backend after -EINVAL");
		CHECK(sglazy_check(&src, &mark) && sglazy_changed(&src, &mark),
		      "a misused source must fail closed");
	}
	CHECK(count_fds_to(DEV) == 0, "descriptors left behind");
	return TEST_PASS;
}

/*
 * The header's own ELF walk: clock_gettime is in every vDSO of the
 * architecture (vdso_names.h); the getter in every vDSO of a SysGenID kernel
 * (CONFIG_SYSGENID is a bool), x86's 32-bit one included, and in no other
 * kernel's.  The device tells the one kernel from the other.
 */
static enum test_result test_vdso_parser(void)
{
#if defined(TEST_VDSO_CLOCK_GETTIME) && HAVE_VDSO_GETTER
	uintptr_t clk = sglazy_priv_vdso_sym(TEST_VDSO_CLOCK_GETTIME, TEST_VDSO_VERSION);
	uintptr_t getter = sglazy_priv_vdso_sym(SGLAZY_PRIV_VDSO_GETTER, SGLAZY_PRIV_VDSO_VERSION);

	CHECK(clk, TEST_VDSO_CLOCK_GETTIME "@" TEST_VDSO_VERSION " not found");
	CHECK(!sglazy_priv_vdso_sym(TEST_VDSO_CLOCK_GETTIME, "LINUX_9.9"), "wrong version found");
	CHECK(!sglazy_priv_vdso_sym(TEST_VDSO_PREFIX "clock_gettim", TEST_VDSO_VERSION),
	      "a prefix matched");
	CHECK(!sglazy_priv_vdso_sym(TEST_VDSO_PREFIX "no_such_function", TEST_VDSO_VERSION),
	      "unknown name");
	CHECK(!sglazy_priv_vdso_sym(SGLAZY_PRIV_VDSO_GETTER, "LINUX_9.9"),
	      "the getter found under a wrong version");
	if (TEST_VDSO_TIMESPEC_NATIVE) {
		int (*vdso_clock_gettime)(clockid_t, struct timespec *) =
			(int (*)(clockid_t, struct timespec *))clk;
		struct timespec a, b, c;

		clock_gettime(CLOCK_MONOTONIC, &a);
		CHECK(vdso_clock_gettime(CLOCK_MONOTONIC, &b) == 0, "vDSO clock_gettime failed");
		clock_gettime(CLOCK_MONOTONIC, &c);
		CHECK((b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)) &&
		      (c.tv_sec > b.tv_sec || (c.tv_sec == b.tv_sec && c.tv_nsec >= b.tv_nsec)),
		      "the symbol found is not clock_gettime");
	}
	CHECK(!!getter == have_device(), SGLAZY_PRIV_VDSO_GETTER " %s, device %s",
	      getter ? "found" : "absent", have_device() ? "present" : "absent");
	return TEST_PASS;
#else
	SKIP("no vDSO names or getter known for this architecture");
#endif
}

/* With nothing forbidden: the vDSO where there is one, else the page. */
static enum test_result test_auto_backend(void)
{
	struct sglazy src;
	int ret;

	REQUIRE_DEVICE();
	ret = sglazy_init(&src, SGLAZY_FAIL_CLOSED);
	CHECK(ret == 0, "sglazy_init = %d", ret);
	CHECK(sglazy_backend(&src) == (HAVE_VDSO_GETTER ? SGLAZY_BACKEND_VDSO :
				       SGLAZY_BACKEND_PAGE),
	      "backend %s", sglazy_backend_name(sglazy_backend(&src)));
	CHECK(count_fds_to(DEV) == 0, "a descriptor kept");
	sglazy_fini(&src);
	return TEST_PASS;
}

/*
 * The flags are the page's, whatever serves.  Race-free: the vDSO with
 * SGLAZY_FLAG_RACE_FREE, the ioctl with a hypervisor source, never the page.
 * The guest runs QEMU's vmgenid, which has both flags.
 */
static enum test_result test_flags_race_free(void)
{
	struct sglazy_page page;
	struct sglazy src;
	size_t i;
	int ret;

	REQUIRE_DEVICE();
	ret = raw_page(&page);
	CHECK(ret == 0, "mmap of " DEV ": %d", ret);
	CHECK(page.flags == (SGLAZY_FLAG_HW_SOURCE | SGLAZY_FLAG_RACE_FREE),
	      "flags %#x: want a VM Generation ID source, race-free", page.flags);

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		bool vdso_only = backends[i].want == SGLAZY_BACKEND_VDSO;
		/* The vDSO forced alone opens no file: its flags are unknown. */
		bool want_race_free = backends[i].want == SGLAZY_BACKEND_IOCTL;

		if (vdso_only && !HAVE_VDSO_GETTER)
			continue;
		CHECK(sglazy_init(&src, SGLAZY_FAIL_CLOSED | backends[i].opts) == 0,
		      "%s", backends[i].name);
		CHECK(sglazy_flags(&src) == (vdso_only ? 0 : page.flags), "%s: flags %#x",
		      backends[i].name, sglazy_flags(&src));
		CHECK(sglazy_race_free(&src) == want_race_free, "%s: race-free %d",
		      backends[i].name, sglazy_race_free(&src));
		sglazy_fini(&src);
	}

	CHECK(sglazy_init(&src, SGLAZY_FAIL_CLOSED) == 0, "auto");
	CHECK(sglazy_flags(&src) == page.flags, "auto: flags %#x", sglazy_flags(&src));
	CHECK(sglazy_race_free(&src) == HAVE_VDSO_GETTER, "auto (%s): race-free %d",
	      sglazy_backend_name(sglazy_backend(&src)), sglazy_race_free(&src));
	sglazy_fini(&src);
	return TEST_PASS;
}

static enum test_result check_sources(struct sglazy *src, struct sglazy_mark *mark, int n,
				      uint64_t want)
{
	struct sglazy_page page;
	uint64_t gen = 0;
	int i;

	for (i = 0; i < n; i++) {
		CHECK(sglazy_get(&src[i], &gen) == 0 && gen == want, "%s: %#llx, want %#llx",
		      sglazy_backend_name(sglazy_backend(&src[i])), (unsigned long long)gen,
		      (unsigned long long)want);
		CHECK(sglazy_check(&src[i], &mark[i]) && !sglazy_check(&src[i], &mark[i]),
		      "%s: not exactly one change at %#llx",
		      sglazy_backend_name(sglazy_backend(&src[i])), (unsigned long long)want);
	}
	CHECK(raw_page(&page) == 0 && page.generation32 == (uint32_t)want,
	      "generation32 %#x", page.generation32);
	return TEST_PASS;
}

/*
 * Up to 2^32 - 1, then past it: the 32-bit page protocol must put the high
 * half together with the low one.  A 32-bit trigger cannot ask for more than
 * 2^32 - 1, so both builds get there the same way.  Crossing 2^32 leaves the
 * boot's watchers (32-bit read() and write()) above it: only on a test
 * machine, as the kernel's selftests do; above it already, one bump more.
 */
static enum test_result test_across_2_32(void)
{
	struct sglazy src[3];
	struct sglazy_mark mark[3];
	uint64_t raw = 0;
	int i, n = 0;

	REQUIRE_DEVICE();
	REQUIRE_TRIGGER();
	CHECK(raw_get(&raw) == 0, "ioctl");
	if (raw < 0xffffffffU && !getenv("SYSGENID_TEST_HIGH_GENERATION"))
		SKIP("set SYSGENID_TEST_HIGH_GENERATION=1 to go above 2^32");
	for (i = 0; i < 3; i++) {
		if (backends[i].want == SGLAZY_BACKEND_VDSO && !HAVE_VDSO_GETTER)
			continue;
		REQUIRE_PASS(start(&src[n], &mark[n], &backends[i]));
		n++;
	}

	if (raw < 0xffffffffU) {
		CHECK(trigger(0xffffffffUL) == 0, "trigger to 2^32 - 1");
		REQUIRE_PASS(check_sources(src, mark, n, 0xffffffffU));
	}
	CHECK(trigger(0) == 0, "trigger");
	CHECK(raw_get(&raw) == 0 && raw > 0xffffffffU, "generation %#llx",
	      (unsigned long long)raw);
	REQUIRE_PASS(check_sources(src, mark, n, raw));
	diag("%d backends agree at %#llx", n, (unsigned long long)raw);
	for (i = 0; i < n; i++)
		sglazy_fini(&src[i]);
	return TEST_PASS;
}

/* A child inherits the source: same vDSO, same mapping, a shared descriptor. */
static enum test_result test_fork(void)
{
	struct sglazy src[3];
	struct sglazy_mark mark[3];
	int i, n = 0, status;
	pid_t pid;

	REQUIRE_DEVICE();
	REQUIRE_TRIGGER();
	for (i = 0; i < 3; i++) {
		if (backends[i].want == SGLAZY_BACKEND_VDSO && !HAVE_VDSO_GETTER)
			continue;
		REQUIRE_PASS(start(&src[n], &mark[n], &backends[i]));
		n++;
	}

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (sglazy_check(&src[i], &mark[i]))
				_exit(10 + i);
		if (trigger(0))
			_exit(2);
		for (i = 0; i < n; i++)
			if (!sglazy_check(&src[i], &mark[i]))
				_exit(20 + i);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
	CHECK(WEXITSTATUS(status) == 0, "child exited with %d (1x: changed early, 2x: missed "
	      "its own bump, x the backend index)", WEXITSTATUS(status));
	for (i = 0; i < n; i++)
		CHECK(sglazy_check(&src[i], &mark[i]), "%s: parent missed the child's bump",
		      sglazy_backend_name(sglazy_backend(&src[i])));
	for (i = 0; i < n; i++)
		sglazy_fini(&src[i]);
	return TEST_PASS;
}

/*
 * Without the device: a private mount namespace with an empty tmpfs on /dev,
 * which is what a container without the node looks like, and needs no hook
 * in the header.  On a kernel without SysGenID there is nothing to hide.
 * @trigger_fd: the device opened for writing before it vanished, or -1.
 */
static enum test_result hide_device(int *trigger_fd)
{
	*trigger_fd = -1;
	if (!have_device())
		return TEST_PASS;
	if (may_trigger())
		*trigger_fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (unshare(CLONE_NEWNS))
		SKIP("unshare(CLONE_NEWNS): errno %d (needs CAP_SYS_ADMIN)", errno);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	CHECK(mount("none", "/dev", "tmpfs", 0, NULL) == 0, "tmpfs on /dev: errno %d", errno);
	CHECK(!have_device(), DEV " still visible");
	return TEST_PASS;
}

/*
 * The stock kernel: no vDSO getter (taken away here, as a SysGenID vDSO
 * would still serve), no node.
 */
static enum test_result child_fail_open(void)
{
	struct sglazy_mark mark;
	struct sglazy src;
	uint64_t gen = 0;
	int fd, i, ret;

	REQUIRE_PASS(hide_device(&fd));
	errno = EDOM;
	ret = sglazy_init(&src, SGLAZY_FAIL_OPEN | SGLAZY_NO_VDSO);
	CHECK(errno == EDOM, "errno %d", errno);
	CHECK(ret == -ENOENT, "sglazy_init = %d, want -ENOENT", ret);
	CHECK(sglazy_backend(&src) == SGLAZY_BACKEND_NONE, "a backend");
	CHECK(!sglazy_flags(&src) && !sglazy_race_free(&src), "flags without a source");
	CHECK(sglazy_get(&src, &gen) == -ENODEV, "sglazy_get without a source");
	sglazy_note(&src, &mark);
	CHECK(mark.gen == SGLAZY_GEN_UNKNOWN, "noted %llu", (unsigned long long)mark.gen);
	for (i = 0; i < POLICY_LOOPS; i++)
		CHECK(!sglazy_check(&src, &mark) && !sglazy_changed(&src, &mark),
		      "fail open reported a change");

	/* The price: a real bump goes unseen. */
	if (fd >= 0) {
		CHECK(trigger_on(fd, 0) == 0, "trigger");
		CHECK(!sglazy_check(&src, &mark), "fail open saw a bump it cannot see");
		diag("a bump went unseen, as fail open promises");
		close(fd);
	}
	return TEST_PASS;
}

static enum test_result child_fail_closed(void)
{
	struct sglazy_mark mark;
	struct sglazy src;
	int fd, i, ret;

	REQUIRE_PASS(hide_device(&fd));
	ret = sglazy_init(&src, SGLAZY_FAIL_CLOSED | SGLAZY_NO_VDSO);
	CHECK(ret == -ENOENT, "sglazy_init = %d, want -ENOENT", ret);
	CHECK(sglazy_backend(&src) == SGLAZY_BACKEND_NONE, "a backend");
	sglazy_note(&src, &mark);
	for (i = 0; i < POLICY_LOOPS; i++)
		CHECK(sglazy_check(&src, &mark) && sglazy_changed(&src, &mark),
		      "fail closed reported no change at check %d", i);
	if (fd >= 0)
		close(fd);
	return TEST_PASS;
}

/* A container without the node: the vDSO still serves, flags unknown. */
static enum test_result child_no_node(void)
{
	struct sglazy_mark mark = { 0 };
	struct sglazy src;
	int fd, ret;

	REQUIRE_PASS(hide_device(&fd));
	ret = sglazy_init(&src, SGLAZY_FAIL_CLOSED);
	if (!HAVE_VDSO_GETTER || fd < 0) {
		/* No getter here, or a kernel without SysGenID: nothing serves. */
		CHECK(ret == -ENOENT, "sglazy_init = %d, want -ENOENT", ret);
		CHECK(sglazy_check(&src, &mark), "fails closed");
		if (fd >= 0)
			close(fd);
		return TEST_PASS;
	}
	CHECK(ret == 0, "sglazy_init = %d", ret);
	CHECK(sglazy_backend(&src) == SGLAZY_BACKEND_VDSO, "backend %s",
	      sglazy_backend_name(sglazy_backend(&src)));
	CHECK(!sglazy_flags(&src) && !sglazy_race_free(&src), "flags known without the page");
	sglazy_note(&src, &mark);
	CHECK(trigger_on(fd, 0) == 0, "trigger");
	CHECK(sglazy_check(&src, &mark) && !sglazy_check(&src, &mark), "not exactly once");
	close(fd);
	return TEST_PASS;
}

static const struct test_case cases[] = {
	CASE("policy_is_required", test_policy_required),
	CASE("vdso_parser", test_vdso_parser),
	CASE("auto_backend", test_auto_backend),
	CASE_ARG("vdso_agrees_with_ioctl", backend_agrees, &backends[0]),
	CASE_ARG("page_agrees_with_ioctl", backend_agrees, &backends[1]),
	CASE_ARG("ioctl_agrees_with_ioctl", backend_agrees, &backends[2]),
	CASE_ARG("vdso_reports_each_bump_once", backend_bumps_once, &backends[0]),
	CASE_ARG("page_reports_each_bump_once", backend_bumps_once, &backends[1]),
	CASE_ARG("ioctl_reports_each_bump_once", backend_bumps_once, &backends[2]),
	CHILD_CASE("vdso_check_needs_no_syscall", child_backend_no_syscall, &backends[0]),
	CHILD_CASE("page_check_needs_no_syscall", child_backend_no_syscall, &backends[1]),
	CHILD_CASE_SIGNAL("ioctl_check_killed_by_seccomp", child_backend_no_syscall, &backends[2],
			  SIGSYS),
	CHILD_CASE("ioctl_failure_is_a_change", child_ioctl_failure, &backends[2]),
	CASE("flags_and_race_free", test_flags_race_free),
	CASE("backends_agree_across_2_32", test_across_2_32),
	CASE("fork_needs_no_reinit", test_fork),
	CHILD_CASE("no_source_fail_open", child_fail_open, NULL),
	CHILD_CASE("no_source_fail_closed", child_fail_closed, NULL),
	CHILD_CASE("no_device_node", child_no_node, NULL),
};

int main(void)
{
	return ktap_run(UINTPTR_MAX > 0xffffffffU ? "vendor_test" : "vendor_test_32", cases,
			sizeof(cases) / sizeof(cases[0]));
}
