/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __ASM_VDSO_SYSGENID_H
#define __ASM_VDSO_SYSGENID_H

#ifndef __ASSEMBLY__

#include <asm/vdso/vsyscall.h>
#include <vdso/datapage.h>

/*
 * The sysgenid data is in the real vvar data page.  In a time namespace
 * VVAR_DATA_PAGE_OFFSET maps the namespace's page and the real one sits at
 * VVAR_TIMENS_PAGE_OFFSET: follow it there, as __arch_get_vdso_rng_data()
 * does.
 */
static __always_inline const struct vdso_sysgenid_data *__arch_get_vdso_sysgenid_data(void)
{
	if (IS_ENABLED(CONFIG_TIME_NS) && _vdso_data->clock_mode == VDSO_CLOCKMODE_TIMENS)
		return (void *)&_vdso_sysgenid_data +
		       VVAR_TIMENS_PAGE_OFFSET * (1UL << CONFIG_PAGE_SHIFT);
	return &_vdso_sysgenid_data;
}

/*
 * The page the hypervisor writes the VM Generation ID into, mapped at
 * VVAR_SYSGENID_GUID_PAGE_OFFSET by vvar_fault() only while the kernel
 * publishes SYSGENID_FLAG_RACE_FREE: read it only then.
 */
extern const u8 _sysgenid_guid_page[] __attribute__((visibility("hidden")));

static __always_inline const void *__arch_get_vdso_sysgenid_guid_page(void)
{
	return _sysgenid_guid_page;
}

/* The arm64 name of __vdso_sysgenid_get(): see include/vdso/sysgenid.h. */
__u64 __kernel_sysgenid_get(void);

#endif /* !__ASSEMBLY__ */

#endif /* __ASM_VDSO_SYSGENID_H */
