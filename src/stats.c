/* SPDX-License-Identifier: MIT */
/*
 * stats.c - counters summed on read, and the invariant checker.
 *
 * Nothing here runs on the associate/dissociate fast path: associations are
 * read off the stripes' pop tags (a pop happens exactly once per successful
 * associate), free slots off the stripes' lengths; only cold paths (EFULL,
 * discard, release, CAS failures) bump a counter, on the caller's stripe line.
 */
#include <stdlib.h>
#include <string.h>

#include "atlas.h"
#include "freelist.h"

static uint32_t clamp_u32(int64_t v, uint32_t hi)
{
    if (v < 0)
        return 0;
    return v > (int64_t)hi ? hi : (uint32_t)v;
}

void midatlas_stats(struct midatlas *a, struct midatlas_stats *st)
{
    if (!a || !st)
        return;
    memset(st, 0, sizeof *st);

    uint32_t listed;
    bool instant = midatlas__freelist_snapshot(a, &listed);
    if (!instant)
        listed = midatlas__freelist_count(a);
    uint64_t discards = 0, releases = 0;
    for (uint32_t k = 0; k < stack_count(a); k++) {
        struct stripe *s = &a->stripes[k];
        uint64_t h = load_relaxed(&s->head);
        st->associations += load_relaxed(&s->tag_wraps) << HEAD_TAG_BITS | head_tag(h);
        st->full_failures += load_relaxed(&s->full_failures);
        st->cas_failures += load_relaxed(&s->cas_failures);
        discards += load_relaxed(&s->discards);
        releases += load_relaxed(&s->releases);
    }

    uint32_t used = clamp_u32((int64_t)a->usable - (int64_t)listed, a->usable);
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
}

/* ---- validation (quiescent atlas) --------------------------------------- */

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return MIDATLAS_EINVAL;
}

/* Walk every stripe, marking listed slots; check lengths and states. */
static int check_lists(struct midatlas *a, unsigned char *seen, uint32_t *listed, const char **why)
{
    *listed = 0;
    for (uint32_t k = 0; k < stack_count(a); k++) {
        uint64_t h = load_acquire(&a->stripes[k].head); /* pairs with freelist_put */
        uint32_t idx = head_idx(h);
        for (uint32_t n = 0; n < head_len(h); n++) {
            if (idx >= a->capacity)
                return fail(why, "free list links outside the slot array");
            if (seen[idx])
                return fail(why, "slot listed twice on the free lists");
            uint64_t w = load_relaxed(&a->slots[idx]);
            if (!slot_is_free(w))
                return fail(why, "listed slot is not FREE");
            if (slot_excluded(a, idx))
                return fail(why, "excluded slot is on a free list");
            seen[idx] = 1;
            idx = slot_link(w);
        }
        *listed += head_len(h);
    }
    return MIDATLAS_OK;
}

int midatlas_validate(struct midatlas *a, const char **why)
{
    if (!a)
        return fail(why, "NULL atlas");
    unsigned char *seen = calloc(a->capacity, 1);
    if (!seen)
        return fail(why, "out of memory");

    uint32_t listed, live = 0, discarded = 0, excluded = 0;
    int rc = check_lists(a, seen, &listed, why);
    for (uint32_t i = 0; rc == MIDATLAS_OK && i < a->capacity; i++) {
        uint64_t w = load_relaxed(&a->slots[i]);
        if (slot_is_live(w)) {
            live++;
            if (slot_ctx(w) == 0)
                rc = fail(why, "LIVE slot with a NULL context");
            else if (mid_reserved(a->flags, mid_make(a, slot_gen(w), i)))
                rc = fail(why, "reserved MID is live");
        } else if (slot_is_discarded(w)) {
            discarded++;
        } else if (!seen[i]) {
            if (slot_excluded(a, i))
                excluded++;
            else
                rc = fail(why, "FREE slot on no free list (lost)");
        }
        if (rc == MIDATLAS_OK && slot_gen(w) > a->gen_mask)
            rc = fail(why, "generation wider than the MID allows");
    }
    free(seen);
    if (rc != MIDATLAS_OK)
        return rc;
    if (listed + live + discarded != a->usable || a->usable + excluded != a->capacity)
        return fail(why, "usable != listed + live + discarded");

    struct midatlas_stats st;
    midatlas_stats(a, &st);
    if (st.live != live || st.discarded != discarded)
        return fail(why, "counters disagree with the slots");
    if (why)
        *why = "ok";
    return MIDATLAS_OK;
}
