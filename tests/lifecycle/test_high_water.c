/* SPDX-License-Identifier: MIT */
/*
 * test_high_water.c - stats.high_water never exceeds the true peak.
 *
 * Issue 9 item 5.  A producer and a consumer pass one MID at a time (the
 * producer associates only after the consumer's dissociate returned), so at
 * no instant is more than one slot live, discarded or held by a call in
 * progress; a third thread samples midatlas_stats all along.  The pair
 * hands over through semaphores, so it sleeps while it waits and the
 * sampler, spinning, is preempted at any point of its call.  The peak is
 * therefore 1 and high_water must end at exactly 1.  Before the fix the mark
 * summed the stripes' lengths one by one while MIDs moved between stripes
 * (a sampler preempted mid-sum missed every slot that moved meanwhile): it
 * reached 262 to 361 at capacity 4096 in five of five runs of this test.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "wait_util.h"

struct pair {
    struct midatlas *atlas;
    unsigned rounds;
    atomic_uint handed;   /* MID value + 1 handed to the consumer, 0: none */
    sem_t to_consumer;    /* posted when a MID is handed over             */
    sem_t to_producer;    /* posted when the consumer's dissociate returned */
    atomic_int stop;
    atomic_uint errors;
};

static void *producer(void *p)
{
    struct pair *s = p;
    for (unsigned i = 0; i < s->rounds; i++) {
        uint16_t mid;
        if (midatlas_associate(s->atlas, w_ctx(i), &mid) != MIDATLAS_OK) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed); /* counter */
            break;
        }
        /* relaxed: the semaphores order the handoff (sem_post/sem_wait
         * synchronize, POSIX 4.12). */
        atomic_store_explicit(&s->handed, (unsigned)mid + 1, memory_order_relaxed);
        sem_post(&s->to_consumer);
        /* The consumer's dissociate returned before our next associate. */
        sem_wait(&s->to_producer);
    }
    atomic_store_explicit(&s->handed, 0, memory_order_relaxed);
    atomic_store_explicit(&s->stop, 1, memory_order_relaxed); /* a flag only */
    sem_post(&s->to_consumer);
    return NULL;
}

static void *consumer(void *p)
{
    struct pair *s = p;
    for (;;) {
        sem_wait(&s->to_consumer);
        unsigned h = atomic_load_explicit(&s->handed, memory_order_relaxed); /* see producer */
        if (h == 0)
            return NULL;
        if (midatlas_dissociate(s->atlas, (uint16_t)(h - 1), NULL) != MIDATLAS_OK)
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed); /* counter */
        sem_post(&s->to_producer);
    }
}

static void *sampler(void *p)
{
    struct pair *s = p;
    struct midatlas_stats st;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed))
        midatlas_stats(s->atlas, &st);
    return NULL;
}

static void run_pair(uint32_t capacity)
{
    struct pair s = {.rounds = 300000 / w_slowdown()};
    pthread_t t[3];
    assert_int_equal(midatlas_create(&s.atlas, capacity, 0), MIDATLAS_OK);
    sem_init(&s.to_consumer, 0, 0);
    sem_init(&s.to_producer, 0, 0);
    assert_int_equal(pthread_create(&t[0], NULL, producer, &s), 0);
    assert_int_equal(pthread_create(&t[1], NULL, consumer, &s), 0);
    assert_int_equal(pthread_create(&t[2], NULL, sampler, &s), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.errors), 0);
    sem_destroy(&s.to_consumer);
    sem_destroy(&s.to_producer);

    /* One MID out at quiescence: the mark is exact then, so it is at least
     * 1 whatever the sampler caught. */
    uint16_t mid;
    struct midatlas_stats st;
    assert_int_equal(midatlas_associate(s.atlas, w_ctx(0), &mid), MIDATLAS_OK);
    midatlas_stats(s.atlas, &st);
    assert_int_equal(midatlas_dissociate(s.atlas, mid, NULL), MIDATLAS_OK);
    printf("[ PAIR     ] capacity %u: %u MIDs passed one at a time, high_water %u\n", capacity,
           s.rounds, st.high_water);
    if (st.high_water != 1)
        fail_msg("high_water %u, but never more than 1 MID was out", st.high_water);
    assert_int_equal(st.live, 1);
    midatlas_destroy(s.atlas, NULL, NULL);
}

static void test_pair_4096(void **state)
{
    (void)state;
    run_pair(4096);
}

static void test_pair_64(void **state)
{
    (void)state;
    run_pair(64);
}

/* Quiescent: high_water is exact. */
static void test_quiescent_exact(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mids[100];
    struct midatlas_stats st;
    assert_int_equal(midatlas_create(&a, 256, 0), MIDATLAS_OK);
    midatlas_stats(a, &st);
    assert_int_equal(st.high_water, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(midatlas_associate(a, w_ctx(i), &mids[i]), MIDATLAS_OK);
    for (int i = 0; i < 30; i++)
        assert_int_equal(midatlas_discard(a, mids[i], NULL), MIDATLAS_OK);
    for (int i = 30; i < 100; i++)
        assert_int_equal(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
    midatlas_stats(a, &st);
    /* Not sampled at the peak by any slow path: 30 were still out at the
     * stats call, so the mark is a lower bound here, never above 100. */
    assert_true(st.high_water >= 30 && st.high_water <= 100);
    for (int i = 30; i < 60; i++)
        assert_int_equal(midatlas_associate(a, w_ctx(i), &mids[i]), MIDATLAS_OK);
    midatlas_stats(a, &st);
    assert_true(st.high_water >= 60 && st.high_water <= 100);
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    /* Many stripes whatever the machine's CPUs: the mark must be right
     * however many stacks a sample has to add up. */
    setenv("MIDATLAS_STRIPES", "16", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_4096),
        cmocka_unit_test(test_pair_64),
        cmocka_unit_test(test_quiescent_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
