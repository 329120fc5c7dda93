/* SPDX-License-Identifier: MIT */
/*
 * own.c - the slow half of claiming in an atlas whose chunks CPUs may own:
 * acquiring an unowned chunk, giving one up, the CAS claim that announces
 * itself, and revoking a CPU's ownership.  The protocol and why: rseq.h;
 * the model that checks it: tests/model/midatlas_rseq.pml.
 */
#include "own.h"

#include "full.h"

/* An owner byte that names a CPU (not NONE, PENDING or REVOKING). */
static bool owned_by_a_cpu(uint8_t o)
{
    return o != OWNER_NONE && o <= OWNER_MAX_CPU + 1;
}

#if MIDATLAS_HAVE_RSEQ

enum acquired { ACQ_MINE, ACQ_BACKED_OFF, ACQ_REFUSED };

_Static_assert(sizeof(struct announce) == RSEQ_COUNT_STRIDE,
               "rseq_acquire_owner steps from one count to the next by RSEQ_COUNT_STRIDE");

/*
 * Take a chunk away from `owner`, CPU d + 1 or an acquirer's PENDING:
 * REVOKING, a membarrier (on d; for PENDING on every CPU, as the acquirer's
 * CPU is unknown), NONE.  Nothing if the owner changed meanwhile.  Nobody
 * waits for the owner, who may be preempted for good.  Why all of this for
 * PENDING and not one CAS back to NONE: an acquirer whose PENDING was taken
 * must never reach its commit, or it would confirm the next acquirer's
 * PENDING with an old look at the counts (tests/model/midatlas_rseq.pml,
 * mutants 11 and 12).
 */
static void revoke(atomic_u8 *own, uint8_t owner)
{
    /* seq_cst: no CS may pass its owner check (or an acquirer its commit
     * CAS) after this, as it reads REVOKING; those in flight before are
     * aborted by the fence. */
    if (!cas8_seq_cst(own, &owner, OWNER_REVOKING))
        return;
    if (owner == OWNER_PENDING)
        midatlas__rseq_fence_all();
    else
        midatlas__rseq_fence_cpu(owner - 1u);
    /* release: pairs with claim_announced's seq_cst load of the owner (and
     * an acquirer's CAS): who reads NONE sees, through our fence, every
     * claim the old owner committed before it.  REVOKING is only ever ours
     * to end. */
    store8_release(own, OWNER_NONE);
}

/*
 * Make the chunk of owner byte own this CPU's (cpu + 1): NONE -> PENDING,
 * then, if no CAS claimer is at work, PENDING -> cpu + 1, all in one CS
 * (rseq.h, rseq_acquire_owner, which also says the orders).  Refused in
 * FULL mode (its takes must not meet owned chunks) and when someone else
 * got there first.  A CS that aborts may leave its PENDING: this thread
 * steals it back and claims by CAS.
 */
static enum acquired acquire(struct midatlas *a, atomic_u8 *own, uint32_t cpu)
{
    if (midatlas__full_on(a))
        return ACQ_REFUSED;
    switch (rseq_acquire_owner(cpu, own, cpu + 1, &a->announce[0].cas_active,
                               a->stripe_mask + 1)) {
    case RSEQ_ACQ_MINE:
        return ACQ_MINE;
    case RSEQ_ACQ_BACKED_OFF:
        return ACQ_BACKED_OFF;
    case RSEQ_ACQ_TAKEN:
    case RSEQ_ACQ_STOLEN:
        return ACQ_REFUSED;
    case RSEQ_ACQ_ABORTED:
        break;
    }
    /* relaxed: a hint; revoke's CAS decides. */
    if (load8_relaxed(own) == OWNER_PENDING)
        revoke(own, OWNER_PENDING);
    return ACQ_BACKED_OFF;
}

/* This thread's CAS-claimer count: on its home stripe, as a count on one
 * line for the whole atlas made two threads in the scarce path bounce it
 * (exhaust99, 2 threads: 9.3 M/s against 39 M/s without rseq). */
static atomic_u64 *announce_count(struct midatlas *a)
{
    return &a->announce[sweep_hints()->own & a->stripe_mask].cas_active;
}

/* The claim CAS, announced in cas_active so that no acquirer confirms the
 * chunk meanwhile; only in a chunk nobody owns, and for a sweep's claim
 * only while its cursor is not behind its move (own.h, struct own_at: the
 * owner load that saw NONE comes after the release or revoke that ended
 * the last owner's CSes). */
static enum own_claim claim_announced(struct midatlas *a, atomic_u8 *own, uint32_t idx,
                                      uint64_t w, uint64_t ctx, uint32_t *count,
                                      const struct own_at *at)
{
    /* seq_cst: the Dekker pair with acquire (its CAS to PENDING and its
     * loads of cas_active). */
    atomic_u64 *announce = announce_count(a);
    add_seq_cst(announce, 1);
    enum own_claim r = OWN_FOREIGN;
    /* seq_cst: the other half of that pair. */
    if (load8_seq_cst(own) == OWNER_NONE)
        r = !own_at_holds(a, at)                ? OWN_MOVED
            : slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED
                                                : OWN_LOST;
    /* release: keeps the claim CAS before the retreat for an acquirer that
     * reads cas_active 0 afterwards (its seq_cst load acquires it). */
    sub_release(announce, 1);
    return r;
}

/*
 * The claim CAS under another revoker's REVOKING (OWN_REVOKE only), so that
 * nobody waits for a revoker either.  Announced as claim_announced is, then
 * a membarrier on every CPU of our own, after we saw REVOKING: a CS of the
 * old owner that passed its owner check before that REVOKING has aborted
 * or committed by the fence's end.  After it, NONE, REVOKING and PENDING
 * all mean that no CPU claims here by store (an acquirer that reads our
 * count backs off), so the CAS may claim.  OWN_FOREIGN when the owner was
 * not REVOKING, or became a CPU's.  The model's "fenced claim"; mutants 13
 * (no fence) and 14 (no announce).
 */
static enum own_claim claim_fenced(struct midatlas *a, atomic_u8 *own, uint32_t idx,
                                   uint64_t w, uint64_t ctx, uint32_t *count,
                                   const struct own_at *at)
{
    /* seq_cst: as claim_announced's. */
    atomic_u64 *announce = announce_count(a);
    add_seq_cst(announce, 1);
    enum own_claim r = OWN_FOREIGN;
    /* seq_cst: as claim_announced's. */
    if (load8_seq_cst(own) == OWNER_REVOKING) {
        midatlas__rseq_fence_all();
        uint8_t o = load8_seq_cst(own); /* seq_cst: as above */
        if (o == OWNER_NONE || o == OWNER_REVOKING || o == OWNER_PENDING)
            r = !own_at_holds(a, at)                ? OWN_MOVED
                : slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED
                                                    : OWN_LOST;
    }
    /* release: as claim_announced's. */
    sub_release(announce, 1);
    return r;
}

/*
 * May a sweeper on CPU cpu acquire the chunk at its cursor?  Not while it
 * finds the atlas scarce: its sweeps pass chunk after chunk with a FREE
 * slot or two, and owning each for one claim costs more than the CAS it
 * saves (exhaust99, 2 threads: 22 M/s acquiring, against 43 M/s by CAS).
 * And only in its CPU's own stripe: a thread that moved CPUs in mid-chunk
 * sweeps its old stripe's cursor by CAS until the chunk is done (sweep.c,
 * take_slow), and a chunk there that nobody owns (its acquisition was
 * aborted by a preemption or a signal) is the old stripe's CPU's to
 * acquire.  Owned from here, it would be another CPU's chunk in that
 * CPU's own cursor: its sweep there would move on from it half swept, and
 * the rotation would hand the rest of the atlas out up to a chunk early
 * each time (reuse.lap.migrating.rseq.interrupted: a slot back after 387
 * handouts at capacity 512, where a thread moving between two CPUs may
 * see one after 448).  The CS of acquire runs on cpu or aborts, so the
 * stripe compared here is the one acquired for.  And not in a stripe that
 * several CPUs share (stripe->shared): there each CPU met the other's
 * chunk in its own cursor and moved on from it half swept.
 */
static bool sweeps_home(struct midatlas *a, uint32_t cpu)
{
    const struct midatlas__sweep_tls *t = sweep_hints();
    /* relaxed: a hint; an acquisition that misses a fresh mark is taken
     * back by the next CPU that meets it (take_slow). */
    return t->scarce_serial != a->serial && ((cpu ^ t->own) & a->stripe_mask) == 0 &&
           load_relaxed(&stripe_of(a, cpu)->shared) == 0;
}

enum own_claim midatlas__own_claim_slow(struct midatlas *a, uint32_t idx, uint64_t w,
                                        uint64_t ctx, uint32_t *count, enum own_how how,
                                        const struct own_at *at)
{
    atomic_u8 *own = owner_of(a, idx >> a->chunk_shift);
    for (;;) {
        int32_t cpu = rseq_cpu();
        bool rseq_ok = cpu >= 0 && (uint32_t)cpu <= OWNER_MAX_CPU;
        uint8_t mine = (uint8_t)(cpu + 1);
        uint8_t o = load8_relaxed(own); /* a hint: every branch checks again */

        if (rseq_ok && o == mine)
            return own_claim_rseq(a, idx, w, ctx, count, (uint32_t)cpu, own, how, at);
        /* An unowned chunk: acquire it if it is this CPU's to sweep
         * (sweeps_home), else claim by CAS below. */
        if (rseq_ok && o == OWNER_NONE && how == OWN_SWEEP && sweeps_home(a, (uint32_t)cpu)) {
            switch (acquire(a, own, (uint32_t)cpu)) {
            case ACQ_MINE:
                return own_claim_rseq(a, idx, w, ctx, count, (uint32_t)cpu, own, how, at);
            case ACQ_BACKED_OFF:
                break; /* claim by CAS below */
            case ACQ_REFUSED:
                return OWN_FOREIGN;
            }
        }
        /* OWN_REVOKE waits for nobody: it revokes an owner or an
         * acquirer's PENDING, and claims under another revoker's REVOKING
         * after a fence of its own (it cannot end that REVOKING: the
         * revoker's own later store would then wipe out the next owner,
         * mutant 9). */
        if (how == OWN_REVOKE && o == OWNER_REVOKING) {
            enum own_claim r = claim_fenced(a, own, idx, w, ctx, count, at);
            if (r != OWN_FOREIGN)
                return r;
        } else if (how == OWN_REVOKE &&
                   (o == OWNER_PENDING || (owned_by_a_cpu(o) && !(rseq_ok && o == mine)))) {
            revoke(own, o);
        }
        enum own_claim r = claim_announced(a, own, idx, w, ctx, count, at);
        if (r != OWN_FOREIGN || how != OWN_REVOKE)
            return r;
        /* OWN_REVOKE met an owner, PENDING or REVOKING again: the owner
         * byte changed since we looked, each time by another call's
         * progress.  Look again. */
    }
}

enum own_claim midatlas__own_claim_aborted(struct midatlas *a, uint32_t idx, uint64_t w,
                                           uint64_t ctx, uint32_t *count, enum own_how how,
                                           const struct own_at *at)
{
    atomic_u8 *own = owner_of(a, idx >> a->chunk_shift);
    for (;;) {
        int32_t cpu = rseq_cpu();
        if (cpu < 0 || (uint32_t)cpu > OWNER_MAX_CPU || load8_relaxed(own) != (uint8_t)(cpu + 1))
            return midatlas__own_claim_slow(a, idx, w, ctx, count, how, at);
        enum rseq_result r = own_try_rseq(a, idx, w, ctx, count, (uint32_t)cpu, own, at);
        if (r != RSEQ_ABORTED)
            return r == RSEQ_DONE ? OWN_CLAIMED : own_changed(a, at);
    }
}

void midatlas__own_leave(struct midatlas *a, uint32_t k)
{
    if (!a->owners || k >= a->nchunks)
        return;
    int32_t cpu = rseq_cpu();
    if (cpu < 0 || (uint32_t)cpu > OWNER_MAX_CPU)
        return;
    atomic_u8 *own = owner_of(a, k);
    /* relaxed: a hint; the CS's CAS decides.  A release that aborts (a
     * migration) leaves the chunk owned until someone revokes it. */
    if (load8_relaxed(own) == (uint8_t)(cpu + 1))
        (void)rseq_release_owner((uint32_t)cpu, own, (uint8_t)(cpu + 1));
}

bool midatlas__own_by_stripe_mate(struct midatlas *a, uint32_t k, uint32_t cpu)
{
    if (!a->owners || k >= a->nchunks)
        return false;
    uint8_t o = load8_relaxed(owner_of(a, k)); /* relaxed: a hint, as own_reclaim's */
    uint32_t owner = (uint32_t)o - 1;
    return owned_by_a_cpu(o) && owner != cpu && ((owner ^ cpu) & a->stripe_mask) == 0;
}

void midatlas__own_reclaim(struct midatlas *a, uint32_t k)
{
    if (!a->owners || k >= a->nchunks)
        return;
    atomic_u8 *own = owner_of(a, k);
    uint8_t o = load8_relaxed(own); /* relaxed: a hint; revoke's CAS decides */
    if (o == OWNER_PENDING || owned_by_a_cpu(o))
        revoke(own, o);
}

void midatlas__own_revoke_all(struct midatlas *a)
{
    if (!a->owners)
        return;
    /* Only the chunks this call moved to REVOKING are its to end: a chunk
     * another revoker holds REVOKING may still have a CS in flight on its
     * CPU until that revoker's own fence. */
    uint64_t revoked[OWN_MAX_CHUNKS / 64] = {0};
    bool any = false;
    for (uint32_t k = 0; k < a->nchunks; k++) {
        uint8_t o = load8_relaxed(owner_of(a, k));
        /* seq_cst: as revoke's. */
        if (owned_by_a_cpu(o) && cas8_seq_cst(owner_of(a, k), &o, OWNER_REVOKING)) {
            revoked[k / 64] |= (uint64_t)1 << (k % 64);
            any = true;
        }
    }
    if (!any)
        return;
    midatlas__rseq_fence_all();
    for (uint32_t k = 0; k < a->nchunks; k++)
        if (revoked[k / 64] & (uint64_t)1 << (k % 64))
            store8_release(owner_of(a, k), OWNER_NONE); /* release: as revoke's */
}

#else /* !MIDATLAS_HAVE_RSEQ: a->owners is always NULL */

enum own_claim midatlas__own_claim_slow(struct midatlas *a, uint32_t idx, uint64_t w,
                                        uint64_t ctx, uint32_t *count, enum own_how how,
                                        const struct own_at *at)
{
    (void)how, (void)at;
    return slot_claim(a, idx, w, ctx, count) ? OWN_CLAIMED : OWN_LOST;
}

void midatlas__own_leave(struct midatlas *a, uint32_t k)
{
    (void)a;
    (void)k;
}

bool midatlas__own_by_stripe_mate(struct midatlas *a, uint32_t k, uint32_t cpu)
{
    (void)a;
    (void)k;
    (void)cpu;
    return false;
}

void midatlas__own_reclaim(struct midatlas *a, uint32_t k)
{
    (void)a;
    (void)k;
}

void midatlas__own_revoke_all(struct midatlas *a)
{
    (void)a;
}

#endif

uint32_t midatlas__own_count(struct midatlas *a)
{
    uint32_t n = 0;
    if (!a->owners)
        return 0;
    for (uint32_t k = 0; k < a->nchunks; k++) {
        n += owned_by_a_cpu(load8_relaxed(owner_of(a, k))); /* a sample: relaxed */
    }
    return n;
}

const char *midatlas__own_check(struct midatlas *a)
{
    if (!a->owners)
        return NULL;
    for (uint32_t k = 0; k < a->nchunks; k++) {
        uint8_t o = load8_relaxed(owner_of(a, k));
        if (o == OWNER_PENDING || o == OWNER_REVOKING)
            return "a chunk is left PENDING or REVOKING";
        if (o > OWNER_MAX_CPU + 1)
            return "an owner byte holds no CPU";
    }
    return NULL;
}
