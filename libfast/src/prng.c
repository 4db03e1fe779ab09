// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A userspace random generator that survives being snapshotted: before each
 * request it checks the system generation, and after a restore or clone it
 * throws its key away and takes a fresh one from getrandom(), whose kernel
 * pool is reseeded on the same events.  Two clones of one snapshot therefore
 * stop sharing a stream at their first request after the generation moved.
 *
 * Each request runs ChaCha20 under the current key with counter 0 and a zero
 * nonce; the first 32 bytes of that keystream become the next key and the
 * rest is output (fast key erasure), so a key is used for one request only
 * and the counter and nonce never need to advance.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include <sysgenid/sysgenid.h>

#include "internal.h"

enum {
	RNG_KEY_BYTES	= CHACHA20_KEY_WORDS * sizeof(uint32_t),
	/* Bytes produced under one key before it is erased mid-request. */
	RNG_CHUNK_BYTES	= 64 * 1024,
	RNG_READY	= 1,
};

static const uint32_t rng_nonce[CHACHA20_NONCE_WORDS];

void sysgenid__rng_generate(struct sysgenid_rng *rng, void *buf, size_t len)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	uint8_t *out = buf;

	while (len) {
		size_t chunk = len < RNG_CHUNK_BYTES ? len : RNG_CHUNK_BYTES;
		uint32_t next_key[CHACHA20_KEY_WORDS];
		uint32_t counter = 0;
		size_t n;

		sysgenid__chacha20_block(rng->key, counter++, rng_nonce, block);
		memcpy(next_key, block, RNG_KEY_BYTES);
		n = chunk < CHACHA20_BLOCK_SIZE - RNG_KEY_BYTES ?
		    chunk : CHACHA20_BLOCK_SIZE - RNG_KEY_BYTES;
		memcpy(out, block + RNG_KEY_BYTES, n);
		out += n;
		len -= n;
		chunk -= n;

		while (chunk) {
			sysgenid__chacha20_block(rng->key, counter++, rng_nonce, block);
			n = chunk < CHACHA20_BLOCK_SIZE ? chunk : CHACHA20_BLOCK_SIZE;
			memcpy(out, block, n);
			out += n;
			len -= n;
			chunk -= n;
		}

		memcpy(rng->key, next_key, RNG_KEY_BYTES);
		explicit_bzero(next_key, sizeof(next_key));
	}
	explicit_bzero(block, sizeof(block));
}

static int rng_fallback_seed(struct sysgenid_rng *rng)
{
	uint8_t seed[RNG_KEY_BYTES];
	size_t done = 0;
	ssize_t n;

	while (done < sizeof(seed)) {
		n = getrandom(seed + done, sizeof(seed) - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			explicit_bzero(seed, sizeof(seed));
			return -errno;
		}
		done += (size_t)n;
	}
	memcpy(rng->key, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	return 0;
}

/* The generation moved: this state may be running in several clones now. */
static int rng_fallback_rekey(struct sysgenid_rng *rng)
{
	int ret;

	/*
	 * Note the new generation first: a change landing during the rekey is
	 * then caught by the next request.  A failure to read it leaves the
	 * cookie reporting a change, so every request rekeys: safe, only slow.
	 */
	sysgenid_cookie_init(&rng->cookie);
	ret = rng_fallback_seed(rng);
	if (ret) {
		/* Keep refusing until a rekey succeeds. */
		rng->cookie.gen = SYSGENID_GEN_INVALID;
		rng->cookie.word = NULL;
		return ret;
	}
	rng->rekeys++;
	return 0;
}

SYSGENID_EXPORT int sysgenid_rng_init(struct sysgenid_rng *rng)
{
	int ret;

	memset(rng, 0, sizeof(*rng));
	ret = sysgenid_cookie_init(&rng->cookie);
	if (!ret)
		ret = rng_fallback_seed(rng);
	if (ret) {
		explicit_bzero(rng->key, sizeof(rng->key));
		rng->status = ret;
		return ret;
	}
	rng->status = RNG_READY;
	return 0;
}

SYSGENID_EXPORT int sysgenid_rng_bytes(struct sysgenid_rng *rng, void *buf, size_t len)
{
	int ret;

	if (rng->status != RNG_READY)
		return rng->status < 0 ? rng->status : -EINVAL;

	if (sysgenid_changed(&rng->cookie)) {
		ret = rng_fallback_rekey(rng);
		if (ret)
			return ret;
	}
	sysgenid__rng_generate(rng, buf, len);
	return 0;
}

SYSGENID_EXPORT uint64_t sysgenid_rng_rekeys(const struct sysgenid_rng *rng)
{
	return rng->rekeys;
}

SYSGENID_EXPORT void sysgenid_rng_destroy(struct sysgenid_rng *rng)
{
	explicit_bzero(rng, sizeof(*rng));
}
