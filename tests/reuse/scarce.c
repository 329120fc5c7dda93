/* SPDX-License-Identifier: MIT */
/*
 * scarce.c - the scarce path (src/sweep.h, "Scarce atlases") starts when an
 * atlas is more than half in use and ends when it is not any more.
 *
 * One thread, so every step is deterministic:
 *   1. capacity 64 with 60 MIDs held: churning one more MID must, after
 *      the first sweeps over the used slots, reuse the slot it just freed
 *      at least half the time (LIFO; a look at one chunk at the end of a
 *      spell may send it round the few free slots once more; without the
 *      scarce path it would come back once per 96 handouts at 4096);
 *   2. then every held MID is freed: within SCARCE_CALLS_MAX + 64 handouts
 *      the rotation must be back, i.e. a window of 64 handouts in a row
 *      that uses 64 different slots (an atlas stuck in the scarce path would
 *      reuse one slot for ever: the stale window would be lost for good);
 *   3. the same at capacity 4096 with 4000 held and then none.
 * Prints what it saw; exit 1 on the first failure.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

#define MAX_SPELL 4096u /* SCARCE_CALLS_MAX in src/sweep.h */

static void *ctx_of(uint32_t i)
{
    return (void *)(uintptr_t)(0x1000u + 8u * i);
}

static uint32_t index_of(struct midatlas *a, uint16_t mid)
{
    uint32_t bits = 0;
    while ((1u << bits) < midatlas_capacity(a))
        bits++;
    return mid & ((1u << bits) - 1u);
}

/* One churn step: associate, dissociate; the slot index it used. */
static uint32_t churn(struct midatlas *a, uint32_t k)
{
    uint16_t mid;
    if (midatlas_associate(a, ctx_of(100000 + k), &mid) != MIDATLAS_OK ||
        midatlas_dissociate(a, mid, NULL) != MIDATLAS_OK) {
        fprintf(stderr, "scarce: churn step %u failed\n", k);
        exit(1);
    }
    return index_of(a, mid);
}

static bool run(uint32_t capacity, uint32_t held)
{
    struct midatlas *a = NULL;
    uint16_t *mids = calloc(held, sizeof *mids);
    if (!mids || midatlas_create(&a, capacity, 0) != MIDATLAS_OK)
        return false;
    for (uint32_t i = 0; i < held; i++)
        if (midatlas_associate(a, ctx_of(i), &mids[i]) != MIDATLAS_OK)
            return false;

    /* 1. More than half in use: after the first sweeps, the same slot. */
    uint32_t k = 0, first = 0, same = 0;
    for (uint32_t n = 0; n < 2 * capacity; n++)
        churn(a, k++);
    first = churn(a, k++);
    for (uint32_t n = 0; n < 256; n++)
        same += churn(a, k++) == first;
    printf("capacity %u, %u held: the last freed slot came back %u of 256 times\n", capacity,
           held, same);
    if (same < 128) {
        fprintf(stderr, "FAIL: a scarce atlas should reuse the thread's freed slot\n");
        return false;
    }

    /* 2. Empty again: the rotation must come back. */
    for (uint32_t i = 0; i < held; i++)
        if (midatlas_dissociate(a, mids[i], NULL) != MIDATLAS_OK)
            return false;
    unsigned char *seen = calloc(capacity, 1);
    uint32_t limit = MAX_SPELL + 4 * capacity, n = 0;
    bool rotating = false;
    while (!rotating && n < limit) {
        memset(seen, 0, capacity);
        uint32_t distinct = 0;
        for (uint32_t w = 0; w < 64 && w < capacity; w++, n++) {
            uint32_t i = churn(a, k++);
            distinct += !seen[i];
            seen[i] = 1;
        }
        rotating = distinct == (capacity < 64 ? capacity : 64);
    }
    printf("capacity %u, emptied: rotation back after %u handouts (limit %u)\n", capacity, n,
           limit);
    free(seen);
    free(mids);
    midatlas_destroy(a, NULL, NULL);
    if (!rotating)
        fprintf(stderr, "FAIL: an emptied atlas stayed in the scarce path\n");
    return rotating;
}

int main(void)
{
    bool ok = run(64, 60) && run(4096, 4000);
    return ok ? 0 : 1;
}
