// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * sysgenid: look at and drive the system generation from a shell.
 *
 *   sysgenid get                       the generation, and the path that served it
 *   sysgenid watch [--track] [--count N]
 *                                      print and acknowledge each change
 *   sysgenid trigger [--min N]         start a new generation (privileged)
 *   sysgenid wait [--timeout MS]       the overseer's step: wait for tracked watchers
 *   sysgenid status                    what this kernel offers
 *
 * Exit codes: 0 success, 1 the wait timed out, 2 usage error,
 * 3 not permitted, 4 SysGenID not available, 5 any other error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sysgenid.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sysgenid/sysgenid.h>

enum {
	EXIT_TIMEOUT = 1,
	EXIT_USAGE = 2,
	EXIT_PERM = 3,
	EXIT_UNAVAILABLE = 4,
	EXIT_ERROR = 5,
};

static const char *dev = "/dev/sysgenid";

__attribute__((format(printf, 2, 3)))
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sysgenid: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int open_dev(int flags, int *fd)
{
	*fd = open(dev, flags | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		return fail(EXIT_UNAVAILABLE,
			    "no %s: kernel without CONFIG_SYSGENID (or no devtmpfs/udev node)", dev);
	if (errno == EACCES || errno == EPERM)
		return fail(EXIT_PERM, "cannot open %s: permission denied (its mode should be 0666)",
			    dev);
	return fail(EXIT_ERROR, "cannot open /dev/sysgenid: %s", strerror(errno));
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

static int cmd_get(void)
{
	enum sysgenid_backend backend;
	uint64_t gen;
	int ret = sysgenid_get(&gen);

	if (ret) {
		const char *why = "";

		sysgenid_backend(NULL, &why);
		return fail(ret == -ENOENT ? EXIT_UNAVAILABLE :
			    ret == -EACCES || ret == -EPERM ? EXIT_PERM : EXIT_ERROR,
			    "no generation source: %s", why);
	}
	sysgenid_backend(&backend, NULL);
	printf("%" PRIu64 " (%s)\n", gen, sysgenid_backend_name(backend));
	return 0;
}

static int cmd_watch(int argc, char **argv)
{
	uint64_t count = 0, seen = 0;
	int track = 0, fd, ret, i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--track"))
			track = 1;
		else if (!strcmp(argv[i], "--count") && i + 1 < argc &&
			 !parse_u64(argv[i + 1], &count))
			i++;
		else
			return fail(EXIT_USAGE, "watch: unexpected '%s'", argv[i]);
	}
	ret = open_dev(O_RDWR, &fd);
	if (ret)
		return ret;
	if (track && ioctl(fd, SYSGENID_SET_WATCHER_TRACKING, 1))
		return fail(EXIT_ERROR, "SYSGENID_SET_WATCHER_TRACKING: %s", strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (!count || seen < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		__u64 gen64 = 0;
		__u32 gen;

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(EXIT_ERROR, "poll: %s", strerror(errno));
		}
		if (read(fd, &gen, sizeof(gen)) != sizeof(gen))
			return fail(EXIT_ERROR, "read: %s", strerror(errno));
		if (ioctl(fd, SYSGENID_GET_GENERATION, &gen64) || (__u32)gen64 != gen)
			gen64 = gen;	/* an older kernel, or a newer bump: the read value */
		printf("generation %llu\n", (unsigned long long)gen64);
		/* EINVAL: it moved on again; the next poll reports that change. */
		if (write(fd, &gen, sizeof(gen)) != sizeof(gen) && errno != EINVAL)
			return fail(EXIT_ERROR, "acknowledging: %s", strerror(errno));
		seen++;
	}
	return 0;
}

static int cmd_trigger(int argc, char **argv)
{
	uint64_t min = 0;
	int fd, ret;

	if (argc == 2 && !strcmp(argv[0], "--min")) {
		if (parse_u64(argv[1], &min))
			return fail(EXIT_USAGE, "trigger: --min needs a number, not '%s'", argv[1]);
		/* The ioctl takes an unsigned long: 32 bits on 32-bit systems. */
		if (min > (unsigned long)-1)
			return fail(EXIT_USAGE, "trigger: --min %s does not fit this system's %zu-bit ioctl argument",
				    argv[1], sizeof(unsigned long) * 8);
	} else if (argc) {
		return fail(EXIT_USAGE, "trigger: unexpected '%s'", argv[0]);
	}
	ret = open_dev(O_RDONLY, &fd);
	if (ret)
		return ret;
	if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, (unsigned long)min)) {
		if (errno == EACCES || errno == EPERM)
			return fail(EXIT_PERM, "%s",
				    "trigger needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial user namespace (run it as root on the host system, not in a container)");
		return fail(EXIT_ERROR, "SYSGENID_TRIGGER_GEN_UPDATE: %s", strerror(errno));
	}
	return cmd_get();
}

static int cmd_wait(int argc, char **argv)
{
	uint64_t timeout = 0;
	int fd, ret;

	if (argc == 2 && !strcmp(argv[0], "--timeout")) {
		if (parse_u64(argv[1], &timeout))
			return fail(EXIT_USAGE, "wait: --timeout needs milliseconds, not '%s'", argv[1]);
	} else if (argc) {
		return fail(EXIT_USAGE, "wait: unexpected '%s'", argv[0]);
	}
	ret = open_dev(O_RDWR | O_NONBLOCK, &fd);
	if (ret)
		return ret;
	/*
	 * EINTR: this fresh file saw a new generation while waiting; acknowledge
	 * it and wait again (the timeout starts over, as it would for a caller
	 * handling the change).
	 */
	while (ioctl(fd, SYSGENID_WAIT_WATCHERS, (unsigned long)timeout)) {
		__u32 gen;

		if (errno == ETIME)
			return fail(EXIT_TIMEOUT, "%s", "tracked watchers still outdated at the timeout");
		if (errno != EINTR)
			return fail(EXIT_ERROR, "SYSGENID_WAIT_WATCHERS: %s", strerror(errno));
		if (read(fd, &gen, sizeof(gen)) == sizeof(gen) &&
		    write(fd, &gen, sizeof(gen)) < 0 && errno != EINVAL)
			return fail(EXIT_ERROR, "acknowledging: %s", strerror(errno));
	}
	printf("all tracked watchers acknowledged\n");
	return 0;
}

static int cmd_status(void)
{
	enum sysgenid_backend backend;
	const char *why = "";
	uint32_t flags;
	uint64_t gen;
	int ret;

	printf("device:  %s\n", access(dev, F_OK) ? "absent (kernel without CONFIG_SYSGENID?)" :
		dev);
	printf("vDSO:    __vdso_sysgenid_get %s\n",
	       sysgenid_vdso_sym("__vdso_sysgenid_get", "LINUX_2.6") ? "present" : "absent");
	ret = sysgenid_backend(&backend, &why);
	printf("backend: %s (%s)\n", sysgenid_backend_name(backend), why);
	if (!ret && !sysgenid_flags(&flags)) {
		printf("source:  %s\n", flags & SYSGENID_FLAG_HW_SOURCE ?
		       "VM Generation ID (hypervisor)" : "software triggers only");
		printf("race-free vDSO: %s\n", flags & SYSGENID_FLAG_RACE_FREE ? "yes" : "no");
	}
	if (ret || sysgenid_get(&gen))
		return EXIT_UNAVAILABLE;
	printf("generation: %" PRIu64 "\n", gen);
	return 0;
}

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: sysgenid get | watch [--track] [--count N] | trigger [--min N]\n"
		   "                | wait [--timeout MS] | status\n");
	return code;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "get") && argc == 2)
		return cmd_get();
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 2, argv + 2);
	if (!strcmp(cmd, "trigger"))
		return cmd_trigger(argc - 2, argv + 2);
	if (!strcmp(cmd, "wait"))
		return cmd_wait(argc - 2, argv + 2);
	if (!strcmp(cmd, "status") && argc == 2)
		return cmd_status();
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout, 0);
	return usage(stderr, EXIT_USAGE);
}
