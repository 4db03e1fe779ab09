// SPDX-License-Identifier: GPL-2.0
#include <linux/types.h>

#include "../../../../../lib/vdso/sysgenid.c"

__u64 __kernel_sysgenid_get(void)
{
	return __cvdso_sysgenid_get();
}
