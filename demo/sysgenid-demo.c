// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of `make demo`: four programs that hold state in memory
 * across a VM snapshot, and report what each clone sees.
 *
 *   service   an event loop that watches /dev/sysgenid as a tracked watcher,
 *             drops its session key on a new generation and acks it
 *   library   a library-style consumer: libsysgenid's getter and its
 *             snapshot-safe random generator
 *   naive     a generator seeded once at start-up (the bug)
 *   overseer  quiesces before the snapshot; after resume waits for the
 *             tracked watchers (with a timeout), then un-quiesces
 *   window    the race-free restore check of make check: holds the VM
 *             Generation ID notification back (masks its ACPI GPE) across
 *             the snapshot and reports what each view and each source of
 *             random bytes gives before the kernel is told
 *
 * The overseer runs in the foreground; the host talks to it through the
 * console: it prints "DEMO-SNAPSHOT-NOW" when quiesced, and reads one line,
 * "parent" or "clone", once the host has taken the snapshot and resumed the
 * VM.  Every result is printed as a "DEMO key=value" line for the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sysgenid.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sysgenid/sysgenid.h>

#include "../libfast/tests/vdso_names.h"	/* the vDSO's getrandom, per architecture */

#define STATE_DIR	"/tmp/demo"
#define OUT_BYTES	8

static void die(const char *what)
{
	fprintf(stderr, "sysgenid-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void hex(char *out, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", buf[i]);
}

/* Replace STATE_DIR/name atomically with one line of text. */
static void put_state(const char *name, const char *fmt, ...)
{
	char tmp[160], path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	if (rename(tmp, path))
		die(path);
}

static int get_state(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Value of "key=" in a state line, as a number (0 if absent). */
static uint64_t field(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(line, pat);
	return p ? strtoull(p + strlen(pat), NULL, 0) : 0;
}

static int open_dev(int flags)
{
	int fd = open("/dev/sysgenid", flags | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/sysgenid (kernel without CONFIG_SYSGENID?)");
	return fd;
}

/* --- service: tracked watcher in an event loop --------------------------- */

static int service(void)
{
	uint8_t session_key[16];
	char key_hex[33];
	unsigned int acks = 0;
	int fd = open_dev(O_RDWR);
	__u32 gen;

	if (ioctl(fd, SYSGENID_SET_WATCHER_TRACKING, 1))
		die("SYSGENID_SET_WATCHER_TRACKING");
	if (getrandom(session_key, sizeof(session_key), 0) != sizeof(session_key))
		die("getrandom");
	hex(key_hex, session_key, sizeof(session_key));
	put_state("service", "gen=%u acks=0 key=%s\n",
		  (unsigned int)sysgenid_vdso_get(), key_hex);

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (read(fd, &gen, sizeof(gen)) != sizeof(gen))
			die("read");
		/* Re-adjust: a session key two clones share is no secret. */
		if (getrandom(session_key, sizeof(session_key), 0) != sizeof(session_key))
			die("getrandom");
		hex(key_hex, session_key, sizeof(session_key));
		/* All of the re-adjustment, bookkeeping included, before the ack. */
		put_state("service", "gen=%u acks=%u key=%s\n", gen, acks + 1, key_hex);
		if (write(fd, &gen, sizeof(gen)) != sizeof(gen)) {
			if (errno == EINVAL)	/* moved on again: handle that one */
				continue;
			die("write");
		}
		acks++;
	}
	return 0;
}

/* --- library and naive: produce bytes on request ------------------------- */

/* splitmix64, seeded once: fine statistics, no idea about snapshots. */
struct naive_rng {
	uint64_t s;
};

static void naive_bytes(struct naive_rng *r, uint8_t *buf, size_t len)
{
	while (len) {
		uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
		size_t n = len < 8 ? len : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf, &z, n);
		buf += n;
		len -= n;
	}
}

static int producer(int protected)
{
	struct sysgenid_rng rng;
	struct naive_rng naive;
	unsigned int round = 0;
	const char *name = protected ? "library" : "naive";
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (protected) {
		ret = sysgenid_rng_init(&rng);
		if (ret) {
			errno = -ret;
			die("sysgenid_rng_init");
		}
	} else if (getrandom(&naive.s, sizeof(naive.s), 0) != sizeof(naive.s)) {
		die("getrandom");
	}
	put_state(name, "round=0\n");

	for (;;) {
		uint8_t out[OUT_BYTES];
		char out_hex[2 * OUT_BYTES + 1];
		int sig;

		if (sigwait(&set, &sig))
			continue;
		if (protected) {
			ret = sysgenid_rng_bytes(&rng, out, sizeof(out));
			if (ret) {
				errno = -ret;
				die("sysgenid_rng_bytes");
			}
		} else {
			naive_bytes(&naive, out, sizeof(out));
		}
		hex(out_hex, out, sizeof(out));
		put_state(name, "round=%u bytes=%s rekeys=%" PRIu64 "\n", ++round, out_hex,
			  protected ? sysgenid_rng_rekeys(&rng) : 0);
	}
	return 0;
}

/* --- overseer ------------------------------------------------------------ */

struct spinner {
	pthread_t thread;
	atomic_bool stop;
	uint64_t start_gen;
	uint64_t last_old_ns;	/* last time the old generation was seen */
	uint64_t first_new_ns;	/* first time a new one was */
};

/*
 * Guest time stands still while the VM is stopped, so the last look at the
 * old generation is (within one iteration) the moment the VM resumed.
 */
static void *spin(void *arg)
{
	struct spinner *s = arg;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t t = now_ns();

		if (sysgenid_vdso_get() != s->start_gen) {
			static const char msg[] = "DEMO-VISIBLE\n";
			ssize_t unused;

			s->first_new_ns = t;
			/* Straight to the console: the host times its arrival. */
			unused = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
			(void)unused;
			break;
		}
		s->last_old_ns = t;
	}
	return NULL;
}

static pid_t start_role(const char *self, const char *role)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(self, self, role, (char *)NULL);
		die("exec");
	}
	return pid;
}

static void wait_for(const char *name, const char *key, uint64_t value)
{
	char line[256];
	int i;

	for (i = 0; i < 3000; i++) {
		if (!get_state(name, line, sizeof(line)) && field(line, key) == value)
			return;
		usleep(10000);
	}
	fprintf(stderr, "sysgenid-demo: %s never reached %s=%" PRIu64 "\n", name, key, value);
	exit(1);
}

/*
 * Tell the host the guest is ready to be snapshotted; return with this
 * copy's role once the host has resumed it (the line comes after QMP cont).
 */
static void snapshot_point(char *role, size_t len)
{
	printf("DEMO-SNAPSHOT-NOW\n");
	fflush(stdout);
	if (!fgets(role, len, stdin))
		die("reading the host's go line");
	role[strcspn(role, "\r\n")] = 0;
}

/* Ask the generators for their next bytes and print them. */
static void sample(const char *prefix, unsigned int round, pid_t library, pid_t naive)
{
	char line[256];

	kill(library, SIGUSR1);
	kill(naive, SIGUSR1);
	wait_for("library", "round", round);
	wait_for("naive", "round", round);
	get_state("library", line, sizeof(line));
	printf("DEMO %sprotected_bytes=%.16s\n", prefix, strstr(line, "bytes=") + 6);
	printf("DEMO %sprotected_rekeys=%" PRIu64 "\n", prefix, field(line, "rekeys"));
	get_state("naive", line, sizeof(line));
	printf("DEMO %snaive_bytes=%.16s\n", prefix, strstr(line, "bytes=") + 6);
}

/* The generation through every path, as the report shows it. */
static void report_paths(int fd, const struct sysgenid_page *page)
{
	enum sysgenid_backend backend;
	const char *why;
	__u64 ioctl_gen = 0;
	__u32 read_gen;
	ssize_t n;

	printf("DEMO gen_vdso=%" PRIu64 "\n", (uint64_t)sysgenid_vdso_get());
	printf("DEMO gen_mmap=%" PRIu64 "\n", (uint64_t)page->generation);
	if (ioctl(fd, SYSGENID_GET_GENERATION, &ioctl_gen))
		die("SYSGENID_GET_GENERATION");
	printf("DEMO gen_ioctl=%" PRIu64 "\n", (uint64_t)ioctl_gen);
	n = read(fd, &read_gen, sizeof(read_gen));
	if (n == sizeof(read_gen))
		printf("DEMO gen_read=%u\n", read_gen);
	else if (n < 0 && errno == EAGAIN)
		printf("DEMO gen_read=unchanged\n");
	else
		die("read");
	if (!sysgenid_backend(&backend, &why))
		printf("DEMO libsysgenid_backend=%s\n", sysgenid_backend_name(backend));
}

static void report_service(const char *prefix)
{
	char line[256];

	get_state("service", line, sizeof(line));
	printf("DEMO %sservice_gen=%" PRIu64 "\n", prefix, field(line, "gen"));
	printf("DEMO %sservice_acks=%" PRIu64 "\n", prefix, field(line, "acks"));
	printf("DEMO %sservice_key=%.32s\n", prefix, strstr(line, "key=") + 4);
}

/* Overseer's step 6: wait for every tracked watcher, with a timeout. */
static void wait_watchers(int fd, const char *label)
{
	uint64_t t0 = now_ns();
	int ret;

	do {
		ret = ioctl(fd, SYSGENID_WAIT_WATCHERS, 5000);
	} while (ret && errno == EINTR && !usleep(1000));
	printf("DEMO %s_wait_watchers=%s\n", label, ret ? strerror(errno) : "ok");
	printf("DEMO %s_wait_us=%" PRIu64 "\n", label, (now_ns() - t0) / 1000);
}

static void ack(int fd)
{
	__u32 gen;

	if (read(fd, &gen, sizeof(gen)) == sizeof(gen))
		write(fd, &gen, sizeof(gen));
}

static int overseer(const char *self)
{
	struct spinner spinner = { 0 };
	const struct sysgenid_page *page;
	pid_t library, naive;
	char role[32] = "";
	uint64_t gen0;
	int fd;

	mkdir(STATE_DIR, 0755);
	/* Non-blocking: report_paths() reads to show whether it is outdated. */
	fd = open_dev(O_RDWR | O_NONBLOCK);
	page = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		die("mmap /dev/sysgenid");
	if (sysgenid_init())
		die("sysgenid_init");

	start_role(self, "service");
	library = start_role(self, "library");
	naive = start_role(self, "naive");
	wait_for("library", "round", 0);
	wait_for("naive", "round", 0);
	gen0 = sysgenid_vdso_get();
	wait_for("service", "gen", (__u32)gen0);

	/* Step 1: quiesce.  Here: the generators sit idle until asked. */
	printf("DEMO phase=before\n");
	report_paths(fd, page);
	report_service("");
	sample("", 1, library, naive);
	spinner.start_gen = gen0;
	if (pthread_create(&spinner.thread, NULL, spin, &spinner))
		die("pthread_create");
	/* Steps 2-3 happen outside: snapshot, resume.  The host says which copy this is. */
	snapshot_point(role, sizeof(role));
	printf("DEMO phase=after role=%s\n", role);

	if (!strcmp(role, "clone")) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		/* Step 4: the VM Generation ID changed; the kernel bumps. */
		if (poll(&pfd, 1, 20000) != 1)
			printf("DEMO error=no generation change within 20 s\n");
	} else {
		usleep(200000);	/* a parent should see nothing change */
	}
	atomic_store(&spinner.stop, true);
	pthread_join(spinner.thread, NULL);
	if (spinner.first_new_ns)
		printf("DEMO resume_to_visible_ns=%" PRIu64 "\n",
		       spinner.first_new_ns - spinner.last_old_ns);

	/* Every path, read() included, before this file acks. */
	report_paths(fd, page);
	/* Steps 5-7: tracked watchers adjust and ack; wait for them; un-quiesce. */
	ack(fd);
	wait_watchers(fd, "hw");
	report_service("");
	/* Step 8: lazy users adjust on their next call. */
	sample("", 2, library, naive);

	/* The software-driven path a container restore tool would take. */
	if (ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, 0))
		printf("DEMO sw_trigger=%s\n", strerror(errno));
	else
		printf("DEMO sw_trigger=ok\n");
	ack(fd);
	wait_watchers(fd, "sw");
	printf("DEMO sw_gen_vdso=%" PRIu64 "\n", (uint64_t)sysgenid_vdso_get());
	report_service("sw_");
	sample("sw_", 3, library, naive);
	printf("DEMO-END\n");
	fflush(stdout);
	return 0;
}

/* --- window: the views while the VM Generation ID notification is held -- */

#define GPE_VMGENID	"/sys/firmware/acpi/interrupts/gpe05"
#define RESEED_MSG	"crng reseeded due to virtual machine fork"

struct vgetrandom_params {
	uint32_t size_of_opaque_state;
	uint32_t mmap_prot;
	uint32_t mmap_flags;
	uint32_t reserved[13];
};

typedef ssize_t (*vgetrandom_fn)(void *buf, size_t len, unsigned int flags,
				 void *state, size_t state_len);

struct window_spinner {
	pthread_t thread;
	uint64_t start_gen;
	atomic_bool stop;
	atomic_bool resumed;		/* set once the host's line arrived */
	atomic_uint_fast64_t reads_before;	/* reads before that line */
	atomic_uint_fast64_t first_new;	/* read number of the first new value */
	atomic_uint_fast64_t old_after;	/* old values read after the line */
	atomic_uint_fast64_t backwards;	/* a read lower than the one before */
	atomic_uint_fast64_t last;
};

static void *window_spin(void *arg)
{
	struct window_spinner *s = arg;
	uint64_t n = 0, prev = s->start_gen;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		bool resumed = atomic_load_explicit(&s->resumed, memory_order_acquire);
		uint64_t gen = sysgenid_vdso_get();

		n++;
		if (gen < prev)
			atomic_fetch_add(&s->backwards, 1);
		prev = gen;
		if (gen != s->start_gen && !atomic_load(&s->first_new))
			atomic_store(&s->first_new, n);
		if (resumed && gen == s->start_gen)
			atomic_fetch_add(&s->old_after, 1);
		if (!resumed)
			atomic_store_explicit(&s->reads_before, n, memory_order_relaxed);
		atomic_store_explicit(&s->last, gen, memory_order_relaxed);
	}
	return NULL;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/* The kernel's "crng reseeded due to virtual machine fork" lines so far. */
static unsigned int count_reseeds(void)
{
	unsigned int n = 0;
	char rec[1024];
	ssize_t len;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		die("/dev/kmsg");
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)	/* overwritten: skip on */
			continue;
		if (len <= 0)
			break;
		rec[len] = 0;
		if (strstr(rec, RESEED_MSG))
			n++;
	}
	close(fd);
	return n;
}

static unsigned long gpe_count(void)
{
	char buf[128] = "";
	int fd = open(GPE_VMGENID, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		die(GPE_VMGENID);
	close(fd);
	return strtoul(buf, NULL, 10);
}

static void print_bytes(const char *key, const uint8_t *buf, size_t len)
{
	char out[2 * 32 + 1];

	hex(out, buf, len);
	printf("DEMO %s=%s\n", key, out);
}

/* What the committed views say: the page, read(), the flags. */
static void window_committed(const char *prefix, int fd, const struct sysgenid_page *page)
{
	__u32 gen32;
	ssize_t n;

	printf("DEMO %spage_gen=%" PRIu64 "\n", prefix,
	       (uint64_t)__atomic_load_n(&page->generation, __ATOMIC_ACQUIRE));
	printf("DEMO %spage_flags=%u\n", prefix, page->flags);
	n = read(fd, &gen32, sizeof(gen32));
	if (n == sizeof(gen32))
		printf("DEMO %sread_gen=%u\n", prefix, gen32);
	else if (n < 0 && errno == EAGAIN)
		printf("DEMO %sread_gen=unchanged\n", prefix);
	else
		die("read");
}

static int window(void)
{
	struct window_spinner spinner = { 0 };
	const struct sysgenid_page *page;
	struct vgetrandom_params params;
	struct sysgenid_rng rng;
	vgetrandom_fn vgetrandom = NULL;
	uint8_t buf[16];
	void *vstate = NULL;
	unsigned long gpe;
	const char *first;
	char role[32] = "";
	__u64 gen;
	int fd, ret, i;

	fd = open_dev(O_RDWR | O_NONBLOCK);
	page = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		die("mmap /dev/sysgenid");
	ret = sysgenid_rng_init(&rng);
	if (ret) {
		errno = -ret;
		die("sysgenid_rng_init");
	}
#ifdef TEST_VDSO_GETRANDOM
	vgetrandom = (vgetrandom_fn)sysgenid_vdso_sym(TEST_VDSO_GETRANDOM, TEST_VDSO_VERSION);
#endif
	if (vgetrandom && !vgetrandom(NULL, 0, 0, &params, ~0UL)) {
		vstate = mmap(NULL, params.size_of_opaque_state, params.mmap_prot,
			      params.mmap_flags, -1, 0);
		if (vstate == MAP_FAILED)
			vstate = NULL;
	}
	/* Warm every generator: each holds a key from before the snapshot. */
	if (sysgenid_rng_bytes(&rng, buf, sizeof(buf)) ||
	    getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		die("warming the generators");
	if (vstate)
		vgetrandom(buf, sizeof(buf), 0, vstate, params.size_of_opaque_state);

	spinner.start_gen = sysgenid_vdso_get();
	/* A line of its own: the firmware leaves escape codes on the console. */
	printf("\nDEMO gen_before=%" PRIu64 "\n", spinner.start_gen);
	printf("DEMO flags_before=%u\n", page->flags);
	printf("DEMO vdso_getrandom=%s\n", vstate ? "yes" : "no");
	/* Hold the notification back: mask latches it, unmask delivers it. */
	write_file(GPE_VMGENID, "mask\n");
	gpe = gpe_count();
	if (pthread_create(&spinner.thread, NULL, window_spin, &spinner))
		die("pthread_create");
	while (!atomic_load(&spinner.reads_before))
		usleep(1000);
	snapshot_point(role, sizeof(role));
	atomic_store_explicit(&spinner.resumed, true, memory_order_release);
	printf("DEMO role=%s\n", role);
	printf("DEMO spin_reads_before=%" PRIu64 "\n", (uint64_t)atomic_load(&spinner.reads_before));
	printf("DEMO spin_first_new=%" PRIu64 "\n", (uint64_t)atomic_load(&spinner.first_new));
	printf("DEMO vdso_at_go=%" PRIu64 "\n", (uint64_t)sysgenid_vdso_get());
	/* Nothing but the vDSO so far: the kernel has not been told. */
	window_committed("held_", fd, page);
	printf("DEMO held_reseeds=%u\n", count_reseeds());
	printf("DEMO held_gpe_delivered=%lu\n", gpe_count() - gpe);

	/*
	 * The first bytes of each source.  Whichever asks first makes the
	 * kernel catch up, so the host names the one that goes first ("clone
	 * lib", ...): only that one shows what it does on its own.
	 */
	first = strchr(role, ' ') ? strchr(role, ' ') + 1 : "vgetrandom";
	printf("DEMO first=%s\n", first);
	for (i = 0; i < 3; i++) {
		static const char *const order[] = { "vgetrandom", "getrandom", "lib" };
		int start = !strcmp(first, "getrandom") ? 1 : !strcmp(first, "lib") ? 2 : 0;
		const char *src = order[(start + i) % 3];

		if (!strcmp(src, "vgetrandom") && vstate) {
			vgetrandom(buf, sizeof(buf), 0, vstate, params.size_of_opaque_state);
			print_bytes("vgetrandom_bytes", buf, sizeof(buf));
		} else if (!strcmp(src, "getrandom")) {
			if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
				die("getrandom");
			print_bytes("getrandom_bytes", buf, sizeof(buf));
		} else if (!strcmp(src, "lib")) {
			ret = sysgenid_rng_bytes(&rng, buf, sizeof(buf));
			if (ret) {
				errno = -ret;
				die("sysgenid_rng_bytes");
			}
			print_bytes("lib_bytes", buf, sizeof(buf));
			printf("DEMO lib_rekeys=%" PRIu64 "\n", sysgenid_rng_rekeys(&rng));
		}
	}
	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
		die("SYSGENID_GET_GENERATION");
	printf("DEMO caught_ioctl_gen=%" PRIu64 "\n", (uint64_t)gen);
	window_committed("caught_", fd, page);
	printf("DEMO caught_reseeds=%u\n", count_reseeds());

	/* Let the notification in; it must find nothing left to do. */
	write_file(GPE_VMGENID, "unmask\n");
	for (i = 0; i < 500 && gpe_count() == gpe; i++)
		usleep(10000);
	usleep(200000);		/* the notify work runs after the GPE */
	printf("DEMO gpe_delivered=%lu\n", gpe_count() - gpe);
	atomic_store(&spinner.stop, true);
	pthread_join(spinner.thread, NULL);
	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
		die("SYSGENID_GET_GENERATION");
	printf("DEMO after_ioctl_gen=%" PRIu64 "\n", (uint64_t)gen);
	printf("DEMO after_vdso_gen=%" PRIu64 "\n", (uint64_t)sysgenid_vdso_get());
	printf("DEMO after_page_gen=%" PRIu64 "\n", (uint64_t)page->generation);
	printf("DEMO after_reseeds=%u\n", count_reseeds());
	printf("DEMO spin_old_after_go=%" PRIu64 "\n", (uint64_t)atomic_load(&spinner.old_after));
	printf("DEMO spin_backwards=%" PRIu64 "\n", (uint64_t)atomic_load(&spinner.backwards));
	printf("DEMO spin_last=%" PRIu64 "\n", (uint64_t)atomic_load(&spinner.last));
	printf("DEMO-END\n");
	fflush(stdout);
	return 0;
}

/* --- trigger: a restore only software announces (no VM Generation ID) --- */

static int trigger_role(void)
{
	const struct sysgenid_page *page;
	char role[32] = "";
	uint8_t buf[16];
	__u64 gen;
	int fd;

	fd = open_dev(O_RDWR | O_NONBLOCK);
	page = mmap(NULL, sizeof(*page), PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		die("mmap /dev/sysgenid");
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		die("getrandom");
	printf("\nDEMO gen_before=%" PRIu64 "\n", (uint64_t)page->generation);
	printf("DEMO flags_before=%u\n", page->flags);
	snapshot_point(role, sizeof(role));
	printf("DEMO role=%s\n", role);
	/* The restore tool's announcement; the original just goes on. */
	if (!strcmp(role, "clone"))
		printf("DEMO trigger=%s\n",
		       ioctl(fd, SYSGENID_TRIGGER_GEN_UPDATE, 0) ? strerror(errno) : "ok");
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		die("getrandom");
	print_bytes("getrandom_bytes", buf, sizeof(buf));
	if (ioctl(fd, SYSGENID_GET_GENERATION, &gen))
		die("SYSGENID_GET_GENERATION");
	printf("DEMO gen_after=%" PRIu64 "\n", (uint64_t)gen);
	printf("DEMO reseeds=%u\n", count_reseeds());
	printf("DEMO-END\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(role, "service"))
		return service();
	if (!strcmp(role, "library"))
		return producer(1);
	if (!strcmp(role, "naive"))
		return producer(0);
	if (!strcmp(role, "overseer"))
		return overseer("/proc/self/exe");
	if (!strcmp(role, "window"))
		return window();
	if (!strcmp(role, "trigger"))
		return trigger_role();
	fprintf(stderr, "usage: %s overseer|service|library|naive|window|trigger\n", argv[0]);
	return 2;
}
