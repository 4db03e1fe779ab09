// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A program built the way a user builds one: against an installed tree,
 * with nothing but `pkg-config --cflags --libs sysgenid`.  It uses both
 * installed headers (the library's and the uapi one) and asserts what the
 * API promises on this machine: with a generation source, every path agrees
 * with the device's own ioctl; without one, every call says so.
 *
 * usage: install_consumer   KTAP output, exit 0 when every check passed
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sysgenid.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sysgenid/sysgenid.h>

static int tests, failed;

static void check(int ok, const char *name)
{
	tests++;
	failed += !ok;
	printf("%sok %d %s\n", ok ? "" : "not ", tests, name);
}

static void with_source(void)
{
	struct sysgenid_cookie cookie;
	struct sysgenid_rng rng;
	uint64_t gen, dev_gen;
	unsigned char buf[32];
	int fd;

	fd = open("/dev/sysgenid", O_RDONLY | O_CLOEXEC);
	check(fd >= 0, "device opens");
	check(fd >= 0 && !ioctl(fd, SYSGENID_GET_GENERATION, &dev_gen),
	      "SYSGENID_GET_GENERATION from the installed uapi header");
	if (fd >= 0)
		close(fd);
	gen = sysgenid_vdso_get();
	printf("# generation %" PRIu64 ", device says %" PRIu64 "\n", gen, dev_gen);
	check(gen == dev_gen, "sysgenid_vdso_get() equals the ioctl");
	check(!sysgenid_get(&gen) && gen == dev_gen, "sysgenid_get() equals the ioctl");
	check(!sysgenid_cookie_init(&cookie) && !sysgenid_changed(&cookie),
	      "a fresh cookie reports no change");
	check(!sysgenid_rng_init(&rng) && !sysgenid_rng_bytes(&rng, buf, sizeof(buf)),
	      "the generator produces bytes");
	sysgenid_rng_destroy(&rng);
}

static void without_source(int ret)
{
	struct sysgenid_cookie cookie;
	struct sysgenid_rng rng;
	unsigned char buf[8];
	uint64_t gen = 7;

	check(ret == -ENOENT, "sysgenid_init() is -ENOENT without device and vDSO symbol");
	check(sysgenid_vdso_get() == SYSGENID_GEN_INVALID,
	      "sysgenid_vdso_get() is SYSGENID_GEN_INVALID");
	check(sysgenid_get(&gen) == ret && gen == 7, "sysgenid_get() fails, leaves *gen alone");
	check(sysgenid_cookie_init(&cookie) == ret && sysgenid_changed(&cookie),
	      "a cookie without a source always reports a change");
	check(sysgenid_rng_init(&rng) == ret && sysgenid_rng_bytes(&rng, buf, sizeof(buf)) == ret,
	      "the generator refuses to run blind");
}

int main(void)
{
	enum sysgenid_backend backend;
	const char *why;
	int ret;

	printf("TAP version 13\n");
	ret = sysgenid_backend(&backend, &why);
	printf("# backend %s: %s\n", sysgenid_backend_name(backend), why);
	if (access("/dev/sysgenid", F_OK) == 0) {
		check(ret == 0 && backend != SYSGENID_BACKEND_NONE, "a backend serves");
		with_source();
	} else {
		without_source(ret);
	}
	printf("1..%d\n", tests);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       tests - failed, failed);
	return failed ? 1 : 0;
}
