/* SPDX-License-Identifier: MIT */
/*
 * midatlas.c - the slot protocol: associate, map, lookup, dissociate,
 * reassociate, discard, release.
 *
 * ============================ Theory of operation ============================
 *
 * Words.  Each slot is one 64-bit word (word.h): generation (15 bits), a D bit
 * and a 48-bit payload.  LIVE = D clear, payload = context; DISCARDED = D set,
 * payload 0; FREE = D set, payload = FREE_MARK | link to the next free slot on
 * its stripe.  Free slots sit on striped Treiber stacks (freelist.c) whose
 * 64-bit heads pack first index (16), length (17) and a pop tag (31).
 *
 * State machine of a slot (every arrow is one atomic write to the slot word):
 *
 *      FREE --(associate: pop, then store LIVE(g+1))--> LIVE
 *      LIVE --(reassociate: CAS ctx -> ctx')--------> LIVE
 *      LIVE --(dissociate / drain: CAS -> FREE)------> FREE, then push
 *      LIVE --(discard: CAS -> DISCARDED)------------> DISCARDED
 *      DISCARDED --(release / drain: CAS -> FREE)----> FREE, then push
 *
 * Ownership.  Exactly one thread at a time can move a slot out of LIVE or
 * DISCARDED, because that move is a CAS whose expected value is the whole word
 * (generation and context): racing dissociate / discard / drain calls on one
 * MID all read the same LIVE word, one CAS succeeds, the others fail and then
 * classify what they see (FREE -> EFREE, newer generation -> ESTALE, ...).
 * A FREE slot is written only by the thread that holds it: the one that won it
 * (to store its link while pushing it) or the one that popped it (to publish
 * it LIVE).  Every other writer CASes from LIVE or DISCARDED and fails on it.
 * So associate needs no CAS on the slot: a release store publishes it.
 *
 * ABA on the free lists.  A pop reads head (i, n, t), then i's link, then CASes
 * head to (link, n-1, t+1).  If i was popped meanwhile, the tag moved on and
 * the CAS fails, whatever happened to i's link.  A head can only come back to
 * the same word after 2^31 pops of that stripe (tag wrap) during one pop's
 * read-to-CAS window of a few instructions: at 10^8 pops/s on one stripe that
 * needs a thread stalled for over 20 seconds at exactly the wrong point *and*
 * the same index and length on return.  Pushes do not need to move the tag: a
 * sequence of pushes alone cannot bring the head back to i while i is the head
 * being popped (i is not free to be pushed twice), and any pop moves the tag.
 *
 * ABA on slot words.  A CAS on a slot expects (generation, context).  It can
 * succeed on a word that changed and came back only if the slot was handed out
 * 2^generation_bits times and got the same context again: then the caller's
 * MID is, by value, the current MID, and acting on it is what the MID says.
 * This is the wraparound every 16-bit id scheme has; the generation makes it
 * need 2^(16 - index_bits) handouts of one slot instead of one.  Above 32768
 * slots there are no generation bits and no stale detection (documented).
 *
 * What a reader racing a reuse sees.  map loads the word once: it returns the
 * context only if the word is LIVE with the MID's generation at that instant.
 * A reader with an old MID sees a newer generation (NULL / ESTALE) or FREE; it
 * can never see another request's context under its own MID, except after a
 * full generation wrap as above.  The context it gets may be dissociated right
 * after; its lifetime is the caller's business (midatlas.h).
 *
 * Waiting and closing.  midatlas_associate_wait queues sleepers in FIFO order
 * (wait.c).  With nobody waiting and the atlas open, associate and every free
 * path read one read-mostly word (the gate: waiter count | CLOSED) and
 * nothing else changes; the push CAS is seq_cst so that a freer and a new
 * waiter cannot miss each other.  midatlas_close sets CLOSED in that word.
 *
 * EFULL.  Associate pops from its thread's home stripe; when that is empty it
 * sweeps all stripes, and reports EFULL only after a second sweep finds every
 * head word unchanged (freelist.c): at one instant every stripe was empty.
 * Free slots are never held in private caches, so none can be missed.  A slot
 * between a dissociate's CAS and its push (or an associate's pop and its
 * store) is in the hand of that call: midatlas.h states EFULL with it
 * ("A slot in hand"), and the Promela model checks exactly that definition.
 *
 * Memory orders (each site names its partner):
 *   associate: store_release of LIVE       -> map/lookup load_acquire,
 *                                             dissociate/discard/drain CAS acquire
 *   reassociate: CAS acq_rel               release -> the same readers;
 *                                             acquire <- the previous publisher
 *   dissociate/discard/drain: CAS acquire  <- associate / reassociate release
 *   release: CAS relaxed                   a tombstone carries no context
 * Every write to a stripe head is a release (the double collect needs it):
 *   push: CAS seq_cst   release -> pop's load/CAS acquire, so the popper reads
 *                       the link stored before the push; seq_cst because it
 *                       is also the Dekker partner of a waiter's gate
 *                       increment (wait.c): an acq_rel push loses wakeups.
 *   pop: CAS acq_rel    acquire <- the push that made the head (the link);
 *                       release -> every later reader of the head: a sweep
 *                       that reads this pop's head then synchronizes with
 *                       every push the popper had seen, on any stripe, so it
 *                       cannot read an older head of another stripe from
 *                       before such a push.  With a relaxed pop a sweep can
 *                       see stripe A emptied by the pop and stripe B from
 *                       before a push to B that happened-before the pop: both
 *                       empty, EFULL while B held a free slot all along (a
 *                       C11/POWER behaviour; every x86 locked CAS is a full
 *                       fence).  Failure: acquire (the retry reads a link).
 *   sweep/double collect: load acquire, then re-check relaxed (an unchanged
 *                       word is all the re-check needs).
 *   Counters are relaxed: they order nothing.
 */
#include "midatlas.h"

#include "atlas.h"
#include "freelist.h"
#include "hooks.h"
#include "wait.h"

/* ---- classification ----------------------------------------------------- */

/* What word w means for a MID of generation gen: EFREE, ESTALE, EDISCARDED in
 * the contract's precedence, or OK for LIVE of that generation. */
static inline int slot_status(uint64_t w, uint32_t gen)
{
    if (slot_is_free(w))
        return MIDATLAS_EFREE;
    if (slot_gen(w) != gen)
        return MIDATLAS_ESTALE;
    if (slot_is_discarded(w))
        return MIDATLAS_EDISCARDED;
    return MIDATLAS_OK;
}

/*
 * ERANGE for an index at or above capacity or a reserved value.  A MID whose
 * generation is wider than the slot word keeps (only at capacity 1, where the
 * MID has 16 generation bits and the word 15) was never handed out: its
 * status is the slot's (EFREE or ESTALE), and it must not reach a CAS, whose
 * expected word would lose the top bit and alias generation g - 0x8000.
 * Else OK: the MID can be the slot's current one.
 */
static inline int check_mid(const struct midatlas *a, uint16_t mid)
{
    if (mid_index(a, mid) >= a->capacity || mid_reserved(a->flags, mid))
        return MIDATLAS_ERANGE;
    if (__builtin_expect(mid_gen(a, mid) > a->gen_mask, 0))
        return slot_status(load_relaxed(&a->slots[mid_index(a, mid)]), mid_gen(a, mid));
    return MIDATLAS_OK;
}

/* A slot CAS lost to another call and will be retried: contention statistics,
 * on the caller's home stripe line (cold path). */
static inline void count_cas_failure(struct midatlas *a)
{
    add_relaxed(&freelist_home(a)->cas_failures, 1);
}

static inline void *ctx_ptr(uint64_t w)
{
    return (void *)(uintptr_t)slot_ctx(w);
}

static inline uint64_t ctx_bits(const void *ctx)
{
    return (uint64_t)(uintptr_t)ctx;
}

/* ---- associate, map, lookup --------------------------------------------- */

/* Take a free MID for ctx and publish it, unless the atlas is closed or
 * waiters queued earlier must be served first: OK, EFULL or ECLOSED. */
static inline int take_and_publish(struct midatlas *a, void *ctx, uint16_t *mid)
{
    uint32_t idx;
    uint64_t w;

    if (__builtin_expect(wait_gate_shut(a), 0)) {
        int rc = midatlas__wait_gate(a);
        if (rc != MIDATLAS_OK)
            return rc;
    }
    if (!freelist_take(a, &idx, &w))
        return MIDATLAS_EFULL;
    MIDATLAS_HOOK(MIDATLAS_HOOK_ASSOCIATE_POPPED, idx);

    uint32_t gen = gen_next(a, slot_gen(w), idx);
    /* release: pairs with the load_acquire in map/lookup and the acquire CAS
     * of dissociate/discard/drain, which then see the caller's writes to *ctx. */
    store_release(&a->slots[idx], slot_live(gen, ctx_bits(ctx)));
    *mid = mid_make(a, gen, idx);
    return MIDATLAS_OK;
}

int midatlas__associate_now(struct midatlas *a, void *ctx, uint16_t *mid)
{
    return take_and_publish(a, ctx, mid);
}

int midatlas_associate(struct midatlas *a, void *ctx, uint16_t *mid)
{
    if (!a || !ctx || !mid || !context_fits(ctx))
        return MIDATLAS_EINVAL;
    int rc = take_and_publish(a, ctx, mid);
    if (__builtin_expect(rc == MIDATLAS_OK, 1))
        return MIDATLAS_OK;
    if (rc == MIDATLAS_EFULL)
        add_relaxed(&freelist_home(a)->full_failures, 1);
    return rc;
}

void *midatlas_map(struct midatlas *a, uint16_t mid)
{
    if (!a)
        return NULL;
    uint32_t idx = mid_index(a, mid);
    if (idx >= a->capacity)
        return NULL;
    /* acquire: pairs with associate's store_release and reassociate's CAS. */
    uint64_t w = load_acquire(&a->slots[idx]);
    if (slot_tag(w) != slot_live_tag(mid_gen(a, mid)))
        return NULL;
    return ctx_ptr(w);
}

int midatlas_lookup(struct midatlas *a, uint16_t mid, void **ctx)
{
    if (!a || !ctx)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    /* acquire: pairs with associate's store_release and reassociate's CAS. */
    uint64_t w = load_acquire(&a->slots[mid_index(a, mid)]);
    rc = slot_status(w, mid_gen(a, mid));
    if (rc == MIDATLAS_OK)
        *ctx = ctx_ptr(w);
    return rc;
}

/* ---- ending an association ---------------------------------------------- */

/*
 * Move a LIVE slot of mid's generation to `target` (FREE or DISCARDED), only if
 * its context is `expected` when that is non-NULL.  The CAS that succeeds
 * decides the single winner.  On success *won holds the LIVE word taken.
 */
static int end_live(struct midatlas *a, uint16_t mid, const void *expected, uint64_t target,
                    uint64_t *won)
{
    atomic_u64 *slot = &a->slots[mid_index(a, mid)];
    uint32_t gen = mid_gen(a, mid);
    uint64_t w = expected ? slot_live(gen, ctx_bits(expected)) : load_relaxed(slot);

    for (;;) {
        if (!expected || w != slot_live(gen, ctx_bits(expected))) {
            int rc = slot_status(w, gen);
            if (rc != MIDATLAS_OK)
                return rc;
            if (expected)
                return MIDATLAS_EMISMATCH;
        }
#if MIDATLAS_BROKEN == 1
        /* Deliberately broken: a window between reading and writing. */
        uint64_t now = load_relaxed(slot);
        if (now != w) {
            w = now;
            continue;
        }
        store_relaxed(slot, target);
        *won = w;
        return MIDATLAS_OK;
#else
        /* acquire: pairs with the release that published the context
         * (associate's store_release, reassociate's CAS), for the caller who
         * now owns it.  On failure w is reloaded and classified again: a
         * reassociate in between leaves the slot LIVE and we retry. */
        if (cas_acquire(slot, &w, target)) {
            *won = w;
            return MIDATLAS_OK;
        }
        count_cas_failure(a);
#endif
    }
}

/* Dissociate mid (only from `expected` when non-NULL), push it back. */
static int dissociate_to_free(struct midatlas *a, uint16_t mid, const void *expected, void **ctx)
{
    uint64_t head, won;
    uint32_t idx = mid_index(a, mid), gen = mid_gen(a, mid);
    struct stripe *s = freelist_put_stripe(a, idx, &head);

    int rc = end_live(a, mid, expected, slot_free(gen, head_idx(head)), &won);
    if (rc != MIDATLAS_OK)
        return rc;
    MIDATLAS_HOOK(MIDATLAS_HOOK_DISSOCIATE_WON, idx);
    freelist_put(a, s, head, idx, gen);
    wait_after_free(a);
    if (ctx)
        *ctx = ctx_ptr(won);
    return MIDATLAS_OK;
}

int midatlas_dissociate(struct midatlas *a, uint16_t mid, void **ctx)
{
    if (!a)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    return dissociate_to_free(a, mid, NULL, ctx);
}

int midatlas_dissociate_if(struct midatlas *a, uint16_t mid, void *expected)
{
    if (!a || !expected || !context_fits(expected))
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    return dissociate_to_free(a, mid, expected, NULL);
}

int midatlas_discard(struct midatlas *a, uint16_t mid, void **ctx)
{
    uint64_t won;

    if (!a)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    rc = end_live(a, mid, NULL, slot_discarded(mid_gen(a, mid)), &won);
    if (rc != MIDATLAS_OK)
        return rc;
    add_relaxed(&freelist_home(a)->discards, 1);
    if (ctx)
        *ctx = ctx_ptr(won);
    return MIDATLAS_OK;
}

int midatlas_release(struct midatlas *a, uint16_t mid)
{
    if (!a)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;

    uint64_t head;
    uint32_t idx = mid_index(a, mid), gen = mid_gen(a, mid);
    struct stripe *s = freelist_put_stripe(a, idx, &head);
    uint64_t w = slot_discarded(gen);

    /* relaxed: a tombstone carries no context to hand over; the push below
     * publishes the FREE word.  On failure w is what the slot holds. */
    if (!cas_relaxed(&a->slots[idx], &w, slot_free(gen, head_idx(head)))) {
        rc = slot_status(w, gen);
        return rc == MIDATLAS_OK ? MIDATLAS_EBUSY : rc;
    }
    freelist_put(a, s, head, idx, gen);
    add_relaxed(&s->releases, 1);
    wait_after_free(a);
    return MIDATLAS_OK;
}

/* ---- reassociation ------------------------------------------------------ */

int midatlas_reassociate(struct midatlas *a, uint16_t mid, void *desired, void **old)
{
    if (!a || !desired || !context_fits(desired))
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;

    atomic_u64 *slot = &a->slots[mid_index(a, mid)];
    uint32_t gen = mid_gen(a, mid);
    uint64_t w = load_relaxed(slot);
    for (;;) {
        rc = slot_status(w, gen);
        if (rc != MIDATLAS_OK)
            return rc;
        /* acq_rel: release pairs with map/lookup's load_acquire and the
         * acquire CAS of dissociate/discard/drain (they see *desired);
         * acquire pairs with the release that published the old context,
         * which the caller now owns.  Fails only if the word changed: another
         * reassociate (retry) or the end of the association (classified). */
        if (cas_acq_rel(slot, &w, slot_live(gen, ctx_bits(desired))))
            break;
        count_cas_failure(a);
    }
    if (old)
        *old = ctx_ptr(w);
    return MIDATLAS_OK;
}

int midatlas_reassociate_if(struct midatlas *a, uint16_t mid, void *expected, void *desired)
{
    if (!a || !expected || !desired || !context_fits(expected) || !context_fits(desired))
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;

    uint32_t gen = mid_gen(a, mid);
    uint64_t w = slot_live(gen, ctx_bits(expected));
    /* acq_rel: as in midatlas_reassociate.  One CAS, no retry. */
    if (cas_acq_rel(&a->slots[mid_index(a, mid)], &w, slot_live(gen, ctx_bits(desired))))
        return MIDATLAS_OK;
    rc = slot_status(w, gen);
    return rc == MIDATLAS_OK ? MIDATLAS_EMISMATCH : rc;
}
