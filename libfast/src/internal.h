/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Library-internal declarations.  Not installed.  Everything here has hidden
 * visibility: the tests reach it by linking the static library.
 */
#ifndef SYSGENID_INTERNAL_H
#define SYSGENID_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sysgenid/sysgenid.h>

#define SYSGENID_EXPORT		__attribute__((visibility("default")))

struct sysgenid_page;

enum {
	CHACHA20_KEY_WORDS	= 8,
	CHACHA20_NONCE_WORDS	= 3,
	CHACHA20_BLOCK_SIZE	= 64,
	CHACHA20_BLOCKS		= 8,	/* per sysgenid__chacha20_blocks() */
};

/* RFC 8439 section 2.1. */
void sysgenid__chacha20_quarter_round(uint32_t x[16], int a, int b, int c, int d);

/* RFC 8439 section 2.3: one 64-byte keystream block, serialised. */
void sysgenid__chacha20_block(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
			      const uint32_t nonce[CHACHA20_NONCE_WORDS],
			      uint8_t out[CHACHA20_BLOCK_SIZE]);

/*
 * Blocks @counter to @counter + 7 under @key with a zero nonce, serialised
 * one after the other: the same bytes as eight sysgenid__chacha20_block()s.
 */
void sysgenid__chacha20_blocks(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
			       uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE]);

/* Its implementations, each testable on any CPU that runs it. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SYSGENID_HAVE_AVX2	1
void sysgenid__chacha20_blocks_avx2(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
				    uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE]);
#else
#define SYSGENID_HAVE_AVX2	0
#endif
void sysgenid__chacha20_blocks_generic(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
				       uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE]);

enum {
	RNG_KEY_BYTES	= CHACHA20_KEY_WORDS * sizeof(uint32_t),
	RNG_BLOCKS	= CHACHA20_BLOCKS,
	RNG_BUF_BYTES	= RNG_BLOCKS * CHACHA20_BLOCK_SIZE,
	/* Large requests: keystream written straight out, then a new key. */
	RNG_DIRECT_MAX	= 1024 * CHACHA20_BLOCK_SIZE,
	/* Output between two keys from getrandom(). */
	RNG_RESEED_BYTES = 1 << 20,
	RNG_STATE_BYTES	= 4096,
};

/*
 * The generator's state (prng.c), in a page of its own that fork() wipes:
 * ready == 0 there means "key me".  @pos is the first byte of @buf not
 * handed out yet; the bytes before it are zero.
 */
struct rng_state {
	uint32_t ready;
	uint32_t pos;
	struct sysgenid_cookie cookie;
	uint64_t since_seed;		/* output since the key came from getrandom() */
	uint64_t rekeys;
	const void *owner;		/* the thread that may use it */
	uint32_t key[CHACHA20_KEY_WORDS];
	uint8_t buf[RNG_BUF_BYTES];
};

/* struct sysgenid_rng, as the library sees it. */
struct rng_handle {
	struct rng_state *st;
	int status;			/* 0, or why the generator is unusable */
	uint32_t magic;
};

#define RNG_MAGIC	0x53474e52	/* "RNGS" */

/*
 * The generator's output step without the generation check: what a
 * generator unaware of snapshots would produce from the same state.  The
 * tests use it to show the stream two clones would share, the benchmark to
 * weigh the check.  sysgenid__rng_clone() copies a generator's state into a
 * new page, as a snapshot restored twice would.
 */
int sysgenid__rng_bytes_unchecked(struct sysgenid_rng *rng, void *buf, size_t len);
void sysgenid__rng_generate(struct sysgenid_rng *rng, void *buf, size_t len);
void sysgenid__rng_clone(struct sysgenid_rng *dst, const struct sysgenid_rng *src);

/* The 32-bit reader protocol of struct sysgenid_page, kept testable on 64-bit. */
uint64_t sysgenid__page_read_split(const volatile struct sysgenid_page *page);

/*
 * Test hooks.  Not thread-safe: call them while no other thread uses the
 * library.
 *
 * sysgenid__test_reset() forgets the backend (unmapping the page and closing
 * the descriptor) so the next call initialises again and rereads the
 * environment.
 *
 * sysgenid__test_use_page() resets and then serves the mmap backend from
 * @page, a struct sysgenid_page the test owns and bumps, as if it were the
 * device's page.
 */
void sysgenid__test_reset(void);
void sysgenid__test_use_page(const volatile struct sysgenid_page *page);

#endif /* SYSGENID_INTERNAL_H */
