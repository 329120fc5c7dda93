/* SPDX-License-Identifier: MIT */
/*
 * impl_ck_stack.c - free slots on one Concurrency Kit ck_stack, popped with
 * ck_stack_pop_mpmc (a CMPXCHG16B on head + generation counter, which is
 * how CK avoids ABA) and pushed with ck_stack_push_mpmc; slots hold their
 * context and generation in one atomic word (slot_word.h).
 *
 * Memory safety of the pop: ck_stack_pop_mpmc reads head->next of an entry
 * that another thread may have popped meanwhile.  Entries here are embedded
 * in the slot array, which lives as long as the table, so such a read is of
 * valid memory, and the generation in the double-width CAS makes the pop
 * fail if the head changed.
 *
 * EFULL: ck_stack_pop_mpmc returns NULL only when it read a NULL head, i.e.
 * at that instant no slot was on the list: every slot was live, or was
 * between its dissociating CAS and its push (a dissociate still in flight).
 */
#include <ck_stack.h>
#include <stddef.h>
#include <stdlib.h>

#include "impl.h"
#include "mid_layout.h"
#include "slot_word.h"

#ifndef CK_F_STACK_POP_MPMC
#error "ck_stack_pop_mpmc needs a double-width CAS (CK_F_PR_CAS_PTR_2_VALUE)"
#endif

struct ck_slot {
    ck_stack_entry_t entry; /* link while on the free stack */
    slot_word word;
};

struct ckstack_table {
    /* The head and its generation are what every thread CASes: own line,
     * 16-byte aligned as CMPXCHG16B requires. */
    _Alignas(64) ck_stack_t free;
    _Alignas(64) struct mid_layout layout;
    struct ck_slot *slots;
};

static struct ck_slot *slot_of(ck_stack_entry_t *e)
{
    return (struct ck_slot *)(void *)((char *)e - offsetof(struct ck_slot, entry));
}

static void *ckstack_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct ckstack_table *t = aligned_alloc(64, sizeof *t);
    if (t == NULL)
        return NULL;
    mid_layout_init(&t->layout, capacity);
    t->slots = calloc(capacity, sizeof *t->slots);
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    ck_stack_init(&t->free);
    /* Pushed in reverse so that slot 0 is on top: first MIDs 0, 1, 2... */
    for (uint32_t i = capacity; i-- > 0;) {
        slot_init_free(&t->slots[i].word, 0);
        ck_stack_push_mpmc(&t->free, &t->slots[i].entry);
    }
    return t;
}

static void ckstack_destroy(void *p)
{
    struct ckstack_table *t = p;
    if (t == NULL)
        return;
    free(t->slots);
    free(t);
}

static int ckstack_associate(void *p, void *ctx, uint16_t *mid)
{
    struct ckstack_table *t = p;
    if (!slot_ctx_ok(ctx) || mid == NULL)
        return MIDATLAS_EINVAL;
    /* The pop's load fences pair with the store fence in
     * ck_stack_push_upmc, so the free word written by slot_end before the
     * push is visible here. */
    ck_stack_entry_t *e = ck_stack_pop_mpmc(&t->free);
    if (e == NULL)
        return MIDATLAS_EFULL;
    struct ck_slot *s = slot_of(e);
    uint32_t gen = slot_owned_gen(&s->word);
    slot_publish(&s->word, gen, ctx);
    *mid = mid_make(&t->layout, (uint32_t)(s - t->slots), gen);
    return MIDATLAS_OK;
}

static void *ckstack_map(void *p, uint16_t mid)
{
    struct ckstack_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return NULL;
    return slot_map(&t->slots[i].word, mid_gen(&t->layout, mid));
}

static int ckstack_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct ckstack_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    struct ck_slot *s = &t->slots[i];
    uint32_t gen = mid_gen(&t->layout, mid);
    int st = slot_end(&s->word, gen, mid_gen_next(&t->layout, gen), ctx);
    if (st == MIDATLAS_OK)
        ck_stack_push_mpmc(&t->free, &s->entry); /* store fence, then CAS */
    return st;
}

static int ckstack_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct ckstack_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    return slot_swap_if(&t->slots[i].word, mid_gen(&t->layout, mid), expected, desired);
}

const struct mid_impl mid_impl_ck_stack = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .name = "ck-stack",
    .description = "free list on ck_stack (pop_mpmc, double-width CAS) + atomic slot words",
    .create = ckstack_create,
    .destroy = ckstack_destroy,
    .associate = ckstack_associate,
    .map = ckstack_map,
    .dissociate = ckstack_dissociate,
    .reassociate_if = ckstack_reassociate_if,
    .traits = MID_IMPL_TSAN_BLIND,
};
