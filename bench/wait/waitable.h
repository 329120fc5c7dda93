/* SPDX-License-Identifier: MIT */
/*
 * waitable.h - the two blocking MID allocators bench_wait compares, behind one
 * small table of functions:
 *
 *   midatlas   midatlas_associate_wait / midatlas_dissociate: waiters sleep on
 *              their own condition variables and are served first in, first
 *              out; a freed MID goes straight to the oldest waiter.
 *   mutex+cv   the baseline: the benchmark's fixed table (bench/impls/
 *              fixed_table.h, as in the `mutex` peer) under one pthread mutex,
 *              with one condition variable that dissociate signals when
 *              someone waits.  Not FIFO: a woken waiter re-checks the table
 *              and anyone who takes the mutex first may take the MID (the
 *              usual condition-variable pattern; FIFO is not required of it).
 */
#ifndef MIDATLAS_BENCH_WAITABLE_H
#define MIDATLAS_BENCH_WAITABLE_H

#include <stdint.h>

struct waitable {
    const char *name;
    void *(*create)(uint32_t capacity);
    void (*destroy)(void *table);
    /* timeout < 0: without limit (the only kind the benchmark uses) */
    int (*associate_wait)(void *table, void *ctx, uint16_t *mid);
    void *(*map)(void *table, uint16_t mid);
    int (*dissociate)(void *table, uint16_t mid);
    /* Threads asleep (or about to sleep under the table's lock) waiting for a
     * MID: a freer that sees n here knows n waiters are queued. */
    uint32_t (*queued)(void *table);
};

extern const struct waitable waitable_midatlas;
extern const struct waitable waitable_mutex_cv;

#endif /* MIDATLAS_BENCH_WAITABLE_H */
