/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Symbol lookup in the vDSO the kernel mapped into this process.  Not
 * installed; sysgenid_vdso_sym() is the public face.
 */
#ifndef SYSGENID_VDSO_H
#define SYSGENID_VDSO_H

enum vdso_hash {
	VDSO_HASH_ANY,		/* DT_GNU_HASH when present, else DT_HASH */
	VDSO_HASH_GNU,		/* DT_GNU_HASH only */
	VDSO_HASH_SYSV,		/* DT_HASH only */
};

/*
 * sysgenid__vdso_image() - the vDSO's ELF header, from getauxval(AT_SYSINFO_EHDR)
 *
 * Return: its address, or NULL when the kernel mapped no vDSO.
 */
const void *sysgenid__vdso_image(void);

/*
 * sysgenid__vdso_lookup() - find @name with version @version in the vDSO
 * @name:    symbol name
 * @version: version name, or NULL for any
 * @hash:    which hash table to search with (tests check both)
 *
 * The vDSO is parsed once per process and the result cached.
 *
 * Return: the symbol's run-time address, or NULL when there is no vDSO, no
 * such table, or no defined function or object of that name and version.
 */
void *sysgenid__vdso_lookup(const char *name, const char *version, enum vdso_hash hash);

#endif /* SYSGENID_VDSO_H */
