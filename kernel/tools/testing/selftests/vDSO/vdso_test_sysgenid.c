// SPDX-License-Identifier: GPL-2.0
/*
 * The system generation through the vDSO: the getter (__vdso_sysgenid_get()
 * on x86, __kernel_sysgenid_get() on arm64) must agree with /dev/sysgenid
 * (ioctl, mmap page, read), inside a time namespace too, never go
 * backwards, and need no system call at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sysgenid.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../sysgenid/sysgenid_util.h"
#include "parse_vdso.h"
#include "vdso_config.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

typedef __u64 (*sysgenid_get_t)(void);

static const char *version;
static const char *name;

static sysgenid_get_t vdso_sysgenid_get(void)
{
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);

	version = versions[VDSO_VERSION];
	name = names[VDSO_NAMES][7];	/* the system generation getter */
	if (!ehdr)
		return NULL;
	vdso_init_from_sysinfo_ehdr(ehdr);
	return (sysgenid_get_t)vdso_sym(version, name);
}

static __u64 ioctl_gen(int fd)
{
	__u64 gen = UINT64_MAX;

	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
		return UINT64_MAX;
	return gen;
}

FIXTURE(vdso) {
	int fd;
	sysgenid_get_t get;
	const struct sysgenid_page *page;
};

FIXTURE_SETUP(vdso)
{
	self->fd = open("/dev/sysgenid", O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no /dev/sysgenid: kernel without CONFIG_SYSGENID");
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/sysgenid: %s", strerror(errno));
	self->get = vdso_sysgenid_get();
#ifdef SYSGENID_VDSO_GETTER
	ASSERT_TRUE((bool)self->get)
		TH_LOG("/dev/sysgenid exists but the vDSO lacks %s@%s", name, version);
#else
	if (!self->get)
		SKIP(return, "no vDSO getter on this architecture");
#endif
	/* Every test starts new generations. */
	if (!may_trigger())
		SKIP(return, "needs CAP_CHECKPOINT_RESTORE in the initial user namespace");
	self->page = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_TRUE(self->page != MAP_FAILED);
}

FIXTURE_TEARDOWN(vdso)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The uapi header names the getter for the architectures that have one. */
TEST(names_match_the_uapi_header)
{
	vdso_sysgenid_get();
#ifdef SYSGENID_VDSO_GETTER
	ASSERT_STREQ(SYSGENID_VDSO_GETTER, name);
	ASSERT_STREQ(SYSGENID_VDSO_VERSION, version);
#else
	SKIP(return, "the uapi header names no getter for this architecture");
#endif
}

TEST_F(vdso, every_view_agrees_after_triggers)
{
	__u64 start = self->get();
	int i;

	ASSERT_EQ(ioctl_gen(self->fd), start);
	for (i = 1; i <= 20; i++) {
		__u64 gen;
		__u32 r;

		ASSERT_EQ(0, ioctl(self->fd, SYSGENID_TRIGGER_GEN_UPDATE, 0));
		gen = self->get();
		ASSERT_EQ(start + i, gen);
		ASSERT_EQ(gen, ioctl_gen(self->fd));
		ASSERT_EQ(gen, page_gen(self->page));
		ASSERT_EQ((__u32)gen, self->page->generation32);
		ASSERT_EQ(sizeof(r), read(self->fd, &r, sizeof(r)));
		ASSERT_EQ((__u32)gen, r);
		ASSERT_EQ(sizeof(r), write(self->fd, &r, sizeof(r)));
	}
}

/*
 * Leaves the generation above 2^32 for the rest of the boot, which a real
 * machine's watchers (32-bit read() and write()) should not have to see:
 * only where SYSGENID_TEST_HIGH_GENERATION=1 says the machine is a test's.
 */
TEST_F(vdso, full_64_bits)
{
	__u64 target = self->get() + (1ULL << 32) + 5;

	if (!getenv("SYSGENID_TEST_HIGH_GENERATION"))
		SKIP(return, "set SYSGENID_TEST_HIGH_GENERATION=1 to go above 2^32");
	if (target > ULONG_MAX) {
		/*
		 * A 32-bit caller cannot pass such a minimum: it needs a
		 * generation a 64-bit run of this test took above 2^32.
		 */
		if (!(self->get() >> 32))
			SKIP(return, "32-bit: run the 64-bit test first to go above 2^32");
		target = self->get() + 1;
		ASSERT_EQ(0, ioctl(self->fd, SYSGENID_TRIGGER_GEN_UPDATE, 0));
	} else {
		ASSERT_EQ(0, ioctl(self->fd, SYSGENID_TRIGGER_GEN_UPDATE, target));
	}
	ASSERT_EQ(target, self->get());
	ASSERT_EQ(target, ioctl_gen(self->fd));
	ASSERT_EQ(target, page_gen(self->page));
	ASSERT_EQ((__u32)target, self->page->generation32);
}

/*
 * A time namespace task sees the namespace's vvar page where the real one
 * usually is; the getter must still read the real generation.
 */
TEST_F(vdso, time_namespace)
{
	struct timespec outside, inside;
	int status;
	pid_t pid;
	int fd;

	if (unshare(CLONE_NEWTIME))
		SKIP(return, "unshare(CLONE_NEWTIME): %s", strerror(errno));
	/* A large monotonic offset proves the child really is in the namespace. */
	fd = open("/proc/self/timens_offsets", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%d 86400 0\n", CLOCK_MONOTONIC));
	close(fd);
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &outside));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 before;

		if (clock_gettime(CLOCK_MONOTONIC, &inside) ||
		    inside.tv_sec < outside.tv_sec + 86000)
			_exit(10);
		before = self->get();
		if (before != ioctl_gen(self->fd))
			_exit(11);
		if (ioctl(self->fd, SYSGENID_TRIGGER_GEN_UPDATE, 0))
			_exit(12);
		if (self->get() != before + 1 || self->get() != ioctl_gen(self->fd))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("timens child: step %d (10 no ns, 11 vDSO!=ioctl, 12 trigger, 13 stale)",
		       WEXITSTATUS(status));
	ASSERT_EQ(self->get(), ioctl_gen(self->fd));
}

static pid_t run_under_kill_all_seccomp(sysgenid_get_t get, __u64 expect, bool make_syscall)
{
	struct sock_filter kill_all[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(kill_all),
		.filter = kill_all,
	};
	pid_t pid = fork();

	if (pid)
		return pid;
	/* Killed on purpose: no core file for it. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		_exit(20);
	if (make_syscall)
		syscall(__NR_getppid);
	/* From here on, any system call but exit_group kills the process. */
	_exit(get() == expect ? 0 : 21);
}

TEST_F(vdso, no_syscall_under_seccomp)
{
	__u64 gen = self->get();
	int status;
	pid_t pid;

	/* The filter works: one system call is fatal. */
	pid = run_under_kill_all_seccomp(self->get, gen, true);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGSYS, WTERMSIG(status));

	pid = run_under_kill_all_seccomp(self->get, gen, false);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the getter made a system call");
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/*
 * Readers race 500 triggers.  Each read compares two views: what the ioctl
 * (or the page) just returned and what the vDSO returns right after.  The
 * kernel writes the vDSO data and the page before the value the ioctl
 * reads, so the vDSO may be ahead of the ioctl but never behind it, and it
 * must never go backwards.  A smoke test of that order, not a proof: the
 * reader's two loads are a system call apart, the writer's stores a few
 * instructions, so a reversed order would show only when the writer is
 * interrupted between them.
 */
struct storm {
	sysgenid_get_t get;
	int fd;
	const struct sysgenid_page *page;
	atomic_bool stop;
	atomic_ulong decreases, behind_ioctl, behind_page, errors;
	atomic_ulong reads;
	atomic_uint started;
};

static void *storm_reader(void *arg)
{
	struct storm *s = arg;
	__u64 last = s->get();

	atomic_fetch_add(&s->started, 1);
	while (!atomic_load(&s->stop)) {
		__u64 via_ioctl, via_page, now;

		if (ioctl(s->fd, SYSGENID_GET_GENERATION, &via_ioctl)) {
			atomic_fetch_add(&s->errors, 1);
			break;
		}
		via_page = page_gen(s->page);
		now = s->get();
		if (now < last)
			atomic_fetch_add(&s->decreases, 1);
		if (now < via_ioctl)
			atomic_fetch_add(&s->behind_ioctl, 1);
		if (now < via_page)
			atomic_fetch_add(&s->behind_page, 1);
		last = now;
		atomic_fetch_add_explicit(&s->reads, 1, memory_order_relaxed);
	}
	return NULL;
}

TEST_F(vdso, views_agree_during_trigger_storm)
{
	struct storm s = { .get = self->get, .fd = self->fd, .page = self->page };
	pthread_t readers[3];
	__u64 start = self->get();
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&readers[i], NULL, storm_reader, &s));
	/* On a busy host the storm could be over before a reader ran. */
	while (atomic_load(&s.started) < 3)
		sched_yield();
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, ioctl(self->fd, SYSGENID_TRIGGER_GEN_UPDATE, 0));
	atomic_store(&s.stop, true);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_join(readers[i], NULL));

	EXPECT_EQ(0, atomic_load(&s.errors));
	EXPECT_EQ(0, atomic_load(&s.decreases));
	EXPECT_EQ(0, atomic_load(&s.behind_ioctl));
	EXPECT_EQ(0, atomic_load(&s.behind_page));
	EXPECT_LT(0, atomic_load(&s.reads));
	EXPECT_EQ(start + 500, self->get());
}

TEST_HARNESS_MAIN
