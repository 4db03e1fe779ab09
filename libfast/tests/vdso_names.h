/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The vDSO's own functions per architecture, for the tests, the benchmark
 * and the demo: each architecture names them differently and puts them
 * under another symbol version.
 *
 * TEST_VDSO_VERSION        the version node of the functions below
 * TEST_VDSO_PREFIX         what their names start with
 * TEST_VDSO_CLOCK_GETTIME  int clock_gettime(clockid_t, struct timespec *):
 *                          in every vDSO of the architecture, the symbol a
 *                          lookup must find
 * TEST_VDSO_ALWAYS_NAMES   the functions every vDSO of the architecture
 *                          exports, clock_gettime first, as the elements of
 *                          an array initialiser
 * TEST_VDSO_GETRANDOM      the vDSO's getrandom, where the architecture has
 *                          one (not in the 32-bit x86 vDSO); a kernel older
 *                          than it lacks it, so a lookup may still fail
 *
 * None is defined on an architecture not listed here: what needs them skips.
 *
 * The SysGenID getter is not here: <linux/sysgenid.h> names it
 * (SYSGENID_VDSO_GETTER, SYSGENID_VDSO_VERSION), and sysgenid_lazy.h keeps
 * a copy (SGLAZY_PRIV_VDSO_GETTER) for code built without that header.  This
 * file includes neither: vendor_test.c must stand without the uapi header.
 */
#ifndef LIBFAST_VDSO_NAMES_H
#define LIBFAST_VDSO_NAMES_H

#include <time.h>

#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__)
#define TEST_VDSO_VERSION	"LINUX_2.6"
#define TEST_VDSO_PREFIX	"__vdso_"
#define TEST_VDSO_ALWAYS_NAMES							\
	TEST_VDSO_PREFIX "clock_gettime", TEST_VDSO_PREFIX "gettimeofday",	\
	TEST_VDSO_PREFIX "time", TEST_VDSO_PREFIX "getcpu",			\
	TEST_VDSO_PREFIX "clock_getres"
#ifdef __x86_64__
#define TEST_VDSO_GETRANDOM	TEST_VDSO_PREFIX "getrandom"
#endif
#elif defined(__aarch64__)
#define TEST_VDSO_VERSION	"LINUX_2.6.39"
#define TEST_VDSO_PREFIX	"__kernel_"
#define TEST_VDSO_ALWAYS_NAMES							\
	TEST_VDSO_PREFIX "clock_gettime", TEST_VDSO_PREFIX "gettimeofday",	\
	TEST_VDSO_PREFIX "clock_getres", TEST_VDSO_PREFIX "rt_sigreturn"
#define TEST_VDSO_GETRANDOM	TEST_VDSO_PREFIX "getrandom"
#endif

#ifdef TEST_VDSO_PREFIX
#define TEST_VDSO_CLOCK_GETTIME	TEST_VDSO_PREFIX "clock_gettime"
#endif

/*
 * The vDSO's clock_gettime takes the kernel's native struct timespec, whose
 * tv_sec is a long.  The C library's is that too, except in a 32-bit build
 * with a 64-bit time_t (_TIME_BITS=64), where only the lookup is tested.
 */
#define TEST_VDSO_TIMESPEC_NATIVE	(sizeof(time_t) == sizeof(long))

#endif /* LIBFAST_VDSO_NAMES_H */
