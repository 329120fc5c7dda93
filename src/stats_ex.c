/* SPDX-License-Identifier: MIT */
/*
 * stats_ex.c - statistics into a struct whose size the caller states.
 *
 * struct midatlas_stats is allocated by the caller, so a caller compiled
 * against an older header has a smaller one.  midatlas_stats() keeps writing
 * exactly the 0.1 layout forever (tests/test_stats_abi.c guards that), and
 * fields added later reach callers only through midatlas_stats_ex(), which
 * writes no more than the `size` bytes the caller says it has.  Fields are
 * only ever appended, so any older struct is a prefix of the current one.
 *
 * The first appended fields (rseq_chunks, owned_chunks) split stats.c: an
 * internal fill of the whole struct, which this call uses, and
 * midatlas_stats() copying only the 0.1 prefix of it.
 */
#include <string.h>

#include "atlas.h"

size_t midatlas_stats_ex(struct midatlas *a, struct midatlas_stats *st, size_t size)
{
    struct midatlas_stats full;
    if (!a || !st)
        return 0;
    midatlas__stats_fill(a, &full);
    size_t known = size < sizeof full ? size : sizeof full;
    memcpy(st, &full, known);
    /* A caller built against a newer header: the fields this library does
     * not know read as zero rather than as whatever was there. */
    if (size > known)
        memset((unsigned char *)st + known, 0, size - known);
    return known;
}
