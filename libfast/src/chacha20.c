// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The ChaCha20 block function of RFC 8439, section 2.3: the keystream source
 * of the snapshot-safe generator.  Only the block function is needed; the
 * generator never encrypts.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"

enum {
	CHACHA20_STATE_WORDS	= 16,
	CHACHA20_DOUBLE_ROUNDS	= 10,
};

/* "expand 32-byte k" read as four little-endian words. */
static const uint32_t chacha20_sigma[4] = {
	0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
};

static inline uint32_t rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static inline void quarter_round(uint32_t x[CHACHA20_STATE_WORDS], int a, int b, int c, int d)
{
	x[a] += x[b]; x[d] ^= x[a]; x[d] = rotl32(x[d], 16);
	x[c] += x[d]; x[b] ^= x[c]; x[b] = rotl32(x[b], 12);
	x[a] += x[b]; x[d] ^= x[a]; x[d] = rotl32(x[d], 8);
	x[c] += x[d]; x[b] ^= x[c]; x[b] = rotl32(x[b], 7);
}

void sysgenid__chacha20_quarter_round(uint32_t x[CHACHA20_STATE_WORDS], int a, int b, int c,
				      int d)
{
	quarter_round(x, a, b, c, d);
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void sysgenid__chacha20_block(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
			      const uint32_t nonce[CHACHA20_NONCE_WORDS],
			      uint8_t out[CHACHA20_BLOCK_SIZE])
{
	uint32_t init[CHACHA20_STATE_WORDS], x[CHACHA20_STATE_WORDS];
	int i;

	memcpy(&init[0], chacha20_sigma, sizeof(chacha20_sigma));
	memcpy(&init[4], key, CHACHA20_KEY_WORDS * sizeof(uint32_t));
	init[12] = counter;
	memcpy(&init[13], nonce, CHACHA20_NONCE_WORDS * sizeof(uint32_t));
	memcpy(x, init, sizeof(x));

	for (i = 0; i < CHACHA20_DOUBLE_ROUNDS; i++) {
		/* Column round. */
		quarter_round(x, 0, 4, 8, 12);
		quarter_round(x, 1, 5, 9, 13);
		quarter_round(x, 2, 6, 10, 14);
		quarter_round(x, 3, 7, 11, 15);
		/* Diagonal round. */
		quarter_round(x, 0, 5, 10, 15);
		quarter_round(x, 1, 6, 11, 12);
		quarter_round(x, 2, 7, 8, 13);
		quarter_round(x, 3, 4, 9, 14);
	}

	for (i = 0; i < CHACHA20_STATE_WORDS; i++)
		store_le32(&out[4 * i], x[i] + init[i]);
}
