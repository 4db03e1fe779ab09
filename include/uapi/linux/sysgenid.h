/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * System Generation ID: tell userspace that the system was snapshotted,
 * restored or cloned.
 *
 * Software that keeps world-unique state in memory (the key of a userspace
 * PRNG, UUIDs, nonces, session keys) breaks when the machine it runs on is
 * restored twice from one snapshot: both copies continue from the same state
 * and repeat each other's "unique" values.  The kernel keeps a system
 * generation counter that increases whenever such an event is detected (the
 * ACPI VM Generation ID changed) or announced by privileged software (a
 * container restore tool).  Userspace compares the counter against the value
 * it saw when it built its state and regenerates that state on a change.
 *
 * The counter is 64 bits wide, starts at 0 at boot and never decreases.  The
 * char device's read() and write() carry its low 32 bits (the 2021 v7 ABI);
 * SYSGENID_GET_GENERATION and the mmap page give the full value.  Compare
 * generations for equality: a changed value is what matters, not by how much.
 *
 * /dev/sysgenid, per open file (a "watcher"):
 *
 * open()   the file starts up to date: it has acknowledged the current
 *          generation.
 * read()   blocks until the generation differs from the one this file
 *          acknowledged, then returns the low 32 bits of the current
 *          generation as a native-endian __u32 (4 bytes).  It keeps returning
 *          at once until the new value is acknowledged.
 *          EAGAIN:  O_NONBLOCK and the file is up to date.
 *          EINVAL:  buffer shorter than 4 bytes (a 0-byte read returns 0).
 *          EINTR:   a signal arrived while blocked (the read is restarted
 *                   instead when the handler has SA_RESTART).
 * write()  acknowledges the current generation: exactly 4 bytes holding its
 *          low 32 bits.  Returns 4.
 *          EINVAL:  size other than 4, or a value that is not the current
 *                   generation (it changed again: read it and retry).
 * poll()   EPOLLIN | EPOLLRDNORM while the file has not acknowledged the
 *          current generation.
 * mmap()   one page at offset 0 (any length up to a page, which mmap() rounds
 *          up), readable only (PROT_READ; MAP_SHARED or MAP_PRIVATE), laid
 *          out as struct sysgenid_page.  The mapping can never become
 *          writable or executable: mprotect() adding PROT_WRITE or PROT_EXEC
 *          fails with EACCES.
 *          EINVAL:  length over one page, or the offset is not 0.
 *          EPERM:   PROT_WRITE or PROT_EXEC requested (also implied
 *                   PROT_EXEC, under the READ_IMPLIES_EXEC personality).
 *
 * Reading never needs privileges; only SYSGENID_TRIGGER_GEN_UPDATE does.
 */
#ifndef _UAPI_LINUX_SYSGENID_H
#define _UAPI_LINUX_SYSGENID_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SYSGENID_IOCTL			0xE4

/*
 * SYSGENID_SET_WATCHER_TRACKING - opt this file in (arg == 1) or out (arg == 0)
 * of watcher tracking.  SYSGENID_WAIT_WATCHERS waits for every tracked file
 * to acknowledge the current generation.  Files start untracked; tracking
 * stops when the file is released (its last descriptor closed and any
 * mapping of it unmapped).  Returns 0.
 * EINVAL:  arg is neither 0 nor 1 (v7 took any non-zero value as 1; the
 *          other values are kept for flags).
 * EBADF:   arg is 1 and the file was not opened for writing: it could never
 *          acknowledge, and would hold up every overseer.
 * EPERM:   arg is 1 and the caller has neither CAP_CHECKPOINT_RESTORE nor
 *          CAP_SYS_ADMIN in the initial user namespace, nor is a member of
 *          the device node's group: an administrator chooses who may make
 *          SYSGENID_WAIT_WATCHERS wait (v7 let anyone).
 */
#define SYSGENID_SET_WATCHER_TRACKING	_IO(SYSGENID_IOCTL, 1)

/*
 * SYSGENID_WAIT_WATCHERS - block until every tracked file has acknowledged
 * the current generation.  arg is a timeout in milliseconds, 0 meaning none.
 * Returns 0 once no tracked file is outdated.
 * EINTR:  the calling file itself has not acknowledged the current
 *         generation (also when a bump happens while waiting): handle the
 *         new generation, acknowledge it and retry; or a signal handler
 *         ran (SA_RESTART or not, as for nanosleep()).
 * ETIME:  the timeout expired first.
 * A stop and SIGCONT, a ptrace attach or the freezer restart the call with
 * the deadline it started with.
 * Any user can open tracked files and never acknowledge: an overseer should
 * always pass a timeout.
 */
#define SYSGENID_WAIT_WATCHERS		_IO(SYSGENID_IOCTL, 2)

/*
 * SYSGENID_TRIGGER_GEN_UPDATE - start a new generation, for software-driven
 * snapshot/restore (a container restore tool).  arg is the minimum value of
 * the new generation: it becomes max(arg, current + 1).  It is handled as
 * a VM fork: the kernel's random number generator is reseeded and its
 * in-kernel users of VM forks react before the generation moves.  Returns 0.
 * A restore on another host or after a reboot passes a value above the
 * generation it checkpointed, or lazy checkers that compare against it see
 * no change.  A 32-bit process passes a 32-bit arg, taken as that value
 * (not as the low half of one): it cannot ask for more than 2^32 - 1.
 * EINVAL:     arg is above current + 1 and would end counting (U64_MAX) or
 *             leave the low 32 bits unchanged (arg - current a multiple of
 *             2^32): read() and write() carry only those, so an old ack
 *             would acknowledge a generation its sender never saw.
 * EACCES:     the caller lacks CAP_CHECKPOINT_RESTORE and CAP_SYS_ADMIN in
 *             the initial user namespace (capabilities in a child user
 *             namespace do not count: the generation is system-wide).
 * EOVERFLOW:  the generation is already at its largest value.
 */
#define SYSGENID_TRIGGER_GEN_UPDATE	_IO(SYSGENID_IOCTL, 3)

/*
 * SYSGENID_GET_GENERATION - store the full 64-bit generation at the __u64
 * pointed to by arg.  Never blocks and does not acknowledge anything.  A VM
 * Generation ID change the kernel has not handled yet (its notification is
 * still in flight) is handled first, so the value is never older than what
 * the vDSO getter returns.  Returns 0.
 * EFAULT:  arg is not a writable __u64.
 */
#define SYSGENID_GET_GENERATION		_IOR(SYSGENID_IOCTL, 4, __u64)

/*
 * Flags of struct sysgenid_page (the same bits in the vDSO's private data):
 *
 * SYSGENID_FLAG_HW_SOURCE  a hypervisor source of restores is bound (the VM
 *                          Generation ID device).  Without it only software
 *                          triggers move the generation: an unchanged value
 *                          then proves nothing about a VM snapshot.
 * SYSGENID_FLAG_RACE_FREE  the vDSO getter compares the hypervisor-written
 *                          ID itself, so it returns the new generation from
 *                          the first instruction after a restore, before the
 *                          kernel has handled the notification.  The other
 *                          views (read(), poll(), this page) change only
 *                          when the kernel commits the change: when the
 *                          notification is handled, or earlier when a task
 *                          asks for random bytes or SYSGENID_GET_GENERATION.
 */
#define SYSGENID_FLAG_HW_SOURCE		(1U << 0)
#define SYSGENID_FLAG_RACE_FREE		(1U << 1)

/**
 * struct sysgenid_page - layout of the page mapped by mmap() on /dev/sysgenid
 * @generation32: low 32 bits of the generation (offset 0, the v7 ABI).
 * @flags:        SYSGENID_FLAG_* (0 on kernels that called it "reserved").
 * @generation:   the full 64-bit generation (offset 8).
 *
 * The rest of the page reads as 0.  The kernel updates @generation (with
 * release semantics) before @generation32.  A 64-bit reader loads
 * @generation with one aligned acquire load.  A 32-bit reader, which cannot
 * load @generation atomically, loads @generation32, then the high and then
 * the low half of @generation, then @generation32 again, each load an
 * acquire load (or followed by a read barrier), and retries unless both
 * @generation32 loads equal the low half; or it uses SYSGENID_GET_GENERATION.
 */
struct sysgenid_page {
	__u32 generation32;
	__u32 flags;
	__u64 generation;
};

/*
 * SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION - the vDSO's getter of the
 * 64-bit generation on this architecture: look the name up with that
 * symbol version in the vDSO (getauxval(AT_SYSINFO_EHDR)) and call it as
 * __u64 (*)(void).  It needs no system call and no file; a kernel without
 * CONFIG_SYSGENID does not export it, so its presence means the value is
 * live.  Not defined where no vDSO of the architecture has the getter.
 */
#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__)
#define SYSGENID_VDSO_GETTER		"__vdso_sysgenid_get"
#define SYSGENID_VDSO_VERSION		"LINUX_2.6"
#elif defined(__aarch64__)
#define SYSGENID_VDSO_GETTER		"__kernel_sysgenid_get"
#define SYSGENID_VDSO_VERSION		"LINUX_2.6.39"
#endif

#endif /* _UAPI_LINUX_SYSGENID_H */
