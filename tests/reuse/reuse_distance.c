/* SPDX-License-Identifier: MIT */
/*
 * reuse_distance.c - how soon does a MID value come back?
 *
 * The reuse distance of a handout is the number of handouts (by any thread)
 * since the same 16-bit MID value was last handed out.  A reply that arrives
 * fewer handouts late than the smallest distance can never be mistaken for
 * the current request's: its MID is recognised as stale.  The figure depends
 * only on the order in which free slots are reused and on the generation
 * bits, so it is the measure of issue 11 ("late replies stay stale").
 *
 * Each thread keeps `window` requests in flight: it associates until it holds
 * `window` MIDs, then dissociates its oldest before each new associate (FIFO,
 * like a transport whose replies come back in order).  Every handout takes a
 * ticket from one shared counter (the harness's cost, not the library's) and
 * swaps it into the MID value's last-seen entry; the difference is one
 * distance.  Reports the minimum and the 1st percentile per configuration.
 *
 *   reuse_distance [--handouts N] [--check]
 *     --check  exit 1 when a minimum is below the documented bound
 *              (midatlas.h, "Stale window"): 16384 handouts for 1 and 2
 *              threads, 4096 for 4 threads.
 *
 * Distances count handouts, not time, so the result does not depend on the
 * machine's speed or load - only on how threads interleave, which the bound
 * allows for.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

#define MAX_THREADS 4
#define MAX_WINDOW 64
#define HIST_MAX (1u << 20) /* distances at or above this share the top bucket */

struct run {
    struct midatlas *atlas;
    uint64_t handouts_per_thread;
    uint32_t window;
    atomic_uint_fast64_t ticket;
    _Atomic uint64_t last[65536]; /* ticket + 1 of the value's last handout */
    _Atomic uint32_t hist[HIST_MAX];
    atomic_uint errors;
};

static void record(struct run *r, uint16_t mid)
{
    /* relaxed throughout: tickets and slots are statistics; the atlas's own
     * synchronisation orders the handouts themselves. */
    uint64_t t = atomic_fetch_add_explicit(&r->ticket, 1, memory_order_relaxed);
    uint64_t prev = atomic_exchange_explicit(&r->last[mid], t + 1, memory_order_relaxed);
    if (prev == 0)
        return;
    uint64_t d = t + 1 - prev;
    if (d >= HIST_MAX)
        d = HIST_MAX - 1;
    atomic_fetch_add_explicit(&r->hist[d], 1, memory_order_relaxed);
}

static void *worker(void *p)
{
    struct run *r = p;
    uint16_t ring[MAX_WINDOW];
    uint32_t head = 0, count = 0;
    for (uint64_t i = 0; i < r->handouts_per_thread; i++) {
        if (count == r->window) { /* the oldest request's reply came back */
            if (midatlas_dissociate(r->atlas, ring[head], NULL) != MIDATLAS_OK)
                atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
            head = (head + 1) % r->window;
            count--;
        }
        uint16_t mid;
        if (midatlas_associate(r->atlas, (void *)(uintptr_t)0x1000, &mid) != MIDATLAS_OK) {
            atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
            break;
        }
        record(r, mid);
        ring[(head + count) % r->window] = mid;
        count++;
    }
    for (; count > 0; count--, head = (head + 1) % r->window)
        midatlas_dissociate(r->atlas, ring[head], NULL);
    return NULL;
}

struct result {
    uint64_t samples, min, p1;
};

static struct result summarise(struct run *r)
{
    struct result res = {0, 0, 0};
    for (uint32_t d = 0; d < HIST_MAX; d++)
        res.samples += atomic_load_explicit(&r->hist[d], memory_order_relaxed);
    uint64_t seen = 0, p1_at = res.samples / 100;
    for (uint32_t d = 0; d < HIST_MAX; d++) {
        uint32_t n = atomic_load_explicit(&r->hist[d], memory_order_relaxed);
        if (n == 0)
            continue;
        if (seen == 0)
            res.min = d;
        seen += n;
        if (seen > p1_at) {
            res.p1 = d;
            break;
        }
    }
    return res;
}

/* One configuration; false when the run itself failed (a call's status). */
static bool measure(uint32_t capacity, uint32_t threads, uint32_t window, uint64_t handouts,
                    struct result *res)
{
    struct run *r = calloc(1, sizeof *r);
    pthread_t t[MAX_THREADS];
    if (!r || midatlas_create(&r->atlas, capacity, 0) != MIDATLAS_OK) {
        free(r);
        return false;
    }
    r->handouts_per_thread = handouts / threads;
    r->window = window;
    for (uint32_t i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, r);
    for (uint32_t i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    *res = summarise(r);
    bool ok = atomic_load(&r->errors) == 0 && res->samples > 0;
    midatlas_destroy(r->atlas, NULL, NULL);
    free(r);
    return ok;
}

/* The documented bound (midatlas.h, "Stale window"). */
static uint64_t bound(uint32_t threads)
{
    return threads <= 2 ? 16384 : 4096;
}

int main(int argc, char **argv)
{
    uint64_t handouts = 400000;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "--handouts") == 0 && i + 1 < argc) {
            handouts = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s [--handouts N] [--check]\n", argv[0]);
            return 0;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", argv[0], argv[i],
                    argv[0]);
            return 2;
        }
    }
    static const uint32_t capacities[] = {64, 256, 4096, 32768};
    static const struct { uint32_t threads, window; } shapes[] = {{1, 1}, {1, 32}, {2, 1}, {4, 1}};
    int failures = 0;
    printf("%-9s %-8s %-7s %10s %10s %10s %s\n", "capacity", "threads", "window", "handouts",
           "min", "p1", "bound");
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            struct result res;
            uint32_t th = shapes[s].threads, w = shapes[s].window;
            if (!measure(capacities[c], th, w, handouts, &res)) {
                printf("%-9u %-8u %-7u  run failed (a call returned an error)\n", capacities[c],
                       th, w);
                failures++;
                continue;
            }
            int low = res.min < bound(th);
            printf("%-9u %-8u %-7u %10llu %10llu %10llu %llu%s\n", capacities[c], th, w,
                   (unsigned long long)res.samples, (unsigned long long)res.min,
                   (unsigned long long)res.p1, (unsigned long long)bound(th),
                   low ? "  BELOW" : "");
            failures += low;
        }
    printf("REUSE SUMMARY: %d configuration(s) below the bound\n", failures);
    return check && failures ? 1 : 0;
}
