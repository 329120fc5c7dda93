/* SPDX-License-Identifier: MIT */
/*
 * rseq_available.c - exit 0 when this build and this machine run the rseq
 * claim path (MIDATLAS_RSEQ=1: x86-64, glibc 2.35+, membarrier's
 * EXPEDITED_RSEQ), 77 otherwise: the rseq catch tests skip on 77 instead of
 * failing for want of the path they test.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdio.h>
#include <stdlib.h>

#include "rseq.h"

int main(void)
{
    setenv("MIDATLAS_RSEQ", "1", 1);
    if (midatlas__rseq_on())
        return 0;
    printf("rseq claim path unavailable here: skipped\n");
    return 77;
}
