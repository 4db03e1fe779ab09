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
};

/* RFC 8439 section 2.1. */
void sysgenid__chacha20_quarter_round(uint32_t x[16], int a, int b, int c, int d);

/* RFC 8439 section 2.3: one 64-byte keystream block, serialised. */
void sysgenid__chacha20_block(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
			      const uint32_t nonce[CHACHA20_NONCE_WORDS],
			      uint8_t out[CHACHA20_BLOCK_SIZE]);

/*
 * The generator's output step without the generation check: what a
 * generator unaware of snapshots would produce from the same state.  The
 * tests use it to show the stream two clones would share.
 */
void sysgenid__rng_generate(struct sysgenid_rng *rng, void *buf, size_t len);

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
