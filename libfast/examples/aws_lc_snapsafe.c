// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * What AWS-LC does with /dev/sysgenid today, step by step, on this kernel
 * unchanged; and what its check would see through the vDSO instead.
 * Written here from the description of AWS-LC's snapsafe detection
 * (crypto/fipsmodule/rand/snapsafe_detect.c and rand.c), not copied:
 *
 *   once:  access(path, F_OK); absent: "not supported", generation 0 for
 *          good (fail open).  Present: open() O_RDONLY, mmap() 4 bytes
 *          PROT_READ MAP_SHARED, close().  Failing that: "failed", which
 *          makes RAND_bytes() mix fresh OS entropy into every call.
 *   RAND_bytes(): load the u32 at offset 0 (generation32); reseed the
 *          thread's DRBG if it differs from the one the DRBG was seeded
 *          at; generate; load it again and abort() if it moved meanwhile,
 *          since the output may also have left another copy.
 *
 *   aws_lc_snapsafe
 *
 * Prints what each step found and the two views side by side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sysgenid/sysgenid_lazy.h>

enum snapsafe_state { NOT_SUPPORTED, FAILED, ACTIVE };

static enum snapsafe_state state;
static const volatile uint32_t *generation32;

/* AWS-LC runs this once, under CRYPTO_once(). */
static void snapsafe_init(const char *path)
{
	void *addr;
	int fd;

	state = NOT_SUPPORTED;
	if (access(path, F_OK) != 0)
		return;
	state = FAILED;
	/* AWS-LC passes O_RDONLY alone; the descriptor lives for one mmap(). */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	addr = mmap(NULL, sizeof(uint32_t), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (addr == MAP_FAILED)
		return;
	generation32 = addr;
	state = ACTIVE;
}

/* 1 with the generation (0 when not supported), 0 when init failed. */
static int snapsafe_generation(uint32_t *gen)
{
	*gen = state == ACTIVE ? *generation32 : 0;
	return state != FAILED;
}

struct drbg {
	bool seeded;
	uint32_t seeded_at;
	unsigned long reseeds;	/* for a generation change */
};

/* The shape of RAND_bytes() around its DRBG. */
static void rand_bytes(struct drbg *d, void *out, size_t len)
{
	uint32_t before, after;

	snapsafe_generation(&before);
	if (!d->seeded) {
		d->seeded = true;	/* CTR_DRBG_init() */
		d->seeded_at = before;
	} else if (before != d->seeded_at) {
		d->seeded_at = before;	/* CTR_DRBG_reseed() from fresh entropy */
		d->reseeds++;
	}
	memset(out, 0, len);		/* CTR_DRBG_generate() */
	if (snapsafe_generation(&after) && after != d->seeded_at)
		abort();		/* a snapshot was taken mid-call */
}

int main(void)
{
	struct drbg d = { false, 0, 0 };
	struct sglazy src;
	uint64_t full = 0;
	uint8_t buf[32];
	uint32_t gen;

	snapsafe_init(SGLAZY_DEV);
	printf("AWS-LC sequence: %s\n", state == ACTIVE ? "active (page mapped, u32 at offset 0)" :
	       state == FAILED ? "failed (device present, mapping refused)" :
	       "not supported (no device: fail open, generation 0)");
	rand_bytes(&d, buf, sizeof(buf));
	snapsafe_generation(&gen);
	printf("generation32 from the page: %u, DRBG reseeds: %lu\n", gen, d.reseeds);

	/*
	 * The same question through the vDSO: the full 64-bit value, and on a
	 * race-free kernel the new generation from the first instruction after a
	 * restore, where the page above keeps the old one until the kernel has
	 * handled the hypervisor's notification.
	 */
	sglazy_init(&src, SGLAZY_FAIL_OPEN);
	if (sglazy_backend(&src) == SGLAZY_BACKEND_VDSO && sglazy_get(&src, &full) == 0)
		printf("vDSO getter: %llu (low half %u), race-free: %s\n",
		       (unsigned long long)full, (uint32_t)full,
		       sglazy_race_free(&src) ? "yes" : "no (it lags like the page)");
	else
		printf("vDSO getter: none (a kernel without it, or an architecture without one)\n");
	sglazy_fini(&src);
	return 0;
}
