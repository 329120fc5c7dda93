/* SPDX-License-Identifier: MIT */
/*
 * test_destroy_waiting.c - midatlas_destroy with a waiter still queued
 * stops the program with a message, instead of freeing the atlas under it.
 *
 * The contract is close, join, destroy: destroy may not race any call.  A
 * review (2026-12-05) showed what breaking it did: the waiter, woken later,
 * unlinked itself from a queue in freed memory (AddressSanitizer:
 * heap-use-after-free in queue_unlink), silently in a normal build.  A
 * queued waiter is one breach destroy can see (the gate word counts it),
 * so it aborts there, naming the fix.  (A call that has not queued yet is
 * not seen: that stays the caller's to prevent.)  The breach runs in a
 * child process, which must die of SIGABRT with that message.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (20 * W_SEC) /* hang guard only */

/* The child: a full one-MID atlas, a waiter queued for good, destroy. */
static void breach(int err_fd)
{
    struct midatlas *a = NULL;
    uint16_t mid;
    dup2(err_fd, STDERR_FILENO);
    if (midatlas_create(&a, 1, 0) != MIDATLAS_OK ||
        midatlas_associate(a, w_ctx(1), &mid) != MIDATLAS_OK)
        _exit(3);
    static struct waiter_thread w;
    w = (struct waiter_thread){.atlas = a, .ctx = w_ctx(2), .timeout_ns = -1};
    if (!waiter_start(&w) || !w_await_queued(a, 1, LIMIT))
        _exit(4);
    midatlas_destroy(a, NULL, NULL);
    _exit(0); /* destroy let it pass */
}

static void test_destroy_with_a_queued_waiter_aborts(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        breach(fds[1]);
    }
    close(fds[1]);
    char msg[512] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg - 1 && (n = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("destroy with a waiter queued: the child %s %d, not SIGABRT (stderr: %s)",
                 WIFEXITED(status) ? "exited" : "died of signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), msg);
    assert_non_null(strstr(msg, "midatlas_destroy: 1 call still waiting"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_destroy_with_a_queued_waiter_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
