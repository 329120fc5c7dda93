/* SPDX-License-Identifier: MIT */
/*
 * stress_check.c - the invariants every workload checks on every operation.
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield, clock_gettime, nanosleep */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "stress.h"

/* At most this many violations are printed in full; all are counted. */
#define PRINTED_VIOLATIONS 8u

void stress_violation(struct stress_run *run, const char *fmt, ...)
{
    const struct stress_cfg *c = run->cfg;
    uint64_t n = atomic_fetch_add_explicit(&run->violations, 1, memory_order_relaxed);

    /* relaxed: stop is a request to wind down, it publishes nothing. */
    atomic_store_explicit(&run->stop, 1, memory_order_relaxed);
    if (n >= PRINTED_VIOLATIONS)
        return;

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double at = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 - run->t0;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line: lines of racing threads do not interleave. */
    fprintf(stderr, "VIOLATION after %.3f s, %llu ops impl=%s workload=%s: %s\n", at,
            (unsigned long long)stress_total_ops(run), run->impl->name, run->wl->name, msg);
    fprintf(stderr,
            "VIOLATION replay: midatlas-stress --impl %s --workload %s --threads %u "
            "--capacity %u --seconds %g --ops %llu --seed %llu --preempt %u --chaos %u\n",
            run->impl_arg, run->wl->name, run->nthreads, c->capacity, c->seconds,
            (unsigned long long)c->ops, (unsigned long long)c->seed, c->preempt, c->chaos);
}

/* xorshift64* (Vigna): small, fast, good enough to pick operations. */
uint64_t stress_rand(struct stress_thread *th)
{
    uint64_t x = th->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    th->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---- request records ---------------------------------------------------------- */

void *stress_new_ctx(struct stress_thread *th)
{
    for (;;) {
        for (uint32_t tries = 0; tries <= th->req_mask; tries++) {
            uint32_t n = th->next_seq++;
            if ((n & CTX_SEQ_MASK) == 0) /* 0 marks a record never issued */
                n = th->next_seq++;
            uint32_t seq = n & CTX_SEQ_MASK; /* what the context carries */
            struct stress_req *r = &th->reqs[seq & th->req_mask];
            /* acquire: pairs with the release fetch_add in stress_complete,
             * so the completer is done with this record before it is reused. */
            uint32_t old = atomic_load_explicit(&r->seq, memory_order_relaxed);
            if (old != 0 && atomic_load_explicit(&r->done, memory_order_acquire) == 0)
                continue; /* still outstanding: skip this sequence */
            atomic_store_explicit(&r->done, 0, memory_order_relaxed);
            atomic_store_explicit(&r->mid, REQ_MID_UNKNOWN, memory_order_relaxed);
            /* release: pairs with the acquire load of seq in stress_complete;
             * the record is reset before anyone matches this sequence. */
            atomic_store_explicit(&r->seq, seq, memory_order_release);
            /* relaxed: read by attackers after an acquire map that saw a
             * context issued later; the associate's release orders it. */
            atomic_store_explicit(&th->published_seq, n, memory_order_relaxed);
            return ctx_make(CTX_WORKER, th->tid, seq);
        }
        /* Every record outstanding: wait for completions (or the stop). */
        if (stress_stopped(th->run))
            return NULL;
        sched_yield();
    }
}

void stress_unused_ctx(struct stress_thread *th, void *ctx)
{
    struct stress_req *r = &th->reqs[ctx_seq(ctx) & th->req_mask];
    /* release: pairs with stress_new_ctx's acquire, like a completion. */
    atomic_store_explicit(&r->done, 1, memory_order_release);
}

bool stress_ctx_valid(struct stress_run *run, const void *ctx)
{
    if (!ctx_shape_ok(ctx) || ctx_magic(ctx) != CTX_WORKER || ctx_tid(ctx) >= run->nthreads)
        return false;
    struct stress_thread *t = &run->threads[ctx_tid(ctx)];
    /* relaxed: see stress_new_ctx; a context seen through an acquire load of
     * a slot was issued before the release that stored it. */
    uint32_t hi = atomic_load_explicit(&t->published_seq, memory_order_relaxed);
    uint32_t seq = ctx_seq(ctx);
    return seq != 0 && ctx_seq_issued(seq, hi);
}

bool stress_mapped_ok(struct stress_run *run, uint16_t mid, const void *v, const char *how)
{
    if (!v)
        return true;
    if (!stress_ctx_valid(run, v)) {
        stress_violation(run, "%s(0x%04x) gave %p, not a context", how, mid, v);
        return false;
    }
    struct stress_thread *t = &run->threads[ctx_tid(v)];
    struct stress_req *r = &t->reqs[ctx_seq(v) & t->req_mask];
    /* acquire: pairs with stress_new_ctx's release store of seq (the record
     * was reset before).  The mid load is acquire so that the second read of
     * seq, which confirms the record was not recycled meanwhile, stays after
     * it (no standalone fence: TSan does not see fences). */
    uint32_t seq = atomic_load_explicit(&r->seq, memory_order_acquire);
    uint32_t rmid = atomic_load_explicit(&r->mid, memory_order_acquire);
    if (seq != ctx_seq(v) || atomic_load_explicit(&r->seq, memory_order_relaxed) != seq ||
        rmid == REQ_MID_UNKNOWN || rmid == mid)
        return true;
    stress_violation(run, "%s(0x%04x) gave request %u/%u, which holds MID 0x%04x", how, mid,
                     ctx_tid(v), ctx_seq(v), rmid);
    return false;
}

void stress_complete(struct stress_run *run, void *ctx, long mid, const char *how)
{
    char where[32] = "an unknown MID";
    if (mid >= 0)
        snprintf(where, sizeof where, "MID 0x%04lx", (unsigned long)mid);
    if (!stress_ctx_valid(run, ctx)) {
        stress_violation(run, "%s of %s returned %p, which no worker issued", how, where, ctx);
        return;
    }
    struct stress_thread *t = &run->threads[ctx_tid(ctx)];
    struct stress_req *r = &t->reqs[ctx_seq(ctx) & t->req_mask];
    /* acquire: pairs with stress_new_ctx's release store of seq. */
    uint32_t seq = atomic_load_explicit(&r->seq, memory_order_acquire);
    if (seq != ctx_seq(ctx)) {
        stress_violation(run,
                         "%s of %s returned request %u/%u, which had already completed "
                         "(its record now holds request %u): completed twice",
                         how, where, ctx_tid(ctx), ctx_seq(ctx), seq);
        return;
    }
    uint32_t rmid = atomic_load_explicit(&r->mid, memory_order_relaxed);
    if (mid >= 0 && rmid != REQ_MID_UNKNOWN && rmid != (uint32_t)mid)
        stress_violation(run, "%s of %s returned request %u/%u, which was given MID 0x%04x", how,
                         where, ctx_tid(ctx), ctx_seq(ctx), rmid);
    /* release: pairs with stress_new_ctx's acquire load of done. */
    uint32_t prev = atomic_fetch_add_explicit(&r->done, 1, memory_order_release);
    if (prev != 0)
        stress_violation(run, "%s of %s completed request %u/%u a %u%s time", how, where,
                         ctx_tid(ctx), ctx_seq(ctx), prev + 1, prev == 1 ? "nd" : "th");
}

/* ---- ownership ----------------------------------------------------------------- */

/* Who an owner token stands for, in words (thread tokens are tid + 1). */
static const char *owner_name(uint32_t token, char *buf, size_t size)
{
    if (token == 0)
        return "nobody";
    if (token == OWNER_SHARED)
        return "the shared set (reassoc)";
    if (token == OWNER_FINAL)
        return "the final check";
    snprintf(buf, size, "thread %u", token - 1);
    return buf;
}

void stress_own_take(struct stress_run *run, uint16_t mid, uint32_t token, const char *who)
{
    uint32_t expect = 0;
    char a[32], b[32];
    /* relaxed: ownership is checked, not published; the table's own
     * release/acquire orders the request data. */
    if (!atomic_compare_exchange_strong_explicit(&run->owner[mid], &expect, token,
                                                 memory_order_relaxed, memory_order_relaxed))
        stress_violation(run, "%s by %s was handed MID 0x%04x, which %s still holds", who,
                         owner_name(token, a, sizeof a), mid, owner_name(expect, b, sizeof b));
}

void stress_own_drop(struct stress_run *run, uint16_t mid, uint32_t token, const char *who)
{
    char a[32], b[32];
    uint32_t was = atomic_exchange_explicit(&run->owner[mid], 0, memory_order_relaxed);
    if (was != token)
        stress_violation(run, "%s by %s ends MID 0x%04x, which %s held", who,
                         owner_name(token, a, sizeof a), mid, owner_name(was, b, sizeof b));
}

/* ---- checked operations -------------------------------------------------------- */

void stress_check_map(struct stress_thread *th, uint16_t mid, void *ctx, bool may_vanish)
{
    struct stress_run *run = th->run;
    void *v = run->impl->map(run->table, mid);
    stress_tick(th, 1);
    if (v == ctx || (v == NULL && may_vanish))
        return;
    if (v && stress_ctx_valid(run, v))
        stress_violation(run, "map(0x%04x) gave request %u/%u, the owner's is %u/%u", mid,
                         ctx_tid(v), ctx_seq(v), ctx_tid(ctx), ctx_seq(ctx));
    else
        stress_violation(run, "map(0x%04x) gave %p, the owner's context is %u/%u", mid, v,
                         ctx_tid(ctx), ctx_seq(ctx));
}

int stress_associate(struct stress_thread *th, void *ctx, uint16_t *mid, uint32_t token,
                     bool may_vanish)
{
    struct stress_run *run = th->run;
    int rc = run->impl->associate(run->table, ctx, mid);
    stress_tick(th, 1);
    if (rc == MIDATLAS_OK) {
        stress_count_association(th);
        if (token)
            stress_own_take(run, *mid, token, "associate");
        struct stress_req *r = &th->reqs[ctx_seq(ctx) & th->req_mask];
        atomic_store_explicit(&r->mid, *mid, memory_order_relaxed);
        stress_check_map(th, *mid, ctx, may_vanish);
        return rc;
    }
    if (rc != MIDATLAS_EFULL)
        stress_violation(run, "associate returned %d (%s)", rc, midatlas_strerror(rc));
    else if (run->efull_is_violation)
        stress_violation(run,
                         "associate said EFULL although this workload never holds more "
                         "than %u of %u MIDs",
                         run->max_live, run->cfg->capacity);
    return rc;
}

void stress_check_stale(struct stress_thread *th, uint16_t mid, void *ctx)
{
    struct stress_run *run = th->run;
    const struct mid_impl *ops = run->impl;
    void *attack = ctx_make(CTX_ATTACK, th->tid, (uint32_t)stress_rand(th));

    /* The old context is installed nowhere now (contexts are unique), so a
     * map that returns it, or a conditional call that expects it and acts,
     * is a stale MID acting, whoever holds `mid` today. */
    void *v = ops->map(run->table, mid);
    if (v == ctx)
        stress_violation(run, "stale MID 0x%04x still maps to its ended request %u/%u", mid,
                         ctx_tid(ctx), ctx_seq(ctx));
    else
        stress_mapped_ok(run, mid, v, "map of an ended MID");
    stress_tick(th, 1);
    int rc;
    if (stress_has(ops, MID_IMPL_HAS_REASSOCIATE_IF)) {
        rc = ops->reassociate_if(run->table, mid, ctx, attack);
        if (rc == MIDATLAS_OK)
            stress_violation(run,
                             "stale MID 0x%04x: reassociate_if from the ended request %u/%u acted",
                             mid, ctx_tid(ctx), ctx_seq(ctx));
        stress_tick(th, 1);
    }
    if (stress_has(ops, MID_IMPL_HAS_DISSOCIATE_IF)) {
        rc = ops->dissociate_if(run->table, mid, ctx);
        if (rc == MIDATLAS_OK)
            stress_violation(run,
                             "stale MID 0x%04x: dissociate_if of the ended request %u/%u acted",
                             mid, ctx_tid(ctx), ctx_seq(ctx));
        stress_tick(th, 1);
    }
    if (!stress_has(ops, MID_IMPL_HAS_LOOKUP))
        return;
    rc = ops->lookup(run->table, mid, &v);
    if (rc == MIDATLAS_OK && v == ctx)
        stress_violation(run, "stale MID 0x%04x: lookup still finds request %u/%u", mid,
                         ctx_tid(ctx), ctx_seq(ctx));
    else if (rc == MIDATLAS_OK)
        stress_mapped_ok(run, mid, v, "lookup of an ended MID");
    stress_tick(th, 1);
}

/* ---- rings --------------------------------------------------------------------- */

bool ring_push(struct stress_ring *r, uint16_t mid, void *ctx)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    /* acquire: pairs with ring_pop's release of tail: the entry is free. */
    if (h - atomic_load_explicit(&r->tail, memory_order_acquire) > r->mask)
        return false;
    atomic_store_explicit(&r->mids[h & r->mask], mid, memory_order_relaxed);
    atomic_store_explicit(&r->ctxs[h & r->mask], ctx, memory_order_relaxed);
    /* release: pairs with ring_pop's acquire of head: the entry is written. */
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

bool ring_pop(struct stress_ring *r, uint16_t *mid, void **ctx)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* acquire: pairs with ring_push's release of head. */
    if (t == atomic_load_explicit(&r->head, memory_order_acquire))
        return false;
    *mid = atomic_load_explicit(&r->mids[t & r->mask], memory_order_relaxed);
    *ctx = atomic_load_explicit(&r->ctxs[t & r->mask], memory_order_relaxed);
    /* release: pairs with ring_push's acquire of tail. */
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

int ring_peek_mid(struct stress_ring *r, uint16_t *mid)
{
    /* acquire: pairs with ring_pop's release of tail and ring_push's release
     * of head; the entry may be overwritten right after: only a hint. */
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == 0)
        return 0;
    /* The next post to be answered, or else the one answered last. */
    uint32_t at = t != h ? t : h - 1;
    *mid = atomic_load_explicit(&r->mids[at & r->mask], memory_order_relaxed);
    return t != h ? 1 : 2;
}
