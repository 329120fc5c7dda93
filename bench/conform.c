/* SPDX-License-Identifier: MIT */
/*
 * conform.c - midatlas-conform: every rule of the plugin ABI
 * (include/midatlas/harness.h) checked on one implementation, in seconds,
 * so that no table is benchmarked or stressed before it is shown honest.
 *
 *   midatlas-conform --impl NAME|PATH.so [--impl ...] [--seed S]
 *
 * Rules (a failure prints "FAIL rule=RULE impl=NAME: what" and the command
 * that reproduces it, with its seed):
 *   fill-efull        capacities 1 .. 65536: capacity distinct MIDs, then EFULL
 *   map-exact         map of all 65536 wire values answers exactly the live
 *                     MIDs (NULL for free, stale and out-of-range values)
 *   dissociate-once   a second dissociate fails and leaves *ctx untouched
 *                     (a non-NULL marker there: writing NULL is a change)
 *   stale-inert       stale MIDs can neither be dissociated nor reassociated
 *   reassociate-if    a wrong expected changes nothing; the right one swaps
 *   no-leak           after emptying, the full capacity is usable again
 *   churn             threads holding <= capacity in all never see EFULL (a
 *                     free MID must always be found); own MIDs map to own
 *                     contexts
 *   race-once         threads race reassociate_if, then dissociate, on the
 *                     same MIDs: exactly one winner each
 *   lookup-status     (lookup) OK with the context, EFREE, ERANGE (midatlas
 *                     layout: exactly for indexes >= capacity), ESTALE
 *   dissociate-if     (dissociate_if) EMISMATCH changes nothing; match ends it
 *   reassociate       (reassociate) swaps and returns the old context
 *   discard-release   (discard) a tombstone maps to NULL, is EDISCARDED, is
 *                     never handed out, release frees it, EBUSY when live
 *   drain             (drain) every live context to the visitor once, with
 *                     its MID, and nothing else; then empty; tombstones
 *                     released
 *   stats             (stats) live/discarded/free/associations agree, validate
 * Threads use xorshift streams seeded from --seed (default: the clock).
 *
 * Exit status: 0 pass, 1 the first failed rule, 2 usage or a plugin refused,
 * 77 when every implementation asked for was skipped (TSan-blind under TSan).
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "impl_list.h"

#define PROG "midatlas-conform"

extern const struct mid_impl mid_impl_midatlas, mid_impl_mutex;
static const struct mid_impl *const builtins[] = {&mid_impl_midatlas, &mid_impl_mutex, NULL};
static struct impl_list impls = {.prog = PROG, .builtins = builtins};

#define SKIP_STATUS 77

static const struct mid_impl *impl; /* the implementation under test */
static const char *impl_arg;        /* the --impl that named it */
static const char *rule = "create"; /* the rule being checked */
static uint64_t seed;               /* --seed */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One line per failure: the rule, what went wrong, how to run it again. */
static void fail(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL rule=%s impl=%s: %s (reproduce: " PROG " --impl %s --seed %llu)\n",
            rule, impl->name, msg, impl_arg, (unsigned long long)seed);
    exit(1);
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fail(__VA_ARGS__);                                                             \
    } while (0)

/* How many bits of ctx_of's i: 29 where pointers have 64 bits; on 32-bit
 * targets 17, room for any index of a 65,536-slot table with the tag above. */
#define CTX_I_BITS (UINTPTR_MAX > UINT32_MAX ? 29u : 17u)
#define CTX_I_MASK ((uint32_t)(((uint64_t)1 << CTX_I_BITS) - 1))
#define CTX_TAG_MAX 4094u

/* A distinct fake context per (tag, i): never dereferenced, non-NULL, within
 * 48 bits and a pointer, 8-byte aligned like a real pointer.  tag <=
 * CTX_TAG_MAX, i <= CTX_I_MASK. */
static void *ctx_of(uint32_t tag, uint32_t i)
{
    CHECK(tag <= CTX_TAG_MAX && i <= CTX_I_MASK, "ctx_of(%u, %u): does not fit", tag, i);
    return (void *)(uintptr_t)((((uint64_t)tag + 1) << (CTX_I_BITS + 3)) | ((uint64_t)i << 3));
}

/* What a failing call's out-parameter holds before the call, and must
 * still hold after it: not NULL, which a plugin may write by mistake
 * (plugin.catch.null-ctx). */
static char untouched_marker;
#define UNTOUCHED ((void *)&untouched_marker)

static void thread_enter(void)
{
    if (impl->thread_init != NULL)
        impl->thread_init();
}

static void thread_leave(void)
{
    if (impl->thread_fini != NULL)
        impl->thread_fini();
}

static bool has_rif(void)
{
    return (impl->features & MID_IMPL_HAS_REASSOCIATE_IF) != 0;
}

/* ------------------------------------------------------------ single thread */

static void *expect[65536]; /* what map must answer for every wire value */

static void sweep(void *tab, const char *when)
{
    const char *outer = rule;
    rule = "map-exact";
    for (uint32_t v = 0; v < 65536; v++) {
        void *got = impl->map(tab, (uint16_t)v);
        CHECK(got == expect[v], "%s: map(0x%04x) = %p, want %p", when, (unsigned)v, got,
              expect[v]);
    }
    rule = outer;
}

static void fill(void *tab, uint32_t capacity, uint32_t tag, uint16_t *mids)
{
    for (uint32_t i = 0; i < capacity; i++) {
        uint16_t m;
        int st = impl->associate(tab, ctx_of(tag, i), &m);
        CHECK(st == MIDATLAS_OK, "associate %u of %u: status %d", i, capacity, st);
        CHECK(expect[m] == NULL, "MID 0x%04x handed out twice", m);
        expect[m] = ctx_of(tag, i);
        mids[i] = m;
    }
    uint16_t m;
    CHECK(impl->associate(tab, ctx_of(tag, capacity), &m) == MIDATLAS_EFULL,
          "associate beyond capacity %u did not fail with EFULL", capacity);
}

static void empty_all(void *tab)
{
    for (uint32_t v = 0; v < 65536; v++) {
        if (expect[v] == NULL)
            continue;
        void *got = NULL;
        int st = impl->dissociate(tab, (uint16_t)v, &got);
        CHECK(st == MIDATLAS_OK && got == expect[v], "dissociate(0x%04x): %d, %p", v, st, got);
        expect[v] = NULL;
    }
}

static void single_thread(uint32_t capacity)
{
    rule = "create";
    void *tab = impl->create(capacity);
    CHECK(tab != NULL, "create(%u)", capacity);
    memset(expect, 0, sizeof expect);
    uint16_t *mids = calloc(capacity, sizeof *mids);
    uint16_t *again = calloc(capacity, sizeof *again);
    CHECK(mids != NULL && again != NULL, "out of memory");

    sweep(tab, "empty table");
    rule = "fill-efull";
    fill(tab, capacity, 1, mids);
    sweep(tab, "full table");

    /* Every other MID dissociated, twice: the second must fail. */
    rule = "dissociate-once";
    uint32_t freed = 0;
    for (uint32_t i = 0; i < capacity; i += 2, freed++) {
        void *got = NULL;
        int st = impl->dissociate(tab, mids[i], &got);
        CHECK(st == MIDATLAS_OK && got == ctx_of(1, i), "dissociate(0x%04x): %d", mids[i], st);
        expect[mids[i]] = NULL;
        got = UNTOUCHED;
        st = impl->dissociate(tab, mids[i], &got);
        CHECK(st < 0 && got == UNTOUCHED, "second dissociate(0x%04x): %d, *ctx %p", mids[i], st,
              got);
    }
    sweep(tab, "after dissociating half");

    /* The freed slots come back under new MIDs; the old ones are stale. */
    rule = "fill-efull";
    for (uint32_t k = 0; k < freed; k++) {
        int st = impl->associate(tab, ctx_of(2, k), &again[k]);
        CHECK(st == MIDATLAS_OK, "re-associate %u: %d", k, st);
        CHECK(expect[again[k]] == NULL, "MID 0x%04x handed out twice", again[k]);
        expect[again[k]] = ctx_of(2, k);
    }
    uint16_t m;
    CHECK(impl->associate(tab, ctx_of(2, freed), &m) == MIDATLAS_EFULL, "refilled: not EFULL");
    sweep(tab, "after refilling");

    /* Stale MIDs (old values not handed out again: at capacity 65536 there
     * are no generation bits, so a reissued value is simply live). */
    rule = "stale-inert";
    for (uint32_t i = 0; i < capacity; i += 2) {
        if (expect[mids[i]] != NULL)
            continue;
        void *got = UNTOUCHED;
        int st = impl->dissociate(tab, mids[i], &got);
        CHECK(st < 0 && got == UNTOUCHED, "dissociate of stale 0x%04x: %d, *ctx %p", mids[i], st,
              got);
        if (has_rif()) {
            st = impl->reassociate_if(tab, mids[i], ctx_of(1, i), ctx_of(3, i));
            CHECK(st < 0, "reassociate_if of stale 0x%04x: %d", mids[i], st);
        }
    }
    sweep(tab, "after stale calls");

    /* reassociate_if: a wrong expected changes nothing; the right one swaps. */
    rule = "reassociate-if";
    for (uint32_t i = 1; has_rif() && i < capacity; i += 2) {
        int st = impl->reassociate_if(tab, mids[i], ctx_of(9, i), ctx_of(3, i));
        CHECK(st == MIDATLAS_EMISMATCH, "reassociate_if mismatch on 0x%04x: %d", mids[i], st);
        CHECK(impl->map(tab, mids[i]) == ctx_of(1, i), "mismatch changed 0x%04x", mids[i]);
        st = impl->reassociate_if(tab, mids[i], ctx_of(1, i), ctx_of(3, i));
        CHECK(st == MIDATLAS_OK, "reassociate_if on 0x%04x: %d", mids[i], st);
        expect[mids[i]] = ctx_of(3, i);
    }
    sweep(tab, "after reassociate_if");

    /* A free MID cannot be reassociated. */
    empty_all(tab);
    sweep(tab, "emptied");
    CHECK(!has_rif() || impl->reassociate_if(tab, mids[0], ctx_of(1, 0), ctx_of(3, 0)) < 0,
          "reassociate_if of a free MID succeeded");

    /* Nothing leaked: the whole capacity is usable again. */
    rule = "no-leak";
    fill(tab, capacity, 4, mids);
    empty_all(tab);
    impl->destroy(tab);
    free(mids);
    free(again);
}

/* ------------------------------------------------------------------- churn */

struct churn_arg {
    pthread_barrier_t *go; /* all threads start together, so they overlap */
    void *tab;
    uint32_t tag, hold, iters;
    uint64_t seed;
    double deadline; /* seconds on CLOCK_MONOTONIC: stop early after it */
    uint32_t done;   /* iterations this thread completed                */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next_rand(uint64_t *s) /* xorshift64 */
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *churn_thread(void *p)
{
    struct churn_arg *a = p;
    thread_enter();
    pthread_barrier_wait(a->go);
    uint16_t held[256];
    void *ctx[256];
    uint32_t n = 0, seq = 0;
    uint32_t it;
    for (it = 0; it < a->iters; it++) {
        /* Lock-based peers crawl when threads outnumber cores (a FIFO spin
         * lock handed to a preempted waiter stalls for a time slice): bound
         * the wall time, the overlap has happened long before. */
        if ((it & 15) == 0 && now_s() > a->deadline)
            break;
        bool grow = n == 0 || (n < a->hold && (next_rand(&a->seed) & 1));
        if (grow) {
            ctx[n] = ctx_of(a->tag, seq++ & CTX_I_MASK);
            int st = impl->associate(a->tab, ctx[n], &held[n]);
            CHECK(st == MIDATLAS_OK, "thread %u: associate holding %u of %u: %d", a->tag, n,
                  a->hold, st);
            n++;
        } else {
            uint32_t k = (uint32_t)(next_rand(&a->seed) % n);
            void *got = NULL;
            int st = impl->dissociate(a->tab, held[k], &got);
            CHECK(st == MIDATLAS_OK && got == ctx[k], "thread %u: dissociate own 0x%04x: %d",
                  a->tag, held[k], st);
            n--;
            held[k] = held[n];
            ctx[k] = ctx[n];
        }
        /* Held MIDs still map to this thread's contexts (a MID handed out
         * twice shows up here as another thread's context): the new MID
         * after every associate, all of them every 64 steps. */
        uint32_t from = (it & 63) == 0 ? 0 : (grow ? n - 1 : n);
        for (uint32_t k = from; k < n; k++) {
            void *got = impl->map(a->tab, held[k]);
            CHECK(got == ctx[k], "thread %u: own MID 0x%04x maps to %p, not %p", a->tag,
                  held[k], got, ctx[k]);
        }
    }
    a->done = it;
    while (n > 0) {
        n--;
        void *got = NULL;
        int st = impl->dissociate(a->tab, held[n], &got);
        CHECK(st == MIDATLAS_OK && got == ctx[n], "final dissociate: %d", st);
    }
    thread_leave();
    return NULL;
}

/* threads * hold <= capacity, so an associate never meets a full table. */
static void churn(uint32_t capacity, uint32_t threads, uint32_t hold, uint32_t iters)
{
    rule = "churn";
    void *tab = impl->create(capacity);
    CHECK(tab != NULL, "create(%u)", capacity);
    CHECK(threads * hold <= capacity && hold <= 256 && threads <= 16, "bad churn parameters");
    pthread_t tid[16];
    struct churn_arg arg[16];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, threads);
    for (uint32_t t = 0; t < threads; t++) {
        arg[t] = (struct churn_arg){&go, tab, 100 + t, hold, iters,
                                    (seed ^ 0x9E3779B97F4A7C15ull * (t + 1)) | 1, now_s() + 1.0,
                                    0};
        CHECK(pthread_create(&tid[t], NULL, churn_thread, &arg[t]) == 0, "pthread_create");
    }
    for (uint32_t t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&go);
    uint64_t total = 0;
    for (uint32_t t = 0; t < threads; t++)
        total += arg[t].done;
    printf("  %s: churn cap %u, %u threads holding <= %u: %llu steps\n", impl->name, capacity,
           threads, hold, (unsigned long long)total);
    /* All returned: every slot must be free again. */
    memset(expect, 0, sizeof expect);
    uint16_t *mids = calloc(capacity, sizeof *mids);
    CHECK(mids != NULL, "out of memory");
    fill(tab, capacity, 5, mids);
    empty_all(tab);
    free(mids);
    impl->destroy(tab);
}

/* ------------------------------------------------------------------- races */

#define RACE_MIDS 64
#define RACE_THREADS 4

struct race {
    void *tab;
    _Atomic bool stop; /* set by the main thread before a start barrier */
    pthread_barrier_t start, swapped, ended;
    uint16_t mids[RACE_MIDS];
    void *first[RACE_MIDS];
    _Atomic uint32_t swap_wins[RACE_MIDS];
    _Atomic uint32_t end_wins[RACE_MIDS];
    void *_Atomic ended_ctx[RACE_MIDS];
};

struct race_arg {
    struct race *r;
    uint32_t t;
};

static void *racer(void *p)
{
    struct race_arg *a = p;
    struct race *r = a->r;
    thread_enter();
    for (;;) {
        pthread_barrier_wait(&r->start);
        if (atomic_load(&r->stop))
            break;
        /* Each thread starts at a different MID so that they meet head on. */
        for (uint32_t k = 0; has_rif() && k < RACE_MIDS; k++) {
            uint32_t i = (k + a->t * (RACE_MIDS / RACE_THREADS)) % RACE_MIDS;
            int st = impl->reassociate_if(r->tab, r->mids[i], r->first[i], ctx_of(200 + a->t, i));
            if (st == MIDATLAS_OK)
                atomic_fetch_add_explicit(&r->swap_wins[i], 1, memory_order_relaxed);
            else
                CHECK(st == MIDATLAS_EMISMATCH, "racing reassociate_if: %d", st);
        }
        pthread_barrier_wait(&r->swapped);
        for (uint32_t k = 0; k < RACE_MIDS; k++) {
            uint32_t i = (RACE_MIDS - 1 - k + a->t * (RACE_MIDS / RACE_THREADS)) % RACE_MIDS;
            void *got = UNTOUCHED;
            int st = impl->dissociate(r->tab, r->mids[i], &got);
            if (st == MIDATLAS_OK) {
                atomic_fetch_add_explicit(&r->end_wins[i], 1, memory_order_relaxed);
                atomic_store_explicit(&r->ended_ctx[i], got, memory_order_relaxed);
            } else {
                CHECK(st < 0 && got == UNTOUCHED, "losing dissociate: %d, *ctx %p", st, got);
            }
        }
        pthread_barrier_wait(&r->ended);
    }
    thread_leave();
    return NULL;
}

static void races(uint32_t capacity, uint32_t rounds)
{
    static struct race r;
    rule = "race-once";
    r.tab = impl->create(capacity);
    CHECK(r.tab != NULL, "create(%u)", capacity);
    atomic_store(&r.stop, false);
    pthread_barrier_init(&r.start, NULL, RACE_THREADS + 1);
    pthread_barrier_init(&r.swapped, NULL, RACE_THREADS + 1);
    pthread_barrier_init(&r.ended, NULL, RACE_THREADS + 1);
    pthread_t tid[RACE_THREADS];
    struct race_arg arg[RACE_THREADS];
    for (uint32_t t = 0; t < RACE_THREADS; t++) {
        arg[t] = (struct race_arg){&r, t};
        CHECK(pthread_create(&tid[t], NULL, racer, &arg[t]) == 0, "pthread_create");
    }
    double deadline = now_s() + 1.0; /* see churn_thread */
    uint32_t round;
    for (round = 0; round < rounds && now_s() < deadline; round++) {
        for (uint32_t i = 0; i < RACE_MIDS; i++) {
            r.first[i] = ctx_of(7, round * RACE_MIDS + i);
            CHECK(impl->associate(r.tab, r.first[i], &r.mids[i]) == MIDATLAS_OK, "associate");
            atomic_store(&r.swap_wins[i], 0);
            atomic_store(&r.end_wins[i], 0);
            atomic_store(&r.ended_ctx[i], NULL);
        }
        pthread_barrier_wait(&r.start);
        pthread_barrier_wait(&r.swapped);
        for (uint32_t i = 0; i < RACE_MIDS; i++) {
            uint32_t w = atomic_load(&r.swap_wins[i]);
            CHECK(w == (has_rif() ? 1u : 0u), "round %u MID 0x%04x: %u reassociate_if winners", round, r.mids[i], w);
        }
        pthread_barrier_wait(&r.ended);
        for (uint32_t i = 0; i < RACE_MIDS; i++) {
            uint32_t w = atomic_load(&r.end_wins[i]);
            CHECK(w == 1, "round %u MID 0x%04x: %u dissociate winners", round, r.mids[i], w);
            void *got = atomic_load(&r.ended_ctx[i]);
            bool swapped = !has_rif() && got == r.first[i];
            for (uint32_t t = 0; t < RACE_THREADS; t++)
                swapped |= got == ctx_of(200 + t, i);
            CHECK(swapped, "round %u: dissociate got %p, not a swapped-in context", round, got);
            CHECK(impl->map(r.tab, r.mids[i]) == NULL, "dissociated MID still maps");
        }
    }
    atomic_store(&r.stop, true);
    pthread_barrier_wait(&r.start);
    for (uint32_t t = 0; t < RACE_THREADS; t++)
        pthread_join(tid[t], NULL);
    printf("  %s: races on %d MIDs, %d threads: %u rounds\n", impl->name, RACE_MIDS,
           RACE_THREADS, round);
    pthread_barrier_destroy(&r.start);
    pthread_barrier_destroy(&r.swapped);
    pthread_barrier_destroy(&r.ended);
    impl->destroy(r.tab);
}

/* ------------------------------------------------------ optional calls */

static bool has(uint32_t features)
{
    return (impl->features & features) == features;
}

static uint32_t index_bits(uint32_t capacity)
{
    uint32_t bits = 0;
    while ((1u << bits) < capacity)
        bits++;
    return bits;
}

/* A table of `capacity` with `n` live MIDs (contexts ctx_of(tag, i)). */
static void *table_with(uint32_t capacity, uint32_t n, uint32_t tag, uint16_t *mids)
{
    void *tab = impl->create(capacity);
    CHECK(tab != NULL, "create(%u)", capacity);
    for (uint32_t i = 0; i < n; i++)
        CHECK(impl->associate(tab, ctx_of(tag, i), &mids[i]) == MIDATLAS_OK, "associate %u", i);
    return tab;
}

/* lookup agrees with map on every wire value, with an allowed status. */
static void lookup_sweep(void *tab, uint32_t capacity, const char *when)
{
    uint32_t mask = (1u << index_bits(capacity)) - 1;
    for (uint32_t v = 0; v < 65536; v++) {
        void *sentinel = ctx_of(4000, v), *c = sentinel, *m = impl->map(tab, (uint16_t)v);
        int st = impl->lookup(tab, (uint16_t)v, &c);
        if (m != NULL) {
            CHECK(st == MIDATLAS_OK && c == m, "%s: lookup(0x%04x) = %d, %p; map gives %p", when,
                  v, st, c, m);
            continue;
        }
        CHECK(st == MIDATLAS_ERANGE || st == MIDATLAS_EFREE || st == MIDATLAS_ESTALE ||
                  st == MIDATLAS_EDISCARDED,
              "%s: lookup(0x%04x) of a MID map says is not live: %d", when, v, st);
        CHECK(c == sentinel, "%s: failed lookup(0x%04x) wrote *ctx", when, v);
        if (impl->traits & MID_IMPL_MIDATLAS_LAYOUT)
            CHECK(((v & mask) >= capacity) == (st == MIDATLAS_ERANGE),
                  "%s: lookup(0x%04x), index %u of %u: %d", when, v, v & mask, capacity, st);
    }
}

static void lookup_rules(uint32_t capacity)
{
    rule = "lookup-status";
    uint16_t mids[2];
    void *tab = table_with(capacity, 1, 20, mids), *c = NULL;
    CHECK(impl->lookup(tab, mids[0], &c) == MIDATLAS_OK && c == ctx_of(20, 0), "lookup of live");
    lookup_sweep(tab, capacity, "one live");
    CHECK(impl->dissociate(tab, mids[0], NULL) == MIDATLAS_OK, "dissociate");
    CHECK(impl->lookup(tab, mids[0], &c) == MIDATLAS_EFREE, "lookup of a freed MID: not EFREE");
    CHECK(impl->associate(tab, ctx_of(20, 1), &mids[1]) == MIDATLAS_OK, "associate");
    if (mids[1] != mids[0] && (mids[1] & ((1u << index_bits(capacity)) - 1)) ==
                                  (mids[0] & ((1u << index_bits(capacity)) - 1)) &&
        (impl->traits & MID_IMPL_MIDATLAS_LAYOUT))
        CHECK(impl->lookup(tab, mids[0], &c) == MIDATLAS_ESTALE, "lookup of an old MID of a "
                                                                 "reissued slot: not ESTALE");
    lookup_sweep(tab, capacity, "reissued");
    impl->dissociate(tab, mids[1], NULL);
    impl->destroy(tab);
}

static void dissociate_if_rules(void)
{
    rule = "dissociate-if";
    uint16_t m;
    void *tab = table_with(8, 1, 21, &m);
    CHECK(impl->dissociate_if(tab, m, ctx_of(99, 0)) == MIDATLAS_EMISMATCH, "wrong expected");
    CHECK(impl->map(tab, m) == ctx_of(21, 0), "a mismatch changed 0x%04x", m);
    CHECK(impl->dissociate_if(tab, m, ctx_of(21, 0)) == MIDATLAS_OK, "right expected");
    CHECK(impl->map(tab, m) == NULL, "0x%04x still maps after dissociate_if", m);
    CHECK(impl->dissociate_if(tab, m, ctx_of(21, 0)) < 0, "second dissociate_if acted");
    impl->destroy(tab);
}

static void reassociate_rules(void)
{
    rule = "reassociate";
    uint16_t m;
    void *tab = table_with(8, 1, 22, &m), *old = NULL;
    CHECK(impl->reassociate(tab, m, ctx_of(22, 1), &old) == MIDATLAS_OK && old == ctx_of(22, 0),
          "reassociate of a live MID: old %p", old);
    CHECK(impl->map(tab, m) == ctx_of(22, 1), "reassociate did not swap 0x%04x", m);
    CHECK(impl->dissociate(tab, m, NULL) == MIDATLAS_OK, "dissociate");
    old = NULL;
    CHECK(impl->reassociate(tab, m, ctx_of(22, 2), &old) < 0 && old == NULL,
          "reassociate of a free MID acted");
    impl->destroy(tab);
}

static void discard_rules(void)
{
    rule = "discard-release";
    uint16_t mids[4], m;
    void *tab = table_with(4, 4, 23, mids), *c = NULL;
    CHECK(impl->discard(tab, mids[0], &c) == MIDATLAS_OK && c == ctx_of(23, 0), "discard");
    CHECK(impl->map(tab, mids[0]) == NULL, "a tombstone maps to a context");
    c = NULL;
    CHECK(impl->discard(tab, mids[0], &c) < 0 && c == NULL, "second discard acted");
    CHECK(impl->dissociate(tab, mids[0], &c) < 0 && c == NULL, "dissociate of a tombstone");
    if (has(MID_IMPL_HAS_LOOKUP))
        CHECK(impl->lookup(tab, mids[0], &c) == MIDATLAS_EDISCARDED, "lookup: not EDISCARDED");
    CHECK(impl->associate(tab, ctx_of(23, 9), &m) == MIDATLAS_EFULL,
          "a tombstone was handed out again (0x%04x)", m);
    CHECK(impl->release(tab, mids[1]) == MIDATLAS_EBUSY, "release of a live MID: not EBUSY");
    CHECK(impl->release(tab, mids[0]) == MIDATLAS_OK, "release of a tombstone");
    CHECK(impl->release(tab, mids[0]) < 0, "second release acted");
    CHECK(impl->associate(tab, ctx_of(23, 10), &m) == MIDATLAS_OK, "released MID not reusable");
    impl->destroy(tab);
}

static unsigned drained_seen[64];
static unsigned drained_wrong; /* visits of a context not handed out, or
                                  with another context's MID */

/* arg: the MIDs of contexts ctx_of(24, 0 .. 63). */
static void drain_visit(void *ctx, uint16_t mid, void *arg)
{
    const uint16_t *mids = arg;
    for (uint32_t i = 0; i < 64; i++)
        if (ctx == ctx_of(24, i)) {
            drained_seen[i]++;
            if (mid != mids[i])
                drained_wrong++;
            return;
        }
    drained_wrong++;
}

static void drain_rules(void)
{
    rule = "drain";
    uint16_t mids[64];
    void *tab = table_with(64, 40, 24, mids);
    memset(drained_seen, 0, sizeof drained_seen);
    drained_wrong = 0;
    uint32_t live = 40;
    if (has(MID_IMPL_HAS_DISCARD))
        for (uint32_t i = 0; i < 40; i += 8, live--)
            CHECK(impl->discard(tab, mids[i], NULL) == MIDATLAS_OK, "discard");
    size_t n = impl->drain(tab, drain_visit, mids);
    CHECK(n == live, "drain returned %zu, %u were live", n, live);
    CHECK(drained_wrong == 0,
          "drain visited %u contexts it never handed out, or with another's MID", drained_wrong);
    for (uint32_t i = 0; i < 40; i++) {
        unsigned want = has(MID_IMPL_HAS_DISCARD) && i % 8 == 0 ? 0 : 1;
        CHECK(drained_seen[i] == want, "context %u visited %u times", i, drained_seen[i]);
        CHECK(impl->map(tab, mids[i]) == NULL, "0x%04x maps after drain", mids[i]);
    }
    memset(expect, 0, sizeof expect);
    fill(tab, 64, 25, mids); /* tombstones released: all 64 usable */
    empty_all(tab);
    impl->destroy(tab);
}

static void stats_rules(void)
{
    rule = "stats";
    uint16_t mids[10];
    void *tab = table_with(64, 10, 26, mids);
    struct mid_impl_stats st;
    const char *why = NULL;
    uint32_t discarded = has(MID_IMPL_HAS_DISCARD) ? 2 : 0;
    for (uint32_t i = 0; i < discarded; i++)
        CHECK(impl->discard(tab, mids[i], NULL) == MIDATLAS_OK, "discard");
    impl->stats(tab, &st);
    CHECK(st.capacity == 64 && st.live == 10 - discarded && st.discarded == discarded &&
              st.live + st.discarded + st.free == st.usable && st.associations == 10,
          "capacity %u usable %u live %u discarded %u free %u associations %llu", st.capacity,
          st.usable, st.live, st.discarded, st.free, (unsigned long long)st.associations);
    CHECK(impl->validate(tab, &why) == MIDATLAS_OK, "validate: %s", why ? why : "(no reason)");
    impl->destroy(tab);
}

/* -------------------------------------------------------------------- main */

static bool tsan_blind_here(const struct mid_impl *i)
{
#ifdef MIDATLAS_SANITIZE_THREAD
    return (i->traits & MID_IMPL_TSAN_BLIND) != 0;
#else
    (void)i;
    return false;
#endif
}

static void run_all(void)
{
    static const uint32_t caps[] = {1, 2, 3, 8, 64, 100, 4096, 65536};
    thread_enter(); /* the main thread calls the table too */
    /* caps are ascending; max_capacity is 64 at least (the ABI check). */
    const uint32_t max = impl_max_capacity(impl);
    for (size_t k = 0; k < sizeof caps / sizeof caps[0] && caps[k] <= max; k++)
        single_thread(caps[k]);
    churn(8, 4, 2, 200000);   /* full but for in-flight: no hidden free MID */
    churn(64, 4, 16, 200000);
    if (max >= 4096)
        churn(4096, 3, 200, 50000);
    races(max < 256 ? max : 256, 200);
    if (has(MID_IMPL_HAS_LOOKUP))
        for (size_t k = 0; k < sizeof caps / sizeof caps[0] && caps[k] <= max; k++)
            lookup_rules(caps[k]);
    if (has(MID_IMPL_HAS_DISSOCIATE_IF))
        dissociate_if_rules();
    if (has(MID_IMPL_HAS_REASSOCIATE))
        reassociate_rules();
    if (has(MID_IMPL_HAS_DISCARD))
        discard_rules();
    if (has(MID_IMPL_HAS_DRAIN))
        drain_rules();
    if (has(MID_IMPL_HAS_STATS))
        stats_rules();
    thread_leave();
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " --impl NAME|PATH.so [--impl ...] [--seed S]\n"
            "Checks every rule of the plugin ABI (include/midatlas/harness.h) on each\n"
            "implementation: fill-efull, map-exact, dissociate-once, stale-inert,\n"
            "reassociate-if, no-leak, churn, race-once, and for the optional calls a table\n"
            "offers lookup-status, dissociate-if, reassociate, discard-release, drain, stats.\n"
            "  --impl X     compiled-in name, 'all', or a plugin (repeatable)\n"
            "  --seed S     seed of the threads' random streams (default: from the clock)\n"
            "  -h, --help   this text\n"
            "  --version    version and plugin ABI version\n"
            "Implementations:\n");
    impl_list_help(&impls, f);
    fprintf(f, "A failure prints one line: FAIL rule=RULE impl=NAME: what (reproduce: ...).\n"
               "Exit status: 0 pass, 1 a rule failed, 2 usage or a plugin refused, 77 all "
               "skipped.\n");
}

static int parse_args(int argc, char **argv)
{
    static const struct option opts[] = {
        {"impl", required_argument, NULL, 'i'}, {"seed", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},       {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    seed = ((uint64_t)now.tv_sec * 1000003u ^ (uint64_t)now.tv_nsec) | 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        char *end;
        switch (o) {
        case 'i':
            if (!impl_list_add(&impls, optarg))
                return 2;
            break;
        case 'S':
            seed = strtoull(optarg, &end, 0);
            if (*end || end == optarg || seed == 0)
                return cli_usage_error(PROG, "bad --seed '%s' (a non-zero number)", optarg);
            break;
        default: return cli_other_option(PROG, o, argv, usage);
        }
    }
    if (cli_no_operands(PROG, argc, argv) || !impl_list_given(&impls))
        return 2;
    return 0;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    int ran = 0;
    for (size_t k = 0; k < impls.n; k++) {
        impl = impls.impls[k];
        impl_arg = impls.args[k];
        if (tsan_blind_here(impl)) {
            printf("SKIP %s: built on atomics ThreadSanitizer cannot see\n", impl->name);
            continue;
        }
        run_all();
        printf("PASS %s (seed %llu)\n", impl->name, (unsigned long long)seed);
        ran++;
    }
    return ran > 0 ? 0 : SKIP_STATUS;
}
