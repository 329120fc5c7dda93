/* SPDX-License-Identifier: MIT */
/*
 * test_signal_map.c - midatlas_map and midatlas_lookup are async-signal-safe.
 *
 * They are one lock-free atomic load (C11 7.14.1.1 allows lock-free atomics
 * in signal handlers) and take no lock, allocate nothing and touch no
 * thread-local state.  A signal handler here maps a MID that stays live for
 * the whole run, and looks up one that is churned, while the interrupted
 * thread is itself in the middle of associate/dissociate calls on the same
 * atlas (a handler must never see a half-done call's slot as a wrong
 * context).  A second thread delivers the signals.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "wait_util.h"

static struct midatlas *g_atlas;
static uint16_t g_fixed_mid;
static volatile sig_atomic_t g_handled, g_wrong;
static atomic_int g_stop;

static void on_signal(int sig)
{
    (void)sig;
    void *ctx = NULL;
    if (midatlas_map(g_atlas, g_fixed_mid) != w_ctx(1))
        g_wrong = 1;
    if (midatlas_lookup(g_atlas, g_fixed_mid, &ctx) != MIDATLAS_OK || ctx != w_ctx(1))
        g_wrong = 1;
    /* Any other MID: a context that is not the fixed one's, or nothing. */
    for (uint32_t m = 0; m < 64; m++) {
        void *c = midatlas_map(g_atlas, (uint16_t)m);
        if (m != g_fixed_mid && c == w_ctx(1))
            g_wrong = 1;
    }
    g_handled++;
}

static void *signaller(void *p)
{
    pthread_t target = *(pthread_t *)p;
    /* relaxed: a stop flag, nothing to publish */
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        pthread_kill(target, SIGUSR1);
        w_sleep_ns(20 * 1000);
    }
    return NULL;
}

static void test_map_in_handler(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    assert_int_equal(midatlas_create(&g_atlas, 64, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate(g_atlas, w_ctx(1), &g_fixed_mid), MIDATLAS_OK);

    pthread_t self = pthread_self(), sig;
    atomic_store(&g_stop, 0);
    assert_int_equal(pthread_create(&sig, NULL, signaller, &self), 0);
    unsigned rounds = 400000 / w_slowdown();
    for (unsigned i = 0; i < rounds; i++) {
        uint16_t mid;
        assert_int_equal(midatlas_associate(g_atlas, w_ctx(2 + i % 1000), &mid), MIDATLAS_OK);
        assert_int_equal(midatlas_dissociate(g_atlas, mid, NULL), MIDATLAS_OK);
    }
    /* Keep going until a few signals landed, however slow the machine. */
    while (g_handled < 20) {
        uint16_t mid;
        assert_int_equal(midatlas_associate(g_atlas, w_ctx(3), &mid), MIDATLAS_OK);
        assert_int_equal(midatlas_dissociate(g_atlas, mid, NULL), MIDATLAS_OK);
    }
    atomic_store(&g_stop, 1);
    pthread_join(sig, NULL);
    printf("[ SIGNALS  ] %d handlers ran map and lookup during churn\n", (int)g_handled);
    assert_false(g_wrong);
    assert_true(w_consistent(g_atlas, "after the signals"));
    midatlas_destroy(g_atlas, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_in_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
