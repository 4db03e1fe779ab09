// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * sysgenid: look at and drive the system generation from a shell.
 *
 *   sysgenid get [--backend] [--json]  the generation (and the path that served it)
 *   sysgenid watch [--track] [--count=N]
 *                                      print and acknowledge each change
 *   sysgenid trigger [--min=N]         start a new generation (privileged)
 *   sysgenid wait [--timeout=MS]       the overseer's step: wait for tracked
 *                                      watchers (default 120000 ms, 0: forever)
 *   sysgenid status [--json]           what this kernel offers, one fact a line
 *   sysgenid --version | --help, and --help after any subcommand
 *
 * Options take their value as "--opt=value" or "--opt value" (getopt_long).
 * Exit codes: 0 success, 1 the wait timed out, 2 usage error,
 * 3 not permitted, 4 SysGenID not available, 5 any other error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sysgenid.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The overseer's wait is bounded unless asked otherwise (udevadm settle's way). */
#define DEFAULT_WAIT_MS	120000
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct subcommand {
	const char *name, *args, *help;
};

static const struct subcommand subcommands[] = {
	{ "get", "[--backend] [--json]",
	  "print the generation; --backend adds the path that served it" },
	{ "watch", "[--track] [--count=N]",
	  "print and acknowledge each new generation; --track makes wait wait for it" },
	{ "trigger", "[--min=N]",
	  "start a new generation (CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN)" },
	{ "wait", "[--timeout=MS]",
	  "wait until every tracked watcher acknowledged (default 120000 ms, 0: forever)" },
	{ "status", "[--json]", "what this kernel offers, one fact a line" },
};

static int usage(FILE *f, int code)
{
	unsigned int i;

	fprintf(f, "usage: sysgenid [--version | --help] COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-8s %-22s %s\n", subcommands[i].name, subcommands[i].args,
			subcommands[i].help);
	fprintf(f, "\n'sysgenid COMMAND --help' for one command; man 1 sysgenid for all.\n");
	return code;
}

static int sub_usage(const char *name, FILE *f, int code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(subcommands[i].name, name))
			fprintf(f, "usage: sysgenid %s %s\n  %s\n", name, subcommands[i].args,
				subcommands[i].help);
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

	/* strtoull() would take leading blanks and a sign. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/*
 * One option of a subcommand: a flag that sets *@on, or a number for *@num
 * (@max at most, when not 0).
 */
struct arg {
	const char *name;
	bool *on;
	uint64_t *num, max;
	const char *what;	/* a number: what "--name needs ..." asks for */
};

#define MAX_ARGS	4	/* the most any subcommand has, --help aside */

/*
 * getopt_long over a subcommand's arguments (argv[0] is the subcommand)
 * with the options @args and --help: -1 to go on, else the exit status to
 * return, after the usage or after saying what was wrong.
 */
static int parse_args(int argc, char **argv, const char *cmd, const struct arg *args,
		      int nargs)
{
	struct option opts[MAX_ARGS + 2] = { { "help", no_argument, NULL, 'h' } };
	int i, c;

	if (nargs > MAX_ARGS)
		return fail(EXIT_ERROR, "%s: %d options, MAX_ARGS is %d", cmd, nargs, MAX_ARGS);
	for (i = 0; i < nargs; i++)
		opts[i + 1] = (struct option){ args[i].name,
					       args[i].num ? required_argument : no_argument,
					       NULL, i };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'h')
			return sub_usage(cmd, stdout, 0);
		if (c < 0 || c >= nargs) {
			fail(EXIT_USAGE, "%s: unknown option or missing value: '%s'", cmd,
			     argv[optind - 1]);
			return sub_usage(cmd, stderr, EXIT_USAGE);
		}
		if (args[c].on)
			*args[c].on = true;
		else if (parse_u64(optarg, args[c].num) ||
			 (args[c].max && *args[c].num > args[c].max))
			return fail(EXIT_USAGE, "%s: --%s needs %s, not '%s'", cmd, args[c].name,
				    args[c].what, optarg);
	}
	if (optind < argc)
		return fail(EXIT_USAGE, "%s: unexpected '%s'", cmd, argv[optind]);
	return -1;
}

static int print_gen(bool backend_too, bool json)
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
	if (json)
		printf("{\"generation\": %" PRIu64 ", \"backend\": \"%s\"}\n", gen,
		       sysgenid_backend_name(backend));
	else if (backend_too)
		printf("%" PRIu64 " (%s)\n", gen, sysgenid_backend_name(backend));
	else
		printf("%" PRIu64 "\n", gen);
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	bool backend = false, json = false;
	const struct arg args[] = {
		{ "backend", .on = &backend },
		{ "json", .on = &json },
	};
	int ret = parse_args(argc, argv, "get", args, ARRAY_SIZE(args));

	if (ret >= 0)
		return ret;
	return print_gen(backend, json);
}

static int cmd_watch(int argc, char **argv)
{
	uint64_t count = 0, seen = 0;
	bool track = false;
	const struct arg args[] = {
		{ "track", .on = &track },
		{ "count", .num = &count, .what = "a number" },
	};
	int fd, ret;

	ret = parse_args(argc, argv, "watch", args, ARRAY_SIZE(args));
	if (ret >= 0)
		return ret;
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
	/* The ioctl takes an unsigned long: 32 bits on 32-bit systems. */
	const struct arg args[] = {
		{ "min", .num = &min, .max = ULONG_MAX,
		  .what = ULONG_MAX > UINT32_MAX ? "a number" :
			  "a number below 2^32 (the ioctl's unsigned long)" },
	};
	int fd, ret;

	ret = parse_args(argc, argv, "trigger", args, ARRAY_SIZE(args));
	if (ret >= 0)
		return ret;
	ret = open_dev(O_RDONLY, &fd);
	if (ret)
		return ret;
	if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, (unsigned long)min)) {
		if (errno == EACCES || errno == EPERM)
			return fail(EXIT_PERM, "%s",
				    "trigger needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial user namespace (run it as root on the host system, not in a container)");
		return fail(EXIT_ERROR, "SYSGENID_TRIGGER_GEN_UPDATE: %s", strerror(errno));
	}
	return print_gen(false, false);
}

static int cmd_wait(int argc, char **argv)
{
	uint64_t timeout = DEFAULT_WAIT_MS;
	const struct arg args[] = { { "timeout", .num = &timeout, .what = "milliseconds" } };
	int fd, ret;

	ret = parse_args(argc, argv, "wait", args, ARRAY_SIZE(args));
	if (ret >= 0)
		return ret;
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

/* The library's account of the backends, one "name: text" fact a line. */
static void print_why(const char *why, bool json)
{
	const char *p = why, *end;
	bool first = true;

	while (*p) {
		end = strstr(p, "; ");
		if (!end)
			end = p + strlen(p);
		if (json) {
			const char *q;

			printf("%s\"", first ? "" : ", ");
			for (q = p; q < end; q++)
				printf(*q == '"' || *q == '\\' ? "\\%c" : "%c", *q);
			printf("\"");
		} else {
			printf("  %.*s\n", (int)(end - p), p);
		}
		first = false;
		p = *end ? end + 2 : end;
	}
}

static int cmd_status(int argc, char **argv)
{
	enum sysgenid_backend backend;
	bool json = false, have_flags, have_gen;
	const struct arg args[] = { { "json", .on = &json } };
	const char *why = "";
	uint32_t flags = 0;
	uint64_t gen = 0;
	int ret, vdso;

	ret = parse_args(argc, argv, "status", args, ARRAY_SIZE(args));
	if (ret >= 0)
		return ret;

#ifdef SYSGENID_VDSO_GETTER
	vdso = !!sysgenid_vdso_sym(SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION);
#else
	vdso = 0;	/* no vDSO of this architecture has the getter */
#endif
	ret = sysgenid_backend(&backend, &why);
	have_flags = !ret && !sysgenid_flags(&flags);
	have_gen = !ret && !sysgenid_get(&gen);
	if (json) {
		printf("{\"device\": %s, \"vdso\": %s, \"backend\": \"%s\", \"why\": [",
		       access(dev, F_OK) ? "null" : "\"/dev/sysgenid\"", vdso ? "true" : "false",
		       sysgenid_backend_name(backend));
		print_why(why, true);
		printf("]");
		if (have_flags)
			printf(", \"hw_source\": %s, \"race_free\": %s",
			       flags & SYSGENID_FLAG_HW_SOURCE ? "true" : "false",
			       flags & SYSGENID_FLAG_RACE_FREE ? "true" : "false");
		if (have_gen)
			printf(", \"generation\": %" PRIu64, gen);
		printf("}\n");
		return have_gen ? 0 : EXIT_UNAVAILABLE;
	}
	printf("device:  %s\n", access(dev, F_OK) ? "absent (kernel without CONFIG_SYSGENID?)" :
		dev);
#ifdef SYSGENID_VDSO_GETTER
	printf("vDSO:    " SYSGENID_VDSO_GETTER " %s\n", vdso ? "present" : "absent");
#else
	printf("vDSO:    no getter on this architecture\n");
#endif
	printf("backend: %s\n", sysgenid_backend_name(backend));
	print_why(why, false);
	if (have_flags) {
		printf("source:  %s\n", flags & SYSGENID_FLAG_HW_SOURCE ?
		       "VM Generation ID (hypervisor)" : "software triggers only");
		printf("race-free vDSO: %s\n", flags & SYSGENID_FLAG_RACE_FREE ? "yes" : "no");
	}
	if (!have_gen)
		return EXIT_UNAVAILABLE;
	printf("generation: %" PRIu64 "\n", gen);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* Each subcommand parses argv[1..]: its own name is getopt's argv[0]. */
	optind = 1;
	if (!strcmp(cmd, "get"))
		return cmd_get(argc - 1, argv + 1);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "trigger"))
		return cmd_trigger(argc - 1, argv + 1);
	if (!strcmp(cmd, "wait"))
		return cmd_wait(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("sysgenid %d.%d.%d\n", SYSGENID_VERSION_MAJOR, SYSGENID_VERSION_MINOR,
		       SYSGENID_VERSION_PATCH);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout, 0);
	if (*cmd)
		fail(EXIT_USAGE, "unknown command '%s'", cmd);
	return usage(stderr, EXIT_USAGE);
}
