/* SPDX-License-Identifier: MIT */
/*
 * atomics.h - the only place midatlas spells a C11 atomic operation.
 *
 * Each helper is named by operation and memory order, so every call site says
 * what ordering it relies on, and no implicit seq_cst operation sneaks in
 * (the idea is mimalloc's atomic.h).  Call sites comment non-relaxed uses with
 * the operation they pair with.  The one fence (wait.c) is spelled where it
 * is used: gcc rejects a fence wrapped in an inline helper under
 * -fsanitize=thread, and ThreadSanitizer does not model fences anyway.
 */
#ifndef MIDATLAS_ATOMICS_H
#define MIDATLAS_ATOMICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef _Atomic uint64_t atomic_u64;
typedef _Atomic uint32_t atomic_u32;
typedef _Atomic uint8_t atomic_u8;

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

static inline uint64_t load_relaxed(atomic_u64 *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static inline uint64_t load_acquire(atomic_u64 *p)
{
    return atomic_load_explicit(p, memory_order_acquire);
}

static inline void store_relaxed(atomic_u64 *p, uint64_t v)
{
    atomic_store_explicit(p, v, memory_order_relaxed);
}

static inline void store_release(atomic_u64 *p, uint64_t v)
{
    atomic_store_explicit(p, v, memory_order_release);
}

/* Compare-and-swap; on failure *expected receives the current value. */
static inline bool cas_relaxed(atomic_u64 *p, uint64_t *expected, uint64_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_relaxed,
                                                   memory_order_relaxed);
}

static inline bool cas_acquire(atomic_u64 *p, uint64_t *expected, uint64_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_acquire,
                                                   memory_order_relaxed);
}

static inline bool cas_release(atomic_u64 *p, uint64_t *expected, uint64_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_release,
                                                   memory_order_relaxed);
}

static inline bool cas_acq_rel(atomic_u64 *p, uint64_t *expected, uint64_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* seq_cst where a Dekker-style "publish, then check the other side's flag"
 * pairing needs a single total order (wait.c explains the one use). */
static inline bool cas_seq_cst(atomic_u64 *p, uint64_t *expected, uint64_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_seq_cst,
                                                   memory_order_relaxed);
}

static inline uint64_t load_seq_cst(atomic_u64 *p)
{
    return atomic_load_explicit(p, memory_order_seq_cst);
}

/* Exchange: acquire, for taking a cell's content that another thread
 * published with a release (full.c). */
static inline uint64_t xchg_acquire(atomic_u64 *p, uint64_t v)
{
    return atomic_exchange_explicit(p, v, memory_order_acquire);
}

static inline uint32_t load32_seq_cst(atomic_u32 *p)
{
    return atomic_load_explicit(p, memory_order_seq_cst);
}

/* A number handed out once (create.c, the atlases' serials): unique by the
 * RMW alone, it orders nothing. */
static inline uint64_t fetch_add_relaxed(atomic_u64 *p, uint64_t v)
{
    return atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

/* Counters: statistics only, never used to order anything. */
static inline void add_relaxed(atomic_u64 *p, uint64_t v)
{
    atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline uint32_t load32_relaxed(atomic_u32 *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void store32_relaxed(atomic_u32 *p, uint32_t v)
{
    atomic_store_explicit(p, v, memory_order_relaxed);
}

static inline void store32_seq_cst(atomic_u32 *p, uint32_t v)
{
    atomic_store_explicit(p, v, memory_order_seq_cst);
}

static inline uint32_t add32_relaxed(atomic_u32 *p, uint32_t v)
{
    return atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline uint32_t add32_seq_cst(atomic_u32 *p, uint32_t v)
{
    return atomic_fetch_add_explicit(p, v, memory_order_seq_cst);
}

static inline uint32_t or32_seq_cst(atomic_u32 *p, uint32_t v)
{
    return atomic_fetch_or_explicit(p, v, memory_order_seq_cst);
}

/* One strong CAS, seq_cst on success and failure (failure: *expected is
 * what the word holds). */
static inline bool cas32_seq_cst(atomic_u32 *p, uint32_t *expected, uint32_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_seq_cst,
                                                   memory_order_seq_cst);
}

static inline void sub32_relaxed(atomic_u32 *p, uint32_t v)
{
    atomic_fetch_sub_explicit(p, v, memory_order_relaxed);
}

/* Raise *p to at least v (statistics: high-water mark). */
static inline void max32_relaxed(atomic_u32 *p, uint32_t v)
{
    uint32_t cur = atomic_load_explicit(p, memory_order_relaxed);
    while (cur < v &&
           !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

/* ---- owner bytes (rseq.h) ------------------------------------------------ */

static inline uint8_t load8_relaxed(atomic_u8 *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void store8_relaxed(atomic_u8 *p, uint8_t v)
{
    atomic_store_explicit(p, v, memory_order_relaxed);
}

static inline void store8_release(atomic_u8 *p, uint8_t v)
{
    atomic_store_explicit(p, v, memory_order_release);
}

static inline bool cas8_seq_cst(atomic_u8 *p, uint8_t *expected, uint8_t desired)
{
    return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_seq_cst,
                                                   memory_order_relaxed);
}

static inline uint8_t load8_seq_cst(atomic_u8 *p)
{
    return atomic_load_explicit(p, memory_order_seq_cst);
}

static inline void add_seq_cst(atomic_u64 *p, uint64_t v)
{
    atomic_fetch_add_explicit(p, v, memory_order_seq_cst);
}

static inline void sub_release(atomic_u64 *p, uint64_t v)
{
    atomic_fetch_sub_explicit(p, v, memory_order_release);
}

#endif /* MIDATLAS_ATOMICS_H */
