// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-line baseline, kept apart from the loop that calls it so that
 * only the call and the load are measured, never an inlined copy.
 */
#include "bench.h"

uint64_t bench_word;

__attribute__((noinline)) uint64_t bench_ool_load(void)
{
	return __atomic_load_n(&bench_word, __ATOMIC_RELAXED);
}
