/* SPDX-License-Identifier: MIT */
/*
 * impl_mutex.c - the baseline: the fixed RDBSS-style table under ONE pthread
 * mutex, every call (map included) taken under it, as real RDBSS callers do.
 * Every ratio the benchmark prints is against this implementation.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>

#include "fixed_table.h"
#include "impl.h"

struct mutex_table {
    pthread_mutex_t lock;
    struct fixed_table table;
};

static void *mutex_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct mutex_table *m = malloc(sizeof *m);
    if (m == NULL)
        return NULL;
    if (fixed_table_init(&m->table, capacity) != 0) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void mutex_destroy(void *p)
{
    struct mutex_table *m = p;
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    fixed_table_fini(&m->table);
    free(m);
}

static int mutex_associate(void *p, void *ctx, uint16_t *mid)
{
    struct mutex_table *m = p;
    pthread_mutex_lock(&m->lock);
    int st = fixed_table_associate(&m->table, ctx, mid);
    pthread_mutex_unlock(&m->lock);
    return st;
}

static void *mutex_map(void *p, uint16_t mid)
{
    struct mutex_table *m = p;
    pthread_mutex_lock(&m->lock);
    void *ctx = fixed_table_map(&m->table, mid);
    pthread_mutex_unlock(&m->lock);
    return ctx;
}

static int mutex_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct mutex_table *m = p;
    pthread_mutex_lock(&m->lock);
    int st = fixed_table_dissociate(&m->table, mid, ctx);
    pthread_mutex_unlock(&m->lock);
    return st;
}

static int mutex_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct mutex_table *m = p;
    pthread_mutex_lock(&m->lock);
    int st = fixed_table_reassociate_if(&m->table, mid, expected, desired);
    pthread_mutex_unlock(&m->lock);
    return st;
}

const struct mid_impl mid_impl_mutex = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .name = "mutex",
    .description = "baseline: fixed table + LIFO free list under one pthread mutex (RDBSS callers)",
    .create = mutex_create,
    .destroy = mutex_destroy,
    .associate = mutex_associate,
    .map = mutex_map,
    .dissociate = mutex_dissociate,
    .reassociate_if = mutex_reassociate_if,
};
