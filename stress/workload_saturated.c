/* SPDX-License-Identifier: MIT */
/*
 * workload_saturated.c - a table kept exactly full, so that EFULL is an
 * everyday answer and the path that gives it is what runs (midatlas: FULL
 * mode, src/full.h: frees recorded in cells while the atlas is full).
 *
 * Thread 0 is the prober; threads 1..N-1 are quota threads, each with a
 * fixed share of the capacity (saturated_share: the shares sum to it).
 *
 *   quota    associates until it holds its share (the prefill), then in a
 *            loop dissociates one of its MIDs, or half the time two (with a
 *            share of 2 or more), chosen at random (it must get their
 *            contexts back), and at once associates a new one, and on its
 *            next turn another; the stale checks of the ended MIDs come
 *            after that associate, so the slots it freed are free for as
 *            short a time as possible.  An EFULL leaves it one short, and it
 *            tries again.  Why two: midatlas in FULL mode first tries the
 *            slot the thread freed last (full.h), so with one a free that
 *            the table failed to record came straight back and never showed
 *            as an EFULL (MIDATLAS_BROKEN=3 was caught only by the validate
 *            at the end of a run from 2026-12-01 to 2026-12-04); the second
 *            associate after two frees must find the other slot.
 *   prober   associates one MID more than the shares hold: on a full table
 *            that is what finds it full (midatlas: the double collect that
 *            enters FULL mode), and its EFULL is the expected answer.  A MID
 *            it does get it dissociates again at once.  prober_ops is
 *            incremented before each try and after it (after the dissociate
 *            when it got one): odd while the prober is inside a call or
 *            holds its MID, even while it holds nothing and calls nothing.
 *            It yields between tries, so it is idle much of the time.
 *
 * The check: a quota thread's associate that answers EFULL while prober_ops
 * read the same even value before and after the call is a violation.  It
 * needs no timing: whatever the schedule, such an EFULL is false.
 *
 * Why.  EFULL says that at one instant during the call every usable slot
 * (all `capacity`: the table reserves no value) was taken: live, discarded,
 * or in the hand of a call in progress (midatlas's FULL mode: freed by a
 * call that had not returned yet, or taken out of a cell by an associate
 * that had not returned yet; harness.h: "with fewer than capacity MIDs
 * held, no EFULL").  Count the slots taken at any instant of the checked
 * call:
 *   - another quota thread k: at most share(k).  It holds share(k) - 1
 *     or fewer from its first dissociate of a turn until its associates
 *     have filled its share again, and the call it has open
 *     holds one more at most (the slot it is freeing, or the one it is
 *     claiming; an entry it took that turned out stale is a slot someone
 *     else claimed);
 *   - the asking thread: share - 1 at most (share - 2 after two ends,
 *     before its first associate).  Its dissociates returned before it
 *     called, and an associate that answers EFULL may keep no slot in its
 *     own hand: one it could have returned (midatlas answers EFULL only
 *     after a look that found no cell entry left; an entry it took before
 *     that named a slot it could not claim, i.e. one another call claimed);
 *   - the prober: none (below).
 * At most capacity - 1 slots were taken at every instant of the call: one was
 * free, and the EFULL is false.  This holds from the first call on: during
 * the prefill the quota threads hold less than their shares, so the prefill
 * needs no barrier, and an EFULL there is caught by the same rule.
 *
 * The prober's part, in the memory model.  Its increments are release RMWs
 * and the quota thread's two loads acquire.  The first load read the
 * increment that followed the prober's last call (or the initial 0), so
 * that call happens before the checked associate, which sees the slot it
 * freed as freed.  The second load read the same value.  Had the associate
 * read anything the prober wrote after its next increment (its claim of a
 * slot, its take of a cell entry), directly or through a chain of
 * release/acquire pairs - and every read of the table that can decide an
 * answer is an acquire load (midatlas: sweep.c and full.c, "Orders"; a
 * lock's acquire for the lock-based tables) - that increment would happen
 * before the second load, which would then have to read it or a later
 * value (write-read coherence).  So the associate saw nothing of the
 * prober after the value it read: not its MID, not the slot it claimed.
 *
 * What it catches: a free that a full table does not see.  midatlas built
 * with MIDATLAS_BROKEN=3 does not record frees in FULL mode; the prober's
 * EFULL puts the atlas there, the next quota thread that frees a slot and
 * misses it in its own chunk finds the cells empty and answers EFULL.
 * sbitmap above one word (capacity > 64) is not exact either (its own
 * comment says so), which is why the large-capacity test leaves it out.
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield */
#include <sched.h>
#include <stdio.h>

#include "stress.h"

uint32_t saturated_share(const struct stress_run *run, unsigned tid)
{
    uint32_t quotas = run->nthreads - 1, cap = run->cfg->capacity;
    if (tid == 0)
        return 0;
    return cap / quotas + (tid - 1 < cap % quotas ? 1u : 0u);
}

/* ---- the prober's counter ------------------------------------------------------ */

static void prober_step(struct stress_run *run)
{
    /* release: pairs with the quota threads' acquire loads (prober_read);
     * the calls before this increment happen before a check that reads it. */
    atomic_fetch_add_explicit(&run->prober_ops, 1, memory_order_release);
}

static uint64_t prober_read(struct stress_run *run)
{
    /* acquire: pairs with prober_step's release increments. */
    return atomic_load_explicit(&run->prober_ops, memory_order_acquire);
}

static void count(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed); /* a statistic */
}

/* ---- ending a MID ------------------------------------------------------------------ */

/* Dissociate (mid, ctx), which th holds: it must come back exactly. */
static void end_mid(struct stress_thread *th, uint16_t mid, void *ctx)
{
    struct stress_run *run = th->run;
    void *got = NULL;

    stress_own_drop(run, mid, th->tid + 1, "dissociate");
    int rc = run->impl->dissociate(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK)
        stress_violation(run, "dissociate(0x%04x) of a held MID (request %u/%u) returned %d (%s)",
                         mid, ctx_tid(ctx), ctx_seq(ctx), rc, midatlas_strerror(rc));
    else if (got != ctx)
        stress_violation(run, "dissociate(0x%04x) returned %p, the holder's request is %u/%u",
                         mid, got, ctx_tid(ctx), ctx_seq(ctx));
    else
        stress_complete(run, got, mid, "dissociate");
}

/* ---- quota threads ----------------------------------------------------------------- */

/* Associate one more MID; an EFULL with the prober idle throughout is a
 * lie (header).  False when nothing was added. */
static bool quota_add(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    void *ctx = stress_new_ctx(th);
    uint16_t mid;
    if (!ctx)
        return false;
    uint64_t before = prober_read(run);
    int rc = stress_associate(th, ctx, &mid, th->tid + 1, false);
    uint64_t after = prober_read(run);
    if (rc != MIDATLAS_OK) {
        stress_unused_ctx(th, ctx);
        if (rc == MIDATLAS_EFULL && before == after && (before & 1) == 0)
            stress_violation(run,
                             "associate by thread %u said EFULL, but at most %u of %u MIDs were "
                             "taken during the call: it had just freed one and the prober held "
                             "none throughout (prober_ops %llu)",
                             th->tid, run->cfg->capacity - 1, run->cfg->capacity,
                             (unsigned long long)before);
        else if (rc == MIDATLAS_EFULL)
            count(&run->quota_full);
        return false;
    }
    stress_hold_add(th, mid, ctx);
    return true;
}

/* Held entry i leaves the list; returns its MID and context. */
static void quota_remove(struct stress_thread *th, uint32_t i, uint16_t *mid, void **ctx)
{
    *mid = th->held_mid[i];
    *ctx = th->held_ctx[i];
    stress_hold_remove(th, i);
}

/* A thread whose share is 0 (capacity below the quota threads) holds
 * nothing; it maps random values, so that it still completes operations. */
static void quota_idle(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    while (!stress_stopped(run)) {
        uint16_t mid = (uint16_t)stress_rand(th);
        stress_mapped_ok(run, mid, run->impl->map(run->table, mid), "map");
        stress_tick(th, 1);
        sched_yield();
    }
}

static void quota(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    uint32_t share = saturated_share(run, th->tid);

    if (share == 0) {
        quota_idle(th);
        return;
    }
    while (!stress_stopped(run)) {
        uint16_t old_mid[2];
        void *old_ctx[2];
        unsigned ended = 0;
        if (th->nheld == share) {
            unsigned ends = share >= 2 && (stress_rand(th) & 1) ? 2 : 1;
            for (; ended < ends; ended++) {
                quota_remove(th, (uint32_t)(stress_rand(th) % th->nheld), &old_mid[ended],
                             &old_ctx[ended]);
                end_mid(th, old_mid[ended], old_ctx[ended]);
            }
        }
        bool added = quota_add(th);
        for (unsigned k = 0; k < ended; k++)
            stress_check_stale(th, old_mid[k], old_ctx[k]);
        if (added)
            stress_check_map(th, th->held_mid[th->nheld - 1], th->held_ctx[th->nheld - 1], false);
        else
            sched_yield(); /* the prober holds the last MID: let it give it back */
    }
    while (th->nheld) {
        uint16_t mid;
        void *ctx;
        quota_remove(th, th->nheld - 1, &mid, &ctx);
        end_mid(th, mid, ctx);
    }
}

/* ---- the prober -------------------------------------------------------------------- */

static void prober(struct stress_thread *th)
{
    struct stress_run *run = th->run;

    while (!stress_stopped(run)) {
        void *ctx = stress_new_ctx(th);
        uint16_t mid;
        if (!ctx)
            return;
        prober_step(run); /* odd: from here until it holds nothing again */
        int rc = stress_associate(th, ctx, &mid, th->tid + 1, false);
        if (rc == MIDATLAS_OK)
            end_mid(th, mid, ctx);
        prober_step(run); /* even: idle */
        if (rc == MIDATLAS_OK) {
            stress_check_stale(th, mid, ctx);
        } else {
            stress_unused_ctx(th, ctx);
            if (rc == MIDATLAS_EFULL)
                count(&run->prober_full);
        }
        sched_yield();
    }
}

/* ---- entry points ------------------------------------------------------------------ */

void workload_saturated(struct stress_thread *th)
{
    if (th->tid == 0)
        prober(th);
    else
        quota(th);
}

/* Says how often the table was found full, which is what the run is for: a
 * run whose prober never got EFULL did not reach the full table's path. */
void saturated_finish(struct stress_run *run)
{
    if (run->cfg->quiet)
        return;
    fprintf(stderr,
            "saturated: the prober got EFULL %llu times; quota threads %llu times while the "
            "prober held or sought a MID\n",
            (unsigned long long)atomic_load_explicit(&run->prober_full, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&run->quota_full, memory_order_relaxed));
}
