// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A userspace random generator that survives being snapshotted, cloned and
 * forked, and costs less per call than the kernel's vDSO getrandom().
 *
 * Output comes from a buffer of ChaCha20 keystream (RFC 8439, zero nonce)
 * with fast key erasure: each refill computes RNG_BLOCKS blocks under the
 * current key, the first 32 bytes become the next key and the rest is
 * handed out, each byte wiped from the buffer as it leaves.  A memory
 * disclosure therefore reveals neither earlier output nor the key it came
 * from.
 *
 * The state lives in a page of its own, mapped with MADV_WIPEONFORK: a
 * child of fork() (or of any clone() without CLONE_VM, which
 * pthread_atfork() handlers would miss) finds it zeroed and keys its own
 * generator from getrandom() on its first request.  A new system
 * generation (a VM restore or clone) throws key and buffer away the same
 * way, and so does every RNG_RESEED_BYTES of output, so that a kernel
 * reseed reaches the stream.  The fast path is a check of the generation
 * (sysgenid_changed(): three loads where the page serves, a call of the
 * vDSO getter where that is race-free), a copy and a wipe.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <sysgenid/sysgenid.h>

#include "internal.h"

_Static_assert(sizeof(struct rng_state) <= RNG_STATE_BYTES, "state page");
_Static_assert(sizeof(struct rng_handle) <= sizeof(struct sysgenid_rng), "handle");

/*
 * Which thread is calling: the address of a thread-local byte.  Initial
 * exec: one %fs-relative lea, no __tls_get_addr() call, at the cost of a
 * byte of the static TLS that glibc reserves for dlopen()ed libraries.
 */
static __thread char rng_thread __attribute__((tls_model("initial-exec")));

static inline const void *rng_self(void)
{
	return &rng_thread;
}

static inline struct rng_handle *handle(struct sysgenid_rng *rng)
{
	return (struct rng_handle *)rng;
}

/* Refill from the current key, which is replaced and never used again. */
static void rng_refill(struct rng_state *st)
{
	sysgenid__chacha20_blocks(st->key, 0, st->buf);
	memcpy(st->key, st->buf, RNG_KEY_BYTES);
	explicit_bzero(st->buf, RNG_KEY_BYTES);
	st->pos = RNG_KEY_BYTES;
	st->since_seed += RNG_BUF_BYTES - RNG_KEY_BYTES;
}

static int rng_seed_key(struct rng_state *st)
{
	size_t done = 0;
	ssize_t n;

	while (done < RNG_KEY_BYTES) {
		n = getrandom((uint8_t *)st->key + done, RNG_KEY_BYTES - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * Forget everything that may be shared with another copy of this process
 * (after a fork, a new generation, or at first use) and key afresh.  The
 * generation is noted first: a change landing during the rekey is caught
 * by the next request.
 */
static int rng_rekey(struct rng_state *st, const void *owner, bool counted)
{
	int ret;

	explicit_bzero(st->buf, sizeof(st->buf));
	st->pos = RNG_BUF_BYTES;
	st->owner = owner;
	ret = sysgenid_cookie_init(&st->cookie);
	if (!ret)
		ret = rng_seed_key(st);
	if (ret) {
		/*
		 * No output until a rekey succeeds: a fresh state stays
		 * unready, a running one reports a change on every check.
		 */
		explicit_bzero(st->key, sizeof(st->key));
		st->cookie.gen = SYSGENID_GEN_INVALID;
		st->cookie.word = NULL;
		return ret;
	}
	st->since_seed = 0;
	st->ready = 1;
	if (counted)
		st->rekeys++;
	return 0;
}

/* Hand out @len bytes, fewer than RNG_DIRECT_MAX; the key is current. */
static void rng_output(struct rng_state *st, uint8_t *out, size_t len)
{
	size_t n;

	while (len) {
		if (st->pos == RNG_BUF_BYTES)
			rng_refill(st);
		n = RNG_BUF_BYTES - st->pos;
		if (n > len)
			n = len;
		memcpy(out, &st->buf[st->pos], n);
		explicit_bzero(&st->buf[st->pos], n);
		st->pos += (uint32_t)n;
		out += n;
		len -= n;
	}
}

/*
 * Everything but the common case: a first use, a fork, a new generation,
 * the reseed interval, a request larger than what the buffer holds.
 */
static int rng_bytes_slow(struct rng_handle *h, uint8_t *out, size_t len, bool check)
{
	struct rng_state *st = h->st;
	static const uint32_t nonce[CHACHA20_NONCE_WORDS];
	uint8_t first[CHACHA20_BLOCK_SIZE];
	uint32_t counter;
	size_t n;
	int ret;

	if (!st->ready) {
		/* A fresh generator, or a child of fork() with a wiped page. */
		ret = rng_rekey(st, rng_self(), false);
		if (ret)
			return ret;
	} else if (check && sysgenid_changed(&st->cookie)) {
		ret = rng_rekey(st, st->owner, true);
		if (ret)
			return ret;
	}
	if (st->since_seed >= RNG_RESEED_BYTES) {
		ret = rng_rekey(st, st->owner, false);
		if (ret)
			return ret;
	}

	/* What the buffer holds first, then whole blocks straight out. */
	n = RNG_BUF_BYTES - st->pos;
	if (n > len)
		n = len;
	rng_output(st, out, n);
	out += n;
	len -= n;
	while (len >= RNG_BUF_BYTES) {
		n = len < RNG_DIRECT_MAX ? len & ~(size_t)(RNG_BUF_BYTES - 1) : RNG_DIRECT_MAX;
		/* Block 0 gives the next key; the output starts at block 8. */
		sysgenid__chacha20_block(st->key, 0, nonce, first);
		for (counter = CHACHA20_BLOCKS; n; counter += CHACHA20_BLOCKS) {
			sysgenid__chacha20_blocks(st->key, counter, out);
			out += RNG_BUF_BYTES;
			len -= RNG_BUF_BYTES;
			n -= RNG_BUF_BYTES;
			st->since_seed += RNG_BUF_BYTES;
		}
		memcpy(st->key, first, RNG_KEY_BYTES);
		explicit_bzero(first, sizeof(first));
	}
	rng_output(st, out, len);
	return 0;
}

/* Two overlapping moves of @n bytes, constant here, cover @len from n to 2n. */
static inline void take_ends(uint8_t *out, uint8_t *p, size_t len, size_t n)
{
	memcpy(out, p, n);
	memcpy(out + len - n, p + len - n, n);
	memset(p, 0, n);
	memset(p + len - n, 0, n);
}

/*
 * Copy @len bytes out of the buffer and zero them there, without a call
 * for the small requests that dominate (a nonce, an integer).  The buffer
 * outlives the call, so plain stores zero it for good.
 */
static inline void take(uint8_t *out, uint8_t *p, size_t len)
{
	if (len >= 8 && len <= 16) {
		take_ends(out, p, len, 8);
	} else if (len >= 4 && len < 8) {
		take_ends(out, p, len, 4);
	} else {
		memcpy(out, p, len);
		memset(p, 0, len);
	}
}

/* Why @h cannot serve, or 0 when it can but took the slow path. */
static int rng_unusable(const struct rng_handle *h)
{
	if (h->magic != RNG_MAGIC)
		return -EINVAL;		/* zeroed, or destroyed */
	if (!h->st)
		return h->status ? h->status : -EINVAL;
	if (h->st->owner != rng_self() && h->st->ready)
		return -EBUSY;		/* another thread's generator */
	return 0;
}

/*
 * The fast path loads the state pointer, the owner (zeroed by a fork, so a
 * child lands in the slow path), the generation (three loads) and the
 * position, then copies.  Everything else is in rng_bytes_slow().
 */
static inline int rng_bytes(struct sysgenid_rng *rng, void *buf, size_t len, bool check)
{
	struct rng_handle *h = handle(rng);
	struct rng_state *st = h->st;
	int ret;

	if (__builtin_expect(st && st->owner == rng_self() &&
			     !(check && sysgenid_changed(&st->cookie)) &&
			     len - 1 < RNG_BUF_BYTES - st->pos, 1)) {
		take(buf, &st->buf[st->pos], len);
		st->pos += (uint32_t)len;
		return 0;
	}
	ret = rng_unusable(h);
	if (ret || !len)
		return ret;
	return rng_bytes_slow(h, buf, len, check);
}

SYSGENID_EXPORT int sysgenid_rng_bytes(struct sysgenid_rng *rng, void *buf, size_t len)
{
	return rng_bytes(rng, buf, len, true);
}

int sysgenid__rng_bytes_unchecked(struct sysgenid_rng *rng, void *buf, size_t len)
{
	return rng_bytes(rng, buf, len, false);
}

SYSGENID_EXPORT int sysgenid_rng_init(struct sysgenid_rng *rng)
{
	struct rng_handle *h = handle(rng);
	struct rng_state *st;
	int ret;

	memset(rng, 0, sizeof(*rng));
	h->magic = RNG_MAGIC;
	/* A generator that cannot notice a restore is not offered. */
	ret = sysgenid_init();
	if (ret) {
		h->status = ret;
		return ret;
	}
	st = mmap(NULL, RNG_STATE_BYTES, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED) {
		h->status = -errno;
		return h->status;
	}
	if (madvise(st, RNG_STATE_BYTES, MADV_WIPEONFORK)) {
		/* Linux before 4.14: a child would repeat its parent's stream. */
		h->status = -errno;
		munmap(st, RNG_STATE_BYTES);
		return h->status;
	}
	h->st = st;
	ret = rng_rekey(st, rng_self(), false);
	if (ret) {
		munmap(st, RNG_STATE_BYTES);
		h->st = NULL;
		h->status = ret;
	}
	return ret;
}

SYSGENID_EXPORT uint64_t sysgenid_rng_rekeys(const struct sysgenid_rng *rng)
{
	const struct rng_handle *h = (const struct rng_handle *)rng;

	return h->magic == RNG_MAGIC && h->st ? h->st->rekeys : 0;
}

SYSGENID_EXPORT void sysgenid_rng_destroy(struct sysgenid_rng *rng)
{
	struct rng_handle *h = handle(rng);

	if (h->magic == RNG_MAGIC && h->st) {
		explicit_bzero(h->st, RNG_STATE_BYTES);
		munmap(h->st, RNG_STATE_BYTES);
	}
	explicit_bzero(rng, sizeof(*rng));
}

void sysgenid__rng_clone(struct sysgenid_rng *dst, const struct sysgenid_rng *src)
{
	const struct rng_handle *s = (const struct rng_handle *)src;
	struct rng_handle *d = handle(dst);

	memcpy(dst, src, sizeof(*dst));
	d->st = mmap(NULL, RNG_STATE_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->st == MAP_FAILED) {
		d->st = NULL;
		d->status = -ENOMEM;
		return;
	}
	memcpy(d->st, s->st, sizeof(*s->st));
}

void sysgenid__rng_generate(struct sysgenid_rng *rng, void *buf, size_t len)
{
	sysgenid__rng_bytes_unchecked(rng, buf, len);
}
