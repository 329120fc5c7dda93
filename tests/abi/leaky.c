/* SPDX-License-Identifier: MIT */
/*
 * leaky.c - a library, compiled with hidden visibility like libmidatlas, that
 * breaks the rules check_symbols.sh enforces, so abi.symbols_selftest can
 * show that the check catches each break: an internal function with a short
 * name made public again (what wait_init was before the midatlas__ prefix),
 * and a midatlas__ function whose visibility was turned back to default.
 */
#include "leaky.h"

__attribute__((visibility("default"))) int wait_init(void);
__attribute__((visibility("default"))) int midatlas__leaked(void);

int wait_init(void)
{
    return 1;
}

int midatlas__leaked(void)
{
    return wait_init();
}

int leaky_public(void)
{
    return midatlas__leaked();
}
