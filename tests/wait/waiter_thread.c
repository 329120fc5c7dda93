/* SPDX-License-Identifier: MIT */
/*
 * waiter_thread.c - see waiter_thread.h.
 */
#include "waiter_thread.h"

#include "wait_util.h"

static void *waiter_main(void *p)
{
    struct waiter_thread *t = p;
    int64_t t0 = w_now_ns();
    t->rc = midatlas_associate_wait(t->atlas, t->ctx, &t->mid, t->timeout_ns);
    t->elapsed_ns = w_now_ns() - t0;
    /* relaxed: only numbers the return order; the fields above reach the
     * reader through the release store of `done`. */
    t->returned_nth = t->sequence ? atomic_fetch_add_explicit(t->sequence, 1, memory_order_relaxed)
                                  : 0;
    /* release: pairs with waiter_done's acquire load, publishing rc, mid,
     * elapsed_ns and returned_nth to the main thread. */
    atomic_store_explicit(&t->done, 1, memory_order_release);
    return NULL;
}

bool waiter_start(struct waiter_thread *t)
{
    atomic_init(&t->done, 0);
    t->rc = 1; /* no status: the call has not returned */
    return pthread_create(&t->thread, NULL, waiter_main, t) == 0;
}

bool waiter_done(struct waiter_thread *t)
{
    /* acquire: pairs with the release store at the end of waiter_main. */
    return atomic_load_explicit(&t->done, memory_order_acquire) != 0;
}

bool waiter_await(struct waiter_thread *t, int64_t limit_ns)
{
    int64_t end = w_now_ns() + limit_ns;
    while (!waiter_done(t)) {
        if (w_now_ns() > end)
            return false;
        w_sleep_ns(50 * 1000);
    }
    return true;
}

void waiter_join(struct waiter_thread *t)
{
    pthread_join(t->thread, NULL);
}
