/* SPDX-License-Identifier: MIT */
/*
 * workload_attack.c - random wire values while others churn.
 *
 * The first half of the threads are attackers: they feed random 16-bit values
 * to map and, where the table has them, reassociate_if, lookup and
 * dissociate_if, the way a peer's garbage replies would.  The other half run the window workload, so
 * every check of that workload (their MIDs keep their contexts, end exactly
 * once) also says the attackers changed nothing.  The attackers' own checks:
 *   - whatever map or lookup returns is a context some worker installed
 *     under that very MID;
 *   - a conditional call whose `expected` is an attacker value (stored
 *     nowhere, ever) never acts;
 *   - lookup answers one of the statuses it may, and ERANGE exactly for an
 *     index at or above the capacity.
 */
#include "stress.h"

unsigned attack_attackers(const struct stress_run *run)
{
    return run->nthreads / 2;
}

static uint32_t index_bits(uint32_t capacity)
{
    uint32_t bits = 0;
    while (((uint32_t)1 << bits) < capacity)
        bits++;
    return bits;
}

static void attack_lookup(struct stress_thread *th, uint16_t mid)
{
    struct stress_run *run = th->run;
    void *v = NULL;
    int rc = run->impl->lookup(run->table, mid, &v);
    uint32_t idx = mid & (((uint32_t)1 << index_bits(run->cfg->capacity)) - 1);
    bool out = idx >= run->cfg->capacity;

    if ((run->impl->traits & MID_IMPL_MIDATLAS_LAYOUT) && out != (rc == MIDATLAS_ERANGE))
        stress_violation(run, "lookup(0x%04x) returned %d (%s) for index %u of %u", mid, rc,
                         midatlas_strerror(rc), idx, run->cfg->capacity);
    else if (rc == MIDATLAS_OK && !stress_mapped_ok(run, mid, v, "lookup"))
        return;
    else if (rc != MIDATLAS_OK && rc != MIDATLAS_ERANGE && rc != MIDATLAS_EFREE &&
             rc != MIDATLAS_ESTALE && rc != MIDATLAS_EDISCARDED)
        stress_violation(run, "lookup(0x%04x) returned %d (%s)", mid, rc, midatlas_strerror(rc));
}

static void attacker(struct stress_thread *th)
{
    struct stress_run *run = th->run;
    const struct mid_impl *ops = run->impl;

    while (!stress_stopped(run)) {
        uint64_t r = stress_rand(th);
        uint16_t mid = (uint16_t)r;
        void *bogus = ctx_make(CTX_ATTACK, th->tid, (uint32_t)(r >> 16));
        void *other = ctx_make(CTX_ATTACK, th->tid, (uint32_t)(r >> 32) | 1u);

        stress_mapped_ok(run, mid, ops->map(run->table, mid), "map");
        stress_tick(th, 1);
        if (stress_has(ops, MID_IMPL_HAS_REASSOCIATE_IF)) {
            if (ops->reassociate_if(run->table, mid, bogus, other) == MIDATLAS_OK)
                stress_violation(run, "reassociate_if(0x%04x) from a value never stored acted",
                                 mid);
            stress_tick(th, 1);
        }
        if (stress_has(ops, MID_IMPL_HAS_LOOKUP)) {
            attack_lookup(th, mid);
            stress_tick(th, 1);
        }
        if (stress_has(ops, MID_IMPL_HAS_DISSOCIATE_IF)) {
            if (ops->dissociate_if(run->table, mid, bogus) == MIDATLAS_OK)
                stress_violation(run, "dissociate_if(0x%04x) of a value never stored acted", mid);
            stress_tick(th, 1);
        }
    }
}

void workload_attack(struct stress_thread *th)
{
    if (th->tid < attack_attackers(th->run))
        attacker(th);
    else
        workload_window(th);
}
