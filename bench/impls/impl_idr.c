/* SPDX-License-Identifier: MIT */
/*
 * impl_idr.c - the allocator the Linux 9P client uses, in user space: the
 * lowest free id under one spin lock (idr_alloc under c->lock), found with a
 * two-level bitmap, and a lookup that takes no lock (idr_find under RCU).
 *
 * Shape, as in Linux's idr/IDA:
 *   - used[]     one bit per id, set while the id is live;
 *   - full[]     one bit per word of used[], set while that word is all ones,
 *                so the lowest free id is two find-first-zero steps away
 *                (65536 ids: 16 summary words, then one word);
 *   - slots[]    the context of each id, read by map without the lock.
 * The MID is the id itself: no generation, so a stale MID that was handed out
 * again simply names the new request (as in 9P, where tags are reused at
 * once); contexts are unique, so the harness's stale checks still hold.
 *
 * Built with IDR_CYCLIC=1 (impl_idr_cyclic.c) it is idr-cyclic: Linux's
 * idr_alloc_cyclic, the lowest free id above the one handed out last, else
 * the lowest free id (round from 0).  An id then comes back only after the
 * other free ids have had their turn, where idr's lowest free id is often
 * the one just freed: a peer that rotates, as midatlas does for its stale
 * window (bench/RESULTS.md, "What the one-thread lookup gap is not";
 * bench/peer_order.c checks both orders).
 *
 * The lock: test-and-test-and-set on one atomic flag.  A kernel spin lock
 * never has a preempted holder; here one would make waiters burn whole time
 * slices, so a waiter yields its CPU after SPINS failed looks.
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"

#define SPINS 128
#define WORD_BITS 64u

#ifndef IDR_CYCLIC
#define IDR_CYCLIC 0
#endif

struct idr {
    _Alignas(64) atomic_bool locked;
    uint32_t capacity;
    uint32_t nwords; /* of used[] */
    uint64_t *used;
    uint64_t *full;          /* one bit per word of used[] */
    _Atomic(void *) *slots;  /* map reads them without the lock */
#if IDR_CYCLIC
    uint32_t next; /* where the next search starts */
#endif
};

/* ---- the lock ----------------------------------------------------------------- */

static void idr_lock(struct idr *t)
{
    for (;;) {
        /* acquire: pairs with idr_unlock's release; the holder's writes to
         * the bitmaps are seen by the next holder. */
        if (!atomic_exchange_explicit(&t->locked, true, memory_order_acquire))
            return;
        for (unsigned n = 0; atomic_load_explicit(&t->locked, memory_order_relaxed); n++)
            if (n >= SPINS) {
                sched_yield();
                n = 0;
            }
    }
}

static void idr_unlock(struct idr *t)
{
    /* release: pairs with idr_lock's acquire exchange. */
    atomic_store_explicit(&t->locked, false, memory_order_release);
}

/* ---- the bitmap (lock held) ----------------------------------------------------- */

/* The lowest id whose used bit is clear, or capacity when none is. */
static uint32_t lowest_free(const struct idr *t)
{
    uint32_t nsum = (t->nwords + WORD_BITS - 1) / WORD_BITS;
    for (uint32_t s = 0; s < nsum; s++) {
        if (t->full[s] == UINT64_MAX)
            continue;
        uint32_t w = s * WORD_BITS + (uint32_t)__builtin_ctzll(~t->full[s]);
        if (w >= t->nwords)
            break;
        uint32_t id = w * WORD_BITS + (uint32_t)__builtin_ctzll(~t->used[w]);
        return id < t->capacity ? id : t->capacity;
    }
    return t->capacity;
}

#if IDR_CYCLIC
/* The lowest free id at or above t->next, else the lowest free id, or
 * capacity when none is.  Word by word from t->next's: in a rotating table
 * the ids ahead of the last handout are mostly free, so the first word or
 * two answer. */
static uint32_t next_free(const struct idr *t)
{
    uint32_t w = t->next / WORD_BITS;
    uint64_t free = ~t->used[w] & (~0ull << (t->next % WORD_BITS));
    for (;;) {
        if (free != 0) {
            uint32_t id = w * WORD_BITS + (uint32_t)__builtin_ctzll(free);
            return id < t->capacity ? id : t->capacity;
        }
        if (++w == t->nwords)
            return lowest_free(t);
        free = ~t->used[w];
    }
}
#endif

/* The id associate hands out: idr's lowest free one, or idr-cyclic's. */
static uint32_t pick_free(const struct idr *t)
{
#if IDR_CYCLIC
    return next_free(t);
#else
    return lowest_free(t);
#endif
}

static void mark(struct idr *t, uint32_t id, bool live)
{
    uint32_t w = id / WORD_BITS;
    uint64_t bit = 1ull << (id % WORD_BITS), sbit = 1ull << (w % WORD_BITS);
    if (live)
        t->used[w] |= bit;
    else
        t->used[w] &= ~bit;
    if (t->used[w] == UINT64_MAX)
        t->full[w / WORD_BITS] |= sbit;
    else
        t->full[w / WORD_BITS] &= ~sbit;
}

/* ---- the table -------------------------------------------------------------------- */

static void idr_destroy(void *p)
{
    struct idr *t = p;
    if (t == NULL)
        return;
    free(t->used);
    free(t->full);
    free(t->slots);
    free(t);
}

static void *idr_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    /* aligned_alloc: the lock has a cache line of its own (sizeof is a
     * multiple of the alignment, as aligned_alloc requires). */
    struct idr *t = aligned_alloc(_Alignof(struct idr), sizeof *t);
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof *t);
    t->capacity = capacity;
    t->nwords = (capacity + WORD_BITS - 1) / WORD_BITS;
    t->used = calloc(t->nwords, sizeof *t->used);
    t->full = calloc((t->nwords + WORD_BITS - 1) / WORD_BITS, sizeof *t->full);
    t->slots = calloc(capacity, sizeof *t->slots);
    if (t->used == NULL || t->full == NULL || t->slots == NULL) {
        idr_destroy(t);
        return NULL;
    }
    /* Bits past the capacity in the last word count as used: never found. */
    for (uint32_t id = capacity; id < t->nwords * WORD_BITS; id++)
        mark(t, id, true);
    atomic_init(&t->locked, false);
    return t;
}

static int idr_associate(void *p, void *ctx, uint16_t *mid)
{
    struct idr *t = p;
    if (ctx == NULL || mid == NULL)
        return MIDATLAS_EINVAL;
    idr_lock(t);
    uint32_t id = pick_free(t);
    if (id == t->capacity) {
        idr_unlock(t);
        return MIDATLAS_EFULL;
    }
    mark(t, id, true);
#if IDR_CYCLIC
    t->next = id + 1 == t->capacity ? 0 : id + 1;
#endif
    /* release: pairs with map's acquire load; what the caller wrote before
     * associating ctx is visible to whoever maps it. */
    atomic_store_explicit(&t->slots[id], ctx, memory_order_release);
    idr_unlock(t);
    *mid = (uint16_t)id;
    return MIDATLAS_OK;
}

static void *idr_map(void *p, uint16_t mid)
{
    struct idr *t = p;
    if (mid >= t->capacity)
        return NULL;
    /* acquire: pairs with the release store of associate / reassociate_if. */
    return atomic_load_explicit(&t->slots[mid], memory_order_acquire);
}

static int idr_lookup(void *p, uint16_t mid, void **ctx)
{
    struct idr *t = p;
    if (mid >= t->capacity)
        return MIDATLAS_ERANGE;
    void *v = idr_map(p, mid);
    if (v == NULL)
        return MIDATLAS_EFREE;
    *ctx = v;
    return MIDATLAS_OK;
}

/* Ends mid's association when its context is `expected` (NULL: any). */
static int idr_end(struct idr *t, uint16_t mid, void *expected, void **ctx)
{
    if (mid >= t->capacity)
        return MIDATLAS_ERANGE;
    idr_lock(t);
    void *v = atomic_load_explicit(&t->slots[mid], memory_order_relaxed); /* lock held */
    int st = v == NULL                       ? MIDATLAS_EFREE
             : expected && v != expected     ? MIDATLAS_EMISMATCH
                                             : MIDATLAS_OK;
    if (st == MIDATLAS_OK) {
        atomic_store_explicit(&t->slots[mid], NULL, memory_order_relaxed); /* map: NULL is NULL */
        mark(t, mid, false);
    }
    idr_unlock(t);
    if (st == MIDATLAS_OK && ctx != NULL)
        *ctx = v;
    return st;
}

static int idr_dissociate(void *p, uint16_t mid, void **ctx)
{
    return idr_end(p, mid, NULL, ctx);
}

static int idr_dissociate_if(void *p, uint16_t mid, void *expected)
{
    return expected == NULL ? MIDATLAS_EINVAL : idr_end(p, mid, expected, NULL);
}

static int idr_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct idr *t = p;
    if (desired == NULL)
        return MIDATLAS_EINVAL;
    if (mid >= t->capacity)
        return MIDATLAS_ERANGE;
    idr_lock(t);
    void *v = atomic_load_explicit(&t->slots[mid], memory_order_relaxed); /* lock held */
    int st = v == NULL ? MIDATLAS_EFREE : v != expected ? MIDATLAS_EMISMATCH : MIDATLAS_OK;
    if (st == MIDATLAS_OK)
        /* release: pairs with map's acquire, as in associate. */
        atomic_store_explicit(&t->slots[mid], desired, memory_order_release);
    idr_unlock(t);
    return st;
}

#if IDR_CYCLIC
const struct mid_impl mid_impl_idr_cyclic = {
    .name = "idr-cyclic",
    .description = "Linux's idr_alloc_cyclic: the next free id after the last one handed "
                   "out, under a spin lock, lock-free map",
#else
const struct mid_impl mid_impl_idr = {
    .name = "idr",
    .description = "Linux 9P's tag allocator: lowest free id under a spin lock, "
                   "two-level bitmap, lock-free map",
#endif
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF | MID_IMPL_HAS_LOOKUP | MID_IMPL_HAS_DISSOCIATE_IF,
    .create = idr_create,
    .destroy = idr_destroy,
    .associate = idr_associate,
    .map = idr_map,
    .dissociate = idr_dissociate,
    .reassociate_if = idr_reassociate_if,
    .lookup = idr_lookup,
    .dissociate_if = idr_dissociate_if,
};
