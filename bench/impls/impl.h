/*
 * impl.h - one small interface over every MID allocator the project measures.
 *
 * bench/, stress/ and tests/ drive midatlas and its peers through this table,
 * so that every workload and every correctness check runs unchanged against
 * each of them.  Statuses are midatlas's (MIDATLAS_OK, MIDATLAS_EFULL, ...).
 *
 * Contract every implementation keeps (tests/impl_conformance checks it):
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

#ifdef __cplusplus
extern "C" {
#endif

struct mid_impl {
    const char *name;        /* short, used on command lines: "midatlas"    */
    const char *description; /* one line for --help and reports             */
    /* A new table of `capacity` MIDs, or NULL on failure. */
    void *(*create)(uint32_t capacity);
    void (*destroy)(void *table);
    int (*associate)(void *table, void *ctx, uint16_t *mid);
    void *(*map)(void *table, uint16_t mid);
    int (*dissociate)(void *table, uint16_t mid, void **ctx);
    int (*reassociate_if)(void *table, uint16_t mid, void *expected, void *desired);
    /* Optional (NULL when not needed): called by each thread before its first
     * and after its last call, e.g. for liburcu thread registration. */
    void (*thread_init)(void);
    void (*thread_fini)(void);
    /* Optional additions (NULL / 0 when absent), appended so that code
     * written against the members above keeps working: */
    /* Failed compare-and-swaps on this table so far, summed over all threads
     * (midatlas: midatlas_stats().cas_failures); NULL when not counted. */
    uint64_t (*cas_failures)(void *table);
    unsigned traits; /* MID_IMPL_* below */
};

/* Built on inline-assembly atomics (Concurrency Kit, liburcu) that
 * ThreadSanitizer cannot see: under TSan it reports false races, so TSan
 * builds skip these implementations (stdatomic ones are checked exactly). */
#define MID_IMPL_TSAN_BLIND 0x1u

/* Every implementation, NULL-terminated; midatlas first, the mutex baseline
 * second. */
extern const struct mid_impl *const mid_impls[];

/* The implementation called `name`, or NULL. */
const struct mid_impl *mid_impl_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_BENCH_IMPL_H */
