/* SPDX-License-Identifier: MIT */
/*
 * drain.c - connection teardown: dissociate every live MID, release every
 * tombstone, while other calls may still be running.
 */
#include "atlas.h"
#include "full.h"
#include "sweep.h"
#include "wait.h"

/*
 * Free slot idx if it is LIVE or DISCARDED, winning it with one CAS like
 * dissociate / release do, so a racing call and drain never both win.
 * Returns 1 and the LIVE word taken in *won when a context was taken.
 */
static int drain_slot(struct midatlas *a, uint32_t idx, uint64_t *won)
{
    atomic_u64 *slot = slot_word(a, idx);
    uint64_t w = load_relaxed(slot);

    while (slot_is_live(w) || slot_is_discarded(w)) {
        int live = slot_is_live(w);
        /* seq_cst, as a dissociate's CAS (midatlas.c, end_cas): acquire
         * pairs with the release that published the context (the visitor
         * owns it), release with the sweep's acquire loads, and it is the
         * Dekker partner of a waiter's increment.  On failure w is reloaded
         * and looked at again. */
        if (cas_seq_cst(slot, &w, slot_free(slot_count(w)))) {
            full_after_free(a, idx); /* before the gate: full.c, "Orders" */
            wait_after_free(a);      /* waiters that queued after drain began */
            if (!live)
                add_relaxed(&sweep_home(a)->releases, 1);
            *won = w;
            return live;
        }
    }
    return 0;
}

size_t midatlas_drain(struct midatlas *a, midatlas_visit_fn *fn, void *arg)
{
    size_t taken = 0;
    if (!a)
        return 0;
    midatlas__sweep_sample_high_water(a);
    /* Teardown: whoever waits for a MID of this connection is told so.  Only
     * when someone is queued, so that drain stays lock-free otherwise (a
     * thread stalled holding the queue lock must not stop a teardown).
     * seq_cst: as wait_after_free's load; a waiter that queues after this
     * read is served by the frees below instead. */
    if (load32_seq_cst(&a->gate) & GATE_WAITERS)
        midatlas__wait_wake_all(a);
    for (uint32_t i = 0; i < a->capacity; i++) {
        uint64_t w;
        if (drain_slot(a, i, &w)) {
            taken++;
            if (fn)
                fn((void *)(uintptr_t)slot_ctx(w), mid_make(a, slot_mid_gen(a, w), i), arg);
        }
    }
    return taken;
}
