/* SPDX-License-Identifier: MIT */
/*
 * impl_ck_spin.c - the fixed RDBSS-style table (fixed_table.h) under one
 * Concurrency Kit spin lock: the best lock-based peer, the shape of the
 * Linux SMB1 client (mids under a spin lock) and 9P (idr under a spin lock).
 *
 * Which CK lock: ck_spinlock_ticket rather than ck_spinlock_mcs.
 *   - Uncontended cost: a ticket lock is one fetch-and-add to take and one
 *     plain store to release; MCS takes an exchange on the tail plus, on
 *     release, a CAS on the tail (and a queue node to set up), so ticket is
 *     cheaper on the 1-thread and 2-thread points that dominate here.
 *   - Contention: MCS's advantage is that each waiter spins on its own line,
 *     which matters with many cores hammering one lock; with 2 cores there
 *     is one other spinner at most, so ticket loses nothing.
 *   - Preemption (threads > cores): both are FIFO, so both hand the lock to a
 *     waiter that may be descheduled and stall everyone behind it for a time
 *     slice.  Neither is better there; that collapse is what the 4- and
 *     8-thread points are meant to show for lock-based designs.
 * ck_spinlock_ticket_lock / _unlock include the acquire / release barriers
 * that order the table accesses inside the critical section.
 */
#include <ck_spinlock.h>
#include <stdlib.h>

#include "fixed_table.h"
#include "impl.h"

struct spin_table {
    ck_spinlock_ticket_t lock;
    struct fixed_table table;
};

static void *spin_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct spin_table *m = malloc(sizeof *m);
    if (m == NULL)
        return NULL;
    if (fixed_table_init(&m->table, capacity) != 0) {
        free(m);
        return NULL;
    }
    ck_spinlock_ticket_init(&m->lock);
    return m;
}

static void spin_destroy(void *p)
{
    struct spin_table *m = p;
    if (m == NULL)
        return;
    fixed_table_fini(&m->table);
    free(m);
}

static int spin_associate(void *p, void *ctx, uint16_t *mid)
{
    struct spin_table *m = p;
    ck_spinlock_ticket_lock(&m->lock);
    int st = fixed_table_associate(&m->table, ctx, mid);
    ck_spinlock_ticket_unlock(&m->lock);
    return st;
}

static void *spin_map(void *p, uint16_t mid)
{
    struct spin_table *m = p;
    ck_spinlock_ticket_lock(&m->lock);
    void *ctx = fixed_table_map(&m->table, mid);
    ck_spinlock_ticket_unlock(&m->lock);
    return ctx;
}

static int spin_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct spin_table *m = p;
    ck_spinlock_ticket_lock(&m->lock);
    int st = fixed_table_dissociate(&m->table, mid, ctx);
    ck_spinlock_ticket_unlock(&m->lock);
    return st;
}

static int spin_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct spin_table *m = p;
    ck_spinlock_ticket_lock(&m->lock);
    int st = fixed_table_reassociate_if(&m->table, mid, expected, desired);
    ck_spinlock_ticket_unlock(&m->lock);
    return st;
}

const struct mid_impl mid_impl_ck_spin = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .name = "ck-spin",
    .description = "fixed table + LIFO free list under a Concurrency Kit ticket spin lock",
    .create = spin_create,
    .destroy = spin_destroy,
    .associate = spin_associate,
    .map = spin_map,
    .dissociate = spin_dissociate,
    .reassociate_if = spin_reassociate_if,
    .traits = MID_IMPL_TSAN_BLIND,
};
