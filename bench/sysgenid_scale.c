// SPDX-License-Identifier: GPL-2.0
/*
 * sysgenid-scale: how the watcher protocol of /dev/sysgenid grows with the
 * number of tracked watchers, in time and in kernel memory.
 *
 * sysgenid-scale watchers [-r REPS] [-T THREADS] N...
 *	For each N: one process opens N tracked descriptors, THREADS event
 *	loops (one epoll instance each, descriptors dealt out round robin)
 *	read and acknowledge whichever becomes ready.  An overseer on an
 *	untracked descriptor triggers a new generation, acknowledges its own
 *	descriptor (SYSGENID_WAIT_WATCHERS refuses an outdated caller) and
 *	waits for the watchers.  Timed: trigger to WAIT_WATCHERS returning 0.
 *	One untimed round first, then REPS timed ones.
 *
 * sysgenid-scale memory [-r REPS] N
 *	Free memory and Slab (/proc/meminfo, settled) around opening, one set
 *	after the other and all kept open, N descriptors of /dev/null (struct
 *	file alone), N of /dev/sysgenid with tracking on (struct file plus the
 *	driver's per-file data), and adding those N to an epoll instance.  The
 *	fd table is grown first and measured on its own, so that no phase
 *	pays for it.
 *
 * Output: one JSON object per line on stdout.  Needs root (the trigger)
 * and a system where nothing else tracks watchers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include "bench.h"

#define DEV		"/dev/sysgenid"

enum {
	MAX_REPS	= 64,
	MAX_THREADS	= 16,
	EVENTS		= 256,
	WAIT_MS		= 60000,	/* WAIT_WATCHERS timeout: a hang is a failure */
	SETTLE_US	= 20000,
	SETTLE_TRIES	= 50,		/* memory: up to 10 s for deferred frees */
	SETTLE_KB	= 16,
	SETTLE_STILL	= 3,		/* readings in a row that moved less */
	FD_SLACK	= 64,
};

struct watcher {
	pthread_t thread;
	int epfd;
	int stopfd;
	unsigned long acks;
};

static void die(const char *what)
{
	fprintf(stderr, "sysgenid-scale: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void raise_nofile(unsigned long n)
{
	struct rlimit rl = { .rlim_cur = n + FD_SLACK, .rlim_max = n + FD_SLACK };
	struct rlimit cur;

	if (getrlimit(RLIMIT_NOFILE, &cur))
		die("getrlimit");
	if (cur.rlim_cur >= rl.rlim_cur)
		return;
	if (cur.rlim_max > rl.rlim_max)
		rl.rlim_max = cur.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE");
}

static int *open_watchers(unsigned long n, int track)
{
	int *fds = calloc(n, sizeof(*fds));

	if (!fds)
		die("calloc");
	for (unsigned long i = 0; i < n; i++) {
		fds[i] = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[i] < 0)
			die("open " DEV);
		if (track && ioctl(fds[i], SYSGENID_SET_WATCHER_TRACKING, 1))
			die("SYSGENID_SET_WATCHER_TRACKING");
	}
	return fds;
}

static void close_all(int *fds, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

/* An event loop as a service would run it: read the news, acknowledge it. */
static void *watch(void *arg)
{
	struct watcher *w = arg;
	struct epoll_event ev[EVENTS];
	uint32_t gen;
	int n, i, fd;

	for (;;) {
		n = epoll_wait(w->epfd, ev, EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			fd = ev[i].data.fd;
			if (fd == w->stopfd)
				return NULL;
			/* EAGAIN: raced with nothing; EINVAL on write: moved again. */
			if (read(fd, &gen, sizeof(gen)) != sizeof(gen))
				continue;
			if (write(fd, &gen, sizeof(gen)) == sizeof(gen))
				__atomic_add_fetch(&w->acks, 1, __ATOMIC_RELAXED);
		}
	}
}

static void epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl");
}

static unsigned long total_acks(struct watcher *w, int threads)
{
	unsigned long sum = 0;

	for (int t = 0; t < threads; t++)
		sum += __atomic_load_n(&w[t].acks, __ATOMIC_RELAXED);
	return sum;
}

/* Trigger, acknowledge our own file, wait for every watcher: ns elapsed. */
static uint64_t round_ns(int ofd)
{
	uint64_t t0, t1;
	uint32_t low;
	__u64 gen;
	int ret;

	t0 = now_ns();
	if (ioctl(ofd, SYSGENID_TRIGGER_GEN_UPDATE, 0))
		die("SYSGENID_TRIGGER_GEN_UPDATE");
	if (ioctl(ofd, SYSGENID_GET_GENERATION, &gen))
		die("SYSGENID_GET_GENERATION");
	low = (uint32_t)gen;
	if (write(ofd, &low, sizeof(low)) != sizeof(low))
		die("acknowledging the overseer's file");
	ret = ioctl(ofd, SYSGENID_WAIT_WATCHERS, WAIT_MS);
	t1 = now_ns();
	if (ret)
		die("SYSGENID_WAIT_WATCHERS");
	return t1 - t0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Median of @n samples (nanoseconds or kB: long is 64 bits where this runs). */
static long median(const long *v, int n)
{
	long s[MAX_REPS];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_long);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void scale_one(unsigned long n, int reps, int threads)
{
	struct watcher w[MAX_THREADS];
	uint64_t t0, setup_ns;
	long ns[MAX_REPS], lo, hi, med;
	unsigned long want;
	int *fds, ofd, stopfd, r, t, spins;

	raise_nofile(n);
	ofd = open(DEV, O_RDWR | O_CLOEXEC);
	stopfd = eventfd(0, EFD_CLOEXEC);
	if (ofd < 0 || stopfd < 0)
		die("open overseer / eventfd");

	t0 = now_ns();
	fds = open_watchers(n, 1);
	memset(w, 0, sizeof(w));
	for (t = 0; t < threads; t++) {
		w[t].epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w[t].epfd < 0)
			die("epoll_create1");
		w[t].stopfd = stopfd;
		epoll_add(w[t].epfd, stopfd);
	}
	for (unsigned long i = 0; i < n; i++)
		epoll_add(w[i % (unsigned long)threads].epfd, fds[i]);
	setup_ns = now_ns() - t0;
	for (t = 0; t < threads; t++)
		if (pthread_create(&w[t].thread, NULL, watch, &w[t]))
			die("pthread_create");
	usleep(SETTLE_US);

	for (r = -1; r < reps; r++) {
		uint64_t d = round_ns(ofd);

		/* WAIT_WATCHERS may return before the last ack is counted here. */
		want = n * (unsigned long)(r + 2);
		for (spins = 0; total_acks(w, threads) < want && spins < 5000; spins++)
			usleep(1000);
		if (total_acks(w, threads) != want) {
			fprintf(stderr, "sysgenid-scale: %lu acks, want %lu\n",
				total_acks(w, threads), want);
			exit(1);
		}
		if (r >= 0)
			ns[r] = d;
		usleep(SETTLE_US);
	}

	if (eventfd_write(stopfd, 1))
		die("eventfd_write");
	for (t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		close(w[t].epfd);
	}
	close_all(fds, n);
	close(stopfd);
	close(ofd);

	lo = hi = ns[0];
	for (r = 0; r < reps; r++) {
		lo = ns[r] < lo ? ns[r] : lo;
		hi = ns[r] > hi ? ns[r] : hi;
	}
	med = median(ns, reps);
	printf("{\"bench\":\"scale\",\"watchers\":%lu,\"threads\":%d,\"reps\":%d,"
	       "\"total_us\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f},"
	       "\"per_watcher_us\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f},"
	       "\"setup_us\":%.1f,\"samples_us\":[",
	       n, threads, reps, med / 1e3, lo / 1e3, hi / 1e3,
	       med / 1e3 / n, lo / 1e3 / n, hi / 1e3 / n, setup_ns / 1e3);
	for (r = 0; r < reps; r++)
		printf("%s%.1f", r ? "," : "", ns[r] / 1e3);
	printf("]}\n");
	fflush(stdout);
}

struct meminfo {
	long free_kb;
	long slab_kb;
};

static long read_long_after(const char *path, const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long sum = 0, v;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (!strncmp(p, key, klen) && sscanf(p + klen, "%ld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

/*
 * Free memory as the page allocator sees it: MemFree plus the pages parked
 * on per-CPU free lists, which MemFree leaves out, with every per-CPU
 * counter folded in first (otherwise MemFree and Slab lag by up to a
 * second and a few hundred KiB).
 */
static struct meminfo meminfo_now(void)
{
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	struct meminfo m;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		die("/proc/sys/vm/stat_refresh");
	close(fd);
	m.free_kb = read_long_after("/proc/meminfo", "MemFree:") +
		    read_long_after("/proc/zoneinfo", "count:") * page_kb;
	m.slab_kb = read_long_after("/proc/meminfo", "Slab:");
	return m;
}

/*
 * Frees of the files and epoll items closed before land later, through
 * RCU callbacks that run a few at a time: wait until nothing moves.
 */
static struct meminfo meminfo(void)
{
	struct meminfo a = meminfo_now(), b;
	int still = 0;

	for (int i = 0; i < SETTLE_TRIES; i++) {
		usleep(SETTLE_US * 10);
		b = meminfo_now();
		if (labs(b.free_kb - a.free_kb) <= SETTLE_KB &&
		    labs(b.slab_kb - a.slab_kb) <= SETTLE_KB)
			still++;
		else
			still = 0;
		a = b;
		if (still == SETTLE_STILL)
			return b;
	}
	fprintf(stderr, "sysgenid-scale: memory never settled\n");
	return a;
}

enum { PH_FDTABLE, PH_DEVNULL, PH_SYSGENID, PH_EPOLL, PHASES };

static const char *const phase_name[PHASES] = {
	[PH_FDTABLE]	= "fd_table",
	[PH_DEVNULL]	= "devnull_files",
	[PH_SYSGENID]	= "sysgenid_tracked_files",
	[PH_EPOLL]	= "epoll_registration",
};

static const char *const phase_what[PHASES] = {
	[PH_FDTABLE]	= "growing the fd table for 2N more descriptors (once; per fd of 2N)",
	[PH_DEVNULL]	= "N open /dev/null: struct file, no driver data",
	[PH_SYSGENID]	= "N tracked /dev/sysgenid: struct file plus the driver's per-file data",
	[PH_EPOLL]	= "adding those N to one epoll instance: epitem and wait-queue entry",
};

static void memory(unsigned long n, int reps)
{
	long dfree[PHASES][MAX_REPS], dslab[PHASES][MAX_REPS];
	struct meminfo m[PHASES + 1];
	int *nulls, *fds, epfd, r, p, fd;

	/* Both sets are open at once: nothing is freed while measuring. */
	raise_nofile(2 * n);
	memset(dfree, 0, sizeof(dfree));
	memset(dslab, 0, sizeof(dslab));

	m[0] = meminfo();
	fd = dup2(0, (int)(2 * n) + FD_SLACK / 2);
	if (fd < 0)
		die("dup2");
	close(fd);
	m[1] = meminfo();
	dfree[PH_FDTABLE][0] = m[0].free_kb - m[1].free_kb;
	dslab[PH_FDTABLE][0] = m[1].slab_kb - m[0].slab_kb;

	for (r = 0; r < reps; r++) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		nulls = calloc(n, sizeof(*nulls));
		if (epfd < 0 || !nulls)
			die("epoll_create1 / calloc");
		m[PH_DEVNULL - 1] = meminfo();
		for (unsigned long i = 0; i < n; i++) {
			nulls[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (nulls[i] < 0)
				die("open /dev/null");
		}
		m[PH_DEVNULL] = meminfo();
		fds = open_watchers(n, 1);
		m[PH_SYSGENID] = meminfo();
		for (unsigned long i = 0; i < n; i++)
			epoll_add(epfd, fds[i]);
		m[PH_EPOLL] = meminfo();
		for (p = PH_DEVNULL; p <= PH_EPOLL; p++) {
			dfree[p][r] = m[p - 1].free_kb - m[p].free_kb;
			dslab[p][r] = m[p].slab_kb - m[p - 1].slab_kb;
		}
		close(epfd);
		close_all(fds, n);
		close_all(nulls, n);
	}

	for (p = 0; p < PHASES; p++) {
		int k = p == PH_FDTABLE ? 1 : reps;
		unsigned long per = p == PH_FDTABLE ? 2 * n : n;
		long mf = median(dfree[p], k), ms = median(dslab[p], k);

		printf("{\"bench\":\"memory\",\"phase\":\"%s\",\"what\":\"%s\",\"fds\":%lu,\"reps\":%d,"
		       "\"memfree_drop_kb\":%ld,\"slab_growth_kb\":%ld,"
		       "\"memfree_bytes_per_fd\":%.1f,\"slab_bytes_per_fd\":%.1f,\"samples_memfree_kb\":[",
		       phase_name[p], phase_what[p], per, k, mf, ms,
		       mf * 1024.0 / per, ms * 1024.0 / per);
		for (r = 0; r < k; r++)
			printf("%s%ld", r ? "," : "", dfree[p][r]);
		printf("],\"samples_slab_kb\":[");
		for (r = 0; r < k; r++)
			printf("%s%ld", r ? "," : "", dslab[p][r]);
		printf("]}\n");
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: sysgenid-scale watchers [-r REPS] [-T THREADS] N...\n"
			"       sysgenid-scale memory [-r REPS] N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int reps = 7, threads = 1, opt;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	argc--;
	argv++;
	while ((opt = getopt(argc, argv, "r:T:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (reps < 1 || reps > MAX_REPS || threads < 1 || threads > MAX_THREADS || optind >= argc)
		usage();

	if (!strcmp(cmd, "watchers")) {
		for (; optind < argc; optind++)
			scale_one(strtoul(argv[optind], NULL, 0), reps, threads);
	} else if (!strcmp(cmd, "memory")) {
		memory(strtoul(argv[optind], NULL, 0), reps);
	} else {
		usage();
	}
	return 0;
}
