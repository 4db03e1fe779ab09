/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System Generation ID: in-kernel interface for the backends that detect a
 * snapshot restore or a clone.  The userspace ABI is in
 * include/uapi/linux/sysgenid.h.
 */
#ifndef _LINUX_SYSGENID_H
#define _LINUX_SYSGENID_H

#include <linux/types.h>

#ifdef CONFIG_SYSGENID
void sysgenid_bump_generation(void);
u64 sysgenid_get_generation(void);
#else
static inline void sysgenid_bump_generation(void) { }
static inline u64 sysgenid_get_generation(void) { return 0; }
#endif

#endif /* _LINUX_SYSGENID_H */
