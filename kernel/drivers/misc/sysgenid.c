// SPDX-License-Identifier: GPL-2.0
/*
 * System Generation ID: a system-wide counter that increases whenever the
 * machine may have been duplicated (VM snapshot restore or clone, container
 * restore), so that userspace can regenerate random state and unique IDs
 * before reusing them.
 *
 * The counter is published to three views, always by sysgenid_publish():
 * the per-file state behind /dev/sysgenid (read/poll/write), the read-only
 * page userspace can mmap, and the vDSO data page.  The VM Generation ID
 * backend is the vmfork notifier of drivers/virt/vmgenid.c, which already
 * reseeds the CRNG; privileged software uses SYSGENID_TRIGGER_GEN_UPDATE.
 *
 * The hypervisor writes a new VM Generation ID into guest memory before the
 * guest runs again, but the kernel learns of it only when it handles the
 * ACPI notification, tens of milliseconds later.  To close that window,
 * vmgenid.c binds the ID to this driver, which publishes the ID of the
 * committed generation next to it.  When the ID sits alone in a page of
 * firmware memory, that page is also mapped read-only into every process's
 * vDSO data area, and the vDSO getter returns the committed generation plus
 * one while the live ID differs from the committed one (race-free).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cc_platform.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/platform_device.h>
#include <linux/pm.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/restart_block.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/thread_info.h>
#include <linux/timex.h>
#include <linux/sysgenid.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <uapi/linux/sysgenid.h>
#ifdef CONFIG_VDSO_SYSGENID
#include <vdso/datapage.h>
#include <vdso/vsyscall.h>
#endif

/* Per open file of /dev/sysgenid: one watcher. */
struct sysgenid_file {
	u64 acked;		/* generation this file last acknowledged */
	bool tracked;		/* counted by SYSGENID_WAIT_WATCHERS */
};

static struct {
	atomic64_t generation;
	/* Serializes bumps with acks and tracking changes. */
	spinlock_t lock;
	unsigned int tracked;	/* files with tracking on */
	unsigned int outdated;	/* tracked files that have not acked */
	wait_queue_head_t read_wq;	/* read() and poll() */
	wait_queue_head_t outdated_wq;	/* SYSGENID_WAIT_WATCHERS */
	struct sysgenid_page *page;
	u32 flags;			/* SYSGENID_FLAG_* */
	/* The bound VM Generation ID: live, and as of the last commit. */
	const u8 *hw_id;
	u8 hw_committed[SYSGENID_HW_ID_SIZE];
	unsigned long guid_pfn;		/* mapped into the vDSO when not 0 */
	unsigned int guid_offset;
} sysgenid = {
	.generation	= ATOMIC64_INIT(0),
	.lock		= __SPIN_LOCK_UNLOCKED(sysgenid.lock),
	.read_wq	= __WAIT_QUEUE_HEAD_INITIALIZER(sysgenid.read_wq),
	.outdated_wq	= __WAIT_QUEUE_HEAD_INITIALIZER(sysgenid.outdated_wq),
};

/* The minimum of the trigger in flight, for the vmfork notifier. */
static atomic64_t sysgenid_trigger_min = ATOMIC64_INIT(0);

static bool map_guid = true;
module_param(map_guid, bool, 0444);
MODULE_PARM_DESC(map_guid,
		 "Map the VM Generation ID's page into the vDSO when it holds nothing else, for a race-free vDSO getter (default: on)");

/* The 64-bit generation: 0 at boot, never decreasing. */
static u64 sysgenid_get_generation(void)
{
	/* Pairs with atomic64_set_release() in sysgenid_publish(). */
	return atomic64_read_acquire(&sysgenid.generation);
}

static void sysgenid_page_publish(struct sysgenid_page *page, u64 gen)
{
#if BITS_PER_LONG == 64
	/*
	 * Ordered after whatever preceded the bump (the CRNG reseed of a VM
	 * fork).  Pairs with the acquire load userspace does on the page.
	 */
	smp_store_release(&page->generation, gen);
#else
	u32 *lo = (u32 *)&page->generation + IS_ENABLED(CONFIG_CPU_BIG_ENDIAN);
	u32 *hi = (u32 *)&page->generation + !IS_ENABLED(CONFIG_CPU_BIG_ENDIAN);

	WRITE_ONCE(*lo, lower_32_bits(gen));
	/*
	 * Low half first: a 32-bit reader that sees the new high half also
	 * sees the new low half.  Pairs with the reader's read barrier between
	 * its high and low loads (see struct sysgenid_page).
	 */
	smp_wmb();
	WRITE_ONCE(*hi, upper_32_bits(gen));
#endif
	/*
	 * The full value is visible before the v7 u32 field changes.  Pairs
	 * with a 32-bit reader's read barrier after its first generation32 load.
	 */
	smp_wmb();
	WRITE_ONCE(page->generation32, lower_32_bits(gen));
	WRITE_ONCE(page->flags, sysgenid.flags);
}

#ifdef CONFIG_VDSO_SYSGENID
/*
 * The generation, the flags and the committed VM Generation ID change
 * together, under a sequence count the vDSO reader retries on: it must
 * never pair a new generation with the ID of the old one (it would count
 * the change twice) or the reverse.
 */
static void sysgenid_vdso_publish(u64 gen)
{
	struct vdso_sysgenid_data *data = __arch_get_k_vdso_sysgenid_data();

	WRITE_ONCE(data->seq, data->seq + 1);
	/*
	 * Pairs with the first smp_rmb() in __cvdso_sysgenid_get_data().  It
	 * also orders whatever preceded the bump (the CRNG reseed of a VM
	 * fork) before the new generation.
	 */
	smp_wmb();
	WRITE_ONCE(data->generation, gen);
	WRITE_ONCE(data->flags, sysgenid.flags);
	WRITE_ONCE(data->guid_offset, sysgenid.guid_offset);
	memcpy(data->guid, sysgenid.hw_committed, sizeof(data->guid));
	/* Pairs with the second smp_rmb() in __cvdso_sysgenid_get_data(). */
	smp_wmb();
	WRITE_ONCE(data->seq, data->seq + 1);
}

/**
 * sysgenid_vdso_guid_pfn() - the page the vDSO reads the live VM Generation ID from
 *
 * For the architecture's vDSO data fault handler.  Once set, the frame stays
 * valid (it is firmware memory), so that a task that saw
 * SYSGENID_FLAG_RACE_FREE never faults on it.
 *
 * Return: the page frame to map read-only, or 0 when there is none.
 */
unsigned long sysgenid_vdso_guid_pfn(void)
{
	return READ_ONCE(sysgenid.guid_pfn);
}
#else
static void sysgenid_vdso_publish(u64 gen)
{
}
#endif

/*
 * Make @gen the current generation in every view.  Every view is written
 * before the value read() and poll() compare against, so a task woken by
 * the change finds the new value wherever it looks; and the vDSO first, so
 * that it is never behind the page or the ioctl for a task that reads them
 * one after the other.
 */
static void sysgenid_publish(u64 gen)
{
	lockdep_assert_held(&sysgenid.lock);

	sysgenid_vdso_publish(gen);
	sysgenid_page_publish(sysgenid.page, gen);
	/* Pairs with atomic64_read_acquire() in sysgenid_get_generation(). */
	atomic64_set_release(&sysgenid.generation, gen);

	/* Every tracked file is outdated now, whatever it was before. */
	WRITE_ONCE(sysgenid.outdated, sysgenid.tracked);
}

/*
 * A minimum above cur + 1 must not end counting (U64_MAX), nor leave the
 * low 32 bits that read(), write() and the page's v7 field carry where they
 * are: an ack of the old value would then acknowledge a generation its
 * sender never saw.
 */
static int sysgenid_check_min(u64 min_gen, u64 cur)
{
	if (cur == U64_MAX)
		return -EOVERFLOW;
	if (min_gen > cur + 1 &&
	    (min_gen == U64_MAX || lower_32_bits(min_gen) == lower_32_bits(cur)))
		return -EINVAL;
	return 0;
}

/*
 * Every caller runs in process context: the vmfork chain is a blocking
 * notifier (vmgenid calls it from a workqueue or a threaded interrupt) and
 * the trigger is an ioctl.
 */
static int sysgenid_bump(u64 min_gen, bool hw)
{
	u64 cur;
	int ret;

	spin_lock(&sysgenid.lock);
	cur = atomic64_read(&sysgenid.generation);
	ret = sysgenid_check_min(min_gen, cur);
	if (ret) {
		spin_unlock(&sysgenid.lock);
		return ret;
	}
	/*
	 * The generation a VM fork starts belongs to the ID the guest runs
	 * with now; from here on the vDSO counts only a later change.
	 */
	if (hw && sysgenid.hw_id)
		memcpy(sysgenid.hw_committed, sysgenid.hw_id,
		       sizeof(sysgenid.hw_committed));
	sysgenid_publish(max(min_gen, cur + 1));
	spin_unlock(&sysgenid.lock);

	/*
	 * Wake every waiter: epoll entries added with EPOLLEXCLUSIVE are
	 * exclusive waiters, and each may stand for a different file.
	 */
	wake_up_interruptible_all(&sysgenid.read_wq);
	wake_up_interruptible_all(&sysgenid.outdated_wq);
	return 0;
}

static bool sysgenid_file_outdated(const struct sysgenid_file *sf)
{
	return READ_ONCE(sf->acked) != sysgenid_get_generation();
}

/* Returns true when the last outdated tracked file went: wake the waiters. */
static bool sysgenid_put_outdated(void)
{
	lockdep_assert_held(&sysgenid.lock);

	WRITE_ONCE(sysgenid.outdated, sysgenid.outdated - 1);
	return !sysgenid.outdated;
}

static void sysgenid_set_tracking(struct sysgenid_file *sf, bool track)
{
	bool wake = false;

	/* Only this file's own calls change sf->tracked: a no-op needs no lock. */
	if (READ_ONCE(sf->tracked) == track)
		return;

	spin_lock(&sysgenid.lock);
	if (sf->tracked != track) {
		WRITE_ONCE(sf->tracked, track);
		if (track) {
			sysgenid.tracked++;
			if (sysgenid_file_outdated(sf))
				WRITE_ONCE(sysgenid.outdated, sysgenid.outdated + 1);
		} else {
			sysgenid.tracked--;
			if (sysgenid_file_outdated(sf))
				wake = sysgenid_put_outdated();
		}
	}
	spin_unlock(&sysgenid.lock);
	/* Woken after unlocking: the waiters take the lock's cache line next. */
	if (wake)
		wake_up_interruptible_all(&sysgenid.outdated_wq);
}

static int sysgenid_open(struct inode *inode, struct file *file)
{
	struct sysgenid_file *sf;

	/* Any user may open the device: charge them for it. */
	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->acked = sysgenid_get_generation();
	file->private_data = sf;

	return nonseekable_open(inode, file);
}

static int sysgenid_release(struct inode *inode, struct file *file)
{
	struct sysgenid_file *sf = file->private_data;

	sysgenid_set_tracking(sf, false);
	kfree(sf);
	return 0;
}

static ssize_t sysgenid_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct sysgenid_file *sf = file->private_data;
	u32 gen;
	int ret;

	if (!count)
		return 0;
	if (count < sizeof(gen))
		return -EINVAL;

	if (!sysgenid_file_outdated(sf)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(sysgenid.read_wq,
					       sysgenid_file_outdated(sf));
		if (ret)
			return ret;
	}

	gen = lower_32_bits(sysgenid_get_generation());
	if (copy_to_user(buf, &gen, sizeof(gen)))
		return -EFAULT;
	return sizeof(gen);
}

static ssize_t sysgenid_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct sysgenid_file *sf = file->private_data;
	ssize_t ret = count;
	bool wake = false;
	u64 cur;
	u32 val;

	if (count != sizeof(val))
		return -EINVAL;
	if (copy_from_user(&val, buf, sizeof(val)))
		return -EFAULT;

	/* Acking what this file already acked changes nothing: no lock. */
	cur = sysgenid_get_generation();
	if (val == lower_32_bits(cur) && READ_ONCE(sf->acked) == cur)
		return ret;

	spin_lock(&sysgenid.lock);
	cur = atomic64_read(&sysgenid.generation);
	if (val != lower_32_bits(cur)) {
		ret = -EINVAL;
	} else if (sf->acked != cur) {
		WRITE_ONCE(sf->acked, cur);
		if (sf->tracked)
			wake = sysgenid_put_outdated();
	}
	spin_unlock(&sysgenid.lock);
	if (wake)
		wake_up_interruptible_all(&sysgenid.outdated_wq);

	return ret;
}

static __poll_t sysgenid_poll(struct file *file, poll_table *wait)
{
	struct sysgenid_file *sf = file->private_data;

	poll_wait(file, &sysgenid.read_wq, wait);
	return sysgenid_file_outdated(sf) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long sysgenid_wait_restart(struct restart_block *restart);

static int sysgenid_fd_of(const void *file, struct file *f, unsigned int fd)
{
	return f == file ? fd + 1 : 0;
}

/*
 * SYSGENID_WAIT_WATCHERS until @deadline (CLOCK_MONOTONIC, KTIME_MAX for
 * none), on @file, which the caller holds as @fd (-1: look it up).
 *
 * -EINTR keeps the meaning the v7 ABI gave it, "the caller is outdated",
 * and a signal whose handler runs ends the wait with it too, SA_RESTART or
 * not, as it ends nanosleep() and poll(): a restart from scratch would give
 * a periodic signal the power to stretch the timeout forever.  Whatever
 * else interrupts the wait without running a handler (a stop and SIGCONT,
 * a ptrace attach, the freezer) restarts it through the restart block with
 * the same deadline, so the caller never sees it.
 */
static long sysgenid_wait_until(struct file *file, int fd, ktime_t deadline)
{
	struct sysgenid_file *sf = file->private_data;
	struct restart_block *restart;
	ktime_t timeout = KTIME_MAX;
	long ret;

	if (deadline != KTIME_MAX)
		timeout = ktime_sub(deadline, ktime_get());
	ret = wait_event_interruptible_hrtimeout(sysgenid.outdated_wq,
						 !READ_ONCE(sysgenid.outdated) ||
						 sysgenid_file_outdated(sf),
						 timeout);
	if (sysgenid_file_outdated(sf))
		return -EINTR;
	if (ret != -ERESTARTSYS)
		return ret;

	/* The ioctl path knows the file, not the descriptor it came through. */
	if (fd < 0)
		fd = iterate_fd(current->files, 0, sysgenid_fd_of, file) - 1;
	if (fd < 0)
		return -EINTR;
	restart = &current->restart_block;
	restart->sysgenid.file = file;
	restart->sysgenid.fd = fd;
	restart->sysgenid.deadline = deadline;
	return set_restart_fn(restart, sysgenid_wait_restart);
}

static long sysgenid_wait_restart(struct restart_block *restart)
{
	CLASS(fd, f)(restart->sysgenid.fd);

	/*
	 * Another thread closed the descriptor while this one was stopped.
	 * The pointer is compared, never followed: a new file at the same
	 * address behind the same descriptor is one to wait on as well.
	 */
	if (fd_empty(f) || fd_file(f) != restart->sysgenid.file)
		return -EBADF;
	return sysgenid_wait_until(fd_file(f), restart->sysgenid.fd,
				   restart->sysgenid.deadline);
}

static long sysgenid_wait_watchers(struct file *file, unsigned long timeout_ms)
{
	ktime_t deadline = KTIME_MAX;

	/* 0 means no timeout; one too large to express in ns is as good. */
	if (timeout_ms && timeout_ms < KTIME_MAX / NSEC_PER_MSEC)
		deadline = ktime_add_safe(ktime_get(), ms_to_ktime(timeout_ms));
	return sysgenid_wait_until(file, -1, deadline);
}

/*
 * A tracked file makes every SYSGENID_WAIT_WATCHERS wait for it until it
 * acks, so it must be able to ack (opened for writing), and its owner must
 * be someone the administrator trusts with holding up the overseer: a
 * holder of CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial user
 * namespace, or a member of the device node's group (a udev rule sets it).
 * Watching without tracking stays open to everyone.
 */
static int sysgenid_may_track(struct file *file)
{
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!checkpoint_restore_ns_capable(&init_user_ns) &&
	    !in_group_p(file_inode(file)->i_gid))
		return -EPERM;
	return 0;
}

/*
 * A software trigger announces a restore the hypervisor did not report
 * (a container restore, a hypervisor without VM Generation ID), so it is
 * handled as a VM fork: the CRNG is reseeded, the kernel's own consumers
 * on the vmfork chain react (WireGuard drops its session keys), and the
 * generation moves last, from this driver's notifier at the chain's end.
 * Otherwise every clone restored this way would keep a byte-identical CRNG.
 */
static DEFINE_MUTEX(sysgenid_trigger_lock);

static int sysgenid_trigger(u64 min_gen)
{
	int ret;

	/* A VM fork already pending is an event of its own: handle it first. */
	random_vmfork_catch_up();

	mutex_lock(&sysgenid_trigger_lock);
	ret = sysgenid_check_min(min_gen, atomic64_read(&sysgenid.generation));
	if (!ret) {
#if IS_ENABLED(CONFIG_VMGENID)
		/* Unique per call, not secret, as a VM Generation ID would be. */
		u64 id[2] = { random_get_entropy(), ktime_get_real_ns() };

		atomic64_set(&sysgenid_trigger_min, min_gen);
		add_vmfork_randomness(id, sizeof(id));
#else
		/* No vmfork path to share: the generation alone moves. */
		ret = sysgenid_bump(min_gen, false);
#endif
	}
	mutex_unlock(&sysgenid_trigger_lock);
	return ret;
}

static long sysgenid_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct sysgenid_file *sf = file->private_data;

	switch (cmd) {
	case SYSGENID_SET_WATCHER_TRACKING:
		/* 0 and 1 only: other values are kept for flags. */
		if (arg > 1)
			return -EINVAL;
		if (arg) {
			int ret = sysgenid_may_track(file);

			if (ret)
				return ret;
		}
		sysgenid_set_tracking(sf, arg);
		return 0;
	case SYSGENID_WAIT_WATCHERS:
		return sysgenid_wait_watchers(file, arg);
	case SYSGENID_TRIGGER_GEN_UPDATE:
		/*
		 * The generation is system-wide: capabilities held in a user
		 * namespace an unprivileged user created do not count.
		 */
		if (!checkpoint_restore_ns_capable(&init_user_ns))
			return -EACCES;
		return sysgenid_trigger(arg);
	case SYSGENID_GET_GENERATION:
		/* Never older than what the vDSO getter already returns. */
		random_vmfork_catch_up();
		return put_user(sysgenid_get_generation(), (u64 __user *)arg);
	default:
		return -ENOTTY;
	}
}

/*
 * Faulted in rather than inserted at mmap() time, so that the page comes
 * back after madvise(MADV_DONTNEED) or any other zap of the range.
 */
static vm_fault_t sysgenid_vm_fault(struct vm_fault *vmf)
{
	struct page *page = virt_to_page(sysgenid.page);

	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct sysgenid_vm_ops = {
	.fault = sysgenid_vm_fault,
};

#ifdef CONFIG_COMPAT
/*
 * compat_ptr_ioctl() would mangle the integer arguments of commands 1-3
 * (s390 clears bit 31); only SYSGENID_GET_GENERATION takes a pointer.
 */
static long sysgenid_compat_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	if (cmd == SYSGENID_GET_GENERATION)
		arg = (unsigned long)compat_ptr(arg);
	return sysgenid_ioctl(file, cmd, arg);
}
#endif

static int sysgenid_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;

	/* No mprotect() can make the page writable or executable later. */
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &sysgenid_vm_ops;
	return 0;
}

static const struct file_operations sysgenid_fops = {
	.owner		= THIS_MODULE,
	.open		= sysgenid_open,
	.release	= sysgenid_release,
	.read		= sysgenid_read,
	.write		= sysgenid_write,
	.poll		= sysgenid_poll,
	.unlocked_ioctl	= sysgenid_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= sysgenid_compat_ioctl,
#endif
	.mmap		= sysgenid_mmap,
};

static struct miscdevice sysgenid_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "sysgenid",
	.fops	= &sysgenid_fops,
	/*
	 * Reading and acking only touch the caller's own file; tracking and
	 * triggering check who asks (sysgenid_may_track(), the trigger).
	 */
	.mode	= 0666,
};

/*
 * Only a page that holds nothing but the ID may be shown to every process:
 * firmware memory the kernel never allocates (QEMU's fw_cfg blob is a page
 * of its own, the ID at offset 40 and zeros around it), not one shared with
 * ACPI tables or other firmware data (Firecracker's ID is 16 bytes inside
 * such a page), and not in an encrypted guest, whose private memory the
 * hypervisor could not have written.
 */
static bool sysgenid_guid_page_mappable(phys_addr_t phys)
{
	phys_addr_t start = phys & PAGE_MASK;
	unsigned int off = offset_in_page(phys);
	const char *why = NULL;
	void *page;

	if (!IS_ENABLED(CONFIG_VDSO_SYSGENID))
		return false;
	if (!map_guid)
		why = "sysgenid.map_guid=0";
	else if (off + SYSGENID_HW_ID_SIZE > PAGE_SIZE)
		why = "it crosses a page boundary";
	else if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		why = "memory is encrypted";
	else if (region_intersects(start, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				   IORES_DESC_NONE) != REGION_DISJOINT)
		why = "its page is system RAM";
	if (!why) {
		page = memremap(start, PAGE_SIZE, MEMREMAP_WB);
		if (!page)
			why = "its page cannot be mapped";
		else if (memchr_inv(page, 0, off) ||
			 memchr_inv(page + off + SYSGENID_HW_ID_SIZE, 0,
				    PAGE_SIZE - off - SYSGENID_HW_ID_SIZE))
			why = "its page holds other data";
		if (page)
			memunmap(page);
	}
	if (why) {
		pr_info("VM Generation ID at %pa not mapped into the vDSO (%s): the vDSO lags a restore until the kernel handles it\n",
			&phys, why);
		return false;
	}
	pr_info("VM Generation ID at %pa mapped into the vDSO: race-free restores\n",
		&phys);
	return true;
}

/**
 * sysgenid_bind_hw_id() - bind the hypervisor-written VM Generation ID
 * @live:	kernel mapping of the ID, SYSGENID_HW_ID_SIZE bytes
 * @phys:	its physical address
 *
 * For drivers/virt/vmgenid.c, once it has found the device.  The generation
 * now follows a hypervisor source (SYSGENID_FLAG_HW_SOURCE), and when the
 * ID's page may be shown to userspace, the vDSO getter compares it itself
 * (SYSGENID_FLAG_RACE_FREE).  The caller keeps @live mapped until
 * sysgenid_unbind_hw_id().  May sleep.
 */
void sysgenid_bind_hw_id(const u8 *live, phys_addr_t phys)
{
	bool mappable;

	if (!sysgenid.page)	/* initialization failed */
		return;
	mappable = sysgenid_guid_page_mappable(phys);
	spin_lock(&sysgenid.lock);
	sysgenid.hw_id = live;
	memcpy(sysgenid.hw_committed, live, sizeof(sysgenid.hw_committed));
	sysgenid.flags |= SYSGENID_FLAG_HW_SOURCE;
	if (mappable) {
		WRITE_ONCE(sysgenid.guid_pfn, PHYS_PFN(phys));
		sysgenid.guid_offset = offset_in_page(phys);
		sysgenid.flags |= SYSGENID_FLAG_RACE_FREE;
	}
	/* The flags and the ID change; the generation does not. */
	sysgenid_page_publish(sysgenid.page, atomic64_read(&sysgenid.generation));
	sysgenid_vdso_publish(atomic64_read(&sysgenid.generation));
	spin_unlock(&sysgenid.lock);
}
EXPORT_SYMBOL_GPL(sysgenid_bind_hw_id);

/**
 * sysgenid_unbind_hw_id() - the VM Generation ID is going away
 *
 * The vDSO stops reading it; the page frame stays mapped where it is.
 */
void sysgenid_unbind_hw_id(void)
{
	if (!sysgenid.page)
		return;
	spin_lock(&sysgenid.lock);
	sysgenid.hw_id = NULL;
	sysgenid.flags &= ~(SYSGENID_FLAG_HW_SOURCE | SYSGENID_FLAG_RACE_FREE);
	sysgenid_page_publish(sysgenid.page, atomic64_read(&sysgenid.generation));
	sysgenid_vdso_publish(atomic64_read(&sysgenid.generation));
	spin_unlock(&sysgenid.lock);
}
EXPORT_SYMBOL_GPL(sysgenid_unbind_hw_id);

/*
 * vmgenid.c calls the chain once per change of the VM Generation ID.
 * Without CONFIG_VMGENID there is no chain, and registering is a no-op.
 */
static int sysgenid_vmfork(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	/* A software trigger's minimum, when this call is one. */
	u64 min_gen = atomic64_xchg(&sysgenid_trigger_min, 0);
	int ret = sysgenid_bump(min_gen, true);

	/* A VM fork raced in and moved the count: count this one anyway. */
	if (ret == -EINVAL)
		ret = sysgenid_bump(0, true);
	if (ret)
		pr_warn_once("generation counter exhausted\n");
	return NOTIFY_DONE;
}

/*
 * Userspace hears of the fork last: the kernel's own consumers of the
 * chain (WireGuard drops its session keys) have reacted by then.
 */
static struct notifier_block sysgenid_vmfork_nb = {
	.notifier_call = sysgenid_vmfork,
	.priority = INT_MIN,
};

#ifdef CONFIG_HIBERNATION
/*
 * Resuming a hibernation image is a restore like any other: the image can
 * be resumed more than once (a copied swap device, a crash after resume),
 * and each resume continues with the same CRNG state and the same
 * userspace.  random.c reseeds on PM_RESTORE_PREPARE, but in the boot
 * kernel that the image then replaces.
 *
 * Both the kernel that writes an image and the one that restores it freeze
 * the devices first.  A mark chosen then is saved in the image, and a copy
 * is kept out of it: after a resume the two differ, because the copy holds
 * the restoring kernel's choice.  (A failed power-down also ends with the
 * restore callback, the marks equal.)
 */
static u64 sysgenid_image_mark;
static u64 sysgenid_boot_mark __nosavedata;

static int sysgenid_pm_freeze(struct device *dev)
{
	sysgenid_image_mark = get_random_u64();
	sysgenid_boot_mark = sysgenid_image_mark;
	return 0;
}

/*
 * The PM core calls this in the resumed kernel, in process context, before
 * it thaws userspace: as for a software trigger, the CRNG is reseeded, the
 * vmfork chain runs and the generation moves, before any task runs again.
 */
static int sysgenid_pm_restore(struct device *dev)
{
	int ret;

	if (sysgenid_image_mark == sysgenid_boot_mark)
		return 0;
	sysgenid_boot_mark = sysgenid_image_mark;
	ret = sysgenid_trigger(0);
	if (ret)
		dev_err(dev, "no new generation after resume: %d\n", ret);
	return 0;
}

static const struct dev_pm_ops sysgenid_pm_ops = {
	.freeze		= sysgenid_pm_freeze,
	.restore	= sysgenid_pm_restore,
};

/* The misc class has no PM callbacks: a device of our own gets them. */
static struct platform_driver sysgenid_pm_driver = {
	.driver = {
		.name	= "sysgenid",
		.pm	= &sysgenid_pm_ops,
	},
};

static int __init sysgenid_pm_init(void)
{
	struct platform_device *pdev;
	int ret;

	ret = platform_driver_register(&sysgenid_pm_driver);
	if (ret)
		return ret;
	pdev = platform_device_register_simple("sysgenid", PLATFORM_DEVID_NONE,
					       NULL, 0);
	if (IS_ERR(pdev)) {
		platform_driver_unregister(&sysgenid_pm_driver);
		return PTR_ERR(pdev);
	}
	return 0;
}
#else
static inline int sysgenid_pm_init(void) { return 0; }
#endif

/*
 * drivers/misc/ links before drivers/virt/, so when both are built in the
 * notifier is registered before vmgenid can report a change.
 */
static int __init sysgenid_init(void)
{
	int ret;

	sysgenid.page = (struct sysgenid_page *)get_zeroed_page(GFP_KERNEL);
	if (!sysgenid.page)
		return -ENOMEM;

	ret = misc_register(&sysgenid_misc);
	if (ret)
		goto err_page;

	ret = register_random_vmfork_notifier(&sysgenid_vmfork_nb);
	if (ret)
		goto err_misc;

	/* Without it, a resumed hibernation image would keep its generation. */
	ret = sysgenid_pm_init();
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	unregister_random_vmfork_notifier(&sysgenid_vmfork_nb);
err_misc:
	misc_deregister(&sysgenid_misc);
err_page:
	free_page((unsigned long)sysgenid.page);
	/* sysgenid_bind_hw_id() checks it: nothing may use a freed page. */
	sysgenid.page = NULL;
	pr_err("initialization failed: %d\n", ret);
	return ret;
}
device_initcall(sysgenid_init);
