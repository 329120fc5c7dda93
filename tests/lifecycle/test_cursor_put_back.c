/* SPDX-License-Identifier: MIT */
/*
 * test_cursor_put_back.c - a sweep's claim does not take its slot when the
 * stripe's cursor no longer holds the value its move stored: an rseq CS of
 * another CPU may have put the cursor back behind the slot, and the slot,
 * once ended, would come again in the same visit of its chunk.
 *
 * Found in review (2026-12-05) and checked by the model first
 * (tests/model/midatlas_cursor.pml, CPUS 1; mutants 5 and 6 are the code
 * before the fix).  The common take's CS (rseq.h, rseq_claim_store_at)
 * compares the cursor with c and stores "past its slot" over it; that is
 * atomic only against the threads of its own CPU.  A thread that moved to
 * another CPU in mid-chunk still sweeps its old stripe's cursor by CAS
 * (sweep.c, take_slow).  So: the owner's CS compares (cursor == c, slot x
 * FREE); the moved thread, which had found x used and a later slot y FREE,
 * moves the cursor from c past y; the CS stores "past x" (the position of
 * y) over that; the moved thread then claims y: in a small atlas after
 * taking the atlas's ownership over (solo.c: the fence comes after the
 * cursor's store), or, moved back to the owner's CPU, by a CS of its own
 * in a chunk that CPU owns.  The cursor now stands at y, which is live;
 * once ended, the next associate takes y again: one handout apart.
 *
 * No test can hold a CS open between its compare and its store (a
 * preemption, a signal or a ptrace stop aborts it; only a hypervisor that
 * stops the vCPU can), so the late store is made at the point the race
 * needs it: a hook (src/hooks.h, MIDATLAS_HOOK_CURSOR_MOVED) fires in
 * sweep_chunk between the move and the claim, and stores there what the
 * owner's CS would.  The claim must see it and follow the cursor.  On the
 * code before the fix, both cases failed: "slot y handed out again one
 * handout later".
 *
 * One stripe (MIDATLAS_STRIPES=1), one thread pinned to CPU 0 (it owns the
 * small atlas, or the chunk), the rseq path on (else skipped: without a CS
 * nothing stores a cursor without a CAS).
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

#include "claim.h"
#include "hooks.h"
#include "rseq.h"
#include "solo.h"
#include "wait_util.h"

static struct midatlas *hooked_atlas; /* the atlas whose cursor the hook moves */

/* The owner's late CS store: the cursor back at the slot the sweep is
 * about to claim (the position "past x" of a CS that claimed the slot x
 * before it).  Once: the sweep's second try must go through. */
static void put_back_hook(enum midatlas_hook_point point, uint32_t index)
{
    if (point != MIDATLAS_HOOK_CURSOR_MOVED || !hooked_atlas)
        return;
    struct stripe *s = stripe_of(hooked_atlas, 0);
    uint64_t moved = load_relaxed(&s->cursor);
    store_relaxed(&s->cursor, cursor_at(moved, index));
    hooked_atlas = NULL;
}

static void pin_cpu0(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
}

static void unpin(void)
{
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int k = 0; k < CPU_SETSIZE; k++)
        CPU_SET(k, &all);
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
}

static unsigned slot_of(struct midatlas *a, uint16_t mid)
{
    return mid_index(a, mid);
}

/* One handout and its end; the slot it took. */
static unsigned cycle(struct midatlas *a)
{
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(3), &mid), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    return slot_of(a, mid);
}

static void run_case(uint32_t capacity, bool chunks)
{
    if (!midatlas__rseq_on())
        skip();
    pin_cpu0();
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, capacity, 0), MIDATLAS_OK);
    (void)cycle(a); /* the thread's hints; the atlas (or a chunk) is CPU 0's */
    if (chunks)
        assert_non_null(a->owners);
    else
        assert_int_equal(solo_state(solo_word(a)), 1); /* CPU 0 + 1 */

    /* A slot held over a lap, then cycles until the cursor stands at it:
     * the next associate's common take meets it used and sweeps on. */
    uint16_t held = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(1), &held), MIDATLAS_OK);
    unsigned x = slot_of(a, held);
    struct stripe *s = stripe_of(a, 0);
    uint32_t n = 0;
    while (cursor_pos(load_relaxed(&s->cursor)) != x) {
        assert_true(++n < 4 * capacity);
        (void)cycle(a);
    }

    hooked_atlas = a;
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(2), &mid), MIDATLAS_OK);
    assert_null(hooked_atlas); /* the sweep moved the cursor, the hook ran */
    unsigned y = slot_of(a, mid);
    assert_int_not_equal(y, x);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    unsigned next = cycle(a);
    if (next == y)
        fail_msg("slot %u handed out again one handout later: the sweep claimed it "
                 "although the cursor had been put back at it",
                 y);
    assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
    assert_true(w_consistent(a, "after the put-back cursor"));
    midatlas_destroy(a, NULL, NULL);
    unpin();
}

/* A small atlas CPU 0 owns whole (solo.h). */
static void test_solo(void **state)
{
    (void)state;
    run_case(64, false);
}

/* A chunk CPU 0 owns (rseq.h). */
static void test_chunk(void **state)
{
    (void)state;
    run_case(4096, true);
}

int main(void)
{
    alarm(110);
    setenv("MIDATLAS_STRIPES", "1", 1);
    midatlas_set_test_hook(put_back_hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_solo),
        cmocka_unit_test(test_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
