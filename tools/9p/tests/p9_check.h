/* SPDX-License-Identifier: MIT */
/*
 * p9_check.h - the transport tests' assertion: print where and what, exit 1.
 * (Not assert(): it must fail in release builds too.)
 */
#ifndef P9_CHECK_H
#define P9_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

#endif /* P9_CHECK_H */
