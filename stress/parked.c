/* SPDX-License-Identifier: MIT */
/*
 * parked.c - lock-freedom shown: park one thread inside an operation and
 * count what the others still complete.
 *
 * Built against midatlas_hooked (the library compiled with
 * MIDATLAS_TEST_HOOKS, see src/hooks.h).  A victim thread is parked on a
 * semaphore at a hook point inside an operation:
 *   claim-found        associate read a FREE slot word, before its claim CAS;
 *   dissociate-won     dissociate made the slot FREE, before it looked at
 *                      the waiters.
 * While it is parked, the other threads churn (associate, map, dissociate)
 * for --seconds; their completed operations are counted.  For midatlas the
 * count must be large (MIN_OPS) and, before the victim is let go, this thread
 * must still obtain every MID: at neither point does the victim hold a slot
 * that others cannot take (the claim and the ending are each one CAS).
 *
 * The same test against the mutex baseline must show the stall: the victim is
 * parked inside the baseline's critical section and the others complete 0
 * operations.  bench/impls/impl_mutex.c has no hook, so parked_mutex.c here
 * wraps the same fixed_table.h under one pthread mutex, exactly as
 * impl_mutex.c does, and calls the hook inside the lock.
 *
 * Prints one PARKED line per (implementation, point); exit 0 only when
 * midatlas kept going and the baseline stalled at both points.
 */
#define _POSIX_C_SOURCE 200809L /* semaphores, clock_gettime, nanosleep */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks.h"
#include "midatlas.h"
#include "parked.h"

#define CAPACITY 64u
#define MIN_OPS 1000u
#define MAX_OTHERS 16u

/* ---- the hook ----------------------------------------------------------------- */

static _Thread_local bool tls_victim;   /* only the victim thread parks */
static enum midatlas_hook_point park_at;
static sem_t parked_sem, release_sem;
static _Atomic uint32_t parked_index;

void parked_hook(enum midatlas_hook_point point, uint32_t index)
{
    if (!tls_victim || point != park_at)
        return;
    tls_victim = false;
    /* relaxed: read by main after sem_wait(parked_sem), which orders it. */
    atomic_store_explicit(&parked_index, index, memory_order_relaxed);
    sem_post(&parked_sem);
    while (sem_wait(&release_sem) != 0 && errno == EINTR)
        ;
}

/* ---- the tables under test -------------------------------------------------------- */

static void *atlas_create(void)
{
    struct midatlas *a = NULL;
    return midatlas_create(&a, CAPACITY, 0) == MIDATLAS_OK ? a : NULL;
}
static void atlas_destroy(void *t) { midatlas_destroy(t, NULL, NULL); }
static int atlas_associate(void *t, void *c, uint16_t *m) { return midatlas_associate(t, c, m); }
static void *atlas_map(void *t, uint16_t m) { return midatlas_map(t, m); }
static int atlas_dissociate(void *t, uint16_t m, void **c) { return midatlas_dissociate(t, m, c); }

static const struct parked_target targets[] = {
    {"midatlas", true, atlas_create, atlas_destroy, atlas_associate, atlas_map, atlas_dissociate},
    {"mutex", false, parked_mutex_create, parked_mutex_destroy, parked_mutex_associate,
     parked_mutex_map, parked_mutex_dissociate},
};

/* ---- the others -------------------------------------------------------------------- */

struct other {
    pthread_t handle;
    const struct parked_target *t;
    void *table;
    unsigned id;
    _Atomic int *stop;
    _Atomic uint64_t ops;  /* completed calls */
    _Atomic int finished;
    bool failed;
};

static void count(struct other *o)
{
    atomic_store_explicit(&o->ops, atomic_load_explicit(&o->ops, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* A context of thread id's seq-th request, distinct among the few a thread
 * holds: the id above the sequence's low bits (20 of them, for 32-bit
 * pointers), 8-byte aligned, never NULL. */
static void *other_ctx(unsigned id, uint32_t seq)
{
    return (void *)(uintptr_t)(((uint64_t)(id + 1) << 23) | ((uint64_t)(seq & 0xFFFFFu) << 3));
}

static void *other_body(void *arg)
{
    struct other *o = arg;
    uint32_t seq = 0;
    while (!atomic_load_explicit(o->stop, memory_order_relaxed)) {
        void *ctx = other_ctx(o->id, ++seq);
        uint16_t mid;
        void *got = NULL;
        int rc = o->t->associate(o->table, ctx, &mid);
        count(o);
        if (rc == MIDATLAS_EFULL)
            continue;
        if (rc != MIDATLAS_OK || o->t->map(o->table, mid) != ctx) {
            o->failed = true;
            break;
        }
        count(o);
        if (o->t->dissociate(o->table, mid, &got) != MIDATLAS_OK || got != ctx) {
            o->failed = true;
            break;
        }
        count(o);
    }
    /* release: pairs with main's acquire wait for the others to finish. */
    atomic_store_explicit(&o->finished, 1, memory_order_release);
    return NULL;
}

/* ---- the victim ------------------------------------------------------------------- */

struct victim {
    pthread_t handle;
    const struct parked_target *t;
    void *table;
    int rc;
    uint16_t mid;
    void *got;
};

#define VICTIM_CTX ((void *)(uintptr_t)0x7000)

static void *victim_body(void *arg)
{
    struct victim *v = arg;
    if (park_at == MIDATLAS_HOOK_DISSOCIATE_WON) {
        if (v->t->associate(v->table, VICTIM_CTX, &v->mid) != MIDATLAS_OK) {
            v->rc = -100;
            sem_post(&parked_sem); /* nothing to park on: let main see it */
            return NULL;
        }
        tls_victim = true;
        v->rc = v->t->dissociate(v->table, v->mid, &v->got);
    } else {
        tls_victim = true;
        v->rc = v->t->associate(v->table, VICTIM_CTX, &v->mid);
    }
    return NULL;
}

/* ---- one scenario ------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool wait_sem(sem_t *s, double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    int rc;
    while ((rc = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
        ;
    return rc == 0;
}

/* With the victim still parked, take every MID this thread can get: all
 * must come out (the victim holds no slot). */
static uint32_t fill_while_parked(const struct parked_target *t, void *table)
{
    uint16_t mids[CAPACITY];
    uint32_t n = 0;
    while (n < CAPACITY &&
           t->associate(table, (void *)(uintptr_t)(0x100000u + 8u * n), &mids[n]) == MIDATLAS_OK)
        n++;
    for (uint32_t i = 0; i < n; i++)
        t->dissociate(table, mids[i], NULL);
    return n;
}

static const char *point_name(enum midatlas_hook_point p)
{
    return p == MIDATLAS_HOOK_CLAIM_FOUND ? "claim-found" : "dissociate-won";
}

/* Returns the operations the others completed while the victim was parked,
 * or -1 when the scenario itself failed. */
static long long scenario(const struct parked_target *t, enum midatlas_hook_point point,
                          unsigned nothers, double seconds)
{
    void *table = t->create();
    struct victim v = {.t = t, .table = table};
    struct other others[MAX_OTHERS];
    _Atomic int stop = 0;
    long long result = -1;

    if (!table)
        return -1;
    park_at = point;
    pthread_create(&v.handle, NULL, victim_body, &v);
    if (!wait_sem(&parked_sem, 5.0) || v.rc == -100) {
        fprintf(stderr, "%s: the victim never reached %s\n", t->name, point_name(point));
        return -1; /* the victim thread is left; the process fails anyway */
    }

    for (unsigned i = 0; i < nothers; i++) {
        others[i] = (struct other){.t = t, .table = table, .id = i, .stop = &stop};
        pthread_create(&others[i].handle, NULL, other_body, &others[i]);
    }
    double start = now_s();
    const struct timespec tick = {0, 10 * 1000 * 1000};
    while (now_s() - start < seconds)
        nanosleep(&tick, NULL);
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    uint64_t ops = 0;
    for (unsigned i = 0; i < nothers; i++)
        ops += atomic_load_explicit(&others[i].ops, memory_order_relaxed);
    double elapsed = now_s() - start;

    uint32_t filled = 0;
    bool others_done = true;
    if (t->lock_free) {
        /* The others must stop on their own while the victim is parked. */
        for (unsigned i = 0; i < nothers; i++) {
            double t0 = now_s();
            /* acquire: pairs with other_body's release store of finished. */
            while (!atomic_load_explicit(&others[i].finished, memory_order_acquire) &&
                   now_s() - t0 < 5.0)
                nanosleep(&tick, NULL);
            if (!atomic_load_explicit(&others[i].finished, memory_order_acquire))
                others_done = false;
        }
        if (others_done)
            filled = fill_while_parked(t, table);
    }

    /* Let the victim go; its call must complete as if nothing happened. */
    sem_post(&release_sem);
    pthread_join(v.handle, NULL);
    bool failed = false;
    for (unsigned i = 0; i < nothers; i++) {
        pthread_join(others[i].handle, NULL);
        failed |= others[i].failed;
    }
    bool victim_ok = v.rc == MIDATLAS_OK &&
                     (point == MIDATLAS_HOOK_CLAIM_FOUND ? t->map(table, v.mid) == VICTIM_CTX
                                                              : v.got == VICTIM_CTX);

    printf("PARKED impl=%s point=%s parked_index=%u others=%u seconds=%.2f others_ops=%llu",
           t->name, point_name(point),
           atomic_load_explicit(&parked_index, memory_order_relaxed), nothers, elapsed,
           (unsigned long long)ops);
    if (t->lock_free)
        printf(" filled_while_parked=%u/%u", filled, CAPACITY);
    printf(" victim_completed=%s\n", victim_ok ? "yes" : "NO");

    if (failed)
        fprintf(stderr, "%s: an other thread saw a wrong result\n", t->name);
    else if (!victim_ok)
        fprintf(stderr, "%s: the victim's call did not complete correctly after release\n",
                t->name);
    else if (t->lock_free && !others_done)
        fprintf(stderr, "%s: the other threads could not stop while one thread was parked\n",
                t->name);
    else if (t->lock_free && filled != CAPACITY)
        fprintf(stderr, "%s: with one thread parked, this thread got %u of the %u MIDs\n",
                t->name, filled, CAPACITY);
    else
        result = (long long)ops;
    t->destroy(table);
    return result;
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    unsigned nothers = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            nothers = (unsigned)strtoul(argv[++i], NULL, 10);
        else {
            printf("usage: midatlas-parked [--seconds S] [--threads N]\n"
                   "Parks one thread inside an operation (hook points of src/hooks.h) and\n"
                   "counts the operations N other threads complete meanwhile, for midatlas\n"
                   "(must be >= %u) and for the mutex baseline (must be 0: the stall).\n",
                   MIN_OPS);
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (nothers < 1 || nothers > MAX_OTHERS || !(seconds > 0)) {
        fprintf(stderr, "midatlas-parked: --threads 1..%u, --seconds > 0\n", MAX_OTHERS);
        return 2;
    }
    sem_init(&parked_sem, 0, 0);
    sem_init(&release_sem, 0, 0);
    midatlas_set_test_hook(parked_hook);

    int bad = 0;
    const enum midatlas_hook_point points[] = {MIDATLAS_HOOK_CLAIM_FOUND,
                                               MIDATLAS_HOOK_DISSOCIATE_WON};
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        for (size_t p = 0; p < 2; p++) {
            long long ops = scenario(&targets[k], points[p], nothers, seconds);
            if (ops < 0) {
                bad = 1;
            } else if (targets[k].lock_free && ops < (long long)MIN_OPS) {
                fprintf(stderr, "FAIL %s: only %lld operations completed while one thread was "
                                "parked at %s (want >= %u)\n",
                        targets[k].name, ops, point_name(points[p]), MIN_OPS);
                bad = 1;
            } else if (!targets[k].lock_free && ops != 0) {
                fprintf(stderr, "FAIL %s: %lld operations completed while a thread was parked "
                                "inside its lock at %s: the stall did not show\n",
                        targets[k].name, ops, point_name(points[p]));
                bad = 1;
            }
        }
    }
    midatlas_set_test_hook(NULL);
    printf("%s\n", bad ? "FAIL" : "PASS: midatlas kept going at both points; the mutex baseline "
                                  "stalled at both");
    return bad;
}
