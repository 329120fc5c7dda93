/* SPDX-License-Identifier: MIT */
/*
 * own.h - claiming a slot in an atlas whose chunks CPUs may own (rseq.h):
 * by a plain store inside a restartable sequence on the owning CPU, or by
 * the claim CAS (claim.h, slot_claim) when nobody owns the chunk.  An
 * atlas without owner bytes (a->owners == NULL: rseq off, or too few chunks
 * per stripe) always claims by CAS, as before.
 */
#ifndef MIDATLAS_OWN_H
#define MIDATLAS_OWN_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"
#include "rseq.h"
#include "claim.h"
#include "solo.h"

/* Most chunks an atlas with owner bytes has (create.c checks; chunks are 64
 * slots from capacity 2048 up, so 65536 slots make 1024). */
#define OWN_MAX_CHUNKS 1024u

/* Owner bytes are spread over OWN_LINES cache lines: chunk k's byte is byte
 * k / OWN_LINES of line k mod OWN_LINES.  The chunks that CPUs sweep at
 * once are a rotor stride or a few apart, so their bytes lie on different
 * lines, and one CPU's acquisition or release does not take the line
 * another CPU's claims are reading the owner from. */
#define OWN_LINES 16u
#define OWN_BYTES (OWN_LINES * MIDATLAS_CACHE_LINE)
_Static_assert(OWN_MAX_CHUNKS <= OWN_BYTES, "every chunk has an owner byte");

static inline atomic_u8 *owner_of(const struct midatlas *a, uint32_t k)
{
    return &a->owners[(k % OWN_LINES) * MIDATLAS_CACHE_LINE + k / OWN_LINES];
}

enum own_claim {
    OWN_CLAIMED, /* *count is the new count                                 */
    OWN_LOST,    /* the word changed: another call claimed the slot         */
    OWN_FOREIGN, /* another CPU owns the chunk, or its acquisition is going  */
    OWN_MOVED    /* a sweep's claim (struct own_at): the cursor is behind
                    its move (or, in a CS, moved at all); nothing claimed    */
};

/*
 * A sweep's claim (sweep.h, sweep_chunk): it moved its stripe's cursor to
 * `held`, past the slot, by CAS; NULL for every other claim.
 *
 * Why the claim checks the cursor again: an rseq CS (the common take's,
 * rseq.h rseq_claim_store_at) compares the cursor and then stores its own
 * value, which is atomic only against the threads of its CPU.  A thread
 * that moved to another CPU in mid-chunk still sweeps its old stripe's
 * cursor by CAS (sweep.c, take_slow): the old CPU's CS may compare before
 * that move and store after it, back behind the slot.  Claimed anyway, the
 * slot would come again in the same visit once ended
 * (tests/model/midatlas_cursor.pml, CPUS 1, mutants 5, 6 and 8;
 * tests/lifecycle/test_cursor_put_back.c).  So a claim whose CAS or CS no
 * CS of another CPU can overlap any more checks that the cursor is still
 * `held`: inside its own CS, or, for a CAS claim, after the load that saw
 * the ownership end (a CS of the old owner stored before the fence or the
 * release that ended it).  A CAS claim also keeps its slot when another
 * claimer has moved the cursor on past `held` (claim.h, cursor_not_behind):
 * a CS's late store lands at or before the slot, never after `held`, and a
 * sweep that passed the slot since would have claimed it first (the claim
 * CAS then fails).  The CS compares for equality: one that finds the
 * cursor moved on gives the slot up, for the next lap (what giving up cost
 * two threads on one stripe before the CAS claims kept their slots:
 * bench/RESULTS.md, "What the cursor's checks against another CPU's CS
 * cost").
 */
struct own_at {
    atomic_u64 *cursor;
    uint64_t held;
};

/* Does a claim at `at` (NULL: not a sweep's) still find its cursor where
 * its move put it, or further on?  relaxed: the caller's load of the owner
 * (seq_cst, or the solo word's acquire) ordered this load after the end of
 * every CS that compared the cursor before the move (struct own_at). */
static inline bool own_at_holds(const struct midatlas *a, const struct own_at *at)
{
    return !at || cursor_not_behind(a, load_relaxed(at->cursor), at->held);
}

enum own_how {
    OWN_SWEEP,  /* a sweeper: may acquire an unowned chunk; foreign -> skip  */
    OWN_TAKE,   /* the scarce path: never acquires; foreign -> skip         */
    OWN_REVOKE  /* the exact path and FULL mode: must have the slot if it is
                   FREE, so revokes a foreign owner and waits out PENDING  */
};

/* Claim slot idx, whose word was read as the FREE word w, in an atlas whose
 * solo word is not SHARED (solo.h): by a CS under this CPU's ownership,
 * after acquiring, moving, sharing or helping as the word says (solo.c).
 * OWN_CLAIMED, OWN_LOST (the word changed: another call claimed it) or,
 * for a sweep's claim, OWN_MOVED; never OWN_FOREIGN. */
enum own_claim midatlas__solo_claim(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t ctx,
                                    uint32_t *count, const struct own_at *at);

/* Out of line (own.c): everything but a claim in a chunk this CPU owns. */
enum own_claim midatlas__own_claim_slow(struct midatlas *a, uint32_t idx, uint64_t w,
                                        uint64_t ctx, uint32_t *count, enum own_how how,
                                        const struct own_at *at);

/* The sweep left chunk k: give it up if this CPU owns it (own.c). */
void midatlas__own_leave(struct midatlas *a, uint32_t k);

/* The rotor handed chunk k out again while a CPU (or an acquirer's
 * PENDING) still holds it: take it back (revoke: a membarrier on the
 * owner's CPU), so that the sweep does not pass it by lap after lap
 * (own.c; sweep.c, take_slow, says when). */
void midatlas__own_reclaim(struct midatlas *a, uint32_t k);
/* Does a CPU other than cpu that maps to cpu's stripe own chunk k?  Then
 * several CPUs share the stripe (sweep.c, take_slow).  A chunk a revoker
 * holds (REVOKING) or an acquirer is taking (PENDING) is nobody's: no. */
bool midatlas__own_by_stripe_mate(struct midatlas *a, uint32_t k, uint32_t cpu);

/* FULL mode began (sweep.c, take_exact): revoke every owned chunk, so that
 * FULL mode's takes meet none (own.c). */
void midatlas__own_revoke_all(struct midatlas *a);

/* midatlas_validate: on a quiescent atlas no chunk is PENDING or REVOKING;
 * NULL, or what is wrong. */
const char *midatlas__own_check(struct midatlas *a);

/* midatlas_stats_ex: the chunks a CPU owns, each byte read once (own.c). */
uint32_t midatlas__own_count(struct midatlas *a);

#if MIDATLAS_HAVE_RSEQ
/* A CS of own_claim_rseq that the kernel aborted (own.c): an abort is not a
 * lost slot (FULL mode and the exact path count on that), so try again
 * while the thread still runs on an owning CPU, else as own_claim would. */
enum own_claim midatlas__own_claim_aborted(struct midatlas *a, uint32_t idx, uint64_t w,
                                           uint64_t ctx, uint32_t *count, enum own_how how,
                                           const struct own_at *at);

/* One CS claiming FREE word w of slot idx, in a chunk CPU cpu owns (owner
 * byte own), by a plain store; for a sweep's claim (at) only while the
 * cursor still holds its move.  RSEQ_DONE sets *count and the statistics. */
static inline enum rseq_result own_try_rseq(struct midatlas *a, uint32_t idx, uint64_t w,
                                            uint64_t ctx, uint32_t *count, uint32_t cpu,
                                            atomic_u8 *own, const struct own_at *at)
{
    bool skipped;
    /* Only w and desired live across the CS: the count and whether a
     * reserved MID was skipped are read back from desired (keeping them
     * made gcc spill a 32-bit count and reload it as 64 bits, a
     * store-forwarding stall that cost a third of the gain). */
    uint64_t desired = slot_live(slot_claim_begin(a, idx, w, &skipped), ctx);
    /* The store publishes the caller's writes to *ctx as the claim CAS's
     * release does (slot_claim), pairing with the same acquire loads: x86
     * stores are releases, and the CS is one thread's program order. */
    enum rseq_result r =
        at ? rseq_claim_store_held(cpu, own, (uint8_t)(cpu + 1), slot_word(a, idx), w, desired,
                                   at->cursor, at->held)
           : rseq_claim_store(cpu, own, (uint8_t)(cpu + 1), slot_word(a, idx), w, desired);
    if (__builtin_expect(r == RSEQ_DONE, 1)) {
        uint32_t next = slot_count(desired);
        slot_claim_end(a, w, next, next != ((slot_count(w) + 1) & SLOT_COUNT_MASK));
        *count = next;
    }
    return r;
}

/* A claim's CS found the slot word, or a sweep's cursor, changed: which
 * (a cursor put back first: then the sweep follows it). */
static inline enum own_claim own_changed(const struct midatlas *a, const struct own_at *at)
{
    return own_at_holds(a, at) ? OWN_LOST : OWN_MOVED;
}

/* Claim in a chunk this CPU owns; the rare outcomes go out of line, so
 * that the sweep around this keeps its values in registers. */
static inline enum own_claim own_claim_rseq(struct midatlas *a, uint32_t idx, uint64_t w,
                                            uint64_t ctx, uint32_t *count, uint32_t cpu,
                                            atomic_u8 *own, enum own_how how,
                                            const struct own_at *at)
{
    switch (own_try_rseq(a, idx, w, ctx, count, cpu, own, at)) {
    case RSEQ_DONE:
        return OWN_CLAIMED;
    case RSEQ_CHANGED:
        return own_changed(a, at);
    case RSEQ_ABORTED:
        break;
    }
    return midatlas__own_claim_aborted(a, idx, w, ctx, count, how, at);
}
#endif

/* How the common take claims (sweep.h, sweep_take_fast). */
enum claim_by {
    CLAIM_BY_CAS,   /* the claim CAS: no owner bytes, the solo word SHARED  */
    CLAIM_BY_CHUNK, /* a CS in a chunk this CPU owns (owner bytes, rseq.h)  */
    CLAIM_BY_SOLO   /* a CS under this CPU's ownership of the atlas (solo.h) */
};

/* How this atlas's common take claims. */
static inline enum claim_by claim_by_of(struct midatlas *a)
{
    if (a->owners)
        return CLAIM_BY_CHUNK;
    return solo_on(a) ? CLAIM_BY_SOLO : CLAIM_BY_CAS;
}

/*
 * The claim of the common take (sweep.h, sweep_take_fast): FREE word w of
 * slot idx, at cursor c of the stripe's cursor word `cursor`, becomes the
 * LIVE word desired, by CAS, or by one CS under this CPU's ownership of
 * the slot's chunk or of the whole atlas (by: a constant at each call; the
 * CS paths run in functions of their own, so that the CAS path keeps its
 * few registers).  The CS also moves the cursor from c to on (rseq.h,
 * rseq_claim_store_at), and fails if it was not c; after a CAS the caller
 * moves it (sweep.h, cursor_move).  False for everything else (lost,
 * another owner, the cursor moved, aborted: no slot was claimed); the full
 * sweep then looks again with own_claim.
 */
MIDATLAS_ALWAYS_INLINE
static inline bool own_claim_fast(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t desired,
                                  enum claim_by by, atomic_u64 *cursor, uint64_t c, uint64_t on)
{
#if MIDATLAS_HAVE_RSEQ
    if (by != CLAIM_BY_CAS) {
        int32_t cpu = rseq_cpu();
        if (cpu < 0 || (uint32_t)cpu > OWNER_MAX_CPU)
            return false;
        atomic_u8 *own;
        uint8_t o;
        /* relaxed: hints, as in own_claim; the CS compares again. */
        if (by == CLAIM_BY_CHUNK) {
            own = owner_of(a, idx >> a->chunk_shift);
            o = load8_relaxed(own);
        } else {
            own = solo_owner_byte(a);
            o = solo_state(solo_word(a));
        }
#if MIDATLAS_BROKEN != 4 /* deliberately broken: as in own_claim */
        if (o != (uint8_t)(cpu + 1))
            return false;
#else
        (void)o;
#endif
        /* The store publishes as the claim CAS's release does (own_try_rseq). */
        return rseq_claim_store_at((uint32_t)cpu, own, (uint8_t)(cpu + 1), slot_word(a, idx), w,
                                   desired, cursor, c, on) == RSEQ_DONE;
    }
#else
    (void)by;
#endif
    (void)cursor, (void)c, (void)on;
    return slot_claim_cas(a, idx, w, desired);
}

/* Would a sweep's claim of slot idx meet another CPU's chunk (OWN_FOREIGN:
 * an owner byte that is neither NONE nor this CPU's)?  relaxed: a hint,
 * read before the sweep moves the cursor; the claim decides. */
static inline bool own_by_another(struct midatlas *a, uint32_t idx)
{
#if MIDATLAS_HAVE_RSEQ && MIDATLAS_BROKEN != 4 /* broken: claims in any chunk */
    if (!a->owners)
        return false;
    uint8_t o = load8_relaxed(owner_of(a, idx >> a->chunk_shift));
    if (o == OWNER_NONE)
        return false;
    int32_t cpu = rseq_cpu();
    return cpu < 0 || (uint32_t)cpu > OWNER_MAX_CPU || o != (uint8_t)(cpu + 1);
#else
    (void)a, (void)idx;
    return false;
#endif
}

/* Claim slot idx, whose word was read as the FREE word w (how: who asks;
 * at: a sweep's cursor, else NULL). */
static inline enum own_claim own_claim(struct midatlas *a, uint32_t idx, uint64_t w,
                                       uint64_t ctx, uint32_t *count, enum own_how how,
                                       const struct own_at *at)
{
#if MIDATLAS_HAVE_RSEQ
    if (a->owners) {
        atomic_u8 *own = owner_of(a, idx >> a->chunk_shift);
        int32_t cpu = rseq_cpu();
        /* relaxed: a hint; the CS compares the owner again before its
         * commit, on the CPU whose threads alone may change it to us. */
#if MIDATLAS_BROKEN == 4
        /* Deliberately broken: claim by store in any chunk, owned or not,
         * by this CPU or another (the CS checks no owner either). */
        if (cpu >= 0 && (uint32_t)cpu <= OWNER_MAX_CPU)
            return own_claim_rseq(a, idx, w, ctx, count, (uint32_t)cpu, own, how, at);
#endif
        if (cpu >= 0 && (uint32_t)cpu <= OWNER_MAX_CPU &&
            load8_relaxed(own) == (uint8_t)(cpu + 1))
            return own_claim_rseq(a, idx, w, ctx, count, (uint32_t)cpu, own, how, at);
        return midatlas__own_claim_slow(a, idx, w, ctx, count, how, at);
    }
    /* solo.c also takes a sweep's claim in an atlas made SHARED after a CPU
     * owned it (its solo word is then not 0: the epoch counts the moves
     * into REVOKING, solo.h), for the check of struct own_at: a CS of the
     * old owner may have put the cursor back before its ownership ended.
     * A word of 0 never had an owner: no CS ever claimed there. */
    if (solo_on(a) || (at && solo_word(a) != 0))
        return midatlas__solo_claim(a, idx, w, ctx, count, at);
#else
    /* No CS anywhere: nothing stores the cursor behind a sweep's move
     * (struct own_at). */
    (void)how, (void)at;
#endif
    return slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED : OWN_LOST;
}

#endif /* MIDATLAS_OWN_H */
