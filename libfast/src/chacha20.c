// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The ChaCha20 block function of RFC 8439, section 2.3: the keystream source
 * of the snapshot-safe generator.  Only the block function is needed; the
 * generator never encrypts.  sysgenid__chacha20_blocks() computes eight
 * blocks at once in 256-bit vectors, one lane per block (AVX2 where the CPU
 * has it, pairs of SSE2 or NEON operations otherwise); the scalar
 * sysgenid__chacha20_block() is the reference it is tested against.
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

typedef uint32_t vec4 __attribute__((vector_size(16)));
typedef uint32_t vec8 __attribute__((vector_size(32)));

/* A macro: a vec8 argument or return value would depend on -mavx. */
#define ROTL8(v, n)	(((v) << (n)) | ((v) >> (32 - (n))))

#define QR8(a, b, c, d) do {						\
	x[a] += x[b]; x[d] = ROTL8(x[d] ^ x[a], 16);			\
	x[c] += x[d]; x[b] = ROTL8(x[b] ^ x[c], 12);			\
	x[a] += x[b]; x[d] = ROTL8(x[d] ^ x[a], 8);			\
	x[c] += x[d]; x[b] = ROTL8(x[b] ^ x[c], 7);			\
} while (0)

/* Words @i to @i + 3 of blocks @first to @first + 3, from four lanes each. */
static inline void store_transposed(uint8_t *out, int i, vec4 w0, vec4 w1, vec4 w2, vec4 w3)
{
	vec4 lo01 = __builtin_shuffle(w0, w1, (vec4){ 0, 4, 1, 5 });
	vec4 lo23 = __builtin_shuffle(w2, w3, (vec4){ 0, 4, 1, 5 });
	vec4 hi01 = __builtin_shuffle(w0, w1, (vec4){ 2, 6, 3, 7 });
	vec4 hi23 = __builtin_shuffle(w2, w3, (vec4){ 2, 6, 3, 7 });
	vec4 b[4] = {
		__builtin_shuffle(lo01, lo23, (vec4){ 0, 1, 4, 5 }),
		__builtin_shuffle(lo01, lo23, (vec4){ 2, 3, 6, 7 }),
		__builtin_shuffle(hi01, hi23, (vec4){ 0, 1, 4, 5 }),
		__builtin_shuffle(hi01, hi23, (vec4){ 2, 3, 6, 7 }),
	};
	int j;

	for (j = 0; j < 4; j++)
		memcpy(&out[j * CHACHA20_BLOCK_SIZE + 4 * i], &b[j], sizeof(b[j]));
}

/* Eight blocks, one per lane of 256-bit vectors. */
static inline __attribute__((always_inline))
void chacha20_blocks(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
		     uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE])
{
	vec8 init[CHACHA20_STATE_WORDS], x[CHACHA20_STATE_WORDS];
	int i;

	for (i = 0; i < 4; i++)
		init[i] = (vec8){ 0 } + chacha20_sigma[i];
	for (i = 0; i < CHACHA20_KEY_WORDS; i++)
		init[4 + i] = (vec8){ 0 } + key[i];
	init[12] = (vec8){ 0, 1, 2, 3, 4, 5, 6, 7 } + counter;
	init[13] = init[14] = init[15] = (vec8){ 0 };	/* the nonce */
	memcpy(x, init, sizeof(x));

	for (i = 0; i < CHACHA20_DOUBLE_ROUNDS; i++) {
		QR8(0, 4, 8, 12);
		QR8(1, 5, 9, 13);
		QR8(2, 6, 10, 14);
		QR8(3, 7, 11, 15);
		QR8(0, 5, 10, 15);
		QR8(1, 6, 11, 12);
		QR8(2, 7, 8, 13);
		QR8(3, 4, 9, 14);
	}

	for (i = 0; i < CHACHA20_STATE_WORDS; i++)
		x[i] += init[i];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = 0; i < CHACHA20_STATE_WORDS; i += 4) {
		vec4 lo[4], hi[4];
		int k;

		for (k = 0; k < 4; k++) {
			memcpy(&lo[k], &x[i + k], sizeof(lo[k]));
			memcpy(&hi[k], (const char *)&x[i + k] + sizeof(lo[k]), sizeof(hi[k]));
		}
		store_transposed(out, i, lo[0], lo[1], lo[2], lo[3]);
		store_transposed(out + 4 * CHACHA20_BLOCK_SIZE, i, hi[0], hi[1], hi[2], hi[3]);
	}
#else
	for (i = 0; i < CHACHA20_STATE_WORDS; i++) {
		int j;

		for (j = 0; j < CHACHA20_BLOCKS; j++)
			store_le32(&out[j * CHACHA20_BLOCK_SIZE + 4 * i], x[i][j]);
	}
#endif
	explicit_bzero(x, sizeof(x));
	explicit_bzero(init, sizeof(init));
}

/* Pairs of SSE2 (or NEON, ...) operations per 256-bit vector. */
void sysgenid__chacha20_blocks_generic(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
				       uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE])
{
	chacha20_blocks(key, counter, out);
}

#if SYSGENID_HAVE_AVX2
__attribute__((target("avx2")))
void sysgenid__chacha20_blocks_avx2(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
				    uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE])
{
	chacha20_blocks(key, counter, out);
}
#endif

typedef void blocks_fn(const uint32_t *key, uint32_t counter, uint8_t *out);
static blocks_fn *blocks_impl;

/* AVX2 where the CPU has it, chosen on first use; the choice is idempotent. */
void sysgenid__chacha20_blocks(const uint32_t key[CHACHA20_KEY_WORDS], uint32_t counter,
			       uint8_t out[CHACHA20_BLOCKS * CHACHA20_BLOCK_SIZE])
{
	blocks_fn *fn = __atomic_load_n(&blocks_impl, __ATOMIC_RELAXED);

	if (__builtin_expect(!fn, 0)) {
		fn = sysgenid__chacha20_blocks_generic;
#if SYSGENID_HAVE_AVX2
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2"))
			fn = sysgenid__chacha20_blocks_avx2;
#endif
		__atomic_store_n(&blocks_impl, fn, __ATOMIC_RELAXED);
	}
	fn(key, counter, out);
}
