/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System Generation ID: in-kernel interface for the backends that detect a
 * snapshot restore or a clone.  The userspace ABI is in
 * include/uapi/linux/sysgenid.h.
 */
#ifndef _LINUX_SYSGENID_H
#define _LINUX_SYSGENID_H

#include <linux/types.h>

/* The VM Generation ID: a 128-bit value the hypervisor writes on a fork. */
enum { SYSGENID_HW_ID_SIZE = 16 };

#ifdef CONFIG_SYSGENID
void sysgenid_bind_hw_id(const u8 *live, phys_addr_t phys);
void sysgenid_unbind_hw_id(void);
#else
static inline void sysgenid_bind_hw_id(const u8 *live, phys_addr_t phys) { }
static inline void sysgenid_unbind_hw_id(void) { }
#endif

#ifdef CONFIG_VDSO_SYSGENID
unsigned long sysgenid_vdso_guid_pfn(void);
#else
static inline unsigned long sysgenid_vdso_guid_pfn(void) { return 0; }
#endif

#endif /* _LINUX_SYSGENID_H */
