/* SPDX-License-Identifier: MIT */
/*
 * bench_wait.c - what waiting for a MID costs: midatlas_associate_wait against
 * a mutex + condition variable baseline (waitable.h), in the same run.
 *
 *  (a) handoff latency: capacity 1, two threads taking turns.  The holder
 *      waits until the other thread is queued (asleep), reads the clock and
 *      dissociates; the waiter reads the clock as soon as associate_wait
 *      returns with the MID.  The difference is the time from the dissociate
 *      to the waiter running with its new MID (median, p90, p99, max).
 *  (b) throughput at capacity 8 with 4 threads, each looping associate_wait
 *      (no timeout) -> map -> dissociate, with 8, 3 and 1 of the 8 MIDs left
 *      free (the others held by long-lived requests): 8 free never waits (the
 *      no-contention cost of the waiting call), 3 and 1 free make threads
 *      queue.  Items per second and the fewest/most operations of any thread
 *      (FIFO handoff trades throughput for fairness; the baseline lets a
 *      running thread take a freed MID before a woken one: not FIFO).
 *
 * Implementations alternate within each repetition; each cell reports the
 * median of the repetitions.  A benchmark, not a test: on a shared 2-core
 * machine the figures are noisy, compare only numbers from the same run.
 *
 *   bench_wait [--seconds S] [--handoffs N] [--reps R]
 *     --seconds   duration of one throughput cell (default 1)
 *     --handoffs  handoffs per latency measurement (default 20000)
 *     --reps      repetitions per cell (default 3)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "midatlas.h"
#include "waitable.h"

#define NIMPL 2
static const struct waitable *const impls[NIMPL] = {&waitable_midatlas, &waitable_mutex_cv};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *ctx_of(uint64_t n)
{
    return (void *)(uintptr_t)((n + 1) << 4);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_wait: %s\n", what);
    exit(1);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* ---- (a) handoff latency ----------------------------------------------- */

struct pingpong {
    const struct waitable *impl;
    void *table;
    unsigned total;              /* handoffs to make                        */
    _Atomic unsigned handoffs;   /* handoffs received so far                */
    _Atomic int64_t freed_at;    /* clock read just before the dissociate   */
};

struct pinger {
    struct pingpong *pp;
    int holds_first;
    uint16_t mid;
    int64_t *samples;
    unsigned nsamples;
};

/* Strict turns: the holder frees only once the other thread is queued, and
 * queues again only once the other thread has received the MID, so every
 * sample is one handoff to a sleeping waiter (the baseline, which is not
 * FIFO, would otherwise let the freeing thread take its MID straight back). */
static void *pinger_main(void *p)
{
    struct pinger *me = p;
    struct pingpong *pp = me->pp;
    bool holding = me->holds_first;
    for (;;) {
        if (!holding) {
            if (pp->impl->associate_wait(pp->table, ctx_of(me->nsamples), &me->mid) != MIDATLAS_OK)
                die("associate_wait failed");
            int64_t t1 = now_ns();
            /* acquire: pairs with the holder's release store just before its
             * dissociate. */
            me->samples[me->nsamples++] =
                t1 - atomic_load_explicit(&pp->freed_at, memory_order_acquire);
            /* release: lets the previous holder go on (it reads no data). */
            atomic_fetch_add_explicit(&pp->handoffs, 1, memory_order_release);
        }
        /* acquire: pairs with the increment above, made by the other thread */
        unsigned k = atomic_load_explicit(&pp->handoffs, memory_order_acquire);
        if (k == pp->total) { /* the last handoff: done */
            pp->impl->dissociate(pp->table, me->mid);
            return NULL;
        }
        while (pp->impl->queued(pp->table) != 1)
            sched_yield();
        /* release: publishes the timestamp to the waiter's acquire load. */
        atomic_store_explicit(&pp->freed_at, now_ns(), memory_order_release);
        if (pp->impl->dissociate(pp->table, me->mid) != MIDATLAS_OK)
            die("dissociate failed");
        while (atomic_load_explicit(&pp->handoffs, memory_order_acquire) == k)
            sched_yield();
        if (k + 1 == pp->total)
            return NULL;
        holding = false;
    }
}

struct latency {
    int64_t median, p90, p99, max;
    unsigned n;
};

static struct latency handoff_latency(const struct waitable *impl, unsigned handoffs)
{
    struct pingpong pp = {.impl = impl, .table = impl->create(1), .total = handoffs};
    if (!pp.table)
        die("create failed");
    struct pinger a = {.pp = &pp, .holds_first = 1}, b = {.pp = &pp};
    a.samples = calloc(handoffs, sizeof(int64_t));
    b.samples = calloc(handoffs, sizeof(int64_t));
    if (!a.samples || !b.samples)
        die("out of memory");
    if (impl->associate_wait(pp.table, ctx_of(0), &a.mid) != MIDATLAS_OK)
        die("first associate failed");
    pthread_t ta, tb;
    if (pthread_create(&ta, NULL, pinger_main, &a) != 0)
        die("pthread_create failed");
    if (pthread_create(&tb, NULL, pinger_main, &b) != 0)
        die("pthread_create failed");
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);

    unsigned n = a.nsamples + b.nsamples;
    int64_t *all = malloc(n * sizeof *all);
    if (!all || n == 0)
        die("no samples");
    memcpy(all, a.samples, a.nsamples * sizeof *all);
    memcpy(all + a.nsamples, b.samples, b.nsamples * sizeof *all);
    qsort(all, n, sizeof *all, cmp_i64);
    struct latency l = {.median = all[n / 2], .p90 = all[(size_t)n * 90 / 100],
                        .p99 = all[(size_t)n * 99 / 100], .max = all[n - 1], .n = n};
    free(all);
    free(a.samples);
    free(b.samples);
    impl->destroy(pp.table);
    return l;
}

/* ---- (b) throughput ----------------------------------------------------- */

#define TP_CAPACITY 8
#define TP_THREADS 4

struct churn {
    const struct waitable *impl;
    void *table;
    atomic_int stop;
};

struct churner {
    struct churn *c;
    unsigned id;
    uint64_t ops;
};

/* The loop, inlined into a copy per implementation (churner_main_0/1): with
 * one loop for both, its indirect calls would have seen both tables'
 * functions, and a call site with several targets can be predicted worse
 * for the rest of the process than one with a single target (the order
 * effect bench/bench_midatlas.cc's Drive and bench/cycle.c's workers
 * avoid: bench/RESULTS.md, "One driver loop per implementation"). */
static inline __attribute__((always_inline)) void *churn_loop(struct churner *me)
{
    struct churn *c = me->c;
    uint64_t ops = 0;
    void *ctx = ctx_of(1000 + me->id);
    /* relaxed: a stop request only */
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        uint16_t mid;
        if (c->impl->associate_wait(c->table, ctx, &mid) != MIDATLAS_OK)
            die("associate_wait failed");
        if (c->impl->map(c->table, mid) != ctx)
            die("map returned another context");
        if (c->impl->dissociate(c->table, mid) != MIDATLAS_OK)
            die("dissociate failed");
        ops++;
    }
    me->ops = ops;
    return NULL;
}

static void *churner_main_0(void *p)
{
    return churn_loop(p);
}

/* A store of its own, so that identical-code folding cannot merge this
 * copy into churner_main_0 (as bench/cycle.c's worker_runs).  Relaxed:
 * nothing reads it. */
static atomic_int churner_1_runs;

static void *churner_main_1(void *p)
{
    atomic_store_explicit(&churner_1_runs, 1, memory_order_relaxed);
    return churn_loop(p);
}

/* The loop copy of each entry of impls (the same index). */
static void *(*const churner_mains[NIMPL])(void *) = {churner_main_0, churner_main_1};

struct throughput {
    double ops_per_s;
    uint64_t fewest, most;
};

static struct throughput churn_throughput(unsigned k, unsigned free_mids, double seconds)
{
    const struct waitable *impl = impls[k];
    struct churn c = {.impl = impl, .table = impl->create(TP_CAPACITY)};
    if (!c.table)
        die("create failed");
    uint16_t held[TP_CAPACITY];
    for (unsigned i = 0; i < TP_CAPACITY - free_mids; i++)
        if (impl->associate_wait(c.table, ctx_of(i), &held[i]) != MIDATLAS_OK)
            die("pre-occupying associate failed");
    struct churner w[TP_THREADS];
    pthread_t th[TP_THREADS];
    int64_t t0 = now_ns();
    for (unsigned i = 0; i < TP_THREADS; i++) {
        w[i] = (struct churner){.c = &c, .id = i};
        if (pthread_create(&th[i], NULL, churner_mains[k], &w[i]))
            die("pthread_create failed");
    }
    struct timespec d = {.tv_sec = (time_t)seconds,
                         .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store_explicit(&c.stop, 1, memory_order_relaxed);
    struct throughput r = {.fewest = UINT64_MAX};
    uint64_t total = 0;
    for (unsigned i = 0; i < TP_THREADS; i++) {
        pthread_join(th[i], NULL);
        total += w[i].ops;
        r.fewest = w[i].ops < r.fewest ? w[i].ops : r.fewest;
        r.most = w[i].ops > r.most ? w[i].ops : r.most;
    }
    r.ops_per_s = (double)total / ((double)(now_ns() - t0) / 1e9);
    for (unsigned i = 0; i < TP_CAPACITY - free_mids; i++)
        impl->dissociate(c.table, held[i]);
    impl->destroy(c.table);
    return r;
}

/* ---- report --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    double seconds = 1;
    unsigned handoffs = 20000, reps = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--handoffs") && i + 1 < argc)
            handoffs = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = (unsigned)strtoul(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--handoffs N] [--reps R]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0 || handoffs < 4 || reps < 1 || reps > 99) {
        fprintf(stderr, "bench_wait: bad argument\n");
        return 2;
    }

    printf("(a) handoff latency, capacity 1, 2 threads, %u handoffs x %u reps (median of reps)\n",
           handoffs, reps);
    printf("%-10s %12s %12s %12s %12s\n", "impl", "median us", "p90 us", "p99 us", "max us");
    struct latency lat[NIMPL][99];
    for (unsigned r = 0; r < reps; r++)
        for (unsigned k = 0; k < NIMPL; k++)
            lat[k][r] = handoff_latency(impls[k], handoffs);
    double med[NIMPL], p99[NIMPL];
    for (unsigned k = 0; k < NIMPL; k++) {
        double v[4][99];
        for (unsigned r = 0; r < reps; r++) {
            v[0][r] = (double)lat[k][r].median / 1e3;
            v[1][r] = (double)lat[k][r].p90 / 1e3;
            v[2][r] = (double)lat[k][r].p99 / 1e3;
            v[3][r] = (double)lat[k][r].max / 1e3;
        }
        for (unsigned j = 0; j < 4; j++)
            qsort(v[j], reps, sizeof(double), cmp_double);
        med[k] = v[0][reps / 2];
        p99[k] = v[2][reps / 2];
        printf("%-10s %12.2f %12.2f %12.2f %12.2f\n", impls[k]->name, med[k], v[1][reps / 2],
               p99[k], v[3][reps / 2]);
    }
    printf("ratio mutex+cv / midatlas: median %.2fx, p99 %.2fx (above 1: midatlas faster)\n\n",
           med[1] / med[0], p99[1] / p99[0]);

    static const unsigned frees[] = {8, 3, 1};
    printf("(b) throughput, capacity %d, %d threads, associate_wait -> map -> dissociate, "
           "%.2f s x %u reps (median)\n",
           TP_CAPACITY, TP_THREADS, seconds, reps);
    printf("%-10s %-10s %14s %12s %12s %10s\n", "free MIDs", "impl", "ops/s", "fewest/thr",
           "most/thr", "ratio");
    for (unsigned f = 0; f < 3; f++) {
        struct throughput tp[NIMPL][99];
        for (unsigned r = 0; r < reps; r++)
            for (unsigned k = 0; k < NIMPL; k++)
                tp[k][r] = churn_throughput(k, frees[f], seconds);
        double ops[NIMPL];
        for (unsigned k = 0; k < NIMPL; k++) {
            /* the repetition with the median ops/s, reported whole */
            unsigned order[99];
            for (unsigned r = 0; r < reps; r++)
                order[r] = r;
            for (unsigned x = 1; x < reps; x++)
                for (unsigned y = x; y > 0 && tp[k][order[y]].ops_per_s <
                                                   tp[k][order[y - 1]].ops_per_s; y--) {
                    unsigned t = order[y];
                    order[y] = order[y - 1];
                    order[y - 1] = t;
                }
            struct throughput m = tp[k][order[reps / 2]];
            ops[k] = m.ops_per_s;
            printf("%-10u %-10s %14.0f %12lu %12lu", frees[f], impls[k]->name, m.ops_per_s,
                   (unsigned long)m.fewest, (unsigned long)m.most);
            if (k == 0)
                printf("\n");
            else
                printf(" %9.2fx\n", ops[0] / ops[k]);
        }
    }
    printf("ratio: midatlas ops/s / mutex+cv ops/s in the same run (above 1: midatlas faster)\n");
    return 0;
}
