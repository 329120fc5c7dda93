/*
 * test_impls.c - the same correctness checks on every implementation behind
 * impl.h, so that no peer is benchmarked before it is shown honest.
 *
 *   test_impls [NAME...]      (no name: every implementation)
 *
 * Single thread, at capacities 1 .. 65536: fill to EFULL with distinct MIDs;
 * map of all 65536 wire values answers exactly the live MIDs (NULL for free,
 * stale and out-of-range values); double dissociate fails; stale MIDs can
 * neither be dissociated nor reassociated; reassociate_if swaps only on a
 * match; after emptying, the full capacity is usable again.
 * Threads: churn where each owner checks its own MIDs map to its own
 * contexts and never sees EFULL while threads * hold <= capacity (a free MID
 * must always be found); races where every thread tries to reassociate_if,
 * then to dissociate, the same MIDs: exactly one winner each.
 *
 * Exit status: 0 pass, 1 the first failed check (message on stderr), 77 when
 * every implementation asked for was skipped (TSan-blind under TSan).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "impl.h"

#define SKIP_STATUS 77

static const struct mid_impl *impl; /* the implementation under test */

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: [%s] check failed: %s: ", __FILE__, __LINE__,          \
                    impl->name, #cond);                                                    \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

/* A distinct fake context per (tag, i): never dereferenced, non-NULL, within
 * 48 bits, 8-byte aligned like a real pointer.  tag < 4096, i < 2^28. */
static void *ctx_of(uint32_t tag, uint32_t i)
{
    return (void *)(uintptr_t)((((uint64_t)tag + 1) << 32) | ((uint64_t)i << 3));
}

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

/* ------------------------------------------------------------ single thread */

static void *expect[65536]; /* what map must answer for every wire value */

static void sweep(void *tab, const char *when)
{
    for (uint32_t v = 0; v < 65536; v++) {
        void *got = impl->map(tab, (uint16_t)v);
        CHECK(got == expect[v], "%s: map(0x%04x) = %p, want %p", when, (unsigned)v, got,
              expect[v]);
    }
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
    void *tab = impl->create(capacity);
    CHECK(tab != NULL, "create(%u)", capacity);
    memset(expect, 0, sizeof expect);
    uint16_t *mids = calloc(capacity, sizeof *mids);
    uint16_t *again = calloc(capacity, sizeof *again);
    CHECK(mids != NULL && again != NULL, "out of memory");

    sweep(tab, "empty table");
    fill(tab, capacity, 1, mids);
    sweep(tab, "full table");

    /* Every other MID dissociated, twice: the second must fail. */
    uint32_t freed = 0;
    for (uint32_t i = 0; i < capacity; i += 2, freed++) {
        void *got = NULL;
        int st = impl->dissociate(tab, mids[i], &got);
        CHECK(st == MIDATLAS_OK && got == ctx_of(1, i), "dissociate(0x%04x): %d", mids[i], st);
        expect[mids[i]] = NULL;
        got = NULL;
        st = impl->dissociate(tab, mids[i], &got);
        CHECK(st < 0 && got == NULL, "second dissociate(0x%04x): %d", mids[i], st);
    }
    sweep(tab, "after dissociating half");

    /* The freed slots come back under new MIDs; the old ones are stale. */
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
    for (uint32_t i = 0; i < capacity; i += 2) {
        if (expect[mids[i]] != NULL)
            continue;
        void *got = NULL;
        int st = impl->dissociate(tab, mids[i], &got);
        CHECK(st < 0 && got == NULL, "dissociate of stale 0x%04x: %d", mids[i], st);
        st = impl->reassociate_if(tab, mids[i], ctx_of(1, i), ctx_of(3, i));
        CHECK(st < 0, "reassociate_if of stale 0x%04x: %d", mids[i], st);
    }
    sweep(tab, "after stale calls");

    /* reassociate_if: a wrong expected changes nothing; the right one swaps. */
    for (uint32_t i = 1; i < capacity; i += 2) {
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
    CHECK(impl->reassociate_if(tab, mids[0], ctx_of(1, 0), ctx_of(3, 0)) < 0,
          "reassociate_if of a free MID succeeded");

    /* Nothing leaked: the whole capacity is usable again. */
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
            ctx[n] = ctx_of(a->tag, seq++ & 0x0FFFFFFF);
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
    void *tab = impl->create(capacity);
    CHECK(tab != NULL, "create(%u)", capacity);
    CHECK(threads * hold <= capacity && hold <= 256 && threads <= 16, "bad churn parameters");
    pthread_t tid[16];
    struct churn_arg arg[16];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, threads);
    for (uint32_t t = 0; t < threads; t++) {
        arg[t] = (struct churn_arg){&go, tab, 100 + t, hold, iters,
                                    0x9E3779B97F4A7C15ull * (t + 1), now_s() + 1.0, 0};
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
        for (uint32_t k = 0; k < RACE_MIDS; k++) {
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
            void *got = NULL;
            int st = impl->dissociate(r->tab, r->mids[i], &got);
            if (st == MIDATLAS_OK) {
                atomic_fetch_add_explicit(&r->end_wins[i], 1, memory_order_relaxed);
                atomic_store_explicit(&r->ended_ctx[i], got, memory_order_relaxed);
            } else {
                CHECK(st < 0 && got == NULL, "losing dissociate: %d, %p", st, got);
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
            CHECK(w == 1, "round %u MID 0x%04x: %u reassociate_if winners", round, r.mids[i], w);
        }
        pthread_barrier_wait(&r.ended);
        for (uint32_t i = 0; i < RACE_MIDS; i++) {
            uint32_t w = atomic_load(&r.end_wins[i]);
            CHECK(w == 1, "round %u MID 0x%04x: %u dissociate winners", round, r.mids[i], w);
            void *got = atomic_load(&r.ended_ctx[i]);
            bool swapped = false;
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
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++)
        single_thread(caps[k]);
    churn(8, 4, 2, 200000);   /* full but for in-flight: no hidden free MID */
    churn(64, 4, 16, 200000);
    churn(4096, 3, 200, 50000);
    races(256, 200);
    thread_leave();
}

int main(int argc, char **argv)
{
    int ran = 0;
    const struct mid_impl *const *list = mid_impls;
    const struct mid_impl *named[16];
    if (argc > 1) {
        int n = 0;
        for (int a = 1; a < argc && n < 15; a++) {
            named[n] = mid_impl_find(argv[a]);
            if (named[n] == NULL) {
                fprintf(stderr, "test_impls: unknown implementation '%s'\n", argv[a]);
                return 2;
            }
            n++;
        }
        named[n] = NULL;
        list = named;
    }
    for (size_t k = 0; list[k] != NULL; k++) {
        impl = list[k];
        if (tsan_blind_here(impl)) {
            printf("SKIP %s: built on atomics ThreadSanitizer cannot see\n", impl->name);
            continue;
        }
        run_all();
        printf("PASS %s\n", impl->name);
        ran++;
    }
    return ran > 0 ? 0 : SKIP_STATUS;
}
