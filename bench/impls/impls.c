/* SPDX-License-Identifier: MIT */
/*
 * impls.c - the registry of every implementation behind impl.h.
 */
#include <string.h>

#include "impl.h"

extern const struct mid_impl mid_impl_midatlas;
extern const struct mid_impl mid_impl_mutex;
extern const struct mid_impl mid_impl_ck_spin;
extern const struct mid_impl mid_impl_ck_stack;
extern const struct mid_impl mid_impl_urcu_lfs;
extern const struct mid_impl mid_impl_sbitmap;
extern const struct mid_impl mid_impl_idr;
extern const struct mid_impl mid_impl_idr_cyclic;

/* midatlas first, the mutex baseline second (impl.h promises the order);
 * the peers on CK and liburcu where the build found both
 * (bench/CMakeLists.txt defines MIDATLAS_IMPLS_CK_URCU). */
const struct mid_impl *const mid_impls[] = {
    &mid_impl_midatlas, &mid_impl_mutex,
#ifdef MIDATLAS_IMPLS_CK_URCU
    &mid_impl_ck_spin,  &mid_impl_ck_stack, &mid_impl_urcu_lfs,
#endif
    &mid_impl_sbitmap,  &mid_impl_idr,      &mid_impl_idr_cyclic, NULL,
};

const struct mid_impl *mid_impl_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; mid_impls[i] != NULL; i++)
        if (strcmp(mid_impls[i]->name, name) == 0)
            return mid_impls[i];
    return NULL;
}
