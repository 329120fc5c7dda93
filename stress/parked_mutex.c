/* SPDX-License-Identifier: MIT */
/*
 * parked_mutex.c - the mutex baseline of bench/impls/impl_mutex.c (the same
 * fixed_table.h under one pthread mutex, every call taken under it), with the
 * lock-freedom test's hook called inside the critical section at the points
 * matching midatlas's: after associate took a free slot, after dissociate
 * freed one.  impl_mutex.c itself has no hook, and a hook belongs only in a
 * test build, so this copy of its four small wrappers lives here.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "fixed_table.h"
#include "parked.h"

#define CAPACITY 64u

struct parked_mutex {
    pthread_mutex_t lock;
    struct fixed_table table;
};

void *parked_mutex_create(void)
{
    struct parked_mutex *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    if (fixed_table_init(&m->table, CAPACITY) != 0) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void parked_mutex_destroy(void *p)
{
    struct parked_mutex *m = p;
    pthread_mutex_destroy(&m->lock);
    fixed_table_fini(&m->table);
    free(m);
}

int parked_mutex_associate(void *p, void *ctx, uint16_t *mid)
{
    struct parked_mutex *m = p;
    pthread_mutex_lock(&m->lock);
    int st = fixed_table_associate(&m->table, ctx, mid);
    if (st == MIDATLAS_OK)
        parked_hook(MIDATLAS_HOOK_CLAIM_FOUND, *mid);
    pthread_mutex_unlock(&m->lock);
    return st;
}

void *parked_mutex_map(void *p, uint16_t mid)
{
    struct parked_mutex *m = p;
    pthread_mutex_lock(&m->lock);
    void *ctx = fixed_table_map(&m->table, mid);
    pthread_mutex_unlock(&m->lock);
    return ctx;
}

int parked_mutex_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct parked_mutex *m = p;
    pthread_mutex_lock(&m->lock);
    int st = fixed_table_dissociate(&m->table, mid, ctx);
    if (st == MIDATLAS_OK)
        parked_hook(MIDATLAS_HOOK_DISSOCIATE_WON, mid);
    pthread_mutex_unlock(&m->lock);
    return st;
}
