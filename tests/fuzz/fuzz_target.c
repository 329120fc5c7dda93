/* SPDX-License-Identifier: MIT */
/*
 * fuzz_target.c - decode bytes into midatlas calls and check every answer
 * against the reference model (fuzz_model.c).
 *
 * Input format (any byte string is valid; missing bytes read as zero):
 *   header: mode, a, b, flags            -> capacity and flags for create
 *   then repeated: op byte (low 4 bits: which call, high 4 bits: variants)
 *                  followed by the operands that call reads.
 * MIDs come from three sources, chosen by a selector byte: MIDs recently
 * handed out (often stale by now), the same with the next generation, raw
 * 16-bit wire values, and edge values (0, 0xFFFF, capacity, ...).
 * Contexts: NULL, too wide for 48 bits, the largest that fits, the target
 * slot's current context (so conditional calls match), or small integers.
 *
 * Every status, out-parameter, map result, visitor call and stats field is
 * compared with the model; on failure the MID and both answers are printed
 * and the program aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "fuzz_model.h"
#include "midatlas.h"

#define RECENT 16

struct run {
    struct midatlas *atlas;
    struct model m;
    uint16_t recent[RECENT]; /* last MIDs handed out, a ring              */
    unsigned nrecent, recent_next;
    uint32_t last_high_water;
    uint8_t *seen;           /* per slot, for visitor checks               */
    unsigned ops;
};

/* An out-parameter value no call may write: a failed call must leave it. */
#define UNTOUCHED ((void *)(uintptr_t)0x5A5A5A)

static void *as_ptr(uint64_t v)
{
    return (void *)(uintptr_t)v;
}

static uint64_t as_value(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static bool ctx_valid(uint64_t v)
{
    return v != 0 && v <= MIDATLAS_CONTEXT_MAX;
}

/* ------------------------------ operand decoding -------------------------- */

static uint16_t pick_edge(const struct run *r, unsigned k)
{
    const struct model *m = &r->m;
    uint32_t top = m->capacity - 1;
    switch (k % 8) {
    case 0: return 0x0000;
    case 1: return 0xFFFF;
    case 2: return (uint16_t)m->capacity;
    case 3: return (uint16_t)top;
    case 4: return 0x8000;
    case 5: return 0x7FFF;
    case 6: return (uint16_t)(1u << m->index_bits);
    default: return model_mid(m, top, (1u << m->gen_bits) - 1);
    }
}

static uint16_t pick_mid(struct run *r, struct input *in)
{
    uint8_t sel = input_u8(in);
    unsigned mode = sel & 3, k = sel >> 2;
    if ((mode == 0 || mode == 1) && r->nrecent == 0)
        mode = 2;
    switch (mode) {
    case 0:
        return r->recent[k % r->nrecent];
    case 1: /* the same slot one generation on: stale, or next handout's MID */
        return (uint16_t)(r->recent[k % r->nrecent] + (1u << r->m.index_bits));
    case 2:
        return input_u16(in);
    default:
        return pick_edge(r, k);
    }
}

/* A context; `index` names the slot whose current context choice 3 copies. */
static uint64_t pick_ctx(const struct run *r, struct input *in, uint32_t index)
{
    uint8_t b = input_u8(in);
    uint64_t small = 1 + (b >> 3);
    switch (b & 7) {
    case 0: return 0;
    case 1: /* does not fit in 48 bits: EINVAL where it must be stored */
        return UINTPTR_MAX > MIDATLAS_CONTEXT_MAX ? (1ull << 48) | small : small;
    case 2: /* the largest that fits, in 48 bits and in a pointer */
        return UINTPTR_MAX < MIDATLAS_CONTEXT_MAX ? UINTPTR_MAX : MIDATLAS_CONTEXT_MAX;
    case 3: case 4:
        if (index < r->m.capacity && r->m.state[index] == MODEL_LIVE)
            return r->m.ctx[index];
        return small;
    default: return small;
    }
}

static void remember(struct run *r, uint16_t mid)
{
    r->recent[r->recent_next] = mid;
    r->recent_next = (r->recent_next + 1) % RECENT;
    if (r->nrecent < RECENT)
        r->nrecent++;
}

/* Index of mid's slot when it is in range, else capacity (never a slot). */
static uint32_t slot_of(const struct run *r, uint16_t mid)
{
    uint32_t i = model_index(&r->m, mid);
    return i < r->m.capacity ? i : r->m.capacity;
}

/* After any call on mid: lookup and map must agree with the model. */
static void check_lookup(struct run *r, uint16_t mid)
{
    void *ctx = UNTOUCHED;
    int want = model_classify(&r->m, mid);
    int got = midatlas_lookup(r->atlas, mid, &ctx);
    void *mapped = midatlas_map(r->atlas, mid);
    FUZZ_CHECK(got == want, "lookup(0x%04x) = %d, model %d", mid, got, want);
    if (want == MIDATLAS_OK) {
        uint64_t c = r->m.ctx[model_index(&r->m, mid)];
        FUZZ_CHECK(as_value(ctx) == c, "lookup(0x%04x) ctx %p, model %#llx", mid, ctx,
                   (unsigned long long)c);
        FUZZ_CHECK(as_value(mapped) == c, "map(0x%04x) = %p, model %#llx", mid, mapped,
                   (unsigned long long)c);
    } else {
        FUZZ_CHECK(ctx == UNTOUCHED, "lookup(0x%04x) failed %d but wrote ctx", mid, got);
        FUZZ_CHECK(mapped == NULL, "map(0x%04x) = %p, model has none (%d)", mid, mapped, want);
    }
}

/* -------------------------------- the calls ------------------------------- */

static void do_associate(struct run *r, struct input *in, unsigned variant)
{
    struct model *m = &r->m;
    uint64_t ctx = pick_ctx(r, in, m->capacity);
    bool null_out = variant & 1;
    uint16_t mid = 0xA5A5;
    int got = midatlas_associate(r->atlas, as_ptr(ctx), null_out ? NULL : &mid);
    if (null_out || !ctx_valid(ctx)) {
        FUZZ_CHECK(got == MIDATLAS_EINVAL, "associate(ctx %#llx, out %s) = %d, want EINVAL",
                   (unsigned long long)ctx, null_out ? "NULL" : "ok", got);
        FUZZ_CHECK(mid == 0xA5A5, "failed associate wrote mid 0x%04x", mid);
        return;
    }
    if (m->live + m->discarded == m->usable) {
        FUZZ_CHECK(got == MIDATLAS_EFULL, "associate with %u of %u used = %d, want EFULL",
                   m->live + m->discarded, m->usable, got);
        FUZZ_CHECK(mid == 0xA5A5, "failed associate wrote mid 0x%04x", mid);
        m->full_failures++;
        m->hw_floor = m->usable; /* EFULL samples the high-water mark */
        return;
    }
    FUZZ_CHECK(got == MIDATLAS_OK, "associate with %u of %u used = %d, want OK",
               m->live + m->discarded, m->usable, got);
    /* Which free slot is the library's choice; its MID is not. */
    uint32_t index = model_index(m, mid);
    FUZZ_CHECK(index < m->capacity, "associate gave 0x%04x, index %u >= capacity %u", mid,
               index, m->capacity);
    FUZZ_CHECK(m->state[index] == MODEL_FREE, "associate gave 0x%04x, slot %u is %s", mid,
               index, m->state[index] == MODEL_LIVE ? "live" : "discarded");
    FUZZ_CHECK(model_slot_usable(m, index), "associate gave reserved slot 0x%04x", mid);
    FUZZ_CHECK(mid == model_next_mid(m, index), "associate gave 0x%04x, model's next is 0x%04x",
               mid, model_next_mid(m, index));
    model_associate(m, mid, ctx);
    remember(r, mid);
    check_lookup(r, mid);
}

static void do_map(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    check_lookup(r, pick_mid(r, in));
}

static void do_lookup_null_out(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    uint16_t mid = pick_mid(r, in);
    int got = midatlas_lookup(r->atlas, mid, NULL);
    FUZZ_CHECK(got == MIDATLAS_EINVAL, "lookup(0x%04x, NULL) = %d, want EINVAL", mid, got);
}

/* Shared tail of the calls that end an association (dissociate, discard):
 * check the status and the context handed back through out. */
static int expect_ending(struct run *r, uint16_t mid, int got, void *out, bool null_out,
                         const char *what)
{
    int want = model_classify(&r->m, mid);
    FUZZ_CHECK(got == want, "%s(0x%04x) = %d, model %d", what, mid, got, want);
    if (want == MIDATLAS_OK && !null_out) {
        uint64_t c = r->m.ctx[model_index(&r->m, mid)];
        FUZZ_CHECK(as_value(out) == c, "%s(0x%04x) ctx %p, model %#llx", what, mid, out,
                   (unsigned long long)c);
    } else if (!null_out) {
        FUZZ_CHECK(out == UNTOUCHED, "%s(0x%04x) failed %d but wrote ctx", what, mid, got);
    }
    return want;
}

static void do_dissociate(struct run *r, struct input *in, unsigned variant)
{
    uint16_t mid = pick_mid(r, in);
    bool null_out = variant & 1;
    void *out = UNTOUCHED;
    int got = midatlas_dissociate(r->atlas, mid, null_out ? NULL : &out);
    if (expect_ending(r, mid, got, out, null_out, "dissociate") == MIDATLAS_OK)
        model_end(&r->m, model_index(&r->m, mid));
    check_lookup(r, mid);
}

static void do_discard(struct run *r, struct input *in, unsigned variant)
{
    uint16_t mid = pick_mid(r, in);
    bool null_out = variant & 1;
    void *out = UNTOUCHED;
    int got = midatlas_discard(r->atlas, mid, null_out ? NULL : &out);
    if (expect_ending(r, mid, got, out, null_out, "discard") == MIDATLAS_OK)
        model_discard(&r->m, model_index(&r->m, mid));
    check_lookup(r, mid);
}

/* Status a conditional call must give: EINVAL for an argument no slot can
 * hold, then the lookup class, then EMISMATCH. */
static int conditional_status(const struct run *r, uint16_t mid, uint64_t expected)
{
    if (!ctx_valid(expected))
        return MIDATLAS_EINVAL;
    int want = model_classify(&r->m, mid);
    if (want == MIDATLAS_OK && r->m.ctx[model_index(&r->m, mid)] != expected)
        return MIDATLAS_EMISMATCH;
    return want;
}

static void do_dissociate_if(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    uint16_t mid = pick_mid(r, in);
    uint64_t expected = pick_ctx(r, in, slot_of(r, mid));
    int want = conditional_status(r, mid, expected);
    int got = midatlas_dissociate_if(r->atlas, mid, as_ptr(expected));
    FUZZ_CHECK(got == want, "dissociate_if(0x%04x, %#llx) = %d, model %d", mid,
               (unsigned long long)expected, got, want);
    if (want == MIDATLAS_OK)
        model_end(&r->m, model_index(&r->m, mid));
    check_lookup(r, mid);
}

static void do_reassociate(struct run *r, struct input *in, unsigned variant)
{
    uint16_t mid = pick_mid(r, in);
    uint64_t desired = pick_ctx(r, in, r->m.capacity);
    bool null_out = variant & 1;
    void *old = UNTOUCHED;
    int want = ctx_valid(desired) ? model_classify(&r->m, mid) : MIDATLAS_EINVAL;
    int got = midatlas_reassociate(r->atlas, mid, as_ptr(desired), null_out ? NULL : &old);
    FUZZ_CHECK(got == want, "reassociate(0x%04x, %#llx) = %d, model %d", mid,
               (unsigned long long)desired, got, want);
    if (want == MIDATLAS_OK) {
        uint32_t index = model_index(&r->m, mid);
        if (!null_out)
            FUZZ_CHECK(as_value(old) == r->m.ctx[index], "reassociate(0x%04x) old %p, model %#llx",
                       mid, old, (unsigned long long)r->m.ctx[index]);
        r->m.ctx[index] = desired;
    } else if (!null_out) {
        FUZZ_CHECK(old == UNTOUCHED, "reassociate(0x%04x) failed %d but wrote old", mid, got);
    }
    check_lookup(r, mid);
}

static void do_reassociate_if(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    uint16_t mid = pick_mid(r, in);
    uint64_t expected = pick_ctx(r, in, slot_of(r, mid));
    uint64_t desired = pick_ctx(r, in, r->m.capacity);
    int want = ctx_valid(desired) ? conditional_status(r, mid, expected) : MIDATLAS_EINVAL;
    int got = midatlas_reassociate_if(r->atlas, mid, as_ptr(expected), as_ptr(desired));
    FUZZ_CHECK(got == want, "reassociate_if(0x%04x, %#llx, %#llx) = %d, model %d", mid,
               (unsigned long long)expected, (unsigned long long)desired, got, want);
    if (want == MIDATLAS_OK)
        r->m.ctx[model_index(&r->m, mid)] = desired;
    check_lookup(r, mid);
}

static void do_release(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    uint16_t mid = pick_mid(r, in);
    int cls = model_classify(&r->m, mid);
    /* A live MID of the current generation is busy; a current tombstone is
     * the one thing release accepts. */
    int want = cls == MIDATLAS_OK ? MIDATLAS_EBUSY : cls == MIDATLAS_EDISCARDED ? MIDATLAS_OK : cls;
    int got = midatlas_release(r->atlas, mid);
    FUZZ_CHECK(got == want, "release(0x%04x) = %d, model %d", mid, got, want);
    if (want == MIDATLAS_OK)
        model_release(&r->m, model_index(&r->m, mid));
    check_lookup(r, mid);
}

/* Visitor for drain and destroy: each call must name a live MID with its
 * context, and no MID twice. */
static void visit(void *ctx, uint16_t mid, void *arg)
{
    struct run *r = arg;
    FUZZ_CHECK(model_classify(&r->m, mid) == MIDATLAS_OK, "visitor got 0x%04x, model %d", mid,
               model_classify(&r->m, mid));
    uint32_t index = model_index(&r->m, mid);
    FUZZ_CHECK(as_value(ctx) == r->m.ctx[index], "visitor 0x%04x ctx %p, model %#llx", mid, ctx,
               (unsigned long long)r->m.ctx[index]);
    FUZZ_CHECK(!r->seen[index], "visitor got 0x%04x twice", mid);
    r->seen[index] = 1;
}

/* Every live slot visited exactly once (visit() ruled out extras). */
static void check_all_visited(struct run *r, size_t calls, const char *what)
{
    FUZZ_CHECK(calls == r->m.live, "%s visited %zu, model has %u live", what, calls, r->m.live);
    for (uint32_t i = 0; i < r->m.capacity; i++)
        FUZZ_CHECK(r->seen[i] == (r->m.state[i] == MODEL_LIVE), "%s missed slot %u", what, i);
}

static void do_drain(struct run *r, struct input *in, unsigned variant)
{
    (void)in;
    bool with_fn = !(variant & 1);
    memset(r->seen, 0, r->m.capacity);
    size_t n = midatlas_drain(r->atlas, with_fn ? visit : NULL, r);
    if (with_fn)
        check_all_visited(r, n, "drain");
    else
        FUZZ_CHECK(n == r->m.live, "drain(NULL fn) = %zu, model has %u live", n, r->m.live);
    for (uint32_t i = 0; i < r->m.capacity; i++) {
        if (r->m.state[i] == MODEL_LIVE)
            model_end(&r->m, i);
        else if (r->m.state[i] == MODEL_DISCARDED)
            model_release(&r->m, i);
    }
}

static void do_stats(struct run *r, struct input *in, unsigned variant)
{
    (void)in;
    struct model *m = &r->m;
    if (variant & 1) {
        midatlas_stats(r->atlas, NULL); /* documented no-op */
        return;
    }
    struct midatlas_stats s;
    memset(&s, 0xEE, sizeof(s));
    midatlas_stats(r->atlas, &s);
    uint32_t used = m->live + m->discarded;
    FUZZ_CHECK(s.capacity == m->capacity, "stats.capacity %u, model %u", s.capacity, m->capacity);
    FUZZ_CHECK(s.live == m->live, "stats.live %u, model %u", s.live, m->live);
    FUZZ_CHECK(s.discarded == m->discarded, "stats.discarded %u, model %u", s.discarded,
               m->discarded);
    FUZZ_CHECK(s.associations == m->associations, "stats.associations %llu, model %llu",
               (unsigned long long)s.associations, (unsigned long long)m->associations);
    FUZZ_CHECK(s.full_failures == m->full_failures, "stats.full_failures %llu, model %llu",
               (unsigned long long)s.full_failures, (unsigned long long)m->full_failures);
    FUZZ_CHECK(s.usable == m->usable, "stats.usable %u, model %u", s.usable, m->usable);
    FUZZ_CHECK(s.free == m->usable - used, "stats.free %u, model %u", s.free, m->usable - used);
    FUZZ_CHECK(s.stripes >= 1 && s.stripes <= 16, "stats.stripes %u", s.stripes);
    FUZZ_CHECK(s.bytes >= (size_t)m->capacity * 8, "stats.bytes %zu for capacity %u", s.bytes,
               m->capacity);
    /* high_water: a sampled maximum, so never above the true peak, never
     * below what any sampling point (this call included) saw, never falling. */
    FUZZ_CHECK(s.high_water <= m->peak, "stats.high_water %u above peak %u", s.high_water, m->peak);
    FUZZ_CHECK(s.high_water >= used, "stats.high_water %u below current %u", s.high_water, used);
    FUZZ_CHECK(s.high_water >= m->hw_floor, "stats.high_water %u below sampled %u", s.high_water,
               m->hw_floor);
    FUZZ_CHECK(s.high_water >= r->last_high_water, "stats.high_water fell %u -> %u",
               r->last_high_water, s.high_water);
    r->last_high_water = s.high_water;
    if (used > m->hw_floor)
        m->hw_floor = used;
}

static void check_valid(struct run *r)
{
    const char *why = NULL;
    int got = midatlas_validate(r->atlas, &why);
    FUZZ_CHECK(got == MIDATLAS_OK, "validate = %d: %s", got, why ? why : "(no reason)");
}

static void do_validate(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    check_valid(r);
    FUZZ_CHECK(midatlas_capacity(r->atlas) == r->m.capacity, "capacity() %u, model %u",
               midatlas_capacity(r->atlas), r->m.capacity);
    int status = (int)input_u8(in) - 128;
    const char *msg = midatlas_strerror(status);
    FUZZ_CHECK(msg != NULL && msg[0] != '\0', "strerror(%d) empty", status);
}

/* Every entry point given a NULL atlas: EINVAL, NULL, 0 or a no-op. */
static void do_null_atlas(struct run *r, struct input *in, unsigned variant)
{
    (void)variant;
    uint16_t mid = pick_mid(r, in), out_mid = 0;
    void *ctx = UNTOUCHED, *one = as_ptr(1);
    struct midatlas_stats s;
    FUZZ_CHECK(midatlas_create(NULL, 1, 0) == MIDATLAS_EINVAL, "create(NULL)");
    FUZZ_CHECK(midatlas_associate(NULL, one, &out_mid) == MIDATLAS_EINVAL, "associate(NULL)");
    FUZZ_CHECK(midatlas_map(NULL, mid) == NULL, "map(NULL)");
    FUZZ_CHECK(midatlas_lookup(NULL, mid, &ctx) == MIDATLAS_EINVAL, "lookup(NULL)");
    FUZZ_CHECK(midatlas_dissociate(NULL, mid, &ctx) == MIDATLAS_EINVAL, "dissociate(NULL)");
    FUZZ_CHECK(midatlas_dissociate_if(NULL, mid, one) == MIDATLAS_EINVAL, "dissociate_if(NULL)");
    FUZZ_CHECK(midatlas_reassociate(NULL, mid, one, &ctx) == MIDATLAS_EINVAL, "reassociate(NULL)");
    FUZZ_CHECK(midatlas_reassociate_if(NULL, mid, one, one) == MIDATLAS_EINVAL,
               "reassociate_if(NULL)");
    FUZZ_CHECK(midatlas_discard(NULL, mid, &ctx) == MIDATLAS_EINVAL, "discard(NULL)");
    FUZZ_CHECK(midatlas_release(NULL, mid) == MIDATLAS_EINVAL, "release(NULL)");
    FUZZ_CHECK(midatlas_drain(NULL, visit, r) == 0, "drain(NULL)");
    FUZZ_CHECK(midatlas_capacity(NULL) == 0, "capacity(NULL)");
    FUZZ_CHECK(midatlas_validate(NULL, NULL) == MIDATLAS_EINVAL, "validate(NULL)");
    FUZZ_CHECK(ctx == UNTOUCHED, "a NULL-atlas call wrote ctx");
    midatlas_stats(NULL, &s);
    midatlas_destroy(NULL, visit, r);
}

/* Up to 256 associates in a row: reaches EFULL fast at small capacities. */
static void do_burst(struct run *r, struct input *in, unsigned variant)
{
    unsigned n = 1 + input_u8(in);
    for (unsigned k = 0; k < n; k++) {
        uint8_t b = (uint8_t)(k << 3 | 5); /* a small valid context */
        struct input one = {&b, 1};
        do_associate(r, &one, variant & ~1u);
    }
}

/* ------------------------------ the whole run ----------------------------- */

typedef void op_fn(struct run *r, struct input *in, unsigned variant);

static op_fn *const ops[16] = {
    do_associate, do_map,       do_lookup_null_out, do_dissociate,
    do_dissociate_if, do_reassociate, do_reassociate_if, do_discard,
    do_release,   do_drain,     do_stats,     do_validate,
    do_null_atlas, do_burst,    do_dissociate, do_associate,
};

/* Mostly small capacities (the atlas fills, generations wrap, every status
 * is reachable within a short input); now and then the edges of the MID
 * layout, a large one, or an invalid one. */
static uint32_t decode_capacity(struct input *in)
{
    static const uint32_t edges[16] = {1,   2,     3,     4,     5,     7,     8,     9,
                                       255, 256,   257,   32767, 32768, 32769, 65535, 65536};
    uint8_t mode = input_u8(in), a = input_u8(in), b = input_u8(in);
    switch (mode % 16) {
    default: return 1 + a % 16; /* modes 0..9 */
    case 10: case 11: case 12: return 1 + a;
    case 13: return 1 + (uint32_t)(a << 8 | b);
    case 14: return edges[a % 16];
    case 15: return (uint32_t)(a << 8 | b) * 2; /* 0 and > 65536 included */
    }
}

static unsigned decode_flags(struct input *in)
{
    uint8_t f = input_u8(in);
    return (f & 0x80) ? f : (f & MIDATLAS_F_ALL); /* unknown bits now and then */
}

static void finish(struct run *r)
{
    check_valid(r);
    memset(r->seen, 0, r->m.capacity);
    /* destroy's visitor runs inside destroy; count through the seen marks. */
    midatlas_destroy(r->atlas, visit, r);
    size_t visited = 0;
    for (uint32_t i = 0; i < r->m.capacity; i++)
        visited += r->seen[i];
    check_all_visited(r, visited, "destroy");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    struct run r;
    memset(&r, 0, sizeof(r));
    uint32_t capacity = decode_capacity(&in);
    unsigned flags = decode_flags(&in);
    struct midatlas *atlas = UNTOUCHED;
    int got = midatlas_create(&atlas, capacity, flags);
    if (!model_init(&r.m, capacity, flags)) {
        FUZZ_CHECK(got == MIDATLAS_EINVAL, "create(%u, %#x) = %d, want EINVAL", capacity, flags,
                   got);
        FUZZ_CHECK(atlas == UNTOUCHED, "failed create wrote the atlas pointer");
        return 0;
    }
    FUZZ_CHECK(got == MIDATLAS_OK, "create(%u, %#x) = %d", capacity, flags, got);
    r.atlas = atlas;
    r.seen = calloc(capacity, 1);
    FUZZ_CHECK(r.seen != NULL, "out of memory");
    /* validate is O(capacity): after every call on small atlases, after
     * every 64th on larger ones, and always at the end (finish). */
    bool validate_each = capacity <= 32;
    while (input_more(&in)) {
        uint8_t op = input_u8(&in);
        ops[op & 15](&r, &in, op >> 4);
        if (validate_each || ++r.ops % 64 == 0)
            check_valid(&r);
    }
    finish(&r);
    free(r.seen);
    model_free(&r.m);
    return 0;
}
