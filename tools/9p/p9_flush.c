// SPDX-License-Identifier: MIT
/*
 * p9_flush.c - cancelling a timed-out call, and the tombstone policy.
 *
 * A cancelled call's tag stays a tombstone until the server's Rflush says
 * no reply for it will come (9P: the tag may not be reused before that).
 * A server that never answers Tflush would so take the tag table away one
 * timeout at a time.  The policy:
 *   - bound: at most max_tombstones (default tags/4) Tflush await their
 *     Rflush at once, so tombstones and their Tflush tags never hold more
 *     than half the table.  A timed-out call that finds the bound reached
 *     waits for room (an Rflush), or for its own reply;
 *   - time: each Tflush has flush_timeout (default 5 s) to be answered.
 *     When the oldest is overdue the connection is reset (every call in
 *     flight completes with -ECONNRESET, later ones fail at once): the
 *     receiver checks every tick, and a call waiting for room gives up at
 *     that same deadline, so both name the same reason;
 *   - no tag: a timed-out call that finds no free tag for its Tflush (live
 *     calls hold them all) waits for one, or for its reply, at most
 *     flush_timeout, then resets.  It never abandons the tag on the hope
 *     that the reply must come.
 * A server that does not answer Tflush in time can no longer be trusted to
 * answer anything, so the whole connection goes, not just the call.
 *
 * Why not do what Linux does.  net/9p/client.c's p9_client_flush sends
 * Tflush and then waits for the Rflush with no time limit (the request is
 * only forgotten when the Rflush, or the reply, arrives, or the transport
 * fails), and its tags come from an IDR that grows to 65535, so a silent
 * server costs a blocked task and some memory before it costs tags.  Here
 * the table is fixed (256 tags by default) and shared by all threads, and
 * a call's owner must get its memory back at once: an unbounded wait would
 * turn one bad server into a hung tool.  So the wait is bounded in time
 * (flush_timeout), and the count bound is back-pressure, not a verdict: diod
 * holds a Tflush until the flushed request has finished, and under a flush
 * storm (64 calls in flight, timeouts of microseconds) it keeps 64 Tflush
 * outstanding for a while and then answers them all.  Resetting at the
 * count would punish a correct, overloaded server; waiting for room slows
 * the client to the server's pace, and only the deadline resets.
 *
 * Bookkeeping: each Tflush record is linked into the connection's list,
 * oldest first, before it is published in the tag table, and whoever ends
 * it (the receiver on Rflush, a drain, or the sender that failed) unlinks it
 * with p9_flush_retire.  Deadlines are send time + flush_timeout, so append
 * order is deadline order and only the head needs checking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p9_conn_internal.h"
#include "p9_rcu.h"

#define TAG_RETRY_NS 1000000u /* a cancel without a Tflush tag looks again every 1 ms */

/* ------------------------------ the list ---------------------------------- */

/* Admit f if the bound allows; false means the connection must reset. */
static bool admit(struct p9_conn *c, struct p9_flush *f)
{
    pthread_mutex_lock(&c->flush_mu);
    unsigned n = atomic_load_explicit(&c->nflush, memory_order_relaxed);
    bool ok = n < c->max_tombstones;
    if (ok) {
        f->deadline_ns = p9_now_ns() + (uint64_t)c->flush_timeout_ns;
        f->prev = c->ftail;
        f->next = NULL;
        *(c->ftail ? &c->ftail->next : &c->fhead) = f;
        c->ftail = f;
        atomic_store_explicit(&c->nflush, n + 1, memory_order_relaxed);
        if (n + 1 > atomic_load_explicit(&c->ctr.tombstone_peak, memory_order_relaxed))
            atomic_store_explicit(&c->ctr.tombstone_peak, n + 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->flush_mu);
    return ok;
}

void p9_flush_retire(struct p9_conn *c, struct p9_call *call)
{
    struct p9_flush *f = (struct p9_flush *)call; /* call is f's first member */
    pthread_mutex_lock(&c->flush_mu);
    *(f->prev ? &f->prev->next : &c->fhead) = f->next;
    *(f->next ? &f->next->prev : &c->ftail) = f->prev;
    atomic_store_explicit(&c->nflush,
                          atomic_load_explicit(&c->nflush, memory_order_relaxed) - 1,
                          memory_order_relaxed);
    pthread_mutex_unlock(&c->flush_mu);
    free(f);
}

bool p9_flush_overdue(struct p9_conn *c)
{
    if (atomic_load_explicit(&c->nflush, memory_order_relaxed) == 0)
        return false; /* the common case: no clock read, no lock */
    uint64_t now = p9_now_ns();
    pthread_mutex_lock(&c->flush_mu);
    bool late = c->fhead && now >= c->fhead->deadline_ns;
    pthread_mutex_unlock(&c->flush_mu);
    return late;
}

/* ------------------------------ cancelling -------------------------------- */

/* How a cancel's wait (for room, for a tag) ended. */
enum wait_end {
    WAIT_GOT,       /* what it waited for                                  */
    WAIT_CALL_DONE, /* the call was completed meanwhile: nothing to flush  */
    WAIT_EXPIRED,   /* its deadline passed, or the connection closed       */
    WAIT_AGAIN,     /* wait_step: nothing yet, look again                   */
};

/* One step of a cancel's wait: a tick at most, never past `end`, watching
 * the call (its reply may still come). */
static enum wait_end wait_step(struct p9_conn *c, struct p9_call *call, uint64_t end)
{
    uint64_t now = p9_now_ns();
    if (now >= end || p9_conn_is_closed(c))
        return WAIT_EXPIRED;
    uint64_t next = now + TAG_RETRY_NS;
    return p9_wait_until(call, next < end ? next : end) ? WAIT_CALL_DONE : WAIT_AGAIN;
}

/* Wait until fewer than max_tombstones Tflush are out, watching the call,
 * at most until the oldest Tflush's deadline. */
static enum wait_end wait_room(struct p9_conn *c, struct p9_call *call)
{
    for (;;) {
        pthread_mutex_lock(&c->flush_mu);
        bool room = atomic_load_explicit(&c->nflush, memory_order_relaxed) < c->max_tombstones;
        uint64_t oldest = c->fhead ? c->fhead->deadline_ns : 0;
        pthread_mutex_unlock(&c->flush_mu);
        if (room)
            return WAIT_GOT;
        enum wait_end e = wait_step(c, call, oldest);
        if (e != WAIT_AGAIN)
            return e;
    }
}

/* A tag for the Tflush, reserved (bound to a marker no reply can complete)
 * so that a tombstone never exists without a Tflush that will release it.
 * While none is free, watch the call: its reply may still come.  At most
 * flush_timeout. */
static enum wait_end reserve_flush_tag(struct p9_conn *c, struct p9_call *call, uint16_t *ftag)
{
    uint64_t give_up = p9_now_ns() + (uint64_t)c->flush_timeout_ns;
    for (;;) {
        if (c->tags.ops->associate(c->tags.t, P9_RESERVED, ftag) == 0)
            return WAIT_GOT;
        enum wait_end e = wait_step(c, call, give_up);
        if (e != WAIT_AGAIN)
            return e;
    }
}

/* Publish f on ftag and send Tflush(oldtag).  Only locals are used once f
 * is published: a bogus Rflush from a misbehaving peer can retire it at once. */
static void flush_send(struct p9_conn *c, struct p9_flush *f, uint16_t ftag, uint16_t oldtag)
{
    uint8_t msg[16]; /* on our stack, not in f */
    size_t len = p9_build_flush(msg, sizeof msg, ftag, oldtag);
    if (c->tags.ops->reassociate_if(c->tags.t, ftag, P9_RESERVED, &f->call) != 0) {
        p9_flush_retire(c, &f->call); /* a drain took the reservation and oldtag */
        return;
    }
    P9_COUNT(c, flushes);
    if (p9_conn_send(c, &f->call, ftag, msg, len) != 0)
        p9_flush_retire(c, &f->call); /* closed; we took ftag back, drain frees oldtag */
}

/* Give up on call: reset the connection; the drain completes it. */
static int reset_for(struct p9_conn *c, struct p9_call *call, struct p9_flush *f,
                     atomic_uint_fast64_t *why)
{
    free(f);
    p9_conn_fail(c, why);
    (void)p9_wait_until(call, UINT64_MAX);
    return call->status;
}

int p9_cancel(struct p9_conn *c, struct p9_call *call)
{
    const struct p9_tags_ops *ops = c->tags.ops;
    if (p9_conn_is_closed(c)) {
        /* A drain is due (or done) and completes the call: a Tflush could
         * not go out anyway, and waiting keeps the status -ECONNRESET. */
        (void)p9_wait_until(call, UINT64_MAX);
        return call->status;
    }
    struct p9_flush *f = calloc(1, sizeof *f);
    uint16_t ftag;
    if (!f)
        return reset_for(c, call, NULL, &c->ctr.flush_failed);
    f->call.is_flush = true;
    f->call.ttype = P9_TFLUSH;
    f->call.oldtag = call->tag;
    /* Room under the bound, then a tag: in this order, because the
     * tombstones may be what holds the tags.  admit() decides the room
     * exactly; losing it to another canceller means waiting again. */
    for (;;) {
        enum wait_end e = wait_room(c, call);
        if (e == WAIT_EXPIRED)
            return reset_for(c, call, f, &c->ctr.reset_flush_timeout);
        if (e == WAIT_GOT && (e = reserve_flush_tag(c, call, &ftag)) == WAIT_EXPIRED)
            return reset_for(c, call, f, &c->ctr.flush_failed);
        if (e == WAIT_CALL_DONE) {
            free(f);
            return call->status;
        }
        if (admit(c, f))
            break;
        (void)ops->take(c->tags.t, ftag, P9_RESERVED); /* fails if drained */
    }
    f->call.tag = ftag;
    if (ops->tombstone(c->tags.t, call->tag, call) != 0) {
        /* A completer won the call: no Tflush after all. */
        (void)ops->take(c->tags.t, ftag, P9_RESERVED);
        p9_flush_retire(c, &f->call);
        (void)p9_wait_until(call, UINT64_MAX);
        return call->status;
    }
    flush_send(c, f, ftag, call->tag);
    /* The receiver may have mapped this call just before we won and still be
     * reading it; let that read-side section end before the caller reuses
     * the memory. */
    p9_rcu_synchronize();
    struct p9_waiter *w = call->waiter;
    pthread_mutex_lock(&w->mu);
    call->status = -ETIMEDOUT;
    call->completions++;
    call->done = true;
    pthread_mutex_unlock(&w->mu);
    return -ETIMEDOUT;
}
