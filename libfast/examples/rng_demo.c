// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Print 16 bytes from the snapshot-safe generator and the backend that
 * tells it about snapshots.  Build against the installed library:
 *
 *   cc rng_demo.c $(pkg-config --cflags --libs sysgenid)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sysgenid/sysgenid.h>

int main(void)
{
	enum sysgenid_backend backend;
	struct sysgenid_rng rng;
	uint8_t buf[16];
	const char *why;
	uint64_t gen;
	size_t i;
	int ret;

	ret = sysgenid_backend(&backend, &why);
	printf("backend: %s\n", sysgenid_backend_name(backend));
	printf("why:     %s\n", why);
	if (ret) {
		fprintf(stderr, "rng_demo: no generation source: %s\n", strerror(-ret));
		return 1;
	}

	ret = sysgenid_get(&gen);
	if (ret) {
		fprintf(stderr, "rng_demo: sysgenid_get: %s\n", strerror(-ret));
		return 1;
	}
	printf("generation: %llu\n", (unsigned long long)gen);

	ret = sysgenid_rng_init(&rng);
	if (!ret)
		ret = sysgenid_rng_bytes(&rng, buf, sizeof(buf));
	if (ret) {
		fprintf(stderr, "rng_demo: generator: %s\n", strerror(-ret));
		return 1;
	}

	printf("random:  ");
	for (i = 0; i < sizeof(buf); i++)
		printf("%02x", buf[i]);
	printf("\nrekeys:  %llu\n", (unsigned long long)sysgenid_rng_rekeys(&rng));
	sysgenid_rng_destroy(&rng);
	return 0;
}
