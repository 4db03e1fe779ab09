/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the sysgenid selftests. */
#ifndef SYSGENID_UTIL_H
#define SYSGENID_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/sysgenid.h>

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

/*
 * May this task start new generations?  The kernel asks for
 * CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial user namespace:
 * root of a container's own namespace holds them, and is refused.
 */
static inline bool may_trigger(void)
{
	unsigned long inside, outside, count;
	bool initial = false;
	FILE *f;

	if (!cap_effective(CAP_SYS_ADMIN) && !cap_effective(CAP_CHECKPOINT_RESTORE))
		return false;
	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return false;
	/* The initial namespace maps every uid onto itself, in one line. */
	initial = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
		  inside == 0 && outside == 0 && count == 4294967295UL;
	fclose(f);
	return initial;
}

/*
 * The page's 64-bit generation.  A 32-bit build (the *_32 tests, compat
 * processes) reads it as the uapi header tells 32-bit readers to: the low
 * word, the high and low halves, the low word again, until they agree.
 */
static inline __u64 page_gen(const struct sysgenid_page *page)
{
#if __SIZEOF_LONG__ >= 8
	return __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
#else
	const __u32 *half = (const __u32 *)&page->generation;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	enum { LO, HI };
#else
	enum { HI, LO };
#endif
	__u32 g32, hi, lo;

	do {
		g32 = __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&half[HI], __ATOMIC_ACQUIRE);
		lo = __atomic_load_n(&half[LO], __ATOMIC_ACQUIRE);
	} while (lo != g32 ||
		 __atomic_load_n(&page->generation32, __ATOMIC_ACQUIRE) != g32);
	return (__u64)hi << 32 | lo;
#endif
}

#endif /* SYSGENID_UTIL_H */
