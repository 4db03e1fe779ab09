/* SPDX-License-Identifier: MIT */
/*
 * sysgenid_lazy.h - notice, on a hot path, that this machine was restored
 * from a snapshot or cloned: the lazy check of the Linux system generation.
 *
 * Copyright (C) 2026 The SysGenID developers
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 *
 * Copy this file into your tree; it needs no library.  A program that keeps
 * world-unique state in memory (the key of a userspace DRBG, UUID state,
 * nonce counters) notes the kernel's system generation when it builds that
 * state and rebuilds the state once the generation differs: two copies of
 * one snapshot then never continue from the same state.  The kernel exports
 * the generation three ways; sglazy_init() takes the first that works:
 *
 *   vDSO   the getter, __vdso_sysgenid_get@LINUX_2.6 on x86 (64-bit
 *          processes, and 32-bit ones on an x86_64 kernel) or
 *          __kernel_sysgenid_get@LINUX_2.6.39 on arm64: a function call, no
 *          syscall, nothing kept, all 64 bits untorn also in a 32-bit
 *          process.  Where the page's SYSGENID_FLAG_RACE_FREE is set it
 *          sees a restore from the first instruction after it.
 *   page   the read-only page of /dev/sysgenid (mapped, then the descriptor
 *          is closed): one acquire load, no syscall.  It follows the
 *          generation the kernel has *committed*: after a restore on ACPI,
 *          once a kernel worker handles the notification (30 to 90 ms under
 *          QEMU TCG) or some task asks the kernel for random bytes, if that
 *          comes first.  Processes whose vDSO lacks the getter (x32,
 *          other architectures, 32-bit kernels) land here.
 *   ioctl  SYSGENID_GET_GENERATION on a kept O_CLOEXEC descriptor: one
 *          syscall per check.  Never older than the vDSO.
 *
 * Without any (a kernel without SysGenID, a container with neither the vDSO
 * getter nor the device node) the caller's policy, chosen at init, decides:
 *
 *   SGLAZY_FAIL_OPEN    every check says "unchanged".  Nothing costs more
 *                       than today, and nothing is safer than today: a clone
 *                       of a snapshot never reseeds because of the clone.
 *   SGLAZY_FAIL_CLOSED  every check says "changed": the caller rebuilds its
 *                       state before every use.  Safe, and as slow as not
 *                       keeping the state at all (a getrandom() per use).
 *                       Log sglazy_backend() == SGLAZY_BACKEND_NONE once so
 *                       that whoever sees the slowness learns why.
 *
 * Use:
 *
 *   static struct sglazy src;                 // once per process
 *   sglazy_init(&src, SGLAZY_FAIL_OPEN);      // under your once-control
 *
 *   sglazy_note(&src, &st->mark);             // before building the state
 *   build(st);
 *   ...
 *   if (sglazy_check(&src, &st->mark))        // before every use
 *           build(st);
 *
 * Cost of a check: on the page path two loads and a compare (the generation
 * from the page, the noted one from the mark, once the page's address is
 * read from the source); on the vDSO path an indirect call into the vDSO
 * and a compare; on the page path of a 32-bit process the four-load retry
 * protocol.
 *
 * Threads: sglazy_init() and sglazy_fini() are not thread-safe: run init
 * once (pthread_once(), CRYPTO_once(), a C++ static) before any check.
 * After it the source is read-only and every other function may run in any
 * thread.  A mark is the caller's: guard it as the state it describes
 * (per-thread state needs nothing).  The vDSO and page paths make no
 * syscall, take no lock, leave errno alone and are async-signal-safe; the
 * ioctl path makes one syscall and restores errno.  Nothing allocates, and
 * there are no constructors or global variables: each includer's state is
 * the struct it passes in.
 *
 * fork(): the child inherits the mapping, the vDSO (at the same address) and
 * the descriptor (the ioctl only reads, so sharing it is harmless): no
 * re-init.  SysGenID does not report forks; a DRBG detects them separately
 * (MADV_WIPEONFORK, pthread_atfork()).  exec() closes the descriptor and
 * drops the mapping; the new program starts over.  A daemon that closes
 * descriptors it did not open takes the ioctl backend away: every check
 * then reports a change.  SGLAZY_NO_IOCTL keeps no descriptor at all.
 *
 * Memory ordering: the page load is an acquire load pairing with the
 * kernel's release store of the generation, which follows the reseed of the
 * kernel's random pool; so a getrandom() after a check that saw the change
 * draws from the reseeded pool, and the caller's reads of its state are not
 * hoisted above the check.  The vDSO getter orders its own reads with a
 * sequence count, and its read barriers after the load of the generation
 * (dmb ishld on arm64; x86 keeps loads in order) keep the caller's later
 * loads after it; the call is a compiler barrier.
 *
 * The ABI is include/uapi/linux/sysgenid.h of the SysGenID patches; the few
 * constants this file needs are embedded and checked against that header
 * when it is on the include path (SGLAZY_UAPI_CHECKED is then defined).
 * Build with GCC or Clang, C99 or later or C++, with POSIX.1-2008
 * (_DEFAULT_SOURCE, _GNU_SOURCE or _POSIX_C_SOURCE >= 200809L), on Linux.
 */
#ifndef SGLAZY_H
#define SGLAZY_H

#define SGLAZY_VERSION	1

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#ifndef O_CLOEXEC
#error "sysgenid_lazy.h needs POSIX.1-2008: define _DEFAULT_SOURCE or _POSIX_C_SOURCE 200809L"
#endif

#define SGLAZY_DEV			"/dev/sysgenid"
#define SGLAZY_IOCTL_TYPE		0xE4
#define SGLAZY_IOC_GET_GENERATION	_IOR(SGLAZY_IOCTL_TYPE, 4, uint64_t)
#define SGLAZY_FLAG_HW_SOURCE		(1U << 0)
#define SGLAZY_FLAG_RACE_FREE		(1U << 1)

/* struct sysgenid_page: the start of the page of /dev/sysgenid. */
struct sglazy_page {
	uint32_t generation32;	/* low half, updated after generation */
	uint32_t flags;		/* SGLAZY_FLAG_* */
	uint64_t generation;	/* the full value, release-stored */
};

/*
 * What sglazy_note() stores when nothing can be read.  A real generation
 * gets there only if privileged software drives the counter to its end,
 * after which it never moves again.
 */
#define SGLAZY_GEN_UNKNOWN		UINT64_MAX

/* sglazy_init() options: exactly one policy, any SGLAZY_NO_*. */
enum {
	SGLAZY_FAIL_OPEN	= 1 << 0,
	SGLAZY_FAIL_CLOSED	= 1 << 1,
	SGLAZY_NO_VDSO		= 1 << 4,
	SGLAZY_NO_PAGE		= 1 << 5,
	SGLAZY_NO_IOCTL		= 1 << 6	/* keep no descriptor */
};

enum sglazy_backend {
	SGLAZY_BACKEND_NONE = 0,
	SGLAZY_BACKEND_VDSO,
	SGLAZY_BACKEND_PAGE,
	SGLAZY_BACKEND_IOCTL
};

/* The source: one per process.  Private; set by sglazy_init() only. */
struct sglazy {
	const volatile struct sglazy_page *page;
	uint64_t (*vdso_get)(void);
	int fd;
	unsigned char backend;
	unsigned char fail_closed;
	uint32_t flags;		/* the page's flags at init; 0 if unknown */
};

/* The generation some state was built at.  Set it with sglazy_note(). */
struct sglazy_mark {
	uint64_t gen;
};

#if defined(__cplusplus) && __cplusplus >= 201103L
#define SGLAZY_PRIV_ASSERT(cond, what)	static_assert(cond, "sysgenid_lazy.h: " #what)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SGLAZY_PRIV_ASSERT(cond, what)	_Static_assert(cond, "sysgenid_lazy.h: " #what)
#else
#define SGLAZY_PRIV_ASSERT(cond, what)	typedef char sglazy_priv_assert_##what[(cond) ? 1 : -1]
#endif

/* For C++ includers that warn about NULL (-Wzero-as-null-pointer-constant). */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define SGLAZY_PRIV_NULL	nullptr
#else
#define SGLAZY_PRIV_NULL	NULL
#endif

SGLAZY_PRIV_ASSERT(offsetof(struct sglazy_page, generation) == 8, page_layout);

#if !defined(SGLAZY_NO_UAPI_CHECK) && defined(__has_include)
#if __has_include(<linux/sysgenid.h>)
#include <linux/sysgenid.h>
#ifdef SYSGENID_GET_GENERATION
SGLAZY_PRIV_ASSERT(SGLAZY_IOC_GET_GENERATION == SYSGENID_GET_GENERATION, uapi_ioctl);
SGLAZY_PRIV_ASSERT(SGLAZY_FLAG_HW_SOURCE == SYSGENID_FLAG_HW_SOURCE, uapi_hw_source);
SGLAZY_PRIV_ASSERT(SGLAZY_FLAG_RACE_FREE == SYSGENID_FLAG_RACE_FREE, uapi_race_free);
SGLAZY_PRIV_ASSERT(offsetof(struct sysgenid_page, flags) ==
		   offsetof(struct sglazy_page, flags), uapi_flags);
SGLAZY_PRIV_ASSERT(offsetof(struct sysgenid_page, generation) ==
		   offsetof(struct sglazy_page, generation), uapi_generation);
#define SGLAZY_UAPI_CHECKED	1
#endif
#endif
#endif

/*
 * The vDSO getter's name and version per architecture: <linux/sysgenid.h>'s
 * where it has them, else this copy of them (the header stands alone).
 * Elsewhere there is no getter and the lookup is skipped.
 */
#if defined(SYSGENID_VDSO_GETTER) && defined(SYSGENID_VDSO_VERSION)
#define SGLAZY_PRIV_VDSO_GETTER	SYSGENID_VDSO_GETTER
#define SGLAZY_PRIV_VDSO_VERSION	SYSGENID_VDSO_VERSION
#elif (defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__)
#define SGLAZY_PRIV_VDSO_GETTER	"__vdso_sysgenid_get"
#define SGLAZY_PRIV_VDSO_VERSION	"LINUX_2.6"
#elif defined(__aarch64__)
#define SGLAZY_PRIV_VDSO_GETTER	"__kernel_sysgenid_get"
#define SGLAZY_PRIV_VDSO_VERSION	"LINUX_2.6.39"
#endif

/*
 * The vDSO is an ELF shared object the kernel maps but never relocates: its
 * dynamic section holds link-time addresses.  Everything read from it is
 * bounds-checked against its PT_LOAD segment before use.
 */
#if UINTPTR_MAX > 0xffffffffU
#define SGLAZY_PRIV_ELFCLASS	ELFCLASS64
typedef Elf64_Ehdr sglazy_priv_ehdr;
typedef Elf64_Phdr sglazy_priv_phdr;
typedef Elf64_Dyn sglazy_priv_dyn;
typedef Elf64_Sym sglazy_priv_sym;
typedef Elf64_Verdef sglazy_priv_verdef;
typedef Elf64_Verdaux sglazy_priv_verdaux;
#else
#define SGLAZY_PRIV_ELFCLASS	ELFCLASS32
typedef Elf32_Ehdr sglazy_priv_ehdr;
typedef Elf32_Phdr sglazy_priv_phdr;
typedef Elf32_Dyn sglazy_priv_dyn;
typedef Elf32_Sym sglazy_priv_sym;
typedef Elf32_Verdef sglazy_priv_verdef;
typedef Elf32_Verdaux sglazy_priv_verdaux;
#endif

enum {
	/* The ELF and program headers lie in the vDSO's first page. */
	SGLAZY_PRIV_MIN_PAGE	= 4096,
	SGLAZY_PRIV_MAX_VERDEFS	= 64
};

struct sglazy_priv_image {
	const unsigned char *base;
	size_t size;		/* of the PT_LOAD segment's file image */
	uintptr_t vbase;	/* link-time address of base */
};

/* @len bytes at link-time address @addr, aligned to @align, or NULL. */
static inline const void *sglazy_priv_at(const struct sglazy_priv_image *img,
					 uintptr_t addr, size_t len, size_t align)
{
	uintptr_t off = addr - img->vbase;	/* wraps to huge below vbase */

	if (off > img->size || len > img->size - off || (off & (align - 1)))
		return SGLAZY_PRIV_NULL;
	return img->base + off;
}

/* Is the string at @off of the string table @want? */
static inline bool sglazy_priv_streq(const char *strtab, size_t strsz, size_t off,
				     const char *want)
{
	size_t len = strlen(want) + 1;

	return off < strsz && len <= strsz - off && !memcmp(strtab + off, want, len);
}

static inline bool sglazy_priv_version_is(const struct sglazy_priv_image *img,
					  uintptr_t verdef, size_t verdefnum, unsigned int ndx,
					  const char *strtab, size_t strsz, const char *version)
{
	const sglazy_priv_verdef *def;
	const sglazy_priv_verdaux *aux;

	while (verdefnum--) {
		def = (const sglazy_priv_verdef *)sglazy_priv_at(img, verdef, sizeof(*def), 4);
		if (!def)
			return false;
		if (!(def->vd_flags & VER_FLG_BASE) && def->vd_ndx == ndx) {
			aux = (const sglazy_priv_verdaux *)
			      sglazy_priv_at(img, verdef + def->vd_aux, sizeof(*aux), 4);
			return aux && sglazy_priv_streq(strtab, strsz, aux->vda_name, version);
		}
		if (!def->vd_next)
			return false;
		verdef += def->vd_next;
	}
	return false;
}

/*
 * sglazy_priv_vdso_sym() - the address of function @name, version @version,
 * in this process's vDSO, or 0.  A vDSO without version tables matches on
 * the name alone, as the dynamic loader does.  Needs DT_HASH (every Linux
 * vDSO has it) for the symbol count.  Called once, by sglazy_init().
 */
static inline uintptr_t sglazy_priv_vdso_sym(const char *name, const char *version)
{
	struct sglazy_priv_image img = { SGLAZY_PRIV_NULL, 0, 0 };
	uintptr_t strtab_at = 0, symtab_at = 0, hash_at = 0, versym_at = 0, verdef_at = 0;
	size_t i, ndyn = 0, strsz = 0, nsym, verdefnum = SGLAZY_PRIV_MAX_VERDEFS;
	const uint16_t *versym = SGLAZY_PRIV_NULL;
	const uint32_t *hash;
	const sglazy_priv_ehdr *eh;
	const sglazy_priv_phdr *ph;
	const sglazy_priv_dyn *dyn = SGLAZY_PRIV_NULL;
	const sglazy_priv_sym *sym;
	const char *strtab;

	img.base = (const unsigned char *)(uintptr_t)getauxval(AT_SYSINFO_EHDR);
	if (!img.base)
		return 0;
	eh = (const sglazy_priv_ehdr *)(const void *)img.base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != SGLAZY_PRIV_ELFCLASS ||
	    eh->e_phentsize != sizeof(*ph) || eh->e_phoff % sizeof(uintptr_t) ||
	    eh->e_phoff > SGLAZY_PRIV_MIN_PAGE ||
	    (size_t)eh->e_phnum * sizeof(*ph) > SGLAZY_PRIV_MIN_PAGE - eh->e_phoff)
		return 0;

	/* The first PT_LOAD maps the whole image; PT_DYNAMIC lies inside it. */
	ph = (const sglazy_priv_phdr *)(const void *)(img.base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum && !img.size; i++) {
		if (ph[i].p_type == PT_LOAD) {
			img.size = (size_t)(ph[i].p_offset + ph[i].p_filesz);
			img.vbase = (uintptr_t)(ph[i].p_vaddr - ph[i].p_offset);
		}
	}
	for (i = 0; i < eh->e_phnum && !dyn; i++) {
		if (ph[i].p_type == PT_DYNAMIC) {
			ndyn = (size_t)ph[i].p_filesz / sizeof(*dyn);
			dyn = (const sglazy_priv_dyn *)
			      sglazy_priv_at(&img, (uintptr_t)ph[i].p_vaddr,
					     ndyn * sizeof(*dyn), sizeof(uintptr_t));
		}
	}
	if (!dyn)
		return 0;

	/* Link-time addresses: none is 0, where the ELF header lies. */
	for (i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		uintptr_t val = (uintptr_t)dyn[i].d_un.d_val;

		switch (dyn[i].d_tag) {
		case DT_STRTAB:		strtab_at = val; break;
		case DT_STRSZ:		strsz = val; break;
		case DT_SYMTAB:		symtab_at = val; break;
		case DT_HASH:		hash_at = val; break;
		case DT_VERSYM:		versym_at = val; break;
		case DT_VERDEF:		verdef_at = val; break;
		case DT_VERDEFNUM:
			verdefnum = val < verdefnum ? val : verdefnum;
			break;
		}
	}

	/* The SysV hash table's chain count is the symbol count. */
	hash = (const uint32_t *)sglazy_priv_at(&img, hash_at, 2 * sizeof(*hash), 4);
	strtab = (const char *)sglazy_priv_at(&img, strtab_at, strsz, 1);
	if (!hash || !strtab || !strsz || !hash_at || !strtab_at || !symtab_at)
		return 0;
	nsym = hash[1];
	if (nsym > img.size / sizeof(*sym))
		return 0;
	sym = (const sglazy_priv_sym *)
	      sglazy_priv_at(&img, symtab_at, nsym * sizeof(*sym), sizeof(uintptr_t));
	if (versym_at && verdef_at) {
		versym = (const uint16_t *)
			 sglazy_priv_at(&img, versym_at, nsym * sizeof(*versym), 2);
		if (!versym)
			return 0;
	}
	if (!sym)
		return 0;

	for (i = 1; i < nsym; i++) {
		unsigned int type = ELF64_ST_TYPE(sym[i].st_info);
		unsigned int bind = ELF64_ST_BIND(sym[i].st_info);

		if (sym[i].st_shndx == SHN_UNDEF || type != STT_FUNC ||
		    (bind != STB_GLOBAL && bind != STB_WEAK) ||
		    !sglazy_priv_streq(strtab, strsz, sym[i].st_name, name))
			continue;
		/* Bit 15 of a version index marks a hidden version. */
		if (versym && !sglazy_priv_version_is(&img, verdef_at, verdefnum,
						      versym[i] & 0x7fffU, strtab, strsz,
						      version))
			continue;
		if (!sglazy_priv_at(&img, (uintptr_t)sym[i].st_value, 1, 1))
			return 0;
		return (uintptr_t)(img.base + ((uintptr_t)sym[i].st_value - img.vbase));
	}
	return 0;
}

static inline uint64_t sglazy_priv_page_read(const volatile struct sglazy_page *page)
{
#if UINTPTR_MAX > 0xffffffffU
	/* Pairs with the kernel's release store of the generation. */
	return __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
#else
	/*
	 * No atomic 64-bit load here: the uapi's 32-bit protocol.  The kernel
	 * stores generation (release) before generation32; each load is an
	 * acquire load.  Equal generation32 loads around the halves that match
	 * the low half mean the halves belong together.
	 */
	const volatile uint32_t *half = (const volatile uint32_t *)(const volatile void *)
					((const volatile char *)page +
					 offsetof(struct sglazy_page, generation));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const int lo_idx = 0, hi_idx = 1;
#else
	const int lo_idx = 1, hi_idx = 0;
#endif
	uint32_t before, hi, lo, after;

	do {
		before = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&half[hi_idx], __ATOMIC_ACQUIRE);
		lo = __atomic_load_n(&half[lo_idx], __ATOMIC_ACQUIRE);
		after = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
	} while (before != lo || after != lo);
	return (uint64_t)hi << 32 | lo;
#endif
}

static inline int sglazy_priv_ioctl_read(const struct sglazy *src, uint64_t *gen)
{
	int saved_errno = errno, ret = 0;
	uint64_t val;

	if (ioctl(src->fd, SGLAZY_IOC_GET_GENERATION, &val) < 0)
		ret = -errno;
	else
		*gen = val;
	errno = saved_errno;
	return ret;
}

/*
 * Out of line, so that the hot paths need no stack frame: the ioctl, or no
 * source.  GCC warns about inline with noinline, Clang about unused on a
 * used function: each gets the spelling it accepts.
 */
#ifdef __clang__
#define SGLAZY_PRIV_COLD	static inline __attribute__((noinline, cold))
#else
#define SGLAZY_PRIV_COLD	static __attribute__((noinline, cold, unused))
#endif

SGLAZY_PRIV_COLD bool
sglazy_priv_changed_slow(const struct sglazy *src, const struct sglazy_mark *mark)
{
	uint64_t gen = 0;

	if (src->backend == SGLAZY_BACKEND_IOCTL)
		return sglazy_priv_ioctl_read(src, &gen) || gen != mark->gen;
	return src->fail_closed;
}

SGLAZY_PRIV_COLD bool
sglazy_priv_check_slow(const struct sglazy *src, struct sglazy_mark *mark)
{
	uint64_t gen = 0;

	if (src->backend != SGLAZY_BACKEND_IOCTL)
		return src->fail_closed;
	if (sglazy_priv_ioctl_read(src, &gen)) {
		mark->gen = SGLAZY_GEN_UNKNOWN;
		return true;
	}
	if (gen == mark->gen)
		return false;
	mark->gen = gen;
	return true;
}

/*
 * sglazy_init() - find the cheapest generation source, once per process
 * @src:  the source to set up
 * @opts: SGLAZY_FAIL_OPEN or SGLAZY_FAIL_CLOSED (what checks say without a
 *        source), plus any of SGLAZY_NO_VDSO, SGLAZY_NO_PAGE, SGLAZY_NO_IOCTL
 *        (tests force a backend with them)
 *
 * Unless both SGLAZY_NO_PAGE and SGLAZY_NO_IOCTL are given, opens
 * /dev/sysgenid O_RDONLY | O_CLOEXEC and maps its page, for the flags even
 * when the vDSO serves, then unmaps and closes whatever the backend does
 * not need.  Leaves errno as it was.
 *
 * Return: 0 when a backend serves; else @src follows the policy and:
 * -ENOENT  no /dev/sysgenid (and no vDSO getter): a kernel without
 *          SysGenID, or a container without the device node;
 * -ENOSYS  only the vDSO was allowed, and it lacks the getter;
 * -EINVAL  not exactly one policy, or an unknown option: @src fails closed;
 * another -errno of open(), mmap() or ioctl() (-EACCES; -ENOTTY or -ENODEV
 * from a driver of the 2021 read()-only ABI).
 */
static inline int sglazy_init(struct sglazy *src, unsigned int opts)
{
	const unsigned int known = SGLAZY_FAIL_OPEN | SGLAZY_FAIL_CLOSED | SGLAZY_NO_VDSO |
				   SGLAZY_NO_PAGE | SGLAZY_NO_IOCTL;
	unsigned int policy = opts & (SGLAZY_FAIL_OPEN | SGLAZY_FAIL_CLOSED);
	bool want_dev = !(opts & SGLAZY_NO_PAGE) || !(opts & SGLAZY_NO_IOCTL);
	int saved_errno = errno, err = -ENOENT, fd;
	void *map = MAP_FAILED;
	uintptr_t getter = 0;
	uint64_t gen;

	src->page = SGLAZY_PRIV_NULL;
	src->vdso_get = SGLAZY_PRIV_NULL;
	src->fd = -1;
	src->backend = SGLAZY_BACKEND_NONE;
	src->fail_closed = 1;
	src->flags = 0;
	if ((opts & ~known) || (policy != SGLAZY_FAIL_OPEN && policy != SGLAZY_FAIL_CLOSED))
		return -EINVAL;
	src->fail_closed = policy == SGLAZY_FAIL_CLOSED;

#ifdef SGLAZY_PRIV_VDSO_GETTER
	if (!(opts & SGLAZY_NO_VDSO))
		getter = sglazy_priv_vdso_sym(SGLAZY_PRIV_VDSO_GETTER, SGLAZY_PRIV_VDSO_VERSION);
#endif
	if (!(opts & SGLAZY_NO_VDSO) && !getter)
		err = -ENOSYS;

	/* Opened next to the vDSO too, for the flags: is it race-free? */
	fd = want_dev ? open(SGLAZY_DEV, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
	if (fd < 0) {
		if (want_dev)
			err = -errno;
	} else {
		/* One page, whatever the length asked for: mmap() rounds it up. */
		map = mmap(SGLAZY_PRIV_NULL, sizeof(struct sglazy_page), PROT_READ,
			   MAP_SHARED, fd, 0);
		if (map != MAP_FAILED)
			src->flags = ((const volatile struct sglazy_page *)map)->flags;
		else if (!(opts & SGLAZY_NO_PAGE))
			err = -errno;
	}

	if (getter) {
		src->vdso_get = (uint64_t (*)(void))getter;
		src->backend = SGLAZY_BACKEND_VDSO;
	} else if (map != MAP_FAILED && !(opts & SGLAZY_NO_PAGE)) {
		src->page = (const volatile struct sglazy_page *)map;
		src->backend = SGLAZY_BACKEND_PAGE;
		map = MAP_FAILED;
	} else if (fd >= 0 && !(opts & SGLAZY_NO_IOCTL)) {
		if (ioctl(fd, SGLAZY_IOC_GET_GENERATION, &gen) == 0) {
			src->fd = fd;
			src->backend = SGLAZY_BACKEND_IOCTL;
			fd = -1;
		} else {
			err = -errno;
		}
	}

	if (map != MAP_FAILED)
		munmap(map, sizeof(struct sglazy_page));
	if (fd >= 0)
		close(fd);
	errno = saved_errno;
	return src->backend == SGLAZY_BACKEND_NONE ? err : 0;
}

/*
 * sglazy_fini() - unmap the page and close the descriptor, if any
 * @src: a source set up by sglazy_init(); it then has no backend
 *
 * Only for code that is unloaded (dlclose()): no check may run meanwhile.
 */
static inline void sglazy_fini(struct sglazy *src)
{
	int saved_errno = errno;

	if (src->page)
		munmap((void *)(uintptr_t)src->page, sizeof(struct sglazy_page));
	if (src->fd >= 0)
		close(src->fd);
	src->page = SGLAZY_PRIV_NULL;
	src->vdso_get = SGLAZY_PRIV_NULL;
	src->fd = -1;
	src->backend = SGLAZY_BACKEND_NONE;
	errno = saved_errno;
}

/*
 * sglazy_get() - read the generation
 * @src: the source
 * @gen: where to store it; untouched on error
 *
 * Return: 0, -ENODEV without a source, or the ioctl's -errno.
 */
static inline int sglazy_get(const struct sglazy *src, uint64_t *gen)
{
	if (src->page) {
		*gen = sglazy_priv_page_read(src->page);
		return 0;
	}
	if (src->vdso_get) {
		*gen = src->vdso_get();
		return 0;
	}
	if (src->backend == SGLAZY_BACKEND_IOCTL)
		return sglazy_priv_ioctl_read(src, gen);
	return -ENODEV;
}

/*
 * sglazy_note() - note the current generation in @mark
 * @src:  the source
 * @mark: the mark of the state about to be built
 *
 * Call it before building the state, so that a change during the build is
 * seen by the next check.  If nothing can be read, @mark holds
 * SGLAZY_GEN_UNKNOWN, which every successful read differs from.
 */
static inline void sglazy_note(const struct sglazy *src, struct sglazy_mark *mark)
{
	uint64_t gen = SGLAZY_GEN_UNKNOWN;

	sglazy_get(src, &gen);
	mark->gen = gen;
}

/*
 * sglazy_changed() - has the generation moved since @mark was noted?
 * @src:  the source
 * @mark: a mark set by sglazy_note()
 *
 * Leaves @mark alone: true until the caller notes again.
 *
 * Return: true if it moved, if the ioctl fails, or without a source under
 * SGLAZY_FAIL_CLOSED; false without a source under SGLAZY_FAIL_OPEN.
 */
static inline bool sglazy_changed(const struct sglazy *src, const struct sglazy_mark *mark)
{
	const volatile struct sglazy_page *page = src->page;

	if (page)
		return sglazy_priv_page_read(page) != mark->gen;
	if (src->vdso_get)
		return src->vdso_get() != mark->gen;
	return sglazy_priv_changed_slow(src, mark);
}

/*
 * sglazy_check() - true once for each change: check and re-note
 * @src:  the source
 * @mark: a mark set by sglazy_note(); updated to the new generation
 *
 * The first check that sees a new generation notes it in @mark and returns
 * true; later checks return false until the generation moves again.  The
 * caller rebuilds its state whenever it returns true (the note comes first,
 * as it must).  A caller whose rebuild can fail and be retried uses
 * sglazy_changed() and sglazy_note() instead.
 *
 * Return: as sglazy_changed(); a failed ioctl leaves SGLAZY_GEN_UNKNOWN in
 * @mark, so the first successful read after it reports a change too.
 */
static inline bool sglazy_check(const struct sglazy *src, struct sglazy_mark *mark)
{
	const volatile struct sglazy_page *page = src->page;
	uint64_t gen;

	if (page)
		gen = sglazy_priv_page_read(page);
	else if (src->vdso_get)
		gen = src->vdso_get();
	else
		return sglazy_priv_check_slow(src, mark);

	if (__builtin_expect(gen == mark->gen, 1))
		return false;
	mark->gen = gen;
	return true;
}

/* sglazy_backend() - which backend serves @src (SGLAZY_BACKEND_NONE: none) */
static inline enum sglazy_backend sglazy_backend(const struct sglazy *src)
{
	return (enum sglazy_backend)src->backend;
}

/* sglazy_backend_name() - "none", "vdso", "page", "ioctl" */
static inline const char *sglazy_backend_name(enum sglazy_backend backend)
{
	switch (backend) {
	case SGLAZY_BACKEND_NONE:	return "none";
	case SGLAZY_BACKEND_VDSO:	return "vdso";
	case SGLAZY_BACKEND_PAGE:	return "page";
	case SGLAZY_BACKEND_IOCTL:	return "ioctl";
	}
	return "unknown";
}

/*
 * sglazy_flags() - the page's SGLAZY_FLAG_* bits, as read at init
 * @src: the source
 *
 * SGLAZY_FLAG_HW_SOURCE: a hypervisor (the VM Generation ID) moves the
 * generation; without it only software triggers do, and an unchanged
 * generation proves nothing about a VM snapshot.  0 when the page could not
 * be mapped (a container with the vDSO but without the device node).
 */
static inline uint32_t sglazy_flags(const struct sglazy *src)
{
	return src->flags;
}

/*
 * sglazy_race_free() - does @src see a VM restore before the kernel commits it?
 * @src: the source
 *
 * Checks then see the new generation from the first instruction after a
 * restore: the vDSO where the kernel sets SGLAZY_FLAG_RACE_FREE (it reads
 * the hypervisor's ID itself), the ioctl wherever a hypervisor source is
 * bound (the kernel handles a pending change before it answers).  Never the
 * page, which lags until the kernel commits the change (tens of
 * milliseconds after a restore on ACPI, or until some task asks the kernel
 * for random bytes), and not when the flags are unknown.  A library that
 * cannot count on an overseer keeping work out of that window can require
 * it, or take the ioctl (SGLAZY_NO_PAGE) at a syscall per check.
 */
static inline bool sglazy_race_free(const struct sglazy *src)
{
	switch (src->backend) {
	case SGLAZY_BACKEND_VDSO:
		return (src->flags & SGLAZY_FLAG_RACE_FREE) != 0;
	case SGLAZY_BACKEND_IOCTL:
		return (src->flags & SGLAZY_FLAG_HW_SOURCE) != 0;
	default:
		return false;
	}
}

#endif /* SGLAZY_H */
