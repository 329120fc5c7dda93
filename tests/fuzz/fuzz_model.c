/* SPDX-License-Identifier: MIT */
/*
 * fuzz_model.c - the reference model: the MID layout and status rules of
 * include/midatlas.h, sequentially, with no cleverness.
 */
#include "fuzz_model.h"

#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

static unsigned ceil_log2(uint32_t n)
{
    unsigned bits = 0;
    while ((1u << bits) < n)
        bits++;
    return bits;
}

bool model_init(struct model *m, uint32_t capacity, unsigned flags)
{
    memset(m, 0, sizeof(*m));
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY || !MIDATLAS_FLAGS_VALID(flags))
        return false;
    m->capacity = capacity;
    m->flags = flags;
    m->index_bits = ceil_log2(capacity);
    /* Capacity 1 keeps 15 generation bits, as the header says. */
    m->gen_bits = capacity == 1 ? 15 : 16 - m->index_bits;
    m->state = calloc(capacity, sizeof(*m->state));
    m->gen = calloc(capacity, sizeof(*m->gen));
    m->next_gen = calloc(capacity, sizeof(*m->next_gen));
    m->ctx = calloc(capacity, sizeof(*m->ctx));
    if (!m->state || !m->gen || !m->next_gen || !m->ctx) {
        model_free(m);
        return false;
    }
    for (uint32_t i = 0; i < capacity; i++)
        m->usable += model_slot_usable(m, i);
    return true;
}

void model_free(struct model *m)
{
    free(m->state);
    free(m->gen);
    free(m->next_gen);
    free(m->ctx);
    memset(m, 0, sizeof(*m));
}

static uint32_t gen_mask(const struct model *m)
{
    return (1u << m->gen_bits) - 1;
}

uint16_t model_mid(const struct model *m, uint32_t index, uint32_t gen)
{
    return (uint16_t)(((gen & gen_mask(m)) << m->index_bits) | index);
}

uint32_t model_index(const struct model *m, uint16_t mid)
{
    return mid & ((1u << m->index_bits) - 1);
}

uint32_t model_generation(const struct model *m, uint16_t mid)
{
    return (uint32_t)mid >> m->index_bits;
}

bool model_reserved(const struct model *m, uint16_t mid)
{
    return ((m->flags & MIDATLAS_F_NO_ZERO) && mid == 0x0000) ||
           ((m->flags & MIDATLAS_F_NO_FFFF) && mid == 0xFFFF);
}

bool model_slot_usable(const struct model *m, uint32_t index)
{
    /* Two reserved values at most, so a slot with two or more generations
     * always keeps one; only a single-MID slot can be taken out. */
    if (m->gen_bits > 0)
        return true;
    return !model_reserved(m, model_mid(m, index, 0));
}

int model_classify(const struct model *m, uint16_t mid)
{
    uint32_t index = model_index(m, mid);
    uint32_t gen = model_generation(m, mid);
    /* Out of range: an index past the capacity or a reserved value.  At
     * capacity 1 a MID has 16 generation bits but handouts use 15, so MIDs
     * 0x8000..0xFFFF carry a generation no slot ever has: they fall through
     * to EFREE or ESTALE like any MID of another generation. */
    if (index >= m->capacity || model_reserved(m, mid))
        return MIDATLAS_ERANGE;
    if (m->state[index] == MODEL_FREE)
        return MIDATLAS_EFREE;
    if (m->gen[index] != gen)
        return MIDATLAS_ESTALE;
    if (m->state[index] == MODEL_DISCARDED)
        return MIDATLAS_EDISCARDED;
    return MIDATLAS_OK;
}

uint16_t model_next_mid(const struct model *m, uint32_t index)
{
    uint32_t gen = m->next_gen[index];
    /* A generation whose MID is reserved is skipped, not handed out. */
    while (model_reserved(m, model_mid(m, index, gen)))
        gen = (gen + 1) & gen_mask(m);
    return model_mid(m, index, gen);
}

static void note_peak(struct model *m)
{
    uint32_t used = m->live + m->discarded;
    if (used > m->peak)
        m->peak = used;
}

void model_associate(struct model *m, uint16_t mid, uint64_t ctx)
{
    uint32_t index = model_index(m, mid);
    uint32_t gen = model_generation(m, mid);
    m->state[index] = MODEL_LIVE;
    m->gen[index] = gen;
    m->next_gen[index] = (gen + 1) & gen_mask(m);
    m->ctx[index] = ctx;
    m->live++;
    m->associations++;
    note_peak(m);
}

void model_end(struct model *m, uint32_t index)
{
    m->state[index] = MODEL_FREE;
    m->ctx[index] = 0;
    m->live--;
}

void model_discard(struct model *m, uint32_t index)
{
    m->state[index] = MODEL_DISCARDED;
    m->ctx[index] = 0;
    m->live--;
    m->discarded++;
}

void model_release(struct model *m, uint32_t index)
{
    m->state[index] = MODEL_FREE;
    m->discarded--;
}
