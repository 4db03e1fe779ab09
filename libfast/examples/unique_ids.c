// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Identifiers that never repeat across clones of one snapshot, with
 * libsysgenid's cookie: 96-bit nonces made of a random 64-bit salt and a
 * 32-bit counter (the AEAD nonce a TLS record layer builds), and version 4
 * UUIDs handed out from a pool of random bytes.  Both are exactly the state
 * two clones would share: the same salt with the same counter, the same
 * unread pool.  A generation change throws both away before the next value.
 *
 *   cc unique_ids.c $(pkg-config --cflags --libs sysgenid)
 *
 * Without a generation source, sysgenid_cookie_init() fails and
 * sysgenid_changed() reports a change on every call: a new salt per nonce
 * and a getrandom() per UUID, slower and still unique (fail closed).
 * fork() is not a generation change: a child must call ids_reset() first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <sysgenid/sysgenid.h>

enum { SALT_BYTES = 8, NONCE_BYTES = 12, UUID_BYTES = 16, POOL_BYTES = 256 };

struct ids {
	struct sysgenid_cookie cookie;	/* the generation salt and pool belong to */
	bool valid;
	uint8_t salt[SALT_BYTES];
	uint32_t counter;
	uint8_t pool[POOL_BYTES];
	size_t pool_left;
};

static void ids_reset(struct ids *ids)
{
	ids->valid = false;
}

/*
 * The cookie is noted before the salt is drawn: a change while drawing is
 * seen by the next call.  The counter restarts with each salt, and a salt
 * is never used past 2^32 nonces.
 */
static int ids_refresh(struct ids *ids)
{
	if (ids->valid && !sysgenid_changed(&ids->cookie) && ids->counter != UINT32_MAX)
		return 0;
	sysgenid_cookie_init(&ids->cookie);	/* an error here means: fail closed */
	explicit_bzero(ids->pool, sizeof(ids->pool));
	ids->pool_left = 0;
	ids->counter = 0;
	ids->valid = getrandom(ids->salt, sizeof(ids->salt), 0) == sizeof(ids->salt);
	return ids->valid ? 0 : (errno ? -errno : -EIO);
}

static int nonce_next(struct ids *ids, uint8_t out[NONCE_BYTES])
{
	int ret = ids_refresh(ids);
	uint32_t c;

	if (ret)
		return ret;
	c = ids->counter++;
	memcpy(out, ids->salt, SALT_BYTES);
	out[8] = (uint8_t)(c >> 24);
	out[9] = (uint8_t)(c >> 16);
	out[10] = (uint8_t)(c >> 8);
	out[11] = (uint8_t)c;
	return 0;
}

static int uuid_next(struct ids *ids, uint8_t out[UUID_BYTES])
{
	int ret = ids_refresh(ids);

	if (ret)
		return ret;
	if (ids->pool_left < UUID_BYTES) {
		if (getrandom(ids->pool, sizeof(ids->pool), 0) != sizeof(ids->pool))
			return errno ? -errno : -EIO;
		ids->pool_left = sizeof(ids->pool);
	}
	ids->pool_left -= UUID_BYTES;
	memcpy(out, ids->pool + ids->pool_left, UUID_BYTES);
	explicit_bzero(ids->pool + ids->pool_left, UUID_BYTES);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);	/* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);	/* RFC 9562 variant */
	return 0;
}

static void print_hex(const char *label, const uint8_t *p, size_t len, bool uuid)
{
	size_t i;

	printf("%s", label);
	for (i = 0; i < len; i++)
		printf("%s%02x", uuid && (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", p[i]);
	printf("\n");
}

int main(void)
{
	struct ids ids = { .valid = false };
	uint8_t nonce[NONCE_BYTES], uuid[UUID_BYTES];
	enum sysgenid_backend backend;
	int i, ret;

	ret = sysgenid_backend(&backend, NULL);
	printf("backend: %s%s\n", sysgenid_backend_name(backend),
	       ret ? " (no source: a new salt for every value)" : "");
	for (i = 0; i < 3; i++) {
		ret = nonce_next(&ids, nonce);
		if (!ret)
			ret = uuid_next(&ids, uuid);
		if (ret) {
			fprintf(stderr, "unique_ids: %s\n", strerror(-ret));
			return 1;
		}
		print_hex("nonce: ", nonce, sizeof(nonce), false);
		print_hex("uuid:  ", uuid, sizeof(uuid), true);
	}
	ids_reset(&ids);
	return 0;
}
