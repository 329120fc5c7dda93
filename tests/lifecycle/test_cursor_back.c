/* SPDX-License-Identifier: MIT */
/*
 * test_cursor_back.c - a claimer stopped between its claim and moving its
 * stripe's cursor on does not move the cursor back: no slot comes twice in
 * one visit of its chunk.
 *
 * Seen on 2026-12-04: reuse.distance under TSan found a MID value back
 * after 1722 handouts at capacity 32768 with 4 threads (bound 4096).
 * Instrumented, the same run showed slots handed out three times within
 * one visit of their chunk: a thread that claimed slot i through cursor c
 * was descheduled before its plain store of "c, one slot on"; the other
 * threads of the stripe claimed and freed the slots after i meanwhile; the
 * late store put the cursor back on them, and they were handed out again
 * at once.  TSan's long atomics made the window wide; in a release build it
 * happens at about one handout in 10^7 (4 threads on 2 CPUs).
 *
 * Here the stop is made, not waited for: one stripe (MIDATLAS_STRIPES=1),
 * a thread parked at MIDATLAS_HOOK_CLAIMED (src/hooks.h) while the test
 * hands out and frees 8 slots, then let go, then 8 more: with window 1 in
 * an atlas of 64, no slot may come twice among those 17 handouts (the
 * sweep meets each slot once a lap).  Three claim paths: the CAS path from
 * the common take, the CAS path from the full sweep, and the rseq claim of
 * a small atlas owned by one CPU (both threads on CPU 0; skipped where the
 * rseq path is off, e.g. under the sanitizers).  And each with a foreign
 * ender: the test ends the parked claimer's MID at once (found with
 * midatlas_foreach), as a transport's receiver ends what a sender claimed;
 * that slot must not come again in the same visit either.
 *
 * On the tree before the fix each case failed: a slot handed out by the
 * test before the parked thread went on came again right after.  The
 * foreign-ender cases failed on the first fix (the CAS paths moved the
 * cursor after the claim: the parked claimer's slot, ended by the test,
 * was still at the cursor and came again at the test's next associate).
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "hooks.h"
#include "park.h"
#include "rseq.h"
#include "wait_util.h"

#define LIMIT (20 * W_SEC) /* hang guard only */
#define CAPACITY 64u
#define BEFORE 8 /* handouts while the claimer is parked */
#define AFTER 8  /* handouts after it went on */

struct claimer {
    struct midatlas *atlas;
    bool warm;    /* one cycle first, so the parked claim is a common take */
    bool on_cpu0; /* pin to CPU 0 (the rseq case) */
    uint16_t mid;
    int rc;
    pthread_t thread;
};

static void pin_cpu0(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
}

static void *claimer_main(void *p)
{
    struct claimer *c = p;
    if (c->on_cpu0)
        pin_cpu0();
    if (c->warm) {
        uint16_t mid;
        if (midatlas_associate(c->atlas, w_ctx(1), &mid) != MIDATLAS_OK ||
            midatlas_dissociate(c->atlas, mid, NULL) != MIDATLAS_OK) {
            c->rc = -1;
            return NULL;
        }
    }
    park_at(MIDATLAS_HOOK_CLAIMED);
    c->rc = midatlas_associate(c->atlas, w_ctx(2), &c->mid);
    return NULL;
}

/* midatlas_foreach: the MID of the parked claimer's context. */
static void find_parked(void *ctx, uint16_t mid, void *arg)
{
    if (ctx == w_ctx(2))
        *(int *)arg = mid;
}

/* One handout and its end, as a transport with one request in flight;
 * the slot it took. */
static unsigned cycle(struct midatlas *a)
{
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(3), &mid), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    return mid % CAPACITY;
}

static void run_case(unsigned flags, bool warm, bool on_cpu0, bool foreign_end)
{
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, CAPACITY, flags), MIDATLAS_OK);
    struct claimer c = {.atlas = a, .warm = warm, .on_cpu0 = on_cpu0};
    if (on_cpu0)
        pin_cpu0();

    park_arm();
    assert_int_equal(pthread_create(&c.thread, NULL, claimer_main, &c), 0);
    assert_true(park_await(LIMIT));
    int parked_mid = -1;
    if (foreign_end) {
        /* End it while its claimer is still inside associate. */
        midatlas_foreach(a, find_parked, &parked_mid);
        assert_true(parked_mid >= 0);
        assert_int_equal(midatlas_dissociate(a, (uint16_t)parked_mid, NULL), MIDATLAS_OK);
    }
    unsigned slots[BEFORE + AFTER];
    for (int k = 0; k < BEFORE; k++)
        slots[k] = cycle(a);
    park_release();
    pthread_join(c.thread, NULL);
    assert_int_equal(c.rc, MIDATLAS_OK);
    if (foreign_end)
        assert_int_equal(c.mid, parked_mid);
    for (int k = BEFORE; k < BEFORE + AFTER; k++)
        slots[k] = cycle(a);

    unsigned parked_slot = c.mid % CAPACITY;
    for (int k = 0; k < BEFORE + AFTER; k++) {
        if (slots[k] == parked_slot)
            fail_msg("slot %u, the parked claimer's, handed out again (handout %d)", slots[k], k);
        for (int j = 0; j < k; j++)
            if (slots[j] == slots[k])
                fail_msg("slot %u handed out twice in one lap: handouts %d and %d "
                         "(the parked claimer went on after handout %d)",
                         slots[k], j, k, BEFORE - 1);
    }
    if (!foreign_end)
        assert_int_equal(midatlas_dissociate(a, c.mid, NULL), MIDATLAS_OK);
    assert_true(w_consistent(a, "after the parked claim"));
    midatlas_destroy(a, NULL, NULL);
    if (on_cpu0) {
        cpu_set_t all;
        CPU_ZERO(&all);
        for (int k = 0; k < CPU_SETSIZE; k++)
            CPU_SET(k, &all);
        pthread_setaffinity_np(pthread_self(), sizeof all, &all);
    }
}

/* The common take (sweep_take_fast) on the CAS path. */
static void test_cas_common_take(void **state)
{
    (void)state;
    run_case(MIDATLAS_F_NO_RSEQ, true, false, false);
    run_case(MIDATLAS_F_NO_RSEQ, true, false, true);
}

/* The full sweep (sweep_chunk): a thread's first take goes there. */
static void test_cas_full_sweep(void **state)
{
    (void)state;
    run_case(MIDATLAS_F_NO_RSEQ, false, false, false);
    run_case(MIDATLAS_F_NO_RSEQ, false, false, true);
}

/* The rseq claim of an atlas one CPU owns whole (solo.h): both threads on
 * CPU 0, so that neither shares the atlas. */
static void test_rseq_solo(void **state)
{
    (void)state;
    if (!midatlas__rseq_on())
        skip();
    run_case(0, true, true, false);
    run_case(0, true, true, true);
}

int main(void)
{
    alarm(110);
    /* One stripe: the test and the parked claimer share one cursor, as the
     * threads of a CPU do. */
    setenv("MIDATLAS_STRIPES", "1", 1);
    midatlas_set_test_hook(park_hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cas_common_take),
        cmocka_unit_test(test_cas_full_sweep),
        cmocka_unit_test(test_rseq_solo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
