/* SPDX-License-Identifier: MIT */
/*
 * wait_util.h - helpers shared by the tests of midatlas_associate_wait.
 *
 * The tests need to know when a thread has really queued as a waiter (to
 * make arrival order deterministic), which the public API does not say: they
 * read the atlas's internal waiter count (src/atlas.h).  That is the one
 * white-box look here; everything checked is the public behaviour.
 */
#ifndef MIDATLAS_WAIT_UTIL_H
#define MIDATLAS_WAIT_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "midatlas.h"
#include "tctx.h" /* tests/ */

#define W_MS 1000000ll       /* nanoseconds per millisecond */
#define W_SEC 1000000000ll   /* nanoseconds per second      */

/* CLOCK_MONOTONIC, the clock associate_wait's timeouts are measured on. */
int64_t w_now_ns(void);
void w_sleep_ns(int64_t ns);

/* A distinct non-NULL context (never dereferenced): tctx.h's. */
static inline void *w_ctx(uint64_t n)
{
    return tctx(n);
}

/* Worker id's context number i (i modulo 2^W_CTX_I_BITS, which keeps the
 * contexts a worker holds at once distinct); id < 128. */
#define W_CTX_I_BITS (UINTPTR_MAX > UINT32_MAX ? 32u : 20u)
static inline void *w_ctx_of(unsigned id, uint64_t i)
{
    return w_ctx((uint64_t)id << W_CTX_I_BITS | (i & (((uint64_t)1 << W_CTX_I_BITS) - 1)));
}

/* Threads queued in associate_wait right now (internal counter; a relaxed
 * read, good for polling). */
uint32_t w_queued(struct midatlas *atlas);

/* The atlas's internal wait-queue lock (white-box), for a test that must
 * hold a freer between pushing a MID and handing it over. */
pthread_mutex_t *w_queue_lock(struct midatlas *atlas);

/* Poll until exactly `n` waiters are queued; false after `limit_ns`. */
bool w_await_queued(struct midatlas *atlas, uint32_t n, int64_t limit_ns);

/* Associate until EFULL; returns how many MIDs were taken (into mids[]). */
uint32_t w_fill(struct midatlas *atlas, uint16_t *mids, uint64_t ctx_base);

/* Divide durations / loop counts by this under sanitizers. */
unsigned w_slowdown(void);

/* midatlas_validate must pass and live + discarded + free == usable; on
 * failure print why and return false. */
bool w_consistent(struct midatlas *atlas, const char *when);

/* Soft check for tests with threads running: print, set the caller's local
 * `ok` to false and jump to its `out:` label, where the test wakes and joins
 * its threads before failing (cmocka's asserts would longjmp past them). */
#define W_CHECK(cond, ...)                                                        \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n    ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
            ok = false;                                                           \
            goto out;                                                             \
        }                                                                         \
    } while (0)

/* The symbolic name of a status, for messages. */
const char *w_status_name(int status);

#endif /* MIDATLAS_WAIT_UTIL_H */
