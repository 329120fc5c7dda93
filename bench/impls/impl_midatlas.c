/*
 * impl_midatlas.c - midatlas itself behind impl.h: a thin adapter, one call
 * per member, so that the benchmark measures the library and nothing else.
 */
#include "impl.h"

static void *ma_create(uint32_t capacity)
{
    struct midatlas *a = NULL;
    return midatlas_create(&a, capacity, 0) == MIDATLAS_OK ? a : NULL;
}

static void ma_destroy(void *table)
{
    midatlas_destroy(table, NULL, NULL);
}

static int ma_associate(void *table, void *ctx, uint16_t *mid)
{
    return midatlas_associate(table, ctx, mid);
}

static void *ma_map(void *table, uint16_t mid)
{
    return midatlas_map(table, mid);
}

static int ma_dissociate(void *table, uint16_t mid, void **ctx)
{
    return midatlas_dissociate(table, mid, ctx);
}

static int ma_reassociate_if(void *table, uint16_t mid, void *expected, void *desired)
{
    return midatlas_reassociate_if(table, mid, expected, desired);
}

static uint64_t ma_cas_failures(void *table)
{
    struct midatlas_stats s;
    midatlas_stats(table, &s);
    return s.cas_failures;
}

const struct mid_impl mid_impl_midatlas = {
    .name = "midatlas",
    .description = "midatlas: tagged slot words, striped lock-free free lists",
    .create = ma_create,
    .destroy = ma_destroy,
    .associate = ma_associate,
    .map = ma_map,
    .dissociate = ma_dissociate,
    .reassociate_if = ma_reassociate_if,
    .cas_failures = ma_cas_failures,
};
