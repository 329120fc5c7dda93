/* SPDX-License-Identifier: MIT */
/*
 * fixed_table.h - the table the lock-based peers (mutex, ck-spin) guard: a
 * flat array of slots allocated once at its full capacity, with the free
 * slots linked into one LIFO list, as RDBSS's MID atlas keeps them (RDBSS
 * grows a 3-level table lazily; a flat array is the same table once grown,
 * which is the state a benchmark measures).  Nothing here is atomic: every
 * function must be called with the caller's lock held, exactly as RDBSS
 * callers wrap every call, lookups included, in their own lock.
 *
 * Generations follow mid_layout.h, so the lock-based peers reject stale MIDs
 * like every other implementation.
 */
#ifndef MIDATLAS_BENCH_FIXED_TABLE_H
#define MIDATLAS_BENCH_FIXED_TABLE_H

#include <stdint.h>
#include <stdlib.h>

#include "mid_layout.h"
#include "midatlas.h"

#define FIXED_TABLE_NONE UINT32_MAX

struct fixed_slot {
    void *ctx;     /* NULL while free                                      */
    uint32_t gen;  /* generation of the slot's current (or next) MID       */
    uint32_t next; /* next free slot while free, else unused              */
};

struct fixed_table {
    struct mid_layout layout;
    uint32_t free_head; /* FIXED_TABLE_NONE when every slot is live        */
    struct fixed_slot *slots;
};

/* 0 on success, -1 when out of memory. */
static inline int fixed_table_init(struct fixed_table *t, uint32_t capacity)
{
    mid_layout_init(&t->layout, capacity);
    t->slots = calloc(capacity, sizeof *t->slots);
    if (t->slots == NULL)
        return -1;
    /* Slot 0 at the head, so the first MIDs are 0, 1, 2... as in midatlas. */
    for (uint32_t i = 0; i < capacity; i++)
        t->slots[i].next = i + 1 < capacity ? i + 1 : FIXED_TABLE_NONE;
    t->free_head = 0;
    return 0;
}

static inline void fixed_table_fini(struct fixed_table *t)
{
    free(t->slots);
    t->slots = NULL;
}

static inline int fixed_table_associate(struct fixed_table *t, void *ctx, uint16_t *mid)
{
    if (ctx == NULL || mid == NULL)
        return MIDATLAS_EINVAL;
    uint32_t i = t->free_head;
    if (i == FIXED_TABLE_NONE)
        return MIDATLAS_EFULL;
    struct fixed_slot *s = &t->slots[i];
    t->free_head = s->next;
    s->ctx = ctx;
    *mid = mid_make(&t->layout, i, s->gen);
    return MIDATLAS_OK;
}

/* The live slot mid names, or NULL with the reason in *status. */
static inline struct fixed_slot *fixed_table_live(struct fixed_table *t, uint16_t mid, int *status)
{
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity) {
        *status = MIDATLAS_ERANGE;
        return NULL;
    }
    struct fixed_slot *s = &t->slots[i];
    if (s->ctx == NULL) {
        *status = MIDATLAS_EFREE;
        return NULL;
    }
    if (s->gen != mid_gen(&t->layout, mid)) {
        *status = MIDATLAS_ESTALE;
        return NULL;
    }
    *status = MIDATLAS_OK;
    return s;
}

static inline void *fixed_table_map(struct fixed_table *t, uint16_t mid)
{
    int st;
    struct fixed_slot *s = fixed_table_live(t, mid, &st);
    return s != NULL ? s->ctx : NULL;
}

static inline int fixed_table_dissociate(struct fixed_table *t, uint16_t mid, void **ctx)
{
    int st;
    struct fixed_slot *s = fixed_table_live(t, mid, &st);
    if (s == NULL)
        return st;
    if (ctx != NULL)
        *ctx = s->ctx;
    s->ctx = NULL;
    s->gen = mid_gen_next(&t->layout, s->gen);
    uint32_t i = (uint32_t)(s - t->slots);
    s->next = t->free_head;
    t->free_head = i;
    return MIDATLAS_OK;
}

static inline int fixed_table_reassociate_if(struct fixed_table *t, uint16_t mid, void *expected,
                                             void *desired)
{
    if (expected == NULL || desired == NULL)
        return MIDATLAS_EINVAL;
    int st;
    struct fixed_slot *s = fixed_table_live(t, mid, &st);
    if (s == NULL)
        return st;
    if (s->ctx != expected)
        return MIDATLAS_EMISMATCH;
    s->ctx = desired;
    return MIDATLAS_OK;
}

#endif /* MIDATLAS_BENCH_FIXED_TABLE_H */
