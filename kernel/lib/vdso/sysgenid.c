// SPDX-License-Identifier: GPL-2.0
/*
 * Generic vDSO reader of the system generation (CONFIG_SYSGENID).
 *
 * Libraries on hot paths (a userspace PRNG, a TLS stack) check the
 * generation on every call and cannot afford a system call for it, nor
 * always own a file descriptor.  The architecture provides
 * __arch_get_vdso_sysgenid_data(), which also handles time namespaces, and
 * __arch_get_vdso_sysgenid_guid_page(), the read-only mapping of the page
 * the hypervisor writes the VM Generation ID into.
 */
#include <linux/compiler.h>
#include <uapi/linux/sysgenid.h>
#include <vdso/datapage.h>
#include <vdso/sysgenid.h>
#include <asm/barrier.h>
#include <asm/vdso/processor.h>
#include <asm/vdso/sysgenid.h>

/*
 * True when the hypervisor has written a VM Generation ID other than the
 * one of the committed generation: the guest was restored or cloned and the
 * kernel has not handled it yet.  The hypervisor writes the ID only while
 * no vCPU runs, so every thread of the guest sees the same answer.
 */
static __always_inline bool
__cvdso_sysgenid_id_moved(const u64 committed[2], u32 offset)
{
	const u64 *live = (const void *)__arch_get_vdso_sysgenid_guid_page() + offset;

	return READ_ONCE(live[0]) != committed[0] ||
	       READ_ONCE(live[1]) != committed[1];
}

/**
 * __cvdso_sysgenid_get_data - read the generation from a vDSO data page
 * @data:	the sysgenid data in the real (not the time namespace) page
 *
 * The kernel publishes the generation before it wakes any /dev/sysgenid
 * waiter, and after the CRNG has been reseeded for a VM fork.  While a VM
 * fork is pending (SYSGENID_FLAG_RACE_FREE and a live ID that differs from
 * the committed one), the result is the committed generation plus one:
 * exactly the value the kernel commits next, so nobody sees it twice.  A
 * caller that sees it and asks the kernel for random bytes makes the kernel
 * commit the fork first (random_vmfork_catch_up()).
 *
 * Return: the full 64-bit system generation.
 */
static __always_inline u64
__cvdso_sysgenid_get_data(const struct vdso_sysgenid_data *data)
{
	u64 gen, guid[2] = { 0, 0 };
	u32 seq, flags, offset = 0;

	for (;;) {
		seq = READ_ONCE(data->seq);
		if (unlikely(seq & 1)) {
			cpu_relax();
			continue;
		}
		/* Pairs with the first smp_wmb() in sysgenid_vdso_publish(). */
		smp_rmb();
		gen = READ_ONCE(data->generation);
		flags = READ_ONCE(data->flags);
		if (flags & SYSGENID_FLAG_RACE_FREE) {
			guid[0] = READ_ONCE(data->guid[0]);
			guid[1] = READ_ONCE(data->guid[1]);
			offset = READ_ONCE(data->guid_offset);
		}
		/* Pairs with the second smp_wmb() in sysgenid_vdso_publish(). */
		smp_rmb();
		if (likely(READ_ONCE(data->seq) == seq))
			break;
	}

	/*
	 * The live ID is read after the committed one: a committed ID this
	 * thread saw was written after the hypervisor wrote the live one.
	 */
	smp_rmb();
	if ((flags & SYSGENID_FLAG_RACE_FREE) &&
	    unlikely(__cvdso_sysgenid_id_moved(guid, offset)))
		gen++;
	return gen;
}

static __always_inline u64 __cvdso_sysgenid_get(void)
{
	return __cvdso_sysgenid_get_data(__arch_get_vdso_sysgenid_data());
}

/*
 * For vDSO getrandom(): a VM fork the kernel has not committed.  Its output
 * would come from the parent's state, and be the same in every clone, so it
 * falls back to the system call, which catches up first.  Unlike the getter
 * it needs no consistent snapshot: a committed ID torn by a concurrent
 * commit reads as pending, and only costs one system call.
 */
static __always_inline bool __cvdso_sysgenid_fork_pending(void)
{
	const struct vdso_sysgenid_data *data = __arch_get_vdso_sysgenid_data();
	u64 guid[2];

	if (!(READ_ONCE(data->flags) & SYSGENID_FLAG_RACE_FREE))
		return false;
	guid[0] = READ_ONCE(data->guid[0]);
	guid[1] = READ_ONCE(data->guid[1]);
	/* The live ID after the committed one, as in the getter. */
	smp_rmb();
	return __cvdso_sysgenid_id_moved(guid, READ_ONCE(data->guid_offset));
}
