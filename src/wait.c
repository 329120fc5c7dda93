/* SPDX-License-Identifier: MIT */
/*
 * wait.c - midatlas_associate_wait: sleeping for a MID, served in FIFO order.
 *
 * Shape.  When no MID is free, a caller queues a waiter record on its own stack
 * and sleeps on the record's condition variable (futex-backed in glibc: no
 * spinning).  Whoever frees a MID while waiters are queued takes the queue lock
 * and hands free MIDs to waiters oldest first, publishing each slot LIVE with
 * the waiter's context itself, so the MID is never visible as free in between
 * and no associate can take it first.  RDBSS callers did the same by hand with
 * RxReassociateMid; Linux blk-mq sleeps on tag wait queues.
 *
 * No lost wakeup.  A waiter increments the gate word (seq_cst RMW), issues a
 * seq_cst fence, then sweeps the slot words.  A freeing thread frees its slot
 * with a seq_cst CAS, then loads the gate word (seq_cst).  In the single total
 * order of those operations either the load comes after the increment (the freer
 * serves the queue) or the free comes before the fence (the sweep finds the
 * slot).  Both may happen; serving is idempotent under the lock.
 *
 * No barging.  A plain associate that sees waiters counted in the gate word
 * serves the queue first and takes a MID only if nobody is left waiting,
 * else answers EFULL.
 *
 * Timeouts.  Granting and giving up both happen under the queue lock, so a
 * waiter either was granted a MID before it looked (and returns OK with it) or
 * unlinks itself and the next grant goes to the next waiter: no MID is lost.
 *
 * Lifetime of a waiter record.  It lives on the waiter's stack; a granter
 * touches it only under the lock, and the waiter returns only after taking the
 * lock once more, so no granter can touch a dead record.
 *
 * Closing.  midatlas_close sets GATE_CLOSED in the gate word with one RMW and
 * a waiter announces itself with another (its increment, under the lock), so
 * in the modification order of that one word exactly one comes first:
 * either close finds the waiter counted, or the waiter's increment returns
 * the bit and it leaves with ECLOSED at once.  Nobody sleeps on a closed
 * atlas.  A close that finds waiters counted sets the bit under the queue
 * lock and wakes them in the same hold: every grant runs under that lock
 * (serve_locked), so a grant either comes before close (and the waiter's OK
 * with it) or finds the queue empty.  A close that finds nobody counted
 * sets the bit with a CAS that fails if anyone was counted meanwhile; with
 * nobody counted nobody is queued (a waiter appended but not yet counted
 * holds the lock, and its increment will return the bit), so no grant can
 * follow either.  Setting the bit first and taking the lock after, as an
 * earlier version did, let a free in between grant a queued waiter a MID
 * after close had taken effect (tests/lifecycle/test_close_grant.c).  Once
 * closed, associate answers ECLOSED from the same one load that tells it
 * nobody waits.  The atlas's memory is freed only by destroy, which the
 * caller calls after every call has returned (close, then join the threads
 * that may call): no thread can be inside wait.c then.
 *
 * Cancellation.  The condition wait is a POSIX cancellation point (deferred
 * cancellation).  A cleanup handler, run with the lock re-taken, unlinks the
 * record, drops the lock, and frees a MID granted in the instant before the
 * cancellation was acted on, which nobody else can ever learn.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_condattr_setclock */

#include <errno.h>
#include <time.h>

#include "hooks.h"
#include "sweep.h"
#include "wait.h"

enum waiter_state { WAITER_WAITING, WAITER_GRANTED, WAITER_CLOSED };

struct waiter {
    struct waiter *next;
    struct waiter *prev;
    struct midatlas *atlas;
    void *ctx;
    uint16_t mid;
    enum waiter_state state;
    pthread_cond_t wake;
};

int midatlas__wait_init(struct midatlas *a)
{
    return pthread_mutex_init(&a->wq.lock, NULL) == 0 ? MIDATLAS_OK : MIDATLAS_ENOMEM;
}

void midatlas__wait_fini(struct midatlas *a)
{
    pthread_mutex_destroy(&a->wq.lock);
}

/* ---- the queue (all under q->lock) -------------------------------------- */

static void queue_append(struct waitq *q, struct waiter *w)
{
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

static void queue_unlink(struct midatlas *a, struct waiter *w)
{
    struct waitq *q = &a->wq;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    /* relaxed: the lock orders queue changes; readers outside it only use
     * the count as a hint (associate) or pair through the seq_cst ops. */
    sub32_relaxed(&a->gate, 1);
}

/* Give the oldest waiter a MID, or return false when none is free. */
static bool grant_one(struct midatlas *a)
{
    struct waiter *w = a->wq.head;

    /* The claim publishes the waiter's context, as in midatlas_associate. */
    if (!sweep_take(a, (uint64_t)(uintptr_t)w->ctx, &w->mid))
        return false;
    w->state = WAITER_GRANTED;
    queue_unlink(a, w);
    pthread_cond_signal(&w->wake);
    return true;
}

/* Out of line: gcc rejects (-Wtsan) a fence that gets inlined into a caller
 * under -fsanitize=thread, and this one has three callers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void serve_locked(struct midatlas *a)
{
    /* seq_cst fence: the waiter's half of the Dekker pairing (see top); for
     * a freeing caller it is merely redundant. */
    atomic_thread_fence(memory_order_seq_cst);
    while (a->wq.head && grant_one(a))
        ;
}

void midatlas__wait_serve(struct midatlas *a)
{
    pthread_mutex_lock(&a->wq.lock);
    serve_locked(a);
    pthread_mutex_unlock(&a->wq.lock);
}

int midatlas__wait_gate(struct midatlas *a)
{
    if (load32_relaxed(&a->gate) & GATE_CLOSED)
        return MIDATLAS_ECLOSED;
    pthread_mutex_lock(&a->wq.lock);
    serve_locked(a);
    bool clear = a->wq.head == NULL;
    pthread_mutex_unlock(&a->wq.lock);
    return clear ? MIDATLAS_OK : MIDATLAS_EFULL;
}

/* Every queued waiter leaves with ECLOSED (the lock is held). */
static void wake_all_locked(struct midatlas *a)
{
    struct waitq *q = &a->wq;
    while (q->head) {
        struct waiter *w = q->head;
        w->state = WAITER_CLOSED;
        queue_unlink(a, w);
        pthread_cond_signal(&w->wake);
    }
}

void midatlas__wait_wake_all(struct midatlas *a)
{
    pthread_mutex_lock(&a->wq.lock);
    wake_all_locked(a);
    pthread_mutex_unlock(&a->wq.lock);
}

/* Close with waiters counted: the bit and the wakeups in one hold of the
 * lock that every grant takes ("Closing"). */
static void close_queued(struct midatlas *a)
{
    pthread_mutex_lock(&a->wq.lock);
    /* seq_cst RMW: ordered with every other RMW of the gate (the waiters'
     * increments, see "Closing"), and in the single total order of the
     * wait handoff's Dekker pairing, as the CAS in midatlas_close. */
    (void)or32_seq_cst(&a->gate, GATE_CLOSED);
    MIDATLAS_HOOK(MIDATLAS_HOOK_CLOSED, 0);
    wake_all_locked(a);
    pthread_mutex_unlock(&a->wq.lock);
}

int midatlas_close(struct midatlas *a)
{
    if (!a)
        return MIDATLAS_EINVAL;
    /* relaxed: only a guess at the word; the CAS below checks it. */
    uint32_t g = load32_relaxed(&a->gate);
    for (;;) {
        if (g & GATE_CLOSED)
            return MIDATLAS_OK; /* idempotent: another close took effect */
        if (g & GATE_WAITERS) {
            close_queued(a);
            return MIDATLAS_OK;
        }
        /* seq_cst CAS: succeeds only while nobody is counted, and is then
         * ordered before any later increment of the gate (which returns
         * the bit: that waiter leaves with ECLOSED) and, for the Dekker
         * pairing, in the same total order as the freers' seq_cst loads.
         * A failure (someone counted, or closed, meanwhile) reloads g: only
         * another thread's RMW can fail it, so the loop is lock-free. */
        if (cas32_seq_cst(&a->gate, &g, g | GATE_CLOSED)) {
            MIDATLAS_HOOK(MIDATLAS_HOOK_CLOSED, 0);
            return MIDATLAS_OK;
        }
    }
}

/* ---- midatlas_associate_wait -------------------------------------------- */

static struct timespec deadline_after(int64_t timeout_ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t ns = t.tv_nsec + timeout_ns % 1000000000;
    t.tv_sec += (time_t)(timeout_ns / 1000000000 + ns / 1000000000);
    t.tv_nsec = (long)(ns % 1000000000);
    return t;
}

/* The waiter's thread is being cancelled in its condition wait, which
 * re-took the lock before running this: leave the atlas as if the call had
 * never been made. */
static void waiter_cancelled(void *p)
{
    struct waiter *w = p;
    struct midatlas *a = w->atlas;
    bool granted = w->state == WAITER_GRANTED;
    if (w->state == WAITER_WAITING)
        queue_unlink(a, w);
    pthread_mutex_unlock(&a->wq.lock);
    pthread_cond_destroy(&w->wake);
    /* Granted in the instant before the cancellation was acted on: the MID
     * is live with our context and nobody else can learn it, so free it (the
     * free hands it to the next waiter).  A drain may have taken it already:
     * then it is not ours to free and this answers EFREE or ESTALE. */
    if (granted)
        (void)midatlas_dissociate_if(a, w->mid, w->ctx);
}

/* Sleep until granted, closed or past the deadline (NULL: no limit). */
static void sleep_on(struct midatlas *a, struct waiter *w, const struct timespec *deadline)
{
    pthread_cleanup_push(waiter_cancelled, w);
    while (w->state == WAITER_WAITING) {
        int rc = deadline ? pthread_cond_timedwait(&w->wake, &a->wq.lock, deadline)
                          : pthread_cond_wait(&w->wake, &a->wq.lock);
        if (rc == ETIMEDOUT && w->state == WAITER_WAITING) {
            queue_unlink(a, w);
            break;
        }
    }
    pthread_cleanup_pop(0);
}

/* Queue w (the lock is held).  False when the atlas turned out to be closed:
 * then w is unlinked again and marked closed. */
static bool enqueue(struct midatlas *a, struct waiter *w)
{
    queue_append(&a->wq, w);
    /* seq_cst: the waiter's half of the Dekker pairing (top of file); and
     * an RMW of the gate, so it is ordered against close's (see "Closing"). */
    if (add32_seq_cst(&a->gate, 1) & GATE_CLOSED) {
        w->state = WAITER_CLOSED;
        queue_unlink(a, w);
        return false;
    }
    return true;
}

static int wait_slow(struct midatlas *a, void *ctx, uint16_t *mid, int64_t timeout_ns)
{
    struct waiter w = {.atlas = a, .ctx = ctx, .state = WAITER_WAITING};
    pthread_condattr_t attr;
    struct timespec deadline;

    if (timeout_ns > 0)
        deadline = deadline_after(timeout_ns);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.wake, &attr);
    pthread_condattr_destroy(&attr);

    pthread_mutex_lock(&a->wq.lock);
    if (enqueue(a, &w)) {
        serve_locked(a);
        if (timeout_ns != 0)
            sleep_on(a, &w, timeout_ns > 0 ? &deadline : NULL);
        else if (w.state == WAITER_WAITING)
            queue_unlink(a, &w);
    }
    int rc = w.state == WAITER_GRANTED ? MIDATLAS_OK
             : w.state == WAITER_CLOSED ? MIDATLAS_ECLOSED
                                        : MIDATLAS_ETIMEDOUT;
    if (rc == MIDATLAS_OK)
        *mid = w.mid;
    pthread_mutex_unlock(&a->wq.lock);
    pthread_cond_destroy(&w.wake);
    return rc;
}

int midatlas_associate_wait(struct midatlas *a, void *ctx, uint16_t *mid, int64_t timeout_ns)
{
    if (!a || !mid || !context_storable(ctx))
        return MIDATLAS_EINVAL;
    int rc = midatlas__associate_now(a, ctx, mid);
    if (rc != MIDATLAS_EFULL)
        return rc; /* OK, or ECLOSED */
    return wait_slow(a, ctx, mid, timeout_ns);
}
