/* SPDX-License-Identifier: MIT */
/*
 * solo.c - claiming in an atlas one CPU owns whole: acquiring it, moving
 * it with its thread, sharing it for good, and helping a stalled revoker.
 * The protocol and why: solo.h; the model that checks it:
 * tests/model/midatlas_solo.pml.
 */
#include "own.h"

#if MIDATLAS_HAVE_RSEQ

static uint64_t solo_make(uint8_t state, uint64_t word_with_epoch)
{
    return (word_with_epoch & ~(uint64_t)0xFF) | state;
}

/* This thread, as the solo word's owning thread names it: the address of
 * its hints, unique among the threads alive (a hint: a thread that takes
 * over a dead one's address may move an ownership instead of sharing it,
 * which is a move like any other). */
static uint64_t this_thread(void)
{
    return (uint64_t)(uintptr_t)sweep_hints();
}

/* This thread owns the atlas from now on (it acquired it, or is moving it
 * here): record it, and the rotor, for the next thread that meets its
 * ownership from another CPU (solo_claim_moves).  Both hints, relaxed:
 * they choose between a move and a share, each safe whatever they say; a
 * move's record is published by its last CAS (seq_cst), which the acquire
 * load of the solo word in midatlas__solo_claim reads. */
static void solo_record_owner(struct midatlas *a)
{
    store_relaxed(&a->solo_thread, this_thread());
    store32_relaxed(&a->solo_rotor, load32_relaxed(&a->rotor));
}

/* A claimer with rseq met another CPU's ownership: does it move it here
 * (rather than share the atlas for good)?  The owning thread, migrated,
 * always does.  Another thread does when the owner made at least
 * SOLO_HANDOVER_CLAIMS claims since the ownership last changed hands (the
 * rotor hands out a chunk per chunk_slots claims): the atlas was one
 * thread's for that long, and the move's membarrier is paid back by the
 * claims the store path saves if the new thread keeps it as long.  Two
 * threads that keep claiming from two CPUs do not: the one that meets the
 * other's fresh ownership shares it ("handover", solo.h). */
static bool solo_claim_moves(struct midatlas *a)
{
    if (load_relaxed(&a->solo_thread) == this_thread())
        return true;
    uint32_t tickets = (SOLO_HANDOVER_CLAIMS + a->chunk_slots - 1) >> a->chunk_shift;
    return load32_relaxed(&a->rotor) - load32_relaxed(&a->solo_rotor) >= tickets;
}

/* UNOWNED -> CPU cpu + 1 (acquire), or -> SHARED for a thread without rseq
 * (cpu < 0).  Nothing when the word changed since it was read. */
static void solo_acquire(struct midatlas *a, uint64_t word, int32_t cpu)
{
    uint8_t to = cpu < 0 ? SOLO_SHARED : (uint8_t)(cpu + 1);
    /* seq_cst: every transition of the solo word is, so that the word's
     * history is one order that every claimer sees; no CS claimed and no
     * CAS claimer claims under UNOWNED, so nothing else need be fenced. */
    if (cas_seq_cst(&a->solo, &word, solo_make(to, word)) && cpu >= 0)
        solo_record_owner(a);
}

/*
 * Throw out CPU owner - 1, whose ownership the word shows: REVOKING with the
 * next epoch, a membarrier on that CPU, then `to` (this thread's CPU + 1: a
 * move; SHARED: a share).  The last CAS fails when a helper ended our
 * REVOKING first (it made the atlas SHARED): nothing more to do.  Nothing
 * when the word changed since it was read.
 */
static void solo_take_over(struct midatlas *a, uint64_t word, uint8_t to)
{
    uint64_t revoking = solo_make(SOLO_REVOKING, word + SOLO_EPOCH_ONE);
    /* seq_cst: as solo_acquire's.  After it, no CS passes its state check
     * (it reads REVOKING, or a later state that is not its CPU's). */
    if (!cas_seq_cst(&a->solo, &word, revoking))
        return;
    /* A mover records itself now, before its last CAS, which then
     * publishes the record with the new owner: whoever meets that owner
     * reads this thread (and a fresh rotor), not the thread before, and
     * shares.  Recorded after the CAS, the thread before could still read
     * itself, move back, and the two could trade the atlas to and fro
     * (model mutant 7). */
    if (to != SOLO_SHARED)
        solo_record_owner(a);
    /* A CS of the old owner in flight (it passed its state check before
     * our CAS) has committed or aborted when this returns (model mutant 1). */
    midatlas__rseq_fence_cpu((uint32_t)solo_state(word) - 1u);
    /* seq_cst: as above.  A CAS, not a store: a helper may have made it
     * SHARED meanwhile, for good (mutant 5). */
    (void)cas_seq_cst(&a->solo, &revoking, solo_make(to, revoking));
}

/* A claimer read (REVOKING, e): the revoker may be preempted for good, so
 * end it without waiting.  A membarrier on every CPU first: whichever CPU
 * owned the atlas before, its CS that passed the state check before that
 * REVOKING is over by the end (mutant 2).  The CAS compares the epoch too:
 * a later REVOKING (the owner moved on and is being thrown out again) has
 * not had its fence yet (mutant 3). */
static void solo_help(struct midatlas *a, uint64_t word)
{
    midatlas__rseq_fence_all();
    /* seq_cst: as solo_acquire's. */
    (void)cas_seq_cst(&a->solo, &word, solo_make(SOLO_SHARED, word));
}

enum own_claim midatlas__solo_claim(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t ctx,
                                    uint32_t *count, const struct own_at *at)
{
    for (;;) {
        int32_t cpu = rseq_cpu();
        if (cpu > (int32_t)OWNER_MAX_CPU)
            cpu = -1; /* no owner byte names it: as a thread without rseq */
        /* acquire: pairs with the seq_cst CASes of the transitions; the
         * SHARED a claimer reads was stored after the fence that ended
         * every CS of the old owner, whose stores it then sees. */
        uint64_t word = load_acquire(&a->solo);
        uint8_t s = solo_state(word);
#if MIDATLAS_BROKEN == 4
        /* Deliberately broken: claim by store whatever the state (the CS
         * checks no owner either), from any CPU. */
        if (cpu >= 0 && s != SOLO_SHARED)
            s = (uint8_t)(cpu + 1);
#endif
        /* A sweep's claim checks its cursor (own.h, struct own_at) after
         * this acquire load, or in its CS: the SHARED read here came after
         * the fence that ended the old owner's last CS. */
        if (s == SOLO_SHARED)
            return !own_at_holds(a, at)                ? OWN_MOVED
                   : slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED
                                                       : OWN_LOST;
        if (cpu >= 0 && s == (uint8_t)(cpu + 1)) {
            enum rseq_result r =
                own_try_rseq(a, idx, w, ctx, count, (uint32_t)cpu, solo_owner_byte(a), at);
            if (r == RSEQ_DONE)
                return OWN_CLAIMED;
            if (r == RSEQ_CHANGED)
                return own_changed(a, at);
            continue; /* preempted, migrated, signalled or revoked: look again */
        }
        if (s == SOLO_UNOWNED) {
            solo_acquire(a, word, cpu);
        } else if (s == SOLO_REVOKING) {
            solo_help(a, word);
        } else {
            /* Another CPU's (or this one's, for a thread without rseq):
             * move it here, or share it (solo_claim_moves). */
            bool mover = cpu >= 0 && solo_claim_moves(a);
            solo_take_over(a, word, mover ? (uint8_t)(cpu + 1) : SOLO_SHARED);
        }
    }
}

const char *midatlas__solo_check(struct midatlas *a)
{
    uint8_t s = solo_state(load_relaxed(&a->solo)); /* quiescent: relaxed */
    if (s == SOLO_REVOKING)
        return "the solo word is left REVOKING";
    if (s != SOLO_SHARED && a->owners)
        return "an atlas with owner bytes has a solo owner";
    return NULL;
}

#else /* !MIDATLAS_HAVE_RSEQ: the solo word is always SHARED */

enum own_claim midatlas__solo_claim(struct midatlas *a, uint32_t idx, uint64_t w, uint64_t ctx,
                                    uint32_t *count, const struct own_at *at)
{
    (void)at;
    return slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED : OWN_LOST;
}

const char *midatlas__solo_check(struct midatlas *a)
{
    return load_relaxed(&a->solo) == 0 ? NULL : "the solo word is set without the rseq path";
}

#endif
