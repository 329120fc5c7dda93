/* SPDX-License-Identifier: MIT */
/*
 * modelcheck.c - library and reference model side by side (see modelcheck.h).
 */
#include "modelcheck.h"

#include <stdlib.h>
#include <string.h>

#define SENT ((void *)(uintptr_t)0xDEAD0)

void mc_create(struct mc *m, uint32_t capacity, unsigned flags)
{
    memset(m, 0, sizeof *m);
    assert_status(ref_create(&m->ref, capacity, flags), MIDATLAS_OK);
    assert_status(midatlas_create(&m->atlas, capacity, flags), MIDATLAS_OK);
}

/* Visitor log for destroy and drain: every (ctx, mid) seen. */
struct visits {
    size_t n, cap;
    void **ctx;
    uint16_t *mid;
};

static void log_visit(void *ctx, uint16_t mid, void *arg)
{
    struct visits *v = arg;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->ctx = realloc(v->ctx, v->cap * sizeof *v->ctx);
        v->mid = realloc(v->mid, v->cap * sizeof *v->mid);
        assert_non_null(v->ctx);
        assert_non_null(v->mid);
    }
    v->ctx[v->n] = ctx;
    v->mid[v->n] = mid;
    v->n++;
}

/* The visits must be exactly the model's live set: each live MID once, with
 * its context. */
static void check_visits(const struct ref_atlas *r, const struct visits *v)
{
    assert_int_equal(v->n, r->live);
    bool *seen = calloc(r->capacity, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < v->n; i++) {
        void *ctx = NULL;
        assert_status(ref_lookup(r, v->mid[i], &ctx), MIDATLAS_OK);
        assert_ptr_equal(ctx, v->ctx[i]);
        uint32_t idx = ref_index(r, v->mid[i]);
        assert_false(seen[idx]);
        seen[idx] = true;
    }
    free(seen);
}

static void free_visits(struct visits *v)
{
    free(v->ctx);
    free(v->mid);
}

void mc_destroy(struct mc *m)
{
    struct visits v = {0};
    midatlas_destroy(m->atlas, log_visit, &v);
    check_visits(&m->ref, &v);
    free_visits(&v);
    ref_destroy(&m->ref);
    m->atlas = NULL;
}

int mc_associate(struct mc *m, void *ctx, uint16_t *mid)
{
    uint16_t got = 0xBEEF;
    int want = ref_associate_status(&m->ref, ctx);
    int rc = midatlas_associate(m->atlas, ctx, &got);
    assert_status(rc, want);
    if (rc != MIDATLAS_OK) {
        assert_int_equal(got, 0xBEEF);
        return rc;
    }
    if (!ref_check_associate(&m->ref, ctx, got)) {
        uint32_t idx = ref_index(&m->ref, got);
        uint16_t next = 0;
        bool ok = idx < m->ref.capacity && ref_next_mid(&m->ref, idx, &next);
        print_error("associate handed out 0x%04x: slot %u is %s, its next MID is %s0x%04x\n",
                    got, idx,
                    idx >= m->ref.capacity ? "out of range"
                    : m->ref.slot[idx].state == REF_FREE ? "free"
                    : m->ref.slot[idx].state == REF_LIVE ? "live" : "discarded",
                    ok ? "" : "(none) ", next);
        fail();
    }
    if (mid)
        *mid = got;
    return rc;
}

void mc_map(struct mc *m, uint16_t mid)
{
    void *got = midatlas_map(m->atlas, mid), *want = ref_map(&m->ref, mid);
    if (got != want) {
        print_error("map(0x%04x) = %p, model says %p\n", mid, got, want);
        fail();
    }
}

int mc_lookup(struct mc *m, uint16_t mid)
{
    void *got = SENT, *want = SENT;
    int rw = ref_lookup(&m->ref, mid, &want);
    int rc = midatlas_lookup(m->atlas, mid, &got);
    assert_status(rc, rw);
    assert_ptr_equal(got, want);
    return rc;
}

int mc_dissociate(struct mc *m, uint16_t mid, bool want_ctx)
{
    void *got = SENT, *want = SENT;
    int rw = ref_dissociate(&m->ref, mid, want_ctx ? &want : NULL);
    int rc = midatlas_dissociate(m->atlas, mid, want_ctx ? &got : NULL);
    assert_status(rc, rw);
    assert_ptr_equal(got, want);
    return rc;
}

int mc_dissociate_if(struct mc *m, uint16_t mid, void *expected)
{
    int rw = ref_dissociate_if(&m->ref, mid, expected);
    int rc = midatlas_dissociate_if(m->atlas, mid, expected);
    assert_status(rc, rw);
    return rc;
}

int mc_reassociate(struct mc *m, uint16_t mid, void *desired, bool want_old)
{
    void *got = SENT, *want = SENT;
    int rw = ref_reassociate(&m->ref, mid, desired, want_old ? &want : NULL);
    int rc = midatlas_reassociate(m->atlas, mid, desired, want_old ? &got : NULL);
    assert_status(rc, rw);
    assert_ptr_equal(got, want);
    return rc;
}

int mc_reassociate_if(struct mc *m, uint16_t mid, void *expected, void *desired)
{
    int rw = ref_reassociate_if(&m->ref, mid, expected, desired);
    int rc = midatlas_reassociate_if(m->atlas, mid, expected, desired);
    assert_status(rc, rw);
    return rc;
}

int mc_discard(struct mc *m, uint16_t mid, bool want_ctx)
{
    void *got = SENT, *want = SENT;
    int rw = ref_discard(&m->ref, mid, want_ctx ? &want : NULL);
    int rc = midatlas_discard(m->atlas, mid, want_ctx ? &got : NULL);
    assert_status(rc, rw);
    assert_ptr_equal(got, want);
    return rc;
}

int mc_release(struct mc *m, uint16_t mid)
{
    int rw = ref_release(&m->ref, mid);
    int rc = midatlas_release(m->atlas, mid);
    assert_status(rc, rw);
    return rc;
}

size_t mc_drain(struct mc *m)
{
    struct visits v = {0};
    size_t n = midatlas_drain(m->atlas, log_visit, &v);
    assert_int_equal(n, v.n);
    check_visits(&m->ref, &v);
    free_visits(&v);
    assert_int_equal(ref_drain(&m->ref, NULL, NULL), n);
    return n;
}

void mc_check_stats(struct mc *m)
{
    struct midatlas_stats st;
    const struct ref_atlas *r = &m->ref;
    memset(&st, 0, sizeof st);
    midatlas_stats(m->atlas, &st);
    assert_int_equal(st.capacity, r->capacity);
    assert_int_equal(st.live, r->live);
    assert_int_equal(st.discarded, r->discarded);
    assert_int_equal(st.associations, r->associations);
    assert_int_equal(st.full_failures, r->full_failures);
    assert_int_equal(st.usable, r->usable);
    assert_int_equal(st.free, r->usable - r->live - r->discarded);
    /* high_water: a lower bound of the true peak, sampled by this very stats
     * call, so at least what is in use now. */
    assert_true(st.high_water <= r->peak);
    assert_true(st.high_water >= r->live + r->discarded);
}

void mc_check_all(struct mc *m)
{
    const struct ref_atlas *r = &m->ref;
    mc_check_stats(m);
    t_assert_valid(m->atlas);
    for (uint32_t i = 0; i < r->capacity; i++) {
        if (!r->slot[i].handed)
            continue;
        uint16_t cur = ref_current_mid(r, i);
        mc_map(m, cur);
        mc_lookup(m, cur);
    }
}

void *mc_ctx_of(const struct mc *m, uint16_t mid)
{
    return ref_map(&m->ref, mid);
}
