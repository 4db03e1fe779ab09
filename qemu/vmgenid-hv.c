// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's half of a VM fork on a device-tree guest, for
 * qemu/vmgenid-of-test: write a new VM Generation ID into the
 * "microsoft,vmgenid" node's memory and make its interrupt pending in the
 * GIC distributor.  Between the two it reads the generation through the
 * vDSO getter and the /dev/sysgenid page and prints both.
 *
 * In one process, with everything set up before the ID changes: any
 * glibc program's first malloc() asks getrandom() for its tcache key, and
 * that makes the kernel commit the new ID at once (as it should), so a
 * second program, or a printf() here, would hide the window being tested.
 *
 * usage: vmgenid-hv ID_ADDR GICD_ISPENDR_ADDR BIT
 * prints: vdso=N,page=N
 */
#include <fcntl.h>
#include <linux/sysgenid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <sysgenid/sysgenid.h>

static volatile uint32_t *map_phys(int fd, unsigned long addr)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, addr & ~(pg - 1));

	if (p == MAP_FAILED) {
		perror("mmap /dev/mem");
		exit(1);
	}
	return (volatile uint32_t *)((char *)p + (addr & (pg - 1)));
}

int main(int argc, char **argv)
{
	volatile uint32_t *id, *ispendr;
	const struct sysgenid_page *page;
	uint64_t (*get)(void) = NULL;
	uint32_t next[4];
	char out[64];
	int mem, dev, i, n;

	if (argc != 4) {
		fprintf(stderr, "usage: vmgenid-hv ID_ADDR GICD_ISPENDR_ADDR BIT\n");
		return 2;
	}
	mem = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	dev = open("/dev/sysgenid", O_RDONLY | O_CLOEXEC);
	if (mem < 0 || dev < 0) {
		perror("open /dev/mem, /dev/sysgenid");
		return 1;
	}
	id = map_phys(mem, strtoul(argv[1], NULL, 0));
	ispendr = map_phys(mem, strtoul(argv[2], NULL, 0));
	page = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, dev, 0);
#ifdef SYSGENID_VDSO_GETTER
	get = (uint64_t (*)(void))sysgenid_vdso_sym(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION);
#endif
	if (page == MAP_FAILED || !get ||
	    getrandom(next, sizeof(next), 0) != sizeof(next)) {
		fprintf(stderr, "vmgenid-hv: no page, no vDSO getter or no random ID\n");
		return 1;
	}

	for (i = 0; i < 4; i++)
		id[i] = next[i];
	n = snprintf(out, sizeof(out), "vdso=%llu,page=%llu\n", (unsigned long long)get(),
		     (unsigned long long)__atomic_load_n(&page->generation, __ATOMIC_ACQUIRE));
	*ispendr = 1U << strtoul(argv[3], NULL, 0);
	return write(1, out, n) == n ? 0 : 1;
}
