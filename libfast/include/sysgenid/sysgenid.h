/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libsysgenid: read the kernel's system generation counter cheaply.
 *
 * The kernel increases the system generation when the machine was restored
 * from a snapshot or cloned, or when privileged software announces such an
 * event.  A program that keeps world-unique state (PRNG keys, UUID state,
 * nonces) notes the generation when it builds that state and rebuilds it once
 * the generation differs.  This library finds the cheapest way the running
 * kernel offers to read the counter and hides the choice:
 *
 *   vdso    the vDSO getter (__vdso_sysgenid_get() on x86,
 *           __kernel_sysgenid_get() on arm64): no syscall, no file.
 *   mmap    the read-only page of /dev/sysgenid: no syscall after setup, and
 *           no file descriptor kept (the mapping outlives the close()).
 *   ioctl   SYSGENID_GET_GENERATION on a kept /dev/sysgenid descriptor: one
 *           syscall per read.
 *
 * The first call of any function below picks the backend once for the whole
 * process, thread-safely.  SYSGENID_BACKEND=vdso|mmap|ioctl|auto in the
 * environment at that moment forces one (for tests, or to work around a
 * broken backend); a forced backend that is unavailable makes the library
 * fail rather than silently use another.  Programs in secure execution mode
 * (set-user-ID, set-group-ID, file capabilities) ignore it.
 *
 * Functions returning int return 0 or a negative errno value and never print.
 */
#ifndef SYSGENID_SYSGENID_H
#define SYSGENID_SYSGENID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The version of this header and of the library built with it.  1.1 added
 * sysgenid_flags(), 1.2 sysgenid_cookie_changed(); test with, e.g.,
 * #if SYSGENID_VERSION_NUMBER >= 10200.
 */
#define SYSGENID_VERSION_MAJOR	1
#define SYSGENID_VERSION_MINOR	2
#define SYSGENID_VERSION_PATCH	0
#define SYSGENID_VERSION_NUMBER	\
	(SYSGENID_VERSION_MAJOR * 10000 + SYSGENID_VERSION_MINOR * 100 + SYSGENID_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * SYSGENID_GEN_INVALID - what sysgenid_vdso_get() returns when there is no
 * generation to read (sysgenid_init() failed, or the ioctl backend's syscall
 * failed).
 *
 * A real generation equals UINT64_MAX only if privileged software explicitly
 * set it there: the kernel starts at 0, adds one per event and refuses to go
 * past UINT64_MAX.  Callers that must tell the two apart check
 * sysgenid_init() once (0 means a backend serves) or use sysgenid_get().
 * Either way the value is never 0, so a failure cannot pass for "nothing
 * changed since boot".
 */
#define SYSGENID_GEN_INVALID	UINT64_MAX

enum sysgenid_backend {
	SYSGENID_BACKEND_NONE = 0,
	SYSGENID_BACKEND_VDSO,
	SYSGENID_BACKEND_MMAP,
	SYSGENID_BACKEND_IOCTL,
};

/**
 * sysgenid_init() - pick the backend, once per process
 *
 * Called implicitly by every other function; call it explicitly to learn
 * whether a generation source exists.  Later calls return the first result.
 *
 * Return: 0 when a backend serves, or else the error of the last backend
 * tried:
 * -ENOENT: neither the vDSO symbol nor /dev/sysgenid exists (a kernel built
 *          without CONFIG_SYSGENID, or a container without the device node);
 * -ENOSYS: SYSGENID_BACKEND=vdso, but there is no vDSO, it lacks the
 *          getter, or the architecture has none;
 * -ENOTTY: /dev/sysgenid has neither the page nor SYSGENID_GET_GENERATION
 *          (a driver of the older, 32-bit read() ABI);
 * -EINVAL: SYSGENID_BACKEND holds an unknown value, or forces mmap on a
 *          driver without the page (the older ABI again);
 * another -errno from open(), mmap() or ioctl() on /dev/sysgenid (-EACCES).
 * sysgenid_backend() says why in words.
 */
int sysgenid_init(void);

/**
 * sysgenid_get() - read the generation, reporting failure separately
 * @gen: where to store the generation; untouched on failure.
 *
 * Return: 0, sysgenid_init()'s error, or the ioctl backend's -errno.
 */
int sysgenid_get(uint64_t *gen);

/**
 * sysgenid_vdso_get() - the fast getter
 *
 * One call into the vDSO, one load from the mapped page, or one ioctl,
 * whichever backend serves.  After initialisation it takes no lock and is
 * async-signal-safe; the vDSO and mmap backends make no syscall.
 *
 * Return: the generation, or SYSGENID_GEN_INVALID (see there).
 */
uint64_t sysgenid_vdso_get(void);

/**
 * sysgenid_backend() - which backend serves, and why the others do not
 * @which: set to the serving backend (SYSGENID_BACKEND_NONE on failure);
 *         may be NULL.
 * @why:   set to a static, human-readable account of each backend, e.g.
 *         "vdso: __vdso_sysgenid_get@LINUX_2.6 not in the vDSO (...);
 *         mmap: serving"; may be NULL.
 *
 * Return: sysgenid_init()'s result.
 */
int sysgenid_backend(enum sysgenid_backend *which, const char **why);

#ifndef SYSGENID_FLAG_HW_SOURCE
#define SYSGENID_FLAG_HW_SOURCE		(1U << 0)
#define SYSGENID_FLAG_RACE_FREE		(1U << 1)
#endif

/**
 * sysgenid_flags() - what drives the generation, and how soon it is seen
 * @flags: set to the kernel's SYSGENID_FLAG_* bits:
 *         SYSGENID_FLAG_HW_SOURCE: a hypervisor source (the VM Generation
 *         ID device) moves the generation on a restore.  Without it only
 *         software triggers do, and an unchanged generation proves nothing
 *         about a VM snapshot: fail closed if that matters.
 *         SYSGENID_FLAG_RACE_FREE: the vDSO getter sees a restore from the
 *         first instruction after it (the vDSO backend then has no window;
 *         the mmap and ioctl views change when the kernel commits it).
 *
 * Return: 0, sysgenid_init()'s error, -ENOTTY for a driver without the page
 * (the older ABI: flags unknown), or open()'s or mmap()'s -errno.
 */
int sysgenid_flags(uint32_t *flags);

/**
 * sysgenid_backend_name() - "none", "vdso", "mmap", "ioctl", or "unknown"
 * @backend: the backend to name
 */
const char *sysgenid_backend_name(enum sysgenid_backend backend);

/**
 * sysgenid_vdso_sym() - look up a symbol in this process's vDSO
 * @name:    symbol name, e.g. "__vdso_clock_gettime"
 * @version: symbol version, e.g. "LINUX_2.6"; NULL accepts any version
 *
 * Return: the symbol's address, or NULL (no vDSO, no such symbol or version).
 */
void *sysgenid_vdso_sym(const char *name, const char *version);

/*
 * A cookie remembers the generation that some state was built under.  The
 * check costs three loads (the cookie's two fields, the page) and a compare
 * where the mapped page of /dev/sysgenid serves, and one sysgenid_vdso_get()
 * call where the vDSO is race-free (the page lags a restore there) or there
 * is no page.
 *
 * @gen and @word are private: set them with sysgenid_cookie_init() only.
 * One thread may re-note a cookie while others check it: every field is
 * written and read atomically, and a check that meets a re-noting reports
 * either the truth or a change (never "unchanged" for a change it missed).
 */
struct sysgenid_cookie {
	uint64_t gen;
	const volatile uint64_t *word;
};

/**
 * sysgenid_cookie_init() - note the current generation in @c
 * @c: the cookie
 *
 * Call it when the protected state is (re)built, before building it: a
 * change that lands in between is then seen by the next check.
 *
 * Return: 0, sysgenid_init()'s error, or, when the ioctl backend serves, the
 * ioctl's -errno.  After an error @c still works:
 * sysgenid_changed() reports a change on every call, so state guarded by it
 * is rebuilt rather than trusted.
 */
int sysgenid_cookie_init(struct sysgenid_cookie *c);

#if defined(__GNUC__) && defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ >= 8
#define SYSGENID_INLINE_LOAD	1
#else
/* No atomic 64-bit load of a read-only page: always take the getter. */
#define SYSGENID_INLINE_LOAD	0
#endif

/**
 * sysgenid_changed() - has the generation moved since @c was initialised?
 * @c: a cookie set by sysgenid_cookie_init()
 *
 * Return: true if the generation differs from the one noted in @c, or no
 * generation can be read.
 */
static inline bool sysgenid_changed(const struct sysgenid_cookie *c)
{
	uint64_t now;

#if SYSGENID_INLINE_LOAD
	/*
	 * The cookie's fields are read atomically: another thread may re-note
	 * it meanwhile.  The page load's acquire pairs with the kernel's
	 * release store of the generation: the caller's reads of its guarded
	 * state cannot be hoisted above the check.
	 */
	const volatile uint64_t *word = __atomic_load_n(&c->word, __ATOMIC_RELAXED);
	uint64_t gen = __atomic_load_n(&c->gen, __ATOMIC_RELAXED);

	if (__builtin_expect(!!word, 1))
		return __atomic_load_n(word, __ATOMIC_ACQUIRE) != gen;
#else
	uint64_t gen = c->gen;
#endif
	now = sysgenid_vdso_get();
	return now != gen || now == SYSGENID_GEN_INVALID;
}

/**
 * sysgenid_cookie_changed() - sysgenid_changed(), out of line
 * @c: a cookie set by sysgenid_cookie_init()
 *
 * The same check as a library symbol, for languages that cannot call a
 * static inline C function (Rust, Go, Python's ctypes).  It costs one call
 * more than the inline version.
 *
 * Return: what sysgenid_changed() returns.
 */
bool sysgenid_cookie_changed(const struct sysgenid_cookie *c);

/*
 * A ChaCha20 generator that rekeys from getrandom() when the generation
 * changes, so two clones of one snapshot never continue with the same
 * stream, and in the child of a fork(), so a child never repeats its
 * parent's.  Output comes from a buffer of keystream with fast key erasure:
 * each byte is wiped from the buffer as it is handed out and each key is
 * replaced by fresh keystream before any output it produced leaves, so a
 * later memory disclosure reveals neither.  Without a change it makes no
 * syscall; it takes a new key from getrandom() after every MiB of output.
 *
 * A generator belongs to the thread that initialised it: another thread
 * gets -EBUSY (give each thread its own).  It keeps its state in a page of
 * its own (MADV_WIPEONFORK), so it must be destroyed to be freed.  The
 * members are private; the definition is public only so a generator can
 * live on the stack or inside another object.
 */
struct sysgenid_rng {
	void *priv[8];
};

/**
 * sysgenid_rng_init() - key a generator from getrandom()
 * @rng: the generator
 *
 * Return: 0, sysgenid_init()'s error (no generation source: a generator
 * that cannot notice a restore is not offered), mmap()'s or madvise()'s
 * -errno (-EINVAL: a kernel older than 4.14, without MADV_WIPEONFORK), or
 * getrandom()'s -errno.  On error the generator refuses to produce output.
 */
int sysgenid_rng_init(struct sysgenid_rng *rng);

/**
 * sysgenid_rng_bytes() - fill @buf with @len random bytes
 * @rng: a generator set up by sysgenid_rng_init()
 * @buf: where to write
 * @len: how many bytes
 *
 * Return: 0, the error sysgenid_rng_init() returned (-EINVAL if it was never
 * called or sysgenid_rng_destroy() was), -EBUSY when called from a thread
 * other than the one that initialised @rng, or getrandom()'s -errno when a
 * rekey failed.  On error @buf is untouched and the next call retries the
 * rekey.
 */
int sysgenid_rng_bytes(struct sysgenid_rng *rng, void *buf, size_t len);

/**
 * sysgenid_rng_rekeys() - how often @rng rekeyed after a generation change
 * @rng: the generator
 *
 * A child of fork() starts counting from 0.
 */
uint64_t sysgenid_rng_rekeys(const struct sysgenid_rng *rng);

/**
 * sysgenid_rng_destroy() - wipe @rng's key and buffer, free its page
 * @rng: the generator; unusable until sysgenid_rng_init() again
 */
void sysgenid_rng_destroy(struct sysgenid_rng *rng);

#ifdef __cplusplus
}
#endif

#endif /* SYSGENID_SYSGENID_H */
