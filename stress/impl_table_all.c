/*
 * impl_table_all.c - every implementation of bench/impls (mid_impls[]), with
 * midatlas itself driven through the harness's direct adapter so the checks
 * beyond impl.h apply to it.
 */
#include <string.h>

#include "stress.h"

#define MAX_IMPLS 32

static struct stress_impl table[MAX_IMPLS];
static size_t count;

static void fill(void)
{
    if (count)
        return;
    table[count++] = (struct stress_impl){&stress_midatlas_direct, true};
    for (size_t i = 0; mid_impls[i] && count < MAX_IMPLS; i++)
        if (strcmp(mid_impls[i]->name, stress_midatlas_direct.name) != 0)
            table[count++] = (struct stress_impl){mid_impls[i], false};
}

size_t stress_impl_count(void)
{
    fill();
    return count;
}

const struct stress_impl *stress_impl_at(size_t i)
{
    fill();
    return i < count ? &table[i] : NULL;
}

const struct stress_impl *stress_impl_find(const char *name)
{
    fill();
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].ops->name, name) == 0)
            return &table[i];
    return NULL;
}
