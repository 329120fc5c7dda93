/* SPDX-License-Identifier: MIT */
/*
 * atlas.h - the internal layout of struct midatlas, shared by the src/ files.
 *
 * One allocation holds, in order and each part cache-line aligned:
 *
 *   struct midatlas      read-mostly header: sizes, masks, flags (two
 *                        lines), then the cold high-water mark with FULL
 *                        mode's state and cells (full.h), the gate word,
 *                        the rotor and the wait queue, each on its own
 *                        line: 384 bytes
 *   slots[capacity]      one tagged 64-bit word per MID slot (word.h), at
 *                        a fixed offset, so that map finds its slot with
 *                        no load of a pointer (slot_word)
 *   gap                  MIDATLAS_STRIPE_GAP bytes that nothing uses
 *   stripes[nstripes]    one line per stripe: a sweep cursor and the
 *                        counters of the threads homed there (sweep.h)
 *   announce[nstripes]   only with the rseq claim path (rseq.h): one line
 *                        per stripe, its CAS claimers' count (own.c)
 *   owners               only with the rseq claim path: one byte per chunk,
 *                        spread over 16 lines (own.h, owner_of): 1 KiB
 *   stamps               32 bits per chunk, the ticket of its visit
 *                        (sweep.h, "Laps"), spread over 16 lines per 256
 *                        chunks (stamp_of): 1 KiB per 256 chunks, a line
 *                        per chunk below 16
 *
 * There are no free lists: a slot is free when its word says FREE, and an
 * associate claims it with one CAS (sweep.h).  Invariants (checked by
 * midatlas_validate when no call runs):
 *
 *   usable           == capacity - excluded
 *   usable           == free + live + discarded
 *   excluded slots (single-MID slots whose MID is reserved) hold EXCLUDED
 *   discarded        == sum(discards) - sum(releases)
 *   associations     == sum over slots of (count + 1) mod 2^15
 *                       + 2^15 * sum(count_wraps) - sum(count_skips)
 *
 * No call ever holds a slot that no other thread can see: a claim makes a
 * slot LIVE in the same CAS that takes it, and an ending makes it FREE in
 * the CAS that wins it.
 */
#ifndef MIDATLAS_ATLAS_H
#define MIDATLAS_ATLAS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomics.h"
#include "midatlas.h"
#include "word.h"

#define MIDATLAS_CACHE_LINE 64
#define MIDATLAS_MAX_STRIPES 16u
/* Unused bytes between the slot words and the stripes.  A sweep visits a
 * chunk's lines in one direction, over and over (sweep.h, "Order"); an odd
 * chunk's goes up, and in an atlas of two chunks that is the one next to
 * the stripes, whose lines the other CPUs write at every claim (their
 * cursors).  The gap keeps them out of the prefetchers' reach.  Capacity
 * 64 on 2 CPUs, 2 threads, medians of 31: without it churn was 0.88x and
 * lookup 0.88x of the same tree with 512 bytes; 256 did not hold up between
 * runs.  8 lines: the header, the gap and 16 stripes with the rseq path's
 * lines stay within 4 KiB (midatlas.h). */
#define MIDATLAS_STRIPE_GAP 512u
_Static_assert(MIDATLAS_STRIPE_GAP % MIDATLAS_CACHE_LINE == 0, "the stripes stay line-aligned");
/* Fewest free slots a stripe starts with: below this, more stripes would only
 * make threads adopt each other's stripes all the time. */
#define MIDATLAS_MIN_SLOTS_PER_STRIPE 4u

/* For the few pieces of the common halves (associate's take and its claim)
 * that must fold into their callers whatever the compiler's size estimate:
 * a call there costs the saved registers the split exists to avoid. */
#if defined(__GNUC__)
#define MIDATLAS_ALWAYS_INLINE __attribute__((always_inline))
#else
#define MIDATLAS_ALWAYS_INLINE
#endif

/* One stripe: the sweep cursor the threads homed here share (the CPU they
 * run on picks the stripe), and their counters, all on one cache line so
 * that a thread working on its home stripe touches no other shared line. */
struct stripe {
    /* Next index to look at (low 32 bits) and the end of the chunk being
     * swept (high 32); a hint only, every claim is a CAS on the slot. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u64 cursor;
    atomic_u64 full_failures; /* EFULL results of threads homed here       */
    atomic_u64 cas_failures;  /* claims and endings that lost their CAS    */
    atomic_u64 discards;      /* midatlas_discard successes                */
    atomic_u64 releases;      /* tombstones released (release and drain)   */
    atomic_u64 count_wraps;   /* claims that took a count past 2^15 handouts */
    atomic_u64 count_skips;   /* counts skipped over a reserved MID value  */
    /* Non-zero once two CPUs were seen sweeping this one cursor (several
     * CPUs map to the stripe): from then on no CPU acquires chunks here,
     * and its claims go by CAS (sweep.c, take_slow; own.c, sweeps_home).
     * Set once, never cleared; a hint read relaxed. */
    atomic_u64 shared;
};

_Static_assert(sizeof(struct stripe) == MIDATLAS_CACHE_LINE, "a stripe is one cache line");

/* The CAS claimers homed on one stripe that are between their announce and
 * their retreat (own.c, rseq.h).  Its own line, apart from the stripe's
 * cursor: an acquirer reads every stripe's count once per chunk, and on the
 * cursor's line each read pulled a line the other CPU writes at every claim
 * (churn at capacity 4096, 2 threads: 1.15x from this move alone). */
struct announce {
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u64 cas_active;
};

_Static_assert(sizeof(struct announce) == MIDATLAS_CACHE_LINE, "an announce is one cache line");

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

/* Free slots FULL mode can record before it ends (full.h): what fits on
 * the high-water mark's line with the state word. */
#define FULL_CELLS 6u

struct midatlas {
    /* Read-only after create: the fields map and associate read.  The slot
     * words need no pointer: they follow the header (slot_word). */
    _Alignas(MIDATLAS_CACHE_LINE) struct stripe *stripes;
    /* One owner byte per chunk (rseq.h; own.h, owner_of, finds it), and
     * one announce line per stripe; both NULL when this atlas claims by
     * CAS only (rseq off, or too few chunks per stripe). */
    atomic_u8 *owners;
    struct announce *announce;
    uint32_t capacity;
    uint32_t match_idx_mask; /* idx_mask, and at capacity 1 bit 15 (0x8000):
                                the fast paths that compare a word with a
                                MID take this MID's index; an index at or
                                above capacity leaves them (word_is_mid) */
    uint64_t match_mul;  /* 1 << (48 - idx_bits): a MID times this has its
                            generation bits where a slot word has its
                            count's low bits (word_is_mid)                */
    uint64_t match_mask; /* gen_mask << 48, and bit 63 (D): the bits
                            word_is_mid compares                          */
    uint32_t slot_mul;   /* 1 << slot_shift: slot_word's stride, a
                            multiply where a shift would need its count
                            in CL (slot_word)                             */
    uint32_t slot_shift; /* log2 of the words a slot takes: 0 (8 slots to
                            a line), or 2 in a spread atlas (2 a line,
                            MIDATLAS_F_SPREAD)                            */
    uint32_t idx_mask;   /* (1 << idx_bits) - 1                           */
    uint32_t idx_bits;   /* ceil(log2(capacity))                          */
    uint32_t gen_mask;   /* (1 << generation bits) - 1; 0 above 32768     */
    uint32_t stripe_mask; /* nstripes - 1 (nstripes is a power of two)    */
    uint32_t chunk_shift; /* the rotor hands out chunks of 2^chunk_shift
                             slots (sweep.h)                              */
    uint32_t nchunks;    /* ceil(capacity / chunk)                        */
    uint32_t stamps_off; /* where the visit stamps lie, in bytes from the
                            atlas (stamp_of)                              */
    uint32_t perm_end;   /* chunks ending at or below this index are swept
                            a line apart (sweep.h, sweep_next): the whole
                            chunks; 0 below one chunk (index order)      */
    uint32_t perm_back;  /* chunk - 1: a line-apart sweep that steps past
                            its chunk's end goes back this far, to the
                            next slot of the first line                  */
    uint32_t chunk_slots; /* 1 << chunk_shift                            */
    uint32_t scarce_skip; /* a claim that passed over this many used slots
                             marks the atlas scarce for its thread         */
    uint32_t usable;     /* capacity less the slots flags take out       */
    uint32_t prefetch;   /* nonzero: claims prefetch slot lines for writing
                            (prefetch.h; the CPU has PREFETCHW)          */
    unsigned flags;
    uint64_t serial;     /* this atlas's number among all the process has
                            created (from 1): what a thread's hints name
                            (claim.h), as a new atlas may lie at a
                            destroyed one's address                      */
    /* The solo word (solo.h): in an atlas without owner bytes where the
     * rseq path is on, the CPU that owns the whole atlas, or UNOWNED,
     * REVOKING or SHARED, and an epoch; SHARED (0) in every other atlas.
     * Written a few times in an atlas's life (its first claim, a thread's
     * migration, the first claim from a second CPU), read by every
     * associate: on the header's read-mostly line. */
    atomic_u64 solo;

    /* Cold, written only on slow paths and by stats: its own line so that
     * those writes never disturb the header readers. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 high_water;
    /* FULL mode (full.h): the state word (mode | session | version) and
     * the cells that record free slots.  Written only while the atlas is
     * full, when high_water is not, so they share its cold line: a free in
     * FULL mode writes this one line (a cell, then the state), and the gate
     * line that every call reads stays clean. */
    atomic_u64 full_state;
    atomic_u64 full_cells[FULL_CELLS];

    /* Waiters queued in midatlas_associate_wait, and GATE_CLOSED (wait.c).
     * Read by every associate and free, written only when waiters come and
     * go and once by close: its own line, so that with nobody waiting it
     * stays shared in every cache. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 gate;

    /* The rotor: chunks handed out so far (modulo nchunks: the next chunk
     * to sweep).  Taken once per chunk by a sweeping thread: its own line,
     * so it disturbs neither the gate nor the header. */
    _Alignas(MIDATLAS_CACHE_LINE) atomic_u32 rotor;
    /* The rotor's r-th chunk is r * chunk_stride mod nchunks (coprime:
     * every chunk once a lap): read with the rotor, so on its line. */
    uint32_t chunk_stride;
    /* A chunk's visit claims until the rotor is this many tickets past its
     * own (sweep.h, "Laps"): read when a chunk is taken, with the rotor. */
    uint32_t visit_tickets;
    /* The rotor when the solo word's ownership last changed hands (solo.c,
     * a hint): how many claims the owner made since, read with the rotor
     * when another CPU's ownership is met. */
    atomic_u32 solo_rotor;
    /* The thread that acquired or last moved the solo word's ownership
     * (solo.c; its hint address): read only when another CPU's ownership
     * is met, so it shares the rotor's line rather than take one. */
    atomic_u64 solo_thread;
    /* The whole allocation: read by destroy's callers and stats only, so
     * it lies here, off the header's read-mostly lines. */
    size_t bytes;

    /* The wait queue itself, touched only once waiters exist. */
    _Alignas(MIDATLAS_CACHE_LINE) struct waitq wq;
};

/* FULL mode's state and cells share the high-water mark's one line. */
_Static_assert(offsetof(struct midatlas, gate) - offsetof(struct midatlas, high_water) ==
                   MIDATLAS_CACHE_LINE,
               "high_water, full_state and full_cells fill one cache line");

_Static_assert(offsetof(struct midatlas, solo) < 2 * MIDATLAS_CACHE_LINE,
               "the solo word lies on the header's read-mostly lines");

_Static_assert(sizeof(struct midatlas) % MIDATLAS_CACHE_LINE == 0,
               "the slot words after the header start on a cache line");

/* Slot idx's word: the slot words start right after the header (create.c),
 * whose size is a multiple of the cache line (its first member's
 * alignment), one word apart, or four (half a line) in a spread atlas: a
 * multiply by slot_mul, which reads its factor from the header, where a
 * shift by slot_shift would need the count in CL first.  Const callers
 * only read through it. */
static inline atomic_u64 *slot_word(const struct midatlas *a, uint32_t idx)
{
    return (atomic_u64 *)((uintptr_t)a + sizeof(struct midatlas)) + (size_t)(idx * a->slot_mul);
}

/* Visit stamps (sweep.h, "Laps"): a 32-bit ticket per chunk.  In each block
 * of 256 chunks, chunk k's stamp lies on line k mod 16 of the block's 16
 * (as the owner bytes are spread, own.h, owner_of): the chunks that
 * stripes sweep at once are a rotor stride apart, so their stamps lie on
 * different lines, and a take that writes one stamp does not take the line
 * another CPU's claims are reading theirs from.  32 bits: a narrower
 * stamp comes round too soon (8 bits at capacity 32768, 512 chunks: every
 * visit's). */
#define STAMP_LINES 16u
#define STAMP_BLOCK (STAMP_LINES * (MIDATLAS_CACHE_LINE / sizeof(uint32_t))) /* 256 */

/* Bytes of visit stamps in an atlas of nchunks chunks: a line per chunk
 * below 16 chunks, else 1 KiB per block of 256 (4 KiB at 1024 chunks). */
static inline size_t stamp_bytes(uint32_t nchunks)
{
    if (nchunks < STAMP_LINES)
        return (size_t)nchunks * MIDATLAS_CACHE_LINE;
    return (nchunks + STAMP_BLOCK - 1) / STAMP_BLOCK * STAMP_BLOCK * sizeof(uint32_t);
}

/* Chunk k's visit stamp: in k's block, word (k / 16) mod 16 of line
 * k mod 16: k's low byte rotated by 4 bits (one rotate on x86). */
static inline atomic_u32 *stamp_of(const struct midatlas *a, uint32_t k)
{
    uint8_t low = (uint8_t)k;
    uint32_t at = (k & ~(STAMP_BLOCK - 1)) | (uint8_t)(low << 4 | low >> 4);
    return (atomic_u32 *)((uintptr_t)a + a->stamps_off) + at;
}

/* Slot words that share a cache line: 8, or 2 in a spread atlas. */
static inline uint32_t slots_per_line(const struct midatlas *a)
{
    return (uint32_t)(MIDATLAS_CACHE_LINE / sizeof(uint64_t)) >> a->slot_shift;
}

/* ---- MID arithmetic ----------------------------------------------------- */

static inline uint32_t mid_index(const struct midatlas *a, uint16_t mid)
{
    return mid & a->idx_mask;
}

/* mid's index, or at capacity 1 an index out of range when its bit 15 is
 * set (a generation the count cannot hold: never handed out): what the
 * paths that compare a word with a MID (word_is_mid) index by. */
static inline uint32_t mid_match_index(const struct midatlas *a, uint16_t mid)
{
    return mid & a->match_idx_mask;
}

static inline uint32_t mid_gen(const struct midatlas *a, uint16_t mid)
{
    return (uint32_t)mid >> a->idx_bits;
}

static inline uint16_t mid_make(const struct midatlas *a, uint32_t gen, uint32_t idx)
{
    return (uint16_t)(gen << a->idx_bits | idx);
}

/* 0x0000 or 0xFFFF: the only values a flag can reserve (one compare). */
static inline bool mid_maybe_reserved(uint16_t mid)
{
    return (uint16_t)(mid + 1) <= 1;
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

/* The MID generation of a slot word's count. */
static inline uint32_t slot_mid_gen(const struct midatlas *a, uint64_t w)
{
    return slot_count(w) & a->gen_mask;
}

/* The count slot `idx` gets on its next handout after `count`, skipping the
 * one (at most) whose generation would make a reserved MID: 0x0000 and 0xFFFF
 * differ in their index bits whenever there are generation bits, so a slot
 * never meets both.  *skipped says whether one was skipped.  Only the two
 * values a flag can reserve look at the flags. */
static inline uint32_t count_next(const struct midatlas *a, uint32_t count, uint32_t idx,
                                  bool *skipped)
{
    uint32_t next = (count + 1) & SLOT_COUNT_MASK;
    uint16_t mid = mid_make(a, next & a->gen_mask, idx);
    *skipped = __builtin_expect(mid_maybe_reserved(mid), 0) && mid_reserved(a->flags, mid);
    if (*skipped)
        next = (next + 1) & SLOT_COUNT_MASK;
    return next;
}

/* Handouts of a slot since create, modulo 2^15: counts start at the value
 * before 0, so that the first handout is count 0 (MID == index). */
static inline uint32_t count_handouts(uint32_t count)
{
    return (count + 1) & SLOT_COUNT_MASK;
}

/* A context a slot word can hold: not NULL and within its 48-bit payload,
 * in one compare (NULL - 1 wraps past the mask). */
static inline bool context_storable(const void *ctx)
{
    return (uint64_t)(uintptr_t)ctx - 1 < SLOT_PAYLOAD_MASK;
}

/* stats.c: every field of struct midatlas_stats, the ones appended after
 * 0.1 too (midatlas_stats writes the 0.1 prefix of this, stats_ex.c as much
 * as its caller has room for). */
void midatlas__stats_fill(struct midatlas *a, struct midatlas_stats *st);

/* cpus.c: the stripes that give each CPU this process may run on a stripe
 * of its own (the highest CPU number plus one; or $MIDATLAS_STRIPES), at
 * least 1. */
uint32_t midatlas__cpus_span(void);
/* cpus.c: may claims prefetch slot lines for writing (prefetch.h)?  The
 * CPU can (PREFETCHW) and $MIDATLAS_PREFETCH is not 0. */
bool midatlas__cpus_prefetch(void);
/* cpus.c: the CPU the calling thread runs on now, or `fallback`. */
uint32_t midatlas__current_cpu(uint32_t fallback);

#endif /* MIDATLAS_ATLAS_H */
