/* SPDX-License-Identifier: MIT */
/*
 * sweep.h - finding a free slot: a rotating sweep over the slot words, and a
 * claim that is one CAS from FREE to LIVE.
 *
 * There are no free lists.  A slot is free when its word says FREE
 * (word.h), and associate claims it with one compare-and-swap that makes it
 * LIVE with the next count and the caller's context: the CAS is the
 * allocation and the publication at once.  Ending an association is one CAS
 * back to FREE.  So a MID cycle costs two locked instructions (claim and
 * end), where a free list costs three (pop, slot, push), and no call ever
 * holds a slot that other threads cannot see.
 *
 * Where to look (rotation).  The slots are cut into chunks of 2^chunk_shift
 * consecutive slots.  An atlas-wide rotor hands the chunks out in order,
 * round and round; a thread sweeps the chunk it got from its stripe's cursor
 * up, claiming the FREE slots it meets, then takes the next chunk from the
 * rotor.  So the atlas is swept in one global order, a slot freed behind the
 * sweep waits until the sweep comes round again, and a MID value comes back
 * only after about (free slots) x 2^generation_bits handouts: rotation, as
 * with a FIFO, from one relaxed fetch-add per chunk.  Threads sweep different
 * chunks, so they do not share slot lines while they take.
 *
 * Order.  A whole chunk is swept two slots per cache line in turn
 * (sweep_next), the even chunks from their last line down and the odd ones
 * from their first line up, and in an atlas of 8 chunks or more the rotor
 * hands the chunks out in a stride coprime to their number (chunk_stride);
 * all are permutations, so every slot is still met once a lap.  Why:
 *   - in index order a receiver that frees a slot a few handouts after a
 *     sender claimed it does so on the very line the sender is claiming in
 *     (pipeline 0.78x of the LIFO lists at capacity 4096, 1.03x to 1.26x
 *     with the lines in turn; at capacity 64, 0.76x and about 1.0x);
 *   - one slot per line in turn moved a line between the sender's and the
 *     receiver's CPUs at every claim; two per visit halve that, and the
 *     receiver still frees on lines the sender has left (AMD EPYC, medians
 *     of 41 against the LIFO lists, 1 / 2 senders: pipeline 64 1.25 /
 *     1.12 with pairs, 1.00 / 0.80 with single slots; four per visit
 *     did no better than single slots in one noisy run);
 *   - a sweep that visits lines in one direction, over and over, is
 *     followed by the hardware prefetchers past its chunk, into lines that
 *     another CPU writes.  Two threads sweeping neighbouring chunks lost
 *     2-thread churn to that (0.8x at 4096, 0.86x at 64).  So chunks
 *     swept at once are not neighbours where there are enough of them (the
 *     stride), and where there are not (an atlas of two chunks: capacity
 *     64 on 2 CPUs) the two sweeps walk away from each other, the first
 *     towards the header and the second towards the stripes, which a gap
 *     keeps out of reach (atlas.h, MIDATLAS_STRIPE_GAP).  The reading is
 *     the likely one, not a proven one: the VM that measured it has no
 *     hardware counters.
 *
 * Prefetching (prefetch.h).  A claim that leaves a line asks for the line
 * it will claim in two lines on (sweep_ahead), a chunk taken from the
 * rotor for the lines of its first claims (sweep_line_entered), and the
 * common take for the line at its cursor before it loads the word: a line
 * another CPU wrote last (the receiver that freed its slots, the thread
 * that swept the chunk a lap ago) then travels while the caller does
 * other work, not while its claim waits.
 *
 * Owned chunks (the rseq claim path, rseq.h).  In an atlas of 4 chunks per
 * stripe or more, the CPU that sweeps a chunk owns it while it does, and
 * claims there with a plain store in a restartable sequence instead of the
 * CAS (own.h); a sweep that meets another CPU's chunk takes the next one,
 * unless the thread moved CPUs (it goes on from its new CPU's cursor) or
 * the rotor has just handed that chunk out (a lap after its owner took it:
 * it is taken back, sweep.c, take_slow).
 *
 * Stripes.  A thread's cursor lives on its home stripe (the CPU it runs on,
 * read once per chunk), so threads running at once keep separate cursors.
 * Threads that share a stripe share its cursor (the threads of one CPU,
 * and threads that moved CPUs in mid-chunk).
 *
 * Cursor.  Within a visit of a chunk the cursor only moves on: a claim
 * through it first moves it from the value it read (c, at or before the
 * slot) to past the slot, and claims only if that move succeeded: the
 * common take in the same CS as its claim, before the commit (the rseq
 * paths, rseq.h rseq_claim_store_at), or by a CAS before its claim CAS;
 * the full sweep by a CAS before its claim.  A move that fails means that
 * another claimer moved the cursor first; the claim is not made.  So no
 * slot is claimed twice in one visit: a second claimer would need its slot
 * word load to show an ending of the first claim (by the claimer or by
 * anyone: a receiver), which reads the claim, which comes after the move
 * past the slot; so its re-check of the cursor sees that move and it
 * follows the cursor instead.  Before 2026-12-04 the cursor was
 * moved by a plain store after the claim: a claimer stopped between the
 * two put the cursor back over every slot the other threads of its stripe
 * had claimed and freed meanwhile, and they came again at once
 * (tests/lifecycle/test_cursor_back.c; under TSan, reuse.distance found a
 * MID value back after 1722 handouts at capacity 32768, with slots handed
 * out three times in one visit).  The first fix moved the cursor after the
 * claim, by CAS: a slot ended by another thread (a receiver) before the
 * claimer's move was still at the cursor, and came again
 * (test_cursor_back.c, the foreign-ender cases).  What it costs: on the
 * CAS path one more locked instruction per take (the cursor's line is the
 * stripe's own); on the rseq paths a compare and a store inside the
 * claim's CS.
 *   The CS's compare and store are one step only for the threads of its
 * CPU.  A thread that moved to another CPU in mid-chunk sweeps the old
 * stripe's cursor by CAS (sweep.c, take_slow), so a CS of the old CPU
 * may compare before that move and store its value after it, behind the
 * slot the move passed.  The full sweep's claim therefore checks, where a
 * CS could have done so, that the cursor is not behind its move (a CAS
 * claim compares places in the sweep order, claim.h cursor_not_behind; a
 * CS, equality), and follows the cursor if it is (own.h, struct own_at).
 * And a sweep looks at the chunk's owner before its move, so that it
 * never moves the cursor back: a move back onto the slot it passed, after
 * its claim met another CPU's chunk, succeeded even where that CPU's CS
 * had meanwhile claimed the slot and stored the very value the move had
 * (sweep_chunk, OWN_FOREIGN).  Both found in review on 2026-12-05
 * (tests/model/midatlas_cursor.pml with CPUS 1;
 * tests/lifecycle/test_cursor_put_back.c).  The common take needs no such
 * check: its CS runs on the owning CPU, and its CAS path runs only in an
 * atlas it read SHARED, whose last owner's stores that read orders before
 * the cursor's CAS (x86: a load is not passed by a later locked
 * instruction).
 *
 * Laps.  A stripe's cursor can be left behind: its threads stop in the
 * middle of a chunk (descheduled, or busy elsewhere) while the others go
 * on round the atlas.  Had its visit gone on however late, it would hand
 * out slots that the chunk's previous visit had handed out a lap before,
 * soon before their next visit; and once the rotor had handed the chunk
 * out again, slots that another stripe's visit had just handed out and
 * freed: with one generation bit (capacity 32768), a MID value back within
 * a few hundred handouts (reuse.distance under ASan, 4 threads on a
 * loaded 2-core machine; tests/reuse/stale.c makes the stall).  So every
 * visit has a ticket (the rotor's, carried in the cursor, claim.h), each
 * chunk a stamp (atlas.h, stamp_of), and a visit claims only while its
 * ticket is its chunk's stamp (visit_on: one load of a line that the
 * visit's own take wrote, and a compare, after the slot word's load).
 * A take stamps its chunk, which ends any older visit of it, and ends the
 * visit handed out visit_tickets tickets before it (sweep.c,
 * visit_begin): a quarter of a lap, at least two tickets per stripe, at
 * most a lap (create.c).  A visit that ended is done: the sweep takes the
 * next chunk, and the slots it left wait a lap more.  So two handouts of
 * one slot are at least nchunks - visit_tickets tickets apart, give or
 * take how soon an end's store reaches the late visit's CPU; unless the
 * taker that is to end the visit stalls between its fetch-add and that
 * end: the old visit then claims on until its chunk's next stamp (but
 * never after a newer visit of its chunk claimed: tests/model/
 * midatlas_visits.pml checks that order whatever stalls, and the distance
 * with takes that do not stall).  Why after
 * the word's load: a later visit's claim and free of the slot follow its
 * stamp, so a word that shows them (the acquire load) makes the stamp
 * load show it; a word read before them makes the claim CAS fail (their
 * claim changed the count).  Why not compare the ticket with the rotor
 * itself: every take writes the rotor, and one load of it per claim made
 * 2-thread churn 0.65x at capacity 64 and 0.80x at 4096 (bench-ab, AMD
 * EPYC, medians of 40).  The cursor itself never moves back within a
 * visit ("Cursor", above).
 *
 * Scarce atlases.  When a claim had to pass over at least scarce_skip used
 * slots (half the atlas), few slots are free and rotation cannot buy reuse
 * distance any more: for the next SCARCE_CALLS associates of this thread on
 * this atlas (more if it stays scarce: a spell's end looks at one chunk),
 * the slot the thread last freed is tried first (one load and a CAS instead
 * of a sweep over used slots).  So
 * an atlas more than half in use reuses a thread's own freed slot at once,
 * as a LIFO list would: the stale window then shrinks towards what the free
 * slots allow (midatlas.h, "Stale window").
 *
 * EFULL.  A call that took a whole lap of chunks without a claim reads every
 * slot word twice (sweep.c): if no word was FREE and the counts summed over
 * all slots did not change between the two collects, then at the instant
 * between them every usable slot was live or discarded, and EFULL is the
 * truth (a slot can leave FREE only by a claim, and a claim advances the
 * count).  Otherwise it claims what it found or tries again.  A proof that
 * holds puts the atlas in FULL mode (full.h), where the slow path takes a
 * slot that a free recorded, or answers EFULL, without sweeping.
 */
#ifndef MIDATLAS_SWEEP_H
#define MIDATLAS_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"
#include "claim.h"
#include "hooks.h"
#include "own.h"
#include "prefetch.h"

/* Associates that try the last freed slot first once the atlas is found
 * scarce; doubled (up to SCARCE_CALLS_MAX) each time it is still scarce at
 * the end of a spell (sweep.c, still_scarce), so that an atlas kept all but
 * full looks at a chunk ever more rarely. */
#define SCARCE_CALLS 64u
#define SCARCE_CALLS_MAX 4096u
/* Scarce spells per high-water sample (each sample reads every slot word
 * twice). */
#define SCARCE_SAMPLE_EVERY 16u

/* ---- out of line -------------------------------------------------------- */

/* The number of FREE slots at one instant during the call, and the handouts
 * the slot counts record (sweep.c); false when the slots kept changing. */
bool midatlas__sweep_snapshot(struct midatlas *a, uint32_t *free_slots, uint64_t *handouts);

/* Record usable - free at one instant in the high-water mark; records
 * nothing when no instant's figure could be had. */
void midatlas__sweep_sample_high_water(struct midatlas *a);

/* ---- take --------------------------------------------------------------- */

enum sweep_result { SWEEP_CLAIMED, SWEEP_DRY, SWEEP_MOVED, SWEEP_FOREIGN };

/* The first slot of the pair `steps` pairs after slot i's in the sweep of
 * i's whole chunk (descending: its direction), round the chunk (the pairs'
 * order: claim.h, sweep_pair_of). */
static inline uint32_t sweep_pair_ahead(const struct midatlas *a, uint32_t i, uint32_t steps,
                                        bool descending)
{
    uint32_t base = i & ~a->perm_back;
    uint32_t off = sweep_offset(a, i, descending);
    uint32_t shift = a->chunk_shift - 3; /* L = 2^shift packed lines */
    uint32_t lines = (uint32_t)1 << shift;
    uint32_t p = sweep_pair_of(a, off);
    p = (p + steps) & ((a->chunk_slots >> 1) - 1);
    uint32_t to = 8 * (p & (lines - 1)) + 2 * (p >> shift);
    return descending ? base + a->perm_back - to : base + to;
}

/* A slot of the line the sweep of i's whole chunk enters
 * PREFETCH_LINES_AHEAD line changes after slot i's (descending: its
 * direction), round the chunk, four claims ahead in the pair order
 * (sweep_step).  Every pair step is a line change, packed (consecutive
 * pairs lie on different lines of the chunk) or spread (a line is a
 * pair).  Never outside the chunk: the next chunk is likely another
 * thread's.  i is the last slot of its pair (sweep_step calls this when
 * it leaves a line).  Spread, the pair that many pairs on
 * (sweep_pair_ahead: a few shifts and masks, no branch); packed, any
 * slot of the line does: i's offset plus or minus that many packed
 * lines, masked with perm_back (chunks are whole lines, aligned to their
 * size), three instructions where the general formula cost 3% of a churn
 * cycle at one thread.  A loop that stepped the spread sweep ahead pair
 * by pair (two compares a step) made lookup at capacity 64, one thread,
 * 5% slower than this formula (bench/RESULTS.md, "The spread prefetch's
 * target"). */
static inline uint32_t sweep_ahead(const struct midatlas *a, uint32_t i, bool descending)
{
    if (a->slot_shift != 0)
        return sweep_pair_ahead(a, i, PREFETCH_LINES_AHEAD, descending);
    const uint32_t lines = PREFETCH_LINES_AHEAD * (MIDATLAS_CACHE_LINE / sizeof(uint64_t));
    uint32_t to = descending ? i - lines : i + lines;
    return (i & ~a->perm_back) | (to & a->perm_back);
}

/* The slot after slot i in the sweep of the chunk that ends at end, or end
 * after its last slot.  A whole chunk (one that ends at or below perm_end,
 * atlas.h: all but a partial last one) is swept two neighbouring slots
 * (a pair: an even slot and the odd one above it; in a spread atlas, a
 * line of its own) per packed cache line in turn:
 * ascending, from an even slot to its pair's odd one (i + 1), from there
 * to the next line's pair (i + 7), and past the chunk's end back to the
 * next pair of its first line (i + 9 - chunk_slots), its last slot the
 * chunk's last; descending, the mirror image: from the chunk's last slot,
 * i - 1 within a pair, i - 7 to the line below, and below its base up to
 * the last line's pair below (i - 8 + perm_back), its last slot the
 * chunk's first.  A partial chunk is swept in index order.  So a
 * cursor holds the slot itself, and a step costs a few adds and compares.
 *
 * prefetch (a constant at each call): a claim's step that leaves i's line
 * also asks for the line sweep_ahead names (prefetch.h says why). */
static inline uint32_t sweep_step(const struct midatlas *a, uint32_t i, uint32_t end,
                                  bool prefetch)
{
    if (end > a->perm_end)
        return i + 1;
    if (sweep_descends(a, end)) {
        uint32_t base = end - a->chunk_slots;
        if (i == base)
            return end;
        if (i & 1) /* the pair's second slot (base is a multiple of 8) */
            return i - 1;
        if (prefetch)
            slot_prefetch(a, sweep_ahead(a, i, true));
        /* Compared before subtracting: i - 7 wraps below slot 0. */
        return i >= base + 8 ? i - 7 : i - 8 + a->perm_back;
    }
    if (i + 1 == end)
        return end;
    if (!(i & 1))
        return i + 1;
    if (prefetch)
        slot_prefetch(a, sweep_ahead(a, i, false));
    uint32_t n = i + 7;
    return n < end ? n : n + 1 - a->perm_back;
}

/* A slot of the k-th line (from 0) that the sweep of a chunk enters from
 * its first cursor c (next_chunk's: the first slot of its sweep), or
 * UINT32_MAX past the chunk's lines.  In a whole chunk the k-th pair of
 * the order while every line is new (its lines: L packed, a pair each
 * spread), in the partial last chunk, swept in index order, a line's
 * slots on (8, or 2 spread).  Chunks start at multiples of their size. */
static inline uint32_t sweep_line_entered(const struct midatlas *a, uint64_t c, uint32_t k)
{
    uint32_t i = cursor_pos(c), end = cursor_end(c);
    if (end <= a->perm_end) {
        if (k >= a->chunk_slots / slots_per_line(a))
            return UINT32_MAX;
        return sweep_pair_ahead(a, i, k, sweep_descends(a, end));
    }
    uint32_t at = i + k * slots_per_line(a);
    return at < end ? at : UINT32_MAX;
}

/* The slot after slot i in the sweep (sweep_step, no prefetch). */
static inline uint32_t sweep_next(const struct midatlas *a, uint32_t i, uint32_t end)
{
    return sweep_step(a, i, end, false);
}

/* Is the visit of cursor c, about to claim slot i of its chunk, still on
 * ("Laps", above)?  Its ticket is still its chunk's stamp: the chunk has
 * not been handed out again since, and its visit has not run out.  One
 * relaxed load of a line the visit's own take wrote, and a compare; called
 * after the load of the slot word to be claimed.  Stamps and cursors keep
 * 30 bits of the ticket (stamp_make): a visit that stalls for 2^30
 * tickets, give or take a lap, may pass as on. */
static inline bool visit_on(const struct midatlas *a, uint64_t c, uint32_t i)
{
    /* relaxed: the order comes from the slot word's acquire load before
     * it, which pairs with the seq_cst CAS that freed the slot (dissociate,
     * release, drain): a free by a later visit's claimer follows that
     * visit's stamp store (sweep.c, visit_begin), so this load reads that
     * stamp or a later one. */
#if MIDATLAS_BROKEN == 5 /* deliberately broken: visits never end */
    (void)a, (void)c, (void)i;
    return true;
#else
    return load32_relaxed(stamp_of(a, i >> a->chunk_shift)) == cursor_ticket(c);
#endif
}

/*
 * Move stripe s's cursor from c to `to`, if it is still c (sweep.h,
 * "Cursor"); false if another thread moved it first.  relaxed: the move
 * past a slot comes before its claim (a release CAS, or the CS's store),
 * which every ending of the slot reads (its seq_cst CAS), and the next
 * claimer's acquire load of the freed word sees that ending: so its
 * re-check of the cursor sees the move, whoever ended the slot.
 */
static inline bool cursor_move(struct stripe *s, uint64_t c, uint64_t to)
{
    return cas_relaxed(&s->cursor, &c, to);
}

/*
 * Sweep stripe s's chunk from cursor c (as read from s) up to its end,
 * claiming the first FREE slot, after moving the cursor past it
 * ("Cursor"): SWEEP_CLAIMED (*idx, *count), SWEEP_DRY (nothing left in the chunk, or the
 * visit ran out: visit_on),
 * SWEEP_FOREIGN (another CPU owns the chunk, rseq.h), or SWEEP_MOVED:
 * another thread of the stripe moved the cursor since c was read.  Then
 * this thread was stalled in its sweep, and going on from its old position
 * would hand out slots behind the sweep, a shorter reuse distance for
 * them: it follows the cursor instead.  The check is right
 * before the claim, so only a thread stalled in those few instructions
 * still claims behind (like the old free lists' epoch re-check).  *skipped
 * counts the used slots passed over.
 */
static inline enum sweep_result sweep_chunk(struct midatlas *a, struct stripe *s, uint64_t c,
                                            uint64_t ctx, uint32_t *idx, uint32_t *count,
                                            uint32_t *skipped)
{
    uint32_t end = cursor_end(c);
    for (uint32_t i = cursor_pos(c); i < end; i = sweep_next(a, i, end)) {
        /* acquire: pairs with the seq_cst CAS that freed the slot
         * (dissociate, release, drain), as every read of a slot word that
         * may decide an answer must (see sweep.c, "Orders"). */
        uint64_t w = load_acquire(slot_word(a, i));
        if (!slot_is_free(w)) {
            (*skipped)++;
            continue;
        }
        /* relaxed: the cursor is a hint; the claim CAS decides. */
        if (__builtin_expect(load_relaxed(&s->cursor) != c, 0))
            return SWEEP_MOVED;
        if (__builtin_expect(!visit_on(a, c, i), 0))
            return SWEEP_DRY;
        /* Another CPU's chunk is left to that CPU before the cursor moves
         * (OWN_FOREIGN below says why the cursor must not move back). */
        if (__builtin_expect(own_by_another(a, i), 0))
            return SWEEP_FOREIGN;
        /* Move the cursor past slot i before claiming it ("Cursor"). */
        uint64_t past = cursor_at(c, sweep_step(a, i, end, true));
        if (!cursor_move(s, c, past))
            return SWEEP_MOVED;
        MIDATLAS_HOOK(MIDATLAS_HOOK_CURSOR_MOVED, i);
        struct own_at at = {&s->cursor, past};
        switch (own_claim(a, i, w, ctx, count, OWN_SWEEP, &at)) {
        case OWN_CLAIMED:
            MIDATLAS_HOOK(MIDATLAS_HOOK_CLAIMED, i);
            *idx = i;
            return SWEEP_CLAIMED;
        case OWN_LOST: /* another claimer took it: the sweep goes on */
            add_relaxed(&s->cas_failures, 1);
            c = past;
            break;
        case OWN_FOREIGN:
            /* The chunk became another CPU's, or REVOKING, since
             * own_by_another looked, or this thread moved to another CPU
             * since (rare windows of a few instructions): leave it to that
             * CPU (take_slow says how).  Slot i stays FREE behind the
             * cursor until the chunk's next visit.  Moving the cursor back
             * onto it, as the sweep did before 2026-12-05 (and with no
             * look before the move, at every meeting of another CPU's
             * chunk), is not safe: that CPU's CS may have compared the
             * cursor before our move, claimed slot i and stored the very
             * value we stored, so the CAS back succeeds and the cursor
             * stands at a slot claimed in this visit
             * (tests/model/midatlas_cursor.pml, mutant 7;
             * tests/lifecycle/test_cursor_put_back.c, foreign_move_back).
             * Leaving a slot behind at every meeting instead brought slots
             * back within half a lap (reuse.lap.migrating.rseq). */
            return SWEEP_FOREIGN;
        case OWN_MOVED:
            /* The cursor is behind our move, put back by a CS of another
             * CPU (or, for a claim by CS, moved at all: own.h, struct
             * own_at).  Nothing was claimed: follow it. */
            return SWEEP_MOVED;
        }
    }
    return SWEEP_DRY;
}

/*
 * The common take, in a few dozen instructions and no call: the slot at the
 * home stripe's cursor is FREE and its claim (own_claim_fast, as `by`
 * says: the CAS, or the store under this CPU's ownership of the chunk or of
 * the atlas) succeeds.  *mid is the MID.  Anything else (a scarce spell, an
 * empty cursor, a used slot, a claim that may skip a reserved MID or wrap
 * the slot's handouts, a visit that ran out, a lost claim, a
 * chunk this CPU does not own)
 * returns false and leaves the take to midatlas__sweep_take_swept.  A
 * thread's first take goes there too: it numbers the thread's stripe from
 * its CPU (sweep_hints), so that new threads do not all share stripe 0's
 * cursor, where a stalled one claims behind the sweep.  Like the sweep, it looks at the cursor again
 * right before its claim (sweep_chunk says why).
 */
MIDATLAS_ALWAYS_INLINE
static inline bool sweep_take_fast(struct midatlas *a, uint64_t ctx, uint16_t *mid,
                                   enum claim_by by)
{
    struct midatlas__sweep_tls *t = &midatlas__sweep_tls;
    if (__builtin_expect(t->scarce_serial == a->serial || !t->set, 0))
        return false;
    struct stripe *s = stripe_of(a, t->own);
    uint64_t c = load_relaxed(&s->cursor);
    uint32_t i = cursor_pos(c), end = cursor_end(c);
    if (__builtin_expect(i >= end, 0))
        return false;
    /* Ask for the line exclusive before the load (prefetch.h: in the
     * pipeline this paid on its own). */
    slot_prefetch(a, i);
    /* acquire: as in sweep_chunk. */
    uint64_t w = load_acquire(slot_word(a, i));
    if (!slot_is_free(w))
        return false;
    uint32_t next = (slot_count(w) + 1) & SLOT_COUNT_MASK; /* as count_next */
    uint16_t m = mid_make(a, next & a->gen_mask, i);
    /* The claims that may skip a reserved MID or wrap the slot's handouts
     * (a statistic) are left to slot_claim. */
    if (__builtin_expect(mid_maybe_reserved(m) || next == SLOT_COUNT_MASK, 0))
        return false;
    /* relaxed: a hint, as in sweep_chunk: a thread stalled since it read
     * c follows the cursor (the full take) rather than claim behind the
     * sweep. */
    if (__builtin_expect(load_relaxed(&s->cursor) != c, 0))
        return false;
    /* A visit that ran out ("Laps"): the full take moves on. */
    if (__builtin_expect(!visit_on(a, c, i), 0))
        return false;
    MIDATLAS_HOOK(MIDATLAS_HOOK_CLAIM_FOUND, i);
    uint64_t on = cursor_at(c, sweep_step(a, i, end, true));
    /* The cursor moves past slot i before the claim ("Cursor"): in the
     * CS with it, or by a CAS before the claim CAS (failed: another thread
     * moved it; the full take follows it). */
    if (by == CLAIM_BY_CAS && !cursor_move(s, c, on))
        return false;
    if (!own_claim_fast(a, i, w, slot_live(next, ctx), by, &s->cursor, c, on)) {
        if (by == CLAIM_BY_CAS) /* a CAS lost: the contention statistic (atlas.h) */
            add_relaxed(&s->cas_failures, 1);
        return false;
    }
    MIDATLAS_HOOK(MIDATLAS_HOOK_CLAIMED, i);
    *mid = m;
    return true;
}

/* The common take missed: the full take of sweep.c (FULL mode and scarce
 * spells first, then the rest of the cursor's chunk, chunks from the rotor,
 * the exact path); false only for EFULL.  *mid as sweep_take's. */
bool midatlas__sweep_take_swept(struct midatlas *a, uint64_t ctx, uint16_t *mid);

/*
 * Claim a free slot for the context bits ctx (the claim publishes them):
 * *mid is its MID.  False only when, at one instant during the call, every
 * usable slot was live or discarded.
 */
static inline bool sweep_take(struct midatlas *a, uint64_t ctx, uint16_t *mid)
{
    if (sweep_take_fast(a, ctx, mid, claim_by_of(a)))
        return true;
    return midatlas__sweep_take_swept(a, ctx, mid);
}

/* ---- after a free ------------------------------------------------------- */

/* Remember slot idx as the one this thread freed last (the scarce path's
 * first try).  Thread-local: no shared line is written. */
static inline void sweep_note_freed(struct midatlas *a, uint32_t idx)
{
    midatlas__sweep_tls.freed_serial = a->serial;
    midatlas__sweep_tls.freed = idx;
}

#endif /* MIDATLAS_SWEEP_H */
