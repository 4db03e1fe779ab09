/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the sysgenid selftests. */
#ifndef SYSGENID_UTIL_H
#define SYSGENID_UTIL_H

#include <stdbool.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/* Does this task hold @cap in its effective set?  (No libcap here.) */
static inline bool cap_effective(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

#endif /* SYSGENID_UTIL_H */
