/* SPDX-License-Identifier: MIT */
/*
 * lying_plugins.c - tables that break one rule of the plugin ABI quietly,
 * which midatlas-conform must catch (ctest plugin.catch.*), and one that
 * keeps every rule with the required calls alone (required_only: the
 * harness must not call what a table does not have; midatlas-stress's
 * churn once called its missing reassociate_if and died, ctest
 * stress.required-only).  Each is the midatlas library behind the required
 * calls, the lying ones with one lie:
 *   lying_null_ctx    a dissociate that fails writes NULL into *ctx (the
 *                     ABI: a failed call leaves out-parameters untouched);
 *                     conform once checked that with NULL as its marker
 *   lying_junk_drain  drain also visits a context it never handed out;
 *                     conform once counted only the contexts it knew
 */
#include "impl.h"

static void *lie_create(uint32_t capacity)
{
    struct midatlas *a = NULL;
    return midatlas_create(&a, capacity, 0) == MIDATLAS_OK ? a : NULL;
}

static void lie_destroy(void *t)
{
    midatlas_destroy(t, NULL, NULL);
}

static int lie_associate(void *t, void *ctx, uint16_t *mid)
{
    return midatlas_associate(t, ctx, mid);
}

static void *lie_map(void *t, uint16_t mid)
{
    return midatlas_map(t, mid);
}

static int honest_dissociate(void *t, uint16_t mid, void **ctx)
{
    return midatlas_dissociate(t, mid, ctx);
}

static int null_ctx_dissociate(void *t, uint16_t mid, void **ctx)
{
    int st = midatlas_dissociate(t, mid, ctx);
    if (st != MIDATLAS_OK && ctx)
        *ctx = NULL;
    return st;
}

static size_t junk_drain(void *t, midatlas_visit_fn *fn, void *arg)
{
    size_t n = midatlas_drain(t, fn, arg);
    if (fn)
        fn((void *)(uintptr_t)0x1000, 0x0001, arg); /* never handed out */
    return n;
}

/* The honest required calls but dissociate, which each table names. */
#define LIE_CALLS                                                                          \
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION, .create = lie_create,                     \
    .destroy = lie_destroy, .associate = lie_associate, .map = lie_map

const struct mid_impl lying_null_ctx = {
    LIE_CALLS,
    .name = "lying-null-ctx",
    .dissociate = null_ctx_dissociate,
};

const struct mid_impl required_only = {
    LIE_CALLS,
    .name = "required-only",
    .dissociate = honest_dissociate,
};

const struct mid_impl lying_junk_drain = {
    LIE_CALLS,
    .features = MID_IMPL_HAS_DRAIN,
    .name = "lying-junk-drain",
    .dissociate = honest_dissociate,
    .drain = junk_drain,
};
