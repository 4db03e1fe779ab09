// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Find a symbol in the vDSO without the dynamic loader's help: glibc offers
 * no lookup for vDSO symbols it does not know, and a static binary has no
 * loader at all.  The kernel maps the vDSO as an ELF shared object but never
 * relocates it, so every address in its dynamic section is a link-time
 * address that needs the load offset added.
 */
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "internal.h"
#include "vdso.h"

#if __SIZEOF_POINTER__ == 8
#define VDSO_ELFCLASS	ELFCLASS64
#else
#define VDSO_ELFCLASS	ELFCLASS32
#endif

enum {
	/* DT_VERSYM entries: the low 15 bits index the version definitions. */
	VERSYM_INDEX_MASK	= 0x7fff,
	GNU_HASH_HEADER_WORDS	= 4,
	BLOOM_WORD_BITS		= sizeof(ElfW(Addr)) * 8,
};

struct vdso_image {
	const ElfW(Ehdr) *ehdr;
	uintptr_t load_offset;
	const char *strtab;
	size_t strsz;
	const ElfW(Sym) *symtab;
	const Elf32_Word *sysv_hash;
	const Elf32_Word *gnu_hash;
	const ElfW(Versym) *versym;
	const ElfW(Verdef) *verdef;
	bool usable;
};

static struct vdso_image vdso;
static pthread_once_t vdso_once = PTHREAD_ONCE_INIT;

static const void *vdso_addr(uintptr_t link_addr)
{
	return (const void *)(link_addr + vdso.load_offset);
}

static void vdso_parse(void)
{
	const ElfW(Ehdr) *ehdr = (const ElfW(Ehdr) *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) *phdr;
	const ElfW(Dyn) *dyn = NULL;
	bool have_load = false;
	int i;

	if (!ehdr || memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 ||
	    ehdr->e_ident[EI_CLASS] != VDSO_ELFCLASS)
		return;
	vdso.ehdr = ehdr;

	phdr = (const ElfW(Phdr) *)((const char *)ehdr + ehdr->e_phoff);
	for (i = 0; i < ehdr->e_phnum; i++) {
		if (phdr[i].p_type == PT_LOAD && !have_load) {
			vdso.load_offset = (uintptr_t)ehdr + phdr[i].p_offset - phdr[i].p_vaddr;
			have_load = true;
		} else if (phdr[i].p_type == PT_DYNAMIC) {
			dyn = (const ElfW(Dyn) *)((const char *)ehdr + phdr[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return;

	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_STRTAB:
			vdso.strtab = vdso_addr(dyn->d_un.d_ptr);
			break;
		case DT_STRSZ:
			vdso.strsz = dyn->d_un.d_val;
			break;
		case DT_SYMTAB:
			vdso.symtab = vdso_addr(dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			vdso.sysv_hash = vdso_addr(dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			vdso.gnu_hash = vdso_addr(dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			vdso.versym = vdso_addr(dyn->d_un.d_ptr);
			break;
		case DT_VERDEF:
			vdso.verdef = vdso_addr(dyn->d_un.d_ptr);
			break;
		}
	}
	vdso.usable = vdso.strtab && vdso.strsz && vdso.symtab &&
		      (vdso.sysv_hash || vdso.gnu_hash);
}

static const struct vdso_image *vdso_get_image(void)
{
	pthread_once(&vdso_once, vdso_parse);
	return vdso.usable ? &vdso : NULL;
}

const void *sysgenid__vdso_image(void)
{
	pthread_once(&vdso_once, vdso_parse);
	return vdso.ehdr;
}

static const char *vdso_string(const struct vdso_image *img, size_t off)
{
	return off < img->strsz ? img->strtab + off : NULL;
}

/*
 * Without version tables (no Linux vDSO lacks them today) the name alone
 * decides, as in the dynamic loader.
 */
static bool vdso_version_matches(const struct vdso_image *img, uint32_t symidx,
				 const char *version)
{
	const ElfW(Verdef) *def = img->verdef;
	unsigned int ndx;

	if (!version || !img->versym || !def)
		return true;

	ndx = img->versym[symidx] & VERSYM_INDEX_MASK;
	for (;;) {
		if (!(def->vd_flags & VER_FLG_BASE) && def->vd_ndx == ndx) {
			const ElfW(Verdaux) *aux = (const ElfW(Verdaux) *)
						   ((const char *)def + def->vd_aux);
			const char *name = vdso_string(img, aux->vda_name);

			return name && strcmp(name, version) == 0;
		}
		if (!def->vd_next)
			return false;
		def = (const ElfW(Verdef) *)((const char *)def + def->vd_next);
	}
}

static void *vdso_match(const struct vdso_image *img, uint32_t symidx, const char *name,
			const char *version)
{
	const ElfW(Sym) *sym = &img->symtab[symidx];
	/* st_info packs type and binding the same way in both ELF classes. */
	unsigned int type = ELF64_ST_TYPE(sym->st_info);
	unsigned int bind = ELF64_ST_BIND(sym->st_info);
	const char *symname;

	if (sym->st_shndx == SHN_UNDEF)
		return NULL;
	if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
		return NULL;
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return NULL;
	symname = vdso_string(img, sym->st_name);
	if (!symname || strcmp(symname, name) != 0)
		return NULL;
	if (!vdso_version_matches(img, symidx, version))
		return NULL;
	return (void *)(sym->st_value + img->load_offset);
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, high;

	while (*s) {
		h = (h << 4) + (unsigned char)*s++;
		high = h & 0xf0000000;
		if (high)
			h ^= high >> 24;
		h &= ~high;
	}
	return h;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void *vdso_lookup_sysv(const struct vdso_image *img, const char *name, const char *version)
{
	const Elf32_Word *table = img->sysv_hash;
	uint32_t nbucket = table[0], nchain = table[1];
	const Elf32_Word *bucket = &table[2];
	const Elf32_Word *chain = &bucket[nbucket];
	uint32_t i;
	void *addr;

	if (!nbucket)
		return NULL;
	for (i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF && i < nchain; i = chain[i]) {
		addr = vdso_match(img, i, name, version);
		if (addr)
			return addr;
	}
	return NULL;
}

static void *vdso_lookup_gnu(const struct vdso_image *img, const char *name, const char *version)
{
	const Elf32_Word *table = img->gnu_hash;
	uint32_t nbuckets = table[0], symoffset = table[1];
	uint32_t bloom_size = table[2], bloom_shift = table[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)&table[GNU_HASH_HEADER_WORDS];
	const Elf32_Word *buckets = (const Elf32_Word *)&bloom[bloom_size];
	const Elf32_Word *chain = &buckets[nbuckets];
	uint32_t h = gnu_hash(name);
	ElfW(Addr) word, mask;
	uint32_t i, entry;
	void *addr;

	if (!nbuckets || !bloom_size)
		return NULL;

	/* Each name sets two bits of one Bloom word; a clear bit rules it out. */
	word = bloom[(h / BLOOM_WORD_BITS) % bloom_size];
	mask = ((ElfW(Addr))1 << (h % BLOOM_WORD_BITS)) |
	       ((ElfW(Addr))1 << ((h >> bloom_shift) % BLOOM_WORD_BITS));
	if ((word & mask) != mask)
		return NULL;

	i = buckets[h % nbuckets];
	if (i == STN_UNDEF || i < symoffset)
		return NULL;
	/* A chain entry is the name's hash with bit 0 marking the chain's end. */
	do {
		entry = chain[i - symoffset];
		if ((entry | 1) == (h | 1)) {
			addr = vdso_match(img, i, name, version);
			if (addr)
				return addr;
		}
		i++;
	} while (!(entry & 1));
	return NULL;
}

void *sysgenid__vdso_lookup(const char *name, const char *version, enum vdso_hash hash)
{
	const struct vdso_image *img = vdso_get_image();

	if (!img || !name)
		return NULL;

	switch (hash) {
	case VDSO_HASH_ANY:
		if (img->gnu_hash)
			return vdso_lookup_gnu(img, name, version);
		return vdso_lookup_sysv(img, name, version);
	case VDSO_HASH_GNU:
		return img->gnu_hash ? vdso_lookup_gnu(img, name, version) : NULL;
	case VDSO_HASH_SYSV:
		return img->sysv_hash ? vdso_lookup_sysv(img, name, version) : NULL;
	}
	return NULL;
}

SYSGENID_EXPORT void *sysgenid_vdso_sym(const char *name, const char *version)
{
	return sysgenid__vdso_lookup(name, version, VDSO_HASH_ANY);
}
