/* SPDX-License-Identifier: MIT */
/*
 * trip.c - one cache line bounced between two CPUs (trip.h says why).
 */
#define _GNU_SOURCE /* pthread_[gs]etaffinity_np, sched_getaffinity, CPU_* */

#include "trip.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define LINE 64

/* The ball: odd while it is the bouncer's, even while the caller's. */
struct court {
    _Alignas(LINE) _Atomic uint64_t ball;
    _Alignas(LINE) uint64_t hops;
    int cpu;
    int pinned; /* the bouncer's pin: 0 ok, else the error */
};

static int pin_self(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *bouncer(void *arg)
{
    struct court *c = arg;
    c->pinned = pin_self(c->cpu);
    for (uint64_t i = 0; i < c->hops; i++) {
        /* acquire: pairs with the caller's release store of 2i + 1 (the
         * ball must have come, nothing else is read; the order keeps the
         * loop honest). */
        while (atomic_load_explicit(&c->ball, memory_order_acquire) != 2 * i + 1)
            ;
        /* release: pairs with the caller's acquire load of 2i + 2. */
        atomic_store_explicit(&c->ball, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

int trip_cpus(int cpus[2])
{
    cpu_set_t allowed;
    int found = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return 0;
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[found++] = c;
    return found;
}

double trip_one_way_ns(int from, int to, uint64_t hops)
{
    cpu_set_t before;
    if (hops == 0 || pthread_getaffinity_np(pthread_self(), sizeof before, &before) != 0)
        return -1;
    struct court *c = aligned_alloc(LINE, sizeof *c);
    if (c == NULL)
        return -1;
    atomic_init(&c->ball, 0);
    c->hops = hops;
    c->cpu = to;
    c->pinned = 0;
    double ns = -1;
    pthread_t t;
    if (pin_self(from) == 0 && pthread_create(&t, NULL, bouncer, c) == 0) {
        double t0 = now_ns();
        for (uint64_t i = 0; i < hops; i++) {
            /* release / acquire: pair with bouncer's acquire load and its
             * release store. */
            atomic_store_explicit(&c->ball, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&c->ball, memory_order_acquire) != 2 * i + 2)
                ;
        }
        double spent = now_ns() - t0;
        pthread_join(t, NULL);
        if (c->pinned == 0)
            ns = spent / (2.0 * (double)hops);
    }
    pthread_setaffinity_np(pthread_self(), sizeof before, &before);
    free(c);
    return ns;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double trip_median_ns(unsigned runs, uint64_t hops, int cpus[2])
{
    double ns[15];
    if (runs == 0 || runs > 15 || trip_cpus(cpus) < 2)
        return -1;
    for (unsigned k = 0; k < runs; k++) {
        ns[k] = trip_one_way_ns(cpus[0], cpus[1], hops);
        if (ns[k] < 0)
            return -1;
    }
    qsort(ns, runs, sizeof ns[0], cmp_double);
    return ns[runs / 2];
}
