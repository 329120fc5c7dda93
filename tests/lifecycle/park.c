/* SPDX-License-Identifier: MIT */
/* park.c - see park.h. */
#define _POSIX_C_SOURCE 200809L

#include "park.h"

#include <sched.h>
#include <stdatomic.h>
#include <time.h>

static _Thread_local int park_here; /* the point this thread parks at, or 0 */
static atomic_int parked;            /* 1 while a thread sits in the hook    */
static atomic_int release_it;

void park_at(enum midatlas_hook_point point)
{
    park_here = (int)point;
}

void park_hook(enum midatlas_hook_point point, uint32_t index)
{
    (void)index;
    if (park_here != (int)point)
        return;
    park_here = 0;
    /* release/acquire: the flags hand control back and forth between the
     * parked thread and the test; they guard nothing else. */
    atomic_store_explicit(&parked, 1, memory_order_release);
    while (!atomic_load_explicit(&release_it, memory_order_acquire))
        sched_yield();
    atomic_store_explicit(&parked, 0, memory_order_release);
}

void park_arm(void)
{
    atomic_store_explicit(&release_it, 0, memory_order_relaxed); /* before the thread starts */
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

bool park_await(int64_t limit_ns)
{
    int64_t end = now_ns() + limit_ns;
    /* acquire: pairs with the release store in park_hook. */
    while (!atomic_load_explicit(&parked, memory_order_acquire))
        if (now_ns() >= end)
            return false;
    return true;
}

void park_release(void)
{
    atomic_store_explicit(&release_it, 1, memory_order_release); /* pairs with park_hook */
}
