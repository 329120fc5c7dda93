/* SPDX-License-Identifier: MIT */
/*
 * waiter_thread.h - one thread making one midatlas_associate_wait call, with
 * what it got recorded for the test's main thread to check afterwards
 * (cmocka's asserts must only run on the main thread).
 */
#ifndef MIDATLAS_WAITER_THREAD_H
#define MIDATLAS_WAITER_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "midatlas.h"

struct waiter_thread {
    /* in */
    struct midatlas *atlas;
    void *ctx;
    int64_t timeout_ns;
    _Atomic(uint32_t) *sequence; /* shared counter: return order            */
    /* out, valid once `done` reads 1 (acquire) */
    atomic_int done;
    int rc;
    uint16_t mid;
    uint32_t returned_nth; /* 0 for the first waiter to return              */
    int64_t elapsed_ns;
    pthread_t thread;
};

/* Start t's thread; false if it could not be created. */
bool waiter_start(struct waiter_thread *t);
/* True once the call returned (its results may then be read). */
bool waiter_done(struct waiter_thread *t);
/* Poll waiter_done for at most limit_ns. */
bool waiter_await(struct waiter_thread *t, int64_t limit_ns);
void waiter_join(struct waiter_thread *t);

#endif /* MIDATLAS_WAITER_THREAD_H */
