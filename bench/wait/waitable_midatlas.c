/* SPDX-License-Identifier: MIT */
/*
 * waitable_midatlas.c - midatlas behind waitable.h.  queued() reads the
 * atlas's internal waiter count (src/atlas.h): the handoff benchmark frees a
 * MID only once the other thread is really queued, so that it measures a
 * handoff to a sleeping waiter and nothing else.
 */
#include "waitable.h"

#include "atlas.h"
#include "midatlas.h"

static void *m_create(uint32_t capacity)
{
    struct midatlas *a = NULL;
    return midatlas_create(&a, capacity, 0) == MIDATLAS_OK ? a : NULL;
}

static void m_destroy(void *t)
{
    midatlas_destroy(t, NULL, NULL);
}

static int m_associate_wait(void *t, void *ctx, uint16_t *mid)
{
    return midatlas_associate_wait(t, ctx, mid, -1);
}

static void *m_map(void *t, uint16_t mid)
{
    return midatlas_map(t, mid);
}

static int m_dissociate(void *t, uint16_t mid)
{
    return midatlas_dissociate(t, mid, NULL);
}

static uint32_t m_queued(void *t)
{
    struct midatlas *a = t;
    /* relaxed: polled; the handoff itself synchronises through the atlas.
     * The gate word counts queued waiters below its GATE_CLOSED bit. */
    return atomic_load_explicit(&a->gate, memory_order_relaxed) & GATE_WAITERS;
}

const struct waitable waitable_midatlas = {
    .name = "midatlas",
    .create = m_create,
    .destroy = m_destroy,
    .associate_wait = m_associate_wait,
    .map = m_map,
    .dissociate = m_dissociate,
    .queued = m_queued,
};
