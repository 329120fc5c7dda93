/* SPDX-License-Identifier: MIT */
/*
 * reborn.c - a thread's hints (src/claim.h: the slot it freed last, its
 * scarce spell) belong to one atlas, and a new atlas that the allocator
 * puts at a destroyed one's address must not take them for its own.
 *
 * One thread: it holds most of an atlas and churns until it is in a scarce
 * spell (src/sweep.h, "Scarce atlases": its next associates try the slot
 * it freed last), then destroys the atlas and creates another of the same
 * shape.  The allocator here gives the last block freed back to the next
 * request that fits (the link wraps aligned_alloc and free: --wrap, see
 * CMakeLists.txt), so the new atlas lies where the old one did, as a real
 * allocator often puts it.  The new atlas is empty: from its first
 * handout it must rotate, no slot back within a lap (less the one chunk a
 * thread the scheduler moves may leave behind on the rseq path,
 * midatlas.h "Stale window").  When the hints were keyed by the atlas's
 * address, the new atlas handed the thread's last freed slot out again
 * after 1 handout.  Exit 1 on failure.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "midatlas.h"

void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *p);

/* The blocks aligned_alloc handed out (an atlas at a time here), and the
 * one freed block kept back for the next request that fits. */
static struct {
    void *p;
    size_t size;
} blocks[8], parked;

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    if (parked.p && size <= parked.size && (uintptr_t)parked.p % alignment == 0) {
        void *p = parked.p;
        parked.p = NULL;
        return p;
    }
    void *p = __real_aligned_alloc(alignment, size);
    for (size_t i = 0; p && i < sizeof blocks / sizeof blocks[0]; i++) {
        if (!blocks[i].p) {
            blocks[i].p = p;
            blocks[i].size = size;
            break;
        }
    }
    return p;
}

/* Forget block p (it goes back to the real allocator). */
static void forget(void *p)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (blocks[i].p == p)
            blocks[i].p = NULL;
}

void __wrap_free(void *p)
{
    for (size_t i = 0; p && i < sizeof blocks / sizeof blocks[0]; i++) {
        if (blocks[i].p == p) {
            if (parked.p) { /* only the latest block is kept back */
                forget(parked.p);
                __real_free(parked.p);
            }
            parked.p = p;
            parked.size = blocks[i].size;
            return;
        }
    }
    __real_free(p);
}

static uint32_t index_of(uint32_t capacity, uint16_t mid)
{
    uint32_t bits = 0;
    while ((1u << bits) < capacity)
        bits++;
    return mid & ((1u << bits) - 1u);
}

static uint32_t churn(struct midatlas *a, uint32_t capacity, uint32_t k)
{
    uint16_t mid;
    if (midatlas_associate(a, (void *)(uintptr_t)(0x1000u + 8u * k), &mid) != MIDATLAS_OK ||
        midatlas_dissociate(a, mid, NULL) != MIDATLAS_OK) {
        fprintf(stderr, "reborn: churn step %u failed\n", k);
        exit(1);
    }
    return index_of(capacity, mid);
}

static bool reborn(uint32_t capacity, uint32_t held)
{
    struct midatlas *a = NULL, *b = NULL;
    if (midatlas_create(&a, capacity, 0) != MIDATLAS_OK)
        return false;
    for (uint32_t i = 0; i < held; i++) {
        uint16_t mid;
        if (midatlas_associate(a, (void *)(uintptr_t)(0x100u + 8u * i), &mid) != MIDATLAS_OK)
            return false;
    }
    uint32_t k = 0;
    for (uint32_t n = 0; n < 2 * capacity; n++) /* into a scarce spell */
        churn(a, capacity, k++);
    void *old = a;
    midatlas_destroy(a, NULL, NULL);
    if (midatlas_create(&b, capacity, 0) != MIDATLAS_OK)
        return false;
    if ((void *)b != old) {
        fprintf(stderr, "reborn: capacity %u: the new atlas is not at the old address\n",
                capacity);
        return false;
    }
    uint32_t *last = calloc(capacity, sizeof *last);
    uint32_t lap = capacity > 64 ? capacity - 64 : capacity, soonest = UINT32_MAX;
    for (uint32_t n = 1; last && n <= 2 * capacity; n++) {
        uint32_t i = churn(b, capacity, k++);
        if (last[i] != 0 && n - last[i] < soonest)
            soonest = n - last[i];
        last[i] = n;
    }
    printf("reborn: capacity %u, a new atlas at the old one's address: a slot came back "
           "after %u handouts at the soonest (at least %u)\n",
           capacity, soonest, lap);
    free(last);
    midatlas_destroy(b, NULL, NULL);
    if (soonest < lap)
        fprintf(stderr, "FAIL: the new atlas took the old one's hints\n");
    return last && soonest >= lap;
}

int main(void)
{
    return reborn(64, 60) && reborn(4096, 4000) ? 0 : 1;
}
