// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A service with an event loop that must finish adjusting to a restore
 * before an overseer lets work in again: it watches /dev/sysgenid with
 * epoll, rebuilds its unique state when the file turns readable and only
 * then acknowledges the new generation with write().  Uses the ABI
 * directly (<linux/sysgenid.h>), no library.
 *
 *   epoll_service [--track] [--count N]
 *
 * --track makes an overseer's SYSGENID_WAIT_WATCHERS wait for this service
 * (needs write access to the device, and CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN
 * or the device's group); --count N exits after N changes.  SIGINT and
 * SIGTERM end it cleanly.  Exit status: 0, 1 on an error, 4 without the
 * device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <linux/sysgenid.h>

#define DEV	"/dev/sysgenid"

static unsigned long long rebuilds;

/* Stands for dropping sessions, new keys from getrandom(), new IDs. */
static void rebuild_unique_state(int fd)
{
	__u64 full;

	rebuilds++;
	if (ioctl(fd, SYSGENID_GET_GENERATION, &full) == 0)
		printf("rebuilt unique state for generation %llu\n", (unsigned long long)full);
	fflush(stdout);
}

/*
 * The file is readable while it has not acknowledged the current
 * generation.  read() says which one (its low 32 bits); the write of that
 * value is the acknowledgment, and goes last.  EINVAL from write() means
 * the generation moved again meanwhile: rebuild once more.
 */
static int handle_change(int fd)
{
	for (;;) {
		__u32 gen;
		ssize_t n = read(fd, &gen, sizeof(gen));

		if (n < 0 && errno == EAGAIN)
			return 0;	/* nothing (left) to acknowledge */
		if (n != sizeof(gen))
			return -(n < 0 ? errno : EIO);
		rebuild_unique_state(fd);
		if (write(fd, &gen, sizeof(gen)) == sizeof(gen))
			return 1;
		if (errno != EINVAL)
			return -errno;
	}
}

int main(int argc, char **argv)
{
	struct epoll_event ev, events[2];
	unsigned long count = 0, seen = 0;
	bool track = false;
	int fd, sfd, ep, i, n, ret;
	sigset_t stop;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--track")) {
			track = true;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: epoll_service [--track] [--count N]\n");
			return 1;
		}
	}

	/* Opened before the state is built: a change in between is not lost. */
	fd = open(DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "epoll_service: %s: %s\n", DEV, strerror(errno));
		return errno == ENOENT ? 4 : 1;
	}
	if (track && ioctl(fd, SYSGENID_SET_WATCHER_TRACKING, 1UL) < 0) {
		fprintf(stderr, "epoll_service: tracking: %s\n", strerror(errno));
		return 1;
	}
	rebuild_unique_state(fd);

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0) {
		perror("epoll_service");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	ret = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev.data.fd = sfd;
	if (ret || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev)) {
		perror("epoll_service: epoll_ctl");
		return 1;
	}
	printf("watching %s%s\n", DEV, track ? " (tracked)" : "");
	fflush(stdout);

	while (!count || seen < count) {
		n = epoll_wait(ep, events, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_service: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (events[i].data.fd == sfd) {
				printf("stopping after %llu rebuilds\n", rebuilds);
				return 0;
			}
			ret = handle_change(fd);
			if (ret < 0) {
				fprintf(stderr, "epoll_service: %s\n", strerror(-ret));
				return 1;
			}
			seen += (unsigned long)ret;
		}
	}
	close(fd);	/* also ends tracking */
	return 0;
}
