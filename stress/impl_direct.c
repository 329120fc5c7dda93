/*
 * impl_direct.c - midatlas behind the implementation interface, calling the
 * library the harness was linked with.
 *
 * The harness keeps its own adapter (rather than bench/impls' entry) so that
 * the table it drives is known to be a struct midatlas *: the workloads and
 * checks that impl.h cannot express (discard, release, drain, lookup, stats,
 * validate) call midatlas directly on it, and the broken and hooked builds
 * link this file against their own copy of the library.
 */
#include "stress.h"

static void *direct_create(uint32_t capacity)
{
    struct midatlas *a = NULL;
    return midatlas_create(&a, capacity, 0) == MIDATLAS_OK ? a : NULL;
}

static void direct_destroy(void *t)
{
    midatlas_destroy(t, NULL, NULL);
}

static int direct_associate(void *t, void *ctx, uint16_t *mid)
{
    return midatlas_associate(t, ctx, mid);
}

static void *direct_map(void *t, uint16_t mid)
{
    return midatlas_map(t, mid);
}

static int direct_dissociate(void *t, uint16_t mid, void **ctx)
{
    return midatlas_dissociate(t, mid, ctx);
}

static int direct_reassociate_if(void *t, uint16_t mid, void *expected, void *desired)
{
    return midatlas_reassociate_if(t, mid, expected, desired);
}

const struct mid_impl stress_midatlas_direct = {
    .name = "midatlas",
    .description = "midatlas itself, driven through its full API",
    .create = direct_create,
    .destroy = direct_destroy,
    .associate = direct_associate,
    .map = direct_map,
    .dissociate = direct_dissociate,
    .reassociate_if = direct_reassociate_if,
};
