/* SPDX-License-Identifier: MIT */
/*
 * chaos_hooks.c - stall threads at midatlas's own hook points: the chaos call
 * of the hooked midatlas plugins (builds with MIDATLAS_TEST_HOOKS only).
 *
 * The hook points of src/hooks.h sit where a thread holds something no other
 * thread can see yet: an index it popped but has not published, a slot it won
 * but has not pushed back, a free-list link it read but has not CASed on.  A
 * race that needs a thread to be delayed exactly there shows up in seconds
 * when 1 in `every` passes sleeps ~50 us, instead of waiting for the kernel to
 * preempt a thread inside a window of a few instructions.  Idea: the "yield
 * injection" of Linux's fault-injection and of CHESS-style testers.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdint.h>
#include <time.h>

#include "hooks.h"

#define CHAOS_STALL_NS (50 * 1000)

void mid_chaos_install(uint32_t every);

static uint32_t chaos_every;
static _Thread_local uint64_t chaos_rng;

static void chaos_hook(enum midatlas_hook_point point, uint32_t index)
{
    (void)point;
    if (chaos_rng == 0)
        chaos_rng = ((uint64_t)(uintptr_t)&chaos_rng ^ index) | 1; /* per thread */
    chaos_rng ^= chaos_rng << 13;
    chaos_rng ^= chaos_rng >> 7;
    chaos_rng ^= chaos_rng << 17;
    if (chaos_rng % chaos_every == 0) {
        struct timespec ts = {0, CHAOS_STALL_NS};
        nanosleep(&ts, NULL);
    }
}

void mid_chaos_install(uint32_t every)
{
    /* Written before any worker starts; the library publishes the hook with
     * a release store that its callers acquire. */
    chaos_every = every;
    midatlas_set_test_hook(every ? chaos_hook : NULL);
}
