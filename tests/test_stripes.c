/* SPDX-License-Identifier: MIT */
/*
 * test_stripes.c - how many stripes (sweep cursors) a new atlas gets: one
 * for each CPU the process may run on, whichever thread creates it.
 *
 * A CPU's stripe is its number modulo the stripe count.  Found in review
 * (2026-12-05): the count followed the creating thread's own affinity, so
 * an atlas created by a thread pinned to one CPU got one stripe for the
 * whole process; its other threads then shared one cursor, on the rseq path
 * each CPU moved on from the other's chunks half swept (now handled:
 * reuse.lap.migrating.rseq.1stripe), and two threads ran churn at a tenth
 * of their speed with a stripe each.  Now the count covers the CPUs of the
 * creating thread and of the main thread, up to the highest CPU number,
 * so that no two of them share a stripe (up to 16 stripes).
 * Skipped (77) where the process may run on one CPU only.
 */
#define _GNU_SOURCE /* sched_getaffinity, pthread_setaffinity_np, CPU_* */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "midatlas.h"

#define CAPACITY 4096u /* room for 16 stripes */

static cpu_set_t process_cpus;

/* The stripes a new atlas should get: a power of two above the highest
 * CPU number the process may run on, at most 16. */
static uint32_t stripes_wanted(void)
{
    int top = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &process_cpus))
            top = c + 1;
    uint32_t n = 1;
    while (n < 16 && n < (uint32_t)top)
        n *= 2;
    return n;
}

static uint32_t stripes_of_new_atlas(void)
{
    struct midatlas *a = NULL;
    if (midatlas_create(&a, CAPACITY, 0) != MIDATLAS_OK)
        return 0;
    struct midatlas_stats st;
    midatlas_stats_ex(a, &st, sizeof st);
    midatlas_destroy(a, NULL, NULL);
    return st.stripes;
}

static void *create_pinned(void *arg)
{
    int cpu = *(int *)arg;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0)
        return NULL;
    static uint32_t got;
    got = stripes_of_new_atlas();
    return &got;
}

/* From the main thread, with every CPU: one stripe per CPU. */
static void test_main_thread(void **state)
{
    (void)state;
    assert_int_equal(stripes_of_new_atlas(), stripes_wanted());
}

/* From a thread pinned to each CPU in turn: the same count (was 1). */
static void test_pinned_creator(void **state)
{
    (void)state;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &process_cpus))
            continue;
        pthread_t t;
        void *got = NULL;
        assert_int_equal(pthread_create(&t, NULL, create_pinned, &c), 0);
        assert_int_equal(pthread_join(t, &got), 0);
        assert_non_null(got);
        if (*(uint32_t *)got != stripes_wanted())
            fail_msg("an atlas created on CPU %d alone has %u stripes, want %u", c,
                     *(uint32_t *)got, stripes_wanted());
    }
}

int main(void)
{
    unsetenv("MIDATLAS_STRIPES");
    if (sched_getaffinity(0, sizeof process_cpus, &process_cpus) != 0 ||
        CPU_COUNT(&process_cpus) < 2) {
        printf("SKIP: fewer than two CPUs allowed\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_thread),
        cmocka_unit_test(test_pinned_creator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
