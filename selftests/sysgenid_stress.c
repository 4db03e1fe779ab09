// SPDX-License-Identifier: GPL-2.0
/*
 * Stress and fuzz /dev/sysgenid.  Worker threads, and the children they
 * fork, do random valid and invalid operations on the device and its
 * mappings while a trigger thread keeps starting new generations and a
 * reader thread watches the vDSO and the mmap page.  Every result is held
 * against the contract in include/uapi/linux/sysgenid.h, and no view of the
 * generation may ever go backwards.  At the end, once nothing triggers any
 * more, the workers' files are closed and the device must be left as it was
 * found: no child, no open file, no outdated tracked file (a count of
 * outdated files that drifted under the races would show there).  What each
 * call does with a known state (SYSGENID_WAIT_WATCHERS's exact counting
 * among them) is sysgenid_test.c's: here other threads hold tracked outdated
 * files at any time, so a worker can only check a 0 from it against the
 * files it holds itself.
 *
 * The run is bounded by time, not by work: a debug kernel under
 * emulation does a tenth of the operations a normal one does, and emulated
 * machines differ by more than 2x, so no fixed count fits a fixed cap.  It
 * stops once the operation target (system calls on the device or its
 * mappings) is met and the minimum time has passed, or when the time budget
 * runs out.  Whatever the speed, every worker must keep making progress: one
 * that completes nothing for STALL_S seconds is stuck in the kernel, and
 * that fails.  Running out of time before the target is a failure only when
 * SYSGENID_STRESS_REQUIRE_OPS=1 (for a machine known to meet it with room to
 * spare); otherwise the target is reported as
 * skipped with the rate the machine reached.  The seed (argv[1] or
 * SYSGENID_STRESS_SEED) fixes each thread's random choices; the
 * interleaving of the threads is the scheduler's.
 *
 * Environment: SYSGENID_STRESS_SEED, SYSGENID_STRESS_OPS (target, default
 * 1000000), SYSGENID_STRESS_SECONDS (budget, default 60),
 * SYSGENID_STRESS_MIN_SECONDS (default 10), SYSGENID_STRESS_REQUIRE_OPS.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/sysgenid.h>

#include "../kselftest.h"
#include "../vDSO/parse_vdso.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif

#define SYSGENID_DEV		"/dev/sysgenid"
#define GEN32_SIZE		((ssize_t)sizeof(__u32))
#define NSEC_PER_MSEC		1000000LL

enum {
	NR_WORKERS	= 4,
	MAX_FILES	= 64,	/* per worker, so the process never runs out */
	MAX_MAPS	= 16,	/* per worker */
	DEFAULT_OPS	= 1000000,
	DEFAULT_MAX_S	= 60,	/* the collection's timeout is 120 s */
	/*
	 * Longer than anything a worker legitimately waits for: a blocked
	 * read (BLOCKED_MAX_MS) or a child that hangs (CHILD_ALARM_S).
	 */
	STALL_S		= 30,
	DEFAULT_MIN_S	= 10,
	MAX_REPORTS	= 30,	/* failure lines printed per kind; all count */
	MAX_WAIT_MS	= 20,	/* random-phase SYSGENID_WAIT_WATCHERS */
	CHILD_OPS	= 8,
	CHILD_ALARM_S	= 20,	/* a child that hangs dies and is reported */
	/* A blocked read not woken by the trigger thread in this long hangs. */
	BLOCKED_MAX_MS	= 5000,
	/* Largest bump above the current generation: 32-bit views never wrap. */
	MAX_JUMP	= 16,
	/* The trigger thread's storms, and its calm spells of 10-30 ms. */
	STORM_MS	= 20,
	CALM_MS		= 20,
	/* Bound for a WAIT_WATCHERS that must return at once. */
	PROMPT_MS	= 5000,
};

/* Operation categories; all but the last two are system calls. */
enum cat {
	CAT_OPEN, CAT_CLOSE, CAT_READ, CAT_WRITE, CAT_POLL, CAT_GET, CAT_TRACK,
	CAT_WAIT, CAT_TRIGGER, CAT_BAD_IOCTL, CAT_MMAP, CAT_MPROTECT,
	CAT_MUNMAP, CAT_FORK, CAT_CHILD, CAT_BLOCKED_CLOSE,
	NR_SYSCALL_CATS,
	CAT_VDSO = NR_SYSCALL_CATS, CAT_PAGE,
	NR_CATS
};

static const char *const cat_name[NR_CATS] = {
	[CAT_OPEN]		= "open",
	[CAT_CLOSE]		= "close",
	[CAT_READ]		= "read",
	[CAT_WRITE]		= "write",
	[CAT_POLL]		= "poll/epoll",
	[CAT_GET]		= "ioctl GET_GENERATION",
	[CAT_TRACK]		= "ioctl SET_WATCHER_TRACKING",
	[CAT_WAIT]		= "ioctl WAIT_WATCHERS",
	[CAT_TRIGGER]		= "ioctl TRIGGER_GEN_UPDATE",
	[CAT_BAD_IOCTL]		= "ioctl unknown",
	[CAT_MMAP]		= "mmap",
	[CAT_MPROTECT]		= "mprotect",
	[CAT_MUNMAP]		= "munmap/madvise",
	[CAT_FORK]		= "fork+wait",
	[CAT_CHILD]		= "ops in children",
	[CAT_BLOCKED_CLOSE]	= "blocked op vs close",
	[CAT_VDSO]		= "vDSO reads",
	[CAT_PAGE]		= "mmap page reads",
};

/* Results worth counting, to show which paths the run went through. */
enum outcome {
	OUT_READ_DATA, OUT_READ_EAGAIN, OUT_READ_EINTR, OUT_ACK, OUT_ACK_REFUSED,
	OUT_WAIT_0, OUT_WAIT_ETIME, OUT_WAIT_EINTR, OUT_WAIT_OUTDATED,
	OUT_MMAP_OK, OUT_MMAP_REFUSED, OUT_MPROTECT_REFUSED, NR_OUTCOMES
};

static const char *const outcome_name[NR_OUTCOMES] = {
	[OUT_READ_DATA]		= "read data",
	[OUT_READ_EAGAIN]	= "read EAGAIN",
	[OUT_READ_EINTR]	= "read EINTR",
	[OUT_ACK]		= "ack accepted",
	[OUT_ACK_REFUSED]	= "ack EINVAL",
	[OUT_WAIT_0]		= "wait 0",
	[OUT_WAIT_ETIME]	= "wait ETIME",
	[OUT_WAIT_EINTR]	= "wait EINTR",
	[OUT_WAIT_OUTDATED]	= "wait by outdated caller",
	[OUT_MMAP_OK]		= "mmap ok",
	[OUT_MMAP_REFUSED]	= "mmap refused",
	[OUT_MPROTECT_REFUSED]	= "mprotect refused",
};

enum fail_kind {
	FAIL_CONTRACT, FAIL_MONOTONIC, FAIL_CLEAN, NR_FAIL_KINDS
};

static const char *const fail_name[NR_FAIL_KINDS] = {
	[FAIL_CONTRACT]		= "contract",
	[FAIL_MONOTONIC]	= "monotonic",
	[FAIL_CLEAN]		= "clean_state",
};

/* Shared with the children, which report their failures here. */
struct shared {
	__u64 child_ops;
	unsigned int fails[NR_FAIL_KINDS];
	unsigned int reports[NR_FAIL_KINDS];
};

static struct shared *shared;

/*
 * The views of the generation, in the order sysgenid_publish() writes
 * them.  Whoever sees a value in one view must find at least that value in
 * every view written before it; the kernel view covers GET_GENERATION,
 * read() and the value write() accepts, which all load the same counter.
 */
enum view { VIEW_VDSO, VIEW_PAGE64, VIEW_PAGE32, VIEW_KERNEL, NR_VIEWS };

static const char *const view_name[NR_VIEWS] = {
	[VIEW_PAGE64]	= "mmap generation",
	[VIEW_PAGE32]	= "mmap generation32",
	[VIEW_VDSO]	= "vDSO",
	[VIEW_KERNEL]	= "kernel counter",
};

static __u64 seen[NR_VIEWS];

/* Per thread: its random stream and its operation counts. */
struct ctx {
	__u64 rng;
	__u64 ops[NR_CATS];
	__u64 outcomes[NR_OUTCOMES];	/* read once the thread is joined */
};

struct wfile {
	int fd;
	bool nonblock;
	bool rdonly;
	/* Known not to have acked the current generation: only we ack it. */
	bool outdated;
	int tracked;		/* 0, 1, or -1 when a child may have changed it */
};

struct wmap {
	const struct sysgenid_page *page;
	int prot;
};

struct worker {
	struct ctx c;
	pthread_t thread;
	pid_t tid;
	int id;
	bool in_child;
	timer_t intr_timer;	/* SIGUSR1, no SA_RESTART: ends a blocked read */
	timer_t restart_timer;	/* SIGUSR2, SA_RESTART: must not end it */
	struct wfile files[MAX_FILES];
	int nr_files;
	struct wmap maps[MAX_MAPS];
	int nr_maps;
};

static struct worker workers[NR_WORKERS];
static struct ctx main_ctx, trigger_ctx, reader_ctx;
static int stop_workers, stop_background;
static __u64 (*vdso_get)(void);
static long page_size;
static __u64 seed;
/* Read-only memory and an address the kernel must refuse to write to. */
static void *ro_page;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L,
			       .tv_nsec = ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* splitmix64: one stream per thread, all derived from the seed. */
static __u64 rnd64(struct ctx *c)
{
	__u64 z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(struct ctx *c, unsigned int n)
{
	return rnd64(c) % n;
}

static bool chance(struct ctx *c, unsigned int percent)
{
	return rnd_below(c, 100) < percent;
}

static void ctx_init(struct ctx *c, unsigned int stream)
{
	memset(c, 0, sizeof(*c));
	c->rng = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));
	rnd64(c);
}

/* Only the owner writes; the main thread sums while the run goes on. */
static void count(struct ctx *c, enum cat cat)
{
	__atomic_store_n(&c->ops[cat], c->ops[cat] + 1, __ATOMIC_RELAXED);
}

/*
 * Failures are counted in shared memory and printed with one write(), which
 * a forked child of this threaded process may do where stdio may not.
 */
static __printf(2, 3) void report(enum fail_kind kind, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	__atomic_add_fetch(&shared->fails[kind], 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&shared->reports[kind], 1, __ATOMIC_RELAXED) >=
	    MAX_REPORTS)
		return;
	n = snprintf(buf, sizeof(buf), "# FAIL [%s] ", fail_name[kind]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) != n)
		return;
}

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		report(FAIL_CONTRACT, fmt, ##__VA_ARGS__);		\
} while (0)

#define ERRS(...)	((const int []){ __VA_ARGS__, 0 })

static bool errno_in(int err, const int *errs)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

/* The least value a read of @view may return now. */
static __u64 view_floor(enum view view)
{
	__u64 floor = 0, v;
	int i;

	for (i = view; i < NR_VIEWS; i++) {
		v = __atomic_load_n(&seen[i], __ATOMIC_ACQUIRE);
		if (v > floor)
			floor = v;
	}
	return floor;
}

static void seen_raise(enum view view, __u64 gen)
{
	__u64 old = __atomic_load_n(&seen[view], __ATOMIC_RELAXED);

	while (old < gen &&
	       !__atomic_compare_exchange_n(&seen[view], &old, gen, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

/* @floor is view_floor(@view), taken before @gen was read. */
static void observe(enum view view, __u64 floor, __u64 gen, const char *how)
{
	if (gen < floor) {
		report(FAIL_MONOTONIC, "%s: %s went back to %llu after %llu",
		       how, view_name[view], (unsigned long long)gen,
		       (unsigned long long)floor);
		return;
	}
	seen_raise(view, gen);
}

/*
 * A low half: this test never moves the generation by 2^31 at once, so a
 * value "below" the floor's low half went backwards.
 */
static void observe32(enum view view, __u64 floor, __u32 lo, const char *how)
{
	__s32 delta = (__s32)(lo - (__u32)floor);

	if (delta < 0) {
		report(FAIL_MONOTONIC, "%s: %s low half went back to %#x after %llu",
		       how, view_name[view], lo, (unsigned long long)floor);
		return;
	}
	seen_raise(view, floor + delta);
}

static void check_page(struct ctx *c, const struct sysgenid_page *page,
		       const char *how, bool whole)
{
	const __u64 *rest = (const __u64 *)(page + 1);
	__u64 floor, gen;
	__u32 gen32;
	size_t i;

	count(c, CAT_PAGE);
	/* generation32 is written last: read it first, then generation. */
	floor = view_floor(VIEW_PAGE32);
	gen32 = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
	observe32(VIEW_PAGE32, floor, gen32, how);
	floor = view_floor(VIEW_PAGE64);
	gen = __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
	observe(VIEW_PAGE64, floor, gen, how);
	CHECK(!(__atomic_load_n(&page->flags, __ATOMIC_RELAXED) &
		~(SYSGENID_FLAG_HW_SOURCE | SYSGENID_FLAG_RACE_FREE)),
	      "%s: unknown page flags %#x", how, page->flags);
	if (!whole)
		return;
	for (i = 0; i < (page_size - sizeof(*page)) / sizeof(*rest); i++)
		CHECK(!rest[i], "%s: page byte %zu is not zero", how,
		      sizeof(*page) + i * sizeof(*rest));
}

static void check_vdso(struct ctx *c)
{
	__u64 floor;

	if (!vdso_get)
		return;
	count(c, CAT_VDSO);
	floor = view_floor(VIEW_VDSO);
	observe(VIEW_VDSO, floor, vdso_get(), "vDSO getter");
}

static bool gen_get(struct ctx *c, int fd, __u64 *gen)
{
	__u64 floor = view_floor(VIEW_KERNEL);
	int ret;

	ret = ioctl(fd, SYSGENID_GET_GENERATION, gen);
	count(c, CAT_GET);
	if (ret) {
		report(FAIL_CONTRACT, "ioctl(%d, GET_GENERATION, valid): errno %d (%s)",
		       fd, errno, strerror(errno));
		return false;
	}
	observe(VIEW_KERNEL, floor, *gen, "ioctl(GET_GENERATION)");
	return true;
}

/* Start a new generation of at least @arg and check it took effect. */
static bool trigger(struct ctx *c, int fd, unsigned long arg)
{
	__u64 before, after, want;
	int ret;

	if (!gen_get(c, fd, &before))
		return false;
	ret = ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, arg);
	count(c, CAT_TRIGGER);
	if (ret) {
		report(FAIL_CONTRACT, "ioctl(%d, TRIGGER_GEN_UPDATE, %lu): errno %d (%s)",
		       fd, arg, errno, strerror(errno));
		return false;
	}
	if (!gen_get(c, fd, &after))
		return false;
	want = arg > before + 1 ? arg : before + 1;
	CHECK(after >= want,
	      "TRIGGER_GEN_UPDATE(%lu) from %llu left generation %llu, want >= %llu",
	      arg, (unsigned long long)before, (unsigned long long)after,
	      (unsigned long long)want);
	return true;
}

/* An argument for TRIGGER_GEN_UPDATE: mostly 0, sometimes a small jump. */
static unsigned long trigger_arg(struct ctx *c, __u64 cur)
{
	unsigned int r = rnd_below(c, 100);

	if (r < 80)
		return 0;
	if (r < 95)
		return cur + 1 + rnd_below(c, MAX_JUMP - 1);
	/* At or below the current value: the kernel takes cur + 1. */
	return cur - rnd_below(c, cur < 8 ? cur + 1 : 8);
}

static int arm(timer_t timer, long ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ns / 1000000000L,
			      .tv_nsec = ns % 1000000000L },
	};

	return timer_settime(timer, 0, &its, NULL);
}

static int thread_timer(timer_t *timer, int sig)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = sig,
	};

	sev.sigev_notify_thread_id = gettid_();
	return timer_create(CLOCK_MONOTONIC, &sev, timer);
}

static void on_signal(int sig)
{
	(void)sig;
}

static const char *prot_str(int prot, char *buf)
{
	buf[0] = prot & PROT_READ ? 'r' : '-';
	buf[1] = prot & PROT_WRITE ? 'w' : '-';
	buf[2] = prot & PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/*
 * The errnos mmap() may give, none for success.  The open mode's EACCES
 * and an unaligned offset's EINVAL are the VFS's (POSIX), checked before
 * the driver's; the contract does not order the driver's EINVAL and EPERM,
 * and a noexec /dev gives EPERM for PROT_EXEC first.
 */
static void mmap_expect(int prot, int flags, off_t off, size_t len,
			bool rdonly, int *errs)
{
	bool bad_range = len > (size_t)page_size || off;
	bool wx = prot & (PROT_WRITE | PROT_EXEC);

	memset(errs, 0, 3 * sizeof(*errs));
	if (off & (page_size - 1)) {
		errs[0] = EINVAL;
	} else if (flags != MAP_PRIVATE && (prot & PROT_WRITE) && rdonly) {
		errs[0] = EACCES;
	} else if (bad_range) {
		errs[0] = EINVAL;
		if (prot & PROT_EXEC)
			errs[1] = EPERM;
	} else if (wx) {
		errs[0] = EPERM;
	}
}

static const char *flags_str(int flags)
{
	if (flags == MAP_PRIVATE)
		return "MAP_PRIVATE";
	if (flags == MAP_SHARED_VALIDATE)
		return "MAP_SHARED_VALIDATE";
	return "MAP_SHARED";
}

static void *try_mmap(struct ctx *c, int fd, bool rdonly, int prot, int flags,
		      off_t off, size_t len)
{
	char pbuf[4];
	int errs[3];
	void *p;
	int err;

	mmap_expect(prot, flags, off, len, rdonly, errs);
	p = mmap(NULL, len, prot, flags, fd, off);
	err = errno;
	count(c, CAT_MMAP);
	c->outcomes[p == MAP_FAILED ? OUT_MMAP_REFUSED : OUT_MMAP_OK]++;
	if (p == MAP_FAILED) {
		CHECK(errs[0] && errno_in(err, errs),
		      "mmap(len %zu, %s, %s, off %#llx) on %s fd: errno %d (%s), want %d/%d",
		      len, prot_str(prot, pbuf), flags_str(flags),
		      (unsigned long long)off, rdonly ? "O_RDONLY" : "O_RDWR",
		      err, strerror(err), errs[0], errs[1]);
		return NULL;
	}
	if (errs[0]) {
		report(FAIL_CONTRACT,
		       "mmap(len %zu, %s, %s, off %#llx) on %s fd succeeded, want errno %d",
		       len, prot_str(prot, pbuf), flags_str(flags),
		       (unsigned long long)off, rdonly ? "O_RDONLY" : "O_RDWR",
		       errs[0]);
		munmap(p, len);
		count(c, CAT_MUNMAP);
		return NULL;
	}
	if (prot & PROT_READ)
		check_page(c, p, "mmap page", chance(c, 5));
	return p;
}

/* Neither PROT_WRITE nor PROT_EXEC may ever be added: EACCES. */
static void try_mprotect(struct ctx *c, const void *p, int *cur, int prot)
{
	bool wx = prot & (PROT_WRITE | PROT_EXEC);
	char pbuf[4], cbuf[4];
	int ret, err;

	ret = mprotect((void *)p, page_size, prot);
	err = errno;
	count(c, CAT_MPROTECT);
	if (wx && !ret) {
		report(FAIL_CONTRACT, "mprotect(%s -> %s) succeeded, want EACCES",
		       prot_str(*cur, cbuf), prot_str(prot, pbuf));
		/* Never touch it writable; make it read-only again. */
		if (!mprotect((void *)p, page_size, PROT_READ))
			*cur = PROT_READ;
		count(c, CAT_MPROTECT);
	} else if (wx) {
		c->outcomes[OUT_MPROTECT_REFUSED]++;
		CHECK(err == EACCES, "mprotect(%s -> %s): errno %d (%s), want EACCES",
		      prot_str(*cur, cbuf), prot_str(prot, pbuf), err,
		      strerror(err));
	} else if (ret) {
		report(FAIL_CONTRACT, "mprotect(%s -> %s): errno %d (%s), want 0",
		       prot_str(*cur, cbuf), prot_str(prot, pbuf), err,
		       strerror(err));
	} else {
		*cur = prot;
	}
	if (*cur & PROT_READ)
		check_page(c, p, "page after mprotect", false);
}

/*
 * ioctl types the VFS serves itself for any file (fs/ioctl.c), some of
 * which act on the file system or the descriptor: never sent.
 */
static bool vfs_ioctl_type(unsigned int type)
{
	switch (type) {
	case 0x00:	/* FIBMAP, FIGETBSZ */
	case 0x15:	/* FS_IOC_GETFSUUID, FS_IOC_GETFSSYSFSPATH */
	case 'T':	/* FIOCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIONREAD */
	case 'X':	/* FIFREEZE, FITHAW, FS_IOC_FS[GS]ETXATTR */
	case 'f':	/* FS_IOC_FIEMAP, FS_IOC_[GS]ETFLAGS */
	case 0x94:	/* FICLONE, FICLONERANGE, FIDEDUPERANGE */
		return true;
	}
	return false;
}

static bool sysgenid_cmd(unsigned int cmd)
{
	return cmd == SYSGENID_SET_WATCHER_TRACKING ||
	       cmd == SYSGENID_WAIT_WATCHERS ||
	       cmd == SYSGENID_TRIGGER_GEN_UPDATE ||
	       cmd == SYSGENID_GET_GENERATION;
}

/* A command the driver does not know, often a near miss of one it does. */
static unsigned int bad_cmd(struct ctx *c)
{
	unsigned int type, nr, cmd;

	do {
		if (chance(c, 60)) {
			type = SYSGENID_IOCTL;
			nr = chance(c, 70) ? rnd_below(c, 8) : rnd_below(c, 256);
		} else {
			type = rnd_below(c, 256);
			nr = rnd_below(c, 256);
		}
		cmd = _IOC(rnd_below(c, 4), type, nr, rnd_below(c, 1 << 14));
		if (chance(c, 10))
			cmd = _IOC(_IOC_NONE, type, nr, 0);
	} while (vfs_ioctl_type(type) || sysgenid_cmd(cmd));
	return cmd;
}

static void do_bad_ioctl(struct ctx *c, int fd)
{
	unsigned int cmd = bad_cmd(c);
	unsigned long arg;
	__u64 buf[4];
	int ret;

	switch (rnd_below(c, 3)) {
	case 0:
		arg = 0;
		break;
	case 1:
		arg = (unsigned long)buf;
		break;
	default:
		arg = rnd64(c);
		break;
	}
	ret = ioctl(fd, cmd, arg);
	count(c, CAT_BAD_IOCTL);
	CHECK(ret == -1 && errno == ENOTTY,
	      "ioctl(%d, %#x, %#lx): %d errno %d (%s), want ENOTTY",
	      fd, cmd, arg, ret, errno, strerror(errno));
}

/* GET_GENERATION with a pointer that is valid, misaligned or bad. */
static void do_get(struct ctx *c, int fd)
{
	unsigned char buf[16];
	unsigned long bad;
	__u64 gen, floor;
	int ret;

	switch (rnd_below(c, 8)) {
	case 0:
		floor = view_floor(VIEW_KERNEL);
		ret = ioctl(fd, SYSGENID_GET_GENERATION, buf + 1);
		count(c, CAT_GET);
		CHECK(!ret, "GET_GENERATION(misaligned): errno %d (%s)",
		      errno, strerror(errno));
		if (!ret) {
			memcpy(&gen, buf + 1, sizeof(gen));
			observe(VIEW_KERNEL, floor, gen,
				"ioctl(GET_GENERATION, misaligned)");
		}
		return;
	case 1:
		bad = 0;
		break;
	case 2:
		bad = (unsigned long)ro_page;
		break;
	case 3:
		bad = 0xffff888000000000UL;	/* kernel half */
		break;
	default:
		gen_get(c, fd, &gen);
		return;
	}
	ret = ioctl(fd, SYSGENID_GET_GENERATION, bad);
	count(c, CAT_GET);
	CHECK(ret == -1 && errno == EFAULT,
	      "ioctl(%d, GET_GENERATION, %#lx): %d errno %d (%s), want EFAULT",
	      fd, bad, ret, errno, strerror(errno));
}

static void check_revents(struct wfile *f, short events, short revents,
			  const char *how)
{
	const short in = POLLIN | POLLRDNORM;

	CHECK(!(revents & ~in), "%s(fd %d, events %#x): revents %#x",
	      how, f->fd, events, revents);
	CHECK(!(revents & ~events), "%s(fd %d, events %#x): revents %#x not asked for",
	      how, f->fd, events, revents);
	if ((events & in) == in)
		CHECK(!(revents & in) || (revents & in) == in,
		      "%s(fd %d): revents %#x has only one of POLLIN, POLLRDNORM",
		      how, f->fd, revents);
	if (revents & in)
		f->outdated = true;
	else if (f->outdated && (events & in))
		report(FAIL_CONTRACT, "%s(fd %d): a file that did not ack is not readable",
		       how, f->fd);
}

/* ---------------------------------------------------------------------- */
/* Worker operations: each does one or a few system calls and checks them. */

static void op_open(struct worker *w);

static struct wfile *pick_file(struct worker *w)
{
	if (!w->nr_files)
		op_open(w);
	if (!w->nr_files)
		return NULL;
	return &w->files[rnd_below(&w->c, w->nr_files)];
}

static void op_close_idx(struct worker *w, int i)
{
	int ret = close(w->files[i].fd);

	count(&w->c, CAT_CLOSE);
	CHECK(!ret, "close(%d): errno %d (%s)", w->files[i].fd, errno,
	      strerror(errno));
	w->files[i] = w->files[--w->nr_files];
}

static void op_close(struct worker *w)
{
	if (w->nr_files)
		op_close_idx(w, rnd_below(&w->c, w->nr_files));
}

static void op_open(struct worker *w)
{
	struct ctx *c = &w->c;
	int flags = chance(c, 20) ? O_RDONLY : O_RDWR;
	struct pollfd pfd = { .events = POLLIN };
	__u64 before = 0, after;
	bool fresh_check;
	struct wfile *f;
	int fd, ret;

	if (w->nr_files == MAX_FILES) {
		op_close(w);
		return;
	}
	if (chance(c, 50))
		flags |= O_NONBLOCK;
	if (chance(c, 50))
		flags |= O_CLOEXEC;
	fresh_check = w->nr_files && chance(c, 30) &&
		      gen_get(c, w->files[0].fd, &before);

	fd = open(SYSGENID_DEV, flags);
	count(c, CAT_OPEN);
	if (fd < 0) {
		report(FAIL_CONTRACT, "open(%#x): errno %d (%s)", flags, errno,
		       strerror(errno));
		return;
	}
	f = &w->files[w->nr_files++];
	*f = (struct wfile){
		.fd = fd,
		.nonblock = flags & O_NONBLOCK,
		.rdonly = (flags & O_ACCMODE) == O_RDONLY,
	};
	if (!fresh_check)
		return;

	/* A new file starts up to date: readable only after a later bump. */
	pfd.fd = fd;
	ret = poll(&pfd, 1, 0);
	count(c, CAT_POLL);
	if (ret != 1 || !gen_get(c, fd, &after))
		return;
	f->outdated = true;
	CHECK(after > before,
	      "new fd %d is readable but the generation stayed %llu",
	      fd, (unsigned long long)before);
}

enum read_mode { READ_PLAIN, READ_POLL, READ_INTR, READ_RESTART };

static void op_read(struct worker *w)
{
	static const size_t sizes[] = { 4, 4, 4, 0, 1, 3, 5, 8 };
	static const char *const mode_name[] = {
		"plain", "after poll", "timer-interrupted", "SA_RESTART timer",
	};
	struct ctx *c = &w->c;
	struct wfile *f = pick_file(w);
	struct pollfd pfd = { .events = POLLIN };
	unsigned char buf[8];
	enum read_mode mode;
	bool known_outdated;
	timer_t timer = NULL;
	bool armed = false;
	__u64 floor;
	ssize_t ret;
	size_t size;
	int err, i;
	__u32 val;

	if (!f)
		return;
	size = sizes[rnd_below(c, ARRAY_SIZE(sizes))];
	if (f->nonblock)
		mode = chance(c, 70) ? READ_PLAIN : READ_POLL;
	else if (w->in_child)
		mode = READ_POLL;	/* no timers in a child: never block */
	else
		mode = (enum read_mode)(1 + rnd_below(c, 3));

	if (mode == READ_POLL) {
		pfd.fd = f->fd;
		ret = poll(&pfd, 1, rnd_below(c, 4));
		count(c, CAT_POLL);
		CHECK(ret >= 0, "poll(%d): errno %d (%s)", f->fd, errno,
		      strerror(errno));
		if (ret < 0)
			return;
		check_revents(f, POLLIN, pfd.revents, "poll");
		if (!ret && !f->nonblock)
			return;
	}
	known_outdated = f->outdated;

	if (!w->in_child && !f->nonblock) {
		long ns = (1 + rnd_below(c, 3)) * NSEC_PER_MSEC;

		/* After POLLIN a read must not block: the timer only guards. */
		timer = mode == READ_RESTART ? w->restart_timer : w->intr_timer;
		if (mode == READ_POLL)
			ns = 500 * NSEC_PER_MSEC;
		armed = !arm(timer, ns);
	}
	memset(buf, 0xa5, sizeof(buf));
	floor = view_floor(VIEW_KERNEL);
	ret = read(f->fd, buf, size);
	err = errno;
	/* timer_t 0 is a valid timer: remember whether one was armed. */
	if (armed)
		arm(timer, 0);
	count(c, CAT_READ);

	if (size == 0) {
		CHECK(ret == 0, "read(%d, 0 bytes): %zd errno %d", f->fd, ret, err);
		return;
	}
	if (size < sizeof(__u32)) {
		CHECK(ret == -1 && err == EINVAL,
		      "read(%d, %zu bytes): %zd errno %d (%s), want EINVAL",
		      f->fd, size, ret, err, strerror(err));
		return;
	}
	if (ret == GEN32_SIZE) {
		for (i = sizeof(val); i < (int)size; i++)
			CHECK(buf[i] == 0xa5, "read(%d, %zu bytes) wrote byte %d",
			      f->fd, size, i);
		memcpy(&val, buf, sizeof(val));
		observe32(VIEW_KERNEL, floor, val, "read()");
		f->outdated = true;
		c->outcomes[OUT_READ_DATA]++;
		return;
	}
	if (ret >= 0) {
		report(FAIL_CONTRACT, "read(%d, %zu bytes, %s): returned %zd",
		       f->fd, size, mode_name[mode], ret);
		return;
	}
	if (known_outdated) {
		report(FAIL_CONTRACT,
		       "read(%d, %zu bytes, %s) of a file that did not ack: errno %d (%s), want 4 bytes",
		       f->fd, size, mode_name[mode], err, strerror(err));
		return;
	}
	c->outcomes[err == EINTR ? OUT_READ_EINTR : OUT_READ_EAGAIN]++;
	if (f->nonblock)
		CHECK(err == EAGAIN, "read(%d, O_NONBLOCK): errno %d (%s)",
		      f->fd, err, strerror(err));
	else
		CHECK(mode == READ_INTR && err == EINTR,
		      "read(%d, %zu bytes, %s): errno %d (%s)",
		      f->fd, size, mode_name[mode], err, strerror(err));
}

/* After an ack, the file is readable again only once a bump came. */
static void verify_ack(struct worker *w, struct wfile *f, __u32 val)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
	__u64 gen;
	int ret;

	ret = poll(&pfd, 1, 0);
	count(&w->c, CAT_POLL);
	if (ret != 1 || !gen_get(&w->c, f->fd, &gen))
		return;
	f->outdated = true;
	CHECK((__u32)gen != val,
	      "fd %d acked %#x, is readable, yet the generation is %llu",
	      f->fd, val, (unsigned long long)gen);
}

enum write_kind { WRITE_CURRENT, WRITE_READ, WRITE_STALE, WRITE_RANDOM };

/* Read the value to ack from a file known to be outdated: never blocks. */
static bool read_outdated(struct ctx *c, struct wfile *f, __u32 *val)
{
	__u64 floor = view_floor(VIEW_KERNEL);
	ssize_t ret;

	ret = read(f->fd, val, sizeof(*val));
	count(c, CAT_READ);
	if (ret != GEN32_SIZE) {
		report(FAIL_CONTRACT,
		       "read(%d) of a file that did not ack: %zd errno %d (%s)",
		       f->fd, ret, errno, strerror(errno));
		return false;
	}
	observe32(VIEW_KERNEL, floor, *val, "read()");
	c->outcomes[OUT_READ_DATA]++;
	return true;
}

static void op_write(struct worker *w)
{
	static const size_t sizes[] = { 4, 4, 4, 4, 4, 0, 1, 3, 5, 8 };
	static const char *const kind_name[] = {
		"current", "read", "stale", "random",
	};
	struct ctx *c = &w->c;
	struct wfile *f = pick_file(w);
	enum write_kind kind;
	__u64 gen, after, floor, r;
	unsigned char buf[8];
	ssize_t ret;
	size_t size;
	__u32 val;
	int err;

	if (!f || !gen_get(c, f->fd, &gen))
		return;
	size = sizes[rnd_below(c, ARRAY_SIZE(sizes))];
	r = rnd_below(c, 100);
	kind = r < 40 ? WRITE_CURRENT : r < 60 ? WRITE_READ :
	       r < 80 ? WRITE_STALE : WRITE_RANDOM;
	if (kind == WRITE_STALE && gen <= MAX_JUMP)
		kind = WRITE_RANDOM;
	if (kind == WRITE_READ && !f->outdated)
		kind = WRITE_CURRENT;
	switch (kind) {
	case WRITE_CURRENT:
		val = gen;
		break;
	case WRITE_READ:
		if (!read_outdated(c, f, &val))
			return;
		break;
	case WRITE_STALE:
		/* Below a value already seen: never current again. */
		val = gen - 1 - rnd_below(c, MAX_JUMP);
		break;
	default:
		val = chance(c, 50) ? (__u32)gen + rnd_below(c, 7) - 3 :
				      (__u32)rnd64(c);
		break;
	}
	r = rnd64(c);
	memcpy(buf, &val, sizeof(val));
	memcpy(buf + sizeof(val), &r, sizeof(buf) - sizeof(val));

	floor = view_floor(VIEW_KERNEL);
	ret = write(f->fd, buf, size);
	err = errno;
	count(c, CAT_WRITE);

	if (f->rdonly) {
		CHECK(ret == -1 && err == EBADF,
		      "write(%d O_RDONLY, %zu bytes): %zd errno %d, want EBADF",
		      f->fd, size, ret, err);
		return;
	}
	if (size != sizeof(val)) {
		CHECK(ret == -1 && err == EINVAL,
		      "write(%d, %zu bytes): %zd errno %d (%s), want EINVAL",
		      f->fd, size, ret, err, strerror(err));
		return;
	}
	if (ret == GEN32_SIZE) {
		CHECK(kind != WRITE_STALE,
		      "write(%d) of stale %#x accepted (generation %llu was seen before)",
		      f->fd, val, (unsigned long long)gen);
		observe32(VIEW_KERNEL, floor, val, "accepted write()");
		f->outdated = false;
		c->outcomes[OUT_ACK]++;
		if (kind == WRITE_RANDOM && gen_get(c, f->fd, &after))
			CHECK((__s32)((__u32)after - val) >= 0,
			      "write(%d) accepted %#x, ahead of generation %llu",
			      f->fd, val, (unsigned long long)after);
		if (chance(c, 30))
			verify_ack(w, f, val);
		return;
	}
	if (ret >= 0 || err != EINVAL) {
		report(FAIL_CONTRACT, "write(%d, %s %#x): %zd errno %d (%s)",
		       f->fd, kind_name[kind], val, ret, err, strerror(err));
		return;
	}
	c->outcomes[OUT_ACK_REFUSED]++;
	/* Refusing the current value is right only if it changed meanwhile. */
	if ((kind == WRITE_CURRENT || kind == WRITE_READ) &&
	    gen_get(c, f->fd, &after))
		CHECK((__u32)after != val,
		      "write(%d) of the current generation's %#x refused (now %llu)",
		      f->fd, val, (unsigned long long)after);
}

static void op_poll(struct worker *w)
{
	static const short event_bits[] = { POLLIN, POLLRDNORM, POLLOUT, POLLPRI };
	struct ctx *c = &w->c;
	struct pollfd pfd[4];
	struct wfile *f[4];
	int n, i, j, ret, ready;

	if (!pick_file(w))
		return;
	n = 1 + rnd_below(c, 4);
	for (i = 0; i < n; i++) {
		f[i] = &w->files[rnd_below(c, w->nr_files)];
		pfd[i].fd = f[i]->fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
		if (chance(c, 30)) {
			pfd[i].events = 0;
			for (j = 0; j < (int)ARRAY_SIZE(event_bits); j++)
				if (chance(c, 50))
					pfd[i].events |= event_bits[j];
		}
	}
	ret = poll(pfd, n, rnd_below(c, 4));
	count(c, CAT_POLL);
	if (ret < 0) {
		report(FAIL_CONTRACT, "poll(%d fds): errno %d (%s)", n, errno,
		       strerror(errno));
		return;
	}
	for (i = 0, ready = 0; i < n; i++) {
		ready += !!pfd[i].revents;
		check_revents(f[i], pfd[i].events, pfd[i].revents, "poll");
	}
	CHECK(ready == ret, "poll(%d fds) returned %d, %d have revents", n, ret,
	      ready);
}

static void op_epoll(struct worker *w)
{
	struct ctx *c = &w->c;
	struct epoll_event ev[4];
	int epfd, n, i, first, ret;

	if (!pick_file(w))
		return;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	count(c, CAT_POLL);
	if (epfd < 0) {
		report(FAIL_CONTRACT, "epoll_create1: errno %d", errno);
		return;
	}
	n = 1 + rnd_below(c, 4);
	if (n > w->nr_files)
		n = w->nr_files;
	first = rnd_below(c, w->nr_files);
	for (i = 0; i < n; i++) {
		int j = (first + i) % w->nr_files;
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = j };

		if (chance(c, 30))
			e.events |= EPOLLET;
		else if (chance(c, 30))
			e.events |= EPOLLEXCLUSIVE;
		ret = epoll_ctl(epfd, EPOLL_CTL_ADD, w->files[j].fd, &e);
		count(c, CAT_POLL);
		CHECK(!ret, "epoll_ctl(ADD %d): errno %d (%s)", w->files[j].fd,
		      errno, strerror(errno));
	}
	ret = epoll_wait(epfd, ev, ARRAY_SIZE(ev), rnd_below(c, 4));
	count(c, CAT_POLL);
	CHECK(ret >= 0, "epoll_wait: errno %d (%s)", errno, strerror(errno));
	for (i = 0; i < ret; i++) {
		struct wfile *f = &w->files[ev[i].data.u32];

		CHECK(ev[i].events == EPOLLIN,
		      "epoll_wait(fd %d): events %#x, want EPOLLIN",
		      f->fd, ev[i].events);
		f->outdated = true;
	}
	close(epfd);
	count(c, CAT_CLOSE);
}

static void op_track(struct worker *w)
{
	static const unsigned long args[] = { 0, 1, 2, 1UL << 32, ULONG_MAX };
	struct ctx *c = &w->c;
	struct wfile *f = pick_file(w);
	unsigned long arg;
	int ret, want;

	if (!f)
		return;
	arg = chance(c, 80) ? args[rnd_below(c, ARRAY_SIZE(args))] : rnd64(c);
	ret = ioctl(f->fd, SYSGENID_SET_WATCHER_TRACKING, arg);
	count(c, CAT_TRACK);
	/*
	 * Only 0 and 1 (the rest is kept for flags), and a tracked file must
	 * be able to ack.  The test runs privileged: no EPERM.
	 */
	want = arg > 1 ? EINVAL : arg && f->rdonly ? EBADF : 0;
	CHECK(want ? ret == -1 && errno == want : !ret,
	      "ioctl(%d, SET_WATCHER_TRACKING, %#lx) on %s: %d, errno %d (%s), want %d",
	      f->fd, arg, f->rdonly ? "O_RDONLY" : "O_RDWR", ret, errno,
	      strerror(errno), want);
	if (!ret)
		f->tracked = arg != 0;
}

/* A tracked file of ours that we know did not ack holds up every overseer. */
static int outdated_tracked(struct worker *w)
{
	int i;

	for (i = 0; i < w->nr_files; i++)
		if (w->files[i].outdated && w->files[i].tracked == 1)
			return w->files[i].fd;
	return -1;
}

static void op_wait(struct worker *w)
{
	/* Safe only for an outdated caller, which must get EINTR at once. */
	static const unsigned long huge[] = {
		0, ULONG_MAX, 1UL << 63, LLONG_MAX / NSEC_PER_MSEC,
		LLONG_MAX / NSEC_PER_MSEC - 1,
	};
	struct pollfd pfd = { .events = POLLIN };
	struct ctx *c = &w->c;
	struct wfile *f = pick_file(w);
	bool known_outdated;
	unsigned long ms;
	__u64 t0, t1;
	int ret, err, holder;

	if (!f)
		return;
	known_outdated = f->outdated;
	holder = outdated_tracked(w);
	if (known_outdated && chance(c, 50))
		ms = huge[rnd_below(c, ARRAY_SIZE(huge))];
	else
		ms = 1 + rnd_below(c, MAX_WAIT_MS);

	t0 = now_ns();
	ret = ioctl(f->fd, SYSGENID_WAIT_WATCHERS, ms);
	err = errno;
	t1 = now_ns();
	count(c, CAT_WAIT);
	c->outcomes[known_outdated ? OUT_WAIT_OUTDATED :
		    !ret ? OUT_WAIT_0 :
		    err == ETIME ? OUT_WAIT_ETIME : OUT_WAIT_EINTR]++;

	if (!ret) {
		CHECK(!known_outdated,
		      "WAIT_WATCHERS(%d, %lu ms) returned 0 to a caller that did not ack",
		      f->fd, ms);
		CHECK(holder < 0,
		      "WAIT_WATCHERS(%d, %lu ms) returned 0 while fd %d is tracked and did not ack",
		      f->fd, ms, holder);
		return;
	}
	if (err == ETIME) {
		CHECK(!known_outdated,
		      "WAIT_WATCHERS(%d, %lu ms): ETIME to a caller that did not ack",
		      f->fd, ms);
		CHECK(t1 - t0 >= ms * NSEC_PER_MSEC,
		      "WAIT_WATCHERS(%d, %lu ms): ETIME after %llu us",
		      f->fd, ms, (unsigned long long)(t1 - t0) / 1000);
		return;
	}
	if (err != EINTR) {
		report(FAIL_CONTRACT, "WAIT_WATCHERS(%d, %lu ms): errno %d (%s)",
		       f->fd, ms, err, strerror(err));
		return;
	}
	if (known_outdated) {
		CHECK(t1 - t0 < (__u64)PROMPT_MS * NSEC_PER_MSEC,
		      "WAIT_WATCHERS(%d, %lu ms) of an outdated caller took %llu ms",
		      f->fd, ms, (unsigned long long)(t1 - t0) / NSEC_PER_MSEC);
		return;
	}
	/* No signal is aimed at us here: EINTR means we are outdated now. */
	pfd.fd = f->fd;
	ret = poll(&pfd, 1, 0);
	count(c, CAT_POLL);
	CHECK(ret == 1,
	      "WAIT_WATCHERS(%d, %lu ms): EINTR but the caller is up to date",
	      f->fd, ms);
	if (ret == 1)
		f->outdated = true;
}

static void op_trigger(struct worker *w)
{
	struct wfile *f = pick_file(w);
	__u64 cur;

	if (f && gen_get(&w->c, f->fd, &cur))
		trigger(&w->c, f->fd, trigger_arg(&w->c, cur));
}

static void op_get(struct worker *w)
{
	struct wfile *f = pick_file(w);

	if (f)
		do_get(&w->c, f->fd);
}

static void op_bad_ioctl(struct worker *w)
{
	struct wfile *f = pick_file(w);

	if (f)
		do_bad_ioctl(&w->c, f->fd);
}

static void op_mmap(struct worker *w)
{
	static const int prots[] = { PROT_READ, PROT_READ, PROT_READ, PROT_NONE,
				     PROT_WRITE, PROT_EXEC };
	static const int all_flags[] = { MAP_SHARED, MAP_PRIVATE,
					 MAP_SHARED_VALIDATE };
	struct ctx *c = &w->c;
	struct wfile *f = pick_file(w);
	size_t lens[] = { 1, page_size, page_size, page_size - 1,
			  page_size + 1, 2 * page_size };
	int prot, flags, i;
	const void *p;
	size_t len;
	off_t off;

	if (!f)
		return;
	prot = chance(c, 50) ? prots[rnd_below(c, ARRAY_SIZE(prots))] :
			       (int)rnd_below(c, 8);
	flags = all_flags[rnd_below(c, ARRAY_SIZE(all_flags))];
	len = lens[rnd_below(c, ARRAY_SIZE(lens))];
	switch (rnd_below(c, 8)) {
	case 0:
		off = page_size;
		break;
	case 1:
		off = (off_t)(1 + rnd_below(c, 1 << 20)) * page_size;
		break;
	case 2:
		off = 1 + rnd_below(c, 1 << 30);
		break;
	default:
		off = 0;
		break;
	}
	p = try_mmap(c, f->fd, f->rdonly, prot, flags, off, len);
	if (!p)
		return;
	if (w->nr_maps == MAX_MAPS) {
		i = rnd_below(c, MAX_MAPS);
		CHECK(!munmap((void *)w->maps[i].page, page_size),
		      "munmap: errno %d", errno);
		count(c, CAT_MUNMAP);
		w->maps[i] = w->maps[--w->nr_maps];
	}
	w->maps[w->nr_maps++] = (struct wmap){ .page = p, .prot = prot };
}

static void op_mprotect(struct worker *w)
{
	struct wmap *m;

	if (!w->nr_maps) {
		op_mmap(w);
		return;
	}
	m = &w->maps[rnd_below(&w->c, w->nr_maps)];
	try_mprotect(&w->c, m->page, &m->prot, rnd_below(&w->c, 8));
}

static void op_unmap(struct worker *w)
{
	struct ctx *c = &w->c;
	struct wmap *m;
	int i, ret;

	if (!w->nr_maps) {
		op_mmap(w);
		return;
	}
	i = rnd_below(c, w->nr_maps);
	m = &w->maps[i];
	if (chance(c, 50)) {
		/* The page must fault back in. */
		ret = madvise((void *)m->page, page_size, MADV_DONTNEED);
		count(c, CAT_MUNMAP);
		CHECK(!ret, "madvise(DONTNEED): errno %d (%s)", errno,
		      strerror(errno));
		if (m->prot & PROT_READ)
			check_page(c, m->page, "page after MADV_DONTNEED", false);
		return;
	}
	ret = munmap((void *)m->page, page_size);
	count(c, CAT_MUNMAP);
	CHECK(!ret, "munmap: errno %d (%s)", errno, strerror(errno));
	w->maps[i] = w->maps[--w->nr_maps];
}

static void op_page(struct worker *w)
{
	int i;

	for (i = 0; i < w->nr_maps; i++) {
		if (w->maps[i].prot & PROT_READ) {
			check_page(&w->c, w->maps[i].page, "mmap page", false);
			return;
		}
	}
	check_vdso(&w->c);
}

static void worker_step(struct worker *w);

/* The child works on the forking thread's files and mappings, then exits. */
static void child_main(struct worker *w)
{
	__u64 before = 0, after = 0;
	int i;

	w->in_child = true;
	alarm(CHILD_ALARM_S);
	for (i = 0; i < NR_SYSCALL_CATS; i++)
		before += w->c.ops[i];
	for (i = 0; i < CHILD_OPS; i++)
		worker_step(w);
	for (i = 0; i < NR_SYSCALL_CATS; i++)
		after += w->c.ops[i];
	__atomic_add_fetch(&shared->child_ops, after - before, __ATOMIC_RELAXED);
	_exit(0);
}

static void op_fork(struct worker *w)
{
	int status, i;
	pid_t pid;

	pid = fork();
	count(&w->c, CAT_FORK);
	if (pid < 0) {
		report(FAIL_CONTRACT, "fork: errno %d (%s)", errno, strerror(errno));
		return;
	}
	/* A different stream for the child, so it does not replay ours. */
	if (!pid) {
		w->c.rng ^= 0x5851f42d4c957f2dULL;
		child_main(w);
	}
	rnd64(&w->c);

	if (waitpid(pid, &status, 0) != pid)
		report(FAIL_CONTRACT, "waitpid(%d): errno %d", pid, errno);
	else
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "child %d: status %#x%s", pid, status,
		      WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ?
		      " (hung)" : "");
	/* It may have acked our files or changed their tracking. */
	for (i = 0; i < w->nr_files; i++) {
		w->files[i].outdated = false;
		w->files[i].tracked = -1;
	}
}

struct blocker {
	int fd;
	int kind;		/* 0: read, 1: poll, 2: WAIT_WATCHERS */
	pid_t tid;
	int ready, done;
	long ret;
	int err;
	__u32 val;
	short revents;
	__u64 floor;
};

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	timer_t timer;
	bool timed;

	b->tid = gettid_();
	/* A read that no bump wakes must not hang the test. */
	timed = b->kind == 0 && !thread_timer(&timer, SIGUSR1);
	if (timed)
		arm(timer, BLOCKED_MAX_MS * NSEC_PER_MSEC);
	__atomic_store_n(&b->ready, 1, __ATOMIC_RELEASE);
	switch (b->kind) {
	case 0:
		b->ret = read(b->fd, &b->val, sizeof(b->val));
		break;
	case 1:
		b->ret = poll(&pfd, 1, 50);
		break;
	default:
		b->ret = ioctl(b->fd, SYSGENID_WAIT_WATCHERS, 1 + MAX_WAIT_MS);
		break;
	}
	b->err = errno;
	b->revents = pfd.revents;
	if (timed)
		timer_delete(timer);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* True once @b is inside its blocking system call (or done). */
static bool blocker_blocked(struct blocker *b)
{
	char path[64], buf[64];
	ssize_t n;
	long nr;
	int fd;

	if (__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
		return true;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", b->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "running", or the number of the system call it sleeps in. */
	nr = strtol(buf, NULL, 10);
	if (buf[0] == 'r')
		return false;
#ifdef SYS_poll		/* not on arm64: glibc's poll() is ppoll there */
	if (nr == SYS_poll)
		return true;
#endif
	return nr == SYS_read || nr == SYS_ppoll || nr == SYS_ioctl;
}

/*
 * Close a file while another thread is blocked on it: the blocked call
 * holds its own reference and ends as it would have, on the next bump.
 */
static void op_blocked_close(struct worker *w)
{
	struct ctx *c = &w->c;
	struct blocker b = { .kind = rnd_below(c, 3) };
	pthread_t thread;
	bool blocked = false;
	__u64 deadline;
	int ret;

	b.fd = open(SYSGENID_DEV, O_RDWR | O_CLOEXEC);
	count(c, CAT_OPEN);
	if (b.fd < 0) {
		report(FAIL_CONTRACT, "open: errno %d (%s)", errno, strerror(errno));
		return;
	}
	b.floor = view_floor(VIEW_KERNEL);
	if (pthread_create(&thread, NULL, blocker_main, &b)) {
		close(b.fd);
		count(c, CAT_CLOSE);
		return;
	}
	while (!__atomic_load_n(&b.ready, __ATOMIC_ACQUIRE))
		sched_yield();
	deadline = now_ns() + BLOCKED_MAX_MS * NSEC_PER_MSEC;
	while (!blocked && now_ns() < deadline) {
		blocked = blocker_blocked(&b);
		if (!blocked)
			sleep_ns(100000);
	}
	ret = close(b.fd);
	count(c, CAT_CLOSE);
	CHECK(!ret, "close(%d) under a blocked task: errno %d", b.fd, errno);
	pthread_join(thread, NULL);
	count(c, CAT_BLOCKED_CLOSE);
	if (!blocked)
		report(FAIL_CONTRACT, "helper never blocked on fd %d", b.fd);

	switch (b.kind) {
	case 0:
		if (b.ret == GEN32_SIZE)
			observe32(VIEW_KERNEL, b.floor, b.val, "read() vs close");
		else
			report(FAIL_CONTRACT,
			       "blocked read(%d) vs close: %ld errno %d (%s)%s",
			       b.fd, b.ret, b.err, strerror(b.err),
			       b.err == EINTR ? ": no bump woke it" : "");
		break;
	case 1:
		CHECK(b.ret == 0 || (b.ret == 1 &&
				     (b.revents == (POLLIN | POLLRDNORM) ||
				      b.revents == POLLIN || b.revents == POLLNVAL)),
		      "blocked poll(%d) vs close: %ld revents %#x errno %d",
		      b.fd, b.ret, b.revents, b.err);
		break;
	default:
		CHECK(!b.ret || errno_in(b.err, ERRS(ETIME, EINTR)),
		      "blocked WAIT_WATCHERS(%d) vs close: %ld errno %d (%s)",
		      b.fd, b.ret, b.err, strerror(b.err));
		break;
	}
}

static const struct {
	void (*fn)(struct worker *w);
	unsigned int weight;
	bool in_child;
} ops[] = {
	/*
	 * Opening, mapping and forking cost 10-100 times what the rest does
	 * under TCG (TLB shootdowns between vCPUs), more with KASAN: rarer.
	 */
	{ op_open,		 80, true },
	{ op_close,		 80, true },
	{ op_read,		800, true },
	{ op_write,		720, true },
	{ op_poll,		320, true },
	{ op_epoll,		 12, true },
	{ op_get,		320, true },
	{ op_track,		160, true },
	{ op_wait,		100, true },
	{ op_trigger,		  4, true },
	{ op_bad_ioctl,		320, true },
	{ op_mmap,		 32, true },
	{ op_mprotect,		 24, true },
	{ op_unmap,		 16, true },
	{ op_page,		 80, true },
	{ op_fork,		  1, false },
	{ op_blocked_close,	  2, false },
};

static unsigned int ops_weight(void)
{
	unsigned int i, total = 0;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	return total;
}

static void worker_step(struct worker *w)
{
	unsigned int i, r;

	for (;;) {
		r = rnd_below(&w->c, ops_weight());
		for (i = 0; r >= ops[i].weight; i++)
			r -= ops[i].weight;
		if (!w->in_child || ops[i].in_child)
			break;
	}
	ops[i].fn(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	__atomic_store_n(&w->tid, gettid_(), __ATOMIC_RELAXED);
	if (thread_timer(&w->intr_timer, SIGUSR1) ||
	    thread_timer(&w->restart_timer, SIGUSR2)) {
		report(FAIL_CONTRACT, "timer_create: errno %d", errno);
		return NULL;
	}
	while (!__atomic_load_n(&stop_workers, __ATOMIC_RELAXED))
		worker_step(w);
	timer_delete(w->intr_timer);
	timer_delete(w->restart_timer);
	return NULL;
}

/*
 * Once nothing triggers any more: what a worker left open goes, and every
 * close of a tracked file must settle the count of outdated ones.  A count
 * that drifted would survive to the end (no bump resets it now) and hold
 * up the last WAIT_WATCHERS in test_clean_state().
 */
static void worker_cleanup(struct worker *w)
{
	while (w->nr_maps) {
		CHECK(!munmap((void *)w->maps[--w->nr_maps].page, page_size),
		      "munmap: errno %d", errno);
		count(&w->c, CAT_MUNMAP);
	}
	while (w->nr_files)
		op_close_idx(w, w->nr_files - 1);
}

/* Where a worker that makes no progress is stuck, from /proc. */
static void print_stuck(const struct worker *w)
{
	static const char *const what[] = { "syscall", "wchan", "stack" };
	char path[64], buf[2048];
	unsigned int i;
	ssize_t len;
	int fd;

	for (i = 0; i < ARRAY_SIZE(what); i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/%s", w->tid, what[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len > 0) {
			buf[len] = '\0';
			ksft_print_msg("worker %d (tid %d) %s: %s%s", w->id, w->tid, what[i],
				       buf, buf[len - 1] == '\n' ? "" : "\n");
		}
	}
}

/*
 * Bumps keep coming, so that every blocked read ends, in storms that keep
 * files outdated and calm spells in which acks stick and waits time out.
 */
static void *trigger_main(void *arg)
{
	struct ctx *c = arg;
	__u64 cur, end;
	int fd;

	fd = open(SYSGENID_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report(FAIL_CONTRACT, "open: errno %d (%s)", errno, strerror(errno));
		return NULL;
	}
	while (!__atomic_load_n(&stop_background, __ATOMIC_RELAXED)) {
		if (chance(c, 50)) {
			sleep_ns((CALM_MS / 2 + rnd_below(c, CALM_MS)) * NSEC_PER_MSEC);
			if (gen_get(c, fd, &cur))
				trigger(c, fd, trigger_arg(c, cur));
			continue;
		}
		end = now_ns() + STORM_MS * NSEC_PER_MSEC;
		while (now_ns() < end) {
			if (gen_get(c, fd, &cur))
				trigger(c, fd, trigger_arg(c, cur));
			if (chance(c, 80))
				sleep_ns(rnd_below(c, 1000) * 1000L);
		}
	}
	close(fd);
	count(c, CAT_CLOSE);
	return NULL;
}

/*
 * Watch the lock-free views without a system call, in batches: each sleep
 * between them costs more than the batch under a debug kernel.
 */
static void *reader_main(void *arg)
{
	struct ctx *c = arg;
	const struct sysgenid_page *page;
	__u64 gen;
	int fd, i;

	fd = open(SYSGENID_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report(FAIL_CONTRACT, "open: errno %d (%s)", errno, strerror(errno));
		return NULL;
	}
	page = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	count(c, CAT_MMAP);
	if (page == MAP_FAILED) {
		report(FAIL_CONTRACT, "mmap: errno %d (%s)", errno, strerror(errno));
		close(fd);
		return NULL;
	}
	while (!__atomic_load_n(&stop_background, __ATOMIC_RELAXED)) {
		for (i = 0; i < 128; i++) {
			check_vdso(c);
			check_page(c, page, "reader page", false);
		}
		gen_get(c, fd, &gen);
		sleep_ns(NSEC_PER_MSEC);
	}
	munmap((void *)page, page_size);
	count(c, CAT_MUNMAP);
	close(fd);
	count(c, CAT_CLOSE);
	return NULL;
}

/* Every prot, flags, offset and length once, and mprotect on what maps. */
static void sweep_mmap(struct ctx *c)
{
	static const int all_flags[] = { MAP_SHARED, MAP_PRIVATE,
					 MAP_SHARED_VALIDATE };
	size_t lens[] = { 1, page_size - 1, page_size, page_size + 1,
			  2 * page_size };
	off_t offs[] = { 0, page_size, 4242 * page_size, 123 };
	const int nf = ARRAY_SIZE(all_flags), no = ARRAY_SIZE(offs);
	const int nl = ARRAY_SIZE(lens);
	int ro, prot, k, np, fd, cur;
	const void *p;

	for (ro = 0; ro < 2; ro++) {
		fd = open(SYSGENID_DEV, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		count(c, CAT_OPEN);
		if (fd < 0) {
			report(FAIL_CONTRACT, "open: errno %d", errno);
			return;
		}
		for (k = 0; k < 8 * nf * no * nl; k++) {
			prot = k % 8;
			p = try_mmap(c, fd, ro, prot, all_flags[k / 8 % nf],
				     offs[k / 8 / nf % no], lens[k / 8 / nf / no]);
			if (!p)
				continue;
			cur = prot;
			for (np = 0; np < 8; np++)
				try_mprotect(c, p, &cur, np);
			munmap((void *)p, page_size);
			count(c, CAT_MUNMAP);
		}
		close(fd);
		count(c, CAT_CLOSE);
	}
}

static __u64 worker_ops(struct worker *w)
{
	__u64 sum = 0;
	int j;

	for (j = 0; j < NR_SYSCALL_CATS; j++)
		sum += __atomic_load_n(&w->c.ops[j], __ATOMIC_RELAXED);
	return sum;
}

static __u64 total_ops(void)
{
	struct ctx *all[NR_WORKERS + 3] = { &main_ctx, &trigger_ctx, &reader_ctx };
	__u64 sum = __atomic_load_n(&shared->child_ops, __ATOMIC_RELAXED);
	int i, j;

	for (i = 0; i < NR_WORKERS; i++)
		all[3 + i] = &workers[i].c;
	for (i = 0; i < (int)ARRAY_SIZE(all); i++)
		for (j = 0; j < NR_SYSCALL_CATS; j++)
			sum += __atomic_load_n(&all[i]->ops[j], __ATOMIC_RELAXED);
	return sum;
}

static void print_counts(void)
{
	struct ctx *all[NR_WORKERS + 3] = { &main_ctx, &trigger_ctx, &reader_ctx };
	__u64 sum;
	int i, j;

	for (i = 0; i < NR_WORKERS; i++)
		all[3 + i] = &workers[i].c;
	for (j = 0; j < NR_CATS; j++) {
		sum = j == CAT_CHILD ? shared->child_ops : 0;
		for (i = 0; i < (int)ARRAY_SIZE(all); i++)
			sum += all[i]->ops[j];
		ksft_print_msg("  %-28s %llu\n", cat_name[j],
			       (unsigned long long)sum);
	}
	ksft_print_msg("outcomes (not counting children):\n");
	for (j = 0; j < NR_OUTCOMES; j++) {
		for (i = 0, sum = 0; i < (int)ARRAY_SIZE(all); i++)
			sum += all[i]->outcomes[j];
		ksft_print_msg("  %-28s %llu\n", outcome_name[j],
			       (unsigned long long)sum);
	}
}

/* ---------------------------------------------------------------------- */
/* The end: with every other task stopped, nothing may be left behind.     */

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n - 1;	/* the directory's own */
}

static bool test_clean_state(int fds_at_start)
{
	int fd, n;

	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		report(FAIL_CLEAN, "a child is left");
	n = count_fds();
	if (n != fds_at_start)
		report(FAIL_CLEAN, "%d open files at the end, %d at the start",
		       n, fds_at_start);
	fd = open(SYSGENID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		report(FAIL_CLEAN, "open: %s", strerror(errno));
	} else {
		/* A fresh file is current: only a file left behind can block. */
		if (ioctl(fd, SYSGENID_WAIT_WATCHERS, (unsigned long)PROMPT_MS))
			report(FAIL_CLEAN, "WAIT_WATCHERS: %s: %s", strerror(errno),
			       "an outdated tracked file is left behind");
		close(fd);
	}
	return !shared->fails[FAIL_CLEAN];
}

static __u64 env_or(const char *name, __u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t trigger_thread, reader_thread;
	__u64 max_s, min_s, target, start, elapsed, next_report, total, gen;
	__u64 last_ops[NR_WORKERS] = { 0 }, last_progress[NR_WORKERS];
	__u64 stalled_s = 0, ops;
	bool require;
	int stalled = -1;
	int fd, fds_at_start, i;
	unsigned long ehdr;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
			  env_or("SYSGENID_STRESS_SEED", now_ns() ^ getpid());
	max_s = env_or("SYSGENID_STRESS_SECONDS", DEFAULT_MAX_S);
	min_s = env_or("SYSGENID_STRESS_MIN_SECONDS", DEFAULT_MIN_S);
	target = env_or("SYSGENID_STRESS_OPS", DEFAULT_OPS);
	require = env_or("SYSGENID_STRESS_REQUIRE_OPS", 0);
	if (min_s > max_s)
		min_s = max_s;

	ksft_print_header();
	ksft_print_msg("seed: %llu\n", (unsigned long long)seed);
	fds_at_start = count_fds();
	page_size = sysconf(_SC_PAGESIZE);

	fd = open(SYSGENID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		ksft_exit_skip(SYSGENID_DEV " is missing (CONFIG_SYSGENID=n?)\n");
	if (fd < 0)
		ksft_exit_fail_msg("open " SYSGENID_DEV ": %s\n", strerror(errno));
	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
		ksft_exit_fail_msg("GET_GENERATION: %s\n", strerror(errno));
	if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, 0)) {
		if (errno == EACCES)
			ksft_exit_skip("needs CAP_CHECKPOINT_RESTORE to trigger new generations\n");
		ksft_exit_fail_msg("TRIGGER_GEN_UPDATE: %s\n", strerror(errno));
	}
	/*
	 * The end check and the workers' own WAIT_WATCHERS checks count on
	 * knowing every tracked file: one of another program that does not
	 * acknowledge would fail them, not the kernel.
	 * A file of our own is current after an ack, so this returns at once
	 * when there is none.
	 */
	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen) == 0) {
		__u32 gen32 = (__u32)gen;

		if (write(fd, &gen32, sizeof(gen32)) == sizeof(gen32) &&
		    ioctl(fd, SYSGENID_WAIT_WATCHERS, 5000UL) == -1 && errno == ETIME)
			ksft_exit_skip("%s\n",
				       "a tracked file of another program has not acknowledged for 5 s: WAIT_WATCHERS results would be its doing");
	}
	/* Untracked: closing it leaves nothing outdated behind. */
	close(fd);

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (shared == MAP_FAILED || ro_page == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);

	ehdr = getauxval(AT_SYSINFO_EHDR);
	if (ehdr) {
		vdso_init_from_sysinfo_ehdr(ehdr);
#ifdef SYSGENID_VDSO_GETTER
		vdso_get = (__u64 (*)(void))vdso_sym(SYSGENID_VDSO_VERSION,
						     SYSGENID_VDSO_GETTER);
#endif
	}
	if (!vdso_get)
		ksft_print_msg("no vDSO getter: checking the other views only\n");

	ksft_print_msg("%d workers, target %llu ops (%s) in at least %llu s, at most %llu s\n",
		       NR_WORKERS, (unsigned long long)target,
		       require ? "required" : "reported", (unsigned long long)min_s,
		       (unsigned long long)max_s);
	ksft_set_plan(5);

	ctx_init(&main_ctx, 0);
	ctx_init(&trigger_ctx, 1);
	ctx_init(&reader_ctx, 2);
	start = now_ns();
	for (i = 0; i < NR_WORKERS; i++)
		last_progress[i] = start;
	sweep_mmap(&main_ctx);

	fflush(stdout);
	if (pthread_create(&reader_thread, NULL, reader_main, &reader_ctx) ||
	    pthread_create(&trigger_thread, NULL, trigger_main, &trigger_ctx))
		ksft_exit_fail_msg("pthread_create failed\n");
	for (i = 0; i < NR_WORKERS; i++) {
		workers[i].id = i;
		ctx_init(&workers[i].c, 3 + i);
		if (pthread_create(&workers[i].thread, NULL, worker_main,
				   &workers[i]))
			ksft_exit_fail_msg("pthread_create failed\n");
	}

	next_report = 10;
	for (;;) {
		sleep_ns(50 * NSEC_PER_MSEC);
		elapsed = now_ns() - start;
		total = total_ops();
		for (i = 0; i < NR_WORKERS; i++) {
			ops = worker_ops(&workers[i]);
			if (ops != last_ops[i]) {
				last_ops[i] = ops;
				last_progress[i] = start + elapsed;
			} else if (stalled < 0 &&
				   start + elapsed - last_progress[i] >=
				   STALL_S * 1000000000ULL) {
				stalled = i;
				stalled_s = elapsed / 1000000000ULL;
			}
		}
		if (total >= target && elapsed >= min_s * 1000000000ULL)
			break;
		if (elapsed >= max_s * 1000000000ULL)
			break;
		if (elapsed >= next_report * 1000000000ULL) {
			ksft_print_msg("%llu s: %llu ops\n",
				       (unsigned long long)next_report,
				       (unsigned long long)total);
			next_report += 10;
		}
	}
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	if (stalled >= 0) {
		/* Joining a thread stuck in the kernel would hang: report it. */
		print_stuck(&workers[stalled]);
	} else {
		/* Bumps end blocked reads until every worker is out. */
		for (i = 0; i < NR_WORKERS; i++)
			pthread_join(workers[i].thread, NULL);
		__atomic_store_n(&stop_background, 1, __ATOMIC_RELAXED);
		pthread_join(trigger_thread, NULL);
		pthread_join(reader_thread, NULL);
		for (i = 0; i < NR_WORKERS; i++)
			worker_cleanup(&workers[i]);
	}
	elapsed = now_ns() - start;
	total = total_ops();

	ksft_print_msg("%llu ops in %llu.%03llu s (%llu ops/s), generation %llu\n",
		       (unsigned long long)total,
		       (unsigned long long)elapsed / 1000000000ULL,
		       (unsigned long long)elapsed / 1000000ULL % 1000,
		       (unsigned long long)(total * 1000000000ULL / elapsed),
		       (unsigned long long)view_floor(VIEW_PAGE64));
	print_counts();

	ksft_test_result(!shared->fails[FAIL_CONTRACT], "random_ops_contract\n");
	ksft_test_result(!shared->fails[FAIL_MONOTONIC], "monotonic_generation\n");
	if (stalled >= 0)
		ksft_print_msg("worker %d completed nothing for %d s (at %llu s)\n",
			       stalled, STALL_S, (unsigned long long)stalled_s);
	ksft_test_result(stalled < 0, "workers_progress\n");
	if (total < target)
		ksft_print_msg("%llu of %llu ops in the %llu s budget (%llu ops/s)%s\n",
			       (unsigned long long)total,
			       (unsigned long long)target,
			       (unsigned long long)max_s,
			       (unsigned long long)(total * 1000000000ULL / elapsed),
			       require ? "" : "; SYSGENID_STRESS_REQUIRE_OPS=1 fails here");
	if (total >= target)
		ksft_test_result_pass("operation_target\n");
	else if (require)
		ksft_test_result_fail("operation_target\n");
	else
		ksft_test_result_skip("operation_target: not reached on this machine\n");
	if (stalled >= 0)
		ksft_test_result_skip("clean_state: a worker is still stuck\n");
	else
		ksft_test_result(test_clean_state(fds_at_start), "clean_state\n");
	for (i = 0; i < NR_FAIL_KINDS; i++)
		if (shared->fails[i])
			ksft_print_msg("%u %s failures\n", shared->fails[i],
				       fail_name[i]);
	if (ksft_get_fail_cnt())
		ksft_print_msg("replay with seed %llu\n", (unsigned long long)seed);
	ksft_finished();
}
