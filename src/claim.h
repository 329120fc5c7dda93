/* SPDX-License-Identifier: MIT */
/*
 * claim.h - the thread-local hints of the sweep (which stripe, which slot
 * this thread freed last, scarce spells) and the claim CAS that takes a
 * FREE slot and publishes its context in one step (sweep.h has the idea).
 */
#ifndef MIDATLAS_CLAIM_H
#define MIDATLAS_CLAIM_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"
#include "hooks.h"

/* ---- thread-local hints ------------------------------------------------- */

/* They name an atlas by its serial number, not its address: a destroyed
 * atlas's memory may come back as a new atlas, which must not take the
 * old one's hints for its own (tests/reuse/reborn.c). */

struct midatlas__sweep_tls {
    uint32_t own;        /* this thread's stripe number (masked per atlas) */
    uint32_t set;        /* 0 until the first call of this thread          */
    uint64_t freed_serial; /* the atlas (its serial, atlas.h) of ...     */
    uint32_t freed;      /* ... the slot this thread freed last           */
    uint32_t scarce;     /* associates left that try `freed` first ...    */
    uint64_t scarce_serial; /* ... on this atlas (its serial; 0: none)   */
    uint32_t scarce_len; /* length of the next scarce spell              */
    uint32_t spells;     /* scarce spells so far (high-water sampling)    */
};

/* initial-exec: a library's TLS access is then one %fs-relative load instead
 * of a __tls_get_addr call (40 bytes of static TLS; mimalloc does the same). */
#if defined(__GNUC__)
#define SWEEP_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define SWEEP_TLS_MODEL
#endif
extern _Thread_local struct midatlas__sweep_tls midatlas__sweep_tls SWEEP_TLS_MODEL;

void midatlas__sweep_tls_init(void);

static inline struct midatlas__sweep_tls *sweep_hints(void)
{
    if (__builtin_expect(!midatlas__sweep_tls.set, 0))
        midatlas__sweep_tls_init();
    return &midatlas__sweep_tls;
}

static inline struct stripe *stripe_of(struct midatlas *a, uint32_t k)
{
    return &a->stripes[k & a->stripe_mask];
}

/* The calling thread's home stripe, for its counters and its cursor. */
static inline struct stripe *sweep_home(struct midatlas *a)
{
    return stripe_of(a, sweep_hints()->own);
}

/* A stripe's cursor (struct stripe): the next slot to look at (bits 0-16),
 * the end of the chunk being swept (past its last slot, bits 17-33; both
 * at most 65536), and the low 30 bits of the rotor ticket that handed the
 * chunk out (bits 34-63): what tells a cursor left behind for a lap from
 * the sweep (sweep.h, "Laps"). */
#define CURSOR_SLOT_BITS 17
#define CURSOR_SLOT_MASK ((1u << CURSOR_SLOT_BITS) - 1)
#define CURSOR_TICKET_SHIFT (2 * CURSOR_SLOT_BITS)
#define CURSOR_TICKET_MASK ((1u << (64 - CURSOR_TICKET_SHIFT)) - 1)
_Static_assert(MIDATLAS_MAX_CAPACITY <= CURSOR_SLOT_MASK, "a cursor holds every slot and end");

static inline uint64_t cursor_make(uint32_t pos, uint32_t end, uint32_t ticket)
{
    return (uint64_t)(ticket & CURSOR_TICKET_MASK) << CURSOR_TICKET_SHIFT |
           (uint64_t)end << CURSOR_SLOT_BITS | pos;
}

static inline uint32_t cursor_pos(uint64_t c)
{
    return (uint32_t)c & CURSOR_SLOT_MASK;
}

static inline uint32_t cursor_end(uint64_t c)
{
    return (uint32_t)(c >> CURSOR_SLOT_BITS) & CURSOR_SLOT_MASK;
}

static inline uint32_t cursor_ticket(uint64_t c)
{
    return (uint32_t)(c >> CURSOR_TICKET_SHIFT);
}

/* The stamp of the visit with ticket r (sweep.h, "Laps"): the bits of it a
 * cursor keeps, so that a visit compares its cursor's with one load. */
static inline uint32_t stamp_make(uint32_t r)
{
    return r & CURSOR_TICKET_MASK;
}

/* Cursor c moved on to slot pos of the same chunk (the ticket stays). */
static inline uint64_t cursor_at(uint64_t c, uint32_t pos)
{
    return (c & ~(uint64_t)CURSOR_SLOT_MASK) | pos;
}

/* Is the chunk that ends at end (a whole one) swept in descending order?
 * The even ones are: in an atlas of two chunks, each sweep then walks away
 * from the other chunk (sweep.h, "Order"). */
static inline bool sweep_descends(const struct midatlas *a, uint32_t end)
{
    return (end & a->chunk_slots) != 0;
}

/* Slot i's offset in its whole chunk, counted from the end the sweep
 * starts at (descending: its last slot). */
static inline uint32_t sweep_offset(const struct midatlas *a, uint32_t i, bool descending)
{
    uint32_t base = i & ~a->perm_back;
    return descending ? a->perm_back - (i - base) : i - base;
}

/* The pair of the sweep's order (sweep.h, sweep_step) that offset off
 * lies in.  The order visits pair p of a chunk of L packed lines (8 slots
 * each) at offset 8 (p mod L) + 2 (p / L): the first pair of every packed
 * line, then the second of every line, and so on. */
static inline uint32_t sweep_pair_of(const struct midatlas *a, uint32_t off)
{
    return ((off & 7) >> 1 << (a->chunk_shift - 3)) + (off >> 3);
}

/* The place of slot pos in the sweep of the chunk that ends at end (sweep.h,
 * sweep_step): 0 for the slot a visit claims first; end itself, the cursor
 * past every slot, is after all of them.  A partial last chunk goes in
 * index order. */
static inline uint32_t sweep_rank(const struct midatlas *a, uint32_t pos, uint32_t end)
{
    if (pos >= end)
        return UINT32_MAX;
    if (end > a->perm_end)
        return pos - a->perm_end;
    uint32_t off = sweep_offset(a, pos, sweep_descends(a, end));
    return 2 * sweep_pair_of(a, off) + (off & 1);
}

/* A sweep moved its stripe's cursor to `held` (past the slot it claims)
 * and now reads `now` there: is the cursor still at or after `held` in its
 * visit's sweep order (or in another visit)?  Claimers only move a
 * cursor on; only a late rseq CS of another CPU puts it back (own.h,
 * struct own_at), and never past the slot the move passed. */
static inline bool cursor_not_behind(const struct midatlas *a, uint64_t now, uint64_t held)
{
    if (now == held || (now ^ held) >> CURSOR_SLOT_BITS) /* the same, or another visit */
        return true;
    uint32_t end = cursor_end(held);
    return sweep_rank(a, cursor_pos(now), end) >= sweep_rank(a, cursor_pos(held), end);
}

/* ---- the claim ---------------------------------------------------------- */

/* A claim of slot idx, whose word was read as the FREE word w, is about to
 * be tried: the count it will set (skipping a reserved MID: *skipped). */
static inline uint32_t slot_claim_begin(struct midatlas *a, uint32_t idx, uint64_t w,
                                        bool *skipped)
{
    MIDATLAS_HOOK(MIDATLAS_HOOK_CLAIM_FOUND, idx);
    return count_next(a, slot_count(w), idx, skipped);
}

/* A claim from FREE word w to count next succeeded: the statistics.  A
 * claim advances the handouts by one, or two past a reserved MID, so they
 * wrapped only if they are now 0 or 1: one compare in the common case. */
static inline void slot_claim_end(struct midatlas *a, uint64_t w, uint32_t next, bool skipped)
{
    if (__builtin_expect(count_handouts(next) > 1 && !skipped, 1))
        return;
    /* Cold: once per 2^15 handouts of a slot, and per reserved value. */
    if (count_handouts(next) < count_handouts(slot_count(w)))
        add_relaxed(&sweep_home(a)->count_wraps, 1);
    if (skipped)
        add_relaxed(&sweep_home(a)->count_skips, 1);
}

/*
 * The claim's one step: slot idx goes from the FREE word w to the LIVE word
 * desired, unless another call changed it first (false).
 */
static inline bool slot_claim_cas(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t desired)
{
#if MIDATLAS_BROKEN == 2
    /* Deliberately broken: check, then store - two takers can both win. */
    (void)w;
    if (!slot_is_free(load_relaxed(slot_word(a, idx))))
        return false;
    store_release(slot_word(a, idx), desired);
    return true;
#else
    /* release: publishes the caller's writes to *ctx, pairing with the
     * load_acquire of map/lookup and the acquire CAS of the enders
     * (dissociate, discard, drain); and it makes every later reader of this
     * word that acquires it (a collector of sweep.c) see whatever the
     * claimer had seen, so a collect that sees this claim cannot see a
     * slot the claimer found freed as still used.  Failure: relaxed, the
     * caller moves on. */
    return cas_release(slot_word(a, idx), &w, desired);
#endif
}

/*
 * Claim slot idx, whose word was read as the FREE word w, for the context
 * bits ctx: one CAS to LIVE with the next count.  On success *count is the
 * new count.  False when another call changed the word first.
 */
static inline bool slot_claim(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t ctx,
                              uint32_t *count)
{
    bool skipped;
    uint32_t next = slot_claim_begin(a, idx, w, &skipped);
    if (!slot_claim_cas(a, idx, w, slot_live(next, ctx)))
        return false;
    slot_claim_end(a, w, next, skipped);
    *count = next;
    return true;
}

#endif /* MIDATLAS_CLAIM_H */
