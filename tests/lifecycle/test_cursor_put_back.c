/* SPDX-License-Identifier: MIT */
/*
 * test_cursor_put_back.c - no slot comes twice in one visit of its chunk
 * when an rseq CS of one CPU and a sweep from another CPU move the same
 * stripe's cursor.
 *
 * Found in review (2026-12-05) and checked by the model first
 * (tests/model/midatlas_cursor.pml, CPUS 1; mutants 5 to 8 are the code
 * before the fixes).  The common take's CS (rseq.h, rseq_claim_store_at)
 * compares the cursor with c and stores "past its slot" over it; that is
 * atomic only against the threads of its own CPU.  A thread that moved to
 * another CPU in mid-chunk still sweeps its old stripe's cursor by CAS
 * (sweep.c, take_slow).  So the owner's CS may compare (cursor == c, its
 * slot x FREE) before the moved thread's move and store after it:
 *   - put back: the moved thread had found x used and a later slot y FREE,
 *     and moved the cursor past y; the CS stores "past x", the position of
 *     y, over that.  The moved thread then claimed y anyway (by CS, back
 *     on the owner's CPU; by CAS after taking a small atlas over, or in a
 *     chunk nobody owns), so the cursor stood at y, live; once ended, y
 *     came again at the next associate.
 *   - move back: the moved thread found x FREE too, and the chunk
 *     unowned, and moved past x; CPU 0 had acquired the chunk meanwhile
 *     and its CS, which compared before that move, stores the same value
 *     and claims x; the moved thread's claim meets CPU 0's chunk
 *     (OWN_FOREIGN), and it moved the cursor back onto x by CAS, which
 *     succeeded (the value was the one it stored).  x, once ended, came
 *     again at the next associate on CPU 0.  (Until the same fix a sweep
 *     met another CPU's chunk only after its move, so this needed no
 *     acquisition in between; now it looks first.)
 *
 * No test can hold a CS open between its compare and its store (a
 * preemption, a signal or a ptrace stop aborts it; only a hypervisor that
 * stops the vCPU can), so the CS's late stores are made where the race
 * needs them: a hook (src/hooks.h, MIDATLAS_HOOK_CURSOR_MOVED) fires in
 * sweep_chunk between the move and the claim.  Before the fixes every
 * case failed: "slot y handed out again one handout later" (solo_shared
 * and chunk_cas, written after the first fix, with its checks before a
 * claim CAS taken out).
 *
 * Each case pins its threads (CPU 0, and CPU 1 where two CPUs take part:
 * skipped on one CPU) and needs the rseq path (else skipped: without a CS
 * nothing stores the cursor behind a sweep's move).  The reviewer's reproducer of
 * the move back is the base of the last case.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET, sched_getcpu */

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
#include "own.h"
#include "rseq.h"
#include "solo.h"
#include "sweep.h"
#include "wait_util.h"

/* What the owner's CS, which compared the cursor before the sweep's move,
 * stores when the hook fires (once). */
enum late {
    LATE_PUT_BACK, /* "past x": the cursor back at the slot the sweep moved past */
    LATE_CS_LANDS, /* CPU 0 owns the chunk; the same cursor value the move
                      stored, and slot x LIVE */
    LATE_FORWARD   /* no CS: another claimer moved the cursor one slot on */
};

static struct midatlas *hooked_atlas;
static enum late late_kind;
static uint16_t cs_mid;     /* LATE_CS_LANDS: the MID the CS claimed */
static uint32_t moved_past; /* the slot the sweep moved the cursor past */

static void late_cs_hook(enum midatlas_hook_point point, uint32_t index)
{
    if (point != MIDATLAS_HOOK_CURSOR_MOVED || !hooked_atlas)
        return;
    struct midatlas *a = hooked_atlas;
    hooked_atlas = NULL;
    moved_past = index;
    struct stripe *s = stripe_of(a, 0);
    uint64_t moved = load_relaxed(&s->cursor);
    if (late_kind == LATE_PUT_BACK) {
        store_relaxed(&s->cursor, cursor_at(moved, index));
        return;
    }
    if (late_kind == LATE_FORWARD) {
        assert_true(cursor_pos(moved) < cursor_end(moved));
        store_relaxed(&s->cursor,
                      cursor_at(moved, sweep_next(a, cursor_pos(moved), cursor_end(moved))));
        return;
    }
    store8_relaxed(owner_of(a, index >> a->chunk_shift), 1); /* CPU 0 + 1 */
    store_relaxed(&s->cursor, cursor_at(moved, sweep_next(a, index, cursor_end(moved))));
    uint64_t w = load_relaxed(slot_word(a, index));
    bool skipped;
    uint32_t next = count_next(a, slot_count(w), index, &skipped);
    /* release: the CS's store publishes as the claim's does */
    store_release(slot_word(a, index), slot_live(next, (uint64_t)(uintptr_t)w_ctx(7)));
    cs_mid = mid_make(a, next & a->gen_mask, index);
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
    sched_yield();
    assert_int_equal(sched_getcpu(), cpu);
}

static void unpin(void)
{
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int k = 0; k < CPU_SETSIZE; k++)
        CPU_SET(k, &all);
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
}

static void need(int cpus)
{
    if (!midatlas__rseq_on() || sysconf(_SC_NPROCESSORS_ONLN) < cpus)
        skip();
}

static struct midatlas *atlas_with(uint32_t capacity, const char *stripes)
{
    setenv("MIDATLAS_STRIPES", stripes, 1);
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, capacity, 0), MIDATLAS_OK);
    return a;
}

/* One handout and its end; the slot it took. */
static unsigned cycle(struct midatlas *a)
{
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(3), &mid), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    return mid_index(a, mid);
}

/* A slot held over a lap, then cycles until stripe 0's cursor stands at
 * it: the next associate's common take meets it used and sweeps on.  The
 * held MID. */
static uint16_t cursor_at_held(struct midatlas *a)
{
    uint16_t held = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(1), &held), MIDATLAS_OK);
    struct stripe *s = stripe_of(a, 0);
    for (uint32_t n = 0; cursor_pos(load_relaxed(&s->cursor)) != mid_index(a, held); n++) {
        assert_true(n < 4 * a->capacity);
        (void)cycle(a);
    }
    return held;
}

/* The slot y an associate got while the hook put the cursor back at it:
 * after it ends, the next handout (by `next`, or this thread) is another. */
static void check_not_again(struct midatlas *a, uint16_t mid, unsigned next)
{
    unsigned y = mid_index(a, mid);
    if (next == y)
        fail_msg("slot %u handed out again one handout later: the sweep claimed it "
                 "although the cursor had been put back at it",
                 y);
}

/* The associate on the other CPU (cases solo_shared, foreign_move_back). */
struct other {
    struct midatlas *a;
    int cpu;
    uint16_t mid;
};

static void *other_associates(void *p)
{
    struct other *o = p;
    pin(o->cpu);
    assert_int_equal(midatlas_associate(o->a, w_ctx(2), &o->mid), MIDATLAS_OK);
    return NULL;
}

static uint16_t associate_on(struct midatlas *a, int cpu)
{
    struct other o = {.a = a, .cpu = cpu};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_associates, &o), 0);
    pthread_join(t, NULL);
    return o.mid;
}

/* The next call into a (on any thread) makes the late stores of `kind`. */
static void arm(struct midatlas *a, enum late kind)
{
    hooked_atlas = a;
    late_kind = kind;
}

/* An associate on this thread with the late stores of `kind` made between
 * its sweep's move and its claim; its MID. */
static uint16_t associate_late(struct midatlas *a, enum late kind)
{
    arm(a, kind);
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(2), &mid), MIDATLAS_OK);
    assert_null(hooked_atlas); /* the sweep moved the cursor, the hook ran */
    return mid;
}

/* An atlas of chunks whose one stripe is marked shared, so that it
 * acquires none and its sweeps claim by the announced CAS (own.c,
 * sweeps_home); this thread's hints set. */
static struct midatlas *shared_stripe_atlas(void)
{
    struct midatlas *a = atlas_with(4096, "1");
    assert_non_null(a->owners);
    store_relaxed(&stripe_of(a, 0)->shared, 1);
    (void)cycle(a);
    return a;
}

static void finish(struct midatlas *a, uint16_t held)
{
    assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
    assert_true(w_consistent(a, "after the late CS stores"));
    midatlas_destroy(a, NULL, NULL);
    unpin();
}

/* The put back, met by a claim in its own CS on the owning CPU: one
 * thread on CPU 0, which owns the atlas (solo) or the chunk. */
static void put_back_on_owner(uint32_t capacity, bool chunks)
{
    need(1);
    pin(0);
    struct midatlas *a = atlas_with(capacity, "1");
    (void)cycle(a); /* the thread's hints; the atlas (or a chunk) is CPU 0's */
    if (chunks)
        assert_non_null(a->owners);
    else
        assert_int_equal(solo_state(solo_word(a)), 1); /* CPU 0 + 1 */
    uint16_t held = cursor_at_held(a);
    uint16_t mid = associate_late(a, LATE_PUT_BACK);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    check_not_again(a, mid, cycle(a));
    finish(a, held);
}

static void test_solo_cs(void **state)
{
    (void)state;
    put_back_on_owner(64, false);
}

static void test_chunk_cs(void **state)
{
    (void)state;
    put_back_on_owner(4096, true);
}

/* The put back, met by a claim CAS after a thread on CPU 1 shares the
 * small atlas CPU 0 owned (solo.c, take over; then SHARED). */
static void test_solo_shared(void **state)
{
    (void)state;
    need(2);
    pin(0);
    struct midatlas *a = atlas_with(64, "1");
    (void)cycle(a);
    assert_int_equal(solo_state(solo_word(a)), 1);
    uint16_t held = cursor_at_held(a);
    arm(a, LATE_PUT_BACK);
    uint16_t mid = associate_on(a, 1);
    assert_null(hooked_atlas);
    assert_int_equal(solo_state(solo_word(a)), SOLO_SHARED); /* shared, not moved */
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    check_not_again(a, mid, cycle(a));
    finish(a, held);
}

/* The put back, met by the announced claim CAS in a chunk nobody owns (a
 * stripe marked shared acquires none: own.c, sweeps_home). */
static void test_chunk_cas(void **state)
{
    (void)state;
    need(1);
    pin(0);
    struct midatlas *a = shared_stripe_atlas();
    uint16_t held = cursor_at_held(a);
    assert_int_equal(load8_relaxed(owner_of(a, mid_index(a, held) >> a->chunk_shift)),
                     OWNER_NONE);
    uint16_t mid = associate_late(a, LATE_PUT_BACK);
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    check_not_again(a, mid, cycle(a));
    finish(a, held);
}

/* A claim by CAS whose cursor another claimer moved on (no CS, nothing put
 * back) keeps its slot: it gave the slot up for the next lap until the
 * check compared ranks (claim.h, cursor_not_behind), which cost two
 * threads on one stripe up to a fifth of their speed (bench/RESULTS.md).
 * In a chunk nobody owns (a stripe marked shared: the announced CAS). */
static void test_forward_keeps_slot(void **state)
{
    (void)state;
    need(1);
    pin(0);
    struct midatlas *a = shared_stripe_atlas();
    uint16_t held = cursor_at_held(a);
    uint16_t mid = associate_late(a, LATE_FORWARD);
    if (mid_index(a, mid) != moved_past)
        fail_msg("the sweep moved the cursor past slot %u but took slot %u: a cursor moved "
                 "on by another claimer cost the claim its slot",
                 moved_past, mid_index(a, mid));
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    finish(a, held);
}

/* The move back: this thread sweeps stripe 0 after moving to CPU 1, the
 * chunk at its cursor unowned (CPU 0's acquisition was aborted: a
 * preemption or a signal, own.c); between its look and its move CPU 0
 * acquires the chunk and its CS compares the cursor; after the move that
 * CS claims the slot the sweep moved past and stores the same cursor
 * value; the sweep meets CPU 0's chunk and goes on from CPU 1's stripe.
 * Then CPU 0's next associate must not get that slot again once ended. */
static void test_foreign_move_back(void **state)
{
    (void)state;
    need(2);
    pin(0);
    struct midatlas *a = atlas_with(4096, "2");
    assert_non_null(a->owners);
    assert_int_equal(a->stripe_mask, 1);
    (void)cycle(a);
    struct stripe *s = stripe_of(a, 0);
    uint32_t x = cursor_pos(load_relaxed(&s->cursor));
    assert_int_equal(load8_relaxed(owner_of(a, x >> a->chunk_shift)), 1); /* CPU 0's */
    store8_relaxed(owner_of(a, x >> a->chunk_shift), OWNER_NONE);

    pin(1); /* in mid-chunk: the home stays stripe 0 until the sweep leaves it */
    uint16_t mid = associate_late(a, LATE_CS_LANDS);
    assert_int_equal(mid_index(a, cs_mid), x);
    assert_int_not_equal(mid_index(a, mid), x);

    /* The CS's caller ends its MID; the next associate on CPU 0. */
    assert_int_equal(midatlas_dissociate(a, cs_mid, NULL), MIDATLAS_OK);
    uint16_t again = associate_on(a, 0);
    if (mid_index(a, again) == x)
        fail_msg("slot %u handed out again one handout later: the sweep moved the cursor "
                 "back onto it after CPU 0's CS claimed it",
                 x);
    assert_int_equal(midatlas_dissociate(a, again, NULL), MIDATLAS_OK);
    finish(a, mid);
}

int main(void)
{
    alarm(110);
    midatlas_set_test_hook(late_cs_hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_solo_cs),     cmocka_unit_test(test_chunk_cs),
        cmocka_unit_test(test_solo_shared), cmocka_unit_test(test_chunk_cas),
        cmocka_unit_test(test_forward_keeps_slot), cmocka_unit_test(test_foreign_move_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
