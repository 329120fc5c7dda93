/* SPDX-License-Identifier: MIT */
/*
 * bad_plugins.c - plugins the harness must refuse (ctest plugin.refuse.*):
 * one built for another ABI version, one whose features promise a call it
 * does not have, one whose name a report cannot carry (a '/' splits a
 * benchmark's name).  Nothing here is ever called.
 */
#include "impl.h"

static void *never_create(uint32_t capacity)
{
    (void)capacity;
    return NULL;
}

static void never_destroy(void *t)
{
    (void)t;
}

static int never_associate(void *t, void *ctx, uint16_t *mid)
{
    (void)t, (void)ctx, (void)mid;
    return MIDATLAS_EFULL;
}

static void *never_map(void *t, uint16_t mid)
{
    (void)t, (void)mid;
    return NULL;
}

static int never_dissociate(void *t, uint16_t mid, void **ctx)
{
    (void)t, (void)mid, (void)ctx;
    return MIDATLAS_EFREE;
}

#define NEVER_CALLS                                                                        \
    .create = never_create, .destroy = never_destroy, .associate = never_associate,       \
    .map = never_map, .dissociate = never_dissociate

const struct mid_impl bad_abi_version = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION + 98,
    .name = "bad-abi-version",
    NEVER_CALLS,
};

const struct mid_impl bad_missing_call = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_DRAIN, /* ...but no drain */
    .name = "bad-missing-call",
    NEVER_CALLS,
};

const struct mid_impl bad_name = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .name = "mine/v2",
    NEVER_CALLS,
};
