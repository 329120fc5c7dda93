/* SPDX-License-Identifier: MIT */
/*
 * foreach.c - a read-only walk over the live MIDs (a transport's timeout
 * scan, a debug dump).
 *
 * Each slot word is loaded exactly once, and what the visitor gets is taken
 * from that one load: the MID it names was live with that context at the
 * instant of the load, which lies inside the call.  A MID that stays live for
 * the whole call is therefore seen live by its slot's single load and visited
 * exactly once; a MID that comes or goes during the call may or may not be.
 * No retry loop and no store: wait-free, one load per slot, nothing shared
 * written, so it cannot slow the calls it races.
 */
#include "atlas.h"

size_t midatlas_foreach(struct midatlas *a, midatlas_visit_fn *fn, void *arg)
{
    size_t visited = 0;
    if (!a)
        return 0;
    for (uint32_t i = 0; i < a->capacity; i++) {
        /* acquire: pairs with the claim's release CAS (sweep.h) and
         * reassociate's CAS, so the visitor sees what was written before ctx was
         * published, as a map caller would. */
        uint64_t w = load_acquire(slot_word(a, i));
        if (!slot_is_live(w))
            continue;
        visited++;
        if (fn)
            fn((void *)(uintptr_t)slot_ctx(w), mid_make(a, slot_mid_gen(a, w), i), arg);
    }
    return visited;
}
