/* SPDX-License-Identifier: MIT */
/*
 * impl.h - one small interface over every MID allocator the project measures.
 *
 * bench/, stress/ and tests/ drive midatlas and its peers through this table,
 * so that every workload and every correctness check runs unchanged against
 * each of them.  Statuses are midatlas's (MIDATLAS_OK, MIDATLAS_EFULL, ...).
 *
 * Contract every implementation keeps (midatlas-conform checks it; the
 * full text is in include/midatlas/harness.h):
 *   - associate hands out a MID no other live association holds, or EFULL only
 *     when every slot is in use;
 *   - map returns the context of a live MID, NULL for any other 16-bit value;
 *   - dissociate of a live MID returns OK and its context exactly once, even
 *     when several threads race for it; others get a negative status;
 *   - reassociate_if swaps the context only if it is `expected`;
 *   - all of them may be called from any number of threads at once.
 */
#ifndef MIDATLAS_BENCH_IMPL_H
#define MIDATLAS_BENCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "midatlas.h"
#include "midatlas/harness.h"

#ifdef __cplusplus
extern "C" {
#endif

/* struct mid_impl, its feature bits and MID_IMPL_TSAN_BLIND: the plugin ABI
 * (include/midatlas/harness.h), so that a compiled-in table and a plugin are
 * the same thing. */

/* Every implementation, NULL-terminated; midatlas first, the mutex baseline
 * second. */
extern const struct mid_impl *const mid_impls[];

/* The implementation called `name`, or NULL. */
const struct mid_impl *mid_impl_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_BENCH_IMPL_H */
