/* SPDX-License-Identifier: MIT */
/*
 * workload_reassoc.c - reassociate storms on a few shared MIDs.
 *
 * run->shared[] holds a handful of MIDs that every thread reassociates: map
 * then reassociate_if to a fresh context, or (tables with reassociate) unconditional
 * reassociate.  Now and then a thread replaces a shared MID: it takes the
 * entry (CAS to BUSY, so it alone ends that MID), dissociates it while the
 * others keep reassociating, and publishes a new one.
 *
 * The check: every context installed is displaced exactly once - by the
 * reassociate that swapped it out (its `expected`, or `old`), or by the
 * dissociate of the replacement - and the contexts still installed at the end
 * are displaced by the final dissociate.  A dissociate that is not one CAS can
 * return a context a racing reassociate_if already displaced: twice.
 *
 * A thread may act on a shared MID value it read before the entry was
 * replaced; after the value wraps that reaches another association.  That is
 * legal and still exactly once, so map results here are checked for being
 * contexts at all, not for being a particular one.
 */
#include "stress.h"

static void check_mapped(struct stress_thread *th, uint16_t mid, void *v)
{
    stress_mapped_ok(th->run, mid, v, "map of a shared MID");
}

static void publish_new(struct stress_thread *th, unsigned k)
{
    struct stress_run *run = th->run;
    void *ctx = stress_new_ctx(th);
    uint16_t mid;
    if (!ctx)
        return; /* stopping; the entry stays BUSY and the final check skips it */
    int rc = run->impl->associate(run->table, ctx, &mid);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK) {
        stress_violation(run, "associate for shared entry %u returned %d (%s) with %u of %u in use",
                         k, rc, midatlas_strerror(rc), run->nshared, run->cfg->capacity);
        stress_unused_ctx(th, ctx);
        /* release: pairs with the acquire loads of shared[] (nothing to see). */
        atomic_store_explicit(&run->shared[k], SHARED_EMPTY, memory_order_release);
        return;
    }
    stress_count_association(th);
    stress_own_take(run, mid, OWNER_SHARED, "associate");
    atomic_store_explicit(&th->reqs[ctx_seq(ctx) & th->req_mask].mid, mid, memory_order_relaxed);
    check_mapped(th, mid, run->impl->map(run->table, mid));
    stress_tick(th, 1);
    /* release: pairs with the acquire load in workload_reassoc; the MID is
     * associated before anyone reads it here. */
    atomic_store_explicit(&run->shared[k], mid, memory_order_release);
}

/* End the shared MID of entry k (taken: BUSY) and return its context. */
static void end_shared(struct stress_thread *th, uint16_t mid)
{
    struct stress_run *run = th->run;
    void *got = NULL;
    stress_own_drop(run, mid, OWNER_SHARED, "dissociate");
    int rc = run->impl->dissociate(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK) {
        stress_violation(run, "dissociate(0x%04x) of a taken shared MID returned %d (%s)", mid, rc,
                         midatlas_strerror(rc));
        return;
    }
    stress_complete(run, got, -1, "dissociate");
    stress_check_stale(th, mid, got);
}

static void storm_conditional(struct stress_thread *th, uint16_t mid)
{
    struct stress_run *run = th->run;
    void *e = run->impl->map(run->table, mid);
    stress_tick(th, 1);
    check_mapped(th, mid, e);
    if (!e)
        return; /* replaced meanwhile */
    void *d = stress_new_ctx(th);
    if (!d)
        return;
    atomic_store_explicit(&th->reqs[ctx_seq(d) & th->req_mask].mid, mid, memory_order_relaxed);
    int rc = run->impl->reassociate_if(run->table, mid, e, d);
    stress_tick(th, 1);
    if (rc == MIDATLAS_OK) {
        stress_complete(run, e, -1, "reassociate_if");
        return;
    }
    stress_unused_ctx(th, d);
    if (stress_has(run->impl, MID_IMPL_HAS_LOOKUP) && rc != MIDATLAS_EMISMATCH && rc != MIDATLAS_EFREE &&
        rc != MIDATLAS_ESTALE)
        stress_violation(run, "reassociate_if(0x%04x) returned %d (%s)", mid, rc,
                         midatlas_strerror(rc));
}

static void storm_unconditional(struct stress_thread *th, uint16_t mid)
{
    struct stress_run *run = th->run;
    void *d = stress_new_ctx(th), *old = NULL;
    if (!d)
        return;
    atomic_store_explicit(&th->reqs[ctx_seq(d) & th->req_mask].mid, mid, memory_order_relaxed);
    int rc = run->impl->reassociate(run->table, mid, d, &old);
    stress_tick(th, 1);
    if (rc == MIDATLAS_OK) {
        stress_complete(run, old, -1, "reassociate");
        return;
    }
    stress_unused_ctx(th, d);
    if (rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE)
        stress_violation(run, "reassociate(0x%04x) returned %d (%s)", mid, rc,
                         midatlas_strerror(rc));
}

void workload_reassoc(struct stress_thread *th)
{
    struct stress_run *run = th->run;

    while (!stress_stopped(run)) {
        uint64_t r = stress_rand(th);
        unsigned k = (unsigned)(r % run->nshared);
        /* acquire: pairs with publish_new's release store. */
        uint32_t s = atomic_load_explicit(&run->shared[k], memory_order_acquire);
        unsigned pick = (unsigned)(r >> 32) & 63;

        if (s == SHARED_BUSY)
            continue;
        if (s == SHARED_EMPTY || pick == 0) {
            /* Take the entry: relaxed, the MID it names was published by the
             * release store we acquired above. */
            if (atomic_compare_exchange_strong_explicit(&run->shared[k], &s, SHARED_BUSY,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed)) {
                if (s != SHARED_EMPTY)
                    end_shared(th, (uint16_t)s);
                publish_new(th, k);
            }
            continue;
        }
        if (stress_has(run->impl, MID_IMPL_HAS_REASSOCIATE) && pick < 16)
            storm_unconditional(th, (uint16_t)s);
        else
            storm_conditional(th, (uint16_t)s);
    }
}

/* After the run: end every shared MID, so every context completes once. */
void reassoc_finish(struct stress_run *run)
{
    struct stress_thread *th = &run->threads[0];
    for (unsigned k = 0; k < run->nshared; k++) {
        uint32_t s = atomic_load_explicit(&run->shared[k], memory_order_relaxed);
        if (s < SHARED_EMPTY)
            end_shared(th, (uint16_t)s);
        atomic_store_explicit(&run->shared[k], SHARED_EMPTY, memory_order_relaxed);
    }
}
