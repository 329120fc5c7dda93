/* SPDX-License-Identifier: MIT */
/*
 * floor.c - calibration tables for midatlas-cycle, not MID allocators: what
 * a MID cycle costs the harness itself, with FLOOR_LOCKS (0, 1 or 2) locked
 * instructions a cycle and as little else as a table can do.
 *
 * A floor table is a flat array of contexts and a LIFO stack of free
 * indices, both plain memory: associate pops an index and stores the
 * context there, dissociate takes it back and pushes the index.  With
 * FLOOR_LOCKS >= 1 dissociate's store is an XCHG (what every ending that
 * must happen exactly once pays at least), with FLOOR_LOCKS == 2
 * associate's store is also a CAS (what a claim that other threads may
 * race pays).  So floor-2 is the cheapest a cycle of two locked
 * instructions can be in this harness, floor-1 of one, floor-0 of none:
 * the gap between an implementation and its floor is what its own logic
 * costs (bench/RESULTS.md, "Floors for the 1-thread cells").
 *
 * One thread only: the stack is not thread-safe, and nothing rejects a
 * stale MID (there are no generations).  thread_init refuses a second
 * thread at once (exit status 2), so a run with more threads (or the
 * pipeline's receiver) stops with a message instead of measuring a race.  Built three times by
 * bench/CMakeLists.txt (floor-0, floor-1, floor-2); never installed.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "impl.h"

#ifndef FLOOR_LOCKS
#error "build with -DFLOOR_LOCKS=0, 1 or 2"
#endif

struct floor_table {
    uint32_t capacity;
    uint32_t top;             /* free indices on the stack          */
    _Atomic(void *) *ctx;     /* NULL while free                    */
    uint16_t *stack;          /* free indices, the next one on top  */
};

static atomic_int floor_threads;

static void floor_thread_init(void)
{
    /* relaxed: a count, checked, ordering nothing. */
    if (atomic_fetch_add_explicit(&floor_threads, 1, memory_order_relaxed) != 0) {
        fprintf(stderr, "floor-%d: a calibration table for one thread; a second thread "
                        "started\n", FLOOR_LOCKS);
        _Exit(2); /* at once: the other thread is using the table */
    }
}

static void floor_thread_fini(void)
{
    atomic_fetch_sub_explicit(&floor_threads, 1, memory_order_relaxed); /* as above */
}

static void floor_destroy(void *p)
{
    struct floor_table *t = p;
    if (t == NULL)
        return;
    free(t->ctx);
    free(t->stack);
    free(t);
}

static void *floor_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct floor_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->capacity = capacity;
    t->ctx = calloc(capacity, sizeof *t->ctx);
    t->stack = malloc(capacity * sizeof *t->stack);
    if (t->ctx == NULL || t->stack == NULL) {
        floor_destroy(t);
        return NULL;
    }
    /* Index 0 on top: the first MIDs are 0, 1, 2... */
    for (uint32_t i = 0; i < capacity; i++)
        t->stack[i] = (uint16_t)(capacity - 1 - i);
    t->top = capacity;
    return t;
}

static int floor_associate(void *p, void *ctx, uint16_t *mid)
{
    struct floor_table *t = p;
    if (t->top == 0)
        return MIDATLAS_EFULL;
    uint16_t i = t->stack[--t->top];
#if FLOOR_LOCKS == 2
    /* release: as a claim CAS publishes its context (map's acquire). */
    void *expected = NULL;
    atomic_compare_exchange_strong_explicit(&t->ctx[i], &expected, ctx, memory_order_release,
                                            memory_order_relaxed);
#else
    atomic_store_explicit(&t->ctx[i], ctx, memory_order_relaxed); /* one thread */
#endif
    *mid = i;
    return MIDATLAS_OK;
}

static void *floor_map(void *p, uint16_t mid)
{
    struct floor_table *t = p;
    if (mid >= t->capacity)
        return NULL;
    /* acquire: pairs with floor-2's release CAS (relaxed elsewhere would do:
     * one thread; acquire is a plain load on x86-64 either way). */
    return atomic_load_explicit(&t->ctx[mid], memory_order_acquire);
}

static int floor_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct floor_table *t = p;
    if (mid >= t->capacity)
        return MIDATLAS_ERANGE;
#if FLOOR_LOCKS >= 1
    /* seq_cst: one thread, so it pairs with nothing; it is the order of
     * midatlas's ending CAS (end_cas), so that the floor costs what that
     * locked instruction costs on every architecture, not only on x86-64
     * (where any order of an exchange is the same XCHG). */
    void *old = atomic_exchange_explicit(&t->ctx[mid], NULL, memory_order_seq_cst);
#else
    void *old = atomic_load_explicit(&t->ctx[mid], memory_order_relaxed); /* one thread */
    atomic_store_explicit(&t->ctx[mid], NULL, memory_order_relaxed);
#endif
    if (old == NULL)
        return MIDATLAS_EFREE;
    t->stack[t->top++] = mid;
    if (ctx)
        *ctx = old;
    return MIDATLAS_OK;
}

#define FLOOR_STR_(n) #n
#define FLOOR_STR(n) FLOOR_STR_(n)

const struct mid_impl mid_impl_floor = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .name = "floor-" FLOOR_STR(FLOOR_LOCKS),
    .description = "calibration, one thread only: a stack of free indices and an array of "
                   "contexts, " FLOOR_STR(FLOOR_LOCKS) " locked instructions a cycle",
    .create = floor_create,
    .destroy = floor_destroy,
    .associate = floor_associate,
    .map = floor_map,
    .dissociate = floor_dissociate,
    .thread_init = floor_thread_init,
    .thread_fini = floor_thread_fini,
};
