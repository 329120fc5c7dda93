/* SPDX-License-Identifier: MIT */
/*
 * tctx.h - the fake contexts of the tests, in a header of its own so that
 * programs without cmocka (tests/wait's wait_stress) share it with
 * testutil.h.  Contexts are never dereferenced (the atlas never does
 * either), so they are plain numbers dressed as pointers: tctx(n) is a
 * distinct, non-NULL value that fits in a pointer and in 48 bits for every
 * n below T_CTX_LIMIT (2^40 where pointers have 64 bits, 2^27 on 32-bit
 * targets).
 */
#ifndef MIDATLAS_TCTX_H
#define MIDATLAS_TCTX_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* How many bits of n tctx keeps: (n + 1) << 4 must fit the pointer (and
 * 48 bits).  A test that packs fields into n sizes them from T_CTX_BITS. */
#define T_CTX_BITS (UINTPTR_MAX > UINT32_MAX ? 40u : 27u)
#define T_CTX_LIMIT ((uint64_t)1 << T_CTX_BITS)

/* A distinct non-NULL context for n (n < T_CTX_LIMIT).  An n that does not
 * fit aborts: two numbers must never make one context. */
static inline void *tctx(uint64_t n)
{
    if (n >= T_CTX_LIMIT) {
        fprintf(stderr, "tctx(%#llx): needs more than %u bits\n", (unsigned long long)n,
                T_CTX_BITS);
        abort();
    }
    return (void *)(uintptr_t)((n + 1) << 4);
}

#endif /* MIDATLAS_TCTX_H */
