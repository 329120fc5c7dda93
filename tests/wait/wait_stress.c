/* SPDX-License-Identifier: MIT */
/*
 * wait_stress.c - no lost wakeups: more threads than MIDs, all waiting
 * without limit, churning for a bounded time, watched by a watchdog.
 *
 * For each capacity (1 to 8 unless --capacity), 2 * capacity + 2 threads loop
 * "associate_wait (no timeout) -> check the MID maps to my context -> hold
 * briefly -> dissociate".  During the first half of each capacity's time one
 * more thread barges with plain associate (which must answer EFULL while
 * waiters queue, and may take a MID when none does); the second half runs
 * without it, because a barger's associate serves the queue and would rescue
 * a waiter whose wakeup was lost.  A lost wakeup leaves a thread asleep forever while MIDs sit free, and
 * with few MIDs the others soon pile up behind it: the watchdog aborts the run
 * with a dump when total progress stalls for --stall seconds (default 5).
 * At the end every thread is joined (which itself needs every waiter to have
 * been woken) and the atlas must be whole: valid, nothing live, all MIDs free.
 *
 *   wait_stress [--seconds S] [--capacity C] [--stall S]
 *     --seconds   run time per capacity (default 5; fractions allowed)
 *     --capacity  only this capacity (1..65536)
 * Exit status 0 when every check passed; abort() on a stall.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wait_util.h"

#define MAX_THREADS 40

struct counter {
    _Alignas(64) atomic_ulong n; /* own line: every thread bumps its own */
};

struct run {
    struct midatlas *atlas;
    uint32_t capacity;
    unsigned nthreads; /* waiting workers; the barger is one more */
    bool barger;
    atomic_int stop;
    atomic_int watchdog_stop;
    int64_t stall_ns;
    atomic_uint errors;
    struct counter progress[MAX_THREADS + 1];
    atomic_ulong barger_efull, barger_ok;
};

struct worker {
    struct run *run;
    unsigned id;
};

static void error(struct run *r, unsigned id, const char *what, int rc, uint16_t mid)
{
    /* relaxed: a count read after join */
    if (atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed) < 10)
        fprintf(stderr, "capacity %u thread %u: %s (%s, MID %#x)\n", r->capacity, id, what,
                w_status_name(rc), mid);
}

static bool stopping(struct run *r)
{
    /* relaxed: only asks "time to finish"; nothing is published with it. */
    return atomic_load_explicit(&r->stop, memory_order_relaxed) != 0;
}

/* A few hundred nanoseconds to a few microseconds of "work" with the MID. */
static void hold(uint64_t *rnd)
{
    *rnd ^= *rnd << 13;
    *rnd ^= *rnd >> 7;
    *rnd ^= *rnd << 17;
    switch (*rnd % 16) {
    case 0:
        w_sleep_ns(5000);
        break;
    case 1:
    case 2:
    case 3:
        sched_yield();
        break;
    default:
        for (volatile unsigned i = 0; i < (*rnd >> 32) % 200; i++)
            ;
    }
}

static void use_and_free(struct run *r, unsigned id, uint16_t mid, void *ctx, uint64_t *rnd)
{
    if (midatlas_map(r->atlas, mid) != ctx)
        error(r, id, "MID does not map to its holder's context", MIDATLAS_OK, mid);
    hold(rnd);
    void *got = NULL;
    int rc = midatlas_dissociate(r->atlas, mid, &got);
    if (rc != MIDATLAS_OK || got != ctx)
        error(r, id, "dissociate of a held MID", rc, mid);
    /* relaxed: progress is only counted (watchdog, report) */
    atomic_fetch_add_explicit(&r->progress[id].n, 1, memory_order_relaxed);
}

static void *waiter_main(void *p)
{
    struct worker *w = p;
    struct run *r = w->run;
    uint64_t rnd = 0x2545F4914F6CDD1Dull * (w->id + 1);
    for (uint64_t i = 0; !stopping(r); i++) {
        void *ctx = w_ctx_of(w->id, i);
        uint16_t mid = 0;
        int rc = midatlas_associate_wait(r->atlas, ctx, &mid, -1);
        if (rc != MIDATLAS_OK) {
            error(r, w->id, "associate_wait without limit", rc, mid);
            continue;
        }
        use_and_free(r, w->id, mid, ctx, &rnd);
    }
    return NULL;
}

static void *barger_main(void *p)
{
    struct worker *w = p;
    struct run *r = w->run;
    uint64_t rnd = 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; !stopping(r); i++) {
        void *ctx = w_ctx_of(w->id, i);
        uint16_t mid = 0;
        int rc = midatlas_associate(r->atlas, ctx, &mid);
        if (rc == MIDATLAS_EFULL) {
            atomic_fetch_add_explicit(&r->barger_efull, 1, memory_order_relaxed);
            sched_yield();
        } else if (rc == MIDATLAS_OK) {
            atomic_fetch_add_explicit(&r->barger_ok, 1, memory_order_relaxed);
            use_and_free(r, w->id, mid, ctx, &rnd);
        } else {
            error(r, w->id, "plain associate", rc, mid);
        }
    }
    return NULL;
}

static uint64_t total_progress(struct run *r)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i <= r->nthreads; i++)
        sum += atomic_load_explicit(&r->progress[i].n, memory_order_relaxed);
    return sum;
}

static void *watchdog_main(void *p)
{
    struct run *r = p;
    uint64_t last = total_progress(r);
    int64_t last_change = w_now_ns();
    /* relaxed: a stop request; join orders everything after it. */
    while (!atomic_load_explicit(&r->watchdog_stop, memory_order_relaxed)) {
        w_sleep_ns(20 * W_MS);
        uint64_t now = total_progress(r);
        if (now != last) {
            last = now;
            last_change = w_now_ns();
            continue;
        }
        if (w_now_ns() - last_change < r->stall_ns)
            continue;
        struct midatlas_stats s;
        midatlas_stats(r->atlas, &s);
        fprintf(stderr,
                "wait_stress: WATCHDOG: no progress for %.1f s at capacity %u (%u waiting "
                "threads): a lost wakeup or a hang.\n  queued waiters %u, live %u, free %u, "
                "stopping %d\n  progress per thread:",
                (double)r->stall_ns / W_SEC, r->capacity, r->nthreads, w_queued(r->atlas), s.live,
                s.free, stopping(r));
        for (unsigned i = 0; i <= r->nthreads; i++)
            fprintf(stderr, " %lu", atomic_load(&r->progress[i].n));
        fprintf(stderr, "\n");
        abort();
    }
    return NULL;
}

static bool run_capacity(uint32_t capacity, double seconds, double stall, bool barger,
                         uint64_t *ops)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r || midatlas_create(&r->atlas, capacity, 0) != MIDATLAS_OK) {
        fprintf(stderr, "out of memory\n");
        return false;
    }
    r->capacity = capacity;
    r->nthreads = 2 * (capacity < 16 ? capacity : 16) + 2;
    r->stall_ns = (int64_t)(stall * W_SEC);
    r->barger = barger;

    struct worker w[MAX_THREADS + 1];
    pthread_t th[MAX_THREADS + 1], dog;
    unsigned started = 0;
    bool ok = true;
    if (pthread_create(&dog, NULL, watchdog_main, r) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return false;
    }
    for (; started < r->nthreads + barger; started++) {
        w[started] = (struct worker){.run = r, .id = started};
        if (pthread_create(&th[started], NULL, started < r->nthreads ? waiter_main : barger_main,
                           &w[started]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            ok = false;
            break;
        }
    }
    int64_t t0 = w_now_ns();
    w_sleep_ns((int64_t)(seconds * W_SEC));
    atomic_store_explicit(&r->stop, 1, memory_order_relaxed);
    /* Joining needs every sleeping waiter to be served by someone's dissociate:
     * the watchdog keeps watching meanwhile. */
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double elapsed = (double)(w_now_ns() - t0) / W_SEC;
    atomic_store_explicit(&r->watchdog_stop, 1, memory_order_relaxed);
    pthread_join(dog, NULL);

    uint64_t total = total_progress(r), lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < r->nthreads; i++) {
        uint64_t n = atomic_load(&r->progress[i].n);
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    struct midatlas_stats s;
    midatlas_stats(r->atlas, &s);
    bool whole = w_consistent(r->atlas, "wait_stress end") && s.live == 0 && s.discarded == 0 &&
                 s.free == s.usable && w_queued(r->atlas) == 0;
    if (!whole)
        fprintf(stderr, "capacity %u: atlas not whole at the end: live %u free %u queued %u\n",
                capacity, s.live, s.free, w_queued(r->atlas));
    unsigned errors = atomic_load(&r->errors);
    printf("capacity %u: %u waiting threads + %d barger, %.2f s: %lu ops (%.0f/s), "
           "per waiting thread min %lu max %lu; barger %lu OK %lu EFULL; %u errors%s\n",
           capacity, r->nthreads, barger, elapsed, (unsigned long)total, (double)total / elapsed,
           (unsigned long)lo, (unsigned long)hi, atomic_load(&r->barger_ok),
           atomic_load(&r->barger_efull), errors, whole ? "" : "; ATLAS NOT WHOLE");
    fflush(stdout);
    ok = ok && whole && errors == 0 && lo > 0;
    *ops += total;
    midatlas_destroy(r->atlas, NULL, NULL);
    free(r);
    return ok;
}

int main(int argc, char **argv)
{
    double seconds = 5, stall = 5;
    uint32_t only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--capacity") && i + 1 < argc)
            only = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--stall") && i + 1 < argc)
            stall = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--capacity C] [--stall S]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0 || stall <= 0 || only > MIDATLAS_MAX_CAPACITY) {
        fprintf(stderr, "%s: bad argument\n", argv[0]);
        return 2;
    }
    bool ok = true;
    uint64_t ops = 0;
    int64_t t0 = w_now_ns();
    for (uint32_t c = only ? only : 1; c <= (only ? only : 8u); c++) {
        ok = run_capacity(c, seconds / 2, stall, true, &ops) && ok;
        ok = run_capacity(c, seconds / 2, stall, false, &ops) && ok;
    }
    printf("wait_stress: %s: %lu associate_wait/dissociate cycles in %.1f s\n", ok ? "PASS" : "FAIL",
           (unsigned long)ops, (double)(w_now_ns() - t0) / W_SEC);
    return ok ? 0 : 1;
}
