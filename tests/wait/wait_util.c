/* SPDX-License-Identifier: MIT */
/*
 * wait_util.c - helpers shared by the wait tests (see wait_util.h).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */

#include "wait_util.h"

#include <stdio.h>
#include <time.h>

#include "atlas.h" /* white-box: struct midatlas's gate word (see wait_util.h) */

int64_t w_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * W_SEC + t.tv_nsec;
}

void w_sleep_ns(int64_t ns)
{
    struct timespec t = {.tv_sec = (time_t)(ns / W_SEC), .tv_nsec = (long)(ns % W_SEC)};
    while (nanosleep(&t, &t) != 0)
        ;
}

uint32_t w_queued(struct midatlas *atlas)
{
    /* relaxed: a polled hint; whatever the test then checks goes through the
     * atlas's own synchronisation (the wait-queue lock). */
    return atomic_load_explicit(&atlas->gate, memory_order_relaxed) & GATE_WAITERS;
}

pthread_mutex_t *w_queue_lock(struct midatlas *atlas)
{
    return &atlas->wq.lock;
}

bool w_await_queued(struct midatlas *atlas, uint32_t n, int64_t limit_ns)
{
    int64_t end = w_now_ns() + limit_ns;
    while (w_queued(atlas) != n) {
        if (w_now_ns() > end)
            return false;
        w_sleep_ns(100 * 1000);
    }
    return true;
}

uint32_t w_fill(struct midatlas *atlas, uint16_t *mids, uint64_t ctx_base)
{
    uint32_t n = 0;
    while (midatlas_associate(atlas, w_ctx(ctx_base + n), &mids[n]) == MIDATLAS_OK)
        n++;
    return n;
}

unsigned w_slowdown(void)
{
#if defined(MIDATLAS_SANITIZE_THREAD)
    return 10;
#elif defined(MIDATLAS_SANITIZE_ADDRESS)
    return 4;
#else
    return 1;
#endif
}

bool w_consistent(struct midatlas *atlas, const char *when)
{
    const char *why = NULL;
    if (midatlas_validate(atlas, &why) != MIDATLAS_OK) {
        fprintf(stderr, "%s: midatlas_validate: %s\n", when, why ? why : "(no reason)");
        return false;
    }
    struct midatlas_stats s;
    midatlas_stats(atlas, &s);
    if (s.live + s.discarded + s.free != s.usable) {
        fprintf(stderr, "%s: live %u + discarded %u + free %u != usable %u\n", when, s.live,
                s.discarded, s.free, s.usable);
        return false;
    }
    return true;
}

const char *w_status_name(int status)
{
    switch (status) {
    case MIDATLAS_OK: return "OK";
    case MIDATLAS_EINVAL: return "EINVAL";
    case MIDATLAS_EFULL: return "EFULL";
    case MIDATLAS_ERANGE: return "ERANGE";
    case MIDATLAS_EFREE: return "EFREE";
    case MIDATLAS_ESTALE: return "ESTALE";
    case MIDATLAS_EDISCARDED: return "EDISCARDED";
    case MIDATLAS_EMISMATCH: return "EMISMATCH";
    case MIDATLAS_EBUSY: return "EBUSY";
    case MIDATLAS_ENOMEM: return "ENOMEM";
    case MIDATLAS_ETIMEDOUT: return "ETIMEDOUT";
    case MIDATLAS_ECLOSED: return "ECLOSED";
    default: return "(unknown)";
    }
}
