/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - racing calls on one atlas.
 *
 *  (a) end_race: dissociate, dissociate_if, discard and drain race for the
 *      same MIDs, hundreds of rounds: every context is ended exactly once,
 *      losers get only the statuses the contract allows.
 *  (b) churn_and_scan: threads churn associate/map/reassociate/dissociate/
 *      discard on their own MIDs while others map and look up random wire
 *      values: an owner's MID always maps to the owner's context, and a
 *      scanner only ever sees a context some thread associated.
 *  (c) reassociate_race: N racers reassociate_if (and dissociate_if) the
 *      same MIDs from the same expected contexts: exactly one wins each.
 *  (d) drain_vs_associate: drain runs while threads associate and
 *      dissociate: every context ends exactly once, by its owner or by drain.
 *
 * Failures inside threads are counted in atomics and asserted by the main
 * thread (cmocka's asserts are not thread-safe).  Each test runs for a
 * bounded time or number of rounds, less under sanitizers.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, barriers, getpid */
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Number of a context made by tctx(). */
static uint64_t ctx_id(const void *ctx)
{
    return ((uint64_t)(uintptr_t)ctx >> 4) - 1;
}

/* Bad outcomes seen inside threads: counted, reported, asserted zero. */
static atomic_ulong bad;
static char bad_what[160];

static void bad_outcome(const char *what, uint16_t mid, int rc)
{
    /* Keep the first message only; the count says how many. */
    if (atomic_fetch_add_explicit(&bad, 1, memory_order_relaxed) == 0)
        snprintf(bad_what, sizeof bad_what, "%s mid 0x%04x: %s", what, mid, t_status_name(rc));
}

static void assert_no_bad(void)
{
    unsigned long n = atomic_load_explicit(&bad, memory_order_relaxed);
    if (n) {
        print_error("%lu bad outcomes in threads, first: %s\n", n, bad_what);
        fail();
    }
}

/* Line racers up after a pthread barrier: the barrier wakes threads tens of
 * microseconds apart, longer than a whole round of calls, so racers would
 * mostly run one after the other.  Spinning until every racer has arrived
 * starts them together.  Relaxed: the barrier already ordered the data. */
static void spin_align(atomic_uint *ready, unsigned n)
{
    atomic_fetch_add_explicit(ready, 1, memory_order_relaxed);
    for (unsigned spins = 1; atomic_load_explicit(ready, memory_order_relaxed) < n; spins++)
        if (spins % 256 == 0)
            sched_yield();
}

/* ============== (a) dissociate vs discard vs drain, same MIDs ============== */

enum { END_THREADS = 4, END_MIDS = 512 };

struct end_race {
    struct midatlas *atlas;
    pthread_barrier_t start, done;
    uint16_t mids[END_MIDS];      /* this round's MIDs, written before `start` */
    atomic_uint ended[END_MIDS];  /* how many calls won each context          */
    atomic_size_t drained;        /* contexts drain's visitor received         */
    atomic_uint ready;            /* spin_align's count, reset every round     */
    atomic_uint progress;         /* MIDs racer 0 has tried this round         */
    int rounds;
    atomic_bool stop;
};

static void end_won(struct end_race *r, void *ctx, const char *how, uint16_t mid)
{
    uint64_t id = ctx_id(ctx);
    if (id >= END_MIDS) {
        bad_outcome(how, mid, MIDATLAS_OK);
        return;
    }
    atomic_fetch_add_explicit(&r->ended[id], 1, memory_order_relaxed);
}

static void end_drain_visit(void *ctx, uint16_t mid, void *arg)
{
    struct end_race *r = arg;
    end_won(r, ctx, "drain visitor", mid);
    atomic_fetch_add_explicit(&r->drained, 1, memory_order_relaxed);
}

struct end_arg {
    struct end_race *race;
    int role;
};

/* One racer's try at one MID: role 0 dissociates, 1 dissociate_ifs with the
 * right context, 2 discards (and releases its tombstone). */
static void race_one(struct end_race *r, int role, uint16_t mid, uint64_t id)
{
    void *ctx = NULL;
    int rc;
    switch (role) {
    case 0: /* dissociate */
        rc = midatlas_dissociate(r->atlas, mid, &ctx);
        if (rc == MIDATLAS_OK)
            end_won(r, ctx, "dissociate", mid);
        else if (rc != MIDATLAS_EFREE && rc != MIDATLAS_EDISCARDED)
            bad_outcome("dissociate lost with", mid, rc);
        break;
    case 1: /* dissociate_if, with the right context */
        rc = midatlas_dissociate_if(r->atlas, mid, tctx(id));
        if (rc == MIDATLAS_OK)
            end_won(r, tctx(id), "dissociate_if", mid);
        else if (rc != MIDATLAS_EFREE && rc != MIDATLAS_EDISCARDED)
            bad_outcome("dissociate_if lost with", mid, rc);
        break;
    default: /* discard, then release the tombstone unless drain did */
        rc = midatlas_discard(r->atlas, mid, &ctx);
        if (rc == MIDATLAS_OK) {
            end_won(r, ctx, "discard", mid);
            rc = midatlas_release(r->atlas, mid);
            if (rc != MIDATLAS_OK && rc != MIDATLAS_EFREE)
                bad_outcome("release after discard", mid, rc);
        } else if (rc != MIDATLAS_EFREE && rc != MIDATLAS_EDISCARDED) {
            bad_outcome("discard lost with", mid, rc);
        }
        break;
    }
}

/* Even rounds: every racer walks the MIDs in the same order, so that they
 * collide on each MID within nanoseconds; the drainer waits until racer 0 is
 * half way, then drains into the thick of it.  Odd rounds: racers start at
 * different points, some walking backwards, and drain runs at the start and
 * at the end.  Each round every racer takes another role. */
static void *end_thread(void *arg_)
{
    struct end_arg *arg = arg_;
    struct end_race *r = arg->race;
    for (int round = 0;; round++) {
        pthread_barrier_wait(&r->start);
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            break;
        bool collide = round % 2 == 0;
        spin_align(&r->ready, END_THREADS);
        if (arg->role == END_THREADS - 1) {
            if (collide) {
                for (unsigned spins = 1; atomic_load_explicit(&r->progress, memory_order_relaxed) <
                                         END_MIDS / 2;
                     spins++)
                    if (spins % 256 == 0)
                        sched_yield();
            }
            midatlas_drain(r->atlas, end_drain_visit, r);
            midatlas_drain(r->atlas, end_drain_visit, r);
        } else {
            int role = (arg->role + round / 2) % 3;
            uint32_t start = collide ? 0 : (uint32_t)(arg->role * 37 + round * 11) % END_MIDS;
            bool backwards = !collide && (arg->role & 1);
            for (uint32_t k = 0; k < END_MIDS; k++) {
                uint32_t i = (start + (backwards ? END_MIDS - k : k)) % END_MIDS;
                race_one(r, role, r->mids[i], i);
                if (arg->role == 0)
                    atomic_store_explicit(&r->progress, k + 1, memory_order_relaxed);
            }
        }
        pthread_barrier_wait(&r->done);
    }
    return NULL;
}

static void end_race(void **state)
{
    (void)state;
    static struct end_race r;
    memset(&r, 0, sizeof r);
    atomic_store(&bad, 0);
    r.rounds = 400 / (int)t_slowdown();
    assert_status(midatlas_create(&r.atlas, 2 * END_MIDS, MIDATLAS_F_SMB1), MIDATLAS_OK);
    pthread_barrier_init(&r.start, NULL, END_THREADS + 1);
    pthread_barrier_init(&r.done, NULL, END_THREADS + 1);
    pthread_t tid[END_THREADS];
    struct end_arg args[END_THREADS];
    for (int t = 0; t < END_THREADS; t++) {
        args[t] = (struct end_arg){.race = &r, .role = t};
        assert_int_equal(pthread_create(&tid[t], NULL, end_thread, &args[t]), 0);
    }
    size_t drained_total = 0;
    for (int round = 0; round < r.rounds; round++) {
        for (int i = 0; i < END_MIDS; i++) {
            atomic_store_explicit(&r.ended[i], 0, memory_order_relaxed);
            assert_status(midatlas_associate(r.atlas, tctx((uint64_t)i), &r.mids[i]), MIDATLAS_OK);
        }
        atomic_store_explicit(&r.drained, 0, memory_order_relaxed);
        atomic_store_explicit(&r.ready, 0, memory_order_relaxed);
        atomic_store_explicit(&r.progress, 0, memory_order_relaxed);
        pthread_barrier_wait(&r.start); /* publishes mids[] and the atlas state */
        pthread_barrier_wait(&r.done);
        for (int i = 0; i < END_MIDS; i++) {
            unsigned n = atomic_load_explicit(&r.ended[i], memory_order_relaxed);
            if (n != 1) {
                print_error("round %d: context %d ended %u times\n", round, i, n);
                fail();
            }
        }
        drained_total += atomic_load_explicit(&r.drained, memory_order_relaxed);
        struct midatlas_stats st;
        midatlas_stats(r.atlas, &st);
        assert_int_equal(st.live, 0);
        assert_int_equal(st.discarded, 0);
        assert_no_bad();
        if (round % 50 == 0)
            t_assert_valid(r.atlas);
    }
    atomic_store_explicit(&r.stop, true, memory_order_relaxed);
    pthread_barrier_wait(&r.start);
    for (int t = 0; t < END_THREADS; t++)
        pthread_join(tid[t], NULL);
    t_assert_valid(r.atlas);
    printf("[ RACES    ] %d rounds of %d MIDs, %zu ended by drain\n", r.rounds, END_MIDS,
           drained_total);
    pthread_barrier_destroy(&r.start);
    pthread_barrier_destroy(&r.done);
    midatlas_destroy(r.atlas, NULL, NULL);
}

/* ============== (b) churn on own MIDs, scanners on wire values ============== */

/* A context is tctx(owner << OWNER_SHIFT | seq): the owner in the top two of
 * tctx's bits, so that on 32-bit targets too (T_CTX_BITS). */
enum { CHURNERS = 3, SCANNERS = 2, OWNER_SHIFT = T_CTX_BITS - 2 };

struct churn {
    struct midatlas *atlas;
    atomic_bool stop;
    /* Per owner: the highest sequence number it may have associated.  Stored
     * before the associate (release), loaded by scanners after their map
     * (acquire): a context seen by map has a sequence <= progress. */
    atomic_uint_fast64_t progress[CHURNERS];
    /* MIDs churners handed out lately, for scanners to aim at (relaxed: any
     * value is a fair wire value, current, freed, reused or stale). */
    atomic_uint_least16_t recent[64];
    atomic_ulong ops, seen;
};

static void *own_ctx(int owner, uint64_t seq)
{
    if (seq >> OWNER_SHIFT) { /* would spill into the owner's bits */
        fprintf(stderr, "own_ctx: sequence %llu needs more than %u bits\n",
                (unsigned long long)seq, (unsigned)OWNER_SHIFT);
        abort();
    }
    return tctx((uint64_t)owner << OWNER_SHIFT | seq);
}

struct churn_arg {
    struct churn *c;
    int owner;
};

static void *churner(void *arg_)
{
    struct churn_arg *arg = arg_;
    struct churn *c = arg->c;
    uint64_t rng = 0x1234 + (uint64_t)arg->owner, seq = 0, ops = 0;
    enum { HOLD = 24 };
    uint16_t mids[HOLD];
    void *ctxs[HOLD];
    int n = 0;
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        uint32_t dice = t_below(&rng, 10);
        if (n < HOLD && (n == 0 || dice < 4)) {
            void *ctx = own_ctx(arg->owner, ++seq);
            /* release: pairs with the scanners' acquire load of progress. */
            atomic_store_explicit(&c->progress[arg->owner], seq, memory_order_release);
            int rc = midatlas_associate(c->atlas, ctx, &mids[n]);
            if (rc == MIDATLAS_OK) {
                atomic_store_explicit(&c->recent[seq % 64], mids[n], memory_order_relaxed);
                ctxs[n++] = ctx;
            } else if (rc != MIDATLAS_EFULL)
                bad_outcome("associate", 0, rc);
        } else {
            int k = (int)t_below(&rng, (uint32_t)n);
            void *got = midatlas_map(c->atlas, mids[k]), *out = NULL;
            if (got != ctxs[k])
                bad_outcome("own MID mapped elsewhere", mids[k], MIDATLAS_OK);
            int rc;
            switch (dice) {
            case 4: /* rebind to a new context of ours */
                got = own_ctx(arg->owner, ++seq);
                atomic_store_explicit(&c->progress[arg->owner], seq,
                                      memory_order_release); /* pairs as above */
                rc = midatlas_reassociate_if(c->atlas, mids[k], ctxs[k], got);
                if (rc != MIDATLAS_OK)
                    bad_outcome("reassociate_if of own MID", mids[k], rc);
                ctxs[k] = got;
                continue;
            case 5:
                rc = midatlas_discard(c->atlas, mids[k], &out);
                if (rc == MIDATLAS_OK && midatlas_map(c->atlas, mids[k]) != NULL)
                    bad_outcome("tombstone still maps", mids[k], rc);
                if (rc == MIDATLAS_OK)
                    rc = midatlas_release(c->atlas, mids[k]);
                break;
            default:
                rc = midatlas_dissociate(c->atlas, mids[k], &out);
                break;
            }
            if (rc != MIDATLAS_OK)
                bad_outcome("end of own MID", mids[k], rc);
            else if (out != ctxs[k])
                bad_outcome("ended own MID with another context", mids[k], rc);
            mids[k] = mids[n - 1];
            ctxs[k] = ctxs[n - 1];
            n--;
        }
        ops++;
    }
    for (int k = 0; k < n; k++)
        if (midatlas_dissociate_if(c->atlas, mids[k], ctxs[k]) != MIDATLAS_OK)
            bad_outcome("final dissociate_if", mids[k], MIDATLAS_EINVAL);
    atomic_fetch_add_explicit(&c->ops, ops, memory_order_relaxed);
    return NULL;
}

/* A context a scanner saw must be one some churner associated. */
static void check_seen(struct churn *c, void *ctx, uint16_t mid)
{
    uint64_t id = ctx_id(ctx);
    uint64_t owner = id >> OWNER_SHIFT, seq = id & (((uint64_t)1 << OWNER_SHIFT) - 1);
    if ((uintptr_t)ctx & 0xF || owner >= CHURNERS || seq == 0) {
        bad_outcome("scanner saw a context nobody associated", mid, MIDATLAS_OK);
        return;
    }
    /* acquire: pairs with the churner's release store before associate. */
    if (seq > atomic_load_explicit(&c->progress[owner], memory_order_acquire))
        bad_outcome("scanner saw a context from the future", mid, MIDATLAS_OK);
}

/* Map and look up wire values: half random, half MIDs churners handed out
 * lately (many of them ended or reused by now). */
static void *scanner(void *arg_)
{
    struct churn *c = arg_;
    uint64_t rng = (uint64_t)(uintptr_t)&rng, seen = 0;
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        uint64_t x = t_rand(&rng);
        uint16_t mid = x & 1 ? (uint16_t)(x >> 16)
                             : (uint16_t)atomic_load_explicit(&c->recent[(x >> 1) % 64],
                                                              memory_order_relaxed);
        void *ctx = midatlas_map(c->atlas, mid);
        if (ctx) {
            check_seen(c, ctx, mid);
            seen++;
        }
        void *out = NULL;
        int rc = midatlas_lookup(c->atlas, mid, &out);
        if (rc == MIDATLAS_OK)
            check_seen(c, out, mid);
        else if (rc != MIDATLAS_ERANGE && rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE &&
                 rc != MIDATLAS_EDISCARDED)
            bad_outcome("lookup of a wire value", mid, rc);
    }
    atomic_fetch_add_explicit(&c->seen, seen, memory_order_relaxed);
    return NULL;
}

static void churn_one(uint32_t cap, unsigned flags, double seconds)
{
    static struct churn c;
    memset(&c, 0, sizeof c);
    assert_status(midatlas_create(&c.atlas, cap, flags), MIDATLAS_OK);
    pthread_t tid[CHURNERS + SCANNERS];
    struct churn_arg args[CHURNERS];
    for (int t = 0; t < CHURNERS; t++) {
        args[t] = (struct churn_arg){.c = &c, .owner = t};
        assert_int_equal(pthread_create(&tid[t], NULL, churner, &args[t]), 0);
    }
    for (int t = 0; t < SCANNERS; t++)
        assert_int_equal(pthread_create(&tid[CHURNERS + t], NULL, scanner, &c), 0);
    struct timespec nap = {0, 20 * 1000 * 1000};
    for (double end = now_s() + seconds; now_s() < end;)
        nanosleep(&nap, NULL);
    atomic_store_explicit(&c.stop, true, memory_order_relaxed);
    for (int t = 0; t < CHURNERS + SCANNERS; t++)
        pthread_join(tid[t], NULL);
    assert_no_bad();
    struct midatlas_stats st;
    midatlas_stats(c.atlas, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.discarded, 0);
    t_assert_valid(c.atlas);
    printf("[ CHURN    ] capacity %u: %lu churn calls, scanners saw %lu live contexts\n", cap,
           (unsigned long)c.ops, (unsigned long)c.seen);
    midatlas_destroy(c.atlas, NULL, NULL);
}

static void churn_and_scan(void **state)
{
    (void)state;
    atomic_store(&bad, 0);
    double s = t_slowdown() > 1 ? 0.5 : 1.0;
    churn_one(64, MIDATLAS_F_SMB1, s);  /* often full: EFULL and reuse */
    churn_one(4096, 0, s);
    churn_one(3, 0, s / 2);               /* generations turn over fast */
}

/* ============== (c) reassociate_if: exactly one winner ==================== */

enum { RACERS = 4, SWAP_MIDS = 64 };

/* Each round, every racer tries to swap each of SWAP_MIDS MIDs away from its
 * expected context (all racers in the same order, lined up): exactly one per
 * MID may win.  In odd rounds odd racers dissociate_if instead, and still only
 * one call per MID wins. */
struct swap_race {
    struct midatlas *atlas;
    pthread_barrier_t start, done;
    uint16_t mids[SWAP_MIDS];
    int with_dissociate;
    atomic_uint ready;
    atomic_int winners[SWAP_MIDS];
    atomic_int winner[SWAP_MIDS];
    atomic_bool stop;
};

struct swap_arg {
    struct swap_race *r;
    int me;
};

/* The context MID i starts each round with, and the one racer `me` wants. */
static void *swap_expected(int i)
{
    return tctx(1000 + (uint64_t)i);
}

static void *swap_desired(int me, int i)
{
    return tctx((uint64_t)(me + 1) << 16 | (uint64_t)i);
}

static void *swap_racer(void *arg_)
{
    struct swap_arg *a = arg_;
    struct swap_race *r = a->r;
    for (;;) {
        pthread_barrier_wait(&r->start);
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            break;
        spin_align(&r->ready, RACERS);
        for (int i = 0; i < SWAP_MIDS; i++) {
            int rc;
            if (r->with_dissociate && (a->me & 1))
                rc = midatlas_dissociate_if(r->atlas, r->mids[i], swap_expected(i));
            else
                rc = midatlas_reassociate_if(r->atlas, r->mids[i], swap_expected(i),
                                             swap_desired(a->me, i));
            if (rc == MIDATLAS_OK) {
                atomic_fetch_add_explicit(&r->winners[i], 1, memory_order_relaxed);
                atomic_store_explicit(&r->winner[i], a->me, memory_order_relaxed);
            } else if (rc != MIDATLAS_EMISMATCH && rc != MIDATLAS_EFREE) {
                bad_outcome("reassociate_if race lost with", r->mids[i], rc);
            }
        }
        pthread_barrier_wait(&r->done);
    }
    return NULL;
}

static void reassociate_race(void **state)
{
    (void)state;
    static struct swap_race r;
    memset(&r, 0, sizeof r);
    atomic_store(&bad, 0);
    assert_status(midatlas_create(&r.atlas, 2 * SWAP_MIDS, 0), MIDATLAS_OK);
    pthread_barrier_init(&r.start, NULL, RACERS + 1);
    pthread_barrier_init(&r.done, NULL, RACERS + 1);
    pthread_t tid[RACERS];
    struct swap_arg args[RACERS];
    for (int t = 0; t < RACERS; t++) {
        args[t] = (struct swap_arg){.r = &r, .me = t};
        assert_int_equal(pthread_create(&tid[t], NULL, swap_racer, &args[t]), 0);
    }
    /* At least 200 rounds, and as many more as fit in a second: on a busy
     * machine racers seldom run at the same instant, and a lost race needs
     * them to. */
    int rounds = 0;
    double end = now_s() + (t_slowdown() > 1 ? 0.3 : 1.0);
    for (int round = 0; round < 200 || now_s() < end; round++, rounds++) {
        r.with_dissociate = round & 1;
        for (int i = 0; i < SWAP_MIDS; i++) {
            assert_status(midatlas_associate(r.atlas, swap_expected(i), &r.mids[i]), MIDATLAS_OK);
            atomic_store_explicit(&r.winners[i], 0, memory_order_relaxed);
        }
        atomic_store_explicit(&r.ready, 0, memory_order_relaxed);
        pthread_barrier_wait(&r.start);
        pthread_barrier_wait(&r.done);
        for (int i = 0; i < SWAP_MIDS; i++) {
            int n = atomic_load_explicit(&r.winners[i], memory_order_relaxed);
            if (n != 1) {
                print_error("round %d MID %d: %d winners\n", round, i, n);
                fail();
            }
            int w = atomic_load_explicit(&r.winner[i], memory_order_relaxed);
            if (r.with_dissociate && (w & 1)) {
                assert_null(midatlas_map(r.atlas, r.mids[i]));
            } else {
                assert_ptr_equal(midatlas_map(r.atlas, r.mids[i]), swap_desired(w, i));
                assert_status(midatlas_dissociate_if(r.atlas, r.mids[i], swap_desired(w, i)),
                              MIDATLAS_OK);
            }
        }
        assert_no_bad();
    }
    atomic_store_explicit(&r.stop, true, memory_order_relaxed);
    pthread_barrier_wait(&r.start);
    for (int t = 0; t < RACERS; t++)
        pthread_join(tid[t], NULL);
    t_assert_valid(r.atlas);
    printf("[ SWAPS    ] %d rounds of %d MIDs, %d racers\n", rounds, SWAP_MIDS, RACERS);
    pthread_barrier_destroy(&r.start);
    pthread_barrier_destroy(&r.done);
    midatlas_destroy(r.atlas, NULL, NULL);
}

/* ============== (d) drain while others associate and dissociate =========== */

enum { OWNERS = 3, PER_OWNER = 1 << 20 };

struct drain_race {
    struct midatlas *atlas;
    atomic_bool stop;
    atomic_uchar *ended; /* OWNERS * PER_OWNER counters */
    atomic_ulong used[OWNERS];
};

static void drain_race_end(struct drain_race *d, void *ctx, uint16_t mid)
{
    uint64_t id = ctx_id(ctx);
    if (id >= (uint64_t)OWNERS * PER_OWNER) {
        bad_outcome("ended a context nobody associated", mid, MIDATLAS_OK);
        return;
    }
    atomic_fetch_add_explicit(&d->ended[id], 1, memory_order_relaxed);
}

static void drain_race_visit(void *ctx, uint16_t mid, void *arg)
{
    drain_race_end(arg, ctx, mid);
}

struct drain_arg {
    struct drain_race *d;
    int owner;
};

static void *drain_owner(void *arg_)
{
    struct drain_arg *a = arg_;
    struct drain_race *d = a->d;
    uint64_t next = 0;
    uint16_t mids[8];
    while (!atomic_load_explicit(&d->stop, memory_order_relaxed) && next + 8 < PER_OWNER) {
        int n = 0;
        for (int k = 0; k < 8; k++) {
            void *ctx = tctx((uint64_t)a->owner * PER_OWNER + next);
            int rc = midatlas_associate(d->atlas, ctx, &mids[n]);
            if (rc == MIDATLAS_OK) {
                n++;
                next++;
            } else if (rc != MIDATLAS_EFULL) {
                bad_outcome("associate during drain", 0, rc);
            }
        }
        for (int k = 0; k < n; k++) {
            void *out = NULL;
            int rc = k & 1 ? midatlas_dissociate(d->atlas, mids[k], &out)
                           : midatlas_discard(d->atlas, mids[k], &out);
            if (rc == MIDATLAS_OK) {
                /* out is ours unless drain took ours and the slot went round
                 * all its generations since (a preempted owner): then it is
                 * another's, ended here instead, still exactly once. */
                drain_race_end(d, out, mids[k]);
                if (!(k & 1)) {
                    rc = midatlas_release(d->atlas, mids[k]);
                    /* drain may have released it; then it may be reused. */
                    if (rc != MIDATLAS_OK && rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE &&
                        rc != MIDATLAS_EBUSY)
                        bad_outcome("release during drain", mids[k], rc);
                }
            } else if (rc != MIDATLAS_EFREE && rc != MIDATLAS_ESTALE) {
                /* Drain won it (and the slot may be reused since). */
                bad_outcome("end during drain", mids[k], rc);
            }
        }
    }
    atomic_store_explicit(&d->used[a->owner], next, memory_order_relaxed);
    return NULL;
}

static void drain_vs_associate(void **state)
{
    (void)state;
    static struct drain_race d;
    memset(&d, 0, sizeof d);
    atomic_store(&bad, 0);
    d.ended = calloc((size_t)OWNERS * PER_OWNER, sizeof *d.ended);
    assert_non_null(d.ended);
    assert_status(midatlas_create(&d.atlas, 32, 0), MIDATLAS_OK);
    pthread_t tid[OWNERS];
    struct drain_arg args[OWNERS];
    for (int t = 0; t < OWNERS; t++) {
        args[t] = (struct drain_arg){.d = &d, .owner = t};
        assert_int_equal(pthread_create(&tid[t], NULL, drain_owner, &args[t]), 0);
    }
    size_t drained = 0;
    for (double end = now_s() + (t_slowdown() > 1 ? 0.5 : 1.5); now_s() < end;)
        drained += midatlas_drain(d.atlas, drain_race_visit, &d);
    atomic_store_explicit(&d.stop, true, memory_order_relaxed);
    for (int t = 0; t < OWNERS; t++)
        pthread_join(tid[t], NULL);
    drained += midatlas_drain(d.atlas, drain_race_visit, &d);
    assert_no_bad();
    uint64_t total = 0;
    for (int t = 0; t < OWNERS; t++) {
        uint64_t used = atomic_load_explicit(&d.used[t], memory_order_relaxed);
        total += used;
        for (uint64_t i = 0; i < used; i++) {
            unsigned n = atomic_load_explicit(&d.ended[(uint64_t)t * PER_OWNER + i],
                                              memory_order_relaxed);
            if (n != 1) {
                print_error("owner %d context %llu ended %u times\n", t, (unsigned long long)i, n);
                fail();
            }
        }
    }
    struct midatlas_stats st;
    midatlas_stats(d.atlas, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.discarded, 0);
    t_assert_valid(d.atlas);
    printf("[ DRAIN    ] %llu contexts, %zu ended by drain\n", (unsigned long long)total, drained);
    midatlas_destroy(d.atlas, NULL, NULL);
    free(d.ended);
}

/* A racing call that never returns (a livelock in a corrupted atlas, a
 * lost wakeup) would hang the test until ctest's timeout; fail it here with a
 * message instead.  write() and _exit() are async-signal-safe. */
static void watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "test_threads: still running after the watchdog's limit: "
                              "a racing call is stuck (livelock?)\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void)n;
    _exit(3);
}

int main(void)
{
    signal(SIGALRM, watchdog);
    alarm(60 * t_slowdown() < 280 ? 60 * t_slowdown() : 280);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(end_race),
        cmocka_unit_test(churn_and_scan),
        cmocka_unit_test(reassociate_race),
        cmocka_unit_test(drain_vs_associate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
