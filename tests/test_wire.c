/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c - all 65,536 MID values against empty, emptied, partly full
 * and full atlases of every capacity of the contract.
 *
 * MIDs come off the wire, so every call must take any 16-bit value.  For each
 * value every call runs on the library and on the reference model: same
 * status, same out-parameters; a failing call must change nothing (stats
 * compared after each value, midatlas_validate and every slot's current MID
 * checked after each sweep).  A second sweep then ends every association it
 * meets (dissociate, dissociate_if, discard, release), again against the
 * model, and the atlas is filled once more to see the freed MIDs come back
 * under their next generation.
 */
#include "modelcheck.h"

/* Contexts no fill makes: new_ctx counts up from 0 and stays far below
 * half of tctx's numbers, on 32-bit targets too. */
#define OTHER tctx(T_CTX_LIMIT / 2)
#define OTHER2 tctx(T_CTX_LIMIT / 2 + 1)

enum fill { FRESH, EMPTIED, PARTLY, FULL };

static uint64_t next_ctx;

static void *new_ctx(void)
{
    return tctx(next_ctx++);
}

/* Associate until EFULL; the model says when that must happen. */
static void fill_up(struct mc *m)
{
    while (mc_associate(m, new_ctx(), NULL) == MIDATLAS_OK)
        ;
}

/* End every n-th association met going through the slots, by dissociate or
 * discard: leaves free slots and tombstones among live ones, with several
 * generations around. */
static void thin_out(struct mc *m, uint32_t n, bool discard)
{
    for (uint32_t i = 0; i < m->ref.capacity; i += n) {
        if (m->ref.slot[i].state != REF_LIVE)
            continue;
        uint16_t mid = ref_current_mid(&m->ref, i);
        assert_status(discard ? mc_discard(m, mid, true) : mc_dissociate(m, mid, true),
                      MIDATLAS_OK);
    }
}

static void make_state(struct mc *m, enum fill f)
{
    uint32_t usable = m->ref.usable;
    switch (f) {
    case FRESH:
        break;
    case EMPTIED: /* every slot handed out once, all free again */
        fill_up(m);
        mc_drain(m);
        break;
    case PARTLY: /* about half: live, free and tombstones, generations 0..2 */
        for (uint32_t i = 0; i < (usable + 1) / 2; i++)
            assert_status(mc_associate(m, new_ctx(), NULL), MIDATLAS_OK);
        thin_out(m, 3, false);
        for (uint32_t i = 0; i < usable / 6; i++)
            assert_status(mc_associate(m, new_ctx(), NULL), MIDATLAS_OK);
        thin_out(m, 2, false);
        for (uint32_t i = 0; i < usable / 8; i++)
            assert_status(mc_associate(m, new_ctx(), NULL), MIDATLAS_OK);
        thin_out(m, 5, true);
        break;
    case FULL: /* every usable slot live or discarded */
        fill_up(m);
        thin_out(m, 4, false);
        fill_up(m);
        thin_out(m, 7, true);
        break;
    }
    mc_check_all(m);
}

/* Every call with `mid` that the model says fails (or succeeds without
 * changing anything), against the library. */
static void probe(struct mc *m, uint16_t mid)
{
    void *cur = NULL;
    int lk = ref_lookup(&m->ref, mid, &cur);

    mc_map(m, mid);
    mc_lookup(m, mid);
    assert_status(midatlas_lookup(m->atlas, mid, NULL), MIDATLAS_EINVAL);
    mc_dissociate_if(m, mid, OTHER);
    mc_reassociate_if(m, mid, OTHER, OTHER2);
    /* A MID that is not the slot's current one must not reach the slot even
     * when the caller names the very context the slot holds. */
    uint32_t idx = ref_index(&m->ref, mid);
    if (lk != MIDATLAS_OK && idx < m->ref.capacity && m->ref.slot[idx].state == REF_LIVE) {
        void *held = m->ref.slot[idx].ctx;
        mc_dissociate_if(m, mid, held);
        mc_reassociate_if(m, mid, held, OTHER);
    }
    if (lk == MIDATLAS_OK) {
        /* Live: rebinding to the same context succeeds and changes nothing. */
        assert_status(mc_reassociate(m, mid, cur, true), MIDATLAS_OK);
        assert_status(mc_reassociate_if(m, mid, cur, cur), MIDATLAS_OK);
        assert_status(mc_release(m, mid), MIDATLAS_EBUSY);
        return;
    }
    mc_dissociate(m, mid, true);
    mc_dissociate(m, mid, false);
    mc_discard(m, mid, true);
    mc_discard(m, mid, false);
    mc_reassociate(m, mid, OTHER, true);
    mc_reassociate(m, mid, OTHER, false);
    if (lk != MIDATLAS_EDISCARDED)
        mc_release(m, mid);
}

static void sweep_nothing_changes(struct mc *m)
{
    struct midatlas_stats before, after;
    /* midatlas_stats reads every slot word (twice): after every value up
     * to 4096 slots, every 1024th value above (a change a call made would
     * persist, so it is still caught, within 1024 values of its cause). */
    uint32_t every = m->ref.capacity <= 4096 ? 1 : 1024;
    midatlas_stats(m->atlas, &before);
    for (uint32_t w = 0; w < 0x10000; w++) {
        probe(m, (uint16_t)w);
        if (w % every == every - 1) {
            midatlas_stats(m->atlas, &after);
            t_assert_same_stats(&before, &after);
        }
    }
    mc_check_all(m);
}

/* Every value once more, this time ending what it finds. */
static void sweep_ending(struct mc *m)
{
    for (uint32_t w = 0; w < 0x10000; w++) {
        uint16_t mid = (uint16_t)w;
        void *cur = NULL;
        int lk = ref_lookup(&m->ref, mid, &cur);
        if (lk == MIDATLAS_EDISCARDED) {
            assert_status(mc_release(m, mid), MIDATLAS_OK);
        } else if (lk == MIDATLAS_OK) {
            switch (w % 3) {
            case 0: assert_status(mc_dissociate(m, mid, w & 4), MIDATLAS_OK); break;
            case 1: assert_status(mc_dissociate_if(m, mid, cur), MIDATLAS_OK); break;
            default: assert_status(mc_discard(m, mid, w & 4), MIDATLAS_OK); break;
            }
        }
        if ((w & (m->ref.capacity <= 4096 ? 63 : 1023)) == 0)
            mc_check_stats(m); /* O(capacity), as above */
    }
    mc_check_all(m);
}

static void wire_sweep(uint32_t cap, unsigned flags)
{
    /* Under TSan (20x slower, and this test is single-threaded) the two
     * states with every kind of slot in them are enough. */
#ifdef MIDATLAS_SANITIZE_THREAD
    const int first = PARTLY;
#else
    const int first = FRESH;
#endif
    for (int f = first; f <= FULL; f++) {
        struct mc m;
        mc_create(&m, cap, flags);
        make_state(&m, (enum fill)f);
        sweep_nothing_changes(&m);
        sweep_ending(&m);
        fill_up(&m); /* the freed MIDs come back, under their next generation */
        mc_check_all(&m);
        mc_destroy(&m);
    }
}

static unsigned flags_under_test(size_t i)
{
    /* Sanitizer builds run 5-20x slower: there, only the flags that reserve
     * both values. */
    static const unsigned all[] = {MIDATLAS_F_SMB1, 0, MIDATLAS_F_NO_ZERO, MIDATLAS_F_NO_FFFF};
    size_t n = t_slowdown() > 1 ? 1 : sizeof all / sizeof all[0];
    return i < n ? all[i] : ~0u;
}

#define WIRE_TEST(cap)                                                    \
    static void wire_cap_##cap(void **state)                             \
    {                                                                     \
        (void)state;                                                      \
        for (size_t i = 0; flags_under_test(i) != ~0u; i++)               \
            wire_sweep(cap, flags_under_test(i));                         \
    }

WIRE_TEST(1)
WIRE_TEST(2)
WIRE_TEST(3)
WIRE_TEST(50)
WIRE_TEST(64)
WIRE_TEST(65535)
WIRE_TEST(65536)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wire_cap_1),     cmocka_unit_test(wire_cap_2),
        cmocka_unit_test(wire_cap_3),     cmocka_unit_test(wire_cap_50),
        cmocka_unit_test(wire_cap_64),    cmocka_unit_test(wire_cap_65535),
        cmocka_unit_test(wire_cap_65536),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
