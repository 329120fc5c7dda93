/* SPDX-License-Identifier: MIT */
/*
 * test_rseq.c - the rseq claim path (src/rseq.h, src/own.c), opted in with
 * MIDATLAS_RSEQ=1, on threads pinned to CPUs so that ownership moves when
 * the test says so:
 *
 *  (a) owns_its_chunk: a claim on CPU 0 makes the chunk CPU 0's, and
 *      leaving the chunk (the sweep moves on) gives it up; the statistics
 *      count the chunks the path serves and the one owned.
 *  (b) efull_revokes: chunks CPU 0 owns, with FREE slots in them, and a
 *      thread that then runs on CPU 1 only: it gets every MID of the atlas
 *      before EFULL (the exact path revokes CPU 0's chunks; nothing is
 *      left PENDING or REVOKING), and FULL mode then serves frees made on
 *      CPU 0 to takes on CPU 1.
 *  (c) small_atlas_is_solo: fewer than 4 chunks per stripe: no owner
 *      bytes, a solo word instead (src/solo.h), UNOWNED until a claim.
 *      flag_stays_cas: MIDATLAS_F_NO_RSEQ: no owners at any capacity, and
 *      the atlas works (a lap of takes and frees, then EFULL exactly at
 *      capacity).
 *  (d) on_by_default, off_with_zero: without MIDATLAS_RSEQ in the
 *      environment an atlas of 4 chunks per stripe has owner bytes wherever
 *      the path can run (it did not before 2026-12-03, when the path was
 *      opt-in); with MIDATLAS_RSEQ=0 it has none.  Each in a child forked
 *      before this process reads the switch (it is read once per process,
 *      and a child inherits what its parent read).
 *  (e) owner_layout: every chunk has its own owner byte inside the
 *      allocation, neighbouring chunks' bytes lie on different lines, and
 *      the atlas stays within 8 bytes per slot + 4 KiB.
 *  (f) pending_is_stolen: an acquirer stopped for good while its chunk is
 *      PENDING (preempted, or its CS aborted after the first CAS) does not
 *      stop an associate that needs that chunk's only FREE slot: the
 *      associate steals the PENDING and returns.  Before 2026-12-02 it
 *      waited for the acquirer (sched_yield in a loop) and never returned.
 *  (g) revoking_is_claimed_under: the same for a revoker stopped between
 *      its CAS to REVOKING and its final store: the associate claims the
 *      slot after a membarrier of its own.  It waited too.
 *
 *  (h) the solo path (src/solo.h): the first claim makes a small atlas its
 *      CPU's (solo_owned_by_its_cpu); its thread, migrated, takes the
 *      ownership along and back (solo_moves_with_its_thread); a claim from
 *      a second thread on another CPU shares it for good
 *      (solo_second_cpu_shares), also when that claim must prove EFULL
 *      (solo_efull_from_second_cpu); a thread that follows one which
 *      made SOLO_HANDOVER_CLAIMS claims under its ownership moves it
 *      instead, and the thread before it, back within a few claims,
 *      shares it (solo_next_thread_moves_it); a mover stopped at REVOKING
 *      stops nobody (solo_revoking_is_helped); MIDATLAS_F_NO_RSEQ keeps
 *      it SHARED (solo_off_with_flag).
 *
 * Skipped (77) where the path cannot run: a sanitizer build, no rseq in
 * glibc or the kernel, or one CPU.
 */
#define _GNU_SOURCE /* sched_setaffinity, setenv */
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atlas.h"
#include "own.h"
#include "rseq.h"

#define CAP 4096u

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    assert_int_equal(sched_setaffinity(0, sizeof set, &set), 0);
    /* The kernel moves us at the next schedule: make it now. */
    while (sched_getcpu() != cpu)
        sched_yield();
}

static int cpu_a = -1, cpu_b = -1; /* two CPUs this process may run on */

static uint32_t owned_by(struct midatlas *a, int cpu)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < a->nchunks; k++)
        n += atomic_load(owner_of(a, k)) == (uint8_t)(cpu + 1);
    return n;
}

static void owns_its_chunk(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, CAP, 0), MIDATLAS_OK);
    assert_non_null(a->owners);
    uint16_t mid;
    assert_int_equal(midatlas_associate(a, tctx(1), &mid), MIDATLAS_OK);
    uint32_t k = (mid & a->idx_mask) >> a->chunk_shift;
    assert_int_equal(atomic_load(owner_of(a, k)), cpu_a + 1);
    /* The statistics say so too (midatlas_stats_ex: fields after 0.1). */
    struct midatlas_stats st;
    assert_int_equal(midatlas_stats_ex(a, &st, sizeof st), sizeof st);
    assert_int_equal(st.rseq_chunks, a->nchunks);
    assert_int_equal(st.owned_chunks, 1);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    /* One chunk's worth of cycles more: the sweep leaves chunk k. */
    for (uint32_t i = 0; i < (1u << a->chunk_shift) + 1; i++) {
        assert_int_equal(midatlas_associate(a, tctx(2), &mid), MIDATLAS_OK);
        assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    }
    assert_int_equal(atomic_load(owner_of(a, k)), OWNER_NONE);
    assert_int_equal(owned_by(a, cpu_a), 1);
    midatlas_stats_ex(a, &st, sizeof st);
    assert_int_equal(st.owned_chunks, 1);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* Associate until EFULL (it must be EFULL); the MIDs in mids[], their count. */
static uint32_t fill(struct midatlas *a, uint16_t *mids)
{
    uint32_t n = 0;
    int rc;
    while ((rc = midatlas_associate(a, tctx(n + 1), &mids[n])) == MIDATLAS_OK)
        assert_true(++n <= CAP);
    assert_int_equal(rc, MIDATLAS_EFULL);
    return n;
}

static void efull_revokes(void **state)
{
    (void)state;
    static uint16_t mids[CAP];
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, CAP, 0), MIDATLAS_OK);
    /* A few handouts on CPU a: its chunk is owned, its other slots FREE. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(midatlas_associate(a, tctx(1), &mids[0]), MIDATLAS_OK);
        assert_int_equal(midatlas_dissociate(a, mids[0], NULL), MIDATLAS_OK);
    }
    assert_true(owned_by(a, cpu_a) >= 1);

    pin(cpu_b);
    assert_int_equal(fill(a, mids), CAP); /* CPU a's chunk was revoked, not skipped */
    assert_int_equal(owned_by(a, cpu_a), 0);
    t_assert_valid(a);

    /* FULL mode: frees on CPU a, takes on CPU b, every one served. */
    for (uint32_t i = 0; i < 64; i++) {
        pin(cpu_a);
        assert_int_equal(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
        pin(cpu_b);
        assert_int_equal(midatlas_associate(a, tctx(i + 1), &mids[i]), MIDATLAS_OK);
        assert_int_equal(midatlas_associate(a, tctx(1), &mids[CAP - 1]), MIDATLAS_EFULL);
    }
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

struct take {
    struct midatlas *a;
    uint16_t mid;
    int rc;
};

static void *take_one(void *arg)
{
    struct take *t = arg;
    t->rc = midatlas_associate(t->a, tctx(7), &t->mid);
    return NULL;
}

static void small_atlas_is_solo(void **state)
{
    (void)state;
    struct midatlas *a;
    assert_int_equal(midatlas_create(&a, 64, 0), MIDATLAS_OK);
    assert_null(a->owners);
    assert_int_equal(solo_state(atomic_load(&a->solo)), SOLO_UNOWNED);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- the solo path (src/solo.h): a small atlas owned whole ------------- */

#define SOLO_CAP 64u

static uint8_t solo_now(struct midatlas *a)
{
    return solo_state(atomic_load(&a->solo));
}

static uint64_t solo_epoch(struct midatlas *a)
{
    return atomic_load(&a->solo) >> 8;
}

/* n cycles on the calling thread, each MID checked against its context. */
static void cycles(struct midatlas *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint16_t mid;
        void *ctx = NULL;
        assert_int_equal(midatlas_associate(a, tctx(i + 1), &mid), MIDATLAS_OK);
        assert_ptr_equal(midatlas_map(a, mid), tctx(i + 1));
        assert_int_equal(midatlas_dissociate(a, mid, &ctx), MIDATLAS_OK);
        assert_ptr_equal(ctx, tctx(i + 1));
    }
}

/* The first claim makes the atlas its CPU's; the statistics say so. */
static void solo_owned_by_its_cpu(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, 0), MIDATLAS_OK);
    struct midatlas_stats st;
    midatlas_stats_ex(a, &st, sizeof st);
    assert_int_equal(st.rseq_chunks, a->nchunks);
    assert_int_equal(st.owned_chunks, 0);
    cycles(a, 3 * SOLO_CAP);
    assert_int_equal(solo_now(a), cpu_a + 1);
    midatlas_stats_ex(a, &st, sizeof st);
    assert_int_equal(st.owned_chunks, a->nchunks);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* The thread that owns it migrates: the ownership goes along (one move,
 * one epoch), and comes back when the thread does. */
static void solo_moves_with_its_thread(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, 0), MIDATLAS_OK);
    cycles(a, 10);
    assert_int_equal(solo_now(a), cpu_a + 1);
    uint64_t epoch = solo_epoch(a);
    pin(cpu_b);
    cycles(a, 3 * SOLO_CAP);
    assert_int_equal(solo_now(a), cpu_b + 1);
    assert_int_equal(solo_epoch(a), epoch + 1);
    pin(cpu_a);
    cycles(a, 10);
    assert_int_equal(solo_now(a), cpu_a + 1);
    assert_int_equal(solo_epoch(a), epoch + 2);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

struct solo_claimer {
    struct midatlas *a;
    int cpu;
    uint32_t cycles;
};

static void *solo_claim_on(void *arg)
{
    struct solo_claimer *c = arg;
    pin(c->cpu);
    cycles(c->a, c->cycles);
    return NULL;
}

/* A second thread claims on another CPU: the atlas is shared for good, and
 * both threads go on claiming (by CAS) with every MID right. */
static void solo_second_cpu_shares(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, 0), MIDATLAS_OK);
    uint16_t held;
    assert_int_equal(midatlas_associate(a, tctx(99), &held), MIDATLAS_OK);
    assert_int_equal(solo_now(a), cpu_a + 1);
    struct solo_claimer c = {a, cpu_b, 3 * SOLO_CAP};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, solo_claim_on, &c), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(solo_now(a), SOLO_SHARED);
    cycles(a, 3 * SOLO_CAP);
    assert_int_equal(solo_now(a), SOLO_SHARED);
    struct midatlas_stats st;
    midatlas_stats_ex(a, &st, sizeof st);
    assert_int_equal(st.rseq_chunks, 0);
    assert_ptr_equal(midatlas_map(a, held), tctx(99));
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* A thread that follows one which claimed long enough under its ownership
 * (a pool's next worker, a connection handed to another thread) takes the
 * ownership over instead of sharing the atlas for good: one move, and its
 * claims go on by the rseq store.  The thread before it, back on its CPU
 * after only a few claims of the new owner, shares it: two threads that
 * keep claiming from two CPUs end SHARED, after two membarriers.  Before
 * 2026-12-04 the second thread shared the atlas at once, whatever the
 * first had done (midatlas-cycle, which starts fresh threads for every
 * run, then measured the CAS path at capacity 64). */
static void solo_next_thread_moves_it(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, 0), MIDATLAS_OK);
    cycles(a, 2 * SOLO_HANDOVER_CLAIMS);
    assert_int_equal(solo_now(a), cpu_a + 1);
    uint64_t epoch = solo_epoch(a);
    struct solo_claimer c = {a, cpu_b, 10};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, solo_claim_on, &c), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(solo_now(a), cpu_b + 1);
    assert_int_equal(solo_epoch(a), epoch + 1);
    struct midatlas_stats st;
    midatlas_stats_ex(a, &st, sizeof st);
    assert_int_equal(st.rseq_chunks, a->nchunks);
    cycles(a, 10); /* cpu a again, 10 claims after the move: share */
    assert_int_equal(solo_now(a), SOLO_SHARED);
    assert_int_equal(solo_epoch(a), epoch + 2);
    cycles(a, 3 * SOLO_CAP);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* A new atlas of SOLO_CAP with n MIDs (in mids[]) handed out on CPU a. */
static struct midatlas *solo_filled(uint32_t n, uint16_t *mids)
{
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, 0), MIDATLAS_OK);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(midatlas_associate(a, tctx(i + 1), &mids[i]), MIDATLAS_OK);
    return a;
}

/* An atlas filled while CPU a owns it: a thread on CPU b gets EFULL exactly
 * at capacity (its claim shares the atlas first), and FULL mode serves
 * CPU a's frees to CPU b's takes. */
static void solo_efull_from_second_cpu(void **state)
{
    (void)state;
    static uint16_t mids[SOLO_CAP];
    struct midatlas *a = solo_filled(SOLO_CAP - 1, mids);
    assert_int_equal(solo_now(a), cpu_a + 1);
    struct take t = {a, 0, -1};
    pthread_t th;
    pin(cpu_b); /* the new thread inherits CPU b */
    assert_int_equal(pthread_create(&th, NULL, take_one, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.rc, MIDATLAS_OK);
    mids[SOLO_CAP - 1] = t.mid;
    assert_int_equal(solo_now(a), SOLO_SHARED);
    uint16_t mid;
    assert_int_equal(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
    for (uint32_t i = 0; i < 16; i++) {
        pin(cpu_a);
        assert_int_equal(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
        pin(cpu_b);
        assert_int_equal(midatlas_associate(a, tctx(i + 1), &mids[i]), MIDATLAS_OK);
        assert_int_equal(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
    }
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* A thread stopped for good between its CAS to REVOKING and its last step
 * (a mover or a sharer, preempted): an associate must still return, with
 * the one FREE slot, after a membarrier of its own (it helps: SHARED). */
static void solo_revoking_is_helped(void **state)
{
    (void)state;
    static uint16_t mids[SOLO_CAP];
    struct midatlas *a = solo_filled(SOLO_CAP, mids);
    uint32_t idx = mids[SOLO_CAP / 2] & a->idx_mask;
    assert_int_equal(midatlas_dissociate(a, mids[SOLO_CAP / 2], NULL), MIDATLAS_OK);
    uint64_t w = atomic_load(&a->solo);
    atomic_store(&a->solo, ((w >> 8) + 1) << 8 | SOLO_REVOKING);

    struct take t = {a, 0, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_one, &t), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60; /* as in stopped_owner_is_no_obstacle */
    if (pthread_timedjoin_np(th, NULL, &until) != 0)
        fail_msg("associate waits for a thread that stopped with the atlas REVOKING");
    assert_int_equal(t.rc, MIDATLAS_OK);
    assert_int_equal(t.mid & a->idx_mask, idx);
    assert_int_equal(solo_now(a), SOLO_SHARED);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* MIDATLAS_F_NO_RSEQ: the solo word is SHARED from the start and stays. */
static void solo_off_with_flag(void **state)
{
    (void)state;
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, SOLO_CAP, MIDATLAS_F_NO_RSEQ), MIDATLAS_OK);
    assert_int_equal(solo_now(a), SOLO_SHARED);
    cycles(a, 3 * SOLO_CAP);
    assert_int_equal(solo_now(a), SOLO_SHARED);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

static void flag_stays_cas(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1024, CAP, 65536};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct midatlas *a;
        assert_int_equal(midatlas_create(&a, caps[c], MIDATLAS_F_NO_RSEQ | MIDATLAS_F_9P),
                         MIDATLAS_OK);
        assert_null(a->owners);
        assert_null(a->announce);
        struct midatlas_stats st;
        midatlas_stats_ex(a, &st, sizeof st);
        assert_int_equal(st.rseq_chunks, 0);
        uint16_t mid;
        for (uint32_t i = 0; i < 3 * caps[c]; i++) {
            assert_int_equal(midatlas_associate(a, &i, &mid), MIDATLAS_OK);
            assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
        }
        uint32_t usable = a->usable;
        for (uint32_t i = 0; i < usable; i++)
            assert_int_equal(midatlas_associate(a, &i, &mid), MIDATLAS_OK);
        assert_int_equal(midatlas_associate(a, &mid, &mid), MIDATLAS_EFULL);
        const char *why = NULL;
        assert_int_equal(midatlas_validate(a, &why), MIDATLAS_OK);
        midatlas_destroy(a, NULL, NULL);
        /* The same capacity without the flag has owner bytes (the test
         * runs with the path on). */
        assert_int_equal(midatlas_create(&a, caps[c], MIDATLAS_F_9P), MIDATLAS_OK);
        assert_non_null(a->owners);
        midatlas_destroy(a, NULL, NULL);
    }
}

/* One FREE slot in an atlas of CAP, in a chunk whose owner byte a thread
 * stopped for good left at `stopped` (PENDING: an acquirer between its CAS
 * and its commit; REVOKING: a revoker between its CAS and its final
 * store).  An associate must still return, with that slot. */
static void stopped_owner_is_no_obstacle(uint8_t stopped)
{
    static uint16_t mids[CAP];
    struct midatlas *a;
    pin(cpu_b);
    assert_int_equal(midatlas_create(&a, CAP, 0), MIDATLAS_OK);
    assert_int_equal(fill(a, mids), CAP);
    uint32_t idx = mids[CAP / 2] & a->idx_mask;
    atomic_u8 *own = owner_of(a, idx >> a->chunk_shift);
    assert_int_equal(midatlas_dissociate(a, mids[CAP / 2], NULL), MIDATLAS_OK);
    atomic_store(own, stopped);

    /* In a thread, so that a wait for the stopped thread (which never
     * comes back) fails the test instead of hanging it: the call takes
     * microseconds; the minute only tells "returned" from "never". */
    struct take t = {a, 0, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_one, &t), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    if (pthread_timedjoin_np(th, NULL, &until) != 0)
        fail_msg("associate waits for a thread that stopped with its chunk %s",
                 stopped == OWNER_PENDING ? "PENDING" : "REVOKING");
    assert_int_equal(t.rc, MIDATLAS_OK);
    assert_int_equal(t.mid & a->idx_mask, idx);
    if (stopped == OWNER_PENDING)
        assert_int_not_equal(atomic_load(own), OWNER_PENDING); /* stolen */
    else
        atomic_store(own, (uint8_t)OWNER_NONE); /* the revoker's last step */
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

static void pending_is_stolen(void **state)
{
    (void)state;
    stopped_owner_is_no_obstacle(OWNER_PENDING);
}

static void revoking_is_claimed_under(void **state)
{
    (void)state;
    stopped_owner_is_no_obstacle(OWNER_REVOKING);
}

/* A chunk at the cursor that a revoker holds (REVOKING) or an acquirer is
 * taking (PENDING) is no other CPU's chunk: the stripe must not be marked
 * shared (sweep.c, take_slow), which would end this CPU's acquisitions in
 * it for the atlas's life (3.2x slower churn).  Found in review: a prover's
 * or FULL mode's revoke racing a sweep marked one stripe of two, 4 rounds
 * of 60.  The stripe of one thread on one CPU sweeps its chunk, then meets
 * it REVOKING. */
static void transient_owner_does_not_share(uint8_t transient)
{
    struct midatlas *a;
    pin(cpu_a);
    assert_int_equal(midatlas_create(&a, CAP, 0), MIDATLAS_OK);
    uint16_t mid;
    assert_int_equal(midatlas_associate(a, tctx(1), &mid), MIDATLAS_OK);
    uint32_t k = (mid & a->idx_mask) >> a->chunk_shift;
    assert_int_equal(atomic_load(owner_of(a, k)), cpu_a + 1);
    atomic_store(owner_of(a, k), transient);
    assert_int_equal(midatlas_associate(a, tctx(2), &mid), MIDATLAS_OK);
    for (uint32_t s = 0; s <= a->stripe_mask; s++)
        if (atomic_load(&a->stripes[s].shared) != 0)
            fail_msg("a chunk %s at the cursor marked stripe %u shared",
                     transient == OWNER_PENDING ? "PENDING" : "REVOKING", s);
    atomic_store(owner_of(a, k), (uint8_t)OWNER_NONE); /* the revoker's last step */
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

static void revoking_does_not_share(void **state)
{
    (void)state;
    transient_owner_does_not_share(OWNER_REVOKING);
}

/* Where the owner bytes and announce lines are (atlas.h, own.h): distinct,
 * inside the allocation, neighbours a line apart; and the memory bound. */
static void owner_layout(void **state)
{
    (void)state;
    static const uint32_t caps[] = {512, 1000, 4096, 32768, 65536};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct midatlas *a;
        assert_int_equal(midatlas_create(&a, caps[c], 0), MIDATLAS_OK);
        assert_non_null(a->owners);
        assert_non_null(a->announce);
        const char *lo = (const char *)a, *hi = lo + a->bytes;
        static unsigned char seen[OWN_BYTES];
        memset(seen, 0, sizeof seen);
        for (uint32_t k = 0; k < a->nchunks; k++) {
            const char *b = (const char *)owner_of(a, k);
            assert_true(b >= (const char *)a->owners && b < hi);
            size_t off = (size_t)(b - (const char *)a->owners);
            assert_true(off < OWN_BYTES);
            assert_int_equal(seen[off]++, 0);
            if (k > 0) /* a neighbour's byte is on another line */
                assert_int_not_equal(off / 64, (size_t)((const char *)owner_of(a, k - 1) -
                                                        (const char *)a->owners) / 64);
        }
        /* The announce lines are apart from the stripes and the slots. */
        assert_true((const char *)a->announce >= (const char *)(a->stripes + a->stripe_mask + 1));
        assert_true((const char *)a->stripes >= (const char *)slot_word(a, a->capacity));
        assert_true((const char *)(a->announce + a->stripe_mask + 1) <=
                    (const char *)a->owners);
        assert_true(lo + a->bytes >= (const char *)a->owners + OWN_BYTES);
        /* 3.9 KiB at most, and the visit stamps (midatlas.h, "Memory"). */
        size_t stamps = caps[c] <= 16384 ? 1024 : caps[c] / 16;
        assert_true(a->bytes <= (size_t)caps[c] * 8 + 4096 + stamps);
        midatlas_destroy(a, NULL, NULL);
    }
}

/* A child forked before this process reads the switch: with MIDATLAS_RSEQ
 * set to env (NULL: unset), it creates an atlas of CAP slots and exits 0
 * if it has owner bytes, 1 if not, 2 if the create failed; -1 when the
 * child could not be run (main calls this outside any cmocka test, where
 * an assert has no test to fail). */
static int child_owns(const char *env)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (env)
            setenv("MIDATLAS_RSEQ", env, 1);
        else
            unsetenv("MIDATLAS_RSEQ");
        struct midatlas *a;
        if (midatlas_create(&a, CAP, 0) != MIDATLAS_OK)
            _exit(2);
        _exit(a->owners != NULL ? 0 : 1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* What the children of main said, checked once this process knows whether
 * the path can run here. */
static int owned_by_default = -1, owned_with_zero = -1;

static void on_by_default(void **state)
{
    (void)state;
    assert_int_equal(owned_by_default, 0);
}

static void off_with_zero(void **state)
{
    (void)state;
    assert_int_equal(owned_with_zero, 1);
}

/* Two CPUs this process may run on, or false. */
static bool two_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return false;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (cpu_a < 0)
            cpu_a = c;
        else if (cpu_b < 0)
            cpu_b = c;
    }
    return cpu_b >= 0;
}

int main(void)
{
    /* The switch is read once per process, at the first atlas: the
     * children ask before this process reads it. */
    owned_by_default = child_owns(NULL);
    owned_with_zero = child_owns("0");
    const struct CMUnitTest off[] = {cmocka_unit_test(off_with_zero)};
    int failed = cmocka_run_group_tests_name("rseq-off", off, NULL, NULL);

    setenv("MIDATLAS_RSEQ", "1", 1);
    if (!MIDATLAS_HAVE_RSEQ || !midatlas__rseq_on() || !two_cpus()) {
        printf("test_rseq: skipped (%s)\n", !MIDATLAS_HAVE_RSEQ    ? "built without rseq"
                                            : !midatlas__rseq_on() ? "rseq or membarrier "
                                                                     "unavailable"
                                                                   : "one CPU");
        return failed ? failed : 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(on_by_default),
        cmocka_unit_test(owns_its_chunk),
        cmocka_unit_test(efull_revokes),
        cmocka_unit_test(small_atlas_is_solo),
        cmocka_unit_test(flag_stays_cas),
        cmocka_unit_test(owner_layout),
        cmocka_unit_test(pending_is_stolen),
        cmocka_unit_test(revoking_is_claimed_under),
        cmocka_unit_test(revoking_does_not_share),
        cmocka_unit_test(solo_owned_by_its_cpu),
        cmocka_unit_test(solo_moves_with_its_thread),
        cmocka_unit_test(solo_second_cpu_shares),
        cmocka_unit_test(solo_efull_from_second_cpu),
        cmocka_unit_test(solo_next_thread_moves_it),
        cmocka_unit_test(solo_revoking_is_helped),
        cmocka_unit_test(solo_off_with_flag),
    };
    return failed + cmocka_run_group_tests_name("rseq", tests, NULL, NULL);
}
