/*
 * impl_table_core.c - the implementation list of the broken and hooked
 * harness builds: midatlas alone (their library is a variant of it, and
 * bench/impls links the real one).
 */
#include <string.h>

#include "stress.h"

static const struct stress_impl only = {&stress_midatlas_direct, true};

size_t stress_impl_count(void)
{
    return 1;
}

const struct stress_impl *stress_impl_at(size_t i)
{
    return i == 0 ? &only : NULL;
}

const struct stress_impl *stress_impl_find(const char *name)
{
    return strcmp(name, only.ops->name) == 0 ? &only : NULL;
}
