/* SPDX-License-Identifier: MIT */
/*
 * atlas.h - the internal layout of struct midatlas, shared by the src/ files.
 *
 * One allocation holds, in order and each part cache-line aligned:
 *
 *   struct midatlas      read-mostly header: sizes, masks, flags (one line),
 *                        then the cold shared high-water mark (its own line)
 *   stripes[2*nstripes]  one line per free-list stack (head + its counters):
 *                        side 0 of every stripe, then side 1 (freelist.h)
 *   slots[capacity]      one tagged 64-bit word per MID slot (word.h)
 *
 * Invariants (checked by midatlas_validate when no call runs):
 *
 *   usable           == capacity - excluded
 *   usable           == listed + live + discarded
 *   listed           == sum over both sides of every stripe of head length
 *   every listed slot is FREE, on exactly one stack, reachable from its head
 *   every usable slot that is not listed is LIVE or DISCARDED
 *   excluded slots (single-MID slots whose MID is reserved) stay FREE, unlisted
 *   discarded        == sum(discards) - sum(releases)
 *
 * While calls run, one slot per in-flight call may be in hand: popped and not
 * yet published (associate), or won and not yet pushed (dissociate, release,
 * drain).
 */
#ifndef MIDATLAS_ATLAS_H
#define MIDATLAS_ATLAS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "atomics.h"
#include "midatlas.h"
#include "word.h"

#define MIDATLAS_CACHE_LINE 64
#define MIDATLAS_MAX_STRIPES 16u
/* Fewest free slots a stripe starts with: below this, more stripes would only
 * make threads adopt each other's stripes all the time. */
#define MIDATLAS_MIN_SLOTS_PER_STRIPE 4u

/* One side of a free-list stripe: a Treiber stack head and the counters of
 * the threads that use it, all on one cache line so a thread that works on
 * its home stack touches no other shared line.  (The name is historical: a
 * stripe is the pair of these at index k and k + nstripes.) */
struct stripe {
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u64 head; /* word.h head word */
    atomic_u64 tag_wraps;     /* times the 31-bit pop tag wrapped          */
    atomic_u64 full_failures; /* EFULL results of threads homed here       */
    atomic_u64 cas_failures;  /* failed CAS on heads and slots             */
    atomic_u64 discards;      /* midatlas_discard successes                */
    atomic_u64 releases;      /* tombstones released (release and drain)   */
};

_Static_assert(sizeof(struct stripe) == MIDATLAS_CACHE_LINE, "a stripe is one cache line");

struct waiter;

/* FIFO of threads waiting in midatlas_associate_wait; all fields under lock. */
struct waitq {
    pthread_mutex_t lock;
    struct waiter *head;   /* oldest waiter                               */
    struct waiter *tail;   /* newest waiter                               */
};

/* The gate word (struct midatlas.gate): queued waiters in the low bits, and
 * a bit midatlas_close sets for good.  Associate and every free path read it
 * once: zero means "nobody waits, not closed" and nothing else is touched. */
#define GATE_CLOSED 0x80000000u
#define GATE_WAITERS 0x7FFFFFFFu

struct midatlas {
    /* Read-only after create: the fields map and associate read. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u64 *slots;
    struct stripe *stripes;
    uint32_t capacity;
    uint32_t usable;
    uint32_t idx_mask;   /* (1 << idx_bits) - 1                           */
    uint32_t idx_bits;   /* ceil(log2(capacity))                          */
    uint32_t gen_mask;   /* (1 << generation bits) - 1; 0 above 32768     */
    uint32_t stripe_mask; /* nstripes - 1 (nstripes is a power of two);
                             the stacks are twice as many (two sides)    */
    uint32_t stripe_shift; /* slot i belongs to stripe i >> stripe_shift  */
    uint32_t flip_min;   /* fewest slots waiting on the push sides that
                            make a dry taker flip the epoch (freelist.c) */
    unsigned flags;
    size_t bytes;        /* the whole allocation                          */

    /* Cold, written only on slow paths and by stats: its own line so that
     * those writes never disturb the header readers. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 high_water;

    /* Waiters queued in midatlas_associate_wait, and GATE_CLOSED (wait.c).
     * Read by every associate and free, written only when waiters come and
     * go and once by close: its own line, so that with nobody waiting it
     * stays shared in every cache. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 gate;

    /* Rotation epoch: associate pops from side (epoch & 1), frees push to
     * the other side; flipped once every pop side is empty (freelist.c).
     * Read by associate and every free, written once per epoch: its own
     * line, so a flip disturbs neither the gate nor the header. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 epoch;

    /* The wait queue itself, touched only once waiters exist. */
    _Alignas(MIDATLAS_CACHE_LINE) struct waitq wq;
};

/* ---- MID arithmetic ----------------------------------------------------- */

static inline uint32_t mid_index(const struct midatlas *a, uint16_t mid)
{
    return mid & a->idx_mask;
}

static inline uint32_t mid_gen(const struct midatlas *a, uint16_t mid)
{
    return (uint32_t)mid >> a->idx_bits;
}

static inline uint16_t mid_make(const struct midatlas *a, uint32_t gen, uint32_t idx)
{
    return (uint16_t)(gen << a->idx_bits | idx);
}

static inline int mid_reserved(unsigned flags, uint32_t mid)
{
    return ((flags & MIDATLAS_F_NO_ZERO) && mid == 0x0000) ||
           ((flags & MIDATLAS_F_NO_FFFF) && mid == 0xFFFF);
}

/* A slot taken out of use by a flag: only a slot with a single MID (no
 * generation bits, capacity above 32768) can have all its MIDs reserved. */
static inline int slot_excluded(const struct midatlas *a, uint32_t idx)
{
    return a->gen_mask == 0 && mid_reserved(a->flags, idx);
}

/* The generation slot `idx` gets on its next handout after `gen`, skipping the
 * one (at most) that would make a reserved MID: 0x0000 and 0xFFFF differ in
 * their index bits whenever there are generation bits, so a slot never meets
 * both. */
static inline uint32_t gen_next(const struct midatlas *a, uint32_t gen, uint32_t idx)
{
    uint32_t next = (gen + 1) & a->gen_mask;
    if (mid_reserved(a->flags, mid_make(a, next, idx)))
        next = (next + 1) & a->gen_mask;
    return next;
}

static inline int context_fits(const void *ctx)
{
    return (uint64_t)(uintptr_t)ctx <= SLOT_PAYLOAD_MASK;
}

/* cpus.c: CPUs this process may run on (or $MIDATLAS_STRIPES), at least 1. */
uint32_t midatlas__cpus_usable(void);
/* cpus.c: the CPU the calling thread runs on now, or `fallback`. */
uint32_t midatlas__current_cpu(uint32_t fallback);

#endif /* MIDATLAS_ATLAS_H */
