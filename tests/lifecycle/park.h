/* SPDX-License-Identifier: MIT */
/*
 * park.h - stop one thread inside a midatlas call, at a test hook point
 * (src/hooks.h), until the test lets it go: how the lifecycle tests put a
 * call in the middle of its steps and look at the atlas from outside.
 *
 *   the thread:  park_at(point); then the call, which parks at `point`
 *   the test:    park_arm() before starting the thread, park_await() until
 *                it sits there, look around, park_release(), join
 *   the hook:    the test's hook function calls park_hook(point, index)
 */
#ifndef MIDATLAS_TEST_PARK_H
#define MIDATLAS_TEST_PARK_H

#include <stdbool.h>
#include <stdint.h>

#include "hooks.h"

/* The calling thread parks at the next hook call at `point` (once). */
void park_at(enum midatlas_hook_point point);

/* Install as (or call from) the test hook: parks the thread that asked. */
void park_hook(enum midatlas_hook_point point, uint32_t index);

/* Before starting the thread that will park: it stays parked until
 * park_release. */
void park_arm(void);

/* Wait until a thread sits in the hook; false after limit_ns (a hang). */
bool park_await(int64_t limit_ns);

/* Let the parked thread go on. */
void park_release(void);

#endif /* MIDATLAS_TEST_PARK_H */
