// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for /dev/sysgenid, the System Generation ID device.
 *
 * The generation is system-wide and other tests bump it too, so every test
 * reads the current value first and only checks values relative to it.
 * Every test runs in its own process (the harness forks), which closes all
 * its files at exit; tests still acknowledge or close every file they made
 * outdated, so a failing check cannot leave a tracked watcher behind for
 * the SYSGENID_WAIT_WATCHERS calls that follow it in the same test.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <grp.h>
#include <linux/capability.h>
#include <linux/sysgenid.h>

#include "../kselftest_harness.h"
#include "sysgenid_util.h"

#define SYSGENID_DEV		"/dev/sysgenid"

enum {
	NOBODY_ID	= 65534,
	NR_WATCHERS	= 1000,
	/* Delay before another task acts, long enough for us to block. */
	DELAY_MS	= 300,
	/* Upper bound for anything that should happen "at once" under TCG. */
	PROMPT_MS	= 5000,
	/* Bound for waits that must end because another task acts. */
	LONG_MS		= 20000,
	/* Triggers in a row, as a restore tool's loop would make them. */
	TRIGGER_BURST	= 100,
	/* The kernel's DEFAULT_RATELIMIT_BURST and _INTERVAL (5 s). */
	RATELIMIT_BURST	= 10,
	RATELIMIT_INTERVAL_MS = 5000,
};

/* What read() returns and write() takes: the low half of the generation. */
#define GEN32_SIZE	((ssize_t)sizeof(__u32))

/* A child process that could not even get to the check reports this. */
#define CHILD_SKIP	KSFT_SKIP

/*
 * Children and helper threads must not use ASSERT_*(): it longjmp()s into
 * the harness of the forking process.  They print what failed and exit.
 */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child line %d: %s failed (errno %d: %s)\n", \
			__LINE__, #cond, errno, strerror(errno));	\
		_exit(1);						\
	}								\
} while (0)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int sysgenid_open(int flags)
{
	return open(SYSGENID_DEV, flags | O_CLOEXEC);
}

static int wait_watchers(int fd, unsigned long timeout_ms)
{
	return ioctl(fd, SYSGENID_WAIT_WATCHERS, timeout_ms);
}

static int set_tracking(int fd, unsigned long on)
{
	return ioctl(fd, SYSGENID_SET_WATCHER_TRACKING, on);
}

/* A 32-bit caller's argument is 32 bits wide: ERANGE, never a cut value. */
static int trigger(int fd, __u64 min_gen)
{
	if (min_gen > ULONG_MAX) {
		errno = ERANGE;
		return -1;
	}
	return ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, (unsigned long)min_gen);
}

/* @v, or for a 32-bit caller the largest minimum it can pass if @v is larger. */
static __u64 arg_at_most(__u64 v)
{
	return v > ULONG_MAX ? ULONG_MAX : v;
}

static ssize_t ack(int fd, __u32 gen32)
{
	return write(fd, &gen32, sizeof(gen32));
}

/* 1 if @fd reports EPOLLIN now, 0 if not, -1 on error. */
static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return -1;
	return ret == 1 && (pfd.revents & POLLIN);
}

/* The page changes under us: load it afresh each time, in one access. */
static __u32 load32(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static __u64 gen_get(struct __test_metadata *_metadata, int fd)
{
	__u64 gen = 0;

	ASSERT_EQ(0, ioctl(fd, SYSGENID_GET_GENERATION, &gen));
	return gen;
}

/* Start a new generation and return it. */
static __u64 gen_bump(struct __test_metadata *_metadata, int fd)
{
	__u64 before = gen_get(_metadata, fd);

	ASSERT_EQ(0, trigger(fd, 0));
	ASSERT_EQ(before + 1, gen_get(_metadata, fd));
	return before + 1;
}

/* Acknowledge the current generation on @fd. */
static void gen_ack(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(GEN32_SIZE, ack(fd, (__u32)gen_get(_metadata, fd)));
	ASSERT_EQ(0, readable(fd));
}

/* The device's page, mapped read-only and shared, as a reader maps it. */
static const struct sysgenid_page *map_page(struct __test_metadata *_metadata,
					    int fd, long size)
{
	const struct sysgenid_page *page;

	page = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	return page;
}

/* Exit code of a child, 256 + signal if a signal killed it. */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 256 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Become uid/gid 65534 with no capabilities at all and only the given
 * supplementary groups, the way an unprivileged user runs.  Stays dumpable
 * so that /proc/self files stay ours.
 */
static int drop_privileges_groups(const gid_t *groups, size_t n)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	unsigned int i;

	if (setgroups(n, groups) || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) ||
	    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
		return -1;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -1;

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective || data[i].permitted ||
		    data[i].inheritable) {
			errno = EPERM;
			return -1;
		}
	}

	/* Tell a broken test image (a root directory of mode 0700) apart. */
	if (access("/dev", X_OK) || access("/proc", X_OK)) {
		fprintf(stderr, "# uid %d cannot search /dev or /proc: %s\n",
			NOBODY_ID, strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_privileges(void)
{
	return drop_privileges_groups(NULL, 0);
}

static int write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != len)
		ret = -1;
	close(fd);
	return ret;
}

/* Fork a child that triggers a new generation after @delay_ms. */
static pid_t trigger_later(unsigned int delay_ms)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;

	fd = sysgenid_open(O_RDONLY);
	CHILD_CHECK(fd >= 0);
	sleep_ms(delay_ms);
	CHILD_CHECK(trigger(fd, 0) == 0);
	_exit(0);
}

/*
 * The tests count on knowing every tracked file: on a machine where some
 * other program tracks one and does not acknowledge (a real watcher, hung
 * or slow), every SYSGENID_WAIT_WATCHERS result would be its doing.  Skip
 * rather than blame the kernel, and say why.  A fresh file is current, so
 * the wait returns at once when nothing else is outdated.
 */
static bool foreign_watcher_late(int fd)
{
	return wait_watchers(fd, PROMPT_MS) == -1 && errno == ETIME;
}

#define FOREIGN_LATE	"a tracked file of another program has not acknowledged " \
			"for 5 s: WAIT_WATCHERS results would be its doing"

FIXTURE(sysgenid) {
	int fd;
	long page_size;
};

FIXTURE_SETUP(sysgenid)
{
	self->page_size = sysconf(_SC_PAGESIZE);
	self->fd = sysgenid_open(O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, SYSGENID_DEV " is missing (CONFIG_SYSGENID=n?)");
	ASSERT_LE(0, self->fd) {
		TH_LOG("open " SYSGENID_DEV ": %s", strerror(errno));
	}
	/* Almost every test starts new generations. */
	if (!may_trigger())
		SKIP(return, "needs CAP_CHECKPOINT_RESTORE in the initial user namespace");
	if (foreign_watcher_late(self->fd))
		SKIP(return, FOREIGN_LATE);
}

FIXTURE_TEARDOWN(sysgenid)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sysgenid, read_nonblock_up_to_date)
{
	__u32 val, big[16];
	int fd;

	fd = sysgenid_open(O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, read(fd, &val, sizeof(val)));
	ASSERT_EQ(EAGAIN, errno);
	/* A buffer larger than needed changes nothing. */
	ASSERT_EQ(-1, read(fd, big, sizeof(big)));
	ASSERT_EQ(EAGAIN, errno);

	/* A file opened after a new generation starts is up to date too. */
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(1, readable(fd));
	ASSERT_EQ(0, close(fd));
	fd = sysgenid_open(O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, read(fd, &val, sizeof(val)));
	ASSERT_EQ(EAGAIN, errno);
	close(fd);
}

TEST_F(sysgenid, read_short_buffer)
{
	char buf[8];
	size_t len;
	int fd;

	fd = sysgenid_open(O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);

	/* Up to date: a bad size wins over EAGAIN, a 0-byte read is 0. */
	for (len = 1; len < sizeof(__u32); len++) {
		ASSERT_EQ(-1, read(fd, buf, len));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, read(fd, buf, 0));
	/* Also on a blocking file: neither may block. */
	ASSERT_EQ(-1, read(self->fd, buf, 3));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, read(self->fd, buf, 0));

	/* Outdated: still EINVAL and 0, and nothing gets acknowledged. */
	gen_bump(_metadata, self->fd);
	for (len = 1; len < sizeof(__u32); len++) {
		ASSERT_EQ(-1, read(fd, buf, len));
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(-1, read(self->fd, buf, len));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, read(fd, buf, 0));
	ASSERT_EQ(0, read(self->fd, buf, 0));
	ASSERT_EQ(1, readable(fd));
	ASSERT_EQ(1, readable(self->fd));

	gen_ack(_metadata, fd);
	gen_ack(_metadata, self->fd);
	close(fd);
}

TEST_F(sysgenid, read_blocks_until_trigger_from_other_process)
{
	__u64 cur = gen_get(_metadata, self->fd);
	long long start;
	__u32 val = 0;
	pid_t pid;

	start = now_ms();
	pid = trigger_later(DELAY_MS);
	ASSERT_LT(0, pid);

	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	/* The child sleeps before it triggers: the read must have waited. */
	EXPECT_LE(DELAY_MS - 10, now_ms() - start);
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ((__u32)(cur + 1), val);
	ASSERT_EQ(cur + 1, gen_get(_metadata, self->fd));

	/* Reading acknowledges nothing: the next read returns at once. */
	val = 0;
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	ASSERT_EQ((__u32)(cur + 1), val);

	gen_ack(_metadata, self->fd);
}

TEST_F(sysgenid, poll_follows_ack)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLRDNORM };
	__u32 val;

	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, pfd.revents);

	val = (__u32)gen_bump(_metadata, self->fd);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN | POLLRDNORM, pfd.revents);
	/* Still readable until acknowledged. */
	ASSERT_EQ(1, poll(&pfd, 1, 0));

	ASSERT_EQ(GEN32_SIZE, ack(self->fd, val));
	pfd.revents = 0;
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, pfd.revents);
}

TEST_F(sysgenid, ack_rejects_wrong_value_and_size)
{
	__u64 cur = gen_get(_metadata, self->fd);
	__u32 buf[2];

	/* Acknowledging the current value when up to date is harmless. */
	ASSERT_EQ(GEN32_SIZE, ack(self->fd, (__u32)cur));
	ASSERT_EQ(-1, ack(self->fd, (__u32)(cur + 1)));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(cur + 1, gen_bump(_metadata, self->fd));
	ASSERT_EQ(-1, ack(self->fd, (__u32)cur));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ack(self->fd, (__u32)(cur + 2)));
	ASSERT_EQ(EINVAL, errno);

	/* Right value, wrong size. */
	buf[0] = (__u32)(cur + 1);
	buf[1] = 0;
	ASSERT_EQ(-1, write(self->fd, buf, 3));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(self->fd, buf, 5));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(self->fd, buf, 8));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(self->fd, buf, 0));
	ASSERT_EQ(EINVAL, errno);

	/* None of that acknowledged anything. */
	ASSERT_EQ(1, readable(self->fd));
	ASSERT_EQ(GEN32_SIZE, ack(self->fd, (__u32)(cur + 1)));
	ASSERT_EQ(0, readable(self->fd));
}

TEST_F(sysgenid, ack_stale_after_second_trigger)
{
	__u32 first, second = 0;

	first = (__u32)gen_bump(_metadata, self->fd);
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &second, sizeof(second)));
	ASSERT_EQ(first, second);

	gen_bump(_metadata, self->fd);
	ASSERT_EQ(-1, ack(self->fd, first));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(1, readable(self->fd));

	ASSERT_EQ(GEN32_SIZE, read(self->fd, &second, sizeof(second)));
	ASSERT_EQ(first + 1, second);
	ASSERT_EQ(GEN32_SIZE, ack(self->fd, second));
	ASSERT_EQ(0, readable(self->fd));
}

TEST_F(sysgenid, watcher_tracking)
{
	int w;

	w = sysgenid_open(O_RDWR);
	ASSERT_LE(0, w);

	/* A tracked, up-to-date watcher does not hold anyone up. */
	ASSERT_EQ(0, set_tracking(w, 1));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(-1, wait_watchers(self->fd, 200));
	ASSERT_EQ(ETIME, errno);

	/* Untracked, the outdated watcher no longer counts ... */
	ASSERT_EQ(0, set_tracking(w, 0));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	/* ... and counts again when tracked again, still outdated. */
	ASSERT_EQ(0, set_tracking(w, 1));
	ASSERT_EQ(-1, wait_watchers(self->fd, 200));
	ASSERT_EQ(ETIME, errno);
	/* Tracking twice counts once. */
	ASSERT_EQ(0, set_tracking(w, 1));
	gen_ack(_metadata, w);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	/* Closing an outdated tracked watcher releases the waiters too. */
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(-1, wait_watchers(self->fd, 200));
	ASSERT_EQ(ETIME, errno);
	ASSERT_EQ(0, close(w));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
}

struct acker {
	int fd;
	unsigned int delay_ms;
	__u32 seen;
	int err;
};

/* Wait for a new generation on a->fd like a real watcher, then ack it. */
static void *acker_thread(void *arg)
{
	struct acker *a = arg;
	__u32 val;

	sleep_ms(a->delay_ms);
	if (read(a->fd, &val, sizeof(val)) != GEN32_SIZE) {
		a->err = errno ? errno : EIO;
		return NULL;
	}
	a->seen = val;
	if (ack(a->fd, val) != GEN32_SIZE)
		a->err = errno ? errno : EIO;
	return NULL;
}

TEST_F(sysgenid, wait_watchers_acked_by_thread)
{
	struct acker a = { .delay_ms = 200 };
	pthread_t thread;
	__u64 gen;

	a.fd = sysgenid_open(O_RDWR);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, set_tracking(a.fd, 1));

	gen = gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, acker_thread, &a));

	/* 0: no timeout. */
	ASSERT_EQ(0, wait_watchers(self->fd, 0));
	/* Returning 0 means the watcher has acknowledged. */
	EXPECT_EQ(0, readable(a.fd));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, a.err);
	ASSERT_EQ((__u32)gen, a.seen);
	close(a.fd);
}

TEST_F(sysgenid, wait_watchers_acked_by_process)
{
	int ready[2], done[2];
	__u32 val;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int w = sysgenid_open(O_RDWR);

		close(ready[0]);
		close(done[1]);
		CHILD_CHECK(w >= 0);
		CHILD_CHECK(set_tracking(w, 1) == 0);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		CHILD_CHECK(read(w, &val, sizeof(val)) == GEN32_SIZE);
		sleep_ms(200);
		/* Before the ack: the parent cannot have stopped waiting. */
		CHILD_CHECK(write(ready[1], "a", 1) == 1);
		CHILD_CHECK(ack(w, val) == GEN32_SIZE);
		/* Keep the file open: closing it would release the waiter too. */
		CHILD_CHECK(read(done[0], &c, 1) == 0);
		CHILD_CHECK(readable(w) == 0);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);

	ASSERT_EQ(1, read(ready[0], &c, 1));
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, LONG_MS));
	ASSERT_EQ(0, fcntl(ready[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(1, read(ready[0], &c, 1)) {
		TH_LOG("the wait ended before the watcher acknowledged");
	}
	close(done[1]);
	ASSERT_EQ(0, reap(pid));
	close(ready[0]);
}

TEST_F(sysgenid, wait_watchers_timeout)
{
	const unsigned int timeout = 500;
	long long start, elapsed;
	int w;

	w = sysgenid_open(O_RDWR);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, set_tracking(w, 1));
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);

	start = now_ms();
	ASSERT_EQ(-1, wait_watchers(self->fd, timeout));
	ASSERT_EQ(ETIME, errno);
	elapsed = now_ms() - start;
	EXPECT_LE(timeout - 10, elapsed);
	EXPECT_GT(timeout + PROMPT_MS, elapsed);

	gen_ack(_metadata, w);
	ASSERT_EQ(0, wait_watchers(self->fd, timeout));
	close(w);
}

TEST_F(sysgenid, wait_watchers_eintr_caller_outdated)
{
	long long start;
	int w;

	/* Nobody else outdated: the caller still has to catch up first. */
	gen_bump(_metadata, self->fd);
	start = now_ms();
	ASSERT_EQ(-1, wait_watchers(self->fd, LONG_MS));
	ASSERT_EQ(EINTR, errno);
	ASSERT_GT(PROMPT_MS, now_ms() - start);

	/* Same with an outdated tracked watcher, and with no timeout. */
	w = sysgenid_open(O_RDWR);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, set_tracking(w, 1));
	gen_bump(_metadata, self->fd);
	ASSERT_EQ(-1, wait_watchers(self->fd, 0));
	ASSERT_EQ(EINTR, errno);
	/* A tracked caller is no different. */
	ASSERT_EQ(-1, wait_watchers(w, 0));
	ASSERT_EQ(EINTR, errno);

	gen_ack(_metadata, w);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	close(w);
}

TEST_F(sysgenid, wait_watchers_eintr_on_trigger_while_waiting)
{
	long long start;
	__u64 gen;
	pid_t pid;
	int w;

	w = sysgenid_open(O_RDWR);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, set_tracking(w, 1));
	gen = gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);

	start = now_ms();
	pid = trigger_later(DELAY_MS);
	ASSERT_LT(0, pid);
	ASSERT_EQ(-1, wait_watchers(self->fd, LONG_MS));
	ASSERT_EQ(EINTR, errno);
	EXPECT_LE(DELAY_MS - 10, now_ms() - start);
	ASSERT_GT(LONG_MS, now_ms() - start);
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(gen + 1, gen_get(_metadata, self->fd));

	gen_ack(_metadata, w);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	close(w);
}

static int got_signal;

static void note_signal(int sig)
{
	__atomic_store_n(&got_signal, 1, __ATOMIC_RELAXED);
}

TEST_F(sysgenid, wait_watchers_eintr_on_signal)
{
	struct sigaction sa = { .sa_handler = note_signal };
	long long start;
	pid_t pid;
	int w;

	/* SA_RESTART: the wait must not start over with a full timeout. */
	sa.sa_flags = SA_RESTART;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	w = sysgenid_open(O_RDWR);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, set_tracking(w, 1));
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);

	start = now_ms();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Until killed: one signal could come before the wait. */
		for (;;) {
			sleep_ms(DELAY_MS);
			CHILD_CHECK(kill(getppid(), SIGUSR1) == 0);
		}
	}
	ASSERT_EQ(-1, wait_watchers(self->fd, LONG_MS));
	ASSERT_EQ(EINTR, errno);
	ASSERT_EQ(1, __atomic_load_n(&got_signal, __ATOMIC_RELAXED));
	ASSERT_GT(LONG_MS, now_ms() - start);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(256 + SIGKILL, reap(pid));

	gen_ack(_metadata, w);
	close(w);
}

/*
 * What interrupts a task without running a handler -- a stop and SIGCONT, a
 * ptrace attach, the cgroup freezer (every suspend freezes tasks too) --
 * must not end SYSGENID_WAIT_WATCHERS with EINTR, which tells an overseer
 * it is outdated, nor start its timeout over: the wait restarts with the
 * deadline it had.  A child waits WAIT_MS for a watcher that never acks;
 * it is held from about DELAY_MS to HOLD_MS.
 */
enum {
	WAIT_MS	= 4000,
	HOLD_MS	= 3500,
};

enum hold_kind { HOLD_STOP, HOLD_PTRACE, HOLD_FREEZE };

FIXTURE(held_wait) {
	int fd, watcher;
	char cgroup[64];	/* HOLD_FREEZE: the child's cgroup */
	char mnt[32];		/* cgroup2 mounted by the test, if it had to */
};

FIXTURE_VARIANT(held_wait) {
	enum hold_kind kind;
};

FIXTURE_VARIANT_ADD(held_wait, sigstop_sigcont) { .kind = HOLD_STOP };
FIXTURE_VARIANT_ADD(held_wait, ptrace_attach) { .kind = HOLD_PTRACE };
FIXTURE_VARIANT_ADD(held_wait, cgroup_freezer) { .kind = HOLD_FREEZE };

/* A cgroup v2 directory of our own, mounting the hierarchy if need be. */
static int make_cgroup(char *path, size_t len, char *mnt)
{
	const char *root = "/sys/fs/cgroup";

	if (access("/sys/fs/cgroup/cgroup.freeze", F_OK) &&
	    access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
		snprintf(mnt, 32, "/tmp/sysgenid-cg.XXXXXX");
		if (!mkdtemp(mnt))
			return -1;
		if (mount("cgroup2", mnt, "cgroup2", 0, NULL)) {
			rmdir(mnt);
			mnt[0] = 0;
			return -1;
		}
		root = mnt;
	}
	snprintf(path, len, "%s/sysgenid-held.%d", root, getpid());
	return mkdir(path, 0755);
}

FIXTURE_SETUP(held_wait)
{
	self->cgroup[0] = 0;
	self->mnt[0] = 0;
	self->watcher = -1;
	self->fd = sysgenid_open(O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, SYSGENID_DEV " is missing (CONFIG_SYSGENID=n?)");
	ASSERT_LE(0, self->fd);
	if (!cap_effective(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN (trigger, ptrace, cgroups)");
	if (variant->kind == HOLD_FREEZE &&
	    make_cgroup(self->cgroup, sizeof(self->cgroup), self->mnt)) {
		self->cgroup[0] = 0;
		SKIP(return, "no cgroup v2 hierarchy (CONFIG_CGROUPS=n?): %s",
		     strerror(errno));
	}

	if (foreign_watcher_late(self->fd))
		SKIP(return, FOREIGN_LATE);

	/* A tracked watcher that stays outdated: the wait can only time out. */
	self->watcher = sysgenid_open(O_RDWR);
	ASSERT_LE(0, self->watcher);
	ASSERT_EQ(0, set_tracking(self->watcher, 1));
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
}

FIXTURE_TEARDOWN(held_wait)
{
	if (self->cgroup[0])
		rmdir(self->cgroup);
	if (self->mnt[0]) {
		umount(self->mnt);
		rmdir(self->mnt);
	}
	if (self->watcher >= 0)
		close(self->watcher);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Poll @path every 10 ms for up to @ms until its text holds @want (at its
 * start when @at_start).  -1 with errno ETIMEDOUT when it never does.
 */
static int wait_for_text(const char *path, const char *want, bool at_start, long long ms)
{
	long long start = now_ms();
	char buf[256];
	ssize_t n;
	int fd;

	while (now_ms() - start < ms) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (at_start ? !strncmp(buf, want, strlen(want)) : !!strstr(buf, want))
			return 0;
		sleep_ms(10);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Until @pid sleeps in ioctl(): /proc/PID/syscall starts with its number. */
static int wait_in_ioctl(pid_t pid)
{
	char path[64], want[16];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	snprintf(want, sizeof(want), "%d ", SYS_ioctl);
	return wait_for_text(path, want, true, PROMPT_MS);
}

/* Until cgroup.events says "frozen @frozen". */
static int wait_frozen(const char *cgroup, int frozen)
{
	char path[128], want[16];

	snprintf(path, sizeof(path), "%s/cgroup.events", cgroup);
	snprintf(want, sizeof(want), "frozen %d", frozen);
	return wait_for_text(path, want, false, LONG_MS);
}

struct wait_result {
	int ret, err;
	long long ms;
};

TEST_F_TIMEOUT(held_wait, restarts_with_its_deadline, 60)
{
	char path[128], pid_text[16];
	struct wait_result r;
	int go[2], res[2], status;
	long long start;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		CHILD_CHECK(read(go[0], &c, 1) == 1);
		start = now_ms();
		r.ret = wait_watchers(self->fd, WAIT_MS);
		r.err = errno;
		r.ms = now_ms() - start;
		CHILD_CHECK(write(res[1], &r, sizeof(r)) == sizeof(r));
		_exit(0);
	}
	if (variant->kind == HOLD_FREEZE) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", self->cgroup);
		snprintf(pid_text, sizeof(pid_text), "%d", pid);
		ASSERT_EQ(0, write_file(path, pid_text));
	}
	start = now_ms();
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, wait_in_ioctl(pid)) {
		TH_LOG("the child never blocked in ioctl(): %s", strerror(errno));
	}
	sleep_ms(DELAY_MS);

	switch (variant->kind) {
	case HOLD_STOP:
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
		ASSERT_TRUE(WIFSTOPPED(status));
		break;
	case HOLD_PTRACE:
		ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSTOPPED(status));
		break;
	case HOLD_FREEZE:
		snprintf(path, sizeof(path), "%s/cgroup.freeze", self->cgroup);
		ASSERT_EQ(0, write_file(path, "1"));
		ASSERT_EQ(0, wait_frozen(self->cgroup, 1));
		break;
	}
	if (now_ms() - start < HOLD_MS)
		sleep_ms(HOLD_MS - (now_ms() - start));

	switch (variant->kind) {
	case HOLD_STOP:
		ASSERT_EQ(0, kill(pid, SIGCONT));
		break;
	case HOLD_PTRACE:
		/* Resumed with no signal: the attach's SIGSTOP is not delivered. */
		ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
		break;
	case HOLD_FREEZE:
		ASSERT_EQ(0, write_file(path, "0"));
		break;
	}

	ASSERT_EQ((ssize_t)sizeof(r), read(res[0], &r, sizeof(r)));
	ASSERT_EQ(0, reap(pid));
	/* Not EINTR: nothing says the caller is outdated. */
	ASSERT_EQ(-1, r.ret);
	ASSERT_EQ(ETIME, r.err) {
		TH_LOG("held wait ended with %s after %lld ms", strerror(r.err), r.ms);
	}
	/* Its deadline: a restart from scratch would take HOLD_MS + WAIT_MS. */
	EXPECT_LE(WAIT_MS - 10, r.ms);
	EXPECT_GT(HOLD_MS + WAIT_MS - 1000, r.ms) {
		TH_LOG("the timeout started over: %lld ms", r.ms);
	}
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
}

TEST_F(sysgenid, wait_watchers_huge_timeout)
{
	/* Around and above the largest timeout that fits in ktime_t ns. */
	static const unsigned long timeouts[] = {
		ULONG_MAX, ULONG_MAX / 2,
#if __SIZEOF_LONG__ >= 8
		1UL << 40, 9223372036854UL,
#endif
	};
	struct acker a = { .delay_ms = 200 };
	pthread_t thread;
	unsigned int i;
	long long start;

	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		start = now_ms();
		ASSERT_EQ(0, wait_watchers(self->fd, timeouts[i])) {
			TH_LOG("timeout %lu ms, no outdated watcher", timeouts[i]);
		}
		ASSERT_GT(PROMPT_MS, now_ms() - start);
	}

	a.fd = sysgenid_open(O_RDWR);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, set_tracking(a.fd, 1));
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		gen_bump(_metadata, self->fd);
		gen_ack(_metadata, self->fd);
		a.seen = 0;
		ASSERT_EQ(0, pthread_create(&thread, NULL, acker_thread, &a));
		ASSERT_EQ(0, wait_watchers(self->fd, timeouts[i])) {
			TH_LOG("timeout %lu ms: %s", timeouts[i], strerror(errno));
		}
		EXPECT_EQ(0, readable(a.fd));
		ASSERT_EQ(0, pthread_join(thread, NULL));
		ASSERT_EQ(0, a.err);
		ASSERT_EQ((__u32)gen_get(_metadata, self->fd), a.seen);
	}
	close(a.fd);
}

TEST_F(sysgenid, trigger_below_current)
{
	__u64 cur = gen_get(_metadata, self->fd);

	ASSERT_EQ(0, trigger(self->fd, 0));
	ASSERT_EQ(cur + 1, gen_get(_metadata, self->fd));

	cur = gen_get(_metadata, self->fd);
	ASSERT_EQ(0, trigger(self->fd, arg_at_most(cur)));
	ASSERT_EQ(cur + 1, gen_get(_metadata, self->fd));

	cur = gen_get(_metadata, self->fd);
	ASSERT_EQ(0, trigger(self->fd, arg_at_most(cur - 1)));
	ASSERT_EQ(cur + 1, gen_get(_metadata, self->fd));

	gen_ack(_metadata, self->fd);
}

TEST_F(sysgenid, trigger_above_current)
{
	__u64 cur = gen_get(_metadata, self->fd);
	__u32 val = 0;

	if (cur + 1001 > ULONG_MAX)
		SKIP(return, "a 32-bit caller cannot pass minimums above 2^32 - 1");
	ASSERT_EQ(0, trigger(self->fd, cur + 1000));
	ASSERT_EQ(cur + 1000, gen_get(_metadata, self->fd));
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	ASSERT_EQ((__u32)(cur + 1000), val);

	/* Exactly current + 1 is also honoured as asked. */
	ASSERT_EQ(0, trigger(self->fd, cur + 1001));
	ASSERT_EQ(cur + 1001, gen_get(_metadata, self->fd));

	gen_ack(_metadata, self->fd);
}

/*
 * A minimum that would end counting, or leave the low 32 bits (what read(),
 * write() and generation32 carry) where they are, is refused and changes
 * nothing.  The values are never reached: the generation stays low.
 */
TEST_F(sysgenid, trigger_refuses_hiding_minimums)
{
	__u64 cur = gen_get(_metadata, self->fd);

	if (~0ULL > ULONG_MAX)
		SKIP(return, "a 32-bit caller cannot pass these minimums");
	ASSERT_EQ(-1, trigger(self->fd, ~0ULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, trigger(self->fd, cur + (1ULL << 32)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, trigger(self->fd, cur + (3ULL << 32)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(cur, gen_get(_metadata, self->fd));
	ASSERT_EQ(0, readable(self->fd));
}

/*
 * Each trigger reseeds the CRNG through add_vmfork_randomness(), which logs
 * a notice.  A restore tool may trigger in a loop, so the notice is
 * ratelimited: a burst leaves a few lines in the kernel log, not one a
 * trigger.  A record overwritten before it was read (EPIPE) means the burst
 * filled the log, which is the flood this checks for.  Without
 * CONFIG_VMGENID a trigger does not reseed and logs nothing.  Booted with
 * random.ratelimit_disable=1, every notice is printed on purpose.
 */
TEST_F(sysgenid, trigger_burst_does_not_flood_the_log)
{
	bool lost = false, disabled = false;
	int kmsg, i, notices = 0;
	long long start, took;
	char rec[8192];
	FILE *param;
	ssize_t n;

	param = fopen("/sys/module/random/parameters/ratelimit_disable", "re");
	if (param) {
		disabled = fscanf(param, "%d", &i) == 1 && i;
		fclose(param);
	}
	if (disabled)
		SKIP(return, "random.ratelimit_disable=1 asks for every notice");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0)
		SKIP(return, "/dev/kmsg: %s (CONFIG_PRINTK=n? dmesg_restrict?)", strerror(errno));
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	start = now_ms();
	for (i = 0; i < TRIGGER_BURST; i++)
		ASSERT_EQ(0, trigger(self->fd, 0));
	took = now_ms() - start;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			lost = true;
			continue;
		}
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, "crng reseeded due to virtual machine fork"))
			notices++;
	}
	ASSERT_EQ(EAGAIN, errno);
	close(kmsg);
	gen_ack(_metadata, self->fd);
	TH_LOG("%d triggers in %lld ms, %d reseed notices", TRIGGER_BURST, took, notices);
	/* Past one interval the count would depend on where the windows fell. */
	if (took >= RATELIMIT_INTERVAL_MS)
		SKIP(return, "the burst took %lld ms: too slow to see the ratelimit", took);
	ASSERT_FALSE(lost);
	/* One interval touches at most two windows. */
	ASSERT_GE(2 * RATELIMIT_BURST, notices);
}

/* 0 and 1 only: other values are kept for future flags. */
TEST_F(sysgenid, tracking_takes_0_or_1)
{
	int w = sysgenid_open(O_RDWR);

	ASSERT_LE(0, w);
	ASSERT_EQ(-1, set_tracking(w, 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_tracking(w, ~0UL));
	ASSERT_EQ(EINVAL, errno);
	/* Refused means untracked: an outdated w holds nobody up. */
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	close(w);
}

enum { NR_TRACKED = 4 };

/*
 * Each tracked file counts once, whatever it does: WAIT_WATCHERS returns 0
 * only once the last outdated one acknowledged, a second ack of the same
 * generation does not count again, and a refused tracking change leaves a
 * tracked file tracked.
 */
TEST_F(sysgenid, wait_watchers_counts_each_tracked_file_once)
{
	int t[NR_TRACKED], i;

	for (i = 0; i < NR_TRACKED; i++) {
		t[i] = sysgenid_open(O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, t[i]);
		ASSERT_EQ(0, set_tracking(t[i], 1));
	}
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	for (i = 0; i < NR_TRACKED; i++) {
		ASSERT_EQ(-1, wait_watchers(self->fd, 100)) {
			TH_LOG("0 with %d of %d tracked files outdated",
			       NR_TRACKED - i, NR_TRACKED);
		}
		ASSERT_EQ(ETIME, errno);
		gen_ack(_metadata, t[i]);
		gen_ack(_metadata, t[i]);
	}
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	/* Refused: neither 0 nor 1, and t[0] stays tracked. */
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	for (i = 1; i < NR_TRACKED; i++)
		gen_ack(_metadata, t[i]);
	ASSERT_EQ(-1, set_tracking(t[0], 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, wait_watchers(self->fd, 100));
	ASSERT_EQ(ETIME, errno);
	gen_ack(_metadata, t[0]);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	for (i = 0; i < NR_TRACKED; i++)
		close(t[i]);
}

/* Wait until thread @tid sleeps, for at most PROMPT_MS. */
static bool wait_sleeping(pid_t tid)
{
	long long deadline = now_ms() + PROMPT_MS;
	char path[64], buf[256], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	while (now_ms() < deadline) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			return false;
		buf[len] = '\0';
		/* "tid (comm) S ...": comm may hold spaces and parentheses. */
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return true;
		sleep_ms(10);
	}
	return false;
}

/* A thread blocked in read() or, with .wait, in SYSGENID_WAIT_WATCHERS. */
struct blocker {
	int fd;
	bool wait;
	pid_t tid;
	long ret;
	int err;
	__u32 val;
};

static void *blocker_thread(void *arg)
{
	struct blocker *b = arg;

	__atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (b->wait)
		b->ret = wait_watchers(b->fd, LONG_MS);
	else
		b->ret = read(b->fd, &b->val, sizeof(b->val));
	b->err = errno;
	return NULL;
}

/* Start @b and return once it sleeps in its system call. */
static void start_blocker(struct __test_metadata *_metadata, struct blocker *b,
			  pthread_t *thread)
{
	ASSERT_EQ(0, pthread_create(thread, NULL, blocker_thread, b));
	while (!__atomic_load_n(&b->tid, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	ASSERT_TRUE(wait_sleeping(b->tid));
}

/* Did @thread end, at once or within @ms? */
static bool joined(pthread_t thread, unsigned int ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return !pthread_timedjoin_np(thread, NULL, &deadline);
}

/* An overseer already asleep in WAIT_WATCHERS wakes at the last ack, not before. */
TEST_F_TIMEOUT(sysgenid, wait_watchers_woken_by_last_ack, 60)
{
	struct blocker w = { .fd = self->fd, .wait = true };
	int t[NR_TRACKED], i;
	pthread_t thread;

	for (i = 0; i < NR_TRACKED; i++) {
		t[i] = sysgenid_open(O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, t[i]);
		ASSERT_EQ(0, set_tracking(t[i], 1));
	}
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	start_blocker(_metadata, &w, &thread);
	for (i = 1; i < NR_TRACKED; i++)
		gen_ack(_metadata, t[i]);
	ASSERT_FALSE(joined(thread, 200)) {
		TH_LOG("the overseer stopped waiting before the last ack: %ld, %s",
		       w.ret, strerror(w.err));
	}
	gen_ack(_metadata, t[0]);
	ASSERT_TRUE(joined(thread, PROMPT_MS)) {
		TH_LOG("the last ack did not wake the overseer");
	}
	ASSERT_EQ(0, w.ret) {
		TH_LOG("WAIT_WATCHERS: %s", strerror(w.err));
	}
	for (i = 0; i < NR_TRACKED; i++)
		close(t[i]);
}

/* A new generation, acked by @fd: 0 or the errno of WAIT_WATCHERS(@ms). */
static int wait_after_bump(struct __test_metadata *_metadata, int fd,
			   unsigned long ms)
{
	gen_bump(_metadata, fd);
	gen_ack(_metadata, fd);
	return wait_watchers(fd, ms) ? errno : 0;
}

/*
 * Tracking belongs to the open file, not to a descriptor: a tracked file
 * its opener closed still holds the overseer up while a dup, a mapping or
 * a child keeps it open, each on its own, and counts no more once that is
 * gone.  Outdated untracked files never count.
 */
TEST_F(sysgenid, tracked_file_counts_while_anything_holds_it)
{
	int untracked[NR_TRACKED], pipefd[2], f, d, i;
	const struct sysgenid_page *page;
	pid_t pid;
	char c;

	for (i = 0; i < NR_TRACKED; i++) {
		untracked[i] = sysgenid_open(O_RDWR);
		ASSERT_LE(0, untracked[i]);
	}
	ASSERT_EQ(0, wait_after_bump(_metadata, self->fd, PROMPT_MS));

	/* A dup. */
	f = sysgenid_open(O_RDWR);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, set_tracking(f, 1));
	d = dup(f);
	ASSERT_LE(0, d);
	close(f);
	ASSERT_EQ(ETIME, wait_after_bump(_metadata, self->fd, 100));
	close(d);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	/* A mapping. */
	f = sysgenid_open(O_RDWR);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, set_tracking(f, 1));
	page = map_page(_metadata, f, self->page_size);
	close(f);
	ASSERT_EQ(ETIME, wait_after_bump(_metadata, self->fd, 100));
	ASSERT_EQ(0, munmap((void *)page, self->page_size));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	/* A child, until it exits. */
	f = sysgenid_open(O_RDWR);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, set_tracking(f, 1));
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[1]);
		CHILD_CHECK(read(pipefd[0], &c, 1) == 0);
		_exit(0);
	}
	close(pipefd[0]);
	close(f);
	ASSERT_EQ(ETIME, wait_after_bump(_metadata, self->fd, 100));
	close(pipefd[1]);
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));

	for (i = 0; i < NR_TRACKED; i++)
		close(untracked[i]);
}

TEST_F(sysgenid, get_generation_matches_read)
{
	__u64 gen = 0;
	__u32 val = 0;

	gen_bump(_metadata, self->fd);
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	ASSERT_EQ(0, ioctl(self->fd, SYSGENID_GET_GENERATION, &gen));
	ASSERT_EQ((__u32)gen, val);
	/* GET_GENERATION acknowledges nothing. */
	ASSERT_EQ(1, readable(self->fd));

	ASSERT_EQ(-1, ioctl(self->fd, SYSGENID_GET_GENERATION, NULL));
	ASSERT_EQ(EFAULT, errno);

	gen_ack(_metadata, self->fd);
}

TEST_F(sysgenid, unknown_ioctl)
{
	static const unsigned int cmds[] = {
		_IO(SYSGENID_IOCTL, 0),
		_IO(SYSGENID_IOCTL, 5),
		_IO(SYSGENID_IOCTL, 99),
		_IO(SYSGENID_IOCTL + 1, 1),
		_IO(SYSGENID_IOCTL + 1, 4),
		/* Right number, wrong direction or size. */
		_IOW(SYSGENID_IOCTL, 1, int),
		_IOR(SYSGENID_IOCTL, 4, __u32),
		_IOWR(SYSGENID_IOCTL, 4, __u64),
	};
	__u64 gen = gen_get(_metadata, self->fd);
	__u64 arg = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(-1, ioctl(self->fd, cmds[i], &arg)) {
			TH_LOG("ioctl 0x%x", cmds[i]);
		}
		ASSERT_EQ(ENOTTY, errno);
	}
	ASSERT_EQ(gen, gen_get(_metadata, self->fd));
	ASSERT_EQ(0, readable(self->fd));
}

TEST_F(sysgenid, unprivileged_trigger_refused)
{
	__u64 gen = gen_get(_metadata, self->fd);
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		CHILD_CHECK(drop_privileges() == 0);
		fd = sysgenid_open(O_RDWR);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(trigger(fd, 0) == -1 && errno == EACCES);
		CHILD_CHECK(trigger(fd, arg_at_most(gen + 1000)) == -1 &&
			    errno == EACCES);
		/* A file opened with privileges does not carry them. */
		CHILD_CHECK(trigger(self->fd, 0) == -1 && errno == EACCES);
		_exit(0);
	}
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(gen, gen_get(_metadata, self->fd));
	ASSERT_EQ(0, readable(self->fd));
}

TEST_F(sysgenid, userns_trigger_refused)
{
	__u64 gen = gen_get(_metadata, self->fd);
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char map[32];
		int fd;

		CHILD_CHECK(drop_privileges() == 0);
		if (unshare(CLONE_NEWUSER)) {
			CHILD_CHECK(errno == EPERM || errno == EINVAL ||
				    errno == ENOSPC);
			_exit(CHILD_SKIP);
		}
		snprintf(map, sizeof(map), "0 %d 1", NOBODY_ID);
		CHILD_CHECK(write_file("/proc/self/setgroups", "deny") == 0);
		CHILD_CHECK(write_file("/proc/self/uid_map", map) == 0);
		CHILD_CHECK(write_file("/proc/self/gid_map", map) == 0);
		/* Root with every capability, in a namespace that is ours. */
		CHILD_CHECK(geteuid() == 0);
		CHILD_CHECK(cap_effective(CAP_SYS_ADMIN));
		CHILD_CHECK(cap_effective(CAP_CHECKPOINT_RESTORE));

		fd = sysgenid_open(O_RDWR);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(trigger(fd, 0) == -1 && errno == EACCES);
		CHILD_CHECK(trigger(self->fd, 0) == -1 && errno == EACCES);
		_exit(0);
	}
	status = reap(pid);
	if (status == CHILD_SKIP)
		SKIP(return, "unprivileged user namespaces are not available");
	ASSERT_EQ(0, status);
	ASSERT_EQ(gen, gen_get(_metadata, self->fd));
	ASSERT_EQ(0, readable(self->fd));
}

TEST_F(sysgenid, unprivileged_user_can_watch)
{
	int ready[2];
	__u64 gen;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		const struct sysgenid_page *page;
		__u64 cur;
		__u32 val;
		int fd;

		close(ready[0]);
		CHILD_CHECK(drop_privileges() == 0);
		fd = sysgenid_open(O_RDWR | O_NONBLOCK);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(read(fd, &val, sizeof(val)) == -1 && errno == EAGAIN);
		CHILD_CHECK(readable(fd) == 0);
		CHILD_CHECK(ioctl(fd, SYSGENID_GET_GENERATION, &cur) == 0);
		page = mmap(NULL, self->page_size, PROT_READ, MAP_SHARED, fd, 0);
		CHILD_CHECK(page != MAP_FAILED);
		CHILD_CHECK(page_gen(page) == cur);
		/* Watching, yes; holding up the overseer, no (see below). */
		CHILD_CHECK(set_tracking(fd, 1) == -1 && errno == EPERM);
		CHILD_CHECK(set_tracking(fd, 0) == 0);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);

		/* The parent starts a new generation now. */
		CHILD_CHECK(fcntl(fd, F_SETFL, 0) == 0);
		CHILD_CHECK(read(fd, &val, sizeof(val)) == GEN32_SIZE);
		CHILD_CHECK(val == (__u32)(cur + 1));
		CHILD_CHECK(readable(fd) == 1);
		CHILD_CHECK(ioctl(fd, SYSGENID_GET_GENERATION, &cur) == 0);
		CHILD_CHECK(val == (__u32)cur);
		CHILD_CHECK(page_gen(page) == cur);
		CHILD_CHECK(load32(&page->generation32) == val);
		CHILD_CHECK(ack(fd, val) == GEN32_SIZE);
		CHILD_CHECK(readable(fd) == 0);
		CHILD_CHECK(wait_watchers(fd, PROMPT_MS) == 0);
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	gen = gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(gen, gen_get(_metadata, self->fd));
	close(ready[0]);
}

/* A tracked file must be able to ack: else it would hold up every overseer. */
TEST_F(sysgenid, tracking_needs_a_file_that_can_ack)
{
	int r = sysgenid_open(O_RDONLY), w = sysgenid_open(O_WRONLY);

	ASSERT_LE(0, r);
	ASSERT_LE(0, w);
	ASSERT_EQ(-1, set_tracking(r, 1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(0, set_tracking(r, 0));
	ASSERT_EQ(0, set_tracking(w, 1));
	/* The refused file holds nobody up; the write-only one acks. */
	gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(-1, wait_watchers(self->fd, 200));
	ASSERT_EQ(ETIME, errno);
	ASSERT_EQ(GEN32_SIZE, ack(w, (__u32)gen_get(_metadata, self->fd)));
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	close(r);
	close(w);
}

/*
 * The administrator lets an unprivileged service be tracked by giving the
 * device node a group the service is in (a udev rule would).  The node's
 * group is restored afterwards.
 */
TEST_F(sysgenid, node_group_may_track)
{
	const gid_t gid = 4242;
	struct stat st;
	pid_t pid;

	ASSERT_EQ(0, stat(SYSGENID_DEV, &st));
	ASSERT_EQ(0, chown(SYSGENID_DEV, -1, gid));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		CHILD_CHECK(drop_privileges_groups(&gid, 1) == 0);
		fd = sysgenid_open(O_RDWR);
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(set_tracking(fd, 1) == 0);
		CHILD_CHECK(set_tracking(fd, 0) == 0);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	ASSERT_EQ(0, chown(SYSGENID_DEV, -1, st.st_gid));
}

static void check_page(struct __test_metadata *_metadata,
		       const struct sysgenid_page *page, size_t size, __u64 gen)
{
	const unsigned char *rest = (const unsigned char *)(page + 1);
	size_t i;

	ASSERT_EQ((__u32)gen, load32(&page->generation32));
	ASSERT_EQ(0U, load32(&page->flags) &
		  ~(SYSGENID_FLAG_HW_SOURCE | SYSGENID_FLAG_RACE_FREE));
	ASSERT_EQ(gen, page_gen(page));
	for (i = 0; i < size - sizeof(*page); i++) {
		ASSERT_EQ(0, rest[i]) {
			TH_LOG("byte %zu of the page", sizeof(*page) + i);
		}
	}
}

TEST_F(sysgenid, mmap_read_only_contents)
{
	struct sysgenid_page *shared, *private;
	__u64 gen;
	int fd;

	ASSERT_EQ(16U, sizeof(struct sysgenid_page));
	/* A read-only file is enough for a read-only mapping. */
	fd = sysgenid_open(O_RDONLY);
	ASSERT_LE(0, fd);
	shared = mmap(NULL, self->page_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(shared != MAP_FAILED);
	private = mmap(NULL, self->page_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(private != MAP_FAILED);

	gen = gen_get(_metadata, self->fd);
	check_page(_metadata, shared, self->page_size, gen);
	check_page(_metadata, private, self->page_size, gen);

	gen = gen_bump(_metadata, self->fd);
	check_page(_metadata, shared, self->page_size, gen);
	check_page(_metadata, private, self->page_size, gen);

	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, munmap(shared, self->page_size));
	ASSERT_EQ(0, munmap(private, self->page_size));
	close(fd);
}

TEST_F(sysgenid, mmap_write_or_exec_refused)
{
	static const struct {
		int prot;
		int flags;
	} bad[] = {
		{ PROT_READ | PROT_WRITE, MAP_SHARED },
		{ PROT_READ | PROT_WRITE, MAP_PRIVATE },
		{ PROT_WRITE, MAP_SHARED },
		{ PROT_READ | PROT_EXEC, MAP_SHARED },
		{ PROT_READ | PROT_EXEC, MAP_PRIVATE },
		{ PROT_EXEC, MAP_PRIVATE },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* self->fd is O_RDWR: only the driver can say no. */
		ASSERT_TRUE(mmap(NULL, self->page_size, bad[i].prot,
				 bad[i].flags, self->fd, 0) == MAP_FAILED) {
			TH_LOG("prot 0x%x flags 0x%x", bad[i].prot, bad[i].flags);
		}
		ASSERT_EQ(EPERM, errno) {
			TH_LOG("prot 0x%x flags 0x%x", bad[i].prot, bad[i].flags);
		}
	}
}

TEST_F(sysgenid, mprotect_refused)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	const struct sysgenid_page *page;
	unsigned int i;
	__u64 gen;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		page = mmap(NULL, self->page_size, PROT_READ, flags[i],
			    self->fd, 0);
		ASSERT_TRUE(page != MAP_FAILED);
		ASSERT_EQ(-1, mprotect((void *)page, self->page_size,
				       PROT_READ | PROT_WRITE));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(-1, mprotect((void *)page, self->page_size,
				       PROT_READ | PROT_EXEC));
		ASSERT_EQ(EACCES, errno);
		/* Still mapped and still the real thing. */
		gen = gen_get(_metadata, self->fd);
		ASSERT_EQ(gen, page_gen(page));
		ASSERT_EQ(0, munmap((void *)page, self->page_size));
	}
}

TEST_F(sysgenid, mmap_proc_mem_write_refused)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	const struct sysgenid_page *page;
	__u64 bogus = ~0ULL, gen;
	unsigned int i;
	int mem;

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (mem < 0)
		SKIP(return, "/proc/self/mem: %s", strerror(errno));

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		page = mmap(NULL, self->page_size, PROT_READ, flags[i],
			    self->fd, 0);
		ASSERT_TRUE(page != MAP_FAILED);
		/* FOLL_FORCE must not write through, nor break COW away. */
		ASSERT_EQ(-1, pwrite(mem, &bogus, sizeof(bogus),
				     (off_t)(unsigned long)&page->generation));
		gen = gen_get(_metadata, self->fd);
		ASSERT_EQ(gen, page_gen(page));
		gen = gen_bump(_metadata, self->fd);
		ASSERT_EQ(gen, page_gen(page));
		ASSERT_EQ(0, munmap((void *)page, self->page_size));
	}
	gen_ack(_metadata, self->fd);
	close(mem);
}

TEST_F(sysgenid, mmap_wrong_length_or_offset)
{
	ASSERT_TRUE(mmap(NULL, 2 * self->page_size, PROT_READ,
			 MAP_SHARED, self->fd, 0) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(mmap(NULL, 2 * self->page_size, PROT_READ,
			 MAP_PRIVATE, self->fd, 0) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(mmap(NULL, self->page_size, PROT_READ,
			 MAP_SHARED, self->fd, self->page_size) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(mmap(NULL, self->page_size, PROT_READ,
			 MAP_SHARED, self->fd, 4096) == MAP_FAILED);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(sysgenid, mmap_survives_madv_dontneed)
{
	const struct sysgenid_page *page;
	__u64 gen;
	pid_t pid;

	page = map_page(_metadata, self->fd, self->page_size);
	/* Refusing is fine; agreeing and then losing the page is not. */
	if (madvise((void *)page, self->page_size, MADV_DONTNEED))
		SKIP(return, "madvise(MADV_DONTNEED): %s", strerror(errno));

	gen = gen_bump(_metadata, self->fd);
	gen_ack(_metadata, self->fd);
	/* A child takes the SIGBUS, if any. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHILD_CHECK(page_gen(page) == gen);
		CHILD_CHECK(load32(&page->generation32) == (__u32)gen);
		_exit(0);
	}
	ASSERT_EQ(0, reap(pid)) {
		TH_LOG("reading the page after MADV_DONTNEED failed");
	}
}

TEST_F(sysgenid, mmap_follows_triggers)
{
	const struct sysgenid_page *page;
	__u64 gen;
	int i;

	page = map_page(_metadata, self->fd, self->page_size);
	gen = gen_get(_metadata, self->fd);
	ASSERT_EQ(gen, page_gen(page));
	ASSERT_EQ((__u32)gen, load32(&page->generation32));

	for (i = 0; i < 3; i++)
		gen_bump(_metadata, self->fd);
	ASSERT_EQ(gen + 3, page_gen(page));
	ASSERT_EQ((__u32)(gen + 3), load32(&page->generation32));

	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, munmap((void *)page, self->page_size));
}

/* What AWS-LC does: map 4 bytes, close the file, keep reading the u32. */
TEST_F(sysgenid, aws_lc_sequence)
{
	const __u32 *gen32;
	struct stat st;
	__u32 before;
	int fd;

	ASSERT_EQ(0, stat(SYSGENID_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	fd = open(SYSGENID_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	gen32 = mmap(NULL, sizeof(__u32), PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(gen32 != MAP_FAILED);
	ASSERT_EQ(0, close(fd));

	before = load32(gen32);
	ASSERT_EQ((__u32)gen_get(_metadata, self->fd), before);
	gen_bump(_metadata, self->fd);
	ASSERT_EQ(before + 1, load32(gen32));

	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, munmap((void *)gen32, sizeof(__u32)));
}

TEST_F_TIMEOUT(sysgenid, close_during_blocking_read, 60)
{
	struct blocker r = { .fd = sysgenid_open(O_RDONLY) };
	__u64 cur = gen_get(_metadata, self->fd);
	pthread_t thread;

	ASSERT_LE(0, r.fd);
	start_blocker(_metadata, &r, &thread);
	sleep_ms(50);

	/* The blocked read() holds its own reference to the file. */
	ASSERT_EQ(0, close(r.fd));
	gen_bump(_metadata, self->fd);

	ASSERT_TRUE(joined(thread, LONG_MS)) {
		TH_LOG("the read() did not return after the new generation");
	}
	ASSERT_EQ(GEN32_SIZE, r.ret) {
		TH_LOG("read: %s", strerror(r.err));
	}
	ASSERT_EQ((__u32)(cur + 1), r.val);

	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
}

struct delayed_trigger {
	int fd;
	unsigned int delay_ms;
	int err;
};

static void *delayed_trigger_thread(void *arg)
{
	struct delayed_trigger *t = arg;

	sleep_ms(t->delay_ms);
	if (trigger(t->fd, 0))
		t->err = errno;
	return NULL;
}

TEST_F_TIMEOUT(sysgenid, thousand_watchers, 120)
{
	struct delayed_trigger t = { .fd = self->fd, .delay_ms = DELAY_MS };
	struct epoll_event ev, *evs;
	struct pollfd *pfds;
	struct rlimit rl;
	pthread_t thread;
	__u64 gen;
	int epfd, i;
	__u32 val;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < NR_WATCHERS + 64) {
		rl.rlim_cur = NR_WATCHERS + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			SKIP(return, "cannot raise RLIMIT_NOFILE: %s",
			     strerror(errno));
	}

	pfds = calloc(NR_WATCHERS, sizeof(*pfds));
	evs = calloc(NR_WATCHERS + 1, sizeof(*evs));
	ASSERT_TRUE(pfds && evs);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);

	for (i = 0; i < NR_WATCHERS; i++) {
		pfds[i].fd = sysgenid_open(O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, pfds[i].fd) {
			TH_LOG("watcher %d: %s", i, strerror(errno));
		}
		pfds[i].events = POLLIN;
		ASSERT_EQ(0, set_tracking(pfds[i].fd, 1));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, pfds[i].fd, &ev));
	}
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	ASSERT_EQ(0, epoll_wait(epfd, evs, NR_WATCHERS + 1, 0));
	ASSERT_EQ(0, poll(pfds, NR_WATCHERS, 0));

	/* Block on all of them; one new generation wakes every one. */
	gen = gen_get(_metadata, self->fd) + 1;
	ASSERT_EQ(0, pthread_create(&thread, NULL, delayed_trigger_thread, &t));
	ASSERT_EQ(NR_WATCHERS, poll(pfds, NR_WATCHERS, LONG_MS));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, t.err);
	ASSERT_EQ(gen, gen_get(_metadata, self->fd));
	gen_ack(_metadata, self->fd);

	ASSERT_EQ(NR_WATCHERS, epoll_wait(epfd, evs, NR_WATCHERS + 1, 0));
	for (i = 0; i < NR_WATCHERS; i++) {
		ASSERT_EQ(POLLIN, pfds[i].revents) {
			TH_LOG("watcher %d", i);
		}
		ASSERT_EQ((__u32)EPOLLIN, evs[i].events);
		/* Each watcher once: mark it seen in its pollfd. */
		ASSERT_GT((__u32)NR_WATCHERS, evs[i].data.u32);
		ASSERT_EQ(POLLIN, pfds[evs[i].data.u32].events);
		pfds[evs[i].data.u32].events = POLLIN | POLLRDNORM;
	}

	for (i = 0; i < NR_WATCHERS; i++) {
		val = 0;
		ASSERT_EQ(GEN32_SIZE, read(pfds[i].fd, &val, sizeof(val)));
		ASSERT_EQ((__u32)gen, val);
	}
	ASSERT_EQ(-1, wait_watchers(self->fd, 100));
	ASSERT_EQ(ETIME, errno);

	for (i = 0; i < NR_WATCHERS; i++) {
		ASSERT_EQ(GEN32_SIZE, ack(pfds[i].fd, val)) {
			TH_LOG("watcher %d", i);
		}
		/* The last one holds the overseer up until it acks too. */
		if (i == NR_WATCHERS - 2) {
			ASSERT_EQ(-1, wait_watchers(self->fd, 100));
			ASSERT_EQ(ETIME, errno);
		}
	}
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	ASSERT_EQ(0, epoll_wait(epfd, evs, NR_WATCHERS + 1, 0));
	ASSERT_EQ(0, poll(pfds, NR_WATCHERS, 0));

	for (i = 0; i < NR_WATCHERS; i++)
		close(pfds[i].fd);
	close(epfd);
	free(evs);
	free(pfds);
}

struct epoll_waiter {
	int epfd;
	int ret;
	int err;
};

static void *epoll_waiter_thread(void *arg)
{
	struct epoll_waiter *w = arg;
	struct epoll_event ev;

	w->ret = epoll_wait(w->epfd, &ev, 1, PROMPT_MS);
	w->err = errno;
	return NULL;
}

/*
 * EPOLLEXCLUSIVE lets one wakeup of a file reach only some of the epoll
 * instances that watch it.  Files are independent watchers, though: a
 * new generation must reach an exclusive waiter on every file.
 */
TEST_F_TIMEOUT(sysgenid, epoll_exclusive_each_file_woken, 60)
{
	struct epoll_waiter w[2] = {};
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct delayed_trigger t = { .fd = self->fd, .delay_ms = DELAY_MS };
	pthread_t threads[2], trig;
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		fds[i] = sysgenid_open(O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, fds[i]);
		w[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, w[i].epfd);
		ASSERT_EQ(0, epoll_ctl(w[i].epfd, EPOLL_CTL_ADD, fds[i], &ev));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    epoll_waiter_thread, &w[i]));
	ASSERT_EQ(0, pthread_create(&trig, NULL, delayed_trigger_thread, &t));
	ASSERT_EQ(0, pthread_join(trig, NULL));
	ASSERT_EQ(0, t.err);

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(1, w[i].ret) {
			TH_LOG("epoll_wait on file %d: %d (%s)", i, w[i].ret,
			       strerror(w[i].err));
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, readable(fds[i]));
		close(fds[i]);
		close(w[i].epfd);
	}
	gen_ack(_metadata, self->fd);
}

TEST_F(sysgenid, fork_inherits_file_and_ack_state)
{
	__u64 gen;
	pid_t pid;

	/* Outdated before the fork: outdated in the child. */
	gen = gen_bump(_metadata, self->fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 val;

		CHILD_CHECK(readable(self->fd) == 1);
		CHILD_CHECK(read(self->fd, &val, sizeof(val)) == GEN32_SIZE);
		CHILD_CHECK(val == (__u32)gen);
		/* One open file: the child's ack is the parent's. */
		CHILD_CHECK(ack(self->fd, val) == GEN32_SIZE);
		_exit(0);
	}
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(0, readable(self->fd));

	/* Up to date before the fork: up to date in the child. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 val;

		CHILD_CHECK(fcntl(self->fd, F_SETFL, O_NONBLOCK) == 0);
		CHILD_CHECK(read(self->fd, &val, sizeof(val)) == -1 &&
			    errno == EAGAIN);
		CHILD_CHECK(readable(self->fd) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, reap(pid));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));

	/* Tracking belongs to the file too: the child's exit changes nothing. */
	ASSERT_EQ(0, set_tracking(self->fd, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(0, reap(pid));
	gen_bump(_metadata, self->fd);
	ASSERT_EQ(-1, wait_watchers(self->fd, 0));
	ASSERT_EQ(EINTR, errno);
	gen_ack(_metadata, self->fd);
	ASSERT_EQ(0, wait_watchers(self->fd, PROMPT_MS));
	ASSERT_EQ(0, set_tracking(self->fd, 0));
}

/*
 * Kept last: it moves the generation above 2^32 for the rest of the boot,
 * where read() and write() carry only the low half.  A real machine's
 * watchers should not have to see that: only on a test machine
 * (SYSGENID_TEST_HIGH_GENERATION=1).
 */
TEST_F(sysgenid, generation_above_32_bits)
{
	const struct sysgenid_page *page;
	__u64 cur = gen_get(_metadata, self->fd);
	/* Low half other than cur's: the kernel refuses to keep it. */
	__u32 lo = (__u32)cur == 2 ? 3 : 2;
	__u64 target = ((cur >> 32) + 1) << 32 | lo;
	__u32 val = 0;

	if (!getenv("SYSGENID_TEST_HIGH_GENERATION"))
		SKIP(return, "set SYSGENID_TEST_HIGH_GENERATION=1 to go above 2^32");

	page = map_page(_metadata, self->fd, self->page_size);

#if __SIZEOF_LONG__ < 8
	/*
	 * A compat caller cannot ask for a minimum above 2^32 - 1.  After the
	 * 64-bit build has taken the generation there: the ioctl and the page
	 * give it whole, and a 32-bit minimum is the value it says, below the
	 * generation, not its low half.
	 */
	(void)target;
	if (!(cur >> 32))
		SKIP(return, "the generation is below 2^32: run sysgenid_test first");
	ASSERT_EQ(cur, page_gen(page));
	ASSERT_EQ((__u32)cur, load32(&page->generation32));
	ASSERT_EQ(0, trigger(self->fd, (__u32)cur + 5));
	ASSERT_EQ(cur + 1, gen_get(_metadata, self->fd));
	ASSERT_EQ(cur + 1, page_gen(page));
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	ASSERT_EQ((__u32)(cur + 1), val);
	ASSERT_EQ(GEN32_SIZE, ack(self->fd, val));
	ASSERT_EQ(0, readable(self->fd));
#else
	ASSERT_EQ(0, trigger(self->fd, target));
	ASSERT_EQ(target, gen_get(_metadata, self->fd));
	ASSERT_EQ(target, page_gen(page));
	ASSERT_EQ(lo, load32(&page->generation32));
	ASSERT_EQ(GEN32_SIZE, read(self->fd, &val, sizeof(val)));
	ASSERT_EQ(lo, val);
	ASSERT_EQ(GEN32_SIZE, ack(self->fd, val));
	ASSERT_EQ(0, readable(self->fd));

	ASSERT_EQ(0, trigger(self->fd, 0));
	ASSERT_EQ(target + 1, gen_get(_metadata, self->fd));
	ASSERT_EQ(lo + 1, load32(&page->generation32));
	gen_ack(_metadata, self->fd);
#endif
	ASSERT_EQ(0, munmap((void *)page, self->page_size));
}

TEST_HARNESS_MAIN
