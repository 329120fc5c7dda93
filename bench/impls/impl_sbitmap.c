/* SPDX-License-Identifier: MIT */
/*
 * impl_sbitmap.c - a bitmap allocator after Linux's sbitmap (lib/sbitmap.c,
 * the blk-mq tag allocator), with a context array of atomic slot words
 * (slot_word.h) to map MIDs back.
 *
 * What is taken from sbitmap: 64-bit words of allocation bits, each on its
 * own cache line; a per-thread (Linux: per-CPU) allocation hint where the
 * search starts, so threads spread over different words; a set bit is taken
 * with an atomic test-and-set (here fetch_or with acquire, Linux's
 * test_and_set_bit_lock) and given back with an atomic clear (fetch_and with
 * release, clear_bit_unlock); a freeing thread sets its hint to the bit it
 * freed (sbitmap_update_cpu_hint), so it reuses a cache-hot slot.  Not taken:
 * deferred clearing, batched allocation, wait queues (the contract here
 * fails with EFULL, like sbitmap's NOWAIT path).
 *
 * EFULL: returned after one pass that found every word full, which is what
 * sbitmap does.  It is exact whenever no other call runs, and with one word
 * (capacity <= 64) it is exact at all times: each fetch_or / load sees the
 * whole word at one instant.  With several words and racing frees it is not
 * linearisable: a bit freed in a word already passed while another thread
 * takes the last bit of a word still ahead can make a pass see "all full"
 * although one bit was free at every instant.  Making that exact would need
 * a version per word or a shared counter, neither of which sbitmap has; the
 * near-exhaustion benchmark counts EFULL per operation, so it shows if it
 * happens.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "impl.h"
#include "mid_layout.h"
#include "slot_word.h"

struct sb_word {
    _Alignas(64) _Atomic uint64_t bits; /* 1 = slot in use (or beyond capacity) */
};

struct sb_table {
    struct mid_layout layout;
    uint32_t nwords;
    struct sb_word *words;
    slot_word *slots;
};

/* Where this thread starts its next search: a bit index, clamped to the
 * table at use.  One hint per thread for all tables (Linux keeps one per CPU
 * per sbitmap); a hint that belongs to another table only moves the start. */
static _Thread_local uint32_t sb_hint;

static void *sb_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct sb_table *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    mid_layout_init(&t->layout, capacity);
    t->nwords = (capacity + 63) / 64;
    t->words = aligned_alloc(64, (size_t)t->nwords * sizeof *t->words);
    t->slots = calloc(capacity, sizeof *t->slots);
    if (t->words == NULL || t->slots == NULL) {
        free(t->words);
        free(t->slots);
        free(t);
        return NULL;
    }
    for (uint32_t w = 0; w < t->nwords; w++)
        atomic_init(&t->words[w].bits, 0);
    uint32_t tail = capacity % 64;
    if (tail != 0) /* bits past the capacity are never handed out */
        atomic_init(&t->words[t->nwords - 1].bits, ~UINT64_C(0) << tail);
    for (uint32_t i = 0; i < capacity; i++)
        slot_init_free(&t->slots[i], 0);
    return t;
}

static void sb_destroy(void *p)
{
    struct sb_table *t = p;
    if (t == NULL)
        return;
    free(t->words);
    free(t->slots);
    free(t);
}

/* Take a clear bit in word w at or above bit `from`; its index or -1. */
static int sb_take_in_word(struct sb_word *word, unsigned from)
{
    uint64_t cur = atomic_load_explicit(&word->bits, memory_order_relaxed);
    for (;;) {
        uint64_t clear = ~cur & (~UINT64_C(0) << from);
        if (clear == 0)
            return -1;
        unsigned b = (unsigned)__builtin_ctzll(clear);
        uint64_t bit = UINT64_C(1) << b;
        /* Acquire: pairs with the release fetch_and in sb_dissociate, so the
         * freed slot word (and its generation) is visible to the new owner. */
        cur = atomic_fetch_or_explicit(&word->bits, bit, memory_order_acquire);
        if ((cur & bit) == 0)
            return (int)b;
        /* Lost the bit to another thread; cur is fresh, look again. */
    }
}

/* A free slot index, or -1 after a pass over every word found none. */
static int32_t sb_get(struct sb_table *t)
{
    uint32_t hint = sb_hint < t->layout.capacity ? sb_hint : 0;
    uint32_t w = hint / 64;
    unsigned from = hint % 64;
    /* nwords + 1 visits: the hinted word from the hint up, every other word
     * whole, then the hinted word again from bit 0. */
    for (uint32_t n = 0; n <= t->nwords; n++) {
        int b = sb_take_in_word(&t->words[w], from);
        if (b >= 0) {
            uint32_t idx = w * 64 + (uint32_t)b;
            sb_hint = idx + 1; /* next search starts after it, as sbitmap */
            return (int32_t)idx;
        }
        from = 0;
        w = w + 1 == t->nwords ? 0 : w + 1;
    }
    return -1;
}

static int sb_associate(void *p, void *ctx, uint16_t *mid)
{
    struct sb_table *t = p;
    if (!slot_ctx_ok(ctx) || mid == NULL)
        return MIDATLAS_EINVAL;
    int32_t idx = sb_get(t);
    if (idx < 0)
        return MIDATLAS_EFULL;
    uint32_t gen = slot_owned_gen(&t->slots[idx]);
    slot_publish(&t->slots[idx], gen, ctx);
    *mid = mid_make(&t->layout, (uint32_t)idx, gen);
    return MIDATLAS_OK;
}

static void *sb_map(void *p, uint16_t mid)
{
    struct sb_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return NULL;
    return slot_map(&t->slots[i], mid_gen(&t->layout, mid));
}

static int sb_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct sb_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    uint32_t gen = mid_gen(&t->layout, mid);
    int st = slot_end(&t->slots[i], gen, mid_gen_next(&t->layout, gen), ctx);
    if (st != MIDATLAS_OK)
        return st;
    /* Release: pairs with the acquire fetch_or in sb_take_in_word. */
    atomic_fetch_and_explicit(&t->words[i / 64].bits, ~(UINT64_C(1) << (i % 64)),
                              memory_order_release);
    sb_hint = i; /* reuse the slot just freed: its lines are in this cache */
    return MIDATLAS_OK;
}

static int sb_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct sb_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    return slot_swap_if(&t->slots[i], mid_gen(&t->layout, mid), expected, desired);
}

const struct mid_impl mid_impl_sbitmap = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .name = "sbitmap",
    .description = "bitmap allocator after Linux sbitmap (per-line words, per-thread hint)",
    .create = sb_create,
    .destroy = sb_destroy,
    .associate = sb_associate,
    .map = sb_map,
    .dissociate = sb_dissociate,
    .reassociate_if = sb_reassociate_if,
};
