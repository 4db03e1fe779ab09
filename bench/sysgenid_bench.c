// SPDX-License-Identifier: GPL-2.0
/*
 * sysgenid-bench: what one read of the system generation costs, per call,
 * next to the calls it is usually weighed against.
 *
 * Every method runs the same loop: call, add the result to a sum, compiler
 * barrier.  Each method is warmed up and its batch size calibrated to about
 * a millisecond; then REPS rounds run every method in turn (interleaved, so
 * a slow drift of the host hits all methods alike).  One repetition runs
 * batches until at least MIN_MS have passed and yields elapsed / calls.
 * The loop's own overhead (add, compare, branch) is inside every figure;
 * the raw-load baseline shows how much that is.
 *
 * Output, on stdout, one JSON object per line: a "config" line, a "check"
 * line (every path must read the same generation), then one "call" line
 * per method with ns/call median, min, max, mean and stddev over the
 * repetitions.  A method that cannot run here gets a "skipped" reason.
 *
 * -S: where neither the vDSO function nor /dev/sysgenid exists, serve
 * mmap_load, libfast_changed and libfast_get from a stand-in page of
 * ordinary memory (libsysgenid's own test hook makes it its mmap backend),
 * so that a host without the SysGenID kernel shows what the same
 * instructions cost on bare hardware.  libfast_get then ends in the mmap
 * backend's load instead of the vDSO function (which adds a compare and a
 * branch).
 *
 * usage: sysgenid-bench [-S] [-t MIN_MS] [-r REPS] [-w WARMUP_MS] [METHOD...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include <sysgenid/sysgenid.h>

#include "bench.h"
#include "internal.h"	/* sysgenid__test_use_page(), for -S only */
#include "../libfast/tests/vdso_names.h"	/* the vDSO's getrandom, per architecture */

#define DEV		"/dev/sysgenid"

/* The vDSO functions measured, by this architecture's names. */
#ifdef SYSGENID_VDSO_GETTER
#define VDSO_GETTER	SYSGENID_VDSO_GETTER
#define NO_GETTER	"no " SYSGENID_VDSO_GETTER "@" SYSGENID_VDSO_VERSION " in the vDSO"
#else
#define VDSO_GETTER	"the vDSO getter"
#define NO_GETTER	"no vDSO getter on this architecture"
#endif
#ifdef TEST_VDSO_GETRANDOM
#define VDSO_GETRANDOM	TEST_VDSO_GETRANDOM
#define NO_GETRANDOM	"no usable " TEST_VDSO_GETRANDOM "@" TEST_VDSO_VERSION
#else
#define VDSO_GETRANDOM	"the vDSO getrandom"
#define NO_GETRANDOM	"no vDSO getrandom on this architecture"
#endif

enum {
	MAX_REPS	= 64,
	BATCH_MIN	= 256,
	BATCH_NS	= 1000000,	/* calibrate a batch to about 1 ms */
};

/* The layout the vDSO's getrandom reports when asked with opaque_len ~0UL. */
struct vgetrandom_params {
	uint32_t size_of_opaque_state;
	uint32_t mmap_prot;
	uint32_t mmap_flags;
	uint32_t reserved[13];
};

typedef uint64_t (*sysgenid_get_fn)(void);
typedef ssize_t (*vgetrandom_fn)(void *buf, size_t len, unsigned int flags,
				 void *opaque_state, size_t opaque_len);

static sysgenid_get_fn vdso_sysgenid_get;
static vgetrandom_fn vdso_getrandom;
static void *rng_state;
static size_t rng_state_len;
static const struct sysgenid_page *page;
static struct sysgenid_cookie cookie;
static struct sysgenid_rng rng;
static int rng_ok;
static int fd_ioctl = -1;
static int fd_nonblock = -1;
static struct sysgenid_page stand_in_page;
static int stand_in;
static volatile uint64_t sink;

static inline uint64_t call_raw_load(void)
{
	return bench_word;
}

static inline uint64_t call_ool_load(void)
{
	return bench_ool_load();
}

static inline uint64_t call_mmap_load(void)
{
	return __atomic_load_n(&page->generation, __ATOMIC_RELAXED);
}

static inline uint64_t call_libfast_changed(void)
{
	return sysgenid_changed(&cookie);
}

static inline uint64_t call_vdso_raw(void)
{
	return vdso_sysgenid_get();
}

static inline uint64_t call_libfast_get(void)
{
	return sysgenid_vdso_get();
}

static inline uint64_t call_clock_gettime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec;
}

static inline uint64_t call_vdso_getrandom(void)
{
	uint32_t v = 0;

	vdso_getrandom(&v, sizeof(v), 0, rng_state, rng_state_len);
	return v;
}

/*
 * Generators side by side, @n bytes per call: the vDSO's, the library's,
 * the library's with its generation check compiled out, the system call.
 * (4 bytes of the vDSO's is the older method vdso_getrandom above.)
 */
#define CALL_INTO(name, n, ...)						\
static inline uint64_t call_##name##_##n(void)				\
{									\
	uint8_t v[n];							\
									\
	__VA_ARGS__;							\
	return v[0];							\
}
#define DEFINE_GENERATORS(n)						\
	CALL_INTO(vdso_getrandom, n, vdso_getrandom(v, n, 0, rng_state, rng_state_len)) \
	CALL_INTO(rng, n, sysgenid_rng_bytes(&rng, v, n))		\
	CALL_INTO(rng_nocheck, n, sysgenid__rng_bytes_unchecked(&rng, v, n)) \
	CALL_INTO(getrandom, n, syscall(SYS_getrandom, v, n, 0))
DEFINE_GENERATORS(4)
DEFINE_GENERATORS(16)
DEFINE_GENERATORS(64)

static inline uint64_t call_getppid(void)
{
	return (uint64_t)getppid();
}

static inline uint64_t call_read_eagain(void)
{
	uint32_t v;

	return (uint64_t)read(fd_nonblock, &v, sizeof(v));
}

static inline uint64_t call_ioctl(void)
{
	__u64 v = 0;

	ioctl(fd_ioctl, SYSGENID_GET_GENERATION, &v);
	return v;
}

/* The one loop every method runs; only the call inside differs. */
#define DEFINE_LOOP(name)						\
static __attribute__((noinline)) uint64_t loop_##name(uint64_t n)	\
{									\
	uint64_t sum = 0;						\
									\
	for (uint64_t i = 0; i < n; i++) {				\
		sum += call_##name();					\
		barrier();						\
	}								\
	return sum;							\
}

DEFINE_LOOP(raw_load)
DEFINE_LOOP(ool_load)
DEFINE_LOOP(mmap_load)
DEFINE_LOOP(libfast_changed)
DEFINE_LOOP(vdso_raw)
DEFINE_LOOP(libfast_get)
DEFINE_LOOP(clock_gettime)
DEFINE_LOOP(vdso_getrandom)
DEFINE_LOOP(vdso_getrandom_16)
DEFINE_LOOP(vdso_getrandom_64)
DEFINE_LOOP(rng_4)
DEFINE_LOOP(rng_nocheck_4)
DEFINE_LOOP(rng_16)
DEFINE_LOOP(rng_64)
DEFINE_LOOP(rng_nocheck_16)
DEFINE_LOOP(rng_nocheck_64)
DEFINE_LOOP(getrandom_4)
DEFINE_LOOP(getrandom_16)
DEFINE_LOOP(getrandom_64)
DEFINE_LOOP(getppid)
DEFINE_LOOP(read_eagain)
DEFINE_LOOP(ioctl)

static const char *need_page(void)
{
	return page ? NULL : "cannot mmap " DEV;
}

static const char *need_cookie(void)
{
	return cookie.word ? NULL : "libsysgenid has no page: the check would call the getter";
}

static const char *need_vdso(void)
{
	return vdso_sysgenid_get ? NULL : NO_GETTER;
}

static const char *need_libfast(void)
{
	return sysgenid_init() ? "libsysgenid has no backend" : NULL;
}

static const char *need_getrandom(void)
{
	return rng_state ? NULL : NO_GETRANDOM;
}

static const char *need_rng(void)
{
	return rng_ok ? NULL : "sysgenid_rng_init() failed (no generation source)";
}

static const char *need_fd(void)
{
	return fd_ioctl >= 0 ? NULL : "cannot open " DEV;
}

static const char *need_nonblock(void)
{
	uint32_t v;

	if (fd_nonblock < 0)
		return "cannot open " DEV;
	if (read(fd_nonblock, &v, sizeof(v)) != -1 || errno != EAGAIN)
		return "read() does not fail with EAGAIN (generation not acknowledged?)";
	return NULL;
}

struct method {
	const char *name;
	const char *what;
	uint64_t (*loop)(uint64_t n);
	const char *(*usable)(void);	/* NULL, or why the method cannot run */
	uint64_t batch;
	double ns[MAX_REPS];
	uint64_t calls[MAX_REPS];
	const char *skipped;
	bool stand_in;
};

#define METHOD(n, w, u)	{ .name = #n, .what = w, .loop = loop_##n, .usable = u }
#define STAND_IN(n, w, u)	{ .name = #n, .what = w, .loop = loop_##n, .usable = u, \
				  .stand_in = true }

static struct method methods[] = {
	METHOD(raw_load, "one load of a word in memory (baseline)", NULL),
	METHOD(ool_load, "out-of-line function returning one load (baseline)", NULL),
	STAND_IN(mmap_load, "load of the generation from the mmap()ed /dev/sysgenid page",
		 need_page),
	STAND_IN(libfast_changed, "libsysgenid inline sysgenid_changed(&cookie)", need_cookie),
	METHOD(vdso_raw, VDSO_GETTER "() through a cached pointer", need_vdso),
	STAND_IN(libfast_get, "libsysgenid sysgenid_vdso_get()", need_libfast),
	METHOD(clock_gettime, "clock_gettime(CLOCK_MONOTONIC), libc through the vDSO", NULL),
	METHOD(vdso_getrandom, VDSO_GETRANDOM "() of 4 bytes", need_getrandom),
	METHOD(vdso_getrandom_16, VDSO_GETRANDOM "() of 16 bytes", need_getrandom),
	METHOD(vdso_getrandom_64, VDSO_GETRANDOM "() of 64 bytes", need_getrandom),
	STAND_IN(rng_4, "libsysgenid sysgenid_rng_bytes() of 4 bytes", need_rng),
	STAND_IN(rng_nocheck_4, "the same generator, generation check compiled out, 4 bytes",
		 need_rng),
	STAND_IN(rng_16, "libsysgenid sysgenid_rng_bytes() of 16 bytes", need_rng),
	STAND_IN(rng_64, "libsysgenid sysgenid_rng_bytes() of 64 bytes", need_rng),
	STAND_IN(rng_nocheck_16, "the same generator, check compiled out, 16 bytes", need_rng),
	STAND_IN(rng_nocheck_64, "the same generator, check compiled out, 64 bytes", need_rng),
	METHOD(getrandom_4, "getrandom() system call, 4 bytes", NULL),
	METHOD(getrandom_16, "getrandom() system call, 16 bytes", NULL),
	METHOD(getrandom_64, "getrandom() system call, 64 bytes", NULL),
	METHOD(getppid, "getppid() system call", NULL),
	METHOD(read_eagain, "non-blocking read() of /dev/sysgenid (EAGAIN)", need_nonblock),
	METHOD(ioctl, "SYSGENID_GET_GENERATION ioctl", need_fd),
};

#define N_METHODS	(sizeof(methods) / sizeof(methods[0]))

static void setup_getrandom(void)
{
	struct vgetrandom_params params;
	void *state;

#ifdef TEST_VDSO_GETRANDOM
	vdso_getrandom = (vgetrandom_fn)sysgenid_vdso_sym(TEST_VDSO_GETRANDOM, TEST_VDSO_VERSION);
#endif
	if (!vdso_getrandom)
		return;
	memset(&params, 0, sizeof(params));
	if (vdso_getrandom(NULL, 0, 0, &params, ~0UL) != 0 || !params.size_of_opaque_state)
		return;
	state = mmap(NULL, params.size_of_opaque_state, (int)params.mmap_prot,
		     (int)params.mmap_flags, -1, 0);
	if (state == MAP_FAILED)
		return;
	rng_state_len = params.size_of_opaque_state;
	rng_state = state;
}

static void setup(void)
{
	void *p;
	int fd;

#ifdef SYSGENID_VDSO_GETTER
	vdso_sysgenid_get = (sysgenid_get_fn)sysgenid_vdso_sym(SYSGENID_VDSO_GETTER,
							       SYSGENID_VDSO_VERSION);
#endif
	setup_getrandom();
	sysgenid_cookie_init(&cookie);

	fd_ioctl = open(DEV, O_RDONLY | O_CLOEXEC);
	fd_nonblock = open(DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		p = mmap(NULL, sizeof(struct sysgenid_page), PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			page = p;
		close(fd);
	}

	if (stand_in && !page && !vdso_sysgenid_get) {
		sysgenid__test_use_page(&stand_in_page);
		sysgenid_cookie_init(&cookie);
		page = &stand_in_page;
	} else {
		stand_in = 0;
	}
	rng_ok = !sysgenid_rng_init(&rng);
}

/* Every path present must read the same generation, or the figures mean nothing. */
static int check_paths(void)
{
	enum sysgenid_backend backend = SYSGENID_BACKEND_NONE;
	uint64_t vdso = 0, mmap_gen = 0, lib = SYSGENID_GEN_INVALID;
	__u64 ioc = 0;
	int ok = 1;

	if (!sysgenid_backend(&backend, NULL))
		lib = sysgenid_vdso_get();
	if (vdso_sysgenid_get)
		vdso = vdso_sysgenid_get();
	if (page)
		mmap_gen = call_mmap_load();
	if (fd_ioctl >= 0 && ioctl(fd_ioctl, SYSGENID_GET_GENERATION, &ioc))
		ok = 0;
	if (lib != SYSGENID_GEN_INVALID &&
	    ((vdso_sysgenid_get && vdso != lib) || (page && mmap_gen != lib) ||
	     (fd_ioctl >= 0 && ioc != lib)))
		ok = 0;
	printf("{\"bench\":\"check\",\"ok\":%s,\"libfast\":%" PRIu64 ",\"vdso\":%" PRIu64
	       ",\"mmap\":%" PRIu64 ",\"ioctl\":%" PRIu64 ",\"libfast_backend\":\"%s\""
	       ",\"cookie_inline\":%s}\n",
	       ok ? "true" : "false", lib, vdso, mmap_gen, (uint64_t)ioc,
	       sysgenid_backend_name(backend), cookie.word ? "true" : "false");
	return ok;
}

/* Batches until at least min_ns have passed; returns ns per call. */
static double run_rep(struct method *m, uint64_t min_ns, uint64_t *calls_out)
{
	uint64_t t0, t, calls = 0, sum = 0;

	t0 = now_ns();
	do {
		sum += m->loop(m->batch);
		calls += m->batch;
		t = now_ns();
	} while (t - t0 < min_ns);
	sink += sum;
	*calls_out = calls;
	return (double)(t - t0) / (double)calls;
}

static void calibrate(struct method *m, uint64_t warmup_ns)
{
	uint64_t calls, t0;

	for (m->batch = BATCH_MIN; m->batch < (1ull << 32); m->batch *= 2) {
		t0 = now_ns();
		sink += m->loop(m->batch);
		if (now_ns() - t0 >= BATCH_NS)
			break;
	}
	run_rep(m, warmup_ns, &calls);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const struct method *m, int reps, uint64_t min_ms)
{
	double sorted[MAX_REPS], mean = 0, var = 0, median;
	int i;

	if (m->skipped) {
		printf("{\"bench\":\"call\",\"method\":\"%s\",\"what\":\"%s\","
		       "\"skipped\":\"%s\"}\n", m->name, m->what, m->skipped);
		return;
	}
	memcpy(sorted, m->ns, sizeof(double) * (size_t)reps);
	qsort(sorted, (size_t)reps, sizeof(double), cmp_double);
	median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
	for (i = 0; i < reps; i++)
		mean += m->ns[i] / reps;
	for (i = 0; i < reps && reps > 1; i++)
		var += (m->ns[i] - mean) * (m->ns[i] - mean) / (reps - 1);

	printf("{\"bench\":\"call\",\"method\":\"%s\",\"what\":\"%s%s\",\"unit\":\"ns/call\","
	       "\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,\"mean\":%.3f,\"stddev\":%.3f,"
	       "\"reps\":%d,\"rep_min_ms\":%" PRIu64 ",\"batch\":%" PRIu64 ",\"samples\":[",
	       m->name, m->what,
	       m->stand_in ? " [stand-in: libsysgenid mmap backend on ordinary memory]" : "",
	       median, sorted[0], sorted[reps - 1], mean, sqrt(var),
	       reps, min_ms, m->batch);
	for (i = 0; i < reps; i++)
		printf("%s%.3f", i ? "," : "", m->ns[i]);
	printf("],\"calls\":[");
	for (i = 0; i < reps; i++)
		printf("%s%" PRIu64, i ? "," : "", m->calls[i]);
	printf("]}\n");
}

static int selected(const struct method *m, int argc, char **argv)
{
	int i;

	if (!argc)
		return 1;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], m->name))
			return 1;
	return 0;
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: sysgenid-bench [-S] [-t MIN_MS] [-r REPS] [-w WARMUP_MS] "
		"[METHOD...]\nmethods:");
	for (i = 0; i < N_METHODS; i++)
		fprintf(stderr, " %s", methods[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t min_ms = 200, warmup_ms = 100;
	int reps = 7, opt, cpu, r;
	cpu_set_t set;
	size_t i;

	while ((opt = getopt(argc, argv, "St:r:w:h")) != -1) {
		switch (opt) {
		case 'S':
			stand_in = 1;
			break;
		case 't':
			min_ms = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'w':
			warmup_ms = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (reps < 1 || reps > MAX_REPS || !min_ms)
		usage();
	argc -= optind;
	argv += optind;

	/* Stay on one CPU: a migration mid-repetition is noise, not cost. */
	cpu = sched_getcpu();
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	setup();
	printf("{\"bench\":\"config\",\"rep_min_ms\":%" PRIu64 ",\"reps\":%d,\"warmup_ms\":%"
	       PRIu64 ",\"cpu\":%d,\"batch_target_ns\":%d}\n", min_ms, reps, warmup_ms, cpu,
	       BATCH_NS);
	fflush(stdout);
	if (!check_paths())
		return 1;

	for (i = 0; i < N_METHODS; i++) {
		struct method *m = &methods[i];

		if (!selected(m, argc, argv))
			continue;
		m->stand_in = m->stand_in && stand_in;
		m->skipped = m->usable ? m->usable() : NULL;
		if (!m->skipped)
			calibrate(m, warmup_ms * 1000000);
	}
	for (r = 0; r < reps; r++)
		for (i = 0; i < N_METHODS; i++)
			if (selected(&methods[i], argc, argv) && !methods[i].skipped)
				methods[i].ns[r] = run_rep(&methods[i], min_ms * 1000000,
							   &methods[i].calls[r]);
	for (i = 0; i < N_METHODS; i++)
		if (selected(&methods[i], argc, argv))
			report(&methods[i], reps, min_ms);
	return 0;
}
