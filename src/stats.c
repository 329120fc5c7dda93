/* SPDX-License-Identifier: MIT */
/*
 * stats.c - counters summed on read, and the invariant checker.
 *
 * Nothing here runs on the associate/dissociate fast path: associations are
 * read off the slots' handout counts (a claim advances its slot's count
 * exactly once per successful associate, atlas.h), free slots are counted in
 * the slot words; only cold paths (EFULL, discard, release, CAS failures,
 * count wraps) bump a counter, on the caller's stripe line.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "atlas.h"
#include "full.h"
#include "own.h"
#include "sweep.h"

static uint32_t clamp_u32(int64_t v, uint32_t hi)
{
    if (v < 0)
        return 0;
    return v > (int64_t)hi ? hi : (uint32_t)v;
}

/* Free slots and the handouts the counts record, counted once (not an
 * instant's figure: the fallback when the slots kept moving). */
static void count_once(struct midatlas *a, uint32_t *free_slots, uint64_t *handouts)
{
    *free_slots = 0;
    *handouts = 0;
    for (uint32_t i = 0; i < a->capacity; i++) {
        uint64_t w = load_relaxed(slot_word(a, i));
        *free_slots += slot_is_free(w);
        *handouts += count_handouts(slot_count(w));
    }
}

/* The 0.1 layout: what midatlas_stats writes, forever (README, "ABI
 * policy"; tests/test_stats_abi.c). */
#define STATS_0_1_SIZE offsetof(struct midatlas_stats, rseq_chunks)

void midatlas_stats(struct midatlas *a, struct midatlas_stats *st)
{
    if (!a || !st)
        return;
    struct midatlas_stats full;
    midatlas__stats_fill(a, &full);
    memcpy(st, &full, STATS_0_1_SIZE);
}

void midatlas__stats_fill(struct midatlas *a, struct midatlas_stats *st)
{
    memset(st, 0, sizeof *st);

    uint32_t nfree;
    uint64_t handouts;
    bool instant = midatlas__sweep_snapshot(a, &nfree, &handouts);
    if (!instant)
        count_once(a, &nfree, &handouts);
    uint64_t discards = 0, releases = 0, wraps = 0, skips = 0;
    for (uint32_t k = 0; k <= a->stripe_mask; k++) {
        struct stripe *s = &a->stripes[k];
        st->full_failures += load_relaxed(&s->full_failures);
        st->cas_failures += load_relaxed(&s->cas_failures);
        discards += load_relaxed(&s->discards);
        releases += load_relaxed(&s->releases);
        wraps += load_relaxed(&s->count_wraps);
        skips += load_relaxed(&s->count_skips);
    }
    /* Every handout advanced one count by one, plus one per skipped reserved
     * value; a count that went round 2^15 left a wrap behind (atlas.h). */
    st->associations = handouts + (wraps << SLOT_COUNT_BITS) - skips;

    uint32_t used = clamp_u32((int64_t)a->usable - (int64_t)nfree, a->usable);
    st->capacity = a->capacity;
    st->usable = a->usable;
    st->stripes = a->stripe_mask + 1;
    st->discarded = clamp_u32((int64_t)(discards - releases), used);
    st->live = used - st->discarded;
    st->free = a->usable - used;
    if (instant)
        max32_relaxed(&a->high_water, used);
    st->high_water = load32_relaxed(&a->high_water);
    st->bytes = a->bytes;
    /* An atlas one CPU owns whole (solo.h) serves all its chunks by the
     * path while its solo word is not SHARED, and a CPU owns them all. */
    uint8_t solo = solo_state(solo_word(a)); /* a sample */
    bool solo_owned = solo != SOLO_SHARED && solo != SOLO_UNOWNED && solo != SOLO_REVOKING;
    st->rseq_chunks = a->owners || solo != SOLO_SHARED ? a->nchunks : 0;
    st->owned_chunks = a->owners ? midatlas__own_count(a) : solo_owned ? a->nchunks : 0;
    st->slot_bytes = (uint32_t)sizeof(uint64_t) << a->slot_shift;
}

/* ---- validation (quiescent atlas) --------------------------------------- */

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return MIDATLAS_EINVAL;
}

int midatlas_validate(struct midatlas *a, const char **why)
{
    if (!a)
        return fail(why, "NULL atlas");

    uint32_t nfree = 0, live = 0, discarded = 0, excluded = 0;
    int rc = MIDATLAS_OK;
    for (uint32_t i = 0; rc == MIDATLAS_OK && i < a->capacity; i++) {
        uint64_t w = load_relaxed(slot_word(a, i));
        if (slot_is_live(w)) {
            live++;
            if (slot_ctx(w) == 0)
                rc = fail(why, "LIVE slot with a NULL context");
            else if (mid_reserved(a->flags, mid_make(a, slot_mid_gen(a, w), i)))
                rc = fail(why, "reserved MID is live");
        } else if (slot_is_discarded(w)) {
            discarded++;
        } else if (slot_is_free(w)) {
            nfree++;
            if (slot_excluded(a, i))
                rc = fail(why, "excluded slot is FREE");
        } else if (w == slot_excluded_word(slot_count(w)) && slot_excluded(a, i)) {
            excluded++;
        } else {
            rc = fail(why, "slot word in no known state");
        }
    }
    if (rc != MIDATLAS_OK)
        return rc;
    if (nfree + live + discarded != a->usable || a->usable + excluded != a->capacity)
        return fail(why, "usable != free + live + discarded");

    const char *full = midatlas__full_check(a);
    if (full)
        return fail(why, full);
    const char *own = midatlas__own_check(a);
    if (!own)
        own = midatlas__solo_check(a);
    if (own)
        return fail(why, own);

    struct midatlas_stats st;
    midatlas_stats(a, &st);
    if (st.live != live || st.discarded != discarded)
        return fail(why, "counters disagree with the slots");
    if (why)
        *why = "ok";
    return MIDATLAS_OK;
}
