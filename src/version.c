/* SPDX-License-Identifier: MIT */
/*
 * version.c - the version of the library that is actually loaded, which may
 * be newer than the headers a program was compiled with (MIDATLAS_VERSION).
 * tests/test_version.c checks that the string, the three numbers and the
 * CMake project version agree.
 */
#include "midatlas.h"

const char *midatlas_version(void)
{
    return MIDATLAS_VERSION;
}
