/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmark programs that run in the guest: the clock they
 * time with and the two baselines every method is compared against.
 */
#ifndef SYSGENID_BENCH_H
#define SYSGENID_BENCH_H

#include <stdint.h>
#include <time.h>

/* Keeps the compiler from hoisting, merging or dropping work across it. */
static inline void barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* A word in ordinary memory: what the raw-load baseline reads. */
extern uint64_t bench_word;

/*
 * bench_ool_load() - one load, behind a call the compiler cannot inline
 *
 * Lives in baseline.c, a translation unit of its own (the build uses no
 * LTO): the floor of any getter reached through a call, such as a library
 * function or the vDSO.
 */
uint64_t bench_ool_load(void);

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* SYSGENID_BENCH_H */
