/* SPDX-License-Identifier: MIT */
/*
 * rseq_unload_mod.c - a shared object that embeds its own copy of the
 * library, as a plugin that links libmidatlas.a does; tests/rseq_unload.c
 * loads it, runs it, and unloads it.
 */
#include <stdint.h>

#include "midatlas.h"

/* Cycles on an atlas of 4096 (the rseq claim path, where it runs), on the
 * calling thread; the atlas is destroyed before returning.  The chunks
 * the rseq path served (0: the path was off), or UINT32_MAX on a failed
 * call. */
__attribute__((visibility("default"))) uint32_t rseq_unload_run(void)
{
    static int ctx;
    struct midatlas *a = NULL;
    if (midatlas_create(&a, 4096, 0) != MIDATLAS_OK)
        return UINT32_MAX;
    uint32_t chunks = UINT32_MAX;
    for (int i = 0; i < 100000; i++) {
        uint16_t mid;
        void *got;
        if (midatlas_associate(a, &ctx, &mid) != MIDATLAS_OK ||
            midatlas_dissociate(a, mid, &got) != MIDATLAS_OK || got != &ctx)
            goto out;
    }
    struct midatlas_stats s;
    midatlas_stats_ex(a, &s, sizeof s);
    chunks = s.rseq_chunks;
out:
    midatlas_destroy(a, NULL, NULL);
    return chunks;
}
