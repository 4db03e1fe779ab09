// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libfast tests that need no SysGenID kernel: the vDSO lookup against the
 * host's real vDSO, the library's behaviour when no generation source
 * exists (each backend forced in turn), ChaCha20 against RFC 8439, and the
 * generator's rekeying against a fake generation page.
 *
 * Built twice: against the archive with the internal cases, and with
 * LIBFAST_PUBLIC_ONLY against the shared object.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include <sysgenid/sysgenid.h>

#include "ktap.h"
#include "seccomp_filter.h"
#include "vdso_names.h"

#ifndef LIBFAST_PUBLIC_ONLY
#include "internal.h"
#include "vdso.h"
#endif

#define DEV	TEST_DEV

/* The vDSO getter, and what the library's reason says when it is absent. */
#ifdef SYSGENID_VDSO_GETTER
#define VDSO_GETTER		SYSGENID_VDSO_GETTER
#define WHY_VDSO		"vdso: " SYSGENID_VDSO_GETTER
#define WHY_VDSO_ABSENT		WHY_VDSO "@" SYSGENID_VDSO_VERSION " not in the vDSO"
#else
#define VDSO_GETTER		"the vDSO getter"
#define WHY_VDSO		"vdso: no vDSO getter"
#define WHY_VDSO_ABSENT		"vdso: no vDSO getter on this architecture"
#endif

#if defined(__SANITIZE_THREAD__)
#define SUITE	"libfast_host_test_tsan"
#elif defined(__SANITIZE_ADDRESS__)
#define SUITE	"libfast_host_test_asan"
#elif defined(LIBFAST_PUBLIC_ONLY)
#define SUITE	"libfast_host_test_shared"
#else
#define SUITE	"libfast_host_test"
#endif

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static bool have_vdso_sysgenid(void)
{
#ifdef SYSGENID_VDSO_GETTER
	return sysgenid_vdso_sym(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION) != NULL;
#else
	return false;
#endif
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static enum test_result test_vdso_present(void)
{
	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("the kernel mapped no vDSO");
	return TEST_PASS;
}

static enum test_result test_vdso_clock_gettime(void)
{
#ifdef TEST_VDSO_CLOCK_GETTIME
	clock_gettime_fn vdso_cgt;
	struct timespec t0, v, t1;
	int ret;

	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("the kernel mapped no vDSO");
	vdso_cgt = (clock_gettime_fn)sysgenid_vdso_sym(TEST_VDSO_CLOCK_GETTIME, TEST_VDSO_VERSION);
	CHECK(vdso_cgt, TEST_VDSO_CLOCK_GETTIME "@" TEST_VDSO_VERSION " not found");
	CHECK((void *)vdso_cgt == sysgenid_vdso_sym(TEST_VDSO_CLOCK_GETTIME, NULL),
	      "lookup without a version found another address");
	if (!TEST_VDSO_TIMESPEC_NATIVE)
		SKIP("found; not called: this struct timespec is not the vDSO's");

	/* The vDSO's reading must fall between two readings taken around it. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = vdso_cgt(CLOCK_MONOTONIC, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ret == 0, TEST_VDSO_CLOCK_GETTIME " returned %d", ret);
	CHECK(ts_ns(&t0) <= ts_ns(&v) && ts_ns(&v) <= ts_ns(&t1),
	      "monotonic %lld not within [%lld, %lld]", (long long)ts_ns(&v),
	      (long long)ts_ns(&t0), (long long)ts_ns(&t1));

	clock_gettime(CLOCK_REALTIME, &t0);
	ret = vdso_cgt(CLOCK_REALTIME, &v);
	CHECK(ret == 0, TEST_VDSO_CLOCK_GETTIME " returned %d", ret);
	CHECK(llabs(ts_ns(&v) - ts_ns(&t0)) < 1000000000LL, "realtime differs by %lld ns",
	      (long long)(ts_ns(&v) - ts_ns(&t0)));
	return TEST_PASS;
#else
	SKIP("no vDSO names known for this architecture (vdso_names.h)");
#endif
}

static enum test_result test_vdso_rejects_mismatch(void)
{
	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("the kernel mapped no vDSO");
#ifdef TEST_VDSO_CLOCK_GETTIME
	CHECK(sysgenid_vdso_sym(TEST_VDSO_CLOCK_GETTIME, TEST_VDSO_VERSION),
	      "the right name and version not found: the checks below prove nothing");
	CHECK(!sysgenid_vdso_sym(TEST_VDSO_CLOCK_GETTIME, "LINUX_9.9"),
	      "found a version that does not exist");
	CHECK(!sysgenid_vdso_sym(TEST_VDSO_PREFIX "no_such_function", NULL),
	      "found a nonexistent name");
	CHECK(!sysgenid_vdso_sym(TEST_VDSO_PREFIX "clock_gettim", NULL),
	      "found a prefix of a name");
#endif
	CHECK(!sysgenid_vdso_sym("no_such_function", NULL), "found a name no vDSO has");
	CHECK(!sysgenid_vdso_sym(NULL, NULL), "NULL name not rejected");
	return TEST_PASS;
}

static enum test_result test_vdso_sysgenid_absent(void)
{
	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("the kernel mapped no vDSO");
	if (have_vdso_sysgenid())
		SKIP("this kernel has " VDSO_GETTER ": libfast_guest_test covers it");
	return TEST_PASS;
}

#ifndef LIBFAST_PUBLIC_ONLY
static enum test_result test_vdso_hash_tables_agree(void)
{
#ifdef TEST_VDSO_ALWAYS_NAMES
	static const char *const names[] = { TEST_VDSO_ALWAYS_NAMES };
	size_t i, found = 0;

	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("the kernel mapped no vDSO");
	if (!sysgenid__vdso_lookup(TEST_VDSO_CLOCK_GETTIME, TEST_VDSO_VERSION, VDSO_HASH_GNU) ||
	    !sysgenid__vdso_lookup(TEST_VDSO_CLOCK_GETTIME, TEST_VDSO_VERSION, VDSO_HASH_SYSV))
		SKIP("the vDSO lacks DT_GNU_HASH or DT_HASH");

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *gnu = sysgenid__vdso_lookup(names[i], TEST_VDSO_VERSION, VDSO_HASH_GNU);
		void *sysv = sysgenid__vdso_lookup(names[i], TEST_VDSO_VERSION, VDSO_HASH_SYSV);

		CHECK(gnu == sysv, "%s: DT_GNU_HASH gives %p, DT_HASH %p", names[i], gnu, sysv);
		found += gnu != NULL;
	}
	diag("%zu of %zu names found through both tables", found, i);
#ifdef SYSGENID_VDSO_GETTER
	CHECK(!sysgenid__vdso_lookup(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION, VDSO_HASH_SYSV) ==
	      !sysgenid__vdso_lookup(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION, VDSO_HASH_GNU),
	      "the tables disagree about " SYSGENID_VDSO_GETTER);
#endif
	return TEST_PASS;
#else
	SKIP("no vDSO names known for this architecture (vdso_names.h)");
#endif
}
#endif

static bool contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle);
}

/* In a child: the one-shot init must see the environment it was given. */
static enum test_result child_no_source(void)
{
	struct sysgenid_cookie cookie;
	enum sysgenid_backend which = SYSGENID_BACKEND_MMAP;
	const char *why = NULL;
	uint64_t gen = 42;
	int ret;

	if (have_device() || have_vdso_sysgenid())
		SKIP("this kernel has SysGenID: libfast_guest_test covers it");
	unsetenv("SYSGENID_BACKEND");

	ret = sysgenid_init();
	CHECK(ret == -ENOENT, "sysgenid_init() = %d, want -ENOENT", ret);
	CHECK(sysgenid_init() == -ENOENT, "the second sysgenid_init() differs");

	ret = sysgenid_backend(&which, &why);
	diag("why: %s", why ? why : "(null)");
	CHECK(ret == -ENOENT, "sysgenid_backend() = %d", ret);
	CHECK(which == SYSGENID_BACKEND_NONE, "backend %s", sysgenid_backend_name(which));
	CHECK(contains(why, "/dev/sysgenid"), "why does not name the device");
	CHECK(contains(why, "CONFIG_SYSGENID"), "why does not name the config option");
	CHECK(contains(why, WHY_VDSO), "why does not name the vDSO symbol");

	CHECK(sysgenid_vdso_get() == SYSGENID_GEN_INVALID, "getter did not return INVALID");
	ret = sysgenid_get(&gen);
	CHECK(ret == -ENOENT && gen == 42, "sysgenid_get() = %d, gen %llu", ret,
	      (unsigned long long)gen);

	ret = sysgenid_cookie_init(&cookie);
	CHECK(ret == -ENOENT, "sysgenid_cookie_init() = %d", ret);
	CHECK(sysgenid_changed(&cookie) && sysgenid_changed(&cookie),
	      "a cookie without a source must always report a change");
	return TEST_PASS;
}

struct forced_case {
	const char *env;
	int err;
	const char *why[2];
};

static const struct forced_case forced_cases[] = {
	{ "vdso", -ENOSYS, { WHY_VDSO_ABSENT, "mmap: not tried (SYSGENID_BACKEND=vdso)" } },
	{ "mmap", -ENOENT, { "mmap: cannot open /dev/sysgenid: ENOENT",
			     "ioctl: not tried (SYSGENID_BACKEND=mmap)" } },
	{ "ioctl", -ENOENT, { "ioctl: cannot open /dev/sysgenid: ENOENT",
			      "vdso: not tried (SYSGENID_BACKEND=ioctl)" } },
	{ "auto", -ENOENT, { WHY_VDSO, "ioctl: cannot open" } },
	{ "", -ENOENT, { WHY_VDSO, "mmap: cannot open" } },
	{ "fast", -EINVAL, { "SYSGENID_BACKEND=fast: not one of", "auto" } },
};

static enum test_result child_forced(void)
{
	const struct forced_case *forced = test_arg;
	enum sysgenid_backend which;
	struct sysgenid_rng rng;
	const char *why;
	uint64_t gen = 7;
	int ret, i;

	if (have_device() || have_vdso_sysgenid())
		SKIP("this kernel has SysGenID: libfast_guest_test covers it");
	setenv("SYSGENID_BACKEND", forced->env, 1);

	ret = sysgenid_backend(&which, &why);
	diag("SYSGENID_BACKEND=%s: %d, why: %s", forced->env, ret, why);
	CHECK(ret == forced->err, "init returned %d, want %d", ret, forced->err);
	CHECK(which == SYSGENID_BACKEND_NONE, "backend %s", sysgenid_backend_name(which));
	for (i = 0; i < 2; i++)
		CHECK(contains(why, forced->why[i]), "why lacks \"%s\"", forced->why[i]);
	CHECK(sysgenid_vdso_get() == SYSGENID_GEN_INVALID, "getter did not return INVALID");
	CHECK(sysgenid_get(&gen) == forced->err && gen == 7, "sysgenid_get() succeeded");
	CHECK(sysgenid_rng_init(&rng) == forced->err, "the generator started anyway");
	return TEST_PASS;
}

static enum test_result test_backend_names(void)
{
	CHECK(!strcmp(sysgenid_backend_name(SYSGENID_BACKEND_NONE), "none"), "none");
	CHECK(!strcmp(sysgenid_backend_name(SYSGENID_BACKEND_VDSO), "vdso"), "vdso");
	CHECK(!strcmp(sysgenid_backend_name(SYSGENID_BACKEND_MMAP), "mmap"), "mmap");
	CHECK(!strcmp(sysgenid_backend_name(SYSGENID_BACKEND_IOCTL), "ioctl"), "ioctl");
	CHECK(!strcmp(sysgenid_backend_name((enum sysgenid_backend)42), "unknown"), "42");
	return TEST_PASS;
}

enum { INIT_THREADS = 8 };

static pthread_barrier_t init_barrier;

static void *init_racer(void *arg)
{
	int *result = arg;

	pthread_barrier_wait(&init_barrier);
	*result = sysgenid_init();
	return NULL;
}

static enum test_result child_concurrent_init(void)
{
	pthread_t threads[INIT_THREADS];
	int results[INIT_THREADS];
	int i, first;

	pthread_barrier_init(&init_barrier, NULL, INIT_THREADS);
	for (i = 0; i < INIT_THREADS; i++)
		CHECK(!pthread_create(&threads[i], NULL, init_racer, &results[i]), "thread %d", i);
	for (i = 0; i < INIT_THREADS; i++)
		pthread_join(threads[i], NULL);

	first = sysgenid_init();
	for (i = 0; i < INIT_THREADS; i++)
		CHECK(results[i] == first, "thread %d saw %d, later call %d", i, results[i], first);
	return TEST_PASS;
}

static enum test_result child_rng_refuses(void)
{
	struct sysgenid_rng rng;
	uint8_t buf[16] = { 0 }, zero[16] = { 0 };
	int ret;

	if (have_device() || have_vdso_sysgenid())
		SKIP("this kernel has SysGenID: libfast_guest_test covers it");
	unsetenv("SYSGENID_BACKEND");

	ret = sysgenid_rng_init(&rng);
	CHECK(ret == -ENOENT, "sysgenid_rng_init() = %d, want -ENOENT", ret);
	ret = sysgenid_rng_bytes(&rng, buf, sizeof(buf));
	CHECK(ret == -ENOENT, "sysgenid_rng_bytes() = %d after a failed init", ret);
	CHECK(!memcmp(buf, zero, sizeof(buf)), "output written despite the error");

	memset(&rng, 0, sizeof(rng));
	CHECK(sysgenid_rng_bytes(&rng, buf, sizeof(buf)) == -EINVAL, "zeroed generator");
	return TEST_PASS;
}

#if HAVE_TEST_SECCOMP
/* After a failed init the answer is cached: asking again costs no syscall. */
static enum test_result child_none_no_syscall(void)
{
	struct sysgenid_cookie cookie;
	clock_gettime_fn vdso_cgt = NULL;
	struct timespec ts;
	uint64_t gen;
	int i, ret;

	if (have_device() || have_vdso_sysgenid())
		SKIP("this kernel has SysGenID: libfast_guest_test covers it");
	unsetenv("SYSGENID_BACKEND");
	ret = sysgenid_init();
#ifdef TEST_VDSO_CLOCK_GETTIME
	if (TEST_VDSO_TIMESPEC_NATIVE)
		vdso_cgt = (clock_gettime_fn)sysgenid_vdso_sym(TEST_VDSO_CLOCK_GETTIME,
							       TEST_VDSO_VERSION);
#endif
	CHECK(ret == -ENOENT, "sysgenid_init() = %d", ret);
	CHECK(!seccomp_allow_only_write_exit(), "cannot install the seccomp filter");

	for (i = 0; i < 1000; i++)
		CHECK(sysgenid_vdso_get() == SYSGENID_GEN_INVALID, "getter");
	CHECK(sysgenid_get(&gen) == -ENOENT, "sysgenid_get");
	CHECK(sysgenid_cookie_init(&cookie) == -ENOENT, "cookie");
	CHECK(sysgenid_changed(&cookie), "changed");
	CHECK(sysgenid_backend(NULL, NULL) == -ENOENT, "backend");
	if (vdso_cgt)
		CHECK(!vdso_cgt(CLOCK_MONOTONIC, &ts), "vDSO clock_gettime under seccomp");
	return TEST_PASS;
}
#endif

/*
 * No SysGenID kernel here, but the mmap backend's real open/mmap/close path
 * can still run: in a private mount namespace a tmpfs over /dev holds a
 * regular file laid out as the device's page.  A second, writable shared
 * mapping of it plays the kernel.  ioctl() on a regular file fails with
 * ENOTTY, which is the ioctl backend's "older driver" path.
 */
static volatile struct sysgenid_page *standin;

static enum test_result standin_setup(uint64_t gen)
{
	long page_len = sysconf(_SC_PAGESIZE);
	void *page;
	int fd;

	if (have_device() || have_vdso_sysgenid())
		SKIP("this kernel has SysGenID: libfast_guest_test covers it");
	if (unshare(CLONE_NEWNS))
		SKIP("unshare(CLONE_NEWNS): errno %d (needs CAP_SYS_ADMIN)", errno);
	/* Private first, so nothing mounted here reaches the host's /dev. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP("cannot make / private: errno %d", errno);
	if (mount("sysgenid-test", "/dev", "tmpfs", 0, "size=64k"))
		SKIP("cannot mount a tmpfs on /dev: errno %d", errno);

	fd = open(DEV, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "create the stand-in: errno %d", errno);
	CHECK(!ftruncate(fd, page_len), "ftruncate: errno %d", errno);
	page = mmap(NULL, (size_t)page_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(page != MAP_FAILED, "mmap: errno %d", errno);
	standin = page;
	standin->generation = gen;
	standin->generation32 = (uint32_t)gen;
	return TEST_PASS;
}

static void standin_bump(uint64_t gen)
{
	__atomic_store_n(&standin->generation, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&standin->generation32, (uint32_t)gen, __ATOMIC_RELEASE);
}

static enum test_result child_standin_mmap(void)
{
	struct sysgenid_cookie cookie;
	enum sysgenid_backend which;
	const char *why;
	uint64_t gen = 0;
	int fds, i;

	REQUIRE_PASS(standin_setup(77));
	unsetenv("SYSGENID_BACKEND");
	CHECK(sysgenid_backend(&which, &why) == 0, "init failed: %s", why);
	diag("why: %s", why);
	CHECK(which == SYSGENID_BACKEND_MMAP, "backend %s", sysgenid_backend_name(which));
	CHECK(contains(why, "mmap: serving"), "why lacks \"mmap: serving\"");
	fds = count_fds_to(DEV);
	CHECK(fds == 0, "%d descriptors of " DEV " kept, want 0", fds);

	CHECK(sysgenid_get(&gen) == 0 && gen == 77, "sysgenid_get: %llu",
	      (unsigned long long)gen);
	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
	CHECK(!SYSGENID_INLINE_LOAD || cookie.word, "the cookie does not load inline");
	CHECK(!sysgenid_changed(&cookie), "changed without a bump");
	standin_bump(78);
	CHECK(sysgenid_changed(&cookie) && sysgenid_vdso_get() == 78, "bump not seen");
	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");

#if HAVE_TEST_SECCOMP
	CHECK(!seccomp_allow_only_write_exit(), "cannot install the seccomp filter");
	for (i = 0; i < 1000; i++)
		CHECK(sysgenid_vdso_get() == 78 && !sysgenid_changed(&cookie), "under seccomp");
	/* The bump is a store to shared memory, not a syscall. */
	standin_bump(79);
	CHECK(sysgenid_vdso_get() == 79 && sysgenid_changed(&cookie), "bump under seccomp");
#else
	(void)i;
#endif
	return TEST_PASS;
}

static enum test_result child_standin_ioctl(void)
{
	enum sysgenid_backend which;
	const char *why;
	int ret;

	REQUIRE_PASS(standin_setup(5));
	setenv("SYSGENID_BACKEND", "ioctl", 1);
	ret = sysgenid_backend(&which, &why);
	diag("why: %s", why);
	CHECK(ret == -ENOTTY, "forced ioctl on a file without the ioctl: %d", ret);
	CHECK(which == SYSGENID_BACKEND_NONE, "backend %s", sysgenid_backend_name(which));
	CHECK(contains(why, "SYSGENID_GET_GENERATION failed: ENOTTY"), "why lacks the ioctl");
	CHECK(count_fds_to(DEV) == 0, "a failed ioctl backend kept its descriptor");
	CHECK(sysgenid_vdso_get() == SYSGENID_GEN_INVALID, "getter");
	return TEST_PASS;
}

#ifndef LIBFAST_PUBLIC_ONLY
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* RFC 8439, 2.1.1: test vector for the quarter round. */
static enum test_result test_chacha20_quarter_round(void)
{
	uint32_t x[16] = { 0 };

	x[0] = 0x11111111;
	x[1] = 0x01020304;
	x[2] = 0x9b8d6f43;
	x[3] = 0x01234567;
	sysgenid__chacha20_quarter_round(x, 0, 1, 2, 3);
	CHECK(x[0] == 0xea2a92f4 && x[1] == 0xcb1cf8ce && x[2] == 0x4581472e &&
	      x[3] == 0x5881c4bb, "got %08x %08x %08x %08x", x[0], x[1], x[2], x[3]);
	return TEST_PASS;
}

/* Every eight-block implementation this CPU can run equals the reference. */
static enum test_result test_chacha20_blocks(void)
{
	static const uint32_t nonce[CHACHA20_NONCE_WORDS];
	uint8_t want[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE], got[sizeof(want)];
	static const uint32_t counters[] = { 0, 1, 0xfffffff8u };
	uint32_t key[CHACHA20_KEY_WORDS];
	unsigned int c, i;

	for (i = 0; i < CHACHA20_KEY_WORDS; i++)
		key[i] = 0x9e3779b9u * (i + 1);
	for (c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		for (i = 0; i < CHACHA20_BLOCKS; i++)
			sysgenid__chacha20_block(key, counters[c] + i, nonce,
						 &want[i * CHACHA20_BLOCK_SIZE]);
		sysgenid__chacha20_blocks_generic(key, counters[c], got);
		CHECK(!memcmp(got, want, sizeof(want)), "generic, counter %u", counters[c]);
		sysgenid__chacha20_blocks(key, counters[c], got);
		CHECK(!memcmp(got, want, sizeof(want)), "dispatched, counter %u", counters[c]);
#if SYSGENID_HAVE_AVX2
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2")) {
			sysgenid__chacha20_blocks_avx2(key, counters[c], got);
			CHECK(!memcmp(got, want, sizeof(want)), "avx2, counter %u", counters[c]);
		} else if (!c) {
			diag("no AVX2 here: the AVX2 blocks are not tested");
		}
#endif
	}
	return TEST_PASS;
}

/* RFC 8439, 2.3.2: test vector for the ChaCha20 block function. */
static enum test_result test_chacha20_block(void)
{
	static const uint8_t key_bytes[32] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	static const uint8_t nonce_bytes[12] = {
		0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x4a, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t expected[64] = {
		0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
		0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
		0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03,
		0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
		0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09,
		0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
		0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9,
		0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
	};
	uint32_t key[8], nonce[3];
	uint8_t out[64];
	int i;

	for (i = 0; i < 8; i++)
		key[i] = le32(&key_bytes[4 * i]);
	for (i = 0; i < 3; i++)
		nonce[i] = le32(&nonce_bytes[4 * i]);
	sysgenid__chacha20_block(key, 1, nonce, out);
	for (i = 0; i < 64; i++)
		CHECK(out[i] == expected[i], "byte %d: %02x, want %02x", i, out[i], expected[i]);
	return TEST_PASS;
}

/* A page the test owns and bumps, standing in for the device's. */
static struct sysgenid_page *fake_page(uint64_t gen)
{
	struct sysgenid_page *page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE),
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	page->generation = gen;
	page->generation32 = (uint32_t)gen;
	return page;
}

/* The kernel's order: the 64-bit value, then generation32 with release. */
static void fake_bump(struct sysgenid_page *page, uint64_t gen)
{
	__atomic_store_n(&page->generation, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&page->generation32, (uint32_t)gen, __ATOMIC_RELEASE);
}

/*
 * One thread re-notes a shared cookie while another checks it, as the
 * docs' rebuild-then-re-note pattern does.  Plain fields made this a data
 * race (ThreadSanitizer, which make check runs this under, reports it);
 * a check must also never say "unchanged" while the generation differs
 * from every value the cookie was noted at.
 */
static struct sysgenid_cookie shared_cookie;
static volatile int cookie_stop;

static void *cookie_checker(void *arg)
{
	struct sysgenid_page *page = arg;
	unsigned long wrong = 0;

	while (!__atomic_load_n(&cookie_stop, __ATOMIC_RELAXED)) {
		/* The page only moves forward; the cookie is re-noted at its value. */
		uint64_t before = __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);

		if (!sysgenid_changed(&shared_cookie) &&
		    __atomic_load_n(&shared_cookie.gen, __ATOMIC_RELAXED) < before)
			wrong++;
	}
	return (void *)wrong;
}

static enum test_result child_cookie_shared(void)
{
	struct sysgenid_page *page = fake_page(40);
	pthread_t thread;
	void *wrong;
	int i;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_cookie_init(&shared_cookie) == 0, "cookie");
	CHECK(!pthread_create(&thread, NULL, cookie_checker, page), "thread");
	for (i = 0; i < 20000; i++) {
		if (i % 10 == 0)
			fake_bump(page, 41 + (uint64_t)i);
		sysgenid_cookie_init(&shared_cookie);
	}
	__atomic_store_n(&cookie_stop, 1, __ATOMIC_RELAXED);
	CHECK(!pthread_join(thread, &wrong), "join");
	CHECK(!wrong, "%lu checks said unchanged for a generation the cookie never saw",
	      (unsigned long)(uintptr_t)wrong);
	return TEST_PASS;
}

static enum test_result child_fake_page(void)
{
	struct sysgenid_page *page = fake_page(5);
	enum sysgenid_backend which;
	struct sysgenid_cookie cookie;
	uint64_t gen = 0;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_backend(&which, NULL) == 0 && which == SYSGENID_BACKEND_MMAP,
	      "backend %s", sysgenid_backend_name(which));
	CHECK(sysgenid_get(&gen) == 0 && gen == 5, "sysgenid_get: %llu",
	      (unsigned long long)gen);
	CHECK(sysgenid_vdso_get() == 5, "getter");

	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
	CHECK(SYSGENID_INLINE_LOAD == 0 || cookie.word == (const volatile uint64_t *)
	      &page->generation, "the cookie does not load from the page inline");
	CHECK(!sysgenid_changed(&cookie), "changed without a bump");
	CHECK(!sysgenid_cookie_changed(&cookie), "changed out of line without a bump");
	fake_bump(page, 6);
	CHECK(sysgenid_changed(&cookie), "bump not seen");
	CHECK(sysgenid_cookie_changed(&cookie), "bump not seen out of line");
	CHECK(sysgenid_vdso_get() == 6, "getter after the bump");
	CHECK(sysgenid_cookie_init(&cookie) == 0 && !sysgenid_changed(&cookie), "re-init");
	CHECK(!sysgenid_cookie_changed(&cookie), "re-init out of line");

	/* Equal low halves: only the full 64 bits tell these apart. */
	fake_bump(page, 6 + (1ULL << 32));
	CHECK(sysgenid_changed(&cookie), "a change of the high half only not seen");
	CHECK(sysgenid__page_read_split(page) == 6 + (1ULL << 32), "split read");
	fake_bump(page, UINT64_MAX - 1);
	CHECK(sysgenid__page_read_split(page) == UINT64_MAX - 1, "split read near the top");

	sysgenid__test_reset();
	return TEST_PASS;
}

#if HAVE_TEST_SECCOMP
/* The hot paths of an initialised library and generator make no syscall. */
static enum test_result child_fake_page_no_syscall(void)
{
	struct sysgenid_page *page = fake_page(9);
	struct sysgenid_cookie cookie;
	struct sysgenid_rng rng;
	uint8_t buf[100];
	int i;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_cookie_init(&cookie) == 0, "cookie");
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	CHECK(!seccomp_allow_only_write_exit(), "cannot install the seccomp filter");

	for (i = 0; i < 1000; i++) {
		CHECK(sysgenid_vdso_get() == 9, "getter");
		CHECK(!sysgenid_changed(&cookie), "changed");
		CHECK(sysgenid_rng_bytes(&rng, buf, sizeof(buf)) == 0, "rng");
	}
	CHECK(sysgenid_rng_rekeys(&rng) == 0, "rekeyed without a change");
	return TEST_PASS;
}

/* A failed rekey must not fall back to the old key, now or later. */
static enum test_result child_rng_rekey_failure(void)
{
	struct sysgenid_page *page = fake_page(1);
	uint8_t buf[32], untouched[32];
	struct sysgenid_rng rng;
	int ret;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	CHECK(!seccomp_fail_syscall(SYS_getrandom, EIO), "cannot install the seccomp filter");

	CHECK(sysgenid_rng_bytes(&rng, buf, sizeof(buf)) == 0, "no change, no getrandom()");
	fake_bump(page, 2);
	memset(buf, 0xa5, sizeof(buf));
	memcpy(untouched, buf, sizeof(buf));
	ret = sysgenid_rng_bytes(&rng, buf, sizeof(buf));
	CHECK(ret == -EIO, "rekey failure gave %d", ret);
	CHECK(!memcmp(buf, untouched, sizeof(buf)), "output written despite the error");
	ret = sysgenid_rng_bytes(&rng, buf, sizeof(buf));
	CHECK(ret == -EIO, "the second request after the failure gave %d", ret);
	CHECK(sysgenid_rng_rekeys(&rng) == 0, "a failed rekey was counted");
	return TEST_PASS;
}
#endif

static struct rng_state *rng_state_of(struct sysgenid_rng *rng)
{
	return ((struct rng_handle *)rng)->st;
}

/* Every byte of the buffer before @pos (handed out) is zero. */
static int rng_buffer_wiped(const struct rng_state *st)
{
	uint32_t i;

	for (i = 0; i < st->pos; i++)
		if (st->buf[i])
			return 0;
	return 1;
}

/*
 * The output is ChaCha20 with fast key erasure, computed here from the
 * scalar RFC 8439 block function: blocks 0-7 under key K, the first 32
 * bytes the next key, the rest the output; a large request writes blocks
 * 8 and up straight out and takes the next key from block 0.  Handed-out
 * bytes leave zeros behind them.
 */
static enum test_result child_rng_reference(void)
{
	static const uint32_t nonce[CHACHA20_NONCE_WORDS];
	struct sysgenid_page *page = fake_page(3);
	uint8_t want[16 * CHACHA20_BLOCK_SIZE], got[sizeof(want)];
	uint32_t key[CHACHA20_KEY_WORDS], next[CHACHA20_KEY_WORDS];
	struct sysgenid_rng rng;
	struct rng_state *st;
	int i;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	st = rng_state_of(&rng);
	for (i = 0; i < CHACHA20_KEY_WORDS; i++)
		key[i] = 0x01020304u * (uint32_t)(i + 1);

	/* Buffered: 100 bytes, then 380 more, then one that needs a refill. */
	memcpy(st->key, key, sizeof(key));
	st->pos = RNG_BUF_BYTES;
	for (i = 0; i < RNG_BLOCKS; i++)
		sysgenid__chacha20_block(key, (uint32_t)i, nonce, &want[i * CHACHA20_BLOCK_SIZE]);
	memcpy(next, want, sizeof(next));
	CHECK(sysgenid_rng_bytes(&rng, got, 100) == 0, "bytes");
	CHECK(!memcmp(got, want + RNG_KEY_BYTES, 100), "the first 100 bytes");
	CHECK(!memcmp(st->key, next, sizeof(next)), "the key is not the first 32 bytes");
	CHECK(rng_buffer_wiped(st), "handed-out bytes left in the buffer");
	CHECK(sysgenid_rng_bytes(&rng, got, 380) == 0, "bytes");
	CHECK(!memcmp(got, want + RNG_KEY_BYTES + 100, 380), "the next 380 bytes");
	CHECK(st->pos == RNG_BUF_BYTES && rng_buffer_wiped(st), "the buffer is not empty");
	for (i = 0; i < RNG_BLOCKS; i++)
		sysgenid__chacha20_block(next, (uint32_t)i, nonce, &want[i * CHACHA20_BLOCK_SIZE]);
	CHECK(sysgenid_rng_bytes(&rng, got, 4) == 0, "bytes");
	CHECK(!memcmp(got, want + RNG_KEY_BYTES, 4), "the refill does not follow the new key");

	/* Direct: from an empty buffer, 512 bytes are blocks 8-15 of key K. */
	memcpy(st->key, key, sizeof(key));
	explicit_bzero(st->buf, sizeof(st->buf));
	st->pos = RNG_BUF_BYTES;
	for (i = 0; i < 16; i++)
		sysgenid__chacha20_block(key, (uint32_t)i, nonce, &want[i * CHACHA20_BLOCK_SIZE]);
	CHECK(sysgenid_rng_bytes(&rng, got, 512) == 0, "bytes");
	CHECK(!memcmp(got, want + 8 * CHACHA20_BLOCK_SIZE, 512), "the direct output");
	CHECK(!memcmp(st->key, want, RNG_KEY_BYTES), "the key after a direct request");
	CHECK(sysgenid_rng_rekeys(&rng) == 0, "rekeyed without a change");
	sysgenid_rng_destroy(&rng);
	return TEST_PASS;
}

/*
 * Two copies of one generator stand for two clones of one snapshot.  The
 * unprotected output step shows the stream they would share; the protected
 * generator leaves it once the generation moves, buffered bytes included.
 */
static enum test_result child_rng_rekeys(void)
{
	struct sysgenid_page *page = fake_page(100);
	struct sysgenid_rng rng, clone_a, clone_b;
	uint8_t a[64], b[64], c[64];
	static uint8_t big[200000];

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	CHECK(sysgenid_rng_bytes(&rng, a, 16) == 0, "bytes");

	/* The snapshot, then the restore into two clones. */
	sysgenid__rng_clone(&clone_a, &rng);
	sysgenid__rng_clone(&clone_b, &rng);
	sysgenid__rng_generate(&clone_a, a, sizeof(a));
	sysgenid__rng_generate(&clone_b, b, sizeof(b));
	CHECK(!memcmp(a, b, sizeof(a)), "unprotected clones should repeat each other");

	sysgenid_rng_destroy(&clone_b);
	sysgenid__rng_clone(&clone_b, &rng);
	fake_bump(page, 101);
	CHECK(sysgenid_rng_bytes(&rng, b, sizeof(b)) == 0, "bytes after the change");
	CHECK(sysgenid_rng_rekeys(&rng) == 1, "rekeys %llu, want 1",
	      (unsigned long long)sysgenid_rng_rekeys(&rng));
	CHECK(memcmp(a, b, sizeof(a)) != 0, "the protected generator repeated the clone");
	CHECK(sysgenid_rng_bytes(&clone_b, c, sizeof(c)) == 0, "clone bytes");
	CHECK(sysgenid_rng_rekeys(&clone_b) == 1, "the clone did not rekey");
	CHECK(memcmp(c, a, sizeof(c)) != 0 && memcmp(c, b, sizeof(c)) != 0,
	      "the protected clones share output");

	CHECK(sysgenid_rng_bytes(&rng, b, sizeof(b)) == 0 && sysgenid_rng_rekeys(&rng) == 1,
	      "a second request rekeyed again");
	CHECK(sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0, "a request over several keys");
	CHECK(sysgenid_rng_bytes(&rng, NULL, 0) == 0, "an empty request");
	CHECK(rng_state_of(&rng)->since_seed < RNG_RESEED_BYTES, "output count");
	CHECK(sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0 &&
	      sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0 &&
	      sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0 &&
	      sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0 &&
	      sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0 &&
	      sysgenid_rng_bytes(&rng, big, sizeof(big)) == 0, "bytes");
	CHECK(rng_state_of(&rng)->since_seed < RNG_RESEED_BYTES,
	      "no new key from getrandom() after %d bytes", 8 * (int)sizeof(big));

	sysgenid_rng_destroy(&clone_a);
	sysgenid_rng_destroy(&clone_b);
	sysgenid_rng_destroy(&rng);
	CHECK(sysgenid_rng_bytes(&rng, a, sizeof(a)) == -EINVAL, "a destroyed generator");
	return TEST_PASS;
}

/*
 * A child of fork() must not repeat its parent: both take their next bytes
 * from the same state, and the child's page was wiped.
 */
static enum test_result child_rng_fork(void)
{
	struct sysgenid_page *page = fake_page(7);
	uint8_t mine[32], theirs[32];
	struct sysgenid_rng rng;
	int pipefd[2], status;
	pid_t pid;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	CHECK(sysgenid_rng_bytes(&rng, mine, 8) == 0, "bytes");
	CHECK(pipe(pipefd) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid) {
		if (sysgenid_rng_bytes(&rng, theirs, sizeof(theirs)) ||
		    sysgenid_rng_rekeys(&rng) != 0 ||
		    write(pipefd[1], theirs, sizeof(theirs)) != sizeof(theirs))
			_exit(1);
		_exit(0);
	}
	CHECK(sysgenid_rng_bytes(&rng, mine, sizeof(mine)) == 0, "bytes");
	CHECK(read(pipefd[0], theirs, sizeof(theirs)) == sizeof(theirs), "the child's bytes");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child failed");
	CHECK(memcmp(mine, theirs, sizeof(mine)) != 0, "the child repeated its parent");
	sysgenid_rng_destroy(&rng);
	return TEST_PASS;
}

static void *rng_other_thread(void *arg)
{
	uint8_t buf[8];

	return (void *)(intptr_t)sysgenid_rng_bytes(arg, buf, sizeof(buf));
}

/* One generator, two threads: the second is refused, not raced. */
static enum test_result child_rng_thread(void)
{
	struct sysgenid_page *page = fake_page(8);
	struct sysgenid_rng rng;
	pthread_t thread;
	void *ret;

	CHECK(page, "mmap failed");
	sysgenid__test_use_page(page);
	CHECK(sysgenid_rng_init(&rng) == 0, "rng");
	CHECK(pthread_create(&thread, NULL, rng_other_thread, &rng) == 0, "thread");
	CHECK(pthread_join(thread, &ret) == 0, "join");
	CHECK((intptr_t)ret == -EBUSY, "another thread got %d, want -EBUSY", (int)(intptr_t)ret);
	sysgenid_rng_destroy(&rng);
	return TEST_PASS;
}
#endif /* !LIBFAST_PUBLIC_ONLY */

static const struct test_case cases[] = {
	CASE("vdso_present", test_vdso_present),
	CASE("vdso_finds_clock_gettime", test_vdso_clock_gettime),
	CASE("vdso_rejects_wrong_name_or_version", test_vdso_rejects_mismatch),
	CASE("vdso_has_no_sysgenid_symbol_on_host", test_vdso_sysgenid_absent),
#ifndef LIBFAST_PUBLIC_ONLY
	CASE("vdso_gnu_and_sysv_hash_agree", test_vdso_hash_tables_agree),
#endif
	CHILD_CASE("no_source_reports_enoent", child_no_source, NULL),
	CHILD_CASE("forced_vdso_fails_enosys", child_forced, &forced_cases[0]),
	CHILD_CASE("forced_mmap_fails_enoent", child_forced, &forced_cases[1]),
	CHILD_CASE("forced_ioctl_fails_enoent", child_forced, &forced_cases[2]),
	CHILD_CASE("forced_auto_fails_enoent", child_forced, &forced_cases[3]),
	CHILD_CASE("empty_env_means_auto", child_forced, &forced_cases[4]),
	CHILD_CASE("unknown_env_fails_einval", child_forced, &forced_cases[5]),
	CASE("backend_names", test_backend_names),
	CHILD_CASE("concurrent_init_agrees", child_concurrent_init, NULL),
	CHILD_CASE("rng_refuses_without_source", child_rng_refuses, NULL),
#if HAVE_TEST_SECCOMP
	CHILD_CASE("failed_init_cached_no_syscall", child_none_no_syscall, NULL),
#endif
	CHILD_CASE("mmap_backend_over_standin_file", child_standin_mmap, NULL),
	CHILD_CASE("forced_ioctl_on_file_fails_enotty", child_standin_ioctl, NULL),
#ifndef LIBFAST_PUBLIC_ONLY
	CASE("chacha20_rfc8439_2_1_1_quarter_round", test_chacha20_quarter_round),
	CASE("chacha20_rfc8439_2_3_2_block", test_chacha20_block),
	CASE("chacha20_eight_blocks_match_the_reference", test_chacha20_blocks),
	CHILD_CASE("rng_is_chacha20_with_fast_key_erasure", child_rng_reference, NULL),
	CHILD_CASE("rng_child_of_fork_does_not_repeat", child_rng_fork, NULL),
	CHILD_CASE("rng_refuses_a_second_thread", child_rng_thread, NULL),
	CHILD_CASE("fake_page_getters_and_cookie", child_fake_page, NULL),
	CHILD_CASE("cookie_renoted_while_checked", child_cookie_shared, NULL),
	CHILD_CASE("rng_rekeys_on_generation_change", child_rng_rekeys, NULL),
#if HAVE_TEST_SECCOMP
	CHILD_CASE("hot_paths_make_no_syscall", child_fake_page_no_syscall, NULL),
	CHILD_CASE("rng_refuses_when_rekey_fails", child_rng_rekey_failure, NULL),
#endif
#endif
};

int main(void)
{
	return ktap_run(SUITE, cases, sizeof(cases) / sizeof(cases[0]));
}
