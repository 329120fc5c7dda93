/* SPDX-License-Identifier: MIT */
/*
 * impl_urcu_lfs.c - free slots on liburcu's lock-free stack (cds_lfs), used
 * the way urcu/lfstack.h documents, with atomic slot words (slot_word.h).
 *
 * Which pop synchronisation, and why it is correct.  lfstack.h requires
 * __cds_lfs_pop callers to be synchronised against each other by one of:
 * (1) an RCU read-side critical section around the pop, with the popped node
 * not pushed back onto the stack until a grace period has passed; (2) a
 * mutex (cds_lfs_pop_blocking); (3) a single popper.  (2) would make every
 * associate take a mutex, i.e. the mutex baseline again; this peer uses (1),
 * the lock-free way:
 *   - associate pops from `free` under rcu_read_lock;
 *   - dissociate, after winning the slot word, pushes the slot's node onto a
 *     second stack, `pending`.  That writes the node's link, which lfstack.h
 *     allows right after the pop ("valid to overwrite the content of
 *     cds_lfs_node immediately"); what it forbids is pushing it back onto the
 *     stack it was popped from before a grace period.  `pending` is only
 *     ever emptied with __cds_lfs_pop_all under `refill_lock` (technique (2)
 *     for that stack; pushes need no synchronisation);
 *   - when `free` is empty, associate refills it: under refill_lock it takes
 *     all of `pending`, waits for a grace period (synchronize_rcu: every pop
 *     that might still hold one of these nodes as its head has finished) and
 *     only then pushes the nodes onto `free`.
 * The refill is the slow, blocking part of this design (a grace period costs
 * microseconds); with capacity C it runs at most once per C associations in
 * a churn, and at every associate near exhaustion - that is the documented
 * price of RCU-protected pops, and the benchmark shows it.
 *
 * EFULL is honest: it is returned only when a pop found `free` empty, no
 * refill completed since before that pop (refills, read with acquire before
 * the pop, unchanged under refill_lock) and `pending` is empty under the
 * lock: at that instant no slot was free except those whose dissociate was
 * still between its CAS and its push.
 *
 * Threads must be registered with liburcu (memb flavour): thread_init /
 * thread_fini below; an unregistered caller of associate aborts loudly.
 */
#define _POSIX_C_SOURCE 200809L
/* liburcu's inline (LGPL) versions of push/pop/read_lock, as a fast user
 * would build it.  Not under ASan+UBSan: the inline cds_lfs_push computes
 * &head->node with head == NULL (liburcu's idiom for the end of the stack),
 * which UBSan reports as a null member access; the out-of-line copies in
 * liburcu.so / liburcu-cds.so are the same documented API, uninstrumented. */
#ifndef MIDATLAS_SANITIZE_ADDRESS
#define _LGPL_SOURCE 1
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <urcu.h>
#include <urcu/lfstack.h>

#include "impl.h"
#include "mid_layout.h"
#include "slot_word.h"

struct urcu_slot {
    struct cds_lfs_node node; /* on `free` or `pending` while free */
    slot_word word;
};

struct urcu_table {
    _Alignas(64) struct __cds_lfs_stack free;    /* ready for reuse          */
    _Alignas(64) struct __cds_lfs_stack pending; /* freed, awaiting a grace period */
    _Alignas(64) pthread_mutex_t refill_lock;    /* serialises pop_all(pending) */
    _Atomic uint64_t refills; /* completed refills; written under refill_lock */
    struct mid_layout layout;
    struct urcu_slot *slots;
};

static _Thread_local bool urcu_registered;

static void urcu_thread_init(void)
{
    rcu_register_thread();
    urcu_registered = true;
}

static void urcu_thread_fini(void)
{
    urcu_registered = false;
    rcu_unregister_thread();
}

static struct urcu_slot *slot_of(struct cds_lfs_node *n)
{
    return (struct urcu_slot *)(void *)((char *)n - offsetof(struct urcu_slot, node));
}

static void *urcu_create(uint32_t capacity)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY)
        return NULL;
    struct urcu_table *t = aligned_alloc(64, sizeof *t);
    if (t == NULL)
        return NULL;
    mid_layout_init(&t->layout, capacity);
    t->slots = calloc(capacity, sizeof *t->slots);
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    __cds_lfs_init(&t->free);
    __cds_lfs_init(&t->pending);
    pthread_mutex_init(&t->refill_lock, NULL);
    atomic_init(&t->refills, 0);
    /* Reverse order: slot 0 on top, so the first MIDs are 0, 1, 2... */
    for (uint32_t i = capacity; i-- > 0;) {
        cds_lfs_node_init(&t->slots[i].node);
        slot_init_free(&t->slots[i].word, 0);
        cds_lfs_push(&t->free, &t->slots[i].node);
    }
    return t;
}

static void urcu_destroy(void *p)
{
    struct urcu_table *t = p;
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->refill_lock);
    free(t->slots);
    free(t);
}

/* Move every pending node to `free` after a grace period.  True when the
 * caller should pop again (this or another thread refilled since `seen`),
 * false when the table is full. */
static bool urcu_refill(struct urcu_table *t, uint64_t seen)
{
    bool again = true;
    pthread_mutex_lock(&t->refill_lock);
    if (atomic_load_explicit(&t->refills, memory_order_relaxed) == seen) {
        struct cds_lfs_head *head = __cds_lfs_pop_all(&t->pending);
        if (head == NULL) {
            again = false;
        } else {
            /* Every reader that might hold one of these nodes as the head of
             * `free` (popped before, pushed to pending since) is done after
             * this: the grace period lfstack.h asks for before re-pushing. */
            synchronize_rcu();
            struct cds_lfs_node *n, *next;
            cds_lfs_for_each_safe(head, n, next)
                cds_lfs_push(&t->free, n);
            /* Release: pairs with the acquire load in urcu_associate, so a
             * thread that sees this count also sees the pushes above. */
            atomic_fetch_add_explicit(&t->refills, 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&t->refill_lock);
    return again;
}

static int urcu_associate(void *p, void *ctx, uint16_t *mid)
{
    struct urcu_table *t = p;
    if (!slot_ctx_ok(ctx) || mid == NULL)
        return MIDATLAS_EINVAL;
    if (!urcu_registered) {
        fprintf(stderr, "urcu-lfs: associate from a thread without thread_init\n");
        abort();
    }
    struct cds_lfs_node *n;
    for (;;) {
        /* Acquire: pairs with the release increment in urcu_refill. */
        uint64_t seen = atomic_load_explicit(&t->refills, memory_order_acquire);
        rcu_read_lock();
        n = __cds_lfs_pop(&t->free); /* full barrier inside (uatomic_cmpxchg) */
        rcu_read_unlock();
        if (n != NULL)
            break;
        if (!urcu_refill(t, seen))
            return MIDATLAS_EFULL;
    }
    struct urcu_slot *s = slot_of(n);
    uint32_t gen = slot_owned_gen(&s->word);
    slot_publish(&s->word, gen, ctx);
    *mid = mid_make(&t->layout, (uint32_t)(s - t->slots), gen);
    return MIDATLAS_OK;
}

static void *urcu_map(void *p, uint16_t mid)
{
    struct urcu_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return NULL;
    return slot_map(&t->slots[i].word, mid_gen(&t->layout, mid));
}

static int urcu_dissociate(void *p, uint16_t mid, void **ctx)
{
    struct urcu_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    struct urcu_slot *s = &t->slots[i];
    uint32_t gen = mid_gen(&t->layout, mid);
    int st = slot_end(&s->word, gen, mid_gen_next(&t->layout, gen), ctx);
    if (st == MIDATLAS_OK)
        cds_lfs_push(&t->pending, &s->node); /* full barrier inside */
    return st;
}

static int urcu_reassociate_if(void *p, uint16_t mid, void *expected, void *desired)
{
    struct urcu_table *t = p;
    uint32_t i = mid_index(&t->layout, mid);
    if (i >= t->layout.capacity)
        return MIDATLAS_ERANGE;
    return slot_swap_if(&t->slots[i].word, mid_gen(&t->layout, mid), expected, desired);
}

const struct mid_impl mid_impl_urcu_lfs = {
    .abi_version = MIDATLAS_HARNESS_ABI_VERSION,
    .features = MID_IMPL_HAS_REASSOCIATE_IF,
    .name = "urcu-lfs",
    .description = "free list on liburcu cds_lfs (pop under RCU, reuse after a grace period)",
    .create = urcu_create,
    .destroy = urcu_destroy,
    .associate = urcu_associate,
    .map = urcu_map,
    .dissociate = urcu_dissociate,
    .reassociate_if = urcu_reassociate_if,
    .thread_init = urcu_thread_init,
    .thread_fini = urcu_thread_fini,
    .traits = MID_IMPL_TSAN_BLIND,
};
