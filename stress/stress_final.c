/* SPDX-License-Identifier: MIT */
/*
 * stress_final.c - the checks made once every thread has stopped.
 *
 *   - every request issued completed exactly once (none lost);
 *   - nobody still owns a MID in the owner array;
 *   - tables with stats (midatlas): validate passes, stats agree (live 0, discarded 0, free ==
 *     usable == capacity, associations == the associates the harness saw);
 *   - quiescence: one thread (this one, which never associated before) can
 *     associate every free MID - capacity of them, all distinct, each mapping
 *     to its context - and then EFULL; nothing is stranded on a stripe or in a
 *     cache.  Then they are all dissociated and validate runs again.
 */
#include <stdlib.h>

#include "stress.h"

static void check_records(struct stress_run *run)
{
    for (unsigned t = 0; t < run->nthreads; t++) {
        struct stress_thread *th = &run->threads[t];
        for (uint32_t i = 0; i <= th->req_mask; i++) {
            struct stress_req *r = &th->reqs[i];
            uint32_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
            uint32_t done = atomic_load_explicit(&r->done, memory_order_relaxed);
            if (seq != 0 && done == 0)
                stress_violation(run, "request %u/%u (MID 0x%04x) never completed", t, seq,
                                 atomic_load_explicit(&r->mid, memory_order_relaxed) & 0xFFFF);
        }
    }
}

static void check_owners(struct stress_run *run)
{
    for (uint32_t m = 0; m < STRESS_MID_VALUES; m++) {
        uint32_t o = atomic_load_explicit(&run->owner[m], memory_order_relaxed);
        if (o != 0) {
            stress_violation(run, "MID 0x%04x still owned by %u after every thread ended its MIDs",
                             m, o);
            return;
        }
    }
}

static void check_atlas(struct stress_run *run, uint32_t live, uint64_t associations,
                        const char *when)
{
    const char *why = NULL;
    struct mid_impl_stats st;

    if (run->impl->validate(run->table, &why) != MIDATLAS_OK)
        stress_violation(run, "validate %s: %s", when, why ? why : "(no reason)");
    run->impl->stats(run->table, &st);
    if (st.capacity != run->cfg->capacity || st.usable != run->cfg->capacity ||
        st.live != live || st.discarded != 0 || st.live + st.discarded + st.free != st.usable)
        stress_violation(run,
                         "stats %s: capacity %u usable %u live %u discarded %u free %u; expected "
                         "live %u, discarded 0, live + discarded + free == usable == %u",
                         when, st.capacity, st.usable, st.live, st.discarded, st.free, live,
                         run->cfg->capacity);
    if (st.associations != associations)
        stress_violation(run, "stats %s: %llu associations, the harness made %llu", when,
                         (unsigned long long)st.associations, (unsigned long long)associations);
}

/* Associate until EFULL from this thread; every usable MID must come out. */
static void check_nothing_stranded(struct stress_run *run, uint64_t associations)
{
    const struct mid_impl *ops = run->impl;
    uint32_t cap = run->cfg->capacity, n = 0;
    uint16_t *mids = calloc(cap, sizeof *mids);
    if (!mids) {
        stress_violation(run, "out of memory in the final check");
        return;
    }
    for (;;) {
        void *ctx = ctx_make(CTX_FINAL, 0, n + 1);
        uint16_t mid;
        int rc = ops->associate(run->table, ctx, &mid);
        if (rc == MIDATLAS_EFULL)
            break;
        if (rc != MIDATLAS_OK) {
            stress_violation(run, "quiescent associate #%u returned %d (%s)", n + 1, rc,
                             midatlas_strerror(rc));
            break;
        }
        if (n == cap) {
            stress_violation(run, "quiescent associate handed out MID #%u of a %u-MID table",
                             n + 1, cap);
            ops->dissociate(run->table, mid, NULL);
            break;
        }
        stress_own_take(run, mid, OWNER_FINAL, "quiescent associate");
        if (ops->map(run->table, mid) != ctx)
            stress_violation(run, "quiescent map(0x%04x) does not give its context", mid);
        mids[n++] = mid;
    }
    if (n != cap)
        stress_violation(run,
                         "at quiescence one thread obtained %u MIDs, then EFULL; %u were free "
                         "(%u stranded)",
                         n, cap, cap - n);
    if (stress_has(run->impl, MID_IMPL_HAS_STATS))
        check_atlas(run, n, associations + n, "with every MID taken");
    for (uint32_t i = 0; i < n; i++) {
        void *got = NULL;
        stress_own_drop(run, mids[i], OWNER_FINAL, "quiescent dissociate");
        if (ops->dissociate(run->table, mids[i], &got) != MIDATLAS_OK ||
            got != ctx_make(CTX_FINAL, 0, i + 1))
            stress_violation(run, "quiescent dissociate(0x%04x) did not return its context",
                             mids[i]);
    }
    if (stress_has(run->impl, MID_IMPL_HAS_STATS))
        check_atlas(run, 0, associations + n, "after the quiescence check");
    free(mids);
}

void stress_final_checks(struct stress_run *run)
{
    uint64_t associations = 0;
    if (run->wl->finish)
        run->wl->finish(run);
    for (unsigned t = 0; t < run->nthreads; t++)
        associations += atomic_load_explicit(&run->threads[t].associations, memory_order_relaxed);
    check_records(run);
    check_owners(run);
    if (stress_has(run->impl, MID_IMPL_HAS_STATS))
        check_atlas(run, 0, associations, "at the end of the run");
    if (atomic_load_explicit(&run->violations, memory_order_relaxed) == 0)
        check_nothing_stranded(run, associations);
}
