/* SPDX-License-Identifier: MIT */
/*
 * workload_window.c - churn and windows of outstanding MIDs.
 *
 * Each thread holds up to `window` MIDs of its own (churn: one), and in a
 * random order associates new ones, checks that held ones still map to its
 * context, reassociates one to a fresh context now and then, and ends one:
 * dissociate must return exactly the context it holds, after which calls
 * with the old MID and context must not act.  Only the holder ends a MID, so
 * ownership is checked strictly (owner token = thread + 1).
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield, clock_gettime, nanosleep */
#include <sched.h>

#include "stress.h"

static void end_held(struct stress_thread *th, uint32_t i)
{
    struct stress_run *run = th->run;
    uint16_t mid = th->held_mid[i];
    void *ctx = th->held_ctx[i], *got = NULL;

    stress_own_drop(run, mid, th->tid + 1, "dissociate");
    int rc = run->impl->dissociate(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK) {
        stress_violation(run, "dissociate(0x%04x) of a held MID (request %u/%u) returned %d (%s)",
                         mid, ctx_tid(ctx), ctx_seq(ctx), rc, midatlas_strerror(rc));
    } else if (got != ctx) {
        stress_violation(run, "dissociate(0x%04x) returned %p, the holder's request is %u/%u", mid,
                         got, ctx_tid(ctx), ctx_seq(ctx));
    } else {
        stress_complete(run, got, mid, "dissociate");
    }
    stress_check_stale(th, mid, ctx);
    stress_hold_remove(th, i);
}

/* Swap held MID i to a fresh context: the old one comes back exactly once. */
static void reassociate_held(struct stress_thread *th, uint32_t i)
{
    struct stress_run *run = th->run;
    void *fresh = stress_new_ctx(th);
    if (!fresh)
        return;
    atomic_store_explicit(&th->reqs[ctx_seq(fresh) & th->req_mask].mid, th->held_mid[i],
                          memory_order_relaxed);
    int rc = run->impl->reassociate_if(run->table, th->held_mid[i], th->held_ctx[i], fresh);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK) {
        stress_violation(run, "reassociate_if(0x%04x) of a held MID returned %d (%s)",
                         th->held_mid[i], rc, midatlas_strerror(rc));
        stress_unused_ctx(th, fresh);
        return;
    }
    stress_complete(run, th->held_ctx[i], th->held_mid[i], "reassociate_if");
    th->held_ctx[i] = fresh;
    stress_check_map(th, th->held_mid[i], fresh, false);
}

static bool add_one(struct stress_thread *th)
{
    void *ctx = stress_new_ctx(th);
    uint16_t mid;
    if (!ctx)
        return false;
    if (stress_associate(th, ctx, &mid, th->tid + 1, false) != MIDATLAS_OK) {
        stress_unused_ctx(th, ctx);
        return false;
    }
    stress_hold_add(th, mid, ctx);
    return true;
}

static void window_loop(struct stress_thread *th, uint32_t window)
{
    struct stress_run *run = th->run;

    while (!stress_stopped(run)) {
        uint64_t r = stress_rand(th);
        if (th->nheld < window && (th->nheld == 0 || (r & 1))) {
            if (!add_one(th) && th->nheld == 0)
                sched_yield(); /* full (allowed here): let the others free */
            continue;
        }
        uint32_t i = (uint32_t)((r >> 8) % th->nheld);
        switch ((r >> 40) & 7) {
        case 0:
            /* Only where the table has it: these workloads need nothing but
             * the required calls (a table without it once died here). */
            if (stress_has(run->impl, MID_IMPL_HAS_REASSOCIATE_IF))
                reassociate_held(th, i);
            else
                stress_check_map(th, th->held_mid[i], th->held_ctx[i], false);
            break;
        case 1:
        case 2:
            stress_check_map(th, th->held_mid[i], th->held_ctx[i], false);
            break;
        default:
            end_held(th, i);
            break;
        }
    }
    while (th->nheld)
        end_held(th, th->nheld - 1);
}

void workload_churn(struct stress_thread *th)
{
    window_loop(th, 1);
}

void workload_window(struct stress_thread *th)
{
    window_loop(th, th->run->window);
}
