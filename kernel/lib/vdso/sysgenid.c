// SPDX-License-Identifier: GPL-2.0
/*
 * Generic vDSO reader of the system generation (CONFIG_SYSGENID).
 *
 * Libraries on hot paths (a userspace PRNG, a TLS stack) check the
 * generation on every call and cannot afford a system call for it, nor
 * always own a file descriptor.  The architecture provides
 * __arch_get_vdso_sysgenid_data(), which also handles time namespaces.
 */
#include <vdso/datapage.h>
#include <vdso/sysgenid.h>
#include <asm/barrier.h>
#include <asm/vdso/sysgenid.h>

/**
 * __cvdso_sysgenid_get_data - read the generation from a vDSO data page
 * @data:	the sysgenid data in the real (not the time namespace) page
 *
 * The kernel publishes the generation before it wakes any /dev/sysgenid
 * waiter, and after the CRNG has been reseeded for a VM fork, so a caller
 * that sees a new generation and then asks for random bytes gets them from
 * the reseeded CRNG.
 *
 * Return: the full 64-bit system generation.
 */
static __always_inline u64
__cvdso_sysgenid_get_data(const struct vdso_sysgenid_data *data)
{
	/* Pairs with smp_store_release() in sysgenid_vdso_publish(). */
	return smp_load_acquire(&data->generation);
}

static __always_inline u64 __cvdso_sysgenid_get(void)
{
	return __cvdso_sysgenid_get_data(__arch_get_vdso_sysgenid_data());
}
