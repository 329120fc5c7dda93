/* SPDX-License-Identifier: MIT */
/*
 * bitmap_mutex.c - a complete, tiny MID allocator as a midatlas harness
 * plugin: copy this file, replace the allocator, keep the table at the end.
 *
 * The allocator: one pthread mutex around a bitmap of used ids and an array
 * of contexts.  associate takes the lowest clear bit; the MID is
 * generation << 8 | index (256 ids at most), so a late reply carrying an old
 * MID finds another generation and is refused, as the ABI asks.
 *
 * Build:   cmake -S . -B build -DCMAKE_PREFIX_PATH=<midatlas prefix>
 *          cmake --build build           (or: make, with pkg-config)
 * Run:     midatlas-conform --impl ./build/bitmap_mutex.so
 *          midatlas-stress  --impl ./build/bitmap_mutex.so --workload all
 *          midatlas-bench   --impl ./build/bitmap_mutex.so
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <midatlas/harness.h>

#define MAX_IDS 256u

struct table {
    pthread_mutex_t lock;
    uint32_t capacity;
    uint64_t used[MAX_IDS / 64];
    uint8_t gen[MAX_IDS];  /* generation of each index's current MID */
    void *ctx[MAX_IDS];    /* NULL while free */
};

static uint16_t mid_of(const struct table *t, uint32_t i)
{
    return (uint16_t)(t->gen[i] << 8 | i);
}

/* The index of a live MID, or -1 when mid names no live association. */
static int live_index(const struct table *t, uint16_t mid)
{
    uint32_t i = mid & 0xFFu;
    if (i >= t->capacity || t->ctx[i] == NULL || t->gen[i] != mid >> 8)
        return -1;
    return (int)i;
}

static void *bm_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MAX_IDS)
        return NULL; /* the harness asks for 1..max_capacity only */
    struct table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->capacity = capacity;
    return t;
}

static void bm_destroy(void *p)
{
    struct table *t = p;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static int bm_associate(void *p, void *ctx, uint16_t *mid)
{
    struct table *t = p;
    int st = MIDATLAS_EFULL;
    pthread_mutex_lock(&t->lock);
    for (uint32_t w = 0; w * 64 < t->capacity; w++) {
        if (t->used[w] == UINT64_MAX)
            continue;
        uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(~t->used[w]);
        if (i >= t->capacity)
            break;
        t->used[w] |= 1ull << (i % 64);
        t->gen[i]++; /* a new MID value for this index */
        t->ctx[i] = ctx;
        *mid = mid_of(t, i);
        st = MIDATLAS_OK;
        break;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

static void *bm_map(void *p, uint16_t mid)
{
    struct table *t = p;
    pthread_mutex_lock(&t->lock);
    int i = live_index(t, mid);
    void *ctx = i < 0 ? NULL : t->ctx[i];
    pthread_mutex_unlock(&t->lock);
    return ctx;
}

static int bm_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct table *t = p;
    pthread_mutex_lock(&t->lock);
    int i = live_index(t, mid);
    if (i >= 0) {
        if (ctx != NULL)
            *ctx = t->ctx[i];
        t->ctx[i] = NULL;
        t->used[i / 64] &= ~(1ull << (i % 64));
    }
    pthread_mutex_unlock(&t->lock);
    return i < 0 ? MIDATLAS_EFREE : MIDATLAS_OK;
}

static int bm_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct table *t = p;
    pthread_mutex_lock(&t->lock);
    int i = live_index(t, mid), st = MIDATLAS_EFREE;
    if (i >= 0) {
        st = t->ctx[i] == expected ? MIDATLAS_OK : MIDATLAS_EMISMATCH;
        if (st == MIDATLAS_OK)
            t->ctx[i] = desired;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

static const struct mid_impl bitmap_mutex = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .max_capacity = MAX_IDS,
    .name = "bitmap-mutex",
    .description = "example plugin: lowest free bit under one pthread mutex",
    .create = bm_create,
    .destroy = bm_destroy,
    .associate = bm_associate,
    .map = bm_map,
    .dissociate = bm_dissociate,
    .reassociate_if = bm_reassociate_if,
};

MIDATLAS_HARNESS_PLUGIN(bitmap_mutex)
