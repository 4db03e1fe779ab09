// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A userspace PRNG that rekeys lazily, the way a TLS library's DRBG would
 * with the vendored sysgenid_lazy.h and nothing else: ChaCha20 with fast key
 * erasure, keyed from getrandom(), and a generation check before every
 * request.  After a snapshot restore or clone each copy takes a new key
 * before it hands out another byte.
 *
 *   cc -O2 lazy_prng.c -o lazy_prng      (sysgenid_lazy.h on the include path)
 *
 * fork() is a separate problem the generation does not report: a real
 * library also gives a child its own key (MADV_WIPEONFORK on the state's
 * page, as libsysgenid's generator does, or pthread_atfork()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <sysgenid/sysgenid_lazy.h>

enum { KEY_WORDS = 8, BLOCK_BYTES = 64, KEY_BYTES = 32 };

struct prng {
	struct sglazy_mark mark;	/* the generation the key was drawn at */
	uint32_t key[KEY_WORDS];
	uint8_t buf[BLOCK_BYTES - KEY_BYTES];
	size_t left;			/* unread bytes at the end of buf */
	bool keyed;
	unsigned long rekeys;
};

static struct sglazy source;
static pthread_once_t source_once = PTHREAD_ONCE_INIT;
static int source_err;

static void source_init(void)
{
	/*
	 * Fail closed: without a generation source every request takes a new
	 * key from getrandom(), which is safe and costs a syscall per request.
	 * A library that must not slow down on old kernels fails open instead.
	 */
	source_err = sglazy_init(&source, SGLAZY_FAIL_CLOSED);
}

static uint32_t rotl(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

#define QR(a, b, c, d)							\
	do {								\
		a += b; d = rotl(d ^ a, 16);				\
		c += d; b = rotl(b ^ c, 12);				\
		a += b; d = rotl(d ^ a, 8);				\
		c += d; b = rotl(b ^ c, 7);				\
	} while (0)

/* RFC 8439 block function, counter and nonce 0: each key is used once. */
static void chacha20_block(const uint32_t key[KEY_WORDS], uint8_t out[BLOCK_BYTES])
{
	uint32_t x[16], in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	int i;

	memcpy(&in[4], key, KEY_BYTES);
	memcpy(x, in, sizeof(x));
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

/*
 * Fast key erasure: the first half of each block replaces the key that made
 * it, so no key in memory can reproduce bytes already handed out.
 */
static void refill(struct prng *p)
{
	uint8_t block[BLOCK_BYTES];

	chacha20_block(p->key, block);
	memcpy(p->key, block, KEY_BYTES);
	memcpy(p->buf, block + KEY_BYTES, sizeof(p->buf));
	p->left = sizeof(p->buf);
	explicit_bzero(block, sizeof(block));
}

/*
 * The note comes before the new key, so a change while the key is drawn
 * is seen by the next request.  A failed getrandom() leaves the generator
 * unkeyed: it retries next time and never falls back to the old key.
 * (A library that aborts on such a failure can use sglazy_check() alone.)
 */
static int prng_rekey(struct prng *p)
{
	sglazy_note(&source, &p->mark);
	explicit_bzero(p->buf, sizeof(p->buf));
	p->left = 0;
	p->keyed = false;
	if (getrandom(p->key, KEY_BYTES, 0) != KEY_BYTES)
		return errno ? -errno : -EIO;
	p->keyed = true;
	p->rekeys++;
	return 0;
}

static int prng_bytes(struct prng *p, void *out, size_t len)
{
	uint8_t *dst = out;
	int ret;

	pthread_once(&source_once, source_init);
	if (!p->keyed || sglazy_changed(&source, &p->mark)) {
		ret = prng_rekey(p);
		if (ret)
			return ret;
	}
	while (len) {
		size_t n;

		if (!p->left)
			refill(p);
		n = len < p->left ? len : p->left;
		memcpy(dst, p->buf + sizeof(p->buf) - p->left, n);
		explicit_bzero(p->buf + sizeof(p->buf) - p->left, n);
		p->left -= n;
		dst += n;
		len -= n;
	}
	return 0;
}

int main(void)
{
	struct prng p = { .keyed = false };
	uint8_t out[16];
	size_t i;
	int r, ret;

	pthread_once(&source_once, source_init);
	printf("source: %s%s, race-free: %s\n", sglazy_backend_name(sglazy_backend(&source)),
	       source_err ? " (failing closed: a new key per request)" : "",
	       sglazy_race_free(&source) ? "yes" : "no");

	for (r = 0; r < 4; r++) {
		ret = prng_bytes(&p, out, sizeof(out));
		if (ret) {
			fprintf(stderr, "lazy_prng: %s\n", strerror(-ret));
			return 1;
		}
		printf("random: ");
		for (i = 0; i < sizeof(out); i++)
			printf("%02x", out[i]);
		printf("\n");
	}
	printf("keys drawn: %lu\n", p.rekeys);
	return 0;
}
