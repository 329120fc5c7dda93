/* SPDX-License-Identifier: MIT */
/*
 * fuzz_check.h - the one way the fuzz target reports a disagreement between
 * the library and the reference model: print what differed, then abort(), so
 * libFuzzer saves the input as a crash and the replay program fails.
 */
#ifndef MIDATLAS_FUZZ_CHECK_H
#define MIDATLAS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                    \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "midatlas fuzz: %s:%d: check failed: %s: ", __FILE__, \
                    __LINE__, #cond);                                            \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
