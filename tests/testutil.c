/* SPDX-License-Identifier: MIT */
/*
 * testutil.c - helpers shared by the midatlas cmocka tests (see testutil.h).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, barriers, getpid */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const uint32_t t_capacities[] = {1, 2, 3, 50, 64, 65535, 65536};
const size_t t_ncapacities = sizeof t_capacities / sizeof t_capacities[0];

void *t_ctx_too_wide(void)
{
    if (sizeof(void *) < 8)
        return NULL;
    /* Built from two shifts so a 32-bit compiler sees no oversized shift. */
    uint64_t v = (uint64_t)1 << 24;
    v <<= 24;
    return (void *)(uintptr_t)(v | 0x10);
}

uint32_t t_index_bits(uint32_t capacity)
{
    uint32_t bits = 0;
    while (((uint32_t)1 << bits) < capacity)
        bits++;
    return bits;
}

uint32_t t_gen_bits(uint32_t capacity)
{
    /* The header: 16 - index_bits, but 15 at capacity 1 (the slot word keeps
     * a 15-bit generation). */
    uint32_t ib = t_index_bits(capacity);
    return ib == 0 ? 15 : 16 - ib;
}

bool t_reserved(unsigned flags, uint16_t mid)
{
    return ((flags & MIDATLAS_F_NO_ZERO) && mid == 0x0000) ||
           ((flags & MIDATLAS_F_NO_FFFF) && mid == 0xFFFF);
}

const char *t_status_name(int status)
{
    switch (status) {
    case MIDATLAS_OK: return "MIDATLAS_OK";
    case MIDATLAS_EINVAL: return "MIDATLAS_EINVAL";
    case MIDATLAS_EFULL: return "MIDATLAS_EFULL";
    case MIDATLAS_ERANGE: return "MIDATLAS_ERANGE";
    case MIDATLAS_EFREE: return "MIDATLAS_EFREE";
    case MIDATLAS_ESTALE: return "MIDATLAS_ESTALE";
    case MIDATLAS_EDISCARDED: return "MIDATLAS_EDISCARDED";
    case MIDATLAS_EMISMATCH: return "MIDATLAS_EMISMATCH";
    case MIDATLAS_EBUSY: return "MIDATLAS_EBUSY";
    case MIDATLAS_ENOMEM: return "MIDATLAS_ENOMEM";
    case MIDATLAS_ETIMEDOUT: return "MIDATLAS_ETIMEDOUT";
    case MIDATLAS_ECLOSED: return "MIDATLAS_ECLOSED";
    default: return "(unknown status)";
    }
}

void t_assert_status(int got, int want, const char *expr, const char *file, int line)
{
    if (got == want)
        return;
    print_error("%s = %s (%d), expected %s (%d)\n", expr, t_status_name(got), got,
                t_status_name(want), want);
    _fail(file, line);
}

uint64_t t_seed(const char *test_name)
{
    const char *env = getenv("MIDATLAS_TEST_SEED");
    uint64_t seed;
    if (env && *env)
        seed = strtoull(env, NULL, 0);
    else
        seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    printf("[ SEED     ] %s: MIDATLAS_TEST_SEED=0x%016" PRIx64 "\n", test_name, seed);
    fflush(stdout);
    return seed;
}

uint64_t t_rand(uint64_t *state)
{
    /* splitmix64 (Steele, Lea, Flood 2014; constants from the public
     * reference description). */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t t_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)((t_rand(state) >> 32) * n >> 32);
}

void t_assert_same_stats(const struct midatlas_stats *a, const struct midatlas_stats *b)
{
    assert_int_equal(a->capacity, b->capacity);
    assert_int_equal(a->live, b->live);
    assert_int_equal(a->discarded, b->discarded);
    assert_int_equal(a->high_water, b->high_water);
    assert_int_equal(a->associations, b->associations);
    assert_int_equal(a->full_failures, b->full_failures);
    assert_int_equal(a->usable, b->usable);
    assert_int_equal(a->free, b->free);
    assert_int_equal(a->stripes, b->stripes);
    assert_int_equal(a->bytes, b->bytes);
}

void t_assert_valid(struct midatlas *atlas)
{
    const char *why = NULL;
    int rc = midatlas_validate(atlas, &why);
    if (rc != MIDATLAS_OK)
        print_error("midatlas_validate: %s\n", why ? why : "(no reason given)");
    assert_status(rc, MIDATLAS_OK);
}

unsigned t_slowdown(void)
{
#if defined(MIDATLAS_SANITIZE_THREAD)
    return 20;
#elif defined(MIDATLAS_SANITIZE_ADDRESS)
    return 5;
#else
    return 1;
#endif
}
