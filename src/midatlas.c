/* SPDX-License-Identifier: MIT */
/*
 * midatlas.c - the slot protocol: associate, map, lookup, dissociate,
 * reassociate, discard, release.
 *
 * ============================ Theory of operation ============================
 *
 * Words.  Each slot is one 64-bit word (word.h): a 15-bit handout count, a D
 * bit and a 48-bit payload.  LIVE = D clear, payload = context; DISCARDED =
 * D set, payload 0; FREE = D set, payload FREE_MARK.  A MID is the slot index
 * and the low bits of the count (the generation).  There are no free lists:
 * associate finds a FREE word by a rotating sweep (sweep.h) and claims it.
 *
 * State machine of a slot (every arrow is one CAS on the slot word):
 *
 *      FREE --(associate: claim, count + 1)----------> LIVE
 *      LIVE --(reassociate: ctx -> ctx')-------------> LIVE
 *      LIVE --(dissociate / drain)-------------------> FREE
 *      LIVE --(discard)------------------------------> DISCARDED
 *      DISCARDED --(release / drain)-----------------> FREE
 *
 * Ownership.  Every arrow is a CAS whose expected value is the whole word
 * (count and payload), so of racing calls on one slot exactly one moves it:
 * two associates that found the same FREE word both CAS from it, one wins,
 * the other sweeps on; racing dissociate / discard / drain calls on one MID
 * all read the same LIVE word, one wins, the others fail and classify what
 * they see (FREE -> EFREE, another generation -> ESTALE, ...).  No call ever
 * holds a slot that is neither visible as FREE nor as LIVE/DISCARDED: the
 * claim publishes the context in the CAS that takes the slot, and an ending
 * frees the slot in the CAS that wins it.
 *
 * ABA on slot words.  A CAS on a slot expects (count, payload).  The count
 * advances on every claim and on nothing else, so the word returns to an old
 * value only after 2^15 handouts of that slot (with the same context, for a
 * LIVE word).  For a claim that is harmless (FREE is FREE).  For an ending it
 * is the wraparound every 16-bit id scheme has, and it is rarer than the
 * MID's: the MID repeats after 2^generation_bits handouts of the slot, the
 * word after 2^15.  A CAS with an old MID fails on the generation.  Above
 * 32768 slots there are no generation bits and no stale detection
 * (documented).
 *
 * What a reader racing a reuse sees.  map loads the word once: it returns the
 * context only if the word is LIVE with the MID's generation at that instant.
 * A reader with an old MID sees another generation (NULL / ESTALE) or FREE;
 * it can never see another request's context under its own MID, except
 * after a full generation wrap as above.  The context it gets may be
 * dissociated right after; its lifetime is the caller's business
 * (midatlas.h).
 *
 * Waiting and closing.  midatlas_associate_wait queues sleepers in FIFO order
 * (wait.c).  With nobody waiting and the atlas open, associate and every free
 * path read one read-mostly word (the gate: waiter count | CLOSED) and
 * nothing else changes; the CAS that frees a slot is seq_cst so that a freer
 * and a new waiter cannot miss each other.  midatlas_close sets CLOSED in
 * that word.
 *
 * EFULL.  Associate sweeps chunk after chunk; after a whole lap without a
 * claim it reads every slot word twice (sweep.c), and reports EFULL only if
 * neither collect met a FREE word and the counts did not change in between:
 * at that instant every usable slot was live or discarded.  That proof puts
 * the atlas in FULL mode (full.h): frees record their slots in cells, and
 * associate takes one or answers EFULL without another proof.
 *
 * Memory orders (each site names its partner):
 *   claim: CAS release       -> map/lookup load_acquire, the enders' acquire
 *                               CAS, the collectors' acquire loads
 *   reassociate: CAS acq_rel release -> the same readers;
 *                               acquire <- the previous publisher
 *   FULL mode: full.c, "Orders"
 *   dissociate/drain/release: CAS seq_cst
 *                               acquire <- the claim / reassociate release
 *                               (the caller owns the context); release ->
 *                               the sweep's and collectors' acquire loads;
 *                               seq_cst: the Dekker partner of a waiter's
 *                               gate increment (wait.c)
 *   discard: CAS acquire     <- the claim / reassociate release
 *   sweep and collects: load acquire (sweep.c, "Orders")
 *   Counters and the rotor are relaxed: they order nothing.
 */
#include "midatlas.h"

#include "atlas.h"
#include "full.h"
#include "map.h"
#include "sweep.h"
#include "hooks.h"
#include "wait.h"

/* The slow halves of the hot calls: out of line, so that the common halves
 * keep their values in registers that need no saving. */
#if defined(__GNUC__)
#define OUT_OF_LINE __attribute__((noinline))
#else
#define OUT_OF_LINE
#endif

/* ---- classification ----------------------------------------------------- */

/* What word w means for a MID of generation gen: EFREE, ESTALE, EDISCARDED in
 * the contract's precedence, or OK for LIVE of that generation. */
static inline int slot_status(const struct midatlas *a, uint64_t w, uint32_t gen)
{
    if (slot_is_free(w))
        return MIDATLAS_EFREE;
    if (slot_mid_gen(a, w) != gen)
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
        return slot_status(a, load_relaxed(slot_word(a, mid_index(a, mid))), mid_gen(a, mid));
    return MIDATLAS_OK;
}

/* A slot CAS lost to another call and will be retried: contention statistics,
 * on the caller's home stripe line (cold path). */
static inline void count_cas_failure(struct midatlas *a)
{
    add_relaxed(&sweep_home(a)->cas_failures, 1);
}

static inline uint64_t ctx_bits(const void *ctx)
{
    return (uint64_t)(uintptr_t)ctx;
}

/* ---- associate, map, lookup --------------------------------------------- */

/* An associate that ended in EFULL: the statistic (count_full: a plain
 * associate; a waiter's try is not a failure). */
static int take_result(struct midatlas *a, bool took, bool count_full)
{
    if (took)
        return MIDATLAS_OK;
    if (count_full)
        add_relaxed(&sweep_home(a)->full_failures, 1);
    return MIDATLAS_EFULL;
}

/* The common take missed (sweep.h): the sweep and the slow path. */
OUT_OF_LINE static int take_missed(struct midatlas *a, void *ctx, uint16_t *mid, bool count_full)
{
    return take_result(a, midatlas__sweep_take_swept(a, ctx_bits(ctx), mid), count_full);
}

/* The gate word is not zero: ECLOSED, or waiters queued earlier are served
 * first (wait.c), then the take.  An EFULL because waiters are still owed
 * MIDs is an EFULL like any other for the statistic. */
OUT_OF_LINE static int take_gated(struct midatlas *a, void *ctx, uint16_t *mid, bool count_full)
{
    int rc = midatlas__wait_gate(a);
    if (rc == MIDATLAS_EFULL)
        return take_result(a, false, count_full);
    if (rc != MIDATLAS_OK)
        return rc;
    return take_result(a, sweep_take(a, ctx_bits(ctx), mid), count_full);
}

/* The common take in an atlas with owner bytes (rseq.h): its own function,
 * so that the CS's registers do not burden the CAS path's. */
OUT_OF_LINE static int take_owned(struct midatlas *a, void *ctx, uint16_t *mid, bool count_full)
{
    if (__builtin_expect(sweep_take_fast(a, ctx_bits(ctx), mid, CLAIM_BY_CHUNK), 1))
        return MIDATLAS_OK;
    return take_missed(a, ctx, mid, count_full);
}

/* The same in an atlas one CPU owns whole, or about to (solo.h). */
OUT_OF_LINE static int take_solo(struct midatlas *a, void *ctx, uint16_t *mid, bool count_full)
{
    if (__builtin_expect(sweep_take_fast(a, ctx_bits(ctx), mid, CLAIM_BY_SOLO), 1))
        return MIDATLAS_OK;
    return take_missed(a, ctx, mid, count_full);
}

/* Claim a free MID for ctx (the claim publishes it), unless the atlas is
 * closed or waiters queued earlier must be served first: OK, EFULL or
 * ECLOSED.  Everything but the common take is out of line, so that this
 * half keeps its values in registers that need no saving. */
MIDATLAS_ALWAYS_INLINE
static inline int take_and_publish(struct midatlas *a, void *ctx, uint16_t *mid, bool count_full)
{
    if (__builtin_expect(wait_gate_shut(a), 0))
        return take_gated(a, ctx, mid, count_full);
    if (a->owners)
        return take_owned(a, ctx, mid, count_full);
    if (solo_on(a))
        return take_solo(a, ctx, mid, count_full);
    if (__builtin_expect(sweep_take_fast(a, ctx_bits(ctx), mid, CLAIM_BY_CAS), 1))
        return MIDATLAS_OK;
    return take_missed(a, ctx, mid, count_full);
}

int midatlas__associate_now(struct midatlas *a, void *ctx, uint16_t *mid)
{
    return take_and_publish(a, ctx, mid, false);
}

int midatlas_associate(struct midatlas *a, void *ctx, uint16_t *mid)
{
    if (!a || !mid || !context_storable(ctx))
        return MIDATLAS_EINVAL;
    return take_and_publish(a, ctx, mid, true);
}

void *midatlas_map(struct midatlas *a, uint16_t mid)
{
    return a ? atlas_map(a, mid) : NULL;
}

int midatlas_lookup(struct midatlas *a, uint16_t mid, void **ctx)
{
    if (!a || !ctx)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    /* acquire: pairs with the claim's release CAS (sweep.h, slot_claim) and
     * reassociate's acq_rel CAS. */
    uint64_t w = load_acquire(slot_word(a, mid_index(a, mid)));
    rc = slot_status(a, w, mid_gen(a, mid));
    if (rc == MIDATLAS_OK)
        *ctx = ctx_ptr(w);
    return rc;
}

/* ---- ending an association ---------------------------------------------- */

/* Where an ending takes a LIVE slot. */
enum ending { TO_FREE, TO_DISCARDED };

/* The CAS of an ending: seq_cst to FREE, acquire to DISCARDED. */
static inline bool end_cas(atomic_u64 *slot, uint64_t *w, enum ending to)
{
    if (to == TO_FREE) {
        /* seq_cst: acquire pairs with the release that published the
         * context (the claim, reassociate's CAS), for the caller who now
         * owns it; release pairs with the acquire loads of the sweep and
         * the collects (sweep.c); and it is the Dekker partner of a
         * waiter's gate increment (wait.c): an acq_rel free loses wakeups. */
        return cas_seq_cst(slot, w, slot_free(slot_count(*w)));
    }
    /* acquire: as above; a tombstone frees nothing. */
    return cas_acquire(slot, w, slot_discarded(slot_count(*w)));
}

/* One try at an ending from the LIVE word *w: true if this call won, else
 * *w is what the slot holds now. */
static inline bool end_try(atomic_u64 *slot, uint64_t *w, enum ending to)
{
#if MIDATLAS_BROKEN == 1
    /* Deliberately broken: a window between reading and writing. */
    uint64_t now = load_relaxed(slot);
    if (now != *w) {
        *w = now;
        return false;
    }
    store_relaxed(slot, to == TO_FREE ? slot_free(slot_count(now)) : slot_discarded(slot_count(now)));
    return true;
#else
    return end_cas(slot, w, to);
#endif
}

/*
 * Move a LIVE slot of mid's generation to FREE or DISCARDED, only if its
 * context is `expected` when that is non-NULL.  The CAS that succeeds
 * decides the single winner.  On success *won holds the LIVE word taken.
 */
static int end_live(struct midatlas *a, uint16_t mid, const void *expected, enum ending to,
                    uint64_t *won)
{
    atomic_u64 *slot = slot_word(a, mid_index(a, mid));
    uint32_t gen = mid_gen(a, mid);
    uint64_t w = load_relaxed(slot);

    for (;;) {
#if MIDATLAS_BROKEN == 6
        /* Deliberately broken: the slot's own generation, not the MID's. */
        gen = slot_is_free(w) ? gen : slot_mid_gen(a, w);
#endif
        int rc = slot_status(a, w, gen);
        if (rc != MIDATLAS_OK)
            return rc;
        if (expected && slot_ctx(w) != ctx_bits(expected))
            return MIDATLAS_EMISMATCH;
        /* On failure w is reloaded and classified again: a reassociate in
         * between leaves the slot LIVE and we retry. */
        if (end_try(slot, &w, to)) {
            *won = w;
            return MIDATLAS_OK;
        }
        count_cas_failure(a);
    }
}

/* after_free found the atlas in FULL mode or proving it (state s): record
 * the slot, then serve waiters, in that order (full.c, "Orders"). */
OUT_OF_LINE static void after_free_recorded(struct midatlas *a, uint32_t idx, uint64_t s)
{
    midatlas__full_record(a, idx, s);
    wait_after_free(a);
}

/* The slot just became FREE: remember it for the scarce path, record it
 * if the atlas is in FULL mode, serve waiters.  full_after_free's seq_cst
 * load comes before the gate's (full.c, "Orders"); each rare outcome is
 * one call at the end, so that nothing is kept across it. */
static inline void after_free(struct midatlas *a, uint32_t idx)
{
    MIDATLAS_HOOK(MIDATLAS_HOOK_DISSOCIATE_WON, idx);
    sweep_note_freed(a, idx);
    uint64_t s = full_state_after_free(a);
    if (__builtin_expect(full_mode_of(s) != FULL_NORMAL, 0)) {
        after_free_recorded(a, idx, s);
        return;
    }
    wait_after_free(a);
}

/* Dissociate mid (only from `expected` when non-NULL). */
static int dissociate_to_free(struct midatlas *a, uint16_t mid, const void *expected, void **ctx)
{
    uint64_t won;
    int rc = end_live(a, mid, expected, TO_FREE, &won);
    if (rc != MIDATLAS_OK)
        return rc;
    after_free(a, mid_index(a, mid));
    if (ctx)
        *ctx = ctx_ptr(won);
    return MIDATLAS_OK;
}

/*
 * The common dissociate: mid is in range and names its slot's LIVE
 * association (with the context `expected`, when non-NULL), and no other
 * call changes the word between the load and the CAS.  Anything else (a MID
 * out of range or reserved, a status to report, a lost CAS) is left to the
 * full path (false; *lost when the CAS lost), which loads the word again
 * and classifies it.  The load is relaxed: the CAS decides, and acquires
 * (end_cas).
 */
static inline bool dissociate_fast(struct midatlas *a, uint16_t mid, const void *expected,
                                   void **ctx, bool *lost)
{
    uint32_t idx = mid_match_index(a, mid);
    if (__builtin_expect(idx >= a->capacity, 0))
        return false;
    atomic_u64 *slot = slot_word(a, idx);
    uint64_t w = load_relaxed(slot);
    if (!word_is_mid(a, w, mid) || (expected && slot_ctx(w) != ctx_bits(expected)))
        return false;
    if (__builtin_expect(!end_try(slot, &w, TO_FREE), 0)) {
        *lost = true;
        return false;
    }
    /* Before after_free, so that nothing is live across its rare calls. */
    if (ctx)
        *ctx = ctx_ptr(w);
    after_free(a, idx);
    return true;
}

/* The full path of dissociate and dissociate_if: the MID's checks, then
 * the ending with every status (lost: the common path's CAS lost). */
OUT_OF_LINE static int dissociate_slow(struct midatlas *a, uint16_t mid, const void *expected,
                                       void **ctx, bool lost)
{
    if (lost)
        count_cas_failure(a);
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    return dissociate_to_free(a, mid, expected, ctx);
}

int midatlas_dissociate(struct midatlas *a, uint16_t mid, void **ctx)
{
    bool lost = false;
    if (!a)
        return MIDATLAS_EINVAL;
    if (__builtin_expect(dissociate_fast(a, mid, NULL, ctx, &lost), 1))
        return MIDATLAS_OK;
    return dissociate_slow(a, mid, NULL, ctx, lost);
}

int midatlas_dissociate_if(struct midatlas *a, uint16_t mid, void *expected)
{
    bool lost = false;
    if (!a || !context_storable(expected))
        return MIDATLAS_EINVAL;
    if (__builtin_expect(dissociate_fast(a, mid, expected, NULL, &lost), 1))
        return MIDATLAS_OK;
    return dissociate_slow(a, mid, expected, NULL, lost);
}

int midatlas_discard(struct midatlas *a, uint16_t mid, void **ctx)
{
    uint64_t won;

    if (!a)
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    rc = end_live(a, mid, NULL, TO_DISCARDED, &won);
    if (rc != MIDATLAS_OK)
        return rc;
    add_relaxed(&sweep_home(a)->discards, 1);
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

    uint32_t idx = mid_index(a, mid), gen = mid_gen(a, mid);
    atomic_u64 *slot = slot_word(a, idx);
    uint64_t w = load_relaxed(slot);
    for (;;) {
        rc = slot_status(a, w, gen);
        if (rc != MIDATLAS_EDISCARDED)
            return rc == MIDATLAS_OK ? MIDATLAS_EBUSY : rc;
        /* seq_cst: as a dissociate's (end_cas): release to the sweep's
         * acquire loads, Dekker partner of a waiter's increment.  A
         * tombstone carries no context, so nothing is acquired.  On failure
         * w is what the slot holds now: classified again. */
        if (cas_seq_cst(slot, &w, slot_free(slot_count(w))))
            break;
    }
    add_relaxed(&sweep_home(a)->releases, 1);
    after_free(a, idx);
    return MIDATLAS_OK;
}

/* ---- reassociation ------------------------------------------------------ */

/*
 * Swap the context of a LIVE slot of mid's generation to `desired`, only if
 * it is `expected` when that is non-NULL.  On success *old is the context
 * replaced.
 */
static int swap_live(struct midatlas *a, uint16_t mid, const void *expected, void *desired,
                     void **old)
{
    atomic_u64 *slot = slot_word(a, mid_index(a, mid));
    uint32_t gen = mid_gen(a, mid);
    uint64_t w = load_relaxed(slot);
    for (;;) {
        int rc = slot_status(a, w, gen);
        if (rc != MIDATLAS_OK)
            return rc;
        if (expected && slot_ctx(w) != ctx_bits(expected))
            return MIDATLAS_EMISMATCH;
        /* acq_rel: release pairs with map/lookup's load_acquire and the
         * acquire CAS of dissociate/discard/drain (they see *desired);
         * acquire pairs with the release that published the old context,
         * which the caller now owns.  Fails only if the word changed: another
         * reassociate (retry) or the end of the association (classified). */
        if (cas_acq_rel(slot, &w, slot_live(slot_count(w), ctx_bits(desired))))
            break;
        count_cas_failure(a);
    }
    if (old)
        *old = ctx_ptr(w);
    return MIDATLAS_OK;
}

int midatlas_reassociate(struct midatlas *a, uint16_t mid, void *desired, void **old)
{
    if (!a || !context_storable(desired))
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    return swap_live(a, mid, NULL, desired, old);
}

int midatlas_reassociate_if(struct midatlas *a, uint16_t mid, void *expected, void *desired)
{
    if (!a || !context_storable(expected) || !context_storable(desired))
        return MIDATLAS_EINVAL;
    int rc = check_mid(a, mid);
    if (rc != MIDATLAS_OK)
        return rc;
    return swap_live(a, mid, expected, desired, NULL);
}
