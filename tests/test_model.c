/* SPDX-License-Identifier: MIT */
/*
 * test_model.c - long random sequences of calls, every result compared with
 * the sequential reference model (refmodel.c through modelcheck.c).
 *
 * Seeded and reproducible: the seed is printed; rerun with
 * MIDATLAS_TEST_SEED=<seed> to replay, and MIDATLAS_TEST_TRACE=1 to print
 * every call.  MIDs are mostly recent ones (live, just freed, tombstones,
 * stale), some the current MID of a random slot, some 0x0000 and 0xFFFF (the
 * values flags reserve), some random wire values.
 * The mix of associate and end-of-association calls drifts in phases so that
 * small atlases go from empty to full and back many times.
 */
#include "modelcheck.h"

#include <stdio.h>
#include <stdlib.h>

#define HISTORY 64

enum op {
    OP_ASSOCIATE, OP_MAP, OP_LOOKUP, OP_DISSOCIATE, OP_DISSOCIATE_IF, OP_REASSOCIATE,
    OP_REASSOCIATE_IF, OP_DISCARD, OP_RELEASE, OP_STATS, OP_DRAIN, OP_COUNT
};
static const char *const op_name[OP_COUNT] = {
    "associate", "map", "lookup", "dissociate", "dissociate_if", "reassociate",
    "reassociate_if", "discard", "release", "stats", "drain",
};
#define NSTATUS 11 /* MIDATLAS_OK .. MIDATLAS_ETIMEDOUT, negated */

/* How often each call returned each status: printed, so a log shows that
 * the mix reaches every status, and checked below. */
static uint64_t tally[OP_COUNT][NSTATUS];

static void print_tally(void)
{
    printf("[ MODEL    ] %-15s %9s %7s %7s %7s %7s %7s %7s %7s %7s\n", "call", "OK", "EINVAL",
           "EFULL", "ERANGE", "EFREE", "ESTALE", "EDISC", "EMISM", "EBUSY");
    for (int o = 0; o < OP_COUNT; o++) {
        printf("[ MODEL    ] %-15s", op_name[o]);
        for (int s = 0; s < 9; s++)
            printf(" %*llu", s ? 7 : 9, (unsigned long long)tally[o][s]);
        printf("\n");
    }
}

/* Each call must have met each status it can answer (a mix that never
 * reaches one would make the comparison hollow). */
static void check_tally(void)
{
    static const struct {
        enum op op;
        int status;
    } must[] = {
        {OP_ASSOCIATE, MIDATLAS_OK},       {OP_ASSOCIATE, MIDATLAS_EINVAL},
        {OP_ASSOCIATE, MIDATLAS_EFULL},    {OP_LOOKUP, MIDATLAS_OK},
        {OP_LOOKUP, MIDATLAS_ERANGE},      {OP_LOOKUP, MIDATLAS_EFREE},
        {OP_LOOKUP, MIDATLAS_ESTALE},      {OP_LOOKUP, MIDATLAS_EDISCARDED},
        {OP_DISSOCIATE, MIDATLAS_OK},      {OP_DISSOCIATE, MIDATLAS_ESTALE},
        {OP_DISSOCIATE, MIDATLAS_EDISCARDED},
        {OP_DISSOCIATE_IF, MIDATLAS_OK},   {OP_DISSOCIATE_IF, MIDATLAS_EMISMATCH},
        {OP_DISSOCIATE_IF, MIDATLAS_EINVAL},
        {OP_REASSOCIATE, MIDATLAS_OK},     {OP_REASSOCIATE, MIDATLAS_EINVAL},
        {OP_REASSOCIATE_IF, MIDATLAS_OK},  {OP_REASSOCIATE_IF, MIDATLAS_EMISMATCH},
        {OP_DISCARD, MIDATLAS_OK},         {OP_DISCARD, MIDATLAS_EDISCARDED},
        {OP_RELEASE, MIDATLAS_OK},         {OP_RELEASE, MIDATLAS_EBUSY},
        {OP_RELEASE, MIDATLAS_EFREE},      {OP_RELEASE, MIDATLAS_ESTALE},
        {OP_RELEASE, MIDATLAS_ERANGE},
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        if (tally[must[i].op][-must[i].status] == 0)
            fail_msg("the random mix never got %s from %s", t_status_name(must[i].status),
                     op_name[must[i].op]);
    }
}

struct run {
    struct mc m;
    uint64_t rng;
    uint16_t history[HISTORY]; /* MIDs handed out lately, some now stale */
    uint32_t nhistory;
    uint64_t next_ctx;
    bool trace;
};

static uint16_t pick_mid(struct run *r)
{
    uint32_t dice = t_below(&r->rng, 100);
    if (dice < 60 && r->nhistory > 0)
        return r->history[t_below(&r->rng, r->nhistory < HISTORY ? r->nhistory : HISTORY)];
    if (dice < 85) {
        uint32_t idx = t_below(&r->rng, r->m.ref.capacity);
        uint16_t mid;
        if (r->m.ref.slot[idx].handed)
            return ref_current_mid(&r->m.ref, idx);
        if (ref_next_mid(&r->m.ref, idx, &mid))
            return mid;
    }
    if (dice < 88) /* the values flags may reserve */
        return dice & 1 ? 0xFFFF : 0x0000;
    return (uint16_t)t_rand(&r->rng);
}

/* A context for the call: mostly new, sometimes the one the MID holds (so
 * conditional calls succeed), sometimes NULL or too wide (EINVAL). */
static void *pick_ctx(struct run *r, uint16_t mid)
{
    uint32_t dice = t_below(&r->rng, 100);
    if (dice < 2)
        return NULL;
    if (dice < 4 && t_ctx_too_wide())
        return t_ctx_too_wide();
    if (dice < 55) {
        void *cur = mc_ctx_of(&r->m, mid);
        if (cur)
            return cur;
    }
    return tctx(r->next_ctx++);
}

/* One random call; `grow` is the percentage of associates in this phase. */
static void step(struct run *r, uint32_t grow)
{
    struct mc *m = &r->m;
    uint32_t dice = t_below(&r->rng, 1000);
    uint16_t mid = pick_mid(r);
    enum op what;

    int rc = MIDATLAS_OK;
    if (dice < grow * 10) {
        what = OP_ASSOCIATE;
        void *ctx = t_below(&r->rng, 100) == 0 ? NULL : tctx(r->next_ctx++);
        uint16_t got;
        rc = mc_associate(m, ctx, &got);
        if (rc == MIDATLAS_OK) {
            r->history[r->nhistory++ % HISTORY] = got;
            mid = got;
        }
    } else {
        /* The rest spread over every other call. */
        switch (t_below(&r->rng, 14)) {
        case 0:
            what = OP_MAP;
            mc_map(m, mid);
            break;
        case 1:
            what = OP_LOOKUP;
            rc = mc_lookup(m, mid);
            break;
        case 2: case 3:
            what = OP_DISSOCIATE;
            rc = mc_dissociate(m, mid, t_below(&r->rng, 2));
            break;
        case 4:
            what = OP_DISSOCIATE_IF;
            rc = mc_dissociate_if(m, mid, pick_ctx(r, mid));
            break;
        case 5:
            what = OP_REASSOCIATE;
            rc = mc_reassociate(m, mid, pick_ctx(r, mid), t_below(&r->rng, 2));
            break;
        case 6: case 7:
            what = OP_REASSOCIATE_IF;
            rc = mc_reassociate_if(m, mid, pick_ctx(r, mid), pick_ctx(r, mid));
            break;
        case 8: case 9:
            what = OP_DISCARD;
            rc = mc_discard(m, mid, t_below(&r->rng, 2));
            break;
        case 10: case 11: case 12:
            what = OP_RELEASE;
            rc = mc_release(m, mid);
            break;
        default:
            /* drain is rare: it empties the atlas. */
            what = OP_STATS;
            if (t_below(&r->rng, 50) == 0) {
                what = OP_DRAIN;
                mc_drain(m);
            }
            mc_check_stats(m);
            break;
        }
    }
    tally[what][-rc]++;
    if (r->trace)
        printf("%-15s 0x%04x %-20s live %u discarded %u\n", op_name[what], mid, t_status_name(rc),
               m->ref.live, m->ref.discarded);
}

static void run_model(uint32_t cap, unsigned flags, uint32_t calls, uint64_t seed)
{
    struct run r = {.rng = seed, .trace = getenv("MIDATLAS_TEST_TRACE") != NULL};
    mc_create(&r.m, cap, flags);
    uint32_t grow = 50;
    /* Check everything about 20 times a run, but at most every 4096 calls on
     * the largest atlases (validate is O(capacity)). */
    uint32_t check_every = calls / 20 > 4096 ? calls / 20 : 4096;
    for (uint32_t i = 1; i <= calls; i++) {
        if (i % 2000 == 0)
            grow = 10 + t_below(&r.rng, 80); /* a new phase: filling or emptying */
        step(&r, grow);
        if (i % check_every == 0 || cap < 256)
            mc_check_stats(&r.m);
        if (i % check_every == 0)
            mc_check_all(&r.m);
    }
    mc_check_all(&r.m);
    mc_destroy(&r.m);
}

static void model_all_capacities(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1, 2, 3, 5, 50, 64, 100, 1000, 32768, 32769, 65535, 65536};
    static const unsigned flagsets[] = {0, MIDATLAS_F_NO_ZERO, MIDATLAS_F_NO_FFFF, MIDATLAS_F_SMB1};
    uint64_t seed = t_seed("model_all_capacities");
    uint32_t calls = 25000 / t_slowdown();
    uint64_t total = 0;
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        for (size_t f = 0; f < sizeof flagsets / sizeof flagsets[0]; f++) {
            /* Each run its own seed, derived, so one run can be replayed. */
            uint64_t s = seed ^ (c * 0x100 + f) * 0x9E3779B97F4A7C15ull;
            run_model(caps[c], flagsets[f], calls, s);
            total += calls;
        }
    }
    printf("[ MODEL    ] %llu calls compared\n", (unsigned long long)total);
    print_tally();
    check_tally();
}

/* Capacity 1 and 2 wrap their 15-bit generations within a run: stale MIDs
 * from the previous turn become current again, as the header says. */
static void model_small_long(void **state)
{
    (void)state;
    uint64_t seed = t_seed("model_small_long");
    uint32_t calls = 200000 / t_slowdown();
    run_model(1, MIDATLAS_F_SMB1, calls, seed);
    run_model(2, 0, calls, seed + 1);
    run_model(3, MIDATLAS_F_NO_ZERO, calls, seed + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_all_capacities),
        cmocka_unit_test(model_small_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
