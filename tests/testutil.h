/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers shared by the midatlas cmocka tests.
 *
 * The tests' contexts: tctx.h.
 */
#ifndef MIDATLAS_TESTUTIL_H
#define MIDATLAS_TESTUTIL_H

/* cmocka needs these before its own header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>

#include "midatlas.h"
#include "tctx.h"

/* Every capacity the contract names, small and large. */
extern const uint32_t t_capacities[];
extern const size_t t_ncapacities;

/* A pointer-sized value with bit 48 set, or NULL on targets whose pointers
 * cannot hold one (32-bit): such a context must be rejected with EINVAL. */
void *t_ctx_too_wide(void);

/* The MID layout of the header: index bits, generation bits. */
uint32_t t_index_bits(uint32_t capacity);
uint32_t t_gen_bits(uint32_t capacity);

/* True when the header's flags reserve `mid` (never handed out, ERANGE). */
bool t_reserved(unsigned flags, uint16_t mid);

/* The symbolic name of a status ("MIDATLAS_EFREE"), for messages. */
const char *t_status_name(int status);

/* Fail the current test unless got == want, naming both statuses. */
#define assert_status(got, want) t_assert_status((got), (want), #got, __FILE__, __LINE__)
void t_assert_status(int got, int want, const char *expr, const char *file, int line);

/* ---- reproducible randomness ----------------------------------------- */

/* The seed for a randomized test: $MIDATLAS_TEST_SEED when set, else one
 * drawn from the clock; printed either way so a failure can be replayed. */
uint64_t t_seed(const char *test_name);
/* splitmix64: small, fast, good enough to pick calls and MIDs. */
uint64_t t_rand(uint64_t *state);
/* Uniform in [0, n). */
uint32_t t_below(uint64_t *state, uint32_t n);

/* ---- "nothing changed" ------------------------------------------------- */

/* The fields of midatlas_stats that only change when the atlas changes
 * (high_water only moves when live+discarded does; cas_failures may count a
 * lost race and is left out). */
void t_assert_same_stats(const struct midatlas_stats *a, const struct midatlas_stats *b);
/* midatlas_validate must answer OK; prints its reason otherwise. */
void t_assert_valid(struct midatlas *atlas);

/* ---- scaling for slow builds ------------------------------------------ */

/* Divide iteration counts by this under sanitizers (they run 5-20x slower). */
unsigned t_slowdown(void);

#endif /* MIDATLAS_TESTUTIL_H */
