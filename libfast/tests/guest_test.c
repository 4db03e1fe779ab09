// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libfast tests for a guest running the SysGenID kernel.  Every backend that
 * is present must give the same generation as the others, keep working
 * where it promises to (no syscall under seccomp, inside a time namespace,
 * under a storm of updates), and the generator must rekey after a trigger.
 *
 * A case whose prerequisite is missing (no /dev/sysgenid, no vDSO symbol,
 * not root, no time namespaces) is skipped; a present backend that
 * misbehaves fails.  Exit status: 0 pass, 1 fail, 4 all skipped.
 *
 * Library calls run in forked children only: initialisation is once per
 * process, and each child picks its own backend through SYSGENID_BACKEND.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include <sysgenid/sysgenid.h>

#include "internal.h"
#include "ktap.h"
#include "seccomp_filter.h"

#define DEV		TEST_DEV
/* This architecture's vDSO getter, for messages: <linux/sysgenid.h>'s. */
#ifdef SYSGENID_VDSO_GETTER
#define VDSO_SYM	SYSGENID_VDSO_GETTER "@" SYSGENID_VDSO_VERSION
#else
#define VDSO_SYM	"vDSO getter (none on this architecture)"
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

enum {
	TRIGGERS	= 10,
	STORM_READERS	= 3,
	STORM_TRIGGERS	= 200,
	SECCOMP_LOOPS	= 10000,
};

typedef uint64_t (*vdso_get_fn)(void);

static vdso_get_fn vdso_getter(void)
{
#ifdef SYSGENID_VDSO_GETTER
	return (vdso_get_fn)sysgenid_vdso_sym(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION);
#else
	return NULL;
#endif
}

/* Independent of the library: a fresh descriptor per read. */
static int raw_ioctl_get(uint64_t *gen)
{
	__u64 val;
	int fd, ret = 0;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SYSGENID_GET_GENERATION, &val) < 0)
		ret = -errno;
	else
		*gen = val;
	close(fd);
	return ret;
}

static const volatile struct sysgenid_page *raw_map(void)
{
	void *page;
	int fd;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return page == MAP_FAILED ? NULL : page;
}

static bool raw_race_free(void)
{
	const volatile struct sysgenid_page *page = raw_map();
	bool race_free = page && (page->flags & SYSGENID_FLAG_RACE_FREE);

	if (page)
		munmap((void *)page, (size_t)sysconf(_SC_PAGESIZE));
	return race_free;
}

static uint64_t raw_page_get(const volatile struct sysgenid_page *page)
{
	return __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
}

static int trigger_fd(void)
{
	return open(DEV, O_RDWR | O_CLOEXEC);
}

/* 0, or -errno: -EACCES/-EPERM mean "not privileged", a reason to skip. */
static int trigger(uint64_t min)
{
	int fd, ret = 0;

	if (min > ULONG_MAX)	/* a 32-bit process: never a cut value */
		return -ERANGE;
	fd = trigger_fd();
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, (unsigned long)min) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static enum test_result test_device_present(void)
{
	REQUIRE_DEVICE();
	return TEST_PASS;
}

static enum test_result test_ioctl_mmap_agree(void)
{
	const volatile struct sysgenid_page *page;
	uint64_t gen;
	int ret;

	REQUIRE_DEVICE();
	ret = raw_ioctl_get(&gen);
	CHECK(ret == 0, "SYSGENID_GET_GENERATION: %d", ret);
	page = raw_map();
	CHECK(page, "mmap of " DEV " failed");
	CHECK(raw_page_get(page) == gen, "page %llu, ioctl %llu",
	      (unsigned long long)raw_page_get(page), (unsigned long long)gen);
	CHECK(page->generation32 == (uint32_t)gen, "generation32 %u", page->generation32);
	CHECK(!(page->flags & ~(SYSGENID_FLAG_HW_SOURCE | SYSGENID_FLAG_RACE_FREE)),
	      "unknown flags %#x", page->flags);
	munmap((void *)page, (size_t)sysconf(_SC_PAGESIZE));
	return TEST_PASS;
}

static enum test_result test_triggers_agree(void)
{
	const volatile struct sysgenid_page *page;
	vdso_get_fn vdso_get = vdso_getter();
	uint64_t before, after, want;
	int i, ret;

	REQUIRE_DEVICE();
	REQUIRE_TRIGGER();
	page = raw_map();
	CHECK(page, "mmap of " DEV " failed");

	for (i = 0; i < TRIGGERS; i++) {
		CHECK(raw_ioctl_get(&before) == 0, "ioctl");
		ret = trigger(0);
		CHECK(ret == 0, "trigger %d: %d", i, ret);
		CHECK(raw_ioctl_get(&after) == 0, "ioctl");
		CHECK(after > before, "trigger %d: %llu -> %llu", i, (unsigned long long)before,
		      (unsigned long long)after);
		CHECK(raw_page_get(page) == after, "page %llu, ioctl %llu",
		      (unsigned long long)raw_page_get(page), (unsigned long long)after);
		if (vdso_get)
			CHECK(vdso_get() == after, "vDSO %llu, ioctl %llu",
			      (unsigned long long)vdso_get(), (unsigned long long)after);
	}

	/*
	 * The argument is a minimum for the new generation.  A 32-bit process
	 * cannot pass one above 2^32 - 1 (the ioctl's arg is an unsigned long),
	 * and earlier tests may have taken the generation there.
	 */
	want = after + 1000;
	if (want > ULONG_MAX) {
		diag("generation %llu: a 32-bit process cannot pass that minimum",
		     (unsigned long long)want);
		munmap((void *)page, (size_t)sysconf(_SC_PAGESIZE));
		return TEST_PASS;
	}
	CHECK(trigger(want) == 0, "trigger(%llu)", (unsigned long long)want);
	CHECK(raw_ioctl_get(&after) == 0 && after == want, "after trigger(%llu): %llu",
	      (unsigned long long)want, (unsigned long long)after);
	CHECK(raw_page_get(page) == want, "page after trigger with minimum");
	if (vdso_get)
		CHECK(vdso_get() == want, "vDSO after trigger with minimum");
	else
		diag("no " VDSO_SYM " in the vDSO: compared ioctl and mmap only");
	munmap((void *)page, (size_t)sysconf(_SC_PAGESIZE));
	return TEST_PASS;
}

struct backend_case {
	const char *env;
	enum sysgenid_backend want;	/* NONE: vdso if present, else mmap */
	bool cookie_loads_page;		/* sysgenid_changed() is a load (64-bit) */
	int dev_fds;
	bool needs_vdso;
};

static const struct backend_case backends[] = {
	{ "vdso", SYSGENID_BACKEND_VDSO, false, 0, true },
	{ "mmap", SYSGENID_BACKEND_MMAP, true, 0, false },
	{ "ioctl", SYSGENID_BACKEND_IOCTL, false, 1, false },
	{ "auto", SYSGENID_BACKEND_NONE, true, 0, false },
};

static const struct backend_case *bcase;

static enum sysgenid_backend bcase_expected(void)
{
	if (bcase->want != SYSGENID_BACKEND_NONE)
		return bcase->want;
	return vdso_getter() ? SYSGENID_BACKEND_VDSO : SYSGENID_BACKEND_MMAP;
}

/* In a child: force the case's backend and check it serves. */
static enum test_result bcase_start(void)
{
	enum sysgenid_backend which;
	const char *why;
	int ret;

	bcase = test_arg;
	REQUIRE_DEVICE();
	if (bcase->needs_vdso && !vdso_getter())
		SKIP("no " VDSO_SYM " in the vDSO");
	setenv("SYSGENID_BACKEND", bcase->env, 1);
	ret = sysgenid_backend(&which, &why);
	diag("SYSGENID_BACKEND=%s: %s", bcase->env, why);
	CHECK(ret == 0, "sysgenid_init() = %d", ret);
	CHECK(which == bcase_expected(), "backend %s, want %s", sysgenid_backend_name(which),
	      sysgenid_backend_name(bcase_expected()));
	return TEST_PASS;
}

static enum test_result child_backend_agrees(void)
{
	struct sysgenid_cookie cookie;
	uint64_t raw, gen;
	bool loads;
	int fds;

	REQUIRE_PASS(bcase_start());

	fds = count_fds_to(DEV);
	CHECK(fds == bcase->dev_fds, "%d descriptors of " DEV " held, want %d", fds,
	      bcase->dev_fds);

	CHECK(raw_ioctl_get(&raw) == 0, "ioctl");
	CHECK(sysgenid_get(&gen) == 0 && gen == raw, "sysgenid_get %llu, ioctl %llu",
	      (unsigned long long)gen, (unsigned long long)raw);
	CHECK(sysgenid_vdso_get() == raw, "sysgenid_vdso_get");

	/* Next to a race-free vDSO the page would be the slower view. */
	loads = bcase->cookie_loads_page &&
		!(bcase_expected() == SYSGENID_BACKEND_VDSO && raw_race_free());
	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
	CHECK(!SYSGENID_INLINE_LOAD || (cookie.word != NULL) == loads,
	      "cookie inline load %s, want %s", cookie.word ? "on" : "off",
	      loads ? "on" : "off");
	CHECK(!sysgenid_changed(&cookie), "changed without a trigger");

	if (!may_trigger()) {
		diag("not root: no trigger, agreement checked on the current value only");
		return TEST_PASS;
	}
	CHECK(trigger(0) == 0, "trigger");
	CHECK(raw_ioctl_get(&raw) == 0, "ioctl");
	CHECK(sysgenid_changed(&cookie), "the cookie missed the trigger");
	CHECK(sysgenid_vdso_get() == raw, "after the trigger: %llu, ioctl %llu",
	      (unsigned long long)sysgenid_vdso_get(), (unsigned long long)raw);
	CHECK(sysgenid_cookie_init(&cookie) == 0 && !sysgenid_changed(&cookie), "re-init");
	return TEST_PASS;
}

/*
 * Under a filter that kills on any syscall but write and exit_group, the
 * vDSO and mmap backends keep working and the ioctl backend dies by SIGSYS.
 */
static enum test_result child_backend_seccomp(void)
{
	struct sysgenid_cookie cookie;
	uint64_t raw, gen;
	int i;

	REQUIRE_PASS(bcase_start());
	if (!HAVE_TEST_SECCOMP)
		SKIP("no seccomp filter for this architecture");

	CHECK(raw_ioctl_get(&raw) == 0, "ioctl");
	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
#if HAVE_TEST_SECCOMP
	CHECK(seccomp_allow_only_write_exit() == 0, "cannot install the seccomp filter");
#endif
	for (i = 0; i < SECCOMP_LOOPS; i++) {
		gen = sysgenid_vdso_get();
		CHECK(gen == raw, "under seccomp: %llu, want %llu", (unsigned long long)gen,
		      (unsigned long long)raw);
		CHECK(!sysgenid_changed(&cookie), "changed under seccomp");
	}
	CHECK(sysgenid_get(&gen) == 0 && gen == raw, "sysgenid_get under seccomp");
	return TEST_PASS;
}

struct storm {
	int stop;
	pthread_barrier_t start;
	uint64_t last[STORM_READERS];
	uint64_t distinct[STORM_READERS];
	bool decreased[STORM_READERS];
	uint64_t bad_prev[STORM_READERS], bad_now[STORM_READERS];
};

static struct storm storm;

static void *storm_reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t prev, now;

	pthread_barrier_wait(&storm.start);
	prev = sysgenid_vdso_get();
	while (!__atomic_load_n(&storm.stop, __ATOMIC_ACQUIRE)) {
		now = sysgenid_vdso_get();
		if (now < prev || now == SYSGENID_GEN_INVALID) {
			storm.decreased[id] = true;
			storm.bad_prev[id] = prev;
			storm.bad_now[id] = now;
			break;
		}
		storm.distinct[id] += now != prev;
		prev = now;
	}
	storm.last[id] = prev;
	return NULL;
}

static enum test_result child_backend_storm(void)
{
	pthread_t readers[STORM_READERS];
	struct sysgenid_cookie cookie;
	uint64_t final;
	int fd, i;

	REQUIRE_PASS(bcase_start());
	REQUIRE_TRIGGER();

	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
	fd = trigger_fd();
	CHECK(fd >= 0, "open " DEV " O_RDWR");
	pthread_barrier_init(&storm.start, NULL, STORM_READERS + 1);
	for (i = 0; i < STORM_READERS; i++)
		CHECK(!pthread_create(&readers[i], NULL, storm_reader, (void *)(intptr_t)i),
		      "reader %d", i);
	pthread_barrier_wait(&storm.start);

	for (i = 0; i < STORM_TRIGGERS; i++) {
		if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, 0UL) < 0) {
			diag("trigger %d: errno %d", i, errno);
			break;
		}
		if (i % 16 == 0)
			sched_yield();
	}
	close(fd);
	/* Release pairs with the readers' acquire load of stop. */
	__atomic_store_n(&storm.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < STORM_READERS; i++)
		pthread_join(readers[i], NULL);

	CHECK(raw_ioctl_get(&final) == 0, "ioctl");
	for (i = 0; i < STORM_READERS; i++) {
		CHECK(!storm.decreased[i], "reader %d saw %llu after %llu", i,
		      (unsigned long long)storm.bad_now[i], (unsigned long long)storm.bad_prev[i]);
		CHECK(storm.last[i] <= final, "reader %d ended at %llu, past %llu", i,
		      (unsigned long long)storm.last[i], (unsigned long long)final);
		diag("reader %d saw %llu changes", i, (unsigned long long)storm.distinct[i]);
	}
	CHECK(sysgenid_vdso_get() == final, "after the storm: %llu, ioctl %llu",
	      (unsigned long long)sysgenid_vdso_get(), (unsigned long long)final);
	CHECK(sysgenid_changed(&cookie), "the cookie missed the storm");
	return TEST_PASS;
}

/*
 * Two copies of one generator taken before a trigger stand for two clones
 * of one snapshot.  Unprotected, both continue with the same stream; the
 * protected generator and its copy each rekey and leave it.
 */
static enum test_result child_rng_rekeys(void)
{
	struct sysgenid_rng rng, clone_a, clone_b;
	uint8_t naive_a[64], naive_b[64], out[64], out_b[64];
	int ret;

	REQUIRE_DEVICE();
	REQUIRE_TRIGGER();
	unsetenv("SYSGENID_BACKEND");

	ret = sysgenid_rng_init(&rng);
	CHECK(ret == 0, "sysgenid_rng_init() = %d", ret);
	CHECK(sysgenid_rng_bytes(&rng, out, sizeof(out)) == 0, "bytes");
	CHECK(sysgenid_rng_rekeys(&rng) == 0, "rekeyed without a trigger");

	sysgenid__rng_clone(&clone_a, &rng);
	sysgenid__rng_clone(&clone_b, &rng);
	CHECK(trigger(0) == 0, "trigger");

	sysgenid__rng_generate(&clone_a, naive_a, sizeof(naive_a));
	CHECK(sysgenid_rng_bytes(&rng, out, sizeof(out)) == 0, "bytes after the trigger");
	CHECK(sysgenid_rng_rekeys(&rng) == 1, "rekeys %llu, want 1",
	      (unsigned long long)sysgenid_rng_rekeys(&rng));
	CHECK(memcmp(out, naive_a, sizeof(out)) != 0,
	      "output after the trigger equals the unprotected stream");

	sysgenid_rng_destroy(&clone_a);
	sysgenid__rng_clone(&clone_a, &clone_b);
	sysgenid__rng_generate(&clone_a, naive_b, sizeof(naive_b));
	CHECK(!memcmp(naive_a, naive_b, sizeof(naive_a)), "unprotected copies should agree");
	CHECK(sysgenid_rng_bytes(&clone_b, out_b, sizeof(out_b)) == 0, "copy bytes");
	CHECK(sysgenid_rng_rekeys(&clone_b) == 1, "the copy did not rekey");
	CHECK(memcmp(out_b, naive_b, sizeof(out_b)) != 0 && memcmp(out_b, out, sizeof(out)) != 0,
	      "the protected copies share output");
	return TEST_PASS;
}

/* Runs in a process of a fresh time namespace. */
static enum test_result grandchild_timens(void)
{
	vdso_get_fn vdso_get = vdso_getter();
	enum sysgenid_backend which;
	uint64_t raw;

	CHECK(raw_ioctl_get(&raw) == 0, "ioctl");
	CHECK(vdso_get() == raw, "in the time namespace: vDSO %llu, ioctl %llu",
	      (unsigned long long)vdso_get(), (unsigned long long)raw);
	unsetenv("SYSGENID_BACKEND");
	CHECK(sysgenid_backend(&which, NULL) == 0 && which == SYSGENID_BACKEND_VDSO,
	      "library backend %s", sysgenid_backend_name(which));
	CHECK(sysgenid_vdso_get() == raw, "library getter");

	if (may_trigger()) {
		CHECK(trigger(0) == 0, "trigger");
		CHECK(raw_ioctl_get(&raw) == 0, "ioctl");
		CHECK(vdso_get() == raw, "after a trigger: vDSO %llu, ioctl %llu",
		      (unsigned long long)vdso_get(), (unsigned long long)raw);
	}
	return TEST_PASS;
}

static enum test_result child_timens(void)
{
	static const char offsets[] = "monotonic 86400 0\nboottime 86400 0\n";
	char mine[64], theirs[64];
	ssize_t n;
	int fd;

	REQUIRE_DEVICE();
	if (!vdso_getter())
		SKIP("no " VDSO_SYM " in the vDSO");
	if (unshare(CLONE_NEWTIME)) {
		if (errno == EINVAL)
			SKIP("kernel without CONFIG_TIME_NS");
		if (errno == EPERM)
			SKIP("unshare(CLONE_NEWTIME) needs CAP_SYS_ADMIN");
		CHECK(0, "unshare(CLONE_NEWTIME): errno %d", errno);
	}

	/* Offsets make the vDSO read the namespace's own data page. */
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open timens_offsets: errno %d", errno);
	n = write(fd, offsets, sizeof(offsets) - 1);
	close(fd);
	CHECK(n == (ssize_t)sizeof(offsets) - 1, "write timens_offsets: errno %d", errno);

	n = readlink("/proc/self/ns/time", mine, sizeof(mine) - 1);
	CHECK(n > 0, "readlink");
	mine[n] = '\0';
	n = readlink("/proc/self/ns/time_for_children", theirs, sizeof(theirs) - 1);
	CHECK(n > 0, "readlink");
	theirs[n] = '\0';
	CHECK(strcmp(mine, theirs) != 0, "children would stay in %s", mine);

	return run_in_child(grandchild_timens, 0);
}

/*
 * The guest runs QEMU's vmgenid, whose ID has a page of its own.  In a
 * child: sysgenid_flags() picks this process's backend for good, and the
 * forced-backend cases after it pick their own.
 */
static enum test_result child_flags(void)
{
	const volatile struct sysgenid_page *page;
	uint32_t flags = ~0U;
	int ret;

	REQUIRE_DEVICE();
	page = raw_map();
	CHECK(page, "mmap of " DEV " failed");
	ret = sysgenid_flags(&flags);
	CHECK(ret == 0, "sysgenid_flags: %d", ret);
	CHECK(flags == page->flags, "sysgenid_flags %#x, page %#x", flags, page->flags);
	munmap((void *)page, (size_t)sysconf(_SC_PAGESIZE));
	CHECK(flags == (SYSGENID_FLAG_HW_SOURCE | SYSGENID_FLAG_RACE_FREE),
	      "flags %#x: want a VM Generation ID source, race-free", flags);
	return TEST_PASS;
}

static const struct test_case cases[] = {
	CASE("device_present", test_device_present),
	CASE("ioctl_and_mmap_agree", test_ioctl_mmap_agree),
	CHILD_CASE("flags_vmgenid_race_free", child_flags, NULL),
	CASE("vdso_ioctl_mmap_agree_after_triggers", test_triggers_agree),
	CHILD_CASE("forced_vdso_agrees", child_backend_agrees, &backends[0]),
	CHILD_CASE("forced_mmap_agrees", child_backend_agrees, &backends[1]),
	CHILD_CASE("forced_ioctl_agrees", child_backend_agrees, &backends[2]),
	CHILD_CASE("auto_agrees", child_backend_agrees, &backends[3]),
	CHILD_CASE("seccomp_vdso_needs_no_syscall", child_backend_seccomp, &backends[0]),
	CHILD_CASE("seccomp_mmap_needs_no_syscall", child_backend_seccomp, &backends[1]),
	CHILD_CASE_SIGNAL("seccomp_ioctl_killed_by_sigsys", child_backend_seccomp, &backends[2],
			  SIGSYS),
	CHILD_CASE("seccomp_auto_needs_no_syscall", child_backend_seccomp, &backends[3]),
	CHILD_CASE("storm_vdso_never_decreases", child_backend_storm, &backends[0]),
	CHILD_CASE("storm_mmap_never_decreases", child_backend_storm, &backends[1]),
	CHILD_CASE("storm_ioctl_never_decreases", child_backend_storm, &backends[2]),
	CHILD_CASE("storm_auto_never_decreases", child_backend_storm, &backends[3]),
	CHILD_CASE("rng_rekeys_after_trigger", child_rng_rekeys, NULL),
	CHILD_CASE("vdso_in_time_namespace", child_timens, NULL),
};

int main(void)
{
	return ktap_run("libfast_guest_test", cases, sizeof(cases) / sizeof(cases[0]));
}
