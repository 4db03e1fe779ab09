// SPDX-License-Identifier: GPL-2.0
/*
 * sysgenid-checks: one whole process that checks the generation N times
 * through one method, for hyperfine to time from exec to exit.  Setup
 * (libsysgenid's backend pick, open, mmap) is part of what is measured:
 * it is what a short-lived program pays.
 *
 * usage: sysgenid-checks none|vdso|mmap|ioctl|read [N]
 *   none   no check at all: the cost of the process itself
 *   vdso   libsysgenid's sysgenid_vdso_get(), which must be served by the vDSO
 *   mmap   a load from the mmap()ed /dev/sysgenid page
 *   ioctl  SYSGENID_GET_GENERATION
 *   read   non-blocking read() of /dev/sysgenid (EAGAIN while up to date)
 * Exit status 0, or 1 when the method is not available (hyperfine then
 * fails rather than timing an error path).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#include <sysgenid/sysgenid.h>

#include "bench.h"

#define DEV		"/dev/sysgenid"

static volatile uint64_t sink;

static int fail(const char *what)
{
	fprintf(stderr, "sysgenid-checks: %s: %s\n", what, strerror(errno));
	return 1;
}

static int checks_vdso(unsigned long n)
{
	enum sysgenid_backend backend;
	uint64_t sum = 0;

	if (sysgenid_backend(&backend, NULL) || backend != SYSGENID_BACKEND_VDSO) {
		fprintf(stderr, "sysgenid-checks: libsysgenid is not served by the vDSO\n");
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		sum += sysgenid_vdso_get();
		barrier();
	}
	sink = sum;
	return 0;
}

static int checks_mmap(unsigned long n)
{
	const struct sysgenid_page *page;
	uint64_t sum = 0;
	void *p;
	int fd;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open " DEV);
	p = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap " DEV);
	close(fd);
	page = p;
	for (unsigned long i = 0; i < n; i++) {
		sum += __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
		barrier();
	}
	sink = sum;
	return 0;
}

static int checks_ioctl(unsigned long n)
{
	uint64_t sum = 0;
	__u64 gen;
	int fd;

	fd = open(DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open " DEV);
	for (unsigned long i = 0; i < n; i++) {
		if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
			return fail("SYSGENID_GET_GENERATION");
		sum += gen;
		barrier();
	}
	sink = sum;
	return 0;
}

static int checks_read(unsigned long n)
{
	uint64_t sum = 0;
	uint32_t gen;
	int fd;

	fd = open(DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail("open " DEV);
	for (unsigned long i = 0; i < n; i++) {
		if (read(fd, &gen, sizeof(gen)) != -1 || errno != EAGAIN)
			return fail("read " DEV " did not fail with EAGAIN");
		sum += (uint64_t)errno;
		barrier();
	}
	sink = sum;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 200000;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: sysgenid-checks none|vdso|mmap|ioctl|read [N]\n");
		return 2;
	}
	if (argc == 3)
		n = strtoul(argv[2], NULL, 0);

	if (!strcmp(argv[1], "none"))
		return 0;
	if (!strcmp(argv[1], "vdso"))
		return checks_vdso(n);
	if (!strcmp(argv[1], "mmap"))
		return checks_mmap(n);
	if (!strcmp(argv[1], "ioctl"))
		return checks_ioctl(n);
	if (!strcmp(argv[1], "read"))
		return checks_read(n);
	fprintf(stderr, "sysgenid-checks: unknown method '%s'\n", argv[1]);
	return 2;
}
