// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Backend selection and the generation getters.
 *
 * The first call picks, once per process, the cheapest source of the
 * generation the kernel offers: the vDSO function, then the mapped page of
 * /dev/sysgenid, then its GET_GENERATION ioctl.  The choice is published with
 * a release store of sg_ready; the getters read it with an acquire load and
 * afterwards take no lock, so they stay async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include <sysgenid/sysgenid.h>

#include "internal.h"
#include "vdso.h"

#define SYSGENID_DEV		"/dev/sysgenid"
#define SYSGENID_ENV		"SYSGENID_BACKEND"

enum { WHY_LEN = 768 };

_Static_assert(offsetof(struct sysgenid_page, generation) == 8, "uapi page layout");
_Static_assert(sizeof(__u64) == sizeof(uint64_t), "__u64 is 64 bits");

struct sysgenid_state {
	enum sysgenid_backend backend;
	int err;
	/* The getter of the serving backend; never NULL once sg_ready is set. */
	uint64_t (*get)(void);
	/*
	 * The mapped page, when one is mapped: by the mmap backend, or next to
	 * the vDSO backend solely for the inline sysgenid_changed() load.
	 */
	const volatile struct sysgenid_page *page;
	size_t page_len;
	/* Held by the ioctl backend only. */
	int fd;
	size_t why_used;
	char why[WHY_LEN];
};

static struct sysgenid_state sg = { .fd = -1 };
static int sg_ready;
static pthread_mutex_t sg_lock = PTHREAD_MUTEX_INITIALIZER;

static const volatile uint64_t *page_gen_word(const volatile struct sysgenid_page *page)
{
	return (const volatile uint64_t *)((const volatile char *)page +
					   offsetof(struct sysgenid_page, generation));
}

uint64_t sysgenid__page_read_split(const volatile struct sysgenid_page *page)
{
	const volatile uint32_t *half = (const volatile uint32_t *)page_gen_word(page);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	enum { LO = 0, HI = 1 };
#else
	enum { LO = 1, HI = 0 };
#endif
	uint32_t before, hi, lo, after;

	/*
	 * The kernel stores the 64-bit generation before generation32 (a release
	 * store); the acquire loads pair with it.  Equal generation32 reads on
	 * both sides that match the low half mean hi and lo belong together.
	 */
	do {
		before = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&half[HI], __ATOMIC_ACQUIRE);
		lo = __atomic_load_n(&half[LO], __ATOMIC_ACQUIRE);
		after = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
	} while (before != lo || after != lo);

	return (uint64_t)hi << 32 | lo;
}

static uint64_t sysgenid_none_get(void)
{
	return SYSGENID_GEN_INVALID;
}

static uint64_t sysgenid_mmap_get(void)
{
#if __SIZEOF_POINTER__ >= 8
	/* Acquire pairs with the kernel's release store of the generation. */
	return __atomic_load_n(page_gen_word(sg.page), __ATOMIC_ACQUIRE);
#else
	return sysgenid__page_read_split(sg.page);
#endif
}

static int sysgenid_ioctl_read(uint64_t *gen)
{
	__u64 val;

	if (ioctl(sg.fd, SYSGENID_GET_GENERATION, &val) < 0)
		return -errno;
	*gen = val;
	return 0;
}

static uint64_t sysgenid_ioctl_get(void)
{
	uint64_t gen = SYSGENID_GEN_INVALID;
	int saved_errno = errno;

	sysgenid_ioctl_read(&gen);
	/* A signal handler may call us; leave the interrupted code's errno. */
	errno = saved_errno;
	return gen;
}

/* The account behind sysgenid_backend(); truncated, never overflowed. */
static void why_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void why_add(const char *fmt, ...)
{
	size_t room = sizeof(sg.why) - sg.why_used;
	va_list ap;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sg.why + sg.why_used, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sg.why_used += (size_t)n < room ? (size_t)n : room - 1;
}

/* strerror() is not thread-safe and localised; a fixed name is neither. */
static const char *errno_name(int err)
{
	switch (err) {
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case ENXIO:	return "ENXIO";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENFILE:	return "ENFILE";
	case EMFILE:	return "EMFILE";
	case ENOTTY:	return "ENOTTY";
	case ENOSYS:	return "ENOSYS";
	case EOVERFLOW:	return "EOVERFLOW";
	}
	return NULL;
}

static void why_add_errno(int err)
{
	const char *name = errno_name(err);

	if (name)
		why_add("%s", name);
	else
		why_add("errno %d", err);
}

static int sysgenid_open_device(const char *backend, int *fd)
{
	int err;

	*fd = open(SYSGENID_DEV, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;

	err = errno;
	why_add("%s: cannot open " SYSGENID_DEV ": ", backend);
	why_add_errno(err);
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		why_add(" (kernel without CONFIG_SYSGENID, or no device node here)");
		break;
	case EACCES:
	case EPERM:
		why_add(" (not readable by this user, or refused by a security policy)");
		break;
	}
	return -err;
}

static int sysgenid_vdso_probe(void)
{
	void *fn;

	if (!sysgenid__vdso_image()) {
		why_add("vdso: the kernel mapped no vDSO");
		return -ENOSYS;
	}
#ifdef SYSGENID_VDSO_GETTER
	/* The name and version per architecture: <linux/sysgenid.h>. */
	fn = sysgenid__vdso_lookup(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION, VDSO_HASH_ANY);
	if (!fn) {
		why_add("vdso: " SYSGENID_VDSO_GETTER "@" SYSGENID_VDSO_VERSION
			" not in the vDSO (kernel without SysGenID vDSO support)");
		return -ENOSYS;
	}
#else
	why_add("vdso: no vDSO getter on this architecture");
	return -ENOSYS;
#endif
	sg.get = (uint64_t (*)(void))fn;
	return 0;
}

/* Map the page and close the file: the mapping keeps the device alive. */
static int sysgenid_mmap_setup(const char *backend)
{
	long page_len = sysconf(_SC_PAGESIZE);
	void *page;
	int fd, err, ret;

	ret = sysgenid_open_device(backend, &fd);
	if (ret)
		return ret;

	page = mmap(NULL, (size_t)page_len, PROT_READ, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (page == MAP_FAILED) {
		why_add("%s: mmap of " SYSGENID_DEV " failed: ", backend);
		why_add_errno(err);
		if (err == EINVAL || err == ENODEV)
			why_add(" (driver without the mmap page: an older ABI)");
		return -err;
	}
	sg.page = page;
	sg.page_len = (size_t)page_len;
	return 0;
}

static int sysgenid_ioctl_setup(void)
{
	uint64_t gen;
	int ret;

	ret = sysgenid_open_device("ioctl", &sg.fd);
	if (ret)
		return ret;

	ret = sysgenid_ioctl_read(&gen);
	if (ret) {
		why_add("ioctl: SYSGENID_GET_GENERATION failed: ");
		why_add_errno(-ret);
		if (ret == -ENOTTY || ret == -EINVAL)
			why_add(" (driver without it: an older ABI)");
		close(sg.fd);
		sg.fd = -1;
	}
	return ret;
}

static int sysgenid_pick_auto(void)
{
	int ret;

	ret = sysgenid_vdso_probe();
	if (!ret) {
		why_add("vdso: serving; ");
		sg.backend = SYSGENID_BACKEND_VDSO;
		/* Only so sysgenid_changed() can be a load: no fd stays open. */
		if (!sysgenid_mmap_setup("mmap")) {
			/*
			 * The page follows the committed generation; a
			 * race-free vDSO sees a restore before it.  The check
			 * must not be the slower of the two to notice.
			 */
			if (sg.page->flags & SYSGENID_FLAG_RACE_FREE) {
				munmap((void *)sg.page, sg.page_len);
				sg.page = NULL;
				why_add("mmap: unused (sysgenid_changed() calls the race-free vDSO)");
			} else {
				why_add("mmap: page mapped for sysgenid_changed() only");
			}
		}
		why_add("; ioctl: unused");
		return 0;
	}

	why_add("; ");
	ret = sysgenid_mmap_setup("mmap");
	if (!ret) {
		why_add("mmap: serving, no descriptor kept; ioctl: unused");
		sg.get = sysgenid_mmap_get;
		sg.backend = SYSGENID_BACKEND_MMAP;
		return 0;
	}

	why_add("; ");
	ret = sysgenid_ioctl_setup();
	if (!ret) {
		why_add("ioctl: serving on a kept descriptor");
		sg.get = sysgenid_ioctl_get;
		sg.backend = SYSGENID_BACKEND_IOCTL;
	}
	return ret;
}

/* A forced backend is the only one tried: its failure is the result. */
static int sysgenid_pick_forced(enum sysgenid_backend want, const char *env)
{
	static const char *const labels[] = { "vdso", "mmap", "ioctl" };
	int ret = 0;
	int i;

	for (i = 0; i < 3; i++) {
		enum sysgenid_backend b = (enum sysgenid_backend)(SYSGENID_BACKEND_VDSO + i);

		if (i)
			why_add("; ");
		if (b != want) {
			why_add("%s: not tried (" SYSGENID_ENV "=%s)", labels[i], env);
			continue;
		}

		switch (b) {
		case SYSGENID_BACKEND_VDSO:
			ret = sysgenid_vdso_probe();
			break;
		case SYSGENID_BACKEND_MMAP:
			ret = sysgenid_mmap_setup("mmap");
			if (!ret)
				sg.get = sysgenid_mmap_get;
			break;
		case SYSGENID_BACKEND_IOCTL:
			ret = sysgenid_ioctl_setup();
			if (!ret)
				sg.get = sysgenid_ioctl_get;
			break;
		case SYSGENID_BACKEND_NONE:
			break;
		}
		if (!ret) {
			why_add("%s: serving (forced by " SYSGENID_ENV ")", labels[i]);
			sg.backend = b;
		}
	}
	return ret;
}

/* The page's flags, through the page the library holds or a new mapping. */
static int sysgenid_read_flags(uint32_t *flags)
{
	const volatile struct sysgenid_page *page;
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	int fd, ret = 0;

	if (sg.page) {
		*flags = sg.page->flags;
		return 0;
	}
	fd = open(SYSGENID_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	page = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		/* A driver of the older ABI has no page, hence no flags. */
		ret = errno == ENODEV ? -ENOTTY : -errno;
	} else {
		*flags = page->flags;
		munmap((void *)page, len);
	}
	close(fd);
	return ret;
}

static void sysgenid_why_flags(void)
{
	uint32_t flags;

	if (sysgenid_read_flags(&flags)) {
		why_add("; source: unknown (no /dev/sysgenid page)");
		return;
	}
	why_add("; source: %s; restore window: %s",
		flags & SYSGENID_FLAG_HW_SOURCE ? "VM Generation ID" :
		"software triggers only",
		flags & SYSGENID_FLAG_RACE_FREE ? "none for the vDSO getter" :
		"until the kernel handles the notification");
}

static void sysgenid_pick(void)
{
	const char *env = secure_getenv(SYSGENID_ENV);
	int ret;

	sg.get = sysgenid_none_get;
	sg.fd = -1;

	if (!env || !*env || !strcmp(env, "auto")) {
		ret = sysgenid_pick_auto();
	} else if (!strcmp(env, "vdso")) {
		ret = sysgenid_pick_forced(SYSGENID_BACKEND_VDSO, env);
	} else if (!strcmp(env, "mmap")) {
		ret = sysgenid_pick_forced(SYSGENID_BACKEND_MMAP, env);
	} else if (!strcmp(env, "ioctl")) {
		ret = sysgenid_pick_forced(SYSGENID_BACKEND_IOCTL, env);
	} else {
		why_add(SYSGENID_ENV "=%s: not one of vdso, mmap, ioctl, auto", env);
		ret = -EINVAL;
	}

	if (ret) {
		sg.backend = SYSGENID_BACKEND_NONE;
		sg.get = sysgenid_none_get;
	}
	sg.err = ret;
	if (!ret)
		sysgenid_why_flags();
}

SYSGENID_EXPORT int sysgenid_init(void)
{
	/* Acquire pairs with the release store below: sg is complete. */
	if (__atomic_load_n(&sg_ready, __ATOMIC_ACQUIRE))
		return sg.err;

	pthread_mutex_lock(&sg_lock);
	if (!sg_ready) {
		sysgenid_pick();
		__atomic_store_n(&sg_ready, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sg_lock);
	return sg.err;
}

SYSGENID_EXPORT uint64_t sysgenid_vdso_get(void)
{
	if (__builtin_expect(!__atomic_load_n(&sg_ready, __ATOMIC_ACQUIRE), 0))
		sysgenid_init();
	return sg.get();
}

SYSGENID_EXPORT int sysgenid_get(uint64_t *gen)
{
	int ret = sysgenid_init();

	if (ret)
		return ret;
	if (sg.backend == SYSGENID_BACKEND_IOCTL)
		return sysgenid_ioctl_read(gen);
	*gen = sg.get();
	return 0;
}

SYSGENID_EXPORT int sysgenid_backend(enum sysgenid_backend *which, const char **why)
{
	int ret = sysgenid_init();

	if (which)
		*which = sg.backend;
	if (why)
		*why = sg.why;
	return ret;
}

SYSGENID_EXPORT int sysgenid_flags(uint32_t *flags)
{
	int ret = sysgenid_init();

	if (ret)
		return ret;
	return sysgenid_read_flags(flags);
}

SYSGENID_EXPORT const char *sysgenid_backend_name(enum sysgenid_backend backend)
{
	switch (backend) {
	case SYSGENID_BACKEND_NONE:
		return "none";
	case SYSGENID_BACKEND_VDSO:
		return "vdso";
	case SYSGENID_BACKEND_MMAP:
		return "mmap";
	case SYSGENID_BACKEND_IOCTL:
		return "ioctl";
	}
	return "unknown";
}

/*
 * Another thread may be checking @c meanwhile (a shared cookie re-noted
 * after a rebuild): each field is stored whole, atomically, and every mix
 * of old and new fields a reader can see reports a change or the truth.
 */
static void cookie_store(struct sysgenid_cookie *c, const volatile uint64_t *word, uint64_t gen)
{
	__atomic_store_n(&c->gen, gen, __ATOMIC_RELAXED);
	__atomic_store_n(&c->word, word, __ATOMIC_RELAXED);
}

SYSGENID_EXPORT int sysgenid_cookie_init(struct sysgenid_cookie *c)
{
	int ret = sysgenid_init();
	uint64_t gen = SYSGENID_GEN_INVALID;	/* GCC 12 -m32 cannot tell it is set */

	if (ret) {
		cookie_store(c, NULL, SYSGENID_GEN_INVALID);
		return ret;
	}

#if SYSGENID_INLINE_LOAD
	/*
	 * Note the generation from the word sysgenid_changed() will compare
	 * against, so a vDSO and a page updated a moment apart cannot disagree.
	 */
	if (sg.page) {
		const volatile uint64_t *word = page_gen_word(sg.page);

		cookie_store(c, word, __atomic_load_n(word, __ATOMIC_ACQUIRE));
		return 0;
	}
#endif
	ret = sysgenid_get(&gen);
	cookie_store(c, NULL, ret ? SYSGENID_GEN_INVALID : gen);
	return ret;
}

SYSGENID_EXPORT bool sysgenid_cookie_changed(const struct sysgenid_cookie *c)
{
	return sysgenid_changed(c);
}

void sysgenid__test_reset(void)
{
	if (sg.page && sg.page_len)
		munmap((void *)sg.page, sg.page_len);
	if (sg.fd >= 0)
		close(sg.fd);
	memset(&sg, 0, sizeof(sg));
	sg.fd = -1;
	__atomic_store_n(&sg_ready, 0, __ATOMIC_RELEASE);
}

void sysgenid__test_use_page(const volatile struct sysgenid_page *page)
{
	sysgenid__test_reset();
	sg.backend = SYSGENID_BACKEND_MMAP;
	sg.page = page;
	sg.get = sysgenid_mmap_get;
	why_add("mmap: serving from a test page (sysgenid__test_use_page)");
	__atomic_store_n(&sg_ready, 1, __ATOMIC_RELEASE);
}
