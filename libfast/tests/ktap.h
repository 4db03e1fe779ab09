/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A small KTAP reporter and helpers shared by the libfast tests.  Each case is a
 * function returning TEST_PASS, TEST_FAIL or TEST_SKIP; CHECK() explains a
 * failure on a "# " line.  A table of struct test_case lists them; a row
 * may hand its case an argument (test_arg) and ask for a forked child, as
 * the cases that change process-wide state (the one-shot init, a seccomp
 * filter) do.  The device helpers at the end say when a case can run.
 *
 * Exit status follows kselftest: 0 pass, 1 fail, 4 everything skipped.
 */
#ifndef LIBFAST_KTAP_H
#define LIBFAST_KTAP_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum test_result {
	TEST_PASS = 0,
	TEST_FAIL = 1,
	TEST_SKIP = 4,
};

/*
 * @fn runs with test_arg set to @arg.  With @in_child it runs through
 * run_in_child(), and dying by @signal (0: none) is its pass.  The rows of
 * a table are written with the CASE macros below.
 */
struct test_case {
	const char *name;
	enum test_result (*fn)(void);
	const void *arg;
	bool in_child;
	int signal;
};

#define CASE(name, fn)				{ name, fn, NULL, false, 0 }
#define CASE_ARG(name, fn, arg)			{ name, fn, arg, false, 0 }
#define CHILD_CASE(name, fn, arg)		{ name, fn, arg, true, 0 }
#define CHILD_CASE_SIGNAL(name, fn, arg, sig)	{ name, fn, arg, true, sig }

static const void *test_arg;
static char skip_reason[256];
static int n_pass, n_fail, n_skip;

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#define CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			diag("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
			diag(__VA_ARGS__);					\
			return TEST_FAIL;					\
		}								\
	} while (0)

/* Go on if @expr, a helper's result, passed; else return it from the case. */
#define REQUIRE_PASS(expr)							\
	do {									\
		enum test_result require_res = (expr);				\
		if (require_res != TEST_PASS)					\
			return require_res;					\
	} while (0)

#define SKIP(...)								\
	do {									\
		snprintf(skip_reason, sizeof(skip_reason), __VA_ARGS__);	\
		return TEST_SKIP;						\
	} while (0)

/*
 * Run @fn in a child and return its result.  A child killed by a signal is
 * a failure unless it is @expected_signal (0: none expected), which is a
 * pass.  The child's skip reason travels back through a pipe.
 */
static enum test_result run_in_child(enum test_result (*fn)(void), int expected_signal)
{
	int pipefd[2], status;
	enum test_result res;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd)) {
		diag("pipe failed");
		return TEST_FAIL;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag("fork failed");
		return TEST_FAIL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		skip_reason[0] = '\0';
		res = fn();
		if (res == TEST_SKIP && write(pipefd[1], skip_reason, strlen(skip_reason)) < 0)
			res = TEST_FAIL;
		fflush(stdout);
		_exit(res);
	}

	close(pipefd[1]);
	n = read(pipefd[0], skip_reason, sizeof(skip_reason) - 1);
	skip_reason[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid) {
		diag("waitpid failed");
		return TEST_FAIL;
	}
	if (WIFSIGNALED(status)) {
		if (expected_signal && WTERMSIG(status) == expected_signal) {
			diag("child killed by signal %d, as expected", WTERMSIG(status));
			return TEST_PASS;
		}
		diag("child killed by signal %d", WTERMSIG(status));
		return TEST_FAIL;
	}
	if (WEXITSTATUS(status) == TEST_SKIP)
		return TEST_SKIP;
	if (expected_signal) {
		diag("child exited with %d instead of dying by signal %d",
		     WEXITSTATUS(status), expected_signal);
		return TEST_FAIL;
	}
	return WEXITSTATUS(status) == TEST_PASS ? TEST_PASS : TEST_FAIL;
}

static void ktap_report(int num, const char *name, enum test_result res)
{
	switch (res) {
	case TEST_PASS:
		n_pass++;
		printf("ok %d - %s\n", num, name);
		break;
	case TEST_SKIP:
		n_skip++;
		printf("ok %d - %s # SKIP %s\n", num, name, skip_reason);
		break;
	default:
		n_fail++;
		printf("not ok %d - %s\n", num, name);
		break;
	}
	fflush(stdout);
}

static int ktap_run(const char *suite, const struct test_case *cases, int count)
{
	int i;

	printf("KTAP version 1\n1..%d\n", count);
	for (i = 0; i < count; i++) {
		const struct test_case *tc = &cases[i];

		skip_reason[0] = '\0';
		test_arg = tc->arg;
		ktap_report(i + 1, tc->name, tc->in_child ? run_in_child(tc->fn, tc->signal) :
							    tc->fn());
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       n_pass, n_fail, n_skip);
	printf("%s: %d passed, %d failed, %d skipped\n", suite, n_pass, n_fail, n_skip);
	if (n_fail)
		return TEST_FAIL;
	return n_pass ? TEST_PASS : TEST_SKIP;
}

/* How many descriptors of @path this process holds, or -1. */
static inline int count_fds_to(const char *path)
{
	char target[PATH_MAX];
	struct dirent *de;
	int count = 0;
	ssize_t n;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		count += strcmp(target, path) == 0;
	}
	closedir(dir);
	return count;
}

/* The node these tests check the library and the header against. */
#define TEST_DEV	"/dev/sysgenid"

static inline bool have_device(void)
{
	struct stat st;

	return stat(TEST_DEV, &st) == 0;
}

/* Root, and the node opens for writing: the kernel will take a trigger. */
static inline bool may_trigger(void)
{
	int fd;

	if (geteuid() != 0)
		return false;
	fd = open(TEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

#define REQUIRE_DEVICE()							\
	do {									\
		if (!have_device())						\
			SKIP("no " TEST_DEV ": kernel without CONFIG_SYSGENID");	\
	} while (0)

#define REQUIRE_TRIGGER()							\
	do {									\
		if (!may_trigger())						\
			SKIP("triggering needs root and " TEST_DEV " opened O_RDWR"); \
	} while (0)

#endif /* LIBFAST_KTAP_H */
