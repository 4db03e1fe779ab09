/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VDSO_SYSGENID_H
#define _VDSO_SYSGENID_H

#include <linux/types.h>

/**
 * __vdso_sysgenid_get - the current system generation, without a system call
 *
 * Architecture-specific vDSO entry of CONFIG_SYSGENID, this name on x86
 * (version LINUX_2.6, in the 64- and the 32-bit vDSO); arm64 exports the
 * same function as __kernel_sysgenid_get (LINUX_2.6.39).  Exported only
 * when the kernel can change the generation, so its presence means the
 * value is live.
 *
 * Returns:	the 64-bit system generation; its low 32 bits are what read()
 *		on /dev/sysgenid returns.
 */
__u64 __vdso_sysgenid_get(void);

#endif /* _VDSO_SYSGENID_H */
