/* SPDX-License-Identifier: MIT */
/*
 * waitable_mutex_cv.c - the baseline of bench_wait: the fixed table the
 * `mutex` peer uses, under one pthread mutex, plus one condition variable.
 * associate waits on the condition variable while the table is full;
 * dissociate signals it when anyone waits.  Not FIFO (see waitable.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fixed_table.h"
#include "waitable.h"

struct mutex_cv {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    /* Written under the lock; atomic only so that queued() may poll it. */
    atomic_uint waiting;
    struct fixed_table table;
};

static void *mcv_create(uint32_t capacity)
{
    struct mutex_cv *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    if (fixed_table_init(&m->table, capacity) != 0) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->freed, NULL);
    atomic_init(&m->waiting, 0);
    return m;
}

static void mcv_destroy(void *t)
{
    struct mutex_cv *m = t;
    pthread_cond_destroy(&m->freed);
    pthread_mutex_destroy(&m->lock);
    fixed_table_fini(&m->table);
    free(m);
}

static int mcv_associate_wait(void *t, void *ctx, uint16_t *mid)
{
    struct mutex_cv *m = t;
    pthread_mutex_lock(&m->lock);
    int rc = fixed_table_associate(&m->table, ctx, mid);
    if (rc == MIDATLAS_EFULL) {
        /* relaxed: the lock orders it; queued() only polls it */
        atomic_fetch_add_explicit(&m->waiting, 1, memory_order_relaxed);
        while ((rc = fixed_table_associate(&m->table, ctx, mid)) == MIDATLAS_EFULL)
            pthread_cond_wait(&m->freed, &m->lock);
        atomic_fetch_sub_explicit(&m->waiting, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static void *mcv_map(void *t, uint16_t mid)
{
    struct mutex_cv *m = t;
    pthread_mutex_lock(&m->lock);
    void *ctx = fixed_table_map(&m->table, mid);
    pthread_mutex_unlock(&m->lock);
    return ctx;
}

static int mcv_dissociate(void *t, uint16_t mid)
{
    struct mutex_cv *m = t;
    pthread_mutex_lock(&m->lock);
    int rc = fixed_table_dissociate(&m->table, mid, NULL);
    if (rc == MIDATLAS_OK && atomic_load_explicit(&m->waiting, memory_order_relaxed))
        pthread_cond_signal(&m->freed);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static uint32_t mcv_queued(void *t)
{
    struct mutex_cv *m = t;
    return atomic_load_explicit(&m->waiting, memory_order_relaxed);
}

const struct waitable waitable_mutex_cv = {
    .name = "mutex+cv",
    .create = mcv_create,
    .destroy = mcv_destroy,
    .associate_wait = mcv_associate_wait,
    .map = mcv_map,
    .dissociate = mcv_dissociate,
    .queued = mcv_queued,
};
