// SPDX-License-Identifier: GPL-2.0
/*
 * The 32-bit vDSO's getter: the same reader, which takes the 64-bit
 * generation under the data page's sequence count, so it is never torn.
 */
#define BUILD_VDSO32
#include "fake_32bit_build.h"
/*
 * As in vclock_gettime.c: the 32-bit asm/div64.h defines mul_u32_u32()
 * and must come before vdso/math64.h, which would define it otherwise.
 */
#include <linux/kernel.h>
#include "../vsysgenid.c"
