/* SPDX-License-Identifier: MIT */
/*
 * handoff.c - midatlas-handoff: what a claim pays for a cache line that
 * another CPU wrote last, with and without asking for the line exclusive
 * first (src/prefetch.h).
 *
 *   midatlas-handoff [--lines L] [--rounds R] [--runs N] [--sequential]
 *                    [--independent]
 *
 * Two threads, pinned to the first two CPUs this process may use, take
 * turns: the writer stores once into each of L lines (so each line is
 * modified in its cache), then the claimer does to each line what a claim
 * does to a slot word, and so on for R rounds, visiting the lines in a
 * shuffled order (--sequential: in address order, which the hardware
 * prefetchers follow), each line's address depending on the claim before
 * (a sweep's next claim waits for this one's cursor; --independent: not,
 * and the CPU then overlaps the trips of many lines).  Only the claimer's
 * half is timed, per line:
 *   load+CAS        the claim as it was: the load brings the line shared,
 *                   the CAS must then get it exclusive
 *   PREFETCHW+load+CAS  the line asked for exclusive first, as the library
 *                   asks (src/prefetch.h: off without PREFETCHW or with
 *                   MIDATLAS_PREFETCH=0, and then the same as load+CAS)
 *   CAS             the CAS alone: one trip, the floor
 *   ping-pong       one line handed back and forth (a round trip per turn),
 *                   for the raw cost of a trip between the two CPUs
 * Each of N runs measures all four in turn; the best and the median of the
 * runs are printed.  A measurement tool, not a test: nothing passes or
 * fails on its times.  Exit 77 where fewer than two CPUs are allowed.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_* */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atlas.h" /* midatlas__cpus_prefetch: the library's own answer */
#include "trip.h"

#define LINE 64
#define MAX_LINES 4096

struct line {
    _Alignas(LINE) _Atomic uint64_t word;
};

enum mode { LOAD_CAS, PREFETCH_LOAD_CAS, CAS_ONLY, PING_PONG, MODES };
static const char *const mode_name[MODES] = {"load+CAS", "PREFETCHW+load+CAS", "CAS",
                                             "ping-pong (one way)"};

static struct line *lines;
static uint32_t nlines = 256, rounds = 200, runs = 21;
/* The order the claimer visits the lines in: shuffled, so that the
 * hardware prefetchers cannot fetch them ahead (a stream of neighbouring
 * lines is what they are built for; --sequential measures that). */
static uint32_t order[MAX_LINES];
/* Each claim's address depends on the one before (--independent: not, and
 * the CPU overlaps many lines' trips). */
static bool dependent = true;
static int cpus[2];
static bool have_prefetchw;
/* Whose turn: even the writer's, odd the claimer's (a turn per round). */
static _Alignas(LINE) _Atomic uint64_t turn;

static void pin(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

/* --busy: the writer, while it waits, keeps reading the lines (as a
 * receiver maps the slots of lines a sender claims in). */
static bool busy;
static _Atomic uint64_t sink;

static void wait_turn_reading(uint64_t want)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; atomic_load_explicit(&turn, memory_order_acquire) != want; i++)
        sum += atomic_load_explicit(&lines[i % nlines].word, memory_order_relaxed);
    atomic_store_explicit(&sink, sum, memory_order_relaxed); /* keeps the reads */
}

static void wait_turn(uint64_t want)
{
    /* acquire: pairs with the release store that passed the turn, so the
     * other thread's stores to the lines come before this turn's work. */
    while (atomic_load_explicit(&turn, memory_order_acquire) != want)
        ;
}

static void pass_turn(uint64_t next)
{
    atomic_store_explicit(&turn, next, memory_order_release); /* pairs with wait_turn */
}

static void prefetch_w(const void *p)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_prefetchw)
        __asm__("prefetchw %0" : : "m"(*(const char *)p));
#elif defined(__GNUC__)
    if (have_prefetchw)
        __builtin_prefetch(p, 1, 3);
#else
    (void)p;
#endif
}

/* The claimer's turn on every line; the CAS's value keeps changing so that
 * every CAS writes.  Relaxed: the turns order the threads. */
static void claim_all(enum mode m, uint64_t r)
{
    uint32_t chain = 0; /* always 0, but the compiler and CPU cannot know */
    for (uint32_t i = 0; i < nlines; i++) {
        _Atomic uint64_t *w = &lines[order[i] ^ chain].word;
        uint64_t expect = 2 * r; /* what the writer stored this round */
        if (m == PREFETCH_LOAD_CAS)
            prefetch_w(w);
        if (m != CAS_ONLY)
            expect = atomic_load_explicit(w, memory_order_relaxed);
        atomic_compare_exchange_strong_explicit(w, &expect, expect + 1, memory_order_relaxed,
                                                memory_order_relaxed);
        /* Dependent (the default): the next line's address waits for this
         * CAS, as a sweep's next claim waits for this one's cursor. */
        if (dependent)
            chain = (uint32_t)(atomic_load_explicit(w, memory_order_relaxed) >> 63);
    }
}

static void *writer(void *arg)
{
    (void)arg;
    pin(cpus[1]);
    for (int run = 0; run < (int)runs * (MODES - 1); run++) {
        for (uint64_t r = 0; r < rounds; r++) {
            if (busy)
                wait_turn_reading(2 * (run * (uint64_t)rounds + r));
            else
                wait_turn(2 * (run * (uint64_t)rounds + r));
            for (uint32_t i = 0; i < nlines; i++)
                atomic_store_explicit(&lines[i].word, 2 * r, memory_order_relaxed);
            pass_turn(2 * (run * (uint64_t)rounds + r) + 1);
        }
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns per line of the claimer's turns in one run of mode m (run index k). */
static double measure_claims(enum mode m, int k)
{
    double spent = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        uint64_t base = 2 * (k * (uint64_t)rounds + r);
        wait_turn(base + 1);
        double t0 = now_ns();
        claim_all(m, r);
        spent += now_ns() - t0;
        pass_turn(base + 2);
    }
    return spent / ((double)rounds * nlines);
}

/* One line handed back and forth: ns per one-way handoff (trip.h). */
static double measure_ping_pong(void)
{
    return trip_one_way_ns(cpus[0], cpus[1], (uint64_t)rounds * nlines / 4);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: midatlas-handoff [--lines L (1..%d)] [--rounds R] [--runs N] [--sequential]\n"
            "                        [--independent]\n",
            MAX_LINES);
    return 2;
}

int main(int argc, char **argv)
{
    bool sequential = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sequential") == 0) {
            sequential = true;
            continue;
        }
        if (strcmp(argv[i], "--busy") == 0) {
            busy = true;
            continue;
        }
        if (strcmp(argv[i], "--independent") == 0) {
            dependent = false;
            continue;
        }
        long v = i + 1 < argc ? strtol(argv[i + 1], NULL, 10) : 0;
        if (strcmp(argv[i], "--lines") == 0 && v >= 1 && v <= MAX_LINES)
            nlines = (uint32_t)v;
        else if (strcmp(argv[i], "--rounds") == 0 && v >= 1)
            rounds = (uint32_t)v;
        else if (strcmp(argv[i], "--runs") == 0 && v >= 1 && v <= 1001)
            runs = (uint32_t)v;
        else
            return usage();
        i++;
    }
    if (trip_cpus(cpus) < 2) {
        fprintf(stderr, "midatlas-handoff: needs two CPUs\n");
        return 77;
    }
    /* What a new atlas would do: CPUID, and MIDATLAS_PREFETCH=0 honoured. */
    have_prefetchw = midatlas__cpus_prefetch();
    lines = aligned_alloc(LINE, MAX_LINES * sizeof *lines);
    double *ns = calloc((size_t)MODES * runs, sizeof *ns);
    if (!lines || !ns)
        return 1;
    memset(lines, 0, MAX_LINES * sizeof *lines);
    /* Fisher-Yates with a fixed seed: the same order every run. */
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (uint32_t i = 0; i < nlines; i++)
        order[i] = i;
    for (uint32_t i = nlines - 1; i > 0 && !sequential; i--) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint32_t j = (uint32_t)((seed >> 33) % (i + 1));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    pin(cpus[0]);
    pthread_t w;
    if (pthread_create(&w, NULL, writer, NULL) != 0)
        return 1;
    /* The writer's runs: (MODES - 1) per run of ours, in this order. */
    for (uint32_t k = 0; k < runs; k++)
        for (int m = 0; m < MODES - 1; m++)
            ns[m * runs + k] = measure_claims((enum mode)m, (int)(k * (MODES - 1) + (uint32_t)m));
    pthread_join(w, NULL);
    for (uint32_t k = 0; k < runs; k++)
        ns[PING_PONG * runs + k] = measure_ping_pong();
    printf("CPUs %d and %d, %u lines (%s, %s), %u rounds, %u runs%s\n", cpus[0], cpus[1],
           nlines, sequential ? "in address order" : "shuffled",
           dependent ? "dependent" : "independent", rounds, runs,
           have_prefetchw ? "" : " (prefetch off: no PREFETCHW, or MIDATLAS_PREFETCH=0)");
    printf("%-22s %10s %10s\n", "per line", "best ns", "median ns");
    for (int m = 0; m < MODES; m++) {
        qsort(ns + m * runs, runs, sizeof *ns, cmp_double);
        printf("%-22s %10.1f %10.1f\n", mode_name[m], ns[m * runs], ns[m * runs + runs / 2]);
    }
    free(ns);
    free(lines);
    return 0;
}
