/* SPDX-License-Identifier: MIT */
/*
 * workload_pipeline.c - requests that are ended by another thread.
 *
 * Thread 0 is the receiver; the others are senders (teardown: thread 1 is the
 * tearer-down).  A sender associates a request, checks it, and posts (MID,
 * context) on its own single-producer ring; the receiver takes posts in order
 * and completes them ("the reply").
 *
 *   pipeline   the receiver is the only thread that ends anything: map must
 *              still give the posted context, dissociate must return it.
 *   cancel     (discard, release) right after posting, the sender discards half
 *              of its requests, racing the reply: exactly one of dissociate
 *              and discard wins.  A reply that finds a tombstone is the late
 *              reply and releases it.  Only the receiver frees MIDs, so
 *              ownership stays strict; a sender's discard can only reach a
 *              MID the receiver freed and handed out again after the MID
 *              value wrapped, and then it wins that request, which is still
 *              exactly once; every context an ending returns must be of a
 *              request given that very MID (an ending that ignored the
 *              MID's generation and ended another request went unseen
 *              here once: MIDATLAS_BROKEN=6, stress.catches.broken6).
 *              With three threads or more, thread 1 is a canceller that
 *              discards the post each receiver is about to answer.
 *   teardown   (+ drain) cancel plus a thread calling drain in
 *              a loop (connection teardown while replies and cancels race).
 *              drain frees MIDs inside the library, so the owner array is
 *              not kept here; exactly-once completion and validity of every
 *              returned context carry the checks.
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield, clock_gettime, nanosleep */
#include <sched.h>
#include <time.h>

#include "stress.h"

enum mode { PIPELINE, CANCEL, TEARDOWN };

static bool strict_owner(enum mode m)
{
    return m != TEARDOWN;
}

static enum mode mode_of(const struct stress_run *run)
{
    return run->wl->fn == workload_teardown ? TEARDOWN
           : run->wl->fn == workload_cancel ? CANCEL
                                            : PIPELINE;
}

/* Thread 0 receives; in teardown thread 1 drains; in cancel with three
 * threads or more thread 1 is the canceller. */
unsigned pipeline_first_sender(const struct stress_run *run)
{
    enum mode m = mode_of(run);
    return m == TEARDOWN || (m == CANCEL && run->nthreads >= 3) ? 2 : 1;
}

/* ---- sender --------------------------------------------------------------------- */

static void sender_cancel(struct stress_thread *th, uint16_t mid, void *ctx)
{
    struct stress_run *run = th->run;
    void *got = NULL;
    int rc = run->impl->discard(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc == MIDATLAS_OK) {
        if (got != ctx && !stress_ctx_valid(run, got))
            stress_violation(run, "discard(0x%04x) returned %p, not a context", mid, got);
        else /* another request only if it was given this very MID (stress_complete) */
            stress_complete(run, got, (long)mid, "discard");
    } else if (rc != MIDATLAS_EDISCARDED && rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE) {
        stress_violation(run, "discard(0x%04x) returned %d (%s)", mid, rc, midatlas_strerror(rc));
    }
}

static void sender(struct stress_thread *th, enum mode m)
{
    struct stress_run *run = th->run;
    uint32_t token = strict_owner(m) ? th->tid + 1 : 0;

    while (!stress_stopped(run)) {
        /* acquire: pairs with ring_pop's release of tail (room to post). */
        if (atomic_load_explicit(&th->ring.head, memory_order_relaxed) -
                atomic_load_explicit(&th->ring.tail, memory_order_acquire) >
            th->ring.mask) {
            sched_yield();
            continue;
        }
        void *ctx = stress_new_ctx(th);
        uint16_t mid;
        if (!ctx)
            break;
        /* Before the post nobody ends it, except a wrapped cancel elsewhere. */
        if (stress_associate(th, ctx, &mid, token, m != PIPELINE) != MIDATLAS_OK) {
            stress_unused_ctx(th, ctx);
            sched_yield();
            continue;
        }
        ring_push(&th->ring, mid, ctx);
        if (m != PIPELINE && (stress_rand(th) & 1))
            sender_cancel(th, mid, ctx);
    }
}

/* ---- receiver ------------------------------------------------------------------- */

static void receive_pipeline(struct stress_thread *th, uint16_t mid, void *ctx)
{
    struct stress_run *run = th->run;
    void *got = NULL;

    stress_check_map(th, mid, ctx, false);
    stress_own_drop(run, mid, ctx_tid(ctx) + 1, "receiver");
    int rc = run->impl->dissociate(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc != MIDATLAS_OK)
        stress_violation(run, "receiver: dissociate(0x%04x) of request %u/%u returned %d (%s)", mid,
                         ctx_tid(ctx), ctx_seq(ctx), rc, midatlas_strerror(rc));
    else if (got != ctx)
        stress_violation(run, "receiver: dissociate(0x%04x) returned %p, the post says %u/%u", mid,
                         got, ctx_tid(ctx), ctx_seq(ctx));
    else
        stress_complete(run, got, mid, "reply");
}

/* The reply to a request that may have been cancelled (or, in teardown,
 * drained, and its MID handed out again). */
static void receive_racing(struct stress_thread *th, uint16_t mid, void *ctx, enum mode m)
{
    struct stress_run *run = th->run;
    void *got = NULL;

    if (m == CANCEL)
        stress_own_drop(run, mid, ctx_tid(ctx) + 1, "receiver");
    int rc = run->impl->dissociate(run->table, mid, &got);
    stress_tick(th, 1);
    if (rc == MIDATLAS_OK) {
        if (got != ctx && (m == CANCEL || !stress_ctx_valid(run, got)))
            stress_violation(run, "receiver: dissociate(0x%04x) returned %p, the post says %u/%u",
                             mid, got, ctx_tid(ctx), ctx_seq(ctx));
        else
            stress_complete(run, got, (long)mid, "reply");
        return;
    }
    if (rc == MIDATLAS_EDISCARDED) {
        /* The late reply of a cancelled request: the tombstone may go. */
        rc = run->impl->release(run->table, mid);
        stress_tick(th, 1);
        if (rc == MIDATLAS_OK)
            return;
        if (m == TEARDOWN &&
            (rc == MIDATLAS_EFREE || rc == MIDATLAS_ESTALE || rc == MIDATLAS_EBUSY))
            return; /* drain released it first (and it may be out again) */
        stress_violation(run, "receiver: release(0x%04x) of a tombstone returned %d (%s)", mid,
                         rc, midatlas_strerror(rc));
        return;
    }
    if (m == TEARDOWN && (rc == MIDATLAS_EFREE || rc == MIDATLAS_ESTALE))
        return; /* drain got there first */
    stress_violation(run, "receiver: dissociate(0x%04x) of posted request %u/%u returned %d (%s)",
                     mid, ctx_tid(ctx), ctx_seq(ctx), rc, midatlas_strerror(rc));
}

static void receiver(struct stress_thread *th, enum mode m)
{
    struct stress_run *run = th->run;
    unsigned first = pipeline_first_sender(run);

    for (;;) {
        bool any = false, all_finished = true;
        for (unsigned s = first; s < run->nthreads; s++) {
            struct stress_thread *snd = &run->threads[s];
            /* acquire: pairs with the release store of finished in the
             * thread body: its last post is visible. */
            if (!atomic_load_explicit(&snd->finished, memory_order_acquire))
                all_finished = false;
            uint16_t mid;
            void *ctx;
            /* A few per sender, so no sender's ring waits long. */
            for (int k = 0; k < 8 && ring_pop(&snd->ring, &mid, &ctx); k++) {
                any = true;
                if (m == PIPELINE)
                    receive_pipeline(th, mid, ctx);
                else
                    receive_racing(th, mid, ctx, m);
                stress_check_stale(th, mid, ctx);
            }
        }
        if (!any) {
            if (all_finished)
                return; /* every post of every finished sender answered */
            sched_yield();
        }
    }
}

/* ---- canceller ------------------------------------------------------------------ */

/* Time-outs racing the replies: discard the very post the receiver is about
 * to answer, so dissociate and discard meet on the same MID as often as
 * possible.  The peek may be stale; whatever a discard wins is completed. */
static void canceller(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    unsigned first = pipeline_first_sender(run);
    unsigned nsenders = run->nthreads - first;

    while (!stress_stopped(run)) {
        struct stress_thread *snd = &run->threads[first + stress_rand(th) % nsenders];
        uint16_t mid;
        void *got = NULL;
        int peek = ring_peek_mid(&snd->ring, &mid);
        if (peek == 0) {
            sched_yield();
            continue;
        }
        int rc = run->impl->discard(run->table, mid, &got);
        stress_tick(th, 1);
        if (peek == 2)
            sched_yield(); /* nothing pending: leave the core to the others */
        if (rc == MIDATLAS_OK)
            stress_complete(run, got, (long)mid, "discard (canceller)");
        else if (rc != MIDATLAS_EDISCARDED && rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE)
            stress_violation(run, "canceller: discard(0x%04x) returned %d (%s)", mid, rc,
                             midatlas_strerror(rc));
    }
}

/* ---- teardown ------------------------------------------------------------------- */

static void drained(void *ctx, uint16_t mid, void *arg)
{
    struct stress_run *run = arg;
    stress_complete(run, ctx, mid, "drain");
}

static void tearer(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    while (!stress_stopped(run)) {
        size_t n = run->impl->drain(run->table, drained, run);
        stress_tick(th, 1 + n);
        /* Let requests pile up again between teardowns. */
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- entry points ----------------------------------------------------------------- */

static void run_role(struct stress_thread *th, enum mode m)
{
    if (th->tid == 0)
        receiver(th, m);
    else if (m == TEARDOWN && th->tid == 1)
        tearer(th);
    else if (m == CANCEL && th->tid == 1 && pipeline_first_sender(th->run) == 2)
        canceller(th);
    else
        sender(th, m);
}

void workload_pipeline(struct stress_thread *th)
{
    run_role(th, PIPELINE);
}

void workload_cancel(struct stress_thread *th)
{
    run_role(th, CANCEL);
}

void workload_teardown(struct stress_thread *th)
{
    run_role(th, TEARDOWN);
}
