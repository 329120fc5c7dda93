/* SPDX-License-Identifier: MIT */
/*
 * stale.c - a stripe's cursor left behind for a lap must not hand out
 * slots behind the sweep.
 *
 * A stripe's cursor points into the chunk its threads are sweeping.  When
 * every thread homed there stops (descheduled on a busy machine, or busy
 * elsewhere) while the others sweep a whole lap, the rotor hands that
 * chunk out again and another stripe sweeps it.  The old cursor then lies
 * behind the sweep: the slots after it were handed out a few handouts ago,
 * and a thread that goes on from it hands them out again at once.  With one
 * generation bit (capacity 32768) the MID value then comes back within a
 * few hundred handouts: reuse.distance caught that in CI under ASan, on a
 * loaded 2-core machine, at 4 threads ("32768 4 1 ... min 609, bound
 * 4096").
 *
 * Here the stall is made, not waited for, so nothing depends on timing.
 * lapped:
 *   1. thread A (pinned to one CPU) takes and frees 5 MIDs: its stripe's
 *      cursor stops in the middle of a chunk, C;
 *   2. thread B (pinned to a CPU of the other stripe; MIDATLAS_STRIPES=2)
 *      takes and frees MIDs until it has gone a lap round and 8 slots past
 *      A's last one in C;
 *   3. A takes and frees 2 chunks' worth again.  No slot A gets then may
 *      have been handed out fewer than capacity / 2 handouts before (it is
 *      about a lap on a correct sweep).  Before the fix A went on at its
 *      cursor in C: slot distance 8, CAS path, capacities 64 to 32768.
 * late: as lapped, but B sweeps 3/4 of a lap in step 2 (C is not handed
 *   out again), and after step 3 B sweeps a whole lap more.  A visit of C
 *   that went on that late would bring C's slots back a quarter lap after
 *   A, when B's lap reaches C (965 handouts at capacity 4096, 8133 at 32768,
 *   both paths, with the first fix alone: a visit that claims until the
 *   rotor has handed its chunk out again).  Capacities with enough chunks
 *   for a quarter-lap visit (sweep.h, "Laps").
 * Both claim paths: MIDATLAS_F_NO_RSEQ (the CAS, as under the sanitizers)
 * and the default flags (the rseq path where this build and CPU have it).
 * Capacities 64 (two chunks), 4096 and 32768.  Exit 77 (skipped) where
 * fewer than two CPUs of different stripes are allowed.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_* */

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

/* The two CPUs: different stripes when MIDATLAS_STRIPES=2 (stripe = CPU
 * number modulo the stripes). */
static int cpu_a = -1, cpu_b = -1;

static void pin(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        perror("stale: sched_setaffinity");
        exit(1);
    }
}

static bool pick_cpus(void)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return false;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed))
            continue;
        if (cpu_a < 0)
            cpu_a = c;
        else if ((c ^ cpu_a) & 1) {
            cpu_b = c;
            return true;
        }
    }
    return false;
}

/* Handouts so far, the handout at which each slot index was last handed
 * out (+ 1; 0: never), and the smallest slot distance while measuring.
 * Only one thread runs at a time. */
struct history {
    struct midatlas *atlas;
    uint32_t capacity;
    uint64_t handouts;
    bool measuring;
    uint64_t min;
    uint32_t min_idx;
    uint64_t last[65536];
};

/* One handout, freed at once (one request in flight): its slot index in
 * *idx.  False on an error. */
static bool cycle(struct history *h, uint32_t *idx)
{
    uint16_t mid;
    if (midatlas_associate(h->atlas, (void *)(uintptr_t)0x1000, &mid) != MIDATLAS_OK ||
        midatlas_dissociate(h->atlas, mid, NULL) != MIDATLAS_OK) {
        fprintf(stderr, "stale: a call failed at handout %llu\n",
                (unsigned long long)h->handouts);
        return false;
    }
    *idx = mid % h->capacity; /* capacity is a power of two: the index bits */
    uint64_t prev = h->last[*idx];
    h->handouts++;
    h->last[*idx] = h->handouts;
    if (h->measuring && prev != 0 && h->handouts - prev < h->min) {
        h->min = h->handouts - prev;
        h->min_idx = *idx;
    }
    return true;
}

/* Thread B's run, pinned to the other stripe's CPU: `count` handouts, or
 * (past_slot) until 8 handouts past slot `slot` met after half a lap. */
struct sweeper {
    struct history *h;
    uint64_t count;
    bool past_slot;
    uint32_t slot;
    bool ok;
};

static void *sweep_b(void *p)
{
    struct sweeper *s = p;
    pin(cpu_b);
    uint64_t lap = s->h->capacity;
    uint32_t idx, past = 0;
    s->ok = false;
    for (uint64_t n = 0; n < s->count; n++) {
        if (!cycle(s->h, &idx))
            return NULL;
        if (!s->past_slot)
            continue;
        if (past > 0 || (n >= lap / 2 && idx == s->slot))
            past++;
        if (past > 8) {
            s->ok = true;
            return NULL;
        }
    }
    s->ok = !s->past_slot;
    if (!s->ok)
        fprintf(stderr, "stale: B never came back to slot %u\n", s->slot);
    return NULL;
}

static bool run_b(struct sweeper *s)
{
    pthread_t tb;
    if (pthread_create(&tb, NULL, sweep_b, s) != 0 || pthread_join(tb, NULL) != 0)
        return false;
    return s->ok;
}

/* A (this thread) `count` handouts. */
static bool run_a(struct history *h, uint64_t count, uint32_t *idx)
{
    for (uint64_t i = 0; i < count; i++)
        if (!cycle(h, idx))
            return false;
    return true;
}

enum scenario {
    LAPPED, /* B goes a lap round and 8 slots past A's cursor; then A */
    LATE    /* B sweeps 3/4 of a lap; A; then B a whole lap more */
};

static int run(uint32_t capacity, unsigned flags, enum scenario sc)
{
    struct history *h = calloc(1, sizeof *h);
    if (!h || midatlas_create(&h->atlas, capacity, flags) != MIDATLAS_OK) {
        fprintf(stderr, "stale: create %u failed\n", capacity);
        free(h);
        return 1;
    }
    h->capacity = capacity;
    h->min = UINT64_MAX;
    uint32_t idx = 0;
    /* 1. A: a few handouts, its cursor in the middle of a chunk. */
    bool ok = run_a(h, 5, &idx);
    /* 2. B sweeps while A's stripe is left alone. */
    struct sweeper b = {.h = h};
    if (sc == LAPPED) {
        b.count = 4ull * capacity + 64;
        b.past_slot = true;
        b.slot = idx;
    } else {
        b.count = 3ull * capacity / 4;
    }
    ok = ok && run_b(&b);
    /* 3. A comes back: its handouts and (LATE) the lap after are measured. */
    h->measuring = true;
    ok = ok && run_a(h, capacity < 128 ? capacity : 128, &idx);
    if (sc == LATE) {
        b = (struct sweeper){.h = h, .count = capacity + 64};
        ok = ok && run_b(&b);
    }
    uint64_t bound = capacity / 2;
    bool low = h->min < bound;
    printf("capacity %-6u %-8s %-7s smallest slot distance: %llu (slot %u; bound %llu)%s\n",
           capacity, flags & MIDATLAS_F_NO_RSEQ ? "CAS" : "default",
           sc == LAPPED ? "lapped" : "late",
           h->min == UINT64_MAX ? 0ull : (unsigned long long)h->min, h->min_idx,
           (unsigned long long)bound, low ? "  BELOW" : ok ? "" : "  (run failed)");
    midatlas_destroy(h->atlas, NULL, NULL);
    free(h);
    return !ok || low;
}

int main(void)
{
    if (!pick_cpus()) {
        printf("stale: needs two allowed CPUs on different stripes; skipped\n");
        return 77;
    }
    if (!getenv("MIDATLAS_STRIPES"))
        setenv("MIDATLAS_STRIPES", "2", 1); /* read at create: A and B apart */
    pin(cpu_a);
    static const uint32_t capacities[] = {64, 4096, 32768};
    static const unsigned flag_sets[] = {MIDATLAS_F_NO_RSEQ, 0};
    int failures = 0;
    for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++)
        for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
            failures += run(capacities[c], flag_sets[f], LAPPED);
            /* Two or four chunks: a visit may last the whole lap. */
            if (capacities[c] >= 4096)
                failures += run(capacities[c], flag_sets[f], LATE);
        }
    printf("STALE SUMMARY: %d failure(s) (CPUs %d and %d)\n", failures, cpu_a, cpu_b);
    return failures ? 1 : 0;
}
