/* SPDX-License-Identifier: MIT */
/*
 * slot_word.h - the slot protocol shared by the lock-free peers (ck-stack,
 * urcu-lfs, sbitmap): each slot is one _Atomic uint64_t holding
 *
 *   bits 63..48  generation (as in mid_layout.h; at most 16 bits)
 *   bits 47..0   context, 0 when the slot is free
 *
 * so that map is one acquire load and a compare, and ending or swapping an
 * association is one CAS that exactly one racing caller wins.  The peers
 * differ only in how they keep the free slots (their free list), which is
 * what the benchmark compares.  The same packing is midatlas's idea (it adds
 * a tombstone bit the peers do not need); contexts must fit in 48 bits.
 *
 * Who writes a slot word:
 *   - slot_publish: the thread that took the (free) slot off the free list;
 *     nobody else writes a free word (slot_end and slot_swap_if leave words
 *     with context 0 alone), so a plain release store is enough;
 *   - slot_end / slot_swap_if: any thread, by CAS on a live word.
 */
#ifndef MIDATLAS_BENCH_SLOT_WORD_H
#define MIDATLAS_BENCH_SLOT_WORD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "midatlas.h"

#define SLOT_CTX_MASK UINT64_C(0xFFFFFFFFFFFF)

typedef _Atomic uint64_t slot_word;

static inline uint64_t slot_word_make(uint32_t gen, const void *ctx)
{
    return (uint64_t)gen << 48 | ((uint64_t)(uintptr_t)ctx & SLOT_CTX_MASK);
}

static inline uint32_t slot_word_gen(uint64_t w)
{
    return (uint32_t)(w >> 48);
}

static inline void *slot_word_ctx(uint64_t w)
{
    return (void *)(uintptr_t)(w & SLOT_CTX_MASK);
}

/* A context the word can hold: non-NULL and within 48 bits. */
static inline int slot_ctx_ok(const void *ctx)
{
    return ctx != NULL && MIDATLAS_CONTEXT_FITS(ctx);
}

/* Free word of generation gen (used at create time). */
static inline void slot_init_free(slot_word *s, uint32_t gen)
{
    atomic_store_explicit(s, slot_word_make(gen, NULL), memory_order_relaxed);
}

/* Generation of a free slot the caller has just taken off its free list.
 * Relaxed: the free list's hand-off (release push / acquire pop, or the
 * bitmap's release clear / acquire set) orders this after the CAS in
 * slot_end that freed it. */
static inline uint32_t slot_owned_gen(slot_word *s)
{
    return slot_word_gen(atomic_load_explicit(s, memory_order_relaxed));
}

/* Make a slot the caller owns (just taken off the free list) live. */
static inline void slot_publish(slot_word *s, uint32_t gen, void *ctx)
{
    /* Release: pairs with the acquire load in slot_map and the acquire CAS
     * in slot_end, so whoever obtains ctx sees what was written before. */
    atomic_store_explicit(s, slot_word_make(gen, ctx), memory_order_release);
}

/* The context of a live slot of generation gen, else NULL.  Wait-free. */
static inline void *slot_map(slot_word *s, uint32_t gen)
{
    /* Acquire: pairs with the release in slot_publish / slot_swap_if. */
    uint64_t w = atomic_load_explicit(s, memory_order_acquire);
    return slot_word_gen(w) == gen ? slot_word_ctx(w) : NULL;
}

/* Status of word w for a MID of generation gen that wants it live. */
static inline int slot_check(uint64_t w, uint32_t gen)
{
    if ((w & SLOT_CTX_MASK) == 0)
        return MIDATLAS_EFREE;
    if (slot_word_gen(w) != gen)
        return MIDATLAS_ESTALE;
    return MIDATLAS_OK;
}

/* End the association of a live slot of generation gen: the word becomes
 * free with generation next_gen.  Exactly one of several racing callers gets
 * OK (and the context in *ctx); the others get EFREE or ESTALE.  The caller
 * that gets OK then owns the slot and puts it on its free list. */
static inline int slot_end(slot_word *s, uint32_t gen, uint32_t next_gen, void **ctx)
{
    uint64_t w = atomic_load_explicit(s, memory_order_relaxed);
    for (;;) {
        int st = slot_check(w, gen);
        if (st != MIDATLAS_OK)
            return st;
        /* Acquire: pairs with the release in slot_publish / slot_swap_if, so
         * the context's contents are visible to the caller who gets it.
         * Release: orders everything this owner did before the free-list
         * push that follows (the push has its own release as well).
         * Fails only when a racing end or swap changed the word. */
        if (atomic_compare_exchange_weak_explicit(s, &w, slot_word_make(next_gen, NULL),
                                                  memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    if (ctx != NULL)
        *ctx = slot_word_ctx(w);
    return MIDATLAS_OK;
}

/* Swap expected for desired on a live slot of generation gen, in one CAS. */
static inline int slot_swap_if(slot_word *s, uint32_t gen, void *expected, void *desired)
{
    if (expected == NULL || !slot_ctx_ok(desired))
        return MIDATLAS_EINVAL;
    uint64_t w = atomic_load_explicit(s, memory_order_relaxed);
    for (;;) {
        int st = slot_check(w, gen);
        if (st != MIDATLAS_OK)
            return st;
        if (slot_word_ctx(w) != expected)
            return MIDATLAS_EMISMATCH;
        /* Release: pairs with the acquire load in slot_map and the acquire
         * CAS in slot_end (desired's contents become visible with it);
         * acquire: pairs with the release that published expected.  A failed
         * weak CAS reloads w and re-checks, so a spurious failure is harmless. */
        if (atomic_compare_exchange_weak_explicit(s, &w, slot_word_make(gen, desired),
                                                  memory_order_acq_rel, memory_order_relaxed))
            return MIDATLAS_OK;
    }
}

#endif /* MIDATLAS_BENCH_SLOT_WORD_H */
