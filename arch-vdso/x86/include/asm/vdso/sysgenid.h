/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __ASM_VDSO_SYSGENID_H
#define __ASM_VDSO_SYSGENID_H

#ifndef __ASSEMBLY__

#include <asm/vvar.h>
#include <vdso/datapage.h>

/*
 * In a time namespace the task's vvar page is the namespace's page, and the
 * real one sits where the timens page would be: follow it there, as
 * __arch_get_vdso_rng_data() does.
 */
static __always_inline const struct vdso_sysgenid_data *__arch_get_vdso_sysgenid_data(void)
{
	const struct vdso_sysgenid_data *data = &VVAR(_vdso_sysgenid_data);

	if (IS_ENABLED(CONFIG_TIME_NS) && __vdso_data->clock_mode == VDSO_CLOCKMODE_TIMENS)
		return (void *)data + ((void *)&__timens_vdso_data - (void *)&__vdso_data);
	return data;
}

/*
 * The page the hypervisor writes the VM Generation ID into, mapped by
 * vvar_fault() only while the kernel publishes SYSGENID_FLAG_RACE_FREE:
 * read it only then.
 */
extern const u8 sysgenid_guid_page[PAGE_SIZE] __attribute__((visibility("hidden")));

static __always_inline const void *__arch_get_vdso_sysgenid_guid_page(void)
{
	return sysgenid_guid_page;
}

#endif /* !__ASSEMBLY__ */

#endif /* __ASM_VDSO_SYSGENID_H */
